/* job-worker-oneshot.h: job-worker's one-shot mode
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE if @argv asks for the one-shot mode (its first argument is
 * --oneshot=FILE). */
gboolean job_worker_is_oneshot (int argc, char **argv);

/* Runs the task in a spool file and writes its result to another; returns
 * the exit status. */
int job_worker_oneshot_main (int argc, char **argv);

G_END_DECLS
