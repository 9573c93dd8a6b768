/* test-errors.c: libjob's error domains keep their names
 *
 * A domain's name travels with pickled errors and is what bindings show;
 * a formatter once put spaces into them silently. */

#include <libjob/job.h>

static void
test_domain_names (void)
{
  g_assert_cmpstr (g_quark_to_string (JOB_PICKLE_ERROR), ==,
                   "job-pickle-error-quark");
  g_assert_cmpstr (g_quark_to_string (JOB_WORKER_ERROR), ==,
                   "job-worker-error-quark");
  g_assert_cmpstr (g_quark_to_string (JOB_LOAD_ERROR), ==,
                   "job-load-error-quark");
  g_assert_cmpstr (g_quark_to_string (JOB_PLUGIN_ERROR), ==,
                   "job-plugin-error-quark");
  g_assert_cmpstr (g_quark_to_string (JOB_CACHE_ERROR), ==,
                   "job-cache-error-quark");
  g_assert_cmpstr (g_quark_to_string (JOB_SANDBOX_ERROR), ==,
                   "job-sandbox-error-quark");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/job/errors/domain-names", test_domain_names);
  return g_test_run ();
}
