/* job-source-git.c: the `git` source kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <libjob/job.h>

#include "job-plugin-util.h"

/* `git` stages a commit of a git repository: config `url` (a path of the
 * project, an absolute path or a file:// URL; aliases are expanded by the
 * loader), `ref` (the commit) and `track` (the branch that tracking
 * follows). Fetching keeps a bare mirror under the source cache
 * (<cache-directory>/<url as a directory name>); staging checks the commit
 * out without a .git directory. git runs with a minimal environment that
 * ignores the user's and the system's git configuration.
 *
 * Limit: submodules are not fetched; with `checkout-submodules: true` (the
 * default) a commit that has a .gitmodules file is refused with a clear
 * error. */

#define JOB_TYPE_GIT_SOURCE (job_git_source_get_type ())
G_DECLARE_FINAL_TYPE (JobGitSource, job_git_source, JOB, GIT_SOURCE, JobSource)

struct _JobGitSource
{
  JobSource parent_instance;
  char *url;
  char *ref;
  char *track;
  gboolean checkout_submodules;
};

enum
{
  PROP_0,
  PROP_URL,
  PROP_REF,
  PROP_TRACK,
  PROP_CHECKOUT_SUBMODULES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_DYNAMIC_TYPE (JobGitSource, job_git_source, JOB_TYPE_SOURCE)

static const char *const git_env[] = {
  "GIT_CONFIG_NOSYSTEM=1",
  "GIT_CONFIG_GLOBAL=/dev/null",
  "GIT_TERMINAL_PROMPT=0",
  "HOME=/nonexistent",
  NULL,
};

static void
job_git_source_finalize (GObject *object)
{
  JobGitSource *self = JOB_GIT_SOURCE (object);

  g_free (self->url);
  g_free (self->ref);
  g_free (self->track);
  G_OBJECT_CLASS (job_git_source_parent_class)->finalize (object);
}

static void
job_git_source_get_property (GObject *object,
                             guint prop_id,
                             GValue *value,
                             GParamSpec *pspec)
{
  JobGitSource *self = JOB_GIT_SOURCE (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_REF:
      g_value_set_string (value, self->ref);
      break;
    case PROP_TRACK:
      g_value_set_string (value, self->track);
      break;
    case PROP_CHECKOUT_SUBMODULES:
      g_value_set_boolean (value, self->checkout_submodules);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
job_git_source_set_property (GObject *object,
                             guint prop_id,
                             const GValue *value,
                             GParamSpec *pspec)
{
  JobGitSource *self = JOB_GIT_SOURCE (object);

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
    case PROP_TRACK:
      g_free (self->track);
      self->track = g_value_dup_string (value);
      break;
    case PROP_CHECKOUT_SUBMODULES:
      self->checkout_submodules = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
optional_string (JobNode *config,
                 const char *key,
                 const char **out,
                 GError **error)
{
  JobNode *node = job_node_lookup (config, key);

  *out = NULL;
  if (node == NULL || job_node_is_null (node))
    return TRUE;
  *out = job_node_as_string (node, error);
  return *out != NULL;
}

static gboolean
job_git_source_configure (JobPlugin *plugin, JobNode *config, GError **error)
{
  JobGitSource *self = JOB_GIT_SOURCE (plugin);
  const char *const valid[] = { "kind",  "directory",           "url", "ref",
                                "track", "checkout-submodules", NULL };
  JobNode *url_node;
  const char *url, *ref, *track;
  gboolean submodules;

  if (!job_node_validate_keys (config, valid, error))
    return FALSE;
  url_node = job_node_require (config, "url", error);
  if (url_node == NULL || (url = job_node_as_string (url_node, error)) == NULL
      || !optional_string (config, "ref", &ref, error)
      || !optional_string (config, "track", &track, error)
      || !job_node_get_boolean (config, "checkout-submodules", TRUE,
                                &submodules, error))
    return FALSE;
  if (ref != NULL
      && (strlen (ref) < 4
          || strspn (ref, "0123456789abcdefABCDEF") != strlen (ref)))
    {
      g_autofree char *where = job_plugin_util_where (plugin, "ref");

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "%s: the ref “%s” is not a commit sha; use the commit's "
                   "hexadecimal id "
                   "(or set `track` and track the source)",
                   where, ref);
      return FALSE;
    }
  g_object_set (self, "url", url, "ref", ref, "track", track,
                "checkout-submodules", submodules, NULL);
  return TRUE;
}

static gboolean
job_git_source_preflight (JobPlugin *plugin, GError **error)
{
  JobGitSource *self = JOB_GIT_SOURCE (plugin);
  /* Only fetching and tracking need a reachable URL: a remote one is fine
   * to load, show and key, and to build once its content is cached. */
  (void) self;
  return job_plugin_util_require_program (plugin, "git", error);
}

static GVariant *
job_git_source_get_unique_key (JobPlugin *plugin)
{
  JobGitSource *self = JOB_GIT_SOURCE (plugin);

  return g_variant_new ("(ss)", self->url, self->ref != NULL ? self->ref : "");
}

/* The mirror's directory: the URL with everything but letters, digits,
 * dots and dashes replaced, as BuildStream names its mirrors. */
static char *
mirror_path (JobGitSource *self)
{
  const char *cache = job_source_get_cache_directory (JOB_SOURCE (self));
  g_autofree char *name = g_strdup (self->url);

  if (cache == NULL)
    return NULL;
  for (char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-')
      *p = '_';
  return g_build_filename (cache, name, NULL);
}

static gboolean
run_git (JobGitSource *self,
         const char *const *argv,
         char **out_stdout,
         GCancellable *cancellable,
         GError **error)
{
  return job_plugin_util_run (JOB_PLUGIN (self), argv, git_env, NULL,
                              out_stdout, cancellable, error);
}

static gboolean
require_ref (JobGitSource *self, GError **error)
{
  if (self->ref == NULL)
    {
      g_autofree char *where = job_plugin_util_where (JOB_PLUGIN (self), "url");

      g_set_error (
          error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
          "%s: the git source of “%s” has no ref; set `ref` to a commit "
          "(or set `track` to a branch and track the source)",
          where, self->url);
      return FALSE;
    }
  return TRUE;
}

static gboolean
mirror_has_commit (JobGitSource *self, const char *mirror)
{
  g_autofree char *object = g_strconcat (self->ref, "^{commit}", NULL);
  const char *argv[] = { "git", "--git-dir", mirror, "cat-file",
                         "-e",  object,      NULL };

  return g_file_test (mirror, G_FILE_TEST_IS_DIR)
         && run_git (self, argv, NULL, NULL, NULL);
}

static gboolean
job_git_source_is_cached (JobSource *source)
{
  JobGitSource *self = JOB_GIT_SOURCE (source);
  g_autofree char *mirror = mirror_path (self);

  return self->ref != NULL && mirror != NULL
         && mirror_has_commit (self, mirror);
}

static gboolean
job_git_source_fetch (JobSource *source,
                      GCancellable *cancellable,
                      GError **error)
{
  JobGitSource *self = JOB_GIT_SOURCE (source);
  g_autofree char *mirror = mirror_path (self);
  g_autofree char *url = NULL;

  if (!require_ref (self, error))
    return FALSE;
  if (mirror == NULL)
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "%s: no cache directory to fetch into",
                   job_plugin_get_name (JOB_PLUGIN (self)));
      return FALSE;
    }
  if (mirror_has_commit (self, mirror))
    return TRUE;
  url = job_plugin_util_local_path (JOB_PLUGIN (self), self->url, error);
  if (url == NULL)
    return FALSE;

  if (!g_file_test (mirror, G_FILE_TEST_IS_DIR))
    {
      /* Clone beside the final name and rename: no half-made mirror. */
      g_autofree char *parent = g_path_get_dirname (mirror);
      g_autofree char *tmp = g_strconcat (mirror, ".tmp-XXXXXX", NULL);
      const char *argv[] = { "git", "clone", "--quiet", "--mirror",
                             url,   tmp,     NULL };

      if (g_mkdir_with_parents (parent, 0755) != 0 || g_mkdtemp (tmp) == NULL)
        {
          int errsv = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "Cannot create %s: %s", tmp, g_strerror (errsv));
          return FALSE;
        }
      if (!run_git (self, argv, NULL, cancellable, error))
        {
          job_plugin_util_rm_rf (tmp, NULL);
          return FALSE;
        }
      if (g_rename (tmp, mirror) != 0)
        {
          /* Another fetch won the race: keep its mirror. */
          job_plugin_util_rm_rf (tmp, NULL);
        }
    }
  else
    {
      const char *argv[] = { "git",   "--git-dir",      mirror,
                             "fetch", "--quiet",        "--prune",
                             url,     "+refs/*:refs/*", NULL };

      if (!run_git (self, argv, NULL, cancellable, error))
        return FALSE;
    }

  if (!mirror_has_commit (self, mirror))
    {
      g_autofree char *where = job_plugin_util_where (JOB_PLUGIN (self), "ref");

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                   "%s: the repository %s has no commit %s; fix `ref` or track "
                   "the source",
                   where, self->url, self->ref);
      return FALSE;
    }
  return TRUE;
}

static gboolean
job_git_source_stage (JobSource *source,
                      const char *directory,
                      GCancellable *cancellable,
                      GError **error)
{
  JobGitSource *self = JOB_GIT_SOURCE (source);
  g_autofree char *mirror = mirror_path (self);
  g_autofree char *scratch = NULL, *index = NULL, *index_env = NULL;
  g_autofree char *listing = NULL;
  gboolean ok;

  if (!require_ref (self, error))
    return FALSE;
  if (mirror == NULL || !mirror_has_commit (self, mirror))
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                   "%s: commit %s of %s is not fetched",
                   job_plugin_get_name (JOB_PLUGIN (self)), self->ref,
                   self->url);
      return FALSE;
    }

  if (self->checkout_submodules)
    {
      const char *argv[] = { "git",         "--git-dir",   mirror,
                             "ls-tree",     "--name-only", self->ref,
                             ".gitmodules", NULL };

      if (!run_git (self, argv, &listing, cancellable, error))
        return FALSE;
      if (listing != NULL && *g_strstrip (listing))
        {
          g_autofree char *where =
              job_plugin_util_where (JOB_PLUGIN (self), "url");

          g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                       "%s: commit %s of %s has submodules, which the git "
                       "source does not "
                       "fetch yet; set `checkout-submodules: false` to stage "
                       "it without them",
                       where, self->ref, self->url);
          return FALSE;
        }
    }

  /* A private index, so the mirror (shared by concurrent stages) is only
   * read. */
  scratch = g_dir_make_tmp ("job-git-XXXXXX", error);
  if (scratch == NULL)
    return FALSE;
  index = g_build_filename (scratch, "index", NULL);
  index_env = g_strconcat ("GIT_INDEX_FILE=", index, NULL);
  {
    const char *env[] = { git_env[0], git_env[1], git_env[2],
                          git_env[3], index_env,  NULL };
    const char *read_tree[] = { "git",         "--git-dir", mirror,
                                "--work-tree", directory,   "read-tree",
                                self->ref,     NULL };
    const char *checkout[] = { "git",         "--git-dir", mirror,
                               "--work-tree", directory,   "checkout-index",
                               "--all",       "--force",   NULL };

    ok = job_plugin_util_run (JOB_PLUGIN (self), read_tree, env, NULL, NULL,
                              cancellable, error)
         && job_plugin_util_run (JOB_PLUGIN (self), checkout, env, NULL, NULL,
                                 cancellable, error);
  }
  job_plugin_util_rm_rf (scratch, NULL);
  return ok;
}

static char *
job_git_source_get_ref (JobSource *source)
{
  return g_strdup (JOB_GIT_SOURCE (source)->ref);
}

static void
job_git_source_set_ref (JobSource *source, const char *ref)
{
  g_object_set (source, "ref", ref, NULL);
}

static char *
job_git_source_track (JobSource *source,
                      GCancellable *cancellable,
                      GError **error)
{
  JobGitSource *self = JOB_GIT_SOURCE (source);
  g_autofree char *url = NULL, *out = NULL;
  g_autofree char *heads = NULL, *tags = NULL;
  g_auto (GStrv) lines = NULL;

  if (self->track == NULL)
    {
      g_autofree char *where = job_plugin_util_where (JOB_PLUGIN (self), "url");

      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "%s: the git source of “%s” has no `track` branch to follow",
                   where, self->url);
      return NULL;
    }
  url = job_plugin_util_local_path (JOB_PLUGIN (self), self->url, error);
  if (url == NULL)
    return NULL;
  {
    const char *argv[] = { "git", "ls-remote", url, self->track, NULL };

    if (!run_git (self, argv, &out, cancellable, error))
      return NULL;
  }

  /* Prefer an exact branch, then a tag, then any ref of that name. */
  heads = g_str_has_prefix (self->track, "refs/")
              ? g_strdup (self->track)
              : g_strconcat ("refs/heads/", self->track, NULL);
  tags = g_strconcat ("refs/tags/", self->track, NULL);
  lines = g_strsplit (out, "\n", -1);
  for (const char *want = heads; want != NULL;
       want = want == heads ? tags : NULL)
    for (guint i = 0; lines[i] != NULL; i++)
      {
        char *tab = strchr (lines[i], '\t');

        if (tab != NULL && g_str_equal (tab + 1, want))
          return g_strndup (lines[i], (gsize) (tab - lines[i]));
      }
  {
    g_autofree char *where = job_plugin_util_where (JOB_PLUGIN (self), "track");

    g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_FAILED,
                 "%s: the repository %s has no branch or tag “%s” to track",
                 where, self->url, self->track);
  }
  return NULL;
}

static void
job_git_source_class_init (JobGitSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = job_git_source_finalize;
  object_class->get_property = job_git_source_get_property;
  object_class->set_property = job_git_source_set_property;
  JOB_PLUGIN_CLASS (klass)->configure = job_git_source_configure;
  JOB_PLUGIN_CLASS (klass)->preflight = job_git_source_preflight;
  JOB_PLUGIN_CLASS (klass)->get_unique_key = job_git_source_get_unique_key;
  JOB_SOURCE_CLASS (klass)->is_cached = job_git_source_is_cached;
  JOB_SOURCE_CLASS (klass)->fetch = job_git_source_fetch;
  JOB_SOURCE_CLASS (klass)->stage = job_git_source_stage;
  JOB_SOURCE_CLASS (klass)->get_ref = job_git_source_get_ref;
  JOB_SOURCE_CLASS (klass)->set_ref = job_git_source_set_ref;
  JOB_SOURCE_CLASS (klass)->track = job_git_source_track;

  properties[PROP_URL] = g_param_spec_string (
      "url", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REF] = g_param_spec_string (
      "ref", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRACK] = g_param_spec_string (
      "track", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CHECKOUT_SUBMODULES] =
      g_param_spec_boolean ("checkout-submodules", NULL, NULL, TRUE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
job_git_source_class_finalize (JobGitSourceClass *klass)
{
}

static void
job_git_source_init (JobGitSource *self)
{
  self->checkout_submodules = TRUE;
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  job_git_source_register_type (module);
}
