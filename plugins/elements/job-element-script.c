/* job-element-script.c: the `script` element kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <libjob/job.h>

#include "job-plugin-util.h"

/* `script` runs commands over its staged build dependencies, as
 * BuildStream's script element: config `commands` (run one after the other
 * in the sandbox, in `%{cwd}`), `layout` (a list of {element, destination}:
 * where dependencies are staged; an entry without `element` only makes the
 * directory), `root-read-only` and `create-dev-shm`. The artifact is
 * `%{install-root}`.
 *
 * An entry naming an element stages that build dependency with its
 * runtime closure at its destination; the integration commands of what is
 * staged at `/` run before `commands`. Without a layout every build
 * dependency is staged at `/`.
 *
 * Limits: the staged root holds hard links into the artifact cache and is
 * mounted read-only unless integration commands need it writable:
 * `root-read-only: false` alone is noted in the log, and commands write
 * into %{install-root}, %{build-root} or /tmp. `create-dev-shm` is accepted
 * and has no effect. */

#define JOB_TYPE_SCRIPT_ELEMENT (job_script_element_get_type ())
G_DECLARE_FINAL_TYPE (
    JobScriptElement, job_script_element, JOB, SCRIPT_ELEMENT, JobElement)

struct _JobScriptElement
{
  JobElement parent_instance;
  GStrv commands;
  GStrv layout_elements; /* "" for an entry without element */
  GStrv layout_destinations;
  gboolean root_read_only;
  gboolean create_dev_shm;
  char *cwd;
};

enum
{
  PROP_0,
  PROP_COMMANDS,
  PROP_LAYOUT_ELEMENTS,
  PROP_LAYOUT_DESTINATIONS,
  PROP_ROOT_READ_ONLY,
  PROP_CREATE_DEV_SHM,
  PROP_CWD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_DYNAMIC_TYPE (JobScriptElement, job_script_element, JOB_TYPE_ELEMENT)

static void
job_script_element_finalize (GObject *object)
{
  JobScriptElement *self = JOB_SCRIPT_ELEMENT (object);

  g_strfreev (self->commands);
  g_strfreev (self->layout_elements);
  g_strfreev (self->layout_destinations);
  g_free (self->cwd);
  G_OBJECT_CLASS (job_script_element_parent_class)->finalize (object);
}

static void
job_script_element_get_property (GObject *object,
                                 guint prop_id,
                                 GValue *value,
                                 GParamSpec *pspec)
{
  JobScriptElement *self = JOB_SCRIPT_ELEMENT (object);

  switch (prop_id)
    {
    case PROP_COMMANDS:
      g_value_set_boxed (value, self->commands);
      break;
    case PROP_LAYOUT_ELEMENTS:
      g_value_set_boxed (value, self->layout_elements);
      break;
    case PROP_LAYOUT_DESTINATIONS:
      g_value_set_boxed (value, self->layout_destinations);
      break;
    case PROP_ROOT_READ_ONLY:
      g_value_set_boolean (value, self->root_read_only);
      break;
    case PROP_CREATE_DEV_SHM:
      g_value_set_boolean (value, self->create_dev_shm);
      break;
    case PROP_CWD:
      g_value_set_string (value, self->cwd);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_script_element_set_property (GObject *object,
                                 guint prop_id,
                                 const GValue *value,
                                 GParamSpec *pspec)
{
  JobScriptElement *self = JOB_SCRIPT_ELEMENT (object);

  switch (prop_id)
    {
    case PROP_COMMANDS:
      g_strfreev (self->commands);
      self->commands = g_value_dup_boxed (value);
      break;
    case PROP_LAYOUT_ELEMENTS:
      g_strfreev (self->layout_elements);
      self->layout_elements = g_value_dup_boxed (value);
      break;
    case PROP_LAYOUT_DESTINATIONS:
      g_strfreev (self->layout_destinations);
      self->layout_destinations = g_value_dup_boxed (value);
      break;
    case PROP_ROOT_READ_ONLY:
      self->root_read_only = g_value_get_boolean (value);
      break;
    case PROP_CREATE_DEV_SHM:
      self->create_dev_shm = g_value_get_boolean (value);
      break;
    case PROP_CWD:
      g_free (self->cwd);
      self->cwd = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static char *
subst_member (JobPlugin *plugin,
              JobNode *node,
              const char *key,
              gboolean required,
              GError **error)
{
  g_autoptr (GError) local_error = NULL;
  JobNode *value = required ? job_node_require (node, key, error)
                            : job_node_lookup (node, key);
  const char *raw;
  char *expanded;

  if (value == NULL || job_node_is_null (value))
    return NULL;
  raw = job_node_as_string (value, error);
  if (raw == NULL)
    return NULL;
  expanded = job_plugin_subst (plugin, raw, &local_error);
  if (expanded == NULL)
    {
      g_autofree char *where = job_node_dup_provenance (value);

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_VARIABLE, "%s: %s",
                   where, local_error->message);
    }
  return expanded;
}

static gboolean
read_layout (JobScriptElement *self, JobNode *config, GError **error)
{
  JobPlugin *plugin = JOB_PLUGIN (self);
  g_autoptr (GPtrArray) elements = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) destinations = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) local_error = NULL;
  const char *const valid[] = { "element", "destination", NULL };
  JobNode *layout = job_node_get_sequence (config, "layout", &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  for (guint i = 0; layout != NULL && i < job_node_get_n_items (layout); i++)
    {
      JobNode *entry = job_node_get_item (layout, i);
      g_autofree char *element = NULL, *destination = NULL;

      if (!job_node_check_type (entry, JOB_NODE_MAPPING, error)
          || !job_node_validate_keys (entry, valid, error))
        return FALSE;
      destination = subst_member (plugin, entry, "destination", TRUE, error);
      if (destination == NULL)
        return FALSE;
      element = subst_member (plugin, entry, "element", FALSE, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (!g_path_is_absolute (destination))
        {
          g_autofree char *where =
              job_node_dup_provenance (job_node_lookup (entry, "destination"));

          g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                       "%s: the layout destination “%s” must be an absolute "
                       "path in the sandbox",
                       where, destination);
          return FALSE;
        }
      g_ptr_array_add (elements, element != NULL ? g_steal_pointer (&element)
                                                 : g_strdup (""));
      g_ptr_array_add (destinations, g_steal_pointer (&destination));
    }
  g_ptr_array_add (elements, NULL);
  g_ptr_array_add (destinations, NULL);
  g_object_set (self, "layout-elements", elements->pdata, "layout-destinations",
                destinations->pdata, NULL);
  return TRUE;
}

static gboolean
job_script_element_configure (JobPlugin *plugin,
                              JobNode *config,
                              GError **error)
{
  JobScriptElement *self = JOB_SCRIPT_ELEMENT (plugin);
  const char *const valid[] = { "commands", "root-read-only", "layout",
                                "create-dev-shm", NULL };
  g_auto (GStrv) commands = NULL;
  gboolean root_read_only, create_dev_shm;
  const char *cwd = job_plugin_get_variable (plugin, "cwd");

  if (!job_node_validate_keys (config, valid, error)
      || !job_node_get_boolean (config, "root-read-only", FALSE,
                                &root_read_only, error)
      || !job_node_get_boolean (config, "create-dev-shm", FALSE,
                                &create_dev_shm, error)
      || !read_layout (self, config, error))
    return FALSE;
  commands = job_plugin_subst_list (plugin, config, "commands", error);
  if (commands == NULL)
    return FALSE;
  if (cwd != NULL && !g_path_is_absolute (cwd))
    {
      g_set_error (
          error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
          "%s: the variable cwd (“%s”) must be an absolute path in the sandbox",
          job_plugin_get_name (plugin), cwd);
      return FALSE;
    }
  g_object_set (self, "commands", commands, "root-read-only", root_read_only,
                "create-dev-shm", create_dev_shm, "cwd",
                cwd != NULL ? cwd : "/", NULL);
  return TRUE;
}

static GVariant *
job_script_element_get_unique_key (JobPlugin *plugin)
{
  JobScriptElement *self = JOB_SCRIPT_ELEMENT (plugin);
  const char *const empty[] = { NULL };

#define STRV(v) ((v) != NULL ? (const char *const *) (v) : empty)
  return g_variant_new (
      "(^as^as^assb)", STRV (self->commands), STRV (self->layout_elements),
      STRV (self->layout_destinations), self->cwd, self->root_read_only);
#undef STRV
}

static gboolean
job_script_element_configure_sandbox (JobElement *element,
                                      JobSandbox *sandbox,
                                      GError **error)
{
  JobScriptElement *self = JOB_SCRIPT_ELEMENT (element);

  if (!JOB_ELEMENT_CLASS (job_script_element_parent_class)
           ->configure_sandbox (element, sandbox, error))
    return FALSE;
  job_sandbox_set_cwd (sandbox, self->cwd);
  return TRUE;
}

static gboolean
job_script_element_stage (JobElement *element,
                          JobBuildContext *context,
                          GCancellable *cancellable,
                          GError **error)
{
  JobScriptElement *self = JOB_SCRIPT_ELEMENT (element);
  JobSandbox *sandbox = job_build_context_get_sandbox (context);
  guint n =
      self->layout_elements != NULL ? g_strv_length (self->layout_elements) : 0;

  if (!self->root_read_only)
    job_build_context_log (
        context, "script: the staged root is read-only unless integration "
                 "commands need it (it holds links into the artifact cache); "
                 "write to %{install-root}, %{build-root} or /tmp");
  for (guint i = 0; i < n; i++)
    {
      if (*self->layout_elements[i] != '\0')
        {
          if (!job_build_context_stage_dependency (
                  context, self->layout_elements[i],
                  self->layout_destinations[i], cancellable, error))
            return FALSE;
        }
      else
        {
          g_autofree char *host =
              job_sandbox_get_host_path (sandbox, self->layout_destinations[i]);

          if (host != NULL && g_mkdir_with_parents (host, 0755) != 0)
            {
              int errsv = errno;
              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                           "%s: cannot create the layout directory %s: %s",
                           job_plugin_get_name (JOB_PLUGIN (self)),
                           self->layout_destinations[i], g_strerror (errsv));
              return FALSE;
            }
        }
    }
  /* No layout: every build dependency at /, as BuildStream does. */
  if (n == 0
      && !job_build_context_stage_dependencies (context, "/", cancellable,
                                                error))
    return FALSE;
  job_build_context_integrate (context);
  if (self->cwd != NULL && !g_str_equal (self->cwd, "/"))
    {
      g_autofree char *host = job_sandbox_get_host_path (sandbox, self->cwd);

      if (host != NULL && !g_file_test (host, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                       "%s: the working directory %s (variable cwd) does not "
                       "exist in the "
                       "staged sandbox; add it to the layout or change cwd",
                       job_plugin_get_name (JOB_PLUGIN (self)), self->cwd);
          return FALSE;
        }
    }
  return TRUE;
}

static char *
job_script_element_assemble (JobElement *element,
                             JobBuildContext *context,
                             GCancellable *cancellable,
                             GError **error)
{
  JobScriptElement *self = JOB_SCRIPT_ELEMENT (element);

  if (!job_build_context_run_commands (context, "commands",
                                       (const char *const *) self->commands,
                                       cancellable, error))
    return NULL;
  return g_strdup (job_build_context_get_install_directory (context));
}

static void
job_script_element_class_init (JobScriptElementClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_script_element_finalize;
  object_class->get_property = job_script_element_get_property;
  object_class->set_property = job_script_element_set_property;
  JOB_PLUGIN_CLASS (klass)->configure = job_script_element_configure;
  JOB_PLUGIN_CLASS (klass)->get_unique_key = job_script_element_get_unique_key;
  JOB_ELEMENT_CLASS (klass)->configure_sandbox =
      job_script_element_configure_sandbox;
  JOB_ELEMENT_CLASS (klass)->stage = job_script_element_stage;
  JOB_ELEMENT_CLASS (klass)->assemble = job_script_element_assemble;

  properties[PROP_COMMANDS] =
      g_param_spec_boxed ("commands", NULL, NULL, G_TYPE_STRV,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAYOUT_ELEMENTS] =
      g_param_spec_boxed ("layout-elements", NULL, NULL, G_TYPE_STRV,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAYOUT_DESTINATIONS] =
      g_param_spec_boxed ("layout-destinations", NULL, NULL, G_TYPE_STRV,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROOT_READ_ONLY] =
      g_param_spec_boolean ("root-read-only", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CREATE_DEV_SHM] =
      g_param_spec_boolean ("create-dev-shm", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CWD] = g_param_spec_string (
      "cwd", NULL, NULL, "/", G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_script_element_class_finalize (JobScriptElementClass *klass)
{
}

static void
job_script_element_init (JobScriptElement *self)
{
  self->cwd = g_strdup ("/");
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  job_script_element_register_type (module);
}
