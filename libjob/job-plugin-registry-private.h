/* job-plugin-registry-private.h: making plugin instances from specs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "job-node.h"
#include "job-plugin-registry.h"
#include "job-source-spec.h"
#include "job-source.h"

G_BEGIN_DECLS

GObject *job_plugin_registry_make (JobPluginRegistry *self,
                                   JobPluginType plugin_type,
                                   const char *kind,
                                   const char *name,
                                   JobNode *config,
                                   JobNode *variables,
                                   const char *project_directory,
                                   const char *provenance,
                                   GError **error);

JobSource *job_plugin_registry_make_source (JobPluginRegistry *self,
                                            JobSourceSpec *spec,
                                            const char *name,
                                            JobNode *variables,
                                            const char *project_directory,
                                            const char *cache_root,
                                            GError **error);

G_END_DECLS
