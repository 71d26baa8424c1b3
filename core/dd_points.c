/*
 * dd_points — SPEC §5 point formulas (contract in dd_points.h).
 *
 * Each formula is built as one exact rational and rounded once to 1/10000
 * point, so no intermediate rounding can shift a figure by a unit.
 */
#include "dd_points.h"

static const char *const cat_names[DD_CAT__COUNT] = {
    "NORMAL", "HIGH", "LOW", "BED_DAY", "FFS", "UNGROUPABLE", "SPECIAL",
};

const char *dd_category_name(dd_category c)
{
    if ((int)c < 0 || c >= DD_CAT__COUNT)
        return "?";
    return cat_names[c];
}

dd_rat dd_points_coefficient(const int64_t *pct_e4, int n, dd_coef_combine mode)
{
    dd_rat one = dd_rat_int(1);
    if (n <= 0 || !pct_e4)
        return one;
    /* p% in 1/10000 percent is p/100 as pct_e4 / 10^6. */
    dd_rat c = one;
    for (int i = 0; i < n; i++) {
        dd_rat f = dd_rat_scaled(pct_e4[i], 6);
        if (mode == DD_COEF_ADD)
            c = dd_rat_add(c, dd_rat_sub(f, one));
        else
            c = dd_rat_mul(c, f);
    }
    return c;
}

/* W x C x scale, exact. */
static dd_rat base_points(const dd_policy *p, int64_t weight_e4, dd_rat coef)
{
    dd_rat r = dd_rat_mul(dd_rat_scaled(weight_e4, 4), coef);
    return dd_rat_mul(r, dd_rat_int(p->points_scale));
}

static int finish(dd_rat v, int64_t *points_e4)
{
    int64_t x;
    if (!dd_rat_ok(v) || dd_rat_round(v, DD_SCALE_POINTS, &x))
        return -1;
    *points_e4 = x;
    return 0;
}

dd_rat dd_points_drg_ref(const dd_policy *p, int64_t weight_e4, int level)
{
    if (!p || level < 1 || level > 3) {
        dd_rat bad = {0, 0};
        return bad;
    }
    return dd_rat_mul(dd_rat_scaled(weight_e4, 4),
                      dd_rat_scaled(p->base_rate_fen[level], DD_SCALE_FEN));
}

int dd_points_grouped(const dd_policy *p, int64_t weight_e4, dd_rat ref, int64_t medfee_fen,
                      dd_rat coef, dd_category *cat, int64_t *points_e4)
{
    if (!p || !cat || !points_e4 || !dd_rat_ok(ref) || !dd_rat_ok(coef))
        return -1;
    if (dd_rat_cmp(ref, dd_rat_int(0)) <= 0)
        return -1;
    dd_rat k = dd_rat_div(dd_rat_scaled(medfee_fen, DD_SCALE_FEN), ref);
    dd_rat high = dd_rat_scaled(p->high_ratio_e6, DD_SCALE_RATIO);
    dd_rat low = dd_rat_scaled(p->low_ratio_e6, DD_SCALE_RATIO);
    if (!dd_rat_ok(k) || !dd_rat_ok(high) || !dd_rat_ok(low))
        return -1;
    dd_rat base = base_points(p, weight_e4, coef);
    dd_rat v;
    dd_category c;
    if (dd_rat_cmp(k, high) > 0) {
        /* 1 + excess x (k - high) */
        dd_rat excess = dd_rat_scaled(p->high_excess_ratio_e6, DD_SCALE_RATIO);
        dd_rat f = dd_rat_add(dd_rat_int(1), dd_rat_mul(excess, dd_rat_sub(k, high)));
        v = dd_rat_mul(base, f);
        c = DD_CAT_HIGH;
    } else if (dd_rat_cmp(k, low) < 0) {
        v = dd_rat_mul(base, k);
        c = DD_CAT_LOW;
    } else {
        v = base;
        c = DD_CAT_NORMAL;
    }
    if (finish(v, points_e4))
        return -1;
    *cat = c;
    return 0;
}

int dd_points_bedday(const dd_policy *p, const dd_bedday_rule *rule, int ipt_days, dd_rat coef,
                     int64_t *points_e4)
{
    if (!p || !rule || !points_e4 || ipt_days < 0 || p->baseline_avg_cost_fen <= 0 ||
        rule->reimb_ratio_e6 <= 0)
        return -1;
    dd_rat daily = dd_rat_div(dd_rat_scaled(rule->daily_fund_standard_fen, DD_SCALE_FEN),
                              dd_rat_scaled(rule->reimb_ratio_e6, DD_SCALE_RATIO));
    dd_rat v = dd_rat_mul(daily, dd_rat_int(ipt_days));
    v = dd_rat_div(v, dd_rat_scaled(p->baseline_avg_cost_fen, DD_SCALE_FEN));
    v = dd_rat_mul(v, coef);
    v = dd_rat_mul(v, dd_rat_int(p->points_scale));
    return finish(v, points_e4);
}

int dd_points_ffs(const dd_policy *p, int64_t medfee_fen, dd_rat coef, int64_t *points_e4)
{
    if (!p || !points_e4 || p->baseline_avg_cost_fen <= 0)
        return -1;
    dd_rat v = dd_rat_div(dd_rat_int(medfee_fen), dd_rat_int(p->baseline_avg_cost_fen));
    v = dd_rat_mul(v, coef);
    v = dd_rat_mul(v, dd_rat_int(p->points_scale));
    return finish(v, points_e4);
}

int dd_points_weight_only(const dd_policy *p, int64_t weight_e4, dd_rat coef, int64_t *points_e4)
{
    if (!p || !points_e4)
        return -1;
    return finish(base_points(p, weight_e4, coef), points_e4);
}
