/* dd_settle_net: SPEC §7 quarterly netting (with a claw-back and a payment
 * due) and yearly netting with risk sharing in every SPEC case, plus the
 * SPEC §11 "no budget or P = 0" rule. All figures derived by hand. */
#include <criterion/criterion.h>
#include <string.h>

#include "dd_settle.h"

#define Y(x) ((int64_t)(x) * 100) /* whole yuan -> fen */

/* Q1 of a region with two hospitals A and B, retention 5 %.
 * Budgets 100000.00, 100000.00, 100000.01 -> B_q 300000.01.
 * Region points 100000, 120000, 80000 -> P_q 300000.0000.
 * A: points 30000, 40000, 20000 = 90000; B: 70000, 80000, 60000 = 210000. */
static const int64_t q_budget[3] = {10000000, 10000000, 10000001};
static const int64_t q_region_pts[3] = {1000000000, 1200000000, 800000000};

static void q_month(dd_settle_month_in *m, int i, int64_t pts, int64_t medfee, int64_t fund,
                    int64_t psn)
{
    memset(m, 0, sizeof *m);
    m->budget_fen = q_budget[i];
    m->region_points_e4 = q_region_pts[i];
    m->points_e4 = pts;
    m->medfee_fen = medfee;
    m->fund_fen = fund;
    m->psn_part_fen = psn;
    m->retention_rate_e6 = 50000;
}

Test(settle_net, quarter_claw_back)
{
    dd_settle_month_in m[3];
    /* A: F 40000.10, 35000.00, 30000.00; psn 10000, 9000, 8000; medfee 52000.10, 45000, 39000 */
    q_month(&m[0], 0, 300000000, 5200010, 4000010, Y(10000));
    q_month(&m[1], 1, 400000000, Y(45000), Y(35000), Y(9000));
    q_month(&m[2], 2, 200000000, Y(39000), Y(30000), Y(8000));
    dd_settle_netting n;
    dd_settle_net(m, 3, NULL, &n);
    cr_assert_eq(n.budget_fen, 30000001);           /* 300000.01 */
    cr_assert_eq(n.region_points_e4, 3000000000LL); /* 300000.0000 */
    cr_assert_eq(n.points_e4, 900000000);
    cr_assert_eq(n.medfee_fen, 13600010);
    cr_assert_eq(n.fund_fen, 10500010);
    cr_assert_eq(n.psn_part_fen, Y(27000));
    /* monthly retentions round(2000.005) = 2000.01, 1750.00, 1500.00 */
    cr_assert_eq(n.monthly_payables_fen, 9975009); /* 38000.09 + 33250 + 28500 */
    /* S = round(300000.01 x 90000 / 300000) = round(90000.003) = 90000.00 */
    cr_assert_eq(n.settlement_fen, Y(90000));
    cr_assert_eq(n.final_settlement_fen, Y(90000));
    cr_assert_eq(n.share_case, DD_SHARE_NONE);
    cr_assert_eq(n.fund_settlement_fen, Y(63000));
    cr_assert_eq(n.retention_fen, Y(3150)); /* 5 % of the quarter's 63000.00 */
    /* 63000.00 - 3150.00 - 99750.09 = -39900.09: claw-back */
    cr_assert_eq(n.payable_fen, -3990009);
    cr_assert_eq(n.profit_loss_fen, -4600010); /* 90000.00 - 136000.10 */
}

Test(settle_net, quarter_payment_due_and_shares_add_up)
{
    dd_settle_month_in m[3];
    /* B: F 50000 each month, psn 40000 in total; medfee = F + psn */
    q_month(&m[0], 0, 700000000, Y(65000), Y(50000), Y(15000));
    q_month(&m[1], 1, 800000000, Y(63000), Y(50000), Y(13000));
    q_month(&m[2], 2, 600000000, Y(62000), Y(50000), Y(12000));
    dd_settle_netting n;
    dd_settle_net(m, 3, NULL, &n);
    /* S = round(300000.01 x 210000 / 300000) = round(210000.007) = 210000.01 */
    cr_assert_eq(n.settlement_fen, 21000001);
    cr_assert_eq(n.settlement_fen + Y(90000), 30000001); /* A + B = B_q */
    cr_assert_eq(n.fund_settlement_fen, 17000001);       /* 210000.01 - 40000.00 */
    cr_assert_eq(n.retention_fen, Y(8500));              /* round(8500.0005) */
    cr_assert_eq(n.monthly_payables_fen, Y(142500));     /* 3 x (50000 - 2500) */
    cr_assert_eq(n.payable_fen, 1900001); /* 170000.01 - 8500 - 142500 = 19000.01 due */
    cr_assert_eq(n.profit_loss_fen, 2000001); /* 210000.01 - 190000.00 */
}

Test(settle_net, hospital_idle_all_quarter)
{
    dd_settle_month_in m[3];
    for (int i = 0; i < 3; i++)
        q_month(&m[i], i, 0, 0, 0, 0);
    dd_settle_netting n;
    dd_settle_net(m, 3, NULL, &n);
    cr_assert_eq(n.budget_fen, 30000001);
    cr_assert_eq(n.settlement_fen, 0);
    cr_assert_eq(n.fund_settlement_fen, 0);
    cr_assert_eq(n.payable_fen, 0);
    cr_assert_eq(n.profit_loss_fen, 0);
}

/* A quarter whose only active month is the golden spec example (March):
 * the quarter equals the month, and the claw-back is fund_settlement - F. */
Test(settle_net, single_active_month_equals_the_month)
{
    dd_settle_month_in m[3];
    memset(m, 0, sizeof m);
    for (int i = 0; i < 3; i++)
        m[i].retention_rate_e6 = 50000;
    m[2].budget_fen = 8000000;
    m[2].region_points_e4 = 800000000;
    m[2].points_e4 = 591081936;
    m[2].medfee_fen = 7880000;
    m[2].fund_fen = 6304000;
    m[2].psn_part_fen = 1576000;
    dd_settle_month_out mo;
    dd_settle_month(&m[2], &mo);
    dd_settle_netting n;
    dd_settle_net(m, 3, NULL, &n);
    cr_assert_eq(n.settlement_fen, mo.settlement_fen);
    cr_assert_eq(n.settlement_fen, 5910819);
    cr_assert_eq(n.fund_settlement_fen, 4334819);
    cr_assert_eq(n.retention_fen, 216741); /* round(2167.4095) */
    cr_assert_eq(n.monthly_payables_fen, 5988800); /* 63040.00 - 3152.00 */
    cr_assert_eq(n.payable_fen, -1870722); /* 43348.19 - 2167.41 - 59888.00 */
    cr_assert_eq(n.profit_loss_fen, mo.profit_loss_fen);
}

/* SPEC §11 with the lead's literal reading: no budget -> settlement and
 * fund settlement 0; everything paid monthly is clawed back. */
Test(settle_net, no_budget_quarter)
{
    dd_settle_month_in m[3];
    for (int i = 0; i < 3; i++) {
        q_month(&m[i], i, 100000000, Y(1200), Y(1000), Y(200));
        m[i].budget_fen = 0;
    }
    dd_settle_sharing sh = {600000, 100000};
    for (int year = 0; year < 2; year++) {
        dd_settle_netting n;
        dd_settle_net(m, 3, year ? &sh : NULL, &n);
        cr_assert_eq(n.budget_fen, 0);
        cr_assert_eq(n.settlement_fen, 0);
        cr_assert_eq(n.final_settlement_fen, 0);
        cr_assert_eq(n.fund_settlement_fen, 0);
        cr_assert_eq(n.share_case, DD_SHARE_NONE);
        cr_assert_eq(n.retention_fen, 0); /* nothing settled, nothing withheld */
        cr_assert_eq(n.monthly_payables_fen, Y(2850));
        cr_assert_eq(n.payable_fen, -Y(2850));
        cr_assert_eq(n.profit_loss_fen, -Y(3600));
    }
}

Test(settle_net, no_points_quarter)
{
    dd_settle_month_in m[3];
    for (int i = 0; i < 3; i++) {
        q_month(&m[i], i, 0, Y(500), 0, Y(500));
        m[i].region_points_e4 = 0;
    }
    dd_settle_netting n;
    dd_settle_net(m, 3, NULL, &n);
    cr_assert_eq(n.settlement_fen, 0);
    cr_assert_eq(n.fund_settlement_fen, 0); /* not -psn_part */
    cr_assert_eq(n.payable_fen, 0);
    cr_assert_eq(n.profit_loss_fen, -Y(1500));
}

/* A year where one hospital holds every point, so S = B_y = 100000.00
 * (11 x 8333.33 + 8333.37). Actual cost M (yuan) is spread over the months
 * (fen remainders in December); psn = M / 5, F = 4M / 5. */
static void year_run(int64_t m_yuan, dd_settle_netting *n)
{
    dd_settle_month_in m[12];
    int64_t medfee = Y(m_yuan), psn = medfee / 5, fund = medfee - psn;
    for (int i = 0; i < 12; i++) {
        memset(&m[i], 0, sizeof m[i]);
        int last = i == 11;
        m[i].budget_fen = last ? 833337 : 833333;
        m[i].region_points_e4 = 10000000;
        m[i].points_e4 = 10000000;
        m[i].medfee_fen = last ? medfee - 11 * (medfee / 12) : medfee / 12;
        m[i].psn_part_fen = last ? psn - 11 * (psn / 12) : psn / 12;
        m[i].fund_fen = m[i].medfee_fen - m[i].psn_part_fen;
        m[i].retention_rate_e6 = 50000;
    }
    dd_settle_sharing sh = {600000, 100000}; /* sharing.rate 0.6, sharing.band 0.10 */
    dd_settle_net(m, 12, &sh, n);
    cr_assert_eq(n->budget_fen, Y(100000));
    cr_assert_eq(n->settlement_fen, Y(100000));
    cr_assert_eq(n->medfee_fen, medfee);
    cr_assert_eq(n->psn_part_fen, psn);
    cr_assert_eq(n->fund_fen, fund);
    cr_assert_eq(n->fund_settlement_fen, n->final_settlement_fen - psn);
    cr_assert_eq(n->retention_fen, (n->fund_settlement_fen * 5 + 50) / 100); /* 5 %, whole fen here */
    cr_assert_eq(n->payable_fen,
                 n->fund_settlement_fen - n->retention_fen - n->monthly_payables_fen);
    cr_assert_eq(n->profit_loss_fen, n->final_settlement_fen - medfee);
}

Test(settle_net, year_risk_sharing_spec_examples)
{
    static const struct {
        int64_t m, r;
        dd_share_case c;
    } ex[] = {
        {105000, 103000, DD_SHARE_OVERRUN_SHARED},
        {115000, 100000, DD_SHARE_OVERRUN_BEYOND},
        {95000, 98000, DD_SHARE_SAVING_SHARED},
        {85000, 85000, DD_SHARE_SAVING_BEYOND},
        {110000, 106000, DD_SHARE_OVERRUN_SHARED}, /* exactly at the band: within */
        {90000, 96000, DD_SHARE_SAVING_SHARED},    /* exactly at the band: within */
        {100000, 100000, DD_SHARE_EQUAL},
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        dd_settle_netting n;
        year_run(ex[i].m, &n);
        cr_assert_eq(n.final_settlement_fen, Y(ex[i].r), "M %lld", (long long)ex[i].m);
        cr_assert_eq(n.share_case, ex[i].c, "M %lld", (long long)ex[i].m);
    }
}

Test(settle_net, year_m105000_every_figure)
{
    dd_settle_netting n;
    year_run(105000, &n);
    /* F 84000.00 = 12 x 7000.00 paid net of 12 x 350.00 */
    cr_assert_eq(n.monthly_payables_fen, Y(79800));
    cr_assert_eq(n.final_settlement_fen, Y(103000));
    cr_assert_eq(n.fund_settlement_fen, Y(82000)); /* 103000 - 21000 */
    cr_assert_eq(n.retention_fen, Y(4100));        /* 5 % of 82000 */
    cr_assert_eq(n.payable_fen, -Y(1900));         /* 82000 - 4100 - 79800 */
    cr_assert_eq(n.profit_loss_fen, -Y(2000));     /* 103000 - 105000 */
}

Test(settle_net, year_m115000_every_figure)
{
    dd_settle_netting n;
    year_run(115000, &n);
    /* medfee 11 x 9583.33 + 9583.37, psn 11 x 1916.66 + 1916.74, so
     * F = 11 x 7666.67 + 7666.63 = 92000.00; retentions round(383.3335) =
     * 383.33 (x 11) and round(383.3315) = 383.33 -> 4599.96 */
    cr_assert_eq(n.monthly_payables_fen, 9200000 - 459996);
    cr_assert_eq(n.final_settlement_fen, Y(100000)); /* beyond the band: S */
    cr_assert_eq(n.fund_settlement_fen, Y(77000));   /* 100000 - 23000 */
    cr_assert_eq(n.retention_fen, Y(3850));
    cr_assert_eq(n.payable_fen, -1425004);           /* 77000 - 3850 - 87400.04 */
    cr_assert_eq(n.profit_loss_fen, -Y(15000));
}

Test(settle_net, year_rounding_of_the_shared_part)
{
    /* S 1000.00 (one month), M 1000.01: S + round(0.6 x 0.01) = 1000.01;
     * M 1000.03: 1000.00 + round(1.8 fen) = 1000.02 */
    dd_settle_month_in m = {.budget_fen = 100000, .region_points_e4 = 10000, .points_e4 = 10000,
                            .medfee_fen = 100001, .fund_fen = 100001, .psn_part_fen = 0,
                            .retention_rate_e6 = 50000};
    dd_settle_sharing sh = {600000, 100000};
    dd_settle_netting n;
    dd_settle_net(&m, 1, &sh, &n);
    cr_assert_eq(n.final_settlement_fen, 100001);
    m.medfee_fen = m.fund_fen = 100003;
    dd_settle_net(&m, 1, &sh, &n);
    cr_assert_eq(n.final_settlement_fen, 100002);
    cr_assert_eq(n.share_case, DD_SHARE_OVERRUN_SHARED);
    cr_assert_eq(n.retention_fen, 5000); /* round(5000.1 fen) on 1000.02 */
    cr_assert_eq(n.monthly_payables_fen, 100003 - 5000); /* round(5000.15 fen) withheld */
    cr_assert_eq(n.payable_fen, 100002 - 5000 - 95003);
}

/* 6 % retention with a rounding edge: S_h = round(100000.00 x 30000 / 90000)
 * = 33333.33; personal 8000.00 -> fund 25333.33; retention round(1519.9998)
 * = 1520.00; the month paid 30319.15 - round(1819.149) = 28500.00;
 * payable 25333.33 - 1520.00 - 28500.00 = -4686.67 (claw-back). */
Test(settle_net, claw_back_at_six_percent)
{
    dd_settle_month_in m = {.budget_fen = Y(100000), .region_points_e4 = 900000000,
                            .points_e4 = 300000000, .medfee_fen = Y(40000),
                            .fund_fen = 3031915, .psn_part_fen = Y(8000),
                            .retention_rate_e6 = 60000};
    dd_settle_netting n;
    dd_settle_net(&m, 1, NULL, &n);
    cr_assert_eq(n.settlement_fen, 3333333);
    cr_assert_eq(n.fund_settlement_fen, 2533333);
    cr_assert_eq(n.retention_fen, 152000);
    cr_assert_eq(n.monthly_payables_fen, Y(28500));
    cr_assert_eq(n.payable_fen, -468667);
}

Test(settle_net, share_case_names)
{
    cr_assert_str_eq(dd_settle_share_case_name(DD_SHARE_NONE), "NONE");
    cr_assert_str_eq(dd_settle_share_case_name(DD_SHARE_EQUAL), "EQUAL");
    cr_assert_str_eq(dd_settle_share_case_name(DD_SHARE_OVERRUN_SHARED), "OVERRUN_SHARED");
    cr_assert_str_eq(dd_settle_share_case_name(DD_SHARE_OVERRUN_BEYOND), "OVERRUN_BEYOND");
    cr_assert_str_eq(dd_settle_share_case_name(DD_SHARE_SAVING_SHARED), "SAVING_SHARED");
    cr_assert_str_eq(dd_settle_share_case_name(DD_SHARE_SAVING_BEYOND), "SAVING_BEYOND");
    cr_assert_eq(dd_settle_risk_case(10000000, 11000001, 100000), DD_SHARE_OVERRUN_BEYOND);
    cr_assert_eq(dd_settle_risk_case(10000000, 8999999, 100000), DD_SHARE_SAVING_BEYOND);
}

Test(settle_net, empty_period)
{
    dd_settle_netting n;
    dd_settle_net(NULL, 0, NULL, &n);
    cr_assert_eq(n.budget_fen, 0);
    cr_assert_eq(n.settlement_fen, 0);
    cr_assert_eq(n.payable_fen, 0);
}
