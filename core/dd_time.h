/*
 * dd_time — timestamps, dates and months of the event contract (SPEC §2, §11)
 * by pure calendar arithmetic (days-from-civil); no libc time functions, no
 * time zone database: months and local dates are cut in Asia/Shanghai, which
 * is UTC+8 all year (no DST since 1991).
 *
 * Timestamps: `YYYY-MM-DDTHH:MM:SS[.f...](Z|+HH:MM|-HH:MM)`; the UTC offset is
 * REQUIRED (a local time without it is ambiguous). Fractional seconds are
 * kept to the millisecond (further digits are truncated); leap second 60 is
 * rejected. Years 1900..2999. Dates: `YYYY-MM-DD`. Months: `YYYY-MM`.
 * Times are int64 milliseconds since 1970-01-01T00:00:00Z; dates are int32
 * days since 1970-01-01; a month is the integer year * 12 + (month - 1).
 */
#ifndef DD_TIME_H
#define DD_TIME_H

#include <stddef.h>
#include <stdint.h>

#define DD_TIME_SHANGHAI_OFFSET_S (8 * 3600)
#define DD_MS_PER_DAY INT64_C(86400000)

/* Days since 1970-01-01 of a proleptic Gregorian date (no range check). */
int32_t dd_days_from_civil(int y, int m, int d);
void dd_civil_from_days(int32_t days, int *y, int *m, int *d);

/* Returns 0 and the epoch milliseconds, or -1 when malformed. */
int dd_time_parse_iso_ms(const char *s, size_t len, int64_t *epoch_ms);
/* Same in whole seconds (the fraction truncated). */
int dd_time_parse_iso(const char *s, size_t len, int64_t *epoch_s);

/* `YYYY-MM-DD` -> days since epoch; -1 when malformed or not a real date. */
int dd_time_parse_date(const char *s, size_t len, int32_t *days);

/* `YYYY-MM` -> month index (year * 12 + month - 1); -1 when malformed. */
int dd_time_parse_month(const char *s, size_t len, int32_t *month);
/* Month index -> "YYYY-MM" (buffer >= 8). */
void dd_time_format_month(int32_t month, char *buf, size_t cap);
int32_t dd_time_month_make(int year, int month); /* month 1..12 */
int dd_time_month_year(int32_t month);
int dd_time_month_num(int32_t month);             /* 1..12 */

/* Asia/Shanghai local date (days since epoch) and month of an instant. */
int32_t dd_time_local_date(int64_t epoch_ms);
int32_t dd_time_local_month(int64_t epoch_ms);

/* Render an instant as Asia/Shanghai ISO-8601, "2025-03-04T10:22:31+08:00"
 * (milliseconds added when not zero). Buffer >= 32. */
void dd_time_format_iso(int64_t epoch_ms, char *buf, size_t cap);
/* "YYYY-MM-DD" (buffer >= 11). */
void dd_time_format_date(int32_t days, char *buf, size_t cap);

/* Month-close cut-off of `month` (SPEC §2): day `day` (1..28) of the NEXT
 * month, 00:00 Asia/Shanghai, as epoch ms. E.g. 2025-12, day 10 ->
 * 2026-01-10T00:00:00+08:00 = 2026-01-09T16:00:00Z. */
int64_t dd_time_close_cutoff_ms(int32_t month, int day);

#endif
