/* job-build-context.h: one element's build in progress, in a worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-artifact-cache.h"
#include "job-element.h"
#include "job-sandbox.h"

G_BEGIN_DECLS

#define JOB_TYPE_BUILD_CONTEXT (job_build_context_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (
    JobBuildContext, job_build_context, JOB, BUILD_CONTEXT, GObject)

JOB_AVAILABLE_IN_ALL
JobBuildContext *job_build_context_new (JobElement *element,
                                        JobArtifactCache *cache,
                                        GVariant *staging_plan,
                                        const char *directory,
                                        GOutputStream *log,
                                        GError **error);
JOB_AVAILABLE_IN_ALL
JobElement *job_build_context_get_element (JobBuildContext *self);
JOB_AVAILABLE_IN_ALL
JobSandbox *job_build_context_get_sandbox (JobBuildContext *self);
JOB_AVAILABLE_IN_ALL
const char *job_build_context_get_root (JobBuildContext *self);
JOB_AVAILABLE_IN_ALL
const char *job_build_context_get_build_directory (JobBuildContext *self);
JOB_AVAILABLE_IN_ALL
const char *job_build_context_get_install_directory (JobBuildContext *self);
JOB_AVAILABLE_IN_ALL
gboolean job_build_context_stage_dependencies (JobBuildContext *self,
                                               const char *path,
                                               GCancellable *cancellable,
                                               GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_build_context_stage_dependency (JobBuildContext *self,
                                             const char *name,
                                             const char *path,
                                             GCancellable *cancellable,
                                             GError **error);
JOB_AVAILABLE_IN_ALL
guint job_build_context_integrate (JobBuildContext *self);
JOB_AVAILABLE_IN_ALL
char **job_build_context_dup_dependencies (JobBuildContext *self);
JOB_AVAILABLE_IN_ALL
char *job_build_context_dup_dependency_files (JobBuildContext *self,
                                              const char *name,
                                              GError **error);
JOB_AVAILABLE_IN_ALL
JobNode *job_build_context_dup_dependency_public (JobBuildContext *self,
                                                  const char *name,
                                                  GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_build_context_stage_sources (JobBuildContext *self,
                                          GCancellable *cancellable,
                                          GError **error);
JOB_AVAILABLE_IN_ALL
void job_build_context_queue_commands (JobBuildContext *self,
                                       const char *group,
                                       const char *const *commands);
JOB_AVAILABLE_IN_ALL
gboolean job_build_context_run_queued (JobBuildContext *self,
                                       GCancellable *cancellable,
                                       GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_build_context_run_commands (JobBuildContext *self,
                                         const char *group,
                                         const char *const *commands,
                                         GCancellable *cancellable,
                                         GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_build_context_copy_files (JobBuildContext *self,
                                       const char *source_dir,
                                       const char *dest_dir,
                                       GCancellable *cancellable,
                                       GError **error);
JOB_AVAILABLE_IN_ALL
void job_build_context_log (JobBuildContext *self, const char *message);

G_END_DECLS
