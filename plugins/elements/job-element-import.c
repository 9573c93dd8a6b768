/* job-element-import.c: the `import` element kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>

#include <libjob/job.h>

/* `import` stages its sources and collects a directory of them as its
 * artifact, without running anything: config `source` (the directory of the
 * staged sources to take, default /) and `target` (where it lands in the
 * artifact, default /). */

#define JOB_TYPE_IMPORT_ELEMENT (job_import_element_get_type ())
G_DECLARE_FINAL_TYPE (
    JobImportElement, job_import_element, JOB, IMPORT_ELEMENT, JobElement)

struct _JobImportElement
{
  JobElement parent_instance;
  char *source;
  char *target;
};

enum
{
  PROP_0,
  PROP_SOURCE,
  PROP_TARGET,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_DYNAMIC_TYPE (JobImportElement, job_import_element, JOB_TYPE_ELEMENT)

static void
job_import_element_finalize (GObject *object)
{
  JobImportElement *self = JOB_IMPORT_ELEMENT (object);

  g_free (self->source);
  g_free (self->target);
  G_OBJECT_CLASS (job_import_element_parent_class)->finalize (object);
}

static void
job_import_element_get_property (GObject *object,
                                 guint prop_id,
                                 GValue *value,
                                 GParamSpec *pspec)
{
  JobImportElement *self = JOB_IMPORT_ELEMENT (object);

  switch (prop_id)
    {
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;
    case PROP_TARGET:
      g_value_set_string (value, self->target);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_import_element_set_property (GObject *object,
                                 guint prop_id,
                                 const GValue *value,
                                 GParamSpec *pspec)
{
  JobImportElement *self = JOB_IMPORT_ELEMENT (object);

  switch (prop_id)
    {
    case PROP_SOURCE:
      g_free (self->source);
      self->source = g_value_dup_string (value);
      break;
    case PROP_TARGET:
      g_free (self->target);
      self->target = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
read_path (JobPlugin *plugin,
           JobNode *config,
           const char *key,
           char **out,
           GError **error)
{
  g_autoptr (GError) local_error = NULL;
  const char *raw = job_node_get_string (config, key, "/", error);
  g_autofree char *expanded = NULL;

  if (raw == NULL)
    return FALSE;
  expanded = job_plugin_subst (plugin, raw, &local_error);
  if (expanded == NULL)
    {
      JobNode *node = job_node_lookup (config, key);
      g_autofree char *where = node != NULL
                                   ? job_node_dup_provenance (node)
                                   : g_strdup (job_plugin_get_name (plugin));

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_VARIABLE, "%s: %s",
                   where, local_error->message);
      return FALSE;
    }
  g_free (*out);
  *out = g_steal_pointer (&expanded);
  return TRUE;
}

static gboolean
job_import_element_configure (JobPlugin *plugin,
                              JobNode *config,
                              GError **error)
{
  JobImportElement *self = JOB_IMPORT_ELEMENT (plugin);
  const char *const valid[] = { "source", "target", NULL };

  return job_node_validate_keys (config, valid, error)
         && read_path (plugin, config, "source", &self->source, error)
         && read_path (plugin, config, "target", &self->target, error);
}

static GVariant *
job_import_element_get_unique_key (JobPlugin *plugin)
{
  JobImportElement *self = JOB_IMPORT_ELEMENT (plugin);

  return g_variant_new ("(ss)", self->source, self->target);
}

static gboolean
job_import_element_stage (JobElement *element,
                          JobBuildContext *context,
                          GCancellable *cancellable,
                          GError **error)
{
  /* Only the sources: an import collects them, it builds nothing. */
  return job_build_context_stage_sources (context, cancellable, error);
}

static char *
job_import_element_assemble (JobElement *element,
                             JobBuildContext *context,
                             GCancellable *cancellable,
                             GError **error)
{
  JobImportElement *self = JOB_IMPORT_ELEMENT (element);
  g_autofree char *from = g_build_filename (
      job_build_context_get_build_directory (context), self->source, NULL);
  g_autofree char *to = NULL;

  if (!g_file_test (from, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                   "%s: the sources have no directory “%s” to import",
                   job_plugin_get_name (JOB_PLUGIN (element)), self->source);
      return NULL;
    }
  /* The build directory is scratch: at `/` collect the sources where they
   * are, elsewhere move them into place. */
  if (g_str_equal (self->target, "/") || *self->target == '\0')
    return g_steal_pointer (&from);
  to = g_build_filename (job_build_context_get_install_directory (context),
                         self->target, NULL);
  {
    g_autofree char *parent = g_path_get_dirname (to);

    if (g_mkdir_with_parents (parent, 0755) == 0 && rename (from, to) == 0)
      return g_strdup (job_build_context_get_install_directory (context));
  }
  if (!job_build_context_copy_files (context, from, to, cancellable, error))
    return NULL;
  return g_strdup (job_build_context_get_install_directory (context));
}

static void
job_import_element_class_init (JobImportElementClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_import_element_finalize;
  object_class->get_property = job_import_element_get_property;
  object_class->set_property = job_import_element_set_property;
  JOB_PLUGIN_CLASS (klass)->configure = job_import_element_configure;
  JOB_PLUGIN_CLASS (klass)->get_unique_key = job_import_element_get_unique_key;
  JOB_ELEMENT_CLASS (klass)->stage = job_import_element_stage;
  JOB_ELEMENT_CLASS (klass)->assemble = job_import_element_assemble;

  properties[PROP_SOURCE] = g_param_spec_string (
      "source", NULL, NULL, "/", G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TARGET] = g_param_spec_string (
      "target", NULL, NULL, "/", G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_import_element_class_finalize (JobImportElementClass *klass)
{
}

static void
job_import_element_init (JobImportElement *self)
{
  self->source = g_strdup ("/");
  self->target = g_strdup ("/");
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  job_import_element_register_type (module);
}
