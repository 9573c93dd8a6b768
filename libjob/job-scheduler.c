/* job-scheduler.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "job-build-task.h"
#include "job-element-spec.h"
#include "job-fetch-task.h"
#include "job-enums.h"
#include "job-node-private.h"
#include "job-plugin-registry-private.h"
#include "job-artifact-cache-private.h"
#include "job-scheduler.h"
#include "job-serializable.h"
#include "job-source-spec.h"
#include "job-source.h"

/**
 * JobScheduler:
 *
 * Builds the elements of a loaded project in dependency order.
 *
 * [method@Job.Scheduler.prepare] makes and configures a plugin instance for
 * every element the targets need (in this process: configuration errors
 * name their provenance), then computes each element's cache key in build
 * order. [method@Job.Scheduler.build_async] then submits one
 * [class@Job.BuildTask] per element that is not cached to a
 * [iface@Job.Backend], at most [property@Job.Scheduler:builders] at a time,
 * each once the artifacts it stages are cached.
 *
 * An element's cache key is the SHA-256 of the normal form of a #GVariant
 * holding its kind, its unique key, its environment (without the variables
 * of `environment-nocache`), the unique keys of its sources and the names
 * and cache keys of every artifact its build stages: a change anywhere in
 * what goes into a build changes the key, and only that element and what
 * depends on it is built again.
 */

typedef enum
{
  RECORD_CACHED,
  RECORD_FETCHING,
  RECORD_WAITING,
  RECORD_READY,
  RECORD_RUNNING,
  RECORD_DONE,
  RECORD_FAILED,
  RECORD_SKIPPED,
} RecordState;

typedef struct _Record Record;

struct _Record
{
  guint index; /* in plan order */
  JobElementSpec *spec;
  JobElement *element;
  char *key;
  GPtrArray *build_deps;   /* Record*: direct build dependencies */
  GPtrArray *runtime_deps; /* Record*: direct runtime dependencies */
  char *runtime_digest;    /* its key and, recursively, its runtime deps' */
  GStrv integration;       /* its integration commands, expanded */
  GVariant *plan_entry;    /* (ssas): its entry in staging plans, made once */
  gboolean cached;         /* for job_scheduler_get_state() */
  gboolean runtime_cached; /* it and its runtime closure are cached */
  GArray *runtime;     /* guint plan indexes: itself and its runtime closure */
  GArray *build_scope; /* guint plan indexes staged for its build, in order */
  GPtrArray *dependents; /* Record*: waiting for this one */
  guint n_waiting;
  RecordState state;
};

struct _JobScheduler
{
  GObject parent_instance;

  JobLoader *loader;
  JobArtifactCache *cache;
  JobBackend *backend;
  JobBackend *fetch_backend;
  JobPluginRegistry *registry;
  guint builders;
  guint fetchers;
  JobOnError on_error;

  GPtrArray *records;   /* Record*, plan order */
  gboolean have_scopes; /* the staging closures are computed */
  gboolean have_states; /* cached and runtime_cached are computed */
  GHashTable *by_name;  /* name -> Record* */

  /* A build in progress. */
  GTask *build;
  GCancellable *terminate;
  gulong cancelled_id; /* on the build's cancellable */
  GQueue ready;
  GQueue to_fetch;
  guint running;
  guint fetching;
  gboolean stopping;
  gboolean fetch_only; /* job_scheduler_fetch_async(): nothing is built */
  GError *first_error;
};

static char *
job_scheduler_get_reason (JobUnserializable *self)
{
  return g_strdup ("the scheduler drives builds from the parent process");
}

static void
job_scheduler_unserializable_init (JobUnserializableInterface *iface)
{
  iface->get_reason = job_scheduler_get_reason;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    JobScheduler,
    job_scheduler,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_UNSERIALIZABLE,
                           job_scheduler_unserializable_init))

enum
{
  PROP_0,
  PROP_LOADER,
  PROP_CACHE,
  PROP_BACKEND,
  PROP_FETCH_BACKEND,
  PROP_REGISTRY,
  PROP_BUILDERS,
  PROP_FETCHERS,
  PROP_ON_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_JOB_STARTED,
  SIGNAL_JOB_FINISHED,
  SIGNAL_FETCH_STARTED,
  SIGNAL_FETCH_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
record_free (gpointer data)
{
  Record *record = data;

  g_clear_object (&record->spec);
  g_clear_object (&record->element);
  g_free (record->key);
  g_clear_pointer (&record->build_deps, g_ptr_array_unref);
  g_clear_pointer (&record->runtime_deps, g_ptr_array_unref);
  g_free (record->runtime_digest);
  g_clear_pointer (&record->runtime, g_array_unref);
  g_clear_pointer (&record->build_scope, g_array_unref);
  g_clear_pointer (&record->integration, g_strfreev);
  g_clear_pointer (&record->plan_entry, g_variant_unref);
  g_clear_pointer (&record->dependents, g_ptr_array_unref);
  g_free (record);
}

static void
job_scheduler_dispose (GObject *object)
{
  JobScheduler *self = JOB_SCHEDULER (object);

  g_clear_object (&self->loader);
  g_clear_object (&self->cache);
  g_clear_object (&self->backend);
  g_clear_object (&self->fetch_backend);
  g_clear_object (&self->registry);
  g_clear_pointer (&self->records, g_ptr_array_unref);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  G_OBJECT_CLASS (job_scheduler_parent_class)->dispose (object);
}

static void
job_scheduler_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  JobScheduler *self = JOB_SCHEDULER (object);

  switch (prop_id)
    {
    case PROP_LOADER:
      g_value_set_object (value, self->loader);
      break;
    case PROP_CACHE:
      g_value_set_object (value, self->cache);
      break;
    case PROP_BACKEND:
      g_value_set_object (value, self->backend);
      break;
    case PROP_FETCH_BACKEND:
      g_value_set_object (value, self->fetch_backend);
      break;
    case PROP_REGISTRY:
      g_value_set_object (value, self->registry);
      break;
    case PROP_BUILDERS:
      g_value_set_uint (value, self->builders);
      break;
    case PROP_FETCHERS:
      g_value_set_uint (value, self->fetchers);
      break;
    case PROP_ON_ERROR:
      g_value_set_enum (value, self->on_error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_scheduler_set_property (GObject *object,
                            guint prop_id,
                            const GValue *value,
                            GParamSpec *pspec)
{
  JobScheduler *self = JOB_SCHEDULER (object);

  switch (prop_id)
    {
    case PROP_LOADER:
      self->loader = g_value_dup_object (value);
      break;
    case PROP_CACHE:
      self->cache = g_value_dup_object (value);
      break;
    case PROP_BACKEND:
      self->backend = g_value_dup_object (value);
      break;
    case PROP_FETCH_BACKEND:
      self->fetch_backend = g_value_dup_object (value);
      break;
    case PROP_REGISTRY:
      g_set_object (&self->registry, g_value_get_object (value));
      break;
    case PROP_BUILDERS:
      self->builders = g_value_get_uint (value);
      break;
    case PROP_FETCHERS:
      self->fetchers = g_value_get_uint (value);
      break;
    case PROP_ON_ERROR:
      self->on_error = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_scheduler_constructed (GObject *object)
{
  JobScheduler *self = JOB_SCHEDULER (object);

  G_OBJECT_CLASS (job_scheduler_parent_class)->constructed (object);
  if (self->registry == NULL)
    self->registry = job_plugin_registry_new ();
}

static void
job_scheduler_class_init (JobSchedulerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = job_scheduler_dispose;
  object_class->get_property = job_scheduler_get_property;
  object_class->set_property = job_scheduler_set_property;
  object_class->constructed = job_scheduler_constructed;

  /**
   * JobScheduler:loader:
   *
   * The loader that loaded the project.
   */
  properties[PROP_LOADER] = g_param_spec_object (
      "loader", NULL, NULL, JOB_TYPE_LOADER,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * JobScheduler:cache:
   *
   * The artifact cache built artifacts are committed to.
   */
  properties[PROP_CACHE] = g_param_spec_object (
      "cache", NULL, NULL, JOB_TYPE_ARTIFACT_CACHE,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * JobScheduler:backend:
   *
   * Where build jobs run.
   */
  properties[PROP_BACKEND] = g_param_spec_object (
      "backend", NULL, NULL, JOB_TYPE_BACKEND,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * JobScheduler:fetch-backend:
   *
   * Where fetch jobs run; %NULL (the default) for
   * [property@Job.Scheduler:backend]. A frontend that sends build jobs to
   * a cluster ([class@Job.SlurmBackend]) keeps fetches local with a
   * [class@Job.WorkerPool] here.
   */
  properties[PROP_FETCH_BACKEND] = g_param_spec_object (
      "fetch-backend", NULL, NULL, JOB_TYPE_BACKEND,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * JobScheduler:registry:
   *
   * Where plugin kinds are found; a registry of the core plugins if none is
   * given.
   */
  properties[PROP_REGISTRY] = g_param_spec_object (
      "registry", NULL, NULL, JOB_TYPE_PLUGIN_REGISTRY,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * JobScheduler:builders:
   *
   * How many build jobs run at once.
   */
  properties[PROP_BUILDERS] = g_param_spec_uint (
      "builders", NULL, NULL, 1, 1024, 1,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /**
   * JobScheduler:fetchers:
   *
   * How many fetch jobs run at once.
   */
  properties[PROP_FETCHERS] = g_param_spec_uint (
      "fetchers", NULL, NULL, 1, 1024, 4,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * JobScheduler:on-error:
   *
   * What to do when a build fails.
   */
  properties[PROP_ON_ERROR] = g_param_spec_enum (
      "on-error", NULL, NULL, JOB_TYPE_ON_ERROR, JOB_ON_ERROR_QUIT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * JobScheduler::job-started:
   * @self: the scheduler
   * @element: the name of the element whose build started
   *
   * A build job was submitted to the backend.
   */
  signals[SIGNAL_JOB_STARTED] =
      g_signal_new ("job-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * JobScheduler::job-finished:
   * @self: the scheduler
   * @element: the name of the element
   * @error: (nullable): why it failed, or %NULL if it was built
   *
   * A build job finished.
   */
  signals[SIGNAL_JOB_FINISHED] = g_signal_new (
      "job-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_ERROR);

  /**
   * JobScheduler::fetch-started:
   * @self: the scheduler
   * @element: the name of the element whose sources are being fetched
   *
   * A fetch job was submitted to the backend.
   */
  signals[SIGNAL_FETCH_STARTED] = g_signal_new (
      "fetch-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * JobScheduler::fetch-finished:
   * @self: the scheduler
   * @element: the name of the element
   * @error: (nullable): why fetching failed, or %NULL
   *
   * A fetch job finished.
   */
  signals[SIGNAL_FETCH_FINISHED] = g_signal_new (
      "fetch-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_ERROR);
}

static void
job_scheduler_init (JobScheduler *self)
{
  self->builders = MAX (1, g_get_num_processors ());
  self->fetchers = 4;
  self->records = g_ptr_array_new_with_free_func (record_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&self->ready);
  g_queue_init (&self->to_fetch);
}

static Record *
get_record (JobScheduler *self, const char *name)
{
  g_return_val_if_fail (JOB_IS_SCHEDULER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (self->by_name, name);
}

/**
 * job_scheduler_new:
 * @loader: a loader that loaded the project
 * @cache: the artifact cache
 * @backend: where build jobs run
 *
 * Makes a scheduler for the elements @loader loaded.
 *
 * Returns: (transfer full): a new #JobScheduler
 */
JobScheduler *
job_scheduler_new (JobLoader *loader,
                   JobArtifactCache *cache,
                   JobBackend *backend)
{
  g_return_val_if_fail (JOB_IS_LOADER (loader), NULL);
  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (cache), NULL);
  g_return_val_if_fail (JOB_IS_BACKEND (backend), NULL);

  return g_object_new (JOB_TYPE_SCHEDULER, "loader", loader, "cache", cache,
                       "backend", backend, NULL);
}

static GObject *
make_plugin (JobScheduler *self,
             JobProject *project,
             JobPluginType plugin_type,
             const char *kind,
             const char *name,
             JobNode *config,
             JobNode *variables,
             const char *provenance,
             GError **error)
{
  return job_plugin_registry_make (
      self->registry, plugin_type, kind, name, config, variables,
      job_project_get_directory (project), provenance, error);
}

/* Orders an array of strings (sort functions pass pointers to elements). */
static int
compare_string_pointers (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static GStrv
environment_strv (JobNode *environment,
                  const char *const *nocache,
                  gboolean for_key)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GPtrArray) values = g_ptr_array_new ();
  g_autoptr (GPtrArray) out = g_ptr_array_new ();

  job_node_scalars_to_arrays (environment, names, values);
  for (guint i = 0; names->pdata[i] != NULL; i++)
    {
      if (for_key && nocache != NULL
          && g_strv_contains (nocache, names->pdata[i]))
        continue;
      g_ptr_array_add (out, g_strdup_printf ("%s=%s", (char *) names->pdata[i],
                                             (char *) values->pdata[i]));
    }
  g_ptr_array_sort (out, compare_string_pointers);
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_steal (out, NULL);
}

static gboolean
make_element (JobScheduler *self, Record *record, GError **error)
{
  JobElementSpec *spec = record->spec;
  const char *name = job_element_spec_get_name (spec);
  GListModel *source_specs = job_element_spec_get_sources (spec);
  g_autoptr (GListStore) sources = g_list_store_new (JOB_TYPE_SOURCE);
  g_auto (GStrv) environment = NULL;
  g_autoptr (GObject) element = NULL;
  /* An element of a junction's project finds its files there. */
  JobProject *project = job_loader_get_element_project (self->loader, name);

  element = make_plugin (self, project, JOB_PLUGIN_TYPE_ELEMENT,
                         job_element_spec_get_kind (spec), name,
                         job_element_spec_get_config (spec),
                         job_element_spec_get_variables (spec),
                         job_element_spec_get_provenance (spec), error);
  if (element == NULL)
    return FALSE;

  for (guint i = 0;
       source_specs != NULL && i < g_list_model_get_n_items (source_specs); i++)
    {
      g_autoptr (JobSourceSpec) source_spec =
          g_list_model_get_item (source_specs, i);
      g_autofree char *source_name =
          g_strdup_printf ("%s (source %u)", name, i + 1);
      g_autoptr (JobSource) source = job_plugin_registry_make_source (
          self->registry, source_spec, source_name,
          job_element_spec_get_variables (spec),
          job_project_get_directory (project),
          job_artifact_cache_get_root (self->cache), error);

      if (source == NULL)
        return FALSE;
      g_list_store_append (sources, source);
    }

  environment =
      environment_strv (job_element_spec_get_environment (spec), NULL, FALSE);
  g_object_set (element, "sources", sources, "environment", environment,
                "public", job_element_spec_get_public (spec), NULL);
  if (!job_plugin_configure (JOB_PLUGIN (element), error)
      || !job_plugin_preflight (JOB_PLUGIN (element), error))
    return FALSE;
  /* What staging this element into a sysroot runs there, with its own
   * variables: dependents need it expanded, and it goes into the key. */
  {
    JobNode *public_data = job_element_get_public (JOB_ELEMENT (element));
    JobNode *bst =
        public_data != NULL ? job_node_lookup (public_data, "bst") : NULL;

    record->integration =
        bst != NULL ? job_plugin_subst_list (JOB_PLUGIN (element), bst,
                                             "integration-commands", error)
                    : g_new0 (char *, 1);
    if (record->integration == NULL)
      return FALSE;
  }
  record->element = JOB_ELEMENT (g_steal_pointer (&element));
  return TRUE;
}

/* Sorted union of plan indexes. */
static void
merge_into (GArray *into, GArray *from)
{
  g_autoptr (GArray) merged =
      g_array_sized_new (FALSE, FALSE, sizeof (guint), into->len + from->len);
  guint i = 0, j = 0;

  while (i < into->len || j < from->len)
    {
      guint a = i < into->len ? g_array_index (into, guint, i) : G_MAXUINT;
      guint b = j < from->len ? g_array_index (from, guint, j) : G_MAXUINT;
      guint v = MIN (a, b);

      g_array_append_val (merged, v);
      if (a == v)
        i++;
      if (b == v)
        j++;
    }
  g_array_set_size (into, 0);
  g_array_append_vals (into, merged->data, merged->len);
}

static Record *
lookup_dependency (JobScheduler *self,
                   Record *record,
                   const char *name,
                   GError **error)
{
  Record *dep = g_hash_table_lookup (self->by_name, name);

  if (dep == NULL || dep->index >= record->index)
    g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                 "%s: dependency %s is not in the build plan before it",
                 job_element_spec_get_name (record->spec), name);
  return dep;
}

static gboolean
check_unique_key (JobPlugin *plugin, GVariant *key, GError **error)
{
  if (key != NULL)
    return TRUE;
  g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
               "%s: the %s plugin gave no unique key (its get_unique_key "
               "returned NULL or raised an exception); its cache key cannot "
               "be computed",
               job_plugin_get_name (plugin), job_plugin_get_kind (plugin));
  return FALSE;
}

static char *
compute_key (JobScheduler *self, Record *record, GError **error)
{
  JobElementSpec *spec = record->spec;
  GListModel *sources = job_element_get_sources (record->element);
  g_auto (GStrv) environment =
      environment_strv (job_element_spec_get_environment (spec),
                        job_element_spec_get_environment_nocache (spec), TRUE);
  g_autoptr (GVariant) unique =
      job_plugin_get_unique_key (JOB_PLUGIN (record->element));
  g_autoptr (GVariant) key = NULL;
  g_autofree char *public_text = NULL;
  JobNode *public_data;
  GVariantBuilder source_keys, dep_keys;

  if (!check_unique_key (JOB_PLUGIN (record->element), unique, error))
    return NULL;
  /* Version 4 added each source's directory: where it is staged shapes
   * the output as much as what it holds. */
  g_variant_builder_init (&source_keys, G_VARIANT_TYPE ("a(ssv)"));
  for (guint i = 0; i < g_list_model_get_n_items (sources); i++)
    {
      g_autoptr (JobPlugin) source = g_list_model_get_item (sources, i);
      g_autoptr (GVariant) source_key = job_plugin_get_unique_key (source);
      const char *directory = job_source_get_directory (JOB_SOURCE (source));

      if (!check_unique_key (source, source_key, error))
        {
          g_variant_builder_clear (&source_keys);
          return NULL;
        }
      g_variant_builder_add (&source_keys, "(ssv)",
                             job_plugin_get_kind (source),
                             directory != NULL ? directory : "", source_key);
    }
  /* Each build dependency by its runtime digest, which covers everything
   * of it that is staged: linear in the edges, where listing every staged
   * artifact is quadratic on deep graphs. */
  g_variant_builder_init (&dep_keys, G_VARIANT_TYPE ("a(ss)"));
  for (guint i = 0; i < record->build_deps->len; i++)
    {
      Record *dep = record->build_deps->pdata[i];
      g_variant_builder_add (&dep_keys, "(ss)",
                             job_element_spec_get_name (dep->spec),
                             dep->runtime_digest);
    }
  /* The public data is committed with the artifact (and dependents read
   * their split rules and integration commands from it). */
  public_data = job_element_get_public (record->element);
  {
    g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

    job_node_checksum (public_data, checksum);
    public_text = g_strdup (g_checksum_get_string (checksum));
  }
  key = g_variant_ref_sink (g_variant_new (
      "(uss@v^asa(ssv)a(ss)^ass)", 4U, job_element_spec_get_kind (spec), "",
      g_variant_new_variant (unique), environment, &source_keys, &dep_keys,
      record->integration, public_text));
  {
    g_autoptr (GVariant) normal = g_variant_get_normal_form (key);
    g_autoptr (GBytes) bytes = g_variant_get_data_as_bytes (normal);

    return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  }
}

/* The key of an element with everything it needs at run time. */
static char *
compute_runtime_digest (Record *record)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GPtrArray) digests = g_ptr_array_new ();

  g_checksum_update (checksum, (const guchar *) record->key, -1);
  for (guint i = 0; i < record->runtime_deps->len; i++)
    g_ptr_array_add (
        digests, ((Record *) record->runtime_deps->pdata[i])->runtime_digest);
  g_ptr_array_sort (digests, compare_string_pointers);
  for (guint i = 0; i < digests->len; i++)
    {
      g_checksum_update (checksum, (const guchar *) "/", 1);
      g_checksum_update (checksum, digests->pdata[i], -1);
    }
  return g_strdup (g_checksum_get_string (checksum));
}

/* What running each element needs (itself and, recursively, its runtime
 * dependencies) and what building it stages (the runtime closure of each
 * of its build dependencies), in build order. Only building needs them:
 * a build with nothing to do never computes them. */
static void
ensure_scopes (JobScheduler *self)
{
  if (self->have_scopes)
    return;
  for (guint i = 0; i < self->records->len; i++)
    {
      Record *record = self->records->pdata[i];

      g_array_set_size (record->runtime, 0);
      g_array_set_size (record->build_scope, 0);
      g_array_append_val (record->runtime, i);
      for (guint j = 0; j < record->runtime_deps->len; j++)
        merge_into (record->runtime,
                    ((Record *) record->runtime_deps->pdata[j])->runtime);
      for (guint j = 0; j < record->build_deps->len; j++)
        merge_into (record->build_scope,
                    ((Record *) record->build_deps->pdata[j])->runtime);
    }
  self->have_scopes = TRUE;
}

/**
 * job_scheduler_prepare:
 * @self: a #JobScheduler
 * @targets: (array zero-terminated=1): the elements to build
 * @error: return location for a #GError
 *
 * Makes, configures and preflights a plugin instance for every element the
 * targets need and computes their cache keys. Errors name the provenance of
 * the configuration at fault.
 *
 * Returns: %TRUE on success
 */
gboolean
job_scheduler_prepare (JobScheduler *self,
                       const char *const *targets,
                       GError **error)
{
  g_autoptr (GListModel) plan = NULL;
  guint n;

  g_return_val_if_fail (JOB_IS_SCHEDULER (self), FALSE);
  g_return_val_if_fail (targets != NULL, FALSE);

  plan = job_loader_list_dependencies (self->loader, targets, JOB_DEPS_PLAN,
                                       error);
  if (plan == NULL)
    return FALSE;

  /* A project's own plugins come first, then those of the junctions'
   * projects (a kind is one plugin in the whole build); workers may load
   * from there too. */
  {
    g_autoptr (GPtrArray) projects = g_ptr_array_new ();

    g_ptr_array_add (projects, job_loader_get_project (self->loader));
    for (guint i = 0; i < g_list_model_get_n_items (plan); i++)
      {
        g_autoptr (JobElementSpec) spec = g_list_model_get_item (plan, i);
        JobProject *project = job_loader_get_element_project (
            self->loader, job_element_spec_get_name (spec));

        if (project != NULL && !g_ptr_array_find (projects, project, NULL))
          g_ptr_array_add (projects, project);
      }
    for (guint p = projects->len; p-- > 0;)
      {
        g_auto (GStrv) local =
            job_project_dup_plugin_directories (projects->pdata[p]);

        for (guint i = g_strv_length (local); i-- > 0;)
          job_plugin_registry_add_directory (self->registry, local[i]);
      }
  }

  g_ptr_array_set_size (self->records, 0);
  g_hash_table_remove_all (self->by_name);
  self->have_scopes = FALSE;
  self->have_states = FALSE;
  n = g_list_model_get_n_items (plan);
  for (guint i = 0; i < n; i++)
    {
      Record *record = g_new0 (Record, 1);

      record->index = i;
      record->spec = g_list_model_get_item (plan, i);
      record->runtime = g_array_new (FALSE, FALSE, sizeof (guint));
      record->build_scope = g_array_new (FALSE, FALSE, sizeof (guint));
      record->dependents = g_ptr_array_new ();
      record->build_deps = g_ptr_array_new ();
      record->runtime_deps = g_ptr_array_new ();
      g_ptr_array_add (self->records, record);
      g_hash_table_insert (self->by_name,
                           (gpointer) job_element_spec_get_name (record->spec),
                           record);
    }

  for (guint i = 0; i < n; i++)
    {
      Record *record = self->records->pdata[i];
      const char *const *runtime =
          job_element_spec_get_runtime_dependencies (record->spec);
      const char *const *build =
          job_element_spec_get_build_dependencies (record->spec);

      if (!make_element (self, record, error))
        return FALSE;

      for (guint j = 0; runtime != NULL && runtime[j] != NULL; j++)
        {
          Record *dep = lookup_dependency (self, record, runtime[j], error);
          if (dep == NULL)
            return FALSE;
          g_ptr_array_add (record->runtime_deps, dep);
        }
      for (guint j = 0; build != NULL && build[j] != NULL; j++)
        {
          Record *dep = lookup_dependency (self, record, build[j], error);
          if (dep == NULL)
            return FALSE;
          g_ptr_array_add (record->build_deps, dep);
        }
      record->key = compute_key (self, record, error);
      if (record->key == NULL)
        return FALSE;
      record->runtime_digest = compute_runtime_digest (record);
      record->state = job_artifact_cache_contains (self->cache, record->key)
                          ? RECORD_CACHED
                          : RECORD_WAITING;
    }
  return TRUE;
}

/**
 * job_scheduler_get_element:
 * @self: a #JobScheduler
 * @name: an element's name
 *
 * Gets the configured plugin instance of an element.
 *
 * Returns: (transfer none) (nullable): the element, or %NULL if it is not
 *   part of the prepared build
 */
JobElement *
job_scheduler_get_element (JobScheduler *self, const char *name)
{
  Record *record = get_record (self, name);

  return record != NULL ? record->element : NULL;
}

/**
 * job_scheduler_get_cache_key:
 * @self: a #JobScheduler
 * @name: an element's name
 *
 * Gets an element's cache key.
 *
 * Returns: (nullable): the key (64 hexadecimal digits)
 */
const char *
job_scheduler_get_cache_key (JobScheduler *self, const char *name)
{
  Record *record = get_record (self, name);

  return record != NULL ? record->key : NULL;
}

/**
 * job_scheduler_get_state:
 * @self: a #JobScheduler
 * @name: an element's name
 *
 * Gets where an element stands: cached, buildable now, or waiting for
 * dependencies.
 *
 * Returns: the state
 */
JobElementState
job_scheduler_get_state (JobScheduler *self, const char *name)
{
  Record *record = get_record (self, name);

  if (record == NULL)
    return JOB_ELEMENT_STATE_WAITING;
  if (!self->have_states)
    {
      /* An element can run if it and, recursively, its runtime
       * dependencies are cached; one pass in build order, linear. */
      for (guint i = 0; i < self->records->len; i++)
        {
          Record *r = self->records->pdata[i];

          r->cached = job_artifact_cache_contains (self->cache, r->key);
          r->runtime_cached = r->cached;
          for (guint j = 0; r->runtime_cached && j < r->runtime_deps->len; j++)
            r->runtime_cached =
                ((Record *) r->runtime_deps->pdata[j])->runtime_cached;
        }
      self->have_states = TRUE;
    }
  if (record->cached)
    return JOB_ELEMENT_STATE_CACHED;
  /* Buildable if everything it stages is cached: the runtime closure of
   * each build dependency. */
  for (guint i = 0; i < record->build_deps->len; i++)
    if (!((Record *) record->build_deps->pdata[i])->runtime_cached)
      return JOB_ELEMENT_STATE_WAITING;
  return JOB_ELEMENT_STATE_BUILDABLE;
}

/**
 * job_scheduler_get_log_path:
 * @self: a #JobScheduler
 * @name: an element's name
 *
 * Gets where the build log of an element's current cache key is written.
 *
 * Returns: (transfer full) (nullable) (type filename): the path
 */
char *
job_scheduler_get_log_path (JobScheduler *self, const char *name)
{
  Record *record = get_record (self, name);

  if (record == NULL)
    return NULL;
  return job_artifact_cache_get_log_path (self->cache, name, record->key, NULL);
}

/**
 * job_scheduler_dup_elements:
 * @self: a prepared #JobScheduler
 *
 * Lists the prepared elements in build order.
 *
 * Returns: (transfer full) (array zero-terminated=1): element names
 */
char **
job_scheduler_dup_elements (JobScheduler *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (JOB_IS_SCHEDULER (self), NULL);

  for (guint i = 0; i < self->records->len; i++)
    g_strv_builder_add (
        builder,
        job_element_spec_get_name (((Record *) self->records->pdata[i])->spec));
  return g_strv_builder_end (builder);
}

/**
 * job_scheduler_dup_failed:
 * @self: a #JobScheduler
 *
 * Lists the elements whose build failed in the last build.
 *
 * Returns: (transfer full) (array zero-terminated=1): element names
 */
char **
job_scheduler_dup_failed (JobScheduler *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (JOB_IS_SCHEDULER (self), NULL);

  for (guint i = 0; i < self->records->len; i++)
    {
      Record *record = self->records->pdata[i];
      if (record->state == RECORD_FAILED)
        g_strv_builder_add (builder, job_element_spec_get_name (record->spec));
    }
  return g_strv_builder_end (builder);
}

/* The entry of @record in the staging plans of its dependents: made once,
 * since the same entry appears in the plan of everything above it. */
static GVariant *
get_plan_entry (Record *record)
{
  if (record->plan_entry == NULL)
    record->plan_entry = g_variant_ref_sink (
        g_variant_new ("(ss^as)", job_element_spec_get_name (record->spec),
                       record->key, record->integration));
  return record->plan_entry;
}

/* A staging plan, see job_build_task_new(): the records at the plan
 * indexes @scope, in order, and each of @direct (Record*) with its runtime
 * closure. Building it is linear in the size of the scope, with no
 * allocation per entry. */
static GVariant *
make_plan (JobScheduler *self, GArray *scope, GPtrArray *direct)
{
  guint n_scope = scope->len;
  g_autofree GVariant **entries = g_new (GVariant *, MAX (n_scope, 1));
  g_autofree GVariant **directs = g_new (GVariant *, MAX (direct->len, 1));
  g_autoptr (GHashTable) positions = g_hash_table_new (NULL, NULL);
  GVariant *children[2];

  for (guint i = 0; i < n_scope; i++)
    {
      guint index = g_array_index (scope, guint, i);

      entries[i] = get_plan_entry (self->records->pdata[index]);
      g_hash_table_insert (positions, GUINT_TO_POINTER (index),
                           GUINT_TO_POINTER (i));
    }
  for (guint i = 0; i < direct->len; i++)
    {
      Record *dep = direct->pdata[i];
      g_autofree guint32 *closure = g_new (guint32, MAX (dep->runtime->len, 1));

      for (guint j = 0; j < dep->runtime->len; j++)
        closure[j] = GPOINTER_TO_UINT (g_hash_table_lookup (
            positions,
            GUINT_TO_POINTER (g_array_index (dep->runtime, guint, j))));
      directs[i] = g_variant_new (
          "(s@au)", job_element_spec_get_name (dep->spec),
          g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, closure,
                                     dep->runtime->len, sizeof (guint32)));
    }
  children[0] =
      g_variant_new_array (G_VARIANT_TYPE ("(ssas)"), entries, n_scope);
  children[1] =
      g_variant_new_array (G_VARIANT_TYPE ("(sau)"), directs, direct->len);
  return g_variant_new_tuple (children, 2);
}

/* The staging plan of @record's build. */
static GVariant *
make_staging_plan (JobScheduler *self, Record *record)
{
  ensure_scopes (self);
  return make_plan (self, record->build_scope, record->build_deps);
}

static JobBuildTask *
make_task (JobScheduler *self, Record *record)
{
  g_autofree char *log_path = NULL;

  log_path = job_artifact_cache_build_log_path (
      self->cache, job_element_spec_get_name (record->spec), record->key);
  return job_build_task_new (
      record->element, record->key, make_staging_plan (self, record),
      job_artifact_cache_get_root (self->cache), log_path);
}

/**
 * job_scheduler_make_task:
 * @self: a prepared #JobScheduler
 * @name: an element's name
 *
 * Makes the job that would build an element: what a worker receives.
 * `job check` pickles it with [func@Job.pickle_check] to report everything
 * of a plugin that cannot travel to a worker.
 *
 * Returns: (transfer full) (nullable): the task, or %NULL if @name is not
 *   part of the prepared build
 */
JobTask *
job_scheduler_make_task (JobScheduler *self, const char *name)
{
  Record *record = get_record (self, name);

  return record != NULL ? JOB_TASK (make_task (self, record)) : NULL;
}

/**
 * job_scheduler_make_staging_plan:
 * @self: a prepared #JobScheduler
 * @name: an element's name
 * @scope: %JOB_DEPS_BUILD for what building @name stages (its build
 *   dependencies and what they need at run time), %JOB_DEPS_RUN for
 *   @name itself and what it needs at run time, or %JOB_DEPS_NONE for
 *   @name alone
 *
 * Makes the staging plan of the artifacts in @scope, for
 * [ctor@Job.BuildContext.new]: a build stages its plan for
 * %JOB_DEPS_BUILD; `job shell` stages either; `job checkout` the last
 * two. The plan names each
 * artifact by its cache key, with its integration commands; the artifacts
 * must be in the cache to be staged.
 *
 * Returns: (transfer full) (nullable): the plan, of the type
 *   `(a(ssas)a(sau))` described at [ctor@Job.BuildTask.new], or %NULL if
 *   @name is not part of the prepared build
 */
GVariant *
job_scheduler_make_staging_plan (JobScheduler *self,
                                 const char *name,
                                 JobDeps scope)
{
  Record *record;
  g_autoptr (GPtrArray) direct = NULL;

  g_return_val_if_fail (JOB_IS_SCHEDULER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (scope == JOB_DEPS_BUILD || scope == JOB_DEPS_RUN
                            || scope == JOB_DEPS_NONE,
                        NULL);

  record = get_record (self, name);
  if (record == NULL)
    return NULL;
  if (scope == JOB_DEPS_BUILD)
    return g_variant_ref_sink (make_staging_plan (self, record));
  ensure_scopes (self);
  direct = g_ptr_array_new ();
  if (scope == JOB_DEPS_NONE)
    {
      g_autoptr (GArray) alone =
          g_array_sized_new (FALSE, FALSE, sizeof (guint), 1);

      /* No direct dependency: its closure is not in the plan. */
      g_array_append_val (alone, record->index);
      return g_variant_ref_sink (make_plan (self, alone, direct));
    }
  g_ptr_array_add (direct, record);
  return g_variant_ref_sink (make_plan (self, record->runtime, direct));
}

static void pump (JobScheduler *self);

static void
mark_skipped (JobScheduler *self, Record *record)
{
  /* Everything that waits on a failed element can never be built. */
  g_autoptr (GPtrArray) stack = g_ptr_array_new ();

  g_ptr_array_add (stack, record);
  while (stack->len > 0)
    {
      Record *r = g_ptr_array_steal_index (stack, stack->len - 1);
      for (guint i = 0; i < r->dependents->len; i++)
        {
          Record *d = r->dependents->pdata[i];
          if (d->state == RECORD_WAITING || d->state == RECORD_FETCHING)
            {
              d->state = RECORD_SKIPPED;
              g_ptr_array_add (stack, d);
            }
        }
    }
}

/* One submitted job. */
typedef struct
{
  JobScheduler *self;
  Record *record;
  gboolean fetch;
} Submitted;

static void
job_failed (JobScheduler *self, Record *record, const GError *error)
{
  record->state = RECORD_FAILED;
  mark_skipped (self, record);
  if (self->first_error == NULL)
    {
      self->first_error = g_error_copy (error);
      g_prefix_error (&self->first_error,
                      "%s: ", job_element_spec_get_name (record->spec));
    }
  if (self->on_error != JOB_ON_ERROR_CONTINUE)
    self->stopping = TRUE;
  if (self->on_error == JOB_ON_ERROR_TERMINATE)
    g_cancellable_cancel (self->terminate);
}

static void
unblock (JobScheduler *self, Record *record)
{
  if (--record->n_waiting == 0 && record->state == RECORD_WAITING)
    {
      record->state = RECORD_READY;
      g_queue_push_tail (&self->ready, record);
    }
}

static void
build_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Submitted *submitted = user_data;
  g_autoptr (JobScheduler) self = submitted->self;
  Record *record = submitted->record;
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) job_result =
      job_backend_submit_finish (JOB_BACKEND (source), result, &error);
  const char *name = job_element_spec_get_name (record->spec);

  /* Whatever finished changed the cache: states are computed again. */
  self->have_states = FALSE;
  if (submitted->fetch)
    {
      self->fetching--;
      if (job_result != NULL)
        {
          g_signal_emit (self, signals[SIGNAL_FETCH_FINISHED], 0, name, NULL);
          if (self->fetch_only)
            record->state = RECORD_DONE;
          /* Unless a dependency failed meanwhile. */
          else if (record->state == RECORD_FETCHING)
            {
              record->state = RECORD_WAITING;
              unblock (self, record);
            }
        }
      else
        {
          g_signal_emit (self, signals[SIGNAL_FETCH_FINISHED], 0, name, error);
          job_failed (self, record, error);
        }
    }
  else
    {
      self->running--;
      if (job_result != NULL)
        {
          record->state = RECORD_DONE;
          for (guint i = 0; i < record->dependents->len; i++)
            {
              Record *d = record->dependents->pdata[i];
              if (d->state == RECORD_WAITING || d->state == RECORD_FETCHING)
                unblock (self, d);
            }
          g_signal_emit (self, signals[SIGNAL_JOB_FINISHED], 0, name, NULL);
        }
      else
        {
          g_signal_emit (self, signals[SIGNAL_JOB_FINISHED], 0, name, error);
          job_failed (self, record, error);
        }
    }
  g_free (submitted);
  pump (self);
}

static void
submit (JobScheduler *self, Record *record, JobTask *task, gboolean fetch)
{
  Submitted *submitted = g_new (Submitted, 1);

  submitted->self = g_object_ref (self);
  submitted->record = record;
  submitted->fetch = fetch;
  job_backend_submit_async (fetch && self->fetch_backend != NULL
                                ? self->fetch_backend
                                : self->backend,
                            task, self->terminate, build_done, submitted);
}

static void
pump (JobScheduler *self)
{
  while (!self->stopping && self->fetching < self->fetchers
         && !g_queue_is_empty (&self->to_fetch))
    {
      Record *record = g_queue_pop_head (&self->to_fetch);
      g_autoptr (JobFetchTask) task =
          job_fetch_task_new (job_element_get_sources (record->element));

      self->fetching++;
      g_signal_emit (self, signals[SIGNAL_FETCH_STARTED], 0,
                     job_element_spec_get_name (record->spec));
      submit (self, record, JOB_TASK (task), TRUE);
    }

  while (!self->stopping && self->running < self->builders
         && !g_queue_is_empty (&self->ready))
    {
      Record *record = g_queue_pop_head (&self->ready);
      g_autoptr (JobBuildTask) task = make_task (self, record);

      record->state = RECORD_RUNNING;
      self->running++;
      g_signal_emit (self, signals[SIGNAL_JOB_STARTED], 0,
                     job_element_spec_get_name (record->spec));
      submit (self, record, JOB_TASK (task), FALSE);
    }

  if (self->running == 0 && self->fetching == 0
      && (self->stopping
          || (g_queue_is_empty (&self->ready)
              && g_queue_is_empty (&self->to_fetch))))
    {
      g_autoptr (GTask) finished = g_steal_pointer (&self->build);

      g_clear_object (&self->terminate);
      /* The caller's cancellable may outlive this scheduler. */
      g_cancellable_disconnect (g_task_get_cancellable (finished),
                                self->cancelled_id);
      self->cancelled_id = 0;
      if (self->first_error != NULL)
        g_task_return_error (finished, g_steal_pointer (&self->first_error));
      else if (g_cancellable_is_cancelled (g_task_get_cancellable (finished)))
        g_task_return_new_error (finished, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 "The build was cancelled");
      else
        g_task_return_boolean (finished, TRUE);
    }
}

static void
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  JobScheduler *self = user_data;

  self->stopping = TRUE;
  if (self->terminate != NULL)
    g_cancellable_cancel (self->terminate);
}

/* Starts a build or a fetch as @task, with nothing queued yet. */
static void
begin_run (JobScheduler *self,
           GTask *task,
           GCancellable *cancellable,
           gboolean fetch_only)
{
  self->build = g_object_ref (task);
  self->have_states = FALSE;
  self->terminate = g_cancellable_new ();
  self->stopping = FALSE;
  self->running = 0;
  self->fetching = 0;
  g_clear_error (&self->first_error);
  g_queue_clear (&self->ready);
  g_queue_clear (&self->to_fetch);
  if (cancellable != NULL)
    self->cancelled_id = g_cancellable_connect (
        cancellable, G_CALLBACK (on_cancelled), self, NULL);
  self->fetch_only = fetch_only;
}

/**
 * job_scheduler_build_async:
 * @self: a prepared #JobScheduler
 * @cancellable: (nullable): cancels the build: running jobs are cancelled
 *   (their workers killed) and nothing new starts
 * @callback: called when the build is over
 * @user_data: data for @callback
 *
 * Builds every prepared element that is not cached, in dependency order.
 */
void
job_scheduler_build_async (JobScheduler *self,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (JOB_IS_SCHEDULER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, job_scheduler_build_async);
  if (self->build != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "A build is already running");
      return;
    }

  begin_run (self, task, cancellable, FALSE);
  for (guint i = 0; i < self->records->len; i++)
    {
      Record *record = self->records->pdata[i];

      g_ptr_array_set_size (record->dependents, 0);
      if (job_artifact_cache_contains (self->cache, record->key))
        record->state = RECORD_CACHED;
      else
        record->state = RECORD_WAITING;
    }
  for (guint i = 0; i < self->records->len; i++)
    {
      Record *record = self->records->pdata[i];

      if (record->state != RECORD_WAITING)
        continue;
      /* Something to build: what it stages is needed now. */
      ensure_scopes (self);
      record->n_waiting = 0;
      /* Sources not in their cache are fetched first, by a job of their own. */
      {
        GListModel *sources = job_element_get_sources (record->element);

        for (guint j = 0; j < g_list_model_get_n_items (sources); j++)
          {
            g_autoptr (JobSource) source = g_list_model_get_item (sources, j);
            if (!job_source_is_cached (source))
              {
                record->n_waiting++;
                record->state = RECORD_FETCHING;
                g_queue_push_tail (&self->to_fetch, record);
                break;
              }
          }
      }
      for (guint j = 0; j < record->build_scope->len; j++)
        {
          Record *dep =
              self->records
                  ->pdata[g_array_index (record->build_scope, guint, j)];
          if (dep->state != RECORD_CACHED)
            {
              record->n_waiting++;
              g_ptr_array_add (dep->dependents, record);
            }
        }
      if (record->n_waiting == 0)
        {
          record->state = RECORD_READY;
          g_queue_push_tail (&self->ready, record);
        }
    }
  pump (self);
}

/**
 * job_scheduler_build_finish:
 * @self: a #JobScheduler
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes a build: the first failure, if any.
 *
 * Returns: %TRUE if everything was built
 */
gboolean
job_scheduler_build_finish (JobScheduler *self,
                            GAsyncResult *result,
                            GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
build_sync_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/**
 * job_scheduler_build:
 * @self: a prepared #JobScheduler
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Builds like [method@Job.Scheduler.build_async], iterating the
 * thread-default main context until the build is over.
 *
 * Returns: %TRUE if everything was built
 */
gboolean
job_scheduler_build (JobScheduler *self,
                     GCancellable *cancellable,
                     GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GMainContext *context = g_main_context_ref_thread_default ();
  gboolean ok;

  job_scheduler_build_async (self, cancellable, build_sync_done, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  ok = job_scheduler_build_finish (self, result, error);
  g_main_context_unref (context);
  return ok;
}

/**
 * job_scheduler_fetch_async:
 * @self: a prepared #JobScheduler
 * @elements: (array zero-terminated=1) (nullable): the elements whose
 *   sources to fetch, or %NULL for every prepared element
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when every fetch has finished
 * @user_data: data for @callback
 *
 * Fetches the sources of @elements that are not in their cache yet, through
 * the fetch queue ([property@Job.Scheduler:fetchers] at a time, on
 * [property@Job.Scheduler:fetch-backend]), as a build would before building
 * them; nothing is built. The signals [signal@Job.Scheduler::fetch-started]
 * and [signal@Job.Scheduler::fetch-finished] report each element's fetch,
 * and [property@Job.Scheduler:on-error] applies.
 */
void
job_scheduler_fetch_async (JobScheduler *self,
                           const char *const *elements,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GPtrArray) selected = g_ptr_array_new ();

  g_return_if_fail (JOB_IS_SCHEDULER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, job_scheduler_fetch_async);
  if (self->build != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "A build is already running");
      return;
    }
  for (guint i = 0; elements == NULL && i < self->records->len; i++)
    g_ptr_array_add (selected, self->records->pdata[i]);
  for (guint i = 0; elements != NULL && elements[i] != NULL; i++)
    {
      Record *record = get_record (self, elements[i]);

      if (record == NULL)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                   "%s is not part of the prepared elements",
                                   elements[i]);
          return;
        }
      g_ptr_array_add (selected, record);
    }

  begin_run (self, task, cancellable, TRUE);
  for (guint i = 0; i < self->records->len; i++)
    {
      Record *record = self->records->pdata[i];

      g_ptr_array_set_size (record->dependents, 0);
      record->state = RECORD_DONE;
    }
  for (guint i = 0; i < selected->len; i++)
    {
      Record *record = selected->pdata[i];
      GListModel *sources = job_element_get_sources (record->element);

      for (guint j = 0; j < g_list_model_get_n_items (sources); j++)
        {
          g_autoptr (JobSource) source = g_list_model_get_item (sources, j);

          if (!job_source_is_cached (source) && record->state == RECORD_DONE)
            {
              record->state = RECORD_FETCHING;
              g_queue_push_tail (&self->to_fetch, record);
            }
        }
    }
  pump (self);
}

/**
 * job_scheduler_fetch_finish:
 * @self: a #JobScheduler
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes a fetch: the first failure, if any.
 *
 * Returns: %TRUE if every source was fetched
 */
gboolean
job_scheduler_fetch_finish (JobScheduler *self,
                            GAsyncResult *result,
                            GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * job_scheduler_fetch:
 * @self: a prepared #JobScheduler
 * @elements: (array zero-terminated=1) (nullable): the elements whose
 *   sources to fetch, or %NULL for every prepared element
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Fetches like [method@Job.Scheduler.fetch_async], iterating the
 * thread-default main context until every fetch has finished.
 *
 * Returns: %TRUE if every source was fetched
 */
gboolean
job_scheduler_fetch (JobScheduler *self,
                     const char *const *elements,
                     GCancellable *cancellable,
                     GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GMainContext *context = g_main_context_ref_thread_default ();
  gboolean ok;

  job_scheduler_fetch_async (self, elements, cancellable, build_sync_done,
                             &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  ok = job_scheduler_fetch_finish (self, result, error);
  g_main_context_unref (context);
  return ok;
}
