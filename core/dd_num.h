/*
 * dd_num — exact decimal and rational arithmetic for money and points.
 *
 * Contract: no binary floating point anywhere. Decimal inputs are parsed from
 * text into scaled 64-bit integers; formulas run on dd_rat (128-bit num/den,
 * always reduced, den > 0); results are rounded half away from zero to a fixed
 * number of decimals. Money is int64 fen (scale 2), points int64 1/10000
 * (scale 4), ratios and rates int64 1/1000000 (scale 6) unless said otherwise.
 *
 * Overflow never wraps silently: operations set r.den = 0 ("invalid") when a
 * 128-bit intermediate would overflow, and every consumer checks dd_rat_ok().
 */
#ifndef DD_NUM_H
#define DD_NUM_H

#include <stddef.h>
#include <stdint.h>

typedef __int128 dd_i128;

typedef struct {
    dd_i128 num;
    dd_i128 den; /* > 0 when valid; 0 marks overflow / division by zero */
} dd_rat;

#define DD_SCALE_FEN 2
#define DD_SCALE_POINTS 4
#define DD_SCALE_RATIO 6

/* Parse an unsigned decimal "123", "123.4", "123.45" (no sign, no exponent,
 * no spaces, at most max_decimals digits after the point, at least one digit
 * before it) into value × 10^scale. max_decimals must be <= scale.
 * Returns 0 on success, -1 when the text is not of that form or overflows. */
int dd_dec_parse(const char *s, size_t len, int max_decimals, int scale,
                 int64_t *out);

/* Same, but a leading '-' is accepted (policy coefficients like -0.10). */
int dd_dec_parse_signed(const char *s, size_t len, int max_decimals, int scale,
                        int64_t *out);

/* A decimal int64 at *p: optional '-', then digits, no overflow (Redis
 * counters, stored offsets); *p moves past it. 0, or -1 with *p unchanged. */
int dd_i64_scan(const char **p, int64_t *out);

/* Format value / 10^scale with exactly `scale` decimals ("-19691.81",
 * "0.0000"). Returns the length written (buffer of 32 is always enough). */
size_t dd_dec_format(char *buf, size_t cap, int64_t value, int scale);

dd_rat dd_rat_int(int64_t v);
dd_rat dd_rat_scaled(int64_t value, int scale); /* value / 10^scale */
dd_rat dd_rat_make(dd_i128 num, dd_i128 den);   /* reduces, fixes sign */
dd_rat dd_rat_add(dd_rat a, dd_rat b);
dd_rat dd_rat_sub(dd_rat a, dd_rat b);
dd_rat dd_rat_mul(dd_rat a, dd_rat b);
dd_rat dd_rat_div(dd_rat a, dd_rat b); /* b == 0 -> invalid */
int dd_rat_ok(dd_rat a);
/* -1, 0, 1; both operands must be valid. */
int dd_rat_cmp(dd_rat a, dd_rat b);

/* Round to `decimals` decimals, half away from zero, as a scaled integer:
 * dd_rat_round(1/3, 4) == 3333. Returns 0 and sets *out, or -1 on overflow
 * or an invalid operand. */
int dd_rat_round(dd_rat a, int decimals, int64_t *out);

/* round(num / den) half away from zero, den != 0. */
int64_t dd_div_round(dd_i128 num, dd_i128 den);

#endif
