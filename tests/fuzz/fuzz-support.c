/* fuzz-support.c: what the libFuzzer harnesses share */

#include "fuzz-support.h"

/* Registers every type a fuzzed pickle may name, and turns GLib warnings and
 * criticals into aborts: bad input must give a GError, nothing else. */
void
fuzz_support_init (void)
{
  g_type_ensure (TEST_TYPE_VALUES);
  g_type_ensure (TEST_TYPE_NODE);
  g_type_ensure (TEST_TYPE_FROZEN);
  g_type_ensure (TEST_TYPE_SECRET);
  g_type_ensure (TEST_TYPE_FOREIGN);
  g_type_ensure (TEST_TYPE_OVERRIDE);
  g_type_ensure (G_TYPE_LIST_STORE);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING
                          | G_LOG_LEVEL_CRITICAL);
}

static void
collect (GPtrArray *seen, GHashTable *set, GObject *object)
{
  if (object == NULL || !g_hash_table_add (set, object))
    return;
  g_ptr_array_add (seen, g_object_ref (object));
}

/* A rebuilt graph may hold reference cycles, which would leak and make
 * LeakSanitizer report every such input. Walk every object reachable
 * through object properties and list items, then drop those references. */
void
fuzz_support_break_cycles (GObject *root)
{
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GHashTable) set = g_hash_table_new (NULL, NULL);

  collect (seen, set, root);
  for (guint i = 0; i < seen->len; i++)
    {
      GObject *object = g_ptr_array_index (seen, i);
      guint n_props;
      g_autofree GParamSpec **props = g_object_class_list_properties (
          G_OBJECT_GET_CLASS (object), &n_props);

      if (G_IS_LIST_MODEL (object))
        {
          guint n = g_list_model_get_n_items (G_LIST_MODEL (object));

          for (guint j = 0; j < n; j++)
            {
              g_autoptr (GObject) item =
                  g_list_model_get_item (G_LIST_MODEL (object), j);
              collect (seen, set, item);
            }
        }
      for (guint j = 0; j < n_props; j++)
        {
          g_autoptr (GObject) value = NULL;

          if (!G_IS_PARAM_SPEC_OBJECT (props[j])
              || (props[j]->flags & G_PARAM_READABLE) == 0)
            continue;
          g_object_get (object, props[j]->name, &value, NULL);
          collect (seen, set, value);
        }
    }

  for (guint i = 0; i < seen->len; i++)
    {
      GObject *object = g_ptr_array_index (seen, i);
      guint n_props;
      g_autofree GParamSpec **props = g_object_class_list_properties (
          G_OBJECT_GET_CLASS (object), &n_props);

      if (G_IS_LIST_STORE (object))
        g_list_store_remove_all (G_LIST_STORE (object));
      for (guint j = 0; j < n_props; j++)
        {
          GParamFlags flags = props[j]->flags;

          if (G_IS_PARAM_SPEC_OBJECT (props[j])
              && (flags & G_PARAM_WRITABLE) != 0
              && (flags & G_PARAM_CONSTRUCT_ONLY) == 0)
            g_object_set (object, props[j]->name, NULL, NULL);
        }
    }
}
