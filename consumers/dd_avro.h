/*
 * dd_avro — Avro single-object encoding with writer -> reader schema
 * resolution (SPEC §2), on top of avro-c.
 *
 * Wire form of one message (Avro spec, "Single object encoding"):
 *   0xC3 0x01 | CRC-64-AVRO fingerprint of the writer schema, 8 bytes
 *   little-endian | the Avro binary body.
 * The fingerprint is the Rabin CRC-64 of the schema's Parsing Canonical Form
 * (PCF), implemented here from the spec ([PRIMITIVES] [FULLNAMES] [STRIP]
 * [ORDER] [STRINGS] [INTEGERS] [WHITESPACE]) and checked against the vectors
 * of the Avro test suite (share/test/data/schema-tests.txt).
 *
 * A dd_avro_codec holds ONE reader schema and a registry of writer schemas
 * keyed by fingerprint (the reader itself is always registered). Decoding
 * never trusts the bytes: the body is first walked against the writer schema
 * with bounds checks (varints, lengths within the buffer, union/enum indexes,
 * valid UTF-8 without NUL in strings, nothing left over), so garbage,
 * truncated bodies and unknown fingerprints are clean errors, never a crash,
 * an abort or a huge allocation; only then does avro-c read it.
 *
 * Two avro-c 1.11 gaps are closed at registration time (add_writer):
 *  - avro-c cannot fill a reader field the writer lacks (no default values
 *    in its resolver): the writer is resolved against a projection of the
 *    reader (its top-level fields that the writer has), and the missing
 *    fields are filled from the reader's JSON defaults. A missing field
 *    without a default, or a missing field of a NESTED record, is refused.
 *  - avro-c maps enums by position, not by symbol: a writer enum must list
 *    the reader's symbols in the same order (the reader may append).
 *
 * A codec is not thread-safe (it reuses its values and buffers): use one per
 * thread. The value returned by decode / codec_value belongs to the codec.
 */
#ifndef DD_AVRO_H
#define DD_AVRO_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

#define DD_AVRO_MAGIC0 0xC3
#define DD_AVRO_MAGIC1 0x01
#define DD_AVRO_HEADER_LEN 10

typedef enum {
    DD_AVRO_OK = 0,
    DD_AVRO_ERR_SCHEMA,            /* schema text is not a valid Avro schema */
    DD_AVRO_ERR_RESOLVE,           /* a writer schema the reader cannot read */
    DD_AVRO_ERR_NOT_SINGLE_OBJECT, /* no 0xC3 0x01 marker, or < 10 bytes */
    DD_AVRO_ERR_UNKNOWN_SCHEMA,    /* writer fingerprint not registered */
    DD_AVRO_ERR_MALFORMED,         /* body does not parse under the writer */
    DD_AVRO_ERR_ENCODE,            /* value cannot be written (unset union ...) */
    DD_AVRO_ERR_NOMEM
} dd_avro_code;

typedef struct {
    dd_avro_code code;
    char msg[256];
} dd_avro_error;

/* "OK", "SCHEMA", "RESOLVE", "NOT_SINGLE_OBJECT", "UNKNOWN_SCHEMA",
 * "MALFORMED", "ENCODE", "NOMEM". */
const char *dd_avro_code_name(dd_avro_code c);

/* CRC-64-AVRO (Rabin) of `len` bytes. */
uint64_t dd_avro_crc64(const void *data, size_t len);

/* Parsing Canonical Form of a schema's JSON text: *pcf is malloc'ed and
 * NUL-terminated (free() it). Returns 0, or -1 with err (SCHEMA). */
int dd_avro_canonical_form(const char *json, size_t len, char **pcf, size_t *pcf_len,
                           dd_avro_error *err);
/* CRC-64-AVRO of the PCF. */
int dd_avro_fingerprint(const char *json, size_t len, uint64_t *fp, dd_avro_error *err);

/* 1 when `buf` starts with the single-object marker and a fingerprint
 * (callers dispatch Avro vs JSON on it), else 0. */
int dd_avro_is_single_object(const void *buf, size_t len);

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates) without
 * a NUL byte: the rule every decoded Avro string must pass (strings become C
 * strings downstream). */
int dd_avro_utf8_ok(const unsigned char *s, size_t n);

/* Growing output buffer of dd_avro_encode. Zero-initialise; free with
 * dd_avro_buf_free. */
typedef struct {
    unsigned char *data;
    size_t len, cap;
} dd_avro_buf;
void dd_avro_buf_free(dd_avro_buf *b);

typedef struct dd_avro_codec dd_avro_codec;

/* A codec reading into `reader_json`'s schema (which is also registered as
 * a writer and is the schema dd_avro_encode writes). NULL with err. */
dd_avro_codec *dd_avro_codec_new(const char *reader_json, size_t len, dd_avro_error *err);
void dd_avro_codec_destroy(dd_avro_codec *c);

/* Register a writer schema (an older or newer producer's). Registering a
 * schema twice is fine. Returns 0 and its fingerprint, or -1 with err
 * (SCHEMA: not a schema; RESOLVE: not readable by the reader schema). */
int dd_avro_codec_add_writer(dd_avro_codec *c, const char *writer_json, size_t len,
                             uint64_t *fp, dd_avro_error *err);

uint64_t dd_avro_codec_fingerprint(const dd_avro_codec *c); /* the reader's */
avro_schema_t dd_avro_codec_schema(const dd_avro_codec *c);  /* borrowed */
const char *dd_avro_codec_canonical(const dd_avro_codec *c); /* reader PCF */
size_t dd_avro_codec_writer_count(const dd_avro_codec *c);

/* A blank reader-schema value to fill before dd_avro_encode: every
 * top-level field that has a default holds it (so optional fields are
 * null); other fields are reset and must be set. Owned by the codec, valid
 * until the next call. */
avro_value_t *dd_avro_codec_value(dd_avro_codec *c);

/* Write `v` (a value of the codec's reader schema) as one single-object
 * message into `out` (replacing its content). 0, or -1 with err. */
int dd_avro_encode(dd_avro_codec *c, avro_value_t *v, dd_avro_buf *out, dd_avro_error *err);

/* Read one single-object message. On success *out is a reader-schema value
 * owned by the codec (valid until the next decode or destroy) and
 * *writer_fp (if not NULL) the writer's fingerprint. -1 with err:
 * NOT_SINGLE_OBJECT, UNKNOWN_SCHEMA, MALFORMED. */
int dd_avro_decode(dd_avro_codec *c, const void *buf, size_t len, avro_value_t **out,
                   uint64_t *writer_fp, dd_avro_error *err);

#endif
