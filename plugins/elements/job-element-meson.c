/* job-element-meson.c: the `meson` element kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libjob/job.h>

/* `meson` is JobBuildElement whose default commands (data/plugins/meson.yaml)
 * build software that uses Meson; an element overrides what it needs.
 */

#define JOB_TYPE_MESON_ELEMENT (job_meson_element_get_type ())
G_DECLARE_FINAL_TYPE (
    JobMesonElement, job_meson_element, JOB, MESON_ELEMENT, JobBuildElement)

struct _JobMesonElement
{
  JobBuildElement parent_instance;
};

G_DEFINE_DYNAMIC_TYPE (JobMesonElement,
                       job_meson_element,
                       JOB_TYPE_BUILD_ELEMENT)

static void
job_meson_element_class_init (JobMesonElementClass *klass)
{
}

static void
job_meson_element_class_finalize (JobMesonElementClass *klass)
{
}

static void
job_meson_element_init (JobMesonElement *self)
{
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  job_meson_element_register_type (module);
}
