/*
 * drgdip replay — apply a JSONL event file to an in-memory ledger and print
 * the pre-settlement snapshot of one (region, insurance type, month) as the
 * SPEC §7 JSON (kind REPLAY). Bad lines never stop the replay: one stderr
 * line each, then a summary; the exit code is 0 when the replay ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dd_cmd.h"
#include "dd_datadir.h"
#include "dd_file.h"
#include "dd_jsonl.h"
#include "dd_ledger.h"
#include "replay_alerts.h"
#include "dd_snapshot.h"
#include "dd_time.h"

static void replay_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip replay --events FILE.jsonl --region ADMDVS --insutype 310|390\n"
            "                     --month YYYY-MM [--data DIR] [--all] [--quiet] [--stats]\n\n"
            "Applies the events of FILE (one JSON event per line, SPEC §2; '-' reads stdin)\n"
            "in file order to an in-memory ledger and prints the snapshot of the region,\n"
            "insurance type and month (SPEC §7 JSON, kind REPLAY) on stdout.\n\n"
            "  --events FILE    JSONL events; empty lines are skipped\n"
            "  --data DIR       data directory overriding the shipped default file by file\n"
            "                   (regions.csv, hospitals.csv, policy/, drg/, dip/)\n"
            "  --region ADMDVS  pooling region (6 digits)\n"
            "  --insutype T     310 (employees) or 390 (residents)\n"
            "  --month M        YYYY-MM, the month of setl_time in Asia/Shanghai\n"
            "  --all            instead: one snapshot line per (region, insutype, month)\n"
            "                   that has cases, sorted (the three options above not needed)\n"
            "  --quiet          no per-line messages for bad events (summary only)\n"
            "  --stats          add data load time / memory and throughput to the summary\n"
            "  --alerts         instead of snapshots: the SPEC §8 alerts the stream would\n"
            "                   emit, one JSON line each (alert_id, occurrence, type, severity,\n"
            "                   admdvs, fixmedins_code or insutype, period, metric, value,\n"
            "                   threshold, explanation {zh, en}) in emission order, then a\n"
            "                   final sweep's; --region keeps one region's alerts; --insutype,\n"
            "                   --month, --all not needed. Rules: core/dd_alert.h\n"
            "  --active         with --alerts: print instead the alerts ACTIVE after the\n"
            "                   sweep, {\"alert_id\", \"occurrence\"} per line (what the\n"
            "                   stream's alert states must equal)\n\n"
            "Bad events (SPEC §2/§11) do not change any total: each gives one stderr line\n"
            "'line N: REASON: detail'; duplicates (a re-sent event_id) are dropped.\n"
            "A summary goes to stderr. Exit: 0 replayed, 1 data or input file error,\n"
            "2 usage error.\n");
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct {
    char admdvs[7];
    int insutype;
    int32_t month;
} scope_key;

static int cmp_scope(const void *a, const void *b)
{
    const scope_key *x = a, *y = b;
    int c = strcmp(x->admdvs, y->admdvs);
    if (c)
        return c;
    if (x->insutype != y->insutype)
        return x->insutype < y->insutype ? -1 : 1;
    return x->month < y->month ? -1 : x->month > y->month;
}

static int print_snapshot(const dd_ledger *l, const dd_dataset *ds, const char *admdvs,
                          int insutype, int32_t month)
{
    dd_snapshot s;
    if (dd_snapshot_from_ledger(&s, l, ds, admdvs, insutype, month, DD_SNAP_REPLAY)) {
        fprintf(stderr, "drgdip replay: out of memory\n");
        return 1;
    }
    dd_jw w;
    dd_jw_init(&w);
    dd_snapshot_to_json(&s, &w);
    dd_jw_append(&w, "\n", 1);
    int rc = 0;
    if (w.oom || fwrite(w.buf, 1, w.len, stdout) != w.len) {
        fprintf(stderr, "drgdip replay: cannot write the snapshot\n");
        rc = 1;
    }
    dd_jw_free(&w);
    dd_snapshot_free(&s);
    return rc;
}

static int print_all(const dd_ledger *l, const dd_dataset *ds)
{
    int n = dd_ledger_scope_count(l), k = 0;
    scope_key *keys = calloc((size_t)(n ? n : 1), sizeof *keys);
    if (!keys)
        return 1;
    for (int i = 0; i < n; i++) {
        dd_scope sc;
        const int64_t *c = dd_ledger_scope_at(l, i, &sc);
        if (!c[DD_CTR_SETTLED])
            continue;
        scope_key key;
        memcpy(key.admdvs, sc.admdvs, sizeof key.admdvs);
        key.insutype = sc.insutype;
        key.month = sc.month;
        int dup = 0;
        for (int j = 0; j < k && !dup; j++)
            dup = !cmp_scope(&keys[j], &key);
        if (!dup)
            keys[k++] = key;
    }
    qsort(keys, (size_t)k, sizeof *keys, cmp_scope);
    int rc = 0;
    for (int i = 0; i < k && !rc; i++)
        rc = print_snapshot(l, ds, keys[i].admdvs, keys[i].insutype, keys[i].month);
    free(keys);
    return rc;
}

int dd_cmd_replay(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) { /* --alerts: cli/replay_alerts.c (--help stays here) */
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            break;
        if (!strcmp(argv[i], "--alerts"))
            return dd_replay_alerts(argc, argv);
    }
    const char *events = NULL, *data = NULL, *region = NULL, *insutype_s = NULL, *month_s = NULL;
    int all = 0, quiet = 0, stats = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            replay_usage(stdout);
            return 0;
        }
        const char **dst = !strcmp(a, "--events")     ? &events
                           : !strcmp(a, "--data")     ? &data
                           : !strcmp(a, "--region")   ? &region
                           : !strcmp(a, "--insutype") ? &insutype_s
                           : !strcmp(a, "--month")    ? &month_s
                                                      : NULL;
        if (dst) {
            if (i + 1 >= argc) {
                fprintf(stderr, "drgdip replay: %s needs a value\n", a);
                return 2;
            }
            *dst = argv[++i];
        } else if (!strcmp(a, "--all")) {
            all = 1;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--stats")) {
            stats = 1;
        } else {
            fprintf(stderr, "drgdip replay: unknown option '%s'\n", a);
            replay_usage(stderr);
            return 2;
        }
    }
    int insutype = 0;
    int32_t month = 0;
    if (!events || (!all && (!region || !insutype_s || !month_s))) {
        fprintf(stderr, "drgdip replay: --events and --region, --insutype, --month (or --all) "
                        "are required\n");
        replay_usage(stderr);
        return 2;
    }
    if (!all) {
        if (strlen(region) != 6 || strspn(region, "0123456789") != 6) {
            fprintf(stderr, "drgdip replay: --region must be 6 digits\n");
            return 2;
        }
        if (strcmp(insutype_s, "310") && strcmp(insutype_s, "390")) {
            fprintf(stderr, "drgdip replay: --insutype must be 310 or 390\n");
            return 2;
        }
        insutype = atoi(insutype_s);
        if (dd_time_parse_month(month_s, strlen(month_s), &month)) {
            fprintf(stderr, "drgdip replay: --month must be YYYY-MM\n");
            return 2;
        }
    }

    char err[1024];
    dd_datadir *dir = dd_datadir_open(data, err, sizeof err);
    if (!dir) {
        fprintf(stderr, "drgdip replay: %s\n", err);
        return 1;
    }
    const dd_dataset *ds = dd_datadir_dataset(dir);
    if (!all && !dd_dataset_region(ds, region)) {
        fprintf(stderr, "drgdip replay: region %s is not in the data set\n", region);
        dd_datadir_close(dir);
        return 1;
    }
    size_t len = 0;
    char *text = dd_file_read(events, &len, err, sizeof err); /* "-" = stdin */
    if (!text) {
        fprintf(stderr, "drgdip replay: %s\n", err);
        dd_datadir_close(dir);
        return 1;
    }
    dd_ledger *l = dd_ledger_new(ds);
    if (!l) {
        fprintf(stderr, "drgdip replay: out of memory\n");
        free(text);
        dd_datadir_close(dir);
        return 1;
    }
    double t0 = now_ms();
    int rc = dd_jsonl_apply(l, text, len, quiet);
    double t_apply = now_ms() - t0;
    const dd_ledger_stats *st = dd_ledger_get_stats(l);
    fprintf(stderr,
            "replay: read %llu, applied %llu, duplicates %llu, bad %llu (cases %d, changes %llu)\n",
            (unsigned long long)st->read, (unsigned long long)st->applied,
            (unsigned long long)st->duplicates, (unsigned long long)st->bad,
            dd_ledger_case_count(l), (unsigned long long)st->changed);
    if (stats) {
        const dd_datadir_stats *ds_st = dd_datadir_get_stats(dir);
        fprintf(stderr,
                "replay: data load %.1f ms (%d files, %d from --data), RSS after load %ld kB; "
                "apply %.1f ms (%.0f events/s); peak RSS %ld kB\n",
                ds_st->load_ms, ds_st->n_files, ds_st->n_override, ds_st->rss_kb, t_apply,
                t_apply > 0 ? st->read / (t_apply / 1e3) : 0.0, dd_datadir_hwm_kb());
    }
    if (!rc)
        rc = all ? print_all(l, ds) : print_snapshot(l, ds, region, insutype, month);
    if (fflush(stdout))
        rc = 1;
    dd_ledger_destroy(l);
    free(text);
    dd_datadir_close(dir);
    return rc;
}
