/* job-show.c: job show, what the project's elements are
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "job-tool-private.h"

#define DEFAULT_FORMAT "%{state: >12} %{key} %{name}"

/* Without plugins (a kind whose module is missing), no cache key: a marker
 * stands in its place until builds exist. */
#define KEY_PLACEHOLDER "--------"
#define FULL_KEY_PLACEHOLDER                                                   \
  "----------------------------------------------------------------"

/* What show keeps at exit (see the end of job_tool_show()). volatile: the
 * compiler would drop stores to variables nothing reads, and LeakSanitizer
 * would then report everything they hold. */
static JobLoader *volatile kept_loader;
static JobProject *volatile kept_project;

static const char *const format_keys[] = { "name",   "key",       "full-key",
                                           "state",  "kind",      "description",
                                           "vars",   "env",       "config",
                                           "public", "workspace", NULL };

static char *
yaml_of (JobNode *node)
{
  g_autofree char *text = NULL;

  if (node == NULL)
    return g_strdup ("{}");
  text = job_node_to_yaml (node, TRUE);
  g_strchomp (text);
  return g_steal_pointer (&text);
}

static char *
field_value (JobProject *project,
             JobScheduler *scheduler,
             JobElementSpec *spec,
             const char *key)
{
  const char *name = job_element_spec_get_name (spec);

  if (g_str_equal (key, "name"))
    return g_strdup (name);
  if (g_str_equal (key, "key"))
    return scheduler != NULL
               ? g_strndup (job_scheduler_get_cache_key (scheduler, name), 8)
               : g_strdup (KEY_PLACEHOLDER);
  if (g_str_equal (key, "full-key"))
    return g_strdup (scheduler != NULL
                         ? job_scheduler_get_cache_key (scheduler, name)
                         : FULL_KEY_PLACEHOLDER);
  if (g_str_equal (key, "state") && scheduler != NULL)
    {
      JobElement *element = job_scheduler_get_element (scheduler, name);
      GListModel *sources = job_element_get_sources (element);
      JobElementState state = job_scheduler_get_state (scheduler, name);

      if (state == JOB_ELEMENT_STATE_CACHED)
        return g_strdup ("cached");
      for (guint i = 0; i < g_list_model_get_n_items (sources); i++)
        {
          g_autoptr (JobSource) source = g_list_model_get_item (sources, i);
          if (!job_source_is_cached (source))
            return g_strdup ("fetch needed");
        }
      return g_strdup (state == JOB_ELEMENT_STATE_BUILDABLE ? "buildable"
                                                            : "waiting");
    }
  if (g_str_equal (key, "state"))
    {
      const char *const *build = job_element_spec_get_build_dependencies (spec);
      GListModel *sources = job_element_spec_get_sources (spec);
      gboolean fetch_needed = FALSE;

      /* Nothing is fetched or built yet: a source without a ref cannot be
       * fetched, a remote one must be, an element with build dependencies
       * waits for them, and one without can be built. */
      for (guint i = 0;
           sources != NULL && i < g_list_model_get_n_items (sources); i++)
        {
          g_autoptr (JobSourceSpec) source = g_list_model_get_item (sources, i);

          if (g_str_equal (job_source_spec_get_kind (source), "local")
              || g_str_equal (job_source_spec_get_kind (source), "workspace"))
            continue;
          if (job_node_lookup (job_source_spec_get_config (source), "ref")
              == NULL)
            return g_strdup ("no reference");
          fetch_needed = TRUE;
        }
      if (fetch_needed)
        return g_strdup ("fetch needed");
      return g_strdup (build == NULL || build[0] == NULL ? "buildable"
                                                         : "waiting");
    }
  if (g_str_equal (key, "kind"))
    return g_strdup (job_element_spec_get_kind (spec));
  if (g_str_equal (key, "description"))
    return g_strdup (job_element_spec_get_description (spec)
                         ? job_element_spec_get_description (spec)
                         : "");
  if (g_str_equal (key, "vars"))
    return yaml_of (job_element_spec_get_variables (spec));
  if (g_str_equal (key, "env"))
    return yaml_of (job_element_spec_get_environment (spec));
  if (g_str_equal (key, "config"))
    return yaml_of (job_element_spec_get_config (spec));
  if (g_str_equal (key, "public"))
    return yaml_of (job_element_spec_get_public (spec));
  if (g_str_equal (key, "workspace"))
    return g_strdup (job_project_get_workspace (project, name) != NULL
                         ? job_project_get_workspace (project, name)
                         : "");
  g_assert_not_reached ();
}

/* Appends @value padded as a spec such as " >12", "<20" or "^8" asks. */
static void
append_padded (GString *out, const char *value, const char *spec)
{
  char fill = ' ';
  char align = '<';
  guint64 width = 0;
  glong len = g_utf8_strlen (value, -1);

  if (spec[0] != '\0' && spec[1] != '\0' && strchr ("<>^", spec[1]) != NULL)
    {
      fill = spec[0];
      align = spec[1];
      spec += 2;
    }
  else if (spec[0] != '\0' && strchr ("<>^", spec[0]) != NULL)
    {
      align = spec[0];
      spec += 1;
    }
  g_ascii_string_to_unsigned (spec, 10, 0, 1000, &width, NULL);
  if ((glong) width <= len)
    {
      g_string_append (out, value);
      return;
    }
  {
    gsize pad = (gsize) width - (gsize) len;
    gsize before = align == '>' ? pad : align == '^' ? pad / 2 : 0;

    for (gsize i = 0; i < before; i++)
      g_string_append_c (out, fill);
    g_string_append (out, value);
    for (gsize i = before; i < pad; i++)
      g_string_append_c (out, fill);
  }
}

static gboolean
check_format (const char *format, GError **error)
{
  for (const char *p = strstr (format, "%{"); p != NULL;
       p = strstr (p + 2, "%{"))
    {
      const char *end = strchr (p, '}');
      g_autofree char *field = NULL;
      char *colon;

      if (end == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "unterminated “%%{” in the format “%s”", format);
          return FALSE;
        }
      field = g_strndup (p + 2, (gsize) (end - p - 2));
      colon = strchr (field, ':');
      if (colon != NULL)
        *colon = '\0';
      if (!g_strv_contains (format_keys, field))
        {
          g_autofree char *known = g_strjoinv (", ", (char **) format_keys);

          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "unknown format key “%s”; the keys are: %s", field,
                       known);
          return FALSE;
        }
    }
  return TRUE;
}

/* With @note_workspace, an element with an open workspace gets it at the
 * end of its line. */
static void
format_element (GString *out,
                const char *format,
                gboolean note_workspace,
                JobProject *project,
                JobScheduler *scheduler,
                JobElementSpec *spec)
{
  const char *workspace =
      job_project_get_workspace (project, job_element_spec_get_name (spec));
  const char *p = format;

  for (const char *start = strstr (p, "%{"); start != NULL;
       start = strstr (p, "%{"))
    {
      const char *end = strchr (start, '}');
      g_autofree char *field = g_strndup (start + 2, (gsize) (end - start - 2));
      char *colon = strchr (field, ':');
      g_autofree char *value = NULL;

      g_string_append_len (out, p, start - p);
      if (colon != NULL)
        *colon = '\0';
      value = field_value (project, scheduler, spec, field);
      append_padded (out, value, colon != NULL ? colon + 1 : "");
      p = end + 1;
    }
  g_string_append (out, p);
  if (note_workspace && workspace != NULL)
    g_string_append_printf (out, " (workspace %s)", workspace);
  g_string_append_c (out, '\n');
}

static gboolean
parse_deps (const char *text, JobDeps *deps)
{
  const char *names[] = { "none", "plan", "run", "build", "all" };
  const JobDeps values[] = { JOB_DEPS_NONE, JOB_DEPS_PLAN, JOB_DEPS_RUN,
                             JOB_DEPS_BUILD, JOB_DEPS_ALL };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (text, names[i]))
      {
        *deps = values[i];
        return TRUE;
      }
  return FALSE;
}

int
job_tool_show (JobToolGlobals *globals, int argc, char **argv)
{
  g_autofree char *deps_text = NULL;
  g_autofree char *format = NULL;
  g_auto (GStrv) targets = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JobProject) project = NULL;
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (JobArtifactCache) cache = NULL;
  gboolean needs_keys;
  g_autoptr (JobScheduler) scheduler = NULL;
  g_autoptr (GListModel) list = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  JobDeps deps = JOB_DEPS_ALL;
  gboolean default_format;
  g_autofree char *cache_dir = NULL;
  GOptionEntry entries[] = {
    { "deps", 'd', 0, G_OPTION_ARG_STRING, &deps_text,
      "Which elements to show: none, plan, run, build or all (default: all)",
      "DEPS" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
      "How to show each element (default: “" DEFAULT_FORMAT "”)", "FORMAT" },
    { "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache_dir,
      "The artifact cache the states are read from (default: "
      "$JOB_CACHE_DIR, else ~/.cache/libjob)",
      "DIR" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &targets, NULL,
      "TARGET…" },
    { NULL }
  };

  context = g_option_context_new ("TARGET… - show elements");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (
      context,
      "Global options -C DIR / --directory DIR and --option KEY VALUE are\n"
      "accepted here too.\n"
      "\n"
      "--deps:\n"
      "  none   the targets only\n"
      "  plan   everything needed to build the targets, in a valid build "
      "order\n"
      "  run    the targets and their runtime dependencies, recursively\n"
      "  build  the build dependencies of the targets and their runtime\n"
      "         dependencies, without the targets\n"
      "  all    the targets and all their dependencies\n"
      "Every list but none is in build order (dependencies first).\n"
      "\n"
      "FORMAT keys, as %{key} or padded as %{key: >12} (fill, < > ^, width):\n"
      "  %{name}      the element name\n"
      "  %{key}       the cache key, its first 8 digits\n"
      "  %{full-key}  the cache key, all 64 digits\n"
      "  %{state}     cached (its artifact is in the cache), fetch needed\n"
      "               (a source is not in its cache), buildable (everything\n"
      "               it needs is cached) or waiting (for dependencies)\n"
      "  %{kind}      the element kind\n"
      "  %{description} the element's description\n"
      "  %{vars}      the expanded variables, as YAML\n"
      "  %{env}       the expanded build environment, as YAML\n"
      "  %{config}    the composed configuration, as YAML\n"
      "  %{public}    the public data, as YAML\n"
      "  %{workspace} the directory of the element's open workspace, or "
      "nothing\n"
      "The default format ends with “(workspace DIR)” for an element with a "
      "workspace.\n");
  if (!job_tool_extract_globals (globals, &argc, argv, &error)
      || !g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "job show: %s\n", error->message);
      return 2;
    }
  if (deps_text != NULL && !parse_deps (deps_text, &deps))
    {
      fprintf (
          stderr,
          "job show: --deps is one of none, plan, run, build, all; not “%s”\n",
          deps_text);
      return 2;
    }
  default_format = format == NULL;
  if (format == NULL)
    format = g_strdup (DEFAULT_FORMAT);
  if (!check_format (format, &error))
    {
      fprintf (stderr, "job show: %s\n", error->message);
      return 2;
    }
  if (targets == NULL || targets[0] == NULL)
    {
      fprintf (stderr, "job show: give at least one TARGET element\n");
      return 2;
    }

  project = job_tool_load_project (globals, &error);
  if (project == NULL)
    {
      job_tool_print_error (error);
      return 1;
    }
  loader = job_loader_new (project);
  /* Keys and states need every plugin configured, and the cache: only
   * when asked for. Junctions may need the cache to stage into too; when
   * it cannot be opened and nothing else needs it, such a junction says
   * so itself. */
  needs_keys = strstr (format, "%{key") != NULL
               || strstr (format, "%{full-key") != NULL
               || strstr (format, "%{state") != NULL;
  cache = job_tool_open_cache (cache_dir, needs_keys ? &error : NULL);
  if (cache == NULL && needs_keys)
    {
      job_tool_print_error (error);
      return 1;
    }
  if (cache != NULL)
    job_loader_set_cache (loader, cache);
  if (!job_loader_load (loader, (const char *const *) targets, NULL, &error))
    {
      job_tool_print_error (error);
      return 1;
    }
  list = job_loader_list_dependencies (loader, (const char *const *) targets,
                                       deps, &error);
  if (list == NULL)
    {
      job_tool_print_error (error);
      return 1;
    }
  if (needs_keys)
    {
      g_autoptr (JobBackend) backend = JOB_BACKEND (job_inline_backend_new ());

      scheduler = job_scheduler_new (loader, cache, backend);
      if (scheduler == NULL
          || !job_scheduler_prepare (scheduler, (const char *const *) targets,
                                     &error))
        {
          job_tool_print_error (error);
          return 1;
        }
    }
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (JobElementSpec) spec = g_list_model_get_item (list, i);

      format_element (out, format, default_format, project, scheduler, spec);
      if (out->len > 65536)
        {
          fwrite (out->str, 1, out->len, stdout);
          g_string_truncate (out, 0);
        }
    }
  fwrite (out->str, 1, out->len, stdout);
  /* Freeing every element at exit only costs time (a tenth of a large
   * show); the process is ending. They stay reachable from here. */
  kept_loader = g_steal_pointer (&loader);
  kept_project = g_steal_pointer (&project);
  if (fflush (stdout) != 0)
    {
      fprintf (stderr, "job show: cannot write the output\n");
      return 1;
    }
  return 0;
}
