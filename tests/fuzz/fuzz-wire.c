/* fuzz-wire.c: arbitrary bytes as one message on a worker's socket */

#define _GNU_SOURCE

#include "fuzz-wire.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static guint8 *buffer;

static int
make_file (const guint8 *data, gsize size, gboolean sealed)
{
  int fd = memfd_create ("fuzz-wire", MFD_CLOEXEC | MFD_ALLOW_SEALING);

  g_assert_cmpint (fd, >=, 0);
  while (size > 0)
    {
      ssize_t n = write (fd, data, size);

      g_assert_cmpint (n, >, 0);
      data += n;
      size -= n;
    }
  if (sealed)
    g_assert_cmpint (
        fcntl (fd, F_ADD_SEALS,
               F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL),
        ==, 0);
  return fd;
}

JobWireStatus
fuzz_wire_deliver (const guint8 *data,
                   gsize size,
                   JobWireMessage *message,
                   GError **error)
{
  int pair[2];
  int file = -1;
  guint8 flags;
  const guint8 *body;
  gsize body_size;
  union
  {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int))];
  } control;
  struct iovec iov;
  struct msghdr msg = { 0 };
  JobWireStatus status;

  if (buffer == NULL)
    buffer = g_malloc (JOB_WIRE_BUFFER_SIZE);
  if (size == 0)
    return JOB_WIRE_STATUS_EOF;
  flags = data[0];
  body = data + 1;
  body_size = size - 1;
  if (flags & FUZZ_WIRE_WITH_FILE)
    {
      gsize length;

      if (body_size < 2)
        return JOB_WIRE_STATUS_EOF;
      length = MIN ((gsize) (body[0] | (body[1] << 8)), body_size - 2);
      file = make_file (body + 2 + length, body_size - 2 - length,
                        (flags & FUZZ_WIRE_SEALED) != 0);
      body += 2;
      body_size = length;
    }

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair),
                   ==, 0);
  iov.iov_base = (void *) body;
  iov.iov_len = body_size;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (file >= 0)
    {
      struct cmsghdr *cmsg;

      memset (&control, 0, sizeof control);
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof control.buf;
      cmsg = CMSG_FIRSTHDR (&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (cmsg), &file, sizeof (int));
    }
  /* Inputs are far below the socket's buffer: one send is the message. */
  g_assert_cmpint (sendmsg (pair[0], &msg, MSG_NOSIGNAL), ==, body_size);
  if (file >= 0)
    close (file);
  /* The sender is gone: whatever comes next is end of file. */
  close (pair[0]);

  status = job_wire_receive (pair[1], TRUE, buffer, JOB_WIRE_BUFFER_SIZE,
                             message, error);
  close (pair[1]);
  return status;
}

GBytes *
fuzz_wire_encode (GBytes *message_bytes, GBytes *file_bytes, gboolean sealed)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  gsize size;
  const guint8 *data = g_bytes_get_data (message_bytes, &size);
  guint8 flags = 0;

  if (file_bytes != NULL)
    flags = FUZZ_WIRE_WITH_FILE | (sealed ? FUZZ_WIRE_SEALED : 0);
  g_byte_array_append (out, &flags, 1);
  if (file_bytes != NULL)
    {
      guint8 length[2] = { size & 0xff, (size >> 8) & 0xff };

      g_assert_cmpuint (size, <=, 0xffff);
      g_byte_array_append (out, length, 2);
    }
  g_byte_array_append (out, data, size);
  if (file_bytes != NULL)
    {
      const guint8 *file = g_bytes_get_data (file_bytes, &size);

      g_byte_array_append (out, file, size);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

GBytes *
fuzz_wire_capture (JobWireType type,
                   guint64 request_id,
                   const JobWireMetrics *metrics,
                   GBytes *const *parts,
                   guint n_parts)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) message_bytes = NULL;
  g_autoptr (GBytes) file_bytes = NULL;
  g_autofree guint8 *raw = g_malloc (JOB_WIRE_BUFFER_SIZE);
  union
  {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int))];
  } control;
  struct iovec iov = { raw, JOB_WIRE_BUFFER_SIZE };
  struct msghdr msg = { 0 };
  int pair[2];
  ssize_t n;

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair),
                   ==, 0);
  g_assert_true (job_wire_send (pair[0], type, request_id, metrics, parts,
                                n_parts, &error));
  g_assert_no_error (error);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  n = recvmsg (pair[1], &msg, MSG_CMSG_CLOEXEC);
  g_assert_cmpint (n, >, 0);
  message_bytes = g_bytes_new (raw, n);
  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR (&msg); cmsg != NULL;
       cmsg = CMSG_NXTHDR (&msg, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
      {
        int fd;
        struct stat st;
        g_autofree guint8 *contents = NULL;

        memcpy (&fd, CMSG_DATA (cmsg), sizeof fd);
        g_assert_cmpint (fstat (fd, &st), ==, 0);
        contents = g_malloc (st.st_size + 1);
        g_assert_cmpint (pread (fd, contents, st.st_size, 0), ==, st.st_size);
        file_bytes = g_bytes_new (contents, st.st_size);
        close (fd);
      }
  close (pair[0]);
  close (pair[1]);
  return fuzz_wire_encode (message_bytes, file_bytes, TRUE);
}
