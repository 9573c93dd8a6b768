/* test-core-plugins.c: the core element and source plugins, made the way
 * the scheduler makes them, pickled, fetched, staged, tracked and built */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libjob/job.h>

#define BUSYBOX "/bin/busybox"

typedef struct
{
  char *dir;     /* holds everything below */
  char *project; /* the project directory */
  char *files;   /* archives and repositories outside the project */
  char *cache;   /* the artifact and source cache */
  gboolean pool; /* build with the worker pool */
} Fixture;

/* Helpers */

static void
remove_tree (const char *path)
{
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *command =
      g_strdup_printf ("if [ -e %s ]; then chmod -R u+rwx %s; fi; rm -rf %s",
                       quoted, quoted, quoted);
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  g_autoptr (GError) error = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
}

/* Runs a shell command in @cwd (git with a fixed identity) and returns its
 * stripped output. */
static char *
run (const char *cwd, const char *command)
{
  const char *argv[] = { "/bin/sh", "-e", "-c", command, NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_auto (GStrv) env = g_get_environ ();
  int status;

  env = g_environ_setenv (env, "GIT_AUTHOR_NAME", "Test", TRUE);
  env = g_environ_setenv (env, "GIT_AUTHOR_EMAIL", "test@example.com", TRUE);
  env = g_environ_setenv (env, "GIT_COMMITTER_NAME", "Test", TRUE);
  env = g_environ_setenv (env, "GIT_COMMITTER_EMAIL", "test@example.com", TRUE);
  env = g_environ_setenv (env, "GIT_CONFIG_NOSYSTEM", "1", TRUE);
  env = g_environ_setenv (env, "GIT_CONFIG_GLOBAL", "/dev/null", TRUE);
  g_spawn_sync (cwd, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out,
                &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("command failed: %s: %s", command, err);
  return g_strdup (g_strstrip (out));
}

static void
write_file (const char *dir, const char *relative, const char *content)
{
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_file_set_contents (path, content, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *dir, const char *relative)
{
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  g_autoptr (GError) error = NULL;
  char *content = NULL;

  g_file_get_contents (path, &content, NULL, &error);
  g_assert_no_error (error);
  return content;
}

static void
assert_file (const char *dir, const char *relative, const char *expected)
{
  g_autofree char *content = read_file (dir, relative);

  g_assert_cmpstr (content, ==, expected);
}

static gboolean
exists (const char *dir, const char *relative)
{
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  struct stat st;

  return lstat (path, &st) == 0;
}

static void
make_sysroot (const char *root)
{
  const char *applets[] = { "sh",   "echo", "cat",  "mkdir", "cp",
                            "true", "pwd",  "test", "ls" };
  g_autofree char *bin = g_build_filename (root, "bin", NULL);
  g_autofree char *busybox = g_build_filename (bin, "busybox", NULL);
  g_autoptr (GFile) src = g_file_new_for_path (BUSYBOX);
  g_autoptr (GFile) dst = g_file_new_for_path (busybox);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (bin, 0755), ==, 0);
  g_file_copy (src, dst, G_FILE_COPY_ALL_METADATA, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (applets); i++)
    {
      g_autofree char *link_path = g_build_filename (bin, applets[i], NULL);
      g_assert_cmpint (symlink ("busybox", link_path), ==, 0);
    }
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *conf = NULL;

  f->dir = g_dir_make_tmp ("job-core-plugins-XXXXXX", &error);
  g_assert_no_error (error);
  f->project = g_build_filename (f->dir, "project", NULL);
  f->files = g_build_filename (f->dir, "files", NULL);
  f->cache = g_build_filename (f->dir, "cache", NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->files, 0755), ==, 0);
  conf = g_strdup_printf ("name: test\n"
                          "element-path: elements\n"
                          "aliases:\n"
                          "  outside: file://%s/\n",
                          f->files);
  write_file (f->project, "project.conf", conf);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->project);
  g_free (f->files);
  g_free (f->cache);
}

static void
write_element (Fixture *f, const char *name, const char *content)
{
  g_autofree char *relative = g_build_filename ("elements", name, NULL);

  write_file (f->project, relative, content);
}

/* Loads the project and prepares @target: every plugin instance is made,
 * configured and preflighted by the scheduler. */
static JobScheduler *
prepare (Fixture *f, const char *target, GError **error)
{
  g_autoptr (JobProject) project = job_project_new (f->project);
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (JobScheduler) scheduler = NULL;
  const char *targets[] = { target, NULL };

  if (!job_project_load (project, NULL, error))
    return NULL;
  loader = job_loader_new (project);
  if (!job_loader_load (loader, targets, NULL, error))
    return NULL;
  cache = job_artifact_cache_new (f->cache, NULL, error);
  if (cache == NULL)
    return NULL;
  /* The worker pool for the pool test; threads of this process otherwise. */
  if (f->pool)
    backend = JOB_BACKEND (job_worker_pool_new ());
  else
    backend = JOB_BACKEND (job_inline_backend_new ());
  scheduler = job_scheduler_new (loader, cache, backend);
  if (!job_scheduler_prepare (scheduler, targets, error))
    return NULL;
  return g_steal_pointer (&scheduler);
}

static JobScheduler *
prepare_ok (Fixture *f, const char *target)
{
  g_autoptr (GError) error = NULL;
  JobScheduler *scheduler = prepare (f, target, &error);

  g_assert_no_error (error);
  g_assert_nonnull (scheduler);
  return scheduler;
}

static void
prepare_fails (Fixture *f, const char *target, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobScheduler) scheduler = prepare (f, target, &error);

  g_assert_null (scheduler);
  g_assert_nonnull (error);
  if (strstr (error->message, expected) == NULL)
    g_error ("expected “%s” in the error: %s", expected, error->message);
}

static JobSource *
get_source (JobScheduler *scheduler, const char *element, guint index_)
{
  JobElement *e = job_scheduler_get_element (scheduler, element);
  JobSource *source;

  g_assert_nonnull (e);
  source = g_list_model_get_item (job_element_get_sources (e), index_);
  g_assert_nonnull (source);
  g_object_unref (source); /* the element keeps it */
  return source;
}

/* A remote URL loads, keys and shows; only fetching it fails, clearly. */
static void
fetch_fails (Fixture *f, const char *target, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobScheduler) scheduler = prepare_ok (f, target);
  JobSource *source = get_source (scheduler, target, 0);

  g_assert_false (job_source_fetch (source, NULL, &error));
  g_assert_nonnull (error);
  if (strstr (error->message, expected) == NULL)
    g_error ("expected “%s” in the error: %s", expected, error->message);
}

static void
assert_error_contains (GError *error, const char *expected)
{
  g_assert_nonnull (error);
  if (strstr (error->message, expected) == NULL)
    g_error ("expected “%s” in the error: %s", expected, error->message);
}

/* Builds @target with the inline backend and checks its artifact out into
 * <dir>/<name>. */
static gboolean
build (Fixture *f,
       JobScheduler *scheduler,
       const char *target,
       char **out_checkout,
       GError **error)
{
  g_autoptr (JobArtifactCache) cache = NULL;
  g_autofree char *dest = NULL;

  if (!job_scheduler_build (scheduler, NULL, error))
    return FALSE;
  cache = job_artifact_cache_new (f->cache, NULL, error);
  g_assert_nonnull (cache);
  dest = g_build_filename (f->dir, "checkout", target, NULL);
  remove_tree (dest);
  g_assert_true (job_artifact_cache_checkout (
      cache, job_scheduler_get_cache_key (scheduler, target), dest, NULL,
      error));
  *out_checkout = g_steal_pointer (&dest);
  return TRUE;
}

static void
fetch_all (JobScheduler *scheduler, const char *element)
{
  GListModel *sources =
      job_element_get_sources (job_scheduler_get_element (scheduler, element));

  for (guint i = 0; i < g_list_model_get_n_items (sources); i++)
    {
      g_autoptr (JobSource) source = g_list_model_get_item (sources, i);
      g_autoptr (GError) error = NULL;

      g_assert_true (job_source_fetch (source, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (job_source_is_cached (source));
    }
}

/* Fixtures: an archive, a repository and a patch */

/* files/hello.tar.gz: hello-1.0/{README,src/main.c,bin/run (executable)} */
static char *
make_archive (Fixture *f)
{
  write_file (f->files, "tree/hello-1.0/README", "hello\nworld\n");
  write_file (f->files, "tree/hello-1.0/src/main.c",
              "int main (void) { return 0; }\n");
  write_file (f->files, "tree/hello-1.0/bin/run", "#!/bin/sh\necho run\n");
  g_free (run (f->files, "chmod 755 tree/hello-1.0/bin/run && tar -C tree -czf "
                         "hello.tar.gz hello-1.0"));
  return run (f->files, "sha256sum hello.tar.gz | cut -d' ' -f1");
}

/* files/repo: a git repository, branch main; returns the head commit. */
static char *
make_repository (Fixture *f)
{
  write_file (f->files, "repo/README", "first\n");
  write_file (f->files, "repo/lib/code.c", "int x;\n");
  return run (f->files, "cd repo && git init -q -b main . && git add -A && git "
                        "commit -q -m first "
                        "&& git rev-parse HEAD");
}

static const char patch_text[] = "--- a/README\n"
                                 "+++ b/README\n"
                                 "@@ -1,2 +1,2 @@\n"
                                 " hello\n"
                                 "-world\n"
                                 "+patched world\n";

/* Pickling */

static void compare_objects (GObject *a, GObject *b);

static void
compare_values (const char *name,
                const GValue *va,
                const GValue *vb,
                GParamSpec *pspec)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);

  if (type == G_TYPE_STRV)
    g_assert_true (
        g_strv_equal (g_value_get_boxed (va) ? g_value_get_boxed (va)
                                             : (const char *[]){ NULL },
                      g_value_get_boxed (vb) ? g_value_get_boxed (vb)
                                             : (const char *[]){ NULL }));
  else if (type == JOB_TYPE_NODE)
    {
      JobNode *na = g_value_get_boxed (va), *nb = g_value_get_boxed (vb);
      g_autofree char *ya = na != NULL ? job_node_to_yaml (na, TRUE) : NULL;
      g_autofree char *yb = nb != NULL ? job_node_to_yaml (nb, TRUE) : NULL;

      g_assert_cmpstr (ya, ==, yb);
    }
  else if (G_IS_PARAM_SPEC_VARIANT (pspec))
    {
      GVariant *a = g_value_get_variant (va), *b = g_value_get_variant (vb);

      g_assert_true ((a == NULL && b == NULL)
                     || (a != NULL && b != NULL && g_variant_equal (a, b)));
    }
  else if (g_type_is_a (type, G_TYPE_LIST_MODEL))
    {
      GListModel *la = g_value_get_object (va), *lb = g_value_get_object (vb);
      guint n = la != NULL ? g_list_model_get_n_items (la) : 0;

      g_assert_cmpuint (n, ==, lb != NULL ? g_list_model_get_n_items (lb) : 0);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr (GObject) ia = g_list_model_get_item (la, i);
          g_autoptr (GObject) ib = g_list_model_get_item (lb, i);

          compare_objects (ia, ib);
        }
    }
  else if (g_type_is_a (type, G_TYPE_OBJECT))
    g_assert_true (g_value_get_object (va) == NULL
                   && g_value_get_object (vb) == NULL);
  else if (g_param_values_cmp (pspec, va, vb) != 0)
    g_error ("property %s differs after pickling", name);
}

/* Every readable property but the configuration (which stays in the
 * parent) survives the round trip. */
static void
compare_objects (GObject *a, GObject *b)
{
  guint n;
  g_autofree GParamSpec **pspecs =
      g_object_class_list_properties (G_OBJECT_GET_CLASS (a), &n);

  g_assert_true (G_OBJECT_TYPE (a) == G_OBJECT_TYPE (b));
  for (guint i = 0; i < n; i++)
    {
      g_auto (GValue) va = G_VALUE_INIT;
      g_auto (GValue) vb = G_VALUE_INIT;

      if (!(pspecs[i]->flags & G_PARAM_READABLE)
          || g_str_equal (pspecs[i]->name, "config"))
        continue;
      g_value_init (&va, G_PARAM_SPEC_VALUE_TYPE (pspecs[i]));
      g_value_init (&vb, G_PARAM_SPEC_VALUE_TYPE (pspecs[i]));
      g_object_get_property (a, pspecs[i]->name, &va);
      g_object_get_property (b, pspecs[i]->name, &vb);
      compare_values (pspecs[i]->name, &va, &vb, pspecs[i]);
    }
}

static GObject *
round_trip (GObject *object)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  GObject *copy;

  g_assert_true (job_pickle_check (object, &error));
  g_assert_no_error (error);
  bytes = job_pickle_dumps (object, &error);
  g_assert_no_error (error);
  copy = job_pickle_loads (bytes, &error);
  g_assert_no_error (error);
  compare_objects (object, copy);
  return copy;
}

static void
test_pickle (Fixture *f, gconstpointer data)
{
  g_autofree char *sha = make_archive (f);
  g_autofree char *commit = make_repository (f);
  g_autofree char *sources = NULL;
  g_autoptr (JobScheduler) scheduler = NULL;
  const char *kinds[] = { "import", "manual",  "autotools", "meson",
                          "stack",  "compose", "script" };
  g_autoptr (GString) all = g_string_new ("kind: stack\ndepends:\n");

  write_file (f->project, "files/extra/a.txt", "a\n");
  write_file (f->project, "fix.patch", patch_text);
  sources = g_strdup_printf ("kind: import\n"
                             "sources:\n"
                             "- kind: tar\n"
                             "  url: outside:hello.tar.gz\n"
                             "  ref: %s\n"
                             "- kind: patch\n"
                             "  path: fix.patch\n"
                             "- kind: git\n"
                             "  url: file://%s/repo\n"
                             "  ref: %s\n"
                             "  track: main\n"
                             "  directory: git\n"
                             "- kind: local\n"
                             "  path: files/extra\n"
                             "  directory: local\n",
                             sha, f->files, commit);
  write_element (f, "import.bst", sources);
  write_element (f, "manual.bst",
                 "kind: manual\nconfig:\n  build-commands: [make]\n");
  write_element (f, "autotools.bst", "kind: autotools\n");
  write_element (f, "meson.bst", "kind: meson\n");
  write_element (f, "stack.bst", "kind: stack\n");
  write_element (
      f, "compose.bst",
      "kind: compose\nconfig:\n  include: [runtime]\n  exclude: [debug]\n"
      "  include-orphans: false\n");
  write_element (
      f, "script.bst",
      "kind: script\nvariables:\n  cwd: /work\n"
      "config:\n  commands: ['echo %{cwd}']\n  root-read-only: true\n"
      "  layout:\n  - element: stack.bst\n    destination: /\n"
      "  - destination: /work\n");
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_string_append_printf (all, "- %s.bst\n", kinds[i]);
  write_element (f, "all.bst", all->str);
  scheduler = prepare_ok (f, "all.bst");

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s.bst", kinds[i]);
      JobElement *element = job_scheduler_get_element (scheduler, name);
      g_autoptr (GObject) copy = NULL;

      g_assert_nonnull (element);
      g_assert_cmpstr (job_plugin_get_kind (JOB_PLUGIN (element)), ==,
                       kinds[i]);
      copy = round_trip (G_OBJECT (element));
      /* The configuration stays in the parent. */
      g_assert_null (job_plugin_get_config (JOB_PLUGIN (copy)));
    }

  /* The configured values themselves crossed. */
  {
    JobElement *import = job_scheduler_get_element (scheduler, "import.bst");
    g_autoptr (GObject) copy = round_trip (G_OBJECT (import));
    GListModel *copied = job_element_get_sources (JOB_ELEMENT (copy));
    g_autoptr (JobSource) tar = g_list_model_get_item (copied, 0);
    g_autoptr (JobSource) patch = g_list_model_get_item (copied, 1);
    g_autoptr (JobSource) git = g_list_model_get_item (copied, 2);
    g_autofree char *url = NULL, *track = NULL, *patch_path = NULL;
    g_autofree char *expected_url =
        g_strdup_printf ("file://%s/hello.tar.gz", f->files);
    g_autofree char *tar_ref = NULL, *git_ref = NULL;
    guint strip;

    g_object_get (tar, "url", &url, NULL);
    /* The alias was expanded by the loader. */
    g_assert_cmpstr (url, ==, expected_url);
    tar_ref = job_source_get_ref (tar);
    g_assert_cmpstr (tar_ref, ==, sha);
    git_ref = job_source_get_ref (git);
    g_assert_cmpstr (git_ref, ==, commit);
    g_object_get (git, "track", &track, NULL);
    g_assert_cmpstr (track, ==, "main");
    g_object_get (patch, "path", &patch_path, "strip-level", &strip, NULL);
    g_assert_cmpstr (patch_path, ==, "fix.patch");
    g_assert_cmpuint (strip, ==, 1);
    g_assert_cmpstr (job_source_get_cache_directory (tar), !=, NULL);
  }
  {
    g_autoptr (GObject) copy = round_trip (
        G_OBJECT (job_scheduler_get_element (scheduler, "compose.bst")));
    g_auto (GStrv) include = NULL;
    g_autoptr (GVariant) rules = NULL;
    gboolean orphans;

    g_object_get (copy, "include", &include, "include-orphans", &orphans,
                  "split-rules", &rules, NULL);
    g_assert_cmpstr (include[0], ==, "runtime");
    g_assert_false (orphans);
    g_assert_true (g_variant_n_children (rules) > 0);
  }
  {
    g_autoptr (GObject) copy = round_trip (
        G_OBJECT (job_scheduler_get_element (scheduler, "script.bst")));
    g_auto (GStrv) commands = NULL, destinations = NULL;
    g_autofree char *cwd = NULL;

    g_object_get (copy, "commands", &commands, "cwd", &cwd,
                  "layout-destinations", &destinations, NULL);
    g_assert_cmpstr (commands[0], ==, "echo /work");
    g_assert_cmpstr (cwd, ==, "/work");
    g_assert_cmpstr (destinations[1], ==, "/work");
  }
}

/* tar */

static void
write_tar_element (Fixture *f,
                   const char *name,
                   const char *url,
                   const char *ref,
                   const char *extra)
{
  g_autofree char *content = g_strdup_printf (
      "kind: import\nsources:\n- kind: tar\n  url: %s\n%s%s%s%s", url,
      ref ? "  ref: " : "", ref ? ref : "", ref ? "\n" : "",
      extra ? extra : "");

  write_element (f, name, content);
}

static void
test_tar (Fixture *f, gconstpointer data)
{
  g_autofree char *sha = make_archive (f);
  g_autoptr (JobScheduler) scheduler = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *stage = g_build_filename (f->dir, "stage", NULL);
  g_autofree char *tracked = NULL, *cached = NULL, *checkout = NULL;
  JobSource *source;
  struct stat st;

  write_tar_element (f, "tar.bst", "outside:hello.tar.gz", sha, NULL);
  scheduler = prepare_ok (f, "tar.bst");
  source = get_source (scheduler, "tar.bst", 0);

  g_assert_false (job_source_is_cached (source));
  g_assert_true (job_source_fetch (source, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (job_source_is_cached (source));
  cached =
      g_build_filename (job_source_get_cache_directory (source), sha, NULL);
  g_assert_true (g_file_test (cached, G_FILE_TEST_IS_REGULAR));
  /* Fetching again is a no-op. */
  g_assert_true (job_source_fetch (source, NULL, &error));
  g_assert_no_error (error);

  /* base-dir "*" strips the top directory. */
  g_assert_cmpint (g_mkdir_with_parents (stage, 0755), ==, 0);
  g_assert_true (job_source_stage (source, stage, NULL, &error));
  g_assert_no_error (error);
  assert_file (stage, "README", "hello\nworld\n");
  g_assert_true (exists (stage, "src/main.c"));
  g_assert_false (exists (stage, "hello-1.0"));
  {
    g_autofree char *run_path = g_build_filename (stage, "bin/run", NULL);
    g_assert_cmpint (stat (run_path, &st), ==, 0);
    g_assert_true (st.st_mode & S_IXUSR);
  }
  /* No scratch directory is left behind. */
  {
    g_autoptr (GDir) dir = g_dir_open (stage, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name (dir)) != NULL)
      g_assert_false (g_str_has_prefix (name, ".tar-"));
  }

  tracked = job_source_track (source, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tracked, ==, sha);

  /* The whole element builds from the fetched archive. */
  g_assert_true (build (f, scheduler, "tar.bst", &checkout, &error));
  g_assert_no_error (error);
  g_assert_true (exists (checkout, "README"));
  g_assert_true (exists (checkout, "src/main.c"));
}

static void
test_tar_base_dir (Fixture *f, gconstpointer data)
{
  g_autofree char *sha = make_archive (f);
  g_autoptr (GError) error = NULL;

  /* base-dir '' keeps the top directory; a deeper glob takes a subdirectory. */
  write_tar_element (f, "all.bst", "outside:hello.tar.gz", sha,
                     "  base-dir: ''\n");
  write_tar_element (f, "src.bst", "outside:hello.tar.gz", sha,
                     "  base-dir: '*/src'\n");
  write_tar_element (f, "none.bst", "outside:hello.tar.gz", sha,
                     "  base-dir: 'nothing*'\n");
  {
    const char *names[] = { "all.bst", "src.bst", "none.bst" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autoptr (JobScheduler) scheduler = prepare_ok (f, names[i]);
        JobSource *source = get_source (scheduler, names[i], 0);
        g_autofree char *stage =
            g_build_filename (f->dir, "stage", names[i], NULL);
        gboolean ok;

        g_assert_true (job_source_fetch (source, NULL, &error));
        g_assert_no_error (error);
        g_assert_cmpint (g_mkdir_with_parents (stage, 0755), ==, 0);
        ok = job_source_stage (source, stage, NULL, &error);
        if (i == 0)
          {
            g_assert_no_error (error);
            g_assert_true (exists (stage, "hello-1.0/README"));
          }
        else if (i == 1)
          {
            g_assert_no_error (error);
            g_assert_true (exists (stage, "main.c"));
            g_assert_false (exists (stage, "README"));
          }
        else
          {
            g_assert_false (ok);
            assert_error_contains (error, "matches base-dir “nothing*”");
            g_clear_error (&error);
          }
      }
  }
}

static void
test_tar_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *sha = make_archive (f);
  g_autofree char *wrong = g_strnfill (64, 'a');
  g_autofree char *other = g_strnfill (64, 'c');
  g_autoptr (GError) error = NULL;

  /* A checksum mismatch names both sums, and leaves nothing in the cache. */
  write_tar_element (f, "wrong.bst", "outside:hello.tar.gz", wrong, NULL);
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "wrong.bst");
    JobSource *source = get_source (scheduler, "wrong.bst", 0);
    g_autoptr (GDir) dir = NULL;
    g_autofree char *expected =
        g_strdup_printf ("has sha256 %s, expected %s", sha, wrong);

    g_assert_false (job_source_fetch (source, NULL, &error));
    assert_error_contains (error, expected);
    assert_error_contains (error, "wrong.bst [line");
    g_clear_error (&error);
    g_assert_false (job_source_is_cached (source));
    dir = g_dir_open (job_source_get_cache_directory (source), 0, NULL);
    g_assert_nonnull (dir);
    g_assert_null (g_dir_read_name (dir));
  }

  /* No ref: fetch and stage say so; tracking gives one. */
  write_tar_element (f, "noref.bst", "outside:hello.tar.gz", NULL, NULL);
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "noref.bst");
    JobSource *source = get_source (scheduler, "noref.bst", 0);
    g_autofree char *tracked = NULL;

    g_assert_false (job_source_is_cached (source));
    g_assert_false (job_source_fetch (source, NULL, &error));
    assert_error_contains (error, "has no ref");
    g_clear_error (&error);
    g_assert_false (job_source_stage (source, f->dir, NULL, &error));
    assert_error_contains (error, "has no ref");
    g_clear_error (&error);
    tracked = job_source_track (source, NULL, &error);
    g_assert_no_error (error);
    job_source_set_ref (source, tracked);
    g_assert_true (job_source_fetch (source, NULL, &error));
    g_assert_no_error (error);
  }

  /* Staging what was never fetched. */
  write_tar_element (f, "unfetched.bst", "outside:hello.tar.gz", wrong, NULL);
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "unfetched.bst");

    g_assert_false (job_source_stage (
        get_source (scheduler, "unfetched.bst", 0), f->dir, NULL, &error));
    assert_error_contains (error, "is not fetched");
    g_clear_error (&error);
  }

  /* A missing archive: fetch and track fail with the path. (A ref already
   * in the cache would need no fetch: archives are stored by checksum.) */
  write_tar_element (f, "missing.bst", "outside:missing.tar.gz", other, NULL);
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "missing.bst");
    JobSource *source = get_source (scheduler, "missing.bst", 0);
    g_autofree char *tracked = NULL;

    g_assert_false (job_source_fetch (source, NULL, &error));
    assert_error_contains (error, "cannot fetch");
    g_clear_error (&error);
    tracked = job_source_track (source, NULL, &error);
    g_assert_null (tracked);
    assert_error_contains (error, "cannot track");
    g_clear_error (&error);
  }

  /* Configuration errors, with the file and line. */
  write_tar_element (f, "badref.bst", "outside:hello.tar.gz", "1234", NULL);
  prepare_fails (f, "badref.bst", "the ref “1234” is not a sha256");
  /* A ref not in the cache, so that fetching must reach the URL. */
  write_tar_element (
      f, "remote.bst", "https://example.com/a.tar.gz",
      "abababababababababababababababababababababababababababababababab", NULL);
  fetch_fails (f, "remote.bst", "is not local");
  write_tar_element (f, "nourl.bst", "", sha, NULL);
  write_element (f, "nourl.bst",
                 "kind: import\nsources:\n- kind: tar\n  ref: abc\n");
  prepare_fails (f, "nourl.bst", "url");
  write_tar_element (f, "badkey.bst", "outside:hello.tar.gz", sha,
                     "  sha: x\n");
  prepare_fails (f, "badkey.bst", "sha");
  write_tar_element (
      f, "badfile.bst", "file://%zz",
      "abababababababababababababababababababababababababababababababab", NULL);
  fetch_fails (f, "badfile.bst", "invalid file URL");
}

/* A source kind whose host tool is missing fails its preflight. */
static void
test_missing_tools (Fixture *f, gconstpointer data)
{
  g_autofree char *empty = g_build_filename (f->dir, "empty-path", NULL);
  g_autofree char *saved = g_strdup (g_getenv ("PATH"));
  const char *tools[] = { "tar", "git", "patch" };

  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  write_file (f->project, "fix.patch", patch_text);
  write_element (f, "tar.bst",
                 "kind: import\nsources:\n- kind: tar\n  url: outside:a.tar\n");
  write_element (f, "git.bst",
                 "kind: import\nsources:\n- kind: git\n  url: outside:repo\n");
  write_element (f, "patch.bst",
                 "kind: import\nsources:\n- kind: patch\n  path: fix.patch\n");
  for (guint i = 0; i < G_N_ELEMENTS (tools); i++)
    {
      g_autofree char *element = g_strdup_printf ("%s.bst", tools[i]);
      g_autofree char *expected =
          g_strdup_printf ("needs the host program “%s”", tools[i]);

      g_setenv ("PATH", empty, TRUE);
      prepare_fails (f, element, expected);
      g_setenv ("PATH", saved, TRUE);
    }
}

/* git */

static void
write_git_element (Fixture *f,
                   const char *name,
                   const char *ref,
                   const char *extra)
{
  g_autofree char *content = g_strdup_printf (
      "kind: import\nsources:\n- kind: git\n  url: outside:repo\n"
      "%s%s%s%s",
      ref ? "  ref: " : "", ref ? ref : "", ref ? "\n" : "",
      extra ? extra : "");

  write_element (f, name, content);
}

static void
test_git (Fixture *f, gconstpointer data)
{
  g_autofree char *first = make_repository (f);
  g_autofree char *second = NULL, *tracked = NULL, *checkout = NULL;
  g_autofree char *stage = g_build_filename (f->dir, "stage", NULL);
  g_autoptr (JobScheduler) scheduler = NULL;
  g_autoptr (GError) error = NULL;
  JobSource *source;

  write_git_element (f, "git.bst", first, "  track: main\n");
  scheduler = prepare_ok (f, "git.bst");
  source = get_source (scheduler, "git.bst", 0);

  g_assert_false (job_source_is_cached (source));
  g_assert_true (job_source_fetch (source, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (job_source_is_cached (source));

  g_assert_cmpint (g_mkdir_with_parents (stage, 0755), ==, 0);
  g_assert_true (job_source_stage (source, stage, NULL, &error));
  g_assert_no_error (error);
  assert_file (stage, "README", "first\n");
  g_assert_true (exists (stage, "lib/code.c"));
  g_assert_false (exists (stage, ".git"));

  tracked = job_source_track (source, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tracked, ==, first);

  /* A new commit: tracking follows the branch, fetching updates the mirror,
   * and staging the new ref has the new content. */
  write_file (f->files, "repo/README", "second\n");
  second = run (f->files,
                "cd repo && git commit -q -a -m second && git rev-parse HEAD");
  g_clear_pointer (&tracked, g_free);
  tracked = job_source_track (source, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tracked, ==, second);
  job_source_set_ref (source, tracked);
  g_assert_false (job_source_is_cached (source));
  g_assert_true (job_source_fetch (source, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (job_source_is_cached (source));
  remove_tree (stage);
  g_assert_cmpint (g_mkdir_with_parents (stage, 0755), ==, 0);
  g_assert_true (job_source_stage (source, stage, NULL, &error));
  g_assert_no_error (error);
  assert_file (stage, "README", "second\n");

  /* A tag tracks too. */
  g_free (run (f->files, "cd repo && git tag v1"));
  {
    g_autoptr (JobScheduler) tagged = NULL;
    g_autofree char *tag = NULL;

    write_git_element (f, "tag.bst", NULL, "  track: v1\n");
    tagged = prepare_ok (f, "tag.bst");
    tag = job_source_track (get_source (tagged, "tag.bst", 0), NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (tag, ==, second);
  }

  /* End to end: an import of the first commit, which the mirror has. */
  g_clear_object (&scheduler);
  scheduler = prepare_ok (f, "git.bst");
  g_assert_true (job_source_is_cached (get_source (scheduler, "git.bst", 0)));
  g_assert_true (build (f, scheduler, "git.bst", &checkout, &error));
  g_assert_no_error (error);
  assert_file (checkout, "README", "first\n");
}

static void
test_git_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *commit = make_repository (f);
  g_autofree char *unknown = g_strnfill (40, 'b');
  g_autoptr (GError) error = NULL;

  /* No ref. */
  write_git_element (f, "noref.bst", NULL, NULL);
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "noref.bst");
    JobSource *source = get_source (scheduler, "noref.bst", 0);

    g_assert_false (job_source_is_cached (source));
    g_assert_false (job_source_fetch (source, NULL, &error));
    assert_error_contains (error, "has no ref");
    g_clear_error (&error);
    g_assert_false (job_source_stage (source, f->dir, NULL, &error));
    assert_error_contains (error, "has no ref");
    g_clear_error (&error);
    /* …and no branch to track. */
    g_assert_null (job_source_track (source, NULL, &error));
    assert_error_contains (error, "no `track` branch");
    g_clear_error (&error);
  }

  /* A commit the repository does not have. */
  write_git_element (f, "unknown.bst", unknown, "  track: nobranch\n");
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "unknown.bst");
    JobSource *source = get_source (scheduler, "unknown.bst", 0);
    g_autofree char *expected = g_strdup_printf ("has no commit %s", unknown);

    g_assert_false (job_source_fetch (source, NULL, &error));
    assert_error_contains (error, expected);
    g_clear_error (&error);
    g_assert_false (job_source_stage (source, f->dir, NULL, &error));
    assert_error_contains (error, "is not fetched");
    g_clear_error (&error);
    g_assert_null (job_source_track (source, NULL, &error));
    assert_error_contains (error, "no branch or tag “nobranch”");
    g_clear_error (&error);
  }

  /* A repository that does not exist. */
  write_element (f, "norepo.bst",
                 "kind: import\nsources:\n- kind: git\n  url: outside:norepo\n"
                 "  ref: 0123456789abcdef\n");
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "norepo.bst");

    g_assert_false (job_source_fetch (get_source (scheduler, "norepo.bst", 0),
                                      NULL, &error));
    assert_error_contains (error, "git clone");
    g_clear_error (&error);
  }

  /* Submodules are refused unless turned off. */
  write_file (f->files, "repo/.gitmodules",
              "[submodule \"sub\"]\n\tpath = sub\n\turl = ../sub\n");
  {
    g_autofree char *with_modules =
        run (f->files, "cd repo && git add -A && git commit -q -m modules "
                       "&& git rev-parse HEAD");
    g_autoptr (JobScheduler) scheduler = NULL;
    g_autoptr (JobScheduler) without = NULL;
    g_autofree char *stage = g_build_filename (f->dir, "stage", NULL);

    write_git_element (f, "modules.bst", with_modules, NULL);
    scheduler = prepare_ok (f, "modules.bst");
    g_assert_true (job_source_fetch (get_source (scheduler, "modules.bst", 0),
                                     NULL, &error));
    g_assert_no_error (error);
    g_assert_false (job_source_stage (get_source (scheduler, "modules.bst", 0),
                                      f->dir, NULL, &error));
    assert_error_contains (error, "checkout-submodules: false");
    g_clear_error (&error);

    write_git_element (f, "nomodules.bst", with_modules,
                       "  checkout-submodules: false\n");
    without = prepare_ok (f, "nomodules.bst");
    g_assert_true (job_source_fetch (get_source (without, "nomodules.bst", 0),
                                     NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (g_mkdir_with_parents (stage, 0755), ==, 0);
    g_assert_true (job_source_stage (get_source (without, "nomodules.bst", 0),
                                     stage, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (exists (stage, ".gitmodules"));
  }

  /* Configuration errors. */
  write_git_element (f, "badref.bst", "main", NULL);
  prepare_fails (f, "badref.bst", "the ref “main” is not a commit sha");
  write_element (f, "remote.bst",
                 "kind: import\nsources:\n- kind: git\n  url: "
                 "https://example.com/x.git\n"
                 "  ref: abababababababababababababababababababab\n");
  fetch_fails (f, "remote.bst", "is not local");
  (void) commit;
}

/* patch */

static void
test_patch (Fixture *f, gconstpointer data)
{
  g_autofree char *sha = make_archive (f);
  g_autofree char *content = NULL, *checkout = NULL;
  g_autoptr (JobScheduler) scheduler = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) key1 = NULL, key2 = NULL;

  write_file (f->project, "patches/fix.patch", patch_text);
  content = g_strdup_printf ("kind: import\nsources:\n- kind: tar\n  url: "
                             "outside:hello.tar.gz\n  ref: %s\n"
                             "- kind: patch\n  path: patches/fix.patch\n",
                             sha);
  write_element (f, "patched.bst", content);
  scheduler = prepare_ok (f, "patched.bst");
  fetch_all (scheduler, "patched.bst");
  key1 = job_plugin_get_unique_key (
      JOB_PLUGIN (get_source (scheduler, "patched.bst", 1)));

  g_assert_true (build (f, scheduler, "patched.bst", &checkout, &error));
  g_assert_no_error (error);
  assert_file (checkout, "README", "hello\npatched world\n");
  g_assert_false (exists (checkout, "README.orig"));

  /* The patch's content is in its key. */
  write_file (f->project, "patches/fix.patch",
              "--- a/README\n+++ b/README\n@@ -1,2 +1,2 @@\n"
              "-hello\n+bonjour\n world\n");
  key2 = job_plugin_get_unique_key (
      JOB_PLUGIN (get_source (scheduler, "patched.bst", 1)));
  g_assert_false (g_variant_equal (key1, key2));

  /* strip-level 0 from inside the directory. */
  write_file (f->project, "patches/p0.patch",
              "--- README\n+++ README\n@@ -1,2 +1,2 @@\n"
              "-hello\n+salut\n world\n");
  {
    g_autoptr (JobScheduler) p0 = NULL;
    g_autofree char *stage = g_build_filename (f->dir, "p0", NULL);

    write_element (
        f, "p0.bst",
        "kind: import\nsources:\n- kind: patch\n  path: patches/p0.patch\n"
        "  strip-level: 0\n");
    p0 = prepare_ok (f, "p0.bst");
    write_file (stage, "README", "hello\nworld\n");
    g_assert_true (
        job_source_stage (get_source (p0, "p0.bst", 0), stage, NULL, &error));
    g_assert_no_error (error);
    assert_file (stage, "README", "salut\nworld\n");
  }
}

static void
test_patch_errors (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *stage = g_build_filename (f->dir, "stage", NULL);

  write_file (f->project, "fix.patch", patch_text);
  write_element (f, "patch.bst",
                 "kind: import\nsources:\n- kind: patch\n  path: fix.patch\n");
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "patch.bst");
    JobSource *source = get_source (scheduler, "patch.bst", 0);

    /* Nothing to patch: a clear failure with patch's own words. */
    g_assert_cmpint (g_mkdir_with_parents (stage, 0755), ==, 0);
    g_assert_false (job_source_stage (source, stage, NULL, &error));
    assert_error_contains (error, "cannot apply fix.patch");
    assert_error_contains (error, "patch -p1");
    g_clear_error (&error);

    /* The patch file vanished after configuration. */
    {
      g_autofree char *patch = g_build_filename (f->project, "fix.patch", NULL);
      g_assert_cmpint (g_unlink (patch), ==, 0);
    }
    g_assert_false (job_source_stage (source, stage, NULL, &error));
    assert_error_contains (error, "is missing");
    g_clear_error (&error);
  }

  prepare_fails (f, "patch.bst", "the patch file “fix.patch” does not exist");
  write_element (
      f, "abs.bst",
      "kind: import\nsources:\n- kind: patch\n  path: /etc/passwd\n");
  prepare_fails (f, "abs.bst", "must be relative and inside the project");
  write_file (f->project, "fix.patch", patch_text);
  write_element (f, "strip.bst",
                 "kind: import\nsources:\n- kind: patch\n  path: fix.patch\n"
                 "  strip-level: -1\n");
  prepare_fails (f, "strip.bst", "strip-level must be between 0 and 64");
}

/* compose */

static void
write_compose_project (Fixture *f)
{
  write_file (f->project, "files/usr/bin/tool", "tool\n");
  write_file (f->project, "files/usr/lib/libx.so.1", "lib\n");
  write_file (f->project, "files/usr/include/x.h", "header\n");
  write_file (f->project, "files/usr/lib/pkgconfig/x.pc", "pc\n");
  write_file (f->project, "files/usr/share/doc/x/README", "doc\n");
  write_file (f->project, "files/etc/x.conf", "orphan\n");
  write_file (f->project, "files/var/empty/.keep", "");
  {
    g_autofree char *link_path =
        g_build_filename (f->project, "files/usr/bin/alias", NULL);
    g_assert_cmpint (symlink ("tool", link_path), ==, 0);
  }
  write_element (f, "files.bst",
                 "kind: import\nsources:\n- kind: local\n  path: files\n");
}

static void
test_compose (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  struct
  {
    const char *name;
    const char *config;
    const char *present[6];
    const char *absent[6];
    const char *dependency; /* NULL: files.bst */
  } cases[] = {
    { "all.bst",
      "",
      { "usr/bin/tool", "usr/lib/libx.so.1", "usr/include/x.h",
        "usr/share/doc/x/README", "etc/x.conf" },
      { "buildstream-install" } },
    { "runtime.bst",
      "config:\n  include: [runtime]\n  include-orphans: false\n",
      { "usr/bin/tool", "usr/lib/libx.so.1" },
      { "usr/include/x.h", "etc/x.conf", "usr/share/doc/x/README",
        "usr/lib/pkgconfig/x.pc" } },
    { "nodevel.bst",
      "config:\n  exclude: [devel, doc]\n",
      { "usr/bin/tool", "etc/x.conf", "var/empty/.keep" },
      { "usr/include/x.h", "usr/lib/pkgconfig/x.pc",
        "usr/share/doc/x/README" } },
    /* Each dependency's files are split by its own rules (conf.bst's
     * extend the project's); the compose element's name the domains. */
    { "custom.bst",
      "config:\n  include: [conf]\n  include-orphans: false\n"
      "public:\n  bst:\n    split-rules:\n      conf:\n      - /etc/*.conf\n",
      { "etc/x.conf" },
      { "usr/bin/tool", "var/empty/.keep" },
      "conf.bst" },
    /* Rules only the compose element has do not split its dependencies. */
    { "ownrules.bst",
      "config:\n  include: [conf]\n  include-orphans: false\n"
      "public:\n  bst:\n    split-rules:\n      conf:\n      - /etc/*.conf\n",
      { NULL },
      { "etc/x.conf", "usr/bin/tool" } },
  };

  write_compose_project (f);
  write_element (f, "conf.bst",
                 "kind: import\nsources:\n- kind: local\n  path: files\n"
                 "public:\n  bst:\n    split-rules:\n      conf:\n"
                 "      - /etc/*.conf\n");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *content = g_strdup_printf (
          "kind: compose\nbuild-depends:\n- %s\n%s",
          cases[i].dependency != NULL ? cases[i].dependency : "files.bst",
          cases[i].config);
      g_autoptr (JobScheduler) scheduler = NULL;
      g_autofree char *checkout = NULL;

      write_element (f, cases[i].name, content);
      scheduler = prepare_ok (f, cases[i].name);
      g_assert_true (build (f, scheduler, cases[i].name, &checkout, &error));
      g_assert_no_error (error);
      for (guint j = 0;
           j < G_N_ELEMENTS (cases[i].present) && cases[i].present[j]; j++)
        if (!exists (checkout, cases[i].present[j]))
          g_error ("%s: %s is missing", cases[i].name, cases[i].present[j]);
      for (guint j = 0;
           j < G_N_ELEMENTS (cases[i].absent) && cases[i].absent[j]; j++)
        if (exists (checkout, cases[i].absent[j]))
          g_error ("%s: %s should not be there", cases[i].name,
                   cases[i].absent[j]);
    }
  /* The file content is the dependency's; symbolic links stay links. */
  {
    g_autofree char *path =
        g_build_filename (f->dir, "checkout", "all.bst", NULL);
    g_autofree char *link_path = g_build_filename (path, "usr/bin/alias", NULL);
    g_autofree char *target = g_file_read_link (link_path, NULL);

    g_assert_cmpstr (target, ==, "tool");
    assert_file (path, "usr/bin/tool", "tool\n");
  }
}

static void
test_compose_errors (Fixture *f, gconstpointer data)
{
  write_compose_project (f);
  write_element (f, "bad.bst",
                 "kind: compose\nbuild-depends: [files.bst]\nconfig:\n  "
                 "include: [nosuch]\n");
  prepare_fails (f, "bad.bst", "unknown split domain “nosuch” in include");
  write_element (f, "badx.bst",
                 "kind: compose\nbuild-depends: [files.bst]\nconfig:\n  "
                 "exclude: [other]\n");
  prepare_fails (f, "badx.bst", "the split rules define: ");
  write_element (f, "badkey.bst",
                 "kind: compose\nconfig:\n  includes: [runtime]\n");
  prepare_fails (f, "badkey.bst", "includes");
  write_element (f, "badtype.bst",
                 "kind: compose\nconfig:\n  include: runtime\n");
  prepare_fails (f, "badtype.bst", "badtype.bst [line");
}

/* script */

static void
write_script_project (Fixture *f)
{
  g_autofree char *sysroot = g_build_filename (f->project, "sysroot", NULL);

  make_sysroot (sysroot);
  write_element (f, "base.bst",
                 "kind: import\nsources:\n- kind: local\n  path: sysroot\n");
  write_file (f->project, "data/hello.txt", "hello from a dependency\n");
  write_element (
      f, "data.bst",
      "kind: import\nsources:\n- kind: local\n  path: data\nconfig:\n"
      "  target: /data\n");
}

static void
test_script (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobScheduler) scheduler = NULL;
  g_autofree char *checkout = NULL;

  write_script_project (f);
  write_element (
      f, "script.bst",
      "kind: script\n"
      "build-depends: [base.bst, data.bst]\n"
      "variables:\n"
      "  cwd: /data\n"
      "config:\n"
      "  layout:\n"
      "  - element: base.bst\n"
      "    destination: /\n"
      "  - element: data.bst\n"
      "    destination: /\n"
      "  - destination: /scratch\n"
      "  commands:\n"
      "  - mkdir -p %{install-root}/out\n"
      "  - cat hello.txt > %{install-root}/out/copy.txt\n"
      "  - pwd > %{install-root}/out/pwd.txt\n"
      "  - test -d /scratch && echo yes > %{install-root}/out/scratch.txt\n");
  scheduler = prepare_ok (f, "script.bst");
  g_assert_true (build (f, scheduler, "script.bst", &checkout, &error));
  g_assert_no_error (error);
  assert_file (checkout, "out/copy.txt", "hello from a dependency\n");
  assert_file (checkout, "out/pwd.txt", "/data\n");
  assert_file (checkout, "out/scratch.txt", "yes\n");
  /* Only the install root is collected. */
  g_assert_false (exists (checkout, "bin"));
  g_assert_false (exists (checkout, "data"));

  /* A dependency staged elsewhere than /, with its runtime closure. */
  {
    g_autoptr (JobScheduler) sysroot = NULL;
    g_autofree char *out = NULL;

    write_element (f, "needs-data.bst", "kind: stack\ndepends: [data.bst]\n");
    write_element (
        f, "sysroot.bst",
        "kind: script\nbuild-depends: [base.bst, needs-data.bst]\nconfig:\n"
        "  layout:\n  - element: base.bst\n    destination: /\n"
        "  - element: needs-data.bst\n    destination: /sysroot\n"
        "  commands:\n"
        "  - cp /sysroot/data/hello.txt %{install-root}/\n"
        "  - test ! -e /data && touch %{install-root}/not-at-root\n");
    sysroot = prepare_ok (f, "sysroot.bst");
    g_assert_true (build (f, sysroot, "sysroot.bst", &out, &error));
    g_assert_no_error (error);
    assert_file (out, "hello.txt", "hello from a dependency\n");
    g_assert_true (exists (out, "not-at-root"));
  }

  /* Without a layout, every dependency is staged at /. */
  {
    g_autoptr (JobScheduler) plain = NULL;
    g_autofree char *out = NULL;

    write_element (
        f, "plain.bst",
        "kind: script\nbuild-depends: [base.bst, data.bst]\nconfig:\n"
        "  commands:\n  - cp /data/hello.txt %{install-root}/\n");
    plain = prepare_ok (f, "plain.bst");
    g_assert_true (build (f, plain, "plain.bst", &out, &error));
    g_assert_no_error (error);
    g_assert_true (exists (out, "hello.txt"));
  }
}

/* Where a source is staged is part of the key: the same files at the top
 * and in a directory are two artifacts (keys of version 3 mixed them up). */
static void
test_source_directory (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobScheduler) top = NULL;
  g_autoptr (JobScheduler) sub = NULL;
  g_autofree char *top_out = NULL, *sub_out = NULL;

  write_file (f->project, "data/hello.txt", "hello\n");
  write_element (f, "top.bst",
                 "kind: import\nsources:\n- kind: local\n  path: data\n");
  write_element (f, "sub.bst",
                 "kind: import\nsources:\n- kind: local\n  path: data\n"
                 "  directory: sub\n");
  top = prepare_ok (f, "top.bst");
  sub = prepare_ok (f, "sub.bst");
  g_assert_cmpstr (job_scheduler_get_cache_key (top, "top.bst"), !=,
                   job_scheduler_get_cache_key (sub, "sub.bst"));
  g_assert_true (build (f, top, "top.bst", &top_out, &error));
  g_assert_no_error (error);
  g_assert_true (build (f, sub, "sub.bst", &sub_out, &error));
  g_assert_no_error (error);
  assert_file (top_out, "hello.txt", "hello\n");
  assert_file (sub_out, "sub/hello.txt", "hello\n");
  g_assert_false (exists (sub_out, "hello.txt"));
}

/* Integration commands: the public data of an artifact, run with that
 * element's variables in the root it is staged into, before the commands
 * of the element being built; compose takes what they create. */
static void
test_integration (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *key = NULL;

  write_script_project (f);
  write_element (
      f, "integ.bst",
      "kind: import\nsources:\n- kind: local\n  path: data\n"
      "variables:\n  greeting: integrated by integ.bst\n"
      "public:\n  bst:\n    integration-commands:\n"
      "    - mkdir -p /etc && echo '%{greeting}' >> /etc/integrated\n");
  write_element (
      f, "user.bst",
      "kind: manual\nbuild-depends: [base.bst, integ.bst]\nconfig:\n"
      "  install-commands:\n  - cp /etc/integrated %{install-root}/\n");
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "user.bst");
    g_autofree char *out = NULL;

    g_assert_true (build (f, scheduler, "user.bst", &out, &error));
    g_assert_no_error (error);
    assert_file (out, "integrated", "integrated by integ.bst\n");
    key = g_strdup (job_scheduler_get_cache_key (scheduler, "user.bst"));
  }
  /* The dependency's integration commands are part of the key. */
  write_element (f, "integ.bst",
                 "kind: import\nsources:\n- kind: local\n  path: data\n"
                 "public:\n  bst:\n    integration-commands:\n"
                 "    - mkdir -p /etc && echo changed >> /etc/integrated\n");
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "user.bst");

    g_assert_cmpstr (job_scheduler_get_cache_key (scheduler, "user.bst"), !=,
                     key);
  }

  write_element (
      f, "composed.bst",
      "kind: compose\nbuild-depends: [base.bst, integ.bst]\nconfig:\n"
      "  include: [runtime]\n  include-orphans: false\n");
  write_element (
      f, "unintegrated.bst",
      "kind: compose\nbuild-depends: [base.bst, integ.bst]\nconfig:\n"
      "  integrate: false\n");
  {
    g_autoptr (JobScheduler) composed = prepare_ok (f, "composed.bst");
    g_autoptr (JobScheduler) plain = prepare_ok (f, "unintegrated.bst");
    g_autofree char *out = NULL, *plain_out = NULL;

    g_assert_true (build (f, composed, "composed.bst", &out, &error));
    g_assert_no_error (error);
    assert_file (out, "etc/integrated", "changed\n");
    g_assert_false (exists (out, "hello.txt"));
    g_assert_true (build (f, plain, "unintegrated.bst", &plain_out, &error));
    g_assert_no_error (error);
    g_assert_false (exists (plain_out, "etc/integrated"));
    g_assert_true (exists (plain_out, "hello.txt"));
  }
}

static void
test_script_errors (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  write_script_project (f);

  /* A failing command fails the build with the command. */
  write_element (f, "fails.bst",
                 "kind: script\nbuild-depends: [base.bst]\nconfig:\n"
                 "  commands:\n  - cat /no/such/file\n");
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "fails.bst");
    g_autofree char *checkout = NULL;

    g_assert_false (build (f, scheduler, "fails.bst", &checkout, &error));
    assert_error_contains (error, "cat /no/such/file");
    g_clear_error (&error);
  }

  /* A working directory that the staged sandbox lacks. */
  write_element (
      f, "nocwd.bst",
      "kind: script\nbuild-depends: [base.bst]\nvariables:\n  cwd: /nowhere\n"
      "config:\n  commands: [pwd]\n");
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "nocwd.bst");
    g_autofree char *checkout = NULL;

    g_assert_false (build (f, scheduler, "nocwd.bst", &checkout, &error));
    assert_error_contains (error, "the working directory /nowhere");
    g_clear_error (&error);
  }

  write_element (
      f, "relcwd.bst",
      "kind: script\nvariables:\n  cwd: here\nconfig:\n  commands: [pwd]\n");
  prepare_fails (f, "relcwd.bst",
                 "the variable cwd (“here”) must be an absolute path");
  /* A layout may only name build dependencies. */
  write_element (f, "layout.bst",
                 "kind: script\nbuild-depends: [base.bst]\nconfig:\n  layout:\n"
                 "  - element: base.bst\n    destination: /\n"
                 "  - element: data.bst\n    destination: /sysroot\n"
                 "  commands: [true]\n");
  {
    g_autoptr (JobScheduler) scheduler = prepare_ok (f, "layout.bst");
    g_autofree char *checkout = NULL;

    g_assert_false (build (f, scheduler, "layout.bst", &checkout, &error));
    assert_error_contains (
        error, "cannot stage data.bst: it is not a build "
               "dependency of the element; add it to build-depends");
    g_clear_error (&error);
  }
  write_element (
      f, "reldest.bst",
      "kind: script\nconfig:\n  layout:\n  - destination: relative\n");
  prepare_fails (f, "reldest.bst", "must be an absolute path in the sandbox");
  write_element (f, "nodest.bst",
                 "kind: script\nconfig:\n  layout:\n  - element: base.bst\n");
  prepare_fails (f, "nodest.bst", "destination");
  write_element (f, "badentry.bst",
                 "kind: script\nconfig:\n  layout:\n  - /\n");
  prepare_fails (f, "badentry.bst", "badentry.bst [line");
  write_element (
      f, "badkey.bst",
      "kind: script\nconfig:\n  layout:\n  - destination: /\n    where: x\n");
  prepare_fails (f, "badkey.bst", "where");
  write_element (f, "badlayout.bst", "kind: script\nconfig:\n  layout: /\n");
  prepare_fails (f, "badlayout.bst", "badlayout.bst [line");
  write_element (
      f, "badvar.bst",
      "kind: script\nconfig:\n  layout:\n  - destination: '%{nosuch}'\n");
  prepare_fails (f, "badvar.bst", "nosuch");
  write_element (f, "badcmd.bst",
                 "kind: script\nconfig:\n  commands: ['%{nosuch}']\n");
  prepare_fails (f, "badcmd.bst", "nosuch");
}

/* Everything through the worker pool: the plugins are loaded in worker
 * processes from the origins in the pickles. */
static void
test_pool (Fixture *f, gconstpointer data)
{
  g_autofree char *sha = make_archive (f);
  g_autofree char *commit = make_repository (f);
  g_autofree char *src = NULL, *checkout = NULL;
  g_autoptr (JobScheduler) scheduler = NULL;
  g_autoptr (JobBackend) backend = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  f->pool = TRUE;
  write_script_project (f);
  write_file (f->project, "fix.patch", patch_text);
  src = g_strdup_printf ("kind: import\n"
                         "sources:\n"
                         "- kind: tar\n"
                         "  url: outside:hello.tar.gz\n"
                         "  ref: %s\n"
                         "- kind: patch\n"
                         "  path: fix.patch\n"
                         "- kind: git\n"
                         "  url: outside:repo\n"
                         "  ref: %s\n"
                         "  directory: git\n"
                         "config:\n"
                         "  target: /usr/share/hello\n"
                         "public:\n  bst:\n    split-rules:\n      doc:\n"
                         "      - /usr/share/hello/README\n"
                         "      - /usr/share/hello/git/**\n",
                         sha, commit);
  write_element (f, "src.bst", src);
  write_element (f, "docs.bst",
                 "kind: compose\nbuild-depends: [src.bst]\nconfig:\n"
                 "  include: [doc]\n  include-orphans: false\n");
  write_element (f, "script.bst",
                 "kind: script\nbuild-depends: [base.bst, docs.bst]\nconfig:\n"
                 "  commands:\n"
                 "  - cp -R /usr/share/hello %{install-root}/copy\n"
                 "  - ls /usr/share/hello > %{install-root}/listing\n");
  scheduler = prepare_ok (f, "script.bst");
  fetch_all (scheduler, "src.bst");
  g_object_get (scheduler, "backend", &backend, NULL);
  g_assert_true (JOB_IS_WORKER_POOL (backend));
  ok = build (f, scheduler, "script.bst", &checkout, &error);
  job_backend_shutdown (backend, TRUE);
  g_assert_no_error (error);
  g_assert_true (ok);
  assert_file (checkout, "copy/README", "hello\npatched world\n");
  assert_file (checkout, "copy/git/README", "first\n");
  assert_file (checkout, "listing", "README\ngit\n");
}

/* Cancelling stops the host tools with a cancellation error. */
static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autofree char *sha = make_archive (f);
  g_autofree char *commit = make_repository (f);
  g_autofree char *content = NULL;
  g_autofree char *stage = g_build_filename (f->dir, "stage", NULL);
  g_autoptr (JobScheduler) scheduler = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;

  content = g_strdup_printf (
      "kind: import\nsources:\n- kind: tar\n  url: outside:hello.tar.gz\n"
      "  ref: %s\n- kind: git\n  url: outside:repo\n  ref: %s\n"
      "  track: main\n",
      sha, commit);
  write_element (f, "both.bst", content);
  scheduler = prepare_ok (f, "both.bst");
  g_assert_true (
      job_source_fetch (get_source (scheduler, "both.bst", 0), NULL, &error));
  g_assert_no_error (error);
  g_cancellable_cancel (cancellable);

  g_assert_cmpint (g_mkdir_with_parents (stage, 0755), ==, 0);
  g_assert_false (job_source_stage (get_source (scheduler, "both.bst", 0),
                                    stage, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_false (job_source_fetch (get_source (scheduler, "both.bst", 1),
                                    cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_false (job_source_is_cached (get_source (scheduler, "both.bst", 1)));
  g_assert_null (job_source_track (get_source (scheduler, "both.bst", 1),
                                   cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn)                                                          \
  g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/job/core-plugins/pickle", test_pickle);
  ADD ("/job/core-plugins/tar", test_tar);
  ADD ("/job/core-plugins/tar-base-dir", test_tar_base_dir);
  ADD ("/job/core-plugins/tar-errors", test_tar_errors);
  ADD ("/job/core-plugins/missing-tools", test_missing_tools);
  ADD ("/job/core-plugins/git", test_git);
  ADD ("/job/core-plugins/git-errors", test_git_errors);
  ADD ("/job/core-plugins/patch", test_patch);
  ADD ("/job/core-plugins/patch-errors", test_patch_errors);
  ADD ("/job/core-plugins/compose", test_compose);
  ADD ("/job/core-plugins/compose-errors", test_compose_errors);
  ADD ("/job/core-plugins/script", test_script);
  ADD ("/job/core-plugins/script-errors", test_script_errors);
  ADD ("/job/core-plugins/integration", test_integration);
  ADD ("/job/core-plugins/source-directory", test_source_directory);
  ADD ("/job/core-plugins/pool", test_pool);
  ADD ("/job/core-plugins/cancel", test_cancel);
#undef ADD

  return g_test_run ();
}
