/*
 * dd_policy — a pooling region's payment policy (SPEC §9), parsed from the
 * `key = value` text of policy/<admdvs>.conf. Unset keys take the SPEC
 * defaults; an unknown key, a malformed value or a value out of range is an
 * error naming the line. `alert.*` keys are kept verbatim for the alert rules.
 */
#ifndef DD_POLICY_H
#define DD_POLICY_H

#include <stddef.h>
#include <stdint.h>

typedef enum { DD_SCHEME_DRG = 0, DD_SCHEME_DIP = 1 } dd_scheme;
typedef enum { DD_COEF_MULTIPLY = 0, DD_COEF_ADD = 1 } dd_coef_combine;
typedef enum {
    DD_UNGROUPABLE_FFS = 0,
    DD_UNGROUPABLE_LOWEST_WEIGHT = 1,
    DD_UNGROUPABLE_ZERO = 2
} dd_ungroupable_mode;
typedef enum { DD_INELIGIBLE_HOLD = 0, DD_INELIGIBLE_LOWEST_WEIGHT = 1 } dd_ineligible_mode;

#define DD_POLICY_MAX_BEDDAY 16
#define DD_POLICY_MAX_ALERT_KEYS 64

typedef struct {
    char group[32];
    int64_t daily_fund_standard_fen; /* yuan, 2 decimals */
    int64_t reimb_ratio_e6;          /* > 0 */
} dd_bedday_rule;

typedef struct {
    char key[64];   /* full key, e.g. "alert.VOLUME_SPIKE.factor" */
    char value[64];
} dd_policy_kv;

typedef struct {
    dd_scheme scheme;
    int scheme_set;                 /* 1 when the file said `scheme = ...` */
    int64_t points_scale;           /* 10000 */
    dd_coef_combine coef_combine;   /* multiply */
    int64_t base_rate_fen[4];       /* index 1..3 = hospital level; 0 unused */
    int64_t high_ratio_e6;          /* 2 */
    int64_t high_excess_ratio_e6;   /* 1 */
    int64_t low_ratio_e6;           /* 0.35 DRG, 0.5 DIP (default by scheme) */
    int64_t baseline_avg_cost_fen;  /* 0 = not configured */
    dd_bedday_rule bedday[DD_POLICY_MAX_BEDDAY];
    int n_bedday;
    dd_ungroupable_mode ungroupable; /* ffs */
    dd_ineligible_mode ineligible;   /* hold */
    int64_t retention_rate_e6;       /* 0.05, allowed 0.03..0.10 */
    int late_list_days;              /* 7 */
    int late_list_excluded;          /* 1 */
    int64_t special_case_quota_e6;   /* 0.03 */
    int64_t sharing_rate_e6;         /* 0.6 */
    int64_t sharing_band_e6;         /* 0.10 */
    int basic_same_pay;              /* 1 */
    int64_t planned_point_value_e6;  /* `planned_point_value`, 0 = unset */
    dd_policy_kv alert[DD_POLICY_MAX_ALERT_KEYS];
    int n_alert;
    int month_close_day;             /* `month_close.day` 10 (1..28): the scheduler's
                                        MONTH_CLOSE cut-off day of the next month */
} dd_policy;

/* Fill *p with the SPEC defaults for `scheme`. */
void dd_policy_defaults(dd_policy *p, dd_scheme scheme);

/* Parse policy text over the defaults for `scheme` (the region's scheme from
 * regions.csv; a `scheme =` line must agree with it). Lines: blank, `# ...`,
 * or `key = value`. Returns 0, or -1 with errstr "line N: ...". */
int dd_policy_parse(dd_policy *p, dd_scheme scheme, const char *text, size_t len,
                    char *errstr, size_t errlen);

/* Bed-day rule for a group, or NULL when the policy does not define it. */
const dd_bedday_rule *dd_policy_bedday(const dd_policy *p, const char *group);

/* Value of an alert.* key, or NULL. */
const char *dd_policy_alert(const dd_policy *p, const char *key);

#endif
