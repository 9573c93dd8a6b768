/* job-slurm-backend.h: a backend that runs tasks on a Slurm cluster
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

#define JOB_TYPE_SLURM_BACKEND (job_slurm_backend_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (
    JobSlurmBackend, job_slurm_backend, JOB, SLURM_BACKEND, GObject)

JOB_AVAILABLE_IN_ALL
JobSlurmBackend *job_slurm_backend_new (const char *partition,
                                        const char *spool_dir);
JOB_AVAILABLE_IN_ALL
const char *job_slurm_backend_get_partition (JobSlurmBackend *self);
JOB_AVAILABLE_IN_ALL
const char *job_slurm_backend_get_spool_dir (JobSlurmBackend *self);
JOB_AVAILABLE_IN_ALL
guint job_slurm_backend_get_time_limit (JobSlurmBackend *self);
JOB_AVAILABLE_IN_ALL
const char *const *job_slurm_backend_get_srun_args (JobSlurmBackend *self);
JOB_AVAILABLE_IN_ALL
guint job_slurm_backend_get_max_jobs_in_flight (JobSlurmBackend *self);
JOB_AVAILABLE_IN_ALL
const char *job_slurm_backend_get_worker_path (JobSlurmBackend *self);
JOB_AVAILABLE_IN_ALL
const char *const *job_slurm_backend_get_env_allowlist (JobSlurmBackend *self);
JOB_AVAILABLE_IN_ALL
guint job_slurm_backend_get_controller_timeout (JobSlurmBackend *self);

G_END_DECLS
