/* test-sandbox.c: JobSandbox on a busybox sysroot */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libjob/job.h>
#include "test-time-scale.h"

#define BUSYBOX "/bin/busybox"

typedef struct
{
  char *dir;  /* holds everything below */
  char *root; /* the sysroot */
  char *build;
  char *install;
  JobSandbox *sandbox;
} Fixture;

static void
remove_tree (const char *path)
{
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *command =
      g_strdup_printf ("chmod -R u+rwx %s && rm -rf %s", quoted, quoted);
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  g_autoptr (GError) error = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
}

static void
make_sysroot (const char *root)
{
  const char *applets[] = { "sh",    "echo", "cat", "mkdir", "cp",  "true",
                            "false", "env",  "ls",  "sleep", "pwd", "touch" };
  g_autofree char *bin = g_build_filename (root, "bin", NULL);
  g_autofree char *busybox = g_build_filename (bin, "busybox", NULL);

  g_assert_cmpint (g_mkdir_with_parents (bin, 0755), ==, 0);
  if (link (BUSYBOX, busybox) < 0)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GFile) src = g_file_new_for_path (BUSYBOX);
      g_autoptr (GFile) dst = g_file_new_for_path (busybox);

      g_file_copy (src, dst, G_FILE_COPY_ALL_METADATA, NULL, NULL, NULL,
                   &error);
      g_assert_no_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (applets); i++)
    {
      g_autofree char *link_path = g_build_filename (bin, applets[i], NULL);

      g_assert_cmpint (symlink ("busybox", link_path), ==, 0);
    }
}

static gboolean
bwrap_usable (void)
{
  g_autoptr (JobSandbox) sandbox = job_sandbox_new ("/");
  g_autoptr (GError) error = NULL;

  job_sandbox_set_mode (sandbox, JOB_SANDBOX_MODE_BWRAP);
  if (job_sandbox_resolve_mode (sandbox, &error))
    return TRUE;
  g_test_message ("bwrap cannot run here: %s", error->message);
  return FALSE;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  JobSandboxMode mode = GPOINTER_TO_INT (data);
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("test-sandbox-XXXXXX", &error);
  g_assert_no_error (error);
  f->root = g_build_filename (f->dir, "root", NULL);
  f->build = g_build_filename (f->dir, "build", NULL);
  f->install = g_build_filename (f->dir, "install", NULL);
  make_sysroot (f->root);
  g_assert_cmpint (g_mkdir_with_parents (f->build, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (f->install, 0755), ==, 0);

  f->sandbox = job_sandbox_new (f->root);
  job_sandbox_set_mode (f->sandbox, mode);
  job_sandbox_set_env (f->sandbox, (const char *[]){ "PATH=/bin", NULL });
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->sandbox);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->root);
  g_free (f->build);
  g_free (f->install);
}

/* Skips a bwrap test where bwrap cannot run. */
static gboolean
skip_unless_mode_works (gconstpointer data)
{
  if (GPOINTER_TO_INT (data) != JOB_SANDBOX_MODE_BWRAP || bwrap_usable ())
    return FALSE;
  g_test_skip (
      "bwrap cannot create a sandbox here (unprivileged user namespaces "
      "off or forbidden by the container); bwrap tests skipped");
  return TRUE;
}

static const char *
mode_name (gconstpointer data)
{
  return GPOINTER_TO_INT (data) == JOB_SANDBOX_MODE_BWRAP ? "bwrap" : "host";
}

/* Runs @argv and returns the log without its first line, which it checks. */
static char *
run (Fixture *f, gconstpointer data, const char *const *argv, int *exit_status)
{
  g_autoptr (GOutputStream) log = g_memory_output_stream_new_resizable ();
  g_autoptr (GError) error = NULL;
  g_autofree char *header = g_strdup_printf ("sandbox: %s\n", mode_name (data));
  char *text;

  job_sandbox_run (f->sandbox, argv, log, NULL, exit_status, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (log, "", 1, NULL, NULL, &error);
  g_output_stream_close (log, NULL, &error);
  g_assert_no_error (error);
  text = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (log));
  g_assert_true (g_str_has_prefix (text, header));
  memmove (text, text + strlen (header), strlen (text) - strlen (header) + 1);
  g_assert_cmpint (job_sandbox_get_effective_mode (f->sandbox), ==,
                   GPOINTER_TO_INT (data));
  return text;
}

static void
test_output_and_status (Fixture *f, gconstpointer data)
{
  const char *argv[] = { "sh", "-c",
                         "echo out; echo err >&2; echo more; exit 3", NULL };
  const char *ok_argv[] = { "true", NULL };
  g_autofree char *output = NULL;
  g_autofree char *ok_output = NULL;
  int status = -1;

  if (skip_unless_mode_works (data))
    return;
  output = run (f, data, argv, &status);
  g_assert_cmpstr (output, ==, "out\nerr\nmore\n");
  g_assert_cmpint (status, ==, 3);

  ok_output = run (f, data, ok_argv, &status);
  g_assert_cmpstr (ok_output, ==, "");
  g_assert_cmpint (status, ==, 0);
}

/* The command gets /dev/null, the log and nothing else of this process:
 * not a descriptor without close-on-exec, and its own session. */
static void
test_descriptors (Fixture *f, gconstpointer data)
{
  const char *argv[] = {
    "sh", "-c",
    "ls /proc/self/fd | tr '\\n' ' '; echo; read line || echo stdin-empty; "
    "test \"$(cut -d' ' -f6 /proc/self/stat)\" = $$ && echo own-session; true",
    NULL
  };
  g_autofree char *output = NULL;
  int leaked = open ("/dev/null", O_RDONLY); /* without O_CLOEXEC */
  int status = -1;

  if (skip_unless_mode_works (data))
    {
      close (leaked);
      return;
    }
  g_assert_cmpint (leaked, >, 2);
  output = run (f, data, argv, &status);
  close (leaked);
  g_assert_cmpint (status, ==, 0);
  /* ls itself opens one more, the directory it lists. */
  g_assert_true (g_str_has_prefix (output, "0 1 2 3 \n")
                 || g_str_has_prefix (output, "0 1 2 \n"));
  g_assert_nonnull (strstr (output, "stdin-empty\n"));
  if (GPOINTER_TO_INT (data) == JOB_SANDBOX_MODE_HOST)
    g_assert_nonnull (strstr (output, "own-session\n"));
}

static guint
count_processes_naming (const char *text)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;
      g_autofree char *stat = NULL;
      gsize len = 0;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_strdup_printf ("/proc/%s/cmdline", name);
      if (!g_file_get_contents (path, &cmdline, &len, NULL))
        continue;
      for (gsize i = 0; i + 1 < len; i++)
        if (cmdline[i] == '\0')
          cmdline[i] = ' ';
      g_free (path);
      path = g_strdup_printf ("/proc/%s/stat", name);
      /* Zombies are gone as far as anyone can tell. */
      if (strstr (cmdline, text) != NULL
          && g_file_get_contents (path, &stat, NULL, NULL)
          && strstr (stat, ") Z ") == NULL)
        {
          g_test_message ("still running: %s: %s", name, cmdline);
          n++;
        }
    }
  return n;
}

/* The process that runs a sandbox is killed at random moments, also while
 * bwrap sets the sandbox up: nothing of the sandbox outlives it. */
static void
test_killed_runner (Fixture *f, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  gint64 deadline;

  if (skip_unless_mode_works (data))
    return;
  for (guint i = 0; i < 40; i++)
    {
      g_autoptr (GError) error = NULL;
      const char *argv[] = { NULL, "--run-sleeping-sandbox", f->root, NULL };
      g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
      g_autoptr (GSubprocess) runner = NULL;

      argv[0] = self;
      runner = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, &error);
      g_assert_no_error (error);
      g_usleep ((gulong) g_rand_int_range (rand, 1000, 40000));
      g_subprocess_force_exit (runner);
      g_subprocess_wait (runner, NULL, &error);
      g_assert_no_error (error);
    }
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (count_processes_naming (f->root) > 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }
}

static void
test_signal_status (Fixture *f, gconstpointer data)
{
  const char *argv[] = { "sh", "-c", "kill -TERM $$", NULL };
  g_autofree char *output = NULL;
  int status = -1;

  if (skip_unless_mode_works (data))
    return;
  output = run (f, data, argv, &status);
  g_assert_cmpint (status, ==, 128 + 15);
}

static void
test_environment_exact (Fixture *f, gconstpointer data)
{
  const char *argv[] = { "env", NULL };
  g_autofree char *output = NULL;
  g_auto (GStrv) lines = NULL;
  int status = -1;

  if (skip_unless_mode_works (data))
    return;
  g_setenv ("LIBJOB_TEST_SECRET", "s3cret", TRUE);
  job_sandbox_set_env (f->sandbox, (const char *[]){ "PATH=/bin", "FOO=bar baz",
                                                     "EMPTY=", NULL });
  output = run (f, data, argv, &status);
  g_unsetenv ("LIBJOB_TEST_SECRET");
  g_assert_cmpint (status, ==, 0);

  lines = g_strsplit (output, "\n", -1);
  /* Exactly the three variables (the shell is not involved: env is run),
   * plus the PWD that bwrap always sets to the working directory. */
  if (GPOINTER_TO_INT (data) == JOB_SANDBOX_MODE_BWRAP)
    {
      g_assert_true (g_strv_contains ((const char *const *) lines, "PWD=/"));
      g_assert_cmpuint (g_strv_length (lines), ==, 5);
    }
  else
    g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_true (g_strv_contains ((const char *const *) lines, "PATH=/bin"));
  g_assert_true (g_strv_contains ((const char *const *) lines, "FOO=bar baz"));
  g_assert_true (g_strv_contains ((const char *const *) lines, "EMPTY="));
  g_assert_null (strstr (output, "s3cret"));
  g_assert_null (strstr (output, "HOME="));
}

static void
test_mounts_and_cwd (Fixture *f, gconstpointer data)
{
  const char *argv[] = {
    "sh", "-c",
    "pwd; echo built > result && mkdir -p \"$DESTDIR/usr/bin\" "
    "&& cp result \"$DESTDIR/usr/bin/hello\"",
    NULL
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *destdir = NULL;
  g_autofree char *env_destdir = NULL;
  g_autofree char *cwd_host = NULL;
  g_autofree char *output = NULL;
  g_autofree char *installed = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *in_build = NULL;
  g_autofree char *expected_pwd = NULL;
  int status = -1;

  if (skip_unless_mode_works (data))
    return;
  job_sandbox_add_mount (f->sandbox, "/buildstream/project/element", f->build);
  job_sandbox_add_mount (f->sandbox, "/buildstream-install", f->install);
  job_sandbox_set_cwd (f->sandbox, "/buildstream/project/element");

  destdir =
      job_sandbox_get_command_path (f->sandbox, "/buildstream-install", &error);
  g_assert_no_error (error);
  if (GPOINTER_TO_INT (data) == JOB_SANDBOX_MODE_BWRAP)
    g_assert_cmpstr (destdir, ==, "/buildstream-install");
  else
    g_assert_cmpstr (destdir, ==, f->install);
  env_destdir = g_strconcat ("DESTDIR=", destdir, NULL);
  job_sandbox_set_env (f->sandbox,
                       (const char *[]){ "PATH=/bin", env_destdir, NULL });

  cwd_host = job_sandbox_get_host_path (f->sandbox,
                                        "/buildstream/project/element/sub/..");
  g_assert_cmpstr (cwd_host, ==, f->build);

  output = run (f, data, argv, &status);
  g_assert_cmpint (status, ==, 0);
  expected_pwd = g_strconcat (GPOINTER_TO_INT (data) == JOB_SANDBOX_MODE_BWRAP
                                  ? "/buildstream/project/element"
                                  : f->build,
                              "\n", NULL);
  g_assert_cmpstr (output, ==, expected_pwd);

  /* Writes to the build directory and the install root land on the host. */
  in_build = g_build_filename (f->build, "result", NULL);
  g_assert_true (g_file_test (in_build, G_FILE_TEST_IS_REGULAR));
  installed = g_build_filename (f->install, "usr", "bin", "hello", NULL);
  g_file_get_contents (installed, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "built\n");

  /* bwrap's mount points do not stay behind in the sysroot. */
  {
    const char *debris[] = { "proc", "dev", "tmp", "buildstream",
                             "buildstream-install" };

    for (guint i = 0; i < G_N_ELEMENTS (debris); i++)
      {
        g_autofree char *path = g_build_filename (f->root, debris[i], NULL);

        g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      }
  }
}

static void
test_network_absent (Fixture *f, gconstpointer data)
{
  const char *argv[] = { "cat", "/proc/net/dev", NULL };
  g_autofree char *output = NULL;
  g_auto (GStrv) lines = NULL;
  guint interfaces = 0;
  int status = -1;

  if (skip_unless_mode_works (data))
    return;
  output = run (f, data, argv, &status);
  g_assert_cmpint (status, ==, 0);
  lines = g_strsplit (output, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');

      /* Interface lines are "  name: counters"; the two header lines have |. */
      if (colon == NULL || strchr (lines[i], '|') != NULL)
        continue;
      interfaces++;
      g_assert_true (g_str_has_prefix (g_strchug (lines[i]), "lo:"));
    }
  g_assert_cmpuint (interfaces, ==, 1);
}

static void
test_root_read_only (Fixture *f, gconstpointer data)
{
  const char *argv[] = {
    "sh", "-c",
    "touch /inroot; echo $?; touch /buildstream-install/ok; echo $?", NULL
  };
  g_autofree char *output = NULL;
  g_autofree char *ok_path = NULL;
  int status = -1;

  if (skip_unless_mode_works (data))
    return;
  job_sandbox_add_mount (f->sandbox, "/buildstream-install", f->install);
  job_sandbox_set_root_read_only (f->sandbox, TRUE);
  output = run (f, data, argv, &status);
  g_assert_true (g_str_has_suffix (output, "1\n0\n"));
  ok_path = g_build_filename (f->install, "ok", NULL);
  g_assert_true (g_file_test (ok_path, G_FILE_TEST_EXISTS));
}

typedef struct
{
  GMainLoop *loop;
  gboolean done;
  GError *error;
  gint64 finished_at;
} CancelData;

static void
on_run_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CancelData *cd = user_data;
  int status = -1;

  job_sandbox_run_finish (JOB_SANDBOX (source), result, &status, &cd->error);
  cd->finished_at = g_get_monotonic_time ();
  cd->done = TRUE;
  g_main_loop_quit (cd->loop);
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
process_with_cmdline_exists (const char *arg0, const char *arg1)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;
      gsize len = 0;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "cmdline", NULL);
      if (!g_file_get_contents (path, &cmdline, &len, NULL) || len == 0)
        continue;
      if (g_str_equal (cmdline, arg0) && strlen (cmdline) + 1 < len
          && g_str_equal (cmdline + strlen (cmdline) + 1, arg1))
        return TRUE;
    }
  return FALSE;
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  /* Durations unique to this run: another run of this test on the same
   * machine (or what it left behind) must not be taken for ours. */
  int unique = 10000 + (getpid () % 40000) * 2;
  g_autofree char *background = g_strdup_printf ("%d", unique);
  g_autofree char *foreground = g_strdup_printf ("%d", unique + 1);
  g_autofree char *script = g_strdup_printf ("sleep %s & sleep %s; echo never",
                                             background, foreground);
  const char *argv[] = { "sh", "-c", script, NULL };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GOutputStream) log = g_memory_output_stream_new_resizable ();
  CancelData cd = { 0 };
  gint64 cancelled_at;
  guint source;

  if (skip_unless_mode_works (data))
    return;
  cd.loop = g_main_loop_new (NULL, FALSE);
  job_sandbox_run_async (f->sandbox, argv, log, cancellable, on_run_done, &cd);

  /* Let the command start its sleeps. */
  source = g_timeout_add (300, quit_loop, cd.loop);
  g_main_loop_run (cd.loop);
  g_assert_false (cd.done);
  g_assert_true (process_with_cmdline_exists ("sleep", foreground));

  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  source = g_timeout_add (5000, quit_loop, cd.loop);
  g_main_loop_run (cd.loop);
  g_source_remove (source);

  g_assert_true (cd.done);
  g_assert_error (cd.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&cd.error);
  g_test_message ("cancelled in %" G_GINT64_FORMAT " µs",
                  cd.finished_at - cancelled_at);
  g_assert_cmpint (cd.finished_at - cancelled_at, <,
                   2 * G_USEC_PER_SEC * test_time_scale ());

  /* Nothing of the command survives, not even its background job. */
  g_assert_false (process_with_cmdline_exists ("sleep", background));
  g_assert_false (process_with_cmdline_exists ("sleep", foreground));
  g_main_loop_unref (cd.loop);
}

static void
test_missing_command (Fixture *f, gconstpointer data)
{
  const char *argv[] = { "no-such-command", NULL };
  g_autoptr (GError) error = NULL;
  int status = -1;

  job_sandbox_run (f->sandbox, argv, NULL, NULL, &status, &error);
  g_assert_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_SPAWN);
  g_assert_nonnull (strstr (error->message, "no-such-command"));
  g_assert_nonnull (strstr (error->message, f->root));
}

static void
test_invalid_config (Fixture *f, gconstpointer data)
{
  const char *argv[] = { "true", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "missing", NULL);

  job_sandbox_set_cwd (f->sandbox, "relative/dir");
  job_sandbox_run (f->sandbox, argv, NULL, NULL, NULL, &error);
  g_assert_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID);
  g_clear_error (&error);
  job_sandbox_set_cwd (f->sandbox, NULL);

  job_sandbox_set_env (f->sandbox, (const char *[]){ "NOEQUALS", NULL });
  job_sandbox_run (f->sandbox, argv, NULL, NULL, NULL, &error);
  g_assert_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "NOEQUALS"));
  g_clear_error (&error);
  job_sandbox_set_env (f->sandbox, NULL);

  job_sandbox_add_mount (f->sandbox, "/buildstream-install", missing);
  job_sandbox_run (f->sandbox, argv, NULL, NULL, NULL, &error);
  g_assert_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  job_sandbox_set_mounts (f->sandbox, NULL);

  job_sandbox_set_root (f->sandbox, missing);
  job_sandbox_run (f->sandbox, argv, NULL, NULL, NULL, &error);
  g_assert_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_bwrap_missing (Fixture *f, gconstpointer data)
{
  const char *argv[] = { "true", NULL };
  g_autofree char *saved_path = g_strdup (g_getenv ("PATH"));
  g_autoptr (GOutputStream) log = g_memory_output_stream_new_resizable ();
  g_autoptr (GError) error = NULL;
  int status = -1;

  g_setenv ("PATH", f->dir, TRUE);

  job_sandbox_set_mode (f->sandbox, JOB_SANDBOX_MODE_BWRAP);
  job_sandbox_run (f->sandbox, argv, NULL, NULL, &status, &error);
  g_assert_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_SPAWN);
  g_assert_nonnull (strstr (error->message, "bwrap was not found"));
  g_assert_cmpint (job_sandbox_get_effective_mode (f->sandbox), ==,
                   JOB_SANDBOX_MODE_AUTO);
  g_clear_error (&error);

  /* AUTO falls back to the host, and says so. */
  job_sandbox_set_mode (f->sandbox, JOB_SANDBOX_MODE_AUTO);
  job_sandbox_run (f->sandbox, argv, log, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpint (job_sandbox_get_effective_mode (f->sandbox), ==,
                   JOB_SANDBOX_MODE_HOST);
  g_assert_cmpuint (
      g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (log)), ==,
      strlen ("sandbox: host\n"));
  g_assert_cmpmem (
      g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (log)),
      strlen ("sandbox: host\n"), "sandbox: host\n",
      strlen ("sandbox: host\n"));

  g_setenv ("PATH", saved_path, TRUE);
}

static void
test_pickle (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GObject) copy = NULL;
  JobSandbox *sandbox;
  g_autofree char *host = NULL;

  job_sandbox_add_mount (f->sandbox, "/buildstream-install", f->install);
  job_sandbox_set_cwd (f->sandbox, "/build");
  job_sandbox_set_network (f->sandbox, TRUE);
  job_sandbox_set_env (f->sandbox,
                       (const char *[]){ "PATH=/bin", "A=b", NULL });

  bytes = job_pickle_dumps (G_OBJECT (f->sandbox), &error);
  g_assert_no_error (error);
  copy = job_pickle_loads (bytes, &error);
  g_assert_no_error (error);
  g_assert_true (JOB_IS_SANDBOX (copy));
  sandbox = JOB_SANDBOX (copy);
  g_assert_cmpstr (job_sandbox_get_root (sandbox), ==, f->root);
  g_assert_cmpstr (job_sandbox_get_cwd (sandbox), ==, "/build");
  g_assert_true (job_sandbox_get_network (sandbox));
  g_assert_cmpint (job_sandbox_get_mode (sandbox), ==,
                   job_sandbox_get_mode (f->sandbox));
  g_assert_cmpstrv (job_sandbox_get_env (sandbox),
                    ((const char *[]){ "PATH=/bin", "A=b", NULL }));
  g_assert_true (g_variant_equal (job_sandbox_get_mounts (sandbox),
                                  job_sandbox_get_mounts (f->sandbox)));
  host = job_sandbox_get_host_path (sandbox, "/buildstream-install/usr");
  g_assert_true (g_str_has_prefix (host, f->install));
}

/* An interactive run uses this process's standard input, output and error
 * and its session; meanwhile this process ignores SIGINT, and the command
 * does not. */
static void
test_interactive (Fixture *f, gconstpointer data)
{
  const char *argv[] = {
    "sh", "-c",
    "read line; echo \"got $line\"; echo err >&2; "
    "echo \"session $(cut -d' ' -f6 /proc/self/stat)\"; kill -INT $$; "
    "echo not-reached",
    NULL
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *out_path = g_build_filename (f->dir, "out", NULL);
  g_autofree char *output = NULL;
  g_autofree char *session = NULL;
  struct sigaction before, after;
  int input[2], out, saved[3];
  int status = -1;
  gboolean ok;

  if (skip_unless_mode_works (data))
    return;
  g_assert_cmpint (pipe (input), ==, 0);
  g_assert_cmpint (write (input[1], "hello\n", 6), ==, 6);
  close (input[1]);
  out = open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_cmpint (out, >=, 0);
  sigaction (SIGINT, NULL, &before);

  for (int fd = 0; fd < 3; fd++)
    saved[fd] = dup (fd);
  dup2 (input[0], 0);
  dup2 (out, 1);
  dup2 (out, 2);
  ok = job_sandbox_run_interactive (f->sandbox, argv, &status, &error);
  for (int fd = 0; fd < 3; fd++)
    {
      dup2 (saved[fd], fd);
      close (saved[fd]);
    }
  close (input[0]);
  close (out);

  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (status, ==, 128 + SIGINT);
  sigaction (SIGINT, NULL, &after);
  g_assert_true (after.sa_handler == before.sa_handler);
  g_assert_true (g_file_get_contents (out_path, &output, NULL, NULL));
  g_assert_true (g_str_has_prefix (output, "got hello\nerr\nsession "));
  g_assert_null (strstr (output, "not-reached"));
  /* Seen from the host, it is in this process's session. */
  session = g_strdup_printf ("session %d\n", (int) getsid (0));
  if (GPOINTER_TO_INT (data) == JOB_SANDBOX_MODE_HOST)
    g_assert_nonnull (strstr (output, session));
}

static void
add_mode_tests (const char *name, void (*func) (Fixture *, gconstpointer))
{
  const JobSandboxMode modes[] = { JOB_SANDBOX_MODE_HOST,
                                   JOB_SANDBOX_MODE_BWRAP };

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autofree char *path = g_strdup_printf (
          "/job/sandbox/%s/%s", mode_name (GINT_TO_POINTER (modes[i])), name);

      g_test_add (path, Fixture, GINT_TO_POINTER (modes[i]), fixture_set_up,
                  func, fixture_tear_down);
    }
}

int
main (int argc, char **argv)
{
  /* The runner test_killed_runner() kills: a sandbox that sleeps. */
  if (argc == 3 && g_str_equal (argv[1], "--run-sleeping-sandbox"))
    {
      g_autoptr (JobSandbox) sandbox = job_sandbox_new (argv[2]);
      const char *sleep_argv[] = { "sleep", "30", NULL };
      int status;

      job_sandbox_set_mode (sandbox, JOB_SANDBOX_MODE_BWRAP);
      job_sandbox_set_env (sandbox, (const char *[]){ "PATH=/bin", NULL });
      return job_sandbox_run (sandbox, sleep_argv, NULL, NULL, &status, NULL)
                 ? 0
                 : 1;
    }

  g_test_init (&argc, &argv, NULL);

  if (!g_file_test (BUSYBOX, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_message ("no %s: install the Debian package busybox-static",
                      BUSYBOX);
      return 77;
    }

  add_mode_tests ("output-and-status", test_output_and_status);
  add_mode_tests ("signal-status", test_signal_status);
  add_mode_tests ("descriptors", test_descriptors);
  add_mode_tests ("interactive", test_interactive);
  add_mode_tests ("environment-exact", test_environment_exact);
  add_mode_tests ("mounts-and-cwd", test_mounts_and_cwd);
  add_mode_tests ("cancel", test_cancel);
  g_test_add ("/job/sandbox/bwrap/network-absent", Fixture,
              GINT_TO_POINTER (JOB_SANDBOX_MODE_BWRAP), fixture_set_up,
              test_network_absent, fixture_tear_down);
  g_test_add ("/job/sandbox/bwrap/killed-runner", Fixture,
              GINT_TO_POINTER (JOB_SANDBOX_MODE_BWRAP), fixture_set_up,
              test_killed_runner, fixture_tear_down);
  g_test_add ("/job/sandbox/bwrap/root-read-only", Fixture,
              GINT_TO_POINTER (JOB_SANDBOX_MODE_BWRAP), fixture_set_up,
              test_root_read_only, fixture_tear_down);
  g_test_add ("/job/sandbox/host/missing-command", Fixture,
              GINT_TO_POINTER (JOB_SANDBOX_MODE_HOST), fixture_set_up,
              test_missing_command, fixture_tear_down);
  g_test_add ("/job/sandbox/invalid-config", Fixture,
              GINT_TO_POINTER (JOB_SANDBOX_MODE_HOST), fixture_set_up,
              test_invalid_config, fixture_tear_down);
  g_test_add ("/job/sandbox/bwrap-missing", Fixture,
              GINT_TO_POINTER (JOB_SANDBOX_MODE_HOST), fixture_set_up,
              test_bwrap_missing, fixture_tear_down);
  g_test_add ("/job/sandbox/pickle", Fixture,
              GINT_TO_POINTER (JOB_SANDBOX_MODE_HOST), fixture_set_up,
              test_pickle, fixture_tear_down);

  return g_test_run ();
}
