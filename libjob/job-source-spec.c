/* job-source-spec.c: what a project says about one source of an element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-serializable.h"
#include "job-source-spec.h"

/**
 * JobSourceSpec:
 *
 * One entry of an element's `sources`, as loaded: its kind, the directory
 * it stages into, and its configuration composed from the kind's defaults,
 * the project's `sources: <kind>:` override and the element's own keys
 * (everything but `kind` and `directory`).
 *
 * It holds plain data only, so it pickles (it implements
 * [iface@Job.Serializable]); every property is readable and writable.
 */

struct _JobSourceSpec
{
  GObject parent_instance;

  char *kind;
  char *directory;
  char *provenance;
  JobNode *config;
};

enum
{
  PROP_0,
  PROP_KIND,
  PROP_DIRECTORY,
  PROP_PROVENANCE,
  PROP_CONFIG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE_WITH_CODE (JobSourceSpec,
                               job_source_spec,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                                                      NULL))

static void
job_source_spec_finalize (GObject *object)
{
  JobSourceSpec *self = JOB_SOURCE_SPEC (object);

  g_free (self->kind);
  g_free (self->directory);
  g_free (self->provenance);
  g_clear_pointer (&self->config, job_node_unref);
  G_OBJECT_CLASS (job_source_spec_parent_class)->finalize (object);
}

static void
job_source_spec_get_property (GObject *object,
                              guint prop_id,
                              GValue *value,
                              GParamSpec *pspec)
{
  JobSourceSpec *self = JOB_SOURCE_SPEC (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_string (value, self->kind);
      break;
    case PROP_DIRECTORY:
      g_value_set_string (value, self->directory);
      break;
    case PROP_PROVENANCE:
      g_value_set_string (value, self->provenance);
      break;
    case PROP_CONFIG:
      g_value_set_boxed (value, self->config);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_source_spec_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  JobSourceSpec *self = JOB_SOURCE_SPEC (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_free (self->kind);
      self->kind = g_value_dup_string (value);
      break;
    case PROP_DIRECTORY:
      g_free (self->directory);
      self->directory = g_value_dup_string (value);
      break;
    case PROP_PROVENANCE:
      g_free (self->provenance);
      self->provenance = g_value_dup_string (value);
      break;
    case PROP_CONFIG:
      g_clear_pointer (&self->config, job_node_unref);
      self->config = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_source_spec_class_init (JobSourceSpecClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = job_source_spec_finalize;
  object_class->get_property = job_source_spec_get_property;
  object_class->set_property = job_source_spec_set_property;

  /**
   * JobSourceSpec:kind:
   *
   * The source kind (`local`, `tar`, `git`, ...).
   */
  properties[PROP_KIND] = g_param_spec_string ("kind", NULL, NULL, NULL, flags);
  /**
   * JobSourceSpec:directory:
   *
   * The directory, relative to the build root, the source stages into;
   * %NULL for the build root itself.
   */
  properties[PROP_DIRECTORY] =
      g_param_spec_string ("directory", NULL, NULL, NULL, flags);
  /**
   * JobSourceSpec:provenance:
   *
   * Where the source is declared, as `file [line L column C]`.
   */
  properties[PROP_PROVENANCE] =
      g_param_spec_string ("provenance", NULL, NULL, NULL, flags);
  /**
   * JobSourceSpec:config:
   *
   * The composed configuration of the source, with provenance.
   */
  properties[PROP_CONFIG] =
      g_param_spec_boxed ("config", NULL, NULL, JOB_TYPE_NODE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_source_spec_init (JobSourceSpec *self)
{
}

/**
 * job_source_spec_get_kind:
 * @self: a source spec
 *
 * Returns: (transfer none) (nullable): the source kind
 */
const char *
job_source_spec_get_kind (JobSourceSpec *self)
{
  g_return_val_if_fail (JOB_IS_SOURCE_SPEC (self), NULL);
  return self->kind;
}

/**
 * job_source_spec_get_directory:
 * @self: a source spec
 *
 * Returns: (transfer none) (nullable): the staging directory, or %NULL
 */
const char *
job_source_spec_get_directory (JobSourceSpec *self)
{
  g_return_val_if_fail (JOB_IS_SOURCE_SPEC (self), NULL);
  return self->directory;
}

/**
 * job_source_spec_get_provenance:
 * @self: a source spec
 *
 * Returns: (transfer none) (nullable): where the source is declared
 */
const char *
job_source_spec_get_provenance (JobSourceSpec *self)
{
  g_return_val_if_fail (JOB_IS_SOURCE_SPEC (self), NULL);
  return self->provenance;
}

/**
 * job_source_spec_get_config:
 * @self: a source spec
 *
 * Returns: (transfer none) (nullable): the composed configuration
 */
JobNode *
job_source_spec_get_config (JobSourceSpec *self)
{
  g_return_val_if_fail (JOB_IS_SOURCE_SPEC (self), NULL);
  return self->config;
}
