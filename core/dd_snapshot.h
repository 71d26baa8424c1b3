/*
 * dd_snapshot — the pre-settlement snapshot of one (admdvs, insutype, month)
 * (SPEC §7, §11), built from per-hospital counter vectors (dd_case.h) and the
 * month budget, independent of where the counters live (the replay ledger,
 * or Redis hashes read back by the streaming processor).
 *
 * Figures: a hospital appears when `settled` > 0 (at least one settled,
 * non-reversed case in scope); hospitals sorted by code. Per hospital:
 * eligible cases, pending cases by reason, paid points by category (sum =
 * `points`), paid cases by category, medfee / fund_amount / psn_part of paid
 * cases, retention = round(F x retention_rate), payable = F - retention,
 * settlement = round(B x P_h / P), fund_settlement = settlement - psn_part,
 * profit_loss = settlement - medfee, CMI = Σ W / n over the CMI cases (4
 * decimals, half away from zero; 0 when none). Region: P = Σ P_h, point value
 * B / P to 6 decimals; with B = 0 or P = 0 point value and settlements are 0.
 *
 * JSON: exactly the SPEC §7 form and key order (decimals as strings;
 * points_by_category lists all 7 categories, cases_by_category the non-zero
 * ones, both in SPEC order).
 */
#ifndef DD_SNAPSHOT_H
#define DD_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "dd_case.h"
#include "dd_json.h"
#include "dd_ledger.h"
#include "dd_points.h"

typedef enum { DD_SNAP_LIVE = 0, DD_SNAP_MONTH_CLOSE = 1, DD_SNAP_REPLAY = 2 } dd_snapshot_kind;
const char *dd_snapshot_kind_name(dd_snapshot_kind k); /* "LIVE", "MONTH_CLOSE", "REPLAY" */

typedef struct {
    char fixmedins_code[DD_CODE_MAX + 1];
    int64_t eligible_cases;
    int64_t pending[4]; /* NO_LIST, QC_FAILED, NOT_RECONCILED, LATE_LIST */
    int64_t points_e4;
    int64_t points_by_cat[DD_CAT__COUNT];
    int64_t cases_by_cat[DD_CAT__COUNT];
    int64_t medfee_fen, fund_fen, psn_part_fen;
    int64_t retention_fen, payable_fen, settlement_fen, fund_settlement_fen, profit_loss_fen;
    int64_t cmi_e4;
} dd_snapshot_hospital;

typedef struct {
    char admdvs[7];
    int insutype;
    int32_t month;
    dd_snapshot_kind kind;
    int64_t budget_fen;
    int64_t points_e4;      /* P */
    int64_t point_value_e6; /* B / P */
    int64_t late_cases;     /* late adjustments (0 in a replay) */
    int64_t late_points_e4;
    int n_hospitals;
    dd_snapshot_hospital *hospitals;
} dd_snapshot;

/* One hospital's counters for the scope (vector of DD_CTR__COUNT). */
typedef struct {
    const char *fixmedins_code;
    const int64_t *counters;
} dd_snapshot_row;

/* Build from rows (any order; rows whose `settled` is 0 are left out).
 * Returns 0, or -1 on out of memory. Free with dd_snapshot_free. */
int dd_snapshot_build(dd_snapshot *s, const char *admdvs, int insutype, int32_t month,
                      dd_snapshot_kind kind, int64_t budget_fen, int64_t retention_rate_e6,
                      const dd_snapshot_row *rows, int n_rows);

/* Convenience: the scope's rows and budget from a replay ledger. */
int dd_snapshot_from_ledger(dd_snapshot *s, const dd_ledger *l, const dd_dataset *ds,
                            const char *admdvs, int insutype, int32_t month,
                            dd_snapshot_kind kind);

void dd_snapshot_free(dd_snapshot *s);

/* The SPEC §7 JSON object (no trailing newline). */
void dd_snapshot_to_json(const dd_snapshot *s, dd_jw *w);

#endif
