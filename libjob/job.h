/* job.h: the one header users of libjob include
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#define JOB_INSIDE
#include "job-version.h"
#include "job-version-macros.h"
#include "job-backend.h"
#include "job-codec.h"
#include "job-command-output.h"
#include "job-command-task.h"
#include "job-inline-backend.h"
#include "job-pickle.h"
#include "job-result.h"
#include "job-serializable.h"
#include "job-task.h"
#include "job-worker-pool.h"
#undef JOB_INSIDE
