/* job-expression.c: the expressions of (?) conditionals
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * BuildStream evaluates these with jinja2; this is the subset projects use:
 * option names, string/number/boolean literals, lists of literals, ==, !=,
 * in, not in, not, and, or and parentheses.
 */

#include "config.h"

#include <string.h>

#include "job-expression-private.h"
#include "job-load-error.h"

#define MAX_NESTING 64

typedef enum
{
  VALUE_BOOL,
  VALUE_STRING,
  VALUE_LIST,
} ValueType;

typedef struct
{
  ValueType type;
  gboolean boolean;
  char *string;
  GPtrArray *list; /* of char*, literals as strings */
} Value;

typedef struct
{
  const char *expression;
  const char *p;
  GHashTable *options;
  guint depth;
  GError **error;
  gboolean failed;
} Parser;

static void
value_clear (Value *value)
{
  g_clear_pointer (&value->string, g_free);
  g_clear_pointer (&value->list, g_ptr_array_unref);
}

static gboolean fail (Parser *self, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

static gboolean
fail (Parser *self, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (self->failed)
    return FALSE;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (self->error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_EXPRESSION_FAILED,
               "cannot evaluate the conditional “%s”: %s (at offset %u)",
               self->expression, message, (guint) (self->p - self->expression));
  self->failed = TRUE;
  return FALSE;
}

static void
skip_space (Parser *self)
{
  while (g_ascii_isspace (*self->p))
    self->p++;
}

static gboolean
is_word_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-';
}

/* Consumes the keyword @word if it comes next as a whole word. */
static gboolean
accept_word (Parser *self, const char *word)
{
  gsize len = strlen (word);

  skip_space (self);
  if (strncmp (self->p, word, len) == 0 && !is_word_char (self->p[len]))
    {
      self->p += len;
      return TRUE;
    }
  return FALSE;
}

static gboolean
accept (Parser *self, const char *token)
{
  gsize len = strlen (token);

  skip_space (self);
  if (strncmp (self->p, token, len) == 0)
    {
      self->p += len;
      return TRUE;
    }
  return FALSE;
}

static gboolean
truthy (const Value *value)
{
  switch (value->type)
    {
    case VALUE_BOOL:
      return value->boolean;
    case VALUE_STRING:
      return value->string[0] != '\0';
    case VALUE_LIST:
      return value->list->len > 0;
    default:
      g_assert_not_reached ();
    }
}

static gboolean parse_or (Parser *self, Value *out);

static gboolean
parse_literal_string (Parser *self, char **out)
{
  char quote = *self->p;
  const char *start = ++self->p;

  while (*self->p != '\0' && *self->p != quote)
    self->p++;
  if (*self->p != quote)
    return fail (self, "unterminated string");
  *out = g_strndup (start, (gsize) (self->p - start));
  self->p++;
  return TRUE;
}

static gboolean
parse_primary (Parser *self, Value *out)
{
  skip_space (self);
  if (accept (self, "("))
    {
      if (++self->depth > MAX_NESTING)
        return fail (self, "parentheses nest too deep");
      if (!parse_or (self, out))
        return FALSE;
      self->depth--;
      if (!accept (self, ")"))
        {
          value_clear (out);
          return fail (self, "expected “)”");
        }
      return TRUE;
    }
  if (accept (self, "["))
    {
      out->type = VALUE_LIST;
      out->list = g_ptr_array_new_with_free_func (g_free);
      skip_space (self);
      if (accept (self, "]"))
        return TRUE;
      do
        {
          Value item = { 0 };

          if (!parse_primary (self, &item))
            {
              value_clear (out);
              return FALSE;
            }
          if (item.type == VALUE_LIST)
            {
              value_clear (&item);
              value_clear (out);
              return fail (self, "lists cannot nest");
            }
          g_ptr_array_add (out->list,
                           item.type == VALUE_STRING
                               ? g_steal_pointer (&item.string)
                               : g_strdup (item.boolean ? "True" : "False"));
          value_clear (&item);
        }
      while (accept (self, ","));
      if (!accept (self, "]"))
        {
          value_clear (out);
          return fail (self, "expected “]”");
        }
      return TRUE;
    }
  if (*self->p == '"' || *self->p == '\'')
    {
      out->type = VALUE_STRING;
      return parse_literal_string (self, &out->string);
    }
  if (g_ascii_isdigit (*self->p))
    {
      const char *start = self->p;

      while (g_ascii_isdigit (*self->p))
        self->p++;
      out->type = VALUE_STRING;
      out->string = g_strndup (start, (gsize) (self->p - start));
      return TRUE;
    }
  if (g_ascii_isalpha (*self->p) || *self->p == '_')
    {
      const char *start = self->p;
      g_autofree char *name = NULL;
      GVariant *option;

      while (g_ascii_isalnum (*self->p) || *self->p == '_')
        self->p++;
      name = g_strndup (start, (gsize) (self->p - start));
      if (g_str_equal (name, "True") || g_str_equal (name, "true"))
        {
          out->type = VALUE_BOOL;
          out->boolean = TRUE;
          return TRUE;
        }
      if (g_str_equal (name, "False") || g_str_equal (name, "false"))
        {
          out->type = VALUE_BOOL;
          out->boolean = FALSE;
          return TRUE;
        }
      if (g_str_equal (name, "and") || g_str_equal (name, "or")
          || g_str_equal (name, "not") || g_str_equal (name, "in"))
        {
          self->p = start;
          return fail (self, "expected a value, got “%s”", name);
        }
      option = g_hash_table_lookup (self->options, name);
      if (option == NULL)
        {
          self->p = start;
          return fail (self, "“%s” is not an option of the project", name);
        }
      if (g_variant_is_of_type (option, G_VARIANT_TYPE_STRING_ARRAY))
        {
          const char **strings = g_variant_get_strv (option, NULL);

          out->type = VALUE_LIST;
          out->list = g_ptr_array_new_with_free_func (g_free);
          for (guint i = 0; strings[i] != NULL; i++)
            g_ptr_array_add (out->list, g_strdup (strings[i]));
          g_free (strings);
          return TRUE;
        }
      if (g_variant_is_of_type (option, G_VARIANT_TYPE_BOOLEAN))
        {
          out->type = VALUE_BOOL;
          out->boolean = g_variant_get_boolean (option);
        }
      else
        {
          out->type = VALUE_STRING;
          out->string = g_variant_dup_string (option, NULL);
        }
      return TRUE;
    }
  if (*self->p == '\0')
    return fail (self, "the expression ends where a value was expected");
  return fail (self, "unexpected “%c”", *self->p);
}

static gboolean
values_equal (const Value *a, const Value *b)
{
  if (a->type != b->type)
    return FALSE;
  switch (a->type)
    {
    case VALUE_BOOL:
      return a->boolean == b->boolean;
    case VALUE_STRING:
      return g_str_equal (a->string, b->string);
    case VALUE_LIST:
      if (a->list->len != b->list->len)
        return FALSE;
      for (guint i = 0; i < a->list->len; i++)
        if (!g_str_equal (a->list->pdata[i], b->list->pdata[i]))
          return FALSE;
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
value_in (Parser *self,
          const Value *needle,
          const Value *haystack,
          gboolean *out)
{
  if (haystack->type == VALUE_LIST)
    {
      const char *s = needle->type == VALUE_STRING ? needle->string
                      : needle->type == VALUE_BOOL
                          ? (needle->boolean ? "True" : "False")
                          : NULL;

      *out = FALSE;
      for (guint i = 0; s != NULL && i < haystack->list->len; i++)
        if (g_str_equal (s, haystack->list->pdata[i]))
          *out = TRUE;
      return TRUE;
    }
  if (haystack->type == VALUE_STRING && needle->type == VALUE_STRING)
    {
      *out = strstr (haystack->string, needle->string) != NULL;
      return TRUE;
    }
  return fail (self, "“in” needs a list or a string on its right");
}

static gboolean
parse_comparison (Parser *self, Value *out)
{
  Value left = { 0 }, right = { 0 };
  int op;
  gboolean result = FALSE;

  if (!parse_primary (self, &left))
    return FALSE;
  if (accept (self, "=="))
    op = 0;
  else if (accept (self, "!="))
    op = 1;
  else if (accept_word (self, "in"))
    op = 2;
  else
    {
      const char *save = self->p;

      if (accept_word (self, "not") && accept_word (self, "in"))
        op = 3;
      else
        {
          self->p = save;
          *out = left;
          return TRUE;
        }
    }
  if (!parse_primary (self, &right))
    {
      value_clear (&left);
      return FALSE;
    }
  switch (op)
    {
    case 0:
      result = values_equal (&left, &right);
      break;
    case 1:
      result = !values_equal (&left, &right);
      break;
    default:
      if (!value_in (self, &left, &right, &result))
        {
          value_clear (&left);
          value_clear (&right);
          return FALSE;
        }
      if (op == 3)
        result = !result;
      break;
    }
  value_clear (&left);
  value_clear (&right);
  out->type = VALUE_BOOL;
  out->boolean = result;
  return TRUE;
}

static gboolean
parse_not (Parser *self, Value *out)
{
  guint n_not = 0;

  while (accept_word (self, "not"))
    if (++n_not > MAX_NESTING)
      return fail (self, "too many “not”");
  if (!parse_comparison (self, out))
    return FALSE;
  if (n_not > 0)
    {
      gboolean b = truthy (out);

      value_clear (out);
      out->type = VALUE_BOOL;
      out->boolean = (n_not % 2) ? !b : b;
    }
  return TRUE;
}

static gboolean
parse_and (Parser *self, Value *out)
{
  if (!parse_not (self, out))
    return FALSE;
  while (accept_word (self, "and"))
    {
      Value right = { 0 };
      gboolean b = truthy (out);

      value_clear (out);
      if (!parse_not (self, &right))
        return FALSE;
      out->type = VALUE_BOOL;
      out->boolean = b && truthy (&right);
      value_clear (&right);
    }
  return TRUE;
}

static gboolean
parse_or (Parser *self, Value *out)
{
  if (!parse_and (self, out))
    return FALSE;
  while (accept_word (self, "or"))
    {
      Value right = { 0 };
      gboolean b = truthy (out);

      value_clear (out);
      if (!parse_and (self, &right))
        return FALSE;
      out->type = VALUE_BOOL;
      out->boolean = b || truthy (&right);
      value_clear (&right);
    }
  return TRUE;
}

gboolean
job_expression_evaluate (const char *expression,
                         GHashTable *options,
                         gboolean *result,
                         GError **error)
{
  Parser parser = { expression, expression, options, 0, error, FALSE };
  Value value = { 0 };

  if (!parse_or (&parser, &value))
    return FALSE;
  skip_space (&parser);
  if (*parser.p != '\0')
    {
      value_clear (&value);
      return fail (&parser, "unexpected text after the expression");
    }
  *result = truthy (&value);
  value_clear (&value);
  return TRUE;
}
