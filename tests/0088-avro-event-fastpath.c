/*
 * 0088-avro-event-fastpath: the direct Avro decoder of dd_avro_event_decode
 * against the avro-c path (dd_avro_event_codec_set_fast(c, 0)), differential:
 *  - every golden stream event, a few hand-written JSON events and the
 *    generator's events for 500 cases (2025-03, seed 3), written by the
 *    event-v2 and event-v1 codecs, read by v2 and v1 readers: same return
 *    code and the identical dd_event (field by field and byte for byte),
 *    and every one of them decoded by the fast path (counted);
 *  - mutations of ~300 of those messages (every truncation, 50 byte flips /
 *    replacements / insertions each, fixed seed): same return code, reason
 *    and message, same event when both succeed;
 *  - hand-built bodies: a negative array block count (fast), a block byte
 *    size avro-c ignores but the fast path does not trust, an overlong
 *    varint (both: avro-c decides, same result), and the bounds of every
 *    setter (string caps, int range, codes, UTF-8, 10-byte varints).
 * Messages of the other writer go through avro-c's resolver, whose reading
 * of an empty array depends on the codec's history (dd_avro_event.h): both
 * codecs read the same primers first (prime()).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_avro.h"
#include "dd_avro_event.h"
#include "dd_datadir.h"
#include "dd_event.h"
#include "dd_gen.h"
#include "dd_json.h"
#include "dd_schemas.h"
#include "dd_time.h"

typedef struct {
    unsigned char *data;
    size_t len;
    int writer;     /* 1 or 2: event-v1 / event-v2 */
    int empty_list; /* carries an empty other_dx / procedures / errors */
} msg;

typedef struct {
    msg *v;
    size_t n, cap;
    dd_avro_event_codec *w1, *w2; /* writers */
    long v1_refused;              /* events event-v1 cannot carry (pay_method) */
    long empty_lists;             /* events with an empty list */
} msg_list;

static void push(msg_list *l, const dd_avro_buf *b, int writer, int empty_list)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        cr_assert_not_null(l->v);
    }
    msg *m = &l->v[l->n++];
    m->data = malloc(b->len);
    cr_assert_not_null(m->data);
    memcpy(m->data, b->data, b->len);
    m->len = b->len;
    m->writer = writer;
    m->empty_list = empty_list;
}

/* An empty list the encoder writes (it writes applicable fields only). */
static int has_empty_list(const dd_event *ev)
{
    if (ev->type == DD_EV_SETTLEMENT_LIST)
        return ((ev->has & DD_F_OTHER_DX) && !ev->n_other_dx) ||
               ((ev->has & DD_F_PROCEDURES) && !ev->n_procedures);
    return ev->type == DD_EV_QC_RESULT && (ev->has & DD_F_ERRORS) && !ev->n_errors;
}

/* Both writers' encodings of ev. */
static void add_event(msg_list *l, const dd_event *ev)
{
    dd_avro_buf b = {0};
    dd_event_error err;
    cr_assert_eq(dd_avro_event_encode(l->w2, ev, &b, &err), 0, "%s: %s", ev->event_id,
                 err.detail);
    int el = has_empty_list(ev);
    l->empty_lists += el;
    push(l, &b, 2, el);
    if (dd_avro_event_encode(l->w1, ev, &b, &err) == 0)
        push(l, &b, 1, el);
    else
        l->v1_refused++;
    dd_avro_buf_free(&b);
}

static void free_list(msg_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].data);
    free(l->v);
}

static void load_golden(msg_list *l)
{
    FILE *f = fopen(DD_SHARED_DIR "/golden/replay/stream.jsonl", "r");
    cr_assert_not_null(f);
    dd_json_doc *doc = dd_json_doc_new();
    dd_event *ev = malloc(sizeof *ev);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long n = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        dd_event_error err;
        if (dd_event_from_json(ev, doc, line, (size_t)len, &err))
            continue;
        add_event(l, ev);
        n++;
    }
    cr_assert_geq(n, 3300, "golden events accepted: %ld", n);
    /* Shapes the golden stream lacks (MONTH_CLOSE: the string `month`). */
    const char *extra[] = {
        "{\"event_id\":\"X1\",\"type\":\"MONTH_CLOSE\","
        "\"event_time\":\"2025-04-10T00:00:00+08:00\",\"admdvs\":\"220100\","
        "\"insutype\":\"310\",\"month\":\"2025-03\"}",
        "{\"event_id\":\"X2\",\"type\":\"BUDGET\",\"event_time\":\"2024-12-20T09:00:00+08:00\","
        "\"admdvs\":\"220100\",\"insutype\":\"390\",\"year\":2025,\"month\":3,"
        "\"amount\":\"1000000000000.00\"}",
        "{\"event_id\":\"X3\",\"type\":\"SPECIAL_CASE\","
        "\"event_time\":\"2025-03-13T09:00:00+08:00\",\"admdvs\":\"220100\","
        "\"fixmedins_code\":\"H22010100001\",\"setl_id\":\"S1\","
        "\"status\":\"APPROVED\",\"points\":\"123.4567\"}",
        "{\"event_id\":\"X4\",\"type\":\"SETTLEMENT\",\"event_time\":\"2025-03-10T09:00:00+08:00\","
        "\"admdvs\":\"220100\",\"fixmedins_code\":\"H22010100001\",\"setl_id\":\"S2\","
        "\"pay_method\":\"BED_DAY\",\"bed_day_group\":\"PSY\",\"psn_no\":\"张三\"}",
    };
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        dd_event_error err;
        cr_assert_eq(dd_event_from_json(ev, doc, extra[i], strlen(extra[i]), &err), 0, "%s",
                     err.detail);
        add_event(l, ev);
    }
    free(line);
    free(ev);
    dd_json_doc_destroy(doc);
    fclose(f);
}

static int gen_sink(void *ctx, const dd_event *ev)
{
    add_event(ctx, ev);
    return 0;
}

static void load_generated(msg_list *l)
{
    char err[512];
    dd_datadir *dd = dd_datadir_open(NULL, err, sizeof err);
    cr_assert_not_null(dd, "%s", err);
    dd_gen *g = dd_gen_open(dd_datadir_dataset(dd), NULL, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    dd_gen_options go = {.cases = 500, .month = dd_time_month_make(2025, 3), .months = 1,
                         .seed = 3};
    size_t before = l->n;
    cr_assert_eq(dd_gen_run(g, &go, gen_sink, l, NULL, err, sizeof err), 0, "%s", err);
    cr_assert_geq(l->n - before, 3000, "generated messages: %zu", l->n - before);
    dd_gen_destroy(g);
    dd_datadir_close(dd);
}

/* First field that differs (everything a decoder may set), or NULL. */
static const char *ev_diff(const dd_event *a, const dd_event *b)
{
#define D_EQ(f)                                                                                    \
    if (a->f != b->f)                                                                              \
        return #f;
#define D_STR(f)                                                                                   \
    if (strcmp(a->f, b->f))                                                                        \
        return #f;
    D_EQ(type) D_EQ(has) D_STR(event_id) D_EQ(event_time_ms) D_STR(admdvs)
    D_STR(fixmedins_code) D_STR(setl_id) D_STR(mdtrt_id) D_STR(psn_no) D_EQ(insutype)
    D_STR(insuplc_admdvs) D_EQ(begndate) D_EQ(enddate) D_EQ(setl_time_ms) D_EQ(medfee_fen)
    D_EQ(fund_fen) D_EQ(psn_part_fen) D_EQ(acct_pay_fen) D_EQ(pay_method) D_STR(bed_day_group)
    D_EQ(gend) D_EQ(age) D_EQ(age_days) D_EQ(nwb_bir_wt) D_EQ(ipt_days) D_EQ(dscg_way)
    D_STR(main_dx) D_EQ(n_other_dx) D_EQ(n_procedures) D_EQ(passed) D_EQ(n_errors)
    D_EQ(errors_len) D_EQ(status) D_EQ(points_e4) D_EQ(pay_as_ffs) D_EQ(year) D_EQ(month)
    D_EQ(amount_fen) D_EQ(close_month);
    for (int i = 0; i < a->n_other_dx; i++)
        D_STR(other_dx[i])
    for (int i = 0; i < a->n_procedures; i++)
        D_STR(procedures[i])
    for (int i = 0; i < a->n_errors; i++)
        D_EQ(error_off[i])
    if (memcmp(a->errors_text, b->errors_text, a->errors_len))
        return "errors_text";
#undef D_EQ
#undef D_STR
    return NULL;
}

/* ---- hand-built event-v2 bodies ---- */

typedef struct {
    unsigned char b[512];
    size_t n;
} body;

static void put_raw(body *o, const void *s, size_t n)
{
    cr_assert_lt(o->n + n, sizeof o->b);
    memcpy(o->b + o->n, s, n);
    o->n += n;
}

static void put_long(body *o, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    while (z > 0x7f) {
        unsigned char c = (unsigned char)((z & 0x7f) | 0x80);
        put_raw(o, &c, 1);
        z >>= 7;
    }
    unsigned char c = (unsigned char)z;
    put_raw(o, &c, 1);
}

static void put_str(body *o, const char *s)
{
    put_long(o, (int64_t)strlen(s));
    put_raw(o, s, strlen(s));
}

static void put_null(body *o, int k)
{
    while (k--)
        put_long(o, 0);
}

/* other_dx block: 0 positive count, 1 negative count with the exact byte
 * size, 2 negative count with a wrong byte size (avro-c ignores it). */
/* Values of the hand-built list that the edge cases change. */
typedef struct {
    const char *event_id, *gend, *dscg_way, *main_dx;
    int64_t age;
    int time_bytes; /* event_time: 0 = 1741568400000, else that many bytes
                       0xff ... 0xff, then 0x01 (10 bytes: INT64_MIN) or
                       0x02 (10 bytes: too big for 64 bits) */
    int time_last;
} lst_values;

static const lst_values lst_default = {"E-HAND-1", "2", "1", "I21.000", 40, 0, 0};

static void settlement_list_x(body *o, int block_kind, int overlong_age, const lst_values *x)
{
    o->n = 0;
    put_str(o, x->event_id);
    put_long(o, 2); /* SETTLEMENT_LIST */
    if (x->time_bytes) {
        for (int i = 0; i < x->time_bytes - 1; i++)
            put_raw(o, "\xff", 1);
        unsigned char last = (unsigned char)x->time_last;
        put_raw(o, &last, 1);
    } else {
        put_long(o, INT64_C(1741568400000));
    }
    put_long(o, 1), put_str(o, "220100");       /* admdvs */
    put_long(o, 1), put_str(o, "H22010100001"); /* fixmedins_code */
    put_long(o, 1), put_str(o, "S1");           /* setl_id */
    put_null(o, 11); /* mdtrt_id psn_no insutype insuplc begndate enddate setl_time 4 amounts */
    put_long(o, 1), put_str(o, x->gend); /* gend */
    put_long(o, 1);                  /* age */
    if (overlong_age) {
        const unsigned char forty[] = {0xd0, 0x80, 0x00}; /* 40, in 3 bytes */
        put_raw(o, forty, sizeof forty);
    } else {
        put_long(o, x->age);
    }
    put_null(o, 2);                        /* age_days nwb_bir_wt */
    put_long(o, 1), put_long(o, 7);        /* ipt_days */
    put_long(o, 1), put_str(o, x->dscg_way); /* dscg_way */
    put_long(o, 1), put_str(o, x->main_dx);  /* main_dx */
    put_long(o, 1);                        /* other_dx: array branch */
    if (block_kind == 0) {
        put_long(o, 2);
    } else {
        put_long(o, -2);
        put_long(o, block_kind == 1 ? 16 : 3); /* "E11.900" + "I10.x00": 2 x 8 bytes */
    }
    put_str(o, "E11.900");
    put_str(o, "I10.x00");
    put_long(o, 0); /* end of the array */
    put_long(o, 1), put_long(o, 1), put_str(o, "36.0601"), put_long(o, 0); /* procedures */
    /* passed errors status points pay_as_ffs year month amount pay_method bed_day_group */
    put_null(o, 10);
}

static void settlement_list(body *o, int block_kind, int overlong_age)
{
    settlement_list_x(o, block_kind, overlong_age, &lst_default);
}

static size_t frame(unsigned char *out, uint64_t fp, const body *o)
{
    out[0] = DD_AVRO_MAGIC0;
    out[1] = DD_AVRO_MAGIC1;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (unsigned char)(fp >> (8 * i));
    memcpy(out + DD_AVRO_HEADER_LEN, o->b, o->n);
    return DD_AVRO_HEADER_LEN + o->n;
}

/* A valid SETTLEMENT_LIST body of event-v`version` whose three arrays are
 * all non-empty (errors too: avro-c reads fields the type does not use). */
static void primer_body(body *o, int version)
{
    settlement_list(o, 0, 0);
    o->n -= 10;                          /* passed .. bed_day_group */
    put_long(o, 0);                      /* passed */
    put_long(o, 1), put_long(o, 1), put_str(o, "E"), put_long(o, 0); /* errors */
    put_null(o, 6 + (version == 2 ? 2 : 0));
}

typedef struct {
    dd_avro_event_codec *fast, *slow; /* one reader schema, fast path on / off */
    dd_event *ef, *es;
    long both_ok, both_failed;
    int own;                /* the reader's version: 1 or 2 */
    unsigned char prim[2][600]; /* primer messages of event-v1, event-v2 */
    size_t prim_len[2];
} pair;

/* avro-c reads an empty array from a writer other than the reader's own
 * schema according to the codec's history (dd_avro_event.h). Before such
 * a message both codecs read the primers through avro-c, which puts both
 * in the same state, the one whose answer the fast path gives. */
static void prime(pair *p)
{
    dd_avro_event_codec *cs[2] = {p->fast, p->slow};
    for (int k = 0; k < 2; k++) {
        dd_avro_event_codec_set_fast(cs[k], 0);
        for (int v = 0; v < 2; v++) {
            dd_event_error err;
            cr_assert_eq(dd_avro_event_decode(cs[k], p->prim[v], p->prim_len[v], p->es, &err), 0,
                         "primer v%d: %s", v + 1, err.detail);
        }
    }
    dd_avro_event_codec_set_fast(p->fast, 1);
}

static void pair_init(pair *p, const char *schema)
{
    char e[256];
    p->fast = dd_avro_event_codec_new(schema, e, sizeof e);
    cr_assert_not_null(p->fast, "%s", e);
    p->slow = dd_avro_event_codec_new(schema, e, sizeof e);
    cr_assert_not_null(p->slow, "%s", e);
    dd_avro_event_codec_set_fast(p->slow, 0);
    p->ef = malloc(sizeof *p->ef);
    p->es = malloc(sizeof *p->es);
    cr_assert(p->ef && p->es);
    p->both_ok = p->both_failed = 0;
    p->own = strcmp(schema, "event-v1") ? 2 : 1;
    const char *names[] = {"event-v1", "event-v2"};
    for (int v = 0; v < 2; v++) {
        dd_avro_event_codec *w = dd_avro_event_codec_new(names[v], e, sizeof e);
        cr_assert_not_null(w, "%s", e);
        body o;
        primer_body(&o, v + 1);
        p->prim_len[v] = frame(p->prim[v], dd_avro_event_codec_fingerprint(w), &o);
        dd_avro_event_codec_destroy(w);
    }
}

static void pair_free(pair *p)
{
    cr_expect_eq(dd_avro_event_codec_fast_count(p->slow), 0, "the slow codec took the fast path");
    dd_avro_event_codec_destroy(p->fast);
    dd_avro_event_codec_destroy(p->slow);
    free(p->ef);
    free(p->es);
}

/* Decode with both; assert they agree. Returns the (common) return code. */
static int agree(pair *p, const void *buf, size_t len, const char *what, size_t idx)
{
    dd_event_error errf, errs;
    memset(&errf, 0, sizeof errf);
    memset(&errs, 0, sizeof errs);
    memset(p->ef, 0, sizeof *p->ef); /* so that memcmp sees no stale bytes or padding */
    memset(p->es, 0, sizeof *p->es);
    int rf = dd_avro_event_decode(p->fast, buf, len, p->ef, &errf);
    int rs = dd_avro_event_decode(p->slow, buf, len, p->es, &errs);
    cr_assert_eq(rf, rs, "%s %zu: fast %d (%s) vs slow %d (%s)", what, idx, rf, errf.detail, rs,
                 errs.detail);
    if (rf) {
        p->both_failed++;
        cr_assert_eq(errf.reason, errs.reason, "%s %zu: reason %s vs %s", what, idx,
                     dd_bad_reason_name(errf.reason), dd_bad_reason_name(errs.reason));
        cr_assert_str_eq(errf.detail, errs.detail, "%s %zu", what, idx);
        return rf;
    }
    p->both_ok++;
    const char *d = ev_diff(p->ef, p->es);
    cr_assert_null(d, "%s %zu (%s): field %s differs (has fast %llx slow %llx)", what, idx,
                   p->es->event_id, d ? d : "", (unsigned long long)p->ef->has,
                   (unsigned long long)p->es->has);
    cr_assert_eq(memcmp(p->ef, p->es, sizeof *p->ef), 0, "%s %zu (%s): bytes differ", what, idx,
                 p->es->event_id);
    cr_assert_eq(errf.reason, DD_BAD_NONE, "err written on success");
    return 0;
}

static msg_list all_messages(void)
{
    char e[256];
    msg_list l = {0};
    l.w2 = dd_avro_event_codec_new("event-v2", e, sizeof e);
    l.w1 = dd_avro_event_codec_new("event-v1", e, sizeof e);
    cr_assert(l.w1 && l.w2, "%s", e);
    load_golden(&l);
    load_generated(&l);
    return l;
}

Test(avro_fastpath, plans_exist)
{
    char e[256];
    const char *names[] = {"event-v2", "event-v1"};
    uint64_t fps[2];
    for (int i = 0; i < 2; i++) {
        dd_avro_event_codec *c = dd_avro_event_codec_new(names[i], e, sizeof e);
        cr_assert_not_null(c, "%s", e);
        fps[i] = dd_avro_event_codec_fingerprint(c);
        dd_avro_event_codec_destroy(c);
    }
    cr_assert_eq(fps[1], UINT64_C(0x2e7e9303004c89d9));
    for (int i = 0; i < 2; i++) {
        dd_avro_event_codec *c = dd_avro_event_codec_new(names[i], e, sizeof e);
        cr_assert_not_null(c, "%s", e);
        cr_expect(dd_avro_event_codec_has_plan(c, fps[0]), "%s reader: no v2 plan", names[i]);
        cr_expect(dd_avro_event_codec_has_plan(c, fps[1]), "%s reader: no v1 plan", names[i]);
        cr_expect_not(dd_avro_event_codec_has_plan(c, 0x1234), "plan for an unknown writer");
        dd_avro_event_codec_destroy(c);
    }
}

Test(avro_fastpath, valid_messages_identical_and_fast)
{
    msg_list l = all_messages();
    cr_assert_gt(l.v1_refused, 0, "no BED_DAY/FFS event: the v1 writer refused none");
    cr_assert_gt(l.empty_lists, 100, "events with an empty list: %ld", l.empty_lists);
    const char *readers[] = {"event-v2", "event-v1"};
    for (int r = 0; r < 2; r++) {
        pair p;
        pair_init(&p, readers[r]);
        unsigned seen = 0;
        size_t resolved_empty = 0;
        for (size_t i = 0; i < l.n; i++) {
            const msg *m = &l.v[i];
            if (m->writer != p.own)
                prime(&p);
            resolved_empty += m->writer != p.own && m->empty_list;
            uint64_t before = dd_avro_event_codec_fast_count(p.fast);
            cr_assert_eq(agree(&p, m->data, m->len, readers[r], i), 0, "valid message %zu refused",
                         i);
            /* The test fails when the fast path silently does not run. */
            cr_assert_eq(dd_avro_event_codec_fast_count(p.fast) - before, 1,
                         "%s reader: valid message %zu (%s, writer v%d) not fast", readers[r], i,
                         p.es->event_id, m->writer);
            seen |= 1u << p.es->type;
        }
        cr_assert_gt(resolved_empty, 100, "%zu", resolved_empty);
        cr_assert_eq(__builtin_popcount(seen), 8, "event types covered: %x", seen);
        pair_free(&p);
    }
    dd_avro_event_codec_destroy(l.w1);
    dd_avro_event_codec_destroy(l.w2);
    free_list(&l);
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

Test(avro_fastpath, mutations_agree)
{
    msg_list l = all_messages();
    const char *readers[] = {"event-v2", "event-v1"};
    size_t step = l.n / 300 + 1;
    unsigned char *buf = malloc(4096);
    cr_assert_not_null(buf);
    for (int r = 0; r < 2; r++) {
        pair p;
        pair_init(&p, readers[r]);
        uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
        long mutated = 0, fast_ok = 0;
        for (size_t i = 0; i < l.n; i += step) {
            const msg *m = &l.v[i];
            int other = m->writer != p.own;
            cr_assert_lt(m->len + 1, 4096);
            for (size_t t = 0; t < m->len; t++) { /* every truncation */
                if (other)
                    prime(&p);
                memcpy(buf, m->data, t);
                cr_assert_eq(agree(&p, buf, t, "truncated", t), -1, "prefix %zu of %zu", t,
                             m->len);
            }
            for (int k = 0; k < 50; k++) {
                size_t n = m->len;
                memcpy(buf, m->data, n);
                uint64_t x = rnd(&seed);
                size_t pos = (size_t)(x >> 8) % n;
                unsigned char byte = (unsigned char)(x >> 40);
                switch (x % 3) {
                case 0: /* one bit */
                    buf[pos] ^= (unsigned char)(1u << ((x >> 48) & 7));
                    break;
                case 1: /* a byte */
                    buf[pos] = byte;
                    break;
                default: /* an inserted byte */
                    memmove(buf + pos + 1, buf + pos, n - pos);
                    buf[pos] = byte;
                    n++;
                    break;
                }
                if (other)
                    prime(&p);
                uint64_t before = dd_avro_event_codec_fast_count(p.fast);
                agree(&p, buf, n, "mutation", i * 100 + (size_t)k);
                fast_ok += (long)(dd_avro_event_codec_fast_count(p.fast) - before);
                mutated++;
            }
        }
        /* Both outcomes must have been exercised, the fast path included. */
        cr_assert_gt(p.both_failed, 10000, "%ld", p.both_failed);
        cr_assert_gt(p.both_ok, 500, "%ld", p.both_ok);
        cr_assert_gt(fast_ok, 500, "mutated messages the fast path decoded: %ld", fast_ok);
        cr_assert_lt(fast_ok, mutated);
        pair_free(&p);
    }
    free(buf);
    dd_avro_event_codec_destroy(l.w1);
    dd_avro_event_codec_destroy(l.w2);
    free_list(&l);
}

Test(avro_fastpath, hand_built_bodies)
{
    pair p;
    pair_init(&p, "event-v2");
    uint64_t fp = dd_avro_event_codec_fingerprint(p.fast);
    body o;
    unsigned char m[600];
    struct {
        int block, overlong, fast;
    } cases[] = {
        {0, 0, 1}, /* plain */
        {1, 0, 1}, /* negative block count, exact size: the fast path reads it */
        {2, 0, 0}, /* wrong block size: avro-c ignores it, the fast path defers */
        {0, 1, 0}, /* overlong varint: legal, left to avro-c */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        settlement_list(&o, cases[i].block, cases[i].overlong);
        size_t n = frame(m, fp, &o);
        uint64_t before = dd_avro_event_codec_fast_count(p.fast);
        cr_assert_eq(agree(&p, m, n, "hand", i), 0);
        cr_assert_eq(dd_avro_event_codec_fast_count(p.fast) - before, (uint64_t)cases[i].fast,
                     "case %zu", i);
        cr_assert_eq(p.ef->type, DD_EV_SETTLEMENT_LIST);
        cr_assert_eq(p.ef->age, 40);
        cr_assert_eq(p.ef->gend, 2);
        cr_assert_eq(p.ef->ipt_days, 7);
        cr_assert_eq(p.ef->age_days, -1);
        cr_assert_eq(p.ef->n_other_dx, 2);
        cr_assert_str_eq(p.ef->other_dx[1], "I10.x00");
        cr_assert_eq(p.ef->n_procedures, 1);
        cr_assert_str_eq(p.ef->procedures[0], "36.0601");
        cr_assert_eq(p.ef->has & (DD_F_ERRORS | DD_F_PAY_METHOD | DD_F_AGE_DAYS), 0);
        cr_assert(p.ef->has & DD_F_OTHER_DX);
    }
    /* Fields that do not apply to the type are skipped but still checked:
     * a boolean byte of 2 in `passed` (QC_RESULT only) is refused by both. */
    settlement_list(&o, 0, 0);
    o.n -= 10;                               /* drop the nulls passed..bed_day_group */
    put_long(&o, 1), put_raw(&o, "\x02", 1); /* passed: branch boolean, byte 2 */
    put_null(&o, 9);
    size_t n = frame(m, fp, &o);
    cr_assert_eq(agree(&p, m, n, "bad skipped boolean", 0), -1);
    cr_assert_eq(p.ef->type, p.es->type);
    /* ... and a valid one is ignored (no `passed` on a list) by both. */
    o.n -= 10;
    put_raw(&o, "\x01", 1);
    put_null(&o, 9);
    n = frame(m, fp, &o);
    uint64_t before = dd_avro_event_codec_fast_count(p.fast);
    cr_assert_eq(agree(&p, m, n, "skipped boolean", 0), 0);
    cr_assert_eq(dd_avro_event_codec_fast_count(p.fast) - before, 1);
    cr_assert_eq(p.ef->has & DD_F_PASSED, 0);

    /* Bounds of the setters: the fast path takes the good side and leaves
     * the bad side to the avro-c path (same error). */
    static const char id64[] = "0123456789012345678901234567890123456789012345678901234567890123";
    static const char dx31[] = "A123456789012345678901234567890";
    struct {
        lst_values v;
        int rc;
    } edges[] = {
        {{"E", "2", "1", "I21.000", 1000000, 0, 0}, 0},
        {{"E", "2", "1", "I21.000", -1000000, 0, 0}, 0},
        {{"E", "2", "1", "I21.000", 1000001, 0, 0}, -1},
        {{"E", "2", "1", "I21.000", -1000001, 0, 0}, -1},
        {{"E", "2", "1", "I21.000", INT64_C(2147483648), 0, 0}, -1}, /* not an int */
        {{id64, "2", "1", "I21.000", 40, 0, 0}, 0},
        {{id64 + 1, "2", "1", "I21.000", 40, 0, 0}, 0},
        {{"", "2", "1", "I21.000", 40, 0, 0}, 0},
        {{dx31, "2", "1", "", 40, 0, 0}, 0},
        {{"E", "2", "1", dx31, 40, 0, 0}, 0},
        {{"E", "2", "1", "A1234567890123456789012345678901", 40, 0, 0}, -1}, /* 32 > 31 */
        {{"E", "0", "999999", "I21.000", 40, 0, 0}, 0},
        {{"E", "9", "000000000000000001", "I21.000", 40, 0, 0}, 0},
        {{"E", "2", "1000000", "I21.000", 40, 0, 0}, -1},
        {{"E", "2", "0000000000000000001", "I21.000", 40, 0, 0}, -1}, /* 19 digits */
        {{"E", "2", "", "I21.000", 40, 0, 0}, -1},
        {{"E", "2", "1a", "I21.000", 40, 0, 0}, -1},
        {{"E", "12", "1", "I21.000", 40, 0, 0}, -1},
        {{"E", "x", "1", "I21.000", 40, 0, 0}, -1},
        {{"E", "", "1", "I21.000", 40, 0, 0}, -1},
        {{"E", "2", "1", "I21.000\xc3\xa9", 40, 0, 0}, 0},  /* é: UTF-8 */
        {{"E", "2", "1", "I21.000\xc3", 40, 0, 0}, -1},      /* cut UTF-8 */
        {{"E", "2", "1", "I21.\xe0\x80\xaf", 40, 0, 0}, -1}, /* overlong UTF-8 */
        {{"E", "2", "1", "I21.\xed\xa0\x80", 40, 0, 0}, -1}, /* a surrogate */
        {{"E", "2", "1", "I21.000", 40, 10, 1}, 0},        /* INT64_MIN */
        {{"E", "2", "1", "I21.000", 40, 10, 2}, -1},       /* 65 bits */
        {{"E", "2", "1", "I21.000", 40, 11, 1}, -1},       /* 11 bytes */
        {{"E", "2", "1", "I21.000", 40, 9, 0x7f}, 0},      /* 9 bytes */
    };
    char id65[70];
    snprintf(id65, sizeof id65, "%sX", id64);
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        settlement_list_x(&o, 0, 0, &edges[i].v);
        n = frame(m, fp, &o);
        before = dd_avro_event_codec_fast_count(p.fast);
        cr_assert_eq(agree(&p, m, n, "edge", i), edges[i].rc, "edge %zu", i);
        cr_assert_eq(dd_avro_event_codec_fast_count(p.fast) - before, edges[i].rc == 0,
                     "edge %zu", i);
        if (edges[i].v.time_bytes == 10 && edges[i].rc == 0)
            cr_assert_eq(p.ef->event_time_ms, INT64_MIN);
    }
    lst_values v65 = lst_default;
    v65.event_id = id65; /* 65 > 64 */
    settlement_list_x(&o, 0, 0, &v65);
    n = frame(m, fp, &o);
    cr_assert_eq(agree(&p, m, n, "event_id 65", 0), -1);
    cr_assert_eq(p.es->has, 0);
    pair_free(&p);
}
