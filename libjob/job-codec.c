/* job-codec.c: the codec registry for values of non-serializable types
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "job-pickle.h"
#include "job-type-plan-private.h"

/* Codecs are never freed once registered, so lookups can hand out pointers
 * without holding the lock; there are a handful per process. */
G_LOCK_DEFINE_STATIC (codecs);
static GPtrArray *codecs;    /* JobCodec*, in registration order */
static GHashTable *codec_of; /* GType -> JobCodec* (or &no_codec), a cache */
static const JobCodec no_codec;

static void register_builtins (void);

void
job_codec_ensure_builtins (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      register_builtins ();
      g_once_init_leave (&done, 1);
    }
}

/**
 * job_codec_register:
 * @type: a boxed type, or an object or interface type whose objects are
 *   pickled as values (like #GFile)
 * @encode: (scope notified) (closure user_data): encodes a value of @type
 * @decode: (scope notified) (closure user_data): decodes a value of @type
 * @user_data: data for @encode and @decode
 * @destroy: (destroy user_data) (nullable): frees @user_data
 *
 * Registers how values of @type are pickled. Properties whose value type is
 * @type (a boxed type), and objects that are instances of @type but do not
 * implement [iface@Job.Serializable] (an object or interface type), are
 * encoded with @encode and rebuilt with @decode.
 *
 * libjob registers codecs for #GDateTime, #GFile and #GError. Registering a
 * second codec for the same type is a programming error.
 */
void
job_codec_register (GType type,
                    JobCodecEncodeFunc encode,
                    JobCodecDecodeFunc decode,
                    gpointer user_data,
                    GDestroyNotify destroy)
{
  JobCodec *codec;

  g_return_if_fail (G_TYPE_FUNDAMENTAL (type) == G_TYPE_BOXED
                    || G_TYPE_FUNDAMENTAL (type) == G_TYPE_OBJECT
                    || G_TYPE_FUNDAMENTAL (type) == G_TYPE_INTERFACE);
  g_return_if_fail (encode != NULL && decode != NULL);

  if (type != G_TYPE_DATE_TIME && type != G_TYPE_FILE && type != G_TYPE_ERROR)
    job_codec_ensure_builtins ();

  G_LOCK (codecs);
  if (codecs == NULL)
    codecs = g_ptr_array_new ();
  for (guint i = 0; i < codecs->len; i++)
    if (((JobCodec *) codecs->pdata[i])->type == type)
      {
        G_UNLOCK (codecs);
        g_critical ("A codec for %s is already registered", g_type_name (type));
        if (destroy != NULL)
          destroy (user_data);
        return;
      }
  codec = g_new0 (JobCodec, 1);
  codec->type = type;
  codec->encode = encode;
  codec->decode = decode;
  codec->user_data = user_data;
  codec->destroy = destroy;
  g_ptr_array_add (codecs, codec);
  if (codec_of != NULL)
    g_hash_table_remove_all (codec_of);
  G_UNLOCK (codecs);

  job_type_plan_invalidate ();
}

/**
 * job_codec_is_registered:
 * @type: a type
 *
 * Whether values of @type are pickled by a codec: one registered for @type
 * or, for object types, for a type @type derives from or implements.
 *
 * Returns: %TRUE if a codec applies to @type
 */
gboolean
job_codec_is_registered (GType type)
{
  return job_codec_lookup (type) != NULL;
}

const JobCodec *
job_codec_lookup (GType type)
{
  const JobCodec *codec = NULL;

  job_codec_ensure_builtins ();

  G_LOCK (codecs);
  if (codec_of == NULL)
    codec_of = g_hash_table_new (NULL, NULL);
  codec = g_hash_table_lookup (codec_of, GSIZE_TO_POINTER (type));
  if (codec == NULL)
    {
      for (guint i = 0; codecs != NULL && i < codecs->len; i++)
        {
          const JobCodec *candidate = codecs->pdata[i];

          if (candidate->type == type
              || (G_TYPE_FUNDAMENTAL (type) != G_TYPE_BOXED
                  && g_type_is_a (type, candidate->type)))
            {
              codec = candidate;
              break;
            }
        }
      g_hash_table_insert (codec_of, GSIZE_TO_POINTER (type),
                           (gpointer) (codec != NULL ? codec : &no_codec));
    }
  G_UNLOCK (codecs);
  return codec == &no_codec ? NULL : codec;
}

static gboolean
check_type (GVariant *variant,
            const char *type,
            const char *what,
            GError **error)
{
  if (g_variant_is_of_type (variant, G_VARIANT_TYPE (type)))
    return TRUE;
  g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
               "A %s is encoded as “%s”, not “%s”", what, type,
               g_variant_get_type_string (variant));
  return FALSE;
}

/* GDateTime: (unix seconds, microsecond, time zone identifier). */
static GVariant *
date_time_encode (const GValue *value, gpointer user_data, GError **error)
{
  GDateTime *dt = g_value_get_boxed (value);

  return g_variant_new (
      "(xis)", (gint64) g_date_time_to_unix (dt),
      (gint32) g_date_time_get_microsecond (dt),
      g_time_zone_get_identifier (g_date_time_get_timezone (dt)));
}

static gboolean
date_time_decode (GVariant *variant,
                  GValue *value,
                  gpointer user_data,
                  GError **error)
{
  g_autoptr (GTimeZone) tz = NULL;
  g_autoptr (GDateTime) utc = NULL;
  g_autoptr (GDateTime) with_usec = NULL;
  const char *identifier;
  gint64 unix_time;
  gint32 usec;

  if (!check_type (variant, "(xis)", "GDateTime", error))
    return FALSE;
  g_variant_get (variant, "(xi&s)", &unix_time, &usec, &identifier);
  if (usec < 0 || usec >= G_USEC_PER_SEC
      || (tz = g_time_zone_new_identifier (identifier)) == NULL
      || (utc = g_date_time_new_from_unix_utc (unix_time)) == NULL
      || (with_usec = g_date_time_add (utc, usec)) == NULL)
    {
      g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
                   "A GDateTime is out of range (%" G_GINT64_FORMAT
                   " s, %d µs, zone “%s”)",
                   unix_time, usec, identifier);
      return FALSE;
    }
  g_value_take_boxed (value, g_date_time_to_timezone (with_usec, tz));
  return TRUE;
}

/* GFile: its URI. */
static GVariant *
file_encode (const GValue *value, gpointer user_data, GError **error)
{
  g_autofree char *uri = g_file_get_uri (g_value_get_object (value));

  return g_variant_new_string (uri);
}

static gboolean
file_decode (GVariant *variant,
             GValue *value,
             gpointer user_data,
             GError **error)
{
  if (!check_type (variant, "s", "GFile", error))
    return FALSE;
  g_value_take_object (
      value, g_file_new_for_uri (g_variant_get_string (variant, NULL)));
  return TRUE;
}

/* GError: (domain, code, message). */
static GVariant *
error_encode (const GValue *value, gpointer user_data, GError **error)
{
  const GError *e = g_value_get_boxed (value);

  return g_variant_new ("(sis)", g_quark_to_string (e->domain), e->code,
                        e->message);
}

static gboolean
error_decode (GVariant *variant,
              GValue *value,
              gpointer user_data,
              GError **error)
{
  const char *domain, *message;
  gint32 code;

  if (!check_type (variant, "(sis)", "GError", error))
    return FALSE;
  g_variant_get (variant, "(&si&s)", &domain, &code, &message);
  g_value_take_boxed (
      value, g_error_new_literal (g_quark_from_string (domain), code, message));
  return TRUE;
}

static void
register_builtins (void)
{
  job_codec_register (G_TYPE_DATE_TIME, date_time_encode, date_time_decode,
                      NULL, NULL);
  job_codec_register (G_TYPE_FILE, file_encode, file_decode, NULL, NULL);
  job_codec_register (G_TYPE_ERROR, error_encode, error_decode, NULL, NULL);
}
