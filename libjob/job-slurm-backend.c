/* job-slurm-backend.c: a backend that runs tasks on a Slurm cluster
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "job-backend-private.h"
#include "job-module-private.h"
#include "job-pickle.h"
#include "job-slurm-backend.h"
#include "job-spool-file-private.h"
#include "job-wire-private.h"

/**
 * JobSlurmBackend:
 *
 * A [iface@Job.Backend] that runs each task as a job of a
 * [Slurm](https://slurm.schedmd.com/) cluster. It writes the task's pickle
 * into a directory of [property@Job.SlurmBackend:spool-dir], runs
 * `srun job-worker --oneshot=…` there, and reads the pickled result the
 * worker wrote next to it. Slurm allocates, places, limits and cancels;
 * the task itself is the very same pickle a [class@Job.WorkerPool] would
 * run, rebuilt with the same plugins, environment allowlist and signal
 * dispositions, so it gives the same results.
 *
 * The spool directory, the `job-worker` program, the plugins and whatever
 * the tasks read or write (an artifact cache) must be at the same paths on
 * every node: see the "Running on a cluster" guide.
 *
 * A job that Slurm ends fails its task with a [error@Job.WorkerError]:
 * %JOB_WORKER_ERROR_TIMED_OUT when it ran past
 * [property@Job.SlurmBackend:time-limit], %JOB_WORKER_ERROR_CANCELLED when
 * it was cancelled, %JOB_WORKER_ERROR_CRASHED when its process died, ran
 * out of memory or lost its node; the message gives Slurm's job id, state,
 * reason and exit code. Cancelling a task's #GCancellable fails it at once
 * and runs `scancel` on its job. The first submission checks that the
 * Slurm commands are there and the controller answers (`scontrol ping`,
 * within [property@Job.SlurmBackend:controller-timeout]); if not, the
 * tasks fail with %JOB_WORKER_ERROR_SPAWN.
 *
 * All the work happens in the thread-default main context of the thread
 * that submitted each task: nothing blocks.
 */

#define TAIL_SIZE 4096
#define DIAGNOSE_TRIES 25
#define DIAGNOSE_INTERVAL_MS 200

typedef enum
{
  PROBE_NONE,
  PROBE_RUNNING,
  PROBE_DONE,
} ProbeState;

typedef struct
{
  gatomicrefcount ref_count;
  JobSlurmBackend *backend;
  GTask *task;
  GMainContext *context;
  JobTask *job_task;
  JobPickleFrames *frames;
  GCancellable *cancellable;
  gulong cancelled_id;
  char *name;
  char *dir;
  GSubprocess *process;
  GByteArray *tail;
  guint8 *read_buffer;
  int pending_io;
  gboolean holds_slot;
  gboolean cancel_sent;
  guint diagnose_tries;
  char *job_id;
  int done; /* atomic: set by whoever completes the task */
} Request;

struct _JobSlurmBackend
{
  GObject parent_instance;

  GMainContext *creation_context;
  char *partition;
  char *spool_dir;
  guint time_limit;
  char **srun_args;
  guint max_jobs_in_flight;
  char *worker_path;
  char **env_allowlist;
  guint controller_timeout;

  GMutex mutex;
  GQueue queue; /* Request*, waiting for the probe or a slot */
  guint in_flight;
  ProbeState probe;
  gboolean shut_down;
  char *srun_path;
  char *scontrol_path;
  char *squeue_path;
  char *scancel_path;
};

enum
{
  PROP_0,
  PROP_PARTITION,
  PROP_SPOOL_DIR,
  PROP_TIME_LIMIT,
  PROP_SRUN_ARGS,
  PROP_MAX_JOBS_IN_FLIGHT,
  PROP_WORKER_PATH,
  PROP_ENV_ALLOWLIST,
  PROP_CONTROLLER_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void job_slurm_backend_backend_init (JobBackendInterface *iface);
static void pump (JobSlurmBackend *self);
static void request_start (Request *request);

G_DEFINE_FINAL_TYPE_WITH_CODE (
    JobSlurmBackend,
    job_slurm_backend,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_BACKEND, job_slurm_backend_backend_init))

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
  g_clear_object (&request->process);
  g_clear_pointer (&request->tail, g_byte_array_unref);
  g_clear_pointer (&request->context, g_main_context_unref);
  g_free (request->read_buffer);
  g_free (request->name);
  g_free (request->dir);
  g_free (request->job_id);
  g_object_unref (request->backend);
  g_free (request);
}

static void
request_complete (Request *request,
                  JobResult *result,
                  GError *error,
                  gboolean from_cancel_handler)
{
  JobSlurmBackend *self = request->backend;

  if (!g_atomic_int_compare_and_exchange (&request->done, 0, 1))
    {
      g_clear_object (&result);
      g_clear_error (&error);
      return;
    }
  if (request->cancelled_id != 0 && !from_cancel_handler)
    g_cancellable_disconnect (request->cancellable, request->cancelled_id);
  job_backend_emit_completed (JOB_BACKEND (self), self->creation_context,
                              request->job_task, result, error);
  job_backend_return (g_steal_pointer (&request->task), result, error);
}

/* Runs @func in @context: now if this thread runs it, else from an idle. */
static void
invoke_in (GMainContext *context, GSourceFunc func, gpointer data)
{
  GSource *source;

  if (g_main_context_is_owner (context))
    {
      func (data);
      return;
    }
  source = g_idle_source_new ();
  g_source_set_callback (source, func, data, NULL);
  g_source_set_static_name (source, "[libjob] slurm request");
  g_source_attach (source, context);
  g_source_unref (source);
}

static void
remove_spool (Request *request)
{
  g_autofree char *task_path = NULL, *result_path = NULL, *tmp_path = NULL;

  if (request->dir == NULL)
    return;
  task_path = g_build_filename (request->dir, "task", NULL);
  result_path = g_build_filename (request->dir, "result", NULL);
  tmp_path = g_build_filename (request->dir, "result.tmp", NULL);
  g_unlink (task_path);
  g_unlink (result_path);
  g_unlink (tmp_path);
  g_rmdir (request->dir);
}

/* The slot of a request whose srun exited (or never started). */
static void
release_slot (Request *request)
{
  JobSlurmBackend *self = request->backend;

  g_mutex_lock (&self->mutex);
  if (request->holds_slot)
    {
      request->holds_slot = FALSE;
      self->in_flight--;
    }
  g_mutex_unlock (&self->mutex);
  g_main_context_wakeup (self->creation_context);
  pump (self);
}

static char *
tail_text (Request *request)
{
  g_autofree char *text = NULL;
  char *start;

  if (request->tail == NULL || request->tail->len == 0)
    return g_strdup ("");
  text = g_utf8_make_valid ((const char *) request->tail->data,
                            request->tail->len);
  g_strstrip (text);
  /* Start at a line boundary when the tail was cut. */
  start = text;
  if (request->tail->len >= TAIL_SIZE && strchr (text, '\n') != NULL)
    start = strchr (text, '\n') + 1;
  return g_strdup_printf ("; it printed:\n%s", start);
}

static gboolean
terminate_srun_cb (gpointer data)
{
  Request *request = data;

  /* scancel has not ended srun: the controller may not know the job yet. */
  if (g_subprocess_get_identifier (request->process) != NULL)
    g_subprocess_send_signal (request->process, SIGTERM);
  return G_SOURCE_REMOVE;
}

static void
cancel_job (Request *request)
{
  JobSlurmBackend *self = request->backend;
  g_autoptr (GSubprocess) scancel = NULL;
  g_autoptr (GSource) source = NULL;
  g_autofree char *name_arg = NULL;

  /* Called with the mutex held, once srun runs. scancel asks Slurm to end
   * the job wherever it runs (and records it as CANCELLED); if srun is
   * still there a little later, a signal makes it let go of the job. */
  if (request->cancel_sent || request->process == NULL)
    return;
  request->cancel_sent = TRUE;
  name_arg = g_strdup_printf ("--name=%s", request->name);
  scancel = g_subprocess_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
      NULL, self->scancel_path, "--quiet", name_arg, NULL);
  source = g_timeout_source_new_seconds (scancel != NULL ? 3 : 0);
  g_source_set_callback (source, terminate_srun_cb, request_ref (request),
                         (GDestroyNotify) request_unref);
  g_source_attach (source, request->context);
}

static void
request_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  Request *request = user_data;
  JobSlurmBackend *self = request->backend;

  g_mutex_lock (&self->mutex);
  cancel_job (request);
  g_mutex_unlock (&self->mutex);
  request_complete (request, NULL,
                    g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_CANCELLED,
                                 "Task %s was cancelled",
                                 G_OBJECT_TYPE_NAME (request->job_task)),
                    TRUE);
}

static void
fail_request (Request *request, GError *error)
{
  request_complete (request, NULL, error, FALSE);
}

/* The result the worker wrote, or NULL if there is none. */
static gboolean
read_result (Request *request, JobResult **result, GError **error)
{
  g_autofree char *path = g_build_filename (request->dir, "result", NULL);
  g_autoptr (GPtrArray) parts = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GObject) output = NULL;
  JobSpoolFileKind kind;
  JobSpoolMetrics metrics;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return FALSE;
  parts = job_spool_file_read (path, &kind, &metrics, &local_error);
  if (parts == NULL)
    {
      *error = g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                            "The result of task %s cannot be read: %s",
                            G_OBJECT_TYPE_NAME (request->job_task),
                            local_error->message);
      return TRUE;
    }
  if (kind == JOB_SPOOL_FILE_ERROR)
    {
      if (parts->len == 1)
        *error = job_wire_decode_error (parts->pdata[0]);
      else
        *error = g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                              "The worker wrote an error without an error");
      return TRUE;
    }
  if (kind != JOB_SPOOL_FILE_RESULT)
    {
      *error = g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                            "%s holds no result", path);
      return TRUE;
    }
  if (parts->len > 0)
    {
      g_autoptr (JobPickleFrames) frames = job_pickle_frames_new (
          parts->pdata[0], (GBytes **) parts->pdata + 1, parts->len - 1);

      output = job_pickle_load_frames_with_plugins (frames, NULL, G_TYPE_OBJECT,
                                                    &local_error);
      if (output == NULL)
        {
          *error = g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                                "The output of task %s cannot be rebuilt: %s",
                                G_OBJECT_TYPE_NAME (request->job_task),
                                local_error->message);
          return TRUE;
        }
    }
  *result = job_result_new (output, metrics.pid, metrics.wall_ns / 1e9,
                            metrics.cpu_ns / 1e9, metrics.peak_rss, "slurm");
  return TRUE;
}

static char *
field (const char *line, const char *name)
{
  gsize len = strlen (name);
  const char *start = line;
  const char *end;

  /* `scontrol --oneliner show job` prints Key=Value pairs. */
  for (;;)
    {
      start = strstr (start, name);
      if (start == NULL)
        return NULL;
      if ((start == line || start[-1] == ' ') && start[len] == '=')
        break;
      start += len;
    }
  start += len + 1;
  end = start + strcspn (start, " \n");
  return g_strndup (start, end - start);
}

static void request_finish_lost (Request *request, const char *state_line);
static void diagnose (Request *request);

static gboolean
diagnose_again_cb (gpointer data)
{
  diagnose (data);
  return G_SOURCE_REMOVE;
}

static void
diagnose_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Request *request = user_data;
  g_autofree char *out = NULL;
  g_autofree char *state = NULL;

  if (!g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result,
                                             &out, NULL, NULL))
    {
      request_finish_lost (request, NULL);
      return;
    }
  if (request->job_id == NULL)
    {
      /* squeue gave the id of the job with our name. */
      g_strstrip (out);
      if (*out == '\0' || strchr (out, '\n') != NULL)
        {
          request_finish_lost (request, NULL);
          return;
        }
      request->job_id = g_steal_pointer (&out);
      diagnose (request);
      return;
    }
  state = field (out, "JobState");
  if (state != NULL
      && (g_str_equal (state, "RUNNING") || g_str_equal (state, "COMPLETING")
          || g_str_equal (state, "PENDING")
          || g_str_equal (state, "CONFIGURING"))
      && ++request->diagnose_tries < DIAGNOSE_TRIES)
    {
      GSource *source = g_timeout_source_new (DIAGNOSE_INTERVAL_MS);

      g_source_set_callback (source, diagnose_again_cb, request, NULL);
      g_source_attach (source, request->context);
      g_source_unref (source);
      return;
    }
  request_finish_lost (request, out);
}

/* srun ended without a result: ask Slurm what became of the job. */
static void
diagnose (Request *request)
{
  JobSlurmBackend *self = request->backend;
  g_autoptr (GSubprocess) process = NULL;
  g_autofree char *name_arg = NULL;

  if (request->job_id == NULL)
    {
      if (self->squeue_path == NULL)
        {
          request_finish_lost (request, NULL);
          return;
        }
      name_arg = g_strdup_printf ("--name=%s", request->name);
      process = g_subprocess_new (
          G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
          NULL, self->squeue_path, "--noheader", "--states=all", name_arg,
          "--format=%i", NULL);
    }
  else
    process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                    | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                NULL, self->scontrol_path, "--oneliner", "show",
                                "job", request->job_id, NULL);
  if (process == NULL)
    {
      request_finish_lost (request, NULL);
      return;
    }
  g_subprocess_communicate_utf8_async (process, NULL, NULL, diagnose_cb,
                                       request);
}

static void
request_done (Request *request)
{
  remove_spool (request);
  release_slot (request);
  request_unref (request);
}

static void
request_finish_lost (Request *request, const char *state_line)
{
  g_autofree char *state = NULL, *reason = NULL, *exit_code = NULL;
  g_autofree char *tail = tail_text (request);
  g_autofree char *how = NULL;
  int code = JOB_WORKER_ERROR_CRASHED;
  int status = g_subprocess_get_if_exited (request->process)
                   ? g_subprocess_get_exit_status (request->process)
                   : -1;

  if (state_line != NULL)
    {
      state = field (state_line, "JobState");
      reason = field (state_line, "Reason");
      exit_code = field (state_line, "ExitCode");
    }
  if (state == NULL)
    {
      /* Slurm never had the job: srun could not submit it. */
      fail_request (
          request,
          g_error_new (JOB_WORKER_ERROR,
                       request->job_id == NULL ? JOB_WORKER_ERROR_SPAWN
                                               : JOB_WORKER_ERROR_CRASHED,
                       "Task %s did not run on Slurm: srun exited with "
                       "status %d and no result%s",
                       G_OBJECT_TYPE_NAME (request->job_task), status, tail));
      request_done (request);
      return;
    }
  if (g_str_equal (state, "TIMEOUT") || g_str_equal (state, "DEADLINE"))
    code = JOB_WORKER_ERROR_TIMED_OUT;
  else if (g_str_equal (state, "CANCELLED") || g_str_equal (state, "PREEMPTED"))
    code = JOB_WORKER_ERROR_CANCELLED;
  how = g_strdup_printf (
      "Slurm job %s (%s) ended in state %s, reason %s, exit code %s "
      "(signal after the colon)",
      request->job_id, request->name, state, reason != NULL ? reason : "None",
      exit_code != NULL ? exit_code : "unknown");
  fail_request (request,
                g_error_new (JOB_WORKER_ERROR, code,
                             "Task %s did not finish: %s; srun exited with "
                             "status %d%s",
                             G_OBJECT_TYPE_NAME (request->job_task), how,
                             status, tail));
  request_done (request);
}

static void
request_exited (Request *request)
{
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;

  if (g_atomic_int_get (&request->done))
    {
      request_done (request);
      return;
    }
  if (read_result (request, &result, &error))
    {
      request_complete (request, g_steal_pointer (&result),
                        g_steal_pointer (&error), FALSE);
      request_done (request);
      return;
    }
  diagnose (request);
}

static void
io_done (Request *request)
{
  if (--request->pending_io == 0)
    request_exited (request);
}

static void
wait_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  io_done (user_data);
}

static void
read_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Request *request = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, NULL);

  if (n <= 0)
    {
      io_done (request);
      return;
    }
  g_byte_array_append (request->tail, request->read_buffer, n);
  if (request->tail->len > TAIL_SIZE)
    g_byte_array_remove_range (request->tail, 0,
                               request->tail->len - TAIL_SIZE);
  g_input_stream_read_async (G_INPUT_STREAM (object), request->read_buffer,
                             TAIL_SIZE, G_PRIORITY_DEFAULT, NULL, read_cb,
                             request);
}

static char *
format_time_limit (guint seconds)
{
  /* Slurm takes minutes:seconds (and counts whole minutes). */
  return g_strdup_printf ("%u:%02u", seconds / 60, seconds % 60);
}

static char **
srun_environ (JobSlurmBackend *self)
{
  g_auto (GStrv) parent = g_get_environ ();
  g_autoptr (GStrvBuilder) allow = g_strv_builder_new ();
  g_auto (GStrv) patterns = NULL;
  char **env;

  /* The task's own variables, and srun's configuration (SLURM_CONF, …):
   * the worker drops the latter. */
  g_strv_builder_addv (allow, (const char **) self->env_allowlist);
  g_strv_builder_add (allow, "SLURM_*");
  patterns = g_strv_builder_end (allow);
  env = job_environ_filter ((const char *const *) parent,
                            (const char *const *) patterns);
  /* Inside an allocation (a `job build` run from salloc or sbatch), srun
   * would start a step of it instead of a job of its own. */
  env = g_environ_unsetenv (env, "SLURM_JOB_ID");
  env = g_environ_unsetenv (env, "SLURM_JOBID");
  return env;
}

static gboolean
request_start_cb (gpointer data)
{
  request_start (data);
  return G_SOURCE_REMOVE;
}

/* In the request's context, holding a slot. */
static void
request_start (Request *request)
{
  JobSlurmBackend *self = request->backend;
  static guint serial;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *task_path = NULL, *result_path = NULL;
  g_auto (GStrv) env = NULL;
  g_auto (GStrv) dirs = NULL;
  GSubprocess *process;
  GInputStream *stream;
  guint n_frames;
  g_autofree GBytes **parts = NULL;

  if (g_atomic_int_get (&request->done))
    {
      request_done (request);
      return;
    }

  request->name =
      g_strdup_printf ("libjob-%s-%ld-%u", g_get_host_name (), (long) getpid (),
                       g_atomic_int_add (&serial, 1));
  if (g_mkdir_with_parents (self->spool_dir, 0700) != 0)
    {
      int saved_errno = errno;

      fail_request (request,
                    g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_SPAWN,
                                 "Cannot create the spool directory %s: %s; "
                                 "set spool-dir to a directory every node "
                                 "shares",
                                 self->spool_dir, g_strerror (saved_errno)));
      request_done (request);
      return;
    }
  request->dir = g_build_filename (self->spool_dir, request->name, NULL);
  if (g_mkdir (request->dir, 0700) != 0)
    {
      int saved_errno = errno;

      fail_request (request,
                    g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_SPAWN,
                                 "Cannot create %s: %s", request->dir,
                                 g_strerror (saved_errno)));
      g_clear_pointer (&request->dir, g_free);
      request_done (request);
      return;
    }

  task_path = g_build_filename (request->dir, "task", NULL);
  result_path = g_build_filename (request->dir, "result", NULL);
  n_frames = job_pickle_frames_get_n_frames (request->frames);
  parts = g_new (GBytes *, n_frames + 1);
  parts[0] = job_pickle_frames_get_header (request->frames);
  for (guint i = 0; i < n_frames; i++)
    parts[i + 1] = job_pickle_frames_get_frame (request->frames, i);
  if (!job_spool_file_write (task_path, JOB_SPOOL_FILE_TASK, NULL, parts,
                             n_frames + 1, &error))
    {
      fail_request (request,
                    g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_SPAWN,
                                 "Cannot hand task %s to Slurm: %s",
                                 G_OBJECT_TYPE_NAME (request->job_task),
                                 error->message));
      request_done (request);
      return;
    }
  g_clear_pointer (&request->frames, job_pickle_frames_unref);

  g_ptr_array_add (argv, g_strdup (self->srun_path));
  g_ptr_array_add (argv, g_strdup ("--quiet"));
  g_ptr_array_add (argv, g_strdup ("--ntasks=1"));
  g_ptr_array_add (argv, g_strdup_printf ("--job-name=%s", request->name));
  if (self->partition != NULL && *self->partition != '\0')
    g_ptr_array_add (argv, g_strdup_printf ("--partition=%s", self->partition));
  if (self->time_limit > 0)
    {
      g_autofree char *limit = format_time_limit (self->time_limit);

      g_ptr_array_add (argv, g_strdup_printf ("--time=%s", limit));
    }
  for (guint i = 0; self->srun_args != NULL && self->srun_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (self->srun_args[i]));
  g_ptr_array_add (argv, g_strdup (self->worker_path));
  g_ptr_array_add (argv, g_strdup_printf ("--oneshot=%s", task_path));
  g_ptr_array_add (argv, g_strdup_printf ("--output=%s", result_path));
  dirs = job_module_dup_default_dirs ();
  for (guint i = 0; dirs[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup_printf ("--plugin-dir=%s", dirs[i]));
  for (guint i = 0; self->env_allowlist[i] != NULL; i++)
    g_ptr_array_add (argv,
                     g_strdup_printf ("--keep-env=%s", self->env_allowlist[i]));
  g_ptr_array_add (argv, NULL);

  env = srun_environ (self);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_environ (launcher, env);

  g_mutex_lock (&self->mutex);
  if (g_atomic_int_get (&request->done))
    process = NULL;
  else
    process = g_subprocess_launcher_spawnv (
        launcher, (const char *const *) argv->pdata, &error);
  request->process = process;
  g_mutex_unlock (&self->mutex);
  if (process == NULL)
    {
      if (error != NULL)
        fail_request (request,
                      g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_SPAWN,
                                   "Cannot run %s: %s", self->srun_path,
                                   error->message));
      request_done (request);
      return;
    }

  request->tail = g_byte_array_new ();
  request->read_buffer = g_malloc (TAIL_SIZE);
  request->pending_io = 2;
  stream = g_subprocess_get_stdout_pipe (process);
  g_input_stream_read_async (stream, request->read_buffer, TAIL_SIZE,
                             G_PRIORITY_DEFAULT, NULL, read_cb, request);
  g_subprocess_wait_async (process, NULL, wait_cb, request);
}

static void
fail_queue (JobSlurmBackend *self, GQueue *failed, int code, const char *why)
{
  Request *request;

  while ((request = g_queue_pop_head (failed)) != NULL)
    {
      fail_request (request, g_error_new (JOB_WORKER_ERROR, code, "%s", why));
      request_done (request);
    }
}

typedef struct
{
  JobSlurmBackend *backend;
  GSubprocess *process;
  GSource *timeout;
  gboolean timed_out;
} Probe;

static void
probe_done (Probe *probe, const char *failure)
{
  JobSlurmBackend *self = probe->backend;

  if (probe->timeout != NULL)
    {
      g_source_destroy (probe->timeout);
      g_source_unref (probe->timeout);
    }
  g_mutex_lock (&self->mutex);
  if (failure == NULL)
    {
      self->probe = PROBE_DONE;
      g_mutex_unlock (&self->mutex);
    }
  else
    {
      GQueue failed = self->queue;

      /* Try again at the next submission: the controller may come back. */
      self->probe = PROBE_NONE;
      g_queue_init (&self->queue);
      g_mutex_unlock (&self->mutex);
      fail_queue (self, &failed, JOB_WORKER_ERROR_SPAWN, failure);
    }
  g_clear_object (&probe->process);
  g_free (probe);
  pump (self);
  g_object_unref (self);
}

static void
probe_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Probe *probe = user_data;
  JobSlurmBackend *self = probe->backend;
  g_autofree char *out = NULL;
  g_autofree char *failure = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result,
                                             &out, NULL, &error))
    failure =
        g_strdup_printf ("Cannot ask the Slurm controller: %s", error->message);
  else if (probe->timed_out)
    failure = g_strdup_printf (
        "The Slurm controller did not answer “%s ping” within %u s; check "
        "that slurmctld runs and that SLURM_CONF names the cluster's "
        "configuration",
        self->scontrol_path, self->controller_timeout);
  else if (!g_subprocess_get_successful (G_SUBPROCESS (object)))
    failure = g_strdup_printf (
        "The Slurm controller is not reachable: “%s ping” said: %s; check "
        "that slurmctld runs and that SLURM_CONF names the cluster's "
        "configuration",
        self->scontrol_path, out != NULL ? g_strstrip (out) : "");
  probe_done (probe, failure);
}

static gboolean
probe_timeout_cb (gpointer data)
{
  Probe *probe = data;

  probe->timed_out = TRUE;
  g_subprocess_force_exit (probe->process);
  return G_SOURCE_REMOVE;
}

static char *
find_command (const char *name, GString *missing)
{
  char *path = g_find_program_in_path (name);

  if (path == NULL)
    g_string_append_printf (missing, "%s%s", missing->len > 0 ? ", " : "",
                            name);
  return path;
}

/* In the context of the request that needs it. */
static void
probe_start (JobSlurmBackend *self)
{
  g_autoptr (GString) missing = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *failure = NULL;
  Probe *probe = g_new0 (Probe, 1);

  probe->backend = g_object_ref (self);
  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->srun_path, g_free);
  g_clear_pointer (&self->scontrol_path, g_free);
  g_clear_pointer (&self->squeue_path, g_free);
  g_clear_pointer (&self->scancel_path, g_free);
  self->srun_path = find_command ("srun", missing);
  self->scontrol_path = find_command ("scontrol", missing);
  self->squeue_path = find_command ("squeue", missing);
  self->scancel_path = find_command ("scancel", missing);
  g_mutex_unlock (&self->mutex);

  if (missing->len > 0)
    {
      failure = g_strdup_printf (
          "The Slurm commands %s are not on PATH; install Slurm's client "
          "commands (Debian: slurm-client) or add their directory to PATH",
          missing->str);
      probe_done (probe, failure);
      return;
    }

  probe->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                         | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                                     &error, self->scontrol_path, "ping", NULL);
  if (probe->process == NULL)
    {
      failure = g_strdup_printf ("Cannot run %s: %s", self->scontrol_path,
                                 error->message);
      probe_done (probe, failure);
      return;
    }
  probe->timeout = g_timeout_source_new_seconds (self->controller_timeout);
  g_source_set_callback (probe->timeout, probe_timeout_cb, probe, NULL);
  g_source_attach (probe->timeout, g_main_context_get_thread_default ());
  g_subprocess_communicate_utf8_async (probe->process, NULL, NULL, probe_cb,
                                       probe);
}

/* Starts what the probe and the slots allow. */
static void
pump (JobSlurmBackend *self)
{
  GQueue ready = G_QUEUE_INIT;
  gboolean probe = FALSE;
  Request *request;

  g_mutex_lock (&self->mutex);
  if (self->probe == PROBE_NONE && self->queue.length > 0)
    {
      self->probe = PROBE_RUNNING;
      probe = TRUE;
    }
  else if (self->probe == PROBE_DONE)
    while (self->in_flight < self->max_jobs_in_flight
           && (request = g_queue_pop_head (&self->queue)) != NULL)
      {
        request->holds_slot = TRUE;
        self->in_flight++;
        g_queue_push_tail (&ready, request);
      }
  g_mutex_unlock (&self->mutex);

  if (probe)
    probe_start (self);
  while ((request = g_queue_pop_head (&ready)) != NULL)
    invoke_in (request->context, request_start_cb, request);
}

static void
job_slurm_backend_submit_async (JobBackend *backend,
                                JobTask *task,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  JobSlurmBackend *self = JOB_SLURM_BACKEND (backend);
  g_autoptr (GError) error = NULL;
  Request *request = g_new0 (Request, 1);
  gboolean shut_down;

  g_atomic_ref_count_init (&request->ref_count);
  request->backend = g_object_ref (self);
  request->job_task = g_object_ref (task);
  request->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (request->task, job_slurm_backend_submit_async);
  g_task_set_check_cancellable (request->task, FALSE);
  request->context = g_main_context_ref (g_task_get_context (request->task));

  job_backend_emit_submitted (backend, self->creation_context, task);

  g_mutex_lock (&self->mutex);
  shut_down = self->shut_down;
  g_mutex_unlock (&self->mutex);
  if (shut_down)
    {
      fail_request (
          request,
          g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_SHUTDOWN,
                       "Task %s was submitted to a backend that was shut down",
                       G_OBJECT_TYPE_NAME (task)));
      request_unref (request);
      return;
    }

  request->frames = job_pickle_dump_frames (G_OBJECT (task), 0, &error);
  if (request->frames == NULL)
    {
      fail_request (
          request, g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK,
                                "Task %s cannot be pickled: %s",
                                G_OBJECT_TYPE_NAME (task), error->message));
      request_unref (request);
      return;
    }

  if (cancellable != NULL)
    {
      request->cancellable = g_object_ref (cancellable);
      request->cancelled_id = g_cancellable_connect (
          cancellable, G_CALLBACK (request_cancelled_cb), request_ref (request),
          (GDestroyNotify) request_unref);
      if (g_atomic_int_get (&request->done))
        {
          request_unref (request);
          return;
        }
    }

  g_mutex_lock (&self->mutex);
  g_queue_push_tail (&self->queue, request);
  g_mutex_unlock (&self->mutex);
  pump (self);
}

static JobResult *
job_slurm_backend_submit_finish (JobBackend *backend,
                                 GAsyncResult *result,
                                 GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
job_slurm_backend_shutdown (JobBackend *backend, gboolean wait)
{
  JobSlurmBackend *self = JOB_SLURM_BACKEND (backend);
  GQueue failed;
  gboolean first;

  g_mutex_lock (&self->mutex);
  first = !self->shut_down;
  self->shut_down = TRUE;
  failed = self->queue;
  g_queue_init (&self->queue);
  g_mutex_unlock (&self->mutex);

  fail_queue (self, &failed, JOB_WORKER_ERROR_SHUTDOWN,
              "The task was still queued when the backend was shut down");

  /* Running jobs finish; their callbacks run in their contexts. */
  if (wait)
    for (;;)
      {
        guint in_flight;

        g_mutex_lock (&self->mutex);
        in_flight = self->in_flight;
        g_mutex_unlock (&self->mutex);
        if (in_flight == 0)
          break;
        g_main_context_iteration (self->creation_context, TRUE);
      }
  if (first)
    job_backend_emit_shutdown (backend, self->creation_context);
}

static void
job_slurm_backend_backend_init (JobBackendInterface *iface)
{
  iface->submit_async = job_slurm_backend_submit_async;
  iface->submit_finish = job_slurm_backend_submit_finish;
  iface->shutdown = job_slurm_backend_shutdown;
}

static void
job_slurm_backend_constructed (GObject *object)
{
  JobSlurmBackend *self = JOB_SLURM_BACKEND (object);

  G_OBJECT_CLASS (job_slurm_backend_parent_class)->constructed (object);

  if (self->spool_dir == NULL || *self->spool_dir == '\0')
    {
      g_free (self->spool_dir);
      self->spool_dir = g_build_filename (g_get_user_cache_dir (), "libjob",
                                          "slurm-spool", NULL);
    }
  if (self->worker_path == NULL || *self->worker_path == '\0')
    {
      g_free (self->worker_path);
      self->worker_path = job_default_worker_path ();
    }
  if (self->env_allowlist == NULL)
    self->env_allowlist = g_strdupv ((char **) job_default_env_allowlist ());
  if (self->srun_args == NULL)
    self->srun_args = g_new0 (char *, 1);
}

static void
job_slurm_backend_finalize (GObject *object)
{
  JobSlurmBackend *self = JOB_SLURM_BACKEND (object);

  g_free (self->partition);
  g_free (self->spool_dir);
  g_strfreev (self->srun_args);
  g_free (self->worker_path);
  g_strfreev (self->env_allowlist);
  g_free (self->srun_path);
  g_free (self->scontrol_path);
  g_free (self->squeue_path);
  g_free (self->scancel_path);
  g_mutex_clear (&self->mutex);
  g_main_context_unref (self->creation_context);
  G_OBJECT_CLASS (job_slurm_backend_parent_class)->finalize (object);
}

static void
job_slurm_backend_get_property (GObject *object,
                                guint prop_id,
                                GValue *value,
                                GParamSpec *pspec)
{
  JobSlurmBackend *self = JOB_SLURM_BACKEND (object);

  switch (prop_id)
    {
    case PROP_PARTITION:
      g_value_set_string (value, self->partition);
      break;
    case PROP_SPOOL_DIR:
      g_value_set_string (value, self->spool_dir);
      break;
    case PROP_TIME_LIMIT:
      g_value_set_uint (value, self->time_limit);
      break;
    case PROP_SRUN_ARGS:
      g_value_set_boxed (value, self->srun_args);
      break;
    case PROP_MAX_JOBS_IN_FLIGHT:
      g_value_set_uint (value, self->max_jobs_in_flight);
      break;
    case PROP_WORKER_PATH:
      g_value_set_string (value, self->worker_path);
      break;
    case PROP_ENV_ALLOWLIST:
      g_value_set_boxed (value, self->env_allowlist);
      break;
    case PROP_CONTROLLER_TIMEOUT:
      g_value_set_uint (value, self->controller_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_slurm_backend_set_property (GObject *object,
                                guint prop_id,
                                const GValue *value,
                                GParamSpec *pspec)
{
  JobSlurmBackend *self = JOB_SLURM_BACKEND (object);

  switch (prop_id)
    {
    case PROP_PARTITION:
      g_free (self->partition);
      self->partition = g_value_dup_string (value);
      break;
    case PROP_SPOOL_DIR:
      g_free (self->spool_dir);
      self->spool_dir = g_value_dup_string (value);
      break;
    case PROP_TIME_LIMIT:
      self->time_limit = g_value_get_uint (value);
      break;
    case PROP_SRUN_ARGS:
      g_strfreev (self->srun_args);
      self->srun_args = g_value_dup_boxed (value);
      break;
    case PROP_MAX_JOBS_IN_FLIGHT:
      self->max_jobs_in_flight = g_value_get_uint (value);
      break;
    case PROP_WORKER_PATH:
      g_free (self->worker_path);
      self->worker_path = g_value_dup_string (value);
      break;
    case PROP_ENV_ALLOWLIST:
      g_strfreev (self->env_allowlist);
      self->env_allowlist = g_value_dup_boxed (value);
      break;
    case PROP_CONTROLLER_TIMEOUT:
      self->controller_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_slurm_backend_class_init (JobSlurmBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags =
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = job_slurm_backend_constructed;
  object_class->finalize = job_slurm_backend_finalize;
  object_class->get_property = job_slurm_backend_get_property;
  object_class->set_property = job_slurm_backend_set_property;

  /**
   * JobSlurmBackend:partition: (getter get_partition)
   *
   * The Slurm partition jobs run in (`srun --partition`); %NULL (the
   * default) for the cluster's default partition.
   */
  properties[PROP_PARTITION] =
      g_param_spec_string ("partition", NULL, NULL, NULL, flags);

  /**
   * JobSlurmBackend:spool-dir: (getter get_spool_dir)
   *
   * The directory where tasks and results are handed over, one
   * subdirectory per task, removed once its result is read. Every node must
   * see it at the same path (a shared file system). %NULL (the default)
   * for `libjob/slurm-spool` in the user's cache directory.
   */
  properties[PROP_SPOOL_DIR] =
      g_param_spec_string ("spool-dir", NULL, NULL, NULL, flags);

  /**
   * JobSlurmBackend:time-limit: (getter get_time_limit)
   *
   * The time limit of each job, in seconds (`srun --time`); 0 (the
   * default) for the partition's. Slurm counts whole minutes and checks
   * limits about every 30 seconds, so a job may run up to a minute and a
   * half longer. A job that exceeds it fails with
   * %JOB_WORKER_ERROR_TIMED_OUT.
   */
  properties[PROP_TIME_LIMIT] =
      g_param_spec_uint ("time-limit", NULL, NULL, 0, G_MAXUINT, 0, flags);

  /**
   * JobSlurmBackend:srun-args: (getter get_srun_args)
   *
   * More `srun` arguments, put before the worker's command line: an
   * account, a QOS, `--cpus-per-task=4`, `--mem=8G`, constraints…
   */
  properties[PROP_SRUN_ARGS] =
      g_param_spec_boxed ("srun-args", NULL, NULL, G_TYPE_STRV, flags);

  /**
   * JobSlurmBackend:max-jobs-in-flight: (getter get_max_jobs_in_flight)
   *
   * The most jobs submitted to Slurm at once, running or pending there;
   * further tasks wait in this process.
   */
  properties[PROP_MAX_JOBS_IN_FLIGHT] = g_param_spec_uint (
      "max-jobs-in-flight", NULL, NULL, 1, 100000, 64, flags);

  /**
   * JobSlurmBackend:worker-path: (getter get_worker_path)
   *
   * The `job-worker` program, as the nodes see it. Defaults to
   * `$JOB_WORKER_PATH` if set, else to the worker installed with libjob
   * (or the one of the build tree libjob runs from).
   */
  properties[PROP_WORKER_PATH] =
      g_param_spec_string ("worker-path", NULL, NULL, NULL, flags);

  /**
   * JobSlurmBackend:env-allowlist: (getter get_env_allowlist)
   *
   * The environment variables of this process that tasks see, as in
   * [property@Job.WorkerPool:env-allowlist]; %NULL (the default) for the
   * same default list. Slurm's own variables are dropped.
   */
  properties[PROP_ENV_ALLOWLIST] =
      g_param_spec_boxed ("env-allowlist", NULL, NULL, G_TYPE_STRV, flags);

  /**
   * JobSlurmBackend:controller-timeout: (getter get_controller_timeout)
   *
   * How long, in seconds, the first submission waits for the controller
   * to answer `scontrol ping` before it fails with
   * %JOB_WORKER_ERROR_SPAWN.
   */
  properties[PROP_CONTROLLER_TIMEOUT] =
      g_param_spec_uint ("controller-timeout", NULL, NULL, 1, 3600, 10, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_slurm_backend_init (JobSlurmBackend *self)
{
  self->creation_context = g_main_context_ref_thread_default ();
  self->max_jobs_in_flight = 64;
  self->controller_timeout = 10;
  g_mutex_init (&self->mutex);
  g_queue_init (&self->queue);
}

/**
 * job_slurm_backend_new:
 * @partition: (nullable): the partition jobs run in, or %NULL for the
 *   cluster's default
 * @spool_dir: (nullable) (type filename): a directory every node shares,
 *   or %NULL for the default
 *
 * Creates a Slurm backend; set its other properties with g_object_new().
 *
 * Returns: (transfer full): a new #JobSlurmBackend
 */
JobSlurmBackend *
job_slurm_backend_new (const char *partition, const char *spool_dir)
{
  return g_object_new (JOB_TYPE_SLURM_BACKEND, "partition", partition,
                       "spool-dir", spool_dir, NULL);
}

/**
 * job_slurm_backend_get_partition:
 * @self: a #JobSlurmBackend
 *
 * Gets [property@Job.SlurmBackend:partition].
 *
 * Returns: (transfer none) (nullable): the partition
 */
const char *
job_slurm_backend_get_partition (JobSlurmBackend *self)
{
  g_return_val_if_fail (JOB_IS_SLURM_BACKEND (self), NULL);
  return self->partition;
}

/**
 * job_slurm_backend_get_spool_dir:
 * @self: a #JobSlurmBackend
 *
 * Gets [property@Job.SlurmBackend:spool-dir].
 *
 * Returns: (transfer none) (type filename): the spool directory
 */
const char *
job_slurm_backend_get_spool_dir (JobSlurmBackend *self)
{
  g_return_val_if_fail (JOB_IS_SLURM_BACKEND (self), NULL);
  return self->spool_dir;
}

/**
 * job_slurm_backend_get_time_limit:
 * @self: a #JobSlurmBackend
 *
 * Gets [property@Job.SlurmBackend:time-limit].
 *
 * Returns: the time limit in seconds, or 0 for the partition's
 */
guint
job_slurm_backend_get_time_limit (JobSlurmBackend *self)
{
  g_return_val_if_fail (JOB_IS_SLURM_BACKEND (self), 0);
  return self->time_limit;
}

/**
 * job_slurm_backend_get_srun_args:
 * @self: a #JobSlurmBackend
 *
 * Gets [property@Job.SlurmBackend:srun-args].
 *
 * Returns: (transfer none) (array zero-terminated=1): the extra arguments
 */
const char *const *
job_slurm_backend_get_srun_args (JobSlurmBackend *self)
{
  g_return_val_if_fail (JOB_IS_SLURM_BACKEND (self), NULL);
  return (const char *const *) self->srun_args;
}

/**
 * job_slurm_backend_get_max_jobs_in_flight:
 * @self: a #JobSlurmBackend
 *
 * Gets [property@Job.SlurmBackend:max-jobs-in-flight].
 *
 * Returns: the most jobs submitted at once
 */
guint
job_slurm_backend_get_max_jobs_in_flight (JobSlurmBackend *self)
{
  g_return_val_if_fail (JOB_IS_SLURM_BACKEND (self), 0);
  return self->max_jobs_in_flight;
}

/**
 * job_slurm_backend_get_worker_path:
 * @self: a #JobSlurmBackend
 *
 * Gets [property@Job.SlurmBackend:worker-path].
 *
 * Returns: (transfer none) (type filename): the worker program
 */
const char *
job_slurm_backend_get_worker_path (JobSlurmBackend *self)
{
  g_return_val_if_fail (JOB_IS_SLURM_BACKEND (self), NULL);
  return self->worker_path;
}

/**
 * job_slurm_backend_get_env_allowlist:
 * @self: a #JobSlurmBackend
 *
 * Gets [property@Job.SlurmBackend:env-allowlist].
 *
 * Returns: (transfer none) (array zero-terminated=1): the allowlist
 */
const char *const *
job_slurm_backend_get_env_allowlist (JobSlurmBackend *self)
{
  g_return_val_if_fail (JOB_IS_SLURM_BACKEND (self), NULL);
  return (const char *const *) self->env_allowlist;
}

/**
 * job_slurm_backend_get_controller_timeout:
 * @self: a #JobSlurmBackend
 *
 * Gets [property@Job.SlurmBackend:controller-timeout].
 *
 * Returns: the timeout in seconds
 */
guint
job_slurm_backend_get_controller_timeout (JobSlurmBackend *self)
{
  g_return_val_if_fail (JOB_IS_SLURM_BACKEND (self), 0);
  return self->controller_timeout;
}
