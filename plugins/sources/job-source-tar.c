/* job-source-tar.c: the `tar` source kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <libjob/job.h>

#include "job-plugin-util.h"

/* `tar` stages a tar archive (config `url`: a path of the project, an
 * absolute path or a file:// URL, aliases expanded by the loader) checked
 * against `ref`, the archive's sha256. Fetching copies the archive into the
 * source cache as <cache-directory>/<sha256>; staging extracts it with the
 * host's `tar`, keeping what is under `base-dir` (a glob; the default `*`
 * takes the first top directory, as BuildStream does; empty keeps
 * everything). Tracking computes the sha256 of the archive at `url`. */

#define JOB_TYPE_TAR_SOURCE (job_tar_source_get_type ())
G_DECLARE_FINAL_TYPE (JobTarSource, job_tar_source, JOB, TAR_SOURCE, JobSource)

struct _JobTarSource
{
  JobSource parent_instance;
  char *url;
  char *ref;
  char *base_dir;
};

enum
{
  PROP_0,
  PROP_URL,
  PROP_REF,
  PROP_BASE_DIR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_DYNAMIC_TYPE (JobTarSource, job_tar_source, JOB_TYPE_SOURCE)

static void
job_tar_source_finalize (GObject *object)
{
  JobTarSource *self = JOB_TAR_SOURCE (object);

  g_free (self->url);
  g_free (self->ref);
  g_free (self->base_dir);
  G_OBJECT_CLASS (job_tar_source_parent_class)->finalize (object);
}

static void
job_tar_source_get_property (GObject *object,
                             guint prop_id,
                             GValue *value,
                             GParamSpec *pspec)
{
  JobTarSource *self = JOB_TAR_SOURCE (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_REF:
      g_value_set_string (value, self->ref);
      break;
    case PROP_BASE_DIR:
      g_value_set_string (value, self->base_dir);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_tar_source_set_property (GObject *object,
                             guint prop_id,
                             const GValue *value,
                             GParamSpec *pspec)
{
  JobTarSource *self = JOB_TAR_SOURCE (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_free (self->url);
      self->url = g_value_dup_string (value);
      break;
    case PROP_REF:
      g_free (self->ref);
      self->ref = g_value_dup_string (value);
      break;
    case PROP_BASE_DIR:
      g_free (self->base_dir);
      self->base_dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
is_sha256 (const char *text)
{
  if (strlen (text) != 64)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

static gboolean
job_tar_source_configure (JobPlugin *plugin, JobNode *config, GError **error)
{
  JobTarSource *self = JOB_TAR_SOURCE (plugin);
  const char *const valid[] = { "kind", "directory", "url",
                                "ref",  "base-dir",  NULL };
  JobNode *url_node, *ref_node;
  const char *url, *ref, *base_dir;

  if (!job_node_validate_keys (config, valid, error))
    return FALSE;
  url_node = job_node_require (config, "url", error);
  if (url_node == NULL || (url = job_node_as_string (url_node, error)) == NULL)
    return FALSE;
  ref_node = job_node_lookup (config, "ref");
  ref = NULL;
  if (ref_node != NULL && !job_node_is_null (ref_node)
      && (ref = job_node_as_string (ref_node, error)) == NULL)
    return FALSE;
  if (ref != NULL && !is_sha256 (ref))
    {
      g_autofree char *where = job_plugin_util_where (plugin, "ref");

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "%s: the ref “%s” is not a sha256 (64 hexadecimal digits); "
                   "run `sha256sum` on the archive or track the source",
                   where, ref);
      return FALSE;
    }
  base_dir = job_node_get_string (config, "base-dir", "*", error);
  if (base_dir == NULL)
    return FALSE;
  g_object_set (self, "url", url, "ref", ref, "base-dir", base_dir, NULL);
  return TRUE;
}

static gboolean
job_tar_source_preflight (JobPlugin *plugin, GError **error)
{
  JobTarSource *self = JOB_TAR_SOURCE (plugin);
  /* Only fetching and tracking need a reachable URL: a remote one is fine
   * to load, show and key, and to build once its content is cached. */
  (void) self;
  return job_plugin_util_require_program (plugin, "tar", error);
}

static GVariant *
job_tar_source_get_unique_key (JobPlugin *plugin)
{
  JobTarSource *self = JOB_TAR_SOURCE (plugin);

  return g_variant_new ("(sss)", self->url, self->ref != NULL ? self->ref : "",
                        self->base_dir);
}

static char *
cached_path (JobTarSource *self)
{
  const char *cache = job_source_get_cache_directory (JOB_SOURCE (self));

  if (self->ref == NULL || cache == NULL)
    return NULL;
  return g_build_filename (cache, self->ref, NULL);
}

static gboolean
require_ref (JobTarSource *self, GError **error)
{
  if (self->ref == NULL)
    {
      g_autofree char *where = job_plugin_util_where (JOB_PLUGIN (self), "url");

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "%s: the tar source of “%s” has no ref; set `ref` to the "
                   "archive's sha256 "
                   "(or track the source)",
                   where, self->url);
      return FALSE;
    }
  return TRUE;
}

static gboolean
job_tar_source_is_cached (JobSource *source)
{
  g_autofree char *path = cached_path (JOB_TAR_SOURCE (source));

  return path != NULL && g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static gboolean
job_tar_source_fetch (JobSource *source,
                      GCancellable *cancellable,
                      GError **error)
{
  JobTarSource *self = JOB_TAR_SOURCE (source);
  const char *cache = job_source_get_cache_directory (source);
  g_autofree char *from_path = NULL, *dest = NULL, *tmp_path = NULL,
                  *actual = NULL;
  g_autoptr (GFile) from = NULL, tmp = NULL;
  int fd;

  if (!require_ref (self, error))
    return FALSE;
  if (job_tar_source_is_cached (source))
    return TRUE;
  if (cache == NULL)
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "%s: no cache directory to fetch into",
                   job_plugin_get_name (JOB_PLUGIN (self)));
      return FALSE;
    }
  from_path = job_plugin_util_local_path (JOB_PLUGIN (self), self->url, error);
  if (from_path == NULL)
    return FALSE;
  if (g_mkdir_with_parents (cache, 0755) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create %s: %s", cache, g_strerror (errsv));
      return FALSE;
    }

  /* Copy to a temporary name, check, then rename: a fetch that fails or is
   * interrupted never leaves a file under the ref's name. */
  tmp_path = g_build_filename (cache, ".fetch-XXXXXX", NULL);
  fd = g_mkstemp (tmp_path);
  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create %s: %s", tmp_path, g_strerror (errsv));
      return FALSE;
    }
  close (fd);
  from = g_file_new_for_path (from_path);
  tmp = g_file_new_for_path (tmp_path);
  if (!g_file_copy (from, tmp, G_FILE_COPY_OVERWRITE, cancellable, NULL, NULL,
                    error))
    {
      g_prefix_error (error, "%s: cannot fetch %s: ",
                      job_plugin_get_name (JOB_PLUGIN (self)), self->url);
      g_unlink (tmp_path);
      return FALSE;
    }
  actual = job_plugin_util_sha256_file (tmp_path, error);
  if (actual == NULL)
    {
      g_unlink (tmp_path);
      return FALSE;
    }
  if (g_ascii_strcasecmp (actual, self->ref) != 0)
    {
      g_autofree char *where = job_plugin_util_where (JOB_PLUGIN (self), "ref");

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                   "%s: the archive %s has sha256 %s, expected %s (the ref); "
                   "update `ref` if the archive changed on purpose",
                   where, self->url, actual, self->ref);
      g_unlink (tmp_path);
      return FALSE;
    }
  dest = cached_path (self);
  if (g_rename (tmp_path, dest) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot rename %s to %s: %s", tmp_path, dest,
                   g_strerror (errsv));
      g_unlink (tmp_path);
      return FALSE;
    }
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The first directory (breadth first, names sorted) under @root whose
 * relative path matches @pattern. */
static char *
find_base_dir (const char *root, const char *pattern)
{
  g_autoptr (GPtrArray) queue = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (queue, g_strdup (""));
  for (guint i = 0; i < queue->len; i++)
    {
      const char *relative = queue->pdata[i];
      g_autofree char *path = g_build_filename (root, relative, NULL);
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR)
              && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            g_ptr_array_add (names,
                             *relative ? g_build_filename (relative, name, NULL)
                                       : g_strdup (name));
        }
      g_ptr_array_sort (names, compare_strings);
      for (guint j = 0; j < names->len; j++)
        if (g_pattern_match_simple (pattern, names->pdata[j]))
          return g_strdup (names->pdata[j]);
      for (guint j = 0; j < names->len; j++)
        g_ptr_array_add (queue, g_strdup (names->pdata[j]));
    }
  return NULL;
}

static gboolean
move_children (const char *from, const char *to, GError **error)
{
  g_autoptr (GDir) dir = g_dir_open (from, 0, error);
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *src = g_build_filename (from, name, NULL);
      g_autofree char *dest = g_build_filename (to, name, NULL);

      if (g_file_test (dest, G_FILE_TEST_IS_DIR)
          && !g_file_test (dest, G_FILE_TEST_IS_SYMLINK)
          && g_file_test (src, G_FILE_TEST_IS_DIR)
          && !g_file_test (src, G_FILE_TEST_IS_SYMLINK))
        {
          if (!move_children (src, dest, error))
            return FALSE;
          continue;
        }
      if (!job_plugin_util_rm_rf (dest, error))
        return FALSE;
      if (g_rename (src, dest) != 0)
        {
          int errsv = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "Cannot move %s to %s: %s", src, dest,
                       g_strerror (errsv));
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
job_tar_source_stage (JobSource *source,
                      const char *directory,
                      GCancellable *cancellable,
                      GError **error)
{
  JobTarSource *self = JOB_TAR_SOURCE (source);
  g_autofree char *archive = NULL, *scratch = NULL, *base = NULL, *from = NULL;
  gboolean ok;

  if (!require_ref (self, error))
    return FALSE;
  archive = cached_path (self);
  if (archive == NULL || !g_file_test (archive, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                   "%s: the archive %s (sha256 %s) is not fetched",
                   job_plugin_get_name (JOB_PLUGIN (self)), self->url,
                   self->ref);
      return FALSE;
    }

  /* Extract next to the destination, then move the base directory's
   * content into it. */
  scratch = g_build_filename (directory, ".tar-XXXXXX", NULL);
  if (g_mkdtemp (scratch) == NULL)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create %s: %s", scratch, g_strerror (errsv));
      return FALSE;
    }
  {
    const char *argv[] = { "tar", "--no-same-owner", "-xf", archive,
                           "-C",  scratch,           NULL };

    ok = job_plugin_util_run (JOB_PLUGIN (self), argv, NULL, NULL, NULL,
                              cancellable, error);
  }
  if (ok && self->base_dir != NULL && *self->base_dir
      && !g_str_equal (self->base_dir, "."))
    {
      base = find_base_dir (scratch, self->base_dir);
      if (base == NULL)
        {
          g_autofree char *where =
              job_plugin_util_where (JOB_PLUGIN (self), "base-dir");

          g_set_error (
              error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
              "%s: no directory of the archive %s matches base-dir “%s”; "
              "set base-dir: '' to extract everything",
              where, self->url, self->base_dir);
          ok = FALSE;
        }
    }
  if (ok)
    {
      from = g_build_filename (scratch, base != NULL ? base : "", NULL);
      ok = move_children (from, directory, error);
    }
  if (!job_plugin_util_rm_rf (scratch, ok ? error : NULL))
    ok = FALSE;
  return ok;
}

static char *
job_tar_source_get_ref (JobSource *source)
{
  return g_strdup (JOB_TAR_SOURCE (source)->ref);
}

static void
job_tar_source_set_ref (JobSource *source, const char *ref)
{
  g_object_set (source, "ref", ref, NULL);
}

static char *
job_tar_source_track (JobSource *source,
                      GCancellable *cancellable,
                      GError **error)
{
  JobTarSource *self = JOB_TAR_SOURCE (source);
  g_autofree char *path =
      job_plugin_util_local_path (JOB_PLUGIN (self), self->url, error);
  char *sha;

  if (path == NULL)
    return NULL;
  sha = job_plugin_util_sha256_file (path, error);
  if (sha == NULL)
    g_prefix_error (error, "%s: cannot track %s: ",
                    job_plugin_get_name (JOB_PLUGIN (self)), self->url);
  return sha;
}

static void
job_tar_source_class_init (JobTarSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_tar_source_finalize;
  object_class->get_property = job_tar_source_get_property;
  object_class->set_property = job_tar_source_set_property;
  JOB_PLUGIN_CLASS (klass)->configure = job_tar_source_configure;
  JOB_PLUGIN_CLASS (klass)->preflight = job_tar_source_preflight;
  JOB_PLUGIN_CLASS (klass)->get_unique_key = job_tar_source_get_unique_key;
  JOB_SOURCE_CLASS (klass)->is_cached = job_tar_source_is_cached;
  JOB_SOURCE_CLASS (klass)->fetch = job_tar_source_fetch;
  JOB_SOURCE_CLASS (klass)->stage = job_tar_source_stage;
  JOB_SOURCE_CLASS (klass)->get_ref = job_tar_source_get_ref;
  JOB_SOURCE_CLASS (klass)->set_ref = job_tar_source_set_ref;
  JOB_SOURCE_CLASS (klass)->track = job_tar_source_track;

  properties[PROP_URL] = g_param_spec_string (
      "url", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REF] = g_param_spec_string (
      "ref", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BASE_DIR] = g_param_spec_string (
      "base-dir", NULL, NULL, "*", G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_tar_source_class_finalize (JobTarSourceClass *klass)
{
}

static void
job_tar_source_init (JobTarSource *self)
{
  self->base_dir = g_strdup ("*");
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  job_tar_source_register_type (module);
}
