/* job-task.c: a unit of work that runs in a worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-serializable.h"
#include "job-task.h"

/**
 * JobTask:
 *
 * A unit of work that a [iface@Job.Backend] runs, usually in a worker
 * process. A task is pickled (see [iface@Job.Serializable]) on its way to
 * the worker and rebuilt there, so everything it needs must be in its
 * pickled properties; it never reaches back into the process that
 * submitted it. Its output, an object that implements
 * [iface@Job.Serializable], travels back the same way.
 *
 * Subclasses override [vfunc@Job.Task.run].
 */

static void
job_task_serializable_init (JobSerializableInterface *iface)
{
}

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (
    JobTask,
    job_task,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE, job_task_serializable_init))

static GObject *
job_task_real_run (JobTask *self, GCancellable *cancellable, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "%s does not implement JobTask.run()",
               G_OBJECT_TYPE_NAME (self));
  return NULL;
}

static void
job_task_class_init (JobTaskClass *klass)
{
  klass->run = job_task_real_run;
}

static void
job_task_init (JobTask *self)
{
}

/**
 * job_task_run: (virtual run)
 * @self: a #JobTask
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Runs the task in this thread. Backends call this in the worker on the
 * rebuilt task; call it directly only to run a task in place, without
 * isolation.
 *
 * Returns: (transfer full) (nullable): the output, an object implementing
 *   [iface@Job.Serializable], or %NULL for no output (check @error)
 */
GObject *
job_task_run (JobTask *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (JOB_IS_TASK (self), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return JOB_TASK_GET_CLASS (self)->run (self, cancellable, error);
}
