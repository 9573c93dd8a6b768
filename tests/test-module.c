/* test-module.c: loading plugin modules by path */

#include <string.h>

#include "test-backend-util.h"

static void
test_module_load (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (TEST_PLUGIN_PATH);
  const char *allowed[] = { dir, NULL };
  GType type;
  g_auto (GStrv) dirs = NULL;

  g_assert_true (job_module_load_path (TEST_PLUGIN_PATH, allowed, &error));
  g_assert_no_error (error);
  type = g_type_from_name ("TestEchoTask");
  g_assert_true (g_type_is_a (type, JOB_TYPE_TASK));
  /* The origin of its types is the module's resolved path. */
  {
    char resolved[4096];

    g_assert_nonnull (realpath (TEST_PLUGIN_PATH, resolved));
    g_assert_cmpstr (job_type_get_origin (type), ==, resolved);
  }
  /* Idempotent. */
  g_assert_true (job_module_load_path (TEST_PLUGIN_PATH, allowed, &error));
  g_assert_no_error (error);
  dirs = job_module_dup_loaded_dirs (NULL);
  g_assert_cmpuint (g_strv_length (dirs), ==, 1);
}

static void
test_module_outside_allowed (void)
{
  g_autoptr (GError) error = NULL;
  const char *allowed[] = { "/usr/share/doc", NULL };
  g_autofree char *sneaky =
      g_strdup_printf ("/usr/share/doc/../../..%s", TEST_PLUGIN_PATH);

  g_assert_false (job_module_load_path (sneaky, allowed, &error));
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE);
  g_assert_nonnull (strstr (error->message, "libtestplugin.so"));
  g_assert_nonnull (
      strstr (error->message, "not in an allowed plugin directory"));
}

static void
test_module_bad (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (job_module_load_path ("relative/plugin.so", NULL, &error));
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE);
  g_clear_error (&error);
  g_assert_false (
      job_module_load_path ("/nonexistent/plugin.so", NULL, &error));
  g_assert_nonnull (strstr (error->message, "/nonexistent/plugin.so"));
  g_clear_error (&error);
  /* A shared object that is not a plugin. */
  g_assert_false (
      job_module_load_path ("/lib/x86_64-linux-gnu/libz.so.1", NULL, &error));
  g_assert_nonnull (strstr (error->message, "job_module_load"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/job/module/load", test_module_load);
  g_test_add_func ("/job/module/outside-allowed", test_module_outside_allowed);
  g_test_add_func ("/job/module/bad", test_module_bad);
  return g_test_run ();
}
