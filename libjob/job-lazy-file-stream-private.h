/* job-lazy-file-stream-private.h: an output stream that makes its file on
 * the first write
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define JOB_TYPE_LAZY_FILE_STREAM (job_lazy_file_stream_get_type ())
G_DECLARE_FINAL_TYPE (JobLazyFileStream,
                      job_lazy_file_stream,
                      JOB,
                      LAZY_FILE_STREAM,
                      GOutputStream)

/* A stream that writes to @path, made (with its directory) when the first
 * byte arrives, replacing what was there: a build that logs nothing leaves
 * no empty log behind. */
GOutputStream *job_lazy_file_stream_new (const char *path);

/* Whether the file was made. */
gboolean job_lazy_file_stream_get_created (JobLazyFileStream *self);

G_END_DECLS
