/* job-element.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-build-context.h"
#include "job-element.h"
#include "job-source.h"

/**
 * JobElement:
 *
 * The base class of element plugins (`import`, `manual`, `stack`, …).
 *
 * An element is configured in the parent process, pickled with its sources,
 * and built in a worker: [vfunc@Job.Element.stage] puts its dependencies'
 * artifacts and its sources into a fresh build root,
 * [vfunc@Job.Element.assemble] runs its commands in a [class@Job.Sandbox]
 * and says which directory becomes the artifact.
 *
 * The default `stage` stages every build dependency at `/` and every
 * source into the build directory; the default `configure_sandbox` sets
 * the element's environment and makes the build directory the working
 * directory.
 */

typedef struct
{
  GListStore *sources;
  GStrv environment;
  JobNode *public_data;
} JobElementPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (JobElement, job_element, JOB_TYPE_PLUGIN)

enum
{
  PROP_0,
  PROP_SOURCES,
  PROP_ENVIRONMENT,
  PROP_PUBLIC,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
job_element_dispose (GObject *object)
{
  JobElementPrivate *priv =
      job_element_get_instance_private (JOB_ELEMENT (object));

  g_clear_object (&priv->sources);
  G_OBJECT_CLASS (job_element_parent_class)->dispose (object);
}

static void
job_element_finalize (GObject *object)
{
  JobElementPrivate *priv =
      job_element_get_instance_private (JOB_ELEMENT (object));

  g_strfreev (priv->environment);
  g_clear_pointer (&priv->public_data, job_node_unref);
  G_OBJECT_CLASS (job_element_parent_class)->finalize (object);
}

static void
job_element_get_property (GObject *object,
                          guint prop_id,
                          GValue *value,
                          GParamSpec *pspec)
{
  JobElementPrivate *priv =
      job_element_get_instance_private (JOB_ELEMENT (object));

  switch (prop_id)
    {
    case PROP_SOURCES:
      g_value_set_object (value, priv->sources);
      break;
    case PROP_ENVIRONMENT:
      g_value_set_boxed (value, priv->environment);
      break;
    case PROP_PUBLIC:
      g_value_set_boxed (value, priv->public_data);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_element_set_property (GObject *object,
                          guint prop_id,
                          const GValue *value,
                          GParamSpec *pspec)
{
  JobElementPrivate *priv =
      job_element_get_instance_private (JOB_ELEMENT (object));

  switch (prop_id)
    {
    case PROP_SOURCES:
      {
        GListModel *model = g_value_get_object (value);

        g_list_store_remove_all (priv->sources);
        for (guint i = 0; model != NULL && i < g_list_model_get_n_items (model);
             i++)
          {
            g_autoptr (GObject) item = g_list_model_get_item (model, i);
            if (JOB_IS_SOURCE (item))
              g_list_store_append (priv->sources, item);
          }
      }
      break;
    case PROP_ENVIRONMENT:
      g_strfreev (priv->environment);
      priv->environment = g_value_dup_boxed (value);
      break;
    case PROP_PUBLIC:
      g_clear_pointer (&priv->public_data, job_node_unref);
      priv->public_data = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
job_element_real_configure_sandbox (JobElement *self,
                                    JobSandbox *sandbox,
                                    GError **error)
{
  JobElementPrivate *priv = job_element_get_instance_private (self);
  const char *build_root =
      job_plugin_get_variable (JOB_PLUGIN (self), "build-root");

  if (priv->environment != NULL)
    job_sandbox_set_env (sandbox, (const char *const *) priv->environment);
  if (build_root != NULL)
    job_sandbox_set_cwd (sandbox, build_root);
  return TRUE;
}

static gboolean
job_element_real_stage (JobElement *self,
                        JobBuildContext *context,
                        GCancellable *cancellable,
                        GError **error)
{
  return job_build_context_stage_dependencies (context, "/", cancellable, error)
         && job_build_context_stage_sources (context, cancellable, error);
}

static char *
job_element_real_assemble (JobElement *self,
                           JobBuildContext *context,
                           GCancellable *cancellable,
                           GError **error)
{
  return g_strdup (job_build_context_get_install_directory (context));
}

static void
job_element_class_init (JobElementClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = job_element_dispose;
  object_class->finalize = job_element_finalize;
  object_class->get_property = job_element_get_property;
  object_class->set_property = job_element_set_property;

  klass->configure_sandbox = job_element_real_configure_sandbox;
  klass->stage = job_element_real_stage;
  klass->assemble = job_element_real_assemble;

  /**
   * JobElement:sources:
   *
   * The element's sources, in the order they are staged: a #GListModel of
   * [class@Job.Source].
   */
  properties[PROP_SOURCES] =
      g_param_spec_object ("sources", NULL, NULL, G_TYPE_LIST_MODEL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * JobElement:environment:
   *
   * The environment of the element's commands, as `NAME=value` strings;
   * nothing of the host's environment is added.
   */
  properties[PROP_ENVIRONMENT] =
      g_param_spec_boxed ("environment", NULL, NULL, G_TYPE_STRV,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * JobElement:public:
   *
   * The element's public data (`public:` in its file), stored with its
   * artifact; `bst.integration-commands` is read from it.
   */
  properties[PROP_PUBLIC] =
      g_param_spec_boxed ("public", NULL, NULL, JOB_TYPE_NODE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_element_init (JobElement *self)
{
  JobElementPrivate *priv = job_element_get_instance_private (self);

  priv->sources = g_list_store_new (JOB_TYPE_SOURCE);
}

/**
 * job_element_get_sources:
 * @self: a #JobElement
 *
 * Gets the element's sources.
 *
 * Returns: (transfer none): a #GListModel of [class@Job.Source]
 */
GListModel *
job_element_get_sources (JobElement *self)
{
  JobElementPrivate *priv = job_element_get_instance_private (self);

  g_return_val_if_fail (JOB_IS_ELEMENT (self), NULL);

  return G_LIST_MODEL (priv->sources);
}

/**
 * job_element_get_environment:
 * @self: a #JobElement
 *
 * Gets the environment of the element's commands.
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): `NAME=value`
 *   strings
 */
const char *const *
job_element_get_environment (JobElement *self)
{
  JobElementPrivate *priv = job_element_get_instance_private (self);

  g_return_val_if_fail (JOB_IS_ELEMENT (self), NULL);

  return (const char *const *) priv->environment;
}

/**
 * job_element_get_public:
 * @self: a #JobElement
 *
 * Gets the element's public data.
 *
 * Returns: (transfer none) (nullable): the public data
 */
JobNode *
job_element_get_public (JobElement *self)
{
  JobElementPrivate *priv = job_element_get_instance_private (self);

  g_return_val_if_fail (JOB_IS_ELEMENT (self), NULL);

  return priv->public_data;
}

/**
 * job_element_configure_sandbox:
 * @self: a #JobElement
 * @sandbox: the sandbox its commands will run in
 * @error: return location for a #GError
 *
 * Adjusts @sandbox for the element, through
 * [vfunc@Job.Element.configure_sandbox].
 *
 * Returns: %TRUE on success
 */
gboolean
job_element_configure_sandbox (JobElement *self,
                               JobSandbox *sandbox,
                               GError **error)
{
  g_return_val_if_fail (JOB_IS_ELEMENT (self), FALSE);
  g_return_val_if_fail (JOB_IS_SANDBOX (sandbox), FALSE);

  return JOB_ELEMENT_GET_CLASS (self)->configure_sandbox (self, sandbox, error);
}

/**
 * job_element_stage:
 * @self: a #JobElement
 * @context: the build in progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Stages the element's dependencies and sources, through
 * [vfunc@Job.Element.stage].
 *
 * Returns: %TRUE on success
 */
gboolean
job_element_stage (JobElement *self,
                   JobBuildContext *context,
                   GCancellable *cancellable,
                   GError **error)
{
  g_return_val_if_fail (JOB_IS_ELEMENT (self), FALSE);
  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (context), FALSE);

  return JOB_ELEMENT_GET_CLASS (self)->stage (self, context, cancellable,
                                              error);
}

/**
 * job_element_assemble:
 * @self: a #JobElement
 * @context: the build in progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Runs the element's commands, through [vfunc@Job.Element.assemble].
 *
 * Returns: (transfer full) (nullable) (type filename): the host path of the
 *   directory to collect as the artifact, or %NULL with @error set
 */
char *
job_element_assemble (JobElement *self,
                      JobBuildContext *context,
                      GCancellable *cancellable,
                      GError **error)
{
  g_return_val_if_fail (JOB_IS_ELEMENT (self), NULL);
  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (context), NULL);

  return JOB_ELEMENT_GET_CLASS (self)->assemble (self, context, cancellable,
                                                 error);
}
