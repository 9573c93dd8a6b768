/* job-unpickler.c: validates a pickle and rebuilds its object graph
 *
 * Everything read here may come from an untrusted or corrupted source: every
 * index, count and type is checked before use, and only types that implement
 * JobSerializable (or have a codec, or are GListStore) are instantiated.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "job-pickle-private.h"
#include "job-type-plan-private.h"

typedef struct
{
  const JobTypePlan *plan;
  guint n_props;
  const JobPropPlan **props; /* schema order */
} TypeEntry;

typedef struct
{
  guint type;
  GVariant *values;
  GObject *object;
} ObjectEntry;

struct _JobUnpickler
{
  JobPickleFrames *frames;
  guint n_types;
  TypeEntry *types;
  guint n_objects;
  ObjectEntry *objects;
  guint holder;  /* the object whose values are being decoded */
  GArray *links; /* guint pairs (holder, referenced object) */
};

static GPrivate current_unpickler = G_PRIVATE_INIT (NULL);

JobUnpickler *
job_unpickler_get_current (void)
{
  return g_private_get (&current_unpickler);
}

G_GNUC_PRINTF (2, 3) static gboolean
invalid (GError **error,
         const char *format,
         ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
               "Invalid pickle: %s", message);
  return FALSE;
}

GVariant *
job_pickle_parse_header (GBytes *header,
                         GVariant **frame_sizes,
                         GError **error)
{
  g_autoptr (GVariant) variant = NULL;
  g_autoptr (GVariant) name = NULL;
  guint32 version;

  if (g_bytes_get_size (header) == 0)
    {
      invalid (error, "the header is empty");
      return NULL;
    }
  variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (JOB_PICKLE_HEADER_TYPE),
                                                          header, FALSE));
  name = g_variant_get_child_value (variant, 0);
  if (strcmp (g_variant_get_string (name, NULL), JOB_PICKLE_FORMAT_NAME) != 0)
    {
      invalid (error, "not a libjob pickle (the header names “%s”)",
               g_variant_get_string (name, NULL));
      return NULL;
    }
  g_variant_get_child (variant, 1, "u", &version);
  if (version != JOB_PICKLE_FORMAT_VERSION)
    {
      g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_VERSION,
                   "The pickle is in format version %u; this libjob (%s) reads version %u. "
                   "Pickle and unpickle with the same libjob version",
                   version, JOB_VERSION_S, JOB_PICKLE_FORMAT_VERSION);
      return NULL;
    }
  if (frame_sizes != NULL)
    *frame_sizes = g_variant_get_child_value (variant, 2);
  return g_steal_pointer (&variant);
}

static gboolean
is_unit (GVariant *variant)
{
  return g_variant_is_of_type (variant, G_VARIANT_TYPE_UNIT);
}

static gboolean
expect (GVariant *variant,
        const char *type,
        const JobPropPlan *prop,
        GError **error)
{
  if (g_variant_is_of_type (variant, G_VARIANT_TYPE (type)))
    return TRUE;
  return invalid (error, "property “%s” (%s) holds a value of type “%s”, not “%s”",
                  prop->name, g_type_name (prop->pspec->value_type),
                  g_variant_get_type_string (variant), type);
}

static gboolean
reference (JobUnpickler *self,
           guint32 index,
           GType expected,
           GObject **object,
           GError **error)
{
  if (index >= self->n_objects)
    return invalid (error, "a reference to object %u, but there are %u", index, self->n_objects);
  if (self->objects[index].object == NULL)
    return invalid (error, "a construct-only reference to object %u, which is not built yet", index);
  if (!g_type_is_a (G_OBJECT_TYPE (self->objects[index].object), expected))
    return invalid (error, "object %u is a %s, where a %s is expected", index,
                    G_OBJECT_TYPE_NAME (self->objects[index].object), g_type_name (expected));
  *object = self->objects[index].object;
  g_array_append_val (self->links, self->holder);
  g_array_append_val (self->links, index);
  return TRUE;
}

/* Every object of a pickle is reached from its root: the pickler writes
 * nothing else. An unreachable object would be rebuilt for nothing, and if it
 * sat in a reference cycle it would never be freed. */
static gboolean
check_reachable (JobUnpickler *self,
                 GError **error)
{
  g_autofree guint *first = g_new (guint, self->n_objects);
  g_autofree guint *next = g_new (guint, MAX (self->links->len / 2, 1));
  g_autofree guint *queue = g_new (guint, self->n_objects);
  g_autofree gboolean *reached = g_new0 (gboolean, self->n_objects);
  guint n_queued = 0, n_done = 0;

  for (guint i = 0; i < self->n_objects; i++)
    first[i] = G_MAXUINT;
  for (guint e = 0; e < self->links->len / 2; e++)
    {
      guint holder = g_array_index (self->links, guint, 2 * e);
      next[e] = first[holder];
      first[holder] = e;
    }
  reached[0] = TRUE;
  queue[n_queued++] = 0;
  while (n_done < n_queued)
    {
      guint holder = queue[n_done++];
      for (guint e = first[holder]; e != G_MAXUINT; e = next[e])
        {
          guint target = g_array_index (self->links, guint, 2 * e + 1);
          if (!reached[target])
            {
              reached[target] = TRUE;
              queue[n_queued++] = target;
            }
        }
    }
  for (guint i = 0; i < self->n_objects; i++)
    if (!reached[i])
      return invalid (error, "object %u (%s) is not reachable from the root object", i,
                      self->types[self->objects[i].type].plan->type_name);
  return TRUE;
}

static gboolean
decode_value (JobUnpickler *self,
              const JobPropPlan *prop,
              GVariant *variant,
              GValue *value,
              GError **error)
{
  GType value_type = prop->pspec->value_type;

  g_value_init (value, value_type);

  if (is_unit (variant))
    switch (prop->kind)
      {
      case JOB_VALUE_STRING:
      case JOB_VALUE_STRV:
      case JOB_VALUE_BYTES:
      case JOB_VALUE_VARIANT:
      case JOB_VALUE_OBJECT:
      case JOB_VALUE_BOXED:
      case JOB_VALUE_GTYPE:
        goto validate; /* NULL, or G_TYPE_INVALID */
      default:
        return invalid (error, "property “%s” (%s) cannot be NULL", prop->name,
                        g_type_name (value_type));
      }

  switch (prop->kind)
    {
    case JOB_VALUE_BOOLEAN:
      if (!expect (variant, "b", prop, error))
        return FALSE;
      g_value_set_boolean (value, g_variant_get_boolean (variant));
      break;
    case JOB_VALUE_CHAR:
      if (!expect (variant, "y", prop, error))
        return FALSE;
      g_value_set_schar (value, (gint8) g_variant_get_byte (variant));
      break;
    case JOB_VALUE_UCHAR:
      if (!expect (variant, "y", prop, error))
        return FALSE;
      g_value_set_uchar (value, g_variant_get_byte (variant));
      break;
    case JOB_VALUE_INT:
      if (!expect (variant, "i", prop, error))
        return FALSE;
      g_value_set_int (value, g_variant_get_int32 (variant));
      break;
    case JOB_VALUE_UINT:
      if (!expect (variant, "u", prop, error))
        return FALSE;
      g_value_set_uint (value, g_variant_get_uint32 (variant));
      break;
    case JOB_VALUE_LONG:
      {
        gint64 v;
        if (!expect (variant, "x", prop, error))
          return FALSE;
        v = g_variant_get_int64 (variant);
        if (v < G_MINLONG || v > G_MAXLONG)
          return invalid (error, "property “%s”: %" G_GINT64_FORMAT " does not fit a long",
                          prop->name, v);
        g_value_set_long (value, (glong) v);
      }
      break;
    case JOB_VALUE_ULONG:
      {
        guint64 v;
        if (!expect (variant, "t", prop, error))
          return FALSE;
        v = g_variant_get_uint64 (variant);
        if (v > G_MAXULONG)
          return invalid (error, "property “%s”: %" G_GUINT64_FORMAT " does not fit a ulong",
                          prop->name, v);
        g_value_set_ulong (value, (gulong) v);
      }
      break;
    case JOB_VALUE_INT64:
      if (!expect (variant, "x", prop, error))
        return FALSE;
      g_value_set_int64 (value, g_variant_get_int64 (variant));
      break;
    case JOB_VALUE_UINT64:
      if (!expect (variant, "t", prop, error))
        return FALSE;
      g_value_set_uint64 (value, g_variant_get_uint64 (variant));
      break;
    case JOB_VALUE_FLOAT:
      {
        double d;
        if (!expect (variant, "d", prop, error))
          return FALSE;
        d = g_variant_get_double (variant);
        if (d == d && (d > G_MAXFLOAT || d < -G_MAXFLOAT) && d != d * 2)
          return invalid (error, "property “%s”: %g does not fit a float", prop->name, d);
        g_value_set_float (value, (float) d);
      }
      break;
    case JOB_VALUE_DOUBLE:
      if (!expect (variant, "d", prop, error))
        return FALSE;
      g_value_set_double (value, g_variant_get_double (variant));
      break;
    case JOB_VALUE_STRING:
      if (g_variant_is_of_type (variant, G_VARIANT_TYPE_BYTESTRING))
        g_value_set_string (value, g_variant_get_bytestring (variant));
      else if (expect (variant, "s", prop, error))
        g_value_set_string (value, g_variant_get_string (variant, NULL));
      else
        return FALSE;
      break;
    case JOB_VALUE_STRV:
      if (g_variant_is_of_type (variant, G_VARIANT_TYPE_BYTESTRING_ARRAY))
        g_value_take_boxed (value, g_variant_dup_bytestring_array (variant, NULL));
      else if (expect (variant, "as", prop, error))
        g_value_take_boxed (value, g_variant_dup_strv (variant, NULL));
      else
        return FALSE;
      break;
    case JOB_VALUE_ENUM:
      {
        GEnumClass *klass;
        GEnumValue *ev;

        if (!expect (variant, "s", prop, error))
          return FALSE;
        klass = g_type_class_ref (value_type);
        ev = g_enum_get_value_by_nick (klass, g_variant_get_string (variant, NULL));
        g_type_class_unref (klass);
        if (ev == NULL)
          return invalid (error, "property “%s”: “%s” is not a value of %s", prop->name,
                          g_variant_get_string (variant, NULL), g_type_name (value_type));
        g_value_set_enum (value, ev->value);
      }
      break;
    case JOB_VALUE_FLAGS:
      {
        GFlagsClass *klass;
        GVariantIter iter;
        const char *nick;
        guint flags = 0;
        gboolean ok = TRUE;

        if (!expect (variant, "as", prop, error))
          return FALSE;
        klass = g_type_class_ref (value_type);
        g_variant_iter_init (&iter, variant);
        while (ok && g_variant_iter_next (&iter, "&s", &nick))
          {
            GFlagsValue *fv = g_flags_get_value_by_nick (klass, nick);
            if (fv == NULL)
              ok = invalid (error, "property “%s”: “%s” is not a flag of %s", prop->name, nick,
                            g_type_name (value_type));
            else
              flags |= fv->value;
          }
        g_type_class_unref (klass);
        if (!ok)
          return FALSE;
        g_value_set_flags (value, flags);
      }
      break;
    case JOB_VALUE_GTYPE:
      {
        GType type;
        if (!expect (variant, "s", prop, error))
          return FALSE;
        type = g_type_from_name (g_variant_get_string (variant, NULL));
        if (type == G_TYPE_INVALID)
          {
            g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE,
                         "Property “%s” names type “%s”, which is not registered in this process",
                         prop->name, g_variant_get_string (variant, NULL));
            return FALSE;
          }
        g_value_set_gtype (value, type);
      }
      break;
    case JOB_VALUE_VARIANT:
      {
        g_autoptr (GVariant) inner = NULL;
        if (!expect (variant, "v", prop, error))
          return FALSE;
        inner = g_variant_get_variant (variant);
        g_value_set_variant (value, inner);
      }
      break;
    case JOB_VALUE_BYTES:
      if (g_variant_is_of_type (variant, G_VARIANT_TYPE_UINT32))
        {
          guint32 frame = g_variant_get_uint32 (variant);
          if (frame >= job_pickle_frames_get_n_frames (self->frames))
            return invalid (error, "property “%s”: frame %u, but there are %u", prop->name,
                            frame, job_pickle_frames_get_n_frames (self->frames));
          g_value_set_boxed (value, job_pickle_frames_get_frame (self->frames, frame));
        }
      else if (expect (variant, "ay", prop, error))
        g_value_take_boxed (value, g_variant_get_data_as_bytes (variant));
      else
        return FALSE;
      break;
    case JOB_VALUE_OBJECT:
      {
        GObject *object = NULL;
        if (!expect (variant, "u", prop, error)
            || !reference (self, g_variant_get_uint32 (variant), value_type, &object, error))
          return FALSE;
        g_value_set_object (value, object);
      }
      break;
    case JOB_VALUE_BOXED:
      {
        g_autoptr (GVariant) inner = NULL;
        const JobCodec *codec = prop->boxed_codec;

        if (!expect (variant, "v", prop, error))
          return FALSE;
        inner = g_variant_get_variant (variant);
        if (!codec->decode (inner, value, codec->user_data, error))
          {
            g_prefix_error (error, "Property “%s”: ", prop->name);
            return FALSE;
          }
      }
      break;
    case JOB_VALUE_UNSUPPORTED:
    default:
      return invalid (error, "property “%s” has type %s, which has no codec", prop->name,
                      g_type_name (value_type));
    }

validate:
  /* GObject would warn about a value out of the property's range; for
   * untrusted data that is an error, not a warning. */
  if (g_param_value_validate (prop->pspec, value))
    return invalid (error, "property “%s” (%s): the value is out of the property's range",
                    prop->name, g_type_name (value_type));
  return TRUE;
}

gboolean
job_unpickler_decode_value (JobUnpickler *self,
                            const JobPropPlan *prop,
                            GVariant *variant,
                            GValue *value,
                            GError **error)
{
  return decode_value (self, prop, variant, value, error);
}

static gboolean
read_types (JobUnpickler *self,
            GVariant *types,
            GError **error)
{
  self->n_types = g_variant_n_children (types);
  self->types = g_new0 (TypeEntry, MAX (self->n_types, 1));

  for (guint i = 0; i < self->n_types; i++)
    {
      g_autoptr (GVariant) entry = g_variant_get_child_value (types, i);
      g_autoptr (GVariant) schema = NULL;
      TypeEntry *type = &self->types[i];
      const char *name, *origin;
      const JobTypePlan *plan;
      GType gtype;
      guint n_names;

      g_variant_get (entry, "(&s&s@as)", &name, &origin, &schema);
      gtype = g_type_from_name (name);
      if (gtype == G_TYPE_INVALID)
        {
          g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE,
                       "The pickle holds a %s, a type that is not registered in this "
                       "process (origin “%s”): load the plugin that provides it first",
                       name, origin);
          return FALSE;
        }
      plan = job_type_plan_get (gtype);
      if (!((plan->kind == JOB_PLAN_SERIALIZABLE && plan->instantiatable)
            || (plan->kind == JOB_PLAN_CODEC && plan->codec->type == gtype
                && G_TYPE_FUNDAMENTAL (gtype) != G_TYPE_BOXED)
            || (plan->kind == JOB_PLAN_LIST && gtype == G_TYPE_LIST_STORE)))
        {
          g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE,
                       "The pickle asks for a %s, which may not be rebuilt from a pickle: "
                       "only instantiable types that implement JobSerializable, or have a "
                       "codec, may",
                       name);
          return FALSE;
        }
      type->plan = plan;

      n_names = g_variant_n_children (schema);
      if (plan->kind != JOB_PLAN_SERIALIZABLE)
        {
          if (n_names != 0)
            return invalid (error, "type %s lists properties, but is pickled as a value", name);
          type->n_props = plan->kind == JOB_PLAN_LIST ? 2 : 1;
          continue;
        }
      if (n_names > plan->n_props)
        return invalid (error, "type %s lists %u properties, but has %u that are pickled",
                        name, n_names, plan->n_props);

      type->n_props = n_names;
      type->props = g_new (const JobPropPlan *, MAX (n_names, 1));
      for (guint j = 0; j < n_names; j++)
        {
          const char *prop_name;
          const JobPropPlan *prop;

          g_variant_get_child (schema, j, "&s", &prop_name);
          prop = job_type_plan_find_prop (plan, prop_name);
          if (prop == NULL)
            return invalid (error, "type %s has no pickled property “%s”", name, prop_name);
          if (j > 0 && strcmp (type->props[j - 1]->name, prop_name) >= 0)
            return invalid (error, "the properties of type %s are not sorted", name);
          type->props[j] = prop;
        }
    }
  return TRUE;
}

/* Only construct-only references must exist before an object is made. */
static gboolean
construct_dependency (const TypeEntry *type,
                      guint prop_index)
{
  const JobPropPlan *prop = type->props[prop_index];

  return prop->construct_only && prop->kind == JOB_VALUE_OBJECT;
}

static gboolean
at_construction (const TypeEntry *type,
                 guint prop_index)
{
  const JobPropPlan *prop = type->props[prop_index];

  if (prop->construct_only)
    return TRUE;
  return !type->plan->overrides_deserialize && prop->custom == NULL
         && prop->kind != JOB_VALUE_OBJECT;
}

static gboolean
construction_order (JobUnpickler *self,
                    guint *order,
                    GError **error)
{
  guint n = self->n_objects;
  g_autofree guint *waiting = g_new0 (guint, MAX (n, 1));
  g_autoptr (GArray) edges = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree guint *first = NULL, *next = NULL;
  guint n_order = 0, n_ready = 0;

  for (guint i = 0; i < n; i++)
    {
      const TypeEntry *type = &self->types[self->objects[i].type];

      if (type->props == NULL)
        continue;
      for (guint j = 0; j < type->n_props; j++)
        {
          g_autoptr (GVariant) boxed = NULL, value = NULL;
          guint32 target;

          if (!construct_dependency (type, j))
            continue;
          boxed = g_variant_get_child_value (self->objects[i].values, j);
          value = g_variant_get_variant (boxed);
          if (is_unit (value))
            continue;
          if (!g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
            return invalid (error, "object %u: property “%s” is not a reference", i,
                            type->props[j]->name);
          target = g_variant_get_uint32 (value);
          if (target >= n)
            return invalid (error, "object %u: a reference to object %u, but there are %u", i,
                            target, n);
          g_array_append_val (edges, target);
          g_array_append_val (edges, i);
          waiting[i]++;
        }
    }

  first = g_new (guint, MAX (n, 1));
  memset (first, 0xff, sizeof (guint) * MAX (n, 1));
  next = g_new (guint, MAX (edges->len / 2, 1));
  for (guint e = 0; e < edges->len / 2; e++)
    {
      guint target = g_array_index (edges, guint, 2 * e);
      next[e] = first[target];
      first[target] = e;
    }

  /* Kahn's algorithm; order doubles as the queue. */
  for (guint i = 0; i < n; i++)
    if (waiting[i] == 0)
      order[n_ready++] = i;
  while (n_order < n_ready)
    {
      guint made = order[n_order++];
      for (guint e = first[made]; e != G_MAXUINT; e = next[e])
        {
          guint holder = g_array_index (edges, guint, 2 * e + 1);
          if (--waiting[holder] == 0)
            order[n_ready++] = holder;
        }
    }
  if (n_order != n)
    return invalid (error, "construct-only references form a cycle");
  return TRUE;
}

static gboolean
construct_object (JobUnpickler *self,
                  guint index,
                  GError **error)
{
  ObjectEntry *entry = &self->objects[index];
  const TypeEntry *type = &self->types[entry->type];
  const JobTypePlan *plan = type->plan;

  self->holder = index;
  if (plan->kind == JOB_PLAN_SERIALIZABLE)
    {
      const char *stack_names[16];
      GValue stack_values[16];
      const char **names = stack_names;
      GValue *values = stack_values;
      guint n = 0;
      gboolean ok = TRUE;

      if (type->n_props > G_N_ELEMENTS (stack_values))
        {
          names = g_new (const char *, type->n_props);
          values = g_new (GValue, type->n_props);
        }
      for (guint j = 0; ok && j < type->n_props; j++)
        {
          g_autoptr (GVariant) boxed = NULL, value = NULL;

          if (!at_construction (type, j))
            continue;
          boxed = g_variant_get_child_value (entry->values, j);
          value = g_variant_get_variant (boxed);
          memset (&values[n], 0, sizeof (GValue));
          names[n] = type->props[j]->name;
          ok = decode_value (self, type->props[j], value, &values[n], error);
          n++;
        }
      if (ok)
        entry->object = g_object_new_with_properties (plan->type, n, names, values);
      for (guint j = 0; j < n; j++)
        if (G_IS_VALUE (&values[j]))
          g_value_unset (&values[j]);
      if (names != stack_names)
        {
          g_free (names);
          g_free (values);
        }
      if (!ok)
        g_prefix_error (error, "Object %u (%s): ", index, plan->type_name);
      return ok;
    }

  if (plan->kind == JOB_PLAN_CODEC)
    {
      g_autoptr (GVariant) boxed = g_variant_get_child_value (entry->values, 0);
      g_autoptr (GVariant) value = g_variant_get_variant (boxed);
      g_auto (GValue) decoded = G_VALUE_INIT;

      g_value_init (&decoded, plan->codec->type);
      if (!plan->codec->decode (value, &decoded, plan->codec->user_data, error))
        {
          g_prefix_error (error, "Object %u (%s): ", index, plan->type_name);
          return FALSE;
        }
      entry->object = g_value_dup_object (&decoded);
      if (entry->object == NULL)
        return invalid (error, "object %u (%s): its codec made nothing", index, plan->type_name);
      return TRUE;
    }

  /* JOB_PLAN_LIST: items are added once every object exists. */
  {
    g_autoptr (GVariant) boxed = g_variant_get_child_value (entry->values, 0);
    g_autoptr (GVariant) value = g_variant_get_variant (boxed);
    GType item_type;

    if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
      return invalid (error, "object %u: a list without an item type", index);
    item_type = g_type_from_name (g_variant_get_string (value, NULL));
    if (item_type == G_TYPE_INVALID || !g_type_is_a (item_type, G_TYPE_OBJECT))
      {
        g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE,
                     "A list in the pickle holds items of type “%s”, which is not an "
                     "object type registered in this process",
                     g_variant_get_string (value, NULL));
        return FALSE;
      }
    entry->object = G_OBJECT (g_list_store_new (item_type));
    return TRUE;
  }
}

static gboolean
finish_object (JobUnpickler *self,
               guint index,
               GError **error)
{
  ObjectEntry *entry = &self->objects[index];
  const TypeEntry *type = &self->types[entry->type];
  const JobTypePlan *plan = type->plan;

  self->holder = index;
  if (plan->kind == JOB_PLAN_SERIALIZABLE)
    {
      for (guint j = 0; j < type->n_props; j++)
        {
          const JobPropPlan *prop = type->props[j];
          g_autoptr (GVariant) boxed = NULL, value = NULL;
          gboolean ok;

          if (at_construction (type, j))
            continue;
          boxed = g_variant_get_child_value (entry->values, j);
          value = g_variant_get_variant (boxed);
          if (plan->overrides_deserialize || prop->custom != NULL)
            ok = job_serializable_deserialize_property (JOB_SERIALIZABLE (entry->object),
                                                        prop->pspec, value, error);
          else
            {
              GValue decoded = G_VALUE_INIT;

              ok = decode_value (self, prop, value, &decoded, error);
              if (ok)
                g_object_set_property (entry->object, prop->name, &decoded);
              if (G_IS_VALUE (&decoded))
                g_value_unset (&decoded);
            }
          if (!ok)
            {
              g_prefix_error (error, "Object %u (%s): ", index, plan->type_name);
              return FALSE;
            }
        }
    }
  else if (plan->kind == JOB_PLAN_LIST)
    {
      g_autoptr (GVariant) boxed = g_variant_get_child_value (entry->values, 1);
      g_autoptr (GVariant) value = g_variant_get_variant (boxed);
      GListStore *store = G_LIST_STORE (entry->object);
      GType item_type = g_list_model_get_item_type (G_LIST_MODEL (store));
      g_autofree gpointer *items = NULL;
      const guint32 *indexes;
      gsize n_items;

      if (!g_variant_is_of_type (value, G_VARIANT_TYPE ("au")))
        return invalid (error, "object %u: a list whose items are not references", index);
      indexes = g_variant_get_fixed_array (value, &n_items, sizeof (guint32));
      items = g_new (gpointer, MAX (n_items, 1));
      for (gsize k = 0; k < n_items; k++)
        {
          GObject *item = NULL;
          if (!reference (self, indexes[k], item_type, &item, error))
            {
              g_prefix_error (error, "List %u, item %" G_GSIZE_FORMAT ": ", index, k);
              return FALSE;
            }
          items[k] = item;
        }
      g_list_store_splice (store, 0, 0, items, n_items);
    }
  return TRUE;
}

GObject *
job_unpickler_run (JobPickleFrames *frames,
                   GError **error)
{
  JobUnpickler self = { 0 };
  JobUnpickler *previous = g_private_get (&current_unpickler);
  g_autoptr (GVariant) header = NULL, sizes = NULL, body_boxed = NULL, body = NULL;
  g_autoptr (GVariant) types = NULL, objects = NULL;
  g_autofree guint *order = NULL;
  GObject *root = NULL;
  gboolean ok = FALSE;

  header = job_pickle_parse_header (job_pickle_frames_get_header (frames), &sizes, error);
  if (header == NULL)
    return NULL;
  if (g_variant_n_children (sizes) != job_pickle_frames_get_n_frames (frames))
    {
      invalid (error, "the header announces %" G_GSIZE_FORMAT " frames, but %u came",
               g_variant_n_children (sizes), job_pickle_frames_get_n_frames (frames));
      return NULL;
    }
  {
    gsize n_sizes;
    const guint64 *frame_sizes = g_variant_get_fixed_array (sizes, &n_sizes, sizeof (guint64));
    for (gsize i = 0; i < n_sizes; i++)
      if (frame_sizes[i] != g_bytes_get_size (job_pickle_frames_get_frame (frames, i)))
        {
          invalid (error, "frame %" G_GSIZE_FORMAT " has %" G_GSIZE_FORMAT " bytes, the header "
                   "says %" G_GUINT64_FORMAT, i,
                   g_bytes_get_size (job_pickle_frames_get_frame (frames, i)), frame_sizes[i]);
          return NULL;
        }
  }

  body_boxed = g_variant_get_child_value (header, 3);
  body = g_variant_get_variant (body_boxed);
  if (!g_variant_is_of_type (body, G_VARIANT_TYPE (JOB_PICKLE_BODY_TYPE)))
    {
      invalid (error, "the body has type “%s”, not “%s”", g_variant_get_type_string (body),
               JOB_PICKLE_BODY_TYPE);
      return NULL;
    }
  types = g_variant_get_child_value (body, 0);
  objects = g_variant_get_child_value (body, 1);

  self.frames = frames;
  self.links = g_array_new (FALSE, FALSE, sizeof (guint));
  g_private_set (&current_unpickler, &self);

  if (!read_types (&self, types, error))
    goto out;

  self.n_objects = g_variant_n_children (objects);
  if (self.n_objects == 0)
    {
      invalid (error, "there is no object");
      goto out;
    }
  self.objects = g_new0 (ObjectEntry, self.n_objects);
  for (guint i = 0; i < self.n_objects; i++)
    {
      g_autoptr (GVariant) entry = g_variant_get_child_value (objects, i);
      ObjectEntry *object = &self.objects[i];

      g_variant_get (entry, "(u@av)", &object->type, &object->values);
      if (object->type >= self.n_types)
        {
          invalid (error, "object %u has type %u, but there are %u types", i, object->type,
                   self.n_types);
          goto out;
        }
      if (g_variant_n_children (object->values) != self.types[object->type].n_props)
        {
          invalid (error, "object %u (%s) has %" G_GSIZE_FORMAT " values for %u properties", i,
                   self.types[object->type].plan->type_name,
                   g_variant_n_children (object->values), self.types[object->type].n_props);
          goto out;
        }
    }

  order = g_new (guint, self.n_objects);
  if (!construction_order (&self, order, error))
    goto out;
  for (guint i = 0; i < self.n_objects; i++)
    if (!construct_object (&self, order[i], error))
      goto out;
  for (guint i = 0; i < self.n_objects; i++)
    if (!finish_object (&self, i, error))
      goto out;
  if (!check_reachable (&self, error))
    goto out;

  /* Later discoveries (children, mostly) first, the root last. */
  for (guint i = self.n_objects; i-- > 0;)
    if (self.types[self.objects[i].type].plan->overrides_restored)
      job_serializable_restored (JOB_SERIALIZABLE (self.objects[i].object));

  root = g_object_ref (self.objects[0].object);
  ok = TRUE;

out:
  g_private_set (&current_unpickler, previous);
  for (guint i = 0; i < self.n_objects; i++)
    {
      ObjectEntry *entry = &self.objects[i];

      /* A graph given up half-built may hold reference cycles: dispose of
       * the objects made here so that they drop their references. */
      if (!ok && entry->object != NULL
          && (self.types[entry->type].plan->kind == JOB_PLAN_SERIALIZABLE
              || self.types[entry->type].plan->kind == JOB_PLAN_LIST))
        g_object_run_dispose (entry->object);
      g_clear_pointer (&entry->values, g_variant_unref);
      g_clear_object (&entry->object);
    }
  g_clear_pointer (&self.links, g_array_unref);
  g_free (self.objects);
  for (guint i = 0; i < self.n_types; i++)
    g_free (self.types[i].props);
  g_free (self.types);
  return root;
}
