/* job-artifact-commit.c: one artifact being written into the cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "job-artifact-cache-private.h"

/**
 * JobArtifactCommit:
 *
 * An artifact on its way into a [class@Job.ArtifactCache].
 *
 * [method@Job.ArtifactCache.begin_commit] creates a private staging
 * directory in the cache's `tmp/` directory. Fill the directory returned by
 * [method@Job.ArtifactCommit.get_files_path] (a build can use it as its
 * install root, so nothing is copied), or copy a tree into it with
 * [method@Job.ArtifactCommit.import_directory]; set the metadata; then
 * [method@Job.ArtifactCommit.commit] makes the whole artifact appear at once
 * with one `rename(2)`. Until then nothing of it is visible: a process
 * killed at any point leaves only a staging directory, which the next
 * [class@Job.ArtifactCache] that opens the cache removes.
 *
 * Dropping the last reference to an uncommitted commit aborts it.
 */
struct _JobArtifactCommit
{
  GObject parent_instance;

  JobArtifactCache *cache;
  char *key;
  char *staging_path;
  char *files_path;
  int lock_fd;
  gboolean finished;

  char *element_name;
  char *log_path;
  GVariant *public_data;
};

G_DEFINE_FINAL_TYPE (JobArtifactCommit, job_artifact_commit, G_TYPE_OBJECT)

static void
job_artifact_commit_dispose (GObject *object)
{
  JobArtifactCommit *self = JOB_ARTIFACT_COMMIT (object);

  job_artifact_commit_abort (self);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (job_artifact_commit_parent_class)->dispose (object);
}

static void
job_artifact_commit_finalize (GObject *object)
{
  JobArtifactCommit *self = JOB_ARTIFACT_COMMIT (object);

  g_free (self->key);
  g_free (self->staging_path);
  g_free (self->files_path);
  g_free (self->element_name);
  g_free (self->log_path);
  g_clear_pointer (&self->public_data, g_variant_unref);

  G_OBJECT_CLASS (job_artifact_commit_parent_class)->finalize (object);
}

static void
job_artifact_commit_class_init (JobArtifactCommitClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = job_artifact_commit_dispose;
  object_class->finalize = job_artifact_commit_finalize;
}

static void
job_artifact_commit_init (JobArtifactCommit *self)
{
  self->lock_fd = -1;
}

/* Takes @lock_fd, an open descriptor of @staging_path holding an exclusive
 * flock() that tells other processes the directory is in use. */
JobArtifactCommit *
job_artifact_commit_new (JobArtifactCache *cache,
                         const char *key,
                         const char *staging_path,
                         int lock_fd)
{
  JobArtifactCommit *self = g_object_new (JOB_TYPE_ARTIFACT_COMMIT, NULL);

  self->cache = g_object_ref (cache);
  self->key = g_strdup (key);
  self->staging_path = g_strdup (staging_path);
  self->files_path = g_build_filename (staging_path, "files", NULL);
  self->lock_fd = lock_fd;
  return self;
}

/**
 * job_artifact_commit_get_key:
 * @self: a commit
 *
 * Gets the cache key the artifact is committed under.
 *
 * Returns: (transfer none): the key
 */
const char *
job_artifact_commit_get_key (JobArtifactCommit *self)
{
  g_return_val_if_fail (JOB_IS_ARTIFACT_COMMIT (self), NULL);

  return self->key;
}

/* The files directory is made when first asked for: a build that hands
 * over a whole directory (take_directory) never needs an empty one. */
static gboolean
ensure_files (JobArtifactCommit *self, GError **error)
{
  if (mkdir (self->files_path, 0755) < 0 && errno != EEXIST)
    return job_cache_set_errno_error (error, errno, "create the directory",
                                      self->files_path);
  return TRUE;
}

/**
 * job_artifact_commit_get_files_path:
 * @self: a commit
 *
 * Gets the staging directory of the artifact's files: what is in it when
 * [method@Job.ArtifactCommit.commit] is called becomes the artifact. It is
 * on the cache's file system, so a build that installs into it directly
 * needs no copy.
 *
 * Returns: (transfer none) (type filename): the path of the directory
 */
const char *
job_artifact_commit_get_files_path (JobArtifactCommit *self)
{
  g_return_val_if_fail (JOB_IS_ARTIFACT_COMMIT (self), NULL);

  /* A failure shows when the directory is used. */
  ensure_files (self, NULL);
  return self->files_path;
}

/**
 * job_artifact_commit_set_element_name:
 * @self: a commit
 * @element_name: (nullable): the name of the element the artifact is of
 *
 * Records the element's name in the artifact's metadata.
 */
void
job_artifact_commit_set_element_name (JobArtifactCommit *self,
                                      const char *element_name)
{
  g_return_if_fail (JOB_IS_ARTIFACT_COMMIT (self));

  g_free (self->element_name);
  self->element_name = g_strdup (element_name);
}

/**
 * job_artifact_commit_set_log_path:
 * @self: a commit
 * @log_path: (nullable) (type filename): the path of the build log
 *
 * Records where the build log of the artifact is in its metadata, usually a
 * path from [method@Job.ArtifactCache.get_log_path].
 */
void
job_artifact_commit_set_log_path (JobArtifactCommit *self, const char *log_path)
{
  g_return_if_fail (JOB_IS_ARTIFACT_COMMIT (self));

  g_free (self->log_path);
  self->log_path = g_strdup (log_path);
}

/**
 * job_artifact_commit_set_public_data:
 * @self: a commit
 * @public_data: (nullable): the element's public data (for example its
 *   integration commands), or %NULL for none
 *
 * Records the element's public data with the artifact; elements that depend
 * on it read it back with [method@Job.ArtifactCache.get_public_data]. A
 * floating reference is sunk.
 */
void
job_artifact_commit_set_public_data (JobArtifactCommit *self,
                                     GVariant *public_data)
{
  g_return_if_fail (JOB_IS_ARTIFACT_COMMIT (self));

  if (public_data != NULL)
    g_variant_ref_sink (public_data);
  g_clear_pointer (&self->public_data, g_variant_unref);
  self->public_data = public_data;
}

static gboolean
check_pending (JobArtifactCommit *self, GError **error)
{
  if (!self->finished)
    return TRUE;
  g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_FAILED,
               "The commit of artifact %s is already finished; begin a new one",
               self->key);
  return FALSE;
}

/**
 * job_artifact_commit_import_directory:
 * @self: a commit
 * @source_dir: (type filename): a directory
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Copies the contents of @source_dir into the artifact's files, keeping
 * symbolic links, modes and modification times (and owners, as root). The
 * copy shares no inode with @source_dir, so later changes to it do not reach
 * the cache.
 *
 * When the file system fills up this fails with %JOB_CACHE_ERROR_NO_SPACE;
 * abort the commit then (or drop it) and the cache is as it was.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_artifact_commit_import_directory (JobArtifactCommit *self,
                                      const char *source_dir,
                                      GCancellable *cancellable,
                                      GError **error)
{
  g_return_val_if_fail (JOB_IS_ARTIFACT_COMMIT (self), FALSE);
  g_return_val_if_fail (source_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_pending (self, error) || !ensure_files (self, error))
    return FALSE;
  return job_file_tree_copy (source_dir, self->files_path, JOB_FILE_TREE_COPY,
                             cancellable, error);
}

/* Replaces every regular file under @dfd that has other hard links by a
 * copy of its own, so nothing outside can change it later. */
static gboolean
unshare_files (int dfd, const char *path, GError **error)
{
  int iter_fd = dup (dfd);
  DIR *dir = iter_fd >= 0 ? fdopendir (iter_fd) : NULL;
  struct dirent *entry;
  gboolean ok = TRUE;

  if (dir == NULL)
    {
      int saved = errno;
      if (iter_fd >= 0)
        close (iter_fd);
      return job_cache_set_errno_error (error, saved, "read the directory",
                                        path);
    }
  while (ok && (errno = 0, entry = readdir (dir)) != NULL)
    {
      struct stat st;

      if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
        continue;
      if (fstatat (dfd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          g_autofree char *child = g_build_filename (path, entry->d_name, NULL);
          ok = job_cache_set_errno_error (error, errno, "inspect", child);
        }
      else if (S_ISDIR (st.st_mode))
        {
          g_autofree char *child = g_build_filename (path, entry->d_name, NULL);
          int sub = openat (dfd, entry->d_name,
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

          if (sub < 0)
            ok = job_cache_set_errno_error (error, errno, "open the directory",
                                            child);
          else
            {
              ok = unshare_files (sub, child, error);
              close (sub);
            }
        }
      else if (S_ISREG (st.st_mode) && st.st_nlink > 1)
        {
          g_autofree char *child = g_build_filename (path, entry->d_name, NULL);
          g_autofree char *copy = g_strconcat (child, ".libjob-unshare", NULL);

          ok = job_file_tree_copy_file (child, copy, error);
          if (ok && rename (copy, child) < 0)
            {
              ok = job_cache_set_errno_error (error, errno, "replace", child);
              g_unlink (copy);
            }
        }
    }
  if (ok && errno != 0 && entry == NULL)
    ok = job_cache_set_errno_error (error, errno, "read the directory", path);
  closedir (dir);
  return ok;
}

/**
 * job_artifact_commit_take_directory:
 * @self: a commit
 * @source_dir: (type filename): a directory the caller gives up
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Makes the contents of @source_dir the artifact's files, by renaming it
 * into the commit when it is on the cache's file system (else as
 * [method@Job.ArtifactCommit.import_directory] does). A file with other
 * hard links is copied first, so the artifact shares no inode with
 * anything outside it. @source_dir is gone (or emptied) afterwards: use
 * this for a build's own output, which nothing else needs.
 *
 * Only valid before anything else was put into the artifact's files.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_artifact_commit_take_directory (JobArtifactCommit *self,
                                    const char *source_dir,
                                    GCancellable *cancellable,
                                    GError **error)
{
  int dfd;
  gboolean ok;

  g_return_val_if_fail (JOB_IS_ARTIFACT_COMMIT (self), FALSE);
  g_return_val_if_fail (source_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_pending (self, error))
    return FALSE;
  dfd = open (source_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return job_cache_set_errno_error (error, errno, "open the directory",
                                      source_dir);
  ok = unshare_files (dfd, source_dir, error);
  close (dfd);
  if (!ok)
    return FALSE;
  /* The whole tree becomes files/, unless something is in files/ already. */
  if (rmdir (self->files_path) == 0 || errno == ENOENT)
    {
      if (rename (source_dir, self->files_path) == 0)
        {
          chmod (self->files_path, 0755);
          return TRUE;
        }
      if (errno != EXDEV
          && !(errno == EACCES || errno == EPERM || errno == EBUSY))
        {
          int saved = errno;
          mkdir (self->files_path, 0755);
          return job_cache_set_errno_error (error, saved, "move", source_dir);
        }
      if (mkdir (self->files_path, 0755) < 0)
        return job_cache_set_errno_error (error, errno, "create",
                                          self->files_path);
    }
  else if (errno != ENOTEMPTY && errno != EEXIST)
    return job_cache_set_errno_error (error, errno, "replace",
                                      self->files_path);
  return job_file_tree_copy (source_dir, self->files_path, JOB_FILE_TREE_COPY,
                             cancellable, error);
}

static gboolean
write_file (const char *path, const char *data, gsize len, GError **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  gsize done = 0;

  if (fd < 0)
    return job_cache_set_errno_error (error, errno, "create", path);
  while (done < len)
    {
      ssize_t n = write (fd, data + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          close (fd);
          return job_cache_set_errno_error (error, saved, "write", path);
        }
      done += (gsize) n;
    }
  if (close (fd) < 0)
    return job_cache_set_errno_error (error, errno, "write", path);
  return TRUE;
}

static gboolean
write_metadata (JobArtifactCommit *self, GError **error)
{
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *created = g_date_time_format_iso8601 (now);
  g_autofree char *meta_dir =
      g_build_filename (self->staging_path, "meta", NULL);
  g_autofree char *info_path =
      g_build_filename (meta_dir, "artifact.ini", NULL);
  g_autofree char *data = NULL;
  gsize len;

  g_key_file_set_string (keyfile, "Artifact", "key", self->key);
  if (self->element_name != NULL)
    g_key_file_set_string (keyfile, "Artifact", "element", self->element_name);
  g_key_file_set_string (keyfile, "Artifact", "created", created);
  if (self->log_path != NULL)
    g_key_file_set_string (keyfile, "Artifact", "log", self->log_path);

  if (self->public_data != NULL)
    {
      g_autofree char *public_path =
          g_build_filename (meta_dir, "public.gvariant", NULL);
      g_autofree char *text = g_variant_print (self->public_data, TRUE);

      if (!write_file (public_path, text, strlen (text), error))
        return FALSE;
    }

  /* Written last: its presence marks a complete artifact. */
  data = g_key_file_to_data (keyfile, &len, NULL);
  return write_file (info_path, data, len, error);
}

/**
 * job_artifact_commit_commit:
 * @self: a commit
 * @error: return location for a #GError
 *
 * Writes the metadata and moves the staging directory into the cache with
 * one atomic rename: the artifact appears whole or not at all.
 *
 * If another process committed the same key first, its artifact stays, this
 * copy is discarded and the commit still succeeds: equal keys mean equal
 * artifacts. On failure (for example %JOB_CACHE_ERROR_NO_SPACE) the cache is
 * unchanged; the staging directory is removed when @self is aborted or
 * dropped.
 *
 * Returns: %TRUE when the cache holds the artifact, %FALSE with @error set
 */
gboolean
job_artifact_commit_commit (JobArtifactCommit *self, GError **error)
{
  g_autofree char *target = NULL;
  g_autofree char *parent = NULL;
  struct stat st;
  int r;

  g_return_val_if_fail (JOB_IS_ARTIFACT_COMMIT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_pending (self, error))
    return FALSE;

  /* Nothing given: an empty artifact. */
  if (stat (self->files_path, &st) < 0 && errno == ENOENT
      && !ensure_files (self, error))
    return FALSE;
  if (stat (self->files_path, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_FAILED,
                   "Cannot commit artifact %s: its staging directory “%s” is "
                   "gone; keep it in place until the commit",
                   self->key, self->files_path);
      return FALSE;
    }

  if (!write_metadata (self, error))
    return FALSE;

  target = g_build_filename (
      job_artifact_cache_get_root (self->cache), "artifacts",
      (char[]){ self->key[0], self->key[1], '\0' }, self->key, NULL);
  parent = g_path_get_dirname (target);
  if (mkdir (parent, 0755) < 0 && errno != EEXIST)
    return job_cache_set_errno_error (error, errno, "create the directory",
                                      parent);

  r = renameat2 (AT_FDCWD, self->staging_path, AT_FDCWD, target,
                 RENAME_NOREPLACE);
  if (r < 0 && (errno == ENOSYS || errno == EINVAL))
    /* Without RENAME_NOREPLACE, rename(2) of a directory still refuses to
     * replace a non-empty one, and an artifact is never empty. */
    r = rename (self->staging_path, target);

  if (r < 0 && errno != EEXIST && errno != ENOTEMPTY)
    return job_cache_set_errno_error (error, errno, "move the artifact into",
                                      target);

  if (r < 0)
    {
      g_autoptr (GError) local_error = NULL;

      /* Another process won the race with an identical artifact. */
      if (!job_file_tree_remove (self->staging_path, &local_error))
        g_debug ("Cannot remove the losing copy of artifact %s: %s", self->key,
                 local_error->message);
    }

  self->finished = TRUE;
  if (self->lock_fd >= 0)
    {
      close (self->lock_fd);
      self->lock_fd = -1;
    }
  return TRUE;
}

/**
 * job_artifact_commit_abort:
 * @self: a commit
 *
 * Discards the staging directory. Does nothing once the commit is finished.
 */
void
job_artifact_commit_abort (JobArtifactCommit *self)
{
  g_return_if_fail (JOB_IS_ARTIFACT_COMMIT (self));

  if (!self->finished && self->staging_path != NULL)
    {
      g_autoptr (GError) error = NULL;

      self->finished = TRUE;
      /* Removed while still locked, so no cleaner races with us. */
      if (!job_file_tree_remove (self->staging_path, &error))
        g_debug ("Cannot remove the staging directory of artifact %s: %s; "
                 "the next open of the cache removes it",
                 self->key, error->message);
    }
  if (self->lock_fd >= 0)
    {
      close (self->lock_fd);
      self->lock_fd = -1;
    }
}
