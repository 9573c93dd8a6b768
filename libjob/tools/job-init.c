/* job-init.c: job init, a new project
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include "job-tool-private.h"

static gboolean
make_directory (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot make %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* Loads @text as the project.conf of a scratch project: what init writes
 * is checked by the loader itself, names and paths by its rules. */
static gboolean
check_project (const char *text, const char *element_path, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *scratch = g_dir_make_tmp ("job-init-XXXXXX", error);
  g_autofree char *conf = NULL, *elements = NULL;
  g_autoptr (JobProject) project = NULL;
  gboolean ok;

  if (scratch == NULL)
    return FALSE;
  conf = g_build_filename (scratch, "project.conf", NULL);
  elements = g_build_filename (scratch, element_path, NULL);
  ok = g_file_set_contents (conf, text, -1, &local_error);
  /* A path leading outside is refused before anything is made for it. */
  if (ok && strstr (element_path, "..") == NULL
      && !g_path_is_absolute (element_path))
    ok = make_directory (elements, &local_error);
  if (ok)
    {
      project = job_project_new (scratch);
      ok = job_project_load (project, NULL, &local_error);
    }
  /* Everything in it was made here. */
  job_tool_remove_tree (scratch, NULL);
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

int
job_tool_init (JobToolGlobals *globals, int argc, char **argv)
{
  g_autofree char *name = NULL, *element_path = NULL;
  gboolean force = FALSE;
  const GOptionEntry entries[] = {
    { "project-name", 'n', 0, G_OPTION_ARG_STRING, &name,
      "The project's name (default: the directory's name)", "NAME" },
    { "element-path", 0, 0, G_OPTION_ARG_FILENAME, &element_path,
      "Where the elements go, relative to the project (default: elements)",
      "PATH" },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      "Replace an existing project.conf", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context =
      g_option_context_new ("[DIRECTORY] - start a new project");
  g_autoptr (GError) error = NULL;
  g_autofree char *directory = NULL, *conf = NULL, *text = NULL;
  g_autofree char *elements = NULL;
  gboolean name_from_directory;

  g_option_context_set_description (
      context,
      "Writes DIRECTORY/project.conf (DIRECTORY: the one given with -C, else "
      "the current one) and makes the element path, as `bst init` does.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!job_tool_parse (context, &argc, &argv, 0, 1,
                       "job init: name at most one directory"))
    return 2;
  directory = g_canonicalize_filename (
      argc == 2 ? argv[1] : (globals->directory ? globals->directory : "."),
      NULL);
  name_from_directory = name == NULL;
  if (name == NULL)
    name = g_path_get_basename (directory);
  if (element_path == NULL)
    element_path = g_strdup ("elements");
  conf = g_build_filename (directory, "project.conf", NULL);
  if (!force && g_file_test (conf, G_FILE_TEST_EXISTS))
    {
      g_printerr ("job: error: %s exists already; give --force to replace "
                  "it\n",
                  conf);
      return 1;
    }

  text = g_strdup_printf ("# The project's name, unique among the projects "
                          "it is used with\n"
                          "name: %s\n"
                          "\n"
                          "# The BuildStream format version it is written in\n"
                          "format-version: %d\n"
                          "\n"
                          "# Where the elements (.bst files) are\n"
                          "element-path: %s\n",
                          name, JOB_FORMAT_VERSION, element_path);
  if (!check_project (text, element_path, &error))
    {
      if (name_from_directory)
        g_prefix_error (&error,
                        "the project would not load (its name “%s” is the "
                        "directory's; choose one with --project-name): ",
                        name);
      else
        g_prefix_error (&error, "the project would not load: ");
      goto fail;
    }
  elements = g_build_filename (directory, element_path, NULL);
  if (!make_directory (elements, &error)
      || !g_file_set_contents_full (
          conf, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
    goto fail;
  g_print ("Wrote %s; elements go in %s\n", conf, elements);
  return 0;

fail:
  job_tool_print_error (error);
  return 1;
}
