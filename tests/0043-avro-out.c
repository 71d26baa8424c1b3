/*
 * 0043-avro-out — the outputs as Avro (consumers/dd_avro_out): dd_alert ->
 * schemas/alert.avsc and dd_snapshot -> schemas/snapshot.avsc in
 * single-object encoding. Each message is decoded with a registry codec and
 * compared field by field with the struct, and as a whole with the JSON form
 * (dd_alert_to_json / dd_snapshot_to_json) byte for byte: hand-made alerts
 * and snapshots (edge values), every alert the golden stream fires, every
 * golden snapshot scope. Errors: wrong codec, bad type, broken UTF-8. And
 * schemas/README.md's fingerprint table matches every embedded schema.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "d_replay_helper.h"
#include "dd_alert.h"
#include "dd_avro_out.h"
#include "dd_schemas.h"

/* ---- reading decoded values ---- */

static avro_value_t fld(avro_value_t *rec, const char *name)
{
    avro_value_t f;
    cr_assert_eq(avro_value_get_by_name(rec, name, &f, NULL), 0, "no field %s", name);
    return f;
}

/* The string of a string field or of a ["null","string"] union; NULL when
 * null. */
static const char *str_of(avro_value_t *rec, const char *name)
{
    avro_value_t f = fld(rec, name), b;
    if (avro_value_get_type(&f) == AVRO_UNION) {
        cr_assert_eq(avro_value_get_current_branch(&f, &b), 0);
        if (avro_value_get_type(&b) == AVRO_NULL)
            return NULL;
        f = b;
    }
    cr_assert_eq(avro_value_get_type(&f), AVRO_STRING, "%s is not a string", name);
    const char *s;
    size_t n;
    cr_assert_eq(avro_value_get_string(&f, &s, &n), 0);
    cr_assert_eq(strlen(s) + 1, n, "%s: embedded NUL", name);
    return s;
}

static int64_t long_of(avro_value_t *rec, const char *name)
{
    avro_value_t f = fld(rec, name);
    int64_t v;
    cr_assert_eq(avro_value_get_long(&f, &v), 0, "%s is not a long", name);
    return v;
}

static void expect_str(avro_value_t *rec, const char *name, const char *want)
{
    const char *got = str_of(rec, name);
    if (!want) {
        cr_expect_null(got, "%s: want null, got '%s'", name, got);
        return;
    }
    cr_assert_not_null(got, "%s: null, want '%s'", name, want);
    cr_expect_str_eq(got, want, "%s", name);
}

static void expect_dec(avro_value_t *rec, const char *name, int64_t v, int scale)
{
    char b[40];
    dd_dec_format(b, sizeof b, v, scale);
    expect_str(rec, name, b);
}

static char *json_of_value(avro_value_t *v, int omit_null)
{
    dd_jw w;
    dd_jw_init(&w);
    cr_assert_eq(dd_avro_out_to_json(v, omit_null, &w), 0);
    cr_assert_eq(w.oom, 0);
    char *s = strndup(w.buf ? w.buf : "", w.len);
    dd_jw_free(&w);
    return s;
}

static uint64_t fp_of_schema(const char *name)
{
    const dd_schema_file *f = dd_schema_find(name);
    cr_assert_not_null(f);
    uint64_t fp;
    dd_avro_error err;
    cr_assert_eq(dd_avro_fingerprint(f->text, f->len, &fp, &err), 0, "%s", err.msg);
    return fp;
}

static void expect_header(const dd_avro_buf *b, uint64_t fp)
{
    cr_assert_gt(b->len, (size_t)DD_AVRO_HEADER_LEN);
    cr_assert_eq(b->data[0], 0xC3);
    cr_assert_eq(b->data[1], 0x01);
    uint64_t got = 0;
    for (int i = 0; i < 8; i++)
        got |= (uint64_t)b->data[2 + i] << (8 * i);
    cr_assert_eq(got, fp, "fingerprint %016llx, want %016llx", (unsigned long long)got,
                 (unsigned long long)fp);
}

/* ---- alerts ---- */

typedef struct {
    dd_avro_codec *enc, *dec; /* writer, and an independent reader registry */
    dd_avro_buf buf;
    uint64_t fp;
    int checked;
} actx;

static void actx_init(actx *x)
{
    dd_avro_error err;
    memset(x, 0, sizeof *x);
    x->enc = dd_avro_out_codec_new("alert", &err);
    cr_assert_not_null(x->enc, "%s", err.msg);
    x->dec = dd_avro_out_codec_new("alert", &err);
    cr_assert_not_null(x->dec, "%s", err.msg);
    x->fp = fp_of_schema("alert");
    cr_assert_eq(dd_avro_codec_fingerprint(x->enc), x->fp);
}

static void actx_fini(actx *x)
{
    dd_avro_buf_free(&x->buf);
    dd_avro_codec_destroy(x->enc);
    dd_avro_codec_destroy(x->dec);
}

/* Encode, decode, compare every field and the JSON form. */
static void alert_roundtrip(actx *x, const dd_alert *a)
{
    dd_avro_error err;
    cr_assert_eq(dd_avro_alert_encode(x->enc, a, &x->buf, &err), 0, "%s: %s", a->alert_id,
                 err.msg);
    expect_header(&x->buf, x->fp);
    avro_value_t *v;
    uint64_t wfp;
    cr_assert_eq(dd_avro_decode(x->dec, x->buf.data, x->buf.len, &v, &wfp, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(wfp, x->fp);

    expect_str(v, "alert_id", a->alert_id);
    avro_value_t f = fld(v, "occurrence");
    int32_t occ;
    cr_assert_eq(avro_value_get_int(&f, &occ), 0);
    cr_expect_eq(occ, a->occurrence);
    expect_str(v, "type", dd_alert_type_name(a->type));
    cr_expect_eq(dd_alert_type_parse(str_of(v, "type")), (int)a->type);
    expect_str(v, "severity", dd_alert_severity_name(a->severity));
    expect_str(v, "admdvs", a->admdvs);
    expect_str(v, "fixmedins_code", a->fixmedins_code[0] ? a->fixmedins_code : NULL);
    char ins[16];
    snprintf(ins, sizeof ins, "%d", a->insutype);
    expect_str(v, "insutype", a->insutype ? ins : NULL);
    expect_str(v, "period", a->period);
    expect_str(v, "metric", a->metric);
    expect_str(v, "value", a->value);
    expect_str(v, "threshold", a->threshold);
    avro_value_t ex = fld(v, "explanation");
    expect_str(&ex, "zh", a->explanation_zh);
    expect_str(&ex, "en", a->explanation_en);

    dd_jw w;
    dd_jw_init(&w);
    dd_alert_to_json(a, &w);
    char *want = strndup(w.buf, w.len);
    dd_jw_free(&w);
    char *got = json_of_value(v, 1);
    cr_expect_str_eq(got, want);
    free(got);
    free(want);
    x->checked++;
}

static dd_alert hospital_alert(void)
{
    dd_alert a;
    memset(&a, 0, sizeof a);
    snprintf(a.alert_id, sizeof a.alert_id, "CMI_JUMP:220100:H22010100001:2025-03");
    a.type = DD_ALERT_CMI_JUMP;
    a.severity = DD_ALERT_CRITICAL;
    snprintf(a.admdvs, sizeof a.admdvs, "220100");
    snprintf(a.fixmedins_code, sizeof a.fixmedins_code, "H22010100001");
    snprintf(a.period, sizeof a.period, "2025-03");
    a.metric = "cmi";
    snprintf(a.value, sizeof a.value, "1.420000");
    snprintf(a.threshold, sizeof a.threshold, "1.150000");
    a.occurrence = 1;
    snprintf(a.explanation_zh, sizeof a.explanation_zh,
             "医院H22010100001 2025-03 CMI 1.42 高于近3月 1.15 倍 \"引号\" \\ 反斜杠");
    snprintf(a.explanation_en, sizeof a.explanation_en,
             "hospital H22010100001 2025-03: CMI 1.42 above 1.15 x the trailing 3 months");
    return a;
}

Test(avro_out, alert_hospital_and_region)
{
    actx x;
    actx_init(&x);
    dd_alert a = hospital_alert();
    alert_roundtrip(&x, &a);

    dd_alert r;
    memset(&r, 0, sizeof r);
    snprintf(r.alert_id, sizeof r.alert_id, "POINT_VALUE_DROP:220400:390:2025-03");
    r.type = DD_ALERT_POINT_VALUE_DROP;
    r.severity = DD_ALERT_WARN;
    snprintf(r.admdvs, sizeof r.admdvs, "220400");
    r.insutype = 390;
    snprintf(r.period, sizeof r.period, "2025-03");
    r.metric = "point_value_ratio";
    snprintf(r.value, sizeof r.value, "0.850000");
    snprintf(r.threshold, sizeof r.threshold, "0.900000");
    r.occurrence = 2147483647; /* int range end */
    snprintf(r.explanation_zh, sizeof r.explanation_zh, "辽源市 居民 2025-03 点值下降");
    snprintf(r.explanation_en, sizeof r.explanation_en, "%s", "");
    alert_roundtrip(&x, &r);

    /* The exact bytes of the body: alert_id first (zigzag length 36*2). */
    cr_assert_eq(strlen(a.alert_id), 36u);
    cr_assert_eq(dd_avro_alert_encode(x.enc, &a, &x.buf, NULL), 0);
    cr_expect_eq(x.buf.data[10], 72);
    cr_expect_eq(memcmp(x.buf.data + 11, a.alert_id, 36), 0);
    cr_expect_eq(x.buf.data[47], 2, "occurrence 1 -> zigzag 2");
    actx_fini(&x);
}

/* Every alert the golden stream fires, as the evaluator emits it. */
typedef struct {
    dd_ledger *l;
    dd_alerts *al;
    actx *x;
    int by_type[DD_ALERT__COUNT];
} gctx;

static void g_emit(void *ctx, const dd_alert *a)
{
    gctx *g = ctx;
    g->by_type[a->type]++;
    alert_roundtrip(g->x, a);
}

static int64_t g_budget(void *ctx, const char *admdvs, int insutype, int32_t month)
{
    return dd_ledger_budget(((gctx *)ctx)->l, admdvs, insutype, month);
}

static void g_obs(void *ctx, const dd_case *c, const dd_contrib *o, const dd_contrib *n)
{
    cr_assert_eq(dd_alerts_case_change(((gctx *)ctx)->al, c, o, n), 0);
}

Test(avro_out, alert_golden_stream)
{
    char err[512];
    dd_datadir *d = dd_datadir_open(D_GOLDEN "/data", err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    const dd_dataset *ds = dd_datadir_dataset(d);
    d_lines L;
    cr_assert_eq(d_lines_read(&L, D_GOLDEN "/stream.jsonl", err, sizeof err), 0, "%s", err);
    actx x;
    actx_init(&x);
    gctx g;
    memset(&g, 0, sizeof g);
    g.x = &x;
    g.l = dd_ledger_new(ds);
    cr_assert_not_null(g.l);
    g.al = dd_alerts_new(ds, g_budget, &g, g_emit, &g, err, sizeof err);
    cr_assert_not_null(g.al, "%s", err);
    dd_ledger_set_case_observer(g.l, g_obs, &g);
    dd_json_doc *doc = dd_json_doc_new();
    dd_event *ev = malloc(sizeof *ev);
    cr_assert(doc && ev);
    for (size_t i = 0; i < L.n; i++) {
        dd_event_error e;
        if (dd_event_from_json(ev, doc, L.text + L.start[i], L.end[i] - L.start[i], &e))
            continue;
        dd_ledger_outcome o = dd_ledger_apply_event(g.l, ev, &e);
        cr_assert_neq(o, DD_LEDGER_ERROR);
        if (o == DD_LEDGER_APPLIED && ev->type == DD_EV_BUDGET)
            cr_assert_eq(dd_alerts_budget_changed(g.al, ev->admdvs, ev->insutype, ev->year), 0);
    }
    cr_assert_eq(dd_alerts_sweep(g.al), 0);
    /* The stream fires alerts of several kinds, hospital and region ones. */
    int kinds = 0;
    for (int t = 0; t < DD_ALERT__COUNT; t++)
        kinds += g.by_type[t] > 0;
    cr_expect_gt(x.checked, 0);
    cr_expect_geq(kinds, 2, "only %d alert types fired", kinds);
    free(ev);
    dd_json_doc_destroy(doc);
    dd_alerts_destroy(g.al);
    dd_ledger_destroy(g.l);
    d_lines_free(&L);
    actx_fini(&x);
    dd_datadir_close(d);
}

Test(avro_out, alert_errors)
{
    actx x;
    actx_init(&x);
    dd_avro_error err;
    dd_alert a = hospital_alert();

    a.type = DD_ALERT__COUNT;
    cr_expect_eq(dd_avro_alert_encode(x.enc, &a, &x.buf, &err), -1);
    cr_expect_eq(err.code, DD_AVRO_ERR_ENCODE);
    a = hospital_alert();
    a.severity = (dd_alert_severity)7;
    cr_expect_eq(dd_avro_alert_encode(x.enc, &a, &x.buf, &err), -1);
    cr_expect_eq(err.code, DD_AVRO_ERR_ENCODE);

    /* An explanation cut inside a character would be refused by our own
     * reader: refused at the source instead. */
    a = hospital_alert();
    snprintf(a.explanation_zh, sizeof a.explanation_zh, "点值\xE4\xB8");
    cr_expect_eq(dd_avro_alert_encode(x.enc, &a, &x.buf, &err), -1);
    cr_expect_eq(err.code, DD_AVRO_ERR_ENCODE);
    cr_expect(strstr(err.msg, "zh") != NULL, "%s", err.msg);

    /* The codec must be the alert one. */
    dd_avro_codec *snap = dd_avro_out_codec_new("snapshot", &err);
    cr_assert_not_null(snap);
    a = hospital_alert();
    cr_expect_eq(dd_avro_alert_encode(snap, &a, &x.buf, &err), -1);
    cr_expect_eq(err.code, DD_AVRO_ERR_ENCODE);

    /* An alert message is an unknown writer to the snapshot registry. */
    cr_assert_eq(dd_avro_alert_encode(x.enc, &a, &x.buf, &err), 0);
    avro_value_t *v;
    cr_expect_eq(dd_avro_decode(snap, x.buf.data, x.buf.len, &v, NULL, &err), -1);
    cr_expect_eq(err.code, DD_AVRO_ERR_UNKNOWN_SCHEMA);
    /* Truncated: malformed, not a crash. */
    cr_expect_eq(dd_avro_decode(x.dec, x.buf.data, x.buf.len - 3, &v, NULL, &err), -1);
    cr_expect_eq(err.code, DD_AVRO_ERR_MALFORMED);

    cr_expect_null(dd_avro_out_codec_new("nope", &err));
    cr_expect_eq(err.code, DD_AVRO_ERR_SCHEMA);
    dd_avro_codec_destroy(snap);
    actx_fini(&x);
}

/* ---- snapshots ---- */

static void snapshot_roundtrip(dd_avro_codec *enc, dd_avro_codec *dec, const dd_snapshot *s)
{
    static const char *const pending_names[4] = {"NO_LIST", "QC_FAILED", "NOT_RECONCILED",
                                                 "LATE_LIST"};
    dd_avro_error err;
    dd_avro_buf buf = {0};
    cr_assert_eq(dd_avro_snapshot_encode(enc, s, &buf, &err), 0, "%s", err.msg);
    expect_header(&buf, fp_of_schema("snapshot"));
    avro_value_t *v;
    cr_assert_eq(dd_avro_decode(dec, buf.data, buf.len, &v, NULL, &err), 0, "%s", err.msg);

    char b[32];
    expect_str(v, "admdvs", s->admdvs);
    snprintf(b, sizeof b, "%d", s->insutype);
    expect_str(v, "insutype", b);
    dd_time_format_month(s->month, b, sizeof b);
    expect_str(v, "month", b);
    expect_str(v, "kind", dd_snapshot_kind_name(s->kind));
    expect_dec(v, "budget", s->budget_fen, 2);
    expect_dec(v, "points", s->points_e4, 4);
    expect_dec(v, "point_value", s->point_value_e6, 6);
    avro_value_t la = fld(v, "late_adjustments");
    cr_expect_eq(long_of(&la, "cases"), s->late_cases);
    expect_dec(&la, "points", s->late_points_e4, 4);
    avro_value_t hs = fld(v, "hospitals");
    size_t n;
    cr_assert_eq(avro_value_get_size(&hs, &n), 0);
    cr_assert_eq(n, (size_t)s->n_hospitals);
    for (size_t i = 0; i < n; i++) {
        const dd_snapshot_hospital *h = &s->hospitals[i];
        avro_value_t r, f, m;
        cr_assert_eq(avro_value_get_by_index(&hs, i, &r, NULL), 0);
        expect_str(&r, "fixmedins_code", h->fixmedins_code);
        cr_expect_eq(long_of(&r, "eligible_cases"), h->eligible_cases);
        f = fld(&r, "pending_cases");
        for (int k = 0; k < 4; k++)
            cr_expect_eq(long_of(&f, pending_names[k]), h->pending[k]);
        expect_dec(&r, "points", h->points_e4, 4);
        f = fld(&r, "points_by_category");
        for (int k = 0; k < DD_CAT__COUNT; k++)
            expect_dec(&f, dd_category_name((dd_category)k), h->points_by_cat[k], 4);
        /* Map: the non-zero categories, in SPEC order. */
        f = fld(&r, "cases_by_category");
        size_t nm, j = 0;
        cr_assert_eq(avro_value_get_size(&f, &nm), 0);
        for (int k = 0; k < DD_CAT__COUNT; k++) {
            if (!h->cases_by_cat[k])
                continue;
            const char *key;
            int64_t cnt;
            cr_assert_lt(j, nm);
            cr_assert_eq(avro_value_get_by_index(&f, j++, &m, &key), 0);
            cr_expect_str_eq(key, dd_category_name((dd_category)k));
            cr_assert_eq(avro_value_get_long(&m, &cnt), 0);
            cr_expect_eq(cnt, h->cases_by_cat[k]);
        }
        cr_expect_eq(j, nm);
        expect_dec(&r, "medfee", h->medfee_fen, 2);
        expect_dec(&r, "fund_amount", h->fund_fen, 2);
        expect_dec(&r, "psn_part", h->psn_part_fen, 2);
        expect_dec(&r, "retention", h->retention_fen, 2);
        expect_dec(&r, "payable", h->payable_fen, 2);
        expect_dec(&r, "settlement", h->settlement_fen, 2);
        expect_dec(&r, "fund_settlement", h->fund_settlement_fen, 2);
        expect_dec(&r, "profit_loss", h->profit_loss_fen, 2);
        expect_dec(&r, "cmi", h->cmi_e4, 4);
    }

    /* The whole record is exactly the SPEC §7 JSON form. */
    dd_jw w;
    dd_jw_init(&w);
    dd_snapshot_to_json(s, &w);
    char *want = strndup(w.buf, w.len);
    dd_jw_free(&w);
    char *got = json_of_value(v, 0);
    cr_expect_str_eq(got, want);
    free(got);
    free(want);
    dd_avro_buf_free(&buf);
}

Test(avro_out, snapshot_edges)
{
    dd_avro_error err;
    dd_avro_codec *enc = dd_avro_out_codec_new("snapshot", &err);
    dd_avro_codec *dec = dd_avro_out_codec_new("snapshot", &err);
    cr_assert(enc && dec);

    dd_snapshot_hospital h[3];
    memset(h, 0, sizeof h);
    snprintf(h[0].fixmedins_code, sizeof h[0].fixmedins_code, "H22010100001");
    h[0].eligible_cases = 12;
    h[0].pending[0] = 1, h[0].pending[2] = 2;
    h[0].points_e4 = 129622500;
    h[0].points_by_cat[DD_CAT_NORMAL] = 100000000;
    h[0].points_by_cat[DD_CAT_HIGH] = 29622500;
    h[0].cases_by_cat[DD_CAT_NORMAL] = 10, h[0].cases_by_cat[DD_CAT_HIGH] = 1;
    h[0].cases_by_cat[DD_CAT_SPECIAL] = 1;
    h[0].medfee_fen = 1234567, h[0].fund_fen = 1000001, h[0].psn_part_fen = 234566;
    h[0].retention_fen = 50000, h[0].payable_fen = 950001, h[0].settlement_fen = 1000000;
    h[0].fund_settlement_fen = 765434, h[0].profit_loss_fen = -234567; /* a loss */
    h[0].cmi_e4 = 9876;
    snprintf(h[1].fixmedins_code, sizeof h[1].fixmedins_code, "H22010100002"); /* all zero */
    snprintf(h[2].fixmedins_code, sizeof h[2].fixmedins_code, "H22010100003");
    h[2].eligible_cases = INT64_MAX;
    h[2].pending[3] = INT64_MAX;
    h[2].points_e4 = INT64_MAX;
    h[2].medfee_fen = INT64_MIN + 1;
    h[2].profit_loss_fen = INT64_MIN;
    for (int k = 0; k < DD_CAT__COUNT; k++)
        h[2].cases_by_cat[k] = k + 1, h[2].points_by_cat[k] = -k;

    dd_snapshot s;
    memset(&s, 0, sizeof s);
    snprintf(s.admdvs, sizeof s.admdvs, "220100");
    s.insutype = 310;
    cr_assert_eq(dd_time_parse_month("2025-03", 7, &s.month), 0);
    s.kind = DD_SNAP_MONTH_CLOSE;
    s.budget_fen = 100000000;
    s.points_e4 = 2000000000;
    s.point_value_e6 = 5000000;
    s.late_cases = 3, s.late_points_e4 = -15000; /* a correction lowered points */
    s.n_hospitals = 3;
    s.hospitals = h;
    snapshot_roundtrip(enc, dec, &s);

    /* No hospitals at all, LIVE. */
    s.n_hospitals = 0;
    s.kind = DD_SNAP_LIVE;
    s.budget_fen = s.points_e4 = s.point_value_e6 = 0;
    snapshot_roundtrip(enc, dec, &s);

    /* A snapshot codec is refused for alerts. */
    dd_alert a;
    memset(&a, 0, sizeof a);
    dd_avro_buf b = {0};
    cr_expect_eq(dd_avro_alert_encode(enc, &a, &b, &err), -1);
    cr_expect_eq(err.code, DD_AVRO_ERR_ENCODE);
    /* A snapshot message is not an alert. */
    s.n_hospitals = 1;
    cr_assert_eq(dd_avro_snapshot_encode(enc, &s, &b, &err), 0);
    dd_avro_codec *ac = dd_avro_out_codec_new("alert", &err);
    avro_value_t *v;
    cr_expect_eq(dd_avro_decode(ac, b.data, b.len, &v, NULL, &err), -1);
    cr_expect_eq(err.code, DD_AVRO_ERR_UNKNOWN_SCHEMA);
    dd_avro_codec_destroy(ac);
    dd_avro_buf_free(&b);
    dd_avro_codec_destroy(enc);
    dd_avro_codec_destroy(dec);
}

Test(avro_out, snapshot_golden_scopes)
{
    static const struct {
        const char *stem, *admdvs;
        int insutype;
    } scopes[] = {{"spec-examples", "220100", 310}, {"stream", "220100", 310},
                  {"stream", "220100", 390},        {"stream", "220400", 310},
                  {"stream", "220400", 390}};
    char err[512];
    dd_datadir *d = dd_datadir_open(D_GOLDEN "/data", err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    const dd_dataset *ds = dd_datadir_dataset(d);
    dd_avro_error ae;
    dd_avro_codec *enc = dd_avro_out_codec_new("snapshot", &ae);
    dd_avro_codec *dec = dd_avro_out_codec_new("snapshot", &ae);
    cr_assert(enc && dec);
    int32_t month;
    cr_assert_eq(dd_time_parse_month("2025-03", 7, &month), 0);
    int rows = 0;
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, D_GOLDEN "/%s.jsonl", scopes[i].stem);
        d_lines L;
        cr_assert_eq(d_lines_read(&L, path, err, sizeof err), 0, "%s", err);
        dd_ledger *l = d_replay(ds, &L, NULL);
        cr_assert_not_null(l);
        dd_snapshot s;
        cr_assert_eq(dd_snapshot_from_ledger(&s, l, ds, scopes[i].admdvs, scopes[i].insutype,
                                             month, DD_SNAP_REPLAY),
                     0);
        cr_expect_gt(s.n_hospitals, 0, "%s %s %d", scopes[i].stem, scopes[i].admdvs,
                     scopes[i].insutype);
        rows += s.n_hospitals;
        snapshot_roundtrip(enc, dec, &s);
        dd_snapshot_free(&s);
        dd_ledger_destroy(l);
        d_lines_free(&L);
    }
    cr_expect_gt(rows, 4);
    dd_avro_codec_destroy(enc);
    dd_avro_codec_destroy(dec);
    dd_datadir_close(d);
}

/* ---- schemas/README.md is up to date ---- */

Test(avro_out, readme_fingerprints)
{
    char err[512];
    size_t len;
    char *md = dd_file_read(DD_SOURCE_DIR "/schemas/README.md", &len, err, sizeof err);
    cr_assert_not_null(md, "%s", err);
    int n = 0;
    for (const dd_schema_file *f = dd_schema_files; f->name; f++, n++) {
        char key[96];
        snprintf(key, sizeof key, "| `%s.avsc` |", f->name);
        char *row = strstr(md, key);
        cr_assert_not_null(row, "README has no row for %s.avsc", f->name);
        char *eol = strchr(row, '\n');
        cr_assert_not_null(eol);
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)fp_of_schema(f->name));
        char want[24];
        snprintf(want, sizeof want, "`%s` |", hex);
        char *at = strstr(row, want);
        cr_expect(at && at < eol, "README fingerprint of %s.avsc is not %s", f->name, hex);
    }
    cr_expect_eq(n, 6);
    free(md);
}

/* ---- case-result / dlq: the schemas' defaults are what the codec fills ---- */

Test(avro_out, case_result_and_dlq_defaults)
{
    dd_avro_error err;
    dd_avro_codec *c = dd_avro_out_codec_new("case-result", &err);
    cr_assert_not_null(c, "%s", err.msg);
    avro_value_t *v = dd_avro_codec_value(c), f;
    int b = 1;
    f = fld(v, "paid");
    cr_assert_eq(avro_value_get_boolean(&f, &b), 0);
    cr_expect_eq(b, 0);
    expect_str(v, "paid_points", "0.0000");
    expect_str(v, "mdc", NULL);
    expect_str(v, "group_status", NULL);
    f = fld(v, "warnings");
    size_t n = 9;
    cr_assert_eq(avro_value_get_size(&f, &n), 0);
    cr_expect_eq(n, 0u);
    dd_avro_codec_destroy(c);
    c = dd_avro_out_codec_new("dlq", &err);
    cr_assert_not_null(c, "%s", err.msg);
    v = dd_avro_codec_value(c);
    expect_str(v, "event_id", NULL);
    dd_avro_codec_destroy(c);
}
