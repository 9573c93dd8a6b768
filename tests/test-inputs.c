/* test-inputs.c: JobInputs records what a computation read
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <libjob/job.h>

typedef struct
{
  char *dir;
  char *state_dir; /* apart: writing the state changes its directory */
  char *state;
  char *file;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("job-inputs-XXXXXX", &error);
  g_assert_no_error (error);
  f->state_dir = g_dir_make_tmp ("job-inputs-state-XXXXXX", &error);
  g_assert_no_error (error);
  f->state = g_build_filename (f->state_dir, "state", "s", NULL);
  f->file = g_build_filename (f->dir, "input.txt", NULL);
  g_assert_true (g_file_set_contents (f->file, "one", -1, NULL));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *state_dir = g_path_get_dirname (f->state);

  g_unlink (f->file);
  g_unlink (f->state);
  g_rmdir (state_dir);
  g_rmdir (f->state_dir);
  g_rmdir (f->dir);
  g_free (f->state_dir);
  g_free (f->dir);
  g_free (f->state);
  g_free (f->file);
}

/* As if the computation started @seconds after now. */
static gint64
later (double seconds)
{
  return g_get_real_time () + (gint64) (seconds * G_USEC_PER_SEC);
}

static JobInputs *
record_file (Fixture *f)
{
  JobInputs *inputs = job_inputs_new ();

  job_inputs_note (f->file); /* not recording yet: ignored */
  g_assert_cmpuint (job_inputs_get_n_paths (inputs), ==, 0);
  job_inputs_start_recording (inputs);
  job_inputs_note (f->file);
  job_inputs_note (f->file);
  job_inputs_note (f->dir);
  job_inputs_stop_recording (inputs);
  job_inputs_note ("/etc/passwd"); /* stopped: ignored */
  g_assert_cmpuint (job_inputs_get_n_paths (inputs), ==, 2);
  return inputs;
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (JobInputs) inputs = record_file (f);
  g_autoptr (GError) error = NULL;
  const char *values[] = { "key-a", "key-b", NULL };
  g_auto (GStrv) back = NULL;

  g_assert_true (job_inputs_save (inputs, f->state, values, later (3), &error));
  g_assert_no_error (error);
  back = job_inputs_check (f->state);
  g_assert_nonnull (back);
  g_assert_cmpstrv (back, values);
  g_clear_pointer (&back, g_strfreev);

  /* Same size, new content: the change time tells. */
  g_assert_true (g_file_set_contents (f->file, "two", -1, NULL));
  g_assert_null (job_inputs_check (f->state));
}

static void
test_new_entry (Fixture *f, gconstpointer data)
{
  g_autoptr (JobInputs) inputs = record_file (f);
  const char *values[] = { "v", NULL };
  g_autofree char *other = g_build_filename (f->dir, "other", NULL);
  g_auto (GStrv) back = NULL;

  g_assert_true (job_inputs_save (inputs, f->state, values, later (3), NULL));
  back = job_inputs_check (f->state);
  g_assert_nonnull (back);
  /* A directory whose listing mattered gains an entry. */
  g_usleep (20 * 1000);
  g_assert_true (g_file_set_contents (other, "", -1, NULL));
  g_assert_null (job_inputs_check (f->state));
  g_unlink (other);
}

static void
test_racy (Fixture *f, gconstpointer data)
{
  g_autoptr (JobInputs) inputs = record_file (f);
  const char *values[] = { "v", NULL };

  /* Written just now, for a computation that started now: untrusted, and
   * an older state is removed. */
  g_assert_true (job_inputs_save (inputs, f->state, values, later (3), NULL));
  g_assert_true (g_file_test (f->state, G_FILE_TEST_EXISTS));
  g_assert_true (
      job_inputs_save (inputs, f->state, values, g_get_real_time (), NULL));
  g_assert_false (g_file_test (f->state, G_FILE_TEST_EXISTS));
  g_assert_null (job_inputs_check (f->state));
}

static void
test_damaged (Fixture *f, gconstpointer data)
{
  g_autoptr (JobInputs) inputs = record_file (f);
  const char *values[] = { "v", NULL };
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (job_inputs_save (inputs, f->state, values, later (3), NULL));
  g_assert_true (g_file_get_contents (f->state, &contents, &length, NULL));
  /* Truncated, then garbage: never a crash, never a stale yes. */
  g_assert_true (g_file_set_contents (f->state, contents, length / 2, NULL));
  g_assert_null (job_inputs_check (f->state));
  memset (contents, 0xa5, length);
  g_assert_true (g_file_set_contents (f->state, contents, length, NULL));
  g_assert_null (job_inputs_check (f->state));
  g_unlink (f->state);
  g_assert_null (job_inputs_check (f->state));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn)                                                          \
  g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/job/inputs/round-trip", test_round_trip);
  ADD ("/job/inputs/new-entry", test_new_entry);
  ADD ("/job/inputs/racy", test_racy);
  ADD ("/job/inputs/damaged", test_damaged);
#undef ADD
  return g_test_run ();
}
