/* job-version-macros.h: symbol visibility and availability annotations
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <glib.h>

#include "job-version.h"

#ifndef _JOB_EXTERN
#define _JOB_EXTERN __attribute__ ((visibility ("default"))) extern
#endif

#define JOB_VERSION_1_0 (G_ENCODE_VERSION (1, 0))

#define JOB_AVAILABLE_IN_ALL _JOB_EXTERN
#define JOB_AVAILABLE_IN_1_0 _JOB_EXTERN
