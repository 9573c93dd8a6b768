/* job-build-task.h: the job that builds one element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include "job-element.h"
#include "job-task.h"

G_BEGIN_DECLS

#define JOB_TYPE_BUILD_TASK (job_build_task_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (JobBuildTask, job_build_task, JOB, BUILD_TASK, JobTask)

JOB_AVAILABLE_IN_ALL
JobBuildTask *job_build_task_new (JobElement *element,
                                  const char *cache_key,
                                  GVariant *staging_plan,
                                  const char *cache_directory,
                                  const char *log_path);

G_END_DECLS
