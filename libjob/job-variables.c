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
  char *value;      /* once resolved; owned unless "clean" */
  GArray *refs;     /* int: the variables its text refers to, -1 undefined */
  guint8 state;     /* 0: not visited, 1: being resolved, 2: resolved */
  guint8 clean;     /* the value is the template's */
  guint8 refs_borrowed;
} Variable;

struct _JobVariables
{
  JobNode *mapping;
  GArray *variables;   /* Variable */
  GHashTable *by_name; /* name -> index + 1; shared with the template */
  JobVariables *template;
  GHashTable *clean_memo;       /* of a template: node -> its expansion */
  GHashTable *clean_containers; /* of a template: node -> CleanEntry */
  JobNode *resolved;            /* of a template: job_variables_to_node () */
};

/* A mapping or list expanded with a template's values, and the variables
 * it refers to: an element whose values of those are the template's shares
 * the expansion. */
typedef struct
{
  JobNode *expanded;
  GArray *refs; /* int, distinct */
} CleanEntry;

static void
clean_entry_free (gpointer data)
{
  CleanEntry *entry = data;

  job_node_unref (entry->expanded);
  g_array_unref (entry->refs);
  g_free (entry);
}

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

static GArray *
scan_refs (JobVariables *self, const char *text)
{
  GArray *refs = g_array_new (FALSE, FALSE, sizeof (int));
  const char *name;
  gsize len;

  for (const char *p = next_reference (text, &name, &len); p != NULL;
       p = next_reference (name + len + 1, &name, &len))
    {
      int i = find_variable (self, name, len);

      g_array_append_val (refs, i);
    }
  return refs;
}

/* The text of @variable with its references replaced. */
static char *
build_value (JobVariables *self, Variable *variable)
{
  GString *value = g_string_new (NULL);
  const char *p = job_node_get_scalar (variable->node), *name;
  gsize len;
  guint k = 0;

  for (const char *ref = next_reference (p, &name, &len); ref != NULL;
       ref = next_reference (p, &name, &len))
    {
      int i = g_array_index (variable->refs, int, k++);

      g_string_append_len (value, p, ref - p);
      g_string_append (value,
                       g_array_index (self->variables, Variable, i).value);
      p = name + len + 1;
    }
  g_string_append (value, p);
  return g_string_free (value, FALSE);
}

static void
finish (JobVariables *self, guint index_)
{
  Variable *variable = &g_array_index (self->variables, Variable, index_);

  if (self->template != NULL)
    {
      Variable *model =
          &g_array_index (self->template->variables, Variable, index_);
      gboolean clean = model->node == variable->node;

      for (guint k = 0; clean && k < variable->refs->len; k++)
        {
          int r = g_array_index (variable->refs, int, k);

          clean = g_array_index (self->variables, Variable, r).clean;
        }
      if (clean)
        {
          variable->value = model->value;
          variable->clean = TRUE;
          variable->state = 2;
          return;
        }
    }
  variable->value = build_value (self, variable);
  variable->state = 2;
}

/* Resolves variable @start and everything it needs without recursion. */
static gboolean
resolve (JobVariables *self, guint start, GArray *stack, GError **error)
{
  g_array_set_size (stack, 0);
  g_array_append_val (stack, start);
  g_array_index (self->variables, Variable, start).state = 1;
  while (stack->len > 0)
    {
      guint top = g_array_index (stack, guint, stack->len - 1);
      Variable *variable = &g_array_index (self->variables, Variable, top);
      gboolean pending = FALSE;

      for (guint k = 0; k < variable->refs->len; k++)
        {
          int i = g_array_index (variable->refs, int, k);
          Variable *target;

          if (i < 0)
            {
              const char *name = NULL;
              gsize len = 0;
              const char *p = next_reference (
                  job_node_get_scalar (variable->node), &name, &len);

              for (guint n = 0; n < k; n++)
                p = next_reference (name + len + 1, &name, &len);
              g_assert (p != NULL);
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

              for (guint n = 0; n < stack->len; n++)
                if (g_array_index (stack, guint, n) == (guint) i)
                  from = n;
              for (guint n = from; n < stack->len; n++)
                {
                  g_autofree char *hop = format_hop (
                      &g_array_index (self->variables, Variable,
                                      g_array_index (stack, guint, n)));

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
      finish (self, top);
      g_array_set_size (stack, stack->len - 1);
    }
  return TRUE;
}

static void
variable_clear (gpointer data)
{
  Variable *variable = data;

  if (!variable->clean)
    g_free (variable->value);
  if (!variable->refs_borrowed && variable->refs != NULL)
    g_array_unref (variable->refs);
}

static gboolean
same_layout (JobNode *mapping, JobVariables *template)
{
  guint n = job_node_get_n_members (mapping);

  if (n != template->variables->len)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (job_node_get_member_key (mapping, i)
        != g_array_index (template->variables, Variable, i).name)
      return FALSE;
  return TRUE;
}

/**
 * job_variables_new_with_template:
 * @mapping: the variables
 * @template: (nullable): variables resolved before, most of whose
 *   definitions @mapping shares
 * @error: return location for a #GError
 *
 * Resolves @mapping; a variable whose definition and references are the
 * same as in @template takes its value from there instead of expanding it
 * again. @template must outlive the result.
 */
JobVariables *
job_variables_new_with_template (JobNode *mapping,
                                 JobVariables *template,
                                 GError **error)
{
  g_autoptr (JobVariables) self = g_new0 (JobVariables, 1);
  g_autoptr (GArray) stack = NULL;
  guint n;

  if (!job_node_check_type (mapping, JOB_NODE_MAPPING, error))
    return NULL;
  n = job_node_get_n_members (mapping);
  if (template != NULL && !same_layout (mapping, template))
    template = NULL;
  self->template = template;
  self->mapping = job_node_ref (mapping);
  self->variables = g_array_sized_new (FALSE, TRUE, sizeof (Variable), n);
  g_array_set_clear_func (self->variables, variable_clear);
  if (template != NULL)
    self->by_name = g_hash_table_ref (template->by_name);
  else
    {
      self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < n; i++)
        g_hash_table_insert (self->by_name,
                             (gpointer) job_node_get_member_key (mapping, i),
                             GUINT_TO_POINTER (i + 1));
    }
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
      if (template != NULL
          && g_array_index (template->variables, Variable, i).node
                 == variable.node)
        {
          variable.refs = g_array_index (template->variables, Variable, i).refs;
          variable.refs_borrowed = TRUE;
        }
      else
        variable.refs = scan_refs (self, job_node_get_scalar (variable.node));
      g_array_append_val (self->variables, variable);
    }
  /* One stack for every resolution: GArrays are costly to create. */
  stack = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < n; i++)
    if (g_array_index (self->variables, Variable, i).state != 2
        && !resolve (self, i, stack, error))
      return NULL;
  return g_steal_pointer (&self);
}

JobVariables *
job_variables_new (JobNode *mapping, GError **error)
{
  return job_variables_new_with_template (mapping, NULL, error);
}

void
job_variables_free (JobVariables *self)
{
  g_clear_pointer (&self->variables, g_array_unref);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->mapping, job_node_unref);
  g_clear_pointer (&self->clean_memo, g_hash_table_unref);
  g_clear_pointer (&self->clean_containers, g_hash_table_unref);
  g_clear_pointer (&self->resolved, job_node_unref);
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

/* Whether every reference of @text is to a variable whose value is the
 * template's; FALSE when one is undefined. */
static gboolean
refs_are_clean (JobVariables *self, const char *text)
{
  const char *name;
  gsize len;

  for (const char *p = next_reference (text, &name, &len); p != NULL;
       p = next_reference (name + len + 1, &name, &len))
    {
      int i = find_variable (self, name, len);

      if (i < 0 || !g_array_index (self->variables, Variable, i).clean)
        return FALSE;
    }
  return TRUE;
}

/* Collects the distinct variables the scalars below @node refer to;
 * FALSE if one is undefined. */
static gboolean
collect_refs (JobVariables *self, JobNode *node, GArray *refs)
{
  switch (job_node_get_node_type (node))
    {
    case JOB_NODE_SCALAR:
      {
        const char *name;
        gsize len;

        for (const char *p =
                 next_reference (job_node_get_scalar (node), &name, &len);
             p != NULL; p = next_reference (name + len + 1, &name, &len))
          {
            int i = find_variable (self, name, len);
            gboolean seen = FALSE;

            if (i < 0)
              return FALSE;
            for (guint k = 0; k < refs->len && !seen; k++)
              seen = g_array_index (refs, int, k) == i;
            if (!seen)
              g_array_append_val (refs, i);
          }
        return TRUE;
      }
    case JOB_NODE_MAPPING:
      for (guint i = 0; i < job_node_get_n_members (node); i++)
        if (!collect_refs (self, job_node_get_member_value (node, i), refs))
          return FALSE;
      return TRUE;
    case JOB_NODE_SEQUENCE:
      for (guint i = 0; i < job_node_get_n_items (node); i++)
        if (!collect_refs (self, job_node_get_item (node, i), refs))
          return FALSE;
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static JobNode *expand_node (JobVariables *self,
                             JobNode *node,
                             GHashTable *memo,
                             GError **error);

JobNode *
job_variables_expand_node (JobVariables *self,
                           JobNode *node,
                           GHashTable *memo,
                           GError **error)
{
  JobVariables *template = self->template;
  CleanEntry *entry;
  gboolean clean = TRUE;

  if (template == NULL || job_node_get_node_type (node) == JOB_NODE_SCALAR)
    return expand_node (self, node, memo, error);
  if (template->clean_containers == NULL)
    template->clean_containers = g_hash_table_new_full (
        g_direct_hash, g_direct_equal, (GDestroyNotify) job_node_unref,
        clean_entry_free);
  entry = g_hash_table_lookup (template->clean_containers, node);
  if (entry == NULL)
    {
      g_autoptr (GArray) refs = g_array_new (FALSE, FALSE, sizeof (int));
      JobNode *expanded;

      if (!collect_refs (template, node, refs))
        return expand_node (self, node, memo, error);
      expanded = expand_node (template, node, NULL, error);
      if (expanded == NULL)
        return NULL;
      entry = g_new0 (CleanEntry, 1);
      entry->expanded = expanded;
      entry->refs = g_steal_pointer (&refs);
      g_hash_table_insert (template->clean_containers, job_node_ref (node),
                           entry);
    }
  for (guint k = 0; k < entry->refs->len && clean; k++)
    clean = g_array_index (self->variables, Variable,
                           g_array_index (entry->refs, int, k))
                .clean;
  if (clean)
    return job_node_ref (entry->expanded);
  return expand_node (self, node, memo, error);
}

static JobNode *
expand_node (JobVariables *self,
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
        if (self->template != NULL && refs_are_clean (self, text))
          {
            JobNode *cached;

            if (self->template->clean_memo == NULL)
              self->template->clean_memo = job_variables_memo_new ();
            cached = g_hash_table_lookup (self->template->clean_memo, node);
            if (cached == NULL)
              {
                cached = expand_node (self->template, node, NULL, error);
                if (cached == NULL)
                  return NULL;
                g_hash_table_insert (self->template->clean_memo,
                                     job_node_ref (node), cached);
              }
            return job_node_ref (cached);
          }
        expanded = job_variables_expand (self, text, node, error);
        if (expanded == NULL)
          return NULL;
        return memo_scalar (memo, node, expanded);
      }
    case JOB_NODE_MAPPING:
      {
        JobNode *copy = NULL;

        for (guint i = 0; i < job_node_get_n_members (node); i++)
          {
            JobNode *child = job_node_get_member_value (node, i);
            JobNode *value = expand_node (self, child, memo, error);

            if (value == NULL)
              {
                g_clear_pointer (&copy, job_node_unref);
                return NULL;
              }
            if (value == child && copy == NULL)
              {
                job_node_unref (value);
                continue;
              }
            if (copy == NULL)
              copy = job_node_shallow_copy (node);
            job_node_set_member_at (copy, i, value);
          }
        return copy != NULL ? copy : job_node_ref (node);
      }
    case JOB_NODE_SEQUENCE:
      {
        JobNode *copy = NULL;

        for (guint i = 0; i < job_node_get_n_items (node); i++)
          {
            JobNode *child = job_node_get_item (node, i);
            JobNode *value = expand_node (self, child, memo, error);

            if (value == NULL)
              {
                g_clear_pointer (&copy, job_node_unref);
                return NULL;
              }
            if (value != child && copy == NULL)
              {
                copy = job_node_new_sequence (job_node_get_filename (node),
                                              job_node_get_line (node),
                                              job_node_get_column (node));
                for (guint k = 0; k < i; k++)
                  job_node_append (copy, job_node_get_item (node, k));
              }
            if (copy != NULL)
              job_node_append (copy, value);
            job_node_unref (value);
          }
        return copy != NULL ? copy : job_node_ref (node);
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
  JobNode *result;

  if (self->template != NULL && self->template->resolved == NULL)
    self->template->resolved = job_variables_to_node (self->template, NULL);
  result = job_node_new_mapping (job_node_get_filename (self->mapping),
                                 job_node_get_line (self->mapping),
                                 job_node_get_column (self->mapping));
  job_node_reserve_members (result, self->variables->len);
  for (guint i = 0; i < self->variables->len; i++)
    {
      Variable *variable = &g_array_index (self->variables, Variable, i);
      guint line, column;

      job_node_get_member_position (self->mapping, i, &line, &column);
      if (variable->clean)
        job_node_append_member (result, variable->name, line, column,
                                job_node_ref (job_node_get_member_value (
                                    self->template->resolved, i)));
      else if (g_str_equal (variable->value,
                            job_node_get_scalar (variable->node)))
        job_node_append_member (result, variable->name, line, column,
                                job_node_ref (variable->node));
      else
        job_node_append_member (
            result, variable->name, line, column,
            memo_scalar (memo, variable->node, variable->value));
    }
  return result;
}
