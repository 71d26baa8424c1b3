/*
 * dd_devbroker — see dd_devbroker.h.
 */
#include "dd_devbroker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const dd_devbroker_topics[] = {
    "drgdip.settlements", "drgdip.case-results", "drgdip.alerts",
    "drgdip.snapshots",   "drgdip.dlq",          NULL,
};

struct dd_devbroker {
    rd_kafka_t *rk; /* hosts the mock cluster (mock needs a client handle) */
    rd_kafka_mock_cluster_t *mc;
    char *bootstraps;
    int partitions;
};

/* The hosting handle never connects anywhere; keep its warnings (e.g. "no
 * bootstrap.servers") off the dev console, errors stay visible. */
static void dd_devbroker_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 3)
        fprintf(stderr, "dev-broker: %s: %s\n", fac, buf);
}

dd_devbroker *dd_devbroker_new(int partitions, int brokers, char *errstr, size_t errcap)
{
    if (partitions == 0)
        partitions = DD_DEVBROKER_DEFAULT_PARTITIONS;
    if (brokers == 0)
        brokers = 1;
    if (partitions < 1 || partitions > DD_DEVBROKER_MAX_PARTITIONS) {
        snprintf(errstr, errcap, "partitions must be 1..%d", DD_DEVBROKER_MAX_PARTITIONS);
        return NULL;
    }
    if (brokers < 1 || brokers > 8) {
        snprintf(errstr, errcap, "brokers must be 1..8");
        return NULL;
    }
    dd_devbroker *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(errstr, errcap, "out of memory");
        return NULL;
    }
    b->partitions = partitions;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char kerr[256];
    rd_kafka_conf_set_log_cb(conf, dd_devbroker_log);
    if (rd_kafka_conf_set(conf, "client.id", "drgdip-dev-broker", kerr, sizeof kerr) !=
        RD_KAFKA_CONF_OK) {
        snprintf(errstr, errcap, "librdkafka: %s", kerr);
        rd_kafka_conf_destroy(conf);
        free(b);
        return NULL;
    }
    b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof kerr); /* owns conf */
    if (!b->rk) {
        snprintf(errstr, errcap, "librdkafka: %s", kerr);
        rd_kafka_conf_destroy(conf);
        free(b);
        return NULL;
    }
    b->mc = rd_kafka_mock_cluster_new(b->rk, brokers);
    if (!b->mc) {
        snprintf(errstr, errcap, "librdkafka: cannot start the mock cluster");
        dd_devbroker_destroy(b);
        return NULL;
    }
    for (const char *const *t = dd_devbroker_topics; *t; t++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(b->mc, *t, partitions, 1);
        if (e) {
            snprintf(errstr, errcap, "creating topic %s: %s", *t, rd_kafka_err2str(e));
            dd_devbroker_destroy(b);
            return NULL;
        }
    }
    const char *bs = rd_kafka_mock_cluster_bootstraps(b->mc);
    b->bootstraps = bs ? strdup(bs) : NULL;
    if (!b->bootstraps) {
        snprintf(errstr, errcap, "librdkafka: no bootstrap address");
        dd_devbroker_destroy(b);
        return NULL;
    }
    return b;
}

const char *dd_devbroker_bootstraps(const dd_devbroker *b) { return b->bootstraps; }

int dd_devbroker_partitions(const dd_devbroker *b) { return b->partitions; }

void dd_devbroker_destroy(dd_devbroker *b)
{
    if (!b)
        return;
    if (b->mc)
        rd_kafka_mock_cluster_destroy(b->mc);
    if (b->rk)
        rd_kafka_destroy(b->rk);
    free(b->bootstraps);
    free(b);
}

int dd_devbroker_processor_config(dd_config *cfg, const char *bootstraps, const char *redis_url,
                                  const char *group_id, const char *data_dir, char *errstr,
                                  size_t errlen)
{
    if (dd_config_set(cfg, "kafka.bootstrap.servers", bootstraps, errstr, errlen) ||
        dd_config_set(cfg, "redis.url", redis_url, errstr, errlen) ||
        dd_config_set(cfg, "group.id", group_id, errstr, errlen) ||
        dd_config_set(cfg, "log.level", "warn", errstr, errlen) ||
        dd_config_set(cfg, "stats.interval_s", "0", errstr, errlen) ||
        dd_config_set(cfg, "kafka.fetch.wait.max.ms", "2", errstr, errlen) ||
        (data_dir && dd_config_set(cfg, "data.dir", data_dir, errstr, errlen)))
        return -1;
    return 0;
}
