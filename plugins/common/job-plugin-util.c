/* job-plugin-util.c: helpers shared by the core plugin modules
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "job-plugin-util.h"

/* Where a config key of @plugin was written, for error messages: the key's
 * provenance, or the plugin's name when the key is not in its config. */
char *
job_plugin_util_where (JobPlugin *plugin, const char *key)
{
  JobNode *config = job_plugin_get_config (plugin);
  JobNode *node =
      config != NULL && key != NULL ? job_node_lookup (config, key) : NULL;

  if (node != NULL)
    return job_node_dup_provenance (node);
  return g_strdup (job_plugin_get_name (plugin));
}

/* Fails with a clear preflight error when @program is not on the host. */
gboolean
job_plugin_util_require_program (JobPlugin *plugin,
                                 const char *program,
                                 GError **error)
{
  g_autofree char *found = g_find_program_in_path (program);

  if (found == NULL)
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_PREFLIGHT,
                   "%s: the %s source needs the host program “%s”, which is "
                   "not in PATH; "
                   "install it (Debian: apt-get install %s)",
                   job_plugin_get_name (plugin), job_plugin_get_kind (plugin),
                   program, program);
      return FALSE;
    }
  return TRUE;
}

/* Runs a host tool with a minimal, clean environment (PATH, LC_ALL=C and
 * @extra_env), its stdout captured into @out_stdout when given. A failure
 * names the command and carries its error output. */
gboolean
job_plugin_util_run (JobPlugin *plugin,
                     const char *const *argv,
                     const char *const *extra_env,
                     const char *cwd,
                     char **out_stdout,
                     GCancellable *cancellable,
                     GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GPtrArray) env = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL, *err = NULL;
  const char *path = g_getenv ("PATH");

  g_ptr_array_add (
      env, g_strconcat ("PATH=", path != NULL ? path : "/usr/bin:/bin", NULL));
  g_ptr_array_add (env, g_strdup ("LC_ALL=C"));
  for (guint i = 0; extra_env != NULL && extra_env[i] != NULL; i++)
    g_ptr_array_add (env, g_strdup (extra_env[i]));
  g_ptr_array_add (env, NULL);
  g_subprocess_launcher_set_environ (launcher, (char **) env->pdata);
  if (cwd != NULL)
    g_subprocess_launcher_set_cwd (launcher, cwd);

  process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (process == NULL)
    {
      g_prefix_error (error, "%s: ", job_plugin_get_name (plugin));
      return FALSE;
    }
  if (!g_subprocess_communicate_utf8 (process, NULL, cancellable, &out, &err,
                                      error))
    {
      /* Cancelled (or the pipes failed): the tool must not outlive us. */
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      g_prefix_error (error, "%s: ", job_plugin_get_name (plugin));
      return FALSE;
    }
  if (!g_subprocess_get_if_exited (process)
      || g_subprocess_get_exit_status (process) != 0)
    {
      g_autofree char *command = g_strjoinv (" ", (char **) argv);

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                   "%s: “%s” failed: %s", job_plugin_get_name (plugin), command,
                   err != NULL && *err ? g_strstrip (err)
                                       : (out != NULL ? g_strstrip (out) : ""));
      return FALSE;
    }
  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&out);
  return TRUE;
}

/* The sha256 of a file's content, in hexadecimal. */
char *
job_plugin_util_sha256_file (const char *path, GError **error)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, error);

  if (file == NULL)
    return NULL;
  g_checksum_update (checksum,
                     (const guchar *) g_mapped_file_get_contents (file),
                     g_mapped_file_get_length (file));
  return g_strdup (g_checksum_get_string (checksum));
}

/* The host path a source URL names: a `file://` URL, an absolute path, or
 * a path relative to the project directory. Other schemes are refused. */
char *
job_plugin_util_local_path (JobPlugin *plugin, const char *url, GError **error)
{
  const char *project = job_plugin_get_project_directory (plugin);
  g_autofree char *scheme = g_uri_parse_scheme (url);

  if (g_str_has_prefix (url, "file://"))
    {
      g_autoptr (GError) local_error = NULL;
      char *path = g_filename_from_uri (url, NULL, &local_error);

      if (path == NULL)
        {
          g_autofree char *where = job_plugin_util_where (plugin, "url");

          g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                       "%s: invalid file URL “%s”: %s", where, url,
                       local_error->message);
        }
      return path;
    }
  if (scheme != NULL && strlen (scheme) > 1)
    {
      g_autofree char *where = job_plugin_util_where (plugin, "url");

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "%s: the URL “%s” is not local; the %s source takes a path "
                   "or a file:// URL "
                   "(or a project alias that expands to one)",
                   where, url, job_plugin_get_kind (plugin));
      return NULL;
    }
  if (g_path_is_absolute (url))
    return g_strdup (url);
  return g_build_filename (project != NULL ? project : ".", url, NULL);
}

/* Removes a tree (without following symbolic links); a missing path is
 * not an error. */
gboolean
job_plugin_util_rm_rf (const char *path, GError **error)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return TRUE;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, error);
      const char *name;

      if (dir == NULL)
        return FALSE;
      chmod (path, 0755);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (!job_plugin_util_rm_rf (child, error))
            return FALSE;
        }
      if (g_rmdir (path) != 0)
        {
          int errsv = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "Cannot remove %s: %s", path, g_strerror (errsv));
          return FALSE;
        }
      return TRUE;
    }
  if (g_unlink (path) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot remove %s: %s", path, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Checksums the tree @relative of @root ("" for all of it): each entry's
 * relative path, kind, executable bit and content or link target, in
 * sorted order, each path noted as an input. FALSE if something vanished
 * or could not be read. */
gboolean
job_plugin_util_checksum_tree (GChecksum *checksum,
                               const char *root,
                               const char *relative)
{
  g_autofree char *path = g_build_filename (root, relative, NULL);
  struct stat st;

  job_inputs_note (path);
  if (lstat (path, &st) != 0)
    return FALSE;
  g_checksum_update (checksum, (const guchar *) relative,
                     strlen (relative) + 1);
  if (S_ISLNK (st.st_mode))
    {
      g_autofree char *target = g_file_read_link (path, NULL);

      g_checksum_update (checksum, (const guchar *) "l", 1);
      if (target != NULL)
        g_checksum_update (checksum, (const guchar *) target,
                           strlen (target) + 1);
    }
  else if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      g_checksum_update (checksum, (const guchar *) "d", 1);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_sort (names, compare_names);
      for (guint i = 0; i < names->len; i++)
        {
          g_autofree char *child =
              *relative ? g_build_filename (relative, names->pdata[i], NULL)
                        : g_strdup (names->pdata[i]);
          if (!job_plugin_util_checksum_tree (checksum, root, child))
            return FALSE;
        }
    }
  else if (S_ISREG (st.st_mode))
    {
      g_checksum_update (checksum,
                         (const guchar *) ((st.st_mode & 0111) ? "x" : "f"), 1);
      /* Small files (most of a project) are cheaper read than mapped. */
      if (st.st_size <= 256 * 1024)
        {
          g_autofree char *contents = NULL;
          gsize length = 0;

          if (!g_file_get_contents (path, &contents, &length, NULL))
            return FALSE;
          g_checksum_update (checksum, (const guchar *) contents, length);
        }
      else
        {
          g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, NULL);

          if (file == NULL)
            return FALSE;
          g_checksum_update (checksum,
                             (const guchar *) g_mapped_file_get_contents (file),
                             g_mapped_file_get_length (file));
        }
    }
  return TRUE;
}
