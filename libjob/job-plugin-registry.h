/* job-plugin-registry.h: finding and loading plugin kinds
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

/**
 * JobPluginType:
 * @JOB_PLUGIN_TYPE_ELEMENT: an element kind, in a module named
 *   `element-KIND.so` or a Python file `KIND.py`
 * @JOB_PLUGIN_TYPE_SOURCE: a source kind, in a module named
 *   `source-KIND.so` or a Python file `KIND.py`
 *
 * What a plugin kind is.
 */
typedef enum
{
  JOB_PLUGIN_TYPE_ELEMENT,
  JOB_PLUGIN_TYPE_SOURCE,
} JobPluginType;

#define JOB_TYPE_PLUGIN_REGISTRY (job_plugin_registry_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (
    JobPluginRegistry, job_plugin_registry, JOB, PLUGIN_REGISTRY, GObject)

JOB_AVAILABLE_IN_ALL
JobPluginRegistry *job_plugin_registry_new (void);
JOB_AVAILABLE_IN_ALL
void job_plugin_registry_add_directory (JobPluginRegistry *self,
                                        const char *directory);
JOB_AVAILABLE_IN_ALL
const char *const *
job_plugin_registry_get_directories (JobPluginRegistry *self);
JOB_AVAILABLE_IN_ALL
GType job_plugin_registry_lookup (JobPluginRegistry *self,
                                  JobPluginType plugin_type,
                                  const char *kind,
                                  GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_plugin_registry_load_file (JobPluginRegistry *self,
                                        const char *path,
                                        GError **error);

G_END_DECLS
