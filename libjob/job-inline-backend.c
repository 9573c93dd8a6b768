/* job-inline-backend.c: a backend that runs tasks on threads of this process
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "job-backend-private.h"
#include "job-build-context-private.h"
#include "job-inline-backend.h"
#include "job-pickle.h"

/**
 * JobInlineBackend:
 *
 * A [iface@Job.Backend] that runs tasks on a pool of threads of this
 * process. It pickles each task before it runs and its output after,
 * exactly as [class@Job.WorkerPool] does, so a task never shares an object
 * with its caller and behaves as it would in a worker; only the process
 * isolation is missing (a crash takes the program down, a task's `chdir()`
 * or `setenv()` affects the whole process). Use it for debugging and for
 * cheap tasks.
 *
 * Tasks see the environment through [property@Job.InlineBackend:env-allowlist]
 * where libjob controls it ([class@Job.CommandTask]'s commands).
 * Cancelling a task fails it at once with %JOB_WORKER_ERROR_CANCELLED; its
 * thread is not killed but gets the cancellable, and its output is dropped.
 */

typedef struct
{
  gatomicrefcount ref_count;
  JobInlineBackend *backend;
  GTask *task;
  JobSyncWait *sync;
  JobTask *job_task;
  JobPickleFrames *frames;
  GCancellable *cancellable;
  gulong cancelled_id;
  int done; /* atomic: set by whoever completes the task */
} Request;

struct _JobInlineBackend
{
  GObject parent_instance;

  GMainContext *creation_context;
  GThreadPool *threads;
  guint max_threads;
  char **env_allowlist;
  char **environ;
  int shut_down; /* atomic */
};

enum
{
  PROP_0,
  PROP_MAX_THREADS,
  PROP_ENV_ALLOWLIST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void job_inline_backend_backend_init (JobBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (
    JobInlineBackend,
    job_inline_backend,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_BACKEND, job_inline_backend_backend_init))

static void
request_unref (Request *request)
{
  if (!g_atomic_ref_count_dec (&request->ref_count))
    return;
  g_clear_object (&request->task);
  g_clear_object (&request->job_task);
  g_clear_pointer (&request->frames, job_pickle_frames_unref);
  g_clear_object (&request->cancellable);
  g_free (request);
}

static void
request_complete (Request *request,
                  JobResult *result,
                  GError *error,
                  gboolean from_cancel_handler)
{
  JobInlineBackend *self = request->backend;
  GTask *task;

  if (!g_atomic_int_compare_and_exchange (&request->done, 0, 1))
    {
      g_clear_object (&result);
      g_clear_error (&error);
      return;
    }
  if (request->cancelled_id != 0 && !from_cancel_handler)
    g_cancellable_disconnect (request->cancellable, request->cancelled_id);
  task = g_steal_pointer (&request->task);
  job_backend_emit_completed (JOB_BACKEND (self), self->creation_context,
                              request->job_task, result, error);
  if (request->sync != NULL)
    job_sync_wait_complete (request->sync, result, error);
  else
    job_backend_return (task, result, error);
}

static guint64
process_peak_rss (void)
{
  struct rusage usage;

  /* Tasks share this process: its lifetime high-water mark is all there is. */
  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return 0;
  return (guint64) usage.ru_maxrss * 1024;
}

static double
clock_seconds (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
run_request (gpointer data, gpointer user_data)
{
  Request *request = data;
  JobInlineBackend *self = request->backend;
  g_autoptr (GObject) copy = NULL;
  g_autoptr (GObject) output = NULL;
  g_autoptr (GObject) output_copy = NULL;
  g_autoptr (JobPickleFrames) output_frames = NULL;
  g_autoptr (GError) error = NULL;
  double wall0, cpu0, wall, cpu;

  if (g_atomic_int_get (&request->done))
    goto out;
  if (g_atomic_int_get (&self->shut_down))
    {
      request_complete (
          request, NULL,
          g_error_new (
              JOB_WORKER_ERROR, JOB_WORKER_ERROR_SHUTDOWN,
              "Task %s was still queued when the backend was shut down",
              G_OBJECT_TYPE_NAME (request->job_task)),
          FALSE);
      goto out;
    }

  copy = job_pickle_load_frames (request->frames, &error);
  g_clear_pointer (&request->frames, job_pickle_frames_unref);
  if (copy != NULL && !JOB_IS_TASK (copy))
    g_set_error (&error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK,
                 "The pickle holds a %s, not a JobTask",
                 G_OBJECT_TYPE_NAME (copy));
  if (error != NULL)
    {
      request_complete (
          request, NULL,
          g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK,
                       "The task cannot be rebuilt: %s", error->message),
          FALSE);
      goto out;
    }

  job_task_set_thread_environ ((const char *const *) self->environ);
  wall0 = clock_seconds (CLOCK_MONOTONIC);
  cpu0 = clock_seconds (CLOCK_THREAD_CPUTIME_ID);
  output = job_task_run (JOB_TASK (copy), request->cancellable, &error);
  cpu = clock_seconds (CLOCK_THREAD_CPUTIME_ID) - cpu0;
  wall = clock_seconds (CLOCK_MONOTONIC) - wall0;
  job_task_set_thread_environ (NULL);
  g_clear_object (&copy);

  if (error != NULL)
    {
      request_complete (request, NULL, g_steal_pointer (&error), FALSE);
      goto out;
    }
  if (output != NULL)
    {
      output_frames = job_pickle_dump_frames (output, 0, &error);
      if (output_frames != NULL)
        output_copy = job_pickle_load_frames (output_frames, &error);
      if (error != NULL)
        {
          request_complete (
              request, NULL,
              g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK,
                           "The output of the task cannot be pickled: %s",
                           error->message),
              FALSE);
          goto out;
        }
    }
  request_complete (request,
                    job_result_new (output_copy, getpid (), wall, cpu,
                                    process_peak_rss (), "inline"),
                    NULL, FALSE);

out:
  request_unref (request);
}

static void
request_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  Request *request = user_data;

  request_complete (request, NULL,
                    g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_CANCELLED,
                                 "Task %s was cancelled",
                                 G_OBJECT_TYPE_NAME (request->job_task)),
                    TRUE);
}

static void
submit_request (JobInlineBackend *self,
                Request *request,
                GCancellable *cancellable)
{
  JobTask *task = request->job_task;
  g_autoptr (GError) error = NULL;

  job_backend_emit_submitted (JOB_BACKEND (self), self->creation_context, task);

  if (g_atomic_int_get (&self->shut_down))
    {
      request_complete (
          request, NULL,
          g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_SHUTDOWN,
                       "Task %s was submitted to a backend that was shut down",
                       G_OBJECT_TYPE_NAME (task)),
          FALSE);
      request_unref (request);
      return;
    }

  request->frames = job_pickle_dump_frames (G_OBJECT (task), 0, &error);
  if (request->frames == NULL)
    {
      request_complete (request, NULL,
                        g_error_new (JOB_WORKER_ERROR,
                                     JOB_WORKER_ERROR_INVALID_TASK,
                                     "Task %s cannot be pickled: %s",
                                     G_OBJECT_TYPE_NAME (task), error->message),
                        FALSE);
      request_unref (request);
      return;
    }

  if (cancellable != NULL)
    {
      request->cancellable = g_object_ref (cancellable);
      g_atomic_ref_count_inc (&request->ref_count);
      request->cancelled_id =
          g_cancellable_connect (cancellable, G_CALLBACK (request_cancelled_cb),
                                 request, (GDestroyNotify) request_unref);
    }
  g_thread_pool_push (self->threads, request, NULL);
}

static Request *
request_new (JobInlineBackend *self, JobTask *task)
{
  Request *request = g_new0 (Request, 1);

  g_atomic_ref_count_init (&request->ref_count);
  request->backend = self;
  request->job_task = g_object_ref (task);
  return request;
}

static void
job_inline_backend_submit_async (JobBackend *backend,
                                 JobTask *task,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  JobInlineBackend *self = JOB_INLINE_BACKEND (backend);
  Request *request = request_new (self, task);

  request->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (request->task, job_inline_backend_submit_async);
  g_task_set_check_cancellable (request->task, FALSE);
  submit_request (self, request, cancellable);
}

static JobResult *
job_inline_backend_submit (JobBackend *backend,
                           JobTask *task,
                           GCancellable *cancellable,
                           GError **error)
{
  JobInlineBackend *self = JOB_INLINE_BACKEND (backend);
  Request *request = request_new (self, task);
  JobSyncWait *wait = job_sync_wait_new ();
  JobResult *result;

  g_object_ref (self);
  request->sync = wait;
  submit_request (self, request, cancellable);
  result = job_sync_wait_finish (wait, error);
  g_object_unref (self);
  return result;
}

static JobResult *
job_inline_backend_submit_finish (JobBackend *backend,
                                  GAsyncResult *result,
                                  GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
job_inline_backend_shutdown (JobBackend *backend, gboolean wait)
{
  JobInlineBackend *self = JOB_INLINE_BACKEND (backend);

  if (!g_atomic_int_compare_and_exchange (&self->shut_down, 0, 1))
    return;
  /* Queued requests see shut_down and fail; running ones finish. */
  if (wait)
    {
      g_thread_pool_free (g_steal_pointer (&self->threads), FALSE, TRUE);
    }
  job_backend_emit_shutdown (backend, self->creation_context);
}

static void
job_inline_backend_backend_init (JobBackendInterface *iface)
{
  iface->submit_async = job_inline_backend_submit_async;
  iface->submit_finish = job_inline_backend_submit_finish;
  iface->shutdown = job_inline_backend_shutdown;
  iface->submit_sync = job_inline_backend_submit;
}

static void
job_inline_backend_constructed (GObject *object)
{
  JobInlineBackend *self = JOB_INLINE_BACKEND (object);
  g_auto (GStrv) parent = g_get_environ ();

  G_OBJECT_CLASS (job_inline_backend_parent_class)->constructed (object);

  if (self->max_threads == 0)
    self->max_threads = MAX (1, g_get_num_processors ());
  if (self->env_allowlist == NULL)
    self->env_allowlist = g_strdupv ((char **) job_default_env_allowlist ());
  self->environ = job_environ_filter (
      (const char *const *) parent, (const char *const *) self->env_allowlist);
  self->threads =
      g_thread_pool_new (run_request, self, self->max_threads, FALSE, NULL);
}

static void
job_inline_backend_dispose (GObject *object)
{
  JobInlineBackend *self = JOB_INLINE_BACKEND (object);

  /* Requests hold the backend through their GTask, so none is queued; a
   * thread may still be on its way out of run_request(): do not wait. */
  if (self->threads != NULL)
    g_thread_pool_free (g_steal_pointer (&self->threads), FALSE, FALSE);
  G_OBJECT_CLASS (job_inline_backend_parent_class)->dispose (object);
}

static void
job_inline_backend_finalize (GObject *object)
{
  JobInlineBackend *self = JOB_INLINE_BACKEND (object);

  g_strfreev (self->env_allowlist);
  g_strfreev (self->environ);
  g_main_context_unref (self->creation_context);
  /* Builds ran in this process: the root they kept goes with the backend
   * (one that a build still uses stays, and goes with the process). */
  job_build_context_drop_kept_root ();
  G_OBJECT_CLASS (job_inline_backend_parent_class)->finalize (object);
}

static void
job_inline_backend_get_property (GObject *object,
                                 guint prop_id,
                                 GValue *value,
                                 GParamSpec *pspec)
{
  JobInlineBackend *self = JOB_INLINE_BACKEND (object);

  switch (prop_id)
    {
    case PROP_MAX_THREADS:
      g_value_set_uint (value, self->max_threads);
      break;
    case PROP_ENV_ALLOWLIST:
      g_value_set_boxed (value, self->env_allowlist);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_inline_backend_set_property (GObject *object,
                                 guint prop_id,
                                 const GValue *value,
                                 GParamSpec *pspec)
{
  JobInlineBackend *self = JOB_INLINE_BACKEND (object);

  switch (prop_id)
    {
    case PROP_MAX_THREADS:
      self->max_threads = g_value_get_uint (value);
      break;
    case PROP_ENV_ALLOWLIST:
      self->env_allowlist = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_inline_backend_class_init (JobInlineBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags =
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = job_inline_backend_constructed;
  object_class->dispose = job_inline_backend_dispose;
  object_class->finalize = job_inline_backend_finalize;
  object_class->get_property = job_inline_backend_get_property;
  object_class->set_property = job_inline_backend_set_property;

  /**
   * JobInlineBackend:max-threads: (getter get_max_threads)
   *
   * The most tasks to run at once; 0 (the default) for the number of
   * processors.
   */
  properties[PROP_MAX_THREADS] =
      g_param_spec_uint ("max-threads", NULL, NULL, 0, 4096, 0, flags);

  /**
   * JobInlineBackend:env-allowlist: (getter get_env_allowlist)
   *
   * The environment variables of this process that tasks' commands see,
   * as in [property@Job.WorkerPool:env-allowlist]; %NULL (the default) for
   * the same default list.
   */
  properties[PROP_ENV_ALLOWLIST] =
      g_param_spec_boxed ("env-allowlist", NULL, NULL, G_TYPE_STRV, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_inline_backend_init (JobInlineBackend *self)
{
  self->creation_context = g_main_context_ref_thread_default ();
}

/**
 * job_inline_backend_new:
 *
 * Creates an inline backend with the default settings.
 *
 * Returns: (transfer full): a new #JobInlineBackend
 */
JobInlineBackend *
job_inline_backend_new (void)
{
  return g_object_new (JOB_TYPE_INLINE_BACKEND, NULL);
}

/**
 * job_inline_backend_get_max_threads:
 * @self: a #JobInlineBackend
 *
 * Gets [property@Job.InlineBackend:max-threads].
 *
 * Returns: the most tasks run at once
 */
guint
job_inline_backend_get_max_threads (JobInlineBackend *self)
{
  g_return_val_if_fail (JOB_IS_INLINE_BACKEND (self), 0);
  return self->max_threads;
}

/**
 * job_inline_backend_get_env_allowlist:
 * @self: a #JobInlineBackend
 *
 * Gets [property@Job.InlineBackend:env-allowlist].
 *
 * Returns: (transfer none) (array zero-terminated=1): the allowlist
 */
const char *const *
job_inline_backend_get_env_allowlist (JobInlineBackend *self)
{
  g_return_val_if_fail (JOB_IS_INLINE_BACKEND (self), NULL);
  return (const char *const *) self->env_allowlist;
}
