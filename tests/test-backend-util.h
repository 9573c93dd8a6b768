/* test-backend-util.h: helpers shared by the backend tests */

#pragma once

#include <libjob/job.h>

#include "job-module-private.h"

static inline void
test_load_plugin (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (job_module_load_path (TEST_PLUGIN_PATH, NULL, &error));
  g_assert_no_error (error);
}

static inline JobTask *
test_task_new (const char *type_name, const char *first_property, ...)
{
  GType type = g_type_from_name (type_name);
  GObject *task;
  va_list args;

  g_assert_true (type != G_TYPE_INVALID);
  va_start (args, first_property);
  task = g_object_new_valist (type, first_property, args);
  va_end (args);
  return JOB_TASK (task);
}

typedef struct
{
  GAsyncResult *result;
} TestWait;

static inline void
test_wait_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  TestWait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

static inline JobResult *
test_wait_finish (JobBackend *backend, TestWait *wait, GError **error)
{
  JobResult *result;

  while (wait->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  result = job_backend_submit_finish (backend, wait->result, error);
  g_clear_object (&wait->result);
  return result;
}

static inline const char *
test_output_text (JobResult *result)
{
  GObject *output = job_result_get_output (result);
  static char *text;

  g_assert_nonnull (output);
  g_clear_pointer (&text, g_free);
  g_object_get (output, "text", &text, NULL);
  return text;
}

static inline gint64
test_output_number (JobResult *result)
{
  gint64 number;

  g_object_get (job_result_get_output (result), "number", &number, NULL);
  return number;
}

static inline gboolean
test_pid_exists (gint64 pid)
{
  g_autofree char *path =
      g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/stat", pid);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}
