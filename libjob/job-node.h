/* job-node.h: a YAML tree whose every value knows where it came from
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
 * JobNodeType:
 * @JOB_NODE_SCALAR: a scalar: a string, or null (see [method@Job.Node.is_null])
 * @JOB_NODE_MAPPING: a mapping of string keys to nodes, in file order
 * @JOB_NODE_SEQUENCE: a list of nodes
 *
 * What a [struct@Job.Node] holds.
 */
typedef enum
{
  JOB_NODE_SCALAR,
  JOB_NODE_MAPPING,
  JOB_NODE_SEQUENCE,
} JobNodeType;

#define JOB_TYPE_NODE (job_node_get_type ())

/**
 * JobNode:
 *
 * One value of a YAML document: a mapping, a sequence or a scalar, with its
 * provenance (the file, line and column it was read from).
 *
 * Nodes are reference counted. A node shared between several owners (the
 * defaults composed into many elements, for example) must not be modified;
 * [method@Job.Node.composite] never modifies its arguments and shares unchanged
 * values between its inputs and its result.
 * Several threads may read the same node at once.
 *
 * The typed accessors fail with a #GError in the %JOB_LOAD_ERROR domain
 * whose message starts with the provenance, as in
 * `element.bst [line 3 column 5]: expected a list, got a mapping`.
 *
 * #JobNode has a pickle codec: a node (and everything below it, with its
 * provenance) travels inside pickles.
 */
typedef struct _JobNode JobNode;

JOB_AVAILABLE_IN_ALL
GType job_node_get_type (void) G_GNUC_CONST;

JOB_AVAILABLE_IN_ALL
JobNode *job_node_new_scalar (const char *value,
                              const char *filename,
                              guint line,
                              guint column);
JOB_AVAILABLE_IN_ALL
JobNode *job_node_new_mapping (const char *filename, guint line, guint column);
JOB_AVAILABLE_IN_ALL
JobNode *job_node_new_sequence (const char *filename, guint line, guint column);
JOB_AVAILABLE_IN_ALL
JobNode *
job_node_load_file (const char *path, const char *display_name, GError **error);
JOB_AVAILABLE_IN_ALL
JobNode *job_node_load_data (const char *data,
                             gssize length,
                             const char *display_name,
                             GError **error);

JOB_AVAILABLE_IN_ALL
JobNode *job_node_ref (JobNode *self);
JOB_AVAILABLE_IN_ALL
void job_node_unref (JobNode *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_node_copy (JobNode *self);

JOB_AVAILABLE_IN_ALL
JobNodeType job_node_get_node_type (JobNode *self);
JOB_AVAILABLE_IN_ALL
const char *job_node_get_filename (JobNode *self);
JOB_AVAILABLE_IN_ALL
guint job_node_get_line (JobNode *self);
JOB_AVAILABLE_IN_ALL
guint job_node_get_column (JobNode *self);
JOB_AVAILABLE_IN_ALL
char *job_node_dup_provenance (JobNode *self);

JOB_AVAILABLE_IN_ALL
gboolean job_node_is_null (JobNode *self);
JOB_AVAILABLE_IN_ALL
const char *job_node_get_scalar (JobNode *self);

JOB_AVAILABLE_IN_ALL
guint job_node_get_n_members (JobNode *self);
JOB_AVAILABLE_IN_ALL
const char *job_node_get_member_key (JobNode *self, guint index_);
JOB_AVAILABLE_IN_ALL
JobNode *job_node_get_member_value (JobNode *self, guint index_);
JOB_AVAILABLE_IN_ALL
char **job_node_dup_keys (JobNode *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_node_lookup (JobNode *self, const char *key);
JOB_AVAILABLE_IN_ALL
void job_node_set_member (JobNode *self, const char *key, JobNode *value);
JOB_AVAILABLE_IN_ALL
gboolean job_node_remove_member (JobNode *self, const char *key);

JOB_AVAILABLE_IN_ALL
guint job_node_get_n_items (JobNode *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_node_get_item (JobNode *self, guint index_);
JOB_AVAILABLE_IN_ALL
void job_node_append (JobNode *self, JobNode *item);

JOB_AVAILABLE_IN_ALL
gboolean
job_node_check_type (JobNode *self, JobNodeType expected, GError **error);
JOB_AVAILABLE_IN_ALL
const char *job_node_as_string (JobNode *self, GError **error);
JOB_AVAILABLE_IN_ALL
gboolean
job_node_as_boolean (JobNode *self, gboolean *out_value, GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_node_as_int64 (JobNode *self, gint64 *out_value, GError **error);
JOB_AVAILABLE_IN_ALL
char **job_node_as_string_list (JobNode *self, GError **error);

JOB_AVAILABLE_IN_ALL
JobNode *job_node_require (JobNode *self, const char *key, GError **error);
JOB_AVAILABLE_IN_ALL
const char *job_node_get_string (JobNode *self,
                                 const char *key,
                                 const char *default_value,
                                 GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_node_get_boolean (JobNode *self,
                               const char *key,
                               gboolean default_value,
                               gboolean *out_value,
                               GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_node_get_int64 (JobNode *self,
                             const char *key,
                             gint64 default_value,
                             gint64 *out_value,
                             GError **error);
JOB_AVAILABLE_IN_ALL
JobNode *job_node_get_mapping (JobNode *self, const char *key, GError **error);
JOB_AVAILABLE_IN_ALL
JobNode *job_node_get_sequence (JobNode *self, const char *key, GError **error);
JOB_AVAILABLE_IN_ALL
char **
job_node_get_string_list (JobNode *self, const char *key, GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_node_validate_keys (JobNode *self,
                                 const char *const *valid_keys,
                                 GError **error);

JOB_AVAILABLE_IN_ALL
JobNode *job_node_composite (JobNode *base, JobNode *overlay, GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_node_check_final (JobNode *self, GError **error);
JOB_AVAILABLE_IN_ALL
char *job_node_to_yaml (JobNode *self, gboolean sort_keys);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JobNode, job_node_unref)

G_END_DECLS
