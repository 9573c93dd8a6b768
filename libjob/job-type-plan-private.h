/* job-type-plan-private.h: what the pickler knows about a type, computed once
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <string.h>

#include <gio/gio.h>

#include "job-codec.h"
#include "job-serializable.h"

G_BEGIN_DECLS

/* How one property value is encoded, by the property's value type. */
typedef enum
{
  JOB_VALUE_BOOLEAN,
  JOB_VALUE_CHAR,
  JOB_VALUE_UCHAR,
  JOB_VALUE_INT,
  JOB_VALUE_UINT,
  JOB_VALUE_LONG,
  JOB_VALUE_ULONG,
  JOB_VALUE_INT64,
  JOB_VALUE_UINT64,
  JOB_VALUE_FLOAT,
  JOB_VALUE_DOUBLE,
  JOB_VALUE_ENUM,
  JOB_VALUE_FLAGS,
  JOB_VALUE_STRING,
  JOB_VALUE_STRV,
  JOB_VALUE_BYTES,
  JOB_VALUE_VARIANT,
  JOB_VALUE_GTYPE,
  JOB_VALUE_OBJECT,
  JOB_VALUE_BOXED,
  JOB_VALUE_UNSUPPORTED,
} JobValueKind;

/* How an object of a type is pickled as a whole. */
typedef enum
{
  JOB_PLAN_SERIALIZABLE,   /* implements JobSerializable: its properties */
  JOB_PLAN_CODEC,          /* a registered codec encodes it as one value */
  JOB_PLAN_LIST,           /* a GListModel: its items, rebuilt as GListStore */
  JOB_PLAN_UNSERIALIZABLE, /* implements JobUnserializable */
  JOB_PLAN_FOREIGN,        /* anything else: cannot be pickled */
} JobPlanKind;

typedef struct _JobCodec JobCodec;

struct _JobCodec
{
  GType type;
  JobCodecEncodeFunc encode;
  JobCodecDecodeFunc decode;
  gpointer user_data;
  GDestroyNotify destroy;
};

typedef struct
{
  JobSerializeFunc serialize;
  JobDeserializeFunc deserialize;
  gpointer user_data;
  GDestroyNotify destroy;
} JobCustomCodec;

/* What g_param_value_validate() would do to a value the unpickler read. */
typedef enum
{
  JOB_VALIDATE_GENERIC,   /* call it */
  JOB_VALIDATE_NONE,      /* nothing: any value of the type is valid */
  JOB_VALIDATE_INT_RANGE, /* a GParamSpecInt's minimum and maximum */
} JobValidateKind;

typedef struct
{
  GParamSpec *pspec;   /* the property (an override's redirect target) */
  GObjectClass *owner; /* class whose get_property serves it */
  guint param_id;      /* its id in that class */
  const char *name;
  JobValueKind kind;
  JobValidateKind validate;
  guint construct_only : 1;
  guint at_construction : 1;   /* construct or construct-only */
  guint simple_value : 1;      /* see job_prop_value_init() */
  guint variant_coded : 1;     /* goes through the vfuncs as a GVariant */
  const JobCodec *boxed_codec; /* for JOB_VALUE_BOXED */
  const JobCustomCodec
      *custom; /* declared with job_serializable_declare_custom() */
} JobPropPlan;

typedef struct
{
  GType type;
  JobPlanKind kind;
  const char *type_name; /* the name written to pickles */
  const char *origin;
  const JobCodec *codec; /* for JOB_PLAN_CODEC */

  /* JOB_PLAN_SERIALIZABLE only: pickled properties, sorted by name. */
  guint n_props;
  JobPropPlan *props;
  /* The property list as a pickle's type table holds it (count, names):
   * written as is, and compared as is by a reader. */
  guint8 *schema;
  gsize schema_len;
  guint overrides_serialize : 1;
  guint overrides_deserialize : 1;
  guint overrides_restored : 1;
  guint instantiatable : 1;
  guint class_observes_notify : 1; /* GObjectClass notify or
                                    * dispatch_properties_changed overridden */
  gint notify_closure; /* see job_type_plan_observed(): 0 not known yet,
                        * 1 GObject's own, 2 overridden */
} JobTypePlan;

const JobTypePlan *job_type_plan_get (GType type);
const JobPropPlan *job_type_plan_find_prop (const JobTypePlan *plan,
                                            const char *name);
const JobPropPlan *job_type_plan_find_pspec (const JobTypePlan *plan,
                                             GParamSpec *pspec);
void job_type_plan_invalidate (void);

const JobCodec *job_codec_lookup (GType type);
void job_codec_ensure_builtins (void);

/* g_value_init() and g_value_unset() for a property's value, with the
 * same effect. For the fundamental types whose value tables GLib defines
 * once and for all (gvaluetypes.c, gobject.c: zeroed data, then nothing to
 * free but a string not marked G_VALUE_NOCOPY_CONTENTS or an object
 * reference), without looking the table up for every value. */
static inline void
job_prop_value_init (const JobPropPlan *prop, GValue *value)
{
  if (!prop->simple_value)
    {
      g_value_init (value, prop->pspec->value_type);
      return;
    }
  value->g_type = prop->pspec->value_type;
  memset (value->data, 0, sizeof value->data);
}

static inline void
job_prop_value_unset (const JobPropPlan *prop, GValue *value)
{
  if (!prop->simple_value)
    {
      g_value_unset (value);
      return;
    }
  if (prop->kind == JOB_VALUE_STRING
      && (value->data[1].v_uint & G_VALUE_NOCOPY_CONTENTS) == 0)
    g_free (value->data[0].v_pointer);
  else if (prop->kind == JOB_VALUE_OBJECT && value->data[0].v_pointer != NULL)
    g_object_unref (value->data[0].v_pointer);
  memset (value, 0, sizeof *value);
}

/* Reads a property the way g_object_get_property() does, without looking
 * its name up: value is initialized by this function. */
static inline void
job_prop_plan_get (const JobPropPlan *prop, GObject *object, GValue *value)
{
  job_prop_value_init (prop, value);
  prop->owner->get_property (object, prop->param_id, value, prop->pspec);
}

const JobCustomCodec *job_serializable_get_custom (GParamSpec *pspec);

/* The default property codec needs the pickle being written or read (for
 * object references and out-of-band frames); these are thread-local and set
 * only while job_pickle_* functions run. */
typedef struct _JobPickler JobPickler;
typedef struct _JobUnpickler JobUnpickler;

JobPickler *job_pickler_get_current (void);
JobUnpickler *job_unpickler_get_current (void);

GVariant *job_pickler_encode_value (JobPickler *pickler,
                                    const JobPropPlan *prop,
                                    const GValue *value,
                                    GError **error);
gboolean job_unpickler_decode_value (JobUnpickler *unpickler,
                                     const JobPropPlan *prop,
                                     GVariant *variant,
                                     GValue *value,
                                     GError **error);

/* Sets a property the way g_object_set_property() does once it has found
 * and validated it (the caller validated the value). Without @notify, no
 * "notify" is emitted: for an object that nothing observes (see
 * job_type_plan_observed()), where it would reach nobody. */
static inline void
job_prop_plan_set (const JobPropPlan *prop,
                   GObject *object,
                   const GValue *value,
                   gboolean notify)
{
  prop->owner->set_property (object, prop->param_id, value, prop->pspec);
  if (notify && (prop->pspec->flags & G_PARAM_EXPLICIT_NOTIFY) == 0)
    g_object_notify_by_pspec (object, prop->pspec);
}

gboolean job_type_plan_observed (const JobTypePlan *plan, GObject *object);

G_END_DECLS
