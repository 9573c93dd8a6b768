/* job-build-element.h: the base class of command-list elements
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include "job-element.h"

G_BEGIN_DECLS

#define JOB_TYPE_BUILD_ELEMENT (job_build_element_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (
    JobBuildElement, job_build_element, JOB, BUILD_ELEMENT, JobElement)

/**
 * JobBuildElementClass:
 * @parent_class: the parent class
 *
 * The class of [class@Job.BuildElement].
 */
struct _JobBuildElementClass
{
  JobElementClass parent_class;

  /*< private >*/
  gpointer padding[4];
};

G_END_DECLS
