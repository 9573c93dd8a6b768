/* job-build-element.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-build-context.h"
#include "job-build-element.h"

/**
 * JobBuildElement:
 *
 * The base class of elements that build with lists of shell commands, as
 * BuildStream's `BuildElement`: `manual`, `autotools` and `meson` are this
 * class with different defaults.
 *
 * Its configuration has four lists, run in this order in the sandbox, with
 * `%{build-root}` (or `%{build-root}/%{command-subdir}`) as working
 * directory: `configure-commands`, `build-commands`, `install-commands` and
 * `strip-commands`. Whatever the commands put in `%{install-root}` is the
 * artifact.
 */

typedef struct
{
  GStrv commands[4];
} JobBuildElementPrivate;

static const char *const command_steps[] = {
  "configure-commands",
  "build-commands",
  "install-commands",
  "strip-commands",
};

G_DEFINE_TYPE_WITH_PRIVATE (JobBuildElement,
                            job_build_element,
                            JOB_TYPE_ELEMENT)

enum
{
  PROP_0,
  PROP_CONFIGURE_COMMANDS,
  PROP_BUILD_COMMANDS,
  PROP_INSTALL_COMMANDS,
  PROP_STRIP_COMMANDS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
job_build_element_finalize (GObject *object)
{
  JobBuildElementPrivate *priv =
      job_build_element_get_instance_private (JOB_BUILD_ELEMENT (object));

  for (guint i = 0; i < G_N_ELEMENTS (priv->commands); i++)
    g_strfreev (priv->commands[i]);
  G_OBJECT_CLASS (job_build_element_parent_class)->finalize (object);
}

static void
job_build_element_get_property (GObject *object,
                                guint prop_id,
                                GValue *value,
                                GParamSpec *pspec)
{
  JobBuildElementPrivate *priv =
      job_build_element_get_instance_private (JOB_BUILD_ELEMENT (object));

  if (prop_id >= PROP_CONFIGURE_COMMANDS && prop_id <= PROP_STRIP_COMMANDS)
    g_value_set_boxed (value,
                       priv->commands[prop_id - PROP_CONFIGURE_COMMANDS]);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
job_build_element_set_property (GObject *object,
                                guint prop_id,
                                const GValue *value,
                                GParamSpec *pspec)
{
  JobBuildElementPrivate *priv =
      job_build_element_get_instance_private (JOB_BUILD_ELEMENT (object));

  if (prop_id >= PROP_CONFIGURE_COMMANDS && prop_id <= PROP_STRIP_COMMANDS)
    {
      g_strfreev (priv->commands[prop_id - PROP_CONFIGURE_COMMANDS]);
      priv->commands[prop_id - PROP_CONFIGURE_COMMANDS] =
          g_value_dup_boxed (value);
    }
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static gboolean
job_build_element_configure (JobPlugin *plugin, JobNode *config, GError **error)
{
  JobBuildElement *self = JOB_BUILD_ELEMENT (plugin);
  JobBuildElementPrivate *priv = job_build_element_get_instance_private (self);

  if (!job_node_validate_keys (config, command_steps, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (command_steps); i++)
    {
      char **commands =
          job_plugin_subst_list (plugin, config, command_steps[i], error);

      if (commands == NULL)
        return FALSE;
      g_strfreev (priv->commands[i]);
      priv->commands[i] = commands;
    }
  return TRUE;
}

static GVariant *
job_build_element_get_unique_key (JobPlugin *plugin)
{
  JobBuildElementPrivate *priv =
      job_build_element_get_instance_private (JOB_BUILD_ELEMENT (plugin));
  const char *notparallel = job_plugin_get_variable (plugin, "notparallel");
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sv}"));
  for (guint i = 0; i < G_N_ELEMENTS (command_steps); i++)
    g_variant_builder_add (
        &builder, "{sv}", command_steps[i],
        g_variant_new_strv ((const char *const *) priv->commands[i], -1));
  if (notparallel != NULL && g_ascii_strcasecmp (notparallel, "true") == 0)
    g_variant_builder_add (&builder, "{sv}", "notparallel",
                           g_variant_new_boolean (TRUE));
  return g_variant_builder_end (&builder);
}

static gboolean
job_build_element_configure_sandbox (JobElement *element,
                                     JobSandbox *sandbox,
                                     GError **error)
{
  const char *build_root =
      job_plugin_get_variable (JOB_PLUGIN (element), "build-root");
  const char *subdir =
      job_plugin_get_variable (JOB_PLUGIN (element), "command-subdir");

  if (!JOB_ELEMENT_CLASS (job_build_element_parent_class)
           ->configure_sandbox (element, sandbox, error))
    return FALSE;
  if (build_root != NULL && subdir != NULL && *subdir != '\0')
    {
      g_autofree char *cwd = g_build_filename (build_root, subdir, NULL);
      job_sandbox_set_cwd (sandbox, cwd);
    }
  return TRUE;
}

/* As BuildStream's build elements: the dependencies' integration commands
 * run in the staged root before the element's own commands. */
static gboolean
job_build_element_stage (JobElement *element,
                         JobBuildContext *context,
                         GCancellable *cancellable,
                         GError **error)
{
  if (!JOB_ELEMENT_CLASS (job_build_element_parent_class)
           ->stage (element, context, cancellable, error))
    return FALSE;
  job_build_context_integrate (context);
  return TRUE;
}

static char *
job_build_element_assemble (JobElement *element,
                            JobBuildContext *context,
                            GCancellable *cancellable,
                            GError **error)
{
  JobBuildElementPrivate *priv =
      job_build_element_get_instance_private (JOB_BUILD_ELEMENT (element));

  /* Every step in one sandbox: starting one costs more than most commands. */
  for (guint i = 0; i < G_N_ELEMENTS (command_steps); i++)
    job_build_context_queue_commands (context, command_steps[i],
                                      (const char *const *) priv->commands[i]);
  if (!job_build_context_run_queued (context, cancellable, error))
    return NULL;
  return g_strdup (job_build_context_get_install_directory (context));
}

static void
job_build_element_class_init (JobBuildElementClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  JobPluginClass *plugin_class = JOB_PLUGIN_CLASS (klass);
  JobElementClass *element_class = JOB_ELEMENT_CLASS (klass);

  object_class->finalize = job_build_element_finalize;
  object_class->get_property = job_build_element_get_property;
  object_class->set_property = job_build_element_set_property;
  plugin_class->configure = job_build_element_configure;
  plugin_class->get_unique_key = job_build_element_get_unique_key;
  element_class->configure_sandbox = job_build_element_configure_sandbox;
  element_class->stage = job_build_element_stage;
  element_class->assemble = job_build_element_assemble;

  /**
   * JobBuildElement:configure-commands:
   *
   * Commands that configure the software, variables expanded.
   */
  properties[PROP_CONFIGURE_COMMANDS] =
      g_param_spec_boxed ("configure-commands", NULL, NULL, G_TYPE_STRV,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * JobBuildElement:build-commands:
   *
   * Commands that build the software, variables expanded.
   */
  properties[PROP_BUILD_COMMANDS] =
      g_param_spec_boxed ("build-commands", NULL, NULL, G_TYPE_STRV,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * JobBuildElement:install-commands:
   *
   * Commands that install the software into `%{install-root}`, variables
   * expanded.
   */
  properties[PROP_INSTALL_COMMANDS] =
      g_param_spec_boxed ("install-commands", NULL, NULL, G_TYPE_STRV,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * JobBuildElement:strip-commands:
   *
   * Commands that strip the installed binaries, variables expanded.
   */
  properties[PROP_STRIP_COMMANDS] =
      g_param_spec_boxed ("strip-commands", NULL, NULL, G_TYPE_STRV,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_build_element_init (JobBuildElement *self)
{
}
