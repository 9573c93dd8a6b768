/* job-sandbox.h: how build commands run
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

/**
 * JOB_SANDBOX_ERROR:
 *
 * The error domain of [class@Job.Sandbox]. Codes are in
 * [error@Job.SandboxError].
 */
#define JOB_SANDBOX_ERROR (job_sandbox_error_quark ())

/**
 * JobSandboxError:
 * @JOB_SANDBOX_ERROR_SPAWN: the command could not be started: `bwrap` is
 *   missing or may not create namespaces here, or the command is not in the
 *   sandbox
 * @JOB_SANDBOX_ERROR_INVALID: the sandbox is misconfigured (no root, a
 *   relative path, an environment entry without `=`, a missing mount
 *   source)
 * @JOB_SANDBOX_ERROR_FAILED: running failed for another reason, such as an
 *   error writing the log
 *
 * The error codes of %JOB_SANDBOX_ERROR. A command that runs and fails is
 * not an error: its exit status is returned.
 */
typedef enum
{
  JOB_SANDBOX_ERROR_SPAWN,
  JOB_SANDBOX_ERROR_INVALID,
  JOB_SANDBOX_ERROR_FAILED,
} JobSandboxError;

/**
 * JobSandboxMode:
 * @JOB_SANDBOX_MODE_AUTO: use `bwrap` if it is installed and can create a
 *   sandbox here, else run on the host
 * @JOB_SANDBOX_MODE_BWRAP: always use `bwrap`; fail if it cannot run
 * @JOB_SANDBOX_MODE_HOST: run commands as plain processes on the host, with
 *   only the sandbox's environment; not hermetic
 *
 * How a [class@Job.Sandbox] runs commands.
 */
typedef enum
{
  JOB_SANDBOX_MODE_AUTO,
  JOB_SANDBOX_MODE_BWRAP,
  JOB_SANDBOX_MODE_HOST,
} JobSandboxMode;

JOB_AVAILABLE_IN_ALL
GQuark job_sandbox_error_quark (void);

#define JOB_TYPE_SANDBOX (job_sandbox_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (JobSandbox, job_sandbox, JOB, SANDBOX, GObject)

JOB_AVAILABLE_IN_ALL
JobSandbox *job_sandbox_new (const char *root);
JOB_AVAILABLE_IN_ALL
const char *job_sandbox_get_root (JobSandbox *self);
JOB_AVAILABLE_IN_ALL
void job_sandbox_set_root (JobSandbox *self, const char *root);
JOB_AVAILABLE_IN_ALL
const char *job_sandbox_get_cwd (JobSandbox *self);
JOB_AVAILABLE_IN_ALL
void job_sandbox_set_cwd (JobSandbox *self, const char *cwd);
JOB_AVAILABLE_IN_ALL
const char *const *job_sandbox_get_env (JobSandbox *self);
JOB_AVAILABLE_IN_ALL
void job_sandbox_set_env (JobSandbox *self, const char *const *env);
JOB_AVAILABLE_IN_ALL
GVariant *job_sandbox_get_mounts (JobSandbox *self);
JOB_AVAILABLE_IN_ALL
void job_sandbox_set_mounts (JobSandbox *self, GVariant *mounts);
JOB_AVAILABLE_IN_ALL
void job_sandbox_add_mount (JobSandbox *self,
                            const char *sandbox_path,
                            const char *host_path);
JOB_AVAILABLE_IN_ALL
JobSandboxMode job_sandbox_get_mode (JobSandbox *self);
JOB_AVAILABLE_IN_ALL
void job_sandbox_set_mode (JobSandbox *self, JobSandboxMode mode);
JOB_AVAILABLE_IN_ALL
gboolean job_sandbox_get_network (JobSandbox *self);
JOB_AVAILABLE_IN_ALL
void job_sandbox_set_network (JobSandbox *self, gboolean network);
JOB_AVAILABLE_IN_ALL
gboolean job_sandbox_get_root_read_only (JobSandbox *self);
JOB_AVAILABLE_IN_ALL
void job_sandbox_set_root_read_only (JobSandbox *self, gboolean root_read_only);
JOB_AVAILABLE_IN_ALL
JobSandboxMode job_sandbox_get_effective_mode (JobSandbox *self);
JOB_AVAILABLE_IN_ALL
gboolean job_sandbox_resolve_mode (JobSandbox *self, GError **error);
JOB_AVAILABLE_IN_ALL
char *job_sandbox_get_host_path (JobSandbox *self, const char *sandbox_path);
JOB_AVAILABLE_IN_ALL
char *job_sandbox_get_command_path (JobSandbox *self,
                                    const char *sandbox_path,
                                    GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_sandbox_run (JobSandbox *self,
                          const char *const *argv,
                          GOutputStream *log_stream,
                          GCancellable *cancellable,
                          int *exit_status,
                          GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_sandbox_run_interactive (JobSandbox *self,
                                      const char *const *argv,
                                      int *exit_status,
                                      GError **error);
JOB_AVAILABLE_IN_ALL
void job_sandbox_run_async (JobSandbox *self,
                            const char *const *argv,
                            GOutputStream *log_stream,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data);
JOB_AVAILABLE_IN_ALL
gboolean job_sandbox_run_finish (JobSandbox *self,
                                 GAsyncResult *result,
                                 int *exit_status,
                                 GError **error);

G_END_DECLS
