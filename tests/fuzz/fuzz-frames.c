/* fuzz-frames.c: the flat pickle form on arbitrary bytes
 *
 * job_pickle_frames_new_from_bytes() splits a flat pickle into its header
 * and frames, and job_pickle_frames_get_origins() reads the type table: a
 * transport calls both on untrusted data before any object is rebuilt. */

#include "fuzz-support.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static gboolean initialized = FALSE;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (JobPickleFrames) frames = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) origins = NULL;

  if (!initialized)
    {
      fuzz_support_init ();
      initialized = TRUE;
    }

  bytes = g_bytes_new (data, size);
  frames = job_pickle_frames_new_from_bytes (bytes, &error);
  if (frames == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == JOB_PICKLE_ERROR);
      return 0;
    }
  g_assert_no_error (error);

  /* Every frame lies within the input. */
  {
    gsize total = g_bytes_get_size (job_pickle_frames_get_header (frames));
    guint n = job_pickle_frames_get_n_frames (frames);

    for (guint i = 0; i < n; i++)
      total += g_bytes_get_size (job_pickle_frames_get_frame (frames, i));
    g_assert_cmpuint (total, <=, size);
  }

  origins = job_pickle_frames_get_origins (frames, &error);
  if (origins == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == JOB_PICKLE_ERROR);
      g_clear_error (&error);
    }

  /* Flattening what was split gives a flat pickle that splits the same way. */
  {
    g_autoptr (GBytes) flat = job_pickle_frames_to_bytes (frames);
    g_autoptr (JobPickleFrames) again =
        job_pickle_frames_new_from_bytes (flat, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (job_pickle_frames_get_n_frames (again), ==,
                      job_pickle_frames_get_n_frames (frames));
    g_assert_true (g_bytes_equal (job_pickle_frames_get_header (again),
                                  job_pickle_frames_get_header (frames)));
  }
  return 0;
}
