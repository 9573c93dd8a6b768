/* job-module-private.h: loadable plugin modules
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

#include "job-version-macros.h"

G_BEGIN_DECLS

/* A plugin module is a shared object that exports
 *
 *   void job_module_load (GTypeModule *module);
 *
 * in which it registers its types with G_DEFINE_DYNAMIC_TYPE's
 * `*_register_type (module)`. Once loaded a module stays resident. Its
 * GTypeModule name is its absolute, resolved path, which is therefore the
 * origin (job_type_get_origin()) of every type it registers. */
#define JOB_MODULE_LOAD_SYMBOL "job_module_load"

#define JOB_TYPE_MODULE (job_module_get_type ())

G_DECLARE_FINAL_TYPE (JobModule, job_module, JOB, MODULE, GTypeModule)

/* Loads the module at @path unless it is loaded already. @path must be
 * absolute and, once symbolic links are resolved, inside one of
 * @allowed_dirs (NULL: anywhere). Exported for job-worker. */
JOB_AVAILABLE_IN_ALL
gboolean job_module_load_path (const char *path,
                               const char *const *allowed_dirs,
                               GError **error);

/* Loads what an origin names: a module path (as job_module_load_path()) or
 * a Python plugin file ("python:PATH", imported through the Python host),
 * confined to @allowed_dirs alike. Exported for job-worker. */
JOB_AVAILABLE_IN_ALL
gboolean job_module_load_origin (const char *origin,
                                 const char *const *allowed_dirs,
                                 GError **error);

/* Rebuilds @frames, whose root must be a @root_type (G_TYPE_OBJECT: any;
 * else refused before anything is instantiated); if a type is unknown,
 * loads the pickle's origins
 * (confined to @allowed_dirs, NULL: job_module_dup_default_dirs()) and
 * tries again. Most pickles name only loaded types, so their origins are
 * not even parsed. */
typedef struct _JobPickleFrames JobPickleFrames;
JOB_AVAILABLE_IN_ALL
GObject *job_pickle_load_frames_with_plugins (JobPickleFrames *frames,
                                              const char *const *allowed_dirs,
                                              GType root_type,
                                              GError **error);

/* The default plugin directories: the installed one and $JOB_PLUGIN_PATH,
 * then those of the modules loaded so far. */
JOB_AVAILABLE_IN_ALL
char **job_module_dup_default_dirs (void);

/* The directories of the modules loaded so far, resolved, sorted; and a
 * counter that changes whenever that set grows. */
JOB_AVAILABLE_IN_ALL
guint job_module_get_generation (void);
JOB_AVAILABLE_IN_ALL
char **job_module_dup_loaded_dirs (guint *generation);

G_END_DECLS
