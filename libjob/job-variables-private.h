/* job-variables-private.h: %{name} variables of an element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "job-node.h"

G_BEGIN_DECLS

typedef struct _JobVariables JobVariables;

/* Resolves every variable of @mapping (string keys to scalar nodes).
 * Fails on a reference to an undefined variable or a cycle, naming the
 * provenance of the reference (and every hop of a cycle). */
JobVariables *job_variables_new (JobNode *mapping, GError **error);
JobVariables *job_variables_new_with_template (JobNode *mapping,
                                               JobVariables *template,
                                               GError **error);
void job_variables_free (JobVariables *self);
const char *job_variables_get (JobVariables *self, const char *name);
/* Expands the %{name} references of a string that comes from @node. */
char *job_variables_expand (JobVariables *self,
                            const char *text,
                            JobNode *node,
                            GError **error);
/* A copy of @node where every scalar is expanded. */
JobNode *job_variables_expand_node (JobVariables *self,
                                    JobNode *node,
                                    GHashTable *memo,
                                    GError **error);
/* Checks the references of every scalar below @node without keeping the
 * result. */
gboolean
job_variables_check_node (JobVariables *self, JobNode *node, GError **error);
/* The resolved variables as a mapping of scalars, with the provenance of
 * their definitions. */
JobNode *job_variables_to_node (JobVariables *self, GHashTable *memo);
/* A memo for the two functions above: it maps a node to its last
 * expansion, so that elements whose expansions are equal share them. */
GHashTable *job_variables_memo_new (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JobVariables, job_variables_free)

G_END_DECLS
