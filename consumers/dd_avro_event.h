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
 * Fast path: at creation every registered event-v* writer whose shape it
 * understands gets a "plan" (its fields in writer order, each a string /
 * enum / long / int / boolean / array of strings or a union of those, and
 * the dd_event field it feeds, or "skip" when the reader lacks it). A
 * message of such a writer is decoded straight from its bytes into the
 * dd_event, without avro-c. The fast path only SUCCEEDS where the avro-c
 * path below succeeds with the identical dd_event: on anything else
 * (unknown fingerprint, truncated body, trailing bytes, a varint that is
 * too long or not minimally encoded, invalid UTF-8 or NUL in a string,
 * a union branch or enum index out of range, a value a dd_event setter
 * rejects, a branch unexpected for the event type, a negative array block
 * whose byte size is not exact ...) it gives up and the avro-c path runs
 * from scratch and decides, so every error and reason code is the avro-c
 * path's. A writer whose shape a plan cannot express (another field type,
 * a reader field missing from it without a null default, a different type
 * for a field than the reader's) always takes the avro-c path.
 * One known exception, where the avro-c path has no stable answer: an
 * EMPTY array from a writer other than the codec's own schema (event-v1
 * messages for the default codec). avro-c's resolver never selects the
 * reader's union branch for it, so the avro-c path fails with UNDECODABLE
 * "Union has no selected branch" on a codec that has not yet read a
 * non-empty array in that field, reads the field as absent after a null
 * one, and as present and empty after a non-empty one. The fast path always
 * answers "present and empty" (the last case, and what an event-v2
 * message or JSON gives).
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

/* Decode one message into `ev` (cleared first). 0, or -1 with err (above).
 * `err` is only written on failure. */
int dd_avro_event_decode(dd_avro_event_codec *c, const void *buf, size_t len, dd_event *ev,
                         dd_event_error *err);

/* For tests and measurements: on = 0 makes every decode take the avro-c
 * path (the reference); 1 (the default) lets the fast path try first. */
void dd_avro_event_codec_set_fast(dd_avro_event_codec *c, int on);
/* Decodes the fast path completed (fell back: not counted). */
uint64_t dd_avro_event_codec_fast_count(const dd_avro_event_codec *c);
/* 1 when the writer with fingerprint `fp` has a fast-path plan. */
int dd_avro_event_codec_has_plan(const dd_avro_event_codec *c, uint64_t fp);

#endif
