/*
 * drgdip bench replay — throughput of the core engine: JSON decode,
 * validation, event-id dedup, case update, grouping (DRG or DIP), scoring
 * and totals, i.e. dd_ledger_apply_json() over a large event set.
 *
 * Events come from a JSONL file repeated with rewritten ids (every
 * repetition appends "~N" to each event_id and setl_id, so they are new
 * cases), or, without --events, are generated from the data set: per case a
 * SETTLEMENT, a SETTLEMENT_LIST, a QC_RESULT and usually a RECONCILED, with
 * some corrected lists and re-sent events. Events are built in batches
 * outside the timed section; only dd_ledger_apply_json() is timed.
 * Figures only (never pass/fail); double is used for timing output only.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dd_bench.h"
#include "dd_datadir.h"
#include "dd_file.h"
#include "dd_ledger.h"

#define BATCH_EVENTS 4096
#define BATCH_BYTES (BATCH_EVENTS * 1024)

static void bench_replay_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip bench replay [--events FILE.jsonl] [--data DIR] [--count N] [--json]\n\n"
            "Measures the core replay engine (decode, validate, dedup, apply, group, score,\n"
            "totals) on one core.\n\n"
            "  --events FILE  JSONL events, repeated with rewritten event_id/setl_id until\n"
            "                 N events (e.g. ../shared/golden/replay/stream.jsonl with\n"
            "                 --data ../shared/golden/replay/data); default: generated\n"
            "                 events over the data set's regions and hospitals\n"
            "  --data DIR     data directory overriding the shipped default file by file\n"
            "  --count N      events to apply (default 1000000)\n"
            "  --json         one JSON object on stdout\n\n"
            "Memory is mostly first-touched case state (about 0.8 kB a case); the ledger\n"
            "maps its large tables and case chunks advised for transparent huge pages\n"
            "('madvise' mode), so no GLIBC_TUNABLES setting is needed.\n");
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    char *buf;
    size_t len;
    size_t off[BATCH_EVENTS + 1];
    int n;
} batch;

static int batch_room(const batch *b, size_t need)
{
    return b->n < BATCH_EVENTS && b->len + need <= BATCH_BYTES;
}

static void batch_end_line(batch *b)
{
    b->n++;
    b->off[b->n] = b->len;
}

/* ---- file mode: copy a line, appending "~rep" to event_id and setl_id ---- */

static void copy_rewritten(batch *b, const char *s, size_t n, unsigned rep)
{
    static const char *const keys[2] = {"\"event_id\":\"", "\"setl_id\":\""};
    char suffix[16];
    int sl = rep ? snprintf(suffix, sizeof suffix, "~%u", rep) : 0;
    size_t i = 0;
    while (i < n) {
        int hit = -1;
        for (int k = 0; k < 2 && hit < 0; k++) {
            size_t kl = strlen(keys[k]);
            if (i + kl <= n && !memcmp(s + i, keys[k], kl))
                hit = k;
        }
        if (hit < 0 || !sl) {
            b->buf[b->len++] = s[i++];
            continue;
        }
        size_t kl = strlen(keys[hit]);
        memcpy(b->buf + b->len, s + i, kl);
        b->len += kl;
        i += kl;
        while (i < n && s[i] != '"' && s[i] != '\\')
            b->buf[b->len++] = s[i++];
        memcpy(b->buf + b->len, suffix, (size_t)sl);
        b->len += (size_t)sl;
    }
}

/* ---- generated mode ---- */

typedef struct {
    int gend, age;
    const char *main_dx, *other_dx, *procedures; /* '|'-joined */
} gen_case;

/* Graded cases of the golden DRG file (all group SUCCESSfully). */
static const gen_case drg_pool[] = {
    {2, 44, "H40.102", "A04.800x001|M20.506|K22.811|E10.700x032", "08.3400x001"},
    {2, 58, "Q05.700x005", "E72.900x002|M85.002|T80.903", ""},
    {2, 46, "O20.000", "W07.x00|O22.300|R30.900|L85.900x001|O23.400", ""},
    {2, 57, "E11.300x091+H28.0*", "S38.302", "09.7200x001"},
    {2, 75, "T20.200x004", "T25.000|O74.000x001|G30.800x003+F00.2*", "22.4200x007"},
    {1, 54, "C69.400x005", "J38.718|R10.200x001", ""},
    {1, 16, "I09.100x001", "", "37.3300x024|96.4801|27.2201|80.9902"},
    {2, 73, "D28.200x003", "T95.000x001|I49.302|I87.121", "54.9101"},
    {1, 55, "E74.800x007", "", "86.8900x002"},
    {2, 28, "N30.800x004", "A81.100|N39.401", "55.0400x010|01.5915|99.8800"},
    {1, 47, "M21.100x051", "D18.100x026|D37.003|B16.000|S52.210", ""},
    {2, 11, "C78.000", "", "34.9903"},
    {2, 72, "E11.500x044", "", "44.5x00x002"},
    {2, 54, "K07.600x001", "A59.002+N77.1*|Q41.203", "31.9400|85.2400"},
    {1, 70, "K03.200x002", "", "43.1100x001|75.0x03"},
    {2, 56, "E06.304", "Q97.800|T78.100", "52.8000|51.9802|77.1402|37.8900"},
    {2, 90, "G44.200x005", "D35.500|G40.300x009", "11.7400x001"},
    {1, 60, "K22.301", "K11.901|E11.900|I10.x05", "96.0800x005"},
    {1, 66, "I87.114", "T79.600x006|K85.000|R86.000|B33.300", "36.0602"},
    {2, 35, "B37.100", "J96.000", ""},
};
#define N_DRG_POOL (int)(sizeof drg_pool / sizeof drg_pool[0])

static size_t put_codes(char *p, const char *joined)
{
    size_t n = 0;
    p[n++] = '[';
    const char *s = joined;
    int first = 1;
    while (*s) {
        const char *e = strchr(s, '|');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (!first)
            p[n++] = ',';
        first = 0;
        p[n++] = '"';
        memcpy(p + n, s, l);
        n += l;
        p[n++] = '"';
        if (!e)
            break;
        s = e + 1;
    }
    p[n++] = ']';
    return n;
}

typedef struct {
    const dd_dataset *ds;
    int n_regions;
    int *regions;   /* indices of the regions that have hospitals */
    uint64_t k;     /* next case number */
    int step;       /* next event of case k */
    int steps;      /* events of case k */
} gen_state;

static void gen_line(batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gen_line(batch *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->len, BATCH_BYTES - b->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len += (size_t)n;
}

/* Appends the next event of the generated stream. */
static void gen_next(gen_state *g, batch *b)
{
    uint64_t k = g->k;
    const dd_region *r = dd_dataset_region_at(g->ds, g->regions[k % (uint64_t)g->n_regions]);
    const dd_hospital *h =
        dd_dataset_hospital_at(g->ds, r->hospitals[(k / (uint64_t)g->n_regions) % (uint64_t)r->n_hospitals]);
    int day = 1 + (int)(k % 28);
    int correct = k % 50 == 7, resend = k % 100 == 3, unreconciled = k % 20 == 11;
    g->steps = 3 + !unreconciled + correct + resend;
    int step = g->step;
    /* event order: SETTLEMENT, LIST, QC, [RECONCILED], [LIST v2], [re-sent SETTLEMENT] */
    if (step >= 3 && unreconciled)
        step++;
    if (step >= 4 && !correct)
        step++;
    int64_t medfee = 300000 + (int64_t)((k * 7919) % 6000000);
    int64_t fund = medfee * 4 / 5;
    char ebuf[48];
    switch (step) {
    case 0:
    case 5:
        snprintf(ebuf, sizeof ebuf, "B%llu-S", (unsigned long long)k);
        gen_line(b,
                 "{\"event_id\":\"%s\",\"type\":\"SETTLEMENT\",\"event_time\":\"2025-03-%02dT10:00:00+08:00\","
                 "\"admdvs\":\"%s\",\"fixmedins_code\":\"%s\",\"setl_id\":\"B%llu\",\"mdtrt_id\":\"M%llu\","
                 "\"psn_no\":\"P%llu\",\"insutype\":\"%d\",\"insuplc_admdvs\":\"%s\",\"begndate\":\"2025-03-%02d\","
                 "\"enddate\":\"2025-03-%02d\",\"setl_time\":\"2025-03-%02dT10:00:00+08:00\","
                 "\"medfee_sumamt\":\"%lld.%02lld\",\"fund_pay_sumamt\":\"%lld.%02lld\","
                 "\"psn_part_amt\":\"%lld.%02lld\",\"acct_pay\":\"0.00\"%s}",
                 ebuf, day, r->admdvs, h->code, (unsigned long long)k, (unsigned long long)k,
                 (unsigned long long)(k % 100000), k % 3 ? 310 : 390, r->admdvs, day, day, day,
                 (long long)(medfee / 100), (long long)(medfee % 100), (long long)(fund / 100),
                 (long long)(fund % 100), (long long)((medfee - fund) / 100),
                 (long long)((medfee - fund) % 100), k % 97 == 5 ? ",\"pay_method\":\"FFS\"" : "");
        break;
    case 1:
    case 4: {
        char dx[512], pr[512];
        int gend = 1, age = 50;
        const char *main_dx;
        if (r->scheme == DD_SCHEME_DRG) {
            const gen_case *c = &drg_pool[(k + (step == 4)) % N_DRG_POOL];
            gend = c->gend;
            age = c->age;
            main_dx = c->main_dx;
            dx[put_codes(dx, c->other_dx)] = '\0';
            pr[put_codes(pr, c->procedures)] = '\0';
        } else {
            int n = dd_dip_library_count(r->dip);
            const dd_dip_entry *e = dd_dip_library_get(r->dip, n ? (int)((k + (step == 4)) % (uint64_t)n) : 0);
            main_dx = e ? e->main_dx : "K80.1";
            strcpy(dx, "[]");
            strcpy(pr, "[]");
        }
        gen_line(b,
                 "{\"event_id\":\"B%llu-L%d\",\"type\":\"SETTLEMENT_LIST\",\"event_time\":\"2025-03-%02dT%02d:00:00+08:00\","
                 "\"admdvs\":\"%s\",\"fixmedins_code\":\"%s\",\"setl_id\":\"B%llu\",\"gend\":\"%d\",\"age\":%d,"
                 "\"ipt_days\":%d,\"dscg_way\":\"1\",\"main_dx\":\"%s\",\"other_dx\":%s,\"procedures\":%s}",
                 (unsigned long long)k, step, day, step == 4 ? 18 : 12, r->admdvs, h->code,
                 (unsigned long long)k, gend, age, 1 + (int)(k % 20), main_dx, dx, pr);
        break;
    }
    case 2:
        gen_line(b,
                 "{\"event_id\":\"B%llu-Q\",\"type\":\"QC_RESULT\",\"event_time\":\"2025-03-%02dT13:00:00+08:00\","
                 "\"admdvs\":\"%s\",\"fixmedins_code\":\"%s\",\"setl_id\":\"B%llu\",\"passed\":%s,\"errors\":%s}",
                 (unsigned long long)k, day, r->admdvs, h->code, (unsigned long long)k,
                 k % 10 == 4 ? "false" : "true", k % 10 == 4 ? "[\"E01 main_dx\"]" : "[]");
        break;
    default: /* 3 */
        gen_line(b,
                 "{\"event_id\":\"B%llu-R\",\"type\":\"RECONCILED\",\"event_time\":\"2025-03-%02dT20:00:00+08:00\","
                 "\"admdvs\":\"%s\",\"fixmedins_code\":\"%s\",\"setl_id\":\"B%llu\"}",
                 (unsigned long long)k, day, r->admdvs, h->code, (unsigned long long)k);
        break;
    }
    batch_end_line(b);
    if (++g->step >= g->steps) {
        g->step = 0;
        g->k++;
    }
}

int dd_bench_replay(int argc, char **argv)
{
    const char *events = NULL, *data = NULL;
    long long count = 1000000;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            bench_replay_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if ((!strcmp(a, "--events") || !strcmp(a, "--data") || !strcmp(a, "--count")) &&
                   i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(a, "--events"))
                events = v;
            else if (!strcmp(a, "--data"))
                data = v;
            else {
                char *end;
                count = strtoll(v, &end, 10);
                if (!*v || *end || count < 1 || count > 1000000000LL) {
                    fprintf(stderr, "drgdip bench replay: --count must be 1..1000000000\n");
                    return 2;
                }
            }
        } else {
            fprintf(stderr, "drgdip bench replay: unknown or incomplete option '%s'\n", a);
            bench_replay_usage(stderr);
            return 2;
        }
    }

    char err[1024];
    dd_datadir *dir = dd_datadir_open(data, err, sizeof err);
    if (!dir) {
        fprintf(stderr, "drgdip bench replay: %s\n", err);
        return 1;
    }
    const dd_dataset *ds = dd_datadir_dataset(dir);
    char *text = NULL;
    size_t text_len = 0;
    size_t *lines = NULL; /* start, end pairs of the file's non-empty lines */
    size_t n_lines = 0;
    gen_state g = {ds, 0, NULL, 0, 0, 0};
    int rc = 0;
    batch b;
    b.buf = malloc(BATCH_BYTES + 4096);
    if (!b.buf) {
        fprintf(stderr, "drgdip bench replay: out of memory\n");
        dd_datadir_close(dir);
        return 1;
    }
    if (events) {
        text = dd_file_read(events, &text_len, err, sizeof err);
        if (!text) {
            fprintf(stderr, "drgdip bench replay: %s\n", err);
            rc = 1;
            goto out;
        }
        size_t cap = 1024;
        lines = malloc(cap * 2 * sizeof *lines);
        for (size_t p = 0; lines && p < text_len;) {
            size_t e = p;
            while (e < text_len && text[e] != '\n')
                e++;
            size_t end = e;
            while (end > p && (text[end - 1] == '\r' || text[end - 1] == ' '))
                end--;
            if (end > p && end - p < 900) { /* longer lines would not fit a batch slot */
                if (n_lines == cap) {
                    cap *= 2;
                    size_t *nl = realloc(lines, cap * 2 * sizeof *lines);
                    if (!nl) {
                        free(lines);
                        lines = NULL;
                        break;
                    }
                    lines = nl;
                }
                lines[2 * n_lines] = p;
                lines[2 * n_lines + 1] = end;
                n_lines++;
            }
            p = e + 1;
        }
        if (!lines || !n_lines) {
            fprintf(stderr, "drgdip bench replay: %s has no events\n", events);
            rc = 1;
            goto out;
        }
    } else {
        int nr = dd_dataset_region_count(ds);
        g.regions = malloc((size_t)(nr > 0 ? nr : 1) * sizeof *g.regions);
        for (int i = 0; g.regions && i < nr; i++)
            if (dd_dataset_region_at(ds, i)->n_hospitals > 0)
                g.regions[g.n_regions++] = i;
        if (!g.n_regions) {
            fprintf(stderr, "drgdip bench replay: the data set has no hospitals\n");
            rc = 1;
            goto out;
        }
    }

    dd_ledger *l = dd_ledger_new(ds);
    if (!l) {
        fprintf(stderr, "drgdip bench replay: out of memory\n");
        rc = 1;
        goto out;
    }
    dd_ledger_reserve(l, (uint64_t)count);
    long rss0 = dd_datadir_rss_kb();
    double apply_s = 0, cpu_s = 0; /* wall and CPU time of the timed sections */
    long long done = 0;
    size_t li = 0;
    unsigned rep = 0;
    while (done < count && !rc) {
        b.len = 0;
        b.n = 0;
        b.off[0] = 0;
        while (done + b.n < count && batch_room(&b, 1024)) {
            if (events) {
                copy_rewritten(&b, text + lines[2 * li], lines[2 * li + 1] - lines[2 * li], rep);
                batch_end_line(&b);
                if (++li == n_lines) {
                    li = 0;
                    rep++;
                }
            } else {
                gen_next(&g, &b);
            }
        }
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        for (int i = 0; i < b.n; i++) {
            dd_event_error ee;
            if (dd_ledger_apply_json(l, b.buf + b.off[i], b.off[i + 1] - b.off[i], &ee) ==
                DD_LEDGER_ERROR) {
                fprintf(stderr, "drgdip bench replay: %s\n", ee.detail);
                rc = 1;
                break;
            }
        }
        apply_s += clock_s(CLOCK_MONOTONIC) - t0;
        cpu_s += clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        done += b.n;
    }
    const dd_ledger_stats *st = dd_ledger_get_stats(l);
    double eps = apply_s > 0 ? (double)st->read / apply_s : 0;
    double eps_cpu = cpu_s > 0 ? (double)st->read / cpu_s : 0;
    long hwm = dd_datadir_hwm_kb(), rss = dd_datadir_rss_kb();
    if (json)
        printf("{\"bench\":\"replay\",\"source\":\"%s\",\"events\":%llu,\"applied\":%llu,"
               "\"duplicates\":%llu,\"bad\":%llu,\"cases\":%d,\"seconds\":%.3f,"
               "\"cpu_seconds\":%.3f,\"events_per_s\":%.0f,\"events_per_cpu_s\":%.0f,\"rss_before_kb\":%ld,\"rss_kb\":%ld,\"peak_rss_kb\":%ld,"
               "\"data_load_ms\":%.1f}\n",
               events ? "file" : "generated", (unsigned long long)st->read,
               (unsigned long long)st->applied, (unsigned long long)st->duplicates,
               (unsigned long long)st->bad, dd_ledger_case_count(l), apply_s, cpu_s, eps, eps_cpu,
               rss0, rss, hwm, dd_datadir_get_stats(dir)->load_ms);
    else
        printf("replay bench (%s events): %llu events in %.3f s = %.0f events/s on one core\n"
               "  CPU time %.3f s = %.0f events per CPU second\n"
               "  applied %llu, duplicates %llu, bad %llu, cases %d\n"
               "  RSS %ld kB before the ledger, %ld kB after, peak %ld kB; data load %.1f ms\n",
               events ? "file" : "generated", (unsigned long long)st->read, apply_s, eps, cpu_s,
               eps_cpu, (unsigned long long)st->applied, (unsigned long long)st->duplicates,
               (unsigned long long)st->bad, dd_ledger_case_count(l), rss0, rss, hwm,
               dd_datadir_get_stats(dir)->load_ms);
    dd_ledger_destroy(l);
out:
    free(g.regions);
    free(lines);
    free(text);
    free(b.buf);
    dd_datadir_close(dir);
    return rc;
}
