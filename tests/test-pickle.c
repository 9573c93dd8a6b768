/* test-pickle.c: JobSerializable and the pickle */

#include <string.h>

#include "test-types.h"

static GObject *
round_trip (GObject *object)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = job_pickle_dumps (object, &error);
  GObject *copy;

  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  copy = job_pickle_loads (bytes, &error);
  g_assert_no_error (error);
  g_assert_nonnull (copy);
  g_assert_true (G_OBJECT_TYPE (copy) == G_OBJECT_TYPE (object));
  g_assert_true (copy != object);
  return copy;
}

static void
test_round_trip_scalars (void)
{
  g_autoptr (GObject) values = g_object_new (
      TEST_TYPE_VALUES, "boolean", TRUE, "char", -100, "uchar", 250, "int",
      G_MININT, "uint", G_MAXUINT, "long", G_MINLONG, "ulong", G_MAXULONG,
      "int64", G_MININT64 + 1, "uint64", G_MAXUINT64 - 1, "float", 1.5f,
      "double", 3.0e300, "enum", TEST_COLOR_BLUE, "flags",
      TEST_FLAG_A | TEST_FLAG_C, "string", "héllo", "gtype", G_TYPE_FILE, NULL);
  g_autoptr (GObject) copy = round_trip (values);
  gboolean b;
  gint8 c;
  guchar uc;
  int i;
  guint u;
  glong l;
  gulong ul;
  gint64 i64;
  guint64 u64;
  float f;
  double d;
  int e;
  guint fl;
  g_autofree char *s = NULL;
  GType t;

  g_object_get (copy, "boolean", &b, "char", &c, "uchar", &uc, "int", &i,
                "uint", &u, "long", &l, "ulong", &ul, "int64", &i64, "uint64",
                &u64, "float", &f, "double", &d, "enum", &e, "flags", &fl,
                "string", &s, "gtype", &t, NULL);
  g_assert_true (b);
  g_assert_cmpint (c, ==, -100);
  g_assert_cmpuint (uc, ==, 250);
  g_assert_cmpint (i, ==, G_MININT);
  g_assert_cmpuint (u, ==, G_MAXUINT);
  g_assert_cmpint (l, ==, G_MINLONG);
  g_assert_cmpuint (ul, ==, G_MAXULONG);
  g_assert_cmpint (i64, ==, G_MININT64 + 1);
  g_assert_cmpuint (u64, ==, G_MAXUINT64 - 1);
  g_assert_cmpfloat (f, ==, 1.5f);
  g_assert_cmpfloat (d, ==, 3.0e300);
  g_assert_cmpint (e, ==, TEST_COLOR_BLUE);
  g_assert_cmpuint (fl, ==, TEST_FLAG_A | TEST_FLAG_C);
  g_assert_cmpstr (s, ==, "héllo");
  g_assert_true (t == G_TYPE_FILE);
}

static void
test_round_trip_boxed (void)
{
  const char *strv[] = { "a", "", "ünï", NULL };
  g_autoptr (GBytes) bytes = g_bytes_new ("\0\1\2\3", 4);
  g_autoptr (GVariant) variant =
      g_variant_ref_sink (g_variant_new ("(sa{sv})", "x", NULL));
  g_autoptr (GTimeZone) tz = g_time_zone_new_identifier ("Europe/Paris");
  g_autoptr (GDateTime) dt = g_date_time_new (tz, 2026, 11, 22, 10, 30, 15.25);
  g_autoptr (GFile) file = g_file_new_for_path ("/tmp/some where");
  g_autoptr (GError) err =
      g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");
  g_autoptr (GObject) values =
      g_object_new (TEST_TYPE_VALUES, "strv", strv, "bytes", bytes, "variant",
                    variant, "date-time", dt, "file", file, "error", err, NULL);
  g_autoptr (GObject) copy = round_trip (values);
  g_auto (GStrv) strv2 = NULL;
  g_autoptr (GBytes) bytes2 = NULL;
  g_autoptr (GVariant) variant2 = NULL;
  g_autoptr (GDateTime) dt2 = NULL;
  g_autoptr (GFile) file2 = NULL;
  g_autoptr (GError) err2 = NULL;

  g_object_get (copy, "strv", &strv2, "bytes", &bytes2, "variant", &variant2,
                "date-time", &dt2, "file", &file2, "error", &err2, NULL);
  g_assert_true (g_strv_equal (strv, (const char *const *) strv2));
  g_assert_true (g_bytes_equal (bytes, bytes2));
  g_assert_true (g_variant_equal (variant, variant2));
  g_assert_true (g_date_time_equal (dt, dt2));
  g_assert_cmpstr (g_time_zone_get_identifier (g_date_time_get_timezone (dt2)),
                   ==, "Europe/Paris");
  g_assert_cmpint (g_date_time_get_microsecond (dt2), ==, 250000);
  g_assert_true (g_file_equal (file, file2));
  g_assert_error (err2, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (err2->message, ==, "gone");
}

/* A GVariant property outlives the pickle it was loaded from. */
static void
test_round_trip_variant_owned (void)
{
  g_autoptr (GError) error = NULL;
  const char *strings[] = { "a", "b", "c", NULL };
  g_autoptr (GVariant) variant =
      g_variant_ref_sink (g_variant_new ("(s^as)", "dictionary", strings));
  g_autoptr (GObject) values =
      g_object_new (TEST_TYPE_VALUES, "variant", variant, NULL);
  g_autoptr (GObject) copy = NULL;
  g_autoptr (GVariant) copied = NULL;
  GBytes *bytes = job_pickle_dumps (values, &error);
  gsize size;
  guint8 *data;

  g_assert_no_error (error);
  copy = job_pickle_loads (bytes, &error);
  g_assert_no_error (error);
  /* Scribble over and free the pickle. */
  data = g_bytes_unref_to_data (bytes, &size);
  memset (data, 0xaa, size);
  g_free (data);
  g_object_get (copy, "variant", &copied, NULL);
  g_assert_true (g_variant_equal (variant, copied));
}

static void
test_round_trip_nulls (void)
{
  g_autoptr (GObject) values = g_object_new (TEST_TYPE_VALUES, NULL);
  g_autoptr (GObject) copy = round_trip (values);
  g_autofree char *s = NULL;
  g_auto (GStrv) strv = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GObject) object = NULL;
  g_autoptr (GDateTime) dt = NULL;

  g_object_get (copy, "string", &s, "strv", &strv, "bytes", &bytes, "object",
                &object, "date-time", &dt, NULL);
  g_assert_null (s);
  g_assert_null (strv);
  g_assert_null (bytes);
  g_assert_null (object);
  g_assert_null (dt);
}

static void
test_round_trip_non_utf8 (void)
{
  const char *strv[] = { "ok", "caf\xe9", NULL };
  g_autoptr (GObject) values = g_object_new (
      TEST_TYPE_VALUES, "string", "\xff\xfe path", "strv", strv, NULL);
  g_autoptr (GObject) copy = round_trip (values);
  g_autofree char *s = NULL;
  g_auto (GStrv) strv2 = NULL;

  g_object_get (copy, "string", &s, "strv", &strv2, NULL);
  g_assert_cmpstr (s, ==, "\xff\xfe path");
  g_assert_true (g_strv_equal (strv, (const char *const *) strv2));
}

static void
test_runtime_type_kept (void)
{
  g_autoptr (TestNode) node = test_node_new ("inner");
  g_autoptr (GObject) values =
      g_object_new (TEST_TYPE_VALUES, "object", node, NULL);
  g_autoptr (GObject) copy = round_trip (values);
  g_autoptr (GObject) inner = NULL;
  g_autofree char *name = NULL;

  /* The property is declared GObject; the value is a TestNode. */
  g_object_get (copy, "object", &inner, NULL);
  g_assert_true (TEST_IS_NODE (inner));
  g_object_get (inner, "name", &name, NULL);
  g_assert_cmpstr (name, ==, "inner");
}

static void
test_list_model (void)
{
  g_autoptr (GListStore) store = g_list_store_new (TEST_TYPE_NODE);
  g_autoptr (TestNode) a = test_node_new ("a");
  g_autoptr (TestNode) b = test_node_new ("b");
  g_autoptr (GObject) values = NULL, copy = NULL;
  g_autoptr (GListModel) list = NULL;
  g_autoptr (TestNode) a2 = NULL, b2 = NULL, a3 = NULL;

  g_list_store_append (store, a);
  g_list_store_append (store, b);
  g_list_store_append (store, a);
  values = g_object_new (TEST_TYPE_VALUES, "list", store, NULL);
  copy = round_trip (values);
  g_object_get (copy, "list", &list, NULL);
  g_assert_true (G_IS_LIST_STORE (list));
  g_assert_true (g_list_model_get_item_type (list) == TEST_TYPE_NODE);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 3);
  a2 = g_list_model_get_item (list, 0);
  b2 = g_list_model_get_item (list, 1);
  a3 = g_list_model_get_item (list, 2);
  g_assert_true (a2 == a3);
  g_assert_true (a2 != b2);
}

static void
test_shared_and_cycles (void)
{
  g_autoptr (TestNode) a = test_node_new ("a");
  g_autoptr (TestNode) b = test_node_new ("b");
  g_autoptr (TestNode) shared = test_node_new ("shared");
  g_autoptr (GObject) copy = NULL;
  TestNode *a2, *b2;
  g_autoptr (GObject) a_other = NULL, b_other = NULL;

  /* a -> b -> a, and both refer to the same third node. */
  test_node_set_next (a, b);
  test_node_set_next (b, a);
  g_object_set (a, "other", shared, NULL);
  g_object_set (b, "other", shared, NULL);

  copy = round_trip (G_OBJECT (a));
  a2 = TEST_NODE (copy);
  b2 = test_node_get_next (a2);
  g_assert_nonnull (b2);
  g_assert_true (test_node_get_next (b2) == a2);
  g_object_get (a2, "other", &a_other, NULL);
  g_object_get (b2, "other", &b_other, NULL);
  g_assert_nonnull (a_other);
  g_assert_true (a_other == b_other);
  g_assert_true (a_other != G_OBJECT (shared));

  /* Break the cycles so everything is freed. */
  test_node_set_next (a, NULL);
  test_node_set_next (b2, NULL);
}

static void
test_self_reference (void)
{
  g_autoptr (TestNode) a = test_node_new ("self");
  g_autoptr (GObject) copy = NULL;

  test_node_set_next (a, a);
  copy = round_trip (G_OBJECT (a));
  g_assert_true (test_node_get_next (TEST_NODE (copy)) == TEST_NODE (copy));
  test_node_set_next (a, NULL);
  test_node_set_next (TEST_NODE (copy), NULL);
}

static void
test_clear_and_custom (void)
{
  g_autoptr (TestNode) node = test_node_new ("n");
  g_autoptr (GObject) copy = NULL;
  g_autofree char *cache = NULL, *point = NULL;
  int scratch;

  g_object_set (node, "cache", "parent-only", "scratch", 99, "point", "3,-4",
                NULL);
  copy = round_trip (G_OBJECT (node));
  g_object_get (copy, "cache", &cache, "scratch", &scratch, "point", &point,
                NULL);
  /* Clear by flag and by declaration: defaults in the copy. */
  g_assert_cmpstr (cache, ==, "default-cache");
  g_assert_cmpint (scratch, ==, 7);
  /* Custom: through its own codec. */
  g_assert_cmpstr (point, ==, "3,-4");
  g_assert_true (job_serializable_is_clear (
      g_object_class_find_property (G_OBJECT_GET_CLASS (node), "cache")));
  g_assert_true (job_serializable_is_clear (
      g_object_class_find_property (G_OBJECT_GET_CLASS (node), "scratch")));
  g_assert_false (job_serializable_is_clear (
      g_object_class_find_property (G_OBJECT_GET_CLASS (node), "point")));
}

static void
test_override_vfuncs (void)
{
  g_autoptr (GObject) object =
      g_object_new (TEST_TYPE_OVERRIDE, "encoded", 41, "plain", 5, NULL);
  g_autoptr (GObject) copy = round_trip (object);
  int encoded, plain;

  g_object_get (copy, "encoded", &encoded, "plain", &plain, NULL);
  g_assert_cmpint (encoded, ==, 41);
  g_assert_cmpint (plain, ==, 5);
}

static void
test_override_refuses (void)
{
  int dummy;
  g_autoptr (GObject) object =
      g_object_new (TEST_TYPE_OVERRIDE, "opaque", &dummy, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = job_pickle_dumps (object, &error);

  g_assert_null (bytes);
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNSERIALIZABLE);
  g_assert_nonnull (strstr (error->message, "opaque pointers stay home"));
  g_assert_nonnull (strstr (error->message, "TestOverride:opaque"));
}

static void
test_by_name_chain_up (void)
{
  g_autoptr (GObject) object = g_object_new (TEST_TYPE_OVERRIDE, NULL);
  g_autoptr (GVariant) value = g_variant_ref_sink (g_variant_new_int32 (3));
  g_autoptr (GVariant) encoded = NULL;
  g_autoptr (GError) error = NULL;

  encoded = job_serializable_default_serialize_property_by_name (
      JOB_SERIALIZABLE (object), "no-such", &error);
  g_assert_null (encoded);
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNSERIALIZABLE);
  g_assert_nonnull (strstr (error->message, "no-such"));
  g_clear_error (&error);

  g_assert_false (job_serializable_default_deserialize_property_by_name (
      JOB_SERIALIZABLE (object), "no-such", value, &error));
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNSERIALIZABLE);
  g_clear_error (&error);

  /* A known name reaches the default implementation. */
  g_assert_false (job_serializable_default_deserialize_property_by_name (
      JOB_SERIALIZABLE (object), "plain", value, &error));
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "TestOverride:plain"));
}

static void
test_construct_only (void)
{
  g_autoptr (TestNode) partner = test_node_new ("partner");
  g_autoptr (GObject) frozen =
      g_object_new (TEST_TYPE_FROZEN, "id", "f1", "partner", partner, NULL);
  g_autoptr (GObject) copy = round_trip (frozen);
  g_autofree char *id = NULL, *name = NULL;
  g_autoptr (GObject) partner2 = NULL;

  g_object_get (copy, "id", &id, "partner", &partner2, NULL);
  g_assert_cmpstr (id, ==, "f1");
  g_assert_true (TEST_IS_NODE (partner2));
  g_object_get (partner2, "name", &name, NULL);
  g_assert_cmpstr (name, ==, "partner");
}

static void
test_construct_only_chain_reverse (void)
{
  /* The root refers, construct-only, to an object discovered later, which
   * refers construct-only to another: construction must follow references,
   * not discovery order. */
  g_autoptr (GObject) c = g_object_new (TEST_TYPE_FROZEN, "id", "c", NULL);
  g_autoptr (GObject) b =
      g_object_new (TEST_TYPE_FROZEN, "id", "b", "partner", c, NULL);
  g_autoptr (GObject) a =
      g_object_new (TEST_TYPE_FROZEN, "id", "a", "partner", b, NULL);
  g_autoptr (GObject) copy = NULL;
  g_autoptr (GObject) b2 = NULL, c2 = NULL, mate = NULL;
  g_autofree char *id = NULL;

  /* And a non-construct back edge, which is fine. */
  g_object_set (c, "mate", a, NULL);
  copy = round_trip (a);
  g_object_get (copy, "partner", &b2, NULL);
  g_object_get (b2, "partner", &c2, NULL);
  g_object_get (c2, "id", &id, "mate", &mate, NULL);
  g_assert_cmpstr (id, ==, "c");
  g_assert_true (mate == copy);
  g_object_set (c, "mate", NULL, NULL);
  g_object_set (c2, "mate", NULL, NULL);
}

static void
test_construct_only_cycle (void)
{
  /* A cycle through construct-only references can only be made by cheating
   * with "mate" on one side; the pickle must refuse a real one. Build it by
   * giving an object itself as construct-only partner through a proxy. */
  g_autoptr (GObject) inner = NULL, outer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  TestNode *hub = test_node_new ("hub");

  inner = g_object_new (TEST_TYPE_FROZEN, "id", "inner", "partner", hub, NULL);
  outer =
      g_object_new (TEST_TYPE_FROZEN, "id", "outer", "partner", inner, NULL);
  /* hub.next is not construct-only, so this is still fine. */
  g_object_set (hub, "other", outer, NULL);
  bytes = job_pickle_dumps (outer, &error);
  g_assert_no_error (error);
  g_clear_pointer (&bytes, g_bytes_unref);
  g_object_set (hub, "other", NULL, NULL);
  g_object_unref (hub);
}

static void
test_construct_only_cycle_refused (void)
{
  g_autoptr (GObject) a = g_object_new (TEST_TYPE_FROZEN, "id", "a", NULL);
  g_autoptr (GObject) b =
      g_object_new (TEST_TYPE_FROZEN, "id", "b", "partner", a, NULL);
  g_autoptr (GError) error = NULL;

  test_frozen_force_partner (a, b);
  g_assert_false (job_pickle_check (a, &error));
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNSERIALIZABLE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (
      strstr (error->message, "construct-only references form a cycle"));
  g_assert_nonnull (
      strstr (error->message, "TestFrozen → TestFrozen → TestFrozen"));
  g_assert_null (strstr (error->message, "reached through"));
  test_frozen_force_partner (a, NULL);
}

static void
test_restored_hook (void)
{
  g_autoptr (TestNode) a = test_node_new ("a");
  g_autoptr (TestNode) b = test_node_new ("b");
  g_autoptr (GObject) copy = NULL;

  test_node_set_next (a, b);
  copy = round_trip (G_OBJECT (a));
  g_assert_cmpuint (test_node_get_restored_count (TEST_NODE (copy)), ==, 1);
  g_assert_cmpuint (
      test_node_get_restored_count (test_node_get_next (TEST_NODE (copy))), ==,
      1);
  g_assert_cmpuint (test_node_get_restored_count (a), ==, 0);
}

static TestNode *
make_graph (void)
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
  return root;
}

static void
test_deterministic (void)
{
  g_autoptr (TestNode) root1 = make_graph ();
  g_autoptr (TestNode) root2 = make_graph ();
  g_autoptr (GBytes) a = job_pickle_dumps (G_OBJECT (root1), NULL);
  g_autoptr (GBytes) b = job_pickle_dumps (G_OBJECT (root1), NULL);
  g_autoptr (GBytes) c = job_pickle_dumps (G_OBJECT (root2), NULL);
  g_autoptr (GObject) copy = job_pickle_loads (a, NULL);
  g_autoptr (GBytes) d = job_pickle_dumps (copy, NULL);

  g_assert_true (g_bytes_equal (a, b));
  /* An equal graph built separately, and the rebuilt graph, give the same
   * bytes. */
  g_assert_true (g_bytes_equal (a, c));
  g_assert_true (g_bytes_equal (a, d));
}

static void
test_chain_error (void)
{
  g_autoptr (TestNode) root = test_node_new ("root");
  g_autoptr (TestNode) mid = test_node_new ("mid");
  g_autoptr (TestNode) deep = test_node_new ("deep");
  g_autoptr (TestSecret) secret =
      g_object_new (TEST_TYPE_SECRET, "name", "db", NULL);
  g_autoptr (TestForeign) foreign = g_object_new (TEST_TYPE_FOREIGN, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  /* root.other -> secret (depth 1)
   * root.next -> mid.next -> deep.other -> foreign (depth 3)
   * mid.other -> secret as well (a second referrer) */
  g_object_set (root, "other", secret, "next", mid, NULL);
  g_object_set (mid, "next", deep, "other", secret, NULL);
  g_object_set (deep, "other", foreign, NULL);

  bytes = job_pickle_dumps (G_OBJECT (root), &error);
  g_assert_null (bytes);
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNSERIALIZABLE);
  g_test_message ("%s", error->message);

  g_assert_nonnull (strstr (error->message, "2 values cannot be pickled"));
  /* The first problem: the secret, with its reason and both referrers. */
  g_assert_nonnull (strstr (
      error->message,
      "1. TestSecret: must never be pickled: it holds an open connection"));
  g_assert_nonnull (strstr (error->message, "TestNode “root” through .other"));
  g_assert_nonnull (strstr (error->message, "TestNode “mid” through .other"));
  /* The second: the foreign object, with its whole chain. */
  g_assert_nonnull (strstr (
      error->message, "2. TestForeign: does not implement JobSerializable"));
  g_assert_nonnull (strstr (error->message, ".next → TestNode “mid”"));
  g_assert_nonnull (strstr (error->message, ".next → TestNode “deep”"));
  g_assert_nonnull (strstr (error->message, ".other → TestForeign"));
  /* The fixes. */
  g_assert_nonnull (strstr (error->message, "declare TestNode:other clear"));
  g_assert_nonnull (
      strstr (error->message, "make TestForeign implement JobSerializable"));

  /* job_pickle_check() reports exactly the same. */
  {
    g_autoptr (GError) check_error = NULL;
    g_assert_false (job_pickle_check (G_OBJECT (root), &check_error));
    g_assert_cmpstr (check_error->message, ==, error->message);
  }
}

static void
test_chain_error_list (void)
{
  g_autoptr (TestNode) root = test_node_new ("root");
  g_autoptr (GListStore) store = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr (TestForeign) foreign = g_object_new (TEST_TYPE_FOREIGN, NULL);
  g_autoptr (TestNode) ok = test_node_new ("ok");
  g_autoptr (GError) error = NULL;

  g_list_store_append (store, ok);
  g_list_store_append (store, foreign);
  g_object_set (root, "children", store, NULL);
  g_assert_false (job_pickle_check (G_OBJECT (root), &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, ".children → GListStore"));
  g_assert_nonnull (strstr (error->message, "[1] → TestForeign"));
}

static void
test_unpicklable_root (void)
{
  g_autoptr (TestSecret) secret = g_object_new (TEST_TYPE_SECRET, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_false (job_pickle_check (G_OBJECT (secret), &error));
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNSERIALIZABLE);
  g_assert_nonnull (strstr (error->message, "it holds an open connection"));
}

static void
test_long_chain (void)
{
  const guint n = 100000;
  TestNode *head = test_node_new ("0");
  TestNode *tail = head;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  GObject *copy;
  guint count = 0;

  for (guint i = 1; i < n; i++)
    {
      TestNode *node = test_node_new (NULL);
      g_object_set (node, "index", i, NULL);
      test_node_set_next (tail, node);
      g_object_unref (node);
      tail = node;
    }
  bytes = job_pickle_dumps (G_OBJECT (head), &error);
  g_assert_no_error (error);
  copy = job_pickle_loads (bytes, &error);
  g_assert_no_error (error);

  for (TestNode *node = TEST_NODE (copy); node != NULL;
       node = test_node_get_next (node))
    count++;
  g_assert_cmpuint (count, ==, n);

  /* Unlink from the head so that freeing does not recurse either. */
  for (GObject *objects[2] = { G_OBJECT (head), copy }, **p = objects;
       p < objects + 2; p++)
    {
      TestNode *node = TEST_NODE (*p);
      g_object_ref (node);
      while (node != NULL)
        {
          TestNode *next = test_node_get_next (node);
          if (next != NULL)
            g_object_ref (next);
          test_node_set_next (node, NULL);
          g_object_unref (node);
          node = next;
        }
      g_object_unref (*p);
    }
}

static void
test_frames_out_of_band (void)
{
  gsize size = 64 * 1024 * 1024;
  g_autoptr (GBytes) big = g_bytes_new_take (g_malloc0 (size), size);
  g_autoptr (GBytes) small = g_bytes_new ("small", 5);
  g_autoptr (GObject) values =
      g_object_new (TEST_TYPE_VALUES, "bytes", big, NULL);
  g_autoptr (GObject) small_values =
      g_object_new (TEST_TYPE_VALUES, "bytes", small, NULL);
  g_autoptr (JobPickleFrames) frames = NULL, small_frames = NULL;
  g_autoptr (GObject) copy = NULL;
  g_autoptr (GBytes) big2 = NULL;
  g_autoptr (GError) error = NULL;

  frames = job_pickle_dump_frames (values, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (job_pickle_frames_get_n_frames (frames), ==, 1);
  g_assert_true (job_pickle_frames_get_frame (frames, 0) == big);
  g_assert_cmpuint (g_bytes_get_size (job_pickle_frames_get_header (frames)), <,
                    4096);

  copy = job_pickle_load_frames (frames, &error);
  g_assert_no_error (error);
  g_object_get (copy, "bytes", &big2, NULL);
  /* In process, not one byte was copied. */
  g_assert_true (g_bytes_get_data (big2, NULL) == g_bytes_get_data (big, NULL));

  small_frames = job_pickle_dump_frames (small_values, 0, &error);
  g_assert_cmpuint (job_pickle_frames_get_n_frames (small_frames), ==, 0);

  /* A lower threshold moves even small values out. */
  g_clear_pointer (&small_frames, job_pickle_frames_unref);
  small_frames = job_pickle_dump_frames (small_values, 4, &error);
  g_assert_cmpuint (job_pickle_frames_get_n_frames (small_frames), ==, 1);
}

static void
test_frames_flat (void)
{
  g_autoptr (GBytes) big = g_bytes_new_take (g_malloc0 (100003), 100003);
  g_autoptr (GBytes) big_b = g_bytes_new_take (g_malloc (70001), 70001);
  g_autoptr (TestNode) root = test_node_new ("root");
  g_autoptr (GObject) a = g_object_new (TEST_TYPE_VALUES, "bytes", big, NULL);
  g_autoptr (GObject) b = g_object_new (TEST_TYPE_VALUES, "bytes", big_b, NULL);
  g_autoptr (GBytes) flat = NULL;
  g_autoptr (JobPickleFrames) frames = NULL;
  g_autoptr (GObject) copy = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) a2 = NULL;
  g_autoptr (GBytes) big2 = NULL;

  memset ((gpointer) g_bytes_get_data (big_b, NULL), 0x5a, 70001);
  g_object_set (root, "other", a, NULL);
  g_object_set (a, "object", b, NULL);
  flat = job_pickle_dumps (G_OBJECT (root), &error);
  g_assert_no_error (error);
  frames = job_pickle_frames_new_from_bytes (flat, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (job_pickle_frames_get_n_frames (frames), ==, 2);
  copy = job_pickle_loads (flat, &error);
  g_assert_no_error (error);
  g_object_get (copy, "other", &a2, NULL);
  g_object_get (a2, "bytes", &big2, NULL);
  g_assert_true (g_bytes_equal (big, big2));

  /* Reassembled from parts, as a transport would. */
  {
    GBytes *parts[2] = { job_pickle_frames_get_frame (frames, 0),
                         job_pickle_frames_get_frame (frames, 1) };
    g_autoptr (JobPickleFrames) again =
        job_pickle_frames_new (job_pickle_frames_get_header (frames), parts, 2);
    g_autoptr (GObject) copy2 = job_pickle_load_frames (again, &error);
    g_autoptr (JobPickleFrames) missing =
        job_pickle_frames_new (job_pickle_frames_get_header (frames), parts, 1);
    g_autoptr (GObject) copy3 = NULL;

    g_assert_no_error (error);
    g_assert_nonnull (copy2);
    copy3 = job_pickle_load_frames (missing, &error);
    g_assert_null (copy3);
    g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  }
}

static void
test_origins (void)
{
  g_autoptr (TestNode) node = test_node_new ("x");
  g_autoptr (JobPickleFrames) frames =
      job_pickle_dump_frames (G_OBJECT (node), 0, NULL);
  g_auto (GStrv) origins = job_pickle_frames_get_origins (frames, NULL);

  /* Types of the program itself are "core": nothing to load. */
  g_assert_cmpstr (job_type_get_origin (TEST_TYPE_NODE), ==, "core");
  g_assert_cmpuint (g_strv_length (origins), ==, 0);

  job_type_set_origin (TEST_TYPE_FROZEN,
                       "/usr/lib/libjob-1.0/plugins/libtest.so");
  {
    g_autoptr (GObject) frozen =
        g_object_new (TEST_TYPE_FROZEN, "partner", node, NULL);
    g_autoptr (JobPickleFrames) frames2 =
        job_pickle_dump_frames (frozen, 0, NULL);
    g_auto (GStrv) origins2 = job_pickle_frames_get_origins (frames2, NULL);

    g_assert_cmpuint (g_strv_length (origins2), ==, 1);
    g_assert_cmpstr (origins2[0], ==, "/usr/lib/libjob-1.0/plugins/libtest.so");
  }
}

static void
test_invalid_inputs (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr (GBytes) junk = g_bytes_new ("JPKL\xff\xff\xff\xff", 8);
  g_autoptr (GObject) none = job_pickle_loads (empty, &error);

  g_assert_null (none);
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (job_pickle_loads (junk, &error));
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
}

/* Hand-made pickles, in the encoding job-pickle-private.h describes. */
typedef struct
{
  GByteArray *bytes;
} Craft;

static void
craft_varint (Craft *c, guint64 v)
{
  do
    {
      guint8 b = (v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
      g_byte_array_append (c->bytes, &b, 1);
      v >>= 7;
    }
  while (v != 0);
}

/* Its length, its bytes and a NUL. */
static void
craft_string (Craft *c, const char *s)
{
  craft_varint (c, strlen (s));
  g_byte_array_append (c->bytes, (const guint8 *) s, strlen (s) + 1);
}

/* A header with one type and its property names, then raw object bytes. */
static GBytes *
craft_pickle (const char *magic,
              guint version,
              const char *type,
              const char *const *props,
              guint n_objects,
              const guint8 *objects,
              gsize objects_len)
{
  Craft c = { g_byte_array_new () };
  g_autoptr (GBytes) header = NULL;
  g_autoptr (JobPickleFrames) frames = NULL;

  g_byte_array_append (c.bytes, (const guint8 *) magic, 4);
  craft_varint (&c, version);
  craft_varint (&c, 0); /* frames */
  craft_varint (&c, 1); /* types */
  craft_string (&c, type);
  craft_string (&c, "core");
  craft_varint (&c, props ? g_strv_length ((char **) props) : 0);
  for (guint i = 0; props && props[i]; i++)
    craft_string (&c, props[i]);
  craft_varint (&c, n_objects);
  g_byte_array_append (c.bytes, objects, objects_len);
  header = g_byte_array_free_to_bytes (c.bytes);
  frames = job_pickle_frames_new (header, NULL, 0);
  return job_pickle_frames_to_bytes (frames);
}

static void
assert_refused (GBytes *pickle, GQuark domain, int code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) object = job_pickle_loads (pickle, &error);

  g_assert_null (object);
  g_assert_error (error, domain, code);
  g_test_message ("refused: %s", error->message);
}

static void
test_version_and_types (void)
{
  const char *next[] = { "next", NULL };
  const char *index[] = { "index", NULL };
  const char *cache[] = { "cache", NULL };
  const char *partner[] = { "partner", NULL };
  const char *ulong_prop[] = { "ulong", NULL };
  const char *unsorted[] = { "name", "index", NULL };
  const char *both[] = { "index", "name", NULL };
  /* type index 0, then values */
  const guint8 next_5[] = { 0, 6 }; /* next -> object 5 */
  const guint8 bad_varint[] = { 0,    0xff, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
  const guint8 index_84[] = { 0, 84 }; /* zigzag 42 */
  const guint8 cache_x[] = { 0, 2, 'x', 0 };
  const guint8 cycle[] = { 0, 2, 0, 1 }; /* 0.partner = 1, 1.partner = 0 */
  const guint8 huge_ulong[] = { 0,    0xff, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0x01 };
  const guint8 ok[] = { 0,   84,  10,  'h', 'a', 'n', 'd',
                        '-', 'm', 'a', 'd', 'e', 0 };
  const guint8 stray[] = { 0, 84, 1, 0, 0 };
  g_autoptr (GBytes) future =
      craft_pickle ("JOBP", 99, "TestNode", NULL, 1, index_84, 1);
  g_autoptr (GBytes) other =
      craft_pickle ("XXXX", 1, "TestNode", NULL, 1, index_84, 1);
  g_autoptr (GBytes) unknown = craft_pickle (
      "JOBP", JOB_PICKLE_FORMAT_VERSION, "NoSuchType", NULL, 1, index_84, 1);
  g_autoptr (GBytes) foreign = craft_pickle (
      "JOBP", JOB_PICKLE_FORMAT_VERSION, "TestForeign", NULL, 1, index_84, 1);
  g_autoptr (GBytes) list = craft_pickle ("JOBP", JOB_PICKLE_FORMAT_VERSION,
                                          "GFileMonitor", NULL, 1, index_84, 1);
  g_autoptr (GBytes) bad_index =
      craft_pickle ("JOBP", JOB_PICKLE_FORMAT_VERSION, "TestNode", next, 1,
                    next_5, sizeof next_5);
  g_autoptr (GBytes) overlong =
      craft_pickle ("JOBP", JOB_PICKLE_FORMAT_VERSION, "TestNode", index, 1,
                    bad_varint, sizeof bad_varint);
  g_autoptr (GBytes) no_prop =
      craft_pickle ("JOBP", JOB_PICKLE_FORMAT_VERSION, "TestNode", cache, 1,
                    cache_x, sizeof cache_x);
  g_autoptr (GBytes) construct_cycle =
      craft_pickle ("JOBP", JOB_PICKLE_FORMAT_VERSION, "TestFrozen", partner, 2,
                    cycle, sizeof cycle);
  g_autoptr (GBytes) out_of_range =
      craft_pickle ("JOBP", JOB_PICKLE_FORMAT_VERSION, "TestValues", ulong_prop,
                    1, huge_ulong, sizeof huge_ulong);
  g_autoptr (GBytes) not_sorted =
      craft_pickle ("JOBP", JOB_PICKLE_FORMAT_VERSION, "TestNode", unsorted, 1,
                    ok, sizeof ok);
  g_autoptr (GBytes) too_many =
      craft_pickle ("JOBP", JOB_PICKLE_FORMAT_VERSION, "TestNode", index,
                    1000000, index_84, sizeof index_84);
  g_autoptr (GBytes) trailing =
      craft_pickle ("JOBP", JOB_PICKLE_FORMAT_VERSION, "TestNode", index, 1,
                    stray, sizeof stray);
  g_autoptr (GBytes) good = craft_pickle ("JOBP", JOB_PICKLE_FORMAT_VERSION,
                                          "TestNode", both, 1, ok, sizeof ok);
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) made = NULL;
  g_autofree char *name = NULL;
  int value;

  assert_refused (future, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_VERSION);
  assert_refused (other, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  assert_refused (unknown, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE);
  /* Registered, but not serializable: never instantiated. */
  assert_refused (foreign, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE);
  assert_refused (list, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE);
  assert_refused (bad_index, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  assert_refused (overlong, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  /* A clear property cannot be smuggled in. */
  assert_refused (no_prop, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  assert_refused (construct_cycle, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  if (sizeof (gulong) < 8)
    assert_refused (out_of_range, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  assert_refused (not_sorted, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  /* A count larger than the data can hold is refused before any allocation. */
  assert_refused (too_many, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  assert_refused (trailing, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);

  made = job_pickle_loads (good, &error);
  g_assert_no_error (error);
  g_object_get (made, "index", &value, "name", &name, NULL);
  g_assert_cmpint (value, ==, 42);
  g_assert_cmpstr (name, ==, "hand-made");
}

/* A mutated pickle that still loads may hold cycles: break every reference
 * of a make_graph()-shaped graph so that it can be freed. */
static void
break_graph (GObject *root)
{
  g_autoptr (GListModel) children = NULL;

  if (!TEST_IS_NODE (root))
    return;
  g_object_get (root, "children", &children, NULL);
  if (children != NULL)
    {
      g_autoptr (GPtrArray) items =
          g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < g_list_model_get_n_items (children); i++)
        g_ptr_array_add (items, g_list_model_get_item (children, i));
      if (G_IS_LIST_STORE (children))
        g_list_store_remove_all (G_LIST_STORE (children));
      for (guint i = 0; i < items->len; i++)
        g_object_run_dispose (items->pdata[i]);
    }
  g_object_run_dispose (root);
}

/* One TestNode record: children, index, name, next, other, point, weight
 * (sorted), with next given as an object index (or -1 for NULL) and point
 * as a GVariant. */
static void
craft_node (GByteArray *out, const char *name, int next, GVariant *point)
{
  Craft c = { out };
  g_autoptr (GVariant) owned = g_variant_ref_sink (point);
  const char *type = g_variant_get_type_string (owned);
  guint8 zero = 0, one = 1;

  craft_varint (&c, 0);                 /* type 0 */
  g_byte_array_append (out, &zero, 1);  /* children: NULL */
  craft_varint (&c, 0);                 /* index: 0 */
  craft_varint (&c, strlen (name) + 1); /* name */
  g_byte_array_append (out, (const guint8 *) name, strlen (name) + 1);
  craft_varint (&c, next < 0 ? 0 : (guint) next + 1); /* next */
  g_byte_array_append (out, &zero, 1);                /* other: NULL */
  g_byte_array_append (out, &one, 1);                 /* point: a GVariant */
  craft_string (&c, type);
  craft_varint (&c, g_variant_get_size (owned));
  g_byte_array_append (out, g_variant_get_data (owned),
                       g_variant_get_size (owned));
  craft_varint (&c, 0); /* weight: 0 */
}

static void
test_unreachable_and_cycles (void)
{
  const char *props[] = { "children", "index", "name",   "next",
                          "other",    "point", "weight", NULL };
  g_autoptr (GByteArray) lost = g_byte_array_new ();
  g_autoptr (GByteArray) cycle = g_byte_array_new ();
  g_autoptr (GBytes) unreachable = NULL, failing_cycle = NULL;
  g_autoptr (GError) error = NULL;

  /* Object 1 is not reachable from the root and refers to itself. */
  craft_node (lost, "root", -1, g_variant_new ("(ii)", 0, 0));
  craft_node (lost, "lost", 1, g_variant_new ("(ii)", 0, 0));
  unreachable = craft_pickle ("JOBP", JOB_PICKLE_FORMAT_VERSION, "TestNode",
                              props, 2, lost->data, lost->len);
  /* A cycle 0 -> 1 -> 0 is wired up before object 1's point fails. */
  craft_node (cycle, "a", 1, g_variant_new ("(ii)", 0, 0));
  craft_node (cycle, "b", 0, g_variant_new_string ("not a point"));
  failing_cycle = craft_pickle ("JOBP", JOB_PICKLE_FORMAT_VERSION, "TestNode",
                                props, 2, cycle->data, cycle->len);

  /* Under ASan (G_SLICE=always-malloc) a leaked cycle fails this test. */
  g_assert_null (job_pickle_loads (unreachable, &error));
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  g_assert_nonnull (strstr (
      error->message, "object 1 (TestNode) is not reachable from the root"));
  g_clear_error (&error);
  g_assert_null (job_pickle_loads (failing_cycle, &error));
  g_assert_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "point is not (ii)"));
}

static void
test_mutations (void)
{
  g_autoptr (TestNode) root = make_graph ();
  g_autoptr (GBytes) valid = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261122);
  gsize size;
  const guint8 *data;
  guint n_errors = 0, n_loaded = 0;

  g_object_set (root, "point", "1,2", NULL);
  valid = job_pickle_dumps (G_OBJECT (root), NULL);
  data = g_bytes_get_data (valid, &size);

  for (guint i = 0; i < 500; i++)
    {
      guint8 *copy = g_memdup2 (data, size);
      gsize new_size = size;
      g_autoptr (GBytes) mutated = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (GObject) object = NULL;

      switch (g_rand_int_range (rand, 0, 4))
        {
        case 0: /* flip bits */
          for (int k = g_rand_int_range (rand, 1, 8); k > 0; k--)
            copy[g_rand_int_range (rand, 0, size)] ^=
                1 << g_rand_int_range (rand, 0, 8);
          break;
        case 1: /* truncate */
          new_size = g_rand_int_range (rand, 0, size);
          break;
        case 2: /* random bytes over a span */
          {
            gsize at = g_rand_int_range (rand, 0, size);
            for (gsize k = at; k < MIN (size, at + 16); k++)
              copy[k] = g_rand_int_range (rand, 0, 256);
          }
          break;
        default: /* header length field */
          copy[4 + g_rand_int_range (rand, 0, 4)] =
              g_rand_int_range (rand, 0, 256);
          break;
        }
      mutated = g_bytes_new_take (copy, new_size);
      object = job_pickle_loads (mutated, &error);
      if (object == NULL)
        {
          g_assert_nonnull (error);
          g_assert_true (error->domain == JOB_PICKLE_ERROR);
          n_errors++;
        }
      else
        {
          break_graph (object);
          n_loaded++;
        }
    }
  g_test_message ("%u mutations refused with an error, %u still loaded",
                  n_errors, n_loaded);
  g_assert_cmpuint (n_errors + n_loaded, ==, 500);
  g_assert_cmpuint (n_errors, >, 250);
}

static void
test_declare_errors (void)
{
  if (g_test_subprocess ())
    {
      job_serializable_declare_clear (TEST_TYPE_NODE, "no-such-property");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*has no such property*");
}

static void
test_declare_twice (void)
{
  if (g_test_subprocess ())
    {
      job_serializable_declare_clear (TEST_TYPE_NODE, "scratch");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*already declared*");
}

/* TestWatched connects to its own "notify" when it is made: the rebuilt
 * object must see its properties' notifications as if it were set by
 * g_object_set(). */
#define TEST_TYPE_WATCHED (test_watched_get_type ())
G_DECLARE_FINAL_TYPE (TestWatched, test_watched, TEST, WATCHED, GObject)

struct _TestWatched
{
  GObject parent_instance;
  char *label;
  guint n_notified;
};

static void
test_watched_serializable_init (JobSerializableInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    TestWatched,
    test_watched,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                           test_watched_serializable_init))

static void
test_watched_finalize (GObject *object)
{
  g_free (TEST_WATCHED (object)->label);
  G_OBJECT_CLASS (test_watched_parent_class)->finalize (object);
}

static void
test_watched_get_property (GObject *object,
                           guint prop_id,
                           GValue *value,
                           GParamSpec *pspec)
{
  if (prop_id == 1)
    g_value_set_string (value, TEST_WATCHED (object)->label);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
test_watched_set_property (GObject *object,
                           guint prop_id,
                           const GValue *value,
                           GParamSpec *pspec)
{
  TestWatched *self = TEST_WATCHED (object);

  if (prop_id == 1)
    {
      g_free (self->label);
      self->label = g_value_dup_string (value);
    }
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
test_watched_class_init (TestWatchedClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = test_watched_finalize;
  object_class->get_property = test_watched_get_property;
  object_class->set_property = test_watched_set_property;
  g_object_class_install_property (
      object_class, 1,
      g_param_spec_string ("label", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
label_notified (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  TEST_WATCHED (object)->n_notified++;
}

static void
test_watched_init (TestWatched *self)
{
  g_signal_connect (self, "notify::label", G_CALLBACK (label_notified), NULL);
}

static void
test_notify_observed (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TestWatched) watched =
      g_object_new (TEST_TYPE_WATCHED, "label", "seen", NULL);
  g_autoptr (GBytes) bytes = job_pickle_dumps (G_OBJECT (watched), &error);
  g_autoptr (GObject) copy = NULL;

  g_assert_no_error (error);
  copy = job_pickle_loads (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (TEST_WATCHED (copy)->label, ==, "seen");
  /* Notified, as by g_object_set(), because something listens. */
  g_assert_cmpuint (TEST_WATCHED (copy)->n_notified, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/job/pickle/round-trip/scalars", test_round_trip_scalars);
  g_test_add_func ("/job/pickle/notify-observed", test_notify_observed);
  g_test_add_func ("/job/pickle/round-trip/boxed", test_round_trip_boxed);
  g_test_add_func ("/job/pickle/round-trip/nulls", test_round_trip_nulls);
  g_test_add_func ("/job/pickle/round-trip/variant-owned",
                   test_round_trip_variant_owned);
  g_test_add_func ("/job/pickle/round-trip/non-utf8", test_round_trip_non_utf8);
  g_test_add_func ("/job/pickle/round-trip/runtime-type",
                   test_runtime_type_kept);
  g_test_add_func ("/job/pickle/round-trip/list-model", test_list_model);
  g_test_add_func ("/job/pickle/graph/shared-and-cycles",
                   test_shared_and_cycles);
  g_test_add_func ("/job/pickle/graph/self-reference", test_self_reference);
  g_test_add_func ("/job/pickle/graph/long-chain", test_long_chain);
  g_test_add_func ("/job/pickle/declarations/clear-and-custom",
                   test_clear_and_custom);
  g_test_add_func ("/job/pickle/declarations/unknown-property",
                   test_declare_errors);
  g_test_add_func ("/job/pickle/declarations/twice", test_declare_twice);
  g_test_add_func ("/job/pickle/vfuncs/override", test_override_vfuncs);
  g_test_add_func ("/job/pickle/vfuncs/override-refuses",
                   test_override_refuses);
  g_test_add_func ("/job/pickle/vfuncs/by-name", test_by_name_chain_up);
  g_test_add_func ("/job/pickle/vfuncs/restored", test_restored_hook);
  g_test_add_func ("/job/pickle/construct-only/cycle-refused",
                   test_construct_only_cycle_refused);
  g_test_add_func ("/job/pickle/construct-only/values", test_construct_only);
  g_test_add_func ("/job/pickle/construct-only/order",
                   test_construct_only_chain_reverse);
  g_test_add_func ("/job/pickle/construct-only/back-edge",
                   test_construct_only_cycle);
  g_test_add_func ("/job/pickle/deterministic", test_deterministic);
  g_test_add_func ("/job/pickle/unserializable/chain", test_chain_error);
  g_test_add_func ("/job/pickle/unserializable/list", test_chain_error_list);
  g_test_add_func ("/job/pickle/unserializable/root", test_unpicklable_root);
  g_test_add_func ("/job/pickle/frames/out-of-band", test_frames_out_of_band);
  g_test_add_func ("/job/pickle/frames/flat", test_frames_flat);
  g_test_add_func ("/job/pickle/frames/origins", test_origins);
  g_test_add_func ("/job/pickle/untrusted/invalid", test_invalid_inputs);
  g_test_add_func ("/job/pickle/untrusted/version-and-types",
                   test_version_and_types);
  g_test_add_func ("/job/pickle/untrusted/mutations", test_mutations);
  g_test_add_func ("/job/pickle/untrusted/unreachable-and-cycles",
                   test_unreachable_and_cycles);

  return g_test_run ();
}
