/* job-worker-oneshot.c: job-worker's one-shot mode
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   job-worker --oneshot=TASK_FILE --output=RESULT_FILE
 *              [--plugin-dir=DIR]... [--keep-env=NAME|PREFIX*]...
 *
 * TASK_FILE "-" is standard input, RESULT_FILE "-" standard output (then
 * what the task prints goes to standard error).
 * Runs one task read from a spool file (see job-spool-file-private.h) and
 * writes its result, or the error it failed with, to another, then exits
 * 0. A batch system (Slurm) starts it on a node; the parent reads the
 * result file. Any other exit status means no result file was written.
 */

#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "job-backend-private.h"
#include "job-module-private.h"
#include "job-spool-file-private.h"
#include "job-wire-private.h"
#include "job-worker-oneshot.h"

static void die (const char *format, ...) G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN;

static void
die (const char *format, ...)
{
  va_list args;

  fputs ("job-worker: ", stderr);
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputc ('\n', stderr);
  _exit (2);
}

gboolean
job_worker_is_oneshot (int argc, char **argv)
{
  return argc > 1 && g_str_has_prefix (argv[1], "--oneshot=");
}

static void
reset_signals (void)
{
  sigset_t mask;

  /* Whatever slurmstepd ignored or blocked, a task starts from defaults. */
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  sigemptyset (&mask);
  sigprocmask (SIG_SETMASK, &mask, NULL);
}

static gboolean
name_allowed (const char *name, gsize len, char **keep)
{
  for (guint i = 0; keep[i] != NULL; i++)
    {
      gsize pattern_len = strlen (keep[i]);

      if (pattern_len > 0 && keep[i][pattern_len - 1] == '*')
        {
          if (len >= pattern_len - 1
              && strncmp (name, keep[i], pattern_len - 1) == 0)
            return TRUE;
        }
      else if (pattern_len == len && strncmp (name, keep[i], len) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The batch system adds its own variables (SLURM_*, …): a task sees only
 * the allowlist, as in a pool worker. */
static void
filter_environment (char **keep)
{
  g_auto (GStrv) env = g_get_environ ();

  for (guint i = 0; env[i] != NULL; i++)
    {
      const char *eq = strchr (env[i], '=');

      if (eq == NULL)
        continue;
      if (!name_allowed (env[i], eq - env[i], keep))
        {
          g_autofree char *name = g_strndup (env[i], eq - env[i]);

          g_unsetenv (name);
        }
    }
}

static guint64
clock_ns (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return (guint64) ts.tv_sec * G_GUINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static guint64
children_cpu_ns (void)
{
  struct rusage usage;

  getrusage (RUSAGE_CHILDREN, &usage);
  return ((guint64) usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
             * G_GUINT64_CONSTANT (1000000000)
         + ((guint64) usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000;
}

static guint64
peak_rss (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return 0;
  return (guint64) usage.ru_maxrss * 1024;
}

/* Standard output's original descriptor when the result goes there. */
static int result_fd = -1;

static void
write_result (const char *output,
              JobSpoolFileKind kind,
              const JobSpoolMetrics *metrics,
              GBytes *const *parts,
              guint n_parts)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (result_fd >= 0)
    ok = job_spool_file_write_fd (result_fd, kind, metrics, parts, n_parts,
                                  &error);
  else
    ok = job_spool_file_write (output, kind, metrics, parts, n_parts, &error);
  if (!ok)
    die ("%s", error->message);
}

static void
write_error (const char *output,
             const JobSpoolMetrics *metrics,
             const GError *task_error)
{
  g_autoptr (GBytes) part = job_wire_encode_error (task_error);

  write_result (output, JOB_SPOOL_FILE_ERROR, metrics, &part, 1);
}

static GPtrArray *
read_stdin (JobSpoolFileKind *kind, GError **error)
{
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL;
  guint8 buffer[65536];

  for (;;)
    {
      ssize_t n = read (STDIN_FILENO, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot read the task from standard input: %s",
                       g_strerror (saved_errno));
          return NULL;
        }
      if (n == 0)
        break;
      g_byte_array_append (data, buffer, n);
    }
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&data));
  return job_spool_file_parse (bytes, "standard input", kind, NULL, error);
}

int
job_worker_oneshot_main (int argc, char **argv)
{
  g_autoptr (GStrvBuilder) dirs_builder = g_strv_builder_new ();
  g_autoptr (GStrvBuilder) keep_builder = g_strv_builder_new ();
  g_auto (GStrv) dirs = NULL;
  g_auto (GStrv) keep = NULL;
  const char *input = NULL, *output = NULL;
  g_autoptr (GPtrArray) parts = NULL;
  g_autoptr (JobPickleFrames) frames = NULL;
  g_autoptr (GObject) object = NULL;
  g_autoptr (GObject) task_output = NULL;
  g_autoptr (GError) error = NULL;
  JobSpoolFileKind kind;
  JobSpoolMetrics metrics = { 0 };
  guint64 wall0, cpu0;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_has_prefix (argv[i], "--oneshot="))
        input = argv[i] + strlen ("--oneshot=");
      else if (g_str_has_prefix (argv[i], "--output="))
        output = argv[i] + strlen ("--output=");
      else if (g_str_has_prefix (argv[i], "--plugin-dir="))
        g_strv_builder_add (dirs_builder, argv[i] + strlen ("--plugin-dir="));
      else if (g_str_has_prefix (argv[i], "--keep-env="))
        g_strv_builder_add (keep_builder, argv[i] + strlen ("--keep-env="));
      else
        die ("unknown argument “%s” in one-shot mode; usage: job-worker "
             "--oneshot=TASK_FILE --output=RESULT_FILE [--plugin-dir=DIR]… "
             "[--keep-env=NAME]…",
             argv[i]);
    }
  if (input == NULL || *input == '\0' || output == NULL || *output == '\0')
    die ("one-shot mode needs --oneshot=TASK_FILE and --output=RESULT_FILE");
  if (g_str_equal (output, "-"))
    {
      /* The result goes to the real standard output; what the task prints
       * goes to standard error. */
      result_fd = dup (STDOUT_FILENO);
      if (result_fd < 0 || dup2 (STDERR_FILENO, STDOUT_FILENO) < 0)
        die ("cannot redirect standard output: %s", g_strerror (errno));
    }
  dirs = g_strv_builder_end (dirs_builder);
  keep = g_strv_builder_end (keep_builder);

  reset_signals ();
  filter_environment (keep);
  job_backend_ensure_core_types ();
  metrics.pid = getpid ();

  if (g_str_equal (input, "-"))
    parts = read_stdin (&kind, &error);
  else
    parts = job_spool_file_read (input, &kind, NULL, &error);
  if (parts != NULL && (kind != JOB_SPOOL_FILE_TASK || parts->len == 0))
    g_set_error (&error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                 "%s holds no task", input);
  if (error == NULL)
    {
      frames = job_pickle_frames_new (
          parts->pdata[0], (GBytes **) parts->pdata + 1, parts->len - 1);
      /* The root must be a task before anything is built. */
      object = job_pickle_load_frames_with_plugins (
          frames, (const char *const *) dirs, JOB_TYPE_TASK, &error);
      if (object != NULL && !JOB_IS_TASK (object))
        g_set_error (&error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK,
                     "The pickle holds a %s, not a JobTask",
                     G_OBJECT_TYPE_NAME (object));
    }
  if (error != NULL)
    {
      g_autoptr (GError) wrapped =
          g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK,
                       "The worker cannot rebuild the task from %s: %s", input,
                       error->message);

      write_error (output, &metrics, wrapped);
      return 0;
    }
  g_clear_pointer (&frames, job_pickle_frames_unref);
  g_clear_pointer (&parts, g_ptr_array_unref);

  cpu0 = clock_ns (CLOCK_PROCESS_CPUTIME_ID);
  wall0 = clock_ns (CLOCK_MONOTONIC);
  task_output = job_task_run (JOB_TASK (object), NULL, &error);
  metrics.wall_ns = clock_ns (CLOCK_MONOTONIC) - wall0;
  metrics.cpu_ns =
      clock_ns (CLOCK_PROCESS_CPUTIME_ID) - cpu0 + children_cpu_ns ();
  metrics.peak_rss = peak_rss ();
  g_clear_object (&object);

  if (error != NULL)
    {
      write_error (output, &metrics, error);
      return 0;
    }
  if (task_output == NULL)
    {
      write_result (output, JOB_SPOOL_FILE_RESULT, &metrics, NULL, 0);
      return 0;
    }

  frames = job_pickle_dump_frames (task_output, 0, &error);
  if (frames == NULL)
    {
      g_autoptr (GError) wrapped = g_error_new (
          JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK,
          "The output of the task cannot be pickled: %s", error->message);

      write_error (output, &metrics, wrapped);
      return 0;
    }
  {
    guint n_frames = job_pickle_frames_get_n_frames (frames);
    g_autofree GBytes **out_parts = g_new (GBytes *, n_frames + 1);

    out_parts[0] = job_pickle_frames_get_header (frames);
    for (guint i = 0; i < n_frames; i++)
      out_parts[i + 1] = job_pickle_frames_get_frame (frames, i);
    write_result (output, JOB_SPOOL_FILE_RESULT, &metrics, out_parts,
                  n_frames + 1);
  }
  return 0;
}
