/* test-artifact-cache.c: JobArtifactCache and JobArtifactCommit */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libjob/job.h>

#include "job-artifact-cache-private.h"

static char *
make_key (const char *seed)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);
}

static char *
make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("test-artifact-cache-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *command =
      g_strdup_printf ("chmod -R u+rwx %s && rm -rf %s", quoted, quoted);
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  g_autoptr (GError) error = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
}

static void
write_file (const char *dir, const char *name, const char *contents)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *dir, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* The names in the cache's tmp/, besides its lock file. */
static guint
count_staging (const char *root)
{
  g_autofree char *tmp = g_build_filename (root, "tmp", NULL);
  g_autoptr (GDir) dir = g_dir_open (tmp, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!g_str_equal (name, ".lock"))
      n++;
  return n;
}

static JobArtifactCache *
open_cache (const char *root)
{
  g_autoptr (GError) error = NULL;
  JobArtifactCache *cache = job_artifact_cache_new (root, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (JOB_IS_ARTIFACT_CACHE (cache));
  return cache;
}

static void
commit_simple (JobArtifactCache *cache, const char *key, const char *contents)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobArtifactCommit) commit =
      job_artifact_cache_begin_commit (cache, key, &error);

  g_assert_no_error (error);
  write_file (job_artifact_commit_get_files_path (commit), "data.txt",
              contents);
  job_artifact_commit_commit (commit, &error);
  g_assert_no_error (error);
}

static void
test_commit_lookup (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr (JobArtifactCache) cache = open_cache (root);
  g_autofree char *key = make_key ("commit-lookup");
  g_autoptr (GError) error = NULL;
  g_autoptr (JobArtifactCommit) commit = NULL;
  g_autoptr (GFile) files = NULL;
  g_autoptr (GKeyFile) meta = NULL;
  g_autoptr (GVariant) public_data = NULL;
  g_autofree char *files_path = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *element = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *expected_path = NULL;
  g_autofree char *link_target = NULL;
  g_autofree char *link_path = NULL;

  g_assert_cmpstr (job_artifact_cache_get_root (cache), ==, root);
  g_assert_false (job_artifact_cache_contains (cache, key));
  files = job_artifact_cache_lookup (cache, key, &error);
  g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_NOT_FOUND);
  g_assert_null (files);
  g_clear_error (&error);

  commit = job_artifact_cache_begin_commit (cache, key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (job_artifact_commit_get_key (commit), ==, key);
  write_file (job_artifact_commit_get_files_path (commit), "hello.txt",
              "hello");
  sub = g_build_filename (job_artifact_commit_get_files_path (commit), "usr",
                          "bin", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  link_path = g_build_filename (sub, "link", NULL);
  g_assert_cmpint (symlink ("../../hello.txt", link_path), ==, 0);
  job_artifact_commit_set_element_name (commit, "base/hello.bst");
  job_artifact_commit_set_log_path (commit, "/logs/hello.log");
  job_artifact_commit_set_public_data (
      commit,
      g_variant_new_parsed ("{'integration-commands': <['ldconfig']>}"));

  /* Staged but not committed: invisible. */
  g_assert_false (job_artifact_cache_contains (cache, key));

  job_artifact_commit_commit (commit, &error);
  g_assert_no_error (error);
  g_assert_true (job_artifact_cache_contains (cache, key));
  g_assert_cmpuint (count_staging (root), ==, 0);

  /* A finished commit refuses to go on. */
  job_artifact_commit_commit (commit, &error);
  g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_FAILED);
  g_clear_error (&error);

  files = job_artifact_cache_lookup (cache, key, &error);
  g_assert_no_error (error);
  files_path = g_file_get_path (files);
  expected_path = g_build_filename (
      root, "artifacts", (char[]){ key[0], key[1], 0 }, key, "files", NULL);
  g_assert_cmpstr (files_path, ==, expected_path);
  contents = read_file (files_path, "hello.txt");
  g_assert_cmpstr (contents, ==, "hello");
  g_free (link_path);
  link_path = g_build_filename (files_path, "usr", "bin", "link", NULL);
  link_target = g_file_read_link (link_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (link_target, ==, "../../hello.txt");

  meta = job_artifact_cache_get_metadata (cache, key, &error);
  g_assert_no_error (error);
  element = g_key_file_get_string (meta, "Artifact", "element", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (element, ==, "base/hello.bst");
  g_assert_true (g_key_file_has_key (meta, "Artifact", "created", NULL));

  public_data = job_artifact_cache_get_public_data (cache, key, &error);
  g_assert_no_error (error);
  g_assert_nonnull (public_data);
  {
    g_autoptr (GVariant) expected = g_variant_ref_sink (
        g_variant_new_parsed ("{'integration-commands': <['ldconfig']>}"));
    g_assert_true (g_variant_equal (public_data, expected));
  }

  remove_tree (root);
}

static void
test_invalid_key (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr (JobArtifactCache) cache = open_cache (root);
  g_autofree char *lower = make_key ("x");
  g_autofree char *upper = g_ascii_strup (lower, -1);
  const char *bad[] = { "", "abc", "../../etc/passwd", upper };
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JobArtifactCommit) commit = NULL;
      g_autoptr (GFile) files = NULL;

      g_assert_false (job_artifact_cache_is_valid_key (bad[i]));
      g_assert_false (job_artifact_cache_contains (cache, bad[i]));
      files = job_artifact_cache_lookup (cache, bad[i], &error);
      g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_INVALID_KEY);
      g_clear_error (&error);
      commit = job_artifact_cache_begin_commit (cache, bad[i], &error);
      g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_INVALID_KEY);
      g_assert_null (commit);
      g_clear_error (&error);
    }
  remove_tree (root);
}

static void
test_uncommitted_invisible (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr (JobArtifactCache) cache = open_cache (root);
  g_autoptr (JobArtifactCache) second = NULL;
  g_autofree char *key = make_key ("uncommitted");
  g_autoptr (GError) error = NULL;
  g_autoptr (JobArtifactCommit) commit =
      job_artifact_cache_begin_commit (cache, key, &error);

  g_assert_no_error (error);
  write_file (job_artifact_commit_get_files_path (commit), "partial", "half");
  g_assert_false (job_artifact_cache_contains (cache, key));
  g_assert_cmpuint (count_staging (root), ==, 1);

  /* Another opener must leave a staging directory that is in use alone. */
  second = open_cache (root);
  g_assert_cmpuint (count_staging (root), ==, 1);
  g_assert_false (job_artifact_cache_contains (second, key));

  /* Dropping the commit aborts it. */
  g_clear_object (&commit);
  g_assert_cmpuint (count_staging (root), ==, 0);
  g_assert_false (job_artifact_cache_contains (cache, key));

  remove_tree (root);
}

static void
test_killed_commit_cleaned (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autofree char *key = make_key ("killed");
  g_autofree char *helper =
      g_test_build_filename (G_TEST_BUILT, "artifact-cache-helper", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (JobArtifactCache) cache = NULL;
  char buffer[16] = { 0 };
  gsize n_read = 0;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, helper,
                              "hang", root, key, NULL);
  g_assert_no_error (error);
  g_input_stream_read_all (g_subprocess_get_stdout_pipe (process), buffer, 6,
                           &n_read, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (buffer, ==, "ready\n");

  g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (process));
  g_assert_cmpint (g_subprocess_get_term_sig (process), ==, SIGKILL);

  /* What the killed process staged is there but not part of the cache. */
  g_assert_cmpuint (count_staging (root), ==, 1);
  cache = open_cache (root);
  g_assert_cmpuint (count_staging (root), ==, 0);
  g_assert_false (job_artifact_cache_contains (cache, key));

  remove_tree (root);
}

static void
test_concurrent_commit (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autofree char *helper =
      g_test_build_filename (G_TEST_BUILT, "artifact-cache-helper", NULL);

  for (guint round = 0; round < 5; round++)
    {
      g_autofree char *seed = g_strdup_printf ("concurrent-%u", round);
      g_autofree char *key = make_key (seed);
      g_autofree char *barrier = g_strdup_printf ("%s/barrier-%u", root, round);
      g_autoptr (GError) error = NULL;
      g_autoptr (GSubprocess) a = NULL;
      g_autoptr (GSubprocess) b = NULL;
      g_autoptr (JobArtifactCache) cache = NULL;
      g_autoptr (GFile) files = NULL;
      g_autofree char *files_path = NULL;
      g_autofree char *contents = NULL;
      g_autofree char *file_50 = NULL;

      a = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, helper, "commit",
                            root, key, "from-a", barrier, NULL);
      g_assert_no_error (error);
      b = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, helper, "commit",
                            root, key, "from-b", barrier, NULL);
      g_assert_no_error (error);
      /* Give both time to stage, then release them together. */
      g_usleep (50 * 1000);
      g_file_set_contents (barrier, "go", -1, &error);
      g_assert_no_error (error);

      g_subprocess_wait_check (a, NULL, &error);
      g_assert_no_error (error);
      g_subprocess_wait_check (b, NULL, &error);
      g_assert_no_error (error);

      cache = open_cache (root);
      g_assert_true (job_artifact_cache_contains (cache, key));
      files = job_artifact_cache_lookup (cache, key, &error);
      g_assert_no_error (error);
      files_path = g_file_get_path (files);
      contents = read_file (files_path, "data.txt");
      g_assert_true (g_str_equal (contents, "from-a")
                     || g_str_equal (contents, "from-b"));
      file_50 = read_file (files_path, "file-50");
      g_assert_cmpstr (file_50, ==, "file-50");
      /* The loser cleaned up after itself. */
      g_assert_cmpuint (count_staging (root), ==, 0);
    }

  remove_tree (root);
}

static void
set_mtime (const char *path, time_t seconds)
{
  struct timespec times[2] = { { seconds, 0 }, { seconds, 0 } };

  g_assert_cmpint (utimensat (AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW), ==,
                   0);
}

static void
assert_mode_mtime (const char *path, mode_t mode, time_t mtime)
{
  struct stat st;

  g_assert_cmpint (lstat (path, &st), ==, 0);
  if (mode != 0)
    g_assert_cmpuint (st.st_mode & 07777, ==, mode);
  g_assert_cmpint (st.st_mtim.tv_sec, ==, mtime);
}

static void
make_tree (const char *src)
{
  g_autofree char *bin = g_build_filename (src, "bin", NULL);
  g_autofree char *tool = g_build_filename (bin, "tool", NULL);
  g_autofree char *secret = g_build_filename (src, "secret", NULL);
  g_autofree char *empty = g_build_filename (src, "empty", NULL);
  g_autofree char *link = g_build_filename (src, "link", NULL);
  g_autofree char *dangling = g_build_filename (src, "dangling", NULL);

  g_assert_cmpint (g_mkdir_with_parents (bin, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  write_file (bin, "tool", "#!/bin/sh\necho tool\n");
  write_file (src, "secret", "s3cret");
  g_assert_cmpint (chmod (tool, 04751), ==, 0);
  g_assert_cmpint (chmod (secret, 0600), ==, 0);
  g_assert_cmpint (chmod (empty, 0710), ==, 0);
  g_assert_cmpint (symlink ("bin/tool", link), ==, 0);
  g_assert_cmpint (symlink ("/nonexistent/target", dangling), ==, 0);
  set_mtime (tool, 1000000000);
  set_mtime (secret, 1100000000);
  set_mtime (empty, 1200000000);
  set_mtime (link, 1300000000);
  set_mtime (dangling, 1300000001);
  set_mtime (bin, 1400000000);
}

static void
assert_tree (const char *dest)
{
  g_autofree char *bin = g_build_filename (dest, "bin", NULL);
  g_autofree char *tool = g_build_filename (bin, "tool", NULL);
  g_autofree char *secret = g_build_filename (dest, "secret", NULL);
  g_autofree char *empty = g_build_filename (dest, "empty", NULL);
  g_autofree char *link = g_build_filename (dest, "link", NULL);
  g_autofree char *dangling = g_build_filename (dest, "dangling", NULL);
  g_autofree char *target = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;

  assert_mode_mtime (tool, 04751, 1000000000);
  assert_mode_mtime (secret, 0600, 1100000000);
  assert_mode_mtime (empty, 0710, 1200000000);
  assert_mode_mtime (link, 0, 1300000000);
  assert_mode_mtime (dangling, 0, 1300000001);
  assert_mode_mtime (bin, 0755, 1400000000);
  target = g_file_read_link (link, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (target, ==, "bin/tool");
  g_free (target);
  target = g_file_read_link (dangling, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (target, ==, "/nonexistent/target");
  contents = read_file (dest, "secret");
  g_assert_cmpstr (contents, ==, "s3cret");
}

/* A build's own output moves into the cache; a file also linked from
 * outside is copied, so the artifact shares no inode with anything. */
static void
test_take_directory (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autofree char *work = make_temp_dir ();
  g_autofree char *src = g_build_filename (work, "out", NULL);
  g_autofree char *outside = g_build_filename (work, "outside", NULL);
  g_autoptr (JobArtifactCache) cache = open_cache (root);
  g_autofree char *key = make_key ("take");
  g_autoptr (GError) error = NULL;
  g_autoptr (JobArtifactCommit) commit = NULL;
  g_autoptr (GFile) files = NULL;
  g_autofree char *files_path = NULL;
  g_autofree char *cached_tool = NULL, *cached_secret = NULL;
  g_autofree char *src_secret = NULL;
  struct stat linked, cached, tool;

  g_assert_cmpint (mkdir (src, 0755), ==, 0);
  make_tree (src);
  src_secret = g_build_filename (src, "secret", NULL);
  g_assert_cmpint (link (src_secret, outside), ==, 0);
  g_assert_cmpint (stat (outside, &linked), ==, 0);

  commit = job_artifact_cache_begin_commit (cache, key, &error);
  g_assert_no_error (error);
  g_assert_true (
      job_artifact_commit_take_directory (commit, src, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (job_artifact_commit_commit (commit, &error));
  g_assert_no_error (error);
  /* Moved, not copied. */
  g_assert_false (g_file_test (src, G_FILE_TEST_EXISTS));

  files = job_artifact_cache_lookup (cache, key, &error);
  g_assert_no_error (error);
  files_path = g_file_get_path (files);
  assert_tree (files_path);
  cached_secret = g_build_filename (files_path, "secret", NULL);
  g_assert_cmpint (stat (cached_secret, &cached), ==, 0);
  g_assert_cmpuint (cached.st_ino, !=, linked.st_ino);
  g_assert_cmpuint (cached.st_nlink, ==, 1);
  /* Unshared files keep their metadata; the others are the same inodes. */
  cached_tool = g_build_filename (files_path, "bin", "tool", NULL);
  g_assert_cmpint (stat (cached_tool, &tool), ==, 0);
  g_assert_cmpuint (tool.st_nlink, ==, 1);

  remove_tree (root);
  remove_tree (work);
}

static void
test_checkout (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autofree char *src = make_temp_dir ();
  g_autofree char *dest_parent = make_temp_dir ();
  g_autofree char *dest =
      g_build_filename (dest_parent, "new", "checkout", NULL);
  g_autoptr (JobArtifactCache) cache = open_cache (root);
  g_autofree char *key = make_key ("checkout");
  g_autoptr (GError) error = NULL;
  g_autoptr (JobArtifactCommit) commit = NULL;
  g_autoptr (GFile) files = NULL;
  g_autofree char *files_path = NULL;
  g_autofree char *cached_secret = NULL;
  g_autofree char *out_secret = NULL;
  struct stat a, b;

  make_tree (src);
  commit = job_artifact_cache_begin_commit (cache, key, &error);
  g_assert_no_error (error);
  job_artifact_commit_import_directory (commit, src, NULL, &error);
  g_assert_no_error (error);
  job_artifact_commit_commit (commit, &error);
  g_assert_no_error (error);

  files = job_artifact_cache_lookup (cache, key, &error);
  g_assert_no_error (error);
  files_path = g_file_get_path (files);
  assert_tree (files_path);

  job_artifact_cache_checkout (cache, key, dest, NULL, &error);
  g_assert_no_error (error);
  assert_tree (dest);

  /* A checkout is a copy: it shares no inode with the cache. */
  cached_secret = g_build_filename (files_path, "secret", NULL);
  out_secret = g_build_filename (dest, "secret", NULL);
  g_assert_cmpint (stat (cached_secret, &a), ==, 0);
  g_assert_cmpint (stat (out_secret, &b), ==, 0);
  g_assert_false (a.st_ino == b.st_ino && a.st_dev == b.st_dev);

  remove_tree (root);
  remove_tree (src);
  remove_tree (dest_parent);
}

static void
test_stage_hardlinks (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autofree char *sysroot = g_build_filename (root, "sysroot", NULL);
  g_autoptr (JobArtifactCache) cache = open_cache (root);
  g_autofree char *key_a = make_key ("stage-a");
  g_autofree char *key_b = make_key ("stage-b");
  g_autofree char *key_c = make_key ("stage-c");
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) files = NULL;
  g_autofree char *cached = NULL;
  g_autofree char *staged = NULL;
  g_autofree char *contents = NULL;
  struct stat a, b;

  {
    g_autoptr (JobArtifactCommit) commit =
        job_artifact_cache_begin_commit (cache, key_a, &error);
    g_assert_no_error (error);
    make_tree (job_artifact_commit_get_files_path (commit));
    job_artifact_commit_commit (commit, &error);
    g_assert_no_error (error);
  }
  commit_simple (cache, key_b, "from b");
  {
    /* c has a directory where a has a file. */
    g_autoptr (JobArtifactCommit) commit =
        job_artifact_cache_begin_commit (cache, key_c, &error);
    g_autofree char *dir = NULL;

    g_assert_no_error (error);
    dir = g_build_filename (job_artifact_commit_get_files_path (commit),
                            "secret", NULL);
    g_assert_cmpint (mkdir (dir, 0755), ==, 0);
    job_artifact_commit_commit (commit, &error);
    g_assert_no_error (error);
  }

  job_artifact_cache_stage (cache, key_a, sysroot, NULL, &error);
  g_assert_no_error (error);
  job_artifact_cache_stage (cache, key_b, sysroot, NULL, &error);
  g_assert_no_error (error);
  assert_tree (sysroot);
  contents = read_file (sysroot, "data.txt");
  g_assert_cmpstr (contents, ==, "from b");

  /* Same file system: the staged file is the cached inode. */
  files = job_artifact_cache_lookup (cache, key_a, &error);
  g_assert_no_error (error);
  cached = g_build_filename (g_file_peek_path (files), "bin", "tool", NULL);
  staged = g_build_filename (sysroot, "bin", "tool", NULL);
  g_assert_cmpint (stat (cached, &a), ==, 0);
  g_assert_cmpint (stat (staged, &b), ==, 0);
  g_assert_cmpuint (a.st_ino, ==, b.st_ino);

  job_artifact_cache_stage (cache, key_c, sysroot, NULL, &error);
  g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "secret"));

  remove_tree (root);
}

/* One line per entry under @dir, sorted: path, type, mode, owner, (for
 * directories) mtime, and contents or link target. */
static void
describe_tree (const char *dir, const char *prefix, GPtrArray *lines)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *rel = g_build_filename (prefix, name, NULL);
      struct stat st;

      g_assert_cmpint (lstat (path, &st), ==, 0);
      if (S_ISDIR (st.st_mode))
        {
          g_ptr_array_add (lines,
                           g_strdup_printf ("%s dir %o %u %ld", rel,
                                            st.st_mode & 07777, st.st_uid,
                                            (long) st.st_mtim.tv_sec));
          describe_tree (path, rel, lines);
        }
      else if (S_ISLNK (st.st_mode))
        {
          g_autofree char *target = g_file_read_link (path, NULL);
          g_ptr_array_add (lines, g_strdup_printf ("%s link %s", rel, target));
        }
      else
        {
          g_autofree char *contents = NULL;

          g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
          g_ptr_array_add (lines,
                           g_strdup_printf ("%s file %o %s", rel,
                                            st.st_mode & 07777, contents));
        }
    }
}

static int
compare_lines (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static char *
describe (const char *dir)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  describe_tree (dir, "", lines);
  g_ptr_array_sort (lines, compare_lines);
  g_ptr_array_add (lines, NULL);
  return g_strjoinv ("\n", (char **) lines->pdata);
}

/* An artifact of random overlapping files, links and directories (no
 * conflicts: names say what they are), with random modes and times. */
static void
commit_random (JobArtifactCache *cache, const char *key, GRand *rand, guint n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobArtifactCommit) commit =
      job_artifact_cache_begin_commit (cache, key, &error);
  const char *files;
  const char *dirs[] = { "", "d0", "d1", "d0/d2" };
  const guint dir_modes[] = { 0755, 0700, 0555, 0750 };

  g_assert_no_error (error);
  files = job_artifact_commit_get_files_path (commit);
  for (guint i = 1; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *d = g_build_filename (files, dirs[i], NULL);

      if (g_rand_boolean (rand) || i == 3)
        g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
    }
  for (guint i = 0; i < n; i++)
    {
      const char *dir = dirs[g_rand_int_range (rand, 0, G_N_ELEMENTS (dirs))];
      g_autofree char *d = g_build_filename (files, dir, NULL);
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;

      if (!g_file_test (d, G_FILE_TEST_IS_DIR))
        continue;
      if (g_rand_boolean (rand))
        {
          g_autofree char *contents =
              g_strdup_printf ("%s %u", key, g_rand_int (rand));

          name = g_strdup_printf ("f%d", g_rand_int_range (rand, 0, 6));
          path = g_build_filename (d, name, NULL);
          g_assert_true (g_file_set_contents (path, contents, -1, NULL));
          g_assert_cmpint (chmod (path, g_rand_boolean (rand) ? 0644 : 0755),
                           ==, 0);
        }
      else
        {
          g_autofree char *target =
              g_strdup_printf ("t%d", g_rand_int_range (rand, 0, 100));

          name = g_strdup_printf ("l%d", g_rand_int_range (rand, 0, 6));
          path = g_build_filename (d, name, NULL);
          if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK))
            g_assert_cmpint (symlink (target, path), ==, 0);
        }
    }
  /* Modes and times last, deepest first. */
  for (guint i = G_N_ELEMENTS (dirs) - 1; i > 0; i--)
    {
      g_autofree char *d = g_build_filename (files, dirs[i], NULL);
      struct timespec times[2] = {
        { 1000000 + g_rand_int_range (rand, 0, 999), 0 },
        { 2000000 + g_rand_int_range (rand, 0, 999), 0 }
      };

      if (!g_file_test (d, G_FILE_TEST_IS_DIR))
        continue;
      g_assert_cmpint (utimensat (AT_FDCWD, d, times, 0), ==, 0);
      g_assert_cmpint (
          chmod (
              d,
              dir_modes[g_rand_int_range (rand, 0, G_N_ELEMENTS (dir_modes))]),
          ==, 0);
    }
  job_artifact_commit_commit (commit, &error);
  g_assert_no_error (error);
}

/* Merged staging leaves exactly what staging one artifact after the other
 * leaves, in both modes; conflicts fail the same way. */
static void
test_stage_merged (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr (JobArtifactCache) cache = open_cache (root);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (GError) error = NULL;

  g_autofree char *warm = g_build_filename (root, "warm", NULL);
  JobFileTreeStaged *previous = NULL;

  /* A directory restaged from one scope to the next must end up as one
   * staged afresh. */
  g_assert_cmpint (mkdir (warm, 0755), ==, 0);
  for (guint round = 0; round < 20; round++)
    {
      guint n = (guint) g_rand_int_range (rand, 1, 8);
      g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *one_by_one = NULL;
      g_autofree char *merged = NULL;
      g_autofree char *merged_copy = NULL;
      g_autofree char *expected = NULL;
      g_autofree char *got = NULL;
      g_autofree char *got_copy = NULL;

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *seed = g_strdup_printf ("merged-%u-%u", round, i);
          char *key = make_key (seed);

          commit_random (cache, key, rand, 12);
          g_ptr_array_add (keys, key);
        }
      one_by_one = g_strdup_printf ("%s/one-%u", root, round);
      merged = g_strdup_printf ("%s/merged-%u", root, round);
      merged_copy = g_strdup_printf ("%s/copy-%u", root, round);
      for (guint i = 0; i < n; i++)
        {
          job_artifact_cache_stage (cache, keys->pdata[i], one_by_one, NULL,
                                    &error);
          g_assert_no_error (error);
        }
      /* Twice: the second time from the manifests in memory. */
      for (guint pass = 0; pass < 2; pass++)
        {
          const char *dest = pass == 0 ? merged : merged_copy;

          job_artifact_cache_stage_keys (cache,
                                         (const char *const *) keys->pdata, n,
                                         dest, pass == 0, NULL, &error);
          g_assert_no_error (error);
        }
      expected = describe (one_by_one);
      got = describe (merged);
      got_copy = describe (merged_copy);
      g_assert_cmpstr (got, ==, expected);
      g_assert_cmpstr (got_copy, ==, expected);

      {
        JobFileTreeStaged *staged = job_artifact_cache_merge_keys (
            cache, (const char *const *) keys->pdata, n, warm, NULL, &error);
        g_autofree char *restaged = NULL;

        g_assert_no_error (error);
        job_file_tree_apply (staged, warm, JOB_FILE_TREE_HARDLINK, previous,
                             NULL, &error);
        g_assert_no_error (error);
        restaged = describe (warm);
        g_assert_cmpstr (restaged, ==, expected);
        g_clear_pointer (&previous, job_file_tree_staged_free);
        previous = staged;
      }
    }
  /* And back to nothing. */
  {
    JobFileTreeStaged *empty =
        job_artifact_cache_merge_keys (cache, NULL, 0, warm, NULL, &error);
    g_autofree char *nothing = NULL;

    g_assert_no_error (error);
    job_file_tree_apply (empty, warm, JOB_FILE_TREE_HARDLINK, previous, NULL,
                         &error);
    g_assert_no_error (error);
    nothing = describe (warm);
    g_assert_cmpstr (nothing, ==, "");
    g_clear_pointer (&previous, job_file_tree_staged_free);
    job_file_tree_staged_free (empty);
  }

  /* Conflicts, either way round. */
  {
    g_autofree char *file_key = make_key ("conflict-file");
    g_autofree char *dir_key = make_key ("conflict-dir");
    g_autofree char *dest = g_build_filename (root, "conflict", NULL);
    const char *file_first[] = { file_key, dir_key };
    const char *dir_first[] = { dir_key, file_key };
    g_autoptr (JobArtifactCommit) commit =
        job_artifact_cache_begin_commit (cache, dir_key, &error);
    g_autofree char *sub = NULL;

    commit_simple (cache, file_key, "a file");
    g_assert_no_error (error);
    sub = g_build_filename (job_artifact_commit_get_files_path (commit),
                            "data.txt", NULL);
    g_assert_cmpint (mkdir (sub, 0755), ==, 0);
    job_artifact_commit_commit (commit, &error);
    g_assert_no_error (error);

    job_artifact_cache_stage_keys (cache, file_first, 2, dest, TRUE, NULL,
                                   &error);
    g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CONFLICT);
    g_assert_nonnull (strstr (error->message, "Cannot put the directory"));
    g_assert_nonnull (strstr (error->message, "data.txt"));
    g_clear_error (&error);
    job_artifact_cache_stage_keys (cache, dir_first, 2, dest, TRUE, NULL,
                                   &error);
    g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CONFLICT);
    g_assert_nonnull (strstr (error->message, "Cannot replace the directory"));
    g_clear_error (&error);

    /* Against what the destination already holds. */
    g_clear_pointer (&dest, g_free);
    dest = g_build_filename (root, "conflict-dest", NULL);
    g_assert_cmpint (mkdir (dest, 0755), ==, 0);
    write_file (dest, "data.txt", "in the way");
    job_artifact_cache_stage_keys (cache, &dir_first[0], 1, dest, TRUE, NULL,
                                   &error);
    g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CONFLICT);
    g_clear_error (&error);
  }

  /* An artifact removed and committed again with other contents is read
   * again, not taken from memory. */
  {
    g_autofree char *key = make_key ("recommitted");
    g_autofree char *first = g_build_filename (root, "first", NULL);
    g_autofree char *second = g_build_filename (root, "second", NULL);
    g_autofree char *contents = NULL;
    const char *keys[] = { key };

    commit_simple (cache, key, "old");
    job_artifact_cache_stage_keys (cache, keys, 1, first, TRUE, NULL, &error);
    g_assert_no_error (error);
    job_artifact_cache_remove (cache, key, &error);
    g_assert_no_error (error);
    {
      g_autoptr (JobArtifactCommit) commit =
          job_artifact_cache_begin_commit (cache, key, &error);

      g_assert_no_error (error);
      write_file (job_artifact_commit_get_files_path (commit), "other.txt",
                  "new");
      job_artifact_commit_commit (commit, &error);
      g_assert_no_error (error);
    }
    job_artifact_cache_stage_keys (cache, keys, 1, second, TRUE, NULL, &error);
    g_assert_no_error (error);
    contents = read_file (second, "other.txt");
    g_assert_cmpstr (contents, ==, "new");
    g_free (contents);
    contents = g_build_filename (second, "data.txt", NULL);
    g_assert_false (g_file_test (contents, G_FILE_TEST_EXISTS));

    /* A missing artifact names its key. */
    job_artifact_cache_remove (cache, key, &error);
    g_assert_no_error (error);
    job_artifact_cache_stage_keys (cache, keys, 1, second, TRUE, NULL, &error);
    g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, key));
  }

  remove_tree (root);
}

static void
test_remove_and_corrupt (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr (JobArtifactCache) cache = open_cache (root);
  g_autofree char *key = make_key ("corrupt");
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) files = NULL;
  g_autofree char *files_path = NULL;

  commit_simple (cache, key, "x");
  files = job_artifact_cache_lookup (cache, key, &error);
  g_assert_no_error (error);
  files_path = g_file_get_path (files);
  g_clear_object (&files);
  remove_tree (files_path);

  files = job_artifact_cache_lookup (cache, key, &error);
  g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CORRUPT);
  g_assert_null (files);
  g_clear_error (&error);

  job_artifact_cache_remove (cache, key, &error);
  g_assert_no_error (error);
  g_assert_false (job_artifact_cache_contains (cache, key));
  g_assert_cmpuint (count_staging (root), ==, 0);
  job_artifact_cache_remove (cache, key, &error);
  g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The key can be committed again. */
  commit_simple (cache, key, "y");
  g_assert_true (job_artifact_cache_contains (cache, key));

  remove_tree (root);
}

/* One cache's artifact copied into another, as a pull or a push does: the
 * files, the element's name, the public data and the log come along. */
static void
test_copy_artifact (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autofree char *here_root = g_build_filename (root, "here", NULL);
  g_autofree char *shared_root = g_build_filename (root, "shared", NULL);
  g_autoptr (JobArtifactCache) here = open_cache (here_root);
  g_autoptr (JobArtifactCache) shared = open_cache (shared_root);
  g_autofree char *key = make_key ("copied"), *other = make_key ("other");
  g_autofree char *log = NULL, *copied_log = NULL, *text = NULL;
  g_autoptr (JobArtifactCommit) commit = NULL;
  g_autoptr (GKeyFile) meta = NULL;
  g_autoptr (GVariant) public_data = NULL, expected = NULL;
  g_autoptr (GFile) files = NULL;
  g_autofree char *element = NULL, *files_path = NULL;
  g_autoptr (GError) error = NULL;

  commit = job_artifact_cache_begin_commit (shared, key, &error);
  g_assert_no_error (error);
  write_file (job_artifact_commit_get_files_path (commit), "data.txt",
              "shared data\n");
  job_artifact_commit_set_element_name (commit, "lib/app.bst");
  job_artifact_commit_set_public_data (
      commit, g_variant_new_parsed ("{'bst': <'integration'>}"));
  log = job_artifact_cache_get_log_path (shared, "lib/app.bst", key, &error);
  g_assert_no_error (error);
  g_file_set_contents (log, "the build said hello\n", -1, &error);
  g_assert_no_error (error);
  job_artifact_commit_set_log_path (commit, log);
  job_artifact_commit_commit (commit, &error);
  g_assert_no_error (error);

  g_assert_true (
      job_artifact_cache_copy_artifact (here, shared, key, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (job_artifact_cache_contains (here, key));
  files = job_artifact_cache_lookup (here, key, &error);
  g_assert_no_error (error);
  files_path = g_file_get_path (files);
  text = read_file (files_path, "data.txt");
  g_assert_cmpstr (text, ==, "shared data\n");
  meta = job_artifact_cache_get_metadata (here, key, &error);
  g_assert_no_error (error);
  element = g_key_file_get_string (meta, "Artifact", "element", NULL);
  g_assert_cmpstr (element, ==, "lib/app.bst");
  public_data = job_artifact_cache_get_public_data (here, key, &error);
  g_assert_no_error (error);
  g_assert_nonnull (public_data);
  expected =
      g_variant_ref_sink (g_variant_new_parsed ("{'bst': <'integration'>}"));
  g_assert_true (g_variant_equal (public_data, expected));
  copied_log =
      job_artifact_cache_get_log_path (here, "lib/app.bst", key, &error);
  g_assert_no_error (error);
  g_free (text);
  text = read_file (copied_log, "");
  g_assert_cmpstr (text, ==, "the build said hello\n");

  /* Again: nothing to do. Missing there: not found. */
  g_assert_true (
      job_artifact_cache_copy_artifact (here, shared, key, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (
      job_artifact_cache_copy_artifact (here, shared, other, NULL, &error));
  g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (job_artifact_cache_contains (here, other));

  /* The other way round: a push. */
  commit_simple (here, other, "made here");
  g_assert_true (
      job_artifact_cache_copy_artifact (shared, here, other, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (job_artifact_cache_contains (shared, other));
  g_assert_cmpuint (count_staging (here_root), ==, 0);
  g_assert_cmpuint (count_staging (shared_root), ==, 0);

  remove_tree (root);
}

/* An artifact of @element with @size bytes of data, used at @used (seconds
 * since the epoch), with a build log. */
static void
commit_sized (JobArtifactCache *cache,
              const char *key,
              const char *element,
              gsize size,
              gint64 used)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobArtifactCommit) commit =
      job_artifact_cache_begin_commit (cache, key, &error);
  g_autofree char *data = g_malloc (size);
  g_autofree char *path = NULL, *log = NULL, *dir = NULL;
  struct timespec times[2] = { { used, 0 }, { used, 0 } };

  g_assert_no_error (error);
  memset (data, 'x', size);
  path = g_build_filename (job_artifact_commit_get_files_path (commit),
                           "data.bin", NULL);
  g_file_set_contents (path, data, size, &error);
  g_assert_no_error (error);
  job_artifact_commit_set_element_name (commit, element);
  job_artifact_commit_commit (commit, &error);
  g_assert_no_error (error);
  log = job_artifact_cache_get_log_path (cache, element, key, &error);
  g_assert_no_error (error);
  g_file_set_contents (log, "log\n", -1, &error);
  g_assert_no_error (error);
  dir = g_strdup_printf ("%s/artifacts/%.2s/%s",
                         job_artifact_cache_get_root (cache), key, key);
  g_assert_cmpint (utimensat (AT_FDCWD, dir, times, 0), ==, 0);
}

/* Pruning: least recently used first, down to the quota, never what is
 * kept; staging counts as use. */
static void
test_prune (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr (JobArtifactCache) cache = open_cache (root);
  g_autofree char *old = make_key ("old"), *mid = make_key ("mid");
  g_autofree char *recent = make_key ("recent"), *kept = make_key ("kept");
  g_autofree char *checkout = g_build_filename (root, "checkout", NULL);
  g_autofree char *old_log = NULL;
  const char *keep[] = { kept, NULL };
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint64 size = 0, before = 0;
  guint n_removed = 0;

  /* 64 KiB each; "kept" is the oldest of all. */
  commit_sized (cache, kept, "kept.bst", 65536, now - 5000);
  commit_sized (cache, old, "old.bst", 65536, now - 4000);
  commit_sized (cache, mid, "mid.bst", 65536, now - 3000);
  commit_sized (cache, recent, "recent.bst", 65536, now - 2000);
  old_log = job_artifact_cache_get_log_path (cache, "old.bst", old, &error);
  g_assert_no_error (error);

  /* Under the quota: nothing goes; the size covers all four. */
  g_assert_true (job_artifact_cache_prune (cache, G_MAXUINT64, NULL, &n_removed,
                                           &before, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_removed, ==, 0);
  g_assert_cmpuint (before, >=, 4 * 65536);
  g_assert_cmpuint (before, <, 4 * 65536 + 4 * 65536);
  /* Each size was measured once and kept with the artifact. */
  {
    g_autofree char *kept_size = g_strdup_printf (
        "%s/artifacts/%.2s/%s/meta/size", root, recent, recent);
    g_autofree char *text = NULL;
    guint64 value = 0;

    g_assert_true (g_file_get_contents (kept_size, &text, NULL, NULL));
    g_assert_true (
        g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &value, NULL));
    g_assert_cmpuint (value, >=, 65536);
  }

  /* Checking out "mid" uses it: now "old" is the least recently used. */
  job_artifact_cache_checkout (cache, mid, checkout, NULL, &error);
  g_assert_no_error (error);

  /* Room for three: "old" goes (not "kept", older still), and its log. */
  g_assert_true (job_artifact_cache_prune (cache, before - 65536, keep,
                                           &n_removed, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_removed, ==, 1);
  g_assert_false (job_artifact_cache_contains (cache, old));
  g_assert_false (g_file_test (old_log, G_FILE_TEST_EXISTS));
  g_assert_true (job_artifact_cache_contains (cache, kept));
  g_assert_true (job_artifact_cache_contains (cache, mid));
  g_assert_true (job_artifact_cache_contains (cache, recent));
  g_assert_cmpuint (size, <=, before - 65536);

  /* Room for none: all but the kept one go; the size says what stays. */
  g_assert_true (
      job_artifact_cache_prune (cache, 0, keep, &n_removed, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_removed, ==, 2);
  g_assert_true (job_artifact_cache_contains (cache, kept));
  g_assert_false (job_artifact_cache_contains (cache, recent));
  g_assert_cmpuint (size, >=, 65536);

  /* And without anything kept, the cache empties. */
  g_assert_true (
      job_artifact_cache_prune (cache, 0, NULL, &n_removed, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_removed, ==, 1);
  g_assert_cmpuint (size, ==, 0);
  g_assert_cmpuint (count_staging (root), ==, 0);

  remove_tree (root);
}

static void
test_log_path (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr (JobArtifactCache) cache = open_cache (root);
  g_autofree char *key = make_key ("log");
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *logs = g_build_filename (root, "logs", NULL);

  path =
      job_artifact_cache_get_log_path (cache, "base/alpine.bst", key, &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("%s/logs/base/alpine/%s.log", root, key);
  g_assert_cmpstr (path, ==, expected);
  g_assert_true (g_file_test (logs, G_FILE_TEST_IS_DIR));
  g_file_set_contents (path, "log", -1, &error);
  g_assert_no_error (error);

  g_free (path);
  path = job_artifact_cache_get_log_path (cache, "../../evil name.bst", key,
                                          &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (path, logs));
  g_assert_null (strstr (path, "/../"));
  g_assert_null (strstr (path, " "));

  g_free (path);
  path = job_artifact_cache_get_log_path (cache, "hello.bst", "nokey", &error);
  g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_INVALID_KEY);
  g_assert_null (path);

  remove_tree (root);
}

static void
test_default_root (void)
{
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *expected =
      g_build_filename (g_get_user_cache_dir (), "libjob", NULL);
  g_autofree char *root = NULL;

  cache = job_artifact_cache_new (NULL, NULL, &error);
  g_assert_no_error (error);
  g_object_get (cache, "root", &root, NULL);
  g_assert_cmpstr (root, ==, expected);
  g_assert_true (g_file_test (expected, G_FILE_TEST_IS_DIR));
}

/* Fills the file system of @dir until writes fail with ENOSPC. */
static void
fill_up (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "filler", NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  char block[4096];

  memset (block, 'x', sizeof block);
  g_assert_cmpint (fd, >=, 0);
  for (;;)
    {
      ssize_t n = write (fd, block, sizeof block);

      if (n < 0)
        {
          g_assert_cmpint (errno, ==, ENOSPC);
          break;
        }
    }
  close (fd);
}

static void
test_no_space (void)
{
  g_autofree char *mountpoint = NULL;
  g_autofree char *src = NULL;
  g_autofree char *key = make_key ("no-space");
  g_autofree char *small_key = make_key ("small");
  g_autofree char *before_key = make_key ("before");
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autoptr (JobArtifactCommit) commit = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *big = NULL;

  if (geteuid () != 0)
    {
      g_test_skip ("mounting a small tmpfs needs root");
      return;
    }
  mountpoint = make_temp_dir ();
  if (mount ("none", mountpoint, "tmpfs", 0, "size=1m") < 0)
    {
      g_autofree char *message =
          g_strdup_printf ("cannot mount a tmpfs: %s", g_strerror (errno));
      g_test_skip (message);
      rmdir (mountpoint);
      return;
    }

  cache = open_cache (mountpoint);
  /* Committed before the disk fills: must stay whole whatever happens. */
  commit_simple (cache, before_key, "before");

  /* Importing more than fits. */
  src = make_temp_dir ();
  big = g_malloc (2 * 1024 * 1024);
  memset (big, 'b', 2 * 1024 * 1024);
  {
    g_autofree char *path = g_build_filename (src, "big", NULL);
    g_file_set_contents (path, big, 2 * 1024 * 1024, &error);
    g_assert_no_error (error);
  }
  commit = job_artifact_cache_begin_commit (cache, key, &error);
  g_assert_no_error (error);
  job_artifact_commit_import_directory (commit, src, NULL, &error);
  g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (error->message, "No space left"));
  g_clear_error (&error);
  job_artifact_commit_abort (commit);
  g_clear_object (&commit);
  g_assert_false (job_artifact_cache_contains (cache, key));
  g_assert_cmpuint (count_staging (mountpoint), ==, 0);

  /* The install root itself fills the disk: the metadata cannot be written. */
  commit = job_artifact_cache_begin_commit (cache, key, &error);
  g_assert_no_error (error);
  fill_up (job_artifact_commit_get_files_path (commit));
  job_artifact_commit_commit (commit, &error);
  g_assert_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_NO_SPACE);
  g_clear_error (&error);
  g_clear_object (&commit);
  g_assert_false (job_artifact_cache_contains (cache, key));
  g_assert_cmpuint (count_staging (mountpoint), ==, 0);

  /* Space freed: the cache works again. */
  commit_simple (cache, small_key, "small");
  g_assert_true (job_artifact_cache_contains (cache, small_key));

  /* What was there before is intact, and checks out. */
  {
    g_autofree char *dest = make_temp_dir ();
    g_autofree char *data = g_build_filename (dest, "data.txt", NULL);
    g_autofree char *contents = NULL;
    g_autoptr (GKeyFile) meta = NULL;

    g_assert_true (job_artifact_cache_contains (cache, before_key));
    meta = job_artifact_cache_get_metadata (cache, before_key, &error);
    g_assert_no_error (error);
    job_artifact_cache_checkout (cache, before_key, dest, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (data, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, "before");
    remove_tree (dest);
  }

  g_clear_object (&cache);
  g_assert_cmpint (umount (mountpoint), ==, 0);
  rmdir (mountpoint);
  remove_tree (src);
}

/* A build directory is locked while its build runs; one whose process died
 * (its lock free) is removed when a cache is next opened, even with
 * read-only directories inside, and one in use is left alone. */
static void
test_stale_build_directories (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autofree char *stale =
      g_build_filename (root, "build", "0123-1-abcdef", NULL);
  g_autofree char *locked_dir = g_build_filename (stale, "sub", NULL);
  g_autofree char *file = g_build_filename (locked_dir, "file", NULL);
  g_autofree char *in_use = NULL;
  g_autofree char *base = NULL;
  g_autoptr (JobArtifactCache) cache = open_cache (root);
  g_autoptr (GError) error = NULL;
  int lock_fd = -1;

  in_use =
      job_artifact_cache_make_work_directory (cache, "4567", &lock_fd, &error);
  g_assert_no_error (error);
  g_assert_cmpint (lock_fd, >=, 0);
  base = g_path_get_basename (in_use);
  g_assert_true (g_str_has_prefix (base, "4567-"));
  g_assert_true (g_file_test (in_use, G_FILE_TEST_IS_DIR));

  g_assert_cmpint (g_mkdir_with_parents (locked_dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (file, "left over", -1, NULL));
  g_assert_cmpint (chmod (locked_dir, 0555), ==, 0);

  g_clear_object (&cache);
  cache = open_cache (root);
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (in_use, G_FILE_TEST_IS_DIR));

  /* Its process gone (here: its lock closed), it goes too. */
  close (lock_fd);
  g_clear_object (&cache);
  cache = open_cache (root);
  g_assert_false (g_file_test (in_use, G_FILE_TEST_EXISTS));

  remove_tree (root);
}

int
main (int argc, char **argv)
{
  g_autofree char *cache_home = NULL;
  int ret;

  /* Before anything reads it, so the default root is a private directory
   * (G_TEST_OPTION_ISOLATE_DIRS leaks in GLib 2.74). */
  cache_home = make_temp_dir ();
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/job/artifact-cache/commit-lookup", test_commit_lookup);
  g_test_add_func ("/job/artifact-cache/invalid-key", test_invalid_key);
  g_test_add_func ("/job/artifact-cache/uncommitted-invisible",
                   test_uncommitted_invisible);
  g_test_add_func ("/job/artifact-cache/killed-commit-cleaned",
                   test_killed_commit_cleaned);
  g_test_add_func ("/job/artifact-cache/concurrent-commit",
                   test_concurrent_commit);
  g_test_add_func ("/job/artifact-cache/checkout", test_checkout);
  g_test_add_func ("/job/artifact-cache/take-directory", test_take_directory);
  g_test_add_func ("/job/artifact-cache/stage-hardlinks", test_stage_hardlinks);
  g_test_add_func ("/job/artifact-cache/stage-merged", test_stage_merged);
  g_test_add_func ("/job/artifact-cache/remove-corrupt",
                   test_remove_and_corrupt);
  g_test_add_func ("/job/artifact-cache/log-path", test_log_path);
  g_test_add_func ("/job/artifact-cache/prune", test_prune);
  g_test_add_func ("/job/artifact-cache/copy-artifact", test_copy_artifact);
  g_test_add_func ("/job/artifact-cache/default-root", test_default_root);
  g_test_add_func ("/job/artifact-cache/no-space", test_no_space);
  g_test_add_func ("/job/artifact-cache/stale-build-directories",
                   test_stale_build_directories);

  ret = g_test_run ();
  remove_tree (cache_home);
  return ret;
}
