/* job-project.h: a project: project.conf, its options and defaults
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-node.h"
#include "job-version-macros.h"

G_BEGIN_DECLS

/**
 * JOB_FORMAT_VERSION:
 *
 * The highest `format-version` of project that libjob reads: that of
 * BuildStream 1.6, whose project format libjob follows.
 */
#define JOB_FORMAT_VERSION 18

#define JOB_TYPE_PROJECT (job_project_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (JobProject, job_project, JOB, PROJECT, GObject)

JOB_AVAILABLE_IN_ALL
JobProject *job_project_new (const char *directory);
JOB_AVAILABLE_IN_ALL
void
job_project_set_option (JobProject *self, const char *name, const char *value);
JOB_AVAILABLE_IN_ALL
gboolean
job_project_load (JobProject *self, GCancellable *cancellable, GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_project_is_loaded (JobProject *self);
JOB_AVAILABLE_IN_ALL
const char *job_project_get_directory (JobProject *self);
JOB_AVAILABLE_IN_ALL
const char *job_project_get_name (JobProject *self);
JOB_AVAILABLE_IN_ALL
const char *job_project_get_element_path (JobProject *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_project_get_config (JobProject *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_project_get_variables (JobProject *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_project_get_environment (JobProject *self);
JOB_AVAILABLE_IN_ALL
char **job_project_dup_option_names (JobProject *self);
JOB_AVAILABLE_IN_ALL
const char *job_project_get_option_value (JobProject *self, const char *name);
JOB_AVAILABLE_IN_ALL
const char *job_project_get_alias (JobProject *self, const char *alias);
JOB_AVAILABLE_IN_ALL
char *job_project_translate_url (JobProject *self, const char *url);
JOB_AVAILABLE_IN_ALL
const char *job_project_get_data_directory (void);

JOB_AVAILABLE_IN_ALL
char **job_project_dup_plugin_directories (JobProject *self);

JOB_AVAILABLE_IN_ALL
const char *job_project_get_workspace (JobProject *self, const char *element);
JOB_AVAILABLE_IN_ALL
char **job_project_dup_workspace_elements (JobProject *self);
JOB_AVAILABLE_IN_ALL
void job_project_set_workspace (JobProject *self,
                                const char *element,
                                const char *directory);
JOB_AVAILABLE_IN_ALL
gboolean job_project_save_workspaces (JobProject *self, GError **error);

G_END_DECLS
