/* job-loader.h: loading elements and their dependency graph
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-artifact-cache.h"
#include "job-element-spec.h"
#include "job-project.h"
#include "job-version-macros.h"

G_BEGIN_DECLS

/**
 * JobDeps:
 * @JOB_DEPS_NONE: the targets only
 * @JOB_DEPS_PLAN: everything needed to build the targets, in an order in
 *   which they can be built
 * @JOB_DEPS_RUN: the targets and everything they need at run time
 *   (runtime dependencies, recursively)
 * @JOB_DEPS_BUILD: what must be staged to build the targets: their build
 *   dependencies and everything those need at run time, not the targets
 * @JOB_DEPS_ALL: the targets and all their dependencies, recursively
 *
 * Which elements [method@Job.Loader.list_dependencies] lists, as
 * `job show --deps` (and `bst show --deps`) does.
 */
typedef enum
{
  JOB_DEPS_NONE,
  JOB_DEPS_PLAN,
  JOB_DEPS_RUN,
  JOB_DEPS_BUILD,
  JOB_DEPS_ALL,
} JobDeps;

#define JOB_TYPE_LOADER (job_loader_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (JobLoader, job_loader, JOB, LOADER, GObject)

JOB_AVAILABLE_IN_ALL
JobLoader *job_loader_new (JobProject *project);
JOB_AVAILABLE_IN_ALL
JobProject *job_loader_get_project (JobLoader *self);
JOB_AVAILABLE_IN_ALL
void job_loader_set_cache (JobLoader *self, JobArtifactCache *cache);
JOB_AVAILABLE_IN_ALL
gboolean job_loader_load (JobLoader *self,
                          const char *const *targets,
                          GCancellable *cancellable,
                          GError **error);
JOB_AVAILABLE_IN_ALL
void job_loader_load_async (JobLoader *self,
                            const char *const *targets,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data);
JOB_AVAILABLE_IN_ALL
gboolean
job_loader_load_finish (JobLoader *self, GAsyncResult *result, GError **error);
JOB_AVAILABLE_IN_ALL
JobElementSpec *job_loader_get_element (JobLoader *self, const char *name);
JOB_AVAILABLE_IN_ALL
JobProject *job_loader_get_element_project (JobLoader *self, const char *name);
JOB_AVAILABLE_IN_ALL
GListModel *job_loader_dup_junction_sources (JobLoader *self,
                                             const char *name,
                                             GError **error);
JOB_AVAILABLE_IN_ALL
guint job_loader_get_n_elements (JobLoader *self);
JOB_AVAILABLE_IN_ALL
GListModel *job_loader_list_dependencies (JobLoader *self,
                                          const char *const *targets,
                                          JobDeps deps,
                                          GError **error);

G_END_DECLS
