/* dd_points fast paths (128-bit integers, one rounding) against the exact
 * dd_rat path: millions of random inputs, realistic and extreme, thresholds
 * hit exactly and by one unit, must give identical return codes, categories
 * and points. */
#include <criterion/criterion.h>
#include <string.h>

#include "dd_points.h"
#include "dd_policy.h"

typedef __int128 i128;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    /* xorshift64* */
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

static int64_t rnd_range(int64_t lo, int64_t hi) /* inclusive, hi - lo < 2^63 */
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* A value of random bit length 0..maxbits (maxbits <= 63), random sign when
 * neg_ok, sometimes an extreme. */
static int64_t rnd_bits64(int maxbits, int neg_ok)
{
    uint64_t r = rnd();
    if (r % 64 == 0) {
        static const int64_t ext[] = {0, 1, -1, INT64_MAX, INT64_MIN, INT64_MAX - 1,
                                      INT64_MIN + 1, 1LL << 62, 10000, 1000000};
        int64_t v = ext[rnd() % (sizeof ext / sizeof ext[0])];
        return (!neg_ok && v < 0) ? 1 : v;
    }
    int b = (int)(rnd() % (uint64_t)(maxbits + 1));
    int64_t v = b == 0 ? 0 : (int64_t)(rnd() >> (64 - b));
    if (b == 63)
        v &= INT64_MAX;
    if (neg_ok && (rnd() & 1))
        v = -v;
    return v;
}

static i128 rnd_bits128(int maxbits)
{
    int b = (int)(rnd() % (uint64_t)(maxbits + 1));
    unsigned __int128 u = ((unsigned __int128)rnd() << 64) | rnd();
    if (b == 0)
        return 0;
    u >>= 128 - b;
    if (b == 128)
        u &= ~((unsigned __int128)1 << 127);
    return (i128)u;
}

/* A valid rational as callers build them, or an arbitrary (possibly
 * unreduced, huge) one. */
static dd_rat rnd_rat(int positive)
{
    switch (rnd() % 6) {
    case 0:
        return dd_rat_scaled(rnd_bits64(40, !positive), (int)(rnd() % 7));
    case 1: {
        int64_t pct[3];
        int n = (int)(rnd() % 4);
        for (int i = 0; i < n; i++)
            pct[i] = rnd_range(500000, 1500000);
        return dd_points_coefficient(pct, n, (rnd() & 1) ? DD_COEF_ADD : DD_COEF_MULTIPLY);
    }
    case 2: {
        dd_rat r = {rnd_bits128(127), rnd_bits128(127)};
        if (r.den == 0)
            r.den = 1;
        if (!positive && (rnd() & 1))
            r.num = -r.num;
        return r; /* unreduced on purpose */
    }
    case 3: {
        dd_rat r = dd_rat_make(rnd_bits128(90), rnd_bits128(70) + 1);
        if (!positive && (rnd() & 1))
            r.num = -r.num;
        return r;
    }
    default:
        return dd_rat_make(rnd_range(1, 3000000), rnd_range(1, 1000000));
    }
}

static void rnd_policy(dd_policy *p)
{
    dd_policy_defaults(p, (rnd() & 1) ? DD_SCHEME_DIP : DD_SCHEME_DRG);
    for (int l = 1; l <= 3; l++)
        p->base_rate_fen[l] = rnd_range(1, 5000000);
    if (rnd() % 4 == 0)
        p->points_scale = rnd_range(1, 1000000);
    if (rnd() % 4 == 0) {
        p->high_ratio_e6 = rnd_range(0, 1000 * 1000000LL);
        p->low_ratio_e6 = rnd_range(0, p->high_ratio_e6);
        p->high_excess_ratio_e6 = rnd_range(0, 1000 * 1000000LL);
    }
    if (rnd() % 16 == 0) { /* out of the parser's ranges, signs included */
        p->points_scale = rnd_bits64(63, 1);
        p->high_ratio_e6 = rnd_bits64(63, 1);
        p->low_ratio_e6 = rnd_bits64(63, 1);
        p->high_excess_ratio_e6 = rnd_bits64(63, 1);
    }
}

/* A cost on, or one fen around, a threshold ratio t (1e6) for ref rn/rd:
 * k = m*rd / (100*rn) = t/1e6  <=>  m = t*rn / (1e4*rd). */
static int64_t cost_near(int64_t t_e6, dd_rat ref)
{
    i128 num, den, m;
    /* extreme rationals: the helper itself must not overflow (UBSan) */
    if (__builtin_mul_overflow((i128)t_e6, ref.num, &num) ||
        __builtin_mul_overflow((i128)10000, ref.den, &den) || den == 0)
        return 1;
    m = num / den + (i128)rnd_range(-1, 1);
    if (m > INT64_MAX || m < INT64_MIN)
        return 1;
    return (int64_t)m;
}

static long n_fast, n_total, n_fast_fail, n_fast_cat[DD_CAT__COUNT];

static void same(const dd_policy *p, int64_t w, dd_rat ref, int64_t m, dd_rat coef)
{
    dd_category c1 = DD_CAT__COUNT, c2 = DD_CAT__COUNT, c3 = DD_CAT__COUNT;
    int64_t x1 = -777, x2 = -777, x3 = -777;
    int r1 = dd_points_grouped_exact(p, w, ref, m, coef, &c1, &x1);
    int r2 = dd_points_grouped(p, w, ref, m, coef, &c2, &x2);
    int r3 = dd_points_grouped_fast(p, w, ref, m, coef, &c3, &x3);
    n_total++;
    if (r3 != 1) {
        n_fast++;
        if (r3 == 0)
            n_fast_cat[c3]++;
        else
            n_fast_fail++;
        cr_assert(r3 == r1 && c3 == c1 && x3 == x1,
                  "fast: W %lld m %lld ref %.17g/%.17g coef %.17g/%.17g H %lld L %lld E %lld "
                  "S %lld: exact rc %d cat %d pts %lld, fast rc %d cat %d pts %lld",
                  (long long)w, (long long)m, (double)ref.num, (double)ref.den,
                  (double)coef.num, (double)coef.den, (long long)p->high_ratio_e6,
                  (long long)p->low_ratio_e6, (long long)p->high_excess_ratio_e6,
                  (long long)p->points_scale, r1, (int)c1, (long long)x1, r3, (int)c3,
                  (long long)x3);
    }
    cr_assert(r2 == r1 && c2 == c1 && x2 == x1,
              "grouped: W %lld m %lld: exact rc %d cat %d pts %lld, got rc %d cat %d pts %lld",
              (long long)w, (long long)m, r1, (int)c1, (long long)x1, r2, (int)c2,
              (long long)x2);
}

/* Realistic cases: DRG W x base rate or DIP ref_cost, coefficient from
 * percentages, costs from 0 to far beyond the high threshold and on them. */
Test(points_fast, realistic_random)
{
    rng_state = 0x1234567887654321ULL;
    n_fast = n_total = 0;
    long n_default = 0, n_default_fast = 0;
    for (long i = 0; i < 1200000; i++) {
        dd_policy p;
        dd_policy_defaults(&p, (i & 1) ? DD_SCHEME_DIP : DD_SCHEME_DRG);
        for (int l = 1; l <= 3; l++)
            p.base_rate_fen[l] = rnd_range(100000, 3000000);
        int custom = rnd() % 8 == 0;
        if (custom) {
            p.points_scale = rnd_range(1, 1000000);
            p.high_ratio_e6 = rnd_range(1000000, 5000000);
            p.low_ratio_e6 = rnd_range(0, p.high_ratio_e6 - 1);
            p.high_excess_ratio_e6 = rnd_range(0, 3000000);
        }
        int64_t w = rnd_range(1, 300000);
        dd_rat ref = (i & 1) ? dd_rat_scaled(rnd_range(1, 10000000000LL), 2)
                             : dd_points_drg_ref(&p, w, (int)rnd_range(1, 3));
        int64_t pct[3];
        int n = (int)(rnd() % 4);
        for (int k = 0; k < n; k++) /* hospitals.csv: whole or 2-decimal percents */
            pct[k] = rnd_range(8000, 12000) * ((rnd() & 1) ? 100 : 1);
        dd_rat coef = (rnd() % 8 == 0)
                          ? dd_rat_int(1)
                          : dd_points_coefficient(pct, n, (rnd() & 1) ? DD_COEF_ADD
                                                                      : DD_COEF_MULTIPLY);
        int64_t m;
        switch (rnd() % 4) {
        case 0:
            m = cost_near(p.high_ratio_e6, ref);
            break;
        case 1:
            m = cost_near(p.low_ratio_e6, ref);
            break;
        case 2:
            m = rnd_range(0, 10000000000LL);
            break;
        default:
            m = cost_near(rnd_range(0, 10000000), ref);
        }
        long before = n_fast;
        same(&p, w, ref, m, coef);
        if (!custom) {
            n_default++;
            n_default_fast += n_fast - before;
        }
    }
    /* The fast path must carry essentially all cases under the shipped
     * policy ratios (2, 1, 0.35 / 0.5, scale 10000). */
    cr_log_info("realistic: fast path taken %ld of %ld (default policy: %ld of %ld)", n_fast,
                n_total, n_default_fast, n_default);
    cr_assert(n_default_fast * 1000 >= n_default * 999, "fast path taken %ld of %ld",
              n_default_fast, n_default);
}

/* Anything: huge and unreduced rationals, negative costs and weights,
 * policy values outside the parser's ranges, overflowing results. */
Test(points_fast, extreme_random)
{
    rng_state = 0x0badc0ffee123457ULL;
    n_fast = n_total = n_fast_fail = 0;
    memset(n_fast_cat, 0, sizeof n_fast_cat);
    for (long i = 0; i < 1200000; i++) {
        dd_policy p;
        rnd_policy(&p);
        int64_t w = rnd_bits64(63, 1);
        dd_rat ref = rnd_rat(rnd() % 8 != 0);
        dd_rat coef = rnd_rat(0);
        int64_t m;
        if (dd_rat_ok(ref) && ref.num > 0 && ref.num < ((i128)1 << 80) && (rnd() & 1))
            m = cost_near((rnd() & 1) ? p.high_ratio_e6 : p.low_ratio_e6, ref);
        else
            m = rnd_bits64(63, 1);
        same(&p, w, ref, m, coef);
    }
    cr_log_info("extreme: fast path taken %ld of %ld (NORMAL %ld HIGH %ld LOW %ld, -1 %ld)",
                n_fast, n_total, n_fast_cat[DD_CAT_NORMAL], n_fast_cat[DD_CAT_HIGH],
                n_fast_cat[DD_CAT_LOW], n_fast_fail);
    /* every outcome must have been compared through the fast path */
    cr_assert(n_fast_cat[DD_CAT_NORMAL] > 1000 && n_fast_cat[DD_CAT_HIGH] > 1000 &&
              n_fast_cat[DD_CAT_LOW] > 1000 && n_fast_fail > 1000);
    cr_assert(n_fast > n_total / 10, "fast path taken %ld of %ld", n_fast, n_total);
}

/* Every small input combination around the thresholds and the rounding
 * half-way points. */
Test(points_fast, small_grid)
{
    n_fast = n_total = 0;
    dd_policy p;
    dd_policy_defaults(&p, DD_SCHEME_DRG);
    p.points_scale = 1;
    for (int64_t rn = 1; rn <= 8; rn++)
        for (int64_t rd = 1; rd <= 8; rd++) {
            dd_rat ref = dd_rat_make(rn, rd);
            for (int64_t cn = -2; cn <= 2; cn++)
                for (int64_t cd = 1; cd <= 3; cd++) {
                    dd_rat coef = dd_rat_make(cn, cd);
                    for (int64_t w = -3; w <= 27; w += 6)
                        for (int64_t m = -5; m <= 3000; m += 37)
                            same(&p, w, ref, m, coef);
                }
        }
    cr_assert_eq(n_fast, n_total);
}

/* dd_points_drg_ref (one reduction of W*B / 10^6) == the dd_rat product. */
Test(points_fast, drg_ref_random)
{
    rng_state = 0x5eed5eed5eed5eedULL;
    for (long i = 0; i < 1000000; i++) {
        dd_policy p;
        dd_policy_defaults(&p, DD_SCHEME_DRG);
        int level = (int)rnd_range(0, 4);
        int64_t w;
        if (i & 1) {
            w = rnd_range(0, 400000);
            p.base_rate_fen[level & 3] = rnd_range(0, 5000000);
        } else {
            w = rnd_bits64(63, 1);
            p.base_rate_fen[level & 3] = rnd_bits64(63, 1);
        }
        dd_rat a = dd_points_drg_ref(&p, w, level), b = dd_points_drg_ref_exact(&p, w, level);
        cr_assert(a.num == b.num && a.den == b.den, "W %lld B %lld level %d", (long long)w,
                  (long long)p.base_rate_fen[level & 3], level);
    }
}

/* FFS, lowest weight and bed-day fast paths == their dd_rat paths. */
Test(points_fast, ffs_weight_bedday_random)
{
    rng_state = 0xfeedface12345678ULL;
    long fails = 0;
    for (long i = 0; i < 1000000; i++) {
        dd_policy p;
        dd_bedday_rule rule;
        memset(&rule, 0, sizeof rule);
        int wild = i % 4 == 0;
        if (wild) {
            rnd_policy(&p);
            p.baseline_avg_cost_fen = rnd_bits64(63, rnd() % 8 == 0);
            rule.daily_fund_standard_fen = rnd_bits64(63, 1);
            rule.reimb_ratio_e6 = rnd_bits64(63, rnd() % 8 == 0);
        } else {
            dd_policy_defaults(&p, (i & 1) ? DD_SCHEME_DIP : DD_SCHEME_DRG);
            p.baseline_avg_cost_fen = rnd_range(100000, 3000000);
            rule.daily_fund_standard_fen = rnd_range(1000, 200000);
            rule.reimb_ratio_e6 = rnd_range(100000, 1000000);
        }
        dd_rat coef;
        if (wild) {
            coef = rnd_rat(0);
        } else {
            int64_t pct[3];
            int n = (int)(rnd() % 4);
            for (int k = 0; k < n; k++)
                pct[k] = rnd_range(8000, 12000) * ((rnd() & 1) ? 100 : 1);
            coef = dd_points_coefficient(pct, n, (rnd() & 1) ? DD_COEF_ADD : DD_COEF_MULTIPLY);
        }
        int64_t m = wild ? rnd_bits64(63, 1) : rnd_range(0, 10000000000LL);
        int64_t w = wild ? rnd_bits64(63, 1) : rnd_range(0, 300000);
        int days = wild ? (int)rnd_bits64(31, 1) : (int)rnd_range(0, 400);
        int64_t x1 = -777, x2 = -777;
        int r1 = dd_points_ffs_exact(&p, m, coef, &x1), r2 = dd_points_ffs(&p, m, coef, &x2);
        cr_assert(r1 == r2 && x1 == x2, "ffs m %lld: exact %d %lld fast %d %lld", (long long)m,
                  r1, (long long)x1, r2, (long long)x2);
        fails += r1 != 0;
        x1 = x2 = -777;
        r1 = dd_points_weight_only_exact(&p, w, coef, &x1);
        r2 = dd_points_weight_only(&p, w, coef, &x2);
        cr_assert(r1 == r2 && x1 == x2, "weight_only W %lld: exact %d %lld fast %d %lld",
                  (long long)w, r1, (long long)x1, r2, (long long)x2);
        fails += r1 != 0;
        x1 = x2 = -777;
        r1 = dd_points_bedday_exact(&p, &rule, days, coef, &x1);
        r2 = dd_points_bedday(&p, &rule, days, coef, &x2);
        cr_assert(r1 == r2 && x1 == x2, "bedday days %d: exact %d %lld fast %d %lld", days, r1,
                  (long long)x1, r2, (long long)x2);
        fails += r1 != 0;
    }
    cr_log_info("ffs/weight/bedday: %ld of 3000000 results were -1", fails);
    cr_assert(fails > 1000);
}
