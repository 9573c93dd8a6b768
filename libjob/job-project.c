/* job-project.c: a project: project.conf, its options and defaults
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <glib/gstdio.h>

#include "job-expression-private.h"
#include "job-inputs.h"
#include "job-load-error.h"
#include "job-node-private.h"
#include "job-project-private.h"
#include "job-serializable.h"

/**
 * JobProject:
 *
 * A project: the directory holding `project.conf`, read over libjob's
 * built-in defaults (`projectconfig.yaml` in libjob's data directory) as
 * BuildStream 1.x reads it: `name`, `element-path`, `variables`,
 * `environment`, `environment-nocache`, `elements` and `sources` overrides
 * per kind, `plugins` origins, `aliases`, `options` (set with
 * [method@Job.Project.set_option] and used by `(?)` conditionals),
 * `(@)` includes, and the `format-version` / `min-version` checks.
 *
 * A project is never pickled: it implements [iface@Job.Unserializable].
 */

typedef struct
{
  char *name;
  char *variable; /* nullable: the variable the option is exported to */
  gboolean is_bool;
  gboolean is_flags;
  char **values; /* enum, flags */
  char **flags;  /* flags: the selected ones, sorted */
  char *value;   /* exported form: the enum value, or "1" / "0" */
  gboolean boolean;
} Option;

typedef struct
{
  char *path;   /* the directory of a local origin */
  char **kinds; /* its element kinds */
  char **source_kinds;
} LocalOrigin;

struct _JobProject
{
  GObject parent_instance;

  char *requested_directory;
  GHashTable *cli_options; /* name -> value */

  gboolean loaded;
  char *directory;
  char *name;
  char *element_path;
  guint max_jobs;
  JobNode *config;
  JobNode *variables;
  JobNode *environment;
  JobNode *environment_nocache;
  JobNode *split_rules;
  JobNode *element_overrides;
  JobNode *source_overrides;
  JobNode *aliases;
  gboolean project_refs;         /* ref-storage: project.refs */
  JobNode *refs;                 /* its `projects` mapping, or NULL */
  GHashTable *workspaces;        /* element -> absolute directory */
  GPtrArray *options;            /* Option* */
  GHashTable *option_values;     /* name -> GVariant, for expressions */
  GPtrArray *local_origins;      /* LocalOrigin* */
  GHashTable *include_cache;     /* path -> processed JobNode */
  GHashTable *include_raw_cache; /* path -> includes-only JobNode */
  GHashTable *element_defaults;  /* kind -> JobNode */
  GHashTable *source_defaults;   /* kind -> JobNode */
  GPtrArray *include_stack;      /* char* hops "file [..] includes x" */
  GPtrArray *include_paths;      /* char* paths being included */
};

enum
{
  PROP_0,
  PROP_DIRECTORY,
  PROP_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
job_project_get_reason (JobUnserializable *unserializable)
{
  return g_strdup ("a project holds the state of a whole load (files, "
                   "caches, options); send the element's JobElementSpec "
                   "instead");
}

static void
job_project_unserializable_init (JobUnserializableInterface *iface)
{
  iface->get_reason = job_project_get_reason;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    JobProject,
    job_project,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_UNSERIALIZABLE,
                           job_project_unserializable_init))

static void
option_free (gpointer data)
{
  Option *option = data;

  g_free (option->name);
  g_free (option->variable);
  g_strfreev (option->values);
  g_strfreev (option->flags);
  g_free (option->value);
  g_free (option);
}

static void
local_origin_free (gpointer data)
{
  LocalOrigin *origin = data;

  g_free (origin->path);
  g_strfreev (origin->kinds);
  g_strfreev (origin->source_kinds);
  g_free (origin);
}

static void
job_project_finalize (GObject *object)
{
  JobProject *self = JOB_PROJECT (object);

  g_free (self->requested_directory);
  g_hash_table_unref (self->cli_options);
  g_free (self->directory);
  g_free (self->name);
  g_free (self->element_path);
  g_clear_pointer (&self->config, job_node_unref);
  g_clear_pointer (&self->variables, job_node_unref);
  g_clear_pointer (&self->environment, job_node_unref);
  g_clear_pointer (&self->environment_nocache, job_node_unref);
  g_clear_pointer (&self->split_rules, job_node_unref);
  g_clear_pointer (&self->element_overrides, job_node_unref);
  g_clear_pointer (&self->source_overrides, job_node_unref);
  g_clear_pointer (&self->aliases, job_node_unref);
  g_clear_pointer (&self->refs, job_node_unref);
  g_clear_pointer (&self->workspaces, g_hash_table_unref);
  g_ptr_array_unref (self->options);
  g_hash_table_unref (self->option_values);
  g_ptr_array_unref (self->local_origins);
  g_hash_table_unref (self->include_cache);
  g_hash_table_unref (self->include_raw_cache);
  g_hash_table_unref (self->element_defaults);
  g_hash_table_unref (self->source_defaults);
  g_ptr_array_unref (self->include_stack);
  g_ptr_array_unref (self->include_paths);
  G_OBJECT_CLASS (job_project_parent_class)->finalize (object);
}

static void
job_project_get_property (GObject *object,
                          guint prop_id,
                          GValue *value,
                          GParamSpec *pspec)
{
  JobProject *self = JOB_PROJECT (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_string (value, job_project_get_directory (self));
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_project_set_property (GObject *object,
                          guint prop_id,
                          const GValue *value,
                          GParamSpec *pspec)
{
  JobProject *self = JOB_PROJECT (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_free (self->requested_directory);
      self->requested_directory = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_project_class_init (JobProjectClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_project_finalize;
  object_class->get_property = job_project_get_property;
  object_class->set_property = job_project_set_property;

  /**
   * JobProject:directory:
   *
   * The directory of the project. Before loading, the directory to start
   * from: loading looks for `project.conf` there and in its parents. Once
   * loaded, the directory that holds `project.conf`.
   */
  properties[PROP_DIRECTORY] = g_param_spec_string (
      "directory", NULL, NULL, NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * JobProject:name:
   *
   * The name of the project, once loaded.
   */
  properties[PROP_NAME] = g_param_spec_string (
      "name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_project_init (JobProject *self)
{
  self->cli_options =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->options = g_ptr_array_new_with_free_func (option_free);
  self->option_values = g_hash_table_new_full (
      g_str_hash, g_str_equal, NULL, (GDestroyNotify) g_variant_unref);
  self->local_origins = g_ptr_array_new_with_free_func (local_origin_free);
  self->include_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) job_node_unref);
  self->include_raw_cache = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify) job_node_unref);
  self->element_defaults = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify) job_node_unref);
  self->source_defaults = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify) job_node_unref);
  self->include_stack = g_ptr_array_new_with_free_func (g_free);
  self->include_paths = g_ptr_array_new_with_free_func (g_free);
}

/**
 * job_project_new:
 * @directory: (type filename): the project's directory, or one below it
 *
 * Creates a project to load with [method@Job.Project.load].
 *
 * Returns: (transfer full): a new project
 */
JobProject *
job_project_new (const char *directory)
{
  g_return_val_if_fail (directory != NULL, NULL);
  return g_object_new (JOB_TYPE_PROJECT, "directory", directory, NULL);
}

/**
 * job_project_set_option:
 * @self: a project, not loaded yet
 * @name: the name of an option the project declares
 * @value: its value: one of the values of an enum option, or `true` /
 *   `false` (`True` / `False`, `1` / `0`) for a bool option
 *
 * Sets an option as `--option NAME VALUE` does on the command line. Loading
 * fails if the project has no such option or the value is not allowed.
 */
void
job_project_set_option (JobProject *self, const char *name, const char *value)
{
  g_return_if_fail (JOB_IS_PROJECT (self));
  g_return_if_fail (!self->loaded);
  g_return_if_fail (name != NULL);
  g_return_if_fail (value != NULL);
  g_hash_table_replace (self->cli_options, g_strdup (name), g_strdup (value));
}

/**
 * job_project_get_data_directory:
 *
 * Where libjob finds its data: the default project configuration and the
 * defaults of plugin kinds. It is `$JOB_DATA_DIR` when set, else the
 * installed data directory, else the source tree's `data/` (so that libjob
 * works from its build tree).
 *
 * Returns: (transfer none) (type filename): the data directory
 */
const char *
job_project_get_data_directory (void)
{
  static gsize directory;

  if (g_once_init_enter (&directory))
    {
      const char *env = g_getenv ("JOB_DATA_DIR");
      g_autofree char *installed =
          g_build_filename (JOB_PKGDATADIR, "projectconfig.yaml", NULL);
      char *found;

      if (env != NULL && *env != '\0')
        found = g_strdup (env);
      else if (g_file_test (installed, G_FILE_TEST_EXISTS))
        found = g_strdup (JOB_PKGDATADIR);
      else
        found = g_build_filename (JOB_SOURCEDIR, "data", NULL);
      g_once_init_leave (&directory, (gsize) found);
    }
  return (const char *) directory;
}

static gboolean
check_symbol_name (JobNode *where,
                   const char *name,
                   const char *purpose,
                   gboolean allow_dashes,
                   GError **error)
{
  gboolean valid = name[0] != '\0' && !g_ascii_isdigit (name[0]);

  for (const char *p = name; valid && *p; p++)
    if (!(g_ascii_isalnum (*p) || *p == '_' || (allow_dashes && *p == '-')))
      valid = FALSE;
  if (!valid)
    job_node_set_error (error, where, JOB_LOAD_ERROR_INVALID_SYMBOL_NAME,
                        "invalid %s “%s”: use letters, digits%s and “_”, "
                        "not starting with a digit",
                        purpose, name, allow_dashes ? ", “-”" : "");
  return valid;
}

/* Whether relative @path climbs out of the directory it is relative to. */
static gboolean
leads_outside (const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_equal (parts[i], ".."))
      return TRUE;
  return FALSE;
}

/* Processing of (?), (!) and (@) ------------------------------------------ */

static JobNode *process (JobProject *self,
                         JobNode *node,
                         gboolean conditionals,
                         GError **error);

static JobNode *
load_include (JobProject *self,
              JobNode *where,
              const char *include,
              gboolean conditionals,
              GError **error)
{
  GHashTable *cache =
      conditionals ? self->include_cache : self->include_raw_cache;
  JobNode *cached = g_hash_table_lookup (cache, include);
  g_autofree char *path = NULL;
  g_autofree char *hop = NULL;
  g_autofree char *where_text = NULL;
  g_autoptr (JobNode) raw = NULL;
  JobNode *processed;

  for (guint i = 0; i < self->include_paths->len; i++)
    if (g_str_equal (self->include_paths->pdata[i], include))
      {
        g_autoptr (GString) chain = g_string_new (NULL);

        for (guint k = i; k < self->include_stack->len; k++)
          g_string_append_printf (chain, "\n  %s",
                                  (char *) self->include_stack->pdata[k]);
        where_text = job_node_dup_provenance (where);
        g_string_append_printf (chain, "\n  %s includes %s", where_text,
                                include);
        job_node_set_error (error, where, JOB_LOAD_ERROR_RECURSIVE_INCLUDE,
                            "“%s” includes itself:%s", include, chain->str);
        return NULL;
      }
  if (cached != NULL)
    return job_node_ref (cached);
  if (strchr (include, ':') != NULL)
    {
      job_node_set_error (error, where, JOB_LOAD_ERROR_INVALID_DATA,
                          "“%s” includes a file through a junction; libjob "
                          "loads elements through junctions, but not "
                          "includes yet: copy the file into this project",
                          include);
      return NULL;
    }
  if (g_path_is_absolute (include))
    {
      job_node_set_error (error, where, JOB_LOAD_ERROR_INVALID_DATA,
                          "“%s” is an absolute path; includes are relative "
                          "to the project directory",
                          include);
      return NULL;
    }
  if (leads_outside (include))
    {
      job_node_set_error (error, where, JOB_LOAD_ERROR_INVALID_DATA,
                          "“%s” leads outside of the project directory; "
                          "include files of the project only",
                          include);
      return NULL;
    }
  path = g_build_filename (self->directory, include, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      job_node_set_error (error, where, JOB_LOAD_ERROR_MISSING_FILE,
                          "included file “%s” does not exist in the project "
                          "directory %s",
                          include, self->directory);
      return NULL;
    }
  raw = job_node_load_file (path, include, error);
  if (raw == NULL)
    return NULL;
  if (job_node_is_null (raw))
    {
      job_node_set_error (error, raw, JOB_LOAD_ERROR_INVALID_DATA,
                          "the included file is empty; expected a mapping");
      return NULL;
    }
  if (!job_node_check_type (raw, JOB_NODE_MAPPING, error))
    return NULL;
  where_text = job_node_dup_provenance (where);
  hop = g_strdup_printf ("%s includes %s", where_text, include);
  g_ptr_array_add (self->include_stack, g_steal_pointer (&hop));
  g_ptr_array_add (self->include_paths, g_strdup (include));
  processed = process (self, raw, conditionals, error);
  g_ptr_array_set_size (self->include_stack, self->include_stack->len - 1);
  g_ptr_array_set_size (self->include_paths, self->include_paths->len - 1);
  if (processed == NULL)
    return NULL;
  g_hash_table_insert (cache, g_strdup (include), job_node_ref (processed));
  return processed;
}

/* Applies the directives at the top of @node, which becomes a new node. */
static JobNode *
process_directives (JobProject *self,
                    JobNode *node, /* transfer full */
                    gboolean conditionals,
                    GError **error)
{
  for (;;)
    {
      JobNode *assertion = conditionals ? job_node_lookup (node, "(!)") : NULL;
      JobNode *conds = conditionals ? job_node_lookup (node, "(?)") : NULL;
      JobNode *includes = job_node_lookup (node, "(@)");

      if (assertion != NULL)
        {
          const char *message = job_node_as_string (assertion, error);

          if (message != NULL)
            {
              g_autofree char *stripped = g_strstrip (g_strdup (message));

              job_node_set_error (error, assertion,
                                  JOB_LOAD_ERROR_USER_ASSERTION, "%s",
                                  stripped);
            }
          job_node_unref (node);
          return NULL;
        }
      if (conds != NULL)
        {
          g_autoptr (JobNode) list = job_node_ref (conds);
          JobNode *copy = job_node_shallow_copy (node);

          job_node_unref (node);
          node = copy;
          job_node_remove_member (node, "(?)");
          if (!job_node_check_type (list, JOB_NODE_SEQUENCE, error))
            goto fail;
          for (guint i = 0; i < job_node_get_n_items (list); i++)
            {
              JobNode *condition = job_node_get_item (list, i);
              JobNode *fragment;
              const char *expression;
              gboolean apply = FALSE;
              g_autoptr (GError) local_error = NULL;

              if (!job_node_check_type (condition, JOB_NODE_MAPPING, error))
                goto fail;
              if (job_node_get_n_members (condition) != 1)
                {
                  job_node_set_error (error, condition,
                                      JOB_LOAD_ERROR_INVALID_DATA,
                                      "a conditional has exactly one key, "
                                      "its expression; this one has %u",
                                      job_node_get_n_members (condition));
                  goto fail;
                }
              expression = job_node_get_member_key (condition, 0);
              fragment = job_node_get_member_value (condition, 0);
              if (!job_expression_evaluate (expression, self->option_values,
                                            &apply, &local_error))
                {
                  g_autofree char *where =
                      job_node_dup_member_provenance (condition, 0);

                  g_set_error (error, JOB_LOAD_ERROR,
                               JOB_LOAD_ERROR_EXPRESSION_FAILED, "%s: %s",
                               where, local_error->message);
                  goto fail;
                }
              if (!job_node_check_type (fragment, JOB_NODE_MAPPING, error))
                goto fail;
              if (apply)
                {
                  JobNode *composed =
                      job_node_composite (node, fragment, error);

                  if (composed == NULL)
                    goto fail;
                  job_node_unref (node);
                  node = composed;
                }
            }
          continue;
        }
      if (includes != NULL)
        {
          g_autoptr (JobNode) list = job_node_ref (includes);
          g_autoptr (JobNode) base = NULL;
          JobNode *copy = job_node_shallow_copy (node);
          JobNode *composed;

          job_node_unref (node);
          node = copy;
          job_node_remove_member (node, "(@)");
          if (job_node_get_node_type (list) == JOB_NODE_SCALAR)
            {
              JobNode *wrapped = job_node_new_sequence (
                  job_node_get_filename (list), job_node_get_line (list),
                  job_node_get_column (list));

              job_node_append (wrapped, list);
              job_node_unref (list);
              list = wrapped;
            }
          if (!job_node_check_type (list, JOB_NODE_SEQUENCE, error))
            goto fail;
          for (guint i = 0; i < job_node_get_n_items (list); i++)
            {
              JobNode *item = job_node_get_item (list, i);
              const char *include = job_node_as_string (item, error);
              g_autoptr (JobNode) included = NULL;

              if (include == NULL)
                goto fail;
              included =
                  load_include (self, item, include, conditionals, error);
              if (included == NULL)
                goto fail;
              if (base == NULL)
                base = g_steal_pointer (&included);
              else
                {
                  JobNode *merged = job_node_composite (base, included, error);

                  if (merged == NULL)
                    goto fail;
                  job_node_unref (base);
                  base = merged;
                }
            }
          if (base != NULL)
            {
              composed = job_node_composite (base, node, error);
              if (composed == NULL)
                goto fail;
              job_node_unref (node);
              node = composed;
            }
          continue;
        }
      return node;
    }

fail:
  job_node_unref (node);
  return NULL;
}

static JobNode *
process (JobProject *self, JobNode *node, gboolean conditionals, GError **error)
{
  switch (job_node_get_node_type (node))
    {
    case JOB_NODE_SCALAR:
      return job_node_ref (node);
    case JOB_NODE_MAPPING:
      {
        JobNode *result =
            process_directives (self, job_node_ref (node), conditionals, error);
        gboolean copied = result != node;

        if (result == NULL)
          return NULL;
        for (guint i = 0; i < job_node_get_n_members (result); i++)
          {
            JobNode *child = job_node_get_member_value (result, i);
            JobNode *processed = process (self, child, conditionals, error);

            if (processed == NULL)
              {
                job_node_unref (result);
                return NULL;
              }
            if (processed == child)
              {
                job_node_unref (processed);
                continue;
              }
            if (!copied)
              {
                JobNode *copy = job_node_shallow_copy (result);

                job_node_unref (result);
                result = copy;
                copied = TRUE;
              }
            job_node_set_member_at (result, i, processed);
          }
        return result;
      }
    case JOB_NODE_SEQUENCE:
      {
        JobNode *result = NULL;

        for (guint i = 0; i < job_node_get_n_items (node); i++)
          {
            JobNode *child = job_node_get_item (node, i);
            JobNode *processed = process (self, child, conditionals, error);

            if (processed == NULL)
              {
                g_clear_pointer (&result, job_node_unref);
                return NULL;
              }
            if (processed != child && result == NULL)
              {
                result = job_node_new_sequence (job_node_get_filename (node),
                                                job_node_get_line (node),
                                                job_node_get_column (node));
                for (guint k = 0; k < i; k++)
                  job_node_append (result, job_node_get_item (node, k));
              }
            if (result != NULL)
              job_node_append (result, processed);
            job_node_unref (processed);
          }
        return result != NULL ? result : job_node_ref (node);
      }
    default:
      g_assert_not_reached ();
    }
}

JobNode *
job_project_process_node (JobProject *self, JobNode *node, GError **error)
{
  return process (self, node, TRUE, error);
}

/* Loading ------------------------------------------------------------------ */

static char *
find_project_directory (const char *start, GError **error)
{
  g_autofree char *directory = NULL;

  if (g_path_is_absolute (start))
    directory = g_canonicalize_filename (start, NULL);
  else
    directory = g_canonicalize_filename (start, NULL);
  for (;;)
    {
      g_autofree char *conf =
          g_build_filename (directory, "project.conf", NULL);
      g_autofree char *parent = NULL;

      if (g_file_test (conf, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&directory);
      parent = g_path_get_dirname (directory);
      if (g_str_equal (parent, directory))
        break;
      g_free (directory);
      directory = g_steal_pointer (&parent);
    }
  g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_MISSING_PROJECT_CONF,
               "no project.conf in %s or any of its parent directories; "
               "point at a project with -C DIR",
               start);
  return NULL;
}

static gboolean
parse_bool_text (const char *text, gboolean *out)
{
  if (g_str_equal (text, "true") || g_str_equal (text, "True")
      || g_str_equal (text, "1"))
    *out = TRUE;
  else if (g_str_equal (text, "false") || g_str_equal (text, "False")
           || g_str_equal (text, "0"))
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Sets a flags option from its definition's default (@definition) or
 * from the command line's comma-separated @text. */
static gboolean
set_flags (Option *option,
           JobNode *definition,
           const char *text,
           GError **error)
{
  g_auto (GStrv) flags = NULL;
  JobNode *where = NULL;
  guint n;

  if (definition != NULL)
    {
      where = job_node_lookup (definition, "default");
      flags = job_node_get_string_list (definition, "default", error);
      if (flags == NULL)
        return FALSE;
    }
  else
    {
      g_autofree char *stripped = g_strdup (text);
      char *out = stripped;

      for (const char *p = text; *p; p++)
        if (!g_ascii_isspace (*p))
          *out++ = *p;
      *out = '\0';
      flags = *stripped != '\0' ? g_strsplit (stripped, ",", -1)
                                : g_new0 (char *, 1);
    }
  for (guint i = 0; flags[i] != NULL; i++)
    if (!g_strv_contains ((const char *const *) option->values, flags[i]))
      {
        g_autofree char *allowed = g_strjoinv (", ", option->values);

        if (where != NULL)
          job_node_set_error (error, where, JOB_LOAD_ERROR_INVALID_DATA,
                              "“%s” is not a value of flags option “%s”; the "
                              "values are: %s",
                              flags[i], option->name, allowed);
        else
          g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA,
                       "invalid value “%s” for flags option “%s”; the "
                       "values are: %s",
                       flags[i], option->name, allowed);
        return FALSE;
      }
  n = g_strv_length (flags);
  qsort (flags, n, sizeof (char *), compare_strings);
  g_strfreev (option->flags);
  option->flags = g_steal_pointer (&flags);
  g_free (option->value);
  option->value = g_strjoinv (",", option->flags);
  return TRUE;
}

static gboolean
load_options (JobProject *self, JobNode *options, GError **error)
{
  GHashTableIter iter;
  gpointer key, value;

  if (options != NULL
      && !job_node_check_type (options, JOB_NODE_MAPPING, error))
    return FALSE;
  for (guint i = 0; options != NULL && i < job_node_get_n_members (options);
       i++)
    {
      const char *name = job_node_get_member_key (options, i);
      JobNode *definition = job_node_get_member_value (options, i);
      Option *option;
      const char *type, *variable;
      const char *bool_keys[] = { "type", "description", "variable", "default",
                                  NULL };
      const char *enum_keys[] = { "type",   "description", "variable",
                                  "values", "default",     NULL };
      const char *arch_keys[] = { "type", "description", "variable", "values",
                                  NULL };

      if (!check_symbol_name (definition, name, "option name", FALSE, error))
        return FALSE;
      type = job_node_get_string (definition, "type", NULL, error);
      if (type == NULL)
        return FALSE;
      if (!g_str_equal (type, "bool") && !g_str_equal (type, "enum")
          && !g_str_equal (type, "arch") && !g_str_equal (type, "flags"))
        {
          job_node_set_error (
              error, job_node_lookup (definition, "type"),
              JOB_LOAD_ERROR_INVALID_DATA,
              "option “%s” has type “%s”; libjob supports "
              "the option types “bool”, “enum”, “arch” and “flags”",
              name, type);
          return FALSE;
        }
      option = g_new0 (Option, 1);
      option->name = g_strdup (name);
      option->is_bool = g_str_equal (type, "bool");
      option->is_flags = g_str_equal (type, "flags");
      g_ptr_array_add (self->options, option);
      if (!job_node_validate_keys (definition,
                                   option->is_bool              ? bool_keys
                                   : g_str_equal (type, "arch") ? arch_keys
                                                                : enum_keys,
                                   error)
          || job_node_get_string (definition, "description", NULL, error)
                 == NULL)
        return FALSE;
      variable = job_node_get_string (definition, "variable", "", error);
      if (variable == NULL)
        return FALSE;
      if (*variable != '\0')
        {
          if (!check_symbol_name (job_node_lookup (definition, "variable"),
                                  variable, "variable name", TRUE, error))
            return FALSE;
          option->variable = g_strdup (variable);
        }
      if (option->is_bool)
        {
          JobNode *def = job_node_require (definition, "default", error);

          if (def == NULL
              || !job_node_as_boolean (def, &option->boolean, error))
            return FALSE;
        }
      else
        {
          JobNode *def;
          const char *def_value;

          option->values =
              job_node_get_string_list (definition, "values", error);
          if (option->values == NULL)
            return FALSE;
          if (option->values[0] == NULL)
            {
              job_node_set_error (error, definition,
                                  JOB_LOAD_ERROR_INVALID_DATA,
                                  "enum option “%s” has no “values”", name);
              return FALSE;
            }
          if (option->is_flags)
            {
              if (!set_flags (option, definition, NULL, error))
                return FALSE;
              continue;
            }
          if (g_str_equal (type, "arch"))
            {
              /* An arch option defaults to the machine's architecture
               * when it is one of the values, else to the first one. */
              struct utsname host;

              def_value = option->values[0];
              if (uname (&host) == 0
                  && g_strv_contains ((const char *const *) option->values,
                                      host.machine))
                def_value = host.machine;
              option->value = g_strdup (def_value);
              continue;
            }
          def = job_node_require (definition, "default", error);
          if (def == NULL
              || (def_value = job_node_as_string (def, error)) == NULL)
            return FALSE;
          if (!g_strv_contains ((const char *const *) option->values,
                                def_value))
            {
              g_autofree char *allowed = g_strjoinv (", ", option->values);

              job_node_set_error (error, def, JOB_LOAD_ERROR_INVALID_DATA,
                                  "“%s” is not a value of option “%s”; the "
                                  "values are: %s",
                                  def_value, name, allowed);
              return FALSE;
            }
          option->value = g_strdup (def_value);
        }
    }

  g_hash_table_iter_init (&iter, self->cli_options);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Option *option = NULL;

      for (guint i = 0; i < self->options->len; i++)
        if (g_str_equal (((Option *) self->options->pdata[i])->name, key))
          option = self->options->pdata[i];
      if (option == NULL)
        {
          g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA,
                       "project.conf: unknown option “%s” given on the command "
                       "line; the project declares no such option under "
                       "“options”",
                       (char *) key);
          return FALSE;
        }
      if (option->is_flags)
        {
          if (!set_flags (option, NULL, value, error))
            return FALSE;
        }
      else if (option->is_bool)
        {
          if (!parse_bool_text (value, &option->boolean))
            {
              g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA,
                           "invalid value “%s” for bool option “%s”; use true "
                           "or false",
                           (char *) value, option->name);
              return FALSE;
            }
        }
      else
        {
          if (!g_strv_contains ((const char *const *) option->values, value))
            {
              g_autofree char *allowed = g_strjoinv (", ", option->values);

              g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA,
                           "invalid value “%s” for option “%s”; the values "
                           "are: %s",
                           (char *) value, option->name, allowed);
              return FALSE;
            }
          g_free (option->value);
          option->value = g_strdup (value);
        }
    }

  for (guint i = 0; i < self->options->len; i++)
    {
      Option *option = self->options->pdata[i];

      if (option->is_bool)
        {
          g_free (option->value);
          option->value = g_strdup (option->boolean ? "1" : "0");
          g_hash_table_replace (
              self->option_values, option->name,
              g_variant_ref_sink (g_variant_new_boolean (option->boolean)));
        }
      else
        g_hash_table_replace (
            self->option_values, option->name,
            g_variant_ref_sink (g_variant_new_string (option->value)));
    }
  return TRUE;
}

static gboolean
check_versions (JobProject *self, JobNode *conf, GError **error)
{
  gint64 format_version = 0;
  JobNode *min_version = job_node_lookup (conf, "min-version");

  if (!job_node_get_int64 (conf, "format-version", 0, &format_version, error))
    return FALSE;
  if (format_version > JOB_FORMAT_VERSION)
    {
      job_node_set_error (error, job_node_lookup (conf, "format-version"),
                          JOB_LOAD_ERROR_UNSUPPORTED_PROJECT,
                          "the project needs format version %" G_GINT64_FORMAT
                          "; libjob reads projects up to format version %d "
                          "(that of BuildStream 1.6)",
                          format_version, JOB_FORMAT_VERSION);
      return FALSE;
    }
  if (min_version != NULL)
    {
      const char *text = job_node_as_string (min_version, error);
      guint64 major = 0, minor = 0;
      g_auto (GStrv) parts = NULL;

      if (text == NULL)
        return FALSE;
      parts = g_strsplit (text, ".", 3);
      if (g_strv_length (parts) < 2
          || !g_ascii_string_to_unsigned (parts[0], 10, 0, 1000, &major, NULL)
          || !g_ascii_string_to_unsigned (parts[1], 10, 0, 1000, &minor, NULL))
        {
          job_node_set_error (
              error, min_version, JOB_LOAD_ERROR_INVALID_DATA,
              "malformed min-version “%s”; expected MAJOR.MINOR", text);
          return FALSE;
        }
      if (major != 1 || minor > 6)
        {
          job_node_set_error (error, min_version,
                              JOB_LOAD_ERROR_UNSUPPORTED_PROJECT,
                              "the project needs BuildStream %s; libjob reads "
                              "the project format of BuildStream 1.0 to 1.6",
                              text);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
load_plugins (JobProject *self, JobNode *conf, GError **error)
{
  JobNode *origins = job_node_lookup (conf, "plugins");
  const char *valid[] = { "origin",       "sources", "elements",
                          "package-name", "path",    NULL };

  if (origins == NULL || job_node_is_null (origins))
    return TRUE;
  if (!job_node_check_type (origins, JOB_NODE_SEQUENCE, error))
    return FALSE;
  for (guint i = 0; i < job_node_get_n_items (origins); i++)
    {
      JobNode *origin = job_node_get_item (origins, i);
      const char *kind;
      JobNode *groups[2];

      if (!job_node_validate_keys (origin, valid, error))
        return FALSE;
      kind = job_node_get_string (origin, "origin", NULL, error);
      if (kind == NULL)
        return FALSE;
      groups[0] = job_node_get_mapping (origin, "elements", error);
      if (*error == NULL)
        groups[1] = job_node_get_mapping (origin, "sources", error);
      if (*error != NULL)
        return FALSE;
      for (guint g = 0; g < 2; g++)
        for (guint k = 0;
             groups[g] != NULL && k < job_node_get_n_members (groups[g]); k++)
          {
            gint64 version;

            if (!job_node_as_int64 (job_node_get_member_value (groups[g], k),
                                    &version, error))
              return FALSE;
          }
      if (g_str_equal (kind, "core"))
        continue;
      if (g_str_equal (kind, "local"))
        {
          const char *path = job_node_get_string (origin, "path", NULL, error);
          LocalOrigin *local;

          if (path == NULL)
            return FALSE;
          local = g_new0 (LocalOrigin, 1);
          local->path = g_build_filename (self->directory, path, NULL);
          local->kinds =
              groups[0] ? job_node_dup_keys (groups[0]) : g_new0 (char *, 1);
          local->source_kinds =
              groups[1] ? job_node_dup_keys (groups[1]) : g_new0 (char *, 1);
          g_ptr_array_add (self->local_origins, local);
          if (!g_file_test (local->path, G_FILE_TEST_IS_DIR))
            {
              job_node_set_error (
                  error, job_node_lookup (origin, "path"),
                  JOB_LOAD_ERROR_MISSING_FILE,
                  "the local plugin directory “%s” does not exist", path);
              return FALSE;
            }
          continue;
        }
      job_node_set_error (error, job_node_lookup (origin, "origin"),
                          JOB_LOAD_ERROR_INVALID_DATA,
                          "plugin origin “%s” is not supported; use “core” "
                          "or “local”",
                          kind);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_protected (JobNode *variables, GError **error)
{
  const char *protected[] = { "project-name", "element-name", "max-jobs" };

  for (guint i = 0; i < G_N_ELEMENTS (protected); i++)
    {
      int at = variables != NULL
                   ? job_node_find_member (variables, protected[i])
                   : -1;

      if (at >= 0)
        {
          g_autofree char *where =
              job_node_dup_member_provenance (variables, (guint) at);

          g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_PROTECTED_VARIABLE,
                       "%s: “%s” is set by libjob and cannot be redefined",
                       where, protected[i]);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_kind_overrides (JobNode *overrides,
                      const char *const *valid,
                      GError **error)
{
  if (overrides == NULL)
    return TRUE;
  if (!job_node_check_type (overrides, JOB_NODE_MAPPING, error))
    return FALSE;
  for (guint i = 0; i < job_node_get_n_members (overrides); i++)
    if (!job_node_validate_keys (job_node_get_member_value (overrides, i),
                                 valid, error))
      return FALSE;
  return TRUE;
}

/* With `ref-storage: project.refs`, the sources' refs come from the file
 * project.refs beside project.conf (none when it is missing), processed like
 * the project's own files:
 *
 *   projects:
 *     PROJECT:
 *       ELEMENT.bst:
 *       - ref: ...     # one mapping per source, in order
 */
static gboolean
load_project_refs (JobProject *self, GError **error)
{
  g_autofree char *path =
      g_build_filename (self->directory, "project.refs", NULL);
  const char *const valid_keys[] = { "projects", NULL };
  g_autoptr (JobNode) raw = NULL;
  g_autoptr (JobNode) processed = NULL;
  JobNode *projects;

  /* Its absence counts too: creating it changes the build. */
  job_inputs_note (path);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  raw = job_node_load_file (path, "project.refs", error);
  if (raw == NULL)
    return FALSE;
  if (job_node_is_null (raw))
    return TRUE;
  if (!job_node_check_type (raw, JOB_NODE_MAPPING, error))
    return FALSE;
  processed = process (self, raw, TRUE, error);
  if (processed == NULL || !job_node_check_final (processed, error)
      || !job_node_validate_keys (processed, valid_keys, error))
    return FALSE;
  projects = job_node_lookup (processed, "projects");
  if (projects == NULL || job_node_is_null (projects))
    return TRUE;
  if (!job_node_check_type (projects, JOB_NODE_MAPPING, error))
    return FALSE;
  self->refs = job_node_ref (projects);
  return TRUE;
}

#define WORKSPACES_FILE ".job/workspaces.yml"

static gboolean
workspaces_error (GError **error, JobNode *node, const char *message)
{
  job_node_set_error (error, node, JOB_LOAD_ERROR_INVALID_DATA,
                      "%s; fix " WORKSPACES_FILE " or remove it, which closes "
                      "every workspace (their directories stay)",
                      message);
  return FALSE;
}

/* The open workspaces, from .job/workspaces.yml (written by
 * job_project_save_workspaces()). */
static gboolean
load_workspaces (JobProject *self, GError **error)
{
  g_autofree char *path =
      g_build_filename (self->directory, WORKSPACES_FILE, NULL);
  const char *const valid_keys[] = { "format-version", "workspaces", NULL };
  const char *const entry_keys[] = { "path", NULL };
  g_autoptr (JobNode) root = NULL;
  JobNode *version, *workspaces;

  g_clear_pointer (&self->workspaces, g_hash_table_unref);
  self->workspaces =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* Opening or closing a workspace changes the build. */
  job_inputs_note (path);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  root = job_node_load_file (path, WORKSPACES_FILE, error);
  if (root == NULL)
    return FALSE;
  if (job_node_is_null (root))
    return TRUE;
  if (job_node_get_node_type (root) != JOB_NODE_MAPPING)
    return workspaces_error (error, root, "the file is not a mapping");
  if (!job_node_validate_keys (root, valid_keys, error))
    return FALSE;
  version = job_node_lookup (root, "format-version");
  if (version == NULL || g_strcmp0 (job_node_get_scalar (version), "1") != 0)
    return workspaces_error (
        error, version != NULL ? version : root,
        "this libjob reads workspaces files of format-version 1 only");
  workspaces = job_node_lookup (root, "workspaces");
  if (workspaces == NULL || job_node_is_null (workspaces))
    return TRUE;
  if (job_node_get_node_type (workspaces) != JOB_NODE_MAPPING)
    return workspaces_error (error, workspaces,
                             "“workspaces” is not a mapping of elements");
  for (guint i = 0; i < job_node_get_n_members (workspaces); i++)
    {
      const char *element = job_node_get_member_key (workspaces, i);
      JobNode *entry = job_node_get_member_value (workspaces, i);
      const char *directory;

      if (job_node_get_node_type (entry) != JOB_NODE_MAPPING)
        return workspaces_error (error, entry,
                                 "a workspace is a mapping with its “path”");
      if (!job_node_validate_keys (entry, entry_keys, error))
        return FALSE;
      directory = job_node_get_string (entry, "path", NULL, error);
      if (directory == NULL)
        {
          if (*error == NULL)
            workspaces_error (error, entry, "the workspace has no “path”");
          return FALSE;
        }
      g_hash_table_insert (
          self->workspaces, g_strdup (element),
          g_canonicalize_filename (directory, self->directory));
    }
  return TRUE;
}

/**
 * job_project_get_workspace:
 * @self: a loaded project
 * @element: an element name (`app.bst`)
 *
 * Gets the workspace of @element: a directory holding its sources, which
 * builds use in their place while it is open. `job workspace` opens and
 * closes workspaces; a project keeps them in `.job/workspaces.yml`.
 *
 * Returns: (transfer none) (nullable) (type filename): the absolute
 *   directory of the workspace, or %NULL if @element has none
 */
const char *
job_project_get_workspace (JobProject *self, const char *element)
{
  g_return_val_if_fail (JOB_IS_PROJECT (self), NULL);
  g_return_val_if_fail (element != NULL, NULL);

  if (self->workspaces == NULL)
    return NULL;
  return g_hash_table_lookup (self->workspaces, element);
}

/**
 * job_project_dup_workspace_elements:
 * @self: a loaded project
 *
 * Lists the elements that have an open workspace.
 *
 * Returns: (transfer full) (array zero-terminated=1): their names, sorted
 */
char **
job_project_dup_workspace_elements (JobProject *self)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (JOB_IS_PROJECT (self), NULL);

  if (self->workspaces != NULL)
    {
      g_hash_table_iter_init (&iter, self->workspaces);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (names, g_strdup (key));
    }
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_steal (names, NULL);
}

/**
 * job_project_set_workspace:
 * @self: a loaded project
 * @element: an element name (`app.bst`)
 * @directory: (nullable) (type filename): the directory of its workspace
 *   (a relative one is taken from the current directory), or %NULL to
 *   close it
 *
 * Opens or closes the workspace of @element in @self. Loaders made
 * afterwards see the change; [method@Job.Project.save_workspaces] keeps it
 * for the next process. This neither stages sources into @directory nor
 * removes it: `job workspace` does.
 */
void
job_project_set_workspace (JobProject *self,
                           const char *element,
                           const char *directory)
{
  g_return_if_fail (JOB_IS_PROJECT (self));
  g_return_if_fail (self->loaded);
  g_return_if_fail (element != NULL);

  if (directory == NULL)
    g_hash_table_remove (self->workspaces, element);
  else
    g_hash_table_insert (self->workspaces, g_strdup (element),
                         g_canonicalize_filename (directory, NULL));
}

/**
 * job_project_save_workspaces:
 * @self: a loaded project
 * @error: return location for a #GError
 *
 * Writes the open workspaces of @self to `.job/workspaces.yml` in the
 * project directory, replacing the file atomically; with none open, the
 * file is removed. A workspace inside the project directory is written
 * relative to it, so that the project can move with it.
 *
 * Returns: %TRUE on success
 */
gboolean
job_project_save_workspaces (JobProject *self, GError **error)
{
  g_autofree char *path =
      g_build_filename (self->directory, WORKSPACES_FILE, NULL);
  g_autofree char *parent = NULL;
  g_auto (GStrv) elements = NULL;
  g_autoptr (JobNode) root = NULL;
  g_autoptr (JobNode) workspaces = NULL;
  g_autoptr (JobNode) version = NULL;
  g_autofree char *yaml = NULL;
  g_autofree char *text = NULL;
  gsize prefix = strlen (self->directory);

  g_return_val_if_fail (JOB_IS_PROJECT (self), FALSE);
  g_return_val_if_fail (self->loaded, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  elements = job_project_dup_workspace_elements (self);
  if (elements[0] == NULL)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot remove %s: %s", path, g_strerror (saved));
          return FALSE;
        }
      /* .job/ goes too if nothing else is in it. */
      parent = g_path_get_dirname (path);
      g_rmdir (parent);
      return TRUE;
    }
  root = job_node_new_mapping (NULL, 0, 0);
  workspaces = job_node_new_mapping (NULL, 0, 0);
  version = job_node_new_scalar ("1", NULL, 0, 0);
  job_node_set_member (root, "format-version", version);
  for (guint i = 0; elements[i] != NULL; i++)
    {
      const char *directory =
          g_hash_table_lookup (self->workspaces, elements[i]);
      g_autoptr (JobNode) entry = job_node_new_mapping (NULL, 0, 0);
      g_autoptr (JobNode) value = NULL;

      if (g_str_has_prefix (directory, self->directory)
          && directory[prefix] == G_DIR_SEPARATOR)
        directory += prefix + 1;
      value = job_node_new_scalar (directory, NULL, 0, 0);
      job_node_set_member (entry, "path", value);
      job_node_set_member (workspaces, elements[i], entry);
    }
  job_node_set_member (root, "workspaces", workspaces);
  yaml = job_node_to_yaml (root, FALSE);
  text = g_strconcat ("# The open workspaces of this project, written by "
                      "`job workspace`.\n",
                      yaml, NULL);
  parent = g_path_get_dirname (path);
  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot make %s: %s", parent, g_strerror (saved));
      return FALSE;
    }
  return g_file_set_contents_full (path, text, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/* Whether the project keeps its sources' refs in project.refs. */
gboolean
job_project_uses_project_refs (JobProject *self)
{
  return self->project_refs;
}

/* What project.refs holds for source @index of @element (a mapping with
 * its `ref`), or %NULL with @error unset when it holds nothing for it. */
JobNode *
job_project_lookup_ref (JobProject *self,
                        const char *element,
                        guint index,
                        GError **error)
{
  JobNode *project, *sources, *entry;

  if (self->refs == NULL)
    return NULL;
  project = job_node_lookup (self->refs, self->name);
  if (project == NULL || job_node_is_null (project))
    return NULL;
  if (!job_node_check_type (project, JOB_NODE_MAPPING, error))
    return NULL;
  sources = job_node_lookup (project, element);
  if (sources == NULL || job_node_is_null (sources))
    return NULL;
  if (!job_node_check_type (sources, JOB_NODE_SEQUENCE, error))
    return NULL;
  if (index >= job_node_get_n_items (sources))
    return NULL;
  entry = job_node_get_item (sources, index);
  if (job_node_is_null (entry))
    return NULL;
  if (!job_node_check_type (entry, JOB_NODE_MAPPING, error))
    return NULL;
  return entry;
}

static gboolean
load_internal (JobProject *self, GError **error)
{
  static const char *const valid_keys[] = {
    "format-version", "min-version",    "element-path",
    "variables",      "environment",    "environment-nocache",
    "split-rules",    "elements",       "sources",
    "plugins",        "aliases",        "name",
    "artifacts",      "options",        "fail-on-overlap",
    "shell",          "fatal-warnings", "ref-storage",
    "sandbox",        "mirrors",        NULL
  };
  static const char *const element_override_keys[] = {
    "variables", "environment", "environment-nocache", "config", "public",
    "sandbox",   NULL
  };
  static const char *const source_override_keys[] = { "config", NULL };
  g_autofree char *defaults_path = NULL;
  g_autofree char *conf_path = NULL;
  g_autoptr (JobNode) defaults = NULL;
  g_autoptr (JobNode) conf = NULL;
  g_autoptr (JobNode) first_pass = NULL;
  g_autoptr (JobNode) processed = NULL;
  g_autoptr (JobNode) config = NULL;
  g_autoptr (JobNode) variables = NULL;
  JobNode *name_node, *node;
  const char *name, *element_path, *ref_storage;
  g_autofree char *max_jobs = NULL;

  self->directory = find_project_directory (self->requested_directory, error);
  if (self->directory == NULL)
    return FALSE;

  defaults_path = g_build_filename (job_project_get_data_directory (),
                                    "projectconfig.yaml", NULL);
  defaults = job_node_load_file_cached (defaults_path, NULL, error);
  if (defaults == NULL)
    return FALSE;
  if (!job_node_check_type (defaults, JOB_NODE_MAPPING, error))
    return FALSE;

  conf_path = g_build_filename (self->directory, "project.conf", NULL);
  conf = job_node_load_file (conf_path, "project.conf", error);
  if (conf == NULL)
    return FALSE;
  if (job_node_is_null (conf))
    {
      job_node_set_error (error, conf, JOB_LOAD_ERROR_INVALID_DATA,
                          "project.conf is empty; it needs at least a “name”");
      return FALSE;
    }
  if (!job_node_check_type (conf, JOB_NODE_MAPPING, error))
    return FALSE;

  /* Options come first: conditionals anywhere may use them. */
  first_pass = process (self, conf, FALSE, error);
  if (first_pass == NULL)
    return FALSE;
  if (!load_options (self, job_node_lookup (first_pass, "options"), error))
    return FALSE;

  processed = process (self, conf, TRUE, error);
  if (processed == NULL)
    return FALSE;
  name_node = job_node_lookup (processed, "name");
  if (name_node == NULL)
    {
      job_node_set_error (error, processed, JOB_LOAD_ERROR_INVALID_DATA,
                          "project.conf has no “name”; every project names "
                          "itself");
      return FALSE;
    }
  if (!check_protected (job_node_lookup (processed, "variables"), error))
    return FALSE;

  config = job_node_composite (defaults, processed, error);
  if (config == NULL)
    return FALSE;
  if (!job_node_validate_keys (config, valid_keys, error))
    return FALSE;
  if (!check_versions (self, config, error))
    return FALSE;
  name = job_node_as_string (name_node, error);
  if (name == NULL
      || !check_symbol_name (name_node, name, "project name", TRUE, error))
    return FALSE;
  self->name = g_strdup (name);

  element_path = job_node_get_string (config, "element-path", ".", error);
  if (element_path == NULL)
    return FALSE;
  if (g_path_is_absolute (element_path))
    {
      job_node_set_error (error, job_node_lookup (config, "element-path"),
                          JOB_LOAD_ERROR_INVALID_DATA,
                          "element-path “%s” is absolute; it is relative to "
                          "the project directory",
                          element_path);
      return FALSE;
    }
  if (leads_outside (element_path))
    {
      job_node_set_error (error, job_node_lookup (config, "element-path"),
                          JOB_LOAD_ERROR_INVALID_DATA,
                          "element-path “%s” leads outside of the project "
                          "directory; it must be a directory of the project",
                          element_path);
      return FALSE;
    }
  self->element_path = g_canonicalize_filename (element_path, self->directory);
  if (!g_file_test (self->element_path, G_FILE_TEST_IS_DIR))
    {
      job_node_set_error (error, job_node_lookup (config, "element-path"),
                          JOB_LOAD_ERROR_MISSING_FILE,
                          "element-path “%s” is not a directory of the project",
                          element_path);
      return FALSE;
    }

  ref_storage = job_node_get_string (config, "ref-storage", "inline", error);
  if (ref_storage == NULL)
    return FALSE;
  if (!g_str_equal (ref_storage, "inline")
      && !g_str_equal (ref_storage, "project.refs"))
    {
      job_node_set_error (error, job_node_lookup (config, "ref-storage"),
                          JOB_LOAD_ERROR_INVALID_DATA,
                          "ref-storage is “inline” or “project.refs”, not “%s”",
                          ref_storage);
      return FALSE;
    }
  self->project_refs = g_str_equal (ref_storage, "project.refs");
  if (self->project_refs && !load_project_refs (self, error))
    return FALSE;
  if (!load_workspaces (self, error))
    return FALSE;

  if (!load_plugins (self, config, error))
    return FALSE;

  node = job_node_get_mapping (config, "variables", error);
  if (node == NULL)
    {
      if (*error == NULL)
        job_node_set_error (error, config, JOB_LOAD_ERROR_INVALID_DATA,
                            "no “variables” in the project configuration");
      return FALSE;
    }
  variables = job_node_shallow_copy (node);
  job_node_set_member_full (
      variables, "project-name", 0, 0,
      job_node_new_scalar (self->name, "project.conf",
                           job_node_get_line (name_node),
                           job_node_get_column (name_node)));
  self->max_jobs = MIN (g_get_num_processors (), 8);
  max_jobs = g_strdup_printf ("%u", self->max_jobs);
  job_node_set_member_full (variables, "max-jobs", 0, 0,
                            job_node_new_scalar (max_jobs, "<builtin>", 0, 0));
  for (guint i = 0; i < self->options->len; i++)
    {
      Option *option = self->options->pdata[i];

      if (option->variable != NULL)
        job_node_set_member_full (
            variables, option->variable, 0, 0,
            job_node_new_scalar (option->value, "project.conf", 0, 0));
    }
  self->variables = g_steal_pointer (&variables);

  self->environment = job_node_get_mapping (config, "environment", error);
  if (self->environment == NULL && *error != NULL)
    return FALSE;
  self->environment = self->environment != NULL
                          ? job_node_ref (self->environment)
                          : job_node_new_mapping ("project.conf", 0, 0);
  self->environment_nocache =
      job_node_get_sequence (config, "environment-nocache", error);
  if (*error != NULL)
    return FALSE;
  self->environment_nocache =
      self->environment_nocache != NULL
          ? job_node_ref (self->environment_nocache)
          : job_node_new_sequence ("project.conf", 0, 0);
  {
    g_auto (GStrv) check =
        job_node_as_string_list (self->environment_nocache, error);

    if (check == NULL)
      return FALSE;
  }
  self->split_rules = job_node_get_mapping (config, "split-rules", error);
  if (*error != NULL)
    return FALSE;
  self->split_rules = self->split_rules != NULL
                          ? job_node_ref (self->split_rules)
                          : job_node_new_mapping ("project.conf", 0, 0);

  self->element_overrides = job_node_get_mapping (config, "elements", error);
  if (*error != NULL)
    return FALSE;
  if (self->element_overrides != NULL)
    job_node_ref (self->element_overrides);
  if (!check_kind_overrides (self->element_overrides, element_override_keys,
                             error))
    return FALSE;
  for (guint i = 0; self->element_overrides != NULL
                    && i < job_node_get_n_members (self->element_overrides);
       i++)
    if (!check_protected (job_node_lookup (job_node_get_member_value (
                                               self->element_overrides, i),
                                           "variables"),
                          error))
      return FALSE;
  self->source_overrides = job_node_get_mapping (config, "sources", error);
  if (*error != NULL)
    return FALSE;
  if (self->source_overrides != NULL)
    job_node_ref (self->source_overrides);
  if (!check_kind_overrides (self->source_overrides, source_override_keys,
                             error))
    return FALSE;

  self->aliases = job_node_get_mapping (config, "aliases", error);
  if (*error != NULL)
    return FALSE;
  self->aliases = self->aliases != NULL
                      ? job_node_ref (self->aliases)
                      : job_node_new_mapping ("project.conf", 0, 0);
  for (guint i = 0; i < job_node_get_n_members (self->aliases); i++)
    if (job_node_as_string (job_node_get_member_value (self->aliases, i), error)
        == NULL)
      return FALSE;

  if (!job_node_check_final (config, error))
    return FALSE;

  self->config = g_steal_pointer (&config);
  self->loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIRECTORY]);
  return TRUE;
}

/**
 * job_project_load:
 * @self: a project
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Finds `project.conf` (in the directory or one of its parents) and reads
 * it over the built-in defaults, applying options, includes and
 * conditionals. Loading twice is a programming error.
 *
 * Returns: %TRUE on success, %FALSE with @error set (in %JOB_LOAD_ERROR,
 *   the message naming the file, line and column)
 */
gboolean
job_project_load (JobProject *self, GCancellable *cancellable, GError **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (JOB_IS_PROJECT (self), FALSE);
  g_return_val_if_fail (!self->loaded, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  /* Internally the error is never NULL, so "*error != NULL" tells an
   * absent value from a wrong one. */
  if (!load_internal (self, &local_error))
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

/**
 * job_project_is_loaded:
 * @self: a project
 *
 * Returns: whether [method@Job.Project.load] succeeded
 */
gboolean
job_project_is_loaded (JobProject *self)
{
  g_return_val_if_fail (JOB_IS_PROJECT (self), FALSE);
  return self->loaded;
}

/**
 * job_project_get_directory:
 * @self: a project
 *
 * Returns: (transfer none) (type filename): the directory that holds
 *   `project.conf` once loaded; before, the directory given at creation
 */
const char *
job_project_get_directory (JobProject *self)
{
  g_return_val_if_fail (JOB_IS_PROJECT (self), NULL);
  return self->directory != NULL ? self->directory : self->requested_directory;
}

/**
 * job_project_get_name:
 * @self: a loaded project
 *
 * Returns: (transfer none) (nullable): the project's name
 */
const char *
job_project_get_name (JobProject *self)
{
  g_return_val_if_fail (JOB_IS_PROJECT (self), NULL);
  return self->name;
}

/**
 * job_project_get_element_path:
 * @self: a loaded project
 *
 * Returns: (transfer none) (type filename) (nullable): the absolute path of
 *   the directory where element names are resolved
 */
const char *
job_project_get_element_path (JobProject *self)
{
  g_return_val_if_fail (JOB_IS_PROJECT (self), NULL);
  return self->element_path;
}

/**
 * job_project_get_config:
 * @self: a loaded project
 *
 * Returns: (transfer none) (nullable): the whole configuration: the
 *   defaults with `project.conf` composed over them, options applied
 */
JobNode *
job_project_get_config (JobProject *self)
{
  g_return_val_if_fail (JOB_IS_PROJECT (self), NULL);
  return self->config;
}

/**
 * job_project_get_variables:
 * @self: a loaded project
 *
 * Returns: (transfer none) (nullable): the project's variables, not yet
 *   expanded, with `project-name`, `max-jobs` and the variables of options
 */
JobNode *
job_project_get_variables (JobProject *self)
{
  g_return_val_if_fail (JOB_IS_PROJECT (self), NULL);
  return self->variables;
}

/**
 * job_project_get_environment:
 * @self: a loaded project
 *
 * Returns: (transfer none) (nullable): the project's build environment,
 *   not yet expanded
 */
JobNode *
job_project_get_environment (JobProject *self)
{
  g_return_val_if_fail (JOB_IS_PROJECT (self), NULL);
  return self->environment;
}

/**
 * job_project_dup_option_names:
 * @self: a loaded project
 *
 * Returns: (transfer full) (array zero-terminated=1): the names of the
 *   project's options
 */
char **
job_project_dup_option_names (JobProject *self)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char **names;

  for (guint i = 0; i < self->options->len; i++)
    g_strv_builder_add (builder, ((Option *) self->options->pdata[i])->name);
  names = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return names;
}

/**
 * job_project_get_option_value:
 * @self: a loaded project
 * @name: an option's name
 *
 * Returns: (transfer none) (nullable): the option's value as variables see
 *   it (an enum's value; `1` or `0` for a bool), or %NULL if there is no
 *   such option
 */
const char *
job_project_get_option_value (JobProject *self, const char *name)
{
  g_return_val_if_fail (JOB_IS_PROJECT (self), NULL);
  for (guint i = 0; i < self->options->len; i++)
    if (g_str_equal (((Option *) self->options->pdata[i])->name, name))
      return ((Option *) self->options->pdata[i])->value;
  return NULL;
}

/**
 * job_project_get_alias:
 * @self: a loaded project
 * @alias: an alias name
 *
 * Returns: (transfer none) (nullable): the URL prefix of @alias, or %NULL
 */
const char *
job_project_get_alias (JobProject *self, const char *alias)
{
  JobNode *value;

  g_return_val_if_fail (JOB_IS_PROJECT (self), NULL);
  if (self->aliases == NULL)
    return NULL;
  value = job_node_lookup (self->aliases, alias);
  return value != NULL ? job_node_get_scalar (value) : NULL;
}

/**
 * job_project_translate_url:
 * @self: a loaded project
 * @url: a URL, maybe starting with `alias:`
 *
 * Expands a source URL written with one of the project's aliases.
 *
 * Returns: (transfer full): the URL with its alias expanded; @url itself
 *   when it uses no alias of the project
 */
char *
job_project_translate_url (JobProject *self, const char *url)
{
  const char *colon;
  g_autofree char *alias = NULL;
  const char *prefix;

  g_return_val_if_fail (JOB_IS_PROJECT (self), NULL);
  colon = strchr (url, ':');
  if (colon == NULL)
    return g_strdup (url);
  alias = g_strndup (url, (gsize) (colon - url));
  prefix = job_project_get_alias (self, alias);
  if (prefix == NULL)
    return g_strdup (url);
  return g_strconcat (prefix, colon + 1, NULL);
}

static JobNode *
load_kind_defaults (JobProject *self,
                    const char *group,
                    const char *kind,
                    JobNode *where,
                    JobNode *overrides,
                    const char *const *valid_keys,
                    GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *display = NULL;
  g_autoptr (JobNode) defaults = NULL;
  JobNode *override;
  gboolean found = FALSE;

  if (strchr (kind, '/') != NULL || kind[0] == '.' || kind[0] == '\0')
    goto unknown;
  for (guint i = 0; i < self->local_origins->len && !found; i++)
    {
      LocalOrigin *origin = self->local_origins->pdata[i];
      char **kinds = g_str_equal (group, "elements") ? origin->kinds
                                                     : origin->source_kinds;

      if (g_strv_contains ((const char *const *) kinds, kind))
        {
          found = TRUE;
          display = g_strdup_printf ("%s.yaml", kind);
          path = g_build_filename (origin->path, display, NULL);
          if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
            g_clear_pointer (&path, g_free);
        }
    }
  if (!found)
    {
      display = g_strdup_printf ("plugins/%s/%s.yaml", group, kind);
      path =
          g_build_filename (job_project_get_data_directory (), display, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        goto unknown;
    }
  if (path != NULL)
    {
      /* The data directory's defaults are parsed once per process; a
       * project's own plugins are read afresh. */
      defaults = found ? job_node_load_file (path, display, error)
                       : job_node_load_file_cached (path, display, error);
      if (defaults == NULL)
        return NULL;
      if (job_node_is_null (defaults))
        g_clear_pointer (&defaults, job_node_unref);
      else if (!job_node_validate_keys (defaults, valid_keys, error))
        return NULL;
    }
  if (defaults == NULL)
    defaults = job_node_new_mapping (display, 0, 0);
  override = overrides != NULL ? job_node_lookup (overrides, kind) : NULL;
  if (override != NULL)
    {
      JobNode *composed = job_node_composite (defaults, override, error);

      if (composed == NULL)
        return NULL;
      job_node_unref (defaults);
      defaults = composed;
    }
  return g_steal_pointer (&defaults);

unknown:
  job_node_set_error (error, where, JOB_LOAD_ERROR_UNKNOWN_KIND,
                      "no plugin provides the %s kind “%s”; core kinds have "
                      "defaults in %s/plugins/%s, others are declared under "
                      "“plugins” in project.conf",
                      g_str_equal (group, "elements") ? "element" : "source",
                      kind, job_project_get_data_directory (), group);
  return NULL;
}

JobNode *
job_project_get_element_defaults (JobProject *self,
                                  const char *kind,
                                  JobNode *where,
                                  GError **error)
{
  static const char *const valid[] = {
    "variables", "environment", "environment-nocache", "config", "public",
    "sandbox",   NULL
  };
  JobNode *defaults = g_hash_table_lookup (self->element_defaults, kind);

  if (defaults != NULL)
    return defaults;
  defaults = load_kind_defaults (self, "elements", kind, where,
                                 self->element_overrides, valid, error);
  if (defaults == NULL)
    return NULL;
  if (!check_protected (job_node_lookup (defaults, "variables"), error))
    {
      job_node_unref (defaults);
      return NULL;
    }
  g_hash_table_insert (self->element_defaults, g_strdup (kind), defaults);
  return defaults;
}

JobNode *
job_project_get_source_defaults (JobProject *self,
                                 const char *kind,
                                 JobNode *where,
                                 GError **error)
{
  static const char *const valid[] = { "config", NULL };
  JobNode *defaults = g_hash_table_lookup (self->source_defaults, kind);

  if (defaults != NULL)
    return defaults;
  defaults = load_kind_defaults (self, "sources", kind, where,
                                 self->source_overrides, valid, error);
  if (defaults == NULL)
    return NULL;
  g_hash_table_insert (self->source_defaults, g_strdup (kind), defaults);
  return defaults;
}

JobNode *
job_project_get_environment_nocache (JobProject *self)
{
  return self->environment_nocache;
}

JobNode *
job_project_get_split_rules (JobProject *self)
{
  return self->split_rules;
}

guint
job_project_get_max_jobs (JobProject *self)
{
  return self->max_jobs;
}

/**
 * job_project_dup_plugin_directories:
 * @self: a loaded #JobProject
 *
 * Lists the directories of the project's local plugins (`plugins:` entries
 * with origin `local`), in the order the project gives them.
 *
 * Returns: (transfer full) (array zero-terminated=1) (type filename): the
 *   directories
 */
char **
job_project_dup_plugin_directories (JobProject *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (JOB_IS_PROJECT (self), NULL);

  for (guint i = 0; i < self->local_origins->len; i++)
    {
      LocalOrigin *origin = self->local_origins->pdata[i];
      g_strv_builder_add (builder, origin->path);
    }
  return g_strv_builder_end (builder);
}
