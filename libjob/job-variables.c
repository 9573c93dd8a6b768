/* job-variables.c: %{name} variables of an element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "job-node-private.h"
#include "job-variables-private.h"

typedef struct
{
  const char *name; /* interned key of the mapping */
  JobNode *node;    /* borrowed from the mapping */
  char *value;      /* once resolved */
  guint8 state;     /* 0: not visited, 1: being resolved, 2: resolved */
} Variable;

struct _JobVariables
{
  JobNode *mapping;
  GArray *variables;   /* Variable */
  GHashTable *by_name; /* name -> index + 1 */
};

/* Finds the next %{name} in @p: returns its start, sets the name span. */
static const char *
next_reference (const char *p, const char **name, gsize *name_len)
{
  for (p = strchr (p, '%'); p != NULL; p = strchr (p + 1, '%'))
    {
      const char *q;

      if (p[1] != '{' || !g_ascii_isalpha (p[2]))
        continue;
      q = p + 3;
      while (g_ascii_isalnum (*q) || *q == '_' || *q == '-')
        q++;
      if (*q != '}')
        continue;
      *name = p + 2;
      *name_len = (gsize) (q - (p + 2));
      return p;
    }
  return NULL;
}

static int
find_variable (JobVariables *self, const char *name, gsize len)
{
  char buffer[128];
  g_autofree char *heap = NULL;
  const char *key = buffer;

  if (len < sizeof buffer)
    {
      memcpy (buffer, name, len);
      buffer[len] = '\0';
    }
  else
    key = heap = g_strndup (name, len);
  return (int) GPOINTER_TO_UINT (g_hash_table_lookup (self->by_name, key)) - 1;
}

static char *
format_hop (Variable *variable)
{
  g_autofree char *where = job_node_dup_provenance (variable->node);

  return g_strdup_printf ("“%s” (%s)", variable->name, where);
}

/* Resolves variable @start and everything it needs without recursion. */
static gboolean
resolve (JobVariables *self, guint start, GError **error)
{
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (guint));

  g_array_append_val (stack, start);
  g_array_index (self->variables, Variable, start).state = 1;
  while (stack->len > 0)
    {
      guint top = g_array_index (stack, guint, stack->len - 1);
      Variable *variable = &g_array_index (self->variables, Variable, top);
      const char *text = job_node_get_scalar (variable->node);
      const char *p, *name;
      gsize len;
      gboolean pending = FALSE;
      GString *value;

      for (p = next_reference (text, &name, &len); p != NULL;
           p = next_reference (name + len + 1, &name, &len))
        {
          int i = find_variable (self, name, len);
          Variable *target;

          if (i < 0)
            {
              job_node_set_error (error, variable->node,
                                  JOB_LOAD_ERROR_UNRESOLVED_VARIABLE,
                                  "reference to undefined variable “%.*s” "
                                  "in the value of variable “%s”",
                                  (int) len, name, variable->name);
              return FALSE;
            }
          target = &g_array_index (self->variables, Variable, i);
          if (target->state == 2)
            continue;
          if (target->state == 1)
            {
              g_autoptr (GString) cycle = g_string_new (NULL);
              guint from = 0;

              for (guint k = 0; k < stack->len; k++)
                if (g_array_index (stack, guint, k) == (guint) i)
                  from = k;
              for (guint k = from; k < stack->len; k++)
                {
                  g_autofree char *hop = format_hop (
                      &g_array_index (self->variables, Variable,
                                      g_array_index (stack, guint, k)));

                  g_string_append_printf (cycle, "%s → ", hop);
                }
              g_string_append_printf (cycle, "“%s”", target->name);
              job_node_set_error (error, variable->node,
                                  JOB_LOAD_ERROR_RECURSIVE_VARIABLE,
                                  "variable “%s” refers to itself through "
                                  "a cycle: %s",
                                  variable->name, cycle->str);
              return FALSE;
            }
          target->state = 1;
          g_array_append_val (stack, i);
          pending = TRUE;
          break;
        }
      if (pending)
        continue;

      value = g_string_new (NULL);
      p = text;
      for (const char *ref = next_reference (p, &name, &len); ref != NULL;
           ref = next_reference (p, &name, &len))
        {
          int i = find_variable (self, name, len);

          g_string_append_len (value, p, ref - p);
          g_string_append (value,
                           g_array_index (self->variables, Variable, i).value);
          p = name + len + 1;
        }
      g_string_append (value, p);
      variable->value = g_string_free (value, FALSE);
      variable->state = 2;
      g_array_set_size (stack, stack->len - 1);
    }
  return TRUE;
}

static void
variable_clear (gpointer data)
{
  Variable *variable = data;

  g_free (variable->value);
}

JobVariables *
job_variables_new (JobNode *mapping, GError **error)
{
  g_autoptr (JobVariables) self = g_new0 (JobVariables, 1);
  guint n;

  if (!job_node_check_type (mapping, JOB_NODE_MAPPING, error))
    return NULL;
  n = job_node_get_n_members (mapping);
  self->mapping = job_node_ref (mapping);
  self->variables = g_array_sized_new (FALSE, TRUE, sizeof (Variable), n);
  g_array_set_clear_func (self->variables, variable_clear);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < n; i++)
    {
      Variable variable = { 0 };

      variable.name = job_node_get_member_key (mapping, i);
      variable.node = job_node_get_member_value (mapping, i);
      if (job_node_get_node_type (variable.node) != JOB_NODE_SCALAR)
        {
          job_node_set_error (error, variable.node, JOB_LOAD_ERROR_INVALID_DATA,
                              "variable “%s” must be a string, not %s",
                              variable.name,
                              job_node_describe_type (variable.node));
          return NULL;
        }
      g_array_append_val (self->variables, variable);
      g_hash_table_insert (self->by_name, (gpointer) variable.name,
                           GUINT_TO_POINTER (i + 1));
    }
  for (guint i = 0; i < n; i++)
    if (g_array_index (self->variables, Variable, i).state != 2
        && !resolve (self, i, error))
      return NULL;
  return g_steal_pointer (&self);
}

void
job_variables_free (JobVariables *self)
{
  g_clear_pointer (&self->variables, g_array_unref);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->mapping, job_node_unref);
  g_free (self);
}

const char *
job_variables_get (JobVariables *self, const char *name)
{
  int i = find_variable (self, name, strlen (name));

  return i < 0 ? NULL : g_array_index (self->variables, Variable, i).value;
}

char *
job_variables_expand (JobVariables *self,
                      const char *text,
                      JobNode *node,
                      GError **error)
{
  GString *value = g_string_new (NULL);
  const char *p = text, *name;
  gsize len;

  for (const char *ref = next_reference (p, &name, &len); ref != NULL;
       ref = next_reference (p, &name, &len))
    {
      int i = find_variable (self, name, len);

      if (i < 0)
        {
          job_node_set_error (error, node, JOB_LOAD_ERROR_UNRESOLVED_VARIABLE,
                              "reference to undefined variable “%.*s”",
                              (int) len, name);
          g_string_free (value, TRUE);
          return NULL;
        }
      g_string_append_len (value, p, ref - p);
      g_string_append (value,
                       g_array_index (self->variables, Variable, i).value);
      p = name + len + 1;
    }
  g_string_append (value, p);
  return g_string_free (value, FALSE);
}

GHashTable *
job_variables_memo_new (void)
{
  return g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                (GDestroyNotify) job_node_unref,
                                (GDestroyNotify) job_node_unref);
}

/* A scalar like @node holding @value, shared through @memo if possible. */
static JobNode *
memo_scalar (GHashTable *memo, JobNode *node, const char *value)
{
  JobNode *cached = memo != NULL ? g_hash_table_lookup (memo, node) : NULL;
  JobNode *result;

  if (cached != NULL && g_str_equal (job_node_get_scalar (cached), value))
    return job_node_ref (cached);
  result = job_node_new_scalar (value, job_node_get_filename (node),
                                job_node_get_line (node),
                                job_node_get_column (node));
  if (memo != NULL)
    g_hash_table_replace (memo, job_node_ref (node), job_node_ref (result));
  return result;
}

JobNode *
job_variables_expand_node (JobVariables *self,
                           JobNode *node,
                           GHashTable *memo,
                           GError **error)
{
  switch (job_node_get_node_type (node))
    {
    case JOB_NODE_SCALAR:
      {
        const char *text = job_node_get_scalar (node);
        const char *name;
        gsize len;
        g_autofree char *expanded = NULL;

        if (job_node_is_null (node)
            || next_reference (text, &name, &len) == NULL)
          return job_node_ref (node);
        expanded = job_variables_expand (self, text, node, error);
        if (expanded == NULL)
          return NULL;
        return memo_scalar (memo, node, expanded);
      }
    case JOB_NODE_MAPPING:
      {
        g_autoptr (JobNode) copy = job_node_shallow_copy (node);

        for (guint i = 0; i < job_node_get_n_members (copy); i++)
          {
            JobNode *value = job_variables_expand_node (
                self, job_node_get_member_value (copy, i), memo, error);

            if (value == NULL)
              return NULL;
            job_node_set_member_at (copy, i, value);
          }
        return g_steal_pointer (&copy);
      }
    case JOB_NODE_SEQUENCE:
      {
        g_autoptr (JobNode) copy = job_node_new_sequence (
            job_node_get_filename (node), job_node_get_line (node),
            job_node_get_column (node));

        for (guint i = 0; i < job_node_get_n_items (node); i++)
          {
            g_autoptr (JobNode) value = job_variables_expand_node (
                self, job_node_get_item (node, i), memo, error);

            if (value == NULL)
              return NULL;
            job_node_append (copy, value);
          }
        return g_steal_pointer (&copy);
      }
    default:
      g_assert_not_reached ();
    }
}

gboolean
job_variables_check_node (JobVariables *self, JobNode *node, GError **error)
{
  switch (job_node_get_node_type (node))
    {
    case JOB_NODE_SCALAR:
      {
        const char *p = job_node_get_scalar (node), *name;
        gsize len;

        for (const char *ref = next_reference (p, &name, &len); ref != NULL;
             ref = next_reference (name + len + 1, &name, &len))
          if (find_variable (self, name, len) < 0)
            {
              job_node_set_error (
                  error, node, JOB_LOAD_ERROR_UNRESOLVED_VARIABLE,
                  "reference to undefined variable “%.*s”", (int) len, name);
              return FALSE;
            }
        return TRUE;
      }
    case JOB_NODE_MAPPING:
      for (guint i = 0; i < job_node_get_n_members (node); i++)
        if (!job_variables_check_node (
                self, job_node_get_member_value (node, i), error))
          return FALSE;
      return TRUE;
    case JOB_NODE_SEQUENCE:
      for (guint i = 0; i < job_node_get_n_items (node); i++)
        if (!job_variables_check_node (self, job_node_get_item (node, i),
                                       error))
          return FALSE;
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

JobNode *
job_variables_to_node (JobVariables *self, GHashTable *memo)
{
  JobNode *result = job_node_new_mapping (job_node_get_filename (self->mapping),
                                          job_node_get_line (self->mapping),
                                          job_node_get_column (self->mapping));

  for (guint i = 0; i < self->variables->len; i++)
    {
      Variable *variable = &g_array_index (self->variables, Variable, i);
      guint line, column;

      job_node_get_member_position (self->mapping, i, &line, &column);
      if (g_str_equal (variable->value, job_node_get_scalar (variable->node)))
        job_node_set_member_full (result, variable->name, line, column,
                                  job_node_ref (variable->node));
      else
        job_node_set_member_full (
            result, variable->name, line, column,
            memo_scalar (memo, variable->node, variable->value));
    }
  return result;
}
