/*
 * dd_settle — SPEC §7 settlement math (contract in dd_settle.h).
 *
 * Products of two int64 are formed in 128 bits, so no input inside int64
 * can overflow an intermediate; each figure is rounded (half away from zero)
 * exactly once by dd_div_round.
 */
#include "dd_settle.h"

#include "dd_num.h"

#define E6 1000000

int64_t dd_settle_retention(int64_t fund_fen, int64_t rate_e6)
{
    return dd_div_round((dd_i128)fund_fen * rate_e6, E6);
}

int64_t dd_settle_point_value_e6(int64_t budget_fen, int64_t points_e4)
{
    if (budget_fen <= 0 || points_e4 <= 0)
        return 0;
    /* (B_fen / 100) / (P_e4 / 10000) yuan, times 10^6: B_fen x 10^8 / P_e4. */
    return dd_div_round((dd_i128)budget_fen * 100000000, points_e4);
}

int64_t dd_settle_share(int64_t budget_fen, int64_t part_points_e4, int64_t total_points_e4)
{
    if (budget_fen <= 0 || total_points_e4 <= 0)
        return 0;
    return dd_div_round((dd_i128)budget_fen * part_points_e4, total_points_e4);
}

dd_share_case dd_settle_risk_case(int64_t s_fen, int64_t m_fen, int64_t band_e6)
{
    dd_i128 d = (dd_i128)m_fen - s_fen;
    if (d == 0)
        return DD_SHARE_EQUAL;
    dd_i128 ad = d < 0 ? -d : d;
    /* |M - S| <= band x S, compared exactly in 1/10^6 fen. */
    int within = ad * E6 <= (dd_i128)band_e6 * s_fen;
    if (d > 0)
        return within ? DD_SHARE_OVERRUN_SHARED : DD_SHARE_OVERRUN_BEYOND;
    return within ? DD_SHARE_SAVING_SHARED : DD_SHARE_SAVING_BEYOND;
}

const char *dd_settle_share_case_name(dd_share_case c)
{
    switch (c) {
    case DD_SHARE_EQUAL: return "EQUAL";
    case DD_SHARE_OVERRUN_SHARED: return "OVERRUN_SHARED";
    case DD_SHARE_OVERRUN_BEYOND: return "OVERRUN_BEYOND";
    case DD_SHARE_SAVING_SHARED: return "SAVING_SHARED";
    case DD_SHARE_SAVING_BEYOND: return "SAVING_BEYOND";
    default: return "NONE";
    }
}

int64_t dd_settle_risk_share(int64_t s_fen, int64_t m_fen, int64_t rate_e6, int64_t band_e6)
{
    dd_i128 d = (dd_i128)m_fen - s_fen;
    switch (dd_settle_risk_case(s_fen, m_fen, band_e6)) {
    case DD_SHARE_OVERRUN_SHARED:
        return (int64_t)((dd_i128)s_fen + dd_div_round(d * rate_e6, E6));
    case DD_SHARE_OVERRUN_BEYOND:
        return s_fen;
    case DD_SHARE_SAVING_SHARED:
        return (int64_t)((dd_i128)m_fen + dd_div_round(-d * rate_e6, E6));
    default: /* EQUAL, SAVING_BEYOND */
        return m_fen;
    }
}

/* SPEC §11: with no budget or P = 0 there is nothing to share out. */
static int no_pool(int64_t budget_fen, int64_t points_e4)
{
    return budget_fen <= 0 || points_e4 <= 0;
}

void dd_settle_month(const dd_settle_month_in *in, dd_settle_month_out *out)
{
    out->retention_fen = dd_settle_retention(in->fund_fen, in->retention_rate_e6);
    out->payable_fen = in->fund_fen - out->retention_fen;
    out->settlement_fen = dd_settle_share(in->budget_fen, in->points_e4, in->region_points_e4);
    out->fund_settlement_fen =
        no_pool(in->budget_fen, in->region_points_e4) ? 0 : out->settlement_fen - in->psn_part_fen;
    out->profit_loss_fen = out->settlement_fen - in->medfee_fen;
}

void dd_settle_net(const dd_settle_month_in *months, int n_months,
                   const dd_settle_sharing *sharing, dd_settle_netting *out)
{
    *out = (dd_settle_netting){0};
    for (int i = 0; i < n_months; i++) {
        const dd_settle_month_in *m = &months[i];
        int64_t ret = dd_settle_retention(m->fund_fen, m->retention_rate_e6);
        out->budget_fen += m->budget_fen;
        out->region_points_e4 += m->region_points_e4;
        out->points_e4 += m->points_e4;
        out->medfee_fen += m->medfee_fen;
        out->fund_fen += m->fund_fen;
        out->psn_part_fen += m->psn_part_fen;
        out->monthly_payables_fen += m->fund_fen - ret;
    }
    int none = no_pool(out->budget_fen, out->region_points_e4);
    out->settlement_fen = dd_settle_share(out->budget_fen, out->points_e4, out->region_points_e4);
    out->final_settlement_fen = out->settlement_fen;
    out->share_case = DD_SHARE_NONE;
    if (sharing && !none) {
        out->share_case = dd_settle_risk_case(out->settlement_fen, out->medfee_fen,
                                              sharing->band_e6);
        out->final_settlement_fen = dd_settle_risk_share(out->settlement_fen, out->medfee_fen,
                                                         sharing->rate_e6, sharing->band_e6);
    }
    out->fund_settlement_fen = none ? 0 : out->final_settlement_fen - out->psn_part_fen;
    /* withheld on what the period settles (a claw-back carries none) */
    if (n_months > 0 && out->fund_settlement_fen > 0)
        out->retention_fen = dd_settle_retention(out->fund_settlement_fen,
                                                 months[n_months - 1].retention_rate_e6);
    out->payable_fen = out->fund_settlement_fen - out->retention_fen - out->monthly_payables_fen;
    out->profit_loss_fen = out->final_settlement_fen - out->medfee_fen;
}
