/*
 * dd_json — see dd_json.h. Recursive descent over the text; nodes go into a
 * growing array addressed by index while parsing (it may move), decoded
 * strings into a buffer sized up front so that string pointers never move.
 */
#include "dd_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_num.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

struct dd_json_doc {
    dd_json_value *nodes;
    uint32_t n_nodes, cap_nodes;
    char *sbuf;
    size_t sbuf_len, sbuf_cap;
    const char *text;
    size_t len, pos;
    int failed;
    char err[160];
};

dd_json_doc *dd_json_doc_new(void)
{
    return calloc(1, sizeof(dd_json_doc));
}

void dd_json_doc_destroy(dd_json_doc *d)
{
    if (!d)
        return;
    free(d->nodes);
    free(d->sbuf);
    free(d);
}

const char *dd_json_error(const dd_json_doc *d)
{
    return d->err;
}

static void json_fail(dd_json_doc *d, size_t at, const char *msg)
{
    if (d->failed)
        return;
    d->failed = 1;
    snprintf(d->err, sizeof d->err, "byte %zu: %s", at, msg);
}

static int64_t json_push(dd_json_doc *d, dd_json_type t, size_t at)
{
    if (d->n_nodes == d->cap_nodes) {
        uint32_t nc = d->cap_nodes ? d->cap_nodes * 2 : 64;
        if (nc < d->cap_nodes) {
            json_fail(d, at, "too many values");
            return -1;
        }
        dd_json_value *nn = realloc(d->nodes, (size_t)nc * sizeof *nn);
        if (!nn) {
            json_fail(d, at, "out of memory");
            return -1;
        }
        d->nodes = nn;
        d->cap_nodes = nc;
    }
    dd_json_value *v = &d->nodes[d->n_nodes];
    memset(v, 0, sizeof *v);
    v->type = t;
    v->size = 1;
    v->offset = (uint32_t)at;
    return d->n_nodes++;
}

static void json_ws(dd_json_doc *d)
{
    const char *t = d->text;
    size_t p = d->pos, n = d->len;
    while (p < n && (t[p] == ' ' || t[p] == '\n' || t[p] == '\r' || t[p] == '\t'))
        p++;
    d->pos = p;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int json_hex4(dd_json_doc *d, size_t p, unsigned *out)
{
    if (p + 4 > d->len)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)d->text[p + i]);
        if (h < 0)
            return -1;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return 0;
}

/* Length of a valid UTF-8 sequence starting at s (lead byte >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    unsigned cp = c & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Decodes the string at d->pos (on the opening quote) into sbuf. Decoded
 * bytes + NUL never exceed the source bytes including quotes, so the buffer
 * sized at 2 * len + 2 cannot overflow. */
/* Nonzero when one of the 8 bytes may be special in a string (a control
 * byte, '"', '\\' or a non-ASCII byte). False positives only cost speed:
 * the caller then scans byte by byte. */
static inline uint64_t json_special8(uint64_t x)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
    uint64_t ctl = (x - ones * 0x20) & ~x;
    uint64_t q = x ^ (ones * 0x22);
    uint64_t b = x ^ (ones * 0x5C);
    q = (q - ones) & ~q;
    b = (b - ones) & ~b;
    return ((ctl | q | b) | x) & high;
}

static int json_string(dd_json_doc *d, const char **out, uint32_t *out_len)
{
    const unsigned char *t = (const unsigned char *)d->text;
    size_t p = d->pos + 1, n = d->len;
    char *start = d->sbuf + d->sbuf_len, *o = start;
    for (;;) {
        /* fast path: plain ASCII run, 8 bytes at a time while no byte is
         * special (< 0x20, '"', '\\', >= 0x80), then byte by byte */
        size_t q = p;
        while (q + 8 <= n) {
            uint64_t x;
            memcpy(&x, t + q, 8);
            if (json_special8(x))
                break;
            q += 8;
        }
        while (q < n && t[q] >= 0x20 && t[q] < 0x80 && t[q] != '"' && t[q] != '\\')
            q++;
        if (q > p) {
            memcpy(o, t + p, q - p);
            o += q - p;
            p = q;
        }
        if (p >= n) {
            json_fail(d, d->pos, "unterminated string");
            return -1;
        }
        unsigned c = t[p];
        if (c == '"') {
            p++;
            break;
        }
        if (c < 0x20) {
            json_fail(d, p, "control character in string");
            return -1;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq(t + p, n - p);
            if (!k) {
                json_fail(d, p, "invalid UTF-8 in string");
                return -1;
            }
            memcpy(o, t + p, k);
            o += k;
            p += k;
            continue;
        }
        /* backslash */
        if (p + 1 >= n) {
            json_fail(d, p, "unterminated escape");
            return -1;
        }
        c = t[p + 1];
        switch (c) {
        case '"': *o++ = '"'; p += 2; break;
        case '\\': *o++ = '\\'; p += 2; break;
        case '/': *o++ = '/'; p += 2; break;
        case 'b': *o++ = '\b'; p += 2; break;
        case 'f': *o++ = '\f'; p += 2; break;
        case 'n': *o++ = '\n'; p += 2; break;
        case 'r': *o++ = '\r'; p += 2; break;
        case 't': *o++ = '\t'; p += 2; break;
        case 'u': {
            unsigned cp;
            if (json_hex4(d, p + 2, &cp)) {
                json_fail(d, p, "bad \\u escape");
                return -1;
            }
            size_t at = p;
            p += 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                json_fail(d, at, "unpaired low surrogate");
                return -1;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p + 1 >= n || t[p] != '\\' || t[p + 1] != 'u' || json_hex4(d, p + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF) {
                    json_fail(d, at, "unpaired high surrogate");
                    return -1;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            o = put_utf8(o, cp);
            break;
        }
        default:
            json_fail(d, p, "bad escape");
            return -1;
        }
    }
    *o = '\0';
    *out = start;
    *out_len = (uint32_t)(o - start);
    d->sbuf_len += (size_t)(o - start) + 1;
    d->pos = p;
    return 0;
}

size_t dd_json_plain_string_end(const char *text, size_t pos, size_t len)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t p = pos + 1;
    for (;;) {
#if defined(__SSE2__)
        /* 16 bytes at a time: '"', '\\', and (signed) < 0x20, which is
         * a control byte or any byte >= 0x80 */
        while (p + 16 <= len) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(t + p));
            __m128i sp = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                             _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
            unsigned m = (unsigned)_mm_movemask_epi8(sp);
            if (m) {
                p += (size_t)__builtin_ctz(m);
                goto special;
            }
            p += 16;
        }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* the lowest flagged byte of json_special8 is exact: jump to it */
        while (p + 8 <= len) {
            uint64_t x;
            memcpy(&x, t + p, 8);
            uint64_t m = json_special8(x);
            if (m) {
                p += (size_t)__builtin_ctzll(m) >> 3;
                goto special;
            }
            p += 8;
        }
#endif
        while (p < len && t[p] >= 0x20 && t[p] < 0x80 && t[p] != '"' && t[p] != '\\')
            p++;
        if (p >= len)
            return 0;
#if defined(__SSE2__) || (defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
    special:;
#endif
        unsigned c = t[p];
        if (c == '"')
            return p + 1;
        if (c < 0x20 || c == '\\')
            return 0;
        if (c >= 0x80) {
            size_t k = utf8_seq(t + p, len - p);
            if (!k)
                return 0;
            p += k;
        } else {
            p++; /* not reached: every other byte is plain */
        }
    }
}

size_t dd_json_number_end(const char *t, size_t p, size_t n)
{
    if (p < n && t[p] == '-')
        p++;
    if (p >= n || t[p] < '0' || t[p] > '9')
        return 0;
    if (t[p] == '0') {
        p++;
    } else {
        while (p < n && t[p] >= '0' && t[p] <= '9')
            p++;
    }
    if (p < n && t[p] == '.') {
        p++;
        if (p >= n || t[p] < '0' || t[p] > '9')
            return 0;
        while (p < n && t[p] >= '0' && t[p] <= '9')
            p++;
    }
    if (p < n && (t[p] == 'e' || t[p] == 'E')) {
        p++;
        if (p < n && (t[p] == '+' || t[p] == '-'))
            p++;
        if (p >= n || t[p] < '0' || t[p] > '9')
            return 0;
        while (p < n && t[p] >= '0' && t[p] <= '9')
            p++;
    }
    return p;
}

static int json_number(dd_json_doc *d, int64_t idx)
{
    const char *t = d->text;
    size_t p = d->pos, n = d->len, s = p;
    if (p < n && t[p] == '-')
        p++;
    if (p >= n || t[p] < '0' || t[p] > '9') {
        json_fail(d, s, "bad number");
        return -1;
    }
    if (t[p] == '0') {
        p++;
    } else {
        while (p < n && t[p] >= '0' && t[p] <= '9')
            p++;
    }
    if (p < n && t[p] == '.') {
        p++;
        if (p >= n || t[p] < '0' || t[p] > '9') {
            json_fail(d, s, "bad number: digit expected after '.'");
            return -1;
        }
        while (p < n && t[p] >= '0' && t[p] <= '9')
            p++;
    }
    if (p < n && (t[p] == 'e' || t[p] == 'E')) {
        p++;
        if (p < n && (t[p] == '+' || t[p] == '-'))
            p++;
        if (p >= n || t[p] < '0' || t[p] > '9') {
            json_fail(d, s, "bad number: digit expected in exponent");
            return -1;
        }
        while (p < n && t[p] >= '0' && t[p] <= '9')
            p++;
    }
    char *o = d->sbuf + d->sbuf_len;
    memcpy(o, t + s, p - s);
    o[p - s] = '\0';
    d->sbuf_len += p - s + 1;
    d->nodes[idx].str = o;
    d->nodes[idx].len = (uint32_t)(p - s);
    d->pos = p;
    return 0;
}

static int64_t json_value(dd_json_doc *d, int depth);

static int json_literal(dd_json_doc *d, const char *word, size_t wl)
{
    if (d->len - d->pos < wl || memcmp(d->text + d->pos, word, wl)) {
        json_fail(d, d->pos, "unexpected character");
        return -1;
    }
    d->pos += wl;
    return 0;
}

static int64_t json_container(dd_json_doc *d, int depth, int is_obj)
{
    size_t at = d->pos;
    if (depth >= DD_JSON_MAX_DEPTH) {
        json_fail(d, at, "nesting too deep");
        return -1;
    }
    int64_t idx = json_push(d, is_obj ? DD_JSON_OBJECT : DD_JSON_ARRAY, at);
    if (idx < 0)
        return -1;
    d->pos++;
    json_ws(d);
    uint32_t count = 0;
    char close = is_obj ? '}' : ']';
    if (d->pos < d->len && d->text[d->pos] == close) {
        d->pos++;
        return idx;
    }
    for (;;) {
        const char *key = NULL;
        uint32_t key_len = 0;
        if (is_obj) {
            if (d->pos >= d->len || d->text[d->pos] != '"') {
                json_fail(d, d->pos, "expected a member name");
                return -1;
            }
            if (json_string(d, &key, &key_len))
                return -1;
            json_ws(d);
            if (d->pos >= d->len || d->text[d->pos] != ':') {
                json_fail(d, d->pos, "expected ':'");
                return -1;
            }
            d->pos++;
            json_ws(d);
        }
        int64_t child = json_value(d, depth + 1);
        if (child < 0)
            return -1;
        d->nodes[child].key = key;
        d->nodes[child].key_len = key_len;
        count++;
        json_ws(d);
        if (d->pos >= d->len) {
            json_fail(d, d->pos, is_obj ? "unterminated object" : "unterminated array");
            return -1;
        }
        char c = d->text[d->pos];
        if (c == ',') {
            d->pos++;
            json_ws(d);
            continue;
        }
        if (c == close) {
            d->pos++;
            break;
        }
        json_fail(d, d->pos, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        return -1;
    }
    d->nodes[idx].n = count;
    d->nodes[idx].size = d->n_nodes - (uint32_t)idx;
    return idx;
}

static int64_t json_value(dd_json_doc *d, int depth)
{
    if (d->pos >= d->len) {
        json_fail(d, d->pos, "value expected");
        return -1;
    }
    size_t at = d->pos;
    char c = d->text[at];
    int64_t idx;
    switch (c) {
    case '{':
        return json_container(d, depth, 1);
    case '[':
        return json_container(d, depth, 0);
    case '"': {
        idx = json_push(d, DD_JSON_STRING, at);
        if (idx < 0)
            return -1;
        const char *s;
        uint32_t l;
        if (json_string(d, &s, &l))
            return -1;
        d->nodes[idx].str = s;
        d->nodes[idx].len = l;
        return idx;
    }
    case 't':
        idx = json_push(d, DD_JSON_TRUE, at);
        return idx < 0 || json_literal(d, "true", 4) ? -1 : idx;
    case 'f':
        idx = json_push(d, DD_JSON_FALSE, at);
        return idx < 0 || json_literal(d, "false", 5) ? -1 : idx;
    case 'n':
        idx = json_push(d, DD_JSON_NULL, at);
        return idx < 0 || json_literal(d, "null", 4) ? -1 : idx;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            idx = json_push(d, DD_JSON_NUMBER, at);
            return idx < 0 || json_number(d, idx) ? -1 : idx;
        }
        json_fail(d, at, "unexpected character");
        return -1;
    }
}

const dd_json_value *dd_json_parse(dd_json_doc *d, const char *text, size_t len)
{
    d->n_nodes = 0;
    d->sbuf_len = 0;
    d->failed = 0;
    d->err[0] = '\0';
    if (len > UINT32_MAX / 2 - 2) {
        json_fail(d, 0, "text too large");
        return NULL;
    }
    size_t need = 2 * len + 2;
    if (need > d->sbuf_cap) {
        char *nb = realloc(d->sbuf, need);
        if (!nb) {
            json_fail(d, 0, "out of memory");
            return NULL;
        }
        d->sbuf = nb;
        d->sbuf_cap = need;
    }
    d->text = text;
    d->len = len;
    d->pos = 0;
    json_ws(d);
    int64_t root = json_value(d, 0);
    if (root < 0)
        return NULL;
    json_ws(d);
    if (d->pos != len) {
        json_fail(d, d->pos, "trailing characters after the value");
        return NULL;
    }
    return &d->nodes[root];
}

const dd_json_value *dd_json_get(const dd_json_value *obj, const char *key)
{
    if (!obj || obj->type != DD_JSON_OBJECT)
        return NULL;
    size_t kl = strlen(key);
    const dd_json_value *c = obj + 1;
    for (uint32_t i = 0; i < obj->n; i++) {
        if (c->key_len == kl && !memcmp(c->key, key, kl))
            return c;
        c += c->size;
    }
    return NULL;
}

const dd_json_value *dd_json_first(const dd_json_value *container)
{
    if (!container || (container->type != DD_JSON_OBJECT && container->type != DD_JSON_ARRAY) ||
        container->n == 0)
        return NULL;
    return container + 1;
}

const dd_json_value *dd_json_next(const dd_json_value *v, const dd_json_value *container)
{
    const dd_json_value *nx = v + v->size;
    return nx < container + container->size ? nx : NULL;
}

int dd_json_int(const dd_json_value *v, int64_t *out)
{
    if (!v || v->type != DD_JSON_NUMBER)
        return -1;
    const char *s = v->str;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (!*s)
        return -1;
    uint64_t acc = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if (acc > (UINT64_MAX - 9) / 10)
            return -1;
        acc = acc * 10 + (uint64_t)(*s - '0');
    }
    if (!neg && acc > (uint64_t)INT64_MAX)
        return -1;
    if (neg && acc > (uint64_t)INT64_MAX + 1)
        return -1;
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return 0;
}

/* ---------------- writer ---------------- */

void dd_jw_init(dd_jw *w)
{
    memset(w, 0, sizeof *w);
}

void dd_jw_free(dd_jw *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

void dd_jw_reset(dd_jw *w)
{
    w->len = 0;
    w->oom = 0;
    w->depth = 0;
    w->after_key = 0;
    memset(w->need_comma, 0, sizeof w->need_comma);
    if (w->buf)
        w->buf[0] = '\0';
}

static int jw_reserve(dd_jw *w, size_t extra)
{
    if (w->oom)
        return -1;
    if (w->len + extra + 1 <= w->cap)
        return 0;
    size_t nc = w->cap ? w->cap : 256;
    while (nc < w->len + extra + 1)
        nc *= 2;
    char *nb = realloc(w->buf, nc);
    if (!nb) {
        w->oom = 1;
        return -1;
    }
    w->buf = nb;
    w->cap = nc;
    return 0;
}

void dd_jw_append(dd_jw *w, const char *s, size_t n)
{
    if (jw_reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void jw_putc(dd_jw *w, char c)
{
    if (jw_reserve(w, 1))
        return;
    w->buf[w->len++] = c;
    w->buf[w->len] = '\0';
}

/* Comma before a value unless it follows a key or starts a container. */
static void jw_pre_value(dd_jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->need_comma[w->depth])
        jw_putc(w, ',');
    w->need_comma[w->depth] = 1;
}

void dd_jw_escape(dd_jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && (unsigned char)s[j] >= 0x20 && s[j] != '"' && s[j] != '\\')
            j++;
        if (j > i)
            dd_jw_append(w, s + i, j - i);
        if (j >= n)
            break;
        unsigned char c = (unsigned char)s[j];
        char e[7];
        switch (c) {
        case '"': dd_jw_append(w, "\\\"", 2); break;
        case '\\': dd_jw_append(w, "\\\\", 2); break;
        case '\n': dd_jw_append(w, "\\n", 2); break;
        case '\r': dd_jw_append(w, "\\r", 2); break;
        case '\t': dd_jw_append(w, "\\t", 2); break;
        case '\b': dd_jw_append(w, "\\b", 2); break;
        case '\f': dd_jw_append(w, "\\f", 2); break;
        default:
            e[0] = '\\'; e[1] = 'u'; e[2] = '0'; e[3] = '0';
            e[4] = hex[c >> 4]; e[5] = hex[c & 15]; e[6] = '\0';
            dd_jw_append(w, e, 6);
        }
        i = j + 1;
    }
}

void dd_jw_object_begin(dd_jw *w)
{
    jw_pre_value(w);
    jw_putc(w, '{');
    if (w->depth < DD_JSON_MAX_DEPTH)
        w->depth++;
    w->need_comma[w->depth] = 0;
}

void dd_jw_object_end(dd_jw *w)
{
    jw_putc(w, '}');
    if (w->depth > 0)
        w->depth--;
}

void dd_jw_array_begin(dd_jw *w)
{
    jw_pre_value(w);
    jw_putc(w, '[');
    if (w->depth < DD_JSON_MAX_DEPTH)
        w->depth++;
    w->need_comma[w->depth] = 0;
}

void dd_jw_array_end(dd_jw *w)
{
    jw_putc(w, ']');
    if (w->depth > 0)
        w->depth--;
}

/* 1 when s[0..n) needs no JSON escape (the common case: one copy). */
static int jw_plain(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

void dd_jw_key(dd_jw *w, const char *key)
{
    size_t n = strlen(key);
    if (jw_plain(key, n)) {
        if (jw_reserve(w, n + 4))
            return;
        char *o = w->buf + w->len;
        if (w->need_comma[w->depth])
            *o++ = ',';
        *o++ = '"';
        memcpy(o, key, n);
        o += n;
        *o++ = '"';
        *o++ = ':';
        *o = '\0';
        w->len = (size_t)(o - w->buf);
    } else {
        if (w->need_comma[w->depth])
            jw_putc(w, ',');
        jw_putc(w, '"');
        dd_jw_escape(w, key, n);
        dd_jw_append(w, "\":", 2);
    }
    w->need_comma[w->depth] = 1;
    w->after_key = 1;
}

void dd_jw_string_n(dd_jw *w, const char *s, size_t n)
{
    jw_pre_value(w);
    if (jw_plain(s, n)) {
        if (jw_reserve(w, n + 2))
            return;
        char *o = w->buf + w->len;
        *o++ = '"';
        memcpy(o, s, n);
        o += n;
        *o++ = '"';
        *o = '\0';
        w->len = (size_t)(o - w->buf);
        return;
    }
    jw_putc(w, '"');
    dd_jw_escape(w, s, n);
    jw_putc(w, '"');
}

void dd_jw_string(dd_jw *w, const char *s)
{
    dd_jw_string_n(w, s, strlen(s));
}

void dd_jw_int(dd_jw *w, int64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", (long long)v);
    dd_jw_raw(w, b, (size_t)n);
}

void dd_jw_bool(dd_jw *w, int v)
{
    dd_jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

void dd_jw_null(dd_jw *w)
{
    dd_jw_raw(w, "null", 4);
}

void dd_jw_raw(dd_jw *w, const char *s, size_t n)
{
    jw_pre_value(w);
    dd_jw_append(w, s, n);
}

void dd_jw_decimal_string(dd_jw *w, int64_t value, int scale)
{
    char b[48];
    size_t n = dd_dec_format(b, sizeof b, value, scale);
    dd_jw_string_n(w, b, n);
}

void dd_jw_new_document(dd_jw *w)
{
    w->need_comma[0] = 0;
}

void dd_jw_base64(dd_jw *w, const void *bytes, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = bytes;
    char q[4];
    dd_jw_raw(w, "\"", 1);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        q[0] = t[(v >> 18) & 63];
        q[1] = t[(v >> 12) & 63];
        q[2] = i + 1 < n ? t[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? t[v & 63] : '=';
        dd_jw_append(w, q, 4);
    }
    dd_jw_append(w, "\"", 1);
}
