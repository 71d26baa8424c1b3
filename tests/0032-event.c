/*
 * 0032 — dd_event: JSON decoding and every bad-event rule of SPEC §2 / §11,
 * each with its reason code; what must NOT be bad; exact amounts;
 * pseudonymisation; JSON round trip. Uses the in-memory fixture data set.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "d_case_fixture.h"
#include "dd_event.h"
#include "dd_time.h"

static d_fixture fx;
static dd_json_doc *doc;

static void setup(void)
{
    char err[256];
    cr_assert_eq(d_fixture_open(&fx, err, sizeof err), 0, "fixture: %s", err);
    doc = dd_json_doc_new();
    cr_assert_not_null(doc);
}

static void teardown(void)
{
    dd_json_doc_destroy(doc);
    d_fixture_close(&fx);
}

TestSuite(event, .init = setup, .fini = teardown);

#define SETL_HEAD                                                                                  \
    "{\"event_id\":\"E1\",\"type\":\"SETTLEMENT\",\"event_time\":\"2025-03-10T09:00:00+08:00\","   \
    "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\","                \
    "\"mdtrt_id\":\"M1\",\"psn_no\":\"P1\",\"insutype\":\"310\",\"insuplc_admdvs\":\"220400\","    \
    "\"begndate\":\"2025-03-01\",\"enddate\":\"2025-03-10\","                                      \
    "\"setl_time\":\"2025-03-10T09:00:00+08:00\",\"fund_pay_sumamt\":\"4000.00\","                 \
    "\"psn_part_amt\":\"1000.00\",\"acct_pay\":\"0.00\""

/* A settlement with the given extra members (must include medfee unless
 * testing its absence). */
static char *setl(char *buf, size_t cap, const char *extra)
{
    snprintf(buf, cap, SETL_HEAD "%s}", extra);
    return buf;
}

#define LIST_HEAD                                                                                  \
    "{\"event_id\":\"L1\",\"type\":\"SETTLEMENT_LIST\",\"event_time\":\"2025-03-11T09:00:00+08:00\"," \
    "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\","                \
    "\"age\":50,\"ipt_days\":5,\"main_dx\":\"K80.100\",\"other_dx\":[],\"procedures\":[]"

static char *list(char *buf, size_t cap, const char *extra)
{
    snprintf(buf, cap, LIST_HEAD "%s}", extra);
    return buf;
}

/* Decode + validate: DD_BAD_NONE when valid. */
static dd_bad_reason check(const char *json, dd_event *ev, dd_event_error *err)
{
    if (dd_event_from_json(ev, doc, json, strlen(json), err))
        return err->reason;
    if (dd_event_validate(ev, fx.ds, err))
        return err->reason;
    return DD_BAD_NONE;
}

static dd_event ev; /* large: keep it off the stack */

#define EXPECT(json, reason)                                                                       \
    do {                                                                                           \
        dd_event_error e_;                                                                         \
        memset(&e_, 0, sizeof e_);                                                                 \
        dd_bad_reason r_ = check(json, &ev, &e_);                                                  \
        cr_expect_eq(r_, reason, "%s: got %s (%s), want %s", json, dd_bad_reason_name(r_),         \
                     e_.detail, dd_bad_reason_name(reason));                                       \
    } while (0)

Test(event, valid_settlement_exact_amounts)
{
    char b[2048];
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"5000.00\""), DD_BAD_NONE);
    cr_assert_eq(ev.type, DD_EV_SETTLEMENT);
    cr_assert_eq(ev.medfee_fen, 500000);
    cr_assert_eq(ev.fund_fen, 400000);
    cr_assert_eq(ev.psn_part_fen, 100000);
    cr_assert_eq(ev.insutype, 310);
    cr_assert_eq(ev.pay_method, DD_PAY_SCHEME);
    cr_assert_str_eq(ev.setl_id, "S1");
    /* 2025-03-10T09:00:00+08:00 = 2025-03-10T01:00:00Z */
    cr_assert_eq(ev.event_time_ms, (int64_t)dd_days_from_civil(2025, 3, 10) * 86400000 + 3600000);
    /* numbers parse exactly too, never through double */
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":0.29"), DD_BAD_NONE);
    cr_assert_eq(ev.medfee_fen, 29);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":12.5"), DD_BAD_NONE);
    cr_assert_eq(ev.medfee_fen, 1250);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"12\""), DD_BAD_NONE);
    cr_assert_eq(ev.medfee_fen, 1200);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"100000000.00\""), DD_BAD_NONE);
    cr_assert_eq(ev.medfee_fen, INT64_C(10000000000));
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"0\""), DD_BAD_NONE);
    cr_assert_eq(ev.medfee_fen, 0);
}

Test(event, bad_json_and_type)
{
    EXPECT("{", DD_BAD_JSON);
    EXPECT("[1,2]", DD_BAD_JSON);
    EXPECT("not json", DD_BAD_JSON);
    EXPECT("{\"event_id\":\"x\",\"type\":\"SETTLEMENT_CANCEL\"}", DD_BAD_UNKNOWN_TYPE);
    EXPECT("{\"event_id\":\"x\",\"type\":7}", DD_BAD_UNKNOWN_TYPE);
    EXPECT("{\"event_id\":\"x\"}", DD_BAD_MISSING_FIELD);
}

Test(event, bad_amounts)
{
    char b[2048];
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"12.345\""), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":12.345"), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"-1.00\""), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":-1"), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"+1.00\""), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":1e3"), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"1E3\""), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"12.\""), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\".5\""), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"\""), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"1 000.00\""), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":true"), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"100000000.01\""), DD_BAD_AMOUNT);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"99999999999999999999.00\""), DD_BAD_AMOUNT);
    /* null = absent = missing */
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":null"), DD_BAD_MISSING_FIELD);
    EXPECT(setl(b, sizeof b, ""), DD_BAD_MISSING_FIELD);
}

Test(event, budget_amount_bounds)
{
    const char *ok = "{\"event_id\":\"B1\",\"type\":\"BUDGET\",\"event_time\":\"2025-01-01T00:00:00+08:00\","
                     "\"admdvs\":\"220400\",\"insutype\":\"310\",\"year\":2025,\"amount\":\"1000000000000.00\"}";
    EXPECT(ok, DD_BAD_NONE);
    cr_assert_eq(ev.amount_fen, INT64_C(100000000000000));
    cr_assert_eq(ev.month, 0);
    EXPECT("{\"event_id\":\"B1\",\"type\":\"BUDGET\",\"event_time\":\"2025-01-01T00:00:00+08:00\","
           "\"admdvs\":\"220400\",\"insutype\":\"310\",\"year\":2025,\"amount\":\"1000000000000.01\"}",
           DD_BAD_AMOUNT);
    EXPECT("{\"event_id\":\"B1\",\"type\":\"BUDGET\",\"event_time\":\"2025-01-01T00:00:00+08:00\","
           "\"admdvs\":\"220400\",\"insutype\":\"310\",\"year\":2025,\"month\":13,\"amount\":\"1.00\"}",
           DD_BAD_FIELD);
    EXPECT("{\"event_id\":\"B1\",\"type\":\"BUDGET\",\"event_time\":\"2025-01-01T00:00:00+08:00\","
           "\"admdvs\":\"220400\",\"insutype\":\"320\",\"year\":2025,\"amount\":\"1.00\"}",
           DD_BAD_FIELD);
    EXPECT("{\"event_id\":\"B1\",\"type\":\"BUDGET\",\"event_time\":\"2025-01-01T00:00:00+08:00\","
           "\"admdvs\":\"220400\",\"insutype\":\"310\",\"amount\":\"1.00\"}",
           DD_BAD_MISSING_FIELD);
    EXPECT("{\"event_id\":\"C1\",\"type\":\"MONTH_CLOSE\",\"event_time\":\"2025-04-10T00:00:00+08:00\","
           "\"admdvs\":\"220400\",\"insutype\":\"390\",\"month\":\"2025-03\"}",
           DD_BAD_NONE);
    cr_assert_eq(ev.close_month, dd_time_month_make(2025, 3));
    EXPECT("{\"event_id\":\"C1\",\"type\":\"MONTH_CLOSE\",\"event_time\":\"2025-04-10T00:00:00+08:00\","
           "\"admdvs\":\"220400\",\"insutype\":\"390\",\"month\":\"2025-13\"}",
           DD_BAD_FIELD);
}

Test(event, times_need_offset)
{
    char b[2048];
    snprintf(b, sizeof b,
             "{\"event_id\":\"Q1\",\"type\":\"QC_RESULT\",\"event_time\":\"2025-03-10T09:00:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\","
             "\"passed\":true,\"errors\":[]}");
    EXPECT(b, DD_BAD_TIME);
    snprintf(b, sizeof b,
             "{\"event_id\":\"Q1\",\"type\":\"QC_RESULT\",\"event_time\":\"2025-03-10T01:00:00Z\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\","
             "\"passed\":false,\"errors\":[\"E1 主诊断\",\"E2\"]}");
    EXPECT(b, DD_BAD_NONE);
    cr_assert_eq(ev.passed, 0);
    cr_assert_eq(ev.n_errors, 2);
    cr_assert_str_eq(dd_event_error_at(&ev, 0), "E1 主诊断");
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"1.00\",\"begndate\":\"2025-02-30\""),
           DD_BAD_NONE); /* duplicate member: the first wins (2025-03-01) */
}

Test(event, region_and_hospital)
{
    char b[2048];
    snprintf(b, sizeof b, SETL_HEAD ",\"medfee_sumamt\":\"1.00\"}");
    /* unknown region */
    char *p = strstr(b, "\"admdvs\":\"220400\"");
    memcpy(p + 10, "990000", 6);
    EXPECT(b, DD_BAD_UNKNOWN_REGION);
    memcpy(p + 10, "22040x", 6);
    EXPECT(b, DD_BAD_FIELD);
    /* hospital of another region */
    memcpy(p + 10, "220500", 6);
    EXPECT(b, DD_BAD_HOSPITAL_REGION_MISMATCH);
    memcpy(p + 10, "220400", 6);
    p = strstr(b, "H22040000001");
    memcpy(p, "H22040000009", 12);
    EXPECT(b, DD_BAD_UNKNOWN_HOSPITAL);
    /* BUDGET needs no hospital */
    EXPECT("{\"event_id\":\"B1\",\"type\":\"BUDGET\",\"event_time\":\"2025-01-01T00:00:00+08:00\","
           "\"admdvs\":\"990000\",\"insutype\":\"310\",\"year\":2025,\"amount\":\"1.00\"}",
           DD_BAD_UNKNOWN_REGION);
}

Test(event, dates_out_of_order)
{
    char b[2048];
    /* begndate after enddate (the first begndate member wins, so build it fresh) */
    snprintf(b, sizeof b,
             "{\"event_id\":\"E1\",\"type\":\"SETTLEMENT\",\"event_time\":\"2025-03-10T09:00:00+08:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\",\"psn_no\":\"P\","
             "\"insutype\":390,\"begndate\":\"2025-03-11\",\"enddate\":\"2025-03-10\","
             "\"setl_time\":\"2025-03-10T09:00:00+08:00\",\"medfee_sumamt\":\"1.00\","
             "\"fund_pay_sumamt\":\"1.00\",\"psn_part_amt\":\"0.00\"}");
    EXPECT(b, DD_BAD_DATES_OUT_OF_ORDER);
    /* enddate 03-10 after the local date of setl_time 2025-03-09T15:59:59Z = 03-09 23:59:59 */
    snprintf(b, sizeof b,
             "{\"event_id\":\"E1\",\"type\":\"SETTLEMENT\",\"event_time\":\"2025-03-10T09:00:00+08:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\",\"psn_no\":\"P\","
             "\"insutype\":390,\"begndate\":\"2025-03-01\",\"enddate\":\"2025-03-10\","
             "\"setl_time\":\"2025-03-09T15:59:59Z\",\"medfee_sumamt\":\"1.00\","
             "\"fund_pay_sumamt\":\"1.00\",\"psn_part_amt\":\"0.00\"}");
    EXPECT(b, DD_BAD_DATES_OUT_OF_ORDER);
    /* one second later it is 03-10 in Shanghai: fine */
    char *p = strstr(b, "15:59:59Z");
    memcpy(p, "16:00:00Z", 9);
    EXPECT(b, DD_BAD_NONE);
    cr_assert_eq(ev.insutype, 390);
}

Test(event, settlement_fields)
{
    char b[2048];
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"1.00\",\"insutype\":\"320\""), DD_BAD_NONE);
    /* (first member wins: the head's insutype 310) — now a real bad one: */
    snprintf(b, sizeof b,
             "{\"event_id\":\"E1\",\"type\":\"SETTLEMENT\",\"event_time\":\"2025-03-10T09:00:00+08:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\",\"psn_no\":\"P\","
             "\"insutype\":\"320\",\"begndate\":\"2025-03-01\",\"enddate\":\"2025-03-10\","
             "\"setl_time\":\"2025-03-10T09:00:00+08:00\",\"medfee_sumamt\":\"1.00\","
             "\"fund_pay_sumamt\":\"1.00\",\"psn_part_amt\":\"0.00\"}");
    EXPECT(b, DD_BAD_FIELD);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"1.00\",\"pay_method\":\"DRG\""), DD_BAD_FIELD);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"1.00\",\"pay_method\":\"FFS\""), DD_BAD_NONE);
    cr_assert_eq(ev.pay_method, DD_PAY_FFS);
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"1.00\",\"pay_method\":\"BED_DAY\""),
           DD_BAD_UNKNOWN_BEDDAY_GROUP);
    EXPECT(setl(b, sizeof b,
                ",\"medfee_sumamt\":\"1.00\",\"pay_method\":\"BED_DAY\",\"bed_day_group\":\"PSYCH\""),
           DD_BAD_UNKNOWN_BEDDAY_GROUP);
    EXPECT(setl(b, sizeof b,
                ",\"medfee_sumamt\":\"1.00\",\"pay_method\":\"BED_DAY\",\"bed_day_group\":\"REHAB\""),
           DD_BAD_NONE);
    cr_assert_eq(ev.pay_method, DD_PAY_BED_DAY);
    cr_assert_str_eq(ev.bed_day_group, "REHAB");
    /* a string longer than its field */
    char big[200];
    memset(big, 'x', 100);
    big[100] = '\0';
    snprintf(b, sizeof b,
             "{\"event_id\":\"E1\",\"type\":\"SETTLEMENT\",\"event_time\":\"2025-03-10T09:00:00+08:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"%s\"}",
             big);
    EXPECT(b, DD_BAD_FIELD);
}

Test(event, list_rules)
{
    char b[4096];
    EXPECT(list(b, sizeof b, ",\"gend\":\"1\",\"dscg_way\":\"1\""), DD_BAD_NONE);
    cr_assert_eq(ev.gend, 1);
    cr_assert_eq(ev.age, 50);
    cr_assert_eq(ev.age_days, -1);
    /* gend: a digit other than 1/2 is NOT bad (grouper INVALID); two digits are */
    EXPECT(list(b, sizeof b, ",\"gend\":\"3\",\"dscg_way\":1"), DD_BAD_NONE);
    cr_assert_eq(ev.gend, 3);
    EXPECT(list(b, sizeof b, ",\"gend\":0,\"dscg_way\":1"), DD_BAD_NONE);
    EXPECT(list(b, sizeof b, ",\"gend\":\"12\",\"dscg_way\":1"), DD_BAD_FIELD);
    EXPECT(list(b, sizeof b, ",\"gend\":\"M\",\"dscg_way\":1"), DD_BAD_FIELD);
    EXPECT(list(b, sizeof b, ",\"dscg_way\":1"), DD_BAD_MISSING_FIELD);
    /* dscg_way must be 1,2,3,4,5,9 */
    EXPECT(list(b, sizeof b, ",\"gend\":1,\"dscg_way\":9"), DD_BAD_NONE);
    EXPECT(list(b, sizeof b, ",\"gend\":1,\"dscg_way\":6"), DD_BAD_FIELD);
    EXPECT(list(b, sizeof b, ",\"gend\":1,\"dscg_way\":0"), DD_BAD_FIELD);
    /* newborn without birth weight: not bad */
    snprintf(b, sizeof b,
             "{\"event_id\":\"L1\",\"type\":\"SETTLEMENT_LIST\",\"event_time\":\"2025-03-11T09:00:00+08:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\","
             "\"gend\":\"2\",\"age\":0,\"age_days\":3,\"ipt_days\":5,\"dscg_way\":\"1\","
             "\"main_dx\":\"P07.100\"}");
    EXPECT(b, DD_BAD_NONE);
    cr_assert_eq(ev.age_days, 3);
    cr_assert_eq(ev.nwb_bir_wt, -1);
    /* codes must be strings; more than DD_EVENT_MAX_DX is too many */
    EXPECT(list(b, sizeof b, ",\"gend\":1,\"dscg_way\":1,\"procedures\":[1]"), DD_BAD_NONE);
    /* (first member wins: the head's empty list) — a fresh one: */
    char many[2048] = "";
    size_t n = 0;
    for (int i = 0; i <= DD_EVENT_MAX_DX; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "%s\"A%02d.0\"", i ? "," : "", i);
    snprintf(b, sizeof b,
             "{\"event_id\":\"L1\",\"type\":\"SETTLEMENT_LIST\",\"event_time\":\"2025-03-11T09:00:00+08:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\","
             "\"gend\":\"2\",\"age\":40,\"ipt_days\":5,\"dscg_way\":\"1\","
             "\"main_dx\":\"K80.100\",\"other_dx\":[%s]}",
             many);
    EXPECT(b, DD_BAD_TOO_MANY_ENTRIES);
    snprintf(b, sizeof b,
             "{\"event_id\":\"L1\",\"type\":\"SETTLEMENT_LIST\",\"event_time\":\"2025-03-11T09:00:00+08:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\","
             "\"gend\":\"2\",\"age\":40,\"ipt_days\":5,\"dscg_way\":\"1\","
             "\"main_dx\":\"K80.100\",\"procedures\":[\"51.2200\",7]}");
    EXPECT(b, DD_BAD_FIELD);
}

#define SPECIAL(extra)                                                                             \
    "{\"event_id\":\"X1\",\"type\":\"SPECIAL_CASE\",\"event_time\":\"2025-03-20T09:00:00+08:00\","  \
    "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\"" extra "}"

Test(event, special_case_rules)
{
    EXPECT(SPECIAL(",\"status\":\"APPLIED\""), DD_BAD_NONE);
    cr_assert_eq(ev.status, DD_SPECIAL_APPLIED);
    EXPECT(SPECIAL(",\"status\":\"REJECTED\""), DD_BAD_NONE);
    EXPECT(SPECIAL(",\"status\":\"MAYBE\""), DD_BAD_SPECIAL_CASE);
    EXPECT(SPECIAL(""), DD_BAD_MISSING_FIELD);
    EXPECT(SPECIAL(",\"status\":\"APPROVED\""), DD_BAD_SPECIAL_CASE);
    EXPECT(SPECIAL(",\"status\":\"APPROVED\",\"pay_as_ffs\":false"), DD_BAD_SPECIAL_CASE);
    EXPECT(SPECIAL(",\"status\":\"APPROVED\",\"points\":\"100.5\",\"pay_as_ffs\":true"),
           DD_BAD_SPECIAL_CASE);
    EXPECT(SPECIAL(",\"status\":\"APPROVED\",\"points\":\"100.12345\""), DD_BAD_SPECIAL_CASE);
    EXPECT(SPECIAL(",\"status\":\"APPROVED\",\"points\":\"-1\""), DD_BAD_SPECIAL_CASE);
    EXPECT(SPECIAL(",\"status\":\"APPROVED\",\"points\":\"12345.6789\""), DD_BAD_NONE);
    cr_assert_eq(ev.points_e4, 123456789);
    EXPECT(SPECIAL(",\"status\":\"APPROVED\",\"points\":0"), DD_BAD_NONE);
    cr_assert_eq(ev.points_e4, 0);
    EXPECT(SPECIAL(",\"status\":\"APPROVED\",\"pay_as_ffs\":true"), DD_BAD_NONE);
    cr_assert_eq(ev.pay_as_ffs, 1);
    cr_assert_eq(ev.has & DD_F_POINTS, 0);
}

Test(event, case_events_need_setl_id)
{
    EXPECT("{\"event_id\":\"R1\",\"type\":\"RECONCILED\",\"event_time\":\"2025-03-20T09:00:00+08:00\","
           "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\"}",
           DD_BAD_MISSING_FIELD);
    EXPECT("{\"event_id\":\"R1\",\"type\":\"RECONCILED\",\"event_time\":\"2025-03-20T09:00:00+08:00\","
           "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"\"}",
           DD_BAD_FIELD);
    EXPECT("{\"event_id\":\"\",\"type\":\"RECONCILED\",\"event_time\":\"2025-03-20T09:00:00+08:00\","
           "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\"}",
           DD_BAD_FIELD);
    EXPECT("{\"event_id\":\"V1\",\"type\":\"SETTLEMENT_REVERSAL\",\"event_time\":\"2025-03-20T09:00:00+08:00\","
           "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000001\",\"setl_id\":\"S1\"}",
           DD_BAD_NONE);
    cr_assert_eq(ev.type, DD_EV_SETTLEMENT_REVERSAL);
}

Test(event, pseudonymise_and_round_trip)
{
    char b[2048];
    static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    EXPECT(setl(b, sizeof b, ",\"medfee_sumamt\":\"5800.07\""), DD_BAD_NONE);
    dd_event_pseudonymise(&ev, key);
    cr_assert_eq(strlen(ev.psn_no), 16);
    cr_assert_neq(strcmp(ev.psn_no, "P1"), 0);
    cr_assert(ev.has & DD_F_PSN_PSEUDO);
    char first[17];
    memcpy(first, ev.psn_no, 17);
    dd_event_pseudonymise(&ev, key); /* idempotent */
    cr_assert_str_eq(ev.psn_no, first);

    dd_jw w;
    dd_jw_init(&w);
    dd_event_to_json(&ev, &w);
    cr_assert_eq(w.oom, 0);
    static dd_event back;
    dd_event_error e;
    cr_assert_eq(dd_event_from_json(&back, doc, w.buf, w.len, &e), 0, "%s", e.detail);
    cr_assert_eq(back.medfee_fen, 580007);
    cr_assert_eq(back.setl_time_ms, ev.setl_time_ms);
    cr_assert_eq(back.begndate, ev.begndate);
    cr_assert_str_eq(back.setl_id, "S1");
    cr_assert_eq(dd_event_validate(&back, fx.ds, &e), 0, "%s", e.detail);
    dd_jw_free(&w);
}

Test(event, reason_names_are_stable)
{
    cr_assert_str_eq(dd_bad_reason_name(DD_BAD_JSON), "BAD_JSON");
    cr_assert_str_eq(dd_bad_reason_name(DD_BAD_AMOUNT), "BAD_AMOUNT");
    cr_assert_str_eq(dd_bad_reason_name(DD_BAD_HOSPITAL_REGION_MISMATCH), "HOSPITAL_REGION_MISMATCH");
    cr_assert_str_eq(dd_bad_reason_name(DD_BAD_DATES_OUT_OF_ORDER), "DATES_OUT_OF_ORDER");
    cr_assert_str_eq(dd_event_type_name(DD_EV_SETTLEMENT_LIST), "SETTLEMENT_LIST");
}
