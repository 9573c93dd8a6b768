/* job-source-spec.h: what a project says about one source of an element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <glib-object.h>

#include "job-node.h"
#include "job-version-macros.h"

G_BEGIN_DECLS

#define JOB_TYPE_SOURCE_SPEC (job_source_spec_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (JobSourceSpec, job_source_spec, JOB, SOURCE_SPEC, GObject)

JOB_AVAILABLE_IN_ALL
const char *job_source_spec_get_kind (JobSourceSpec *self);
JOB_AVAILABLE_IN_ALL
const char *job_source_spec_get_directory (JobSourceSpec *self);
JOB_AVAILABLE_IN_ALL
const char *job_source_spec_get_provenance (JobSourceSpec *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_source_spec_get_config (JobSourceSpec *self);

G_END_DECLS
