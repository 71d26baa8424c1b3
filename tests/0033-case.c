/*
 * 0033 — dd_case / dd_ledger: "latest" rules, sticky flags, every pending
 * reason (late list exactly 7 days is on time), exact points per category,
 * contribution deltas (a correction moves the month), apply then reverse ->
 * all zero, a re-sent event id changes nothing, budgets, counter names.
 * Uses the in-memory DIP fixture (tests/d_case_fixture.h); hand-computed
 * figures are in the comments.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "d_case_fixture.h"
#include "dd_case.h"
#include "dd_ledger.h"
#include "dd_time.h"

static d_fixture fx;
static dd_ledger *L;

static void setup(void)
{
    char err[256];
    cr_assert_eq(d_fixture_open(&fx, err, sizeof err), 0, "fixture: %s", err);
    L = dd_ledger_new(fx.ds);
    cr_assert_not_null(L);
}

static void teardown(void)
{
    dd_ledger_destroy(L);
    d_fixture_close(&fx);
}

TestSuite(cases, .init = setup, .fini = teardown);

#define H1 "H22040000001" /* C = 1 */
#define H2 "H22040000002" /* C = 1.05 */
#define MAR dd_time_month_make(2025, 3)
#define APR dd_time_month_make(2025, 4)

static dd_ledger_outcome apply_to(dd_ledger *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static dd_ledger_outcome apply_to(dd_ledger *l, const char *fmt, ...)
{
    char b[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    dd_event_error e;
    memset(&e, 0, sizeof e);
    dd_ledger_outcome o = dd_ledger_apply_json(l, b, strlen(b), &e);
    cr_assert_neq(o, DD_LEDGER_BAD, "bad event %s: %s: %s", b, dd_bad_reason_name(e.reason),
                  e.detail);
    cr_assert_neq(o, DD_LEDGER_ERROR);
    return o;
}

/* id, hospital, event_time, setl_time, medfee, fund, psn_part, extra */
#define SETL_FMT                                                                                   \
    "{\"event_id\":\"%s\",\"type\":\"SETTLEMENT\",\"event_time\":\"%s\",\"admdvs\":\"220400\","      \
    "\"fixmedins_code\":\"%s\",\"setl_id\":\"%s\",\"psn_no\":\"P-%s\",\"insutype\":\"310\","         \
    "\"begndate\":\"2025-03-01\",\"enddate\":\"2025-03-01\",\"setl_time\":\"%s\","                   \
    "\"medfee_sumamt\":\"%s\",\"fund_pay_sumamt\":\"%s\",\"psn_part_amt\":\"%s\"%s}"

static dd_ledger_outcome setl(const char *id, const char *hosp, const char *setl_id,
                              const char *evt, const char *st, const char *medfee,
                              const char *fund, const char *psn, const char *extra)
{
    return apply_to(L, SETL_FMT, id, evt, hosp, setl_id, setl_id, st, medfee, fund, psn, extra);
}

static dd_ledger_outcome list_ev(const char *id, const char *hosp, const char *setl_id,
                                 const char *evt, const char *main_dx, const char *procs)
{
    return apply_to(L,
                    "{\"event_id\":\"%s\",\"type\":\"SETTLEMENT_LIST\",\"event_time\":\"%s\","
                    "\"admdvs\":\"220400\",\"fixmedins_code\":\"%s\",\"setl_id\":\"%s\",\"gend\":\"1\","
                    "\"age\":40,\"ipt_days\":10,\"dscg_way\":\"1\",\"main_dx\":\"%s\","
                    "\"other_dx\":[],\"procedures\":[%s]}",
                    id, evt, hosp, setl_id, main_dx, procs);
}

static dd_ledger_outcome simple(const char *type, const char *id, const char *hosp,
                                const char *setl_id, const char *evt, const char *extra)
{
    return apply_to(L,
                    "{\"event_id\":\"%s\",\"type\":\"%s\",\"event_time\":\"%s\",\"admdvs\":\"220400\","
                    "\"fixmedins_code\":\"%s\",\"setl_id\":\"%s\"%s}",
                    id, type, evt, hosp, setl_id, extra);
}

/* A complete eligible case at hospital `hosp`. */
static void eligible_case(const char *hosp, const char *sid, const char *medfee,
                          const char *main_dx, const char *procs, const char *setl_extra)
{
    char id[64];
    snprintf(id, sizeof id, "%s-S", sid);
    setl(id, hosp, sid, "2025-03-10T09:00:00+08:00", "2025-03-10T09:00:00+08:00", medfee, "100.00",
         "10.00", setl_extra);
    snprintf(id, sizeof id, "%s-L", sid);
    list_ev(id, hosp, sid, "2025-03-11T09:00:00+08:00", main_dx, procs);
    snprintf(id, sizeof id, "%s-Q", sid);
    simple("QC_RESULT", id, hosp, sid, "2025-03-12T09:00:00+08:00", ",\"passed\":true");
    snprintf(id, sizeof id, "%s-R", sid);
    simple("RECONCILED", id, hosp, sid, "2025-03-12T10:00:00+08:00", "");
}

static const dd_contrib *contrib_of(const char *hosp, const char *sid)
{
    const dd_case *c = dd_ledger_case(L, "220400", hosp, sid);
    cr_assert_not_null(c, "case %s/%s missing", hosp, sid);
    return dd_ledger_case_contrib(L, c);
}

static const int64_t *totals(const char *hosp, int32_t month)
{
    return dd_ledger_totals(L, "220400", 310, month, hosp);
}

/* ---------------- latest rules, sticky flags ---------------- */

Test(cases, latest_settlement_by_event_time_then_arrival)
{
    setl("a", H1, "S1", "2025-03-10T09:00:00+08:00", "2025-03-10T09:00:00+08:00", "5000.00",
         "4000.00", "1000.00", "");
    /* older event_time arriving later: ignored */
    setl("b", H1, "S1", "2025-03-09T09:00:00+08:00", "2025-03-09T09:00:00+08:00", "9999.00",
         "4000.00", "1000.00", "");
    const dd_case *c = dd_ledger_case(L, "220400", H1, "S1");
    cr_assert_eq(c->setl.medfee_fen, 500000);
    /* same event_time, later arrival: wins */
    setl("c", H1, "S1", "2025-03-10T01:00:00Z", "2025-03-10T09:00:00+08:00", "6000.00", "4000.00",
         "1000.00", "");
    cr_assert_eq(c->setl.medfee_fen, 600000);
    const int64_t *t = totals(H1, MAR);
    cr_assert_eq(t[DD_CTR_SETTLED], 1);
    cr_assert_eq(t[DD_CTR_MEDFEE_SETTLED], 600000);
    cr_assert_eq(t[DD_CTR_PENDING_NO_LIST], 1);
    cr_assert_eq(t[DD_CTR_POINTS], 0);
}

Test(cases, latest_list_and_qc)
{
    setl("s", H2, "S1", "2025-03-10T09:00:00+08:00", "2025-03-10T09:00:00+08:00", "5000.00",
         "4000.00", "1000.00", "");
    simple("RECONCILED", "r", H2, "S1", "2025-03-10T10:00:00+08:00", "");
    /* newer list (J18.9 BASIC) first, then an older one (K80.1): the newer stays */
    list_ev("l2", H2, "S1", "2025-03-12T09:00:00+08:00", "J18.900", "");
    list_ev("l1", H2, "S1", "2025-03-11T09:00:00+08:00", "K80.100", "");
    cr_assert_str_eq(contrib_of(H2, "S1")->group, "B0001");
    /* QC: the latest result counts, whichever list it checked */
    simple("QC_RESULT", "q2", H2, "S1", "2025-03-13T09:00:00+08:00", ",\"passed\":false");
    simple("QC_RESULT", "q1", H2, "S1", "2025-03-12T10:00:00+08:00", ",\"passed\":true");
    cr_assert_eq(contrib_of(H2, "S1")->pending, DD_PENDING_QC_FAILED);
    simple("QC_RESULT", "q3", H2, "S1", "2025-03-14T09:00:00+08:00", ",\"passed\":true");
    const dd_contrib *k = contrib_of(H2, "S1");
    cr_assert_eq(k->pending, DD_PENDING_NONE);
    cr_assert(k->eligible);
    /* BASIC with basic_same_pay: C = 1 -> 0.4 x 10000 = 4000.0000 (cost 5000 vs ref 3000: k 1.67) */
    cr_assert_eq(k->category, DD_CAT_NORMAL);
    cr_assert_eq(k->points_e4, 40000000);
}

Test(cases, reversal_sticky_even_when_first)
{
    simple("SETTLEMENT_REVERSAL", "v", H1, "S1", "2025-03-01T09:00:00+08:00", "");
    setl("s", H1, "S1", "2025-03-10T09:00:00+08:00", "2025-03-10T09:00:00+08:00", "5000.00",
         "4000.00", "1000.00", "");
    list_ev("l", H1, "S1", "2025-03-11T09:00:00+08:00", "K80.100", "");
    const int64_t *t = totals(H1, MAR);
    cr_assert_not_null(t);
    for (int i = 0; i < DD_CTR__COUNT; i++)
        cr_assert_eq(t[i], i == DD_CTR_REVERSED ? 1 : 0, "%s = %lld", dd_counter_name(i),
                     (long long)t[i]);
    /* a second reversal changes nothing */
    simple("SETTLEMENT_REVERSAL", "v2", H1, "S1", "2025-03-20T09:00:00+08:00", "");
    cr_assert_eq(t[DD_CTR_REVERSED], 1);
    cr_assert_eq(dd_ledger_get_stats(L)->changed, 3); /* reversal, settlement, list */
}

Test(cases, reconciled_sticky_even_when_first)
{
    simple("RECONCILED", "r", H1, "S1", "2025-03-01T09:00:00+08:00", "");
    setl("s", H1, "S1", "2025-03-10T09:00:00+08:00", "2025-03-10T09:00:00+08:00", "5000.00",
         "4000.00", "1000.00", "");
    list_ev("l", H1, "S1", "2025-03-11T09:00:00+08:00", "K80.100", "");
    simple("QC_RESULT", "q", H1, "S1", "2025-03-12T09:00:00+08:00", ",\"passed\":true");
    cr_assert(contrib_of(H1, "S1")->eligible);
}

/* ---------------- pending reasons ---------------- */

Test(cases, every_pending_reason_in_order)
{
    /* NO_LIST beats everything */
    setl("s", H1, "S1", "2025-03-10T09:00:00+08:00", "2025-03-10T09:00:00+08:00", "5000.00",
         "4000.00", "1000.00", "");
    cr_assert_eq(contrib_of(H1, "S1")->pending, DD_PENDING_NO_LIST);
    /* list without QC: QC_FAILED (no QC result counts as failed) */
    list_ev("l", H1, "S1", "2025-03-17T09:00:01+08:00", "K80.100", ""); /* 7 d + 1 s: late */
    cr_assert_eq(contrib_of(H1, "S1")->pending, DD_PENDING_QC_FAILED);
    cr_assert(contrib_of(H1, "S1")->qc_missing);
    simple("QC_RESULT", "q", H1, "S1", "2025-03-18T09:00:00+08:00", ",\"passed\":false");
    cr_assert_eq(contrib_of(H1, "S1")->pending, DD_PENDING_QC_FAILED);
    simple("QC_RESULT", "q2", H1, "S1", "2025-03-19T09:00:00+08:00", ",\"passed\":true");
    cr_assert_eq(contrib_of(H1, "S1")->pending, DD_PENDING_NOT_RECONCILED);
    simple("RECONCILED", "r", H1, "S1", "2025-03-19T10:00:00+08:00", "");
    cr_assert_eq(contrib_of(H1, "S1")->pending, DD_PENDING_LATE_LIST);
    const int64_t *t = totals(H1, MAR);
    cr_assert_eq(t[DD_CTR_PENDING_LATE_LIST], 1);
    cr_assert_eq(t[DD_CTR_LATE_LISTS], 1);
    cr_assert_eq(t[DD_CTR_ELIGIBLE], 0);
    cr_assert_eq(t[DD_CTR_POINTS], 0);
    cr_assert_eq(t[DD_CTR_MEDFEE], 0);
    cr_assert_eq(t[DD_CTR_PENDING_POINTS], 50000000); /* held: 0.5 x 1 x 10000 */
    /* a later list stays late; another case whose list comes exactly 7 days
     * (7 x 24 h) after setl_time is on time */
    list_ev("l2", H1, "S1", "2025-03-18T09:00:00+08:00", "K80.100", "");
    cr_assert_eq(contrib_of(H1, "S1")->pending, DD_PENDING_LATE_LIST);
    setl("s2", H1, "S2", "2025-03-10T09:00:00+08:00", "2025-03-10T09:00:00+08:00", "5000.00",
         "4000.00", "1000.00", "");
    simple("RECONCILED", "r2", H1, "S2", "2025-03-10T10:00:00+08:00", "");
    simple("QC_RESULT", "q3", H1, "S2", "2025-03-18T09:00:00+08:00", ",\"passed\":true");
    list_ev("l3", H1, "S2", "2025-03-17T01:00:00Z", "K80.100", ""); /* = 03-17 09:00 +08:00 */
    cr_assert_eq(contrib_of(H1, "S2")->pending, DD_PENDING_NONE);
    cr_assert_eq(contrib_of(H1, "S2")->late, 0);
    cr_assert_eq(t[DD_CTR_ELIGIBLE], 1);
    cr_assert_eq(t[DD_CTR_PENDING_LATE_LIST], 1);
    cr_assert_eq(t[DD_CTR_LATE_LISTS], 1);
    cr_assert_eq(t[DD_CTR_PENDING_POINTS], 50000000);
    cr_assert_eq(t[DD_CTR_POINTS], 50000000);
    cr_assert_eq(t[DD_CTR_MEDFEE], 500000);
    cr_assert_eq(t[DD_CTR_FUND], 400000);
    cr_assert_eq(t[DD_CTR_PSN_PART], 100000);
    cr_assert_eq(t[DD_CTR_SETTLED], 2);
    cr_assert_eq(t[DD_CTR_MEDFEE_SETTLED], 1000000);
    cr_assert_eq(t[DD_CTR_CMI_CASES], 1);
    cr_assert_eq(t[DD_CTR_CMI_WEIGHT], 5000);
}

Test(cases, qc_failed_before_not_reconciled)
{
    setl("s", H1, "S1", "2025-03-10T09:00:00+08:00", "2025-03-10T09:00:00+08:00", "5000.00",
         "4000.00", "1000.00", "");
    list_ev("l", H1, "S1", "2025-03-11T09:00:00+08:00", "K80.100", "");
    simple("QC_RESULT", "q", H1, "S1", "2025-03-12T09:00:00+08:00",
           ",\"passed\":false,\"errors\":[\"E1\"]");
    const int64_t *t = totals(H1, MAR);
    cr_assert_eq(t[DD_CTR_PENDING_QC_FAILED], 1);
    cr_assert_eq(t[DD_CTR_PENDING_NOT_RECONCILED], 0);
    cr_assert_eq(t[DD_CTR_QC_FAILED], 1);
}

/* ---------------- points by category ---------------- */

static void expect_points(const char *sid, dd_category cat, int64_t pts, int cmi)
{
    const dd_contrib *k = contrib_of(H2, sid);
    cr_assert(k->eligible, "%s not eligible (%s)", sid, dd_pending_reason_name(k->pending));
    cr_assert_eq(k->category, cat, "%s: category %d, want %d", sid, k->category, cat);
    cr_assert_eq(k->points_e4, pts, "%s: points %lld, want %lld", sid, (long long)k->points_e4,
                 (long long)pts);
    cr_assert_eq(k->in_cmi, cmi, "%s: in_cmi", sid);
}

Test(cases, points_per_category_exact)
{
    /* H2: C = 1.05. C0001 W 0.5 ref 5000: W x C x 10000 = 5250.0000 */
    eligible_case(H2, "N", "5000.00", "K80.100", "", "");
    expect_points("N", DD_CAT_NORMAL, 52500000, 1);
    eligible_case(H2, "AT_HIGH", "10000.00", "K80.100", "", ""); /* k = 2 exactly */
    expect_points("AT_HIGH", DD_CAT_NORMAL, 52500000, 1);
    eligible_case(H2, "HIGH", "12000.00", "K80.100", "", ""); /* k 2.4: x (1 + 0.4) */
    expect_points("HIGH", DD_CAT_HIGH, 73500000, 1);
    eligible_case(H2, "AT_LOW", "2500.00", "K80.100", "", ""); /* k = 0.5 exactly */
    expect_points("AT_LOW", DD_CAT_NORMAL, 52500000, 1);
    eligible_case(H2, "LOW", "2000.00", "K80.100", "", ""); /* k 0.4: x 0.4 */
    expect_points("LOW", DD_CAT_LOW, 21000000, 1);
    /* C0002 (more terms wins over C0001): 1.2 x 1.05 x 10000 = 12600.0000 */
    eligible_case(H2, "SURG", "12000.00", "K80.100", "\"51.2200x001\"", "");
    cr_assert_str_eq(contrib_of(H2, "SURG")->group, "C0002");
    expect_points("SURG", DD_CAT_NORMAL, 126000000, 1);
    /* COMPREHENSIVE Z0001 (K80 + 相关手术): 0.9 x 1.05 x 10000 = 9450.0000 */
    eligible_case(H2, "COMP", "9000.00", "K80.200", "\"51.2300\"", "");
    cr_assert_str_eq(contrib_of(H2, "COMP")->group, "Z0001");
    expect_points("COMP", DD_CAT_NORMAL, 94500000, 1);
    /* ungroupable, policy ffs: 3500 / 7000 x 1.05 x 10000 = 5250.0000 */
    eligible_case(H2, "UNG", "3500.00", "Z99.900", "", "");
    expect_points("UNG", DD_CAT_UNGROUPABLE, 52500000, 0);
    cr_assert_eq(contrib_of(H2, "UNG")->grouped, 0);
    /* FFS pay method: 7000 / 7000 x 1.05 x 10000 = 10500.0000, not grouped */
    eligible_case(H2, "FFS", "7000.00", "K80.100", "", ",\"pay_method\":\"FFS\"");
    expect_points("FFS", DD_CAT_FFS, 105000000, 0);
    cr_assert_eq(contrib_of(H2, "FFS")->grouped_by_scheme, 0);
    /* bed-day REHAB: 240 / 0.8 x 10 days / 7000 x 1.05 x 10000 = 4500.0000 */
    eligible_case(H2, "BED", "9000.00", "K80.100", "",
                  ",\"pay_method\":\"BED_DAY\",\"bed_day_group\":\"REHAB\"");
    expect_points("BED", DD_CAT_BED_DAY, 45000000, 0);

    const int64_t *t = totals(H2, MAR);
    cr_assert_eq(t[DD_CTR_ELIGIBLE], 10);
    cr_assert_eq(t[DD_CTR_CASES_NORMAL], 5);
    cr_assert_eq(t[DD_CTR_CASES_HIGH], 1);
    cr_assert_eq(t[DD_CTR_CASES_LOW], 1);
    cr_assert_eq(t[DD_CTR_POINTS_NORMAL], 52500000LL * 3 + 126000000 + 94500000);
    cr_assert_eq(t[DD_CTR_POINTS],
                 52500000LL * 3 + 126000000 + 94500000 + 73500000 + 21000000 + 52500000 +
                     105000000 + 45000000);
    cr_assert_eq(t[DD_CTR_GROUPED], 7);
    cr_assert_eq(t[DD_CTR_UNGROUPABLE], 1);
    /* CMI: 7 grouped scheme cases, Σ W = 0.5 x 5 + 1.2 + 0.9 = 4.6 */
    cr_assert_eq(t[DD_CTR_CMI_CASES], 7);
    cr_assert_eq(t[DD_CTR_CMI_WEIGHT], 46000);
}

Test(cases, special_cases)
{
    eligible_case(H2, "SP", "12000.00", "K80.100", "", "");
    expect_points("SP", DD_CAT_HIGH, 73500000, 1);
    simple("SPECIAL_CASE", "sp1", H2, "SP", "2025-03-20T09:00:00+08:00", ",\"status\":\"APPLIED\"");
    expect_points("SP", DD_CAT_HIGH, 73500000, 1); /* APPLIED keeps the computed points */
    simple("SPECIAL_CASE", "sp2", H2, "SP", "2025-03-21T09:00:00+08:00",
           ",\"status\":\"APPROVED\",\"points\":\"1234.5678\"");
    expect_points("SP", DD_CAT_SPECIAL, 12345678, 1); /* special counts in CMI */
    simple("SPECIAL_CASE", "sp3", H2, "SP", "2025-03-22T09:00:00+08:00",
           ",\"status\":\"APPROVED\",\"pay_as_ffs\":true");
    /* FFS formula with the hospital coefficient: 12000 / 7000 x 1.05 x 10000 = 18000.0000 */
    expect_points("SP", DD_CAT_SPECIAL, 180000000, 1);
    simple("SPECIAL_CASE", "sp4", H2, "SP", "2025-03-23T09:00:00+08:00", ",\"status\":\"REJECTED\"");
    expect_points("SP", DD_CAT_HIGH, 73500000, 1);
    const int64_t *t = totals(H2, MAR);
    cr_assert_eq(t[DD_CTR_SPECIAL_APPLIED], 1);
    cr_assert_eq(t[DD_CTR_SPECIAL_APPROVED], 0);
    cr_assert_eq(t[DD_CTR_SPECIAL_REJECTED], 1);
    cr_assert_eq(t[DD_CTR_POINTS_SPECIAL], 0);
    cr_assert_eq(t[DD_CTR_POINTS_HIGH], 73500000);
}

/* ---------------- deltas, retraction, dedup ---------------- */

Test(cases, correction_moves_month)
{
    eligible_case(H1, "M", "5000.00", "K80.100", "", "");
    const int64_t *mar = totals(H1, MAR);
    cr_assert_eq(mar[DD_CTR_POINTS], 50000000);
    /* corrected settlement: setl_time in April, new amounts */
    setl("M-S2", H1, "M", "2025-04-01T09:00:00+08:00", "2025-04-01T09:00:00+08:00", "2500.00",
         "2000.00", "500.00", "");
    mar = totals(H1, MAR); /* the table may have grown: look up again */
    for (int i = 0; i < DD_CTR__COUNT; i++)
        cr_assert_eq(mar[i], 0, "March %s = %lld", dd_counter_name(i), (long long)mar[i]);
    const int64_t *apr = totals(H1, APR);
    cr_assert_not_null(apr);
    /* list 2025-03-11 is before setl_time: not late */
    cr_assert_eq(apr[DD_CTR_ELIGIBLE], 1);
    cr_assert_eq(apr[DD_CTR_MEDFEE], 250000);
    cr_assert_eq(apr[DD_CTR_POINTS], 50000000); /* k = 0.5 exactly: NORMAL */
}

Test(cases, apply_then_reverse_is_all_zero)
{
    eligible_case(H1, "A", "5000.00", "K80.100", "", "");
    eligible_case(H1, "B", "12000.00", "K80.100", "\"51.2200\"", "");
    simple("SPECIAL_CASE", "sp", H1, "B", "2025-03-20T09:00:00+08:00",
           ",\"status\":\"APPROVED\",\"points\":\"99.0001\"");
    simple("SETTLEMENT_REVERSAL", "va", H1, "A", "2025-03-21T09:00:00+08:00", "");
    simple("SETTLEMENT_REVERSAL", "vb", H1, "B", "2025-03-21T09:00:00+08:00", "");
    const int64_t *t = totals(H1, MAR);
    for (int i = 0; i < DD_CTR__COUNT; i++)
        cr_assert_eq(t[i], i == DD_CTR_REVERSED ? 2 : 0, "%s = %lld", dd_counter_name(i),
                     (long long)t[i]);
}

Test(cases, resent_event_id_changes_nothing)
{
    eligible_case(H1, "A", "5000.00", "K80.100", "", "");
    int64_t before[DD_CTR__COUNT];
    memcpy(before, totals(H1, MAR), sizeof before);
    /* same id, different content: dropped */
    dd_ledger_outcome o = setl("A-S", H1, "A", "2025-03-30T09:00:00+08:00",
                               "2025-03-30T09:00:00+08:00", "9000.00", "1.00", "1.00", "");
    cr_assert_eq(o, DD_LEDGER_DUPLICATE);
    o = simple("SETTLEMENT_REVERSAL", "A-L", H1, "A", "2025-03-30T09:00:00+08:00", "");
    cr_assert_eq(o, DD_LEDGER_DUPLICATE);
    cr_assert_eq(memcmp(before, totals(H1, MAR), sizeof before), 0);
    cr_assert_eq(dd_ledger_get_stats(L)->duplicates, 2);
    /* a bad event does not claim its id */
    char bad[] = "{\"event_id\":\"NEW\",\"type\":\"RECONCILED\",\"event_time\":\"2025-03-30T09:00:00+08:00\","
                 "\"admdvs\":\"220400\",\"fixmedins_code\":\"H22040000009\",\"setl_id\":\"A\"}";
    dd_event_error e;
    cr_assert_eq(dd_ledger_apply_json(L, bad, strlen(bad), &e), DD_LEDGER_BAD);
    cr_assert_eq(e.reason, DD_BAD_UNKNOWN_HOSPITAL);
    o = simple("RECONCILED", "NEW", H1, "A", "2025-03-30T09:00:00+08:00", "");
    cr_assert_eq(o, DD_LEDGER_APPLIED);
    cr_assert_eq(memcmp(before, totals(H1, MAR), sizeof before), 0); /* sticky: no change */
}

Test(cases, order_independent)
{
    /* the same events in two orders give identical totals */
    char lines[8][1024];
    snprintf(lines[0], sizeof lines[0], SETL_FMT, "s1", "2025-03-10T09:00:00+08:00", H2, "X", "X",
             "2025-03-10T09:00:00+08:00", "12000.00", "9000.00", "3000.00", "");
    snprintf(lines[1], sizeof lines[1], SETL_FMT, "s2", "2025-03-15T09:00:00+08:00", H2, "X", "X",
             "2025-03-31T16:30:00Z", "2000.00", "1500.00", "500.00", ""); /* April in Shanghai */
    snprintf(lines[2], sizeof lines[2],
             "{\"event_id\":\"l1\",\"type\":\"SETTLEMENT_LIST\",\"event_time\":\"2025-03-11T09:00:00+08:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"%s\",\"setl_id\":\"X\",\"gend\":\"1\",\"age\":40,"
             "\"ipt_days\":10,\"dscg_way\":\"1\",\"main_dx\":\"K80.100\",\"procedures\":[\"51.2200\"]}",
             H2);
    snprintf(lines[3], sizeof lines[3],
             "{\"event_id\":\"l2\",\"type\":\"SETTLEMENT_LIST\",\"event_time\":\"2025-03-12T09:00:00+08:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"%s\",\"setl_id\":\"X\",\"gend\":\"1\",\"age\":40,"
             "\"ipt_days\":10,\"dscg_way\":\"2\",\"main_dx\":\"K80.100\",\"procedures\":[]}",
             H2);
    snprintf(lines[4], sizeof lines[4],
             "{\"event_id\":\"q1\",\"type\":\"QC_RESULT\",\"event_time\":\"2025-03-13T09:00:00+08:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"%s\",\"setl_id\":\"X\",\"passed\":true}",
             H2);
    snprintf(lines[5], sizeof lines[5],
             "{\"event_id\":\"r1\",\"type\":\"RECONCILED\",\"event_time\":\"2025-03-13T09:00:00+08:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"%s\",\"setl_id\":\"X\"}",
             H2);
    snprintf(lines[6], sizeof lines[6], SETL_FMT, "s3", "2025-03-10T09:00:00+08:00", H1, "Y", "Y",
             "2025-03-10T09:00:00+08:00", "1.00", "1.00", "0.00", "");
    snprintf(lines[7], sizeof lines[7],
             "{\"event_id\":\"v3\",\"type\":\"SETTLEMENT_REVERSAL\",\"event_time\":\"2025-03-09T09:00:00+08:00\","
             "\"admdvs\":\"220400\",\"fixmedins_code\":\"%s\",\"setl_id\":\"Y\"}",
             H1);
    static const int orders[3][8] = {
        {0, 1, 2, 3, 4, 5, 6, 7}, {7, 5, 3, 1, 6, 4, 2, 0}, {4, 2, 7, 1, 0, 6, 3, 5}};
    int64_t ref[4][DD_CTR__COUNT];
    for (int o = 0; o < 3; o++) {
        dd_ledger *l = dd_ledger_new(fx.ds);
        for (int i = 0; i < 8; i++) {
            dd_event_error e;
            const char *s = lines[orders[o][i]];
            cr_assert_eq(dd_ledger_apply_json(l, s, strlen(s), &e), DD_LEDGER_APPLIED, "%s: %s", s,
                         e.detail);
        }
        const int64_t *v[4] = {dd_ledger_totals(l, "220400", 310, MAR, H2),
                               dd_ledger_totals(l, "220400", 310, APR, H2),
                               dd_ledger_totals(l, "220400", 310, MAR, H1),
                               dd_ledger_totals(l, "220400", 310, APR, H1)};
        static const int64_t zero[DD_CTR__COUNT];
        for (int k = 0; k < 4; k++) {
            const int64_t *x = v[k] ? v[k] : zero;
            if (o == 0)
                memcpy(ref[k], x, sizeof ref[k]);
            else
                for (int i = 0; i < DD_CTR__COUNT; i++)
                    cr_assert_eq(x[i], ref[k][i], "order %d scope %d %s", o, k, dd_counter_name(i));
        }
        dd_ledger_destroy(l);
    }
    /* final state: April (16:30Z = 00:30 on 04-01 in Shanghai), list l2 (C0001,
     * transfer), k = 2000 / 5000 = 0.4: LOW 0.5 x 1.05 x 10000 x 0.4 = 2100.0000 */
    cr_assert_eq(ref[0][DD_CTR_SETTLED], 0);
    cr_assert_eq(ref[1][DD_CTR_ELIGIBLE], 1);
    cr_assert_eq(ref[1][DD_CTR_POINTS_LOW], 21000000);
    cr_assert_eq(ref[1][DD_CTR_TRANSFER_OUT], 1);
    cr_assert_eq(ref[2][DD_CTR_REVERSED], 1);
    cr_assert_eq(ref[2][DD_CTR_SETTLED], 0);
}

/* ---------------- budgets ---------------- */

static void budget(const char *id, const char *evt, int insutype, const char *month_member,
                   const char *amount)
{
    apply_to(L,
             "{\"event_id\":\"%s\",\"type\":\"BUDGET\",\"event_time\":\"%s\",\"admdvs\":\"220400\","
             "\"insutype\":\"%d\",\"year\":2025%s,\"amount\":\"%s\"}",
             id, evt, insutype, month_member, amount);
}

Test(cases, budgets_latest_monthly_else_yearly_twelfth)
{
    cr_assert_eq(dd_ledger_budget(L, "220400", 310, MAR), 0);
    budget("y1", "2024-12-01T00:00:00+08:00", 310, "", "1200000.00");
    cr_assert_eq(dd_ledger_budget(L, "220400", 310, MAR), 10000000);
    budget("y0", "2024-11-01T00:00:00+08:00", 310, "", "999.99"); /* older: ignored */
    cr_assert_eq(dd_ledger_budget(L, "220400", 310, MAR), 10000000);
    budget("y2", "2024-12-02T00:00:00+08:00", 310, "", "1000000.01"); /* /12 = 83333.334166 */
    cr_assert_eq(dd_ledger_budget(L, "220400", 310, MAR), 8333333);
    budget("y3", "2024-12-03T00:00:00+08:00", 310, "", "0.18"); /* 1.5 fen: half away -> 2 */
    cr_assert_eq(dd_ledger_budget(L, "220400", 310, MAR), 2);
    budget("m3", "2024-12-01T00:00:00+08:00", 310, ",\"month\":3", "50000.00");
    cr_assert_eq(dd_ledger_budget(L, "220400", 310, MAR), 5000000);
    cr_assert_eq(dd_ledger_budget(L, "220400", 310, APR), 2);
    cr_assert_eq(dd_ledger_budget(L, "220400", 390, MAR), 0);
    budget("m3b", "2024-12-01T00:00:00+08:00", 310, ",\"month\":3", "60000.00"); /* same time, later */
    cr_assert_eq(dd_ledger_budget(L, "220400", 310, MAR), 6000000);
}

/* ---------------- contribution purity, counter names ---------------- */

Test(cases, contribution_is_pure_and_memo_agrees)
{
    eligible_case(H2, "P", "12000.00", "K80.100", "\"51.2200\"", "");
    const dd_case *c = dd_ledger_case(L, "220400", H2, "P");
    dd_contrib a, b;
    dd_group_memo memo;
    memset(&memo, 0, sizeof memo);
    dd_case_contribution(fx.ds, c, NULL, &a);
    dd_case_contribution(fx.ds, c, &memo, &b);
    int64_t va[DD_CTR__COUNT], vb[DD_CTR__COUNT];
    dd_contrib_counters(&a, va);
    dd_contrib_counters(&b, vb);
    cr_assert_eq(memcmp(va, vb, sizeof va), 0);
    dd_case_contribution(fx.ds, c, &memo, &b); /* from the memo */
    dd_contrib_counters(&b, vb);
    cr_assert_eq(memcmp(va, vb, sizeof va), 0);
    cr_assert_eq(va[DD_CTR_POINTS], 126000000);
    cr_assert_eq(a.scope.month, MAR);
    cr_assert_str_eq(a.scope.fixmedins_code, H2);
    cr_assert_eq(a.scope.insutype, 310);
    dd_counter_kv kv[DD_CTR__COUNT];
    int n = dd_contrib_counters_sparse(&a, kv);
    int nz = 0;
    for (int i = 0; i < DD_CTR__COUNT; i++)
        nz += va[i] != 0;
    cr_assert_eq(n, nz);
}

Test(cases, counter_names_round_trip)
{
    cr_assert_str_eq(dd_counter_name(DD_CTR_SETTLED), "settled");
    cr_assert_str_eq(dd_counter_name(DD_CTR_FUND), "fund_amount");
    cr_assert_str_eq(dd_counter_name(DD_CTR_PENDING_LATE_LIST), "pending_late_list");
    for (int i = 0; i < DD_CTR__COUNT; i++) {
        const char *n = dd_counter_name((dd_counter)i);
        cr_assert_not_null(n);
        cr_assert_eq(dd_counter_parse(n, strlen(n)), i);
    }
    cr_assert_eq(dd_counter_parse("nope", 4), -1);
    cr_assert_str_eq(dd_pending_reason_name(DD_PENDING_NOT_RECONCILED), "NOT_RECONCILED");
}
