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
#include <time.h>

#include "dd_cmd.h"
#include "dd_config.h"
#include "dd_datadir.h"
#include "dd_processor_group.h"

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

/* Every data directory a member may use: the first one and each reload.
 * The processor group says when none uses one any more (close). */
typedef struct {
    const char *dir; /* override dir or NULL */
    dd_datadir **open;
    int n, cap;
} run_data;

static const dd_dataset *run_open(void *ctx, char *errstr, size_t errlen)
{
    run_data *d = ctx;
    if (d->n == d->cap) {
        int nc = d->cap ? 2 * d->cap : 4;
        dd_datadir **v = realloc(d->open, (size_t)nc * sizeof *v);
        if (!v) {
            snprintf(errstr, errlen, "out of memory");
            return NULL;
        }
        d->open = v;
        d->cap = nc;
    }
    dd_datadir *dd = dd_datadir_open(d->dir, errstr, errlen);
    if (!dd)
        return NULL;
    d->open[d->n++] = dd;
    return dd_datadir_dataset(dd);
}

static void run_close(void *ctx, const dd_dataset *ds)
{
    run_data *d = ctx;
    for (int i = 0; i < d->n; i++)
        if (dd_datadir_dataset(d->open[i]) == ds) {
            dd_datadir_close(d->open[i]);
            d->open[i] = d->open[--d->n];
            return;
        }
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
            "SPEC section 8 alerts are evaluated after the batches, at most every\n"
            "alerts.eval_interval_ms (500; 0 = after each batch) (core/dd_alert.h rules,\n"
            "state in Redis) and produced at least once to output.alerts (default\n"
            "drgdip.alerts, JSON, key admdvs); alerts.enabled = false turns them off.\n"
            "See docs/alerts.md.\n"
            "processor.threads = N runs N members of the consumer group in this process\n"
            "(each with its own consumer, producer and Redis connection; default 1).\n"
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
    int members = (int)dd_config_get_int(cfg, "processor.threads");
    const char *gi = dd_config_get(cfg, "kafka.group.instance.id");
    if (members > 1 && gi && *gi) {
        fprintf(stderr, "drgdip run: config: processor.threads = %d needs a member id each: "
                        "unset kafka.group.instance.id (static membership) or use 1\n",
                members);
        dd_config_destroy(cfg);
        return 2;
    }
    const char *dd = dd_config_get(cfg, "data.dir");
    run_data data = {dd && *dd ? dd : NULL, NULL, 0, 0};
    const dd_dataset *ds = run_open(&data, err, sizeof err);
    if (!ds) {
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
    dd_processor_group_opts go = {members, &run_reload, run_open, run_close, &data,
                                  data.dir ? data.dir : "the shipped data"};
    dd_processor_group *g = dd_processor_group_start(cfg, ds, &go, err, sizeof err);
    if (!g) {
        fprintf(stderr, "drgdip run: ERROR %s\n", err);
        run_close(&data, ds);
    } else {
        /* until a signal, or until a member stops on its own (fatal) */
        int mrc = 0;
        while (!run_stop && !dd_processor_group_done(g, &mrc)) {
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
        char why[1024];
        snprintf(why, sizeof why, "%s", dd_processor_group_errstr(g));
        rc = dd_processor_group_stop(g) == 0 ? 0 : 1;
        if (rc)
            fprintf(stderr, "drgdip run: ERROR stopped: %s\n", why[0] ? why : "a member failed");
    }
    free(data.open);
    dd_config_destroy(cfg);
    return rc;
}
