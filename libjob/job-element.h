/* job-element.h: the base class of element plugins
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-plugin.h"
#include "job-sandbox.h"

G_BEGIN_DECLS

typedef struct _JobBuildContext JobBuildContext;

#define JOB_TYPE_ELEMENT (job_element_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (JobElement, job_element, JOB, ELEMENT, JobPlugin)

/**
 * JobElementClass:
 * @parent_class: the parent class
 * @configure_sandbox: adjusts the sandbox the element's commands run in
 * @stage: stages the dependencies and the sources into the build root
 * @assemble: runs the element's commands; returns the host path of the
 *   directory whose contents become the artifact
 *
 * The virtual methods of [class@Job.Element]. They run in a worker.
 */
struct _JobElementClass
{
  JobPluginClass parent_class;

  gboolean (*configure_sandbox) (JobElement *self,
                                 JobSandbox *sandbox,
                                 GError **error);
  gboolean (*stage) (JobElement *self,
                     JobBuildContext *context,
                     GCancellable *cancellable,
                     GError **error);
  char *(*assemble) (JobElement *self,
                     JobBuildContext *context,
                     GCancellable *cancellable,
                     GError **error);

  /*< private >*/
  gpointer padding[8];
};

JOB_AVAILABLE_IN_ALL
GListModel *job_element_get_sources (JobElement *self);
JOB_AVAILABLE_IN_ALL
const char *const *job_element_get_environment (JobElement *self);
JOB_AVAILABLE_IN_ALL
JobNode *job_element_get_public (JobElement *self);
JOB_AVAILABLE_IN_ALL
gboolean job_element_configure_sandbox (JobElement *self,
                                        JobSandbox *sandbox,
                                        GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_element_stage (JobElement *self,
                            JobBuildContext *context,
                            GCancellable *cancellable,
                            GError **error);
JOB_AVAILABLE_IN_ALL
char *job_element_assemble (JobElement *self,
                            JobBuildContext *context,
                            GCancellable *cancellable,
                            GError **error);

G_END_DECLS
