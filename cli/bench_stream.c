/*
 * drgdip bench stream — streaming throughput and latency on this machine,
 * in one run on an in-process dev broker and a private redis-server:
 *   (a) raw consume rate of the filled input topic by a librdkafka consumer
 *       that does nothing with the messages (the ceiling),
 *   (b) end-to-end events/s of the processor (drgdip run) from its first
 *       consumed message to the last event applied in Redis, on the same
 *       topic, and their ratio,
 *   (c) produce -> Redis-commit latency p50/p99 (the processor's latency
 *       histogram) while a producer sends at a fixed rate (default 10,000
 *       events/s) to the caught-up processor.
 * Figures, never pass/fail. The events are `drgdip gen` output.
 */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dd_bench.h"
#include "dd_config.h"
#include "dd_datadir.h"
#include "dd_devbroker.h"
#include "dd_gen.h"
#include "dd_processor_group.h"
#include "dd_produce.h"
#include "dd_redis_server.h"
#include "dd_time.h"

extern char **environ;

#define BENCH_TOPIC "drgdip.settlements"

static void bench_stream_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip bench [stream] [--events N] [--format avro|json|mix]\n"
            "                    [--partitions P] [--rate R] [--latency-seconds S]\n"
            "                    [--threads N]\n"
            "                    [--data DIR] [--json]\n\n"
            "Streaming benchmark on an in-process Kafka dev broker and a private\n"
            "redis-server: (a) raw consume rate of the input topic by a consumer that\n"
            "does nothing, (b) end-to-end events/s of the processor from the first\n"
            "event consumed to the last applied in Redis, (c) produce->Redis-commit\n"
            "latency p50/p99 at a fixed produce rate.\n\n"
            "  --events N           events for (a) and (b) (default 250000)\n"
            "  --format F           wire format (default avro)\n"
            "  --partitions P       input topic partitions (default 32; the dev broker\n"
            "                       keeps 5 MiB per partition)\n"
            "  --rate R             events/s for the latency run (default 10000)\n"
            "  --latency-seconds S  length of the latency run (default 5)\n"
            "  --threads N          processor.threads: consumer-group members of the\n"
            "                       processor in one process (default 2)\n"
            "  --data DIR           data directory overriding the shipped one\n"
            "  --json               one JSON object on stdout: raw_consume_eps,\n"
            "                       end_to_end_eps, ratio, p50_ms, p99_ms, events, ...\n\n"
            "The processor's configuration is the dev-broker default plus the DRGDIP_*\n"
            "environment overrides of `drgdip run` (e.g. DRGDIP_ALERTS_ENABLED=false to\n"
            "measure without alert evaluation, DRGDIP_LOG_LEVEL=debug for per-batch\n"
            "timings on stderr).\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

typedef struct {
    dd_producer *prod;
    uint64_t sent;
    double rate;  /* 0 = as fast as possible */
    double t0;
    uint64_t max; /* stop after this many (0 = all) */
    int failed;
} bsink;

static int bench_sink(void *ctx, const dd_event *ev)
{
    bsink *s = ctx;
    if (s->max && s->sent >= s->max)
        return 1;
    if (s->rate > 0) {
        if (s->sent == 0)
            s->t0 = now_s();
        double due = s->t0 + (double)s->sent / s->rate;
        double wait = due - now_s();
        if (wait > 0.0005) {
            dd_producer_poll(s->prod, 0);
            sleep_s(wait);
        }
    }
    if (dd_producer_send_event(s->prod, ev)) {
        s->failed = 1;
        return 1;
    }
    s->sent++;
    return 0;
}

static uint64_t processed(const dd_processor_stats *s)
{
    return s->applied + s->duplicates + s->bad + s->redelivered;
}

/* (a): read every message of the topic from the beginning, doing nothing. */
static int raw_consume(const char *brokers, int partitions, uint64_t expect, double *eps,
                       char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char e[256];
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, e, sizeof e) ||
        rd_kafka_conf_set(conf, "group.id", "drgdip-bench-raw", e, sizeof e) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", e, sizeof e) ||
        rd_kafka_conf_set(conf, "enable.partition.eof", "false", e, sizeof e)) {
        snprintf(err, errlen, "raw consumer: %s", e);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!rk) {
        snprintf(err, errlen, "raw consumer: %s", e);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(partitions);
    for (int i = 0; i < partitions; i++)
        rd_kafka_topic_partition_list_add(parts, BENCH_TOPIC, i)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, parts); /* no group join: just read */
    rd_kafka_topic_partition_list_destroy(parts);
    uint64_t n = 0;
    double t_first = 0, t_last = 0, deadline = now_s() + 120;
    int rc = 0;
    while (n < expect) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            if (now_s() > deadline) {
                snprintf(err, errlen, "raw consumer: %llu of %llu messages after 120 s",
                         (unsigned long long)n, (unsigned long long)expect);
                rc = -1;
                break;
            }
            continue;
        }
        if (!m->err) {
            if (n == 0)
                t_first = now_s();
            n++;
            t_last = now_s();
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    /* the first message's own read is not timed: (n - 1) intervals */
    *eps = (rc == 0 && t_last > t_first) ? (double)(n - 1) / (t_last - t_first) : 0;
    return rc;
}

int dd_bench_stream(int argc, char **argv)
{
    long events = 250000, partitions = 32, rate = 10000, lat_s = 5, threads = -1;
    const char *data = NULL;
    int json = 0;
    dd_produce_format fmt = DD_PRODUCE_AVRO;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            bench_stream_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "drgdip bench stream: %s needs a value (or unknown option)\n", a);
            bench_stream_usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        char *end = NULL;
        long *target = NULL, lo = 1, hi = 0;
        if (!strcmp(a, "--events"))
            target = &events, lo = 1000, hi = 10000000;
        else if (!strcmp(a, "--partitions"))
            target = &partitions, lo = 1, hi = DD_DEVBROKER_MAX_PARTITIONS;
        else if (!strcmp(a, "--rate"))
            target = &rate, lo = 1, hi = 1000000;
        else if (!strcmp(a, "--latency-seconds"))
            target = &lat_s, lo = 1, hi = 600;
        else if (!strcmp(a, "--threads"))
            target = &threads, lo = 1, hi = 64;
        else if (!strcmp(a, "--data")) {
            data = v;
            continue;
        } else if (!strcmp(a, "--format")) {
            if (!strcmp(v, "json"))
                fmt = DD_PRODUCE_JSON;
            else if (!strcmp(v, "avro"))
                fmt = DD_PRODUCE_AVRO;
            else if (!strcmp(v, "mix"))
                fmt = DD_PRODUCE_MIX;
            else {
                fprintf(stderr, "drgdip bench stream: --format must be avro, json or mix\n");
                return 2;
            }
            continue;
        } else {
            fprintf(stderr, "drgdip bench stream: unknown option %s\n", a);
            bench_stream_usage(stderr);
            return 2;
        }
        *target = strtol(v, &end, 10);
        if (*end || !*v || *target < lo || *target > hi) {
            fprintf(stderr, "drgdip bench stream: %s must be %ld..%ld\n", a, lo, hi);
            return 2;
        }
    }

    char err[1024], tbuf[24];
    int ret = 1;
    dd_datadir *dd = NULL;
    dd_devbroker *broker = NULL;
    dd_redis_server *rs = NULL;
    dd_config *cfg = NULL;
    dd_producer *prod = NULL, *lprod = NULL;
    dd_gen *gen = NULL;
    dd_processor_group *pg = NULL;
    double raw_eps = 0, e2e_eps = 0;
    int64_t p50 = -1, p99 = -1;
    uint64_t lat_events = 0;

    dd = dd_datadir_open(data, err, sizeof err);
    if (!dd) {
        fprintf(stderr, "drgdip bench stream: %s\n", err);
        goto out;
    }
    const dd_dataset *ds = dd_datadir_dataset(dd);
    gen = dd_gen_open(ds, data, err, sizeof err);
    if (!gen) {
        fprintf(stderr, "drgdip bench stream: %s\n", err);
        goto out;
    }
    broker = dd_devbroker_new((int)partitions, 1, err, sizeof err);
    if (!broker) {
        fprintf(stderr, "drgdip bench stream: dev broker: %s\n", err);
        goto out;
    }
    rs = dd_redis_server_new(NULL, err, sizeof err);
    if (!rs) {
        fprintf(stderr, "drgdip bench stream: redis-server: %s\n", err);
        goto out;
    }
    const char *bs = dd_devbroker_bootstraps(broker);

    /* fill the topic: gen at ~4 events per settlement */
    prod = dd_producer_new(bs, BENCH_TOPIC, fmt, NULL, err, sizeof err);
    if (!prod) {
        fprintf(stderr, "drgdip bench stream: %s\n", err);
        goto out;
    }
    int32_t month = dd_time_month_make(2025, 3);
    dd_gen_options go = {.cases = (int)(events / 4 + 1), .month = month, .months = 1, .seed = 1};
    bsink fill = {.prod = prod, .max = (uint64_t)events};
    if (!json)
        fprintf(stderr, "bench stream: producing %ld events (%s) to %ld partitions...\n", events,
                fmt == DD_PRODUCE_AVRO ? "avro" : fmt == DD_PRODUCE_JSON ? "json" : "mix",
                partitions);
    double tp0 = now_s();
    if (dd_gen_run(gen, &go, bench_sink, &fill, NULL, err, sizeof err) < 0 || fill.failed) {
        fprintf(stderr, "drgdip bench stream: %s\n", fill.failed ? dd_producer_errstr(prod) : err);
        goto out;
    }
    if (dd_producer_flush(prod, 120000)) {
        fprintf(stderr, "drgdip bench stream: delivery: %s\n", dd_producer_errstr(prod));
        goto out;
    }
    double produce_eps = (double)fill.sent / (now_s() - tp0);
    uint64_t total = fill.sent;

    /* (a) */
    if (raw_consume(bs, (int)partitions, total, &raw_eps, err, sizeof err)) {
        fprintf(stderr, "drgdip bench stream: %s\n", err);
        goto out;
    }
    if (!json)
        fprintf(stderr, "bench stream: (a) raw consume %.0f events/s\n", raw_eps);

    /* (b) */
    cfg = dd_config_new();
    if (!cfg ||
        dd_devbroker_processor_config(cfg, bs, dd_redis_server_url(rs), "drgdip-bench", data, err,
                                      sizeof err) ||
        dd_config_set(cfg, "pseudonym.key", "000102030405060708090a0b0c0d0e0f", err,
                      sizeof err) ||
        /* the mock cluster's group join waits for these: keep them short */
        dd_config_set(cfg, "kafka.session.timeout.ms", "6000", err, sizeof err) ||
        dd_config_set(cfg, "kafka.heartbeat.interval.ms", "500", err, sizeof err) ||
        dd_config_set(cfg, "processor.threads", "2", err, sizeof err) ||
        dd_config_apply_env(cfg, environ, err, sizeof err)) {
        fprintf(stderr, "drgdip bench stream: config: %s\n", cfg ? err : "out of memory");
        goto out;
    }
    if (threads > 0)
        snprintf(tbuf, sizeof tbuf, "%ld", threads);
    if ((threads > 0 && dd_config_set(cfg, "processor.threads", tbuf, err, sizeof err))) {
        fprintf(stderr, "drgdip bench stream: config: %s\n", err);
        goto out;
    }
    threads = dd_config_get_int(cfg, "processor.threads");
    dd_processor_group_opts gopts = {.members = (int)threads};
    pg = dd_processor_group_start(cfg, ds, &gopts, err, sizeof err);
    if (!pg) {
        fprintf(stderr, "drgdip bench stream: processor: %s\n", err);
        goto out;
    }
    dd_processor_stats ps;
    double t_first = 0, t_done = 0, deadline = now_s() + 600;
    for (;;) {
        dd_processor_group_stats(pg, &ps);
        double t = now_s();
        if (!t_first && ps.consumed > 0)
            t_first = t;
        if (processed(&ps) >= total) {
            t_done = t;
            break;
        }
        int stopped = dd_processor_group_done(pg, NULL);
        if (stopped || t > deadline) {
            fprintf(stderr, "drgdip bench stream: processor %s after %llu of %llu events%s%s\n",
                    stopped ? "stopped" : "too slow",
                    (unsigned long long)processed(&ps), (unsigned long long)total,
                    stopped ? ": " : "", stopped ? dd_processor_group_errstr(pg) : "");
            goto out;
        }
        sleep_s(0.002);
    }
    e2e_eps = t_done > t_first ? (double)total / (t_done - t_first) : 0;
    if (!json)
        fprintf(stderr,
                "bench stream: (b) end-to-end %.0f events/s (%llu applied, %llu duplicates, "
                "%llu bad, %llu Redis commits)\n",
                e2e_eps, (unsigned long long)ps.applied, (unsigned long long)ps.duplicates,
                (unsigned long long)ps.bad, (unsigned long long)ps.batches);

    /* (c) fresh events (next month, another seed) at a fixed rate, small linger */
    const char *lat_props[] = {"linger.ms=1", NULL};
    lprod = dd_producer_new(bs, BENCH_TOPIC, fmt, lat_props, err, sizeof err);
    if (!lprod) {
        fprintf(stderr, "drgdip bench stream: %s\n", err);
        goto out;
    }
    dd_processor_stats s0 = ps;
    uint64_t want = (uint64_t)rate * (uint64_t)lat_s;
    dd_gen_options lo = {.cases = (int)(want / 4 + 1), .month = month + 1, .months = 1, .seed = 2};
    bsink ls = {.prod = lprod, .rate = (double)rate, .max = want};
    if (!json)
        fprintf(stderr, "bench stream: (c) producing %llu events at %ld/s...\n",
                (unsigned long long)want, rate);
    if (dd_gen_run(gen, &lo, bench_sink, &ls, NULL, err, sizeof err) < 0 || ls.failed) {
        fprintf(stderr, "drgdip bench stream: %s\n", ls.failed ? dd_producer_errstr(lprod) : err);
        goto out;
    }
    if (dd_producer_flush(lprod, 60000)) {
        fprintf(stderr, "drgdip bench stream: delivery: %s\n", dd_producer_errstr(lprod));
        goto out;
    }
    deadline = now_s() + 120;
    for (;;) {
        dd_processor_group_stats(pg, &ps);
        if (processed(&ps) >= total + ls.sent)
            break;
        if (dd_processor_group_done(pg, NULL) || now_s() > deadline) {
            fprintf(stderr, "drgdip bench stream: the latency run did not complete\n");
            goto out;
        }
        sleep_s(0.005);
    }
    dd_processor_stats d = ps;
    for (int i = 0; i < DD_PROC_LAT_BUCKETS; i++)
        d.latency[i] = ps.latency[i] - s0.latency[i];
    p50 = dd_processor_stats_latency_ms(&d, 0.50);
    p99 = dd_processor_stats_latency_ms(&d, 0.99);
    lat_events = ls.sent;

    double ratio = raw_eps > 0 ? e2e_eps / raw_eps : 0;
    if (json) {
        printf("{\"raw_consume_eps\":%.0f,\"end_to_end_eps\":%.0f,\"ratio\":%.3f,"
               "\"p50_ms\":%lld,\"p99_ms\":%lld,\"events\":%llu,\"format\":\"%s\","
               "\"partitions\":%ld,\"produce_eps\":%.0f,\"latency_rate_eps\":%ld,"
               "\"latency_events\":%llu,\"processor_threads\":%ld}\n",
               raw_eps, e2e_eps, ratio, (long long)p50, (long long)p99,
               (unsigned long long)total,
               fmt == DD_PRODUCE_AVRO ? "avro" : fmt == DD_PRODUCE_JSON ? "json" : "mix",
               partitions, produce_eps, rate, (unsigned long long)lat_events, threads);
    } else {
        printf("stream benchmark (%llu events, %s, %ld partitions, %ld processor thread(s), "
               "dev broker + private redis-server)\n"
               "  produce (fill)        %10.0f events/s\n"
               "  (a) raw consume       %10.0f events/s\n"
               "  (b) end-to-end        %10.0f events/s   ratio %.3f\n"
               "  (c) latency at %ld/s: p50 <= %lld ms, p99 <= %lld ms (%llu events; "
               "histogram bucket bounds)\n",
               (unsigned long long)total,
               fmt == DD_PRODUCE_AVRO ? "avro" : fmt == DD_PRODUCE_JSON ? "json" : "mix",
               partitions, threads, produce_eps, raw_eps, e2e_eps, ratio, rate, (long long)p50,
               (long long)p99, (unsigned long long)lat_events);
    }
    ret = 0;
out:
    dd_processor_group_stop(pg);
    dd_producer_destroy(lprod);
    dd_producer_destroy(prod);
    dd_config_destroy(cfg);
    dd_gen_destroy(gen);
    dd_redis_server_destroy(rs);
    dd_devbroker_destroy(broker);
    dd_datadir_close(dd);
    return ret;
}
