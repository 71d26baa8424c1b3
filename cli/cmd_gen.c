/*
 * drgdip gen — synthetic events for the data set as JSONL on stdout (the
 * generator itself is dd_gen.c; this file reads its input files and writes
 * the lines). Also dd_gen_open(), the file-reading constructor shared with
 * `demo` and `bench stream`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dd_cmd.h"
#include "dd_datadir.h"
#include "dd_file.h"
#include "dd_gen.h"
#include "dd_json.h"
#include "dd_time.h"

static void gen_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip gen --month YYYY-MM [--cases N] [--months K] [--data DIR]\n"
            "                  [--seed S] [--inject TYPE=CODE[,TYPE=CODE...]] [--quiet]\n\n"
            "Writes realistic synthetic input events (SPEC §2 JSON, one per line) for the\n"
            "data set on stdout, sorted by event_time: settlements and their lists, QC\n"
            "results, reconciliations, reversals, special cases and BUDGET events, for\n"
            "both insurance types, with the irregularities a real feed has (outliers,\n"
            "late, early and re-uploaded lists, QC failures, unreconciled cases,\n"
            "bed-day and fee-for-service cases, duplicate event ids).\n\n"
            "  --month M     the last month generated (settlement month, Asia/Shanghai)\n"
            "  --cases N     settlements per month (default 1000)\n"
            "  --months K    generate the K months ending at --month (default 1)\n"
            "  --data DIR    data directory overriding the shipped one file by file;\n"
            "                DRG clinical content comes from casemix-drg.csv there\n"
            "                (scripts/gen_casemix.py), DIP from the regions' libraries\n"
            "  --seed S      PRNG seed (default 1): same seed and inputs, same output;\n"
            "                ids carry the seed, so runs with other seeds do not collide\n"
            "  --inject LIST inject anomalies in the LAST month (needs --months >= 2; the\n"
            "                earlier months and other hospitals stay clean: no SPEC §8\n"
            "                alert at default thresholds). TYPE=FIXMEDINS_CODE, one of\n"
            "                  upcoding     heavier DRGs with an MCC   CMI_JUMP, CC_MCC_SHARE_JUMP\n"
            "                  split        readmissions <= 15 days    SPLIT_ADMISSION\n"
            "                  spike        one day x3 (>= 20 cases)   VOLUME_SPIKE\n"
            "                  lowstd       low-outlier short stays    LOW_STANDARD_ADMISSION\n"
            "                  transfer     transfers out (dscg 2)     TRANSFER_OUT_RATE\n"
            "                  special      special cases applied      SPECIAL_CASE_QUOTA\n"
            "                  late         late lists                 LATE_LIST\n"
            "                  qc           QC failures                QC_FAILURE_RATE\n"
            "                  ungroupable  ungroupable lists          GROUPING_RATE_LOW\n"
            "                or budget=ADMDVS: the region's year budget cut to 1/4 at the\n"
            "                start of the last month   BUDGET_BURN (POINT_VALUE_DROP too\n"
            "                when a planned point value exists). Rate alerts need >= 30\n"
            "                cases a month at the hospital (a warning says when not).\n"
            "                Repeat the option or join items with ','.\n"
            "  --quiet       no event-mix summary on stderr\n\n"
            "Exit: 0 ok, 1 data error, 2 usage error.\n");
}

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* `rel` from the override directory when it is there, else <default>/jilin. */
static char *read_layered(const char *override_dir, const char *rel, size_t *len, char *errstr,
                          size_t errlen)
{
    char path[4096];
    if (override_dir) {
        snprintf(path, sizeof path, "%s/%s", override_dir, rel);
        if (is_file(path))
            return dd_file_read(path, len, errstr, errlen);
    }
    snprintf(path, sizeof path, "%s/jilin/%s", dd_file_default_data_dir(), rel);
    return dd_file_read(path, len, errstr, errlen);
}

dd_gen *dd_gen_open(const dd_dataset *ds, const char *override_dir, char *errstr, size_t errlen)
{
    dd_gen *g = dd_gen_new(ds, errstr, errlen);
    if (!g)
        return NULL;
    int need_drg = 0;
    for (int i = 0; i < dd_dataset_region_count(ds); i++) {
        const dd_region *r = dd_dataset_region_at(ds, i);
        if (r->scheme == DD_SCHEME_DRG) {
            need_drg = 1;
            continue;
        }
        char rel[64], e[512];
        size_t len;
        snprintf(rel, sizeof rel, "dip/%s.csv", r->admdvs);
        char *buf = read_layered(override_dir, rel, &len, e, sizeof e);
        if (!buf)
            continue; /* optional: DIP cases then carry no procedures */
        int rc = dd_gen_load_dip_procedures(g, r->admdvs, buf, len, errstr, errlen);
        free(buf);
        if (rc) {
            dd_gen_destroy(g);
            return NULL;
        }
    }
    if (need_drg) {
        size_t len;
        char e[512];
        char *buf = read_layered(override_dir, "casemix-drg.csv", &len, e, sizeof e);
        if (!buf) {
            snprintf(errstr, errlen, "%s (the DRG casemix: scripts/gen_casemix.py)", e);
            dd_gen_destroy(g);
            return NULL;
        }
        char e2[512];
        int rc = dd_gen_load_casemix(g, buf, len, e2, sizeof e2);
        free(buf);
        if (rc) {
            snprintf(errstr, errlen, "casemix-drg.csv: %s", e2);
            dd_gen_destroy(g);
            return NULL;
        }
    }
    return g;
}

typedef struct {
    dd_jw w;    /* output buffer, flushed every MB */
    dd_jw line; /* one event (a fresh top level, so no comma between lines) */
    FILE *out;
    int failed;
} gen_out;

static int gen_sink(void *ctx, const dd_event *ev)
{
    gen_out *o = ctx;
    dd_jw_reset(&o->line);
    dd_event_to_json(ev, &o->line);
    dd_jw_append(&o->w, o->line.buf, o->line.len);
    dd_jw_append(&o->w, "\n", 1);
    if (o->w.oom || o->line.oom) {
        o->failed = 1;
        return 1;
    }
    if (o->w.len >= (1u << 20)) {
        if (fwrite(o->w.buf, 1, o->w.len, o->out) != o->w.len) {
            o->failed = 1;
            return 1;
        }
        dd_jw_reset(&o->w);
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int dd_cmd_gen(int argc, char **argv)
{
    const char *month_s = NULL, *data = NULL;
    long cases = 1000, months = 1;
    unsigned long long seed = 1;
    int quiet = 0;
    const char *inject_s[DD_GEN_MAX_INJECT];
    int n_inject_s = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            gen_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "drgdip gen: %s needs a value (or unknown option)\n", a);
            gen_usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        char *end = NULL;
        if (!strcmp(a, "--month")) {
            month_s = v;
        } else if (!strcmp(a, "--data")) {
            data = v;
        } else if (!strcmp(a, "--cases")) {
            cases = strtol(v, &end, 10);
            if (*end || cases < 1 || cases > 10000000) {
                fprintf(stderr, "drgdip gen: --cases must be 1..10000000\n");
                return 2;
            }
        } else if (!strcmp(a, "--months")) {
            months = strtol(v, &end, 10);
            if (*end || months < 1 || months > 120) {
                fprintf(stderr, "drgdip gen: --months must be 1..120\n");
                return 2;
            }
        } else if (!strcmp(a, "--inject")) {
            if (n_inject_s >= DD_GEN_MAX_INJECT) {
                fprintf(stderr, "drgdip gen: too many --inject options\n");
                return 2;
            }
            inject_s[n_inject_s++] = v;
        } else if (!strcmp(a, "--seed")) {
            seed = strtoull(v, &end, 10);
            if (*end || !*v) {
                fprintf(stderr, "drgdip gen: --seed must be a non-negative integer\n");
                return 2;
            }
        } else {
            fprintf(stderr, "drgdip gen: unknown option %s\n", a);
            gen_usage(stderr);
            return 2;
        }
    }
    int32_t month;
    if (!month_s || dd_time_parse_month(month_s, strlen(month_s), &month)) {
        fprintf(stderr, "drgdip gen: --month YYYY-MM is required\n");
        gen_usage(stderr);
        return 2;
    }
    char err[1024];
    dd_datadir *dd = dd_datadir_open(data, err, sizeof err);
    if (!dd) {
        fprintf(stderr, "drgdip gen: %s\n", err);
        return 1;
    }
    const dd_dataset *ds = dd_datadir_dataset(dd);
    dd_gen_inject inject[DD_GEN_MAX_INJECT];
    int n_inject = 0;
    for (int i = 0; i < n_inject_s; i++)
        if (dd_gen_parse_inject(ds, inject_s[i], inject, &n_inject, err, sizeof err)) {
            fprintf(stderr, "drgdip gen: %s\n", err);
            dd_datadir_close(dd);
            return 2;
        }
    if (n_inject && months < 2) {
        fprintf(stderr, "drgdip gen: --inject needs --months >= 2 (earlier months are the "
                        "baseline the alerts compare with)\n");
        dd_datadir_close(dd);
        return 2;
    }
    dd_gen *g = dd_gen_open(ds, data, err, sizeof err);
    if (!g) {
        fprintf(stderr, "drgdip gen: %s\n", err);
        dd_datadir_close(dd);
        return 1;
    }
    gen_out o = {.out = stdout};
    dd_jw_init(&o.w);
    dd_jw_init(&o.line);
    dd_gen_options opt = {.cases = (int)cases, .month = month, .months = (int)months,
                          .seed = seed, .inject = inject, .n_inject = n_inject};
    dd_gen_stats st;
    double t0 = now_s();
    int rc = dd_gen_run(g, &opt, gen_sink, &o, &st, err, sizeof err);
    if (rc == 0 && !o.failed && o.w.len && fwrite(o.w.buf, 1, o.w.len, stdout) != o.w.len)
        o.failed = 1;
    if (fflush(stdout))
        o.failed = 1;
    double dt = now_s() - t0;
    int ret = 0;
    if (rc < 0) {
        fprintf(stderr, "drgdip gen: %s\n", err);
        ret = 1;
    } else if (o.failed) {
        fprintf(stderr, "drgdip gen: write error (or out of memory)\n");
        ret = 1;
    } else if (!quiet || (st.inject_min_month_cases >= 0 && st.inject_min_month_cases < 30)) {
        if (st.inject_min_month_cases >= 0 && st.inject_min_month_cases < 30)
            fprintf(stderr,
                    "drgdip gen: warning: an injected hospital has only %d cases in the last "
                    "month; rate alerts need alert.min_cases (30): raise --cases or use --data "
                    "with fewer hospitals\n",
                    st.inject_min_month_cases);
    }
    if (rc >= 0 && !o.failed && !quiet) {
        char buf[2048];
        dd_gen_stats_format(&st, buf, sizeof buf);
        fprintf(stderr, "drgdip gen: %s\ndrgdip gen: %.2f s, %.0f events/s\n", buf, dt,
                dt > 0 ? st.events / dt : 0.0);
    }
    dd_jw_free(&o.w);
    dd_jw_free(&o.line);
    dd_gen_destroy(g);
    dd_datadir_close(dd);
    return ret;
}
