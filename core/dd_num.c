/*
 * dd_num — exact decimals and 128-bit rationals (contract in dd_num.h).
 *
 * Rationals are kept reduced with den > 0 and |num|, den <= INT128_MAX (the
 * value INT128_MIN never appears, so negation is always safe). Every
 * multiplication and addition on the 128-bit parts is overflow-checked; an
 * overflow yields the invalid rational {0, 0}, which propagates.
 */
#include "dd_num.h"

#include <limits.h>

typedef unsigned __int128 dd_u128;

#define DD_I128_MAX ((dd_i128)(((dd_u128)1 << 127) - 1))

static const dd_rat DD_RAT_INVALID = {0, 0};

static const int64_t pow10_i64[19] = {
    1LL,
    10LL,
    100LL,
    1000LL,
    10000LL,
    100000LL,
    1000000LL,
    10000000LL,
    100000000LL,
    1000000000LL,
    10000000000LL,
    100000000000LL,
    1000000000000LL,
    10000000000000LL,
    100000000000000LL,
    1000000000000000LL,
    10000000000000000LL,
    100000000000000000LL,
    1000000000000000000LL,
};

/* ---------------------------------------------------------------- decimals */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int dd_dec_parse(const char *s, size_t len, int max_decimals, int scale, int64_t *out)
{
    if (!s || !out || scale < 0 || scale > 18 || max_decimals < 0 || max_decimals > scale)
        return -1;
    size_t i = 0;
    int64_t v = 0;
    size_t int_digits = 0;
    while (i < len && is_digit(s[i])) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
            return -1;
        i++;
        int_digits++;
    }
    if (int_digits == 0)
        return -1; /* ".5", "", "-1", "+1", " 1" */
    int frac_digits = 0;
    int64_t frac = 0;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && is_digit(s[i])) {
            if (frac_digits >= max_decimals)
                return -1; /* too many decimals: "1.234" at 2 */
            frac = frac * 10 + (s[i] - '0');
            frac_digits++;
            i++;
        }
        if (frac_digits == 0)
            return -1; /* "1." */
    }
    if (i != len)
        return -1; /* trailing garbage, exponent, spaces */
    /* v * 10^scale + frac * 10^(scale - frac_digits), overflow-checked. */
    int64_t r;
    if (__builtin_mul_overflow(v, pow10_i64[scale], &r))
        return -1;
    if (__builtin_add_overflow(r, frac * pow10_i64[scale - frac_digits], &r))
        return -1;
    *out = r;
    return 0;
}

int dd_dec_parse_signed(const char *s, size_t len, int max_decimals, int scale, int64_t *out)
{
    if (!s || !out)
        return -1;
    if (len > 0 && s[0] == '-') {
        int64_t v;
        if (dd_dec_parse(s + 1, len - 1, max_decimals, scale, &v))
            return -1;
        *out = -v; /* v >= 0 and <= INT64_MAX, so this cannot overflow */
        return 0;
    }
    return dd_dec_parse(s, len, max_decimals, scale, out);
}

size_t dd_dec_format(char *buf, size_t cap, int64_t value, int scale)
{
    char tmp[48];
    size_t n = 0;
    if (scale < 0)
        scale = 0;
    if (scale > 18)
        scale = 18;
    /* Magnitude as unsigned so INT64_MIN formats correctly. */
    uint64_t mag = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    int digits = 0;
    /* Emit digits in reverse, padding to at least scale + 1 digits. */
    do {
        tmp[n++] = (char)('0' + (int)(mag % 10));
        mag /= 10;
        digits++;
        if (digits == scale)
            tmp[n++] = '.';
    } while (mag > 0 || digits <= scale);
    if (value < 0)
        tmp[n++] = '-';
    size_t w = 0;
    if (cap > 0) {
        for (size_t k = n; k > 0 && w + 1 < cap; k--)
            buf[w++] = tmp[k - 1];
        buf[w] = '\0';
    }
    return n;
}

/* ---------------------------------------------------------------- rationals */

static dd_u128 uabs128(dd_i128 v)
{
    return v < 0 ? (dd_u128)0 - (dd_u128)v : (dd_u128)v;
}

static dd_u128 ugcd(dd_u128 a, dd_u128 b)
{
    while (b) {
        /* 128-bit division is slow; finish in 64 bits once both fit. */
        if ((a >> 64) == 0 && (b >> 64) == 0) {
            uint64_t x = (uint64_t)a, y = (uint64_t)b;
            while (y) {
                uint64_t t = x % y;
                x = y;
                y = t;
            }
            return x;
        }
        dd_u128 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int dd_rat_ok(dd_rat a)
{
    return a.den > 0;
}

dd_rat dd_rat_make(dd_i128 num, dd_i128 den)
{
    if (den == 0)
        return DD_RAT_INVALID;
    int neg = (num < 0) != (den < 0);
    dd_u128 un = uabs128(num), ud = uabs128(den);
    if (un == 0)
        return (dd_rat){0, 1};
    dd_u128 g = ugcd(un, ud);
    un /= g;
    ud /= g;
    /* INT128_MIN (magnitude 2^127) is not representable as a positive part. */
    if (un > (dd_u128)DD_I128_MAX || ud > (dd_u128)DD_I128_MAX)
        return DD_RAT_INVALID;
    dd_rat r = {(dd_i128)un, (dd_i128)ud};
    if (neg)
        r.num = -r.num;
    return r;
}

dd_rat dd_rat_int(int64_t v)
{
    return (dd_rat){(dd_i128)v, 1};
}

dd_rat dd_rat_scaled(int64_t value, int scale)
{
    if (scale < 0 || scale > 18)
        return DD_RAT_INVALID;
    return dd_rat_make((dd_i128)value, (dd_i128)pow10_i64[scale]);
}

dd_rat dd_rat_add(dd_rat a, dd_rat b)
{
    if (!dd_rat_ok(a) || !dd_rat_ok(b))
        return DD_RAT_INVALID;
    /* Common denominator via the lcm keeps intermediates small. */
    dd_i128 g = (dd_i128)ugcd((dd_u128)a.den, (dd_u128)b.den);
    dd_i128 da = a.den / g, db = b.den / g;
    dd_i128 x, y, num, den;
    if (__builtin_mul_overflow(a.num, db, &x) || __builtin_mul_overflow(b.num, da, &y) ||
        __builtin_add_overflow(x, y, &num) || __builtin_mul_overflow(a.den, db, &den))
        return DD_RAT_INVALID;
    return dd_rat_make(num, den);
}

dd_rat dd_rat_sub(dd_rat a, dd_rat b)
{
    if (!dd_rat_ok(b))
        return DD_RAT_INVALID;
    b.num = -b.num; /* safe: |num| <= INT128_MAX */
    return dd_rat_add(a, b);
}

dd_rat dd_rat_mul(dd_rat a, dd_rat b)
{
    if (!dd_rat_ok(a) || !dd_rat_ok(b))
        return DD_RAT_INVALID;
    if (a.num == 0 || b.num == 0)
        return (dd_rat){0, 1};
    /* Cross-reduce first so the products stay as small as possible. */
    dd_i128 g1 = (dd_i128)ugcd(uabs128(a.num), (dd_u128)b.den);
    dd_i128 g2 = (dd_i128)ugcd(uabs128(b.num), (dd_u128)a.den);
    dd_i128 num, den;
    if (__builtin_mul_overflow(a.num / g1, b.num / g2, &num) ||
        __builtin_mul_overflow(a.den / g2, b.den / g1, &den))
        return DD_RAT_INVALID;
    return dd_rat_make(num, den);
}

dd_rat dd_rat_div(dd_rat a, dd_rat b)
{
    if (!dd_rat_ok(a) || !dd_rat_ok(b) || b.num == 0)
        return DD_RAT_INVALID;
    dd_rat inv = {b.den, b.num};
    if (inv.den < 0) {
        inv.num = -inv.num;
        inv.den = -inv.den;
    }
    return dd_rat_mul(a, inv);
}

/* Compare two non-negative fractions an/ad and bn/bd (all parts > 0 except
 * numerators, which may be 0) without overflow: compare integer parts, then
 * the reciprocals of the remainders (continued-fraction expansion). */
static int ucmp_frac(dd_u128 an, dd_u128 ad, dd_u128 bn, dd_u128 bd)
{
    int flip = 0;
    for (;;) {
        dd_u128 qa = an / ad, qb = bn / bd;
        if (qa != qb)
            return (qa < qb ? -1 : 1) * (flip ? -1 : 1);
        dd_u128 ra = an % ad, rb = bn % bd;
        if (ra == 0 || rb == 0) {
            int c = ra == rb ? 0 : (ra == 0 ? -1 : 1);
            return flip ? -c : c;
        }
        /* ra/ad vs rb/bd: compare the reciprocals ad/ra vs bd/rb, order flipped */
        an = ad;
        ad = ra;
        bn = bd;
        bd = rb;
        flip = !flip;
    }
}

int dd_rat_cmp(dd_rat a, dd_rat b)
{
    if (!dd_rat_ok(a) || !dd_rat_ok(b))
        return 0;
    int sa = (a.num > 0) - (a.num < 0), sb = (b.num > 0) - (b.num < 0);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    int c = ucmp_frac(uabs128(a.num), (dd_u128)a.den, uabs128(b.num), (dd_u128)b.den);
    return sa > 0 ? c : -c;
}

int dd_rat_round(dd_rat a, int decimals, int64_t *out)
{
    if (!out || !dd_rat_ok(a) || decimals < 0 || decimals > 18)
        return -1;
    int neg = a.num < 0;
    dd_u128 n = uabs128(a.num), d = (dd_u128)a.den;
    dd_u128 q = n / d, rem = n % d;
    /* Scale the integer part, then add one long-division digit at a time;
     * each digit step adds rem to itself ten times modulo d, which never
     * exceeds 2^128 because rem, d <= 2^127 - 1. */
    dd_u128 limit = neg ? (dd_u128)1 << 63 : (dd_u128)INT64_MAX;
    if (q > limit)
        return -1;
    dd_u128 mag = q;
    for (int i = 0; i < decimals; i++) {
        dd_u128 acc = 0, digit = 0;
        for (int k = 0; k < 10; k++) {
            acc += rem;
            if (acc >= d) {
                acc -= d;
                digit++;
            }
        }
        rem = acc;
        mag = mag * 10 + digit; /* mag <= 2^63 before, so no u128 overflow */
        if (mag > limit)
            return -1;
    }
    /* Half away from zero: round the magnitude up when rem/d >= 1/2. */
    if (rem >= d - rem)
        mag++;
    if (mag > limit)
        return -1;
    if (neg)
        *out = mag == (dd_u128)1 << 63 ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return 0;
}

int64_t dd_div_round(dd_i128 num, dd_i128 den)
{
    if (den == 0)
        return 0;
    int neg = (num < 0) != (den < 0);
    dd_u128 n = uabs128(num), d = uabs128(den);
    dd_u128 q = n / d, rem = n % d;
    if (rem >= d - rem)
        q++;
    /* Saturate rather than wrap: callers keep their inputs far inside int64. */
    if (neg) {
        if (q >= (dd_u128)1 << 63)
            return INT64_MIN;
        return -(int64_t)q;
    }
    if (q > (dd_u128)INT64_MAX)
        return INT64_MAX;
    return (int64_t)q;
}

int dd_i64_scan(const char **p, int64_t *out)
{
    const char *s = *p;
    int neg = *s == '-';
    if (neg)
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    while (*s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s - '0');
        if (v > (lim - d) / 10)
            return -1;
        v = v * 10 + d;
        s++;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    *p = s;
    return 0;
}
