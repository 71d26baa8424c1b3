/* dd_num: decimal parse/format, rounding, rationals, overflow detection. */
#include <criterion/criterion.h>
#include <limits.h>
#include <string.h>

#include "dd_num.h"

static int parse(const char *s, int maxd, int scale, int64_t *out)
{
    return dd_dec_parse(s, strlen(s), maxd, scale, out);
}

static int64_t parse_ok(const char *s, int maxd, int scale)
{
    int64_t v = -777;
    cr_assert_eq(parse(s, maxd, scale, &v), 0, "'%s' should parse", s);
    return v;
}

static void parse_bad(const char *s, int maxd, int scale)
{
    int64_t v = -777;
    cr_assert_eq(parse(s, maxd, scale, &v), -1, "'%s' should be rejected", s);
    cr_assert_eq(v, -777, "'%s': output touched on failure", s);
}

Test(num_parse, accepts_plain_decimals)
{
    cr_assert_eq(parse_ok("12345.67", 2, 2), 1234567);
    cr_assert_eq(parse_ok("0", 2, 2), 0);
    cr_assert_eq(parse_ok("0.00", 2, 2), 0);
    cr_assert_eq(parse_ok("1.5", 2, 2), 150);
    cr_assert_eq(parse_ok("1.05", 2, 2), 105);
    cr_assert_eq(parse_ok("007", 2, 2), 700);
    cr_assert_eq(parse_ok("100000000.00", 2, 2), 10000000000LL);
    cr_assert_eq(parse_ok("0.6617", 4, 4), 6617);
    cr_assert_eq(parse_ok("3.0715", 4, 4), 30715);
    cr_assert_eq(parse_ok("0.35", 6, 6), 350000);
    cr_assert_eq(parse_ok("0.000001", 6, 6), 1);
    cr_assert_eq(parse_ok("1.2", 2, 6), 1200000); /* fewer decimals than scale */
    cr_assert_eq(parse_ok("42", 0, 0), 42);
}

Test(num_parse, rejects_malformed)
{
    parse_bad("1.234", 2, 2); /* too many decimals */
    parse_bad("1.23", 1, 2);
    parse_bad("-1", 2, 2);
    parse_bad("1e3", 2, 2);
    parse_bad("+1", 2, 2);
    parse_bad(".5", 2, 2);
    parse_bad("1.", 2, 2);
    parse_bad(" 1", 2, 2);
    parse_bad("1 ", 2, 2);
    parse_bad("", 2, 2);
    parse_bad(".", 2, 2);
    parse_bad("1.2.3", 2, 2);
    parse_bad("1,5", 2, 2);
    parse_bad("0x10", 2, 2);
    parse_bad("1.5", 0, 0); /* integers only */
    parse_bad("1", 3, 2);   /* max_decimals > scale is a caller error */
}

Test(num_parse, overflow)
{
    /* INT64_MAX = 9223372036854775807 */
    cr_assert_eq(parse_ok("9223372036854775807", 0, 0), INT64_MAX);
    parse_bad("9223372036854775808", 0, 0);
    cr_assert_eq(parse_ok("92233720368547758.07", 2, 2), INT64_MAX);
    parse_bad("92233720368547758.08", 2, 2);
    parse_bad("92233720368547759", 2, 2);
    parse_bad("99999999999999999999999999", 2, 2);
}

Test(num_parse, length_is_respected)
{
    int64_t v = 0;
    cr_assert_eq(dd_dec_parse("12.34xyz", 5, 2, 2, &v), 0);
    cr_assert_eq(v, 1234);
    cr_assert_eq(dd_dec_parse("12.34", 3, 2, 2, &v), -1); /* "12." */
}

Test(num_parse, signed_variant)
{
    int64_t v = 0;
    cr_assert_eq(dd_dec_parse_signed("-0.10", 5, 2, 2, &v), 0);
    cr_assert_eq(v, -10);
    cr_assert_eq(dd_dec_parse_signed("0.10", 4, 2, 2, &v), 0);
    cr_assert_eq(v, 10);
    cr_assert_eq(dd_dec_parse_signed("-", 1, 2, 2, &v), -1);
    cr_assert_eq(dd_dec_parse_signed("--1", 3, 2, 2, &v), -1);
    cr_assert_eq(dd_dec_parse_signed("+1", 2, 2, 2, &v), -1);
    cr_assert_eq(dd_dec_parse_signed("-1.234", 6, 2, 2, &v), -1);
}

static void fmt_is(int64_t v, int scale, const char *want)
{
    char buf[32];
    size_t n = dd_dec_format(buf, sizeof buf, v, scale);
    cr_assert_str_eq(buf, want);
    cr_assert_eq(n, strlen(want));
}

Test(num_format, values)
{
    fmt_is(0, 4, "0.0000");
    fmt_is(0, 0, "0");
    fmt_is(5, 0, "5");
    fmt_is(-1969181, 2, "-19691.81");
    fmt_is(1234567, 2, "12345.67");
    fmt_is(1, 2, "0.01");
    fmt_is(-1, 2, "-0.01");
    fmt_is(-100, 2, "-1.00");
    fmt_is(69478500, 4, "6947.8500");
    fmt_is(1000000, 6, "1.000000");
    fmt_is(INT64_MAX, 2, "92233720368547758.07");
    fmt_is(INT64_MIN, 2, "-92233720368547758.08");
    fmt_is(INT64_MIN, 0, "-9223372036854775808");
}

Test(num_format, truncates_to_capacity)
{
    char buf[5];
    size_t n = dd_dec_format(buf, sizeof buf, 1234567, 2);
    cr_assert_eq(n, 8); /* full length reported, like snprintf */
    cr_assert_str_eq(buf, "1234");
}

static int64_t rnd(dd_rat r, int d)
{
    int64_t v = -777;
    cr_assert_eq(dd_rat_round(r, d, &v), 0);
    return v;
}

Test(num_round, half_away_from_zero)
{
    cr_assert_eq(rnd(dd_rat_make(1, 3), 4), 3333);
    cr_assert_eq(rnd(dd_rat_make(2, 3), 4), 6667);
    cr_assert_eq(rnd(dd_rat_make(-2, 3), 4), -6667);
    cr_assert_eq(rnd(dd_rat_make(5, 2), 0), 3);
    cr_assert_eq(rnd(dd_rat_make(-5, 2), 0), -3);
    cr_assert_eq(rnd(dd_rat_make(3, 2), 0), 2);
    cr_assert_eq(rnd(dd_rat_make(-3, 2), 0), -2);
    cr_assert_eq(rnd(dd_rat_make(1, 2), 0), 1);
    cr_assert_eq(rnd(dd_rat_make(-1, 2), 0), -1);
    cr_assert_eq(rnd(dd_rat_make(49999, 100000), 0), 0);
    cr_assert_eq(rnd(dd_rat_make(-49999, 100000), 0), 0);
    cr_assert_eq(rnd(dd_rat_make(125, 1000), 2), 13);   /* 0.125 -> 0.13 */
    cr_assert_eq(rnd(dd_rat_make(-125, 1000), 2), -13); /* -0.125 -> -0.13 */
    cr_assert_eq(rnd(dd_rat_make(124999, 1000000), 2), 12);
    cr_assert_eq(rnd(dd_rat_make(7, 1), 2), 700);
    cr_assert_eq(rnd(dd_rat_make(0, 5), 4), 0);
    /* exact 1/10^d boundary at 4 decimals: 0.00005 -> 0.0001 */
    cr_assert_eq(rnd(dd_rat_make(5, 100000), 4), 1);
    cr_assert_eq(rnd(dd_rat_make(-5, 100000), 4), -1);
}

Test(num_round, limits_and_errors)
{
    int64_t v;
    cr_assert_eq(rnd(dd_rat_int(INT64_MAX), 0), INT64_MAX);
    cr_assert_eq(rnd(dd_rat_int(INT64_MIN), 0), INT64_MIN);
    cr_assert_eq(dd_rat_round(dd_rat_int(INT64_MAX), 1, &v), -1);
    cr_assert_eq(dd_rat_round(dd_rat_make((dd_i128)INT64_MAX * 2 + 1, 2), 0, &v), -1);
    dd_rat bad = {1, 0};
    cr_assert_eq(dd_rat_round(bad, 2, &v), -1);
}

Test(num_div_round, both_signs)
{
    cr_assert_eq(dd_div_round(5, 2), 3);
    cr_assert_eq(dd_div_round(-5, 2), -3);
    cr_assert_eq(dd_div_round(5, -2), -3);
    cr_assert_eq(dd_div_round(-5, -2), 3);
    cr_assert_eq(dd_div_round(7, 3), 2);
    cr_assert_eq(dd_div_round(-7, 3), -2);
    cr_assert_eq(dd_div_round(8, 3), 3);
    cr_assert_eq(dd_div_round(-8, 3), -3);
    cr_assert_eq(dd_div_round(0, 3), 0);
    cr_assert_eq(dd_div_round((dd_i128)315200000000LL, 1000000), 315200); /* 63040.00 x 0.05 */
}

static void rat_is(dd_rat r, long long num, long long den)
{
    cr_assert(dd_rat_ok(r), "invalid rational");
    cr_assert(r.num == num && r.den == den, "got %lld/%lld, want %lld/%lld", (long long)r.num,
              (long long)r.den, num, den);
}

Test(num_rat, make_reduces_and_fixes_sign)
{
    rat_is(dd_rat_make(6, 4), 3, 2);
    rat_is(dd_rat_make(-6, 4), -3, 2);
    rat_is(dd_rat_make(6, -4), -3, 2);
    rat_is(dd_rat_make(-6, -4), 3, 2);
    rat_is(dd_rat_make(0, -7), 0, 1);
    cr_assert(!dd_rat_ok(dd_rat_make(1, 0)));
    rat_is(dd_rat_int(-12), -12, 1);
    rat_is(dd_rat_scaled(1050000, 6), 21, 20);
    rat_is(dd_rat_scaled(908056, 2), 227014, 25);
    cr_assert(!dd_rat_ok(dd_rat_scaled(1, 19)));
}

Test(num_rat, arithmetic)
{
    dd_rat a = dd_rat_make(1, 6), b = dd_rat_make(1, 4);
    rat_is(dd_rat_add(a, b), 5, 12);
    rat_is(dd_rat_sub(a, b), -1, 12);
    rat_is(dd_rat_mul(a, b), 1, 24);
    rat_is(dd_rat_div(a, b), 2, 3);
    rat_is(dd_rat_div(a, dd_rat_int(-2)), -1, 12);
    rat_is(dd_rat_mul(dd_rat_int(0), b), 0, 1);
    rat_is(dd_rat_sub(a, a), 0, 1);
    cr_assert(!dd_rat_ok(dd_rat_div(a, dd_rat_int(0))));
    /* 0.90 x 1.05 x 1.10 = 1.0395 */
    dd_rat c = dd_rat_mul(dd_rat_mul(dd_rat_scaled(90, 2), dd_rat_scaled(105, 2)),
                          dd_rat_scaled(110, 2));
    rat_is(c, 2079, 2000);
}

Test(num_rat, compare)
{
    cr_assert_eq(dd_rat_cmp(dd_rat_make(1, 3), dd_rat_make(1, 3)), 0);
    cr_assert_eq(dd_rat_cmp(dd_rat_make(1, 3), dd_rat_make(1, 2)), -1);
    cr_assert_eq(dd_rat_cmp(dd_rat_make(1, 2), dd_rat_make(1, 3)), 1);
    cr_assert_eq(dd_rat_cmp(dd_rat_make(-1, 2), dd_rat_make(-1, 3)), -1);
    cr_assert_eq(dd_rat_cmp(dd_rat_make(-1, 2), dd_rat_int(0)), -1);
    cr_assert_eq(dd_rat_cmp(dd_rat_int(0), dd_rat_int(0)), 0);
    cr_assert_eq(dd_rat_cmp(dd_rat_make(7, 2), dd_rat_make(10, 3)), 1);
    cr_assert_eq(dd_rat_cmp(dd_rat_make(22, 7), dd_rat_make(355, 113)), 1);
    /* huge parts whose cross products would overflow 128 bits */
    dd_i128 big = (dd_i128)1 << 120;
    dd_rat x = dd_rat_make(big + 1, big), y = dd_rat_make(big + 2, big + 1);
    cr_assert(dd_rat_ok(x) && dd_rat_ok(y));
    cr_assert_eq(dd_rat_cmp(x, y), 1); /* 1 + 1/big > 1 + 1/(big+1) */
    cr_assert_eq(dd_rat_cmp(y, x), -1);
}

Test(num_rat, overflow_is_detected)
{
    dd_i128 big = (dd_i128)1 << 100;
    dd_rat a = dd_rat_make(big, 1);
    cr_assert(!dd_rat_ok(dd_rat_mul(a, a)));
    dd_rat max = dd_rat_make((dd_i128)(((unsigned __int128)1 << 127) - 1), 1);
    cr_assert(dd_rat_ok(max));
    cr_assert(!dd_rat_ok(dd_rat_add(max, dd_rat_int(1))));
    cr_assert(!dd_rat_ok(dd_rat_sub(dd_rat_int(-2), max)));
    /* large coprime denominators overflow in add */
    dd_rat p = dd_rat_make(1, big + 1), q = dd_rat_make(1, big + 3);
    cr_assert(!dd_rat_ok(dd_rat_add(p, q)));
    /* invalid propagates through every operation */
    dd_rat bad = dd_rat_div(dd_rat_int(1), dd_rat_int(0));
    cr_assert(!dd_rat_ok(dd_rat_add(bad, dd_rat_int(1))));
    cr_assert(!dd_rat_ok(dd_rat_sub(dd_rat_int(1), bad)));
    cr_assert(!dd_rat_ok(dd_rat_mul(bad, dd_rat_int(1))));
    cr_assert(!dd_rat_ok(dd_rat_div(dd_rat_int(1), bad)));
    /* INT128_MIN cannot be a positive magnitude */
    dd_i128 min = -(dd_i128)(((unsigned __int128)1 << 127) - 1) - 1;
    cr_assert(!dd_rat_ok(dd_rat_make(min, 1)));
    dd_rat h = dd_rat_make(min, 2); /* reduces to -2^126, representable */
    cr_assert(dd_rat_ok(h) && h.num == -((dd_i128)1 << 126) && h.den == 1);
}

/* Deterministic pseudo-random cross-checks against direct 128-bit formulas
 * on values small enough for the direct formulas to be exact. */
static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 11;
}

Test(num_rat, random_cross_checks)
{
    uint64_t s = 42;
    for (int i = 0; i < 20000; i++) {
        int64_t an = (int64_t)(lcg(&s) % 2000001) - 1000000, ad = (int64_t)(lcg(&s) % 99999) + 1;
        int64_t bn = (int64_t)(lcg(&s) % 2000001) - 1000000, bd = (int64_t)(lcg(&s) % 99999) + 1;
        dd_rat a = dd_rat_make(an, ad), b = dd_rat_make(bn, bd);
        /* cmp vs cross-multiplication */
        dd_i128 l = (dd_i128)an * bd, r = (dd_i128)bn * ad;
        cr_assert_eq(dd_rat_cmp(a, b), (l > r) - (l < r));
        /* add/mul value checks: x == n/d  <=>  x.num * d == n * x.den */
        dd_rat sum = dd_rat_add(a, b);
        cr_assert(sum.num * ((dd_i128)ad * bd) == ((dd_i128)an * bd + (dd_i128)bn * ad) * sum.den);
        dd_rat prod = dd_rat_mul(a, b);
        cr_assert(prod.num * ((dd_i128)ad * bd) == ((dd_i128)an * bn) * prod.den);
        /* round to 4 decimals vs floor((2|x| * 10^4 + 1) / 2)-style integer rounding */
        dd_i128 n = (dd_i128)an * 10000, d = ad;
        dd_i128 mag = ((n < 0 ? -n : n) * 2 + d) / (2 * d);
        int64_t want = (int64_t)(n < 0 ? -mag : mag);
        cr_assert_eq(rnd(a, 4), want, "%lld/%lld", (long long)an, (long long)ad);
        cr_assert_eq(dd_div_round(n, d), want);
    }
}

Test(i64_scan, strict_decimal_with_position)
{
    const char *s = "-12 34", *p = s;
    int64_t v = 0;
    cr_assert_eq(dd_i64_scan(&p, &v), 0);
    cr_assert_eq(v, -12);
    cr_assert_eq(p, s + 3); /* stops at the space */
    p = "9223372036854775807";
    cr_assert_eq(dd_i64_scan(&p, &v), 0);
    cr_assert_eq(v, INT64_MAX);
    p = "-9223372036854775808";
    cr_assert_eq(dd_i64_scan(&p, &v), 0);
    cr_assert_eq(v, INT64_MIN);
    const char *bad[] = {"9223372036854775808", "-9223372036854775809", "-", "", "+1", " 1", "x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = bad[i];
        cr_assert_eq(dd_i64_scan(&p, &v), -1, "%s", bad[i]);
        cr_assert_eq(p, bad[i], "%s: position moved", bad[i]);
    }
}
