/* dd_processor_group — see dd_processor_group.h. */
#include "dd_processor_group.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_processor_thread.h"

typedef struct {
    const dd_dataset *ds;
    int refs; /* members using it, or holding it as a fresh load */
} ds_ref;

struct dd_processor_group {
    dd_processor_group_opts o;
    int n;
    dd_processor_thread **t;
    pthread_mutex_t mu; /* guards the dataset list (reloads run on member threads) */
    ds_ref *dss;
    int n_ds, cap_ds;
    const dd_dataset *fresh; /* the latest load, shared by members seeing fresh_req */
    sig_atomic_t fresh_req;
};

static int ds_add(dd_processor_group *g, const dd_dataset *ds, int refs)
{
    if (g->n_ds == g->cap_ds) {
        int nc = g->cap_ds ? 2 * g->cap_ds : 4;
        ds_ref *v = realloc(g->dss, (size_t)nc * sizeof *v);
        if (!v)
            return -1;
        g->dss = v;
        g->cap_ds = nc;
    }
    g->dss[g->n_ds++] = (ds_ref){ds, refs};
    return 0;
}

static const dd_dataset *group_load(void *ctx, char *errstr, size_t errlen)
{
    dd_processor_group *g = ctx;
    pthread_mutex_lock(&g->mu);
    sig_atomic_t req = *g->o.reload_requests;
    const dd_dataset *ds = NULL;
    if (g->fresh && g->fresh_req == req) {
        for (int i = 0; i < g->n_ds; i++)
            if (g->dss[i].ds == g->fresh)
                g->dss[i].refs++;
        ds = g->fresh;
    } else {
        ds = g->o.open_fn(g->o.ctx, errstr, errlen);
        if (ds && ds_add(g, ds, 1)) {
            if (g->o.close_fn)
                g->o.close_fn(g->o.ctx, ds);
            snprintf(errstr, errlen, "out of memory");
            ds = NULL;
        }
        if (ds) {
            g->fresh = ds;
            g->fresh_req = req;
        }
    }
    pthread_mutex_unlock(&g->mu);
    return ds;
}

static void group_release(void *ctx, const dd_dataset *ds)
{
    dd_processor_group *g = ctx;
    pthread_mutex_lock(&g->mu);
    for (int i = 0; i < g->n_ds; i++) {
        if (g->dss[i].ds != ds)
            continue;
        if (--g->dss[i].refs == 0) {
            g->dss[i] = g->dss[--g->n_ds];
            if (g->fresh == ds)
                g->fresh = NULL;
            if (g->o.close_fn)
                g->o.close_fn(g->o.ctx, ds);
        }
        break;
    }
    pthread_mutex_unlock(&g->mu);
}

static void group_free(dd_processor_group *g)
{
    for (int i = 0; i < g->n; i++)
        dd_processor_thread_stop(g->t[i]); /* joins a started member, destroys */
    /* members are gone: nothing uses the datasets any more */
    for (int i = 0; i < g->n_ds; i++)
        if (g->o.close_fn)
            g->o.close_fn(g->o.ctx, g->dss[i].ds);
    pthread_mutex_destroy(&g->mu);
    free(g->dss);
    free(g->t);
    free(g);
}

dd_processor_group *dd_processor_group_start(const dd_config *cfg, const dd_dataset *ds,
                                             const dd_processor_group_opts *opts, char *errstr,
                                             size_t errlen)
{
    if (!opts || opts->members < 1) {
        snprintf(errstr, errlen, "a processor group needs at least one member");
        return NULL;
    }
    dd_processor_group *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    g->o = *opts;
    pthread_mutex_init(&g->mu, NULL);
    g->t = calloc((size_t)opts->members, sizeof *g->t);
    if (!g->t || ds_add(g, ds, opts->members)) {
        snprintf(errstr, errlen, "out of memory");
        g->n_ds = 0; /* the caller keeps ds on failure */
        group_free(g);
        return NULL;
    }
    for (int i = 0; i < opts->members; i++) {
        g->t[i] = dd_processor_thread_new(cfg, ds, errstr, errlen);
        if (!g->t[i])
            goto fail;
        g->n = i + 1;
        if (opts->members > 1)
            dd_processor_set_member(dd_processor_thread_processor(g->t[i]), i + 1);
        if (opts->reload_requests && opts->open_fn)
            dd_processor_set_reload(dd_processor_thread_processor(g->t[i]), opts->reload_requests,
                                    group_load, group_release, g, opts->source);
    }
    for (int i = 0; i < g->n; i++)
        if (dd_processor_thread_run(g->t[i], errstr, errlen))
            goto fail;
    return g;
fail:
    g->n_ds = 0; /* the caller keeps ds on failure */
    group_free(g);
    return NULL;
}

int dd_processor_group_members(const dd_processor_group *g)
{
    return g->n;
}

dd_processor *dd_processor_group_member(dd_processor_group *g, int i)
{
    return dd_processor_thread_processor(g->t[i]);
}

void dd_processor_group_stats(dd_processor_group *g, dd_processor_stats *sum)
{
    memset(sum, 0, sizeof *sum);
    for (int i = 0; i < g->n; i++) {
        dd_processor_stats s;
        dd_processor_get_stats(dd_processor_thread_processor(g->t[i]), &s);
        sum->consumed += s.consumed;
        sum->applied += s.applied;
        sum->duplicates += s.duplicates;
        sum->redelivered += s.redelivered;
        sum->bad += s.bad;
        sum->month_close += s.month_close;
        sum->month_close_repeat += s.month_close_repeat;
        sum->batches += s.batches;
        sum->redis_retries += s.redis_retries;
        sum->offset_resets += s.offset_resets;
        sum->case_results += s.case_results;
        sum->rebalances += s.rebalances;
        sum->kafka_commits += s.kafka_commits;
        sum->cache_cases += s.cache_cases;
        sum->alerts_fired += s.alerts_fired;
        sum->handled += s.handled;
        sum->alerts_cleared += s.alerts_cleared;
        sum->reloads += s.reloads;
        if (s.last_commit_ms > sum->last_commit_ms)
            sum->last_commit_ms = s.last_commit_ms;
        for (int k = 0; k < DD_PROC_LAT_BUCKETS; k++)
            sum->latency[k] += s.latency[k];
    }
}

int dd_processor_group_done(dd_processor_group *g, int *rc)
{
    for (int i = 0; i < g->n; i++)
        if (dd_processor_thread_done(g->t[i], rc))
            return 1;
    return 0;
}

const char *dd_processor_group_errstr(dd_processor_group *g)
{
    for (int i = 0; i < g->n; i++) {
        int rc;
        if (dd_processor_thread_done(g->t[i], &rc) && rc)
            return dd_processor_errstr(dd_processor_thread_processor(g->t[i]));
    }
    return "";
}

void dd_processor_group_request_stop(dd_processor_group *g)
{
    for (int i = 0; i < g->n; i++)
        dd_processor_thread_request_stop(g->t[i]);
}

int dd_processor_group_stop(dd_processor_group *g)
{
    if (!g)
        return 0;
    dd_processor_group_request_stop(g);
    int rc = 0;
    for (int i = 0; i < g->n; i++) {
        if (dd_processor_thread_stop(g->t[i]))
            rc = -1;
        g->t[i] = NULL;
    }
    g->n = 0;
    group_free(g);
    return rc;
}
