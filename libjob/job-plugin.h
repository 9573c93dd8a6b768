/* job-plugin.h: the base class of element and source plugins
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <glib-object.h>

#include "job-node.h"
#include "job-version-macros.h"

G_BEGIN_DECLS

/**
 * JOB_PLUGIN_ERROR:
 *
 * The error domain of plugins. Codes are in [error@Job.PluginError].
 */
#define JOB_PLUGIN_ERROR (job_plugin_error_quark ())

/**
 * JobPluginError:
 * @JOB_PLUGIN_ERROR_CONFIGURATION: the plugin's configuration is wrong
 * @JOB_PLUGIN_ERROR_PREFLIGHT: something the plugin needs on the host is
 *   missing
 * @JOB_PLUGIN_ERROR_VARIABLE: a `%{name}` reference names no variable
 * @JOB_PLUGIN_ERROR_FAILED: the plugin's work failed
 *
 * The error codes of %JOB_PLUGIN_ERROR.
 */
typedef enum
{
  JOB_PLUGIN_ERROR_CONFIGURATION,
  JOB_PLUGIN_ERROR_PREFLIGHT,
  JOB_PLUGIN_ERROR_VARIABLE,
  JOB_PLUGIN_ERROR_FAILED,
} JobPluginError;

JOB_AVAILABLE_IN_ALL
GQuark job_plugin_error_quark (void);

#define JOB_TYPE_PLUGIN (job_plugin_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (JobPlugin, job_plugin, JOB, PLUGIN, GObject)

/**
 * JobPluginClass:
 * @parent_class: the parent class
 * @configure: reads the plugin's configuration into its properties; errors
 *   name the provenance of the offending node
 * @preflight: checks that what the plugin needs on the host is there
 * @get_unique_key: returns everything of the plugin that affects its output,
 *   as a #GVariant; it feeds the cache key
 *
 * The virtual methods of [class@Job.Plugin].
 */
struct _JobPluginClass
{
  GObjectClass parent_class;

  gboolean (*configure) (JobPlugin *self, JobNode *config, GError **error);
  gboolean (*preflight) (JobPlugin *self, GError **error);
  GVariant *(*get_unique_key) (JobPlugin *self);

  /*< private >*/
  gpointer padding[8];
};

JOB_AVAILABLE_IN_ALL
const char *job_plugin_get_name (JobPlugin *self);
JOB_AVAILABLE_IN_ALL
const char *job_plugin_get_kind (JobPlugin *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_plugin_get_config (JobPlugin *self);
JOB_AVAILABLE_IN_ALL
const char *job_plugin_get_project_directory (JobPlugin *self);
JOB_AVAILABLE_IN_ALL
const char *job_plugin_get_variable (JobPlugin *self, const char *name);
JOB_AVAILABLE_IN_ALL
void job_plugin_set_variables (JobPlugin *self,
                               const char *const *names,
                               const char *const *values);
JOB_AVAILABLE_IN_ALL
char *job_plugin_subst (JobPlugin *self, const char *text, GError **error);
JOB_AVAILABLE_IN_ALL
char **job_plugin_subst_list (JobPlugin *self,
                              JobNode *node,
                              const char *key,
                              GError **error);

JOB_AVAILABLE_IN_ALL
gboolean job_plugin_configure (JobPlugin *self, GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_plugin_preflight (JobPlugin *self, GError **error);
JOB_AVAILABLE_IN_ALL
GVariant *job_plugin_get_unique_key (JobPlugin *self);

G_END_DECLS
