/* job.h: the one header users of libjob include
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#define JOB_INSIDE
#include "job-version.h"
#include "job-version-macros.h"
#include "job-artifact-cache.h"
#include "job-artifact-commit.h"
#include "job-inputs.h"
#include "job-codec.h"
#include "job-element-spec.h"
#include "job-load-error.h"
#include "job-loader.h"
#include "job-node.h"
#include "job-project.h"
#include "job-source-spec.h"
#include "job-pickle.h"
#include "job-build-context.h"
#include "job-build-task.h"
#include "job-build-element.h"
#include "job-element.h"
#include "job-fetch-task.h"
#include "job-plugin.h"
#include "job-plugin-registry.h"
#include "job-scheduler.h"
#include "job-source.h"
#include "job-enums.h"
#include "job-sandbox.h"
#include "job-backend.h"
#include "job-command-output.h"
#include "job-command-task.h"
#include "job-inline-backend.h"
#include "job-result.h"
#include "job-serializable.h"
#include "job-task.h"
#include "job-slurm-backend.h"
#include "job-worker-pool.h"
#undef JOB_INSIDE
