/* job-pickle-private.h: the pickle format, shared by pickler and unpickler
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "job-pickle.h"

G_BEGIN_DECLS

/* A header is bytes in the encoding of job-pickle-buffer-private.h:
 *
 *   "JOBP"                          magic
 *   varint version                  JOB_PICKLE_FORMAT_VERSION
 *   varint n_frames, n × varint     the size of each frame
 *   varint n_types, per type:       string name, string origin,
 *                                   varint n, n × string property name (sorted)
 *
 * (every string followed by a NUL byte, see job-pickle-buffer-private.h)
 *   varint n_objects, per object:   varint type index, one value per property
 *
 * The magic and the version never move, so any version can be identified.
 * Object 0 is the root, references are indexes into the object table. A
 * value's encoding is chosen by the property's value type, so it carries no
 * tag (see write_value() in job-pickler.c); properties that go through the
 * JobSerializable virtual methods or a custom codec are a GVariant: its type
 * string and its serialized bytes. Objects of a codec type hold one such
 * GVariant; a list (rebuilt as GListStore) holds its item type's name and
 * its items' indexes. */
#define JOB_PICKLE_HEADER_MAGIC "JOBP"

/* The flat form: magic, u32 LE header length, header, then each frame at
 * the next multiple of 8. */
#define JOB_PICKLE_FLAT_MAGIC "JPKL"
#define JOB_PICKLE_FLAT_PREFIX 8

/* Deep GVariant values in a pickle are refused beyond this nesting. */
#define JOB_PICKLE_MAX_DEPTH 64

typedef struct
{
  guint n_frames;
  guint64 *frame_sizes;
  gsize body_offset; /* where the type table starts */
} JobPickleHeaderInfo;

gboolean job_pickle_parse_header (GBytes *header,
                                  JobPickleHeaderInfo *info,
                                  GError **error);

void job_pickle_prefix_invalid (GError **error);

JobPickleFrames *job_pickle_frames_new_take (GBytes *header, GPtrArray *frames);

gboolean job_pickler_run (GObject *root,
                          gsize frame_threshold,
                          gboolean check_only,
                          GBytes **header,
                          GPtrArray **frames,
                          GBytes **flat,
                          GError **error);

GObject *job_unpickler_run (JobPickleFrames *frames, GError **error);
/* The same, refusing before anything is instantiated a pickle whose root
 * is not a @root_type. */
GObject *
job_unpickler_run_as (JobPickleFrames *frames, GType root_type, GError **error);

G_END_DECLS
