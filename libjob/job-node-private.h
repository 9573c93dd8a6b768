/* job-node-private.h: internal API of JobNode
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "job-node.h"
#include "job-load-error.h"

G_BEGIN_DECLS

/* How deep collections may nest in a file; deeper input is refused so that
 * the (recursive) tree operations stay within a small stack. */
#define JOB_NODE_MAX_DEPTH 256

/* How many nodes the aliases of one file may create, against the "billion
 * laughs" blow-up. */
#define JOB_NODE_MAX_ALIAS_NODES 1000000

const char *job_node_describe_type (JobNode *self);
void job_node_checksum (JobNode *self, GChecksum *checksum);
char *
job_node_format_provenance (const char *filename, guint line, guint column);
void job_node_set_error (GError **error,
                         JobNode *node,
                         int code,
                         const char *format,
                         ...) G_GNUC_PRINTF (4, 5);
char *job_node_dup_member_provenance (JobNode *self, guint index_);
int job_node_find_member (JobNode *self, const char *key);
JobNode *job_node_shallow_copy (JobNode *self);
void job_node_set_member_at (JobNode *self, guint index_, JobNode *value);
void job_node_set_member_full (JobNode *self,
                               const char *key,
                               guint key_line,
                               guint key_column,
                               JobNode *value);
/* Appends a key known to be new, taken from another node (a GRefString). */
void job_node_append_member (JobNode *self,
                             const char *interned_key,
                             guint key_line,
                             guint key_column,
                             JobNode *value);
/* Makes room for @n members in all, so appending them does not regrow. */
void job_node_reserve_members (JobNode *self, guint n);
void job_node_get_member_position (JobNode *self,
                                   guint index_,
                                   guint *line,
                                   guint *column);
gboolean job_node_is_list_directive_mapping (JobNode *self, GError **error);
gboolean job_node_is_shared (JobNode *self);
/* The scalar members of a mapping as parallel NULL-terminated arrays of
 * keys and values (a null value as ""), borrowed from @node. */
void
job_node_scalars_to_arrays (JobNode *node, GPtrArray *names, GPtrArray *values);
JobNode *job_node_load_file_cached (const char *path,
                                    const char *display_name,
                                    GError **error);

G_END_DECLS
