/* job-module.c: loadable plugin modules
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <gmodule.h>

#include "job-module-private.h"
#include "job-pickle-private.h"
#include "job-pickle.h"
#include "job-python-private.h"

struct _JobModule
{
  GTypeModule parent_instance;

  char *path;
  GModule *library;
  char *load_error;
};

G_DEFINE_FINAL_TYPE (JobModule, job_module, G_TYPE_TYPE_MODULE)

typedef void (*JobModuleLoadFunc) (GTypeModule *module);

static gboolean
job_module_load (GTypeModule *type_module)
{
  JobModule *self = JOB_MODULE (type_module);
  JobModuleLoadFunc load = NULL;

  g_clear_pointer (&self->load_error, g_free);
  self->library =
      g_module_open (self->path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (self->library == NULL)
    {
      self->load_error = g_strdup (g_module_error ());
      return FALSE;
    }
  if (!g_module_symbol (self->library, JOB_MODULE_LOAD_SYMBOL,
                        (gpointer *) &load)
      || load == NULL)
    {
      self->load_error =
          g_strdup_printf ("it does not export %s(): is it a libjob plugin?",
                           JOB_MODULE_LOAD_SYMBOL);
      g_module_close (self->library);
      self->library = NULL;
      return FALSE;
    }
  /* Plugins register static data (types, class vtables): never unload. */
  g_module_make_resident (self->library);
  load (type_module);
  return TRUE;
}

static void
job_module_unload (GTypeModule *type_module)
{
  /* Resident: nothing to do; GTypeModule keeps the types registered. */
}

static void
job_module_finalize (GObject *object)
{
  JobModule *self = JOB_MODULE (object);

  g_free (self->path);
  g_free (self->load_error);
  G_OBJECT_CLASS (job_module_parent_class)->finalize (object);
}

static void
job_module_class_init (JobModuleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GTypeModuleClass *module_class = G_TYPE_MODULE_CLASS (klass);

  object_class->finalize = job_module_finalize;
  module_class->load = job_module_load;
  module_class->unload = job_module_unload;
}

static void
job_module_init (JobModule *self)
{
}

G_LOCK_DEFINE_STATIC (modules);
static GHashTable *modules;      /* resolved path -> JobModule, never freed */
static GHashTable *python_files; /* resolved paths of loaded Python plugins */
static guint dirs_generation;    /* atomic */

static gboolean
path_is_inside (const char *path, const char *dir)
{
  char resolved[PATH_MAX];
  gsize len;

  if (realpath (dir, resolved) == NULL)
    return FALSE;
  len = strlen (resolved);
  if (len == 1 && resolved[0] == '/')
    return TRUE;
  return strncmp (path, resolved, len) == 0 && path[len] == '/';
}

/* Resolves @path into @resolved if it is absolute and inside one of
 * @allowed_dirs (NULL: anywhere). */
static gboolean
resolve_allowed (const char *path,
                 const char *const *allowed_dirs,
                 char resolved[PATH_MAX],
                 GError **error)
{
  gboolean allowed = allowed_dirs == NULL;

  if (!g_path_is_absolute (path))
    {
      g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE,
                   "Plugin module “%s”: not an absolute path", path);
      return FALSE;
    }
  if (realpath (path, resolved) == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE,
                   "Plugin module “%s” cannot be loaded: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }

  for (guint i = 0; !allowed && allowed_dirs[i] != NULL; i++)
    allowed = path_is_inside (resolved, allowed_dirs[i]);
  if (!allowed)
    {
      g_autofree char *dirs = allowed_dirs[0] != NULL
                                  ? g_strjoinv (", ", (char **) allowed_dirs)
                                  : g_strdup ("(none)");

      g_set_error (
          error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE,
          "Plugin module “%s” is not in an allowed plugin directory (%s); "
          "install it in one of them or add its directory to the plugin path",
          resolved, dirs);
      return FALSE;
    }
  return TRUE;
}

/* Imports a Python plugin file: types it defines get @origin. */
static gboolean
load_python_origin (const char *origin,
                    const char *const *allowed_dirs,
                    GError **error)
{
  char resolved[PATH_MAX];
  gboolean loaded;

  if (!resolve_allowed (origin + strlen (JOB_PYTHON_ORIGIN_PREFIX),
                        allowed_dirs, resolved, error))
    return FALSE;
  G_LOCK (modules);
  loaded =
      python_files != NULL && g_hash_table_contains (python_files, resolved);
  G_UNLOCK (modules);
  if (loaded)
    return TRUE;
  /* The host serializes imports under Python's own lock. */
  if (!job_python_load_file (resolved, origin, error))
    return FALSE;
  G_LOCK (modules);
  if (python_files == NULL)
    python_files = g_hash_table_new (g_str_hash, g_str_equal);
  if (!g_hash_table_contains (python_files, resolved))
    {
      g_hash_table_add (python_files, g_strdup (resolved));
      g_atomic_int_inc (&dirs_generation);
    }
  G_UNLOCK (modules);
  return TRUE;
}

gboolean
job_module_load_origin (const char *origin,
                        const char *const *allowed_dirs,
                        GError **error)
{
  g_return_val_if_fail (origin != NULL, FALSE);

  if (g_str_has_prefix (origin, JOB_PYTHON_ORIGIN_PREFIX))
    return load_python_origin (origin, allowed_dirs, error);
  return job_module_load_path (origin, allowed_dirs, error);
}

gboolean
job_module_load_path (const char *path,
                      const char *const *allowed_dirs,
                      GError **error)
{
  char resolved[PATH_MAX];
  JobModule *module;

  g_return_val_if_fail (path != NULL, FALSE);

  if (!resolve_allowed (path, allowed_dirs, resolved, error))
    return FALSE;

  /* Loading registers types: serialize it. */
  G_LOCK (modules);
  if (modules == NULL)
    modules = g_hash_table_new (g_str_hash, g_str_equal);
  module = g_hash_table_lookup (modules, resolved);
  if (module == NULL)
    {
      module = g_object_new (JOB_TYPE_MODULE, NULL);
      module->path = g_strdup (resolved);
      g_type_module_set_name (G_TYPE_MODULE (module), resolved);
      if (!g_type_module_use (G_TYPE_MODULE (module)))
        {
          g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE,
                       "Plugin module “%s” cannot be loaded: %s", resolved,
                       module->load_error != NULL ? module->load_error
                                                  : "unknown error");
          /* Nothing was registered: the module can go. */
          g_object_unref (module);
          G_UNLOCK (modules);
          return FALSE;
        }
      g_hash_table_insert (modules, module->path, module);
      g_atomic_int_inc (&dirs_generation);
    }
  G_UNLOCK (modules);
  return TRUE;
}

static void
add_dir_of (GPtrArray *dirs, const char *path)
{
  char *dir = g_path_get_dirname (path);

  for (guint i = 0; i < dirs->len; i++)
    if (strcmp (dirs->pdata[i], dir) == 0)
      {
        g_free (dir);
        return;
      }
  g_ptr_array_add (dirs, dir);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char **
job_module_dup_loaded_dirs (guint *generation)
{
  g_autoptr (GPtrArray) dirs = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  G_LOCK (modules);
  if (generation != NULL)
    *generation = g_atomic_int_get (&dirs_generation);
  if (modules != NULL)
    {
      g_hash_table_iter_init (&iter, modules);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        add_dir_of (dirs, key);
    }
  if (python_files != NULL)
    {
      g_hash_table_iter_init (&iter, python_files);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        add_dir_of (dirs, key);
    }
  G_UNLOCK (modules);
  g_ptr_array_sort (dirs, compare_strings);
  g_ptr_array_add (dirs, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&dirs), FALSE);
}

char **
job_module_dup_default_dirs (void)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  const char *path = g_getenv ("JOB_PLUGIN_PATH");
  g_auto (GStrv) loaded = job_module_dup_loaded_dirs (NULL);

  g_strv_builder_add (builder, JOB_PKGLIBDIR "/plugins");
  if (path != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (path, G_SEARCHPATH_SEPARATOR_S, -1);

      for (guint i = 0; parts[i] != NULL; i++)
        if (g_path_is_absolute (parts[i]))
          g_strv_builder_add (builder, parts[i]);
    }
  g_strv_builder_addv (builder, (const char **) loaded);
  return g_strv_builder_end (builder);
}

GObject *
job_pickle_load_frames_with_plugins (JobPickleFrames *frames,
                                     const char *const *allowed_dirs,
                                     GType root_type,
                                     GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_auto (GStrv) origins = NULL;
  g_auto (GStrv) default_dirs = NULL;
  GObject *object;

  object = job_unpickler_run_as (frames, root_type, &local_error);
  if (object != NULL
      || !g_error_matches (local_error, JOB_PICKLE_ERROR,
                           JOB_PICKLE_ERROR_UNKNOWN_TYPE))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return object;
    }

  origins = job_pickle_frames_get_origins (frames, error);
  if (origins == NULL)
    return NULL;
  if (allowed_dirs == NULL)
    allowed_dirs =
        (const char *const *) (default_dirs = job_module_dup_default_dirs ());
  for (guint i = 0; origins[i] != NULL; i++)
    if (!job_module_load_origin (origins[i], allowed_dirs, error))
      return NULL;
  return job_unpickler_run_as (frames, root_type, error);
}

guint
job_module_get_generation (void)
{
  return g_atomic_int_get (&dirs_generation);
}
