/* test-build.c: end-to-end builds, through the public API (JobScheduler on
 * a JobWorkerPool) and through the `job` tool, each in a fresh project and
 * artifact cache. Manual elements run on a busybox base made here from
 * Debian's busybox-static. */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <libjob/job.h>

#include "test-secrets.h"

#define BUSYBOX "/bin/busybox"

/* A temporary directory, removed with everything in it. */
typedef struct
{
  char *dir;
  char *project;
  char *cache;
} Scratch;

static void
rm_rf (const char *path)
{
  const char *argv[] = { "rm", "-rf", "--", path, NULL };
  g_autoptr (GError) error = NULL;
  int status = 0;

  /* Artifacts are read-only: let rm handle the modes. */
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                     NULL, NULL, NULL, &status, &error))
    g_error ("rm -rf %s: %s", path, error->message);
}

static void
scratch_clear (Scratch *scratch)
{
  if (scratch->dir != NULL)
    rm_rf (scratch->dir);
  g_clear_pointer (&scratch->dir, g_free);
  g_clear_pointer (&scratch->project, g_free);
  g_clear_pointer (&scratch->cache, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Scratch, scratch_clear)

static void
write_file (const char *dir, const char *relative, const char *contents)
{
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* base/: bin/busybox and the applets the tests' commands use. */
static void
write_busybox_base (const char *project)
{
  static const char *applets[] = { "sh",    "cat",   "cp",   "mkdir", "echo",
                                   "sleep", "ls",    "rm",   "true",  "false",
                                   "test",  "touch", "find", NULL };
  g_autofree char *bin = g_build_filename (project, "base", "bin", NULL);
  g_autofree char *busybox = g_build_filename (bin, "busybox", NULL);
  g_autoptr (GFile) from = g_file_new_for_path (BUSYBOX);
  g_autoptr (GFile) to = g_file_new_for_path (busybox);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (bin, 0755), ==, 0);
  g_file_copy (from, to, G_FILE_COPY_ALL_METADATA, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; applets[i] != NULL; i++)
    {
      g_autofree char *link = g_build_filename (bin, applets[i], NULL);
      g_assert_cmpint (symlink ("busybox", link), ==, 0);
    }
  for (guint i = 0; i < 3; i++)
    {
      const char *dirs[] = { "tmp", "dev", "proc" };
      g_autofree char *dir = g_build_filename (project, "base", dirs[i], NULL);
      g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
    }
  write_file (project, "elements/base.bst",
              "kind: import\n"
              "sources:\n"
              "- kind: local\n"
              "  path: base\n");
}

static void
scratch_init (Scratch *scratch)
{
  g_autoptr (GError) error = NULL;

  if (!g_file_test (BUSYBOX, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("needs " BUSYBOX " (Debian's busybox-static)");
      return;
    }
  scratch->dir = g_dir_make_tmp ("test-build-XXXXXX", &error);
  g_assert_no_error (error);
  scratch->project = g_build_filename (scratch->dir, "project", NULL);
  scratch->cache = g_build_filename (scratch->dir, "cache", NULL);
  write_file (scratch->project, "project.conf",
              "name: test\nelement-path: elements\n");
  write_busybox_base (scratch->project);
}

/* A small project: two imports of local files, a manual element on each,
 * and a manual element on top of both.
 *
 *   a.bst  b.bst      (import files-a/, files-b/)
 *   ma.bst mb.bst     (manual: copy the imported file, add a line)
 *   top.bst           (manual: concatenate ma's and mb's output)
 */
static void
write_diamond (Scratch *scratch)
{
  write_file (scratch->project, "files-a/a.txt", "A\n");
  write_file (scratch->project, "files-b/b.txt", "B\n");
  write_file (scratch->project, "elements/a.bst",
              "kind: import\nsources:\n- kind: local\n  path: files-a\n");
  write_file (scratch->project, "elements/b.bst",
              "kind: import\nsources:\n- kind: local\n  path: files-b\n");
  write_file (scratch->project, "elements/ma.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n"
              "depends:\n- a.bst\n"
              "config:\n"
              "  install-commands:\n"
              "  - cat /a.txt > %{install-root}/ma.txt\n"
              "  - echo ma >> %{install-root}/ma.txt\n");
  write_file (scratch->project, "elements/mb.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n"
              "depends:\n- b.bst\n"
              "config:\n"
              "  install-commands:\n"
              "  - cat /b.txt > %{install-root}/mb.txt\n"
              "  - echo mb >> %{install-root}/mb.txt\n");
  write_file (scratch->project, "elements/top.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n"
              "depends:\n- ma.bst\n- mb.bst\n"
              "config:\n"
              "  build-commands:\n"
              "  - echo 'building top'\n"
              "  install-commands:\n"
              "  - mkdir -p %{install-root}/out\n"
              "  - cat /ma.txt /mb.txt > %{install-root}/out/top.txt\n");
}

/* Through the API */

typedef struct
{
  GPtrArray *started;
  GPtrArray *finished;
  guint failed;
} Events;

static void
on_started (JobScheduler *scheduler, const char *element, Events *events)
{
  g_ptr_array_add (events->started, g_strdup (element));
}

static void
on_finished (JobScheduler *scheduler,
             const char *element,
             const GError *error,
             Events *events)
{
  g_ptr_array_add (events->finished, g_strdup (element));
  if (error != NULL)
    events->failed++;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Builds @target with a JobWorkerPool; returns the sorted names of the
 * elements whose build started. */
static char *
api_build (Scratch *scratch,
           const char *target,
           JobScheduler **out_scheduler,
           GError **error)
{
  const char *targets[] = { target, NULL };
  g_autoptr (JobProject) project = job_project_new (scratch->project);
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (JobScheduler) scheduler = NULL;
  g_autoptr (GPtrArray) started = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) finished = g_ptr_array_new_with_free_func (g_free);
  Events events = { started, finished, 0 };
  gboolean ok;

  g_assert_true (job_project_load (project, NULL, error));
  loader = job_loader_new (project);
  g_assert_true (job_loader_load (loader, targets, NULL, error));
  cache = job_artifact_cache_new (scratch->cache, NULL, error);
  g_assert_nonnull (cache);
  backend = JOB_BACKEND (job_worker_pool_new ());
  scheduler = job_scheduler_new (loader, cache, backend);
  g_object_set (scheduler, "builders", 2, NULL);
  g_assert_true (job_scheduler_prepare (scheduler, targets, error));
  g_signal_connect (scheduler, "job-started", G_CALLBACK (on_started), &events);
  g_signal_connect (scheduler, "job-finished", G_CALLBACK (on_finished),
                    &events);
  ok = job_scheduler_build (scheduler, NULL, error);
  job_backend_shutdown (backend, TRUE);
  g_signal_handlers_disconnect_by_data (scheduler, &events);

  g_assert_cmpuint (started->len, ==, finished->len);
  if (ok)
    g_assert_cmpuint (events.failed, ==, 0);
  if (out_scheduler != NULL)
    *out_scheduler = g_steal_pointer (&scheduler);
  g_ptr_array_sort (started, compare_strings);
  g_ptr_array_add (started, NULL);
  return ok ? g_strjoinv (" ", (char **) started->pdata) : NULL;
}

static void
test_api_build (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (JobScheduler) scheduler = NULL;
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autofree char *started = NULL;
  g_autofree char *checkout = NULL;
  g_autofree char *top_txt = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *old_key = NULL;

  scratch_init (&scratch);
  if (g_test_failed () || scratch.dir == NULL)
    return;
  write_diamond (&scratch);

  started = api_build (&scratch, "top.bst", &scheduler, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (started, ==, "a.bst b.bst base.bst ma.bst mb.bst top.bst");
  for (guint i = 0; i < 6; i++)
    {
      const char *names[] = { "a.bst",  "b.bst",  "base.bst",
                              "ma.bst", "mb.bst", "top.bst" };
      g_assert_cmpint (job_scheduler_get_state (scheduler, names[i]), ==,
                       JOB_ELEMENT_STATE_CACHED);
    }

  /* The artifact holds what top.bst installed, made from the sources
   * through ma.bst and mb.bst. */
  cache = job_artifact_cache_new (scratch.cache, NULL, &error);
  g_assert_no_error (error);
  checkout = g_build_filename (scratch.dir, "checkout", NULL);
  job_artifact_cache_checkout (
      cache, job_scheduler_get_cache_key (scheduler, "top.bst"), checkout, NULL,
      &error);
  g_assert_no_error (error);
  top_txt = g_build_filename (checkout, "out", "top.txt", NULL);
  contents = read_file (top_txt);
  g_assert_cmpstr (contents, ==, "A\nma\nB\nmb\n");
  old_key = g_strdup (job_scheduler_get_cache_key (scheduler, "top.bst"));
  g_clear_object (&scheduler);

  /* Nothing to do the second time. */
  g_clear_pointer (&started, g_free);
  started = api_build (&scratch, "top.bst", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (started, ==, "");

  /* A changed source rebuilds its import and what depends on it, only. */
  write_file (scratch.project, "files-a/a.txt", "A2\n");
  g_clear_pointer (&started, g_free);
  started = api_build (&scratch, "top.bst", &scheduler, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (started, ==, "a.bst ma.bst top.bst");
  g_assert_cmpstr (job_scheduler_get_cache_key (scheduler, "top.bst"), !=,
                   old_key);
  rm_rf (checkout);
  job_artifact_cache_checkout (
      cache, job_scheduler_get_cache_key (scheduler, "top.bst"), checkout, NULL,
      &error);
  g_assert_no_error (error);
  g_clear_pointer (&contents, g_free);
  contents = read_file (top_txt);
  g_assert_cmpstr (contents, ==, "A2\nma\nB\nmb\n");
}

/* Through the job tool */

typedef struct
{
  int status; /* exit status, or -signal */
  char *out;
  char *err;
} JobRun;

static void
job_run_clear (JobRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (JobRun, job_run_clear)

static char *
job_tool_path (void)
{
  const char *builddir = g_getenv ("JOB_BUILDDIR");

  g_assert_nonnull (builddir);
  return g_build_filename (builddir, "libjob", "tools", "job", NULL);
}

/* argv after "job -C PROJECT SUBCOMMAND --cache-dir CACHE"; with $PATH set
 * to @path if not %NULL. */
static GSubprocess *
job_spawn_with_path (Scratch *scratch,
                     const char *path,
                     const char *subcommand,
                     const char *const *args)
{
  g_autofree char *job = job_tool_path ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, job);
  g_ptr_array_add (argv, "-C");
  g_ptr_array_add (argv, scratch->project);
  g_ptr_array_add (argv, (gpointer) subcommand);
  g_ptr_array_add (argv, "--cache-dir");
  g_ptr_array_add (argv, scratch->cache);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (path != NULL)
    g_subprocess_launcher_setenv (launcher, "PATH", path, TRUE);
  process = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static GSubprocess *
job_spawn (Scratch *scratch, const char *subcommand, const char *const *args)
{
  return job_spawn_with_path (scratch, NULL, subcommand, args);
}

static void
job_wait (GSubprocess *process, JobRun *run)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err,
                                 &error);
  g_assert_no_error (error);
  if (g_subprocess_get_if_exited (process))
    run->status = g_subprocess_get_exit_status (process);
  else
    run->status = -g_subprocess_get_term_sig (process);
}

static void
job_run (Scratch *scratch, JobRun *run, const char *subcommand, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  const char *arg;
  va_list ap;

  va_start (ap, subcommand);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  job_run_clear (run);
  process = job_spawn (scratch, subcommand, (const char *const *) args->pdata);
  job_wait (process, run);
}

/* The element names of the "[MM:SS] WHAT name" lines of `job build`, in
 * order, as one string. */
static char *
event_names (const char *out, const char *what)
{
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *after = strchr (line, ']');
      g_auto (GStrv) words = NULL;

      if (line[0] != '[' || after == NULL)
        continue;
      words = g_strsplit_set (after + 1, " ", -1);
      {
        const char *first = NULL, *second = NULL;

        for (guint j = 0; words[j] != NULL; j++)
          {
            if (words[j][0] == '\0')
              continue;
            if (first == NULL)
              first = words[j];
            else if (second == NULL)
              second = words[j];
          }
        if (g_strcmp0 (first, what) == 0 && second != NULL)
          g_ptr_array_add (names, g_strdup (second));
      }
    }
  g_ptr_array_add (names, NULL);
  {
    char *joined = g_strjoinv (" ", (char **) names->pdata);
    for (guint i = 0; i + 1 < names->len; i++)
      g_free (names->pdata[i]);
    return joined;
  }
}

static char *
sorted_event_names (const char *out, const char *what)
{
  g_autofree char *names = event_names (out, what);
  g_auto (GStrv) split = g_strsplit (names, " ", -1);

  if (*names == '\0')
    return g_strdup ("");
  qsort (split, g_strv_length (split), sizeof (char *), compare_strings);
  return g_strjoinv (" ", split);
}

static guint
count_words (const char *names)
{
  g_auto (GStrv) split = NULL;

  if (*names == '\0')
    return 0;
  split = g_strsplit (names, " ", -1);
  return g_strv_length (split);
}

static void
test_cli_build (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *started = NULL;
  g_autofree char *checkout = NULL;
  g_autofree char *top_txt = NULL;
  g_autofree char *contents = NULL;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_diamond (&scratch);
  checkout = g_build_filename (scratch.dir, "checkout", NULL);
  top_txt = g_build_filename (checkout, "out", "top.txt", NULL);

  /* Not built yet: checkout says so. */
  job_run (&scratch, &run, "checkout", "top.bst", checkout, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "not built"));

  job_run (&scratch, &run, "build", "top.bst", NULL);
  if (run.status != 0)
    g_printerr ("%s%s", run.out, run.err);
  g_assert_cmpint (run.status, ==, 0);
  started = sorted_event_names (run.out, "START");
  g_assert_cmpstr (started, ==, "a.bst b.bst base.bst ma.bst mb.bst top.bst");
  g_clear_pointer (&started, g_free);
  started = sorted_event_names (run.out, "SUCCESS");
  g_assert_cmpstr (started, ==, "a.bst b.bst base.bst ma.bst mb.bst top.bst");
  /* An import logs nothing, so it leaves no log; a manual element does. */
  {
    g_autofree char *import_logs =
        g_build_filename (scratch.cache, "logs", "a", NULL);
    g_autofree char *manual_logs =
        g_build_filename (scratch.cache, "logs", "ma", NULL);

    g_assert_false (g_file_test (import_logs, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (manual_logs, G_FILE_TEST_IS_DIR));
  }

  job_run (&scratch, &run, "checkout", "--deps", "none", "top.bst", checkout,
           NULL);
  g_assert_cmpstr (run.err, ==, "");
  g_assert_cmpint (run.status, ==, 0);
  contents = read_file (top_txt);
  g_assert_cmpstr (contents, ==, "A\nma\nB\nmb\n");
  /* The artifact is what top.bst installed, nothing staged from below. */
  {
    g_autofree char *staged = g_build_filename (checkout, "ma.txt", NULL);
    g_autofree char *busybox =
        g_build_filename (checkout, "bin", "busybox", NULL);
    g_assert_false (g_file_test (staged, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (busybox, G_FILE_TEST_EXISTS));
  }

  /* A no-op build starts nothing. */
  job_run (&scratch, &run, "build", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_clear_pointer (&started, g_free);
  started = event_names (run.out, "START");
  g_assert_cmpstr (started, ==, "");

  /* Changing b's source rebuilds b, mb and top only. */
  write_file (scratch.project, "files-b/b.txt", "B2\n");
  job_run (&scratch, &run, "build", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_clear_pointer (&started, g_free);
  started = sorted_event_names (run.out, "START");
  g_assert_cmpstr (started, ==, "b.bst mb.bst top.bst");

  rm_rf (checkout);
  job_run (&scratch, &run, "checkout", "top.bst", checkout, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_clear_pointer (&contents, g_free);
  contents = read_file (top_txt);
  g_assert_cmpstr (contents, ==, "A\nma\nB2\nmb\n");

  /* Changing a command of ma rebuilds ma and top. */
  write_file (scratch.project, "elements/ma.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n"
              "depends:\n- a.bst\n"
              "config:\n"
              "  install-commands:\n"
              "  - cat /a.txt > %{install-root}/ma.txt\n"
              "  - echo ma2 >> %{install-root}/ma.txt\n");
  job_run (&scratch, &run, "build", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_clear_pointer (&started, g_free);
  started = sorted_event_names (run.out, "START");
  g_assert_cmpstr (started, ==, "ma.bst top.bst");
}

/* Each command runs as `sh -e -c` would: -e holds, nothing leaks from one
 * command to the next, and a syntax error fails that command alone. */
static void
test_cli_command_semantics (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_auto (JobRun) syntax = { 0 };

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_file (scratch.project, "elements/sem.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n"
              "config:\n"
              "  build-commands:\n"
              "  - leaked=yes; set -u; cd /tmp\n"
              "  - test -z \"${leaked:-}\" && test \"$(pwd)\" != /tmp && echo "
              "clean-start\n"
              "  - test $# -eq 0 && echo no-arguments\n"
              "  - |\n"
              "    echo multi-line\n"
              "    false\n"
              "    echo after-false-not-reached\n"
              "  - echo never-run\n");
  job_run (&scratch, &run, "build", "sem.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "\nclean-start\n"));
  g_assert_nonnull (strstr (run.err, "\nno-arguments\n"));
  g_assert_nonnull (strstr (run.err, "\nmulti-line\n"));
  g_assert_null (strstr (run.err, "\nafter-false-not-reached\n"));
  g_assert_null (strstr (run.err, "\nnever-run\n"));
  g_assert_nonnull (strstr (
      run.err, "build-commands failed with exit status 1: echo multi-line"));

  write_file (scratch.project, "elements/syntax.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n"
              "config:\n"
              "  build-commands:\n"
              "  - echo before-syntax\n"
              "  - if then fi (\n"
              "  - echo after-syntax-not-reached\n");
  job_run (&scratch, &syntax, "build", "syntax.bst", NULL);
  g_assert_cmpint (syntax.status, ==, 1);
  g_assert_nonnull (strstr (syntax.err, "\nbefore-syntax\n"));
  g_assert_null (strstr (syntax.err, "\nafter-syntax-not-reached\n"));
  g_assert_nonnull (strstr (syntax.err, "build-commands failed with exit "
                                        "status 2: if then fi ("));
}

static void
test_cli_failure (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *log = NULL;
  g_autofree char *log_contents = NULL;
  const char *full_log;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_file (scratch.project, "elements/bad.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n"
              "config:\n"
              "  build-commands:\n"
              "  - echo 'first line of the build'\n"
              "  - echo 'marker-before-failure' && false\n"
              "  - echo 'never printed'\n");

  job_run (&scratch, &run, "build", "bad.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.out, "FAILURE bad.bst"));
  /* stderr: which element, the error, the log's last lines, its path. */
  g_assert_nonnull (strstr (run.err, "Failed: bad.bst"));
  g_assert_nonnull (
      strstr (run.err, "build-commands failed with exit status 1"));
  g_assert_nonnull (strstr (run.err, "Last lines of the log:"));
  g_assert_nonnull (strstr (run.err, "\nmarker-before-failure\n"));
  g_assert_null (strstr (run.err, "never printed"));
  full_log = strstr (run.err, "Full log: ");
  g_assert_nonnull (full_log);
  log = g_strndup (full_log + strlen ("Full log: "),
                   strcspn (full_log + strlen ("Full log: "), "\n"));
  g_assert_true (g_str_has_prefix (log, scratch.cache));
  log_contents = read_file (log);
  g_assert_nonnull (strstr (log_contents, "first line of the build\n"));
  g_assert_nonnull (strstr (log_contents, "marker-before-failure\n"));
  g_assert_null (strstr (log_contents, "never printed"));

  /* Nothing was committed for it: checkout refuses, a rebuild runs it
   * again. */
  {
    g_autofree char *checkout =
        g_build_filename (scratch.dir, "checkout", NULL);

    job_run (&scratch, &run, "checkout", "bad.bst", checkout, NULL);
    g_assert_cmpint (run.status, ==, 1);
    job_run (&scratch, &run, "build", "bad.bst", NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.out, "START   bad.bst"));
    g_assert_null (strstr (run.out, "START   base.bst"));
  }
}

/* fail.bst fails; after.bst depends on it; ok1..ok4.bst do not. */
static void
write_on_error_project (Scratch *scratch)
{
  write_file (scratch->project, "elements/fail.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n"
              "config:\n  build-commands:\n  - exit 3\n");
  write_file (
      scratch->project, "elements/after.bst",
      "kind: manual\n"
      "build-depends:\n- base.bst\n- fail.bst\n"
      "config:\n  install-commands:\n  - echo after > %{install-root}/after\n");
  for (guint i = 1; i <= 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("elements/ok%u.bst", i);
      write_file (
          scratch->project, name,
          "kind: manual\n"
          "build-depends:\n- base.bst\n"
          "config:\n  install-commands:\n  - echo ok > %{install-root}/ok\n");
    }
}

static void
test_cli_on_error_continue (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *succeeded = NULL;
  g_autofree char *failed = NULL;
  g_autofree char *started = NULL;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_on_error_project (&scratch);

  job_run (&scratch, &run, "build", "--builders", "1", "--on-error", "continue",
           "fail.bst", "after.bst", "ok1.bst", "ok2.bst", "ok3.bst", "ok4.bst",
           NULL);
  g_assert_cmpint (run.status, ==, 1);
  succeeded = sorted_event_names (run.out, "SUCCESS");
  g_assert_cmpstr (succeeded, ==, "base.bst ok1.bst ok2.bst ok3.bst ok4.bst");
  failed = sorted_event_names (run.out, "FAILURE");
  g_assert_cmpstr (failed, ==, "fail.bst");
  started = event_names (run.out, "START");
  g_assert_null (strstr (started, "after.bst"));
  g_assert_nonnull (strstr (run.err, "Failed: fail.bst"));
}

static void
test_cli_on_error_quit (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *started = NULL;
  const char *failure;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_on_error_project (&scratch);

  /* One builder: once fail.bst failed, nothing else may start. */
  job_run (&scratch, &run, "build", "--builders", "1", "--on-error", "quit",
           "fail.bst", "after.bst", "ok1.bst", "ok2.bst", "ok3.bst", "ok4.bst",
           NULL);
  if (run.status != 1)
    g_printerr ("job failed: %s\n", run.err);
  g_assert_cmpint (run.status, ==, 1);
  failure = strstr (run.out, "FAILURE fail.bst");
  g_assert_nonnull (failure);
  g_assert_null (strstr (failure, "START"));
  started = event_names (run.out, "START");
  g_assert_null (strstr (started, "after.bst"));
  /* Something was left unbuilt, or the test proves nothing. */
  g_assert_cmpuint (count_words (started), <, 6);

  /* The default is quit too. */
  job_run (&scratch, &run, "build", "--builders", "1", "fail.bst", "after.bst",
           "ok1.bst", "ok2.bst", "ok3.bst", "ok4.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  failure = strstr (run.out, "FAILURE fail.bst");
  g_assert_nonnull (failure);
  g_assert_null (strstr (failure, "START"));
}

/* Processes */

static gboolean
read_stat (const char *pid, int *ppid, char *state)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *contents = NULL;
  const char *paren;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  /* pid (comm) state ppid: comm may hold spaces and parentheses. */
  paren = strrchr (contents, ')');
  if (paren == NULL || sscanf (paren + 1, " %c %d", state, ppid) != 2)
    return FALSE;
  return TRUE;
}

/* The live (not zombie) descendants of @root. */
static GArray *
descendants (GPid root)
{
  g_autoptr (GHashTable) parent = g_hash_table_new (NULL, NULL);
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (int));
  const char *name;

  g_assert_nonnull (proc);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      int ppid;
      char state;

      if (!g_ascii_isdigit (name[0]) || !read_stat (name, &ppid, &state)
          || state == 'Z')
        continue;
      g_hash_table_insert (parent, GINT_TO_POINTER (atoi (name)),
                           GINT_TO_POINTER (ppid));
    }
  {
    GHashTableIter iter;
    gpointer pid, ppid;

    g_hash_table_iter_init (&iter, parent);
    while (g_hash_table_iter_next (&iter, &pid, &ppid))
      {
        int p = GPOINTER_TO_INT (ppid);

        for (guint depth = 0; p > 1 && depth < 64; depth++)
          {
            if (p == root)
              {
                int child = GPOINTER_TO_INT (pid);
                g_array_append_val (out, child);
                break;
              }
            p = GPOINTER_TO_INT (
                g_hash_table_lookup (parent, GINT_TO_POINTER (p)));
          }
      }
  }
  return out;
}

static gboolean
is_alive (int pid)
{
  g_autofree char *name = g_strdup_printf ("%d", pid);
  int ppid;
  char state;

  return read_stat (name, &ppid, &state) && state != 'Z';
}

/* The end of line @n of @text (the first nine lines of a status file). */
static char *
strstrip_after_line (char *text, guint n)
{
  char *p = text;

  for (guint i = 0; i < n && p != NULL && *p != '\0'; i++)
    {
      p = strchr (p, '\n');
      if (p != NULL)
        p++;
    }
  return p != NULL ? p : text + strlen (text);
}

/* Live processes with @text in their command line. */
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
      gsize len = 0;

      if (!g_ascii_isdigit (name[0]) || atoi (name) == getpid ()
          || !is_alive (atoi (name)))
        continue;
      path = g_strdup_printf ("/proc/%s/cmdline", name);
      if (!g_file_get_contents (path, &cmdline, &len, NULL))
        continue;
      for (gsize i = 0; i + 1 < len; i++)
        if (cmdline[i] == '\0')
          cmdline[i] = ' ';
      if (strstr (cmdline, text) != NULL)
        {
          g_autofree char *status_path =
              g_strdup_printf ("/proc/%s/status", name);
          g_autofree char *wchan_path =
              g_strdup_printf ("/proc/%s/wchan", name);
          g_autofree char *status = NULL;
          g_autofree char *wchan = NULL;

          g_file_get_contents (status_path, &status, NULL, NULL);
          g_file_get_contents (wchan_path, &wchan, NULL, NULL);
          if (status != NULL)
            *strstrip_after_line (status, 9) = '\0';
          g_test_message ("still running: %s: %s (wchan %s)\n%s", name, cmdline,
                          wchan, status);
          n++;
        }
    }
  return n;
}

/* Artifact directories: cache/artifacts/XX/KEY. */
static GPtrArray *
list_artifacts (Scratch *scratch)
{
  g_autofree char *artifacts =
      g_build_filename (scratch->cache, "artifacts", NULL);
  g_autoptr (GDir) top = g_dir_open (artifacts, 0, NULL);
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);
  const char *prefix;

  while (top != NULL && (prefix = g_dir_read_name (top)) != NULL)
    {
      g_autofree char *sub = g_build_filename (artifacts, prefix, NULL);
      g_autoptr (GDir) dir = g_dir_open (sub, 0, NULL);
      const char *key;

      while (dir != NULL && (key = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (keys, g_strdup (key));
    }
  return keys;
}

/* Entries in the cache's build/: builds in progress and kept roots. */
static guint
count_build_directories (Scratch *scratch)
{
  g_autofree char *builds = g_build_filename (scratch->cache, "build", NULL);
  g_autoptr (GDir) dir = g_dir_open (builds, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
test_cli_kill (gconstpointer data)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autoptr (GString) all = g_string_new ("kind: stack\ndepends:\n");
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GPtrArray) done = NULL;
  g_autoptr (GArray) children = NULL;
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *started = NULL;
  const char *args[] = { "all.bst", NULL };
  const guint n = 100;
  gint64 deadline;
  guint n_done;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("elements/s%02u.bst", i);
      g_autofree char *element =
          g_strdup_printf ("kind: manual\n"
                           "build-depends:\n- base.bst\n"
                           "config:\n"
                           "  build-commands:\n"
                           "  - sleep 0.1\n"
                           "  install-commands:\n"
                           "  - echo s%02u > %%{install-root}/s%02u.txt\n",
                           i, i);

      write_file (scratch.project, path, element);
      g_string_append_printf (all, "- s%02u.bst\n", i);
    }
  write_file (scratch.project, "elements/all.bst", all->str);

  /* Kill -9 (or interrupt) the tool once a few artifacts are in, while
   * others build. */
  process = job_spawn (&scratch, "build", args);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr (GPtrArray) keys = list_artifacts (&scratch);

      if (keys->len >= 6)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }
  children = descendants (atoi (g_subprocess_get_identifier (process)));
  g_assert_cmpuint (children->len, >, 0);
  g_subprocess_send_signal (process, GPOINTER_TO_INT (data));
  {
    gint64 sent = g_get_monotonic_time ();

    job_wait (process, &run);
    if (GPOINTER_TO_INT (data) == SIGKILL)
      g_assert_cmpint (run.status, ==, -SIGKILL);
    else
      {
        /* Interrupted: running jobs are cancelled, not waited for, and
         * the tool says so and fails. */
        g_assert_cmpint (run.status, >, 0);
        g_assert_nonnull (strstr (run.err, "Interrupted"));
        g_assert_cmpint (g_get_monotonic_time () - sent, <, 5 * G_USEC_PER_SEC);
      }
  }

  /* Every worker and command dies with it. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (guint i = 0; i < children->len;)
    {
      int pid = g_array_index (children, int, i);

      if (!is_alive (pid))
        {
          i++;
          continue;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *comm_path =
              g_strdup_printf ("/proc/%d/cmdline", pid);
          g_autofree char *comm = NULL;

          g_autofree char *status_path =
              g_strdup_printf ("/proc/%d/status", pid);
          g_autofree char *wchan_path = g_strdup_printf ("/proc/%d/wchan", pid);
          g_autofree char *status = NULL;
          g_autofree char *wchan = NULL;

          g_file_get_contents (comm_path, &comm, NULL, NULL);
          g_file_get_contents (status_path, &status, NULL, NULL);
          g_file_get_contents (wchan_path, &wchan, NULL, NULL);
          g_error ("process %d (%s) outlived the killed job tool; wchan %s, "
                   "status:\n%s",
                   pid, comm, wchan, status);
        }
      g_usleep (10000);
    }
  /* Nor does anything started after the snapshot: no process names the
   * project's or cache's directories on its command line. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (count_processes_naming (scratch.dir) > 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }

  /* What is in the cache is complete: it checks out. */
  done = list_artifacts (&scratch);
  n_done = done->len;
  g_assert_cmpuint (n_done, >=, 6);
  g_assert_cmpuint (n_done, <, n + 2);
  /* The killed builds left their directories behind; the cache opened
   * next removes them. */
  g_assert_cmpuint (count_build_directories (&scratch), >, 0);
  cache = job_artifact_cache_new (scratch.cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_build_directories (&scratch), ==, 0);
  for (guint i = 0; i < done->len; i++)
    {
      const char *key = done->pdata[i];
      g_autofree char *dest =
          g_build_filename (scratch.dir, "checkouts", key, NULL);
      g_autoptr (GKeyFile) meta = NULL;

      g_assert_true (job_artifact_cache_contains (cache, key));
      meta = job_artifact_cache_get_metadata (cache, key, &error);
      g_assert_no_error (error);
      job_artifact_cache_checkout (cache, key, dest, NULL, &error);
      g_assert_no_error (error);
      /* Complete: an sNN element's artifact holds its one file, whole. */
      {
        g_autoptr (GDir) files = g_dir_open (dest, 0, NULL);
        const char *file;

        g_assert_nonnull (files);
        while ((file = g_dir_read_name (files)) != NULL)
          if (file[0] == 's' && g_str_has_suffix (file, ".txt"))
            {
              g_autofree char *path = g_build_filename (dest, file, NULL);
              g_autofree char *contents = read_file (path);
              g_autofree char *expected =
                  g_strdup_printf ("%.*s\n", (int) strlen (file) - 4, file);

              g_assert_cmpstr (contents, ==, expected);
            }
      }
    }

  /* The next build builds only what was not finished. */
  job_run (&scratch, &run, "build", "all.bst", NULL);
  if (run.status != 0)
    g_printerr ("%s%s", run.out, run.err);
  g_assert_cmpint (run.status, ==, 0);
  started = event_names (run.out, "START");
  g_assert_cmpuint (count_words (started), ==, n + 2 - n_done);
  g_assert_null (strstr (started, "base.bst"));
  {
    g_autoptr (GPtrArray) after = list_artifacts (&scratch);
    g_assert_cmpuint (after->len, ==, n + 2);
  }
  g_assert_cmpuint (count_build_directories (&scratch), ==, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("s%02u.bst", i);
      g_autofree char *dest =
          g_build_filename (scratch.dir, "final", name, NULL);
      g_autofree char *file = g_strdup_printf ("%s/s%02u.txt", dest, i);
      g_autofree char *expected = g_strdup_printf ("s%02u\n", i);
      g_autofree char *contents = NULL;

      job_run (&scratch, &run, "checkout", name, dest, NULL);
      g_assert_cmpint (run.status, ==, 0);
      contents = read_file (file);
      g_assert_cmpstr (contents, ==, expected);
    }
}

/* `job shell`: the element's runtime sandbox (read-only, with the project's
 * shell environment), or with --build the one it is built in; a clear error
 * before it is built, or when the sandbox has no shell; nothing left in the
 * cache's build/ afterwards. */
static void
test_cli_shell (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autoptr (JobSandbox) probe = job_sandbox_new ("/");

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  job_sandbox_set_mode (probe, JOB_SANDBOX_MODE_BWRAP);
  if (!job_sandbox_resolve_mode (probe, NULL))
    {
      g_test_skip ("bwrap cannot create a sandbox here");
      return;
    }
  write_file (scratch.project, "project.conf",
              "name: test\nelement-path: elements\n"
              "shell:\n"
              "  environment:\n"
              "    GREETING: hi-${JOB_TEST_SHELL_HOST}\n");
  write_file (scratch.project, "src/input.txt", "from-source\n");
  write_file (scratch.project, "elements/app.bst",
              "kind: manual\n"
              "depends:\n- base.bst\n"
              "sources:\n- kind: local\n  path: src\n"
              "config:\n"
              "  install-commands:\n"
              "  - cp input.txt %{install-root}/app.txt\n");
  write_file (scratch.project, "elements/data.bst",
              "kind: import\n"
              "sources:\n- kind: local\n  path: src\n");
  g_setenv ("JOB_TEST_SHELL_HOST", "there", TRUE);

  job_run (&scratch, &run, "shell", "app.bst", "--", "true", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "not built: base.bst, app.bst"));
  g_assert_nonnull (strstr (run.err, "job build app.bst"));

  job_run (&scratch, &run, "build", "app.bst", "data.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);

  job_run (&scratch, &run, "shell", "app.bst", "--", "sh", "-c",
           "cat /app.txt; echo \"$GREETING\"; "
           "touch /bin/new 2>/dev/null || echo read-only; exit 5",
           NULL);
  g_assert_cmpint (run.status, ==, 5);
  g_assert_cmpstr (run.out, ==, "from-source\nhi-there\nread-only\n");

  job_run (&scratch, &run, "shell", "--build", "app.bst", "--", "sh", "-c",
           "pwd; cat input.txt; test -e /app.txt || echo no-artifact", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==,
                   "/buildstream/test/app.bst\nfrom-source\nno-artifact\n");

  /* What an import needs at run time is itself: no shell there. */
  job_run (&scratch, &run, "shell", "data.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "“sh” is not in the sandbox of data.bst"));
  g_assert_nonnull (strstr (run.err, "try --build"));

  g_assert_cmpuint (count_build_directories (&scratch), ==, 0);
  g_unsetenv ("JOB_TEST_SHELL_HOST");
}

/* Runs @command with sh; returns its standard output. */
static char *
sh_output (const char *command)
{
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  int status = -1;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
  return out;
}

/* `job fetch`: fetches what a build would and builds nothing, fetches
 * nothing the second time, and reports a failed fetch; `job show` sees the
 * difference. */
static void
test_cli_fetch (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *command = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *element = NULL;
  g_autofree char *bad = NULL;
  g_autoptr (GPtrArray) artifacts = NULL;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_file (scratch.dir, "payload/greeting.txt", "hello\n");
  command = g_strdup_printf (
      "tar -C '%s' -cf '%s/payload.tar' payload && sha256sum '%s/payload.tar' "
      "| cut -d' ' -f1 | tr -d '\\n'",
      scratch.dir, scratch.dir, scratch.dir);
  sha = sh_output (command);
  element = g_strdup_printf ("kind: import\n"
                             "sources:\n- kind: tar\n  url: file://%s/"
                             "payload.tar\n  ref: %s\n",
                             scratch.dir, sha);
  write_file (scratch.project, "elements/src.bst", element);
  bad = g_strdup_printf ("kind: import\n"
                         "sources:\n- kind: tar\n  url: file://%s/"
                         "payload.tar\n  ref: %064d\n",
                         scratch.dir, 0);
  write_file (scratch.project, "elements/bad.bst", bad);

  job_run (&scratch, &run, "show", "--format", "%{state} %{name}", "src.bst",
           NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "fetch needed src.bst\n");

  job_run (&scratch, &run, "fetch", "src.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "FETCH   src.bst\n"));
  g_assert_nonnull (strstr (run.out, "1 fetched, 0 failed\n"));
  artifacts = list_artifacts (&scratch);
  g_assert_cmpuint (artifacts->len, ==, 0); /* nothing built */

  job_run (&scratch, &run, "show", "--format", "%{state} %{name}", "src.bst",
           NULL);
  g_assert_cmpstr (run.out, ==, "buildable src.bst\n");
  job_run (&scratch, &run, "fetch", "src.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "0 fetched, 0 failed\n");

  job_run (&scratch, &run, "fetch", "bad.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.out, "0 fetched, 1 failed\n"));
  g_assert_nonnull (strstr (run.err, "bad.bst"));

  job_run (&scratch, &run, "fetch", "--deps", "sideways", "src.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "--deps takes none, plan or all"));
}

static char *
read_built_file (Scratch *scratch, const char *element, const char *file);

/* `job track`: the newest commit of a git branch is written into the
 * element in place (comments, quoting of other keys and layout kept), or
 * added under `url:`; a second track changes nothing and does not rewrite
 * the file; with ref-storage: project.refs it goes there; a source with
 * nothing to follow is a clear error. */
static void
test_cli_track (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *command = NULL;
  g_autofree char *first = NULL, *second = NULL;
  g_autofree char *app = NULL, *app_path = NULL, *after = NULL;
  g_autofree char *expected = NULL, *expected_new = NULL, *refs = NULL;
  g_autofree char *refs_path = NULL, *new_path = NULL, *added = NULL;
  g_autofree char *refs_project = NULL, *plain = NULL;
  g_autofree char *third = NULL, *built = NULL;
  struct stat before_st, after_st;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  command = g_strdup_printf (
      "cd '%s' && mkdir repo && cd repo && git init -q -b main . && echo 1 > f "
      "&& git add f && git -c user.name=t -c user.email=t@t commit -q -m 1 "
      "&& git rev-parse HEAD | tr -d '\\n'",
      scratch.dir);
  first = sh_output (command);
  app = g_strdup_printf ("# the app\n"
                         "kind: import\n"
                         "sources:\n"
                         "# from git\n"
                         "- kind: git\n"
                         "  url: file://%s/repo   # upstream\n"
                         "  track: main\n"
                         "  ref: \"%s\"  # pinned\n",
                         scratch.dir, first);
  write_file (scratch.project, "elements/app.bst", app);
  plain = g_strdup_printf ("kind: import\n"
                           "sources:\n"
                           "- kind: git\n"
                           "  url: file://%s/repo\n"
                           "  track: main\n",
                           scratch.dir);
  write_file (scratch.project, "elements/new.bst", plain);

  /* Nothing new upstream. */
  job_run (&scratch, &run, "track", "app.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "app.bst: source 1: unchanged"));

  g_free (command);
  command = g_strdup_printf (
      "cd '%s/repo' && echo 2 > f && git -c user.name=t -c user.email=t@t "
      "commit -q -a -m 2 && git rev-parse HEAD | tr -d '\\n'",
      scratch.dir);
  second = sh_output (command);
  job_run (&scratch, &run, "track", "app.bst", "new.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "2 changed\n"));
  app_path = g_build_filename (scratch.project, "elements", "app.bst", NULL);
  after = read_file (app_path);
  expected = g_strdup_printf ("# the app\n"
                              "kind: import\n"
                              "sources:\n"
                              "# from git\n"
                              "- kind: git\n"
                              "  url: file://%s/repo   # upstream\n"
                              "  track: main\n"
                              "  ref: %s  # pinned\n",
                              scratch.dir, second);
  g_assert_cmpstr (after, ==, expected);
  new_path = g_build_filename (scratch.project, "elements", "new.bst", NULL);
  added = read_file (new_path);
  expected_new = g_strdup_printf ("kind: import\n"
                                  "sources:\n"
                                  "- kind: git\n"
                                  "  url: file://%s/repo\n"
                                  "  ref: %s\n"
                                  "  track: main\n",
                                  scratch.dir, second);
  g_assert_cmpstr (added, ==, expected_new);

  /* Again: unchanged, and the file is not rewritten. */
  g_assert_cmpint (stat (app_path, &before_st), ==, 0);
  job_run (&scratch, &run, "track", "app.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "0 changed\n"));
  g_assert_cmpint (stat (app_path, &after_st), ==, 0);
  g_assert_cmpint (before_st.st_ino, ==, after_st.st_ino);
  g_assert_cmpint (before_st.st_mtim.tv_nsec, ==, after_st.st_mtim.tv_nsec);

  /* job build --track: the new ref first, then a build of it. */
  g_free (command);
  command = g_strdup_printf (
      "cd '%s/repo' && echo 3 > f && git -c user.name=t -c user.email=t@t "
      "commit -q -a -m 3 && git rev-parse HEAD | tr -d '\\n'",
      scratch.dir);
  third = sh_output (command);
  job_run (&scratch, &run, "build", "--track", "app.bst", "app.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "1 ref changed\n"));
  g_assert_nonnull (strstr (run.out, "SUCCESS app.bst"));
  g_free (after);
  after = read_file (app_path);
  g_assert_nonnull (strstr (after, third));
  built = read_built_file (&scratch, "app.bst", "f");
  g_assert_cmpstr (built, ==, "3\n");
  /* Nothing new: nothing changed, nothing built. */
  job_run (&scratch, &run, "build", "--track-all", "--quiet", "app.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "");

  /* With project.refs, the ref goes there. */
  write_file (scratch.project, "project.conf",
              "name: test\nelement-path: elements\n"
              "ref-storage: project.refs\n");
  write_file (scratch.project, "elements/new.bst", plain);
  job_run (&scratch, &run, "track", "new.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  refs_path = g_build_filename (scratch.project, "project.refs", NULL);
  refs = read_file (refs_path);
  refs_project = g_strdup_printf (
      "projects:\n  test:\n    new.bst:\n    - ref: %s\n", third);
  g_assert_cmpstr (refs, ==, refs_project);
  g_free (added);
  added = read_file (new_path);
  g_assert_cmpstr (added, ==, plain);

  /* Nothing to follow. */
  write_file (scratch.project, "elements/stuck.bst",
              "kind: import\n"
              "sources:\n- kind: git\n  url: file:///nowhere\n");
  job_run (&scratch, &run, "track", "stuck.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "stuck.bst [line 4 column 8]"));
  g_assert_nonnull (strstr (run.err, "no `track` branch"));
}

/* `job -C PROJECT ARGS…`, without the --cache-dir of job_run() */
static void
tool_run (Scratch *scratch, JobRun *run, ...)
{
  g_autofree char *job = job_tool_path ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, job);
  g_ptr_array_add (argv, "-C");
  g_ptr_array_add (argv, scratch->project);
  va_start (ap, run);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  job_run_clear (run);
  process = g_subprocess_newv (
      (const char *const *) argv->pdata,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  job_wait (process, run);
}

static char *
read_file_at (const char *dir, const char *relative)
{
  g_autofree char *path = g_build_filename (dir, relative, NULL);

  return read_file (path);
}

static char *
read_built_file (Scratch *scratch, const char *element, const char *file)
{
  g_autofree char *checkout = g_build_filename (scratch->dir, "checkout", NULL);
  g_autofree char *path = g_build_filename (checkout, file, NULL);
  g_auto (JobRun) run = { 0 };
  char *contents = NULL;

  rm_rf (checkout);
  job_run (scratch, &run, "checkout", element, checkout, NULL);
  g_assert_cmpint (run.status, ==, 0);
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    g_error ("%s has no %s", element, file);
  return contents;
}

/* job workspace: an element's sources in a directory to edit, which builds
 * use in their place while it is open. */
static void
test_cli_workspace (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *ws = NULL, *ws_c = NULL, *moved = NULL, *text = NULL;
  g_autofree char *listed = NULL, *shown = NULL, *state = NULL;
  g_autofree char *extra = NULL, *dot_job = NULL, *other = NULL;
  const char *up_to_date = "Up to date: no input changed";
  const char *name;
  g_autoptr (GDir) dir = NULL;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_diamond (&scratch);
  ws = g_build_filename (scratch.dir, "ws", NULL);
  dot_job = g_build_filename (scratch.project, ".job", NULL);

  /* Open: the sources staged, the workspace kept with the project. */
  tool_run (&scratch, &run, "workspace", "open", "--cache-dir", scratch.cache,
            "a.bst", ws, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "a.bst: workspace opened at "));
  text = read_file_at (ws, "a.txt");
  g_assert_cmpstr (text, ==, "A\n");
  tool_run (&scratch, &run, "workspace", "list", NULL);
  g_assert_cmpint (run.status, ==, 0);
  listed = g_strdup_printf ("a.bst: %s\n", ws);
  g_assert_cmpstr (run.out, ==, listed);
  job_run (&scratch, &run, "show", "--deps", "none", "a.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  shown = g_strdup_printf (" a.bst (workspace %s)\n", ws);
  g_assert_true (g_str_has_suffix (run.out, shown));

  /* Builds use what the workspace holds, edits included. */
  write_file (ws, "a.txt", "AW\n");
  job_run (&scratch, &run, "build", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (text);
  text = read_built_file (&scratch, "ma.bst", "ma.txt");
  g_assert_cmpstr (text, ==, "AW\nma\n");

  /* The no-op shortcut sees edits in the workspace. */
  g_usleep (2100 * 1000);
  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, up_to_date));
  write_file (ws, "a.txt", "AW2\n");
  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_null (strstr (run.out, up_to_date));
  state = sorted_event_names (run.out, "START");
  g_assert_cmpstr (state, ==, "a.bst ma.bst top.bst");

  /* What cannot be opened, each with its reason. */
  tool_run (&scratch, &run, "workspace", "open", "--cache-dir", scratch.cache,
            "a.bst", ws, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "a.bst already has a workspace at"));
  other = g_build_filename (ws, "inner", NULL);
  tool_run (&scratch, &run, "workspace", "open", "--cache-dir", scratch.cache,
            "b.bst", other, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "overlaps the workspace of a.bst"));
  tool_run (&scratch, &run, "workspace", "open", "--cache-dir", scratch.cache,
            "top.bst", "elsewhere", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "top.bst has no sources"));
  tool_run (&scratch, &run, "workspace", "open", "--cache-dir", scratch.cache,
            "b.bst", scratch.dir, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "holds the project itself"));
  write_file (scratch.dir, "busy/file", "x\n");
  g_free (other);
  other = g_build_filename (scratch.dir, "busy", NULL);
  tool_run (&scratch, &run, "workspace", "open", "--cache-dir", scratch.cache,
            "b.bst", other, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "is not empty"));
  g_assert_nonnull (strstr (run.err, "--force"));
  /* Sources that cannot be fetched: the error, and no directory made. */
  write_file (scratch.project, "elements/remote.bst",
              "kind: import\nsources:\n- kind: git\n"
              "  url: file:///nonexistent/repo\n"
              "  ref: 0123456789012345678901234567890123456789\n");
  g_free (other);
  other = g_build_filename (scratch.dir, "ws-remote", NULL);
  tool_run (&scratch, &run, "workspace", "open", "--cache-dir", scratch.cache,
            "remote.bst", other, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "remote.bst"));
  g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));

  /* Reset: the sources again, nothing else, nothing left beside it. */
  write_file (ws, "extra.txt", "x\n");
  tool_run (&scratch, &run, "workspace", "reset", "--cache-dir", scratch.cache,
            "a.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (text);
  text = read_file_at (ws, "a.txt");
  g_assert_cmpstr (text, ==, "A\n");
  extra = g_build_filename (ws, "extra.txt", NULL);
  g_assert_false (g_file_test (extra, G_FILE_TEST_EXISTS));
  dir = g_dir_open (scratch.dir, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_prefix (name, ".ws."));

  /* A workspace whose directory went away: the fix in the error. */
  moved = g_build_filename (scratch.dir, "ws-moved", NULL);
  g_assert_cmpint (g_rename (ws, moved), ==, 0);
  job_run (&scratch, &run, "build", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "job workspace reset a.bst"));
  g_assert_cmpint (g_rename (moved, ws), ==, 0);

  /* Close: the element's own sources again; the directory stays. */
  tool_run (&scratch, &run, "workspace", "close", "a.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_file_test (ws, G_FILE_TEST_IS_DIR));
  g_assert_false (g_file_test (dot_job, G_FILE_TEST_EXISTS));
  tool_run (&scratch, &run, "workspace", "list", NULL);
  g_assert_cmpstr (run.out, ==, "no open workspaces\n");
  write_file (scratch.project, "files-a/a.txt", "A2\n");
  job_run (&scratch, &run, "build", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (text);
  text = read_built_file (&scratch, "ma.bst", "ma.txt");
  g_assert_cmpstr (text, ==, "A2\nma\n");
  tool_run (&scratch, &run, "workspace", "close", "a.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "a.bst has no open workspace"));
  tool_run (&scratch, &run, "workspace", "close", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "name elements, or give --all"));

  /* Sources with a directory keep it in the workspace and in the build;
   * --force stages over what is there; --remove-dir removes it. */
  write_file (scratch.project, "elements/c.bst",
              "kind: import\nsources:\n- kind: local\n  path: files-b\n"
              "  directory: sub\n");
  ws_c = g_build_filename (scratch.dir, "ws-c", NULL);
  write_file (ws_c, "sub/b.txt", "stale\n");
  write_file (ws_c, "mine.txt", "mine\n");
  tool_run (&scratch, &run, "workspace", "open", "--force", "--cache-dir",
            scratch.cache, "c.bst", ws_c, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (text);
  text = read_file_at (ws_c, "sub/b.txt");
  g_assert_cmpstr (text, ==, "B\n");
  job_run (&scratch, &run, "build", "c.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (text);
  text = read_built_file (&scratch, "c.bst", "mine.txt");
  g_assert_cmpstr (text, ==, "mine\n");
  tool_run (&scratch, &run, "workspace", "close", "--remove-dir", "--all",
            NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_false (g_file_test (ws_c, G_FILE_TEST_EXISTS));
  /* Built from files-b/ like b.bst, but into sub/: not b.bst's artifact. */
  job_run (&scratch, &run, "build", "c.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "1 built"));
  g_free (text);
  text = read_built_file (&scratch, "c.bst", "sub/b.txt");
  g_assert_cmpstr (text, ==, "B\n");

  /* A damaged workspaces file is an error that says what to do. */
  write_file (scratch.project, ".job/workspaces.yml",
              "format-version: 9\nworkspaces: {}\n");
  job_run (&scratch, &run, "show", "a.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, ".job/workspaces.yml [line 1 column"));
  g_assert_nonnull (strstr (run.err, "format-version 1"));
  write_file (scratch.project, ".job/workspaces.yml",
              "format-version: 1\nworkspaces:\n  a.bst: {path: ../ws}\n");
  tool_run (&scratch, &run, "workspace", "list", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, listed);
}

/* job init: a project.conf BuildStream would write, checked by loading. */
static void
test_cli_init (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *dir = NULL, *conf = NULL, *text = NULL, *bad = NULL;
  g_autofree char *elements = NULL, *outside = NULL;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  dir = g_build_filename (scratch.dir, "new", NULL);
  conf = g_build_filename (dir, "project.conf", NULL);
  elements = g_build_filename (dir, "elements", NULL);

  /* The format version written is the one --version reports. */
  tool_run (&scratch, &run, "--version", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.out, "job " JOB_VERSION_S " "));
  g_assert_nonnull (strstr (run.out, "format version 18)"));
  tool_run (&scratch, &run, "init", "--project-name", "demo", dir, NULL);
  g_assert_cmpint (run.status, ==, 0);
  text = read_file (conf);
  g_assert_nonnull (strstr (text, "\nname: demo\n"));
  g_assert_nonnull (strstr (text, "\nformat-version: 18\n"));
  g_assert_nonnull (strstr (text, "\nelement-path: elements\n"));
  g_assert_true (g_file_test (elements, G_FILE_TEST_IS_DIR));

  /* It loads, and builds. */
  write_file (dir, "files/f.txt", "f\n");
  write_file (elements, "f.bst",
              "kind: import\nsources:\n- kind: local\n  path: files\n");
  {
    g_autofree char *job = job_tool_path ();
    const char *argv[] = { job,           "-C",          dir,     "build",
                           "--cache-dir", scratch.cache, "f.bst", NULL };
    g_autoptr (GSubprocess) process = g_subprocess_newv (
        argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
        NULL);

    job_run_clear (&run);
    job_wait (process, &run);
    g_assert_cmpint (run.status, ==, 0);
  }

  /* Not over an existing project unless asked. */
  tool_run (&scratch, &run, "init", "--project-name", "other", dir, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "exists already"));
  g_assert_nonnull (strstr (run.err, "--force"));
  tool_run (&scratch, &run, "init", "--force", "--element-path", "src/bst", dir,
            NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (text);
  text = read_file (conf);
  g_assert_nonnull (strstr (text, "\nname: new\n"));
  g_assert_nonnull (strstr (text, "\nelement-path: src/bst\n"));
  g_free (elements);
  elements = g_build_filename (dir, "src", "bst", NULL);
  g_assert_true (g_file_test (elements, G_FILE_TEST_IS_DIR));

  /* What would not load is refused, and nothing is written. */
  bad = g_build_filename (scratch.dir, "bad", NULL);
  tool_run (&scratch, &run, "init", "--project-name", "9 lives", bad, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "the project would not load"));
  g_assert_nonnull (strstr (run.err, "9 lives"));
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  tool_run (&scratch, &run, "init", "--project-name", "p", "--element-path",
            "../out", bad, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "leads outside"));
  outside = g_build_filename (scratch.dir, "out", NULL);
  g_assert_false (g_file_test (outside, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  /* A directory whose name is no project name: say how to give one. */
  g_free (bad);
  bad = g_build_filename (scratch.dir, "my project", NULL);
  tool_run (&scratch, &run, "init", bad, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "--project-name"));
}

/* job log: the build log kept under the element's cache key. */
static void
test_cli_log (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_diamond (&scratch);
  job_run (&scratch, &run, "log", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "top.bst has no build log"));
  g_assert_nonnull (strstr (run.err, "not built with this key"));

  job_run (&scratch, &run, "build", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  job_run (&scratch, &run, "log", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "building top\n"));
  g_assert_null (strstr (run.out, "==> "));
  job_run (&scratch, &run, "log", "ma.bst", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.out, "==> ma.bst ("));
  g_assert_nonnull (strstr (run.out, "\n==> top.bst ("));
  /* An import runs no command and logs nothing. */
  job_run (&scratch, &run, "log", "a.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "its build printed nothing"));

  /* A failed build's log is there too. */
  write_file (scratch.project, "elements/broken.bst",
              "kind: manual\nbuild-depends:\n- base.bst\nconfig:\n"
              "  build-commands:\n  - echo about to fail\n  - exit 3\n");
  job_run (&scratch, &run, "build", "broken.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  job_run (&scratch, &run, "log", "broken.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "about to fail\n"));
}

/* job prune, and job build under a [cache] quota: the least recently used
 * artifacts go, never those of the targets. */
static void
test_cli_prune (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *config = NULL;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  config = g_build_filename (scratch.dir, "job.conf", NULL);
  g_setenv ("JOB_CONFIG", config, TRUE);
  write_diamond (&scratch);
  write_file (scratch.project, "files-x/x.txt", "X\n");
  write_file (scratch.project, "elements/extra.bst",
              "kind: import\nsources:\n- kind: local\n  path: files-x\n");
  job_run (&scratch, &run, "build", "top.bst", "extra.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);

  /* A quota is needed, from the command line or the configuration. */
  job_run (&scratch, &run, "prune", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "give --quota SIZE"));
  job_run (&scratch, &run, "prune", "--quota", "lots", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "not “lots”"));

  /* Down to nothing, but what top.bst needs stays. */
  job_run (&scratch, &run, "prune", "--quota", "0", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Removed 1 artifact;"));
  g_assert_nonnull (strstr (run.err, "alone take more than the quota"));
  job_run (&scratch, &run, "show", "--format", "%{state} %{name}", "top.bst",
           "extra.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "cached top.bst\n"));
  g_assert_nonnull (strstr (run.out, "cached base.bst\n"));
  g_assert_nonnull (strstr (run.out, "buildable extra.bst\n"));

  /* With a generous quota, nothing goes. */
  job_run (&scratch, &run, "prune", "--quota", "1.5G", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Removed 0 artifacts;"));

  /* job build prunes by itself under the configuration's quota. */
  write_file (scratch.dir, "job.conf", "[cache]\nquota=lots\n");
  job_run (&scratch, &run, "build", "extra.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "[cache] quota is a size"));
  write_file (scratch.dir, "job.conf", "[cache]\nquota=1\n");
  job_run (&scratch, &run, "build", "extra.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "1 built, 0 failed"));
  g_assert_nonnull (strstr (run.err, "more than the cache quota of"));
  job_run (&scratch, &run, "show", "--format", "%{state} %{name}", "top.bst",
           "extra.bst", NULL);
  g_assert_nonnull (strstr (run.out, "cached extra.bst\n"));
  g_assert_null (strstr (run.out, "cached top.bst\n"));
  g_assert_null (strstr (run.out, "cached base.bst\n"));
  g_unsetenv ("JOB_CONFIG");
}

/* job checkout, as bst checkout: the element and what it needs at run
 * time, integrated, into an empty directory; or only its own artifact, or
 * hard links, or a tar archive. */
static void
test_cli_checkout (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *out = NULL, *text = NULL, *tarball = NULL, *list = NULL;
  g_autofree char *command = NULL, *path = NULL;
  struct stat st;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_diamond (&scratch);
  write_file (scratch.project, "elements/integ.bst",
              "kind: import\nsources:\n- kind: local\n  path: files-a\n"
              "config:\n  target: /share/integ\n"
              "depends:\n- base.bst\n"
              "public:\n  bst:\n    integration-commands:\n"
              "    - mkdir -p /etc && echo \"$GREETING\" >> /etc/integrated\n");
  write_file (scratch.project, "elements/app.bst",
              "kind: import\nsources:\n- kind: local\n  path: files-b\n"
              "depends:\n- integ.bst\n"
              "environment:\n  GREETING: integrated for app\n");
  job_run (&scratch, &run, "build", "top.bst", "app.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);

  /* By default, what top.bst needs at run time: ma, mb, a and b. */
  out = g_build_filename (scratch.dir, "out", NULL);
  job_run (&scratch, &run, "checkout", "top.bst", out, NULL);
  g_assert_cmpint (run.status, ==, 0);
  text = read_file_at (out, "out/top.txt");
  g_assert_cmpstr (text, ==, "A\nma\nB\nmb\n");
  g_free (text);
  text = read_file_at (out, "a.txt");
  g_assert_cmpstr (text, ==, "A\n");
  path = g_build_filename (out, "bin", "busybox", NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Not into what is not empty, unless forced. */
  job_run (&scratch, &run, "checkout", "top.bst", out, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "is not empty"));
  g_assert_nonnull (strstr (run.err, "--force"));
  rm_rf (out);
  job_run (&scratch, &run, "checkout", "--deps", "none", "top.bst", out, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (path);
  path = g_build_filename (out, "a.txt", NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  job_run (&scratch, &run, "checkout", "--force", "--deps", "none", "ma.bst",
           out, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (text);
  text = read_file_at (out, "ma.txt");
  g_assert_cmpstr (text, ==, "A\nma\n");

  /* Integration commands run over the checkout, with the element's
   * environment, and leave no mount point behind. */
  rm_rf (out);
  job_run (&scratch, &run, "checkout", "app.bst", out, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (text);
  text = read_file_at (out, "etc/integrated");
  g_assert_cmpstr (text, ==, "integrated for app\n");
  g_free (path);
  path = g_build_filename (out, "buildstream", NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  rm_rf (out);
  job_run (&scratch, &run, "checkout", "--no-integrate", "app.bst", out, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (path);
  path = g_build_filename (out, "etc", NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Hard links share the cache's files, so no integration there. */
  rm_rf (out);
  job_run (&scratch, &run, "checkout", "--hardlinks", "app.bst", out, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "--no-integrate"));
  job_run (&scratch, &run, "checkout", "--hardlinks", "--no-integrate",
           "top.bst", out, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (path);
  path = g_build_filename (out, "a.txt", NULL);
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_nlink, >, 1);

  /* A tar archive, integrated too; sorted, so the same twice. */
  tarball = g_build_filename (scratch.dir, "app.tar", NULL);
  job_run (&scratch, &run, "checkout", "--tar", "app.bst", tarball, NULL);
  g_assert_cmpint (run.status, ==, 0);
  command = g_strdup_printf ("tar -tf '%s' | sort | tr '\\n' ' '", tarball);
  list = sh_output (command);
  g_assert_nonnull (strstr (list, "./etc/integrated "));
  g_assert_nonnull (strstr (list, "./b.txt "));
  g_assert_nonnull (strstr (list, "./share/integ/a.txt "));
  job_run (&scratch, &run, "checkout", "--tar", "app.bst", tarball, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "exists"));

  /* A failing integration command: which, and its output. */
  write_file (scratch.project, "elements/integ.bst",
              "kind: import\nsources:\n- kind: local\n  path: files-a\n"
              "depends:\n- base.bst\n"
              "public:\n  bst:\n    integration-commands:\n"
              "    - echo cannot integrate; exit 4\n");
  job_run (&scratch, &run, "build", "app.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  rm_rf (out);
  job_run (&scratch, &run, "checkout", "app.bst", out, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "integration command of integ.bst"));
  g_assert_nonnull (strstr (run.err, "status 4"));
  g_assert_nonnull (strstr (run.err, "cannot integrate"));
}

/* A shared cache: job push and job pull by hand, and job build pulling
 * what it would build and pushing what it built. */
static void
test_cli_shared_cache (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *shared = NULL, *other = NULL, *config = NULL;
  g_autofree char *conf_text = NULL, *out = NULL, *text = NULL;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_diamond (&scratch);
  shared = g_build_filename (scratch.dir, "shared", NULL);
  other = g_build_filename (scratch.dir, "other-cache", NULL);
  config = g_build_filename (scratch.dir, "job.conf", NULL);
  g_setenv ("JOB_CONFIG", config, TRUE);

  /* Not made by a typo: the shared cache must exist. */
  job_run (&scratch, &run, "push", "--remote", shared, "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "does not exist"));
  g_assert_cmpint (g_mkdir (shared, 0755), ==, 0);
  job_run (&scratch, &run, "push", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "give --remote DIR"));
  job_run (&scratch, &run, "push", "--remote", shared, "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "not built here"));

  job_run (&scratch, &run, "build", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  job_run (&scratch, &run, "push", "--remote", shared, "--deps", "all",
           "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "6 pushed, 0 already there\n");
  job_run (&scratch, &run, "push", "--remote", shared, "--deps", "all",
           "top.bst", NULL);
  g_assert_cmpstr (run.out, ==, "0 pushed, 6 already there\n");

  /* Another machine's cache builds nothing: it pulls, logs included. */
  conf_text = g_strdup_printf ("[cache]\nremote=%s\npush=true\n", shared);
  write_file (scratch.dir, "job.conf", conf_text);
  tool_run (&scratch, &run, "build", "--cache-dir", other, "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "6 pulled\n"));
  g_assert_nonnull (strstr (run.out, "0 built, 0 failed\n"));
  out = g_build_filename (scratch.dir, "out", NULL);
  tool_run (&scratch, &run, "checkout", "--cache-dir", other, "top.bst", out,
            NULL);
  g_assert_cmpint (run.status, ==, 0);
  text = read_file_at (out, "out/top.txt");
  g_assert_cmpstr (text, ==, "A\nma\nB\nmb\n");
  tool_run (&scratch, &run, "log", "--cache-dir", other, "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "building top\n"));

  /* A change: what changed is built there, and pushed. */
  write_file (scratch.project, "files-b/b.txt", "B2\n");
  tool_run (&scratch, &run, "build", "--cache-dir", other, "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "3 built, 0 failed\n"));
  g_assert_nonnull (strstr (run.out, "3 pushed\n"));
  /* ... so the first cache pulls it. */
  job_run (&scratch, &run, "pull", "--deps", "all", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "3 pulled, 3 already here\n");

  /* What nobody built cannot be pulled. */
  write_file (scratch.project, "files-a/a.txt", "A2\n");
  job_run (&scratch, &run, "pull", "a.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "not in the shared cache"));
  g_assert_nonnull (strstr (run.err, "a.bst"));

  /* A damaged artifact there is built here instead, with a warning. */
  job_run (&scratch, &run, "show", "--deps", "none", "--format", "%{full-key}",
           "base.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_strchomp (run.out);
  {
    g_autofree char *files = g_strdup_printf ("%s/artifacts/%.2s/%s/files",
                                              shared, run.out, run.out);
    g_autofree char *third = g_build_filename (scratch.dir, "third", NULL);

    rm_rf (files);
    tool_run (&scratch, &run, "build", "--cache-dir", third, "mb.bst", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.err, "warning: Cannot pull base.bst"));
    g_assert_nonnull (strstr (run.out, "START   base.bst"));
  }

  /* A bad push setting is an error before anything is built. */
  write_file (scratch.dir, "job.conf", "[cache]\npush=maybe\n");
  job_run (&scratch, &run, "build", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "[cache] push is true or false"));
  g_unsetenv ("JOB_CONFIG");
}

/* --builders N runs N builds at once: the pool gets N workers. Three
 * builds that each wait for a file the last of them writes can only all
 * finish if all three run together. */
static void
test_cli_builders (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *rendezvous = NULL, *tail = NULL, *empty = NULL;
  g_autoptr (GSubprocess) process = NULL;
  const char *args[] = { "--builders", "3", "all.bst", NULL };

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  rendezvous = g_build_filename (scratch.dir, "rendezvous", NULL);
  g_assert_cmpint (g_mkdir (rendezvous, 0777), ==, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("elements/w%u.bst", i);
      g_autofree char *text = g_strdup_printf (
          "kind: manual\nbuild-depends:\n- base.bst\n"
          "config:\n  build-commands:\n"
          "  - touch %s/%u; n=0; while set -- %s/*; [ $# -lt 3 ]; do "
          "n=$((n+1)); [ $n -lt 300 ] || exit 1; sleep 0.1; done\n",
          rendezvous, i, rendezvous);

      write_file (scratch.project, name, text);
    }
  write_file (scratch.project, "elements/all.bst",
              "kind: stack\ndepends: [w0.bst, w1.bst, w2.bst]\n");
  /* On the host (no bwrap in PATH), where the builds see one directory. */
  empty = g_build_filename (scratch.dir, "empty-path", NULL);
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  process = job_spawn_with_path (&scratch, empty, "build", args);
  job_wait (process, &run);
  if (run.status != 0)
    g_printerr ("%s%s", run.out, run.err);
  g_assert_cmpint (run.status, ==, 0);
  tail = sorted_event_names (run.out, "SUCCESS");
  g_assert_cmpstr (tail, ==, "all.bst base.bst w0.bst w1.bst w2.bst");
}

/* job source-checkout: an element's sources, or with --deps all each
 * element's in a directory of its name; as a tar archive too. */
static void
test_cli_source_checkout (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *out = NULL, *text = NULL, *path = NULL, *tarball = NULL;
  g_autofree char *command = NULL, *list = NULL;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_diamond (&scratch);
  out = g_build_filename (scratch.dir, "src", NULL);
  job_run (&scratch, &run, "source-checkout", "a.bst", out, NULL);
  g_assert_cmpint (run.status, ==, 0);
  text = read_file_at (out, "a.txt");
  g_assert_cmpstr (text, ==, "A\n");
  job_run (&scratch, &run, "source-checkout", "b.bst", out, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "--force"));

  rm_rf (out);
  job_run (&scratch, &run, "source-checkout", "--deps", "all", "top.bst", out,
           NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_free (text);
  text = read_file_at (out, "a/a.txt");
  g_assert_cmpstr (text, ==, "A\n");
  g_free (text);
  text = read_file_at (out, "b/b.txt");
  g_assert_cmpstr (text, ==, "B\n");
  path = g_build_filename (out, "base", "bin", "busybox", NULL);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_free (path);
  /* Elements without sources have no directory. */
  path = g_build_filename (out, "top", NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  tarball = g_build_filename (scratch.dir, "src.tar", NULL);
  job_run (&scratch, &run, "source-checkout", "--tar", "b.bst", tarball, NULL);
  g_assert_cmpint (run.status, ==, 0);
  command = g_strdup_printf ("tar -tf '%s' | sort | tr '\\n' ' '", tarball);
  list = sh_output (command);
  g_assert_cmpstr (list, ==, "./ ./b.txt ");
}

/* Typical secrets in the environment of `job` reach no build command. */

static void
test_cli_secrets (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *checkout = NULL;
  g_autofree char *env_txt = NULL;
  g_autofree char *contents = NULL;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_file (scratch.project, "elements/env.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n"
              "environment:\n"
              "  DECLARED: by-the-element\n"
              "config:\n"
              "  install-commands:\n"
              "  - export -p > %{install-root}/env.txt\n");
  test_set_secrets (TRUE);
  job_run (&scratch, &run, "build", "env.bst", NULL);
  test_set_secrets (FALSE);
  if (run.status != 0)
    g_printerr ("%s%s", run.out, run.err);
  g_assert_cmpint (run.status, ==, 0);

  checkout = g_build_filename (scratch.dir, "checkout", NULL);
  job_run (&scratch, &run, "checkout", "env.bst", checkout, NULL);
  g_assert_cmpint (run.status, ==, 0);
  env_txt = g_build_filename (checkout, "env.txt", NULL);
  contents = read_file (env_txt);
  g_test_message ("%s", contents);
  /* The element's own variable is there: the file is the environment. */
  g_assert_nonnull (strstr (contents, "DECLARED"));
  g_assert_null (strstr (contents, "xyzzy"));
  for (guint i = 0; i < G_N_ELEMENTS (test_secret_names); i++)
    {
      g_autofree char *name = g_strdup_printf (" %s=", test_secret_names[i]);

      g_assert_null (strstr (contents, name));
    }
}

/* A no-op build after a build that left everything cached, with no input
 * changed since, answers from the saved state without loading the
 * project; any changed input, or a missing artifact, takes the full path. */
static void
test_cli_noop_state (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *started = NULL;
  g_autofree char *artifacts = NULL;
  const char *up_to_date = "Up to date: no input changed";

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_diamond (&scratch);
  /* Inputs changed within 2 s of a build are not trusted in a state. */
  g_usleep (2100 * 1000);
  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_null (strstr (run.out, up_to_date));

  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, up_to_date));
  g_assert_nonnull (strstr (run.out, "0 built, 0 failed"));

  /* A changed source file: the full path, and only its dependents. */
  write_file (scratch.project, "files-b/b.txt", "B3\n");
  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_null (strstr (run.out, up_to_date));
  started = sorted_event_names (run.out, "START");
  g_assert_cmpstr (started, ==, "b.bst mb.bst top.bst");
  /* That build started less than 2 s after the change: no state saved. */
  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_null (strstr (run.out, up_to_date));

  /* A changed element file, seen after the state was saved again. */
  g_usleep (2100 * 1000);
  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  g_assert_nonnull (strstr (run.out, up_to_date));
  write_file (scratch.project, "elements/top.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n- ma.bst\n- mb.bst\n"
              "config:\n"
              "  install-commands:\n"
              "  - mkdir -p %{install-root}/out\n"
              "  - echo changed > %{install-root}/out/top.txt\n");
  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_clear_pointer (&started, g_free);
  started = sorted_event_names (run.out, "START");
  g_assert_cmpstr (started, ==, "top.bst");

  /* Artifacts removed behind its back: everything is built again. */
  g_usleep (2100 * 1000);
  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  g_assert_nonnull (strstr (run.out, up_to_date));
  artifacts = g_build_filename (scratch.cache, "artifacts", NULL);
  rm_rf (artifacts);
  job_run (&scratch, &run, "build", "-v", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_clear_pointer (&started, g_free);
  started = sorted_event_names (run.out, "START");
  g_assert_cmpstr (started, ==, "a.bst b.bst base.bst ma.bst mb.bst top.bst");
}

/* Without bwrap (none in PATH) commands run on the host: the build must
 * still work, and write nothing outside the cache. */
static void
test_cli_host_mode (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autoptr (GSubprocess) process = NULL;
  g_autofree char *empty = NULL;
  g_autofree char *log = NULL;
  g_autofree char *checkout = NULL;
  g_autofree char *file = NULL;
  g_autofree char *contents = NULL;
  const char *args[] = { "host.bst", NULL };

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  /* No mkdir: nothing may be created on the host if the install root is
   * wrongly taken as a host path. */
  write_file (scratch.project, "src/in.txt", "from the source\n");
  write_file (scratch.project, "elements/host.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n"
              "sources:\n- kind: local\n  path: src\n"
              "config:\n"
              "  install-commands:\n"
              "  - cat in.txt > %{install-root}/out.txt\n"
              "  - echo '/buildstream-installer %{install-root}x' > "
              "%{install-root}/words.txt\n");
  empty = g_build_filename (scratch.dir, "empty-path", NULL);
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);

  process = job_spawn_with_path (&scratch, empty, "build", args);
  job_wait (process, &run);
  {
    g_autofree char *log_dir =
        g_build_filename (scratch.cache, "logs", "host", NULL);
    g_autoptr (GDir) dir = g_dir_open (log_dir, 0, NULL);
    const char *name = dir != NULL ? g_dir_read_name (dir) : NULL;

    g_assert_nonnull (name);
    log = g_build_filename (log_dir, name, NULL);
    contents = read_file (log);
    g_assert_nonnull (strstr (contents, "sandbox: host"));
  }
  if (run.status != 0)
    g_error ("job build in host mode failed:\n%s%s", run.out, run.err);
  checkout = g_build_filename (scratch.dir, "checkout", NULL);
  job_run (&scratch, &run, "checkout", "host.bst", checkout, NULL);
  g_assert_cmpint (run.status, ==, 0);
  file = g_build_filename (checkout, "out.txt", NULL);
  g_clear_pointer (&contents, g_free);
  contents = read_file (file);
  g_assert_cmpstr (contents, ==, "from the source\n");
  /* Only whole paths are rewritten to host directories. */
  g_clear_pointer (&file, g_free);
  g_clear_pointer (&contents, g_free);
  file = g_build_filename (checkout, "words.txt", NULL);
  contents = read_file (file);
  g_assert_cmpstr (contents, ==,
                   "/buildstream-installer /buildstream-installx\n");
}

/* A caller's cancellable may outlive the scheduler (and serve several
 * builds): cancelling it later must not touch the freed scheduler. */
static void
test_api_cancellable_outlives (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  const char *targets[] = { "a.bst", NULL };

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_diamond (&scratch);
  for (guint round = 0; round < 2; round++)
    {
      g_autoptr (JobProject) project = job_project_new (scratch.project);
      g_autoptr (JobLoader) loader = NULL;
      g_autoptr (JobArtifactCache) cache = NULL;
      g_autoptr (JobBackend) backend = JOB_BACKEND (job_inline_backend_new ());
      g_autoptr (JobScheduler) scheduler = NULL;

      g_assert_true (job_project_load (project, NULL, &error));
      loader = job_loader_new (project);
      g_assert_true (job_loader_load (loader, targets, NULL, &error));
      cache = job_artifact_cache_new (scratch.cache, NULL, &error);
      g_assert_no_error (error);
      scheduler = job_scheduler_new (loader, cache, backend);
      g_assert_true (job_scheduler_prepare (scheduler, targets, &error));
      g_assert_true (job_scheduler_build (scheduler, cancellable, &error));
      g_assert_no_error (error);
      job_backend_shutdown (backend, TRUE);
    }
  /* Both schedulers are gone. */
  g_cancellable_cancel (cancellable);
}

/* Many quick jobs on a worker pool with a cancellable: a job may finish
 * in the dispatcher thread before its submission returns (this raced with
 * connecting the cancellable: use-after-free under ASan). */
static void
test_api_many_quick (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_autoptr (GString) all = g_string_new ("kind: stack\ndepends:\n");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JobProject) project = NULL;
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (JobScheduler) scheduler = NULL;
  g_autoptr (GPtrArray) started = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) finished = g_ptr_array_new_with_free_func (g_free);
  Events events = { started, finished, 0 };
  const char *targets[] = { "all.bst", NULL };
  const guint n = 150;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  write_file (scratch.project, "files/data.txt", "data\n");
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("elements/i%03u.bst", i);

      write_file (scratch.project, path,
                  "kind: import\nsources:\n- kind: local\n  path: files\n");
      g_string_append_printf (all, "- i%03u.bst\n", i);
    }
  write_file (scratch.project, "elements/all.bst", all->str);

  project = job_project_new (scratch.project);
  g_assert_true (job_project_load (project, NULL, &error));
  loader = job_loader_new (project);
  g_assert_true (job_loader_load (loader, targets, NULL, &error));
  cache = job_artifact_cache_new (scratch.cache, NULL, &error);
  g_assert_no_error (error);
  backend = JOB_BACKEND (job_worker_pool_new ());
  scheduler = job_scheduler_new (loader, cache, backend);
  g_assert_true (job_scheduler_prepare (scheduler, targets, &error));
  g_signal_connect (scheduler, "job-started", G_CALLBACK (on_started), &events);
  g_signal_connect (scheduler, "job-finished", G_CALLBACK (on_finished),
                    &events);
  g_assert_true (job_scheduler_build (scheduler, cancellable, &error));
  g_assert_no_error (error);
  job_backend_shutdown (backend, TRUE);
  g_assert_cmpuint (started->len, ==, n + 1);
  g_assert_cmpuint (finished->len, ==, n + 1);
  g_assert_cmpuint (events.failed, ==, 0);
  g_assert_cmpint (job_scheduler_get_state (scheduler, "all.bst"), ==,
                   JOB_ELEMENT_STATE_CACHED);
}

/* Elements of another project, through a junction: built in their own
 * project (its local sources, its variables), depended on from this one,
 * changed without touching this project's files. */
static void
test_cli_junction (void)
{
  g_auto (Scratch) scratch = { 0 };
  g_auto (JobRun) run = { 0 };
  g_autofree char *sub = NULL;
  g_autofree char *text = NULL;

  scratch_init (&scratch);
  if (scratch.dir == NULL)
    return;
  sub = g_build_filename (scratch.project, "subprojects", "greeter", NULL);
  write_file (sub, "project.conf",
              "name: greeter\n"
              "element-path: elements\n"
              "options:\n"
              "  loud:\n"
              "    type: bool\n"
              "    description: shout\n"
              "    default: false\n"
              "variables:\n"
              "  word: hello\n"
              "  (?):\n"
              "  - loud:\n"
              "      word: HELLO\n");
  write_busybox_base (sub);
  write_file (sub, "files/name.txt", "world\n");
  write_file (sub, "elements/name.bst",
              "kind: import\nsources:\n- kind: local\n  path: files\n");
  write_file (sub, "elements/greeting.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n- name.bst\n"
              "config:\n"
              "  install-commands:\n"
              "  - echo \"%{word} $(cat /name.txt) from %{project-name}\" > "
              "%{install-root}/greeting.txt\n");
  write_file (scratch.project, "elements/greeter.bst",
              "kind: junction\n"
              "sources:\n"
              "- kind: local\n"
              "  path: subprojects/greeter\n"
              "config:\n"
              "  options:\n"
              "    loud: true\n");
  write_file (scratch.project, "elements/top.bst",
              "kind: manual\n"
              "build-depends:\n- base.bst\n"
              "depends:\n- filename: greeting.bst\n  junction: greeter.bst\n"
              "config:\n"
              "  install-commands:\n"
              "  - cat /greeting.txt > %{install-root}/top.txt\n"
              "  - echo 'and %{project-name}' >> %{install-root}/top.txt\n");

  job_run (&scratch, &run, "build", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "greeter.bst:greeting.bst"));
  text = read_built_file (&scratch, "top.bst", "top.txt");
  g_assert_cmpstr (text, ==, "HELLO world from greeter\nand test\n");
  g_clear_pointer (&text, g_free);

  /* A change in the junction's project rebuilds what depends on it. */
  write_file (sub, "files/name.txt", "junctions\n");
  job_run (&scratch, &run, "show", "-f", "%{state} %{name}", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "buildable greeter.bst:name.bst\n"));
  g_assert_nonnull (strstr (run.out, "cached base.bst\n"));
  job_run (&scratch, &run, "build", "top.bst", NULL);
  g_assert_cmpint (run.status, ==, 0);
  text = read_built_file (&scratch, "top.bst", "top.txt");
  g_assert_cmpstr (text, ==, "HELLO junctions from greeter\nand test\n");
  g_clear_pointer (&text, g_free);

  /* The same project from an archive: fetched and staged into the cache
   * once, then found there; a wrong ref stops the load, naming it. */
  {
    g_autofree char *archive =
        g_build_filename (scratch.dir, "greeter.tar.gz", NULL);
    g_autofree char *command = g_strdup_printf (
        "tar -C %s/subprojects -czf %s greeter && sha256sum %s | cut -c1-64",
        scratch.project, archive, archive);
    g_autofree char *sha = g_strstrip (sh_output (command));
    g_autofree char *junction = g_strdup_printf ("kind: junction\n"
                                                 "sources:\n"
                                                 "- kind: tar\n"
                                                 "  url: file://%s\n",
                                                 archive);
    g_autofree char *junctions =
        g_build_filename (scratch.cache, "junctions", NULL);
    g_autofree char *tracked = NULL;
    g_autofree char *expected = NULL;
    g_autoptr (GDir) staged = NULL;

    /* job track writes the junction's own ref. */
    write_file (scratch.project, "elements/packed.bst", junction);
    job_run (&scratch, &run, "track", "packed.bst", NULL);
    g_assert_cmpint (run.status, ==, 0);
    expected = g_strdup_printf ("packed.bst: source 1: (none) → %s\n", sha);
    g_assert_nonnull (strstr (run.out, expected));
    tracked = read_file_at (scratch.project, "elements/packed.bst");
    g_free (expected);
    expected = g_strdup_printf ("%s  ref: %s\n", junction, sha);
    g_assert_cmpstr (tracked, ==, expected);
    write_file (scratch.project, "elements/packed-top.bst",
                "kind: manual\n"
                "build-depends:\n- base.bst\n"
                "depends:\n- packed.bst:greeting.bst\n"
                "config:\n"
                "  install-commands:\n"
                "  - cp /greeting.txt %{install-root}/\n");
    job_run (&scratch, &run, "build", "packed-top.bst", NULL);
    g_assert_cmpint (run.status, ==, 0);
    text = read_built_file (&scratch, "packed-top.bst", "greeting.txt");
    g_assert_cmpstr (text, ==, "hello junctions from greeter\n");
    g_clear_pointer (&text, g_free);
    staged = g_dir_open (junctions, 0, NULL);
    g_assert_nonnull (staged);
    g_assert_cmpuint (strlen (g_dir_read_name (staged)), ==, 64);
    g_assert_null (g_dir_read_name (staged));
    /* Staged once: the archive is not read again. */
    g_assert_cmpint (g_unlink (archive), ==, 0);
    job_run (&scratch, &run, "show", "-f", "%{state} %{name}", "packed-top.bst",
             NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.out, "cached packed.bst:greeting.bst\n"));

    g_free (junction);
    junction = g_strdup_printf ("kind: junction\n"
                                "sources:\n"
                                "- kind: tar\n"
                                "  url: file://%s\n"
                                "  ref: %064d\n",
                                archive, 0);
    write_file (scratch.project, "elements/packed.bst", junction);
    job_run (&scratch, &run, "show", "packed-top.bst", NULL);
    g_assert_cmpint (run.status, !=, 0);
    g_assert_nonnull (strstr (run.err, "fetching junction “packed.bst”: "));
  }

  /* The junction itself is not an element, and refs in its project are
   * that project's to track. */
  job_run (&scratch, &run, "build", "greeter.bst", NULL);
  g_assert_cmpint (run.status, !=, 0);
  g_assert_nonnull (strstr (run.err, "“greeter.bst” is a junction"));
  job_run (&scratch, &run, "track", "greeter.bst:name.bst", NULL);
  g_assert_cmpint (run.status, !=, 0);
  g_assert_nonnull (strstr (run.err, "track it there: job -C "));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/job/build/api/build-and-rebuild", test_api_build);
  g_test_add_func ("/job/build/api/many-quick", test_api_many_quick);
  g_test_add_func ("/job/build/api/cancellable-outlives",
                   test_api_cancellable_outlives);
  g_test_add_func ("/job/build/cli/build-and-rebuild", test_cli_build);
  g_test_add_func ("/job/build/cli/failure", test_cli_failure);
  g_test_add_func ("/job/build/cli/command-semantics",
                   test_cli_command_semantics);
  g_test_add_func ("/job/build/cli/on-error-continue",
                   test_cli_on_error_continue);
  g_test_add_func ("/job/build/cli/on-error-quit", test_cli_on_error_quit);
  g_test_add_data_func ("/job/build/cli/kill", GINT_TO_POINTER (SIGKILL),
                        test_cli_kill);
  g_test_add_data_func ("/job/build/cli/interrupt", GINT_TO_POINTER (SIGINT),
                        test_cli_kill);
  g_test_add_func ("/job/build/cli/host-mode", test_cli_host_mode);
  g_test_add_func ("/job/build/cli/secrets", test_cli_secrets);
  g_test_add_func ("/job/build/cli/no-op-state", test_cli_noop_state);
  g_test_add_func ("/job/build/cli/shell", test_cli_shell);
  g_test_add_func ("/job/build/cli/fetch", test_cli_fetch);
  g_test_add_func ("/job/build/cli/track", test_cli_track);
  g_test_add_func ("/job/build/cli/workspace", test_cli_workspace);
  g_test_add_func ("/job/build/cli/init", test_cli_init);
  g_test_add_func ("/job/build/cli/log", test_cli_log);
  g_test_add_func ("/job/build/cli/prune", test_cli_prune);
  g_test_add_func ("/job/build/cli/checkout", test_cli_checkout);
  g_test_add_func ("/job/build/cli/shared-cache", test_cli_shared_cache);
  g_test_add_func ("/job/build/cli/builders", test_cli_builders);
  g_test_add_func ("/job/build/cli/source-checkout", test_cli_source_checkout);
  g_test_add_func ("/job/build/cli/junction", test_cli_junction);

  return g_test_run ();
}
