/* dd_time: ISO-8601 with required offset, dates, Asia/Shanghai months. */
#include <criterion/criterion.h>
#include <string.h>

#include "dd_time.h"

static int64_t ms(const char *s)
{
    int64_t v = 0;
    cr_assert_eq(dd_time_parse_iso_ms(s, strlen(s), &v), 0, "rejected %s", s);
    return v;
}

Test(time, civil_roundtrip)
{
    cr_assert_eq(dd_days_from_civil(1970, 1, 1), 0);
    cr_assert_eq(dd_days_from_civil(2000, 3, 1), 11017);
    cr_assert_eq(dd_days_from_civil(2025, 3, 4), 20151);
    cr_assert_eq(dd_days_from_civil(1969, 12, 31), -1);
    for (int32_t d = -800000; d < 800000; d += 37) {
        int y, m, dd;
        dd_civil_from_days(d, &y, &m, &dd);
        cr_assert_eq(dd_days_from_civil(y, m, dd), d);
    }
}

Test(time, iso_with_offsets)
{
    /* 2025-03-04T10:22:31+08:00 == 02:22:31Z */
    int64_t a = ms("2025-03-04T10:22:31+08:00");
    cr_assert_eq(a, ((int64_t)20151 * 86400 + 2 * 3600 + 22 * 60 + 31) * 1000);
    cr_assert_eq(ms("2025-03-04T02:22:31Z"), a);
    cr_assert_eq(ms("2025-03-03T21:22:31-05:00"), a);
    cr_assert_eq(ms("2025-03-04T02:22:31.250Z"), a + 250);
    cr_assert_eq(ms("2025-03-04T02:22:31.2Z"), a + 200);
    cr_assert_eq(ms("2025-03-04T02:22:31.123456789Z"), a + 123);
    cr_assert_eq(ms("2025-03-04T08:22:31+06:00"), a);
    int64_t s;
    cr_assert_eq(dd_time_parse_iso("2025-03-04T02:22:31.999Z", 24, &s), 0);
    cr_assert_eq(s, a / 1000);
}

Test(time, iso_rejects)
{
    const char *bad[] = {
        "2025-03-04T10:22:31",        /* no offset: SPEC §11 */
        "2025-03-04 10:22:31+08:00",  /* space */
        "2025-03-16 10:00:00",        /* the golden bad event */
        "2025-02-29T00:00:00+08:00",  /* not a leap year */
        "2025-13-01T00:00:00+08:00",
        "2025-03-04T24:00:00+08:00",
        "2025-03-04T10:60:00+08:00",
        "2025-03-04T10:22:60+08:00",
        "2025-03-04T10:22:31+0800",
        "2025-03-04T10:22:31+08",
        "2025-03-04T10:22:31+15:00",
        "2025-03-04T10:22:31.Z",
        "2025-03-04T10:22:31Zx",
        "2025-3-04T10:22:31+08:00",
        "",
        "2025-03-04",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v;
        cr_assert_eq(dd_time_parse_iso_ms(bad[i], strlen(bad[i]), &v), -1, "accepted %s", bad[i]);
    }
    int64_t v;
    cr_assert_eq(ms("2024-02-29T00:00:00+08:00") > 0, 1);
    (void)v;
}

Test(time, dates_and_months)
{
    int32_t d;
    cr_assert_eq(dd_time_parse_date("2025-03-04", 10, &d), 0);
    cr_assert_eq(d, 20151);
    cr_assert_eq(dd_time_parse_date("2025-02-30", 10, &d), -1);
    cr_assert_eq(dd_time_parse_date("2025-03-04T", 11, &d), -1);
    cr_assert_eq(dd_time_parse_date("20250304", 8, &d), -1);
    int32_t m;
    cr_assert_eq(dd_time_parse_month("2025-03", 7, &m), 0);
    cr_assert_eq(m, 2025 * 12 + 2);
    cr_assert_eq(dd_time_month_year(m), 2025);
    cr_assert_eq(dd_time_month_num(m), 3);
    char b[16];
    dd_time_format_month(m, b, sizeof b);
    cr_assert_str_eq(b, "2025-03");
    cr_assert_eq(dd_time_parse_month("2025-00", 7, &m), -1);
    cr_assert_eq(dd_time_parse_month("2025-3", 6, &m), -1);
    dd_time_format_date(20151, b, sizeof b);
    cr_assert_str_eq(b, "2025-03-04");
}

Test(time, shanghai_local_date_and_month)
{
    /* 2025-03-31T16:00:00Z is 2025-04-01T00:00:00+08:00: April in Shanghai */
    int64_t t = ms("2025-03-31T16:00:00Z");
    cr_assert_eq(dd_time_local_month(t), 2025 * 12 + 3);
    cr_assert_eq(dd_time_local_month(t - 1), 2025 * 12 + 2);
    cr_assert_eq(dd_time_local_date(t), dd_days_from_civil(2025, 4, 1));
    /* the golden stream's UTC settlement: 2025-03-25T22:32:44Z = 03-26 local */
    cr_assert_eq(dd_time_local_date(ms("2025-03-25T22:32:44+00:00")),
                 dd_days_from_civil(2025, 3, 26));
    /* New Year in Shanghai */
    cr_assert_eq(dd_time_local_month(ms("2024-12-31T16:00:00Z")), 2025 * 12 + 0);
    char b[40];
    dd_time_format_iso(ms("2025-03-04T02:22:31Z"), b, sizeof b);
    cr_assert_str_eq(b, "2025-03-04T10:22:31+08:00");
    dd_time_format_iso(ms("2025-03-04T02:22:31.5Z"), b, sizeof b);
    cr_assert_str_eq(b, "2025-03-04T10:22:31.500+08:00");
    /* before the epoch */
    dd_time_format_iso(ms("1969-12-31T15:59:59+00:00"), b, sizeof b);
    cr_assert_str_eq(b, "1969-12-31T23:59:59+08:00");
}
