/* job-command-task.h: a task that runs a command
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-task.h"
#include "job-version-macros.h"

G_BEGIN_DECLS

#define JOB_TYPE_COMMAND_TASK (job_command_task_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (
    JobCommandTask, job_command_task, JOB, COMMAND_TASK, JobTask)

JOB_AVAILABLE_IN_ALL
JobCommandTask *job_command_task_new (const char *const *argv);
JOB_AVAILABLE_IN_ALL
const char *const *job_command_task_get_argv (JobCommandTask *self);
JOB_AVAILABLE_IN_ALL
void job_command_task_set_argv (JobCommandTask *self, const char *const *argv);
JOB_AVAILABLE_IN_ALL
const char *const *job_command_task_get_env (JobCommandTask *self);
JOB_AVAILABLE_IN_ALL
void job_command_task_set_env (JobCommandTask *self, const char *const *env);
JOB_AVAILABLE_IN_ALL
const char *job_command_task_get_cwd (JobCommandTask *self);
JOB_AVAILABLE_IN_ALL
void job_command_task_set_cwd (JobCommandTask *self, const char *cwd);
JOB_AVAILABLE_IN_ALL
GBytes *job_command_task_get_stdin (JobCommandTask *self);
JOB_AVAILABLE_IN_ALL
void job_command_task_set_stdin (JobCommandTask *self, GBytes *stdin_bytes);

G_END_DECLS
