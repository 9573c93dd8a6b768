/* bench-artifact-cache.c: how fast artifacts are committed, found and staged
 *
 * Prints `name: value unit` lines. Not a test: run it by hand,
 *   _build/tests/bench/bench-artifact-cache [N_FILES]
 */

#include <string.h>

#include <glib/gstdio.h>

#include <libjob/job.h>

static double
ms_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / 1000.0;
}

static void
check (GError *error)
{
  if (error != NULL)
    g_error ("%s", error->message);
}

int
main (int argc, char **argv)
{
  guint n_files =
      argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 1000;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bench-artifact-cache-XXXXXX", &error);
  g_autofree char *src = g_build_filename (dir, "src", NULL);
  g_autofree char *root = g_build_filename (dir, "cache", NULL);
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autoptr (JobArtifactCommit) commit = NULL;
  g_autofree char *key =
      g_compute_checksum_for_string (G_CHECKSUM_SHA256, "bench", -1);
  char payload[1024];
  gint64 start;
  guint n_lookups = 10000;
  guint found = 0;
  const char *rm_argv[] = { "rm", "-rf", dir, NULL };

  check (error);
  memset (payload, 'x', sizeof payload);
  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *sub = g_strdup_printf ("%s/d%u", src, i / 100);
      g_autofree char *path = g_strdup_printf ("%s/f%u", sub, i);

      g_mkdir_with_parents (sub, 0755);
      g_file_set_contents (path, payload, sizeof payload, &error);
      check (error);
    }

  start = g_get_monotonic_time ();
  cache = job_artifact_cache_new (root, NULL, &error);
  check (error);
  g_print ("open-empty-cache: %.3f ms\n", ms_since (start));

  start = g_get_monotonic_time ();
  commit = job_artifact_cache_begin_commit (cache, key, &error);
  check (error);
  job_artifact_commit_import_directory (commit, src, NULL, &error);
  check (error);
  job_artifact_commit_commit (commit, &error);
  check (error);
  g_print ("commit-import-%u-files: %.3f ms\n", n_files, ms_since (start));

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_lookups; i++)
    {
      g_autofree char *seed = g_strdup_printf ("%u", i % 2 == 0 ? 0 : i);
      g_autofree char *k =
          i % 2 == 0
              ? g_strdup (key)
              : g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);

      found += job_artifact_cache_contains (cache, k);
    }
  g_print ("contains: %.3f us/call (%u of %u present)\n",
           ms_since (start) * 1000.0 / n_lookups, found, n_lookups);

  for (guint round = 0; round < 2; round++)
    {
      g_autofree char *staged = g_strdup_printf ("%s/sysroot-%u", dir, round);
      g_autofree char *out = g_strdup_printf ("%s/checkout-%u", dir, round);

      start = g_get_monotonic_time ();
      job_artifact_cache_stage (cache, key, staged, NULL, &error);
      check (error);
      g_print ("stage-hardlink-%u-files: %.3f ms\n", n_files, ms_since (start));

      start = g_get_monotonic_time ();
      job_artifact_cache_checkout (cache, key, out, NULL, &error);
      check (error);
      g_print ("checkout-copy-%u-files: %.3f ms\n", n_files, ms_since (start));
    }

  /* A pull from (or push to) a shared cache: the artifact copied into
   * another cache on the same file system, committed there. */
  {
    g_autofree char *shared_root = g_build_filename (dir, "shared", NULL);
    g_autoptr (JobArtifactCache) shared =
        job_artifact_cache_new (shared_root, NULL, &error);

    check (error);
    start = g_get_monotonic_time ();
    job_artifact_cache_copy_artifact (shared, cache, key, NULL, &error);
    check (error);
    g_print ("copy-artifact-%u-files: %.3f ms\n", n_files, ms_since (start));
  }

  /* Many small dependencies staged into one sysroot, as a build does. */
  {
    g_autofree char *sysroot = g_build_filename (dir, "deps-sysroot", NULL);
    g_autofree char *one = g_build_filename (dir, "one", NULL);
    g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);

    g_mkdir_with_parents (one, 0755);
    for (guint i = 0; i < 100; i++)
      {
        g_autofree char *seed = g_strdup_printf ("dep-%u", i);
        g_autofree char *file = g_strdup_printf ("%s/dep-%u.txt", one, i);
        g_autoptr (JobArtifactCommit) dep = NULL;
        char *k = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);

        g_file_set_contents (file, seed, -1, &error);
        check (error);
        dep = job_artifact_cache_begin_commit (cache, k, &error);
        check (error);
        job_artifact_commit_import_directory (dep, one, NULL, &error);
        check (error);
        job_artifact_commit_commit (dep, &error);
        check (error);
        g_unlink (file);
        g_ptr_array_add (keys, k);
      }
    start = g_get_monotonic_time ();
    for (guint i = 0; i < keys->len; i++)
      {
        job_artifact_cache_stage (cache, g_ptr_array_index (keys, i), sysroot,
                                  NULL, &error);
        check (error);
      }
    g_print ("stage-100-small-deps: %.3f ms\n", ms_since (start));
  }

  /* Pruning, with nothing to remove: the first time walks every artifact
   * (here 101 of them, one of N_FILES files), later times read the sizes
   * the first kept (what each build under a quota pays). Then down to
   * nothing. */
  {
    guint64 size = 0;
    guint n_removed = 0;

    for (guint pass = 0; pass < 2; pass++)
      {
        start = g_get_monotonic_time ();
        job_artifact_cache_prune (cache, G_MAXUINT64, NULL, &n_removed, &size,
                                  &error);
        check (error);
        g_print ("prune-%s-101-artifacts-%u-files: %.3f ms\n",
                 pass == 0 ? "walk" : "kept-sizes", n_files + 100,
                 ms_since (start));
      }
    start = g_get_monotonic_time ();
    job_artifact_cache_prune (cache, 0, NULL, &n_removed, &size, &error);
    check (error);
    g_print ("prune-remove-%u-artifacts: %.3f ms\n", n_removed,
             ms_since (start));
  }

  g_spawn_sync (NULL, (char **) rm_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                NULL, NULL, NULL, NULL);
  return 0;
}
