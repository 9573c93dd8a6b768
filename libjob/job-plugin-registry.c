/* job-plugin-registry.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-element.h"
#include "job-inputs.h"
#include "job-module-private.h"
#include "job-plugin-registry.h"
#include "job-serializable.h"
#include "job-source.h"

/**
 * JobPluginRegistry:
 *
 * Finds plugin kinds in plugin directories and loads them.
 *
 * An element kind `KIND` is the module `element-KIND.so`, a source kind the
 * module `source-KIND.so`, in the first directory that has it: project-local
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
  gpointer cached;

  g_return_val_if_fail (JOB_IS_PLUGIN_REGISTRY (self), G_TYPE_INVALID);
  g_return_val_if_fail (kind != NULL, G_TYPE_INVALID);

  key = g_strdup_printf ("%s:%s", prefix_for (plugin_type), kind);
  if (g_hash_table_lookup_extended (self->kinds, key, NULL, &cached))
    return (GType) GPOINTER_TO_SIZE (cached);

  module_name = g_strdup_printf ("%s-%s.%s", prefix_for (plugin_type), kind,
                                 G_MODULE_SUFFIX);
  for (guint i = 0; i + 1 < self->directories->len; i++)
    {
      g_autofree char *path =
          g_build_filename (self->directories->pdata[i], module_name, NULL);
      GType base = plugin_type == JOB_PLUGIN_TYPE_ELEMENT ? JOB_TYPE_ELEMENT
                                                          : JOB_TYPE_SOURCE;
      GType type;

      /* A module added to an earlier directory would take over the kind. */
      job_inputs_note (self->directories->pdata[i]);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      job_inputs_note (path);
      if (!job_module_load_path (
              path, (const char *const *) self->directories->pdata, error))
        return G_TYPE_INVALID;
      type = find_type_from (base, path);
      if (type == G_TYPE_INVALID)
        {
          g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                       "The plugin module %s registers no %s type: its "
                       "job_module_load() "
                       "must register one",
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
                 "No %s kind “%s”: no %s in %s", prefix_for (plugin_type), kind,
                 module_name, searched);
  }
  return G_TYPE_INVALID;
}
