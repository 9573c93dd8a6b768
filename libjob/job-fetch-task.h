/* job-fetch-task.h: the job that fetches an element's sources
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include "job-task.h"

G_BEGIN_DECLS

#define JOB_TYPE_FETCH_TASK (job_fetch_task_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (JobFetchTask, job_fetch_task, JOB, FETCH_TASK, JobTask)

JOB_AVAILABLE_IN_ALL
JobFetchTask *job_fetch_task_new (GListModel *sources);

G_END_DECLS
