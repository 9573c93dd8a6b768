/* job-spool-file-private.h: tasks and results as files in a spool directory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "job-version-macros.h"

G_BEGIN_DECLS

/* A backend that runs tasks through a batch system (JobSlurmBackend) hands
 * each task to `job-worker --oneshot` as a file, and reads the result back
 * from a file: both live in a directory the cluster's nodes share. A spool
 * file is one message:
 *
 *   "JOBSPOOL"                  8 bytes magic
 *   version, kind               2 x guint32, little endian
 *   pid, wall_ns, cpu_ns, peak_rss  4 x guint64 (zero in a TASK)
 *   n_parts, reserved           2 x guint32
 *   size[n_parts]               guint64 each
 *   the parts, back to back
 *
 * TASK    parts are the task's pickle (header, then frames)
 * RESULT  parts are the output's pickle; none for a NULL output
 * ERROR   one part, an error encoded by job_wire_encode_error()
 *
 * Files are written to a temporary name and renamed: a reader never sees
 * half a file. */
#define JOB_SPOOL_FILE_VERSION 1
#define JOB_SPOOL_FILE_MAX_PARTS 65536

typedef enum
{
  JOB_SPOOL_FILE_TASK = 1,
  JOB_SPOOL_FILE_RESULT,
  JOB_SPOOL_FILE_ERROR,
} JobSpoolFileKind;

typedef struct
{
  gint64 pid;
  guint64 wall_ns;
  guint64 cpu_ns;
  guint64 peak_rss;
} JobSpoolMetrics;

JOB_AVAILABLE_IN_ALL
gboolean job_spool_file_write (const char *path,
                               JobSpoolFileKind kind,
                               const JobSpoolMetrics *metrics,
                               GBytes *const *parts,
                               guint n_parts,
                               GError **error);

/* Writes one message to @fd (a pipe, standard output). */
JOB_AVAILABLE_IN_ALL
gboolean job_spool_file_write_fd (int fd,
                                  JobSpoolFileKind kind,
                                  const JobSpoolMetrics *metrics,
                                  GBytes *const *parts,
                                  guint n_parts,
                                  GError **error);

/* Maps @path; the parts are slices of the mapping. A file that is not a
 * well-formed spool file is a JOB_WORKER_ERROR_PROTOCOL error. */
JOB_AVAILABLE_IN_ALL
GPtrArray *job_spool_file_read (const char *path,
                                JobSpoolFileKind *kind,
                                JobSpoolMetrics *metrics,
                                GError **error);

/* The same for a message in memory; @path only names it in errors. */
JOB_AVAILABLE_IN_ALL
GPtrArray *job_spool_file_parse (GBytes *bytes,
                                 const char *path,
                                 JobSpoolFileKind *kind,
                                 JobSpoolMetrics *metrics,
                                 GError **error);

G_END_DECLS
