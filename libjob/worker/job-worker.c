/* job-worker.c: the process tasks run in
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Started by JobWorkerPool with its end of a private SOCK_SEQPACKET socket
 * as fd 3. It says hello, then runs the tasks it receives one at a time and
 * sends back each result, until the parent closes the socket.
 */

#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "job-backend-private.h"
#include "job-build-context-private.h"
#include "job-module-private.h"
#include "job-python-private.h"
#include "job-wire-private.h"
#include "job-worker-oneshot.h"

typedef struct
{
  int socket_fd;
  int direct_fd; /* -1 if the parent gave none */
  int cwd_fd;
  int clear_refs_fd;
  int status_fd;
  mode_t umask;
  gboolean umask_changed; /* or unknown: restore it */
  guint64 children_cpu_ns;
  guint64 armed_cpu_ns; /* the process's CPU time when it was armed */
  gint64 last_wait_us;  /* how long it last waited for a message */
  gint64 spin_us;       /* see receive() */
  guint n_processors;
  gint64 pid;
  char **saved_environ;
  char **plugin_dirs;
  guint8 *buffer;
} Worker;

static void die (const char *format, ...) G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN;

static void
die (const char *format, ...)
{
  va_list args;

  fputs ("job-worker: ", stderr);
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputc ('\n', stderr);
  _exit (2);
}

static void
reset_signals (void)
{
  sigset_t mask;

  /* Whatever the parent ignored or blocked, a task starts from defaults. */
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  sigemptyset (&mask);
  sigprocmask (SIG_SETMASK, &mask, NULL);
}

static guint64
timespec_ns (const struct timespec *ts)
{
  return (guint64) ts->tv_sec * G_GUINT64_CONSTANT (1000000000) + ts->tv_nsec;
}

static guint64
clock_ns (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return timespec_ns (&ts);
}

static guint64
children_cpu_ns (void)
{
  struct rusage usage;

  getrusage (RUSAGE_CHILDREN, &usage);
  return ((guint64) usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
             * G_GUINT64_CONSTANT (1000000000)
         + ((guint64) usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000;
}

/* Also notes whether the task changed the umask, which the same read says:
 * restoring it unchanged would cost a syscall per task. */
static guint64
read_peak_rss (Worker *self)
{
  char buf[4096];
  ssize_t n;
  const char *line;

  self->umask_changed = TRUE;
  if (self->status_fd < 0)
    return 0;
  n = pread (self->status_fd, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  line = strstr (buf, "\nUmask:");
  if (line != NULL)
    self->umask_changed =
        g_ascii_strtoull (line + strlen ("\nUmask:"), NULL, 8) != self->umask;
  line = strstr (buf, "\nVmHWM:");
  if (line == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("\nVmHWM:"), NULL, 10) * 1024;
}

static void
restore_process_state (Worker *self)
{
  gboolean same = TRUE;
  guint i;

  /* A task may chdir, setenv or umask: the next one must not see it. */
  if (fchdir (self->cwd_fd) != 0)
    die ("cannot return to the initial working directory: %s",
         g_strerror (errno));
  if (self->umask_changed)
    umask (self->umask);

  /* clearenv() leaves environ NULL: read that as empty. */
  for (i = 0; same && self->saved_environ[i] != NULL; i++)
    same = environ != NULL && environ[i] != NULL
           && strcmp (environ[i], self->saved_environ[i]) == 0;
  same = same && (environ == NULL || environ[i] == NULL);
  if (!same)
    {
      clearenv ();
      for (i = 0; self->saved_environ[i] != NULL; i++)
        putenv (self->saved_environ[i]);
    }
}

/* Resets what a task's metrics count from: the kernel's resident memory
 * high-water mark and the CPU time. Done once the previous reply is sent,
 * while the parent has nothing to wait for, so that a task's metrics cover
 * receiving and rebuilding it, then running it. */
static void
arm_metrics (Worker *self)
{
  if (self->clear_refs_fd >= 0 && pwrite (self->clear_refs_fd, "5", 1, 0) != 1)
    {
      close (self->clear_refs_fd);
      self->clear_refs_fd = -1;
    }
  self->armed_cpu_ns = clock_ns (CLOCK_PROCESS_CPUTIME_ID);
}

/* A worker whose last message came within this long after it was ready
 * polls for the next one that long before it sleeps: see receive(). Tests
 * set JOB_WORKER_SPIN_US (through the pool's env-allowlist) to make the
 * window long enough to measure what happens in it. */
#define SPIN_US 50

/* Receives the next message. When messages have been coming close behind
 * each other (a caller submitting one task after another) and another CPU
 * can run the parent, polls for a while first: the parent's send then
 * finds the worker running, and the reply comes without the cost of waking
 * a sleeping process, which here is most of a round trip. The CPU spent
 * polling is not the next task's: once it polled, whether the message came
 * then or after it gave up and slept, the metrics are armed again. */
static JobWireStatus
receive (Worker *self, JobWireMessage *message, GError **error)
{
  gint64 ready = g_get_monotonic_time ();
  JobWireStatus status = JOB_WIRE_STATUS_AGAIN;
  gboolean polled = FALSE;

  if (self->last_wait_us <= self->spin_us && self->n_processors > 1)
    {
      do
        {
          status = job_wire_receive (self->socket_fd, TRUE, self->buffer,
                                     JOB_WIRE_BUFFER_SIZE, message, error);
          polled = polled || status == JOB_WIRE_STATUS_AGAIN;
        }
      while (status == JOB_WIRE_STATUS_AGAIN
             && g_get_monotonic_time () - ready < self->spin_us);
    }
  while (status == JOB_WIRE_STATUS_AGAIN)
    status = job_wire_receive (self->socket_fd, FALSE, self->buffer,
                               JOB_WIRE_BUFFER_SIZE, message, error);
  if (polled && status == JOB_WIRE_STATUS_MESSAGE)
    self->armed_cpu_ns = clock_ns (CLOCK_PROCESS_CPUTIME_ID);
  self->last_wait_us = g_get_monotonic_time () - ready;
  return status;
}

static void
send_or_die (Worker *self,
             int fd,
             JobWireType type,
             guint64 request_id,
             const JobWireMetrics *metrics,
             GBytes *const *parts,
             guint n_parts)
{
  g_autoptr (GError) error = NULL;

  if (!job_wire_send (fd, type, request_id, metrics, parts, n_parts, &error))
    die ("%s", error->message);
}

static void
send_error (Worker *self,
            int fd,
            guint64 request_id,
            const JobWireMetrics *metrics,
            const GError *error)
{
  g_autoptr (GBytes) part = job_wire_encode_error (error);

  send_or_die (self, fd, JOB_WIRE_ERROR, request_id, metrics, &part, 1);
}

/* Python caches the environment in os.environ: put it back too. */
static void
restore_python_state (void)
{
  g_autoptr (GError) error = NULL;

  if (!job_python_restore_environ (&error))
    die ("%s", error->message);
}

static void
run_task (Worker *self, JobWireMessage *message)
{
  JobWireMetrics metrics = { 0 };
  g_autoptr (JobTask) task = NULL;
  g_autoptr (GObject) output = NULL;
  g_autoptr (JobPickleFrames) output_frames = NULL;
  g_autoptr (GError) error = NULL;
  guint64 wall0, children;
  /* A direct task's reply goes where its blocking caller waits for it. */
  int fd = message->type == JOB_WIRE_TASK_DIRECT && self->direct_fd >= 0
               ? self->direct_fd
               : self->socket_fd;

  metrics.pid = self->pid;
  self->umask_changed = TRUE;

  task = job_wire_decode_task (message, (const char *const *) self->plugin_dirs,
                               &error);
  if (task == NULL)
    {
      send_error (self, fd, message->request_id, &metrics, error);
      return;
    }
  /* Free the task's pickle (maybe a large mapping) before it runs. */
  g_clear_pointer (&message->parts, g_ptr_array_unref);

  wall0 = clock_ns (CLOCK_MONOTONIC);

  output = job_task_run (task, NULL, &error);

  metrics.wall_ns = clock_ns (CLOCK_MONOTONIC) - wall0;
  /* Children are only reaped while a task runs: their total since the
   * last task is this task's. */
  children = children_cpu_ns ();
  metrics.cpu_ns = clock_ns (CLOCK_PROCESS_CPUTIME_ID) - self->armed_cpu_ns
                   + (children - self->children_cpu_ns);
  self->children_cpu_ns = children;
  g_clear_object (&task);
  metrics.peak_rss = read_peak_rss (self);

  if (error != NULL)
    {
      send_error (self, fd, message->request_id, &metrics, error);
      return;
    }
  if (output == NULL)
    {
      send_or_die (self, fd, JOB_WIRE_RESULT, message->request_id, &metrics,
                   NULL, 0);
      return;
    }

  output_frames = job_pickle_dump_frames (output, 0, &error);
  if (output_frames == NULL)
    {
      g_autoptr (GError) wrapped = g_error_new (
          JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK,
          "The output of the task cannot be pickled: %s", error->message);

      send_error (self, fd, message->request_id, &metrics, wrapped);
      return;
    }

  {
    guint n_frames = job_pickle_frames_get_n_frames (output_frames);
    GBytes *parts_small[16];
    g_autofree GBytes **parts_heap = NULL;
    GBytes **parts = n_frames + 1 <= G_N_ELEMENTS (parts_small)
                         ? parts_small
                         : (parts_heap = g_new (GBytes *, n_frames + 1));

    parts[0] = job_pickle_frames_get_header (output_frames);
    for (guint i = 0; i < n_frames; i++)
      parts[i + 1] = job_pickle_frames_get_frame (output_frames, i);
    send_or_die (self, fd, JOB_WIRE_RESULT, message->request_id, &metrics,
                 parts, n_frames + 1);
  }
}

static void
set_plugin_dirs (Worker *self, GBytes *part)
{
  g_strfreev (self->plugin_dirs);
  self->plugin_dirs = job_wire_decode_dirs (part);
}

/* --python: this worker runs tasks whose pickles name Python plugins.
 * Python starts now, once, rather than on the first such task. */
static void
start_python (void)
{
  g_autoptr (GError) error = NULL;

  if (!job_python_ensure (&error))
    die ("%s", error->message);
}

/* The pool starts workers with posix_spawn(), which keeps every descriptor
 * the parent holds without close-on-exec (GLib closes them only when it
 * forks, and forking a large parent costs far more than starting the
 * worker). Close them here, first thing: a worker keeps 0-2 and its
 * protocol sockets, nothing else. */
static void
close_inherited_descriptors (void)
{
  int type = 0;
  socklen_t len = sizeof type;

  if (syscall (SYS_close_range, JOB_WIRE_WORKER_DIRECT_FD + 1, ~0u, 0) < 0)
    {
      struct rlimit limit = { 0 };
      int max = getrlimit (RLIMIT_NOFILE, &limit) == 0
                        && limit.rlim_cur != RLIM_INFINITY
                    ? (int) MIN (limit.rlim_cur, 65536)
                    : 65536;

      for (int fd = JOB_WIRE_WORKER_DIRECT_FD + 1; fd < max; fd++)
        close (fd);
    }
  /* Without a direct socket, whatever the parent had there is a stray. */
  if (getsockopt (JOB_WIRE_WORKER_DIRECT_FD, SOL_SOCKET, SO_TYPE, &type, &len)
          != 0
      || type != SOCK_SEQPACKET)
    close (JOB_WIRE_WORKER_DIRECT_FD);
}

int
main (int argc, char **argv)
{
  Worker self = { 0 };
  g_autoptr (GStrvBuilder) dirs = g_strv_builder_new ();
  g_autofree char *pid_text = NULL;
  g_autoptr (GBytes) hello = NULL;
  JobWireMessage message = { 0 };
  long parent_pid = 0;
  gboolean python = FALSE;

  if (job_worker_is_oneshot (argc, argv))
    return job_worker_oneshot_main (argc, argv);
  close_inherited_descriptors ();

  for (int i = 1; i < argc; i++)
    {
      if (g_str_has_prefix (argv[i], "--parent-pid="))
        parent_pid = strtol (argv[i] + strlen ("--parent-pid="), NULL, 10);
      else if (g_str_has_prefix (argv[i], "--protocol="))
        {
          if (strtol (argv[i] + strlen ("--protocol="), NULL, 10)
              != JOB_WIRE_VERSION)
            die ("the library speaks protocol %s, this worker %d: it belongs "
                 "to another "
                 "libjob version",
                 argv[i] + strlen ("--protocol="), JOB_WIRE_VERSION);
        }
      else if (g_str_has_prefix (argv[i], "--plugin-dir="))
        g_strv_builder_add (dirs, argv[i] + strlen ("--plugin-dir="));
      else if (g_str_equal (argv[i], "--python"))
        python = TRUE;
      else
        die ("unknown argument “%s”; this program is started by libjob, not by "
             "hand",
             argv[i]);
    }
  if (parent_pid <= 1)
    die ("no --parent-pid; this program is started by libjob, not by hand");

  /* Die with the parent; it may have died before this line ran. */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) != 0)
    die ("cannot ask to die with the parent: %s", g_strerror (errno));
  if (getppid () != (pid_t) parent_pid)
    _exit (1);

  reset_signals ();
  /* libjob's own types register when a pickle first names one. */
  if (python)
    start_python ();

  /* What a task prints must never reach the protocol socket. */
  if (dup2 (STDERR_FILENO, STDOUT_FILENO) < 0)
    die ("cannot redirect standard output: %s", g_strerror (errno));

  self.pid = getpid ();
  self.socket_fd = JOB_WIRE_WORKER_FD;
  if (fcntl (self.socket_fd, F_SETFD, FD_CLOEXEC) != 0)
    die ("no socket on fd %d: %s", self.socket_fd, g_strerror (errno));
  self.direct_fd = JOB_WIRE_WORKER_DIRECT_FD;
  if (fcntl (self.direct_fd, F_SETFD, FD_CLOEXEC) != 0)
    self.direct_fd = -1;
  self.cwd_fd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (self.cwd_fd < 0)
    die ("cannot open the working directory: %s", g_strerror (errno));
  self.umask = umask (022);
  umask (self.umask);
  self.clear_refs_fd = open ("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  self.status_fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);
  self.saved_environ =
      environ != NULL ? g_strdupv (environ) : g_new0 (char *, 1);
  self.plugin_dirs = g_strv_builder_end (dirs);
  self.n_processors = g_get_num_processors ();
  self.spin_us = SPIN_US;
  if (g_getenv ("JOB_WORKER_SPIN_US") != NULL)
    self.spin_us = (gint64) MIN (
        g_ascii_strtoull (g_getenv ("JOB_WORKER_SPIN_US"), NULL, 10),
        G_USEC_PER_SEC);
  self.buffer = g_malloc (JOB_WIRE_BUFFER_SIZE);

  pid_text = g_strdup_printf ("%ld", (long) getpid ());
  hello = g_bytes_new_static (pid_text, strlen (pid_text));
  send_or_die (&self, self.socket_fd, JOB_WIRE_HELLO,
               self.direct_fd >= 0 ? JOB_WIRE_HELLO_DIRECT : 0, NULL, &hello,
               1);
  arm_metrics (&self);

  for (;;)
    {
      g_autoptr (GError) error = NULL;

      switch (receive (&self, &message, &error))
        {
        case JOB_WIRE_STATUS_EOF:
          job_build_context_drop_kept_root ();
          _exit (0);
        case JOB_WIRE_STATUS_MESSAGE:
          break;
        case JOB_WIRE_STATUS_AGAIN:
          continue;
        case JOB_WIRE_STATUS_ERROR:
        default:
          die ("%s", error != NULL ? error->message : "receive failed");
        }

      if (message.type == JOB_WIRE_TASK || message.type == JOB_WIRE_TASK_DIRECT)
        {
          run_task (&self, &message);
          /* Once the reply is sent: the parent need not wait for it. */
          restore_python_state ();
          restore_process_state (&self);
          arm_metrics (&self);
        }
      else if (message.type == JOB_WIRE_DIRS && message.parts->len == 1)
        set_plugin_dirs (&self, message.parts->pdata[0]);
      else
        die ("unexpected message of type %d from the parent", message.type);
      job_wire_message_clear (&message);
    }
}
