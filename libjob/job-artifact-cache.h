/* job-artifact-cache.h: a content-addressed store of build artifacts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-artifact-commit.h"
#include "job-version-macros.h"

G_BEGIN_DECLS

/**
 * JOB_CACHE_ERROR:
 *
 * The error domain of the artifact cache. Codes are in
 * [error@Job.CacheError].
 */
#define JOB_CACHE_ERROR (job_cache_error_quark ())

/**
 * JobCacheError:
 * @JOB_CACHE_ERROR_FAILED: an I/O operation on the cache failed; the message
 *   names the path and the system error
 * @JOB_CACHE_ERROR_NOT_FOUND: the cache has no artifact under that key
 * @JOB_CACHE_ERROR_CORRUPT: an artifact's directory exists but is damaged
 *   (its files or metadata are missing or unreadable); remove it with
 *   [method@Job.ArtifactCache.remove] and build it again
 * @JOB_CACHE_ERROR_NO_SPACE: the file system ran out of space (or quota);
 *   nothing partial became visible in the cache
 * @JOB_CACHE_ERROR_INVALID_KEY: the key is not a SHA-256 checksum written as
 *   64 lowercase hexadecimal digits
 * @JOB_CACHE_ERROR_CONFLICT: staging or checking out an artifact would
 *   replace a directory with a file or the other way round
 *
 * The error codes of %JOB_CACHE_ERROR.
 */
typedef enum
{
  JOB_CACHE_ERROR_FAILED,
  JOB_CACHE_ERROR_NOT_FOUND,
  JOB_CACHE_ERROR_CORRUPT,
  JOB_CACHE_ERROR_NO_SPACE,
  JOB_CACHE_ERROR_INVALID_KEY,
  JOB_CACHE_ERROR_CONFLICT,
} JobCacheError;

JOB_AVAILABLE_IN_ALL
GQuark job_cache_error_quark (void);

#define JOB_TYPE_ARTIFACT_CACHE (job_artifact_cache_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (
    JobArtifactCache, job_artifact_cache, JOB, ARTIFACT_CACHE, GObject)

JOB_AVAILABLE_IN_ALL
JobArtifactCache *job_artifact_cache_new (const char *root,
                                          GCancellable *cancellable,
                                          GError **error);
JOB_AVAILABLE_IN_ALL
const char *job_artifact_cache_get_root (JobArtifactCache *self);
JOB_AVAILABLE_IN_ALL
gboolean job_artifact_cache_is_valid_key (const char *key);
JOB_AVAILABLE_IN_ALL
gboolean job_artifact_cache_contains (JobArtifactCache *self, const char *key);
JOB_AVAILABLE_IN_ALL
GFile *job_artifact_cache_lookup (JobArtifactCache *self,
                                  const char *key,
                                  GError **error);
JOB_AVAILABLE_IN_ALL
GKeyFile *job_artifact_cache_get_metadata (JobArtifactCache *self,
                                           const char *key,
                                           GError **error);
JOB_AVAILABLE_IN_ALL
GVariant *job_artifact_cache_get_public_data (JobArtifactCache *self,
                                              const char *key,
                                              GError **error);
JOB_AVAILABLE_IN_ALL
char *job_artifact_cache_get_log_path (JobArtifactCache *self,
                                       const char *element_name,
                                       const char *key,
                                       GError **error);
JOB_AVAILABLE_IN_ALL
JobArtifactCommit *job_artifact_cache_begin_commit (JobArtifactCache *self,
                                                    const char *key,
                                                    GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_artifact_cache_checkout (JobArtifactCache *self,
                                      const char *key,
                                      const char *dest_dir,
                                      GCancellable *cancellable,
                                      GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_artifact_cache_stage (JobArtifactCache *self,
                                   const char *key,
                                   const char *dest_dir,
                                   GCancellable *cancellable,
                                   GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_artifact_cache_remove (JobArtifactCache *self,
                                    const char *key,
                                    GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_artifact_cache_copy_artifact (JobArtifactCache *self,
                                           JobArtifactCache *from,
                                           const char *key,
                                           GCancellable *cancellable,
                                           GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_artifact_cache_prune (JobArtifactCache *self,
                                   guint64 quota,
                                   const char *const *keep,
                                   guint *n_removed,
                                   guint64 *size,
                                   GError **error);

G_END_DECLS
