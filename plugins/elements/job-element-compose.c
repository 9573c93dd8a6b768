/* job-element-compose.c: the `compose` element kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libjob/job.h>

#include "job-plugin-util.h"

/* `compose` stages the artifacts of its build dependencies and takes the
 * files of some split domains as its artifact: config `include` (the
 * domains to take; empty takes every domain), `exclude` (domains to leave
 * out, even when a file is also in an included domain) and
 * `include-orphans` (take the files no domain claims), as BuildStream does.
 *
 * Each dependency's files are split by that dependency's own public `bst`
 * `split-rules` (the project's rules with its overrides, variables
 * expanded, as committed with its artifact); the compose element's own
 * rules name the valid domains and serve artifacts without rules. With
 * `integrate` (the default) the dependencies' integration commands run in
 * the staged root first and every file they create or change is taken.
 * Empty directories are kept when they are taken like files. */

#define JOB_TYPE_COMPOSE_ELEMENT (job_compose_element_get_type ())
G_DECLARE_FINAL_TYPE (
    JobComposeElement, job_compose_element, JOB, COMPOSE_ELEMENT, JobElement)

struct _JobComposeElement
{
  JobElement parent_instance;
  GStrv include;
  GStrv exclude;
  gboolean include_orphans;
  gboolean integrate;
  GVariant *split_rules; /* a{sas}, sorted by domain */
};

enum
{
  PROP_0,
  PROP_INCLUDE,
  PROP_EXCLUDE,
  PROP_INCLUDE_ORPHANS,
  PROP_INTEGRATE,
  PROP_SPLIT_RULES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_DYNAMIC_TYPE (JobComposeElement, job_compose_element, JOB_TYPE_ELEMENT)

static void
job_compose_element_finalize (GObject *object)
{
  JobComposeElement *self = JOB_COMPOSE_ELEMENT (object);

  g_strfreev (self->include);
  g_strfreev (self->exclude);
  g_clear_pointer (&self->split_rules, g_variant_unref);
  G_OBJECT_CLASS (job_compose_element_parent_class)->finalize (object);
}

static void
job_compose_element_get_property (GObject *object,
                                  guint prop_id,
                                  GValue *value,
                                  GParamSpec *pspec)
{
  JobComposeElement *self = JOB_COMPOSE_ELEMENT (object);

  switch (prop_id)
    {
    case PROP_INCLUDE:
      g_value_set_boxed (value, self->include);
      break;
    case PROP_EXCLUDE:
      g_value_set_boxed (value, self->exclude);
      break;
    case PROP_INCLUDE_ORPHANS:
      g_value_set_boolean (value, self->include_orphans);
      break;
    case PROP_INTEGRATE:
      g_value_set_boolean (value, self->integrate);
      break;
    case PROP_SPLIT_RULES:
      g_value_set_variant (value, self->split_rules);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_compose_element_set_property (GObject *object,
                                  guint prop_id,
                                  const GValue *value,
                                  GParamSpec *pspec)
{
  JobComposeElement *self = JOB_COMPOSE_ELEMENT (object);

  switch (prop_id)
    {
    case PROP_INCLUDE:
      g_strfreev (self->include);
      self->include = g_value_dup_boxed (value);
      break;
    case PROP_EXCLUDE:
      g_strfreev (self->exclude);
      self->exclude = g_value_dup_boxed (value);
      break;
    case PROP_INCLUDE_ORPHANS:
      self->include_orphans = g_value_get_boolean (value);
      break;
    case PROP_INTEGRATE:
      self->integrate = g_value_get_boolean (value);
      break;
    case PROP_SPLIT_RULES:
      g_clear_pointer (&self->split_rules, g_variant_unref);
      self->split_rules = g_value_dup_variant (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static int
compare_string_pointers (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The split rules of some public data, as a{sas}; NULL without an error
 * if it has none. */
static GVariant *
split_rules_of (JobNode *public_data, GError **error)
{
  JobNode *bst =
      public_data != NULL ? job_node_lookup (public_data, "bst") : NULL;
  JobNode *rules = bst != NULL ? job_node_lookup (bst, "split-rules") : NULL;
  g_autoptr (GPtrArray) domains = g_ptr_array_new ();
  GVariantBuilder builder;

  if (rules == NULL)
    return NULL;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sas}"));
  if (!job_node_check_type (rules, JOB_NODE_MAPPING, error))
    {
      g_variant_builder_clear (&builder);
      return NULL;
    }
  for (guint i = 0; rules != NULL && i < job_node_get_n_members (rules); i++)
    g_ptr_array_add (domains, (gpointer) job_node_get_member_key (rules, i));
  g_ptr_array_sort (domains, compare_string_pointers);
  for (guint i = 0; i < domains->len; i++)
    {
      g_auto (GStrv) patterns = job_node_as_string_list (
          job_node_lookup (rules, domains->pdata[i]), error);

      if (patterns == NULL)
        return NULL;
      g_variant_builder_add (&builder, "{s^as}", domains->pdata[i], patterns);
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static gboolean
check_domains (JobComposeElement *self,
               JobNode *config,
               const char *key,
               const char *const *domains,
               GError **error)
{
  for (guint i = 0; domains != NULL && domains[i] != NULL; i++)
    {
      g_autoptr (GVariant) found =
          g_variant_lookup_value (self->split_rules, domains[i], NULL);

      if (found == NULL)
        {
          g_autofree char *where =
              job_plugin_util_where (JOB_PLUGIN (self), key);
          g_autoptr (GString) known = g_string_new (NULL);
          GVariantIter iter;
          const char *domain;

          g_variant_iter_init (&iter, self->split_rules);
          while (g_variant_iter_next (&iter, "{&s@as}", &domain, NULL))
            g_string_append_printf (known, "%s%s", known->len ? ", " : "",
                                    domain);
          g_set_error (
              error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
              "%s: unknown split domain “%s” in %s; the split rules define: %s",
              where, domains[i], key, known->len ? known->str : "(none)");
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
job_compose_element_configure (JobPlugin *plugin,
                               JobNode *config,
                               GError **error)
{
  JobComposeElement *self = JOB_COMPOSE_ELEMENT (plugin);
  const char *const valid[] = { "integrate", "include", "exclude",
                                "include-orphans", NULL };
  g_auto (GStrv) include = NULL, exclude = NULL;
  g_autoptr (GVariant) rules = NULL;
  gboolean integrate, orphans;

  if (!job_node_validate_keys (config, valid, error)
      || !job_node_get_boolean (config, "integrate", TRUE, &integrate, error)
      || !job_node_get_boolean (config, "include-orphans", TRUE, &orphans,
                                error))
    return FALSE;
  if (job_node_lookup (config, "include") != NULL
      && (include = job_node_get_string_list (config, "include", error))
             == NULL)
    return FALSE;
  if (job_node_lookup (config, "exclude") != NULL
      && (exclude = job_node_get_string_list (config, "exclude", error))
             == NULL)
    return FALSE;
  {
    g_autoptr (GError) local_error = NULL;

    rules = split_rules_of (job_element_get_public (JOB_ELEMENT (self)),
                            &local_error);
    if (local_error != NULL)
      {
        g_propagate_error (error, g_steal_pointer (&local_error));
        return FALSE;
      }
    if (rules == NULL)
      rules = g_variant_ref_sink (
          g_variant_new_array (G_VARIANT_TYPE ("{sas}"), NULL, 0));
  }
  g_object_set (self, "split-rules", rules, "include", include, "exclude",
                exclude, "include-orphans", orphans, "integrate", integrate,
                NULL);
  return check_domains (self, config, "include",
                        (const char *const *) self->include, error)
         && check_domains (self, config, "exclude",
                           (const char *const *) self->exclude, error);
}

static GVariant *
job_compose_element_get_unique_key (JobPlugin *plugin)
{
  JobComposeElement *self = JOB_COMPOSE_ELEMENT (plugin);
  const char *const empty[] = { NULL };

  return g_variant_new (
      "(^as^asbb@a{sas})",
      self->include != NULL ? (const char *const *) self->include : empty,
      self->exclude != NULL ? (const char *const *) self->exclude : empty,
      self->include_orphans, self->integrate, self->split_rules);
}

static gboolean
job_compose_element_stage (JobElement *element,
                           JobBuildContext *context,
                           GCancellable *cancellable,
                           GError **error)
{
  return job_build_context_stage_dependencies (context, "/", cancellable,
                                               error);
}

/* A split rule pattern as a regular expression, as BuildStream reads it:
 * `**` matches anything, `*` and `?` stay inside a path component. */
static void
append_glob (GString *re, const char *pattern)
{
  for (const char *p = pattern; *p; p++)
    {
      if (p[0] == '*' && p[1] == '*')
        {
          g_string_append (re, ".*");
          p++;
        }
      else if (*p == '*')
        g_string_append (re, "[^/]*");
      else if (*p == '?')
        g_string_append (re, "[^/]");
      else
        {
          char c[2] = { *p, 0 };
          g_autofree char *escaped = g_regex_escape_string (c, 1);
          g_string_append (re, escaped);
        }
    }
}

typedef struct
{
  GPtrArray *domains; /* names */
  GPtrArray *regexes; /* GRegex per domain */
  const char *const *include;
  const char *const *exclude;
  gboolean orphans;
} Filter;

static void
filter_clear (Filter *filter)
{
  g_clear_pointer (&filter->domains, g_ptr_array_unref);
  g_clear_pointer (&filter->regexes, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Filter, filter_clear)

/* A filter for @rules (a{sas}) with the element's include/exclude. */
static gboolean
filter_init (Filter *filter,
             JobComposeElement *self,
             GVariant *rules,
             const char *whose,
             GError **error)
{
  GVariantIter iter;
  const char *domain;
  GVariant *patterns;

  filter->domains = g_ptr_array_new_with_free_func (g_free);
  filter->regexes =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_regex_unref);
  filter->include = (const char *const *) self->include;
  filter->exclude = (const char *const *) self->exclude;
  filter->orphans = self->include_orphans;

  g_variant_iter_init (&iter, rules);
  while (g_variant_iter_next (&iter, "{&s@as}", &domain, &patterns))
    {
      /* Owns patterns: released at the end of each iteration. */
      G_GNUC_UNUSED g_autoptr (GVariant) owned = patterns;
      g_autoptr (GString) re = g_string_new ("^(?:");
      g_autoptr (GRegex) regex = NULL;

      for (gsize i = 0; i < g_variant_n_children (patterns); i++)
        {
          const char *pattern;

          g_variant_get_child (patterns, i, "&s", &pattern);
          if (i > 0)
            g_string_append_c (re, '|');
          append_glob (re, pattern);
        }
      if (g_variant_n_children (patterns) == 0)
        g_string_append (re, "(?!)");
      g_string_append (re, ")$");
      regex = g_regex_new (re->str, G_REGEX_DOTALL, 0, error);
      if (regex == NULL)
        {
          g_prefix_error (error, "%s: split domain %s of %s: ",
                          job_plugin_get_name (JOB_PLUGIN (self)), domain,
                          whose);
          return FALSE;
        }
      g_ptr_array_add (filter->domains, g_strdup (domain));
      g_ptr_array_add (filter->regexes, g_steal_pointer (&regex));
    }
  return TRUE;
}

static gboolean
filter_keeps (Filter *filter, const char *path)
{
  gboolean claimed = FALSE, included = FALSE, excluded = FALSE;

  for (guint i = 0; i < filter->domains->len; i++)
    {
      const char *domain = filter->domains->pdata[i];

      if (!g_regex_match (filter->regexes->pdata[i], path, 0, NULL))
        continue;
      claimed = TRUE;
      if (filter->include == NULL || filter->include[0] == NULL
          || g_strv_contains (filter->include, domain))
        included = TRUE;
      if (filter->exclude != NULL && g_strv_contains (filter->exclude, domain))
        excluded = TRUE;
    }
  if (!claimed && filter->orphans)
    included = TRUE;
  return included && !excluded;
}

static gboolean
make_parents (const char *path, GError **error)
{
  g_autofree char *parent = g_path_get_dirname (path);

  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create %s: %s", parent, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

static gboolean
take (const char *from,
      const char *to,
      const struct stat *st,
      GCancellable *cancellable,
      GError **error)
{
  if (!make_parents (to, error))
    return FALSE;
  if (S_ISDIR (st->st_mode))
    {
      if (g_mkdir (to, st->st_mode & 07777) != 0 && errno != EEXIST)
        {
          int errsv = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "Cannot create %s: %s", to, g_strerror (errsv));
          return FALSE;
        }
      return TRUE;
    }
  else
    {
      g_autoptr (GFile) src = g_file_new_for_path (from);
      g_autoptr (GFile) dest = g_file_new_for_path (to);

      return g_file_copy (src, dest,
                          G_FILE_COPY_OVERWRITE | G_FILE_COPY_NOFOLLOW_SYMLINKS
                              | G_FILE_COPY_ALL_METADATA,
                          cancellable, NULL, NULL, error);
    }
}

/* Called for each leaf (a file, or an empty directory) of a tree, with its
 * path relative to the tree's top ("/usr/bin/sh"). */
typedef void (*LeafFunc) (const char *relative,
                          const struct stat *st,
                          gpointer user_data);

/* Walks a tree; @relative is "" or starts with "/". */
static gboolean
walk (const char *root,
      const char *relative,
      const char *const skip[2],
      LeafFunc func,
      gpointer user_data,
      GCancellable *cancellable,
      GError **error)
{
  g_autofree char *path = g_strconcat (root, relative, NULL);
  g_autoptr (GDir) dir = g_dir_open (path, 0, error);
  const char *name;

  if (dir == NULL)
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_strconcat (relative, "/", name, NULL);
      g_autofree char *child_path = g_strconcat (root, child, NULL);
      struct stat st;
      gboolean leaf = TRUE;

      /* The build and install directories are mounts, not content. */
      if (skip != NULL
          && (g_strcmp0 (child, skip[0]) == 0
              || g_strcmp0 (child, skip[1]) == 0))
        continue;
      if (lstat (child_path, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          g_autoptr (GDir) sub = g_dir_open (child_path, 0, NULL);

          leaf = sub == NULL || g_dir_read_name (sub) == NULL;
          if (!leaf
              && !walk (root, child, skip, func, user_data, cancellable, error))
            return FALSE;
        }
      if (leaf)
        func (child, &st, user_data);
    }
  return TRUE;
}

typedef struct
{
  Filter *filter;
  GHashTable *taken; /* relative path set */
} KeepData;

static void
keep_leaf (const char *relative, const struct stat *st, gpointer user_data)
{
  KeepData *data = user_data;

  if (filter_keeps (data->filter, relative))
    g_hash_table_add (data->taken, g_strdup (relative));
}

/* What identifies a file's content and metadata before integration. */
static char *
stat_signature (const struct stat *st)
{
  return g_strdup_printf ("%lu:%ld.%09ld:%ld:%o", (gulong) st->st_ino,
                          (long) st->st_ctim.tv_sec, st->st_ctim.tv_nsec,
                          (long) st->st_size, (unsigned) st->st_mode);
}

static void
snapshot_leaf (const char *relative, const struct stat *st, gpointer user_data)
{
  g_hash_table_insert (user_data, g_strdup (relative), stat_signature (st));
}

typedef struct
{
  GHashTable *before;
  GHashTable *taken;
  guint n_changed;
} ChangedData;

static void
changed_leaf (const char *relative, const struct stat *st, gpointer user_data)
{
  ChangedData *data = user_data;
  const char *before = g_hash_table_lookup (data->before, relative);
  g_autofree char *now = stat_signature (st);

  if (before == NULL || !g_str_equal (before, now))
    {
      data->n_changed++;
      g_hash_table_add (data->taken, g_strdup (relative));
    }
}

/* The files of each dependency are selected by the dependency's own split
 * rules (from the public data of its artifact; the compose element's rules
 * for an artifact without any), as BuildStream does; with `integrate`, the
 * dependencies' integration commands run in the staged root first and
 * every file they create or change is taken too. */
static char *
job_compose_element_assemble (JobElement *element,
                              JobBuildContext *context,
                              GCancellable *cancellable,
                              GError **error)
{
  JobComposeElement *self = JOB_COMPOSE_ELEMENT (element);
  const char *root = job_build_context_get_root (context);
  const char *install = job_build_context_get_install_directory (context);
  const char *skip[2];
  g_autoptr (GHashTable) taken =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) before = NULL;
  g_auto (GStrv) dependencies = job_build_context_dup_dependencies (context);
  g_autoptr (GPtrArray) paths = NULL;
  g_autofree char *note = NULL;
  guint n_changed = 0;

  skip[0] = job_plugin_get_variable (JOB_PLUGIN (self), "build-root");
  skip[1] = job_plugin_get_variable (JOB_PLUGIN (self), "install-root");

  for (guint i = 0; dependencies[i] != NULL; i++)
    {
      g_auto (Filter) filter = { 0 };
      g_autoptr (JobNode) public_data = NULL;
      g_autoptr (GVariant) rules = NULL;
      g_autoptr (GError) local_error = NULL;
      g_autofree char *files = NULL;
      KeepData data = { &filter, taken };

      public_data = job_build_context_dup_dependency_public (
          context, dependencies[i], &local_error);
      if (local_error == NULL)
        rules = split_rules_of (public_data, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      files = job_build_context_dup_dependency_files (context, dependencies[i],
                                                      error);
      if (files == NULL
          || !filter_init (&filter, self,
                           rules != NULL ? rules : self->split_rules,
                           dependencies[i], error)
          || !walk (files, "", NULL, keep_leaf, &data, cancellable, error))
        return NULL;
    }

  if (self->integrate)
    {
      before = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      if (!walk (root, "", skip, snapshot_leaf, before, cancellable, error))
        return NULL;
      if (job_build_context_integrate (context) > 0)
        {
          ChangedData data = { before, taken, 0 };

          if (!job_build_context_run_queued (context, cancellable, error)
              || !walk (root, "", skip, changed_leaf, &data, cancellable,
                        error))
            return NULL;
          n_changed = data.n_changed;
        }
    }

  {
    GHashTableIter iter;
    gpointer path;

    paths = g_ptr_array_new_full (g_hash_table_size (taken), g_free);
    g_hash_table_iter_init (&iter, taken);
    while (g_hash_table_iter_next (&iter, &path, NULL))
      {
        g_hash_table_iter_steal (&iter);
        g_ptr_array_add (paths, path);
      }
  }
  g_ptr_array_sort (paths, compare_string_pointers);
  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *from = g_strconcat (root, paths->pdata[i], NULL);
      g_autofree char *to = g_strconcat (install, paths->pdata[i], NULL);
      struct stat st;

      /* A later artifact may have replaced a directory by a file, or
       * integration removed it: what is in the root now is what counts. */
      if (lstat (from, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          g_autoptr (GDir) sub = g_dir_open (from, 0, NULL);

          if (sub != NULL && g_dir_read_name (sub) != NULL)
            continue;
        }
      if (!take (from, to, &st, cancellable, error))
        return NULL;
    }
  note = g_strdup_printf ("compose: took %u files (%u from integration)",
                          paths->len, n_changed);
  job_build_context_log (context, note);
  return g_strdup (install);
}

static void
job_compose_element_class_init (JobComposeElementClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_compose_element_finalize;
  object_class->get_property = job_compose_element_get_property;
  object_class->set_property = job_compose_element_set_property;
  JOB_PLUGIN_CLASS (klass)->configure = job_compose_element_configure;
  JOB_PLUGIN_CLASS (klass)->get_unique_key = job_compose_element_get_unique_key;
  JOB_ELEMENT_CLASS (klass)->stage = job_compose_element_stage;
  JOB_ELEMENT_CLASS (klass)->assemble = job_compose_element_assemble;

  properties[PROP_INCLUDE] =
      g_param_spec_boxed ("include", NULL, NULL, G_TYPE_STRV,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_EXCLUDE] =
      g_param_spec_boxed ("exclude", NULL, NULL, G_TYPE_STRV,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_INCLUDE_ORPHANS] =
      g_param_spec_boolean ("include-orphans", NULL, NULL, TRUE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_INTEGRATE] =
      g_param_spec_boolean ("integrate", NULL, NULL, TRUE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPLIT_RULES] = g_param_spec_variant (
      "split-rules", NULL, NULL, G_VARIANT_TYPE ("a{sas}"), NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_compose_element_class_finalize (JobComposeElementClass *klass)
{
}

static void
job_compose_element_init (JobComposeElement *self)
{
  self->include_orphans = TRUE;
  self->integrate = TRUE;
  self->split_rules = g_variant_ref_sink (
      g_variant_new_array (G_VARIANT_TYPE ("{sas}"), NULL, 0));
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  job_compose_element_register_type (module);
}
