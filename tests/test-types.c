/* test-types.c: GObject types the pickling tests use */

#include <stdio.h>
#include <stdlib.h>

#include "test-types.h"

GType
test_color_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { TEST_COLOR_RED, "TEST_COLOR_RED", "red" },
    { TEST_COLOR_GREEN, "TEST_COLOR_GREEN", "green" },
    { TEST_COLOR_BLUE, "TEST_COLOR_BLUE", "blue" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("TestColor", values));
  return type;
}

GType
test_flags_get_type (void)
{
  static gsize type = 0;
  static const GFlagsValue values[] = {
    { TEST_FLAG_A, "TEST_FLAG_A", "a" },
    { TEST_FLAG_B, "TEST_FLAG_B", "b" },
    { TEST_FLAG_C, "TEST_FLAG_C", "c" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_flags_register_static ("TestFlags", values));
  return type;
}

/* TestValues: one property per value type, stored as GValues. */

enum
{
  V_PROP_0,
  V_PROP_BOOLEAN,
  V_PROP_CHAR,
  V_PROP_UCHAR,
  V_PROP_INT,
  V_PROP_UINT,
  V_PROP_LONG,
  V_PROP_ULONG,
  V_PROP_INT64,
  V_PROP_UINT64,
  V_PROP_FLOAT,
  V_PROP_DOUBLE,
  V_PROP_ENUM,
  V_PROP_FLAGS,
  V_PROP_STRING,
  V_PROP_STRV,
  V_PROP_BYTES,
  V_PROP_VARIANT,
  V_PROP_GTYPE,
  V_PROP_OBJECT,
  V_PROP_DATE_TIME,
  V_PROP_FILE,
  V_PROP_ERROR,
  V_PROP_LIST,
  V_N_PROPS
};

struct _TestValues
{
  GObject parent_instance;
  GValue values[V_N_PROPS];
};

static GParamSpec *values_props[V_N_PROPS];

static void
test_values_serializable_init (JobSerializableInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    TestValues,
    test_values,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                           test_values_serializable_init))

/* Drops the object references, as dispose should: breaks reference cycles. */
static void
test_values_dispose (GObject *object)
{
  TestValues *self = TEST_VALUES (object);

  for (guint i = 1; i < V_N_PROPS; i++)
    if (G_VALUE_HOLDS_OBJECT (&self->values[i]))
      g_value_reset (&self->values[i]);
  G_OBJECT_CLASS (test_values_parent_class)->dispose (object);
}

static void
test_values_finalize (GObject *object)
{
  TestValues *self = TEST_VALUES (object);

  for (guint i = 1; i < V_N_PROPS; i++)
    g_value_unset (&self->values[i]);
  G_OBJECT_CLASS (test_values_parent_class)->finalize (object);
}

static void
test_values_get_property (GObject *object,
                          guint prop_id,
                          GValue *value,
                          GParamSpec *pspec)
{
  g_value_copy (&TEST_VALUES (object)->values[prop_id], value);
}

static void
test_values_set_property (GObject *object,
                          guint prop_id,
                          const GValue *value,
                          GParamSpec *pspec)
{
  TestValues *self = TEST_VALUES (object);

  g_value_unset (&self->values[prop_id]);
  g_value_init (&self->values[prop_id], G_VALUE_TYPE (value));
  g_value_copy (value, &self->values[prop_id]);
}

static void
test_values_class_init (TestValuesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = test_values_dispose;
  object_class->finalize = test_values_finalize;
  object_class->get_property = test_values_get_property;
  object_class->set_property = test_values_set_property;

  values_props[V_PROP_BOOLEAN] =
      g_param_spec_boolean ("boolean", NULL, NULL, FALSE, rw);
  values_props[V_PROP_CHAR] =
      g_param_spec_char ("char", NULL, NULL, G_MININT8, G_MAXINT8, 0, rw);
  values_props[V_PROP_UCHAR] =
      g_param_spec_uchar ("uchar", NULL, NULL, 0, G_MAXUINT8, 0, rw);
  values_props[V_PROP_INT] =
      g_param_spec_int ("int", NULL, NULL, G_MININT, G_MAXINT, 0, rw);
  values_props[V_PROP_UINT] =
      g_param_spec_uint ("uint", NULL, NULL, 0, G_MAXUINT, 0, rw);
  values_props[V_PROP_LONG] =
      g_param_spec_long ("long", NULL, NULL, G_MINLONG, G_MAXLONG, 0, rw);
  values_props[V_PROP_ULONG] =
      g_param_spec_ulong ("ulong", NULL, NULL, 0, G_MAXULONG, 0, rw);
  values_props[V_PROP_INT64] =
      g_param_spec_int64 ("int64", NULL, NULL, G_MININT64, G_MAXINT64, 0, rw);
  values_props[V_PROP_UINT64] =
      g_param_spec_uint64 ("uint64", NULL, NULL, 0, G_MAXUINT64, 0, rw);
  values_props[V_PROP_FLOAT] =
      g_param_spec_float ("float", NULL, NULL, -G_MAXFLOAT, G_MAXFLOAT, 0, rw);
  values_props[V_PROP_DOUBLE] = g_param_spec_double (
      "double", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, rw);
  values_props[V_PROP_ENUM] = g_param_spec_enum (
      "enum", NULL, NULL, test_color_get_type (), TEST_COLOR_RED, rw);
  values_props[V_PROP_FLAGS] =
      g_param_spec_flags ("flags", NULL, NULL, test_flags_get_type (), 0, rw);
  values_props[V_PROP_STRING] =
      g_param_spec_string ("string", NULL, NULL, NULL, rw);
  values_props[V_PROP_STRV] =
      g_param_spec_boxed ("strv", NULL, NULL, G_TYPE_STRV, rw);
  values_props[V_PROP_BYTES] =
      g_param_spec_boxed ("bytes", NULL, NULL, G_TYPE_BYTES, rw);
  values_props[V_PROP_VARIANT] = g_param_spec_variant (
      "variant", NULL, NULL, G_VARIANT_TYPE_ANY, NULL, rw);
  values_props[V_PROP_GTYPE] =
      g_param_spec_gtype ("gtype", NULL, NULL, G_TYPE_NONE, rw);
  values_props[V_PROP_OBJECT] =
      g_param_spec_object ("object", NULL, NULL, G_TYPE_OBJECT, rw);
  values_props[V_PROP_DATE_TIME] =
      g_param_spec_boxed ("date-time", NULL, NULL, G_TYPE_DATE_TIME, rw);
  values_props[V_PROP_FILE] =
      g_param_spec_object ("file", NULL, NULL, G_TYPE_FILE, rw);
  values_props[V_PROP_ERROR] =
      g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, rw);
  values_props[V_PROP_LIST] =
      g_param_spec_object ("list", NULL, NULL, G_TYPE_LIST_MODEL, rw);
  g_object_class_install_properties (object_class, V_N_PROPS, values_props);
}

static void
test_values_init (TestValues *self)
{
  for (guint i = 1; i < V_N_PROPS; i++)
    {
      g_value_init (&self->values[i], values_props[i]->value_type);
      g_param_value_set_default (values_props[i], &self->values[i]);
    }
}

/* TestNode */

enum
{
  N_PROP_0,
  N_PROP_NAME,
  N_PROP_INDEX,
  N_PROP_WEIGHT,
  N_PROP_NEXT,
  N_PROP_OTHER,
  N_PROP_CHILDREN,
  N_PROP_CACHE,
  N_PROP_SCRATCH,
  N_PROP_POINT,
  N_N_PROPS
};

struct _TestNode
{
  GObject parent_instance;
  char *name;
  int index;
  gint64 weight;
  TestNode *next;
  GObject *other;
  GListModel *children;
  char *cache;
  int scratch;
  int x, y; /* "point", custom: a string "x,y" pickled as (ii) */
  guint restored_count;
};

static GParamSpec *node_props[N_N_PROPS];

static void
test_node_restored (JobSerializable *serializable)
{
  TEST_NODE (serializable)->restored_count++;
}

static void
test_node_serializable_init (JobSerializableInterface *iface)
{
  iface->restored = test_node_restored;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    TestNode,
    test_node,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE, test_node_serializable_init))

static void
test_node_dispose (GObject *object)
{
  TestNode *self = TEST_NODE (object);

  g_clear_object (&self->next);
  g_clear_object (&self->other);
  g_clear_object (&self->children);
  G_OBJECT_CLASS (test_node_parent_class)->dispose (object);
}

static void
test_node_finalize (GObject *object)
{
  TestNode *self = TEST_NODE (object);

  g_free (self->name);
  g_free (self->cache);
  G_OBJECT_CLASS (test_node_parent_class)->finalize (object);
}

static void
test_node_get_property (GObject *object,
                        guint prop_id,
                        GValue *value,
                        GParamSpec *pspec)
{
  TestNode *self = TEST_NODE (object);

  switch (prop_id)
    {
    case N_PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case N_PROP_INDEX:
      g_value_set_int (value, self->index);
      break;
    case N_PROP_WEIGHT:
      g_value_set_int64 (value, self->weight);
      break;
    case N_PROP_NEXT:
      g_value_set_object (value, self->next);
      break;
    case N_PROP_OTHER:
      g_value_set_object (value, self->other);
      break;
    case N_PROP_CHILDREN:
      g_value_set_object (value, self->children);
      break;
    case N_PROP_CACHE:
      g_value_set_string (value, self->cache);
      break;
    case N_PROP_SCRATCH:
      g_value_set_int (value, self->scratch);
      break;
    case N_PROP_POINT:
      g_value_take_string (value, g_strdup_printf ("%d,%d", self->x, self->y));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_node_set_property (GObject *object,
                        guint prop_id,
                        const GValue *value,
                        GParamSpec *pspec)
{
  TestNode *self = TEST_NODE (object);

  switch (prop_id)
    {
    case N_PROP_NAME:
      g_free (self->name);
      self->name = g_value_dup_string (value);
      break;
    case N_PROP_INDEX:
      self->index = g_value_get_int (value);
      break;
    case N_PROP_WEIGHT:
      self->weight = g_value_get_int64 (value);
      break;
    case N_PROP_NEXT:
      g_set_object (&self->next, g_value_get_object (value));
      break;
    case N_PROP_OTHER:
      g_set_object (&self->other, g_value_get_object (value));
      break;
    case N_PROP_CHILDREN:
      g_set_object (&self->children, g_value_get_object (value));
      break;
    case N_PROP_CACHE:
      g_free (self->cache);
      self->cache = g_value_dup_string (value);
      break;
    case N_PROP_SCRATCH:
      self->scratch = g_value_get_int (value);
      break;
    case N_PROP_POINT:
      {
        const char *str = g_value_get_string (value);
        if (str == NULL || sscanf (str, "%d,%d", &self->x, &self->y) != 2)
          self->x = self->y = 0;
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GVariant *
point_serialize (GObject *object,
                 GParamSpec *pspec,
                 gpointer user_data,
                 GError **error)
{
  TestNode *self = TEST_NODE (object);

  g_assert_cmpstr (user_data, ==, "point-data");
  return g_variant_new ("(ii)", self->x, self->y);
}

static gboolean
point_deserialize (GObject *object,
                   GParamSpec *pspec,
                   GVariant *value,
                   gpointer user_data,
                   GError **error)
{
  TestNode *self = TEST_NODE (object);

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE ("(ii)")))
    {
      g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
                   "point is not (ii)");
      return FALSE;
    }
  g_variant_get (value, "(ii)", &self->x, &self->y);
  return TRUE;
}

static void
test_node_class_init (TestNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = test_node_dispose;
  object_class->finalize = test_node_finalize;
  object_class->get_property = test_node_get_property;
  object_class->set_property = test_node_set_property;

  node_props[N_PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, rw);
  node_props[N_PROP_INDEX] =
      g_param_spec_int ("index", NULL, NULL, G_MININT, G_MAXINT, 0, rw);
  node_props[N_PROP_WEIGHT] =
      g_param_spec_int64 ("weight", NULL, NULL, G_MININT64, G_MAXINT64, 0, rw);
  node_props[N_PROP_NEXT] =
      g_param_spec_object ("next", NULL, NULL, TEST_TYPE_NODE, rw);
  node_props[N_PROP_OTHER] =
      g_param_spec_object ("other", NULL, NULL, G_TYPE_OBJECT, rw);
  node_props[N_PROP_CHILDREN] =
      g_param_spec_object ("children", NULL, NULL, G_TYPE_LIST_MODEL, rw);
  node_props[N_PROP_CACHE] = g_param_spec_string (
      "cache", NULL, NULL, "default-cache", rw | JOB_PARAM_CLEAR);
  node_props[N_PROP_SCRATCH] =
      g_param_spec_int ("scratch", NULL, NULL, G_MININT, G_MAXINT, 7, rw);
  node_props[N_PROP_POINT] =
      g_param_spec_string ("point", NULL, NULL, NULL, rw);
  g_object_class_install_properties (object_class, N_N_PROPS, node_props);

  /* The two introspectable declarations, made right where the properties
   * are defined. */
  job_serializable_declare_clear (TEST_TYPE_NODE, "scratch");
  job_serializable_declare_custom (TEST_TYPE_NODE, "point", point_serialize,
                                   point_deserialize, (gpointer) "point-data",
                                   NULL);
}

static void
test_node_init (TestNode *self)
{
  self->cache = g_strdup ("default-cache");
  self->scratch = 7;
}

TestNode *
test_node_new (const char *name)
{
  return g_object_new (TEST_TYPE_NODE, "name", name, NULL);
}

TestNode *
test_node_get_next (TestNode *self)
{
  return self->next;
}

void
test_node_set_next (TestNode *self, TestNode *next)
{
  g_object_set (self, "next", next, NULL);
}

guint
test_node_get_restored_count (TestNode *self)
{
  return self->restored_count;
}

/* TestFrozen: construct-only properties. */

enum
{
  F_PROP_0,
  F_PROP_ID,
  F_PROP_PARTNER,
  F_PROP_MATE,
  F_N_PROPS
};

struct _TestFrozen
{
  GObject parent_instance;
  char *id;
  GObject *partner; /* construct-only */
  GObject *mate;    /* settable after construction */
};

static void
test_frozen_serializable_init (JobSerializableInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    TestFrozen,
    test_frozen,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                           test_frozen_serializable_init))

static void
test_frozen_dispose (GObject *object)
{
  TestFrozen *self = TEST_FROZEN (object);

  g_clear_object (&self->partner);
  g_clear_object (&self->mate);
  G_OBJECT_CLASS (test_frozen_parent_class)->dispose (object);
}

static void
test_frozen_finalize (GObject *object)
{
  g_free (TEST_FROZEN (object)->id);
  G_OBJECT_CLASS (test_frozen_parent_class)->finalize (object);
}

static void
test_frozen_get_property (GObject *object,
                          guint prop_id,
                          GValue *value,
                          GParamSpec *pspec)
{
  TestFrozen *self = TEST_FROZEN (object);

  switch (prop_id)
    {
    case F_PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case F_PROP_PARTNER:
      g_value_set_object (value, self->partner);
      break;
    case F_PROP_MATE:
      g_value_set_object (value, self->mate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_frozen_set_property (GObject *object,
                          guint prop_id,
                          const GValue *value,
                          GParamSpec *pspec)
{
  TestFrozen *self = TEST_FROZEN (object);

  switch (prop_id)
    {
    case F_PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case F_PROP_PARTNER:
      self->partner = g_value_dup_object (value);
      break;
    case F_PROP_MATE:
      g_set_object (&self->mate, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_frozen_constructed (GObject *object)
{
  TestFrozen *self = TEST_FROZEN (object);

  G_OBJECT_CLASS (test_frozen_parent_class)->constructed (object);
  /* Construct-only values are there by now, as they were originally. */
  if (self->id == NULL)
    self->id = g_strdup ("unset");
}

static void
test_frozen_class_init (TestFrozenClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags co =
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = test_frozen_dispose;
  object_class->finalize = test_frozen_finalize;
  object_class->constructed = test_frozen_constructed;
  object_class->get_property = test_frozen_get_property;
  object_class->set_property = test_frozen_set_property;

  g_object_class_install_property (
      object_class, F_PROP_ID,
      g_param_spec_string ("id", NULL, NULL, NULL, co));
  g_object_class_install_property (
      object_class, F_PROP_PARTNER,
      g_param_spec_object ("partner", NULL, NULL, G_TYPE_OBJECT, co));
  g_object_class_install_property (
      object_class, F_PROP_MATE,
      g_param_spec_object ("mate", NULL, NULL, G_TYPE_OBJECT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
test_frozen_init (TestFrozen *self)
{
}

void
test_frozen_force_partner (GObject *frozen, GObject *partner)
{
  TestFrozen *self = TEST_FROZEN (frozen);

  g_set_object (&self->partner, partner);
}

/* TestSecret: must never be pickled. */

struct _TestSecret
{
  GObject parent_instance;
  char *name;
};

static char *
test_secret_get_reason (JobUnserializable *self)
{
  return g_strdup ("it holds an open connection");
}

static void
test_secret_unserializable_init (JobUnserializableInterface *iface)
{
  iface->get_reason = test_secret_get_reason;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    TestSecret,
    test_secret,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_UNSERIALIZABLE,
                           test_secret_unserializable_init))

static void
test_secret_finalize (GObject *object)
{
  g_free (TEST_SECRET (object)->name);
  G_OBJECT_CLASS (test_secret_parent_class)->finalize (object);
}

static void
test_secret_get_property (GObject *object,
                          guint prop_id,
                          GValue *value,
                          GParamSpec *pspec)
{
  g_value_set_string (value, TEST_SECRET (object)->name);
}

static void
test_secret_set_property (GObject *object,
                          guint prop_id,
                          const GValue *value,
                          GParamSpec *pspec)
{
  g_free (TEST_SECRET (object)->name);
  TEST_SECRET (object)->name = g_value_dup_string (value);
}

static void
test_secret_class_init (TestSecretClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = test_secret_finalize;
  object_class->get_property = test_secret_get_property;
  object_class->set_property = test_secret_set_property;
  g_object_class_install_property (
      object_class, 1,
      g_param_spec_string ("name", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
test_secret_init (TestSecret *self)
{
}

/* TestForeign: a GObject that knows nothing of pickling. */

struct _TestForeign
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (TestForeign, test_foreign, G_TYPE_OBJECT)

static void
test_foreign_class_init (TestForeignClass *klass)
{
}

static void
test_foreign_init (TestForeign *self)
{
}

/* TestOverride: overrides both property virtual methods for "encoded" and
 * chains up for everything else. */

struct _TestOverride
{
  GObject parent_instance;
  int encoded;
  int plain;
  gpointer opaque;
};

static GVariant *
test_override_serialize_property (JobSerializable *self,
                                  GParamSpec *pspec,
                                  GError **error)
{
  if (g_str_equal (pspec->name, "encoded"))
    {
      g_autofree char *text =
          g_strdup_printf ("#%d", TEST_OVERRIDE (self)->encoded);
      return g_variant_new_string (text);
    }
  if (g_str_equal (pspec->name, "opaque"))
    {
      /* An override can also refuse. */
      if (TEST_OVERRIDE (self)->opaque != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "opaque pointers stay home");
          return NULL;
        }
      return g_variant_new_tuple (NULL, 0);
    }
  return job_serializable_default_serialize_property (self, pspec, error);
}

static gboolean
test_override_deserialize_property (JobSerializable *self,
                                    GParamSpec *pspec,
                                    GVariant *value,
                                    GError **error)
{
  if (g_str_equal (pspec->name, "encoded"))
    {
      const char *text;

      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
          || (text = g_variant_get_string (value, NULL))[0] != '#')
        {
          g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
                       "bad encoded value");
          return FALSE;
        }
      TEST_OVERRIDE (self)->encoded = atoi (text + 1);
      return TRUE;
    }
  if (g_str_equal (pspec->name, "opaque"))
    return TRUE;
  return job_serializable_default_deserialize_property (self, pspec, value,
                                                        error);
}

static void
test_override_serializable_init (JobSerializableInterface *iface)
{
  iface->serialize_property = test_override_serialize_property;
  iface->deserialize_property = test_override_deserialize_property;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    TestOverride,
    test_override,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                           test_override_serializable_init))

static void
test_override_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  TestOverride *self = TEST_OVERRIDE (object);

  switch (prop_id)
    {
    case 1:
      g_value_set_int (value, self->encoded);
      break;
    case 2:
      g_value_set_int (value, self->plain);
      break;
    case 3:
      g_value_set_pointer (value, self->opaque);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_override_set_property (GObject *object,
                            guint prop_id,
                            const GValue *value,
                            GParamSpec *pspec)
{
  TestOverride *self = TEST_OVERRIDE (object);

  switch (prop_id)
    {
    case 1:
      self->encoded = g_value_get_int (value);
      break;
    case 2:
      self->plain = g_value_get_int (value);
      break;
    case 3:
      self->opaque = g_value_get_pointer (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_override_class_init (TestOverrideClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = test_override_get_property;
  object_class->set_property = test_override_set_property;
  g_object_class_install_property (
      object_class, 1,
      g_param_spec_int ("encoded", NULL, NULL, G_MININT, G_MAXINT, 0, rw));
  g_object_class_install_property (
      object_class, 2,
      g_param_spec_int ("plain", NULL, NULL, G_MININT, G_MAXINT, 0, rw));
  g_object_class_install_property (
      object_class, 3, g_param_spec_pointer ("opaque", NULL, NULL, rw));
}

static void
test_override_init (TestOverride *self)
{
}
