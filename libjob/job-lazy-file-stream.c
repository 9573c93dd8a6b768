/* job-lazy-file-stream.c: an output stream that makes its file on the
 * first write
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-lazy-file-stream-private.h"

struct _JobLazyFileStream
{
  GOutputStream parent_instance;

  char *path;
  GOutputStream *file; /* once made */
};

G_DEFINE_FINAL_TYPE (JobLazyFileStream,
                     job_lazy_file_stream,
                     G_TYPE_OUTPUT_STREAM)

static gboolean
ensure_file (JobLazyFileStream *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) local_error = NULL;

  if (self->file != NULL)
    return TRUE;
  file = g_file_new_for_path (self->path);
  self->file = G_OUTPUT_STREAM (g_file_replace (
      file, NULL, FALSE, G_FILE_CREATE_NONE, cancellable, &local_error));
  if (self->file == NULL
      && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_autoptr (GFile) parent = g_file_get_parent (file);

      g_clear_error (&local_error);
      g_file_make_directory_with_parents (parent, NULL, NULL);
      self->file = G_OUTPUT_STREAM (g_file_replace (
          file, NULL, FALSE, G_FILE_CREATE_NONE, cancellable, &local_error));
    }
  if (self->file == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

static gssize
job_lazy_file_stream_write (GOutputStream *stream,
                            const void *buffer,
                            gsize count,
                            GCancellable *cancellable,
                            GError **error)
{
  JobLazyFileStream *self = JOB_LAZY_FILE_STREAM (stream);

  if (count == 0)
    return 0;
  if (!ensure_file (self, cancellable, error))
    return -1;
  return g_output_stream_write (self->file, buffer, count, cancellable, error);
}

static gboolean
job_lazy_file_stream_flush (GOutputStream *stream,
                            GCancellable *cancellable,
                            GError **error)
{
  JobLazyFileStream *self = JOB_LAZY_FILE_STREAM (stream);

  return self->file == NULL
         || g_output_stream_flush (self->file, cancellable, error);
}

static gboolean
job_lazy_file_stream_close (GOutputStream *stream,
                            GCancellable *cancellable,
                            GError **error)
{
  JobLazyFileStream *self = JOB_LAZY_FILE_STREAM (stream);

  return self->file == NULL
         || g_output_stream_close (self->file, cancellable, error);
}

static void
job_lazy_file_stream_finalize (GObject *object)
{
  JobLazyFileStream *self = JOB_LAZY_FILE_STREAM (object);

  g_clear_object (&self->file);
  g_free (self->path);
  G_OBJECT_CLASS (job_lazy_file_stream_parent_class)->finalize (object);
}

static void
job_lazy_file_stream_class_init (JobLazyFileStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS (klass);

  object_class->finalize = job_lazy_file_stream_finalize;
  stream_class->write_fn = job_lazy_file_stream_write;
  stream_class->flush = job_lazy_file_stream_flush;
  stream_class->close_fn = job_lazy_file_stream_close;
}

static void
job_lazy_file_stream_init (JobLazyFileStream *self)
{
}

GOutputStream *
job_lazy_file_stream_new (const char *path)
{
  JobLazyFileStream *self = g_object_new (JOB_TYPE_LAZY_FILE_STREAM, NULL);

  self->path = g_strdup (path);
  return G_OUTPUT_STREAM (self);
}

gboolean
job_lazy_file_stream_get_created (JobLazyFileStream *self)
{
  g_return_val_if_fail (JOB_IS_LAZY_FILE_STREAM (self), FALSE);

  return self->file != NULL;
}
