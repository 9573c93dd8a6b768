/* fuzz-replay.c: runs a fuzz harness on the files of its corpus
 *
 * Linked with a harness instead of libFuzzer, so that the seed corpus and
 * every input that once crashed are replayed by `meson test` on every build
 * (plain and ASan+UBSan), not only by a fuzzing build.
 *
 * Usage: test-fuzz-NAME [--repeat N] FILE-OR-DIRECTORY... */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static guint n_inputs;

static void
run_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  guint8 *copy;

  if (!g_file_get_contents (path, &contents, &length, &error))
    g_error ("%s", error->message);
  /* An exact-size copy, so that ASan sees any read past the input. */
  copy = g_malloc (length > 0 ? length : 1);
  memcpy (copy, contents, length);
  LLVMFuzzerTestOneInput (copy, length);
  g_free (copy);
  n_inputs++;
}

static void
run_path (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) names = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      run_file (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  names = g_ptr_array_new_with_free_func (g_free);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++)
    run_file (g_ptr_array_index (names, i));
}

int
main (int argc, char **argv)
{
  guint repeat = 1;
  int first = 1;

  if (argc > 2 && strcmp (argv[1], "--repeat") == 0)
    {
      repeat = (guint) strtoul (argv[2], NULL, 10);
      first = 3;
    }
  if (first >= argc)
    {
      fprintf (stderr, "Usage: %s [--repeat N] FILE-OR-DIRECTORY...\n",
               argv[0]);
      return 2;
    }
  for (guint r = 0; r < repeat; r++)
    for (int i = first; i < argc; i++)
      run_path (argv[i]);
  printf ("1..1\nok 1 - %u inputs replayed without a crash\n", n_inputs);
  return 0;
}
