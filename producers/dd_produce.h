/*
 * dd_produce — the Kafka producer behind `drgdip produce`, also used
 * in-process by `drgdip demo` and `drgdip bench stream`.
 *
 * Every message is keyed by the event's fixmedins_code (SPEC §2: one
 * hospital's events, so one case's, stay in one partition, in order).
 * Formats:
 *   JSON  the exact bytes of each input line (no re-encoding, bad lines too);
 *   AVRO  each line decoded (dd_event_from_json) and re-encoded as Avro
 *         single-object (dd_avro_event, schema event-v2); a line that does not
 *         decode or encode is sent as its raw bytes (so the processor's DLQ
 *         path can be tested) and counted in `raw`;
 *   MIX   alternates JSON and AVRO per message (mixed-format topic).
 * A line whose key cannot be found is sent without a key.
 *
 * librdkafka settings favour throughput (linger.ms 20, batches of up to
 * 10,000 messages / 1 MB, a deep local queue; a full queue is waited out by
 * polling); `extra` properties (key=value) are applied last, verbatim (SASL,
 * TLS...). Delivery reports are counted: flush() waits for every one.
 * Not thread-safe: one producer per thread.
 */
#ifndef DD_PRODUCE_H
#define DD_PRODUCE_H

#include <stddef.h>
#include <stdint.h>

#include "dd_event.h"

typedef enum { DD_PRODUCE_JSON = 0, DD_PRODUCE_AVRO = 1, DD_PRODUCE_MIX = 2 } dd_produce_format;

typedef struct {
    uint64_t sent;       /* handed to librdkafka */
    uint64_t delivered;  /* delivery reports without error */
    uint64_t failed;     /* delivery reports with an error */
    uint64_t json, avro; /* by wire format sent */
    uint64_t raw;        /* AVRO/MIX lines sent as raw bytes (did not decode/encode) */
    uint64_t no_key;     /* sent without a key */
    uint64_t bytes;
    char first_error[256]; /* first delivery error, "" when none */
} dd_producer_stats;

typedef struct dd_producer dd_producer;

/* `extra`: NULL or a NULL-terminated array of "key=value" librdkafka
 * properties. NULL with errstr on a bad property / client failure. */
dd_producer *dd_producer_new(const char *brokers, const char *topic, dd_produce_format fmt,
                             const char *const *extra, char *errstr, size_t errlen);

/* Key lines by setl_id instead of fixmedins_code (events without one keep
 * fixmedins_code). Violates SPEC §2 on purpose: for testing how the
 * processor copes with a producer that spreads a hospital over partitions. */
void dd_producer_key_by_setl_id(dd_producer *p, int on);

/* Send one JSONL line (without its newline). 0, or -1 on a local produce
 * error (errstr of the producer via dd_producer_errstr). */
int dd_producer_send_line(dd_producer *p, const char *line, size_t len);

/* Send an event built in-process (JSON by dd_event_to_json, or Avro). */
int dd_producer_send_event(dd_producer *p, const dd_event *ev);

/* Serve delivery reports (non-blocking when timeout_ms is 0). */
void dd_producer_poll(dd_producer *p, int timeout_ms);

/* Wait until every message sent has a delivery report or timeout_ms passed.
 * 0 when all are delivered without error, -1 otherwise. */
int dd_producer_flush(dd_producer *p, int timeout_ms);

void dd_producer_get_stats(const dd_producer *p, dd_producer_stats *out);
const char *dd_producer_errstr(const dd_producer *p);
void dd_producer_destroy(dd_producer *p);

#endif
