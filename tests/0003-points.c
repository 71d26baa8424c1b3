/* dd_points: every SPEC §5 worked example, exactly, plus thresholds and errors. */
#include <criterion/criterion.h>
#include <string.h>

#include "dd_points.h"
#include "dd_policy.h"

/* The SPEC §5 example policy: Jilin 2022 base rates, high 2, excess 1,
 * low 0.35, baseline 9000.00, bed-day 300.00/day at 0.75. */
static dd_policy jilin(void)
{
    dd_policy p;
    dd_policy_defaults(&p, DD_SCHEME_DRG);
    p.base_rate_fen[1] = 635639;
    p.base_rate_fen[2] = 726445;
    p.base_rate_fen[3] = 908056;
    p.baseline_avg_cost_fen = 900000;
    p.n_bedday = 1;
    strcpy(p.bedday[0].group, "REHAB");
    p.bedday[0].daily_fund_standard_fen = 30000;
    p.bedday[0].reimb_ratio_e6 = 750000;
    return p;
}

static dd_rat c105(void)
{
    int64_t pct = 1050000; /* 105 % */
    return dd_points_coefficient(&pct, 1, DD_COEF_MULTIPLY);
}

static void grouped_is(const dd_policy *p, int64_t w, int64_t cost, dd_rat coef,
                       dd_category want_cat, int64_t want_pts)
{
    dd_category cat = DD_CAT__COUNT;
    int64_t pts = -777;
    dd_rat ref = dd_points_drg_ref(p, w, 3);
    cr_assert_eq(dd_points_grouped(p, w, ref, cost, coef, &cat, &pts), 0);
    cr_assert_eq(cat, want_cat, "W %lld cost %lld: category %s, want %s", (long long)w,
                 (long long)cost, dd_category_name(cat), dd_category_name(want_cat));
    cr_assert_eq(pts, want_pts, "W %lld cost %lld: points %lld, want %lld", (long long)w,
                 (long long)cost, (long long)pts, (long long)want_pts);
}

Test(points_spec, gz13_normal)
{
    dd_policy p = jilin();
    /* ref 0.6617 x 9080.56 = 6008.606552 -> shown 6008.61 */
    dd_rat ref = dd_points_drg_ref(&p, 6617, 3);
    cr_assert(ref.num == 751075819 && ref.den == 125000); /* 6008.606552 exactly */
    grouped_is(&p, 6617, 580000, c105(), DD_CAT_NORMAL, 69478500);
}

Test(points_spec, fm19_high)
{
    dd_policy p = jilin();
    grouped_is(&p, 30715, 7000000, c105(), DD_CAT_HIGH, 486913945);
}

Test(points_spec, es21_low)
{
    dd_policy p = jilin();
    grouped_is(&p, 12985, 300000, c105(), DD_CAT_LOW, 34689491);
}

Test(points_spec, bedday)
{
    dd_policy p = jilin();
    int64_t pts = -777;
    const dd_bedday_rule *r = &p.bedday[0];
    cr_assert_eq(dd_points_bedday(&p, r, 30, dd_rat_int(1), &pts), 0);
    cr_assert_eq(pts, 133333333); /* 300 / 0.75 x 30 / 9000 x 10000 = 13333.3333 */
    cr_assert_eq(dd_points_bedday(&p, r, 0, dd_rat_int(1), &pts), 0);
    cr_assert_eq(pts, 0);
    cr_assert_eq(dd_points_bedday(&p, r, 1, c105(), &pts), 0);
    cr_assert_eq(pts, 4666667); /* 400 / 9000 x 1.05 x 10000 = 466.66666.. */
}

Test(points_spec, ffs)
{
    dd_policy p = jilin();
    int64_t pts = -777;
    cr_assert_eq(dd_points_ffs(&p, 450000, dd_rat_int(1), &pts), 0);
    cr_assert_eq(pts, 50000000); /* 4500 / 9000 x 10000 = 5000.0000 */
    cr_assert_eq(dd_points_ffs(&p, 100, c105(), &pts), 0);
    cr_assert_eq(pts, 11667); /* 1 / 9000 x 1.05 x 10000 = 1.16666.. */
    cr_assert_eq(dd_points_ffs(&p, 0, c105(), &pts), 0);
    cr_assert_eq(pts, 0);
}

Test(points_spec, weight_only)
{
    dd_policy p = jilin();
    int64_t pts = -777;
    cr_assert_eq(dd_points_weight_only(&p, 6617, c105(), &pts), 0);
    cr_assert_eq(pts, 69478500);
    cr_assert_eq(dd_points_weight_only(&p, 1, dd_rat_int(1), &pts), 0);
    cr_assert_eq(pts, 10000); /* 0.0001 x 10000 = 1.0000 */
}

Test(points_coef, spec_examples)
{
    int64_t pct[3] = {900000, 1050000, 1100000}; /* 90 %, 105 %, 110 % */
    dd_rat m = dd_points_coefficient(pct, 3, DD_COEF_MULTIPLY);
    cr_assert(m.num == 2079 && m.den == 2000); /* 1.0395 */
    dd_rat a = dd_points_coefficient(pct, 3, DD_COEF_ADD);
    cr_assert(a.num == 21 && a.den == 20); /* 1 + (-0.10 + 0.05 + 0.10) = 1.05 */
    dd_rat none = dd_points_coefficient(NULL, 0, DD_COEF_MULTIPLY);
    cr_assert(none.num == 1 && none.den == 1);
    none = dd_points_coefficient(pct, 0, DD_COEF_ADD);
    cr_assert(none.num == 1 && none.den == 1);
    int64_t frac = 1012345; /* 101.2345 % */
    dd_rat f = dd_points_coefficient(&frac, 1, DD_COEF_MULTIPLY);
    cr_assert(f.num == 202469 && f.den == 200000);
    int64_t one_pct = 1000000;
    dd_rat o = dd_points_coefficient(&one_pct, 1, DD_COEF_ADD);
    cr_assert(o.num == 1 && o.den == 1);
}

Test(points_coef, used_in_points)
{
    dd_policy p = jilin();
    int64_t pct[3] = {900000, 1050000, 1100000};
    int64_t pts = -777;
    cr_assert_eq(
        dd_points_weight_only(&p, 10000, dd_points_coefficient(pct, 3, DD_COEF_MULTIPLY), &pts),
        0);
    cr_assert_eq(pts, 103950000); /* 1 x 1.0395 x 10000 */
    cr_assert_eq(dd_points_weight_only(&p, 10000, dd_points_coefficient(pct, 3, DD_COEF_ADD), &pts),
                 0);
    cr_assert_eq(pts, 105000000);
}

/* With a round reference cost, k lands exactly on each threshold. */
Test(points_thresholds, equal_is_normal)
{
    dd_policy p = jilin();
    dd_rat ref = dd_rat_scaled(1000000, 2); /* 10000.00 */
    dd_category cat;
    int64_t pts;
    /* k == 2 exactly: NORMAL, W x C x scale */
    cr_assert_eq(dd_points_grouped(&p, 10000, ref, 2000000, dd_rat_int(1), &cat, &pts), 0);
    cr_assert_eq(cat, DD_CAT_NORMAL);
    cr_assert_eq(pts, 100000000);
    /* one fen above: HIGH, 10000 x (1 + 0.000001) = 10000.0100 */
    cr_assert_eq(dd_points_grouped(&p, 10000, ref, 2000001, dd_rat_int(1), &cat, &pts), 0);
    cr_assert_eq(cat, DD_CAT_HIGH);
    cr_assert_eq(pts, 100000100);
    /* k == 0.35 exactly: NORMAL */
    cr_assert_eq(dd_points_grouped(&p, 10000, ref, 350000, dd_rat_int(1), &cat, &pts), 0);
    cr_assert_eq(cat, DD_CAT_NORMAL);
    cr_assert_eq(pts, 100000000);
    /* one fen below: LOW, 10000 x 0.349999 = 3499.9900 */
    cr_assert_eq(dd_points_grouped(&p, 10000, ref, 349999, dd_rat_int(1), &cat, &pts), 0);
    cr_assert_eq(cat, DD_CAT_LOW);
    cr_assert_eq(pts, 34999900);
    /* zero cost: LOW with 0 points */
    cr_assert_eq(dd_points_grouped(&p, 10000, ref, 0, dd_rat_int(1), &cat, &pts), 0);
    cr_assert_eq(cat, DD_CAT_LOW);
    cr_assert_eq(pts, 0);
}

Test(points_thresholds, dip_policy_and_excess_ratio)
{
    dd_policy p;
    dd_policy_defaults(&p, DD_SCHEME_DIP); /* low 0.5 */
    dd_rat ref = dd_rat_scaled(500000, 2);   /* DIP ref_cost 5000.00 */
    dd_category cat;
    int64_t pts;
    cr_assert_eq(dd_points_grouped(&p, 12000, ref, 250000, dd_rat_int(1), &cat, &pts), 0);
    cr_assert_eq(cat, DD_CAT_NORMAL); /* k = 0.5 exactly */
    cr_assert_eq(pts, 120000000);
    cr_assert_eq(dd_points_grouped(&p, 12000, ref, 200000, dd_rat_int(1), &cat, &pts), 0);
    cr_assert_eq(cat, DD_CAT_LOW); /* k = 0.4: 12000 x 0.4 = 4800 */
    cr_assert_eq(pts, 48000000);
    p.high_excess_ratio_e6 = 500000; /* 0.5 */
    cr_assert_eq(dd_points_grouped(&p, 12000, ref, 2000000, dd_rat_int(1), &cat, &pts), 0);
    cr_assert_eq(cat, DD_CAT_HIGH); /* k = 4: 12000 x (1 + 0.5 x 2) = 24000 */
    cr_assert_eq(pts, 240000000);
}

Test(points_errors, bad_inputs)
{
    dd_policy p = jilin();
    dd_category cat = DD_CAT_SPECIAL;
    int64_t pts = -777;
    cr_assert_eq(dd_points_grouped(&p, 10000, dd_rat_int(0), 100, dd_rat_int(1), &cat, &pts), -1);
    cr_assert_eq(dd_points_grouped(&p, 10000, dd_rat_int(-5), 100, dd_rat_int(1), &cat, &pts), -1);
    cr_assert_eq(dd_points_grouped(&p, 10000, dd_points_drg_ref(&p, 10000, 4), 100, dd_rat_int(1),
                                   &cat, &pts),
                 -1);
    cr_assert(!dd_rat_ok(dd_points_drg_ref(&p, 10000, 0)));
    /* base rate not configured -> ref 0 -> error */
    p.base_rate_fen[2] = 0;
    cr_assert_eq(dd_points_grouped(&p, 10000, dd_points_drg_ref(&p, 10000, 2), 100, dd_rat_int(1),
                                   &cat, &pts),
                 -1);
    cr_assert_eq(cat, DD_CAT_SPECIAL); /* untouched on error */
    cr_assert_eq(pts, -777);
    /* no baseline: FFS and bed-day cannot be scored */
    p.baseline_avg_cost_fen = 0;
    cr_assert_eq(dd_points_ffs(&p, 450000, dd_rat_int(1), &pts), -1);
    cr_assert_eq(dd_points_bedday(&p, &p.bedday[0], 30, dd_rat_int(1), &pts), -1);
    p = jilin();
    cr_assert_eq(dd_points_bedday(&p, &p.bedday[0], -1, dd_rat_int(1), &pts), -1);
    cr_assert_eq(dd_points_bedday(&p, NULL, 1, dd_rat_int(1), &pts), -1);
    dd_rat bad = {1, 0};
    cr_assert_eq(dd_points_ffs(&p, 450000, bad, &pts), -1);
    cr_assert_eq(dd_points_weight_only(&p, 10000, bad, &pts), -1);
    cr_assert_eq(pts, -777);
}

Test(points_names, spec_order)
{
    const char *want[] = {"NORMAL", "HIGH", "LOW", "BED_DAY", "FFS", "UNGROUPABLE", "SPECIAL"};
    for (int i = 0; i < DD_CAT__COUNT; i++)
        cr_assert_str_eq(dd_category_name((dd_category)i), want[i]);
}
