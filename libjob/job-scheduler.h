/* job-scheduler.h: building a loaded project in dependency order
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-artifact-cache.h"
#include "job-backend.h"
#include "job-element.h"
#include "job-loader.h"
#include "job-plugin-registry.h"

G_BEGIN_DECLS

/**
 * JobOnError:
 * @JOB_ON_ERROR_QUIT: start nothing new, let running jobs finish
 * @JOB_ON_ERROR_CONTINUE: go on with everything that does not depend on
 *   the failed element
 * @JOB_ON_ERROR_TERMINATE: cancel running jobs too
 *
 * What the scheduler does when a job fails.
 */
typedef enum
{
  JOB_ON_ERROR_QUIT,
  JOB_ON_ERROR_CONTINUE,
  JOB_ON_ERROR_TERMINATE,
} JobOnError;

/**
 * JobElementState:
 * @JOB_ELEMENT_STATE_CACHED: its artifact is in the cache
 * @JOB_ELEMENT_STATE_BUILDABLE: every artifact it needs is cached: it can
 *   be built now
 * @JOB_ELEMENT_STATE_WAITING: it waits for dependencies to be built
 *
 * Where an element stands, as `job show` prints it.
 */
typedef enum
{
  JOB_ELEMENT_STATE_CACHED,
  JOB_ELEMENT_STATE_BUILDABLE,
  JOB_ELEMENT_STATE_WAITING,
} JobElementState;

#define JOB_TYPE_SCHEDULER (job_scheduler_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (JobScheduler, job_scheduler, JOB, SCHEDULER, GObject)

JOB_AVAILABLE_IN_ALL
JobScheduler *job_scheduler_new (JobLoader *loader,
                                 JobArtifactCache *cache,
                                 JobBackend *backend);
JOB_AVAILABLE_IN_ALL
gboolean job_scheduler_prepare (JobScheduler *self,
                                const char *const *targets,
                                GError **error);
JOB_AVAILABLE_IN_ALL
JobElement *job_scheduler_get_element (JobScheduler *self, const char *name);
JOB_AVAILABLE_IN_ALL
const char *job_scheduler_get_cache_key (JobScheduler *self, const char *name);
JOB_AVAILABLE_IN_ALL
JobElementState job_scheduler_get_state (JobScheduler *self, const char *name);
JOB_AVAILABLE_IN_ALL
char *job_scheduler_get_log_path (JobScheduler *self, const char *name);
JOB_AVAILABLE_IN_ALL
void job_scheduler_build_async (JobScheduler *self,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
JOB_AVAILABLE_IN_ALL
gboolean job_scheduler_build_finish (JobScheduler *self,
                                     GAsyncResult *result,
                                     GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_scheduler_build (JobScheduler *self,
                              GCancellable *cancellable,
                              GError **error);
JOB_AVAILABLE_IN_ALL
GVariant *job_scheduler_make_staging_plan (JobScheduler *self,
                                           const char *name,
                                           JobDeps scope);
JOB_AVAILABLE_IN_ALL
JobTask *job_scheduler_make_task (JobScheduler *self, const char *name);
JOB_AVAILABLE_IN_ALL
char **job_scheduler_dup_elements (JobScheduler *self);
JOB_AVAILABLE_IN_ALL
char **job_scheduler_dup_failed (JobScheduler *self);

JOB_AVAILABLE_IN_ALL
void job_scheduler_fetch_async (JobScheduler *self,
                                const char *const *elements,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
JOB_AVAILABLE_IN_ALL
gboolean job_scheduler_fetch_finish (JobScheduler *self,
                                     GAsyncResult *result,
                                     GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_scheduler_fetch (JobScheduler *self,
                              const char *const *elements,
                              GCancellable *cancellable,
                              GError **error);

G_END_DECLS
