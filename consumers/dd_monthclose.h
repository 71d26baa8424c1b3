/*
 * dd_monthclose — closing a month (SPEC §2 MONTH_CLOSE, §7 snapshots,
 * §10 outputs): the MONTH_CLOSE snapshot of one (region R, insurance type,
 * month M) is built ONCE, stored in Redis and never rewritten; every later
 * close of the same key (a redelivered or re-sent MONTH_CLOSE, a second
 * processor's scheduler) returns the stored bytes, so duplicates on
 * drgdip.snapshots are byte-identical.
 *
 * Closing (R, ins, M):
 *  a. the live figures of dd_live_snapshot(), kind MONTH_CLOSE;
 *  b. late adjustments: for every EARLIER closed month M' of (R, ins), the
 *     current region totals dd:{R}:t:<ins>:<M'> (`eligible`, `points`)
 *     minus the baseline last reported for M' (hash dd:{R}:mc:<ins>, field
 *     "YYYY-MM", value "<eligible cases> <points 1/10000>"):
 *       late cases  = Σ (eligible now − eligible reported)
 *       late points = Σ (points now − points reported)
 *     i.e. NET changes of closed months since they were last reported: a
 *     case that became eligible later (late list, QC passed, new
 *     settlement) +1, a reversal of an eligible case −1, a re-coded list 0
 *     cases and ± its point change;
 *  c. the SPEC §7 JSON (dd_snapshot_to_json) and the Avro single-object
 *     form (schemas/snapshot.avsc) of that snapshot;
 *  d. ONE Lua script (dd_store_eval, all keys under {R}): when the snapshot
 *     hash dd:{R}:snap:<ins>:<YYYY-MM> exists, return it untouched
 *     (created 0). Otherwise, if dd:{R}:mc:<ins> still holds exactly what
 *     (b) read (else: start again at (a), a concurrent close moved it),
 *     store the snapshot (fields id, json, avro), set M's baseline to the
 *     figures IN the snapshot and each M' baseline to the values read in
 *     (b) (not re-read in the script: a change landing between (a) and (d)
 *     is then reported by the next close instead of being lost), created 1.
 * A crash before (d) leaves nothing; after (d) a retry re-emits the stored
 * bytes. A month without any data closes too (no hospitals, its budget,
 * the late adjustments of earlier months).
 *
 * Snapshot id: "MONTH_CLOSE:<R>:<ins>:<YYYY-MM>", also the event_id of the
 * scheduler's MONTH_CLOSE events and the `snapshot_id` Kafka header.
 *
 * Scheduler helper: the months with data of a region are the fields
 * "<ins>:<YYYY-MM>" of dd:{R}:months (written by the processor when a case
 * enters a scope); a month is due when its cut-off (policy
 * month_close.day, default 10, of the next month, 00:00 Asia/Shanghai:
 * dd_time_close_cutoff_ms) is <= now and it is not closed yet.
 */
#ifndef DD_MONTHCLOSE_H
#define DD_MONTHCLOSE_H

#include <stddef.h>
#include <stdint.h>

#include "dd_avro.h"
#include "dd_json.h"
#include "dd_refdata.h"
#include "dd_store.h"

typedef struct {
    int created;               /* 1 closed by this call; 0 already closed (stored copy) */
    char id[64];               /* "MONTH_CLOSE:<R>:<ins>:<YYYY-MM>" */
    char *json;                /* SPEC §7 JSON, NUL-terminated, no newline */
    size_t json_len;
    unsigned char *avro;       /* Avro single-object message; NULL/0 when none stored */
    size_t avro_len;
    int n_hospitals;           /* created only */
    int64_t late_cases;        /* created only */
    int64_t late_points_e4;    /* created only */
} dd_monthclose_result;

/* Keys / ids (length or -1 when it does not fit / bad region). month is a
 * dd_time month index. */
int dd_monthclose_id(char *buf, size_t cap, const char *admdvs, int insutype, int32_t month);
int dd_monthclose_key_snapshot(char *buf, size_t cap, const char *admdvs, int insutype,
                               int32_t month); /* dd:{R}:snap:<ins>:<YYYY-MM> */
int dd_monthclose_key_closed(char *buf, size_t cap, const char *admdvs,
                             int insutype);    /* dd:{R}:mc:<ins> */
int dd_monthclose_key_months(char *buf, size_t cap, const char *admdvs); /* dd:{R}:months */
int dd_monthclose_months_field(char *buf, size_t cap, int insutype,
                               int32_t month); /* "<ins>:<YYYY-MM>" */

/* Close (R, ins, month) as above. snap_codec: a codec of
 * dd_avro_out_codec_new("snapshot") (NULL: no Avro form is stored). 0 with
 * *out filled (free with dd_monthclose_result_free), or -1 with errstr; a
 * store failure leaves dd_store_err(st) set (DD_STORE_ERR_IO: retrying is
 * safe). */
int dd_monthclose_close(dd_store *st, const dd_dataset *ds, dd_avro_codec *snap_codec,
                        const char *admdvs, int insutype, int32_t month,
                        dd_monthclose_result *out, char *errstr, size_t errlen);

/* The stored snapshot of a closed month: 1 (out filled, created 0), 0 not
 * closed, -1 error (errstr). */
int dd_monthclose_read(dd_store *st, const char *admdvs, int insutype, int32_t month,
                       dd_monthclose_result *out, char *errstr, size_t errlen);

void dd_monthclose_result_free(dd_monthclose_result *r);

/* The late adjustments a close of (R, ins, month) would report now (step b:
 * net changes of the earlier closed months since last reported), for a LIVE
 * snapshot. 0 or -1 (errstr). */
int dd_monthclose_pending_late(dd_store *st, const char *admdvs, int insutype, int32_t month,
                               int64_t *cases, int64_t *points_e4, char *errstr, size_t errlen);

/* ---------------- scheduler ---------------- */

typedef struct {
    char admdvs[8];
    int insutype;
    int32_t month;
    int64_t cutoff_ms;
} dd_monthclose_due;

/* Every (R, ins, M) of the dataset's regions with data whose cut-off is
 * <= now_ms and that is not closed, sorted by (region, ins, month). One
 * pipelined read. 0 (*out malloc'ed, NULL when *n == 0) or -1 (errstr;
 * dd_store_err set on a store failure). */
int dd_monthclose_find_due(dd_store *st, const dd_dataset *ds, int64_t now_ms,
                           dd_monthclose_due **out, size_t *n, char *errstr, size_t errlen);

/* The MONTH_CLOSE event (SPEC §2, JSON form) the scheduler produces:
 * event_id = the snapshot id, event_time = the cut-off (+08:00). */
void dd_monthclose_event_json(const dd_monthclose_due *d, dd_jw *w);

#endif
