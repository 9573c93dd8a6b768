/* job-element-manual.c: the `manual` element kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libjob/job.h>

/* `manual` is JobBuildElement with no default commands: the element's
 * configure-, build-, install- and strip-commands are run as given. Its
 * defaults are data/plugins/manual.yaml. */

#define JOB_TYPE_MANUAL_ELEMENT (job_manual_element_get_type ())
G_DECLARE_FINAL_TYPE (
    JobManualElement, job_manual_element, JOB, MANUAL_ELEMENT, JobBuildElement)

struct _JobManualElement
{
  JobBuildElement parent_instance;
};

G_DEFINE_DYNAMIC_TYPE (JobManualElement,
                       job_manual_element,
                       JOB_TYPE_BUILD_ELEMENT)

static void
job_manual_element_class_init (JobManualElementClass *klass)
{
}

static void
job_manual_element_class_finalize (JobManualElementClass *klass)
{
}

static void
job_manual_element_init (JobManualElement *self)
{
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  job_manual_element_register_type (module);
}
