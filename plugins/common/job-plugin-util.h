/* job-plugin-util.h: helpers shared by the core plugin modules (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libjob/job.h>

G_BEGIN_DECLS

gboolean job_plugin_util_require_program (JobPlugin *plugin,
                                          const char *program,
                                          GError **error);
gboolean job_plugin_util_run (JobPlugin *plugin,
                              const char *const *argv,
                              const char *const *extra_env,
                              const char *cwd,
                              char **out_stdout,
                              GCancellable *cancellable,
                              GError **error);
char *job_plugin_util_sha256_file (const char *path, GError **error);
char *
job_plugin_util_local_path (JobPlugin *plugin, const char *url, GError **error);
gboolean job_plugin_util_rm_rf (const char *path, GError **error);
char *job_plugin_util_where (JobPlugin *plugin, const char *key);
gboolean job_plugin_util_checksum_tree (GChecksum *checksum,
                                        const char *root,
                                        const char *relative);

G_END_DECLS
