/* bench-sandbox.c: the cost of running one command in a JobSandbox
 *
 * Prints `name: value unit` lines. Not a test: run it by hand,
 *   _build/tests/bench/bench-sandbox [N_RUNS]
 * Needs /bin/busybox (Debian's busybox-static).
 */

#include <unistd.h>

#include <libjob/job.h>

static void
check (GError *error)
{
  if (error != NULL)
    g_error ("%s", error->message);
}

static void
bench_mode (const char *root,
            const char *install,
            JobSandboxMode mode,
            const char *name,
            guint n_runs)
{
  g_autoptr (JobSandbox) sandbox = job_sandbox_new (root);
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "sh", "-c", "echo built > /buildstream-install/out",
                         NULL };
  const char *host_argv[3] = { "sh", "-c", NULL };
  g_autofree char *host_command =
      g_strdup_printf ("echo built > %s/out", install);
  gint64 start;
  int status;

  job_sandbox_set_mode (sandbox, mode);
  job_sandbox_set_env (sandbox, (const char *[]){ "PATH=/bin", NULL });
  job_sandbox_add_mount (sandbox, "/buildstream-install", install);
  if (!job_sandbox_resolve_mode (sandbox, &error))
    {
      g_print ("# %s skipped: %s\n", name, error->message);
      return;
    }
  host_argv[2] = host_command;

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_runs; i++)
    {
      job_sandbox_run (sandbox,
                       mode == JOB_SANDBOX_MODE_HOST ? host_argv : argv, NULL,
                       NULL, &status, &error);
      check (error);
      if (status != 0)
        g_error ("the command failed with status %d", status);
    }
  g_print ("run-%s: %.3f ms/command (%u runs)\n", name,
           (double) (g_get_monotonic_time () - start) / 1000.0 / n_runs,
           n_runs);
}

int
main (int argc, char **argv)
{
  guint n_runs = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 200;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bench-sandbox-XXXXXX", &error);
  g_autofree char *root = g_build_filename (dir, "root", NULL);
  g_autofree char *bin = g_build_filename (root, "bin", NULL);
  g_autofree char *busybox = g_build_filename (bin, "busybox", NULL);
  g_autofree char *sh = g_build_filename (bin, "sh", NULL);
  g_autofree char *install = g_build_filename (dir, "install", NULL);
  const char *rm_argv[] = { "rm", "-rf", dir, NULL };

  check (error);
  g_mkdir_with_parents (bin, 0755);
  g_mkdir_with_parents (install, 0755);
  if (link ("/bin/busybox", busybox) < 0 || symlink ("busybox", sh) < 0)
    g_error ("cannot make the busybox sysroot: is busybox-static installed?");

  bench_mode (root, install, JOB_SANDBOX_MODE_HOST, "host", n_runs);
  bench_mode (root, install, JOB_SANDBOX_MODE_BWRAP, "bwrap", n_runs);

  g_spawn_sync (NULL, (char **) rm_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                NULL, NULL, NULL, NULL);
  return 0;
}
