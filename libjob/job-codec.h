/* job-codec.h: encoding values of non-serializable types
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <glib-object.h>

#include "job-version-macros.h"

G_BEGIN_DECLS

/**
 * JobCodecEncodeFunc:
 * @value: the value to encode; it holds the codec's type (or, for an object
 *   or interface codec, a type derived from it)
 * @user_data: the data given to [func@Job.codec_register]
 * @error: return location for a #GError
 *
 * Encodes @value.
 *
 * Returns: (transfer full) (nullable): the encoded value, or %NULL with
 *   @error set
 */
typedef GVariant *(*JobCodecEncodeFunc) (const GValue *value,
                                         gpointer user_data,
                                         GError **error);

/**
 * JobCodecDecodeFunc:
 * @variant: what the matching #JobCodecEncodeFunc returned
 * @value: a value initialized to the codec's type, to fill in
 * @user_data: the data given to [func@Job.codec_register]
 * @error: return location for a #GError
 *
 * Decodes @variant into @value. The variant comes from untrusted data: check
 * its type and contents and fail with an error rather than assume.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
typedef gboolean (*JobCodecDecodeFunc) (GVariant *variant,
                                        GValue *value,
                                        gpointer user_data,
                                        GError **error);

JOB_AVAILABLE_IN_ALL
void job_codec_register (GType type,
                         JobCodecEncodeFunc encode,
                         JobCodecDecodeFunc decode,
                         gpointer user_data,
                         GDestroyNotify destroy);
JOB_AVAILABLE_IN_ALL
gboolean job_codec_is_registered (GType type);

G_END_DECLS
