/* job-pickle-frames.c: a pickle as header and out-of-band frames
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "job-pickle-buffer-private.h"
#include "job-pickle-private.h"

struct _JobPickleFrames
{
  gatomicrefcount ref_count;
  GBytes *header;
  GPtrArray *frames; /* GBytes* */
};

G_DEFINE_BOXED_TYPE (JobPickleFrames,
                     job_pickle_frames,
                     job_pickle_frames_ref,
                     job_pickle_frames_unref)

JobPickleFrames *
job_pickle_frames_new_take (GBytes *header, GPtrArray *frames)
{
  JobPickleFrames *self = g_new0 (JobPickleFrames, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->header = header;
  self->frames =
      frames != NULL
          ? frames
          : g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return self;
}

/**
 * job_pickle_frames_new:
 * @header: the header, as [method@Job.PickleFrames.get_header] returned it
 * @frames: (array length=n_frames) (nullable): the frames, in order
 * @n_frames: the number of frames
 *
 * Puts a pickle back together from the parts a transport carried. Nothing
 * is checked until the pickle is loaded.
 *
 * Returns: (transfer full): a new #JobPickleFrames
 */
JobPickleFrames *
job_pickle_frames_new (GBytes *header, GBytes *const *frames, guint n_frames)
{
  GPtrArray *array;

  g_return_val_if_fail (header != NULL, NULL);
  g_return_val_if_fail (frames != NULL || n_frames == 0, NULL);

  array = g_ptr_array_new_full (n_frames, (GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < n_frames; i++)
    g_ptr_array_add (array, g_bytes_ref (frames[i]));
  return job_pickle_frames_new_take (g_bytes_ref (header), array);
}

static gsize
align8 (gsize n)
{
  return (n + 7) & ~(gsize) 7;
}

/**
 * job_pickle_frames_new_from_bytes:
 * @data: a flat pickle, as [func@Job.pickle_dumps] or
 *   [method@Job.PickleFrames.to_bytes] made it
 * @error: return location for a #GError
 *
 * Splits a flat pickle into header and frames, without copying. The frame
 * table is checked against the size of @data.
 *
 * Returns: (transfer full) (nullable): the pickle, or %NULL with @error set
 *   (%JOB_PICKLE_ERROR_INVALID or %JOB_PICKLE_ERROR_VERSION)
 */
JobPickleFrames *
job_pickle_frames_new_from_bytes (GBytes *data, GError **error)
{
  g_autoptr (GBytes) header = NULL;
  g_autoptr (GPtrArray) frames = NULL;
  g_autofree guint64 *frame_sizes = NULL;
  JobPickleHeaderInfo info;
  const guint8 *bytes;
  gsize size, n_sizes, offset;
  guint32 header_len;

  g_return_val_if_fail (data != NULL, NULL);

  bytes = g_bytes_get_data (data, &size);
  if (size < JOB_PICKLE_FLAT_PREFIX
      || memcmp (bytes, JOB_PICKLE_FLAT_MAGIC, 4) != 0)
    {
      g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
                   "Invalid pickle: the data does not start with a libjob "
                   "pickle's magic");
      return NULL;
    }
  memcpy (&header_len, bytes + 4, 4);
  header_len = GUINT32_FROM_LE (header_len);
  if (header_len > size - JOB_PICKLE_FLAT_PREFIX)
    {
      g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
                   "Invalid pickle: the header claims %u bytes, but only "
                   "%" G_GSIZE_FORMAT " follow",
                   header_len, size - JOB_PICKLE_FLAT_PREFIX);
      return NULL;
    }

  header = g_bytes_new_from_bytes (data, JOB_PICKLE_FLAT_PREFIX, header_len);
  if (!job_pickle_parse_header (header, &info, error))
    {
      job_pickle_prefix_invalid (error);
      return NULL;
    }
  frame_sizes = info.frame_sizes;
  n_sizes = info.n_frames;
  frames = g_ptr_array_new_full (n_sizes, (GDestroyNotify) g_bytes_unref);
  offset = align8 (JOB_PICKLE_FLAT_PREFIX + (gsize) header_len);
  for (gsize i = 0; i < n_sizes; i++)
    {
      if (offset > size || frame_sizes[i] > size - offset)
        {
          g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
                       "Invalid pickle: frame %" G_GSIZE_FORMAT
                       " (%" G_GUINT64_FORMAT
                       " bytes) runs past the end of the data",
                       i, frame_sizes[i]);
          return NULL;
        }
      g_ptr_array_add (frames,
                       g_bytes_new_from_bytes (data, offset, frame_sizes[i]));
      offset = align8 (offset + frame_sizes[i]);
    }
  if (offset < size && align8 (size) != offset)
    {
      g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
                   "Invalid pickle: %" G_GSIZE_FORMAT
                   " stray bytes after the last frame",
                   size - offset);
      return NULL;
    }
  return job_pickle_frames_new_take (g_steal_pointer (&header),
                                     g_steal_pointer (&frames));
}

/**
 * job_pickle_frames_ref:
 * @self: a #JobPickleFrames
 *
 * Acquires a reference.
 *
 * Returns: (transfer full): @self
 */
JobPickleFrames *
job_pickle_frames_ref (JobPickleFrames *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * job_pickle_frames_unref:
 * @self: (transfer full): a #JobPickleFrames
 *
 * Releases a reference; the last one frees the pickle.
 */
void
job_pickle_frames_unref (JobPickleFrames *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_bytes_unref (self->header);
      g_ptr_array_unref (self->frames);
      g_free (self);
    }
}

/**
 * job_pickle_frames_get_header:
 * @self: a #JobPickleFrames
 *
 * Gets the header: the format's magic and version, the size of each frame,
 * the table of types and the object graph, in libjob's compact encoding.
 *
 * Returns: (transfer none): the header
 */
GBytes *
job_pickle_frames_get_header (JobPickleFrames *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->header;
}

/**
 * job_pickle_frames_get_n_frames:
 * @self: a #JobPickleFrames
 *
 * Gets how many frames travel beside the header.
 *
 * Returns: the number of frames
 */
guint
job_pickle_frames_get_n_frames (JobPickleFrames *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->frames->len;
}

/**
 * job_pickle_frames_get_frame:
 * @self: a #JobPickleFrames
 * @index_: which frame, below [method@Job.PickleFrames.get_n_frames]
 *
 * Gets one frame: the bytes of one large value, shared, not copied.
 *
 * Returns: (transfer none): the frame
 */
GBytes *
job_pickle_frames_get_frame (JobPickleFrames *self, guint index_)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index_ < self->frames->len, NULL);

  return self->frames->pdata[index_];
}

/**
 * job_pickle_frames_to_bytes:
 * @self: a #JobPickleFrames
 *
 * Lays the header and every frame out in one buffer, the flat form that
 * [func@Job.pickle_loads] and [ctor@Job.PickleFrames.new_from_bytes] read.
 * This copies the frames; transports that can carry frames apart should.
 *
 * Returns: (transfer full): the flat pickle
 */
GBytes *
job_pickle_frames_to_bytes (JobPickleFrames *self)
{
  gsize header_len, total;
  guint8 *data;
  gsize offset;
  guint32 len_le;

  g_return_val_if_fail (self != NULL, NULL);

  header_len = g_bytes_get_size (self->header);
  g_return_val_if_fail (header_len <= G_MAXUINT32, NULL);

  total = align8 (JOB_PICKLE_FLAT_PREFIX + header_len);
  for (guint i = 0; i < self->frames->len; i++)
    total = align8 (total + g_bytes_get_size (self->frames->pdata[i]));

  data = g_malloc0 (MAX (total, 1));
  memcpy (data, JOB_PICKLE_FLAT_MAGIC, 4);
  len_le = GUINT32_TO_LE ((guint32) header_len);
  memcpy (data + 4, &len_le, 4);
  memcpy (data + JOB_PICKLE_FLAT_PREFIX, g_bytes_get_data (self->header, NULL),
          header_len);
  offset = align8 (JOB_PICKLE_FLAT_PREFIX + header_len);
  for (guint i = 0; i < self->frames->len; i++)
    {
      gsize frame_len;
      gconstpointer frame =
          g_bytes_get_data (self->frames->pdata[i], &frame_len);

      if (frame_len > 0)
        memcpy (data + offset, frame, frame_len);
      offset = align8 (offset + frame_len);
    }
  return g_bytes_new_take (data, total);
}

/**
 * job_pickle_frames_get_origins:
 * @self: a #JobPickleFrames
 * @error: return location for a #GError
 *
 * Lists where the types of the pickle come from, other than `core`: what a
 * fresh process must load (see [func@Job.type_set_origin]) before
 * [func@Job.pickle_load_frames] can rebuild the graph. The origins come from
 * the data as is: check them against what you are willing to load.
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the distinct
 *   origins in order of first use, or %NULL with @error set
 */
char **
job_pickle_frames_get_origins (JobPickleFrames *self, GError **error)
{
  g_autoptr (GStrvBuilder) builder = NULL;
  g_autoptr (GHashTable) seen = NULL;
  JobPickleHeaderInfo info;
  JobReader r;
  gsize size;
  gconstpointer data;
  guint n_types;

  g_return_val_if_fail (self != NULL, NULL);

  if (!job_pickle_parse_header (self->header, &info, error))
    {
      job_pickle_prefix_invalid (error);
      return NULL;
    }
  g_free (info.frame_sizes);

  data = g_bytes_get_data (self->header, &size);
  job_reader_init (&r, data, size);
  r.p += info.body_offset;
  builder = g_strv_builder_new ();
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!job_reader_count (&r, job_reader_remaining (&r), &n_types))
    goto malformed;
  for (guint i = 0; i < n_types; i++)
    {
      const char *p;
      gsize len;
      guint n_props;
      char *origin;

      if (!job_reader_string (&r, &p, &len)
          || !job_reader_string (&r, &p, &len))
        goto malformed;
      origin = g_strndup (p, len);
      if (!job_reader_count (&r, job_reader_remaining (&r), &n_props))
        {
          g_free (origin);
          goto malformed;
        }
      for (guint j = 0; j < n_props; j++)
        if (!job_reader_string (&r, &p, &len))
          {
            g_free (origin);
            goto malformed;
          }
      if (strcmp (origin, "core") == 0 || g_hash_table_contains (seen, origin))
        {
          g_free (origin);
          continue;
        }
      g_strv_builder_add (builder, origin);
      g_hash_table_add (seen, origin);
    }
  return g_strv_builder_end (builder);

malformed:
  g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
               "Invalid pickle: the type table is truncated or malformed");
  return NULL;
}
