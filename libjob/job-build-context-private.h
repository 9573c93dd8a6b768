/* job-build-context-private.h: internals of build contexts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "job-build-context.h"

G_BEGIN_DECLS

/* Removes the root this process keeps between builds, if it has one and
 * no build uses it: for a worker that is about to exit. Exported for
 * job-worker. */
JOB_AVAILABLE_IN_ALL
void job_build_context_drop_kept_root (void);

G_END_DECLS
