/* job-loader.c: loading elements and their dependency graph
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "job-artifact-cache-private.h"
#include "job-element-spec.h"
#include "job-plugin-registry-private.h"
#include "job-loader.h"
#include "job-node-private.h"
#include "job-project-private.h"
#include "job-serializable.h"
#include "job-source-spec.h"
#include "job-variables-private.h"

/**
 * JobLoader:
 *
 * Loads elements of a [class@Job.Project]: resolves element names through
 * the project's `element-path` (and through junctions, the element paths
 * of other projects; see [method@Job.Loader.load]), reads every `.bst` file
 * the targets need (directly or not), builds the dependency graph with
 * build and runtime edges apart, rejects cycles, and composes each element into
 * a [class@Job.ElementSpec]: built-in defaults, then `project.conf`, then the
 * kind's defaults, then the project's `elements: <kind>:` override, then the
 * element itself, with `%{name}` variables expanded.
 *
 * Nothing here recurses per element: a chain of 100,000 elements loads.
 * Every error names the file, line and column it comes from.
 *
 * A loader is never pickled: it implements [iface@Job.Unserializable].
 */

enum
{
  DEP_BUILD = 1 << 0,
  DEP_RUNTIME = 1 << 1,
  DEP_ALL = DEP_BUILD | DEP_RUNTIME,
};

typedef struct
{
  guint target;   /* index of the element depended on */
  guint8 type;    /* DEP_* */
  JobNode *where; /* the dependency's node, for provenance */
} Dep;

/* A project whose elements the loader reads: the loader's own, or the
 * project of a junction. */
typedef struct
{
  JobProject *project;
  char *prefix;          /* "" or the junctions that lead here: "a.bst:" */
  char *directory;       /* canonical, to refuse junctions in a circle */
  gpointer parent;       /* the Sub holding the junction, or NULL */
  GHashTable *kinds;     /* kind -> KindCache* */
  GHashTable *junctions; /* junction name -> Sub* (owned by the loader) */
} Sub;

typedef struct
{
  char *name;    /* the name in the whole graph, "a.bst:b.bst" through one */
  Sub *sub;      /* the project the element belongs to */
  JobNode *node; /* the processed file, until composed */
  GArray *deps;  /* Dep */
  JobElementSpec *spec;
  guint order; /* position in the global build order, + 1 */
} Element;

/* What every element of a kind starts from, composed once. */
typedef struct
{
  JobNode *variables; /* project ⊕ kind defaults, with element-name */
  int element_name_index;
  JobVariables *template; /* those resolved, when they resolve alone */
  JobNode *environment;
  JobNode *config;
  JobNode *public_data;
  JobNode *sandbox;
  GPtrArray *nocache;
} KindCache;

static void
kind_cache_free (gpointer data)
{
  KindCache *cache = data;

  g_clear_pointer (&cache->template, job_variables_free);
  g_clear_pointer (&cache->variables, job_node_unref);
  g_clear_pointer (&cache->environment, job_node_unref);
  g_clear_pointer (&cache->config, job_node_unref);
  g_clear_pointer (&cache->public_data, job_node_unref);
  g_clear_pointer (&cache->sandbox, job_node_unref);
  g_clear_pointer (&cache->nocache, g_ptr_array_unref);
  g_free (cache);
}

struct _JobLoader
{
  GObject parent_instance;

  JobProject *project;
  GPtrArray *elements; /* Element* */
  GHashTable *by_name; /* name -> index + 1 */
  guint n_ordered;
  GHashTable *memo; /* shared expansions, see job_variables_memo_new() */
  GPtrArray *subs;  /* Sub*: the loader's project first, then junctions' */
  JobNode *empty;   /* an empty mapping */
  JobArtifactCache *cache;     /* where junctions' sources are kept */
  JobPluginRegistry *registry; /* for junctions' sources, made when needed */
  GCancellable *cancellable;   /* of the load under way */
};

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
job_loader_get_reason (JobUnserializable *unserializable)
{
  return g_strdup ("a loader holds a whole project's graph; send the "
                   "element's JobElementSpec instead");
}

static void
job_loader_unserializable_init (JobUnserializableInterface *iface)
{
  iface->get_reason = job_loader_get_reason;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    JobLoader,
    job_loader,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_UNSERIALIZABLE,
                           job_loader_unserializable_init))

static void
dep_clear (gpointer data)
{
  Dep *dep = data;

  g_clear_pointer (&dep->where, job_node_unref);
}

static void
element_free (gpointer data)
{
  Element *element = data;

  g_free (element->name);
  g_clear_pointer (&element->node, job_node_unref);
  g_clear_pointer (&element->deps, g_array_unref);
  g_clear_object (&element->spec);
  g_free (element);
}

static void
sub_free (gpointer data)
{
  Sub *sub = data;

  g_clear_object (&sub->project);
  g_free (sub->prefix);
  g_free (sub->directory);
  g_hash_table_unref (sub->kinds);
  g_hash_table_unref (sub->junctions);
  g_free (sub);
}

static Sub *
sub_new (JobProject *project, const char *prefix, Sub *parent)
{
  Sub *sub = g_new0 (Sub, 1);

  sub->project = g_object_ref (project);
  sub->prefix = g_strdup (prefix);
  sub->directory =
      g_canonicalize_filename (job_project_get_directory (project), NULL);
  sub->parent = parent;
  sub->kinds =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, kind_cache_free);
  sub->junctions =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return sub;
}

static void
job_loader_finalize (GObject *object)
{
  JobLoader *self = JOB_LOADER (object);

  g_clear_object (&self->project);
  g_ptr_array_unref (self->elements);
  g_hash_table_unref (self->by_name);
  g_ptr_array_unref (self->subs);
  g_clear_object (&self->cache);
  g_clear_object (&self->registry);
  g_hash_table_unref (self->memo);
  job_node_unref (self->empty);
  G_OBJECT_CLASS (job_loader_parent_class)->finalize (object);
}

static void
job_loader_get_property (GObject *object,
                         guint prop_id,
                         GValue *value,
                         GParamSpec *pspec)
{
  JobLoader *self = JOB_LOADER (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_loader_set_property (GObject *object,
                         guint prop_id,
                         const GValue *value,
                         GParamSpec *pspec)
{
  JobLoader *self = JOB_LOADER (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_set_object (&self->project, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_loader_class_init (JobLoaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_loader_finalize;
  object_class->get_property = job_loader_get_property;
  object_class->set_property = job_loader_set_property;

  /**
   * JobLoader:project:
   *
   * The loaded project whose elements this loader loads.
   */
  properties[PROP_PROJECT] = g_param_spec_object (
      "project", NULL, NULL, JOB_TYPE_PROJECT,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_loader_init (JobLoader *self)
{
  self->elements = g_ptr_array_new_with_free_func (element_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->memo = job_variables_memo_new ();
  self->subs = g_ptr_array_new_with_free_func (sub_free);
  self->empty = job_node_new_mapping (NULL, 0, 0);
}

/* The loader's own project, as a Sub. */
static Sub *
root_sub (JobLoader *self)
{
  if (self->subs->len == 0)
    g_ptr_array_add (self->subs, sub_new (self->project, "", NULL));
  return self->subs->pdata[0];
}

/**
 * job_loader_new:
 * @project: a loaded project
 *
 * Returns: (transfer full): a new loader for @project
 */
JobLoader *
job_loader_new (JobProject *project)
{
  g_return_val_if_fail (JOB_IS_PROJECT (project), NULL);
  g_return_val_if_fail (job_project_is_loaded (project), NULL);
  return g_object_new (JOB_TYPE_LOADER, "project", project, NULL);
}

/**
 * job_loader_set_cache:
 * @self: a loader
 * @cache: (nullable): an artifact cache
 *
 * Sets where the sources of junctions are fetched to and staged. A
 * junction whose one source is a `local` directory of this project uses
 * that directory where it is; any other (a `git` or `tar` source, several
 * sources) is fetched into @cache's source caches when it is not there yet,
 * and staged under its `junctions/` directory, named after its sources'
 * keys, so the next load finds it. Without a cache, loading an element
 * through such a junction fails.
 */
void
job_loader_set_cache (JobLoader *self, JobArtifactCache *cache)
{
  g_return_if_fail (JOB_IS_LOADER (self));
  g_return_if_fail (cache == NULL || JOB_IS_ARTIFACT_CACHE (cache));

  g_set_object (&self->cache, cache);
}

/**
 * job_loader_get_project:
 * @self: a loader
 *
 * Returns: (transfer none): the project
 */
JobProject *
job_loader_get_project (JobLoader *self)
{
  g_return_val_if_fail (JOB_IS_LOADER (self), NULL);
  return self->project;
}

static int
find_element (JobLoader *self, const char *name)
{
  return (int) GPOINTER_TO_UINT (g_hash_table_lookup (self->by_name, name)) - 1;
}

/* Checks a name as written in a file or on the command line: an element's
 * path under the element path, after the junctions that lead to its
 * project, each followed by “:”. */
static gboolean
check_element_name (const char *name, JobNode *where, GError **error)
{
  g_auto (GStrv) hops = NULL;
  const char *problem = NULL;

  if (*name == '\0')
    problem = "it is empty";
  else
    {
      hops = g_strsplit (name, ":", -1);
      for (guint h = 0; hops[h] != NULL && problem == NULL; h++)
        {
          g_auto (GStrv) parts = NULL;

          if (*hops[h] == '\0')
            {
              problem = "a junction or an element in it is missing around “:”";
              break;
            }
          if (g_path_is_absolute (hops[h]))
            {
              problem =
                  "it is an absolute path; names are relative to the element "
                  "path";
              break;
            }
          parts = g_strsplit (hops[h], "/", -1);
          for (guint i = 0; parts[i] != NULL && problem == NULL; i++)
            if (g_str_equal (parts[i], "..") || g_str_equal (parts[i], ".")
                || (*parts[i] == '\0'))
              problem = "it has an empty, “.” or “..” path component";
        }
    }
  if (problem == NULL)
    return TRUE;
  if (where != NULL)
    job_node_set_error (error, where, JOB_LOAD_ERROR_INVALID_DATA,
                        "invalid element name “%s”: %s", name, problem);
  else
    g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA,
                 "invalid element name “%s”: %s", name, problem);
  return FALSE;
}

static guint
add_element (JobLoader *self, const char *name)
{
  Element *element = g_new0 (Element, 1);

  element->name = g_strdup (name);
  element->deps = g_array_new (FALSE, TRUE, sizeof (Dep));
  g_array_set_clear_func (element->deps, dep_clear);
  g_ptr_array_add (self->elements, element);
  g_hash_table_insert (self->by_name, element->name,
                       GUINT_TO_POINTER (self->elements->len));
  return self->elements->len - 1;
}

/* Parses one list of dependencies of @element into its deps. */
static gboolean
parse_dependencies (JobLoader *self,
                    Element *element,
                    JobNode *node,
                    const char *key,
                    guint8 default_type,
                    GArray *queue,
                    GError **error)
{
  static const char *const typed_keys[] = { "filename", "type", "junction",
                                            "strict", NULL };
  static const char *const untyped_keys[] = { "filename", "junction", "strict",
                                              NULL };
  JobNode *list = job_node_get_sequence (node, key, error);

  if (list == NULL)
    return *error == NULL;
  for (guint i = 0; i < job_node_get_n_items (list); i++)
    {
      JobNode *item = job_node_get_item (list, i);
      const char *name;
      g_autofree char *through = NULL;
      g_autofree char *global = NULL;
      guint8 type = default_type;
      int target;
      Dep dep = { 0 };

      if (job_node_get_node_type (item) == JOB_NODE_SCALAR
          && !job_node_is_null (item))
        name = job_node_get_scalar (item);
      else if (job_node_get_node_type (item) == JOB_NODE_MAPPING)
        {
          gboolean strict = FALSE;

          if (!job_node_validate_keys (
                  item, default_type == DEP_ALL ? typed_keys : untyped_keys,
                  error))
            return FALSE;
          name = job_node_get_string (item, "filename", NULL, error);
          if (name == NULL)
            return FALSE;
          if (job_node_lookup (item, "junction") != NULL)
            {
              const char *junction =
                  job_node_get_string (item, "junction", NULL, error);

              if (junction == NULL)
                return FALSE;
              if (strchr (name, ':') != NULL)
                {
                  job_node_set_error (
                      error, job_node_lookup (item, "junction"),
                      JOB_LOAD_ERROR_INVALID_DATA,
                      "dependency “%s” names a junction twice: with “:” and "
                      "with “junction”; keep one",
                      name);
                  return FALSE;
                }
              through = g_strconcat (junction, ":", name, NULL);
              name = through;
            }
          if (default_type == DEP_ALL && job_node_lookup (item, "type") != NULL)
            {
              const char *text =
                  job_node_get_string (item, "type", NULL, error);

              if (text == NULL)
                return FALSE;
              if (g_str_equal (text, "build"))
                type = DEP_BUILD;
              else if (g_str_equal (text, "runtime"))
                type = DEP_RUNTIME;
              else if (!g_str_equal (text, "all"))
                {
                  job_node_set_error (error, job_node_lookup (item, "type"),
                                      JOB_LOAD_ERROR_INVALID_DATA,
                                      "dependency type “%s” is not “build”, "
                                      "“runtime” or “all”",
                                      text);
                  return FALSE;
                }
            }
          if (!job_node_get_boolean (item, "strict", FALSE, &strict, error))
            return FALSE;
          if (job_node_lookup (item, "strict") != NULL && !strict)
            {
              job_node_set_error (error, job_node_lookup (item, "strict"),
                                  JOB_LOAD_ERROR_INVALID_DATA,
                                  "“strict: false” is not supported; leave "
                                  "“strict” out instead");
              return FALSE;
            }
          if (strict && type == DEP_RUNTIME)
            {
              job_node_set_error (error, item, JOB_LOAD_ERROR_INVALID_DATA,
                                  "runtime dependency “%s” is “strict”; only "
                                  "build dependencies can be",
                                  name);
              return FALSE;
            }
        }
      else
        {
          job_node_set_error (error, item, JOB_LOAD_ERROR_INVALID_DATA,
                              "a dependency is an element name or a mapping "
                              "with “filename”, not %s",
                              job_node_describe_type (item));
          return FALSE;
        }
      if (!check_element_name (name, item, error))
        return FALSE;
      /* Names in a junction's project are that project's. */
      global = g_strconcat (element->sub->prefix, name, NULL);
      target = find_element (self, global);
      if (target < 0)
        {
          guint index_ = add_element (self, global);

          g_array_append_val (queue, index_);
          target = (int) index_;
        }
      /* The same dependency listed twice counts once, with both types. */
      for (guint k = 0; k < element->deps->len; k++)
        if (g_array_index (element->deps, Dep, k).target == (guint) target)
          {
            g_array_index (element->deps, Dep, k).type |= type;
            target = -1;
            break;
          }
      if (target < 0)
        continue;
      dep.target = (guint) target;
      dep.type = type;
      dep.where = job_node_ref (item);
      g_array_append_val (element->deps, dep);
    }
  return TRUE;
}

/* The first element whose file asked for @index_, for "missing" errors. */
static JobNode *
find_requester (JobLoader *self, guint index_)
{
  for (guint i = 0; i < self->elements->len; i++)
    {
      Element *element = self->elements->pdata[i];

      for (guint k = 0; element->deps != NULL && k < element->deps->len; k++)
        if (g_array_index (element->deps, Dep, k).target == index_)
          return g_array_index (element->deps, Dep, k).where;
    }
  return NULL;
}

static gboolean
get_optional_mapping (JobNode *node,
                      const char *key,
                      JobNode **out,
                      GError **error)
{
  JobNode *value = node != NULL ? job_node_lookup (node, key) : NULL;

  *out = NULL;
  if (value == NULL || job_node_is_null (value))
    return TRUE;
  if (!job_node_check_type (value, JOB_NODE_MAPPING, error))
    return FALSE;
  *out = value;
  return TRUE;
}

/* Sets @error, prefixed with where @where comes from when there is one. */
static void set_error_at (GError **error,
                          JobNode *where,
                          JobLoadError code,
                          const char *format,
                          ...) G_GNUC_PRINTF (4, 5);

static void
set_error_at (
    GError **error, JobNode *where, JobLoadError code, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *prefix = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  prefix = where != NULL ? job_node_dup_provenance (where) : NULL;
  g_set_error (error, JOB_LOAD_ERROR, code, "%s%s%s", prefix ? prefix : "",
               prefix ? ": " : "", message);
}

static GListModel *compose_sources (JobLoader *self,
                                    Sub *sub,
                                    const char *element,
                                    JobNode *node,
                                    GError **error);

/* The junction's source when it is one local source of its own project's
 * files, used where it is; else NULL. */
static JobNode *
only_local_source (JobNode *node)
{
  JobNode *sources = job_node_lookup (node, "sources");
  JobNode *source, *kind;

  if (sources == NULL || job_node_get_node_type (sources) != JOB_NODE_SEQUENCE
      || job_node_get_n_items (sources) != 1)
    return NULL;
  source = job_node_get_item (sources, 0);
  if (job_node_get_node_type (source) != JOB_NODE_MAPPING)
    return NULL;
  kind = job_node_lookup (source, "kind");
  if (kind == NULL || job_node_get_node_type (kind) != JOB_NODE_SCALAR
      || g_strcmp0 (job_node_get_scalar (kind), "local") != 0
      || job_node_lookup (source, "directory") != NULL)
    return NULL;
  return source;
}

/* The directory of a junction's project, from its one local source. */
static char *
local_junction_directory (Sub *parent, JobNode *source, GError **error)
{
  const char *path = job_node_get_string (source, "path", NULL, error);
  g_autofree char *directory = NULL;
  g_autofree char *inside = NULL;

  if (path == NULL)
    {
      if (*error == NULL)
        job_node_set_error (error, source, JOB_LOAD_ERROR_INVALID_DATA,
                            "the junction's local source has no “path”");
      return NULL;
    }
  directory = g_canonicalize_filename (path, parent->directory);
  inside = g_strconcat (parent->directory, G_DIR_SEPARATOR_S, NULL);
  if (!g_str_equal (directory, parent->directory)
      && !g_str_has_prefix (directory, inside))
    {
      job_node_set_error (error, job_node_lookup (source, "path"),
                          JOB_LOAD_ERROR_INVALID_DATA,
                          "the junction's path %s leads outside the project "
                          "directory %s",
                          path, parent->directory);
      return NULL;
    }
  return g_steal_pointer (&directory);
}

/* The junction's variables: its project's, resolved, for its sources. */
static JobNode *
junction_variables (JobLoader *self,
                    Sub *parent,
                    const char *junction,
                    GError **error)
{
  g_autoptr (JobNode) variables =
      job_node_shallow_copy (job_project_get_variables (parent->project));
  g_autoptr (JobNode) name = job_node_new_scalar (junction, NULL, 0, 0);
  g_autoptr (JobVariables) resolved = NULL;

  job_node_set_member (variables, "element-name", name);
  resolved = job_variables_new (variables, error);
  return resolved != NULL ? job_variables_to_node (resolved, self->memo) : NULL;
}

/* The sources of a junction as source instances, configured (with its
 * project's variables and plugins), with their specs in @specs_out. */
static GPtrArray *
make_junction_sources (JobLoader *self,
                       Sub *parent,
                       const char *display,
                       JobNode *node,
                       GListModel **specs_out,
                       GError **error)
{
  g_autoptr (GListModel) specs = NULL;
  g_autoptr (GPtrArray) sources =
      g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (JobNode) variables = NULL;
  guint n;

  if (self->cache == NULL)
    {
      job_node_set_error (error, node, JOB_LOAD_ERROR_INVALID_DATA,
                          "junction “%s” has sources to fetch and stage, and "
                          "the loader has no artifact cache to keep them in "
                          "(see job_loader_set_cache())",
                          display);
      return NULL;
    }
  specs = compose_sources (self, parent, display, node, error);
  if (specs == NULL)
    return NULL;
  n = g_list_model_get_n_items (specs);
  if (n == 0)
    {
      job_node_set_error (error, node, JOB_LOAD_ERROR_INVALID_DATA,
                          "junction “%s” has no sources: it needs the "
                          "directory of a project",
                          display);
      return NULL;
    }
  variables = junction_variables (self, parent, display, error);
  if (variables == NULL)
    return NULL;
  if (self->registry == NULL)
    self->registry = job_plugin_registry_new ();
  {
    g_auto (GStrv) local = job_project_dup_plugin_directories (parent->project);

    for (guint i = g_strv_length (local); i-- > 0;)
      job_plugin_registry_add_directory (self->registry, local[i]);
  }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (JobSourceSpec) spec = g_list_model_get_item (specs, i);
      g_autofree char *name =
          g_strdup_printf ("%s (source %u)", display, i + 1);
      JobSource *source = job_plugin_registry_make_source (
          self->registry, spec, name, variables,
          job_project_get_directory (parent->project),
          job_artifact_cache_get_root (self->cache), error);

      if (source == NULL)
        return NULL;
      g_ptr_array_add (sources, source);
    }
  *specs_out = g_steal_pointer (&specs);
  return g_steal_pointer (&sources);
}

/* Fetches the sources of a junction that are not cached, and stages them
 * into the artifact cache's junctions/, under a checksum of the sources'
 * keys: the directory of the junction's project. */
static char *
staged_junction_directory (JobLoader *self,
                           Sub *parent,
                           const char *display,
                           JobNode *node,
                           GError **error)
{
  g_autoptr (GListModel) specs = NULL;
  g_autoptr (GPtrArray) sources = NULL;
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *junctions = NULL;
  g_autofree char *directory = NULL;
  g_autofree char *staging = NULL;
  const char *root;
  guint n;

  sources = make_junction_sources (self, parent, display, node, &specs, error);
  if (sources == NULL)
    return NULL;
  n = sources->len;
  root = job_artifact_cache_get_root (self->cache);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (JobSourceSpec) spec = g_list_model_get_item (specs, i);
      g_autoptr (GVariant) key =
          job_plugin_get_unique_key (JOB_PLUGIN (sources->pdata[i]));
      g_autofree char *printed = NULL;
      const char *subdir = job_source_spec_get_directory (spec);

      if (key == NULL)
        {
          g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA,
                       "%s: the source gave no unique key",
                       job_source_spec_get_provenance (spec));
          return NULL;
        }
      printed = g_variant_print (key, TRUE);
      g_checksum_update (checksum,
                         (const guchar *) job_source_spec_get_kind (spec), -1);
      g_checksum_update (checksum, (const guchar *) "", 1);
      g_checksum_update (checksum, (const guchar *) (subdir ? subdir : ""), -1);
      g_checksum_update (checksum, (const guchar *) "", 1);
      g_checksum_update (checksum, (const guchar *) printed, -1);
      g_checksum_update (checksum, (const guchar *) "", 1);
    }

  junctions = g_build_filename (root, "junctions", NULL);
  directory =
      g_build_filename (junctions, g_checksum_get_string (checksum), NULL);
  if (g_file_test (directory, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&directory);

  for (guint i = 0; i < n; i++)
    if (!job_source_is_cached (sources->pdata[i])
        && !job_source_fetch (sources->pdata[i], self->cancellable, error))
      {
        g_prefix_error (error, "fetching junction “%s”: ", display);
        return NULL;
      }
  staging = g_build_filename (junctions, ".staging-XXXXXX", NULL);
  if (g_mkdir_with_parents (junctions, 0755) != 0
      || g_mkdtemp (staging) == NULL)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot make a directory in %s: %s", junctions,
                   g_strerror (saved));
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (JobSourceSpec) spec = g_list_model_get_item (specs, i);
      const char *subdir = job_source_spec_get_directory (spec);
      g_autofree char *dest =
          g_build_filename (staging, subdir != NULL ? subdir : "", NULL);

      if (g_mkdir_with_parents (dest, 0755) != 0
          || !job_source_stage (sources->pdata[i], dest, self->cancellable,
                                error))
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                         "cannot make %s: %s", dest, g_strerror (errno));
          g_prefix_error (error, "staging junction “%s”: ", display);
          job_file_tree_remove (staging, NULL);
          return NULL;
        }
    }
  /* Another process may have staged the same sources first: keep its. */
  if (rename (staging, directory) != 0)
    {
      int saved = errno;

      job_file_tree_remove (staging, NULL);
      if (!g_file_test (directory, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "cannot move the staged junction “%s” to %s: %s",
                       display, directory, g_strerror (saved));
          return NULL;
        }
    }
  return g_steal_pointer (&directory);
}

/* The project that junction @junction of @parent leads to, loaded once. */
static Sub *
get_junction (JobLoader *self,
              Sub *parent,
              const char *junction,
              JobNode *where,
              GError **error)
{
  static const char *const valid_keys[] = { "kind", "sources", "config",
                                            "description", NULL };
  static const char *const config_keys[] = { "options", NULL };
  static const char *const dep_keys[] = { "depends", "build-depends",
                                          "runtime-depends" };
  Sub *sub = g_hash_table_lookup (parent->junctions, junction);
  g_autofree char *display = NULL;
  g_autofree char *path = NULL;
  g_autofree char *directory = NULL;
  g_autofree char *prefix = NULL;
  g_autoptr (JobNode) raw = NULL;
  g_autoptr (JobNode) node = NULL;
  g_autoptr (JobProject) project = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *conf = NULL;
  JobNode *kind, *config = NULL, *options = NULL, *source;

  if (sub != NULL)
    return sub;
  display = g_strconcat (parent->prefix, junction, NULL);
  path = g_build_filename (job_project_get_element_path (parent->project),
                           junction, NULL);
  raw = job_node_load_file (path, display, &local_error);
  if (raw == NULL)
    {
      if (g_error_matches (local_error, JOB_LOAD_ERROR,
                           JOB_LOAD_ERROR_MISSING_FILE))
        set_error_at (error, where, JOB_LOAD_ERROR_MISSING_FILE,
                      "could not find junction “%s” in the element path %s",
                      display, job_project_get_element_path (parent->project));
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (!job_node_check_type (raw, JOB_NODE_MAPPING, error))
    return NULL;
  node = job_project_process_node (parent->project, raw, error);
  if (node == NULL)
    return NULL;
  kind = job_node_require (node, "kind", error);
  if (kind == NULL || job_node_as_string (kind, error) == NULL)
    return NULL;
  if (!g_str_equal (job_node_get_scalar (kind), "junction"))
    {
      set_error_at (error, where, JOB_LOAD_ERROR_INVALID_DATA,
                    "“%s” is used as a junction, but it is an element of kind "
                    "“%s”; only a “junction” leads to another project",
                    display, job_node_get_scalar (kind));
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (dep_keys); i++)
    if (job_node_lookup (node, dep_keys[i]) != NULL)
      {
        job_node_set_error (error, job_node_lookup (node, dep_keys[i]),
                            JOB_LOAD_ERROR_INVALID_DATA,
                            "a junction cannot have dependencies");
        return NULL;
      }
  if (!job_node_validate_keys (node, valid_keys, error)
      || !get_optional_mapping (node, "config", &config, error)
      || (config != NULL
          && !job_node_validate_keys (config, config_keys, error))
      || (config != NULL
          && !get_optional_mapping (config, "options", &options, error)))
    return NULL;
  source = only_local_source (node);
  directory = source != NULL ? local_junction_directory (parent, source, error)
                             : staged_junction_directory (self, parent, display,
                                                          node, error);
  if (directory == NULL)
    return NULL;
  conf = g_build_filename (directory, "project.conf", NULL);
  if (!g_file_test (conf, G_FILE_TEST_IS_REGULAR))
    {
      job_node_set_error (error, source != NULL ? source : node,
                          JOB_LOAD_ERROR_INVALID_DATA,
                          "junction “%s” leads to %s, which holds no "
                          "project.conf",
                          display, directory);
      return NULL;
    }
  for (Sub *up = parent; up != NULL; up = up->parent)
    if (g_str_equal (up->directory, directory))
      {
        job_node_set_error (error, node, JOB_LOAD_ERROR_INVALID_DATA,
                            "junction “%s” leads back to the project in %s, "
                            "which it is part of; junctions cannot go round "
                            "in a circle",
                            display, directory);
        return NULL;
      }

  project = job_project_new (directory);
  for (guint i = 0; options != NULL && i < job_node_get_n_members (options);
       i++)
    {
      JobNode *value = job_node_get_member_value (options, i);

      if (job_node_as_string (value, error) == NULL)
        return NULL;
      job_project_set_option (project, job_node_get_member_key (options, i),
                              job_node_get_scalar (value));
    }
  if (!job_project_load (project, NULL, &local_error))
    {
      g_autofree char *at = job_node_dup_provenance (node);

      g_set_error (error, JOB_LOAD_ERROR, local_error->code,
                   "%s: in the project of junction “%s”: %s", at, display,
                   local_error->message);
      return NULL;
    }

  prefix = g_strconcat (display, ":", NULL);
  sub = sub_new (project, prefix, parent);
  g_ptr_array_add (self->subs, sub);
  g_hash_table_insert (parent->junctions, g_strdup (junction), sub);
  return sub;
}

/* Finds the project of @element from the junctions its name goes through. */
static gboolean
resolve_sub (JobLoader *self, Element *element, JobNode *where, GError **error)
{
  Sub *sub = root_sub (self);
  const char *rest = element->name;
  const char *colon;

  while ((colon = strchr (rest, ':')) != NULL)
    {
      g_autofree char *junction = g_strndup (rest, (gsize) (colon - rest));

      sub = get_junction (self, sub, junction, where, error);
      if (sub == NULL)
        return FALSE;
      rest = colon + 1;
    }
  element->sub = sub;
  return TRUE;
}

/* The element's name in its own project. */
static const char *
local_name (Element *element)
{
  return element->name + strlen (element->sub->prefix);
}

static gboolean
load_file (JobLoader *self, guint index_, GArray *queue, GError **error)
{
  static const char *const valid_keys[] = { "kind",
                                            "depends",
                                            "sources",
                                            "sandbox",
                                            "variables",
                                            "environment",
                                            "environment-nocache",
                                            "config",
                                            "public",
                                            "description",
                                            "build-depends",
                                            "runtime-depends",
                                            NULL };
  Element *element = self->elements->pdata[index_];
  g_autofree char *path = NULL;
  g_autoptr (JobNode) raw = NULL;
  g_autoptr (GError) local_error = NULL;
  JobNode *kind;

  if (element->sub == NULL
      && !resolve_sub (self, element, find_requester (self, index_), error))
    return FALSE;
  path = g_build_filename (job_project_get_element_path (element->sub->project),
                           local_name (element), NULL);
  raw = job_node_load_file (path, element->name, &local_error);
  if (raw == NULL)
    {
      if (!g_error_matches (local_error, JOB_LOAD_ERROR,
                            JOB_LOAD_ERROR_MISSING_FILE))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      set_error_at (
          error, find_requester (self, index_), JOB_LOAD_ERROR_MISSING_FILE,
          "could not find element “%s” in the element path %s%s", element->name,
          job_project_get_element_path (element->sub->project),
          g_file_test (path, G_FILE_TEST_IS_DIR) ? " (it is a directory)" : "");
      return FALSE;
    }
  if (job_node_is_null (raw))
    {
      job_node_set_error (error, raw, JOB_LOAD_ERROR_INVALID_DATA,
                          "the element file is empty; an element needs at "
                          "least a “kind”");
      return FALSE;
    }
  if (!job_node_check_type (raw, JOB_NODE_MAPPING, error))
    return FALSE;
  element->node = job_project_process_node (element->sub->project, raw, error);
  if (element->node == NULL)
    return FALSE;
  kind = job_node_require (element->node, "kind", error);
  if (kind == NULL || job_node_as_string (kind, error) == NULL)
    return FALSE;
  if (g_str_equal (job_node_get_scalar (kind), "junction"))
    {
      set_error_at (error, find_requester (self, index_),
                    JOB_LOAD_ERROR_INVALID_DATA,
                    "“%s” is a junction, not an element to build or depend "
                    "on; name an element of its project instead, as "
                    "“%s:ELEMENT.bst”",
                    element->name, element->name);
      return FALSE;
    }
  if (!job_node_validate_keys (element->node, valid_keys, error))
    return FALSE;
  if (!parse_dependencies (self, element, element->node, "build-depends",
                           DEP_BUILD, queue, error)
      || !parse_dependencies (self, element, element->node, "runtime-depends",
                              DEP_RUNTIME, queue, error)
      || !parse_dependencies (self, element, element->node, "depends", DEP_ALL,
                              queue, error))
    return FALSE;
  return TRUE;
}

typedef struct
{
  guint element;
  guint next_dep;
} Visit;

/* Orders the elements reachable from @roots, dependencies first, and
 * rejects cycles; iterative, so deep graphs do not exhaust the stack. */
static gboolean
order_graph (JobLoader *self, GArray *roots, GError **error)
{
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (Visit));
  g_autofree guint8 *state = g_new0 (guint8, self->elements->len);

  for (guint i = 0; i < self->elements->len; i++)
    if (((Element *) self->elements->pdata[i])->order != 0)
      state[i] = 2;

  for (guint r = 0; r < roots->len; r++)
    {
      Visit visit = { g_array_index (roots, guint, r), 0 };

      if (state[visit.element] != 0)
        continue;
      state[visit.element] = 1;
      g_array_append_val (stack, visit);
      while (stack->len > 0)
        {
          Visit *top = &g_array_index (stack, Visit, stack->len - 1);
          Element *element = self->elements->pdata[top->element];

          if (top->next_dep < element->deps->len)
            {
              Dep *dep = &g_array_index (element->deps, Dep, top->next_dep++);
              Visit next = { dep->target, 0 };

              if (state[dep->target] == 2)
                continue;
              if (state[dep->target] == 1)
                {
                  g_autoptr (GString) cycle = g_string_new (NULL);
                  g_autofree char *first = NULL;
                  guint from = 0;

                  for (guint k = 0; k < stack->len; k++)
                    if (g_array_index (stack, Visit, k).element == dep->target)
                      from = k;
                  for (guint k = from; k < stack->len; k++)
                    {
                      Visit *hop = &g_array_index (stack, Visit, k);
                      Element *hop_element =
                          self->elements->pdata[hop->element];
                      Dep *hop_dep = &g_array_index (hop_element->deps, Dep,
                                                     hop->next_dep - 1);
                      Element *hop_target =
                          self->elements->pdata[hop_dep->target];
                      g_autofree char *where =
                          job_node_dup_provenance (hop_dep->where);

                      if (first == NULL)
                        first = g_strdup (where);
                      g_string_append_printf (cycle, "\n  %s: %s depends on %s",
                                              where, hop_element->name,
                                              hop_target->name);
                    }
                  g_set_error (
                      error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_CIRCULAR_DEPENDENCY,
                      "%s: circular dependency: “%s” depends on "
                      "itself:%s",
                      first,
                      ((Element *) self->elements->pdata[dep->target])->name,
                      cycle->str);
                  return FALSE;
                }
              state[next.element] = 1;
              g_array_append_val (stack, next);
              continue;
            }
          state[top->element] = 2;
          element->order = ++self->n_ordered;
          g_array_set_size (stack, stack->len - 1);
        }
    }
  return TRUE;
}

static JobNode *
compose3 (JobNode *base, JobNode *middle, JobNode *top, GError **error)
{
  g_autoptr (JobNode) result = job_node_ref (base);

  if (middle != NULL)
    {
      JobNode *composed = job_node_composite (result, middle, error);

      if (composed == NULL)
        return NULL;
      job_node_unref (result);
      result = composed;
    }
  if (top != NULL)
    {
      JobNode *composed = job_node_composite (result, top, error);

      if (composed == NULL)
        return NULL;
      job_node_unref (result);
      result = composed;
    }
  return g_steal_pointer (&result);
}

static gboolean
add_nocache (GPtrArray *names, JobNode *list, GError **error)
{
  g_auto (GStrv) strings = NULL;

  if (list == NULL || job_node_is_null (list))
    return TRUE;
  strings = job_node_as_string_list (list, error);
  if (strings == NULL)
    return FALSE;
  for (guint i = 0; strings[i] != NULL; i++)
    {
      gboolean seen = FALSE;

      for (guint k = 0; k < names->len && !seen; k++)
        seen = g_str_equal (names->pdata[k], strings[i]);
      if (!seen)
        g_ptr_array_add (names, g_strdup (strings[i]));
    }
  return TRUE;
}

static GListModel *
compose_sources (JobLoader *self,
                 Sub *sub,
                 const char *element,
                 JobNode *node,
                 GError **error)
{
  /* Workspaces are the loader's project's, by name in the whole graph;
   * everything else comes from the element's own project. */
  JobProject *project = sub->project;
  const char *local = element + strlen (sub->prefix);
  g_autoptr (GListStore) store = g_list_store_new (JOB_TYPE_SOURCE_SPEC);
  JobNode *list = job_node_get_sequence (node, "sources", error);
  const char *workspace;

  if (list == NULL && *error != NULL)
    return NULL;
  /* An open workspace stands in for every source. */
  workspace = job_project_get_workspace (self->project, element);
  if (workspace != NULL)
    {
      g_autoptr (JobSourceSpec) spec = NULL;
      g_autoptr (JobNode) config = job_node_new_mapping (NULL, 0, 0);
      g_autoptr (JobNode) path = job_node_new_scalar (workspace, NULL, 0, 0);
      g_autoptr (JobNode) name = job_node_new_scalar (element, NULL, 0, 0);
      g_autofree char *provenance =
          g_strdup_printf ("the workspace of %s", element);

      job_node_set_member (config, "path", path);
      job_node_set_member (config, "element", name);
      spec = g_object_new (JOB_TYPE_SOURCE_SPEC, "kind", "workspace",
                           "provenance", provenance, "config", config, NULL);
      g_list_store_append (store, spec);
      return G_LIST_MODEL (g_steal_pointer (&store));
    }
  for (guint i = 0; list != NULL && i < job_node_get_n_items (list); i++)
    {
      JobNode *source = job_node_get_item (list, i);
      JobNode *kind_node, *defaults, *default_config = NULL, *url_node;
      const char *kind, *directory;
      g_autoptr (JobNode) own = NULL;
      g_autoptr (JobNode) config = NULL;
      g_autoptr (JobSourceSpec) spec = NULL;
      g_autofree char *provenance = NULL;

      if (!job_node_check_type (source, JOB_NODE_MAPPING, error))
        return NULL;
      kind_node = job_node_require (source, "kind", error);
      if (kind_node == NULL
          || (kind = job_node_as_string (kind_node, error)) == NULL)
        return NULL;
      directory = job_node_get_string (source, "directory", "", error);
      if (directory == NULL)
        return NULL;
      defaults =
          job_project_get_source_defaults (project, kind, kind_node, error);
      if (defaults == NULL
          || !get_optional_mapping (defaults, "config", &default_config, error))
        return NULL;
      own = job_node_shallow_copy (source);
      job_node_remove_member (own, "kind");
      job_node_remove_member (own, "directory");
      /* With project.refs, the ref is there and nowhere else, as in
       * BuildStream: one written in the element is ignored. */
      if (job_project_uses_project_refs (project))
        {
          JobNode *refs;

          job_node_remove_member (own, "ref");
          refs = job_project_lookup_ref (project, local, i, error);
          if (refs == NULL && *error != NULL)
            return NULL;
          for (guint k = 0; refs != NULL && k < job_node_get_n_members (refs);
               k++)
            job_node_set_member (own, job_node_get_member_key (refs, k),
                                 job_node_get_member_value (refs, k));
        }
      /* Source URLs may start with one of the project's aliases: the
       * plugin gets the expanded URL, with the provenance of the original. */
      url_node = job_node_lookup (own, "url");
      if (url_node != NULL
          && job_node_get_node_type (url_node) == JOB_NODE_SCALAR
          && job_node_get_scalar (url_node) != NULL)
        {
          g_autofree char *url = job_project_translate_url (
              project, job_node_get_scalar (url_node));

          if (!g_str_equal (url, job_node_get_scalar (url_node)))
            {
              g_autoptr (JobNode) translated = job_node_new_scalar (
                  url, job_node_get_filename (url_node),
                  job_node_get_line (url_node), job_node_get_column (url_node));

              job_node_set_member (own, "url", translated);
            }
        }
      config = job_node_composite (
          default_config != NULL ? default_config : self->empty, own, error);
      if (config == NULL || !job_node_check_final (config, error))
        return NULL;
      provenance = job_node_dup_provenance (source);
      spec = g_object_new (JOB_TYPE_SOURCE_SPEC, "kind", kind, "directory",
                           *directory ? directory : NULL, "provenance",
                           provenance, "config", config, NULL);
      g_list_store_append (store, spec);
    }
  return G_LIST_MODEL (g_steal_pointer (&store));
}

static gboolean
check_protected_variables (JobNode *variables, GError **error)
{
  static const char *const protected[] = { "project-name", "element-name",
                                           "max-jobs" };

  for (guint i = 0; variables != NULL && i < G_N_ELEMENTS (protected); i++)
    {
      int at = job_node_find_member (variables, protected[i]);

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

static KindCache *
get_kind_cache (
    JobLoader *self, Sub *sub, const char *kind, JobNode *where, GError **error)
{
  JobProject *project = sub->project;
  KindCache *cache = g_hash_table_lookup (sub->kinds, kind);
  JobNode *defaults, *d_vars, *d_env, *d_config, *d_public, *d_sandbox,
      *project_sandbox;
  g_autoptr (JobNode) bst_base = NULL;
  g_autoptr (JobNode) public_base = NULL;
  JobNode *variables;

  if (cache != NULL)
    return cache;
  defaults = job_project_get_element_defaults (project, kind, where, error);
  if (defaults == NULL)
    return NULL;
  if (!get_optional_mapping (defaults, "variables", &d_vars, error)
      || !get_optional_mapping (defaults, "environment", &d_env, error)
      || !get_optional_mapping (defaults, "config", &d_config, error)
      || !get_optional_mapping (defaults, "public", &d_public, error)
      || !get_optional_mapping (defaults, "sandbox", &d_sandbox, error))
    return NULL;

  cache = g_new0 (KindCache, 1);
  g_hash_table_insert (sub->kinds, g_strdup (kind), cache);
  variables =
      compose3 (job_project_get_variables (project), d_vars, NULL, error);
  if (variables == NULL)
    return NULL;
  cache->variables = job_node_shallow_copy (variables);
  job_node_unref (variables);
  job_node_set_member_full (cache->variables, "element-name", 0, 0,
                            job_node_new_scalar ("", NULL, 0, 0));
  cache->element_name_index =
      job_node_find_member (cache->variables, "element-name");
  /* Variables that only elements define make this fail; then every
   * element resolves its variables alone. */
  cache->template = job_variables_new (cache->variables, NULL);

  cache->environment =
      compose3 (job_project_get_environment (project), d_env, NULL, error);
  cache->config = compose3 (self->empty, d_config, NULL, error);
  bst_base = job_node_new_mapping (NULL, 0, 0);
  job_node_set_member (bst_base, "split-rules",
                       job_project_get_split_rules (project));
  public_base = job_node_new_mapping (NULL, 0, 0);
  job_node_set_member (public_base, "bst", bst_base);
  cache->public_data = compose3 (public_base, d_public, NULL, error);
  project_sandbox =
      job_node_lookup (job_project_get_config (project), "sandbox");
  if (project_sandbox == NULL
      || job_node_get_node_type (project_sandbox) != JOB_NODE_MAPPING)
    project_sandbox = self->empty;
  cache->sandbox = compose3 (project_sandbox, d_sandbox, NULL, error);
  cache->nocache = g_ptr_array_new_with_free_func (g_free);
  if (cache->environment == NULL || cache->config == NULL
      || cache->public_data == NULL || cache->sandbox == NULL
      || !add_nocache (cache->nocache,
                       job_project_get_environment_nocache (project), error)
      || !add_nocache (cache->nocache,
                       job_node_lookup (defaults, "environment-nocache"),
                       error))
    {
      g_hash_table_remove (sub->kinds, kind);
      return NULL;
    }
  return cache;
}

/* @base composed with @overlay when there is one, else @base. */
static JobNode *
compose_over (JobNode *base, JobNode *overlay, GError **error)
{
  if (overlay == NULL)
    return job_node_ref (base);
  return job_node_composite (base, overlay, error);
}

static gboolean
compose_element (JobLoader *self, Element *element, GError **error)
{
  JobNode *node = element->node;
  JobNode *kind_node = job_node_lookup (node, "kind");
  const char *kind = job_node_get_scalar (kind_node);
  KindCache *cache;
  JobNode *e_vars, *e_env, *e_config, *e_public, *e_sandbox, *bst;
  g_autoptr (JobNode) variables = NULL;
  g_autoptr (JobNode) resolved = NULL;
  g_autoptr (JobNode) environment = NULL;
  g_autoptr (JobNode) expanded_env = NULL;
  g_autoptr (JobNode) config = NULL;
  g_autoptr (JobNode) public_data = NULL;
  g_autoptr (JobNode) sandbox = NULL;
  g_autoptr (JobVariables) vars = NULL;
  g_autoptr (GPtrArray) nocache = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) build_deps = g_ptr_array_new ();
  g_autoptr (GPtrArray) runtime_deps = g_ptr_array_new ();
  g_autoptr (GListModel) sources = NULL;
  g_autofree char *provenance = NULL;
  const char *description;
  JobNode *splits;
  int at;
  static const char *const sandbox_keys[] = { "build-uid", "build-gid",
                                              "build-os", "build-arch", NULL };

  cache = get_kind_cache (self, element->sub, kind, kind_node, error);
  if (cache == NULL)
    return FALSE;

  /* Variables: project → kind defaults (with overrides) → element. */
  if (!get_optional_mapping (node, "variables", &e_vars, error)
      || !check_protected_variables (e_vars, error))
    return FALSE;
  if (e_vars != NULL)
    variables = job_node_composite (cache->variables, e_vars, error);
  else
    variables = job_node_shallow_copy (cache->variables);
  if (variables == NULL || !job_node_check_final (variables, error))
    return FALSE;
  at = job_node_find_member (variables, "element-name");
  g_assert (at >= 0);
  job_node_set_member_at (
      variables, (guint) at,
      job_node_new_scalar (local_name (element), element->name, 1, 1));
  vars = job_variables_new_with_template (variables, cache->template, error);
  if (vars == NULL)
    return FALSE;
  resolved = job_variables_to_node (vars, self->memo);

  /* Environment. */
  if (!get_optional_mapping (node, "environment", &e_env, error))
    return FALSE;
  environment = compose_over (cache->environment, e_env, error);
  if (environment == NULL || !job_node_check_final (environment, error))
    return FALSE;
  for (guint i = 0; i < job_node_get_n_members (environment); i++)
    if (job_node_get_node_type (job_node_get_member_value (environment, i))
        != JOB_NODE_SCALAR)
      return job_node_check_type (job_node_get_member_value (environment, i),
                                  JOB_NODE_SCALAR, error);
  expanded_env =
      job_variables_expand_node (vars, environment, self->memo, error);
  if (expanded_env == NULL)
    return FALSE;

  for (guint i = 0; i < cache->nocache->len; i++)
    g_ptr_array_add (nocache, g_strdup (cache->nocache->pdata[i]));
  if (!add_nocache (nocache, job_node_lookup (node, "environment-nocache"),
                    error))
    return FALSE;
  g_ptr_array_add (nocache, NULL);

  /* Config: expanded by the plugin, but a reference to an undefined
   * variable fails now. */
  if (!get_optional_mapping (node, "config", &e_config, error))
    return FALSE;
  config = compose_over (cache->config, e_config, error);
  if (config == NULL || !job_node_check_final (config, error)
      || !job_variables_check_node (vars, config, error))
    return FALSE;

  /* Public data, whose bst split rules start from the project's. */
  if (!get_optional_mapping (node, "public", &e_public, error))
    return FALSE;
  public_data = compose_over (cache->public_data, e_public, error);
  if (public_data == NULL || !job_node_check_final (public_data, error))
    return FALSE;
  bst = job_node_lookup (public_data, "bst");
  if (!job_node_check_type (bst, JOB_NODE_MAPPING, error))
    return FALSE;
  splits = job_node_lookup (bst, "split-rules");
  if (splits != NULL)
    {
      g_autoptr (JobNode) expanded_splits = NULL;

      if (!job_node_check_type (splits, JOB_NODE_MAPPING, error))
        return FALSE;
      for (guint i = 0; i < job_node_get_n_members (splits); i++)
        if (!job_node_check_type (job_node_get_member_value (splits, i),
                                  JOB_NODE_SEQUENCE, error))
          return FALSE;
      expanded_splits =
          job_variables_expand_node (vars, splits, self->memo, error);
      if (expanded_splits == NULL)
        return FALSE;
      if (expanded_splits != splits)
        {
          g_autoptr (JobNode) new_bst = job_node_shallow_copy (bst);
          JobNode *new_public = job_node_shallow_copy (public_data);

          job_node_set_member (new_bst, "split-rules", expanded_splits);
          job_node_set_member (new_public, "bst", new_bst);
          job_node_unref (public_data);
          public_data = new_public;
        }
    }

  /* Sandbox. */
  if (!get_optional_mapping (node, "sandbox", &e_sandbox, error))
    return FALSE;
  sandbox = compose_over (cache->sandbox, e_sandbox, error);
  if (sandbox == NULL || !job_node_validate_keys (sandbox, sandbox_keys, error))
    return FALSE;

  sources = compose_sources (self, element->sub, element->name, node, error);
  if (sources == NULL)
    return FALSE;

  description = job_node_get_string (node, "description", "", error);
  if (description == NULL)
    return FALSE;

  for (guint i = 0; i < element->deps->len; i++)
    {
      Dep *dep = &g_array_index (element->deps, Dep, i);
      Element *target = self->elements->pdata[dep->target];

      if (dep->type & DEP_BUILD)
        g_ptr_array_add (build_deps, target->name);
      if (dep->type & DEP_RUNTIME)
        g_ptr_array_add (runtime_deps, target->name);
    }
  g_ptr_array_add (build_deps, NULL);
  g_ptr_array_add (runtime_deps, NULL);

  provenance = job_node_dup_provenance (node);
  element->spec = g_object_new (
      JOB_TYPE_ELEMENT_SPEC, "name", element->name, "kind", kind, "description",
      *description ? description : NULL, "provenance", provenance, "config",
      config, "variables", resolved, "environment", expanded_env,
      "environment-nocache", (char **) nocache->pdata, "public", public_data,
      "sandbox", sandbox, "sources", sources, "build-dependencies",
      (char **) build_deps->pdata, "runtime-dependencies",
      (char **) runtime_deps->pdata, NULL);
  g_clear_pointer (&element->node, job_node_unref);
  return TRUE;
}

static gboolean
load_targets (JobLoader *self,
              const char *const *targets,
              GCancellable *cancellable,
              GError **error)
{
  g_autoptr (GArray) queue = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) roots = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) order = NULL;
  guint first_new = self->elements->len;

  for (guint i = 0; targets[i] != NULL; i++)
    {
      int index_;

      if (!check_element_name (targets[i], NULL, error))
        return FALSE;
      index_ = find_element (self, targets[i]);
      if (index_ < 0)
        {
          index_ = (int) add_element (self, targets[i]);
          g_array_append_val (queue, index_);
        }
      g_array_append_val (roots, index_);
    }

  for (guint q = 0; q < queue->len; q++)
    {
      if (q % 1024 == 0
          && g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!load_file (self, g_array_index (queue, guint, q), queue, error))
        return FALSE;
    }

  if (!order_graph (self, roots, error))
    return FALSE;

  /* Compose in build order so that errors come in a predictable order. */
  order = g_array_sized_new (FALSE, FALSE, sizeof (guint),
                             self->elements->len - first_new);
  for (guint i = first_new; i < self->elements->len; i++)
    g_array_append_val (order, i);
  for (guint i = 0; i < order->len; i++)
    {
      Element *element = self->elements->pdata[g_array_index (order, guint, i)];

      if (i % 1024 == 0
          && g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!compose_element (self, element, error))
        return FALSE;
    }
  return TRUE;
}

/* Junctions fetch with the load's cancellable. */
static gboolean
load_internal (JobLoader *self,
               const char *const *targets,
               GCancellable *cancellable,
               GError **error)
{
  gboolean ok;

  self->cancellable = cancellable;
  ok = load_targets (self, targets, cancellable, error);
  self->cancellable = NULL;
  return ok;
}

/**
 * job_loader_load:
 * @self: a loader
 * @targets: (array zero-terminated=1): the names of the elements to load,
 *   relative to the element path (`app.bst`, `base/gcc.bst`), or through
 *   junctions (`sdk.bst:base/gcc.bst`)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Loads @targets and everything they depend on, directly or not. A loader
 * can load more targets later; elements already loaded are not read again.
 *
 * An element of kind `junction` leads to another project: its sources
 * hold that project (one `local` source is used where it is; others are
 * fetched and staged, see [method@Job.Loader.set_cache]), and its
 * `config: options:` set that project's options. An element of that project
 * is named after the junction, as `sdk.bst:gcc.bst` (or in a dependency,
 * `{filename: gcc.bst, junction: sdk.bst}`), and is composed in its own
 * project: its defaults, variables, options and source aliases. A junction
 * is not an element: it cannot be a target or a dependency.
 * After a failure the loader must not be used again.
 *
 * Returns: %TRUE on success, %FALSE with @error set (in %JOB_LOAD_ERROR,
 *   the message naming the file, line and column)
 */
gboolean
job_loader_load (JobLoader *self,
                 const char *const *targets,
                 GCancellable *cancellable,
                 GError **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (JOB_IS_LOADER (self), FALSE);
  g_return_val_if_fail (targets != NULL, FALSE);
  /* Internally the error is never NULL, so "*error != NULL" tells an
   * absent value from a wrong one. */
  if (!load_internal (self, targets, cancellable, &local_error))
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

static void
load_in_thread (GTask *task,
                gpointer source_object,
                gpointer task_data,
                GCancellable *cancellable)
{
  JobLoader *self = source_object;
  GError *error = NULL;

  if (load_internal (self, (const char *const *) task_data, cancellable,
                     &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * job_loader_load_async:
 * @self: a loader
 * @targets: (array zero-terminated=1): the names of the elements to load
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when loading is done
 * @user_data: (closure): data for @callback
 *
 * Does what [method@Job.Loader.load] does in a worker thread. Until
 * @callback runs, neither the loader nor its project may be used.
 */
void
job_loader_load_async (JobLoader *self,
                       const char *const *targets,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (JOB_IS_LOADER (self));
  g_return_if_fail (targets != NULL);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, job_loader_load_async);
  g_task_set_task_data (task, g_strdupv ((char **) targets),
                        (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, load_in_thread);
}

/**
 * job_loader_load_finish:
 * @self: a loader
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Job.Loader.load_async].
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_loader_load_finish (JobLoader *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (JOB_IS_LOADER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * job_loader_get_element:
 * @self: a loader
 * @name: an element name
 *
 * Returns: (transfer none) (nullable): the loaded element @name, or %NULL
 */
JobElementSpec *
job_loader_get_element (JobLoader *self, const char *name)
{
  int index_;

  g_return_val_if_fail (JOB_IS_LOADER (self), NULL);
  index_ = find_element (self, name);
  if (index_ < 0)
    return NULL;
  return ((Element *) self->elements->pdata[index_])->spec;
}

/**
 * job_loader_get_element_project:
 * @self: a loader
 * @name: an element name
 *
 * Finds the project an element belongs to: the loader's own project, or for
 * an element named through a junction (`subproject.bst:lib.bst`), the
 * project the junction leads to. Its directory is where the element's local
 * sources and plugins are found.
 *
 * Returns: (transfer none) (nullable): the project of the loaded element
 *   @name, or %NULL if no such element is loaded
 */
JobProject *
job_loader_get_element_project (JobLoader *self, const char *name)
{
  int index_;
  Element *element;

  g_return_val_if_fail (JOB_IS_LOADER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  index_ = find_element (self, name);
  if (index_ < 0)
    return NULL;
  element = self->elements->pdata[index_];
  return element->sub != NULL ? element->sub->project : NULL;
}

/**
 * job_loader_dup_junction_sources:
 * @self: a loader
 * @name: the name of an element file of the loader's project
 * @error: return location for a #GError
 *
 * Makes the sources of junction @name as loading through it does, to fetch
 * the project it leads to: configured [class@Job.Source] instances, with
 * the project's variables, aliases and refs. `job track` tracks them to
 * update the junction's ref. Needs the cache of
 * [method@Job.Loader.set_cache].
 *
 * Returns: (transfer full) (nullable): a list of #JobSource; %NULL without
 *   an error if @name is not a junction, %NULL with @error set if its
 *   sources cannot be made
 */
GListModel *
job_loader_dup_junction_sources (JobLoader *self,
                                 const char *name,
                                 GError **error)
{
  Sub *root;
  g_autofree char *path = NULL;
  g_autoptr (JobNode) raw = NULL;
  g_autoptr (JobNode) node = NULL;
  g_autoptr (GListModel) specs = NULL;
  g_autoptr (GPtrArray) sources = NULL;
  GError *local_error = NULL; /* never NULL inside, as in load_internal() */
  GListStore *store;
  JobNode *kind;

  g_return_val_if_fail (JOB_IS_LOADER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  root = root_sub (self);
  if (strchr (name, ':') != NULL)
    return NULL;
  path = g_build_filename (job_project_get_element_path (root->project), name,
                           NULL);
  raw = job_node_load_file (path, name, NULL);
  if (raw == NULL || job_node_get_node_type (raw) != JOB_NODE_MAPPING)
    return NULL;
  kind = job_node_lookup (raw, "kind");
  if (kind == NULL || job_node_get_node_type (kind) != JOB_NODE_SCALAR
      || g_strcmp0 (job_node_get_scalar (kind), "junction") != 0)
    return NULL;
  node = job_project_process_node (root->project, raw, &local_error);
  if (node != NULL)
    sources =
        make_junction_sources (self, root, name, node, &specs, &local_error);
  if (sources == NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  store = g_list_store_new (JOB_TYPE_SOURCE);
  g_list_store_splice (store, 0, 0, sources->pdata, sources->len);
  return G_LIST_MODEL (store);
}

/**
 * job_loader_get_n_elements:
 * @self: a loader
 *
 * Returns: how many elements are loaded
 */
guint
job_loader_get_n_elements (JobLoader *self)
{
  g_return_val_if_fail (JOB_IS_LOADER (self), 0);
  return self->elements->len;
}

static int
compare_order (gconstpointer a, gconstpointer b, gpointer user_data)
{
  GPtrArray *elements = user_data;
  guint oa = ((Element *) elements->pdata[*(const guint *) a])->order;
  guint ob = ((Element *) elements->pdata[*(const guint *) b])->order;

  return oa < ob ? -1 : oa > ob;
}

/* Adds to @selected everything reachable from @queue's elements through
 * edges of @type (breadth first, without recursion). */
static void
close_over (JobLoader *self, GArray *queue, guint8 *selected, guint8 type)
{
  for (guint q = 0; q < queue->len; q++)
    {
      Element *element = self->elements->pdata[g_array_index (queue, guint, q)];

      for (guint k = 0; k < element->deps->len; k++)
        {
          Dep *dep = &g_array_index (element->deps, Dep, k);

          if ((dep->type & type) && !selected[dep->target])
            {
              selected[dep->target] = 1;
              g_array_append_val (queue, dep->target);
            }
        }
    }
}

/**
 * job_loader_list_dependencies:
 * @self: a loader
 * @targets: (array zero-terminated=1): names of loaded elements
 * @deps: which elements to list
 * @error: return location for a #GError
 *
 * Lists elements related to @targets. Every list but %JOB_DEPS_NONE comes
 * in build order: an element after all of its dependencies.
 *
 * Returns: (transfer full) (nullable): a list of #JobElementSpec, or %NULL
 *   with @error set if a target is not loaded
 */
GListModel *
job_loader_list_dependencies (JobLoader *self,
                              const char *const *targets,
                              JobDeps deps,
                              GError **error)
{
  g_autofree guint8 *selected = NULL;
  g_autoptr (GArray) queue = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) result = g_array_new (FALSE, FALSE, sizeof (guint));
  GListStore *store;

  g_return_val_if_fail (JOB_IS_LOADER (self), NULL);
  g_return_val_if_fail (targets != NULL, NULL);

  selected = g_new0 (guint8, self->elements->len);
  for (guint i = 0; targets[i] != NULL; i++)
    {
      int index_ = find_element (self, targets[i]);

      if (index_ < 0
          || ((Element *) self->elements->pdata[index_])->spec == NULL)
        {
          g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA,
                       "element “%s” is not loaded", targets[i]);
          return NULL;
        }
      if (deps == JOB_DEPS_BUILD)
        {
          Element *element = self->elements->pdata[index_];

          for (guint k = 0; k < element->deps->len; k++)
            {
              Dep *dep = &g_array_index (element->deps, Dep, k);

              if ((dep->type & DEP_BUILD) && !selected[dep->target])
                {
                  selected[dep->target] = 1;
                  g_array_append_val (queue, dep->target);
                }
            }
          continue;
        }
      if (!selected[index_])
        {
          selected[index_] = 1;
          g_array_append_val (queue, index_);
          if (deps == JOB_DEPS_NONE)
            g_array_append_val (result, index_);
        }
    }

  switch (deps)
    {
    case JOB_DEPS_NONE:
      break;
    case JOB_DEPS_RUN:
    case JOB_DEPS_BUILD:
      close_over (self, queue, selected, DEP_RUNTIME);
      break;
    case JOB_DEPS_PLAN:
    case JOB_DEPS_ALL:
    default:
      close_over (self, queue, selected, DEP_ALL);
      break;
    }
  if (deps != JOB_DEPS_NONE)
    {
      for (guint i = 0; i < self->elements->len; i++)
        if (selected[i])
          g_array_append_val (result, i);
      g_array_sort_with_data (result, compare_order, self->elements);
    }

  store = g_list_store_new (JOB_TYPE_ELEMENT_SPEC);
  for (guint i = 0; i < result->len; i++)
    g_list_store_append (
        store,
        ((Element *) self->elements->pdata[g_array_index (result, guint, i)])
            ->spec);
  return G_LIST_MODEL (store);
}
