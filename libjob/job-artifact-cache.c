/* job-artifact-cache.c: a content-addressed store of build artifacts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job-artifact-cache-private.h"

/**
 * JobArtifactCache:
 *
 * A store of build artifacts on disk, addressed by cache key.
 *
 * An artifact is a directory tree (the install root of a build) and a little
 * metadata, stored under the SHA-256 cache key of everything that produced
 * it. The cache lives in one directory, by default `$XDG_CACHE_HOME/libjob`:
 *
 * - `artifacts/<first two digits of the key>/<key>/files/`: the tree;
 * - `artifacts/<…>/<key>/meta/artifact.ini`: a [struct@GLib.KeyFile] with
 *   a group `Artifact` holding `key`, `element`, `created` (ISO 8601) and
 *   `log`; `meta/public.gvariant`: the element's public data, if any;
 * - `logs/<element>/<key>.log`: build logs;
 * - `tmp/`: staging directories of commits in progress;
 * - `build/`: the directories of builds in progress, and the roots worker
 *   processes keep between builds.
 *
 * Artifacts are written through a [class@Job.ArtifactCommit] and appear with
 * one atomic rename, so a reader never sees half an artifact and a process
 * killed in the middle of a commit leaves nothing but a staging directory.
 * Every staging and build directory is locked with `flock(2)` by the
 * process that writes it; opening a cache removes those whose lock is free
 * (their writer is dead). Several processes may share one cache: two that
 * commit the same key at once both succeed and one copy is kept.
 *
 * Commits are atomic, not durable: after a power failure the file system may
 * hold an artifact whose files were not written back yet.
 */
struct _JobArtifactCache
{
  GObject parent_instance;

  char *root;
  char *artifacts_dir;
  char *logs_dir;
  char *tmp_dir;
  char *lock_path;
};

enum
{
  PROP_0,
  PROP_ROOT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void job_artifact_cache_initable_iface_init (GInitableIface *iface);

/* clang-format would put spaces into the quark's name. */
/* clang-format off */
G_DEFINE_QUARK (job-cache-error-quark, job_cache_error)
/* clang-format on */

G_DEFINE_FINAL_TYPE_WITH_CODE (
    JobArtifactCache,
    job_artifact_cache,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                           job_artifact_cache_initable_iface_init))

static void
job_artifact_cache_finalize (GObject *object)
{
  JobArtifactCache *self = JOB_ARTIFACT_CACHE (object);

  g_free (self->root);
  g_free (self->artifacts_dir);
  g_free (self->logs_dir);
  g_free (self->tmp_dir);
  g_free (self->lock_path);

  G_OBJECT_CLASS (job_artifact_cache_parent_class)->finalize (object);
}

static void
job_artifact_cache_get_property (GObject *object,
                                 guint prop_id,
                                 GValue *value,
                                 GParamSpec *pspec)
{
  JobArtifactCache *self = JOB_ARTIFACT_CACHE (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_value_set_string (value, self->root);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_artifact_cache_set_property (GObject *object,
                                 guint prop_id,
                                 const GValue *value,
                                 GParamSpec *pspec)
{
  JobArtifactCache *self = JOB_ARTIFACT_CACHE (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_free (self->root);
      self->root = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_artifact_cache_constructed (GObject *object)
{
  JobArtifactCache *self = JOB_ARTIFACT_CACHE (object);

  G_OBJECT_CLASS (job_artifact_cache_parent_class)->constructed (object);

  if (self->root == NULL)
    self->root = g_build_filename (g_get_user_cache_dir (), "libjob", NULL);
  else if (!g_path_is_absolute (self->root))
    {
      g_autofree char *cwd = g_get_current_dir ();
      char *absolute = g_build_filename (cwd, self->root, NULL);

      g_free (self->root);
      self->root = absolute;
    }
  self->artifacts_dir = g_build_filename (self->root, "artifacts", NULL);
  self->logs_dir = g_build_filename (self->root, "logs", NULL);
  self->tmp_dir = g_build_filename (self->root, "tmp", NULL);
  self->lock_path = g_build_filename (self->tmp_dir, ".lock", NULL);
}

static void
job_artifact_cache_class_init (JobArtifactCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_artifact_cache_finalize;
  object_class->get_property = job_artifact_cache_get_property;
  object_class->set_property = job_artifact_cache_set_property;
  object_class->constructed = job_artifact_cache_constructed;

  /**
   * JobArtifactCache:root: (type filename)
   *
   * The directory the cache lives in. %NULL at construction selects
   * `$XDG_CACHE_HOME/libjob` (see [func@GLib.get_user_cache_dir]); a relative
   * path is made absolute against the current directory.
   */
  properties[PROP_ROOT] = g_param_spec_string (
      "root", NULL, NULL, NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_artifact_cache_init (JobArtifactCache *self)
{
}

static int
open_lock_file (JobArtifactCache *self, int operation, GError **error)
{
  int fd = open (self->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

  if (fd < 0)
    {
      job_cache_set_errno_error (error, errno, "open the lock file",
                                 self->lock_path);
      return -1;
    }
  while (flock (fd, operation) < 0)
    {
      if (errno == EINTR)
        continue;
      job_cache_set_errno_error (error, errno, "lock", self->lock_path);
      close (fd);
      return -1;
    }
  return fd;
}

/* The directories of builds and the roots worker processes keep between
 * builds, under build/, are locked while their process uses them (see
 * job_artifact_cache_make_work_directory()): one found unlocked is left over
 * by a process that died, and is removed. */
static void
remove_stale_work_directories (JobArtifactCache *self)
{
  g_autofree char *builds = g_build_filename (self->root, "build", NULL);
  DIR *dir = opendir (builds);
  struct dirent *entry;

  if (dir == NULL)
    return;
  while ((entry = readdir (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr (GError) local_error = NULL;
      int fd;

      if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
        continue;
      path = g_build_filename (builds, entry->d_name, NULL);
      fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        continue;
      if (flock (fd, LOCK_EX | LOCK_NB) == 0
          && !job_file_tree_remove (path, &local_error))
        g_debug ("Cannot remove the stale build directory %s: %s", path,
                 local_error->message);
      close (fd);
    }
  closedir (dir);
}

/* Makes a new directory in the cache's build/, named after @prefix and
 * this process, and locks it: it is the caller's until it closes
 * @lock_fd, and removed by the next cache opened after that if still
 * there. */
char *
job_artifact_cache_make_work_directory (JobArtifactCache *self,
                                        const char *prefix,
                                        int *lock_fd,
                                        GError **error)
{
  g_autofree char *builds = g_build_filename (self->root, "build", NULL);
  int saved_errno = 0;

  /* A cache being opened elsewhere may take the lock of a directory just
   * made, to remove it: make another one. */
  for (guint attempt = 0; attempt < 8; attempt++)
    {
      g_autofree char *path =
          g_strdup_printf ("%s/%s-%d-XXXXXX", builds, prefix, (int) getpid ());
      int fd;

      if (g_mkdtemp_full (path, 0755) == NULL)
        {
          saved_errno = errno;
          if (saved_errno != ENOENT || g_mkdir_with_parents (builds, 0755) != 0)
            break;
          continue;
        }
      fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) == 0)
        {
          *lock_fd = fd;
          return g_steal_pointer (&path);
        }
      saved_errno = errno;
      if (fd >= 0)
        close (fd);
      rmdir (path);
    }
  if (saved_errno == 0)
    saved_errno = EAGAIN;
  job_cache_set_errno_error (error, saved_errno, "create a build directory in",
                             builds);
  return NULL;
}

/* Removes the staging directories whose writer is gone. Holding the cache
 * lock exclusively keeps new staging directories from being created (and
 * not yet locked) while we look. */
static gboolean
remove_stale_staging (JobArtifactCache *self, GError **error)
{
  int lock_fd;
  DIR *dir;
  struct dirent *entry;

  lock_fd = open_lock_file (self, LOCK_EX, error);
  if (lock_fd < 0)
    return FALSE;

  dir = opendir (self->tmp_dir);
  if (dir == NULL)
    {
      close (lock_fd);
      return job_cache_set_errno_error (error, errno, "read the directory",
                                        self->tmp_dir);
    }
  while ((entry = readdir (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr (GError) local_error = NULL;
      gboolean stale = TRUE;
      int fd;

      if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0
          || strcmp (entry->d_name, ".lock") == 0)
        continue;
      path = g_build_filename (self->tmp_dir, entry->d_name, NULL);
      fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0)
        stale = flock (fd, LOCK_EX | LOCK_NB) == 0;
      /* A leftover that cannot be removed costs space, not correctness:
       * it is never looked at again, so the cache still opens. */
      if (stale && !job_file_tree_remove (path, &local_error))
        g_debug ("Cannot remove the stale staging directory %s: %s", path,
                 local_error->message);
      if (fd >= 0)
        close (fd);
    }
  closedir (dir);
  close (lock_fd);
  remove_stale_work_directories (self);
  return TRUE;
}

static gboolean
job_artifact_cache_initable_init (GInitable *initable,
                                  GCancellable *cancellable,
                                  GError **error)
{
  JobArtifactCache *self = JOB_ARTIFACT_CACHE (initable);
  const char *dirs[] = { self->root, self->artifacts_dir, self->logs_dir,
                         self->tmp_dir };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    if (g_mkdir_with_parents (dirs[i], 0755) < 0)
      return job_cache_set_errno_error (error, errno,
                                        "create the cache directory", dirs[i]);

  return remove_stale_staging (self, error);
}

static void
job_artifact_cache_initable_iface_init (GInitableIface *iface)
{
  iface->init = job_artifact_cache_initable_init;
}

/**
 * job_artifact_cache_new:
 * @root: (nullable) (type filename): the directory of the cache, or %NULL
 *   for `$XDG_CACHE_HOME/libjob`
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Opens the cache in @root, creating its directories when needed, and
 * removes what interrupted commits left behind.
 *
 * Returns: (transfer full) (nullable): the cache, or %NULL with @error set
 */
JobArtifactCache *
job_artifact_cache_new (const char *root,
                        GCancellable *cancellable,
                        GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (JOB_TYPE_ARTIFACT_CACHE, cancellable, error, "root",
                         root, NULL);
}

JobArtifactCache *
job_artifact_cache_open_shared (const char *root,
                                GCancellable *cancellable,
                                GError **error)
{
  static GMutex lock;
  static GHashTable *opened; /* root -> JobArtifactCache */
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&lock);
  JobArtifactCache *cache;
  struct stat st;

  g_return_val_if_fail (root != NULL, NULL);

  if (opened == NULL)
    opened =
        g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  cache = g_hash_table_lookup (opened, root);
  /* Removed since (a test starting afresh in the same place): open anew. */
  if (cache != NULL
      && (stat (cache->tmp_dir, &st) < 0
          || stat (cache->artifacts_dir, &st) < 0))
    cache = NULL;
  if (cache == NULL)
    {
      cache = job_artifact_cache_new (root, cancellable, error);
      if (cache == NULL)
        return NULL;
      g_hash_table_replace (opened, g_strdup (root), cache);
    }
  return g_object_ref (cache);
}

/**
 * job_artifact_cache_get_root:
 * @self: a cache
 *
 * Gets the directory the cache lives in.
 *
 * Returns: (transfer none) (type filename): an absolute path
 */
const char *
job_artifact_cache_get_root (JobArtifactCache *self)
{
  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), NULL);

  return self->root;
}

/**
 * job_artifact_cache_is_valid_key:
 * @key: (nullable): a string
 *
 * Checks that @key has the form of a cache key: a SHA-256 checksum written
 * as 64 lowercase hexadecimal digits, as [func@GLib.compute_checksum_for_data]
 * writes it.
 *
 * Returns: whether @key is a valid cache key
 */
gboolean
job_artifact_cache_is_valid_key (const char *key)
{
  gsize i;

  if (key == NULL)
    return FALSE;
  for (i = 0; key[i] != '\0'; i++)
    if (!g_ascii_isdigit (key[i]) && !(key[i] >= 'a' && key[i] <= 'f'))
      return FALSE;
  return i == 64;
}

static gboolean
check_key (const char *key, GError **error)
{
  if (job_artifact_cache_is_valid_key (key))
    return TRUE;
  g_set_error (
      error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_INVALID_KEY,
      "“%s” is not a cache key: a key is a SHA-256 checksum written as "
      "64 lowercase hexadecimal digits",
      key != NULL ? key : "(null)");
  return FALSE;
}

static char *
artifact_path (JobArtifactCache *self, const char *key)
{
  char prefix[3] = { key[0], key[1], '\0' };

  return g_build_filename (self->artifacts_dir, prefix, key, NULL);
}

/**
 * job_artifact_cache_contains:
 * @self: a cache
 * @key: a cache key
 *
 * Checks whether the cache holds a committed artifact under @key. This is
 * one `stat(2)`, cheap enough to ask for every element of a project.
 *
 * Returns: %TRUE if the artifact is in the cache; %FALSE if not or if @key
 *   is not a valid key
 */
gboolean
job_artifact_cache_contains (JobArtifactCache *self, const char *key)
{
  g_autofree char *dir = NULL;
  g_autofree char *info = NULL;
  struct stat st;

  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), FALSE);

  if (!job_artifact_cache_is_valid_key (key))
    return FALSE;
  dir = artifact_path (self, key);
  info = g_build_filename (dir, "meta", "artifact.ini", NULL);
  return stat (info, &st) == 0 && S_ISREG (st.st_mode);
}

static char *
find_artifact (JobArtifactCache *self, const char *key, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *files = NULL;
  g_autofree char *info = NULL;
  struct stat st;

  if (!check_key (key, error))
    return NULL;
  dir = artifact_path (self, key);
  if (stat (dir, &st) < 0)
    {
      if (errno == ENOENT)
        g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_NOT_FOUND,
                     "The cache in “%s” has no artifact %s; build it first",
                     self->root, key);
      else
        job_cache_set_errno_error (error, errno, "inspect", dir);
      return NULL;
    }
  files = g_build_filename (dir, "files", NULL);
  info = g_build_filename (dir, "meta", "artifact.ini", NULL);
  if (stat (files, &st) < 0 || !S_ISDIR (st.st_mode) || stat (info, &st) < 0
      || !S_ISREG (st.st_mode))
    {
      g_set_error (
          error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CORRUPT,
          "The artifact “%s” is damaged: it lacks files/ or "
          "meta/artifact.ini; remove it (job_artifact_cache_remove) and "
          "build it again",
          dir);
      return NULL;
    }
  return g_steal_pointer (&dir);
}

/**
 * job_artifact_cache_lookup:
 * @self: a cache
 * @key: a cache key
 * @error: return location for a #GError
 *
 * Finds the files of the artifact @key. Never write into them: the cache,
 * and every sysroot [method@Job.ArtifactCache.stage] linked them into, share
 * them.
 *
 * Returns: (transfer full) (nullable): the artifact's `files/` directory, or
 *   %NULL with @error set (%JOB_CACHE_ERROR_NOT_FOUND,
 *   %JOB_CACHE_ERROR_CORRUPT, %JOB_CACHE_ERROR_INVALID_KEY)
 */
GFile *
job_artifact_cache_lookup (JobArtifactCache *self,
                           const char *key,
                           GError **error)
{
  g_autofree char *dir = NULL;

  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  dir = find_artifact (self, key, error);
  if (dir == NULL)
    return NULL;
  return g_file_new_build_filename (dir, "files", NULL);
}

/**
 * job_artifact_cache_get_metadata:
 * @self: a cache
 * @key: a cache key
 * @error: return location for a #GError
 *
 * Reads the metadata of the artifact @key: the group `Artifact` with the
 * keys `key`, `element`, `created` and `log` (the last two only if the
 * commit set them).
 *
 * Returns: (transfer full) (nullable): the metadata, or %NULL with @error set
 */
GKeyFile *
job_artifact_cache_get_metadata (JobArtifactCache *self,
                                 const char *key,
                                 GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *info = NULL;
  g_autoptr (GKeyFile) keyfile = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  dir = find_artifact (self, key, error);
  if (dir == NULL)
    return NULL;
  info = g_build_filename (dir, "meta", "artifact.ini", NULL);
  keyfile = g_key_file_new ();
  if (!g_key_file_load_from_file (keyfile, info, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CORRUPT,
                   "The metadata of artifact “%s” is damaged: %s; remove the "
                   "artifact and build it again",
                   dir, local_error->message);
      return NULL;
    }
  return g_steal_pointer (&keyfile);
}

/**
 * job_artifact_cache_get_public_data:
 * @self: a cache
 * @key: a cache key
 * @error: return location for a #GError
 *
 * Reads the public data committed with the artifact @key (see
 * [method@Job.ArtifactCommit.set_public_data]).
 *
 * Returns: (transfer full) (nullable): the public data; %NULL without an
 *   error if the artifact has none, %NULL with @error set on failure
 */
GVariant *
job_artifact_cache_get_public_data (JobArtifactCache *self,
                                    const char *key,
                                    GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) local_error = NULL;
  GVariant *data;

  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  dir = find_artifact (self, key, error);
  if (dir == NULL)
    return NULL;
  path = g_build_filename (dir, "meta", "public.gvariant", NULL);
  if (!g_file_get_contents (path, &text, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return NULL;
      g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CORRUPT,
                   "Cannot read the public data of artifact “%s”: %s", dir,
                   local_error->message);
      return NULL;
    }
  data = g_variant_parse (NULL, text, NULL, NULL, &local_error);
  if (data == NULL)
    {
      g_set_error (
          error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CORRUPT,
          "The public data of artifact “%s” is damaged: %s; remove the "
          "artifact and build it again",
          dir, local_error->message);
      return NULL;
    }
  /* g_variant_parse() returns a full reference, not a floating one. */
  return data;
}

static char *
sanitize_element_name (const char *element_name)
{
  g_auto (GStrv) parts = g_strsplit (element_name, "/", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *part = parts[i];

      if (*part == '\0' || strcmp (part, ".") == 0)
        continue;
      if (parts[i + 1] == NULL && g_str_has_suffix (part, ".bst")
          && strlen (part) > 4)
        part[strlen (part) - 4] = '\0';
      if (strcmp (part, "..") == 0)
        part = (char *) "__";
      if (out->len > 0)
        g_string_append_c (out, '/');
      for (const char *c = part; *c != '\0'; c++)
        g_string_append_c (
            out,
            g_ascii_isalnum (*c) || strchr ("._-+@", *c) != NULL ? *c : '_');
    }
  if (out->len == 0)
    g_string_append_c (out, '_');
  return g_string_free (out, FALSE);
}

/**
 * job_artifact_cache_get_log_path:
 * @self: a cache
 * @element_name: the name of an element, such as `base/alpine.bst`
 * @key: the cache key of the element's build
 * @error: return location for a #GError
 *
 * Gets the path of the build log of @element_name under @key,
 * `logs/<element name without .bst>/<key>.log`, and creates its directory.
 * Characters of @element_name that do not belong in a file name are
 * replaced, so the log is always inside the cache's `logs/`.
 *
 * Returns: (transfer full) (nullable) (type filename): the path of the log
 *   file, or %NULL with @error set
 */
char *
job_artifact_cache_get_log_path (JobArtifactCache *self,
                                 const char *element_name,
                                 const char *key,
                                 GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;

  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), NULL);
  g_return_val_if_fail (element_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_key (key, error))
    return NULL;
  path = job_artifact_cache_build_log_path (self, element_name, key);
  dir = g_path_get_dirname (path);
  /* Usually only the last component is missing, or none: one mkdir(). */
  if (mkdir (dir, 0755) < 0 && errno != EEXIST
      && g_mkdir_with_parents (dir, 0755) < 0)
    {
      job_cache_set_errno_error (error, errno, "create the log directory", dir);
      return NULL;
    }
  return g_steal_pointer (&path);
}

char *
job_artifact_cache_build_log_path (JobArtifactCache *self,
                                   const char *element_name,
                                   const char *key)
{
  g_autofree char *name = sanitize_element_name (element_name);
  g_autofree char *file = g_strconcat (key, ".log", NULL);

  g_return_val_if_fail (job_artifact_cache_is_valid_key (key), NULL);

  return g_build_filename (self->logs_dir, name, file, NULL);
}

/**
 * job_artifact_cache_begin_commit:
 * @self: a cache
 * @key: the cache key of the artifact to write
 * @error: return location for a #GError
 *
 * Starts writing the artifact @key: creates and locks a staging directory
 * in the cache's `tmp/`. See [class@Job.ArtifactCommit].
 *
 * Returns: (transfer full) (nullable): the commit, or %NULL with @error set
 */
JobArtifactCommit *
job_artifact_cache_begin_commit (JobArtifactCache *self,
                                 const char *key,
                                 GError **error)
{
  g_autofree char *staging = NULL;
  g_autofree char *meta = NULL;
  int lock_fd;
  int dir_fd;

  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_key (key, error))
    return NULL;

  /* Shared: commits do not wait for each other, only for a cleaner. */
  lock_fd = open_lock_file (self, LOCK_SH, error);
  if (lock_fd < 0)
    return NULL;

  staging = g_strdup_printf ("%s/commit-%.8s-XXXXXX", self->tmp_dir, key);
  if (g_mkdtemp_full (staging, 0755) == NULL)
    {
      job_cache_set_errno_error (error, errno, "create a staging directory in",
                                 self->tmp_dir);
      close (lock_fd);
      return NULL;
    }
  dir_fd = open (staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || flock (dir_fd, LOCK_EX | LOCK_NB) < 0)
    {
      job_cache_set_errno_error (error, errno, "lock the staging directory",
                                 staging);
      if (dir_fd >= 0)
        close (dir_fd);
      rmdir (staging);
      close (lock_fd);
      return NULL;
    }
  close (lock_fd);

  meta = g_build_filename (staging, "meta", NULL);
  if (mkdir (meta, 0755) < 0)
    {
      job_cache_set_errno_error (error, errno, "create the directory", staging);
      job_file_tree_remove (staging, NULL);
      close (dir_fd);
      return NULL;
    }
  return job_artifact_commit_new (self, key, staging, dir_fd);
}

/* Manifests of the artifacts this process has staged, by artifact
 * directory. An artifact never changes once committed; the only way one
 * goes is job_artifact_cache_remove(), which replaces the cache's removal
 * stamp (artifacts/.removed) with a new file. So one stat() of the stamp
 * per staging tells whether every manifest read since is still good. */
typedef struct
{
  JobFileTreeManifest *manifest;
  char *files_dir;
} CachedManifest;

typedef struct
{
  dev_t dev;
  ino_t ino; /* 0: no stamp yet */
} Stamp;

#define MAX_CACHED_MANIFEST_ENTRIES (4u * 1024 * 1024)

static GMutex manifests_lock;
static GHashTable *manifests;       /* artifact directory -> CachedManifest */
static GHashTable *manifest_stamps; /* cache root -> Stamp */
static guint manifests_size;        /* entries, summed */

static void
cached_manifest_free (gpointer data)
{
  CachedManifest *cached = data;

  job_file_tree_manifest_unref (cached->manifest);
  g_free (cached->files_dir);
  g_free (cached);
}

static char *
stamp_path (JobArtifactCache *self)
{
  return g_build_filename (self->artifacts_dir, ".removed", NULL);
}

/* Marks that an artifact went: a new stamp file, renamed into place. */
static void
replace_removal_stamp (JobArtifactCache *self)
{
  g_autofree char *path = stamp_path (self);
  g_autofree char *tmp = g_strdup_printf ("%s/stamp-XXXXXX", self->tmp_dir);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);

  if (fd < 0)
    {
      g_warning ("Cannot mark the removal of an artifact in %s: %s", self->root,
                 g_strerror (errno));
      return;
    }
  close (fd);
  if (rename (tmp, path) < 0)
    {
      g_warning ("Cannot mark the removal of an artifact in %s: %s", self->root,
                 g_strerror (errno));
      unlink (tmp);
    }
}

/* Forgets the manifests of @self's artifacts if one may have gone since
 * they were read. Called with manifests_lock held. */
static void
check_removal_stamp (JobArtifactCache *self)
{
  g_autofree char *path = stamp_path (self);
  Stamp now = { 0, 0 };
  Stamp *seen;
  struct stat st;

  if (stat (path, &st) == 0)
    {
      now.dev = st.st_dev;
      now.ino = st.st_ino;
    }
  if (manifest_stamps == NULL)
    manifest_stamps =
        g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  seen = g_hash_table_lookup (manifest_stamps, self->root);
  if (seen != NULL && seen->dev == now.dev && seen->ino == now.ino)
    return;
  if (seen != NULL && manifests != NULL)
    {
      GHashTableIter iter;
      const char *dir;

      g_hash_table_iter_init (&iter, manifests);
      while (g_hash_table_iter_next (&iter, (gpointer *) &dir, NULL))
        if (g_str_has_prefix (dir, self->artifacts_dir))
          g_hash_table_iter_remove (&iter);
    }
  g_hash_table_replace (manifest_stamps, g_strdup (self->root),
                        g_memdup2 (&now, sizeof now));
}

static JobFileTreeManifest *
get_manifest (JobArtifactCache *self,
              const char *key,
              char **files_dir,
              GError **error)
{
  g_autofree char *dir = NULL;
  g_autoptr (GMutexLocker) locker = NULL;
  JobFileTreeManifest *manifest;
  CachedManifest *cached;

  /* Only keys checked by the first read below are ever found here. */
  dir = g_strdup_printf ("%s/%.2s/%s", self->artifacts_dir, key, key);
  locker = g_mutex_locker_new (&manifests_lock);
  cached = manifests != NULL ? g_hash_table_lookup (manifests, dir) : NULL;
  if (cached != NULL)
    {
      *files_dir = g_strdup (cached->files_dir);
      return job_file_tree_manifest_ref (cached->manifest);
    }
  g_clear_pointer (&locker, g_mutex_locker_free);

  /* First time: check it as any other use does, then read it. */
  g_free (dir);
  dir = find_artifact (self, key, error);
  if (dir == NULL)
    return NULL;
  /* Used now, for job_artifact_cache_prune(): once per process is enough,
   * and a cache this process may not write to is no error. */
  utimensat (AT_FDCWD, dir, NULL, 0);
  *files_dir = g_build_filename (dir, "files", NULL);
  manifest = job_file_tree_manifest_read (*files_dir, error);
  if (manifest == NULL)
    {
      g_clear_pointer (files_dir, g_free);
      return NULL;
    }

  locker = g_mutex_locker_new (&manifests_lock);
  if (manifests == NULL)
    manifests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       cached_manifest_free);
  /* A bound on memory: forget everything rather than track use. */
  if (manifests_size > MAX_CACHED_MANIFEST_ENTRIES)
    {
      g_hash_table_remove_all (manifests);
      manifests_size = 0;
    }
  cached = g_new0 (CachedManifest, 1);
  cached->manifest = job_file_tree_manifest_ref (manifest);
  cached->files_dir = g_strdup (*files_dir);
  manifests_size += job_file_tree_manifest_get_size (manifest);
  g_hash_table_replace (manifests, g_steal_pointer (&dir), cached);
  return manifest;
}

JobFileTreeStaged *
job_artifact_cache_merge_keys (JobArtifactCache *self,
                               const char *const *keys,
                               guint n_keys,
                               const char *dest_dir,
                               GCancellable *cancellable,
                               GError **error)
{
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) job_file_tree_manifest_unref);
  g_autoptr (GPtrArray) roots = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), NULL);

  g_mutex_lock (&manifests_lock);
  check_removal_stamp (self);
  g_mutex_unlock (&manifests_lock);
  for (guint i = 0; i < n_keys; i++)
    {
      char *files_dir = NULL;
      JobFileTreeManifest *manifest =
          get_manifest (self, keys[i], &files_dir, error);

      if (manifest == NULL)
        return NULL;
      g_ptr_array_add (found, manifest);
      g_ptr_array_add (roots, files_dir);
    }
  return job_file_tree_merge ((JobFileTreeManifest *const *) found->pdata,
                              (const char *const *) roots->pdata, n_keys,
                              dest_dir, cancellable, error);
}

gboolean
job_artifact_cache_stage_keys (JobArtifactCache *self,
                               const char *const *keys,
                               guint n_keys,
                               const char *dest_dir,
                               gboolean hardlink,
                               GCancellable *cancellable,
                               GError **error)
{
  g_autoptr (JobFileTreeStaged) staged = NULL;

  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), FALSE);
  g_return_val_if_fail (dest_dir != NULL, FALSE);

  staged = job_artifact_cache_merge_keys (self, keys, n_keys, dest_dir,
                                          cancellable, error);
  if (staged == NULL)
    return FALSE;
  if (mkdir (dest_dir, 0755) < 0 && errno != EEXIST
      && g_mkdir_with_parents (dest_dir, 0755) < 0)
    return job_cache_set_errno_error (error, errno, "create the directory",
                                      dest_dir);
  return job_file_tree_apply (
      staged, dest_dir, hardlink ? JOB_FILE_TREE_HARDLINK : JOB_FILE_TREE_COPY,
      NULL, cancellable, error);
}

/**
 * job_artifact_cache_checkout:
 * @self: a cache
 * @key: a cache key
 * @dest_dir: (type filename): the directory to check out into; created if
 *   missing
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Copies the files of the artifact @key into @dest_dir, merging with what
 * is there. Symbolic links stay links, modes and modification times are
 * kept (and owners, as root). Files are real copies (reflinks where the file
 * system supports them), so changing the checkout never changes the cache.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_artifact_cache_checkout (JobArtifactCache *self,
                             const char *key,
                             const char *dest_dir,
                             GCancellable *cancellable,
                             GError **error)
{
  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), FALSE);
  g_return_val_if_fail (dest_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return job_artifact_cache_stage_keys (self, &key, 1, dest_dir, FALSE,
                                        cancellable, error);
}

/**
 * job_artifact_cache_stage:
 * @self: a cache
 * @key: a cache key
 * @dest_dir: (type filename): the directory to stage into, usually a build
 *   sysroot; created if missing
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Stages the files of the artifact @key into @dest_dir like
 * [method@Job.ArtifactCache.checkout], but hardlinks regular files when
 * @dest_dir is on the cache's file system (copying those it cannot link).
 * This makes staging the dependencies of a build cheap; the price is that
 * the staged files are the cache's own: a build may replace or delete them,
 * but must not write into them in place.
 *
 * A file of a later artifact replaces the same file of an earlier one; a
 * directory where the destination has a file (or the other way round) fails
 * with %JOB_CACHE_ERROR_CONFLICT.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_artifact_cache_stage (JobArtifactCache *self,
                          const char *key,
                          const char *dest_dir,
                          GCancellable *cancellable,
                          GError **error)
{
  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), FALSE);
  g_return_val_if_fail (dest_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return job_artifact_cache_stage_keys (self, &key, 1, dest_dir, TRUE,
                                        cancellable, error);
}

/**
 * job_artifact_cache_remove:
 * @self: a cache
 * @key: a cache key
 * @error: return location for a #GError
 *
 * Removes the artifact @key from the cache. It disappears at once (it is
 * renamed into `tmp/` first), then its files are deleted. Removing a damaged
 * artifact works too.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *   (%JOB_CACHE_ERROR_NOT_FOUND if there is no such artifact)
 */
gboolean
job_artifact_cache_remove (JobArtifactCache *self,
                           const char *key,
                           GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *trash = NULL;

  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_key (key, error))
    return FALSE;
  dir = artifact_path (self, key);
  trash = g_strdup_printf ("%s/remove-%.8s-XXXXXX", self->tmp_dir, key);
  if (g_mkdtemp_full (trash, 0700) == NULL)
    return job_cache_set_errno_error (error, errno, "create a directory in",
                                      self->tmp_dir);
  /* Renaming onto the empty directory replaces it atomically. */
  if (rename (dir, trash) < 0)
    {
      int saved = errno;

      rmdir (trash);
      if (saved == ENOENT)
        {
          g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_NOT_FOUND,
                       "The cache in “%s” has no artifact %s", self->root, key);
          return FALSE;
        }
      return job_cache_set_errno_error (error, saved, "remove", dir);
    }
  replace_removal_stamp (self);
  return job_file_tree_remove (trash, error);
}

/**
 * job_artifact_cache_copy_artifact:
 * @self: the cache to copy into
 * @from: another cache, such as one shared with other machines
 * @key: a cache key
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Copies the artifact @key of @from into @self, with its element's name,
 * its public data and its build log: pulling an artifact from a shared
 * cache, or pushing one to it. The copy is committed like any artifact,
 * atomically, and counts as used. Nothing happens if @self has it
 * already.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *   (%JOB_CACHE_ERROR_NOT_FOUND if @from does not have it)
 */
gboolean
job_artifact_cache_copy_artifact (JobArtifactCache *self,
                                  JobArtifactCache *from,
                                  const char *key,
                                  GCancellable *cancellable,
                                  GError **error)
{
  g_autofree char *dir = NULL, *files = NULL, *element = NULL;
  g_autofree char *from_log = NULL;
  g_autoptr (GKeyFile) meta = NULL;
  g_autoptr (GVariant) public_data = NULL;
  g_autoptr (JobArtifactCommit) commit = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), FALSE);
  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (from), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_key (key, error))
    return FALSE;
  if (job_artifact_cache_contains (self, key))
    return TRUE;
  if ((dir = find_artifact (from, key, error)) == NULL
      || (meta = job_artifact_cache_get_metadata (from, key, error)) == NULL)
    return FALSE;
  public_data = job_artifact_cache_get_public_data (from, key, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  element = g_key_file_get_string (meta, "Artifact", "element", NULL);
  files = g_build_filename (dir, "files", NULL);
  commit = job_artifact_cache_begin_commit (self, key, error);
  if (commit == NULL
      || !job_artifact_commit_import_directory (commit, files, cancellable,
                                                error))
    return FALSE;
  job_artifact_commit_set_element_name (commit, element);
  job_artifact_commit_set_public_data (commit, public_data);
  if (element != NULL)
    from_log = job_artifact_cache_build_log_path (from, element, key);
  if (from_log != NULL && g_file_test (from_log, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *log =
          job_artifact_cache_get_log_path (self, element, key, error);
      g_autoptr (GFile) source = g_file_new_for_path (from_log);
      g_autoptr (GFile) dest = NULL;

      if (log == NULL)
        return FALSE;
      dest = g_file_new_for_path (log);
      if (!g_file_copy (source, dest, G_FILE_COPY_OVERWRITE, cancellable, NULL,
                        NULL, error))
        return FALSE;
      job_artifact_commit_set_log_path (commit, log);
    }
  return job_artifact_commit_commit (commit, error);
}

typedef struct
{
  char *key;
  gint64 used; /* the directory's mtime, in µs */
  guint64 size;
} Candidate;

static void
candidate_free (gpointer data)
{
  Candidate *candidate = data;

  g_free (candidate->key);
  g_free (candidate);
}

static int
compare_candidates (gconstpointer a, gconstpointer b)
{
  const Candidate *x = *(Candidate *const *) a;
  const Candidate *y = *(Candidate *const *) b;

  if (x->used != y->used)
    return x->used < y->used ? -1 : 1;
  return strcmp (x->key, y->key);
}

typedef struct
{
  dev_t dev;
  ino_t ino;
} Inode;

static guint
inode_hash (gconstpointer data)
{
  const Inode *inode = data;

  return (guint) (inode->ino ^ (inode->ino >> 32) ^ inode->dev);
}

static gboolean
inode_equal (gconstpointer a, gconstpointer b)
{
  const Inode *x = a, *y = b;

  return x->dev == y->dev && x->ino == y->ino;
}

/* The disk space under @dir; a file with several links in it counts
 * once. */
static gboolean
tree_size (const char *dir, guint64 *size, GError **error)
{
  g_autoptr (GHashTable) seen =
      g_hash_table_new_full (inode_hash, inode_equal, g_free, NULL);
  char *paths[] = { (char *) dir, NULL };
  FTS *fts = fts_open (paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
  FTSENT *entry;
  int saved = 0;

  *size = 0;
  if (fts == NULL)
    return job_cache_set_errno_error (error, errno, "read", dir);
  while ((entry = fts_read (fts)) != NULL)
    {
      const struct stat *st = entry->fts_statp;

      if (entry->fts_info == FTS_DNR || entry->fts_info == FTS_ERR
          || entry->fts_info == FTS_NS)
        {
          saved = entry->fts_errno;
          break;
        }
      if (entry->fts_info == FTS_DP)
        continue;
      if (!S_ISDIR (st->st_mode) && st->st_nlink > 1)
        {
          Inode *inode = g_new (Inode, 1);

          inode->dev = st->st_dev;
          inode->ino = st->st_ino;
          if (!g_hash_table_add (seen, inode))
            continue;
        }
      *size += (guint64) st->st_blocks * 512;
    }
  if (saved == 0 && errno != 0 && entry == NULL)
    saved = errno;
  fts_close (fts);
  if (saved != 0)
    return job_cache_set_errno_error (error, saved, "read", dir);
  return TRUE;
}

/* The disk space of the artifact in @dir. An artifact never changes, so
 * the first walk of it leaves the figure in meta/size for the next. */
static gboolean
artifact_size (const char *dir, guint64 *size, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "meta", "size", NULL);
  g_autofree char *text = NULL;
  char digits[32];

  if (g_file_get_contents (path, &text, NULL, NULL)
      && g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, size, NULL))
    return TRUE;
  if (!tree_size (dir, size, error))
    return FALSE;
  /* Best effort: a cache this process cannot write is walked each time. */
  g_snprintf (digits, sizeof digits, "%" G_GUINT64_FORMAT, *size);
  g_file_set_contents (path, digits, -1, NULL);
  return TRUE;
}

/* Every artifact of the cache with its size and when it was last used. */
static GPtrArray *
list_candidates (JobArtifactCache *self, GError **error)
{
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (candidate_free);
  g_autoptr (GDir) top = NULL;
  const char *prefix;

  top = g_dir_open (self->artifacts_dir, 0, NULL);
  while (top != NULL && (prefix = g_dir_read_name (top)) != NULL)
    {
      g_autofree char *sub_path =
          g_build_filename (self->artifacts_dir, prefix, NULL);
      g_autoptr (GDir) sub = NULL;
      const char *name;

      if (strlen (prefix) != 2 || !g_file_test (sub_path, G_FILE_TEST_IS_DIR))
        continue;
      sub = g_dir_open (sub_path, 0, NULL);
      while (sub != NULL && (name = g_dir_read_name (sub)) != NULL)
        {
          g_autofree char *path = g_build_filename (sub_path, name, NULL);
          Candidate *candidate;
          struct stat st;

          if (!job_artifact_cache_is_valid_key (name)
              || strncmp (name, prefix, 2) != 0 || stat (path, &st) < 0
              || !S_ISDIR (st.st_mode))
            continue;
          candidate = g_new0 (Candidate, 1);
          candidate->key = g_strdup (name);
          candidate->used = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC
                            + st.st_mtim.tv_nsec / 1000;
          g_ptr_array_add (found, candidate);
          if (!artifact_size (path, &candidate->size, error))
            return NULL;
        }
    }
  return g_steal_pointer (&found);
}

/**
 * job_artifact_cache_prune:
 * @self: a cache
 * @quota: the most disk space, in bytes, the artifacts may take
 * @keep: (array zero-terminated=1) (nullable): keys whose artifacts stay
 *   whatever the quota, such as those of what is being built
 * @n_removed: (out) (optional): how many artifacts were removed
 * @size: (out) (optional): the disk space the artifacts take afterwards
 * @error: return location for a #GError
 *
 * Removes the least recently used artifacts until the artifacts take at
 * most @quota bytes. An artifact is used when it is committed, staged or
 * checked out (once per process: the modification time of its directory
 * records it). Its size is the disk space of its files and metadata (a
 * file linked twice within it counts once), measured once and then kept
 * in its `meta/size`. Removing an artifact removes its build log too.
 *
 * The artifacts of @keep stay even if they alone take more than @quota;
 * @size then says so. Another process about to stage an artifact removed
 * here fails its build with %JOB_CACHE_ERROR_NOT_FOUND: prune while the
 * cache is in use only with what that use needs in @keep.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_artifact_cache_prune (JobArtifactCache *self,
                          guint64 quota,
                          const char *const *keep,
                          guint *n_removed,
                          guint64 *size,
                          GError **error)
{
  g_autoptr (GPtrArray) candidates = NULL;
  g_autoptr (GHashTable) kept = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 total = 0;
  guint removed = 0;

  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* A build keeps thousands of keys: looked up, not searched. */
  for (guint i = 0; keep != NULL && keep[i] != NULL; i++)
    g_hash_table_add (kept, (gpointer) keep[i]);
  candidates = list_candidates (self, error);
  if (candidates == NULL)
    return FALSE;
  for (guint i = 0; i < candidates->len; i++)
    total += ((Candidate *) candidates->pdata[i])->size;
  g_ptr_array_sort (candidates, compare_candidates);
  for (guint i = 0; i < candidates->len && total > quota; i++)
    {
      Candidate *candidate = candidates->pdata[i];
      g_autoptr (GKeyFile) meta = NULL;
      g_autoptr (GError) local_error = NULL;
      g_autofree char *element = NULL;

      if (g_hash_table_contains (kept, candidate->key))
        continue;
      meta = job_artifact_cache_get_metadata (self, candidate->key, NULL);
      if (meta != NULL)
        element = g_key_file_get_string (meta, "Artifact", "element", NULL);
      if (!job_artifact_cache_remove (self, candidate->key, &local_error))
        {
          /* Gone already: another process pruned it. */
          if (!g_error_matches (local_error, JOB_CACHE_ERROR,
                                JOB_CACHE_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
        }
      else
        removed++;
      if (element != NULL)
        {
          g_autofree char *log =
              job_artifact_cache_build_log_path (self, element, candidate->key);

          if (log != NULL)
            unlink (log);
        }
      total -= candidate->size;
    }
  if (n_removed != NULL)
    *n_removed = removed;
  if (size != NULL)
    *size = total;
  return TRUE;
}
