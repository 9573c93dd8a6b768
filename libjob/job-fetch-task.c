/* job-fetch-task.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-fetch-task.h"
#include "job-source.h"

/**
 * JobFetchTask:
 *
 * The job that fetches the sources of one element that are not cached
 * yet, into their cache directories, in a worker.
 */

struct _JobFetchTask
{
  JobTask parent_instance;

  GListModel *sources;
};

G_DEFINE_FINAL_TYPE (JobFetchTask, job_fetch_task, JOB_TYPE_TASK)

enum
{
  PROP_0,
  PROP_SOURCES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
job_fetch_task_dispose (GObject *object)
{
  g_clear_object (&JOB_FETCH_TASK (object)->sources);
  G_OBJECT_CLASS (job_fetch_task_parent_class)->dispose (object);
}

static void
job_fetch_task_get_property (GObject *object,
                             guint prop_id,
                             GValue *value,
                             GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_SOURCES:
      g_value_set_object (value, JOB_FETCH_TASK (object)->sources);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_fetch_task_set_property (GObject *object,
                             guint prop_id,
                             const GValue *value,
                             GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_SOURCES:
      g_set_object (&JOB_FETCH_TASK (object)->sources,
                    g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GObject *
job_fetch_task_run (JobTask *task, GCancellable *cancellable, GError **error)
{
  JobFetchTask *self = JOB_FETCH_TASK (task);
  guint n =
      self->sources != NULL ? g_list_model_get_n_items (self->sources) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GObject) item = g_list_model_get_item (self->sources, i);

      if (!JOB_IS_SOURCE (item))
        continue;
      if (!job_source_is_cached (JOB_SOURCE (item))
          && !job_source_fetch (JOB_SOURCE (item), cancellable, error))
        return NULL;
    }
  return NULL;
}

static void
job_fetch_task_class_init (JobFetchTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = job_fetch_task_dispose;
  object_class->get_property = job_fetch_task_get_property;
  object_class->set_property = job_fetch_task_set_property;
  JOB_TASK_CLASS (klass)->run = job_fetch_task_run;

  /**
   * JobFetchTask:sources:
   *
   * The sources to fetch: a #GListModel of [class@Job.Source].
   */
  properties[PROP_SOURCES] =
      g_param_spec_object ("sources", NULL, NULL, G_TYPE_LIST_MODEL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_fetch_task_init (JobFetchTask *self)
{
}

/**
 * job_fetch_task_new:
 * @sources: a #GListModel of [class@Job.Source]
 *
 * Makes the job that fetches those of @sources that are not cached.
 *
 * Returns: (transfer full): a new #JobFetchTask
 */
JobFetchTask *
job_fetch_task_new (GListModel *sources)
{
  g_return_val_if_fail (G_IS_LIST_MODEL (sources), NULL);

  return g_object_new (JOB_TYPE_FETCH_TASK, "sources", sources, NULL);
}
