/* job-command-task.c: a task that runs a command
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "job-backend-private.h"
#include "job-command-output.h"
#include "job-command-task.h"

/**
 * JobCommandTask:
 *
 * A [class@Job.Task] that runs a command and returns a
 * [class@Job.CommandOutput] with its exit status and what it printed.
 *
 * The command's environment is the one the backend allows (see
 * [property@Job.WorkerPool:env-allowlist]) with
 * [property@Job.CommandTask:env] on top, whatever the backend.
 */

struct _JobCommandTask
{
  JobTask parent_instance;

  char **argv;
  char **env;
  char *cwd;
  GBytes *stdin_bytes;
};

enum
{
  PROP_0,
  PROP_ARGV,
  PROP_ENV,
  PROP_CWD,
  PROP_STDIN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (JobCommandTask, job_command_task, JOB_TYPE_TASK)

static GObject *
job_command_task_run (JobTask *task, GCancellable *cancellable, GError **error)
{
  JobCommandTask *self = JOB_COMMAND_TASK (task);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GBytes) stdout_bytes = NULL;
  g_autoptr (GBytes) stderr_bytes = NULL;
  g_auto (GStrv) envp = NULL;
  const char *const *base = job_task_get_thread_environ ();
  GSubprocessFlags flags =
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;
  int exit_status = -1, term_signal = 0;

  if (self->argv == NULL || self->argv[0] == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "JobCommandTask has no command: set its argv property");
      return NULL;
    }

  envp = base != NULL ? g_strdupv ((char **) base) : g_get_environ ();
  for (guint i = 0; self->env != NULL && self->env[i] != NULL; i++)
    {
      const char *eq = strchr (self->env[i], '=');
      g_autofree char *name = NULL;

      if (eq == NULL || eq == self->env[i])
        {
          g_set_error (
              error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
              "JobCommandTask env entry “%s” is not of the form NAME=VALUE",
              self->env[i]);
          return NULL;
        }
      name = g_strndup (self->env[i], eq - self->env[i]);
      envp = g_environ_setenv (envp, name, eq + 1, TRUE);
    }

  if (self->stdin_bytes != NULL)
    flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
  launcher = g_subprocess_launcher_new (flags);
  g_subprocess_launcher_set_environ (launcher, envp);
  if (self->cwd != NULL)
    g_subprocess_launcher_set_cwd (launcher, self->cwd);
  process = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) self->argv, error);
  if (process == NULL)
    return NULL;
  if (!g_subprocess_communicate (process, self->stdin_bytes, cancellable,
                                 &stdout_bytes, &stderr_bytes, error))
    {
      g_subprocess_force_exit (process);
      return NULL;
    }
  if (g_subprocess_get_if_exited (process))
    exit_status = g_subprocess_get_exit_status (process);
  else if (g_subprocess_get_if_signaled (process))
    term_signal = g_subprocess_get_term_sig (process);

  return g_object_new (JOB_TYPE_COMMAND_OUTPUT, "exit-status", exit_status,
                       "term-signal", term_signal, "stdout", stdout_bytes,
                       "stderr", stderr_bytes, NULL);
}

static void
job_command_task_finalize (GObject *object)
{
  JobCommandTask *self = JOB_COMMAND_TASK (object);

  g_strfreev (self->argv);
  g_strfreev (self->env);
  g_free (self->cwd);
  g_clear_pointer (&self->stdin_bytes, g_bytes_unref);
  G_OBJECT_CLASS (job_command_task_parent_class)->finalize (object);
}

static void
job_command_task_get_property (GObject *object,
                               guint prop_id,
                               GValue *value,
                               GParamSpec *pspec)
{
  JobCommandTask *self = JOB_COMMAND_TASK (object);

  switch (prop_id)
    {
    case PROP_ARGV:
      g_value_set_boxed (value, self->argv);
      break;
    case PROP_ENV:
      g_value_set_boxed (value, self->env);
      break;
    case PROP_CWD:
      g_value_set_string (value, self->cwd);
      break;
    case PROP_STDIN:
      g_value_set_boxed (value, self->stdin_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_command_task_set_property (GObject *object,
                               guint prop_id,
                               const GValue *value,
                               GParamSpec *pspec)
{
  JobCommandTask *self = JOB_COMMAND_TASK (object);

  switch (prop_id)
    {
    case PROP_ARGV:
      job_command_task_set_argv (self, g_value_get_boxed (value));
      break;
    case PROP_ENV:
      job_command_task_set_env (self, g_value_get_boxed (value));
      break;
    case PROP_CWD:
      job_command_task_set_cwd (self, g_value_get_string (value));
      break;
    case PROP_STDIN:
      job_command_task_set_stdin (self, g_value_get_boxed (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_command_task_class_init (JobCommandTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  JobTaskClass *task_class = JOB_TASK_CLASS (klass);
  GParamFlags flags =
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = job_command_task_finalize;
  object_class->get_property = job_command_task_get_property;
  object_class->set_property = job_command_task_set_property;
  task_class->run = job_command_task_run;

  /**
   * JobCommandTask:argv: (getter get_argv) (setter set_argv)
   *
   * The command and its arguments; the command is looked up in `PATH`.
   */
  properties[PROP_ARGV] =
      g_param_spec_boxed ("argv", NULL, NULL, G_TYPE_STRV, flags);

  /**
   * JobCommandTask:env: (getter get_env) (setter set_env)
   *
   * `NAME=VALUE` entries added to the environment the backend allows.
   */
  properties[PROP_ENV] =
      g_param_spec_boxed ("env", NULL, NULL, G_TYPE_STRV, flags);

  /**
   * JobCommandTask:cwd: (getter get_cwd) (setter set_cwd)
   *
   * The directory to run the command in, or %NULL for the worker's.
   */
  properties[PROP_CWD] = g_param_spec_string ("cwd", NULL, NULL, NULL, flags);

  /**
   * JobCommandTask:stdin: (getter get_stdin) (setter set_stdin)
   *
   * What to feed the command's standard input, or %NULL for none
   * (`/dev/null`).
   */
  properties[PROP_STDIN] =
      g_param_spec_boxed ("stdin", NULL, NULL, G_TYPE_BYTES, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_command_task_init (JobCommandTask *self)
{
}

/**
 * job_command_task_new:
 * @argv: (array zero-terminated=1): the command and its arguments
 *
 * Creates a task that runs @argv.
 *
 * Returns: (transfer full): a new #JobCommandTask
 */
JobCommandTask *
job_command_task_new (const char *const *argv)
{
  return g_object_new (JOB_TYPE_COMMAND_TASK, "argv", argv, NULL);
}

/**
 * job_command_task_get_argv:
 * @self: a #JobCommandTask
 *
 * Gets [property@Job.CommandTask:argv].
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the command
 */
const char *const *
job_command_task_get_argv (JobCommandTask *self)
{
  g_return_val_if_fail (JOB_IS_COMMAND_TASK (self), NULL);
  return (const char *const *) self->argv;
}

/**
 * job_command_task_set_argv:
 * @self: a #JobCommandTask
 * @argv: (array zero-terminated=1) (nullable): the command and its arguments
 *
 * Sets [property@Job.CommandTask:argv].
 */
void
job_command_task_set_argv (JobCommandTask *self, const char *const *argv)
{
  g_return_if_fail (JOB_IS_COMMAND_TASK (self));
  g_strfreev (self->argv);
  self->argv = g_strdupv ((char **) argv);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ARGV]);
}

/**
 * job_command_task_get_env:
 * @self: a #JobCommandTask
 *
 * Gets [property@Job.CommandTask:env].
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the entries
 */
const char *const *
job_command_task_get_env (JobCommandTask *self)
{
  g_return_val_if_fail (JOB_IS_COMMAND_TASK (self), NULL);
  return (const char *const *) self->env;
}

/**
 * job_command_task_set_env:
 * @self: a #JobCommandTask
 * @env: (array zero-terminated=1) (nullable): `NAME=VALUE` entries
 *
 * Sets [property@Job.CommandTask:env].
 */
void
job_command_task_set_env (JobCommandTask *self, const char *const *env)
{
  g_return_if_fail (JOB_IS_COMMAND_TASK (self));
  g_strfreev (self->env);
  self->env = g_strdupv ((char **) env);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENV]);
}

/**
 * job_command_task_get_cwd:
 * @self: a #JobCommandTask
 *
 * Gets [property@Job.CommandTask:cwd].
 *
 * Returns: (nullable): the directory
 */
const char *
job_command_task_get_cwd (JobCommandTask *self)
{
  g_return_val_if_fail (JOB_IS_COMMAND_TASK (self), NULL);
  return self->cwd;
}

/**
 * job_command_task_set_cwd:
 * @self: a #JobCommandTask
 * @cwd: (nullable): the directory
 *
 * Sets [property@Job.CommandTask:cwd].
 */
void
job_command_task_set_cwd (JobCommandTask *self, const char *cwd)
{
  g_return_if_fail (JOB_IS_COMMAND_TASK (self));
  if (g_strcmp0 (self->cwd, cwd) == 0)
    return;
  g_free (self->cwd);
  self->cwd = g_strdup (cwd);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CWD]);
}

/**
 * job_command_task_get_stdin:
 * @self: a #JobCommandTask
 *
 * Gets [property@Job.CommandTask:stdin].
 *
 * Returns: (transfer none) (nullable): the input
 */
GBytes *
job_command_task_get_stdin (JobCommandTask *self)
{
  g_return_val_if_fail (JOB_IS_COMMAND_TASK (self), NULL);
  return self->stdin_bytes;
}

/**
 * job_command_task_set_stdin:
 * @self: a #JobCommandTask
 * @stdin_bytes: (nullable): the input
 *
 * Sets [property@Job.CommandTask:stdin].
 */
void
job_command_task_set_stdin (JobCommandTask *self, GBytes *stdin_bytes)
{
  g_return_if_fail (JOB_IS_COMMAND_TASK (self));
  if (stdin_bytes != NULL)
    g_bytes_ref (stdin_bytes);
  g_clear_pointer (&self->stdin_bytes, g_bytes_unref);
  self->stdin_bytes = stdin_bytes;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STDIN]);
}
