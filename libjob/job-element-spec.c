/* job-element-spec.c: what a project says about one element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-element-spec.h"
#include "job-serializable.h"
#include "job-source-spec.h"

/**
 * JobElementSpec:
 *
 * An element as [class@Job.Loader] loads it: its name, kind, composed
 * configuration, expanded variables and environment, public data, sources
 * and the names of its direct dependencies, build and runtime apart.
 *
 * It holds plain data only (no project, no loader), so it pickles to a
 * worker process: it implements [iface@Job.Serializable] and every
 * property is readable and writable.
 */

struct _JobElementSpec
{
  GObject parent_instance;
  char *name;
  char *kind;
  char *description;
  char *provenance;
  JobNode *config;
  JobNode *variables;
  JobNode *environment;
  char **environment_nocache;
  JobNode *public;
  JobNode *sandbox;
  GListModel *sources;
  char **build_dependencies;
  char **runtime_dependencies;
};

enum
{
  PROP_0,
  PROP_NAME,
  PROP_KIND,
  PROP_DESCRIPTION,
  PROP_PROVENANCE,
  PROP_CONFIG,
  PROP_VARIABLES,
  PROP_ENVIRONMENT,
  PROP_ENVIRONMENT_NOCACHE,
  PROP_PUBLIC,
  PROP_SANDBOX,
  PROP_SOURCES,
  PROP_BUILD_DEPENDENCIES,
  PROP_RUNTIME_DEPENDENCIES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE_WITH_CODE (JobElementSpec,
                               job_element_spec,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                                                      NULL))

static void
job_element_spec_finalize (GObject *object)
{
  JobElementSpec *self = JOB_ELEMENT_SPEC (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->kind, g_free);
  g_clear_pointer (&self->description, g_free);
  g_clear_pointer (&self->provenance, g_free);
  g_clear_pointer (&self->config, job_node_unref);
  g_clear_pointer (&self->variables, job_node_unref);
  g_clear_pointer (&self->environment, job_node_unref);
  g_clear_pointer (&self->environment_nocache, g_strfreev);
  g_clear_pointer (&self->public, job_node_unref);
  g_clear_pointer (&self->sandbox, job_node_unref);
  g_clear_pointer (&self->sources, g_object_unref);
  g_clear_pointer (&self->build_dependencies, g_strfreev);
  g_clear_pointer (&self->runtime_dependencies, g_strfreev);
  G_OBJECT_CLASS (job_element_spec_parent_class)->finalize (object);
}

static void
job_element_spec_get_property (GObject *object,
                               guint prop_id,
                               GValue *value,
                               GParamSpec *pspec)
{
  JobElementSpec *self = JOB_ELEMENT_SPEC (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_KIND:
      g_value_set_string (value, self->kind);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;
    case PROP_PROVENANCE:
      g_value_set_string (value, self->provenance);
      break;
    case PROP_CONFIG:
      g_value_set_boxed (value, self->config);
      break;
    case PROP_VARIABLES:
      g_value_set_boxed (value, self->variables);
      break;
    case PROP_ENVIRONMENT:
      g_value_set_boxed (value, self->environment);
      break;
    case PROP_ENVIRONMENT_NOCACHE:
      g_value_set_boxed (value, self->environment_nocache);
      break;
    case PROP_PUBLIC:
      g_value_set_boxed (value, self->public);
      break;
    case PROP_SANDBOX:
      g_value_set_boxed (value, self->sandbox);
      break;
    case PROP_SOURCES:
      g_value_set_object (value, self->sources);
      break;
    case PROP_BUILD_DEPENDENCIES:
      g_value_set_boxed (value, self->build_dependencies);
      break;
    case PROP_RUNTIME_DEPENDENCIES:
      g_value_set_boxed (value, self->runtime_dependencies);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_element_spec_set_property (GObject *object,
                               guint prop_id,
                               const GValue *value,
                               GParamSpec *pspec)
{
  JobElementSpec *self = JOB_ELEMENT_SPEC (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_clear_pointer (&self->name, g_free);
      self->name = g_value_dup_string (value);
      break;
    case PROP_KIND:
      g_clear_pointer (&self->kind, g_free);
      self->kind = g_value_dup_string (value);
      break;
    case PROP_DESCRIPTION:
      g_clear_pointer (&self->description, g_free);
      self->description = g_value_dup_string (value);
      break;
    case PROP_PROVENANCE:
      g_clear_pointer (&self->provenance, g_free);
      self->provenance = g_value_dup_string (value);
      break;
    case PROP_CONFIG:
      g_clear_pointer (&self->config, job_node_unref);
      self->config = g_value_dup_boxed (value);
      break;
    case PROP_VARIABLES:
      g_clear_pointer (&self->variables, job_node_unref);
      self->variables = g_value_dup_boxed (value);
      break;
    case PROP_ENVIRONMENT:
      g_clear_pointer (&self->environment, job_node_unref);
      self->environment = g_value_dup_boxed (value);
      break;
    case PROP_ENVIRONMENT_NOCACHE:
      g_clear_pointer (&self->environment_nocache, g_strfreev);
      self->environment_nocache = g_value_dup_boxed (value);
      break;
    case PROP_PUBLIC:
      g_clear_pointer (&self->public, job_node_unref);
      self->public = g_value_dup_boxed (value);
      break;
    case PROP_SANDBOX:
      g_clear_pointer (&self->sandbox, job_node_unref);
      self->sandbox = g_value_dup_boxed (value);
      break;
    case PROP_SOURCES:
      g_clear_pointer (&self->sources, g_object_unref);
      self->sources = g_value_dup_object (value);
      break;
    case PROP_BUILD_DEPENDENCIES:
      g_clear_pointer (&self->build_dependencies, g_strfreev);
      self->build_dependencies = g_value_dup_boxed (value);
      break;
    case PROP_RUNTIME_DEPENDENCIES:
      g_clear_pointer (&self->runtime_dependencies, g_strfreev);
      self->runtime_dependencies = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_element_spec_class_init (JobElementSpecClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = job_element_spec_finalize;
  object_class->get_property = job_element_spec_get_property;
  object_class->set_property = job_element_spec_set_property;

  /**
   * JobElementSpec:name:
   *
   * The element's name: its file name relative to the element path, such as
   * `base/gcc.bst`.
   */
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  /**
   * JobElementSpec:kind:
   *
   * The element kind (`manual`, `import`, ...).
   */
  properties[PROP_KIND] = g_param_spec_string ("kind", NULL, NULL, NULL, flags);
  /**
   * JobElementSpec:description:
   *
   * The element's `description`, or %NULL.
   */
  properties[PROP_DESCRIPTION] =
      g_param_spec_string ("description", NULL, NULL, NULL, flags);
  /**
   * JobElementSpec:provenance:
   *
   * Where the element is declared, as `file [line L column C]`.
   */
  properties[PROP_PROVENANCE] =
      g_param_spec_string ("provenance", NULL, NULL, NULL, flags);
  /**
   * JobElementSpec:config:
   *
   * The composed `config`: the kind's defaults, the project's override for the
   * kind and the element's own, with provenance; variables are not expanded
   * (the plugin expands what it uses).
   */
  properties[PROP_CONFIG] =
      g_param_spec_boxed ("config", NULL, NULL, JOB_TYPE_NODE, flags);
  /**
   * JobElementSpec:variables:
   *
   * The element's variables, every one expanded, with the provenance of its
   * definition.
   */
  properties[PROP_VARIABLES] =
      g_param_spec_boxed ("variables", NULL, NULL, JOB_TYPE_NODE, flags);
  /**
   * JobElementSpec:environment:
   *
   * The build environment, expanded.
   */
  properties[PROP_ENVIRONMENT] =
      g_param_spec_boxed ("environment", NULL, NULL, JOB_TYPE_NODE, flags);
  /**
   * JobElementSpec:environment-nocache:
   *
   * The environment variables that stay out of the cache key.
   */
  properties[PROP_ENVIRONMENT_NOCACHE] = g_param_spec_boxed (
      "environment-nocache", NULL, NULL, G_TYPE_STRV, flags);
  /**
   * JobElementSpec:public:
   *
   * The composed public data; the split rules of the `bst` domain are expanded.
   */
  properties[PROP_PUBLIC] =
      g_param_spec_boxed ("public", NULL, NULL, JOB_TYPE_NODE, flags);
  /**
   * JobElementSpec:sandbox:
   *
   * The composed sandbox configuration.
   */
  properties[PROP_SANDBOX] =
      g_param_spec_boxed ("sandbox", NULL, NULL, JOB_TYPE_NODE, flags);
  /**
   * JobElementSpec:sources:
   *
   * The element's sources, a list of #JobSourceSpec.
   */
  properties[PROP_SOURCES] =
      g_param_spec_object ("sources", NULL, NULL, G_TYPE_LIST_MODEL, flags);
  /**
   * JobElementSpec:build-dependencies:
   *
   * The names of the element's direct build dependencies, in declaration order.
   */
  properties[PROP_BUILD_DEPENDENCIES] =
      g_param_spec_boxed ("build-dependencies", NULL, NULL, G_TYPE_STRV, flags);
  /**
   * JobElementSpec:runtime-dependencies:
   *
   * The names of the element's direct runtime dependencies, in declaration
   * order.
   */
  properties[PROP_RUNTIME_DEPENDENCIES] = g_param_spec_boxed (
      "runtime-dependencies", NULL, NULL, G_TYPE_STRV, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_element_spec_init (JobElementSpec *self)
{
}

/**
 * job_element_spec_get_name:
 * @self: an element spec
 *
 * Returns: (transfer none) (nullable): the value of
 * [property@Job.ElementSpec:name]
 */
const char *
job_element_spec_get_name (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return self->name;
}

/**
 * job_element_spec_get_kind:
 * @self: an element spec
 *
 * Returns: (transfer none) (nullable): the value of
 * [property@Job.ElementSpec:kind]
 */
const char *
job_element_spec_get_kind (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return self->kind;
}

/**
 * job_element_spec_get_description:
 * @self: an element spec
 *
 * Returns: (transfer none) (nullable): the value of
 * [property@Job.ElementSpec:description]
 */
const char *
job_element_spec_get_description (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return self->description;
}

/**
 * job_element_spec_get_provenance:
 * @self: an element spec
 *
 * Returns: (transfer none) (nullable): the value of
 * [property@Job.ElementSpec:provenance]
 */
const char *
job_element_spec_get_provenance (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return self->provenance;
}

/**
 * job_element_spec_get_config:
 * @self: an element spec
 *
 * Returns: (transfer none) (nullable): the value of
 * [property@Job.ElementSpec:config]
 */
JobNode *
job_element_spec_get_config (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return self->config;
}

/**
 * job_element_spec_get_variables:
 * @self: an element spec
 *
 * Returns: (transfer none) (nullable): the value of
 * [property@Job.ElementSpec:variables]
 */
JobNode *
job_element_spec_get_variables (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return self->variables;
}

/**
 * job_element_spec_get_environment:
 * @self: an element spec
 *
 * Returns: (transfer none) (nullable): the value of
 * [property@Job.ElementSpec:environment]
 */
JobNode *
job_element_spec_get_environment (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return self->environment;
}

/**
 * job_element_spec_get_environment_nocache:
 * @self: an element spec
 *
 * Returns: (transfer none) (array zero-terminated=1) (nullable): the value of
 * [property@Job.ElementSpec:environment-nocache]
 */
const char *const *
job_element_spec_get_environment_nocache (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return (const char *const *) self->environment_nocache;
}

/**
 * job_element_spec_get_public:
 * @self: an element spec
 *
 * Returns: (transfer none) (nullable): the value of
 * [property@Job.ElementSpec:public]
 */
JobNode *
job_element_spec_get_public (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return self->public;
}

/**
 * job_element_spec_get_sandbox:
 * @self: an element spec
 *
 * Returns: (transfer none) (nullable): the value of
 * [property@Job.ElementSpec:sandbox]
 */
JobNode *
job_element_spec_get_sandbox (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return self->sandbox;
}

/**
 * job_element_spec_get_sources:
 * @self: an element spec
 *
 * Returns: (transfer none) (nullable): the value of
 * [property@Job.ElementSpec:sources]
 */
GListModel *
job_element_spec_get_sources (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return self->sources;
}

/**
 * job_element_spec_get_build_dependencies:
 * @self: an element spec
 *
 * Returns: (transfer none) (array zero-terminated=1) (nullable): the value of
 * [property@Job.ElementSpec:build-dependencies]
 */
const char *const *
job_element_spec_get_build_dependencies (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return (const char *const *) self->build_dependencies;
}

/**
 * job_element_spec_get_runtime_dependencies:
 * @self: an element spec
 *
 * Returns: (transfer none) (array zero-terminated=1) (nullable): the value of
 * [property@Job.ElementSpec:runtime-dependencies]
 */
const char *const *
job_element_spec_get_runtime_dependencies (JobElementSpec *self)
{
  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  return (const char *const *) self->runtime_dependencies;
}

/**
 * job_element_spec_get_variable:
 * @self: an element spec
 * @name: a variable name
 *
 * Returns: (transfer none) (nullable): the expanded value of the variable
 *   @name, or %NULL if the element has no such variable
 */
const char *
job_element_spec_get_variable (JobElementSpec *self, const char *name)
{
  JobNode *value;

  g_return_val_if_fail (JOB_IS_ELEMENT_SPEC (self), NULL);
  if (self->variables == NULL)
    return NULL;
  value = job_node_lookup (self->variables, name);
  return value != NULL ? job_node_get_scalar (value) : NULL;
}
