/* job-build-context.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "job-artifact-cache-private.h"
#include "job-build-context-private.h"
#include "job-serializable.h"
#include "job-source.h"

/**
 * JobBuildContext:
 *
 * One element's build in progress, in the worker that runs it: a fresh
 * root directory to stage into, a build directory and an install directory
 * mounted in the [class@Job.Sandbox] at the element's `%{build-root}` and
 * `%{install-root}`, the artifact cache holding the dependencies, and the
 * build log.
 *
 * What is staged comes from a staging plan (see
 * [ctor@Job.BuildTask.new]): every artifact of the build scope with its
 * cache key and integration commands, and the runtime closure of each
 * direct build dependency, so an element can stage everything at `/`
 * ([method@Job.BuildContext.stage_dependencies]) or one dependency where
 * it wants it ([method@Job.BuildContext.stage_dependency]).
 *
 * The staged root holds hard links into the artifact cache, so it is
 * mounted read-only: only the build and install directories (and `/tmp`)
 * are writable to the element's commands. When an artifact of the scope
 * has integration commands (its public `bst` `integration-commands`),
 * which write into the root, the root is staged by copying instead and
 * mounted writable.
 *
 * A read-only root staged at `/` with
 * [method@Job.BuildContext.stage_dependencies] is kept for the next build in
 * the same process, which changes only what differs between the two scopes
 * instead of staging everything and removing it again. So the root may live
 * outside the build's directory; an element that needs the root's host path
 * asks [method@Job.BuildContext.get_root] (or the sandbox) for it, which makes
 * the root private to this build. The root must not be changed from the
 * host in any other way.
 */

struct _JobBuildContext
{
  GObject parent_instance;

  JobElement *element;
  JobArtifactCache *cache;
  GVariant *plan;        /* (a(ssas)a(sau)), see job_build_task_new() */
  gboolean copy_root;    /* some artifact has integration commands */
  GArray *at_root;       /* gboolean per scope entry: staged at / */
  GArray *scope;         /* ScopeEntry: the plan's first member, read once */
  gboolean root_made;    /* the root and its mount points exist */
  gboolean install_made; /* the install directory exists */
  char *root;
  char *own_directory; /* made by job_build_context_new(), removed here */
  int own_lock_fd;     /* ... and locked meanwhile */
  char *build_directory;
  char *install_directory;
  JobSandbox *sandbox;
  GOutputStream *log;
  GPtrArray *queued;     /* char* pairs: group, command */
  gboolean root_exposed; /* its host path was given out */
  gboolean warm;         /* the root is the process's kept root, see below */
  gboolean warm_dirty;   /* ... and may have changed beyond its state */
  GPtrArray *warm_made;  /* char*: mount points made in it, relative */
};

/* The root kept between builds: one per process, for one cache at a time,
 * used by one build at a time. It lives in the cache's build/, locked for
 * as long as the process lives, so that a cache opened after the process
 * died finds it unlocked and removes it. */
typedef struct
{
  char *cache_root;
  char *path;
  int lock_fd;
  JobFileTreeStaged *state; /* what it holds */
  gboolean busy;
} WarmRoot;

static GMutex warm_lock;
static WarmRoot *warm_root;

static void
warm_root_destroy (WarmRoot *warm)
{
  g_autoptr (GError) error = NULL;

  if (!job_file_tree_remove (warm->path, &error))
    g_debug ("Cannot remove the kept root %s: %s", warm->path, error->message);
  close (warm->lock_fd);
  g_clear_pointer (&warm->state, job_file_tree_staged_free);
  g_free (warm->cache_root);
  g_free (warm->path);
  g_free (warm);
}

/* The kept root for @cache, claimed; %NULL if it is in use or cannot be
 * made (then the build uses a fresh root as usual). */
static WarmRoot *
claim_warm_root (JobArtifactCache *cache)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker =
      g_mutex_locker_new (&warm_lock);
  const char *cache_root = job_artifact_cache_get_root (cache);
  g_autofree char *path = NULL;
  int fd;

  if (warm_root != NULL && warm_root->busy)
    return NULL;
  if (warm_root != NULL && g_str_equal (warm_root->cache_root, cache_root))
    {
      warm_root->busy = TRUE;
      return warm_root;
    }
  g_clear_pointer (&warm_root, warm_root_destroy);

  path = job_artifact_cache_make_work_directory (cache, "root", &fd, NULL);
  if (path == NULL)
    return NULL;
  warm_root = g_new0 (WarmRoot, 1);
  warm_root->cache_root = g_strdup (cache_root);
  warm_root->path = g_steal_pointer (&path);
  warm_root->lock_fd = fd;
  warm_root->busy = TRUE;
  return warm_root;
}

/* Gives the kept root back after a build: without the mount points the
 * build made in it, or, if it may hold anything else, not at all. */
static void
release_warm_root (JobBuildContext *self)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker =
      g_mutex_locker_new (&warm_lock);
  int dfd;

  g_assert (warm_root != NULL && warm_root->busy);
  dfd = open (warm_root->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    self->warm_dirty = TRUE;
  for (guint i = self->warm_made->len; dfd >= 0 && i > 0; i--)
    if (unlinkat (dfd, self->warm_made->pdata[i - 1], AT_REMOVEDIR) < 0
        && errno != ENOENT)
      self->warm_dirty = TRUE;
  if (dfd >= 0)
    close (dfd);
  warm_root->busy = FALSE;
  if (self->warm_dirty || warm_root->state == NULL)
    g_clear_pointer (&warm_root, warm_root_destroy);
  self->warm = FALSE;
}

void
job_build_context_drop_kept_root (void)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker =
      g_mutex_locker_new (&warm_lock);

  if (warm_root != NULL && !warm_root->busy)
    g_clear_pointer (&warm_root, warm_root_destroy);
}

/* The root may change outside what the kept root's state says. */
static void
mark_root_private (JobBuildContext *self)
{
  self->warm_dirty = TRUE;
}

/* An entry of the build scope; the strings point into the plan. */
typedef struct
{
  const char *name;
  const char *key;
  GVariant *commands; /* as: integration commands, expanded */
} ScopeEntry;

static void
scope_entry_clear (gpointer data)
{
  ScopeEntry *entry = data;

  g_clear_pointer (&entry->commands, g_variant_unref);
}

static char *
job_build_context_get_reason (JobUnserializable *self)
{
  return g_strdup ("a build context lives in the worker that runs the build");
}

static void
job_build_context_unserializable_init (JobUnserializableInterface *iface)
{
  iface->get_reason = job_build_context_get_reason;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    JobBuildContext,
    job_build_context,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_UNSERIALIZABLE,
                           job_build_context_unserializable_init))

static void
job_build_context_dispose (GObject *object)
{
  JobBuildContext *self = JOB_BUILD_CONTEXT (object);

  if (self->warm)
    release_warm_root (self);
  g_clear_object (&self->element);
  g_clear_object (&self->cache);
  g_clear_object (&self->sandbox);
  g_clear_object (&self->log);
  G_OBJECT_CLASS (job_build_context_parent_class)->dispose (object);
}

static void
job_build_context_finalize (GObject *object)
{
  JobBuildContext *self = JOB_BUILD_CONTEXT (object);

  g_clear_pointer (&self->plan, g_variant_unref);
  g_clear_pointer (&self->at_root, g_array_unref);
  g_clear_pointer (&self->scope, g_array_unref);
  g_ptr_array_unref (self->queued);
  g_clear_pointer (&self->warm_made, g_ptr_array_unref);
  if (self->own_directory != NULL)
    {
      g_autoptr (GError) error = NULL;

      if (!job_file_tree_remove (self->own_directory, &error))
        g_warning ("Cannot remove the build directory %s: %s",
                   self->own_directory, error->message);
      close (self->own_lock_fd);
      g_free (self->own_directory);
    }
  g_free (self->root);
  g_free (self->build_directory);
  g_free (self->install_directory);
  G_OBJECT_CLASS (job_build_context_parent_class)->finalize (object);
}

static void
job_build_context_class_init (JobBuildContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = job_build_context_dispose;
  object_class->finalize = job_build_context_finalize;
}

static void
job_build_context_init (JobBuildContext *self)
{
  self->queued = g_ptr_array_new_with_free_func (g_free);
}

static gboolean
make_directory (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create directory %s: %s", path, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

/* The install directory is made when first needed: an element that
 * collects something else (an import) never makes it. */
static gboolean
ensure_install (JobBuildContext *self, GError **error)
{
  if (self->install_made)
    return TRUE;
  if (!make_directory (self->install_directory, error))
    return FALSE;
  self->install_made = TRUE;
  return TRUE;
}

/* A path inside the sandbox, as a path under the root on the host. */
static char *
host_path (JobBuildContext *self, const char *sandbox_path)
{
  while (*sandbox_path == '/')
    sandbox_path++;
  return g_build_filename (self->root, sandbox_path, NULL);
}

/* Reads the build scope, once, when something needs it: an element that
 * stages nothing (an import) never pays for a scope of thousands. */
static void
ensure_scope (JobBuildContext *self)
{
  g_autoptr (GVariant) scope = NULL;
  GVariantIter iter;
  GVariant *child;
  gsize n;

  if (self->scope != NULL)
    return;
  scope = g_variant_get_child_value (self->plan, 0);
  n = g_variant_n_children (scope);
  self->at_root = g_array_new (FALSE, TRUE, sizeof (gboolean));
  g_array_set_size (self->at_root, n);
  /* By value accessors rather than format strings. */
  self->scope = g_array_sized_new (FALSE, TRUE, sizeof (ScopeEntry), n);
  g_array_set_clear_func (self->scope, scope_entry_clear);
  g_variant_iter_init (&iter, scope);
  while ((child = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr (GVariant) name = g_variant_get_child_value (child, 0);
      g_autoptr (GVariant) key = g_variant_get_child_value (child, 1);
      ScopeEntry entry = { g_variant_get_string (name, NULL),
                           g_variant_get_string (key, NULL),
                           g_variant_get_child_value (child, 2) };

      self->copy_root =
          self->copy_root || g_variant_n_children (entry.commands) > 0;
      g_array_append_val (self->scope, entry);
      g_variant_unref (child);
    }
  /* Integration commands write into the root: copied, and writable. */
  if (self->copy_root)
    job_sandbox_set_root_read_only (self->sandbox, FALSE);
}

/* Makes the sandbox's mount points in the root (they must exist in a
 * read-only root), noting in @made (if not %NULL) each directory it made,
 * relative to the root, parents first. */
static gboolean
make_mount_points (JobBuildContext *self, GPtrArray *made, GError **error)
{
  GVariant *mounts = job_sandbox_get_mounts (self->sandbox);
  GVariantIter iter;
  const char *sandbox_path;

  if (mounts == NULL)
    return TRUE;
  g_variant_iter_init (&iter, mounts);
  while (g_variant_iter_next (&iter, "(&s&s)", &sandbox_path, NULL))
    {
      g_auto (GStrv) parts = g_strsplit (sandbox_path, "/", -1);
      g_autoptr (GString) relative = g_string_new (NULL);

      for (guint i = 0; parts[i] != NULL; i++)
        {
          g_autofree char *full = NULL;

          if (parts[i][0] == '\0' || g_str_equal (parts[i], "."))
            continue;
          if (relative->len > 0)
            g_string_append_c (relative, '/');
          g_string_append (relative, parts[i]);
          full = g_build_filename (self->root, relative->str, NULL);
          if (mkdir (full, 0755) == 0)
            {
              if (made != NULL)
                g_ptr_array_add (made, g_strdup (relative->str));
            }
          else if (errno != EEXIST)
            {
              int errsv = errno;

              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                           "Cannot create directory %s: %s", full,
                           g_strerror (errsv));
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* Makes the root and, in it, the mount points of the sandbox (which must
 * exist in a read-only root), once. */
static gboolean
ensure_root (JobBuildContext *self, GError **error)
{
  if (self->root_made)
    return TRUE;
  ensure_scope (self);
  if (!make_directory (self->root, error))
    return FALSE;
  if (!make_mount_points (self, NULL, error))
    return FALSE;
  self->root_made = TRUE;
  return TRUE;
}

/**
 * job_build_context_new:
 * @element: the element being built
 * @cache: the artifact cache holding the dependencies
 * @staging_plan: (nullable): what the build may stage, of the type
 *   `(a(ssas)a(sau))` described at [ctor@Job.BuildTask.new]; %NULL stages
 *   nothing
 * @directory: (type filename) (nullable): an empty directory for the build;
 *   it receives `root/`, `build/` and `install/`. %NULL makes a new one in
 *   the cache's `build/`, removed with the context (or, should this process
 *   die first, by the next process that opens the cache)
 * @log: (nullable): where the build's output goes
 * @error: return location for a #GError
 *
 * Prepares a build of @element: the directories, and a sandbox with the
 * root read-only, the build directory at `%{build-root}` and the install
 * directory at `%{install-root}`, configured by the element.
 *
 * Returns: (transfer full) (nullable): the context, or %NULL with @error set
 */
JobBuildContext *
job_build_context_new (JobElement *element,
                       JobArtifactCache *cache,
                       GVariant *staging_plan,
                       const char *directory,
                       GOutputStream *log,
                       GError **error)
{
  g_autoptr (JobBuildContext) self = NULL;
  const char *build_root, *install_root;

  g_return_val_if_fail (JOB_IS_ELEMENT (element), NULL);
  g_return_val_if_fail (JOB_IS_ARTIFACT_CACHE (cache), NULL);
  g_return_val_if_fail (
      staging_plan == NULL
          || g_variant_is_of_type (staging_plan,
                                   G_VARIANT_TYPE ("(a(ssas)a(sau))")),
      NULL);

  build_root = job_plugin_get_variable (JOB_PLUGIN (element), "build-root");
  install_root = job_plugin_get_variable (JOB_PLUGIN (element), "install-root");
  if (build_root == NULL || install_root == NULL || build_root[0] != '/'
      || install_root[0] != '/')
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "%s: the variables build-root and install-root must be "
                   "absolute paths",
                   job_plugin_get_name (JOB_PLUGIN (element)));
      return NULL;
    }

  self = g_object_new (JOB_TYPE_BUILD_CONTEXT, NULL);
  if (directory == NULL)
    {
      self->own_directory = job_artifact_cache_make_work_directory (
          cache, "context", &self->own_lock_fd, error);
      if (self->own_directory == NULL)
        return NULL;
      directory = self->own_directory;
    }
  self->element = g_object_ref (element);
  self->cache = g_object_ref (cache);
  self->plan = staging_plan != NULL ? g_variant_ref_sink (staging_plan)
                                    : g_variant_ref_sink (g_variant_new_parsed (
                                        "@(a(ssas)a(sau)) ([], [])"));
  self->root = g_build_filename (directory, "root", NULL);
  self->build_directory = g_build_filename (directory, "build", NULL);
  self->install_directory = g_build_filename (directory, "install", NULL);
  self->log = log != NULL ? g_object_ref (log) : NULL;

  /* The root is made when something needs it (an import never does). */
  if (!make_directory (self->build_directory, error))
    return NULL;

  self->sandbox = job_sandbox_new (self->root);
  /* Read-only unless the element says otherwise or, once the scope is
   * read (ensure_scope()), integration commands need to write there. */
  job_sandbox_set_root_read_only (self->sandbox, TRUE);
  job_sandbox_add_mount (self->sandbox, build_root, self->build_directory);
  job_sandbox_add_mount (self->sandbox, install_root, self->install_directory);
  if (!job_element_configure_sandbox (element, self->sandbox, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * job_build_context_get_element:
 * @self: a #JobBuildContext
 *
 * Gets the element being built.
 *
 * Returns: (transfer none): the element
 */
JobElement *
job_build_context_get_element (JobBuildContext *self)
{
  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), NULL);

  return self->element;
}

/**
 * job_build_context_get_sandbox:
 * @self: a #JobBuildContext
 *
 * Gets the sandbox the element's commands run in.
 *
 * Returns: (transfer none): the sandbox
 */
JobSandbox *
job_build_context_get_sandbox (JobBuildContext *self)
{
  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), NULL);

  /* Whoever runs it needs the root; a failure shows then. */
  ensure_root (self, NULL);
  ensure_install (self, NULL);
  self->root_exposed = TRUE;
  if (self->warm)
    mark_root_private (self);
  return self->sandbox;
}

/**
 * job_build_context_get_root:
 * @self: a #JobBuildContext
 *
 * Gets the host path of the staging root, the sandbox's `/`.
 *
 * Returns: (type filename): the path
 */
const char *
job_build_context_get_root (JobBuildContext *self)
{
  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), NULL);

  /* A failure shows when the root is used. */
  ensure_root (self, NULL);
  self->root_exposed = TRUE;
  if (self->warm)
    mark_root_private (self);
  return self->root;
}

/**
 * job_build_context_get_build_directory:
 * @self: a #JobBuildContext
 *
 * Gets the host path of the build directory, the sandbox's
 * `%{build-root}`, where the sources are staged.
 *
 * Returns: (type filename): the path
 */
const char *
job_build_context_get_build_directory (JobBuildContext *self)
{
  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), NULL);

  return self->build_directory;
}

/**
 * job_build_context_get_install_directory:
 * @self: a #JobBuildContext
 *
 * Gets the host path of the install directory, the sandbox's
 * `%{install-root}`, collected as the artifact by default.
 *
 * Returns: (type filename): the path
 */
const char *
job_build_context_get_install_directory (JobBuildContext *self)
{
  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), NULL);

  /* A failure shows when the directory is used. */
  ensure_install (self, NULL);
  return self->install_directory;
}

/* Stages the whole scope at / in the process's kept root, changing only
 * what differs from the last build's. Returns %FALSE with *@used %FALSE
 * when the kept root does not apply: the root is copied (integration
 * commands) or writable, commands run on the host (which could change
 * it), its path was given out already, or another build holds it. */
static gboolean
stage_warm (JobBuildContext *self,
            GVariant *scope,
            GCancellable *cancellable,
            gboolean *used,
            GError **error)
{
  g_autoptr (JobFileTreeStaged) staged = NULL;
  gsize n = g_variant_n_children (scope);
  g_autofree const char **keys = g_new (const char *, MAX (n, 1));
  WarmRoot *warm;

  *used = FALSE;
  if (self->copy_root || self->root_exposed
      || !job_sandbox_get_root_read_only (self->sandbox)
      || !job_sandbox_resolve_mode (self->sandbox, NULL)
      || job_sandbox_get_effective_mode (self->sandbox)
             != JOB_SANDBOX_MODE_BWRAP)
    return FALSE;
  warm = claim_warm_root (self->cache);
  if (warm == NULL)
    return FALSE;
  *used = TRUE;
  self->warm = TRUE;
  self->warm_made = g_ptr_array_new_with_free_func (g_free);
  g_free (self->root);
  self->root = g_strdup (warm->path);
  job_sandbox_set_root (self->sandbox, self->root);

  for (gsize j = 0; j < n; j++)
    keys[j] = g_array_index (self->scope, ScopeEntry, j).key;
  staged = job_artifact_cache_merge_keys (self->cache, keys, (guint) n,
                                          self->root, cancellable, error);
  if (staged == NULL)
    return FALSE;
  if (!job_file_tree_apply (staged, self->root, JOB_FILE_TREE_HARDLINK,
                            warm->state, cancellable, error))
    {
      /* Half changed: it holds neither state. */
      self->warm_dirty = TRUE;
      return FALSE;
    }
  g_clear_pointer (&warm->state, job_file_tree_staged_free);
  warm->state = g_steal_pointer (&staged);

  /* The mount points, which go again when the build is over. */
  if (!make_mount_points (self, self->warm_made, error))
    {
      self->warm_dirty = TRUE;
      return FALSE;
    }
  self->root_made = TRUE;
  for (gsize j = 0; j < n; j++)
    g_array_index (self->at_root, gboolean, j) = TRUE;
  return TRUE;
}

/* Stages the scope entries @positions (all of them when %NULL) at @dest (a
 * host directory), in order, in one merged pass. */
static gboolean
stage_entries (JobBuildContext *self,
               GVariant *scope,
               const guint32 *positions,
               gsize n,
               const char *dest,
               gboolean at_root,
               GCancellable *cancellable,
               GError **error)
{
  g_autofree const char **keys = g_new (const char *, MAX (n, 1));

  for (gsize j = 0; j < n; j++)
    keys[j] = g_array_index (self->scope, ScopeEntry,
                             positions != NULL ? positions[j] : j)
                  .key;
  if (!job_artifact_cache_stage_keys (self->cache, keys, (guint) n, dest,
                                      !self->copy_root, cancellable, error))
    return FALSE;
  for (gsize j = 0; at_root && j < n; j++)
    g_array_index (self->at_root, gboolean,
                   positions != NULL ? positions[j] : j) = TRUE;
  return TRUE;
}

static gboolean
is_root (const char *path)
{
  while (*path == '/')
    path++;
  return *path == '\0';
}

/**
 * job_build_context_stage_dependencies:
 * @self: a #JobBuildContext
 * @path: where to stage, a path in the sandbox (usually `/`)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Stages every artifact of the build scope (the runtime closure of each
 * build dependency), in staging order, at @path. Files are hard links into
 * the cache where possible (see the class description for when the root is
 * copied instead).
 *
 * Returns: %TRUE on success
 */
gboolean
job_build_context_stage_dependencies (JobBuildContext *self,
                                      const char *path,
                                      GCancellable *cancellable,
                                      GError **error)
{
  g_autofree char *dest = NULL;
  g_autoptr (GVariant) scope = NULL;
  gboolean at_root;

  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  ensure_scope (self);
  at_root = is_root (path);
  scope = g_variant_get_child_value (self->plan, 0);
  if (at_root && !self->root_made)
    {
      gboolean used;
      gboolean ok = stage_warm (self, scope, cancellable, &used, error);

      if (used)
        return ok;
    }
  /* Anything staged beyond the kept root's state makes it this build's. */
  if (self->warm)
    mark_root_private (self);
  dest = host_path (self, path);
  if (!ensure_root (self, error) || !make_directory (dest, error))
    return FALSE;
  return stage_entries (self, scope, NULL, g_variant_n_children (scope), dest,
                        at_root, cancellable, error);
}

/**
 * job_build_context_stage_dependency:
 * @self: a #JobBuildContext
 * @name: the name of a direct build dependency of the element
 * @path: where to stage, a path in the sandbox
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Stages the artifact of the build dependency @name and of everything it
 * needs at run time, in staging order, at @path: what a `script` element's
 * layout asks for.
 *
 * Returns: %TRUE on success; %FALSE with @error set, a
 *   %JOB_PLUGIN_ERROR_CONFIGURATION one if @name is not a direct build
 *   dependency
 */
gboolean
job_build_context_stage_dependency (JobBuildContext *self,
                                    const char *name,
                                    const char *path,
                                    GCancellable *cancellable,
                                    GError **error)
{
  g_autoptr (GVariant) scope = NULL;
  g_autoptr (GVariant) direct = NULL;
  g_autofree char *dest = NULL;
  gboolean at_root;

  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  ensure_scope (self);
  scope = g_variant_get_child_value (self->plan, 0);
  direct = g_variant_get_child_value (self->plan, 1);
  for (gsize i = 0; i < g_variant_n_children (direct); i++)
    {
      const char *direct_name;
      g_autoptr (GVariant) closure = NULL;
      gsize n;
      const guint32 *positions;

      g_variant_get_child (direct, i, "(&s@au)", &direct_name, &closure);
      if (!g_str_equal (direct_name, name))
        continue;
      if (self->warm)
        mark_root_private (self);
      dest = host_path (self, path);
      if (!ensure_root (self, error) || !make_directory (dest, error))
        return FALSE;
      at_root = is_root (path);
      positions = g_variant_get_fixed_array (closure, &n, sizeof (guint32));
      for (gsize j = 0; j < n; j++)
        if (positions[j] >= g_variant_n_children (scope))
          {
            g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                         "The staging plan of %s is damaged: %s names "
                         "artifact %u of %zu",
                         job_plugin_get_name (JOB_PLUGIN (self->element)), name,
                         positions[j], g_variant_n_children (scope));
            return FALSE;
          }
      return stage_entries (self, scope, positions, n, dest, at_root,
                            cancellable, error);
    }
  g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
               "%s: cannot stage %s: it is not a build dependency of the "
               "element; add it to build-depends",
               job_plugin_get_name (JOB_PLUGIN (self->element)), name);
  return FALSE;
}

/**
 * job_build_context_integrate:
 * @self: a #JobBuildContext
 *
 * Queues the integration commands (public `bst` `integration-commands`,
 * expanded with each artifact's own variables) of every artifact staged at
 * `/` so far, in staging order, each artifact's once. They run with the
 * next [method@Job.BuildContext.run_queued], before what is queued after
 * this call.
 *
 * Returns: how many commands were queued
 */
guint
job_build_context_integrate (JobBuildContext *self)
{
  guint n_queued = 0;

  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), 0);

  ensure_scope (self);
  for (gsize i = 0; i < self->at_root->len; i++)
    {
      const ScopeEntry *entry = &g_array_index (self->scope, ScopeEntry, i);
      g_autofree const char **commands = NULL;
      g_autofree char *group = NULL;

      if (!g_array_index (self->at_root, gboolean, i))
        continue;
      /* Each artifact integrates once. */
      g_array_index (self->at_root, gboolean, i) = FALSE;
      if (g_variant_n_children (entry->commands) == 0)
        continue;
      commands = g_variant_get_strv (entry->commands, NULL);
      group = g_strdup_printf ("integration-commands of %s", entry->name);
      job_build_context_queue_commands (self, group, commands);
      n_queued += g_strv_length ((char **) commands);
    }
  return n_queued;
}

/**
 * job_build_context_dup_dependencies:
 * @self: a #JobBuildContext
 *
 * Lists the artifacts of the build scope (what
 * [method@Job.BuildContext.stage_dependencies] stages), in staging order.
 *
 * Returns: (transfer full) (array zero-terminated=1): element names
 */
char **
job_build_context_dup_dependencies (JobBuildContext *self)
{
  char **names;
  gsize n;

  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), NULL);

  ensure_scope (self);
  n = self->scope->len;
  names = g_new0 (char *, n + 1);
  for (gsize i = 0; i < n; i++)
    names[i] = g_strdup (g_array_index (self->scope, ScopeEntry, i).name);
  return names;
}

/* The cache key of @name in the build scope. */
static char *
find_scope_key (JobBuildContext *self, const char *name, GError **error)
{
  ensure_scope (self);
  for (gsize i = 0; i < self->scope->len; i++)
    {
      const ScopeEntry *entry = &g_array_index (self->scope, ScopeEntry, i);

      if (g_str_equal (entry->name, name))
        return g_strdup (entry->key);
    }
  g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
               "%s: %s is not in the build scope of the element",
               job_plugin_get_name (JOB_PLUGIN (self->element)), name);
  return NULL;
}

/**
 * job_build_context_dup_dependency_files:
 * @self: a #JobBuildContext
 * @name: an element of the build scope
 * @error: return location for a #GError
 *
 * Finds the files of the artifact of @name in the cache, to read what it
 * holds (never write there: the cache and every staged root share them).
 *
 * Returns: (transfer full) (nullable) (type filename): the directory, or
 *   %NULL with @error set
 */
char *
job_build_context_dup_dependency_files (JobBuildContext *self,
                                        const char *name,
                                        GError **error)
{
  g_autofree char *key = NULL;
  g_autoptr (GFile) files = NULL;

  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  key = find_scope_key (self, name, error);
  if (key != NULL)
    files = job_artifact_cache_lookup (self->cache, key, error);
  return files != NULL ? g_file_get_path (files) : NULL;
}

/**
 * job_build_context_dup_dependency_public:
 * @self: a #JobBuildContext
 * @name: an element of the build scope
 * @error: return location for a #GError
 *
 * Reads the public data committed with the artifact of @name, for example
 * its `bst` `split-rules`.
 *
 * Returns: (transfer full) (nullable): the public data; %NULL without an
 *   error if the artifact has none, %NULL with @error set on failure
 */
JobNode *
job_build_context_dup_dependency_public (JobBuildContext *self,
                                         const char *name,
                                         GError **error)
{
  g_autofree char *key = NULL;
  g_autofree char *display = NULL;
  g_autoptr (GVariant) data = NULL;
  const char *text;
  gsize len;

  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  key = find_scope_key (self, name, error);
  if (key == NULL)
    return NULL;
  data = job_artifact_cache_get_public_data (self->cache, key, error);
  if (data == NULL)
    return NULL;
  if (!g_variant_is_of_type (data, G_VARIANT_TYPE_STRING))
    {
      g_set_error (error, JOB_CACHE_ERROR, JOB_CACHE_ERROR_CORRUPT,
                   "The public data of %s (artifact %s) is not YAML text; "
                   "remove the artifact and build it again",
                   name, key);
      return NULL;
    }
  text = g_variant_get_string (data, &len);
  display = g_strdup_printf ("public data of %s", name);
  return job_node_load_data (text, len, display, error);
}

/**
 * job_build_context_stage_sources:
 * @self: a #JobBuildContext
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Stages every source of the element into the build directory, each at its
 * [property@Job.Source:directory].
 *
 * Returns: %TRUE on success
 */
gboolean
job_build_context_stage_sources (JobBuildContext *self,
                                 GCancellable *cancellable,
                                 GError **error)
{
  GListModel *sources;

  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), FALSE);

  sources = job_element_get_sources (self->element);
  for (guint i = 0; i < g_list_model_get_n_items (sources); i++)
    {
      g_autoptr (JobSource) source = g_list_model_get_item (sources, i);
      const char *subdir = job_source_get_directory (source);
      g_autofree char *dest = g_build_filename (
          self->build_directory, subdir != NULL ? subdir : "", NULL);

      if (!make_directory (dest, error)
          || !job_source_stage (source, dest, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/**
 * job_build_context_log:
 * @self: a #JobBuildContext
 * @message: a line for the build log
 *
 * Writes a line to the build log.
 */
void
job_build_context_log (JobBuildContext *self, const char *message)
{
  g_autofree char *line = NULL;

  g_return_if_fail (JOB_IS_BUILD_CONTEXT (self));

  if (self->log == NULL)
    return;
  line = g_strdup_printf ("%s\n", message);
  g_output_stream_write_all (self->log, line, strlen (line), NULL, NULL, NULL);
}

/**
 * job_build_context_queue_commands:
 * @self: a #JobBuildContext
 * @group: what the commands are, for the log (`build-commands`, …)
 * @commands: (array zero-terminated=1): shell commands
 *
 * Adds commands to run with the next
 * [method@Job.BuildContext.run_queued]. Queueing every step of an element
 * and running them once starts one sandbox instead of one per command.
 */
void
job_build_context_queue_commands (JobBuildContext *self,
                                  const char *group,
                                  const char *const *commands)
{
  g_return_if_fail (JOB_IS_BUILD_CONTEXT (self));
  g_return_if_fail (group != NULL);

  for (guint i = 0; commands != NULL && commands[i] != NULL; i++)
    {
      g_ptr_array_add (self->queued, g_strdup (group));
      g_ptr_array_add (self->queued, g_strdup (commands[i]));
    }
}

/* 'text' for sh, whatever text holds. */
static void
append_quoted (GString *script, const char *text)
{
  g_string_append_c (script, '\'');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\'')
        g_string_append (script, "'\\''");
      else
        g_string_append_c (script, *p);
    }
  g_string_append_c (script, '\'');
}

static gboolean
is_path_char (char c)
{
  return g_ascii_isalnum (c) || c == '/' || c == '.' || c == '_' || c == '-'
         || c == '+' || c == '~';
}

/* In the host mode commands run without the sandbox's mounts, so the paths
 * the element wrote into them (its %{build-root}, %{install-root}, …) must
 * become the host directories behind those mounts: @text with every mount
 * point that stands as a whole path (or a path's leading part) replaced,
 * longest mount point first. */
static char *
rewrite_for_host (GVariant *mounts, const char *text)
{
  g_autoptr (GString) out = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0')
    {
      const char *best_host = NULL;
      gsize best_len = 0;

      if (*p == '/' && (p == text || !is_path_char (p[-1])))
        {
          GVariantIter iter;
          const char *s, *h;

          g_variant_iter_init (&iter, mounts);
          while (g_variant_iter_next (&iter, "(&s&s)", &s, &h))
            {
              gsize len = strlen (s);

              if (len > best_len && strncmp (p, s, len) == 0
                  && (p[len] == '\0' || p[len] == '/'
                      || !is_path_char (p[len])))
                {
                  best_len = len;
                  best_host = h;
                }
            }
        }
      if (best_host != NULL)
        {
          g_string_append (out, best_host);
          p += best_len;
        }
      else
        g_string_append_c (out, *p++);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Rewrites the queued commands and the environment for the host mode. */
static gboolean
prepare_host_mode (JobBuildContext *self, GPtrArray *queued, GError **error)
{
  GVariant *mounts;
  const char *const *env;
  g_auto (GStrv) new_env = NULL;

  if (!job_sandbox_resolve_mode (self->sandbox, error))
    return FALSE;
  if (job_sandbox_get_effective_mode (self->sandbox) != JOB_SANDBOX_MODE_HOST)
    return TRUE;
  /* Commands on the host could change the root. */
  if (self->warm)
    mark_root_private (self);
  mounts = job_sandbox_get_mounts (self->sandbox);
  if (mounts == NULL)
    return TRUE;

  for (guint i = 1; i < queued->len; i += 2)
    {
      char *rewritten = rewrite_for_host (mounts, queued->pdata[i]);

      g_free (queued->pdata[i]);
      queued->pdata[i] = rewritten;
    }
  env = job_sandbox_get_env (self->sandbox);
  new_env = g_new0 (char *, env != NULL ? g_strv_length ((GStrv) env) + 1 : 1);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    new_env[i] = rewrite_for_host (mounts, env[i]);
  job_sandbox_set_env (self->sandbox, (const char *const *) new_env);
  return TRUE;
}

/**
 * job_build_context_run_queued:
 * @self: a #JobBuildContext
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Runs the queued commands in one sandbox, in order, each with `sh -e -c`
 * in the sandbox's working directory, their output going to the build log.
 * The first one that fails stops the build, and the error names it. The
 * queue is empty afterwards.
 *
 * When the sandbox runs on the host (see [enum@Job.SandboxMode]), the
 * sandbox paths of its mounts (`%{build-root}`, `%{install-root}`, …) that
 * appear as whole paths in the commands and in the environment are replaced
 * by their host directories first, so the same commands work in both modes.
 *
 * Returns: %TRUE if every command exited with status 0
 */
gboolean
job_build_context_run_queued (JobBuildContext *self,
                              GCancellable *cancellable,
                              GError **error)
{
  g_autoptr (GPtrArray) queued = NULL;
  g_autoptr (GString) script = NULL;
  g_autofree char *status_host = NULL, *status_sandbox = NULL, *status = NULL;
  const char *build_root;
  const char *argv[] = { "sh", "-c", NULL, NULL };
  int exit_status = 0;
  guint failed = 0;
  int command_status = 0;

  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), FALSE);

  queued = g_steal_pointer (&self->queued);
  self->queued = g_ptr_array_new_with_free_func (g_free);
  if (queued->len == 0)
    return TRUE;

  /* Which command failed, written where the host can read it back: the
   * build directory, which is never collected. */
  build_root =
      job_plugin_get_variable (JOB_PLUGIN (self->element), "build-root");
  status_host =
      g_build_filename (self->build_directory, ".libjob-status", NULL);
  g_unlink (status_host);
  if (!ensure_root (self, error) || !ensure_install (self, error)
      || !prepare_host_mode (self, queued, error))
    return FALSE;
  {
    g_autofree char *in_sandbox =
        g_build_filename (build_root, ".libjob-status", NULL);

    status_sandbox =
        job_sandbox_get_command_path (self->sandbox, in_sandbox, error);
    if (status_sandbox == NULL)
      return FALSE;
  }

  /* Each command runs as `sh -e -c` would run it, in a subshell with -e
   * (not an exec of a new shell per command). The subshell stands alone in
   * its list: in an AND-OR list -e would be ignored inside it. eval makes a
   * syntax error that command's failure rather than the whole script's. */
  script = g_string_new (NULL);
  for (guint i = 0; i < queued->len; i += 2)
    {
      g_string_append (script, "printf 'Running %s: %s\\n' ");
      append_quoted (script, queued->pdata[i]);
      g_string_append_c (script, ' ');
      append_quoted (script, queued->pdata[i + 1]);
      g_string_append (script, "\n(set -e; eval ");
      append_quoted (script, queued->pdata[i + 1]);
      g_string_append_printf (
          script,
          ")\n_libjob_status=$?\n"
          "[ $_libjob_status -eq 0 ] || { echo \"%u $_libjob_status\" > ",
          i / 2 + 1);
      append_quoted (script, status_sandbox);
      g_string_append (script, "; exit $_libjob_status; }\n");
    }
  argv[2] = script->str;

  if (!job_sandbox_run (self->sandbox, argv, self->log, cancellable,
                        &exit_status, error))
    return FALSE;
  if (exit_status == 0)
    return TRUE;

  if (g_file_get_contents (status_host, &status, NULL, NULL)
      && sscanf (status, "%u %d", &failed, &command_status) == 2 && failed >= 1
      && 2 * failed <= queued->len)
    {
      g_unlink (status_host);
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                   "%s: %s failed with exit status %d: %s",
                   job_plugin_get_name (JOB_PLUGIN (self->element)),
                   (char *) queued->pdata[2 * (failed - 1)], command_status,
                   (char *) queued->pdata[2 * (failed - 1) + 1]);
      return FALSE;
    }
  g_set_error (
      error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
      "%s: the sandbox exited with status %d before its commands finished",
      job_plugin_get_name (JOB_PLUGIN (self->element)), exit_status);
  return FALSE;
}

/**
 * job_build_context_run_commands:
 * @self: a #JobBuildContext
 * @group: what the commands are, for the log (`build-commands`, …)
 * @commands: (array zero-terminated=1): shell commands
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Runs commands at once, after anything already queued: see
 * [method@Job.BuildContext.run_queued].
 *
 * Returns: %TRUE if every command exited with status 0
 */
gboolean
job_build_context_run_commands (JobBuildContext *self,
                                const char *group,
                                const char *const *commands,
                                GCancellable *cancellable,
                                GError **error)
{
  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), FALSE);

  job_build_context_queue_commands (self, group, commands);
  return job_build_context_run_queued (self, cancellable, error);
}

/**
 * job_build_context_copy_files:
 * @self: a #JobBuildContext
 * @source_dir: (type filename): a host directory
 * @dest_dir: (type filename): a host directory, made if missing
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Copies the contents of @source_dir into @dest_dir, merging with what is
 * there: symbolic links stay links, modes and times are kept.
 *
 * Returns: %TRUE on success
 */
gboolean
job_build_context_copy_files (JobBuildContext *self,
                              const char *source_dir,
                              const char *dest_dir,
                              GCancellable *cancellable,
                              GError **error)
{
  g_return_val_if_fail (JOB_IS_BUILD_CONTEXT (self), FALSE);
  g_return_val_if_fail (source_dir != NULL && dest_dir != NULL, FALSE);

  return make_directory (dest_dir, error)
         && job_file_tree_copy (source_dir, dest_dir, 0, cancellable, error);
}
