/* Pure helpers of the streaming processor: latency percentiles of the stats
 * histogram and the append-only budget field format of dd_live. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "dd_live.h"
#include "dd_processor.h"

Test(processor, latency_percentiles)
{
    dd_processor_stats s;
    memset(&s, 0, sizeof s);
    cr_assert_eq(dd_processor_stats_p50_ms(&s), -1);
    /* bounds are increasing, the last one open */
    for (int i = 1; i < DD_PROC_LAT_BUCKETS; i++)
        cr_assert_gt(dd_processor_latency_bound_ms(i), dd_processor_latency_bound_ms(i - 1));
    cr_assert_eq(dd_processor_latency_bound_ms(DD_PROC_LAT_BUCKETS - 1), INT64_MAX);
    s.latency[0] = 50;  /* <= 1 ms */
    s.latency[6] = 49;  /* <= 10 ms */
    s.latency[13] = 1;  /* <= 100 ms */
    cr_assert_eq(dd_processor_stats_p50_ms(&s), 1);
    cr_assert_eq(dd_processor_stats_latency_ms(&s, 0.51), 10);
    cr_assert_eq(dd_processor_stats_p99_ms(&s), 10);
    cr_assert_eq(dd_processor_stats_latency_ms(&s, 1.0), 100);
    s.latency[DD_PROC_LAT_BUCKETS - 1] = 1000; /* overflow: the last bounded value */
    cr_assert_eq(dd_processor_stats_p99_ms(&s),
                 dd_processor_latency_bound_ms(DD_PROC_LAT_BUCKETS - 2));
}

Test(live, budget_field_round_trip)
{
    char buf[96];
    int n = dd_live_budget_field(buf, sizeof buf, 3, INT64_C(1734019200000), 7, INT64_C(123456));
    cr_assert_eq(n, (int)strlen("03|1734019200000|7|123456"));
    cr_assert_str_eq(buf, "03|1734019200000|7|123456");
    int m;
    int64_t t, o;
    int32_t p;
    cr_assert_eq(dd_live_budget_field_parse(buf, &m, &t, &p, &o), 0);
    cr_assert_eq(m, 3);
    cr_assert_eq(t, INT64_C(1734019200000));
    cr_assert_eq(p, 7);
    cr_assert_eq(o, 123456);
    cr_assert_eq(dd_live_budget_field(buf, sizeof buf, 0, -5, 0, 0), 9);
    cr_assert_eq(dd_live_budget_field_parse(buf, &m, &t, &p, &o), 0);
    cr_assert_eq(m, 0);
    cr_assert_eq(t, -5);
    cr_assert_eq(dd_live_budget_field_parse("13|1|1|1", &m, &t, &p, &o), -1);
    cr_assert_eq(dd_live_budget_field_parse("03|1|1", &m, &t, &p, &o), -1);
    cr_assert_eq(dd_live_budget_field_parse("03|1|-1|1", &m, &t, &p, &o), -1);
    cr_assert_eq(dd_live_budget_field_parse("03|1|1|1x", &m, &t, &p, &o), -1);
    cr_assert_eq(dd_live_budget_field(buf, 8, 3, INT64_C(1734019200000), 7, 1), -1);
}
