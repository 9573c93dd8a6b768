/* gen-wire-corpus.c: writes the seed corpora of the wire harnesses
 *
 * Usage: gen-wire-corpus UNPICKLE-CORPUS PARENT-DIR WORKER-DIR
 * Every message type as job_wire_send() makes it, with pickles taken from
 * the unpickle corpus (outputs) and made here (tasks). */

#include <string.h>

#include "fuzz-support.h"
#include "fuzz-wire.h"
#include "libjob/job-module-private.h"

static void
save (const char *dir, const char *name, GBytes *bytes)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                       g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
}

/* header + frames of @frames as message parts. */
static GPtrArray *
frames_parts (JobPickleFrames *frames)
{
  GPtrArray *parts =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_ptr_array_add (parts, g_bytes_ref (job_pickle_frames_get_header (frames)));
  for (guint i = 0; i < job_pickle_frames_get_n_frames (frames); i++)
    g_ptr_array_add (parts,
                     g_bytes_ref (job_pickle_frames_get_frame (frames, i)));
  return parts;
}

/* A message whose last part travels out of band in a small file: the
 * sender only does that for large parts, too large for a seed. */
static GBytes *
with_small_file (JobWireType type,
                 GBytes *const *parts,
                 guint n_parts,
                 gboolean sealed)
{
  g_autoptr (GByteArray) message = g_byte_array_new ();
  g_autoptr (GByteArray) file = g_byte_array_new ();
  g_autoptr (GBytes) message_bytes = NULL;
  g_autoptr (GBytes) file_bytes = NULL;
  JobWireHeader header = {
    JOB_WIRE_MAGIC, JOB_WIRE_VERSION, type, 7, 0, n_parts, 0
  };
  JobWireMetrics metrics = { 4242, 1000, 900, 1 << 20 };
  g_autofree JobWirePart *table = g_new0 (JobWirePart, n_parts);
  guint64 offset =
      sizeof header + sizeof metrics + n_parts * sizeof (JobWirePart);
  static const guint8 zeros[8] = { 0 };

  for (guint i = 0; i + 1 < n_parts; i++)
    {
      table[i].size = g_bytes_get_size (parts[i]);
      table[i].offset = offset;
      offset += (table[i].size + 7) & ~(guint64) 7;
    }
  table[n_parts - 1].size = g_bytes_get_size (parts[n_parts - 1]);
  table[n_parts - 1].offset = JOB_WIRE_PART_OUT_OF_BAND;
  header.length = offset;
  g_byte_array_append (message, (guint8 *) &header, sizeof header);
  g_byte_array_append (message, (guint8 *) &metrics, sizeof metrics);
  g_byte_array_append (message, (guint8 *) table,
                       n_parts * sizeof (JobWirePart));
  for (guint i = 0; i + 1 < n_parts; i++)
    {
      gsize size = g_bytes_get_size (parts[i]);

      g_byte_array_append (message, g_bytes_get_data (parts[i], NULL), size);
      g_byte_array_append (message, zeros, ((size + 7) & ~(gsize) 7) - size);
    }
  g_byte_array_append (file, g_bytes_get_data (parts[n_parts - 1], NULL),
                       g_bytes_get_size (parts[n_parts - 1]));
  message_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&message));
  file_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&file));
  return fuzz_wire_encode (message_bytes, file_bytes, sealed);
}

static void
parent_corpus (const char *unpickle_dir, const char *dir)
{
  JobWireMetrics metrics = { 4242, 123456789, 98765432, 12 << 20 };
  g_autoptr (GBytes) pid = g_bytes_new_static ("4242", 4);
  g_autoptr (GDir) seeds = g_dir_open (unpickle_dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (seeds);
  {
    g_autoptr (GBytes) hello =
        fuzz_wire_capture (JOB_WIRE_HELLO, 0, NULL, &pid, 1);
    save (dir, "hello", hello);
  }
  {
    g_autoptr (GBytes) none =
        fuzz_wire_capture (JOB_WIRE_RESULT, 1, &metrics, NULL, 0);
    save (dir, "result-none", none);
  }
  {
    g_autoptr (GError) task_error =
        g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing");
    g_autoptr (GError) worker_error = g_error_new_literal (
        JOB_WORKER_ERROR, JOB_WORKER_ERROR_INVALID_TASK, "cannot rebuild");
    g_autoptr (GBytes) part1 = job_wire_encode_error (task_error);
    g_autoptr (GBytes) part2 = job_wire_encode_error (worker_error);
    g_autoptr (GBytes) e1 =
        fuzz_wire_capture (JOB_WIRE_ERROR, 2, &metrics, &part1, 1);
    g_autoptr (GBytes) e2 =
        fuzz_wire_capture (JOB_WIRE_ERROR, 3, &metrics, &part2, 1);
    g_autoptr (GBytes) e3 =
        fuzz_wire_capture (JOB_WIRE_ERROR, 4, &metrics, NULL, 0);

    save (dir, "error-io", e1);
    save (dir, "error-worker", e2);
    save (dir, "error-empty", e3);
  }
  /* Every seed pickle of the unpickle corpus as a task's output. */
  while ((name = g_dir_read_name (seeds)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *contents = NULL;
      g_autofree char *out_name = NULL;
      g_autoptr (GBytes) flat = NULL;
      g_autoptr (JobPickleFrames) frames = NULL;
      g_autoptr (GPtrArray) parts = NULL;
      g_autoptr (GBytes) input = NULL;
      gsize len;

      if (!g_str_has_prefix (name, "seed-"))
        continue;
      path = g_build_filename (unpickle_dir, name, NULL);
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      flat = g_bytes_new (contents, len);
      frames = job_pickle_frames_new_from_bytes (flat, NULL);
      if (frames == NULL)
        continue;
      parts = frames_parts (frames);
      input = fuzz_wire_capture (JOB_WIRE_RESULT, 10 + n, &metrics,
                                 (GBytes **) parts->pdata, parts->len);
      out_name = g_strdup_printf ("result-%s", name);
      save (dir, out_name, input);
      if (n < 4 || parts->len > 1)
        {
          g_autoptr (GBytes) oob =
              with_small_file (JOB_WIRE_RESULT, (GBytes **) parts->pdata,
                               parts->len, n % 2 == 0);
          g_autofree char *oob_name = g_strdup_printf ("result-file-%s", name);

          save (dir, oob_name, oob);
        }
      n++;
    }
}

static void
save_task (const char *dir, const char *name, GObject *task, gboolean file)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobPickleFrames) frames = job_pickle_dump_frames (task, 0, &error);
  g_autoptr (GPtrArray) parts = NULL;
  g_autoptr (GBytes) input = NULL;

  g_assert_no_error (error);
  parts = frames_parts (frames);
  input = file ? with_small_file (JOB_WIRE_TASK, (GBytes **) parts->pdata,
                                  parts->len, TRUE)
               : fuzz_wire_capture (JOB_WIRE_TASK, 5, NULL,
                                    (GBytes **) parts->pdata, parts->len);
  save (dir, name, input);
}

static void
worker_corpus (const char *dir)
{
  const char dirs[] = "/usr/lib/libjob/plugins\0/opt/plugins\0";
  g_autoptr (GBytes) dirs_part = g_bytes_new_static (dirs, sizeof dirs - 1);
  g_autoptr (GBytes) dirs_input =
      fuzz_wire_capture (JOB_WIRE_DIRS, 0, NULL, &dirs_part, 1);
  const char *argv[] = { "/bin/sh", "-c", "echo hi", NULL };
  const char *env[] = { "A=b", NULL };
  g_autoptr (JobCommandTask) command = job_command_task_new (argv);
  g_autoptr (GBytes) bytes = g_bytes_new_static ("some bytes", 10);
  g_autoptr (GObject) echo = g_object_new (
      g_type_from_name ("TestEchoTask"), "text", "hello", "bytes", bytes, NULL);
  g_autoptr (GObject) values =
      g_object_new (TEST_TYPE_VALUES, "string", "not a task", NULL);

  save (dir, "dirs", dirs_input);
  job_command_task_set_env (command, env);
  save_task (dir, "task-command", G_OBJECT (command), FALSE);
  save_task (dir, "task-echo", echo, FALSE);
  save_task (dir, "task-echo-file", echo, TRUE);
  save_task (dir, "task-not-a-task", values, FALSE);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  if (argc != 4)
    {
      g_printerr ("Usage: %s UNPICKLE-CORPUS PARENT-DIR WORKER-DIR\n", argv[0]);
      return 2;
    }
  fuzz_support_init ();
  g_assert_true (job_module_load_path (TEST_PLUGIN_PATH, NULL, &error));
  g_mkdir_with_parents (argv[2], 0755);
  g_mkdir_with_parents (argv[3], 0755);
  parent_corpus (argv[1], argv[2]);
  worker_corpus (argv[3]);
  return 0;
}
