/* test-types.h: GObject types the pickling tests use */

#pragma once

#include <libjob/job.h>

G_BEGIN_DECLS

typedef enum
{
  TEST_COLOR_RED,
  TEST_COLOR_GREEN,
  TEST_COLOR_BLUE,
} TestColor;

typedef enum
{
  TEST_FLAG_A = 1 << 0,
  TEST_FLAG_B = 1 << 1,
  TEST_FLAG_C = 1 << 2,
} TestFlags;

GType test_color_get_type (void);
GType test_flags_get_type (void);

/* Every value type the pickle supports, one property each. */
#define TEST_TYPE_VALUES (test_values_get_type ())
G_DECLARE_FINAL_TYPE (TestValues, test_values, TEST, VALUES, GObject)

/* A node of a graph: a name, links to other nodes, clear and custom state. */
#define TEST_TYPE_NODE (test_node_get_type ())
G_DECLARE_FINAL_TYPE (TestNode, test_node, TEST, NODE, GObject)

TestNode *test_node_new (const char *name);
TestNode *test_node_get_next (TestNode *self);
void test_node_set_next (TestNode *self, TestNode *next);
guint test_node_get_restored_count (TestNode *self);

/* A type with construct-only properties, one of them an object. */
#define TEST_TYPE_FROZEN (test_frozen_get_type ())
G_DECLARE_FINAL_TYPE (TestFrozen, test_frozen, TEST, FROZEN, GObject)

/* Sets the construct-only partner behind GObject's back, to make the
 * construct-only cycle that the public API cannot. */
void test_frozen_force_partner (GObject *frozen, GObject *partner);

/* A type that must never be pickled. */
#define TEST_TYPE_SECRET (test_secret_get_type ())
G_DECLARE_FINAL_TYPE (TestSecret, test_secret, TEST, SECRET, GObject)

/* A plain GObject that does not implement JobSerializable. */
#define TEST_TYPE_FOREIGN (test_foreign_get_type ())
G_DECLARE_FINAL_TYPE (TestForeign, test_foreign, TEST, FOREIGN, GObject)

/* A type that overrides serialize_property / deserialize_property. */
#define TEST_TYPE_OVERRIDE (test_override_get_type ())
G_DECLARE_FINAL_TYPE (TestOverride, test_override, TEST, OVERRIDE, GObject)

G_END_DECLS
