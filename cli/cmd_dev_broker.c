/*
 * drgdip dev-broker — a throw-away Kafka cluster on loopback for development
 * and demos (librdkafka's mock cluster, consumers/dd_devbroker.h). Prints the
 * bootstrap list on stdout (and to --bootstrap-file), runs until SIGTERM or
 * SIGINT. See docs/dev-broker.md for what it keeps and what it drops.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dd_cmd.h"
#include "dd_devbroker.h"

static void dd_dev_broker_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip dev-broker [--partitions N] [--brokers N] [--bootstrap-file F]\n\n"
            "Runs an in-memory Kafka cluster on 127.0.0.1 (librdkafka mock cluster) with the\n"
            "topics drgdip.settlements, drgdip.case-results, drgdip.alerts, drgdip.snapshots\n"
            "and drgdip.dlq, prints its bootstrap servers on stdout and runs until SIGTERM\n"
            "or SIGINT (Ctrl-C). Nothing is kept after it stops.\n\n"
            "  --partitions N      partitions per topic (default %d, 1..%d); each partition\n"
            "                      keeps at most 5 MiB of batches, older ones are dropped\n"
            "  --brokers N         number of mock brokers (default 1, 1..8)\n"
            "  --bootstrap-file F  also write the bootstrap list to F (atomically; removed\n"
            "                      on exit)\n",
            DD_DEVBROKER_DEFAULT_PARTITIONS, DD_DEVBROKER_MAX_PARTITIONS);
}

static int parse_int(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 1000000)
        return -1;
    *out = (int)v;
    return 0;
}

/* Write-then-rename so a poller never reads half a line. */
static int write_bootstrap_file(const char *path, const char *bs)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return -1;
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int rc = -1;
    if (f) {
        int ok = fprintf(f, "%s\n", bs) > 0;
        if (fclose(f) == 0 && ok && rename(tmp, path) == 0)
            rc = 0;
    }
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

int dd_cmd_dev_broker(int argc, char **argv)
{
    int partitions = DD_DEVBROKER_DEFAULT_PARTITIONS, brokers = 1;
    const char *bfile = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            dd_dev_broker_usage(stdout);
            return 0;
        }
        const char *names[] = {"--partitions", "--brokers", "--bootstrap-file"};
        int which = -1;
        for (int k = 0; k < 3; k++) {
            size_t l = strlen(names[k]);
            if (!strcmp(a, names[k])) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "drgdip dev-broker: %s needs a value\n", a);
                    return 2;
                }
                which = k;
                val = argv[++i];
            } else if (!strncmp(a, names[k], l) && a[l] == '=') {
                which = k;
                val = a + l + 1;
            }
        }
        if (which < 0) {
            fprintf(stderr, "drgdip dev-broker: unknown option '%s'\n", a);
            dd_dev_broker_usage(stderr);
            return 2;
        }
        if (which == 2) {
            bfile = val;
            continue;
        }
        int *dst = which == 0 ? &partitions : &brokers;
        if (parse_int(val, dst) || *dst < 1) {
            fprintf(stderr, "drgdip dev-broker: %s: '%s' is not a positive integer\n",
                    names[which], val);
            return 2;
        }
    }
    if (partitions > DD_DEVBROKER_MAX_PARTITIONS || brokers > 8) {
        fprintf(stderr, "drgdip dev-broker: --partitions 1..%d, --brokers 1..8\n",
                DD_DEVBROKER_MAX_PARTITIONS);
        return 2;
    }

    /* Block the stop signals before librdkafka starts its threads (they
     * inherit the mask), then wait for them synchronously. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &stop, NULL)) {
        fprintf(stderr, "drgdip dev-broker: cannot block signals\n");
        return 1;
    }
    char err[256];
    dd_devbroker *b = dd_devbroker_new(partitions, brokers, err, sizeof err);
    if (!b) {
        fprintf(stderr, "drgdip dev-broker: %s\n", err);
        return 1;
    }
    const char *bs = dd_devbroker_bootstraps(b);
    if (bfile && write_bootstrap_file(bfile, bs)) {
        fprintf(stderr, "drgdip dev-broker: cannot write %s: %s\n", bfile, strerror(errno));
        dd_devbroker_destroy(b);
        return 1;
    }
    printf("%s\n", bs);
    fflush(stdout);
    fprintf(stderr,
            "dev-broker: %d broker(s) at %s; topics drgdip.{settlements,case-results,alerts,"
            "snapshots,dlq} with %d partition(s); SIGTERM or Ctrl-C stops it\n",
            brokers, bs, partitions);
    int sig = 0;
    while (sigwait(&stop, &sig)) /* only EINTR-like failures: retry */
        ;
    fprintf(stderr, "dev-broker: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    if (bfile)
        unlink(bfile);
    dd_devbroker_destroy(b);
    return 0;
}
