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

/* One hospital's month figures (SPEC §7 and §11). */
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

/* One hospital's period netting (quarter, or the year before risk sharing):
 * S_h = round(B_period x P_h / P_period); fund = S_h - personal;
 * retention = round(fund x rate); payable = fund - retention - monthly
 * payables already made (negative: claw-back). */
typedef struct {
    int64_t budget_fen, region_points_e4;        /* B_q, P_q */
    int64_t points_e4, psn_part_fen, medfee_fen; /* hospital, over the period */
    int64_t monthly_payables_fen;                /* sum of monthly payables made */
    int64_t retention_rate_e6;
} dd_settle_period_in;

typedef struct {
    int64_t settlement_fen, fund_settlement_fen, retention_fen, payable_fen;
} dd_settle_period_out;

void dd_settle_period(const dd_settle_period_in *in, dd_settle_period_out *out);

#endif
