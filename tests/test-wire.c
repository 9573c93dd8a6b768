/* test-wire.c: the framed protocol between a pool and its workers */

#define _GNU_SOURCE

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libjob/job.h>

#include "job-wire-private.h"

typedef struct
{
  int fds[2];
  guint8 *buffer;
  JobWireMessage message;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (
      socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->fds), ==, 0);
  f->buffer = g_malloc (JOB_WIRE_BUFFER_SIZE);
  memset (&f->message, 0, sizeof f->message);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  job_wire_message_clear (&f->message);
  close (f->fds[0]);
  if (f->fds[1] >= 0)
    close (f->fds[1]);
  g_free (f->buffer);
  job_wire_set_force_tmpfile (FALSE);
}

static JobWireStatus
receive (Fixture *f, GError **error)
{
  return job_wire_receive (f->fds[1], TRUE, f->buffer, JOB_WIRE_BUFFER_SIZE,
                           &f->message, error);
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) small = g_bytes_new_static ("hello", 5);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  gsize big_size = 300 * 1024 + 5;
  g_autoptr (GBytes) big = g_bytes_new_take (g_malloc (big_size), big_size);
  GBytes *parts[] = { small, empty, big, small };
  JobWireMetrics metrics = { 1234, 5, 6, 7 };
  g_autoptr (GError) error = NULL;

  memset ((guint8 *) g_bytes_get_data (big, NULL), 0x5a, big_size);
  if (data != NULL)
    job_wire_set_force_tmpfile (TRUE);
  g_assert_true (job_wire_send (f->fds[0], JOB_WIRE_RESULT, 42, &metrics, parts,
                                G_N_ELEMENTS (parts), &error));
  g_assert_no_error (error);
  g_assert_cmpint (receive (f, &error), ==, JOB_WIRE_STATUS_MESSAGE);
  g_assert_no_error (error);
  g_assert_cmpint (f->message.type, ==, JOB_WIRE_RESULT);
  g_assert_cmpuint (f->message.request_id, ==, 42);
  g_assert_cmpint (f->message.metrics.pid, ==, 1234);
  g_assert_cmpuint (f->message.metrics.peak_rss, ==, 7);
  g_assert_cmpuint (f->message.parts->len, ==, 4);
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    g_assert_true (g_bytes_equal (f->message.parts->pdata[i], parts[i]));

  /* Nothing more, and no file left in the per-user directory. */
  g_assert_cmpint (receive (f, &error), ==, JOB_WIRE_STATUS_AGAIN);
  {
    g_autofree char *dir =
        g_strdup_printf ("%s/libjob-%u", g_get_tmp_dir (), (guint) getuid ());
    g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);

    if (handle != NULL)
      g_assert_null (g_dir_read_name (handle));
  }
}

static void
test_eof (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  close (f->fds[0]);
  f->fds[0] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (receive (f, &error), ==, JOB_WIRE_STATUS_EOF);
  g_assert_no_error (error);
}

static void
send_raw (Fixture *f, const void *data, gsize size, int fd)
{
  struct iovec iov = { (void *) data, size };
  union
  {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int))];
  } control;
  struct msghdr msg = { 0 };

  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0)
    {
      struct cmsghdr *cmsg;

      memset (&control, 0, sizeof control);
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof control.buf;
      cmsg = CMSG_FIRSTHDR (&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (cmsg), &fd, sizeof (int));
    }
  g_assert_cmpint (sendmsg (f->fds[0], &msg, 0), ==, (gssize) size);
}

static void
expect_protocol_error (Fixture *f, const char *fragment)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (receive (f, &error), ==, JOB_WIRE_STATUS_ERROR);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, fragment));
}

typedef struct
{
  JobWireHeader header;
  JobWireMetrics metrics;
  JobWirePart part;
  guint8 data[8];
} OnePart;

static OnePart
valid_message (void)
{
  OnePart m = { 0 };

  m.header.magic = JOB_WIRE_MAGIC;
  m.header.version = JOB_WIRE_VERSION;
  m.header.type = JOB_WIRE_TASK;
  m.header.request_id = 7;
  m.header.length = sizeof m;
  m.header.n_parts = 1;
  m.part.size = 8;
  m.part.offset = G_STRUCT_OFFSET (OnePart, data);
  memcpy (m.data, "12345678", 8);
  return m;
}

static void
test_garbage (Fixture *f, gconstpointer data)
{
  OnePart m;

  send_raw (f, "garbage", 7, -1);
  expect_protocol_error (f, "truncated");

  m = valid_message ();
  m.header.magic = 0xdeadbeef;
  send_raw (f, &m, sizeof m, -1);
  expect_protocol_error (f, "magic");

  m = valid_message ();
  m.header.version = 99;
  send_raw (f, &m, sizeof m, -1);
  expect_protocol_error (f, "version 99");

  m = valid_message ();
  m.header.length = sizeof m + 1;
  send_raw (f, &m, sizeof m, -1);
  expect_protocol_error (f, "invalid header");

  m = valid_message ();
  m.header.n_parts = 1000;
  send_raw (f, &m, sizeof m, -1);
  expect_protocol_error (f, "truncated");

  m = valid_message ();
  m.part.size = 9;
  send_raw (f, &m, sizeof m, -1);
  expect_protocol_error (f, "beyond the end");

  m = valid_message ();
  m.part.offset = 0;
  send_raw (f, &m, sizeof m, -1);
  expect_protocol_error (f, "beyond the end");

  m = valid_message ();
  m.part.offset = JOB_WIRE_PART_OUT_OF_BAND;
  send_raw (f, &m, sizeof m, -1);
  expect_protocol_error (f, "without its file");

  /* The valid one passes, so the checks above are the cause. */
  {
    g_autoptr (GError) error = NULL;

    m = valid_message ();
    send_raw (f, &m, sizeof m, -1);
    g_assert_cmpint (receive (f, &error), ==, JOB_WIRE_STATUS_MESSAGE);
    g_assert_no_error (error);
    g_assert_cmpmem (g_bytes_get_data (f->message.parts->pdata[0], NULL), 8,
                     "12345678", 8);
  }
}

static void
test_oversized (Fixture *f, gconstpointer data)
{
  gsize size = JOB_WIRE_BUFFER_SIZE + 1;
  g_autofree guint8 *big = g_malloc0 (size);
  int sndbuf = 4 * 1024 * 1024;

  setsockopt (f->fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (send (f->fds[0], big, size, 0) != (gssize) size)
    {
      g_test_skip ("cannot send a datagram that big here");
      return;
    }
  expect_protocol_error (f, "longer than the limit");
}

static void
test_unsafe_file (Fixture *f, gconstpointer data)
{
  OnePart m = valid_message ();
  int memfd = memfd_create ("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  int pipefd[2];

  /* A memfd the sender could still shrink under the receiver's map. */
  g_assert_cmpint (ftruncate (memfd, 4096), ==, 0);
  m.part.offset = JOB_WIRE_PART_OUT_OF_BAND;
  send_raw (f, &m, sizeof m, memfd);
  expect_protocol_error (f, "not sealed");

  /* Shorter than announced. */
  fcntl (memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  m.part.size = 8192;
  send_raw (f, &m, sizeof m, memfd);
  expect_protocol_error (f, "shorter");
  close (memfd);

  /* Not a file. */
  g_assert_cmpint (pipe (pipefd), ==, 0);
  m.part.size = 8;
  send_raw (f, &m, sizeof m, pipefd[0]);
  expect_protocol_error (f, "not a regular file");
  close (pipefd[0]);
  close (pipefd[1]);
}

static void
test_error_parts (void)
{
  g_autoptr (GError) error =
      g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone: %s", "x");
  g_autoptr (GBytes) bytes = job_wire_encode_error (error);
  g_autoptr (GError) decoded = job_wire_decode_error (bytes);
  g_autoptr (GBytes) junk = g_bytes_new_static ("junk", 4);
  g_autoptr (GError) from_junk = job_wire_decode_error (junk);

  g_assert_error (decoded, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (decoded->message, ==, "gone: x");
  g_assert_error (from_junk, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/job/wire/round-trip", Fixture, NULL, fixture_set_up,
              test_round_trip, fixture_tear_down);
  g_test_add ("/job/wire/round-trip-tmpfile", Fixture, "tmpfile",
              fixture_set_up, test_round_trip, fixture_tear_down);
  g_test_add ("/job/wire/eof", Fixture, NULL, fixture_set_up, test_eof,
              fixture_tear_down);
  g_test_add ("/job/wire/garbage", Fixture, NULL, fixture_set_up, test_garbage,
              fixture_tear_down);
  g_test_add ("/job/wire/oversized", Fixture, NULL, fixture_set_up,
              test_oversized, fixture_tear_down);
  g_test_add ("/job/wire/unsafe-file", Fixture, NULL, fixture_set_up,
              test_unsafe_file, fixture_tear_down);
  g_test_add_func ("/job/wire/error-parts", test_error_parts);
  return g_test_run ();
}
