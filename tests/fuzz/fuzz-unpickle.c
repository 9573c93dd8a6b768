/* fuzz-unpickle.c: job_pickle_loads() on arbitrary bytes
 *
 * Whatever the input, job_pickle_loads() returns an object or a
 * JOB_PICKLE_ERROR; it never crashes, reads out of bounds, leaks, warns or
 * hangs. A graph it accepts pickles again, and that pickle loads again. */

#include "fuzz-support.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static gboolean initialized = FALSE;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GObject) object = NULL;
  g_autoptr (GError) error = NULL;

  if (!initialized)
    {
      fuzz_support_init ();
      initialized = TRUE;
    }

  bytes = g_bytes_new (data, size);
  object = job_pickle_loads (bytes, &error);
  if (object == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == JOB_PICKLE_ERROR);
      g_assert_nonnull (error->message);
      return 0;
    }
  g_assert_no_error (error);

  {
    g_autoptr (GBytes) again = job_pickle_dumps (object, &error);
    g_autoptr (GObject) copy = NULL;

    /* What was rebuilt is made of serializable types only, so it pickles,
     * and its pickle loads. */
    g_assert_no_error (error);
    copy = job_pickle_loads (again, &error);
    g_assert_no_error (error);
    g_assert_nonnull (copy);
    fuzz_support_break_cycles (copy);
  }

  fuzz_support_break_cycles (object);
  return 0;
}
