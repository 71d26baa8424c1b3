/*
 * dd_devbroker — an in-process Kafka cluster for development, demos, tests
 * and benchmarks: librdkafka's mock cluster (rdkafka_mock.h, librdkafka 2.0.2)
 * listening on 127.0.0.1 (ephemeral ports), with the drgdip topics created:
 *
 *   drgdip.settlements    `partitions` partitions (input, SPEC §2)
 *   drgdip.case-results, drgdip.alerts, drgdip.snapshots, drgdip.dlq
 *                         `partitions` partitions too (keys as SPEC §10)
 *
 * Replication factor 1. Other topics are auto-created on first use.
 * Retention: the mock keeps per PARTITION at most 5 MiB of record batches and
 * 100,000 batches; beyond that it silently drops the OLDEST batches (see
 * docs/dev-broker.md). So more partitions = more room: the default
 * (DD_DEVBROKER_DEFAULT_PARTITIONS) holds 8 x 5 MiB per topic.
 * State lives in memory only and is gone after dd_devbroker_destroy.
 *
 * The cluster runs on librdkafka's own threads; the caller only keeps the
 * handle. Thread-safe to create several (each has its own ports).
 */
#ifndef DD_DEVBROKER_H
#define DD_DEVBROKER_H

#include <stddef.h>

#include "dd_config.h"

#define DD_DEVBROKER_DEFAULT_PARTITIONS 8
#define DD_DEVBROKER_MAX_PARTITIONS 1024
/* What the mock keeps per partition before pruning (librdkafka 2.0.2,
 * rd_kafka_mock_partition_init: max_size, max_cnt). */
#define DD_DEVBROKER_PARTITION_MAX_BYTES (5 * 1024 * 1024)
#define DD_DEVBROKER_PARTITION_MAX_BATCHES 100000

/* The topics created, NULL-terminated; [0] is the input topic. */
extern const char *const dd_devbroker_topics[];

typedef struct dd_devbroker dd_devbroker;

/* Start a cluster of `brokers` (1..8; 0 = 1) brokers with the topics above
 * of `partitions` (1..DD_DEVBROKER_MAX_PARTITIONS; 0 = default) partitions.
 * NULL with a message in errstr on failure. */
dd_devbroker *dd_devbroker_new(int partitions, int brokers, char *errstr, size_t errcap);

/* "127.0.0.1:PORT[,127.0.0.1:PORT...]" for bootstrap.servers; owned by b. */
const char *dd_devbroker_bootstraps(const dd_devbroker *b);
int dd_devbroker_partitions(const dd_devbroker *b);

/* Stops the cluster (clients still connected see it disappear). NULL ok. */
void dd_devbroker_destroy(dd_devbroker *b);

/* Settings of an in-process processor on the dev broker (demo, bench):
 * bootstrap list, redis.url, group.id, data.dir (NULL: the shipped data),
 * warn-level logs without periodic stats, and kafka.fetch.wait.max.ms 2:
 * the mock broker answers a fetch of an empty partition only when that wait
 * runs out (default 500 ms), even if data arrives meanwhile, where a real
 * broker answers at once (2 ms: ~4 ms less latency on average than 10, for
 * ~5% of a core more while idle). 0, or -1 with errstr. */
int dd_devbroker_processor_config(dd_config *cfg, const char *bootstraps, const char *redis_url,
                                  const char *group_id, const char *data_dir, char *errstr,
                                  size_t errlen);

#endif
