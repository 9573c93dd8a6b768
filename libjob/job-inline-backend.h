/* job-inline-backend.h: a backend that runs tasks on threads of this process
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-backend.h"
#include "job-version-macros.h"

G_BEGIN_DECLS

#define JOB_TYPE_INLINE_BACKEND (job_inline_backend_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (
    JobInlineBackend, job_inline_backend, JOB, INLINE_BACKEND, GObject)

JOB_AVAILABLE_IN_ALL
JobInlineBackend *job_inline_backend_new (void);
JOB_AVAILABLE_IN_ALL
guint job_inline_backend_get_max_threads (JobInlineBackend *self);
JOB_AVAILABLE_IN_ALL
const char *const *
job_inline_backend_get_env_allowlist (JobInlineBackend *self);

G_END_DECLS
