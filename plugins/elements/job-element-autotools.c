/* job-element-autotools.c: the `autotools` element kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libjob/job.h>

/* `autotools` is JobBuildElement whose default commands
 * (data/plugins/autotools.yaml) build software that uses Autotools; an element
 * overrides what it needs.
 */

#define JOB_TYPE_AUTOTOOLS_ELEMENT (job_autotools_element_get_type ())
G_DECLARE_FINAL_TYPE (JobAutotoolsElement,
                      job_autotools_element,
                      JOB,
                      AUTOTOOLS_ELEMENT,
                      JobBuildElement)

struct _JobAutotoolsElement
{
  JobBuildElement parent_instance;
};

G_DEFINE_DYNAMIC_TYPE (JobAutotoolsElement,
                       job_autotools_element,
                       JOB_TYPE_BUILD_ELEMENT)

static void
job_autotools_element_class_init (JobAutotoolsElementClass *klass)
{
}

static void
job_autotools_element_class_finalize (JobAutotoolsElementClass *klass)
{
}

static void
job_autotools_element_init (JobAutotoolsElement *self)
{
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  job_autotools_element_register_type (module);
}
