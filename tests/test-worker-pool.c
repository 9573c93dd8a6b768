/* test-worker-pool.c: JobWorkerPool, and what both backends must share */

#define _GNU_SOURCE /* memmem */

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-backend-util.h"
#include "job-python-private.h"
#include "test-time-scale.h"

static JobBackend *
backend_new (const char *kind)
{
  if (g_str_equal (kind, "inline"))
    return JOB_BACKEND (
        g_object_new (JOB_TYPE_INLINE_BACKEND, "max-threads", 2, NULL));
  return JOB_BACKEND (
      g_object_new (JOB_TYPE_WORKER_POOL, "max-workers", 2, NULL));
}

static JobResult *
run (JobBackend *backend, JobTask *task, GError **error)
{
  return job_backend_submit (backend, task, NULL, error);
}

/* Behaviour both backends share. */

static void
test_echo (gconstpointer data)
{
  g_autoptr (JobBackend) backend = backend_new (data);
  g_autoptr (JobTask) task =
      test_task_new ("TestEchoTask", "text", "hello", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;

  result = run (backend, task, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (test_output_text (result), ==, "hello");
  g_assert_cmpint (job_result_get_worker_pid (result), ==,
                   test_output_number (result));
  g_assert_cmpfloat (job_result_get_wall_time (result), >=, 0);
  g_assert_cmpfloat (job_result_get_wall_time (result), <, 5);
  g_assert_cmpfloat (job_result_get_cpu_time (result), >=, 0);
  g_assert_cmpuint (job_result_get_peak_rss (result), >, 1024 * 1024);
  if (g_str_equal (data, "inline"))
    {
      g_assert_cmpstr (job_result_get_backend (result), ==, "inline");
      g_assert_cmpint (job_result_get_worker_pid (result), ==, getpid ());
    }
  else
    {
      g_assert_cmpstr (job_result_get_backend (result), ==, "worker-pool");
      g_assert_cmpint (job_result_get_worker_pid (result), !=, getpid ());
    }
}

static void
test_task_error (gconstpointer data)
{
  g_autoptr (JobBackend) backend = backend_new (data);
  g_autoptr (JobTask) task =
      test_task_new ("TestFailTask", "text", "no such thing", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;

  result = run (backend, task, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no such thing");
  g_assert_null (result);
}

static void
test_copies (gconstpointer data)
{
  g_autoptr (JobBackend) backend = backend_new (data);
  g_autoptr (GObject) mine =
      g_object_new (g_type_from_name ("TestOutput"), "text", "original", NULL);
  g_autoptr (JobTask) task =
      test_task_new ("TestMutateObjectTask", "object", mine, NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  result = run (backend, task, &error);
  g_assert_no_error (error);
  g_object_get (mine, "text", &text, NULL);
  g_assert_cmpstr (text, ==, "original");
  g_assert_true (job_result_get_output (result) != mine);
  g_assert_cmpstr (test_output_text (result), ==, "changed by the task");
}

static void
test_unpicklable (gconstpointer data)
{
  g_autoptr (JobBackend) backend = backend_new (data);
  g_autoptr (GObject) not_serializable =
      g_object_new (G_TYPE_CANCELLABLE, NULL);
  g_autoptr (JobTask) task =
      test_task_new ("TestEchoTask", "object", not_serializable, NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;

  result = run (backend, task, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK);
  g_assert_nonnull (strstr (error->message, "GCancellable"));
}

static void
test_secret_env (gconstpointer data)
{
  g_autoptr (JobBackend) backend = NULL;
  const char *argv[] = {
    "/bin/sh", "-c",
    "echo \"${AWS_SECRET_ACCESS_KEY-unset} $EXTRA ${PATH:+has-path}\"", NULL
  };
  const char *env[] = { "EXTRA=added", NULL };
  g_autoptr (JobCommandTask) task = job_command_task_new (argv);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  JobCommandOutput *output;

  g_setenv ("AWS_SECRET_ACCESS_KEY", "hunter2", TRUE);
  backend = backend_new (data);
  job_command_task_set_env (task, env);
  result = run (backend, JOB_TASK (task), &error);
  g_assert_no_error (error);
  output = JOB_COMMAND_OUTPUT (job_result_get_output (result));
  g_assert_cmpint (job_command_output_get_exit_status (output), ==, 0);
  g_assert_cmpmem (
      g_bytes_get_data (job_command_output_get_stdout (output), NULL),
      g_bytes_get_size (job_command_output_get_stdout (output)),
      "unset added has-path\n", 21);
  g_unsetenv ("AWS_SECRET_ACCESS_KEY");
}

static void
test_command (gconstpointer data)
{
  g_autoptr (JobBackend) backend = backend_new (data);
  const char *argv[] = { "/bin/sh", "-c", "pwd; cat; echo oops >&2; exit 7",
                         NULL };
  g_autoptr (JobCommandTask) task = job_command_task_new (argv);
  g_autoptr (GBytes) input = g_bytes_new_static ("fed in\n", 7);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  JobCommandOutput *output;
  const char *kill_argv[] = { "/bin/sh", "-c", "kill -TERM $$", NULL };

  job_command_task_set_cwd (task, "/");
  job_command_task_set_stdin (task, input);
  result = run (backend, JOB_TASK (task), &error);
  g_assert_no_error (error);
  output = JOB_COMMAND_OUTPUT (job_result_get_output (result));
  g_assert_cmpint (job_command_output_get_exit_status (output), ==, 7);
  g_assert_cmpint (job_command_output_get_term_signal (output), ==, 0);
  g_assert_cmpmem (
      g_bytes_get_data (job_command_output_get_stdout (output), NULL),
      g_bytes_get_size (job_command_output_get_stdout (output)), "/\nfed in\n",
      9);
  g_assert_cmpmem (
      g_bytes_get_data (job_command_output_get_stderr (output), NULL),
      g_bytes_get_size (job_command_output_get_stderr (output)), "oops\n", 5);

  g_clear_object (&result);
  job_command_task_set_argv (task, kill_argv);
  job_command_task_set_stdin (task, NULL);
  result = run (backend, JOB_TASK (task), &error);
  g_assert_no_error (error);
  output = JOB_COMMAND_OUTPUT (job_result_get_output (result));
  g_assert_cmpint (job_command_output_get_exit_status (output), ==, -1);
  g_assert_cmpint (job_command_output_get_term_signal (output), ==, SIGTERM);
}

static void
submitted_cb (JobBackend *backend, JobTask *task, gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
completed_cb (JobBackend *backend,
              JobTask *task,
              JobResult *result,
              GError *error,
              gpointer user_data)
{
  g_assert_true (result != NULL || error != NULL);
  /* Signals come on the context the backend was created in. */
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  (*(guint *) user_data)++;
}

static void
shutdown_cb (JobBackend *backend, gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
test_queue_and_signals (gconstpointer data)
{
  g_autoptr (JobBackend) backend = backend_new (data);
  enum
  {
    N = 40
  };
  TestWait waits[N] = { { 0 } };
  guint n_submitted = 0, n_completed = 0, n_shutdown = 0;

  g_signal_connect (backend, "submitted", G_CALLBACK (submitted_cb),
                    &n_submitted);
  g_signal_connect (backend, "completed", G_CALLBACK (completed_cb),
                    &n_completed);
  g_signal_connect (backend, "shutdown", G_CALLBACK (shutdown_cb), &n_shutdown);

  for (guint i = 0; i < N; i++)
    {
      g_autofree char *text = g_strdup_printf ("task %u", i);
      g_autoptr (JobTask) task =
          test_task_new ("TestEchoTask", "text", text, NULL);

      job_backend_submit_async (backend, task, NULL, test_wait_cb, &waits[i]);
    }
  for (guint i = 0; i < N; i++)
    {
      g_autofree char *text = g_strdup_printf ("task %u", i);
      g_autoptr (GError) error = NULL;
      g_autoptr (JobResult) result =
          test_wait_finish (backend, &waits[i], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (test_output_text (result), ==, text);
    }
  while (n_completed < N)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (n_submitted, ==, N);
  g_assert_cmpuint (n_completed, ==, N);

  job_backend_shutdown (backend, TRUE);
  while (n_shutdown < 1)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (n_shutdown, ==, 1);
}

static void
test_cancel (gconstpointer data)
{
  g_autoptr (JobBackend) backend = backend_new (data);
  g_autoptr (JobTask) task =
      test_task_new ("TestSleepTask", "number", 10.0, NULL);
  g_autoptr (JobTask) echo =
      test_task_new ("TestEchoTask", "text", "after", NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) result = NULL;
  TestWait wait = { 0 };
  gint64 cancelled_at;
  g_autofree char *tmpdir =
      g_strdup_printf ("%s/libjob-%u", g_get_tmp_dir (), (guint) getuid ());

  job_backend_submit_async (backend, task, cancellable, test_wait_cb, &wait);
  g_usleep (200 * 1000);
  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  result = test_wait_finish (backend, &wait, &error);
  g_assert_cmpint (g_get_monotonic_time () - cancelled_at, <,
                   100 * 1000 * test_time_scale ());
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CANCELLED);
  g_assert_null (result);

  /* Cancelled before it is even submitted. */
  g_clear_error (&error);
  result = job_backend_submit (backend, task, cancellable, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CANCELLED);

  /* The backend goes on. */
  g_clear_error (&error);
  result = run (backend, echo, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (test_output_text (result), ==, "after");

  /* No temporary file left, whichever kind was used. */
  if (g_file_test (tmpdir, G_FILE_TEST_IS_DIR))
    {
      g_autoptr (GDir) dir = g_dir_open (tmpdir, 0, NULL);

      g_assert_null (g_dir_read_name (dir));
    }
}

static void
test_big_output (gconstpointer data)
{
  g_autoptr (JobBackend) backend = backend_new (data);
  gsize size = 8 * 1024 * 1024 + 3;
  g_autoptr (JobTask) task =
      test_task_new ("TestBigTask", "number", (double) size, NULL);
  g_autoptr (GBytes) input = NULL;
  g_autoptr (JobTask) echo = NULL;
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GBytes *bytes;
  const guint8 *bytes_data;

  result = run (backend, task, &error);
  g_assert_no_error (error);
  g_object_get (job_result_get_output (result), "bytes", &bytes, NULL);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, size);
  bytes_data = g_bytes_get_data (bytes, NULL);
  g_assert_cmpuint (bytes_data[4096 * 5], ==, 5);
  g_assert_cmpuint (bytes_data[size - 1], ==, 0xAB);
  g_bytes_unref (bytes);

  /* Large input too, and one that needs both inline and mapped parts. */
  g_clear_object (&result);
  input = g_bytes_new_take (g_malloc0 (3 * 1024 * 1024), 3 * 1024 * 1024);
  echo = test_task_new ("TestEchoTask", "text", "with input", "bytes", input,
                        NULL);
  result = run (backend, echo, &error);
  g_assert_no_error (error);
  g_object_get (job_result_get_output (result), "bytes", &bytes, NULL);
  g_assert_true (g_bytes_equal (bytes, input));
  g_bytes_unref (bytes);
}

static void
test_shutdown_refuses (gconstpointer data)
{
  g_autoptr (JobBackend) backend = backend_new (data);
  g_autoptr (JobTask) task =
      test_task_new ("TestEchoTask", "text", "late", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;

  job_backend_shutdown (backend, TRUE);
  result = run (backend, task, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_SHUTDOWN);
}

/* Worker pool only. */

static JobWorkerPool *
pool_new (guint max_workers)
{
  return g_object_new (JOB_TYPE_WORKER_POOL, "max-workers", max_workers, NULL);
}

static void
test_pool_defaults (void)
{
  g_autoptr (JobWorkerPool) pool = job_worker_pool_new ();
  const char *const *allowlist = job_worker_pool_get_env_allowlist (pool);

  g_assert_cmpuint (job_worker_pool_get_max_workers (pool), ==,
                    g_get_num_processors ());
  g_assert_cmpfloat (job_worker_pool_get_task_timeout (pool), ==, 0);
  g_assert_true (g_strv_contains (allowlist, "PATH"));
  g_assert_true (g_strv_contains (allowlist, "LC_*"));
  g_assert_true (g_file_test (job_worker_pool_get_worker_path (pool),
                              G_FILE_TEST_IS_EXECUTABLE));
  g_assert_cmpuint (job_worker_pool_get_n_workers (pool), ==, 0);
}

static void
test_pool_lazy_reuse (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (2);
  gint64 first_pid = 0;

  g_assert_cmpuint (job_worker_pool_get_n_workers (pool), ==, 0);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr (JobTask) task =
          test_task_new ("TestEchoTask", "text", "x", NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (JobResult) result = run (JOB_BACKEND (pool), task, &error);

      g_assert_no_error (error);
      if (i == 0)
        first_pid = job_result_get_worker_pid (result);
      /* Sequential tasks reuse the one worker. */
      g_assert_cmpint (job_result_get_worker_pid (result), ==, first_pid);
      g_assert_cmpuint (job_worker_pool_get_n_workers (pool), ==, 1);
    }
}

static gboolean
file_contains (const char *path, const char *needle, gsize needle_len)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return memmem (contents, len, needle, needle_len) != NULL;
}

/* Tasks whose pickles name only C types never start Python: not in this
 * process, not in a worker. */
static void
test_pool_c_tasks_start_no_python (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (2);
  g_autoptr (GArray) pids = NULL;

  for (guint i = 0; i < 4; i++)
    {
      g_autoptr (JobTask) task =
          test_task_new ("TestEchoTask", "text", "x", NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (JobResult) result = run (JOB_BACKEND (pool), task, &error);

      g_assert_no_error (error);
      g_assert_nonnull (result);
    }
  g_assert_false (job_python_is_loaded ());
  pids = job_worker_pool_dup_worker_pids (pool);
  g_assert_cmpuint (pids->len, >, 0);
  for (guint i = 0; i < pids->len; i++)
    {
      gint64 pid = g_array_index (pids, gint64, i);
      g_autofree char *cmdline =
          g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/cmdline", pid);
      g_autofree char *maps =
          g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/maps", pid);

      g_assert_false (
          file_contains (cmdline, "--python", strlen ("--python") + 1));
      g_assert_false (file_contains (maps, "libpython", strlen ("libpython")));
      g_assert_false (
          file_contains (maps, "job-python-host", strlen ("job-python-host")));
    }
}

static void
test_pool_max_workers (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (2);
  enum
  {
    N = 6
  };
  TestWait waits[N] = { { 0 } };
  g_autoptr (GHashTable) pids = g_hash_table_new (g_int64_hash, g_int64_equal);
  gint64 pid_values[N];
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  for (guint i = 0; i < N; i++)
    {
      g_autoptr (JobTask) task =
          test_task_new ("TestSleepTask", "number", 0.2, NULL);

      job_backend_submit_async (JOB_BACKEND (pool), task, NULL, test_wait_cb,
                                &waits[i]);
    }
  for (guint i = 0; i < N; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JobResult) result =
          test_wait_finish (JOB_BACKEND (pool), &waits[i], &error);

      g_assert_no_error (error);
      g_assert_cmpuint (job_worker_pool_get_n_workers (pool), <=, 2);
      pid_values[i] = job_result_get_worker_pid (result);
      g_hash_table_add (pids, &pid_values[i]);
    }
  elapsed = (g_get_monotonic_time () - start) / 1e6;
  g_assert_cmpuint (g_hash_table_size (pids), ==, 2);
  /* Three rounds of two: the tasks queued. */
  g_assert_cmpfloat (elapsed, >=, 0.55);
  g_assert_cmpfloat (elapsed, <, 3);
}

static void
test_pool_idle_reaping (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (2);
  g_autoptr (JobTask) task = test_task_new ("TestEchoTask", "text", "x", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  gint64 pid, deadline;

  job_worker_pool_set_idle_timeout (pool, 0.2);
  result = run (JOB_BACKEND (pool), task, &error);
  g_assert_no_error (error);
  pid = job_result_get_worker_pid (result);
  g_assert_true (test_pid_exists (pid));
  g_assert_cmpuint (job_worker_pool_get_n_workers (pool), ==, 1);

  deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (job_worker_pool_get_n_workers (pool) > 0
         && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  g_assert_cmpuint (job_worker_pool_get_n_workers (pool), ==, 0);
  /* Reaped, not a zombie. */
  g_assert_false (test_pid_exists (pid));

  /* A new task gets a new worker. */
  g_clear_object (&result);
  result = run (JOB_BACKEND (pool), task, &error);
  g_assert_no_error (error);
  g_assert_cmpint (job_result_get_worker_pid (result), !=, pid);
}

static void
check_crash (const char *how, const char *signal_text)
{
  g_autoptr (JobWorkerPool) pool = pool_new (2);
  g_autoptr (JobTask) crash =
      test_task_new ("TestCrashTask", "text", how, "text2",
                     "last words before the crash", NULL);
  enum
  {
    N = 8
  };
  TestWait waits[N] = { { 0 } };
  TestWait crash_wait = { 0 };
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;

  /* Tasks before and after it, queued on both workers. */
  for (guint i = 0; i < N; i++)
    {
      g_autofree char *text = g_strdup_printf ("task %u", i);
      g_autoptr (JobTask) task =
          test_task_new ("TestEchoTask", "text", text, NULL);

      job_backend_submit_async (JOB_BACKEND (pool), task, NULL, test_wait_cb,
                                &waits[i]);
      if (i == N / 2)
        job_backend_submit_async (JOB_BACKEND (pool), crash, NULL, test_wait_cb,
                                  &crash_wait);
    }

  result = test_wait_finish (JOB_BACKEND (pool), &crash_wait, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CRASHED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, signal_text));
  g_assert_nonnull (strstr (error->message, "TestCrashTask"));
  g_assert_nonnull (strstr (error->message, "last words before the crash"));

  for (guint i = 0; i < N; i++)
    {
      g_autofree char *text = g_strdup_printf ("task %u", i);
      g_autoptr (GError) task_error = NULL;
      g_autoptr (JobResult) task_result =
          test_wait_finish (JOB_BACKEND (pool), &waits[i], &task_error);

      g_assert_no_error (task_error);
      g_assert_cmpstr (test_output_text (task_result), ==, text);
    }
  g_assert_cmpuint (job_worker_pool_get_n_workers (pool), <=, 2);
}

/* With one worker, the task queued behind the crashing one is sent to the
 * worker before the crash (pipelined): it never started, so it runs on the
 * next worker instead of failing with it. */
static void
test_pool_crash_pipelined (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  g_autoptr (JobTask) crash =
      test_task_new ("TestCrashTask", "text", "abort", NULL);
  g_autoptr (JobTask) after =
      test_task_new ("TestEchoTask", "text", "after", NULL);
  TestWait crash_wait = { 0 }, after_wait = { 0 };
  g_autoptr (JobResult) crash_result = NULL;
  g_autoptr (JobResult) after_result = NULL;
  g_autoptr (GError) error = NULL;

  job_backend_submit_async (JOB_BACKEND (pool), crash, NULL, test_wait_cb,
                            &crash_wait);
  job_backend_submit_async (JOB_BACKEND (pool), after, NULL, test_wait_cb,
                            &after_wait);
  crash_result = test_wait_finish (JOB_BACKEND (pool), &crash_wait, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CRASHED);
  g_clear_error (&error);
  after_result = test_wait_finish (JOB_BACKEND (pool), &after_wait, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (test_output_text (after_result), ==, "after");
}

/* Records the order in which tasks complete. */
typedef struct
{
  GPtrArray *texts;
  guint failed;
  guint pending;
} OrderWait;

static void
order_wait_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  OrderWait *wait = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) job_result =
      job_backend_submit_finish (JOB_BACKEND (object), result, &error);

  if (job_result != NULL)
    g_ptr_array_add (wait->texts, g_strdup (test_output_text (job_result)));
  else
    wait->failed++;
  wait->pending--;
  g_main_context_wakeup (NULL);
}

/* Submits @n echo tasks whose texts are "task 0", "task 1"... */
static void
submit_echoes (JobWorkerPool *pool, guint n, OrderWait *order)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("task %u", i);
      g_autoptr (JobTask) echo =
          test_task_new ("TestEchoTask", "text", text, NULL);

      job_backend_submit_async (JOB_BACKEND (pool), echo, NULL, order_wait_cb,
                                order);
    }
}

/* A worker whose tasks are short gets many sent ahead (see
 * worker_can_pipeline()). When the task before them crashes, every one of
 * them runs on the next worker, in the order they were submitted. */
static void
test_pool_crash_pipelined_deep (void)
{
  enum
  {
    N = 40
  };
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  g_autoptr (JobTask) warm =
      test_task_new ("TestEchoTask", "text", "warm", NULL);
  g_autoptr (JobTask) sleep =
      test_task_new ("TestSleepTask", "number", 0.2, NULL);
  g_autoptr (JobTask) crash =
      test_task_new ("TestCrashTask", "text", "abort", NULL);
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  TestWait wait = { 0 }, crash_wait = { 0 };
  OrderWait order = { texts, 0, N };
  gint64 first_pid;

  /* The worker's last task is short... */
  job_backend_submit_async (JOB_BACKEND (pool), warm, NULL, test_wait_cb,
                            &wait);
  result = test_wait_finish (JOB_BACKEND (pool), &wait, &error);
  g_assert_no_error (error);
  first_pid = job_result_get_worker_pid (result);
  g_clear_object (&result);

  /* ...so while it sleeps, the crash and the echoes behind it are sent. */
  job_backend_submit_async (JOB_BACKEND (pool), sleep, NULL, test_wait_cb,
                            &wait);
  job_backend_submit_async (JOB_BACKEND (pool), crash, NULL, test_wait_cb,
                            &crash_wait);
  submit_echoes (pool, N, &order);

  result = test_wait_finish (JOB_BACKEND (pool), &wait, &error);
  g_assert_no_error (error);
  g_assert_cmpint (job_result_get_worker_pid (result), ==, first_pid);
  g_clear_object (&result);
  result = test_wait_finish (JOB_BACKEND (pool), &crash_wait, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CRASHED);
  g_clear_error (&error);
  while (order.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (order.failed, ==, 0);
  g_assert_cmpuint (texts->len, ==, N);
  for (guint i = 0; i < N; i++)
    {
      g_autofree char *text = g_strdup_printf ("task %u", i);

      g_assert_cmpstr (texts->pdata[i], ==, text);
    }
}

/* No task is sent ahead to a worker whose task has run for a while: the
 * other worker, free sooner, runs them all while the long one goes on
 * (for 2 s, far longer than they take). */
static void
test_pool_pipeline_not_behind_long (void)
{
  enum
  {
    N = 10
  };
  g_autoptr (JobWorkerPool) pool = pool_new (2);
  g_autoptr (JobTask) sleep =
      test_task_new ("TestSleepTask", "number", 2.0 * test_time_scale (), NULL);
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  TestWait wait = { 0 };
  OrderWait order = { texts, 0, N };

  job_backend_submit_async (JOB_BACKEND (pool), sleep, NULL, test_wait_cb,
                            &wait);
  while (job_worker_pool_get_n_workers (pool) == 0)
    g_usleep (1000);
  g_usleep (50 * 1000);
  submit_echoes (pool, N, &order);
  while (order.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (order.failed, ==, 0);
  g_assert_null (wait.result);
  result = test_wait_finish (JOB_BACKEND (pool), &wait, &error);
  g_assert_no_error (error);
}

typedef struct
{
  JobWorkerPool *pool;
  JobTask *task;
} BlockingSubmit;

static gpointer
blocking_submit_thread (gpointer data)
{
  BlockingSubmit *submit = data;
  g_autoptr (GError) error = NULL;
  JobResult *result = job_backend_submit (JOB_BACKEND (submit->pool),
                                          submit->task, NULL, &error);

  g_assert_no_error (error);
  return result;
}

/* A blocking caller reads its reply itself while the dispatcher reads the
 * worker's other replies: a task sent ahead behind the caller's could have
 * its reply read, and dropped, before the caller's was handled. Nothing is
 * sent ahead behind such a task, so each of these completes. */
static void
test_pool_pipeline_not_behind_direct (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  g_autoptr (JobTask) sleep =
      test_task_new ("TestSleepTask", "number", 0.002, NULL);
  g_autoptr (JobTask) echo =
      test_task_new ("TestEchoTask", "text", "echo", NULL);

  for (guint i = 0; i < 30; i++)
    {
      BlockingSubmit submit = { pool, sleep };
      g_autoptr (GThread) thread = NULL;
      g_autoptr (JobResult) direct_result = NULL;
      g_autoptr (JobResult) result = NULL;
      g_autoptr (GError) error = NULL;
      TestWait wait = { 0 };
      gint64 deadline;

      thread = g_thread_new ("submit", blocking_submit_thread, &submit);
      /* Once the sleep runs, the echo is behind it. */
      g_usleep (300);
      job_backend_submit_async (JOB_BACKEND (pool), echo, NULL, test_wait_cb,
                                &wait);
      direct_result = g_thread_join (g_steal_pointer (&thread));
      g_assert_nonnull (direct_result);
      deadline =
          g_get_monotonic_time () + 10 * G_USEC_PER_SEC * test_time_scale ();
      while (wait.result == NULL && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, FALSE);
      g_assert_nonnull (wait.result);
      result = test_wait_finish (JOB_BACKEND (pool), &wait, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (test_output_text (result), ==, "echo");
    }
}

/* Tasks sent ahead never fill the worker's socket: with big tasks and
 * big outputs, neither the dispatcher nor the worker blocks on the other. */
static void
test_pool_pipeline_big_messages (void)
{
  enum
  {
    N = 64
  };
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  /* Big, but below the size that travels out of band. */
  g_autofree char *big = g_strnfill (60 * 1024, 'x');
  OrderWait order = { texts, 0, N };

  for (guint i = 0; i < N; i++)
    {
      g_autoptr (JobTask) echo =
          test_task_new ("TestEchoTask", "text", big, NULL);

      job_backend_submit_async (JOB_BACKEND (pool), echo, NULL, order_wait_cb,
                                &order);
    }
  while (order.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (order.failed, ==, 0);
  g_assert_cmpuint (texts->len, ==, N);
  for (guint i = 0; i < N; i++)
    g_assert_cmpstr (texts->pdata[i], ==, big);
}

static void
test_pool_crash_segv (void)
{
  check_crash ("segv", "SIGSEGV");
}

static void
test_pool_crash_abort (void)
{
  check_crash ("abort", "SIGABRT");
}

static void
test_pool_crash_exit (void)
{
  check_crash ("exit", "exited with status 3");
}

static void
test_pool_crash_kill (void)
{
  check_crash ("kill", "SIGKILL");
}

static void
test_pool_killed_from_outside (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  g_autoptr (JobTask) task =
      test_task_new ("TestSleepTask", "number", 10.0, NULL);
  g_autoptr (JobTask) echo =
      test_task_new ("TestEchoTask", "text", "next", NULL);
  g_autoptr (GArray) pids = NULL;
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  TestWait wait = { 0 };
  gint64 pid;

  job_backend_submit_async (JOB_BACKEND (pool), task, NULL, test_wait_cb,
                            &wait);
  while (job_worker_pool_get_n_workers (pool) == 0)
    g_usleep (1000);
  g_usleep (100 * 1000);
  pids = job_worker_pool_dup_worker_pids (pool);
  pid = g_array_index (pids, gint64, 0);
  kill (pid, SIGKILL);
  result = test_wait_finish (JOB_BACKEND (pool), &wait, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CRASHED);
  g_assert_nonnull (strstr (error->message, "SIGKILL"));

  g_clear_error (&error);
  result = run (JOB_BACKEND (pool), echo, &error);
  g_assert_no_error (error);
  g_assert_cmpint (job_result_get_worker_pid (result), !=, pid);
}

static void
test_pool_timeout (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  g_autoptr (JobTask) task =
      test_task_new ("TestSleepTask", "number", 5.0, NULL);
  g_autoptr (JobTask) echo =
      test_task_new ("TestEchoTask", "text", "next", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  guint n_submitted = 0, n_completed = 0;
  gint64 start;

  g_signal_connect (pool, "submitted", G_CALLBACK (submitted_cb), &n_submitted);
  g_signal_connect (pool, "completed", G_CALLBACK (completed_cb), &n_completed);
  job_worker_pool_set_task_timeout (pool, 0.3);
  start = g_get_monotonic_time ();
  result = run (JOB_BACKEND (pool), task, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <,
                   2 * G_USEC_PER_SEC * test_time_scale ());
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 0.29 * G_USEC_PER_SEC);

  /* Not retried: one submission, one completion; the next task runs. */
  g_clear_error (&error);
  result = run (JOB_BACKEND (pool), echo, &error);
  g_assert_no_error (error);
  while (n_completed < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (n_submitted, ==, 2);
  g_assert_cmpuint (n_completed, ==, 2);
}

static gpointer
cancel_later (gpointer data)
{
  g_usleep (200 * 1000);
  g_cancellable_cancel (data);
  return NULL;
}

/* The blocking submit to an idle worker reads the reply in the caller's
 * thread: a crash, a timeout and a cancellation there still fail only
 * their task, as on the dispatcher's way. */
static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The median cpu-time of @n tasks submitted one after another, the caller
 * busy for @gap_us between them. */
static double
median_cpu_time (JobWorkerPool *pool, JobTask *task, guint n, gint64 gap_us)
{
  g_autofree double *times = g_new (double, n);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JobResult) result = NULL;
      gint64 end = g_get_monotonic_time () + gap_us;

      while (g_get_monotonic_time () < end)
        ;
      result = job_backend_submit (JOB_BACKEND (pool), task, NULL, &error);
      g_assert_no_error (error);
      times[i] = job_result_get_cpu_time (result);
    }
  qsort (times, n, sizeof (double), compare_doubles);
  return times[n / 2];
}

/* A worker whose tasks come close behind each other polls for the next
 * one before it sleeps; the CPU it spends polling is not the next task's.
 * With the window widened to 5 ms, tasks 2 ms apart are caught while it
 * polls: had the polling counted, each would cost about 2 ms more than
 * tasks that come to a sleeping worker (30 ms apart), far more than what a
 * loaded machine adds to a no-op task. */
static void
test_pool_spin_not_counted (void)
{
  const char *allowlist[] = { "PATH", "JOB_WORKER_SPIN_US", NULL };
  g_autoptr (JobWorkerPool) pool = NULL;
  g_autoptr (JobTask) task =
      g_object_new (g_type_from_name ("TestNoopTask"), NULL);
  double asleep, polled;

  if (g_get_num_processors () < 2)
    {
      g_test_skip ("the worker polls only with another CPU beside it");
      return;
    }
  g_setenv ("JOB_WORKER_SPIN_US", "5000", TRUE);
  pool = g_object_new (JOB_TYPE_WORKER_POOL, "max-workers", 1, "env-allowlist",
                       allowlist, NULL);
  asleep = median_cpu_time (pool, task, 11, 30000);
  polled = median_cpu_time (pool, task, 51, 2000);
  g_unsetenv ("JOB_WORKER_SPIN_US");
  g_test_message ("median cpu-time: %.1f us after 30 ms, %.1f us after 2 ms",
                  asleep * 1e6, polled * 1e6);
  g_assert_cmpfloat (polled, <, asleep + 1e-3);
}

static void
test_pool_blocking_direct (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  g_autoptr (JobTask) echo =
      test_task_new ("TestEchoTask", "text", "warm", NULL);
  g_autoptr (JobTask) crash = test_task_new (
      "TestCrashTask", "text", "segv", "text2", "said before dying", NULL);
  g_autoptr (JobTask) sleep =
      test_task_new ("TestSleepTask", "number", 10.0, NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GThread) canceller = NULL;
  guint n_completed = 0;
  gint64 start;

  g_signal_connect (pool, "completed", G_CALLBACK (completed_cb), &n_completed);
  for (guint round = 0; round < 4; round++)
    {
      g_autoptr (JobResult) result = NULL;
      g_autoptr (GError) error = NULL;

      /* Warm: the worker said hello, so the next task goes direct. */
      for (guint i = 0; i < 3; i++)
        {
          g_autoptr (JobResult) warm = run (JOB_BACKEND (pool), echo, &error);

          g_assert_no_error (error);
          g_assert_cmpstr (test_output_text (warm), ==, "warm");
          g_assert_cmpint (job_result_get_worker_pid (warm), >, 0);
          g_assert_cmpuint (job_result_get_peak_rss (warm), >, 0);
        }

      start = g_get_monotonic_time ();
      switch (round)
        {
        case 0:
          result = run (JOB_BACKEND (pool), crash, &error);
          g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CRASHED);
          g_assert_nonnull (strstr (error->message, "SIGSEGV"));
          g_assert_nonnull (strstr (error->message, "said before dying"));
          break;
        case 1:
          job_worker_pool_set_task_timeout (pool, 0.3);
          result = run (JOB_BACKEND (pool), sleep, &error);
          g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_TIMED_OUT);
          job_worker_pool_set_task_timeout (pool, 0);
          break;
        case 2:
          canceller = g_thread_new ("cancel", cancel_later, cancellable);
          result = job_backend_submit (JOB_BACKEND (pool), sleep, cancellable,
                                       &error);
          g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CANCELLED);
          g_assert_cmpint (g_get_monotonic_time () - start, <,
                           (200 + 100) * 1000 * test_time_scale ());
          g_thread_join (g_steal_pointer (&canceller));
          break;
        default:
          result = run (JOB_BACKEND (pool), echo, &error);
          g_assert_no_error (error);
          break;
        }
    }
  while (n_completed < 4 * 4)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (n_completed, ==, 4 * 4);
}

/* A worker gets the descriptors of its protocol and 0-2, nothing the parent
 * happens to hold without close-on-exec. */
static void
test_pool_descriptors (void)
{
  g_autofree char *path = NULL;
  int tmp = g_file_open_tmp ("test-worker-pool-XXXXXX", &path, NULL);
  /* Above the protocol's descriptors, and without close-on-exec. */
  int leaked = fcntl (tmp, F_DUPFD, 100);
  g_autoptr (JobWorkerPool) pool = NULL;
  g_autoptr (JobTask) task = test_task_new ("TestFdsTask", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  const char *fds;

  g_assert_cmpint (leaked, >=, 100);
  close (tmp);
  pool = pool_new (1);
  result = run (JOB_BACKEND (pool), task, &error);
  g_assert_no_error (error);
  fds = test_output_text (result);
  g_test_message ("parent leaked %d (%s); worker descriptors:\n%s", leaked,
                  path, fds);
  g_assert_nonnull (strstr (fds, "\n3 socket:"));
  g_assert_null (strstr (fds, path));
  close (leaked);
  g_unlink (path);
}

static void
test_pool_isolation (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  g_autoptr (JobTask) before =
      test_task_new ("TestGetenvTask", "text", "LIBJOB_TEST_VAR", NULL);
  g_autoptr (JobTask) mutate = test_task_new (
      "TestMutateTask", "text", "LIBJOB_TEST_VAR", "text2", "/", NULL);
  g_autoptr (JobTask) home =
      test_task_new ("TestMutateTask", "text", "HOME", "text2", "/tmp", NULL);
  g_autoptr (JobTask) after =
      test_task_new ("TestGetenvTask", "text", "LIBJOB_TEST_VAR", NULL);
  g_autoptr (JobTask) after_home =
      test_task_new ("TestGetenvTask", "text", "HOME", NULL);
  g_autoptr (JobResult) r_before = NULL, r_mutate = NULL, r_home = NULL,
                        r_after = NULL, r_after_home = NULL;
  g_autoptr (GError) error = NULL;
  GBytes *cwd_before, *cwd_after;

  r_before = run (JOB_BACKEND (pool), before, &error);
  g_assert_no_error (error);
  r_mutate = run (JOB_BACKEND (pool), mutate, &error);
  g_assert_no_error (error);
  r_home = run (JOB_BACKEND (pool), home, &error);
  g_assert_no_error (error);
  r_after = run (JOB_BACKEND (pool), after, &error);
  g_assert_no_error (error);
  r_after_home = run (JOB_BACKEND (pool), after_home, &error);
  g_assert_no_error (error);

  /* Same worker throughout. */
  g_assert_cmpint (job_result_get_worker_pid (r_before), ==,
                   job_result_get_worker_pid (r_after));
  g_assert_null (test_output_text (r_after));
  g_assert_cmpstr (test_output_text (r_after_home), ==, g_getenv ("HOME"));
  /* umask is restored too. */
  g_assert_cmpint (test_output_number (r_after), ==,
                   test_output_number (r_before));
  g_object_get (job_result_get_output (r_before), "bytes", &cwd_before, NULL);
  g_object_get (job_result_get_output (r_after), "bytes", &cwd_after, NULL);
  g_assert_true (g_bytes_equal (cwd_before, cwd_after));
  g_bytes_unref (cwd_before);
  g_bytes_unref (cwd_after);
}

static void
test_pool_isolation_empty_environ (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  g_autoptr (JobTask) mutate = test_task_new (
      "TestMutateTask", "text", "LIBJOB_TEST_VAR", "text2", "/", NULL);
  g_autoptr (JobTask) after =
      test_task_new ("TestGetenvTask", "text", "LIBJOB_TEST_VAR", NULL);
  g_autoptr (JobTask) path =
      test_task_new ("TestGetenvTask", "text", "PATH", NULL);
  g_autoptr (JobResult) r_mutate = NULL, r_after = NULL, r_path = NULL;
  g_autoptr (GError) error = NULL;
  const char *nothing[] = { NULL };

  /* A worker with no environment at all, twice changed and restored. */
  job_worker_pool_set_env_allowlist (pool, nothing);
  for (guint i = 0; i < 2; i++)
    {
      g_clear_object (&r_mutate);
      g_clear_object (&r_after);
      r_mutate = run (JOB_BACKEND (pool), mutate, &error);
      g_assert_no_error (error);
      r_after = run (JOB_BACKEND (pool), after, &error);
      g_assert_no_error (error);
      g_assert_null (test_output_text (r_after));
      g_assert_cmpint (job_result_get_worker_pid (r_mutate), ==,
                       job_result_get_worker_pid (r_after));
    }
  r_path = run (JOB_BACKEND (pool), path, &error);
  g_assert_no_error (error);
  g_assert_null (test_output_text (r_path));
}

static void
test_pool_secret_invisible (void)
{
  g_autoptr (JobWorkerPool) pool = NULL;
  g_autoptr (JobTask) task =
      test_task_new ("TestGetenvTask", "text", "AWS_SECRET_ACCESS_KEY", NULL);
  g_autoptr (JobTask) path =
      test_task_new ("TestGetenvTask", "text", "PATH", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  const char *allow[] = { "PATH", "LIBJOB_ALLOWED_*", NULL };

  g_setenv ("AWS_SECRET_ACCESS_KEY", "hunter2", TRUE);
  g_setenv ("LIBJOB_ALLOWED_X", "yes", TRUE);
  pool = pool_new (1);
  result = run (JOB_BACKEND (pool), task, &error);
  g_assert_no_error (error);
  g_assert_null (test_output_text (result));
  g_clear_object (&result);
  result = run (JOB_BACKEND (pool), path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (test_output_text (result), ==, g_getenv ("PATH"));

  /* A custom allowlist with a prefix pattern, for new workers. */
  g_clear_object (&pool);
  pool = pool_new (1);
  job_worker_pool_set_env_allowlist (pool, allow);
  g_clear_object (&task);
  task = test_task_new ("TestGetenvTask", "text", "LIBJOB_ALLOWED_X", NULL);
  g_clear_object (&result);
  result = run (JOB_BACKEND (pool), task, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (test_output_text (result), ==, "yes");
  g_unsetenv ("AWS_SECRET_ACCESS_KEY");
  g_unsetenv ("LIBJOB_ALLOWED_X");
}

static void
test_pool_stdout (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  g_autoptr (JobTask) task =
      test_task_new ("TestPrintTask", "text",
                     "JBJW garbage that must not reach the socket", NULL);
  g_autoptr (JobTask) echo =
      test_task_new ("TestEchoTask", "text", "fine", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;

  result = run (JOB_BACKEND (pool), task, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  result = run (JOB_BACKEND (pool), echo, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (test_output_text (result), ==, "fine");
}

static void
test_pool_shutdown_reaps (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (2);
  enum
  {
    N = 4
  };
  TestWait waits[N] = { { 0 } };
  gint64 pids[N];

  for (guint i = 0; i < N; i++)
    {
      g_autoptr (JobTask) task =
          test_task_new ("TestSleepTask", "number", 0.1, NULL);

      job_backend_submit_async (JOB_BACKEND (pool), task, NULL, test_wait_cb,
                                &waits[i]);
    }
  for (guint i = 0; i < N; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JobResult) result =
          test_wait_finish (JOB_BACKEND (pool), &waits[i], &error);

      g_assert_no_error (error);
      pids[i] = job_result_get_worker_pid (result);
    }
  g_assert_cmpuint (job_worker_pool_get_n_workers (pool), ==, 2);
  job_backend_shutdown (JOB_BACKEND (pool), TRUE);
  g_assert_cmpuint (job_worker_pool_get_n_workers (pool), ==, 0);
  /* No zombie (reaped) and no orphan (exited). */
  for (guint i = 0; i < N; i++)
    g_assert_false (test_pid_exists (pids[i]));
}

static void
test_pool_bad_worker_path (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  g_autoptr (JobTask) task = test_task_new ("TestEchoTask", "text", "x", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;

  job_worker_pool_set_worker_path (pool, "/nonexistent/job-worker");
  result = run (JOB_BACKEND (pool), task, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_SPAWN);
  g_assert_nonnull (strstr (error->message, "/nonexistent/job-worker"));

  /* Not a worker at all: it dies at once and says why. */
  g_clear_error (&error);
  job_worker_pool_set_worker_path (pool, "/bin/false");
  result = run (JOB_BACKEND (pool), task, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CRASHED);
  g_assert_nonnull (strstr (error->message, "exited with status 1"));
}

static void
test_pool_signals_reset (void)
{
  g_autoptr (JobWorkerPool) pool = NULL;
  const char *term_argv[] = { "/bin/sh", "-c", "kill -TERM $$; echo survived",
                              NULL };
  const char *usr1_argv[] = { "/bin/sh", "-c", "kill -USR1 $$; echo survived",
                              NULL };
  g_autoptr (JobCommandTask) term = job_command_task_new (term_argv);
  g_autoptr (JobCommandTask) usr1 = job_command_task_new (usr1_argv);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  struct sigaction ignore = { 0 }, old_action;
  sigset_t block, old_mask;

  /* This process ignores SIGTERM and blocks SIGUSR1; a task must not
   * inherit either. */
  ignore.sa_handler = SIG_IGN;
  sigaction (SIGTERM, &ignore, &old_action);
  sigemptyset (&block);
  sigaddset (&block, SIGUSR1);
  pthread_sigmask (SIG_BLOCK, &block, &old_mask);
  pool = pool_new (1);

  result = run (JOB_BACKEND (pool), JOB_TASK (term), &error);
  g_assert_no_error (error);
  g_assert_cmpint (job_command_output_get_term_signal (
                       JOB_COMMAND_OUTPUT (job_result_get_output (result))),
                   ==, SIGTERM);
  g_clear_object (&result);
  result = run (JOB_BACKEND (pool), JOB_TASK (usr1), &error);
  g_assert_no_error (error);
  g_assert_cmpint (job_command_output_get_term_signal (
                       JOB_COMMAND_OUTPUT (job_result_get_output (result))),
                   ==, SIGUSR1);

  g_clear_object (&pool);
  pthread_sigmask (SIG_SETMASK, &old_mask, NULL);
  sigaction (SIGTERM, &old_action, NULL);
}

static void
test_pool_big_command_output (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  const char *argv[] = {
    "/bin/sh", "-c", "head -c 3000000 /dev/zero; head -c 200000 /dev/zero >&2",
    NULL
  };
  g_autoptr (JobCommandTask) task = job_command_task_new (argv);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  JobCommandOutput *output;

  result = run (JOB_BACKEND (pool), JOB_TASK (task), &error);
  g_assert_no_error (error);
  output = JOB_COMMAND_OUTPUT (job_result_get_output (result));
  g_assert_cmpuint (g_bytes_get_size (job_command_output_get_stdout (output)),
                    ==, 3000000);
  g_assert_cmpuint (g_bytes_get_size (job_command_output_get_stderr (output)),
                    ==, 200000);
  g_assert_cmpfloat (job_result_get_cpu_time (result), >, 0);
}

static void
test_pool_protocol_error (void)
{
  g_autoptr (JobWorkerPool) pool = pool_new (1);
  g_autoptr (JobTask) task = test_task_new ("TestEchoTask", "text", "x", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *fake =
      g_test_build_filename (G_TEST_DIST, "fake-worker-garbage.sh", NULL);
  gint64 start = g_get_monotonic_time ();

  job_worker_pool_set_worker_path (pool, fake);
  result = run (JOB_BACKEND (pool), task, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "TestEchoTask"));
  /* The liar is killed, not waited for. */
  g_assert_cmpint (g_get_monotonic_time () - start, <,
                   3 * G_USEC_PER_SEC * test_time_scale ());
  job_backend_shutdown (JOB_BACKEND (pool), TRUE);
  g_assert_cmpuint (job_worker_pool_get_n_workers (pool), ==, 0);
}

int
main (int argc, char **argv)
{
  const char *kinds[] = { "pool", "inline" };

  g_test_init (&argc, &argv, NULL);
  test_load_plugin ();

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      const char *prefix = i == 0 ? "/job/worker-pool" : "/job/inline-backend";
      struct
      {
        const char *name;
        GTestDataFunc func;
      } shared[] = {
        { "echo", test_echo },
        { "task-error", test_task_error },
        { "copies", test_copies },
        { "unpicklable", test_unpicklable },
        { "secret-env", test_secret_env },
        { "command", test_command },
        { "queue-and-signals", test_queue_and_signals },
        { "cancel", test_cancel },
        { "big-output", test_big_output },
        { "shutdown-refuses", test_shutdown_refuses },
      };

      for (guint j = 0; j < G_N_ELEMENTS (shared); j++)
        {
          g_autofree char *path =
              g_strdup_printf ("%s/%s", prefix, shared[j].name);

          g_test_add_data_func (path, kinds[i], shared[j].func);
        }
    }

  g_test_add_func ("/job/worker-pool/defaults", test_pool_defaults);
  g_test_add_func ("/job/worker-pool/lazy-reuse", test_pool_lazy_reuse);
  g_test_add_func ("/job/worker-pool/max-workers", test_pool_max_workers);
  g_test_add_func ("/job/worker-pool/idle-reaping", test_pool_idle_reaping);
  g_test_add_func ("/job/worker-pool/crash-segv", test_pool_crash_segv);
  g_test_add_func ("/job/worker-pool/crash-abort", test_pool_crash_abort);
  g_test_add_func ("/job/worker-pool/crash-pipelined",
                   test_pool_crash_pipelined);
  g_test_add_func ("/job/worker-pool/spin-not-counted",
                   test_pool_spin_not_counted);
  g_test_add_func ("/job/worker-pool/crash-pipelined-deep",
                   test_pool_crash_pipelined_deep);
  g_test_add_func ("/job/worker-pool/pipeline-not-behind-long",
                   test_pool_pipeline_not_behind_long);
  g_test_add_func ("/job/worker-pool/pipeline-not-behind-direct",
                   test_pool_pipeline_not_behind_direct);
  g_test_add_func ("/job/worker-pool/pipeline-big-messages",
                   test_pool_pipeline_big_messages);
  g_test_add_func ("/job/worker-pool/crash-exit", test_pool_crash_exit);
  g_test_add_func ("/job/worker-pool/crash-kill", test_pool_crash_kill);
  g_test_add_func ("/job/worker-pool/killed-from-outside",
                   test_pool_killed_from_outside);
  g_test_add_func ("/job/worker-pool/timeout", test_pool_timeout);
  g_test_add_func ("/job/worker-pool/c-tasks-start-no-python",
                   test_pool_c_tasks_start_no_python);
  g_test_add_func ("/job/worker-pool/blocking-direct",
                   test_pool_blocking_direct);
  g_test_add_func ("/job/worker-pool/isolation", test_pool_isolation);
  g_test_add_func ("/job/worker-pool/descriptors", test_pool_descriptors);
  g_test_add_func ("/job/worker-pool/isolation-empty-environ",
                   test_pool_isolation_empty_environ);
  g_test_add_func ("/job/worker-pool/secret-invisible",
                   test_pool_secret_invisible);
  g_test_add_func ("/job/worker-pool/stdout", test_pool_stdout);
  g_test_add_func ("/job/worker-pool/shutdown-reaps", test_pool_shutdown_reaps);
  g_test_add_func ("/job/worker-pool/bad-worker-path",
                   test_pool_bad_worker_path);
  g_test_add_func ("/job/worker-pool/protocol-error", test_pool_protocol_error);
  g_test_add_func ("/job/worker-pool/signals-reset", test_pool_signals_reset);
  g_test_add_func ("/job/worker-pool/big-command-output",
                   test_pool_big_command_output);

  return g_test_run ();
}
