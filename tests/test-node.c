/* test-node.c: JobNode, the YAML tree with provenance */

#include <string.h>

#include <glib/gstdio.h>

#include "libjob/job.h"
#include "libjob/job-node-private.h"

static JobNode *
parse (const char *text)
{
  g_autoptr (GError) error = NULL;
  JobNode *node = job_node_load_data (text, -1, "file.bst", &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static void
assert_load_error (const char *text, int code, const char *expected_prefix)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobNode) node = job_node_load_data (text, -1, "file.bst", &error);

  g_assert_null (node);
  g_assert_error (error, JOB_LOAD_ERROR, code);
  if (!g_str_has_prefix (error->message, expected_prefix))
    g_error ("“%s” does not start with “%s”", error->message, expected_prefix);
}

static void
test_provenance (void)
{
  g_autoptr (JobNode) root = parse ("kind: manual\n"
                                    "config:\n"
                                    "  build-commands:\n"
                                    "  - make\n");
  JobNode *config, *commands;
  g_autofree char *where = NULL;

  g_assert_cmpint (job_node_get_node_type (root), ==, JOB_NODE_MAPPING);
  g_assert_cmpuint (job_node_get_n_members (root), ==, 2);
  g_assert_cmpstr (job_node_get_member_key (root, 1), ==, "config");
  config = job_node_lookup (root, "config");
  commands = job_node_lookup (config, "build-commands");
  g_assert_cmpint (job_node_get_node_type (commands), ==, JOB_NODE_SEQUENCE);
  g_assert_cmpuint (job_node_get_line (commands), ==, 4);
  g_assert_cmpuint (job_node_get_column (commands), ==, 3);
  where = job_node_dup_provenance (job_node_get_item (commands, 0));
  g_assert_cmpstr (where, ==, "file.bst [line 4 column 5]");
  g_assert_cmpstr (job_node_get_scalar (job_node_get_item (commands, 0)), ==,
                   "make");
  g_assert_cmpstr (job_node_get_filename (config), ==, "file.bst");
}

static void
test_wrong_type (void)
{
  g_autoptr (JobNode) root = parse ("depends:\n  a: b\n");
  g_autoptr (GError) error = NULL;

  g_assert_null (job_node_get_sequence (root, "depends", &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA);
  g_assert_cmpstr (
      error->message, ==,
      "file.bst [line 2 column 3]: expected a list, got a mapping");
  g_clear_error (&error);
  g_assert_null (job_node_get_sequence (root, "absent", &error));
  g_assert_no_error (error);
  g_assert_null (job_node_get_string (root, "depends", NULL, &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (job_node_get_string (root, "kind", NULL, &error));
  g_assert_cmpstr (error->message, ==,
                   "file.bst [line 1 column 1]: missing required key “kind”");
}

static void
test_scalars (void)
{
  g_autoptr (JobNode) root = parse ("a: true\nb: 42\nc:\nd: ''\ne: [x, y]\n");
  g_autoptr (GError) error = NULL;
  gboolean b = FALSE;
  gint64 i = 0;
  g_auto (GStrv) list = NULL;

  g_assert_true (job_node_get_boolean (root, "a", FALSE, &b, &error));
  g_assert_true (b);
  g_assert_true (job_node_get_int64 (root, "b", 0, &i, &error));
  g_assert_cmpint (i, ==, 42);
  g_assert_true (job_node_is_null (job_node_lookup (root, "c")));
  g_assert_false (job_node_is_null (job_node_lookup (root, "d")));
  list = job_node_get_string_list (root, "e", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (list), ==, 2);
  g_assert_false (job_node_get_int64 (root, "a", 0, &i, &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA);
}

static void
test_unknown_key (void)
{
  g_autoptr (JobNode) root = parse ("kind: manual\n  \nbogus: 1\n");
  const char *valid[] = { "kind", "depends", NULL };
  g_autoptr (GError) error = NULL;

  g_assert_false (job_node_validate_keys (root, valid, &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (
      error->message, "file.bst [line 3 column 1]: unexpected key “bogus”"));
}

static void
test_malformed (void)
{
  assert_load_error ("a: [1, 2\n", JOB_LOAD_ERROR_INVALID_YAML,
                     "file.bst [line 2 column 1]: invalid YAML:");
  assert_load_error ("a: b\na: c\n", JOB_LOAD_ERROR_INVALID_YAML,
                     "file.bst [line 2 column 1]: duplicate key “a”");
  assert_load_error ("a: \xff\xfe\n", JOB_LOAD_ERROR_INVALID_YAML,
                     "file.bst [line 1 column 4]: invalid YAML:");
  assert_load_error ("a: *nothing\n", JOB_LOAD_ERROR_INVALID_YAML,
                     "file.bst [line 1 column 4]: alias");
  assert_load_error ("a: 1\n---\nb: 2\n", JOB_LOAD_ERROR_INVALID_YAML,
                     "file.bst [line 2 column 1]:");
  assert_load_error ("? [a]\n: b\n", JOB_LOAD_ERROR_INVALID_YAML,
                     "file.bst [line 1 column 3]: a key must be a string");
}

static void
test_deep_nesting (void)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (text, '[');
  assert_load_error (text->str, JOB_LOAD_ERROR_INVALID_YAML,
                     "file.bst [line 1 column");
  g_string_free (text, TRUE);
}

static void
test_empty (void)
{
  g_autoptr (JobNode) root = parse ("");

  g_assert_true (job_node_is_null (root));
  g_assert_cmpuint (job_node_get_line (root), ==, 1);
}

static void
test_aliases (void)
{
  g_autoptr (JobNode) root = parse ("a: &x {k: v}\nb: *x\n");
  JobNode *b = job_node_lookup (root, "b");

  g_assert_cmpstr (job_node_get_string (b, "k", NULL, NULL), ==, "v");
  g_assert_true (b != job_node_lookup (root, "a"));
}

static void
test_composite (void)
{
  g_autoptr (JobNode) base = parse ("a: 1\n"
                                    "list: [x, y]\n"
                                    "map: {k: v, l: w}\n");
  g_autoptr (JobNode) overlay = parse ("a: 2\n"
                                       "list:\n"
                                       "  (<): [first]\n"
                                       "  (>): [last]\n"
                                       "map: {k: z}\n"
                                       "new: n\n");
  g_autoptr (JobNode) result = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) list = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *yaml = NULL;

  result = job_node_composite (base, overlay, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (job_node_get_string (result, "a", NULL, NULL), ==, "2");
  list = job_node_get_string_list (result, "list", &error);
  joined = g_strjoinv (",", list);
  g_assert_cmpstr (joined, ==, "first,x,y,last");
  g_assert_cmpstr (
      job_node_get_string (job_node_lookup (result, "map"), "k", NULL, NULL),
      ==, "z");
  g_assert_cmpstr (
      job_node_get_string (job_node_lookup (result, "map"), "l", NULL, NULL),
      ==, "w");
  /* The inputs did not change. */
  g_assert_cmpstr (job_node_get_string (base, "a", NULL, NULL), ==, "1");
  g_assert_cmpstr (
      job_node_get_string (job_node_lookup (base, "map"), "k", NULL, NULL), ==,
      "v");
  g_assert_true (job_node_check_final (result, &error));
  yaml = job_node_to_yaml (result, TRUE);
  g_assert_nonnull (strstr (yaml, "- first\n"));
}

/* Strings that read as null when plain stay strings through a dump. */
static void
test_dump_null_like_strings (void)
{
  g_autoptr (JobNode) node =
      parse ("\"null\": \"~\"\n'Null': ''\n\"~\": \"NULL\"\nplain: null\n");
  g_autofree char *yaml = job_node_to_yaml (node, FALSE);
  g_autoptr (JobNode) again = parse (yaml);

  g_test_message ("%s", yaml);
  g_assert_cmpstr (job_node_as_string (job_node_lookup (again, "null"), NULL),
                   ==, "~");
  g_assert_cmpstr (job_node_as_string (job_node_lookup (again, "Null"), NULL),
                   ==, "");
  g_assert_false (job_node_is_null (job_node_lookup (again, "Null")));
  g_assert_cmpstr (job_node_as_string (job_node_lookup (again, "~"), NULL), ==,
                   "NULL");
  g_assert_true (job_node_is_null (job_node_lookup (again, "plain")));
}

static void
test_composite_replace (void)
{
  g_autoptr (JobNode) base = parse ("list: [x, y]\n");
  g_autoptr (JobNode) overlay = parse ("list:\n  (=): [z]\n  (>): [end]\n");
  g_autoptr (JobNode) result = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) list = NULL;
  g_autofree char *joined = NULL;

  result = job_node_composite (base, overlay, &error);
  g_assert_no_error (error);
  list = job_node_get_string_list (result, "list", &error);
  joined = g_strjoinv (",", list);
  g_assert_cmpstr (joined, ==, "z,end");
}

static void
test_composite_errors (void)
{
  g_autoptr (JobNode) base = parse ("map: {k: v}\nlist: [a]\n");
  g_autoptr (JobNode) overlay = parse ("map: [x]\n");
  g_autoptr (JobNode) overlay2 = parse ("other:\n  (>): [x]\n");
  g_autoptr (JobNode) overlay3 = parse ("list:\n  (>): [x]\n  key: 1\n");
  g_autoptr (JobNode) result = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_null (job_node_composite (base, overlay, &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_ILLEGAL_COMPOSITE);
  g_assert_true (
      g_str_has_prefix (error->message, "file.bst [line 1 column 6]:"));
  g_clear_error (&error);

  result = job_node_composite (base, overlay2, &error);
  g_assert_no_error (error);
  g_assert_false (job_node_check_final (result, &error));
  g_assert_error (error, JOB_LOAD_ERROR,
                  JOB_LOAD_ERROR_TRAILING_LIST_DIRECTIVE);
  g_assert_true (
      g_str_has_prefix (error->message, "file.bst [line 2 column 3]:"));
  g_clear_error (&error);

  g_assert_null (job_node_composite (base, overlay3, &error));
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA);
}

/* A serializable object holding a node, to send one through a pickle. */
#define TEST_TYPE_HOLDER (test_holder_get_type ())
G_DECLARE_FINAL_TYPE (TestHolder, test_holder, TEST, HOLDER, GObject)

struct _TestHolder
{
  GObject parent_instance;
  JobNode *node;
};

static void test_holder_serializable_init (JobSerializableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (
    TestHolder,
    test_holder,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                           test_holder_serializable_init))

static void
test_holder_serializable_init (JobSerializableInterface *iface)
{
}

static void
test_holder_get_property (GObject *object,
                          guint prop_id,
                          GValue *value,
                          GParamSpec *pspec)
{
  g_value_set_boxed (value, TEST_HOLDER (object)->node);
}

static void
test_holder_set_property (GObject *object,
                          guint prop_id,
                          const GValue *value,
                          GParamSpec *pspec)
{
  TestHolder *self = TEST_HOLDER (object);

  g_clear_pointer (&self->node, job_node_unref);
  self->node = g_value_dup_boxed (value);
}

static void
test_holder_finalize (GObject *object)
{
  g_clear_pointer (&TEST_HOLDER (object)->node, job_node_unref);
  G_OBJECT_CLASS (test_holder_parent_class)->finalize (object);
}

static void
test_holder_class_init (TestHolderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_holder_get_property;
  object_class->set_property = test_holder_set_property;
  object_class->finalize = test_holder_finalize;
  g_object_class_install_property (
      object_class, 1,
      g_param_spec_boxed ("node", NULL, NULL, JOB_TYPE_NODE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
test_holder_init (TestHolder *self)
{
}

static void
test_pickle (void)
{
  g_autoptr (JobNode) root = parse ("kind: manual\n"
                                    "config:\n"
                                    "  build-commands:\n"
                                    "  - make\n"
                                    "  empty:\n");
  g_autoptr (TestHolder) holder =
      g_object_new (TEST_TYPE_HOLDER, "node", root, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = job_pickle_dumps (G_OBJECT (holder), &error);
  g_autoptr (GObject) copy = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *where = NULL;
  JobNode *item;

  g_assert_no_error (error);
  copy = job_pickle_loads (bytes, &error);
  g_assert_no_error (error);
  g_assert_true (TEST_HOLDER (copy)->node != root);
  before = job_node_to_yaml (root, FALSE);
  after = job_node_to_yaml (TEST_HOLDER (copy)->node, FALSE);
  g_assert_cmpstr (before, ==, after);
  item = job_node_get_item (
      job_node_lookup (job_node_lookup (TEST_HOLDER (copy)->node, "config"),
                       "build-commands"),
      0);
  where = job_node_dup_provenance (item);
  g_assert_cmpstr (where, ==, "file.bst [line 4 column 5]");
  g_assert_true (job_node_is_null (job_node_lookup (
      job_node_lookup (TEST_HOLDER (copy)->node, "config"), "empty")));
}

/* A cached file is parsed once, handed out as private copies, and read
 * again when it changes; every read is still noted as an input. */
static void
test_load_file_cached (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-node-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "defaults.yaml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JobNode) first = NULL;
  g_autoptr (JobNode) second = NULL;
  g_autoptr (JobNode) third = NULL;
  g_autoptr (JobNode) missing = NULL;
  g_autoptr (JobInputs) inputs = job_inputs_new ();
  g_autoptr (JobNode) two = job_node_new_scalar ("2", NULL, 0, 0);
  g_autofree char *where = NULL;

  g_assert_true (g_file_set_contents (path, "a: 1\nb: [x]\n", -1, NULL));
  first = job_node_load_file_cached (path, "defaults.yaml", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (job_node_get_string (first, "a", NULL, NULL), ==, "1");

  /* The copy is the caller's: changing it does not reach the next one. */
  job_node_set_member (first, "a", two);
  job_inputs_start_recording (inputs);
  second = job_node_load_file_cached (path, "defaults.yaml", &error);
  job_inputs_stop_recording (inputs);
  g_assert_no_error (error);
  g_assert_true (second != first);
  g_assert_cmpstr (job_node_get_string (second, "a", NULL, NULL), ==, "1");
  where = job_node_dup_provenance (job_node_lookup (second, "b"));
  g_assert_cmpstr (where, ==, "defaults.yaml [line 2 column 4]");
  g_assert_cmpuint (job_inputs_get_n_paths (inputs), ==, 1);

  /* A file replaced is read again, even at the same size and time. */
  g_assert_true (g_file_set_contents (path, "a: 3\nb: [x]\n", -1, NULL));
  third = job_node_load_file_cached (path, "defaults.yaml", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (job_node_get_string (third, "a", NULL, NULL), ==, "3");

  g_assert_cmpint (g_unlink (path), ==, 0);
  missing = job_node_load_file_cached (path, "defaults.yaml", &error);
  g_assert_null (missing);
  g_assert_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_MISSING_FILE);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/job/node/provenance", test_provenance);
  g_test_add_func ("/job/node/wrong-type", test_wrong_type);
  g_test_add_func ("/job/node/scalars", test_scalars);
  g_test_add_func ("/job/node/unknown-key", test_unknown_key);
  g_test_add_func ("/job/node/malformed", test_malformed);
  g_test_add_func ("/job/node/deep-nesting", test_deep_nesting);
  g_test_add_func ("/job/node/empty", test_empty);
  g_test_add_func ("/job/node/aliases", test_aliases);
  g_test_add_func ("/job/node/composite", test_composite);
  g_test_add_func ("/job/node/composite-replace", test_composite_replace);
  g_test_add_func ("/job/node/dump-null-like-strings",
                   test_dump_null_like_strings);
  g_test_add_func ("/job/node/composite-errors", test_composite_errors);
  g_test_add_func ("/job/node/pickle", test_pickle);
  g_test_add_func ("/job/node/load-file-cached", test_load_file_cached);
  return g_test_run ();
}
