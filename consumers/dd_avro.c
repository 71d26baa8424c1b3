/*
 * dd_avro — see dd_avro.h. Three parts: the schema fingerprint (PCF +
 * CRC-64-AVRO, over dd_json), the bounds-checking body walker, and the codec
 * (avro-c values and resolvers plus the default-filling projection).
 */
#include "dd_avro.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_json.h"

#define DD_AVRO_MAX_DEPTH 64
/* Arrays of items that encode in 0 bytes (null, empty records) would let a
 * few bytes claim billions of items: cap them. */
#define DD_AVRO_MAX_EMPTY_ITEMS 4096

static void avro_err(dd_avro_error *err, dd_avro_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void avro_err(dd_avro_error *err, dd_avro_code code, const char *fmt, ...)
{
    if (!err)
        return;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

static void avro_ok(dd_avro_error *err)
{
    if (err) {
        err->code = DD_AVRO_OK;
        err->msg[0] = '\0';
    }
}

const char *dd_avro_code_name(dd_avro_code c)
{
    switch (c) {
    case DD_AVRO_OK: return "OK";
    case DD_AVRO_ERR_SCHEMA: return "SCHEMA";
    case DD_AVRO_ERR_RESOLVE: return "RESOLVE";
    case DD_AVRO_ERR_NOT_SINGLE_OBJECT: return "NOT_SINGLE_OBJECT";
    case DD_AVRO_ERR_UNKNOWN_SCHEMA: return "UNKNOWN_SCHEMA";
    case DD_AVRO_ERR_MALFORMED: return "MALFORMED";
    case DD_AVRO_ERR_ENCODE: return "ENCODE";
    case DD_AVRO_ERR_NOMEM: return "NOMEM";
    }
    return "?";
}

/* ---- CRC-64-AVRO ---------------------------------------------------- */

#define DD_CRC64_EMPTY UINT64_C(0xc15d213aa4d7a795)

/* Bit-at-a-time form of the spec's table-driven Rabin fingerprint (the same
 * function: the table entry for a byte is that byte shifted through these
 * eight steps). Fingerprints are only computed when schemas are
 * registered, so no table is needed. */
uint64_t dd_avro_crc64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t fp = DD_CRC64_EMPTY;
    for (size_t i = 0; i < len; i++) {
        fp ^= p[i];
        for (int k = 0; k < 8; k++)
            fp = (fp >> 1) ^ (DD_CRC64_EMPTY & (0 - (fp & 1)));
    }
    return fp;
}

/* ---- Parsing Canonical Form ----------------------------------------- */

typedef struct {
    dd_jw w;
    char **names; /* full names defined so far, in document order */
    size_t n_names, cap_names;
    dd_avro_error *err;
} pcf_ctx;

static const char *const dd_avro_primitives[] = {"null", "boolean", "int", "long",
                                                  "float", "double", "bytes", "string"};

static int is_primitive(const char *s)
{
    for (size_t i = 0; i < sizeof dd_avro_primitives / sizeof dd_avro_primitives[0]; i++)
        if (!strcmp(s, dd_avro_primitives[i]))
            return 1;
    return 0;
}

static int pcf_defined(const pcf_ctx *x, const char *full)
{
    for (size_t i = 0; i < x->n_names; i++)
        if (!strcmp(x->names[i], full))
            return 1;
    return 0;
}

static int pcf_define(pcf_ctx *x, const char *full)
{
    if (pcf_defined(x, full))
        return 0;
    if (x->n_names == x->cap_names) {
        size_t nc = x->cap_names ? x->cap_names * 2 : 16;
        char **nn = realloc(x->names, nc * sizeof *nn);
        if (!nn)
            return -1;
        x->names = nn;
        x->cap_names = nc;
    }
    char *d = strdup(full);
    if (!d)
        return -1;
    x->names[x->n_names++] = d;
    return 0;
}

/* `name` qualified by `ns` ("" or NULL = the null namespace) into buf. */
static int pcf_fullname(const char *name, const char *ns, char *buf, size_t cap)
{
    int n;
    if (strchr(name, '.') || !ns || !*ns)
        n = snprintf(buf, cap, "%s", name);
    else
        n = snprintf(buf, cap, "%s.%s", ns, name);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

/* A reference by name: the enclosing namespace first, then the null one
 * (as the Java implementation resolves it). */
static int pcf_reference(pcf_ctx *x, const char *name, const char *ns)
{
    char full[512];
    if (is_primitive(name)) {
        dd_jw_string(&x->w, name);
        return 0;
    }
    if (pcf_fullname(name, ns, full, sizeof full)) {
        avro_err(x->err, DD_AVRO_ERR_SCHEMA, "name too long: %.64s", name);
        return -1;
    }
    if (!pcf_defined(x, full) && !strchr(name, '.') && pcf_defined(x, name))
        snprintf(full, sizeof full, "%s", name);
    if (!pcf_defined(x, full)) {
        avro_err(x->err, DD_AVRO_ERR_SCHEMA, "undefined type name: %.200s", full);
        return -1;
    }
    dd_jw_string(&x->w, full);
    return 0;
}

static int pcf_schema(pcf_ctx *x, const dd_json_value *v, const char *ns, int depth);

static const char *json_str(const dd_json_value *obj, const char *key)
{
    const dd_json_value *s = dd_json_get(obj, key);
    return (s && s->type == DD_JSON_STRING) ? s->str : NULL;
}

/* Defines a named type: writes "name" and returns its namespace in nsbuf. */
static int pcf_named(pcf_ctx *x, const dd_json_value *v, const char *ns, char *full, size_t cap,
                     char *nsbuf, size_t nscap)
{
    const char *name = json_str(v, "name");
    if (!name || !*name) {
        avro_err(x->err, DD_AVRO_ERR_SCHEMA, "named type without a name");
        return -1;
    }
    const dd_json_value *nsv = dd_json_get(v, "namespace");
    const char *own_ns = ns;
    if (nsv && nsv->type == DD_JSON_STRING)
        own_ns = nsv->str;
    if (pcf_fullname(name, own_ns, full, cap)) {
        avro_err(x->err, DD_AVRO_ERR_SCHEMA, "name too long: %.64s", name);
        return -1;
    }
    const char *dot = strrchr(full, '.');
    size_t nl = dot ? (size_t)(dot - full) : 0;
    if (nl >= nscap) {
        avro_err(x->err, DD_AVRO_ERR_SCHEMA, "namespace too long");
        return -1;
    }
    memcpy(nsbuf, full, nl);
    nsbuf[nl] = '\0';
    if (pcf_define(x, full)) {
        avro_err(x->err, DD_AVRO_ERR_NOMEM, "out of memory");
        return -1;
    }
    dd_jw_key(&x->w, "name");
    dd_jw_string(&x->w, full);
    return 0;
}

static int pcf_object(pcf_ctx *x, const dd_json_value *v, const char *ns, int depth)
{
    const dd_json_value *tv = dd_json_get(v, "type");
    if (!tv) {
        avro_err(x->err, DD_AVRO_ERR_SCHEMA, "schema object without \"type\"");
        return -1;
    }
    if (tv->type != DD_JSON_STRING) /* {"type": {...}} / {"type": [...]} */
        return pcf_schema(x, tv, ns, depth + 1);
    const char *t = tv->str;
    char full[512], inner_ns[512];

    if (is_primitive(t)) { /* [PRIMITIVES], logicalType etc. stripped */
        dd_jw_string(&x->w, t);
        return 0;
    }
    if (!strcmp(t, "record") || !strcmp(t, "error")) {
        dd_jw_object_begin(&x->w);
        if (pcf_named(x, v, ns, full, sizeof full, inner_ns, sizeof inner_ns))
            return -1;
        dd_jw_key(&x->w, "type");
        dd_jw_string(&x->w, t);
        const dd_json_value *fields = dd_json_get(v, "fields");
        if (!fields || fields->type != DD_JSON_ARRAY) {
            avro_err(x->err, DD_AVRO_ERR_SCHEMA, "record %.200s without \"fields\" array", full);
            return -1;
        }
        dd_jw_key(&x->w, "fields");
        dd_jw_array_begin(&x->w);
        for (const dd_json_value *f = dd_json_first(fields); f; f = dd_json_next(f, fields)) {
            const char *fname = json_str(f, "name");
            const dd_json_value *ft = f->type == DD_JSON_OBJECT ? dd_json_get(f, "type") : NULL;
            if (!fname || !ft) {
                avro_err(x->err, DD_AVRO_ERR_SCHEMA, "record %.200s: a field without name or type",
                         full);
                return -1;
            }
            dd_jw_object_begin(&x->w);
            dd_jw_key(&x->w, "name");
            dd_jw_string(&x->w, fname);
            dd_jw_key(&x->w, "type");
            if (pcf_schema(x, ft, inner_ns, depth + 1))
                return -1;
            dd_jw_object_end(&x->w);
        }
        dd_jw_array_end(&x->w);
        dd_jw_object_end(&x->w);
        return 0;
    }
    if (!strcmp(t, "enum")) {
        dd_jw_object_begin(&x->w);
        if (pcf_named(x, v, ns, full, sizeof full, inner_ns, sizeof inner_ns))
            return -1;
        dd_jw_key(&x->w, "type");
        dd_jw_string(&x->w, "enum");
        const dd_json_value *syms = dd_json_get(v, "symbols");
        if (!syms || syms->type != DD_JSON_ARRAY) {
            avro_err(x->err, DD_AVRO_ERR_SCHEMA, "enum %.200s without \"symbols\" array", full);
            return -1;
        }
        dd_jw_key(&x->w, "symbols");
        dd_jw_array_begin(&x->w);
        for (const dd_json_value *s = dd_json_first(syms); s; s = dd_json_next(s, syms)) {
            if (s->type != DD_JSON_STRING) {
                avro_err(x->err, DD_AVRO_ERR_SCHEMA, "enum %.200s: a symbol is not a string", full);
                return -1;
            }
            dd_jw_string_n(&x->w, s->str, s->len);
        }
        dd_jw_array_end(&x->w);
        dd_jw_object_end(&x->w);
        return 0;
    }
    if (!strcmp(t, "fixed")) {
        dd_jw_object_begin(&x->w);
        if (pcf_named(x, v, ns, full, sizeof full, inner_ns, sizeof inner_ns))
            return -1;
        dd_jw_key(&x->w, "type");
        dd_jw_string(&x->w, "fixed");
        const dd_json_value *sz = dd_json_get(v, "size");
        int64_t n;
        if (!sz || dd_json_int(sz, &n) || n < 0) {
            avro_err(x->err, DD_AVRO_ERR_SCHEMA, "fixed %.200s without a valid size", full);
            return -1;
        }
        dd_jw_key(&x->w, "size");
        dd_jw_int(&x->w, n); /* [INTEGERS]: no quotes, no leading zeros */
        dd_jw_object_end(&x->w);
        return 0;
    }
    if (!strcmp(t, "array") || !strcmp(t, "map")) {
        int is_array = t[0] == 'a';
        const char *key = is_array ? "items" : "values";
        const dd_json_value *sub = dd_json_get(v, key);
        if (!sub) {
            avro_err(x->err, DD_AVRO_ERR_SCHEMA, "%s without \"%s\"", t, key);
            return -1;
        }
        dd_jw_object_begin(&x->w);
        dd_jw_key(&x->w, "type");
        dd_jw_string(&x->w, t);
        dd_jw_key(&x->w, key);
        if (pcf_schema(x, sub, ns, depth + 1))
            return -1;
        dd_jw_object_end(&x->w);
        return 0;
    }
    /* {"type": "some.Named"}: a reference */
    return pcf_reference(x, t, ns);
}

static int pcf_schema(pcf_ctx *x, const dd_json_value *v, const char *ns, int depth)
{
    if (depth > DD_AVRO_MAX_DEPTH) {
        avro_err(x->err, DD_AVRO_ERR_SCHEMA, "schema nested too deep");
        return -1;
    }
    switch (v->type) {
    case DD_JSON_STRING:
        return pcf_reference(x, v->str, ns);
    case DD_JSON_ARRAY:
        dd_jw_array_begin(&x->w);
        for (const dd_json_value *b = dd_json_first(v); b; b = dd_json_next(b, v))
            if (pcf_schema(x, b, ns, depth + 1))
                return -1;
        dd_jw_array_end(&x->w);
        return 0;
    case DD_JSON_OBJECT:
        return pcf_object(x, v, ns, depth);
    default:
        avro_err(x->err, DD_AVRO_ERR_SCHEMA, "a schema must be a string, array or object");
        return -1;
    }
}

static int pcf_from_tree(const dd_json_value *root, char **pcf, size_t *pcf_len,
                         dd_avro_error *err)
{
    pcf_ctx x;
    memset(&x, 0, sizeof x);
    x.err = err;
    dd_jw_init(&x.w);
    int rc = pcf_schema(&x, root, "", 0);
    if (!rc && x.w.oom) {
        avro_err(err, DD_AVRO_ERR_NOMEM, "out of memory");
        rc = -1;
    }
    for (size_t i = 0; i < x.n_names; i++)
        free(x.names[i]);
    free(x.names);
    if (rc) {
        dd_jw_free(&x.w);
        return -1;
    }
    *pcf = x.w.buf; /* ownership moves to the caller */
    if (pcf_len)
        *pcf_len = x.w.len;
    return 0;
}

int dd_avro_canonical_form(const char *json, size_t len, char **pcf, size_t *pcf_len,
                           dd_avro_error *err)
{
    dd_json_doc *doc = dd_json_doc_new();
    if (!doc) {
        avro_err(err, DD_AVRO_ERR_NOMEM, "out of memory");
        return -1;
    }
    const dd_json_value *root = dd_json_parse(doc, json, len);
    int rc;
    if (!root) {
        avro_err(err, DD_AVRO_ERR_SCHEMA, "schema JSON: %s", dd_json_error(doc));
        rc = -1;
    } else {
        rc = pcf_from_tree(root, pcf, pcf_len, err);
    }
    dd_json_doc_destroy(doc);
    if (!rc)
        avro_ok(err);
    return rc;
}

int dd_avro_fingerprint(const char *json, size_t len, uint64_t *fp, dd_avro_error *err)
{
    char *pcf;
    size_t n;
    if (dd_avro_canonical_form(json, len, &pcf, &n, err))
        return -1;
    *fp = dd_avro_crc64(pcf, n);
    free(pcf);
    return 0;
}

int dd_avro_is_single_object(const void *buf, size_t len)
{
    const unsigned char *b = buf;
    return len >= DD_AVRO_HEADER_LEN && b[0] == DD_AVRO_MAGIC0 && b[1] == DD_AVRO_MAGIC1;
}

void dd_avro_buf_free(dd_avro_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- body walker: bounds checks before avro-c sees the bytes ---------- */

typedef struct {
    const unsigned char *start, *p, *end;
    dd_avro_error *err;
} walk_ctx;

static int walk_fail(walk_ctx *w, const char *what)
{
    avro_err(w->err, DD_AVRO_ERR_MALFORMED, "body byte %zu: %s", (size_t)(w->p - w->start), what);
    return -1;
}

/* Zigzag varint of at most 10 bytes that fits 64 bits. */
static int walk_long(walk_ctx *w, int64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (w->p >= w->end)
            return walk_fail(w, "truncated varint");
        unsigned b = *w->p++;
        if (i == 9 && b > 1)
            return walk_fail(w, "varint overflows 64 bits");
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            return 0;
        }
    }
    return walk_fail(w, "varint longer than 10 bytes");
}

int dd_avro_utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned cp;
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* Fewest bytes a value of schema s can take (0 for null / empty records). */
static size_t min_size(avro_schema_t s, int depth)
{
    if (depth > DD_AVRO_MAX_DEPTH)
        return 1;
    switch (avro_typeof(s)) {
    case AVRO_NULL: return 0;
    case AVRO_FLOAT: return 4;
    case AVRO_DOUBLE: return 8;
    case AVRO_FIXED: return (size_t)avro_schema_fixed_size(s);
    case AVRO_RECORD: {
        size_t n = 0, k = avro_schema_record_size(s);
        for (size_t i = 0; i < k; i++)
            n += min_size(avro_schema_record_field_get_by_index(s, (int)i), depth + 1);
        return n;
    }
    default: return 1;
    }
}

static int walk_value(walk_ctx *w, avro_schema_t s, int depth)
{
    int64_t n;
    if (depth > DD_AVRO_MAX_DEPTH)
        return walk_fail(w, "value nested too deep");
    switch (avro_typeof(s)) {
    case AVRO_NULL:
        return 0;
    case AVRO_BOOLEAN:
        if (w->p >= w->end)
            return walk_fail(w, "truncated boolean");
        if (*w->p > 1)
            return walk_fail(w, "boolean byte is not 0 or 1");
        w->p++;
        return 0;
    case AVRO_INT32:
        if (walk_long(w, &n))
            return -1;
        if (n < INT32_MIN || n > INT32_MAX)
            return walk_fail(w, "int out of range");
        return 0;
    case AVRO_INT64:
        return walk_long(w, &n);
    case AVRO_FLOAT:
    case AVRO_DOUBLE: {
        size_t k = avro_typeof(s) == AVRO_FLOAT ? 4 : 8;
        if ((size_t)(w->end - w->p) < k)
            return walk_fail(w, "truncated float");
        w->p += k;
        return 0;
    }
    case AVRO_STRING:
    case AVRO_BYTES:
        if (walk_long(w, &n))
            return -1;
        if (n < 0)
            return walk_fail(w, "negative length");
        if ((uint64_t)n > (uint64_t)(w->end - w->p))
            return walk_fail(w, "length beyond the end of the message");
        if (avro_typeof(s) == AVRO_STRING && !dd_avro_utf8_ok(w->p, (size_t)n))
            return walk_fail(w, "string is not UTF-8 text without NUL");
        w->p += n;
        return 0;
    case AVRO_FIXED: {
        int64_t k = avro_schema_fixed_size(s);
        if (k < 0 || (uint64_t)k > (uint64_t)(w->end - w->p))
            return walk_fail(w, "truncated fixed");
        w->p += k;
        return 0;
    }
    case AVRO_ENUM:
        if (walk_long(w, &n))
            return -1;
        if (n < 0 || n >= avro_schema_enum_number_of_symbols(s))
            return walk_fail(w, "enum index out of range");
        return 0;
    case AVRO_UNION:
        if (walk_long(w, &n))
            return -1;
        if (n < 0 || (uint64_t)n >= avro_schema_union_size(s))
            return walk_fail(w, "union branch out of range");
        return walk_value(w, avro_schema_union_branch(s, (int)n), depth + 1);
    case AVRO_RECORD: {
        size_t k = avro_schema_record_size(s);
        for (size_t i = 0; i < k; i++)
            if (walk_value(w, avro_schema_record_field_get_by_index(s, (int)i), depth + 1))
                return -1;
        return 0;
    }
    case AVRO_ARRAY:
    case AVRO_MAP: {
        int is_map = avro_typeof(s) == AVRO_MAP;
        avro_schema_t item = is_map ? avro_schema_map_values(s) : avro_schema_array_items(s);
        size_t item_min = is_map ? 1 : min_size(item, depth + 1);
        uint64_t total = 0;
        for (;;) {
            if (walk_long(w, &n))
                return -1;
            if (n == 0)
                return 0;
            if (n < 0) {
                int64_t bytes;
                if (n == INT64_MIN)
                    return walk_fail(w, "bad block count");
                n = -n;
                if (walk_long(w, &bytes))
                    return -1;
                if (bytes < 0 || (uint64_t)bytes > (uint64_t)(w->end - w->p))
                    return walk_fail(w, "block size beyond the end of the message");
            }
            total += (uint64_t)n;
            if (item_min == 0 ? total > DD_AVRO_MAX_EMPTY_ITEMS
                              : (uint64_t)n > (uint64_t)(w->end - w->p) / item_min)
                return walk_fail(w, "more items than the message can hold");
            for (int64_t i = 0; i < n; i++) {
                if (is_map) {
                    int64_t kl;
                    if (walk_long(w, &kl))
                        return -1;
                    if (kl < 0 || (uint64_t)kl > (uint64_t)(w->end - w->p))
                        return walk_fail(w, "map key beyond the end of the message");
                    if (!dd_avro_utf8_ok(w->p, (size_t)kl))
                        return walk_fail(w, "map key is not UTF-8 text without NUL");
                    w->p += kl;
                }
                if (walk_value(w, item, depth + 1))
                    return -1;
            }
        }
    }
    case AVRO_LINK:
        return walk_value(w, avro_schema_link_target(s), depth + 1);
    default:
        return walk_fail(w, "unsupported schema type");
    }
}

/* ---- default values from JSON ----------------------------------------- */

/* Sets v (of schema s) to the JSON default j (Avro spec: a union's default
 * is for its first branch; bytes/fixed are strings of code points 0-255). */
static int set_default(avro_value_t *v, avro_schema_t s, const dd_json_value *j, int depth,
                       dd_avro_error *err)
{
    int64_t n;
    avro_value_t child;
    if (depth > DD_AVRO_MAX_DEPTH)
        goto bad;
    switch (avro_typeof(s)) {
    case AVRO_NULL:
        if (j->type != DD_JSON_NULL)
            goto bad;
        return avro_value_set_null(v) ? -1 : 0;
    case AVRO_BOOLEAN:
        if (j->type != DD_JSON_TRUE && j->type != DD_JSON_FALSE)
            goto bad;
        return avro_value_set_boolean(v, j->type == DD_JSON_TRUE) ? -1 : 0;
    case AVRO_INT32:
        if (dd_json_int(j, &n) || n < INT32_MIN || n > INT32_MAX)
            goto bad;
        return avro_value_set_int(v, (int32_t)n) ? -1 : 0;
    case AVRO_INT64:
        if (dd_json_int(j, &n))
            goto bad;
        return avro_value_set_long(v, n) ? -1 : 0;
    case AVRO_FLOAT:
    case AVRO_DOUBLE:
        /* Schema defaults only; never money (amounts are long fen). */
        if (j->type != DD_JSON_NUMBER)
            goto bad;
        if (avro_typeof(s) == AVRO_FLOAT)
            return avro_value_set_float(v, strtof(j->str, NULL)) ? -1 : 0;
        return avro_value_set_double(v, strtod(j->str, NULL)) ? -1 : 0;
    case AVRO_STRING:
        if (j->type != DD_JSON_STRING)
            goto bad;
        return avro_value_set_string_len(v, j->str, (size_t)j->len + 1) ? -1 : 0;
    case AVRO_BYTES:
    case AVRO_FIXED: {
        if (j->type != DD_JSON_STRING)
            goto bad;
        /* code points U+0000..U+00FF, UTF-8 encoded in the decoded text */
        unsigned char *b = malloc((size_t)j->len + 1);
        size_t bl = 0;
        if (!b)
            goto bad;
        for (uint32_t i = 0; i < j->len;) {
            unsigned char c = (unsigned char)j->str[i];
            if (c < 0x80) {
                b[bl++] = c;
                i++;
            } else if ((c == 0xc2 || c == 0xc3) && i + 1 < j->len) {
                b[bl++] = (unsigned char)(((c & 0x03) << 6) | ((unsigned char)j->str[i + 1] & 0x3f));
                i += 2;
            } else {
                free(b);
                goto bad;
            }
        }
        int rc;
        if (avro_typeof(s) == AVRO_FIXED)
            rc = (int64_t)bl == avro_schema_fixed_size(s) ? avro_value_set_fixed(v, b, bl) : -1;
        else
            rc = avro_value_set_bytes(v, b, bl);
        free(b);
        if (rc)
            goto bad;
        return 0;
    }
    case AVRO_ENUM: {
        if (j->type != DD_JSON_STRING)
            goto bad;
        int idx = avro_schema_enum_get_by_name(s, j->str);
        if (idx < 0)
            goto bad;
        return avro_value_set_enum(v, idx) ? -1 : 0;
    }
    case AVRO_UNION:
        if (avro_value_set_branch(v, 0, &child))
            goto bad;
        return set_default(&child, avro_schema_union_branch(s, 0), j, depth + 1, err);
    case AVRO_ARRAY:
        if (j->type != DD_JSON_ARRAY)
            goto bad;
        for (const dd_json_value *e = dd_json_first(j); e; e = dd_json_next(e, j)) {
            if (avro_value_append(v, &child, NULL))
                goto bad;
            if (set_default(&child, avro_schema_array_items(s), e, depth + 1, err))
                return -1;
        }
        return 0;
    case AVRO_MAP:
        if (j->type != DD_JSON_OBJECT)
            goto bad;
        for (const dd_json_value *e = dd_json_first(j); e; e = dd_json_next(e, j)) {
            if (avro_value_add(v, e->key, &child, NULL, NULL))
                goto bad;
            if (set_default(&child, avro_schema_map_values(s), e, depth + 1, err))
                return -1;
        }
        return 0;
    case AVRO_RECORD: {
        if (j->type != DD_JSON_OBJECT)
            goto bad;
        size_t k = avro_schema_record_size(s);
        for (size_t i = 0; i < k; i++) {
            const dd_json_value *fj = dd_json_get(j, avro_schema_record_field_name(s, (int)i));
            if (!fj || avro_value_get_by_index(v, i, &child, NULL))
                goto bad;
            if (set_default(&child, avro_schema_record_field_get_by_index(s, (int)i), fj,
                            depth + 1, err))
                return -1;
        }
        return 0;
    }
    case AVRO_LINK:
        return set_default(v, avro_schema_link_target(s), j, depth + 1, err);
    default:
        goto bad;
    }
bad:
    avro_err(err, DD_AVRO_ERR_SCHEMA, "a default value does not match its schema (%s)",
             avro_schema_type_name(s));
    return -1;
}

/* ---- enum compatibility (avro-c resolves enums by position) ------------- */

typedef struct {
    avro_schema_t *v;
    size_t n, cap;
} schema_list;

static int collect_enums(avro_schema_t s, schema_list *out, int depth)
{
    if (depth > DD_AVRO_MAX_DEPTH)
        return 0;
    switch (avro_typeof(s)) {
    case AVRO_ENUM:
        for (size_t i = 0; i < out->n; i++)
            if (out->v[i] == s)
                return 0;
        if (out->n == out->cap) {
            size_t nc = out->cap ? out->cap * 2 : 8;
            avro_schema_t *nv = realloc(out->v, nc * sizeof *nv);
            if (!nv)
                return -1;
            out->v = nv;
            out->cap = nc;
        }
        out->v[out->n++] = s;
        return 0;
    case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(s); i++)
            if (collect_enums(avro_schema_record_field_get_by_index(s, (int)i), out, depth + 1))
                return -1;
        return 0;
    case AVRO_UNION:
        for (size_t i = 0; i < avro_schema_union_size(s); i++)
            if (collect_enums(avro_schema_union_branch(s, (int)i), out, depth + 1))
                return -1;
        return 0;
    case AVRO_ARRAY:
        return collect_enums(avro_schema_array_items(s), out, depth + 1);
    case AVRO_MAP:
        return collect_enums(avro_schema_map_values(s), out, depth + 1);
    default: /* links point at records already being walked */
        return 0;
    }
}

static int same_fullname(avro_schema_t a, avro_schema_t b)
{
    const char *na = avro_schema_namespace(a), *nb = avro_schema_namespace(b);
    if (!na)
        na = "";
    if (!nb)
        nb = "";
    return !strcmp(avro_schema_name(a), avro_schema_name(b)) && !strcmp(na, nb);
}

static int check_enums(avro_schema_t writer, avro_schema_t reader, dd_avro_error *err)
{
    schema_list wl = {0}, rl = {0};
    int rc = 0;
    if (collect_enums(writer, &wl, 0) || collect_enums(reader, &rl, 0)) {
        avro_err(err, DD_AVRO_ERR_NOMEM, "out of memory");
        rc = -1;
    }
    for (size_t i = 0; !rc && i < wl.n; i++)
        for (size_t j = 0; !rc && j < rl.n; j++) {
            if (!same_fullname(wl.v[i], rl.v[j]))
                continue;
            int nw = avro_schema_enum_number_of_symbols(wl.v[i]);
            int nr = avro_schema_enum_number_of_symbols(rl.v[j]);
            for (int k = 0; k < nw; k++) {
                if (k >= nr ||
                    strcmp(avro_schema_enum_get(wl.v[i], k), avro_schema_enum_get(rl.v[j], k))) {
                    avro_err(err, DD_AVRO_ERR_RESOLVE,
                             "enum %s: writer symbol %d (%s) is not the reader's symbol %d; "
                             "symbols may only be appended",
                             avro_schema_name(wl.v[i]), k, avro_schema_enum_get(wl.v[i], k), k);
                    rc = -1;
                    break;
                }
            }
        }
    free(wl.v);
    free(rl.v);
    return rc;
}

/* ---- codec ------------------------------------------------------------ */

typedef struct {
    uint64_t fp;
    avro_schema_t schema;        /* the writer's */
    int direct;                  /* same PCF as the reader: plain read */
    avro_value_iface_t *resolver; /* resolved writer: writer -> reader or projection */
    avro_value_t resolved;
    avro_schema_t proj;           /* projection of the reader, or NULL */
    avro_value_iface_t *proj_iface;
    avro_value_t proj_value;
    int *proj_index;              /* per reader field: index in proj, or -1 */
} writer_entry;

struct dd_avro_codec {
    avro_schema_t reader;
    char *reader_json;
    size_t reader_json_len;
    char *reader_pcf;
    uint64_t fp;
    avro_value_iface_t *iface;
    avro_value_t dec, enc, defaults;
    size_t n_fields;        /* top-level fields when the reader is a record */
    unsigned char *has_default;
    writer_entry *w;
    size_t nw, capw;
    avro_reader_t rd;
    avro_writer_t wr;
};

static avro_schema_t parse_schema(const char *json, size_t len, dd_avro_error *err)
{
    avro_schema_t s = NULL;
    if (avro_schema_from_json_length(json, len, &s) || !s) {
        avro_err(err, DD_AVRO_ERR_SCHEMA, "avro-c: %s", avro_strerror());
        return NULL;
    }
    return s;
}

static void writer_entry_free(writer_entry *e)
{
    if (e->resolver) {
        avro_value_decref(&e->resolved);
        avro_value_iface_decref(e->resolver);
    }
    if (e->proj_iface) {
        avro_value_decref(&e->proj_value);
        avro_value_iface_decref(e->proj_iface);
    }
    if (e->proj)
        avro_schema_decref(e->proj);
    if (e->schema)
        avro_schema_decref(e->schema);
    free(e->proj_index);
}

void dd_avro_codec_destroy(dd_avro_codec *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nw; i++)
        writer_entry_free(&c->w[i]);
    free(c->w);
    if (c->iface) {
        avro_value_decref(&c->dec);
        avro_value_decref(&c->enc);
        avro_value_decref(&c->defaults);
        avro_value_iface_decref(c->iface);
    }
    if (c->reader)
        avro_schema_decref(c->reader);
    if (c->rd)
        avro_reader_free(c->rd);
    if (c->wr)
        avro_writer_free(c->wr);
    free(c->has_default);
    free(c->reader_json);
    free(c->reader_pcf);
    free(c);
}

/* Fills c->defaults from the reader JSON's top-level field defaults. */
static int codec_defaults(dd_avro_codec *c, const dd_json_value *root, dd_avro_error *err)
{
    if (avro_typeof(c->reader) != AVRO_RECORD)
        return 0;
    c->n_fields = avro_schema_record_size(c->reader);
    c->has_default = calloc(c->n_fields ? c->n_fields : 1, 1);
    if (!c->has_default) {
        avro_err(err, DD_AVRO_ERR_NOMEM, "out of memory");
        return -1;
    }
    const dd_json_value *fields = dd_json_get(root, "fields");
    size_t i = 0;
    for (const dd_json_value *f = fields ? dd_json_first(fields) : NULL; f && i < c->n_fields;
         f = dd_json_next(f, fields), i++) {
        const dd_json_value *d = dd_json_get(f, "default");
        if (!d)
            continue;
        avro_value_t fv;
        if (avro_value_get_by_index(&c->defaults, i, &fv, NULL) ||
            set_default(&fv, avro_schema_record_field_get_by_index(c->reader, (int)i), d, 0,
                        err)) {
            char m[sizeof err->msg];
            snprintf(m, sizeof m, "%s", err ? err->msg : "");
            avro_err(err, DD_AVRO_ERR_SCHEMA, "field %.64s: %.180s",
                     avro_schema_record_field_name(c->reader, (int)i), m);
            return -1;
        }
        c->has_default[i] = 1;
    }
    return 0;
}

dd_avro_codec *dd_avro_codec_new(const char *reader_json, size_t len, dd_avro_error *err)
{
    dd_avro_codec *c = calloc(1, sizeof *c);
    dd_json_doc *doc = dd_json_doc_new();
    if (!c || !doc) {
        avro_err(err, DD_AVRO_ERR_NOMEM, "out of memory");
        goto fail;
    }
    const dd_json_value *root = dd_json_parse(doc, reader_json, len);
    if (!root) {
        avro_err(err, DD_AVRO_ERR_SCHEMA, "schema JSON: %s", dd_json_error(doc));
        goto fail;
    }
    size_t pcf_len;
    if (pcf_from_tree(root, &c->reader_pcf, &pcf_len, err))
        goto fail;
    c->fp = dd_avro_crc64(c->reader_pcf, pcf_len);
    c->reader_json = malloc(len + 1);
    if (!c->reader_json) {
        avro_err(err, DD_AVRO_ERR_NOMEM, "out of memory");
        goto fail;
    }
    memcpy(c->reader_json, reader_json, len);
    c->reader_json[len] = '\0';
    c->reader_json_len = len;
    if (!(c->reader = parse_schema(reader_json, len, err)))
        goto fail;
    c->iface = avro_generic_class_from_schema(c->reader);
    if (!c->iface) {
        avro_err(err, DD_AVRO_ERR_SCHEMA, "avro-c: %s", avro_strerror());
        goto fail;
    }
    if (avro_generic_value_new(c->iface, &c->dec)) {
        avro_value_iface_decref(c->iface);
        c->iface = NULL;
        avro_err(err, DD_AVRO_ERR_NOMEM, "avro-c: %s", avro_strerror());
        goto fail;
    }
    /* The three values exist together or not at all (destroy relies on it). */
    if (avro_generic_value_new(c->iface, &c->enc)) {
        avro_value_decref(&c->dec);
        avro_value_iface_decref(c->iface);
        c->iface = NULL;
        avro_err(err, DD_AVRO_ERR_NOMEM, "avro-c: %s", avro_strerror());
        goto fail;
    }
    if (avro_generic_value_new(c->iface, &c->defaults)) {
        avro_value_decref(&c->dec);
        avro_value_decref(&c->enc);
        avro_value_iface_decref(c->iface);
        c->iface = NULL;
        avro_err(err, DD_AVRO_ERR_NOMEM, "avro-c: %s", avro_strerror());
        goto fail;
    }
    if (codec_defaults(c, root, err))
        goto fail;
    c->rd = avro_reader_memory(NULL, 0);
    c->wr = avro_writer_memory(NULL, 0);
    if (!c->rd || !c->wr) {
        avro_err(err, DD_AVRO_ERR_NOMEM, "out of memory");
        goto fail;
    }
    dd_json_doc_destroy(doc);
    doc = NULL;
    uint64_t fp;
    if (dd_avro_codec_add_writer(c, reader_json, len, &fp, err))
        goto fail;
    avro_ok(err);
    return c;
fail:
    dd_json_doc_destroy(doc);
    dd_avro_codec_destroy(c);
    return NULL;
}

/* Re-emits a parsed JSON value (numbers verbatim). */
static void json_emit(dd_jw *w, const dd_json_value *v)
{
    switch (v->type) {
    case DD_JSON_NULL: dd_jw_null(w); return;
    case DD_JSON_TRUE: dd_jw_bool(w, 1); return;
    case DD_JSON_FALSE: dd_jw_bool(w, 0); return;
    case DD_JSON_NUMBER: dd_jw_raw(w, v->str, v->len); return;
    case DD_JSON_STRING: dd_jw_string_n(w, v->str, v->len); return;
    case DD_JSON_ARRAY:
        dd_jw_array_begin(w);
        for (const dd_json_value *e = dd_json_first(v); e; e = dd_json_next(e, v))
            json_emit(w, e);
        dd_jw_array_end(w);
        return;
    case DD_JSON_OBJECT:
        dd_jw_object_begin(w);
        for (const dd_json_value *e = dd_json_first(v); e; e = dd_json_next(e, v)) {
            dd_jw_key(w, e->key);
            json_emit(w, e);
        }
        dd_jw_object_end(w);
        return;
    }
}

/* The reader's JSON with only the top-level fields the writer has. */
static char *projection_json(const dd_json_value *root, avro_schema_t writer)
{
    dd_jw w;
    dd_jw_init(&w);
    dd_jw_object_begin(&w);
    for (const dd_json_value *m = dd_json_first(root); m; m = dd_json_next(m, root)) {
        dd_jw_key(&w, m->key);
        if (strcmp(m->key, "fields") || m->type != DD_JSON_ARRAY) {
            json_emit(&w, m);
            continue;
        }
        dd_jw_array_begin(&w);
        for (const dd_json_value *f = dd_json_first(m); f; f = dd_json_next(f, m)) {
            const char *fname = json_str(f, "name");
            if (fname && avro_schema_record_field_get_index(writer, fname) >= 0)
                json_emit(&w, f);
        }
        dd_jw_array_end(&w);
    }
    dd_jw_object_end(&w);
    if (w.oom) {
        dd_jw_free(&w);
        return NULL;
    }
    return w.buf;
}

/* Resolution plan of a writer whose PCF differs from the reader's. */
static int writer_plan(dd_avro_codec *c, writer_entry *e, dd_avro_error *err)
{
    if (check_enums(e->schema, c->reader, err))
        return -1;
    size_t missing = 0;
    if (avro_typeof(c->reader) == AVRO_RECORD && avro_typeof(e->schema) == AVRO_RECORD) {
        for (size_t i = 0; i < c->n_fields; i++) {
            const char *name = avro_schema_record_field_name(c->reader, (int)i);
            if (avro_schema_record_field_get_index(e->schema, name) >= 0)
                continue;
            if (!c->has_default[i]) {
                avro_err(err, DD_AVRO_ERR_RESOLVE,
                         "reader field %s is not in the writer schema and has no default", name);
                return -1;
            }
            missing++;
        }
    }
    if (missing) {
        dd_json_doc *doc = dd_json_doc_new();
        const dd_json_value *root =
            doc ? dd_json_parse(doc, c->reader_json, c->reader_json_len) : NULL;
        char *pj = root ? projection_json(root, e->schema) : NULL;
        dd_json_doc_destroy(doc);
        if (!pj) {
            avro_err(err, DD_AVRO_ERR_NOMEM, "out of memory");
            return -1;
        }
        e->proj = parse_schema(pj, strlen(pj), err);
        free(pj);
        if (!e->proj) {
            err->code = DD_AVRO_ERR_RESOLVE;
            return -1;
        }
        e->proj_index = malloc(c->n_fields * sizeof *e->proj_index);
        e->proj_iface = avro_generic_class_from_schema(e->proj);
        if (!e->proj_index || !e->proj_iface) {
            avro_err(err, DD_AVRO_ERR_NOMEM, "out of memory");
            return -1;
        }
        if (avro_generic_value_new(e->proj_iface, &e->proj_value)) {
            avro_value_iface_decref(e->proj_iface);
            e->proj_iface = NULL;
            avro_err(err, DD_AVRO_ERR_NOMEM, "avro-c: %s", avro_strerror());
            return -1;
        }
        for (size_t i = 0; i < c->n_fields; i++)
            e->proj_index[i] = avro_schema_record_field_get_index(
                e->proj, avro_schema_record_field_name(c->reader, (int)i));
    }
    e->resolver = avro_resolved_writer_new(e->schema, e->proj ? e->proj : c->reader);
    if (!e->resolver) {
        avro_err(err, DD_AVRO_ERR_RESOLVE, "avro-c: %s", avro_strerror());
        return -1;
    }
    if (avro_resolved_writer_new_value(e->resolver, &e->resolved)) {
        avro_value_iface_decref(e->resolver);
        e->resolver = NULL;
        avro_err(err, DD_AVRO_ERR_NOMEM, "avro-c: %s", avro_strerror());
        return -1;
    }
    avro_resolved_writer_set_dest(&e->resolved, e->proj ? &e->proj_value : &c->dec);
    return 0;
}

int dd_avro_codec_add_writer(dd_avro_codec *c, const char *writer_json, size_t len,
                             uint64_t *fp_out, dd_avro_error *err)
{
    char *pcf;
    size_t pcf_len;
    if (dd_avro_canonical_form(writer_json, len, &pcf, &pcf_len, err))
        return -1;
    uint64_t fp = dd_avro_crc64(pcf, pcf_len);
    int same = !strcmp(pcf, c->reader_pcf);
    free(pcf);
    if (fp_out)
        *fp_out = fp;
    for (size_t i = 0; i < c->nw; i++)
        if (c->w[i].fp == fp) {
            avro_ok(err);
            return 0;
        }
    if (c->nw == c->capw) {
        size_t nc = c->capw ? c->capw * 2 : 4;
        writer_entry *nw = realloc(c->w, nc * sizeof *nw);
        if (!nw) {
            avro_err(err, DD_AVRO_ERR_NOMEM, "out of memory");
            return -1;
        }
        c->w = nw;
        c->capw = nc;
    }
    writer_entry e;
    memset(&e, 0, sizeof e);
    e.fp = fp;
    if (!(e.schema = parse_schema(writer_json, len, err)))
        return -1;
    if (same)
        e.direct = 1;
    else if (writer_plan(c, &e, err)) {
        writer_entry_free(&e);
        return -1;
    }
    c->w[c->nw++] = e;
    avro_ok(err);
    return 0;
}

uint64_t dd_avro_codec_fingerprint(const dd_avro_codec *c) { return c->fp; }
avro_schema_t dd_avro_codec_schema(const dd_avro_codec *c) { return c->reader; }
const char *dd_avro_codec_canonical(const dd_avro_codec *c) { return c->reader_pcf; }
size_t dd_avro_codec_writer_count(const dd_avro_codec *c) { return c->nw; }

/* Fields that have a default take it; the others stay reset. */
static int fill_defaults(dd_avro_codec *c, avro_value_t *v)
{
    avro_value_reset(v);
    for (size_t i = 0; i < c->n_fields; i++) {
        if (!c->has_default[i])
            continue;
        avro_value_t dst, src;
        if (avro_value_get_by_index(v, i, &dst, NULL) ||
            avro_value_get_by_index(&c->defaults, i, &src, NULL) ||
            avro_value_copy_fast(&dst, &src))
            return -1;
    }
    return 0;
}

avro_value_t *dd_avro_codec_value(dd_avro_codec *c)
{
    fill_defaults(c, &c->enc);
    return &c->enc;
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

int dd_avro_encode(dd_avro_codec *c, avro_value_t *v, dd_avro_buf *out, dd_avro_error *err)
{
    avro_schema_t vs = avro_value_get_schema(v);
    if (vs != c->reader && !avro_schema_equal(vs, c->reader)) {
        avro_err(err, DD_AVRO_ERR_ENCODE, "the value is not of the codec's schema");
        return -1;
    }
    size_t sz;
    if (avro_value_sizeof(v, &sz)) {
        avro_err(err, DD_AVRO_ERR_ENCODE, "avro-c: %s", avro_strerror());
        return -1;
    }
    size_t need = DD_AVRO_HEADER_LEN + sz;
    if (need > out->cap) {
        size_t nc = out->cap ? out->cap : 256;
        while (nc < need)
            nc *= 2;
        unsigned char *nd = realloc(out->data, nc);
        if (!nd) {
            avro_err(err, DD_AVRO_ERR_NOMEM, "out of memory");
            return -1;
        }
        out->data = nd;
        out->cap = nc;
    }
    out->data[0] = DD_AVRO_MAGIC0;
    out->data[1] = DD_AVRO_MAGIC1;
    put_le64(out->data + 2, c->fp);
    avro_writer_memory_set_dest(c->wr, (const char *)out->data + DD_AVRO_HEADER_LEN,
                                (int64_t)sz);
    if (avro_value_write(c->wr, v)) {
        avro_err(err, DD_AVRO_ERR_ENCODE, "avro-c: %s", avro_strerror());
        out->len = 0;
        return -1;
    }
    out->len = need;
    avro_ok(err);
    return 0;
}

int dd_avro_decode(dd_avro_codec *c, const void *buf, size_t len, avro_value_t **out,
                   uint64_t *writer_fp, dd_avro_error *err)
{
    const unsigned char *b = buf;
    if (!dd_avro_is_single_object(buf, len)) {
        if (len >= 2 && b[0] == DD_AVRO_MAGIC0 && b[1] == DD_AVRO_MAGIC1)
            avro_err(err, DD_AVRO_ERR_NOT_SINGLE_OBJECT,
                     "Avro single-object message of %zu bytes: shorter than its header", len);
        else
            avro_err(err, DD_AVRO_ERR_NOT_SINGLE_OBJECT,
                     "not an Avro single-object message (no C3 01 marker)");
        return -1;
    }
    uint64_t fp = get_le64(b + 2);
    if (writer_fp)
        *writer_fp = fp;
    writer_entry *e = NULL;
    for (size_t i = 0; i < c->nw; i++)
        if (c->w[i].fp == fp) {
            e = &c->w[i];
            break;
        }
    if (!e) {
        avro_err(err, DD_AVRO_ERR_UNKNOWN_SCHEMA,
                 "writer schema fingerprint %016llx is not registered", (unsigned long long)fp);
        return -1;
    }
    walk_ctx w = {b + DD_AVRO_HEADER_LEN, b + DD_AVRO_HEADER_LEN, b + len, err};
    if (walk_value(&w, e->schema, 0))
        return -1;
    if (w.p != w.end) {
        avro_err(err, DD_AVRO_ERR_MALFORMED, "%zu bytes left over after the body",
                 (size_t)(w.end - w.p));
        return -1;
    }
    avro_reader_memory_set_source(c->rd, (const char *)b + DD_AVRO_HEADER_LEN,
                                  (int64_t)(len - DD_AVRO_HEADER_LEN));
    int rc;
    if (e->direct) {
        avro_value_reset(&c->dec);
        rc = avro_value_read(c->rd, &c->dec);
    } else if (!e->proj) {
        avro_value_reset(&c->dec);
        rc = avro_value_read(c->rd, &e->resolved);
    } else {
        avro_value_reset(&e->proj_value);
        rc = avro_value_read(c->rd, &e->resolved);
        if (!rc) {
            avro_value_reset(&c->dec);
            for (size_t i = 0; !rc && i < c->n_fields; i++) {
                avro_value_t dst, src;
                rc = avro_value_get_by_index(&c->dec, i, &dst, NULL);
                if (!rc)
                    rc = e->proj_index[i] >= 0
                             ? avro_value_get_by_index(&e->proj_value, (size_t)e->proj_index[i],
                                                       &src, NULL)
                             : avro_value_get_by_index(&c->defaults, i, &src, NULL);
                if (!rc)
                    rc = avro_value_copy_fast(&dst, &src);
            }
        }
    }
    if (rc) {
        avro_err(err, DD_AVRO_ERR_MALFORMED, "avro-c: %s", avro_strerror());
        return -1;
    }
    *out = &c->dec;
    avro_ok(err);
    return 0;
}
