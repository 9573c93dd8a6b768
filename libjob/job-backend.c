/* job-backend.c: something that runs tasks and returns their results
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "job-backend-private.h"
#include "job-core-types-private.h"
#include "job-command-output.h"
#include "job-command-task.h"

/**
 * JobBackend:
 *
 * Runs [class@Job.Task]s and returns their [class@Job.Result]s. A backend
 * pickles each task, runs the rebuilt copy (in a worker process for
 * [class@Job.WorkerPool], on a thread for [class@Job.InlineBackend]) and
 * rebuilds the pickled output: a task never shares an object with its
 * caller, whatever the backend.
 *
 * Its signals are emitted in the thread-default main context of the thread
 * that created the backend.
 */

/* clang-format would put spaces into the quark's name. */
/* clang-format off */
G_DEFINE_QUARK (job-worker-error-quark, job_worker_error)
/* clang-format on */

G_DEFINE_INTERFACE (JobBackend, job_backend, G_TYPE_OBJECT)

enum
{
  SUBMITTED,
  COMPLETED,
  SHUTDOWN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
job_backend_default_init (JobBackendInterface *iface)
{
  job_backend_ensure_core_types ();

  /**
   * JobBackend::submitted:
   * @self: the backend
   * @task: the task that was submitted
   *
   * Emitted when a task is submitted.
   */
  signals[SUBMITTED] = g_signal_new ("submitted", G_TYPE_FROM_INTERFACE (iface),
                                     G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                     G_TYPE_NONE, 1, JOB_TYPE_TASK);

  /**
   * JobBackend::completed:
   * @self: the backend
   * @task: the task, as it was submitted
   * @result: (nullable): its result, or %NULL if it failed
   * @error: (nullable): why it failed, or %NULL
   *
   * Emitted when a task completes, successfully or not.
   */
  signals[COMPLETED] = g_signal_new (
      "completed", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 3, JOB_TYPE_TASK, JOB_TYPE_RESULT, G_TYPE_ERROR);

  /**
   * JobBackend::shutdown:
   * @self: the backend
   *
   * Emitted when the backend is shut down.
   */
  signals[SHUTDOWN] =
      g_signal_new ("shutdown", G_TYPE_FROM_INTERFACE (iface),
                    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

/**
 * job_backend_submit_async: (virtual submit_async)
 * @self: a #JobBackend
 * @task: the task to run
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the task completed
 * @user_data: data for @callback
 *
 * Pickles @task and runs it. The task is pickled before this returns, so
 * changing @task afterwards does not change what runs. Cancelling
 * @cancellable fails the task with %JOB_WORKER_ERROR_CANCELLED promptly,
 * killing the worker that runs it if there is one.
 *
 * @callback is called in the thread-default main context of the calling
 * thread; call [method@Job.Backend.submit_finish] there.
 */
void
job_backend_submit_async (JobBackend *self,
                          JobTask *task,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_return_if_fail (JOB_IS_BACKEND (self));
  g_return_if_fail (JOB_IS_TASK (task));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  JOB_BACKEND_GET_IFACE (self)->submit_async (self, task, cancellable, callback,
                                              user_data);
}

/**
 * job_backend_submit_finish: (virtual submit_finish)
 * @self: a #JobBackend
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Job.Backend.submit_async].
 *
 * Returns: (transfer full): the result, or %NULL with @error set: a
 *   [error@Job.WorkerError] if the task could not run to its end, else the
 *   task's own error
 */
JobResult *
job_backend_submit_finish (JobBackend *self,
                           GAsyncResult *result,
                           GError **error)
{
  g_return_val_if_fail (JOB_IS_BACKEND (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return JOB_BACKEND_GET_IFACE (self)->submit_finish (self, result, error);
}

typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} SubmitSync;

static void
submit_sync_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  SubmitSync *sync = user_data;

  sync->result = g_object_ref (result);
  g_main_context_wakeup (sync->context);
}

/**
 * job_backend_submit:
 * @self: a #JobBackend
 * @task: the task to run
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Runs @task and waits for its result, blocking the calling thread. It is
 * meant for simple programs and bindings; a program with a main loop uses
 * [method@Job.Backend.submit_async].
 *
 * On a machine with more than one CPU, the calling thread waits awake for
 * the first 50 µs (about the cost of putting it to sleep and waking it),
 * so that short tasks come back sooner.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
JobResult *
job_backend_submit (JobBackend *self,
                    JobTask *task,
                    GCancellable *cancellable,
                    GError **error)
{
  SubmitSync sync = { NULL, NULL };
  JobBackendInterface *iface;
  JobResult *ret;

  g_return_val_if_fail (JOB_IS_BACKEND (self), NULL);
  g_return_val_if_fail (JOB_IS_TASK (task), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = JOB_BACKEND_GET_IFACE (self);
  if (iface->submit_sync != NULL)
    return iface->submit_sync (self, task, cancellable, error);

  sync.context = g_main_context_new ();
  g_main_context_push_thread_default (sync.context);
  job_backend_submit_async (self, task, cancellable, submit_sync_cb, &sync);
  while (sync.result == NULL)
    g_main_context_iteration (sync.context, TRUE);
  ret = job_backend_submit_finish (self, sync.result, error);
  g_main_context_pop_thread_default (sync.context);
  g_object_unref (sync.result);
  g_main_context_unref (sync.context);
  return ret;
}

/**
 * job_backend_shutdown: (virtual shutdown)
 * @self: a #JobBackend
 * @wait: whether to wait until every worker has exited
 *
 * Stops the backend: queued tasks fail with %JOB_WORKER_ERROR_SHUTDOWN,
 * running ones are let finish, then the workers exit. With @wait, this
 * returns once all workers have exited and been reaped. Submitting after
 * shutdown fails with %JOB_WORKER_ERROR_SHUTDOWN.
 */
void
job_backend_shutdown (JobBackend *self, gboolean wait)
{
  g_return_if_fail (JOB_IS_BACKEND (self));

  JOB_BACKEND_GET_IFACE (self)->shutdown (self, wait);
}

/* Runs @func in @context: directly if this thread is running it, else from
 * an idle source. Never g_main_context_invoke(): from a thread without a
 * thread-default context it would acquire the global default context and
 * run @func (a binding's callback, say) in the wrong thread. */
static void
attach_idle (GMainContext *context,
             GSourceFunc func,
             gpointer data,
             GDestroyNotify destroy)
{
  GSource *source;

  if (g_main_context_is_owner (context))
    {
      func (data);
      if (destroy != NULL)
        destroy (data);
      return;
    }
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, destroy);
  g_source_set_static_name (source, "[libjob] backend completion");
  g_source_attach (source, context);
  g_source_unref (source);
}

typedef struct
{
  JobBackend *backend;
  guint signal_id;
  JobTask *task;
  JobResult *result;
  GError *error;
} Emission;

static gboolean
emission_run (gpointer data)
{
  Emission *emission = data;

  if (emission->signal_id == signals[COMPLETED])
    g_signal_emit (emission->backend, signals[COMPLETED], 0, emission->task,
                   emission->result, emission->error);
  else if (emission->signal_id == signals[SUBMITTED])
    g_signal_emit (emission->backend, signals[SUBMITTED], 0, emission->task);
  else
    g_signal_emit (emission->backend, signals[SHUTDOWN], 0);
  return G_SOURCE_REMOVE;
}

static void
emission_free (gpointer data)
{
  Emission *emission = data;

  g_object_unref (emission->backend);
  g_clear_object (&emission->task);
  g_clear_object (&emission->result);
  g_clear_error (&emission->error);
  g_free (emission);
}

static void
emit (JobBackend *self,
      GMainContext *context,
      guint signal_id,
      JobTask *task,
      JobResult *result,
      const GError *error)
{
  Emission *emission;

  if (!g_signal_has_handler_pending (self, signal_id, 0, TRUE))
    return;

  emission = g_new0 (Emission, 1);
  emission->backend = g_object_ref (self);
  emission->signal_id = signal_id;
  emission->task = task != NULL ? g_object_ref (task) : NULL;
  emission->result = result != NULL ? g_object_ref (result) : NULL;
  emission->error = error != NULL ? g_error_copy (error) : NULL;
  attach_idle (context, emission_run, emission, emission_free);
}

void
job_backend_emit_submitted (JobBackend *self,
                            GMainContext *context,
                            JobTask *task)
{
  emit (self, context, signals[SUBMITTED], task, NULL, NULL);
}

void
job_backend_emit_completed (JobBackend *self,
                            GMainContext *context,
                            JobTask *task,
                            JobResult *result,
                            const GError *error)
{
  emit (self, context, signals[COMPLETED], task, result, error);
}

void
job_backend_emit_shutdown (JobBackend *self, GMainContext *context)
{
  emit (self, context, signals[SHUTDOWN], NULL, NULL, NULL);
}

static GPrivate thread_environ;

void
job_task_set_thread_environ (const char *const *envp)
{
  g_private_set (&thread_environ, (gpointer) envp);
}

const char *const *
job_task_get_thread_environ (void)
{
  return g_private_get (&thread_environ);
}

gboolean
job_environ_allowed (const char *name, const char *const *allowlist)
{
  for (guint i = 0; allowlist != NULL && allowlist[i] != NULL; i++)
    {
      const char *pattern = allowlist[i];
      gsize len = strlen (pattern);

      if (len > 0 && pattern[len - 1] == '*')
        {
          if (strncmp (name, pattern, len - 1) == 0)
            return TRUE;
        }
      else if (strcmp (name, pattern) == 0)
        return TRUE;
    }
  return FALSE;
}

char **
job_environ_filter (const char *const *envp, const char *const *allowlist)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; envp != NULL && envp[i] != NULL; i++)
    {
      const char *eq = strchr (envp[i], '=');
      g_autofree char *name = NULL;

      if (eq == NULL || eq == envp[i])
        continue;
      name = g_strndup (envp[i], eq - envp[i]);
      if (job_environ_allowed (name, allowlist))
        g_ptr_array_add (out, g_strdup (envp[i]));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

const char *const *
job_default_env_allowlist (void)
{
  static const char *const allowlist[] = {
    "PATH", "HOME", "LANG",    "LANGUAGE", "LC_*", "TMPDIR",
    "TZ",   "USER", "LOGNAME", "SHELL",    "TERM", NULL,
  };

  return allowlist;
}

void
job_backend_ensure_core_types (void)
{
  job_core_types_ensure ();
}

typedef struct
{
  GTask *task;
  JobResult *result;
  GError *error;
} Return;

/* Completions are queued per main context and returned in batches: under
 * load one wakeup of the caller's context returns many tasks. */
typedef struct
{
  GMainContext *context;
  GQueue pending; /* Return* */
} ReturnBatch;

G_LOCK_DEFINE_STATIC (batches);
static GHashTable *batches; /* GMainContext* -> ReturnBatch*, while pending */

static gboolean
return_batch_run (gpointer data)
{
  ReturnBatch *batch = data;

  for (;;)
    {
      GQueue items;
      Return *ret;

      G_LOCK (batches);
      items = batch->pending;
      g_queue_init (&batch->pending);
      if (items.length == 0)
        {
          g_hash_table_remove (batches, batch->context);
          G_UNLOCK (batches);
          g_main_context_unref (batch->context);
          g_free (batch);
          return G_SOURCE_REMOVE;
        }
      G_UNLOCK (batches);

      while ((ret = g_queue_pop_head (&items)) != NULL)
        {
          if (ret->error != NULL)
            g_task_return_error (ret->task, g_steal_pointer (&ret->error));
          else
            g_task_return_pointer (ret->task, g_steal_pointer (&ret->result),
                                   g_object_unref);
          g_clear_object (&ret->task);
          g_free (ret);
        }
    }
}

void
job_backend_return (GTask *task, JobResult *result, GError *error)
{
  GMainContext *context = g_task_get_context (task);
  Return *ret = g_new0 (Return, 1);
  ReturnBatch *batch;
  gboolean schedule = FALSE;

  ret->task = task;
  ret->result = result;
  ret->error = error;

  G_LOCK (batches);
  if (batches == NULL)
    batches = g_hash_table_new (NULL, NULL);
  batch = g_hash_table_lookup (batches, context);
  if (batch == NULL)
    {
      batch = g_new0 (ReturnBatch, 1);
      batch->context = g_main_context_ref (context);
      g_hash_table_insert (batches, context, batch);
      schedule = TRUE;
    }
  g_queue_push_tail (&batch->pending, ret);
  G_UNLOCK (batches);

  if (schedule)
    attach_idle (context, return_batch_run, batch, NULL);
}

JobSyncWait *
job_sync_wait_new (void)
{
  JobSyncWait *wait = g_new0 (JobSyncWait, 1);

  g_atomic_ref_count_init (&wait->ref_count);
  g_atomic_ref_count_inc (&wait->ref_count);
  g_mutex_init (&wait->mutex);
  g_cond_init (&wait->cond);
  return wait;
}

static void
job_sync_wait_unref (JobSyncWait *wait)
{
  if (!g_atomic_ref_count_dec (&wait->ref_count))
    return;
  g_mutex_clear (&wait->mutex);
  g_cond_clear (&wait->cond);
  g_free (wait);
}

void
job_sync_wait_complete (JobSyncWait *wait, JobResult *result, GError *error)
{
  gboolean waiting;

  g_mutex_lock (&wait->mutex);
  wait->result = result;
  wait->error = error;
  g_atomic_int_set (&wait->done, TRUE);
  waiting = wait->waiting;
  g_mutex_unlock (&wait->mutex);
  /* A caller that completes its own request (a worker pool's direct
   * reply) sleeps on nothing: a signal would be a wasted syscall. */
  if (waiting)
    g_cond_signal (&wait->cond);
  job_sync_wait_unref (wait);
}

#define SYNC_WAIT_SPIN_US 50

JobResult *
job_sync_wait_finish (JobSyncWait *wait, GError **error)
{
  JobResult *result;
  gint64 start = g_get_monotonic_time ();
  static gsize n_processors;

  /* A task that comes back within 50 µs is waited for awake: putting this
   * thread to sleep and waking it again costs more than that here. Only
   * with another CPU to run the task. (g_get_num_processors() costs a
   * syscall.) */
  if (g_once_init_enter (&n_processors))
    g_once_init_leave (&n_processors, g_get_num_processors ());
  if (n_processors > 1)
    while (!g_atomic_int_get (&wait->done)
           && g_get_monotonic_time () - start < SYNC_WAIT_SPIN_US)
      ;

  g_mutex_lock (&wait->mutex);
  wait->waiting = TRUE;
  while (!wait->done)
    g_cond_wait (&wait->cond, &wait->mutex);
  g_mutex_unlock (&wait->mutex);
  result = wait->result;
  if (wait->error != NULL)
    g_propagate_error (error, wait->error);
  job_sync_wait_unref (wait);
  return result;
}

char *
job_default_worker_path (void)
{
  const char *env = g_getenv ("JOB_WORKER_PATH");
  Dl_info info;
  char resolved[PATH_MAX];

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  /* Running from the build tree: use the worker built beside us. (The
   * main program's name may be relative; resolve it.) */
  if (dladdr ((void *) job_default_worker_path, &info) != 0
      && info.dli_fname != NULL
      && realpath (*info.dli_fname != '\0' ? info.dli_fname : "/proc/self/exe",
                   resolved)
             != NULL
      && g_str_has_prefix (resolved, JOB_BUILDDIR "/"))
    return g_strdup (JOB_BUILDDIR "/libjob/worker/job-worker");
  return g_strdup (JOB_LIBEXECDIR "/job-worker");
}
