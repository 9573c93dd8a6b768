/* job-task.h: a unit of work that runs in a worker
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

#define JOB_TYPE_TASK (job_task_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (JobTask, job_task, JOB, TASK, GObject)

/**
 * JobTaskClass:
 * @parent_class: the parent class
 * @run: runs the task and returns its output; see [method@Job.Task.run]
 *
 * The class of a [class@Job.Task]. A subclass overrides @run.
 */
struct _JobTaskClass
{
  GObjectClass parent_class;

  GObject *(*run) (JobTask *self, GCancellable *cancellable, GError **error);

  /*< private >*/
  gpointer padding[8];
};

JOB_AVAILABLE_IN_ALL
GObject *
job_task_run (JobTask *self, GCancellable *cancellable, GError **error);

G_END_DECLS
