/* job-shell.c: job shell, a shell in an element's sandbox
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "job-tool-private.h"

/* $NAME and ${NAME} replaced by the host's value where it has one, as
 * BuildStream's `shell: environment` allows. */
static char *
expand_host_variables (const char *value)
{
  g_autoptr (GString) out = g_string_new (NULL);
  const char *p = value;

  while (*p != '\0')
    {
      gboolean braced = p[0] == '$' && p[1] == '{';
      const char *start = p + (braced ? 2 : 1);
      const char *end = start;
      g_autofree char *name = NULL;
      const char *host;

      if (*p != '$')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      while (g_ascii_isalnum (*end) || *end == '_')
        end++;
      name = g_strndup (start, (gsize) (end - start));
      host = *name != '\0' && (!braced || *end == '}') ? g_getenv (name) : NULL;
      if (host == NULL)
        {
          g_string_append_c (out, *p++);
          continue;
        }
      g_string_append (out, host);
      p = end + (braced ? 1 : 0);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Replaces or adds NAME=VALUE in @env (char*, NULL-terminated). */
static void
set_variable (GPtrArray *env, const char *name, const char *value)
{
  gsize len = strlen (name);

  for (guint i = 0; i + 1 < env->len; i++)
    {
      const char *entry = env->pdata[i];

      if (strncmp (entry, name, len) == 0 && entry[len] == '=')
        {
          g_ptr_array_remove_index (env, i);
          break;
        }
    }
  g_ptr_array_insert (env, (int) env->len - 1,
                      g_strconcat (name, "=", value, NULL));
}

/* The project's `shell:` configuration: its command, returned, and its
 * environment, added to the sandbox's. */
static char **
apply_shell_config (JobProject *project, JobSandbox *sandbox, GError **error)
{
  JobNode *shell = job_node_lookup (job_project_get_config (project), "shell");
  JobNode *environment;
  g_auto (GStrv) command = NULL;
  g_autoptr (GPtrArray) env = g_ptr_array_new_with_free_func (g_free);

  if (shell == NULL || job_node_lookup (shell, "command") == NULL)
    command = g_strdupv ((char *[]){ "sh", "-i", NULL });
  else if ((command = job_node_get_string_list (shell, "command", error))
           == NULL)
    return NULL;
  if (command[0] == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "the project's shell command is empty");
      return NULL;
    }

  environment = shell != NULL ? job_node_lookup (shell, "environment") : NULL;
  if (environment == NULL)
    return g_steal_pointer (&command);
  if (!job_node_check_type (environment, JOB_NODE_MAPPING, error))
    return NULL;
  for (const char *const *e = job_sandbox_get_env (sandbox);
       e != NULL && *e != NULL; e++)
    g_ptr_array_add (env, g_strdup (*e));
  g_ptr_array_add (env, NULL);
  for (guint i = 0; i < job_node_get_n_members (environment); i++)
    {
      const char *value = job_node_as_string (
          job_node_get_member_value (environment, i), error);
      g_autofree char *expanded = NULL;

      if (value == NULL)
        return NULL;
      expanded = expand_host_variables (value);
      set_variable (env, job_node_get_member_key (environment, i), expanded);
    }
  job_sandbox_set_env (sandbox, (const char *const *) env->pdata);
  return g_steal_pointer (&command);
}

/* Fails with a clear message if @command is nowhere in the sandbox: a
 * runtime sandbox often has no shell at all. */
static gboolean
check_command (JobSandbox *sandbox,
               const char *command,
               const char *target,
               gboolean build,
               GError **error)
{
  const char *path = "/usr/bin:/bin";
  g_auto (GStrv) dirs = NULL;

  if (job_sandbox_get_effective_mode (sandbox) != JOB_SANDBOX_MODE_BWRAP)
    return TRUE; /* the host's PATH applies */
  for (const char *const *e = job_sandbox_get_env (sandbox);
       e != NULL && *e != NULL; e++)
    if (g_str_has_prefix (*e, "PATH="))
      path = *e + strlen ("PATH=");
  dirs = strchr (command, '/') != NULL ? g_strdupv ((char *[]){ "", NULL })
                                       : g_strsplit (path, ":", -1);
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *in_sandbox =
          g_build_filename ("/", dirs[i], command, NULL);
      g_autofree char *host = job_sandbox_get_host_path (sandbox, in_sandbox);

      if (host != NULL && g_file_test (host, G_FILE_TEST_EXISTS))
        return TRUE;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               "“%s” is not in the sandbox of %s (PATH=%s)%s", command, target,
               path,
               build ? ""
                     : ": nothing it needs at run time provides it; try "
                       "--build for the sandbox it is built in");
  return FALSE;
}

int
job_tool_shell (JobToolGlobals *globals, int argc, char **argv)
{
  g_autofree char *cache_dir = NULL;
  gboolean build = FALSE;
  const GOptionEntry entries[] = {
    { "build", 'b', 0, G_OPTION_ARG_NONE, &build,
      "Stage what building the element stages, and its sources, instead of "
      "the element and what it needs at run time",
      NULL },
    JOB_TOOL_CACHE_DIR_OPTION (&cache_dir),
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (
      "ELEMENT [-- COMMAND [ARG…]] - run a shell or a command in an "
      "element's sandbox");
  g_autoptr (GError) error = NULL;
  g_auto (JobToolSession) session = { 0 };
  g_autoptr (GVariant) plan = NULL;
  g_autoptr (JobBuildContext) build_context = NULL;
  g_auto (GStrv) shell_command = NULL;
  const char *targets[2] = { NULL, NULL };
  const char *const *command;
  JobElement *element;
  JobSandbox *sandbox;
  int status = -1;

  g_option_context_set_description (
      context,
      "Stages the element and what it needs at run time (or, with --build, "
      "what building it stages and its sources), then runs the project's "
      "shell command (default “sh -i”), or COMMAND, in the element's "
      "sandbox, with its environment. The root is read-only, as in a "
      "build. The exit status is the command's.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      job_tool_print_error (error);
      return 2;
    }
  if (argc < 2 || g_str_equal (argv[1], "--"))
    {
      g_printerr ("job shell: name one element\n");
      return 2;
    }
  targets[0] = argv[1];
  command = (const char *const *) argv + 2;
  if (command[0] != NULL && g_str_equal (command[0], "--"))
    command++;
  if (command[0] == NULL)
    command = NULL;

  if (!job_tool_session_open (&session, globals, targets, cache_dir, NULL,
                              &error))
    goto fail;
  plan = job_scheduler_make_staging_plan (
      session.scheduler, targets[0], build ? JOB_DEPS_BUILD : JOB_DEPS_RUN);
  if (!job_tool_check_built (session.cache, plan, targets[0], build, &error))
    goto fail;

  element = job_scheduler_get_element (session.scheduler, targets[0]);
  build_context =
      job_build_context_new (element, session.cache, plan, NULL, NULL, &error);
  if (build_context == NULL
      || !(build ? job_element_stage (element, build_context, NULL, &error)
                 : job_build_context_stage_dependencies (build_context, "/",
                                                         NULL, &error)))
    goto fail;
  /* Integration commands need the root writable: the context copies it. */
  job_build_context_integrate (build_context);
  if (!job_build_context_run_queued (build_context, NULL, &error))
    goto fail;

  sandbox = job_build_context_get_sandbox (build_context);
  shell_command = apply_shell_config (session.project, sandbox, &error);
  if (shell_command == NULL)
    goto fail;
  if (command == NULL)
    command = (const char *const *) shell_command;
  if (!check_command (sandbox, command[0], targets[0], build, &error)
      || !job_sandbox_run_interactive (sandbox, command, &status, &error))
    goto fail;
  return status;

fail:
  job_tool_print_error (error);
  return 1;
}
