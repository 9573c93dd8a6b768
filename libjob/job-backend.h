/* job-backend.h: something that runs tasks and returns their results
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-result.h"
#include "job-task.h"
#include "job-version-macros.h"

G_BEGIN_DECLS

/**
 * JOB_WORKER_ERROR:
 *
 * The error domain of running tasks through a [iface@Job.Backend]. Errors
 * are from the [error@Job.WorkerError] enumeration.
 */
#define JOB_WORKER_ERROR (job_worker_error_quark ())

/**
 * JobWorkerError:
 * @JOB_WORKER_ERROR_CRASHED: the worker died while it ran the task; the
 *   message says how (exit status or signal) and ends with the last lines
 *   the worker printed
 * @JOB_WORKER_ERROR_TIMED_OUT: the task ran longer than the backend's task
 *   timeout; its worker was killed
 * @JOB_WORKER_ERROR_CANCELLED: the task's #GCancellable was cancelled
 * @JOB_WORKER_ERROR_PROTOCOL: the worker sent garbage or truncated data
 * @JOB_WORKER_ERROR_SPAWN: a worker process could not be started
 * @JOB_WORKER_ERROR_SHUTDOWN: the backend was shut down
 * @JOB_WORKER_ERROR_INVALID_TASK: the task or its output could not cross
 *   the process boundary (it could not be pickled or rebuilt, or a plugin
 *   module it needs could not be loaded)
 *
 * Errors of the [error@Job.WorkerError] domain. A task's own errors (those
 * its `run` returns) come back in their own domain.
 */
typedef enum
{
  JOB_WORKER_ERROR_CRASHED,
  JOB_WORKER_ERROR_TIMED_OUT,
  JOB_WORKER_ERROR_CANCELLED,
  JOB_WORKER_ERROR_PROTOCOL,
  JOB_WORKER_ERROR_SPAWN,
  JOB_WORKER_ERROR_SHUTDOWN,
  JOB_WORKER_ERROR_INVALID_TASK,
} JobWorkerError;

JOB_AVAILABLE_IN_ALL
GQuark job_worker_error_quark (void);

#define JOB_TYPE_BACKEND (job_backend_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (JobBackend, job_backend, JOB, BACKEND, GObject)

/**
 * JobBackendInterface:
 * @g_iface: the parent interface
 * @submit_async: starts running a task; see [method@Job.Backend.submit_async]
 * @submit_finish: completes @submit_async
 * @shutdown: stops the backend; see [method@Job.Backend.shutdown]
 * @submit_sync: runs a task and waits for its result; optional: the default
 *   runs @submit_async in a private main context
 *
 * The virtual methods of a [iface@Job.Backend].
 */
struct _JobBackendInterface
{
  GTypeInterface g_iface;

  void (*submit_async) (JobBackend *self,
                        JobTask *task,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data);
  JobResult *(*submit_finish) (JobBackend *self,
                               GAsyncResult *result,
                               GError **error);
  void (*shutdown) (JobBackend *self, gboolean wait);
  JobResult *(*submit_sync) (JobBackend *self,
                             JobTask *task,
                             GCancellable *cancellable,
                             GError **error);

  /*< private >*/
  gpointer padding[7];
};

JOB_AVAILABLE_IN_ALL
void job_backend_submit_async (JobBackend *self,
                               JobTask *task,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
JOB_AVAILABLE_IN_ALL
JobResult *job_backend_submit_finish (JobBackend *self,
                                      GAsyncResult *result,
                                      GError **error);
JOB_AVAILABLE_IN_ALL
JobResult *job_backend_submit (JobBackend *self,
                               JobTask *task,
                               GCancellable *cancellable,
                               GError **error);
JOB_AVAILABLE_IN_ALL
void job_backend_shutdown (JobBackend *self, gboolean wait);

G_END_DECLS
