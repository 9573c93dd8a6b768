/* job-pickle.h: pickling object graphs to bytes and back
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-version-macros.h"

G_BEGIN_DECLS

/**
 * JOB_PICKLE_ERROR:
 *
 * The error domain of pickling and unpickling. Codes are in
 * [error@Job.PickleError].
 */
#define JOB_PICKLE_ERROR (job_pickle_error_quark ())

/**
 * JobPickleError:
 * @JOB_PICKLE_ERROR_UNSERIALIZABLE: the graph holds something that cannot be
 *   pickled; the message lists every such value with its reference chain
 * @JOB_PICKLE_ERROR_INVALID: the data is corrupted or malformed
 * @JOB_PICKLE_ERROR_VERSION: the data is a pickle of a format version this
 *   libjob does not read
 * @JOB_PICKLE_ERROR_UNKNOWN_TYPE: the data names a type that is not
 *   registered in this process, or that may not be rebuilt from a pickle
 *
 * The error codes of %JOB_PICKLE_ERROR.
 */
typedef enum
{
  JOB_PICKLE_ERROR_UNSERIALIZABLE,
  JOB_PICKLE_ERROR_INVALID,
  JOB_PICKLE_ERROR_VERSION,
  JOB_PICKLE_ERROR_UNKNOWN_TYPE,
} JobPickleError;

/**
 * JOB_PICKLE_DEFAULT_FRAME_THRESHOLD:
 *
 * The size in bytes above which [func@Job.pickle_dump_frames] moves a
 * #GBytes value out of the header into a frame of its own, when the caller
 * passes 0 as the threshold.
 */
#define JOB_PICKLE_DEFAULT_FRAME_THRESHOLD (64 * 1024)

/**
 * JOB_PICKLE_FORMAT_VERSION:
 *
 * The version of the pickle format that this libjob writes and reads.
 */
#define JOB_PICKLE_FORMAT_VERSION 2

JOB_AVAILABLE_IN_ALL
GQuark job_pickle_error_quark (void);

#define JOB_TYPE_PICKLE_FRAMES (job_pickle_frames_get_type ())

/**
 * JobPickleFrames:
 *
 * A pickle as a transport sees it: one header (a #GVariant in normal form)
 * and zero or more frames, the byte buffers of large values that travel out of
 * band. [func@Job.pickle_dumps] is the flat form of the same thing.
 */
typedef struct _JobPickleFrames JobPickleFrames;

JOB_AVAILABLE_IN_ALL
GType job_pickle_frames_get_type (void) G_GNUC_CONST;
JOB_AVAILABLE_IN_ALL
JobPickleFrames *
job_pickle_frames_new (GBytes *header, GBytes *const *frames, guint n_frames);
JOB_AVAILABLE_IN_ALL
JobPickleFrames *job_pickle_frames_new_from_bytes (GBytes *data,
                                                   GError **error);
JOB_AVAILABLE_IN_ALL
JobPickleFrames *job_pickle_frames_ref (JobPickleFrames *self);
JOB_AVAILABLE_IN_ALL
void job_pickle_frames_unref (JobPickleFrames *self);
JOB_AVAILABLE_IN_ALL
GBytes *job_pickle_frames_get_header (JobPickleFrames *self);
JOB_AVAILABLE_IN_ALL
guint job_pickle_frames_get_n_frames (JobPickleFrames *self);
JOB_AVAILABLE_IN_ALL
GBytes *job_pickle_frames_get_frame (JobPickleFrames *self, guint index_);
JOB_AVAILABLE_IN_ALL
GBytes *job_pickle_frames_to_bytes (JobPickleFrames *self);
JOB_AVAILABLE_IN_ALL
char **job_pickle_frames_get_origins (JobPickleFrames *self, GError **error);

JOB_AVAILABLE_IN_ALL
JobPickleFrames *
job_pickle_dump_frames (GObject *object, gsize frame_threshold, GError **error);
JOB_AVAILABLE_IN_ALL
GObject *job_pickle_load_frames (JobPickleFrames *frames, GError **error);

JOB_AVAILABLE_IN_ALL
GBytes *job_pickle_dumps (GObject *object, GError **error);
JOB_AVAILABLE_IN_ALL
GObject *job_pickle_loads (GBytes *data, GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_pickle_check (GObject *object, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JobPickleFrames, job_pickle_frames_unref)

G_END_DECLS
