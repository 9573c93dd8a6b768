/* job-load-error.h: the error domain of loading projects
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <glib.h>

#include "job-version-macros.h"

G_BEGIN_DECLS

/**
 * JOB_LOAD_ERROR:
 *
 * The error domain of loading a project: its YAML files, options, variables
 * and the dependency graph of its elements. Codes are in
 * [error@Job.LoadError]. Every message starts with the provenance of the
 * offending value, `file [line L column C]`, when there is one.
 */
#define JOB_LOAD_ERROR (job_load_error_quark ())

/**
 * JobLoadError:
 * @JOB_LOAD_ERROR_INVALID_YAML: a file is not valid YAML (or not UTF-8);
 *   the message gives libyaml's reason and position
 * @JOB_LOAD_ERROR_INVALID_DATA: a value has the wrong type, a key is unknown
 *   or missing, or a value is not one of those allowed
 * @JOB_LOAD_ERROR_MISSING_FILE: a file (an element, an include, the
 *   project's data) does not exist or cannot be read
 * @JOB_LOAD_ERROR_MISSING_PROJECT_CONF: no `project.conf` in the directory
 *   or any of its parents
 * @JOB_LOAD_ERROR_UNSUPPORTED_PROJECT: the project asks for a format
 *   version or a version of the tool that this libjob does not provide
 * @JOB_LOAD_ERROR_CIRCULAR_DEPENDENCY: elements depend on each other in a
 *   cycle; the message lists every hop with its provenance
 * @JOB_LOAD_ERROR_RECURSIVE_INCLUDE: a `(@)` include includes itself,
 *   directly or not; the message lists the chain
 * @JOB_LOAD_ERROR_UNRESOLVED_VARIABLE: a `%{name}` reference names a
 *   variable that is not defined
 * @JOB_LOAD_ERROR_RECURSIVE_VARIABLE: variables refer to each other in a
 *   cycle; the message lists the whole cycle
 * @JOB_LOAD_ERROR_PROTECTED_VARIABLE: a project or element sets a variable
 *   that only libjob may set (`project-name`, `element-name`, `max-jobs`)
 * @JOB_LOAD_ERROR_EXPRESSION_FAILED: a `(?)` conditional's expression does
 *   not parse or names an unknown option
 * @JOB_LOAD_ERROR_ILLEGAL_COMPOSITE: composing two values of different
 *   types (a list over a mapping, a mapping over a string, ...)
 * @JOB_LOAD_ERROR_TRAILING_LIST_DIRECTIVE: a `(>)`, `(<)` or `(=)`
 *   directive has no list to apply to
 * @JOB_LOAD_ERROR_USER_ASSERTION: a `(!)` assertion was reached
 * @JOB_LOAD_ERROR_UNKNOWN_KIND: an element or source kind that no plugin
 *   origin of the project provides
 * @JOB_LOAD_ERROR_INVALID_SYMBOL_NAME: a name (project, option, variable)
 *   with characters that are not allowed
 *
 * The error codes of %JOB_LOAD_ERROR.
 */
typedef enum
{
  JOB_LOAD_ERROR_INVALID_YAML,
  JOB_LOAD_ERROR_INVALID_DATA,
  JOB_LOAD_ERROR_MISSING_FILE,
  JOB_LOAD_ERROR_MISSING_PROJECT_CONF,
  JOB_LOAD_ERROR_UNSUPPORTED_PROJECT,
  JOB_LOAD_ERROR_CIRCULAR_DEPENDENCY,
  JOB_LOAD_ERROR_RECURSIVE_INCLUDE,
  JOB_LOAD_ERROR_UNRESOLVED_VARIABLE,
  JOB_LOAD_ERROR_RECURSIVE_VARIABLE,
  JOB_LOAD_ERROR_PROTECTED_VARIABLE,
  JOB_LOAD_ERROR_EXPRESSION_FAILED,
  JOB_LOAD_ERROR_ILLEGAL_COMPOSITE,
  JOB_LOAD_ERROR_TRAILING_LIST_DIRECTIVE,
  JOB_LOAD_ERROR_USER_ASSERTION,
  JOB_LOAD_ERROR_UNKNOWN_KIND,
  JOB_LOAD_ERROR_INVALID_SYMBOL_NAME,
} JobLoadError;

JOB_AVAILABLE_IN_ALL
GQuark job_load_error_quark (void);

G_END_DECLS
