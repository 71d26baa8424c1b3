/* dd_settle: SPEC §7 risk sharing, month figures of the golden spec example,
 * point value, shares and quarterly netting (with a claw-back). */
#include <criterion/criterion.h>
#include <limits.h>

#include "dd_settle.h"

/* S = 100000 (yuan; units do not matter here), rate 0.6, band 0.10. */
static int64_t rs(int64_t m)
{
    return dd_settle_risk_share(100000, m, 600000, 100000);
}

Test(settle_risk, spec_examples)
{
    cr_assert_eq(rs(105000), 103000);
    cr_assert_eq(rs(115000), 100000);
    cr_assert_eq(rs(95000), 98000);
    cr_assert_eq(rs(85000), 85000);
    cr_assert_eq(rs(110000), 106000); /* overrun exactly at the band: within */
    cr_assert_eq(rs(90000), 96000);   /* saving exactly at the band: within */
    cr_assert_eq(rs(100000), 100000);
}

Test(settle_risk, just_outside_the_band)
{
    cr_assert_eq(rs(110001), 100000);
    cr_assert_eq(rs(89999), 89999);
    /* in fen: S 1000.00, M 1100.00 -> 1060.00; M 1100.01 -> 1000.00 */
    cr_assert_eq(dd_settle_risk_share(100000, 110000, 600000, 100000), 106000);
    cr_assert_eq(dd_settle_risk_share(100000, 110001, 600000, 100000), 100000);
}

Test(settle_risk, rounding_half_away)
{
    /* S 1000, M 1001: 1000 + round(0.6 x 1) = 1001; M 1003: 1000 + round(1.8) = 1002 */
    cr_assert_eq(dd_settle_risk_share(1000, 1001, 600000, 100000), 1001);
    cr_assert_eq(dd_settle_risk_share(1000, 1003, 600000, 100000), 1002);
    /* rate 0.5, d = 1: 0.5 rounds away from zero -> +1 (overrun) */
    cr_assert_eq(dd_settle_risk_share(1000, 1001, 500000, 100000), 1001);
    /* saving: M 999, S 1000: 999 + round(0.5) = 1000 */
    cr_assert_eq(dd_settle_risk_share(1000, 999, 500000, 100000), 1000);
    /* other policy: rate 0.7, band 0.2 */
    cr_assert_eq(dd_settle_risk_share(100000, 120000, 700000, 200000), 114000);
    cr_assert_eq(dd_settle_risk_share(100000, 80000, 700000, 200000), 94000);
    cr_assert_eq(dd_settle_risk_share(100000, 79999, 700000, 200000), 79999);
}

Test(settle_basic, retention)
{
    cr_assert_eq(dd_settle_retention(6304000, 50000), 315200);  /* 63040.00 x 5 % */
    cr_assert_eq(dd_settle_retention(2720000, 50000), 136000);
    cr_assert_eq(dd_settle_retention(10, 50000), 1);            /* 0.5 fen -> 1 */
    cr_assert_eq(dd_settle_retention(9, 50000), 0);             /* 0.45 -> 0 */
    cr_assert_eq(dd_settle_retention(-10, 50000), -1);          /* claw-back side */
    cr_assert_eq(dd_settle_retention(0, 50000), 0);
    cr_assert_eq(dd_settle_retention(333, 60000), 20);          /* 19.98 -> 20 */
}

Test(settle_basic, point_value)
{
    cr_assert_eq(dd_settle_point_value_e6(8000000, 800000000), 1000000); /* 80000.00 / 80000.0000 */
    cr_assert_eq(dd_settle_point_value_e6(100000000, 2000000000), 5000000); /* §7 JSON: 5.000000 */
    cr_assert_eq(dd_settle_point_value_e6(100, 30000), 333333);   /* 1.00 / 3 = 0.333333 */
    cr_assert_eq(dd_settle_point_value_e6(200, 30000), 666667);   /* 0.666667 */
    cr_assert_eq(dd_settle_point_value_e6(0, 30000), 0);
    cr_assert_eq(dd_settle_point_value_e6(100, 0), 0);
    cr_assert_eq(dd_settle_point_value_e6(-100, 30000), 0);
    cr_assert_eq(dd_settle_point_value_e6(100, -30000), 0);
    /* golden stream 220100/310: 4381153.51 / 4285721.1407 = 1.022268 */
    cr_assert_eq(dd_settle_point_value_e6(438115351, 42857211407LL), 1022268);
}

Test(settle_basic, share)
{
    cr_assert_eq(dd_settle_share(8000000, 591081936, 800000000), 5910819);
    cr_assert_eq(dd_settle_share(8000000, 208918064, 800000000), 2089181);
    cr_assert_eq(dd_settle_share(100, 10000, 30000), 33);
    cr_assert_eq(dd_settle_share(100, 15000, 20000), 75);
    cr_assert_eq(dd_settle_share(1, 10000, 20000), 1); /* 0.5 fen -> 1 */
    cr_assert_eq(dd_settle_share(0, 10000, 20000), 0);
    cr_assert_eq(dd_settle_share(100, 10000, 0), 0);
    /* large values stay exact: 10^12 yuan budget, 10^9 points */
    cr_assert_eq(dd_settle_share(100000000000000LL, 5000000000000LL, 10000000000000LL),
                 50000000000000LL);
}

Test(settle_month, golden_spec_example_h1)
{
    dd_settle_month_in in = {
        .budget_fen = 8000000,
        .region_points_e4 = 800000000,
        .points_e4 = 591081936,
        .medfee_fen = 7880000,
        .fund_fen = 6304000,
        .psn_part_fen = 1576000,
        .retention_rate_e6 = 50000,
    };
    dd_settle_month_out out;
    dd_settle_month(&in, &out);
    cr_assert_eq(out.retention_fen, 315200);        /* 3152.00 */
    cr_assert_eq(out.payable_fen, 5988800);         /* 59888.00 */
    cr_assert_eq(out.settlement_fen, 5910819);      /* 59108.19 */
    cr_assert_eq(out.fund_settlement_fen, 4334819); /* 43348.19 */
    cr_assert_eq(out.profit_loss_fen, -1969181);    /* -19691.81 */
    cr_assert_eq(dd_settle_point_value_e6(in.budget_fen, in.region_points_e4), 1000000);
}

Test(settle_month, golden_spec_example_h2)
{
    dd_settle_month_in in = {
        .budget_fen = 8000000,
        .region_points_e4 = 800000000,
        .points_e4 = 208918064,
        .medfee_fen = 3400000,
        .fund_fen = 2720000,
        .psn_part_fen = 680000,
        .retention_rate_e6 = 50000,
    };
    dd_settle_month_out out;
    dd_settle_month(&in, &out);
    cr_assert_eq(out.retention_fen, 136000);        /* 1360.00 */
    cr_assert_eq(out.payable_fen, 2584000);         /* 25840.00 */
    cr_assert_eq(out.settlement_fen, 2089181);      /* 20891.81 */
    cr_assert_eq(out.fund_settlement_fen, 1409181); /* 14091.81 */
    cr_assert_eq(out.profit_loss_fen, -1310819);    /* -13108.19 */
}

Test(settle_month, no_budget)
{
    dd_settle_month_in in = {
        .budget_fen = 0,
        .region_points_e4 = 800000000,
        .points_e4 = 591081936,
        .medfee_fen = 7880000,
        .fund_fen = 6304000,
        .psn_part_fen = 1576000,
        .retention_rate_e6 = 50000,
    };
    dd_settle_month_out out;
    dd_settle_month(&in, &out);
    cr_assert_eq(out.retention_fen, 315200); /* retention/payable do not need B */
    cr_assert_eq(out.payable_fen, 5988800);
    cr_assert_eq(out.settlement_fen, 0);
    cr_assert_eq(out.fund_settlement_fen, 0); /* SPEC §11 literal (lead's decision) */
    cr_assert_eq(out.profit_loss_fen, -7880000);
}

Test(settle_month, no_points)
{
    /* P = 0 (e.g. every case pending): settlements 0 even with a budget */
    dd_settle_month_in in = {
        .budget_fen = 8000000,
        .region_points_e4 = 0,
        .points_e4 = 0,
        .medfee_fen = 100,
        .fund_fen = 0,
        .psn_part_fen = 100,
        .retention_rate_e6 = 50000,
    };
    dd_settle_month_out out;
    dd_settle_month(&in, &out);
    cr_assert_eq(out.retention_fen, 0);
    cr_assert_eq(out.payable_fen, 0);
    cr_assert_eq(out.settlement_fen, 0);
    cr_assert_eq(out.fund_settlement_fen, 0);
    cr_assert_eq(out.profit_loss_fen, -100);
}

Test(settle_month, hospital_without_points_in_a_pool)
{
    /* B > 0 and P > 0 but P_h = 0: not the "no budget / P = 0" rule, so the
     * fund settlement is 0 - psn_part */
    dd_settle_month_in in = {
        .budget_fen = 8000000,
        .region_points_e4 = 800000000,
        .points_e4 = 0,
        .medfee_fen = 100,
        .fund_fen = 0,
        .psn_part_fen = 100,
        .retention_rate_e6 = 50000,
    };
    dd_settle_month_out out;
    dd_settle_month(&in, &out);
    cr_assert_eq(out.settlement_fen, 0);
    cr_assert_eq(out.fund_settlement_fen, -100);
    cr_assert_eq(out.profit_loss_fen, -100);
}

/* Rows of the golden replay streams (independent implementation), checking
 * rounding on non-round figures: 220100/310 at 5 % and 220400/390 at 6 %. */
Test(settle_month, golden_stream_rows)
{
    dd_settle_month_in a = {
        .budget_fen = 438115351,
        .region_points_e4 = 42857211407LL,
        .points_e4 = 7236599170LL,
        .medfee_fen = 65347496,
        .fund_fen = 53398853,
        .psn_part_fen = 11948643,
        .retention_rate_e6 = 50000,
    };
    dd_settle_month_out out;
    dd_settle_month(&a, &out);
    cr_assert_eq(out.retention_fen, 2669943);
    cr_assert_eq(out.payable_fen, 50728910);
    cr_assert_eq(out.settlement_fen, 73977403);
    cr_assert_eq(out.fund_settlement_fen, 62028760);
    cr_assert_eq(out.profit_loss_fen, 8629907);
    cr_assert_eq(dd_settle_point_value_e6(a.budget_fen, a.region_points_e4), 1022268);

    dd_settle_month_in b = {
        .budget_fen = 159413176,
        .region_points_e4 = 18489043457LL,
        .points_e4 = 3607555262LL,
        .medfee_fen = 27574535,
        .fund_fen = 17160282,
        .psn_part_fen = 10414253,
        .retention_rate_e6 = 60000,
    };
    dd_settle_month(&b, &out);
    cr_assert_eq(out.retention_fen, 1029617);
    cr_assert_eq(out.payable_fen, 16130665);
    cr_assert_eq(out.settlement_fen, 31104467);
    cr_assert_eq(out.fund_settlement_fen, 20690214);
    cr_assert_eq(out.profit_loss_fen, 3529932);
    cr_assert_eq(dd_settle_point_value_e6(b.budget_fen, b.region_points_e4), 862203);
}
