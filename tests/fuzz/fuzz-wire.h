/* fuzz-wire.h: arbitrary bytes as one message on a worker's socket */

#pragma once

#include "libjob/job.h"
#include "libjob/job-wire-private.h"

G_BEGIN_DECLS

/* An input is
 *
 *   byte 0          flags: FUZZ_WIRE_WITH_FILE, FUZZ_WIRE_SEALED
 *   (with a file)   2 bytes, little endian: the message's length L
 *   message         L bytes (without a file: all the rest)
 *   (with a file)   the rest: the contents of a memfd sent with the
 *                   message as its out-of-band descriptor
 *
 * fuzz_wire_deliver() sends the message (and descriptor) on a fresh
 * SOCK_SEQPACKET socket pair and receives it with job_wire_receive(), as
 * the parent or the worker does. */
#define FUZZ_WIRE_WITH_FILE 0x01
#define FUZZ_WIRE_SEALED 0x02

JobWireStatus fuzz_wire_deliver (const guint8 *data,
                                 gsize size,
                                 JobWireMessage *message,
                                 GError **error);

/* The other way: an input that delivers @message_bytes and @file_bytes
 * (NULL: no descriptor). */
GBytes *
fuzz_wire_encode (GBytes *message_bytes, GBytes *file_bytes, gboolean sealed);

/* Sends a real message with job_wire_send() and captures what travels as
 * an input for fuzz_wire_deliver(). */
GBytes *fuzz_wire_capture (JobWireType type,
                           guint64 request_id,
                           const JobWireMetrics *metrics,
                           GBytes *const *parts,
                           guint n_parts);

G_END_DECLS
