/* job-serializable.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-pickle.h"
#include "job-serializable.h"
#include "job-type-plan-private.h"

/**
 * JobSerializable:
 *
 * The interface of types whose objects can be pickled.
 *
 * A type's state is its readable and writable properties, construct-only ones
 * included. Each property is pickled by default. A property is declared
 * **clear** (never pickled; the rebuilt object keeps the default) with the
 * [const@Job.PARAM_CLEAR] flag or [func@Job.Serializable.declare_clear], or
 * **custom** (encoded by its own functions) with
 * [func@Job.Serializable.declare_custom]. Either declaration is made once,
 * where the property is defined: there is no other list of what to pickle.
 *
 * Types that need more control override the virtual methods; each has a
 * public default implementation to chain up to.
 */

G_DEFINE_INTERFACE (JobSerializable, job_serializable, G_TYPE_OBJECT)

static void
job_serializable_default_init (JobSerializableInterface *iface)
{
  iface->serialize_property = job_serializable_default_serialize_property;
  iface->deserialize_property = job_serializable_default_deserialize_property;
  iface->restored = job_serializable_default_restored;
}

/**
 * JobUnserializable:
 *
 * The interface of types whose objects must never be pickled, such as a
 * project loader, the scheduler or a socket wrapper.
 *
 * Pickling a graph that reaches such an object fails with
 * %JOB_PICKLE_ERROR_UNSERIALIZABLE, and the message gives the reason that
 * [method@Job.Unserializable.get_reason] returns.
 */

G_DEFINE_INTERFACE (JobUnserializable, job_unserializable, G_TYPE_OBJECT)

static void
job_unserializable_default_init (JobUnserializableInterface *iface)
{
}

/**
 * job_unserializable_get_reason:
 * @self: a #JobUnserializable
 *
 * Says why @self must never be pickled, in words shown to users.
 *
 * Returns: (transfer full): the reason
 */
char *
job_unserializable_get_reason (JobUnserializable *self)
{
  JobUnserializableInterface *iface;
  char *reason = NULL;

  g_return_val_if_fail (JOB_IS_UNSERIALIZABLE (self), NULL);

  iface = JOB_UNSERIALIZABLE_GET_IFACE (self);
  if (iface->get_reason != NULL)
    reason = iface->get_reason (self);
  if (reason == NULL)
    reason =
        g_strdup_printf ("%s objects live only in the process that made them",
                         G_OBJECT_TYPE_NAME (self));
  return reason;
}

/* Declarations, keyed by the GParamSpec they were made on. */
G_LOCK_DEFINE_STATIC (declarations);
static GHashTable *declared_clear;  /* GParamSpec* set */
static GHashTable *declared_custom; /* GParamSpec* -> JobCustomCodec* */

static GParamSpec *
find_declarable_property (GType type,
                          const char *property_name,
                          const char *what)
{
  GObjectClass *klass;
  GParamSpec *pspec;

  if (!g_type_is_a (type, G_TYPE_OBJECT))
    {
      g_critical ("Cannot declare %s property “%s” on %s: not a GObject type",
                  what, property_name, g_type_name (type));
      return NULL;
    }

  /* Works inside the type's own class_init too: GLib hands back the class
   * being initialized, with the properties installed so far. */
  klass = g_type_class_ref (type);
  pspec = g_object_class_find_property (klass, property_name);
  g_type_class_unref (klass);

  if (pspec == NULL)
    {
      g_critical ("Cannot declare %s property “%s” on %s: the type has no "
                  "such property (install it before declaring it)",
                  what, property_name, g_type_name (type));
      return NULL;
    }
  if (pspec->owner_type != type)
    {
      g_critical ("Cannot declare %s property %s:%s on %s: declare it on %s, "
                  "where it is defined",
                  what, g_type_name (pspec->owner_type), property_name,
                  g_type_name (type), g_type_name (pspec->owner_type));
      return NULL;
    }
  return pspec;
}

static gboolean
is_declared_locked (GParamSpec *pspec)
{
  return (declared_clear != NULL
          && g_hash_table_contains (declared_clear, pspec))
         || (declared_custom != NULL
             && g_hash_table_contains (declared_custom, pspec));
}

static void
custom_codec_free (gpointer data)
{
  JobCustomCodec *custom = data;

  if (custom->destroy != NULL)
    custom->destroy (custom->user_data);
  g_free (custom);
}

/**
 * job_serializable_declare_clear:
 * @type: the type that defines the property
 * @property_name: the property's name
 *
 * Declares that the property is never pickled: the rebuilt object keeps the
 * property's default value. This is the introspectable form of
 * [const@Job.PARAM_CLEAR]; make it once, where the type is defined (in
 * `class_init` for C, right after the class for Python and JavaScript).
 *
 * Declaring a property twice, or one that @type does not define, is a
 * programming error.
 */
void
job_serializable_declare_clear (GType type, const char *property_name)
{
  GParamSpec *pspec;

  g_return_if_fail (property_name != NULL);

  pspec = find_declarable_property (type, property_name, "clear");
  if (pspec == NULL)
    return;

  G_LOCK (declarations);
  if (is_declared_locked (pspec) || (pspec->flags & JOB_PARAM_CLEAR) != 0)
    {
      G_UNLOCK (declarations);
      g_critical ("Property %s:%s is already declared; declare it once, where "
                  "it is defined",
                  g_type_name (type), property_name);
      return;
    }
  if (declared_clear == NULL)
    declared_clear = g_hash_table_new (NULL, NULL);
  g_hash_table_add (declared_clear, pspec);
  G_UNLOCK (declarations);

  job_type_plan_invalidate ();
}

/**
 * job_serializable_declare_custom:
 * @type: the type that defines the property
 * @property_name: the property's name
 * @serialize: (scope notified) (closure user_data): encodes the property
 * @deserialize: (scope notified) (closure user_data): restores the property
 * @user_data: data for @serialize and @deserialize
 * @destroy: (destroy user_data) (nullable): frees @user_data
 *
 * Declares that the property is encoded by @serialize and restored by
 * @deserialize instead of by its value type. Make the declaration once, where
 * the type is defined.
 *
 * @deserialize runs once the object exists, so a construct-only property
 * cannot be custom: give its value type a codec with
 * [func@Job.codec_register] instead. Declaring a property twice, or one that
 * @type does not define, is a programming error.
 */
void
job_serializable_declare_custom (GType type,
                                 const char *property_name,
                                 JobSerializeFunc serialize,
                                 JobDeserializeFunc deserialize,
                                 gpointer user_data,
                                 GDestroyNotify destroy)
{
  GParamSpec *pspec;
  JobCustomCodec *custom;

  g_return_if_fail (property_name != NULL);
  g_return_if_fail (serialize != NULL);
  g_return_if_fail (deserialize != NULL);

  pspec = find_declarable_property (type, property_name, "custom");
  if (pspec == NULL)
    goto fail;
  if ((pspec->flags & G_PARAM_CONSTRUCT_ONLY) != 0)
    {
      g_critical ("Cannot declare construct-only property %s:%s custom: it "
                  "must be known when the object is made; register a codec for "
                  "its value type with job_codec_register() instead",
                  g_type_name (type), property_name);
      goto fail;
    }

  G_LOCK (declarations);
  if (is_declared_locked (pspec) || (pspec->flags & JOB_PARAM_CLEAR) != 0)
    {
      G_UNLOCK (declarations);
      g_critical ("Property %s:%s is already declared; declare it once, where "
                  "it is defined",
                  g_type_name (type), property_name);
      goto fail;
    }
  custom = g_new0 (JobCustomCodec, 1);
  custom->serialize = serialize;
  custom->deserialize = deserialize;
  custom->user_data = user_data;
  custom->destroy = destroy;
  if (declared_custom == NULL)
    declared_custom =
        g_hash_table_new_full (NULL, NULL, NULL, custom_codec_free);
  g_hash_table_insert (declared_custom, pspec, custom);
  G_UNLOCK (declarations);

  job_type_plan_invalidate ();
  return;

fail:
  if (destroy != NULL)
    destroy (user_data);
}

/**
 * job_serializable_is_clear:
 * @pspec: a property of a #JobSerializable type
 *
 * Whether @pspec is declared clear, by [const@Job.PARAM_CLEAR] or by
 * [func@Job.Serializable.declare_clear].
 *
 * Returns: %TRUE if the property is never pickled
 */
gboolean
job_serializable_is_clear (GParamSpec *pspec)
{
  gboolean clear;

  g_return_val_if_fail (G_IS_PARAM_SPEC (pspec), FALSE);

  if ((pspec->flags & JOB_PARAM_CLEAR) != 0)
    return TRUE;
  G_LOCK (declarations);
  clear =
      declared_clear != NULL && g_hash_table_contains (declared_clear, pspec);
  G_UNLOCK (declarations);
  return clear;
}

const JobCustomCodec *
job_serializable_get_custom (GParamSpec *pspec)
{
  const JobCustomCodec *custom;

  G_LOCK (declarations);
  custom = declared_custom != NULL
               ? g_hash_table_lookup (declared_custom, pspec)
               : NULL;
  G_UNLOCK (declarations);
  return custom;
}

static const JobPropPlan *
prop_plan_for (JobSerializable *self, GParamSpec *pspec, GError **error)
{
  const JobTypePlan *plan = job_type_plan_get (G_OBJECT_TYPE (self));
  const JobPropPlan *prop = job_type_plan_find_pspec (plan, pspec);

  if (prop == NULL)
    g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNSERIALIZABLE,
                 "Property %s:%s is not pickled (it is clear, or not both "
                 "readable and writable)",
                 G_OBJECT_TYPE_NAME (self), pspec->name);
  return prop;
}

/**
 * job_serializable_serialize_property:
 * @self: a #JobSerializable
 * @pspec: one of the pickled properties of @self
 * @error: return location for a #GError
 *
 * Encodes the value of @pspec on @self, through the type's
 * `serialize_property` virtual method. Only meaningful while @self is being
 * pickled.
 *
 * Returns: (transfer full) (nullable): the encoded value, or %NULL with
 *   @error set
 */
GVariant *
job_serializable_serialize_property (JobSerializable *self,
                                     GParamSpec *pspec,
                                     GError **error)
{
  g_return_val_if_fail (JOB_IS_SERIALIZABLE (self), NULL);
  g_return_val_if_fail (G_IS_PARAM_SPEC (pspec), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return JOB_SERIALIZABLE_GET_IFACE (self)->serialize_property (self, pspec,
                                                                error);
}

/**
 * job_serializable_deserialize_property:
 * @self: a #JobSerializable being rebuilt
 * @pspec: one of the pickled properties of @self
 * @value: the encoded value
 * @error: return location for a #GError
 *
 * Restores @pspec on @self from @value, through the type's
 * `deserialize_property` virtual method. Only meaningful while @self is
 * being unpickled.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_serializable_deserialize_property (JobSerializable *self,
                                       GParamSpec *pspec,
                                       GVariant *value,
                                       GError **error)
{
  g_return_val_if_fail (JOB_IS_SERIALIZABLE (self), FALSE);
  g_return_val_if_fail (G_IS_PARAM_SPEC (pspec), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return JOB_SERIALIZABLE_GET_IFACE (self)->deserialize_property (self, pspec,
                                                                  value, error);
}

/**
 * job_serializable_restored:
 * @self: a #JobSerializable
 *
 * Calls the type's `restored` virtual method. The unpickler calls it on every
 * rebuilt object once every object of the pickle has all its properties, so
 * an object can recompute state derived from other objects.
 */
void
job_serializable_restored (JobSerializable *self)
{
  g_return_if_fail (JOB_IS_SERIALIZABLE (self));

  JOB_SERIALIZABLE_GET_IFACE (self)->restored (self);
}

/**
 * job_serializable_default_serialize_property:
 * @self: a #JobSerializable
 * @pspec: one of the pickled properties of @self
 * @error: return location for a #GError
 *
 * The default `serialize_property`: applies a custom declaration if the
 * property has one, and otherwise encodes the value by its type. Overrides
 * chain up to it for the properties they do not handle themselves.
 *
 * Returns: (transfer full) (nullable): the encoded value, or %NULL with
 *   @error set
 */
GVariant *
job_serializable_default_serialize_property (JobSerializable *self,
                                             GParamSpec *pspec,
                                             GError **error)
{
  g_auto (GValue) value = G_VALUE_INIT;
  const JobPropPlan *prop;
  JobPickler *pickler;

  g_return_val_if_fail (JOB_IS_SERIALIZABLE (self), NULL);
  g_return_val_if_fail (G_IS_PARAM_SPEC (pspec), NULL);

  if ((prop = prop_plan_for (self, pspec, error)) == NULL)
    return NULL;
  if (prop->custom != NULL)
    {
      GVariant *ret = prop->custom->serialize (G_OBJECT (self), prop->pspec,
                                               prop->custom->user_data, error);
      if (ret == NULL && error != NULL && *error == NULL)
        g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNSERIALIZABLE,
                     "The custom serializer of %s:%s returned nothing",
                     G_OBJECT_TYPE_NAME (self), pspec->name);
      return ret != NULL ? g_variant_take_ref (ret) : NULL;
    }

  if ((pickler = job_pickler_get_current ()) == NULL)
    {
      g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNSERIALIZABLE,
                   "%s:%s can only be encoded while its object is pickled",
                   G_OBJECT_TYPE_NAME (self), pspec->name);
      return NULL;
    }

  g_value_init (&value, prop->pspec->value_type);
  g_object_get_property (G_OBJECT (self), prop->name, &value);
  return job_pickler_encode_value (pickler, prop, &value, error);
}

/**
 * job_serializable_default_deserialize_property:
 * @self: a #JobSerializable being rebuilt
 * @pspec: one of the pickled properties of @self
 * @value: the encoded value
 * @error: return location for a #GError
 *
 * The default `deserialize_property`: applies a custom declaration if the
 * property has one, and otherwise decodes @value by the property's type and
 * sets it.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_serializable_default_deserialize_property (JobSerializable *self,
                                               GParamSpec *pspec,
                                               GVariant *value,
                                               GError **error)
{
  g_auto (GValue) decoded = G_VALUE_INIT;
  const JobPropPlan *prop;
  JobUnpickler *unpickler;

  g_return_val_if_fail (JOB_IS_SERIALIZABLE (self), FALSE);
  g_return_val_if_fail (G_IS_PARAM_SPEC (pspec), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if ((prop = prop_plan_for (self, pspec, error)) == NULL)
    return FALSE;
  if (prop->custom != NULL)
    {
      gboolean ok = prop->custom->deserialize (
          G_OBJECT (self), prop->pspec, value, prop->custom->user_data, error);
      if (!ok && error != NULL && *error == NULL)
        g_set_error (
            error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
            "The custom deserializer of %s:%s failed without saying why",
            G_OBJECT_TYPE_NAME (self), pspec->name);
      return ok;
    }

  if ((unpickler = job_unpickler_get_current ()) == NULL)
    {
      g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
                   "%s:%s can only be decoded while its object is unpickled",
                   G_OBJECT_TYPE_NAME (self), pspec->name);
      return FALSE;
    }
  if (!job_unpickler_decode_value (unpickler, prop, value, &decoded, error))
    return FALSE;
  g_object_set_property (G_OBJECT (self), prop->name, &decoded);
  return TRUE;
}

/**
 * job_serializable_default_restored:
 * @self: a #JobSerializable
 *
 * The default `restored`: does nothing.
 */
void
job_serializable_default_restored (JobSerializable *self)
{
}

static GParamSpec *
find_property_by_name (JobSerializable *self,
                       const char *property_name,
                       GError **error)
{
  GParamSpec *pspec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (self), property_name);

  if (pspec == NULL)
    g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_UNSERIALIZABLE,
                 "%s has no property “%s”", G_OBJECT_TYPE_NAME (self),
                 property_name);
  return pspec;
}

/**
 * job_serializable_default_serialize_property_by_name:
 * @self: a #JobSerializable
 * @property_name: the name of one of the pickled properties of @self
 * @error: return location for a #GError
 *
 * [method@Job.Serializable.default_serialize_property] for a property given by
 * name, for bindings that cannot pass a #GParamSpec back to C (PyGObject
 * before 3.50): a Python override of `do_serialize_property` chains up with
 * `Job.Serializable.default_serialize_property_by_name(self, pspec.name)`.
 *
 * Returns: (transfer full) (nullable): the encoded value, or %NULL with
 *   @error set
 */
GVariant *
job_serializable_default_serialize_property_by_name (JobSerializable *self,
                                                     const char *property_name,
                                                     GError **error)
{
  GParamSpec *pspec;

  g_return_val_if_fail (JOB_IS_SERIALIZABLE (self), NULL);
  g_return_val_if_fail (property_name != NULL, NULL);

  if ((pspec = find_property_by_name (self, property_name, error)) == NULL)
    return NULL;
  return job_serializable_default_serialize_property (self, pspec, error);
}

/**
 * job_serializable_default_deserialize_property_by_name:
 * @self: a #JobSerializable being rebuilt
 * @property_name: the name of one of the pickled properties of @self
 * @value: the encoded value
 * @error: return location for a #GError
 *
 * [method@Job.Serializable.default_deserialize_property] for a property given
 * by name, for bindings that cannot pass a #GParamSpec back to C (PyGObject
 * before 3.50): a Python override of `do_deserialize_property` chains up
 * with `Job.Serializable.default_deserialize_property_by_name(self,
 * pspec.name, value)`.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_serializable_default_deserialize_property_by_name (
    JobSerializable *self,
    const char *property_name,
    GVariant *value,
    GError **error)
{
  GParamSpec *pspec;

  g_return_val_if_fail (JOB_IS_SERIALIZABLE (self), FALSE);
  g_return_val_if_fail (property_name != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if ((pspec = find_property_by_name (self, property_name, error)) == NULL)
    return FALSE;
  return job_serializable_default_deserialize_property (self, pspec, value,
                                                        error);
}

G_LOCK_DEFINE_STATIC (origins);
static GHashTable *origins; /* GType -> char* */

/**
 * job_type_set_origin:
 * @type: a type that can appear in pickles
 * @origin: where the type comes from, e.g. `python:myplugins.hello`
 *
 * Records which plugin provides @type, so that a process that rebuilds a
 * pickle naming @type knows what to load first. Types registered by a
 * #GTypeModule get the module's name without this call; types compiled into
 * libjob or into the program get `core`.
 */
void
job_type_set_origin (GType type, const char *origin)
{
  g_return_if_fail (type != G_TYPE_INVALID);
  g_return_if_fail (origin != NULL && *origin != '\0');

  G_LOCK (origins);
  if (origins == NULL)
    origins = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_hash_table_insert (origins, GSIZE_TO_POINTER (type), g_strdup (origin));
  G_UNLOCK (origins);

  job_type_plan_invalidate ();
}

/**
 * job_type_get_origin:
 * @type: a type
 *
 * Says where @type comes from: the origin given to
 * [func@Job.type_set_origin], else the name of the #GTypeModule that
 * registered it, else `core`.
 *
 * Returns: the origin, valid as long as the type is registered
 */
const char *
job_type_get_origin (GType type)
{
  const char *origin = NULL;
  GTypePlugin *plugin;

  G_LOCK (origins);
  if (origins != NULL)
    origin = g_hash_table_lookup (origins, GSIZE_TO_POINTER (type));
  G_UNLOCK (origins);
  if (origin != NULL)
    return origin;

  plugin = g_type_get_plugin (type);
  if (plugin != NULL && G_IS_TYPE_MODULE (plugin)
      && G_TYPE_MODULE (plugin)->name != NULL)
    return G_TYPE_MODULE (plugin)->name;
  return "core";
}
