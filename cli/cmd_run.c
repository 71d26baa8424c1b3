/*
 * drgdip run — the streaming processor (consumers/dd_processor.h) as a
 * service: configuration file + DRGDIP_* environment, SIGTERM/SIGINT finish
 * the batch, commit and leave the group; SIGHUP reloads the data directory
 * (tables and policy) between batches.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_cmd.h"
#include "dd_config.h"
#include "dd_datadir.h"
#include "dd_processor.h"

extern char **environ;

static volatile sig_atomic_t run_stop;
static volatile sig_atomic_t run_reload; /* SIGHUP count (wraps: only changes matter) */

static void on_signal(int sig)
{
    (void)sig;
    run_stop = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    run_reload = run_reload == SIG_ATOMIC_MAX ? 0 : run_reload + 1;
}

/* The data directories: cur backs the processor's dataset; next is a fresh
 * load handed to the processor until it switches (release of the old) or
 * refuses (release of the new). cmd_run owns both. */
typedef struct {
    const char *dir; /* override dir or NULL */
    dd_datadir *cur, *next;
} run_data;

static const dd_dataset *run_load(void *ctx, char *errstr, size_t errlen)
{
    run_data *d = ctx;
    dd_datadir_close(d->next); /* never left over, but be safe */
    d->next = dd_datadir_open(d->dir, errstr, errlen);
    return d->next ? dd_datadir_dataset(d->next) : NULL;
}

static void run_release(void *ctx, const dd_dataset *ds)
{
    run_data *d = ctx;
    if (d->next && ds == dd_datadir_dataset(d->next)) {
        dd_datadir_close(d->next); /* refused */
    } else {
        dd_datadir_close(d->cur); /* switched: next is current */
        d->cur = d->next;
    }
    d->next = NULL;
}

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip run [--config FILE]\n\n"
            "Consumes the input topic as a consumer group, scores every case and keeps\n"
            "exact totals in Redis (one atomic script per region with the consumed\n"
            "offsets), emits case results and sends bad events to the DLQ.\n\n"
            "  --config FILE   'key = value' lines (# comments); see\n"
            "                  deploy/drgdip.conf.example for every key and default.\n"
            "                  A file with only kafka.bootstrap.servers and redis.url works.\n"
            "Environment: DRGDIP_<KEY> overrides a key (upper case, '.' -> '_'), e.g.\n"
            "DRGDIP_REDIS_URL, DRGDIP_REDIS_PASSWORD, DRGDIP_KAFKA_SASL_PASSWORD.\n"
            "MONTH_CLOSE events close a month once: the snapshot goes to output.snapshots\n"
            "(default drgdip.snapshots; JSON, or Avro with output.format = avro) and into\n"
            "Redis (drgdip snapshot --closed). month_close.scheduler = on emits them at each\n"
            "region's cut-off (policy month_close.day, default the 10th of the next month,\n"
            "00:00 Asia/Shanghai), checked every month_close.check_s (60) s; month_close.now\n"
            "fixes \"now\" for tests. See docs/streaming.md.\n"
            "SPEC section 8 alerts are evaluated after each batch (core/dd_alert.h rules,\n"
            "state in Redis) and produced at least once to output.alerts (default\n"
            "drgdip.alerts, JSON, key admdvs); alerts.enabled = false turns them off.\n"
            "See docs/alerts.md.\n"
            "SIGTERM / SIGINT: finish the batch, commit (Redis, then Kafka), leave the group.\n"
            "SIGHUP: reload data.dir (tables, policy, hospitals) between batches; later events\n"
            "use the new data, totals already counted are kept (re-scoring history is a\n"
            "replay); a data error is logged and the current tables are kept.\n"
            "Exit: 0 stopped cleanly, 1 fatal error (logged), 2 usage error.\n");
}

int dd_cmd_run(int argc, char **argv)
{
    const char *conf = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            run_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            conf = argv[++i];
        } else {
            fprintf(stderr, "drgdip run: unexpected argument '%s'\n", argv[i]);
            run_usage(stderr);
            return 2;
        }
    }
    char err[1024];
    dd_config *cfg = dd_config_new();
    if (!cfg) {
        fprintf(stderr, "drgdip run: out of memory\n");
        return 1;
    }
    if ((conf && dd_config_load_file(cfg, conf, err, sizeof err)) ||
        dd_config_apply_env(cfg, environ, err, sizeof err)) {
        fprintf(stderr, "drgdip run: config: %s\n", err);
        dd_config_destroy(cfg);
        return 2;
    }
    const char *dd = dd_config_get(cfg, "data.dir");
    run_data data = {dd && *dd ? dd : NULL, NULL, NULL};
    data.cur = dd_datadir_open(data.dir, err, sizeof err);
    if (!data.cur) {
        fprintf(stderr, "drgdip run: data: %s\n", err);
        dd_config_destroy(cfg);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    int rc = 1;
    dd_processor *p = dd_processor_new(cfg, dd_datadir_dataset(data.cur), err, sizeof err);
    if (!p) {
        fprintf(stderr, "drgdip run: ERROR %s\n", err);
    } else {
        dd_processor_set_reload(p, &run_reload, run_load, run_release, &data,
                                data.dir ? data.dir : "the shipped data");
        rc = dd_processor_run(p, &run_stop) == 0 ? 0 : 1;
        if (rc)
            fprintf(stderr, "drgdip run: ERROR stopped: %s\n", dd_processor_errstr(p));
        dd_processor_destroy(p);
    }
    dd_datadir_close(data.next);
    dd_datadir_close(data.cur);
    dd_config_destroy(cfg);
    return rc;
}
