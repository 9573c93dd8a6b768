/* job-sandbox.c: how build commands run
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "job-enums.h"
#include "job-sandbox.h"
#include "job-serializable.h"

/**
 * JobSandbox:
 *
 * Runs build commands the way BuildStream does.
 *
 * The [property@Job.Sandbox:root] directory, a staged sysroot, becomes `/`
 * for the commands; [method@Job.Sandbox.add_mount] binds further host
 * directories over paths inside it, typically the build directory at
 * `%{build-root}` (such as `/buildstream/project/element`) and the install
 * root at `%{install-root}` (`/buildstream-install`). Commands see exactly
 * the [property@Job.Sandbox:env] environment, nothing of the host's (except
 * that `bwrap` always sets `PWD` to the working directory).
 *
 * With `bwrap` ([enum@Job.SandboxMode.BWRAP], or AUTO when `bwrap` is
 * installed and works) each command runs in fresh namespaces
 * (`--unshare-all`: no network unless [property@Job.Sandbox:network] is
 * set, its own pid namespace, hostname and IPC), with a fresh `/proc`, a
 * minimal `/dev` and an empty `/tmp`, in a new session, and dies with its
 * parent. Directories that `bwrap` had to create in the root for its mount
 * points (`dev`, `proc`, `tmp`, the mount points) are removed again after
 * the command if they are empty.
 *
 * [enum@Job.SandboxMode.HOST] runs the command as a plain process. It is
 * not hermetic: the environment is exactly the sandbox's, but the process
 * sees the host's file system and network. The command (`argv[0]`) is
 * looked up in the root, through the directories of the environment's
 * `PATH`, and its working directory is the host directory behind
 * [property@Job.Sandbox:cwd]; but the commands it runs in turn (and `#!`
 * interpreters) come from the host's own `PATH`, and absolute paths in its
 * arguments mean host paths, so write them with
 * [method@Job.Sandbox.get_command_path].
 *
 * In both modes the command runs in its own process group with standard
 * input from `/dev/null`; when it exits, whatever it left running in its
 * group is killed, and cancelling kills the whole group (with `bwrap`, the
 * whole sandbox) at once. Standard output and error go, interleaved, to the
 * log stream, after one first line that says which mode ran:
 * `sandbox: bwrap` or `sandbox: host`.
 *
 * A sandbox implements [iface@Job.Serializable]: its configuration can be
 * pickled to a worker.
 */
struct _JobSandbox
{
  GObject parent_instance;

  char *root;
  char *cwd;
  char **env;
  GVariant *mounts;
  JobSandboxMode mode;
  JobSandboxMode effective_mode;
  gboolean network;
  gboolean root_read_only;
};

enum
{
  PROP_0,
  PROP_ROOT,
  PROP_CWD,
  PROP_ENV,
  PROP_MOUNTS,
  PROP_MODE,
  PROP_EFFECTIVE_MODE,
  PROP_NETWORK,
  PROP_ROOT_READ_ONLY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* clang-format would put spaces into the quark's name. */
/* clang-format off */
G_DEFINE_QUARK (job-sandbox-error-quark, job_sandbox_error)
/* clang-format on */

G_DEFINE_FINAL_TYPE_WITH_CODE (JobSandbox,
                               job_sandbox,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                                                      NULL))

#define MOUNTS_TYPE ((const GVariantType *) "a(ss)")

static void
job_sandbox_finalize (GObject *object)
{
  JobSandbox *self = JOB_SANDBOX (object);

  g_free (self->root);
  g_free (self->cwd);
  g_strfreev (self->env);
  g_clear_pointer (&self->mounts, g_variant_unref);

  G_OBJECT_CLASS (job_sandbox_parent_class)->finalize (object);
}

static void
job_sandbox_get_property (GObject *object,
                          guint prop_id,
                          GValue *value,
                          GParamSpec *pspec)
{
  JobSandbox *self = JOB_SANDBOX (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_value_set_string (value, self->root);
      break;

    case PROP_CWD:
      g_value_set_string (value, self->cwd);
      break;

    case PROP_ENV:
      g_value_set_boxed (value, self->env);
      break;

    case PROP_MOUNTS:
      g_value_set_variant (value, self->mounts);
      break;

    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;

    case PROP_EFFECTIVE_MODE:
      g_value_set_enum (value, self->effective_mode);
      break;

    case PROP_NETWORK:
      g_value_set_boolean (value, self->network);
      break;

    case PROP_ROOT_READ_ONLY:
      g_value_set_boolean (value, self->root_read_only);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_sandbox_set_property (GObject *object,
                          guint prop_id,
                          const GValue *value,
                          GParamSpec *pspec)
{
  JobSandbox *self = JOB_SANDBOX (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      job_sandbox_set_root (self, g_value_get_string (value));
      break;

    case PROP_CWD:
      job_sandbox_set_cwd (self, g_value_get_string (value));
      break;

    case PROP_ENV:
      job_sandbox_set_env (self, g_value_get_boxed (value));
      break;

    case PROP_MOUNTS:
      job_sandbox_set_mounts (self, g_value_get_variant (value));
      break;

    case PROP_MODE:
      job_sandbox_set_mode (self, g_value_get_enum (value));
      break;

    case PROP_NETWORK:
      job_sandbox_set_network (self, g_value_get_boolean (value));
      break;

    case PROP_ROOT_READ_ONLY:
      job_sandbox_set_root_read_only (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_sandbox_class_init (JobSandboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_sandbox_finalize;
  object_class->get_property = job_sandbox_get_property;
  object_class->set_property = job_sandbox_set_property;

  /**
   * JobSandbox:root: (type filename)
   *
   * The host directory that becomes `/` for the commands: the staged
   * sysroot of the build.
   */
  properties[PROP_ROOT] = g_param_spec_string (
      "root", NULL, NULL, NULL,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * JobSandbox:cwd:
   *
   * The working directory of the commands, an absolute path inside the
   * sandbox; it is created if missing.
   */
  properties[PROP_CWD] = g_param_spec_string (
      "cwd", NULL, NULL, "/",
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * JobSandbox:env:
   *
   * The whole environment of the commands, as `NAME=VALUE` strings. Nothing
   * of the host's environment is added.
   */
  properties[PROP_ENV] = g_param_spec_boxed (
      "env", NULL, NULL, G_TYPE_STRV,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * JobSandbox:mounts:
   *
   * The host directories bound into the sandbox, as an array of
   * (sandbox path, host path) pairs, type `a(ss)`. See
   * [method@Job.Sandbox.add_mount].
   */
  properties[PROP_MOUNTS] = g_param_spec_variant (
      "mounts", NULL, NULL, MOUNTS_TYPE, NULL,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * JobSandbox:mode:
   *
   * How commands run: see [enum@Job.SandboxMode].
   */
  properties[PROP_MODE] = g_param_spec_enum (
      "mode", NULL, NULL, JOB_TYPE_SANDBOX_MODE, JOB_SANDBOX_MODE_AUTO,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * JobSandbox:effective-mode:
   *
   * How commands actually run: [enum@Job.SandboxMode.BWRAP] or
   * [enum@Job.SandboxMode.HOST] once the mode is resolved (by
   * [method@Job.Sandbox.resolve_mode] or the first run),
   * [enum@Job.SandboxMode.AUTO] before.
   */
  properties[PROP_EFFECTIVE_MODE] = g_param_spec_enum (
      "effective-mode", NULL, NULL, JOB_TYPE_SANDBOX_MODE,
      JOB_SANDBOX_MODE_AUTO,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * JobSandbox:network:
   *
   * Whether commands may use the network. Only a `bwrap` sandbox can take
   * it away; in the host mode the network is always there.
   */
  properties[PROP_NETWORK] = g_param_spec_boolean (
      "network", NULL, NULL, FALSE,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * JobSandbox:root-read-only:
   *
   * Whether the root is mounted read-only, leaving only the mounts (and
   * `/tmp`) writable. Only a `bwrap` sandbox enforces it.
   */
  properties[PROP_ROOT_READ_ONLY] = g_param_spec_boolean (
      "root-read-only", NULL, NULL, FALSE,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_sandbox_init (JobSandbox *self)
{
  self->cwd = g_strdup ("/");
  self->env = g_new0 (char *, 1);
  self->mode = JOB_SANDBOX_MODE_AUTO;
  self->effective_mode = JOB_SANDBOX_MODE_AUTO;
}

/**
 * job_sandbox_new:
 * @root: (nullable) (type filename): the directory that becomes `/`
 *
 * Creates a sandbox with @root as its root, `/` as the working directory,
 * an empty environment, no mounts, no network and the AUTO mode.
 *
 * Returns: (transfer full): a new sandbox
 */
JobSandbox *
job_sandbox_new (const char *root)
{
  return g_object_new (JOB_TYPE_SANDBOX, "root", root, NULL);
}

/**
 * job_sandbox_get_root:
 * @self: a sandbox
 *
 * Gets the [property@Job.Sandbox:root] directory.
 *
 * Returns: (transfer none) (nullable) (type filename): the root
 */
const char *
job_sandbox_get_root (JobSandbox *self)
{
  g_return_val_if_fail (JOB_IS_SANDBOX (self), NULL);

  return self->root;
}

/**
 * job_sandbox_set_root:
 * @self: a sandbox
 * @root: (nullable) (type filename): the directory that becomes `/`
 *
 * Sets the [property@Job.Sandbox:root] directory.
 */
void
job_sandbox_set_root (JobSandbox *self, const char *root)
{
  g_return_if_fail (JOB_IS_SANDBOX (self));

  if (g_strcmp0 (self->root, root) == 0)
    return;
  g_free (self->root);
  self->root = g_strdup (root);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOT]);
}

/**
 * job_sandbox_get_cwd:
 * @self: a sandbox
 *
 * Gets the working directory of the commands, a path inside the sandbox.
 *
 * Returns: (transfer none): the working directory
 */
const char *
job_sandbox_get_cwd (JobSandbox *self)
{
  g_return_val_if_fail (JOB_IS_SANDBOX (self), NULL);

  return self->cwd;
}

/**
 * job_sandbox_set_cwd:
 * @self: a sandbox
 * @cwd: (nullable): an absolute path inside the sandbox, or %NULL for `/`
 *
 * Sets the working directory of the commands.
 */
void
job_sandbox_set_cwd (JobSandbox *self, const char *cwd)
{
  g_return_if_fail (JOB_IS_SANDBOX (self));

  if (cwd == NULL)
    cwd = "/";
  if (g_strcmp0 (self->cwd, cwd) == 0)
    return;
  g_free (self->cwd);
  self->cwd = g_strdup (cwd);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CWD]);
}

/**
 * job_sandbox_get_env:
 * @self: a sandbox
 *
 * Gets the environment of the commands.
 *
 * Returns: (transfer none) (array zero-terminated=1): `NAME=VALUE` strings
 */
const char *const *
job_sandbox_get_env (JobSandbox *self)
{
  g_return_val_if_fail (JOB_IS_SANDBOX (self), NULL);

  return (const char *const *) self->env;
}

/**
 * job_sandbox_set_env:
 * @self: a sandbox
 * @env: (nullable) (array zero-terminated=1): `NAME=VALUE` strings, or
 *   %NULL for an empty environment
 *
 * Sets the whole environment of the commands.
 */
void
job_sandbox_set_env (JobSandbox *self, const char *const *env)
{
  g_return_if_fail (JOB_IS_SANDBOX (self));

  g_strfreev (self->env);
  self->env = env != NULL ? g_strdupv ((char **) env) : g_new0 (char *, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENV]);
}

/**
 * job_sandbox_get_mounts:
 * @self: a sandbox
 *
 * Gets the mounts of the sandbox: an array of (sandbox path, host path)
 * pairs.
 *
 * Returns: (transfer none) (nullable): the mounts, of type `a(ss)`, or
 *   %NULL if there are none
 */
GVariant *
job_sandbox_get_mounts (JobSandbox *self)
{
  g_return_val_if_fail (JOB_IS_SANDBOX (self), NULL);

  return self->mounts;
}

/**
 * job_sandbox_set_mounts:
 * @self: a sandbox
 * @mounts: (nullable): an array of (sandbox path, host path) pairs, of type
 *   `a(ss)`, or %NULL for none
 *
 * Replaces the mounts of the sandbox. A floating reference is sunk.
 */
void
job_sandbox_set_mounts (JobSandbox *self, GVariant *mounts)
{
  g_return_if_fail (JOB_IS_SANDBOX (self));
  g_return_if_fail (mounts == NULL
                    || g_variant_is_of_type (mounts, MOUNTS_TYPE));

  if (mounts != NULL)
    g_variant_ref_sink (mounts);
  g_clear_pointer (&self->mounts, g_variant_unref);
  self->mounts = mounts;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MOUNTS]);
}

/**
 * job_sandbox_add_mount:
 * @self: a sandbox
 * @sandbox_path: an absolute path inside the sandbox
 * @host_path: (type filename): the absolute path of a host directory
 *
 * Binds @host_path at @sandbox_path, writable, the way BuildStream mounts
 * the build directory at `%{build-root}` and the install root at
 * `%{install-root}`. What the commands write there lands in @host_path.
 */
void
job_sandbox_add_mount (JobSandbox *self,
                       const char *sandbox_path,
                       const char *host_path)
{
  GVariantBuilder builder;

  g_return_if_fail (JOB_IS_SANDBOX (self));
  g_return_if_fail (sandbox_path != NULL);
  g_return_if_fail (host_path != NULL);

  g_variant_builder_init (&builder, MOUNTS_TYPE);
  if (self->mounts != NULL)
    {
      GVariantIter iter;
      const char *s;
      const char *h;

      g_variant_iter_init (&iter, self->mounts);
      while (g_variant_iter_next (&iter, "(&s&s)", &s, &h))
        g_variant_builder_add (&builder, "(ss)", s, h);
    }
  g_variant_builder_add (&builder, "(ss)", sandbox_path, host_path);
  job_sandbox_set_mounts (self, g_variant_builder_end (&builder));
}

/**
 * job_sandbox_get_mode:
 * @self: a sandbox
 *
 * Gets the requested [property@Job.Sandbox:mode].
 *
 * Returns: the mode
 */
JobSandboxMode
job_sandbox_get_mode (JobSandbox *self)
{
  g_return_val_if_fail (JOB_IS_SANDBOX (self), JOB_SANDBOX_MODE_AUTO);

  return self->mode;
}

/**
 * job_sandbox_set_mode:
 * @self: a sandbox
 * @mode: how commands should run
 *
 * Sets the [property@Job.Sandbox:mode]. The effective mode is resolved
 * again on the next run.
 */
void
job_sandbox_set_mode (JobSandbox *self, JobSandboxMode mode)
{
  g_return_if_fail (JOB_IS_SANDBOX (self));
  g_return_if_fail (mode <= JOB_SANDBOX_MODE_HOST);

  if (self->mode == mode)
    return;
  self->mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
  if (self->effective_mode != JOB_SANDBOX_MODE_AUTO)
    {
      self->effective_mode = JOB_SANDBOX_MODE_AUTO;
      g_object_notify_by_pspec (G_OBJECT (self),
                                properties[PROP_EFFECTIVE_MODE]);
    }
}

/**
 * job_sandbox_get_network:
 * @self: a sandbox
 *
 * Gets whether commands may use the network.
 *
 * Returns: %TRUE if they may
 */
gboolean
job_sandbox_get_network (JobSandbox *self)
{
  g_return_val_if_fail (JOB_IS_SANDBOX (self), FALSE);

  return self->network;
}

/**
 * job_sandbox_set_network:
 * @self: a sandbox
 * @network: whether commands may use the network
 *
 * Sets the [property@Job.Sandbox:network] property.
 */
void
job_sandbox_set_network (JobSandbox *self, gboolean network)
{
  g_return_if_fail (JOB_IS_SANDBOX (self));

  network = !!network;
  if (self->network == network)
    return;
  self->network = network;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK]);
}

/**
 * job_sandbox_get_root_read_only:
 * @self: a sandbox
 *
 * Gets whether the root is mounted read-only.
 *
 * Returns: %TRUE if it is
 */
gboolean
job_sandbox_get_root_read_only (JobSandbox *self)
{
  g_return_val_if_fail (JOB_IS_SANDBOX (self), FALSE);

  return self->root_read_only;
}

/**
 * job_sandbox_set_root_read_only:
 * @self: a sandbox
 * @root_read_only: whether the root is mounted read-only
 *
 * Sets the [property@Job.Sandbox:root-read-only] property.
 */
void
job_sandbox_set_root_read_only (JobSandbox *self, gboolean root_read_only)
{
  g_return_if_fail (JOB_IS_SANDBOX (self));

  root_read_only = !!root_read_only;
  if (self->root_read_only == root_read_only)
    return;
  self->root_read_only = root_read_only;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOT_READ_ONLY]);
}

/**
 * job_sandbox_get_effective_mode:
 * @self: a sandbox
 *
 * Gets the [property@Job.Sandbox:effective-mode]: how the last run ran, or
 * the next will.
 *
 * Returns: [enum@Job.SandboxMode.BWRAP] or [enum@Job.SandboxMode.HOST], or
 *   [enum@Job.SandboxMode.AUTO] if the mode is not resolved yet
 */
JobSandboxMode
job_sandbox_get_effective_mode (JobSandbox *self)
{
  g_return_val_if_fail (JOB_IS_SANDBOX (self), JOB_SANDBOX_MODE_AUTO);

  return self->effective_mode;
}

/* Whether bwrap can set up a sandbox here, probed once per process. */
G_LOCK_DEFINE_STATIC (bwrap_probe);
static char *bwrap_probe_path;
static gboolean bwrap_probe_ok;
static char *bwrap_probe_error;

static gboolean
probe_bwrap (const char *bwrap, GError **error)
{
  gboolean ok;

  G_LOCK (bwrap_probe);
  if (g_strcmp0 (bwrap_probe_path, bwrap) != 0)
    {
      const char *argv[] = { bwrap,
                             "--unshare-all",
                             "--die-with-parent",
                             "--new-session",
                             "--ro-bind",
                             "/",
                             "/",
                             "--proc",
                             "/proc",
                             "--dev",
                             "/dev",
                             "--tmpfs",
                             "/tmp",
                             "--clearenv",
                             "--",
                             bwrap,
                             "--version",
                             NULL };
      const char *envp[] = { NULL };
      g_autofree char *err = NULL;
      g_autoptr (GError) local_error = NULL;
      int status = 0;

      g_clear_pointer (&bwrap_probe_error, g_free);
      if (!g_spawn_sync (NULL, (char **) argv, (char **) envp,
                         G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                         &status, &local_error))
        bwrap_probe_error = g_strdup (local_error->message);
      else if (!g_spawn_check_wait_status (status, NULL))
        bwrap_probe_error = g_strdup (err != NULL && *err != '\0'
                                          ? g_strstrip (err)
                                          : "it failed without a message");
      bwrap_probe_ok = bwrap_probe_error == NULL;
      g_free (bwrap_probe_path);
      bwrap_probe_path = g_strdup (bwrap);
    }
  ok = bwrap_probe_ok;
  if (!ok)
    g_set_error (
        error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_SPAWN,
        "bwrap (%s) cannot create a sandbox here: %s. Unprivileged user "
        "namespaces may be disabled (see the sysctls "
        "kernel.unprivileged_userns_clone and user.max_user_namespaces) "
        "or the container forbids them; enable them, run as root, or "
        "use the host sandbox mode",
        bwrap, bwrap_probe_error);
  G_UNLOCK (bwrap_probe);
  return ok;
}

static char *
find_bwrap (GError **error)
{
  char *bwrap = g_find_program_in_path ("bwrap");

  if (bwrap == NULL)
    g_set_error_literal (
        error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_SPAWN,
        "bwrap was not found in PATH: install bubblewrap (the "
        "Debian package “bubblewrap”) or use the host sandbox mode");
  return bwrap;
}

static void
set_effective_mode (JobSandbox *self, JobSandboxMode mode)
{
  if (self->effective_mode == mode)
    return;
  self->effective_mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EFFECTIVE_MODE]);
}

/**
 * job_sandbox_resolve_mode:
 * @self: a sandbox
 * @error: return location for a #GError
 *
 * Decides how commands will run and sets
 * [property@Job.Sandbox:effective-mode]. In the AUTO mode this finds `bwrap`
 * in `PATH` and checks (once per process) that it can create a sandbox;
 * in the BWRAP mode the same check failing is a %JOB_SANDBOX_ERROR_SPAWN
 * error that says why and what to do. Runs resolve the mode themselves;
 * call this to know the mode before the first run, for example to choose
 * paths with [method@Job.Sandbox.get_command_path].
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_sandbox_resolve_mode (JobSandbox *self, GError **error)
{
  g_autofree char *bwrap = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (JOB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->mode == JOB_SANDBOX_MODE_HOST)
    {
      set_effective_mode (self, JOB_SANDBOX_MODE_HOST);
      return TRUE;
    }

  bwrap = find_bwrap (&local_error);
  if (bwrap != NULL)
    probe_bwrap (bwrap, &local_error);

  if (local_error == NULL)
    set_effective_mode (self, JOB_SANDBOX_MODE_BWRAP);
  else if (self->mode == JOB_SANDBOX_MODE_AUTO)
    {
      g_debug ("Running commands on the host: %s", local_error->message);
      set_effective_mode (self, JOB_SANDBOX_MODE_HOST);
    }
  else
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* @path with . and .. resolved lexically; NULL if it climbs out of /. */
static char *
normalize_sandbox_path (const char *path)
{
  return g_canonicalize_filename (path, "/");
}

static gboolean
path_is_under (const char *path, const char *prefix, const char **rest)
{
  gsize len = strlen (prefix);

  if (g_str_equal (prefix, "/"))
    {
      *rest = path + 1;
      return TRUE;
    }
  if (strncmp (path, prefix, len) != 0
      || (path[len] != '\0' && path[len] != '/'))
    return FALSE;
  *rest = path[len] == '/' ? path + len + 1 : path + len;
  return TRUE;
}

/**
 * job_sandbox_get_host_path:
 * @self: a sandbox
 * @sandbox_path: an absolute path inside the sandbox
 *
 * Finds where @sandbox_path lives on the host: under the host directory of
 * the innermost mount that covers it, else under the root. This holds in
 * both modes; use it to find what a command wrote.
 *
 * Returns: (transfer full) (nullable) (type filename): the host path, or
 *   %NULL if the sandbox has no root and no mount covers @sandbox_path
 */
char *
job_sandbox_get_host_path (JobSandbox *self, const char *sandbox_path)
{
  g_autofree char *path = NULL;
  const char *best_host = NULL;
  const char *best_rest = NULL;
  gsize best_len = 0;

  g_return_val_if_fail (JOB_IS_SANDBOX (self), NULL);
  g_return_val_if_fail (sandbox_path != NULL, NULL);

  path = normalize_sandbox_path (sandbox_path);
  if (self->mounts != NULL)
    {
      GVariantIter iter;
      const char *s;
      const char *h;

      g_variant_iter_init (&iter, self->mounts);
      while (g_variant_iter_next (&iter, "(&s&s)", &s, &h))
        {
          g_autofree char *mount_point = normalize_sandbox_path (s);
          const char *rest;

          if (path_is_under (path, mount_point, &rest)
              && strlen (mount_point) >= best_len)
            {
              best_len = strlen (mount_point);
              best_host = h;
              best_rest = path + (rest - path);
            }
        }
    }
  if (best_host != NULL)
    return *best_rest == '\0' ? g_strdup (best_host)
                              : g_build_filename (best_host, best_rest, NULL);
  if (self->root == NULL)
    return NULL;
  return g_build_filename (self->root, path + 1, NULL);
}

/**
 * job_sandbox_get_command_path:
 * @self: a sandbox
 * @sandbox_path: an absolute path inside the sandbox
 * @error: return location for a #GError
 *
 * Gets the path by which a command run in this sandbox reaches
 * @sandbox_path. That is @sandbox_path itself with `bwrap`, and its host
 * path (see [method@Job.Sandbox.get_host_path]) in the host mode. Elements
 * write the paths they put into commands (such as `%{install-root}`) this way
 * so their commands work in both modes. Resolves the mode if needed.
 *
 * Returns: (transfer full) (nullable) (type filename): the path, or %NULL
 *   with @error set
 */
char *
job_sandbox_get_command_path (JobSandbox *self,
                              const char *sandbox_path,
                              GError **error)
{
  char *path;

  g_return_val_if_fail (JOB_IS_SANDBOX (self), NULL);
  g_return_val_if_fail (sandbox_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->effective_mode == JOB_SANDBOX_MODE_AUTO
      && !job_sandbox_resolve_mode (self, error))
    return NULL;
  if (self->effective_mode == JOB_SANDBOX_MODE_BWRAP)
    return normalize_sandbox_path (sandbox_path);
  path = job_sandbox_get_host_path (self, sandbox_path);
  if (path == NULL)
    g_set_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID,
                 "The sandbox has no root directory: set its root");
  return path;
}

static gboolean
check_config (JobSandbox *self, const char *const *argv, GError **error)
{
  struct stat st;

  if (argv == NULL || argv[0] == NULL || *argv[0] == '\0')
    {
      g_set_error_literal (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID,
                           "No command to run: the argument vector is empty");
      return FALSE;
    }
  if (self->root == NULL || !g_path_is_absolute (self->root))
    {
      g_set_error (
          error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID,
          "The sandbox root “%s” is not an absolute path; set the root "
          "to the staged sysroot directory",
          self->root != NULL ? self->root : "(unset)");
      return FALSE;
    }
  if (stat (self->root, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID,
                   "The sandbox root “%s” is not a directory", self->root);
      return FALSE;
    }
  if (!g_path_is_absolute (self->cwd))
    {
      g_set_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID,
                   "The working directory “%s” is not an absolute path inside "
                   "the sandbox",
                   self->cwd);
      return FALSE;
    }
  for (guint i = 0; self->env[i] != NULL; i++)
    if (strchr (self->env[i], '=') == NULL || self->env[i][0] == '=')
      {
        g_set_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID,
                     "The environment entry “%s” is not of the form NAME=VALUE",
                     self->env[i]);
        return FALSE;
      }
  if (self->mounts != NULL)
    {
      GVariantIter iter;
      const char *s;
      const char *h;

      g_variant_iter_init (&iter, self->mounts);
      while (g_variant_iter_next (&iter, "(&s&s)", &s, &h))
        {
          if (!g_path_is_absolute (s) || !g_path_is_absolute (h))
            {
              g_set_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID,
                           "The mount of “%s” at “%s” needs absolute paths", h,
                           s);
              return FALSE;
            }
          if (stat (h, &st) < 0 || !S_ISDIR (st.st_mode))
            {
              g_set_error (
                  error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID,
                  "The mount source “%s” (for “%s”) is not a directory; "
                  "create it before running",
                  h, s);
              return FALSE;
            }
        }
    }
  return TRUE;
}

static const char *
env_lookup (char **env, const char *name)
{
  gsize len = strlen (name);

  for (guint i = 0; env[i] != NULL; i++)
    if (strncmp (env[i], name, len) == 0 && env[i][len] == '=')
      return env[i] + len + 1;
  return NULL;
}

/* The host path of the program that argv[0] names, looked up in the root. */
static char *
find_host_command (JobSandbox *self, const char *command, GError **error)
{
  const char *search_path = env_lookup (self->env, "PATH");
  g_auto (GStrv) dirs = NULL;

  if (strchr (command, '/') != NULL)
    {
      g_autofree char *in_sandbox =
          g_path_is_absolute (command)
              ? g_strdup (command)
              : g_build_filename (self->cwd, command, NULL);
      char *host = job_sandbox_get_host_path (self, in_sandbox);

      if (g_file_test (host, G_FILE_TEST_IS_EXECUTABLE)
          && !g_file_test (host, G_FILE_TEST_IS_DIR))
        return host;
      g_set_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_SPAWN,
                   "The sandbox has no command “%s” (looked for “%s”)", command,
                   host);
      g_free (host);
      return NULL;
    }

  if (search_path == NULL)
    search_path = "/usr/local/bin:/usr/bin:/bin";
  dirs = g_strsplit (search_path, ":", -1);
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *in_sandbox = NULL;
      g_autofree char *host = NULL;

      if (!g_path_is_absolute (dirs[i]))
        continue;
      in_sandbox = g_build_filename (dirs[i], command, NULL);
      host = job_sandbox_get_host_path (self, in_sandbox);
      if (g_file_test (host, G_FILE_TEST_IS_EXECUTABLE)
          && !g_file_test (host, G_FILE_TEST_IS_DIR))
        return g_steal_pointer (&host);
    }
  g_set_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_SPAWN,
               "The sandbox root “%s” provides no command “%s” in PATH=%s",
               self->root, command, search_path);
  return NULL;
}

/* Paths of directories that bwrap will create in the root, so they can be
 * removed after the run if they did not exist before. */
static void
note_missing_dirs (JobSandbox *self,
                   const char *sandbox_path,
                   GPtrArray *missing)
{
  g_autofree char *path = normalize_sandbox_path (sandbox_path);
  g_autofree char *host = NULL;

  if (g_str_equal (path, "/"))
    return;
  host = g_build_filename (self->root, path + 1, NULL);
  if (g_file_test (host, G_FILE_TEST_EXISTS)
      || g_file_test (host, G_FILE_TEST_IS_SYMLINK))
    return;
  g_ptr_array_add (missing, g_steal_pointer (&host));
  {
    g_autofree char *parent = g_path_get_dirname (path);
    note_missing_dirs (self, parent, missing);
  }
}

static int
compare_longest_first (gconstpointer a, gconstpointer b)
{
  gsize la = strlen (*(const char *const *) a);
  gsize lb = strlen (*(const char *const *) b);

  return la < lb ? 1 : la > lb ? -1 : 0;
}

static void
remove_debris (GPtrArray *missing)
{
  /* Deepest first, so parents are empty when their turn comes. */
  g_ptr_array_sort (missing, compare_longest_first);
  for (guint i = 0; i < missing->len; i++)
    if (rmdir (g_ptr_array_index (missing, i)) < 0 && errno != ENOENT)
      g_debug ("Leaving %s in the sandbox root: %s",
               (char *) g_ptr_array_index (missing, i), g_strerror (errno));
}

static GPtrArray *
build_bwrap_argv (JobSandbox *self,
                  const char *bwrap,
                  const char *const *argv,
                  gboolean interactive,
                  GPtrArray *missing)
{
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cwd = normalize_sandbox_path (self->cwd);

  g_ptr_array_add (args, g_strdup (bwrap));
  g_ptr_array_add (args, g_strdup ("--unshare-all"));
  if (self->network)
    g_ptr_array_add (args, g_strdup ("--share-net"));
  else
    {
      g_ptr_array_add (args, g_strdup ("--hostname"));
      g_ptr_array_add (args, g_strdup ("libjob"));
    }
  g_ptr_array_add (args, g_strdup ("--die-with-parent"));
  g_ptr_array_add (args, g_strdup ("--new-session"));

  /* The root is writable while the other mounts are set up on it. */
  g_ptr_array_add (args, g_strdup ("--bind"));
  g_ptr_array_add (args, g_strdup (self->root));
  g_ptr_array_add (args, g_strdup ("/"));
  note_missing_dirs (self, "/proc", missing);
  g_ptr_array_add (args, g_strdup ("--proc"));
  g_ptr_array_add (args, g_strdup ("/proc"));
  note_missing_dirs (self, "/dev", missing);
  g_ptr_array_add (args, g_strdup ("--dev"));
  g_ptr_array_add (args, g_strdup ("/dev"));
  note_missing_dirs (self, "/tmp", missing);
  g_ptr_array_add (args, g_strdup ("--tmpfs"));
  g_ptr_array_add (args, g_strdup ("/tmp"));

  if (self->mounts != NULL)
    {
      GVariantIter iter;
      const char *s;
      const char *h;

      g_variant_iter_init (&iter, self->mounts);
      while (g_variant_iter_next (&iter, "(&s&s)", &s, &h))
        {
          note_missing_dirs (self, s, missing);
          g_ptr_array_add (args, g_strdup ("--bind"));
          g_ptr_array_add (args, g_strdup (h));
          g_ptr_array_add (args, normalize_sandbox_path (s));
        }
    }
  if (self->root_read_only)
    {
      g_ptr_array_add (args, g_strdup ("--remount-ro"));
      g_ptr_array_add (args, g_strdup ("/"));
    }

  g_ptr_array_add (args, g_strdup ("--chdir"));
  g_ptr_array_add (args, g_steal_pointer (&cwd));
  g_ptr_array_add (args, g_strdup ("--clearenv"));
  for (guint i = 0; self->env[i] != NULL; i++)
    {
      const char *eq = strchr (self->env[i], '=');

      g_ptr_array_add (args, g_strdup ("--setenv"));
      g_ptr_array_add (args,
                       g_strndup (self->env[i], (gsize) (eq - self->env[i])));
      g_ptr_array_add (args, g_strdup (eq + 1));
    }
  g_ptr_array_add (args, g_strdup ("--"));
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, g_strdup (argv[i]));
  g_ptr_array_add (args, NULL);
  return args;
}

static int open_pidfd (GPid pid);

typedef struct
{
  const char *const *argv;
  const char *const *envp;
  const char *cwd;
  int null_fd;
  int out_fd;
  int report_fd; /* write end, close-on-exec */
  int parent_fd; /* a pidfd of the parent, or -1 */
  pid_t parent;
  sigset_t mask;         /* to restore before exec */
  gboolean interactive;  /* keep 0-2 and the session: see spawn_child() */
  gboolean default_int;  /* SIGINT and SIGQUIT, which an interactive run */
  gboolean default_quit; /* ignores here, to the default in the child */
} SpawnArgs;

/* The child, sharing the parent's memory (not its stack) until exec:
 * system calls only. */
static int
spawn_child_main (void *data)
{
  SpawnArgs *args = data;
  struct pollfd parent_gone = { args->parent_fd, POLLIN, 0 };
  int err;

  for (int sig = 1; sig < NSIG; sig++)
    {
      struct sigaction action;

      if (sigaction (sig, NULL, &action) == 0 && action.sa_handler != SIG_IGN
          && action.sa_handler != SIG_DFL)
        {
          action.sa_handler = SIG_DFL;
          action.sa_flags = 0;
          sigemptyset (&action.sa_mask);
          sigaction (sig, &action, NULL);
        }
    }
  if (args->default_int)
    signal (SIGINT, SIG_DFL);
  if (args->default_quit)
    signal (SIGQUIT, SIG_DFL);
  sigprocmask (SIG_SETMASK, &args->mask, NULL);
  if (!args->interactive)
    setsid ();
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* The parent may have died before the line above: then no signal will
   * come. In a new PID namespace getppid() is 0, so ask its pidfd. */
  if (args->parent_fd >= 0 ? poll (&parent_gone, 1, 0) != 0
                           : getppid () != args->parent)
    _exit (127);
  /* The report pipe goes to 3, close-on-exec; 0-2 are fresh copies, so
   * they stay open across exec; everything else closes. */
  if ((!args->interactive
       && (dup2 (args->null_fd, STDIN_FILENO) < 0
           || dup2 (args->out_fd, STDOUT_FILENO) < 0
           || dup2 (args->out_fd, STDERR_FILENO) < 0))
      || (args->report_fd != 3 && dup3 (args->report_fd, 3, O_CLOEXEC) < 0))
    goto failed;
  if (syscall (SYS_close_range, 4u, ~0u, 0) < 0)
    for (int fd = 4; fd < 65536; fd++)
      close (fd);
  if (args->cwd != NULL && chdir (args->cwd) < 0)
    goto failed;
  execve (args->argv[0], (char *const *) args->argv,
          (char *const *) args->envp);
failed:
  err = errno;
  (void) !write (3, &err, sizeof err);
  _exit (127);
}

#define SPAWN_STACK_SIZE (64 * 1024)

enum
{
  RESET_SIGINT = 1 << 0,
  RESET_SIGQUIT = 1 << 1,
};

/* Starts @argv (an absolute path) with /dev/null as its standard input and
 * @out_fd as its standard output and error, no other descriptor, @envp as
 * its environment, in @cwd (or here) and in a session of its own, killed
 * when this process dies: also when it died before the child could ask
 * for that, which the child checks after asking.
 *
 * With @pid_namespace, where this process may, the child is the first
 * process of a new PID namespace: when it dies, the kernel kills
 * everything it started. bwrap needs that: killed between starting the
 * sandbox's first process and releasing it, bwrap leaves that process
 * waiting for it forever. (A host command must not be the first process
 * of a namespace: that one ignores the signals it sends itself.)
 *
 * This is clone(CLONE_VM | CLONE_VFORK), as posix_spawn() does, not
 * GLib's spawn: a build worker holds a sizeable heap, and after fork()
 * every page it writes again costs a copy-on-write fault; that was a
 * quarter of a worker's time. GLib only avoids fork() without a child
 * setup function, and the parent-death signal needs one. A failure to
 * start travels back through a close-on-exec pipe.
 *
 * An @out_fd of -1 starts it interactive: with this process's standard
 * input, output and error, and in its session, so that it can use the
 * terminal; SIGINT and SIGQUIT, which the caller ignores meanwhile, are
 * then put back to their default as @reset_signals says. */
static gboolean
spawn_child (const char *const *argv,
             const char *const *envp,
             const char *cwd,
             int out_fd,
             guint reset_signals,
             gboolean pid_namespace,
             GPid *pid_out,
             GError **error)
{
  SpawnArgs args = { argv, envp, cwd, -1, out_fd, -1, -1, getpid () };
  int report[2];
  sigset_t all;
  void *stack;
  pid_t pid;
  int child_errno = 0;
  ssize_t n;

  args.interactive = out_fd < 0;
  args.default_int = args.interactive && (reset_signals & RESET_SIGINT);
  args.default_quit = args.interactive && (reset_signals & RESET_SIGQUIT);

  args.null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (args.null_fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot open /dev/null: %s", g_strerror (errno));
      return FALSE;
    }
  if (pipe2 (report, O_CLOEXEC) < 0)
    {
      int errsv = errno;

      close (args.null_fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create a pipe: %s", g_strerror (errsv));
      return FALSE;
    }
  args.report_fd = report[1];
  args.parent_fd = open_pidfd (args.parent);
  stack = mmap (NULL, SPAWN_STACK_SIZE, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED)
    {
      int errsv = errno;

      close (args.null_fd);
      close (report[0]);
      close (report[1]);
      if (args.parent_fd >= 0)
        close (args.parent_fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot allocate a stack: %s", g_strerror (errsv));
      return FALSE;
    }

  /* No handler of this process may run in the child, which shares its
   * memory until exec: signals stay blocked until the child has reset
   * every handler to the default. */
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &args.mask);
  pid = -1;
  if (pid_namespace && args.parent_fd >= 0)
    pid = clone (spawn_child_main, (char *) stack + SPAWN_STACK_SIZE,
                 CLONE_VM | CLONE_VFORK | CLONE_NEWPID | SIGCHLD, &args);
  if (pid < 0)
    pid = clone (spawn_child_main, (char *) stack + SPAWN_STACK_SIZE,
                 CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  pthread_sigmask (SIG_SETMASK, &args.mask, NULL);
  munmap (stack, SPAWN_STACK_SIZE);
  close (args.null_fd);
  close (report[1]);
  if (args.parent_fd >= 0)
    close (args.parent_fd);
  if (pid < 0)
    {
      int errsv = errno;

      close (report[0]);
      g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                           g_strerror (errsv));
      return FALSE;
    }
  /* The child has exec'd or exited by now: the parent waited. */
  do
    n = read (report[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close (report[0]);
  if (n == sizeof child_errno)
    {
      waitpid (pid, NULL, 0);
      g_set_error_literal (error, G_IO_ERROR,
                           g_io_error_from_errno (child_errno),
                           g_strerror (child_errno));
      return FALSE;
    }
  *pid_out = pid;
  return TRUE;
}

static int
open_pidfd (GPid pid)
{
#ifdef SYS_pidfd_open
  return (int) syscall (SYS_pidfd_open, pid, 0);
#else
  return -1;
#endif
}

static gboolean
child_has_exited (GPid pid)
{
  siginfo_t info = { 0 };

  if (waitid (P_PID, (id_t) pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
    return errno == ECHILD;
  return info.si_pid == pid;
}

static int
reap (GPid pid)
{
  int status = 0;

  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return -1;
}

static gboolean
write_log (GOutputStream *log_stream,
           const char *data,
           gsize len,
           GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (log_stream == NULL || len == 0)
    return TRUE;
  if (g_output_stream_write_all (log_stream, data, len, NULL, NULL,
                                 &local_error))
    return TRUE;
  g_set_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_FAILED,
               "Cannot write the build log: %s", local_error->message);
  return FALSE;
}

/* Copies what is readable now from @fd to the log; FALSE at end of file. */
static gboolean
pump_output (int fd, GOutputStream *log_stream, GError **error)
{
  char buffer[16 * 1024];

  for (;;)
    {
      ssize_t n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return TRUE; /* EAGAIN: nothing more for now */
      if (n == 0)
        return FALSE;
      if (!write_log (log_stream, buffer, (gsize) n, error))
        return TRUE;
    }
}

static void
kill_children (GPid pid)
{
  g_autofree char *path =
      g_strdup_printf ("/proc/%d/task/%d/children", (int) pid, (int) pid);
  g_autofree char *contents = NULL;
  g_auto (GStrv) pids = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return;
  pids = g_strsplit_set (contents, " \n", -1);
  for (guint i = 0; pids[i] != NULL; i++)
    {
      gint64 child = g_ascii_strtoll (pids[i], NULL, 10);

      if (child > 0)
        kill ((pid_t) child, SIGKILL);
    }
}

/* Waits up to @timeout_ms for @pid to exit, without reaping it. */
static void
wait_for_exit (GPid pid, int pidfd, int timeout_ms)
{
  gint64 deadline =
      g_get_monotonic_time () + timeout_ms * G_GINT64_CONSTANT (1000);

  if (pidfd >= 0)
    {
      struct pollfd fd = { .fd = pidfd, .events = POLLIN };

      while (poll (&fd, 1, timeout_ms) < 0 && errno == EINTR)
        ;
      return;
    }
  while (!child_has_exited (pid) && g_get_monotonic_time () < deadline)
    g_usleep (1000);
}

/* Whether a live (not zombie) process is in the process group @pgid. */
static gboolean
group_has_live_members (GPid pgid)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  if (proc == NULL)
    return FALSE;
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *fields;
      char state;
      int ppid;
      int pgrp;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "stat", NULL);
      /* "pid (comm) state ppid pgrp ...", where comm may hold anything. */
      if (!g_file_get_contents (path, &stat, NULL, NULL)
          || (fields = strrchr (stat, ')')) == NULL
          || sscanf (fields + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
        continue;
      if (pgrp == pgid && state != 'Z' && state != 'X')
        return TRUE;
    }
  return FALSE;
}

/* Waits up to @timeout_ms for the killed members of a process group to be
 * gone, so that a cancelled run leaves nothing behind when it returns. Zombies
 * do not count: they run nothing and wait for their new parent. */
static void
wait_for_group_gone (GPid pgid, int timeout_ms)
{
  gint64 deadline =
      g_get_monotonic_time () + timeout_ms * G_GINT64_CONSTANT (1000);

  while (kill (-pgid, 0) == 0 && group_has_live_members (pgid)
         && g_get_monotonic_time () < deadline)
    g_usleep (1000);
}

static gboolean
run_child (GPid pid,
           gboolean is_bwrap,
           int out_fd,
           GOutputStream *log_stream,
           GCancellable *cancellable,
           int *exit_status,
           GError **error)
{
  g_autoptr (GError) run_error = NULL;
  int pidfd = open_pidfd (pid);
  int cancel_fd;
  gboolean cancelled = FALSE;
  gboolean exited = FALSE;
  int status;

  g_unix_set_fd_nonblocking (out_fd, TRUE, NULL);
  cancel_fd = cancellable != NULL ? g_cancellable_get_fd (cancellable) : -1;

  while (!exited && !cancelled)
    {
      struct pollfd fds[3];
      nfds_t n = 0;
      int out_index = -1;
      int pid_index = -1;

      if (out_fd >= 0)
        {
          out_index = (int) n;
          fds[n++] = (struct pollfd){ .fd = out_fd, .events = POLLIN };
        }
      if (pidfd >= 0)
        {
          pid_index = (int) n;
          fds[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
        }
      if (cancel_fd >= 0)
        fds[n++] = (struct pollfd){ .fd = cancel_fd, .events = POLLIN };

      if (poll (fds, n, pidfd >= 0 ? -1 : 20) < 0 && errno != EINTR)
        {
          if (run_error == NULL)
            g_set_error (&run_error, JOB_SANDBOX_ERROR,
                         JOB_SANDBOX_ERROR_FAILED,
                         "Cannot wait for the command: %s", g_strerror (errno));
          break;
        }

      if (g_cancellable_is_cancelled (cancellable))
        cancelled = TRUE;
      else
        {
          if (out_index >= 0 && fds[out_index].revents != 0
              && !pump_output (out_fd, log_stream,
                               run_error == NULL ? &run_error : NULL))
            {
              close (out_fd);
              out_fd = -1;
            }
          if (run_error != NULL)
            cancelled = TRUE; /* no log, no point going on */
          if (pid_index >= 0 ? fds[pid_index].revents != 0
                             : child_has_exited (pid))
            exited = TRUE;
        }
    }

  if (!exited && is_bwrap)
    {
      /* Killing the pid namespace's init (bwrap's child) takes the whole
       * sandbox down; bwrap itself exits once that is done. */
      kill_children (pid);
      wait_for_exit (pid, pidfd, 500);
    }
  /* Kill whatever is left in the command's process group (all of it when
   * cancelled); the unreaped leader keeps the group id from being reused. */
  kill (-pid, SIGKILL);
  if (exited && out_fd >= 0)
    pump_output (out_fd, log_stream, run_error == NULL ? &run_error : NULL);
  status = reap (pid);
  if (!exited)
    wait_for_group_gone (pid, 200);

  if (out_fd >= 0)
    close (out_fd);
  if (pidfd >= 0)
    close (pidfd);
  if (cancel_fd >= 0)
    g_cancellable_release_fd (cancellable);

  if (run_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&run_error));
      return FALSE;
    }
  if (cancelled)
    return !g_cancellable_set_error_if_cancelled (cancellable, error);
  if (exit_status != NULL)
    *exit_status = status;
  return TRUE;
}

/* What job_sandbox_run() and job_sandbox_run_interactive() start: bwrap's
 * arguments, or the host command's, once the configuration is checked, the
 * mode resolved and the working directory made. @missing gets the
 * directories made in the root, to remove afterwards; @host_cwd where the
 * working directory is on the host. */
static GPtrArray *
prepare_command (JobSandbox *self,
                 const char *const *argv,
                 gboolean interactive,
                 GPtrArray *missing,
                 char **host_cwd,
                 GError **error)
{
  g_autoptr (GPtrArray) args = NULL;
  g_autofree char *bwrap = NULL;
  g_autofree char *command = NULL;

  if (!check_config (self, argv, error)
      || !job_sandbox_resolve_mode (self, error))
    return NULL;

  *host_cwd = job_sandbox_get_host_path (self, self->cwd);
  if (self->effective_mode == JOB_SANDBOX_MODE_BWRAP)
    {
      note_missing_dirs (self, self->cwd, missing);
      bwrap = find_bwrap (error);
      if (bwrap == NULL)
        return NULL;
      args = build_bwrap_argv (self, bwrap, argv, interactive, missing);
    }
  else
    {
      command = find_host_command (self, argv[0], error);
      if (command == NULL)
        return NULL;
      args = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (args, g_steal_pointer (&command));
      for (guint i = 1; argv[i] != NULL; i++)
        g_ptr_array_add (args, g_strdup (argv[i]));
      g_ptr_array_add (args, NULL);
    }
  if (g_mkdir_with_parents (*host_cwd, 0755) < 0)
    {
      g_set_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_INVALID,
                   "Cannot create the working directory “%s” (%s): %s",
                   self->cwd, *host_cwd, g_strerror (errno));
      remove_debris (missing);
      return NULL;
    }
  return g_steal_pointer (&args);
}

/**
 * job_sandbox_run:
 * @self: a sandbox
 * @argv: (array zero-terminated=1): the command and its arguments; the
 *   command is looked up in the sandbox's `PATH`
 * @log_stream: (nullable): where the command's standard output and error
 *   go, after a first line naming the mode; %NULL to discard them
 * @cancellable: (nullable): a #GCancellable; cancelling kills the command
 *   and everything it started, at once
 * @exit_status: (out) (optional): the exit status of the command, or 128
 *   plus the signal number if a signal killed it
 * @error: return location for a #GError
 *
 * Runs @argv in the sandbox and waits for it to finish. This blocks: call
 * it from a worker thread or process, or use
 * [method@Job.Sandbox.run_async].
 *
 * A command that runs and fails is no error: look at @exit_status.
 *
 * Returns: %TRUE if the command ran to its end, %FALSE with @error set
 *   (%JOB_SANDBOX_ERROR_SPAWN, %JOB_SANDBOX_ERROR_INVALID,
 *   %G_IO_ERROR_CANCELLED, ...)
 */
gboolean
job_sandbox_run (JobSandbox *self,
                 const char *const *argv,
                 GOutputStream *log_stream,
                 GCancellable *cancellable,
                 int *exit_status,
                 GError **error)
{
  g_autoptr (GPtrArray) args = NULL;
  g_autoptr (GPtrArray) missing = NULL;
  g_autofree char *host_cwd = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *header;
  const char *empty_env[] = { NULL };
  int pipe_fds[2];
  GPid pid;
  gboolean ok;

  g_return_val_if_fail (JOB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (log_stream == NULL || G_IS_OUTPUT_STREAM (log_stream),
                        FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                        FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (exit_status != NULL)
    *exit_status = -1;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  missing = g_ptr_array_new_with_free_func (g_free);
  args = prepare_command (self, argv, FALSE, missing, &host_cwd, error);
  if (args == NULL)
    return FALSE;
  header = self->effective_mode == JOB_SANDBOX_MODE_BWRAP ? "sandbox: bwrap\n"
                                                          : "sandbox: host\n";

  if (!write_log (log_stream, header, strlen (header), error))
    {
      remove_debris (missing);
      return FALSE;
    }

  if (!g_unix_open_pipe (pipe_fds, FD_CLOEXEC, &local_error))
    {
      g_set_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_FAILED,
                   "Cannot create a pipe for the output: %s",
                   local_error->message);
      remove_debris (missing);
      return FALSE;
    }
  ok = spawn_child (
      (const char *const *) args->pdata,
      self->effective_mode == JOB_SANDBOX_MODE_HOST
          ? (const char *const *) self->env
          : empty_env,
      self->effective_mode == JOB_SANDBOX_MODE_HOST ? host_cwd : NULL,
      pipe_fds[1], 0, self->effective_mode == JOB_SANDBOX_MODE_BWRAP, &pid,
      &local_error);
  close (pipe_fds[1]);
  if (!ok)
    {
      close (pipe_fds[0]);
      remove_debris (missing);
      g_set_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_SPAWN,
                   "Cannot start “%s”: %s", argv[0], local_error->message);
      return FALSE;
    }

  ok = run_child (pid, self->effective_mode == JOB_SANDBOX_MODE_BWRAP,
                  pipe_fds[0], log_stream, cancellable, exit_status, error);
  remove_debris (missing);
  return ok;
}

/**
 * job_sandbox_run_interactive:
 * @self: a sandbox
 * @argv: (array zero-terminated=1): the command and its arguments; the
 *   command is looked up in the sandbox's `PATH`
 * @exit_status: (out) (optional): the exit status of the command, or 128
 *   plus the signal number if a signal killed it
 * @error: return location for a #GError
 *
 * Runs @argv in the sandbox with this process's standard input, output and
 * error, and waits for it to finish: an interactive shell in the sandbox,
 * as `job shell` opens. Unlike [method@Job.Sandbox.run], the command stays
 * in this process's session, so that it can use the terminal, and nothing
 * is logged. While it runs, this process ignores `SIGINT` and `SIGQUIT`, as
 * system() does, so that Ctrl-C reaches the command alone; the command
 * still dies with this process. Call it from the main thread of a program
 * that owns its terminal.
 *
 * Returns: %TRUE if the command ran to its end, %FALSE with @error set
 */
gboolean
job_sandbox_run_interactive (JobSandbox *self,
                             const char *const *argv,
                             int *exit_status,
                             GError **error)
{
  g_autoptr (GPtrArray) args = NULL;
  g_autoptr (GPtrArray) missing = NULL;
  g_autofree char *host_cwd = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *empty_env[] = { NULL };
  struct sigaction ignore = { 0 };
  struct sigaction old_int, old_quit;
  gboolean is_bwrap;
  GPid pid;
  int status;
  gboolean ok;

  g_return_val_if_fail (JOB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (exit_status != NULL)
    *exit_status = -1;
  missing = g_ptr_array_new_with_free_func (g_free);
  args = prepare_command (self, argv, TRUE, missing, &host_cwd, error);
  if (args == NULL)
    return FALSE;
  is_bwrap = self->effective_mode == JOB_SANDBOX_MODE_BWRAP;

  ignore.sa_handler = SIG_IGN;
  sigemptyset (&ignore.sa_mask);
  sigaction (SIGINT, &ignore, &old_int);
  sigaction (SIGQUIT, &ignore, &old_quit);
  ok = spawn_child ((const char *const *) args->pdata,
                    is_bwrap ? empty_env : (const char *const *) self->env,
                    is_bwrap ? NULL : host_cwd, -1,
                    (old_int.sa_handler != SIG_IGN ? RESET_SIGINT : 0)
                        | (old_quit.sa_handler != SIG_IGN ? RESET_SIGQUIT : 0),
                    is_bwrap, &pid, &local_error);
  status = ok ? reap (pid) : -1;
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGQUIT, &old_quit, NULL);
  remove_debris (missing);
  if (!ok)
    {
      g_set_error (error, JOB_SANDBOX_ERROR, JOB_SANDBOX_ERROR_SPAWN,
                   "Cannot start “%s”: %s", argv[0], local_error->message);
      return FALSE;
    }
  if (exit_status != NULL)
    *exit_status = status;
  return TRUE;
}

typedef struct
{
  char **argv;
  GOutputStream *log_stream;
} RunData;

static void
run_data_free (RunData *data)
{
  g_strfreev (data->argv);
  g_clear_object (&data->log_stream);
  g_free (data);
}

static void
run_thread (GTask *task,
            gpointer source_object,
            gpointer task_data,
            GCancellable *cancellable)
{
  RunData *data = task_data;
  GError *error = NULL;
  int exit_status = -1;

  if (job_sandbox_run (source_object, (const char *const *) data->argv,
                       data->log_stream, cancellable, &exit_status, &error))
    g_task_return_int (task, exit_status);
  else
    g_task_return_error (task, error);
}

/**
 * job_sandbox_run_async:
 * @self: a sandbox
 * @argv: (array zero-terminated=1): the command and its arguments
 * @log_stream: (nullable): where the output goes; see
 *   [method@Job.Sandbox.run]
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the command has finished
 * @user_data: data for @callback
 *
 * Runs @argv in the sandbox like [method@Job.Sandbox.run], in a thread.
 * Do not change the sandbox until it finishes.
 */
void
job_sandbox_run_async (JobSandbox *self,
                       const char *const *argv,
                       GOutputStream *log_stream,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  RunData *data;

  g_return_if_fail (JOB_IS_SANDBOX (self));
  g_return_if_fail (log_stream == NULL || G_IS_OUTPUT_STREAM (log_stream));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, job_sandbox_run_async);
  data = g_new0 (RunData, 1);
  data->argv = g_strdupv ((char **) argv);
  data->log_stream = log_stream != NULL ? g_object_ref (log_stream) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);
  g_task_run_in_thread (task, run_thread);
}

/**
 * job_sandbox_run_finish:
 * @self: a sandbox
 * @result: the result given to the callback
 * @exit_status: (out) (optional): the exit status of the command, or 128
 *   plus the signal number if a signal killed it
 * @error: return location for a #GError
 *
 * Finishes [method@Job.Sandbox.run_async].
 *
 * Returns: %TRUE if the command ran to its end, %FALSE with @error set
 */
gboolean
job_sandbox_run_finish (JobSandbox *self,
                        GAsyncResult *result,
                        int *exit_status,
                        GError **error)
{
  GError *local_error = NULL;
  gssize status;

  g_return_val_if_fail (JOB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  status = g_task_propagate_int (G_TASK (result), &local_error);
  if (exit_status != NULL)
    *exit_status = (int) status;
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}
