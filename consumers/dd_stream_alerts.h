/*
 * dd_stream_alerts — SPEC §8 alerts of `drgdip run`: the state the rules
 * need, kept in Redis next to the totals, evaluated after the batches with
 * the SAME rule functions as `drgdip replay --alerts` (core/dd_alert.h:
 * dd_alert_eval_*), one atomic transition script per region, and an outbox
 * for at-least-once delivery. Keys: docs/redis-layout.md ("Alerts").
 *
 * Per batch (called by dd_processor; one writer per hospital = per input
 * partition, so fetch-modify-commit of hospital keys is safe):
 *   1. case_before / case_change for every case change (old and new
 *      contribution): day counts dd:{R}:hd:<H> and year day counts
 *      dd:{R}:yd:<ins>:<YYYY> go into the store batch as HINCRBY deltas
 *      (same region script as the totals: exactly-once with them); the
 *      scopes to evaluate are noted (dd_alert.h "WHEN": old/new day, old/new
 *      month, the region's (insutype, month), BUDGET events; none for a
 *      change that moved no counter and no day count: every rule is a
 *      function of the aggregates); old and new contribution of one
 *      (insutype, month) go in as one net delta;
 *   2. prepare(): ONE pipelined read of the person stays touched
 *      (dd:{R}:p:<H>:<psn>), split flags recomputed as dd_alert.c does,
 *      stay writes (HSET / HDEL / EXPIRE ttl) and split-count deltas
 *      (dd:{R}:sa:<H>) into the store batch, and a marker
 *      dd:{R}:ae <token> -> the scope list (an evaluation owed);
 *   3. the processor commits the batch (totals + all of the above);
 *   4. evaluate(): ONE pipelined read (HGETALL) of the hashes the scopes
 *      need that are not cached (hospital keys, split counts, year day
 *      counts checked by their write count "w"; alert states by id once
 *      the region's dd:{R}:al is large), the rules, then per region ONE
 *      script that decides the
 *      transitions atomically (dd:{R}:al: alert_id -> "1:<occ>" active |
 *      "0:<occ>" inactive; fire = holds and inactive: occurrence + 1), stores
 *      each fired alert's JSON in the outbox dd:{R}:ao (field
 *      "<alert_id>#<occ>") and deletes the marker (a region with nothing to
 *      decide runs no script: its marker is deleted with its next batch or
 *      at flush()); out_at() then lists the fired alerts to produce (key
 *      admdvs, value the outbox JSON). Hospital keys are cached between
 *      forget() calls (this processor is their only writer);
 *   5. delivered(): after the delivery report the outbox field is deleted
 *      (with the next script call of that region).
 * recover() (start, Redis restart, after a failed evaluate): re-runs every
 * owed evaluation (all dd:{R}:ae markers) and lists every outbox entry for
 * producing again. So a crash can only duplicate an alert (same alert_id +
 * occurrence, byte-identical JSON), never lose one; two processors that
 * evaluate one region alert at once fire it once (the script is atomic).
 * Alerts are JSON (dd_alert_to_json) whatever output.format says.
 */
#ifndef DD_STREAM_ALERTS_H
#define DD_STREAM_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "dd_alert.h"
#include "dd_case.h"
#include "dd_refdata.h"
#include "dd_store.h"

typedef struct dd_stream_alerts dd_stream_alerts;

/* Rules of every region from its policy. NULL with errstr. */
dd_stream_alerts *dd_stream_alerts_new(const dd_dataset *ds, char *errstr, size_t errlen);
void dd_stream_alerts_destroy(dd_stream_alerts *s);

/* Drop the cached hospital keys: call whenever this processor may no
 * longer be the only writer of a hospital or Redis may have lost writes
 * (partitions assigned / revoked, Redis restarted, a batch not committed). */
void dd_stream_alerts_forget(dd_stream_alerts *s);
/* Forget the batch (call before each batch attempt). */
void dd_stream_alerts_batch_reset(dd_stream_alerts *s);
/* The case as it is before an event is applied (c, its contribution cb). */
void dd_stream_alerts_case_before(dd_stream_alerts *s, const dd_case *c, const dd_contrib *cb);
/* The event changed the case (old -> new contribution; c is the new case):
 * day-count deltas into sb, scopes noted. 0 or -1 (out of memory / batch). */
int dd_stream_alerts_case_change(dd_stream_alerts *s, dd_store_batch *sb, const dd_case *c,
                                 const dd_contrib *old_c, const dd_contrib *new_c);
/* An applied BUDGET event. */
int dd_stream_alerts_budget(dd_stream_alerts *s, const char *admdvs, int insutype, int year);

/* Step 2 above. 0; -1 on a store error (sb untouched: retry or drop the
 * batch), -2 out of memory / batch error. */
int dd_stream_alerts_prepare(dd_stream_alerts *s, dd_store *st, dd_store_batch *sb);

/* After each committed batch: its deltas into the caches, its scopes and
 * markers owed to the next evaluate() (which may come a few batches later:
 * the owed scopes accumulate). 0, or -1 (out of memory: caches forgotten,
 * recover() due). */
int dd_stream_alerts_committed(dd_stream_alerts *s);
/* 1 when committed batches wait for an evaluate(). */
int dd_stream_alerts_owed(const dd_stream_alerts *s);
/* Step 4 (after committed(), at once or for several batches): 0, or -1 (store error: the markers stay, call
 * recover() later). Fired alerts: out_count / out_at until the next call. */
int dd_stream_alerts_evaluate(dd_stream_alerts *s, dd_store *st);
/* Every owed evaluation and every outbox entry of every region. 0 or -1. */
int dd_stream_alerts_recover(dd_stream_alerts *s, dd_store *st);
/* 1 when a recover() is due (after a failure or a server restart seen). */
int dd_stream_alerts_recover_due(dd_stream_alerts *s, dd_store *st);

size_t dd_stream_alerts_out_count(const dd_stream_alerts *s);
/* The i-th alert to produce: JSON (len bytes), key = admdvs; *token is an
 * opaque delivery token (pass it to delivered(), exactly once). */
const char *dd_stream_alerts_out_at(dd_stream_alerts *s, size_t i, size_t *len, const char **key,
                                    void **token);
/* Delivery report of a produced alert (ok = delivered): the outbox entry
 * is deleted by the next script call of its region. Frees token. */
void dd_stream_alerts_delivered(dd_stream_alerts *s, void *token, int ok);
/* Send the pending outbox deletions now (e.g. when stopping). 0 or -1. */
int dd_stream_alerts_flush(dd_stream_alerts *s, dd_store *st);

typedef struct {
    uint64_t fired, cleared, evaluated, recovered, eval_failures;
} dd_stream_alerts_stats;
void dd_stream_alerts_get_stats(const dd_stream_alerts *s, dd_stream_alerts_stats *out);

#endif
