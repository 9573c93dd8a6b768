/* job-backend-private.h: helpers shared by backends
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "job-backend.h"

G_BEGIN_DECLS

/* Each emits its signal on @context (the context the backend was created
 * in), right away when this thread owns it, else from an idle source; it
 * costs nothing when no handler is connected. */
void job_backend_emit_submitted (JobBackend *self,
                                 GMainContext *context,
                                 JobTask *task);
void job_backend_emit_completed (JobBackend *self,
                                 GMainContext *context,
                                 JobTask *task,
                                 JobResult *result,
                                 const GError *error);
void job_backend_emit_shutdown (JobBackend *self, GMainContext *context);

/* The environment a task runs with: the worker's (already reduced to the
 * allowlist) or, inline, the caller's filtered by the backend's allowlist.
 * Set for the current thread while a backend runs a task. */
void job_task_set_thread_environ (const char *const *envp);
const char *const *job_task_get_thread_environ (void);

/* Filters @envp by @allowlist (names and PREFIX* patterns). */
char **job_environ_filter (const char *const *envp,
                           const char *const *allowlist);
gboolean job_environ_allowed (const char *name, const char *const *allowlist);

/* Returns @result (or @error) through @task, taking both and the caller's
 * reference to @task, from the task's own context: the last reference to
 * the task, and so maybe to the backend, is never dropped in a backend's
 * internal thread. */
void job_backend_return (GTask *task, JobResult *result, GError *error);

/* What a blocking submit waits on: the backend's thread completes it with
 * a futex wake, no main context involved. Two references: the waiter's,
 * dropped by job_sync_wait_finish(), and the completer's, dropped by
 * job_sync_wait_complete() after it signals (outside the lock, so that the
 * waiter does not wake up only to wait for the mutex). */
typedef struct
{
  gatomicrefcount ref_count;
  GMutex mutex;
  GCond cond;
  gint done;        /* set atomically, under the mutex */
  gboolean waiting; /* the caller sleeps on cond: signal it */
  JobResult *result;
  GError *error;
} JobSyncWait;

JobSyncWait *job_sync_wait_new (void);
void
job_sync_wait_complete (JobSyncWait *wait, JobResult *result, GError *error);
JobResult *job_sync_wait_finish (JobSyncWait *wait, GError **error);

/* Registers the types libjob's pickles may name, so that a process can
 * rebuild them before it ever used them. Exported for job-worker. */
JOB_AVAILABLE_IN_ALL
void job_backend_ensure_core_types (void);

/* The job-worker program: $JOB_WORKER_PATH, the build tree's when
 * running from it, else the installed one. */
char *job_default_worker_path (void);

/* The allowlist the backends use by default. */
const char *const *job_default_env_allowlist (void);

G_END_DECLS
