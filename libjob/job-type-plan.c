/* job-type-plan.c: per-type pickling plans, computed once and cached
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "job-pickle-buffer-private.h"
#include "job-type-plan-private.h"

/* Plans are never freed: a pickle in progress on another thread may hold
 * one. Invalidation (a declaration made after a type was first pickled)
 * only forgets them, and declarations happen once per property. */
G_LOCK_DEFINE_STATIC (plans);
static GHashTable *plans;    /* GType -> JobTypePlan* */
static GPtrArray *old_plans; /* forgotten, kept alive */

static JobValueKind
value_kind_for (GType value_type, const JobCodec **boxed_codec)
{
  *boxed_codec = NULL;

  if (value_type == G_TYPE_GTYPE)
    return JOB_VALUE_GTYPE;
  if (value_type == G_TYPE_STRV)
    return JOB_VALUE_STRV;
  if (value_type == G_TYPE_BYTES)
    return JOB_VALUE_BYTES;

  switch (G_TYPE_FUNDAMENTAL (value_type))
    {
    case G_TYPE_BOOLEAN:
      return JOB_VALUE_BOOLEAN;
    case G_TYPE_CHAR:
      return JOB_VALUE_CHAR;
    case G_TYPE_UCHAR:
      return JOB_VALUE_UCHAR;
    case G_TYPE_INT:
      return JOB_VALUE_INT;
    case G_TYPE_UINT:
      return JOB_VALUE_UINT;
    case G_TYPE_LONG:
      return JOB_VALUE_LONG;
    case G_TYPE_ULONG:
      return JOB_VALUE_ULONG;
    case G_TYPE_INT64:
      return JOB_VALUE_INT64;
    case G_TYPE_UINT64:
      return JOB_VALUE_UINT64;
    case G_TYPE_FLOAT:
      return JOB_VALUE_FLOAT;
    case G_TYPE_DOUBLE:
      return JOB_VALUE_DOUBLE;
    case G_TYPE_ENUM:
      return JOB_VALUE_ENUM;
    case G_TYPE_FLAGS:
      return JOB_VALUE_FLAGS;
    case G_TYPE_STRING:
      return JOB_VALUE_STRING;
    case G_TYPE_VARIANT:
      return JOB_VALUE_VARIANT;
    case G_TYPE_OBJECT:
    case G_TYPE_INTERFACE:
      return JOB_VALUE_OBJECT;
    case G_TYPE_BOXED:
      *boxed_codec = job_codec_lookup (value_type);
      return *boxed_codec != NULL ? JOB_VALUE_BOXED : JOB_VALUE_UNSUPPORTED;
    default:
      return JOB_VALUE_UNSUPPORTED;
    }
}

static JobValidateKind
validate_kind_for (GParamSpec *pspec)
{
  GType pspec_type = G_PARAM_SPEC_TYPE (pspec);

  /* Only GLib's own param specs, whose validation is known. */
  if (pspec_type == G_TYPE_PARAM_BOOLEAN)
    return JOB_VALIDATE_NONE;
  if (pspec_type == G_TYPE_PARAM_INT)
    return JOB_VALIDATE_INT_RANGE;
  if (pspec_type == G_TYPE_PARAM_STRING)
    {
      GParamSpecString *sspec = G_PARAM_SPEC_STRING (pspec);

      if (sspec->cset_first == NULL && sspec->cset_nth == NULL
          && !sspec->null_fold_if_empty && !sspec->ensure_non_null)
        return JOB_VALIDATE_NONE;
    }
  return JOB_VALIDATE_GENERIC;
}

static int
compare_props (gconstpointer a, gconstpointer b)
{
  return strcmp (((const JobPropPlan *) a)->name,
                 ((const JobPropPlan *) b)->name);
}

static gboolean
vfunc_is (gpointer vfunc, gpointer default_impl)
{
  return vfunc == default_impl;
}

static JobTypePlan *
build_plan (GType type)
{
  JobTypePlan *plan = g_new0 (JobTypePlan, 1);

  plan->type = type;
  plan->type_name = g_type_name (type);
  plan->origin = g_strdup (job_type_get_origin (type));

  if (g_type_is_a (type, JOB_TYPE_SERIALIZABLE))
    {
      GObjectClass *klass = g_type_class_ref (type);
      JobSerializableInterface *iface =
          g_type_interface_peek (klass, JOB_TYPE_SERIALIZABLE);
      g_autofree GParamSpec **pspecs = NULL;
      guint n_pspecs = 0;

      plan->kind = JOB_PLAN_SERIALIZABLE;
      plan->instantiatable =
          G_TYPE_IS_INSTANTIATABLE (type) && !G_TYPE_IS_ABSTRACT (type);
      plan->overrides_serialize =
          !vfunc_is (iface->serialize_property,
                     job_serializable_default_serialize_property);
      plan->overrides_deserialize =
          !vfunc_is (iface->deserialize_property,
                     job_serializable_default_deserialize_property);
      plan->overrides_restored =
          !vfunc_is (iface->restored, job_serializable_default_restored);

      pspecs = g_object_class_list_properties (klass, &n_pspecs);
      plan->props = g_new0 (JobPropPlan, MAX (n_pspecs, 1));
      for (guint i = 0; i < n_pspecs; i++)
        {
          GParamSpec *listed = pspecs[i];
          GParamSpec *pspec = listed;
          GParamSpec *redirect = g_param_spec_get_redirect_target (listed);
          JobPropPlan *prop;

          if (redirect != NULL)
            pspec = redirect;
          if ((pspec->flags & G_PARAM_READWRITE) != G_PARAM_READWRITE)
            continue;
          if (job_serializable_is_clear (pspec))
            continue;

          prop = &plan->props[plan->n_props++];
          prop->pspec = pspec;
          /* As GObject's own getter does: the class that installed the
           * listed pspec, by its id. Classes live as long as the type. */
          prop->owner = g_type_class_ref (listed->owner_type);
          prop->param_id = listed->param_id;
          prop->name = pspec->name;
          prop->construct_only = (pspec->flags & G_PARAM_CONSTRUCT_ONLY) != 0;
          prop->at_construction =
              (pspec->flags & (G_PARAM_CONSTRUCT | G_PARAM_CONSTRUCT_ONLY))
              != 0;
          prop->custom = job_serializable_get_custom (pspec);
          prop->kind = value_kind_for (pspec->value_type, &prop->boxed_codec);
          prop->validate = validate_kind_for (pspec);
          switch (G_TYPE_FUNDAMENTAL (pspec->value_type))
            {
            case G_TYPE_BOOLEAN:
            case G_TYPE_CHAR:
            case G_TYPE_UCHAR:
            case G_TYPE_INT:
            case G_TYPE_UINT:
            case G_TYPE_LONG:
            case G_TYPE_ULONG:
            case G_TYPE_INT64:
            case G_TYPE_UINT64:
            case G_TYPE_FLOAT:
            case G_TYPE_DOUBLE:
            case G_TYPE_ENUM:
            case G_TYPE_FLAGS:
            case G_TYPE_STRING:
            case G_TYPE_OBJECT:
              prop->simple_value = prop->kind != JOB_VALUE_UNSUPPORTED;
              break;
            default:
              prop->simple_value = FALSE;
              break;
            }
          /* Construct-only values are needed before the object exists, so
           * they never go through the per-property virtual methods. */
          prop->variant_coded =
              !prop->construct_only
              && (prop->custom != NULL || plan->overrides_serialize
                  || plan->overrides_deserialize);
        }
      qsort (plan->props, plan->n_props, sizeof (JobPropPlan), compare_props);
      {
        GObjectClass *base = g_type_class_peek (G_TYPE_OBJECT);

        plan->class_observes_notify =
            klass->notify != NULL
            || klass->dispatch_properties_changed
                   != base->dispatch_properties_changed;
      }
      /* Static and dynamic types keep their class forever once pickled. */
    }
  else if (g_type_is_a (type, JOB_TYPE_UNSERIALIZABLE))
    plan->kind = JOB_PLAN_UNSERIALIZABLE;
  else if ((plan->codec = job_codec_lookup (type)) != NULL)
    {
      plan->kind = JOB_PLAN_CODEC;
      plan->type_name = g_type_name (plan->codec->type);
      plan->instantiatable = TRUE;
    }
  else if (g_type_is_a (type, G_TYPE_LIST_MODEL))
    {
      plan->kind = JOB_PLAN_LIST;
      plan->type_name = g_type_name (G_TYPE_LIST_STORE);
      plan->instantiatable = TRUE;
    }
  else
    plan->kind = JOB_PLAN_FOREIGN;

  {
    JobWriter schema;

    job_writer_init (&schema, 16);
    job_writer_varint (&schema, plan->n_props);
    for (guint i = 0; i < plan->n_props; i++)
      job_writer_string (&schema, plan->props[i].name);
    plan->schema_len = schema.len;
    plan->schema = schema.data;
  }
  return plan;
}

const JobTypePlan *
job_type_plan_get (GType type)
{
  JobTypePlan *plan;

  job_codec_ensure_builtins ();

  G_LOCK (plans);
  if (plans == NULL)
    plans = g_hash_table_new (NULL, NULL);
  plan = g_hash_table_lookup (plans, GSIZE_TO_POINTER (type));
  G_UNLOCK (plans);
  if (plan != NULL)
    return plan;

  /* Built outside the lock: class initialization may run arbitrary code,
   * including declarations that invalidate plans. */
  plan = build_plan (type);

  G_LOCK (plans);
  {
    JobTypePlan *other = g_hash_table_lookup (plans, GSIZE_TO_POINTER (type));
    if (other != NULL)
      {
        if (old_plans == NULL)
          old_plans = g_ptr_array_new ();
        g_ptr_array_add (old_plans, plan);
        plan = other;
      }
    else
      g_hash_table_insert (plans, GSIZE_TO_POINTER (type), plan);
  }
  G_UNLOCK (plans);
  return plan;
}

void
job_type_plan_invalidate (void)
{
  G_LOCK (plans);
  if (plans != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      if (old_plans == NULL)
        old_plans = g_ptr_array_new ();
      g_hash_table_iter_init (&iter, plans);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_ptr_array_add (old_plans, value);
      g_hash_table_remove_all (plans);
    }
  G_UNLOCK (plans);
}

/* Whether emitting "notify" on @object (of @plan's type) would reach
 * anything: a class handler or closure, or a handler connected (maybe
 * blocked, maybe for one property's detail). */
gboolean
job_type_plan_observed (const JobTypePlan *plan, GObject *object)
{
  static guint notify_id;
  JobTypePlan *mutable_plan = (JobTypePlan *) plan;
  gint closure;

  if (plan->class_observes_notify)
    return TRUE;
  if (notify_id == 0)
    notify_id = g_signal_lookup ("notify", G_TYPE_OBJECT);
  /* Without a detail, g_signal_has_handler_pending() sees only handlers
   * connected without one; a match on the id alone sees them all. */
  if (g_signal_handler_find (object, G_SIGNAL_MATCH_ID, notify_id, 0, NULL,
                             NULL, NULL)
      != 0)
    return TRUE;
  /* With no handler, it still sees a class closure overridden for the
   * type, which never changes after class initialization: asked once. */
  closure = g_atomic_int_get (&plan->notify_closure);
  if (closure == 0)
    {
      closure =
          g_signal_has_handler_pending (object, notify_id, 0, TRUE) ? 2 : 1;
      g_atomic_int_set (&mutable_plan->notify_closure, closure);
    }
  return closure == 2;
}

const JobPropPlan *
job_type_plan_find_prop (const JobTypePlan *plan, const char *name)
{
  guint lo = 0, hi = plan->n_props;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      int cmp = strcmp (name, plan->props[mid].name);

      if (cmp == 0)
        return &plan->props[mid];
      if (cmp < 0)
        hi = mid;
      else
        lo = mid + 1;
    }
  return NULL;
}

const JobPropPlan *
job_type_plan_find_pspec (const JobTypePlan *plan, GParamSpec *pspec)
{
  const JobPropPlan *prop = job_type_plan_find_prop (plan, pspec->name);

  return prop != NULL && prop->pspec == pspec ? prop : NULL;
}
