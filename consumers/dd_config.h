/*
 * dd_config — configuration of `drgdip run` (and `drgdip demo` / `bench`).
 *
 * Sources, later wins: built-in defaults < `key = value` file (`#` starts a
 * comment line; blank lines ignored; whitespace around key and value
 * trimmed) < environment variables DRGDIP_<KEY> (the key upper-cased with
 * '.' -> '_', e.g. DRGDIP_REDIS_URL, DRGDIP_BATCH_MAX_EVENTS,
 * DRGDIP_KAFKA_SASL_PASSWORD) < dd_config_set() calls.
 *
 * Keys:
 *   kafka.<prop>          passed verbatim (minus "kafka.") to librdkafka, so
 *                         SASL/SSL and every tuning knob work without code
 *                         changes. From the environment DRGDIP_KAFKA_<X>
 *                         maps to kafka.<x lower-cased, '_' -> '.'>.
 *                         kafka.bootstrap.servers defaults to localhost:9092.
 *   redis.url             redis://host:port[/db] or unix:///path (default
 *                         redis://127.0.0.1:6379)
 *   redis.password        "" = none
 *   pseudonym.key         32 hex digits (SipHash key for psn_no); default a
 *                         fixed DEVELOPMENT key (dd_config_pseudonym_key says so)
 *   input.topic           drgdip.settlements
 *   group.id              drgdip
 *   output.case_results   drgdip.case-results ("" disables the feed)
 *   output.dlq            drgdip.dlq
 *   output.alerts         drgdip.alerts (SPEC §8 alerts, JSON, key admdvs)
 *   alerts.enabled        true | false: evaluate and produce alerts
 *   alerts.eval_interval_ms 500 (0..600000): evaluate at most this often
 *                         (the batches in between are evaluated together;
 *                         0 = after every batch)
 *   output.format         json | avro: the form of the snapshots on
 *                         output.snapshots (case results and DLQ are JSON
 *                         either way)
 *   output.snapshots      drgdip.snapshots (MONTH_CLOSE snapshots)
 *   month_close.scheduler off | on: emit MONTH_CLOSE events to input.topic
 *                         at each region's cut-off (docs/streaming.md)
 *   month_close.check_s   60 (1..86400): how often the scheduler looks
 *   month_close.now       "" = the wall clock; an ISO-8601 instant with
 *                         offset fixes the scheduler's "now" (for tests)
 *   data.dir              "" = the shipped data (override directory otherwise)
 *   batch.max_events      5000 (1..1000000)
 *   batch.max_ms          20 (1..60000)
 *   redis.retry_max_ms    5000: cap of the back-off while Redis is down
 *   stats.interval_s      10: periodic stats log line of `drgdip run` (0 = off)
 *   cache.max_cases       200000: the in-memory case cache is emptied beyond
 *                         this (cases are re-read from Redis on demand)
 *   log.level             info (error | warn | info | debug)
 * Any other non-kafka key is an error (typos must not pass silently).
 */
#ifndef DD_CONFIG_H
#define DD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct dd_config dd_config;

/* Defaults filled in. NULL on out of memory. */
dd_config *dd_config_new(void);
void dd_config_destroy(dd_config *cfg);

/* Set one key (validated: unknown non-kafka key, bad integer, bad log level,
 * bad pseudonym key ... -> -1 with errstr). */
int dd_config_set(dd_config *cfg, const char *key, const char *value, char *errstr, size_t errlen);

/* Read a `key = value` file; errors "FILE line N: ...". */
int dd_config_load_file(dd_config *cfg, const char *path, char *errstr, size_t errlen);

/* Apply DRGDIP_* variables of envp (NULL-terminated "NAME=value" array,
 * e.g. `environ`). Unknown DRGDIP_ names that are not kafka keys are an
 * error, except names other commands use (DRGDIP_BIN, DRGDIP_DATA = the
 * default data directory, DRGDIP_BROKERS, DRGDIP_CONFIG), which are skipped. */
int dd_config_apply_env(dd_config *cfg, char **envp, char *errstr, size_t errlen);

/* Current value (never NULL for a known key; NULL for an unset kafka key or
 * an unknown key). */
const char *dd_config_get(const dd_config *cfg, const char *key);
/* Integer value of a known integer key (batch.max_events ...). */
int64_t dd_config_get_int(const dd_config *cfg, const char *key);

/* kafka.* keys in the order first set: i-th property name without the
 * "kafka." prefix and its value. Returns the count. */
int dd_config_kafka_count(const dd_config *cfg);
void dd_config_kafka_at(const dd_config *cfg, int i, const char **prop, const char **value);

/* The pseudonym key as 16 bytes; returns 1 when it is the built-in
 * development key (the caller logs a WARN), 0 when configured. */
int dd_config_pseudonym_key(const dd_config *cfg, uint8_t key[16]);

/* Log levels: 0 error, 1 warn, 2 info, 3 debug. */
int dd_config_log_level(const dd_config *cfg);

#endif
