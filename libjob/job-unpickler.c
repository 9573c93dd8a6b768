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

#include "job-core-types-private.h"
#include "job-pickle-buffer-private.h"
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
  gsize offset; /* where its values start in the header */
  GObject *object;
  gboolean reached; /* referred to by an object before it */
} ObjectEntry;

struct _JobUnpickler
{
  GType checked_type;      /* resolve(): the last type found to be a ... */
  GType checked_expected;  /* ... this one */
  gboolean construct_refs; /* some type has construct-only references */
  JobPickleFrames *frames;
  guint n_types;
  TypeEntry *types;
  guint n_objects;
  ObjectEntry *objects;
  const guint8 *body;
  gsize body_size;
};

static GPrivate current_unpickler = G_PRIVATE_INIT (NULL);

/* A type by name; libjob's own types register when first used, so this
 * process may not have used this one yet. */
static GType
type_from_name (const char *name)
{
  GType type = g_type_from_name (name);

  if (type == G_TYPE_INVALID && g_str_has_prefix (name, "Job"))
    {
      job_core_types_ensure ();
      type = g_type_from_name (name);
    }
  return type;
}

JobUnpickler *
job_unpickler_get_current (void)
{
  return g_private_get (&current_unpickler);
}

G_GNUC_PRINTF (2, 3)
static gboolean
invalid (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  /* "Invalid pickle: " is prefixed once, by the entry points, after the
   * location prefixes. */
  g_set_error_literal (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
                       message);
  return FALSE;
}

void
job_pickle_prefix_invalid (GError **error)
{
  if (error != NULL && *error != NULL
      && g_error_matches (*error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID)
      && !g_str_has_prefix ((*error)->message, "Invalid pickle: "))
    g_prefix_error (error, "Invalid pickle: ");
}

gboolean
job_pickle_parse_header (GBytes *header,
                         JobPickleHeaderInfo *info,
                         GError **error)
{
  JobReader r;
  const guint8 *magic;
  gsize size;
  gconstpointer data = g_bytes_get_data (header, &size);
  guint64 version;

  memset (info, 0, sizeof *info);
  job_reader_init (&r, data, size);
  if (!job_reader_bytes (&r, 4, &magic)
      || memcmp (magic, JOB_PICKLE_HEADER_MAGIC, 4) != 0)
    return invalid (error,
                    "the header does not start with a libjob pickle's magic");
  if (!job_reader_varint (&r, &version))
    return invalid (error, "the header is truncated before its version");
  if (version != JOB_PICKLE_FORMAT_VERSION)
    {
      g_set_error (
          error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_VERSION,
          "The pickle is in format version %" G_GUINT64_FORMAT
          "; this libjob (%s) "
          "reads version %u. Pickle and unpickle with the same libjob version",
          version, JOB_VERSION_S, JOB_PICKLE_FORMAT_VERSION);
      return FALSE;
    }
  /* Each frame size takes at least one byte: the count is bounded by the
   * data, never trusted for an allocation beyond it. */
  if (!job_reader_count (&r, job_reader_remaining (&r), &info->n_frames))
    return invalid (error, "the frame table is malformed");
  info->frame_sizes = g_new (guint64, MAX (info->n_frames, 1));
  for (guint i = 0; i < info->n_frames; i++)
    if (!job_reader_varint (&r, &info->frame_sizes[i]))
      {
        g_clear_pointer (&info->frame_sizes, g_free);
        return invalid (error, "the frame table is truncated");
      }
  info->body_offset = job_reader_offset (&r);
  return TRUE;
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
  return invalid (error,
                  "property “%s” (%s) holds a value of type “%s”, not “%s”",
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
    return invalid (error, "a reference to object %u, but there are %u", index,
                    self->n_objects);
  if (self->objects[index].object == NULL)
    return invalid (
        error,
        "a construct-only reference to object %u, which is not built yet",
        index);
  if (!g_type_is_a (G_OBJECT_TYPE (self->objects[index].object), expected))
    return invalid (error, "object %u is a %s, where a %s is expected", index,
                    G_OBJECT_TYPE_NAME (self->objects[index].object),
                    g_type_name (expected));
  *object = self->objects[index].object;
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
          return invalid (
              error, "property “%s”: %" G_GINT64_FORMAT " does not fit a long",
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
          return invalid (error,
                          "property “%s”: %" G_GUINT64_FORMAT
                          " does not fit a ulong",
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
          return invalid (error, "property “%s”: %g does not fit a float",
                          prop->name, d);
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
        g_value_take_boxed (value,
                            g_variant_dup_bytestring_array (variant, NULL));
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
        ev = g_enum_get_value_by_nick (klass,
                                       g_variant_get_string (variant, NULL));
        g_type_class_unref (klass);
        if (ev == NULL)
          return invalid (error, "property “%s”: “%s” is not a value of %s",
                          prop->name, g_variant_get_string (variant, NULL),
                          g_type_name (value_type));
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
              ok = invalid (error, "property “%s”: “%s” is not a flag of %s",
                            prop->name, nick, g_type_name (value_type));
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
        type = type_from_name (g_variant_get_string (variant, NULL));
        if (type == G_TYPE_INVALID)
          {
            g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE,
                         "Property “%s” names type “%s”, which is not "
                         "registered in this process",
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
            return invalid (error, "property “%s”: frame %u, but there are %u",
                            prop->name, frame,
                            job_pickle_frames_get_n_frames (self->frames));
          g_value_set_boxed (value,
                             job_pickle_frames_get_frame (self->frames, frame));
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
            || !reference (self, g_variant_get_uint32 (variant), value_type,
                           &object, error))
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
      return invalid (error, "property “%s” has type %s, which has no codec",
                      prop->name, g_type_name (value_type));
    }

validate:
  /* GObject would warn about a value out of the property's range; for
   * untrusted data that is an error, not a warning. */
  if (g_param_value_validate (prop->pspec, value))
    return invalid (
        error, "property “%s” (%s): the value is out of the property's range",
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
read_types (JobUnpickler *self, JobReader *r, GError **error)
{
  if (!job_reader_count (r, job_reader_remaining (r), &self->n_types))
    return invalid (error, "the type table is malformed");
  self->types = g_new0 (TypeEntry, MAX (self->n_types, 1));

  for (guint i = 0; i < self->n_types; i++)
    {
      TypeEntry *type = &self->types[i];
      const char *name, *origin;
      gsize name_len, origin_len;
      const JobTypePlan *plan;
      GType gtype;
      guint n_names;

      if (!job_reader_string (r, &name, &name_len)
          || !job_reader_string (r, &origin, &origin_len))
        return invalid (error, "type %u is truncated", i);

      gtype = g_type_from_name (name);
      if (gtype == G_TYPE_INVALID && g_str_equal (origin, "core"))
        {
          /* libjob's own types register when first used: this process may
           * not have used this one yet. */
          job_core_types_ensure ();
          gtype = g_type_from_name (name);
        }
      if (gtype == G_TYPE_INVALID)
        {
          g_set_error (
              error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE,
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
                       "The pickle asks for a %s, which may not be rebuilt "
                       "from a pickle: "
                       "only instantiable types that implement "
                       "JobSerializable, or have a "
                       "codec, may",
                       name);
          return FALSE;
        }
      type->plan = plan;

      /* The common case: the writer had the same properties as this
       * process, byte for byte. */
      if (job_reader_remaining (r) >= plan->schema_len
          && memcmp (r->p, plan->schema, plan->schema_len) == 0)
        {
          r->p += plan->schema_len;
          type->n_props = plan->n_props;
          type->props = g_new (const JobPropPlan *, MAX (plan->n_props, 1));
          for (guint j = 0; j < plan->n_props; j++)
            {
              type->props[j] = &plan->props[j];
              if (plan->props[j].construct_only
                  && plan->props[j].kind == JOB_VALUE_OBJECT)
                self->construct_refs = TRUE;
            }
          continue;
        }

      if (!job_reader_count (r, job_reader_remaining (r), &n_names))
        return invalid (error, "type %u is truncated", i);
      if (plan->kind != JOB_PLAN_SERIALIZABLE)
        {
          if (n_names != 0)
            return invalid (
                error, "type %s lists properties, but is pickled as a value",
                name);
          continue;
        }
      if (n_names > plan->n_props)
        return invalid (
            error, "type %s lists %u properties, but has %u that are pickled",
            name, n_names, plan->n_props);

      type->n_props = n_names;
      type->props = g_new (const JobPropPlan *, MAX (n_names, 1));
      for (guint j = 0; j < n_names; j++)
        {
          const char *prop_name;
          gsize prop_len;
          const JobPropPlan *prop;

          if (!job_reader_string (r, &prop_name, &prop_len))
            return invalid (error, "type %s is truncated", name);
          prop = job_type_plan_find_prop (plan, prop_name);
          if (prop == NULL)
            return invalid (error, "type %s has no pickled property “%s”", name,
                            prop_name);
          if (j > 0 && strcmp (type->props[j - 1]->name, prop_name) >= 0)
            return invalid (error, "the properties of type %s are not sorted",
                            name);
          type->props[j] = prop;
          if (prop->construct_only && prop->kind == JOB_VALUE_OBJECT)
            self->construct_refs = TRUE;
        }
    }
  return TRUE;
}

/* Reads a GVariant written by write_variant(): NULL for the "no value" tag. */
static gboolean
read_variant (JobReader *r, GVariant **out, GError **error)
{
  const char *type;
  const guint8 *data;
  gsize type_len, size;
  guint8 tag;

  *out = NULL;
  if (!job_reader_byte (r, &tag))
    return invalid (error, "a value is truncated");
  if (tag == 0)
    return TRUE;
  if (tag != 1 || !job_reader_string (r, &type, &type_len) || type_len >= 256)
    return invalid (error, "a GVariant value is malformed");
  if (!g_variant_type_string_is_valid (type)
      || !g_variant_type_is_definite (G_VARIANT_TYPE (type)))
    return invalid (error, "a GVariant value has the invalid type “%s”", type);
  if (!job_reader_blob (r, &data, &size))
    return invalid (error, "a GVariant value is truncated");
  /* Untrusted: GVariant checks every access of non-normal data itself.
   * A slice of the pickle, not a copy, which stays valid as long as
   * whoever keeps the variant (a custom deserializer may). */
  if (r->owner != NULL)
    {
      g_autoptr (GBytes) slice =
          g_bytes_new_from_bytes (r->owner, (gsize) (data - r->start), size);
      *out = g_variant_ref_sink (
          g_variant_new_from_bytes (G_VARIANT_TYPE (type), slice, FALSE));
    }
  else
    {
      g_autoptr (GBytes) copy = g_bytes_new (size > 0 ? data : NULL, size);
      *out = g_variant_ref_sink (
          g_variant_new_from_bytes (G_VARIANT_TYPE (type), copy, FALSE));
    }
  return TRUE;
}

static gboolean
skip_variant (JobReader *r, GError **error)
{
  const guint8 *data;
  const char *type;
  gsize len;
  guint8 tag;

  if (!job_reader_byte (r, &tag))
    return invalid (error, "a value is truncated");
  if (tag == 0)
    return TRUE;
  if (tag != 1 || !job_reader_string (r, &type, &len)
      || !job_reader_blob (r, &data, &len))
    return invalid (error, "a GVariant value is malformed");
  return TRUE;
}

/* Reads an object reference: *index is G_MAXUINT for NULL. */
static gboolean
read_reference (JobUnpickler *self, JobReader *r, guint *index, GError **error)
{
  guint64 v;

  if (!job_reader_varint (r, &v))
    return invalid (error, "a reference is truncated");
  if (v > self->n_objects)
    return invalid (
        error, "a reference to object %" G_GUINT64_FORMAT ", but there are %u",
        v - 1, self->n_objects);
  *index = v == 0 ? G_MAXUINT : (guint) (v - 1);
  return TRUE;
}

/* Reads (or, with value == NULL, skips) one value written by write_value().
 * A reference is returned in *ref instead of being resolved. */
static gboolean
read_value (JobUnpickler *self,
            JobReader *r,
            const JobPropPlan *prop,
            GValue *value,
            guint *ref,
            GError **error)
{
  GType value_type = prop->pspec->value_type;
  const guint8 *data;
  const char *str;
  gsize len;
  guint8 byte;
  guint64 u;
  gint64 i;

  *ref = G_MAXUINT;
  if (value != NULL)
    job_prop_value_init (prop, value);

  switch (prop->kind)
    {
    case JOB_VALUE_BOOLEAN:
      if (!job_reader_byte (r, &byte) || byte > 1)
        return invalid (error, "property “%s”: a malformed boolean",
                        prop->name);
      if (value)
        {
          g_value_set_boolean (value, byte);
          if (prop->validate == JOB_VALIDATE_NONE)
            return TRUE;
        }
      break;
    case JOB_VALUE_CHAR:
    case JOB_VALUE_UCHAR:
      if (!job_reader_byte (r, &byte))
        goto truncated;
      if (value && prop->kind == JOB_VALUE_CHAR)
        g_value_set_schar (value, (gint8) byte);
      else if (value)
        g_value_set_uchar (value, byte);
      break;
    case JOB_VALUE_INT:
      if (!job_reader_zigzag (r, &i))
        goto truncated;
      if (i < G_MININT || i > G_MAXINT)
        return invalid (
            error, "property “%s”: %" G_GINT64_FORMAT " does not fit an int",
            prop->name, i);
      if (value)
        {
          /* A G_TYPE_INT value job_prop_value_init() zeroed: what
           * g_value_set_int() does, without its type check. */
          value->data[0].v_int = (int) i;
          if (prop->validate == JOB_VALIDATE_INT_RANGE)
            {
              const GParamSpecInt *ispec = (const GParamSpecInt *) prop->pspec;

              if (i < ispec->minimum || i > ispec->maximum)
                goto out_of_range;
              return TRUE;
            }
        }
      break;
    case JOB_VALUE_LONG:
      if (!job_reader_zigzag (r, &i))
        goto truncated;
      if (i < G_MINLONG || i > G_MAXLONG)
        return invalid (
            error, "property “%s”: %" G_GINT64_FORMAT " does not fit a long",
            prop->name, i);
      if (value)
        g_value_set_long (value, (glong) i);
      break;
    case JOB_VALUE_INT64:
      if (!job_reader_zigzag (r, &i))
        goto truncated;
      if (value)
        g_value_set_int64 (value, i);
      break;
    case JOB_VALUE_UINT:
      if (!job_reader_varint (r, &u))
        goto truncated;
      if (u > G_MAXUINT)
        return invalid (
            error, "property “%s”: %" G_GUINT64_FORMAT " does not fit a uint",
            prop->name, u);
      if (value)
        g_value_set_uint (value, (guint) u);
      break;
    case JOB_VALUE_ULONG:
      if (!job_reader_varint (r, &u))
        goto truncated;
      if (u > G_MAXULONG)
        return invalid (
            error, "property “%s”: %" G_GUINT64_FORMAT " does not fit a ulong",
            prop->name, u);
      if (value)
        g_value_set_ulong (value, (gulong) u);
      break;
    case JOB_VALUE_UINT64:
      if (!job_reader_varint (r, &u))
        goto truncated;
      if (value)
        g_value_set_uint64 (value, u);
      break;
    case JOB_VALUE_FLOAT:
    case JOB_VALUE_DOUBLE:
      {
        double d;

        if (!job_reader_fixed64 (r, &u))
          goto truncated;
        memcpy (&d, &u, 8);
        if (prop->kind == JOB_VALUE_FLOAT && d == d
            && (d > G_MAXFLOAT || d < -G_MAXFLOAT) && d != d * 2)
          return invalid (error, "property “%s”: %g does not fit a float",
                          prop->name, d);
        if (value && prop->kind == JOB_VALUE_FLOAT)
          g_value_set_float (value, (float) d);
        else if (value)
          g_value_set_double (value, d);
      }
      break;
    case JOB_VALUE_STRING:
      if (!job_reader_nullable_string (r, &str, &len))
        goto truncated;
      if (value && str != NULL)
        {
          /* A string no validation can change is lent from the pickle:
           * whoever keeps it copies it, as from any GValue. */
          if (prop->validate == JOB_VALIDATE_NONE)
            {
              /* As g_value_set_static_string() on the zeroed G_TYPE_STRING
               * value job_prop_value_init() made. */
              value->data[0].v_pointer = (gpointer) str;
              value->data[1].v_uint = G_VALUE_NOCOPY_CONTENTS;
              return TRUE;
            }
          g_value_set_string (value, str);
        }
      break;
    case JOB_VALUE_GTYPE:
      if (!job_reader_nullable_string (r, &str, &len))
        goto truncated;
      if (value && str != NULL)
        {
          const char *name = str;
          GType type = type_from_name (name);

          if (type == G_TYPE_INVALID)
            {
              g_set_error (error, JOB_PICKLE_ERROR,
                           JOB_PICKLE_ERROR_UNKNOWN_TYPE,
                           "Property “%s” names type “%s”, which is not "
                           "registered in this "
                           "process",
                           prop->name, name);
              return FALSE;
            }
          g_value_set_gtype (value, type);
        }
      break;
    case JOB_VALUE_STRV:
      {
        guint n;
        char **strv = NULL;

        /* Each string takes at least a byte: n is bounded by the data. */
        if (!job_reader_count (r, (guint64) job_reader_remaining (r) + 1, &n))
          goto truncated;
        if (n > 0 && value)
          strv = g_new0 (char *, n);
        for (guint k = 0; k + 1 < n; k++)
          {
            if (!job_reader_string (r, &str, &len))
              {
                g_strfreev (strv);
                goto truncated;
              }
            if (strv)
              strv[k] = g_strndup (str, len);
          }
        if (value)
          g_value_take_boxed (value, strv);
      }
      break;
    case JOB_VALUE_ENUM:
      if (!job_reader_string (r, &str, &len))
        goto truncated;
      if (value)
        {
          const char *nick = str;
          GEnumValue *ev =
              g_enum_get_value_by_nick (g_type_class_peek (value_type), nick);

          if (ev == NULL)
            return invalid (error, "property “%s”: “%s” is not a value of %s",
                            prop->name, nick, g_type_name (value_type));
          g_value_set_enum (value, ev->value);
        }
      break;
    case JOB_VALUE_FLAGS:
      {
        guint n, flags = 0;

        if (!job_reader_count (r, job_reader_remaining (r), &n))
          goto truncated;
        for (guint k = 0; k < n; k++)
          {
            if (!job_reader_string (r, &str, &len))
              goto truncated;
            if (value)
              {
                const char *nick = str;
                GFlagsValue *fv = g_flags_get_value_by_nick (
                    g_type_class_peek (value_type), nick);

                if (fv == NULL)
                  return invalid (error,
                                  "property “%s”: “%s” is not a flag of %s",
                                  prop->name, nick, g_type_name (value_type));
                flags |= fv->value;
              }
          }
        if (value)
          g_value_set_flags (value, flags);
      }
      break;
    case JOB_VALUE_BYTES:
      if (!job_reader_byte (r, &byte))
        goto truncated;
      if (byte == 1)
        {
          if (!job_reader_blob (r, &data, &len))
            goto truncated;
          if (value)
            g_value_take_boxed (value, g_bytes_new (data, len));
        }
      else if (byte == 2)
        {
          guint frame;

          if (!job_reader_count (r, G_MAXUINT, &frame))
            goto truncated;
          if (frame >= job_pickle_frames_get_n_frames (self->frames))
            return invalid (error, "property “%s”: frame %u, but there are %u",
                            prop->name, frame,
                            job_pickle_frames_get_n_frames (self->frames));
          if (value)
            g_value_set_boxed (
                value, job_pickle_frames_get_frame (self->frames, frame));
        }
      else if (byte != 0)
        return invalid (error, "property “%s”: a malformed byte array",
                        prop->name);
      break;
    case JOB_VALUE_VARIANT:
    case JOB_VALUE_BOXED:
      {
        g_autoptr (GVariant) variant = NULL;

        if (value == NULL)
          return skip_variant (r, error);
        if (!read_variant (r, &variant, error))
          return FALSE;
        if (variant == NULL)
          break;
        if (prop->kind == JOB_VALUE_VARIANT)
          {
            /* A self-contained copy in normal form: the property keeps
             * neither the pickle's buffer nor non-normal data. */
            g_autoptr (GVariant) owned = g_variant_get_normal_form (variant);

            g_value_set_variant (value, owned);
          }
        else if (!prop->boxed_codec->decode (
                     variant, value, prop->boxed_codec->user_data, error))
          {
            g_prefix_error (error, "Property “%s”: ", prop->name);
            return FALSE;
          }
      }
      break;
    case JOB_VALUE_OBJECT:
      return read_reference (self, r, ref, error);
    case JOB_VALUE_UNSUPPORTED:
    default:
      return invalid (error, "property “%s” has type %s, which has no codec",
                      prop->name, g_type_name (value_type));
    }

  /* GObject would warn about a value out of the property's range; for
   * untrusted data that is an error, not a warning. */
  if (value != NULL && g_param_value_validate (prop->pspec, value))
    goto out_of_range;
  return TRUE;

out_of_range:
  return invalid (
      error, "property “%s” (%s): the value is out of the property's range",
      prop->name, g_type_name (value_type));

truncated:
  return invalid (error, "property “%s”: the value is truncated or malformed",
                  prop->name);
}

/* Checks one object record and finds where it ends; collects its
 * construct-only references (which must be built before it). */
static gboolean
scan_object (JobUnpickler *self,
             JobReader *r,
             guint index,
             GArray *edges,
             GArray *links,
             GError **error)
{
  ObjectEntry *entry = &self->objects[index];
  const TypeEntry *type;

  /* With no type at all, no index is valid (not even 0). */
  if (self->n_types == 0
      || !job_reader_count (r, self->n_types - 1, &entry->type))
    return invalid (error, "object %u has no valid type", index);
  entry->offset = job_reader_offset (r);
  type = &self->types[entry->type];

  switch (type->plan->kind)
    {
    case JOB_PLAN_SERIALIZABLE:
      for (guint j = 0; j < type->n_props; j++)
        {
          const JobPropPlan *prop = type->props[j];
          guint ref;

          if (prop->variant_coded)
            {
              g_autoptr (GVariant) variant = NULL;

              if (!read_variant (r, &variant, error))
                goto fail;
              /* The default encoding of a reference, chained up to. */
              if (prop->kind == JOB_VALUE_OBJECT && variant != NULL
                  && g_variant_is_of_type (variant, G_VARIANT_TYPE_UINT32)
                  && g_variant_get_uint32 (variant) < self->n_objects)
                {
                  guint link[2] = { index, g_variant_get_uint32 (variant) };
                  g_array_append_vals (links, link, 2);
                }
              continue;
            }
          if (!read_value (self, r, prop, NULL, &ref, error))
            goto fail;
          if (ref != G_MAXUINT)
            {
              guint link[2] = { index, ref };
              g_array_append_vals (links, link, 2);
            }
          if (prop->construct_only && ref != G_MAXUINT)
            {
              guint edge[2] = { ref, index };
              g_array_append_vals (edges, edge, 2);
            }
        }
      return TRUE;

    case JOB_PLAN_CODEC:
      if (!skip_variant (r, error))
        goto fail;
      return TRUE;

    case JOB_PLAN_LIST:
      {
        const char *data;
        gsize len;
        guint n;

        if (!job_reader_string (r, &data, &len)
            || !job_reader_count (r, job_reader_remaining (r), &n))
          return invalid (error, "list %u is truncated", index);
        for (guint k = 0; k < n; k++)
          {
            guint item;
            guint link[2];

            if (!job_reader_count (r, self->n_objects - 1, &item))
              return invalid (
                  error, "list %u: item %u is not a valid reference", index, k);
            link[0] = index;
            link[1] = item;
            g_array_append_vals (links, link, 2);
          }
      }
      return TRUE;

    default:
      g_assert_not_reached ();
    }

fail:
  g_prefix_error (error, "object %u (%s): ", index, type->plan->type_name);
  return FALSE;
}

/* The pickler writes only what the root reaches: anything else would be
 * built for nothing and, in a cycle, never freed. Checked before anything
 * is instantiated. */
static gboolean
check_reachable (JobUnpickler *self, GArray *links, GError **error)
{
  guint n = self->n_objects;
  guint n_links = links->len / 2;
  const guint *l = (const guint *) (gpointer) links->data;
  g_autofree guint *first = g_new (guint, n);
  g_autofree guint *next = g_new (guint, MAX (n_links, 1));
  g_autofree guint *queue = g_new (guint, n);
  g_autofree guint8 *reached = g_new0 (guint8, n);
  guint n_queued = 0, n_done = 0;

  memset (first, 0xff, sizeof (guint) * n);
  for (guint e = 0; e < n_links; e++)
    {
      next[e] = first[l[2 * e]];
      first[l[2 * e]] = e;
    }
  reached[0] = 1;
  queue[n_queued++] = 0;
  while (n_done < n_queued)
    for (guint e = first[queue[n_done++]]; e != G_MAXUINT; e = next[e])
      if (!reached[l[2 * e + 1]])
        {
          reached[l[2 * e + 1]] = 1;
          queue[n_queued++] = l[2 * e + 1];
        }
  if (n_queued == n)
    return TRUE;
  for (guint i = 0; i < n; i++)
    if (!reached[i])
      return invalid (error,
                      "object %u (%s) is not reachable from the root object", i,
                      self->types[self->objects[i].type].plan->type_name);
  return TRUE;
}

static gboolean
construction_order (JobUnpickler *self,
                    GArray *edges,
                    guint *order,
                    GError **error)
{
  guint n = self->n_objects;
  guint n_edges = edges->len / 2;
  const guint *e = (const guint *) (gpointer) edges->data;
  g_autofree guint *waiting = g_new0 (guint, n);
  g_autofree guint *first = g_new (guint, n);
  g_autofree guint *next = g_new (guint, MAX (n_edges, 1));
  guint n_order = 0, n_ready = 0;

  memset (first, 0xff, sizeof (guint) * n);
  for (guint k = 0; k < n_edges; k++)
    {
      guint target = e[2 * k], holder = e[2 * k + 1];
      waiting[holder]++;
      next[k] = first[target];
      first[target] = k;
    }

  /* Kahn's algorithm; order doubles as the queue. */
  for (guint i = 0; i < n; i++)
    if (waiting[i] == 0)
      order[n_ready++] = i;
  while (n_order < n_ready)
    {
      guint made = order[n_order++];
      for (guint k = first[made]; k != G_MAXUINT; k = next[k])
        if (--waiting[e[2 * k + 1]] == 0)
          order[n_ready++] = e[2 * k + 1];
    }
  if (n_order != n)
    return invalid (error, "construct-only references form a cycle");
  return TRUE;
}

/* A property that goes through the vfuncs, restored once all objects exist. */
typedef struct
{
  guint object;
  const JobPropPlan *prop;
  GVariant *variant;
} Deferred;

static void
deferred_clear (gpointer data)
{
  Deferred *d = data;

  g_clear_pointer (&d->variant, g_variant_unref);
}

static gboolean
resolve (JobUnpickler *self,
         guint index,
         GType expected,
         GObject **object,
         GError **error)
{
  GObject *target = self->objects[index].object;

  if (target == NULL)
    return invalid (
        error,
        "a construct-only reference to object %u, which is not built yet",
        index);
  if (G_OBJECT_TYPE (target) != self->checked_type
      || expected != self->checked_expected)
    {
      if (!g_type_is_a (G_OBJECT_TYPE (target), expected))
        return invalid (error, "object %u is a %s, where a %s is expected",
                        index, G_OBJECT_TYPE_NAME (target),
                        g_type_name (expected));
      self->checked_type = G_OBJECT_TYPE (target);
      self->checked_expected = expected;
    }
  *object = target;
  return TRUE;
}

/* A reference property set once every object exists. */
typedef struct
{
  guint object;
  guint target;
  const JobPropPlan *prop;
} Reference;

/* Builds object @index from its record at @r, leaving @r at the record's
 * end. References to objects already built are set with its other
 * properties; the others later (from @refs), variant-coded properties too
 * (from @deferred). Every object it refers to after itself is marked
 * reached. */
static gboolean
build_object (JobUnpickler *self,
              guint index,
              JobReader *r,
              GArray *deferred,
              GArray **refs,
              GError **error)
{
  ObjectEntry *entry = &self->objects[index];
  const TypeEntry *type = &self->types[entry->type];
  const JobTypePlan *plan = type->plan;

  if (plan->kind == JOB_PLAN_SERIALIZABLE)
    {
      const char *stack_names[32];
      GValue stack_values[32];
      const JobPropPlan *stack_later[32];
      const char **names = stack_names;
      GValue *values = stack_values;
      const JobPropPlan **later = stack_later;
      guint n = 0, n_construct = 0;
      gboolean ok = TRUE;

      if (type->n_props > G_N_ELEMENTS (stack_values))
        {
          names = g_new (const char *, type->n_props);
          values = g_new (GValue, type->n_props);
          later = g_new (const JobPropPlan *, type->n_props);
        }
      /* Construct-time values fill the front of values[], the ones set once
       * the object exists its back: values[type->n_props - 1 - k]. */
      for (guint j = 0; ok && j < type->n_props; j++)
        {
          const JobPropPlan *prop = type->props[j];
          /* Read in place: its slot among the construct-time values or
           * among those set once the object exists. */
          GValue *value = prop->at_construction
                              ? &values[n_construct]
                              : &values[type->n_props - 1 - n];
          guint ref;

          if (prop->variant_coded)
            {
              Deferred d = { index, prop, NULL };

              ok = read_variant (r, &d.variant, error);
              if (!ok)
                break;
              /* The default encoding of a reference, chained up to. */
              if (prop->kind == JOB_VALUE_OBJECT && d.variant != NULL
                  && g_variant_is_of_type (d.variant, G_VARIANT_TYPE_UINT32)
                  && g_variant_get_uint32 (d.variant) < self->n_objects
                  && g_variant_get_uint32 (d.variant) > index)
                self->objects[g_variant_get_uint32 (d.variant)].reached = TRUE;
              g_array_append_val (deferred, d);
              continue;
            }
          /* g_value_init() wants a zeroed value, not the stack's. */
          *value = (GValue) G_VALUE_INIT;
          if (prop->kind == JOB_VALUE_OBJECT)
            {
              GObject *target = NULL;

              ok = read_reference (self, r, &ref, error);
              if (!ok)
                break;
              if (ref != G_MAXUINT)
                {
                  if (ref > index)
                    self->objects[ref].reached = TRUE;
                  if (!prop->construct_only
                      && (self->objects[ref].object == NULL
                          || self->types[self->objects[ref].type].plan->kind
                                 == JOB_PLAN_LIST))
                    {
                      /* Not built yet, or a list not filled yet: set once
                       * every object exists and every list is filled. */
                      Reference reference = { index, ref, prop };

                      if (*refs == NULL)
                        *refs = g_array_sized_new (FALSE, FALSE,
                                                   sizeof (Reference), 64);
                      g_array_append_val (*refs, reference);
                      continue;
                    }
                  ok = resolve (self, ref, prop->pspec->value_type, &target,
                                error);
                  if (!ok)
                    break;
                }
              /* resolve() checked the target's type. A value set once the
               * object exists lends the target to the setter (which takes
               * its own reference, as any set_property() does) and is
               * cleared before it is released; one given to
               * g_object_new_with_properties() holds a reference. */
              job_prop_value_init (prop, value);
              if (target != NULL && prop->at_construction)
                g_value_set_object (value, target);
              else
                value->data[0].v_pointer = target;
            }
          else
            {
              ok = read_value (self, r, prop, value, &ref, error);
              if (!ok)
                {
                  if (G_IS_VALUE (value))
                    g_value_unset (value);
                  break;
                }
            }
          if (prop->at_construction)
            names[n_construct++] = prop->name;
          else
            later[n++] = prop;
        }
      if (ok)
        {
          gboolean notify;

          entry->object = g_object_new_with_properties (plan->type, n_construct,
                                                        names, values);
          notify = n > 0 && job_type_plan_observed (plan, entry->object);
          for (guint k = 0; k < n; k++)
            job_prop_plan_set (later[k], entry->object,
                               &values[type->n_props - 1 - k], notify);
        }
      for (guint k = 0; k < n_construct; k++)
        g_value_unset (&values[k]);
      for (guint k = 0; k < n; k++)
        {
          GValue *value = &values[type->n_props - 1 - k];

          if (later[k]->kind == JOB_VALUE_OBJECT)
            value->data[0].v_pointer = NULL; /* lent, see above */
          job_prop_value_unset (later[k], value);
        }
      if (names != stack_names)
        {
          g_free (names);
          g_free (values);
          g_free (later);
        }
      if (!ok)
        g_prefix_error (error, "object %u (%s): ", index, plan->type_name);
      return ok;
    }

  if (plan->kind == JOB_PLAN_CODEC)
    {
      g_autoptr (GVariant) variant = NULL;
      g_auto (GValue) decoded = G_VALUE_INIT;

      if (!read_variant (r, &variant, error))
        return FALSE;
      if (variant == NULL)
        return invalid (error, "object %u (%s) has no value", index,
                        plan->type_name);
      g_value_init (&decoded, plan->codec->type);
      if (!plan->codec->decode (variant, &decoded, plan->codec->user_data,
                                error))
        {
          g_prefix_error (error, "object %u (%s): ", index, plan->type_name);
          return FALSE;
        }
      entry->object = g_value_dup_object (&decoded);
      if (entry->object == NULL)
        return invalid (error, "object %u (%s): its codec made nothing", index,
                        plan->type_name);
      return TRUE;
    }

  /* JOB_PLAN_LIST: the items are added once every object exists. */
  {
    const char *item_type_name;
    gsize len;
    GType item_type;
    guint n;

    if (!job_reader_string (r, &item_type_name, &len))
      return invalid (error, "list %u is truncated", index);
    item_type = type_from_name (item_type_name);
    if (item_type == G_TYPE_INVALID || !g_type_is_a (item_type, G_TYPE_OBJECT))
      {
        g_set_error (
            error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNKNOWN_TYPE,
            "A list in the pickle holds items of type “%s”, which is not an "
            "object type registered in this process",
            item_type_name);
        return FALSE;
      }
    entry->object = G_OBJECT (g_list_store_new (item_type));
    entry->offset = job_reader_offset (r);
    if (!job_reader_count (r, job_reader_remaining (r), &n))
      return invalid (error, "list %u is truncated", index);
    for (guint k = 0; k < n; k++)
      {
        guint item;

        if (!job_reader_count (r, self->n_objects - 1, &item))
          return invalid (error, "list %u: item %u is not a valid reference",
                          index, k);
        if (item > index)
          self->objects[item].reached = TRUE;
      }
    return TRUE;
  }
}

static gboolean
fill_list (JobUnpickler *self, guint index, GError **error)
{
  ObjectEntry *entry = &self->objects[index];
  GListStore *store = G_LIST_STORE (entry->object);
  GType item_type = g_list_model_get_item_type (G_LIST_MODEL (store));
  g_autofree gpointer *items = NULL;
  JobReader r;
  guint n;

  job_reader_init (&r, self->body, self->body_size);
  r.owner = job_pickle_frames_get_header (self->frames);
  r.p += entry->offset;
  if (!job_reader_count (&r, self->n_objects, &n))
    return invalid (error, "list %u is truncated", index);
  items = g_new (gpointer, MAX (n, 1));
  for (guint k = 0; k < n; k++)
    {
      guint item;
      GObject *object = NULL;

      if (!job_reader_count (&r, self->n_objects - 1, &item)
          || !resolve (self, item, item_type, &object, error))
        {
          if (error != NULL && *error == NULL)
            invalid (error, "list %u: item %u is malformed", index, k);
          g_prefix_error (error, "list %u, item %u: ", index, k);
          return FALSE;
        }
      items[k] = object;
    }
  g_list_store_splice (store, 0, 0, items, n);
  return TRUE;
}

/* Sets the references collected by build_object(), in pickle order. */
static gboolean
set_references (JobUnpickler *self, GArray *refs, GError **error)
{
  GValue value = G_VALUE_INIT;
  gboolean ok = TRUE;
  GObject *last_holder = NULL;
  gboolean notify = FALSE;

  for (guint i = 0; ok && refs != NULL && i < refs->len; i++)
    {
      const Reference *ref = &g_array_index (refs, Reference, i);
      const JobPropPlan *prop = ref->prop;
      GType value_type = prop->pspec->value_type;
      GObject *holder = self->objects[ref->object].object;
      GObject *target = NULL;

      if (!resolve (self, ref->target, value_type, &target, error))
        {
          g_prefix_error (
              error, "object %u (%s), property “%s”: ", ref->object,
              self->types[self->objects[ref->object].type].plan->type_name,
              prop->name);
          ok = FALSE;
          break;
        }
      /* The value lends the target to the setter, which takes its own
       * reference as any set_property() does: resolve() checked its type,
       * and the value never owns it (it is cleared before the unset). */
      if (G_VALUE_TYPE (&value) != value_type)
        {
          if (G_IS_VALUE (&value))
            g_value_unset (&value);
          g_value_init (&value, value_type);
        }
      value.data[0].v_pointer = target;
      if (holder != last_holder)
        {
          last_holder = holder;
          notify = job_type_plan_observed (
              self->types[self->objects[ref->object].type].plan, holder);
        }
      job_prop_plan_set (prop, holder, &value, notify);
      value.data[0].v_pointer = NULL;
    }
  if (G_IS_VALUE (&value))
    g_value_unset (&value);
  return ok;
}

static gboolean
apply_deferred (JobUnpickler *self, const Deferred *d, GError **error)
{
  GObject *object = self->objects[d->object].object;

  if (d->variant == NULL)
    return TRUE; /* the serializer failed with no value: keep the default */
  if (!job_serializable_deserialize_property (
          JOB_SERIALIZABLE (object), d->prop->pspec, d->variant, error))
    {
      g_prefix_error (error, "object %u (%s), property “%s”: ", d->object,
                      G_OBJECT_TYPE_NAME (object), d->prop->name);
      return FALSE;
    }
  return TRUE;
}

/* The object table of the last pickle read on this thread, kept for the
 * next: a large graph is read without faulting in a fresh table. */
typedef struct
{
  ObjectEntry *entries;
  guint capacity;
} ObjectTable;

#define OBJECT_TABLE_KEEP_MAX (4 * 1024 * 1024 / sizeof (ObjectEntry))

static void
object_table_free (gpointer data)
{
  ObjectTable *table = data;

  g_free (table->entries);
  g_free (table);
}

static GPrivate cached_objects = G_PRIVATE_INIT (object_table_free);

static ObjectEntry *
objects_take (guint n)
{
  ObjectTable *table = g_private_get (&cached_objects);
  ObjectEntry *entries;

  if (table == NULL || table->entries == NULL || table->capacity < n)
    return g_new0 (ObjectEntry, n);
  /* Taken, not shared: a nested unpickle makes its own. */
  entries = g_steal_pointer (&table->entries);
  memset (entries, 0, sizeof (ObjectEntry) * n);
  return entries;
}

static void
objects_release (ObjectEntry *entries, guint n)
{
  ObjectTable *table = g_private_get (&cached_objects);

  if (entries == NULL)
    return;
  if (n > OBJECT_TABLE_KEEP_MAX
      || (table != NULL && table->entries != NULL && table->capacity >= n))
    {
      g_free (entries);
      return;
    }
  if (table == NULL)
    {
      table = g_new0 (ObjectTable, 1);
      g_private_set (&cached_objects, table);
    }
  g_free (table->entries);
  table->entries = entries;
  table->capacity = n;
}

GObject *
job_unpickler_run (JobPickleFrames *frames, GError **error)
{
  return job_unpickler_run_as (frames, G_TYPE_OBJECT, error);
}

GObject *
job_unpickler_run_as (JobPickleFrames *frames, GType root_type, GError **error)
{
  JobUnpickler self = { 0 };
  JobUnpickler *previous = g_private_get (&current_unpickler);
  JobPickleHeaderInfo info;
  g_autoptr (GArray) edges = NULL;
  g_autoptr (GArray) links = NULL;
  g_autoptr (GArray) refs = NULL;
  g_autoptr (GArray) deferred = NULL;
  g_autofree guint *order = NULL;
  GBytes *header = job_pickle_frames_get_header (frames);
  GObject *root = NULL;
  JobReader r;

  if (!job_pickle_parse_header (header, &info, error))
    {
      job_pickle_prefix_invalid (error);
      return NULL;
    }
  if (info.n_frames != job_pickle_frames_get_n_frames (frames))
    {
      invalid (error, "the header announces %u frames, but %u came",
               info.n_frames, job_pickle_frames_get_n_frames (frames));
      job_pickle_prefix_invalid (error);
      g_free (info.frame_sizes);
      return NULL;
    }
  for (guint i = 0; i < info.n_frames; i++)
    if (info.frame_sizes[i]
        != g_bytes_get_size (job_pickle_frames_get_frame (frames, i)))
      {
        invalid (error,
                 "frame %u has %" G_GSIZE_FORMAT
                 " bytes, the header says %" G_GUINT64_FORMAT,
                 i, g_bytes_get_size (job_pickle_frames_get_frame (frames, i)),
                 info.frame_sizes[i]);
        job_pickle_prefix_invalid (error);
        g_free (info.frame_sizes);
        return NULL;
      }
  g_free (info.frame_sizes);

  self.frames = frames;
  self.body = g_bytes_get_data (header, &self.body_size);
  job_reader_init (&r, self.body, self.body_size);
  r.owner = header;
  r.p += info.body_offset;

  g_private_set (&current_unpickler, &self);
  deferred = g_array_new (FALSE, FALSE, sizeof (Deferred));
  g_array_set_clear_func (deferred, deferred_clear);

  if (!read_types (&self, &r, error))
    goto out;
  /* Each object takes at least one byte: the count is bounded by the data. */
  if (!job_reader_count (&r, job_reader_remaining (&r), &self.n_objects)
      || self.n_objects == 0)
    {
      invalid (error,
               "the object count is missing, zero, or larger than the data");
      goto out;
    }
  self.objects = objects_take (self.n_objects);

  if (!self.construct_refs)
    {
      /* No object needs another to exist before it: build each as its
       * record is read, in one pass. */
      for (guint i = 0; i < self.n_objects; i++)
        {
          ObjectEntry *entry = &self.objects[i];

          /* With no type at all, no index is valid (not even 0). */
          if (self.n_types == 0
              || !job_reader_count (&r, self.n_types - 1, &entry->type))
            {
              invalid (error, "object %u has no valid type", i);
              goto out;
            }
          entry->offset = job_reader_offset (&r);
          if (!build_object (&self, i, &r, deferred, &refs, error))
            goto out;
        }
      if (job_reader_remaining (&r) != 0)
        {
          invalid (error,
                   "%" G_GSIZE_FORMAT " stray bytes after the last object",
                   job_reader_remaining (&r));
          goto out;
        }
      /* The pickler numbers objects as it finds them from the root: each
       * one is referred to by an object before it, and so, step by step,
       * reachable from the root. */
      for (guint i = 1; i < self.n_objects; i++)
        if (!self.objects[i].reached)
          {
            invalid (error,
                     "object %u (%s) is not reachable from the root object "
                     "through the objects before it",
                     i, self.types[self.objects[i].type].plan->type_name);
            goto out;
          }
    }
  else
    {
      /* Construct-only references: check every record and build in an
       * order where each such target comes before its holder. */
      edges = g_array_new (FALSE, FALSE, sizeof (guint));
      links = g_array_new (FALSE, FALSE, sizeof (guint));
      for (guint i = 0; i < self.n_objects; i++)
        if (!scan_object (&self, &r, i, edges, links, error))
          goto out;
      if (job_reader_remaining (&r) != 0)
        {
          invalid (error,
                   "%" G_GSIZE_FORMAT " stray bytes after the last object",
                   job_reader_remaining (&r));
          goto out;
        }

      if (!check_reachable (&self, links, error))
        goto out;
      g_clear_pointer (&links, g_array_unref);

      order = g_new (guint, self.n_objects);
      if (!construction_order (&self, edges, order, error))
        goto out;
      for (guint i = 0; i < self.n_objects; i++)
        {
          JobReader record;

          job_reader_init (&record, self.body, self.body_size);
          record.owner = header;
          record.p += self.objects[order[i]].offset;
          if (!build_object (&self, order[i], &record, deferred, &refs, error))
            goto out;
        }
    }
  /* The caller wants a particular kind of root (a worker, a JobTask):
   * anything else is refused before a single object exists. */
  if (root_type != G_TYPE_OBJECT
      && !g_type_is_a (self.types[self.objects[0].type].plan->type, root_type))
    {
      invalid (error, "its root is a %s where a %s is expected",
               self.types[self.objects[0].type].plan->type_name,
               g_type_name (root_type));
      goto out;
    }

  for (guint i = 0; i < self.n_objects; i++)
    if (self.types[self.objects[i].type].plan->kind == JOB_PLAN_LIST
        && !fill_list (&self, i, error))
      goto out;
  if (!set_references (&self, refs, error))
    goto out;
  for (guint i = 0; i < deferred->len; i++)
    if (!apply_deferred (&self, &g_array_index (deferred, Deferred, i), error))
      goto out;

  /* Later discoveries (children, mostly) first, the root last. */
  for (guint i = self.n_objects; i-- > 0;)
    if (self.types[self.objects[i].type].plan->overrides_restored)
      job_serializable_restored (JOB_SERIALIZABLE (self.objects[i].object));

  root = g_object_ref (self.objects[0].object);

out:
  if (root == NULL)
    job_pickle_prefix_invalid (error);
  g_private_set (&current_unpickler, previous);
  /* On failure, references already set may form cycles: the objects we made
   * drop theirs before we drop ours. */
  if (root == NULL)
    for (guint i = 0; i < self.n_objects; i++)
      if (self.objects[i].object != NULL
          && self.types[self.objects[i].type].plan->kind != JOB_PLAN_CODEC)
        g_object_run_dispose (self.objects[i].object);
  for (guint i = 0; i < self.n_objects; i++)
    g_clear_object (&self.objects[i].object);
  objects_release (self.objects, self.n_objects);
  for (guint i = 0; i < self.n_types; i++)
    g_free (self.types[i].props);
  g_free (self.types);
  return root;
}
