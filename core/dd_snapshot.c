/*
 * dd_snapshot — see dd_snapshot.h.
 */
#include "dd_snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_num.h"
#include "dd_settle.h"
#include "dd_time.h"

const char *dd_snapshot_kind_name(dd_snapshot_kind k)
{
    switch (k) {
    case DD_SNAP_MONTH_CLOSE: return "MONTH_CLOSE";
    case DD_SNAP_REPLAY: return "REPLAY";
    default: return "LIVE";
    }
}

static int cmp_hosp(const void *a, const void *b)
{
    return strcmp(((const dd_snapshot_hospital *)a)->fixmedins_code,
                  ((const dd_snapshot_hospital *)b)->fixmedins_code);
}

static const dd_counter pts_ctr[DD_CAT__COUNT] = {
    DD_CTR_POINTS_NORMAL, DD_CTR_POINTS_HIGH,        DD_CTR_POINTS_LOW,    DD_CTR_POINTS_BED_DAY,
    DD_CTR_POINTS_FFS,    DD_CTR_POINTS_UNGROUPABLE, DD_CTR_POINTS_SPECIAL};
static const dd_counter cases_ctr[DD_CAT__COUNT] = {
    DD_CTR_CASES_NORMAL, DD_CTR_CASES_HIGH,        DD_CTR_CASES_LOW,    DD_CTR_CASES_BED_DAY,
    DD_CTR_CASES_FFS,    DD_CTR_CASES_UNGROUPABLE, DD_CTR_CASES_SPECIAL};

int dd_snapshot_build(dd_snapshot *s, const char *admdvs, int insutype, int32_t month,
                      dd_snapshot_kind kind, int64_t budget_fen, int64_t retention_rate_e6,
                      const dd_snapshot_row *rows, int n_rows)
{
    memset(s, 0, sizeof *s);
    snprintf(s->admdvs, sizeof s->admdvs, "%s", admdvs);
    s->insutype = insutype;
    s->month = month;
    s->kind = kind;
    s->budget_fen = budget_fen;
    s->hospitals = calloc((size_t)(n_rows > 0 ? n_rows : 1), sizeof *s->hospitals);
    if (!s->hospitals)
        return -1;
    for (int i = 0; i < n_rows; i++) {
        const int64_t *c = rows[i].counters;
        if (!c || c[DD_CTR_SETTLED] <= 0)
            continue;
        dd_snapshot_hospital *h = &s->hospitals[s->n_hospitals++];
        snprintf(h->fixmedins_code, sizeof h->fixmedins_code, "%s", rows[i].fixmedins_code);
        h->eligible_cases = c[DD_CTR_ELIGIBLE];
        h->pending[0] = c[DD_CTR_PENDING_NO_LIST];
        h->pending[1] = c[DD_CTR_PENDING_QC_FAILED];
        h->pending[2] = c[DD_CTR_PENDING_NOT_RECONCILED];
        h->pending[3] = c[DD_CTR_PENDING_LATE_LIST];
        h->points_e4 = c[DD_CTR_POINTS];
        for (int k = 0; k < DD_CAT__COUNT; k++) {
            h->points_by_cat[k] = c[pts_ctr[k]];
            h->cases_by_cat[k] = c[cases_ctr[k]];
        }
        h->medfee_fen = c[DD_CTR_MEDFEE];
        h->fund_fen = c[DD_CTR_FUND];
        h->psn_part_fen = c[DD_CTR_PSN_PART];
        h->cmi_e4 = c[DD_CTR_CMI_CASES] > 0 ? dd_div_round(c[DD_CTR_CMI_WEIGHT], c[DD_CTR_CMI_CASES])
                                            : 0;
        s->points_e4 += h->points_e4;
    }
    qsort(s->hospitals, (size_t)s->n_hospitals, sizeof *s->hospitals, cmp_hosp);
    s->point_value_e6 = dd_settle_point_value_e6(budget_fen, s->points_e4);
    for (int i = 0; i < s->n_hospitals; i++) {
        dd_snapshot_hospital *h = &s->hospitals[i];
        dd_settle_month_in in = {
            .budget_fen = budget_fen,
            .region_points_e4 = s->points_e4,
            .points_e4 = h->points_e4,
            .medfee_fen = h->medfee_fen,
            .fund_fen = h->fund_fen,
            .psn_part_fen = h->psn_part_fen,
            .retention_rate_e6 = retention_rate_e6,
        };
        dd_settle_month_out out;
        dd_settle_month(&in, &out);
        h->retention_fen = out.retention_fen;
        h->payable_fen = out.payable_fen;
        h->settlement_fen = out.settlement_fen;
        h->fund_settlement_fen = out.fund_settlement_fen;
        h->profit_loss_fen = out.profit_loss_fen;
    }
    return 0;
}

int dd_snapshot_from_ledger(dd_snapshot *s, const dd_ledger *l, const dd_dataset *ds,
                            const char *admdvs, int insutype, int32_t month,
                            dd_snapshot_kind kind)
{
    const dd_region *r = dd_dataset_region(ds, admdvs);
    if (!r) {
        memset(s, 0, sizeof *s);
        return -1;
    }
    dd_snapshot_row *rows = calloc((size_t)(r->n_hospitals ? r->n_hospitals : 1), sizeof *rows);
    if (!rows)
        return -1;
    int n = 0;
    for (int i = 0; i < r->n_hospitals; i++) {
        const dd_hospital *h = dd_dataset_hospital_at(ds, r->hospitals[i]);
        const int64_t *c = dd_ledger_totals(l, admdvs, insutype, month, h->code);
        if (c) {
            rows[n].fixmedins_code = h->code;
            rows[n].counters = c;
            n++;
        }
    }
    int rc = dd_snapshot_build(s, admdvs, insutype, month, kind,
                               dd_ledger_budget(l, admdvs, insutype, month),
                               r->policy.retention_rate_e6, rows, n);
    free(rows);
    return rc;
}

void dd_snapshot_free(dd_snapshot *s)
{
    free(s->hospitals);
    s->hospitals = NULL;
    s->n_hospitals = 0;
}

static void kdec(dd_jw *w, const char *k, int64_t v, int scale)
{
    dd_jw_key(w, k);
    dd_jw_decimal_string(w, v, scale);
}

static void kint(dd_jw *w, const char *k, int64_t v)
{
    dd_jw_key(w, k);
    dd_jw_int(w, v);
}

void dd_snapshot_to_json(const dd_snapshot *s, dd_jw *w)
{
    static const char *const pending_names[4] = {"NO_LIST", "QC_FAILED", "NOT_RECONCILED",
                                                 "LATE_LIST"};
    char b[16];
    dd_jw_object_begin(w);
    dd_jw_key(w, "admdvs");
    dd_jw_string(w, s->admdvs);
    snprintf(b, sizeof b, "%d", s->insutype);
    dd_jw_key(w, "insutype");
    dd_jw_string(w, b);
    dd_time_format_month(s->month, b, sizeof b);
    dd_jw_key(w, "month");
    dd_jw_string(w, b);
    dd_jw_key(w, "kind");
    dd_jw_string(w, dd_snapshot_kind_name(s->kind));
    kdec(w, "budget", s->budget_fen, 2);
    kdec(w, "points", s->points_e4, 4);
    kdec(w, "point_value", s->point_value_e6, 6);
    dd_jw_key(w, "late_adjustments");
    dd_jw_object_begin(w);
    kint(w, "cases", s->late_cases);
    kdec(w, "points", s->late_points_e4, 4);
    dd_jw_object_end(w);
    dd_jw_key(w, "hospitals");
    dd_jw_array_begin(w);
    for (int i = 0; i < s->n_hospitals; i++) {
        const dd_snapshot_hospital *h = &s->hospitals[i];
        dd_jw_object_begin(w);
        dd_jw_key(w, "fixmedins_code");
        dd_jw_string(w, h->fixmedins_code);
        kint(w, "eligible_cases", h->eligible_cases);
        dd_jw_key(w, "pending_cases");
        dd_jw_object_begin(w);
        for (int k = 0; k < 4; k++)
            kint(w, pending_names[k], h->pending[k]);
        dd_jw_object_end(w);
        kdec(w, "points", h->points_e4, 4);
        dd_jw_key(w, "points_by_category");
        dd_jw_object_begin(w);
        for (int k = 0; k < DD_CAT__COUNT; k++)
            kdec(w, dd_category_name((dd_category)k), h->points_by_cat[k], 4);
        dd_jw_object_end(w);
        dd_jw_key(w, "cases_by_category");
        dd_jw_object_begin(w);
        for (int k = 0; k < DD_CAT__COUNT; k++)
            if (h->cases_by_cat[k])
                kint(w, dd_category_name((dd_category)k), h->cases_by_cat[k]);
        dd_jw_object_end(w);
        kdec(w, "medfee", h->medfee_fen, 2);
        kdec(w, "fund_amount", h->fund_fen, 2);
        kdec(w, "psn_part", h->psn_part_fen, 2);
        kdec(w, "retention", h->retention_fen, 2);
        kdec(w, "payable", h->payable_fen, 2);
        kdec(w, "settlement", h->settlement_fen, 2);
        kdec(w, "fund_settlement", h->fund_settlement_fen, 2);
        kdec(w, "profit_loss", h->profit_loss_fen, 2);
        kdec(w, "cmi", h->cmi_e4, 4);
        dd_jw_object_end(w);
    }
    dd_jw_array_end(w);
    dd_jw_object_end(w);
}
