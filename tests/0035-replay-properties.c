/*
 * 0035 — replay properties on the golden stream (SPEC §3, §11):
 * - totals never depend on arrival order: several shuffled orders of
 *   stream.jsonl give byte-identical snapshots for every scope, and equal
 *   counter vectors for every (hospital, insutype, month) scope;
 * - duplicates are dropped: the stream with every line sent twice gives the
 *   same snapshots, and every second copy is counted as a duplicate;
 * - bad events change nothing: the stream without its bad lines gives the
 *   same snapshots.
 * (All duplicate ids in stream.jsonl carry identical content, so "the first
 * valid event wins" picks the same content in any order.)
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "d_replay_helper.h"

static dd_datadir *D;
static const dd_dataset *DS;
static d_lines LINES;
static char *REF[4];
static dd_ledger *REF_L;

static const char *const REGIONS[2] = {"220100", "220400"};
static const int TYPES[2] = {310, 390};

static void setup(void)
{
    char err[1024];
    D = dd_datadir_open(D_GOLDEN "/data", err, sizeof err);
    cr_assert_not_null(D, "data: %s", err);
    DS = dd_datadir_dataset(D);
    cr_assert_eq(d_lines_read(&LINES, D_GOLDEN "/stream.jsonl", err, sizeof err), 0, "%s", err);
    REF_L = d_replay(DS, &LINES, NULL);
    cr_assert_not_null(REF_L);
    for (int i = 0; i < 4; i++) {
        REF[i] = d_snapshot_json(REF_L, DS, REGIONS[i / 2], TYPES[i % 2], "2025-03");
        cr_assert_not_null(REF[i]);
    }
}

static void teardown(void)
{
    for (int i = 0; i < 4; i++)
        free(REF[i]);
    dd_ledger_destroy(REF_L);
    d_lines_free(&LINES);
    dd_datadir_close(D);
}

TestSuite(replay_props, .init = setup, .fini = teardown);

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: deterministic shuffles */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

static void expect_same_as_reference(const dd_ledger *l, const char *what)
{
    for (int i = 0; i < 4; i++) {
        char *got = d_snapshot_json(l, DS, REGIONS[i / 2], TYPES[i % 2], "2025-03");
        cr_assert_not_null(got);
        cr_expect_str_eq(got, REF[i], "%s: snapshot %s-%d differs", what, REGIONS[i / 2],
                         TYPES[i % 2]);
        free(got);
    }
    /* every scope's counters, not only the snapshot month */
    int n = dd_ledger_scope_count(REF_L);
    for (int i = 0; i < n; i++) {
        dd_scope sc;
        const int64_t *want = dd_ledger_scope_at(REF_L, i, &sc);
        const int64_t *got =
            dd_ledger_totals(l, sc.admdvs, sc.insutype, sc.month, sc.fixmedins_code);
        static const int64_t zero[DD_CTR__COUNT];
        if (!got)
            got = zero;
        for (int k = 0; k < DD_CTR__COUNT; k++)
            cr_assert_eq(got[k], want[k], "%s: %s %s %d month %d: %s %lld != %lld", what,
                         sc.admdvs, sc.fixmedins_code, sc.insutype, sc.month,
                         dd_counter_name((dd_counter)k), (long long)got[k], (long long)want[k]);
    }
}

Test(replay_props, shuffled_orders_identical)
{
    size_t n = LINES.n;
    size_t *order = malloc(n * sizeof *order);
    cr_assert_not_null(order);
    static const uint64_t seeds[] = {1, 0x9E3779B97F4A7C15u, 20250310, 424242};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        if (s == 0) {
            for (size_t i = 0; i < n / 2; i++) { /* reversed */
                size_t t = order[i];
                order[i] = order[n - 1 - i];
                order[n - 1 - i] = t;
            }
        } else {
            uint64_t st = seeds[s];
            for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
                size_t j = (size_t)(rng_next(&st) % (i + 1));
                size_t t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        dd_ledger *l = d_replay(DS, &LINES, order);
        cr_assert_not_null(l);
        const dd_ledger_stats *a = dd_ledger_get_stats(l), *b = dd_ledger_get_stats(REF_L);
        cr_expect_eq(a->applied, b->applied);
        cr_expect_eq(a->duplicates, b->duplicates);
        cr_expect_eq(a->bad, b->bad);
        char what[32];
        snprintf(what, sizeof what, "order %zu", s);
        expect_same_as_reference(l, what);
        dd_ledger_destroy(l);
    }
    free(order);
}

Test(replay_props, every_line_twice_is_dropped)
{
    size_t n = LINES.n;
    d_lines twice = LINES;
    twice.start = malloc(2 * n * sizeof *twice.start);
    twice.end = malloc(2 * n * sizeof *twice.end);
    cr_assert(twice.start && twice.end);
    for (size_t i = 0; i < n; i++) { /* interleaved: a, a, b, b, ... */
        twice.start[2 * i] = twice.start[2 * i + 1] = LINES.start[i];
        twice.end[2 * i] = twice.end[2 * i + 1] = LINES.end[i];
    }
    twice.n = 2 * n;
    dd_ledger *l = d_replay(DS, &twice, NULL);
    cr_assert_not_null(l);
    const dd_ledger_stats *a = dd_ledger_get_stats(l), *b = dd_ledger_get_stats(REF_L);
    cr_expect_eq(a->applied, b->applied);
    cr_expect_eq(a->bad, 2 * b->bad);
    cr_expect_eq(a->duplicates, b->duplicates + b->applied + b->duplicates);
    expect_same_as_reference(l, "twice");
    dd_ledger_destroy(l);
    free(twice.start);
    free(twice.end);
}

Test(replay_props, bad_lines_change_nothing)
{
    /* keep only the lines that are valid on their own */
    size_t n = LINES.n, k = 0;
    size_t *order = malloc(n * sizeof *order);
    dd_ledger *probe = dd_ledger_new(DS);
    cr_assert(order && probe);
    for (size_t i = 0; i < n; i++) {
        dd_event_error e;
        if (dd_ledger_apply_json(probe, LINES.text + LINES.start[i], LINES.end[i] - LINES.start[i],
                                 &e) != DD_LEDGER_BAD)
            order[k++] = i;
    }
    cr_assert_eq(n - k, 11);
    d_lines good = LINES;
    good.n = k;
    dd_ledger *l = d_replay(DS, &good, order);
    cr_assert_not_null(l);
    cr_expect_eq(dd_ledger_get_stats(l)->bad, 0);
    expect_same_as_reference(l, "without bad lines");
    dd_ledger_destroy(l);
    dd_ledger_destroy(probe);
    free(order);
}
