/* job-result.h: the outcome of a task, with its metrics
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <glib-object.h>

#include "job-version-macros.h"

G_BEGIN_DECLS

#define JOB_TYPE_RESULT (job_result_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (JobResult, job_result, JOB, RESULT, GObject)

JOB_AVAILABLE_IN_ALL
JobResult *job_result_new (GObject *output,
                           gint64 worker_pid,
                           double wall_time,
                           double cpu_time,
                           guint64 peak_rss,
                           const char *backend);
JOB_AVAILABLE_IN_ALL
GObject *job_result_get_output (JobResult *self);
JOB_AVAILABLE_IN_ALL
gint64 job_result_get_worker_pid (JobResult *self);
JOB_AVAILABLE_IN_ALL
double job_result_get_wall_time (JobResult *self);
JOB_AVAILABLE_IN_ALL
double job_result_get_cpu_time (JobResult *self);
JOB_AVAILABLE_IN_ALL
guint64 job_result_get_peak_rss (JobResult *self);
JOB_AVAILABLE_IN_ALL
const char *job_result_get_backend (JobResult *self);

G_END_DECLS
