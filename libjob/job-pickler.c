/* job-pickler.c: walks an object graph breadth-first and writes its pickle
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "job-pickle-buffer-private.h"
#include "job-pickle-private.h"
#include "job-type-plan-private.h"

#define NO_INDEX G_MAXUINT

typedef struct
{
  guint holder;         /* object index, or NO_INDEX for the root */
  const char *property; /* property followed, or NULL for a list item */
  guint item;           /* list position when property is NULL */
} Hop;

typedef struct
{
  GObject *object;
  const JobTypePlan *plan;
  guint type_index;
  Hop reached; /* how the walk first got here */
} PickleObject;

typedef struct
{
  char *what; /* "GSocketClient: does not implement JobSerializable" */
  char *fix;
  Hop reached;
  GArray *referrers; /* Hop, every place that refers to it */
} Problem;

/* An open-addressing map from pointers to indexes: one probe per lookup
 * in the common case, no allocation per entry. A slot is in use when its
 * stamp is the map's: emptying the map is a new stamp, so its storage is
 * reused from one pickle to the next at no cost. */
typedef struct
{
  gconstpointer *keys;
  guint *values;
  guint *stamps;
  guint stamp;
  guint mask; /* capacity - 1, a power of two */
  guint len;
} PtrMap;

static void
ptr_map_init (PtrMap *map, guint capacity)
{
  map->keys = g_new (gconstpointer, capacity);
  map->values = g_new (guint, capacity);
  map->stamps = g_new0 (guint, capacity);
  map->stamp = 1;
  map->mask = capacity - 1;
  map->len = 0;
}

static void
ptr_map_clear (PtrMap *map)
{
  g_clear_pointer (&map->keys, g_free);
  g_clear_pointer (&map->values, g_free);
  g_clear_pointer (&map->stamps, g_free);
}

/* Empties the map, keeping its storage. */
static void
ptr_map_reset (PtrMap *map)
{
  map->len = 0;
  if (++map->stamp == 0)
    {
      memset (map->stamps, 0, sizeof (guint) * (map->mask + 1));
      map->stamp = 1;
    }
}

static inline guint
ptr_map_slot (const PtrMap *map, gconstpointer key)
{
  guint64 h =
      (guint64) (guintptr) key * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);

  return (guint) (h >> 32) & map->mask;
}

/* The value of @key, or G_MAXUINT. */
static inline guint
ptr_map_lookup (const PtrMap *map, gconstpointer key)
{
  for (guint i = ptr_map_slot (map, key);; i = (i + 1) & map->mask)
    {
      if (map->stamps[i] != map->stamp)
        return G_MAXUINT;
      if (map->keys[i] == key)
        return map->values[i];
    }
}

static void ptr_map_insert (PtrMap *map, gconstpointer key, guint value);

static void
ptr_map_grow (PtrMap *map)
{
  PtrMap old = *map;

  ptr_map_init (map, (old.mask + 1) * 2);
  for (guint i = 0; i <= old.mask; i++)
    if (old.stamps[i] == old.stamp)
      ptr_map_insert (map, old.keys[i], old.values[i]);
  ptr_map_clear (&old);
}

/* @key must not be in the map yet. */
static void
ptr_map_insert (PtrMap *map, gconstpointer key, guint value)
{
  guint i;

  /* At most half full: probes stay short. */
  if ((map->len + 1) * 2 > map->mask + 1)
    ptr_map_grow (map);
  for (i = ptr_map_slot (map, key); map->stamps[i] == map->stamp;
       i = (i + 1) & map->mask)
    ;
  map->keys[i] = key;
  map->values[i] = value;
  map->stamps[i] = map->stamp;
  map->len++;
}

struct _JobPickler
{
  PtrMap index_of;   /* GObject* -> index */
  GArray *objects;   /* PickleObject */
  PtrMap type_index; /* JobTypePlan* -> index */
  GPtrArray *types;  /* const JobTypePlan* */
  GPtrArray *frames; /* GBytes* */
  gsize threshold;

  GPtrArray *problems;     /* Problem* */
  GHashTable *problem_of;  /* GObject* -> Problem* */
  GArray *construct_edges; /* guint pairs: holder, target */
  JobWriter objects_out;   /* the object records, in table order */
  GType last_type;         /* a one-entry cache in front of plan_of */
  const JobTypePlan *last_plan;
  PtrMap plan_of;   /* GType -> index in plans, in front of the
                     * process-wide plans and their lock */
  GPtrArray *plans; /* const JobTypePlan* */

  /* Where the walk is, for references and problems. */
  guint current;
  const JobPropPlan *current_prop;
  guint current_item;
};

static GPrivate current_pickler = G_PRIVATE_INIT (NULL);

JobPickler *
job_pickler_get_current (void)
{
  return g_private_get (&current_pickler);
}

static void
problem_free (gpointer data)
{
  Problem *problem = data;

  g_free (problem->what);
  g_free (problem->fix);
  g_array_unref (problem->referrers);
  g_free (problem);
}

static Hop
current_hop (JobPickler *self)
{
  Hop hop = { self->current, NULL, 0 };

  if (self->current_prop != NULL)
    hop.property = self->current_prop->name;
  else
    hop.item = self->current_item;
  return hop;
}

static char *
describe_holder_property (JobPickler *self, const Hop *hop)
{
  const PickleObject *holder =
      &g_array_index (self->objects, PickleObject, hop->holder);

  if (hop->property != NULL)
    return g_strdup_printf ("%s:%s", g_type_name (holder->plan->type),
                            hop->property);
  return g_strdup_printf ("the list holding it (item %u)", hop->item);
}

static Problem *
add_problem (JobPickler *self, GObject *object, char *what, char *fix)
{
  Problem *problem = g_new0 (Problem, 1);
  Hop hop = current_hop (self);

  problem->what = what;
  problem->fix = fix;
  problem->reached = hop;
  problem->referrers = g_array_new (FALSE, FALSE, sizeof (Hop));
  if (hop.holder != NO_INDEX)
    g_array_append_val (problem->referrers, hop);
  g_ptr_array_add (self->problems, problem);
  if (object != NULL)
    g_hash_table_insert (self->problem_of, object, problem);
  return problem;
}

static char *
fix_for_property (JobPickler *self, const char *last_resort)
{
  Hop hop = current_hop (self);
  g_autofree char *where = NULL;

  if (self->current == NO_INDEX)
    return g_strdup (last_resort);
  where = describe_holder_property (self, &hop);
  if (hop.property == NULL)
    return g_strdup_printf ("remove it from %s, or %s", where, last_resort);
  return g_strdup_printf (
      "declare %s clear (JOB_PARAM_CLEAR or "
      "job_serializable_declare_clear()) if the job does not need it, "
      "give it a codec with job_serializable_declare_custom(), or %s",
      where, last_resort);
}

static guint
type_index_for (JobPickler *self, const JobTypePlan *plan)
{
  guint index = ptr_map_lookup (&self->type_index, plan);

  if (index == G_MAXUINT)
    {
      index = self->types->len;
      g_ptr_array_add (self->types, (gpointer) plan);
      ptr_map_insert (&self->type_index, plan, index);
    }
  return index;
}

/* Returns the object's index, adding it to the table (to be walked later)
 * the first time; NO_INDEX if it cannot be pickled (a problem is recorded).
 * The table holds a reference: the one in *owned (set to NULL) if the
 * caller has one to give, else a new one. */
static guint
add_object (JobPickler *self,
            GObject *object,
            GType expected_type,
            GObject **owned)
{
  guint index = ptr_map_lookup (&self->index_of, object);
  const JobTypePlan *plan;
  Problem *problem;
  PickleObject entry = { 0 };

  if (index != G_MAXUINT)
    return index;

  if (self->problems->len > 0
      && (problem = g_hash_table_lookup (self->problem_of, object)) != NULL)
    {
      Hop hop = current_hop (self);
      g_array_append_val (problem->referrers, hop);
      return NO_INDEX;
    }

  if (G_OBJECT_TYPE (object) != self->last_type)
    {
      GType type = G_OBJECT_TYPE (object);
      guint k = ptr_map_lookup (&self->plan_of, GSIZE_TO_POINTER (type));

      if (k == G_MAXUINT)
        {
          k = self->plans->len;
          g_ptr_array_add (self->plans, (gpointer) job_type_plan_get (type));
          ptr_map_insert (&self->plan_of, GSIZE_TO_POINTER (type), k);
        }
      self->last_type = type;
      self->last_plan = self->plans->pdata[k];
    }
  plan = self->last_plan;
  switch (plan->kind)
    {
    case JOB_PLAN_SERIALIZABLE:
    case JOB_PLAN_CODEC:
      break;

    case JOB_PLAN_LIST:
      if (expected_type != G_TYPE_INVALID
          && !g_type_is_a (G_TYPE_LIST_STORE, expected_type))
        {
          add_problem (
              self, object,
              g_strdup_printf ("%s: a list model is rebuilt as a GListStore, "
                               "which does not fit a property of type %s",
                               G_OBJECT_TYPE_NAME (object),
                               g_type_name (expected_type)),
              fix_for_property (self, "make the property's type GListModel"));
          return NO_INDEX;
        }
      break;

    case JOB_PLAN_UNSERIALIZABLE:
      {
        g_autofree char *reason =
            job_unserializable_get_reason (JOB_UNSERIALIZABLE (object));
        g_autofree char *last =
            g_strdup_printf ("pickle only what the job needs instead of the %s",
                             G_OBJECT_TYPE_NAME (object));
        add_problem (self, object,
                     g_strdup_printf ("%s: must never be pickled: %s",
                                      G_OBJECT_TYPE_NAME (object), reason),
                     fix_for_property (self, last));
        return NO_INDEX;
      }

    case JOB_PLAN_FOREIGN:
    default:
      {
        g_autofree char *last = g_strdup_printf (
            "make %s implement JobSerializable "
            "(or register a codec for it with job_codec_register())",
            G_OBJECT_TYPE_NAME (object));
        add_problem (self, object,
                     g_strdup_printf ("%s: does not implement JobSerializable",
                                      G_OBJECT_TYPE_NAME (object)),
                     fix_for_property (self, last));
        return NO_INDEX;
      }
    }

  if (owned != NULL && *owned == object)
    entry.object = g_steal_pointer (owned);
  else
    entry.object = g_object_ref (object);
  entry.plan = plan;
  entry.type_index = type_index_for (self, plan);
  entry.reached = current_hop (self);
  g_array_append_val (self->objects, entry);
  index = self->objects->len - 1;
  ptr_map_insert (&self->index_of, object, index);
  return index;
}

static GVariant *
unit (void)
{
  return g_variant_new_tuple (NULL, 0);
}

static GVariant *
encode_string (const char *str)
{
  if (str == NULL)
    return unit ();
  if (g_utf8_validate (str, -1, NULL))
    return g_variant_new_string (str);
  return g_variant_new_bytestring (str);
}

static GVariant *
encode_strv (const char *const *strv)
{
  if (strv == NULL)
    return unit ();
  for (guint i = 0; strv[i] != NULL; i++)
    if (!g_utf8_validate (strv[i], -1, NULL))
      return g_variant_new_bytestring_array (strv, -1);
  return g_variant_new_strv (strv, -1);
}

static GVariant *
value_problem (JobPickler *self, char *what, const char *last_resort)
{
  add_problem (self, NULL, what, fix_for_property (self, last_resort));
  return unit ();
}

GVariant *
job_pickler_encode_value (JobPickler *self,
                          const JobPropPlan *prop,
                          const GValue *value,
                          GError **error)
{
  GType value_type = prop->pspec->value_type;

  switch (prop->kind)
    {
    case JOB_VALUE_BOOLEAN:
      return g_variant_new_boolean (g_value_get_boolean (value));
    case JOB_VALUE_CHAR:
      return g_variant_new_byte ((guchar) g_value_get_schar (value));
    case JOB_VALUE_UCHAR:
      return g_variant_new_byte (g_value_get_uchar (value));
    case JOB_VALUE_INT:
      return g_variant_new_int32 (g_value_get_int (value));
    case JOB_VALUE_UINT:
      return g_variant_new_uint32 (g_value_get_uint (value));
    case JOB_VALUE_LONG:
      return g_variant_new_int64 (g_value_get_long (value));
    case JOB_VALUE_ULONG:
      return g_variant_new_uint64 (g_value_get_ulong (value));
    case JOB_VALUE_INT64:
      return g_variant_new_int64 (g_value_get_int64 (value));
    case JOB_VALUE_UINT64:
      return g_variant_new_uint64 (g_value_get_uint64 (value));
    case JOB_VALUE_FLOAT:
      return g_variant_new_double (g_value_get_float (value));
    case JOB_VALUE_DOUBLE:
      return g_variant_new_double (g_value_get_double (value));
    case JOB_VALUE_STRING:
      return encode_string (g_value_get_string (value));
    case JOB_VALUE_STRV:
      return encode_strv (g_value_get_boxed (value));

    case JOB_VALUE_ENUM:
      {
        GEnumClass *klass = g_type_class_peek (value_type);
        GEnumValue *ev = g_enum_get_value (klass, g_value_get_enum (value));

        if (ev == NULL)
          return value_problem (
              self,
              g_strdup_printf ("%d: not a value of the enumeration %s",
                               g_value_get_enum (value),
                               g_type_name (value_type)),
              "set it to a member of the enumeration");
        return g_variant_new_string (ev->value_nick);
      }

    case JOB_VALUE_FLAGS:
      {
        GFlagsClass *klass = g_type_class_peek (value_type);
        guint flags = g_value_get_flags (value);
        GVariantBuilder builder;

        g_variant_builder_init (&builder, G_VARIANT_TYPE_STRING_ARRAY);
        while (flags != 0)
          {
            GFlagsValue *fv = g_flags_get_first_value (klass, flags);

            if (fv == NULL || fv->value == 0)
              {
                g_variant_builder_clear (&builder);
                return value_problem (
                    self,
                    g_strdup_printf ("0x%x: bits that are no flag of %s", flags,
                                     g_type_name (value_type)),
                    "set only the flags the type defines");
              }
            g_variant_builder_add (&builder, "s", fv->value_nick);
            flags &= ~fv->value;
          }
        return g_variant_builder_end (&builder);
      }

    case JOB_VALUE_GTYPE:
      {
        GType type = g_value_get_gtype (value);
        return type == G_TYPE_INVALID
                   ? unit ()
                   : g_variant_new_string (g_type_name (type));
      }

    case JOB_VALUE_VARIANT:
      {
        GVariant *variant = g_value_get_variant (value);
        return variant == NULL ? unit () : g_variant_new_variant (variant);
      }

    case JOB_VALUE_BYTES:
      {
        GBytes *bytes = g_value_get_boxed (value);

        if (bytes == NULL)
          return unit ();
        if (g_bytes_get_size (bytes) > self->threshold)
          {
            g_ptr_array_add (self->frames, g_bytes_ref (bytes));
            return g_variant_new_uint32 (self->frames->len - 1);
          }
        return g_variant_new_from_data (
            G_VARIANT_TYPE_BYTESTRING, g_bytes_get_data (bytes, NULL),
            g_bytes_get_size (bytes), TRUE, (GDestroyNotify) g_bytes_unref,
            g_bytes_ref (bytes));
      }

    case JOB_VALUE_OBJECT:
      {
        GObject *object = g_value_get_object (value);
        guint index;

        if (object == NULL)
          return unit ();
        index = add_object (self, object, value_type, NULL);
        if (index == NO_INDEX)
          return unit ();
        if (prop->construct_only)
          {
            guint edge[2] = { self->current, index };
            g_array_append_vals (self->construct_edges, edge, 2);
          }
        return g_variant_new_uint32 (index);
      }

    case JOB_VALUE_BOXED:
      {
        g_autoptr (GError) local_error = NULL;
        GVariant *encoded;

        if (g_value_get_boxed (value) == NULL)
          return unit ();
        encoded = prop->boxed_codec->encode (
            value, prop->boxed_codec->user_data, &local_error);
        if (encoded == NULL)
          return value_problem (
              self,
              g_strdup_printf (
                  "%s: its codec failed: %s", g_type_name (value_type),
                  local_error ? local_error->message : "no reason given"),
              "make the codec succeed");
        /* Codecs return "(transfer full)", floating (the C idiom) or not
         * (bindings): own it either way, then wrap it. */
        encoded = g_variant_take_ref (encoded);
        {
          GVariant *wrapped = g_variant_new_variant (encoded);
          g_variant_unref (encoded);
          return wrapped;
        }
      }

    case JOB_VALUE_UNSUPPORTED:
    default:
      {
        g_autofree char *last = g_strdup_printf (
            "register a codec for %s with job_codec_register()",
            g_type_name (value_type));
        return value_problem (
            self,
            g_strdup_printf ("%s: a %s value has no codec",
                             g_type_name (value_type),
                             g_type_name (G_TYPE_FUNDAMENTAL (value_type))),
            last);
      }
    }
}

static void
write_variant (JobWriter *out, GVariant *variant)
{
  const char *type = g_variant_get_type_string (variant);
  gsize size = g_variant_get_size (variant);
  gsize type_len = strlen (type);

  job_writer_byte (out, 1);
  job_writer_string_len (out, type, type_len);
  /* g_variant_store() wants an aligned destination; the variant's own
   * serialized data is aligned, and copying it is as cheap. */
  job_writer_blob (out, g_variant_get_data (variant), size);
}

/* Called with the current property set; records a problem if it fails. */
static void
write_variant_coded (JobPickler *self,
                     JobWriter *out,
                     GObject *object,
                     const JobPropPlan *prop)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) encoded = NULL;

  encoded = job_serializable_serialize_property (JOB_SERIALIZABLE (object),
                                                 prop->pspec, &error);
  if (encoded == NULL)
    {
      g_autofree char *where = NULL;
      Hop hop = current_hop (self);

      where = describe_holder_property (self, &hop);
      add_problem (
          self, NULL,
          g_strdup_printf ("%s: its serializer failed: %s", where,
                           error != NULL ? error->message : "no reason given"),
          g_strdup_printf ("make the serializer of %s succeed, or declare "
                           "the property clear if the job does not need it",
                           where));
      job_writer_byte (out, 0);
      return;
    }
  encoded = g_variant_take_ref (encoded);
  write_variant (out, encoded);
}

static void
write_strv (JobWriter *out, const char *const *strv)
{
  guint n;

  if (strv == NULL)
    {
      job_writer_byte (out, 0);
      return;
    }
  n = g_strv_length ((char **) strv);
  job_writer_varint (out, (guint64) n + 1);
  for (guint i = 0; i < n; i++)
    job_writer_string (out, strv[i]);
}

static void
write_double (JobWriter *out, double d)
{
  guint64 bits;

  memcpy (&bits, &d, 8);
  job_writer_fixed64 (out, bits);
}

/* The fast path: a value written by its type, without a GVariant. */
static void
write_value (JobPickler *self,
             JobWriter *out,
             const JobPropPlan *prop,
             GValue *value)
{
  GType value_type = prop->pspec->value_type;

  switch (prop->kind)
    {
    case JOB_VALUE_BOOLEAN:
      job_writer_byte (out, g_value_get_boolean (value) ? 1 : 0);
      break;
    case JOB_VALUE_CHAR:
      job_writer_byte (out, (guint8) g_value_get_schar (value));
      break;
    case JOB_VALUE_UCHAR:
      job_writer_byte (out, g_value_get_uchar (value));
      break;
    case JOB_VALUE_INT:
      job_writer_zigzag (out, g_value_get_int (value));
      break;
    case JOB_VALUE_LONG:
      job_writer_zigzag (out, g_value_get_long (value));
      break;
    case JOB_VALUE_INT64:
      job_writer_zigzag (out, g_value_get_int64 (value));
      break;
    case JOB_VALUE_UINT:
      job_writer_varint (out, g_value_get_uint (value));
      break;
    case JOB_VALUE_ULONG:
      job_writer_varint (out, g_value_get_ulong (value));
      break;
    case JOB_VALUE_UINT64:
      job_writer_varint (out, g_value_get_uint64 (value));
      break;
    case JOB_VALUE_FLOAT:
      write_double (out, g_value_get_float (value));
      break;
    case JOB_VALUE_DOUBLE:
      write_double (out, g_value_get_double (value));
      break;
    case JOB_VALUE_STRING:
      job_writer_nullable_string (out, g_value_get_string (value));
      break;
    case JOB_VALUE_STRV:
      write_strv (out, g_value_get_boxed (value));
      break;

    case JOB_VALUE_ENUM:
      {
        GEnumValue *ev = g_enum_get_value (g_type_class_peek (value_type),
                                           g_value_get_enum (value));

        if (ev == NULL)
          {
            value_problem (
                self,
                g_strdup_printf ("%d: not a value of the enumeration %s",
                                 g_value_get_enum (value),
                                 g_type_name (value_type)),
                "set it to a member of the enumeration");
            job_writer_string (out, "");
          }
        else
          job_writer_string (out, ev->value_nick);
      }
      break;

    case JOB_VALUE_FLAGS:
      {
        GFlagsClass *klass = g_type_class_peek (value_type);
        guint flags = g_value_get_flags (value);
        const char *nicks[33];
        guint n = 0;

        while (flags != 0 && n < G_N_ELEMENTS (nicks))
          {
            GFlagsValue *fv = g_flags_get_first_value (klass, flags);

            if (fv == NULL || fv->value == 0)
              {
                value_problem (
                    self,
                    g_strdup_printf ("0x%x: bits that are no flag of %s", flags,
                                     g_type_name (value_type)),
                    "set only the flags the type defines");
                break;
              }
            nicks[n++] = fv->value_nick;
            flags &= ~fv->value;
          }
        job_writer_varint (out, n);
        for (guint i = 0; i < n; i++)
          job_writer_string (out, nicks[i]);
      }
      break;

    case JOB_VALUE_GTYPE:
      {
        GType type = g_value_get_gtype (value);
        job_writer_nullable_string (
            out, type == G_TYPE_INVALID ? NULL : g_type_name (type));
      }
      break;

    case JOB_VALUE_VARIANT:
      {
        GVariant *variant = g_value_get_variant (value);

        if (variant == NULL)
          job_writer_byte (out, 0);
        else
          {
            g_autoptr (GVariant) normal = g_variant_get_normal_form (variant);
            write_variant (out, normal);
          }
      }
      break;

    case JOB_VALUE_BYTES:
      {
        GBytes *bytes = g_value_get_boxed (value);
        gsize size;
        gconstpointer data;

        if (bytes == NULL)
          {
            job_writer_byte (out, 0);
            break;
          }
        data = g_bytes_get_data (bytes, &size);
        if (size > self->threshold)
          {
            g_ptr_array_add (self->frames, g_bytes_ref (bytes));
            job_writer_byte (out, 2);
            job_writer_varint (out, self->frames->len - 1);
          }
        else
          {
            job_writer_byte (out, 1);
            job_writer_blob (out, data, size);
          }
      }
      break;

    case JOB_VALUE_OBJECT:
      {
        GObject *object = g_value_get_object (value);
        GObject *owned = object;
        guint index;

        if (object == NULL
            || (index = add_object (self, object, value_type, &owned))
                   == NO_INDEX)
          {
            job_writer_byte (out, 0);
            break;
          }
        /* The table took the value's reference (the getter's): a new
         * object costs no reference of its own. */
        if (owned == NULL)
          value->data[0].v_pointer = NULL;
        if (prop->construct_only)
          {
            guint edge[2] = { self->current, index };
            g_array_append_vals (self->construct_edges, edge, 2);
          }
        job_writer_varint (out, (guint64) index + 1);
      }
      break;

    case JOB_VALUE_BOXED:
      {
        g_autoptr (GError) error = NULL;
        g_autoptr (GVariant) encoded = NULL;

        if (g_value_get_boxed (value) == NULL)
          {
            job_writer_byte (out, 0);
            break;
          }
        encoded = prop->boxed_codec->encode (
            value, prop->boxed_codec->user_data, &error);
        if (encoded == NULL)
          {
            value_problem (
                self,
                g_strdup_printf ("%s: its codec failed: %s",
                                 g_type_name (value_type),
                                 error ? error->message : "no reason given"),
                "make the codec succeed");
            job_writer_byte (out, 0);
            break;
          }
        encoded = g_variant_take_ref (encoded);
        write_variant (out, encoded);
      }
      break;

    case JOB_VALUE_UNSUPPORTED:
    default:
      {
        g_autofree char *last = g_strdup_printf (
            "register a codec for %s with job_codec_register()",
            g_type_name (value_type));
        value_problem (
            self,
            g_strdup_printf ("%s: a %s value has no codec",
                             g_type_name (value_type),
                             g_type_name (G_TYPE_FUNDAMENTAL (value_type))),
            last);
        job_writer_byte (out, 0);
      }
      break;
    }
}

static void
walk_object (JobPickler *self, guint index)
{
  const PickleObject *entry =
      &g_array_index (self->objects, PickleObject, index);
  GObject *object = entry->object;
  const JobTypePlan *plan = entry->plan;
  JobWriter *out = &self->objects_out;

  self->current = index;
  self->current_prop = NULL;
  job_writer_varint (out, entry->type_index);
  /* entry may move as the table grows: nothing below uses it. */

  switch (plan->kind)
    {
    case JOB_PLAN_SERIALIZABLE:
      for (guint i = 0; i < plan->n_props; i++)
        {
          const JobPropPlan *prop = &plan->props[i];

          self->current_prop = prop;
          if (prop->variant_coded)
            write_variant_coded (self, out, object, prop);
          else
            {
              GValue value = G_VALUE_INIT;

              job_prop_plan_get (prop, object, &value);
              write_value (self, out, prop, &value);
              job_prop_value_unset (prop, &value);
            }
        }
      self->current_prop = NULL;
      break;

    case JOB_PLAN_CODEC:
      {
        g_autoptr (GError) error = NULL;
        g_autoptr (GVariant) encoded = NULL;
        GValue value = G_VALUE_INIT;

        g_value_init (&value, plan->codec->type);
        g_value_set_object (&value, object);
        encoded = plan->codec->encode (&value, plan->codec->user_data, &error);
        g_value_unset (&value);
        if (encoded == NULL)
          {
            add_problem (self, NULL,
                         g_strdup_printf ("%s: its codec failed: %s",
                                          G_OBJECT_TYPE_NAME (object),
                                          error != NULL ? error->message
                                                        : "no reason given"),
                         g_strdup ("make the codec succeed"));
            job_writer_byte (out, 0);
          }
        else
          {
            encoded = g_variant_take_ref (encoded);
            write_variant (out, encoded);
          }
      }
      break;

    case JOB_PLAN_LIST:
      {
        GListModel *model = G_LIST_MODEL (object);
        /* g_list_model_get_item() looks the interface up for every item. */
        GListModelInterface *iface = G_LIST_MODEL_GET_IFACE (model);
        guint n_items = iface->get_n_items (model);

        job_writer_string (out,
                           g_type_name (g_list_model_get_item_type (model)));
        job_writer_varint (out, n_items);
        for (guint i = 0; i < n_items; i++)
          {
            g_autoptr (GObject) item = iface->get_item (model, i);
            guint item_index;

            self->current_item = i;
            item_index = item != NULL
                             ? add_object (self, item, G_TYPE_INVALID, &item)
                             : NO_INDEX;
            job_writer_varint (out, item_index == NO_INDEX ? 0 : item_index);
          }
      }
      break;

    case JOB_PLAN_UNSERIALIZABLE:
    case JOB_PLAN_FOREIGN:
    default:
      g_assert_not_reached ();
    }
}

static char *
describe_object (JobPickler *self, guint index)
{
  GObject *object = g_array_index (self->objects, PickleObject, index).object;
  GParamSpec *pspec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (object), "name");

  if (pspec != NULL && pspec->value_type == G_TYPE_STRING
      && (pspec->flags & G_PARAM_READABLE))
    {
      g_autofree char *name = NULL;

      g_object_get (object, "name", &name, NULL);
      if (name != NULL && *name != '\0')
        return g_strdup_printf ("%s “%s”", G_OBJECT_TYPE_NAME (object), name);
    }
  return g_strdup (G_OBJECT_TYPE_NAME (object));
}

static char *
describe_edge (const Hop *hop)
{
  if (hop->property != NULL)
    return g_strdup_printf (".%s", hop->property);
  return g_strdup_printf ("[%u]", hop->item);
}

static void
append_chain (JobPickler *self,
              GString *out,
              const Hop *last,
              const char *target)
{
  g_autoptr (GArray) path = g_array_new (FALSE, FALSE, sizeof (Hop));
  Hop hop = *last;
  g_autofree char *root = NULL;
  guint depth = 0;

  /* Walk back to the root along first discoveries, then print forwards. */
  while (hop.holder != NO_INDEX)
    {
      g_array_prepend_val (path, hop);
      hop = g_array_index (self->objects, PickleObject, hop.holder).reached;
    }

  g_string_append (out, "   reached through:\n");
  if (path->len == 0)
    {
      g_string_append_printf (out, "     %s (the object being pickled)\n",
                              target);
      return;
    }
  root = describe_object (self, 0);
  g_string_append_printf (out, "     %s\n", root);
  for (guint i = 0; i < path->len; i++, depth++)
    {
      const Hop *h = &g_array_index (path, Hop, i);
      g_autofree char *edge = describe_edge (h);
      g_autofree char *next = NULL;

      if (i + 1 < path->len)
        next = describe_object (self, g_array_index (path, Hop, i + 1).holder);
      else
        next = g_strdup (target);
      g_string_append_printf (out, "     %*s%s → %s\n",
                              (int) (2 + 2 * MIN (depth, 20)), "", edge, next);
    }
}

static char *
format_problems (JobPickler *self)
{
  GString *out = g_string_new (NULL);
  g_autofree char *root = describe_object (self, 0);

  g_string_append_printf (out, "Cannot pickle %s: %u %s cannot be pickled\n",
                          root, self->problems->len,
                          self->problems->len == 1 ? "value" : "values");

  for (guint i = 0; i < self->problems->len; i++)
    {
      Problem *problem = self->problems->pdata[i];
      g_autofree char *target = g_strdup (problem->what);
      char *colon = strstr (target, ": ");

      if (colon != NULL)
        *colon = '\0';
      g_string_append_printf (out, "\n%u. %s\n", i + 1, problem->what);
      /* A problem of the graph as a whole (a cycle) has no single chain. */
      if (problem->reached.holder != NO_INDEX)
        append_chain (self, out, &problem->reached, target);
      if (problem->reached.holder != NO_INDEX)
        {
          g_string_append (out, "   referred to by:\n");
          for (guint j = 0; j < problem->referrers->len; j++)
            {
              const Hop *hop = &g_array_index (problem->referrers, Hop, j);
              g_autofree char *holder = describe_object (self, hop->holder);
              g_autofree char *edge = describe_edge (hop);

              g_string_append_printf (out, "     %s through %s\n", holder,
                                      edge);
            }
        }
      g_string_append_printf (out, "   fix: %s\n", problem->fix);
    }
  if (out->len > 0 && out->str[out->len - 1] == '\n')
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

/* Construct-only references must form no cycle: each such object must be
 * made before the one that refers to it. */
static void
check_construct_cycles (JobPickler *self)
{
  guint n = self->objects->len;
  guint n_edges = self->construct_edges->len / 2;
  const guint *edges = (const guint *) (gpointer) self->construct_edges->data;
  g_autofree guint *out_degree = NULL;
  g_autofree guint *first = NULL, *next = NULL, *stack = NULL;
  g_autofree gboolean *done = NULL;
  guint n_stack = 0, n_done = 0;

  if (n_edges == 0)
    return;

  /* Kahn's algorithm on reversed edges: an object is ready once every
   * object it refers to through a construct-only property is. */
  out_degree = g_new0 (guint, n);
  first = g_new (guint, n);
  next = g_new (guint, n_edges);
  stack = g_new (guint, n);
  done = g_new0 (gboolean, n);
  memset (first, 0xff, sizeof (guint) * n);
  for (guint e = 0; e < n_edges; e++)
    {
      guint holder = edges[2 * e], target = edges[2 * e + 1];
      out_degree[holder]++;
      next[e] = first[target];
      first[target] = e;
    }
  for (guint i = 0; i < n; i++)
    if (out_degree[i] == 0)
      stack[n_stack++] = i;
  while (n_stack > 0)
    {
      guint target = stack[--n_stack];
      done[target] = TRUE;
      n_done++;
      for (guint e = first[target]; e != G_MAXUINT; e = next[e])
        if (--out_degree[edges[2 * e]] == 0)
          stack[n_stack++] = edges[2 * e];
    }
  if (n_done == n)
    return;

  /* Report one cycle: follow construct-only edges among the unfinished. */
  {
    GString *cycle = g_string_new (NULL);
    g_autofree guint *seen_at = g_new0 (guint, n);
    guint at = 0, step = 1;

    while (done[at])
      at++;
    while (seen_at[at] == 0)
      {
        seen_at[at] = step++;
        for (guint e = 0; e < n_edges; e++)
          if (edges[2 * e] == at && !done[edges[2 * e + 1]])
            {
              at = edges[2 * e + 1];
              break;
            }
      }
    for (guint start = at, i = 0; i == 0 || at != start; i++)
      {
        g_autofree char *desc = describe_object (self, at);
        g_string_append_printf (cycle, "%s → ", desc);
        for (guint e = 0; e < n_edges; e++)
          if (edges[2 * e] == at && !done[edges[2 * e + 1]]
              && seen_at[edges[2 * e + 1]] != 0)
            {
              at = edges[2 * e + 1];
              break;
            }
      }
    {
      g_autofree char *desc = describe_object (self, at);
      g_string_append (cycle, desc);
    }

    self->current = NO_INDEX;
    self->current_prop = NULL;
    /* Not reached from anywhere in particular: no referrer, no chain. */
    add_problem (
        self, NULL,
        g_strdup_printf ("construct-only references form a cycle: %s",
                         cycle->str),
        g_strdup (
            "make one of these properties settable after construction "
            "(drop G_PARAM_CONSTRUCT_ONLY), so the cycle can be closed once "
            "every object exists"));
    g_string_free (cycle, TRUE);
  }
}

static gsize
align8 (gsize n)
{
  return (n + 7) & ~(gsize) 7;
}

/* Writes the header: its preamble (magic, version, frame sizes, type table)
 * then the object records, copied once. With @flat, returns the flat form
 * (see job_pickle_frames_to_bytes()), the frames copied after the header;
 * else the header alone. */
static GBytes *
build_header (JobPickler *self, gboolean flat)
{
  JobWriter pre;
  gsize prefix = flat ? JOB_PICKLE_FLAT_PREFIX : 0;
  gsize header_len, total;
  guint8 *data;

  job_writer_init (&pre, 256 + 64 * self->types->len);
  job_writer_bytes (&pre, JOB_PICKLE_HEADER_MAGIC, 4);
  job_writer_varint (&pre, JOB_PICKLE_FORMAT_VERSION);
  job_writer_varint (&pre, self->frames->len);
  for (guint i = 0; i < self->frames->len; i++)
    job_writer_varint (&pre, g_bytes_get_size (self->frames->pdata[i]));

  job_writer_varint (&pre, self->types->len);
  for (guint i = 0; i < self->types->len; i++)
    {
      const JobTypePlan *plan = self->types->pdata[i];

      job_writer_string (&pre, plan->type_name);
      job_writer_string (&pre, plan->origin);
      job_writer_bytes (&pre, plan->schema, plan->schema_len);
    }
  job_writer_varint (&pre, self->objects->len);

  header_len = pre.len + self->objects_out.len;
  total = prefix + header_len;
  if (flat)
    {
      total = align8 (total);
      for (guint i = 0; i < self->frames->len; i++)
        total = align8 (total + g_bytes_get_size (self->frames->pdata[i]));
    }

  data = g_malloc (MAX (total, 1));
  if (flat)
    {
      guint32 len_le = GUINT32_TO_LE ((guint32) header_len);

      memcpy (data, JOB_PICKLE_FLAT_MAGIC, 4);
      memcpy (data + 4, &len_le, 4);
    }
  memcpy (data + prefix, pre.data, pre.len);
  if (self->objects_out.len > 0)
    memcpy (data + prefix + pre.len, self->objects_out.data,
            self->objects_out.len);
  job_writer_clear (&pre);
  if (flat)
    {
      gsize offset = prefix + header_len;

      for (guint i = 0; i < self->frames->len; i++)
        {
          gsize frame_len;
          gconstpointer frame =
              g_bytes_get_data (self->frames->pdata[i], &frame_len);

          memset (data + offset, 0, align8 (offset) - offset);
          offset = align8 (offset);
          if (frame_len > 0)
            memcpy (data + offset, frame, frame_len);
          offset += frame_len;
        }
      memset (data + offset, 0, total - offset);
    }
  return g_bytes_new_take (data, total);
}

/* What a pickle needs to find its objects and write their records, kept
 * from one pickle to the next on a thread: a graph is walked without
 * growing (and faulting in) fresh tables and buffers each time. */
typedef struct
{
  JobWriter objects_out;
  GArray *objects;
  PtrMap index_of;
  PtrMap type_index;
  PtrMap plan_of;
} Scratch;

/* Beyond this, a thread does not keep what a pickle grew. */
#define SCRATCH_KEEP_MAX (4 * 1024 * 1024)

static void
pickle_object_clear (gpointer data)
{
  PickleObject *entry = data;

  g_clear_object (&entry->object);
}

static void
scratch_free (gpointer data)
{
  Scratch *scratch = data;

  job_writer_clear (&scratch->objects_out);
  g_array_unref (scratch->objects);
  ptr_map_clear (&scratch->index_of);
  ptr_map_clear (&scratch->type_index);
  ptr_map_clear (&scratch->plan_of);
  g_free (scratch);
}

static GPrivate cached_scratch = G_PRIVATE_INIT (scratch_free);

/* Taken, not shared: a nested pickle (from a custom serializer) finds none
 * and makes its own. */
static Scratch *
scratch_take (void)
{
  Scratch *scratch = g_private_get (&cached_scratch);

  if (scratch != NULL)
    {
      g_private_set (&cached_scratch, NULL);
      return scratch;
    }
  scratch = g_new0 (Scratch, 1);
  job_writer_init (&scratch->objects_out, 4096);
  scratch->objects = g_array_new (FALSE, FALSE, sizeof (PickleObject));
  g_array_set_clear_func (scratch->objects, pickle_object_clear);
  ptr_map_init (&scratch->index_of, 64);
  ptr_map_init (&scratch->type_index, 16);
  ptr_map_init (&scratch->plan_of, 16);
  return scratch;
}

static void
scratch_release (Scratch *scratch)
{
  /* Drops the references the walk took. */
  g_array_set_size (scratch->objects, 0);
  if (scratch->objects_out.cap > SCRATCH_KEEP_MAX
      || scratch->index_of.mask + 1 > SCRATCH_KEEP_MAX / 16
      || g_private_get (&cached_scratch) != NULL)
    {
      scratch_free (scratch);
      return;
    }
  scratch->objects_out.len = 0;
  ptr_map_reset (&scratch->index_of);
  ptr_map_reset (&scratch->type_index);
  ptr_map_reset (&scratch->plan_of);
  g_private_set (&cached_scratch, scratch);
}

gboolean
job_pickler_run (GObject *root,
                 gsize frame_threshold,
                 gboolean check_only,
                 GBytes **header,
                 GPtrArray **frames,
                 GBytes **flat,
                 GError **error)
{
  JobPickler self = { 0 };
  JobPickler *previous = g_private_get (&current_pickler);
  Scratch *scratch = scratch_take ();
  gboolean ok;

  self.index_of = scratch->index_of;
  self.objects = scratch->objects;
  self.type_index = scratch->type_index;
  self.plan_of = scratch->plan_of;
  self.objects_out = scratch->objects_out;
  self.types = g_ptr_array_new ();
  self.plans = g_ptr_array_new ();
  self.frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  self.threshold = frame_threshold == 0 ? JOB_PICKLE_DEFAULT_FRAME_THRESHOLD
                                        : frame_threshold;
  self.problems = g_ptr_array_new_with_free_func (problem_free);
  self.problem_of = g_hash_table_new (NULL, NULL);
  self.construct_edges = g_array_new (FALSE, FALSE, sizeof (guint));
  self.current = NO_INDEX;

  g_private_set (&current_pickler, &self);

  /* The root is walked like any reference; if it cannot be pickled at all
   * the report says so. */
  if (add_object (&self, root, G_TYPE_INVALID, NULL) != NO_INDEX)
    for (guint i = 0; i < self.objects->len; i++)
      walk_object (&self, i);
  self.current = NO_INDEX;
  self.current_prop = NULL;
  check_construct_cycles (&self);

  g_private_set (&current_pickler, previous);

  ok = self.problems->len == 0;
  if (!ok)
    {
      if (self.objects->len == 0)
        {
          Problem *problem = self.problems->pdata[0];
          g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNSERIALIZABLE,
                       "Cannot pickle %s", problem->what);
        }
      else
        {
          g_autofree char *message = format_problems (&self);
          g_set_error_literal (error, JOB_PICKLE_ERROR,
                               JOB_PICKLE_ERROR_UNSERIALIZABLE, message);
        }
    }
  else if (flat != NULL)
    *flat = build_header (&self, TRUE);
  else if (!check_only)
    {
      *header = build_header (&self, FALSE);
      *frames = g_steal_pointer (&self.frames);
    }

  g_ptr_array_unref (self.types);
  g_ptr_array_unref (self.plans);
  g_clear_pointer (&self.frames, g_ptr_array_unref);
  g_ptr_array_unref (self.problems);
  g_hash_table_unref (self.problem_of);
  g_array_unref (self.construct_edges);
  /* The tables may have grown: hand back what they are now. */
  scratch->index_of = self.index_of;
  scratch->type_index = self.type_index;
  scratch->plan_of = self.plan_of;
  scratch->objects_out = self.objects_out;
  scratch_release (scratch);
  return ok;
}
