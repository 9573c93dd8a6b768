/* job-python.c: loads the Python plugin host on demand
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <gmodule.h>

#include "job-plugin.h"
#include "job-python-private.h"

typedef gboolean (*HostInitFunc) (const char *typelib_dir,
                                  char **error_message);
typedef gboolean (*HostLoadFileFunc) (const char *path,
                                      const char *origin,
                                      char **error_message);
typedef gboolean (*HostRestoreEnvironFunc) (char **error_message);

G_LOCK_DEFINE_STATIC (python);
static HostLoadFileFunc host_load_file; /* set once the host runs */
static HostRestoreEnvironFunc host_restore_environ;

#ifdef JOB_PYTHON_LIBRARY
static gboolean
running_uninstalled (void)
{
  Dl_info info;
  char resolved[PATH_MAX];

  return dladdr ((void *) running_uninstalled, &info) != 0
         && info.dli_fname != NULL
         && realpath (*info.dli_fname != '\0' ? info.dli_fname
                                              : "/proc/self/exe",
                      resolved)
                != NULL
         && g_str_has_prefix (resolved, JOB_BUILDDIR "/");
}

/* With the lock held. */
static gboolean
load_host (GError **error)
{
  const char *host_path = running_uninstalled () ? JOB_BUILDDIR
                              "/libjob/python/job-python-host." G_MODULE_SUFFIX
                                                 : JOB_PKGLIBDIR
                              "/job-python-host." G_MODULE_SUFFIX;
  const char *typelib_dir =
      running_uninstalled () ? JOB_BUILDDIR "/libjob" : JOB_GIRDIR;
  const char *(*get_version) (void);
  GModule *host;
  HostInitFunc init = NULL;
  HostLoadFileFunc load_file = NULL;
  HostRestoreEnvironFunc restore_environ = NULL;
  g_autofree char *message = NULL;

  /* A PyGObject program has Python already: join its interpreter, if it is
   * the version the host was built for. Otherwise load libpython with
   * global symbols: Python's extension modules (gi._gi) resolve them
   * there. */
  get_version = (const char *(*) (void) ) dlsym (RTLD_DEFAULT, "Py_GetVersion");
  if (get_version != NULL)
    {
      const char *version = get_version ();

      if (!g_str_has_prefix (version, JOB_PYTHON_VERSION ".")
          && !g_str_has_prefix (version, JOB_PYTHON_VERSION " "))
        {
          g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                       "This program runs Python %.8s but libjob's Python "
                       "plugin host is built for Python %s: run the "
                       "program with Python %s",
                       version, JOB_PYTHON_VERSION, JOB_PYTHON_VERSION);
          return FALSE;
        }
    }
  else if (dlopen (JOB_PYTHON_LIBRARY, RTLD_NOW | RTLD_GLOBAL) == NULL)
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "Python plugins need %s, which cannot be loaded: %s; "
                   "install the Python %s runtime library",
                   JOB_PYTHON_LIBRARY, dlerror (), JOB_PYTHON_VERSION);
      return FALSE;
    }

  host = g_module_open (host_path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (host == NULL)
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "The Python plugin host %s cannot be loaded: %s", host_path,
                   g_module_error ());
      return FALSE;
    }
  g_module_make_resident (host);
  if (!g_module_symbol (host, "job_python_host_init", (gpointer *) &init)
      || !g_module_symbol (host, "job_python_host_load_file",
                           (gpointer *) &load_file)
      || !g_module_symbol (host, "job_python_host_restore_environ",
                           (gpointer *) &restore_environ))
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "%s is not libjob's Python plugin host: %s", host_path,
                   g_module_error ());
      return FALSE;
    }
  if (!init (typelib_dir, &message))
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "Python plugins cannot run: %s", message);
      return FALSE;
    }
  host_restore_environ = restore_environ;
  g_atomic_pointer_set (&host_load_file, load_file);
  return TRUE;
}
#else
static gboolean
load_host (GError **error)
{
  g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
               "This libjob was built without Python plugin support: "
               "rebuild it with -Dintrospection=true and Python's "
               "development files installed (Debian: python3-dev)");
  return FALSE;
}
#endif

gboolean
job_python_ensure (GError **error)
{
  gboolean ok = TRUE;

  G_LOCK (python);
  if (host_load_file == NULL)
    ok = load_host (error);
  G_UNLOCK (python);
  return ok;
}

gboolean
job_python_is_loaded (void)
{
  /* Lock-free: the worker pool asks for every task it sends. */
  return g_atomic_pointer_get (&host_load_file) != NULL;
}

gboolean
job_python_load_file (const char *path, const char *origin, GError **error)
{
  g_autofree char *message = NULL;
  HostLoadFileFunc load_file;

  if (!job_python_ensure (error))
    return FALSE;
  G_LOCK (python);
  load_file = host_load_file;
  G_UNLOCK (python);
  /* Not under the lock: the plugin's code may load other plugins. */
  if (!load_file (path, origin, &message))
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "Python plugin %s", message);
      return FALSE;
    }
  return TRUE;
}

gboolean
job_python_restore_environ (GError **error)
{
  g_autofree char *message = NULL;

  if (!job_python_is_loaded ())
    return TRUE;
  if (!host_restore_environ (&message))
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                   "Python plugin host: %s", message);
      return FALSE;
    }
  return TRUE;
}
