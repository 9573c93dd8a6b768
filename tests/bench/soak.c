/* soak.c: many tasks through a JobWorkerPool, with crashes and cancels
 *
 * Usage: soak [N_TASKS [SEED]]     (default 100000 tasks)
 *
 * Tasks of the test plugin, at most 64 in flight, through a pool of 2
 * workers: echoes of random input of 0 to 512 KiB, outputs of 0 to 1 MiB
 * made by the worker, 1 % that crash their worker (SIGKILL or SIGSEGV),
 * and 2 % short sleeps whose cancellable is cancelled after a random
 * delay. Every completion is checked: a success must carry its own
 * output, a crash must fail with CRASHED, a cancel with CANCELLED (or
 * succeed if it won the race); any other outcome is unexpected. Prints
 * `name: value unit` lines, including the lost count (tasks that never
 * completed; must be 0), and the parent's RSS and open descriptors before,
 * after a warm-up and at the end. Not a test: run it by hand. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libjob/job.h>

#include "job-module-private.h"

#define MAX_IN_FLIGHT 64

typedef enum
{
  KIND_ECHO,
  KIND_BIG,
  KIND_CRASH,
  KIND_CANCEL,
} Kind;

typedef struct
{
  guint n_tasks;
  guint submitted;
  guint completed;
  guint in_flight;
  guint n_ok;
  guint n_crashed_expected;
  guint n_cancelled_expected;
  guint n_cancel_won;
  guint n_unexpected;
  guint n_duplicates;
  guint8 *seen;
  GRand *rand;
  JobBackend *backend;
  guint64 bytes_in;
  guint64 bytes_out;
} Soak;

typedef struct
{
  Soak *soak;
  guint index;
  Kind kind;
  gsize size;
  GCancellable *cancellable;
} Pending;

static guint64
read_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "\nVmRSS:");
  return line != NULL ? g_ascii_strtoull (line + 7, NULL, 10) : 0;
}

static guint
count_fds (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n - 1; /* the directory's own */
}

static double
process_cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A size between 0 and @max, spread evenly over powers of two. */
static gsize
random_size (GRand *rand, guint max_bits)
{
  guint bits = g_rand_int_range (rand, 0, max_bits + 1);

  if (bits == 0)
    return 0;
  return (gsize) g_rand_int_range (rand, 1 << (bits - 1), (1 << bits) + 1);
}

static guint8
pattern (guint index, gsize i)
{
  return (guint8) (index * 31 + i * 7);
}

static void
done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;
  Soak *soak = pending->soak;
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) task_result =
      job_backend_submit_finish (JOB_BACKEND (object), result, &error);
  gboolean expected = FALSE;

  if (soak->seen[pending->index]++ > 0)
    soak->n_duplicates++;
  soak->completed++;
  soak->in_flight--;

  switch (pending->kind)
    {
    case KIND_ECHO:
    case KIND_BIG:
      if (task_result != NULL)
        {
          GObject *output = job_result_get_output (task_result);
          g_autoptr (GBytes) bytes = NULL;
          gsize size;
          const guint8 *data;

          g_object_get (output, "bytes", &bytes, NULL);
          data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;
          if (bytes == NULL)
            size = 0;
          expected = size == pending->size;
          /* Its own output: the echo's pattern is the task's. */
          if (expected && pending->kind == KIND_ECHO && size > 0)
            expected = data[0] == pattern (pending->index, 0)
                       && data[size - 1] == pattern (pending->index, size - 1);
          if (expected && pending->kind == KIND_BIG && size > 0)
            expected = data[size - 1] == 0xAB;
          soak->bytes_out += size;
          if (expected)
            soak->n_ok++;
        }
      break;
    case KIND_CRASH:
      expected =
          g_error_matches (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CRASHED);
      if (expected)
        soak->n_crashed_expected++;
      break;
    case KIND_CANCEL:
      if (task_result != NULL)
        {
          expected = TRUE;
          soak->n_cancel_won++;
        }
      else
        {
          expected = g_error_matches (error, JOB_WORKER_ERROR,
                                      JOB_WORKER_ERROR_CANCELLED);
          if (expected)
            soak->n_cancelled_expected++;
        }
      break;
    default:
      g_assert_not_reached ();
    }
  if (!expected)
    {
      soak->n_unexpected++;
      g_printerr ("task %u (kind %d, size %" G_GSIZE_FORMAT
                  "): unexpected %s\n",
                  pending->index, pending->kind, pending->size,
                  error != NULL ? error->message : "output");
    }
  g_clear_object (&pending->cancellable);
  g_free (pending);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static JobTask *
make_task (Soak *soak, Pending *pending)
{
  GType echo = g_type_from_name ("TestEchoTask");
  guint roll = g_rand_int_range (soak->rand, 0, 100);

  if (roll == 0)
    {
      pending->kind = KIND_CRASH;
      return JOB_TASK (
          g_object_new (g_type_from_name ("TestCrashTask"), "text",
                        g_rand_boolean (soak->rand) ? "kill" : "segv", NULL));
    }
  if (roll <= 2)
    {
      guint delay = g_rand_int_range (soak->rand, 0, 20);

      pending->kind = KIND_CANCEL;
      pending->cancellable = g_cancellable_new ();
      if (delay == 0)
        g_cancellable_cancel (pending->cancellable);
      else
        g_timeout_add_full (G_PRIORITY_DEFAULT, delay, cancel_cb,
                            g_object_ref (pending->cancellable),
                            g_object_unref);
      return JOB_TASK (g_object_new (g_type_from_name ("TestSleepTask"),
                                     "number", 0.01, NULL));
    }
  if (roll < 50)
    {
      pending->kind = KIND_BIG;
      pending->size = random_size (soak->rand, 20);
      return JOB_TASK (g_object_new (g_type_from_name ("TestBigTask"), "number",
                                     (double) pending->size, NULL));
    }
  pending->kind = KIND_ECHO;
  pending->size = random_size (soak->rand, 19);
  {
    guint8 *data = g_malloc0 (MAX (pending->size, 1));
    g_autoptr (GBytes) bytes = NULL;

    /* The pattern at both ends and every 4 KiB is enough to tell tasks
     * apart. */
    for (gsize i = 0; i < pending->size; i += 4096)
      data[i] = pattern (pending->index, i);
    if (pending->size > 0)
      data[pending->size - 1] = pattern (pending->index, pending->size - 1);
    bytes = g_bytes_new_take (data, pending->size);
    soak->bytes_in += pending->size;
    return JOB_TASK (g_object_new (echo, "bytes", bytes, NULL));
  }
}

static void
submit_one (Soak *soak)
{
  Pending *pending = g_new0 (Pending, 1);
  g_autoptr (JobTask) task = NULL;

  pending->soak = soak;
  pending->index = soak->submitted++;
  task = make_task (soak, pending);
  soak->in_flight++;
  job_backend_submit_async (soak->backend, task, pending->cancellable, done_cb,
                            pending);
}

static void
run_until (Soak *soak, guint target)
{
  while (soak->completed < target)
    {
      while (soak->submitted < target && soak->in_flight < MAX_IN_FLIGHT)
        submit_one (soak);
      g_main_context_iteration (NULL, TRUE);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  Soak soak = { 0 };
  guint warmup;
  guint64 rss_start, rss_warm, rss_end, rss_quarters[4];
  guint fds_start, fds_warm, fds_end;
  gint64 t0, t1;
  double cpu0, cpu1;
  guint32 seed;

  soak.n_tasks = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 100000;
  seed = argc > 2 ? (guint32) strtoul (argv[2], NULL, 10) : 42;
  soak.rand = g_rand_new_with_seed (seed);
  soak.seen = g_malloc0 (soak.n_tasks);
  if (!job_module_load_path (TEST_PLUGIN_PATH, NULL, &error))
    g_error ("%s", error->message);
  soak.backend =
      JOB_BACKEND (g_object_new (JOB_TYPE_WORKER_POOL, "max-workers", 2, NULL));

  rss_start = read_rss_kib ();
  fds_start = count_fds ();
  warmup = MIN (soak.n_tasks, MAX (soak.n_tasks / 20, 1));
  t0 = g_get_monotonic_time ();
  cpu0 = process_cpu_seconds ();
  run_until (&soak, warmup);
  rss_warm = read_rss_kib ();
  fds_warm = count_fds ();
  /* RSS along the way: growth that levels off is the allocator's, growth
   * in proportion to the tasks run is a leak. */
  for (guint quarter = 1; quarter <= 4; quarter++)
    {
      run_until (&soak, warmup + (soak.n_tasks - warmup) * quarter / 4);
      rss_quarters[quarter - 1] = read_rss_kib ();
    }
  t1 = g_get_monotonic_time ();
  cpu1 = process_cpu_seconds ();
  /* Let pending cancel timeouts fire, then measure with the pool alive. */
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  rss_end = read_rss_kib ();
  fds_end = count_fds ();

  {
    guint lost = 0;

    for (guint i = 0; i < soak.n_tasks; i++)
      lost += soak.seen[i] == 0;
    printf ("soak-tasks: %u tasks\n", soak.n_tasks);
    printf ("soak-seed: %u\n", seed);
    printf ("soak-throughput: %.0f tasks/s\n",
            soak.n_tasks / ((t1 - t0) / 1e6));
    printf ("soak-wall-time: %.1f s\n", (t1 - t0) / 1e6);
    printf ("soak-parent-cpu-per-task: %.1f us\n",
            (cpu1 - cpu0) * 1e6 / soak.n_tasks);
    printf ("soak-bytes-in: %.1f MiB\n", soak.bytes_in / 1048576.0);
    printf ("soak-bytes-out: %.1f MiB\n", soak.bytes_out / 1048576.0);
    printf ("soak-succeeded: %u tasks\n", soak.n_ok);
    printf ("soak-crashed-as-expected: %u tasks\n", soak.n_crashed_expected);
    printf ("soak-cancelled-as-expected: %u tasks\n",
            soak.n_cancelled_expected);
    printf ("soak-cancel-lost-race: %u tasks\n", soak.n_cancel_won);
    printf ("soak-failed-as-expected: %u tasks\n",
            soak.n_crashed_expected + soak.n_cancelled_expected);
    printf ("soak-unexpected: %u tasks\n", soak.n_unexpected);
    printf ("soak-duplicated: %u tasks\n", soak.n_duplicates);
    printf ("soak-lost: %u tasks\n", lost);
    printf ("soak-rss-start: %" G_GUINT64_FORMAT " KiB\n", rss_start);
    printf ("soak-rss-after-warmup: %" G_GUINT64_FORMAT " KiB\n", rss_warm);
    for (guint quarter = 1; quarter <= 4; quarter++)
      printf ("soak-rss-at-%u-percent: %" G_GUINT64_FORMAT " KiB\n",
              quarter * 25, rss_quarters[quarter - 1]);
    printf ("soak-rss-end: %" G_GUINT64_FORMAT " KiB\n", rss_end);
    printf ("soak-fds-start: %u fds\n", fds_start);
    printf ("soak-fds-after-warmup: %u fds\n", fds_warm);
    printf ("soak-fds-end: %u fds\n", fds_end);
    job_backend_shutdown (soak.backend, TRUE);
    g_object_unref (soak.backend);
    g_rand_free (soak.rand);
    g_free (soak.seen);
    return lost == 0 && soak.n_unexpected == 0 && soak.n_duplicates == 0 ? 0
                                                                         : 1;
  }
}
