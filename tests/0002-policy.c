/* dd_policy: SPEC §9 defaults, the golden replay policies, and every error. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_policy.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *buf = malloc(1 << 16);
    cr_assert_not_null(buf);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static int parse(dd_policy *p, dd_scheme s, const char *text, char *err)
{
    return dd_policy_parse(p, s, text, strlen(text), err, 200);
}

static void parse_fails(dd_scheme s, const char *text, const char *want_err)
{
    dd_policy p;
    char err[200] = "";
    cr_assert_eq(parse(&p, s, text, err), -1, "accepted: %s", text);
    cr_assert_str_eq(err, want_err, "for input: %s", text);
}

Test(policy_defaults, drg_and_dip)
{
    dd_policy p;
    dd_policy_defaults(&p, DD_SCHEME_DRG);
    cr_assert_eq(p.scheme, DD_SCHEME_DRG);
    cr_assert_eq(p.scheme_set, 0);
    cr_assert_eq(p.points_scale, 10000);
    cr_assert_eq(p.coef_combine, DD_COEF_MULTIPLY);
    cr_assert_eq(p.base_rate_fen[1], 0);
    cr_assert_eq(p.base_rate_fen[3], 0);
    cr_assert_eq(p.high_ratio_e6, 2000000);
    cr_assert_eq(p.high_excess_ratio_e6, 1000000);
    cr_assert_eq(p.low_ratio_e6, 350000);
    cr_assert_eq(p.baseline_avg_cost_fen, 0);
    cr_assert_eq(p.n_bedday, 0);
    cr_assert_eq(p.ungroupable, DD_UNGROUPABLE_FFS);
    cr_assert_eq(p.ineligible, DD_INELIGIBLE_HOLD);
    cr_assert_eq(p.retention_rate_e6, 50000);
    cr_assert_eq(p.late_list_days, 7);
    cr_assert_eq(p.late_list_excluded, 1);
    cr_assert_eq(p.special_case_quota_e6, 30000);
    cr_assert_eq(p.sharing_rate_e6, 600000);
    cr_assert_eq(p.sharing_band_e6, 100000);
    cr_assert_eq(p.basic_same_pay, 1);
    cr_assert_eq(p.planned_point_value_e6, 0);
    cr_assert_eq(p.n_alert, 0);
    dd_policy_defaults(&p, DD_SCHEME_DIP);
    cr_assert_eq(p.scheme, DD_SCHEME_DIP);
    cr_assert_eq(p.low_ratio_e6, 500000);
    cr_assert_eq(p.high_ratio_e6, 2000000);
}

Test(policy_parse, empty_and_comments_give_defaults)
{
    dd_policy p;
    char err[200];
    cr_assert_eq(parse(&p, DD_SCHEME_DIP, "", err), 0);
    cr_assert_eq(p.low_ratio_e6, 500000);
    cr_assert_eq(parse(&p, DD_SCHEME_DRG, "# only a comment\n\n   \n\t# indented\n", err), 0);
    cr_assert_eq(p.low_ratio_e6, 350000);
    cr_assert_eq(p.retention_rate_e6, 50000);
}

Test(policy_parse, golden_changchun_drg)
{
    size_t len;
    char *t = slurp(DD_SHARED_DIR "/golden/replay/data/policy/220100.conf", &len);
    dd_policy p;
    char err[200] = "";
    cr_assert_eq(dd_policy_parse(&p, DD_SCHEME_DRG, t, len, err, sizeof err), 0, "%s", err);
    cr_assert_eq(p.scheme, DD_SCHEME_DRG);
    cr_assert_eq(p.scheme_set, 1);
    cr_assert_eq(p.points_scale, 10000);
    cr_assert_eq(p.coef_combine, DD_COEF_MULTIPLY);
    cr_assert_eq(p.base_rate_fen[3], 908056);
    cr_assert_eq(p.base_rate_fen[2], 726445);
    cr_assert_eq(p.base_rate_fen[1], 635639);
    cr_assert_eq(p.high_ratio_e6, 2000000);
    cr_assert_eq(p.high_excess_ratio_e6, 1000000);
    cr_assert_eq(p.low_ratio_e6, 350000);
    cr_assert_eq(p.baseline_avg_cost_fen, 900000);
    cr_assert_eq(p.n_bedday, 1);
    const dd_bedday_rule *r = dd_policy_bedday(&p, "REHAB");
    cr_assert_not_null(r);
    cr_assert_str_eq(r->group, "REHAB");
    cr_assert_eq(r->daily_fund_standard_fen, 30000);
    cr_assert_eq(r->reimb_ratio_e6, 750000);
    cr_assert_null(dd_policy_bedday(&p, "rehab"));
    cr_assert_null(dd_policy_bedday(&p, "PSYCH"));
    cr_assert_eq(p.ungroupable, DD_UNGROUPABLE_FFS);
    cr_assert_eq(p.ineligible, DD_INELIGIBLE_HOLD);
    cr_assert_eq(p.retention_rate_e6, 50000);
    cr_assert_eq(p.late_list_days, 7);
    cr_assert_eq(p.late_list_excluded, 1);
    cr_assert_eq(p.special_case_quota_e6, 30000);
    cr_assert_eq(p.sharing_rate_e6, 600000);
    cr_assert_eq(p.sharing_band_e6, 100000);
    cr_assert_eq(p.basic_same_pay, 1);
    cr_assert_eq(p.n_alert, 0);
    /* the same file under a DIP region is a scheme mismatch */
    cr_assert_eq(dd_policy_parse(&p, DD_SCHEME_DIP, t, len, err, sizeof err), -1);
    cr_assert_str_eq(err, "line 2: scheme: DRG does not match the region's scheme DIP");
    free(t);
}

Test(policy_parse, golden_liaoyuan_dip)
{
    size_t len;
    char *t = slurp(DD_SHARED_DIR "/golden/replay/data/policy/220400.conf", &len);
    dd_policy p;
    char err[200] = "";
    cr_assert_eq(dd_policy_parse(&p, DD_SCHEME_DIP, t, len, err, sizeof err), 0, "%s", err);
    cr_assert_eq(p.scheme, DD_SCHEME_DIP);
    cr_assert_eq(p.coef_combine, DD_COEF_ADD);
    cr_assert_eq(p.base_rate_fen[3], 0);
    cr_assert_eq(p.low_ratio_e6, 500000);
    cr_assert_eq(p.baseline_avg_cost_fen, 700000);
    const dd_bedday_rule *r = dd_policy_bedday(&p, "REHAB");
    cr_assert_not_null(r);
    cr_assert_eq(r->daily_fund_standard_fen, 24000);
    cr_assert_eq(r->reimb_ratio_e6, 800000);
    cr_assert_eq(p.retention_rate_e6, 60000);
    cr_assert_eq(p.basic_same_pay, 1);
    free(t);
}

Test(policy_parse, all_keys_and_spacing)
{
    const char *text = "\xEF\xBB\xBF"
                       "scheme=DRG\r\n"
                       "  points_scale   =   100  \r\n"
                       "coef_combine = add\n"
                       "drg.base_rate.level1 = 1\n"
                       "drg.base_rate.level2 = 2.5\n"
                       "drg.base_rate.level3 = 100000000.00\n"
                       "outlier.high_ratio = 3.000001\n"
                       "outlier.high_excess_ratio = 0.75\n"
                       "outlier.low_ratio = 0.4\n"
                       "baseline_avg_cost = 8888.88\n"
                       "bedday.PSYCH.reimb_ratio = 1\n"
                       "bedday.PSYCH.daily_fund_standard = 150\n"
                       "bedday.REHAB-2.daily_fund_standard = 300.00\n"
                       "bedday.REHAB-2.reimb_ratio = 0.000001\n"
                       "ungroupable = lowest_weight\n"
                       "ineligible = lowest_weight\n"
                       "retention_rate = 0.1\n"
                       "late_list_days = 0\n"
                       "late_list_excluded = false\n"
                       "special_case.quota = 0\n"
                       "sharing.rate = 1\n"
                       "sharing.band = 0.2\n"
                       "basic_same_pay = false\n"
                       "planned_point_value = 5.123456\n"
                       "alert.VOLUME_SPIKE.factor = 2.5\n"
                       "alert.POINT_VALUE_DROP.ratio=0.9 of planned\n"
                       "alert.min_cases = 30";
    dd_policy p;
    char err[200] = "";
    cr_assert_eq(parse(&p, DD_SCHEME_DRG, text, err), 0, "%s", err);
    cr_assert_eq(p.points_scale, 100);
    cr_assert_eq(p.coef_combine, DD_COEF_ADD);
    cr_assert_eq(p.base_rate_fen[1], 100);
    cr_assert_eq(p.base_rate_fen[2], 250);
    cr_assert_eq(p.base_rate_fen[3], 10000000000LL);
    cr_assert_eq(p.high_ratio_e6, 3000001);
    cr_assert_eq(p.high_excess_ratio_e6, 750000);
    cr_assert_eq(p.low_ratio_e6, 400000);
    cr_assert_eq(p.baseline_avg_cost_fen, 888888);
    cr_assert_eq(p.n_bedday, 2);
    cr_assert_eq(dd_policy_bedday(&p, "PSYCH")->daily_fund_standard_fen, 15000);
    cr_assert_eq(dd_policy_bedday(&p, "PSYCH")->reimb_ratio_e6, 1000000);
    cr_assert_eq(dd_policy_bedday(&p, "REHAB-2")->daily_fund_standard_fen, 30000);
    cr_assert_eq(dd_policy_bedday(&p, "REHAB-2")->reimb_ratio_e6, 1);
    cr_assert_eq(p.ungroupable, DD_UNGROUPABLE_LOWEST_WEIGHT);
    cr_assert_eq(p.ineligible, DD_INELIGIBLE_LOWEST_WEIGHT);
    cr_assert_eq(p.retention_rate_e6, 100000);
    cr_assert_eq(p.late_list_days, 0);
    cr_assert_eq(p.late_list_excluded, 0);
    cr_assert_eq(p.special_case_quota_e6, 0);
    cr_assert_eq(p.sharing_rate_e6, 1000000);
    cr_assert_eq(p.sharing_band_e6, 200000);
    cr_assert_eq(p.basic_same_pay, 0);
    cr_assert_eq(p.planned_point_value_e6, 5123456);
    cr_assert_eq(p.n_alert, 3);
    cr_assert_str_eq(dd_policy_alert(&p, "alert.VOLUME_SPIKE.factor"), "2.5");
    cr_assert_str_eq(dd_policy_alert(&p, "alert.POINT_VALUE_DROP.ratio"), "0.9 of planned");
    cr_assert_str_eq(dd_policy_alert(&p, "alert.min_cases"), "30");
    cr_assert_null(dd_policy_alert(&p, "alert.CMI_JUMP.factor"));
    cr_assert_null(dd_policy_alert(&p, "VOLUME_SPIKE.factor"));
}

Test(policy_parse, zero_ungroupable_and_retention_bounds)
{
    dd_policy p;
    char err[200] = "";
    cr_assert_eq(parse(&p, DD_SCHEME_DIP, "ungroupable = zero\nretention_rate = 0.03\n", err), 0,
                 "%s", err);
    cr_assert_eq(p.ungroupable, DD_UNGROUPABLE_ZERO);
    cr_assert_eq(p.retention_rate_e6, 30000);
    cr_assert_eq(parse(&p, DD_SCHEME_DIP, "retention_rate = 0.100000\n", err), 0, "%s", err);
    cr_assert_eq(p.retention_rate_e6, 100000);
}

Test(policy_errors, unknown_keys_and_syntax)
{
    parse_fails(DD_SCHEME_DRG, "points_scale = 10000\nfoo = 1\n", "line 2: unknown key 'foo'");
    parse_fails(DD_SCHEME_DRG, "\n\n# c\nRetention_rate = 0.05\n",
                "line 4: unknown key 'Retention_rate'");
    parse_fails(DD_SCHEME_DRG, "drg.base_rate.level4 = 100\n",
                "line 1: unknown key 'drg.base_rate.level4'");
    parse_fails(DD_SCHEME_DRG, "bedday.REHAB.daily = 1\n", "line 1: unknown key 'bedday.REHAB.daily'");
    parse_fails(DD_SCHEME_DRG, "bedday.REHAB = 1\n", "line 1: unknown key 'bedday.REHAB'");
    parse_fails(DD_SCHEME_DRG, "bedday..reimb_ratio = 0.5\n",
                "line 1: bedday..reimb_ratio: bad bed-day group name");
    parse_fails(DD_SCHEME_DRG, "points_scale 10000\n", "line 1: expected 'key = value'");
    parse_fails(DD_SCHEME_DRG, " = 3\n", "line 1: missing key before '='");
    parse_fails(DD_SCHEME_DRG, "baseline_avg_cost =   \n", "line 1: baseline_avg_cost: missing value");
    parse_fails(DD_SCHEME_DRG, "retention_rate = 0.05 # five\n",
                "line 1: retention_rate: expected a decimal like 0.05, got '0.05 # five'");
    parse_fails(DD_SCHEME_DRG, "retention_rate = 0.05\nretention_rate = 0.06\n",
                "line 2: retention_rate: set twice (first on line 1)");
    parse_fails(DD_SCHEME_DRG, "alert.X = 1\nalert.X = 2\n", "line 2: alert.X: set twice");
    parse_fails(DD_SCHEME_DRG,
                "bedday.R.reimb_ratio = 0.5\nbedday.R.daily_fund_standard = 1\n"
                "bedday.R.reimb_ratio = 0.6\n",
                "line 3: bedday.R.reimb_ratio: set twice");
}

Test(policy_errors, bad_values)
{
    parse_fails(DD_SCHEME_DRG, "scheme = drg\n", "line 1: scheme: expected DRG or DIP, got 'drg'");
    parse_fails(DD_SCHEME_DIP, "scheme = DRG\n",
                "line 1: scheme: DRG does not match the region's scheme DIP");
    parse_fails(DD_SCHEME_DRG, "points_scale = 0\n",
                "line 1: points_scale: must be between 1 and 1000000");
    parse_fails(DD_SCHEME_DRG, "points_scale = 1.5\n",
                "line 1: points_scale: expected a whole number, got '1.5'");
    parse_fails(DD_SCHEME_DRG, "coef_combine = sum\n",
                "line 1: coef_combine: expected multiply or add, got 'sum'");
    parse_fails(DD_SCHEME_DRG, "drg.base_rate.level3 = 9080.567\n",
                "line 1: drg.base_rate.level3: expected an amount like 9080.56, got '9080.567'");
    parse_fails(DD_SCHEME_DRG, "drg.base_rate.level3 = -1\n",
                "line 1: drg.base_rate.level3: expected an amount like 9080.56, got '-1'");
    parse_fails(DD_SCHEME_DRG, "drg.base_rate.level3 = 0\n",
                "line 1: drg.base_rate.level3: must be greater than 0");
    parse_fails(DD_SCHEME_DRG, "baseline_avg_cost = 100000000.01\n",
                "line 1: baseline_avg_cost: more than 100000000.00");
    parse_fails(DD_SCHEME_DRG, "outlier.high_ratio = 0\n",
                "line 1: outlier.high_ratio: must be greater than 0.000000");
    parse_fails(DD_SCHEME_DRG, "outlier.high_excess_ratio = 0.0\n",
                "line 1: outlier.high_excess_ratio: must be greater than 0.000000");
    parse_fails(DD_SCHEME_DRG, "outlier.low_ratio = 0\n",
                "line 1: outlier.low_ratio: must be greater than 0.000000");
    parse_fails(DD_SCHEME_DRG, "outlier.low_ratio = 0.1234567\n",
                "line 1: outlier.low_ratio: expected a decimal with at most 6 decimals, got "
                "'0.1234567'");
    parse_fails(DD_SCHEME_DRG, "outlier.low_ratio = 1e-1\n",
                "line 1: outlier.low_ratio: expected a decimal with at most 6 decimals, got "
                "'1e-1'");
    parse_fails(DD_SCHEME_DRG, "bedday.R.reimb_ratio = 0\n",
                "line 1: bedday.R.reimb_ratio: must be greater than 0.000000");
    parse_fails(DD_SCHEME_DRG, "bedday.R.reimb_ratio = 1.01\n",
                "line 1: bedday.R.reimb_ratio: must be at most 1.000000");
    parse_fails(DD_SCHEME_DRG, "bedday.R.daily_fund_standard = 0\n",
                "line 1: bedday.R.daily_fund_standard: must be greater than 0");
    parse_fails(DD_SCHEME_DRG, "ungroupable = FFS\n",
                "line 1: ungroupable: expected ffs, lowest_weight or zero, got 'FFS'");
    parse_fails(DD_SCHEME_DRG, "ineligible = zero\n",
                "line 1: ineligible: expected hold or lowest_weight, got 'zero'");
    parse_fails(DD_SCHEME_DRG, "late_list_days = -1\n",
                "line 1: late_list_days: expected a whole number, got '-1'");
    parse_fails(DD_SCHEME_DRG, "late_list_excluded = yes\n",
                "line 1: late_list_excluded: expected true or false, got 'yes'");
    parse_fails(DD_SCHEME_DRG, "basic_same_pay = 1\n",
                "line 1: basic_same_pay: expected true or false, got '1'");
    parse_fails(DD_SCHEME_DRG, "special_case.quota = 1.5\n",
                "line 1: special_case.quota: must be at most 1.000000");
    parse_fails(DD_SCHEME_DRG, "sharing.rate = -0.6\n",
                "line 1: sharing.rate: expected a decimal with at most 6 decimals, got '-0.6'");
    parse_fails(DD_SCHEME_DRG, "sharing.band = 2\n", "line 1: sharing.band: must be at most 1.000000");
    parse_fails(DD_SCHEME_DRG, "planned_point_value = 0\n",
                "line 1: planned_point_value: must be greater than 0.000000");
}

Test(policy_errors, retention_rate_range)
{
    parse_fails(DD_SCHEME_DRG, "retention_rate = 0.029999\n",
                "line 1: retention_rate: must be between 0.03 and 0.10");
    parse_fails(DD_SCHEME_DRG, "retention_rate = 0.100001\n",
                "line 1: retention_rate: must be between 0.03 and 0.10");
    parse_fails(DD_SCHEME_DRG, "retention_rate = 0\n",
                "line 1: retention_rate: must be between 0.03 and 0.10");
    parse_fails(DD_SCHEME_DRG, "retention_rate = 5%\n",
                "line 1: retention_rate: expected a decimal like 0.05, got '5%'");
}

Test(policy_errors, cross_key_checks)
{
    parse_fails(DD_SCHEME_DRG, "# x\noutlier.low_ratio = 2\n",
                "line 2: outlier.low_ratio must be below outlier.high_ratio");
    parse_fails(DD_SCHEME_DRG, "outlier.low_ratio = 0.5\n\noutlier.high_ratio = 0.5\n",
                "line 3: outlier.low_ratio must be below outlier.high_ratio");
    parse_fails(DD_SCHEME_DRG, "scheme = DRG\nbedday.REHAB.daily_fund_standard = 300.00\n",
                "line 2: bedday.REHAB: needs both daily_fund_standard and reimb_ratio");
    parse_fails(DD_SCHEME_DRG, "bedday.A.reimb_ratio = 0.5\nbedday.A.daily_fund_standard = 1\n"
                               "bedday.B.reimb_ratio = 0.5\n",
                "line 3: bedday.B: needs both daily_fund_standard and reimb_ratio");
}

Test(policy_errors, limits)
{
    /* 17 bed-day groups: one too many */
    char text[4096] = "";
    for (int i = 0; i < DD_POLICY_MAX_BEDDAY + 1; i++) {
        char line[128];
        snprintf(line, sizeof line, "bedday.G%d.daily_fund_standard = 1\nbedday.G%d.reimb_ratio = 1\n",
                 i, i);
        strcat(text, line);
    }
    parse_fails(DD_SCHEME_DRG, text, "line 33: bedday.G16.daily_fund_standard: more than 16 bed-day groups");
    /* group name too long (31 characters allowed) */
    parse_fails(DD_SCHEME_DRG, "bedday.ABCDEFGHIJKLMNOPQRSTUVWXYZ012345.reimb_ratio = 1\n",
                "line 1: bedday.ABCDEFGHIJKLMNOPQRSTUVWXYZ012345.reimb_ratio: bad bed-day group name");
    /* alert value longer than 63 characters */
    char big[256];
    snprintf(big, sizeof big, "alert.X = %0*d\n", 64, 0);
    parse_fails(DD_SCHEME_DRG, big, "line 1: alert.X: value longer than 63 characters");
    /* 65 alert keys */
    char *many = malloc(65 * 32);
    many[0] = '\0';
    for (int i = 0; i < DD_POLICY_MAX_ALERT_KEYS + 1; i++) {
        char line[32];
        snprintf(line, sizeof line, "alert.K%d = %d\n", i, i);
        strcat(many, line);
    }
    parse_fails(DD_SCHEME_DRG, many, "line 65: alert.K64: more than 64 alert keys");
    free(many);
}

Test(policy_errors, small_error_buffer_is_safe)
{
    dd_policy p;
    char err[8];
    memset(err, 'x', sizeof err);
    const char *t = "foo = 1\n";
    cr_assert_eq(dd_policy_parse(&p, DD_SCHEME_DRG, t, strlen(t), err, sizeof err), -1);
    cr_assert_str_eq(err, "line 1:");
    cr_assert_eq(dd_policy_parse(&p, DD_SCHEME_DRG, t, strlen(t), NULL, 0), -1);
}

/* Every policy shipped in data/jilin parses under its region's scheme. */
Test(policy_parse, shipped_jilin_policies)
{
    size_t len;
    char *regions = slurp(DD_SOURCE_DIR "/data/jilin/regions.csv", &len);
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(regions, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char admdvs[16], name[128], scheme[8];
        if (sscanf(line, "%15[^,],%127[^,],%7s", admdvs, name, scheme) != 3 ||
            !strcmp(admdvs, "admdvs"))
            continue;
        char path[512];
        snprintf(path, sizeof path, DD_SOURCE_DIR "/data/jilin/policy/%s.conf", admdvs);
        size_t plen;
        char *t = slurp(path, &plen);
        dd_scheme s = strncmp(scheme, "DIP", 3) == 0 ? DD_SCHEME_DIP : DD_SCHEME_DRG;
        dd_policy p;
        char err[200] = "";
        cr_assert_eq(dd_policy_parse(&p, s, t, plen, err, sizeof err), 0, "%s: %s", path, err);
        cr_assert_eq(p.scheme_set, 1, "%s: no scheme line", path);
        cr_assert_gt(p.baseline_avg_cost_fen, 0, "%s: no baseline_avg_cost", path);
        if (s == DD_SCHEME_DRG)
            cr_assert(p.base_rate_fen[1] > 0 && p.base_rate_fen[2] > 0 && p.base_rate_fen[3] > 0,
                      "%s: DRG base rates missing", path);
        free(t);
        n++;
    }
    free(regions);
    cr_assert_eq(n, 12);
}
