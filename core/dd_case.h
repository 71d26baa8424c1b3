/*
 * dd_case — one case's state and its contribution to the totals (SPEC §3,
 * §5, §11).
 *
 * A case is (admdvs, fixmedins_code, setl_id). Its state keeps the CURRENT
 * settlement, list, QC result and special-case decision — each the version
 * with the greatest event_time, then the latest arrival (the caller numbers
 * events in arrival order: `seq`) — and the sticky RECONCILED / REVERSED
 * flags (set for good by the first such event, whenever it arrives).
 * Applying events in any order therefore ends in the same state.
 *
 * dd_case_contribution() is a PURE function of (dataset, state): scope
 * (admdvs, insutype, month of setl_time in Asia/Shanghai, hospital), group,
 * category, points, eligibility/pending reason, amounts; dd_contrib_counters()
 * expands it into a flat vector of named int64 counters. A changed case
 * moves the totals by counters(new) - counters(old), each at its own scope
 * (a correction may move a case to another month or insurance type), so
 * totals are exact, retract exactly and never depend on arrival order.
 *
 * Rules (SPEC §3, §11):
 * - no settlement yet: no scope, contributes nothing;
 * - reversed: counts only `reversed` (snapshots show reversed cases nowhere);
 * - settled, not reversed: `settled`, amounts *_settled;
 * - pending reason, the first that fails: NO_LIST, QC_FAILED (latest QC
 *   failed, or no QC result yet), NOT_RECONCILED, LATE_LIST (current list's
 *   event_time - setl_time > late_list_days x 24 h, strictly; only when
 *   late_list_excluded); none fails = eligible;
 * - no list: no group, no points (amounts still count as settled);
 * - BED_DAY / FFS pay methods are not grouped (hospital coefficient; bed days
 *   = the list's ipt_days); scheme cases are grouped (DRG: a DRG missing
 *   from the region's weights is ungroupable); ungroupable cases are category
 *   UNGROUPABLE with points by policy `ungroupable` (ffs | lowest_weight |
 *   zero); DIP BASIC groups use C = 1 when basic_same_pay;
 * - APPROVED special case: category SPECIAL, its points or (pay_as_ffs) the
 *   FFS formula with the hospital coefficient; APPLIED/REJECTED keep the
 *   computed points;
 * - paid now (counted in `points`, `cases_*`, `points_*`, medfee/fund/psn):
 *   eligible cases; with policy `ineligible = lowest_weight` ALSO pending cases
 *   (NO_LIST included), scored at the region's lowest weight x C x scale and
 *   shown as category UNGROUPABLE (documented choice: SPEC says only "scores
 *   them at the region's lowest weight"); they stay counted as pending;
 * - held (policy `hold`): pending cases' computed points go to `pending_points`;
 * - CMI: paid-now eligible cases paid by the scheme whose grouping succeeded
 *   (special cases included): Σ W and the count.
 */
#ifndef DD_CASE_H
#define DD_CASE_H

#include <stddef.h>
#include <stdint.h>

#include "dd_drg.h"
#include "dd_event.h"
#include "dd_points.h"
#include "dd_refdata.h"

/* ---------------- counters ----------------
 * Stable names (Redis hash fields). Units: *points* in 1/10000 point,
 * money (medfee, fund_amount, psn_part, acct_pay, *_settled) in fen,
 * weights in 1/10000, everything else a case count. "Paid" = counted in the
 * monthly pre-settlement (eligible; see `ineligible` above). */
#define DD_COUNTERS(X)                                                                             \
    X(SETTLED, "settled")                     /* settled, not reversed */                          \
    X(REVERSED, "reversed")                   /* settled and reversed */                           \
    X(LISTS, "lists")                         /* settled cases with a list */                      \
    X(GROUPED, "grouped")                     /* scheme cases grouped (with a weight) */           \
    X(UNGROUPABLE, "ungroupable")             /* scheme cases with a list, not grouped */          \
    X(ELIGIBLE, "eligible")                                                                        \
    X(PENDING_NO_LIST, "pending_no_list")                                                          \
    X(PENDING_QC_FAILED, "pending_qc_failed")                                                      \
    X(PENDING_NOT_RECONCILED, "pending_not_reconciled")                                            \
    X(PENDING_LATE_LIST, "pending_late_list")                                                      \
    X(POINTS, "points")                       /* paid points (P_h) */                              \
    X(POINTS_NORMAL, "points_normal")                                                              \
    X(POINTS_HIGH, "points_high")                                                                  \
    X(POINTS_LOW, "points_low")                                                                    \
    X(POINTS_BED_DAY, "points_bed_day")                                                            \
    X(POINTS_FFS, "points_ffs")                                                                    \
    X(POINTS_UNGROUPABLE, "points_ungroupable")                                                    \
    X(POINTS_SPECIAL, "points_special")                                                            \
    X(CASES_NORMAL, "cases_normal")           /* paid cases by category */                         \
    X(CASES_HIGH, "cases_high")                                                                    \
    X(CASES_LOW, "cases_low")                                                                      \
    X(CASES_BED_DAY, "cases_bed_day")                                                              \
    X(CASES_FFS, "cases_ffs")                                                                      \
    X(CASES_UNGROUPABLE, "cases_ungroupable")                                                      \
    X(CASES_SPECIAL, "cases_special")                                                              \
    X(ALL_NORMAL, "all_normal")               /* settled cases with a list, by computed */         \
    X(ALL_HIGH, "all_high")                   /* category, eligible or not (alert rates) */        \
    X(ALL_LOW, "all_low")                                                                          \
    X(ALL_BED_DAY, "all_bed_day")                                                                  \
    X(ALL_FFS, "all_ffs")                                                                          \
    X(ALL_UNGROUPABLE, "all_ungroupable")                                                          \
    X(ALL_SPECIAL, "all_special")                                                                  \
    X(ALL_POINTS, "all_points")               /* computed points of every listed case */           \
    X(PENDING_POINTS, "pending_points")       /* computed points of held pending cases */          \
    X(MEDFEE, "medfee")                       /* paid cases */                                     \
    X(FUND, "fund_amount")                                                                         \
    X(PSN_PART, "psn_part")                                                                        \
    X(ACCT_PAY, "acct_pay")                                                                        \
    X(MEDFEE_SETTLED, "medfee_settled")       /* every settled case */                             \
    X(FUND_SETTLED, "fund_settled")                                                                \
    X(PSN_PART_SETTLED, "psn_part_settled")                                                        \
    X(ACCT_PAY_SETTLED, "acct_pay_settled")                                                        \
    X(CMI_WEIGHT, "cmi_weight")               /* Σ W over the CMI cases (1/10000) */               \
    X(CMI_CASES, "cmi_cases")                                                                      \
    X(WEIGHT_SUM, "weight_sum")               /* Σ W over all grouped cases */                     \
    X(MCC_CASES, "mcc_cases")                 /* grouped DRG cases with severity 1 */              \
    X(CC_CASES, "cc_cases")                   /* ... severity 3 */                                 \
    X(SPECIAL_APPLIED, "special_applied")     /* any special-case decision seen */                 \
    X(SPECIAL_APPROVED, "special_approved")                                                        \
    X(SPECIAL_REJECTED, "special_rejected")                                                        \
    X(LATE_LISTS, "late_lists")               /* current list later than late_list_days */         \
    X(QC_FAILED, "qc_failed")                 /* latest QC result failed */                        \
    X(QC_MISSING, "qc_missing")               /* list present, no QC result yet */                 \
    X(TRANSFER_OUT, "transfer_out")           /* list dscg_way = 2 */

typedef enum {
#define DD_CTR_ENUM(id, name) DD_CTR_##id,
    DD_COUNTERS(DD_CTR_ENUM)
#undef DD_CTR_ENUM
    DD_CTR__COUNT
} dd_counter;

const char *dd_counter_name(dd_counter c);
/* Name -> counter, or -1 when unknown (reading Redis hashes back). */
int dd_counter_parse(const char *name, size_t len);

/* ---------------- state ---------------- */

typedef struct {
    int present;
    int64_t event_time_ms;
    uint64_t seq; /* arrival order of the event that set it */
} dd_version;

typedef enum {
    DD_PENDING_NONE = 0, /* eligible */
    DD_PENDING_NO_LIST,
    DD_PENDING_QC_FAILED,
    DD_PENDING_NOT_RECONCILED,
    DD_PENDING_LATE_LIST,
    DD_PENDING__COUNT
} dd_pending_reason;
const char *dd_pending_reason_name(dd_pending_reason r); /* "ELIGIBLE", "NO_LIST", ... */

#define DD_CASE_RECONCILED 0x1u
#define DD_CASE_REVERSED 0x2u

typedef struct {
    char admdvs[7];
    char fixmedins_code[DD_CODE_MAX + 1];
    char setl_id[DD_ID_MAX + 1];
    unsigned flags;          /* DD_CASE_RECONCILED | DD_CASE_REVERSED (sticky) */
    uint64_t reconciled_seq, reversed_seq; /* first such event (informative) */

    struct {
        dd_version v;
        int insutype;
        int32_t begndate, enddate;
        int64_t setl_time_ms;
        int64_t medfee_fen, fund_fen, psn_part_fen, acct_pay_fen;
        dd_pay_method pay_method;
        char bed_day_group[DD_GROUP_NAME_MAX + 1];
        char psn[17];        /* pseudonymised psn_no (hex), "" when not sent */
        char insuplc_admdvs[7];
    } setl;

    struct {
        dd_version v;
        int gend, age, age_days, nwb_bir_wt, ipt_days, dscg_way;
        char main_dx[DD_DX_MAX + 1];
        uint16_t n_other_dx, n_procedures;
        char *codes;         /* other_dx then procedures, NUL-terminated each */
        uint32_t codes_len, codes_cap;
        uint32_t gen;        /* bumped on every list change (group memo key) */
    } list;

    struct {
        dd_version v;
        int passed;
        int n_errors;
    } qc;

    struct {
        dd_version v;
        dd_special_status status;
        int has_points;
        int64_t points_e4;
        int pay_as_ffs;
    } special;
} dd_case;

void dd_case_init(dd_case *c, const char *admdvs, const char *fixmedins_code, const char *setl_id);
void dd_case_free(dd_case *c); /* frees the list codes; the struct stays reusable */

/* Apply a case event (SETTLEMENT, _REVERSAL, _LIST, QC_RESULT, RECONCILED,
 * SPECIAL_CASE) that passed dd_event_validate and belongs to this case.
 * Returns 1 when the state changed, 0 when not (an older version, a repeated
 * sticky flag), -1 when out of memory or not a case event. psn_no should
 * already be pseudonymised (it is stored as given, truncated to 16 chars). */
int dd_case_apply(dd_case *c, const dd_event *ev, uint64_t seq);

/* The same, with the list codes' storage from the caller: fn(ctx, n)
 * returns n bytes that stay valid as long as the case (an arena), or NULL
 * (out of memory). Such a case's codes are never realloc'ed or freed here:
 * do not dd_case_free it. fn NULL = dd_case_apply. */
typedef char *(*dd_case_codes_alloc)(void *ctx, size_t n);
int dd_case_apply_alloc(dd_case *c, const dd_event *ev, uint64_t seq, dd_case_codes_alloc fn,
                        void *ctx);

/* Codes of the current list as arrays (caller arrays of DD_EVENT_MAX_DX /
 * DD_EVENT_MAX_PROC entries). */
void dd_case_list_codes(const dd_case *c, const char **other_dx, const char **procedures);

/* ---------------- contribution ---------------- */

typedef struct {
    char admdvs[7];
    int insutype;
    int32_t month; /* dd_time month index */
    char fixmedins_code[DD_CODE_MAX + 1];
} dd_scope;

int dd_scope_equal(const dd_scope *a, const dd_scope *b);

/* Grouping outcome, cached by the caller between contributions (grouping
 * depends only on the list, the cost and the dataset). */
typedef struct {
    /* Fields ordered by size and narrowed (one per case in the ledger):
     * 120 bytes instead of 168. */
    const dd_dataset *ds;
    const char *reason;       /* static string */
    int64_t medfee_fen;       /* DIP only: nearest ref_cost tie break */
    int64_t weight_e4;
    int64_t dip_ref_cost_fen; /* DIP */
    uint32_t list_gen;
    unsigned warnings;        /* DRG warning bits */
    char code[16];            /* DRG or DIP code; "" when none */
    int8_t valid;
    uint8_t status;           /* dd_group_status; DIP: SUCCESS or FAIL */
    int8_t severity;          /* DRG 1/3/5/9, else 0 */
    int8_t has_weight;        /* grouped and the weight is known */
    int8_t dip_basic;         /* DIP BASIC group */
    /* points memo: category and points of the last contribution, keyed by
     * the state versions they depend on (a QC or RECONCILED event then
     * skips the exact rational arithmetic). Same result as without it. */
    int8_t pts_valid;
    uint8_t pts_pay_method;   /* dd_pay_method */
    uint8_t pts_cat;          /* dd_category */
    int8_t pts_rc;
    uint32_t pts_list_gen;
    const dd_dataset *pts_ds;
    uint64_t pts_setl_seq, pts_special_seq;
    int64_t pts_medfee_fen;
    int64_t pts_e4;
} dd_group_memo;

typedef struct {
    int in_scope;            /* a settlement is known: scope valid */
    dd_scope scope;
    int reversed;
    int has_list;
    dd_pay_method pay_method;
    int grouped_by_scheme;   /* list present, paid by DRG/DIP: grouping ran */
    dd_group_status status;  /* when grouped_by_scheme */
    const char *reason;      /* "OK", grouper reason, "NO_WEIGHT", "NO_LIST", "BED_DAY", "FFS" */
    unsigned warnings;
    char group[16];          /* DRG / DIP code, "" when none */
    int severity;
    int grouped;             /* grouping succeeded and the weight is known */
    int64_t weight_e4;
    int has_points;          /* list present */
    dd_category category;    /* computed category (when has_points) */
    int64_t points_e4;       /* computed points (0 when no list) */
    int points_error;        /* a formula could not be evaluated (e.g. no baseline) */
    int eligible;
    dd_pending_reason pending;
    int late;
    int qc_failed, qc_missing;
    dd_special_status special;
    int paid;                /* counted in the pre-settlement */
    dd_category paid_category;
    int64_t paid_points_e4;
    int in_cmi;
    int dscg_way;
    int64_t medfee_fen, fund_fen, psn_part_fen, acct_pay_fen;
} dd_contrib;

/* Pure: contribution of the state. `memo` may be NULL; when given it caches
 * the grouping between calls (same result as without it). */
void dd_case_contribution(const dd_dataset *ds, const dd_case *c, dd_group_memo *memo,
                          dd_contrib *out);

/* The same with the region and hospital already resolved (r and h as
 * dd_dataset_region(ds, c->admdvs) and dd_dataset_hospital(ds,
 * c->fixmedins_code) return them; NULL for either = look both up). */
void dd_case_contribution_at(const dd_dataset *ds, const dd_region *r, const dd_hospital *h,
                             const dd_case *c, dd_group_memo *memo, dd_contrib *out);

/* Dense counter vector of a contribution (zero-filled first). */
void dd_contrib_counters(const dd_contrib *c, int64_t out[DD_CTR__COUNT]);

/* Sparse form: the non-zero counters, at most DD_CTR__COUNT entries. */
typedef struct {
    dd_counter id;
    int64_t value;
} dd_counter_kv;
int dd_contrib_counters_sparse(const dd_contrib *c, dd_counter_kv *out);

/* ctr[i] += sign * counters(c)[i] for every counter (the replay totals:
 * no sparse vector in between). */
void dd_contrib_counters_add(const dd_contrib *c, int64_t sign, int64_t ctr[DD_CTR__COUNT]);

/* Run the grouper for the current list (explain): fills the DRG or DIP
 * result (path, warnings). Returns the scheme, or -1 without a list. */
int dd_case_group_detail(const dd_dataset *ds, const dd_case *c, dd_drg_result *drg,
                         dd_dip_result *dip);

#endif
