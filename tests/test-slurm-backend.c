/* test-slurm-backend.c: JobSlurmBackend against a real Slurm cluster
 *
 * Needs a running cluster (tests/slurm/slurm-localhost.sh start, then
 * SLURM_CONF from `slurm-localhost.sh env`); without one every test skips
 * and says why. Registered in the "slurm" suite only.
 */

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "test-backend-util.h"

static char *cluster_missing;
static char *spool_dir;

static gboolean
need_cluster (void)
{
  if (cluster_missing != NULL)
    {
      g_test_skip (cluster_missing);
      return FALSE;
    }
  return TRUE;
}

static JobBackend *
slurm_new (guint time_limit)
{
  return JOB_BACKEND (g_object_new (JOB_TYPE_SLURM_BACKEND, "spool-dir",
                                    spool_dir, "time-limit", time_limit, NULL));
}

static gboolean
spool_is_empty (void)
{
  g_autoptr (GDir) dir = g_dir_open (spool_dir, 0, NULL);

  return dir == NULL || g_dir_read_name (dir) == NULL;
}

static char *
run_capture (const char *const *argv)
{
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &out, NULL, &status, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&out);
}

/* The states Slurm recorded for this process's jobs, "name state" lines. */
static char *
our_jobs (void)
{
  const char *argv[] = { "squeue", "--noheader", "--states=all",
                         "--format=%j %T", NULL };
  g_autofree char *all = run_capture (argv);
  g_autofree char *prefix =
      g_strdup_printf ("libjob-%s-%ld-", g_get_host_name (), (long) getpid ());
  g_auto (GStrv) lines = g_strsplit (all, "\n", -1);
  GString *mine = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (g_strstrip (lines[i]), prefix))
      g_string_append_printf (mine, "%s\n", lines[i]);
  return g_string_free (mine, FALSE);
}

static guint
count_state (const char *jobs, const char *state)
{
  g_auto (GStrv) lines = g_strsplit (jobs, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_suffix (lines[i], state))
      n++;
  return n;
}

static JobCommandTask *
command_new (const char *script)
{
  const char *argv[] = { "/bin/sh", "-c", script, NULL };

  return job_command_task_new (argv);
}

static void
assert_same_output (JobCommandOutput *a, JobCommandOutput *b)
{
  GBytes *sa = job_command_output_get_stdout (a);
  GBytes *sb = job_command_output_get_stdout (b);
  GBytes *ea = job_command_output_get_stderr (a);
  GBytes *eb = job_command_output_get_stderr (b);

  g_assert_cmpint (job_command_output_get_exit_status (a), ==,
                   job_command_output_get_exit_status (b));
  g_assert_cmpint (job_command_output_get_term_signal (a), ==,
                   job_command_output_get_term_signal (b));
  g_assert_cmpmem (g_bytes_get_data (sa, NULL), g_bytes_get_size (sa),
                   g_bytes_get_data (sb, NULL), g_bytes_get_size (sb));
  g_assert_cmpmem (g_bytes_get_data (ea, NULL), g_bytes_get_size (ea),
                   g_bytes_get_data (eb, NULL), g_bytes_get_size (eb));
}

/* The JobCommandTask cases of test-worker-pool, run through the pool and
 * through Slurm, all at once: the outputs must be the same. */
static void
test_command_outputs_match_pool (void)
{
  g_autoptr (JobBackend) pool = NULL;
  g_autoptr (JobBackend) slurm = NULL;
  g_autoptr (GBytes) input = g_bytes_new_static ("fed in\n", 7);
  const char *env[] = { "EXTRA=added", NULL };
  const char *scripts[] = {
    "pwd; cat; echo oops >&2; exit 7",
    "kill -TERM $$",
    ("echo \"${AWS_SECRET_ACCESS_KEY-unset} $EXTRA ${PATH:+has-path} "
     "${SLURM_JOB_ID-no-slurm-vars}\""),
    "seq 1 20000; trap '' USR1; kill -USR1 $$; echo survived >&2",
    "umask; ulimit -n >/dev/null; exit 0",
  };
  enum
  {
    N = G_N_ELEMENTS (scripts)
  };
  TestWait pool_waits[N] = { { 0 } };
  TestWait slurm_waits[N] = { { 0 } };

  if (!need_cluster ())
    return;
  g_setenv ("AWS_SECRET_ACCESS_KEY", "hunter2", TRUE);
  pool = JOB_BACKEND (job_worker_pool_new ());
  slurm = slurm_new (0);
  for (guint i = 0; i < N; i++)
    {
      g_autoptr (JobCommandTask) task = command_new (scripts[i]);

      job_command_task_set_cwd (task, "/");
      if (i == 0)
        job_command_task_set_stdin (task, input);
      if (i == 2)
        job_command_task_set_env (task, env);
      job_backend_submit_async (pool, JOB_TASK (task), NULL, test_wait_cb,
                                &pool_waits[i]);
      job_backend_submit_async (slurm, JOB_TASK (task), NULL, test_wait_cb,
                                &slurm_waits[i]);
    }
  for (guint i = 0; i < N; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JobResult) from_pool =
          test_wait_finish (pool, &pool_waits[i], &error);
      g_autoptr (JobResult) from_slurm = NULL;
      JobCommandOutput *output;

      g_assert_no_error (error);
      from_slurm = test_wait_finish (slurm, &slurm_waits[i], &error);
      g_assert_no_error (error);
      g_assert_cmpstr (job_result_get_backend (from_slurm), ==, "slurm");
      output = JOB_COMMAND_OUTPUT (job_result_get_output (from_slurm));
      assert_same_output (
          JOB_COMMAND_OUTPUT (job_result_get_output (from_pool)), output);
      if (i == 0)
        {
          g_assert_cmpint (job_command_output_get_exit_status (output), ==, 7);
          g_assert_cmpmem (
              g_bytes_get_data (job_command_output_get_stdout (output), NULL),
              g_bytes_get_size (job_command_output_get_stdout (output)),
              "/\nfed in\n", 9);
        }
      else if (i == 1)
        g_assert_cmpint (job_command_output_get_term_signal (output), ==,
                         SIGTERM);
      else if (i == 2)
        g_assert_cmpmem (
            g_bytes_get_data (job_command_output_get_stdout (output), NULL),
            g_bytes_get_size (job_command_output_get_stdout (output)),
            "unset added has-path no-slurm-vars\n", 35);
    }
  g_unsetenv ("AWS_SECRET_ACCESS_KEY");
  g_assert_true (spool_is_empty ());
}

static void
test_echo (void)
{
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (JobTask) task =
      test_task_new ("TestEchoTask", "text", "hello", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;

  if (!need_cluster ())
    return;
  backend = slurm_new (0);
  result = job_backend_submit (backend, task, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (test_output_text (result), ==, "hello");
  g_assert_cmpstr (job_result_get_backend (result), ==, "slurm");
  g_assert_cmpint (job_result_get_worker_pid (result), ==,
                   test_output_number (result));
  g_assert_cmpint (job_result_get_worker_pid (result), !=, getpid ());
  g_assert_cmpfloat (job_result_get_wall_time (result), >=, 0);
  g_assert_cmpuint (job_result_get_peak_rss (result), >, 1024 * 1024);
}

static void
test_task_error (void)
{
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (JobTask) task =
      test_task_new ("TestFailTask", "text", "no such thing", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;

  if (!need_cluster ())
    return;
  backend = slurm_new (0);
  result = job_backend_submit (backend, task, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no such thing");
  g_assert_null (result);
}

static void
test_unpicklable (void)
{
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (GObject) not_serializable =
      g_object_new (G_TYPE_CANCELLABLE, NULL);
  g_autoptr (JobTask) task =
      test_task_new ("TestEchoTask", "object", not_serializable, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) result = NULL;

  if (!need_cluster ())
    return;
  backend = slurm_new (0);
  result = job_backend_submit (backend, task, NULL, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK);
  g_assert_nonnull (strstr (error->message, "GCancellable"));
}

static void
test_killed (void)
{
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (JobTask) task = test_task_new ("TestCrashTask", "text", "kill",
                                            "text2", "last words", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) result = NULL;

  if (!need_cluster ())
    return;
  backend = slurm_new (0);
  result = job_backend_submit (backend, task, NULL, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CRASHED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "TestCrashTask"));
  g_assert_nonnull (strstr (error->message, "state FAILED"));
  g_assert_nonnull (strstr (error->message, "exit code 0:9"));
  /* What the task printed comes through srun, but Slurm may drop the last
   * of it when the task is killed: not asserted. */
  g_assert_true (spool_is_empty ());
}

static void
test_time_limit (void)
{
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (JobCommandTask) task = command_new ("sleep 600");
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) result = NULL;
  gint64 start = g_get_monotonic_time ();

  if (!need_cluster ())
    return;
  /* Slurm rounds up to a minute and checks every ~30 s. */
  backend = slurm_new (1);
  result = job_backend_submit (backend, JOB_TASK (task), NULL, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_TIMED_OUT);
  g_test_message ("after %.0f s: %s", (g_get_monotonic_time () - start) / 1e6,
                  error->message);
  g_assert_nonnull (strstr (error->message, "state TIMEOUT"));
  g_assert_nonnull (strstr (error->message, "JobCommandTask"));
  g_assert_true (spool_is_empty ());
}

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (void)
{
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (JobCommandTask) task = command_new ("sleep 600");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) result = NULL;
  g_autofree char *before = NULL;
  TestWait wait = { 0 };
  gint64 cancelled_at;

  if (!need_cluster ())
    return;
  before = our_jobs ();
  backend = slurm_new (0);
  job_backend_submit_async (backend, JOB_TASK (task), cancellable, test_wait_cb,
                            &wait);
  /* Let the job start on the node. */
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *now = our_jobs ();

      if (count_state (now, "RUNNING") > 0)
        break;
      g_usleep (100 * 1000);
      g_main_context_iteration (NULL, FALSE);
    }
  g_timeout_add (10, cancel_cb, cancellable);
  result = test_wait_finish (backend, &wait, &error);
  cancelled_at = g_get_monotonic_time ();
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CANCELLED);

  /* scancel ended the job: Slurm says so. */
  for (;;)
    {
      g_autofree char *now = our_jobs ();

      if (count_state (now, "CANCELLED") > count_state (before, "CANCELLED"))
        break;
      g_assert_cmpint (g_get_monotonic_time () - cancelled_at, <,
                       30 * G_USEC_PER_SEC);
      g_usleep (50 * 1000);
    }
  /* Its spool directory goes once srun let go. */
  while (!spool_is_empty ())
    {
      g_assert_cmpint (g_get_monotonic_time () - cancelled_at, <,
                       40 * G_USEC_PER_SEC);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (20 * 1000);
    }
}

static void
test_many (void)
{
  g_autoptr (JobBackend) backend = NULL;
  enum
  {
    N = 12
  };
  TestWait waits[N] = { { 0 } };

  if (!need_cluster ())
    return;
  backend =
      JOB_BACKEND (g_object_new (JOB_TYPE_SLURM_BACKEND, "spool-dir", spool_dir,
                                 "max-jobs-in-flight", 3, NULL));
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
}

static void
test_no_commands (void)
{
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (JobTask) task = test_task_new ("TestEchoTask", "text", "x", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) result = NULL;
  g_autofree char *saved_path = g_strdup (g_getenv ("PATH"));
  g_autofree char *empty = g_dir_make_tmp ("libjob-no-slurm-XXXXXX", NULL);
  gint64 start = g_get_monotonic_time ();

  /* Runs without a cluster too. */
  g_setenv ("PATH", empty, TRUE);
  backend = slurm_new (0);
  result = job_backend_submit (backend, task, NULL, &error);
  g_setenv ("PATH", saved_path, TRUE);
  g_rmdir (empty);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_SPAWN);
  g_assert_nonnull (strstr (error->message, "srun"));
  g_assert_nonnull (strstr (error->message, "not on PATH"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
}

static void
test_unreachable (void)
{
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (JobTask) task = test_task_new ("TestEchoTask", "text", "x", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) result = NULL;
  g_autofree char *saved = g_strdup (g_getenv ("SLURM_CONF"));
  g_autofree char *conf = NULL, *bad = NULL, *bad_path = NULL;
  g_autofree char *parent = g_path_get_dirname (spool_dir);
  g_autoptr (GRegex) port = NULL;
  gint64 start = g_get_monotonic_time ();

  if (!need_cluster ())
    return;
  /* The same cluster, but a port nobody listens on. */
  g_assert_true (g_file_get_contents (saved, &conf, NULL, NULL));
  port = g_regex_new ("SlurmctldPort=[0-9]+", G_REGEX_MULTILINE, 0, NULL);
  bad = g_regex_replace_literal (port, conf, -1, 0, "SlurmctldPort=1", 0, NULL);
  bad_path = g_build_filename (parent, "bad-slurm.conf", NULL);
  g_assert_true (g_file_set_contents (bad_path, bad, -1, NULL));
  g_setenv ("SLURM_CONF", bad_path, TRUE);
  backend =
      JOB_BACKEND (g_object_new (JOB_TYPE_SLURM_BACKEND, "spool-dir", spool_dir,
                                 "controller-timeout", 5, NULL));
  result = job_backend_submit (backend, task, NULL, &error);
  g_setenv ("SLURM_CONF", saved, TRUE);
  g_unlink (bad_path);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_SPAWN);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "controller"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 7 * G_USEC_PER_SEC);
}

static void
test_shutdown_refuses (void)
{
  g_autoptr (JobBackend) backend = slurm_new (0);
  g_autoptr (JobTask) task = test_task_new ("TestEchoTask", "text", "x", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) result = NULL;

  job_backend_shutdown (backend, TRUE);
  result = job_backend_submit (backend, task, NULL, &error);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_SHUTDOWN);
}

static void
test_properties (void)
{
  const char *args[] = { "--cpus-per-task=1", NULL };
  g_autoptr (JobSlurmBackend) backend = JOB_SLURM_BACKEND (g_object_new (
      JOB_TYPE_SLURM_BACKEND, "partition", "debug", "spool-dir", "/x",
      "time-limit", 90, "srun-args", args, "max-jobs-in-flight", 5, NULL));

  g_assert_cmpstr (job_slurm_backend_get_partition (backend), ==, "debug");
  g_assert_cmpstr (job_slurm_backend_get_spool_dir (backend), ==, "/x");
  g_assert_cmpuint (job_slurm_backend_get_time_limit (backend), ==, 90);
  g_assert_cmpstr (job_slurm_backend_get_srun_args (backend)[0], ==,
                   "--cpus-per-task=1");
  g_assert_cmpuint (job_slurm_backend_get_max_jobs_in_flight (backend), ==, 5);
  g_assert_cmpuint (job_slurm_backend_get_controller_timeout (backend), ==, 10);
  g_assert_nonnull (job_slurm_backend_get_worker_path (backend));
  g_assert_nonnull (job_slurm_backend_get_env_allowlist (backend));
}

int
main (int argc, char **argv)
{
  g_autofree char *out = NULL;
  int status = -1;
  const char *ping[] = { "scontrol", "ping", NULL };
  int ret;

  g_test_init (&argc, &argv, NULL);
  test_load_plugin ();

  if (!g_spawn_sync (NULL, (char **) ping, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                     NULL, &out, NULL, &status, NULL))
    cluster_missing =
        g_strdup ("no Slurm client commands on PATH; start a cluster with "
                  "tests/slurm/slurm-localhost.sh start (as root)");
  else if (!g_spawn_check_wait_status (status, NULL))
    cluster_missing = g_strdup_printf (
        "no Slurm controller answers (scontrol ping: %s); start one with "
        "tests/slurm/slurm-localhost.sh start (as root) and export "
        "SLURM_CONF",
        g_strstrip (out));
  spool_dir = g_dir_make_tmp ("libjob-slurm-test-XXXXXX", NULL);
  {
    g_autofree char *inner = g_build_filename (spool_dir, "spool", NULL);

    g_free (spool_dir);
    spool_dir = g_steal_pointer (&inner);
  }

  g_test_add_func ("/job/slurm-backend/properties", test_properties);
  g_test_add_func ("/job/slurm-backend/no-commands", test_no_commands);
  g_test_add_func ("/job/slurm-backend/shutdown-refuses",
                   test_shutdown_refuses);
  g_test_add_func ("/job/slurm-backend/echo", test_echo);
  g_test_add_func ("/job/slurm-backend/command-outputs-match-pool",
                   test_command_outputs_match_pool);
  g_test_add_func ("/job/slurm-backend/task-error", test_task_error);
  g_test_add_func ("/job/slurm-backend/unpicklable", test_unpicklable);
  g_test_add_func ("/job/slurm-backend/many", test_many);
  g_test_add_func ("/job/slurm-backend/killed", test_killed);
  g_test_add_func ("/job/slurm-backend/cancel", test_cancel);
  g_test_add_func ("/job/slurm-backend/unreachable", test_unreachable);
  g_test_add_func ("/job/slurm-backend/time-limit", test_time_limit);
  ret = g_test_run ();
  {
    g_autofree char *parent = g_path_get_dirname (spool_dir);

    g_rmdir (spool_dir);
    g_rmdir (parent);
  }
  return ret;
}
