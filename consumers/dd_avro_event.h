/*
 * dd_avro_event — dd_event (core/dd_event.h) <-> Avro `cn.drgdip.SettlementEvent`
 * in single-object encoding (SPEC §2; schemas/event-v*.avsc, see schemas/README.md).
 *
 * Encoding (for `drgdip produce`): the codec's own schema (event-v2 by
 * default) is the writer. A field is written when its `has` bit is set AND it
 * applies to the event's type (the same per-type field table as the JSON
 * decoder); every other field is null. psn_no is written as it is (pseudonymise
 * first if it must not leave the process in clear).
 *
 * Decoding (for `drgdip run`): every embedded schemas/event-v*.avsc is a known
 * writer, resolved against the codec's schema (v1 messages lack
 * pay_method/bed_day_group: they read as null = the region's scheme). A null
 * field is absent (no `has` bit); non-null fields that do not apply to the type
 * are ignored, as the JSON decoder ignores them. The decoder rejects only what
 * cannot be represented in a dd_event; call dd_event_validate() afterwards for
 * the SPEC §2 / §11 rules, exactly as after dd_event_from_json().
 *
 * Units on the wire equal dd_event's: amounts long fen, points long 1/10000,
 * times long UTC ms (timestamp-millis), dates int days since 1970-01-01.
 * Codes that are strings on the wire: insutype "310", gend "1", dscg_way "1",
 * status "APPROVED", pay_method "BED_DAY"; MONTH_CLOSE month "YYYY-MM" (string
 * branch), BUDGET month 1..12 (int branch).
 *
 * Decode errors (dd_event_error.reason):
 *   UNDECODABLE     not a single-object message, or a body that does not parse
 *   UNKNOWN_SCHEMA  writer fingerprint not registered
 *   UNKNOWN_TYPE    enum symbol not an event type (a newer writer)
 *   BAD_FIELD / BAD_TIME / TOO_MANY_ENTRIES / BAD_SPECIAL_CASE  value does not
 *                   fit (string too long, bad digit code, negative points ...)
 *
 * A codec is not thread-safe: one per thread. Errors never abort.
 */
#ifndef DD_AVRO_EVENT_H
#define DD_AVRO_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "dd_avro.h"
#include "dd_event.h"

typedef struct dd_avro_event_codec dd_avro_event_codec;

/* A codec whose own (reader and writer) schema is the embedded schema file
 * `schema_name` ("event-v2", "event-v1"; NULL = "event-v2"). Every embedded
 * event-v* schema is registered as a writer. NULL on error, with a message in
 * errbuf. */
dd_avro_event_codec *dd_avro_event_codec_new(const char *schema_name, char *errbuf,
                                             size_t errcap);
void dd_avro_event_codec_destroy(dd_avro_event_codec *c);

/* Fingerprint of the codec's own schema (what dd_avro_event_encode writes). */
uint64_t dd_avro_event_codec_fingerprint(const dd_avro_event_codec *c);
/* The underlying generic codec (borrowed), e.g. to register another writer. */
dd_avro_codec *dd_avro_event_codec_avro(dd_avro_event_codec *c);

/* Encode `ev` into `out` (content replaced). 0, or -1 with err: BAD_FIELD when
 * ev holds a field the codec's schema lacks (pay_method with event-v1),
 * UNKNOWN_TYPE for DD_EV_NONE, UNDECODABLE when avro-c fails to write. */
int dd_avro_event_encode(dd_avro_event_codec *c, const dd_event *ev, dd_avro_buf *out,
                         dd_event_error *err);

/* Decode one message into `ev` (cleared first). 0, or -1 with err (above). */
int dd_avro_event_decode(dd_avro_event_codec *c, const void *buf, size_t len, dd_event *ev,
                         dd_event_error *err);

#endif
