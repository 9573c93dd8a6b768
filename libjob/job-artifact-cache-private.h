/* job-artifact-cache-private.h: internals shared by the artifact cache files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "job-artifact-cache.h"

G_BEGIN_DECLS

typedef enum
{
  /* Copy every file (reflinking where the file system can). */
  JOB_FILE_TREE_COPY = 0,
  /* Hardlink regular files, copying those that cannot be linked. */
  JOB_FILE_TREE_HARDLINK = 1 << 0,
} JobFileTreeFlags;

/* Copies the contents of @source_dir into @dest_dir (which must exist),
 * merging with what is there: symlinks stay symlinks, modes, mtimes and
 * (as root) owners are kept. */
gboolean job_file_tree_copy (const char *source_dir,
                             const char *dest_dir,
                             JobFileTreeFlags flags,
                             GCancellable *cancellable,
                             GError **error);

/* Copies the regular file @source to @dest (replaced), with its mode,
 * times and (as root) owner. */
gboolean
job_file_tree_copy_file (const char *source, const char *dest, GError **error);

/* What an artifact's tree holds, read once: see job-file-tree.c. */
typedef struct _JobFileTreeManifest JobFileTreeManifest;

JobFileTreeManifest *job_file_tree_manifest_read (const char *dir,
                                                  GError **error);
JobFileTreeManifest *job_file_tree_manifest_ref (JobFileTreeManifest *manifest);
void job_file_tree_manifest_unref (JobFileTreeManifest *manifest);
guint job_file_tree_manifest_get_size (JobFileTreeManifest *manifest);

/* The result of merging manifests: what a directory holds once they are
 * staged, and where each file comes from. */
typedef struct _JobFileTreeStaged JobFileTreeStaged;

/* Merges @manifests in staging order; @dest_dir is only for messages. */
JobFileTreeStaged *job_file_tree_merge (JobFileTreeManifest *const *manifests,
                                        const char *const *roots,
                                        guint n,
                                        const char *dest_dir,
                                        GCancellable *cancellable,
                                        GError **error);
/* Makes @dest_dir hold @staged: from scratch, or, when @previous is what
 * it holds, by changing only what differs (and the metadata of the
 * directories whose contents change). */
gboolean job_file_tree_apply (JobFileTreeStaged *staged,
                              const char *dest_dir,
                              JobFileTreeFlags flags,
                              JobFileTreeStaged *previous,
                              GCancellable *cancellable,
                              GError **error);
void job_file_tree_staged_free (JobFileTreeStaged *staged);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (JobFileTreeStaged, job_file_tree_staged_free)

/* Removes @path and everything below it; a missing @path is not an error. */
gboolean job_file_tree_remove (const char *path, GError **error);

/* Sets @error from @saved_errno: %JOB_CACHE_ERROR_NO_SPACE for ENOSPC and
 * EDQUOT, %JOB_CACHE_ERROR_FAILED otherwise. Always returns %FALSE. */
gboolean job_cache_set_errno_error (GError **error,
                                    int saved_errno,
                                    const char *what,
                                    const char *path);

/* The cache in @root for a build in a worker: opened once per process and
 * directory and reused while its directories exist (opening one removes
 * stale staging directories, which the parent has done already). */
JobArtifactCache *job_artifact_cache_open_shared (const char *root,
                                                  GCancellable *cancellable,
                                                  GError **error);

/* Stages the artifacts @keys, in order, into @dest_dir (made when missing)
 * as job_artifact_cache_stage() (@hardlink) or job_artifact_cache_checkout()
 * one after the other would, in one merged pass: see job-file-tree.c. */
gboolean job_artifact_cache_stage_keys (JobArtifactCache *self,
                                        const char *const *keys,
                                        guint n_keys,
                                        const char *dest_dir,
                                        gboolean hardlink,
                                        GCancellable *cancellable,
                                        GError **error);

/* The merge of the artifacts @keys, for job_file_tree_apply(). */
JobFileTreeStaged *job_artifact_cache_merge_keys (JobArtifactCache *self,
                                                  const char *const *keys,
                                                  guint n_keys,
                                                  const char *dest_dir,
                                                  GCancellable *cancellable,
                                                  GError **error);

/* job_artifact_cache_get_log_path() without making the directory: the
 * build makes it if it logs anything. */
char *job_artifact_cache_build_log_path (JobArtifactCache *self,
                                         const char *element_name,
                                         const char *key);

/* A new directory for a build or a kept root in the cache's build/, locked
 * through @lock_fd for as long as the caller keeps it open; one left by a
 * process that died is removed when a cache is next opened. */
char *job_artifact_cache_make_work_directory (JobArtifactCache *self,
                                              const char *prefix,
                                              int *lock_fd,
                                              GError **error);

JobArtifactCommit *job_artifact_commit_new (JobArtifactCache *cache,
                                            const char *key,
                                            const char *staging_path,
                                            int lock_fd);

G_END_DECLS
