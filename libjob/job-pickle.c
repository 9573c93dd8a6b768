/* job-pickle.c: the public entry points of pickling
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "job-pickle-private.h"

/* clang-format would put spaces into the quark's name. */
/* clang-format off */
G_DEFINE_QUARK (job-pickle-error-quark, job_pickle_error)
/* clang-format on */

/**
 * job_pickle_dump_frames:
 * @object: the root of the graph to pickle
 * @frame_threshold: #GBytes values larger than this many bytes travel as
 *   frames of their own; 0 for %JOB_PICKLE_DEFAULT_FRAME_THRESHOLD
 * @error: return location for a #GError
 *
 * Pickles @object and every object it reaches through its properties. Shared
 * references stay shared and cycles survive. Large #GBytes values are not
 * copied: their frames share the original buffers.
 *
 * If anything in the graph cannot be pickled, this fails with
 * %JOB_PICKLE_ERROR_UNSERIALIZABLE and a message that lists every such value
 * with the reference chain that reached it, everything that refers to it,
 * and the fix.
 *
 * Returns: (transfer full) (nullable): the pickle, or %NULL with @error set
 */
JobPickleFrames *
job_pickle_dump_frames (GObject *object, gsize frame_threshold, GError **error)
{
  GBytes *header = NULL;
  GPtrArray *frames = NULL;

  g_return_val_if_fail (G_IS_OBJECT (object), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!job_pickler_run (object, frame_threshold, FALSE, &header, &frames, NULL,
                        error))
    return NULL;
  return job_pickle_frames_new_take (header, frames);
}

/**
 * job_pickle_load_frames:
 * @frames: a pickle
 * @error: return location for a #GError
 *
 * Rebuilds the object graph of @frames. The data is validated as untrusted:
 * a corrupted or hand-made pickle gives %JOB_PICKLE_ERROR_INVALID,
 * %JOB_PICKLE_ERROR_VERSION or %JOB_PICKLE_ERROR_UNKNOWN_TYPE, and only types
 * that implement [iface@Job.Serializable] (or have a codec) are instantiated.
 * Every type the pickle names must be registered already: see
 * [method@Job.PickleFrames.get_origins].
 *
 * Returns: (transfer full) (nullable): the rebuilt root object, or %NULL with
 *   @error set
 */
GObject *
job_pickle_load_frames (JobPickleFrames *frames, GError **error)
{
  g_return_val_if_fail (frames != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return job_unpickler_run (frames, error);
}

/**
 * job_pickle_dumps:
 * @object: the root of the graph to pickle
 * @error: return location for a #GError
 *
 * Pickles @object into one flat buffer: the header followed by its frames.
 * See [func@Job.pickle_dump_frames] for what is pickled and how failures are
 * reported. The same graph always gives the same bytes.
 *
 * Returns: (transfer full) (nullable): the pickle, or %NULL with @error set
 */
GBytes *
job_pickle_dumps (GObject *object, GError **error)
{
  GBytes *flat = NULL;

  g_return_val_if_fail (G_IS_OBJECT (object), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Written in its flat form directly: the header is copied once. */
  if (!job_pickler_run (object, 0, FALSE, NULL, NULL, &flat, error))
    return NULL;
  return flat;
}

/**
 * job_pickle_loads:
 * @data: a flat pickle made by [func@Job.pickle_dumps]
 * @error: return location for a #GError
 *
 * Rebuilds the object graph of a flat pickle; see
 * [func@Job.pickle_load_frames].
 *
 * Returns: (transfer full) (nullable): the rebuilt root object, or %NULL with
 *   @error set
 */
GObject *
job_pickle_loads (GBytes *data, GError **error)
{
  g_autoptr (JobPickleFrames) frames = NULL;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  frames = job_pickle_frames_new_from_bytes (data, error);
  if (frames == NULL)
    return NULL;
  return job_unpickler_run (frames, error);
}

/**
 * job_pickle_check:
 * @object: the root of a graph
 * @error: return location for a #GError
 *
 * Checks that @object can be pickled, without producing a pickle. On
 * failure, @error is exactly what [func@Job.pickle_dumps] would report: every
 * value that cannot be pickled, each with its reference chain, so an author
 * finds all the problems in one run.
 *
 * Returns: %TRUE if @object can be pickled
 */
gboolean
job_pickle_check (GObject *object, GError **error)
{
  g_return_val_if_fail (G_IS_OBJECT (object), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return job_pickler_run (object, 0, TRUE, NULL, NULL, NULL, error);
}
