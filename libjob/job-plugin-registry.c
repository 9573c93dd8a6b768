/* job-plugin-registry.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "job-element.h"
#include "job-inputs.h"
#include "job-module-private.h"
#include "job-node-private.h"
#include "job-plugin-registry-private.h"
#include "job-python-private.h"
#include "job-serializable.h"
#include "job-source.h"

/**
 * JobPluginRegistry:
 *
 * Finds plugin kinds in plugin directories and loads them.
 *
 * An element kind `KIND` is the module `element-KIND.so`, a source kind the
 * module `source-KIND.so`, or in either case the Python file `KIND.py`
 * (see [method@Job.PluginRegistry.load_file]), in the first directory
 * that has one: project-local
 * directories ([method@Job.PluginRegistry.add_directory], from the
 * project's `plugins:` with origin `local`), then `$JOB_PLUGIN_PATH`, then
 * libjob's own (the build tree when running uninstalled, else the installed
 * one). A module registers its types in `job_module_load()`; every type it
 * registers has the module's path as its origin, so a worker that rebuilds
 * a pickled plugin loads the same module, from the same directories.
 *
 * A kind's defaults (`KIND.yaml`) are composed by the loader, not here.
 */

struct _JobPluginRegistry
{
  GObject parent_instance;

  GPtrArray *directories; /* char*, NULL-terminated */
  GHashTable *kinds;      /* "element:KIND" -> GType */
};

static char *
job_plugin_registry_get_reason (JobUnserializable *self)
{
  return g_strdup (
      "the plugin registry belongs to the process that loaded the project; "
      "a worker loads plugins by the origins in the pickle");
}

static void
job_plugin_registry_unserializable_init (JobUnserializableInterface *iface)
{
  iface->get_reason = job_plugin_registry_get_reason;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    JobPluginRegistry,
    job_plugin_registry,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_UNSERIALIZABLE,
                           job_plugin_registry_unserializable_init))

static void
job_plugin_registry_finalize (GObject *object)
{
  JobPluginRegistry *self = JOB_PLUGIN_REGISTRY (object);

  g_ptr_array_unref (self->directories);
  g_hash_table_unref (self->kinds);
  G_OBJECT_CLASS (job_plugin_registry_parent_class)->finalize (object);
}

static void
job_plugin_registry_class_init (JobPluginRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = job_plugin_registry_finalize;
}

static void
append_directory (JobPluginRegistry *self, const char *directory)
{
  g_autofree char *canonical = g_canonicalize_filename (directory, NULL);

  for (guint i = 0; i + 1 < self->directories->len; i++)
    if (g_str_equal (self->directories->pdata[i], canonical))
      return;
  g_ptr_array_insert (self->directories, self->directories->len - 1,
                      g_steal_pointer (&canonical));
}

static void
job_plugin_registry_init (JobPluginRegistry *self)
{
  const char *path = g_getenv ("JOB_PLUGIN_PATH");
  g_autofree char *build_elements =
      g_build_filename (JOB_BUILDDIR, "plugins", "elements", NULL);
  g_autofree char *build_sources =
      g_build_filename (JOB_BUILDDIR, "plugins", "sources", NULL);
  g_autofree char *installed =
      g_build_filename (JOB_PKGLIBDIR, "plugins", NULL);

  self->directories = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->directories, NULL);
  self->kinds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (path != NULL)
    {
      g_auto (GStrv) dirs = g_strsplit (path, G_SEARCHPATH_SEPARATOR_S, -1);
      for (guint i = 0; dirs[i] != NULL; i++)
        if (*dirs[i] != '\0')
          append_directory (self, dirs[i]);
    }
  /* Running uninstalled, the build tree's plugins match this library. */
  if (g_file_test (build_elements, G_FILE_TEST_IS_DIR))
    {
      append_directory (self, build_elements);
      append_directory (self, build_sources);
    }
  append_directory (self, installed);
}

/**
 * job_plugin_registry_new:
 *
 * Makes a registry that finds libjob's core plugins and those on
 * `$JOB_PLUGIN_PATH`.
 *
 * Returns: (transfer full): a new #JobPluginRegistry
 */
JobPluginRegistry *
job_plugin_registry_new (void)
{
  return g_object_new (JOB_TYPE_PLUGIN_REGISTRY, NULL);
}

/**
 * job_plugin_registry_add_directory:
 * @self: a #JobPluginRegistry
 * @directory: (type filename): a directory of plugin modules
 *
 * Adds a directory to search, before every other (a project's local
 * plugins override core kinds of the same name).
 */
void
job_plugin_registry_add_directory (JobPluginRegistry *self,
                                   const char *directory)
{
  g_autofree char *canonical = NULL;

  g_return_if_fail (JOB_IS_PLUGIN_REGISTRY (self));
  g_return_if_fail (directory != NULL);

  canonical = g_canonicalize_filename (directory, NULL);
  for (guint i = 0; i + 1 < self->directories->len; i++)
    if (g_str_equal (self->directories->pdata[i], canonical))
      return;
  g_ptr_array_insert (self->directories, 0, g_steal_pointer (&canonical));
}

/**
 * job_plugin_registry_get_directories:
 * @self: a #JobPluginRegistry
 *
 * Gets the directories searched, in order. Workers may load plugins from
 * these directories only.
 *
 * Returns: (transfer none) (array zero-terminated=1): the directories
 */
const char *const *
job_plugin_registry_get_directories (JobPluginRegistry *self)
{
  g_return_val_if_fail (JOB_IS_PLUGIN_REGISTRY (self), NULL);

  return (const char *const *) self->directories->pdata;
}

static const char *
prefix_for (JobPluginType plugin_type)
{
  return plugin_type == JOB_PLUGIN_TYPE_ELEMENT ? "element" : "source";
}

/* Loads the module or Python file at @path, confined to the registry's
 * directories, and returns the origin of the types it defines. */
static char *
load_plugin_file (JobPluginRegistry *self, const char *path, GError **error)
{
  const char *const *dirs = (const char *const *) self->directories->pdata;
  char resolved[PATH_MAX];
  g_autofree char *origin = NULL;

  if (realpath (path, resolved) == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "Plugin file %s cannot be loaded: %s", path,
                   g_strerror (saved_errno));
      return NULL;
    }
  if (g_str_has_suffix (resolved, ".py"))
    origin = g_strconcat (JOB_PYTHON_ORIGIN_PREFIX, resolved, NULL);
  else
    origin = g_strdup (resolved);
  if (!job_module_load_origin (origin, dirs, error))
    return NULL;
  return g_steal_pointer (&origin);
}

/**
 * job_plugin_registry_load_file:
 * @self: a #JobPluginRegistry
 * @path: (type filename): a plugin module (`.so`) or a Python plugin file
 *   (`.py`) in one of the registry's directories
 * @error: return location for a #GError
 *
 * Loads a plugin file unless it is loaded already, so that the types it
 * defines (element and source kinds, but also tasks or any other
 * #JobSerializable) can be made and pickled. Each type gets the file as its
 * origin (`python:PATH` for a Python file), so a worker that rebuilds one
 * loads the same file first; a task whose pickle names a Python file runs
 * in a worker that hosts Python.
 *
 * A Python file is imported through PyGObject: in this process's
 * interpreter if it runs Python already, else in one started for it. Each
 * GObject class it defines must have an explicit `__gtype_name__`.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_plugin_registry_load_file (JobPluginRegistry *self,
                               const char *path,
                               GError **error)
{
  g_autofree char *origin = NULL;

  g_return_val_if_fail (JOB_IS_PLUGIN_REGISTRY (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  origin = load_plugin_file (self, path, error);
  return origin != NULL;
}

static GType
find_type_from (GType base, const char *origin)
{
  g_autofree GType *children = NULL;
  guint n = 0;

  if (G_TYPE_IS_INSTANTIATABLE (base) && !G_TYPE_IS_ABSTRACT (base)
      && g_str_equal (job_type_get_origin (base), origin))
    return base;
  children = g_type_children (base, &n);
  for (guint i = 0; i < n; i++)
    {
      GType found = find_type_from (children[i], origin);
      if (found != G_TYPE_INVALID)
        return found;
    }
  return G_TYPE_INVALID;
}

/**
 * job_plugin_registry_lookup:
 * @self: a #JobPluginRegistry
 * @plugin_type: an element or a source kind
 * @kind: the kind's name
 * @error: return location for a #GError
 *
 * Finds the module that provides @kind, loads it if needed, and returns the
 * type it registered. A missing kind is %JOB_PLUGIN_ERROR_CONFIGURATION,
 * naming the directories searched.
 *
 * Returns: the kind's type, or %G_TYPE_INVALID with @error set
 */
GType
job_plugin_registry_lookup (JobPluginRegistry *self,
                            JobPluginType plugin_type,
                            const char *kind,
                            GError **error)
{
  g_autofree char *key = NULL;
  g_autofree char *module_name = NULL;
  g_autofree char *python_name = NULL;
  gpointer cached;

  g_return_val_if_fail (JOB_IS_PLUGIN_REGISTRY (self), G_TYPE_INVALID);
  g_return_val_if_fail (kind != NULL, G_TYPE_INVALID);

  key = g_strdup_printf ("%s:%s", prefix_for (plugin_type), kind);
  if (g_hash_table_lookup_extended (self->kinds, key, NULL, &cached))
    return (GType) GPOINTER_TO_SIZE (cached);

  module_name = g_strdup_printf ("%s-%s.%s", prefix_for (plugin_type), kind,
                                 G_MODULE_SUFFIX);
  python_name = g_strdup_printf ("%s.py", kind);
  for (guint i = 0; i + 1 < self->directories->len; i++)
    {
      g_autofree char *path =
          g_build_filename (self->directories->pdata[i], module_name, NULL);
      g_autofree char *origin = NULL;
      GType base = plugin_type == JOB_PLUGIN_TYPE_ELEMENT ? JOB_TYPE_ELEMENT
                                                          : JOB_TYPE_SOURCE;
      GType type;

      /* A module added to an earlier directory would take over the kind. */
      job_inputs_note (self->directories->pdata[i]);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          /* BuildStream's layout: a local plugin directory holds KIND.py. */
          g_free (path);
          path =
              g_build_filename (self->directories->pdata[i], python_name, NULL);
          if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
            continue;
        }
      job_inputs_note (path);
      origin = load_plugin_file (self, path, error);
      if (origin == NULL)
        return G_TYPE_INVALID;
      type = find_type_from (base, origin);
      if (type == G_TYPE_INVALID)
        {
          g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                       g_str_has_suffix (path, ".py")
                           ? "The Python plugin %s defines no subclass of %s: "
                             "it must define one, with an explicit "
                             "__gtype_name__"
                           : "The plugin module %s registers no %s type: its "
                             "job_module_load() must register one",
                       path, g_type_name (base));
          return G_TYPE_INVALID;
        }
      g_hash_table_insert (self->kinds, g_steal_pointer (&key),
                           GSIZE_TO_POINTER (type));
      return type;
    }

  {
    g_autofree char *searched =
        g_strjoinv (", ", (char **) self->directories->pdata);
    g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                 "No %s kind “%s”: no %s or %s in %s", prefix_for (plugin_type),
                 kind, module_name, python_name, searched);
  }
  return G_TYPE_INVALID;
}

/* An instance of @kind with its configuration and the element's resolved
 * @variables, not configured yet; errors start with @provenance. */
GObject *
job_plugin_registry_make (JobPluginRegistry *self,
                          JobPluginType plugin_type,
                          const char *kind,
                          const char *name,
                          JobNode *config,
                          JobNode *variables,
                          const char *project_directory,
                          const char *provenance,
                          GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GPtrArray) values = g_ptr_array_new ();
  GObject *plugin;
  GType type;

  type = job_plugin_registry_lookup (self, plugin_type, kind, error);
  if (type == G_TYPE_INVALID)
    {
      if (provenance != NULL)
        g_prefix_error (error, "%s: ", provenance);
      return NULL;
    }
  plugin = g_object_new (type, "name", name, "kind", kind, "config", config,
                         "project-directory", project_directory, NULL);
  job_node_scalars_to_arrays (variables, names, values);
  job_plugin_set_variables (JOB_PLUGIN (plugin),
                            (const char *const *) names->pdata,
                            (const char *const *) values->pdata);
  return plugin;
}

/* A source of @spec, configured and checked, keeping what it fetches under
 * @cache_root's sources/KIND. */
JobSource *
job_plugin_registry_make_source (JobPluginRegistry *self,
                                 JobSourceSpec *spec,
                                 const char *name,
                                 JobNode *variables,
                                 const char *project_directory,
                                 const char *cache_root,
                                 GError **error)
{
  g_autofree char *source_cache = g_build_filename (
      cache_root, "sources", job_source_spec_get_kind (spec), NULL);
  g_autoptr (GObject) source = NULL;

  source = job_plugin_registry_make (
      self, JOB_PLUGIN_TYPE_SOURCE, job_source_spec_get_kind (spec), name,
      job_source_spec_get_config (spec), variables, project_directory,
      job_source_spec_get_provenance (spec), error);
  if (source == NULL)
    return NULL;
  g_object_set (source, "directory", job_source_spec_get_directory (spec),
                "cache-directory", source_cache, NULL);
  if (!job_plugin_configure (JOB_PLUGIN (source), error)
      || !job_plugin_preflight (JOB_PLUGIN (source), error))
    return NULL;
  return JOB_SOURCE (g_steal_pointer (&source));
}
