/*
 * drgdip demo — the whole pipeline on one machine in under a minute: an
 * in-process dev Kafka broker, a private redis-server (or $REDIS_URL), the
 * shipped Jilin data, a month of generated events produced while the
 * streaming processor runs in a thread; then the month's live snapshot of a
 * few regions as readable tables, the alerts the processor emitted (read
 * back from drgdip.alerts by the on-call view), and where to look next.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dd_cmd.h"
#include "dd_config.h"
#include "dd_datadir.h"
#include "dd_devbroker.h"
#include "dd_gen.h"
#include "dd_live.h"
#include "dd_processor_thread.h"
#include "dd_produce.h"
#include "dd_redis_server.h"
#include "dd_store.h"
#include "dd_time.h"

/* Set by SIGINT/SIGTERM: a signal handler can only reach static storage. */
static volatile sig_atomic_t demo_interrupted;

static void demo_on_signal(int sig)
{
    (void)sig;
    demo_interrupted = 1;
}

static void demo_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip demo [--cases N] [--month YYYY-MM] [--format json|avro|mix]\n"
            "                   [--seed S] [--data DIR] [--no-inject] [--keep]\n\n"
            "Runs the whole pipeline locally: an in-process Kafka dev broker, a private\n"
            "redis-server on a unix socket in a temp directory (or $REDIS_URL when set:\n"
            "the demo then WRITES into that Redis), the shipped Jilin data set, and\n"
            "N generated settlements a month for two months (drgdip gen --months 2:\n"
            "the month before M as a clean baseline, then M) produced to the broker\n"
            "while the streaming processor (drgdip run) applies them to Redis. M gets\n"
            "two injected anomalies (drgdip gen --inject): upcoding at the largest\n"
            "hospital of the first DRG region shown, late lists at the largest of the\n"
            "first DIP region shown. When every event is applied it prints M's live\n"
            "snapshot for a few regions, then the alerts the processor emitted to\n"
            "drgdip.alerts (as `drgdip alerts --follow` shows them), and removes what\n"
            "it started.\n\n"
            "  --cases N     settlements a month (default 4000: about 32,000 events)\n"
            "  --month M     default 2025-03\n"
            "  --format F    wire format of the events (default mix: JSON and Avro)\n"
            "  --seed S      generator seed (default 1)\n"
            "  --data DIR    data directory overriding the shipped one file by file\n"
            "  --no-inject   no injected anomalies: clean data, no alerts expected\n"
            "  --keep        keep broker, Redis and processor running until Ctrl-C, to\n"
            "                look around with drgdip snapshot / redis-cli / kcat\n\n"
            "Exit: 0 ok, 1 failure, 2 usage error.\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The alerts `drgdip run` emitted while it processed the demo's events,
 * shown by the on-call view itself (`drgdip alerts --follow`, in-process)
 * reading drgdip.alerts from the beginning: as many as the processor fired,
 * waiting at most 30 s for their delivery. */
static void print_alerts(const char *brokers, const dd_processor_stats *ps,
                         const char *inject_desc)
{
    printf("\nAlerts emitted by the processor to drgdip.alerts (default thresholds;\n"
           "injected: %s), as `drgdip alerts --follow` shows them:\n",
           inject_desc);
    fflush(stdout);
    if (!ps->alerts_fired) {
        printf("  (no alert)\n");
        return;
    }
    char max[32];
    snprintf(max, sizeof max, "%llu", (unsigned long long)ps->alerts_fired);
    char *argv[] = {"alerts", "--follow", "--from-beginning", "--brokers", (char *)brokers,
                    "--max", max, "--wait", "30", NULL};
    dd_cmd_alerts((int)(sizeof argv / sizeof argv[0]) - 1, argv);
    fflush(stdout);
}

/* The hospital with the highest level (then the smallest code) of the first
 * region of `scheme` among the shown ones that has hospitals; -1 none. */
static int pick_hospital(const dd_dataset *ds, dd_scheme scheme, int max_regions)
{
    int seen = 0;
    for (int i = 0; i < dd_dataset_region_count(ds) && seen < max_regions; i++) {
        const dd_region *r = dd_dataset_region_at(ds, i);
        if (r->scheme != scheme)
            continue;
        seen++;
        int best = -1, best_level = 0;
        for (int k = 0; k < r->n_hospitals; k++) {
            const dd_hospital *h = dd_dataset_hospital_at(ds, r->hospitals[k]);
            if (h->level > best_level) {
                best = r->hospitals[k];
                best_level = h->level;
            }
        }
        if (best >= 0)
            return best;
    }
    return -1;
}

typedef struct {
    dd_producer *prod;
    long sent;
    int tty;
    double t0, last;
    int failed;
} demo_sink_ctx;

static void bar(const char *what, uint64_t done, uint64_t total, double t0)
{
    int width = 30;
    int fill = total ? (int)((double)done * width / (double)total) : 0;
    if (fill > width)
        fill = width;
    char b[40];
    for (int i = 0; i < width; i++)
        b[i] = i < fill ? '#' : '-';
    b[width] = '\0';
    double dt = now_s() - t0;
    fprintf(stderr, "\r%-9s [%s] %6llu/%llu  %.0f events/s   ", what, b,
            (unsigned long long)done, (unsigned long long)total,
            dt > 0 ? (double)done / dt : 0.0);
    fflush(stderr);
}

static int demo_sink(void *ctx, const dd_event *ev)
{
    demo_sink_ctx *c = ctx;
    if (demo_interrupted)
        return 1;
    if (dd_producer_send_event(c->prod, ev)) {
        c->failed = 1;
        return 1;
    }
    c->sent++;
    if (c->tty && (c->sent & 255) == 0) {
        double t = now_s();
        if (t - c->last > 0.2) {
            c->last = t;
            fprintf(stderr, "\rproduce   %ld events   ", c->sent);
            fflush(stderr);
        }
    }
    return 0;
}

/* A fresh random pseudonym key per demo run (the data is synthetic; this
 * only spares the processor's "development key" warning). */
static int demo_pseudonym_key(dd_config *cfg, char *err, size_t errlen)
{
    unsigned char k[16] = {0};
    FILE *f = fopen("/dev/urandom", "rb");
    size_t n = f ? fread(k, 1, sizeof k, f) : 0;
    if (f)
        fclose(f);
    if (n != sizeof k) {
        uint64_t t = (uint64_t)(now_s() * 1e9) ^ (uint64_t)getpid();
        memcpy(k, &t, sizeof t);
    }
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", k[i]);
    return dd_config_set(cfg, "pseudonym.key", hex, err, errlen);
}

static uint64_t processed(const dd_processor_stats *s)
{
    return s->applied + s->duplicates + s->bad + s->redelivered;
}

/* "12345678.90" with thousands separators from fen. */
static void money(int64_t fen, char *buf, size_t cap)
{
    char raw[32];
    int neg = fen < 0;
    uint64_t v = neg ? (uint64_t)(-(fen + 1)) + 1 : (uint64_t)fen;
    snprintf(raw, sizeof raw, "%llu", (unsigned long long)(v / 100));
    char out[48];
    size_t n = strlen(raw), o = 0;
    if (neg)
        out[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        out[o++] = raw[i];
        if ((n - i - 1) % 3 == 0 && i + 1 < n)
            out[o++] = ',';
    }
    out[o] = '\0';
    snprintf(buf, cap, "%s.%02llu", out, (unsigned long long)(v % 100));
}

static void points(int64_t e4, char *buf, size_t cap)
{
    snprintf(buf, cap, "%lld.%04lld", (long long)(e4 / 10000), (long long)(e4 % 10000));
}

static int cmp_hosp_points(const void *a, const void *b)
{
    const dd_snapshot_hospital *x = a, *y = b;
    if (x->points_e4 != y->points_e4)
        return x->points_e4 > y->points_e4 ? -1 : 1;
    return strcmp(x->fixmedins_code, y->fixmedins_code);
}

static void print_region(dd_store *st, const dd_dataset *ds, const dd_region *r, int insutype,
                         int32_t month)
{
    dd_snapshot s;
    char err[512], m[8];
    dd_time_format_month(month, m, sizeof m);
    if (dd_live_snapshot(st, ds, r->admdvs, insutype, month, &s, err, sizeof err)) {
        printf("  %s %s: cannot read the snapshot: %s\n", r->admdvs, m, err);
        return;
    }
    char b1[48], b2[48];
    money(s.budget_fen, b1, sizeof b1);
    points(s.points_e4, b2, sizeof b2);
    printf("\n%s %s (%s)  %s  insutype %d (%s)\n", r->admdvs, r->name,
           r->scheme == DD_SCHEME_DRG ? "DRG" : "DIP", m, insutype,
           insutype == 310 ? "employees" : "residents");
    printf("  budget %s yuan   eligible points %s   point value %lld.%06lld yuan/point\n", b1,
           b2, (long long)(s.point_value_e6 / 1000000), (long long)(s.point_value_e6 % 1000000));
    int64_t elig = 0, pend[4] = {0}, cat[DD_CAT__COUNT] = {0};
    for (int i = 0; i < s.n_hospitals; i++) {
        elig += s.hospitals[i].eligible_cases;
        for (int k = 0; k < 4; k++)
            pend[k] += s.hospitals[i].pending[k];
        for (int k = 0; k < DD_CAT__COUNT; k++)
            cat[k] += s.hospitals[i].cases_by_cat[k];
    }
    printf("  cases: %lld eligible; pending: no list %lld, QC failed %lld, not reconciled %lld, "
           "late list %lld\n",
           (long long)elig, (long long)pend[0], (long long)pend[1], (long long)pend[2],
           (long long)pend[3]);
    printf("  eligible cases by category:");
    for (int k = 0; k < DD_CAT__COUNT; k++)
        printf(" %s %lld", dd_category_name((dd_category)k), (long long)cat[k]);
    printf("\n  top hospitals by points (%d hospitals):\n", s.n_hospitals);
    printf("    %-13s %-5s %6s %15s %15s %15s  %s\n", "code", "level", "cases", "points",
           "settlement", "profit/loss", "name");
    qsort(s.hospitals, (size_t)s.n_hospitals, sizeof *s.hospitals, cmp_hosp_points);
    for (int i = 0; i < s.n_hospitals && i < 5; i++) {
        const dd_snapshot_hospital *h = &s.hospitals[i];
        const dd_hospital *dh = dd_dataset_hospital(ds, h->fixmedins_code);
        char p[48], se[48], pl[48];
        points(h->points_e4, p, sizeof p);
        money(h->settlement_fen, se, sizeof se);
        money(h->profit_loss_fen, pl, sizeof pl);
        printf("    %-13s %-5d %6lld %15s %15s %15s  %s\n", h->fixmedins_code,
               dh ? dh->level : 0, (long long)h->eligible_cases, p, se, pl,
               dh && dh->name ? dh->name : "");
    }
    dd_snapshot_free(&s);
}

int dd_cmd_demo(int argc, char **argv)
{
    long cases = 4000;
    const char *month_s = "2025-03", *data = NULL;
    unsigned long long seed = 1;
    int keep = 0, inject = 1;
    dd_produce_format fmt = DD_PRODUCE_MIX;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            demo_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--keep")) {
            keep = 1;
            continue;
        }
        if (!strcmp(a, "--no-inject")) {
            inject = 0;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "drgdip demo: %s needs a value (or unknown option)\n", a);
            demo_usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        char *end = NULL;
        if (!strcmp(a, "--cases")) {
            cases = strtol(v, &end, 10);
            if (*end || cases < 1 || cases > 1000000) {
                fprintf(stderr, "drgdip demo: --cases must be 1..1000000\n");
                return 2;
            }
        } else if (!strcmp(a, "--month")) {
            month_s = v;
        } else if (!strcmp(a, "--data")) {
            data = v;
        } else if (!strcmp(a, "--seed")) {
            seed = strtoull(v, &end, 10);
            if (*end || !*v) {
                fprintf(stderr, "drgdip demo: --seed must be a non-negative integer\n");
                return 2;
            }
        } else if (!strcmp(a, "--format")) {
            if (!strcmp(v, "json"))
                fmt = DD_PRODUCE_JSON;
            else if (!strcmp(v, "avro"))
                fmt = DD_PRODUCE_AVRO;
            else if (!strcmp(v, "mix"))
                fmt = DD_PRODUCE_MIX;
            else {
                fprintf(stderr, "drgdip demo: --format must be json, avro or mix\n");
                return 2;
            }
        } else {
            fprintf(stderr, "drgdip demo: unknown option %s\n", a);
            demo_usage(stderr);
            return 2;
        }
    }
    int32_t month;
    if (dd_time_parse_month(month_s, strlen(month_s), &month)) {
        fprintf(stderr, "drgdip demo: --month must be YYYY-MM\n");
        return 2;
    }

    char err[1024];
    int ret = 1;
    int tty = isatty(STDERR_FILENO);
    dd_datadir *dd = NULL;
    dd_devbroker *broker = NULL;
    dd_redis_server *rs = NULL;
    dd_config *cfg = NULL;
    dd_processor *proc = NULL;
    dd_producer *prod = NULL;
    dd_gen *gen = NULL;
    dd_store *store = NULL;
    dd_processor_thread *pt = NULL;
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = demo_on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    double t_start = now_s();
    dd = dd_datadir_open(data, err, sizeof err);
    if (!dd) {
        fprintf(stderr, "drgdip demo: %s\n", err);
        goto out;
    }
    const dd_dataset *ds = dd_datadir_dataset(dd);
    /* the anomalies of the last month, at hospitals of the shown regions */
    dd_gen_inject inj[2];
    int n_inj = 0;
    char inject_spec[128] = "", inject_desc[512] = "none (--no-inject)";
    if (inject) {
        int hu = pick_hospital(ds, DD_SCHEME_DRG, 2), hl = pick_hospital(ds, DD_SCHEME_DIP, 1);
        size_t o = 0, od = 0;
        inject_desc[0] = '\0';
        if (hu >= 0)
            inj[n_inj++] = (dd_gen_inject){DD_GEN_INJ_UPCODING, hu};
        if (hl >= 0)
            inj[n_inj++] = (dd_gen_inject){DD_GEN_INJ_LATE, hl};
        for (int i = 0; i < n_inj; i++) {
            const dd_hospital *h = dd_dataset_hospital_at(ds, inj[i].target);
            const dd_region *r = dd_dataset_region_at(ds, h->region);
            o += (size_t)snprintf(inject_spec + o, sizeof inject_spec - o, "%s%s=%s",
                                  i ? "," : "", dd_gen_inject_name(inj[i].type), h->code);
            od += (size_t)snprintf(inject_desc + od, sizeof inject_desc - od,
                                   "%s%s at %s %s (%s, %s)", i ? "; " : "",
                                   inj[i].type == DD_GEN_INJ_UPCODING ? "upcoding" : "late lists",
                                   h->code, h->name ? h->name : "", r->admdvs,
                                   r->scheme == DD_SCHEME_DRG ? "DRG" : "DIP");
            if (o >= sizeof inject_spec || od >= sizeof inject_desc)
                break;
        }
        if (!n_inj)
            snprintf(inject_desc, sizeof inject_desc, "none (no hospital in the shown regions)");
    }
    broker = dd_devbroker_new(4, 1, err, sizeof err);
    if (!broker) {
        fprintf(stderr, "drgdip demo: dev broker: %s\n", err);
        goto out;
    }
    const char *redis_url = getenv("REDIS_URL");
    if (!redis_url || !*redis_url) {
        rs = dd_redis_server_new(NULL, err, sizeof err);
        if (!rs) {
            fprintf(stderr, "drgdip demo: redis-server: %s\n", err);
            goto out;
        }
        redis_url = dd_redis_server_url(rs);
    } else {
        fprintf(stderr, "drgdip demo: using REDIS_URL (the demo writes dd:* keys there)\n");
    }
    fprintf(stderr, "drgdip demo: Kafka dev broker %s, Redis %s, %d regions, %d hospitals\n",
            dd_devbroker_bootstraps(broker), redis_url, dd_dataset_region_count(ds),
            dd_dataset_hospital_count(ds));

    cfg = dd_config_new();
    if (!cfg) {
        fprintf(stderr, "drgdip demo: out of memory\n");
        goto out;
    }
    if (dd_devbroker_processor_config(cfg, dd_devbroker_bootstraps(broker), redis_url,
                                      "drgdip-demo", data, err, sizeof err) ||
        demo_pseudonym_key(cfg, err, sizeof err) ||
        /* the alerts are shown as soon as the last batch is handled: each
         * batch evaluated at once, none owed to a later evaluation */
        dd_config_set(cfg, "alerts.eval_interval_ms", "0", err, sizeof err)) {
        fprintf(stderr, "drgdip demo: config: %s\n", err);
        goto out;
    }
    pt = dd_processor_thread_start(cfg, ds, err, sizeof err);
    if (!pt) {
        fprintf(stderr, "drgdip demo: processor: %s\n", err);
        goto out;
    }
    proc = dd_processor_thread_processor(pt);
    /* let the processor join its consumer group first, so the latency
     * figures measure processing, not the group join */
    for (double t0 = now_s(); now_s() - t0 < 20 && !demo_interrupted;) {
        dd_processor_stats js;
        dd_processor_get_stats(proc, &js);
        if (js.rebalances > 0 || dd_processor_thread_done(pt, NULL))
            break;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }

    /* generate a month and produce it while the processor consumes */
    prod = dd_producer_new(dd_devbroker_bootstraps(broker), "drgdip.settlements", fmt, NULL, err,
                           sizeof err);
    if (!prod) {
        fprintf(stderr, "drgdip demo: producer: %s\n", err);
        goto out;
    }
    gen = dd_gen_open(ds, data, err, sizeof err);
    if (!gen) {
        fprintf(stderr, "drgdip demo: gen: %s\n", err);
        goto out;
    }
    dd_gen_options go = {.cases = (int)cases,
                         .month = month,
                         .months = 2,
                         .seed = seed,
                         .inject = n_inj ? inj : NULL,
                         .n_inject = n_inj};
    dd_gen_stats gs;
    demo_sink_ctx sc = {.prod = prod, .tty = tty, .t0 = now_s()};
    sc.last = sc.t0;
    int grc = dd_gen_run(gen, &go, demo_sink, &sc, &gs, err, sizeof err);
    if (grc < 0 || sc.failed) {
        fprintf(stderr, "\ndrgdip demo: %s\n", grc < 0 ? err : dd_producer_errstr(prod));
        goto out;
    }
    if (demo_interrupted)
        goto interrupted;
    if (dd_producer_flush(prod, 60000)) {
        fprintf(stderr, "\ndrgdip demo: delivery failed: %s\n", dd_producer_errstr(prod));
        goto out;
    }
    if (tty)
        fprintf(stderr, "\r%60s\r", "");
    {
        char mix[2048];
        dd_gen_stats_format(&gs, mix, sizeof mix);
        fprintf(stderr, "drgdip demo: produced %ld events (%s; injected in %s: %s):\n%s\n",
                sc.sent,
                fmt == DD_PRODUCE_JSON ? "JSON" : fmt == DD_PRODUCE_AVRO ? "Avro" : "JSON + Avro",
                month_s, inject_desc, mix);
        if (gs.inject_min_month_cases >= 0 && gs.inject_min_month_cases < 30)
            fprintf(stderr,
                    "drgdip demo: an injected hospital has only %d cases in %s; the alert rules "
                    "need 30 (alert.min_cases): raise --cases for its alerts to show\n",
                    gs.inject_min_month_cases, month_s);
    }

    /* wait until the processor has applied (or dropped as duplicate/bad) all */
    uint64_t total = (uint64_t)sc.sent;
    double t_wait = now_s(), last = 0;
    dd_processor_stats ps;
    for (;;) {
        dd_processor_get_stats(proc, &ps);
        if (processed(&ps) >= total)
            break;
        if (demo_interrupted)
            goto interrupted;
        int stopped = dd_processor_thread_done(pt, NULL);
        if (stopped || now_s() - t_wait > 300) {
            fprintf(stderr, "\ndrgdip demo: the processor %s (%llu of %llu events processed)%s%s\n",
                    stopped ? "stopped" : "did not finish in 300 s",
                    (unsigned long long)processed(&ps), (unsigned long long)total,
                    stopped ? ": " : "", stopped ? dd_processor_errstr(proc) : "");
            goto out;
        }
        double t = now_s();
        if (tty && t - last > 0.2) {
            last = t;
            bar("applied", processed(&ps), total, sc.t0);
        }
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    /* and until its batches are fully handled (alerts evaluated, queued) */
    while (ps.handled < ps.consumed && !dd_processor_thread_done(pt, NULL) &&
           now_s() - t_wait < 300) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
        dd_processor_get_stats(proc, &ps);
    }
    double t_done = now_s();
    if (tty) {
        bar("applied", processed(&ps), total, sc.t0);
        fputc('\n', stderr);
    }
    fprintf(stderr,
            "drgdip demo: processor: %llu consumed, %llu applied, %llu duplicates dropped, "
            "%llu bad (DLQ), %llu Redis commits, p50 %lld ms / p99 %lld ms produce->Redis; "
            "all applied %.1f s after the first event was produced\n",
            (unsigned long long)ps.consumed, (unsigned long long)ps.applied,
            (unsigned long long)ps.duplicates, (unsigned long long)ps.bad,
            (unsigned long long)ps.batches, (long long)dd_processor_stats_p50_ms(&ps),
            (long long)dd_processor_stats_p99_ms(&ps), t_done - sc.t0);

    /* the month's live snapshot of a few regions, read back from Redis */
    dd_store_opts so = {.url = redis_url};
    store = dd_store_new(&so, err, sizeof err);
    if (!store) {
        fprintf(stderr, "drgdip demo: redis: %s\n", err);
        goto out;
    }
    printf("Live pre-settlement snapshot %s (read back from Redis; amounts in yuan)\n", month_s);
    int shown_drg = 0, shown_dip = 0;
    const char *first_region = NULL;
    for (int i = 0; i < dd_dataset_region_count(ds); i++) {
        const dd_region *r = dd_dataset_region_at(ds, i);
        int *shown = r->scheme == DD_SCHEME_DRG ? &shown_drg : &shown_dip;
        if (*shown >= (r->scheme == DD_SCHEME_DRG ? 2 : 1))
            continue;
        (*shown)++;
        if (!first_region)
            first_region = r->admdvs;
        print_region(store, ds, r, 310, month);
        if (*shown == 1 && r->scheme == DD_SCHEME_DRG)
            print_region(store, ds, r, 390, month);
    }
    print_alerts(dd_devbroker_bootstraps(broker), &ps, inject_desc);
    printf("\nWhere to look next\n"
           "  - every region and insurance type, as SPEC JSON, and the alerts as JSON\n"
           "    (from the same events):\n"
           "      drgdip gen --month %s --months 2 --cases %ld --seed %llu%s%s%s%s > events.jsonl\n"
           "      drgdip replay --events events.jsonl --all\n"
           "      drgdip replay --events events.jsonl --alerts\n"
           "  - against a live stream: drgdip dev-broker; drgdip produce --events events.jsonl\n"
           "    --brokers ...; drgdip run --config deploy/drgdip.conf.example; then\n"
           "      drgdip snapshot --region %s --insutype 310 --month %s --redis URL\n"
           "  - the Redis keys: redis-cli -s SOCKET --scan --pattern 'dd:{%s}:*'\n"
           "    (layout in docs/redis-layout.md); run `drgdip demo --keep` to keep this\n"
           "    broker and Redis up and look around\n"
           "  - README.md, docs/ (grouping, Redis layout, dev broker), drgdip <command> --help\n",
           month_s, cases, seed, n_inj ? " --inject " : "", inject_spec, data ? " --data " : "",
           data ? data : "", first_region ? first_region : "220100", month_s,
           first_region ? first_region : "220100");
    fflush(stdout);
    if (keep) {
        fprintf(stderr,
                "\ndrgdip demo: --keep: Kafka %s, Redis %s%s%s%s; try\n"
                "  drgdip snapshot --region %s --insutype 310 --month %s --redis %s\n"
                "  kcat -C -b %s -t drgdip.case-results -c 5 -e\n"
                "Ctrl-C to stop and clean up.\n",
                dd_devbroker_bootstraps(broker), redis_url,
                rs ? " (redis-cli -s " : "", rs ? dd_redis_server_socket(rs) : "", rs ? ")" : "",
                first_region ? first_region : "220100", month_s, redis_url,
                dd_devbroker_bootstraps(broker));
        /* poll the flag: the signal may be delivered to another thread */
        while (!demo_interrupted) {
            struct timespec ts = {0, 200 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    ret = 0;
    goto out;
interrupted:
    fprintf(stderr, "\ndrgdip demo: interrupted, cleaning up\n");
    ret = 1;
out:
    dd_processor_thread_stop(pt);
    dd_store_destroy(store);
    dd_gen_destroy(gen);
    dd_producer_destroy(prod);
    dd_config_destroy(cfg);
    dd_redis_server_destroy(rs);
    dd_devbroker_destroy(broker);
    dd_datadir_close(dd);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (!ret)
        fprintf(stderr, "drgdip demo: done in %.1f s; broker and Redis stopped, temp files removed\n",
                now_s() - t_start);
    return ret;
}
