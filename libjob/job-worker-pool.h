/* job-worker-pool.h: a backend that runs tasks in worker processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-backend.h"
#include "job-version-macros.h"

G_BEGIN_DECLS

#define JOB_TYPE_WORKER_POOL (job_worker_pool_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (JobWorkerPool, job_worker_pool, JOB, WORKER_POOL, GObject)

JOB_AVAILABLE_IN_ALL
JobWorkerPool *job_worker_pool_new (void);
JOB_AVAILABLE_IN_ALL
guint job_worker_pool_get_max_workers (JobWorkerPool *self);
JOB_AVAILABLE_IN_ALL
void job_worker_pool_set_max_workers (JobWorkerPool *self, guint max_workers);
JOB_AVAILABLE_IN_ALL
double job_worker_pool_get_idle_timeout (JobWorkerPool *self);
JOB_AVAILABLE_IN_ALL
void job_worker_pool_set_idle_timeout (JobWorkerPool *self,
                                       double idle_timeout);
JOB_AVAILABLE_IN_ALL
double job_worker_pool_get_task_timeout (JobWorkerPool *self);
JOB_AVAILABLE_IN_ALL
void job_worker_pool_set_task_timeout (JobWorkerPool *self,
                                       double task_timeout);
JOB_AVAILABLE_IN_ALL
const char *const *job_worker_pool_get_env_allowlist (JobWorkerPool *self);
JOB_AVAILABLE_IN_ALL
void job_worker_pool_set_env_allowlist (JobWorkerPool *self,
                                        const char *const *env_allowlist);
JOB_AVAILABLE_IN_ALL
const char *job_worker_pool_get_worker_path (JobWorkerPool *self);
JOB_AVAILABLE_IN_ALL
void job_worker_pool_set_worker_path (JobWorkerPool *self,
                                      const char *worker_path);
JOB_AVAILABLE_IN_ALL
guint job_worker_pool_get_n_workers (JobWorkerPool *self);
JOB_AVAILABLE_IN_ALL
GArray *job_worker_pool_dup_worker_pids (JobWorkerPool *self);

G_END_DECLS
