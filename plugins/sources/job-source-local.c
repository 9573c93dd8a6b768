/* job-source-local.c: the `local` source kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <libjob/job.h>

#include "job-plugin-util.h"

/* `local` stages a file or directory of the project (config `path`,
 * relative to the project directory). It has no ref: its unique key is a
 * checksum of the content, so editing a file changes the cache key of every
 * element that uses it. */

#define JOB_TYPE_LOCAL_SOURCE (job_local_source_get_type ())
G_DECLARE_FINAL_TYPE (
    JobLocalSource, job_local_source, JOB, LOCAL_SOURCE, JobSource)

struct _JobLocalSource
{
  JobSource parent_instance;
  char *path;
};

enum
{
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_DYNAMIC_TYPE (JobLocalSource, job_local_source, JOB_TYPE_SOURCE)

static void
job_local_source_finalize (GObject *object)
{
  g_free (JOB_LOCAL_SOURCE (object)->path);
  G_OBJECT_CLASS (job_local_source_parent_class)->finalize (object);
}

static void
job_local_source_get_property (GObject *object,
                               guint prop_id,
                               GValue *value,
                               GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, JOB_LOCAL_SOURCE (object)->path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_local_source_set_property (GObject *object,
                               guint prop_id,
                               const GValue *value,
                               GParamSpec *pspec)
{
  JobLocalSource *self = JOB_LOCAL_SOURCE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static char *
full_path (JobLocalSource *self)
{
  const char *project = job_plugin_get_project_directory (JOB_PLUGIN (self));

  return g_build_filename (project != NULL ? project : ".", self->path, NULL);
}

static gboolean
job_local_source_configure (JobPlugin *plugin, JobNode *config, GError **error)
{
  JobLocalSource *self = JOB_LOCAL_SOURCE (plugin);
  const char *const valid[] = { "kind", "directory", "path", NULL };
  JobNode *path_node;
  const char *path;

  if (!job_node_validate_keys (config, valid, error))
    return FALSE;
  path_node = job_node_require (config, "path", error);
  if (path_node == NULL
      || (path = job_node_as_string (path_node, error)) == NULL)
    return FALSE;
  if (g_path_is_absolute (path) || strstr (path, "..") != NULL)
    {
      g_autofree char *where = job_node_dup_provenance (path_node);

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "%s: the path “%s” must be relative and inside the project",
                   where, path);
      return FALSE;
    }
  g_free (self->path);
  self->path = g_strdup (path);
  return TRUE;
}

static gboolean
job_local_source_preflight (JobPlugin *plugin, GError **error)
{
  JobLocalSource *self = JOB_LOCAL_SOURCE (plugin);
  g_autofree char *path = full_path (self);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      JobNode *config = job_plugin_get_config (plugin);
      JobNode *node = config != NULL ? job_node_lookup (config, "path") : NULL;
      g_autofree char *where = node != NULL
                                   ? job_node_dup_provenance (node)
                                   : g_strdup (job_plugin_get_name (plugin));

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_PREFLIGHT,
                   "%s: the local path “%s” does not exist (%s)", where,
                   self->path, path);
      return FALSE;
    }
  return TRUE;
}

static GVariant *
job_local_source_get_unique_key (JobPlugin *plugin)
{
  JobLocalSource *self = JOB_LOCAL_SOURCE (plugin);
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *path = full_path (self);

  if (!job_plugin_util_checksum_tree (checksum, path, ""))
    g_checksum_update (checksum, (const guchar *) "missing", 7);
  return g_variant_new ("(ss)", self->path, g_checksum_get_string (checksum));
}

static gboolean
job_local_source_stage (JobSource *source,
                        const char *directory,
                        GCancellable *cancellable,
                        GError **error)
{
  JobLocalSource *self = JOB_LOCAL_SOURCE (source);
  g_autofree char *path = full_path (self);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return job_source_stage_directory (source, path, directory, cancellable,
                                       error);
  else
    {
      g_autoptr (GFile) from = g_file_new_for_path (path);
      g_autofree char *basename = g_path_get_basename (path);
      g_autofree char *dest = g_build_filename (directory, basename, NULL);
      g_autoptr (GFile) to = g_file_new_for_path (dest);

      return g_file_copy (from, to,
                          G_FILE_COPY_OVERWRITE | G_FILE_COPY_ALL_METADATA
                              | G_FILE_COPY_NOFOLLOW_SYMLINKS,
                          cancellable, NULL, NULL, error);
    }
}

static void
job_local_source_class_init (JobLocalSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_local_source_finalize;
  object_class->get_property = job_local_source_get_property;
  object_class->set_property = job_local_source_set_property;
  JOB_PLUGIN_CLASS (klass)->configure = job_local_source_configure;
  JOB_PLUGIN_CLASS (klass)->preflight = job_local_source_preflight;
  JOB_PLUGIN_CLASS (klass)->get_unique_key = job_local_source_get_unique_key;
  JOB_SOURCE_CLASS (klass)->stage = job_local_source_stage;

  properties[PROP_PATH] = g_param_spec_string (
      "path", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_local_source_class_finalize (JobLocalSourceClass *klass)
{
}

static void
job_local_source_init (JobLocalSource *self)
{
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  job_local_source_register_type (module);
}
