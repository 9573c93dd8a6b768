/* job-source.h: the base class of source plugins
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(JOB_INSIDE) && !defined(JOB_COMPILATION)
#error "Only <libjob/job.h> can be included directly."
#endif

#include <gio/gio.h>

#include "job-plugin.h"

G_BEGIN_DECLS

#define JOB_TYPE_SOURCE (job_source_get_type ())

JOB_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (JobSource, job_source, JOB, SOURCE, JobPlugin)

/**
 * JobSourceClass:
 * @parent_class: the parent class
 * @is_cached: whether what the source provides is fetched already
 * @fetch: fetches what the source provides into the source cache
 * @stage: copies the fetched content into a directory
 * @get_ref: returns the source's ref (what exactly it provides, e.g. a
 *   checksum or a commit), or %NULL if it has none yet
 * @set_ref: sets the ref
 * @track: finds the newest ref and returns it
 *
 * The virtual methods of [class@Job.Source].
 */
struct _JobSourceClass
{
  JobPluginClass parent_class;

  gboolean (*is_cached) (JobSource *self);
  gboolean (*fetch) (JobSource *self,
                     GCancellable *cancellable,
                     GError **error);
  gboolean (*stage) (JobSource *self,
                     const char *directory,
                     GCancellable *cancellable,
                     GError **error);
  char *(*get_ref) (JobSource *self);
  void (*set_ref) (JobSource *self, const char *ref);
  char *(*track) (JobSource *self, GCancellable *cancellable, GError **error);

  /*< private >*/
  gpointer padding[8];
};

JOB_AVAILABLE_IN_ALL
const char *job_source_get_directory (JobSource *self);
JOB_AVAILABLE_IN_ALL
const char *job_source_get_cache_directory (JobSource *self);
JOB_AVAILABLE_IN_ALL
gboolean job_source_is_cached (JobSource *self);
JOB_AVAILABLE_IN_ALL
gboolean
job_source_fetch (JobSource *self, GCancellable *cancellable, GError **error);
JOB_AVAILABLE_IN_ALL
gboolean job_source_stage (JobSource *self,
                           const char *directory,
                           GCancellable *cancellable,
                           GError **error);
JOB_AVAILABLE_IN_ALL
char *job_source_get_ref (JobSource *self);
JOB_AVAILABLE_IN_ALL
void job_source_set_ref (JobSource *self, const char *ref);
JOB_AVAILABLE_IN_ALL
gboolean job_source_stage_directory (JobSource *self,
                                     const char *host_dir,
                                     const char *directory,
                                     GCancellable *cancellable,
                                     GError **error);
JOB_AVAILABLE_IN_ALL
char *
job_source_track (JobSource *self, GCancellable *cancellable, GError **error);

G_END_DECLS
