/* job-file-tree.c: copying, hardlinking and removing directory trees
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>

#include "job-artifact-cache-private.h"

gboolean
job_cache_set_errno_error (GError **error,
                           int saved_errno,
                           const char *what,
                           const char *path)
{
  if (saved_errno == ENOSPC || saved_errno == EDQUOT)
    g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_NO_SPACE,
                 "No space left on device: cannot %s “%s”: %s; free some space "
                 "(or raise the quota) on that file system and try again",
                 what, path, g_strerror (saved_errno));
  else
    g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_FAILED,
                 "Cannot %s “%s”: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
copy_file_data (
    int src_fd, int dst_fd, off_t size, const char *path, GError **error)
{
  off_t done = 0;
  gboolean use_copy_range = TRUE;

  if (size > 0 && ioctl (dst_fd, FICLONE, src_fd) == 0)
    return TRUE;

  while (done < size || !use_copy_range)
    {
      ssize_t n;

      if (use_copy_range)
        {
          n = copy_file_range (src_fd, NULL, dst_fd, NULL,
                               (size_t) (size - done), 0);
          if (n < 0
              && (errno == EXDEV || errno == EINVAL || errno == ENOSYS
                  || errno == EOPNOTSUPP || errno == EPERM))
            {
              use_copy_range = FALSE;
              continue;
            }
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            return job_cache_set_errno_error (error, errno, "copy", path);
          if (n == 0)
            break;
          done += n;
        }
      else
        {
          char buffer[64 * 1024];
          ssize_t r = read (src_fd, buffer, sizeof buffer);
          ssize_t w = 0;

          if (r < 0 && errno == EINTR)
            continue;
          if (r < 0)
            return job_cache_set_errno_error (error, errno, "read", path);
          if (r == 0)
            break;
          while (w < r)
            {
              ssize_t k = write (dst_fd, buffer + w, (size_t) (r - w));

              if (k < 0 && errno == EINTR)
                continue;
              if (k < 0)
                return job_cache_set_errno_error (error, errno, "write", path);
              w += k;
            }
        }
    }
  return TRUE;
}

static gboolean
copy_regular (int src_dfd,
              const char *src_name,
              int dst_dfd,
              const char *name,
              const struct stat *st,
              const char *path,
              GError **error)
{
  int src_fd = -1;
  int dst_fd = -1;
  gboolean ok = FALSE;
  struct timespec times[2] = { st->st_atim, st->st_mtim };

  src_fd = openat (src_dfd, src_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (src_fd < 0)
    {
      job_cache_set_errno_error (error, errno, "open", path);
      goto out;
    }
  dst_fd = openat (dst_dfd, name,
                   O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (dst_fd < 0)
    {
      job_cache_set_errno_error (error, errno, "create", path);
      goto out;
    }
  if (!copy_file_data (src_fd, dst_fd, st->st_size, path, error))
    goto out;
  if (geteuid () == 0 && fchown (dst_fd, st->st_uid, st->st_gid) < 0)
    {
      job_cache_set_errno_error (error, errno, "set the owner of", path);
      goto out;
    }
  if (fchmod (dst_fd, st->st_mode & 07777) < 0 || futimens (dst_fd, times) < 0)
    {
      job_cache_set_errno_error (error, errno, "set the mode and times of",
                                 path);
      goto out;
    }
  ok = TRUE;

out:
  if (src_fd >= 0)
    close (src_fd);
  if (dst_fd >= 0 && close (dst_fd) < 0 && ok)
    ok = job_cache_set_errno_error (error, errno, "write", path);
  if (!ok && dst_fd >= 0)
    unlinkat (dst_dfd, name, 0);
  return ok;
}

/* Makes room for a non-directory @name in @dst_dfd. */
static gboolean
clear_destination (int dst_dfd,
                   const char *name,
                   const char *path,
                   GError **error)
{
  struct stat st;

  if (fstatat (dst_dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT)
        return TRUE;
      return job_cache_set_errno_error (error, errno, "inspect", path);
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CONFLICT,
                   "Cannot replace the directory “%s” with a file: two staged "
                   "artifacts disagree about what this path is",
                   path);
      return FALSE;
    }
  if (unlinkat (dst_dfd, name, 0) < 0)
    return job_cache_set_errno_error (error, errno, "replace", path);
  return TRUE;
}

static gboolean copy_dir_contents (int src_dfd,
                                   int dst_dfd,
                                   const char *path,
                                   JobFileTreeFlags flags,
                                   GCancellable *cancellable,
                                   GError **error);

static gboolean
copy_entry (int src_dfd,
            int dst_dfd,
            const char *name,
            const char *path,
            JobFileTreeFlags flags,
            GCancellable *cancellable,
            GError **error)
{
  struct stat st;
  struct timespec times[2];

  if (fstatat (src_dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return job_cache_set_errno_error (error, errno, "inspect", path);
  times[0] = st.st_atim;
  times[1] = st.st_mtim;

  if (S_ISDIR (st.st_mode))
    {
      int sub_src;
      int sub_dst;
      gboolean ok;

      if (mkdirat (dst_dfd, name, 0700) < 0)
        {
          struct stat dst_st;

          if (errno != EEXIST)
            return job_cache_set_errno_error (error, errno,
                                              "create the directory", path);
          if (fstatat (dst_dfd, name, &dst_st, AT_SYMLINK_NOFOLLOW) < 0)
            return job_cache_set_errno_error (error, errno, "inspect", path);
          if (!S_ISDIR (dst_st.st_mode))
            {
              g_set_error (
                  error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CONFLICT,
                  "Cannot put the directory “%s” where the destination "
                  "already has a %s: two staged artifacts disagree about "
                  "what this path is",
                  path, S_ISLNK (dst_st.st_mode) ? "symbolic link" : "file");
              return FALSE;
            }
        }
      sub_src = openat (src_dfd, name,
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub_src < 0)
        return job_cache_set_errno_error (error, errno, "open the directory",
                                          path);
      sub_dst = openat (dst_dfd, name,
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub_dst < 0)
        {
          int saved = errno;
          close (sub_src);
          return job_cache_set_errno_error (error, saved, "open the directory",
                                            path);
        }
      /* Keep the copy writable while it fills; the real mode comes last. */
      fchmod (sub_dst, 0700);
      ok =
          copy_dir_contents (sub_src, sub_dst, path, flags, cancellable, error);
      if (ok && geteuid () == 0 && fchown (sub_dst, st.st_uid, st.st_gid) < 0)
        ok = job_cache_set_errno_error (error, errno, "set the owner of", path);
      if (ok
          && (fchmod (sub_dst, st.st_mode & 07777) < 0
              || futimens (sub_dst, times) < 0))
        ok = job_cache_set_errno_error (error, errno,
                                        "set the mode and times of", path);
      close (sub_src);
      close (sub_dst);
      return ok;
    }

  /* Regular files and symbolic links are shared by a hard link when asked:
   * linkat() without AT_SYMLINK_FOLLOW links the link itself, so its
   * target, owner and times come along for free. */
  if ((flags & JOB_FILE_TREE_HARDLINK)
      && (S_ISREG (st.st_mode) || S_ISLNK (st.st_mode)))
    {
      if (linkat (src_dfd, name, dst_dfd, name, 0) == 0)
        return TRUE;
      if (errno == EEXIST)
        {
          if (!clear_destination (dst_dfd, name, path, error))
            return FALSE;
          if (linkat (src_dfd, name, dst_dfd, name, 0) == 0)
            return TRUE;
        }
      if (errno != EXDEV && errno != EMLINK && errno != EPERM
          && errno != EACCES)
        return job_cache_set_errno_error (error, errno, "link", path);
    }

  if (!clear_destination (dst_dfd, name, path, error))
    return FALSE;

  if (S_ISREG (st.st_mode))
    return copy_regular (src_dfd, name, dst_dfd, name, &st, path, error);

  if (S_ISLNK (st.st_mode))
    {
      g_autofree char *target = g_malloc ((gsize) st.st_size + 1);
      ssize_t len = readlinkat (src_dfd, name, target, (size_t) st.st_size + 1);

      if (len < 0)
        return job_cache_set_errno_error (error, errno,
                                          "read the symbolic link", path);
      if (len > st.st_size)
        {
          g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_FAILED,
                       "The symbolic link “%s” changed while it was copied",
                       path);
          return FALSE;
        }
      target[len] = '\0';
      if (symlinkat (target, dst_dfd, name) < 0)
        return job_cache_set_errno_error (error, errno,
                                          "create the symbolic link", path);
    }
  else if (mknodat (dst_dfd, name, st.st_mode, st.st_rdev) < 0)
    return job_cache_set_errno_error (error, errno, "create the special file",
                                      path);

  if (geteuid () == 0
      && fchownat (dst_dfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW)
             < 0)
    return job_cache_set_errno_error (error, errno, "set the owner of", path);
  if (!S_ISLNK (st.st_mode)
      && fchmodat (dst_dfd, name, st.st_mode & 07777, 0) < 0)
    return job_cache_set_errno_error (error, errno, "set the mode of", path);
  if (utimensat (dst_dfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
    return job_cache_set_errno_error (error, errno, "set the times of", path);
  return TRUE;
}

static gboolean
copy_dir_contents (int src_dfd,
                   int dst_dfd,
                   const char *path,
                   JobFileTreeFlags flags,
                   GCancellable *cancellable,
                   GError **error)
{
  int iter_fd = dup (src_dfd);
  DIR *dir;
  struct dirent *entry;
  gboolean ok = TRUE;

  if (iter_fd < 0)
    return job_cache_set_errno_error (error, errno, "read the directory", path);
  dir = fdopendir (iter_fd);
  if (dir == NULL)
    {
      int saved = errno;
      close (iter_fd);
      return job_cache_set_errno_error (error, saved, "read the directory",
                                        path);
    }
  rewinddir (dir);

  while (ok)
    {
      g_autofree char *child_path = NULL;

      errno = 0;
      entry = readdir (dir);
      if (entry == NULL)
        {
          if (errno != 0)
            ok = job_cache_set_errno_error (error, errno, "read the directory",
                                            path);
          break;
        }
      if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }
      child_path = g_build_filename (path, entry->d_name, NULL);
      ok = copy_entry (src_dfd, dst_dfd, entry->d_name, child_path, flags,
                       cancellable, error);
    }
  closedir (dir);
  return ok;
}

gboolean
job_file_tree_copy_file (const char *source, const char *dest, GError **error)
{
  struct stat st;
  gboolean ok;

  if (lstat (source, &st) < 0)
    return job_cache_set_errno_error (error, errno, "inspect", source);
  unlink (dest);
  ok = copy_regular (AT_FDCWD, source, AT_FDCWD, dest, &st, dest, error);
  return ok;
}

gboolean
job_file_tree_copy (const char *source_dir,
                    const char *dest_dir,
                    JobFileTreeFlags flags,
                    GCancellable *cancellable,
                    GError **error)
{
  int src_dfd;
  int dst_dfd;
  gboolean ok;

  src_dfd = open (source_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src_dfd < 0)
    return job_cache_set_errno_error (error, errno, "open the directory",
                                      source_dir);
  dst_dfd = open (dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dst_dfd < 0)
    {
      int saved = errno;
      close (src_dfd);
      return job_cache_set_errno_error (error, saved, "open the directory",
                                        dest_dir);
    }
  ok =
      copy_dir_contents (src_dfd, dst_dfd, dest_dir, flags, cancellable, error);
  close (src_dfd);
  close (dst_dfd);
  return ok;
}

static gboolean
remove_dir_contents (int dfd, const char *path, GError **error)
{
  int iter_fd = dup (dfd);
  DIR *dir;
  struct dirent *entry;
  gboolean ok = TRUE;

  if (iter_fd < 0)
    return job_cache_set_errno_error (error, errno, "read the directory", path);
  dir = fdopendir (iter_fd);
  if (dir == NULL)
    {
      int saved = errno;
      close (iter_fd);
      return job_cache_set_errno_error (error, saved, "read the directory",
                                        path);
    }

  while (ok)
    {
      g_autofree char *child_path = NULL;

      errno = 0;
      entry = readdir (dir);
      if (entry == NULL)
        {
          if (errno != 0)
            ok = job_cache_set_errno_error (error, errno, "read the directory",
                                            path);
          break;
        }
      if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
        continue;
      if (unlinkat (dfd, entry->d_name, 0) == 0 || errno == ENOENT)
        continue;
      child_path = g_build_filename (path, entry->d_name, NULL);
      if (errno == EISDIR || errno == EPERM)
        {
          int sub = openat (dfd, entry->d_name,
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

          if (sub < 0)
            {
              ok = job_cache_set_errno_error (error, errno, "remove",
                                              child_path);
              break;
            }
          fchmod (sub, 0700);
          ok = remove_dir_contents (sub, child_path, error);
          close (sub);
          if (ok && unlinkat (dfd, entry->d_name, AT_REMOVEDIR) < 0
              && errno != ENOENT)
            ok = job_cache_set_errno_error (error, errno, "remove", child_path);
        }
      else
        ok = job_cache_set_errno_error (error, errno, "remove", child_path);
    }
  closedir (dir);
  return ok;
}

gboolean
job_file_tree_remove (const char *path, GError **error)
{
  int dfd;
  gboolean ok;

  if (unlink (path) == 0 || errno == ENOENT)
    return TRUE;
  if (errno != EISDIR && errno != EPERM)
    return job_cache_set_errno_error (error, errno, "remove", path);

  dfd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return job_cache_set_errno_error (error, errno, "remove", path);
  fchmod (dfd, 0700);
  ok = remove_dir_contents (dfd, path, error);
  close (dfd);
  if (ok && rmdir (path) < 0 && errno != ENOENT)
    ok = job_cache_set_errno_error (error, errno, "remove", path);
  return ok;
}

/* Manifests and merged staging.
 *
 * Staging a build scope one artifact after the other costs a walk of every
 * artifact and a link (or an unlink and a link) per file, even for files a
 * later artifact replaces: for a scope of N artifacts, N walks per build,
 * so a deep dependency graph costs quadratic time. Instead, each artifact's
 * tree is read once per process into a manifest (artifacts never change),
 * the manifests of a scope are merged in memory with the same rules as
 * staging one after the other (a later file replaces an earlier one, a
 * directory meeting a non-directory is a conflict, a directory's metadata
 * comes from the last artifact that has it), and only what survives is
 * linked. */

typedef struct
{
  char *path;     /* relative to the artifact's files/ */
  struct stat st; /* lstat(): directories only */
  guint8 type;    /* DT_DIR, DT_REG, DT_LNK or DT_UNKNOWN (anything else) */
} ManifestEntry;

struct _JobFileTreeManifest
{
  gatomicrefcount ref_count;
  GArray
      *entries; /* ManifestEntry, pre-order: a directory before its contents */
  GStringChunk *paths;
};

JobFileTreeManifest *
job_file_tree_manifest_ref (JobFileTreeManifest *manifest)
{
  g_atomic_ref_count_inc (&manifest->ref_count);
  return manifest;
}

void
job_file_tree_manifest_unref (JobFileTreeManifest *manifest)
{
  if (!g_atomic_ref_count_dec (&manifest->ref_count))
    return;
  g_array_unref (manifest->entries);
  g_string_chunk_free (manifest->paths);
  g_free (manifest);
}

guint
job_file_tree_manifest_get_size (JobFileTreeManifest *manifest)
{
  return manifest->entries->len;
}

static guint8
type_of_mode (mode_t mode)
{
  if (S_ISDIR (mode))
    return DT_DIR;
  if (S_ISREG (mode))
    return DT_REG;
  if (S_ISLNK (mode))
    return DT_LNK;
  return DT_UNKNOWN;
}

static gboolean
read_manifest_dir (JobFileTreeManifest *manifest,
                   int dfd,
                   const char *prefix,
                   const char *root,
                   GError **error)
{
  DIR *dir = fdopendir (dfd);
  struct dirent *entry;
  gboolean ok = TRUE;

  if (dir == NULL)
    {
      int saved = errno;
      close (dfd);
      return job_cache_set_errno_error (error, saved, "read the directory",
                                        root);
    }
  while (ok)
    {
      ManifestEntry e = { 0 };
      g_autofree char *path = NULL;

      errno = 0;
      entry = readdir (dir);
      if (entry == NULL)
        {
          if (errno != 0)
            ok = job_cache_set_errno_error (error, errno, "read the directory",
                                            root);
          break;
        }
      if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
        continue;
      path = prefix[0] != '\0' ? g_strconcat (prefix, "/", entry->d_name, NULL)
                               : g_strdup (entry->d_name);
      e.type = entry->d_type;
      if (e.type == DT_UNKNOWN || e.type == DT_DIR)
        {
          if (fstatat (dirfd (dir), entry->d_name, &e.st, AT_SYMLINK_NOFOLLOW)
              < 0)
            {
              g_autofree char *full = g_build_filename (root, path, NULL);
              ok = job_cache_set_errno_error (error, errno, "inspect", full);
              break;
            }
          e.type = type_of_mode (e.st.st_mode);
        }
      else if (e.type != DT_REG && e.type != DT_LNK)
        e.type = DT_UNKNOWN;
      e.path = g_string_chunk_insert (manifest->paths, path);
      g_array_append_val (manifest->entries, e);
      if (e.type == DT_DIR)
        {
          int sub = openat (dirfd (dir), entry->d_name,
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

          if (sub < 0)
            {
              g_autofree char *full = g_build_filename (root, path, NULL);
              ok = job_cache_set_errno_error (error, errno,
                                              "open the directory", full);
              break;
            }
          ok = read_manifest_dir (manifest, sub, path, root, error);
        }
    }
  closedir (dir);
  return ok;
}

JobFileTreeManifest *
job_file_tree_manifest_read (const char *dir, GError **error)
{
  JobFileTreeManifest *manifest = g_new0 (JobFileTreeManifest, 1);
  int dfd;

  g_atomic_ref_count_init (&manifest->ref_count);
  manifest->entries = g_array_new (FALSE, FALSE, sizeof (ManifestEntry));
  manifest->paths = g_string_chunk_new (1024);
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    {
      job_cache_set_errno_error (error, errno, "open the directory", dir);
      job_file_tree_manifest_unref (manifest);
      return NULL;
    }
  if (!read_manifest_dir (manifest, dfd, "", dir, error))
    {
      job_file_tree_manifest_unref (manifest);
      return NULL;
    }
  return manifest;
}

typedef struct
{
  const ManifestEntry *entry;
  guint source; /* index of the manifest it comes from */
} Merged;

static gboolean
conflict (const char *dest_dir,
          const char *path,
          gboolean directory_arrives,
          guint8 present_type,
          GError **error)
{
  g_autofree char *full = g_build_filename (dest_dir, path, NULL);

  if (directory_arrives)
    g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CONFLICT,
                 "Cannot put the directory “%s” where the destination "
                 "already has a %s: two staged artifacts disagree about "
                 "what this path is",
                 full, present_type == DT_LNK ? "symbolic link" : "file");
  else
    g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CONFLICT,
                 "Cannot replace the directory “%s” with a file: two staged "
                 "artifacts disagree about what this path is",
                 full);
  return FALSE;
}

/* Makes the directory @path in @dst_dfd, or checks that it is one. */
static gboolean
ensure_directory (int dst_dfd,
                  const char *path,
                  const char *dest_dir,
                  GError **error)
{
  struct stat st;

  if (mkdirat (dst_dfd, path, 0700) == 0)
    return TRUE;
  if (errno != EEXIST)
    {
      g_autofree char *full = g_build_filename (dest_dir, path, NULL);
      return job_cache_set_errno_error (error, errno, "create the directory",
                                        full);
    }
  if (fstatat (dst_dfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      g_autofree char *full = g_build_filename (dest_dir, path, NULL);
      return job_cache_set_errno_error (error, errno, "inspect", full);
    }
  if (!S_ISDIR (st.st_mode))
    return conflict (dest_dir, path, TRUE, type_of_mode (st.st_mode), error);
  /* Keep it writable while it fills; the real mode comes last. */
  fchmodat (dst_dfd, path, 0700, 0);
  return TRUE;
}

static gboolean
set_directory_metadata (int dst_dfd,
                        const ManifestEntry *e,
                        const char *dest_dir,
                        GError **error)
{
  struct timespec times[2] = { e->st.st_atim, e->st.st_mtim };

  if ((geteuid () == 0
       && fchownat (dst_dfd, e->path, e->st.st_uid, e->st.st_gid,
                    AT_SYMLINK_NOFOLLOW)
              < 0)
      || fchmodat (dst_dfd, e->path, e->st.st_mode & 07777, 0) < 0
      || utimensat (dst_dfd, e->path, times, AT_SYMLINK_NOFOLLOW) < 0)
    {
      g_autofree char *full = g_build_filename (dest_dir, e->path, NULL);
      return job_cache_set_errno_error (error, errno,
                                        "set the mode and times of", full);
    }
  return TRUE;
}

struct _JobFileTreeStaged
{
  GPtrArray *manifests; /* JobFileTreeManifest*, owned */
  GPtrArray *roots;     /* char*: each manifest's directory */
  GArray *order;        /* Merged, pre-order */
  GHashTable *by_path;  /* path -> index in order + 1 */
};

void
job_file_tree_staged_free (JobFileTreeStaged *staged)
{
  g_ptr_array_unref (staged->manifests);
  g_ptr_array_unref (staged->roots);
  g_array_unref (staged->order);
  g_hash_table_unref (staged->by_path);
  g_free (staged);
}

static const Merged *
staged_lookup (JobFileTreeStaged *staged, const char *path)
{
  guint index = GPOINTER_TO_UINT (g_hash_table_lookup (staged->by_path, path));

  return index > 0 ? &g_array_index (staged->order, Merged, index - 1) : NULL;
}

JobFileTreeStaged *
job_file_tree_merge (JobFileTreeManifest *const *manifests,
                     const char *const *roots,
                     guint n,
                     const char *dest_dir,
                     GCancellable *cancellable,
                     GError **error)
{
  JobFileTreeStaged *staged = g_new0 (JobFileTreeStaged, 1);

  staged->manifests = g_ptr_array_new_with_free_func (
      (GDestroyNotify) job_file_tree_manifest_unref);
  staged->roots = g_ptr_array_new_with_free_func (g_free);
  staged->order = g_array_new (FALSE, FALSE, sizeof (Merged));
  staged->by_path = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < n; i++)
    {
      GArray *entries = manifests[i]->entries;

      g_ptr_array_add (staged->manifests,
                       job_file_tree_manifest_ref (manifests[i]));
      g_ptr_array_add (staged->roots, g_strdup (roots[i]));
      for (guint j = 0; j < entries->len; j++)
        {
          const ManifestEntry *e = &g_array_index (entries, ManifestEntry, j);
          guint index =
              GPOINTER_TO_UINT (g_hash_table_lookup (staged->by_path, e->path));
          Merged *m;

          if (index == 0)
            {
              Merged added = { e, i };

              g_array_append_val (staged->order, added);
              g_hash_table_insert (staged->by_path, e->path,
                                   GUINT_TO_POINTER (staged->order->len));
              continue;
            }
          m = &g_array_index (staged->order, Merged, index - 1);
          if ((m->entry->type == DT_DIR) != (e->type == DT_DIR))
            {
              conflict (dest_dir, e->path, e->type == DT_DIR, m->entry->type,
                        error);
              job_file_tree_staged_free (staged);
              return NULL;
            }
          m->entry = e;
          m->source = i;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          job_file_tree_staged_free (staged);
          return NULL;
        }
    }
  return staged;
}

/* Whether @a (in @sa) and @b (in @sb) are the same staged thing: the same
 * file of the same artifact, or both directories. */
static gboolean
same_entry (JobFileTreeStaged *sa,
            const Merged *a,
            JobFileTreeStaged *sb,
            const Merged *b)
{
  if (a->entry->type != b->entry->type)
    return FALSE;
  if (a->entry->type == DT_DIR)
    return TRUE;
  return g_str_equal (sa->roots->pdata[a->source], sb->roots->pdata[b->source]);
}

/* Notes that the contents of @path's parent directory change: it is made
 * writable now and gets its metadata back at the end. */
static void
touch_parent (int dst_dfd, GHashTable *touched, const char *path)
{
  const char *slash = strrchr (path, '/');
  char *parent;

  if (slash == NULL)
    return;
  parent = g_strndup (path, (gsize) (slash - path));
  if (g_hash_table_add (touched, parent) && geteuid () != 0)
    fchmodat (dst_dfd, parent, 0700, 0);
}

/* Takes away what @previous staged in @dst_dfd and @staged does not have,
 * deepest first. */
static gboolean
remove_stale (JobFileTreeStaged *previous,
              JobFileTreeStaged *staged,
              int dst_dfd,
              const char *dest_dir,
              GHashTable *touched,
              GError **error)
{
  for (guint k = previous->order->len; k > 0; k--)
    {
      const Merged *old = &g_array_index (previous->order, Merged, k - 1);
      const Merged *now = staged_lookup (staged, old->entry->path);
      gboolean is_dir = old->entry->type == DT_DIR;

      if (now != NULL && same_entry (previous, old, staged, now))
        continue;
      touch_parent (dst_dfd, touched, old->entry->path);
      if (unlinkat (dst_dfd, old->entry->path, is_dir ? AT_REMOVEDIR : 0) == 0
          || errno == ENOENT)
        continue;
      /* A directory with something else in it: remove it all. */
      {
        g_autofree char *full =
            g_build_filename (dest_dir, old->entry->path, NULL);

        if (!is_dir || (errno != ENOTEMPTY && errno != EEXIST))
          return job_cache_set_errno_error (error, errno, "remove", full);
        if (!job_file_tree_remove (full, error))
          return FALSE;
      }
    }
  return TRUE;
}

gboolean
job_file_tree_apply (JobFileTreeStaged *staged,
                     const char *dest_dir,
                     JobFileTreeFlags flags,
                     JobFileTreeStaged *previous,
                     GCancellable *cancellable,
                     GError **error)
{
  guint n = staged->roots->len;
  g_autofree int *source_fds = g_new (int, MAX (n, 1));
  g_autoptr (GHashTable) touched =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gboolean ok = TRUE;
  int dst_dfd;

  dst_dfd = open (dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dst_dfd < 0)
    return job_cache_set_errno_error (error, errno, "open the directory",
                                      dest_dir);
  for (guint i = 0; i < n; i++)
    source_fds[i] = -1;

  if (previous != NULL)
    ok = remove_stale (previous, staged, dst_dfd, dest_dir, touched, error);

  /* Pre-order: every directory exists before its contents arrive. */
  for (guint k = 0; ok && k < staged->order->len; k++)
    {
      const Merged *m = &g_array_index (staged->order, Merged, k);
      const ManifestEntry *e = m->entry;

      if ((k & 255) == 0
          && g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }
      if (previous != NULL)
        {
          const Merged *old = staged_lookup (previous, e->path);

          /* Already there; a directory still gets this artifact's
           * metadata, which may differ. */
          if (old != NULL && same_entry (previous, old, staged, m))
            {
              if (e->type == DT_DIR && old->entry != e)
                g_hash_table_add (touched, g_strdup (e->path));
              continue;
            }
          touch_parent (dst_dfd, touched, e->path);
        }
      if (e->type == DT_DIR)
        {
          ok = ensure_directory (dst_dfd, e->path, dest_dir, error);
          if (ok && previous != NULL)
            g_hash_table_add (touched, g_strdup (e->path));
          continue;
        }
      if (source_fds[m->source] < 0)
        {
          const char *root = staged->roots->pdata[m->source];

          source_fds[m->source] =
              open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (source_fds[m->source] < 0)
            {
              ok = job_cache_set_errno_error (error, errno,
                                              "open the directory", root);
              break;
            }
        }
      /* The common case in one call; anything else as staging one tree
       * does it (replacing, copying across file systems, special files). */
      if ((flags & JOB_FILE_TREE_HARDLINK)
          && (e->type == DT_REG || e->type == DT_LNK)
          && linkat (source_fds[m->source], e->path, dst_dfd, e->path, 0) == 0)
        continue;
      {
        g_autofree char *full = g_build_filename (dest_dir, e->path, NULL);

        ok = copy_entry (source_fds[m->source], dst_dfd, e->path, full, flags,
                         cancellable, error);
      }
    }

  /* Directory metadata last, deepest first, as a walk sets it on leaving:
   * on every directory, or on those a restaging changed. */
  for (guint k = staged->order->len; ok && k > 0; k--)
    {
      const Merged *m = &g_array_index (staged->order, Merged, k - 1);

      if (m->entry->type == DT_DIR
          && (previous == NULL
              || g_hash_table_contains (touched, m->entry->path)))
        ok = set_directory_metadata (dst_dfd, m->entry, dest_dir, error);
    }

  for (guint i = 0; i < n; i++)
    if (source_fds[i] >= 0)
      close (source_fds[i]);
  close (dst_dfd);
  return ok;
}
