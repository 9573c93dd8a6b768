/* job-worker-pool.c: a backend that runs tasks in worker processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <glib-unix.h>

#include "job-backend-private.h"
#include "job-module-private.h"
#include "job-pickle.h"
#include "job-python-private.h"
#include "job-wire-private.h"
#include "job-worker-pool.h"

/**
 * JobWorkerPool:
 *
 * A [iface@Job.Backend] that runs each task in a worker process (the
 * `job-worker` program), reusing workers for many tasks.
 *
 * Workers are started when tasks need them, up to
 * [property@Job.WorkerPool:max-workers]; further tasks wait in a queue.
 * A worker idle for [property@Job.WorkerPool:idle-timeout] seconds exits.
 * A worker's environment holds only the variables
 * [property@Job.WorkerPool:env-allowlist] allows; it dies with this
 * process; a task that changes its directory or environment does not
 * affect the next one.
 *
 * A worker that dies while it runs a task fails only that task, with
 * %JOB_WORKER_ERROR_CRASHED and the end of what it printed; another worker
 * takes its place. A task that outlives
 * [property@Job.WorkerPool:task-timeout] is killed with its worker and
 * fails with %JOB_WORKER_ERROR_TIMED_OUT; tasks are never retried.
 *
 * Tasks and outputs travel as pickles over a private socket; large byte
 * buffers are passed as sealed memory files and mapped, not copied.
 *
 * When every worker is busy and no other may start, a task submitted
 * without a cancellable (and with no task timeout set) may be sent to a
 * busy worker ahead of time, to run when its current task is done: one
 * such task per worker, or several while the worker's tasks take well
 * under a millisecond, and never behind a task that has run for more than
 * a millisecond. This is what makes many short tasks fast. A task sent
 * ahead may still wait behind a long task that had only just started,
 * where another worker might have run it sooner: a task that must not
 * wait so, or that may be cancelled, goes with a cancellable, and always
 * waits for a free worker. If a worker dies, the tasks sent ahead to it,
 * which it never started, run on another.
 *
 * On a machine with more than one CPU, waking a sleeping process costs
 * more than a task's whole round trip otherwise does. So a worker whose
 * tasks have been coming close behind each other polls for the next one
 * for up to 50 µs before it sleeps, and so does a caller of
 * [method@Job.Backend.submit] whose replies have been coming that fast.
 * The time a worker spends polling is not part of any task's
 * [property@Job.Result:cpu-time].
 *
 * A task whose pickle names a Python plugin (an origin `python:PATH`, see
 * [method@Job.PluginRegistry.load_file]) runs in a worker that hosts
 * Python: `job-worker --python`, which starts Python once, when it starts.
 * The pool starts such workers only for such tasks, keeps them idle like
 * the others and gives them the same guarantees; they run other tasks
 * too. A pool that never sees a Python plugin never starts Python.
 */

#define STDERR_TAIL_KEEP 8192
#define STDERR_TAIL_SHOW 2048

typedef enum
{
  REQUEST_QUEUED,
  REQUEST_RUNNING,
  REQUEST_DONE,
} RequestState;

typedef struct _Worker Worker;

/* A worker's direct socket: replies to the tasks a blocking caller sent
 * itself come back on it and that caller reads them, so no thread stands
 * between the worker and the caller (see submit_direct_wait()). Shared by
 * the worker and the caller that borrowed it, which may outlive it. */
typedef struct
{
  gatomicrefcount ref_count;
  int fd;
  guint8 *buffer;
  gint64 last_wait_us; /* how long its last caller waited for the reply */
} DirectChannel;

static DirectChannel *
direct_channel_ref (DirectChannel *channel)
{
  g_atomic_ref_count_inc (&channel->ref_count);
  return channel;
}

static void
direct_channel_unref (DirectChannel *channel)
{
  if (!g_atomic_ref_count_dec (&channel->ref_count))
    return;
  close (channel->fd);
  g_free (channel->buffer);
  g_free (channel);
}

typedef struct
{
  gatomicrefcount ref_count;
  JobWorkerPool *pool; /* not owned: the GTask holds the pool */
  GTask *task;         /* submit_async */
  JobSyncWait *sync;   /* submit: the waiting caller's */
  JobTask *job_task;
  JobPickleFrames *frames;
  guint64 id;
  RequestState state;
  gboolean python; /* needs a worker that hosts Python */
  gboolean direct; /* the caller reads the reply: see submit_direct_wait() */
  Worker *worker;
  GSource *timeout_source;
  GCancellable *cancellable;
  gulong cancelled_id;
} Request;

struct _Worker
{
  JobWorkerPool *pool;
  GSubprocess *process;
  gint64 pid;
  int fd;
  int stderr_fd;
  DirectChannel *direct; /* NULL until the worker said it has it */
  DirectChannel *direct_unconfirmed;
  GSource *socket_source;
  GSource *stderr_source;
  GByteArray *stderr_tail;
  Request *request;
  GQueue pipelined; /* Request*, sent behind request, not started yet: see
                     * worker_pipeline() */
  gsize pipelined_bytes;
  guint64 last_wall_ns; /* how long its last task ran, as it said; unknown
                         * (G_MAXUINT64) before its first */
  gint64 request_since; /* when its current request started, about */
  gint64 idle_since;
  guint dirs_generation;
  gboolean closing; /* the socket is closed or to close: no more tasks */
  gboolean python;  /* hosts Python: runs every task, not only C ones */
  gboolean said_hello;
  char *death; /* set when the process is gone: how it died */
};

struct _JobWorkerPool
{
  GObject parent_instance;

  GMainContext *creation_context;

  GMutex mutex;
  GCond cond;
  guint max_workers;
  double idle_timeout;
  double task_timeout;
  char **env_allowlist;
  char *worker_path;
  GQueue queue;       /* Request*, owned */
  GPtrArray *workers; /* Worker*, alive or exiting */
  guint n_spawning;
  guint64 next_id;
  gboolean shut_down;
  gboolean stopping;

  /* The dispatcher thread: reads every worker's socket and stderr, runs
   * timeouts, spawns and reaps workers. */
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GSource *reaper_source;
  guint8 *buffer;
};

enum
{
  PROP_0,
  PROP_MAX_WORKERS,
  PROP_IDLE_TIMEOUT,
  PROP_TASK_TIMEOUT,
  PROP_ENV_ALLOWLIST,
  PROP_WORKER_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void job_worker_pool_backend_init (JobBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (
    JobWorkerPool,
    job_worker_pool,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_BACKEND, job_worker_pool_backend_init))

static void spawn_worker_in_dispatcher (JobWorkerPool *self);
static void worker_close (Worker *worker);
static void worker_requeue_next (Worker *worker);

static Request *
request_ref (Request *request)
{
  g_atomic_ref_count_inc (&request->ref_count);
  return request;
}

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

/* Called once per request, without the lock, by whoever moved it to DONE. */
static void
request_complete (Request *request,
                  JobResult *result,
                  GError *error,
                  gboolean from_cancel_handler)
{
  JobWorkerPool *pool = request->pool;
  GTask *task = g_steal_pointer (&request->task);

  if (request->timeout_source != NULL)
    {
      g_source_destroy (request->timeout_source);
      g_clear_pointer (&request->timeout_source, g_source_unref);
    }
  if (request->cancelled_id != 0 && !from_cancel_handler)
    g_cancellable_disconnect (request->cancellable, request->cancelled_id);
  request->cancelled_id = 0;

  job_backend_emit_completed (JOB_BACKEND (pool), pool->creation_context,
                              request->job_task, result, error);
  if (request->sync != NULL)
    job_sync_wait_complete (request->sync, result, error);
  else
    job_backend_return (task, result, error);
}

static char *
stderr_tail_text (Worker *worker)
{
  const char *data = (const char *) worker->stderr_tail->data;
  gsize len = worker->stderr_tail->len;
  gsize start = len > STDERR_TAIL_SHOW ? len - STDERR_TAIL_SHOW : 0;
  g_autofree char *text = NULL;

  /* Start at a line boundary when cutting. */
  if (start > 0)
    {
      const char *nl = memchr (data + start, '\n', len - start);

      if (nl != NULL && nl + 1 < data + len)
        start = nl + 1 - data;
    }
  while (len > start && (data[len - 1] == '\n' || data[len - 1] == '\r'))
    len--;
  if (len == start)
    return g_strdup ("it printed nothing");
  text = g_utf8_make_valid (data + start, len - start);
  return g_strdup_printf ("its last output:\n%s", text);
}

static const char *
signal_name (int sig)
{
  switch (sig)
    {
    case SIGHUP:
      return "SIGHUP";
    case SIGINT:
      return "SIGINT";
    case SIGQUIT:
      return "SIGQUIT";
    case SIGILL:
      return "SIGILL";
    case SIGTRAP:
      return "SIGTRAP";
    case SIGABRT:
      return "SIGABRT";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGKILL:
      return "SIGKILL";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGSEGV:
      return "SIGSEGV";
    case SIGUSR2:
      return "SIGUSR2";
    case SIGPIPE:
      return "SIGPIPE";
    case SIGALRM:
      return "SIGALRM";
    case SIGTERM:
      return "SIGTERM";
    case SIGXCPU:
      return "SIGXCPU";
    case SIGXFSZ:
      return "SIGXFSZ";
    case SIGSYS:
      return "SIGSYS";
    default:
      return NULL;
    }
}

static void
stderr_drain (Worker *worker)
{
  guint8 buf[4096];

  while (worker->stderr_fd >= 0)
    {
      ssize_t n = read (worker->stderr_fd, buf, sizeof buf);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            {
              if (worker->stderr_source != NULL)
                {
                  g_source_destroy (worker->stderr_source);
                  g_clear_pointer (&worker->stderr_source, g_source_unref);
                }
              close (worker->stderr_fd);
              worker->stderr_fd = -1;
            }
          return;
        }
      g_byte_array_append (worker->stderr_tail, buf, n);
      if (worker->stderr_tail->len > 2 * STDERR_TAIL_KEEP)
        g_byte_array_remove_range (worker->stderr_tail, 0,
                                   worker->stderr_tail->len - STDERR_TAIL_KEEP);
    }
}

static gboolean
stderr_ready_cb (int fd, GIOCondition condition, gpointer user_data)
{
  stderr_drain (user_data);
  return G_SOURCE_CONTINUE;
}

static void
worker_free (Worker *worker)
{
  if (worker->socket_source != NULL)
    {
      g_source_destroy (worker->socket_source);
      g_source_unref (worker->socket_source);
    }
  if (worker->stderr_source != NULL)
    {
      g_source_destroy (worker->stderr_source);
      g_source_unref (worker->stderr_source);
    }
  if (worker->fd >= 0)
    close (worker->fd);
  g_clear_pointer (&worker->direct, direct_channel_unref);
  g_clear_pointer (&worker->direct_unconfirmed, direct_channel_unref);
  if (worker->stderr_fd >= 0)
    close (worker->stderr_fd);
  g_clear_object (&worker->process);
  g_byte_array_unref (worker->stderr_tail);
  g_free (worker->death);
  g_free (worker);
}

/* What may wait in a worker behind its current task: about this much of
 * its recent tasks' run time, in at most this many requests holding at
 * most this many bytes, counted with what a message costs the kernel. */
#define PIPELINE_WAIT_NS G_GUINT64_CONSTANT (1000000)
#define PIPELINE_MAX_REQUESTS 64
#define PIPELINE_MAX_BYTES (64 * 1024)
#define PIPELINE_MESSAGE_OVERHEAD 1024

static gsize
request_pipeline_bytes (Request *request)
{
  return g_bytes_get_size (job_pickle_frames_get_header (request->frames))
         + PIPELINE_MESSAGE_OVERHEAD;
}

/* With the lock held. Sends @request to @worker: to run now (@worker is
 * idle), or @pipelined, to run after its current request. A failed send is
 * left for the worker's death to report, with what the worker printed. */
static void
worker_start_request (Worker *worker, Request *request, gboolean pipelined)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) dirs = NULL;
  guint generation;
  guint n_frames = job_pickle_frames_get_n_frames (request->frames);
  GBytes *parts_small[16];
  g_autofree GBytes **parts_heap = NULL;
  GBytes **parts;

  request->state = REQUEST_RUNNING;
  request->worker = worker;
  if (pipelined)
    {
      g_queue_push_tail (&worker->pipelined, request);
      worker->pipelined_bytes += request_pipeline_bytes (request);
    }
  else
    {
      worker->request = request;
      worker->request_since = g_get_monotonic_time ();
    }

  /* Plugins loaded here since the worker started: allow their dirs there. */
  if (job_module_get_generation () != worker->dirs_generation)
    {
      g_autoptr (GString) joined = g_string_new (NULL);
      g_autoptr (GBytes) part = NULL;

      dirs = job_module_dup_loaded_dirs (&generation);
      for (guint i = 0; dirs[i] != NULL; i++)
        g_string_append_len (joined, dirs[i], strlen (dirs[i]) + 1);
      part = g_string_free_to_bytes (g_steal_pointer (&joined));
      worker->dirs_generation = generation;
      if (!job_wire_send (worker->fd, JOB_WIRE_DIRS, 0, NULL, &part, 1, &error))
        {
          g_debug ("Worker %" G_GINT64_FORMAT ": %s", worker->pid,
                   error->message);
          return;
        }
    }

  parts = n_frames + 1 <= G_N_ELEMENTS (parts_small)
              ? parts_small
              : (parts_heap = g_new (GBytes *, n_frames + 1));
  parts[0] = job_pickle_frames_get_header (request->frames);
  for (guint i = 0; i < n_frames; i++)
    parts[i + 1] = job_pickle_frames_get_frame (request->frames, i);
  if (!job_wire_send (worker->fd,
                      request->direct ? JOB_WIRE_TASK_DIRECT : JOB_WIRE_TASK,
                      request->id, NULL, parts, n_frames + 1, &error))
    g_debug ("Worker %" G_GINT64_FORMAT ": %s", worker->pid, error->message);
  /* The task now lives in the worker: drop our copy, unless it may have
   * to go to another worker (see worker_requeue_next()). */
  if (!pipelined)
    g_clear_pointer (&request->frames, job_pickle_frames_unref);
}

static gboolean
request_timeout_cb (gpointer user_data)
{
  Request *request = user_data;
  JobWorkerPool *self = request->pool;
  Worker *worker;
  double timeout;

  g_mutex_lock (&self->mutex);
  if (request->state != REQUEST_RUNNING)
    {
      g_mutex_unlock (&self->mutex);
      return G_SOURCE_REMOVE;
    }
  request->state = REQUEST_DONE;
  worker = request->worker;
  worker->request = NULL;
  worker->closing = TRUE;
  worker_requeue_next (worker);
  g_subprocess_force_exit (worker->process);
  timeout = self->task_timeout;
  g_mutex_unlock (&self->mutex);

  request_complete (
      request, NULL,
      g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_TIMED_OUT,
                   "Task %s ran longer than the task timeout of %g s; "
                   "its worker (pid %" G_GINT64_FORMAT ") was killed",
                   G_OBJECT_TYPE_NAME (request->job_task), timeout,
                   worker->pid),
      FALSE);
  request_unref (request);
  return G_SOURCE_REMOVE;
}

/* With the lock held: the first queued request that @worker can run. A
 * worker that hosts Python runs any; another, those without Python. */
static Request *
queue_pop_for (JobWorkerPool *self, Worker *worker)
{
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    {
      Request *request = l->data;

      if (worker->python || !request->python)
        {
          g_queue_delete_link (&self->queue, l);
          return request;
        }
    }
  return NULL;
}

/* With the lock held: whether the next worker to start must host Python,
 * for the task at the head of the queue. */
static gboolean
queue_needs_python (JobWorkerPool *self)
{
  Request *head = g_queue_peek_head (&self->queue);

  return head != NULL && head->python;
}

/* Whether @frames names a Python plugin. Only a process that has loaded
 * one can have made such a pickle: C-only programs never parse origins. */
static gboolean
frames_need_python (JobPickleFrames *frames)
{
  g_auto (GStrv) origins = NULL;

  if (!job_python_is_loaded ())
    return FALSE;
  origins = job_pickle_frames_get_origins (frames, NULL);
  for (guint i = 0; origins != NULL && origins[i] != NULL; i++)
    if (g_str_has_prefix (origins[i], JOB_PYTHON_ORIGIN_PREFIX))
      return TRUE;
  return FALSE;
}

/* With the lock held: @request starts running now. */
static void
request_start_timeout (JobWorkerPool *self, Request *request)
{
  if (self->task_timeout <= 0)
    return;
  request->timeout_source = g_timeout_source_new (self->task_timeout * 1000);
  g_source_set_callback (request->timeout_source, request_timeout_cb,
                         request_ref (request), (GDestroyNotify) request_unref);
  g_source_attach (request->timeout_source, self->context);
}

/* Whether @request may wait in busy @worker behind what it has. Never
 * when it is cancellable (see worker_pipeline()); nor behind a direct
 * request, whose reply its caller reads while the dispatcher would read
 * this one's, maybe first; nor behind a task that has run for long
 * already: another worker is likely to be free sooner.
 * Else one request may; more only while the worker's tasks are short: then
 * the time a request waits behind others stays small, and the worker takes
 * one after another without sleeping while the dispatcher reads several
 * replies per wakeup. They must also fit its socket's buffer together, so
 * that sending never blocks the dispatcher, and carry no out-of-band
 * frame. */
static gboolean
worker_can_pipeline (Worker *worker, Request *request)
{
  guint depth;

  if (request->cancellable != NULL || (request->python && !worker->python)
      || worker->request->direct
      || (g_get_monotonic_time () - worker->request_since) * 1000
             > (gint64) PIPELINE_WAIT_NS)
    return FALSE;
  if (worker->pipelined.length == 0)
    return TRUE;
  depth = worker->last_wall_ns == 0
              ? PIPELINE_MAX_REQUESTS
              : (guint) MIN (PIPELINE_WAIT_NS / worker->last_wall_ns,
                             PIPELINE_MAX_REQUESTS);
  return worker->pipelined.length < depth
         && job_pickle_frames_get_n_frames (request->frames) == 0
         && worker->pipelined_bytes + request_pipeline_bytes (request)
                <= PIPELINE_MAX_BYTES;
}

/* With the lock held: sends queued requests to busy @worker, to run after
 * its current one, when nothing else could take them sooner (no idle
 * worker, no room for another), as worker_can_pipeline() allows. The worker
 * then finds the next one waiting when it is done, instead of sleeping
 * until the dispatcher sends it: under load that is a wakeup and a context
 * switch less per task.
 *
 * Only for requests that can be neither cancelled nor timed out: such a
 * request, not yet started, could not be stopped without killing the task
 * the worker runs before it. If that one kills the worker, the requests
 * are queued again (worker_requeue_next()): the worker runs tasks in order
 * and its replies come before its end of file, so it never started them. */
static void
worker_pipeline (Worker *worker)
{
  JobWorkerPool *self = worker->pool;

  if (worker->request == NULL || worker->closing || worker->death != NULL
      || self->task_timeout > 0
      || self->workers->len + self->n_spawning < self->max_workers)
    return;
  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *other = self->workers->pdata[i];

      if (other->request == NULL && !other->closing && other->death == NULL)
        return;
    }
  for (;;)
    {
      Request *head = g_queue_peek_head (&self->queue);

      if (head == NULL || !worker_can_pipeline (worker, head))
        return;
      worker_start_request (worker, g_queue_pop_head (&self->queue), TRUE);
    }
}

/* With the lock held: @worker is gone or going; the request it had not
 * started goes back to the head of the queue. */
static void
worker_requeue_next (Worker *worker)
{
  Request *next;

  /* From the last, so that they keep their order at the head. */
  worker->pipelined_bytes = 0;
  while ((next = g_queue_pop_tail (&worker->pipelined)) != NULL)
    {
      next->state = REQUEST_QUEUED;
      next->worker = NULL;
      g_queue_push_head (&worker->pool->queue, next);
    }
}

/* With the lock held: takes every queued request, marked done, for
 * fail_shut_down(). */
static GQueue
steal_queue_locked (JobWorkerPool *self)
{
  GQueue queued = self->queue;

  g_queue_init (&self->queue);
  for (GList *l = queued.head; l != NULL; l = l->next)
    ((Request *) l->data)->state = REQUEST_DONE;
  return queued;
}

/* Without the lock: fails the requests steal_queue_locked() took. */
static void
fail_shut_down (GQueue *queued)
{
  for (GList *l = queued->head; l != NULL; l = l->next)
    {
      Request *request = l->data;

      request_complete (
          request, NULL,
          g_error_new (
              JOB_WORKER_ERROR, JOB_WORKER_ERROR_SHUTDOWN,
              "Task %s was still queued when the worker pool was shut down",
              G_OBJECT_TYPE_NAME (request->job_task)),
          FALSE);
      request_unref (request);
    }
  g_list_free (queued->head);
}

/* Without the lock: a request queued again after the pool was shut down
 * (see worker_requeue_next()) fails as the queued ones did. */
static void
fail_queued_after_shutdown (JobWorkerPool *self)
{
  GQueue queued = G_QUEUE_INIT;

  g_mutex_lock (&self->mutex);
  if (self->shut_down)
    queued = steal_queue_locked (self);
  g_mutex_unlock (&self->mutex);
  fail_shut_down (&queued);
}

/* With the lock held: the first queued request to @worker if it is idle,
 * else idle; then maybe one more behind it. */
static void
worker_take_next (Worker *worker)
{
  JobWorkerPool *self = worker->pool;

  if (worker->closing || worker->death != NULL)
    return;
  if (worker->request == NULL)
    {
      Request *request;

      if (!worker->python && queue_needs_python (self)
          && self->workers->len + self->n_spawning >= self->max_workers)
        {
          /* The oldest task needs Python and no worker may be added: make
           * room rather than overtake it; the spawn that replaces this
           * worker follows its exit and hosts Python. */
          worker_close (worker);
          return;
        }
      request = queue_pop_for (self, worker);
      if (request == NULL)
        {
          worker->idle_since = g_get_monotonic_time ();
          if (self->shut_down)
            worker_close (worker);
          return;
        }
      request_start_timeout (self, request);
      worker_start_request (worker, request, FALSE);
    }
  worker_pipeline (worker);
}

static gboolean reaper_cb (gpointer user_data);

/* In the dispatcher, with the lock held: makes sure the reaper runs by the
 * time the longest idle worker is due. A reaper already scheduled is due
 * no later than that (workers only go idle after it was scheduled, and a
 * run schedules the next), so it is left alone: attaching a source wakes
 * the dispatcher's context up, which per task would cost a wakeup. */
static void
schedule_reaper (JobWorkerPool *self)
{
  gint64 earliest = G_MAXINT64;

  if (self->reaper_source != NULL)
    return;
  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *worker = self->workers->pdata[i];

      if (worker->request == NULL && !worker->closing && worker->death == NULL)
        earliest = MIN (earliest, worker->idle_since);
    }
  if (earliest == G_MAXINT64)
    return;
  {
    gint64 due = earliest + (gint64) (self->idle_timeout * G_USEC_PER_SEC);
    gint64 delay = MAX (0, due - g_get_monotonic_time ());

    self->reaper_source = g_timeout_source_new (delay / 1000 + 1);
    g_source_set_callback (self->reaper_source, reaper_cb, self, NULL);
    g_source_attach (self->reaper_source, self->context);
  }
}

static gboolean
reaper_cb (gpointer user_data)
{
  JobWorkerPool *self = user_data;
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->reaper_source, g_source_unref);
  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *worker = self->workers->pdata[i];

      if (worker->request == NULL && !worker->closing && worker->death == NULL
          && now - worker->idle_since
                 >= (gint64) (self->idle_timeout * G_USEC_PER_SEC))
        worker_close (worker);
    }
  schedule_reaper (self);
  g_mutex_unlock (&self->mutex);
  return G_SOURCE_REMOVE;
}

/* In the dispatcher: a new idle timeout may make the reaper due sooner. */
static gboolean
reschedule_reaper_cb (gpointer user_data)
{
  JobWorkerPool *self = user_data;

  g_mutex_lock (&self->mutex);
  if (self->reaper_source != NULL)
    {
      g_source_destroy (self->reaper_source);
      g_clear_pointer (&self->reaper_source, g_source_unref);
    }
  schedule_reaper (self);
  g_mutex_unlock (&self->mutex);
  return G_SOURCE_REMOVE;
}

/* With the lock held: no more tasks; the worker exits on end of file. */
static void
worker_close (Worker *worker)
{
  worker->closing = TRUE;
  if (worker->fd >= 0)
    shutdown (worker->fd, SHUT_WR);
}

static void
worker_waited_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Worker *worker = user_data;
  JobWorkerPool *self = worker->pool;
  GSubprocess *process = G_SUBPROCESS (object);
  Request *request;
  g_autofree char *how = NULL;
  g_autofree char *tail = NULL;
  gboolean respawn;

  g_subprocess_wait_finish (process, result, NULL);
  stderr_drain (worker);

  if (g_subprocess_get_if_signaled (process))
    {
      int sig = g_subprocess_get_term_sig (process);
      const char *name = signal_name (sig);

      how = name != NULL ? g_strdup_printf ("was killed by signal %s (%s)",
                                            name, g_strsignal (sig))
                         : g_strdup_printf ("was killed by signal %d", sig);
    }
  else
    how = g_strdup_printf ("exited with status %d",
                           g_subprocess_get_exit_status (process));
  tail = stderr_tail_text (worker);

  g_mutex_lock (&self->mutex);
  request = g_steal_pointer (&worker->request);
  if (request != NULL && request->state == REQUEST_RUNNING)
    request->state = REQUEST_DONE;
  else
    request = NULL;
  worker_requeue_next (worker);
  g_ptr_array_remove_fast (self->workers, worker);
  respawn = !self->shut_down && self->queue.length > 0
            && self->workers->len + self->n_spawning < self->max_workers;
  if (respawn)
    self->n_spawning++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  if (request != NULL)
    {
      request_complete (
          request, NULL,
          g_error_new (
              JOB_WORKER_ERROR, JOB_WORKER_ERROR_CRASHED,
              "The worker running task %s (pid %" G_GINT64_FORMAT ") %s; %s",
              G_OBJECT_TYPE_NAME (request->job_task), worker->pid, how, tail),
          FALSE);
      request_unref (request);
    }
  worker_free (worker);
  fail_queued_after_shutdown (self);
  if (respawn)
    spawn_worker_in_dispatcher (self);
}

/* In the dispatcher: the socket hit end of file or an error. */
static void
worker_lost (Worker *worker)
{
  JobWorkerPool *self = worker->pool;

  g_mutex_lock (&self->mutex);
  worker->closing = TRUE;
  worker->death = g_strdup ("gone");
  if (worker->socket_source != NULL)
    {
      g_source_destroy (worker->socket_source);
      g_clear_pointer (&worker->socket_source, g_source_unref);
    }
  close (worker->fd);
  worker->fd = -1;
  g_mutex_unlock (&self->mutex);

  g_subprocess_wait_async (worker->process, NULL, worker_waited_cb, worker);
}

/* With the lock held, which it releases: @message is the reply to
 * @request, which @worker runs. Returns whether the worker already had its
 * next request, whose reply may then be waiting too. */
static gboolean
complete_reply (Worker *worker, Request *request, JobWireMessage *message)
{
  JobWorkerPool *self = worker->pool;
  JobResult *result = NULL;
  GError *error = NULL;
  gboolean more;

  request->state = REQUEST_DONE;
  worker->last_wall_ns = message->metrics.wall_ns;
  worker->request = g_queue_pop_head (&worker->pipelined);
  worker->request_since = g_get_monotonic_time ();
  more = worker->request != NULL;
  if (worker->request != NULL)
    {
      worker->pipelined_bytes -= request_pipeline_bytes (worker->request);
      /* The worker starts the pipelined request now. */
      g_clear_pointer (&worker->request->frames, job_pickle_frames_unref);
      request_start_timeout (self, worker->request);
    }
  worker_take_next (worker);
  if (worker->request == NULL)
    schedule_reaper (self);
  g_mutex_unlock (&self->mutex);

  result = job_wire_decode_reply (
      message, G_OBJECT_TYPE_NAME (request->job_task), "worker-pool", &error);

  request_complete (request, result, error, FALSE);
  request_unref (request);
  return more;
}

/* Returns whether another reply may be waiting. */
static gboolean
handle_reply (Worker *worker, JobWireMessage *message)
{
  JobWorkerPool *self = worker->pool;
  Request *request;

  g_mutex_lock (&self->mutex);
  request = worker->request;
  if (request == NULL || request->id != message->request_id
      || request->state != REQUEST_RUNNING || request->direct)
    {
      /* A reply to a request already failed (cancelled): ignore it. A
       * direct request's reply never comes this way. */
      g_mutex_unlock (&self->mutex);
      return FALSE;
    }
  return complete_reply (worker, request, message);
}

static gboolean
socket_ready_cb (int fd, GIOCondition condition, gpointer user_data)
{
  Worker *worker = user_data;
  JobWorkerPool *self = worker->pool;
  JobWireMessage message = { 0 };
  gboolean more = FALSE;

  for (;;)
    {
      g_autoptr (GError) error = NULL;

      switch (job_wire_receive (fd, TRUE, self->buffer, JOB_WIRE_BUFFER_SIZE,
                                &message, &error))
        {
        case JOB_WIRE_STATUS_AGAIN:
          return G_SOURCE_CONTINUE;
        case JOB_WIRE_STATUS_EOF:
          worker_lost (worker);
          return G_SOURCE_REMOVE;
        case JOB_WIRE_STATUS_ERROR:
        default:
          {
            Request *request;

            /* Garbage: the worker cannot be trusted any more, and takes no
             * task while it dies. */
            g_mutex_lock (&self->mutex);
            worker->closing = TRUE;
            request = g_steal_pointer (&worker->request);
            if (request != NULL && request->state == REQUEST_RUNNING)
              request->state = REQUEST_DONE;
            else
              request = NULL;
            worker_requeue_next (worker);
            g_subprocess_force_exit (worker->process);
            g_mutex_unlock (&self->mutex);
            if (request != NULL)
              {
                request_complete (
                    request, NULL,
                    g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                                 "Worker %" G_GINT64_FORMAT
                                 " broke the protocol while it ran task %s: %s",
                                 worker->pid,
                                 G_OBJECT_TYPE_NAME (request->job_task),
                                 error->message),
                    FALSE);
                request_unref (request);
              }
            worker_lost (worker);
            return G_SOURCE_REMOVE;
          }
        case JOB_WIRE_STATUS_MESSAGE:
          break;
        }

      if (message.type == JOB_WIRE_HELLO)
        {
          worker->said_hello = TRUE;
          if (message.request_id & JOB_WIRE_HELLO_DIRECT)
            {
              g_mutex_lock (&self->mutex);
              worker->direct = g_steal_pointer (&worker->direct_unconfirmed);
              g_mutex_unlock (&self->mutex);
            }
        }
      else if (message.type == JOB_WIRE_RESULT
               || message.type == JOB_WIRE_ERROR)
        more = handle_reply (worker, &message);
      job_wire_message_clear (&message);
      /* With nothing sent ahead, no other reply can be waiting: poll again
       * rather than spend a receive on EAGAIN. */
      if (!more)
        return G_SOURCE_CONTINUE;
    }
}

static char **
worker_environ (JobWorkerPool *self)
{
  g_auto (GStrv) parent = g_get_environ ();

  return job_environ_filter ((const char *const *) parent,
                             (const char *const *) self->env_allowlist);
}

/* In the dispatcher. n_spawning was counted for this call. */
static void
spawn_worker_in_dispatcher (JobWorkerPool *self)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) env = NULL;
  g_auto (GStrv) dirs = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *worker_path = NULL;
  GSubprocess *process;
  Worker *worker;
  int sv[2];
  int direct_sv[2] = { -1, -1 };
  guint generation;
  gboolean python;

  g_mutex_lock (&self->mutex);
  worker_path = g_strdup (self->worker_path);
  env = worker_environ (self);
  python = queue_needs_python (self);
  g_mutex_unlock (&self->mutex);

  g_strfreev (job_module_dup_loaded_dirs (&generation));
  dirs = job_module_dup_default_dirs ();
  g_ptr_array_add (argv, g_strdup (worker_path));
  g_ptr_array_add (argv,
                   g_strdup_printf ("--parent-pid=%ld", (long) getpid ()));
  g_ptr_array_add (argv, g_strdup_printf ("--protocol=%d", JOB_WIRE_VERSION));
  for (guint i = 0; dirs[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup_printf ("--plugin-dir=%s", dirs[i]));
  if (python)
    g_ptr_array_add (argv, g_strdup ("--python"));
  g_ptr_array_add (argv, NULL);

  /* posix_spawn() may report a program it cannot run only through the
   * child's exit status (under valgrind it does): look first. */
  if (strchr (worker_path, '/') != NULL && access (worker_path, X_OK) != 0)
    {
      int saved_errno = errno;

      g_set_error_literal (&error, G_IO_ERROR,
                           g_io_error_from_errno (saved_errno),
                           g_strerror (saved_errno));
      process = NULL;
    }
  else if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    {
      int saved_errno = errno;

      g_set_error (&error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_SPAWN,
                   "Cannot create a socket for a worker: %s",
                   g_strerror (saved_errno));
      process = NULL;
    }
  else
    {
      /* Inheriting descriptors lets GLib start the worker with
       * posix_spawn() (no fork() of this process, whose page tables may be
       * large); the worker closes what it does not need at once. */
      launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE
                                            | G_SUBPROCESS_FLAGS_INHERIT_FDS);
      g_subprocess_launcher_set_environ (launcher, env);
      g_subprocess_launcher_take_fd (launcher, sv[1], JOB_WIRE_WORKER_FD);
      /* Without it, the worker still works; replies take the dispatcher. */
      if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, direct_sv)
          == 0)
        g_subprocess_launcher_take_fd (launcher, direct_sv[1],
                                       JOB_WIRE_WORKER_DIRECT_FD);
      else
        direct_sv[0] = -1;
      process = g_subprocess_launcher_spawnv (
          launcher, (const char *const *) argv->pdata, &error);
      if (process == NULL)
        {
          close (sv[0]);
          if (direct_sv[0] >= 0)
            close (direct_sv[0]);
        }
    }

  g_mutex_lock (&self->mutex);
  self->n_spawning--;
  if (process == NULL)
    {
      GQueue failed = self->queue;

      /* Nothing would ever run the queued tasks: fail them all. */
      if (self->workers->len + self->n_spawning == 0)
        g_queue_init (&self->queue);
      else
        g_queue_init (&failed);
      for (GList *l = failed.head; l != NULL; l = l->next)
        ((Request *) l->data)->state = REQUEST_DONE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->mutex);
      for (GList *l = failed.head; l != NULL; l = l->next)
        {
          request_complete (
              l->data, NULL,
              g_error_new (
                  JOB_WORKER_ERROR, JOB_WORKER_ERROR_SPAWN,
                  "Cannot start the worker %s: %s; set the worker-path "
                  "property or JOB_WORKER_PATH to a job-worker program",
                  worker_path, error->message),
              FALSE);
          request_unref (l->data);
        }
      g_list_free (failed.head);
      return;
    }

  worker = g_new0 (Worker, 1);
  worker->pool = self;
  worker->process = process;
  worker->python = python;
  worker->last_wall_ns = G_MAXUINT64;
  /* NULL if the worker already died and was reaped: its death is seen on
   * its socket; it has no pid to report. */
  worker->pid =
      g_subprocess_get_identifier (process) != NULL
          ? g_ascii_strtoll (g_subprocess_get_identifier (process), NULL, 10)
          : 0;
  worker->fd = sv[0];
  if (direct_sv[0] >= 0)
    {
      worker->direct_unconfirmed = g_new0 (DirectChannel, 1);
      g_atomic_ref_count_init (&worker->direct_unconfirmed->ref_count);
      worker->direct_unconfirmed->fd = direct_sv[0];
    }
  worker->dirs_generation = generation;
  worker->stderr_tail = g_byte_array_new ();
  worker->stderr_fd = dup (g_unix_input_stream_get_fd (
      G_UNIX_INPUT_STREAM (g_subprocess_get_stderr_pipe (process))));
  g_input_stream_close (g_subprocess_get_stderr_pipe (process), NULL, NULL);
  g_unix_set_fd_nonblocking (worker->stderr_fd, TRUE, NULL);
  fcntl (worker->stderr_fd, F_SETFD, FD_CLOEXEC);
  worker->socket_source =
      g_unix_fd_source_new (worker->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (worker->socket_source, G_SOURCE_FUNC (socket_ready_cb),
                         worker, NULL);
  /* Never dispatched recursively; and a source that may not recurse has
   * its fd taken out of the poll set while it runs and put back after,
   * which wakes the context up again: per reply, a wasted poll. */
  g_source_set_can_recurse (worker->socket_source, TRUE);
  g_source_attach (worker->socket_source, self->context);
  worker->stderr_source =
      g_unix_fd_source_new (worker->stderr_fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (worker->stderr_source, G_SOURCE_FUNC (stderr_ready_cb),
                         worker, NULL);
  g_source_attach (worker->stderr_source, self->context);
  g_ptr_array_add (self->workers, worker);

  /* No need to wait for its hello: the socket holds the task meanwhile. */
  worker_take_next (worker);
  if (worker->request == NULL)
    schedule_reaper (self);
  g_mutex_unlock (&self->mutex);
}

static gboolean
spawn_cb (gpointer user_data)
{
  spawn_worker_in_dispatcher (user_data);
  return G_SOURCE_REMOVE;
}

static gpointer
dispatcher_thread (gpointer user_data)
{
  JobWorkerPool *self = user_data;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static void
request_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  Request *request = user_data;
  JobWorkerPool *self = request->pool;
  gboolean was_queued;

  g_mutex_lock (&self->mutex);
  if (request->state == REQUEST_DONE)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  was_queued = request->state == REQUEST_QUEUED;
  if (was_queued)
    g_queue_remove (&self->queue, request);
  else
    {
      Worker *worker = request->worker;

      worker->request = NULL;
      worker->closing = TRUE;
      worker_requeue_next (worker);
      g_subprocess_force_exit (worker->process);
    }
  request->state = REQUEST_DONE;
  g_mutex_unlock (&self->mutex);

  request_complete (request, NULL,
                    g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_CANCELLED,
                                 "Task %s was cancelled%s",
                                 G_OBJECT_TYPE_NAME (request->job_task),
                                 was_queued ? " before it started"
                                            : "; its worker was killed"),
                    TRUE);
  request_unref (request);
}

/* With the lock held: a Python task waits and every worker slot is taken;
 * an idle worker without Python exits to make room (as in
 * worker_take_next). */
static void
close_idle_worker (JobWorkerPool *self)
{
  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *worker = self->workers->pdata[i];

      if (worker->request == NULL && !worker->closing && worker->death == NULL)
        {
          worker_close (worker);
          return;
        }
    }
}

/* Queues @request, or runs it on an idle worker, or starts a worker. A
 * blocking caller's request sent to an idle worker with a direct socket
 * goes direct: then @direct is set to that socket (a reference) and the
 * caller reads the reply there, with submit_direct_wait(). */
static void
submit_request (JobWorkerPool *self,
                Request *request,
                GCancellable *cancellable,
                DirectChannel **direct)
{
  JobTask *task = request->job_task;
  g_autoptr (GError) error = NULL;
  Worker *idle = NULL;
  gboolean spawn = FALSE;

  job_backend_emit_submitted (JOB_BACKEND (self), self->creation_context, task);

  request->frames = job_pickle_dump_frames (G_OBJECT (task), 0, &error);
  if (request->frames != NULL)
    request->python = frames_need_python (request->frames);
  if (request->frames == NULL)
    {
      request->state = REQUEST_DONE;
      request_complete (request, NULL,
                        g_error_new (JOB_WORKER_ERROR,
                                     JOB_WORKER_ERROR_INVALID_TASK,
                                     "Task %s cannot be sent to a worker: %s",
                                     G_OBJECT_TYPE_NAME (task), error->message),
                        FALSE);
      request_unref (request);
      return;
    }

  /* Once queued, the dispatcher thread may run, complete and free the
   * request at any time: keep a reference until this function returns,
   * and connect the cancellable before the request is published. */
  request_ref (request);
  if (cancellable != NULL)
    {
      request->cancellable = g_object_ref (cancellable);
      /* Runs the handler now if already cancelled: it completes the
       * request, which is then not queued. */
      request->cancelled_id = g_cancellable_connect (
          cancellable, G_CALLBACK (request_cancelled_cb), request_ref (request),
          (GDestroyNotify) request_unref);
    }

  g_mutex_lock (&self->mutex);
  if (request->state == REQUEST_DONE)
    {
      g_mutex_unlock (&self->mutex);
      request_unref (request);
      return;
    }
  if (self->shut_down)
    {
      request->state = REQUEST_DONE;
      g_mutex_unlock (&self->mutex);
      if (cancellable != NULL)
        request_unref (request);
      request_complete (
          request, NULL,
          g_error_new (
              JOB_WORKER_ERROR, JOB_WORKER_ERROR_SHUTDOWN,
              "Task %s was submitted to a worker pool that was shut down",
              G_OBJECT_TYPE_NAME (task)),
          FALSE);
      request_unref (request);
      request_unref (request);
      return;
    }
  request->id = ++self->next_id;
  g_queue_push_tail (&self->queue, request);
  for (guint i = 0; i < self->workers->len && idle == NULL; i++)
    {
      Worker *worker = self->workers->pdata[i];

      if (worker->request == NULL && !worker->closing && worker->death == NULL
          && (worker->python || !request->python))
        idle = worker;
    }
  if (idle != NULL)
    {
      if (direct != NULL && request->sync != NULL && idle->direct != NULL
          && self->queue.length == 1)
        {
          request->direct = TRUE;
          if (idle->direct->buffer == NULL)
            idle->direct->buffer = g_malloc (JOB_WIRE_BUFFER_SIZE);
          *direct = direct_channel_ref (idle->direct);
          /* The caller's, until it is done with the reply. */
          request_ref (request);
        }
      worker_take_next (idle);
    }
  else if (self->workers->len + self->n_spawning < self->max_workers
           && self->n_spawning < self->queue.length)
    {
      self->n_spawning++;
      spawn = TRUE;
    }
  else
    {
      if (request->python)
        close_idle_worker (self);
      for (guint i = 0; i < self->workers->len && self->queue.length > 0; i++)
        worker_pipeline (self->workers->pdata[i]);
    }
  g_mutex_unlock (&self->mutex);

  if (spawn)
    g_main_context_invoke (self->context, spawn_cb, self);
  request_unref (request);
}

static Request *
request_new (JobWorkerPool *self, JobTask *task)
{
  Request *request = g_new0 (Request, 1);

  g_atomic_ref_count_init (&request->ref_count);
  request->pool = self;
  request->job_task = g_object_ref (task);
  request->state = REQUEST_QUEUED;
  return request;
}

static void
job_worker_pool_submit_async (JobBackend *backend,
                              JobTask *task,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  JobWorkerPool *self = JOB_WORKER_POOL (backend);
  Request *request = request_new (self, task);

  request->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (request->task, job_worker_pool_submit_async);
  g_task_set_check_cancellable (request->task, FALSE);
  submit_request (self, request, cancellable, NULL);
}

/* A caller whose last reply came within this long polls for the next one
 * that long before it sleeps, when there is another CPU to run the worker:
 * waking a sleeping caller costs most of a round trip here. */
#define DIRECT_SPIN_US 50

/* In the blocking caller's thread: the next message on @direct. */
static JobWireStatus
direct_receive (DirectChannel *direct, JobWireMessage *message, GError **error)
{
  gint64 start = g_get_monotonic_time ();
  JobWireStatus status = JOB_WIRE_STATUS_AGAIN;

  static gsize n_processors;

  /* (g_get_num_processors() costs a syscall.) */
  if (g_once_init_enter (&n_processors))
    g_once_init_leave (&n_processors, g_get_num_processors ());
  if (direct->last_wait_us <= DIRECT_SPIN_US && n_processors > 1)
    do
      status = job_wire_receive (direct->fd, TRUE, direct->buffer,
                                 JOB_WIRE_BUFFER_SIZE, message, error);
    while (status == JOB_WIRE_STATUS_AGAIN
           && g_get_monotonic_time () - start < DIRECT_SPIN_US);
  while (status == JOB_WIRE_STATUS_AGAIN)
    status = job_wire_receive (direct->fd, FALSE, direct->buffer,
                               JOB_WIRE_BUFFER_SIZE, message, error);
  direct->last_wait_us = g_get_monotonic_time () - start;
  return status;
}

/* In the blocking caller's thread: reads the reply to direct @request from
 * @direct and completes the request. If the worker dies first, or the
 * request is cancelled or timed out, the dispatcher or the canceller
 * completes it as for any request: the socket then reads end of file. */
static void
submit_direct_wait (JobWorkerPool *self,
                    Request *request,
                    DirectChannel *direct)
{
  JobWireMessage message = { 0 };
  g_autoptr (GError) error = NULL;
  JobWireStatus status;
  Worker *worker;
  gint64 pid;

  status = direct_receive (direct, &message, &error);

  g_mutex_lock (&self->mutex);
  if (request->state != REQUEST_RUNNING)
    {
      /* Already failed: its worker is dying or dead. */
      g_mutex_unlock (&self->mutex);
      job_wire_message_clear (&message);
      return;
    }
  worker = request->worker;
  if (status == JOB_WIRE_STATUS_MESSAGE
      && (message.type == JOB_WIRE_RESULT || message.type == JOB_WIRE_ERROR)
      && message.request_id == request->id && worker->request == request)
    {
      complete_reply (worker, request, &message);
      job_wire_message_clear (&message);
      return;
    }
  if (status == JOB_WIRE_STATUS_EOF)
    {
      /* The worker died: its main socket tells the dispatcher, which
       * reports how, with what it printed. */
      g_mutex_unlock (&self->mutex);
      return;
    }

  /* Garbage: the worker cannot be trusted any more. */
  pid = worker->pid;
  request->state = REQUEST_DONE;
  worker->request = NULL;
  worker->closing = TRUE;
  worker_requeue_next (worker);
  g_subprocess_force_exit (worker->process);
  g_mutex_unlock (&self->mutex);
  request_complete (request, NULL,
                    g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                                 "Worker %" G_GINT64_FORMAT
                                 " broke the protocol while it ran task %s: %s",
                                 pid, G_OBJECT_TYPE_NAME (request->job_task),
                                 error != NULL
                                     ? error->message
                                     : "a message that is not a reply to it"),
                    FALSE);
  request_unref (request);
  job_wire_message_clear (&message);
}

static JobResult *
job_worker_pool_submit (JobBackend *backend,
                        JobTask *task,
                        GCancellable *cancellable,
                        GError **error)
{
  JobWorkerPool *self = JOB_WORKER_POOL (backend);
  Request *request = request_new (self, task);
  JobSyncWait *wait = job_sync_wait_new ();
  DirectChannel *direct = NULL;

  /* The pool's reference, as a GTask would hold it. */
  g_object_ref (self);
  request->sync = wait;
  submit_request (self, request, cancellable, &direct);
  if (direct != NULL)
    {
      submit_direct_wait (self, request, direct);
      direct_channel_unref (direct);
      request_unref (request);
    }
  {
    JobResult *result = job_sync_wait_finish (wait, error);

    g_object_unref (self);
    return result;
  }
}

static JobResult *
job_worker_pool_submit_finish (JobBackend *backend,
                               GAsyncResult *result,
                               GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
close_idle_cb (gpointer user_data)
{
  JobWorkerPool *self = user_data;

  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *worker = self->workers->pdata[i];

      if (worker->request == NULL)
        worker_close (worker);
    }
  g_mutex_unlock (&self->mutex);
  return G_SOURCE_REMOVE;
}

static void
job_worker_pool_shutdown (JobBackend *backend, gboolean wait)
{
  JobWorkerPool *self = JOB_WORKER_POOL (backend);
  GQueue queued;
  gboolean first;

  g_mutex_lock (&self->mutex);
  first = !self->shut_down;
  self->shut_down = TRUE;
  queued = steal_queue_locked (self);
  g_mutex_unlock (&self->mutex);
  fail_shut_down (&queued);

  g_main_context_invoke (self->context, close_idle_cb, self);

  if (wait)
    {
      g_mutex_lock (&self->mutex);
      while (self->workers->len > 0 || self->n_spawning > 0)
        g_cond_wait (&self->cond, &self->mutex);
      g_mutex_unlock (&self->mutex);
    }

  if (first)
    job_backend_emit_shutdown (backend, self->creation_context);
}

static void
job_worker_pool_backend_init (JobBackendInterface *iface)
{
  iface->submit_async = job_worker_pool_submit_async;
  iface->submit_finish = job_worker_pool_submit_finish;
  iface->shutdown = job_worker_pool_shutdown;
  iface->submit_sync = job_worker_pool_submit;
}

static void
job_worker_pool_dispose (GObject *object)
{
  JobWorkerPool *self = JOB_WORKER_POOL (object);

  if (self->thread != NULL)
    {
      job_worker_pool_shutdown (JOB_BACKEND (self), TRUE);
      g_main_context_invoke (self->context, quit_cb, self->loop);
      g_thread_join (g_steal_pointer (&self->thread));
    }
  G_OBJECT_CLASS (job_worker_pool_parent_class)->dispose (object);
}

static void
job_worker_pool_finalize (GObject *object)
{
  JobWorkerPool *self = JOB_WORKER_POOL (object);

  if (self->reaper_source != NULL)
    {
      g_source_destroy (self->reaper_source);
      g_source_unref (self->reaper_source);
    }
  g_ptr_array_unref (self->workers);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_main_context_unref (self->creation_context);
  g_strfreev (self->env_allowlist);
  g_free (self->worker_path);
  g_free (self->buffer);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (job_worker_pool_parent_class)->finalize (object);
}

static void
job_worker_pool_get_property (GObject *object,
                              guint prop_id,
                              GValue *value,
                              GParamSpec *pspec)
{
  JobWorkerPool *self = JOB_WORKER_POOL (object);

  g_mutex_lock (&self->mutex);
  switch (prop_id)
    {
    case PROP_MAX_WORKERS:
      g_value_set_uint (value, self->max_workers);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_double (value, self->idle_timeout);
      break;
    case PROP_TASK_TIMEOUT:
      g_value_set_double (value, self->task_timeout);
      break;
    case PROP_ENV_ALLOWLIST:
      g_value_set_boxed (value, self->env_allowlist);
      break;
    case PROP_WORKER_PATH:
      g_value_set_string (value, self->worker_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  g_mutex_unlock (&self->mutex);
}

static void
job_worker_pool_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  JobWorkerPool *self = JOB_WORKER_POOL (object);

  switch (prop_id)
    {
    case PROP_MAX_WORKERS:
      job_worker_pool_set_max_workers (self, g_value_get_uint (value));
      break;
    case PROP_IDLE_TIMEOUT:
      job_worker_pool_set_idle_timeout (self, g_value_get_double (value));
      break;
    case PROP_TASK_TIMEOUT:
      job_worker_pool_set_task_timeout (self, g_value_get_double (value));
      break;
    case PROP_ENV_ALLOWLIST:
      job_worker_pool_set_env_allowlist (self, g_value_get_boxed (value));
      break;
    case PROP_WORKER_PATH:
      job_worker_pool_set_worker_path (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_worker_pool_class_init (JobWorkerPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags =
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = job_worker_pool_dispose;
  object_class->finalize = job_worker_pool_finalize;
  object_class->get_property = job_worker_pool_get_property;
  object_class->set_property = job_worker_pool_set_property;

  /**
   * JobWorkerPool:max-workers: (getter get_max_workers)
   *
   * The most worker processes to run at once. Defaults to the number of
   * processors.
   */
  properties[PROP_MAX_WORKERS] =
      g_param_spec_uint ("max-workers", NULL, NULL, 1, 4096, 1, flags);

  /**
   * JobWorkerPool:idle-timeout: (getter get_idle_timeout)
   *
   * How many seconds a worker may stay idle before it is made to exit.
   */
  properties[PROP_IDLE_TIMEOUT] = g_param_spec_double (
      "idle-timeout", NULL, NULL, 0, G_MAXDOUBLE, 30, flags);

  /**
   * JobWorkerPool:task-timeout: (getter get_task_timeout)
   *
   * How many seconds a task may run before its worker is killed and it
   * fails with %JOB_WORKER_ERROR_TIMED_OUT; 0 for no limit.
   */
  properties[PROP_TASK_TIMEOUT] = g_param_spec_double (
      "task-timeout", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);

  /**
   * JobWorkerPool:env-allowlist: (getter get_env_allowlist)
   *
   * The environment variables workers inherit from this process: names,
   * and patterns ending in `*` that match names by prefix. Everything
   * else, secrets included, stays out of the workers. The default allows
   * `PATH`, `HOME`, `LANG`, `LANGUAGE`, `LC_*`, `TMPDIR`, `TZ`, `USER`,
   * `LOGNAME`, `SHELL` and `TERM`. A change applies to workers started
   * afterwards.
   */
  properties[PROP_ENV_ALLOWLIST] =
      g_param_spec_boxed ("env-allowlist", NULL, NULL, G_TYPE_STRV, flags);

  /**
   * JobWorkerPool:worker-path: (getter get_worker_path)
   *
   * The `job-worker` program to start. Defaults to `$JOB_WORKER_PATH` if
   * set, else the one in the build tree when libjob runs uninstalled, else
   * the installed one. A change applies to workers started afterwards.
   */
  properties[PROP_WORKER_PATH] =
      g_param_spec_string ("worker-path", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_worker_pool_init (JobWorkerPool *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->creation_context = g_main_context_ref_thread_default ();
  self->max_workers = MAX (1, g_get_num_processors ());
  self->idle_timeout = 30;
  self->env_allowlist = g_strdupv ((char **) job_default_env_allowlist ());
  self->worker_path = job_default_worker_path ();
  self->workers = g_ptr_array_new ();
  self->buffer = g_malloc (JOB_WIRE_BUFFER_SIZE);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("job-worker-pool", dispatcher_thread, self);
}

/**
 * job_worker_pool_new:
 *
 * Creates a worker pool with the default settings. No worker starts until
 * a task is submitted.
 *
 * Returns: (transfer full): a new #JobWorkerPool
 */
JobWorkerPool *
job_worker_pool_new (void)
{
  return g_object_new (JOB_TYPE_WORKER_POOL, NULL);
}

/**
 * job_worker_pool_get_max_workers:
 * @self: a #JobWorkerPool
 *
 * Gets [property@Job.WorkerPool:max-workers].
 *
 * Returns: the most workers at once
 */
guint
job_worker_pool_get_max_workers (JobWorkerPool *self)
{
  guint ret;

  g_return_val_if_fail (JOB_IS_WORKER_POOL (self), 0);
  g_mutex_lock (&self->mutex);
  ret = self->max_workers;
  g_mutex_unlock (&self->mutex);
  return ret;
}

/**
 * job_worker_pool_set_max_workers:
 * @self: a #JobWorkerPool
 * @max_workers: the most workers at once, at least 1
 *
 * Sets [property@Job.WorkerPool:max-workers].
 */
void
job_worker_pool_set_max_workers (JobWorkerPool *self, guint max_workers)
{
  gboolean changed;

  g_return_if_fail (JOB_IS_WORKER_POOL (self));
  g_return_if_fail (max_workers >= 1);
  g_mutex_lock (&self->mutex);
  changed = self->max_workers != max_workers;
  self->max_workers = max_workers;
  g_mutex_unlock (&self->mutex);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_WORKERS]);
}

/**
 * job_worker_pool_get_idle_timeout:
 * @self: a #JobWorkerPool
 *
 * Gets [property@Job.WorkerPool:idle-timeout].
 *
 * Returns: seconds
 */
double
job_worker_pool_get_idle_timeout (JobWorkerPool *self)
{
  double ret;

  g_return_val_if_fail (JOB_IS_WORKER_POOL (self), 0);
  g_mutex_lock (&self->mutex);
  ret = self->idle_timeout;
  g_mutex_unlock (&self->mutex);
  return ret;
}

/**
 * job_worker_pool_set_idle_timeout:
 * @self: a #JobWorkerPool
 * @idle_timeout: seconds, at least 0
 *
 * Sets [property@Job.WorkerPool:idle-timeout].
 */
void
job_worker_pool_set_idle_timeout (JobWorkerPool *self, double idle_timeout)
{
  gboolean changed;

  g_return_if_fail (JOB_IS_WORKER_POOL (self));
  g_return_if_fail (idle_timeout >= 0);
  g_mutex_lock (&self->mutex);
  changed = self->idle_timeout != idle_timeout;
  self->idle_timeout = idle_timeout;
  g_mutex_unlock (&self->mutex);
  /* No reference: the dispatcher runs only while the pool is alive (its
   * disposal joins it), and its last reference must never be dropped
   * there. */
  if (changed && self->context != NULL)
    g_main_context_invoke (self->context, reschedule_reaper_cb, self);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDLE_TIMEOUT]);
}

/**
 * job_worker_pool_get_task_timeout:
 * @self: a #JobWorkerPool
 *
 * Gets [property@Job.WorkerPool:task-timeout].
 *
 * Returns: seconds, 0 for none
 */
double
job_worker_pool_get_task_timeout (JobWorkerPool *self)
{
  double ret;

  g_return_val_if_fail (JOB_IS_WORKER_POOL (self), 0);
  g_mutex_lock (&self->mutex);
  ret = self->task_timeout;
  g_mutex_unlock (&self->mutex);
  return ret;
}

/**
 * job_worker_pool_set_task_timeout:
 * @self: a #JobWorkerPool
 * @task_timeout: seconds, 0 for none
 *
 * Sets [property@Job.WorkerPool:task-timeout]. It applies to tasks that
 * start afterwards.
 */
void
job_worker_pool_set_task_timeout (JobWorkerPool *self, double task_timeout)
{
  gboolean changed;

  g_return_if_fail (JOB_IS_WORKER_POOL (self));
  g_return_if_fail (task_timeout >= 0);
  g_mutex_lock (&self->mutex);
  changed = self->task_timeout != task_timeout;
  self->task_timeout = task_timeout;
  g_mutex_unlock (&self->mutex);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TASK_TIMEOUT]);
}

/**
 * job_worker_pool_get_env_allowlist:
 * @self: a #JobWorkerPool
 *
 * Gets [property@Job.WorkerPool:env-allowlist]. The list stays valid
 * until the property changes.
 *
 * Returns: (transfer none) (array zero-terminated=1): the allowlist
 */
const char *const *
job_worker_pool_get_env_allowlist (JobWorkerPool *self)
{
  g_return_val_if_fail (JOB_IS_WORKER_POOL (self), NULL);
  return (const char *const *) self->env_allowlist;
}

/**
 * job_worker_pool_set_env_allowlist:
 * @self: a #JobWorkerPool
 * @env_allowlist: (array zero-terminated=1) (nullable): names and `PREFIX*`
 *   patterns; %NULL for the default
 *
 * Sets [property@Job.WorkerPool:env-allowlist].
 */
void
job_worker_pool_set_env_allowlist (JobWorkerPool *self,
                                   const char *const *env_allowlist)
{
  char **old;

  g_return_if_fail (JOB_IS_WORKER_POOL (self));
  g_mutex_lock (&self->mutex);
  old = self->env_allowlist;
  self->env_allowlist = g_strdupv (
      (char **) (env_allowlist != NULL ? env_allowlist
                                       : job_default_env_allowlist ()));
  g_mutex_unlock (&self->mutex);
  g_strfreev (old);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENV_ALLOWLIST]);
}

/**
 * job_worker_pool_get_worker_path:
 * @self: a #JobWorkerPool
 *
 * Gets [property@Job.WorkerPool:worker-path].
 *
 * Returns: the path of the worker program
 */
const char *
job_worker_pool_get_worker_path (JobWorkerPool *self)
{
  g_return_val_if_fail (JOB_IS_WORKER_POOL (self), NULL);
  return self->worker_path;
}

/**
 * job_worker_pool_set_worker_path:
 * @self: a #JobWorkerPool
 * @worker_path: (nullable): the `job-worker` program; %NULL for the default
 *
 * Sets [property@Job.WorkerPool:worker-path].
 */
void
job_worker_pool_set_worker_path (JobWorkerPool *self, const char *worker_path)
{
  g_return_if_fail (JOB_IS_WORKER_POOL (self));
  g_mutex_lock (&self->mutex);
  g_free (self->worker_path);
  self->worker_path =
      worker_path != NULL ? g_strdup (worker_path) : job_default_worker_path ();
  g_mutex_unlock (&self->mutex);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKER_PATH]);
}

/**
 * job_worker_pool_get_n_workers:
 * @self: a #JobWorkerPool
 *
 * Counts the worker processes that are running, busy or idle, including
 * those exiting but not yet reaped.
 *
 * Returns: the number of workers
 */
guint
job_worker_pool_get_n_workers (JobWorkerPool *self)
{
  guint ret;

  g_return_val_if_fail (JOB_IS_WORKER_POOL (self), 0);
  g_mutex_lock (&self->mutex);
  ret = self->workers->len;
  g_mutex_unlock (&self->mutex);
  return ret;
}

/**
 * job_worker_pool_dup_worker_pids:
 * @self: a #JobWorkerPool
 *
 * Lists the process ids of the workers [method@Job.WorkerPool.get_n_workers]
 * counts.
 *
 * Returns: (transfer full) (element-type gint64): the process ids
 */
GArray *
job_worker_pool_dup_worker_pids (JobWorkerPool *self)
{
  GArray *pids;

  g_return_val_if_fail (JOB_IS_WORKER_POOL (self), NULL);
  pids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->workers->len; i++)
    if (((Worker *) self->workers->pdata[i])->pid > 0)
      g_array_append_val (pids, ((Worker *) self->workers->pdata[i])->pid);
  g_mutex_unlock (&self->mutex);
  return pids;
}
