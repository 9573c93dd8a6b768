/* job.c: the job command-line tool: dispatches to its subcommands
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "job-tool-private.h"

typedef struct
{
  const char *name;
  const char *summary;
  int (*run) (JobToolGlobals *globals, int argc, char **argv);
} Command;

/* A subcommand lives in job-<name>.c; those about artifacts and sources
 * (build, checkout, fetch, log, prune, pull, push, source-checkout) in
 * job-build.c. */
static const Command commands[] = {
  { "build", "Build elements and what they need", job_tool_build },
  { "check", "Check that every element's build job can be sent to a worker",
    job_tool_check },
  { "checkout", "Copy a built element, and what it needs, into a directory",
    job_tool_checkout },
  { "fetch", "Fetch the sources of elements without building them",
    job_tool_fetch },
  { "init", "Start a new project: project.conf and the element path",
    job_tool_init },
  { "log", "Print the build logs of elements", job_tool_log },
  { "prune", "Remove the least recently used artifacts beyond a quota",
    job_tool_prune },
  { "pull", "Copy built artifacts from a shared cache", job_tool_pull },
  { "push", "Copy built artifacts to a shared cache", job_tool_push },
  { "shell", "Run a shell or a command in an element's sandbox",
    job_tool_shell },
  { "show", "Show elements, their dependencies and configuration",
    job_tool_show },
  { "source-checkout", "Stage the sources of elements into a directory",
    job_tool_source_checkout },
  { "track", "Find the newest refs of sources and write them back",
    job_tool_track },
  { "workspace", "Open, close, reset and list workspaces: sources to edit",
    job_tool_workspace },
};

static void
print_usage (FILE *out)
{
  fprintf (out,
           "Usage: job [-C DIR] [--option KEY VALUE]... COMMAND [ARGS]...\n"
           "\n"
           "Loads a BuildStream-style project and works on its elements.\n"
           "\n"
           "Global options (also accepted after the command):\n"
           "  -C, --directory DIR      The project directory (default: the\n"
           "                           current one, or the nearest parent\n"
           "                           holding project.conf)\n"
           "  --option KEY VALUE       Set a project option\n"
           "  -h, --help               Show this help\n"
           "  --version                Show the version\n"
           "\n"
           "Commands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-24s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun “job COMMAND --help” for a command's options.\n");
}

gboolean
job_tool_extract_globals (JobToolGlobals *globals,
                          int *argc,
                          char **argv,
                          GError **error)
{
  int out = 1;

  for (int i = 1; i < *argc; i++)
    {
      const char *arg = argv[i];

      if (g_str_equal (arg, "--"))
        {
          while (i < *argc)
            argv[out++] = argv[i++];
          break;
        }
      if (g_str_equal (arg, "-C") || g_str_equal (arg, "--directory"))
        {
          if (i + 1 >= *argc)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "%s needs a directory", arg);
              return FALSE;
            }
          g_free (globals->directory);
          globals->directory = g_strdup (argv[++i]);
          continue;
        }
      if (g_str_has_prefix (arg, "--directory="))
        {
          g_free (globals->directory);
          globals->directory = g_strdup (arg + strlen ("--directory="));
          continue;
        }
      if (g_str_has_prefix (arg, "-C") && arg[2] != '\0')
        {
          g_free (globals->directory);
          globals->directory = g_strdup (arg + 2);
          continue;
        }
      if (g_str_equal (arg, "--option") || g_str_equal (arg, "-o"))
        {
          if (i + 2 >= *argc)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "%s needs a KEY and a VALUE", arg);
              return FALSE;
            }
          g_ptr_array_add (globals->options, g_strdup (argv[i + 1]));
          g_ptr_array_add (globals->options, g_strdup (argv[i + 2]));
          i += 2;
          continue;
        }
      argv[out++] = argv[i];
    }
  *argc = out;
  argv[out] = NULL;
  return TRUE;
}

JobProject *
job_tool_load_project (JobToolGlobals *globals, GError **error)
{
  g_autofree char *cwd = g_get_current_dir ();
  g_autoptr (JobProject) project =
      job_project_new (globals->directory ? globals->directory : cwd);

  for (guint i = 0; i + 1 < globals->options->len; i += 2)
    job_project_set_option (project, globals->options->pdata[i],
                            globals->options->pdata[i + 1]);
  if (!job_project_load (project, NULL, error))
    return NULL;
  return g_steal_pointer (&project);
}

gboolean
job_tool_session_open (JobToolSession *session,
                       JobToolGlobals *globals,
                       const char *const *targets,
                       const char *cache_dir,
                       JobBackend *backend,
                       GError **error)
{
  session->backend =
      backend != NULL ? backend : JOB_BACKEND (job_inline_backend_new ());
  if (session->project == NULL
      && (session->project = job_tool_load_project (globals, error)) == NULL)
    return FALSE;
  if ((session->cache = job_tool_open_cache (cache_dir, error)) == NULL)
    return FALSE;
  session->loader = job_loader_new (session->project);
  job_loader_set_cache (session->loader, session->cache);
  if (!job_loader_load (session->loader, targets, NULL, error))
    return FALSE;
  session->scheduler =
      job_scheduler_new (session->loader, session->cache, session->backend);
  return job_scheduler_prepare (session->scheduler, targets, error);
}

void
job_tool_session_clear (JobToolSession *session)
{
  g_clear_object (&session->scheduler);
  g_clear_object (&session->backend);
  g_clear_object (&session->cache);
  g_clear_object (&session->loader);
  g_clear_object (&session->project);
}

gboolean
job_tool_check_built (JobArtifactCache *cache,
                      GVariant *plan,
                      const char *target,
                      gboolean build,
                      GError **error)
{
  g_autoptr (GVariant) scope = g_variant_get_child_value (plan, 0);
  g_autoptr (GString) missing = g_string_new (NULL);
  GVariantIter iter;
  const char *name, *key;

  g_variant_iter_init (&iter, scope);
  while (g_variant_iter_next (&iter, "(&s&s@as)", &name, &key, NULL))
    if (!job_artifact_cache_contains (cache, key))
      g_string_append_printf (missing, "%s%s", missing->len > 0 ? ", " : "",
                              name);
  if (missing->len == 0)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               "%s needs artifacts that are not built: %s; run “job build "
               "%s”%s first",
               target, missing->str, target,
               build ? " (or build those elements)" : "");
  return FALSE;
}

gboolean
job_tool_is_empty_or_missing (const char *path)
{
  g_autoptr (GDir) dir = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  dir = g_dir_open (path, 0, NULL);
  return dir != NULL && g_dir_read_name (dir) == NULL;
}

gboolean
job_tool_remove_tree (const char *path, GError **error)
{
  const char *argv[] = { "sh", "-c",
                         "chmod -R u+w -- \"$0\" && rm -rf -- \"$0\"", path,
                         NULL };
  g_autofree char *err = NULL;
  int status;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                     NULL, NULL, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "Cannot remove %s: %s", path, err);
      return FALSE;
    }
  return TRUE;
}

gboolean
job_tool_parse (GOptionContext *context,
                int *argc,
                char ***argv,
                int min_args,
                int max_args,
                const char *usage)
{
  g_autoptr (GError) error = NULL;
  int n;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      job_tool_print_error (error);
      return FALSE;
    }
  n = *argc - 1;
  if (n < min_args || (max_args >= 0 && n > max_args))
    {
      g_printerr ("%s\n", usage);
      return FALSE;
    }
  return TRUE;
}

gboolean
job_tool_stage_sources (JobScheduler *scheduler,
                        const char *element,
                        const char *directory,
                        GError **error)
{
  GListModel *sources =
      job_element_get_sources (job_scheduler_get_element (scheduler, element));

  for (guint i = 0; i < g_list_model_get_n_items (sources); i++)
    {
      g_autoptr (JobSource) source = g_list_model_get_item (sources, i);
      const char *subdir = job_source_get_directory (source);
      g_autofree char *dest =
          g_build_filename (directory, subdir != NULL ? subdir : "", NULL);

      if (g_mkdir_with_parents (dest, 0755) != 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot make %s: %s", dest, g_strerror (saved));
          return FALSE;
        }
      if (!job_source_stage (source, dest, NULL, error))
        {
          g_prefix_error (error,
                          "%s: ", job_plugin_get_name (JOB_PLUGIN (source)));
          return FALSE;
        }
    }
  return TRUE;
}

void
job_tool_print_error (const GError *error)
{
  fprintf (stderr, "job: error: %s\n", error->message);
}

int
main (int argc, char *argv[])
{
  JobToolGlobals globals = { NULL, g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (GError) error = NULL;
  int status = 2;
  const char *name;

  setlocale (LC_ALL, "");
  if (!job_tool_extract_globals (&globals, &argc, argv, &error))
    {
      fprintf (stderr, "job: %s\n", error->message);
      goto out;
    }
  if (argc < 2)
    {
      print_usage (stderr);
      goto out;
    }
  name = argv[1];
  if (g_str_equal (name, "-h") || g_str_equal (name, "--help")
      || g_str_equal (name, "help"))
    {
      print_usage (stdout);
      status = 0;
      goto out;
    }
  if (g_str_equal (name, "--version"))
    {
      printf ("job %s (BuildStream format version %d)\n", JOB_VERSION_S,
              JOB_FORMAT_VERSION);
      status = 0;
      goto out;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      {
        status = commands[i].run (&globals, argc - 1, argv + 1);
        goto out;
      }
  fprintf (stderr, "job: unknown command “%s”\n\n", name);
  print_usage (stderr);

out:
  g_free (globals.directory);
  g_ptr_array_unref (globals.options);
  return status;
}
