/*
 * dd_avro_out — the outputs of SPEC §10 as Avro single-object messages
 * (schemas/alert.avsc, schemas/snapshot.avsc; see schemas/README.md).
 *
 * The Avro record carries exactly the content of the JSON form:
 *  - dd_alert -> cn.drgdip.Alert, the fields of dd_alert_to_json in its
 *    order; fixmedins_code / insutype are null where the JSON leaves them out
 *    (region / hospital alerts); explanation is a nested {zh, en} record.
 *  - dd_snapshot -> cn.drgdip.Snapshot, the SPEC §7 JSON form of
 *    dd_snapshot_to_json: decimals as the same strings (nothing rounded
 *    twice), counts as longs, cases_by_category a map holding the non-zero
 *    categories in SPEC order (avro-c keeps a map's insertion order).
 * dd_avro_out_to_json() writes a decoded output record back as that JSON
 * form, so "same content as the JSON form" is checkable byte for byte.
 *
 * Codecs come from dd_avro.h; one per thread. Errors never abort.
 */
#ifndef DD_AVRO_OUT_H
#define DD_AVRO_OUT_H

#include <stddef.h>

#include "dd_alert.h"
#include "dd_avro.h"
#include "dd_json.h"
#include "dd_snapshot.h"

/* A codec whose reader and writer schema is the embedded output schema
 * `schema_name` ("alert", "snapshot", "case-result", "dlq"). NULL with err
 * (SCHEMA when there is no such embedded schema). */
dd_avro_codec *dd_avro_out_codec_new(const char *schema_name, dd_avro_error *err);

/* Encode into `out` (content replaced) with a codec of schema "alert" /
 * "snapshot". 0, or -1 with err: ENCODE when the codec has another schema or
 * a value does not fit (e.g. an unknown alert type), NOMEM. */
int dd_avro_alert_encode(dd_avro_codec *c, const dd_alert *a, dd_avro_buf *out,
                         dd_avro_error *err);
int dd_avro_snapshot_encode(dd_avro_codec *c, const dd_snapshot *s, dd_avro_buf *out,
                            dd_avro_error *err);

/* The JSON form of a decoded value: records as objects in field order,
 * unions as their branch's value, maps as objects in stored order, longs and
 * ints as numbers (timestamp-millis too), enums as their symbol, bytes as
 * base64 strings. When omit_null, a record field whose value is null is left
 * out (the alert JSON form); otherwise it is written as null. Returns 0, or
 * -1 on a value it cannot read (float/double/fixed are not used by the
 * shipped schemas and are refused). */
int dd_avro_out_to_json(const avro_value_t *v, int omit_null, dd_jw *w);

#endif
