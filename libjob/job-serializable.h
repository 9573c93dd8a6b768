/* job-serializable.h: the interface of types whose objects can be pickled
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <glib-object.h>

#include "job-version-macros.h"

G_BEGIN_DECLS

/**
 * JOB_PARAM_CLEAR:
 *
 * A [flags@GObject.ParamFlags] bit that a C author adds to a property's
 * flags where the property is defined: the property is never pickled and the
 * rebuilt object keeps the property's default value.
 *
 * Bindings that cannot pass unknown flag bits (gjs) make the same declaration
 * with [func@Job.Serializable.declare_clear].
 */
#define JOB_PARAM_CLEAR (1 << G_PARAM_USER_SHIFT)

#define JOB_TYPE_SERIALIZABLE (job_serializable_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (
    JobSerializable, job_serializable, JOB, SERIALIZABLE, GObject)

/**
 * JobSerializeFunc:
 * @object: the object being pickled
 * @pspec: the property to encode
 * @user_data: the data given to [func@Job.Serializable.declare_custom]
 * @error: return location for a #GError
 *
 * Encodes the value of @pspec on @object.
 *
 * Returns: (transfer full) (nullable): the encoded value, or %NULL with
 *   @error set
 */
typedef GVariant *(*JobSerializeFunc) (GObject *object,
                                       GParamSpec *pspec,
                                       gpointer user_data,
                                       GError **error);

/**
 * JobDeserializeFunc:
 * @object: the object being rebuilt
 * @pspec: the property to restore
 * @value: the value that the matching #JobSerializeFunc returned
 * @user_data: the data given to [func@Job.Serializable.declare_custom]
 * @error: return location for a #GError
 *
 * Restores the property @pspec of @object from @value. The function sets the
 * property (or whatever state stands behind it) itself.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
typedef gboolean (*JobDeserializeFunc) (GObject *object,
                                        GParamSpec *pspec,
                                        GVariant *value,
                                        gpointer user_data,
                                        GError **error);

/**
 * JobSerializableInterface:
 * @serialize_property: encodes one property; see
 *   [method@Job.Serializable.serialize_property]
 * @deserialize_property: restores one property; see
 *   [method@Job.Serializable.deserialize_property]
 * @restored: called on every rebuilt object once the whole graph is rebuilt
 *
 * The virtual methods of [iface@Job.Serializable]. Every one of them has a
 * public default implementation that an override can chain up to.
 */
struct _JobSerializableInterface
{
  /*< private >*/
  GTypeInterface g_iface;

  /*< public >*/
  GVariant *(*serialize_property) (JobSerializable *self,
                                   GParamSpec *pspec,
                                   GError **error);
  gboolean (*deserialize_property) (JobSerializable *self,
                                    GParamSpec *pspec,
                                    GVariant *value,
                                    GError **error);
  void (*restored) (JobSerializable *self);

  /*< private >*/
  gpointer padding[8];
};

JOB_AVAILABLE_IN_ALL
void job_serializable_declare_clear (GType type, const char *property_name);
JOB_AVAILABLE_IN_ALL
void job_serializable_declare_custom (GType type,
                                      const char *property_name,
                                      JobSerializeFunc serialize,
                                      JobDeserializeFunc deserialize,
                                      gpointer user_data,
                                      GDestroyNotify destroy);
JOB_AVAILABLE_IN_ALL
gboolean job_serializable_is_clear (GParamSpec *pspec);

JOB_AVAILABLE_IN_ALL
GVariant *job_serializable_serialize_property (JobSerializable *self,
                                               GParamSpec *pspec,
                                               GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_serializable_deserialize_property (JobSerializable *self,
                                                GParamSpec *pspec,
                                                GVariant *value,
                                                GError **error);
JOB_AVAILABLE_IN_ALL
void job_serializable_restored (JobSerializable *self);

JOB_AVAILABLE_IN_ALL
GVariant *job_serializable_default_serialize_property (JobSerializable *self,
                                                       GParamSpec *pspec,
                                                       GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_serializable_default_deserialize_property (JobSerializable *self,
                                                        GParamSpec *pspec,
                                                        GVariant *value,
                                                        GError **error);
JOB_AVAILABLE_IN_ALL
void job_serializable_default_restored (JobSerializable *self);

JOB_AVAILABLE_IN_ALL
GVariant *job_serializable_default_serialize_property_by_name (
    JobSerializable *self, const char *property_name, GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_serializable_default_deserialize_property_by_name (
    JobSerializable *self,
    const char *property_name,
    GVariant *value,
    GError **error);

JOB_AVAILABLE_IN_ALL
void job_type_set_origin (GType type, const char *origin);
JOB_AVAILABLE_IN_ALL
const char *job_type_get_origin (GType type);

#define JOB_TYPE_UNSERIALIZABLE (job_unserializable_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (
    JobUnserializable, job_unserializable, JOB, UNSERIALIZABLE, GObject)

/**
 * JobUnserializableInterface:
 * @get_reason: returns why objects of this type must never be pickled
 *
 * The virtual methods of [iface@Job.Unserializable].
 */
struct _JobUnserializableInterface
{
  /*< private >*/
  GTypeInterface g_iface;

  /*< public >*/
  char *(*get_reason) (JobUnserializable *self);

  /*< private >*/
  gpointer padding[4];
};

JOB_AVAILABLE_IN_ALL
char *job_unserializable_get_reason (JobUnserializable *self);

G_END_DECLS
