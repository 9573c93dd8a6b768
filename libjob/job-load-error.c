/* job-load-error.c: the error domain of loading projects
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-load-error.h"

/* clang-format would put spaces into the quark's name. */
/* clang-format off */
G_DEFINE_QUARK (job-load-error-quark, job_load_error)
/* clang-format on */
