/* job-element-stack.c: the `stack` element kind
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libjob/job.h>

/* A stack groups its dependencies: it has no sources, runs nothing, and its
 * artifact is empty; depending on it means depending on what it depends
 * on at run time. */

#define JOB_TYPE_STACK_ELEMENT (job_stack_element_get_type ())
G_DECLARE_FINAL_TYPE (
    JobStackElement, job_stack_element, JOB, STACK_ELEMENT, JobElement)

struct _JobStackElement
{
  JobElement parent_instance;
};

G_DEFINE_DYNAMIC_TYPE (JobStackElement, job_stack_element, JOB_TYPE_ELEMENT)

static gboolean
job_stack_element_configure (JobPlugin *plugin, JobNode *config, GError **error)
{
  return job_node_validate_keys (config, NULL, error);
}

static gboolean
job_stack_element_preflight (JobPlugin *plugin, GError **error)
{
  if (g_list_model_get_n_items (job_element_get_sources (JOB_ELEMENT (plugin)))
      > 0)
    {
      g_set_error (error, JOB_PLUGIN_ERROR, JOB_PLUGIN_ERROR_CONFIGURATION,
                   "%s: a stack element has no sources; remove them",
                   job_plugin_get_name (plugin));
      return FALSE;
    }
  return TRUE;
}

static gboolean
job_stack_element_stage (JobElement *element,
                         JobBuildContext *context,
                         GCancellable *cancellable,
                         GError **error)
{
  return TRUE;
}

static void
job_stack_element_class_init (JobStackElementClass *klass)
{
  JOB_PLUGIN_CLASS (klass)->configure = job_stack_element_configure;
  JOB_PLUGIN_CLASS (klass)->preflight = job_stack_element_preflight;
  JOB_ELEMENT_CLASS (klass)->stage = job_stack_element_stage;
}

static void
job_stack_element_class_finalize (JobStackElementClass *klass)
{
}

static void
job_stack_element_init (JobStackElement *self)
{
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  job_stack_element_register_type (module);
}
