/*
 * 0034 — replay golden: every expected snapshot in ../shared/golden/replay/
 * (spec-examples 220100-310 and stream for 220100/220400 x 310/390, month
 * 2025-03) must come out byte for byte, `kind` aside. In process through
 * dd_ledger + dd_snapshot, and once through the built `drgdip replay`
 * binary (stdout, the per-line stderr messages for the 11 bad events, the
 * summary, exit code 0).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "d_replay_helper.h"

static char *read_text(const char *path)
{
    char err[512];
    size_t len;
    char *t = dd_file_read(path, &len, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    return t;
}

static dd_datadir *open_golden_data(void)
{
    char err[1024];
    dd_datadir *d = dd_datadir_open(D_GOLDEN "/data", err, sizeof err);
    cr_assert_not_null(d, "data: %s", err);
    return d;
}

static void check_scope(const dd_ledger *l, const dd_dataset *ds, const char *stem,
                        const char *admdvs, int insutype)
{
    char path[1024];
    snprintf(path, sizeof path, D_GOLDEN "/%s.%s-%d-2025-03.json", stem, admdvs, insutype);
    char *want = read_text(path);
    char *got = d_snapshot_json(l, ds, admdvs, insutype, "2025-03");
    cr_assert_not_null(got);
    d_blank_kind(want);
    d_blank_kind(got);
    if (strcmp(got, want)) {
        size_t i = 0;
        while (got[i] && got[i] == want[i])
            i++;
        size_t from = i > 60 ? i - 60 : 0;
        cr_assert_fail("%s differs at byte %zu:\n got ...%.160s\nwant ...%.160s", path, i, got + from,
                want + from);
    }
    free(want);
    free(got);
}

Test(replay_golden, spec_examples)
{
    dd_datadir *d = open_golden_data();
    const dd_dataset *ds = dd_datadir_dataset(d);
    d_lines L;
    char err[512];
    cr_assert_eq(d_lines_read(&L, D_GOLDEN "/spec-examples.jsonl", err, sizeof err), 0, "%s", err);
    dd_ledger *l = d_replay(ds, &L, NULL);
    cr_assert_not_null(l);
    cr_assert_eq(dd_ledger_get_stats(l)->bad, 0);
    check_scope(l, ds, "spec-examples", "220100", 310);

    /* the SPEC §5 worked examples, case by case */
    static const struct {
        const char *setl_id;
        dd_category cat;
        int64_t points_e4;
    } ex[] = {
        {"EX-GZ13", DD_CAT_NORMAL, 69478500},
        {"EX-FM19", DD_CAT_HIGH, 486913945},
        {"EX-ES21", DD_CAT_LOW, 34689491},
        {"EX-BEDDAY", DD_CAT_BED_DAY, 133333333},
        {"EX-FFS", DD_CAT_FFS, 50000000},
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        const dd_case *c = NULL;
        for (int h = 0; h < dd_dataset_hospital_count(ds) && !c; h++)
            c = dd_ledger_case(l, "220100", dd_dataset_hospital_at(ds, h)->code, ex[i].setl_id);
        cr_assert_not_null(c, "%s", ex[i].setl_id);
        const dd_contrib *k = dd_ledger_case_contrib(l, c);
        cr_expect_eq(k->category, ex[i].cat, "%s category", ex[i].setl_id);
        cr_expect_eq(k->points_e4, ex[i].points_e4, "%s points %lld", ex[i].setl_id,
                     (long long)k->points_e4);
    }
    dd_ledger_destroy(l);
    d_lines_free(&L);
    dd_datadir_close(d);
}

Test(replay_golden, stream_all_scopes)
{
    dd_datadir *d = open_golden_data();
    const dd_dataset *ds = dd_datadir_dataset(d);
    d_lines L;
    char err[512];
    cr_assert_eq(d_lines_read(&L, D_GOLDEN "/stream.jsonl", err, sizeof err), 0, "%s", err);
    dd_ledger *l = d_replay(ds, &L, NULL);
    cr_assert_not_null(l);
    const dd_ledger_stats *st = dd_ledger_get_stats(l);
    cr_expect_eq(st->read, 3354);
    cr_expect_eq(st->bad, 11);
    cr_expect_eq(st->read, st->applied + st->duplicates + st->bad);
    cr_expect_eq(dd_ledger_case_count(l), 800);
    static const char *const regions[2] = {"220100", "220400"};
    static const int types[2] = {310, 390};
    for (int r = 0; r < 2; r++)
        for (int t = 0; t < 2; t++)
            check_scope(l, ds, "stream", regions[r], types[t]);
    dd_ledger_destroy(l);
    d_lines_free(&L);
    dd_datadir_close(d);
}

/* Run a command line, capture stdout into `out` (malloc'd). Exit status. */
static int run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "popen %s", cmd);
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap);
    size_t n;
    while ((n = fread(b + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 4096) {
            cap *= 2;
            b = realloc(b, cap);
        }
    }
    b[len] = '\0';
    *out = b;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(replay_golden, binary_stream_220400_390)
{
    char cmd[4096], *out, *errtext;
    const char *errfile = "0034-replay-stderr.txt"; /* in the test's working directory */
    snprintf(cmd, sizeof cmd,
             "'%s' replay --events '%s/stream.jsonl' --data '%s/data' --region 220400 "
             "--insutype 390 --month 2025-03 2>%s",
             DD_DRGDIP_BIN, D_GOLDEN, D_GOLDEN, errfile);
    cr_assert_eq(run(cmd, &out), 0);
    char *want = read_text(D_GOLDEN "/stream.220400-390-2025-03.json");
    d_blank_kind(want);
    d_blank_kind(out);
    cr_assert_str_eq(out, want);
    free(want);
    free(out);
    errtext = read_text(errfile);
    int bad_lines = 0;
    for (const char *p = errtext; (p = strstr(p, "line ")) != NULL; p++)
        if (p == errtext || p[-1] == '\n')
            bad_lines++;
    cr_expect_eq(bad_lines, 11, "stderr:\n%s", errtext);
    cr_expect_not_null(strstr(errtext, ": UNKNOWN_TYPE: "), "%s", errtext);
    cr_expect_not_null(strstr(errtext, "replay: read 3354, applied 3279, duplicates 64, bad 11"),
                       "%s", errtext);
    free(errtext);
    remove(errfile);
}

Test(replay_golden, binary_usage_errors)
{
    char cmd[2048], *out;
    snprintf(cmd, sizeof cmd, "'%s' replay --events x.jsonl --region 220100 2>/dev/null",
             DD_DRGDIP_BIN);
    cr_assert_eq(run(cmd, &out), 2);
    free(out);
    snprintf(cmd, sizeof cmd,
             "'%s' replay --events x.jsonl --region 220100 --insutype 320 --month 2025-03 "
             "2>/dev/null",
             DD_DRGDIP_BIN);
    cr_assert_eq(run(cmd, &out), 2);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' replay --help", DD_DRGDIP_BIN);
    cr_assert_eq(run(cmd, &out), 0);
    cr_assert_not_null(strstr(out, "usage: drgdip replay"));
    free(out);
    snprintf(cmd, sizeof cmd,
             "'%s' replay --events /nonexistent.jsonl --data '%s/data' --region 220100 "
             "--insutype 310 --month 2025-03 2>/dev/null",
             DD_DRGDIP_BIN, D_GOLDEN);
    cr_assert_eq(run(cmd, &out), 1);
    free(out);
}

Test(replay_golden, binary_explain_spec_examples)
{
    /* `drgdip explain` scores with the same engine: the SPEC §5 GZ13 and FM19 rows */
    char cmd[4096], *out;
    snprintf(cmd, sizeof cmd,
             "'%s' explain --data '%s/data' --region 220100 --hospital H22010100001 --gend 1 "
             "--age 60 --main-dx K22.301 --other-dx K11.901,E11.900,I10.x05 "
             "--procedures 96.0800x005 --cost 5800.00 --json",
             DD_DRGDIP_BIN, D_GOLDEN);
    cr_assert_eq(run(cmd, &out), 0);
    cr_expect_not_null(strstr(out, "\"group\":\"GZ13\""), "%s", out);
    cr_expect_not_null(strstr(out, "\"category\":\"NORMAL\",\"points\":\"6947.8500\""), "%s", out);
    cr_expect_not_null(strstr(out, "\"reference_cost\":\"6008.61\""), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd,
             "'%s' explain --data '%s/data' --region 220100 --hospital H22010100001 --gend 1 "
             "--age 66 --main-dx I87.114 --other-dx T79.600x006,K85.000,R86.000,B33.300 "
             "--procedures 36.0602 --cost 70000.00",
             DD_DRGDIP_BIN, D_GOLDEN);
    cr_assert_eq(run(cmd, &out), 0);
    cr_expect_not_null(strstr(out, "FM19"), "%s", out);
    cr_expect_not_null(strstr(out, "category    HIGH"), "%s", out);
    cr_expect_not_null(strstr(out, "points      48691.3945"), "%s", out);
    free(out);
    /* a bad case is exit 1, a usage error exit 2 */
    snprintf(cmd, sizeof cmd,
             "'%s' explain --data '%s/data' --region 220100 --hospital H22040000001 "
             "--main-dx K22.301 2>/dev/null",
             DD_DRGDIP_BIN, D_GOLDEN);
    cr_assert_eq(run(cmd, &out), 1);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' explain --region 220100 2>/dev/null", DD_DRGDIP_BIN);
    cr_assert_eq(run(cmd, &out), 2);
    free(out);
}
