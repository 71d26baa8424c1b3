/*
 * dd_processor — the streaming processor behind `drgdip run`: Kafka in,
 * exact totals in Redis, case results and DLQ out.
 *
 * Loop: poll the input topic (consumer group, enable.auto.commit=false,
 * auto.offset.reset=error) into a batch of up to batch.max_events messages
 * or batch.max_ms. Per message: decode (first byte '{' JSON, else Avro
 * single-object), validate against the dataset (bad -> DLQ with reason,
 * detail and source topic/partition/offset), skip it when its offset is <=
 * the offset stored in Redis for (region, partition) ("redelivered"), dedup
 * by event_id against Redis (dd:{R}:ev; first VALID event wins, as
 * dd_ledger), pseudonymise psn_no, apply it to the case (cache in memory,
 * misses fetched from Redis once per batch, pipelined) and sum the counter
 * deltas counters(new) - counters(old) per totals key. Then ONE dd_store
 * commit (one atomic script per region, with the (region, partition)
 * offsets), then case results are produced (not awaited), and the Kafka
 * offsets of a batch are committed once all its outputs (and those of every
 * earlier batch) are acknowledged: asynchronously, checked after each batch
 * and when idle; on stop and revoke after a flush, synchronously.
 * A crash anywhere therefore re-delivers only
 * events whose effects Redis either fully holds (skipped by offset) or does
 * not hold at all.
 *
 * Redis down: the assigned partitions are paused (poll keeps being called so
 * the member stays in the group), the commit is retried with back-off
 * (redis.retry_max_ms cap), Kafka offsets are never committed past what
 * Redis holds. A server restart (dd_store stats.server_restarts) or a new
 * assignment re-reads stored offsets and drops the case cache. On revoke
 * the current batch is finished and committed first.
 *
 * An offset reset (RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET, offset out of
 * range) is LOUD: an ERROR log line, stats.offset_resets, a DLQ note with
 * reason OFFSET_RESET, and run() returns -1 (fatal: never a silent skip; an
 * operator decides how to recover). A partition the group never committed
 * starts at the beginning (the Redis offsets skip what is counted).
 *
 * Budgets: one append-only field per BUDGET event in dd:{R}:b:<insutype>:<YYYY>
 * (see dd_live.h); the reader takes the greatest (event_time, partition,
 * offset) — arrival order in a stream is (partition, offset).
 *
 * MONTH_CLOSE (dd_monthclose.h): after the Redis commit of its batch (so
 * the events before it in the batch are in Redis), every valid MONTH_CLOSE
 * — new, duplicate id or redelivered (a redelivered close must re-emit: the
 * crash path) — closes its month through one atomic script: the first
 * close stores the snapshot, every later one returns the stored bytes. The
 * snapshot goes to output.snapshots (key admdvs, header snapshot_id; JSON,
 * or Avro single-object with output.format = avro) as an output of the
 * batch: Kafka offsets are committed after its delivery. Redis down while
 * closing = wait and retry as for the commit; a close that cannot finish
 * leaves the batch's Kafka offsets uncommitted (redelivered, closed again).
 * Scheduler (month_close.scheduler = on): every month_close.check_s the
 * loop produces to the input topic a MONTH_CLOSE event for each (region,
 * insutype, month with data) past its cut-off and not closed, once per
 * process (event_id = snapshot id, so copies are duplicates).
 *
 * Case results go to output.case_results as JSON (fields of
 * schemas/case-result.avsc, a subset); DLQ messages to output.dlq as JSON
 * with the fields of schemas/dlq.avsc (key and original base64-encoded).
 * Both are produced after the Redis commit and delivered before the Kafka
 * offsets are committed: at-least-once with deterministic ids, except for
 * a crash between the Redis commit and their delivery (docs/streaming.md).
 *
 * Alerts (SPEC §8, alerts.enabled, default true): consumers/dd_stream_alerts
 * keeps the rules' state in the same region scripts as the totals, evaluates
 * the scopes of the committed batches with the core rules (core/dd_alert.h)
 * at most every alerts.eval_interval_ms (500; 0 = after each batch; also
 * when idle and at the stop), decides transitions in one script per region
 * and produces the fired alerts to output.alerts; a Redis outbox re-produces
 * them after a crash (at-least-once).
 *
 * Reload (SPEC §9, dd_processor_set_reload): when the request counter
 * moves, BETWEEN batches (never inside one) the loader is called for a new
 * dataset. Failure: an ERROR line "reload failed: ..., keeping the current
 * tables" and the old dataset stays. Success: outputs are flushed and the
 * Kafka offsets committed synchronously (no delivery report refers to old
 * objects), the case cache is dropped (its group memos were computed with
 * the old tables), what is built from the dataset is rebuilt (the alert
 * rules, the per-region offset table: re-read from Redis), the new dataset
 * is used for every later event (a removed region/hospital: bad event, DLQ)
 * and the old one is handed to the release callback. Totals already in
 * Redis are never re-scored (that is a replay). stats.reloads counts them.
 *
 * Threads: run() on one thread; get_stats() may be called from any other
 * thread at any time (atomics). Logs go to stderr, one line per notable
 * event ("drgdip run: LEVEL ..."; per-batch timings at debug), no personal data, filtered by log.level.
 */
#ifndef DD_PROCESSOR_H
#define DD_PROCESSOR_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_config.h"
#include "dd_refdata.h"

/* Latency histogram: bucket i counts commits whose latency (ms from the
 * Kafka message timestamp to the Redis commit that applied it) is
 * <= dd_processor_latency_bound_ms(i) (the last bucket is unbounded). */
#define DD_PROC_LAT_BUCKETS 32

typedef struct {
    uint64_t consumed;       /* messages read from the input topic */
    uint64_t applied;        /* events applied to Redis (valid, new) */
    uint64_t duplicates;     /* dropped: event_id seen before */
    uint64_t redelivered;    /* skipped: offset <= the one stored in Redis */
    uint64_t bad;            /* sent to the DLQ */
    uint64_t month_close;    /* months closed: MONTH_CLOSE snapshots created */
    uint64_t month_close_repeat; /* MONTH_CLOSE of a closed month: stored snapshot re-emitted */
    uint64_t batches;        /* Redis commits of non-empty batches */
    uint64_t redis_retries;  /* failed commit/fetch attempts retried */
    uint64_t offset_resets;  /* Kafka offset resets detected (loud) */
    uint64_t case_results;   /* case-result messages produced */
    uint64_t rebalances;     /* assignments + revocations */
    uint64_t kafka_commits;  /* successful Kafka offset commits */
    uint64_t cache_cases;    /* cases in the in-memory cache now */
    uint64_t alerts_fired;   /* alerts fired (transition scripts; recovered ones not counted) */
    uint64_t handled;        /* messages whose batch is fully handled: in Redis, months
                                closed, alerts evaluated, outputs queued */
    uint64_t alerts_cleared; /* active alerts that became inactive */
    uint64_t reloads;        /* successful dataset reloads (SIGHUP) */
    int64_t last_commit_ms;  /* wall time (ms since epoch) of the last Redis commit, 0 none */
    uint64_t latency[DD_PROC_LAT_BUCKETS];
} dd_processor_stats;

typedef struct dd_processor dd_processor;

/* Build the Kafka consumer + producer and the Redis store from cfg
 * (cfg and ds are borrowed: they must outlive the processor). Fails fast
 * on a bad Kafka property; Redis is connected lazily (it may be down at
 * start). NULL with errstr on failure. */
dd_processor *dd_processor_new(const dd_config *cfg, const dd_dataset *ds, char *errstr,
                               size_t errlen);

/* Reload of the dataset. load: a fresh dataset (the processor borrows it
 * from now on if the switch succeeds), or NULL with errstr. release: the
 * processor no longer uses ds: the OLD dataset after a successful switch,
 * or the NEW one when the switch was refused after loading (e.g. its alert
 * rules are invalid); the caller owns both and frees them there. The
 * dataset in use when the processor is destroyed is NOT released (the
 * caller frees it after dd_processor_destroy). */
typedef const dd_dataset *(*dd_processor_reload_fn)(void *ctx, char *errstr, size_t errlen);
typedef void (*dd_processor_release_fn)(void *ctx, const dd_dataset *ds);

/* Call before run(): reload whenever *requests (incremented by a signal
 * handler) differs from the value seen last; several requests between two
 * batches make one reload. requests NULL: no reloads. source names what is
 * loaded in the INFO line "reloaded tables from SOURCE: N regions, M
 * hospitals" (e.g. the data directory). */
void dd_processor_set_reload(dd_processor *p, const volatile sig_atomic_t *requests,
                             dd_processor_reload_fn load, dd_processor_release_fn release,
                             void *ctx, const char *source);

/* Log lines start "drgdip run[member]:" instead of "drgdip run:" (member
 * > 0: one of several processors in one process, see dd_processor_group.h). */
void dd_processor_set_member(dd_processor *p, int member);

/* Consume until *stop becomes non-zero (signal handler / other thread),
 * then finish the batch, commit it (Redis, then Kafka) and close the
 * consumer (leave the group). 0 ok, -1 fatal (logged; errstr of the object
 * via dd_processor_errstr). Call at most once. */
int dd_processor_run(dd_processor *p, const volatile sig_atomic_t *stop);

/* Copy of the counters; thread-safe. */
void dd_processor_get_stats(const dd_processor *p, dd_processor_stats *out);
const char *dd_processor_errstr(const dd_processor *p);

/* Histogram helpers. */
int64_t dd_processor_latency_bound_ms(int bucket); /* INT64_MAX for the last */
/* q-quantile (0 < q <= 1) in ms: the upper bound of the bucket holding it
 * (the last bounded value for the overflow bucket); -1 when empty. */
int64_t dd_processor_stats_latency_ms(const dd_processor_stats *s, double q);
int64_t dd_processor_stats_p50_ms(const dd_processor_stats *s);
int64_t dd_processor_stats_p99_ms(const dd_processor_stats *s);

void dd_processor_destroy(dd_processor *p);

#endif
