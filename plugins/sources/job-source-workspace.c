/* job-source-workspace.c: the `workspace` source kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <libjob/job.h>

#include "job-plugin-util.h"

/* The loader gives an element with an open workspace (see `job workspace`)
 * this one source in place of its own: it stages the workspace directory
 * (config `path`, absolute) as it is now. Like `local`, it has no ref: its
 * unique key is a checksum of the content, so every edit in the workspace
 * changes the element's cache key. Where the workspace is does not count:
 * the same content builds the same artifact from any directory. */

#define JOB_TYPE_WORKSPACE_SOURCE (job_workspace_source_get_type ())
G_DECLARE_FINAL_TYPE (
    JobWorkspaceSource, job_workspace_source, JOB, WORKSPACE_SOURCE, JobSource)

struct _JobWorkspaceSource
{
  JobSource parent_instance;
  char *path;
  char *element;
};

enum
{
  PROP_0,
  PROP_PATH,
  PROP_ELEMENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_DYNAMIC_TYPE (JobWorkspaceSource,
                       job_workspace_source,
                       JOB_TYPE_SOURCE)

static void
job_workspace_source_finalize (GObject *object)
{
  JobWorkspaceSource *self = JOB_WORKSPACE_SOURCE (object);

  g_free (self->path);
  g_free (self->element);
  G_OBJECT_CLASS (job_workspace_source_parent_class)->finalize (object);
}

static void
job_workspace_source_get_property (GObject *object,
                                   guint prop_id,
                                   GValue *value,
                                   GParamSpec *pspec)
{
  JobWorkspaceSource *self = JOB_WORKSPACE_SOURCE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_ELEMENT:
      g_value_set_string (value, self->element);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_workspace_source_set_property (GObject *object,
                                   guint prop_id,
                                   const GValue *value,
                                   GParamSpec *pspec)
{
  JobWorkspaceSource *self = JOB_WORKSPACE_SOURCE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    case PROP_ELEMENT:
      g_free (self->element);
      self->element = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
job_workspace_source_configure (JobPlugin *plugin,
                                JobNode *config,
                                GError **error)
{
  JobWorkspaceSource *self = JOB_WORKSPACE_SOURCE (plugin);
  const char *const valid[] = { "kind", "directory", "path", "element", NULL };
  JobNode *path_node;
  const char *path, *element;

  if (!job_node_validate_keys (config, valid, error))
    return FALSE;
  path_node = job_node_require (config, "path", error);
  if (path_node == NULL
      || (path = job_node_as_string (path_node, error)) == NULL)
    return FALSE;
  if (!g_path_is_absolute (path))
    {
      g_autofree char *where = job_node_dup_provenance (path_node);

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "%s: a workspace path must be absolute, not “%s”", where,
                   path);
      return FALSE;
    }
  element = job_node_get_string (config, "element", NULL, error);
  if (element == NULL && *error != NULL)
    return FALSE;
  g_free (self->path);
  self->path = g_strdup (path);
  g_free (self->element);
  self->element = g_strdup (element);
  return TRUE;
}

static gboolean
job_workspace_source_preflight (JobPlugin *plugin, GError **error)
{
  JobWorkspaceSource *self = JOB_WORKSPACE_SOURCE (plugin);
  const char *element = self->element != NULL ? self->element : "ELEMENT";

  if (!g_file_test (self->path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (
          error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_PREFLIGHT,
          "%s: the workspace directory “%s” does not exist; stage the "
          "sources into it again with “job workspace reset %s”, or build "
          "from the sources with “job workspace close %s”",
          job_plugin_get_name (plugin), self->path, element, element);
      return FALSE;
    }
  return TRUE;
}

static GVariant *
job_workspace_source_get_unique_key (JobPlugin *plugin)
{
  JobWorkspaceSource *self = JOB_WORKSPACE_SOURCE (plugin);
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  if (!job_plugin_util_checksum_tree (checksum, self->path, ""))
    g_checksum_update (checksum, (const guchar *) "missing", 7);
  return g_variant_new ("(ss)", "workspace", g_checksum_get_string (checksum));
}

static gboolean
job_workspace_source_is_cached (JobSource *source)
{
  return g_file_test (JOB_WORKSPACE_SOURCE (source)->path, G_FILE_TEST_IS_DIR);
}

static gboolean
job_workspace_source_stage (JobSource *source,
                            const char *directory,
                            GCancellable *cancellable,
                            GError **error)
{
  JobWorkspaceSource *self = JOB_WORKSPACE_SOURCE (source);

  /* A copy: what the build does in its directory stays out of the
   * workspace. */
  return job_source_stage_directory (source, self->path, directory, cancellable,
                                     error);
}

static void
job_workspace_source_class_init (JobWorkspaceSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_workspace_source_finalize;
  object_class->get_property = job_workspace_source_get_property;
  object_class->set_property = job_workspace_source_set_property;
  JOB_PLUGIN_CLASS (klass)->configure = job_workspace_source_configure;
  JOB_PLUGIN_CLASS (klass)->preflight = job_workspace_source_preflight;
  JOB_PLUGIN_CLASS (klass)->get_unique_key =
      job_workspace_source_get_unique_key;
  JOB_SOURCE_CLASS (klass)->is_cached = job_workspace_source_is_cached;
  JOB_SOURCE_CLASS (klass)->stage = job_workspace_source_stage;

  properties[PROP_PATH] = g_param_spec_string (
      "path", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ELEMENT] = g_param_spec_string (
      "element", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_workspace_source_class_finalize (JobWorkspaceSourceClass *klass)
{
}

static void
job_workspace_source_init (JobWorkspaceSource *self)
{
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  job_workspace_source_register_type (module);
}
