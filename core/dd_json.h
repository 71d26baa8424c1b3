/*
 * dd_json — a small, fast JSON reader and writer (RFC 8259).
 *
 * Reader: dd_json_parse() turns one text into a flat, read-only tree owned
 * by a reusable dd_json_doc (parsing many texts with one doc allocates only
 * when a text is bigger than any before it). Strings are decoded (all
 * escapes, \uXXXX with surrogate pairs -> UTF-8; unpaired surrogates and
 * invalid UTF-8 in the input are errors) into NUL-terminated buffers.
 * Numbers are NOT converted: `str` holds their exact source text, so money
 * can be parsed exactly by the caller. Nesting deeper than DD_JSON_MAX_DEPTH,
 * trailing garbage, duplicate-free checks are not done (the first of
 * duplicate keys wins in dd_json_get). Errors give a message with the byte
 * offset of the problem.
 *
 * Writer: dd_jw appends compact JSON to a growing buffer; it inserts commas
 * itself and escapes strings (", \, control characters; UTF-8 passes through).
 */
#ifndef DD_JSON_H
#define DD_JSON_H

#include <stddef.h>
#include <stdint.h>

#define DD_JSON_MAX_DEPTH 64

typedef enum {
    DD_JSON_NULL = 0,
    DD_JSON_FALSE,
    DD_JSON_TRUE,
    DD_JSON_NUMBER,
    DD_JSON_STRING,
    DD_JSON_ARRAY,
    DD_JSON_OBJECT
} dd_json_type;

/* Nodes of one document are contiguous: the first child of a container is
 * the node right after it, and the next sibling of a node is `size` nodes
 * further (size = 1 + all descendants). */
typedef struct dd_json_value {
    dd_json_type type;
    uint32_t size;     /* nodes in this subtree, itself included */
    uint32_t n;        /* container: number of children */
    uint32_t len;      /* string: decoded bytes; number: text length */
    const char *str;   /* string (decoded) or number text; NUL-terminated */
    const char *key;   /* member name when the parent is an object, else NULL */
    uint32_t key_len;
    uint32_t offset;   /* byte offset of the value in the source text */
} dd_json_value;

typedef struct dd_json_doc dd_json_doc;

dd_json_doc *dd_json_doc_new(void);
void dd_json_doc_destroy(dd_json_doc *d);

/* Parse `len` bytes. Returns the root, or NULL with a message such as
 * "byte 17: expected ':'" available from dd_json_error(). The tree stays
 * valid until the next parse with the same doc. */
const dd_json_value *dd_json_parse(dd_json_doc *d, const char *text, size_t len);
const char *dd_json_error(const dd_json_doc *d);

/* Navigation. dd_json_get: member of an object by name (NULL when absent or
 * `obj` is not an object). First child / next sibling iterate containers. */
const dd_json_value *dd_json_get(const dd_json_value *obj, const char *key);
const dd_json_value *dd_json_first(const dd_json_value *container);
const dd_json_value *dd_json_next(const dd_json_value *v, const dd_json_value *container);

/* Exact integer of a number node without fraction or exponent
 * ("-12", "0"); -1 when it is not one or does not fit int64. */
int dd_json_int(const dd_json_value *v, int64_t *out);

/* Fast scanning for decoders that read JSON without building a tree.
 * dd_json_plain_string_end: `text[pos]` is an opening quote; returns the
 * offset just past the closing quote when the string is "plain" — no
 * escape, no control byte, valid UTF-8 (exactly what dd_json_parse would
 * accept and decode to the same bytes) — else 0 (not plain or malformed:
 * the caller falls back to dd_json_parse, which reports the error).
 * dd_json_number_end: `text[pos]` starts a number; offset past it, or 0
 * when it is not an RFC 8259 number. */
size_t dd_json_plain_string_end(const char *text, size_t pos, size_t len);
size_t dd_json_number_end(const char *text, size_t pos, size_t len);

/* ---- writer ---- */

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;                          /* sticky: an allocation failed */
    int depth;
    unsigned char need_comma[DD_JSON_MAX_DEPTH + 1];
    unsigned char after_key;
} dd_jw;

void dd_jw_init(dd_jw *w);
void dd_jw_free(dd_jw *w);
void dd_jw_reset(dd_jw *w);           /* empty, keep the memory */
/* The next top-level value is a new document appended to the buffer (no
 * comma before it): several messages written into one buffer. */
void dd_jw_new_document(dd_jw *w);
void dd_jw_object_begin(dd_jw *w);
void dd_jw_object_end(dd_jw *w);
void dd_jw_array_begin(dd_jw *w);
void dd_jw_array_end(dd_jw *w);
void dd_jw_key(dd_jw *w, const char *key);
void dd_jw_string(dd_jw *w, const char *s);
void dd_jw_string_n(dd_jw *w, const char *s, size_t n);
void dd_jw_int(dd_jw *w, int64_t v);
void dd_jw_bool(dd_jw *w, int v);
void dd_jw_null(dd_jw *w);
/* A value written verbatim (a number text, or pre-rendered JSON). */
void dd_jw_raw(dd_jw *w, const char *s, size_t n);
/* Bytes as a JSON string value in standard base64 (with '=' padding). */
void dd_jw_base64(dd_jw *w, const void *bytes, size_t n);
/* A scaled decimal as a JSON string ("12.50"), see dd_dec_format. */
void dd_jw_decimal_string(dd_jw *w, int64_t value, int scale);

/* Append bytes with JSON string escaping (no quotes) to any dd_jw buffer. */
void dd_jw_escape(dd_jw *w, const char *s, size_t n);
/* Append raw bytes outside the comma logic (e.g. a trailing newline). */
void dd_jw_append(dd_jw *w, const char *s, size_t n);

#endif
