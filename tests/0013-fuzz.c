/*
 * 0013 — deterministic mutation fuzzing of every parser that reads outside
 * input: dd_json, dd_event (JSON decode + validate, and the ledger), the DRG
 * table file, DIP libraries, policies, regions/hospitals/weights CSVs, Avro
 * single-object event decoding, the golden case CSV reader and the case
 * records kept in Redis (dd_case_codec) and the `drgdip run` config file.
 *
 * Seeds are real inputs (the golden replay stream, the shipped data); each
 * mutant gets 1..4 mutations (bit flips, byte sets, deletions, truncations,
 * splices with another seed, duplicated ranges, huge numbers, deep nesting,
 * long strings, invalid UTF-8, \u escapes, NUL bytes). Every mutant is given
 * to the parser in an exact-size heap copy (no NUL after it), so a read past
 * `len` is an ASan error. Properties:
 *   - no crash, no hang (Criterion runs each test in its own process, with a
 *     timeout), no leak (ASan/valgrind builds);
 *   - every failure comes with a reason and a non-empty message;
 *   - what is accepted is consistent (JSON trees well formed, decoded strings
 *     valid UTF-8, JSON and event round trips are fixpoints);
 *   - the unmutated seeds still decode;
 *   - bad events interleaved into the golden stream are all rejected and the
 *     final snapshots still equal the golden ones ("loses nothing").
 * Fixed seeds: a failure is reproducible; the mutant is printed. The
 * environment variable DD_FUZZ_SCALE (default 1) multiplies the iteration
 * counts for longer runs by hand.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "d_replay_helper.h"
#include "dd_avro_event.h"
#include "dd_case_codec.h"
#include "dd_casecsv.h"
#include "dd_config.h"
#include "dd_dip.h"
#include "dd_drg.h"
#include "dd_event.h"
#include "dd_json.h"
#include "dd_policy.h"
#include "dd_refdata.h"

#define SRC DD_SOURCE_DIR
#define TBL_PATH SRC "/data/chs-drg-1.1/chs-drg-1.1.tbl"
#define CLASSES_PATH SRC "/data/icd/procedure-category.txt"
#define STREAM_PATH D_GOLDEN "/stream.jsonl"

/* ------------------------------------------------------------------ rng */

typedef struct {
    uint64_t s;
} rng;

static uint64_t rnd(rng *r)
{ /* xorshift64* */
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * UINT64_C(2685821657736338717);
}

static size_t below(rng *r, size_t n)
{
    return n ? (size_t)(rnd(r) % n) : 0;
}

static int scale(void)
{
    const char *s = getenv("DD_FUZZ_SCALE");
    int k = s ? atoi(s) : 1;
    return k > 0 ? k : 1;
}

/* ------------------------------------------------------------ buffers */

typedef struct {
    char *b;
    size_t len, cap;
} buf;

static void buf_reserve(buf *m, size_t need)
{
    if (need <= m->cap)
        return;
    size_t cap = m->cap ? m->cap : 256;
    while (cap < need)
        cap *= 2;
    m->b = realloc(m->b, cap);
    cr_assert_not_null(m->b);
    m->cap = cap;
}

static void buf_set(buf *m, const char *s, size_t n)
{
    buf_reserve(m, n + 1);
    memcpy(m->b, s, n);
    m->len = n;
}

static void buf_insert(buf *m, size_t at, const char *s, size_t n)
{
    if (at > m->len)
        at = m->len;
    buf_reserve(m, m->len + n + 1);
    memmove(m->b + at + n, m->b + at, m->len - at);
    memcpy(m->b + at, s, n);
    m->len += n;
}

static void buf_delete(buf *m, size_t at, size_t n)
{
    if (at >= m->len)
        return;
    if (n > m->len - at)
        n = m->len - at;
    memmove(m->b + at, m->b + at + n, m->len - at - n);
    m->len -= n;
}

/* An exact-size heap copy: the parser must not read past len. */
static char *exact(const buf *m)
{
    char *p = malloc(m->len ? m->len : 1);
    cr_assert_not_null(p);
    if (m->len)
        memcpy(p, m->b, m->len);
    return p;
}

/* Printable excerpt of a mutant for failure messages. */
static const char *show(const char *s, size_t n)
{
    static char out[400];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < sizeof out; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", c);
    }
    out[o] = '\0';
    return out;
}

/* ------------------------------------------------------------ seeds */

typedef struct {
    const char **s;
    size_t *n;
    size_t count, cap;
} seeds;

static void seeds_add(seeds *S, const char *s, size_t n)
{
    if (S->count == S->cap) {
        S->cap = S->cap ? S->cap * 2 : 64;
        S->s = realloc(S->s, S->cap * sizeof *S->s);
        S->n = realloc(S->n, S->cap * sizeof *S->n);
        cr_assert(S->s && S->n);
    }
    S->s[S->count] = s;
    S->n[S->count] = n;
    S->count++;
}

static void seeds_free(seeds *S)
{
    free(S->s);
    free(S->n);
    memset(S, 0, sizeof *S);
}

/* ------------------------------------------------------------ mutator */

static const char *const json_dict[] = {
    "{", "}", "[", "]", ":", ",", "\"", "\\", "null", "true", "false", "-", "0", "-0", "1e999",
    "0.0000001", "1E+2", "99999999999999999999999999999", "-9223372036854775809",
    "9223372036854775807", "18446744073709551616", "12.345", "1.", ".5", "01", "+1", "NaN",
    "Infinity", "\\u0000", "\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\udc00", "\\ud800\\u0041",
    "\\uZZZZ", "\\u12", "\\x41", "\\/", "\\b\\f\\n\\r\\t", "\xff", "\xc0\x80", "\xed\xa0\x80",
    "\xe4\xb8", "\xf4\x90\x80\x80", "\xe5\x90\x89", "\x00", "\x01", "\t", "\n", " ", "\r\n",
    "\"type\":\"SETTLEMENT\"", "\"type\":\"SETTLEMENT_LIST\"", "\"type\":\"SPECIAL_CASE\"",
    "\"type\":\"BUDGET\"", "\"type\":\"MONTH_CLOSE\"", "\"type\":\"QC_RESULT\"",
    "\"type\":\"RECONCILED\"", "\"type\":\"SETTLEMENT_REVERSAL\"", "\"amount\":\"1e3\"",
    "\"other_dx\":[1,2]", "\"procedures\":null", "\"points\":-1", "\"status\":\"APPROVED\"",
    "\"pay_as_ffs\":true", "\"month\":13", "\"pay_method\":\"BED_DAY\"",
    "\"event_time\":\"2025-02-30T00:00:00+08:00\"", "\"enddate\":\"2025-13-01\"",
    "T25:61:61", "+14:00", "Z", "\"admdvs\":\"22010\"", "\"setl_id\":\"\"",
};

static const char *const csv_dict[] = {
    ",", ",,", "\n", "\r\n", "\r", "|", ";", "\"", " ", "\t", "#", "\xef\xbb\xbf", "-1", "0",
    "0.0", "1.00000", "99999999999999999999", "-0.0001", "1e3", "200.00001", "NaN", "DRG", "DIP",
    "220100", "2201000", "H22010000001", "CORE", "BASIC", "COMPREHENSIVE", "相关手术", "手术",
    "\xff", "\xc0\x80", "\xe4\xb8", "\x00", "=", " = ", "scheme = DIP", "alert.X.y = 1",
    "bedday.REHAB.daily_fund_standard = 1e9", "level3", "[", "]", "[adrg", "[mdc]", "[drg]",
    "rule proc=1", "list 1", "list 99", "rule", "dx=", "bw=9999999999-1", "days=5-", "orproc",
    "[mdc_dx MDCX]", "[mdcz_region 99 X]", "[cce]", "[or]", "MDCA",
};

typedef struct {
    const char *const *dict;
    size_t ndict;
    const seeds *splice; /* other inputs to splice with, may be NULL */
    int json;            /* use JSON-specific structure mutations */
} mutator;

static void insert_repeat(buf *m, size_t at, const char *unit, size_t n)
{
    size_t ul = strlen(unit);
    char *tmp = malloc(ul * n + 1);
    cr_assert_not_null(tmp);
    for (size_t i = 0; i < n; i++)
        memcpy(tmp + i * ul, unit, ul);
    buf_insert(m, at, tmp, ul * n);
    free(tmp);
}

static void mutate_once(rng *r, buf *m, const mutator *mu)
{
    size_t at = below(r, m->len + 1);
    switch (below(r, 14)) {
    case 0: /* bit flip */
        if (m->len)
            m->b[below(r, m->len)] ^= (char)(1u << below(r, 8));
        break;
    case 1: { /* interesting byte */
        static const char bytes[] = {'\0', '\xff', '\x80', '"', '\\', '\n', ',', '{', '[', '0',
                                     '9', '-', '.', ' ', '\r', '|', '='};
        if (m->len)
            m->b[below(r, m->len)] = bytes[below(r, sizeof bytes)];
        break;
    }
    case 2: /* delete a range */
        buf_delete(m, at, 1 + below(r, 16));
        break;
    case 3: /* truncate */
        m->len = below(r, m->len + 1);
        break;
    case 4:
    case 5: { /* dictionary token */
        const char *t = mu->dict[below(r, mu->ndict)];
        size_t tl = strlen(t);
        if (tl == 0) /* "\x00" */
            tl = 1;
        buf_insert(m, at, t, tl);
        break;
    }
    case 6: /* splice: our prefix + another input's suffix */
        if (mu->splice && mu->splice->count) {
            size_t k = below(r, mu->splice->count);
            size_t from = below(r, mu->splice->n[k] + 1);
            m->len = at;
            buf_insert(m, m->len, mu->splice->s[k] + from, mu->splice->n[k] - from);
        }
        break;
    case 7: /* duplicate a range */
        if (m->len) {
            size_t from = below(r, m->len);
            size_t n = 1 + below(r, m->len - from);
            if (n > 4096)
                n = 4096;
            char *tmp = malloc(n);
            cr_assert_not_null(tmp);
            memcpy(tmp, m->b + from, n);
            buf_insert(m, at, tmp, n);
            free(tmp);
        }
        break;
    case 8: { /* a digit run becomes huge */
        size_t i = m->len ? below(r, m->len) : 0;
        while (i < m->len && (m->b[i] < '0' || m->b[i] > '9'))
            i++;
        if (i < m->len)
            insert_repeat(m, i, below(r, 2) ? "9" : "0", 10 + below(r, 40));
        break;
    }
    case 9: /* deep nesting */
        if (mu->json)
            insert_repeat(m, at, below(r, 2) ? "[" : "{\"a\":", 50 + below(r, 5000));
        else
            insert_repeat(m, at, "[", 1 + below(r, 300));
        break;
    case 10: /* long string */
        insert_repeat(m, at, below(r, 2) ? "A" : "\xe5\x90\x89", 30 + below(r, 3000));
        break;
    case 11: { /* random bytes */
        char tmp[16];
        size_t n = 1 + below(r, sizeof tmp);
        for (size_t i = 0; i < n; i++)
            tmp[i] = (char)rnd(r);
        buf_insert(m, at, tmp, n);
        break;
    }
    case 12: /* swap two bytes */
        if (m->len > 1) {
            size_t i = below(r, m->len), j = below(r, m->len);
            char c = m->b[i];
            m->b[i] = m->b[j];
            m->b[j] = c;
        }
        break;
    case 13: /* many short separators: lots of tiny entries */
        insert_repeat(m, at, mu->json ? "1," : ",\n", 1 + below(r, 200));
        break;
    }
}

static void mutate(rng *r, buf *m, const mutator *mu)
{
    int n = 1 + (int)below(r, 4);
    for (int i = 0; i < n; i++)
        mutate_once(r, m, mu);
}

/* ------------------------------------------------------------ checks */

/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
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

/* Structural invariants of a parsed tree; returns the node count. */
static uint32_t check_tree(const dd_json_value *v, int depth, const char *src, size_t srclen)
{
    cr_assert(depth <= DD_JSON_MAX_DEPTH + 1, "tree deeper than the limit");
    cr_assert(v->size >= 1);
    cr_assert(v->offset <= srclen);
    switch (v->type) {
    case DD_JSON_STRING:
        cr_assert_not_null(v->str);
        cr_assert_eq(v->str[v->len], '\0');
        cr_assert(utf8_valid((const unsigned char *)v->str, v->len),
                  "accepted string is not UTF-8 in %s", show(src, srclen));
        cr_assert_eq(v->size, 1);
        break;
    case DD_JSON_NUMBER:
        cr_assert_not_null(v->str);
        cr_assert(v->len >= 1);
        cr_assert_eq(v->str[v->len], '\0');
        cr_assert_eq(strlen(v->str), v->len);
        cr_assert_eq(v->size, 1);
        break;
    case DD_JSON_ARRAY:
    case DD_JSON_OBJECT: {
        uint32_t total = 1, count = 0;
        for (const dd_json_value *c = dd_json_first(v); c; c = dd_json_next(c, v)) {
            if (v->type == DD_JSON_OBJECT) {
                cr_assert_not_null(c->key);
                cr_assert_eq(c->key[c->key_len], '\0');
                cr_assert(utf8_valid((const unsigned char *)c->key, c->key_len));
            }
            total += check_tree(c, depth + 1, src, srclen);
            count++;
            cr_assert(count <= v->n, "more children than n");
        }
        cr_assert_eq(count, v->n);
        cr_assert_eq(total, v->size, "size %u but subtree has %u nodes", v->size, total);
        break;
    }
    default:
        cr_assert_eq(v->size, 1);
        break;
    }
    return v->size;
}

/* Serialise a parsed tree back to JSON (0 if a key holds a NUL: the writer
 * takes C-string keys). */
static int write_tree(const dd_json_value *v, dd_jw *w)
{
    switch (v->type) {
    case DD_JSON_NULL:
        dd_jw_null(w);
        return 1;
    case DD_JSON_FALSE:
    case DD_JSON_TRUE:
        dd_jw_bool(w, v->type == DD_JSON_TRUE);
        return 1;
    case DD_JSON_NUMBER:
        dd_jw_raw(w, v->str, v->len);
        return 1;
    case DD_JSON_STRING:
        dd_jw_string_n(w, v->str, v->len);
        return 1;
    case DD_JSON_ARRAY:
        dd_jw_array_begin(w);
        for (const dd_json_value *c = dd_json_first(v); c; c = dd_json_next(c, v))
            if (!write_tree(c, w))
                return 0;
        dd_jw_array_end(w);
        return 1;
    case DD_JSON_OBJECT:
        dd_jw_object_begin(w);
        for (const dd_json_value *c = dd_json_first(v); c; c = dd_json_next(c, v)) {
            if (strlen(c->key) != c->key_len)
                return 0;
            dd_jw_key(w, c->key);
            if (!write_tree(c, w))
                return 0;
        }
        dd_jw_object_end(w);
        return 1;
    }
    return 0;
}

/* Parse one text; on success check the tree and that write -> parse ->
 * write is a fixpoint. Returns 1 when accepted. */
static int json_one(dd_json_doc *doc, dd_json_doc *doc2, dd_jw *w1, dd_jw *w2, const buf *m)
{
    char *t = exact(m);
    const dd_json_value *root = dd_json_parse(doc, t, m->len);
    if (!root) {
        const char *e = dd_json_error(doc);
        cr_assert(e && *e, "no error message for %s", show(m->b, m->len));
        free(t);
        return 0;
    }
    check_tree(root, 0, t, m->len);
    dd_jw_reset(w1);
    if (write_tree(root, w1) && w1->depth == 0 && w1->len) {
        cr_assert(!w1->oom);
        const dd_json_value *r2 = dd_json_parse(doc2, w1->buf, w1->len);
        cr_assert_not_null(r2, "re-parse of written JSON failed: %s (%s)", dd_json_error(doc2),
                           show(w1->buf, w1->len));
        dd_jw_reset(w2);
        cr_assert(write_tree(r2, w2));
        cr_assert(w1->len == w2->len && !memcmp(w1->buf, w2->buf, w1->len),
                  "JSON round trip is not a fixpoint for %s", show(m->b, m->len));
    }
    free(t);
    return 1;
}

static void errset(const dd_event_error *e, const buf *m, const char *what)
{
    cr_assert(e->reason > DD_BAD_NONE && e->reason < DD_BAD__COUNT, "%s: bad reason %d for %s",
              what, (int)e->reason, show(m->b, m->len));
    cr_assert(e->detail[0] != '\0', "%s: empty message (%s) for %s", what,
              dd_bad_reason_name(e->reason), show(m->b, m->len));
    cr_assert(memchr(e->detail, '\0', sizeof e->detail) != NULL);
}

static void errstr_ok(const char *err, size_t cap, const buf *m, const char *what)
{
    cr_assert(err[0] != '\0', "%s: failure without a message for %s", what, show(m->b, m->len));
    cr_assert(memchr(err, '\0', cap) != NULL);
}

/* ------------------------------------------------------------ fixtures */

static char *slurp(const char *path, size_t *len)
{
    char err[512];
    char *t = dd_file_read(path, len, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    return t;
}

/* Lines of a text as seeds (not copied: the text must outlive them). */
static void lines_to_seeds(seeds *S, const char *text, size_t len, size_t max)
{
    for (size_t p = 0; p < len && S->count < max;) {
        size_t e = p;
        while (e < len && text[e] != '\n')
            e++;
        if (e > p)
            seeds_add(S, text + p, e - p);
        p = e + 1;
    }
}

static dd_datadir *golden_data(void)
{
    char err[1024];
    dd_datadir *d = dd_datadir_open(D_GOLDEN "/data", err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    return d;
}

/* ------------------------------------------------------------ JSON */

Test(fuzz, json, .timeout = 120)
{
    size_t len;
    char *text = slurp(STREAM_PATH, &len);
    seeds S = {0};
    lines_to_seeds(&S, text, len, SIZE_MAX);
    cr_assert_gt(S.count, 1000);
    /* hand-made seeds: every JSON type */
    static const char *const extra[] = {
        "[]", "{}", "0", "-1.5e-3", "\"\\u00e9\\ud83d\\ude00\\n\"", "[null,true,false,[{}]]",
        "{\"a\":{\"b\":[1,2,{\"c\":\"d\"}]},\"a\":2}", "  \"x\"  ", "\"\xe5\x90\x89\xe6\x9e\x97\"",
    };
    for (size_t i = 0; i < sizeof extra / sizeof *extra; i++)
        seeds_add(&S, extra[i], strlen(extra[i]));

    dd_json_doc *doc = dd_json_doc_new(), *doc2 = dd_json_doc_new();
    cr_assert(doc && doc2);
    dd_jw w1, w2;
    dd_jw_init(&w1);
    dd_jw_init(&w2);
    buf m = {0};

    /* every seed is valid JSON */
    for (size_t i = 0; i < S.count; i++) {
        buf_set(&m, S.s[i], S.n[i]);
        cr_assert(json_one(doc, doc2, &w1, &w2, &m), "seed %zu rejected: %s", i,
                  dd_json_error(doc));
    }

    /* limits: depth exactly at the limit is fine, one more is an error,
     * and a million levels neither crash nor recurse away the stack */
    for (int d = DD_JSON_MAX_DEPTH - 1; d <= DD_JSON_MAX_DEPTH + 1; d++) {
        buf_set(&m, "", 0);
        insert_repeat(&m, 0, "[", (size_t)d);
        insert_repeat(&m, m.len, "]", (size_t)d);
        int ok = json_one(doc, doc2, &w1, &w2, &m);
        cr_assert_eq(ok, d <= DD_JSON_MAX_DEPTH, "depth %d: %s", d, ok ? "accepted" : "rejected");
    }
    buf_set(&m, "", 0);
    insert_repeat(&m, 0, "[", 1000000);
    cr_assert_not(json_one(doc, doc2, &w1, &w2, &m));
    buf_set(&m, "", 0);
    insert_repeat(&m, 0, "{\"k\":", 200000);
    cr_assert_not(json_one(doc, doc2, &w1, &w2, &m));
    /* invalid input that must be refused */
    static const char *const bad[] = {
        "",       " ",       "[",         "[1,]",      "{\"a\"}",  "{\"a\":1,}", "\"\\ud800\"",
        "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\xff\"", "\"\xc0\x80\"", "\"\xed\xa0\x80\"",
        "\"\xe4\xb8\"", "\"\x01\"", "01",  "1.",        ".5",        "+1",       "NaN",
        "[1] x",  "\"\\x41\"", "\"\\u12\"",  "tru",       "nul",      "{1:2}",     "\"abc",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        buf_set(&m, bad[i], strlen(bad[i]));
        cr_assert_not(json_one(doc, doc2, &w1, &w2, &m), "accepted: %s", show(m.b, m.len));
    }
    /* a NUL inside the text is an error, not an early end */
    buf_set(&m, "[1]\0", 4);
    cr_assert_not(json_one(doc, doc2, &w1, &w2, &m));
    buf_set(&m, "\"a\0b\"", 5);
    cr_assert_not(json_one(doc, doc2, &w1, &w2, &m));

    mutator mu = {json_dict, sizeof json_dict / sizeof *json_dict, &S, 1};
    rng r = {UINT64_C(0x13f00d5eed000001)};
    int n = 30000 * scale(), accepted = 0;
    for (int i = 0; i < n; i++) {
        size_t k = below(&r, S.count);
        buf_set(&m, S.s[k], S.n[k]);
        mutate(&r, &m, &mu);
        accepted += json_one(doc, doc2, &w1, &w2, &m);
    }
    /* pure random bytes */
    for (int i = 0; i < 3000 * scale(); i++) {
        m.len = 0;
        size_t n2 = below(&r, 64);
        buf_reserve(&m, n2 + 1);
        for (size_t j = 0; j < n2; j++)
            m.b[j] = (char)rnd(&r);
        m.len = n2;
        json_one(doc, doc2, &w1, &w2, &m);
    }
    cr_log_info("json: %d mutants, %d accepted", n, accepted);
    cr_assert(accepted > 0 && accepted < n, "mutator produced %d/%d valid texts", accepted, n);

    free(m.b);
    dd_jw_free(&w1);
    dd_jw_free(&w2);
    dd_json_doc_destroy(doc);
    dd_json_doc_destroy(doc2);
    seeds_free(&S);
    free(text);
}

/* ------------------------------------------------------------ events */

static dd_event ev1, ev2; /* large: off the stack */

/* Decode + validate one text; on acceptance the event must round-trip
 * through dd_event_to_json as a fixpoint. Returns DD_BAD_NONE or the
 * reason. */
static dd_bad_reason event_one(dd_json_doc *doc, const dd_dataset *ds, dd_jw *w1, dd_jw *w2,
                               const buf *m)
{
    char *t = exact(m);
    dd_event_error e;
    memset(&e, 0, sizeof e);
    dd_bad_reason out = DD_BAD_NONE;
    if (dd_event_from_json(&ev1, doc, t, m->len, &e)) {
        errset(&e, m, "decode");
        out = e.reason;
        goto done;
    }
    cr_assert_neq(ev1.type, DD_EV_NONE, "decoded without a type: %s", show(m->b, m->len));
    if (dd_event_validate(&ev1, ds, &e)) {
        errset(&e, m, "validate");
        out = e.reason;
        goto done;
    }
    /* accepted: to_json -> from_json -> to_json is a fixpoint and valid */
    dd_jw_reset(w1);
    dd_event_to_json(&ev1, w1);
    cr_assert(!w1->oom);
    dd_event_error e2;
    memset(&e2, 0, sizeof e2);
    cr_assert_eq(dd_event_from_json(&ev2, doc, w1->buf, w1->len, &e2), 0,
                 "re-decode failed (%s: %s) for %s", dd_bad_reason_name(e2.reason), e2.detail,
                 show(w1->buf, w1->len));
    cr_assert_eq(dd_event_validate(&ev2, ds, &e2), 0, "re-validate failed (%s: %s) for %s",
                 dd_bad_reason_name(e2.reason), e2.detail, show(w1->buf, w1->len));
    dd_jw_reset(w2);
    dd_event_to_json(&ev2, w2);
    cr_assert(w1->len == w2->len && !memcmp(w1->buf, w2->buf, w1->len),
              "event round trip differs:\n%s\n", show(w1->buf, w1->len));
done:
    free(t);
    return out;
}

Test(fuzz, events, .timeout = 120)
{
    dd_datadir *d = golden_data();
    const dd_dataset *ds = dd_datadir_dataset(d);
    size_t len;
    char *text = slurp(STREAM_PATH, &len);
    seeds S = {0};
    lines_to_seeds(&S, text, len, SIZE_MAX);
    dd_json_doc *doc = dd_json_doc_new();
    cr_assert_not_null(doc);
    dd_jw w1, w2;
    dd_jw_init(&w1);
    dd_jw_init(&w2);
    buf m = {0};

    /* the golden stream: exactly the 11 known bad events are bad */
    int bad_seeds = 0;
    for (size_t i = 0; i < S.count; i++) {
        buf_set(&m, S.s[i], S.n[i]);
        bad_seeds += event_one(doc, ds, &w1, &w2, &m) != DD_BAD_NONE;
    }
    cr_assert_eq(bad_seeds, 11, "golden stream: %d bad events, want 11", bad_seeds);

    /* member names are compared decoded and with their full length: an
     * escaped name is the same member, a NUL-extended one is another */
    for (size_t i = 0; i < S.count; i++) {
        buf_set(&m, S.s[i], S.n[i]);
        m.b[m.len] = '\0'; /* buf_set keeps room for it */
        const char *t = strstr(m.b, "\"type\":");
        if (!t || event_one(doc, ds, &w1, &w2, &m) != DD_BAD_NONE)
            continue;
        size_t at = (size_t)(t - m.b) + 4; /* after "typ */
        buf_delete(&m, at, 1);
        buf_insert(&m, at, "\\u0065", 6);
        cr_assert_eq(event_one(doc, ds, &w1, &w2, &m), DD_BAD_NONE, "%s", show(m.b, m.len));
        buf_insert(&m, at + 6, "\\u0000", 6);
        dd_bad_reason rr = event_one(doc, ds, &w1, &w2, &m);
        cr_assert(rr == DD_BAD_MISSING_FIELD || rr == DD_BAD_UNKNOWN_TYPE, "%s: %s",
                  dd_bad_reason_name(rr), show(m.b, m.len));
        break;
    }

    mutator mu = {json_dict, sizeof json_dict / sizeof *json_dict, &S, 1};
    rng r = {UINT64_C(0x13f00d5eed000002)};
    int n = 20000 * scale();
    int by_reason[DD_BAD__COUNT] = {0};
    for (int i = 0; i < n; i++) {
        size_t k = below(&r, S.count);
        buf_set(&m, S.s[k], S.n[k]);
        mutate(&r, &m, &mu);
        by_reason[event_one(doc, ds, &w1, &w2, &m)]++;
    }
    char summary[1024];
    size_t o = 0;
    for (int k = 0; k < DD_BAD__COUNT; k++)
        if (by_reason[k])
            o += (size_t)snprintf(summary + o, sizeof summary - o, " %s=%d",
                                  k ? dd_bad_reason_name((dd_bad_reason)k) : "OK", by_reason[k]);
    cr_log_info("events: %d mutants:%s", n, summary);
    /* the mutator reaches both sides and several rules */
    cr_assert_gt(by_reason[DD_BAD_NONE], 0);
    cr_assert_gt(by_reason[DD_BAD_JSON], 0);
    cr_assert_gt(by_reason[DD_BAD_FIELD] + by_reason[DD_BAD_AMOUNT] + by_reason[DD_BAD_TIME], 0);

    free(m.b);
    dd_jw_free(&w1);
    dd_jw_free(&w2);
    dd_json_doc_destroy(doc);
    seeds_free(&S);
    free(text);
    dd_datadir_close(d);
}

/* Bad events interleaved into the golden stream are rejected one by one and
 * change nothing: the final snapshots equal the golden ones. */
Test(fuzz, ledger_loses_nothing, .timeout = 120)
{
    dd_datadir *d = golden_data();
    const dd_dataset *ds = dd_datadir_dataset(d);
    d_lines L;
    char err[512];
    cr_assert_eq(d_lines_read(&L, STREAM_PATH, err, sizeof err), 0, "%s", err);
    seeds S = {0};
    for (size_t i = 0; i < L.n; i++)
        seeds_add(&S, L.text + L.start[i], L.end[i] - L.start[i]);
    dd_json_doc *doc = dd_json_doc_new();
    dd_ledger *l = dd_ledger_new(ds);
    cr_assert(doc && l);
    mutator mu = {json_dict, sizeof json_dict / sizeof *json_dict, &S, 1};
    rng r = {UINT64_C(0x13f00d5eed000003)};
    buf m = {0};
    int injected = 0;
    for (size_t i = 0; i < L.n; i++) {
        /* up to 3 bad mutants of this line (or a neighbour) before it */
        for (int j = 0; j < 3; j++) {
            size_t k = i + below(&r, 3);
            if (k >= L.n)
                k = i;
            buf_set(&m, S.s[k], S.n[k]);
            mutate(&r, &m, &mu);
            dd_event_error e;
            memset(&e, 0, sizeof e);
            char *t = exact(&m);
            int bad = dd_event_from_json(&ev1, doc, t, m.len, &e) != 0 ||
                      dd_event_validate(&ev1, ds, &e) != 0;
            if (bad) {
                memset(&e, 0, sizeof e);
                dd_ledger_outcome o = dd_ledger_apply_json(l, t, m.len, &e);
                cr_assert_eq(o, DD_LEDGER_BAD, "bad mutant gave outcome %d: %s", (int)o,
                             show(m.b, m.len));
                errset(&e, &m, "ledger");
                injected++;
            }
            free(t);
        }
        dd_event_error e;
        dd_ledger_outcome o = dd_ledger_apply_json(l, S.s[i], S.n[i], &e);
        cr_assert_neq(o, DD_LEDGER_ERROR);
    }
    cr_assert_gt(injected, 1000);
    cr_assert_eq(dd_ledger_get_stats(l)->bad, (uint64_t)injected + 11);
    static const struct {
        const char *admdvs;
        int insutype;
    } scopes[] = {{"220100", 310}, {"220100", 390}, {"220400", 310}, {"220400", 390}};
    for (size_t i = 0; i < sizeof scopes / sizeof *scopes; i++) {
        char path[1024];
        snprintf(path, sizeof path, D_GOLDEN "/stream.%s-%d-2025-03.json", scopes[i].admdvs,
                 scopes[i].insutype);
        size_t wl;
        char *want = slurp(path, &wl);
        char *got = d_snapshot_json(l, ds, scopes[i].admdvs, scopes[i].insutype, "2025-03");
        cr_assert_not_null(got);
        d_blank_kind(want);
        d_blank_kind(got);
        cr_assert_str_eq(got, want, "%s changed by %d injected bad events", path, injected);
        free(want);
        free(got);
    }
    cr_log_info("ledger: %d bad events injected, snapshots unchanged", injected);
    free(m.b);
    dd_ledger_destroy(l);
    dd_json_doc_destroy(doc);
    seeds_free(&S);
    d_lines_free(&L);
    dd_datadir_close(d);
}

/* ------------------------------------------------------------ DRG tables */

/* A small valid table file cut from the shipped one: the header comments,
 * [mdc], the head of every other section, the first ADRG blocks and their
 * DRGs. */
static size_t tbl_head(const char *t, size_t len, buf *out)
{
    out->len = 0;
    const char *section = "";
    size_t in_section = 0;
    int adrgs = 0, lists = 0;
    for (size_t p = 0; p < len;) {
        size_t e = p;
        while (e < len && t[e] != '\n')
            e++;
        const char *ln = t + p;
        size_t n = e - p;
        int keep = 0;
        if (n && ln[0] == '[') {
            in_section = 0;
            if (!strncmp(ln, "[adrg ", 6)) {
                section = "adrg";
                keep = ++adrgs <= 4;
            } else if (!strncmp(ln, "[mdc_dx ", 8) || !strncmp(ln, "[mdcz_region ", 13)) {
                section = "list";
                keep = ++lists <= 12;
                if (!keep)
                    section = "skip";
            } else {
                section = ln[1] == 'm' && ln[2] == 'd' && ln[3] == 'c' && ln[4] == ']' ? "mdc"
                          : !strncmp(ln, "[drg]", 5)                            ? "drg"
                                                                                : "other";
                keep = 1;
            }
        } else if (!strcmp(section, "adrg")) {
            keep = adrgs <= 4;
        } else if (!strcmp(section, "mdc") || ln[0] == '#' || n == 0) {
            keep = 1;
        } else if (!strcmp(section, "drg")) {
            keep = in_section++ < 4;
        } else if (!strcmp(section, "list") || !strcmp(section, "other")) {
            keep = in_section++ < 8;
        }
        if (keep) {
            buf_insert(out, out->len, ln, n);
            buf_insert(out, out->len, "\n", 1);
        }
        p = e + 1;
    }
    return out->len;
}

Test(fuzz, drg_tables, .timeout = 120)
{
    size_t len;
    char *full = slurp(TBL_PATH, &len);
    char err[512];
    /* the whole shipped file loads */
    dd_drg_tables *t = dd_drg_tables_new(full, len, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    dd_drg_tables_destroy(t);

    buf head = {0};
    tbl_head(full, len, &head);
    t = dd_drg_tables_new(head.b, head.len, err, sizeof err);
    cr_assert_not_null(t, "head seed: %s", err);
    dd_drg_table_stats st;
    dd_drg_tables_stats(t, &st);
    cr_assert_eq(st.n_adrg, 4);
    dd_drg_tables_destroy(t);

    seeds S = {0};
    lines_to_seeds(&S, head.b, head.len, SIZE_MAX);
    mutator mu = {csv_dict, sizeof csv_dict / sizeof *csv_dict, &S, 0};
    rng r = {UINT64_C(0x13f00d5eed000004)};
    buf m = {0};
    int n = 1000 * scale(), ok = 0;
    for (int i = 0; i < n; i++) {
        buf_set(&m, head.b, head.len);
        /* mutate one to three lines in place: pick a line, mutate it alone */
        int lines = 1 + (int)below(&r, 3);
        for (int j = 0; j < lines; j++) {
            size_t at = below(&r, m.len), s = at, e = at;
            while (s > 0 && m.b[s - 1] != '\n')
                s--;
            while (e < m.len && m.b[e] != '\n')
                e++;
            buf line = {0};
            buf_set(&line, m.b + s, e - s);
            mutate(&r, &line, &mu);
            buf_delete(&m, s, e - s);
            buf_insert(&m, s, line.b, line.len);
            free(line.b);
        }
        if (below(&r, 8) == 0)
            mutate(&r, &m, &mu); /* sometimes the whole file */
        char *x = exact(&m);
        err[0] = '\0';
        t = dd_drg_tables_new(x, m.len, err, sizeof err);
        if (t) {
            ok++;
            dd_drg_tables_stats(t, &st);
            dd_drg_tables_destroy(t);
        } else {
            errstr_ok(err, sizeof err, &m, "drg tables");
        }
        free(x);
    }
    cr_log_info("drg tables: %d mutants, %d accepted", n, ok);
    cr_assert(ok > 0 && ok < n);
    free(m.b);
    free(head.b);
    seeds_free(&S);
    free(full);
}

/* ------------------------------------------------------------ generic CSV-ish */

typedef int (*text_parser)(void *ctx, const char *text, size_t len, char *err, size_t errlen);

/* Mutate whole texts built from `seed`, feed each to `parse`. Returns the
 * count accepted. */
static int fuzz_text(const char *what, const char *seed, size_t seedlen, const seeds *splice,
                     uint64_t s, int n, text_parser parse, void *ctx, int lenient)
{
    char err[512];
    buf m = {0};
    buf_set(&m, seed, seedlen);
    char *x = exact(&m);
    err[0] = '\0';
    cr_assert_eq(parse(ctx, x, m.len, err, sizeof err), 0, "%s: seed rejected: %s", what, err);
    free(x);
    mutator mu = {csv_dict, sizeof csv_dict / sizeof *csv_dict, splice, 0};
    rng r = {s};
    int ok = 0;
    for (int i = 0; i < n; i++) {
        buf_set(&m, seed, seedlen);
        mutate(&r, &m, &mu);
        x = exact(&m);
        err[0] = '\0';
        if (parse(ctx, x, m.len, err, sizeof err) == 0)
            ok++;
        else
            errstr_ok(err, sizeof err, &m, what);
        free(x);
    }
    cr_log_info("%s: %d mutants, %d accepted", what, n, ok);
    if (!lenient)
        cr_assert(ok < n, "%s: every mutant accepted", what);
    free(m.b);
    return ok;
}

static int p_policy(void *ctx, const char *t, size_t n, char *err, size_t errlen)
{
    dd_policy p;
    int rc = dd_policy_parse(&p, *(dd_scheme *)ctx, t, n, err, errlen);
    if (rc == 0) {
        for (int i = 0; i < p.n_alert; i++)
            cr_assert(memchr(p.alert[i].key, '\0', sizeof p.alert[i].key));
        cr_assert(p.n_bedday >= 0 && p.n_bedday <= DD_POLICY_MAX_BEDDAY);
        cr_assert(p.retention_rate_e6 >= 30000 && p.retention_rate_e6 <= 100000);
    }
    return rc;
}

Test(fuzz, policy, .timeout = 120)
{
    static const char *const files[] = {"220100.conf", "220400.conf"};
    static const dd_scheme schemes[] = {DD_SCHEME_DRG, DD_SCHEME_DIP};
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/data/policy/%s", D_GOLDEN, files[i]);
        size_t len;
        char *t = slurp(path, &len);
        seeds S = {0};
        lines_to_seeds(&S, t, len, SIZE_MAX);
        dd_scheme sc = schemes[i];
        fuzz_text("policy", t, len, &S, UINT64_C(0x13f00d5eed000005) + i, 6000 * scale(),
                  p_policy, &sc, 0);
        seeds_free(&S);
        free(t);
    }
}

static int p_dip(void *ctx, const char *t, size_t n, char *err, size_t errlen)
{
    dd_dip_library *lib = dd_dip_library_new(t, n, ctx, err, errlen);
    if (!lib)
        return -1;
    int k = dd_dip_library_count(lib);
    for (int i = 0; i < k; i++) {
        const dd_dip_entry *e = dd_dip_library_get(lib, i);
        cr_assert(memchr(e->code, '\0', sizeof e->code) && memchr(e->name, '\0', sizeof e->name));
        cr_assert(e->score_e4 > 0 && e->ref_cost_fen > 0);
        cr_assert(utf8_valid((const unsigned char *)e->name, strlen(e->name)) ||
                  !utf8_valid((const unsigned char *)t, n));
    }
    /* group a case against whatever was accepted */
    const char *procs[] = {"07.6800", "86.8200x007"};
    dd_dip_input in = {"A03.0", procs, 2, 500000};
    dd_dip_result res;
    dd_dip_group(lib, &in, &res);
    cr_assert_not_null(res.reason);
    dd_dip_library_destroy(lib);
    return 0;
}

Test(fuzz, dip_library, .timeout = 120)
{
    size_t cl, ll;
    char *ct = slurp(CLASSES_PATH, &cl);
    char err[512];
    dd_dip_classes *classes = dd_dip_classes_new(ct, cl, err, sizeof err);
    cr_assert_not_null(classes, "%s", err);
    char *lt = slurp(SRC "/data/jilin/dip/220400.csv", &ll);
    /* the head: header + 40 groups, and the last lines (COMPREHENSIVE) */
    size_t cut = 0;
    for (int lines = 0; cut < ll && lines < 41; cut++)
        lines += lt[cut] == '\n';
    buf seed = {0};
    buf_set(&seed, lt, cut);
    size_t tail = ll;
    for (int lines = 0; tail > 0 && lines < 16; tail--)
        lines += lt[tail - 1] == '\n';
    buf_insert(&seed, seed.len, lt + tail, ll - tail);
    seeds S = {0};
    lines_to_seeds(&S, seed.b, seed.len, SIZE_MAX);
    fuzz_text("dip library", seed.b, seed.len, &S, UINT64_C(0x13f00d5eed000006), 5000 * scale(),
              p_dip, classes, 0);
    /* the procedure-class list too (lines "code class") */
    size_t ccut = 0;
    for (int lines = 0; ccut < cl && lines < 60; ccut++)
        lines += ct[ccut] == '\n';
    seeds_free(&S);
    lines_to_seeds(&S, ct, ccut, SIZE_MAX);
    buf m = {0};
    mutator mu = {csv_dict, sizeof csv_dict / sizeof *csv_dict, &S, 0};
    rng r = {UINT64_C(0x13f00d5eed000016)};
    for (int i = 0; i < 3000 * scale(); i++) {
        buf_set(&m, ct, ccut);
        mutate(&r, &m, &mu);
        char *x = exact(&m);
        err[0] = '\0';
        dd_dip_classes *c = dd_dip_classes_new(x, m.len, err, sizeof err);
        if (c) {
            const char *p[] = {"51.2200", "x"};
            (void)dd_dip_case_class(c, p, 2);
            dd_dip_classes_destroy(c);
        } else {
            errstr_ok(err, sizeof err, &m, "dip classes");
        }
        free(x);
    }
    free(m.b);
    seeds_free(&S);
    free(seed.b);
    free(lt);
    dd_dip_classes_destroy(classes);
    free(ct);
}

/* refdata: each file kind on a fresh dataset with valid neighbours */
typedef struct {
    const char *regions, *hospitals;
    size_t rl, hl;
    int kind; /* 0 regions, 1 hospitals, 2 weights */
} refctx;

static int p_refdata(void *vctx, const char *t, size_t n, char *err, size_t errlen)
{
    refctx *c = vctx;
    dd_dataset *ds = dd_dataset_new(NULL, NULL);
    cr_assert_not_null(ds);
    int rc;
    if (c->kind == 0) {
        rc = dd_dataset_load_regions(ds, t, n, err, errlen);
        if (rc == 0) {
            for (int i = 0; i < dd_dataset_region_count(ds); i++) {
                const dd_region *r = dd_dataset_region_at(ds, i);
                cr_assert_eq(strlen(r->admdvs), 6);
                cr_assert_not_null(r->name);
            }
        }
    } else {
        char e2[256];
        cr_assert_eq(dd_dataset_load_regions(ds, c->regions, c->rl, e2, sizeof e2), 0, "%s", e2);
        if (c->kind == 1) {
            rc = dd_dataset_load_hospitals(ds, t, n, err, errlen);
            if (rc == 0)
                for (int i = 0; i < dd_dataset_hospital_count(ds); i++) {
                    const dd_hospital *h = dd_dataset_hospital_at(ds, i);
                    cr_assert(h->level >= 1 && h->level <= 3);
                    cr_assert(h->n_coef >= 0 && h->n_coef <= DD_MAX_COEF);
                    cr_assert(memchr(h->code, '\0', sizeof h->code));
                }
        } else {
            rc = dd_dataset_load_drg_weights(ds, "220100", t, n, err, errlen);
        }
    }
    dd_dataset_destroy(ds);
    return rc;
}

static char *head_lines(const char *path, int lines, size_t *len)
{
    char *t = slurp(path, len);
    size_t cut = 0;
    for (int k = 0; cut < *len && k < lines; cut++)
        k += t[cut] == '\n';
    *len = cut;
    return t;
}

Test(fuzz, refdata, .timeout = 120)
{
    refctx c = {0};
    char *reg = slurp(SRC "/data/jilin/regions.csv", &c.rl);
    size_t hl;
    char *hos = head_lines(SRC "/data/jilin/hospitals.csv", 60, &hl);
    size_t wl;
    char *wts = head_lines(SRC "/data/jilin/drg/220100.csv", 60, &wl);
    c.regions = reg;
    c.hospitals = hos;
    c.hl = hl;
    seeds S = {0};
    lines_to_seeds(&S, reg, c.rl, SIZE_MAX);
    lines_to_seeds(&S, hos, hl, SIZE_MAX);
    lines_to_seeds(&S, wts, wl, SIZE_MAX);
    c.kind = 0;
    fuzz_text("regions.csv", reg, c.rl, &S, UINT64_C(0x13f00d5eed000007), 1000 * scale(),
              p_refdata, &c, 0);
    c.kind = 1;
    fuzz_text("hospitals.csv", hos, hl, &S, UINT64_C(0x13f00d5eed000008), 1000 * scale(),
              p_refdata, &c, 0);
    c.kind = 2;
    fuzz_text("drg weights", wts, wl, &S, UINT64_C(0x13f00d5eed000009), 1000 * scale(),
              p_refdata, &c, 0);
    seeds_free(&S);
    free(reg);
    free(hos);
    free(wts);
}

/* ------------------------------------------------------------ Avro */

static void avro_check(dd_avro_event_codec *c, const dd_dataset *ds, const buf *m, int *ok)
{
    char *x = exact(m);
    dd_event_error e;
    memset(&e, 0, sizeof e);
    if (dd_avro_event_decode(c, x, m->len, &ev1, &e)) {
        errset(&e, m, "avro decode");
    } else {
        (*ok)++;
        memset(&e, 0, sizeof e);
        if (dd_event_validate(&ev1, ds, &e))
            errset(&e, m, "avro validate");
    }
    free(x);
}

Test(fuzz, avro, .timeout = 120)
{
    dd_datadir *d = golden_data();
    const dd_dataset *ds = dd_datadir_dataset(d);
    char cerr[512];
    dd_avro_event_codec *c = dd_avro_event_codec_new(NULL, cerr, sizeof cerr);
    cr_assert_not_null(c, "%s", cerr);
    /* an older producer's messages too (read through schema resolution) */
    dd_avro_event_codec *c1 = dd_avro_event_codec_new("event-v1", cerr, sizeof cerr);
    cr_assert_not_null(c1, "%s", cerr);
    size_t len;
    char *text = slurp(STREAM_PATH, &len);
    seeds lines = {0};
    lines_to_seeds(&lines, text, len, SIZE_MAX);
    dd_json_doc *doc = dd_json_doc_new();
    cr_assert_not_null(doc);

    /* encode the valid events (every type that appears) */
    enum { MAXENC = 500 };
    char **enc = calloc(MAXENC, sizeof *enc);
    seeds S = {0};
    dd_avro_buf ab = {0};
    for (size_t i = 0; i < lines.count && S.count < MAXENC; i += 1 + i / 40) {
        dd_event_error e;
        if (dd_event_from_json(&ev1, doc, lines.s[i], lines.n[i], &e) ||
            dd_event_validate(&ev1, ds, &e))
            continue;
        cr_assert_eq(dd_avro_event_encode(c, &ev1, &ab, &e), 0, "%s", e.detail);
        char *copy = malloc(ab.len);
        cr_assert_not_null(copy);
        memcpy(copy, ab.data, ab.len);
        enc[S.count] = copy;
        seeds_add(&S, copy, ab.len);
        /* the unmutated message decodes to the same event */
        cr_assert_eq(dd_avro_event_decode(c, copy, ab.len, &ev2, &e), 0, "%s", e.detail);
        dd_jw w1, w2;
        dd_jw_init(&w1);
        dd_jw_init(&w2);
        dd_event_to_json(&ev1, &w1);
        dd_event_to_json(&ev2, &w2);
        cr_assert(w1.len == w2.len && !memcmp(w1.buf, w2.buf, w1.len));
        dd_jw_free(&w1);
        dd_jw_free(&w2);
        /* every 4th event also as event-v1 when v1 can carry it */
        if (i % 4 == 0 && S.count < MAXENC && dd_avro_event_encode(c1, &ev1, &ab, &e) == 0) {
            copy = malloc(ab.len);
            cr_assert_not_null(copy);
            memcpy(copy, ab.data, ab.len);
            enc[S.count] = copy;
            seeds_add(&S, copy, ab.len);
            cr_assert_eq(dd_avro_event_decode(c, copy, ab.len, &ev2, &e), 0, "v1: %s", e.detail);
            cr_assert_str_eq(ev2.event_id, ev1.event_id);
        }
    }
    cr_assert_gt(S.count, 50);

    mutator mu = {json_dict, sizeof json_dict / sizeof *json_dict, &S, 0};
    rng r = {UINT64_C(0x13f00d5eed00000a)};
    buf m = {0};
    int ok = 0, n = 15000 * scale();
    for (int i = 0; i < n; i++) {
        size_t k = below(&r, S.count);
        buf_set(&m, S.s[k], S.n[k]);
        if (below(&r, 2)) {
            /* keep the header (so the body parser is reached) */
            buf body = {0};
            buf_set(&body, m.b + DD_AVRO_HEADER_LEN, m.len - DD_AVRO_HEADER_LEN);
            mutate(&r, &body, &mu);
            m.len = DD_AVRO_HEADER_LEN;
            buf_insert(&m, m.len, body.b, body.len);
            free(body.b);
        } else {
            mutate(&r, &m, &mu);
        }
        avro_check(c, ds, &m, &ok);
    }
    /* header + random body; and pure random bytes */
    for (int i = 0; i < 3000 * scale(); i++) {
        size_t k = below(&r, S.count);
        size_t bl = below(&r, 200);
        buf_set(&m, S.s[k], below(&r, 2) ? DD_AVRO_HEADER_LEN : 0);
        for (size_t j = 0; j < bl; j++) {
            char ch = (char)rnd(&r);
            buf_insert(&m, m.len, &ch, 1);
        }
        avro_check(c, ds, &m, &ok);
    }
    cr_log_info("avro: %zu seed messages (v2 and v1), %d mutants, %d decoded", S.count, n, ok);
    cr_assert(ok < n);

    for (size_t i = 0; i < S.count; i++)
        free(enc[i]);
    free(enc);
    free(m.b);
    dd_avro_buf_free(&ab);
    seeds_free(&S);
    seeds_free(&lines);
    dd_json_doc_destroy(doc);
    free(text);
    dd_avro_event_codec_destroy(c);
    dd_avro_event_codec_destroy(c1);
    dd_datadir_close(d);
}

/* ------------------------------------------------------------ golden case CSV */

static const dd_drg_tables *g_tables;

static int p_casecsv(void *ctx, const char *t, size_t n, char *err, size_t errlen)
{
    (void)ctx;
    dd_casecsv *c = dd_casecsv_load(t, n, err, errlen);
    if (!c)
        return -1;
    cr_assert_not_null(dd_casecsv_header(c));
    for (int i = 0; i < dd_casecsv_count(c); i++) {
        const dd_casecsv_row *row = dd_casecsv_row_at(c, i);
        cr_assert_not_null(row->raw);
        (void)dd_casecsv_field(c, i, "case_id");
        (void)dd_casecsv_field(c, i, "no_such_column");
        if (row->bad)
            continue;
        dd_drg_result res;
        dd_drg_group(g_tables, &row->in, &res);
        cr_assert_not_null(res.reason);
        cr_assert(memchr(res.path, '\0', sizeof res.path));
        cr_assert(res.status == DD_GROUP_SUCCESS || res.status == DD_GROUP_FAIL ||
                  res.status == DD_GROUP_INVALID);
    }
    dd_casecsv_destroy(c);
    return 0;
}

Test(fuzz, casecsv, .timeout = 120)
{
    size_t tl;
    char *tt = slurp(TBL_PATH, &tl);
    char err[512];
    dd_drg_tables *t = dd_drg_tables_new(tt, tl, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    g_tables = t;
    size_t len;
    char *csv = head_lines(DD_SHARED_DIR "/golden/drg-group-visible.csv", 40, &len);
    seeds S = {0};
    lines_to_seeds(&S, csv, len, SIZE_MAX);
    fuzz_text("case csv", csv, len, &S, UINT64_C(0x13f00d5eed00000b), 3000 * scale(), p_casecsv,
              NULL, 1);
    seeds_free(&S);
    free(csv);
    dd_drg_tables_destroy(t);
    free(tt);
}

/* ------------------------------------------------------------ case records (Redis) */

/* A record read back from Redis may be damaged: decoding never crashes,
 * and what decodes re-encodes to a fixpoint and can be scored. */
Test(fuzz, case_codec, .timeout = 120)
{
    dd_datadir *d = golden_data();
    const dd_dataset *ds = dd_datadir_dataset(d);
    d_lines L;
    char err[512];
    cr_assert_eq(d_lines_read(&L, STREAM_PATH, err, sizeof err), 0, "%s", err);
    dd_ledger *l = d_replay(ds, &L, NULL);
    cr_assert_not_null(l);
    dd_json_doc *doc = dd_json_doc_new();
    cr_assert_not_null(doc);
    seeds S = {0};
    enum { MAXREC = 300 };
    char **recs = calloc(MAXREC, sizeof *recs);
    cr_assert_not_null(recs);
    for (size_t i = 0; i < L.n && S.count < MAXREC; i++) {
        dd_event_error e;
        if (dd_event_from_json(&ev1, doc, L.text + L.start[i], L.end[i] - L.start[i], &e) ||
            !dd_event_is_case_event(ev1.type))
            continue;
        const dd_case *c = dd_ledger_case(l, ev1.admdvs, ev1.fixmedins_code, ev1.setl_id);
        if (!c)
            continue;
        char *rec = NULL;
        long n = dd_case_encode(c, &rec);
        cr_assert_geq(n, 0);
        recs[S.count] = rec;
        seeds_add(&S, rec, (size_t)n);
    }
    cr_assert_gt(S.count, 100);

    static const char *const dict[] = {"|", "||", ",", "%", "%7C", "%zz", "%0", "-1", "0", "v1|",
                                       "v2|", "99999999999999999999", "-9223372036854775808",
                                       "65", "1000000", "\xff", "\x00"};
    mutator mu = {dict, sizeof dict / sizeof *dict, &S, 0};
    rng r = {UINT64_C(0x13f00d5eed00000c)};
    buf m = {0};
    int ok = 0, n = 8000 * scale();
    dd_case c, c2;
    for (int i = -(int)S.count; i < n; i++) {
        /* first every seed unmutated, then mutants */
        size_t k = i < 0 ? (size_t)(i + (int)S.count) : below(&r, S.count);
        buf_set(&m, S.s[k], S.n[k]);
        if (i >= 0)
            mutate(&r, &m, &mu);
        char *x = exact(&m);
        dd_case_init(&c, "220100", "H22010100001", "S1");
        int rc = dd_case_decode(&c, "220100", "H22010100001", "S1", x, m.len);
        if (i < 0)
            cr_assert_eq(rc, 0, "seed record %zu does not decode: %s", k, show(m.b, m.len));
        if (rc == 0) {
            ok += i >= 0;
            char *e1 = NULL, *e2 = NULL;
            long n1 = dd_case_encode(&c, &e1);
            cr_assert_geq(n1, 0);
            if (i < 0)
                cr_assert(n1 == (long)m.len && !memcmp(e1, m.b, m.len),
                          "seed record does not round-trip");
            dd_case_init(&c2, "220100", "H22010100001", "S1");
            cr_assert_eq(dd_case_decode(&c2, "220100", "H22010100001", "S1", e1, (size_t)n1), 0,
                         "re-encoded record does not decode: %s", show(e1, (size_t)n1));
            long n2 = dd_case_encode(&c2, &e2);
            cr_assert(n1 == n2 && !memcmp(e1, e2, (size_t)n1), "case record round trip differs");
            dd_contrib ct;
            dd_case_contribution(ds, &c, NULL, &ct);
            dd_case_free(&c2);
            free(e1);
            free(e2);
        }
        dd_case_free(&c);
        free(x);
    }
    cr_log_info("case records: %d mutants, %d decoded", n, ok);
    cr_assert(ok < n);

    for (size_t i = 0; i < S.count; i++)
        free(recs[i]);
    free(recs);
    free(m.b);
    seeds_free(&S);
    dd_json_doc_destroy(doc);
    dd_ledger_destroy(l);
    d_lines_free(&L);
    dd_datadir_close(d);
}

/* ------------------------------------------------------------ `drgdip run` config file */

static int p_config(void *ctx, const char *t, size_t n, char *err, size_t errlen)
{
    const char *path = ctx;
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(t, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
    dd_config *cfg = dd_config_new();
    cr_assert_not_null(cfg);
    int rc = dd_config_load_file(cfg, path, err, errlen);
    if (rc == 0) {
        cr_assert_not_null(dd_config_get(cfg, "redis.url"));
        for (int i = 0; i < dd_config_kafka_count(cfg); i++) {
            const char *p, *v;
            dd_config_kafka_at(cfg, i, &p, &v);
            cr_assert(p && v);
        }
        uint8_t key[16];
        (void)dd_config_pseudonym_key(cfg, key);
    }
    dd_config_destroy(cfg);
    return rc;
}

Test(fuzz, config_file, .timeout = 120)
{
    static const char seed[] = "# drgdip run\n"
                               "kafka.bootstrap.servers = 127.0.0.1:9092\n"
                               "kafka.security.protocol = plaintext\n"
                               "redis.url = redis://127.0.0.1:6379/0\n"
                               "pseudonym.key = 000102030405060708090a0b0c0d0e0f\n"
                               "input.topic = drgdip.settlements\n"
                               "batch.max_events = 5000\n"
                               "batch.max_ms = 20\n"
                               "log.level = info\n"
                               "\n";
    char path[] = "/tmp/dd-fuzz-config-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    seeds S = {0};
    lines_to_seeds(&S, seed, sizeof seed - 1, SIZE_MAX);
    fuzz_text("config file", seed, sizeof seed - 1, &S, UINT64_C(0x13f00d5eed00000d),
              400 * scale(), p_config, path, 0);
    seeds_free(&S);
    unlink(path);
}
