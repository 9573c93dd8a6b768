/* job-tool-private.h: what the subcommands of the job tool share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libjob/job.h>

G_BEGIN_DECLS

typedef struct
{
  char *directory;    /* -C DIR, or NULL for the current directory */
  GPtrArray *options; /* KEY, VALUE, KEY, VALUE... from --option */
} JobToolGlobals;

/* Removes "-C DIR", "--directory DIR", "--directory=DIR" and
 * "--option KEY VALUE" from argv (GOption cannot take two values). */
gboolean job_tool_extract_globals (JobToolGlobals *globals,
                                   int *argc,
                                   char **argv,
                                   GError **error);
JobProject *job_tool_load_project (JobToolGlobals *globals, GError **error);
void job_tool_print_error (const GError *error);
/* Parses a subcommand's options; FALSE (exit status 2) after saying why
 * if that fails, or if it has fewer than @min_args arguments left or, with
 * @max_args >= 0, more than @max_args: then it prints @usage. */
gboolean job_tool_parse (GOptionContext *context,
                         int *argc,
                         char ***argv,
                         int min_args,
                         int max_args,
                         const char *usage);
/* Stages the sources of @element, fetched already, into @directory, each at
 * its own subdirectory. */
gboolean job_tool_stage_sources (JobScheduler *scheduler,
                                 const char *element,
                                 const char *directory,
                                 GError **error);
/* Whether @path is an empty directory or nothing (not a file). */
gboolean job_tool_is_empty_or_missing (const char *path);
/* rm -rf, read-only directories included; a missing @path is no error. */
gboolean job_tool_remove_tree (const char *path, GError **error);

/* The --cache-dir option of the subcommands, into @variable (a char **). */
#define JOB_TOOL_CACHE_DIR_OPTION(variable)                                    \
  {                                                                            \
    "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, (variable),                      \
        "The artifact cache, whose sources/ holds fetched sources too "        \
        "(default: $JOB_CACHE_DIR, else ~/.cache/libjob)",                     \
        "DIR"                                                                  \
  }

/* The artifact cache: @cache_dir, else $JOB_CACHE_DIR, else
 * ~/.cache/libjob. */
JobArtifactCache *job_tool_open_cache (const char *cache_dir, GError **error);

/* What the commands that compute keys share: the project, its elements
 * from the targets, the cache and a scheduler prepared for the targets. */
typedef struct
{
  JobProject *project;
  JobLoader *loader;
  JobArtifactCache *cache;
  JobBackend *backend;
  JobScheduler *scheduler;
} JobToolSession;

/* Opens @session for @targets with the cache @cache_dir (see
 * job_tool_open_cache()) and @backend (taken; an inline backend when
 * NULL). A project already in @session is used, else one is loaded. */
gboolean job_tool_session_open (JobToolSession *session,
                                JobToolGlobals *globals,
                                const char *const *targets,
                                const char *cache_dir,
                                JobBackend *backend,
                                GError **error);
void job_tool_session_clear (JobToolSession *session);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (JobToolSession, job_tool_session_clear)

/* Fails unless every artifact @plan stages is in @cache, naming what to
 * build (with @build, the plan is for building @target). */
gboolean job_tool_check_built (JobArtifactCache *cache,
                               GVariant *plan,
                               const char *target,
                               gboolean build,
                               GError **error);

/* Tracks the sources of @targets (with @all, of everything they depend on
 * too) and writes changed refs back, as `job track` does, saying what it
 * found unless @quiet. */
gboolean job_tool_track_elements (JobToolGlobals *globals,
                                  const char *const *targets,
                                  gboolean all,
                                  const char *cache_dir,
                                  gboolean quiet,
                                  guint *n_changed,
                                  GError **error);

int job_tool_check (JobToolGlobals *globals, int argc, char **argv);
int job_tool_build (JobToolGlobals *globals, int argc, char **argv);
int job_tool_checkout (JobToolGlobals *globals, int argc, char **argv);
int job_tool_fetch (JobToolGlobals *globals, int argc, char **argv);
int job_tool_init (JobToolGlobals *globals, int argc, char **argv);
int job_tool_log (JobToolGlobals *globals, int argc, char **argv);
int job_tool_prune (JobToolGlobals *globals, int argc, char **argv);
int job_tool_pull (JobToolGlobals *globals, int argc, char **argv);
int job_tool_push (JobToolGlobals *globals, int argc, char **argv);
int job_tool_source_checkout (JobToolGlobals *globals, int argc, char **argv);
int job_tool_shell (JobToolGlobals *globals, int argc, char **argv);
int job_tool_show (JobToolGlobals *globals, int argc, char **argv);
int job_tool_track (JobToolGlobals *globals, int argc, char **argv);
int job_tool_workspace (JobToolGlobals *globals, int argc, char **argv);

G_END_DECLS
