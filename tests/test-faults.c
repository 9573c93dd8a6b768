/* test-faults.c: fault injection across the worker boundary
 *
 * Workers killed at random under load, workers that break the protocol or
 * hang, pickles that name what must never be instantiated or loaded, and a
 * parent environment full of secrets that no task may see. */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-backend-util.h"
#include "test-types.h"
#include "job-pickle-private.h"
#include "job-wire-private.h"
#include "test-time-scale.h"
#include "test-secrets.h"

/* Processes, from /proc */

static gboolean
read_stat (int pid, int *ppid, char *state)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *contents = NULL;
  const char *paren;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  /* pid (comm) state ppid: comm may hold spaces and parentheses. */
  paren = strrchr (contents, ')');
  return paren != NULL && sscanf (paren + 1, " %c %d", state, ppid) == 2;
}

/* Every child of this process, zombies included. */
static GArray *
list_children (void)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (int));
  const char *name;

  g_assert_nonnull (proc);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      int pid = atoi (name), ppid;
      char state;

      if (pid > 0 && read_stat (pid, &ppid, &state) && ppid == getpid ())
        {
          g_test_message ("child %d in state %c", pid, state);
          g_array_append_val (out, pid);
        }
    }
  return out;
}

static gboolean
pid_alive (int pid)
{
  int ppid;
  char state;

  return read_stat (pid, &ppid, &state) && state != 'Z';
}

/* Children may take a moment to be reaped once the pool let them go. */
static void
assert_no_children (void)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (GArray) children = list_children ();

      if (children->len == 0)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
}

/* Chaos: workers killed at random while 1,000 tasks run */

#define N_CHAOS_TASKS 1000

typedef struct
{
  guint n_done;
  guint n_ok;
  guint n_crashed;
  guint n_kills;
  guint n_ok_at_kill;
  guint completions[N_CHAOS_TASKS];
  GHashTable *pids; /* every worker pid seen */
  JobWorkerPool *pool;
  GRand *rand;
} Chaos;

typedef struct
{
  Chaos *chaos;
  guint index;
} ChaosTask;

static void
chaos_done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  ChaosTask *ct = user_data;
  Chaos *chaos = ct->chaos;
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) task_result =
      job_backend_submit_finish (JOB_BACKEND (object), result, &error);

  chaos->completions[ct->index]++;
  chaos->n_done++;
  if (task_result != NULL)
    {
      g_autofree char *expected = g_strdup_printf ("task-%u", ct->index);

      /* Its own output, never another task's. */
      g_assert_cmpstr (test_output_text (task_result), ==, expected);
      g_hash_table_add (
          chaos->pids,
          GINT_TO_POINTER ((int) job_result_get_worker_pid (task_result)));
      chaos->n_ok++;
    }
  else
    {
      if (!g_error_matches (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_CRASHED))
        g_error ("task %u failed with something else than CRASHED: %s (%s %d)",
                 ct->index, error->message, g_quark_to_string (error->domain),
                 error->code);
      g_assert_nonnull (strstr (error->message, "SIGKILL"));
      chaos->n_crashed++;
    }
  g_free (ct);
}

static gboolean
chaos_kill_cb (gpointer user_data)
{
  Chaos *chaos = user_data;
  g_autoptr (GArray) pids = NULL;

  /* Kill again only once a task got through since the last kill: however
   * slow workers are to start (ASan, valgrind), the pool makes progress. */
  if (chaos->n_ok == chaos->n_ok_at_kill)
    return G_SOURCE_CONTINUE;
  pids = job_worker_pool_dup_worker_pids (chaos->pool);
  if (pids->len > 0)
    {
      gint64 pid = g_array_index (pids, gint64,
                                  g_rand_int_range (chaos->rand, 0, pids->len));

      g_hash_table_add (chaos->pids, GINT_TO_POINTER ((int) pid));
      if (kill ((pid_t) pid, SIGKILL) == 0)
        {
          chaos->n_kills++;
          chaos->n_ok_at_kill = chaos->n_ok;
        }
    }
  return G_SOURCE_CONTINUE;
}

static void
test_chaos (void)
{
  Chaos chaos = { 0 };
  g_autoptr (JobWorkerPool) pool =
      g_object_new (JOB_TYPE_WORKER_POOL, "max-workers", 2, NULL);
  GSource *killer;
  gint64 deadline;
  GHashTableIter iter;
  gpointer pid;

  chaos.pool = pool;
  chaos.n_ok_at_kill = G_MAXUINT;
  chaos.pids = g_hash_table_new (NULL, NULL);
  chaos.rand = g_rand_new_with_seed (g_test_rand_int ());

  for (guint i = 0; i < N_CHAOS_TASKS; i++)
    {
      g_autofree char *text = g_strdup_printf ("task-%u", i);
      g_autoptr (JobTask) task =
          test_task_new ("TestEchoTask", "text", text, NULL);
      ChaosTask *ct = g_new0 (ChaosTask, 1);

      ct->chaos = &chaos;
      ct->index = i;
      job_backend_submit_async (JOB_BACKEND (pool), task, NULL, chaos_done_cb,
                                ct);
    }

  /* The chaos task: a worker killed every 2 ms, once a task got through. */
  killer = g_timeout_source_new (2);
  g_source_set_callback (killer, chaos_kill_cb, &chaos, NULL);
  g_source_attach (killer, NULL);

  deadline = g_get_monotonic_time () + 240 * G_USEC_PER_SEC;
  while (chaos.n_done < N_CHAOS_TASKS)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%u of %u tasks completed in 240 s: the others are lost",
                 chaos.n_done, N_CHAOS_TASKS);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_destroy (killer);
  g_source_unref (killer);

  g_test_message ("%u kills: %u tasks succeeded, %u crashed", chaos.n_kills,
                  chaos.n_ok, chaos.n_crashed);
  /* None lost, none duplicated. */
  for (guint i = 0; i < N_CHAOS_TASKS; i++)
    g_assert_cmpuint (chaos.completions[i], ==, 1);
  g_assert_cmpuint (chaos.n_ok + chaos.n_crashed, ==, N_CHAOS_TASKS);
  /* The chaos did something, and the pool kept working through it. */
  g_assert_cmpuint (chaos.n_kills, >=, 5);
  g_assert_cmpuint (chaos.n_crashed, >, 0);
  g_assert_cmpuint (chaos.n_ok, >, 0);

  /* No zombie, and no orphan: every worker ever seen is gone. */
  job_backend_shutdown (JOB_BACKEND (pool), TRUE);
  g_clear_object (&pool);
  assert_no_children ();
  g_hash_table_iter_init (&iter, chaos.pids);
  while (g_hash_table_iter_next (&iter, &pid, NULL))
    g_assert_false (pid_alive (GPOINTER_TO_INT (pid)));
  g_hash_table_unref (chaos.pids);
  g_rand_free (chaos.rand);
}

/* Workers that break the protocol or hang */

static void
check_fake_worker (gconstpointer data)
{
  const char *mode = data;
  g_autoptr (JobWorkerPool) pool =
      g_object_new (JOB_TYPE_WORKER_POOL, "max-workers", 1, NULL);
  g_autoptr (JobTask) task = test_task_new ("TestEchoTask", "text", "x", NULL);
  g_autoptr (JobTask) next =
      test_task_new ("TestEchoTask", "text", "next", NULL);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *fake =
      g_test_build_filename (G_TEST_BUILT, "fake-worker", NULL);
  g_autofree char *real = NULL;
  const char *allow[] = { "FAKE_WORKER_MODE", NULL };
  gboolean hangs = g_str_equal (mode, "mute") || g_str_equal (mode, "silent");
  gint64 start;

  g_object_get (pool, "worker-path", &real, NULL);
  g_setenv ("FAKE_WORKER_MODE", mode, TRUE);
  job_worker_pool_set_env_allowlist (pool, allow);
  job_worker_pool_set_worker_path (pool, fake);
  job_worker_pool_set_task_timeout (pool, 1.0);

  start = g_get_monotonic_time ();
  result = job_backend_submit (JOB_BACKEND (pool), task, NULL, &error);
  g_assert_null (result);
  g_test_message ("%s: %s", mode, error->message);
  if (hangs)
    g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_TIMED_OUT);
  else
    {
      g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (error->message, "TestEchoTask"));
    }
  /* Failed promptly: the liar or the sleeper is killed, not waited for. */
  g_assert_cmpint (g_get_monotonic_time () - start, <,
                   5 * G_USEC_PER_SEC * test_time_scale ());

  /* The pool goes on, with a real worker. */
  g_clear_error (&error);
  job_worker_pool_set_worker_path (pool, real);
  result = job_backend_submit (JOB_BACKEND (pool), next, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (test_output_text (result), ==, "next");

  job_backend_shutdown (JOB_BACKEND (pool), TRUE);
  g_clear_object (&pool);
  assert_no_children ();
  g_unsetenv ("FAKE_WORKER_MODE");
}

/* Pickles that must be refused, with nothing instantiated or loaded */

/* A GObject that does not implement JobSerializable, whose name has the
 * length of "TestValues" so that a pickle's type table can be patched to
 * name it. */
typedef struct
{
  GObject parent_instance;
} TestCountr;
typedef struct
{
  GObjectClass parent_class;
} TestCountrClass;
static GType test_countr_get_type (void);
G_DEFINE_TYPE (TestCountr, test_countr, G_TYPE_OBJECT)
static guint n_countr_instances;
static void
test_countr_class_init (TestCountrClass *klass)
{
}
static void
test_countr_init (TestCountr *self)
{
  n_countr_instances++;
}

/* @flat with every @from replaced by @to (of the same length). */
static GBytes *
patch_bytes (GBytes *flat, const char *from, const char *to)
{
  gsize size = g_bytes_get_size (flat), len = strlen (from);
  g_autofree guint8 *data = g_memdup2 (g_bytes_get_data (flat, NULL), size);
  guint n = 0;

  g_assert_cmpuint (strlen (to), ==, len);
  for (gsize i = 0; i + len <= size; i++)
    if (memcmp (data + i, from, len) == 0)
      {
        memcpy (data + i, to, len);
        n++;
      }
  g_assert_cmpuint (n, >, 0);
  return g_bytes_new (data, size);
}

static JobWireMessage
task_message (GBytes *flat)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobPickleFrames) frames =
      job_pickle_frames_new_from_bytes (flat, &error);
  JobWireMessage message = { JOB_WIRE_TASK, 1, { 0 }, NULL };

  g_assert_no_error (error);
  message.parts =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (message.parts,
                   g_bytes_ref (job_pickle_frames_get_header (frames)));
  for (guint i = 0; i < job_pickle_frames_get_n_frames (frames); i++)
    g_ptr_array_add (message.parts,
                     g_bytes_ref (job_pickle_frames_get_frame (frames, i)));
  return message;
}

static void
test_refuse_not_serializable (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobTask) task = test_task_new ("TestEchoTask", "text", "x", NULL);
  g_autoptr (GBytes) flat = NULL;
  g_autoptr (GBytes) patched = NULL;
  g_autoptr (GObject) object = NULL;
  g_autoptr (JobTask) decoded = NULL;
  JobWireMessage message;

  g_type_ensure (test_countr_get_type ());
  /* Registered, so that it is refused for what it is, not as unknown. */
  g_type_ensure (G_TYPE_CANCELLABLE);
  /* A task's pickle patched to name GCancellable, a GObject type that does
   * not implement JobSerializable (both names have 12 characters). */
  flat = job_pickle_dumps (G_OBJECT (task), &error);
  g_assert_no_error (error);
  patched = patch_bytes (flat, "TestEchoTask", "GCancellable");
  object = job_pickle_loads (patched, &error);
  g_assert_null (object);
  g_assert_nonnull (error);
  g_assert_true (error->domain == JOB_PICKLE_ERROR);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "GCancellable"));
  g_assert_nonnull (strstr (error->message, "may not be rebuilt"));
  g_clear_error (&error);

  /* Through the worker's decoding too. */
  message = task_message (patched);
  decoded = job_wire_decode_task (&message, NULL, &error);
  g_assert_null (decoded);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK);
  g_assert_nonnull (strstr (error->message, "GCancellable"));
  job_wire_message_clear (&message);
  g_clear_error (&error);

  /* And a type of this program's own, counted: never instantiated. */
  {
    g_autoptr (TestValues) values =
        g_object_new (TEST_TYPE_VALUES, "string", "s", NULL);
    g_autoptr (GBytes) values_flat = NULL;
    g_autoptr (GBytes) countr_flat = NULL;

    values_flat = job_pickle_dumps (G_OBJECT (values), &error);
    g_assert_no_error (error);
    countr_flat = patch_bytes (values_flat, "TestValues", "TestCountr");
    object = job_pickle_loads (countr_flat, &error);
    g_assert_null (object);
    g_assert_nonnull (error);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, "TestCountr"));
    g_assert_nonnull (strstr (error->message, "may not be rebuilt"));
    g_clear_error (&error);
    message = task_message (countr_flat);
    decoded = job_wire_decode_task (&message, NULL, &error);
    g_assert_null (decoded);
    g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK);
    job_wire_message_clear (&message);
  }
  g_assert_cmpuint (n_countr_instances, ==, 0);
}

/* A worker refuses a pickle whose root is not a JobTask before building
 * anything: here a graph with a cycle, which would leak once built. */
static void
test_refuse_not_a_task (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TestValues) values =
      g_object_new (TEST_TYPE_VALUES, "string", "not a task", NULL);
  g_autoptr (GBytes) flat = NULL;
  g_autoptr (JobTask) task = NULL;
  JobWireMessage message;

  g_object_set (values, "object", values, NULL);
  flat = job_pickle_dumps (G_OBJECT (values), &error);
  g_object_set (values, "object", NULL, NULL);
  g_assert_no_error (error);
  message = task_message (flat);
  task = job_wire_decode_task (&message, NULL, &error);
  job_wire_message_clear (&message);
  g_assert_null (task);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "TestValues"));
  g_assert_nonnull (strstr (error->message, "JobTask"));
}

/* A pickle whose type comes from a plugin outside the allowed directories:
 * refused in a process that has not loaded it, and nothing is loaded. */
static void
test_refuse_origin_outside (void)
{
  g_autoptr (GError) error = NULL;

  if (g_test_subprocess ())
    {
      g_autofree char *contents = NULL;
      gsize len;
      g_autoptr (GBytes) flat = NULL;
      g_autoptr (JobTask) task = NULL;
      g_auto (GStrv) loaded = NULL;
      const char *allowed[] = { "/usr/lib/libjob-no-such-dir/plugins", NULL };
      JobWireMessage message;

      g_assert_true (g_file_get_contents (g_getenv ("TEST_FAULTS_PICKLE"),
                                          &contents, &len, NULL));
      flat = g_bytes_new (contents, len);
      g_assert_true (g_type_from_name ("TestEchoTask") == G_TYPE_INVALID);
      message = task_message (flat);
      task = job_wire_decode_task (&message, allowed, &error);
      job_wire_message_clear (&message);
      g_assert_null (task);
      g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK);
      g_assert_nonnull (
          strstr (error->message, "not in an allowed plugin directory"));
      g_assert_nonnull (strstr (error->message, "libtestplugin.so"));
      /* Nothing was loaded, nothing registered. */
      g_assert_true (g_type_from_name ("TestEchoTask") == G_TYPE_INVALID);
      loaded = job_module_dup_loaded_dirs (NULL);
      g_assert_cmpuint (g_strv_length (loaded), ==, 0);
      return;
    }

  test_load_plugin ();
  {
    g_autoptr (JobTask) task =
        test_task_new ("TestEchoTask", "text", "x", NULL);
    g_autoptr (GBytes) flat = job_pickle_dumps (G_OBJECT (task), &error);
    g_autofree char *path = NULL;
    int fd;

    g_assert_no_error (error);
    fd = g_file_open_tmp ("test-faults-XXXXXX", &path, &error);
    g_assert_no_error (error);
    close (fd);
    g_file_set_contents (path, g_bytes_get_data (flat, NULL),
                         g_bytes_get_size (flat), &error);
    g_assert_no_error (error);
    g_setenv ("TEST_FAULTS_PICKLE", path, TRUE);
    g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_unlink (path);
    g_test_trap_assert_passed ();
  }
}

/* A pickle whose frame table announces an enormous number of frames. */
static void
test_refuse_frame_count (void)
{
  g_autoptr (GError) error = NULL;
  guint8 header[32];
  gsize n = 0;
  guint64 count = G_GUINT64_CONSTANT (1) << 40;
  g_autoptr (GBytes) header_bytes = NULL;
  g_autoptr (GObject) object = NULL;
  g_autoptr (JobPickleFrames) frames = NULL;

  memcpy (header, JOB_PICKLE_HEADER_MAGIC, 4);
  n = 4;
  header[n++] = JOB_PICKLE_FORMAT_VERSION;
  while (count >= 0x80)
    {
      header[n++] = (count & 0x7f) | 0x80;
      count >>= 7;
    }
  header[n++] = count;
  header[n++] = 1;
  header_bytes = g_bytes_new (header, n);

  /* As the header of a message's parts. */
  frames = job_pickle_frames_new (header_bytes, NULL, 0);
  object = job_pickle_load_frames (frames, &error);
  g_assert_null (object);
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "frame"));
  g_clear_error (&error);

  /* As a flat pickle. */
  {
    g_autoptr (GByteArray) flat = g_byte_array_new ();
    guint32 len = GUINT32_TO_LE ((guint32) n);
    g_autoptr (GBytes) flat_bytes = NULL;
    g_autoptr (JobPickleFrames) split = NULL;

    g_byte_array_append (flat, (const guint8 *) JOB_PICKLE_FLAT_MAGIC, 4);
    g_byte_array_append (flat, (const guint8 *) &len, 4);
    g_byte_array_append (flat, header, n);
    flat_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&flat));
    split = job_pickle_frames_new_from_bytes (flat_bytes, &error);
    g_assert_null (split);
    g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
    g_clear_error (&error);
    object = job_pickle_loads (flat_bytes, &error);
    g_assert_null (object);
    g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  }
}

/* Empty buffers without a data pointer, as an empty mapped file gives. */
static void
test_refuse_empty (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr (JobPickleFrames) frames = job_pickle_frames_new (empty, NULL, 0);
  g_autoptr (GObject) object = NULL;
  JobWireMessage message = { JOB_WIRE_TASK, 1, { 0 }, NULL };
  g_autoptr (JobTask) task = NULL;

  g_assert_null (g_bytes_get_data (empty, NULL));
  object = job_pickle_load_frames (frames, &error);
  g_assert_null (object);
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  g_clear_error (&error);
  object = job_pickle_loads (empty, &error);
  g_assert_null (object);
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  g_clear_error (&error);

  message.parts =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (message.parts, g_bytes_ref (empty));
  task = job_wire_decode_task (&message, NULL, &error);
  job_wire_message_clear (&message);
  g_assert_null (task);
  g_assert_error (error, JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK);

  /* An empty DIRS part: no directory. */
  {
    g_auto (GStrv) dirs = job_wire_decode_dirs (empty);

    g_assert_cmpuint (g_strv_length (dirs), ==, 0);
  }
}

/* Secrets */

static void
assert_no_secret (GBytes *text)
{
  g_autofree char *s =
      g_strndup (g_bytes_get_data (text, NULL), g_bytes_get_size (text));

  g_assert_null (strstr (s, "xyzzy"));
  for (guint i = 0; i < G_N_ELEMENTS (test_secret_names); i++)
    {
      g_autofree char *assignment =
          g_strdup_printf ("%s=", test_secret_names[i]);

      g_assert_null (strstr (s, assignment));
    }
}

static void
test_secrets (gconstpointer data)
{
  const char *argv[] = { "/bin/sh", "-c", "env; cat /proc/self/environ", NULL };
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (JobCommandTask) command = job_command_task_new (argv);
  g_autoptr (JobResult) result = NULL;
  g_autoptr (GError) error = NULL;
  JobCommandOutput *output;

  test_set_secrets (TRUE);
  if (g_str_equal (data, "pool"))
    backend = JOB_BACKEND (
        g_object_new (JOB_TYPE_WORKER_POOL, "max-workers", 2, NULL));
  else
    backend = JOB_BACKEND (
        g_object_new (JOB_TYPE_INLINE_BACKEND, "max-threads", 2, NULL));

  /* A command task's command. */
  result = job_backend_submit (backend, JOB_TASK (command), NULL, &error);
  g_assert_no_error (error);
  output = JOB_COMMAND_OUTPUT (job_result_get_output (result));
  g_assert_cmpint (job_command_output_get_exit_status (output), ==, 0);
  g_assert_cmpuint (g_bytes_get_size (job_command_output_get_stdout (output)),
                    >, 0);
  assert_no_secret (job_command_output_get_stdout (output));
  g_clear_object (&result);

  /* Any task, reading its process's environment: a worker has none of
   * them. (An inline task runs in the parent itself, so only its commands
   * are checked.) */
  if (g_str_equal (data, "pool"))
    for (guint i = 0; i < G_N_ELEMENTS (test_secret_names); i++)
      {
        g_autoptr (JobTask) getenv_task = test_task_new (
            "TestGetenvTask", "text", test_secret_names[i], NULL);

        result = job_backend_submit (backend, getenv_task, NULL, &error);
        g_assert_no_error (error);
        g_assert_null (test_output_text (result));
        g_clear_object (&result);
      }
  job_backend_shutdown (backend, TRUE);
  test_set_secrets (FALSE);
}

int
main (int argc, char **argv)
{
  const char *fake_modes[] = {
    "mute",       "silent",           "garbage",
    "truncated",  "oversized-length", "oversized-message",
    "many-parts",
  };

  g_test_init (&argc, &argv, NULL);
  if (!g_test_subprocess ())
    test_load_plugin ();

  g_test_add_func ("/job/faults/chaos-kill", test_chaos);
  for (guint i = 0; i < G_N_ELEMENTS (fake_modes); i++)
    {
      g_autofree char *path =
          g_strdup_printf ("/job/faults/worker/%s", fake_modes[i]);

      g_test_add_data_func (path, fake_modes[i], check_fake_worker);
    }
  g_test_add_func ("/job/faults/untrusted/not-serializable",
                   test_refuse_not_serializable);
  g_test_add_func ("/job/faults/untrusted/origin-outside",
                   test_refuse_origin_outside);
  g_test_add_func ("/job/faults/untrusted/frame-count",
                   test_refuse_frame_count);
  g_test_add_func ("/job/faults/untrusted/empty", test_refuse_empty);
  g_test_add_func ("/job/faults/untrusted/not-a-task", test_refuse_not_a_task);
  g_test_add_data_func ("/job/faults/secrets/pool", "pool", test_secrets);
  g_test_add_data_func ("/job/faults/secrets/inline", "inline", test_secrets);
  return g_test_run ();
}
