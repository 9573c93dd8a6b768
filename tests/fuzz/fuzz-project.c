/* fuzz-project.c: a whole project, loaded from one input
 *
 * The input is project.conf, then any number of other files, each
 * introduced by a line "%%% NAME":
 *
 *   name: p
 *   element-path: elements
 *   %%% a.bst
 *   kind: manual
 *   depends: [b.bst]
 *   %%% include/common.yml
 *   variables: {x: y}
 *
 * A NAME ending in .bst is an element: it is written under elements/ and
 * is a target. Any other NAME is written relative to the project directory
 * (includes). The project is loaded with JobProject and JobLoader and every
 * kind of dependency list is asked for: whatever the input, that gives
 * elements or a JOB_LOAD_ERROR with a provenance, never a crash, a leak,
 * a warning or a hang. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "libjob/job.h"

#define SEPARATOR "\n%%% "

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static char *root;

/* Names the harness writes: short, relative, no "." or ".." components,
 * nothing but [A-Za-z0-9._-/]; others are dropped. */
static gboolean
valid_name (const char *name, gsize len)
{
  g_auto (GStrv) parts = NULL;
  g_autofree char *copy = NULL;

  if (len == 0 || len > 64 || name[0] == '/')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && strchr ("._-/", name[i]) == NULL)
      return FALSE;
  copy = g_strndup (name, len);
  parts = g_strsplit (copy, "/", 4);
  if (g_strv_length (parts) > 3)
    return FALSE;
  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] == '\0' || g_str_equal (parts[i], ".")
        || g_str_equal (parts[i], ".."))
      return FALSE;
  return TRUE;
}

static void
write_file (const char *dir, const char *name, const char *data, gsize len)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  int fd;

  if (g_mkdir_with_parents (parent, 0700) != 0)
    return; /* a file already where a directory would be */
  /* Plain writes: g_file_set_contents()'s rename and fsync would cost more
   * than loading the project. */
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_assert_cmpint (errno, ==, EISDIR);
      return;
    }
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      g_assert_cmpint (n, >, 0);
      data += n;
      len -= n;
    }
  close (fd);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR)
          && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
remove_root (void)
{
  remove_tree (root);
}

static void
check_error (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == JOB_LOAD_ERROR);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
  g_debug ("%s", error->message);
}

static void
initialize (void)
{
  const char *base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR)
                         ? "/dev/shm"
                         : g_get_tmp_dir ();
  g_autofree char *template =
      g_build_filename (base, "fuzz-project-XXXXXX", NULL);

  /* The core plugins' defaults: the source tree's, unless set. */
  if (g_getenv ("JOB_DATA_DIR") == NULL)
    g_setenv ("JOB_DATA_DIR", FUZZ_DATA_DIR, TRUE);
  root = g_mkdtemp (g_steal_pointer (&template));
  g_assert_nonnull (root);
  atexit (remove_root);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING
                          | G_LOG_LEVEL_CRITICAL);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static guint counter;
  g_autofree char *dir = NULL;
  g_autofree char *elements = NULL;
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JobProject) project = NULL;
  g_autoptr (JobLoader) loader = NULL;
  g_autoptr (GError) error = NULL;
  const char *text = (const char *) data;
  const char *end = text + size;
  const char *next;

  if (root == NULL)
    initialize ();
  /* A fresh directory per input: GLib or the loader may cache by path. */
  dir = g_strdup_printf ("%s/%u", root, counter++);
  elements = g_build_filename (dir, "elements", NULL);
  g_assert_cmpint (g_mkdir_with_parents (elements, 0700), ==, 0);

  next = g_strstr_len (text, size, SEPARATOR);
  write_file (dir, "project.conf", text, (next ? next : end) - text);
  while (next != NULL)
    {
      const char *name = next + strlen (SEPARATOR);
      const char *newline = memchr (name, '\n', end - name);
      const char *body = newline != NULL ? newline + 1 : end;
      gsize name_len = (newline != NULL ? newline : end) - name;

      next = body < end ? g_strstr_len (body, end - body, SEPARATOR) : NULL;
      /* The separator's newline ends the previous file. */
      if (body > end)
        body = end;
      if (!valid_name (name, name_len))
        continue;
      {
        g_autofree char *file = g_strndup (name, name_len);
        gsize len = (next ? next : end) - body;

        if (g_str_has_suffix (file, ".bst") && targets->len < 16)
          {
            write_file (elements, file, body, len);
            g_ptr_array_add (targets, g_steal_pointer (&file));
          }
        else if (!g_str_has_suffix (file, ".bst"))
          write_file (dir, file, body, len);
      }
    }
  g_ptr_array_add (targets, NULL);

  project = job_project_new (dir);
  if (!job_project_load (project, NULL, &error))
    {
      check_error (error);
      goto out;
    }
  if (targets->len == 1)
    goto out;
  loader = job_loader_new (project);
  if (!job_loader_load (loader, (const char *const *) targets->pdata, NULL,
                        &error))
    {
      check_error (error);
      goto out;
    }
  g_debug ("%u elements loaded", job_loader_get_n_elements (loader));
  for (JobDeps deps = JOB_DEPS_NONE; deps <= JOB_DEPS_ALL; deps++)
    {
      g_autoptr (GListModel) list = job_loader_list_dependencies (
          loader, (const char *const *) targets->pdata, deps, &error);

      if (list == NULL)
        {
          check_error (error);
          g_clear_error (&error);
          continue;
        }
      g_assert_cmpuint (g_list_model_get_n_items (list), <=,
                        job_loader_get_n_elements (loader));
      for (guint i = 0; i < g_list_model_get_n_items (list); i++)
        {
          g_autoptr (JobElementSpec) spec = g_list_model_get_item (list, i);

          g_assert_nonnull (spec);
          g_assert_true (
              job_loader_get_element (loader, job_element_spec_get_name (spec))
              == spec);
        }
    }

out:
  remove_tree (dir);
  return 0;
}
