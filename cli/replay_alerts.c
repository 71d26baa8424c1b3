/*
 * replay_alerts — see replay_alerts.h. Events are applied in file order; the
 * alert evaluator sees every case change (ledger observer) and every applied
 * BUDGET event, then one sweep at the end (dd_alert.h: after it the set of
 * active alerts depends only on the final case states and budgets).
 */
#include "replay_alerts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_alert.h"
#include "dd_datadir.h"
#include "dd_file.h"
#include "dd_jsonl.h"
#include "dd_ledger.h"
#include "dd_time.h"

typedef struct {
    dd_alerts *al;
    const char *region; /* filter or NULL */
    dd_jw w;
    long emitted, printed;
    int write_error;
    int quiet_emit; /* --active */
} ra_ctx;

static int64_t ra_budget(void *ctx, const char *admdvs, int insutype, int32_t month)
{
    return dd_ledger_budget(ctx, admdvs, insutype, month);
}

static void ra_emit(void *ctx, const dd_alert *a)
{
    ra_ctx *r = ctx;
    r->emitted++;
    if (r->quiet_emit || (r->region && strcmp(r->region, a->admdvs)))
        return;
    dd_jw_reset(&r->w);
    dd_alert_to_json(a, &r->w);
    dd_jw_append(&r->w, "\n", 1);
    if (r->w.oom || fwrite(r->w.buf, 1, r->w.len, stdout) != r->w.len)
        r->write_error = 1;
    r->printed++;
}

static void ra_observe(void *ctx, const dd_case *c, const dd_contrib *old_c, const dd_contrib *new_c)
{
    ra_ctx *r = ctx;
    if (dd_alerts_case_change(r->al, c, old_c, new_c))
        r->write_error = 2;
}

int dd_replay_alerts(int argc, char **argv)
{
    const char *events = NULL, *data = NULL, *region = NULL;
    int quiet = 0, active_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--events") || !strcmp(a, "--data") || !strcmp(a, "--region") ||
            !strcmp(a, "--insutype") || !strcmp(a, "--month")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "drgdip replay: %s needs a value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--events"))
                events = v;
            else if (!strcmp(a, "--data"))
                data = v;
            else if (!strcmp(a, "--region"))
                region = v;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--active")) {
            /* the active set after the sweep instead of the emitted alerts:
             * {"alert_id","occurrence"} per line (what a stream's alert
             * states must equal) */
            active_only = 1;
        } else if (!strcmp(a, "--alerts") || !strcmp(a, "--all") || !strcmp(a, "--stats")) {
            /* --all / --stats: accepted, nothing to add */
        } else {
            fprintf(stderr, "drgdip replay: unknown option '%s'\n", a);
            return 2;
        }
    }
    if (!events) {
        fprintf(stderr, "drgdip replay: --alerts needs --events FILE\n");
        return 2;
    }
    if (region && (strlen(region) != 6 || strspn(region, "0123456789") != 6)) {
        fprintf(stderr, "drgdip replay: --region must be 6 digits\n");
        return 2;
    }
    char err[1024];
    dd_datadir *dir = dd_datadir_open(data, err, sizeof err);
    if (!dir) {
        fprintf(stderr, "drgdip replay: %s\n", err);
        return 1;
    }
    const dd_dataset *ds = dd_datadir_dataset(dir);
    if (region && !dd_dataset_region(ds, region)) {
        fprintf(stderr, "drgdip replay: region %s is not in the data set\n", region);
        dd_datadir_close(dir);
        return 1;
    }
    size_t len = 0;
    char *text = dd_file_read(events, &len, err, sizeof err);
    if (!text) {
        fprintf(stderr, "drgdip replay: %s\n", err);
        dd_datadir_close(dir);
        return 1;
    }
    int rc = 0;
    ra_ctx r = {0};
    r.region = region;
    r.quiet_emit = active_only;
    dd_jw_init(&r.w);
    dd_ledger *l = dd_ledger_new(ds);
    dd_json_doc *doc = dd_json_doc_new();
    dd_event *ev = malloc(sizeof *ev);
    if (l)
        r.al = dd_alerts_new(ds, ra_budget, l, ra_emit, &r, err, sizeof err);
    if (!l || !doc || !ev || !r.al) {
        fprintf(stderr, "drgdip replay: %s\n", l && doc && ev ? err : "out of memory");
        rc = 1;
        goto done;
    }
    dd_ledger_set_case_observer(l, ra_observe, &r);
    long line = 0, n_bad = 0, n_read = 0;
    size_t pos = 0;
    size_t b, end;
    while (!r.write_error && dd_jsonl_next(text, len, &pos, &line, &b, &end)) {
        n_read++;
        dd_event_error ee;
        dd_ledger_outcome o;
        if (dd_event_from_json(ev, doc, text + b, end - b, &ee))
            o = DD_LEDGER_BAD;
        else
            o = dd_ledger_apply_event(l, ev, &ee);
        if (o == DD_LEDGER_BAD) {
            n_bad++;
            if (!quiet)
                fprintf(stderr, "line %ld: %s: %s\n", line, dd_bad_reason_name(ee.reason), ee.detail);
        } else if (o == DD_LEDGER_ERROR) {
            fprintf(stderr, "line %ld: %s\n", line, ee.detail);
            rc = 1;
            break;
        } else if (o == DD_LEDGER_APPLIED && ev->type == DD_EV_BUDGET) {
            if (dd_alerts_budget_changed(r.al, ev->admdvs, ev->insutype, ev->year))
                r.write_error = 2;
        }
    }
    if (!rc && !r.write_error && dd_alerts_sweep(r.al))
        r.write_error = 2;
    for (int i = 0; active_only && !rc && !r.write_error && i < dd_alerts_state_count(r.al); i++) {
        int act, occ;
        const char *id = dd_alerts_state_at(r.al, i, &act, &occ);
        /* the id holds the admdvs after the first ':' */
        const char *c = strchr(id, ':');
        if (!act || (region && (!c || strncmp(c + 1, region, 6))))
            continue;
        dd_jw_reset(&r.w);
        dd_jw_object_begin(&r.w);
        dd_jw_key(&r.w, "alert_id");
        dd_jw_string(&r.w, id);
        dd_jw_key(&r.w, "occurrence");
        dd_jw_int(&r.w, occ);
        dd_jw_object_end(&r.w);
        dd_jw_append(&r.w, "\n", 1);
        if (r.w.oom || fwrite(r.w.buf, 1, r.w.len, stdout) != r.w.len)
            r.write_error = 1;
        r.printed++;
    }
    if (r.write_error) {
        fprintf(stderr, "drgdip replay: %s\n",
                r.write_error == 2 ? "alerts: out of memory" : "cannot write the alerts");
        rc = 1;
    }
    const dd_ledger_stats *st = dd_ledger_get_stats(l);
    fprintf(stderr,
            "replay: read %ld, applied %llu, duplicates %llu, bad %ld (cases %d); alerts: %ld "
            "emitted, %ld printed, %d active after the sweep\n",
            n_read, (unsigned long long)st->applied, (unsigned long long)st->duplicates, n_bad,
            dd_ledger_case_count(l), r.emitted, r.printed, dd_alerts_active_count(r.al));
done:
    if (fflush(stdout))
        rc = 1;
    dd_alerts_destroy(r.al);
    dd_ledger_destroy(l);
    dd_json_doc_destroy(doc);
    free(ev);
    dd_jw_free(&r.w);
    free(text);
    dd_datadir_close(dir);
    return rc;
}
