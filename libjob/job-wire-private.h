/* job-wire-private.h: the framed protocol between a pool and its workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "job-result.h"
#include "job-task.h"
#include "job-version-macros.h"

G_BEGIN_DECLS

/* The parent and a worker talk over a SOCK_SEQPACKET socket: one sendmsg()
 * is one message, received whole by one recvmsg(), with its file
 * descriptors. A message is
 *
 *   JobWireHeader                      32 bytes, native byte order
 *   JobWireMetrics                     32 bytes, zero but in RESULT, ERROR
 *   JobWirePart[n_parts]               16 bytes each
 *   inline part data                   each part at a multiple of 8
 *
 * and at most one descriptor: a sealed memfd (or an unlinked O_TMPFILE)
 * holding the parts too big to travel inline, each at a page-aligned
 * offset; the receiver maps it instead of copying. The request id lives in
 * the header, outside any pickle, so a result that cannot be read fails
 * only its own request.
 *
 * HELLO    worker -> parent, first: one part, the worker's pid as text
 * DIRS     parent -> worker: one part, NUL-separated allowed plugin dirs
 * TASK     parent -> worker: parts are a pickle (header, then frames)
 * RESULT   worker -> parent: metrics; parts are the output's pickle, none
 *          for a NULL output
 * ERROR    worker -> parent: metrics; one part, a GVariant (sis): error
 *          domain, code, message
 */
#define JOB_WIRE_MAGIC 0x574a424a /* "JBJW" */
#define JOB_WIRE_VERSION 1

/* Inline bytes per message; more goes out of band. Stays under the
 * default socket send buffer so a message always fits. */
#define JOB_WIRE_MAX_INLINE (128 * 1024)
#define JOB_WIRE_MAX_PARTS 4096
/* Out-of-band data per message. */
#define JOB_WIRE_MAX_OUT_OF_BAND (G_GUINT64_CONSTANT (64) * 1024 * 1024 * 1024)

/* The worker's end of the socket in the worker. */
#define JOB_WIRE_WORKER_FD 3

typedef enum
{
  JOB_WIRE_HELLO = 1,
  JOB_WIRE_DIRS,
  JOB_WIRE_TASK,
  JOB_WIRE_RESULT,
  JOB_WIRE_ERROR,
  /* A TASK whose reply goes to the worker's direct socket: the blocking
   * caller that sent it reads the reply itself, with no thread between. */
  JOB_WIRE_TASK_DIRECT,
} JobWireType;

/* The worker's end of its direct socket, for replies to TASK_DIRECT. A
 * worker that has it says so with this bit in its HELLO's request id. */
#define JOB_WIRE_WORKER_DIRECT_FD 4
#define JOB_WIRE_HELLO_DIRECT 1

typedef struct
{
  guint32 magic;
  guint16 version;
  guint16 type;
  guint64 request_id;
  guint32 length;
  guint32 n_parts;
  guint64 reserved;
} JobWireHeader;

typedef struct
{
  gint64 pid;
  guint64 wall_ns;
  guint64 cpu_ns;
  guint64 peak_rss;
} JobWireMetrics;

typedef struct
{
  guint64 size;
  guint64 offset; /* bit 63 set: in the descriptor, else in the message */
} JobWirePart;

#define JOB_WIRE_PART_OUT_OF_BAND (G_GUINT64_CONSTANT (1) << 63)

typedef struct
{
  JobWireType type;
  guint64 request_id;
  JobWireMetrics metrics;
  GPtrArray *parts; /* GBytes* */
} JobWireMessage;

typedef enum
{
  JOB_WIRE_STATUS_MESSAGE,
  JOB_WIRE_STATUS_EOF,
  JOB_WIRE_STATUS_AGAIN,
  JOB_WIRE_STATUS_ERROR,
} JobWireStatus;

/* Sends one message on @fd; out-of-band parts go in a memfd. */
JOB_AVAILABLE_IN_ALL
gboolean job_wire_send (int fd,
                        JobWireType type,
                        guint64 request_id,
                        const JobWireMetrics *metrics,
                        GBytes *const *parts,
                        guint n_parts,
                        GError **error);

/* Receives one message from @fd into @message (cleared first), using
 * @buffer (JOB_WIRE_MAX_INLINE + room for the tables) as scratch. Data
 * that breaks the protocol is a JOB_WORKER_ERROR_PROTOCOL error. */
JOB_AVAILABLE_IN_ALL
JobWireStatus job_wire_receive (int fd,
                                gboolean nonblocking,
                                guint8 *buffer,
                                gsize buffer_size,
                                JobWireMessage *message,
                                GError **error);

#define JOB_WIRE_BUFFER_SIZE (JOB_WIRE_MAX_INLINE + 64 * 1024)

JOB_AVAILABLE_IN_ALL
void job_wire_message_clear (JobWireMessage *message);

/* For tests: put out-of-band parts in an unlinked O_TMPFILE in the
 * per-user directory instead of a memfd. */
JOB_AVAILABLE_IN_ALL
void job_wire_set_force_tmpfile (gboolean force);

/* ERROR parts. */
JOB_AVAILABLE_IN_ALL
GBytes *job_wire_encode_error (const GError *error);
JOB_AVAILABLE_IN_ALL
GError *job_wire_decode_error (GBytes *bytes);

/* What a message carries, decoded as its receiver does: the only code
 * between job_wire_receive() and the objects, shared with the fuzz
 * harnesses that feed it arbitrary bytes. */

/* A TASK (parent -> worker): the task its pickle rebuilds, loading the
 * plugins it names from @plugin_dirs only; else a
 * JOB_WORKER_ERROR_INVALID_TASK error. */
JOB_AVAILABLE_IN_ALL
JobTask *job_wire_decode_task (const JobWireMessage *message,
                               const char *const *plugin_dirs,
                               GError **error);

/* A DIRS part: the NUL-separated directories, empty ones dropped. */
JOB_AVAILABLE_IN_ALL
char **job_wire_decode_dirs (GBytes *part);

/* A RESULT or ERROR (worker -> parent) for a task of type @task_name: the
 * result, with the message's metrics and @backend; else the task's error
 * (ERROR) or a JOB_WORKER_ERROR_PROTOCOL one. */
JOB_AVAILABLE_IN_ALL
JobResult *job_wire_decode_reply (const JobWireMessage *message,
                                  const char *task_name,
                                  const char *backend,
                                  GError **error);

G_END_DECLS
