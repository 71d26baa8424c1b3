/*
 * dd_case — see dd_case.h.
 */
#include "dd_case.h"

#include <stdlib.h>
#include <string.h>

#include "dd_time.h"

static const char *const counter_names[DD_CTR__COUNT] = {
#define DD_CTR_NAME(id, name) name,
    DD_COUNTERS(DD_CTR_NAME)
#undef DD_CTR_NAME
};

const char *dd_counter_name(dd_counter c)
{
    return c >= 0 && c < DD_CTR__COUNT ? counter_names[c] : NULL;
}

int dd_counter_parse(const char *name, size_t len)
{
    for (int i = 0; i < DD_CTR__COUNT; i++)
        if (strlen(counter_names[i]) == len && !memcmp(counter_names[i], name, len))
            return i;
    return -1;
}

const char *dd_pending_reason_name(dd_pending_reason r)
{
    switch (r) {
    case DD_PENDING_NONE: return "ELIGIBLE";
    case DD_PENDING_NO_LIST: return "NO_LIST";
    case DD_PENDING_QC_FAILED: return "QC_FAILED";
    case DD_PENDING_NOT_RECONCILED: return "NOT_RECONCILED";
    case DD_PENDING_LATE_LIST: return "LATE_LIST";
    default: return "UNKNOWN";
    }
}

int dd_scope_equal(const dd_scope *a, const dd_scope *b)
{
    return a->insutype == b->insutype && a->month == b->month && !strcmp(a->admdvs, b->admdvs) &&
           !strcmp(a->fixmedins_code, b->fixmedins_code);
}

/* ---------------- state ---------------- */

static inline void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    if (n >= 8 && n <= 16) { /* the usual codes: two words, no call */
        uint64_t a, b;
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else {
        memcpy(dst, src, n);
    }
    dst[n] = '\0';
}

void dd_case_init(dd_case *c, const char *admdvs, const char *fixmedins_code, const char *setl_id)
{
    memset(c, 0, sizeof *c);
    copy_str(c->admdvs, sizeof c->admdvs, admdvs);
    copy_str(c->fixmedins_code, sizeof c->fixmedins_code, fixmedins_code);
    copy_str(c->setl_id, sizeof c->setl_id, setl_id);
    c->list.gend = c->list.age = c->list.age_days = c->list.nwb_bir_wt = -1;
    c->list.ipt_days = c->list.dscg_way = -1;
}

void dd_case_free(dd_case *c)
{
    free(c->list.codes);
    c->list.codes = NULL;
    c->list.codes_len = c->list.codes_cap = 0;
}

/* The greatest event_time wins, then the latest arrival. */
static int newer(const dd_version *v, const dd_event *ev, uint64_t seq)
{
    if (!v->present)
        return 1;
    if (ev->event_time_ms != v->event_time_ms)
        return ev->event_time_ms > v->event_time_ms;
    return seq > v->seq;
}

static void set_version(dd_version *v, const dd_event *ev, uint64_t seq)
{
    v->present = 1;
    v->event_time_ms = ev->event_time_ms;
    v->seq = seq;
}

static int store_list(dd_case *c, const dd_event *ev, dd_case_codes_alloc fn, void *ctx)
{
    size_t need = 0;
    for (int i = 0; i < ev->n_other_dx; i++)
        need += strlen(ev->other_dx[i]) + 1;
    for (int i = 0; i < ev->n_procedures; i++)
        need += strlen(ev->procedures[i]) + 1;
    if (need > c->list.codes_cap) {
        /* the codes are rewritten whole below: the old bytes need no copy */
        size_t cap;
        char *nb;
        if (fn) {
            cap = (need + 7) & ~(size_t)7;
            nb = fn(ctx, cap);
        } else {
            cap = need < 64 ? 64 : need;
            nb = realloc(c->list.codes, cap);
        }
        if (!nb)
            return -1;
        c->list.codes = nb;
        c->list.codes_cap = (uint32_t)cap;
    }
    size_t p = 0;
    for (int i = 0; i < ev->n_other_dx; i++) {
        size_t l = strlen(ev->other_dx[i]) + 1;
        memcpy(c->list.codes + p, ev->other_dx[i], l);
        p += l;
    }
    for (int i = 0; i < ev->n_procedures; i++) {
        size_t l = strlen(ev->procedures[i]) + 1;
        memcpy(c->list.codes + p, ev->procedures[i], l);
        p += l;
    }
    c->list.codes_len = (uint32_t)p;
    c->list.n_other_dx = (uint16_t)ev->n_other_dx;
    c->list.n_procedures = (uint16_t)ev->n_procedures;
    c->list.gend = ev->gend;
    c->list.age = (ev->has & DD_F_AGE) ? ev->age : -1;
    c->list.age_days = (ev->has & DD_F_AGE_DAYS) ? ev->age_days : -1;
    c->list.nwb_bir_wt = (ev->has & DD_F_NWB_BIR_WT) ? ev->nwb_bir_wt : -1;
    c->list.ipt_days = ev->ipt_days;
    c->list.dscg_way = ev->dscg_way;
    copy_str(c->list.main_dx, sizeof c->list.main_dx, ev->main_dx);
    c->list.gen++;
    return 0;
}

int dd_case_apply(dd_case *c, const dd_event *ev, uint64_t seq)
{
    return dd_case_apply_alloc(c, ev, seq, NULL, NULL);
}

int dd_case_apply_alloc(dd_case *c, const dd_event *ev, uint64_t seq, dd_case_codes_alloc fn,
                        void *ctx)
{
    switch (ev->type) {
    case DD_EV_SETTLEMENT:
        if (!newer(&c->setl.v, ev, seq))
            return 0;
        set_version(&c->setl.v, ev, seq);
        c->setl.insutype = ev->insutype;
        c->setl.begndate = ev->begndate;
        c->setl.enddate = ev->enddate;
        c->setl.setl_time_ms = ev->setl_time_ms;
        c->setl.medfee_fen = ev->medfee_fen;
        c->setl.fund_fen = ev->fund_fen;
        c->setl.psn_part_fen = ev->psn_part_fen;
        c->setl.acct_pay_fen = (ev->has & DD_F_ACCT_PAY) ? ev->acct_pay_fen : 0;
        c->setl.pay_method = ev->pay_method;
        copy_str(c->setl.bed_day_group, sizeof c->setl.bed_day_group,
                 (ev->has & DD_F_BED_DAY_GROUP) ? ev->bed_day_group : "");
        copy_str(c->setl.psn, sizeof c->setl.psn, (ev->has & DD_F_PSN_NO) ? ev->psn_no : "");
        copy_str(c->setl.insuplc_admdvs, sizeof c->setl.insuplc_admdvs,
                 (ev->has & DD_F_INSUPLC) ? ev->insuplc_admdvs : "");
        return 1;
    case DD_EV_SETTLEMENT_REVERSAL:
        if (c->flags & DD_CASE_REVERSED)
            return 0;
        c->flags |= DD_CASE_REVERSED;
        c->reversed_seq = seq;
        return 1;
    case DD_EV_RECONCILED:
        if (c->flags & DD_CASE_RECONCILED)
            return 0;
        c->flags |= DD_CASE_RECONCILED;
        c->reconciled_seq = seq;
        return 1;
    case DD_EV_SETTLEMENT_LIST:
        if (!newer(&c->list.v, ev, seq))
            return 0;
        if (store_list(c, ev, fn, ctx))
            return -1;
        set_version(&c->list.v, ev, seq);
        return 1;
    case DD_EV_QC_RESULT:
        if (!newer(&c->qc.v, ev, seq))
            return 0;
        set_version(&c->qc.v, ev, seq);
        c->qc.passed = ev->passed;
        c->qc.n_errors = ev->n_errors;
        return 1;
    case DD_EV_SPECIAL_CASE:
        if (!newer(&c->special.v, ev, seq))
            return 0;
        set_version(&c->special.v, ev, seq);
        c->special.status = ev->status;
        c->special.has_points = (ev->has & DD_F_POINTS) != 0;
        c->special.points_e4 = c->special.has_points ? ev->points_e4 : 0;
        c->special.pay_as_ffs = (ev->has & DD_F_PAY_AS_FFS) && ev->pay_as_ffs;
        return 1;
    default:
        return -1;
    }
}

void dd_case_list_codes(const dd_case *c, const char **other_dx, const char **procedures)
{
    const char *p = c->list.codes;
    for (int i = 0; i < c->list.n_other_dx; i++) {
        other_dx[i] = p;
        p += strlen(p) + 1;
    }
    for (int i = 0; i < c->list.n_procedures; i++) {
        procedures[i] = p;
        p += strlen(p) + 1;
    }
}

/* ---------------- grouping ---------------- */

static void fill_drg_input(const dd_case *c, dd_drg_input *in, const char **dx, const char **pr)
{
    dd_case_list_codes(c, dx, pr);
    memset(in, 0, sizeof *in);
    in->gend = c->list.gend;
    in->age = c->list.age;
    in->age_days = c->list.age_days;
    in->nwb_bir_wt = c->list.nwb_bir_wt;
    in->ipt_days = c->list.ipt_days;
    in->dscg_way = c->list.dscg_way;
    in->main_dx = c->list.main_dx;
    in->other_dx = dx;
    in->n_other_dx = c->list.n_other_dx;
    in->procedures = pr;
    in->n_procedures = c->list.n_procedures;
}

static void fill_dip_input(const dd_case *c, dd_dip_input *in, const char **dx, const char **pr)
{
    dd_case_list_codes(c, dx, pr);
    memset(in, 0, sizeof *in);
    in->main_dx = c->list.main_dx;
    in->procedures = pr;
    in->n_procedures = c->list.n_procedures;
    in->medfee_fen = c->setl.medfee_fen;
}

int dd_case_group_detail(const dd_dataset *ds, const dd_case *c, dd_drg_result *drg,
                         dd_dip_result *dip)
{
    const dd_region *r = dd_dataset_region(ds, c->admdvs);
    if (!r || !c->list.v.present)
        return -1;
    const char *dx[DD_EVENT_MAX_DX], *pr[DD_EVENT_MAX_PROC];
    if (r->scheme == DD_SCHEME_DRG) {
        dd_drg_input in;
        fill_drg_input(c, &in, dx, pr);
        dd_drg_group(dd_dataset_drg_tables(ds), &in, drg);
    } else {
        dd_dip_input in;
        fill_dip_input(c, &in, dx, pr);
        dd_dip_group(r->dip, &in, dip);
    }
    return (int)r->scheme;
}

static void group_case(const dd_dataset *ds, const dd_region *r, const dd_case *c,
                       dd_group_memo *m)
{
    memset(m, 0, sizeof *m);
    const char *dx[DD_EVENT_MAX_DX], *pr[DD_EVENT_MAX_PROC];
    if (r->scheme == DD_SCHEME_DRG) {
        dd_drg_input in;
        dd_drg_result res;
        fill_drg_input(c, &in, dx, pr);
        dd_drg_group(dd_dataset_drg_tables(ds), &in, &res);
        m->status = res.status;
        m->reason = res.reason ? res.reason : "";
        m->warnings = res.warnings;
        m->severity = res.severity;
        if (res.status == DD_GROUP_SUCCESS) {
            copy_str(m->code, sizeof m->code, res.drg);
            if (!dd_weight_lookup(r->drg_weights, res.drg, &m->weight_e4))
                m->has_weight = 1;
            else
                m->reason = "NO_WEIGHT";
        }
    } else {
        dd_dip_input in;
        dd_dip_result res;
        fill_dip_input(c, &in, dx, pr);
        dd_dip_group_ex(r->dip, &in, &res, 0); /* no path text: hot path */
        m->reason = res.reason ? res.reason : "";
        if (res.group) {
            m->status = DD_GROUP_SUCCESS;
            copy_str(m->code, sizeof m->code, res.group->code);
            m->has_weight = 1;
            m->weight_e4 = res.group->score_e4;
            m->dip_ref_cost_fen = res.group->ref_cost_fen;
            m->dip_basic = res.group->kind == DD_DIP_BASIC;
        } else {
            m->status = DD_GROUP_FAIL;
        }
    }
    m->medfee_fen = c->setl.medfee_fen;
    m->list_gen = c->list.gen;
    m->ds = ds;
    m->valid = 1;
}

/* ---------------- contribution ---------------- */

void dd_case_contribution(const dd_dataset *ds, const dd_case *c, dd_group_memo *memo,
                          dd_contrib *out)
{
    dd_case_contribution_at(ds, NULL, NULL, c, memo, out);
}

void dd_case_contribution_at(const dd_dataset *ds, const dd_region *r, const dd_hospital *h,
                             const dd_case *c, dd_group_memo *memo, dd_contrib *out)
{
    memset(out, 0, sizeof *out);
    out->reason = "";
    out->category = DD_CAT_UNGROUPABLE;
    out->paid_category = DD_CAT_UNGROUPABLE;
    out->dscg_way = -1;
    if (!c->setl.v.present)
        return;
    if (!r || !h) {
        r = dd_dataset_region(ds, c->admdvs);
        h = dd_dataset_hospital(ds, c->fixmedins_code);
    }
    if (!r || !h || h->region != r->index)
        return; /* not scorable under this dataset: contributes nothing */
    const dd_policy *pol = &r->policy;

    out->in_scope = 1;
    copy_str(out->scope.admdvs, sizeof out->scope.admdvs, c->admdvs);
    copy_str(out->scope.fixmedins_code, sizeof out->scope.fixmedins_code, c->fixmedins_code);
    out->scope.insutype = c->setl.insutype;
    out->scope.month = dd_time_local_month(c->setl.setl_time_ms);
    out->medfee_fen = c->setl.medfee_fen;
    out->fund_fen = c->setl.fund_fen;
    out->psn_part_fen = c->setl.psn_part_fen;
    out->acct_pay_fen = c->setl.acct_pay_fen;
    out->pay_method = c->setl.pay_method;
    out->special = c->special.v.present ? c->special.status : DD_SPECIAL_NONE;
    if (c->flags & DD_CASE_REVERSED) {
        out->reversed = 1;
        out->reason = "REVERSED";
        return;
    }

    out->has_list = c->list.v.present;
    if (out->has_list) {
        out->dscg_way = c->list.dscg_way;
        int64_t late_ms = (int64_t)pol->late_list_days * DD_MS_PER_DAY;
        out->late = c->list.v.event_time_ms - c->setl.setl_time_ms > late_ms;
        int rc = 0;
        int64_t pts = 0;
        dd_category cat = DD_CAT_UNGROUPABLE;
        int hit = memo && memo->pts_valid && memo->pts_ds == ds &&
                  memo->pts_setl_seq == c->setl.v.seq && memo->pts_list_gen == c->list.gen &&
                  memo->pts_special_seq == c->special.v.seq &&
                  memo->pts_medfee_fen == c->setl.medfee_fen &&
                  memo->pts_pay_method == c->setl.pay_method;
        if (c->setl.pay_method == DD_PAY_SCHEME) {
            dd_group_memo local, *m = memo ? memo : &local;
            if (!memo || !m->valid || m->ds != ds || m->list_gen != c->list.gen ||
                (r->scheme == DD_SCHEME_DIP && m->medfee_fen != c->setl.medfee_fen)) {
                group_case(ds, r, c, m); /* clears the points memo too */
                hit = 0;
            }
            out->grouped_by_scheme = 1;
            out->status = m->status;
            out->reason = m->reason;
            out->warnings = m->warnings;
            out->severity = m->severity;
            copy_str(out->group, sizeof out->group, m->code);
            if (m->has_weight) {
                out->grouped = 1;
                out->weight_e4 = m->weight_e4;
                if (!hit) {
                    dd_rat coef =
                        (m->dip_basic && pol->basic_same_pay) ? dd_rat_int(1) : h->coef;
                    dd_rat ref = r->scheme == DD_SCHEME_DRG
                                     ? dd_points_drg_ref(pol, m->weight_e4, h->level)
                                     : dd_rat_scaled(m->dip_ref_cost_fen, 2);
                    rc = dd_points_grouped(pol, m->weight_e4, ref, c->setl.medfee_fen, coef,
                                           &cat, &pts);
                }
            } else if (!hit) {
                cat = DD_CAT_UNGROUPABLE;
                switch (pol->ungroupable) {
                case DD_UNGROUPABLE_FFS:
                    rc = dd_points_ffs(pol, c->setl.medfee_fen, h->coef, &pts);
                    break;
                case DD_UNGROUPABLE_LOWEST_WEIGHT:
                    rc = dd_points_weight_only(pol, r->lowest_weight_e4, h->coef, &pts);
                    break;
                default:
                    pts = 0;
                }
            }
        } else if (c->setl.pay_method == DD_PAY_BED_DAY) {
            cat = DD_CAT_BED_DAY;
            out->reason = "BED_DAY";
            if (!hit) {
                const dd_bedday_rule *rule = dd_policy_bedday(pol, c->setl.bed_day_group);
                rc = rule ? dd_points_bedday(pol, rule, c->list.ipt_days, h->coef, &pts) : -1;
            }
        } else {
            cat = DD_CAT_FFS;
            out->reason = "FFS";
            if (!hit)
                rc = dd_points_ffs(pol, c->setl.medfee_fen, h->coef, &pts);
        }
        if (out->special == DD_SPECIAL_APPROVED && !hit) {
            cat = DD_CAT_SPECIAL;
            if (c->special.has_points) {
                pts = c->special.points_e4;
                rc = 0;
            } else {
                rc = dd_points_ffs(pol, c->setl.medfee_fen, h->coef, &pts);
            }
        }
        if (hit) {
            cat = memo->pts_cat;
            pts = memo->pts_e4;
            rc = memo->pts_rc;
        } else if (memo) {
            memo->pts_valid = 1;
            memo->pts_ds = ds;
            memo->pts_setl_seq = c->setl.v.seq;
            memo->pts_list_gen = c->list.gen;
            memo->pts_special_seq = c->special.v.seq;
            memo->pts_medfee_fen = c->setl.medfee_fen;
            memo->pts_pay_method = c->setl.pay_method;
            memo->pts_cat = cat;
            memo->pts_e4 = pts;
            memo->pts_rc = rc;
        }
        if (rc) {
            out->points_error = 1;
            pts = 0;
        }
        out->has_points = 1;
        out->category = cat;
        out->points_e4 = pts;
    } else {
        out->reason = "NO_LIST";
    }

    out->qc_missing = !c->qc.v.present;
    out->qc_failed = c->qc.v.present && !c->qc.passed;
    if (!out->has_list)
        out->pending = DD_PENDING_NO_LIST;
    else if (out->qc_missing || out->qc_failed)
        out->pending = DD_PENDING_QC_FAILED;
    else if (!(c->flags & DD_CASE_RECONCILED))
        out->pending = DD_PENDING_NOT_RECONCILED;
    else if (out->late && pol->late_list_excluded)
        out->pending = DD_PENDING_LATE_LIST;
    else
        out->pending = DD_PENDING_NONE;
    out->eligible = out->pending == DD_PENDING_NONE;

    if (out->eligible) {
        out->paid = 1;
        out->paid_category = out->category;
        out->paid_points_e4 = out->points_e4;
        out->in_cmi = out->grouped_by_scheme && out->grouped;
    } else if (pol->ineligible == DD_INELIGIBLE_LOWEST_WEIGHT) {
        int64_t pts = 0;
        if (dd_points_weight_only(pol, r->lowest_weight_e4, h->coef, &pts))
            out->points_error = 1, pts = 0;
        out->paid = 1;
        out->paid_category = DD_CAT_UNGROUPABLE;
        out->paid_points_e4 = pts;
    }
}

/* ---------------- counters ---------------- */

static const dd_counter points_by_cat[DD_CAT__COUNT] = {
    DD_CTR_POINTS_NORMAL,  DD_CTR_POINTS_HIGH,        DD_CTR_POINTS_LOW,    DD_CTR_POINTS_BED_DAY,
    DD_CTR_POINTS_FFS,     DD_CTR_POINTS_UNGROUPABLE, DD_CTR_POINTS_SPECIAL};
static const dd_counter cases_by_cat[DD_CAT__COUNT] = {
    DD_CTR_CASES_NORMAL, DD_CTR_CASES_HIGH,        DD_CTR_CASES_LOW,    DD_CTR_CASES_BED_DAY,
    DD_CTR_CASES_FFS,    DD_CTR_CASES_UNGROUPABLE, DD_CTR_CASES_SPECIAL};
static const dd_counter all_by_cat[DD_CAT__COUNT] = {
    DD_CTR_ALL_NORMAL, DD_CTR_ALL_HIGH,        DD_CTR_ALL_LOW,    DD_CTR_ALL_BED_DAY,
    DD_CTR_ALL_FFS,    DD_CTR_ALL_UNGROUPABLE, DD_CTR_ALL_SPECIAL};
static const dd_counter pending_ctr[DD_PENDING__COUNT] = {
    DD_CTR_ELIGIBLE, DD_CTR_PENDING_NO_LIST, DD_CTR_PENDING_QC_FAILED,
    DD_CTR_PENDING_NOT_RECONCILED, DD_CTR_PENDING_LATE_LIST};

/* The one place that decides which counter gets what: every form uses it.
 * Dense: values are added (times `sign`) straight into a dense
 * vector; otherwise they are collected as sparse pairs. */
typedef struct {
    dd_counter_kv *kv;
    int n;
    uint64_t seen; /* counters already in kv: the search runs only for repeats */
    int64_t *ctr;
    int64_t sign;
    int dense; /* a constant in each caller: the other branch compiles away */
} kv_sink;

_Static_assert(DD_CTR__COUNT <= 64, "kv_sink.seen is one 64-bit mask");

static inline __attribute__((always_inline)) void put(kv_sink *s, dd_counter id, int64_t v)
{
    if (s->dense) {
        s->ctr[id] += s->sign * v;
        return;
    }
    if (!v)
        return;
    uint64_t bit = UINT64_C(1) << id;
    if (s->seen & bit) {
        for (int i = 0; i < s->n; i++)
            if (s->kv[i].id == id) {
                s->kv[i].value += v;
                return;
            }
    }
    s->seen |= bit;
    s->kv[s->n].id = id;
    s->kv[s->n].value = v;
    s->n++;
}

/* Reads in_scope, reversed, the four amounts, has_list, category,
 * points_e4, grouped_by_scheme, grouped, weight_e4, severity, late,
 * qc_missing, dscg_way, qc_failed, pending, paid, paid_points_e4,
 * paid_category, eligible, in_cmi and special — nothing else (the ledger's
 * packed contributions, ctr_add_packed in dd_ledger.c, set only these). */
static inline __attribute__((always_inline)) int emit_counters(const dd_contrib *c, kv_sink s)
{
    if (!c->in_scope)
        return 0;
    if (c->reversed) {
        put(&s, DD_CTR_REVERSED, 1);
        return s.n;
    }
    put(&s, DD_CTR_SETTLED, 1);
    put(&s, DD_CTR_MEDFEE_SETTLED, c->medfee_fen);
    put(&s, DD_CTR_FUND_SETTLED, c->fund_fen);
    put(&s, DD_CTR_PSN_PART_SETTLED, c->psn_part_fen);
    put(&s, DD_CTR_ACCT_PAY_SETTLED, c->acct_pay_fen);
    if (c->has_list) {
        put(&s, DD_CTR_LISTS, 1);
        put(&s, all_by_cat[c->category], 1);
        put(&s, DD_CTR_ALL_POINTS, c->points_e4);
        if (c->grouped_by_scheme) {
            if (c->grouped) {
                put(&s, DD_CTR_GROUPED, 1);
                put(&s, DD_CTR_WEIGHT_SUM, c->weight_e4);
                if (c->severity == 1)
                    put(&s, DD_CTR_MCC_CASES, 1);
                else if (c->severity == 3)
                    put(&s, DD_CTR_CC_CASES, 1);
            } else {
                put(&s, DD_CTR_UNGROUPABLE, 1);
            }
        }
        put(&s, DD_CTR_LATE_LISTS, c->late);
        put(&s, DD_CTR_QC_MISSING, c->qc_missing);
        put(&s, DD_CTR_TRANSFER_OUT, c->dscg_way == 2);
    }
    put(&s, DD_CTR_QC_FAILED, c->qc_failed);
    put(&s, pending_ctr[c->pending], 1);
    if (c->paid) {
        put(&s, DD_CTR_POINTS, c->paid_points_e4);
        put(&s, points_by_cat[c->paid_category], c->paid_points_e4);
        put(&s, cases_by_cat[c->paid_category], 1);
        put(&s, DD_CTR_MEDFEE, c->medfee_fen);
        put(&s, DD_CTR_FUND, c->fund_fen);
        put(&s, DD_CTR_PSN_PART, c->psn_part_fen);
        put(&s, DD_CTR_ACCT_PAY, c->acct_pay_fen);
    } else if (!c->eligible) {
        put(&s, DD_CTR_PENDING_POINTS, c->points_e4);
    }
    if (c->in_cmi) {
        put(&s, DD_CTR_CMI_WEIGHT, c->weight_e4);
        put(&s, DD_CTR_CMI_CASES, 1);
    }
    if (c->special != DD_SPECIAL_NONE)
        put(&s, DD_CTR_SPECIAL_APPLIED, 1);
    put(&s, DD_CTR_SPECIAL_APPROVED, c->special == DD_SPECIAL_APPROVED);
    put(&s, DD_CTR_SPECIAL_REJECTED, c->special == DD_SPECIAL_REJECTED);
    return s.n;
}

int dd_contrib_counters_sparse(const dd_contrib *c, dd_counter_kv *out)
{
    kv_sink s = {out, 0, 0, NULL, 0, 0};
    return emit_counters(c, s);
}

void dd_contrib_counters_add(const dd_contrib *c, int64_t sign, int64_t ctr[DD_CTR__COUNT])
{
    kv_sink s = {NULL, 0, 0, ctr, sign, 1};
    emit_counters(c, s);
}

void dd_contrib_counters(const dd_contrib *c, int64_t out[DD_CTR__COUNT])
{
    dd_counter_kv kv[DD_CTR__COUNT];
    memset(out, 0, sizeof(int64_t) * DD_CTR__COUNT);
    int n = dd_contrib_counters_sparse(c, kv);
    for (int i = 0; i < n; i++)
        out[kv[i].id] += kv[i].value;
}
