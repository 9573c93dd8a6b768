/* job-build-task.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "job-artifact-cache-private.h"
#include "job-artifact-cache.h"
#include "job-artifact-commit.h"
#include "job-build-context.h"
#include "job-build-task.h"
#include "job-lazy-file-stream-private.h"

/**
 * JobBuildTask:
 *
 * The job that builds one element, in a worker: what is pickled is exactly
 * the element (with its sources), its cache key, the keys of the artifacts
 * to stage, and where the artifact cache and the log are.
 *
 * The task makes a fresh build directory, stages, assembles, and commits
 * the result to the artifact cache under the element's key with one atomic
 * rename, so an interrupted build never leaves a partial artifact. The
 * build directory is removed afterwards, whatever happened; if the worker
 * dies first, the next process that opens the cache removes it.
 */

struct _JobBuildTask
{
  JobTask parent_instance;

  JobElement *element;
  char *cache_key;
  GVariant *staging_plan;
  char *cache_directory;
  char *log_path;
};

G_DEFINE_FINAL_TYPE (JobBuildTask, job_build_task, JOB_TYPE_TASK)

enum
{
  PROP_0,
  PROP_ELEMENT,
  PROP_CACHE_KEY,
  PROP_STAGING_PLAN,
  PROP_CACHE_DIRECTORY,
  PROP_LOG_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
job_build_task_dispose (GObject *object)
{
  g_clear_object (&JOB_BUILD_TASK (object)->element);
  G_OBJECT_CLASS (job_build_task_parent_class)->dispose (object);
}

static void
job_build_task_finalize (GObject *object)
{
  JobBuildTask *self = JOB_BUILD_TASK (object);

  g_free (self->cache_key);
  g_clear_pointer (&self->staging_plan, g_variant_unref);
  g_free (self->cache_directory);
  g_free (self->log_path);
  G_OBJECT_CLASS (job_build_task_parent_class)->finalize (object);
}

static void
job_build_task_get_property (GObject *object,
                             guint prop_id,
                             GValue *value,
                             GParamSpec *pspec)
{
  JobBuildTask *self = JOB_BUILD_TASK (object);

  switch (prop_id)
    {
    case PROP_ELEMENT:
      g_value_set_object (value, self->element);
      break;
    case PROP_CACHE_KEY:
      g_value_set_string (value, self->cache_key);
      break;
    case PROP_STAGING_PLAN:
      g_value_set_variant (value, self->staging_plan);
      break;
    case PROP_CACHE_DIRECTORY:
      g_value_set_string (value, self->cache_directory);
      break;
    case PROP_LOG_PATH:
      g_value_set_string (value, self->log_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_build_task_set_property (GObject *object,
                             guint prop_id,
                             const GValue *value,
                             GParamSpec *pspec)
{
  JobBuildTask *self = JOB_BUILD_TASK (object);

  switch (prop_id)
    {
    case PROP_ELEMENT:
      g_set_object (&self->element, g_value_get_object (value));
      break;
    case PROP_CACHE_KEY:
      g_free (self->cache_key);
      self->cache_key = g_value_dup_string (value);
      break;
    case PROP_STAGING_PLAN:
      g_clear_pointer (&self->staging_plan, g_variant_unref);
      self->staging_plan = g_value_dup_variant (value);
      break;
    case PROP_CACHE_DIRECTORY:
      g_free (self->cache_directory);
      self->cache_directory = g_value_dup_string (value);
      break;
    case PROP_LOG_PATH:
      g_free (self->log_path);
      self->log_path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GObject *
job_build_task_run (JobTask *task, GCancellable *cancellable, GError **error)
{
  JobBuildTask *self = JOB_BUILD_TASK (task);
  const char *name;
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autoptr (JobBuildContext) context = NULL;
  g_autoptr (JobArtifactCommit) commit = NULL;
  g_autoptr (GOutputStream) log = NULL;
  g_autofree char *directory = NULL, *collect = NULL;
  int directory_lock = -1;
  g_autoptr (GError) local_error = NULL;
  gboolean ok = FALSE;

  if (self->element == NULL || self->cache_key == NULL
      || self->cache_directory == NULL)
    {
      g_set_error (
          error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
          "A build task needs an element, a cache key and a cache directory");
      return NULL;
    }
  name = job_plugin_get_name (JOB_PLUGIN (self->element));

  cache = job_artifact_cache_open_shared (self->cache_directory, cancellable,
                                          error);
  if (cache == NULL)
    return NULL;

  /* Made when the build first writes to it: most imports never do. */
  if (self->log_path != NULL)
    log = job_lazy_file_stream_new (self->log_path);

  /* Locked while the build runs: if its worker dies, the next cache opened
   * removes it. */
  {
    g_autofree char *prefix = g_strndup (self->cache_key, 12);

    directory = job_artifact_cache_make_work_directory (cache, prefix,
                                                        &directory_lock, error);
  }
  if (directory == NULL)
    return NULL;

  context = job_build_context_new (self->element, cache, self->staging_plan,
                                   directory, log, &local_error);
  if (context != NULL
      && job_element_stage (self->element, context, cancellable, &local_error)
      && (collect = job_element_assemble (self->element, context, cancellable,
                                          &local_error))
             != NULL
      && (commit = job_artifact_cache_begin_commit (cache, self->cache_key,
                                                    &local_error))
             != NULL)
    {
      JobNode *public_data = job_element_get_public (self->element);

      job_artifact_commit_set_element_name (commit, name);
      if (log != NULL
          && job_lazy_file_stream_get_created (JOB_LAZY_FILE_STREAM (log)))
        job_artifact_commit_set_log_path (commit, self->log_path);
      if (public_data != NULL)
        {
          g_autofree char *yaml = job_node_to_yaml (public_data, TRUE);
          job_artifact_commit_set_public_data (commit,
                                               g_variant_new_string (yaml));
        }
      /* The build directory is ours and goes away: move, do not copy. */
      ok = job_artifact_commit_take_directory (commit, collect, cancellable,
                                               &local_error)
           && job_artifact_commit_commit (commit, &local_error);
      if (!ok)
        job_artifact_commit_abort (commit);
    }

  /* A log left by an earlier attempt must not pass for this build's. */
  if (ok && log != NULL
      && !job_lazy_file_stream_get_created (JOB_LAZY_FILE_STREAM (log)))
    g_unlink (self->log_path);
  if (context != NULL)
    g_clear_object (&context);
  if (!job_file_tree_remove (directory, ok ? &local_error : NULL) && ok)
    ok = FALSE;
  close (directory_lock);
  if (log != NULL)
    {
      if (!ok && local_error != NULL)
        {
          g_autofree char *line =
              g_strdup_printf ("\nFAILED: %s\n", local_error->message);
          g_output_stream_write_all (log, line, strlen (line), NULL, NULL,
                                     NULL);
        }
      g_output_stream_close (log, NULL, NULL);
    }
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return NULL;
}

static void
job_build_task_class_init (JobBuildTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = job_build_task_dispose;
  object_class->finalize = job_build_task_finalize;
  object_class->get_property = job_build_task_get_property;
  object_class->set_property = job_build_task_set_property;
  JOB_TASK_CLASS (klass)->run = job_build_task_run;

  /**
   * JobBuildTask:element:
   *
   * The element to build, configured, with its sources.
   */
  properties[PROP_ELEMENT] =
      g_param_spec_object ("element", NULL, NULL, JOB_TYPE_ELEMENT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * JobBuildTask:cache-key:
   *
   * The element's cache key: the artifact is committed under it.
   */
  properties[PROP_CACHE_KEY] =
      g_param_spec_string ("cache-key", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * JobBuildTask:staging-plan:
   *
   * What the build may stage, of the type `(a(ssas)a(sau))`: see
   * [ctor@Job.BuildTask.new].
   */
  properties[PROP_STAGING_PLAN] = g_param_spec_variant (
      "staging-plan", NULL, NULL, G_VARIANT_TYPE ("(a(ssas)a(sau))"), NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * JobBuildTask:cache-directory:
   *
   * The root of the artifact cache.
   */
  properties[PROP_CACHE_DIRECTORY] =
      g_param_spec_string ("cache-directory", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * JobBuildTask:log-path:
   *
   * Where the build log is written.
   */
  properties[PROP_LOG_PATH] = g_param_spec_string (
      "log-path", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_build_task_init (JobBuildTask *self)
{
}

/**
 * job_build_task_new:
 * @element: a configured element
 * @cache_key: the element's cache key
 * @staging_plan: (nullable): what the build may stage, or %NULL for nothing
 * @cache_directory: (type filename): the root of the artifact cache
 * @log_path: (type filename) (nullable): where to write the build log
 *
 * Makes the job that builds @element.
 *
 * The staging plan is a #GVariant of the type `(a(ssas)a(sau))`. Its first
 * member is the build scope, the artifacts staged when everything is staged
 * at once, in staging order: each element's name, cache key and expanded
 * integration commands. Its second member lists each direct build
 * dependency by name with the positions, in the scope, of the artifacts
 * its runtime closure stages (itself included), in staging order.
 * [class@Job.Scheduler] makes it; see [class@Job.BuildContext] for its use.
 *
 * Returns: (transfer full): a new #JobBuildTask
 */
JobBuildTask *
job_build_task_new (JobElement *element,
                    const char *cache_key,
                    GVariant *staging_plan,
                    const char *cache_directory,
                    const char *log_path)
{
  g_return_val_if_fail (JOB_IS_ELEMENT (element), NULL);
  g_return_val_if_fail (cache_key != NULL, NULL);
  g_return_val_if_fail (cache_directory != NULL, NULL);

  return g_object_new (JOB_TYPE_BUILD_TASK, "element", element, "cache-key",
                       cache_key, "staging-plan", staging_plan,
                       "cache-directory", cache_directory, "log-path", log_path,
                       NULL);
}
