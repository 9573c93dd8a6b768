/* job-node.c: a YAML tree whose every value knows where it came from
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include <glib/gstdio.h>

#include "job-codec.h"
#include "job-inputs.h"
#include "job-pickle.h"
#include "job-node-private.h"

typedef struct
{
  char *key; /* a GRefString, interned: keys are a small vocabulary */
  guint line;
  guint column;
  JobNode *value;
} JobNodeMember;

struct _JobNode
{
  gint ref_count;
  guint8 type;
  guint8 is_null;
  guint line;
  guint column;
  char *filename; /* a GRefString, shared by every node of a file */
  union
  {
    char *scalar;
    struct
    {
      JobNodeMember *members;
      guint n_members;
      guint n_allocated;
      GHashTable *index; /* key -> position + 1, for large mappings */
    } mapping;
    struct
    {
      JobNode **items;
      guint n_items;
      guint n_allocated;
    } sequence;
  };
};

#define INDEX_THRESHOLD 12

static GVariant *
node_encode (const GValue *value, gpointer user_data, GError **error);
static gboolean node_decode (GVariant *variant,
                             GValue *value,
                             gpointer user_data,
                             GError **error);

/**
 * job_node_get_type:
 *
 * Returns: the #GType of the #JobNode boxed type
 */
GType
job_node_get_type (void)
{
  static gsize type_id;

  if (g_once_init_enter (&type_id))
    {
      GType type = g_boxed_type_register_static (
          g_intern_static_string ("JobNode"), (GBoxedCopyFunc) job_node_ref,
          (GBoxedFreeFunc) job_node_unref);

      job_codec_register (type, node_encode, node_decode, NULL, NULL);
      g_once_init_leave (&type_id, type);
    }
  return type_id;
}

static JobNode *
node_new (JobNodeType type, char *filename_ref, guint line, guint column)
{
  JobNode *self = g_new0 (JobNode, 1);

  self->ref_count = 1;
  self->type = type;
  self->line = line;
  self->column = column;
  self->filename =
      filename_ref != NULL ? g_ref_string_acquire (filename_ref) : NULL;
  return self;
}

static char *
intern_filename (const char *filename)
{
  return g_ref_string_new_intern (filename != NULL ? filename : "");
}

/**
 * job_node_new_scalar:
 * @value: (nullable): the string, or %NULL for a null value
 * @filename: (nullable): the file the value comes from
 * @line: its line, from 1 (0 when unknown)
 * @column: its column, from 1 (0 when unknown)
 *
 * Creates a scalar node.
 *
 * Returns: (transfer full): a new node
 */
JobNode *
job_node_new_scalar (const char *value,
                     const char *filename,
                     guint line,
                     guint column)
{
  g_autofree char *file = intern_filename (filename);
  JobNode *self = node_new (JOB_NODE_SCALAR, file, line, column);

  g_ref_string_release (g_steal_pointer (&file));
  self->is_null = value == NULL;
  self->scalar = g_strdup (value != NULL ? value : "");
  return self;
}

/**
 * job_node_new_mapping:
 * @filename: (nullable): the file the mapping comes from
 * @line: its line, from 1 (0 when unknown)
 * @column: its column, from 1 (0 when unknown)
 *
 * Creates an empty mapping.
 *
 * Returns: (transfer full): a new node
 */
JobNode *
job_node_new_mapping (const char *filename, guint line, guint column)
{
  char *file = intern_filename (filename);
  JobNode *self = node_new (JOB_NODE_MAPPING, file, line, column);

  g_ref_string_release (file);
  return self;
}

/**
 * job_node_new_sequence:
 * @filename: (nullable): the file the sequence comes from
 * @line: its line, from 1 (0 when unknown)
 * @column: its column, from 1 (0 when unknown)
 *
 * Creates an empty sequence.
 *
 * Returns: (transfer full): a new node
 */
JobNode *
job_node_new_sequence (const char *filename, guint line, guint column)
{
  char *file = intern_filename (filename);
  JobNode *self = node_new (JOB_NODE_SEQUENCE, file, line, column);

  g_ref_string_release (file);
  return self;
}

/**
 * job_node_ref:
 * @self: a node
 *
 * Returns: (transfer full): @self with one more reference
 */
JobNode *
job_node_ref (JobNode *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_int_inc (&self->ref_count);
  return self;
}

static void
node_free (JobNode *self)
{
  switch (self->type)
    {
    case JOB_NODE_SCALAR:
      g_free (self->scalar);
      break;
    case JOB_NODE_MAPPING:
      for (guint i = 0; i < self->mapping.n_members; i++)
        {
          g_ref_string_release (self->mapping.members[i].key);
          job_node_unref (self->mapping.members[i].value);
        }
      g_free (self->mapping.members);
      g_clear_pointer (&self->mapping.index, g_hash_table_unref);
      break;
    case JOB_NODE_SEQUENCE:
      for (guint i = 0; i < self->sequence.n_items; i++)
        job_node_unref (self->sequence.items[i]);
      g_free (self->sequence.items);
      break;
    default:
      g_assert_not_reached ();
    }
  if (self->filename != NULL)
    g_ref_string_release (self->filename);
  g_free (self);
}

/**
 * job_node_unref:
 * @self: (transfer full): a node
 *
 * Drops a reference to @self, freeing it when it was the last one.
 */
void
job_node_unref (JobNode *self)
{
  g_return_if_fail (self != NULL);
  if (g_atomic_int_dec_and_test (&self->ref_count))
    node_free (self);
}

/* Whether more than one owner holds the node: such a node is read-only. */
gboolean
job_node_is_shared (JobNode *self)
{
  return g_atomic_int_get (&self->ref_count) > 1;
}

static void
mapping_drop_index (JobNode *self)
{
  g_clear_pointer (&self->mapping.index, g_hash_table_unref);
}

static void
mapping_reserve (JobNode *self, guint n)
{
  if (n <= self->mapping.n_allocated)
    return;
  self->mapping.n_allocated = MAX (n, MAX (4, self->mapping.n_allocated * 2));
  self->mapping.members =
      g_renew (JobNodeMember, self->mapping.members, self->mapping.n_allocated);
}

static void
sequence_reserve (JobNode *self, guint n)
{
  if (n <= self->sequence.n_allocated)
    return;
  self->sequence.n_allocated = MAX (n, MAX (4, self->sequence.n_allocated * 2));
  self->sequence.items =
      g_renew (JobNode *, self->sequence.items, self->sequence.n_allocated);
}

/* A copy of the node itself whose children are shared with @self. */
JobNode *
job_node_shallow_copy (JobNode *self)
{
  JobNode *copy =
      node_new (self->type, self->filename, self->line, self->column);

  copy->is_null = self->is_null;
  switch (self->type)
    {
    case JOB_NODE_SCALAR:
      copy->scalar = g_strdup (self->scalar);
      break;
    case JOB_NODE_MAPPING:
      mapping_reserve (copy, self->mapping.n_members);
      for (guint i = 0; i < self->mapping.n_members; i++)
        {
          copy->mapping.members[i] = self->mapping.members[i];
          g_ref_string_acquire (copy->mapping.members[i].key);
          job_node_ref (copy->mapping.members[i].value);
        }
      copy->mapping.n_members = self->mapping.n_members;
      break;
    case JOB_NODE_SEQUENCE:
      sequence_reserve (copy, self->sequence.n_items);
      for (guint i = 0; i < self->sequence.n_items; i++)
        copy->sequence.items[i] = job_node_ref (self->sequence.items[i]);
      copy->sequence.n_items = self->sequence.n_items;
      break;
    default:
      g_assert_not_reached ();
    }
  return copy;
}

/**
 * job_node_copy:
 * @self: a node
 *
 * Copies @self and everything below it, keeping every provenance.
 *
 * Returns: (transfer full): a deep copy of @self, owned by the caller alone
 */
JobNode *
job_node_copy (JobNode *self)
{
  JobNode *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = job_node_shallow_copy (self);
  if (self->type == JOB_NODE_MAPPING)
    for (guint i = 0; i < copy->mapping.n_members; i++)
      {
        JobNode *child = copy->mapping.members[i].value;

        copy->mapping.members[i].value = job_node_copy (child);
        job_node_unref (child);
      }
  else if (self->type == JOB_NODE_SEQUENCE)
    for (guint i = 0; i < copy->sequence.n_items; i++)
      {
        JobNode *child = copy->sequence.items[i];

        copy->sequence.items[i] = job_node_copy (child);
        job_node_unref (child);
      }
  return copy;
}

/**
 * job_node_get_node_type:
 * @self: a node
 *
 * Returns: whether @self is a mapping, a sequence or a scalar
 */
JobNodeType
job_node_get_node_type (JobNode *self)
{
  g_return_val_if_fail (self != NULL, JOB_NODE_SCALAR);
  return self->type;
}

/**
 * job_node_get_filename:
 * @self: a node
 *
 * Returns: (transfer none): the name of the file @self was read from, as
 *   shown in messages (relative to the project where it belongs to one);
 *   the empty string when it was not read from a file
 */
const char *
job_node_get_filename (JobNode *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->filename != NULL ? self->filename : "";
}

/**
 * job_node_get_line:
 * @self: a node
 *
 * Returns: the line where @self starts, from 1; 0 when unknown
 */
guint
job_node_get_line (JobNode *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->line;
}

/**
 * job_node_get_column:
 * @self: a node
 *
 * Returns: the column where @self starts, from 1; 0 when unknown
 */
guint
job_node_get_column (JobNode *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->column;
}

char *
job_node_format_provenance (const char *filename, guint line, guint column)
{
  if (filename == NULL || *filename == '\0')
    filename = "<unknown>";
  if (line == 0)
    return g_strdup (filename);
  return g_strdup_printf ("%s [line %u column %u]", filename, line, column);
}

/**
 * job_node_dup_provenance:
 * @self: a node
 *
 * Formats where @self comes from as libjob's messages do:
 * `file [line L column C]`.
 *
 * Returns: (transfer full): the provenance of @self
 */
char *
job_node_dup_provenance (JobNode *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return job_node_format_provenance (self->filename, self->line, self->column);
}

char *
job_node_dup_member_provenance (JobNode *self, guint index_)
{
  g_assert (self->type == JOB_NODE_MAPPING);
  g_assert (index_ < self->mapping.n_members);
  return job_node_format_provenance (self->filename,
                                     self->mapping.members[index_].line,
                                     self->mapping.members[index_].column);
}

void
job_node_get_member_position (JobNode *self,
                              guint index_,
                              guint *line,
                              guint *column)
{
  g_assert (self->type == JOB_NODE_MAPPING);
  g_assert (index_ < self->mapping.n_members);
  *line = self->mapping.members[index_].line;
  *column = self->mapping.members[index_].column;
}

void
job_node_set_error (
    GError **error, JobNode *node, int code, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *provenance = NULL;
  va_list args;

  if (error == NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (node == NULL)
    {
      g_set_error_literal (error, JOB_LOAD_ERROR, code, message);
      return;
    }
  provenance = job_node_dup_provenance (node);
  g_set_error (error, JOB_LOAD_ERROR, code, "%s: %s", provenance, message);
}

const char *
job_node_describe_type (JobNode *self)
{
  if (self == NULL)
    return "nothing";
  switch (self->type)
    {
    case JOB_NODE_MAPPING:
      return "a mapping";
    case JOB_NODE_SEQUENCE:
      return "a list";
    case JOB_NODE_SCALAR:
      return self->is_null ? "null" : "a string";
    default:
      g_assert_not_reached ();
    }
}

static const char *
describe_expected (JobNodeType type)
{
  switch (type)
    {
    case JOB_NODE_MAPPING:
      return "a mapping";
    case JOB_NODE_SEQUENCE:
      return "a list";
    case JOB_NODE_SCALAR:
      return "a string";
    default:
      g_assert_not_reached ();
    }
}

/**
 * job_node_is_null:
 * @self: a node
 *
 * Returns: %TRUE if @self is a null scalar (`~`, `null` or nothing at all
 *   after a key)
 */
gboolean
job_node_is_null (JobNode *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->type == JOB_NODE_SCALAR && self->is_null;
}

/**
 * job_node_get_scalar:
 * @self: a node
 *
 * Returns: (transfer none) (nullable): the string of a scalar node (the
 *   empty string for a null scalar), or %NULL if @self is not a scalar
 */
const char *
job_node_get_scalar (JobNode *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (self->type != JOB_NODE_SCALAR)
    return NULL;
  return self->scalar;
}

/**
 * job_node_get_n_members:
 * @self: a mapping node
 *
 * Returns: the number of keys of @self; 0 if it is not a mapping
 */
guint
job_node_get_n_members (JobNode *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->type == JOB_NODE_MAPPING ? self->mapping.n_members : 0;
}

/**
 * job_node_get_member_key:
 * @self: a mapping node
 * @index_: a position, less than [method@Job.Node.get_n_members]
 *
 * Returns: (transfer none): the key at @index_, in file order
 */
const char *
job_node_get_member_key (JobNode *self, guint index_)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (self->type == JOB_NODE_MAPPING, NULL);
  g_return_val_if_fail (index_ < self->mapping.n_members, NULL);
  return self->mapping.members[index_].key;
}

/**
 * job_node_get_member_value:
 * @self: a mapping node
 * @index_: a position, less than [method@Job.Node.get_n_members]
 *
 * Returns: (transfer none): the value at @index_
 */
JobNode *
job_node_get_member_value (JobNode *self, guint index_)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (self->type == JOB_NODE_MAPPING, NULL);
  g_return_val_if_fail (index_ < self->mapping.n_members, NULL);
  return self->mapping.members[index_].value;
}

/**
 * job_node_dup_keys:
 * @self: a mapping node
 *
 * Returns: (transfer full) (array zero-terminated=1): the keys of @self in
 *   file order; empty if @self is not a mapping
 */
char **
job_node_dup_keys (JobNode *self)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char **keys;

  for (guint i = 0; i < job_node_get_n_members (self); i++)
    g_strv_builder_add (builder, self->mapping.members[i].key);
  keys = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return keys;
}

int
job_node_find_member (JobNode *self, const char *key)
{
  if (self->type != JOB_NODE_MAPPING)
    return -1;
  if (self->mapping.n_members > INDEX_THRESHOLD)
    {
      GHashTable *index = g_atomic_pointer_get (&self->mapping.index);

      /* Built on first lookup; readers of a shared node may race to build
       * it, so it is published atomically and the loser's copy dropped. */
      if (index == NULL)
        {
          index = g_hash_table_new (g_str_hash, g_str_equal);
          for (guint i = 0; i < self->mapping.n_members; i++)
            g_hash_table_insert (index, (gpointer) self->mapping.members[i].key,
                                 GUINT_TO_POINTER (i + 1));
          if (!g_atomic_pointer_compare_and_exchange (&self->mapping.index,
                                                      NULL, index))
            {
              g_hash_table_unref (index);
              index = g_atomic_pointer_get (&self->mapping.index);
            }
        }
      return (int) GPOINTER_TO_UINT (g_hash_table_lookup (index, key)) - 1;
    }
  for (guint i = 0; i < self->mapping.n_members; i++)
    if (strcmp (self->mapping.members[i].key, key) == 0)
      return (int) i;
  return -1;
}

/**
 * job_node_lookup:
 * @self: a node
 * @key: a key
 *
 * Returns: (transfer none) (nullable): the value of @key in the mapping
 *   @self, or %NULL if @self has no such key or is not a mapping
 */
JobNode *
job_node_lookup (JobNode *self, const char *key)
{
  int i;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  i = job_node_find_member (self, key);
  return i < 0 ? NULL : self->mapping.members[i].value;
}

void
job_node_set_member_at (JobNode *self, guint index_, JobNode *value)
{
  JobNode *old = self->mapping.members[index_].value;

  self->mapping.members[index_].value = value;
  job_node_unref (old);
}

void
job_node_set_member_full (JobNode *self,
                          const char *key,
                          guint key_line,
                          guint key_column,
                          JobNode *value)
{
  int i = job_node_find_member (self, key);
  JobNodeMember *member;

  if (i >= 0)
    {
      job_node_set_member_at (self, (guint) i, value);
      self->mapping.members[i].line = key_line;
      self->mapping.members[i].column = key_column;
      return;
    }
  mapping_reserve (self, self->mapping.n_members + 1);
  member = &self->mapping.members[self->mapping.n_members++];
  member->key = g_ref_string_new_intern (key);
  member->line = key_line;
  member->column = key_column;
  member->value = value;
  if (self->mapping.index != NULL)
    g_hash_table_insert (self->mapping.index, (gpointer) member->key,
                         GUINT_TO_POINTER (self->mapping.n_members));
}

void
job_node_reserve_members (JobNode *self, guint n)
{
  g_assert (self->type == JOB_NODE_MAPPING);
  if (n > self->mapping.n_allocated)
    {
      self->mapping.n_allocated = n;
      self->mapping.members = g_renew (JobNodeMember, self->mapping.members, n);
    }
}

void
job_node_append_member (JobNode *self,
                        const char *interned_key,
                        guint key_line,
                        guint key_column,
                        JobNode *value)
{
  JobNodeMember *member;

  mapping_reserve (self, self->mapping.n_members + 1);
  member = &self->mapping.members[self->mapping.n_members++];
  member->key = g_ref_string_acquire ((char *) interned_key);
  member->line = key_line;
  member->column = key_column;
  member->value = value;
  if (self->mapping.index != NULL)
    g_hash_table_insert (self->mapping.index, (gpointer) member->key,
                         GUINT_TO_POINTER (self->mapping.n_members));
}

/**
 * job_node_set_member:
 * @self: a mapping node that no one else shares
 * @key: a key
 * @value: (transfer none): its new value
 *
 * Sets @key of @self to @value, in place of an existing value (keeping its
 * position) or as a new last key. The key's provenance is that of @value.
 */
void
job_node_set_member (JobNode *self, const char *key, JobNode *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->type == JOB_NODE_MAPPING);
  g_return_if_fail (key != NULL);
  g_return_if_fail (value != NULL);
  job_node_set_member_full (self, key, value->line, value->column,
                            job_node_ref (value));
}

/**
 * job_node_remove_member:
 * @self: a mapping node that no one else shares
 * @key: a key
 *
 * Removes @key from @self.
 *
 * Returns: %TRUE if @self had @key
 */
gboolean
job_node_remove_member (JobNode *self, const char *key)
{
  int i;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  i = job_node_find_member (self, key);
  if (i < 0)
    return FALSE;
  g_ref_string_release (self->mapping.members[i].key);
  job_node_unref (self->mapping.members[i].value);
  memmove (&self->mapping.members[i], &self->mapping.members[i + 1],
           (self->mapping.n_members - (guint) i - 1) * sizeof (JobNodeMember));
  self->mapping.n_members--;
  mapping_drop_index (self);
  return TRUE;
}

/**
 * job_node_get_n_items:
 * @self: a sequence node
 *
 * Returns: the number of items of @self; 0 if it is not a sequence
 */
guint
job_node_get_n_items (JobNode *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->type == JOB_NODE_SEQUENCE ? self->sequence.n_items : 0;
}

/**
 * job_node_get_item:
 * @self: a sequence node
 * @index_: a position, less than [method@Job.Node.get_n_items]
 *
 * Returns: (transfer none): the item at @index_
 */
JobNode *
job_node_get_item (JobNode *self, guint index_)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (self->type == JOB_NODE_SEQUENCE, NULL);
  g_return_val_if_fail (index_ < self->sequence.n_items, NULL);
  return self->sequence.items[index_];
}

/**
 * job_node_append:
 * @self: a sequence node that no one else shares
 * @item: (transfer none): a node
 *
 * Appends @item to @self.
 */
void
job_node_append (JobNode *self, JobNode *item)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->type == JOB_NODE_SEQUENCE);
  g_return_if_fail (item != NULL);
  sequence_reserve (self, self->sequence.n_items + 1);
  self->sequence.items[self->sequence.n_items++] = job_node_ref (item);
}

/**
 * job_node_check_type:
 * @self: a node
 * @expected: the type @self must have
 * @error: return location for a #GError
 *
 * Checks that @self is a @expected; a null value is neither a mapping nor a
 * list.
 *
 * Returns: %TRUE if it is, %FALSE with @error set
 *   (`file [line L column C]: expected a list, got a mapping`)
 */
gboolean
job_node_check_type (JobNode *self, JobNodeType expected, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->type == expected && !self->is_null)
    return TRUE;
  job_node_set_error (error, self, JOB_LOAD_ERROR_INVALID_DATA,
                      "expected %s, got %s", describe_expected (expected),
                      job_node_describe_type (self));
  return FALSE;
}

/**
 * job_node_as_string:
 * @self: a node
 * @error: return location for a #GError
 *
 * Returns: (transfer none) (nullable): the string of the scalar @self, or
 *   %NULL with @error set if @self is a mapping, a list or null
 */
const char *
job_node_as_string (JobNode *self, GError **error)
{
  if (!job_node_check_type (self, JOB_NODE_SCALAR, error))
    return NULL;
  return self->scalar;
}

/**
 * job_node_as_boolean:
 * @self: a node
 * @out_value: (out): where to store the value
 * @error: return location for a #GError
 *
 * Reads a YAML boolean: `true`, `True`, `TRUE`, `false`, `False`, `FALSE`.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_node_as_boolean (JobNode *self, gboolean *out_value, GError **error)
{
  const char *s = job_node_as_string (self, error);

  if (s == NULL)
    return FALSE;
  if (g_str_equal (s, "true") || g_str_equal (s, "True")
      || g_str_equal (s, "TRUE"))
    *out_value = TRUE;
  else if (g_str_equal (s, "false") || g_str_equal (s, "False")
           || g_str_equal (s, "FALSE"))
    *out_value = FALSE;
  else
    {
      job_node_set_error (error, self, JOB_LOAD_ERROR_INVALID_DATA,
                          "expected a boolean (true or false), got “%s”", s);
      return FALSE;
    }
  return TRUE;
}

/**
 * job_node_as_int64:
 * @self: a node
 * @out_value: (out): where to store the value
 * @error: return location for a #GError
 *
 * Reads a decimal integer.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_node_as_int64 (JobNode *self, gint64 *out_value, GError **error)
{
  const char *s = job_node_as_string (self, error);
  g_autoptr (GError) local_error = NULL;

  if (s == NULL)
    return FALSE;
  if (!g_ascii_string_to_signed (s, 10, G_MININT64, G_MAXINT64, out_value,
                                 &local_error))
    {
      job_node_set_error (error, self, JOB_LOAD_ERROR_INVALID_DATA,
                          "expected an integer, got “%s”", s);
      return FALSE;
    }
  return TRUE;
}

/**
 * job_node_as_string_list:
 * @self: a node
 * @error: return location for a #GError
 *
 * Reads a list of strings.
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the
 *   strings, or %NULL with @error set
 */
char **
job_node_as_string_list (JobNode *self, GError **error)
{
  g_autoptr (GPtrArray) strings = NULL;

  if (!job_node_check_type (self, JOB_NODE_SEQUENCE, error))
    return NULL;
  strings = g_ptr_array_new_full (self->sequence.n_items + 1, g_free);
  for (guint i = 0; i < self->sequence.n_items; i++)
    {
      const char *s = job_node_as_string (self->sequence.items[i], error);

      if (s == NULL)
        return NULL;
      g_ptr_array_add (strings, g_strdup (s));
    }
  g_ptr_array_add (strings, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&strings), FALSE);
}

/**
 * job_node_require:
 * @self: a mapping node
 * @key: a key
 * @error: return location for a #GError
 *
 * Returns: (transfer none) (nullable): the value of @key, or %NULL with
 *   @error set if @self has no @key
 */
JobNode *
job_node_require (JobNode *self, const char *key, GError **error)
{
  JobNode *value;

  if (!job_node_check_type (self, JOB_NODE_MAPPING, error))
    return NULL;
  value = job_node_lookup (self, key);
  if (value == NULL)
    job_node_set_error (error, self, JOB_LOAD_ERROR_INVALID_DATA,
                        "missing required key “%s”", key);
  return value;
}

/**
 * job_node_get_string:
 * @self: a mapping node
 * @key: a key
 * @default_value: (nullable): the value when @self has no @key, or %NULL
 *   if @key is required
 * @error: return location for a #GError
 *
 * Returns: (transfer none) (nullable): the string value of @key, or %NULL
 *   with @error set
 */
const char *
job_node_get_string (JobNode *self,
                     const char *key,
                     const char *default_value,
                     GError **error)
{
  JobNode *value;

  if (default_value != NULL && job_node_lookup (self, key) == NULL)
    return default_value;
  value = job_node_require (self, key, error);
  return value != NULL ? job_node_as_string (value, error) : NULL;
}

/**
 * job_node_get_boolean:
 * @self: a mapping node
 * @key: a key
 * @default_value: the value when @self has no @key
 * @out_value: (out): where to store the value
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_node_get_boolean (JobNode *self,
                      const char *key,
                      gboolean default_value,
                      gboolean *out_value,
                      GError **error)
{
  JobNode *value = job_node_lookup (self, key);

  if (value == NULL)
    {
      *out_value = default_value;
      return TRUE;
    }
  return job_node_as_boolean (value, out_value, error);
}

/**
 * job_node_get_int64:
 * @self: a mapping node
 * @key: a key
 * @default_value: the value when @self has no @key
 * @out_value: (out): where to store the value
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
job_node_get_int64 (JobNode *self,
                    const char *key,
                    gint64 default_value,
                    gint64 *out_value,
                    GError **error)
{
  JobNode *value = job_node_lookup (self, key);

  if (value == NULL)
    {
      *out_value = default_value;
      return TRUE;
    }
  return job_node_as_int64 (value, out_value, error);
}

/**
 * job_node_get_mapping:
 * @self: a mapping node
 * @key: a key
 * @error: return location for a #GError
 *
 * Returns: (transfer none) (nullable): the mapping value of @key; %NULL
 *   without an error if @self has no @key; %NULL with @error set if the
 *   value is not a mapping
 */
JobNode *
job_node_get_mapping (JobNode *self, const char *key, GError **error)
{
  JobNode *value = job_node_lookup (self, key);

  if (value == NULL || !job_node_check_type (value, JOB_NODE_MAPPING, error))
    return NULL;
  return value;
}

/**
 * job_node_get_sequence:
 * @self: a mapping node
 * @key: a key
 * @error: return location for a #GError
 *
 * Returns: (transfer none) (nullable): the list value of @key; %NULL
 *   without an error if @self has no @key; %NULL with @error set if the
 *   value is not a list
 */
JobNode *
job_node_get_sequence (JobNode *self, const char *key, GError **error)
{
  JobNode *value = job_node_lookup (self, key);

  if (value == NULL || !job_node_check_type (value, JOB_NODE_SEQUENCE, error))
    return NULL;
  return value;
}

/**
 * job_node_get_string_list:
 * @self: a mapping node
 * @key: a key
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the list of
 *   strings of @key (empty if @self has no @key), or %NULL with @error set
 */
char **
job_node_get_string_list (JobNode *self, const char *key, GError **error)
{
  JobNode *value = job_node_lookup (self, key);

  if (value == NULL)
    return g_new0 (char *, 1);
  return job_node_as_string_list (value, error);
}

/**
 * job_node_validate_keys:
 * @self: a mapping node
 * @valid_keys: (array zero-terminated=1): the keys @self may have
 * @error: return location for a #GError
 *
 * Checks that every key of @self is one of @valid_keys.
 *
 * Returns: %TRUE if so, %FALSE with @error set, naming the first unknown key
 *   with its provenance and the keys that are allowed
 */
gboolean
job_node_validate_keys (JobNode *self,
                        const char *const *valid_keys,
                        GError **error)
{
  if (!job_node_check_type (self, JOB_NODE_MAPPING, error))
    return FALSE;
  for (guint i = 0; i < self->mapping.n_members; i++)
    if (!g_strv_contains (valid_keys, self->mapping.members[i].key))
      {
        g_autofree char *provenance = job_node_dup_member_provenance (self, i);
        g_autofree char *allowed = g_strjoinv (", ", (char **) valid_keys);

        g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_INVALID_DATA,
                     "%s: unexpected key “%s”; the keys allowed here are: %s",
                     provenance, self->mapping.members[i].key, allowed);
        return FALSE;
      }
  return TRUE;
}

/* Loading ---------------------------------------------------------------- */

typedef struct
{
  JobNode *node;
  char *pending_key; /* a mapping's key waiting for its value */
  char *anchor;
  guint key_line;
  guint key_column;
} Frame;

typedef struct
{
  char *filename;
  GArray *stack; /* Frame */
  GHashTable *anchors;
  JobNode *root;
  gsize alias_nodes;
} Builder;

static gboolean
is_null_scalar (const yaml_event_t *event)
{
  const char *value = (const char *) event->data.scalar.value;

  if (event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return FALSE;
  return event->data.scalar.length == 0 || g_str_equal (value, "~")
         || g_str_equal (value, "null") || g_str_equal (value, "Null")
         || g_str_equal (value, "NULL");
}

static gsize
count_nodes (JobNode *node)
{
  gsize n = 1;

  if (node->type == JOB_NODE_MAPPING)
    for (guint i = 0; i < node->mapping.n_members; i++)
      n += count_nodes (node->mapping.members[i].value);
  else if (node->type == JOB_NODE_SEQUENCE)
    for (guint i = 0; i < node->sequence.n_items; i++)
      n += count_nodes (node->sequence.items[i]);
  return n;
}

static gboolean set_yaml_error (GError **error,
                                const char *filename,
                                const yaml_mark_t *mark,
                                int code,
                                const char *format,
                                ...) G_GNUC_PRINTF (5, 6);

static gboolean
set_yaml_error (GError **error,
                const char *filename,
                const yaml_mark_t *mark,
                int code,
                const char *format,
                ...)
{
  g_autofree char *message = NULL;
  g_autofree char *provenance = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  provenance = job_node_format_provenance (filename, (guint) mark->line + 1,
                                           (guint) mark->column + 1);
  g_set_error (error, JOB_LOAD_ERROR, code, "%s: %s", provenance, message);
  return FALSE;
}

/* Attaches a complete node to its parent (or makes it the root). */
static gboolean
builder_add (Builder *self,
             JobNode *node,
             const char *anchor,
             const yaml_mark_t *mark,
             GError **error)
{
  if (anchor != NULL)
    g_hash_table_replace (self->anchors, g_strdup (anchor),
                          job_node_ref (node));
  if (self->stack->len == 0)
    {
      g_assert (self->root == NULL);
      self->root = node;
      return TRUE;
    }
  else
    {
      Frame *parent = &g_array_index (self->stack, Frame, self->stack->len - 1);

      if (parent->node->type == JOB_NODE_SEQUENCE)
        {
          sequence_reserve (parent->node, parent->node->sequence.n_items + 1);
          parent->node->sequence.items[parent->node->sequence.n_items++] = node;
          return TRUE;
        }
      if (parent->pending_key == NULL)
        {
          if (node->type != JOB_NODE_SCALAR || node->is_null)
            {
              job_node_unref (node);
              return set_yaml_error (error, self->filename, mark,
                                     JOB_LOAD_ERROR_INVALID_YAML,
                                     "a key must be a string");
            }
          if (job_node_find_member (parent->node, node->scalar) >= 0)
            {
              set_yaml_error (error, self->filename, mark,
                              JOB_LOAD_ERROR_INVALID_YAML, "duplicate key “%s”",
                              node->scalar);
              job_node_unref (node);
              return FALSE;
            }
          parent->pending_key = g_strdup (node->scalar);
          parent->key_line = node->line;
          parent->key_column = node->column;
          job_node_unref (node);
          return TRUE;
        }
      job_node_set_member_full (parent->node, parent->pending_key,
                                parent->key_line, parent->key_column, node);
      g_clear_pointer (&parent->pending_key, g_free);
      return TRUE;
    }
}

static void
frame_clear (gpointer data)
{
  Frame *frame = data;

  g_clear_pointer (&frame->node, job_node_unref);
  g_clear_pointer (&frame->pending_key, g_free);
  g_clear_pointer (&frame->anchor, g_free);
}

static JobNode *
parse (yaml_parser_t *parser,
       const char *data,
       gsize length,
       const char *display_name,
       GError **error)
{
  Builder builder = { 0 };
  gboolean done = FALSE;
  gboolean ok = TRUE;
  guint n_documents = 0;

  builder.filename = intern_filename (display_name);
  builder.stack = g_array_new (FALSE, TRUE, sizeof (Frame));
  g_array_set_clear_func (builder.stack, frame_clear);
  builder.anchors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) job_node_unref);

  while (ok && !done)
    {
      yaml_event_t event;
      const yaml_mark_t *mark;
      const char *anchor = NULL;
      JobNode *node = NULL;

      if (!yaml_parser_parse (parser, &event))
        {
          const yaml_mark_t *where = &parser->problem_mark;
          yaml_mark_t offset_mark = { 0 };

          if (parser->error == YAML_READER_ERROR)
            {
              /* The reader reports a byte offset, not a position. */
              gsize end = MIN (parser->problem_offset, length);

              for (gsize i = 0; i < end; i++)
                if (data[i] == '\n')
                  offset_mark.line++, offset_mark.column = 0;
                else if (((guchar) data[i] & 0xc0) != 0x80)
                  offset_mark.column++;
              where = &offset_mark;
            }
          if (parser->context != NULL)
            set_yaml_error (
                error, builder.filename, where, JOB_LOAD_ERROR_INVALID_YAML,
                "invalid YAML: %s %s (from line %u column %u)",
                parser->problem ? parser->problem : "error", parser->context,
                (guint) parser->context_mark.line + 1,
                (guint) parser->context_mark.column + 1);
          else
            set_yaml_error (error, builder.filename, where,
                            JOB_LOAD_ERROR_INVALID_YAML, "invalid YAML: %s",
                            parser->problem ? parser->problem : "error");
          ok = FALSE;
          break;
        }
      mark = &event.start_mark;

      switch (event.type)
        {
        case YAML_STREAM_END_EVENT:
          done = TRUE;
          break;
        case YAML_DOCUMENT_START_EVENT:
          if (++n_documents > 1)
            ok = set_yaml_error (error, builder.filename, mark,
                                 JOB_LOAD_ERROR_INVALID_YAML,
                                 "a file holds one YAML document, this is a "
                                 "second one");
          break;
        case YAML_SCALAR_EVENT:
          anchor = (const char *) event.data.scalar.anchor;
          node = node_new (JOB_NODE_SCALAR, builder.filename,
                           (guint) mark->line + 1, (guint) mark->column + 1);
          node->is_null = is_null_scalar (&event);
          node->scalar =
              node->is_null ? g_strdup ("")
                            : g_strndup ((const char *) event.data.scalar.value,
                                         event.data.scalar.length);
          if (!node->is_null
              && strlen (node->scalar) != event.data.scalar.length)
            {
              job_node_unref (node);
              ok = set_yaml_error (error, builder.filename, mark,
                                   JOB_LOAD_ERROR_INVALID_YAML,
                                   "a string holds a NUL character");
              break;
            }
          ok = builder_add (&builder, node, anchor, mark, error);
          break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
          {
            Frame frame = { 0 };

            if (builder.stack->len >= JOB_NODE_MAX_DEPTH)
              {
                ok = set_yaml_error (error, builder.filename, mark,
                                     JOB_LOAD_ERROR_INVALID_YAML,
                                     "collections nest deeper than %u levels",
                                     JOB_NODE_MAX_DEPTH);
                break;
              }
            if (builder.stack->len > 0)
              {
                Frame *parent = &g_array_index (builder.stack, Frame,
                                                builder.stack->len - 1);

                if (parent->node->type == JOB_NODE_MAPPING
                    && parent->pending_key == NULL)
                  {
                    ok = set_yaml_error (error, builder.filename, mark,
                                         JOB_LOAD_ERROR_INVALID_YAML,
                                         "a key must be a string");
                    break;
                  }
              }
            frame.node = node_new (event.type == YAML_SEQUENCE_START_EVENT
                                       ? JOB_NODE_SEQUENCE
                                       : JOB_NODE_MAPPING,
                                   builder.filename, (guint) mark->line + 1,
                                   (guint) mark->column + 1);
            /* The anchor is registered when the collection is complete, so
             * that an alias inside it is an error, not a cycle. */
            frame.anchor = g_strdup (
                (const char *) (event.type == YAML_SEQUENCE_START_EVENT
                                    ? event.data.sequence_start.anchor
                                    : event.data.mapping_start.anchor));
            g_array_append_val (builder.stack, frame);
            break;
          }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          {
            Frame *top =
                &g_array_index (builder.stack, Frame, builder.stack->len - 1);

            g_autofree char *frame_anchor = g_steal_pointer (&top->anchor);

            node = g_steal_pointer (&top->node);
            g_array_set_size (builder.stack, builder.stack->len - 1);
            ok = builder_add (&builder, node, frame_anchor, mark, error);
            break;
          }
        case YAML_ALIAS_EVENT:
          {
            JobNode *target = g_hash_table_lookup (
                builder.anchors, (const char *) event.data.alias.anchor);

            if (target == NULL)
              {
                ok = set_yaml_error (error, builder.filename, mark,
                                     JOB_LOAD_ERROR_INVALID_YAML,
                                     "alias “*%s” refers to no anchor",
                                     (const char *) event.data.alias.anchor);
                break;
              }
            builder.alias_nodes += count_nodes (target);
            if (builder.alias_nodes > JOB_NODE_MAX_ALIAS_NODES)
              {
                ok = set_yaml_error (error, builder.filename, mark,
                                     JOB_LOAD_ERROR_INVALID_YAML,
                                     "aliases expand to more than %u nodes",
                                     JOB_NODE_MAX_ALIAS_NODES);
                break;
              }
            ok = builder_add (&builder, job_node_copy (target), NULL, mark,
                              error);
            break;
          }
        case YAML_NO_EVENT:
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
        default:
          break;
        }
      yaml_event_delete (&event);
    }

  g_array_unref (builder.stack);
  g_hash_table_unref (builder.anchors);
  if (ok && builder.root == NULL)
    {
      builder.root = node_new (JOB_NODE_SCALAR, builder.filename, 1, 1);
      builder.root->is_null = TRUE;
      builder.root->scalar = g_strdup ("");
    }
  g_ref_string_release (builder.filename);
  if (!ok)
    {
      g_clear_pointer (&builder.root, job_node_unref);
      return NULL;
    }
  return builder.root;
}

/**
 * job_node_load_data:
 * @data: (array length=length) (element-type guint8): YAML text, UTF-8
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @display_name: (nullable): the name of the file in provenances
 * @error: return location for a #GError
 *
 * Parses one YAML document. An empty document is a null scalar at line 1,
 * column 1.
 *
 * Returns: (transfer full) (nullable): the root node, or %NULL with @error
 *   set (in %JOB_LOAD_ERROR, with libyaml's reason and position)
 */
JobNode *
job_node_load_data (const char *data,
                    gssize length,
                    const char *display_name,
                    GError **error)
{
  yaml_parser_t parser;
  JobNode *root;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  if (length < 0)
    length = (gssize) strlen (data);
  if (!yaml_parser_initialize (&parser))
    g_error ("Out of memory initializing a YAML parser");
  yaml_parser_set_input_string (
      &parser, (const unsigned char *) (data ? data : ""), (size_t) length);
  yaml_parser_set_encoding (&parser, YAML_UTF8_ENCODING);
  root = parse (&parser, data ? data : "", (gsize) length, display_name, error);
  yaml_parser_delete (&parser);
  return root;
}

/**
 * job_node_load_file:
 * @path: (type filename): the file to read
 * @display_name: (nullable): the name of the file in provenances, or
 *   %NULL to use @path
 * @error: return location for a #GError
 *
 * Reads and parses a YAML file; see [func@Job.Node.load_data].
 *
 * Returns: (transfer full) (nullable): the root node, or %NULL with @error
 *   set
 */
JobNode *
job_node_load_file (const char *path, const char *display_name, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  int fd;
  struct stat st;

  g_return_val_if_fail (path != NULL, NULL);
  if (display_name == NULL)
    display_name = path;
  /* Reading beats mapping here: projects are many small files, and every
   * unmap costs a TLB shootdown. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      int saved_errno = errno;
      gboolean is_dir = fd >= 0 && S_ISDIR (st.st_mode);

      if (fd >= 0)
        close (fd);
      g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_MISSING_FILE,
                   "%s: cannot read the file: %s", display_name,
                   is_dir ? "it is a directory" : g_strerror (saved_errno));
      return NULL;
    }
  job_inputs_note (path);
  contents = g_malloc ((gsize) st.st_size + 1);
  while (length < (gsize) st.st_size)
    {
      gssize n = read (fd, contents + length, (gsize) st.st_size - length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          close (fd);
          g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_MISSING_FILE,
                       "%s: cannot read the file: %s", display_name,
                       g_strerror (saved_errno));
          return NULL;
        }
      if (n == 0)
        break;
      length += (gsize) n;
    }
  close (fd);
  contents[length] = '\0';
  return job_node_load_data (contents, (gssize) length, display_name, error);
}

/* Files parsed once per process: the data directory's defaults, read for
 * every project and every kind.  An entry is reused while the file keeps its
 * identity, size and modification time. */
typedef struct
{
  dev_t dev;
  ino_t ino;
  off_t size;
  gint64 mtime_nsec;
  JobNode *root;
} CachedFile;

static void
cached_file_free (gpointer data)
{
  CachedFile *entry = data;

  job_node_unref (entry->root);
  g_free (entry);
}

G_LOCK_DEFINE_STATIC (file_cache);

/* Like job_node_load_file(), but a file already parsed by this process and
 * unchanged since is copied from memory.  The caller owns the copy alone.
 * Meant for files that rarely change and are read again and again, such as
 * the defaults under the data directory; @display_name must not depend on
 * the caller. */
JobNode *
job_node_load_file_cached (const char *path,
                           const char *display_name,
                           GError **error)
{
  static GHashTable *cache; /* path → CachedFile */
  g_autofree char *key =
      g_strdup_printf ("%s\n%s", path, display_name ? display_name : "");
  CachedFile *entry;
  struct stat st;
  JobNode *root;

  if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return job_node_load_file (path, display_name, error);

  G_LOCK (file_cache);
  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   cached_file_free);
  entry = g_hash_table_lookup (cache, key);
  if (entry != NULL && entry->dev == st.st_dev && entry->ino == st.st_ino
      && entry->size == st.st_size
      && entry->mtime_nsec
             == (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                    + st.st_mtim.tv_nsec)
    {
      root = job_node_copy (entry->root);
      G_UNLOCK (file_cache);
      job_inputs_note (path);
      return root;
    }
  G_UNLOCK (file_cache);

  root = job_node_load_file (path, display_name, error);
  if (root == NULL)
    return NULL;
  entry = g_new0 (CachedFile, 1);
  entry->dev = st.st_dev;
  entry->ino = st.st_ino;
  entry->size = st.st_size;
  entry->mtime_nsec =
      (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
      + st.st_mtim.tv_nsec;
  entry->root = job_node_copy (root);
  G_LOCK (file_cache);
  g_hash_table_replace (cache, g_steal_pointer (&key), entry);
  G_UNLOCK (file_cache);
  return root;
}

/* Composition -------------------------------------------------------------- */

static gboolean
is_list_directive (const char *key)
{
  return g_str_equal (key, "(>)") || g_str_equal (key, "(<)")
         || g_str_equal (key, "(=)");
}

/* Whether @self is a mapping of list directives only ((>), (<), (=)). */
gboolean
job_node_is_list_directive_mapping (JobNode *self, GError **error)
{
  gboolean directives = FALSE;
  gboolean keys = FALSE;

  if (self->type != JOB_NODE_MAPPING)
    return FALSE;
  for (guint i = 0; i < self->mapping.n_members; i++)
    {
      if (is_list_directive (self->mapping.members[i].key))
        directives = TRUE;
      else
        keys = TRUE;
    }
  if (directives && keys)
    {
      job_node_set_error (error, self, JOB_LOAD_ERROR_INVALID_DATA,
                          "a mapping holds list directives ((>), (<), (=)) "
                          "and other keys; use one or the other");
      return FALSE;
    }
  return directives;
}

static JobNode *
directive_list (JobNode *directives, const char *key, GError **error)
{
  JobNode *value = job_node_lookup (directives, key);

  if (value == NULL || job_node_is_null (value))
    return NULL;
  if (!job_node_check_type (value, JOB_NODE_SEQUENCE, error))
    return NULL;
  return value;
}

/* base list + overlay directives → a new list. */
static JobNode *
apply_directives (JobNode *base_list, JobNode *overlay, GError **error)
{
  JobNode *replace, *prepend, *append, *middle, *result;

  GError *local_error = NULL;

  replace = directive_list (overlay, "(=)", &local_error);
  if (local_error == NULL)
    prepend = directive_list (overlay, "(<)", &local_error);
  if (local_error == NULL)
    append = directive_list (overlay, "(>)", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  middle = replace != NULL ? replace : base_list;
  result = node_new (JOB_NODE_SEQUENCE, middle->filename, middle->line,
                     middle->column);
  if (prepend != NULL)
    for (guint i = 0; i < prepend->sequence.n_items; i++)
      job_node_append (result, prepend->sequence.items[i]);
  for (guint i = 0; i < middle->sequence.n_items; i++)
    job_node_append (result, middle->sequence.items[i]);
  if (append != NULL)
    for (guint i = 0; i < append->sequence.n_items; i++)
      job_node_append (result, append->sequence.items[i]);
  return result;
}

/* base directives + overlay directives → new directives, still waiting
 * for a list to apply to. */
static JobNode *
merge_directives (JobNode *base, JobNode *overlay, GError **error)
{
  g_autoptr (JobNode) result = job_node_shallow_copy (base);
  GError *local_error = NULL;
  JobNode *replace = directive_list (overlay, "(=)", &local_error);
  const char *keys[] = { "(<)", "(>)" };

  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (replace != NULL)
    {
      job_node_remove_member (result, "(<)");
      job_node_remove_member (result, "(>)");
      job_node_set_member (result, "(=)", replace);
    }
  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    {
      JobNode *add = directive_list (overlay, keys[k], &local_error);
      JobNode *existing;
      g_autoptr (JobNode) joined = NULL;

      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      if (add == NULL)
        continue;
      existing = directive_list (result, keys[k], NULL);
      joined =
          node_new (JOB_NODE_SEQUENCE, add->filename, add->line, add->column);
      if (k == 0)
        {
          for (guint i = 0; i < add->sequence.n_items; i++)
            job_node_append (joined, add->sequence.items[i]);
          for (guint i = 0; existing != NULL && i < existing->sequence.n_items;
               i++)
            job_node_append (joined, existing->sequence.items[i]);
        }
      else
        {
          for (guint i = 0; existing != NULL && i < existing->sequence.n_items;
               i++)
            job_node_append (joined, existing->sequence.items[i]);
          for (guint i = 0; i < add->sequence.n_items; i++)
            job_node_append (joined, add->sequence.items[i]);
        }
      job_node_set_member (result, keys[k], joined);
    }
  return g_steal_pointer (&result);
}

static JobNode *
composite_mapping (JobNode *base, JobNode *overlay, GError **error);

/* The value of a key once @overlay_value is composed over @base_value
 * (either may be NULL for "absent" but not both). */
static JobNode *
composite_value (JobNode *base_value,
                 JobNode *overlay_value,
                 const char *key,
                 GError **error)
{
  GError *local_error = NULL;
  gboolean overlay_directives;

  if (base_value == NULL || job_node_is_null (base_value))
    return job_node_ref (overlay_value);

  overlay_directives =
      job_node_is_list_directive_mapping (overlay_value, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }

  if (overlay_value->type == JOB_NODE_SEQUENCE)
    {
      gboolean base_directives =
          job_node_is_list_directive_mapping (base_value, NULL);

      if (base_value->type != JOB_NODE_SEQUENCE && !base_directives)
        goto illegal;
      if (g_str_equal (key, "(?)") && base_value->type == JOB_NODE_SEQUENCE)
        {
          JobNode *joined = job_node_shallow_copy (base_value);

          for (guint i = 0; i < overlay_value->sequence.n_items; i++)
            job_node_append (joined, overlay_value->sequence.items[i]);
          return joined;
        }
      return job_node_ref (overlay_value);
    }
  if (overlay_directives)
    {
      if (base_value->type == JOB_NODE_SEQUENCE)
        return apply_directives (base_value, overlay_value, error);
      if (job_node_is_list_directive_mapping (base_value, NULL))
        return merge_directives (base_value, overlay_value, error);
      goto illegal;
    }
  if (overlay_value->type == JOB_NODE_MAPPING)
    {
      if (base_value->type != JOB_NODE_MAPPING)
        goto illegal;
      return composite_mapping (base_value, overlay_value, error);
    }
  /* A scalar (or null) overlay. */
  if (base_value->type != JOB_NODE_SCALAR && !job_node_is_null (overlay_value))
    goto illegal;
  return job_node_ref (overlay_value);

illegal:
  {
    g_autofree char *where = job_node_dup_provenance (overlay_value);
    g_autofree char *base_where = job_node_dup_provenance (base_value);

    g_set_error (error, JOB_LOAD_ERROR, JOB_LOAD_ERROR_ILLEGAL_COMPOSITE,
                 "%s: “%s” is %s here but %s at %s; a value can only be "
                 "replaced by one of the same type",
                 where, key, job_node_describe_type (overlay_value),
                 job_node_describe_type (base_value), base_where);
    return NULL;
  }
}

static JobNode *
composite_mapping (JobNode *base, JobNode *overlay, GError **error)
{
  g_autoptr (JobNode) result = job_node_shallow_copy (base);

  for (guint i = 0; i < overlay->mapping.n_members; i++)
    {
      const JobNodeMember *member = &overlay->mapping.members[i];
      JobNode *value;
      int at = job_node_find_member (result, member->key);

      value =
          composite_value (at >= 0 ? result->mapping.members[at].value : NULL,
                           member->value, member->key, error);
      if (value == NULL)
        return NULL;
      job_node_set_member_full (result, member->key, member->line,
                                member->column, value);
    }
  return g_steal_pointer (&result);
}

/**
 * job_node_composite:
 * @base: a mapping
 * @overlay: a mapping to compose over @base
 * @error: return location for a #GError
 *
 * Composes @overlay over @base as BuildStream does: keys of @overlay replace
 * those of @base, mappings compose recursively, a list replaces a list, and
 * a mapping of list directives edits the list below it: `(>)` appends, `(<)`
 * prepends, `(=)` replaces. Neither argument is modified; the result shares
 * the values that did not change with them.
 *
 * Returns: (transfer full) (nullable): the composition, or %NULL with
 *   @error set when a value would be replaced by one of another type
 */
JobNode *
job_node_composite (JobNode *base, JobNode *overlay, GError **error)
{
  g_return_val_if_fail (base != NULL, NULL);
  g_return_val_if_fail (overlay != NULL, NULL);
  if (!job_node_check_type (base, JOB_NODE_MAPPING, error)
      || !job_node_check_type (overlay, JOB_NODE_MAPPING, error))
    return NULL;
  return composite_mapping (base, overlay, error);
}

/**
 * job_node_check_final:
 * @self: a node
 * @error: return location for a #GError
 *
 * Checks that no list directive is left in @self, once everything was
 * composed: a `(>)`, `(<)` or `(=)` that found no list to apply to.
 *
 * Returns: %TRUE if none is left, %FALSE with @error set
 */
gboolean
job_node_check_final (JobNode *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->type == JOB_NODE_MAPPING)
    {
      for (guint i = 0; i < self->mapping.n_members; i++)
        {
          if (is_list_directive (self->mapping.members[i].key))
            {
              g_autofree char *where = job_node_dup_member_provenance (self, i);

              g_set_error (error, JOB_LOAD_ERROR,
                           JOB_LOAD_ERROR_TRAILING_LIST_DIRECTIVE,
                           "%s: “%s” edits a list but there is no list "
                           "below it to edit",
                           where, self->mapping.members[i].key);
              return FALSE;
            }
          if (!job_node_check_final (self->mapping.members[i].value, error))
            return FALSE;
        }
    }
  else if (self->type == JOB_NODE_SEQUENCE)
    {
      for (guint i = 0; i < self->sequence.n_items; i++)
        if (!job_node_check_final (self->sequence.items[i], error))
          return FALSE;
    }
  return TRUE;
}

/* Dumping ------------------------------------------------------------------ */

static int
write_to_string (void *data, unsigned char *buffer, size_t size)
{
  g_string_append_len (data, (const char *) buffer, (gssize) size);
  return 1;
}

static int
compare_members (gconstpointer a, gconstpointer b)
{
  const JobNodeMember *ma = *(const JobNodeMember *const *) a;
  const JobNodeMember *mb = *(const JobNodeMember *const *) b;

  return strcmp (ma->key, mb->key);
}

static void
emit_scalar (yaml_emitter_t *emitter, const char *value, gboolean is_null)
{
  yaml_event_t event;
  yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

  if (is_null)
    style = YAML_PLAIN_SCALAR_STYLE;
  else if (strchr (value, '\n') != NULL)
    style = YAML_LITERAL_SCALAR_STYLE;
  /* libyaml would write these plain, and they would read back as null (a
   * key that is null is an error): the strings must stay quoted. */
  else if (*value == '\0' || g_str_equal (value, "~")
           || g_str_equal (value, "null") || g_str_equal (value, "Null")
           || g_str_equal (value, "NULL"))
    style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
  yaml_scalar_event_initialize (&event, NULL, NULL,
                                (yaml_char_t *) (is_null ? "~" : value), -1, 1,
                                1, style);
  yaml_emitter_emit (emitter, &event);
}

static void
emit_node (yaml_emitter_t *emitter, JobNode *node, gboolean sort_keys)
{
  yaml_event_t event;

  switch (node->type)
    {
    case JOB_NODE_SCALAR:
      emit_scalar (emitter, node->scalar, node->is_null);
      break;
    case JOB_NODE_SEQUENCE:
      yaml_sequence_start_event_initialize (&event, NULL, NULL, 1,
                                            YAML_BLOCK_SEQUENCE_STYLE);
      yaml_emitter_emit (emitter, &event);
      for (guint i = 0; i < node->sequence.n_items; i++)
        emit_node (emitter, node->sequence.items[i], sort_keys);
      yaml_sequence_end_event_initialize (&event);
      yaml_emitter_emit (emitter, &event);
      break;
    case JOB_NODE_MAPPING:
      {
        g_autoptr (GPtrArray) members = g_ptr_array_new ();

        for (guint i = 0; i < node->mapping.n_members; i++)
          g_ptr_array_add (members, &node->mapping.members[i]);
        if (sort_keys)
          g_ptr_array_sort (members, compare_members);
        yaml_mapping_start_event_initialize (&event, NULL, NULL, 1,
                                             YAML_BLOCK_MAPPING_STYLE);
        yaml_emitter_emit (emitter, &event);
        for (guint i = 0; i < members->len; i++)
          {
            const JobNodeMember *member = members->pdata[i];

            emit_scalar (emitter, member->key, FALSE);
            emit_node (emitter, member->value, sort_keys);
          }
        yaml_mapping_end_event_initialize (&event);
        yaml_emitter_emit (emitter, &event);
        break;
      }
    default:
      g_assert_not_reached ();
    }
}

/**
 * job_node_to_yaml:
 * @self: a node
 * @sort_keys: whether to write the keys of mappings sorted rather than in
 *   file order
 *
 * Writes @self as a YAML document in block style.
 *
 * Returns: (transfer full): the YAML text
 */
char *
job_node_to_yaml (JobNode *self, gboolean sort_keys)
{
  yaml_emitter_t emitter;
  yaml_event_t event;
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  yaml_emitter_initialize (&emitter);
  yaml_emitter_set_output (&emitter, write_to_string, out);
  yaml_emitter_set_unicode (&emitter, 1);
  yaml_emitter_set_width (&emitter, -1);
  yaml_stream_start_event_initialize (&event, YAML_UTF8_ENCODING);
  yaml_emitter_emit (&emitter, &event);
  yaml_document_start_event_initialize (&event, NULL, NULL, NULL, 1);
  yaml_emitter_emit (&emitter, &event);
  if (self->type == JOB_NODE_MAPPING && self->mapping.n_members == 0)
    {
      yaml_mapping_start_event_initialize (&event, NULL, NULL, 1,
                                           YAML_FLOW_MAPPING_STYLE);
      yaml_emitter_emit (&emitter, &event);
      yaml_mapping_end_event_initialize (&event);
      yaml_emitter_emit (&emitter, &event);
    }
  else
    emit_node (&emitter, self, sort_keys);
  yaml_document_end_event_initialize (&event, 1);
  yaml_emitter_emit (&emitter, &event);
  yaml_stream_end_event_initialize (&event);
  yaml_emitter_emit (&emitter, &event);
  yaml_emitter_flush (&emitter);
  yaml_emitter_delete (&emitter);
  return g_string_free (out, FALSE);
}

/* Pickling ----------------------------------------------------------------- */

/* A node travels as a flat pre-order table so that deep trees do not nest
 * GVariants: (filenames, [(type, null, file, line, column, key, key line,
 * key column, scalar, n children)]). */
#define NODE_RECORD "(ybuuusuusu)"
#define NODE_VARIANT "(asa" NODE_RECORD ")"
/* NODE_RECORD for g_variant_get: strings borrowed from the variant. */
#define NODE_RECORD_BORROWED "(ybuuu&suu&su)"

static void
encode_node (JobNode *node,
             const char *key,
             guint key_line,
             guint key_column,
             GHashTable *files,
             GPtrArray *file_list,
             GVariantBuilder *records)
{
  gpointer file_index;
  guint n_children = 0;
  const char *filename = node->filename != NULL ? node->filename : "";

  if (!g_hash_table_lookup_extended (files, filename, NULL, &file_index))
    {
      file_index = GUINT_TO_POINTER (file_list->len);
      g_ptr_array_add (file_list, (gpointer) filename);
      g_hash_table_insert (files, (gpointer) filename, file_index);
    }
  if (node->type == JOB_NODE_MAPPING)
    n_children = node->mapping.n_members;
  else if (node->type == JOB_NODE_SEQUENCE)
    n_children = node->sequence.n_items;
  g_variant_builder_add (
      records, NODE_RECORD, (guchar) node->type, (gboolean) node->is_null,
      GPOINTER_TO_UINT (file_index), node->line, node->column, key, key_line,
      key_column, node->type == JOB_NODE_SCALAR ? node->scalar : "",
      n_children);
  if (node->type == JOB_NODE_MAPPING)
    for (guint i = 0; i < node->mapping.n_members; i++)
      encode_node (node->mapping.members[i].value, node->mapping.members[i].key,
                   node->mapping.members[i].line,
                   node->mapping.members[i].column, files, file_list, records);
  else if (node->type == JOB_NODE_SEQUENCE)
    for (guint i = 0; i < node->sequence.n_items; i++)
      encode_node (node->sequence.items[i], "", 0, 0, files, file_list,
                   records);
}

static GVariant *
node_encode (const GValue *value, gpointer user_data, GError **error)
{
  JobNode *node = g_value_get_boxed (value);
  g_autoptr (GHashTable) files = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) file_list = g_ptr_array_new ();
  GVariantBuilder records;

  if (node == NULL)
    return g_variant_new (NODE_VARIANT, NULL, NULL);
  g_variant_builder_init (&records, G_VARIANT_TYPE ("a" NODE_RECORD));
  encode_node (node, "", 0, 0, files, file_list, &records);
  g_ptr_array_add (file_list, NULL);
  return g_variant_new ("(^as@a" NODE_RECORD ")", (char **) file_list->pdata,
                        g_variant_builder_end (&records));
}

typedef struct
{
  JobNode *node;
  guint remaining;
} DecodeFrame;

static gboolean
node_decode (GVariant *variant,
             GValue *value,
             gpointer user_data,
             GError **error)
{
  g_autoptr (GVariant) files = NULL;
  g_autoptr (GVariant) records = NULL;
  g_autoptr (GArray) stack = NULL;
  g_autoptr (GPtrArray) filenames = NULL;
  JobNode *root = NULL;
  gsize n_files, n_records;

  if (!g_variant_is_of_type (variant, G_VARIANT_TYPE (NODE_VARIANT)))
    {
      g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
                   "A JobNode is encoded as “%s”, not “%s”", NODE_VARIANT,
                   g_variant_get_type_string (variant));
      return FALSE;
    }
  files = g_variant_get_child_value (variant, 0);
  records = g_variant_get_child_value (variant, 1);
  n_files = g_variant_n_children (files);
  n_records = g_variant_n_children (records);
  if (n_records == 0)
    {
      g_value_set_boxed (value, NULL);
      return TRUE;
    }
  filenames =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_ref_string_release);
  for (gsize i = 0; i < n_files; i++)
    {
      const char *name;

      g_variant_get_child (files, i, "&s", &name);
      g_ptr_array_add (filenames, g_ref_string_new_intern (name));
    }
  stack = g_array_new (FALSE, FALSE, sizeof (DecodeFrame));
  for (gsize i = 0; i < n_records; i++)
    {
      guchar type;
      gboolean is_null;
      guint file, line, column, key_line, key_column, n_children;
      const char *key, *scalar;
      JobNode *node;
      DecodeFrame *parent = NULL;

      /* Borrowed strings (&s): the record owns them. */
      g_variant_get_child (records, i, "(ybuuu&suu&su)", &type, &is_null, &file,
                           &line, &column, &key, &key_line, &key_column,
                           &scalar, &n_children);
      if (type > JOB_NODE_SEQUENCE || file >= n_files
          || (type == JOB_NODE_SCALAR && n_children != 0)
          || n_children > n_records - i - 1 || (i > 0 && stack->len == 0)
          || (i == 0 && *key != '\0') || stack->len >= JOB_NODE_MAX_DEPTH * 4)
        {
          g_clear_pointer (&root, job_node_unref);
          g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
                       "A JobNode's record %" G_GSIZE_FORMAT " is invalid", i);
          return FALSE;
        }
      node = node_new (type, filenames->pdata[file], line, column);
      node->is_null = type == JOB_NODE_SCALAR && is_null;
      if (type == JOB_NODE_SCALAR)
        node->scalar = g_strdup (scalar);
      if (stack->len > 0)
        {
          parent = &g_array_index (stack, DecodeFrame, stack->len - 1);
          if (parent->node->type == JOB_NODE_MAPPING)
            {
              if (job_node_find_member (parent->node, key) >= 0)
                {
                  job_node_unref (node);
                  g_clear_pointer (&root, job_node_unref);
                  g_set_error (error, JOB_PICKLE_ERROR,
                               JOB_PICKLE_ERROR_INVALID,
                               "A JobNode mapping repeats the key “%s”", key);
                  return FALSE;
                }
              job_node_set_member_full (parent->node, key, key_line, key_column,
                                        node);
            }
          else
            {
              sequence_reserve (parent->node,
                                parent->node->sequence.n_items + 1);
              parent->node->sequence.items[parent->node->sequence.n_items++] =
                  node;
            }
          parent->remaining--;
        }
      else
        root = node;
      if (n_children > 0)
        {
          DecodeFrame frame = { node, n_children };

          g_array_append_val (stack, frame);
        }
      while (stack->len > 0
             && g_array_index (stack, DecodeFrame, stack->len - 1).remaining
                    == 0)
        g_array_set_size (stack, stack->len - 1);
    }
  if (stack->len != 0)
    {
      g_clear_pointer (&root, job_node_unref);
      g_set_error (error, JOB_PICKLE_ERROR, JOB_PICKLE_ERROR_INVALID,
                   "A JobNode's records end early");
      return FALSE;
    }
  g_value_take_boxed (value, root);
  return TRUE;
}

static void
checksum_string (GChecksum *checksum, char tag, const char *text)
{
  gsize len = strlen (text);
  guint64 len64 = GUINT64_TO_LE ((guint64) len);

  g_checksum_update (checksum, (const guchar *) &tag, 1);
  g_checksum_update (checksum, (const guchar *) &len64, sizeof len64);
  g_checksum_update (checksum, (const guchar *) text, len);
}

/* Feeds what @self holds (not where it came from) into @checksum: scalars
 * and nulls, sequences in order, mappings by sorted key. Unambiguous: every
 * part is tagged and counted. Recursion is bounded by JOB_NODE_MAX_DEPTH. */
void
job_node_checksum (JobNode *self, GChecksum *checksum)
{
  if (self == NULL || self->is_null)
    {
      g_checksum_update (checksum, (const guchar *) "~", 1);
      return;
    }
  switch (self->type)
    {
    case JOB_NODE_SCALAR:
      checksum_string (checksum, 's', self->scalar);
      break;
    case JOB_NODE_SEQUENCE:
      checksum_string (checksum, '[', "");
      for (guint i = 0; i < self->sequence.n_items; i++)
        job_node_checksum (self->sequence.items[i], checksum);
      g_checksum_update (checksum, (const guchar *) "]", 1);
      break;
    case JOB_NODE_MAPPING:
    default:
      {
        JobNodeMember *small[16];
        g_autofree JobNodeMember **heap = NULL;
        JobNodeMember **sorted =
            self->mapping.n_members <= G_N_ELEMENTS (small)
                ? small
                : (heap = g_new (JobNodeMember *, self->mapping.n_members));

        for (guint i = 0; i < self->mapping.n_members; i++)
          sorted[i] = &self->mapping.members[i];
        qsort (sorted, self->mapping.n_members, sizeof (JobNodeMember *),
               compare_members);
        checksum_string (checksum, '{', "");
        for (guint i = 0; i < self->mapping.n_members; i++)
          {
            checksum_string (checksum, 'k', sorted[i]->key);
            job_node_checksum (sorted[i]->value, checksum);
          }
        g_checksum_update (checksum, (const guchar *) "}", 1);
      }
      break;
    }
}

void
job_node_scalars_to_arrays (JobNode *node, GPtrArray *names, GPtrArray *values)
{
  guint n = node != NULL ? job_node_get_n_members (node) : 0;

  for (guint i = 0; i < n; i++)
    {
      JobNode *value = job_node_get_member_value (node, i);

      if (job_node_get_node_type (value) != JOB_NODE_SCALAR)
        continue;
      g_ptr_array_add (names, (gpointer) job_node_get_member_key (node, i));
      g_ptr_array_add (values, (gpointer) (job_node_get_scalar (value)
                                               ? job_node_get_scalar (value)
                                               : ""));
    }
  g_ptr_array_add (names, NULL);
  g_ptr_array_add (values, NULL);
}
