/* job-element-spec.h: what a project says about one element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-node.h"
#include "job-version-macros.h"

G_BEGIN_DECLS

#define JOB_TYPE_ELEMENT_SPEC (job_element_spec_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (
    JobElementSpec, job_element_spec, JOB, ELEMENT_SPEC, GObject)

JOB_AVAILABLE_IN_ALL
const char *job_element_spec_get_name (JobElementSpec *self);
JOB_AVAILABLE_IN_ALL
const char *job_element_spec_get_kind (JobElementSpec *self);
JOB_AVAILABLE_IN_ALL
const char *job_element_spec_get_description (JobElementSpec *self);
JOB_AVAILABLE_IN_ALL
const char *job_element_spec_get_provenance (JobElementSpec *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_element_spec_get_config (JobElementSpec *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_element_spec_get_variables (JobElementSpec *self);
JOB_AVAILABLE_IN_ALL
const char *job_element_spec_get_variable (JobElementSpec *self,
                                           const char *name);
JOB_AVAILABLE_IN_ALL
JobNode *job_element_spec_get_environment (JobElementSpec *self);
JOB_AVAILABLE_IN_ALL
const char *const *
job_element_spec_get_environment_nocache (JobElementSpec *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_element_spec_get_public (JobElementSpec *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_element_spec_get_sandbox (JobElementSpec *self);
JOB_AVAILABLE_IN_ALL
GListModel *job_element_spec_get_sources (JobElementSpec *self);
JOB_AVAILABLE_IN_ALL
const char *const *
job_element_spec_get_build_dependencies (JobElementSpec *self);
JOB_AVAILABLE_IN_ALL
const char *const *
job_element_spec_get_runtime_dependencies (JobElementSpec *self);

G_END_DECLS
