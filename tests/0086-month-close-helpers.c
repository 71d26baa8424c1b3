/* Month close: the cut-off instant (dd_time), the policy key
 * month_close.day, the snapshot id / Redis keys and the scheduler's event
 * (dd_monthclose.h pure helpers). */
#include <criterion/criterion.h>
#include <string.h>

#include "dd_event.h"
#include "dd_monthclose.h"
#include "dd_policy.h"
#include "dd_time.h"

static int64_t ms(const char *s)
{
    int64_t v = 0;
    cr_assert_eq(dd_time_parse_iso_ms(s, strlen(s), &v), 0, "rejected %s", s);
    return v;
}

Test(monthclose, cutoff)
{
    /* 2025-12 -> 2026-01-10T00:00+08:00 = 2026-01-09T16:00Z (year wrap) */
    cr_assert_eq(dd_time_close_cutoff_ms(dd_time_month_make(2025, 12), 10),
                 ms("2026-01-09T16:00:00Z"));
    cr_assert_eq(dd_time_close_cutoff_ms(dd_time_month_make(2025, 3), 10),
                 ms("2025-04-10T00:00:00+08:00"));
    cr_assert_eq(dd_time_close_cutoff_ms(dd_time_month_make(2025, 3), 10),
                 ms("2025-04-09T16:00:00Z"));
    /* one second before is not yet due */
    cr_assert_gt(dd_time_close_cutoff_ms(dd_time_month_make(2025, 3), 10),
                 ms("2025-04-09T23:59:59+08:00"));
    /* February of a leap year, day 1 */
    cr_assert_eq(dd_time_close_cutoff_ms(dd_time_month_make(2024, 1), 1),
                 ms("2024-02-01T00:00:00+08:00"));
    cr_assert_eq(dd_time_close_cutoff_ms(dd_time_month_make(2024, 2), 28),
                 ms("2024-03-28T00:00:00+08:00"));
    /* 1970-01 with day 1: 1970-02-01T00:00+08:00 */
    cr_assert_eq(dd_time_close_cutoff_ms(dd_time_month_make(1970, 1), 1),
                 INT64_C(31) * 86400000 - INT64_C(8) * 3600000);
}

Test(monthclose, policy_day)
{
    dd_policy p;
    char err[256];
    dd_policy_defaults(&p, DD_SCHEME_DRG);
    cr_assert_eq(p.month_close_day, 10);
    const char *t = "month_close.day = 5\n";
    cr_assert_eq(dd_policy_parse(&p, DD_SCHEME_DRG, t, strlen(t), err, sizeof err), 0, "%s", err);
    cr_assert_eq(p.month_close_day, 5);
    const char *bad[] = {"month_close.day = 0\n", "month_close.day = 29\n",
                         "month_close.day = x\n"};
    for (int i = 0; i < 3; i++) {
        dd_policy q;
        cr_assert_eq(dd_policy_parse(&q, DD_SCHEME_DRG, bad[i], strlen(bad[i]), err, sizeof err),
                     -1, "accepted %s", bad[i]);
    }
}

Test(monthclose, ids_and_keys)
{
    char b[128];
    int32_t m = dd_time_month_make(2025, 3);
    cr_assert_eq(dd_monthclose_id(b, sizeof b, "220100", 310, m), 30);
    cr_assert_str_eq(b, "MONTH_CLOSE:220100:310:2025-03");
    cr_assert_gt(dd_monthclose_key_snapshot(b, sizeof b, "220100", 390, m), 0);
    cr_assert_str_eq(b, "dd:{220100}:snap:390:2025-03");
    cr_assert_gt(dd_monthclose_key_closed(b, sizeof b, "220100", 310), 0);
    cr_assert_str_eq(b, "dd:{220100}:mc:310");
    cr_assert_gt(dd_monthclose_key_months(b, sizeof b, "220100"), 0);
    cr_assert_str_eq(b, "dd:{220100}:months");
    cr_assert_gt(dd_monthclose_months_field(b, sizeof b, 390, m), 0);
    cr_assert_str_eq(b, "390:2025-03");
    /* bad region, too small a buffer */
    cr_assert_eq(dd_monthclose_id(b, sizeof b, "22{0}", 310, m), -1);
    cr_assert_eq(dd_monthclose_key_closed(b, sizeof b, "", 310), -1);
    cr_assert_eq(dd_monthclose_id(b, 10, "220100", 310, m), -1);
}

Test(monthclose, scheduler_event)
{
    dd_monthclose_due d;
    memset(&d, 0, sizeof d);
    strcpy(d.admdvs, "220400");
    d.insutype = 390;
    d.month = dd_time_month_make(2025, 12);
    d.cutoff_ms = dd_time_close_cutoff_ms(d.month, 10);
    dd_jw w;
    dd_jw_init(&w);
    dd_monthclose_event_json(&d, &w);
    cr_assert_eq(w.oom, 0);
    const char *want = "{\"event_id\":\"MONTH_CLOSE:220400:390:2025-12\",\"type\":\"MONTH_CLOSE\","
                       "\"event_time\":\"2026-01-10T00:00:00+08:00\",\"admdvs\":\"220400\","
                       "\"insutype\":\"390\",\"month\":\"2025-12\"}";
    cr_assert_eq(w.len, strlen(want));
    cr_assert_eq(memcmp(w.buf, want, w.len), 0, "%.*s", (int)w.len, w.buf);
    /* and it is a valid MONTH_CLOSE event */
    dd_json_doc *doc = dd_json_doc_new();
    dd_event ev;
    dd_event_error e;
    cr_assert_eq(dd_event_from_json(&ev, doc, w.buf, w.len, &e), 0, "%s", e.detail);
    cr_assert_eq(ev.type, DD_EV_MONTH_CLOSE);
    cr_assert_eq(ev.close_month, d.month);
    cr_assert_eq(ev.insutype, 390);
    dd_json_doc_destroy(doc);
    dd_jw_free(&w);
}
