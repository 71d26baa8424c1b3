/*
 * dd_time — see dd_time.h. days_from_civil / civil_from_days are Howard
 * Hinnant's public-domain algorithms (era = 400-year cycle).
 */
#include "dd_time.h"

#include <stdio.h>
#include <string.h>

int32_t dd_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void dd_civil_from_days(int32_t z0, int *y, int *m, int *d)
{
    int z = z0 + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int yy = (int)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    const unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (mm <= 2);
    *m = (int)mm;
    *d = (int)dd;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* YYYY-MM-DD at s (10 bytes available). */
static int parse_ymd(const char *s, int *y, int *m, int *d)
{
    if (s[4] != '-' || s[7] != '-')
        return -1;
    if (digits(s, 4, y) || digits(s + 5, 2, m) || digits(s + 8, 2, d))
        return -1;
    if (*y < 1900 || *y > 2999 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    return 0;
}

int dd_time_parse_date(const char *s, size_t len, int32_t *days)
{
    int y, m, d;
    if (len != 10 || parse_ymd(s, &y, &m, &d))
        return -1;
    *days = dd_days_from_civil(y, m, d);
    return 0;
}

int dd_time_parse_iso_ms(const char *s, size_t len, int64_t *epoch_ms)
{
    int y, mo, d, hh, mi, ss;
    if (len < 20 || parse_ymd(s, &y, &mo, &d))
        return -1;
    if (s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return -1;
    if (digits(s + 11, 2, &hh) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &ss))
        return -1;
    if (hh > 23 || mi > 59 || ss > 59)
        return -1;
    size_t p = 19;
    int ms = 0;
    if (p < len && s[p] == '.') {
        p++;
        size_t fs = p;
        int scale = 100;
        while (p < len && s[p] >= '0' && s[p] <= '9') {
            if (scale) {
                ms += (s[p] - '0') * scale;
                scale /= 10;
            }
            p++;
        }
        if (p == fs || p - fs > 9)
            return -1;
    }
    if (p >= len)
        return -1; /* offset required */
    int off_s;
    if (s[p] == 'Z') {
        off_s = 0;
        p++;
    } else if (s[p] == '+' || s[p] == '-') {
        int oh, om;
        if (len - p != 6 || s[p + 3] != ':' || digits(s + p + 1, 2, &oh) ||
            digits(s + p + 4, 2, &om) || oh > 14 || om > 59)
            return -1;
        off_s = (oh * 3600 + om * 60) * (s[p] == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (p != len)
        return -1;
    int64_t secs = (int64_t)dd_days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - off_s;
    *epoch_ms = secs * 1000 + ms;
    return 0;
}

int dd_time_parse_iso(const char *s, size_t len, int64_t *epoch_s)
{
    int64_t ms;
    if (dd_time_parse_iso_ms(s, len, &ms))
        return -1;
    /* floor division: instants before 1970 keep whole seconds consistent */
    *epoch_s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    return 0;
}

int dd_time_parse_month(const char *s, size_t len, int32_t *month)
{
    int y, m;
    if (len != 7 || s[4] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &m))
        return -1;
    if (y < 1900 || y > 2999 || m < 1 || m > 12)
        return -1;
    *month = dd_time_month_make(y, m);
    return 0;
}

int32_t dd_time_month_make(int year, int month)
{
    return (int32_t)(year * 12 + (month - 1));
}

int dd_time_month_year(int32_t month)
{
    return (int)(month / 12);
}

int dd_time_month_num(int32_t month)
{
    return (int)(month % 12) + 1;
}

/* Digits without printf (months and times are formatted per event); the
 * printf forms stay for what they do not cover (years outside 0..9999, short
 * buffers), so the output is identical. */
static void put_digits(char *p, int v, int n)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

void dd_time_format_month(int32_t month, char *buf, size_t cap)
{
    int y = dd_time_month_year(month), m = dd_time_month_num(month);
    if (y >= 0 && y <= 9999 && m >= 0 && m <= 99 && cap >= 8) {
        put_digits(buf, y, 4);
        buf[4] = '-';
        put_digits(buf + 5, m, 2);
        buf[7] = '\0';
        return;
    }
    snprintf(buf, cap, "%04d-%02d", y, m);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int32_t dd_time_local_date(int64_t epoch_ms)
{
    return (int32_t)floor_div(epoch_ms + (int64_t)DD_TIME_SHANGHAI_OFFSET_S * 1000, DD_MS_PER_DAY);
}

int32_t dd_time_local_month(int64_t epoch_ms)
{
    int y, m, d;
    dd_civil_from_days(dd_time_local_date(epoch_ms), &y, &m, &d);
    return dd_time_month_make(y, m);
}

void dd_time_format_date(int32_t days, char *buf, size_t cap)
{
    int y, m, d;
    dd_civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02d-%02d", y, m, d);
}

void dd_time_format_iso(int64_t epoch_ms, char *buf, size_t cap)
{
    int64_t local = epoch_ms + (int64_t)DD_TIME_SHANGHAI_OFFSET_S * 1000;
    int32_t days = (int32_t)floor_div(local, DD_MS_PER_DAY);
    int64_t rem = local - (int64_t)days * DD_MS_PER_DAY;
    int y, m, d;
    dd_civil_from_days(days, &y, &m, &d);
    int ms = (int)(rem % 1000);
    int s = (int)(rem / 1000);
    if (y >= 0 && y <= 9999 && cap >= 30) {
        /* YYYY-MM-DDTHH:MM:SS[.mmm]+08:00 */
        put_digits(buf, y, 4);
        buf[4] = '-';
        put_digits(buf + 5, m, 2);
        buf[7] = '-';
        put_digits(buf + 8, d, 2);
        buf[10] = 'T';
        put_digits(buf + 11, s / 3600, 2);
        buf[13] = ':';
        put_digits(buf + 14, s / 60 % 60, 2);
        buf[16] = ':';
        put_digits(buf + 17, s % 60, 2);
        char *o = buf + 19;
        if (ms) {
            *o++ = '.';
            put_digits(o, ms, 3);
            o += 3;
        }
        memcpy(o, "+08:00", 7);
        return;
    }
    if (ms)
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+08:00", y, m, d, s / 3600,
                 s / 60 % 60, s % 60, ms);
    else
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, m, d, s / 3600, s / 60 % 60,
                 s % 60);
}

int64_t dd_time_close_cutoff_ms(int32_t month, int day)
{
    int32_t next = month + 1;
    int32_t days = dd_days_from_civil(dd_time_month_year(next), dd_time_month_num(next), day);
    return (int64_t)days * DD_MS_PER_DAY - (int64_t)DD_TIME_SHANGHAI_OFFSET_S * 1000;
}
