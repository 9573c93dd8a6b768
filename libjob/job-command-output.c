/* job-command-output.c: what a command run by JobCommandTask did
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-command-output.h"
#include "job-serializable.h"

/**
 * JobCommandOutput:
 *
 * The output of a [class@Job.CommandTask]: how its command ended and what
 * it printed. Large outputs travel from the worker out of band, mapped
 * rather than copied.
 */

struct _JobCommandOutput
{
  GObject parent_instance;

  int exit_status;
  int term_signal;
  GBytes *stdout_bytes;
  GBytes *stderr_bytes;
};

enum
{
  PROP_0,
  PROP_EXIT_STATUS,
  PROP_TERM_SIGNAL,
  PROP_STDOUT,
  PROP_STDERR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
job_command_output_serializable_init (JobSerializableInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    JobCommandOutput,
    job_command_output,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                           job_command_output_serializable_init))

static void
job_command_output_finalize (GObject *object)
{
  JobCommandOutput *self = JOB_COMMAND_OUTPUT (object);

  g_clear_pointer (&self->stdout_bytes, g_bytes_unref);
  g_clear_pointer (&self->stderr_bytes, g_bytes_unref);
  G_OBJECT_CLASS (job_command_output_parent_class)->finalize (object);
}

static void
job_command_output_get_property (GObject *object,
                                 guint prop_id,
                                 GValue *value,
                                 GParamSpec *pspec)
{
  JobCommandOutput *self = JOB_COMMAND_OUTPUT (object);

  switch (prop_id)
    {
    case PROP_EXIT_STATUS:
      g_value_set_int (value, self->exit_status);
      break;
    case PROP_TERM_SIGNAL:
      g_value_set_int (value, self->term_signal);
      break;
    case PROP_STDOUT:
      g_value_set_boxed (value, self->stdout_bytes);
      break;
    case PROP_STDERR:
      g_value_set_boxed (value, self->stderr_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_command_output_set_property (GObject *object,
                                 guint prop_id,
                                 const GValue *value,
                                 GParamSpec *pspec)
{
  JobCommandOutput *self = JOB_COMMAND_OUTPUT (object);

  switch (prop_id)
    {
    case PROP_EXIT_STATUS:
      self->exit_status = g_value_get_int (value);
      break;
    case PROP_TERM_SIGNAL:
      self->term_signal = g_value_get_int (value);
      break;
    case PROP_STDOUT:
      g_clear_pointer (&self->stdout_bytes, g_bytes_unref);
      self->stdout_bytes = g_value_dup_boxed (value);
      break;
    case PROP_STDERR:
      g_clear_pointer (&self->stderr_bytes, g_bytes_unref);
      self->stderr_bytes = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_command_output_class_init (JobCommandOutputClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags =
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = job_command_output_finalize;
  object_class->get_property = job_command_output_get_property;
  object_class->set_property = job_command_output_set_property;

  /**
   * JobCommandOutput:exit-status: (getter get_exit_status)
   *
   * The command's exit status, or -1 if a signal killed it.
   */
  properties[PROP_EXIT_STATUS] =
      g_param_spec_int ("exit-status", NULL, NULL, -1, 255, -1, flags);

  /**
   * JobCommandOutput:term-signal: (getter get_term_signal)
   *
   * The signal that killed the command, or 0 if it exited.
   */
  properties[PROP_TERM_SIGNAL] =
      g_param_spec_int ("term-signal", NULL, NULL, 0, 255, 0, flags);

  /**
   * JobCommandOutput:stdout: (getter get_stdout)
   *
   * What the command wrote to its standard output.
   */
  properties[PROP_STDOUT] =
      g_param_spec_boxed ("stdout", NULL, NULL, G_TYPE_BYTES, flags);

  /**
   * JobCommandOutput:stderr: (getter get_stderr)
   *
   * What the command wrote to its standard error.
   */
  properties[PROP_STDERR] =
      g_param_spec_boxed ("stderr", NULL, NULL, G_TYPE_BYTES, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_command_output_init (JobCommandOutput *self)
{
  self->exit_status = -1;
}

/**
 * job_command_output_get_exit_status:
 * @self: a #JobCommandOutput
 *
 * Gets [property@Job.CommandOutput:exit-status].
 *
 * Returns: the exit status, or -1
 */
int
job_command_output_get_exit_status (JobCommandOutput *self)
{
  g_return_val_if_fail (JOB_IS_COMMAND_OUTPUT (self), -1);
  return self->exit_status;
}

/**
 * job_command_output_get_term_signal:
 * @self: a #JobCommandOutput
 *
 * Gets [property@Job.CommandOutput:term-signal].
 *
 * Returns: the signal number, or 0
 */
int
job_command_output_get_term_signal (JobCommandOutput *self)
{
  g_return_val_if_fail (JOB_IS_COMMAND_OUTPUT (self), 0);
  return self->term_signal;
}

/**
 * job_command_output_get_stdout:
 * @self: a #JobCommandOutput
 *
 * Gets [property@Job.CommandOutput:stdout].
 *
 * Returns: (transfer none) (nullable): the standard output
 */
GBytes *
job_command_output_get_stdout (JobCommandOutput *self)
{
  g_return_val_if_fail (JOB_IS_COMMAND_OUTPUT (self), NULL);
  return self->stdout_bytes;
}

/**
 * job_command_output_get_stderr:
 * @self: a #JobCommandOutput
 *
 * Gets [property@Job.CommandOutput:stderr].
 *
 * Returns: (transfer none) (nullable): the standard error
 */
GBytes *
job_command_output_get_stderr (JobCommandOutput *self)
{
  g_return_val_if_fail (JOB_IS_COMMAND_OUTPUT (self), NULL);
  return self->stderr_bytes;
}
