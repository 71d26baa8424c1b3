/*
 * dd_settle — settlement math of SPEC §7: monthly pre-settlement figures,
 * quarterly netting and annual risk sharing. Integers in, integers out:
 * money in fen, points in 1/10000, rates in 1/1000000; every division rounds
 * half away from zero exactly once.
 */
#ifndef DD_SETTLE_H
#define DD_SETTLE_H

#include <stdint.h>

/* round(fund x rate) */
int64_t dd_settle_retention(int64_t fund_fen, int64_t rate_e6);

/* Point value B / P in yuan per point, 6 decimals (1/1000000 yuan):
 * budget in fen, points in 1/10000. 0 when P <= 0 or B <= 0. */
int64_t dd_settle_point_value_e6(int64_t budget_fen, int64_t points_e4);

/* round(B x P_h / P) in fen; 0 when P <= 0 or B <= 0. */
int64_t dd_settle_share(int64_t budget_fen, int64_t part_points_e4,
                        int64_t total_points_e4);

/* Annual risk sharing of actual cost M against settlement S (SPEC §7):
 * overrun within band (inclusive) -> S + rate x (M - S); beyond -> S;
 * saving within band -> M + rate x (S - M); beyond -> M. */
int64_t dd_settle_risk_share(int64_t s_fen, int64_t m_fen, int64_t rate_e6,
                             int64_t band_e6);

/* One hospital's month figures (SPEC §7 and §11).
 * retention = round(F x rate), payable = F - retention (these need no
 * budget); settlement = round(B x P_h / P), fund_settlement = settlement -
 * psn_part, profit_loss = settlement - medfee. With no budget or P = 0
 * (B <= 0 or P <= 0), SPEC §11 read literally: settlement AND
 * fund_settlement are 0, so profit_loss = -medfee. */
typedef struct {
    int64_t budget_fen, region_points_e4;        /* B, P */
    int64_t points_e4, medfee_fen, fund_fen, psn_part_fen; /* eligible sums */
    int64_t retention_rate_e6;
} dd_settle_month_in;

typedef struct {
    int64_t retention_fen, payable_fen;
    int64_t settlement_fen, fund_settlement_fen, profit_loss_fen;
} dd_settle_month_out;

void dd_settle_month(const dd_settle_month_in *in, dd_settle_month_out *out);

/* Risk-sharing policy (SPEC §7, §9 sharing.rate / sharing.band). */
typedef struct {
    int64_t rate_e6, band_e6;
} dd_settle_sharing;

/* Which SPEC §7 case dd_settle_risk_share applied. */
typedef enum {
    DD_SHARE_NONE = 0,          /* no risk sharing (quarter) */
    DD_SHARE_EQUAL = 1,         /* M == S */
    DD_SHARE_OVERRUN_SHARED,    /* M > S, within band: S + rate x (M - S) */
    DD_SHARE_OVERRUN_BEYOND,    /* M > S, beyond band: S */
    DD_SHARE_SAVING_SHARED,     /* M < S, within band: M + rate x (S - M) */
    DD_SHARE_SAVING_BEYOND      /* M < S, beyond band: M */
} dd_share_case;
const char *dd_settle_share_case_name(dd_share_case c); /* "NONE", "EQUAL", ... */
dd_share_case dd_settle_risk_case(int64_t s_fen, int64_t m_fen, int64_t band_e6);

/* One hospital's quarterly or yearly netting (SPEC §7 art. 23, 18, 27) over
 * the months of the period, computed from its month inputs (one
 * dd_settle_month_in per month of the period, in any order; a month where
 * the hospital has no cases has zero hospital sums but the region's B and P).
 *
 *   B = Σ budget_fen, P = Σ region_points_e4 (the region's, per month);
 *   points, medfee, fund, psn_part = the hospital's sums over the months;
 *   monthly_payables = Σ (F_m - round(F_m x rate_m))  (already paid);
 *   settlement S = round(B x P_h / P);
 *   final_settlement = S, or with `sharing` (year) dd_settle_risk_share(S,
 *                      M = medfee, rate, band);
 *   fund_settlement = final_settlement - psn_part;
 *   retention = round(fund_settlement x rate), rate = the last month's
 *               retention_rate (the period's policy); 0 when
 *               fund_settlement <= 0 (nothing to withhold from);
 *   payable = fund_settlement - retention - monthly_payables
 *           (negative: claw-back). SPEC §7 read literally ("fund S_h −
 *           personal; less retention; less the monthly payables already
 *           made"): the period keeps back a retention on what it settles,
 *           and the monthly payables were paid net of their own retentions.
 *   profit_loss = final_settlement - medfee.
 * With no budget or P = 0 (B <= 0 or P <= 0): settlement, final_settlement
 * and fund_settlement are 0 (SPEC §11, literal) and no risk sharing applies
 * (share_case NONE), so retention is 0, payable = -monthly_payables and
 * profit_loss = -medfee. Sums are exact int64 (inputs are bounded far below
 * overflow by SPEC §11's amount limits). */
typedef struct {
    int64_t budget_fen, region_points_e4;
    int64_t points_e4, medfee_fen, fund_fen, psn_part_fen;
    int64_t retention_fen, monthly_payables_fen;
    int64_t settlement_fen, final_settlement_fen, fund_settlement_fen;
    int64_t payable_fen, profit_loss_fen;
    dd_share_case share_case;
} dd_settle_netting;

void dd_settle_net(const dd_settle_month_in *months, int n_months,
                   const dd_settle_sharing *sharing, dd_settle_netting *out);

#endif
