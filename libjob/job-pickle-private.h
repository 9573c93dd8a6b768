/* job-pickle-private.h: the pickle format, shared by pickler and unpickler
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "job-pickle.h"

G_BEGIN_DECLS

/* A header is the GVariant (s name, u version, at frame sizes, v body). The
 * first three fields never change, so any version can be identified and its
 * frames found; the body's type belongs to the version:
 *
 *   version 1: (a(ssas) a(uav))
 *     types:   (type name, origin, names of the pickled properties, sorted)
 *     objects: (index into types, one value per property name)
 *
 * Object 0 is the root. A value's encoding is chosen by the property's value
 * type (see job_value_kind_variant_type()); "()" stands for NULL, an object
 * reference is "u" (an index into objects), and a GBytes is "ay" inline or
 * "u", the index of the frame that carries it. Objects of a codec type have
 * one value, the codec's; a list (rebuilt as GListStore) has two, the item
 * type's name and "au", its items. */
#define JOB_PICKLE_FORMAT_NAME "libjob-pickle"
#define JOB_PICKLE_HEADER_TYPE "(suatv)"
#define JOB_PICKLE_BODY_TYPE "(a(ssas)a(uav))"

/* The flat form: magic, u32 LE header length, header, then each frame at
 * the next multiple of 8. */
#define JOB_PICKLE_FLAT_MAGIC "JPKL"
#define JOB_PICKLE_FLAT_PREFIX 8

/* Deep GVariant values in a pickle are refused beyond this nesting. */
#define JOB_PICKLE_MAX_DEPTH 64

GVariant *job_pickle_parse_header (GBytes *header,
                                   GVariant **frame_sizes,
                                   GError **error);

JobPickleFrames *job_pickle_frames_new_take (GBytes *header,
                                             GPtrArray *frames);

gboolean job_pickler_run (GObject *root,
                          gsize frame_threshold,
                          gboolean check_only,
                          GBytes **header,
                          GPtrArray **frames,
                          GError **error);

GObject *job_unpickler_run (JobPickleFrames *frames,
                            GError **error);

G_END_DECLS
