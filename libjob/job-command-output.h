/* job-command-output.h: what a command run by JobCommandTask did
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

#define JOB_TYPE_COMMAND_OUTPUT (job_command_output_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (
    JobCommandOutput, job_command_output, JOB, COMMAND_OUTPUT, GObject)

JOB_AVAILABLE_IN_ALL
int job_command_output_get_exit_status (JobCommandOutput *self);
JOB_AVAILABLE_IN_ALL
int job_command_output_get_term_signal (JobCommandOutput *self);
JOB_AVAILABLE_IN_ALL
GBytes *job_command_output_get_stdout (JobCommandOutput *self);
JOB_AVAILABLE_IN_ALL
GBytes *job_command_output_get_stderr (JobCommandOutput *self);

G_END_DECLS
