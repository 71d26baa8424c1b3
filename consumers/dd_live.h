/*
 * dd_live — the LIVE snapshot of one (admdvs, insutype, month) read back
 * from the Redis totals written by dd_processor (docs/redis-layout.md):
 * HGETALL dd:{R}:hs:<insutype>:<YYYY-MM> for the hospitals present, then
 * each hospital's dd:{R}:h:... counters and the budget hash dd:{R}:b:...,
 * fed to dd_snapshot_build (kind LIVE). For the same events the figures
 * equal `drgdip replay`'s.
 */
#ifndef DD_LIVE_H
#define DD_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "dd_config.h"
#include "dd_refdata.h"
#include "dd_snapshot.h"
#include "dd_store.h"

/* month is a dd_time month index (year * 12 + month - 1). 0, or -1 with
 * errstr (unknown region, Redis error, a counter that is not an integer).
 * Free out with dd_snapshot_free. */
int dd_live_snapshot(dd_store *st, const dd_dataset *ds, const char *admdvs, int insutype,
                     int32_t month, dd_snapshot *out, char *errstr, size_t errlen);

/* Budget of a region month from Redis by the dd_ledger_budget rule (the
 * monthly record, else the yearly one / 12 rounded half away from zero,
 * else 0). 0 or -1 with errstr. */
int dd_live_budget(dd_store *st, const char *admdvs, int insutype, int32_t month,
                   int64_t *budget_fen, char *errstr, size_t errlen);

/* Budgets are append-only (so several processors never race on one
 * field): hash dd:{R}:b:<insutype>:<YYYY>, one field per BUDGET event,
 * "<MM>|<event_time_ms>|<partition>|<offset>" (MM "00" = yearly), value the
 * amount in fen. The current budget of a month is the field with the
 * greatest (event_time, partition, offset) — arrival order in a stream is
 * (partition, offset). format returns the length or -1; parse 0 or -1. */
int dd_live_budget_field(char *buf, size_t cap, int month_num, int64_t event_time_ms,
                         int32_t partition, int64_t offset);
int dd_live_budget_field_parse(const char *s, int *month_num, int64_t *event_time_ms,
                               int32_t *partition, int64_t *offset);

/* A store for readers of the live totals (`drgdip snapshot`, `settle --redis`):
 * `url`, else the config's redis.url; the config's redis.password; 2 retries.
 * NULL with errstr on a bad URL. cfg may be NULL. */
dd_store *dd_live_connect(const dd_config *cfg, const char *url, char *errstr, size_t errlen);

#endif
