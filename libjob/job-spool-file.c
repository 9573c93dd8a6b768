/* job-spool-file.c: tasks and results as files in a spool directory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "job-backend.h"
#include "job-spool-file-private.h"

#define MAGIC "JOBSPOOL"
#define FIXED_SIZE (8 + 2 * 4 + 4 * 8 + 2 * 4)

static void
put_u32 (GByteArray *out, guint32 value)
{
  value = GUINT32_TO_LE (value);
  g_byte_array_append (out, (const guint8 *) &value, sizeof value);
}

static void
put_u64 (GByteArray *out, guint64 value)
{
  value = GUINT64_TO_LE (value);
  g_byte_array_append (out, (const guint8 *) &value, sizeof value);
}

static gboolean
write_all (int fd, const guint8 *data, gsize size, GError **error)
{
  while (size > 0)
    {
      ssize_t n = write (fd, data, MIN (size, (gsize) G_MAXSSIZE));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "%s", g_strerror (saved_errno));
          return FALSE;
        }
      data += n;
      size -= n;
    }
  return TRUE;
}

static gboolean
write_message (int fd,
               JobSpoolFileKind kind,
               const JobSpoolMetrics *metrics,
               GBytes *const *parts,
               guint n_parts,
               GError **error)
{
  g_autoptr (GByteArray) head = g_byte_array_new ();
  JobSpoolMetrics zero = { 0 };

  if (metrics == NULL)
    metrics = &zero;
  g_byte_array_append (head, (const guint8 *) MAGIC, 8);
  put_u32 (head, JOB_SPOOL_FILE_VERSION);
  put_u32 (head, kind);
  put_u64 (head, (guint64) metrics->pid);
  put_u64 (head, metrics->wall_ns);
  put_u64 (head, metrics->cpu_ns);
  put_u64 (head, metrics->peak_rss);
  put_u32 (head, n_parts);
  put_u32 (head, 0);
  for (guint i = 0; i < n_parts; i++)
    put_u64 (head, g_bytes_get_size (parts[i]));

  if (!write_all (fd, head->data, head->len, error))
    return FALSE;
  for (guint i = 0; i < n_parts; i++)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (parts[i], &size);

      if (!write_all (fd, data, size, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
job_spool_file_write_fd (int fd,
                         JobSpoolFileKind kind,
                         const JobSpoolMetrics *metrics,
                         GBytes *const *parts,
                         guint n_parts,
                         GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!write_message (fd, kind, metrics, parts, n_parts, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "Cannot write a spool message: %s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
job_spool_file_write (const char *path,
                      JobSpoolFileKind kind,
                      const JobSpoolMetrics *metrics,
                      GBytes *const *parts,
                      guint n_parts,
                      GError **error)
{
  g_autofree char *tmp = g_strdup_printf ("%s.tmp", path);
  g_autoptr (GError) local_error = NULL;
  int fd;

  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot create %s: %s", tmp, g_strerror (saved_errno));
      return FALSE;
    }
  write_message (fd, kind, metrics, parts, n_parts, &local_error);
  if (close (fd) != 0 && local_error == NULL)
    g_set_error (&local_error, G_IO_ERROR, g_io_error_from_errno (errno), "%s",
                 g_strerror (errno));
  if (local_error == NULL && g_rename (tmp, path) != 0)
    g_set_error (&local_error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "cannot rename it into place: %s", g_strerror (errno));
  if (local_error != NULL)
    {
      g_unlink (tmp);
      g_set_error (error, local_error->domain, local_error->code,
                   "Cannot write %s: %s", path, local_error->message);
      return FALSE;
    }
  return TRUE;
}

static guint32
get_u32 (const guint8 *data)
{
  guint32 value;

  memcpy (&value, data, sizeof value);
  return GUINT32_FROM_LE (value);
}

static guint64
get_u64 (const guint8 *data)
{
  guint64 value;

  memcpy (&value, data, sizeof value);
  return GUINT64_FROM_LE (value);
}

GPtrArray *
job_spool_file_parse (GBytes *bytes,
                      const char *path,
                      JobSpoolFileKind *kind,
                      JobSpoolMetrics *metrics,
                      GError **error)
{
  g_autoptr (GPtrArray) parts = NULL;
  const guint8 *data;
  gsize size, offset;
  guint32 version, n_parts, file_kind;

  data = g_bytes_get_data (bytes, &size);
  if (size < FIXED_SIZE || memcmp (data, MAGIC, 8) != 0)
    {
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                   "%s is not a libjob spool file (%s)", path,
                   size < FIXED_SIZE ? "too short" : "bad magic");
      return NULL;
    }
  version = get_u32 (data + 8);
  file_kind = get_u32 (data + 12);
  if (version != JOB_SPOOL_FILE_VERSION)
    {
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                   "%s is a spool file of version %u; this libjob reads "
                   "version %d: run the same libjob on every node",
                   path, version, JOB_SPOOL_FILE_VERSION);
      return NULL;
    }
  if (file_kind < JOB_SPOOL_FILE_TASK || file_kind > JOB_SPOOL_FILE_ERROR)
    {
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                   "%s holds an unknown kind of message (%u)", path, file_kind);
      return NULL;
    }
  if (metrics != NULL)
    {
      metrics->pid = (gint64) get_u64 (data + 16);
      metrics->wall_ns = get_u64 (data + 24);
      metrics->cpu_ns = get_u64 (data + 32);
      metrics->peak_rss = get_u64 (data + 40);
    }
  n_parts = get_u32 (data + 48);
  if (n_parts > JOB_SPOOL_FILE_MAX_PARTS || (size - FIXED_SIZE) / 8 < n_parts)
    {
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                   "%s is truncated or corrupt (%u parts)", path, n_parts);
      return NULL;
    }
  offset = FIXED_SIZE + (gsize) n_parts * 8;
  parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < n_parts; i++)
    {
      guint64 part_size = get_u64 (data + FIXED_SIZE + (gsize) i * 8);

      if (part_size > size - offset)
        {
          g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                       "%s is truncated: part %u of %u runs past its end", path,
                       i + 1, n_parts);
          return NULL;
        }
      g_ptr_array_add (parts,
                       g_bytes_new_from_bytes (bytes, offset, part_size));
      offset += part_size;
    }
  if (offset != size)
    {
      g_set_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL,
                   "%s has %" G_GSIZE_FORMAT " stray bytes at its end", path,
                   size - offset);
      return NULL;
    }
  if (kind != NULL)
    *kind = file_kind;
  return g_steal_pointer (&parts);
}

GPtrArray *
job_spool_file_read (const char *path,
                     JobSpoolFileKind *kind,
                     JobSpoolMetrics *metrics,
                     GError **error)
{
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) bytes = NULL;

  mapped = g_mapped_file_new (path, FALSE, error);
  if (mapped == NULL)
    return NULL;
  bytes = g_mapped_file_get_bytes (mapped);
  return job_spool_file_parse (bytes, path, kind, metrics, error);
}
