/* job-check.c: job check, can every job travel to a worker?
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-tool-private.h"

/* For plugin authors: makes the build job of every element the targets
 * need, exactly as job build would, and checks that it pickles. Every
 * problem of every element is reported in one run. */
int
job_tool_check (JobToolGlobals *globals, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (
      "TARGET… - check that every element's build job can be sent to a worker");
  g_autoptr (GError) error = NULL;
  g_auto (JobToolSession) session = { 0 };
  JobScheduler *scheduler;
  g_auto (GStrv) elements = NULL;
  guint n_bad = 0;

  if (!job_tool_parse (context, &argc, &argv, 1, -1,
                       "job check: name at least one element"))
    return 2;

  if (!job_tool_session_open (&session, globals, (const char *const *) argv + 1,
                              NULL, NULL, &error))
    goto fail;
  scheduler = session.scheduler;

  elements = job_scheduler_dup_elements (scheduler);
  for (guint i = 0; elements[i] != NULL; i++)
    {
      g_autoptr (JobTask) task =
          job_scheduler_make_task (scheduler, elements[i]);
      g_autoptr (GError) check_error = NULL;

      if (job_pickle_check (G_OBJECT (task), &check_error))
        {
          g_print ("ok      %s\n", elements[i]);
          continue;
        }
      n_bad++;
      g_print ("FAILED  %s\n%s\n\n", elements[i], check_error->message);
    }
  g_print ("%u elements checked, %u cannot be sent to a worker\n",
           g_strv_length (elements), n_bad);
  return n_bad == 0 ? 0 : 1;

fail:
  job_tool_print_error (error);
  return 1;
}
