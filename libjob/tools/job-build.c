/* job-build.c: job build, job checkout and job log
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE /* dladdr() */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>

#include "job-tool-private.h"

typedef struct
{
  JobScheduler *scheduler;
  gboolean quiet;
  gboolean verbose;
  gboolean terminal;  /* draw a live status area below the events */
  guint status_lines; /* how many lines the status area takes now */
  gint64 start;
  guint to_build;
  guint started;
  guint finished;
  guint failed;
  guint fetched;       /* fetch jobs that succeeded */
  guint fetch_failed;  /* ... and failed */
  GHashTable *running; /* element name -> start time (gint64*) */
} Progress;

static void
format_elapsed (char *out, gsize size, gint64 since)
{
  gint64 elapsed = (g_get_monotonic_time () - since) / G_USEC_PER_SEC;

  g_snprintf (out, size, "%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT,
              elapsed / 60, elapsed % 60);
}

static void
erase_status (Progress *progress)
{
  if (progress->terminal && progress->status_lines > 0)
    {
      /* Up to the first status line, then clear to the end of the screen. */
      g_print ("\033[%uA\r\033[J", progress->status_lines);
      progress->status_lines = 0;
    }
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
draw_status (Progress *progress)
{
  char elapsed[32];
  g_autofree gpointer *names = NULL;
  guint n_running = 0;

  if (!progress->terminal)
    return;
  format_elapsed (elapsed, sizeof elapsed, progress->start);
  names = g_hash_table_get_keys_as_array (progress->running, &n_running);
  qsort (names, n_running, sizeof (gpointer), compare_names);
  g_print ("[%s] queued %u  running %u  done %u  failed %u\n", elapsed,
           progress->to_build - MIN (progress->to_build, progress->started),
           n_running, progress->finished - progress->failed, progress->failed);
  for (guint i = 0; i < n_running; i++)
    {
      gint64 *since = g_hash_table_lookup (progress->running, names[i]);
      format_elapsed (elapsed, sizeof elapsed, *since);
      g_print ("  %s  building %s\n", elapsed, (char *) names[i]);
    }
  progress->status_lines = 1 + n_running;
}

static void
print_event (Progress *progress, const char *what, const char *element)
{
  char elapsed[32];

  if (progress->quiet)
    return;
  erase_status (progress);
  format_elapsed (elapsed, sizeof elapsed, progress->start);
  g_print ("[%s] %-7s %s\n", elapsed, what, element);
  draw_status (progress);
}

static gboolean
on_tick (gpointer user_data)
{
  Progress *progress = user_data;

  erase_status (progress);
  draw_status (progress);
  return G_SOURCE_CONTINUE;
}

static void
on_job_started (JobScheduler *scheduler,
                const char *element,
                Progress *progress)
{
  gint64 *since = g_new (gint64, 1);

  *since = g_get_monotonic_time ();
  g_hash_table_insert (progress->running, g_strdup (element), since);
  progress->started++;
  print_event (progress, "START", element);
}

static void
on_job_finished (JobScheduler *scheduler,
                 const char *element,
                 const GError *error,
                 Progress *progress)
{
  g_hash_table_remove (progress->running, element);
  progress->finished++;
  if (error != NULL)
    progress->failed++;
  print_event (progress, error == NULL ? "SUCCESS" : "FAILURE", element);
}

static void
on_fetch_started (JobScheduler *scheduler,
                  const char *element,
                  Progress *progress)
{
  print_event (progress, "FETCH", element);
}

static void
on_fetch_finished (JobScheduler *scheduler,
                   const char *element,
                   const GError *error,
                   Progress *progress)
{
  if (error != NULL)
    progress->fetch_failed++;
  else
    progress->fetched++;
  if (error != NULL)
    print_event (progress, "FAILURE", element);
  else if (progress->verbose)
    print_event (progress, "FETCHED", element);
}

static gboolean
on_interrupt (gpointer user_data)
{
  GCancellable *cancellable = user_data;

  g_printerr ("Interrupted: cancelling running jobs\n");
  g_cancellable_cancel (cancellable);
  return G_SOURCE_CONTINUE;
}

/* The last @n lines of a file, for the failure summary. */
static char *
tail_of (const char *path, guint n)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  const char *start;
  guint lines = 0;

  if (path == NULL || !g_file_get_contents (path, &contents, &len, NULL))
    return NULL;
  start = contents + len;
  while (start > contents)
    {
      if (start[-1] == '\n' && start != contents + len && ++lines > n)
        break;
      start--;
    }
  return g_strdup (start);
}

JobArtifactCache *
job_tool_open_cache (const char *cache_dir, GError **error)
{
  g_autofree char *root = NULL;

  if (cache_dir != NULL)
    root = g_canonicalize_filename (cache_dir, NULL);
  else if (g_getenv ("JOB_CACHE_DIR") != NULL)
    root = g_canonicalize_filename (g_getenv ("JOB_CACHE_DIR"), NULL);
  else
    root = g_build_filename (g_get_user_cache_dir (), "libjob", NULL);
  return job_artifact_cache_new (root, NULL, error);
}

/* The user configuration: $JOB_CONFIG, else ~/.config/libjob/job.conf, a
 * key file such as
 *
 *   [build]
 *   backend=slurm
 *   [slurm]
 *   partition=batch
 *   spool-dir=/shared/scratch/me/libjob-spool
 *   time-limit=3600
 *   srun-args=--account=build;--mem=4G
 *   max-jobs-in-flight=100
 *
 * Command-line options win. A missing file is no configuration. */
static GKeyFile *
load_user_config (GError **error)
{
  g_autoptr (GKeyFile) config = g_key_file_new ();
  g_autofree char *path = NULL;
  g_autoptr (GError) local_error = NULL;

  if (g_getenv ("JOB_CONFIG") != NULL)
    path = g_strdup (g_getenv ("JOB_CONFIG"));
  else
    path =
        g_build_filename (g_get_user_config_dir (), "libjob", "job.conf", NULL);
  if (!g_key_file_load_from_file (config, path, G_KEY_FILE_NONE, &local_error)
      && !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "Cannot read the user configuration %s: %s", path,
                   local_error->message);
      return NULL;
    }
  return g_steal_pointer (&config);
}

/* A size such as 500M, 20G or 1.5T (powers of 1024; a B or iB after the
 * unit is allowed), or plain bytes. */
static gboolean
parse_size (const char *text, guint64 *bytes)
{
  const char *units = "KMGTP";
  char *end = NULL;
  double value = g_ascii_strtod (text, &end);
  double scale = 1;

  if (end == text || !(value >= 0))
    return FALSE;
  if (*end != '\0')
    {
      const char *unit = strchr (units, g_ascii_toupper (*end));

      if (unit == NULL)
        return FALSE;
      for (const char *u = units; u <= unit; u++)
        scale *= 1024;
      end++;
      if (g_ascii_strcasecmp (end, "iB") == 0)
        end += 2;
      else if (g_ascii_toupper (*end) == 'B')
        end++;
    }
  if (*end != '\0' || value * scale >= 18446744073709551615.0)
    return FALSE;
  *bytes = (guint64) (value * scale);
  return TRUE;
}

/* The user configuration's [cache] quota: FALSE with @error if it is
 * there and not a size, else whether it is there. */
static gboolean
get_quota (GKeyFile *config, guint64 *quota, gboolean *has, GError **error)
{
  g_autofree char *text =
      g_key_file_get_string (config, "cache", "quota", NULL);

  *has = text != NULL;
  if (text == NULL || parse_size (g_strstrip (text), quota))
    return TRUE;
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               "The user configuration's [cache] quota is a size such as "
               "500M or 20G, not “%s”",
               text);
  return FALSE;
}

/* Removes the least recently used artifacts beyond @quota, keeping @keys
 * (those of the build); says what it did unless @quiet. A failure is only
 * a warning: the build itself is done. */
static void
prune_after_build (JobArtifactCache *cache,
                   const char *const *keys,
                   guint64 quota,
                   gboolean quiet)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *size_text = NULL, *quota_text = NULL;
  guint n_removed = 0;
  guint64 size = 0;

  if (!job_artifact_cache_prune (cache, quota, keys, &n_removed, &size, &error))
    {
      g_printerr ("job: warning: cannot keep the cache under its quota: %s\n",
                  error->message);
      return;
    }
  size_text = g_format_size (size);
  quota_text = g_format_size (quota);
  if (size > quota)
    g_printerr ("job: warning: the artifacts of this build alone take %s, "
                "more than the cache quota of %s\n",
                size_text, quota_text);
  else if (n_removed > 0 && !quiet)
    g_print ("Cache: removed %u least recently used artifact%s; the "
             "artifacts take %s of %s\n",
             n_removed, n_removed == 1 ? "" : "s", size_text, quota_text);
}

/* The shared caches: @override (--remote), else the user configuration's
 * [cache] remote=DIR;DIR…; each must exist, a shared cache is made on
 * purpose, not by a typo. */
static GPtrArray *
open_remotes (GKeyFile *config, const char *override, GError **error)
{
  g_autoptr (GPtrArray) remotes =
      g_ptr_array_new_with_free_func (g_object_unref);
  g_auto (GStrv) dirs = NULL;

  if (override != NULL)
    dirs = g_strdupv ((char *[]){ (char *) override, NULL });
  else if (config != NULL)
    dirs = g_key_file_get_string_list (config, "cache", "remote", NULL, NULL);
  for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++)
    {
      g_autofree char *dir =
          g_canonicalize_filename (g_strstrip (dirs[i]), NULL);
      JobArtifactCache *remote;

      if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "The shared cache %s does not exist; make the "
                       "directory to share artifacts there",
                       dir);
          return NULL;
        }
      if ((remote = job_artifact_cache_new (dir, NULL, error)) == NULL)
        return NULL;
      g_ptr_array_add (remotes, remote);
    }
  return g_steal_pointer (&remotes);
}

/* Whether [cache] push=true: builds copy what they make to the first
 * shared cache. */
static gboolean
get_push (GKeyFile *config, gboolean *push, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  *push = FALSE;
  if (!g_key_file_has_key (config, "cache", "push", NULL))
    return TRUE;
  *push = g_key_file_get_boolean (config, "cache", "push", &local_error);
  if (local_error == NULL)
    return TRUE;
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               "The user configuration's [cache] push is true or false: %s",
               local_error->message);
  return FALSE;
}

/* Copies into @dest what it lacks of @keys from the first of @sources that
 * has each: a pull (@sources the shared caches, @dest this one) or a push
 * (the other way round); counts what it copied. Unless @must, an artifact
 * that cannot be copied (damaged there, say) is a warning: it will be
 * built. */
static gboolean
copy_keys (GPtrArray *sources,
           JobArtifactCache *dest,
           gboolean pull,
           const char *const *names,
           const char *const *keys,
           gboolean verbose,
           gboolean must,
           guint *n_copied,
           GError **error)
{
  *n_copied = 0;
  for (guint i = 0; keys[i] != NULL; i++)
    {
      if (job_artifact_cache_contains (dest, keys[i]))
        continue;
      for (guint s = 0; s < sources->len; s++)
        {
          JobArtifactCache *source = sources->pdata[s];
          const char *shared =
              job_artifact_cache_get_root (pull ? source : dest);
          g_autoptr (GError) local_error = NULL;

          if (!job_artifact_cache_contains (source, keys[i]))
            continue;
          if (!job_artifact_cache_copy_artifact (dest, source, keys[i], NULL,
                                                 &local_error))
            {
              g_prefix_error (&local_error,
                              "Cannot %s %s %s %s: ", pull ? "pull" : "push",
                              names[i], pull ? "from" : "to", shared);
              if (must)
                {
                  g_propagate_error (error, g_steal_pointer (&local_error));
                  return FALSE;
                }
              g_printerr ("job: warning: %s\n", local_error->message);
              continue;
            }
          if (verbose)
            g_print ("%s %s (%.8s) %s %s\n", pull ? "pulled" : "pushed",
                     names[i], keys[i], pull ? "from" : "to", shared);
          (*n_copied)++;
          break;
        }
    }
  return TRUE;
}

/* The names and keys of every element @scheduler prepared. */
static void
scheduler_keys (JobScheduler *scheduler, GStrv *names, GStrv *keys)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  *names = job_scheduler_dup_elements (scheduler);
  for (guint i = 0; (*names)[i] != NULL; i++)
    g_strv_builder_add (builder,
                        job_scheduler_get_cache_key (scheduler, (*names)[i]));
  *keys = g_strv_builder_end (builder);
}

typedef struct
{
  char *partition;
  char *spool_dir;
} SlurmOptions;

static JobBackend *
make_slurm_backend (GKeyFile *config,
                    const SlurmOptions *options,
                    GError **error)
{
  g_autofree char *partition =
      g_key_file_get_string (config, "slurm", "partition", NULL);
  g_autofree char *spool_dir =
      g_key_file_get_string (config, "slurm", "spool-dir", NULL);
  g_auto (GStrv) srun_args =
      g_key_file_get_string_list (config, "slurm", "srun-args", NULL, NULL);
  guint64 time_limit = 0, max_in_flight = 64;
  g_autoptr (GError) local_error = NULL;

  if (g_key_file_has_key (config, "slurm", "time-limit", NULL))
    {
      time_limit =
          g_key_file_get_uint64 (config, "slurm", "time-limit", &local_error);
      if (local_error != NULL || time_limit > G_MAXUINT)
        goto bad;
    }
  if (g_key_file_has_key (config, "slurm", "max-jobs-in-flight", NULL))
    {
      max_in_flight = g_key_file_get_uint64 (
          config, "slurm", "max-jobs-in-flight", &local_error);
      if (local_error != NULL || max_in_flight < 1 || max_in_flight > 100000)
        goto bad;
    }
  if (options->partition != NULL)
    {
      g_free (partition);
      partition = g_strdup (options->partition);
    }
  if (options->spool_dir != NULL)
    {
      g_free (spool_dir);
      spool_dir = g_canonicalize_filename (options->spool_dir, NULL);
    }
  return JOB_BACKEND (g_object_new (
      JOB_TYPE_SLURM_BACKEND, "partition", partition, "spool-dir", spool_dir,
      "time-limit", (guint) time_limit, "srun-args", srun_args,
      "max-jobs-in-flight", (guint) max_in_flight, NULL));

bad:
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               "The user configuration's [slurm] time-limit (seconds) and "
               "max-jobs-in-flight (1 to 100000) take whole numbers%s%s",
               local_error != NULL ? ": " : "",
               local_error != NULL ? local_error->message : "");
  return NULL;
}

static JobBackend *
make_backend (const char *name,
              GKeyFile *config,
              const SlurmOptions *slurm,
              GError **error)
{
  g_autofree char *configured = NULL;

  if (name == NULL)
    name = configured =
        g_key_file_get_string (config, "build", "backend", NULL);
  if (name == NULL || g_str_equal (name, "pool"))
    return JOB_BACKEND (job_worker_pool_new ());
  if (g_str_equal (name, "inline"))
    return JOB_BACKEND (job_inline_backend_new ());
  if (g_str_equal (name, "slurm"))
    return make_slurm_backend (config, slurm, error);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "Unknown backend “%s”: use pool, inline or slurm", name);
  return NULL;
}

/* Where the inputs of `job build TARGETS` in this project, with these
 * options and this environment, are saved: one state per distinct build. */
static char *
state_path (JobToolGlobals *globals,
            JobArtifactCache *cache,
            const char *const *targets)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *dir = g_canonicalize_filename (
      globals->directory != NULL ? globals->directory : cwd, cwd);
  g_auto (GStrv) env = g_get_environ ();
  char *real = realpath (dir, NULL);

#define ADD(s)                                                                 \
  g_checksum_update (checksum, (const guchar *) (s), strlen (s) + 1)
  ADD ("job build state 1");
  ADD (real != NULL ? real : dir);
  free (real);
  for (guint i = 0; i < globals->options->len; i++)
    ADD ((char *) globals->options->pdata[i]);
  ADD ("--");
  for (guint i = 0; targets[i] != NULL; i++)
    ADD (targets[i]);
  ADD ("--");
  /* What configures libjob (and where it finds plugins and data). */
  for (guint i = 0; env[i] != NULL; i++)
    if (g_str_has_prefix (env[i], "JOB_") || g_str_has_prefix (env[i], "XDG_")
        || g_str_has_prefix (env[i], "HOME="))
      ADD (env[i]);
#undef ADD
  return g_build_filename (job_artifact_cache_get_root (cache), "state",
                           g_checksum_get_string (checksum), NULL);
}

/* The program and library that computed the keys are inputs too. */
static void
note_own_binaries (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  Dl_info info;

  if (exe != NULL)
    job_inputs_note (exe);
  if (dladdr ((void *) job_inputs_new, &info) != 0 && info.dli_fname != NULL)
    job_inputs_note (info.dli_fname);
}

/* Nothing to build if no input changed since a build that left every
 * element cached, and every artifact is still there. */
static gboolean
is_up_to_date (const char *state, JobArtifactCache *cache)
{
  g_auto (GStrv) keys = job_inputs_check (state);

  if (keys == NULL)
    return FALSE;
  for (guint i = 0; keys[i] != NULL; i++)
    if (!job_artifact_cache_contains (cache, keys[i]))
      return FALSE;
  return TRUE;
}

static void
save_state (const char *state,
            JobInputs *inputs,
            JobScheduler *scheduler,
            gint64 started)
{
  g_auto (GStrv) elements = job_scheduler_dup_elements (scheduler);
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;

  for (guint i = 0; elements[i] != NULL; i++)
    {
      const char *key = job_scheduler_get_cache_key (scheduler, elements[i]);

      if (key == NULL)
        return;
      g_ptr_array_add (keys, (gpointer) key);
    }
  g_ptr_array_add (keys, NULL);
  if (!job_inputs_save (inputs, state, (const char *const *) keys->pdata,
                        started, &error))
    g_debug ("Not saving the build state: %s", error->message);
}

/* Sets the scheduler's --on-error POLICY; FALSE, said, if it has none such. */
static gboolean
set_on_error (JobScheduler *scheduler, const char *command, const char *policy)
{
  GEnumClass *klass = g_type_class_ref (JOB_TYPE_ON_ERROR);
  GEnumValue *value = g_enum_get_value_by_nick (klass, policy);

  g_type_class_unref (klass);
  if (value == NULL)
    {
      g_printerr ("job %s: --on-error takes quit, continue or terminate, not "
                  "“%s”\n",
                  command, policy);
      return FALSE;
    }
  g_object_set (scheduler, "on-error", value->value, NULL);
  return TRUE;
}

int
job_tool_build (JobToolGlobals *globals, int argc, char **argv)
{
  g_autofree char *backend_name = NULL, *on_error = NULL, *cache_dir = NULL;
  g_autofree char *slurm_partition = NULL, *spool_dir = NULL;
  int builders = 0;
  gboolean quiet = FALSE, verbose = FALSE, has_quota = FALSE, push = FALSE;
  guint64 quota = 0;
  g_autoptr (GPtrArray) remotes = NULL;
  g_auto (GStrv) names = NULL, keys = NULL, track = NULL;
  gboolean track_all = FALSE;
  const GOptionEntry entries[] = {
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend_name,
      "Where build jobs run: pool (worker processes, the default), inline "
      "(threads of this process, for debugging) or slurm (jobs of a Slurm "
      "cluster; fetches stay local)",
      "NAME" },
    { "slurm-partition", 0, 0, G_OPTION_ARG_STRING, &slurm_partition,
      "With --backend slurm: the partition build jobs run in (default: "
      "[slurm] partition in the user configuration, else the cluster's)",
      "NAME" },
    { "spool-dir", 0, 0, G_OPTION_ARG_FILENAME, &spool_dir,
      "With --backend slurm: where tasks and results are handed over, a "
      "directory every node shares (default: [slurm] spool-dir in the user "
      "configuration, else ~/.cache/libjob/slurm-spool)",
      "DIR" },
    { "builders", 0, 0, G_OPTION_ARG_INT, &builders,
      "How many build jobs run at once (default: the number of CPUs; with "
      "--backend slurm, [slurm] max-jobs-in-flight, 64)",
      "N" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &builders, "Same as --builders", "N" },
    { "on-error", 0, 0, G_OPTION_ARG_STRING, &on_error,
      "What to do when a build fails: quit (default), continue or terminate",
      "POLICY" },
    JOB_TOOL_CACHE_DIR_OPTION (&cache_dir),
    { "track", 0, 0, G_OPTION_ARG_STRING_ARRAY, &track,
      "Track the sources of ELEMENT first, writing new refs back, as job "
      "track does (repeatable)",
      "ELEMENT" },
    { "track-all", 0, 0, G_OPTION_ARG_NONE, &track_all,
      "Track the sources of the targets and of everything they depend on "
      "first",
      NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only errors", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print more", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context =
      g_option_context_new ("TARGET… - build elements and what they need");
  g_autoptr (GError) error = NULL;
  g_autoptr (JobProject) project = NULL;
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (JobBackend) fetch_backend = NULL;
  g_autoptr (GKeyFile) config = NULL;
  g_autoptr (JobScheduler) scheduler = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  SlurmOptions slurm = { 0 };
  Progress progress = { 0 };
  g_auto (GStrv) elements = NULL;
  g_autoptr (JobInputs) inputs = NULL;
  g_autofree char *state = NULL;
  gint64 started = 0;
  guint sigint, sigterm, tick = 0;
  gboolean ok;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!job_tool_parse (context, &argc, &argv, 1, -1,
                       "job build: name at least one element to build"))
    return 2;

  /* Tracking first: the refs it writes are inputs of what follows. */
  if (track_all || track != NULL)
    {
      guint n_changed = 0;

      if (!job_tool_track_elements (globals,
                                    track_all ? (const char *const *) argv + 1
                                              : (const char *const *) track,
                                    track_all, cache_dir, quiet, &n_changed,
                                    &error))
        goto fail;
      if (!quiet)
        g_print ("%u ref%s changed\n", n_changed, n_changed == 1 ? "" : "s");
    }
  if ((cache = job_tool_open_cache (cache_dir, &error)) == NULL)
    goto fail;
  state = state_path (globals, cache, (const char *const *) argv + 1);
  if (is_up_to_date (state, cache))
    {
      if (verbose)
        g_print ("Up to date: no input changed since the last build and "
                 "every artifact is cached\n");
      if (!quiet)
        g_print ("0 built, 0 failed\n");
      return 0;
    }

  /* Record what the keys are computed from, for the next run. */
  started = g_get_real_time ();
  inputs = job_inputs_new ();
  job_inputs_start_recording (inputs);
  note_own_binaries ();
  if ((project = job_tool_load_project (globals, &error)) == NULL)
    goto fail;
  loader = job_loader_new (project);
  job_loader_set_cache (loader, cache);
  if (!job_loader_load (loader, (const char *const *) argv + 1, NULL, &error))
    goto fail;
  if ((config = load_user_config (&error)) == NULL
      || !get_quota (config, &quota, &has_quota, &error)
      || !get_push (config, &push, &error)
      || (remotes = open_remotes (config, NULL, &error)) == NULL)
    goto fail;
  slurm.partition = slurm_partition;
  slurm.spool_dir = spool_dir;
  if ((backend = make_backend (backend_name, config, &slurm, &error)) == NULL)
    goto fail;
  /* Fetches need the network and the source caches of this machine. */
  if (JOB_IS_SLURM_BACKEND (backend))
    fetch_backend = JOB_BACKEND (job_worker_pool_new ());
  scheduler =
      g_object_new (JOB_TYPE_SCHEDULER, "loader", loader, "cache", cache,
                    "backend", backend, "fetch-backend", fetch_backend, NULL);
  if (builders > 0)
    {
      g_object_set (scheduler, "builders", (guint) builders, NULL);
      /* N builds at once need N workers. */
      if (JOB_IS_WORKER_POOL (backend))
        job_worker_pool_set_max_workers (JOB_WORKER_POOL (backend),
                                         (guint) builders);
    }
  else if (JOB_IS_SLURM_BACKEND (backend))
    /* The cluster, not this machine's CPUs, bounds how many jobs run. */
    g_object_set (scheduler, "builders",
                  MIN (job_slurm_backend_get_max_jobs_in_flight (
                           JOB_SLURM_BACKEND (backend)),
                       1024u),
                  NULL);
  if (on_error != NULL && !set_on_error (scheduler, "build", on_error))
    return 2;
  if (!job_scheduler_prepare (scheduler, (const char *const *) argv + 1,
                              &error))
    goto fail;
  job_inputs_stop_recording (inputs);

  /* What the shared caches have is pulled rather than built. */
  scheduler_keys (scheduler, &names, &keys);
  if (remotes->len > 0)
    {
      guint n_pulled = 0;

      if (!copy_keys (remotes, cache, TRUE, (const char *const *) names,
                      (const char *const *) keys, verbose, FALSE, &n_pulled,
                      &error))
        goto fail;
      if (n_pulled > 0 && !quiet)
        g_print ("%u pulled\n", n_pulled);
    }

  progress.scheduler = scheduler;
  progress.quiet = quiet;
  progress.verbose = verbose;
  progress.terminal = !quiet && isatty (STDOUT_FILENO)
                      && g_getenv ("TERM") != NULL
                      && !g_str_equal (g_getenv ("TERM"), "dumb");
  progress.start = g_get_monotonic_time ();
  progress.running =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  elements = job_scheduler_dup_elements (scheduler);
  for (guint i = 0; elements[i] != NULL; i++)
    if (job_scheduler_get_state (scheduler, elements[i])
        != JOB_ELEMENT_STATE_CACHED)
      progress.to_build++;
  g_signal_connect (scheduler, "job-started", G_CALLBACK (on_job_started),
                    &progress);
  g_signal_connect (scheduler, "job-finished", G_CALLBACK (on_job_finished),
                    &progress);
  g_signal_connect (scheduler, "fetch-started", G_CALLBACK (on_fetch_started),
                    &progress);
  g_signal_connect (scheduler, "fetch-finished", G_CALLBACK (on_fetch_finished),
                    &progress);
  if (progress.terminal)
    tick = g_timeout_add_seconds (1, on_tick, &progress);
  sigint = g_unix_signal_add (SIGINT, on_interrupt, cancellable);
  sigterm = g_unix_signal_add (SIGTERM, on_interrupt, cancellable);

  ok = job_scheduler_build (scheduler, cancellable, &error);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (tick != 0)
    g_source_remove (tick);
  erase_status (&progress);
  g_hash_table_unref (progress.running);
  job_backend_shutdown (backend, TRUE);
  if (fetch_backend != NULL)
    job_backend_shutdown (fetch_backend, TRUE);

  if (!quiet)
    g_print ("%u built, %u failed\n", progress.finished - progress.failed,
             progress.failed);
  if (push && remotes->len > 0)
    {
      g_autoptr (GPtrArray) here = g_ptr_array_new ();
      g_autoptr (GError) push_error = NULL;
      guint n_pushed = 0;

      /* What is in the cache now: what failed is not, and is skipped. */
      g_ptr_array_add (here, cache);
      if (!copy_keys (here, remotes->pdata[0], FALSE,
                      (const char *const *) names, (const char *const *) keys,
                      verbose, TRUE, &n_pushed, &push_error))
        g_printerr ("job: warning: %s\n", push_error->message);
      else if (n_pushed > 0 && !quiet)
        g_print ("%u pushed\n", n_pushed);
    }
  if (has_quota)
    prune_after_build (cache, (const char *const *) keys, quota, quiet);
  if (!ok)
    {
      g_auto (GStrv) failed = job_scheduler_dup_failed (scheduler);

      job_tool_print_error (error);
      for (guint i = 0; failed[i] != NULL; i++)
        {
          g_autofree char *log =
              job_scheduler_get_log_path (scheduler, failed[i]);
          g_autofree char *tail = tail_of (log, 20);

          g_printerr ("\nFailed: %s\n", failed[i]);
          if (tail != NULL)
            g_printerr ("Last lines of the log:\n%s", tail);
          if (log != NULL)
            g_printerr ("Full log: %s\n", log);
        }
      return 1;
    }
  save_state (state, inputs, scheduler, started);
  return 0;

fail:
  job_tool_print_error (error);
  return 1;
}

/* The elements `job fetch --deps DEPS` fetches the sources of. */
static GStrv
fetch_selection (JobLoader *loader,
                 JobScheduler *scheduler,
                 const char *const *targets,
                 const char *deps,
                 GError **error)
{
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();
  g_autoptr (GListModel) list = NULL;
  JobDeps which;

  if (g_str_equal (deps, "none"))
    return g_strdupv ((char **) targets);
  if (g_str_equal (deps, "plan"))
    which = JOB_DEPS_PLAN;
  else if (g_str_equal (deps, "all"))
    which = JOB_DEPS_ALL;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--deps takes none, plan or all, not “%s”", deps);
      return NULL;
    }
  list = job_loader_list_dependencies (loader, targets, which, error);
  if (list == NULL)
    return NULL;
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (JobElementSpec) spec = g_list_model_get_item (list, i);
      const char *name = job_element_spec_get_name (spec);

      /* The plan leaves out what is built already, as a build would. */
      if (which == JOB_DEPS_ALL
          || job_scheduler_get_state (scheduler, name)
                 != JOB_ELEMENT_STATE_CACHED)
        g_strv_builder_add (names, name);
    }
  return g_strv_builder_end (names);
}

int
job_tool_fetch (JobToolGlobals *globals, int argc, char **argv)
{
  g_autofree char *deps = NULL, *cache_dir = NULL, *on_error = NULL;
  int fetchers = 0;
  gboolean quiet = FALSE, verbose = FALSE;
  const GOptionEntry entries[] = {
    { "deps", 'd', 0, G_OPTION_ARG_STRING, &deps,
      "Whose sources: none (the targets'), plan (what building the targets "
      "needs and is not built yet; the default) or all (the targets and "
      "all their dependencies)",
      "DEPS" },
    { "fetchers", 0, 0, G_OPTION_ARG_INT, &fetchers,
      "How many fetch jobs run at once (default 4)", "N" },
    { "on-error", 0, 0, G_OPTION_ARG_STRING, &on_error,
      "What to do when a fetch fails: quit (default), continue or terminate",
      "POLICY" },
    JOB_TOOL_CACHE_DIR_OPTION (&cache_dir),
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only errors", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print more", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (
      "TARGET… - fetch the sources of elements without building them");
  g_autoptr (GError) error = NULL;
  g_auto (JobToolSession) session = { 0 };
  JobScheduler *scheduler;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_auto (GStrv) selected = NULL;
  const char *const *targets;
  Progress progress = { 0 };
  guint sigint, sigterm;
  gboolean ok;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!job_tool_parse (context, &argc, &argv, 1, -1,
                       "job fetch: name at least one element"))
    return 2;
  targets = (const char *const *) argv + 1;

  /* Fetches are jobs in workers, as in a build. */
  if (!job_tool_session_open (&session, globals, targets, cache_dir,
                              JOB_BACKEND (job_worker_pool_new ()), &error))
    goto fail;
  scheduler = session.scheduler;
  if (fetchers > 0)
    g_object_set (scheduler, "fetchers", (guint) fetchers, NULL);
  if (on_error != NULL && !set_on_error (scheduler, "fetch", on_error))
    return 2;
  selected = fetch_selection (session.loader, scheduler, targets,
                              deps != NULL ? deps : "plan", &error);
  if (selected == NULL)
    goto fail;

  progress.scheduler = scheduler;
  progress.quiet = quiet;
  progress.verbose = verbose;
  progress.start = g_get_monotonic_time ();
  progress.running =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_signal_connect (scheduler, "fetch-started", G_CALLBACK (on_fetch_started),
                    &progress);
  g_signal_connect (scheduler, "fetch-finished", G_CALLBACK (on_fetch_finished),
                    &progress);
  sigint = g_unix_signal_add (SIGINT, on_interrupt, cancellable);
  sigterm = g_unix_signal_add (SIGTERM, on_interrupt, cancellable);
  ok = job_scheduler_fetch (scheduler, (const char *const *) selected,
                            cancellable, &error);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_hash_table_unref (progress.running);
  job_backend_shutdown (session.backend, TRUE);
  if (!quiet)
    g_print ("%u fetched, %u failed\n", progress.fetched,
             progress.fetch_failed);
  if (!ok)
    goto fail;
  return 0;

fail:
  job_tool_print_error (error);
  return 1;
}

/* Writes the tree @dir as a tar archive to @location ("-": standard
 * output), names sorted, owners numeric: the same tree, the same archive. */
static gboolean
write_tar (const char *dir, const char *location, GError **error)
{
  const char *argv[] = { "tar",    "--create", "--sort=name", "--numeric-owner",
                         "--file", location,   "--directory", dir,
                         ".",      NULL };
  g_autoptr (GSubprocess) tar = NULL;

  tar = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, error);
  if (tar == NULL || !g_subprocess_wait_check (tar, NULL, error))
    {
      g_prefix_error (error, "Cannot write the archive %s: ", location);
      return FALSE;
    }
  return TRUE;
}

/* The artifacts of @plan, one after the other (a later file wins), as
 * copies or hard links into the cache. */
static gboolean
stage_plan (JobArtifactCache *cache,
            GVariant *plan,
            const char *dest,
            gboolean hardlinks,
            GError **error)
{
  g_autoptr (GVariant) scope = g_variant_get_child_value (plan, 0);
  GVariantIter iter;
  const char *key;

  g_variant_iter_init (&iter, scope);
  while (g_variant_iter_next (&iter, "(&s&s@as)", NULL, &key, NULL))
    if (!(hardlinks
              ? job_artifact_cache_stage (cache, key, dest, NULL, error)
              : job_artifact_cache_checkout (cache, key, dest, NULL, error)))
      return FALSE;
  return TRUE;
}

static gboolean
has_integration (GVariant *plan)
{
  g_autoptr (GVariant) scope = g_variant_get_child_value (plan, 0);
  GVariantIter iter;
  g_autoptr (GVariant) commands = NULL;

  g_variant_iter_init (&iter, scope);
  while (g_variant_iter_next (&iter, "(&s&s@as)", NULL, NULL, &commands))
    {
      if (g_variant_n_children (commands) > 0)
        return TRUE;
      g_clear_pointer (&commands, g_variant_unref);
    }
  return FALSE;
}

/* Runs the integration commands of @plan's artifacts, in order, in a
 * sandbox whose root is @root, with @element's environment. */
static gboolean
integrate (JobElement *element,
           GVariant *plan,
           const char *root,
           GError **error)
{
  g_autoptr (JobSandbox) sandbox = job_sandbox_new (root);
  g_autoptr (GVariant) scope = g_variant_get_child_value (plan, 0);
  GVariantIter iter;
  const char *name;
  g_autoptr (GVariant) commands = NULL;

  job_sandbox_set_env (sandbox, job_element_get_environment (element));
  job_sandbox_set_cwd (sandbox, "/");
  if (!job_sandbox_resolve_mode (sandbox, error))
    return FALSE;
  /* On the host, /etc would be the host's own. */
  if (job_sandbox_get_effective_mode (sandbox) != JOB_SANDBOX_MODE_BWRAP)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "integration commands run in a bwrap sandbox, and there "
                   "is none here; give --no-integrate");
      return FALSE;
    }
  g_variant_iter_init (&iter, scope);
  while (g_variant_iter_next (&iter, "(&s&s@as)", &name, NULL, &commands))
    {
      for (gsize i = 0; i < g_variant_n_children (commands); i++)
        {
          const char *command = NULL;
          const char *argv[] = { "sh", "-e", "-c", NULL, NULL };
          g_autoptr (GOutputStream) output =
              g_memory_output_stream_new_resizable ();
          int status = 0;

          g_variant_get_child (commands, i, "&s", &command);
          argv[3] = command;
          if (!job_sandbox_run (sandbox, argv, output, NULL, &status, error))
            return FALSE;
          if (status != 0)
            {
              GMemoryOutputStream *memory = G_MEMORY_OUTPUT_STREAM (output);
              g_autofree char *text =
                  g_strndup (g_memory_output_stream_get_data (memory),
                             g_memory_output_stream_get_data_size (memory));

              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "an integration command of %s failed (status "
                           "%d): %s\n%s",
                           name, status, command, text);
              return FALSE;
            }
        }
      g_clear_pointer (&commands, g_variant_unref);
    }
  return TRUE;
}

/* For checkout and source-checkout: whether @location may be written,
 * saying why not. */
static gboolean
location_is_free (const char *command,
                  const char *location,
                  gboolean force,
                  gboolean tar)
{
  if (force
      || (tar ? g_str_equal (location, "-")
                    || !g_file_test (location, G_FILE_TEST_EXISTS)
              : job_tool_is_empty_or_missing (location)))
    return TRUE;
  g_printerr ("job %s: %s %s; give --force to replace what is there\n", command,
              location, tar ? "exists" : "is not empty");
  return FALSE;
}

/* Where the tree of a tar archive is made: a new directory, whose mode the
 * archive's top entry takes. */
static char *
make_tar_tree (GError **error)
{
  char *dir = g_dir_make_tmp ("job-checkout-XXXXXX", error);

  if (dir != NULL)
    g_chmod (dir, 0755);
  return dir;
}

/* Writes @tree (if any) as the archive @location, then removes it. */
static gboolean
finish_tar (const char *tree, const char *location, gboolean ok, GError **error)
{
  g_autoptr (GError) ignored = NULL;

  if (tree == NULL)
    return ok;
  ok = ok && write_tar (tree, location, error);
  job_tool_remove_tree (tree, &ignored);
  return ok;
}

int
job_tool_checkout (JobToolGlobals *globals, int argc, char **argv)
{
  g_autofree char *cache_dir = NULL, *deps = NULL;
  gboolean force = FALSE, no_integrate = FALSE, hardlinks = FALSE;
  gboolean tar = FALSE;
  const GOptionEntry entries[] = {
    { "deps", 'd', 0, G_OPTION_ARG_STRING, &deps,
      "run (the element and what it needs at run time, the default) or none "
      "(the element's own artifact)",
      "DEPS" },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      "Check out into a directory that is not empty, replacing files", NULL },
    { "no-integrate", 0, 0, G_OPTION_ARG_NONE, &no_integrate,
      "Do not run the integration commands of what is checked out", NULL },
    { "hardlinks", 0, 0, G_OPTION_ARG_NONE, &hardlinks,
      "Hard links into the cache instead of copies: never change a file of "
      "the checkout in place",
      NULL },
    { "tar", 0, 0, G_OPTION_ARG_NONE, &tar,
      "Write a tar archive to LOCATION (- for standard output) instead of a "
      "directory",
      NULL },
    JOB_TOOL_CACHE_DIR_OPTION (&cache_dir),
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (
      "ELEMENT LOCATION - copy a built element, and what it needs at run "
      "time, into a directory");
  g_autoptr (GError) error = NULL;
  g_auto (JobToolSession) session = { 0 };
  g_autoptr (GVariant) plan = NULL;
  g_autofree char *dest = NULL;
  const char *targets[2] = { NULL, NULL };
  const char *location;
  gboolean with_integration, ok;

  g_option_context_set_description (
      context,
      "As `bst checkout`: the artifacts are staged one after the other, "
      "then the integration commands of each run in a sandbox over the "
      "result (ldconfig, caches), then it is copied to LOCATION.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!job_tool_parse (context, &argc, &argv, 2, 2,
                       "job checkout: name one element and one location"))
    return 2;
  if (deps != NULL && !g_str_equal (deps, "run") && !g_str_equal (deps, "none"))
    {
      g_printerr ("job checkout: --deps takes run or none, not “%s”\n", deps);
      return 2;
    }
  if (hardlinks && tar)
    {
      g_printerr ("job checkout: --hardlinks and --tar do not go together\n");
      return 2;
    }
  targets[0] = argv[1];
  location = argv[2];
  if (!location_is_free ("checkout", location, force, tar))
    return 1;

  if (!job_tool_session_open (&session, globals, targets, cache_dir, NULL,
                              &error))
    goto fail;
  plan = job_scheduler_make_staging_plan (
      session.scheduler, targets[0],
      deps != NULL && g_str_equal (deps, "none") ? JOB_DEPS_NONE
                                                 : JOB_DEPS_RUN);
  if (!job_tool_check_built (session.cache, plan, targets[0], FALSE, &error))
    goto fail;
  with_integration = !no_integrate && has_integration (plan);
  if (hardlinks && with_integration)
    {
      g_printerr ("job checkout: integration commands would change files "
                  "the checkout shares with the cache; give --no-integrate, "
                  "or check out copies\n");
      return 1;
    }
  /* A tar archive is made from a directory of its own. */
  if (tar && (dest = make_tar_tree (&error)) == NULL)
    goto fail;
  ok =
      stage_plan (session.cache, plan, tar ? dest : location, hardlinks, &error)
      && (!with_integration
          || integrate (
              job_scheduler_get_element (session.scheduler, targets[0]), plan,
              tar ? dest : location, &error));
  if (!finish_tar (dest, location, ok, &error))
    goto fail;
  return 0;

fail:
  job_tool_print_error (error);
  return 1;
}

int
job_tool_log (JobToolGlobals *globals, int argc, char **argv)
{
  g_autofree char *cache_dir = NULL;
  const GOptionEntry entries[] = {
    JOB_TOOL_CACHE_DIR_OPTION (&cache_dir),
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (
      "TARGET… - print the build logs of elements, as of their cache keys");
  g_autoptr (GError) error = NULL;
  g_auto (JobToolSession) session = { 0 };
  const char *const *targets;

  g_option_context_set_description (
      context, "A build's log is kept under its cache key, whether it "
               "succeeded or failed; a build that printed nothing (an "
               "import) has none.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!job_tool_parse (context, &argc, &argv, 1, -1,
                       "job log: name at least one element"))
    return 2;
  targets = (const char *const *) argv + 1;
  if (!job_tool_session_open (&session, globals, targets, cache_dir, NULL,
                              &error))
    goto fail;
  for (guint i = 0; targets[i] != NULL; i++)
    {
      const char *key =
          job_scheduler_get_cache_key (session.scheduler, targets[i]);
      g_autofree char *path = job_artifact_cache_get_log_path (
          session.cache, targets[i], key, &error);
      g_autofree char *text = NULL;
      gsize length = 0;

      if (path == NULL)
        goto fail;
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_printerr ("job log: %s has no build log under its cache key "
                      "%.12s…: %s\n",
                      targets[i], key,
                      job_artifact_cache_contains (session.cache, key)
                          ? "its build printed nothing"
                          : "it was not built with this key (job build "
                            "builds it)");
          return 1;
        }
      if (!g_file_get_contents (path, &text, &length, &error))
        goto fail;
      if (targets[1] != NULL)
        g_print ("==> %s (%s) <==\n", targets[i], path);
      fwrite (text, 1, length, stdout);
    }
  return fflush (stdout) == 0 ? 0 : 1;

fail:
  job_tool_print_error (error);
  return 1;
}

int
job_tool_prune (JobToolGlobals *globals, int argc, char **argv)
{
  g_autofree char *cache_dir = NULL, *quota_text = NULL;
  const GOptionEntry entries[] = {
    { "quota", 'q', 0, G_OPTION_ARG_STRING, &quota_text,
      "The most the artifacts may take, such as 500M or 20G (default: the "
      "user configuration's [cache] quota)",
      "SIZE" },
    JOB_TOOL_CACHE_DIR_OPTION (&cache_dir),
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (
      "[TARGET…] - remove the least recently used artifacts beyond a quota");
  g_autoptr (GError) error = NULL;
  g_autoptr (GKeyFile) config = NULL;
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autoptr (GStrvBuilder) keep = g_strv_builder_new ();
  g_auto (GStrv) keys = NULL;
  g_autofree char *size_text = NULL, *limit_text = NULL;
  gboolean has_quota = FALSE;
  guint64 quota = 0, size = 0;
  guint n_removed = 0;

  g_option_context_set_description (
      context,
      "An artifact is used when it is built, staged into a build or checked "
      "out. The artifacts of the TARGETs and of everything they depend on "
      "stay, whatever the quota. `job build` prunes by itself after each "
      "build when the user configuration (~/.config/libjob/job.conf) has\n"
      "  [cache]\n  quota=20G");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      job_tool_print_error (error);
      return 2;
    }
  if (quota_text != NULL)
    {
      has_quota = parse_size (quota_text, &quota);
      if (!has_quota)
        {
          g_printerr ("job prune: --quota is a size such as 500M or 20G, "
                      "not “%s”\n",
                      quota_text);
          return 2;
        }
    }
  else if ((config = load_user_config (&error)) == NULL
           || !get_quota (config, &quota, &has_quota, &error))
    goto fail;
  if (!has_quota)
    {
      g_printerr ("job prune: give --quota SIZE, or set [cache] quota in the "
                  "user configuration\n");
      return 2;
    }
  if (argc > 1)
    {
      g_auto (JobToolSession) session = { 0 };
      const char *const *targets = (const char *const *) argv + 1;
      g_autoptr (GListModel) all = NULL;

      if (!job_tool_session_open (&session, globals, targets, cache_dir, NULL,
                                  &error)
          || (all = job_loader_list_dependencies (session.loader, targets,
                                                  JOB_DEPS_ALL, &error))
                 == NULL)
        goto fail;
      for (guint i = 0; i < g_list_model_get_n_items (all); i++)
        {
          g_autoptr (JobElementSpec) spec = g_list_model_get_item (all, i);

          g_strv_builder_add (
              keep, job_scheduler_get_cache_key (
                        session.scheduler, job_element_spec_get_name (spec)));
        }
      cache = g_object_ref (session.cache);
    }
  else if ((cache = job_tool_open_cache (cache_dir, &error)) == NULL)
    goto fail;
  keys = g_strv_builder_end (keep);
  if (!job_artifact_cache_prune (cache, quota, (const char *const *) keys,
                                 &n_removed, &size, &error))
    goto fail;
  size_text = g_format_size (size);
  limit_text = g_format_size (quota);
  g_print ("Removed %u artifact%s; the artifacts take %s (quota %s)\n",
           n_removed, n_removed == 1 ? "" : "s", size_text, limit_text);
  if (size > quota)
    g_printerr ("job prune: the artifacts of the targets alone take more "
                "than the quota\n");
  return 0;

fail:
  job_tool_print_error (error);
  return 1;
}

/* job pull and job push: the elements chosen (the targets, or with --deps
 * all everything they depend on too), with their keys. */
static int
transfer (JobToolGlobals *globals, int argc, char **argv, gboolean pull)
{
  const char *command = pull ? "pull" : "push";
  g_autofree char *cache_dir = NULL, *remote_dir = NULL, *deps = NULL;
  gboolean verbose = FALSE;
  const GOptionEntry entries[] = {
    { "remote", 'r', 0, G_OPTION_ARG_FILENAME, &remote_dir,
      "The shared cache (default: the user configuration's [cache] remote; "
      "the first one for a push)",
      "DIR" },
    { "deps", 'd', 0, G_OPTION_ARG_STRING, &deps,
      "none (the targets, the default) or all (and everything they depend "
      "on)",
      "DEPS" },
    JOB_TOOL_CACHE_DIR_OPTION (&cache_dir),
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
      "Name each artifact copied", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (
      pull ? "TARGET… - copy built artifacts from a shared cache"
           : "TARGET… - copy built artifacts to a shared cache");
  g_autoptr (GError) error = NULL;
  g_auto (JobToolSession) session = { 0 };
  g_autoptr (GKeyFile) config = NULL;
  g_autoptr (GPtrArray) remotes = NULL;
  g_autoptr (GListModel) chosen = NULL;
  g_autoptr (GStrvBuilder) name_builder = g_strv_builder_new ();
  g_autoptr (GStrvBuilder) key_builder = g_strv_builder_new ();
  g_autoptr (GString) missing = g_string_new (NULL);
  g_autoptr (GPtrArray) here = g_ptr_array_new ();
  g_auto (GStrv) names = NULL, keys = NULL;
  const char *const *targets;
  guint n_copied = 0, n_there = 0;

  g_option_context_set_description (
      context,
      "A shared cache is an artifact cache in a directory others can reach "
      "(NFS, a mounted volume). With\n  [cache]\n  remote=/shared/libjob\n"
      "  push=true\nin the user configuration, `job build` pulls what it "
      "would build from there and pushes what it built.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!job_tool_parse (context, &argc, &argv, 1, -1,
                       pull ? "job pull: name at least one element"
                            : "job push: name at least one element"))
    return 2;
  if (deps != NULL && !g_str_equal (deps, "none") && !g_str_equal (deps, "all"))
    {
      g_printerr ("job %s: --deps takes none or all, not “%s”\n", command,
                  deps);
      return 2;
    }
  targets = (const char *const *) argv + 1;
  if ((remote_dir == NULL && (config = load_user_config (&error)) == NULL)
      || (remotes = open_remotes (config, remote_dir, &error)) == NULL)
    goto fail;
  if (remotes->len == 0)
    {
      g_printerr ("job %s: give --remote DIR, or set [cache] remote in the "
                  "user configuration\n",
                  command);
      return 2;
    }
  if (!job_tool_session_open (&session, globals, targets, cache_dir, NULL,
                              &error)
      || (chosen = job_loader_list_dependencies (
              session.loader, targets,
              deps != NULL && g_str_equal (deps, "all") ? JOB_DEPS_ALL
                                                        : JOB_DEPS_NONE,
              &error))
             == NULL)
    goto fail;
  for (guint i = 0; i < g_list_model_get_n_items (chosen); i++)
    {
      g_autoptr (JobElementSpec) spec = g_list_model_get_item (chosen, i);
      const char *name = job_element_spec_get_name (spec);
      const char *key = job_scheduler_get_cache_key (session.scheduler, name);
      JobArtifactCache *have = pull ? session.cache : remotes->pdata[0];
      gboolean found =
          !pull && job_artifact_cache_contains (session.cache, key);

      if (job_artifact_cache_contains (have, key))
        {
          n_there++;
          continue;
        }
      for (guint r = 0; pull && !found && r < remotes->len; r++)
        found = job_artifact_cache_contains (remotes->pdata[r], key);
      if (!found)
        {
          g_string_append_printf (missing, "%s%s", missing->len ? ", " : "",
                                  name);
          continue;
        }
      g_strv_builder_add (name_builder, name);
      g_strv_builder_add (key_builder, key);
    }
  names = g_strv_builder_end (name_builder);
  keys = g_strv_builder_end (key_builder);
  g_ptr_array_add (here, session.cache);
  if (!copy_keys (pull ? remotes : here,
                  pull ? session.cache : remotes->pdata[0], pull,
                  (const char *const *) names, (const char *const *) keys,
                  verbose, TRUE, &n_copied, &error))
    goto fail;
  g_print ("%u %s, %u already %s\n", n_copied, pull ? "pulled" : "pushed",
           n_there, pull ? "here" : "there");
  if (missing->len > 0)
    {
      g_printerr ("job %s: %s %s: %s\n", command,
                  pull ? "not in the shared cache" : "not built here",
                  pull ? "(build them)" : "(build them first)", missing->str);
      return 1;
    }
  return 0;

fail:
  job_tool_print_error (error);
  return 1;
}

int
job_tool_pull (JobToolGlobals *globals, int argc, char **argv)
{
  return transfer (globals, argc, argv, TRUE);
}

int
job_tool_push (JobToolGlobals *globals, int argc, char **argv)
{
  return transfer (globals, argc, argv, FALSE);
}

/* Where the sources of @name go in a checkout of several elements: its
 * name without .bst, so that foo/bar.bst is foo/bar/. */
static char *
element_directory (const char *location, const char *name)
{
  g_autofree char *stem = g_str_has_suffix (name, ".bst")
                              ? g_strndup (name, strlen (name) - 4)
                              : g_strdup (name);

  return g_build_filename (location, stem, NULL);
}

int
job_tool_source_checkout (JobToolGlobals *globals, int argc, char **argv)
{
  g_autofree char *cache_dir = NULL, *deps = NULL;
  gboolean force = FALSE, tar = FALSE;
  const GOptionEntry entries[] = {
    { "deps", 'd', 0, G_OPTION_ARG_STRING, &deps,
      "none (the element's sources, into LOCATION, the default) or all "
      "(those of everything it depends on too, each element's in a "
      "directory of its name)",
      "DEPS" },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      "Write into a directory that is not empty, replacing files", NULL },
    { "tar", 0, 0, G_OPTION_ARG_NONE, &tar,
      "Write a tar archive to LOCATION (- for standard output)", NULL },
    JOB_TOOL_CACHE_DIR_OPTION (&cache_dir),
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (
      "ELEMENT LOCATION - stage the sources of an element into a directory");
  g_autoptr (GError) error = NULL;
  g_auto (JobToolSession) session = { 0 };
  g_autoptr (GListModel) chosen = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) names = NULL;
  g_autofree char *dest = NULL;
  const char *targets[2] = { NULL, NULL };
  const char *location, *into;
  gboolean all, ok = TRUE;

  g_option_context_set_description (
      context, "The sources are fetched first if need be; an element with an "
               "open workspace gives what its workspace holds, as its builds "
               "would.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!job_tool_parse (context, &argc, &argv, 2, 2,
                       "job source-checkout: name one element and one "
                       "location"))
    return 2;
  if (deps != NULL && !g_str_equal (deps, "none") && !g_str_equal (deps, "all"))
    {
      g_printerr ("job source-checkout: --deps takes none or all, not “%s”\n",
                  deps);
      return 2;
    }
  all = deps != NULL && g_str_equal (deps, "all");
  targets[0] = argv[1];
  location = argv[2];
  if (!location_is_free ("source-checkout", location, force, tar))
    return 1;
  if (!job_tool_session_open (&session, globals, targets, cache_dir, NULL,
                              &error)
      || (chosen = job_loader_list_dependencies (
              session.loader, targets, all ? JOB_DEPS_ALL : JOB_DEPS_NONE,
              &error))
             == NULL)
    goto fail;
  for (guint i = 0; i < g_list_model_get_n_items (chosen); i++)
    {
      g_autoptr (JobElementSpec) spec = g_list_model_get_item (chosen, i);
      const char *name = job_element_spec_get_name (spec);
      JobElement *element = job_scheduler_get_element (session.scheduler, name);

      if (g_list_model_get_n_items (job_element_get_sources (element)) > 0)
        g_strv_builder_add (builder, name);
    }
  names = g_strv_builder_end (builder);
  if (!job_scheduler_fetch (session.scheduler, (const char *const *) names,
                            NULL, &error))
    goto fail;
  if (tar && (dest = make_tar_tree (&error)) == NULL)
    goto fail;
  into = tar ? dest : location;
  for (guint i = 0; ok && names[i] != NULL; i++)
    {
      g_autofree char *directory =
          all ? element_directory (into, names[i]) : g_strdup (into);

      ok = job_tool_stage_sources (session.scheduler, names[i], directory,
                                   &error);
    }
  /* An element without sources checks out as an empty directory. */
  if (ok && names[0] == NULL && !tar && g_mkdir_with_parents (location, 0755))
    {
      int saved = errno;

      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot make %s: %s", location, g_strerror (saved));
      ok = FALSE;
    }
  if (!finish_tar (dest, location, ok, &error))
    goto fail;
  return 0;

fail:
  job_tool_print_error (error);
  return 1;
}
