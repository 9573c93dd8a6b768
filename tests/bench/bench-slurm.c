/* bench-slurm.c: what running a task through Slurm costs
 *
 * Needs a Slurm cluster (tests/slurm/slurm-localhost.sh start, SLURM_CONF
 * set). Prints `name: value unit` lines for JobSlurmBackend: the
 * submit-to-result latency of a no-op task (median of RUNS), and the
 * throughput of N no-op tasks submitted at once.
 *
 *   _build/tests/bench/bench-slurm [RUNS [N [MAX_JOBS_IN_FLIGHT]]]
 */

#include <stdio.h>
#include <stdlib.h>

#include <glib/gstdio.h>

#include <libjob/job.h>

#include "job-module-private.h"

typedef struct
{
  guint pending;
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
    {
      if (flight->failed++ == 0)
        g_printerr ("bench-slurm: %s\n", error->message);
    }
  flight->pending--;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  guint runs = argc > 1 ? (guint) atoi (argv[1]) : 10;
  guint n = argc > 2 ? (guint) atoi (argv[2]) : 200;
  guint in_flight = argc > 3 ? (guint) atoi (argv[3]) : 64;
  g_autoptr (GError) error = NULL;
  g_autoptr (JobBackend) backend = NULL;
  g_autofree char *spool = g_dir_make_tmp ("bench-slurm-XXXXXX", NULL);
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  GType noop;
  Flight flight = { 0 };
  gint64 start;

  if (!job_module_load_path (TEST_PLUGIN_PATH, NULL, &error))
    g_error ("%s", error->message);
  noop = g_type_from_name ("TestNoopTask");
  backend =
      JOB_BACKEND (g_object_new (JOB_TYPE_SLURM_BACKEND, "spool-dir", spool,
                                 "max-jobs-in-flight", in_flight, NULL));

  /* The first submission also pings the controller. */
  for (guint i = 0; i <= runs; i++)
    {
      g_autoptr (JobTask) task = g_object_new (noop, NULL);
      g_autoptr (JobResult) result = NULL;
      gint64 t0 = g_get_monotonic_time ();
      double seconds;

      result = job_backend_submit (backend, task, NULL, &error);
      if (result == NULL)
        {
          g_printerr ("bench-slurm: %s\n", error->message);
          return 1;
        }
      seconds = (g_get_monotonic_time () - t0) / 1e6;
      if (i == 0)
        printf ("slurm-first-task-latency: %.1f ms\n", seconds * 1e3);
      else
        g_array_append_val (times, seconds);
    }
  g_array_sort (times, compare_doubles);
  printf ("slurm-noop-latency-median: %.1f ms\n",
          g_array_index (times, double, times->len / 2) * 1e3);
  printf ("slurm-noop-latency-min: %.1f ms\n",
          g_array_index (times, double, 0) * 1e3);

  flight.backend = backend;
  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (JobTask) task = g_object_new (noop, NULL);

      flight.pending++;
      job_backend_submit_async (backend, task, NULL, flight_cb, &flight);
    }
  while (flight.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  printf ("slurm-noop-throughput-%u-in-flight-%u: %.1f tasks/s\n", n, in_flight,
          n / ((g_get_monotonic_time () - start) / 1e6));
  printf ("slurm-noop-failed: %u tasks\n", flight.failed);
  job_backend_shutdown (backend, TRUE);
  g_rmdir (spool);
  return flight.failed > 0;
}
