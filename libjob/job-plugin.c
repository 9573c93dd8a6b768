/* job-plugin.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "job-plugin.h"
#include "job-serializable.h"

/**
 * JobPlugin:
 *
 * The base class of element and source plugins.
 *
 * A plugin instance is made in the parent process from its composed
 * configuration ([property@Job.Plugin:config]), which
 * [vfunc@Job.Plugin.configure] reads into the instance's own properties.
 * Those properties are the plugin's state: they are what is pickled and sent
 * to the worker that runs the plugin's job. The configuration node and
 * anything else that belongs to the parent stay behind (they are declared
 * clear), so a plugin's job carries exactly what it needs.
 *
 * Variables (`%{prefix}` and the like) are resolved by the loader; a plugin
 * expands them in its configuration with [method@Job.Plugin.subst].
 */

typedef struct
{
  char *name;
  char *kind;
  char *project_directory;
  JobNode *config;
  GHashTable *variables; /* name -> value, resolved */
} JobPluginPrivate;

static void job_plugin_serializable_init (JobSerializableInterface *iface);

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (
    JobPlugin,
    job_plugin,
    G_TYPE_OBJECT,
    G_ADD_PRIVATE (JobPlugin)
        G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                               job_plugin_serializable_init))

/* clang-format would put spaces into the quark's name. */
/* clang-format off */
G_DEFINE_QUARK (job-plugin-error-quark, job_plugin_error)
/* clang-format on */

enum
{
  PROP_0,
  PROP_NAME,
  PROP_KIND,
  PROP_PROJECT_DIRECTORY,
  PROP_CONFIG,
  PROP_VARIABLES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
job_plugin_serializable_init (JobSerializableInterface *iface)
{
}

static void
job_plugin_finalize (GObject *object)
{
  JobPlugin *self = JOB_PLUGIN (object);
  JobPluginPrivate *priv = job_plugin_get_instance_private (self);

  g_free (priv->name);
  g_free (priv->kind);
  g_free (priv->project_directory);
  g_clear_pointer (&priv->config, job_node_unref);
  g_clear_pointer (&priv->variables, g_hash_table_unref);

  G_OBJECT_CLASS (job_plugin_parent_class)->finalize (object);
}

/* Orders an array of strings (sort functions pass pointers to elements). */
static int
compare_string_pointers (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Variables travel as a sorted a{ss}, so the same values give the same
 * pickle and the same cache key. */
static GVariant *
variables_to_variant (JobPluginPrivate *priv)
{
  g_autofree gpointer *keys = NULL;
  GVariantBuilder builder;
  guint n = 0;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  if (priv->variables != NULL)
    {
      keys = g_hash_table_get_keys_as_array (priv->variables, &n);
      qsort (keys, n, sizeof (gpointer), compare_string_pointers);
    }
  for (guint i = 0; i < n; i++)
    g_variant_builder_add (&builder, "{ss}", keys[i],
                           g_hash_table_lookup (priv->variables, keys[i]));
  return g_variant_builder_end (&builder);
}

static void
variables_from_variant (JobPluginPrivate *priv, GVariant *variant)
{
  GVariantIter iter;
  const char *key, *value;

  g_clear_pointer (&priv->variables, g_hash_table_unref);
  priv->variables =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (variant == NULL)
    return;
  g_variant_iter_init (&iter, variant);
  while (g_variant_iter_next (&iter, "{&s&s}", &key, &value))
    g_hash_table_insert (priv->variables, g_strdup (key), g_strdup (value));
}

static void
job_plugin_get_property (GObject *object,
                         guint prop_id,
                         GValue *value,
                         GParamSpec *pspec)
{
  JobPlugin *self = JOB_PLUGIN (object);
  JobPluginPrivate *priv = job_plugin_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    case PROP_KIND:
      g_value_set_string (value, priv->kind);
      break;
    case PROP_PROJECT_DIRECTORY:
      g_value_set_string (value, priv->project_directory);
      break;
    case PROP_CONFIG:
      g_value_set_boxed (value, priv->config);
      break;
    case PROP_VARIABLES:
      g_value_take_variant (value, variables_to_variant (priv));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_plugin_set_property (GObject *object,
                         guint prop_id,
                         const GValue *value,
                         GParamSpec *pspec)
{
  JobPlugin *self = JOB_PLUGIN (object);
  JobPluginPrivate *priv = job_plugin_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (priv->name);
      priv->name = g_value_dup_string (value);
      break;
    case PROP_KIND:
      g_free (priv->kind);
      priv->kind = g_value_dup_string (value);
      break;
    case PROP_PROJECT_DIRECTORY:
      g_free (priv->project_directory);
      priv->project_directory = g_value_dup_string (value);
      break;
    case PROP_CONFIG:
      g_clear_pointer (&priv->config, job_node_unref);
      priv->config = g_value_dup_boxed (value);
      break;
    case PROP_VARIABLES:
      variables_from_variant (priv, g_value_get_variant (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
job_plugin_real_configure (JobPlugin *self, JobNode *config, GError **error)
{
  return TRUE;
}

static gboolean
job_plugin_real_preflight (JobPlugin *self, GError **error)
{
  return TRUE;
}

static GVariant *
job_plugin_real_get_unique_key (JobPlugin *self)
{
  return g_variant_new_tuple (NULL, 0);
}

static void
job_plugin_class_init (JobPluginClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_plugin_finalize;
  object_class->get_property = job_plugin_get_property;
  object_class->set_property = job_plugin_set_property;

  klass->configure = job_plugin_real_configure;
  klass->preflight = job_plugin_real_preflight;
  klass->get_unique_key = job_plugin_real_get_unique_key;

  /**
   * JobPlugin:name:
   *
   * The instance's name: the element's name, or the element's name and the
   * source's position for a source.
   */
  properties[PROP_NAME] = g_param_spec_string (
      "name", NULL, NULL, NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * JobPlugin:kind:
   *
   * The plugin's kind, as element and source files name it (`manual`,
   * `local`, …).
   */
  properties[PROP_KIND] = g_param_spec_string (
      "kind", NULL, NULL, NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * JobPlugin:project-directory:
   *
   * The directory of the project the instance belongs to, for plugins that
   * read files of the project.
   */
  properties[PROP_PROJECT_DIRECTORY] = g_param_spec_string (
      "project-directory", NULL, NULL, NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * JobPlugin:config:
   *
   * The composed configuration (the `config` of an element, the source's
   * own mapping for a source). It belongs to the parent: it is never
   * pickled, the configured properties are.
   */
  properties[PROP_CONFIG] =
      g_param_spec_boxed ("config", NULL, NULL, JOB_TYPE_NODE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                              | G_PARAM_STATIC_STRINGS | JOB_PARAM_CLEAR);

  /**
   * JobPlugin:variables:
   *
   * The resolved variables of the instance, as an `a{ss}` sorted by name.
   */
  properties[PROP_VARIABLES] =
      g_param_spec_variant ("variables", NULL, NULL, G_VARIANT_TYPE ("a{ss}"),
                            NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_plugin_init (JobPlugin *self)
{
  JobPluginPrivate *priv = job_plugin_get_instance_private (self);

  priv->variables =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * job_plugin_get_name:
 * @self: a #JobPlugin
 *
 * Gets the instance's name.
 *
 * Returns: (nullable): the name
 */
const char *
job_plugin_get_name (JobPlugin *self)
{
  JobPluginPrivate *priv = job_plugin_get_instance_private (self);

  g_return_val_if_fail (JOB_IS_PLUGIN (self), NULL);

  return priv->name;
}

/**
 * job_plugin_get_kind:
 * @self: a #JobPlugin
 *
 * Gets the plugin's kind.
 *
 * Returns: (nullable): the kind
 */
const char *
job_plugin_get_kind (JobPlugin *self)
{
  JobPluginPrivate *priv = job_plugin_get_instance_private (self);

  g_return_val_if_fail (JOB_IS_PLUGIN (self), NULL);

  return priv->kind;
}

/**
 * job_plugin_get_config:
 * @self: a #JobPlugin
 *
 * Gets the composed configuration. It is %NULL in a worker: only the
 * configured properties are pickled.
 *
 * Returns: (transfer none) (nullable): the configuration
 */
JobNode *
job_plugin_get_config (JobPlugin *self)
{
  JobPluginPrivate *priv = job_plugin_get_instance_private (self);

  g_return_val_if_fail (JOB_IS_PLUGIN (self), NULL);

  return priv->config;
}

/**
 * job_plugin_get_project_directory:
 * @self: a #JobPlugin
 *
 * Gets the directory of the project the instance belongs to.
 *
 * Returns: (nullable) (type filename): the directory
 */
const char *
job_plugin_get_project_directory (JobPlugin *self)
{
  JobPluginPrivate *priv = job_plugin_get_instance_private (self);

  g_return_val_if_fail (JOB_IS_PLUGIN (self), NULL);

  return priv->project_directory;
}

/**
 * job_plugin_get_variable:
 * @self: a #JobPlugin
 * @name: a variable name
 *
 * Looks up one resolved variable.
 *
 * Returns: (nullable): its value, or %NULL if there is no such variable
 */
const char *
job_plugin_get_variable (JobPlugin *self, const char *name)
{
  JobPluginPrivate *priv = job_plugin_get_instance_private (self);

  g_return_val_if_fail (JOB_IS_PLUGIN (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (priv->variables, name);
}

/**
 * job_plugin_set_variables:
 * @self: a #JobPlugin
 * @names: (array zero-terminated=1): variable names
 * @values: (array zero-terminated=1): their resolved values, as many as @names
 *
 * Replaces the instance's variables.
 */
void
job_plugin_set_variables (JobPlugin *self,
                          const char *const *names,
                          const char *const *values)
{
  JobPluginPrivate *priv = job_plugin_get_instance_private (self);

  g_return_if_fail (JOB_IS_PLUGIN (self));
  g_return_if_fail (g_strv_length ((char **) names)
                    == g_strv_length ((char **) values));

  g_hash_table_remove_all (priv->variables);
  for (guint i = 0; names[i] != NULL; i++)
    g_hash_table_insert (priv->variables, g_strdup (names[i]),
                         g_strdup (values[i]));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VARIABLES]);
}

/**
 * job_plugin_subst:
 * @self: a #JobPlugin
 * @text: text with `%{name}` references
 * @error: return location for a #GError
 *
 * Expands every `%{name}` in @text with the instance's variables. `%%{` is
 * a literal `%{`.
 *
 * Returns: (transfer full) (nullable): the expanded text, or %NULL with
 *   %JOB_PLUGIN_ERROR_VARIABLE set
 */
char *
job_plugin_subst (JobPlugin *self, const char *text, GError **error)
{
  JobPluginPrivate *priv = job_plugin_get_instance_private (self);
  g_autoptr (GString) out = NULL;
  const char *p = text;

  g_return_val_if_fail (JOB_IS_PLUGIN (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);

  out = g_string_sized_new (strlen (text) + 32);
  while (*p != '\0')
    {
      const char *start = strstr (p, "%{");
      const char *end;
      g_autofree char *name = NULL;
      const char *value;

      if (start == NULL)
        {
          g_string_append (out, p);
          break;
        }
      if (start > p && start[-1] == '%')
        {
          g_string_append_len (out, p, start - p - 1);
          g_string_append (out, "%{");
          p = start + 2;
          continue;
        }
      g_string_append_len (out, p, start - p);
      end = strchr (start + 2, '}');
      if (end == NULL)
        {
          g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_VARIABLE,
                       "%s: unterminated variable reference in “%s”",
                       priv->name ? priv->name : "plugin", text);
          return NULL;
        }
      name = g_strndup (start + 2, end - start - 2);
      value = g_hash_table_lookup (priv->variables, name);
      if (value == NULL)
        {
          g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_VARIABLE,
                       "%s: reference to undefined variable “%s” in “%s”",
                       priv->name ? priv->name : "plugin", name, text);
          return NULL;
        }
      g_string_append (out, value);
      p = end + 1;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * job_plugin_subst_list:
 * @self: a #JobPlugin
 * @node: a mapping
 * @key: the key of a list of strings in @node
 * @error: return location for a #GError
 *
 * Reads the list of strings at @key in @node and expands the variables in
 * each. A missing key gives an empty list. Errors name the provenance of the
 * offending node.
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the
 *   expanded strings, or %NULL with @error set
 */
char **
job_plugin_subst_list (JobPlugin *self,
                       JobNode *node,
                       const char *key,
                       GError **error)
{
  g_auto (GStrv) raw = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  JobNode *list;

  g_return_val_if_fail (JOB_IS_PLUGIN (self), NULL);
  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  list = job_node_lookup (node, key);
  if (list == NULL)
    return g_new0 (char *, 1);
  raw = job_node_as_string_list (list, error);
  if (raw == NULL)
    return NULL;
  for (guint i = 0; raw[i] != NULL; i++)
    {
      g_autoptr (GError) local_error = NULL;
      char *expanded = job_plugin_subst (self, raw[i], &local_error);

      if (expanded == NULL)
        {
          JobNode *item = job_node_get_item (list, i);
          g_autofree char *where =
              job_node_dup_provenance (item != NULL ? item : list);

          g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_VARIABLE,
                       "%s: %s", where, local_error->message);
          return NULL;
        }
      g_strv_builder_add (builder, expanded);
      g_free (expanded);
    }
  return g_strv_builder_end (builder);
}

/**
 * job_plugin_configure:
 * @self: a #JobPlugin
 * @error: return location for a #GError
 *
 * Reads the instance's configuration into its properties, through
 * [vfunc@Job.Plugin.configure].
 *
 * Returns: %TRUE on success
 */
gboolean
job_plugin_configure (JobPlugin *self, GError **error)
{
  JobPluginPrivate *priv = job_plugin_get_instance_private (self);
  g_autoptr (JobNode) empty = NULL;
  JobNode *config = priv->config;

  g_return_val_if_fail (JOB_IS_PLUGIN (self), FALSE);

  if (config == NULL)
    config = empty = job_node_new_mapping (NULL, 0, 0);
  return JOB_PLUGIN_GET_CLASS (self)->configure (self, config, error);
}

/**
 * job_plugin_preflight:
 * @self: a #JobPlugin
 * @error: return location for a #GError
 *
 * Checks what the plugin needs on the host, through
 * [vfunc@Job.Plugin.preflight].
 *
 * Returns: %TRUE if everything is there
 */
gboolean
job_plugin_preflight (JobPlugin *self, GError **error)
{
  g_return_val_if_fail (JOB_IS_PLUGIN (self), FALSE);

  return JOB_PLUGIN_GET_CLASS (self)->preflight (self, error);
}

/**
 * job_plugin_get_unique_key:
 * @self: a #JobPlugin
 *
 * Gets what of the instance affects its output, through
 * [vfunc@Job.Plugin.get_unique_key].
 *
 * A key is never optional: an implementation that returns %NULL (a
 * Python one that raised, for instance) has failed, and so does this.
 *
 * Returns: (transfer full) (nullable): the unique key, or %NULL if the
 *   plugin failed to give one
 */
GVariant *
job_plugin_get_unique_key (JobPlugin *self)
{
  GVariant *key;

  g_return_val_if_fail (JOB_IS_PLUGIN (self), NULL);

  key = JOB_PLUGIN_GET_CLASS (self)->get_unique_key (self);
  return key != NULL ? g_variant_ref_sink (key) : NULL;
}
