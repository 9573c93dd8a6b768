/* job-inputs.h: the host files a computation read, to know when it is stale
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

#define JOB_TYPE_INPUTS (job_inputs_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (JobInputs, job_inputs, JOB, INPUTS, GObject)

JOB_AVAILABLE_IN_ALL
JobInputs *job_inputs_new (void);
JOB_AVAILABLE_IN_ALL
void job_inputs_start_recording (JobInputs *self);
JOB_AVAILABLE_IN_ALL
void job_inputs_stop_recording (JobInputs *self);
JOB_AVAILABLE_IN_ALL
void job_inputs_note (const char *path);
JOB_AVAILABLE_IN_ALL
guint job_inputs_get_n_paths (JobInputs *self);
JOB_AVAILABLE_IN_ALL
gboolean job_inputs_save (JobInputs *self,
                          const char *state_path,
                          const char *const *values,
                          gint64 started,
                          GError **error);
JOB_AVAILABLE_IN_ALL
char **job_inputs_check (const char *state_path);

G_END_DECLS
