/*
 * drgdip snapshot — the LIVE pre-settlement snapshot of one (region,
 * insurance type, month) read from the Redis totals of `drgdip run`
 * (consumers/dd_live.h), printed as the SPEC §7 JSON; with --closed the
 * stored MONTH_CLOSE snapshot (consumers/dd_monthclose.h), byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_cmd.h"
#include "dd_config.h"
#include "dd_datadir.h"
#include "dd_live.h"
#include "dd_monthclose.h"
#include "dd_time.h"

extern char **environ;

static void snap_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip snapshot --region ADMDVS --insutype 310|390 --month YYYY-MM\n"
            "                       [--closed] [--redis URL] [--data DIR] [--config FILE]\n\n"
            "Reads the live totals from Redis and prints the snapshot (SPEC §7 JSON,\n"
            "kind LIVE). For the same events its figures equal `drgdip replay`'s;\n"
            "late_adjustments are the corrections of earlier closed months that the next\n"
            "close of this month would report (0 when no earlier month is closed).\n\n"
            "  --closed       print the stored MONTH_CLOSE snapshot of that month instead\n"
            "                 (exactly as emitted to drgdip.snapshots); exit 1 when the\n"
            "                 month is not closed\n"
            "  --redis URL    redis://host:port or unix:///path (default: the config's\n"
            "                 redis.url, else redis://127.0.0.1:6379)\n"
            "  --data DIR     data directory (default: the config's data.dir)\n"
            "  --config FILE  the `drgdip run` configuration (redis.url, redis.password,\n"
            "                 data.dir); DRGDIP_* environment variables apply too\n"
            "Exit: 0 printed, 1 Redis or data error, 2 usage error.\n");
}

int dd_cmd_snapshot(int argc, char **argv)
{
    const char *region = NULL, *ins_s = NULL, *month_s = NULL, *url = NULL, *data = NULL,
               *conf = NULL;
    int closed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            snap_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--closed")) {
            closed = 1;
            continue;
        }
        const char **dst = !strcmp(a, "--region")     ? &region
                           : !strcmp(a, "--insutype") ? &ins_s
                           : !strcmp(a, "--month")    ? &month_s
                           : !strcmp(a, "--redis")    ? &url
                           : !strcmp(a, "--data")     ? &data
                           : !strcmp(a, "--config")   ? &conf
                                                      : NULL;
        if (!dst || i + 1 >= argc) {
            fprintf(stderr, "drgdip snapshot: unexpected argument '%s'\n", a);
            snap_usage(stderr);
            return 2;
        }
        *dst = argv[++i];
    }
    int32_t month;
    if (!region || !ins_s || !month_s) {
        fprintf(stderr, "drgdip snapshot: --region, --insutype and --month are required\n");
        return 2;
    }
    if (strcmp(ins_s, "310") && strcmp(ins_s, "390")) {
        fprintf(stderr, "drgdip snapshot: --insutype must be 310 or 390\n");
        return 2;
    }
    if (dd_time_parse_month(month_s, strlen(month_s), &month)) {
        fprintf(stderr, "drgdip snapshot: --month must be YYYY-MM\n");
        return 2;
    }
    char err[1024];
    dd_config *cfg = dd_config_new();
    if (!cfg) {
        fprintf(stderr, "drgdip snapshot: out of memory\n");
        return 1;
    }
    if ((conf && dd_config_load_file(cfg, conf, err, sizeof err)) ||
        dd_config_apply_env(cfg, environ, err, sizeof err)) {
        fprintf(stderr, "drgdip snapshot: config: %s\n", err);
        dd_config_destroy(cfg);
        return 2;
    }
    if (!data) {
        const char *d = dd_config_get(cfg, "data.dir");
        data = d && *d ? d : NULL;
    }
    int rc = 1;
    dd_store *st = NULL;
    /* --closed prints stored bytes: no data set needed */
    dd_datadir *dir = closed ? NULL : dd_datadir_open(data, err, sizeof err);
    if (!closed && !dir) {
        fprintf(stderr, "drgdip snapshot: data: %s\n", err);
        goto done;
    }
    st = dd_live_connect(cfg, url, err, sizeof err);
    if (!st) {
        fprintf(stderr, "drgdip snapshot: redis: %s\n", err);
        goto done;
    }
    if (closed) {
        dd_monthclose_result mr;
        int f = dd_monthclose_read(st, region, atoi(ins_s), month, &mr, err, sizeof err);
        if (f < 0) {
            fprintf(stderr, "drgdip snapshot: %s\n", err);
        } else if (f == 0) {
            fprintf(stderr, "drgdip snapshot: %s %s %s is not closed (no MONTH_CLOSE snapshot)\n",
                    region, ins_s, month_s);
        } else {
            if (fwrite(mr.json, 1, mr.json_len, stdout) == mr.json_len && fputc('\n', stdout) != EOF &&
                fflush(stdout) == 0)
                rc = 0;
            else
                fprintf(stderr, "drgdip snapshot: write error\n");
            dd_monthclose_result_free(&mr);
        }
        goto done;
    }
    dd_snapshot s;
    if (dd_live_snapshot(st, dd_datadir_dataset(dir), region, atoi(ins_s), month, &s, err,
                         sizeof err)) {
        fprintf(stderr, "drgdip snapshot: %s\n", err);
        goto done;
    }
    /* corrections of earlier closed months not yet reported by a close */
    if (dd_monthclose_pending_late(st, region, atoi(ins_s), month, &s.late_cases,
                                   &s.late_points_e4, err, sizeof err)) {
        fprintf(stderr, "drgdip snapshot: %s\n", err);
        dd_snapshot_free(&s);
        goto done;
    }
    dd_jw w;
    dd_jw_init(&w);
    dd_snapshot_to_json(&s, &w);
    dd_jw_append(&w, "\n", 1);
    if (!w.oom && fwrite(w.buf, 1, w.len, stdout) == w.len && fflush(stdout) == 0)
        rc = 0;
    else
        fprintf(stderr, "drgdip snapshot: write error\n");
    dd_jw_free(&w);
    dd_snapshot_free(&s);
done:
    dd_store_destroy(st);
    dd_datadir_close(dir);
    dd_config_destroy(cfg);
    return rc;
}
