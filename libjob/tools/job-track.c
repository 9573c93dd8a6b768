/* job-track.c: job track, newer refs written back into the project
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "job-tool-private.h"

/* The span of the scalar that starts at @p: quoted, or plain up to a
 * comment or the end of the line. */
static gsize
scalar_length (const char *p)
{
  const char *end;

  if (*p == '"' || *p == '\'')
    {
      end = strchr (p + 1, *p);
      return end != NULL ? (gsize) (end - p + 1) : strcspn (p, "\n");
    }
  end = p + strcspn (p, "\n");
  for (const char *c = p; c < end; c++)
    if (*c == '#' && c > p && (c[-1] == ' ' || c[-1] == '\t'))
      {
        end = c;
        break;
      }
  while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  return (gsize) (end - p);
}

/* Where line @line (1-based) of @text starts, or NULL. */
static const char *
line_start (const char *text, guint line)
{
  const char *p = text;

  for (guint i = 1; i < line && p != NULL; i++)
    {
      p = strchr (p, '\n');
      if (p != NULL)
        p++;
    }
  return p;
}

/* @text with source @config's ref set to @ref in place: the ref written in
 * the element replaced, or a `ref:` line added under its `url:`. Comments
 * and everything else stay as they are. */
static char *
edit_element_text (const char *text,
                   const char *display_name,
                   JobNode *config,
                   const char *ref,
                   GError **error)
{
  JobNode *old = job_node_lookup (config, "ref");
  JobNode *url = job_node_lookup (config, "url");
  g_autoptr (GString) out = g_string_new (NULL);
  const char *at, *key;

  if (old != NULL && g_strcmp0 (job_node_get_filename (old), display_name) == 0
      && job_node_get_line (old) > 0)
    {
      at = line_start (text, job_node_get_line (old));
      if (at != NULL && strlen (at) >= job_node_get_column (old))
        {
          at += job_node_get_column (old) - 1;
          g_string_append_len (out, text, at - text);
          g_string_append (out, ref);
          g_string_append (out, at + scalar_length (at));
          return g_string_free (g_steal_pointer (&out), FALSE);
        }
    }
  /* No ref yet: a line like the `url:` one, after it. */
  if (url != NULL && g_strcmp0 (job_node_get_filename (url), display_name) == 0
      && (at = line_start (text, job_node_get_line (url))) != NULL
      && (key = strstr (at, "url:")) != NULL && key < at + strcspn (at, "\n"))
    {
      const char *next = at + strcspn (at, "\n");

      g_string_append_len (out, text, next - text);
      if (*next == '\0')
        g_string_append_c (out, '\n');
      else
        g_string_append_c (out, *next++);
      for (const char *c = at; c < key; c++)
        g_string_append_c (out, ' ');
      g_string_append_printf (out, "ref: %s\n", ref);
      g_string_append (out, next);
      return g_string_free (g_steal_pointer (&out), FALSE);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "%s: cannot find where to write the ref of the source (no "
               "`ref:` or `url:` line of its own); write `ref: %s` by hand",
               display_name, ref);
  return NULL;
}

/* The mapping of source @index of @element in project.refs' @root, made. */
static JobNode *
refs_entry (JobNode *root,
            const char *project,
            const char *element,
            guint index)
{
  const char *keys[] = { "projects", project };
  JobNode *node = root;
  JobNode *list;

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      JobNode *child = job_node_lookup (node, keys[i]);

      if (child == NULL || job_node_get_node_type (child) != JOB_NODE_MAPPING)
        {
          g_autoptr (JobNode) made = job_node_new_mapping (NULL, 0, 0);

          job_node_set_member (node, keys[i], made);
          child = job_node_lookup (node, keys[i]);
        }
      node = child;
    }
  list = job_node_lookup (node, element);
  if (list == NULL || job_node_get_node_type (list) != JOB_NODE_SEQUENCE)
    {
      g_autoptr (JobNode) made = job_node_new_sequence (NULL, 0, 0);

      job_node_set_member (node, element, made);
      list = job_node_lookup (node, element);
    }
  while (job_node_get_n_items (list) <= index)
    {
      g_autoptr (JobNode) made = job_node_new_mapping (NULL, 0, 0);

      job_node_append (list, made);
    }
  return job_node_get_item (list, index);
}

static gboolean
write_project_refs (JobProject *project,
                    const char *element,
                    guint index,
                    const char *ref,
                    GError **error)
{
  g_autofree char *path = g_build_filename (job_project_get_directory (project),
                                            "project.refs", NULL);
  g_autoptr (JobNode) root = NULL;
  g_autoptr (JobNode) value = job_node_new_scalar (ref, NULL, 0, 0);
  g_autofree char *yaml = NULL;

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    root = job_node_load_file (path, "project.refs", error);
  else
    root = job_node_new_mapping (NULL, 0, 0);
  if (root == NULL)
    return FALSE;
  if (job_node_is_null (root))
    {
      job_node_unref (root);
      root = job_node_new_mapping (NULL, 0, 0);
    }
  if (job_node_get_node_type (root) != JOB_NODE_MAPPING)
    return job_node_check_type (root, JOB_NODE_MAPPING, error);
  job_node_set_member (
      refs_entry (root, job_project_get_name (project), element, index), "ref",
      value);
  yaml = job_node_to_yaml (root, FALSE);
  return g_file_set_contents_full (path, yaml, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

static gboolean
write_inline (JobProject *project,
              const char *element,
              JobNode *config,
              const char *ref,
              GError **error)
{
  g_autofree char *path =
      g_build_filename (job_project_get_element_path (project), element, NULL);
  g_autofree char *text = NULL;
  g_autofree char *edited = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return FALSE;
  edited = edit_element_text (text, element, config, ref, error);
  return edited != NULL
         && g_file_set_contents_full (
             path, edited, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/* Tracks each of @sources (JobSource) of @name, writing new refs back;
 * FALSE after the first failure. */
static gboolean
track_sources (JobProject *project,
               const char *name,
               GListModel *sources,
               gboolean project_refs,
               gboolean quiet,
               guint *n_changed,
               GError **error)
{
  for (guint i = 0; i < g_list_model_get_n_items (sources); i++)
    {
      g_autoptr (JobSource) source = g_list_model_get_item (sources, i);
      g_autofree char *old = job_source_get_ref (source);
      g_autofree char *ref = job_source_track (source, NULL, error);

      if (ref == NULL && *error != NULL)
        return FALSE;
      if (ref == NULL || g_strcmp0 (old, ref) == 0)
        {
          if (ref != NULL && !quiet)
            g_print ("%s: source %u: unchanged (%s)\n", name, i + 1, ref);
          continue;
        }
      if (!(project_refs
                ? write_project_refs (project, name, i, ref, error)
                : write_inline (project, name,
                                job_plugin_get_config (JOB_PLUGIN (source)),
                                ref, error)))
        return FALSE;
      if (!quiet)
        g_print ("%s: source %u: %s → %s\n", name, i + 1, old ? old : "(none)",
                 ref);
      (*n_changed)++;
    }
  return TRUE;
}

/* Tracks the junctions among @targets (their own sources: the ref of the
 * project they lead to) and sets the others aside in @elements. */
static gboolean
track_junctions (JobToolGlobals *globals,
                 JobProject *project,
                 const char *const *targets,
                 const char *cache_dir,
                 gboolean project_refs,
                 gboolean quiet,
                 guint *n_changed,
                 GPtrArray *elements,
                 GError **error)
{
  g_autoptr (JobLoader) loader = job_loader_new (project);
  g_autoptr (JobArtifactCache) cache = job_tool_open_cache (cache_dir, error);

  if (cache == NULL)
    return FALSE;
  job_loader_set_cache (loader, cache);
  for (guint i = 0; targets[i] != NULL; i++)
    {
      g_autoptr (GListModel) sources =
          job_loader_dup_junction_sources (loader, targets[i], error);

      if (sources == NULL && *error != NULL)
        return FALSE;
      if (sources == NULL)
        {
          g_ptr_array_add (elements, (gpointer) targets[i]);
          continue;
        }
      if (!track_sources (project, targets[i], sources, project_refs, quiet,
                          n_changed, error))
        {
          g_prefix_error (error, "%s: ", targets[i]);
          return FALSE;
        }
    }
  g_ptr_array_add (elements, NULL);
  return TRUE;
}

gboolean
job_tool_track_elements (JobToolGlobals *globals,
                         const char *const *targets,
                         gboolean all,
                         const char *cache_dir,
                         gboolean quiet,
                         guint *n_changed,
                         GError **error)
{
  g_auto (JobToolSession) session = { 0 };
  g_autoptr (GListModel) selected = NULL;
  g_autoptr (GPtrArray) elements = g_ptr_array_new ();
  g_auto (GStrv) workspaces = NULL;
  gboolean project_refs;

  *n_changed = 0;
  /* Tracking is about the sources as the elements are written: open
   * workspaces are set aside (and left as they are). */
  if ((session.project = job_tool_load_project (globals, error)) == NULL)
    return FALSE;
  project_refs =
      g_strcmp0 (job_node_get_string (job_project_get_config (session.project),
                                      "ref-storage", "inline", NULL),
                 "project.refs")
      == 0;
  /* A junction is not an element: its sources are tracked on their own. */
  if (!track_junctions (globals, session.project, targets, cache_dir,
                        project_refs, quiet, n_changed, elements, error))
    return FALSE;
  if (elements->len == 1)
    return TRUE;
  targets = (const char *const *) elements->pdata;
  workspaces = job_project_dup_workspace_elements (session.project);
  for (guint i = 0; workspaces[i] != NULL; i++)
    job_project_set_workspace (session.project, workspaces[i], NULL);
  if (!job_tool_session_open (&session, globals, targets, cache_dir, NULL,
                              error))
    return FALSE;
  selected = job_loader_list_dependencies (
      session.loader, targets, all ? JOB_DEPS_ALL : JOB_DEPS_NONE, error);
  if (selected == NULL)
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (selected); i++)
    {
      g_autoptr (JobElementSpec) spec = g_list_model_get_item (selected, i);
      const char *name = job_element_spec_get_name (spec);

      /* Refs are written into the element's file: one in a junction's
       * project is that project's to change, as in BuildStream. */
      if (strchr (name, ':') != NULL)
        {
          JobProject *owner =
              job_loader_get_element_project (session.loader, name);

          if (!all)
            {
              g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA,
                           "%s belongs to the project of a junction; track "
                           "it there: job -C %s track %s",
                           name, job_project_get_directory (owner),
                           strrchr (name, ':') + 1);
              return FALSE;
            }
          if (!quiet)
            g_print ("%s: in the project of a junction: not tracked\n", name);
          continue;
        }
      if (!track_sources (session.project, name,
                          job_element_get_sources (job_scheduler_get_element (
                              session.scheduler, name)),
                          project_refs, quiet, n_changed, error))
        {
          g_prefix_error (error, "%s: ", job_element_spec_get_name (spec));
          return FALSE;
        }
    }
  return TRUE;
}

int
job_tool_track (JobToolGlobals *globals, int argc, char **argv)
{
  g_autofree char *deps = NULL, *cache_dir = NULL;
  const GOptionEntry entries[] = {
    { "deps", 'd', 0, G_OPTION_ARG_STRING, &deps,
      "Whose sources: none (the targets', the default) or all (the targets "
      "and all their dependencies)",
      "DEPS" },
    JOB_TOOL_CACHE_DIR_OPTION (&cache_dir),
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (
      "TARGET… - find the newest refs of sources and write them back");
  g_autoptr (GError) error = NULL;
  const char *const *targets;
  guint n_changed = 0;

  g_option_context_set_description (
      context,
      "Each source that can track (git with `track:`, tar) gets the newest "
      "ref; a changed ref is written into the element's file in place "
      "(comments and layout kept), or into project.refs with ref-storage: "
      "project.refs.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!job_tool_parse (context, &argc, &argv, 1, -1,
                       "job track: name at least one element"))
    return 2;
  if (deps != NULL && !g_str_equal (deps, "none") && !g_str_equal (deps, "all"))
    {
      g_printerr ("job track: --deps takes none or all, not “%s”\n", deps);
      return 2;
    }
  targets = (const char *const *) argv + 1;
  if (!job_tool_track_elements (globals, targets,
                                deps != NULL && g_str_equal (deps, "all"),
                                cache_dir, FALSE, &n_changed, &error))
    goto fail;
  g_print ("%u changed\n", n_changed);
  return 0;

fail:
  job_tool_print_error (error);
  return 1;
}
