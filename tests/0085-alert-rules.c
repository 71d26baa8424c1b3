/*
 * 0085-alert-rules — the SPEC §8 rules as pure functions of aggregates
 * (dd_alert_eval_*, shared by replay and the stream): exact values and
 * thresholds, each rule just at its threshold (does not hold) and just past
 * it (holds), critical edges, minimum cases / window coverage (not
 * evaluable), and the rules loaded from policy text.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dd_alert.h"
#include "dd_policy.h"
#include "dd_time.h"

#define R "220100"
#define H "H22010100001"

static dd_alert_rules rules_from(const char *text)
{
    dd_policy p;
    char err[256];
    dd_policy_defaults(&p, DD_SCHEME_DRG);
    if (text)
        cr_assert_eq(dd_policy_parse(&p, DD_SCHEME_DRG, text, strlen(text), err, sizeof err), 0,
                     "%s", err);
    dd_alert_rules rs;
    cr_assert_eq(dd_alert_rules_load(&rs, &p, R, err, sizeof err), 0, "%s", err);
    return rs;
}

Test(alert_rules, defaults_and_policy)
{
    dd_alert_rules rs = rules_from(NULL);
    cr_assert_eq(rs.rule[DD_ALERT_POINT_VALUE_DROP].threshold_e6, 900000);
    cr_assert_eq(rs.rule[DD_ALERT_BUDGET_BURN].critical_e6, 1250000);
    cr_assert_eq(rs.rule[DD_ALERT_VOLUME_SPIKE].window, 28);
    cr_assert_eq(rs.rule[DD_ALERT_VOLUME_SPIKE].min_count, 20);
    cr_assert_eq(rs.rule[DD_ALERT_SPLIT_ADMISSION].window, 15);
    cr_assert_eq(rs.rule[DD_ALERT_SPECIAL_CASE_QUOTA].threshold_e6, 30000);
    cr_assert_eq(rs.rule[DD_ALERT_SPECIAL_CASE_QUOTA].critical_e6, 60000);
    cr_assert_eq(rs.rule[DD_ALERT_LATE_LIST].min_cases, 30);
    cr_assert_eq(rs.split_ttl_days, 90);
    cr_assert_eq(rs.planned_point_value_e6, 0);
    cr_assert_eq(dd_alert_rules_month_span(&rs), 3);

    rs = rules_from("alert.min_cases = 10\nalert.SPLIT_ADMISSION.ttl_days = 30\n"
                    "alert.TRANSFER_OUT_RATE.months = 6\nalert.LATE_LIST.min_cases = 50\n"
                    "planned_point_value = 12.5\n");
    cr_assert_eq(rs.split_ttl_days, 30);
    cr_assert_eq(dd_alert_rules_month_span(&rs), 6);
    cr_assert_eq(rs.rule[DD_ALERT_CMI_JUMP].min_cases, 10);
    cr_assert_eq(rs.rule[DD_ALERT_LATE_LIST].min_cases, 50);
    cr_assert_eq(rs.planned_point_value_e6, 12500000);

    dd_policy p;
    char err[256];
    dd_policy_defaults(&p, DD_SCHEME_DRG);
    const char *bad = "alert.CMI_JUMP.ttl_days = 5\n";
    if (dd_policy_parse(&p, DD_SCHEME_DRG, bad, strlen(bad), err, sizeof err) == 0) {
        dd_alert_rules x;
        cr_assert_eq(dd_alert_rules_load(&x, &p, R, err, sizeof err), -1);
        cr_assert(strstr(err, "unknown alert key"), "%s", err);
    }
    dd_policy_defaults(&p, DD_SCHEME_DRG);
    bad = "alert.SPLIT_ADMISSION.ttl_days = 0\n";
    if (dd_policy_parse(&p, DD_SCHEME_DRG, bad, strlen(bad), err, sizeof err) == 0) {
        dd_alert_rules x;
        cr_assert_eq(dd_alert_rules_load(&x, &p, R, err, sizeof err), -1);
    }
}

Test(alert_rules, volume_spike)
{
    dd_alert_rules rs = rules_from(NULL);
    int32_t d = dd_days_from_civil(2025, 3, 15);
    dd_alert a;
    /* mean 280/28 = 10: threshold 20 (strictly above), critical 30 */
    cr_assert_eq(dd_alert_eval_volume(&rs, R, H, d, 20, 280, d - 28, &a), DD_ALERT_DOES_NOT_HOLD);
    cr_assert_str_eq(a.alert_id, "VOLUME_SPIKE:220100:H22010100001:2025-03-15");
    cr_assert_str_eq(a.period, "2025-03-15");
    cr_assert_eq(dd_alert_eval_volume(&rs, R, H, d, 21, 280, d - 28, &a), DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    cr_assert_str_eq(a.value, "21");
    cr_assert_str_eq(a.threshold, "20.00");
    cr_assert_str_eq(a.metric, "daily_cases");
    cr_assert_eq(a.occurrence, 0);
    cr_assert_str_eq(a.explanation_en,
                     "hospital H22010100001 settled 21 cases on 2025-03-15, more than 2.00 x its "
                     "trailing 28-day daily mean of 10.00 (20.00) and at least 20: volume spike");
    cr_assert_eq(dd_alert_eval_volume(&rs, R, H, d, 30, 280, d - 28, &a), DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    cr_assert_eq(dd_alert_eval_volume(&rs, R, H, d, 31, 280, d - 28, &a), DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_CRITICAL);
    /* min_count 20 and the covered window */
    cr_assert_eq(dd_alert_eval_volume(&rs, R, H, d, 19, 0, d - 100, &a), DD_ALERT_NOT_EVALUABLE);
    cr_assert_eq(dd_alert_eval_volume(&rs, R, H, d, 20, 0, d - 100, &a), DD_ALERT_HOLDS);
    cr_assert_eq(dd_alert_eval_volume(&rs, R, H, d, 100, 0, d - 27, &a), DD_ALERT_NOT_EVALUABLE);
    cr_assert_eq(dd_alert_eval_volume(&rs, R, H, d, 100, 0, INT32_MAX, &a),
                 DD_ALERT_NOT_EVALUABLE);
}

static dd_alert_hmonth hm0(void)
{
    dd_alert_hmonth h;
    memset(&h, 0, sizeof h);
    return h;
}

static const int32_t MAR = 2025 * 12 + 2; /* dd_time month index, checked below */

Test(alert_rules, share_rules)
{
    cr_assert_eq(dd_time_month_make(2025, 3), MAR);
    dd_alert_rules rs = rules_from(NULL);
    dd_alert a;
    dd_alert_hmonth h = hm0();
    h.ctr[DD_CTR_LISTS] = 40;
    h.ctr[DD_CTR_LATE_LISTS] = 2; /* 0.05: not above */
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_LATE_LIST, R, H, MAR, &h, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    cr_assert_str_eq(a.alert_id, "LATE_LIST:220100:H22010100001:2025-03");
    h.ctr[DD_CTR_LATE_LISTS] = 3;
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_LATE_LIST, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    cr_assert_str_eq(a.value, "0.075000");
    cr_assert_str_eq(a.threshold, "0.050000");
    cr_assert_str_eq(a.metric, "late_list_share");
    cr_assert_str_eq(a.explanation_zh,
                     "医院H22010100001 2025-03 结算清单逾期上传占比 7.50%（3/40 份清单），超过阈值 5.00%：清单上传不及时");
    cr_assert_str_eq(a.explanation_en,
                     "hospital H22010100001 2025-03: late-list share 7.50% (3 of 40 lists) above the "
                     "5.00% threshold: lists uploaded late");
    h.ctr[DD_CTR_LATE_LISTS] = 4; /* 0.10: critical only strictly above */
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_LATE_LIST, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    h.ctr[DD_CTR_LATE_LISTS] = 5;
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_LATE_LIST, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_CRITICAL);
    h.ctr[DD_CTR_LISTS] = 29; /* below min cases */
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_LATE_LIST, R, H, MAR, &h, &a),
                 DD_ALERT_NOT_EVALUABLE);

    /* GROUPING_RATE_LOW: below 0.90 of grouped + ungroupable */
    h = hm0();
    h.ctr[DD_CTR_GROUPED] = 90;
    h.ctr[DD_CTR_UNGROUPABLE] = 10;
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_GROUPING_RATE_LOW, R, H, MAR, &h, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    h.ctr[DD_CTR_UNGROUPABLE] = 11;
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_GROUPING_RATE_LOW, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_str_eq(a.value, "0.891089");
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    h.ctr[DD_CTR_UNGROUPABLE] = 23; /* 90/113 = 0.796 < 0.80 */
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_GROUPING_RATE_LOW, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_CRITICAL);

    /* SPECIAL_CASE_QUOTA: applications / settled > 0.03 (critical 0.06) */
    h = hm0();
    h.ctr[DD_CTR_SETTLED] = 100;
    h.ctr[DD_CTR_SPECIAL_APPLIED] = 3;
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_SPECIAL_CASE_QUOTA, R, H, MAR, &h, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    h.ctr[DD_CTR_SPECIAL_APPLIED] = 7;
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_SPECIAL_CASE_QUOTA, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_CRITICAL);
    cr_assert_str_eq(a.value, "0.070000");
    cr_assert_str_eq(a.threshold, "0.030000");

    /* LOW_STANDARD / HIGH_OUTLIER / QC over their denominators */
    h = hm0();
    h.ctr[DD_CTR_GROUPED] = 50;
    h.ctr[DD_CTR_ALL_LOW] = 10; /* 0.20 */
    h.ctr[DD_CTR_ALL_HIGH] = 3; /* 0.06 */
    h.ctr[DD_CTR_LISTS] = 50;
    h.ctr[DD_CTR_QC_FAILED] = 5; /* 0.10 */
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_LOW_STANDARD_ADMISSION, R, H, MAR, &h, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_HIGH_OUTLIER_RATE, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_str_eq(a.value, "0.060000");
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_QC_FAILURE_RATE, R, H, MAR, &h, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    h.ctr[DD_CTR_ALL_LOW] = 11;
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_LOW_STANDARD_ADMISSION, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_str_eq(a.value, "0.220000");
}

Test(alert_rules, trailing_rules)
{
    dd_alert_rules rs = rules_from(NULL);
    dd_alert a;
    int64_t prev[3][DD_CTR__COUNT];
    memset(prev, 0, sizeof prev);
    for (int k = 0; k < 3; k++) {
        prev[k][DD_CTR_GROUPED] = 10;
        prev[k][DD_CTR_WEIGHT_SUM] = 100000; /* CMI 1.0000 */
        prev[k][DD_CTR_MCC_CASES] = 1;
        prev[k][DD_CTR_CC_CASES] = 1; /* share 0.20 */
        prev[k][DD_CTR_LISTS] = 10;
        prev[k][DD_CTR_TRANSFER_OUT] = 1; /* share 0.10 */
    }
    dd_alert_hmonth h = hm0();
    h.prev[0] = prev[0];
    h.prev[1] = prev[1];
    h.prev[2] = prev[2];
    h.ctr[DD_CTR_GROUPED] = 30;
    h.ctr[DD_CTR_WEIGHT_SUM] = 345000; /* CMI 1.15 = 1.15 x 1.00: not above */
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_CMI_JUMP, R, H, MAR, &h, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    h.ctr[DD_CTR_WEIGHT_SUM] = 345001;
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_CMI_JUMP, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_str_eq(a.value, "1.150003");
    cr_assert_str_eq(a.threshold, "1.150000");
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    cr_assert_str_eq(a.explanation_en,
                     "hospital H22010100001 2025-03: CMI 1.1500 (30 grouped cases) above 1.15 x the "
                     "trailing 3-month CMI 1.0000 (1.1500): possible upcoding");
    h.ctr[DD_CTR_WEIGHT_SUM] = 390001; /* > 1.30 */
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_CMI_JUMP, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_CRITICAL);
    /* trailing window below min cases (20 grouped in 2 months) */
    h.prev[2] = NULL;
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_CMI_JUMP, R, H, MAR, &h, &a),
                 DD_ALERT_NOT_EVALUABLE);
    h.prev[2] = prev[2];

    /* CC/MCC: +0.10 inclusive */
    h.ctr[DD_CTR_MCC_CASES] = 5;
    h.ctr[DD_CTR_CC_CASES] = 3; /* 8/30 = 0.2667 < 0.30 */
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_CC_MCC_SHARE_JUMP, R, H, MAR, &h, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    h.ctr[DD_CTR_CC_CASES] = 4; /* 9/30 = 0.30 >= 0.20 + 0.10 */
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_CC_MCC_SHARE_JUMP, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_str_eq(a.value, "0.300000");
    cr_assert_str_eq(a.threshold, "0.300000");
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    h.ctr[DD_CTR_CC_CASES] = 7; /* 12/30 = 0.40 >= 0.20 + 0.20 */
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_CC_MCC_SHARE_JUMP, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_CRITICAL);

    /* TRANSFER_OUT: > 2 x trailing 0.10 */
    h.ctr[DD_CTR_LISTS] = 30;
    h.ctr[DD_CTR_TRANSFER_OUT] = 6; /* 0.20 */
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_TRANSFER_OUT_RATE, R, H, MAR, &h, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    h.ctr[DD_CTR_TRANSFER_OUT] = 7;
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_TRANSFER_OUT_RATE, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_str_eq(a.value, "0.233333");
    cr_assert_str_eq(a.threshold, "0.200000");
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    h.ctr[DD_CTR_TRANSFER_OUT] = 10;
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_TRANSFER_OUT_RATE, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_CRITICAL);
    /* a longer window is read from prev[] */
    dd_alert_rules r6 = rules_from("alert.TRANSFER_OUT_RATE.months = 4\n");
    int64_t p4[DD_CTR__COUNT];
    memset(p4, 0, sizeof p4);
    p4[DD_CTR_LISTS] = 10;
    p4[DD_CTR_TRANSFER_OUT] = 5; /* trailing (3+5)/40 = 0.20 -> threshold 0.40 */
    h.prev[3] = p4;
    cr_assert_eq(dd_alert_eval_hospital_month(&r6, DD_ALERT_TRANSFER_OUT_RATE, R, H, MAR, &h, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_TRANSFER_OUT_RATE, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
}

Test(alert_rules, split_admission)
{
    dd_alert_rules rs = rules_from(NULL);
    dd_alert a;
    dd_alert_hmonth h = hm0();
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_SPLIT_ADMISSION, R, H, MAR, &h, &a),
                 DD_ALERT_NOT_EVALUABLE);
    h.split = 1;
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_SPLIT_ADMISSION, R, H, MAR, &h, &a),
                 DD_ALERT_HOLDS);
    cr_assert_str_eq(a.alert_id, "SPLIT_ADMISSION:220100:H22010100001:2025-03");
    cr_assert_str_eq(a.value, "1");
    cr_assert_str_eq(a.threshold, "1");
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    cr_assert_str_eq(a.explanation_en,
                     "hospital H22010100001 2025-03: 1 readmissions of the same person within 15 "
                     "days of discharge (threshold 1): possible split admissions");
    h.split = 4;
    dd_alert_eval_hospital_month(&rs, DD_ALERT_SPLIT_ADMISSION, R, H, MAR, &h, &a);
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    h.split = 5; /* critical inclusive */
    dd_alert_eval_hospital_month(&rs, DD_ALERT_SPLIT_ADMISSION, R, H, MAR, &h, &a);
    cr_assert_eq(a.severity, DD_ALERT_CRITICAL);
    dd_alert_rules r2 = rules_from("alert.SPLIT_ADMISSION.threshold = 2\n");
    h.split = 1;
    cr_assert_eq(dd_alert_eval_hospital_month(&r2, DD_ALERT_SPLIT_ADMISSION, R, H, MAR, &h, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    /* not a hospital-month rule */
    cr_assert_eq(dd_alert_eval_hospital_month(&rs, DD_ALERT_BUDGET_BURN, R, H, MAR, &h, &a),
                 DD_ALERT_NOT_EVALUABLE);
}

Test(alert_rules, point_value_drop)
{
    dd_alert_rules rs = rules_from("planned_point_value = 125\n");
    cr_assert_eq(rs.planned_point_value_e6, 125000000);
    dd_alert a;
    const int64_t P = 10000000; /* 1000 points */
    /* live = budget / points; threshold 0.90 x 125 = 112.5, critical 100 */
    cr_assert_eq(dd_alert_eval_point_value(&rs, R, 310, MAR, 1, P, 30, 11250000, 0, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    cr_assert_str_eq(a.alert_id, "POINT_VALUE_DROP:220100:310:2025-03");
    cr_assert_eq(a.insutype, 310);
    cr_assert_str_eq(a.fixmedins_code, "");
    cr_assert_eq(dd_alert_eval_point_value(&rs, R, 310, MAR, 1, P, 30, 11249999, 0, &a),
                 DD_ALERT_HOLDS);
    cr_assert_str_eq(a.value, "112.499990");
    cr_assert_str_eq(a.threshold, "112.500000");
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    cr_assert_str_eq(a.explanation_en,
                     "region 220100 insutype 310 2025-03: live point value 112.499990 yuan (budget "
                     "112499.99 / 1000.0000 points) below 90.00% of the planned point value "
                     "125.000000 (112.500000): fund overrun risk");
    cr_assert_eq(dd_alert_eval_point_value(&rs, R, 310, MAR, 1, P, 30, 10000000, 0, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_WARN); /* 100 is not below 100 */
    cr_assert_eq(dd_alert_eval_point_value(&rs, R, 310, MAR, 1, P, 30, 9999999, 0, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_CRITICAL);
    cr_assert_eq(dd_alert_eval_point_value(&rs, R, 310, MAR, 1, P, 29, 9999999, 0, &a),
                 DD_ALERT_NOT_EVALUABLE);
    cr_assert_eq(dd_alert_eval_point_value(&rs, R, 310, MAR, 0, P, 30, 9999999, 0, &a),
                 DD_ALERT_NOT_EVALUABLE);
    cr_assert_eq(dd_alert_eval_point_value(&rs, R, 310, MAR, 1, P, 30, 0, 0, &a),
                 DD_ALERT_NOT_EVALUABLE);
    /* without a planned value: budget / last year's points */
    dd_alert_rules r0 = rules_from(NULL);
    cr_assert_eq(dd_alert_eval_point_value(&r0, R, 390, MAR, 1, P, 30, 10000000, 0, &a),
                 DD_ALERT_NOT_EVALUABLE);
    /* planned = 100000 / 900 = 111.11..., threshold exactly 100 */
    cr_assert_eq(dd_alert_eval_point_value(&r0, R, 390, MAR, 1, P, 30, 10000000, 9000000, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    cr_assert_eq(dd_alert_eval_point_value(&r0, R, 390, MAR, 1, P, 30, 10000000, 8999999, &a),
                 DD_ALERT_HOLDS);
    cr_assert_str_eq(a.value, "100.000000");
    cr_assert_str_eq(a.threshold, "100.000011");
}

Test(alert_rules, budget_burn)
{
    dd_alert_rules rs = rules_from(NULL);
    dd_alert a;
    const int64_t YB = 36500000; /* 365,000.00 yuan: 1,000.00 a day */
    /* day 100: pro rata 100,000.00; threshold 110,000.00; critical 125,000.00 */
    cr_assert_eq(dd_alert_eval_budget_burn(&rs, R, 390, 2025, 100, 11000000, YB, &a),
                 DD_ALERT_DOES_NOT_HOLD);
    cr_assert_str_eq(a.alert_id, "BUDGET_BURN:220100:390:2025");
    cr_assert_str_eq(a.period, "2025");
    cr_assert_eq(dd_alert_eval_budget_burn(&rs, R, 390, 2025, 100, 11000001, YB, &a),
                 DD_ALERT_HOLDS);
    cr_assert_str_eq(a.value, "110000.01");
    cr_assert_str_eq(a.threshold, "110000.00");
    cr_assert_str_eq(a.metric, "ytd_fund_pay");
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    cr_assert(strstr(a.explanation_en, "through 2025-04-10"), "%s", a.explanation_en);
    cr_assert(strstr(a.explanation_en, "100/365 days"), "%s", a.explanation_en);
    cr_assert_eq(dd_alert_eval_budget_burn(&rs, R, 390, 2025, 100, 12500000, YB, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_WARN);
    cr_assert_eq(dd_alert_eval_budget_burn(&rs, R, 390, 2025, 100, 12500001, YB, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(a.severity, DD_ALERT_CRITICAL);
    /* min_days 30, no budget, no day */
    cr_assert_eq(dd_alert_eval_budget_burn(&rs, R, 390, 2025, 29, 99999999, YB, &a),
                 DD_ALERT_NOT_EVALUABLE);
    cr_assert_eq(dd_alert_eval_budget_burn(&rs, R, 390, 2025, 30, 99999999, YB, &a),
                 DD_ALERT_HOLDS);
    cr_assert_eq(dd_alert_eval_budget_burn(&rs, R, 390, 2025, 100, 99999999, 0, &a),
                 DD_ALERT_NOT_EVALUABLE);
    cr_assert_eq(dd_alert_eval_budget_burn(&rs, R, 390, 2025, 0, 99999999, YB, &a),
                 DD_ALERT_NOT_EVALUABLE);
    cr_assert_eq(dd_alert_year_days(2024), 366);
    cr_assert_eq(dd_alert_year_days(2025), 365);
}

/* The draft's identity fields (built by copies, not printf) are the
 * snprintf ones, truncation included: the longest hospital code, a region
 * scope, and an over-long admdvs / code cut at the field sizes. */
Test(alert_rules, draft_identity)
{
    dd_alert_rules rs = rules_from(NULL);
    int32_t m = dd_time_month_make(2025, 3);
    dd_alert_hmonth in;
    memset(&in, 0, sizeof in);
    dd_alert a;
    char want[96];
    const char *code32 = "H2201010000123456789012345678901"; /* DD_CODE_MAX = 32 */
    cr_assert_eq(strlen(code32), DD_CODE_MAX);
    dd_alert_eval_hospital_month(&rs, DD_ALERT_LATE_LIST, R, code32, m, &in, &a);
    snprintf(want, sizeof want, "LATE_LIST:%s:%s:2025-03", R, code32);
    cr_assert_str_eq(a.alert_id, want);
    cr_assert_str_eq(a.fixmedins_code, code32);
    cr_assert_str_eq(a.admdvs, R);
    cr_assert_str_eq(a.period, "2025-03");
    cr_assert_eq(a.type, DD_ALERT_LATE_LIST);
    cr_assert_eq(a.insutype, 0);

    dd_alert_eval_budget_burn(&rs, R, 390, 2025, 100, 0, 0, &a);
    cr_assert_str_eq(a.alert_id, "BUDGET_BURN:220100:390:2025");
    cr_assert_str_eq(a.fixmedins_code, "");
    cr_assert_str_eq(a.period, "2025");
    cr_assert_eq(a.insutype, 390);

    /* longer than the fields: cut as snprintf cut them (admdvs at 6, the
     * code at DD_CODE_MAX, the id's scope at 39 characters) */
    const char *adm = "2201009999";
    const char *code = "H220101000012345678901234567890123456789012345678901234567890";
    dd_alert_eval_hospital_month(&rs, DD_ALERT_CC_MCC_SHARE_JUMP, adm, code, m, &in, &a);
    cr_assert_str_eq(a.admdvs, "220100");
    cr_assert_str_eq(a.fixmedins_code, "H2201010000123456789012345678901");
    cr_assert_str_eq(a.alert_id,
                     "CC_MCC_SHARE_JUMP:2201009999:H22010100001234567890123456789012345678:2025-03");
}
