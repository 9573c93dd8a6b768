/* job-workspace.c: job workspace open|close|reset|list
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "job-tool-private.h"

/* A workspace is a directory holding an element's sources, staged once by
 * `open` and then the developer's to edit: while it is open, builds of the
 * element take their sources from it (see the `workspace` source kind) and
 * the project keeps it in .job/workspaces.yml. */

/* Fetches the sources of @element if needed and stages them into
 * @directory. */
static gboolean
stage_sources (JobToolSession *session,
               const char *element,
               const char *directory,
               GError **error)
{
  const char *names[] = { element, NULL };

  return job_scheduler_fetch (session->scheduler, names, NULL, error)
         && job_tool_stage_sources (session->scheduler, element, directory,
                                    error);
}

/* A session on @element as its sources are written: its workspace, if it
 * has one, set aside in memory and returned in @previous. */
static gboolean
open_source_session (JobToolSession *session,
                     JobToolGlobals *globals,
                     const char *element,
                     const char *cache_dir,
                     char **previous,
                     GError **error)
{
  const char *targets[] = { element, NULL };
  GListModel *sources;

  session->project = job_tool_load_project (globals, error);
  if (session->project == NULL)
    return FALSE;
  *previous = g_strdup (job_project_get_workspace (session->project, element));
  job_project_set_workspace (session->project, element, NULL);
  if (!job_tool_session_open (session, globals, targets, cache_dir, NULL,
                              error))
    return FALSE;
  sources = job_element_get_sources (
      job_scheduler_get_element (session->scheduler, element));
  if (g_list_model_get_n_items (sources) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s has no sources, so it has no workspace to open: a "
                   "workspace holds an element's sources",
                   element);
      return FALSE;
    }
  return TRUE;
}

/* @path, or the path it resolves to when it exists (symbolic links). */
static char *
resolve (const char *path)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  char *real = realpath (absolute, NULL);

  if (real == NULL)
    return g_steal_pointer (&absolute);
  return real;
}

static gboolean
is_within (const char *path, const char *directory)
{
  gsize len = strlen (directory);

  return g_str_equal (path, directory)
         || (g_str_has_prefix (path, directory)
             && (path[len] == G_DIR_SEPARATOR || g_str_equal (directory, "/")));
}

static int
workspace_open (JobToolGlobals *globals, int argc, char **argv)
{
  gboolean force = FALSE, no_checkout = FALSE;
  g_autofree char *cache_dir = NULL;
  const GOptionEntry entries[] = {
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      "Stage into DIRECTORY even if it is not empty (files of the sources "
      "replace files of the same name)",
      NULL },
    { "no-checkout", 0, 0, G_OPTION_ARG_NONE, &no_checkout,
      "Do not stage the sources: DIRECTORY already holds them", NULL },
    JOB_TOOL_CACHE_DIR_OPTION (&cache_dir),
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (
      "ELEMENT DIRECTORY - stage an element's sources into a directory and "
      "build from it");
  g_autoptr (GError) error = NULL;
  g_auto (JobToolSession) session = { 0 };
  g_autofree char *directory = NULL, *project_dir = NULL, *current = NULL;
  g_auto (GStrv) open = NULL;
  const char *element;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!job_tool_parse (
          context, &argc, &argv, 2, 2,
          "job workspace open: name one element and one directory"))
    return 2;
  element = argv[1];
  directory = resolve (argv[2]);

  if (!open_source_session (&session, globals, element, cache_dir, &current,
                            &error))
    goto fail;
  if (current != NULL)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "%s already has a workspace at %s; close it first "
                   "(job workspace close %s)",
                   element, current, element);
      goto fail;
    }
  project_dir = resolve (job_project_get_directory (session.project));
  if (is_within (project_dir, directory))
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s holds the project itself; choose a directory of its "
                   "own for the workspace",
                   directory);
      goto fail;
    }
  open = job_project_dup_workspace_elements (session.project);
  for (guint i = 0; open[i] != NULL; i++)
    {
      g_autofree char *other =
          resolve (job_project_get_workspace (session.project, open[i]));

      if (is_within (directory, other) || is_within (other, directory))
        {
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "%s overlaps the workspace of %s (%s); choose another "
                       "directory",
                       directory, open[i], other);
          goto fail;
        }
    }
  if (!no_checkout)
    {
      gboolean existed = g_file_test (directory, G_FILE_TEST_EXISTS);

      if (existed && !force && !job_tool_is_empty_or_missing (directory))
        {
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "%s exists and is not empty; choose an empty or new "
                       "directory, or stage over it with --force",
                       directory);
          goto fail;
        }
      if (!stage_sources (&session, element, directory, &error))
        {
          g_autoptr (GError) ignored = NULL;

          /* Nothing half-staged left behind where there was nothing. */
          if (!existed)
            job_tool_remove_tree (directory, &ignored);
          goto fail;
        }
    }
  else if (!g_file_test (directory, G_FILE_TEST_IS_DIR))
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s is not a directory; with --no-checkout it must hold "
                   "the sources already",
                   directory);
      goto fail;
    }
  job_project_set_workspace (session.project, element, directory);
  if (!job_project_save_workspaces (session.project, &error))
    goto fail;
  g_print ("%s: workspace opened at %s\n", element, directory);
  return 0;

fail:
  job_tool_print_error (error);
  return 1;
}

/* For close and reset: parses the options (@entries, --all among them,
 * which sets @all), loads the project and chooses the elements: those named
 * on the command line, each with a workspace, or with --all every one that
 * has one. Returns 0, else the exit status. */
static int
parse_chosen (const char *command,
              const char *summary,
              const GOptionEntry *entries,
              const gboolean *all,
              JobToolGlobals *globals,
              int argc,
              char **argv,
              JobProject **project,
              GStrv *elements)
{
  g_autoptr (GOptionContext) context = g_option_context_new (summary);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      job_tool_print_error (error);
      return 2;
    }
  if (*all == (argc > 1))
    {
      g_printerr ("job workspace %s: name elements, or give --all\n", command);
      return 2;
    }
  if ((*project = job_tool_load_project (globals, &error)) == NULL)
    {
      job_tool_print_error (error);
      return 1;
    }
  if (*all)
    {
      *elements = job_project_dup_workspace_elements (*project);
      return 0;
    }
  for (int i = 1; i < argc; i++)
    {
      if (job_project_get_workspace (*project, argv[i]) == NULL)
        {
          g_printerr ("job: error: %s has no open workspace (job workspace "
                      "list shows the open ones)\n",
                      argv[i]);
          return 1;
        }
      g_strv_builder_add (builder, argv[i]);
    }
  *elements = g_strv_builder_end (builder);
  return 0;
}

static int
workspace_close (JobToolGlobals *globals, int argc, char **argv)
{
  gboolean remove_dir = FALSE, all = FALSE;
  const GOptionEntry entries[] = {
    { "remove-dir", 0, 0, G_OPTION_ARG_NONE, &remove_dir,
      "Also remove the workspace directory", NULL },
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "Close every workspace", NULL },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (JobProject) project = NULL;
  g_auto (GStrv) elements = NULL;
  g_autoptr (GPtrArray) directories = g_ptr_array_new_with_free_func (g_free);
  int status = parse_chosen (
      "close", "ELEMENT… - build from the elements' own sources again", entries,
      &all, globals, argc, argv, &project, &elements);

  if (status != 0)
    return status;
  for (guint i = 0; elements[i] != NULL; i++)
    {
      g_ptr_array_add (directories, g_strdup (job_project_get_workspace (
                                        project, elements[i])));
      job_project_set_workspace (project, elements[i], NULL);
    }
  /* Closed first, removed after: a failed removal leaves no workspace
   * pointing at half a directory. */
  if (!job_project_save_workspaces (project, &error))
    goto fail;
  for (guint i = 0; elements[i] != NULL; i++)
    {
      const char *directory = directories->pdata[i];

      if (remove_dir && !job_tool_remove_tree (directory, &error))
        goto fail;
      if (remove_dir)
        g_print ("%s: workspace closed, %s removed\n", elements[i], directory);
      else
        g_print ("%s: workspace closed (%s kept)\n", elements[i], directory);
    }
  return 0;

fail:
  job_tool_print_error (error);
  return 1;
}

/* Stages the sources of @element into a new directory beside @directory,
 * then swaps it in: a failure leaves the workspace as it was. */
static gboolean
reset_one (JobToolGlobals *globals,
           const char *element,
           const char *directory,
           const char *cache_dir,
           GError **error)
{
  g_auto (JobToolSession) session = { 0 };
  g_autofree char *parent = g_path_get_dirname (directory);
  g_autofree char *base = g_path_get_basename (directory);
  g_autofree char *template = NULL, *old = NULL;
  g_autofree char *staged = NULL, *previous = NULL;

  if (!open_source_session (&session, globals, element, cache_dir, &previous,
                            error))
    return FALSE;
  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot make %s: %s", parent, g_strerror (saved));
      return FALSE;
    }
  template = g_strdup_printf ("%s/.%s.reset-XXXXXX", parent, base);
  staged = g_mkdtemp (g_strdup (template));
  if (staged == NULL)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot make a directory beside %s: %s", directory,
                   g_strerror (saved));
      return FALSE;
    }
  if (!stage_sources (&session, element, staged, error))
    {
      g_autoptr (GError) ignored = NULL;

      job_tool_remove_tree (staged, &ignored);
      return FALSE;
    }
  old = g_strdup_printf ("%s/.%s.old-%d", parent, base, (int) getpid ());
  if (g_file_test (directory, G_FILE_TEST_EXISTS)
      && g_rename (directory, old) != 0)
    {
      int saved = errno;
      g_autoptr (GError) ignored = NULL;

      job_tool_remove_tree (staged, &ignored);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot move %s aside: %s", directory, g_strerror (saved));
      return FALSE;
    }
  if (g_rename (staged, directory) != 0)
    {
      int saved = errno;

      g_rename (old, directory);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot move the staged sources to %s: %s", directory,
                   g_strerror (saved));
      return FALSE;
    }
  return !g_file_test (old, G_FILE_TEST_EXISTS)
         || job_tool_remove_tree (old, error);
}

static int
workspace_reset (JobToolGlobals *globals, int argc, char **argv)
{
  gboolean all = FALSE;
  g_autofree char *cache_dir = NULL;
  const GOptionEntry entries[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "Reset every workspace", NULL },
    JOB_TOOL_CACHE_DIR_OPTION (&cache_dir),
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (JobProject) project = NULL;
  g_auto (GStrv) elements = NULL;
  int status = parse_chosen (
      "reset",
      "ELEMENT… - replace what workspaces hold with the elements' "
      "sources",
      entries, &all, globals, argc, argv, &project, &elements);

  if (status != 0)
    return status;
  for (guint i = 0; elements[i] != NULL; i++)
    {
      const char *directory = job_project_get_workspace (project, elements[i]);

      if (!reset_one (globals, elements[i], directory, cache_dir, &error))
        goto fail;
      g_print ("%s: workspace reset (%s)\n", elements[i], directory);
    }
  return 0;

fail:
  job_tool_print_error (error);
  return 1;
}

static int
workspace_list (JobToolGlobals *globals, int argc, char **argv)
{
  g_autoptr (GOptionContext) context =
      g_option_context_new ("- list the open workspaces");
  g_autoptr (GError) error = NULL;
  g_autoptr (JobProject) project = NULL;
  g_auto (GStrv) elements = NULL;

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      job_tool_print_error (error);
      return 2;
    }
  if (argc > 1)
    {
      g_printerr ("job workspace list: takes no arguments\n");
      return 2;
    }
  if ((project = job_tool_load_project (globals, &error)) == NULL)
    {
      job_tool_print_error (error);
      return 1;
    }
  elements = job_project_dup_workspace_elements (project);
  for (guint i = 0; elements[i] != NULL; i++)
    g_print ("%s: %s\n", elements[i],
             job_project_get_workspace (project, elements[i]));
  if (elements[0] == NULL)
    g_print ("no open workspaces\n");
  return 0;
}

int
job_tool_workspace (JobToolGlobals *globals, int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int (*run) (JobToolGlobals *globals, int argc, char **argv);
    const char *summary;
  } commands[] = {
    { "open", workspace_open,
      "Stage an element's sources into a directory and build from it" },
    { "close", workspace_close, "Build from the element's sources again" },
    { "reset", workspace_reset,
      "Replace what a workspace holds with the element's sources" },
    { "list", workspace_list, "List the open workspaces" },
  };

  if (argc >= 2)
    for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
      if (g_str_equal (argv[1], commands[i].name))
        {
          g_autofree char *prgname =
              g_strdup_printf ("job workspace %s", commands[i].name);

          g_set_prgname (prgname);
          return commands[i].run (globals, argc - 1, argv + 1);
        }
  if (argc >= 2 && !g_str_equal (argv[1], "--help")
      && !g_str_equal (argv[1], "-h"))
    g_printerr ("job workspace: no command “%s”\n\n", argv[1]);
  g_printerr ("Usage: job workspace COMMAND [ARGS]...\n\n"
              "A workspace holds an element's sources for you to edit; "
              "while it is open,\nbuilds of the element use it instead of "
              "the sources.\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_printerr ("  %-8s %s\n", commands[i].name, commands[i].summary);
  return argc >= 2
                 && (g_str_equal (argv[1], "--help")
                     || g_str_equal (argv[1], "-h"))
             ? 0
             : 2;
}
