/*
 * dd_ledger — the in-memory engine behind `drgdip replay` (and the model the
 * streaming processor follows with Redis): event-id dedup, case states,
 * totals per scope, budgets.
 *
 * For each event: decode (JSON) -> validate against the dataset -> dedup by
 * event_id (the FIRST VALID event with an id is applied; later ones with that
 * id are dropped whatever their content; a bad event does not claim its id)
 * -> pseudonymise psn_no -> apply: a case event updates its case, and the
 * totals move by counters(new contribution) - counters(old contribution) at
 * the respective scopes (admdvs, insutype, month, hospital). BUDGET events
 * are kept per (region, insutype, year[, month]); MONTH_CLOSE is accepted and
 * counted but changes nothing here (a replay computes the final figures).
 *
 * Events are numbered in arrival order (1, 2, ...): the tie break of the
 * "latest" rule. Hash maps with open addressing, cases in chunks that never
 * move, list codes in an arena; large blocks are advised for transparent
 * huge pages: no allocation per event except when a table, the case chunks
 * or the arena grow. Not thread-safe (one ledger per thread).
 */
#ifndef DD_LEDGER_H
#define DD_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "dd_case.h"
#include "dd_event.h"
#include "dd_refdata.h"

typedef struct dd_ledger dd_ledger;

typedef enum {
    DD_LEDGER_APPLIED = 0,   /* valid and new (the state may or may not change) */
    DD_LEDGER_DUPLICATE = 1, /* event_id seen before: dropped */
    DD_LEDGER_BAD = 2,       /* bad event: err says why; nothing changed */
    DD_LEDGER_ERROR = 3      /* out of memory: err says so */
} dd_ledger_outcome;

typedef struct {
    uint64_t read, applied, duplicates, bad, changed;
    uint64_t bad_by_reason[DD_BAD__COUNT];
    uint64_t by_type[DD_EV__COUNT]; /* applied, by type */
} dd_ledger_stats;

/* Called for every case whose state changed, with the old and new
 * contributions (case-results feed, alerts, Redis deltas). */
typedef void (*dd_ledger_case_fn)(void *ctx, const dd_case *c, const dd_contrib *old_c,
                                  const dd_contrib *new_c);

dd_ledger *dd_ledger_new(const dd_dataset *ds);
void dd_ledger_destroy(dd_ledger *l);
void dd_ledger_set_psn_key(dd_ledger *l, const uint8_t key[16]);
/* A hint: size the event-id table for n_events events up front (a replay
 * knows its input), so it does not grow (re-hash) on the way. */
void dd_ledger_reserve(dd_ledger *l, uint64_t n_events);
void dd_ledger_set_case_observer(dd_ledger *l, dd_ledger_case_fn fn, void *ctx);

/* One JSON text. */
dd_ledger_outcome dd_ledger_apply_json(dd_ledger *l, const char *text, size_t len,
                                       dd_event_error *err);
/* An already decoded event (e.g. from Avro): validate, dedup, apply. The
 * event's psn_no is pseudonymised in place. */
dd_ledger_outcome dd_ledger_apply_event(dd_ledger *l, dd_event *ev, dd_event_error *err);

const dd_ledger_stats *dd_ledger_get_stats(const dd_ledger *l);

/* Totals of one hospital scope, or NULL when nothing was ever counted there
 * (counter vectors may be all zero after retractions). */
const int64_t *dd_ledger_totals(const dd_ledger *l, const char *admdvs, int insutype,
                                int32_t month, const char *fixmedins_code);
/* Iterate every scope with totals (unspecified order). */
int dd_ledger_scope_count(const dd_ledger *l);
const int64_t *dd_ledger_scope_at(const dd_ledger *l, int i, dd_scope *scope);

/* Budget of a region month (SPEC §11): the latest monthly BUDGET for
 * (admdvs, insutype, year, month), else the latest yearly one / 12 rounded
 * half away from zero to the fen, else 0. "Latest": greatest event_time,
 * then latest arrival. */
int64_t dd_ledger_budget(const dd_ledger *l, const char *admdvs, int insutype, int32_t month);

/* A case, or NULL. */
const dd_case *dd_ledger_case(const dd_ledger *l, const char *admdvs, const char *fixmedins_code,
                              const char *setl_id);
/* The case's current contribution. The ledger keeps only what the totals
 * need per case and recomputes the rest (a pure function of the state):
 * the answer lives in a ring of DD_LEDGER_CONTRIB_RING buffers, valid until
 * that many more calls or the next apply. */
#define DD_LEDGER_CONTRIB_RING 16
const dd_contrib *dd_ledger_case_contrib(const dd_ledger *l, const dd_case *c);
int dd_ledger_case_count(const dd_ledger *l);

#endif
