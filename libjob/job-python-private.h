/* job-python-private.h: Python plugins
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "job-version-macros.h"

G_BEGIN_DECLS

/* The origin prefix of types defined by Python plugin files:
 * "python:/resolved/path/to/kind.py". */
#define JOB_PYTHON_ORIGIN_PREFIX "python:"

/* Starts Python in this process (or joins the interpreter of a PyGObject
 * program), with PyGObject and Job-1.0 imported. Exported for job-worker. */
JOB_AVAILABLE_IN_ALL
gboolean job_python_ensure (GError **error);

/* Imports the Python plugin file at @path (absolute, resolved) once; every
 * GObject type it defines gets @origin. */
gboolean
job_python_load_file (const char *path, const char *origin, GError **error);

/* Puts Python's os.environ back as it was when the host started (a
 * worker, after each task; it restores the C environment itself). */
JOB_AVAILABLE_IN_ALL
gboolean job_python_restore_environ (GError **error);

/* Whether this process has started the Python host. */
JOB_AVAILABLE_IN_ALL
gboolean job_python_is_loaded (void);

G_END_DECLS
