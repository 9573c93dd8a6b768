/* bench-dispatch.c: what dispatching a task through a backend costs
 *
 * Prints `name: value unit` lines for JobWorkerPool and JobInlineBackend:
 * sequential round trip of a no-op task (median, p90, p99), throughput
 * with 2 workers and many tasks in flight, cold start to the first result,
 * and a 64 MiB output returned to the caller.
 *
 * First, what this machine gives today, to read those against: a pipe
 * ping-pong between two processes, starting /bin/true, and starting the
 * worker program until it exits (it does at once when started by hand).
 */

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#include <libjob/job.h>

#include "job-module-private.h"

typedef struct
{
  guint pending;
  guint done;
  guint failed;
  JobBackend *backend;
} Flight;

static void
flight_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Flight *flight = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) job_result =
      job_backend_submit_finish (flight->backend, result, &error);

  if (job_result == NULL)
    flight->failed++;
  flight->pending--;
  flight->done++;
}

static JobResult *
submit_wait (JobBackend *backend, JobTask *task)
{
  g_autoptr (GError) error = NULL;
  JobResult *result = job_backend_submit (backend, task, NULL, &error);

  if (result == NULL)
    g_error ("task failed: %s", error->message);
  return result;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* This process's CPU time (all its threads), in microseconds. */
static double
process_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static JobBackend *
backend_new (const char *kind)
{
  if (g_str_equal (kind, "inline"))
    return g_object_new (JOB_TYPE_INLINE_BACKEND, "max-threads", 2, NULL);
  return g_object_new (JOB_TYPE_WORKER_POOL, "max-workers", 2, NULL);
}

static void
bench_round_trip (const char *kind, guint n)
{
  g_autoptr (JobBackend) backend = backend_new (kind);
  g_autoptr (JobTask) task =
      g_object_new (g_type_from_name ("TestNoopTask"), NULL);
  g_autofree double *times = g_new (double, n);

  double cpu0;

  for (guint i = 0; i < 2000; i++)
    g_object_unref (submit_wait (backend, task));
  cpu0 = process_cpu_us ();
  for (guint i = 0; i < n; i++)
    {
      gint64 start = g_get_monotonic_time ();

      g_object_unref (submit_wait (backend, task));
      times[i] = g_get_monotonic_time () - start;
    }
  /* CPU time is steadier than wall time on a shared machine; the pool's
   * workers are other processes, not counted here. */
  printf ("%s.round_trip.caller_process_cpu: %.1f us\n", kind,
          (process_cpu_us () - cpu0) / n);
  qsort (times, n, sizeof (double), compare_doubles);
  printf ("%s.round_trip.median: %.1f us\n", kind, times[n / 2]);
  printf ("%s.round_trip.p90: %.1f us\n", kind, times[n * 90 / 100]);
  printf ("%s.round_trip.p99: %.1f us\n", kind, times[n * 99 / 100]);
}

static void
bench_round_trip_async (const char *kind, guint n)
{
  g_autoptr (JobBackend) backend = backend_new (kind);
  g_autoptr (JobTask) task =
      g_object_new (g_type_from_name ("TestNoopTask"), NULL);
  g_autofree double *times = g_new (double, n);
  Flight flight = { 0, 0, 0, backend };

  for (guint i = 0; i < n + 2000; i++)
    {
      gint64 start = g_get_monotonic_time ();

      flight.pending++;
      job_backend_submit_async (backend, task, NULL, flight_cb, &flight);
      while (flight.pending > 0)
        g_main_context_iteration (NULL, TRUE);
      if (i >= 2000)
        times[i - 2000] = g_get_monotonic_time () - start;
    }
  qsort (times, n, sizeof (double), compare_doubles);
  printf ("%s.round_trip_async.median: %.1f us\n", kind, times[n / 2]);
  printf ("%s.round_trip_async.p90: %.1f us\n", kind, times[n * 90 / 100]);
  printf ("%s.round_trip_async.p99: %.1f us\n", kind, times[n * 99 / 100]);
}

static void
bench_throughput (const char *kind, guint n, guint window)
{
  g_autoptr (JobBackend) backend = backend_new (kind);
  g_autoptr (JobTask) task =
      g_object_new (g_type_from_name ("TestNoopTask"), NULL);
  Flight flight = { 0, 0, 0, backend };
  guint submitted = 0;
  gint64 start;

  /* Warm both workers. */
  for (guint i = 0; i < 64; i++)
    {
      flight.pending++;
      job_backend_submit_async (backend, task, NULL, flight_cb, &flight);
    }
  while (flight.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  flight.done = 0;

  start = g_get_monotonic_time ();
  while (flight.done < n)
    {
      while (submitted < n && flight.pending < window)
        {
          flight.pending++;
          submitted++;
          job_backend_submit_async (backend, task, NULL, flight_cb, &flight);
        }
      g_main_context_iteration (NULL, TRUE);
    }
  printf ("%s.throughput: %.0f tasks/s\n", kind,
          n / ((g_get_monotonic_time () - start) / 1e6));
  if (flight.failed > 0)
    g_error ("%u tasks failed", flight.failed);
}

static void
bench_cold_start (const char *kind, guint n)
{
  g_autoptr (JobTask) task =
      g_object_new (g_type_from_name ("TestNoopTask"), NULL);
  g_autofree double *times = g_new (double, n);

  for (guint i = 0; i < n; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr (JobBackend) backend = backend_new (kind);

      g_object_unref (submit_wait (backend, task));
      times[i] = (g_get_monotonic_time () - start) / 1e3;
    }
  qsort (times, n, sizeof (double), compare_doubles);
  printf ("%s.cold_start.median: %.2f ms\n", kind, times[n / 2]);
}

static void
bench_big_output (const char *kind, guint n)
{
  g_autoptr (JobBackend) backend = backend_new (kind);
  gsize size = 64 * 1024 * 1024;
  /* "cached": the task returns the same buffer each time, so this
   * measures moving 64 MiB to the caller, not making it. */
  g_autoptr (JobTask) cached =
      g_object_new (g_type_from_name ("TestBigTask"), "number", (double) size,
                    "text", "cached", NULL);
  g_autoptr (JobTask) fresh = g_object_new (g_type_from_name ("TestBigTask"),
                                            "number", (double) size, NULL);
  g_autofree double *times = g_new (double, n);
  g_autofree double *fresh_times = g_new (double, n);

  g_object_unref (submit_wait (backend, cached));
  g_object_unref (submit_wait (backend, cached));
  for (guint i = 0; i < n; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr (JobResult) result = submit_wait (backend, cached);
      GBytes *bytes;

      times[i] = (g_get_monotonic_time () - start) / 1e3;
      g_object_get (job_result_get_output (result), "bytes", &bytes, NULL);
      if (g_bytes_get_size (bytes) != size)
        g_error ("wrong size");
      g_bytes_unref (bytes);
    }
  for (guint i = 0; i < n; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr (JobResult) result = submit_wait (backend, fresh);

      g_assert_nonnull (result);

      fresh_times[i] = (g_get_monotonic_time () - start) / 1e3;
    }
  qsort (times, n, sizeof (double), compare_doubles);
  qsort (fresh_times, n, sizeof (double), compare_doubles);
  printf ("%s.output_64mib.median: %.2f ms\n", kind, times[n / 2]);
  printf ("%s.output_64mib_including_making_it.median: %.2f ms\n", kind,
          fresh_times[n / 2]);
}

/* One byte there and back between two processes, @n times. Run before
 * any thread exists, as it forks. */
static void
bench_pipe_ping_pong (guint n)
{
  g_autofree double *times = g_new (double, n);
  int there[2], back[2];
  char byte = 0;
  pid_t pid;

  if (pipe (there) != 0 || pipe (back) != 0)
    g_error ("pipe: %s", g_strerror (errno));
  pid = fork ();
  if (pid < 0)
    g_error ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      close (there[1]);
      close (back[0]);
      while (read (there[0], &byte, 1) == 1)
        if (write (back[1], &byte, 1) != 1)
          break;
      _exit (0);
    }
  for (guint i = 0; i < n + 1000; i++)
    {
      gint64 start = g_get_monotonic_time ();

      if (write (there[1], &byte, 1) != 1 || read (back[0], &byte, 1) != 1)
        g_error ("ping-pong: %s", g_strerror (errno));
      if (i >= 1000)
        times[i - 1000] = g_get_monotonic_time () - start;
    }
  close (there[1]);
  waitpid (pid, NULL, 0);
  close (there[0]);
  close (back[0]);
  close (back[1]);
  qsort (times, n, sizeof (double), compare_doubles);
  printf ("baseline.pipe_ping_pong.median: %.1f us\n", times[n / 2]);
}

/* posix_spawn() of @program (its output thrown away) and waiting for it
 * to exit, as the pool starts a worker. */
static void
bench_spawn (const char *name, const char *program, guint n)
{
  g_autofree double *times = g_new (double, n);
  char *argv[] = { (char *) program, NULL };
  posix_spawn_file_actions_t actions;

  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_addopen (&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen (&actions, 2, "/dev/null", O_WRONLY, 0);
  for (guint i = 0; i < n; i++)
    {
      gint64 start = g_get_monotonic_time ();
      pid_t pid;

      if (posix_spawn (&pid, program, &actions, NULL, argv, environ) != 0)
        g_error ("cannot start %s", program);
      waitpid (pid, NULL, 0);
      times[i] = (g_get_monotonic_time () - start) / 1e3;
    }
  posix_spawn_file_actions_destroy (&actions);
  qsort (times, n, sizeof (double), compare_doubles);
  printf ("baseline.%s.median: %.2f ms\n", name, times[n / 2]);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  const char *kinds[] = { "pool", "inline" };
  const char *only = argc > 1 ? argv[1] : NULL;
  /* A second argument runs one benchmark: baseline, round_trip,
   * round_trip_async, throughput, cold_start or output_64mib (for perf and
   * strace). */
  const char *which = argc > 2 ? argv[2] : NULL;

  if (which == NULL || g_str_equal (which, "baseline"))
    {
      g_autoptr (JobWorkerPool) pool = NULL;

      /* Forks: before the pool's thread exists. */
      bench_pipe_ping_pong (20000);
      pool = job_worker_pool_new ();
      bench_spawn ("spawn_true", "/bin/true", 50);
      /* Started by hand, the worker exits at once: what starting a program
       * that links libjob (so GIO) costs, before it does anything. */
      bench_spawn ("spawn_worker_exit", job_worker_pool_get_worker_path (pool),
                   50);
      fflush (stdout);
    }

  if (!job_module_load_path (TEST_PLUGIN_PATH, NULL, &error))
    g_error ("%s", error->message);

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      if (only != NULL && !g_str_equal (only, kinds[i]))
        continue;
#define WANT(name) (which == NULL || g_str_equal (which, name))
      if (WANT ("round_trip"))
        bench_round_trip (kinds[i], 20000);
      if (WANT ("round_trip_async"))
        bench_round_trip_async (kinds[i], 20000);
      if (WANT ("throughput"))
        bench_throughput (kinds[i], 200000, 512);
      if (WANT ("cold_start"))
        bench_cold_start (kinds[i], 20);
      if (WANT ("output_64mib"))
        bench_big_output (kinds[i], 10);
#undef WANT
      fflush (stdout);
    }
  return 0;
}
