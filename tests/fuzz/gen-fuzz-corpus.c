/* gen-fuzz-corpus.c: writes the seed corpora of the fuzz harnesses
 *
 * Usage: gen-fuzz-corpus DIRECTORY...
 * Writes one valid flat pickle per graph shape into every DIRECTORY. */

#include <string.h>

#include "fuzz-support.h"

static GPtrArray *
make_graphs (void)
{
  GPtrArray *graphs = g_ptr_array_new_with_free_func (g_object_unref);

  /* Scalars. */
  g_ptr_array_add (
      graphs,
      g_object_new (TEST_TYPE_VALUES, "boolean", TRUE, "char", -100, "uchar",
                    250, "int", G_MININT, "uint", G_MAXUINT, "long", G_MINLONG,
                    "ulong", G_MAXULONG, "int64", G_MININT64 + 1, "uint64",
                    G_MAXUINT64 - 1, "float", 1.5f, "double", 3.0e300, "enum",
                    TEST_COLOR_BLUE, "flags", TEST_FLAG_A | TEST_FLAG_C,
                    "string", "héllo", "gtype", G_TYPE_FILE, NULL));
  /* Boxed values and codecs. */
  {
    const char *strv[] = { "a", "", "ünï", NULL };
    g_autoptr (GBytes) bytes = g_bytes_new ("\0\1\2\3", 4);
    g_autoptr (GVariant) variant =
        g_variant_ref_sink (g_variant_new_parsed ("('x', {'k': <[1, 2]>})"));
    g_autoptr (GTimeZone) tz = g_time_zone_new_identifier ("Europe/Paris");
    g_autoptr (GDateTime) dt =
        g_date_time_new (tz, 2026, 11, 22, 10, 30, 15.25);
    g_autoptr (GDateTime) utc = g_date_time_new_utc (1970, 1, 1, 0, 0, 0);
    g_autoptr (GFile) file = g_file_new_for_path ("/tmp/some where");
    g_autoptr (GFile) uri = g_file_new_for_uri ("https://example.org/a?b");
    g_autoptr (GError) err =
        g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");

    g_ptr_array_add (graphs,
                     g_object_new (TEST_TYPE_VALUES, "strv", strv, "bytes",
                                   bytes, "variant", variant, "date-time", dt,
                                   "file", file, "error", err, NULL));
    g_ptr_array_add (graphs, g_object_new (TEST_TYPE_VALUES, "date-time", utc,
                                           "file", uri, NULL));
  }
  /* Defaults and NULLs. */
  g_ptr_array_add (graphs, g_object_new (TEST_TYPE_VALUES, NULL));
  /* Non-UTF-8 strings. */
  {
    const char *strv[] = { "ok", "caf\xe9", NULL };
    g_ptr_array_add (graphs,
                     g_object_new (TEST_TYPE_VALUES, "string", "\xff\xfe path",
                                   "strv", strv, NULL));
  }
  /* A deep variant. */
  {
    GVariant *v = g_variant_new_int32 (1);

    for (int i = 0; i < 20; i++)
      v = g_variant_new_variant (v);
    g_ptr_array_add (graphs,
                     g_object_new (TEST_TYPE_VALUES, "variant", v, NULL));
  }
  /* Runtime type kept: a node in a GObject property. */
  {
    g_autoptr (TestNode) node = test_node_new ("inner");
    g_ptr_array_add (graphs,
                     g_object_new (TEST_TYPE_VALUES, "object", node, NULL));
  }
  /* A list with a repeated item. */
  {
    g_autoptr (GListStore) store = g_list_store_new (TEST_TYPE_NODE);
    g_autoptr (TestNode) a = test_node_new ("a");
    g_autoptr (TestNode) b = test_node_new ("b");

    g_list_store_append (store, a);
    g_list_store_append (store, b);
    g_list_store_append (store, a);
    g_ptr_array_add (graphs,
                     g_object_new (TEST_TYPE_VALUES, "list", store, NULL));
  }
  /* Shared references and a cycle. */
  {
    TestNode *a = test_node_new ("a");
    g_autoptr (TestNode) b = test_node_new ("b");
    g_autoptr (TestNode) shared = test_node_new ("shared");

    test_node_set_next (a, b);
    test_node_set_next (b, a);
    g_object_set (a, "other", shared, NULL);
    g_object_set (b, "other", shared, NULL);
    g_ptr_array_add (graphs, a);
  }
  /* Self-reference. */
  {
    TestNode *a = test_node_new ("self");
    test_node_set_next (a, a);
    g_ptr_array_add (graphs, a);
  }
  /* Clear and custom properties. */
  {
    TestNode *n = test_node_new ("n");
    g_object_set (n, "cache", "parent-only", "scratch", 99, "point", "3,-4",
                  "index", 7, "weight", G_GINT64_CONSTANT (-5000000000), NULL);
    g_ptr_array_add (graphs, n);
  }
  /* Overridden property vfuncs. */
  g_ptr_array_add (graphs, g_object_new (TEST_TYPE_OVERRIDE, "encoded", 41,
                                         "plain", 5, NULL));
  /* Construct-only values, an object among them, and a chain of them. */
  {
    g_autoptr (TestNode) partner = test_node_new ("partner");
    g_autoptr (GObject) inner = g_object_new (TEST_TYPE_FROZEN, "id", "inner",
                                              "partner", partner, NULL);
    GObject *outer =
        g_object_new (TEST_TYPE_FROZEN, "id", "outer", "partner", inner, NULL);

    g_object_set (outer, "mate", partner, NULL);
    g_ptr_array_add (graphs, g_object_new (TEST_TYPE_FROZEN, "id", "f1",
                                           "partner", partner, NULL));
    g_ptr_array_add (graphs, outer);
  }
  /* A chain of 50 nodes. */
  {
    TestNode *head = test_node_new ("0");

    for (int i = 1; i < 50; i++)
      {
        g_autofree char *name = g_strdup_printf ("%d", i);
        TestNode *node = test_node_new (name);

        test_node_set_next (node, head);
        g_object_unref (head);
        head = node;
      }
    g_ptr_array_add (graphs, head);
  }
  /* A root with 20 children in a GListStore of GObject. */
  {
    TestNode *root = test_node_new ("root");
    g_autoptr (GListStore) children = g_list_store_new (G_TYPE_OBJECT);

    for (int i = 0; i < 20; i++)
      {
        g_autofree char *name = g_strdup_printf ("child-%d", i);
        g_autoptr (TestNode) child = test_node_new (name);

        g_object_set (child, "index", i, "weight", (gint64) i * 1000000000000,
                      NULL);
        g_list_store_append (children, child);
      }
    g_object_set (root, "children", children, NULL);
    g_ptr_array_add (graphs, root);
  }
  /* A tree three levels deep through lists, with back references. */
  {
    TestNode *root = test_node_new ("tree");
    g_autoptr (GListStore) level1 = g_list_store_new (TEST_TYPE_NODE);

    for (int i = 0; i < 3; i++)
      {
        g_autoptr (TestNode) mid = test_node_new ("mid");
        g_autoptr (GListStore) level2 = g_list_store_new (G_TYPE_OBJECT);

        for (int j = 0; j < 3; j++)
          {
            g_autoptr (TestNode) leaf = test_node_new ("leaf");
            g_object_set (leaf, "other", root, "index", i * 3 + j, NULL);
            g_list_store_append (level2, leaf);
          }
        g_object_set (mid, "children", level2, NULL);
        g_list_store_append (level1, mid);
      }
    g_object_set (root, "children", level1, NULL);
    g_ptr_array_add (graphs, root);
  }
  /* Mixed types: node -> values -> frozen -> node. */
  {
    TestNode *root = test_node_new ("mixed");
    g_autoptr (TestNode) tail = test_node_new ("tail");
    g_autoptr (GObject) frozen =
        g_object_new (TEST_TYPE_FROZEN, "id", "z", "partner", tail, NULL);
    g_autoptr (GObject) values = g_object_new (
        TEST_TYPE_VALUES, "object", frozen, "enum", TEST_COLOR_GREEN, NULL);

    g_object_set (root, "other", values, NULL);
    g_ptr_array_add (graphs, root);
  }
  /* Large-ish byte values, for frames. */
  {
    g_autoptr (GBytes) a = g_bytes_new_take (g_malloc0 (100), 100);
    g_autoptr (GBytes) b = g_bytes_new ("frame-b-contents", 16);
    g_autoptr (GObject) inner =
        g_object_new (TEST_TYPE_VALUES, "bytes", b, NULL);

    g_ptr_array_add (graphs, g_object_new (TEST_TYPE_VALUES, "bytes", a,
                                           "object", inner, NULL));
  }
  return graphs;
}

static void
write_pickle (char **dirs, const char *name, GBytes *bytes)
{
  for (guint d = 0; dirs[d] != NULL; d++)
    {
      g_autofree char *path = g_build_filename (dirs[d], name, NULL);
      g_autoptr (GError) error = NULL;

      if (!g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                g_bytes_get_size (bytes), &error))
        g_error ("%s", error->message);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) graphs = NULL;

  if (argc < 2)
    {
      g_printerr ("Usage: %s DIRECTORY...\n", argv[0]);
      return 2;
    }
  fuzz_support_init ();
  graphs = make_graphs ();
  for (guint i = 0; i < graphs->len; i++)
    {
      GObject *graph = g_ptr_array_index (graphs, i);
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) flat = job_pickle_dumps (graph, &error);
      g_autofree char *name = g_strdup_printf ("seed-%02u", i);

      g_assert_no_error (error);
      write_pickle (argv + 1, name, flat);

      /* The same graph with every byte value in a frame of its own. */
      {
        g_autoptr (JobPickleFrames) frames =
            job_pickle_dump_frames (graph, 1, &error);
        g_autoptr (GBytes) framed = NULL;

        g_assert_no_error (error);
        if (job_pickle_frames_get_n_frames (frames) > 0)
          {
            g_autofree char *framed_name =
                g_strdup_printf ("seed-%02u-framed", i);

            framed = job_pickle_frames_to_bytes (frames);
            write_pickle (argv + 1, framed_name, framed);
          }
      }
      fuzz_support_break_cycles (graph);
    }
  return 0;
}
