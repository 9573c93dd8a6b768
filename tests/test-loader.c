/* test-loader.c: JobProject and JobLoader: loading projects and elements */

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <glib/gstdio.h>

#include "libjob/job.h"
#include "test-time-scale.h"

typedef struct
{
  char *directory;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->directory = g_dir_make_tmp ("job-loader-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  if (dir != NULL)
    g_dir_close (dir);
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  remove_tree (fixture->directory);
  g_free (fixture->directory);
}

static void
write_file (Fixture *fixture,
            const char *name,
            const char *contents,
            gssize length)
{
  g_autofree char *path = g_build_filename (fixture->directory, name, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  FILE *file;

  /* Not g_file_set_contents (): its fsync makes writing 100,000 files
   * take minutes. */
  g_mkdir_with_parents (dir, 0755);
  file = g_fopen (path, "wb");
  g_assert_nonnull (file);
  if (length < 0)
    length = (gssize) strlen (contents);
  g_assert_cmpuint (fwrite (contents, 1, (gsize) length, file), ==,
                    (gsize) length);
  g_assert_cmpint (fclose (file), ==, 0);
}

static JobLoader *
load (Fixture *fixture, const char *target, GError **error)
{
  g_autoptr (JobProject) project = job_project_new (fixture->directory);
  g_autoptr (JobLoader) loader = NULL;
  const char *targets[] = { target, NULL };

  if (!job_project_load (project, NULL, error))
    return NULL;
  loader = job_loader_new (project);
  if (!job_loader_load (loader, targets, NULL, error))
    return NULL;
  return g_steal_pointer (&loader);
}

static void
assert_message_prefix (const GError *error, const char *prefix)
{
  if (!g_str_has_prefix (error->message, prefix))
    g_error ("“%s” does not start with “%s”", error->message, prefix);
}

static void
assert_message_contains (const GError *error, const char *part)
{
  if (strstr (error->message, part) == NULL)
    g_error ("“%s” does not contain “%s”", error->message, part);
}

/* Loads a.bst of a project whose project.conf is "name: test" and expects
 * an error. */
static void
assert_element_error (Fixture *fixture,
                      const char *element,
                      int code,
                      const char *prefix)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;

  write_file (fixture, "project.conf", "name: test\n", -1);
  write_file (fixture, "a.bst", element, -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_null (loader);
  g_assert_error (error, JOB_LOAD_ERROR, code);
  assert_message_prefix (error, prefix);
}

static void
test_malformed_yaml (Fixture *fixture, gconstpointer data)
{
  assert_element_error (fixture, "kind: manual\nconfig: [a, b\n",
                        JOB_LOAD_ERROR_INVALID_YAML,
                        "a.bst [line 3 column 1]: invalid YAML: ");
}

static void
test_wrong_type (Fixture *fixture, gconstpointer data)
{
  assert_element_error (
      fixture, "kind: manual\ndepends:\n  x: y\n", JOB_LOAD_ERROR_INVALID_DATA,
      "a.bst [line 3 column 3]: expected a list, got a mapping");
}

static void
test_unknown_key (Fixture *fixture, gconstpointer data)
{
  assert_element_error (fixture, "kind: manual\nconfg: {}\n",
                        JOB_LOAD_ERROR_INVALID_DATA,
                        "a.bst [line 2 column 1]: unexpected key “confg”");
}

static void
test_undefined_variable (Fixture *fixture, gconstpointer data)
{
  assert_element_error (
      fixture, "kind: manual\nvariables:\n  x: \"%{nope}/bin\"\n",
      JOB_LOAD_ERROR_UNRESOLVED_VARIABLE,
      "a.bst [line 3 column 6]: reference to undefined variable “nope”");
}

static void
test_undefined_variable_in_config (Fixture *fixture, gconstpointer data)
{
  assert_element_error (
      fixture, "kind: manual\nconfig:\n  build-commands:\n  - make %{nope}\n",
      JOB_LOAD_ERROR_UNRESOLVED_VARIABLE,
      "a.bst [line 4 column 5]: reference to undefined variable “nope”");
}

static void
test_variable_cycle (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;

  write_file (fixture, "project.conf", "name: test\n", -1);
  write_file (
      fixture, "a.bst",
      "kind: manual\nvariables:\n  x: \"%{y}\"\n  y: \"%{z}\"\n  z: \"%{x}\"\n",
      -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_RECURSIVE_VARIABLE);
  assert_message_prefix (error, "a.bst [line ");
  assert_message_contains (error, "“x” (a.bst [line 3 column 6])");
  assert_message_contains (error, "“y” (a.bst [line 4 column 6])");
  assert_message_contains (error, "“z” (a.bst [line 5 column 6])");
}

static void
test_dependency_cycle (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;

  write_file (fixture, "project.conf", "name: test\n", -1);
  write_file (fixture, "a.bst", "kind: stack\ndepends:\n- b.bst\n", -1);
  write_file (fixture, "b.bst", "kind: stack\nbuild-depends:\n- c.bst\n", -1);
  write_file (fixture, "c.bst",
              "kind: stack\nruntime-depends:\n- filename: a.bst\n", -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_CIRCULAR_DEPENDENCY);
  assert_message_prefix (error, "a.bst [line 3 column 3]: circular dependency");
  assert_message_contains (error,
                           "a.bst [line 3 column 3]: a.bst depends on b.bst");
  assert_message_contains (error,
                           "b.bst [line 3 column 3]: b.bst depends on c.bst");
  assert_message_contains (error,
                           "c.bst [line 3 column 3]: c.bst depends on a.bst");
}

static void
test_missing_element (Fixture *fixture, gconstpointer data)
{
  assert_element_error (
      fixture, "kind: stack\ndepends:\n- nothere.bst\n",
      JOB_LOAD_ERROR_MISSING_FILE,
      "a.bst [line 3 column 3]: could not find element “nothere.bst”");
}

static void
test_missing_target (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;

  write_file (fixture, "project.conf", "name: test\n", -1);
  loader = load (fixture, "nothere.bst", &error);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_MISSING_FILE);
  assert_message_prefix (error, "could not find element “nothere.bst”");
}

static void
test_include_cycle (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;

  write_file (fixture, "project.conf", "name: test\n(@): one.yml\n", -1);
  write_file (fixture, "one.yml", "variables:\n  a: b\n(@): two.yml\n", -1);
  write_file (fixture, "two.yml", "(@):\n- one.yml\n", -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_RECURSIVE_INCLUDE);
  assert_message_prefix (
      error, "two.yml [line 2 column 3]: “one.yml” includes itself");
  assert_message_contains (error,
                           "project.conf [line 2 column 6] includes one.yml");
  assert_message_contains (error, "one.yml [line 3 column 6] includes two.yml");
}

/* Includes and the element path stay inside the project directory, as
 * BuildStream requires. */
static void
test_outside_project (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;
  g_autofree char *base = g_path_get_basename (fixture->directory);
  g_autofree char *conf = NULL;

  write_file (fixture, "inc/a.yml", "variables:\n  a: b\n", -1);
  conf = g_strdup_printf ("name: test\n(@): inc/../../%s/inc/a.yml\n", base);
  write_file (fixture, "project.conf", conf, -1);
  write_file (fixture, "a.bst", "kind: stack\n", -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA);
  assert_message_prefix (error, "project.conf [line 2 column 6]: ");
  assert_message_contains (error, "leads outside of the project directory");
  g_clear_error (&error);

  g_clear_pointer (&conf, g_free);
  conf = g_strdup_printf ("name: test\nelement-path: ../%s\n", base);
  write_file (fixture, "project.conf", conf, -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA);
  assert_message_prefix (error, "project.conf [line 2 column 15]: ");
  assert_message_contains (error, "leads outside of the project directory");
}

static void
test_bad_conditional (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;

  write_file (fixture, "project.conf",
              "name: test\noptions:\n  debug:\n    type: bool\n"
              "    description: Debugging\n    default: false\n",
              -1);
  write_file (fixture, "a.bst",
              "kind: manual\nvariables:\n  (?):\n  - debug ==:\n      x: y\n",
              -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_EXPRESSION_FAILED);
  assert_message_prefix (
      error,
      "a.bst [line 4 column 5]: cannot evaluate the conditional “debug ==”");
  g_clear_error (&error);

  write_file (
      fixture, "a.bst",
      "kind: manual\nvariables:\n  (?):\n  - nosuchoption:\n      x: y\n", -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_EXPRESSION_FAILED);
  assert_message_contains (error,
                           "“nosuchoption” is not an option of the project");
}

static void
test_not_utf8 (Fixture *fixture, gconstpointer data)
{
  assert_element_error (fixture, "kind: manual\ndescription: caf\xe9\n",
                        JOB_LOAD_ERROR_INVALID_YAML,
                        "a.bst [line 2 column 17]: invalid YAML: ");
}

static void
test_empty_file (Fixture *fixture, gconstpointer data)
{
  assert_element_error (fixture, "", JOB_LOAD_ERROR_INVALID_DATA,
                        "a.bst [line 1 column 1]: the element file is empty");
}

static void
test_empty_project_conf (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobProject) project = NULL;

  write_file (fixture, "project.conf", "", -1);
  project = job_project_new (fixture->directory);
  g_assert_false (job_project_load (project, NULL, &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA);
  assert_message_prefix (
      error, "project.conf [line 1 column 1]: project.conf is empty");
}

static void
test_garbage (Fixture *fixture, gconstpointer data)
{
  const gsize size = 100 * 1024 * 1024;
  g_autofree guint32 *garbage = g_malloc (size);
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;
  gint64 start;

  for (gsize i = 0; i < size / sizeof (guint32); i++)
    garbage[i] = g_rand_int (rand);
  write_file (fixture, "project.conf", "name: test\n", -1);
  write_file (fixture, "a.bst", (const char *) garbage, (gssize) size);
  start = g_get_monotonic_time ();
  loader = load (fixture, "a.bst", &error);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_YAML);
  assert_message_prefix (error, "a.bst [line 1 column ");
  g_assert_cmpint (g_get_monotonic_time () - start, <,
                   10 * G_USEC_PER_SEC * test_time_scale ());
}

static void
test_garbage_text (Fixture *fixture, gconstpointer data)
{
  /* Valid UTF-8 that is not YAML: unbalanced brackets and quotes. */
  GString *text = g_string_new ("kind: manual\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;

  for (guint i = 0; i < 20000; i++)
    g_string_append (text, "- {[\"': &*!|>%@`\n");
  write_file (fixture, "project.conf", "name: test\n", -1);
  write_file (fixture, "a.bst", text->str, (gssize) text->len);
  g_string_free (text, TRUE);
  loader = load (fixture, "a.bst", &error);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_YAML);
  assert_message_prefix (error, "a.bst [line ");
}

static void
test_protected_variable (Fixture *fixture, gconstpointer data)
{
  assert_element_error (
      fixture, "kind: manual\nvariables:\n  element-name: x\n",
      JOB_LOAD_ERROR_PROTECTED_VARIABLE,
      "a.bst [line 3 column 3]: “element-name” is set by libjob");
}

static void
test_unknown_kind (Fixture *fixture, gconstpointer data)
{
  assert_element_error (fixture, "kind: nosuchkind\n",
                        JOB_LOAD_ERROR_UNKNOWN_KIND,
                        "a.bst [line 1 column 7]: no plugin provides the "
                        "element kind “nosuchkind”");
}

static void
test_trailing_directive (Fixture *fixture, gconstpointer data)
{
  assert_element_error (fixture,
                        "kind: manual\nconfig:\n  other:\n    (>): [x]\n",
                        JOB_LOAD_ERROR_TRAILING_LIST_DIRECTIVE,
                        "a.bst [line 4 column 5]: “(>)” edits a list");
}

static void
test_assertion (Fixture *fixture, gconstpointer data)
{
  assert_element_error (fixture,
                        "kind: manual\n(!): This element is not for you\n",
                        JOB_LOAD_ERROR_USER_ASSERTION,
                        "a.bst [line 2 column 6]: This element is not for you");
}

static void
test_format_version (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobProject) project = NULL;

  write_file (fixture, "project.conf", "name: test\nformat-version: 99\n", -1);
  project = job_project_new (fixture->directory);
  g_assert_false (job_project_load (project, NULL, &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_UNSUPPORTED_PROJECT);
  assert_message_prefix (
      error,
      "project.conf [line 2 column 17]: the project needs format version 99");
  g_clear_error (&error);
  g_clear_object (&project);

  write_file (fixture, "project.conf", "name: test\nmin-version: 2.0\n", -1);
  project = job_project_new (fixture->directory);
  g_assert_false (job_project_load (project, NULL, &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_UNSUPPORTED_PROJECT);
  assert_message_prefix (error, "project.conf [line 2 column 14]:");
}

static void
test_missing_project_conf (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobProject) project = job_project_new (fixture->directory);

  g_assert_false (job_project_load (project, NULL, &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_MISSING_PROJECT_CONF);
}

static void
test_options (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobProject) project = NULL;
  g_autoptr (JobLoader) loader = NULL;
  const char *targets[] = { "a.bst", NULL };
  JobElementSpec *spec;

  write_file (fixture, "project.conf",
              "name: test\n"
              "options:\n"
              "  flavour:\n"
              "    type: enum\n"
              "    description: Which flavour\n"
              "    values: [plain, fancy]\n"
              "    default: plain\n"
              "    variable: flavour\n"
              "  debug:\n"
              "    type: bool\n"
              "    description: Debugging\n"
              "    default: false\n"
              "  features:\n"
              "    type: flags\n"
              "    description: Optional features\n"
              "    values: [a, b, c]\n"
              "    default: [b]\n"
              "    variable: features\n"
              "  machine:\n"
              "    type: arch\n"
              "    description: The machine\n"
              "    values: [no-such-arch, x86_64, aarch64, i686]\n"
              "    variable: machine\n"
              "variables:\n"
              "  (?):\n"
              "  - flavour == \"fancy\" and not debug:\n"
              "      greeting: hello fancy\n"
              "  - debug:\n"
              "      greeting: hello debug\n"
              "  - ('a' in features):\n"
              "      has-a: \"yes\"\n"
              "  greeting: hello\n"
              "  has-a: \"no\"\n",
              -1);
  write_file (fixture, "a.bst", "kind: manual\n", -1);

  project = job_project_new (fixture->directory);
  job_project_set_option (project, "flavour", "fancy");
  g_assert_true (job_project_load (project, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (job_project_get_option_value (project, "flavour"), ==,
                   "fancy");
  g_assert_cmpstr (job_project_get_option_value (project, "debug"), ==, "0");
  {
    struct utsname host;

    g_assert_cmpint (uname (&host), ==, 0);
    if (g_str_equal (host.machine, "x86_64")
        || g_str_equal (host.machine, "aarch64")
        || g_str_equal (host.machine, "i686"))
      g_assert_cmpstr (job_project_get_option_value (project, "machine"), ==,
                       host.machine);
    else
      g_assert_cmpstr (job_project_get_option_value (project, "machine"), ==,
                       "no-such-arch");
  }
  loader = job_loader_new (project);
  g_assert_true (job_loader_load (loader, targets, NULL, &error));
  spec = job_loader_get_element (loader, "a.bst");
  g_assert_cmpstr (job_element_spec_get_variable (spec, "greeting"), ==,
                   "hello fancy");
  g_assert_cmpstr (job_element_spec_get_variable (spec, "flavour"), ==,
                   "fancy");
  g_assert_cmpstr (job_element_spec_get_variable (spec, "features"), ==, "b");
  g_assert_cmpstr (job_element_spec_get_variable (spec, "has-a"), ==, "no");
  g_clear_object (&loader);
  g_clear_object (&project);

  project = job_project_new (fixture->directory);
  job_project_set_option (project, "debug", "true");
  job_project_set_option (project, "features", "c, a");
  g_assert_true (job_project_load (project, NULL, &error));
  loader = job_loader_new (project);
  g_assert_true (job_loader_load (loader, targets, NULL, &error));
  spec = job_loader_get_element (loader, "a.bst");
  g_assert_cmpstr (job_element_spec_get_variable (spec, "greeting"), ==,
                   "hello debug");
  g_assert_cmpstr (job_element_spec_get_variable (spec, "features"), ==, "a,c");
  g_assert_cmpstr (job_element_spec_get_variable (spec, "has-a"), ==, "yes");
  g_clear_object (&loader);
  g_clear_object (&project);

  project = job_project_new (fixture->directory);
  job_project_set_option (project, "flavour", "sour");
  g_assert_false (job_project_load (project, NULL, &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA);
  assert_message_contains (error, "invalid value “sour” for option “flavour”");
  g_clear_error (&error);
  g_clear_object (&project);

  project = job_project_new (fixture->directory);
  job_project_set_option (project, "nosuch", "x");
  g_assert_false (job_project_load (project, NULL, &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA);
  assert_message_contains (error, "unknown option “nosuch”");
}

static void
test_composition (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;
  g_auto (GStrv) commands = NULL;
  g_autofree char *joined = NULL;
  JobElementSpec *spec;
  JobNode *env;

  write_file (fixture, "project.conf",
              "name: test\n"
              "variables:\n"
              "  prefix: /opt\n"
              "environment:\n"
              "  FROM_PROJECT: \"%{prefix}\"\n"
              "elements:\n"
              "  manual:\n"
              "    config:\n"
              "      build-commands:\n"
              "      - from-override\n"
              "    variables:\n"
              "      kind-var: kind\n"
              "(@): inc.yml\n",
              -1);
  write_file (fixture, "inc.yml", "variables:\n  included: yes-included\n", -1);
  write_file (fixture, "a.bst",
              "kind: manual\n"
              "variables:\n"
              "  mine: \"%{kind-var}-%{element-name}-%{project-name}\"\n"
              "config:\n"
              "  build-commands:\n"
              "    (<): [first]\n"
              "    (>): [\"last %{bindir}\"]\n"
              "environment-nocache: [MINE]\n",
              -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_no_error (error);
  spec = job_loader_get_element (loader, "a.bst");
  g_assert_cmpstr (job_element_spec_get_kind (spec), ==, "manual");
  g_assert_cmpstr (job_element_spec_get_variable (spec, "bindir"), ==,
                   "/opt/bin");
  g_assert_cmpstr (job_element_spec_get_variable (spec, "mine"), ==,
                   "kind-a.bst-test");
  g_assert_cmpstr (job_element_spec_get_variable (spec, "included"), ==,
                   "yes-included");
  g_assert_cmpstr (job_element_spec_get_variable (spec, "max-jobs"), !=, NULL);
  commands = job_node_get_string_list (job_element_spec_get_config (spec),
                                       "build-commands", &error);
  joined = g_strjoinv ("|", commands);
  /* The config is not expanded: the plugin expands what it uses. */
  g_assert_cmpstr (joined, ==, "first|from-override|last %{bindir}");
  env = job_element_spec_get_environment (spec);
  g_assert_cmpstr (job_node_get_string (env, "FROM_PROJECT", NULL, NULL), ==,
                   "/opt");
  g_assert_cmpstr (job_node_get_string (env, "MAKEFLAGS", NULL, NULL), !=,
                   NULL);
  g_assert_true (g_strv_contains (
      job_element_spec_get_environment_nocache (spec), "MINE"));
  g_assert_true (g_strv_contains (
      job_element_spec_get_environment_nocache (spec), "MAKEFLAGS"));
}

static const char *
first_runtime_rule (JobElementSpec *spec)
{
  JobNode *public_data = job_element_spec_get_public (spec);
  JobNode *bst = job_node_lookup (public_data, "bst");
  JobNode *rules =
      job_node_lookup (job_node_lookup (bst, "split-rules"), "runtime");

  return job_node_get_scalar (job_node_get_item (rules, 0));
}

static void
test_element_overrides_shared_defaults (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobProject) project = NULL;
  g_autoptr (JobLoader) loader = NULL;
  const char *targets[] = { "all.bst", NULL };
  JobElementSpec *plain, *custom, *later;

  /* Elements of one kind share the expansion of the kind's defaults; one
   * that overrides a variable must get its own. */
  write_file (fixture, "project.conf",
              "name: test\nenvironment:\n  BIN: \"%{bindir}\"\n", -1);
  write_file (fixture, "plain.bst", "kind: manual\n", -1);
  write_file (fixture, "custom.bst",
              "kind: manual\nvariables:\n  exec_prefix: /custom\n", -1);
  write_file (fixture, "later.bst", "kind: manual\n", -1);
  write_file (fixture, "all.bst",
              "kind: stack\ndepends: [plain.bst, custom.bst, later.bst]\n", -1);
  project = job_project_new (fixture->directory);
  g_assert_true (job_project_load (project, NULL, &error));
  loader = job_loader_new (project);
  g_assert_true (job_loader_load (loader, targets, NULL, &error));
  g_assert_no_error (error);
  plain = job_loader_get_element (loader, "plain.bst");
  custom = job_loader_get_element (loader, "custom.bst");
  later = job_loader_get_element (loader, "later.bst");
  g_assert_cmpstr (job_element_spec_get_variable (plain, "bindir"), ==,
                   "/usr/bin");
  g_assert_cmpstr (job_element_spec_get_variable (custom, "bindir"), ==,
                   "/custom/bin");
  g_assert_cmpstr (job_element_spec_get_variable (custom, "libdir"), ==,
                   "/usr/lib");
  g_assert_cmpstr (job_element_spec_get_variable (later, "bindir"), ==,
                   "/usr/bin");
  g_assert_cmpstr (first_runtime_rule (plain), ==, "/usr/bin/*");
  g_assert_cmpstr (first_runtime_rule (custom), ==, "/custom/bin/*");
  g_assert_cmpstr (first_runtime_rule (later), ==, "/usr/bin/*");
  g_assert_cmpstr (
      job_node_get_string (job_element_spec_get_environment (custom), "BIN",
                           NULL, NULL),
      ==, "/custom/bin");
  g_assert_cmpstr (
      job_node_get_string (job_element_spec_get_environment (later), "BIN",
                           NULL, NULL),
      ==, "/usr/bin");
  g_assert_cmpstr (job_element_spec_get_variable (custom, "build-root"), ==,
                   "/buildstream/test/custom.bst");
  g_assert_cmpstr (job_element_spec_get_variable (later, "build-root"), ==,
                   "/buildstream/test/later.bst");
}

static void
test_plugins_and_includes (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (JobSourceSpec) source = NULL;
  JobElementSpec *spec;
  JobNode *config;

  write_file (fixture, "project.conf",
              "name: test\n"
              "plugins:\n"
              "- origin: core\n"
              "  elements:\n"
              "    manual: 0\n"
              "- origin: local\n"
              "  path: plugins\n"
              "  elements:\n"
              "    mykind: 0\n"
              "sources:\n"
              "  git:\n"
              "    config:\n"
              "      checkout-submodules: false\n",
              -1);
  write_file (fixture, "plugins/mykind.yaml",
              "variables:\n  greeting: hello from mykind\n"
              "config:\n  steps: [one]\n",
              -1);
  write_file (fixture, "common/sources.yml",
              "sources:\n- kind: git\n  url: https://example.com/repo.git\n  "
              "track: main\n",
              -1);
  write_file (fixture, "a.bst",
              "kind: mykind\n"
              "(@): common/sources.yml\n"
              "config:\n"
              "  steps:\n"
              "    (>): [two]\n",
              -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_no_error (error);
  spec = job_loader_get_element (loader, "a.bst");
  g_assert_cmpstr (job_element_spec_get_kind (spec), ==, "mykind");
  g_assert_cmpstr (job_element_spec_get_variable (spec, "greeting"), ==,
                   "hello from mykind");
  config = job_element_spec_get_config (spec);
  g_assert_cmpuint (job_node_get_n_items (job_node_lookup (config, "steps")),
                    ==, 2);
  source = g_list_model_get_item (job_element_spec_get_sources (spec), 0);
  g_assert_cmpstr (job_source_spec_get_kind (source), ==, "git");
  g_assert_cmpstr (job_node_get_string (job_source_spec_get_config (source),
                                        "checkout-submodules", NULL, NULL),
                   ==, "false");
  g_assert_cmpstr (job_node_get_string (job_source_spec_get_config (source),
                                        "track", NULL, NULL),
                   ==, "main");
  g_assert_cmpstr (job_source_spec_get_provenance (source), ==,
                   "common/sources.yml [line 2 column 3]");
}

static char *
names_of (GListModel *list)
{
  GString *names = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (JobElementSpec) spec = g_list_model_get_item (list, i);

      if (i > 0)
        g_string_append_c (names, ' ');
      g_string_append (names, job_element_spec_get_name (spec));
    }
  return g_string_free (names, FALSE);
}

static char *
list_names (JobLoader *loader, const char *target, JobDeps deps)
{
  const char *targets[] = { target, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) list =
      job_loader_list_dependencies (loader, targets, deps, &error);

  g_assert_no_error (error);
  return names_of (list);
}

static void
test_sample_project (void)
{
  g_autofree char *directory =
      g_test_build_filename (G_TEST_DIST, "projects", "sample", NULL);
  g_autoptr (JobProject) project = job_project_new (directory);
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (GError) error = NULL;
  const char *targets[] = { "all.bst", NULL };
  JobElementSpec *app, *lib;
  g_autofree char *all = NULL;
  g_autofree char *run = NULL;
  g_autofree char *build = NULL;
  g_autofree char *none = NULL;
  g_autoptr (JobSourceSpec) source = NULL;
  g_autofree char *url = NULL;

  job_project_set_option (project, "arch", "aarch64");
  g_assert_true (job_project_load (project, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (job_project_get_name (project), ==, "sample");
  loader = job_loader_new (project);
  g_assert_true (job_loader_load (loader, targets, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (job_loader_get_n_elements (loader), ==, 5);

  all = list_names (loader, "all.bst", JOB_DEPS_ALL);
  g_assert_cmpstr (all, ==, "base.bst tools.bst lib.bst app.bst all.bst");
  run = list_names (loader, "app.bst", JOB_DEPS_RUN);
  g_assert_cmpstr (run, ==, "base.bst app.bst");
  build = list_names (loader, "app.bst", JOB_DEPS_BUILD);
  g_assert_cmpstr (build, ==, "base.bst tools.bst lib.bst");
  none = list_names (loader, "app.bst", JOB_DEPS_NONE);
  g_assert_cmpstr (none, ==, "app.bst");

  app = job_loader_get_element (loader, "app.bst");
  g_assert_cmpstr (job_element_spec_get_build_dependencies (app)[0], ==,
                   "tools.bst");
  g_assert_cmpstr (job_element_spec_get_build_dependencies (app)[1], ==,
                   "lib.bst");
  g_assert_null (job_element_spec_get_build_dependencies (app)[2]);
  g_assert_cmpstr (job_element_spec_get_runtime_dependencies (app)[0], ==,
                   "base.bst");
  g_assert_null (job_element_spec_get_runtime_dependencies (app)[1]);
  g_assert_cmpstr (job_element_spec_get_variable (app, "target-arch"), ==,
                   "aarch64");
  g_assert_cmpstr (job_element_spec_get_variable (app, "build-root"), ==,
                   "/buildstream/sample/app.bst");
  g_assert_cmpstr (job_element_spec_get_provenance (app), ==,
                   "app.bst [line 1 column 1]");

  lib = job_loader_get_element (loader, "lib.bst");
  g_assert_cmpstr (job_element_spec_get_variable (lib, "conf-local"), ==,
                   "--enable-lib");
  g_assert_cmpuint (
      g_list_model_get_n_items (job_element_spec_get_sources (lib)), ==, 1);
  source = g_list_model_get_item (job_element_spec_get_sources (lib), 0);
  g_assert_cmpstr (job_source_spec_get_kind (source), ==, "tar");
  g_assert_cmpstr (job_node_get_string (job_source_spec_get_config (source),
                                        "base-dir", NULL, NULL),
                   ==, "*");
  url = job_project_translate_url (
      project, job_node_get_string (job_source_spec_get_config (source), "url",
                                    NULL, NULL));
  g_assert_cmpstr (
      url, ==,
      "https://download.gnome.org/sources/glib/2.74/glib-2.74.0.tar.xz");
  g_assert_cmpstr (job_node_get_string (job_element_spec_get_environment (lib),
                                        "SAMPLE_AUTOTOOLS", NULL, NULL),
                   ==, "1");
  g_assert_cmpstr (job_node_get_string (job_element_spec_get_environment (lib),
                                        "SAMPLE_COMMON", NULL, NULL),
                   ==, "common");
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_load_async (void)
{
  g_autofree char *directory =
      g_test_build_filename (G_TEST_DIST, "projects", "sample", NULL);
  g_autoptr (JobProject) project = job_project_new (directory);
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  const char *targets[] = { "all.bst", NULL };
  const char *missing[] = { "missing.bst", NULL };

  g_assert_true (job_project_load (project, NULL, &error));
  loader = job_loader_new (project);
  job_loader_load_async (loader, targets, NULL, on_loaded, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (job_loader_load_finish (loader, result, &error));
  g_assert_no_error (error);
  g_assert_nonnull (job_loader_get_element (loader, "app.bst"));
  g_clear_object (&result);

  job_loader_load_async (loader, missing, NULL, on_loaded, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (job_loader_load_finish (loader, result, &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_MISSING_FILE);
  g_clear_error (&error);
  g_clear_object (&result);
  g_clear_object (&loader);

  loader = job_loader_new (project);
  g_cancellable_cancel (cancellable);
  job_loader_load_async (loader, targets, cancellable, on_loaded, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (job_loader_load_finish (loader, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_pickle_spec (void)
{
  g_autofree char *directory =
      g_test_build_filename (G_TEST_DIST, "projects", "sample", NULL);
  g_autoptr (JobProject) project = job_project_new (directory);
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (GError) error = NULL;
  const char *targets[] = { "lib.bst", NULL };
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GObject) copy = NULL;
  JobElementSpec *spec, *rebuilt;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (JobSourceSpec) source = NULL;

  g_assert_true (job_project_load (project, NULL, &error));
  loader = job_loader_new (project);
  g_assert_true (job_loader_load (loader, targets, NULL, &error));
  spec = job_loader_get_element (loader, "lib.bst");
  bytes = job_pickle_dumps (G_OBJECT (spec), &error);
  g_assert_no_error (error);
  copy = job_pickle_loads (bytes, &error);
  g_assert_no_error (error);
  g_assert_true (JOB_IS_ELEMENT_SPEC (copy));
  rebuilt = JOB_ELEMENT_SPEC (copy);
  g_assert_cmpstr (job_element_spec_get_name (rebuilt), ==, "lib.bst");
  g_assert_cmpstr (job_element_spec_get_variable (rebuilt, "conf-local"), ==,
                   "--enable-lib");
  before = job_node_to_yaml (job_element_spec_get_config (spec), TRUE);
  after = job_node_to_yaml (job_element_spec_get_config (rebuilt), TRUE);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpstr (job_element_spec_get_build_dependencies (rebuilt)[0], ==,
                   "base.bst");
  source = g_list_model_get_item (job_element_spec_get_sources (rebuilt), 0);
  g_assert_cmpstr (job_source_spec_get_kind (source), ==, "tar");
  g_assert_cmpstr (job_source_spec_get_provenance (source), ==,
                   "lib.bst [line 6 column 3]");

  /* The project and the loader refuse to be pickled. */
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = job_pickle_dumps (G_OBJECT (loader), &error);
  g_assert_null (bytes);
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNSERIALIZABLE);
}

static void
test_long_chain (Fixture *fixture, gconstpointer data)
{
#if defined(__SANITIZE_ADDRESS__)
  /* Sanitizers make each element ~10 times slower; the plain build loads
   * the full 100,000. */
  const guint n = 20000;
#else
  const guint n = 100000;
#endif
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (GListModel) list = NULL;
  const char *targets[] = { "e0.bst", NULL };
  g_autoptr (JobElementSpec) last = NULL;

  write_file (fixture, "project.conf", "name: test\n", -1);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%u.bst", i);
      g_autofree char *text =
          i + 1 < n
              ? g_strdup_printf ("kind: stack\ndepends: [e%u.bst]\n", i + 1)
              : g_strdup ("kind: stack\n");

      write_file (fixture, name, text, -1);
    }
  loader = load (fixture, "e0.bst", &error);
  g_assert_no_error (error);
  list = job_loader_list_dependencies (loader, targets, JOB_DEPS_PLAN, &error);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, n);
  last = g_list_model_get_item (list, n - 1);
  g_assert_cmpstr (job_element_spec_get_name (last), ==, "e0.bst");
}

static void
test_duplicate_names_and_bad_dependency (Fixture *fixture, gconstpointer data)
{
  assert_element_error (
      fixture, "kind: stack\ndepends:\n- filename: b.bst\n  type: sometimes\n",
      JOB_LOAD_ERROR_INVALID_DATA,
      "a.bst [line 4 column 9]: dependency type “sometimes”");
  assert_element_error (
      fixture, "kind: stack\ndepends:\n- ../outside.bst\n",
      JOB_LOAD_ERROR_INVALID_DATA,
      "a.bst [line 3 column 3]: invalid element name “../outside.bst”");
}

/* The ref of source N of ELEMENT under projects.PROJECT in project.refs,
 * or NULL. */
static char *
source_ref (JobLoader *loader, const char *element, guint n)
{
  JobElementSpec *spec = job_loader_get_element (loader, element);
  g_autoptr (JobSourceSpec) source =
      g_list_model_get_item (job_element_spec_get_sources (spec), n);

  return g_strdup (job_node_get_string (job_source_spec_get_config (source),
                                        "ref", NULL, NULL));
}

/* ref-storage: project.refs takes every source's ref from project.refs,
 * with options applied, and ignores refs written in elements, as
 * BuildStream does; a missing file means no refs. */
static void
test_project_refs (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;
  g_autofree char *first = NULL, *second = NULL, *other = NULL;

  write_file (fixture, "project.conf",
              "name: test\n"
              "ref-storage: project.refs\n"
              "options:\n"
              "  new:\n"
              "    type: bool\n"
              "    description: newer refs\n"
              "    default: false\n",
              -1);
  write_file (fixture, "a.bst",
              "kind: import\n"
              "depends: [b.bst]\n"
              "sources:\n"
              "- kind: tar\n  url: file:///a.tar\n  ref: inline-ignored\n"
              "- kind: tar\n  url: file:///b.tar\n",
              -1);
  write_file (fixture, "b.bst",
              "kind: import\n"
              "sources:\n- kind: tar\n  url: file:///c.tar\n  ref: inline\n",
              -1);

  /* No project.refs yet: no refs at all. */
  loader = load (fixture, "a.bst", &error);
  g_assert_no_error (error);
  first = source_ref (loader, "a.bst", 0);
  g_assert_null (first);
  g_clear_object (&loader);

  write_file (fixture, "project.refs",
              "projects:\n"
              "  test:\n"
              "    a.bst:\n"
              "    - ref: first\n"
              "    - (?):\n"
              "      - new:\n"
              "          ref: second-new\n"
              "      ref: second\n"
              "  elsewhere:\n"
              "    b.bst:\n"
              "    - ref: not-this-project\n",
              -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_no_error (error);
  first = source_ref (loader, "a.bst", 0);
  second = source_ref (loader, "a.bst", 1);
  other = source_ref (loader, "b.bst", 0);
  g_assert_cmpstr (first, ==, "first");
  g_assert_cmpstr (second, ==, "second");
  g_assert_null (other);
  g_clear_object (&loader);
  {
    g_autoptr (JobProject) project = job_project_new (fixture->directory);
    const char *targets[] = { "a.bst", NULL };
    g_autofree char *newer = NULL;

    job_project_set_option (project, "new", "true");
    g_assert_true (job_project_load (project, NULL, &error));
    loader = job_loader_new (project);
    g_assert_true (job_loader_load (loader, targets, NULL, &error));
    newer = source_ref (loader, "a.bst", 1);
    g_assert_cmpstr (newer, ==, "second-new");
    g_clear_object (&loader);
  }

  /* Malformed: an error that says where. */
  write_file (fixture, "project.refs",
              "projects:\n  test:\n    a.bst: {ref: x}\n", -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_null (loader);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA);
  assert_message_prefix (error, "project.refs [line 3 column 12]:");
  g_clear_error (&error);

  write_file (fixture, "project.refs", "refs: {}\n", -1);
  loader = load (fixture, "a.bst", &error);
  g_assert_null (loader);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA);
  assert_message_prefix (error, "project.refs [line 1 column 1]:");
}

/* A project with a junction to a project of its own directory, which has
 * one in turn. */
static void
write_junction_projects (Fixture *fixture)
{
  write_file (fixture, "project.conf", "name: top\nelement-path: elements\n",
              -1);
  write_file (fixture, "elements/sub.bst",
              "kind: junction\n"
              "sources:\n"
              "- kind: local\n"
              "  path: sub\n"
              "config:\n"
              "  options:\n"
              "    flavour: big\n",
              -1);
  write_file (fixture, "elements/app.bst",
              "kind: stack\n"
              "depends:\n"
              "- filename: lib.bst\n"
              "  junction: sub.bst\n"
              "- sub.bst:tool.bst\n",
              -1);
  write_file (fixture, "sub/project.conf",
              "name: sub\n"
              "element-path: elements\n"
              "options:\n"
              "  flavour:\n"
              "    type: enum\n"
              "    description: which flavour\n"
              "    values: [small, big]\n"
              "    default: small\n",
              -1);
  write_file (fixture, "sub/elements/lib.bst",
              "kind: stack\n"
              "variables:\n"
              "  (?):\n"
              "  - flavour == \"big\":\n"
              "      size: big\n",
              -1);
  write_file (fixture, "sub/elements/tool.bst",
              "kind: stack\n"
              "depends:\n"
              "- lib.bst\n"
              "- inner.bst:deep.bst\n",
              -1);
  write_file (fixture, "sub/elements/inner.bst",
              "kind: junction\n"
              "sources:\n"
              "- kind: local\n"
              "  path: inner\n",
              -1);
  write_file (fixture, "sub/inner/project.conf", "name: inner\n", -1);
  write_file (fixture, "sub/inner/deep.bst", "kind: stack\n", -1);
}

static const char *
variable (JobElementSpec *spec, const char *name)
{
  return job_node_get_string (job_element_spec_get_variables (spec), name, NULL,
                              NULL);
}

static void
test_junctions (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (JobLoader) direct = NULL;
  g_autofree char *plan = NULL;
  JobElementSpec *lib, *app;
  JobProject *project;

  write_junction_projects (fixture);
  loader = load (fixture, "app.bst", &error);
  g_assert_no_error (error);

  /* Names in the whole graph go through the junctions, nested ones too. */
  plan = list_names (loader, "app.bst", JOB_DEPS_PLAN);
  g_assert_cmpstr (plan, ==,
                   "sub.bst:lib.bst sub.bst:inner.bst:deep.bst "
                   "sub.bst:tool.bst app.bst");
  app = job_loader_get_element (loader, "app.bst");
  g_assert_true (g_strv_contains (job_element_spec_get_build_dependencies (app),
                                  "sub.bst:lib.bst"));
  g_assert_true (
      g_strv_contains (job_element_spec_get_build_dependencies (
                           job_loader_get_element (loader, "sub.bst:tool.bst")),
                       "sub.bst:inner.bst:deep.bst"));
  g_assert_null (job_loader_get_element (loader, "sub.bst"));

  /* Each element is composed in its own project, with the junction's
   * options. */
  lib = job_loader_get_element (loader, "sub.bst:lib.bst");
  g_assert_cmpstr (variable (lib, "project-name"), ==, "sub");
  g_assert_cmpstr (variable (lib, "element-name"), ==, "lib.bst");
  g_assert_cmpstr (variable (lib, "size"), ==, "big");
  g_assert_cmpstr (variable (app, "project-name"), ==, "top");
  g_assert_cmpstr (job_element_spec_get_provenance (lib), ==,
                   "sub.bst:lib.bst [line 1 column 1]");

  project = job_loader_get_element_project (loader, "app.bst");
  g_assert_true (project == job_loader_get_project (loader));
  project = job_loader_get_element_project (loader, "sub.bst:lib.bst");
  g_assert_cmpstr (job_project_get_name (project), ==, "sub");
  g_assert_true (
      project == job_loader_get_element_project (loader, "sub.bst:tool.bst"));
  project =
      job_loader_get_element_project (loader, "sub.bst:inner.bst:deep.bst");
  g_assert_cmpstr (job_project_get_name (project), ==, "inner");
  g_assert_null (job_loader_get_element_project (loader, "nothing.bst"));

  /* A target can name an element through a junction. */
  direct = load (fixture, "sub.bst:tool.bst", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (job_loader_get_n_elements (direct), ==, 3);
}

/* A junction with more than one local directory is staged into the
 * loader's cache, named after its sources' keys, and loaded from there. */
static void
test_junction_staged (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobProject) project = NULL;
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autofree char *cache_dir =
      g_build_filename (fixture->directory, "cache", NULL);
  g_autofree char *junctions = g_build_filename (cache_dir, "junctions", NULL);
  g_autofree char *staged = NULL;
  g_autofree char *note = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *targets[] = { "two.bst:lib.bst", NULL };
  JobProject *sub;

  write_junction_projects (fixture);
  write_file (fixture, "extra/note.txt", "from the second source\n", -1);
  write_file (fixture, "elements/two.bst",
              "kind: junction\n"
              "sources:\n"
              "- kind: local\n"
              "  path: sub\n"
              "- kind: local\n"
              "  path: extra\n"
              "  directory: extra\n",
              -1);
  project = job_project_new (fixture->directory);
  g_assert_true (job_project_load (project, NULL, &error));
  cache = job_artifact_cache_new (cache_dir, NULL, &error);
  g_assert_no_error (error);
  loader = job_loader_new (project);
  job_loader_set_cache (loader, cache);
  g_assert_true (job_loader_load (loader, targets, NULL, &error));
  g_assert_no_error (error);

  dir = g_dir_open (junctions, 0, &error);
  g_assert_no_error (error);
  staged = g_build_filename (junctions, g_dir_read_name (dir), NULL);
  g_assert_null (g_dir_read_name (dir));
  sub = job_loader_get_element_project (loader, "two.bst:lib.bst");
  g_assert_cmpstr (job_project_get_name (sub), ==, "sub");
  g_assert_cmpstr (job_project_get_directory (sub), ==, staged);
  note = g_build_filename (staged, "extra", "note.txt", NULL);
  g_assert_true (g_file_test (note, G_FILE_TEST_IS_REGULAR));
}

static void
assert_target_error (Fixture *fixture,
                     const char *target,
                     int code,
                     const char *part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobLoader) loader = load (fixture, target, &error);

  g_assert_null (loader);
  g_assert_error (error, JOB_LOAD_ERROR, code);
  assert_message_contains (error, part);
}

static void
test_junction_errors (Fixture *fixture, gconstpointer data)
{
  write_junction_projects (fixture);

  assert_target_error (fixture, "sub.bst", JOB_LOAD_ERROR_INVALID_DATA,
                       "“sub.bst” is a junction, not an element to build");
  write_file (fixture, "elements/on-junction.bst",
              "kind: stack\ndepends:\n- sub.bst\n", -1);
  assert_target_error (fixture, "on-junction.bst", JOB_LOAD_ERROR_INVALID_DATA,
                       "on-junction.bst [line 3 column 3]: “sub.bst” is a "
                       "junction");
  write_file (fixture, "elements/through-app.bst",
              "kind: stack\ndepends:\n- app.bst:x.bst\n", -1);
  assert_target_error (fixture, "through-app.bst", JOB_LOAD_ERROR_INVALID_DATA,
                       "through-app.bst [line 3 column 3]: “app.bst” is used "
                       "as a junction, but it is an element of kind “stack”");
  assert_target_error (fixture, "sub.bst:nothing.bst",
                       JOB_LOAD_ERROR_MISSING_FILE,
                       "could not find element “sub.bst:nothing.bst”");
  assert_target_error (fixture, "nothing.bst:x.bst",
                       JOB_LOAD_ERROR_MISSING_FILE,
                       "could not find junction “nothing.bst”");
  assert_target_error (fixture, "sub.bst::x.bst", JOB_LOAD_ERROR_INVALID_DATA,
                       "missing around “:”");

  write_file (fixture, "elements/tar.bst",
              "kind: junction\nsources:\n- kind: tar\n  url: file:///x.tar\n",
              -1);
  /* Fetched and staged: only with a cache to keep them in. */
  assert_target_error (fixture, "tar.bst:x.bst", JOB_LOAD_ERROR_INVALID_DATA,
                       "tar.bst [line 1 column 1]: junction “tar.bst” has "
                       "sources to fetch and stage, and the loader has no "
                       "artifact cache");
  write_file (fixture, "elements/deps.bst",
              "kind: junction\nsources:\n- kind: local\n  path: sub\n"
              "depends:\n- app.bst\n",
              -1);
  assert_target_error (fixture, "deps.bst:lib.bst", JOB_LOAD_ERROR_INVALID_DATA,
                       "deps.bst [line 6 column 1]: a junction cannot have "
                       "dependencies");
  write_file (fixture, "elements/outside.bst",
              "kind: junction\nsources:\n- kind: local\n  path: ../..\n", -1);
  assert_target_error (fixture, "outside.bst:x.bst",
                       JOB_LOAD_ERROR_INVALID_DATA,
                       "leads outside the project directory");
  write_file (fixture, "elements/no-project.bst",
              "kind: junction\nsources:\n- kind: local\n  path: elements\n",
              -1);
  assert_target_error (fixture, "no-project.bst:x.bst",
                       JOB_LOAD_ERROR_INVALID_DATA,
                       "no-project.bst [line 3 column 3]: junction "
                       "“no-project.bst” leads to ");
  write_file (fixture, "elements/self.bst",
              "kind: junction\nsources:\n- kind: local\n  path: .\n", -1);
  assert_target_error (fixture, "self.bst:app.bst", JOB_LOAD_ERROR_INVALID_DATA,
                       "junctions cannot go round in a circle");
  write_file (fixture, "elements/bad-option.bst",
              "kind: junction\nsources:\n- kind: local\n  path: sub\n"
              "config:\n  options:\n    flavour: huge\n",
              -1);
  assert_target_error (fixture, "bad-option.bst:lib.bst",
                       JOB_LOAD_ERROR_INVALID_DATA,
                       "bad-option.bst [line 1 column 1]: in the project of "
                       "junction “bad-option.bst”: ");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func)                                                        \
  g_test_add ("/job/loader/" path, Fixture, NULL, fixture_set_up, func,        \
              fixture_tear_down)
  ADD ("malformed-yaml", test_malformed_yaml);
  ADD ("project-refs", test_project_refs);
  ADD ("wrong-type", test_wrong_type);
  ADD ("unknown-key", test_unknown_key);
  ADD ("undefined-variable", test_undefined_variable);
  ADD ("undefined-variable-in-config", test_undefined_variable_in_config);
  ADD ("variable-cycle", test_variable_cycle);
  ADD ("dependency-cycle", test_dependency_cycle);
  ADD ("missing-element", test_missing_element);
  ADD ("missing-target", test_missing_target);
  ADD ("include-cycle", test_include_cycle);
  ADD ("outside-project", test_outside_project);
  ADD ("bad-conditional", test_bad_conditional);
  ADD ("not-utf8", test_not_utf8);
  ADD ("empty-file", test_empty_file);
  ADD ("empty-project-conf", test_empty_project_conf);
  ADD ("garbage", test_garbage);
  ADD ("garbage-text", test_garbage_text);
  ADD ("protected-variable", test_protected_variable);
  ADD ("unknown-kind", test_unknown_kind);
  ADD ("trailing-directive", test_trailing_directive);
  ADD ("assertion", test_assertion);
  ADD ("format-version", test_format_version);
  ADD ("missing-project-conf", test_missing_project_conf);
  ADD ("options", test_options);
  ADD ("composition", test_composition);
  ADD ("plugins-and-includes", test_plugins_and_includes);
  ADD ("element-overrides-shared-defaults",
       test_element_overrides_shared_defaults);
  ADD ("bad-dependency", test_duplicate_names_and_bad_dependency);
  ADD ("long-chain", test_long_chain);
  ADD ("junctions", test_junctions);
  ADD ("junction-errors", test_junction_errors);
  ADD ("junction-staged", test_junction_staged);
#undef ADD
  g_test_add_func ("/job/loader/sample-project", test_sample_project);
  g_test_add_func ("/job/loader/pickle-spec", test_pickle_spec);
  g_test_add_func ("/job/loader/load-async", test_load_async);
  return g_test_run ();
}
