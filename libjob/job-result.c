/* job-result.c: the outcome of a task, with its metrics
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-result.h"

/**
 * JobResult:
 *
 * What a [iface@Job.Backend] returns for a task that completed: the task's
 * output, rebuilt in the caller's process, and metrics of that run.
 */

struct _JobResult
{
  GObject parent_instance;

  GObject *output;
  gint64 worker_pid;
  double wall_time;
  double cpu_time;
  guint64 peak_rss;
  char *backend;
};

enum
{
  PROP_0,
  PROP_OUTPUT,
  PROP_WORKER_PID,
  PROP_WALL_TIME,
  PROP_CPU_TIME,
  PROP_PEAK_RSS,
  PROP_BACKEND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (JobResult, job_result, G_TYPE_OBJECT)

static void
job_result_finalize (GObject *object)
{
  JobResult *self = JOB_RESULT (object);

  g_clear_object (&self->output);
  g_clear_pointer (&self->backend, g_free);
  G_OBJECT_CLASS (job_result_parent_class)->finalize (object);
}

static void
job_result_get_property (GObject *object,
                         guint prop_id,
                         GValue *value,
                         GParamSpec *pspec)
{
  JobResult *self = JOB_RESULT (object);

  switch (prop_id)
    {
    case PROP_OUTPUT:
      g_value_set_object (value, self->output);
      break;
    case PROP_WORKER_PID:
      g_value_set_int64 (value, self->worker_pid);
      break;
    case PROP_WALL_TIME:
      g_value_set_double (value, self->wall_time);
      break;
    case PROP_CPU_TIME:
      g_value_set_double (value, self->cpu_time);
      break;
    case PROP_PEAK_RSS:
      g_value_set_uint64 (value, self->peak_rss);
      break;
    case PROP_BACKEND:
      g_value_set_string (value, self->backend);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_result_set_property (GObject *object,
                         guint prop_id,
                         const GValue *value,
                         GParamSpec *pspec)
{
  JobResult *self = JOB_RESULT (object);

  switch (prop_id)
    {
    case PROP_OUTPUT:
      self->output = g_value_dup_object (value);
      break;
    case PROP_WORKER_PID:
      self->worker_pid = g_value_get_int64 (value);
      break;
    case PROP_WALL_TIME:
      self->wall_time = g_value_get_double (value);
      break;
    case PROP_CPU_TIME:
      self->cpu_time = g_value_get_double (value);
      break;
    case PROP_PEAK_RSS:
      self->peak_rss = g_value_get_uint64 (value);
      break;
    case PROP_BACKEND:
      self->backend = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_result_class_init (JobResultClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags =
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = job_result_finalize;
  object_class->get_property = job_result_get_property;
  object_class->set_property = job_result_set_property;

  /**
   * JobResult:output: (getter get_output)
   *
   * The task's output, rebuilt from its pickle in this process, or %NULL
   * if the task had none.
   */
  properties[PROP_OUTPUT] =
      g_param_spec_object ("output", NULL, NULL, G_TYPE_OBJECT, flags);

  /**
   * JobResult:worker-pid: (getter get_worker_pid)
   *
   * The process id of the process the task ran in.
   */
  properties[PROP_WORKER_PID] =
      g_param_spec_int64 ("worker-pid", NULL, NULL, 0, G_MAXINT64, 0, flags);

  /**
   * JobResult:wall-time: (getter get_wall_time)
   *
   * How long the task's run took, in seconds of wall-clock time.
   */
  properties[PROP_WALL_TIME] =
      g_param_spec_double ("wall-time", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);

  /**
   * JobResult:cpu-time: (getter get_cpu_time)
   *
   * The processor time (user and system, in seconds) the task used,
   * including the child processes it waited for. In a worker process this
   * counts from the moment the worker is ready for the task: receiving
   * and rebuilding it from its pickle are included.
   */
  properties[PROP_CPU_TIME] =
      g_param_spec_double ("cpu-time", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);

  /**
   * JobResult:peak-rss: (getter get_peak_rss)
   *
   * The peak resident memory, in bytes, of the worker process while it
   * received, rebuilt and ran this task: the kernel's high-water mark is
   * reset before each task. With [class@Job.InlineBackend], where tasks share
   * the caller's process, it is that process's high-water mark.
   */
  properties[PROP_PEAK_RSS] =
      g_param_spec_uint64 ("peak-rss", NULL, NULL, 0, G_MAXUINT64, 0, flags);

  /**
   * JobResult:backend: (getter get_backend)
   *
   * The name of the kind of backend that ran the task, e.g. `worker-pool`
   * or `inline`.
   */
  properties[PROP_BACKEND] =
      g_param_spec_string ("backend", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_result_init (JobResult *self)
{
}

/**
 * job_result_new:
 * @output: (nullable): the task's output
 * @worker_pid: the id of the process the task ran in
 * @wall_time: wall-clock seconds the task took
 * @cpu_time: processor seconds the task used
 * @peak_rss: peak resident memory in bytes
 * @backend: the name of the backend
 *
 * Creates a result. Backends call this; users get results from
 * [method@Job.Backend.submit_finish].
 *
 * Returns: (transfer full): a new #JobResult
 */
JobResult *
job_result_new (GObject *output,
                gint64 worker_pid,
                double wall_time,
                double cpu_time,
                guint64 peak_rss,
                const char *backend)
{
  JobResult *self;

  g_return_val_if_fail (output == NULL || G_IS_OBJECT (output), NULL);

  /* Set the fields directly: results are made on the hot path. */
  self = g_object_new (JOB_TYPE_RESULT, NULL);
  self->output = output != NULL ? g_object_ref (output) : NULL;
  self->worker_pid = MAX (worker_pid, 0);
  self->wall_time = MAX (wall_time, 0);
  self->cpu_time = MAX (cpu_time, 0);
  self->peak_rss = peak_rss;
  self->backend = g_strdup (backend);
  return self;
}

/**
 * job_result_get_output:
 * @self: a #JobResult
 *
 * Gets [property@Job.Result:output].
 *
 * Returns: (transfer none) (nullable): the task's output
 */
GObject *
job_result_get_output (JobResult *self)
{
  g_return_val_if_fail (JOB_IS_RESULT (self), NULL);
  return self->output;
}

/**
 * job_result_get_worker_pid:
 * @self: a #JobResult
 *
 * Gets [property@Job.Result:worker-pid].
 *
 * Returns: the process id the task ran in
 */
gint64
job_result_get_worker_pid (JobResult *self)
{
  g_return_val_if_fail (JOB_IS_RESULT (self), 0);
  return self->worker_pid;
}

/**
 * job_result_get_wall_time:
 * @self: a #JobResult
 *
 * Gets [property@Job.Result:wall-time].
 *
 * Returns: seconds of wall-clock time
 */
double
job_result_get_wall_time (JobResult *self)
{
  g_return_val_if_fail (JOB_IS_RESULT (self), 0);
  return self->wall_time;
}

/**
 * job_result_get_cpu_time:
 * @self: a #JobResult
 *
 * Gets [property@Job.Result:cpu-time].
 *
 * Returns: seconds of processor time
 */
double
job_result_get_cpu_time (JobResult *self)
{
  g_return_val_if_fail (JOB_IS_RESULT (self), 0);
  return self->cpu_time;
}

/**
 * job_result_get_peak_rss:
 * @self: a #JobResult
 *
 * Gets [property@Job.Result:peak-rss].
 *
 * Returns: bytes of peak resident memory
 */
guint64
job_result_get_peak_rss (JobResult *self)
{
  g_return_val_if_fail (JOB_IS_RESULT (self), 0);
  return self->peak_rss;
}

/**
 * job_result_get_backend:
 * @self: a #JobResult
 *
 * Gets [property@Job.Result:backend].
 *
 * Returns: (nullable): the backend's name
 */
const char *
job_result_get_backend (JobResult *self)
{
  g_return_val_if_fail (JOB_IS_RESULT (self), NULL);
  return self->backend;
}
