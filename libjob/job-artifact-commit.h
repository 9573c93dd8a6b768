/* job-artifact-commit.h: one artifact being written into the cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-version-macros.h"

G_BEGIN_DECLS

#define JOB_TYPE_ARTIFACT_COMMIT (job_artifact_commit_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (
    JobArtifactCommit, job_artifact_commit, JOB, ARTIFACT_COMMIT, GObject)

JOB_AVAILABLE_IN_ALL
const char *job_artifact_commit_get_key (JobArtifactCommit *self);
JOB_AVAILABLE_IN_ALL
const char *job_artifact_commit_get_files_path (JobArtifactCommit *self);
JOB_AVAILABLE_IN_ALL
void job_artifact_commit_set_element_name (JobArtifactCommit *self,
                                           const char *element_name);
JOB_AVAILABLE_IN_ALL
void job_artifact_commit_set_log_path (JobArtifactCommit *self,
                                       const char *log_path);
JOB_AVAILABLE_IN_ALL
void job_artifact_commit_set_public_data (JobArtifactCommit *self,
                                          GVariant *public_data);
JOB_AVAILABLE_IN_ALL
gboolean job_artifact_commit_take_directory (JobArtifactCommit *self,
                                             const char *source_dir,
                                             GCancellable *cancellable,
                                             GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_artifact_commit_import_directory (JobArtifactCommit *self,
                                               const char *source_dir,
                                               GCancellable *cancellable,
                                               GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_artifact_commit_commit (JobArtifactCommit *self, GError **error);
JOB_AVAILABLE_IN_ALL
void job_artifact_commit_abort (JobArtifactCommit *self);

G_END_DECLS
