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
    /* W/10^4 x B/10^2 = W*B / 10^6 reduced once: the reduced form is unique
     * and |W*B| <= 2^126 cannot overflow, so this equals the dd_rat_mul of
     * the two scaled values (tests/0007-points-fast.c checks it). */
    return dd_rat_make((dd_i128)weight_e4 * p->base_rate_fen[level], 1000000);
}

dd_rat dd_points_drg_ref_exact(const dd_policy *p, int64_t weight_e4, int level)
{
    if (!p || level < 1 || level > 3) {
        dd_rat bad = {0, 0};
        return bad;
    }
    return dd_rat_mul(dd_rat_scaled(weight_e4, 4),
                      dd_rat_scaled(p->base_rate_fen[level], DD_SCALE_FEN));
}

int dd_points_grouped_exact(const dd_policy *p, int64_t weight_e4, dd_rat ref,
                            int64_t medfee_fen, dd_rat coef, dd_category *cat,
                            int64_t *points_e4)
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

/* ------------------------------------------------------------ fast paths
 *
 * The dd_rat formulas above reduce by gcd after every step, which dominates
 * the cost of a case. The fast paths evaluate the same exact value as one
 * fraction N / D of plain 128-bit integers and round it once (half away
 * from zero), so they give the same points and the same category.
 *
 * They are taken only when magnitude bounds (bit lengths, |x| < 2^bits)
 * prove that (a) no fast-path product overflows and (b) no intermediate of
 * the dd_rat path overflows either, so the dd_rat path could not have failed
 * where the fast one succeeds. For (b): a reduced rational's parts are at
 * most those of any representation of the same value, and every dd_rat_add
 * / dd_rat_mul intermediate is at most the product of its operands' parts;
 * the bounds below cover those products. Both paths then fail only when the
 * rounded result leaves int64, and that test is identical. Anything else
 * falls back to the dd_rat path. tests/0007-points-fast.c checks fast ==
 * exact on millions of random inputs.
 */

typedef unsigned __int128 u128;
typedef __int128 i128;

#define FAST_NA 1 /* bounds not proven: use the dd_rat path */
#define FAST_MAXBITS 127 /* |x| < 2^127 fits a signed 128-bit part */

static int bits_u64(uint64_t x)
{
    return x ? 64 - __builtin_clzll(x) : 0;
}

static u128 uabs(i128 v)
{
    return v < 0 ? (u128)0 - (u128)v : (u128)v;
}

static int bits_i128(i128 v)
{
    u128 u = uabs(v);
    uint64_t hi = (uint64_t)(u >> 64);
    return hi ? 128 - __builtin_clzll(hi) : bits_u64((uint64_t)u);
}

static int bits_i64(int64_t v)
{
    return bits_u64(v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

/* round(n / d) half away from zero into int64, d > 0; -1 outside int64
 * (same limits as dd_rat_round: magnitude <= 2^63 - 1, or 2^63 if < 0). */
static int round_frac(i128 n, i128 d, int64_t *out)
{
    int neg = n < 0;
    u128 un = uabs(n), ud = (u128)d, q, r;
    if ((un >> 64) == 0 && (ud >> 64) == 0) {
        uint64_t a = (uint64_t)un, b = (uint64_t)ud;
        q = a / b;
        r = a % b;
    } else {
        q = un / ud;
        r = un % ud;
    }
    if (r >= ud - r)
        q++;
    u128 limit = neg ? (u128)1 << 63 : (u128)INT64_MAX;
    if (q > limit)
        return -1;
    if (neg)
        *out = q == (u128)1 << 63 ? INT64_MIN : -(int64_t)q;
    else
        *out = (int64_t)q;
    return 0;
}

static const int64_t pow10_64[13] = {
    1LL,         10LL,         100LL,         1000LL,         10000LL,
    100000LL,    1000000LL,    10000000LL,    100000000LL,    1000000000LL,
    10000000000LL, 100000000000LL, 1000000000000LL,
};

/* bits_p10[k]: bit length of 10^k, 10^k < 2^bits_p10[k] */
static const int bits_p10[17] = {1, 4, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40, 44, 47, 50, 54};

/* Divide *v by 10 while it is a nonzero multiple of 10, at most `cap`
 * times; returns how many times. */
static int strip10(int64_t *v, int cap)
{
    int n = 0;
    int64_t x = *v;
    if (x == 0)
        return 0;
    while (n + 4 <= cap && x % 10000 == 0) { /* policy values: 10000, 1000000 */
        x /= 10000;
        n += 4;
    }
    while (n < cap && x % 10 == 0) {
        x /= 10;
        n++;
    }
    *v = x;
    return n;
}

/* Bit lengths of the constants (10^k < 2^bits). */
#define B_E2 7
#define B_E4 14
#define B_E6 20
#define B_E10 34
#define B_E12 40

/* ref = rn/rd (rn > 0), coef = cn/cd, k = cost/ref = m*rd / (100*rn).
 *   k vs H/1e6   <=>  A = m*rd*1e4  vs  H*rn
 *   P = W*cn*S, base x 1e4 = P / cd
 *   NORMAL: P / cd
 *   LOW:    P*m*rd / (100*cd*rn)
 *   HIGH:   P*F / (1e12*cd*rn),  F = 1e12*rn + E*(A - H*rn) */
static int grouped_fast(const dd_policy *p, int64_t weight_e4, dd_rat ref, int64_t medfee_fen,
                        dd_rat coef, dd_category *cat, int64_t *points_e4)
{
    const i128 rn = ref.num, rd = ref.den, cn = coef.num, cd = coef.den;
    const int brn = bits_i128(rn), brd = bits_i128(rd), bcn = bits_i128(cn),
              bcd = bits_i128(cd), bm = bits_i64(medfee_fen), bw = bits_i64(weight_e4),
              bs = bits_i64(p->points_scale), bh = bits_i64(p->high_ratio_e6),
              bl = bits_i64(p->low_ratio_e6);
    /* What the dd_rat path computes for every category: k (m*rd, 100*rn),
     * k - high (m*rd*1e6, H*100*rn, 100*rn*1e6), base (W*cn*S, 1e4*cd). */
    /* (-1: the sum of the two k - high cross products must fit as well) */
    if (bm + brd + B_E6 > FAST_MAXBITS - 1 || brn + B_E2 + B_E6 > FAST_MAXBITS ||
        bh + B_E2 + brn > FAST_MAXBITS - 1 || bl + brn > FAST_MAXBITS ||
        bw + bcn + bs > FAST_MAXBITS || bcd + B_E4 > FAST_MAXBITS)
        return FAST_NA;
    const i128 mrd = (i128)medfee_fen * rd;
    const i128 a = mrd * 10000;
    const i128 hr = (i128)p->high_ratio_e6 * rn;
    const i128 P = (i128)weight_e4 * cn * p->points_scale;
    /* P = P' x 10^u (u <= 4, from W and S): base = P' / (10^(4-u) x cd). */
    int64_t sw = weight_e4, ss = p->points_scale;
    int u = strip10(&ss, 4);
    u += strip10(&sw, 4 - u);
    const i128 Pr = (i128)sw * cn * ss;
    const int bp = bits_i128(Pr);
    if (a > hr) {
        /* A - H*rn = 10^th x X, E = E' x 10^te, t = th + te <= 12 - u:
         *   k - high     = X / (10^(6-th) rn)
         *   excess x it  = E' X / (10^(12-t) rn), dd_rat product <= |E X|
         *   f = 1 + that = F' / (10^(12-t) rn), F' = 10^(12-t) rn + E' X
         *   base x f: dd_rat product <= |P' F'|, points = P' F' / (10^(12-t-u) cd rn) */
        int64_t h = p->high_ratio_e6, e = p->high_excess_ratio_e6;
        const int th = strip10(&h, 4);
        const int te = strip10(&e, 12 - th - u);
        const int t = th + te;
        const i128 X = (i128)pow10_64[4 - th] * mrd - (i128)h * rn; /* |X| <= |A|+|H rn| */
        const int bx = bits_i128(X), be = bits_i64(p->high_excess_ratio_e6);
        if (be + bx > FAST_MAXBITS - 1 || brn + B_E12 > FAST_MAXBITS - 1)
            return FAST_NA;
        /* |F'| <= 10^(12-t)*rn + |E' X| < 2^bf */
        const int bex = bits_i64(e) + bx, brt = bits_p10[12 - t] + brn;
        const int bf = (bex > brt ? bex : brt) + 1;
        /* dd_rat denominator product <= 10^(4-u) cd x 10^(12-t) rn */
        if (bp + bf > FAST_MAXBITS || bits_p10[16 - u - t] + bcd + brn > FAST_MAXBITS)
            return FAST_NA;
        const i128 F = (i128)pow10_64[12 - t] * rn + (i128)e * X;
        if (round_frac(Pr * F, (i128)pow10_64[12 - t - u] * cd * rn, points_e4))
            return -1;
        *cat = DD_CAT_HIGH;
        return 0;
    }
    if (a < (i128)p->low_ratio_e6 * rn) {
        /* base x k: dd_rat products <= |P' m rd| and
         * (10^(4-u) cd x 100 rn); points = P' m rd 10^u / (100 cd rn). */
        if (bp + bits_i128(mrd) + B_E2 > FAST_MAXBITS ||
            bits_p10[6 - u] + bcd + brn > FAST_MAXBITS)
            return FAST_NA;
        i128 n = Pr * mrd, d = cd * rn;
        if (u >= 2)
            n *= pow10_64[u - 2];
        else
            d *= pow10_64[2 - u];
        if (round_frac(n, d, points_e4))
            return -1;
        *cat = DD_CAT_LOW;
        return 0;
    }
    if (round_frac(P, cd, points_e4))
        return -1;
    *cat = DD_CAT_NORMAL;
    return 0;
}

int dd_points_grouped_fast(const dd_policy *p, int64_t weight_e4, dd_rat ref,
                           int64_t medfee_fen, dd_rat coef, dd_category *cat,
                           int64_t *points_e4)
{
    if (!p || !cat || !points_e4 || ref.den <= 0 || coef.den <= 0 || ref.num <= 0)
        return FAST_NA;
    return grouped_fast(p, weight_e4, ref, medfee_fen, coef, cat, points_e4);
}

int dd_points_grouped(const dd_policy *p, int64_t weight_e4, dd_rat ref, int64_t medfee_fen,
                      dd_rat coef, dd_category *cat, int64_t *points_e4)
{
    /* (den > 0 is dd_rat_ok; ref <= 0 fails on the exact path as well) */
    if (!p || !cat || !points_e4 || ref.den <= 0 || coef.den <= 0 || ref.num <= 0)
        return -1;
    int rc = grouped_fast(p, weight_e4, ref, medfee_fen, coef, cat, points_e4);
    if (rc != FAST_NA)
        return rc;
    return dd_points_grouped_exact(p, weight_e4, ref, medfee_fen, coef, cat, points_e4);
}

int dd_points_bedday_exact(const dd_policy *p, const dd_bedday_rule *rule, int ipt_days,
                           dd_rat coef, int64_t *points_e4)
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

int dd_points_ffs_exact(const dd_policy *p, int64_t medfee_fen, dd_rat coef, int64_t *points_e4)
{
    if (!p || !points_e4 || p->baseline_avg_cost_fen <= 0)
        return -1;
    dd_rat v = dd_rat_div(dd_rat_int(medfee_fen), dd_rat_int(p->baseline_avg_cost_fen));
    v = dd_rat_mul(v, coef);
    v = dd_rat_mul(v, dd_rat_int(p->points_scale));
    return finish(v, points_e4);
}

int dd_points_weight_only_exact(const dd_policy *p, int64_t weight_e4, dd_rat coef,
                                int64_t *points_e4)
{
    if (!p || !points_e4)
        return -1;
    return finish(base_points(p, weight_e4, coef), points_e4);
}

/* Fast paths of the three below, same method and proof as grouped_fast:
 * the bounds cover every dd_rat intermediate (reduced parts are at most
 * those of the representation shown), so both paths fail only on int64
 * range, which round_frac tests as dd_rat_round does. */

/* medfee / B x C x S: dd_rat products <= |m cn S| over B cd;
 * points = m cn S 1e4 / (B cd). */
int dd_points_ffs(const dd_policy *p, int64_t medfee_fen, dd_rat coef, int64_t *points_e4)
{
    if (p && points_e4 && p->baseline_avg_cost_fen > 0 && coef.den > 0) {
        const int bm = bits_i64(medfee_fen), bcn = bits_i128(coef.num),
                  bcd = bits_i128(coef.den), bs = bits_i64(p->points_scale),
                  bb = bits_i64(p->baseline_avg_cost_fen);
        if (bm + bcn + bs + B_E4 <= FAST_MAXBITS && bb + bcd <= FAST_MAXBITS) {
            const i128 n = (i128)medfee_fen * coef.num * p->points_scale * 10000;
            return round_frac(n, (i128)p->baseline_avg_cost_fen * coef.den, points_e4);
        }
    }
    return dd_points_ffs_exact(p, medfee_fen, coef, points_e4);
}

/* W/1e4 x C x S: products <= |W cn S| over 1e4 cd; points = W cn S / cd. */
int dd_points_weight_only(const dd_policy *p, int64_t weight_e4, dd_rat coef, int64_t *points_e4)
{
    if (p && points_e4 && coef.den > 0) {
        const int bw = bits_i64(weight_e4), bcn = bits_i128(coef.num),
                  bcd = bits_i128(coef.den), bs = bits_i64(p->points_scale);
        if (bw + bcn + bs <= FAST_MAXBITS && bcd + B_E4 <= FAST_MAXBITS)
            return round_frac((i128)weight_e4 * coef.num * p->points_scale, coef.den,
                              points_e4);
    }
    return dd_points_weight_only_exact(p, weight_e4, coef, points_e4);
}

/* (F/100) / (R/1e6) x days / (Bl/100) x C x S with F the daily standard, R
 * the reimbursement ratio, Bl the baseline: dd_rat products <= |F 1e6 days
 * cn S| over 100 R Bl cd; points = F days cn S 1e10 / (R Bl cd). */
int dd_points_bedday(const dd_policy *p, const dd_bedday_rule *rule, int ipt_days, dd_rat coef,
                     int64_t *points_e4)
{
    if (p && rule && points_e4 && ipt_days >= 0 && p->baseline_avg_cost_fen > 0 &&
        rule->reimb_ratio_e6 > 0 && coef.den > 0) {
        const int bf = bits_i64(rule->daily_fund_standard_fen), bd = bits_i64(ipt_days),
                  bcn = bits_i128(coef.num), bcd = bits_i128(coef.den),
                  bs = bits_i64(p->points_scale), br = bits_i64(rule->reimb_ratio_e6),
                  bb = bits_i64(p->baseline_avg_cost_fen);
        if (bf + bd + bcn + bs + B_E10 <= FAST_MAXBITS &&
            B_E2 + br + bb + bcd <= FAST_MAXBITS) {
            const i128 n = (i128)rule->daily_fund_standard_fen * ipt_days * coef.num *
                           p->points_scale * 10000000000LL;
            const i128 d = (i128)rule->reimb_ratio_e6 * p->baseline_avg_cost_fen * coef.den;
            return round_frac(n, d, points_e4);
        }
    }
    return dd_points_bedday_exact(p, rule, ipt_days, coef, points_e4);
}
