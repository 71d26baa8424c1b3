/*
 * 0036-alerts — SPEC §8 alert rules (core/dd_alert): for each alert type a
 * hand-built sequence of case changes where exactly that alert fires for the
 * intended hospital/region and nothing else; just at/below the threshold
 * nothing fires; minimum cases; one alert per id (repeat -> no second alert,
 * clears -> fires again with the next occurrence); policy alert.* keys; and
 * the golden replay stream (file order and shuffled orders: same active set).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "d_replay_helper.h"
#include "dd_alert.h"

#define HOSP "H22010100001"
#define HOSP2 "H22010100002"

static dd_datadir *DIR_;
static const dd_dataset *DS;

static void setup(void)
{
    char err[512];
    DIR_ = dd_datadir_open(D_GOLDEN "/data", err, sizeof err);
    cr_assert_not_null(DIR_, "%s", err);
    DS = dd_datadir_dataset(DIR_);
}

static void teardown(void)
{
    dd_datadir_close(DIR_);
}

/* ---- capture ---- */

typedef struct {
    dd_alert v[64];
    int n;
    int64_t month_budget_fen; /* every month, every region; 0 = none */
} cap;

static void on_emit(void *ctx, const dd_alert *a)
{
    cap *c = ctx;
    cr_assert_lt(c->n, 64, "too many alerts");
    c->v[c->n++] = *a;
}

static int64_t budget_fn(void *ctx, const char *admdvs, int insutype, int32_t month)
{
    (void)admdvs, (void)insutype, (void)month;
    return ((cap *)ctx)->month_budget_fen;
}

static dd_alerts *mk_alerts(const dd_dataset *ds, cap *c)
{
    char err[256];
    memset(c, 0, sizeof *c);
    dd_alerts *a = dd_alerts_new(ds, budget_fn, c, on_emit, c, err, sizeof err);
    cr_assert_not_null(a, "%s", err);
    return a;
}

/* ---- synthetic cases: a settled, listed, eligible, grouped NORMAL case ---- */

typedef struct {
    dd_case c;
    dd_contrib k;
} tcase;

static int64_t local_ms(int y, int m, int d)
{
    return ((int64_t)dd_days_from_civil(y, m, d) * 86400 + 10 * 3600 - 8 * 3600) * 1000;
}

static void mk(tcase *t, const char *hosp, int serial, int y, int m, int d)
{
    char id[32];
    snprintf(id, sizeof id, "S%s-%06d", hosp, serial);
    memset(t, 0, sizeof *t);
    dd_case_init(&t->c, "220100", hosp, id);
    t->c.setl.setl_time_ms = local_ms(y, m, d);
    t->c.setl.begndate = dd_days_from_civil(y, m, d) - 3;
    t->c.setl.enddate = dd_days_from_civil(y, m, d);
    t->c.setl.insutype = 310;
    dd_contrib *k = &t->k;
    k->in_scope = 1;
    memcpy(k->scope.admdvs, "220100", 7);
    k->scope.insutype = 310;
    k->scope.month = dd_time_month_make(y, m);
    snprintf(k->scope.fixmedins_code, sizeof k->scope.fixmedins_code, "%s", hosp);
    k->has_list = 1;
    k->grouped_by_scheme = 1;
    k->status = DD_GROUP_SUCCESS;
    k->grouped = 1;
    k->weight_e4 = 10000;
    k->severity = 5;
    k->has_points = 1;
    k->category = DD_CAT_NORMAL;
    k->points_e4 = 10000;
    k->eligible = 1;
    k->pending = DD_PENDING_NONE;
    k->paid = 1;
    k->paid_category = DD_CAT_NORMAL;
    k->paid_points_e4 = 10000;
    k->in_cmi = 1;
    k->dscg_way = 1;
    k->medfee_fen = 150000;
    k->fund_fen = 100000;
    k->psn_part_fen = 50000;
}

static const dd_contrib NONE_C; /* in_scope = 0 */

static void feed(dd_alerts *a, tcase *t)
{
    cr_assert_eq(dd_alerts_case_change(a, &t->c, &NONE_C, &t->k), 0);
}

static void feed_change(dd_alerts *a, tcase *t, const dd_contrib *old_k)
{
    cr_assert_eq(dd_alerts_case_change(a, &t->c, old_k, &t->k), 0);
}

/* n cases of one hospital/month, spread over days 1..28; `tweak(i, t)` shapes case i. */
typedef void (*tweak_fn)(int i, tcase *t, void *arg);

static void feed_month(dd_alerts *a, const char *hosp, int first_serial, int n, int y, int m,
                       tweak_fn tw, void *arg)
{
    for (int i = 0; i < n; i++) {
        tcase t;
        mk(&t, hosp, first_serial + i, y, m, 1 + i % 28);
        if (tw)
            tw(i, &t, arg);
        feed(a, &t);
        dd_case_free(&t.c);
    }
}

static void expect_only(const cap *c, const char *id, const char *type, const char *value,
                        const char *threshold)
{
    cr_assert_eq(c->n, 1, "expected exactly one alert (%s), got %d%s%s", id, c->n,
                 c->n ? ", first " : "", c->n ? c->v[0].alert_id : "");
    const dd_alert *al = &c->v[0];
    cr_expect_str_eq(al->alert_id, id);
    cr_expect_str_eq(dd_alert_type_name(al->type), type);
    cr_expect_str_eq(al->admdvs, "220100");
    cr_expect_str_eq(al->value, value);
    cr_expect_str_eq(al->threshold, threshold);
    cr_expect_eq(al->occurrence, 1);
    cr_expect_neq(al->explanation_zh[0], '\0');
    cr_expect_neq(al->explanation_en[0], '\0');
    cr_expect_not_null(al->metric);
}

/* ---- share rules ---- */

typedef struct {
    int n; /* the LAST n of `total` cases get the mark (rates only rise) */
    void (*mark)(tcase *t);
    int total;
} marker;

static void tw_mark(int i, tcase *t, void *arg)
{
    marker *m = arg;
    if (i >= m->total - m->n)
        m->mark(t);
}

static void mark_low(tcase *t)
{
    t->k.category = t->k.paid_category = DD_CAT_LOW;
}
static void mark_high(tcase *t)
{
    t->k.category = t->k.paid_category = DD_CAT_HIGH;
}
static void mark_special(tcase *t)
{
    t->k.special = DD_SPECIAL_APPLIED;
}
static void mark_ungroupable(tcase *t)
{
    t->k.grouped = 0;
    t->k.status = DD_GROUP_FAIL;
    t->k.category = t->k.paid_category = DD_CAT_UNGROUPABLE;
    t->k.in_cmi = 0;
}
static void mark_qc(tcase *t)
{
    t->k.qc_failed = 1;
    t->k.eligible = 0;
    t->k.paid = 0;
    t->k.pending = DD_PENDING_QC_FAILED;
    t->k.in_cmi = 0;
}
static void mark_late(tcase *t)
{
    t->k.late = 1;
    t->k.eligible = 0;
    t->k.paid = 0;
    t->k.pending = DD_PENDING_LATE_LIST;
    t->k.in_cmi = 0;
}
static void mark_transfer(tcase *t)
{
    t->k.dscg_way = 2;
}
static void mark_cc(tcase *t)
{
    t->k.severity = 3;
}

/* Run one share scenario: n cases, `marked` of them marked; returns alerts. */
static void share_case(cap *c, int n, int marked, void (*mark)(tcase *))
{
    dd_alerts *a = mk_alerts(DS, c);
    marker m = {marked, mark, n};
    feed_month(a, HOSP, 1, n, 2025, 3, tw_mark, &m);
    /* a quiet second hospital: never alerts */
    feed_month(a, HOSP2, 1, 40, 2025, 3, NULL, NULL);
    cr_assert_eq(dd_alerts_sweep(a), 0);
    dd_alerts_destroy(a);
}

TestSuite(alerts, .init = setup, .fini = teardown);

Test(alerts, low_standard_admission)
{
    cap c;
    share_case(&c, 30, 7, mark_low); /* 7/30 = 23.3 % > 20 % */
    expect_only(&c, "LOW_STANDARD_ADMISSION:220100:" HOSP ":2025-03", "LOW_STANDARD_ADMISSION",
                "0.233333", "0.200000");
    cr_expect_str_eq(c.v[0].fixmedins_code, HOSP);
    cr_expect_str_eq(c.v[0].period, "2025-03");
    cr_expect_eq(c.v[0].severity, DD_ALERT_WARN);
    cr_expect(strstr(c.v[0].explanation_en, "23.33%") && strstr(c.v[0].explanation_en, "7 of 30"),
              "%s", c.v[0].explanation_en);
    cr_expect(strstr(c.v[0].explanation_zh, "低倍率") != NULL, "%s", c.v[0].explanation_zh);
    share_case(&c, 30, 6, mark_low); /* exactly 20 %: not above */
    cr_expect_eq(c.n, 0);
    share_case(&c, 29, 7, mark_low); /* 24 % but 29 < 30 cases */
    cr_expect_eq(c.n, 0);
    share_case(&c, 30, 9, mark_low); /* 30 % -> CRITICAL (>= 0.30? no: strictly above) */
    cr_expect_eq(c.n, 1);
    cr_expect_eq(c.v[0].severity, DD_ALERT_WARN);
    share_case(&c, 30, 10, mark_low); /* 33 % > 30 % critical */
    cr_expect_eq(c.n, 1);
    cr_expect_eq(c.v[0].severity, DD_ALERT_CRITICAL);
}

Test(alerts, high_outlier_rate)
{
    cap c;
    share_case(&c, 30, 2, mark_high); /* 6.67 % > 5 % */
    expect_only(&c, "HIGH_OUTLIER_RATE:220100:" HOSP ":2025-03", "HIGH_OUTLIER_RATE", "0.066667",
                "0.050000");
    share_case(&c, 60, 3, mark_high); /* exactly 5 % */
    cr_expect_eq(c.n, 0);
    share_case(&c, 20, 5, mark_high); /* min cases */
    cr_expect_eq(c.n, 0);
}

Test(alerts, special_case_quota)
{
    cap c;
    share_case(&c, 30, 1, mark_special); /* 3.33 % > 3 % (policy special_case.quota) */
    expect_only(&c, "SPECIAL_CASE_QUOTA:220100:" HOSP ":2025-03", "SPECIAL_CASE_QUOTA", "0.033333",
                "0.030000");
    share_case(&c, 34, 1, mark_special); /* 2.94 % */
    cr_expect_eq(c.n, 0);
    share_case(&c, 100, 3, mark_special); /* exactly 3 % */
    cr_expect_eq(c.n, 0);
}

Test(alerts, grouping_rate_low)
{
    cap c;
    share_case(&c, 30, 4, mark_ungroupable); /* 26/30 = 86.7 % < 90 % */
    expect_only(&c, "GROUPING_RATE_LOW:220100:" HOSP ":2025-03", "GROUPING_RATE_LOW", "0.866667",
                "0.900000");
    share_case(&c, 30, 3, mark_ungroupable); /* exactly 90 % */
    cr_expect_eq(c.n, 0);
    share_case(&c, 29, 10, mark_ungroupable);
    cr_expect_eq(c.n, 0);
}

Test(alerts, qc_failure_rate)
{
    cap c;
    share_case(&c, 30, 4, mark_qc); /* 13.3 % > 10 % */
    expect_only(&c, "QC_FAILURE_RATE:220100:" HOSP ":2025-03", "QC_FAILURE_RATE", "0.133333",
                "0.100000");
    share_case(&c, 30, 3, mark_qc); /* exactly 10 % */
    cr_expect_eq(c.n, 0);
}

Test(alerts, late_list)
{
    cap c;
    share_case(&c, 30, 2, mark_late); /* 6.67 % > 5 % */
    expect_only(&c, "LATE_LIST:220100:" HOSP ":2025-03", "LATE_LIST", "0.066667", "0.050000");
    share_case(&c, 40, 2, mark_late); /* exactly 5 % */
    cr_expect_eq(c.n, 0);
    share_case(&c, 29, 2, mark_late);
    cr_expect_eq(c.n, 0);
}

/* ---- trailing rules ---- */

static void tw_weight(int i, tcase *t, void *arg)
{
    (void)i;
    t->k.weight_e4 = *(int64_t *)arg;
}

static void cmi_case(cap *c, int64_t march_weight, int march_n)
{
    dd_alerts *a = mk_alerts(DS, c);
    int64_t w1 = 10000;
    feed_month(a, HOSP, 1, 30, 2025, 1, tw_weight, &w1);
    feed_month(a, HOSP, 100, 30, 2025, 2, tw_weight, &w1);
    feed_month(a, HOSP, 200, march_n, 2025, 3, tw_weight, &march_weight);
    cr_assert_eq(dd_alerts_sweep(a), 0);
    dd_alerts_destroy(a);
}

Test(alerts, cmi_jump)
{
    cap c;
    cmi_case(&c, 12000, 30); /* 1.2 > 1.15 x 1.0 */
    expect_only(&c, "CMI_JUMP:220100:" HOSP ":2025-03", "CMI_JUMP", "1.200000", "1.150000");
    cr_expect(strstr(c.v[0].explanation_en, "CMI 1.2000") != NULL, "%s", c.v[0].explanation_en);
    cmi_case(&c, 11500, 30); /* exactly 1.15 */
    cr_expect_eq(c.n, 0);
    cmi_case(&c, 20000, 29); /* min cases */
    cr_expect_eq(c.n, 0);
}

static void share_trailing(cap *c, int feb_marked, int mar_marked, void (*mark)(tcase *))
{
    dd_alerts *a = mk_alerts(DS, c);
    marker f = {feb_marked, mark, 30}, m = {mar_marked, mark, 30};
    feed_month(a, HOSP, 1, 30, 2025, 2, tw_mark, &f);
    feed_month(a, HOSP, 100, 30, 2025, 3, tw_mark, &m);
    cr_assert_eq(dd_alerts_sweep(a), 0);
    dd_alerts_destroy(a);
}

Test(alerts, cc_mcc_share_jump)
{
    cap c;
    share_trailing(&c, 3, 6, mark_cc); /* 10 % -> 20 %: up exactly 10 points (inclusive) */
    expect_only(&c, "CC_MCC_SHARE_JUMP:220100:" HOSP ":2025-03", "CC_MCC_SHARE_JUMP", "0.200000",
                "0.200000");
    share_trailing(&c, 3, 5, mark_cc); /* up 6.7 points */
    cr_expect_eq(c.n, 0);
}

Test(alerts, transfer_out_rate)
{
    cap c;
    share_trailing(&c, 1, 3, mark_transfer); /* 10 % > 2 x 3.33 % */
    expect_only(&c, "TRANSFER_OUT_RATE:220100:" HOSP ":2025-03", "TRANSFER_OUT_RATE", "0.100000",
                "0.066667");
    share_trailing(&c, 1, 2, mark_transfer); /* exactly 2 x */
    cr_expect_eq(c.n, 0);
}

/* ---- split admission ---- */

static void stay(tcase *t, const char *hosp, int serial, const char *psn, int y, int m, int beg_d,
                 int end_d)
{
    mk(t, hosp, serial, y, m, end_d);
    t->c.setl.begndate = dd_days_from_civil(y, m, beg_d);
    snprintf(t->c.setl.psn, sizeof t->c.setl.psn, "%s", psn);
}

Test(alerts, split_admission)
{
    cap c;
    dd_alerts *a = mk_alerts(DS, &c);
    tcase s1, s2, s3, s4;
    stay(&s1, HOSP, 1, "00000000000000aa", 2025, 3, 1, 5);
    stay(&s2, HOSP, 2, "00000000000000aa", 2025, 3, 20, 25); /* 15 days after: readmission */
    stay(&s3, HOSP2, 3, "00000000000000aa", 2025, 3, 6, 8);  /* other hospital: not linked */
    stay(&s4, HOSP, 4, "00000000000000bb", 2025, 3, 21, 22); /* other person */
    feed(a, &s2); /* out of order: the later stay first */
    feed(a, &s3);
    feed(a, &s4);
    cr_expect_eq(c.n, 0);
    feed(a, &s1);
    expect_only(&c, "SPLIT_ADMISSION:220100:" HOSP ":2025-03", "SPLIT_ADMISSION", "1", "1");
    /* reversal of the first stay: no readmission any more -> cleared */
    dd_contrib old = s1.k;
    s1.k.reversed = 1;
    feed_change(a, &s1, &old);
    cr_expect_eq(dd_alerts_active_count(a), 0);
    /* a new first stay 16 days before: not a readmission */
    tcase s5;
    stay(&s5, HOSP, 5, "00000000000000aa", 2025, 3, 1, 4);
    feed(a, &s5);
    cr_expect_eq(c.n, 1);
    /* correction moves its discharge to day 5: fires again, occurrence 2 */
    old = s5.k;
    s5.c.setl.enddate = dd_days_from_civil(2025, 3, 5);
    feed_change(a, &s5, &old);
    cr_assert_eq(c.n, 2);
    cr_expect_str_eq(c.v[1].alert_id, "SPLIT_ADMISSION:220100:" HOSP ":2025-03");
    cr_expect_eq(c.v[1].occurrence, 2);
    cr_expect_eq(dd_alerts_sweep(a), 0);
    cr_expect_eq(c.n, 2);
    cr_expect_eq(dd_alerts_active_count(a), 1);
    dd_case_free(&s1.c);
    dd_case_free(&s2.c);
    dd_case_free(&s3.c);
    dd_case_free(&s4.c);
    dd_case_free(&s5.c);
    dd_alerts_destroy(a);
}

/* ---- volume spike ---- */

static void volume_case(cap *c, int base, int spike, int first_day_feb)
{
    dd_alerts *a = mk_alerts(DS, c);
    int serial = 1;
    /* base cases per day from Feb first_day_feb .. Mar 1 */
    for (int32_t d = dd_days_from_civil(2025, 2, first_day_feb); d <= dd_days_from_civil(2025, 3, 1);
         d++) {
        int y, m, dd;
        dd_civil_from_days(d, &y, &m, &dd);
        for (int i = 0; i < base; i++) {
            tcase t;
            mk(&t, HOSP, serial++, y, m, dd);
            feed(a, &t);
            dd_case_free(&t.c);
        }
    }
    for (int i = 0; i < spike; i++) {
        tcase t;
        mk(&t, HOSP, serial++, 2025, 3, 2);
        feed(a, &t);
        dd_case_free(&t.c);
    }
    cr_assert_eq(dd_alerts_sweep(a), 0);
    dd_alerts_destroy(a);
}

Test(alerts, volume_spike)
{
    cap c;
    volume_case(&c, 10, 21, 2); /* 21 > 2 x 10 and >= 20 */
    expect_only(&c, "VOLUME_SPIKE:220100:" HOSP ":2025-03-02", "VOLUME_SPIKE", "21", "20.00");
    volume_case(&c, 10, 20, 2); /* exactly 2 x mean */
    cr_expect_eq(c.n, 0);
    volume_case(&c, 1, 19, 2); /* > 2 x mean but < 20 cases */
    cr_expect_eq(c.n, 0);
    volume_case(&c, 1, 20, 2); /* 20 >= 20 and > 2 */
    cr_expect_eq(c.n, 1);
    cr_expect_eq(c.v[0].severity, DD_ALERT_CRITICAL);
    volume_case(&c, 10, 40, 3); /* window not covered (history starts Feb 3) */
    cr_expect_eq(c.n, 0);
}

/* ---- region rules ---- */

static void pvd_case(cap *c, int march_n)
{
    dd_alerts *a = mk_alerts(DS, c);
    c->month_budget_fen = 100000000; /* 1,000,000.00 a month */
    feed_month(a, HOSP, 1, 30, 2024, 3, NULL, NULL);   /* 30 points last year */
    feed_month(a, HOSP, 100, march_n, 2025, 3, NULL, NULL);
    cr_assert_eq(dd_alerts_sweep(a), 0);
    dd_alerts_destroy(a);
}

Test(alerts, point_value_drop)
{
    cap c;
    pvd_case(&c, 34); /* live 1e6/34 < 0.9 x 1e6/30 */
    expect_only(&c, "POINT_VALUE_DROP:220100:310:2025-03", "POINT_VALUE_DROP", "29411.764706",
                "30000.000000");
    cr_expect_eq(c.v[0].insutype, 310);
    cr_expect_str_eq(c.v[0].fixmedins_code, "");
    pvd_case(&c, 33); /* 30/33 = 0.909 */
    cr_expect_eq(c.n, 0);
}

typedef struct {
    int64_t fund;
    int m, d;
} fund_arg;

static void tw_fund(int i, tcase *t, void *arg)
{
    fund_arg *f = arg;
    (void)i;
    t->k.fund_fen = f->fund;
    t->c.setl.setl_time_ms = local_ms(2025, f->m, f->d);
    t->k.scope.month = dd_time_month_make(2025, f->m);
}

static void burn_case_at(cap *c, int64_t fund_each, int m, int d)
{
    dd_alerts *a = mk_alerts(DS, c);
    c->month_budget_fen = 10000000; /* 100,000.00 a month, 1.2 M a year */
    fund_arg f = {fund_each, m, d};
    feed_month(a, HOSP, 1, 10, 2025, m, tw_fund, &f);
    cr_assert_eq(dd_alerts_sweep(a), 0);
    dd_alerts_destroy(a);
}

static void burn_case(cap *c, int64_t fund_each)
{
    burn_case_at(c, fund_each, 3, 31);
}

Test(alerts, budget_burn)
{
    cap c;
    /* as of 2025-03-31 (day 90): 1.2 M x 90/365 x 1.10 = 325479.45 */
    burn_case(&c, 3300000); /* 330000.00 */
    expect_only(&c, "BUDGET_BURN:220100:310:2025", "BUDGET_BURN", "330000.00", "325479.45");
    cr_expect(strstr(c.v[0].explanation_en, "2025-03-31") != NULL, "%s", c.v[0].explanation_en);
    burn_case(&c, 3250000); /* 325000.00 */
    cr_expect_eq(c.n, 0);
    /* min_days (30): far above the prorated budget on day 29, nothing yet */
    burn_case_at(&c, 10000000, 1, 29);
    cr_expect_eq(c.n, 0);
    burn_case_at(&c, 10000000, 1, 30); /* fires at the 2nd case: 200,000 > 1.2 M x 30/365 x 1.1 */
    expect_only(&c, "BUDGET_BURN:220100:310:2025", "BUDGET_BURN", "200000.00", "108493.15");
    cr_expect_eq(c.v[0].severity, DD_ALERT_CRITICAL);
}

/* ---- one alert per id ---- */

Test(alerts, one_alert_per_id_then_clear_and_refire)
{
    cap c;
    dd_alerts *a = mk_alerts(DS, &c);
    marker m = {7, mark_low, 30};
    feed_month(a, HOSP, 1, 30, 2025, 3, tw_mark, &m); /* 7/30 fires */
    cr_assert_eq(c.n, 1);
    marker m2 = {3, mark_low, 3};
    feed_month(a, HOSP, 100, 3, 2025, 3, tw_mark, &m2); /* 10/33: still above, no repeat */
    cr_expect_eq(c.n, 1);
    cr_expect_eq(dd_alerts_sweep(a), 0);
    cr_expect_eq(c.n, 1);
    feed_month(a, HOSP, 200, 20, 2025, 3, NULL, NULL); /* 10/53 = 18.9 %: cleared */
    cr_expect_eq(c.n, 1);
    cr_expect_eq(dd_alerts_active_count(a), 0);
    marker m3 = {2, mark_low, 2};
    feed_month(a, HOSP, 300, 2, 2025, 3, tw_mark, &m3); /* 11/54 = 20.4 %: fires again */
    cr_assert_eq(c.n, 2);
    cr_expect_str_eq(c.v[1].alert_id, c.v[0].alert_id);
    cr_expect_eq(c.v[1].occurrence, 2);
    cr_expect_str_eq(c.v[1].value, "0.203704");
    int active = 0, occ = 0;
    cr_assert_eq(dd_alerts_state_count(a), 1);
    cr_expect_str_eq(dd_alerts_state_at(a, 0, &active, &occ),
                     "LOW_STANDARD_ADMISSION:220100:" HOSP ":2025-03");
    cr_expect_eq(active, 1);
    cr_expect_eq(occ, 2);
    dd_alerts_destroy(a);
}

/* ---- policy keys ---- */

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f, "%s", p);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void copy_file(const char *dir, const char *name, const char *extra)
{
    char src[512], err[256];
    snprintf(src, sizeof src, "%s/data/%s", D_GOLDEN, name);
    size_t len;
    char *t = dd_file_read(src, &len, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    if (extra) {
        size_t el = strlen(extra);
        t = realloc(t, len + el + 1);
        memcpy(t + len, extra, el + 1);
        len += el;
    }
    write_file(dir, name, t, len);
    free(t);
}

static dd_datadir *policy_dir(char *dir, size_t cap_, const char *extra)
{
    snprintf(dir, cap_, "/tmp/dd-0036-%ld", (long)getpid());
    char p[600];
    mkdir(dir, 0700);
    snprintf(p, sizeof p, "%s/policy", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/drg", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/dip", dir);
    mkdir(p, 0700);
    copy_file(dir, "regions.csv", NULL);
    copy_file(dir, "hospitals.csv", NULL);
    copy_file(dir, "drg/220100.csv", NULL);
    copy_file(dir, "dip/220400.csv", NULL);
    copy_file(dir, "policy/220400.conf", NULL);
    copy_file(dir, "policy/220100.conf", extra);
    char err[512];
    dd_datadir *d = dd_datadir_open(dir, err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    return d;
}

static void rm_dir(const char *dir)
{
    static const char *const files[] = {"regions.csv", "hospitals.csv", "drg/220100.csv",
                                        "dip/220400.csv", "policy/220400.conf",
                                        "policy/220100.conf", "drg", "dip", "policy"};
    char p[600];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        remove(p);
    }
    remove(dir);
}

Test(alerts, policy_keys)
{
    char dir[256];
    dd_datadir *d = policy_dir(dir, sizeof dir,
                               "alert.min_cases = 10\n"
                               "alert.LOW_STANDARD_ADMISSION.threshold = 0.5\n"
                               "alert.LOW_STANDARD_ADMISSION.critical = 0.9\n"
                               "alert.LATE_LIST.enabled = false\n");
    const dd_dataset *ds = dd_datadir_dataset(d);
    cap c;
    dd_alerts *a = mk_alerts(ds, &c);
    marker low = {5, mark_low, 10};
    feed_month(a, HOSP, 1, 10, 2025, 3, tw_mark, &low); /* 5/10 = 50 %: not above 0.5 */
    cr_expect_eq(c.n, 0);
    marker late = {10, mark_late, 10};
    feed_month(a, HOSP2, 1, 10, 2025, 3, tw_mark, &late); /* LATE_LIST disabled */
    cr_expect_eq(c.n, 0);
    marker low1 = {1, mark_low, 1};
    feed_month(a, HOSP, 100, 1, 2025, 3, tw_mark, &low1); /* 6/11 */
    expect_only(&c, "LOW_STANDARD_ADMISSION:220100:" HOSP ":2025-03", "LOW_STANDARD_ADMISSION",
                "0.545455", "0.500000");
    cr_expect_eq(c.v[0].severity, DD_ALERT_WARN);
    dd_alerts_destroy(a);
    dd_datadir_close(d);
    rm_dir(dir);

    d = policy_dir(dir, sizeof dir, "alert.LOW_STANDARD_ADMISSION.treshold = 0.5\n");
    char err[256] = "";
    a = dd_alerts_new(dd_datadir_dataset(d), NULL, NULL, NULL, NULL, err, sizeof err);
    cr_expect_null(a);
    cr_expect_str_eq(err, "policy 220100: unknown alert key 'alert.LOW_STANDARD_ADMISSION.treshold'");
    dd_datadir_close(d);
    rm_dir(dir);

    d = policy_dir(dir, sizeof dir, "alert.VOLUME_SPIKE.min_count = many\n");
    a = dd_alerts_new(dd_datadir_dataset(d), NULL, NULL, NULL, NULL, err, sizeof err);
    cr_expect_null(a);
    cr_expect_str_eq(err, "policy 220100: alert.VOLUME_SPIKE.min_count: bad value 'many'");
    dd_datadir_close(d);
    rm_dir(dir);
}

/* ---- the golden replay stream ---- */

#define GOLDEN_ACTIVE                                                                              \
    "GROUPING_RATE_LOW:220100:H22010100005:2025-03\n"                                              \
    "HIGH_OUTLIER_RATE:220100:H22010100001:2025-03\n"                                              \
    "HIGH_OUTLIER_RATE:220100:H22010100004:2025-03\n"                                              \
    "HIGH_OUTLIER_RATE:220400:H22040000001:2025-03\n"                                              \
    "HIGH_OUTLIER_RATE:220400:H22040000003:2025-03\n"                                              \
    "LATE_LIST:220100:H22010100006:2025-03\n"                                                      \
    "LATE_LIST:220400:H22040000005:2025-03\n"                                                      \
    "QC_FAILURE_RATE:220100:H22010100003:2025-03\n"                                                \
    "QC_FAILURE_RATE:220100:H22010100005:2025-03\n"                                                \
    "SPECIAL_CASE_QUOTA:220400:H22040000005:2025-03\n"

typedef struct {
    dd_alerts *al;
    dd_ledger *l;
    int emitted;
    char first[96];
    int by_type[DD_ALERT__COUNT];
} gctx;

static void g_emit(void *ctx, const dd_alert *a)
{
    gctx *g = ctx;
    if (!g->emitted++)
        snprintf(g->first, sizeof g->first, "%s", a->alert_id);
    g->by_type[a->type]++;
    cr_expect_neq(a->explanation_en[0], '\0');
    cr_expect_neq(a->explanation_zh[0], '\0');
}

static int64_t g_budget(void *ctx, const char *admdvs, int insutype, int32_t month)
{
    return dd_ledger_budget(((gctx *)ctx)->l, admdvs, insutype, month);
}

static void g_obs(void *ctx, const dd_case *c, const dd_contrib *o, const dd_contrib *n)
{
    cr_assert_eq(dd_alerts_case_change(((gctx *)ctx)->al, c, o, n), 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Replays the stream in `order` (NULL = file order); returns the sorted
 * active ids joined by '\n' (malloc'd). */
static char *golden_run(const d_lines *L, const size_t *order, gctx *g)
{
    char err[256];
    memset(g, 0, sizeof *g);
    g->l = dd_ledger_new(DS);
    cr_assert_not_null(g->l);
    g->al = dd_alerts_new(DS, g_budget, g, g_emit, g, err, sizeof err);
    cr_assert_not_null(g->al, "%s", err);
    dd_ledger_set_case_observer(g->l, g_obs, g);
    dd_json_doc *doc = dd_json_doc_new();
    dd_event *ev = malloc(sizeof *ev);
    cr_assert(doc && ev);
    for (size_t i = 0; i < L->n; i++) {
        size_t k = order ? order[i] : i;
        dd_event_error e;
        if (dd_event_from_json(ev, doc, L->text + L->start[k], L->end[k] - L->start[k], &e))
            continue;
        dd_ledger_outcome o = dd_ledger_apply_event(g->l, ev, &e);
        cr_assert_neq(o, DD_LEDGER_ERROR);
        if (o == DD_LEDGER_APPLIED && ev->type == DD_EV_BUDGET)
            cr_assert_eq(dd_alerts_budget_changed(g->al, ev->admdvs, ev->insutype, ev->year), 0);
    }
    cr_assert_eq(dd_alerts_sweep(g->al), 0);
    int n = dd_alerts_state_count(g->al), k = 0;
    const char **ids = malloc(sizeof(char *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        int act;
        const char *id = dd_alerts_state_at(g->al, i, &act, NULL);
        if (act)
            ids[k++] = id;
    }
    qsort(ids, (size_t)k, sizeof *ids, cmp_str);
    size_t cap_ = 1;
    for (int i = 0; i < k; i++)
        cap_ += strlen(ids[i]) + 1;
    char *out = calloc(cap_, 1);
    for (int i = 0; i < k; i++) {
        strcat(out, ids[i]);
        strcat(out, "\n");
    }
    free(ids);
    free(ev);
    dd_json_doc_destroy(doc);
    dd_alerts_destroy(g->al);
    dd_ledger_destroy(g->l);
    return out;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

Test(alerts, golden_stream)
{
    d_lines L;
    char err[256];
    cr_assert_eq(d_lines_read(&L, D_GOLDEN "/stream.jsonl", err, sizeof err), 0, "%s", err);
    gctx g;
    char *active = golden_run(&L, NULL, &g);
    /* 800 cases over 12 hospitals (about 67 each) in March 2025, a few on
     * 28 Feb: only the monthly rate rules can reach 30 cases; no trailing
     * months (CMI, CC/MCC, transfer), no planned point value (no policy
     * figure, no 2024 data), budgets far from burnt, no readmissions, no
     * 28-day history (VOLUME_SPIKE). Early in the month some rates hover
     * around their thresholds at 30-50 cases, so a few ids fire, clear and
     * fire again (occurrence 2, 3): 36 emissions, 10 active at the end. */
    cr_expect_eq(g.emitted, 36);
    cr_expect_str_eq(g.first, "SPECIAL_CASE_QUOTA:220400:H22040000005:2025-03");
    cr_expect_eq(g.by_type[DD_ALERT_SPECIAL_CASE_QUOTA], 7);
    cr_expect_eq(g.by_type[DD_ALERT_HIGH_OUTLIER_RATE], 9);
    cr_expect_eq(g.by_type[DD_ALERT_QC_FAILURE_RATE], 6);
    cr_expect_eq(g.by_type[DD_ALERT_LATE_LIST], 7);
    cr_expect_eq(g.by_type[DD_ALERT_GROUPING_RATE_LOW], 7);
    cr_expect_eq(g.by_type[DD_ALERT_POINT_VALUE_DROP] + g.by_type[DD_ALERT_BUDGET_BURN] +
                     g.by_type[DD_ALERT_VOLUME_SPIKE] + g.by_type[DD_ALERT_CMI_JUMP] +
                     g.by_type[DD_ALERT_CC_MCC_SHARE_JUMP] + g.by_type[DD_ALERT_SPLIT_ADMISSION] +
                     g.by_type[DD_ALERT_LOW_STANDARD_ADMISSION] +
                     g.by_type[DD_ALERT_TRANSFER_OUT_RATE],
                 0);
    cr_expect_str_eq(active, GOLDEN_ACTIVE);

    /* reversed and shuffled orders: same active set after the sweep */
    size_t *order = malloc(L.n * sizeof *order);
    static const uint64_t seeds[] = {0, 7, 20250310};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        for (size_t i = 0; i < L.n; i++)
            order[i] = s == 0 ? L.n - 1 - i : i;
        uint64_t st = seeds[s];
        for (size_t i = L.n - 1; s && i > 0; i--) {
            size_t j = (size_t)(rng_next(&st) % (i + 1));
            size_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        gctx g2;
        char *act2 = golden_run(&L, order, &g2);
        cr_expect_str_eq(act2, active, "order %zu", s);
        free(act2);
    }
    free(order);
    free(active);
    d_lines_free(&L);
}

/* ---- the CLI: drgdip replay --alerts ---- */

Test(alerts, cli_replay_alerts)
{
    const char *cmd = DD_DRGDIP_BIN " replay --alerts --quiet --events " D_GOLDEN
                                    "/stream.jsonl --data " D_GOLDEN "/data 2>/dev/null";
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, p)) {
        if (n++ == 0)
            cr_expect(!strncmp(line,
                               "{\"alert_id\":\"SPECIAL_CASE_QUOTA:220400:H22040000005:2025-03\","
                               "\"occurrence\":1,\"type\":\"SPECIAL_CASE_QUOTA\",\"severity\":"
                               "\"CRITICAL\",\"admdvs\":\"220400\",\"fixmedins_code\":"
                               "\"H22040000005\",\"period\":\"2025-03\",\"metric\":"
                               "\"special_case_share\",\"value\":\"0.066667\",\"threshold\":"
                               "\"0.030000\",\"explanation\":{\"zh\":\"",
                               strlen("{\"alert_id\":\"SPECIAL_CASE_QUOTA:220400:H22040000005:2025-03\","
                                      "\"occurrence\":1,\"type\":\"SPECIAL_CASE_QUOTA\",\"severity\":"
                                      "\"CRITICAL\",\"admdvs\":\"220400\",\"fixmedins_code\":"
                                      "\"H22040000005\",\"period\":\"2025-03\",\"metric\":"
                                      "\"special_case_share\",\"value\":\"0.066667\",\"threshold\":"
                                      "\"0.030000\",\"explanation\":{\"zh\":\"")),
                      "%s", line);
        cr_expect_eq(line[strlen(line) - 1], '\n');
    }
    cr_expect_eq(pclose(p), 0);
    cr_expect_eq(n, 36);
    /* usage error: --alerts without --events */
    cr_expect_eq(system(DD_DRGDIP_BIN " replay --alerts 2>/dev/null >/dev/null"), 2 << 8);
}

Test(alerts, point_value_drop_planned_from_policy)
{
    char dir[256];
    dd_datadir *d = policy_dir(dir, sizeof dir, "planned_point_value = 30000\n");
    for (int n = 37; n <= 38; n++) {
        cap c;
        dd_alerts *a = mk_alerts(dd_datadir_dataset(d), &c);
        c.month_budget_fen = 100000000; /* 1,000,000.00 / n points vs 0.9 x 30000 */
        feed_month(a, HOSP, 1, n, 2025, 3, NULL, NULL);
        cr_assert_eq(dd_alerts_sweep(a), 0);
        if (n == 37) {
            cr_expect_eq(c.n, 0); /* 27027.03 */
        } else {
            expect_only(&c, "POINT_VALUE_DROP:220100:310:2025-03", "POINT_VALUE_DROP",
                        "26315.789474", "27000.000000");
            cr_expect(strstr(c.v[0].explanation_en, "planned point value 30000.000000") != NULL,
                      "%s", c.v[0].explanation_en);
            cr_expect(strstr(c.v[0].explanation_zh, "计划点值") != NULL, "%s", c.v[0].explanation_zh);
        }
        dd_alerts_destroy(a);
    }
    dd_datadir_close(d);
    rm_dir(dir);
}
