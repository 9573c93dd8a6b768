/* job-expression-private.h: the expressions of (?) conditionals
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @options maps option names to GVariants: a boolean for bool options, a
 * string for enum options. The error message has no provenance; the caller
 * prefixes the conditional's. */
gboolean job_expression_evaluate (const char *expression,
                                  GHashTable *options,
                                  gboolean *result,
                                  GError **error);

G_END_DECLS
