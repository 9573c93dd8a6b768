/* fake-worker.c: a worker that breaks the protocol, for test-faults
 *
 * Started by JobWorkerPool in place of job-worker; what it does is named by
 * $FAKE_WORKER_MODE (the test adds it to the pool's environment allowlist):
 *
 *   mute               never says hello, then hangs
 *   silent             says hello, takes the task, then hangs
 *   garbage            says hello, takes the task, answers bytes that are
 *                      not a message
 *   truncated          ... answers a header announcing more than it sent
 *   oversized-length   ... answers a part whose length runs far past the end
 *   oversized-message  ... answers a message longer than the protocol allows
 *   many-parts         ... answers a header announcing 1 << 30 parts
 */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libjob/job.h"
#include "libjob/job-wire-private.h"

static void
hang (void)
{
  for (;;)
    pause ();
}

static void
send_raw (const void *data, gsize size)
{
  if (send (JOB_WIRE_WORKER_FD, data, size, MSG_NOSIGNAL) != (ssize_t) size)
    exit (3);
}

int
main (int argc, char **argv)
{
  const char *mode = g_getenv ("FAKE_WORKER_MODE");
  g_autofree char *pid_text = g_strdup_printf ("%d", (int) getpid ());
  g_autoptr (GBytes) hello = g_bytes_new (pid_text, strlen (pid_text));
  g_autofree guint8 *buffer = g_malloc (JOB_WIRE_BUFFER_SIZE);
  JobWireMessage task = { 0 };
  struct
  {
    JobWireHeader header;
    JobWireMetrics metrics;
    JobWirePart part;
  } reply = { { JOB_WIRE_MAGIC, JOB_WIRE_VERSION, JOB_WIRE_RESULT, 0, 0, 0, 0 },
              { 0 },
              { 0 } };

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (mode == NULL)
    return 2;
  if (g_str_equal (mode, "mute"))
    hang ();
  if (!job_wire_send (JOB_WIRE_WORKER_FD, JOB_WIRE_HELLO, 0, NULL, &hello, 1,
                      NULL))
    return 3;
  /* The task, after whatever else the parent sends first (DIRS). */
  do
    if (job_wire_receive (JOB_WIRE_WORKER_FD, FALSE, buffer,
                          JOB_WIRE_BUFFER_SIZE, &task, NULL)
        != JOB_WIRE_STATUS_MESSAGE)
      return 4;
  while (task.type != JOB_WIRE_TASK);
  reply.header.request_id = task.request_id;

  if (g_str_equal (mode, "silent"))
    hang ();
  else if (g_str_equal (mode, "garbage"))
    send_raw ("this is not a message", 21);
  else if (g_str_equal (mode, "truncated"))
    {
      reply.header.length = 4096;
      send_raw (&reply, sizeof reply.header + sizeof reply.metrics);
    }
  else if (g_str_equal (mode, "oversized-length"))
    {
      reply.header.length = sizeof reply;
      reply.header.n_parts = 1;
      reply.part.size = G_GUINT64_CONSTANT (1) << 40;
      reply.part.offset = sizeof reply;
      send_raw (&reply, sizeof reply);
    }
  else if (g_str_equal (mode, "oversized-message"))
    {
      gsize size = JOB_WIRE_BUFFER_SIZE + 4096;
      g_autofree guint8 *big = g_malloc0 (size);
      int sndbuf = 4 * size;

      setsockopt (JOB_WIRE_WORKER_FD, SOL_SOCKET, SO_SNDBUF, &sndbuf,
                  sizeof sndbuf);
      reply.header.length = size;
      memcpy (big, &reply, sizeof reply.header + sizeof reply.metrics);
      send_raw (big, size);
    }
  else if (g_str_equal (mode, "many-parts"))
    {
      reply.header.length = sizeof reply;
      reply.header.n_parts = 1 << 30;
      send_raw (&reply, sizeof reply);
    }
  else
    return 2;
  hang ();
  return 0;
}
