/* job-wire.c: the framed protocol between a pool and its workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "job-backend.h"
#include "job-module-private.h"
#include "job-pickle.h"
#include "job-result.h"
#include "job-task.h"
#include "job-wire-private.h"

#define ALIGN8(n) (((n) + 7) & ~(guint64) 7)
#define ALIGN_PAGE(n) (((n) + 4095) & ~(guint64) 4095)

G_STATIC_ASSERT (sizeof (JobWireHeader) == 32);
G_STATIC_ASSERT (sizeof (JobWireMetrics) == 32);
G_STATIC_ASSERT (sizeof (JobWirePart) == 16);

#define FIXED_SIZE (sizeof (JobWireHeader) + sizeof (JobWireMetrics))

static int
open_tmpfile_fallback (GError **error)
{
  g_autofree char *dir = NULL;
  struct stat st;
  int fd;

  /* A per-user 0700 directory; O_TMPFILE files have no name, so nothing
   * is left behind whatever happens to either process. */
  dir = g_strdup_printf ("%s/libjob-%u", g_get_tmp_dir (), (guint) getuid ());
  if (mkdir (dir, 0700) != 0 && errno != EEXIST)
    goto fail;
  if (lstat (dir, &st) != 0)
    goto fail;
  if (!S_ISDIR (st.st_mode) || st.st_uid != getuid ()
      || (st.st_mode & 0077) != 0)
    {
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                   "%s is not a private directory of this user: remove it",
                   dir);
      return -1;
    }
  fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0)
    return fd;

fail:
  {
    int saved_errno = errno;

    g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                 "Cannot create a temporary file in %s for a large message: %s",
                 dir, g_strerror (saved_errno));
  }
  return -1;
}

static gboolean force_tmpfile;

void
job_wire_set_force_tmpfile (gboolean force)
{
  force_tmpfile = force;
}

static int
create_out_of_band (gsize size, gboolean *sealable, GError **error)
{
  int fd;

  *sealable = TRUE;
  fd = force_tmpfile
           ? -1
           : memfd_create ("libjob-wire", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    {
      *sealable = FALSE;
      fd = open_tmpfile_fallback (error);
      if (fd < 0)
        return -1;
    }
  if (ftruncate (fd, size) != 0)
    {
      int saved_errno = errno;

      close (fd);
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                   "Cannot size a %" G_GSIZE_FORMAT
                   "-byte buffer for a large message: %s",
                   size, g_strerror (saved_errno));
      return -1;
    }
  return fd;
}

static gboolean
write_all_at (
    int fd, const guint8 *data, gsize size, guint64 offset, GError **error)
{
  while (size > 0)
    {
      ssize_t n = pwrite (fd, data, MIN (size, (gsize) G_MAXSSIZE), offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved_errno = errno;

          g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                       "Cannot write a large message: %s",
                       g_strerror (saved_errno));
          return FALSE;
        }
      data += n;
      size -= n;
      offset += n;
    }
  return TRUE;
}

gboolean
job_wire_send (int fd,
               JobWireType type,
               guint64 request_id,
               const JobWireMetrics *metrics,
               GBytes *const *parts,
               guint n_parts,
               GError **error)
{
  static const guint8 zeros[8] = { 0 };
  struct
  {
    JobWireHeader header;
    JobWireMetrics metrics;
    JobWirePart parts[8];
  } small;
  guint8 *fixed;
  JobWirePart *table;
  gsize fixed_size = FIXED_SIZE + (gsize) n_parts * sizeof (JobWirePart);
  g_autofree guint8 *fixed_heap = NULL;
  g_autofree struct iovec *iov_heap = NULL;
  struct iovec iov_small[1 + 2 * 8];
  struct iovec *iov;
  guint n_iov = 0;
  guint64 inline_size = fixed_size, oob_size = 0;
  int oob_fd = -1;
  union
  {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int))];
  } control;
  struct msghdr msg = { 0 };
  gboolean ret = FALSE;

  if (n_parts > JOB_WIRE_MAX_PARTS)
    {
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                   "A message of %u parts is more than the limit of %u",
                   n_parts, JOB_WIRE_MAX_PARTS);
      return FALSE;
    }

  if (n_parts <= G_N_ELEMENTS (small.parts))
    {
      fixed = (guint8 *) &small;
      iov = iov_small;
    }
  else
    {
      fixed = fixed_heap = g_malloc (fixed_size);
      iov = iov_heap = g_new (struct iovec, 1 + 2 * n_parts);
    }
  table =
      (JobWirePart *) (gpointer) (fixed + FIXED_SIZE); /* fixed is 8-aligned */

  /* Small parts inline, in order, while they fit; the rest out of band. */
  for (guint i = 0; i < n_parts; i++)
    {
      gsize size = g_bytes_get_size (parts[i]);

      table[i].size = size;
      if (inline_size + ALIGN8 (size) <= JOB_WIRE_MAX_INLINE)
        {
          table[i].offset = inline_size;
          inline_size += ALIGN8 (size);
        }
      else
        {
          table[i].offset = oob_size | JOB_WIRE_PART_OUT_OF_BAND;
          oob_size += ALIGN_PAGE (size);
        }
    }

  {
    JobWireHeader *header = (JobWireHeader *) (gpointer) fixed;

    header->magic = JOB_WIRE_MAGIC;
    header->version = JOB_WIRE_VERSION;
    header->type = type;
    header->request_id = request_id;
    header->length = inline_size;
    header->n_parts = n_parts;
    header->reserved = 0;
    if (metrics != NULL)
      memcpy (fixed + sizeof (JobWireHeader), metrics, sizeof (JobWireMetrics));
    else
      memset (fixed + sizeof (JobWireHeader), 0, sizeof (JobWireMetrics));
  }

  iov[n_iov++] = (struct iovec){ fixed, fixed_size };
  for (guint i = 0; i < n_parts; i++)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (parts[i], &size);

      if ((table[i].offset & JOB_WIRE_PART_OUT_OF_BAND) || size == 0)
        continue;
      iov[n_iov++] = (struct iovec){ (void *) data, size };
      if (ALIGN8 (size) != size)
        iov[n_iov++] = (struct iovec){ (void *) zeros, ALIGN8 (size) - size };
    }

  if (oob_size > 0)
    {
      gboolean sealable;

      oob_fd = create_out_of_band (oob_size, &sealable, error);
      if (oob_fd < 0)
        return FALSE;
      for (guint i = 0; i < n_parts; i++)
        {
          gsize size;
          const guint8 *data = g_bytes_get_data (parts[i], &size);

          if (!(table[i].offset & JOB_WIRE_PART_OUT_OF_BAND))
            continue;
          if (!write_all_at (oob_fd, data, size,
                             table[i].offset & ~JOB_WIRE_PART_OUT_OF_BAND,
                             error))
            goto out;
        }
      /* The receiver maps the file: it must not change or shrink under it. */
      if (sealable)
        fcntl (oob_fd, F_ADD_SEALS,
               F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);

      memset (&control, 0, sizeof control);
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof control.buf;
      {
        struct cmsghdr *cmsg = CMSG_FIRSTHDR (&msg);

        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN (sizeof (int));
        memcpy (CMSG_DATA (cmsg), &oob_fd, sizeof (int));
      }
    }

  msg.msg_iov = iov;
  msg.msg_iovlen = n_iov;
  for (;;)
    {
      ssize_t n = sendmsg (fd, &msg, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                       "Cannot send a message to the other process: %s",
                       g_strerror (saved_errno));
          goto out;
        }
      if ((guint64) n != inline_size)
        {
          g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                       "A message was sent truncated (%" G_GSSIZE_FORMAT
                       " of %" G_GUINT64_FORMAT " bytes)",
                       n, inline_size);
          goto out;
        }
      break;
    }
  ret = TRUE;

out:
  if (oob_fd >= 0)
    close (oob_fd);
  return ret;
}

void
job_wire_message_clear (JobWireMessage *message)
{
  g_clear_pointer (&message->parts, g_ptr_array_unref);
  memset (message, 0, sizeof *message);
}

static JobWireStatus
protocol_error (GError **error, const char *what)
{
  g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
               "Garbage from the other process: %s", what);
  return JOB_WIRE_STATUS_ERROR;
}

static GBytes *
map_out_of_band (int fd, guint64 needed, GError **error)
{
  struct stat st;
  int seals;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GError) local_error = NULL;

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      protocol_error (
          error, "the descriptor of a large message is not a regular file");
      return NULL;
    }
  if ((guint64) st.st_size < needed)
    {
      protocol_error (error,
                      "the file of a large message is shorter than announced");
      return NULL;
    }
  /* A memfd must be sealed: if it could shrink, reading the map would crash. */
  seals = fcntl (fd, F_GET_SEALS);
  if (seals >= 0
      && (seals & (F_SEAL_SHRINK | F_SEAL_WRITE))
             != (F_SEAL_SHRINK | F_SEAL_WRITE))
    {
      protocol_error (error, "the memfd of a large message is not sealed");
      return NULL;
    }
  mapped = g_mapped_file_new_from_fd (fd, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                   "Cannot map a large message: %s", local_error->message);
      return NULL;
    }
  return g_mapped_file_get_bytes (mapped);
}

JobWireStatus
job_wire_receive (int fd,
                  gboolean nonblocking,
                  guint8 *buffer,
                  gsize buffer_size,
                  JobWireMessage *message,
                  GError **error)
{
  union
  {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int) * 8)];
  } control;
  struct iovec iov = { buffer, buffer_size };
  struct msghdr msg = { 0 };
  int fds[8];
  guint n_fds = 0;
  ssize_t n;
  const JobWireHeader *header;
  const JobWirePart *table;
  guint64 table_end, oob_needed = 0;
  g_autoptr (GBytes) whole = NULL;
  g_autoptr (GBytes) oob = NULL;
  JobWireStatus status = JOB_WIRE_STATUS_ERROR;
  guint resets = 0;

  job_wire_message_clear (message);

  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  /* A peer that went with messages of ours unread leaves ECONNRESET,
   * which the kernel reports before what the peer sent until then: read
   * on, so that its last replies are not lost. */
  do
    n = recvmsg (fd, &msg, MSG_CMSG_CLOEXEC | (nonblocking ? MSG_DONTWAIT : 0));
  while (n < 0 && (errno == EINTR || (errno == ECONNRESET && resets++ == 0)));
  if (n < 0)
    {
      int saved_errno = errno;

      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)
        return JOB_WIRE_STATUS_AGAIN;
      if (saved_errno == ECONNRESET)
        return JOB_WIRE_STATUS_EOF;
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                   "Cannot receive from the other process: %s",
                   g_strerror (saved_errno));
      return JOB_WIRE_STATUS_ERROR;
    }

  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR (&msg); cmsg != NULL;
       cmsg = CMSG_NXTHDR (&msg, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
      {
        guint count = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (int);

        for (guint i = 0; i < count && n_fds < G_N_ELEMENTS (fds); i++)
          memcpy (&fds[n_fds++], CMSG_DATA (cmsg) + i * sizeof (int),
                  sizeof (int));
      }

  if (n == 0 && n_fds == 0)
    return JOB_WIRE_STATUS_EOF;
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
    {
      protocol_error (error, "a message longer than the limit");
      goto out;
    }
  if ((gsize) n < FIXED_SIZE)
    {
      protocol_error (error, "a truncated message");
      goto out;
    }
  header =
      (const JobWireHeader *) (gconstpointer) buffer; /* malloc'd: aligned */
  if (header->magic != JOB_WIRE_MAGIC)
    {
      protocol_error (error, "a message without the protocol's magic number");
      goto out;
    }
  if (header->version != JOB_WIRE_VERSION)
    {
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                   "The other process speaks protocol version %u, this one %u: "
                   "the worker executable does not match the library",
                   header->version, JOB_WIRE_VERSION);
      goto out;
    }
  if (header->length != (guint64) n || header->n_parts > JOB_WIRE_MAX_PARTS
      || header->type < JOB_WIRE_HELLO || header->type > JOB_WIRE_TASK_DIRECT
      || n_fds > 1)
    {
      protocol_error (error, "a message with an invalid header");
      goto out;
    }
  table_end = FIXED_SIZE + (guint64) header->n_parts * sizeof (JobWirePart);
  if (table_end > (guint64) n)
    {
      protocol_error (error, "a truncated message");
      goto out;
    }
  table = (const JobWirePart *) (gconstpointer) (buffer + FIXED_SIZE);
  for (guint i = 0; i < header->n_parts; i++)
    {
      guint64 offset = table[i].offset & ~JOB_WIRE_PART_OUT_OF_BAND;
      guint64 size = table[i].size;

      if (table[i].offset & JOB_WIRE_PART_OUT_OF_BAND)
        {
          if (n_fds == 0 || size > JOB_WIRE_MAX_OUT_OF_BAND
              || offset > JOB_WIRE_MAX_OUT_OF_BAND)
            {
              protocol_error (error, "a part out of band without its file");
              goto out;
            }
          oob_needed = MAX (oob_needed, offset + size);
        }
      else if (offset < table_end || size > (guint64) n
               || offset > (guint64) n - size)
        {
          protocol_error (error, "a part beyond the end of its message");
          goto out;
        }
    }

  message->type = header->type;
  message->request_id = header->request_id;
  memcpy (&message->metrics, buffer + sizeof (JobWireHeader),
          sizeof (JobWireMetrics));
  message->parts =
      g_ptr_array_new_full (header->n_parts, (GDestroyNotify) g_bytes_unref);

  if (n_fds > 0)
    {
      oob = map_out_of_band (fds[0], oob_needed, error);
      if (oob == NULL)
        goto out;
    }
  if (header->n_parts > 0)
    whole = g_bytes_new (buffer, n);
  for (guint i = 0; i < header->n_parts; i++)
    {
      guint64 offset = table[i].offset & ~JOB_WIRE_PART_OUT_OF_BAND;
      GBytes *source =
          (table[i].offset & JOB_WIRE_PART_OUT_OF_BAND) ? oob : whole;

      g_ptr_array_add (message->parts,
                       g_bytes_new_from_bytes (source, offset, table[i].size));
    }
  status = JOB_WIRE_STATUS_MESSAGE;

out:
  for (guint i = 0; i < n_fds; i++)
    close (fds[i]);
  if (status != JOB_WIRE_STATUS_MESSAGE)
    job_wire_message_clear (message);
  return status;
}

GBytes *
job_wire_encode_error (const GError *error)
{
  g_autoptr (GVariant) variant = NULL;

  variant = g_variant_ref_sink (g_variant_new (
      "(sis)", g_quark_to_string (error->domain), error->code, error->message));
  return g_variant_get_data_as_bytes (variant);
}

GError *
job_wire_decode_error (GBytes *bytes)
{
  g_autoptr (GVariant) variant = NULL;
  const char *domain, *message;
  int code;

  variant = g_variant_ref_sink (
      g_variant_new_from_bytes (G_VARIANT_TYPE ("(sis)"), bytes, FALSE));
  g_variant_get (variant, "(&si&s)", &domain, &code, &message);
  if (*domain == '\0')
    return g_error_new (JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                        "The worker reported an error without a domain: %s",
                        message);
  return g_error_new_literal (g_quark_from_string (domain), code, message);
}

JobTask *
job_wire_decode_task (const JobWireMessage *message,
                      const char *const *plugin_dirs,
                      GError **error)
{
  g_autoptr (JobPickleFrames) frames = NULL;
  g_autoptr (GObject) object = NULL;
  g_autoptr (GError) local_error = NULL;

  if (message->parts == NULL || message->parts->len == 0)
    {
      g_set_error_literal (error, JOB_WORKER_ERROR,
                           JOB_WORKER_ERROR_INVALID_TASK,
                           "The worker cannot rebuild the task: the task "
                           "message holds no pickle");
      return NULL;
    }
  frames = job_pickle_frames_new (message->parts->pdata[0],
                                  (GBytes **) message->parts->pdata + 1,
                                  message->parts->len - 1);
  object = job_pickle_load_frames_with_plugins (frames, plugin_dirs,
                                                JOB_TYPE_TASK, &local_error);
  if (object != NULL && !JOB_IS_TASK (object))
    g_set_error (&local_error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK,
                 "The pickle sent to the worker holds a %s, not a JobTask",
                 G_OBJECT_TYPE_NAME (object));
  if (local_error != NULL)
    {
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK,
                   "The worker cannot rebuild the task: %s",
                   local_error->message);
      return NULL;
    }
  return JOB_TASK (g_steal_pointer (&object));
}

char **
job_wire_decode_dirs (GBytes *part)
{
  gsize size;
  const char *data = g_bytes_get_data (part, &size);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  const char *end;

  /* An empty part (an empty mapped file) may have no data pointer. */
  if (size == 0)
    return g_strv_builder_end (builder);
  end = data + size;
  while (data < end)
    {
      const char *nul = memchr (data, '\0', end - data);
      gsize len = nul != NULL ? (gsize) (nul - data) : (gsize) (end - data);

      if (len > 0)
        {
          g_autofree char *dir = g_strndup (data, len);

          g_strv_builder_add (builder, dir);
        }
      data += len + 1;
    }
  return g_strv_builder_end (builder);
}

JobResult *
job_wire_decode_reply (const JobWireMessage *message,
                       const char *task_name,
                       const char *backend,
                       GError **error)
{
  const JobWireMetrics *metrics = &message->metrics;
  g_autoptr (GObject) output = NULL;

  if (message->type == JOB_WIRE_ERROR)
    {
      if (message->parts->len == 1)
        g_propagate_error (error,
                           job_wire_decode_error (message->parts->pdata[0]));
      else
        g_set_error_literal (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                             "The worker sent an error reply without an error");
      return NULL;
    }
  if (message->type != JOB_WIRE_RESULT)
    {
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                   "The worker sent a message of type %d instead of the "
                   "result of task %s",
                   message->type, task_name);
      return NULL;
    }
  if (message->parts->len > 0)
    {
      g_autoptr (JobPickleFrames) frames = NULL;
      g_autoptr (GError) local_error = NULL;

      frames = job_pickle_frames_new (message->parts->pdata[0],
                                      (GBytes **) message->parts->pdata + 1,
                                      message->parts->len - 1);
      output = job_pickle_load_frames_with_plugins (frames, NULL, G_TYPE_OBJECT,
                                                    &local_error);
      if (output == NULL)
        {
          g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                       "The output of task %s cannot be rebuilt: %s", task_name,
                       local_error->message);
          return NULL;
        }
    }
  return job_result_new (output, metrics->pid, metrics->wall_ns / 1e9,
                         metrics->cpu_ns / 1e9, metrics->peak_rss, backend);
}
