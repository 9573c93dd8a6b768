/* job-core-types-private.h: registering libjob's own types
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Registers every GType of libjob's public API (generated from the
 * headers), so that a pickle naming a core type can be rebuilt in a
 * process that has not used that type yet. */
void job_core_types_ensure (void);

G_END_DECLS
