/* job-pickle-buffer-private.h: the byte-level encoding of pickle headers
 *
 * Unsigned integers are LEB128 varints, signed ones zigzag varints, floats
 * and doubles little-endian IEEE bits, byte blobs a varint length then the
 * bytes, strings the same followed by a NUL byte (so that a reader can hand
 * out pointers into the buffer without copying). Every read is bounds-checked:
 * a reader that runs out of data or meets an overlong varint fails, and stays
 * failed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <string.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint8 *data;
  gsize len;
  gsize cap;
} JobWriter;

static inline void
job_writer_init (JobWriter *w, gsize reserve)
{
  w->cap = MAX (reserve, 64);
  w->data = g_malloc (w->cap);
  w->len = 0;
}

static inline void
job_writer_clear (JobWriter *w)
{
  g_clear_pointer (&w->data, g_free);
  w->len = w->cap = 0;
}

static inline guint8 *
job_writer_reserve (JobWriter *w, gsize n)
{
  if (G_UNLIKELY (w->cap - w->len < n))
    {
      while (w->cap - w->len < n)
        w->cap *= 2;
      w->data = g_realloc (w->data, w->cap);
    }
  return w->data + w->len;
}

static inline void
job_writer_byte (JobWriter *w, guint8 byte)
{
  *job_writer_reserve (w, 1) = byte;
  w->len++;
}

static inline void
job_writer_varint (JobWriter *w, guint64 v)
{
  guint8 *p = job_writer_reserve (w, 10);
  gsize n = 0;

  while (v >= 0x80)
    {
      p[n++] = (guint8) (v | 0x80);
      v >>= 7;
    }
  p[n++] = (guint8) v;
  w->len += n;
}

static inline void
job_writer_zigzag (JobWriter *w, gint64 v)
{
  job_writer_varint (w, ((guint64) v << 1) ^ (guint64) (v >> 63));
}

static inline void
job_writer_bytes (JobWriter *w, gconstpointer data, gsize n)
{
  if (n > 0)
    memcpy (job_writer_reserve (w, n), data, n);
  w->len += n;
}

static inline void
job_writer_fixed64 (JobWriter *w, guint64 v)
{
  v = GUINT64_TO_LE (v);
  job_writer_bytes (w, &v, 8);
}

/* A byte blob: its length, then its bytes. */
static inline void
job_writer_blob (JobWriter *w, gconstpointer data, gsize n)
{
  job_writer_varint (w, n);
  job_writer_bytes (w, data, n);
}

/* A string: its length, its bytes, then a NUL. */
static inline void
job_writer_string_len (JobWriter *w, const char *str, gsize n)
{
  guint8 *p = job_writer_reserve (w, n + 11);
  gsize k = 0;
  guint64 v = n;

  while (v >= 0x80)
    {
      p[k++] = (guint8) (v | 0x80);
      v >>= 7;
    }
  p[k++] = (guint8) v;
  memcpy (p + k, str, n);
  p[k + n] = '\0';
  w->len += k + n + 1;
}

static inline void
job_writer_string (JobWriter *w, const char *str)
{
  job_writer_string_len (w, str, strlen (str));
}

/* A string that may be NULL: 0 for NULL, else length + 1, the bytes and a
 * NUL. */
static inline void
job_writer_nullable_string (JobWriter *w, const char *str)
{
  gsize n;

  if (str == NULL)
    {
      job_writer_byte (w, 0);
      return;
    }
  n = strlen (str);
  job_writer_varint (w, (guint64) n + 1);
  job_writer_bytes (w, str, n);
  job_writer_byte (w, 0);
}

typedef struct
{
  const guint8 *start;
  const guint8 *p;
  const guint8 *end;
  gboolean failed;
  GBytes *owner; /* what start points into, if any: not owned */
} JobReader;

static inline void
job_reader_init (JobReader *r, gconstpointer data, gsize size)
{
  static const guint8 empty[1];

  /* An empty GBytes (an empty mapped file, g_bytes_new (NULL, 0)) has no
   * data pointer; NULL + 0 is undefined behaviour. */
  if (data == NULL)
    {
      g_assert (size == 0);
      data = empty;
    }
  r->start = r->p = data;
  r->end = r->p + size;
  r->failed = FALSE;
  r->owner = NULL;
}

static inline gsize
job_reader_offset (const JobReader *r)
{
  return (gsize) (r->p - r->start);
}

static inline gboolean
job_reader_byte (JobReader *r, guint8 *out)
{
  if (G_UNLIKELY (r->p >= r->end))
    return !(r->failed = TRUE);
  *out = *r->p++;
  return TRUE;
}

static inline gboolean
job_reader_varint (JobReader *r, guint64 *out)
{
  guint64 v = 0;

  for (guint shift = 0; shift < 64; shift += 7)
    {
      guint8 b;

      if (G_UNLIKELY (r->p >= r->end))
        break;
      b = *r->p++;
      /* The tenth byte may only carry the top bit of 64. */
      if (shift == 63 && b > 1)
        break;
      v |= (guint64) (b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        {
          *out = v;
          return TRUE;
        }
    }
  return !(r->failed = TRUE);
}

/* A varint that must be at most max (a count or an index). */
static inline gboolean
job_reader_count (JobReader *r, guint64 max, guint *out)
{
  guint64 v;

  if (!job_reader_varint (r, &v) || v > max || v > G_MAXUINT)
    return !(r->failed = TRUE);
  *out = (guint) v;
  return TRUE;
}

static inline gboolean
job_reader_zigzag (JobReader *r, gint64 *out)
{
  guint64 v;

  if (!job_reader_varint (r, &v))
    return FALSE;
  *out = (gint64) (v >> 1) ^ -(gint64) (v & 1);
  return TRUE;
}

static inline gsize
job_reader_remaining (const JobReader *r)
{
  return (gsize) (r->end - r->p);
}

static inline gboolean
job_reader_bytes (JobReader *r, gsize n, const guint8 **out)
{
  if (G_UNLIKELY (n > job_reader_remaining (r)))
    return !(r->failed = TRUE);
  *out = r->p;
  r->p += n;
  return TRUE;
}

static inline gboolean
job_reader_fixed64 (JobReader *r, guint64 *out)
{
  const guint8 *p;

  if (!job_reader_bytes (r, 8, &p))
    return FALSE;
  memcpy (out, p, 8);
  *out = GUINT64_FROM_LE (*out);
  return TRUE;
}

/* A byte blob written by job_writer_blob(). */
static inline gboolean
job_reader_blob (JobReader *r, const guint8 **out, gsize *len)
{
  guint64 n;

  if (!job_reader_varint (r, &n) || n > job_reader_remaining (r))
    return !(r->failed = TRUE);
  *len = (gsize) n;
  return job_reader_bytes (r, *len, out);
}

/* A string written by job_writer_string(): *out points into the buffer and
 * is NUL-terminated there (the terminator is checked, not trusted). */
static inline gboolean
job_reader_string (JobReader *r, const char **out, gsize *len)
{
  guint64 n;

  if (!job_reader_varint (r, &n) || n >= job_reader_remaining (r)
      || r->p[n] != '\0')
    return !(r->failed = TRUE);
  *out = (const char *) r->p;
  *len = (gsize) n;
  r->p += n + 1;
  return TRUE;
}

/* A NULL-able string: *out is NULL for NULL. */
static inline gboolean
job_reader_nullable_string (JobReader *r, const char **out, gsize *len)
{
  guint64 n;

  if (!job_reader_varint (r, &n))
    return !(r->failed = TRUE);
  if (n == 0)
    {
      *out = NULL;
      *len = 0;
      return TRUE;
    }
  if (n - 1 >= job_reader_remaining (r) || r->p[n - 1] != '\0')
    return !(r->failed = TRUE);
  *out = (const char *) r->p;
  *len = (gsize) (n - 1);
  r->p += n;
  return TRUE;
}

G_END_DECLS
