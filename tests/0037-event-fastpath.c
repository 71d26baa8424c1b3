/*
 * 0037 — dd_event_from_json's one-pass fast path gives exactly what the
 * reference tree decoder (dd_event_from_json_reference) gives: same return
 * code, same reason and detail on error, same event (type, `has` bits, every
 * field through dd_event_to_json, lists, QC texts) on success. Inputs: every
 * line of the golden replay stream, hand-made edge cases (whitespace,
 * escapes, UTF-8, nulls, duplicates, unknown members of every JSON type,
 * member order), and deterministic byte mutations of the golden lines.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_event.h"
#include "dd_json.h"

static dd_json_doc *doc1, *doc2;
static dd_event ev1, ev2; /* large: keep them off the stack */
static dd_jw w1, w2;
static int n_ok, n_bad;

static void setup(void)
{
    doc1 = dd_json_doc_new();
    doc2 = dd_json_doc_new();
    cr_assert(doc1 && doc2);
    dd_jw_init(&w1);
    dd_jw_init(&w2);
    n_ok = n_bad = 0;
}

static void teardown(void)
{
    dd_json_doc_destroy(doc1);
    dd_json_doc_destroy(doc2);
    dd_jw_free(&w1);
    dd_jw_free(&w2);
}

TestSuite(fastpath, .init = setup, .fini = teardown);

static void same(const char *t, size_t n)
{
    dd_event_error e1, e2;
    memset(&e1, 0, sizeof e1);
    memset(&e2, 0, sizeof e2);
    int r1 = dd_event_from_json(&ev1, doc1, t, n, &e1);
    int r2 = dd_event_from_json_reference(&ev2, doc2, t, n, &e2);
    cr_assert_eq(r1, r2, "rc %d vs reference %d for: %.*s", r1, r2, (int)n, t);
    /* bad texts, and the fields a bad text left decoded (producers read them) */
    cr_assert_eq(ev1.type, ev2.type, "type for: %.*s", (int)n, t);
    cr_assert_eq(ev1.has, ev2.has, "has %llx vs %llx for: %.*s", (unsigned long long)ev1.has,
                 (unsigned long long)ev2.has, (int)n, t);
    if (r1) {
        n_bad++;
        cr_assert_eq(e1.reason, e2.reason, "reason for: %.*s", (int)n, t);
        cr_assert_str_eq(e1.detail, e2.detail, "detail for: %.*s", (int)n, t);
        cr_assert_str_eq(ev1.fixmedins_code, ev2.fixmedins_code);
        return;
    }
    n_ok++;
    dd_jw_reset(&w1);
    dd_jw_reset(&w2);
    dd_event_to_json(&ev1, &w1);
    dd_event_to_json(&ev2, &w2);
    cr_assert_eq(w1.len, w2.len, "%.*s\nvs\n%.*s", (int)w1.len, w1.buf, (int)w2.len, w2.buf);
    cr_assert_eq(memcmp(w1.buf, w2.buf, w1.len), 0, "%.*s\nvs\n%.*s", (int)w1.len, w1.buf,
                 (int)w2.len, w2.buf);
    cr_assert_eq(ev1.n_other_dx, ev2.n_other_dx);
    cr_assert_eq(ev1.n_procedures, ev2.n_procedures);
    cr_assert_eq(ev1.n_errors, ev2.n_errors);
    for (int i = 0; i < ev1.n_errors; i++)
        cr_assert_str_eq(dd_event_error_at(&ev1, i), dd_event_error_at(&ev2, i));
    for (int i = 0; i < ev1.n_other_dx; i++)
        cr_assert_str_eq(ev1.other_dx[i], ev2.other_dx[i]);
    for (int i = 0; i < ev1.n_procedures; i++)
        cr_assert_str_eq(ev1.procedures[i], ev2.procedures[i]);
    cr_assert_str_eq(ev1.psn_no, ev2.psn_no);
    cr_assert_str_eq(ev1.mdtrt_id, ev2.mdtrt_id);
    cr_assert_eq(ev1.pay_method, ev2.pay_method);
    cr_assert_eq(ev1.points_e4, ev2.points_e4);
    cr_assert_eq(ev1.close_month, ev2.close_month);
}

static void same_s(const char *t)
{
    same(t, strlen(t));
}

#define HEAD                                                                                       \
    "\"event_id\":\"L1\",\"event_time\":\"2025-03-11T09:00:00+08:00\","                            \
    "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\""

Test(fastpath, edge_cases)
{
    static const char *const cases[] = {
        "{\"type\":\"SETTLEMENT_LIST\"," HEAD ",\"age\":50,\"main_dx\":\"K80.1\","
        "\"other_dx\":[\"A\",\"B\"],\"procedures\":[]}",
        /* type last, whitespace everywhere */
        " \t{ " HEAD " , \"gend\" : 1 , \"other_dx\" : [ \"A\" , \"B\" ] ,\r\n"
        "\"type\" : \"SETTLEMENT_LIST\" }\n ",
        /* escapes and UTF-8 in values, keys with escapes */
        "{\"type\":\"QC_RESULT\"," HEAD ",\"passed\":false,\"errors\":[\"主诊断\",\"a\\\"b\"]}",
        "{\"type\":\"QC_RESULT\"," HEAD ",\"passed\":false,\"errors\":[\"主诊断\",\"ok\"]}",
        "{\"type\":\"QC_RESULT\"," HEAD ",\"p\\u0061ssed\":true}",
        "{\"type\":\"QC_RESULT\"," HEAD ",\"passed\":true,\"errors\":[\"\\u0000\"]}",
        "{\"type\":\"QC_RESULT\"," HEAD ",\"passed\":true,\"errors\":[1]}",
        "{\"type\":\"QC_RESULT\"," HEAD ",\"passed\":\"true\"}",
        /* null = absent; duplicates: the first non-null wins */
        "{\"type\":\"SETTLEMENT_LIST\"," HEAD ",\"age\":null,\"age\":7,\"age\":8}",
        "{\"type\":null,\"type\":\"SETTLEMENT_LIST\"," HEAD "}",
        "{\"type\":\"SETTLEMENT_LIST\",\"type\":\"BUDGET\"," HEAD "}",
        "{\"type\":7," HEAD "}",
        "{\"type\":\"NOPE\"," HEAD "}",
        "{" HEAD "}",
        "{}",
        "[]",
        "",
        "{\"type\":\"RECONCILED\"," HEAD "} x",
        "{\"type\":\"RECONCILED\"," HEAD ",}",
        "{\"type\":\"RECONCILED\"," HEAD,
        /* unknown members of every type */
        "{\"type\":\"RECONCILED\"," HEAD ",\"x\":{\"a\":[1,{}]},\"y\":[1,2],\"z\":-1.5e3,"
        "\"w\":true,\"v\":false,\"u\":null,\"t\":\"s\",\"\":1}",
        "{\"type\":\"RECONCILED\"," HEAD ",\"x\":[[]]}",
        /* numbers and strings for numeric fields */
        "{\"type\":\"SETTLEMENT_LIST\"," HEAD ",\"age\":\"50\",\"gend\":\"2\",\"dscg_way\":5}",
        "{\"type\":\"SETTLEMENT_LIST\"," HEAD ",\"age\":5.0}",
        "{\"type\":\"SETTLEMENT_LIST\"," HEAD ",\"age\":01}",
        "{\"type\":\"SETTLEMENT_LIST\"," HEAD ",\"age\":-}",
        "{\"type\":\"SETTLEMENT_LIST\"," HEAD ",\"gend\":12}",
        "{\"type\":\"SETTLEMENT\"," HEAD ",\"medfee_sumamt\":123.4,\"fund_pay_sumamt\":\"1.234\","
        "\"pay_method\":\"FFS\",\"insutype\":390}",
        "{\"type\":\"SETTLEMENT\"," HEAD ",\"medfee_sumamt\":1e3}",
        "{\"type\":\"SETTLEMENT\"," HEAD ",\"pay_method\":\"ffs\"}",
        "{\"type\":\"SETTLEMENT\"," HEAD ",\"psn_no\":\"0123456789012345678901234567890123456789"
        "0123456789012345678901234567890\"}",
        "{\"type\":\"SPECIAL_CASE\"," HEAD ",\"status\":\"APPROVED\",\"points\":\"12.5\"}",
        "{\"type\":\"SPECIAL_CASE\"," HEAD ",\"status\":\"APPROVED\",\"pay_as_ffs\":true}",
        "{\"type\":\"BUDGET\",\"event_id\":\"B\",\"admdvs\":\"220400\",\"year\":2025,\"month\":3,"
        "\"amount\":100,\"insutype\":\"310\"}",
        "{\"type\":\"MONTH_CLOSE\",\"event_id\":\"C\",\"admdvs\":\"220400\",\"month\":\"2025-03\"}",
        "{\"type\":\"MONTH_CLOSE\",\"event_id\":\"C\",\"admdvs\":\"220400\",\"month\":3}",
        /* invalid UTF-8, control bytes */
        "{\"type\":\"QC_RESULT\"," HEAD ",\"errors\":[\"\xC3\"]}",
        "{\"type\":\"QC_RESULT\"," HEAD ",\"errors\":[\"\xED\xA0\x80\"]}",
        "{\"type\":\"QC_RESULT\"," HEAD ",\"errors\":[\"a\tb\"]}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        same_s(cases[i]);
    /* NUL bytes inside the text */
    static const char nul[] = "{\"type\":\"RECONCILED\",\"event_id\":\"a\0b\"}";
    same(nul, sizeof nul - 1);
    /* too many list entries */
    char big[8192];
    size_t o = (size_t)snprintf(big, sizeof big,
                                "{\"type\":\"SETTLEMENT_LIST\"," HEAD ",\"other_dx\":[");
    for (int i = 0; i < 70; i++)
        o += (size_t)snprintf(big + o, sizeof big - o, "%s\"D%d\"", i ? "," : "", i);
    snprintf(big + o, sizeof big - o, "]}");
    same_s(big);
    /* many members */
    o = (size_t)snprintf(big, sizeof big, "{\"type\":\"RECONCILED\"," HEAD);
    for (int i = 0; i < 150; i++)
        o += (size_t)snprintf(big + o, sizeof big - o, ",\"x%d\":%d", i, i);
    snprintf(big + o, sizeof big - o, "}");
    same_s(big);
    cr_assert_geq(n_ok, 10);
    cr_assert_geq(n_bad, 20);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert_not_null(b);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

Test(fastpath, golden_stream_and_mutations)
{
    size_t len;
    char *text = read_all(DD_SHARED_DIR "/golden/replay/stream.jsonl", &len);
    static const char repl[] = "\"\\{}[],: 0-.enu\x80\xC3\x01\t";
    uint64_t rng = 0x9E3779B97F4A7C15u;
    char buf[4096];
    int lines = 0;
    for (size_t p = 0; p < len;) {
        size_t e = p;
        while (e < len && text[e] != '\n')
            e++;
        size_t n = e - p;
        same(text + p, n);
        lines++;
        if (n + 8 < sizeof buf && lines % 3 == 0) {
            for (int k = 0; k < 12; k++) {
                memcpy(buf, text + p, n);
                size_t m = n;
                rng = rng * 6364136223846793005u + 1442695040888963407u;
                size_t at = (size_t)(rng >> 33) % n;
                int op = (int)((rng >> 20) % 4);
                char c = repl[(rng >> 8) % (sizeof repl - 1)];
                if (op == 0) {
                    buf[at] = c;
                } else if (op == 1) {
                    memmove(buf + at, buf + at + 1, m - at - 1);
                    m--;
                } else if (op == 2) {
                    memmove(buf + at + 1, buf + at, m - at);
                    buf[at] = c;
                    m++;
                } else {
                    m = at; /* truncated */
                }
                same(buf, m);
            }
        }
        p = e + 1;
    }
    free(text);
    cr_assert_geq(lines, 3000);
    cr_assert_geq(n_ok, 3000);
    cr_assert_geq(n_bad, 1000);
}
