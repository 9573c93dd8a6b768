/* test-worker-oneshot.c: job-worker --oneshot, the mode batch systems run
 *
 * Runs without a cluster: the worker is started directly, as srun would.
 */

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "job-spool-file-private.h"
#include "job-wire-private.h"
#include "test-backend-util.h"

static char *
worker_path (void)
{
  return g_build_filename (g_getenv ("JOB_BUILDDIR"), "libjob", "worker",
                           "job-worker", NULL);
}

static GPtrArray *
task_parts (JobTask *task)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobPickleFrames) frames =
      job_pickle_dump_frames (G_OBJECT (task), 0, &error);
  GPtrArray *parts =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_assert_no_error (error);
  g_ptr_array_add (parts, g_bytes_ref (job_pickle_frames_get_header (frames)));
  for (guint i = 0; i < job_pickle_frames_get_n_frames (frames); i++)
    g_ptr_array_add (parts,
                     g_bytes_ref (job_pickle_frames_get_frame (frames, i)));
  return parts;
}

/* Runs the worker on @task through files; returns the result's parts. */
static GPtrArray *
run_oneshot (JobTask *task,
             const char *const *env,
             JobSpoolFileKind *kind,
             JobSpoolMetrics *metrics)
{
  g_autofree char *dir = g_dir_make_tmp ("test-oneshot-XXXXXX", NULL);
  g_autofree char *task_path = g_build_filename (dir, "task", NULL);
  g_autofree char *result_path = g_build_filename (dir, "result", NULL);
  g_autofree char *worker = worker_path ();
  g_autofree char *plugin_dir = g_path_get_dirname (TEST_PLUGIN_PATH);
  g_autofree char *arg_task = g_strdup_printf ("--oneshot=%s", task_path);
  g_autofree char *arg_result = g_strdup_printf ("--output=%s", result_path);
  g_autofree char *arg_dir = g_strdup_printf ("--plugin-dir=%s", plugin_dir);
  const char *argv[] = { worker,  arg_task,          arg_result,
                         arg_dir, "--keep-env=PATH", "--keep-env=LC_*",
                         NULL };
  g_autoptr (GPtrArray) parts = task_parts (task);
  g_autoptr (GError) error = NULL;
  GPtrArray *result;
  int status;

  g_assert_true (job_spool_file_write (task_path, JOB_SPOOL_FILE_TASK, NULL,
                                       (GBytes **) parts->pdata, parts->len,
                                       &error));
  g_assert_no_error (error);
  g_spawn_sync (NULL, (char **) argv, (char **) env, 0, NULL, NULL, NULL, NULL,
                &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  result = job_spool_file_read (result_path, kind, metrics, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (task_path, G_FILE_TEST_EXISTS));
  g_unlink (task_path);
  g_unlink (result_path);
  g_rmdir (dir);
  return result;
}

static GObject *
output_of (GPtrArray *parts)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobPickleFrames) frames = job_pickle_frames_new (
      parts->pdata[0], (GBytes **) parts->pdata + 1, parts->len - 1);
  GObject *output = job_pickle_load_frames (frames, &error);

  g_assert_no_error (error);
  return output;
}

static void
test_echo (void)
{
  g_autoptr (JobTask) task = test_task_new ("TestEchoTask", "text", "hi", NULL);
  const char *env[] = { "PATH=/usr/bin:/bin", NULL };
  g_autoptr (GPtrArray) parts = NULL;
  g_autoptr (GObject) output = NULL;
  g_autofree char *text = NULL;
  JobSpoolFileKind kind;
  JobSpoolMetrics metrics;
  gint64 number;

  parts = run_oneshot (task, env, &kind, &metrics);
  g_assert_cmpint (kind, ==, JOB_SPOOL_FILE_RESULT);
  output = output_of (parts);
  g_object_get (output, "text", &text, "number", &number, NULL);
  g_assert_cmpstr (text, ==, "hi");
  g_assert_cmpint (metrics.pid, ==, number);
  g_assert_cmpint (metrics.pid, !=, getpid ());
  g_assert_cmpuint (metrics.peak_rss, >, 1024 * 1024);
}

static void
test_task_error (void)
{
  g_autoptr (JobTask) task =
      test_task_new ("TestFailTask", "text", "no such thing", NULL);
  const char *env[] = { NULL };
  g_autoptr (GPtrArray) parts = NULL;
  g_autoptr (GError) error = NULL;
  JobSpoolFileKind kind;

  parts = run_oneshot (task, env, &kind, NULL);
  g_assert_cmpint (kind, ==, JOB_SPOOL_FILE_ERROR);
  g_assert_cmpuint (parts->len, ==, 1);
  error = job_wire_decode_error (parts->pdata[0]);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no such thing");
}

static void
test_environment (void)
{
  const char *argv[] = { "/bin/sh", "-c",
                         "echo ${SECRET-unset} ${SLURM_JOB_ID-unset} "
                         "${LC_PAPER-unset} ${PATH:+path}",
                         NULL };
  g_autoptr (JobCommandTask) task = job_command_task_new (argv);
  const char *env[] = { "PATH=/usr/bin:/bin", "SECRET=hunter2",
                        "SLURM_JOB_ID=12", "LC_PAPER=C", NULL };
  g_autoptr (GPtrArray) parts = NULL;
  g_autoptr (GObject) output = NULL;
  GBytes *out;
  JobSpoolFileKind kind;

  /* Only the allowlist (--keep-env) reaches the task. */
  parts = run_oneshot (JOB_TASK (task), env, &kind, NULL);
  g_assert_cmpint (kind, ==, JOB_SPOOL_FILE_RESULT);
  output = output_of (parts);
  out = job_command_output_get_stdout (JOB_COMMAND_OUTPUT (output));
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out),
                   "unset unset C path\n", 19);
}

static void
test_garbage_task (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-oneshot-XXXXXX", NULL);
  g_autofree char *task_path = g_build_filename (dir, "task", NULL);
  g_autofree char *result_path = g_build_filename (dir, "result", NULL);
  g_autofree char *worker = worker_path ();
  g_autofree char *arg_task = g_strdup_printf ("--oneshot=%s", task_path);
  g_autofree char *arg_result = g_strdup_printf ("--output=%s", result_path);
  const char *argv[] = { worker, arg_task, arg_result, NULL };
  g_autoptr (GPtrArray) parts = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) task_error = NULL;
  JobSpoolFileKind kind;
  int status;

  g_assert_true (g_file_set_contents (task_path, "JOBSPOOL garbage", -1, NULL));
  g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, NULL, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  parts = job_spool_file_read (result_path, &kind, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kind, ==, JOB_SPOOL_FILE_ERROR);
  task_error = job_wire_decode_error (parts->pdata[0]);
  g_assert_error (task_error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK);
  g_assert_nonnull (strstr (task_error->message, task_path));
  g_unlink (task_path);
  g_unlink (result_path);
  g_rmdir (dir);
}

static void
test_stdin_stdout (void)
{
  g_autoptr (JobTask) task =
      test_task_new ("TestEchoTask", "text", "piped", NULL);
  g_autoptr (GPtrArray) parts = task_parts (task);
  g_autoptr (GPtrArray) result = NULL;
  g_autoptr (GBytes) out_bytes = NULL;
  g_autoptr (GObject) output = NULL;
  g_autofree char *worker = worker_path ();
  g_autofree char *plugin_dir = g_path_get_dirname (TEST_PLUGIN_PATH);
  g_autofree char *arg_dir = g_strdup_printf ("--plugin-dir=%s", plugin_dir);
  g_autofree char *text = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("test-oneshot-XXXXXX", NULL);
  g_autofree char *task_path = g_build_filename (tmp, "task", NULL);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GBytes) stdin_bytes = NULL;
  g_autoptr (GError) error = NULL;
  JobSpoolFileKind kind;

  /* Build the message in a file, then feed it on standard input. */
  g_assert_true (job_spool_file_write (task_path, JOB_SPOOL_FILE_TASK, NULL,
                                       (GBytes **) parts->pdata, parts->len,
                                       &error));
  {
    g_autofree char *contents = NULL;
    gsize len;

    g_assert_true (g_file_get_contents (task_path, &contents, &len, NULL));
    stdin_bytes = g_bytes_new_take (g_steal_pointer (&contents), len);
  }
  process = g_subprocess_new (
      G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
      worker, "--oneshot=-", "--output=-", arg_dir, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate (process, stdin_bytes, NULL, &out_bytes, NULL,
                            &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
  result = job_spool_file_parse (out_bytes, "stdout", &kind, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kind, ==, JOB_SPOOL_FILE_RESULT);
  output = output_of (result);
  g_object_get (output, "text", &text, NULL);
  g_assert_cmpstr (text, ==, "piped");
  g_unlink (task_path);
  g_rmdir (tmp);
}

static void
test_spool_file_truncated (void)
{
  GBytes *parts[] = { g_bytes_new_static ("abc", 3),
                      g_bytes_new_static ("defgh", 5) };
  g_autofree char *dir = g_dir_make_tmp ("test-oneshot-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "msg", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  g_assert_true (job_spool_file_write (path, JOB_SPOOL_FILE_RESULT, NULL, parts,
                                       2, &error));
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  /* Every truncation is an error, never a crash. */
  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (contents, cut);
      g_autoptr (GPtrArray) read =
          job_spool_file_parse (bytes, "cut", NULL, NULL, &error);

      g_assert_null (read);
      g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL);
      g_clear_error (&error);
    }
  g_unlink (path);
  g_rmdir (dir);
  g_bytes_unref (parts[0]);
  g_bytes_unref (parts[1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_load_plugin ();

  g_test_add_func ("/job/worker-oneshot/echo", test_echo);
  g_test_add_func ("/job/worker-oneshot/task-error", test_task_error);
  g_test_add_func ("/job/worker-oneshot/environment", test_environment);
  g_test_add_func ("/job/worker-oneshot/garbage-task", test_garbage_task);
  g_test_add_func ("/job/worker-oneshot/stdin-stdout", test_stdin_stdout);
  g_test_add_func ("/job/worker-oneshot/spool-file-truncated",
                   test_spool_file_truncated);
  return g_test_run ();
}
