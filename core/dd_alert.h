/*
 * dd_alert — incremental monitoring alerts (SPEC §8, §9 `alert.*`). Pure: no
 * I/O, no clock; time is only the data's own (setl_time, list dates, months).
 *
 * FEED. The evaluator is fed every case change (old and new dd_contrib plus
 * the case: the ledger's case observer has exactly this shape), budget
 * changes (dd_alerts_budget_changed) and, at the end of a replay or on a
 * timer, dd_alerts_sweep(). Budgets are read through a caller callback
 * (the ledger's dd_ledger_budget in `drgdip replay --alerts`).
 * Fired alerts go to an emit callback, synchronously, in the order below.
 *
 * STATE kept (all from contribution deltas, so corrections/reversals retract
 * exactly):
 * - hospital x month (both insurance types together): the dd_case counters
 *   plus the count of split admissions (month of the readmission's
 *   setl_time);
 * - hospital x day (Asia/Shanghai local date of setl_time): settled,
 *   non-reversed cases;
 * - region x insutype x month: the dd_case counters (points, eligible,
 *   fund_settled ...); region x insutype x year: counted cases per local
 *   setl day of the year (its latest day is the BUDGET_BURN as-of date);
 * - per case: what was counted (day, person key, begndate/enddate, month);
 *   per (hospital, pseudonymised person): its stays, for SPLIT_ADMISSION.
 *
 * RULES (defaults; thresholds exact: rationals from integers, never double).
 * "min" = min_cases (policy `alert.min_cases`, default 30, per rule
 * `alert.<NAME>.min_cases`), applied to the rate's denominator (and to the
 * trailing window's denominator for the trailing rules). Trailing months are
 * m-1..m-months (default 3), pooled (Σ numerators ÷ Σ denominators).
 *   POINT_VALUE_DROP  region, insutype, month. live = month budget ÷ paid
 *       (eligible) points; planned = policy `planned_point_value`, else the
 *       month budget ÷ paid points of the same month a year before (from
 *       this evaluator's data). Fires when live < 0.90 x planned; needs
 *       budget > 0, points > 0, eligible cases >= min.
 *   BUDGET_BURN  region, insutype, year (period "YYYY"). as-of = latest local
 *       setl date of a settled case of that year; elapsed = day of year of
 *       as-of (1-based) ÷ days in the year; year budget = Σ month budgets
 *       1..12 (callback). Fires when Σ fund_pay_sumamt of settled cases of
 *       the year > year budget x elapsed x 1.10 (value/threshold in yuan);
 *       only from day `min_days` (default 30) of the year on (before, a few
 *       days' payments against a few 365ths of the budget is noise).
 *   VOLUME_SPIKE  hospital, day (period "YYYY-MM-DD"). Fires when cases(d)
 *       > 2 x (Σ cases(d-28..d-1) ÷ 28) and cases(d) >= 20 (`min_count`);
 *       only when the window is covered: the hospital's earliest day with a
 *       counted case is <= d-28 (no alert storm when a stream starts).
 *   CMI_JUMP  hospital, month. CMI here = Σ weight ÷ grouped cases over ALL
 *       grouped cases (eligible or not: an early coding signal; the snapshot
 *       CMI of SPEC §11 counts eligible cases only). Fires when CMI(m) >
 *       1.15 x trailing CMI; min on grouped(m) and trailing grouped.
 *   CC_MCC_SHARE_JUMP  hospital, month: (MCC+CC)/grouped (DRG severities)
 *       of m minus the trailing share >= 0.10 (inclusive).
 *   SPLIT_ADMISSION  hospital, month: stays of one person at one hospital
 *       whose begndate - the enddate of an earlier stay (enddate <= begndate;
 *       ties by begndate, setl_id) is <= 15 days (`days`); counted in the
 *       month of the readmission; fires when the count >= 1 (`threshold`).
 *       No min cases. Cases without psn_no are not linked.
 *   LOW_STANDARD_ADMISSION  hospital, month: LOW-category / grouped > 0.20.
 *   HIGH_OUTLIER_RATE       hospital, month: HIGH-category / grouped > 0.05.
 *   TRANSFER_OUT_RATE  hospital, month: dscg_way=2 / lists > 2 x trailing
 *       share (trailing 0 and any transfer fires).
 *   SPECIAL_CASE_QUOTA  hospital, month: special cases applied (any
 *       decision) / settled > policy special_case.quota (or `threshold`).
 *   GROUPING_RATE_LOW  hospital, month: grouped / (grouped + ungroupable
 *       scheme cases) < 0.90.
 *   QC_FAILURE_RATE  hospital, month: failed latest QC / lists > 0.10.
 *   LATE_LIST        hospital, month: late lists / lists > 0.05.
 * Policy keys: alert.min_cases; alert.<NAME>.enabled (true|false),
 * .threshold, .critical, .min_cases; VOLUME_SPIKE .min_count, .window_days;
 * SPLIT_ADMISSION .days, .ttl_days (stream only: stays kept for linking, default
 * 90); BUDGET_BURN .min_days; CMI_JUMP /
 * CC_MCC_SHARE_JUMP / TRANSFER_OUT_RATE .months. `threshold` is the table's number (a factor for POINT_VALUE_DROP,
 * BUDGET_BURN, VOLUME_SPIKE, CMI_JUMP, TRANSFER_OUT_RATE; a share otherwise;
 * a count for SPLIT_ADMISSION). Unknown alert keys are an error.
 *
 * SEVERITY: CRITICAL when the value also passes `critical` (same direction),
 * else WARN. Default critical: POINT_VALUE_DROP 0.80, BUDGET_BURN 1.25,
 * VOLUME_SPIKE 3, CMI_JUMP 1.30, CC_MCC_SHARE_JUMP 0.20, SPLIT_ADMISSION 5,
 * LOW_STANDARD 0.30, HIGH_OUTLIER 0.10, TRANSFER_OUT 3, SPECIAL_CASE_QUOTA
 * 2 x threshold, GROUPING_RATE_LOW 0.80, QC_FAILURE 0.20, LATE_LIST 0.10.
 * Severity is fixed when the alert fires (no re-emit on escalation).
 *
 * ONE ALERT PER ID. alert_id = TYPE:admdvs:scope:period, scope the hospital
 * code or the insutype ("CMI_JUMP:220100:H22010100001:2025-03",
 * "POINT_VALUE_DROP:220100:310:2025-03", "BUDGET_BURN:220100:390:2025").
 * An evaluation whose condition holds while the id is inactive fires it
 * (occurrence n+1) and makes it active; an evaluation whose condition does
 * not hold — under the threshold again, or no longer evaluable (below min
 * cases, no budget) — makes it inactive silently; it may fire again later
 * with the same alert_id and the next `occurrence` (consumers deduplicate
 * on alert_id + occurrence).
 *
 * WHEN AND IN WHAT ORDER. dd_alerts_case_change(): update all state, then
 * evaluate, in this order: (1) VOLUME_SPIKE for the case's old and new day
 * and the 28 (`window_days`) following days that have data, by day;
 * (2) the hospital-month rules, for the old and new month, the months of
 * stays whose split flag changed, and the `months` following months that
 * have data, by month, in the rule order of dd_alert_type; (3) region:
 * POINT_VALUE_DROP for the old/new (insutype, month) and month+12, then
 * BUDGET_BURN for their (insutype, year). dd_alerts_budget_changed(): the
 * region's POINT_VALUE_DROP for every month with data of that insutype and
 * year (and the following year), then BUDGET_BURN. dd_alerts_sweep(): every
 * scope with data, in the order VOLUME_SPIKE (hospital code, day), hospital
 * rules (hospital code, month, rule), POINT_VALUE_DROP (admdvs, insutype,
 * month), BUDGET_BURN (admdvs, insutype, year).
 * The emitted sequence depends on the event order (as a live stream does).
 * After the events and a sweep, the ACTIVE set is a function of the final
 * case states and budgets only, so it does not depend on the event order
 * (every rule is a function of the aggregates). Occurrence numbers do.
 */
#ifndef DD_ALERT_H
#define DD_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "dd_case.h"
#include "dd_json.h"
#include "dd_refdata.h"

typedef enum {
    DD_ALERT_POINT_VALUE_DROP = 0,
    DD_ALERT_BUDGET_BURN,
    DD_ALERT_VOLUME_SPIKE,
    DD_ALERT_CMI_JUMP,
    DD_ALERT_CC_MCC_SHARE_JUMP,
    DD_ALERT_SPLIT_ADMISSION,
    DD_ALERT_LOW_STANDARD_ADMISSION,
    DD_ALERT_HIGH_OUTLIER_RATE,
    DD_ALERT_TRANSFER_OUT_RATE,
    DD_ALERT_SPECIAL_CASE_QUOTA,
    DD_ALERT_GROUPING_RATE_LOW,
    DD_ALERT_QC_FAILURE_RATE,
    DD_ALERT_LATE_LIST,
    DD_ALERT__COUNT
} dd_alert_type;

typedef enum { DD_ALERT_WARN = 0, DD_ALERT_CRITICAL = 1 } dd_alert_severity;

const char *dd_alert_type_name(dd_alert_type t); /* "POINT_VALUE_DROP", ... */
int dd_alert_type_parse(const char *s);          /* -1 when unknown */
const char *dd_alert_severity_name(dd_alert_severity s);

typedef struct {
    char alert_id[96];
    dd_alert_type type;
    dd_alert_severity severity;
    char admdvs[7];
    char fixmedins_code[DD_CODE_MAX + 1]; /* "" for region alerts */
    int insutype;                         /* region alerts; 0 otherwise */
    char period[12];                      /* "YYYY", "YYYY-MM" or "YYYY-MM-DD" */
    const char *metric;                   /* static */
    char value[40];                       /* decimal strings */
    char threshold[40];
    int occurrence;                       /* 1, 2, ... for this alert_id */
    char explanation_zh[512];
    char explanation_en[512];
} dd_alert;

/* Month budget in fen (SPEC §11 rule), e.g. dd_ledger_budget. */
typedef int64_t (*dd_alert_budget_fn)(void *ctx, const char *admdvs, int insutype, int32_t month);
typedef void (*dd_alert_emit_fn)(void *ctx, const dd_alert *a);

typedef struct dd_alerts dd_alerts;

/* Reads every region's alert.* keys; NULL with errstr on a bad key/value or
 * out of memory. budget may be NULL (region rules then never fire). The
 * dataset must outlive the evaluator. */
dd_alerts *dd_alerts_new(const dd_dataset *ds, dd_alert_budget_fn budget, void *budget_ctx,
                         dd_alert_emit_fn emit, void *emit_ctx, char *errstr, size_t errlen);
void dd_alerts_destroy(dd_alerts *a);

/* One case change (the ledger observer's arguments). 0, or -1 when out of
 * memory (the evaluator is then unusable). */
int dd_alerts_case_change(dd_alerts *a, const dd_case *c, const dd_contrib *old_c,
                          const dd_contrib *new_c);
/* A BUDGET event was applied for (admdvs, insutype, year). */
int dd_alerts_budget_changed(dd_alerts *a, const char *admdvs, int insutype, int year);
/* Re-evaluate every scope with data (canonical order above). */
int dd_alerts_sweep(dd_alerts *a);

/* Alert states (ids ever evaluated true): count, and the i-th (creation
 * order) with its active flag and occurrence count. */
int dd_alerts_state_count(const dd_alerts *a);
const char *dd_alerts_state_at(const dd_alerts *a, int i, int *active, int *occurrences);
int dd_alerts_active_count(const dd_alerts *a);

/* ---------------- the rules as pure functions ----------------
 * ONE implementation of every rule, shared by the in-memory evaluator above
 * (replay) and the stream (consumers/dd_stream_alerts, figures read from
 * Redis). Each function takes the aggregates of its scope, always fills the
 * draft `out` (alert_id, type, admdvs, fixmedins_code | insutype, period;
 * occurrence 0) and, when the condition HOLDS, metric, value, threshold,
 * severity and the explanations. NOT_EVALUABLE (disabled, below min cases,
 * no budget, window not covered ...) and DOES_NOT_HOLD both make an active
 * alert inactive. */
typedef enum {
    DD_ALERT_NOT_EVALUABLE = 0,
    DD_ALERT_DOES_NOT_HOLD = 1,
    DD_ALERT_HOLDS = 2
} dd_alert_verdict;

#define DD_ALERT_MAX_MONTHS 24 /* upper bound of the `months` keys */

typedef struct {
    int enabled;
    int64_t threshold_e6, critical_e6;
    int64_t min_cases;
    int64_t min_count; /* VOLUME_SPIKE */
    int window;        /* days (VOLUME_SPIKE window, SPLIT_ADMISSION gap, BUDGET_BURN
                          min_days) or months (trailing rules) */
} dd_alert_rule;

/* One region's alert.* policy. split_ttl_days (`alert.SPLIT_ADMISSION.ttl_days`,
 * default 90, 1..3660) is used by the stream only: how long a person's stays
 * are kept for linking. */
typedef struct {
    dd_alert_rule rule[DD_ALERT__COUNT];
    int64_t planned_point_value_e6; /* policy planned_point_value, 0 = unset */
    int split_ttl_days;
} dd_alert_rules;

/* Defaults overlaid with the policy's alert.* keys (p may be NULL). 0, or -1
 * with errstr on an unknown key or a bad value. */
int dd_alert_rules_load(dd_alert_rules *out, const dd_policy *p, const char *admdvs,
                        char *errstr, size_t errlen);
/* The largest `months` of the trailing rules (months re-evaluated after a
 * month changes, and trailing months to read). */
int dd_alert_rules_month_span(const dd_alert_rules *rs);
int dd_alert_year_days(int year); /* 365 or 366 */

/* Hospital x month figures (both insurance types summed): ctr = the
 * dd_case counters of the month, split = split admissions counted in it,
 * prev[k-1] = the counters of month m-k (NULL = no data), k = 1.. the
 * rule's `months` (at most DD_ALERT_MAX_MONTHS). */
typedef struct {
    int64_t ctr[DD_CTR__COUNT];
    int64_t split;
    const int64_t *prev[DD_ALERT_MAX_MONTHS];
} dd_alert_hmonth;

/* type: CMI_JUMP .. LATE_LIST (the hospital-month rules). */
dd_alert_verdict dd_alert_eval_hospital_month(const dd_alert_rules *rs, dd_alert_type type,
                                              const char *admdvs, const char *hosp, int32_t month,
                                              const dd_alert_hmonth *in, dd_alert *out);
/* VOLUME_SPIKE for day: n = counted cases on day, window_sum = Σ cases of
 * day-W..day-1 (W = rule window), min_day = the hospital's earliest day with
 * a counted case (INT32_MAX none). */
dd_alert_verdict dd_alert_eval_volume(const dd_alert_rules *rs, const char *admdvs,
                                      const char *hosp, int32_t day, int64_t n,
                                      int64_t window_sum, int32_t min_day, dd_alert *out);
/* POINT_VALUE_DROP: has_data = the region x insutype x month has data;
 * points / eligible counters of the month, its budget (fen), and the points
 * of month-12 (used only without a planned point value). */
dd_alert_verdict dd_alert_eval_point_value(const dd_alert_rules *rs, const char *admdvs,
                                           int insutype, int32_t month, int has_data,
                                           int64_t points, int64_t eligible, int64_t budget,
                                           int64_t points_last_year, dd_alert *out);
/* BUDGET_BURN: as_of_doy = 1-based day of year of the latest local setl day
 * with a counted case (0 none), fund_settled = Σ fund_settled of the year's
 * 12 months, year_budget = Σ of the 12 month budgets (fen). */
dd_alert_verdict dd_alert_eval_budget_burn(const dd_alert_rules *rs, const char *admdvs,
                                           int insutype, int year, int as_of_doy,
                                           int64_t fund_settled, int64_t year_budget,
                                           dd_alert *out);

/* One JSON object (no newline): alert_id, occurrence, type, severity, admdvs,
 * fixmedins_code (hospital alerts), insutype (region alerts), period, metric,
 * value, threshold (strings), explanation {zh, en}. */
void dd_alert_to_json(const dd_alert *a, dd_jw *w);

#endif
