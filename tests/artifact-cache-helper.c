/* artifact-cache-helper.c: a second process for the artifact cache tests
 *
 *   artifact-cache-helper commit ROOT KEY CONTENT BARRIER
 *     stages an artifact whose data.txt holds CONTENT, waits until the file
 *     BARRIER exists, then commits
 *   artifact-cache-helper hang ROOT KEY
 *     stages an artifact, prints "ready" and waits to be killed
 */

#include <stdio.h>
#include <unistd.h>

#include <libjob/job.h>

static int
fail (GError *error)
{
  g_printerr ("artifact-cache-helper: %s\n", error->message);
  g_error_free (error);
  return 1;
}

int
main (int argc, char **argv)
{
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autoptr (JobArtifactCommit) commit = NULL;
  g_autofree char *data_path = NULL;
  GError *error = NULL;

  if (argc < 4)
    {
      g_printerr ("usage: %s commit|hang ROOT KEY [CONTENT BARRIER]\n",
                  argv[0]);
      return 2;
    }

  cache = job_artifact_cache_new (argv[2], NULL, &error);
  if (cache == NULL)
    return fail (error);
  commit = job_artifact_cache_begin_commit (cache, argv[3], &error);
  if (commit == NULL)
    return fail (error);

  /* Enough files that the commits of two processes overlap in time. */
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *name = g_strdup_printf ("file-%u", i);
      g_autofree char *path = g_build_filename (
          job_artifact_commit_get_files_path (commit), name, NULL);

      if (!g_file_set_contents (path, name, -1, &error))
        return fail (error);
    }

  if (g_str_equal (argv[1], "hang"))
    {
      printf ("ready\n");
      fflush (stdout);
      for (;;)
        pause ();
    }

  if (!g_str_equal (argv[1], "commit") || argc != 6)
    {
      g_printerr ("usage: %s commit ROOT KEY CONTENT BARRIER\n", argv[0]);
      return 2;
    }

  data_path = g_build_filename (job_artifact_commit_get_files_path (commit),
                                "data.txt", NULL);
  if (!g_file_set_contents (data_path, argv[4], -1, &error))
    return fail (error);
  job_artifact_commit_set_element_name (commit, argv[4]);

  while (!g_file_test (argv[5], G_FILE_TEST_EXISTS))
    g_usleep (200);

  if (!job_artifact_commit_commit (commit, &error))
    return fail (error);
  return 0;
}
