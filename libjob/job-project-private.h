/* job-project-private.h: what the loader needs of a project
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "job-project.h"

G_BEGIN_DECLS

/* Applies (?) conditionals, (!) assertions and (@) includes at every level
 * of @node; returns the processed tree (sharing what did not change). */
JobNode *
job_project_process_node (JobProject *self, JobNode *node, GError **error);
/* The plugin defaults of an element kind, with the project's `elements:`
 * override composed over them; @where is the node naming the kind. */
JobNode *job_project_get_element_defaults (JobProject *self,
                                           const char *kind,
                                           JobNode *where,
                                           GError **error);
JobNode *job_project_get_source_defaults (JobProject *self,
                                          const char *kind,
                                          JobNode *where,
                                          GError **error);
JobNode *job_project_get_environment_nocache (JobProject *self);
JobNode *job_project_get_split_rules (JobProject *self);
guint job_project_get_max_jobs (JobProject *self);
/* ref-storage: project.refs, and what that file holds for one source. */
gboolean job_project_uses_project_refs (JobProject *self);
JobNode *job_project_lookup_ref (JobProject *self,
                                 const char *element,
                                 guint index,
                                 GError **error);

G_END_DECLS
