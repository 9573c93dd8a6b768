/* job-source-patch.c: the `patch` source kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <libjob/job.h>

#include "job-plugin-util.h"

/* `patch` applies a patch file of the project (config `path`, relative to
 * the project directory) to what the sources before it staged, with the
 * host's `patch -p<strip-level>` run inside the staging directory. Like
 * `local` it has no ref: its unique key holds the patch's sha256. */

#define JOB_TYPE_PATCH_SOURCE (job_patch_source_get_type ())
G_DECLARE_FINAL_TYPE (
    JobPatchSource, job_patch_source, JOB, PATCH_SOURCE, JobSource)

struct _JobPatchSource
{
  JobSource parent_instance;
  char *path;
  guint strip_level;
};

enum
{
  PROP_0,
  PROP_PATH,
  PROP_STRIP_LEVEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_DYNAMIC_TYPE (JobPatchSource, job_patch_source, JOB_TYPE_SOURCE)

static void
job_patch_source_finalize (GObject *object)
{
  g_free (JOB_PATCH_SOURCE (object)->path);
  G_OBJECT_CLASS (job_patch_source_parent_class)->finalize (object);
}

static void
job_patch_source_get_property (GObject *object,
                               guint prop_id,
                               GValue *value,
                               GParamSpec *pspec)
{
  JobPatchSource *self = JOB_PATCH_SOURCE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_STRIP_LEVEL:
      g_value_set_uint (value, self->strip_level);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_patch_source_set_property (GObject *object,
                               guint prop_id,
                               const GValue *value,
                               GParamSpec *pspec)
{
  JobPatchSource *self = JOB_PATCH_SOURCE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    case PROP_STRIP_LEVEL:
      self->strip_level = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static char *
full_path (JobPatchSource *self)
{
  const char *project = job_plugin_get_project_directory (JOB_PLUGIN (self));

  return g_build_filename (project != NULL ? project : ".", self->path, NULL);
}

static gboolean
job_patch_source_configure (JobPlugin *plugin, JobNode *config, GError **error)
{
  JobPatchSource *self = JOB_PATCH_SOURCE (plugin);
  const char *const valid[] = { "kind", "directory", "path", "strip-level",
                                NULL };
  JobNode *path_node;
  const char *path;
  gint64 strip_level;

  if (!job_node_validate_keys (config, valid, error))
    return FALSE;
  path_node = job_node_require (config, "path", error);
  if (path_node == NULL
      || (path = job_node_as_string (path_node, error)) == NULL
      || !job_node_get_int64 (config, "strip-level", 1, &strip_level, error))
    return FALSE;
  if (g_path_is_absolute (path) || strstr (path, "..") != NULL)
    {
      g_autofree char *where = job_node_dup_provenance (path_node);

      g_set_error (
          error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
          "%s: the patch path “%s” must be relative and inside the project",
          where, path);
      return FALSE;
    }
  if (strip_level < 0 || strip_level > 64)
    {
      g_autofree char *where = job_plugin_util_where (plugin, "strip-level");

      g_set_error (
          error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
          "%s: strip-level must be between 0 and 64, not %" G_GINT64_FORMAT,
          where, strip_level);
      return FALSE;
    }
  g_object_set (self, "path", path, "strip-level", (guint) strip_level, NULL);
  return TRUE;
}

static gboolean
job_patch_source_preflight (JobPlugin *plugin, GError **error)
{
  JobPatchSource *self = JOB_PATCH_SOURCE (plugin);
  g_autofree char *path = full_path (self);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *where = job_plugin_util_where (plugin, "path");

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_PREFLIGHT,
                   "%s: the patch file “%s” does not exist (%s)", where,
                   self->path, path);
      return FALSE;
    }
  return job_plugin_util_require_program (plugin, "patch", error);
}

static GVariant *
job_patch_source_get_unique_key (JobPlugin *plugin)
{
  JobPatchSource *self = JOB_PATCH_SOURCE (plugin);
  g_autofree char *path = full_path (self);
  g_autofree char *sha = NULL;

  job_inputs_note (path);
  sha = job_plugin_util_sha256_file (path, NULL);
  return g_variant_new ("(sus)", self->path, self->strip_level,
                        sha != NULL ? sha : "missing");
}

static gboolean
job_patch_source_stage (JobSource *source,
                        const char *directory,
                        GCancellable *cancellable,
                        GError **error)
{
  JobPatchSource *self = JOB_PATCH_SOURCE (source);
  g_autofree char *path = full_path (self);
  g_autofree char *strip = g_strdup_printf ("-p%u", self->strip_level);
  const char *argv[] = {
    "patch", strip, "--batch", "--forward", "--no-backup-if-mismatch",
    "-i",    path,  NULL
  };

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                   "%s: the patch file %s is missing",
                   job_plugin_get_name (JOB_PLUGIN (self)), path);
      return FALSE;
    }
  if (!job_plugin_util_run (JOB_PLUGIN (self), argv, NULL, directory, NULL,
                            cancellable, error))
    {
      g_prefix_error (error, "cannot apply %s: ", self->path);
      return FALSE;
    }
  return TRUE;
}

static void
job_patch_source_class_init (JobPatchSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_patch_source_finalize;
  object_class->get_property = job_patch_source_get_property;
  object_class->set_property = job_patch_source_set_property;
  JOB_PLUGIN_CLASS (klass)->configure = job_patch_source_configure;
  JOB_PLUGIN_CLASS (klass)->preflight = job_patch_source_preflight;
  JOB_PLUGIN_CLASS (klass)->get_unique_key = job_patch_source_get_unique_key;
  JOB_SOURCE_CLASS (klass)->stage = job_patch_source_stage;

  properties[PROP_PATH] = g_param_spec_string (
      "path", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STRIP_LEVEL] =
      g_param_spec_uint ("strip-level", NULL, NULL, 0, 64, 1,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_patch_source_class_finalize (JobPatchSourceClass *klass)
{
}

static void
job_patch_source_init (JobPatchSource *self)
{
  self->strip_level = 1;
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  job_patch_source_register_type (module);
}
