/*
 * drgdip run — the streaming processor (consumers/dd_processor.h) as a
 * service: configuration file + DRGDIP_* environment, SIGTERM/SIGINT finish
 * the batch, commit and leave the group.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_cmd.h"
#include "dd_config.h"
#include "dd_datadir.h"
#include "dd_processor.h"

extern char **environ;

static volatile sig_atomic_t run_stop;

static void on_signal(int sig)
{
    (void)sig;
    run_stop = 1;
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
    dd_datadir *data = dd_datadir_open(dd && *dd ? dd : NULL, err, sizeof err);
    if (!data) {
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
    int rc = 1;
    dd_processor *p = dd_processor_new(cfg, dd_datadir_dataset(data), err, sizeof err);
    if (!p) {
        fprintf(stderr, "drgdip run: ERROR %s\n", err);
    } else {
        rc = dd_processor_run(p, &run_stop) == 0 ? 0 : 1;
        if (rc)
            fprintf(stderr, "drgdip run: ERROR stopped: %s\n", dd_processor_errstr(p));
        dd_processor_destroy(p);
    }
    dd_datadir_close(data);
    dd_config_destroy(cfg);
    return rc;
}
