/* job-inputs.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "job-inputs.h"

/**
 * JobInputs:
 *
 * The host files a computation read, so that a frontend can tell, by
 * looking at those files alone, that the computation would give the same
 * result again.
 *
 * While a #JobInputs records ([method@Job.Inputs.start_recording]), every
 * path given to [func@Job.Inputs.note] in the process is added to it. libjob
 * notes what it reads itself: project and element files, includes, plugin
 * defaults and plugin modules. A plugin whose unique key depends on host
 * files (the `local` source checksums a tree) notes each of them, and each
 * directory whose listing matters.
 *
 * [method@Job.Inputs.save] writes the paths with what `lstat()` says of them
 * (inode, size, modification and change times, mode) and the computation's
 * result (strings: for `job build`, the cache keys of every element);
 * [func@Job.Inputs.check] gives that result back only if no path changed.
 * This is how `job build` finds that there is nothing to do without
 * loading the project: the same idea as the logs of ninja and git's index.
 *
 * A file changed within two seconds before the computation started (or
 * while it ran) cannot be told apart from a second change in the same
 * timestamp tick, so a state with such a file is not saved: the next run
 * computes again.
 */

#define STATE_VERSION 1u
#define STATE_TYPE "(ua(sttxxu)as)"
#define DIGEST_LEN 64 /* a SHA-256 in hexadecimal */
/* How close to the start of a computation an input may have changed and
 * still be trusted: coarse file system clocks tick in milliseconds. */
#define RACY_NS (G_GINT64_CONSTANT (2000000000))

struct _JobInputs
{
  GObject parent_instance;

  GHashTable *paths; /* set of char* */
};

G_DEFINE_FINAL_TYPE (JobInputs, job_inputs, G_TYPE_OBJECT)

G_LOCK_DEFINE_STATIC (recording);
static JobInputs *recording;

static void
job_inputs_finalize (GObject *object)
{
  JobInputs *self = JOB_INPUTS (object);

  G_LOCK (recording);
  if (recording == self)
    recording = NULL;
  G_UNLOCK (recording);
  g_hash_table_unref (self->paths);
  G_OBJECT_CLASS (job_inputs_parent_class)->finalize (object);
}

static void
job_inputs_class_init (JobInputsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = job_inputs_finalize;
}

static void
job_inputs_init (JobInputs *self)
{
  self->paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * job_inputs_new:
 *
 * Makes an empty set of inputs.
 *
 * Returns: (transfer full): a new #JobInputs
 */
JobInputs *
job_inputs_new (void)
{
  return g_object_new (JOB_TYPE_INPUTS, NULL);
}

/**
 * job_inputs_start_recording:
 * @self: a #JobInputs
 *
 * Makes @self the set that [func@Job.Inputs.note] adds to, in every thread
 * of the process, until [method@Job.Inputs.stop_recording]. One set records
 * at a time: this replaces any other.
 */
void
job_inputs_start_recording (JobInputs *self)
{
  g_return_if_fail (JOB_IS_INPUTS (self));

  G_LOCK (recording);
  recording = self;
  G_UNLOCK (recording);
}

/**
 * job_inputs_stop_recording:
 * @self: a #JobInputs
 *
 * Stops adding noted paths to @self.
 */
void
job_inputs_stop_recording (JobInputs *self)
{
  g_return_if_fail (JOB_IS_INPUTS (self));

  G_LOCK (recording);
  if (recording == self)
    recording = NULL;
  G_UNLOCK (recording);
}

/**
 * job_inputs_note:
 * @path: (type filename): a host file or directory whose state the current
 *   computation depends on
 *
 * Notes that what is being computed depends on @path: its content for a
 * file, its list of entries for a directory. Does nothing unless a
 * #JobInputs is recording; cheap enough to call for every file read.
 */
void
job_inputs_note (const char *path)
{
  g_return_if_fail (path != NULL);

  G_LOCK (recording);
  if (recording != NULL && !g_hash_table_contains (recording->paths, path))
    g_hash_table_add (recording->paths, g_canonicalize_filename (path, NULL));
  G_UNLOCK (recording);
}

/**
 * job_inputs_get_n_paths:
 * @self: a #JobInputs
 *
 * Counts the paths noted so far.
 *
 * Returns: the number of distinct paths
 */
guint
job_inputs_get_n_paths (JobInputs *self)
{
  guint n;

  g_return_val_if_fail (JOB_IS_INPUTS (self), 0);

  G_LOCK (recording);
  n = g_hash_table_size (self->paths);
  G_UNLOCK (recording);
  return n;
}

static gint64
timespec_ns (const struct timespec *ts)
{
  return (gint64) ts->tv_sec * G_GINT64_CONSTANT (1000000000) + ts->tv_nsec;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/**
 * job_inputs_save:
 * @self: a #JobInputs
 * @state_path: (type filename): the file to write (its directory is made)
 * @values: (array zero-terminated=1): the result of the computation
 * @started: when the computation started, in the wall-clock microseconds of
 *   g_get_real_time(), taken before anything was read
 * @error: return location for a #GError
 *
 * Writes the noted paths, what `lstat()` says of each now, and @values to
 * @state_path, atomically. Nothing is written (and any older state is
 * removed) when an input changed less than two seconds before @started or
 * after it: such a state could not be trusted.
 *
 * Returns: %TRUE if the state was written or rightly left out, %FALSE with
 *   @error set if writing failed
 */
gboolean
job_inputs_save (JobInputs *self,
                 const char *state_path,
                 const char *const *values,
                 gint64 started,
                 GError **error)
{
  g_autoptr (GPtrArray) paths = NULL;
  g_autoptr (GVariant) state = NULL;
  g_autofree char *dir = NULL;
  GVariantBuilder entries;
  gint64 limit = started * 1000 - RACY_NS;

  g_return_val_if_fail (JOB_IS_INPUTS (self), FALSE);
  g_return_val_if_fail (state_path != NULL, FALSE);
  g_return_val_if_fail (values != NULL, FALSE);

  G_LOCK (recording);
  {
    GHashTableIter iter;
    gpointer path;

    paths = g_ptr_array_new_full (g_hash_table_size (self->paths), g_free);
    g_hash_table_iter_init (&iter, self->paths);
    while (g_hash_table_iter_next (&iter, &path, NULL))
      g_ptr_array_add (paths, g_strdup (path));
  }
  G_UNLOCK (recording);
  g_ptr_array_sort (paths, compare_strings);

  g_variant_builder_init (&entries, G_VARIANT_TYPE ("a(sttxxu)"));
  for (guint i = 0; i < paths->len; i++)
    {
      struct stat st = { 0 };

      if (lstat (paths->pdata[i], &st) != 0)
        memset (&st, 0, sizeof st);
      else if (timespec_ns (&st.st_mtim) >= limit
               || timespec_ns (&st.st_ctim) >= limit)
        {
          g_variant_builder_clear (&entries);
          g_unlink (state_path);
          return TRUE;
        }
      g_variant_builder_add (&entries, "(sttxxu)", paths->pdata[i],
                             (guint64) st.st_ino, (guint64) st.st_size,
                             timespec_ns (&st.st_mtim),
                             timespec_ns (&st.st_ctim), (guint32) st.st_mode);
    }
  state = g_variant_ref_sink (g_variant_new ("(u@a(sttxxu)^as)", STATE_VERSION,
                                             g_variant_builder_end (&entries),
                                             values));

  dir = g_path_get_dirname (state_path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
                   "Cannot create %s: %s", dir, g_strerror (errsv));
      return FALSE;
    }
  /* The state, then its SHA-256: a damaged or truncated state must read
   * as no state, never as one whose inputs all match. */
  {
    g_autofree char *digest = g_compute_checksum_for_data (
        G_CHECKSUM_SHA256, g_variant_get_data (state),
        g_variant_get_size (state));
    g_autoptr (GByteArray) contents = g_byte_array_new ();

    g_byte_array_append (contents, g_variant_get_data (state),
                         (guint) g_variant_get_size (state));
    g_byte_array_append (contents, (const guint8 *) digest, DIGEST_LEN);
    return g_file_set_contents (state_path, (const char *) contents->data,
                                (gssize) contents->len, error);
  }
}

/**
 * job_inputs_check:
 * @state_path: (type filename): a file written by [method@Job.Inputs.save]
 *
 * Reads a saved state and checks every path in it against what `lstat()`
 * says of it now.
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the saved
 *   values if no input changed; %NULL if one did, or the state is missing,
 *   damaged or from another version
 */
char **
job_inputs_check (const char *state_path)
{
  g_autofree char *data = NULL;
  gsize length;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GVariant) state = NULL;
  g_autoptr (GVariant) entries = NULL;
  g_autoptr (GVariant) values = NULL;
  guint32 version;

  g_return_val_if_fail (state_path != NULL, NULL);

  if (!g_file_get_contents (state_path, &data, &length, NULL)
      || length < DIGEST_LEN)
    return NULL;
  length -= DIGEST_LEN;
  {
    g_autofree char *digest = g_compute_checksum_for_data (
        G_CHECKSUM_SHA256, (const guchar *) data, length);

    if (memcmp (digest, data + length, DIGEST_LEN) != 0)
      return NULL;
  }
  bytes = g_bytes_new_take (g_steal_pointer (&data), length);
  state = g_variant_ref_sink (
      g_variant_new_from_bytes (G_VARIANT_TYPE (STATE_TYPE), bytes, FALSE));
  /* Untrusted bytes: GVariant reads any of them safely, and a damaged
   * state at worst names paths that do not match. */
  g_variant_get (state, "(u@a(sttxxu)@as)", &version, &entries, &values);
  if (version != STATE_VERSION)
    return NULL;
  for (gsize i = 0; i < g_variant_n_children (entries); i++)
    {
      const char *path;
      guint64 ino, size;
      gint64 mtime, ctime;
      guint32 mode;
      struct stat st = { 0 };

      g_variant_get_child (entries, i, "(&sttxxu)", &path, &ino, &size, &mtime,
                           &ctime, &mode);
      if (lstat (path, &st) != 0)
        memset (&st, 0, sizeof st);
      if ((guint64) st.st_ino != ino || (guint64) st.st_size != size
          || timespec_ns (&st.st_mtim) != mtime
          || timespec_ns (&st.st_ctim) != ctime || st.st_mode != mode)
        return NULL;
    }
  return g_variant_dup_strv (values, NULL);
}
