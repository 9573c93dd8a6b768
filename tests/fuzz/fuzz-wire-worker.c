/* fuzz-wire-worker.c: the worker protocol as a worker sees it
 *
 * Each input is one message from the parent (see fuzz-wire.h), received
 * with job_wire_receive() and decoded as job-worker does: a DIRS message
 * by job_wire_decode_dirs(), a TASK by job_wire_decode_task() with the
 * test plugin's directory as the only allowed one. The task is not run
 * (the parent is trusted to choose what runs); everything up to running
 * it must give a task or a GError, never a crash, a leak or a warning. */

#include "fuzz-support.h"
#include "fuzz-wire.h"
#include "libjob/job-module-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static char *plugin_dirs[2];

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  JobWireMessage message = { 0 };
  g_autoptr (GError) error = NULL;

  if (plugin_dirs[0] == NULL)
    {
      fuzz_support_init ();
      /* A worker of the test suite: the test plugin is allowed and loads
       * on demand, when a pickle names it. */
      plugin_dirs[0] = g_path_get_dirname (TEST_PLUGIN_PATH);
    }

  switch (fuzz_wire_deliver (data, size, &message, &error))
    {
    case JOB_WIRE_STATUS_EOF:
      g_assert_no_error (error);
      return 0;
    case JOB_WIRE_STATUS_ERROR:
      g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL);
      g_assert_null (message.parts);
      return 0;
    case JOB_WIRE_STATUS_AGAIN:
    default:
      g_assert_not_reached ();
    case JOB_WIRE_STATUS_MESSAGE:
      break;
    }
  g_assert_no_error (error);

  /* A task the caller reads directly decodes the same way. */
  if (message.type == JOB_WIRE_TASK || message.type == JOB_WIRE_TASK_DIRECT)
    {
      g_autoptr (JobTask) task = job_wire_decode_task (
          &message, (const char *const *) plugin_dirs, &error);

      if (task == NULL)
        g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK);
      else
        {
          /* What the worker rebuilt pickles again, as its result would. */
          g_autoptr (JobPickleFrames) again =
              job_pickle_dump_frames (G_OBJECT (task), 0, &error);

          g_assert_no_error (error);
          g_assert_nonnull (again);
          fuzz_support_break_cycles (G_OBJECT (task));
        }
    }
  else if (message.type == JOB_WIRE_DIRS && message.parts->len == 1)
    {
      g_auto (GStrv) dirs = job_wire_decode_dirs (message.parts->pdata[0]);

      for (guint i = 0; dirs[i] != NULL; i++)
        g_assert_cmpstr (dirs[i], !=, "");
    }
  /* Anything else makes the worker exit with a message. */
  job_wire_message_clear (&message);
  return 0;
}
