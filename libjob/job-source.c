/* job-source.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-artifact-cache-private.h"
#include "job-source.h"

/**
 * JobSource:
 *
 * The base class of source plugins (`local`, `tar`, `git`, …).
 *
 * A source provides files to stage into an element's build directory. What
 * it provides exactly is its *ref* (a checksum, a commit): a source with a
 * ref is reproducible, and its unique key (part of the element's cache key)
 * includes the ref. Sources that fetch keep what they fetched under
 * [property@Job.Source:cache-directory], so a worker can stage it without
 * fetching again.
 */

typedef struct
{
  char *directory;
  char *cache_directory;
} JobSourcePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (JobSource, job_source, JOB_TYPE_PLUGIN)

enum
{
  PROP_0,
  PROP_DIRECTORY,
  PROP_CACHE_DIRECTORY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
job_source_finalize (GObject *object)
{
  JobSourcePrivate *priv =
      job_source_get_instance_private (JOB_SOURCE (object));

  g_free (priv->directory);
  g_free (priv->cache_directory);
  G_OBJECT_CLASS (job_source_parent_class)->finalize (object);
}

static void
job_source_get_property (GObject *object,
                         guint prop_id,
                         GValue *value,
                         GParamSpec *pspec)
{
  JobSourcePrivate *priv =
      job_source_get_instance_private (JOB_SOURCE (object));

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_string (value, priv->directory);
      break;
    case PROP_CACHE_DIRECTORY:
      g_value_set_string (value, priv->cache_directory);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_source_set_property (GObject *object,
                         guint prop_id,
                         const GValue *value,
                         GParamSpec *pspec)
{
  JobSourcePrivate *priv =
      job_source_get_instance_private (JOB_SOURCE (object));

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_free (priv->directory);
      priv->directory = g_value_dup_string (value);
      break;
    case PROP_CACHE_DIRECTORY:
      g_free (priv->cache_directory);
      priv->cache_directory = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
job_source_real_is_cached (JobSource *self)
{
  return TRUE;
}

static gboolean
job_source_real_fetch (JobSource *self,
                       GCancellable *cancellable,
                       GError **error)
{
  return TRUE;
}

static char *
job_source_real_get_ref (JobSource *self)
{
  return NULL;
}

static void
job_source_real_set_ref (JobSource *self, const char *ref)
{
}

static char *
job_source_real_track (JobSource *self,
                       GCancellable *cancellable,
                       GError **error)
{
  return job_source_get_ref (self);
}

static gboolean
job_source_real_stage (JobSource *self,
                       const char *directory,
                       GCancellable *cancellable,
                       GError **error)
{
  g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
               "Source kind “%s” does not implement stage()",
               job_plugin_get_kind (JOB_PLUGIN (self)));
  return FALSE;
}

static void
job_source_class_init (JobSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_source_finalize;
  object_class->get_property = job_source_get_property;
  object_class->set_property = job_source_set_property;

  klass->is_cached = job_source_real_is_cached;
  klass->fetch = job_source_real_fetch;
  klass->stage = job_source_real_stage;
  klass->get_ref = job_source_real_get_ref;
  klass->set_ref = job_source_real_set_ref;
  klass->track = job_source_real_track;

  /**
   * JobSource:directory:
   *
   * Where in the build directory the source stages its files, relative to
   * the build directory's root (the source's `directory` key).
   */
  properties[PROP_DIRECTORY] =
      g_param_spec_string ("directory", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * JobSource:cache-directory:
   *
   * Where the source keeps what it fetched, shared by every source of its
   * kind.
   */
  properties[PROP_CACHE_DIRECTORY] =
      g_param_spec_string ("cache-directory", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_source_init (JobSource *self)
{
}

/**
 * job_source_get_directory:
 * @self: a #JobSource
 *
 * Gets where the source stages its files, relative to the build directory.
 *
 * Returns: (nullable) (type filename): the directory, or %NULL for the root
 */
const char *
job_source_get_directory (JobSource *self)
{
  JobSourcePrivate *priv = job_source_get_instance_private (self);

  g_return_val_if_fail (JOB_IS_SOURCE (self), NULL);

  return priv->directory;
}

/**
 * job_source_get_cache_directory:
 * @self: a #JobSource
 *
 * Gets where the source keeps what it fetched.
 *
 * Returns: (nullable) (type filename): the directory
 */
const char *
job_source_get_cache_directory (JobSource *self)
{
  JobSourcePrivate *priv = job_source_get_instance_private (self);

  g_return_val_if_fail (JOB_IS_SOURCE (self), NULL);

  return priv->cache_directory;
}

/**
 * job_source_is_cached:
 * @self: a #JobSource
 *
 * Whether the source's content is available without fetching.
 *
 * Returns: %TRUE if it is
 */
gboolean
job_source_is_cached (JobSource *self)
{
  g_return_val_if_fail (JOB_IS_SOURCE (self), FALSE);

  return JOB_SOURCE_GET_CLASS (self)->is_cached (self);
}

/**
 * job_source_fetch:
 * @self: a #JobSource
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Fetches the source's content into its cache directory.
 *
 * Returns: %TRUE on success
 */
gboolean
job_source_fetch (JobSource *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (JOB_IS_SOURCE (self), FALSE);

  return JOB_SOURCE_GET_CLASS (self)->fetch (self, cancellable, error);
}

/**
 * job_source_stage:
 * @self: a #JobSource
 * @directory: the directory to stage into (the build directory joined
 *   with [property@Job.Source:directory]); a UTF-8 string, not a
 *   `filename`, because PyGObject 3.42 passes `filename` arguments of
 *   virtual methods to Python implementations as `None`
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Copies the source's content into @directory.
 *
 * Returns: %TRUE on success
 */
gboolean
job_source_stage (JobSource *self,
                  const char *directory,
                  GCancellable *cancellable,
                  GError **error)
{
  g_return_val_if_fail (JOB_IS_SOURCE (self), FALSE);
  g_return_val_if_fail (directory != NULL, FALSE);

  return JOB_SOURCE_GET_CLASS (self)->stage (self, directory, cancellable,
                                             error);
}

/**
 * job_source_get_ref:
 * @self: a #JobSource
 *
 * Gets the source's ref.
 *
 * Returns: (transfer full) (nullable): the ref, or %NULL if there is none
 */
char *
job_source_get_ref (JobSource *self)
{
  g_return_val_if_fail (JOB_IS_SOURCE (self), NULL);

  return JOB_SOURCE_GET_CLASS (self)->get_ref (self);
}

/**
 * job_source_set_ref:
 * @self: a #JobSource
 * @ref: (nullable): the new ref
 *
 * Sets the source's ref, in this instance only: the element's file keeps
 * the old one, and a [class@Job.Scheduler] that computed cache keys before
 * does not recompute them (call [method@Job.Scheduler.prepare] again).
 */
void
job_source_set_ref (JobSource *self, const char *ref)
{
  g_return_if_fail (JOB_IS_SOURCE (self));

  JOB_SOURCE_GET_CLASS (self)->set_ref (self, ref);
}

/**
 * job_source_track:
 * @self: a #JobSource
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Finds the newest ref the source could have (the tip of a branch, say).
 *
 * Returns: (transfer full) (nullable): the new ref, or %NULL with @error set
 */
char *
job_source_track (JobSource *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (JOB_IS_SOURCE (self), NULL);

  return JOB_SOURCE_GET_CLASS (self)->track (self, cancellable, error);
}

/**
 * job_source_stage_directory:
 * @self: a #JobSource
 * @host_dir: (type filename): a directory of fetched or local content
 * @directory: (type filename): the staging directory given to
 *   [vfunc@Job.Source.stage]
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Copies the contents of @host_dir into @directory, for implementations of
 * [vfunc@Job.Source.stage]: symbolic links stay links, modes and times are
 * kept, and what is already in @directory is merged with.
 *
 * Returns: %TRUE on success
 */
gboolean
job_source_stage_directory (JobSource *self,
                            const char *host_dir,
                            const char *directory,
                            GCancellable *cancellable,
                            GError **error)
{
  g_return_val_if_fail (JOB_IS_SOURCE (self), FALSE);
  g_return_val_if_fail (host_dir != NULL && directory != NULL, FALSE);

  return job_file_tree_copy (host_dir, directory, 0, cancellable, error);
}
