/*
 * 0040-avro: Parsing Canonical Form and CRC-64-AVRO against the Avro test
 * suite's vectors (share/test/data/schema-tests.txt), the single-object
 * header, dd_event <-> Avro round trips over the golden stream, an event-v1
 * writer read by the event-v2 reader, and bad bytes as clean errors (fuzzed).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_avro.h"
#include "dd_avro_event.h"
#include "dd_event.h"
#include "dd_json.h"
#include "dd_schemas.h"

/* ---- PCF + fingerprints: Avro schema-tests.txt (000-033) ---- */

typedef struct {
    const char *input, *canonical;
    int has_fp;
    int64_t fp; /* signed as published */
} pcf_vector;

static const pcf_vector vectors[] = {
    {"\"null\"", "\"null\"", 1, INT64_C(7195948357588979594)},
    {"{\"type\":\"null\"}", "\"null\"", 0, 0},
    {"\"boolean\"", "\"boolean\"", 1, INT64_C(-6970731678124411036)},
    {"{\"type\":\"boolean\"}", "\"boolean\"", 0, 0},
    {"\"int\"", "\"int\"", 1, INT64_C(8247732601305521295)},
    {"{\"type\":\"int\"}", "\"int\"", 0, 0},
    {"\"long\"", "\"long\"", 1, INT64_C(-3434872931120570953)},
    {"{\"type\":\"long\"}", "\"long\"", 0, 0},
    {"\"float\"", "\"float\"", 1, INT64_C(5583340709985441680)},
    {"{\"type\":\"float\"}", "\"float\"", 0, 0},
    {"\"double\"", "\"double\"", 1, INT64_C(-8181574048448539266)},
    {"{\"type\":\"double\"}", "\"double\"", 0, 0},
    {"\"bytes\"", "\"bytes\"", 1, INT64_C(5746618253357095269)},
    {"{\"type\":\"bytes\"}", "\"bytes\"", 0, 0},
    {"\"string\"", "\"string\"", 1, INT64_C(-8142146995180207161)},
    {"{\"type\":\"string\"}", "\"string\"", 0, 0},
    {"[  ]", "[]", 1, INT64_C(-1241056759729112623)},
    {"[ \"int\"  ]", "[\"int\"]", 1, INT64_C(-5232228896498058493)},
    {"[ \"int\" , {\"type\":\"boolean\"} ]", "[\"int\",\"boolean\"]", 1,
     INT64_C(5392556393470105090)},
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\"}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", 1, INT64_C(-4824392279771201922)},
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"namespace\":\"x.y\"}",
     "{\"name\":\"x.y.foo\",\"type\":\"record\",\"fields\":[]}", 1, INT64_C(5916914534497305771)},
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"a.b.foo\", \"namespace\":\"x.y\"}",
     "{\"name\":\"a.b.foo\",\"type\":\"record\",\"fields\":[]}", 1, INT64_C(-4616218487480524110)},
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"doc\":\"Useful info\"}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", 1, INT64_C(-4824392279771201922)},
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"aliases\":[\"foo\",\"bar\"]}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", 1, INT64_C(-4824392279771201922)},
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"doc\":\"foo\", "
     "\"aliases\":[\"foo\",\"bar\"]}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", 1, INT64_C(-4824392279771201922)},
    {"{\"fields\":[{\"type\":{\"type\":\"boolean\"}, \"name\":\"f1\"}], \"type\":\"record\", "
     "\"name\":\"foo\"}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":\"boolean\"}]}", 1,
     INT64_C(7843277075252814651)},
    {"{ \"fields\":[{\"type\":\"boolean\", \"aliases\":[], \"name\":\"f1\", \"default\":\"true\"},\n"
     "            {\"order\":\"descending\",\"name\":\"f2\",\"doc\":\"Hello\",\"type\":\"int\"}],\n"
     "  \"type\":\"record\", \"name\":\"foo\"\n}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":\"boolean\"},"
     "{\"name\":\"f2\",\"type\":\"int\"}]}",
     1, INT64_C(-4860222112080293046)},
    {"{\"type\":\"enum\", \"name\":\"foo\", \"symbols\":[\"A1\"]}",
     "{\"name\":\"foo\",\"type\":\"enum\",\"symbols\":[\"A1\"]}", 1, INT64_C(-6342190197741309591)},
    {"{\"namespace\":\"x.y.z\", \"type\":\"enum\", \"name\":\"foo\", \"doc\":\"foo bar\", "
     "\"symbols\":[\"A1\", \"A2\"]}",
     "{\"name\":\"x.y.z.foo\",\"type\":\"enum\",\"symbols\":[\"A1\",\"A2\"]}", 1,
     INT64_C(-4448647247586288245)},
    {"{\"name\":\"foo\",\"type\":\"fixed\",\"size\":15}",
     "{\"name\":\"foo\",\"type\":\"fixed\",\"size\":15}", 1, INT64_C(1756455273707447556)},
    {"{\"namespace\":\"x.y.z\", \"type\":\"fixed\", \"name\":\"foo\", \"doc\":\"foo bar\", "
     "\"size\":32}",
     "{\"name\":\"x.y.z.foo\",\"type\":\"fixed\",\"size\":32}", 1, INT64_C(-3064184465700546786)},
    {"{ \"items\":{\"type\":\"null\"}, \"type\":\"array\"}", "{\"type\":\"array\",\"items\":\"null\"}",
     1, INT64_C(-589620603366471059)},
    {"{ \"values\":\"string\", \"type\":\"map\"}", "{\"type\":\"map\",\"values\":\"string\"}", 1,
     INT64_C(-8732877298790414990)},
    {"  {\"name\":\"PigValue\",\"type\":\"record\",\n"
     "   \"fields\":[{\"name\":\"value\", \"type\":[\"null\", \"int\", \"long\", \"PigValue\"]}]}",
     "{\"name\":\"PigValue\",\"type\":\"record\",\"fields\":[{\"name\":\"value\",\"type\":[\"null\","
     "\"int\",\"long\",\"PigValue\"]}]}",
     1, INT64_C(-1759257747318642341)},
    /* PCF strips logicalType: a timestamp is its long. */
    {"{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}", "\"long\"", 1,
     INT64_C(-3434872931120570953)},
};

Test(avro_pcf, avro_test_suite_vectors)
{
    size_t n = sizeof vectors / sizeof vectors[0];
    cr_assert_eq(n, 35);
    for (size_t i = 0; i < n; i++) {
        char *pcf = NULL;
        size_t len = 0;
        dd_avro_error err;
        int rc = dd_avro_canonical_form(vectors[i].input, strlen(vectors[i].input), &pcf, &len,
                                        &err);
        cr_assert_eq(rc, 0, "vector %zu: %s", i, err.msg);
        cr_expect_str_eq(pcf, vectors[i].canonical, "vector %zu", i);
        cr_expect_eq(len, strlen(vectors[i].canonical));
        if (vectors[i].has_fp) {
            uint64_t fp = 0;
            cr_assert_eq(dd_avro_fingerprint(vectors[i].input, strlen(vectors[i].input), &fp, &err),
                         0);
            cr_expect_eq(fp, (uint64_t)vectors[i].fp, "vector %zu: %016llx", i,
                         (unsigned long long)fp);
            cr_expect_eq(dd_avro_crc64(pcf, len), (uint64_t)vectors[i].fp);
        }
        free(pcf);
    }
}

Test(avro_pcf, crc64_empty_and_bad_schemas)
{
    cr_assert_eq(dd_avro_crc64("", 0), UINT64_C(0xc15d213aa4d7a795)); /* EMPTY of the spec */
    const char *bad[] = {"", "{", "42", "\"nosuchtype\"", "{\"type\":\"record\",\"name\":\"r\"}",
                         "{\"type\":\"enum\",\"name\":\"e\"}", "{\"type\":\"array\"}",
                         "{\"name\":\"x\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t fp;
        dd_avro_error err;
        cr_expect_eq(dd_avro_fingerprint(bad[i], strlen(bad[i]), &fp, &err), -1, "'%s'", bad[i]);
        cr_expect_eq(err.code, DD_AVRO_ERR_SCHEMA, "'%s'", bad[i]);
    }
}

/* ---- single-object header: the Avro Ruby suite's example for "int" ---- */

Test(avro_codec, single_object_header_int)
{
    dd_avro_error err;
    dd_avro_codec *c = dd_avro_codec_new("\"int\"", 5, &err);
    cr_assert_not_null(c, "%s", err.msg);
    cr_assert_eq(dd_avro_codec_fingerprint(c), UINT64_C(0x7275d51a3f395c8f));
    avro_value_t *v = dd_avro_codec_value(c);
    cr_assert_eq(avro_value_set_int(v, 42), 0);
    dd_avro_buf out = {0};
    cr_assert_eq(dd_avro_encode(c, v, &out, &err), 0, "%s", err.msg);
    static const unsigned char want[] = {0xc3, 0x01, 0x8f, 0x5c, 0x39, 0x3f,
                                         0x1a, 0xd5, 0x75, 0x72, 0x54};
    cr_assert_eq(out.len, sizeof want);
    cr_assert_eq(memcmp(out.data, want, sizeof want), 0);
    cr_assert_eq(dd_avro_is_single_object(out.data, out.len), 1);
    avro_value_t *got;
    uint64_t wfp;
    cr_assert_eq(dd_avro_decode(c, out.data, out.len, &got, &wfp, &err), 0, "%s", err.msg);
    int32_t x;
    cr_assert_eq(avro_value_get_int(got, &x), 0);
    cr_assert_eq(x, 42);
    cr_assert_eq(wfp, UINT64_C(0x7275d51a3f395c8f));
    dd_avro_buf_free(&out);
    dd_avro_codec_destroy(c);
}

/* ---- the shipped schemas ---- */

Test(avro_schemas, embedded_schemas_parse_and_differ)
{
    const char *names[] = {"event-v1", "event-v2", "case-result", "alert", "snapshot", "dlq"};
    uint64_t fps[6];
    for (int i = 0; i < 6; i++) {
        const dd_schema_file *f = dd_schema_find(names[i]);
        cr_assert_not_null(f, "%s missing", names[i]);
        cr_assert_eq(f->len, strlen(f->text));
        dd_avro_error err;
        dd_avro_codec *c = dd_avro_codec_new(f->text, f->len, &err);
        cr_assert_not_null(c, "%s: %s", names[i], err.msg);
        fps[i] = dd_avro_codec_fingerprint(c);
        for (int j = 0; j < i; j++)
            cr_expect_neq(fps[i], fps[j]);
        dd_avro_codec_destroy(c);
    }
    cr_assert_null(dd_schema_find("nope"));
    /* v1 is frozen: old producers stamp this fingerprint on their messages. */
    cr_expect_eq(fps[0], UINT64_C(0x2e7e9303004c89d9), "event-v1 fingerprint is %016llx",
                 (unsigned long long)fps[0]);
}

/* ---- dd_event <-> Avro ---- */

static char *event_json(const dd_event *ev)
{
    dd_jw w;
    dd_jw_init(&w);
    dd_event_to_json(ev, &w);
    dd_jw_append(&w, "", 1);
    return w.buf;
}

static void roundtrip_file(dd_avro_event_codec *c, const char *path, int *n_ok, int *n_types)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    dd_json_doc *doc = dd_json_doc_new();
    dd_event *ev = malloc(sizeof *ev), *back = malloc(sizeof *back);
    dd_avro_buf buf = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned seen = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        dd_event_error err;
        if (dd_event_from_json(ev, doc, line, (size_t)len, &err))
            continue; /* bad JSON events have no Avro form */
        cr_assert_eq(dd_avro_event_encode(c, ev, &buf, &err), 0, "%s: %s", line, err.detail);
        cr_assert_eq(dd_avro_event_decode(c, buf.data, buf.len, back, &err), 0, "%s: %s", line,
                     err.detail);
        cr_assert_eq(back->type, ev->type);
        cr_assert_eq(back->has, ev->has, "%s: has %llx != %llx", line,
                     (unsigned long long)back->has, (unsigned long long)ev->has);
        char *a = event_json(ev), *b = event_json(back);
        cr_assert_str_eq(b, a);
        free(a);
        free(b);
        seen |= 1u << ev->type;
        (*n_ok)++;
    }
    *n_types = __builtin_popcount(seen);
    free(line);
    dd_avro_buf_free(&buf);
    free(ev);
    free(back);
    dd_json_doc_destroy(doc);
    fclose(f);
}

Test(avro_event, roundtrip_golden_streams)
{
    char err[256];
    dd_avro_event_codec *c = dd_avro_event_codec_new(NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    int ok = 0, types = 0;
    roundtrip_file(c, DD_SHARED_DIR "/golden/replay/spec-examples.jsonl", &ok, &types);
    cr_expect_geq(ok, 20);
    int ok2 = 0, types2 = 0;
    roundtrip_file(c, DD_SHARED_DIR "/golden/replay/stream.jsonl", &ok2, &types2);
    cr_expect_geq(ok2, 3300);
    cr_expect_geq(types2, 7, "event types covered: %d", types2);
    dd_avro_event_codec_destroy(c);
}

static void parse_event(dd_event *ev, const char *json)
{
    dd_json_doc *doc = dd_json_doc_new();
    dd_event_error err;
    cr_assert_eq(dd_event_from_json(ev, doc, json, strlen(json), &err), 0, "%s", err.detail);
    dd_json_doc_destroy(doc);
}

static const char *settle_json =
    "{\"event_id\":\"E1\",\"type\":\"SETTLEMENT\",\"event_time\":\"2025-03-10T09:00:00+08:00\","
    "\"admdvs\":\"220100\",\"fixmedins_code\":\"H22010100001\",\"setl_id\":\"S1\","
    "\"mdtrt_id\":\"M1\",\"psn_no\":\"P1\",\"insutype\":\"310\",\"insuplc_admdvs\":\"220100\","
    "\"begndate\":\"2025-03-01\",\"enddate\":\"2025-03-10\","
    "\"setl_time\":\"2025-03-10T09:00:00+08:00\",\"medfee_sumamt\":\"12345.67\","
    "\"fund_pay_sumamt\":\"9876.54\",\"psn_part_amt\":\"2469.13\",\"acct_pay\":\"0.01\"}";

Test(avro_event, exact_fields_and_every_type)
{
    char e[256];
    dd_avro_event_codec *c = dd_avro_event_codec_new("event-v2", e, sizeof e);
    cr_assert_not_null(c, "%s", e);
    dd_event *ev = malloc(sizeof *ev), *back = malloc(sizeof *back);
    dd_avro_buf buf = {0};
    dd_event_error err;

    parse_event(ev, settle_json);
    cr_assert_eq(dd_avro_event_encode(c, ev, &buf, &err), 0, "%s", err.detail);
    cr_assert_eq(dd_avro_event_decode(c, buf.data, buf.len, back, &err), 0, "%s", err.detail);
    cr_assert_eq(back->medfee_fen, 1234567);
    cr_assert_eq(back->fund_fen, 987654);
    cr_assert_eq(back->psn_part_fen, 246913);
    cr_assert_eq(back->acct_pay_fen, 1);
    cr_assert_eq(back->insutype, 310);
    cr_assert_eq(back->event_time_ms, INT64_C(1741568400000)); /* 2025-03-10T01:00:00Z */
    cr_assert_eq(back->begndate, 20148);                       /* 2025-03-01 */
    cr_assert_eq(back->pay_method, DD_PAY_SCHEME);
    cr_assert_eq(back->has & DD_F_PAY_METHOD, 0);
    cr_assert_str_eq(back->psn_no, "P1");

    const char *others[] = {
        "{\"event_id\":\"E2\",\"type\":\"SETTLEMENT_LIST\",\"event_time\":\"2025-03-11T09:00:00+08:00\","
        "\"admdvs\":\"220100\",\"fixmedins_code\":\"H22010100001\",\"setl_id\":\"S1\",\"gend\":\"2\","
        "\"age\":0,\"age_days\":12,\"nwb_bir_wt\":2400,\"ipt_days\":9,\"dscg_way\":\"1\","
        "\"main_dx\":\"P07.100\",\"other_dx\":[\"P22.000\",\"Q21.100\"],\"procedures\":[\"96.0400\"]}",
        "{\"event_id\":\"E3\",\"type\":\"QC_RESULT\",\"event_time\":\"2025-03-12T09:00:00+08:00\","
        "\"admdvs\":\"220100\",\"fixmedins_code\":\"H22010100001\",\"setl_id\":\"S1\","
        "\"passed\":false,\"errors\":[\"主诊断编码无效\",\"E2\"]}",
        "{\"event_id\":\"E4\",\"type\":\"SPECIAL_CASE\",\"event_time\":\"2025-03-13T09:00:00+08:00\","
        "\"admdvs\":\"220100\",\"fixmedins_code\":\"H22010100001\",\"setl_id\":\"S1\","
        "\"status\":\"APPROVED\",\"points\":\"123.4567\"}",
        "{\"event_id\":\"E5\",\"type\":\"BUDGET\",\"event_time\":\"2024-12-20T09:00:00+08:00\","
        "\"admdvs\":\"220100\",\"insutype\":\"390\",\"year\":2025,\"month\":3,"
        "\"amount\":\"1000000000000.00\"}",
        "{\"event_id\":\"E6\",\"type\":\"MONTH_CLOSE\",\"event_time\":\"2025-04-10T00:00:00+08:00\","
        "\"admdvs\":\"220100\",\"insutype\":\"310\",\"month\":\"2025-03\"}",
        "{\"event_id\":\"E7\",\"type\":\"SETTLEMENT\",\"event_time\":\"2025-03-10T09:00:00+08:00\","
        "\"admdvs\":\"220100\",\"fixmedins_code\":\"H22010100001\",\"setl_id\":\"S2\","
        "\"pay_method\":\"BED_DAY\",\"bed_day_group\":\"PSY\"}",
        "{\"event_id\":\"E8\",\"type\":\"SETTLEMENT_REVERSAL\",\"event_time\":\"2025-03-10T09:00:00+08:00\","
        "\"admdvs\":\"220100\",\"fixmedins_code\":\"H22010100001\",\"setl_id\":\"S2\"}",
        "{\"event_id\":\"E9\",\"type\":\"RECONCILED\",\"event_time\":\"2025-03-10T09:00:00+08:00\","
        "\"admdvs\":\"220100\",\"fixmedins_code\":\"H22010100001\",\"setl_id\":\"S2\"}",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        parse_event(ev, others[i]);
        cr_assert_eq(dd_avro_event_encode(c, ev, &buf, &err), 0, "%zu: %s", i, err.detail);
        cr_assert_eq(dd_avro_event_decode(c, buf.data, buf.len, back, &err), 0, "%s", err.detail);
        char *a = event_json(ev), *b = event_json(back);
        cr_expect_str_eq(b, a);
        free(a);
        free(b);
        cr_assert_eq(back->has, ev->has);
        switch (i) {
        case 0:
            cr_assert_eq(back->gend, 2);
            cr_assert_eq(back->nwb_bir_wt, 2400);
            cr_assert_eq(back->dscg_way, 1);
            cr_assert_eq(back->n_other_dx, 2);
            cr_assert_str_eq(back->other_dx[1], "Q21.100");
            cr_assert_eq(back->n_procedures, 1);
            break;
        case 1:
            cr_assert_eq(back->passed, 0);
            cr_assert_eq(back->n_errors, 2);
            cr_assert_str_eq(dd_event_error_at(back, 0), "主诊断编码无效");
            break;
        case 2:
            cr_assert_eq(back->status, DD_SPECIAL_APPROVED);
            cr_assert_eq(back->points_e4, 1234567);
            break;
        case 3:
            cr_assert_eq(back->amount_fen, INT64_C(100000000000000));
            cr_assert_eq(back->month, 3);
            cr_assert_eq(back->year, 2025);
            cr_assert_eq(back->insutype, 390);
            break;
        case 4:
            cr_assert_eq(back->close_month, 2025 * 12 + 2);
            cr_assert(back->has & DD_F_CLOSE_MONTH);
            break;
        case 5:
            cr_assert_eq(back->pay_method, DD_PAY_BED_DAY);
            cr_assert_str_eq(back->bed_day_group, "PSY");
            break;
        default:
            break;
        }
    }
    dd_avro_buf_free(&buf);
    free(ev);
    free(back);
    dd_avro_event_codec_destroy(c);
}

Test(avro_event, v1_writer_read_by_v2_reader)
{
    char e[256];
    dd_avro_event_codec *v1 = dd_avro_event_codec_new("event-v1", e, sizeof e);
    cr_assert_not_null(v1, "%s", e);
    dd_avro_event_codec *v2 = dd_avro_event_codec_new("event-v2", e, sizeof e);
    cr_assert_not_null(v2, "%s", e);
    cr_assert_neq(dd_avro_event_codec_fingerprint(v1), dd_avro_event_codec_fingerprint(v2));
    /* v2 knows both writers (v1, v2). */
    cr_assert_eq(dd_avro_codec_writer_count(dd_avro_event_codec_avro(v2)), 2);

    dd_event *ev = malloc(sizeof *ev), *back = malloc(sizeof *back);
    dd_avro_buf buf = {0};
    dd_event_error err;
    parse_event(ev, settle_json);
    cr_assert_eq(dd_avro_event_encode(v1, ev, &buf, &err), 0, "%s", err.detail);
    uint64_t fp = 0;
    for (int i = 9; i >= 2; i--)
        fp = (fp << 8) | buf.data[i];
    cr_assert_eq(fp, dd_avro_event_codec_fingerprint(v1), "message stamped with the v1 writer");
    cr_assert_eq(dd_avro_event_decode(v2, buf.data, buf.len, back, &err), 0, "%s", err.detail);
    char *a = event_json(ev), *b = event_json(back);
    cr_assert_str_eq(b, a);
    free(a);
    free(b);
    cr_assert_eq(back->medfee_fen, 1234567);
    cr_assert_eq(back->pay_method, DD_PAY_SCHEME); /* v1 has no pay_method: default null */
    cr_assert_eq(back->has & (DD_F_PAY_METHOD | DD_F_BED_DAY_GROUP), 0);
    /* Twice, so the codec's reused values do not leak state between messages. */
    cr_assert_eq(dd_avro_event_decode(v2, buf.data, buf.len, back, &err), 0, "%s", err.detail);
    cr_assert_eq(back->fund_fen, 987654);

    /* A v2 message with pay_method, then the v1 one: no stale pay_method. */
    parse_event(ev, "{\"event_id\":\"E7\",\"type\":\"SETTLEMENT\",\"event_time\":"
                    "\"2025-03-10T09:00:00+08:00\",\"admdvs\":\"220100\",\"fixmedins_code\":"
                    "\"H22010100001\",\"setl_id\":\"S2\",\"pay_method\":\"FFS\"}");
    dd_avro_buf buf2 = {0};
    cr_assert_eq(dd_avro_event_encode(v2, ev, &buf2, &err), 0, "%s", err.detail);
    cr_assert_eq(dd_avro_event_decode(v2, buf2.data, buf2.len, back, &err), 0);
    cr_assert_eq(back->pay_method, DD_PAY_FFS);
    cr_assert_eq(dd_avro_event_decode(v2, buf.data, buf.len, back, &err), 0);
    cr_assert_eq(back->pay_method, DD_PAY_SCHEME);

    /* Truncated v1 messages through the projection path: clean errors. */
    for (size_t n = 0; n < buf.len; n++) {
        cr_assert_eq(dd_avro_event_decode(v2, buf.data, n, back, &err), -1, "v1 prefix %zu", n);
        cr_assert_eq(err.reason, DD_BAD_UNDECODABLE);
    }
    cr_assert_eq(dd_avro_event_decode(v2, buf.data, buf.len, back, &err), 0);
    cr_assert_eq(back->psn_part_fen, 246913);

    /* v1 cannot carry pay_method: a clean error, not a silent drop. */
    cr_assert_eq(dd_avro_event_encode(v1, ev, &buf2, &err), -1);
    cr_assert_eq(err.reason, DD_BAD_FIELD);
    cr_assert(strstr(err.detail, "pay_method"), "%s", err.detail);

    dd_avro_buf_free(&buf);
    dd_avro_buf_free(&buf2);
    free(ev);
    free(back);
    dd_avro_event_codec_destroy(v1);
    dd_avro_event_codec_destroy(v2);
}

/* ---- bad bytes ---- */

static uint64_t lcg(uint64_t *s)
{
    *s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return *s >> 33;
}

Test(avro_event, bad_bytes_are_clean_errors)
{
    char e[256];
    dd_avro_event_codec *c = dd_avro_event_codec_new(NULL, e, sizeof e);
    cr_assert_not_null(c, "%s", e);
    dd_event *ev = malloc(sizeof *ev);
    dd_event_error err;

    cr_assert_eq(dd_avro_event_decode(c, "", 0, ev, &err), -1);
    cr_assert_eq(err.reason, DD_BAD_UNDECODABLE);
    cr_assert_eq(dd_avro_event_decode(c, "{\"a\":1}", 7, ev, &err), -1);
    cr_assert_eq(err.reason, DD_BAD_UNDECODABLE);
    cr_assert_eq(dd_avro_event_decode(c, "\xc3\x01\x01\x02", 4, ev, &err), -1);
    cr_assert_eq(err.reason, DD_BAD_UNDECODABLE);
    /* Unknown fingerprint. */
    const unsigned char unk[] = {0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x02, 0x41};
    cr_assert_eq(dd_avro_event_decode(c, unk, sizeof unk, ev, &err), -1);
    cr_assert_eq(err.reason, DD_BAD_UNKNOWN_SCHEMA);

    /* Every truncation of a valid message, and one byte too many. */
    parse_event(ev, settle_json);
    dd_avro_buf buf = {0};
    cr_assert_eq(dd_avro_event_encode(c, ev, &buf, &err), 0);
    unsigned char *m = malloc(buf.len + 64);
    memcpy(m, buf.data, buf.len);
    for (size_t n = 0; n < buf.len; n++) {
        cr_assert_eq(dd_avro_event_decode(c, m, n, ev, &err), -1, "prefix %zu", n);
        cr_assert_eq(err.reason, DD_BAD_UNDECODABLE, "prefix %zu: %s", n, err.detail);
    }
    m[buf.len] = 0;
    cr_assert_eq(dd_avro_event_decode(c, m, buf.len + 1, ev, &err), -1);
    cr_assert_eq(err.reason, DD_BAD_UNDECODABLE);
    cr_assert_eq(dd_avro_event_decode(c, m, buf.len, ev, &err), 0);

    /* Huge lengths / counts in the body must not allocate or crash. */
    unsigned char huge[32];
    memcpy(huge, m, 10);
    size_t hl = 10;
    huge[hl++] = 0xfe; /* event_id string of length 2^62-ish */
    for (int i = 0; i < 8; i++)
        huge[hl++] = 0xff;
    huge[hl++] = 0x7f;
    cr_assert_eq(dd_avro_event_decode(c, huge, hl, ev, &err), -1);
    cr_assert_eq(err.reason, DD_BAD_UNDECODABLE);

    /* Random bytes after a valid header, and random mutations of a valid
     * message: never a crash; every failure is a known reason. */
    uint64_t seed = 20250310;
    int ok = 0, bad = 0;
    for (int it = 0; it < 20000; it++) {
        size_t n;
        if (it % 2) {
            n = 10 + lcg(&seed) % 60;
            for (size_t i = 10; i < n; i++)
                m[i] = (unsigned char)lcg(&seed);
            memcpy(m, buf.data, 10);
        } else {
            n = buf.len;
            memcpy(m, buf.data, n);
            int flips = 1 + (int)(lcg(&seed) % 4);
            for (int k = 0; k < flips; k++)
                m[10 + lcg(&seed) % (n - 10)] ^= (unsigned char)(1u << (lcg(&seed) % 8));
        }
        if (dd_avro_event_decode(c, m, n, ev, &err) == 0) {
            ok++;
        } else {
            bad++;
            cr_assert(err.reason == DD_BAD_UNDECODABLE || err.reason == DD_BAD_FIELD ||
                          err.reason == DD_BAD_SPECIAL_CASE || err.reason == DD_BAD_TIME ||
                          err.reason == DD_BAD_TOO_MANY_ENTRIES ||
                          err.reason == DD_BAD_UNKNOWN_TYPE,
                      "reason %s", dd_bad_reason_name(err.reason));
        }
    }
    cr_assert_eq(ok + bad, 20000);
    cr_assert_gt(bad, 10000);
    free(m);
    dd_avro_buf_free(&buf);
    free(ev);
    dd_avro_event_codec_destroy(c);
}

/* ---- resolution: a reader field filled from its default, a writer field skipped ---- */

Test(avro_codec, resolution_default_and_skip)
{
    const char *reader = "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":["
                         "{\"name\":\"a\",\"type\":\"long\"},"
                         "{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":null},"
                         "{\"name\":\"c\",\"type\":\"int\",\"default\":7}]}";
    const char *writer = "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":["
                         "{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"x\",\"type\":\"string\"}]}";
    const char *bad = "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":["
                      "{\"name\":\"x\",\"type\":\"string\"}]}"; /* lacks a, which has no default */
    dd_avro_error err;
    dd_avro_codec *r = dd_avro_codec_new(reader, strlen(reader), &err);
    dd_avro_codec *w = dd_avro_codec_new(writer, strlen(writer), &err);
    cr_assert(r && w);
    uint64_t wfp, got_fp;
    cr_assert_eq(dd_avro_codec_add_writer(r, writer, strlen(writer), &wfp, &err), 0, "%s", err.msg);
    cr_assert_eq(wfp, dd_avro_codec_fingerprint(w));
    cr_assert_eq(dd_avro_codec_add_writer(r, bad, strlen(bad), &got_fp, &err), -1);
    cr_assert_eq(err.code, DD_AVRO_ERR_RESOLVE);

    avro_value_t *v = dd_avro_codec_value(w), f;
    cr_assert_eq(avro_value_get_by_name(v, "a", &f, NULL), 0);
    avro_value_set_long(&f, -123456789012LL);
    cr_assert_eq(avro_value_get_by_name(v, "x", &f, NULL), 0);
    avro_value_set_string(&f, "skipped");
    dd_avro_buf buf = {0};
    cr_assert_eq(dd_avro_encode(w, v, &buf, &err), 0, "%s", err.msg);
    avro_value_t *out;
    cr_assert_eq(dd_avro_decode(r, buf.data, buf.len, &out, &got_fp, &err), 0, "%s", err.msg);
    cr_assert_eq(got_fp, wfp);
    int64_t a;
    int32_t c;
    avro_value_t b, br;
    cr_assert_eq(avro_value_get_by_name(out, "a", &f, NULL), 0);
    avro_value_get_long(&f, &a);
    cr_assert_eq(a, -123456789012LL);
    cr_assert_eq(avro_value_get_by_name(out, "b", &b, NULL), 0);
    cr_assert_eq(avro_value_get_current_branch(&b, &br), 0);
    cr_assert_eq(avro_value_get_type(&br), AVRO_NULL);
    cr_assert_eq(avro_value_get_by_name(out, "c", &f, NULL), 0);
    avro_value_get_int(&f, &c);
    cr_assert_eq(c, 7);
    dd_avro_buf_free(&buf);
    dd_avro_codec_destroy(r);
    dd_avro_codec_destroy(w);
}
