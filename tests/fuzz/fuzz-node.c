/* fuzz-node.c: YAML parsing, composition, dumping and variables of JobNode
 * must never crash, whatever the input. */

#include <stdint.h>

#include "libjob/job.h"
#include "libjob/job-node-private.h"
#include "libjob/job-variables-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
const char *__lsan_default_suppressions (void);

/* GLib allocates once when it is loaded (call_init / _dl_init) and LSan
 * sometimes reports that block; it is not libjob's. */
const char *
__lsan_default_suppressions (void)
{
  return "leak:_dl_init\n";
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobNode) node = job_node_load_data (
      (const char *) data, (gssize) size, "fuzz.yml", &error);
  g_autofree char *yaml = NULL;
  g_autoptr (JobNode) again = NULL;

  if (node == NULL)
    {
      g_assert_nonnull (error);
      return 0;
    }
  /* What the node dumps parses again. */
  yaml = job_node_to_yaml (node, TRUE);
  again = job_node_load_data (yaml, -1, "dump.yml", &error);
  g_assert_no_error (error);

  if (job_node_get_node_type (node) == JOB_NODE_MAPPING)
    {
      g_autoptr (JobNode) composed = job_node_composite (node, node, NULL);
      JobVariables *variables;

      if (composed != NULL)
        job_node_check_final (composed, NULL);
      variables = job_variables_new (node, NULL);
      if (variables != NULL)
        {
          JobNode *expanded =
              job_variables_expand_node (variables, node, NULL, NULL);
          JobNode *resolved = job_variables_to_node (variables, NULL);

          g_clear_pointer (&expanded, job_node_unref);
          job_node_unref (resolved);
          job_variables_free (variables);
        }
    }
  return 0;
}
