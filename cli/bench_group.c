/*
 * drgdip bench group — CHS-DRG 1.1 grouping throughput on one thread over
 * the golden cases (figures only, never pass/fail; double is used for timing
 * output only). Reports cases/s, table load time and peak RSS (VmHWM).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dd_bench.h"
#include "dd_casecsv.h"
#include "dd_drg.h"
#include "dd_file.h"
#include "dd_group.h"

static void bench_group_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip bench group [--csv FILE] [--tables FILE] [--seconds S] [--json]\n\n"
            "Groups every case of FILE repeatedly for at least S seconds (default 2) on\n"
            "one thread and prints cases/s, the table load time and the peak RSS.\n"
            "  --csv FILE     cases in the golden layout (default: <data dir>/../../shared/\n"
            "                 golden/drg-group-visible.csv)\n"
            "  --tables FILE  table file (default <data dir>/chs-drg-1.1/chs-drg-1.1.tbl)\n"
            "  --json         one JSON object on stdout\n");
}

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long bench_hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

int dd_bench_group(int argc, char **argv)
{
    const char *csv = NULL, *tables = NULL;
    double seconds = 2.0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            bench_group_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--csv") && i + 1 < argc) {
            csv = argv[++i];
        } else if (!strcmp(argv[i], "--tables") && i + 1 < argc) {
            tables = argv[++i];
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = atof(argv[++i]);
            if (!(seconds > 0 && seconds < 3600)) {
                fprintf(stderr, "drgdip bench group: bad --seconds\n");
                return 2;
            }
        } else {
            fprintf(stderr, "drgdip bench group: unexpected argument '%s'\n", argv[i]);
            bench_group_usage(stderr);
            return 2;
        }
    }
    char def[4096], err[512];
    if (!csv) {
        snprintf(def, sizeof def, "%s/../../shared/golden/drg-group-visible.csv",
                 dd_file_default_data_dir());
        csv = def;
    }
    double t0 = bench_now();
    dd_drg_tables *t = dd_group_load_tables(tables);
    double load_ms = (bench_now() - t0) * 1000.0;
    if (!t)
        return 1;
    size_t len;
    char *buf = dd_file_read(csv, &len, err, sizeof err);
    dd_casecsv *c = buf ? dd_casecsv_load(buf, len, err, sizeof err) : NULL;
    free(buf);
    if (!c) {
        fprintf(stderr, "drgdip bench group: %s: %s\n", csv, err);
        dd_drg_tables_destroy(t);
        return 1;
    }
    int n = dd_casecsv_count(c);
    long total = 0, grouped = 0;
    double start = bench_now(), elapsed = 0;
    dd_drg_result r;
    while (n > 0 && elapsed < seconds) {
        for (int i = 0; i < n; i++) {
            const dd_casecsv_row *row = dd_casecsv_row_at(c, i);
            if (row->bad)
                continue;
            dd_drg_group(t, &row->in, &r);
            grouped += r.status == DD_GROUP_SUCCESS;
            total++;
        }
        elapsed = bench_now() - start;
    }
    double rate = elapsed > 0 ? (double)total / elapsed : 0;
    long hwm = bench_hwm_kb();
    if (json)
        printf("{\"bench\":\"group\",\"scheme\":\"chs-drg-1.1\",\"cases\":%ld,\"distinct_cases\":%d,"
               "\"grouped\":%ld,\"seconds\":%.3f,\"cases_per_s\":%.0f,\"table_load_ms\":%.1f,"
               "\"peak_rss_kb\":%ld}\n",
               total, n, grouped, elapsed, rate, load_ms, hwm);
    else
        printf("group chs-drg-1.1: %ld cases (%d distinct) in %.3f s on one thread: %.0f cases/s\n"
               "table load: %.1f ms; peak RSS: %ld kB\n",
               total, n, elapsed, rate, load_ms, hwm);
    dd_casecsv_destroy(c);
    dd_drg_tables_destroy(t);
    return 0;
}
