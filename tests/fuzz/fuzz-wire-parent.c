/* fuzz-wire-parent.c: the worker protocol as the parent sees it
 *
 * A worker may send anything: each input is one message on the socket
 * (see fuzz-wire.h), received with job_wire_receive() and, when it is a
 * RESULT or an ERROR, decoded by job_wire_decode_reply() as JobWorkerPool
 * does. Whatever the bytes, that gives a result or a GError; it never
 * crashes, reads out of bounds, leaks, warns or hangs. */

#include "fuzz-support.h"
#include "fuzz-wire.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static gboolean initialized = FALSE;
  JobWireMessage message = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) result = NULL;

  if (!initialized)
    {
      fuzz_support_init ();
      initialized = TRUE;
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
  g_assert_nonnull (message.parts);
  g_assert_cmpint (message.type, >=, JOB_WIRE_HELLO);
  g_assert_cmpint (message.type, <=, JOB_WIRE_TASK_DIRECT);

  /* The parent reads nothing from a HELLO, DIRS or TASK but its type. */
  if (message.type == JOB_WIRE_RESULT || message.type == JOB_WIRE_ERROR)
    {
      result = job_wire_decode_reply (&message, "FuzzTask", "fuzz", &error);
      if (result == NULL)
        {
          g_assert_nonnull (error);
          g_assert_nonnull (error->message);
          if (message.type == JOB_WIRE_RESULT)
            g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL);
        }
      else
        {
          g_assert_cmpint (message.type, ==, JOB_WIRE_RESULT);
          g_assert_cmpint (job_result_get_worker_pid (result), >=, 0);
          g_assert_cmpfloat (job_result_get_wall_time (result), >=, 0);
          if (job_result_get_output (result) != NULL)
            fuzz_support_break_cycles (job_result_get_output (result));
        }
    }
  job_wire_message_clear (&message);
  return 0;
}
