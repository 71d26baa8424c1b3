/* dd_processor — see dd_processor.h. */
#include "dd_processor.h"

#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dd_avro_event.h"
#include "dd_avro_out.h"
#include "dd_case_codec.h"
#include "dd_live.h"
#include "dd_monthclose.h"
#include "dd_num.h"
#include "dd_store.h"
#include "dd_stream_alerts.h"
#include "dd_time.h"

/* ---------------- small utilities ---------------- */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static const int64_t LAT_BOUNDS[DD_PROC_LAT_BUCKETS] = {
    1,    2,    3,    4,    5,    7,     10,    15,    20,    30,    40,
    50,   75,   100,  150,  200,  300,   400,   500,   750,   1000,  1500,
    2000, 3000, 5000, 7500, 10000, 20000, 30000, 60000, 120000, INT64_MAX};

int64_t dd_processor_latency_bound_ms(int bucket)
{
    if (bucket < 0 || bucket >= DD_PROC_LAT_BUCKETS)
        return INT64_MAX;
    return LAT_BOUNDS[bucket];
}

int64_t dd_processor_stats_latency_ms(const dd_processor_stats *s, double q)
{
    uint64_t total = 0;
    for (int i = 0; i < DD_PROC_LAT_BUCKETS; i++)
        total += s->latency[i];
    if (!total)
        return -1;
    if (q <= 0)
        q = 1e-9;
    if (q > 1)
        q = 1;
    uint64_t rank = (uint64_t)(q * (double)total + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t acc = 0;
    for (int i = 0; i < DD_PROC_LAT_BUCKETS; i++) {
        acc += s->latency[i];
        if (acc >= rank)
            return i == DD_PROC_LAT_BUCKETS - 1 ? LAT_BOUNDS[i - 1] : LAT_BOUNDS[i];
    }
    return LAT_BOUNDS[DD_PROC_LAT_BUCKETS - 2];
}

int64_t dd_processor_stats_p50_ms(const dd_processor_stats *s)
{
    return dd_processor_stats_latency_ms(s, 0.50);
}

int64_t dd_processor_stats_p99_ms(const dd_processor_stats *s)
{
    return dd_processor_stats_latency_ms(s, 0.99);
}

/* ---------------- types ---------------- */

/* One cached case. The cache only holds cases of partitions this member
 * owns (a case's events share one partition: the key is the hospital), so
 * it is dropped on every rebalance. */
typedef struct centry {
    struct centry *next;
    uint64_t hash;
    char *key; /* admdvs \x1f code \x1f setl_id */
    int region;
    dd_case c;
    dd_contrib contrib; /* contribution of c (what Redis totals hold) */
    dd_group_memo memo;
    int loaded;    /* state known (fetched or new) */
    int dirty;     /* changed in this batch: record to write */
    int fetch_idx; /* index into the batch fetch, -1 */
} centry;

/* Cached hospital totals dd:{R}:h:<insutype>:<month>:<hospital>. A hospital's
 * events share one partition (SPEC §2), so the member that owns it is the
 * only writer of these keys: it sends their new values (cached value + the
 * batch's delta) instead of increments, which spares Redis a read and Lua
 * arithmetic per field. The writer is claimed per hospital in dd:{R}:hp
 * (partition; checked by the commit script); a hospital whose events come
 * from two partitions (mis-keyed producer, partition count changed) is
 * marked "*" there and its totals go back to increments. Dropped under the
 * case cache's rules. */
typedef struct hentry {
    struct hentry *next;
    uint64_t hash;
    char *key;
    int64_t v[DD_CTR__COUNT];
    int32_t owner; /* claimed partition in dd:{R}:hp, HP_NONE: unclaimed */
    int shared;    /* "*" there: increments */
} hentry;

#define HP_NONE INT32_MIN
#define HP_MIXED (-2) /* a batch's scope touched from two partitions */

enum { M_NONE = 0, M_BAD, M_REDELIVERED, M_DUP, M_APPLY };

typedef struct {
    rd_kafka_message_t *m;
    int state;
    int region;
    int id_fetch; /* index into the fetch of dd:{R}:ev, -1 */
    centry *ce;
    dd_event_error err;
} bmsg;

typedef struct {
    int32_t partition;
    int64_t max_offset;
} part_off;

typedef struct {
    size_t off, len;
    int msg; /* batch index (key = hospital code) */
} outrec;

/* Opaque of a produced alert: its pending batch and outbox token. */
typedef struct {
    uint64_t seq;
    void *token;
} sa_opaque;

/* Counter deltas of one (region, insutype, month, hospital) scope, summed
 * over the batch before they go to the store batch: one store lookup per
 * (scope, counter) instead of two per (event, counter). */
typedef struct {
    dd_scope scope;
    uint64_t hash;
    int hs; /* a case entered this scope: HSET dd:{R}:hs:... */
    int32_t part; /* partition of its events in the batch, HP_MIXED */
    int shared;   /* its hospital's totals go by increments in this batch */
    struct hentry *he; /* its cached h key (hcache_plan, else hcache_decide) */
    int64_t d[DD_CTR__COUNT];
} scope_acc;

/* A batch whose effects are in Redis and whose outputs are produced but
 * maybe not yet delivered: its Kafka offsets are committed only once every
 * output of it (and of every earlier batch) is acknowledged, so outputs stay
 * at-least-once without waiting for the broker inside the batch. */
typedef struct {
    uint64_t seq;
    int remaining; /* outputs not yet acknowledged */
    part_off *parts;
    int n_parts;
} pend_batch;

typedef struct {
    _Atomic uint64_t consumed, applied, duplicates, redelivered, bad, month_close, month_close_repeat,
        batches, redis_retries, offset_resets, case_results, rebalances, kafka_commits, cache_cases;
    _Atomic uint64_t alerts_fired, alerts_cleared, handled, reloads;
    _Atomic int64_t last_commit_ms;
    _Atomic uint64_t latency[DD_PROC_LAT_BUCKETS];
} astats;

enum { R_OK = 0, R_FAIL = 1, R_ABANDONED = 2, R_STOPPED = 3, R_FATAL = 4, R_REDO = 5 };

struct dd_processor {
    const dd_config *cfg;
    const dd_dataset *ds;
    int n_regions;
    rd_kafka_t *consumer, *producer;
    rd_kafka_topic_t *t_results, *t_dlq;
    rd_kafka_topic_t *t_alerts; /* NULL: alerts.enabled = false */
    dd_stream_alerts *sa;
    int64_t sa_retry_ms;        /* next recovery attempt (mono ms) */
    int64_t sa_interval_ms;     /* alerts.eval_interval_ms */
    int64_t sa_next_ms;         /* next evaluation (mono ms) */
    char input_topic[256];
    dd_store *store;
    uint64_t store_restarts; /* last seen dd_store stats.server_restarts */
    dd_avro_event_codec *avro;
    dd_json_doc *jdoc;
    uint8_t psn_key[16];
    int log_level;
    int max_events, max_ms, idle_ms, retry_max_ms, stats_interval_s;
    size_t cache_max;
    int member; /* log tag of a processor.threads member, 0 = none */
    char (*evkeys)[64]; /* dd:{R}:ev per region index of ds ("" = not built yet) */
    int n_evkeys;
    int cooperative;
    const volatile sig_atomic_t *stop;
    int fatal;
    char errstr[512];

    /* stored offsets W(region, partition) */
    int64_t **w;
    int *w_n;
    int w_stale;

    /* case cache */
    centry **buckets;
    size_t n_buckets, n_cases;
    hentry **hbuckets;
    size_t n_hbuckets, n_hents;

    /* the batch */
    rd_kafka_message_t **msgs;
    bmsg *bm;
    dd_event *evs;
    int nb, cap;
    rd_kafka_message_t **carry; /* arrived while waiting for Redis */
    int n_carry, cap_carry;
    int in_flight, abandon;
    centry **dirty;
    int n_dirty, cap_dirty;
    int *idset; /* batch event-id set: msg index + 1, 0 empty */
    size_t idset_cap;
    part_off *parts;
    int n_parts, cap_parts;
    dd_store_batch *sb;
    dd_jw out;
    outrec *outs;
    int n_outs, cap_outs;
    /* per-scope counter deltas of the batch (kept across batches) */
    scope_acc *sc;
    int n_sc, cap_sc;
    int *sctab; /* index + 1, 0 empty */
    size_t sctab_cap;
    /* committed to Redis, Kafka offsets waiting for output delivery */
    pend_batch *pend;
    int n_pend, cap_pend;
    uint64_t batch_seq;
    /* fetch */
    char **fkeys, **ffields; /* pointers into fa, set just before the fetch */
    size_t *fko, *ffo;       /* offsets of keys and fields in fa */
    char *fa;                /* the batch's fetch strings, one arena */
    size_t fa_len, fa_cap;
    char **fvals;
    size_t n_fetch, cap_fetch;

    astats st;
    int64_t last_stats_ms;

    /* month close (dd_monthclose.h): snapshots of the batch's MONTH_CLOSE
     * messages, produced with the batch's outputs; the scheduler */
    rd_kafka_topic_t *t_snap, *t_input;
    dd_avro_codec *snap_codec;
    int snap_avro; /* output.format = avro */
    dd_monthclose_result *mco;
    int n_mco, cap_mco;
    int sched_on;
    int64_t sched_check_ms, sched_next_ms, sched_now_ms; /* now_ms 0 = wall clock */
    char (*sched_sent)[48]; /* snapshot ids already emitted by this process */
    int n_sent, cap_sent;

    /* reload (dd_processor_set_reload) */
    const volatile sig_atomic_t *reload_req;
    sig_atomic_t reload_seen;
    dd_processor_reload_fn reload_load;
    dd_processor_release_fn reload_release;
    void *reload_ctx;
    char reload_source[256];
};

/* ---------------- logging ---------------- */

static const char *const LEVEL_NAMES[] = {"ERROR", "WARN", "INFO", "DEBUG"};

static void plog(const dd_processor *p, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void plog(const dd_processor *p, int level, const char *fmt, ...)
{
    if (level > p->log_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (p->member)
        fprintf(stderr, "drgdip run[%d]: %s %s\n", p->member, LEVEL_NAMES[level], line);
    else
        fprintf(stderr, "drgdip run: %s %s\n", LEVEL_NAMES[level], line);
}

void dd_processor_set_member(dd_processor *p, int member)
{
    p->member = member;
}

/* Internal failure (out of memory, a key that cannot be formed, a batch
 * error): remember where, for the fatal log line. */
static int fail_at(dd_processor *p, int line)
{
    if (!p->errstr[0])
        snprintf(p->errstr, sizeof p->errstr, "internal error at dd_processor.c:%d (%s)", line,
                 dd_store_batch_err(p->sb) ? dd_store_batch_errstr(p->sb) : "out of memory?");
    return -1;
}

/* The event-id hash key of region index `region` (every applied event
 * writes it): formatted once per region and dataset, not per event. */
static const char *ev_key(dd_processor *p, int region, const char *admdvs)
{
    int n = dd_dataset_region_count(p->ds);
    if (p->n_evkeys != n) {
        free(p->evkeys);
        p->evkeys = calloc((size_t)(n > 0 ? n : 1), sizeof *p->evkeys);
        p->n_evkeys = p->evkeys ? n : 0;
    }
    if (!p->evkeys || region < 0 || region >= n)
        return NULL;
    char *k = p->evkeys[region];
    if (!k[0] && dd_store_key_events(k, sizeof p->evkeys[region], admdvs) < 0) {
        k[0] = '\0';
        return NULL;
    }
    return k;
}

#define INC(f) atomic_fetch_add_explicit(&p->st.f, 1, memory_order_relaxed)
#define ADD(f, v) atomic_fetch_add_explicit(&p->st.f, (v), memory_order_relaxed)

void dd_processor_get_stats(const dd_processor *p, dd_processor_stats *o)
{
    dd_processor *q = (dd_processor *)p; /* atomics: loads only */
#define LD(f) o->f = atomic_load_explicit(&q->st.f, memory_order_relaxed)
    LD(consumed);
    LD(applied);
    LD(duplicates);
    LD(redelivered);
    LD(bad);
    LD(month_close);
    LD(month_close_repeat);
    LD(batches);
    LD(redis_retries);
    LD(offset_resets);
    LD(case_results);
    LD(rebalances);
    LD(kafka_commits);
    LD(cache_cases);
    LD(alerts_fired);
    LD(alerts_cleared);
    LD(handled);
    LD(reloads);
    LD(last_commit_ms);
#undef LD
    for (int i = 0; i < DD_PROC_LAT_BUCKETS; i++)
        o->latency[i] = atomic_load_explicit(&q->st.latency[i], memory_order_relaxed);
}

const char *dd_processor_errstr(const dd_processor *p)
{
    return p->errstr;
}

/* ---------------- case cache ---------------- */

static void hcache_drop(dd_processor *p)
{
    for (size_t i = 0; i < p->n_hbuckets; i++) {
        hentry *e = p->hbuckets[i];
        while (e) {
            hentry *n = e->next;
            free(e->key);
            free(e);
            e = n;
        }
        p->hbuckets[i] = NULL;
    }
    p->n_hents = 0;
}

static hentry *hcache_find(const dd_processor *p, const char *key, uint64_t h)
{
    if (!p->n_hbuckets)
        return NULL;
    for (hentry *e = p->hbuckets[h & (p->n_hbuckets - 1)]; e; e = e->next)
        if (e->hash == h && !strcmp(e->key, key))
            return e;
    return NULL;
}

/* A new entry (all counters 0), or NULL (out of memory). */
static hentry *hcache_add(dd_processor *p, const char *key, uint64_t h)
{
    if (p->n_hents >= p->n_hbuckets) {
        size_t nn = p->n_hbuckets ? p->n_hbuckets * 2 : 1024;
        hentry **nb = calloc(nn, sizeof *nb);
        if (!nb)
            return NULL;
        for (size_t i = 0; i < p->n_hbuckets; i++) {
            hentry *e = p->hbuckets[i];
            while (e) {
                hentry *n = e->next;
                e->next = nb[e->hash & (nn - 1)];
                nb[e->hash & (nn - 1)] = e;
                e = n;
            }
        }
        free(p->hbuckets);
        p->hbuckets = nb;
        p->n_hbuckets = nn;
    }
    hentry *e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key))) {
        free(e);
        return NULL;
    }
    e->hash = h;
    e->owner = HP_NONE;
    e->next = p->hbuckets[h & (p->n_hbuckets - 1)];
    p->hbuckets[h & (p->n_hbuckets - 1)] = e;
    p->n_hents++;
    return e;
}

static void cache_drop(dd_processor *p)
{
    for (size_t i = 0; i < p->n_buckets; i++) {
        centry *e = p->buckets[i];
        while (e) {
            centry *n = e->next;
            dd_case_free(&e->c);
            free(e->key);
            free(e);
            e = n;
        }
        p->buckets[i] = NULL;
    }
    p->n_cases = 0;
    atomic_store_explicit(&p->st.cache_cases, 0, memory_order_relaxed);
    hcache_drop(p);
    if (p->sa) /* the alert module caches hospital keys under the same rules */
        dd_stream_alerts_forget(p->sa);
}

static int cache_grow(dd_processor *p)
{
    size_t nn = p->n_buckets ? p->n_buckets * 2 : 4096;
    centry **nb = calloc(nn, sizeof *nb);
    if (!nb)
        return -1;
    for (size_t i = 0; i < p->n_buckets; i++) {
        centry *e = p->buckets[i];
        while (e) {
            centry *n = e->next;
            size_t b = e->hash & (nn - 1);
            e->next = nb[b];
            nb[b] = e;
            e = n;
        }
    }
    free(p->buckets);
    p->buckets = nb;
    p->n_buckets = nn;
    return 0;
}

/* Find or create (not loaded) the entry of the event's case. */
static centry *cache_get(dd_processor *p, const dd_event *ev, int region, int *created)
{
    /* admdvs US fixmedins_code US setl_id (validated: each fits its field) */
    char key[sizeof ev->admdvs + sizeof ev->fixmedins_code + sizeof ev->setl_id + 2];
    size_t la = strnlen(ev->admdvs, sizeof ev->admdvs - 1),
           lc = strnlen(ev->fixmedins_code, sizeof ev->fixmedins_code - 1),
           ls = strnlen(ev->setl_id, sizeof ev->setl_id - 1);
    memcpy(key, ev->admdvs, la);
    key[la] = '\x1f';
    memcpy(key + la + 1, ev->fixmedins_code, lc);
    key[la + 1 + lc] = '\x1f';
    memcpy(key + la + 2 + lc, ev->setl_id, ls);
    key[la + 2 + lc + ls] = '\0';
    uint64_t h = hash_str(key);
    *created = 0;
    if (p->n_buckets) {
        for (centry *e = p->buckets[h & (p->n_buckets - 1)]; e; e = e->next)
            if (e->hash == h && !strcmp(e->key, key))
                return e;
    }
    if (p->n_cases >= p->n_buckets && cache_grow(p))
        return NULL;
    centry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->key = malloc(strlen(key) + 1);
    if (!e->key) {
        free(e);
        return NULL;
    }
    strcpy(e->key, key);
    e->hash = h;
    e->region = region;
    e->fetch_idx = -1;
    dd_case_init(&e->c, ev->admdvs, ev->fixmedins_code, ev->setl_id);
    size_t b = h & (p->n_buckets - 1);
    e->next = p->buckets[b];
    p->buckets[b] = e;
    p->n_cases++;
    *created = 1;
    return e;
}

/* ---------------- stored offsets ---------------- */

static int64_t w_get(const dd_processor *p, int region, int32_t part)
{
    if (part < 0 || part >= p->w_n[region])
        return -1;
    return p->w[region][part];
}

static int w_set(dd_processor *p, int region, int32_t part, int64_t off)
{
    if (part >= p->w_n[region]) {
        int nn = part + 1;
        int64_t *nw = realloc(p->w[region], (size_t)nn * sizeof *nw);
        if (!nw)
            return -1;
        for (int i = p->w_n[region]; i < nn; i++)
            nw[i] = -1;
        p->w[region] = nw;
        p->w_n[region] = nn;
    }
    p->w[region][part] = off;
    return 0;
}

/* Re-read every region's offsets from Redis. 0 or -1 (store error). */
static int w_load(dd_processor *p)
{
    for (int r = 0; r < p->n_regions; r++) {
        const dd_region *reg = dd_dataset_region_at(p->ds, r);
        dd_store_offset *o = NULL;
        size_t n = 0;
        if (dd_store_read_offsets(p->store, reg->admdvs, &o, &n))
            return -1;
        for (int i = 0; i < p->w_n[r]; i++)
            p->w[r][i] = -1;
        for (size_t i = 0; i < n; i++) {
            if (w_set(p, r, o[i].partition, o[i].offset)) {
                free(o);
                return -1;
            }
        }
        free(o);
    }
    p->w_stale = 0;
    return 0;
}

/* ---------------- construction ---------------- */

static int kset(rd_kafka_conf_t *c, const char *k, const char *v, char *errstr, size_t errlen)
{
    char e[256];
    if (rd_kafka_conf_set(c, k, v, e, sizeof e) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errlen, "kafka.%s: %s", k, e);
        return -1;
    }
    return 0;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque);
static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque);
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
static int mc_init(dd_processor *p, char *errstr, size_t errlen);
static void mc_destroy(dd_processor *p);

dd_processor *dd_processor_new(const dd_config *cfg, const dd_dataset *ds, char *errstr,
                               size_t errlen)
{
    dd_processor *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    p->cfg = cfg;
    p->ds = ds;
    p->log_level = dd_config_log_level(cfg);
    p->max_events = (int)dd_config_get_int(cfg, "batch.max_events");
    p->max_ms = (int)dd_config_get_int(cfg, "batch.max_ms");
    p->idle_ms = (int)dd_config_get_int(cfg, "batch.idle_ms");
    p->retry_max_ms = (int)dd_config_get_int(cfg, "redis.retry_max_ms");
    p->stats_interval_s = (int)dd_config_get_int(cfg, "stats.interval_s");
    p->cache_max = (size_t)dd_config_get_int(cfg, "cache.max_cases");
    p->w_stale = 1;
    dd_jw_init(&p->out);
    snprintf(p->input_topic, sizeof p->input_topic, "%s", dd_config_get(cfg, "input.topic"));
    if (dd_config_pseudonym_key(cfg, p->psn_key))
        plog(p, 1, "pseudonym.key not set: using the built-in DEVELOPMENT key (set it in "
                   "production)");

    p->n_regions = dd_dataset_region_count(ds);
    p->w = calloc((size_t)(p->n_regions ? p->n_regions : 1), sizeof *p->w);
    p->w_n = calloc((size_t)(p->n_regions ? p->n_regions : 1), sizeof *p->w_n);
    p->cap = p->max_events;
    p->msgs = calloc((size_t)p->cap, sizeof *p->msgs);
    p->bm = calloc((size_t)p->cap, sizeof *p->bm);
    p->evs = malloc((size_t)p->cap * sizeof *p->evs);
    p->idset_cap = 16;
    while (p->idset_cap < (size_t)p->cap * 2)
        p->idset_cap *= 2;
    p->idset = calloc(p->idset_cap, sizeof *p->idset);
    p->sb = dd_store_batch_new();
    p->jdoc = dd_json_doc_new();
    if (!p->w || !p->w_n || !p->msgs || !p->bm || !p->evs || !p->idset || !p->sb || !p->jdoc) {
        snprintf(errstr, errlen, "out of memory");
        goto fail;
    }
    char e[512];
    p->avro = dd_avro_event_codec_new(NULL, e, sizeof e);
    if (!p->avro) {
        snprintf(errstr, errlen, "avro: %s", e);
        goto fail;
    }

    dd_store_opts so = {0};
    so.url = dd_config_get(cfg, "redis.url");
    const char *pw = dd_config_get(cfg, "redis.password");
    so.password = (pw && *pw) ? pw : NULL;
    so.retries = 2;
    so.backoff_ms = 50;
    so.backoff_max_ms = 200;
    so.command_timeout_ms = 10000;
    p->store = dd_store_new(&so, e, sizeof e);
    if (!p->store) {
        snprintf(errstr, errlen, "redis: %s", e);
        goto fail;
    }

    /* consumer */
    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    if (kset(cc, "bootstrap.servers", "localhost:9092", errstr, errlen) ||
        kset(cc, "group.id", dd_config_get(cfg, "group.id"), errstr, errlen) ||
        kset(cc, "enable.partition.eof", "false", errstr, errlen)) {
        rd_kafka_conf_destroy(cc);
        goto fail;
    }
    for (int i = 0; i < dd_config_kafka_count(cfg); i++) {
        const char *k, *v;
        dd_config_kafka_at(cfg, i, &k, &v);
        if (!strcmp(k, "enable.auto.commit") || !strcmp(k, "auto.offset.reset") ||
            !strcmp(k, "enable.auto.offset.store")) {
            plog(p, 1, "kafka.%s is managed by drgdip (exactly-once): ignored", k);
            continue;
        }
        if (kset(cc, k, v, errstr, errlen)) {
            rd_kafka_conf_destroy(cc);
            goto fail;
        }
    }
    /* Offsets are committed by hand after Redis; a reset is an error. */
    if (kset(cc, "enable.auto.commit", "false", errstr, errlen) ||
        kset(cc, "enable.auto.offset.store", "false", errstr, errlen) ||
        kset(cc, "auto.offset.reset", "error", errstr, errlen)) {
        rd_kafka_conf_destroy(cc);
        goto fail;
    }
    rd_kafka_conf_set_opaque(cc, p);
    rd_kafka_conf_set_rebalance_cb(cc, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(cc, commit_cb);
    p->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, e, sizeof e);
    if (!p->consumer) {
        rd_kafka_conf_destroy(cc);
        snprintf(errstr, errlen, "kafka consumer: %s", e);
        goto fail;
    }
    rd_kafka_poll_set_consumer(p->consumer);

    /* producer (case results, DLQ): the same connection properties */
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    if (kset(pc, "bootstrap.servers", "localhost:9092", errstr, errlen) ||
        kset(pc, "linger.ms", "5", errstr, errlen)) {
        rd_kafka_conf_destroy(pc);
        goto fail;
    }
    for (int i = 0; i < dd_config_kafka_count(cfg); i++) {
        const char *k, *v;
        dd_config_kafka_at(cfg, i, &k, &v);
        /* consumer-only properties would only produce warnings here */
        static const char *const consumer_only[] = {
            "group.id", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
            "partition.assignment.strategy", "group.instance.id", "fetch.wait.max.ms",
            "fetch.min.bytes", "fetch.max.bytes", "max.partition.fetch.bytes",
            "enable.auto.commit", "auto.offset.reset", "enable.auto.offset.store",
            "auto.commit.interval.ms", "isolation.level", "enable.partition.eof",
            "queued.min.messages", "queued.max.messages.kbytes", "coordinator.query.interval.ms",
            "check.crcs", "fetch.error.backoff.ms", NULL};
        int skip = 0;
        for (int j = 0; consumer_only[j]; j++)
            skip |= !strcmp(k, consumer_only[j]);
        if (skip)
            continue;
        if (kset(pc, k, v, errstr, errlen)) {
            rd_kafka_conf_destroy(pc);
            goto fail;
        }
    }
    rd_kafka_conf_set_opaque(pc, p);
    rd_kafka_conf_set_dr_msg_cb(pc, dr_cb);
    p->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, e, sizeof e);
    if (!p->producer) {
        rd_kafka_conf_destroy(pc);
        snprintf(errstr, errlen, "kafka producer: %s", e);
        goto fail;
    }
    const char *tr = dd_config_get(cfg, "output.case_results");
    if (tr && *tr)
        p->t_results = rd_kafka_topic_new(p->producer, tr, NULL);
    p->t_dlq = rd_kafka_topic_new(p->producer, dd_config_get(cfg, "output.dlq"), NULL);
    if (!p->t_dlq || (tr && *tr && !p->t_results)) {
        snprintf(errstr, errlen, "kafka: cannot create output topic handles");
        goto fail;
    }
    if (mc_init(p, errstr, errlen))
        goto fail;
    const char *ae = dd_config_get(cfg, "alerts.enabled");
    if (ae && strcmp(ae, "true") && strcmp(ae, "false")) {
        snprintf(errstr, errlen, "alerts.enabled: must be true or false");
        goto fail;
    }
    if (!ae || !strcmp(ae, "true")) {
        p->sa = dd_stream_alerts_new(ds, e, sizeof e);
        if (!p->sa) {
            snprintf(errstr, errlen, "alerts: %s", e);
            goto fail;
        }
        p->sa_interval_ms = dd_config_get_int(cfg, "alerts.eval_interval_ms");
        p->t_alerts = rd_kafka_topic_new(p->producer, dd_config_get(cfg, "output.alerts"), NULL);
        if (!p->t_alerts) {
            snprintf(errstr, errlen, "kafka: cannot create the alerts topic handle");
            goto fail;
        }
    }
    return p;
fail:
    dd_processor_destroy(p);
    return NULL;
}

/* ---------------- batch helpers ---------------- */

static void free_msgs(dd_processor *p)
{
    for (int i = 0; i < p->nb; i++)
        rd_kafka_message_destroy(p->msgs[i]);
    p->nb = 0;
}

static int fa_put(dd_processor *p, const char *str, size_t *off)
{
    size_t l = strlen(str) + 1;
    if (p->fa_len + l > p->fa_cap) {
        size_t nc = p->fa_cap ? p->fa_cap : 65536;
        while (nc < p->fa_len + l)
            nc *= 2;
        char *n = realloc(p->fa, nc);
        if (!n)
            return -1;
        p->fa = n;
        p->fa_cap = nc;
    }
    memcpy(p->fa + p->fa_len, str, l);
    *off = p->fa_len;
    p->fa_len += l;
    return 0;
}

static int add_fetch(dd_processor *p, const char *key, const char *field)
{
    if (p->n_fetch == p->cap_fetch) {
        size_t nc = p->cap_fetch ? p->cap_fetch * 2 : 1024;
        char **k = realloc(p->fkeys, nc * sizeof *k);
        if (!k)
            return -1;
        p->fkeys = k;
        char **f = realloc(p->ffields, nc * sizeof *f);
        if (!f)
            return -1;
        p->ffields = f;
        char **v = realloc(p->fvals, nc * sizeof *v);
        if (!v)
            return -1;
        p->fvals = v;
        size_t *ko = realloc(p->fko, nc * sizeof *ko);
        if (!ko)
            return -1;
        p->fko = ko;
        size_t *fo = realloc(p->ffo, nc * sizeof *fo);
        if (!fo)
            return -1;
        p->ffo = fo;
        p->cap_fetch = nc;
    }
    size_t i = p->n_fetch;
    /* consecutive fetches often share the key (a region's event ids) */
    if (i && !strcmp(p->fa + p->fko[i - 1], key))
        p->fko[i] = p->fko[i - 1];
    else if (fa_put(p, key, &p->fko[i]))
        return -1;
    if (fa_put(p, field, &p->ffo[i]))
        return -1;
    p->fvals[i] = NULL;
    return (int)p->n_fetch++;
}

static void fetch_clear(dd_processor *p)
{
    for (size_t i = 0; i < p->n_fetch; i++) {
        free(p->fvals[i]);
        p->fvals[i] = NULL;
    }
    p->n_fetch = 0;
    p->fa_len = 0;
}

static int dirty_add(dd_processor *p, centry *e)
{
    if (e->dirty)
        return 0;
    if (p->n_dirty == p->cap_dirty) {
        int nc = p->cap_dirty ? p->cap_dirty * 2 : 256;
        centry **n = realloc(p->dirty, (size_t)nc * sizeof *n);
        if (!n)
            return -1;
        p->dirty = n;
        p->cap_dirty = nc;
    }
    p->dirty[p->n_dirty++] = e;
    e->dirty = 1;
    return 0;
}

static int parts_note(dd_processor *p, int32_t part, int64_t off)
{
    for (int i = 0; i < p->n_parts; i++) {
        if (p->parts[i].partition == part) {
            if (off > p->parts[i].max_offset)
                p->parts[i].max_offset = off;
            return 0;
        }
    }
    if (p->n_parts == p->cap_parts) {
        int nc = p->cap_parts ? p->cap_parts * 2 : 16;
        part_off *n = realloc(p->parts, (size_t)nc * sizeof *n);
        if (!n)
            return -1;
        p->parts = n;
        p->cap_parts = nc;
    }
    p->parts[p->n_parts].partition = part;
    p->parts[p->n_parts].max_offset = off;
    p->n_parts++;
    return 0;
}

static int out_add(dd_processor *p, size_t off, int msg)
{
    if (p->n_outs == p->cap_outs) {
        int nc = p->cap_outs ? p->cap_outs * 2 : 256;
        outrec *n = realloc(p->outs, (size_t)nc * sizeof *n);
        if (!n)
            return -1;
        p->outs = n;
        p->cap_outs = nc;
    }
    p->outs[p->n_outs].off = off;
    p->outs[p->n_outs].len = p->out.len - off;
    p->outs[p->n_outs].msg = msg;
    p->n_outs++;
    return 0;
}

/* Batch event-id set: returns the index of an earlier message with the same
 * id, or -1 after inserting i. */
static int idset_check(dd_processor *p, int i)
{
    const char *id = p->evs[i].event_id;
    size_t mask = p->idset_cap - 1, b = hash_str(id) & mask;
    while (p->idset[b]) {
        int j = p->idset[b] - 1;
        if (!strcmp(p->evs[j].event_id, id))
            return j;
        b = (b + 1) & mask;
    }
    p->idset[b] = i + 1;
    return -1;
}

/* ---------------- Redis waits ---------------- */

static void pause_all(dd_processor *p, int pause)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(p->consumer, &a) || !a)
        return;
    if (a->cnt) {
        if (pause)
            rd_kafka_pause_partitions(p->consumer, a);
        else
            rd_kafka_resume_partitions(p->consumer, a);
    }
    rd_kafka_topic_partition_list_destroy(a);
}

static void carry_add(dd_processor *p, rd_kafka_message_t *m)
{
    if (p->n_carry == p->cap_carry) {
        int nc = p->cap_carry ? p->cap_carry * 2 : 64;
        rd_kafka_message_t **n = realloc(p->carry, (size_t)nc * sizeof *n);
        if (!n) {
            /* cannot keep it: dropping would lose it, so stop hard */
            plog(p, 0, "out of memory while waiting for Redis");
            p->fatal = 1;
            rd_kafka_message_destroy(m);
            return;
        }
        p->carry = n;
        p->cap_carry = nc;
    }
    p->carry[p->n_carry++] = m;
}

static void handle_consumer_error(dd_processor *p, rd_kafka_message_t *m);

typedef int (*redis_op)(dd_processor *p, void *ctx);

static int is_transient(int code)
{
    return code == DD_STORE_ERR_IO;
}

/* Run op; while Redis is unreachable (and allow_wait), pause consumption,
 * keep polling (group membership), back off and retry. */
static int with_redis(dd_processor *p, int allow_wait, redis_op op, void *ctx, const char *what)
{
    if (op(p, ctx) == 0)
        return R_OK;
    int code = dd_store_err(p->store);
    if (code == DD_STORE_ERR_OWNER) {
        /* another member writes a hospital of this batch: nothing of the
         * region was written; the batch is read again and redone */
        plog(p, 1, "redis %s: %s: batch redone", what, dd_store_errstr(p->store));
        return R_REDO;
    }
    if (!is_transient(code)) {
        snprintf(p->errstr, sizeof p->errstr, "redis %s: %s (%s)", what,
                 dd_store_errstr(p->store), dd_store_errcode_name(code));
        plog(p, 0, "%s", p->errstr);
        return R_FATAL;
    }
    INC(redis_retries);
    if (!allow_wait)
        return R_FAIL;
    plog(p, 1, "redis %s failed (%s): pausing consumption, retrying", what,
         dd_store_errstr(p->store));
    pause_all(p, 1);
    int backoff = 100, rc = R_OK;
    for (;;) {
        int64_t until = mono_ms() + backoff;
        while (mono_ms() < until) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(p->consumer, 100);
            if (m) {
                if (m->err) {
                    handle_consumer_error(p, m);
                } else {
                    INC(consumed);
                    carry_add(p, m);
                }
            }
            if (p->abandon || *p->stop || p->fatal)
                break;
        }
        if (p->abandon) {
            rc = R_ABANDONED;
            break;
        }
        if (*p->stop || p->fatal) {
            rc = R_STOPPED;
            break;
        }
        if (op(p, ctx) == 0) {
            plog(p, 2, "redis %s succeeded again: resuming", what);
            break;
        }
        code = dd_store_err(p->store);
        if (!is_transient(code)) {
            snprintf(p->errstr, sizeof p->errstr, "redis %s: %s (%s)", what,
                     dd_store_errstr(p->store), dd_store_errcode_name(code));
            plog(p, 0, "%s", p->errstr);
            rc = R_FATAL;
            break;
        }
        INC(redis_retries);
        backoff = backoff * 2 > p->retry_max_ms ? p->retry_max_ms : backoff * 2;
    }
    pause_all(p, 0); /* the current assignment (a new one after an abandon too) */
    return rc;
}

static int op_w_load(dd_processor *p, void *ctx)
{
    (void)ctx;
    return w_load(p);
}

static int op_fetch(dd_processor *p, void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < p->n_fetch; i++) { /* the arena does not move any more */
        p->fkeys[i] = p->fa + p->fko[i];
        p->ffields[i] = p->fa + p->ffo[i];
    }
    return dd_store_fetch(p->store, p->n_fetch, (const char *const *)p->fkeys,
                          (const char *const *)p->ffields, p->fvals);
}

static int op_commit(dd_processor *p, void *ctx)
{
    return dd_store_commit(p->store, p->sb, (dd_store_commit_result *)ctx);
}

/* A Redis restart (or the first connection) may mean other offsets: re-read
 * them and forget cached cases before deciding what to skip. */
static void check_restart(dd_processor *p)
{
    dd_store_stats ss;
    dd_store_get_stats(p->store, &ss);
    if (ss.server_restarts != p->store_restarts) {
        p->store_restarts = ss.server_restarts;
        plog(p, 1, "redis server restarted: re-reading stored offsets");
        cache_drop(p);
        p->w_stale = 1;
    }
}

/* ---------------- outputs ---------------- */

static void jw_kv_str(dd_jw *w, const char *k, const char *v)
{
    dd_jw_key(w, k);
    if (v)
        dd_jw_string(w, v);
    else
        dd_jw_null(w);
}

static void case_result_json(dd_processor *p, const dd_event *ev, const centry *e,
                             const dd_contrib *c)
{
    dd_jw *w = &p->out;
    const dd_region *r = dd_dataset_region(p->ds, e->c.admdvs);
    char id[512], buf[32];
    dd_jw_new_document(w); /* one message each, in the batch's shared buffer */
    {   /* admdvs/fixmedins_code/setl_id/event_id (each fits: sizes of dd_case/dd_event) */
        const char *part[4] = {e->c.admdvs, e->c.fixmedins_code, e->c.setl_id, ev->event_id};
        size_t n = 0;
        for (int k = 0; k < 4; k++) {
            size_t l = strnlen(part[k], sizeof id - 1 - n - (k < 3));
            memcpy(id + n, part[k], l);
            n += l;
            if (k < 3)
                id[n++] = '/';
        }
        id[n] = '\0';
    }
    dd_jw_object_begin(w);
    jw_kv_str(w, "result_id", id);
    jw_kv_str(w, "event_id", ev->event_id);
    jw_kv_str(w, "admdvs", e->c.admdvs);
    jw_kv_str(w, "fixmedins_code", e->c.fixmedins_code);
    jw_kv_str(w, "setl_id", e->c.setl_id);
    jw_kv_str(w, "scheme", r && r->scheme == DD_SCHEME_DIP ? "DIP" : "DRG");
    if (c->in_scope) {
        dd_jw_key(w, "insutype");
        size_t bl = dd_dec_format(buf, sizeof buf, c->scope.insutype, 0);
        dd_jw_string_n(w, buf, bl);
        dd_time_format_month(c->scope.month, buf, sizeof buf);
        jw_kv_str(w, "month", buf);
    } else {
        jw_kv_str(w, "insutype", NULL);
        jw_kv_str(w, "month", NULL);
    }
    dd_jw_key(w, "settled");
    dd_jw_bool(w, c->in_scope);
    dd_jw_key(w, "reversed");
    dd_jw_bool(w, c->reversed);
    dd_jw_key(w, "has_list");
    dd_jw_bool(w, c->has_list);
    jw_kv_str(w, "pay_method", dd_pay_method_name(c->pay_method));
    jw_kv_str(w, "group_status",
              c->grouped_by_scheme ? dd_group_status_name(c->status) : NULL);
    jw_kv_str(w, "group_reason", c->reason);
    jw_kv_str(w, "group_code", c->group[0] ? c->group : NULL);
    dd_jw_key(w, "weight");
    if (c->grouped)
        dd_jw_decimal_string(w, c->weight_e4, 4);
    else
        dd_jw_null(w);
    jw_kv_str(w, "category", c->has_points ? dd_category_name(c->category) : NULL);
    dd_jw_key(w, "points");
    dd_jw_decimal_string(w, c->points_e4, 4);
    dd_jw_key(w, "eligible");
    dd_jw_bool(w, c->eligible);
    jw_kv_str(w, "pending_reason",
              (c->in_scope && !c->reversed && !c->eligible) ? dd_pending_reason_name(c->pending)
                                                            : NULL);
    jw_kv_str(w, "special_status",
              c->special != DD_SPECIAL_NONE ? dd_special_status_name(c->special) : NULL);
    dd_jw_key(w, "paid");
    dd_jw_bool(w, c->paid);
    dd_jw_key(w, "paid_points");
    dd_jw_decimal_string(w, c->paid ? c->paid_points_e4 : 0, 4);
    if (c->in_scope) {
        dd_jw_key(w, "medfee");
        dd_jw_decimal_string(w, c->medfee_fen, 2);
        dd_jw_key(w, "fund_amount");
        dd_jw_decimal_string(w, c->fund_fen, 2);
        dd_jw_key(w, "psn_part");
        dd_jw_decimal_string(w, c->psn_part_fen, 2);
    } else {
        jw_kv_str(w, "medfee", NULL);
        jw_kv_str(w, "fund_amount", NULL);
        jw_kv_str(w, "psn_part", NULL);
    }
    dd_time_format_iso(ev->event_time_ms, buf, sizeof buf);
    jw_kv_str(w, "as_of", buf);
    dd_jw_object_end(w);
}

/* One more output of pending batch seq (the newest one) is in flight:
 * counted right after rd_kafka_produce() succeeds, before any poll can
 * serve its delivery report. */
static void pend_count(dd_processor *p, uint64_t seq)
{
    if (p->n_pend && p->pend[p->n_pend - 1].seq == seq)
        p->pend[p->n_pend - 1].remaining++;
}

/* One DLQ record (JSON, fields of schemas/dlq.avsc). */
static int produce_dlq(dd_processor *p, const rd_kafka_message_t *m, const char *reason,
                       const char *detail, const char *event_id, uint64_t seq)
{
    dd_jw w;
    dd_jw_init(&w);
    dd_jw_object_begin(&w);
    jw_kv_str(&w, "source_topic", m->rkt ? rd_kafka_topic_name(m->rkt) : p->input_topic);
    dd_jw_key(&w, "partition");
    dd_jw_int(&w, m->partition);
    dd_jw_key(&w, "offset");
    dd_jw_int(&w, m->offset);
    dd_jw_key(&w, "key");
    if (m->key)
        dd_jw_base64(&w, m->key, m->key_len);
    else
        dd_jw_null(&w);
    dd_jw_key(&w, "original");
    dd_jw_base64(&w, m->payload ? m->payload : (const void *)"", m->payload ? m->len : 0);
    jw_kv_str(&w, "reason", reason);
    jw_kv_str(&w, "detail", detail);
    jw_kv_str(&w, "event_id", event_id && *event_id ? event_id : NULL);
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    dd_jw_key(&w, "source_timestamp");
    if (tt != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
        dd_jw_int(&w, ts);
    else
        dd_jw_null(&w);
    dd_jw_object_end(&w);
    int rc = 0;
    if (w.oom)
        rc = -1;
    else {
        for (;;) {
            if (rd_kafka_produce(p->t_dlq, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, w.buf,
                                 w.len, m->key, m->key ? m->key_len : 0,
                                 (void *)(uintptr_t)seq) == 0) {
                pend_count(p, seq);
                break;
            }
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                plog(p, 0, "DLQ produce failed: %s", rd_kafka_err2str(rd_kafka_last_error()));
                rc = -1;
                break;
            }
            rd_kafka_poll(p->producer, 50);
        }
    }
    dd_jw_free(&w);
    return rc;
}

static void handle_consumer_error(dd_processor *p, rd_kafka_message_t *m)
{
    rd_kafka_resp_err_t err = m->err;
    if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        rd_kafka_message_destroy(m);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
        err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
        /* Never a silent skip: the committed position is gone. */
        INC(offset_resets);
        const char *why = rd_kafka_message_errstr(m);
        plog(p, 0, "OFFSET RESET on %s [%d] at offset %lld: %s; events may be missing, "
                   "stopping (an operator must decide how to recover)",
             m->rkt ? rd_kafka_topic_name(m->rkt) : p->input_topic, (int)m->partition,
             (long long)m->offset, why);
        produce_dlq(p, m, "OFFSET_RESET", why, NULL, 0);
        rd_kafka_flush(p->producer, 10000);
        snprintf(p->errstr, sizeof p->errstr, "offset reset on partition %d: %s",
                 (int)m->partition, why);
        p->fatal = 1;
        rd_kafka_message_destroy(m);
        return;
    }
    plog(p, err == RD_KAFKA_RESP_ERR__FATAL ? 0 : 1, "kafka: %s", rd_kafka_message_errstr(m));
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char e[256];
        rd_kafka_fatal_error(p->consumer, e, sizeof e);
        snprintf(p->errstr, sizeof p->errstr, "kafka fatal error: %s", e);
        p->fatal = 1;
    }
    rd_kafka_message_destroy(m);
}

/* ---------------- the batch ---------------- */

static int decode_one(dd_processor *p, int i)
{
    rd_kafka_message_t *m = p->msgs[i];
    bmsg *b = &p->bm[i];
    dd_event *ev = &p->evs[i];
    memset(b, 0, sizeof *b);
    b->m = m;
    b->id_fetch = -1;
    b->region = -1;
    const char *buf = m->payload ? m->payload : "";
    size_t len = m->payload ? m->len : 0;
    int rc;
    if (len > 0 && buf[0] == '{') {
        rc = dd_event_from_json(ev, p->jdoc, buf, len, &b->err);
    } else if (len == 0) {
        dd_event_clear(ev);
        dd_event_error_set(&b->err, DD_BAD_UNDECODABLE, "empty message");
        rc = -1;
    } else {
        rc = dd_avro_event_decode(p->avro, buf, len, ev, &b->err);
    }
    if (rc == 0)
        rc = dd_event_validate(ev, p->ds, &b->err);
    if (rc) {
        b->state = M_BAD;
        return 0;
    }
    const dd_region *r = dd_dataset_region(p->ds, ev->admdvs);
    if (!r) { /* validate guarantees it; keep the stream going regardless */
        dd_event_error_set(&b->err, DD_BAD_UNKNOWN_REGION, "unknown admdvs");
        b->state = M_BAD;
        return 0;
    }
    b->region = r->index;
    if (m->offset <= w_get(p, b->region, m->partition)) {
        b->state = M_REDELIVERED;
        return 0;
    }
    dd_event_pseudonymise(ev, p->psn_key);
    b->state = M_APPLY;
    return 0;
}

/* Plan the fetch: event ids (first of each id in the batch) and missing
 * cases. */
static int plan_fetch(dd_processor *p)
{
    memset(p->idset, 0, p->idset_cap * sizeof *p->idset);
    char key[256];
    for (int i = 0; i < p->nb; i++) {
        bmsg *b = &p->bm[i];
        if (b->state != M_APPLY)
            continue;
        dd_event *ev = &p->evs[i];
        if (idset_check(p, i) >= 0) {
            b->state = M_DUP;
            continue;
        }
        const char *evk = ev_key(p, b->region, ev->admdvs);
        if (!evk)
            return fail_at(p, __LINE__);
        b->id_fetch = add_fetch(p, evk, ev->event_id);
        if (b->id_fetch < 0)
            return fail_at(p, __LINE__);
        if (dd_event_is_case_event(ev->type)) {
            int created;
            centry *e = cache_get(p, ev, b->region, &created);
            if (!e)
                return fail_at(p, __LINE__);
            b->ce = e;
            if (created) {
                if (dd_store_key_cases(key, sizeof key, ev->admdvs, ev->fixmedins_code) < 0)
                    return fail_at(p, __LINE__);
                e->fetch_idx = add_fetch(p, key, ev->setl_id);
                if (e->fetch_idx < 0)
                    return fail_at(p, __LINE__);
            }
        }
    }
    return 0;
}

static uint64_t scope_hash(const dd_scope *sc)
{
    uint64_t h = hash_str(sc->admdvs) ^ (hash_str(sc->fixmedins_code) * 31);
    h ^= ((uint64_t)(uint32_t)sc->insutype << 32) ^ (uint64_t)(uint32_t)sc->month;
    h *= 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static int sc_rehash(dd_processor *p, size_t nc)
{
    int *t = calloc(nc, sizeof *t);
    if (!t)
        return -1;
    for (int i = 0; i < p->n_sc; i++) {
        size_t b = p->sc[i].hash & (nc - 1);
        while (t[b])
            b = (b + 1) & (nc - 1);
        t[b] = i + 1;
    }
    free(p->sctab);
    p->sctab = t;
    p->sctab_cap = nc;
    return 0;
}

/* The accumulator of a scope (created zeroed), NULL when out of memory. */
static scope_acc *scope_get(dd_processor *p, const dd_scope *sc)
{
    uint64_t h = scope_hash(sc);
    if (p->sctab_cap) {
        size_t b = h & (p->sctab_cap - 1);
        while (p->sctab[b]) {
            scope_acc *a = &p->sc[p->sctab[b] - 1];
            if (a->hash == h && dd_scope_equal(&a->scope, sc))
                return a;
            b = (b + 1) & (p->sctab_cap - 1);
        }
    }
    if (p->n_sc == p->cap_sc) {
        int nc = p->cap_sc ? p->cap_sc * 2 : 256;
        scope_acc *n = realloc(p->sc, (size_t)nc * sizeof *n);
        if (!n)
            return NULL;
        p->sc = n;
        p->cap_sc = nc;
    }
    if ((size_t)(p->n_sc + 1) * 2 > p->sctab_cap &&
        sc_rehash(p, p->sctab_cap ? p->sctab_cap * 2 : 1024))
        return NULL;
    scope_acc *a = &p->sc[p->n_sc];
    memset(a, 0, sizeof *a);
    a->scope = *sc;
    a->part = HP_NONE;
    a->hash = h;
    size_t b = h & (p->sctab_cap - 1);
    while (p->sctab[b])
        b = (b + 1) & (p->sctab_cap - 1);
    p->sctab[b] = ++p->n_sc;
    return a;
}

static void scope_reset(dd_processor *p)
{
    if (p->n_sc && p->sctab)
        memset(p->sctab, 0, p->sctab_cap * sizeof *p->sctab);
    p->n_sc = 0;
}

/* d[i] += sign * v[i]; -1 on int64 overflow (a batch error, as the store's). */
static int acc_add(scope_acc *a, const int64_t v[DD_CTR__COUNT], int sign)
{
    for (int i = 0; i < DD_CTR__COUNT; i++) {
        if (!v[i])
            continue;
        if (sign < 0 && v[i] == INT64_MIN)
            return -1;
        int64_t x = sign > 0 ? v[i] : -v[i];
        if (__builtin_add_overflow(a->d[i], x, &a->d[i]))
            return -1;
    }
    return 0;
}

/* Counter deltas of one case change at the scopes of old and new:
 * counters(new) - counters(old) at one scope (the usual case); a case that
 * moved scope is retracted at the old one and added at the new one. */
static void scope_part(scope_acc *s, int32_t part)
{
    if (s->part == HP_NONE)
        s->part = part;
    else if (s->part != part)
        s->part = HP_MIXED;
}

static int add_change(dd_processor *p, const dd_contrib *oc, const dd_contrib *nc, int32_t part)
{
    int64_t a[DD_CTR__COUNT], b[DD_CTR__COUNT];
    if (oc->in_scope && nc->in_scope && dd_scope_equal(&oc->scope, &nc->scope)) {
        scope_acc *s = scope_get(p, &nc->scope);
        if (!s)
            return -1;
        scope_part(s, part);
        dd_contrib_counters(oc, a);
        dd_contrib_counters(nc, b);
        /* both are counter values of one case: the difference fits */
        for (int i = 0; i < DD_CTR__COUNT; i++)
            b[i] -= a[i];
        return acc_add(s, b, +1);
    }
    if (oc->in_scope) {
        scope_acc *s = scope_get(p, &oc->scope);
        if (!s)
            return -1;
        scope_part(s, part);
        dd_contrib_counters(oc, a);
        if (acc_add(s, a, -1))
            return -1;
    }
    if (nc->in_scope) {
        scope_acc *s = scope_get(p, &nc->scope);
        if (!s)
            return -1;
        scope_part(s, part);
        dd_contrib_counters(nc, b);
        if (acc_add(s, b, +1))
            return -1;
        s->hs = 1;
    }
    return 0;
}

static int scope_keys(const scope_acc *s, char *kt, char *kh, size_t cap)
{
    const dd_scope *sc = &s->scope;
    char ym[8];
    dd_time_format_month(sc->month, ym, sizeof ym);
    if (dd_store_key_month(kt, cap, sc->admdvs, sc->insutype, ym) < 0 ||
        dd_store_key_hospital(kh, cap, sc->admdvs, sc->insutype, ym, sc->fixmedins_code) < 0)
        return -1;
    return 0;
}

#define HFETCH (DD_CTR__COUNT + 1) /* the counters, then dd:{R}:hp <hospital> */

/* The hospital keys of this batch's scopes that are not cached: one fetch of
 * all their counters and of the hospital's writer claim (0 = nothing to
 * fetch, 1 = planned, -1 = error). */
static int hcache_plan(dd_processor *p)
{
    fetch_clear(p);
    for (int k = 0; k < p->n_sc; k++) {
        char kt[256], kh[256], kp[64];
        if (scope_keys(&p->sc[k], kt, kh, sizeof kh))
            return fail_at(p, __LINE__);
        if ((p->sc[k].he = hcache_find(p, kh, hash_str(kh))))
            continue;
        if (dd_store_key_hospital_owners(kp, sizeof kp, p->sc[k].scope.admdvs) < 0)
            return fail_at(p, __LINE__);
        for (int i = 0; i < DD_CTR__COUNT; i++)
            if (add_fetch(p, kh, dd_counter_name((dd_counter)i)) < 0)
                return fail_at(p, __LINE__);
        if (add_fetch(p, kp, p->sc[k].scope.fixmedins_code) < 0)
            return fail_at(p, __LINE__);
    }
    return p->n_fetch > 0;
}

/* The fetched counters and claims into new cache entries (absent field =
 * 0). -2: a value that is not an int64 (nothing is written). */
static int hcache_take(dd_processor *p)
{
    for (size_t j = 0; j + HFETCH <= p->n_fetch; j += HFETCH) {
        const char *kh = p->fa + p->fko[j];
        hentry *e = hcache_add(p, kh, hash_str(kh));
        if (!e)
            return fail_at(p, __LINE__);
        for (int i = 0; i < DD_CTR__COUNT; i++) {
            const char *v = p->fvals[j + (size_t)i], *q = v;
            if (!v)
                continue;
            if (dd_i64_scan(&q, &e->v[i]) || *q) {
                snprintf(p->errstr, sizeof p->errstr, "%s %s is not an int64 (\"%.40s\")", kh,
                         dd_counter_name((dd_counter)i), v);
                plog(p, 0, "%s", p->errstr);
                return -2;
            }
        }
        const char *w = p->fvals[j + DD_CTR__COUNT], *q = w;
        int64_t part;
        if (!w)
            e->owner = HP_NONE;
        else if (!strcmp(w, "*"))
            e->shared = 1;
        else if (!dd_i64_scan(&q, &part) && !*q && part >= 0 && part <= INT32_MAX)
            e->owner = (int32_t)part;
        else /* not ours to judge: whoever wrote it, increments stay exact */
            e->shared = 1;
    }
    fetch_clear(p);
    return 0;
}

/* Which scopes' hospitals go by increments in this batch: the hospital is
 * marked "*", or its events came from two partitions (in this batch, or
 * another partition holds its claim). One decision per hospital. */
static int hcache_decide(dd_processor *p)
{
    int any = 0;
    for (int k = 0; k < p->n_sc; k++) {
        scope_acc *s = &p->sc[k];
        if (!s->he) { /* read by this batch: found once more */
            char kt[256], kh[256];
            if (scope_keys(s, kt, kh, sizeof kh) || !(s->he = hcache_find(p, kh, hash_str(kh))))
                return fail_at(p, __LINE__);
        }
        const hentry *he = s->he;
        s->shared = he->shared || s->part == HP_MIXED ||
                    (he->owner != HP_NONE && he->owner != s->part);
        any |= s->shared;
    }
    if (!any)
        return 0;
    for (int k = 0; k < p->n_sc; k++)
        for (int j = 0; j < p->n_sc && !p->sc[k].shared; j++)
            if (p->sc[j].shared &&
                !strcmp(p->sc[j].scope.fixmedins_code, p->sc[k].scope.fixmedins_code) &&
                !strcmp(p->sc[j].scope.admdvs, p->sc[k].scope.admdvs))
                p->sc[k].shared = 1;
    return 0;
}

/* The summed deltas into the store batch: increments of the region's t key
 * (many members write it); for the h key the new values (cached value + sum)
 * with the hospital's claim, or increments when the hospital is shared.
 * -2: a counter would leave int64. */
static int flush_scopes(dd_processor *p)
{
    if (hcache_decide(p))
        return -1;
    for (int k = 0; k < p->n_sc; k++) {
        const scope_acc *s = &p->sc[k];
        const dd_scope *sc = &s->scope;
        char ym[8], kt[256], kh[256], kp[64];
        dd_time_format_month(sc->month, ym, sizeof ym);
        if (scope_keys(s, kt, kh, sizeof kh))
            return fail_at(p, __LINE__);
        hentry *he = s->he;
        if (s->shared && !he->shared) {
            he->shared = 1;
            plog(p, 1,
                 "hospital %s (region %s): events from more than one partition (producers "
                 "must key by fixmedins_code): its totals are summed by increments from now on",
                 sc->fixmedins_code, sc->admdvs);
        }
        int wrote = 0;
        for (int i = 0; i < DD_CTR__COUNT; i++) {
            if (!s->d[i])
                continue;
            const char *f = dd_counter_name((dd_counter)i);
            if (dd_store_batch_incr(p->sb, kt, f, s->d[i]))
                return fail_at(p, __LINE__);
            if (s->shared) {
                if (dd_store_batch_incr(p->sb, kh, f, s->d[i]))
                    return fail_at(p, __LINE__);
                continue;
            }
            int64_t nv;
            if (__builtin_add_overflow(he->v[i], s->d[i], &nv)) {
                snprintf(p->errstr, sizeof p->errstr, "%s %s would leave int64", kh, f);
                plog(p, 0, "%s", p->errstr);
                return -2;
            }
            he->v[i] = nv;
            wrote = 1;
            if (dd_store_batch_set_i64(p->sb, kh, f, nv))
                return fail_at(p, __LINE__);
        }
        if ((s->shared || wrote) && dd_store_key_hospital_owners(kp, sizeof kp, sc->admdvs) < 0)
            return fail_at(p, __LINE__);
        if (s->shared) {
            if (dd_store_batch_set(p->sb, kp, sc->fixmedins_code, "*"))
                return fail_at(p, __LINE__);
        } else if (wrote) {
            char pb[16];
            snprintf(pb, sizeof pb, "%d", (int)s->part);
            he->owner = s->part;
            if (dd_store_batch_claim(p->sb, kp, sc->fixmedins_code, pb))
                return fail_at(p, __LINE__);
        }
        if (s->hs) {
            char ks[256];
            if (dd_store_key_hospitals(ks, sizeof ks, sc->admdvs, sc->insutype, ym) < 0 ||
                dd_store_batch_set(p->sb, ks, sc->fixmedins_code, "1"))
                return fail_at(p, __LINE__);
            /* months with data, for the month-close scheduler */
            char mf[32];
            if (dd_monthclose_key_months(ks, sizeof ks, sc->admdvs) < 0 ||
                dd_monthclose_months_field(mf, sizeof mf, sc->insutype, sc->month) < 0 ||
                dd_store_batch_set(p->sb, ks, mf, "1"))
                return fail_at(p, __LINE__);
        }
    }
    scope_reset(p);
    return 0;
}

static int apply_all(dd_processor *p)
{
    char key[256];
    /* load fetched cases */
    for (int i = 0; i < p->nb; i++) {
        centry *e = p->bm[i].ce;
        if (!e || e->loaded)
            continue;
        if (e->fetch_idx >= 0 && p->fvals[e->fetch_idx]) {
            const char *v = p->fvals[e->fetch_idx];
            /* decode re-initialises the case: pass copies of its identity */
            char adm[sizeof e->c.admdvs], code[sizeof e->c.fixmedins_code],
                setl[sizeof e->c.setl_id];
            memcpy(adm, e->c.admdvs, sizeof adm);
            memcpy(code, e->c.fixmedins_code, sizeof code);
            memcpy(setl, e->c.setl_id, sizeof setl);
            dd_case_free(&e->c);
            if (dd_case_decode(&e->c, adm, code, setl, v, strlen(v))) {
                snprintf(p->errstr, sizeof p->errstr,
                         "malformed case record in Redis (region %s, hospital %s)", e->c.admdvs,
                         e->c.fixmedins_code);
                plog(p, 0, "%s", p->errstr);
                return -2;
            }
        }
        memset(&e->memo, 0, sizeof e->memo);
        dd_case_contribution(p->ds, &e->c, &e->memo, &e->contrib);
        e->loaded = 1;
        e->fetch_idx = -1;
    }
    p->n_dirty = 0;
    scope_reset(p);
    if (p->sa)
        dd_stream_alerts_batch_reset(p->sa);
    for (int i = 0; i < p->nb; i++) {
        bmsg *b = &p->bm[i];
        rd_kafka_message_t *m = p->msgs[i];
        dd_event *ev = &p->evs[i];
        if (b->state == M_APPLY && b->id_fetch >= 0 && p->fvals[b->id_fetch])
            b->state = M_DUP;
        if (b->state != M_APPLY && b->state != M_DUP)
            continue;
        const dd_region *r = dd_dataset_region_at(p->ds, b->region);
        if (dd_store_batch_offset(p->sb, r->admdvs, m->partition, m->offset))
            return fail_at(p, __LINE__);
        if (b->state == M_DUP)
            continue;
        const char *evk = ev_key(p, b->region, ev->admdvs);
        if (!evk || dd_store_batch_set(p->sb, evk, ev->event_id, "1"))
            return fail_at(p, __LINE__);
        if (dd_event_is_case_event(ev->type)) {
            centry *e = b->ce;
            /* seq: arrival order within the partition (a case's events share one) */
            if (p->sa)
                dd_stream_alerts_case_before(p->sa, &e->c, &e->contrib);
            int ch = dd_case_apply(&e->c, ev, (uint64_t)m->offset + 1);
            if (ch < 0)
                return fail_at(p, __LINE__);
            if (ch > 0) {
                dd_contrib nc;
                dd_case_contribution(p->ds, &e->c, &e->memo, &nc);
                if (add_change(p, &e->contrib, &nc, m->partition))
                    return fail_at(p, __LINE__);
                if (p->sa && dd_stream_alerts_case_change(p->sa, p->sb, &e->c, &e->contrib, &nc))
                    return fail_at(p, __LINE__);
                e->contrib = nc;
                if (dirty_add(p, e))
                    return fail_at(p, __LINE__);
                if (p->t_results) {
                    size_t off = p->out.len;
                    case_result_json(p, ev, e, &nc);
                    if (p->out.oom || out_add(p, off, i))
                        return fail_at(p, __LINE__);
                }
            }
        } else if (ev->type == DD_EV_BUDGET) {
            char f[96];
            int mn = (ev->has & DD_F_MONTH) ? ev->month : 0;
            if (dd_store_key_budget(key, sizeof key, ev->admdvs, ev->insutype, ev->year) < 0 ||
                dd_live_budget_field(f, sizeof f, mn, ev->event_time_ms, m->partition,
                                     m->offset) < 0 ||
                dd_store_batch_set_i64(p->sb, key, f, ev->amount_fen))
                return fail_at(p, __LINE__);
            if (p->sa && dd_stream_alerts_budget(p->sa, ev->admdvs, ev->insutype, ev->year))
                return fail_at(p, __LINE__);
        }
    }
    for (int i = 0; i < p->n_dirty; i++) {
        centry *e = p->dirty[i];
        char *rec = NULL;
        if (dd_case_encode(&e->c, &rec) < 0)
            return fail_at(p, __LINE__);
        int bad = dd_store_key_cases(key, sizeof key, e->c.admdvs, e->c.fixmedins_code) < 0 ||
                  dd_store_batch_set(p->sb, key, e->c.setl_id, rec);
        free(rec);
        if (bad)
            return fail_at(p, __LINE__);
    }
    return 0;
}

/* Outputs tagged with batch seq, counted in its pending entry. */
static void produce_outputs(dd_processor *p, uint64_t seq)
{
    for (int i = 0; i < p->nb; i++) {
        bmsg *b = &p->bm[i];
        if (b->state != M_BAD)
            continue;
        /* reason and position only: the detail may quote field values */
        plog(p, 3, "bad event at partition %d offset %lld: %s -> DLQ",
             (int)p->msgs[i]->partition, (long long)p->msgs[i]->offset,
             dd_bad_reason_name(b->err.reason));
        produce_dlq(p, p->msgs[i], dd_bad_reason_name(b->err.reason), b->err.detail,
                    p->evs[i].event_id, seq);
    }
    for (int k = 0; k < p->n_outs; k++) {
        const outrec *o = &p->outs[k];
        const dd_event *ev = &p->evs[o->msg];
        for (;;) {
            if (rd_kafka_produce(p->t_results, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                                 p->out.buf + o->off, o->len, ev->fixmedins_code,
                                 strlen(ev->fixmedins_code), (void *)(uintptr_t)seq) == 0) {
                INC(case_results);
                pend_count(p, seq);
                break;
            }
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                plog(p, 1, "case-result produce failed: %s",
                     rd_kafka_err2str(rd_kafka_last_error()));
                break;
            }
            rd_kafka_poll(p->producer, 50);
        }
    }
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    dd_processor *p = opaque;
    uint64_t seq = (uint64_t)(uintptr_t)m->_private;
    if (p->t_alerts && m->rkt == p->t_alerts) {
        /* alerts carry {seq, outbox token}: delivered -> outbox entry deleted */
        sa_opaque *o = m->_private;
        seq = o ? o->seq : 0;
        if (o)
            dd_stream_alerts_delivered(p->sa, o->token, !m->err);
        free(o);
    }
    if (m->err)
        plog(p, 1, "output not delivered to %s: %s (at-least-once: continuing)",
             m->rkt ? rd_kafka_topic_name(m->rkt) : "?", rd_kafka_err2str(m->err));
    for (int i = 0; i < p->n_pend; i++)
        if (p->pend[i].seq == seq) {
            p->pend[i].remaining--;
            break;
        }
}

/* Remember the batch just committed to Redis (its offsets in p->parts). */
static int pend_add(dd_processor *p, uint64_t seq, int remaining)
{
    if (!p->n_parts)
        return 0;
    if (p->n_pend == p->cap_pend) {
        int nc = p->cap_pend ? p->cap_pend * 2 : 16;
        pend_batch *n = realloc(p->pend, (size_t)nc * sizeof *n);
        if (!n)
            return -1;
        p->pend = n;
        p->cap_pend = nc;
    }
    part_off *c = malloc((size_t)p->n_parts * sizeof *c);
    if (!c)
        return -1;
    memcpy(c, p->parts, (size_t)p->n_parts * sizeof *c);
    p->pend[p->n_pend++] = (pend_batch){seq, remaining, c, p->n_parts};
    return 0;
}

static void pend_drop(dd_processor *p)
{
    for (int i = 0; i < p->n_pend; i++)
        free(p->pend[i].parts);
    p->n_pend = 0;
}

/* Commit the Kafka offsets of the leading pending batches whose outputs are
 * all acknowledged (sync: wait for every output first). */
static void commit_kafka(dd_processor *p, int sync)
{
    if (!p->n_pend)
        return;
    if (sync) {
        if (rd_kafka_outq_len(p->producer) > 0)
            rd_kafka_flush(p->producer, 30000);
        if (rd_kafka_outq_len(p->producer) > 0) {
            plog(p, 1, "outputs not yet acknowledged after 30 s (at-least-once: continuing)");
            for (int i = 0; i < p->n_pend; i++)
                p->pend[i].remaining = 0;
        }
    } else {
        rd_kafka_poll(p->producer, 0);
    }
    int k = 0;
    while (k < p->n_pend && p->pend[k].remaining <= 0)
        k++;
    if (!k)
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(32);
    for (int b = 0; b < k; b++) {
        for (int i = 0; i < p->pend[b].n_parts; i++) {
            const part_off *po = &p->pend[b].parts[i];
            rd_kafka_topic_partition_t *t =
                rd_kafka_topic_partition_list_find(l, p->input_topic, po->partition);
            if (!t)
                t = rd_kafka_topic_partition_list_add(l, p->input_topic, po->partition);
            if (t->offset < po->max_offset + 1)
                t->offset = po->max_offset + 1;
        }
        free(p->pend[b].parts);
    }
    memmove(p->pend, p->pend + k, (size_t)(p->n_pend - k) * sizeof *p->pend);
    p->n_pend -= k;
    rd_kafka_resp_err_t err = rd_kafka_commit(p->consumer, l, !sync);
    if (err)
        plog(p, 1, "kafka offset commit: %s (Redis offsets keep the totals exact)",
             rd_kafka_err2str(err));
    else if (sync)
        INC(kafka_commits);
    rd_kafka_topic_partition_list_destroy(l);
}

/* ---------------- alerts (consumers/dd_stream_alerts) ---------------- */

static int op_alerts_prepare(dd_processor *p, void *ctx)
{
    (void)ctx;
    int r = dd_stream_alerts_prepare(p->sa, p->store, p->sb);
    if (r == -2) {
        /* not a Redis failure: reported after with_redis */
        snprintf(p->errstr, sizeof p->errstr, "alerts: out of memory or batch error (%s)",
                 dd_store_batch_err(p->sb) ? dd_store_batch_errstr(p->sb) : "no memory");
        return 0;
    }
    return r;
}

/* Produce the alerts listed by the last evaluate/recover; seq: the pending
 * batch they belong to (0: none, e.g. recovered outbox entries). */
static void produce_alert_list(dd_processor *p, uint64_t seq)
{
    for (size_t i = 0; i < dd_stream_alerts_out_count(p->sa); i++) {
        size_t len;
        const char *key;
        void *token;
        const char *json = dd_stream_alerts_out_at(p->sa, i, &len, &key, &token);
        sa_opaque *o = malloc(sizeof *o);
        if (!o) {
            dd_stream_alerts_delivered(p->sa, token, 0); /* stays in the outbox */
            continue;
        }
        o->seq = seq;
        o->token = token;
        for (;;) {
            if (rd_kafka_produce(p->t_alerts, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                                 (void *)json, len, key, strlen(key), o) == 0) {
                pend_count(p, seq);
                break;
            }
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                plog(p, 1, "alert produce failed: %s (kept in the Redis outbox)",
                     rd_kafka_err2str(rd_kafka_last_error()));
                dd_stream_alerts_delivered(p->sa, token, 0);
                free(o);
                break;
            }
            rd_kafka_poll(p->producer, 50);
        }
    }
}

static void alerts_stats(dd_processor *p)
{
    dd_stream_alerts_stats s;
    dd_stream_alerts_get_stats(p->sa, &s);
    atomic_store_explicit(&p->st.alerts_fired, s.fired, memory_order_relaxed);
    atomic_store_explicit(&p->st.alerts_cleared, s.cleared, memory_order_relaxed);
}

/* Owed evaluations and outbox entries (start, Redis restart, a failed
 * evaluation): at most once a second while Redis fails. */
static void alerts_recover(dd_processor *p)
{
    if (!p->sa || !dd_stream_alerts_recover_due(p->sa, p->store) || mono_ms() < p->sa_retry_ms)
        return;
    if (dd_stream_alerts_recover(p->sa, p->store)) {
        p->sa_retry_ms = mono_ms() + 1000;
        plog(p, 1, "alerts: recovery failed (%s): retrying", dd_store_errstr(p->store));
        return;
    }
    size_t n = dd_stream_alerts_out_count(p->sa);
    if (n)
        plog(p, 2, "alerts: re-producing %zu outbox entr%s", n, n == 1 ? "y" : "ies");
    produce_alert_list(p, 0);
    alerts_stats(p);
}

/* Evaluate what the committed batches touched, produce the alerts (seq:
 * the pending batch they go with, 0 none: the Redis outbox makes them
 * at-least-once either way). */
static void alerts_evaluate(dd_processor *p, uint64_t seq)
{
    if (!p->sa)
        return;
    int64_t t0 = mono_ms();
    p->sa_next_ms = t0 + p->sa_interval_ms;
    if (dd_stream_alerts_evaluate(p->sa, p->store)) {
        plog(p, 1, "alerts: evaluation failed (%s): owed, retried later",
             dd_store_errstr(p->store));
        p->sa_retry_ms = mono_ms() + 1000;
        return;
    }
    produce_alert_list(p, seq);
    alerts_stats(p);
    plog(p, 3, "alerts: evaluated in %lld ms, %zu to produce", (long long)(mono_ms() - t0),
         dd_stream_alerts_out_count(p->sa));
    alerts_recover(p); /* after: it reuses the batch state */
}

static void seek_back(dd_processor *p, int always)
{
    if ((!p->cooperative && !always) || !p->nb)
        return;
    /* cooperative (or a batch to redo): partitions we still own must not
     * skip the abandoned messages */
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(p->consumer, &a) || !a)
        return;
    rd_kafka_topic_partition_list_t *s = rd_kafka_topic_partition_list_new(a->cnt);
    for (int i = 0; i < a->cnt; i++) {
        int64_t first = -1;
        for (int k = 0; k < p->nb; k++)
            if (p->msgs[k]->partition == a->elems[i].partition &&
                (first < 0 || p->msgs[k]->offset < first))
                first = p->msgs[k]->offset;
        if (first >= 0)
            rd_kafka_topic_partition_list_add(s, a->elems[i].topic, a->elems[i].partition)
                ->offset = first;
    }
    if (s->cnt) {
        rd_kafka_error_t *e = rd_kafka_seek_partitions(p->consumer, s, 10000);
        if (e) {
            plog(p, 0, "seek after an abandoned batch failed: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            p->fatal = 1;
        }
    }
    rd_kafka_topic_partition_list_destroy(s);
    rd_kafka_topic_partition_list_destroy(a);
}

/* ---------------- month close (dd_monthclose.h) ---------------- */

static int mc_init(dd_processor *p, char *errstr, size_t errlen)
{
    const dd_config *cfg = p->cfg;
    p->snap_avro = !strcmp(dd_config_get(cfg, "output.format"), "avro");
    dd_avro_error ae;
    p->snap_codec = dd_avro_out_codec_new("snapshot", &ae);
    if (!p->snap_codec) {
        snprintf(errstr, errlen, "avro snapshot codec: %s", ae.msg);
        return -1;
    }
    const char *ts = dd_config_get(cfg, "output.snapshots");
    if (ts && *ts) {
        p->t_snap = rd_kafka_topic_new(p->producer, ts, NULL);
        if (!p->t_snap) {
            snprintf(errstr, errlen, "kafka: cannot create the snapshot topic handle");
            return -1;
        }
    }
    p->sched_on = !strcmp(dd_config_get(cfg, "month_close.scheduler"), "on");
    p->sched_check_ms = dd_config_get_int(cfg, "month_close.check_s") * 1000;
    const char *now = dd_config_get(cfg, "month_close.now");
    if (now && *now && dd_time_parse_iso_ms(now, strlen(now), &p->sched_now_ms)) {
        snprintf(errstr, errlen, "month_close.now: not an ISO-8601 instant with offset");
        return -1;
    }
    if (p->sched_on) {
        p->t_input = rd_kafka_topic_new(p->producer, p->input_topic, NULL);
        if (!p->t_input) {
            snprintf(errstr, errlen, "kafka: cannot create the input topic handle");
            return -1;
        }
        plog(p, 2, "month-close scheduler on: checks every %lld s%s%s", (long long)(p->sched_check_ms / 1000),
             p->sched_now_ms ? ", now fixed at " : "", p->sched_now_ms ? now : "");
    }
    return 0;
}

static void mc_clear(dd_processor *p)
{
    for (int i = 0; i < p->n_mco; i++)
        dd_monthclose_result_free(&p->mco[i]);
    p->n_mco = 0;
}

static void mc_destroy(dd_processor *p)
{
    mc_clear(p);
    free(p->mco);
    free(p->sched_sent);
    if (p->t_snap)
        rd_kafka_topic_destroy(p->t_snap);
    if (p->t_input)
        rd_kafka_topic_destroy(p->t_input);
    if (p->snap_codec)
        dd_avro_codec_destroy(p->snap_codec);
    p->t_snap = p->t_input = NULL;
    p->snap_codec = NULL;
}

typedef struct {
    const dd_event *ev;
    dd_monthclose_result res;
} mc_ctx;

static int op_close(dd_processor *p, void *ctx)
{
    mc_ctx *c = ctx;
    char e[512];
    dd_monthclose_result_free(&c->res);
    if (!dd_monthclose_close(p->store, p->ds, p->snap_codec, c->ev->admdvs, c->ev->insutype,
                             c->ev->close_month, &c->res, e, sizeof e))
        return 0;
    if (dd_store_err(p->store) != DD_STORE_ERR_IO)
        plog(p, 0, "month close %s %d: %s", c->ev->admdvs, c->ev->insutype, e);
    return -1;
}

/* Close the month of every valid MONTH_CLOSE of the batch (new, duplicate
 * id or redelivered: a redelivered close re-emits, that is the crash path).
 * The snapshots wait in p->mco for produce_snapshots. R_OK or with_redis's
 * code (nothing kept then: the batch's Kafka offsets are not committed and
 * the closes are redone on redelivery). */
static int close_months(dd_processor *p, int allow_wait)
{
    for (int i = 0; i < p->nb; i++) {
        int st = p->bm[i].state;
        if ((st != M_APPLY && st != M_DUP && st != M_REDELIVERED) ||
            p->evs[i].type != DD_EV_MONTH_CLOSE)
            continue;
        if (p->n_mco == p->cap_mco) {
            int nc = p->cap_mco ? p->cap_mco * 2 : 8;
            dd_monthclose_result *n = realloc(p->mco, (size_t)nc * sizeof *n);
            if (!n) {
                mc_clear(p);
                snprintf(p->errstr, sizeof p->errstr, "out of memory");
                plog(p, 0, "%s", p->errstr);
                return R_FATAL;
            }
            p->mco = n;
            p->cap_mco = nc;
        }
        mc_ctx c;
        memset(&c, 0, sizeof c);
        c.ev = &p->evs[i];
        int rc = with_redis(p, allow_wait, op_close, &c, "month close");
        if (rc) {
            dd_monthclose_result_free(&c.res);
            mc_clear(p);
            return rc;
        }
        char ym[8];
        dd_time_format_month(c.ev->close_month, ym, sizeof ym);
        if (c.res.created) {
            INC(month_close);
            char lp[32];
            int64_t a = c.res.late_points_e4 < 0 ? -c.res.late_points_e4 : c.res.late_points_e4;
            snprintf(lp, sizeof lp, "%s%lld.%04lld", c.res.late_points_e4 < 0 ? "-" : "",
                     (long long)(a / 10000), (long long)(a % 10000));
            plog(p, 2, "month closed: %s %d %s, %d hospitals, late adjustments %lld cases %s "
                       "points, snapshot %s",
                 c.ev->admdvs, c.ev->insutype, ym, c.res.n_hospitals,
                 (long long)c.res.late_cases, lp, c.res.id);
        } else {
            INC(month_close_repeat);
            plog(p, 2, "month already closed: %s %d %s, re-emitting the stored snapshot %s",
                 c.ev->admdvs, c.ev->insutype, ym, c.res.id);
        }
        p->mco[p->n_mco++] = c.res;
    }
    return R_OK;
}

/* The batch's snapshots to output.snapshots (key admdvs, header
 * snapshot_id), counted in the batch's pending outputs. */
static void produce_snapshots(dd_processor *p, uint64_t seq)
{
    for (int k = 0; k < p->n_mco && p->t_snap; k++) {
        const dd_monthclose_result *r = &p->mco[k];
        const void *v = r->json;
        size_t n = r->json_len;
        if (p->snap_avro) {
            if (r->avro_len) {
                v = r->avro;
                n = r->avro_len;
            } else {
                plog(p, 1, "snapshot %s has no stored Avro form: sent as JSON", r->id);
            }
        }
        /* id = MONTH_CLOSE:<admdvs>:<ins>:<YYYY-MM> */
        const char *key = strchr(r->id, ':');
        key = key ? key + 1 : r->id;
        size_t klen = strcspn(key, ":");
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                p->producer, RD_KAFKA_V_RKT(p->t_snap), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE((void *)v, n),
                RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_HEADER("snapshot_id", r->id, -1),
                RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq), RD_KAFKA_V_END);
            if (!e) {
                pend_count(p, seq);
                break;
            }
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                plog(p, 1, "snapshot produce failed: %s", rd_kafka_err2str(e));
                break;
            }
            rd_kafka_poll(p->producer, 50);
        }
    }
    mc_clear(p);
}

/* Scheduler: MONTH_CLOSE events for every due (region, insutype, month)
 * to the input topic, keyed by admdvs, once per process (the deterministic
 * event id makes another processor's copy a duplicate). */
static void sched_tick(dd_processor *p)
{
    int64_t now = p->sched_now_ms ? p->sched_now_ms : wall_ms();
    dd_monthclose_due *d = NULL;
    size_t n = 0;
    char e[512];
    if (dd_monthclose_find_due(p->store, p->ds, now, &d, &n, e, sizeof e)) {
        plog(p, 1, "month-close scheduler: %s (retrying at the next check)", e);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char id[48], t[40];
        if (dd_monthclose_id(id, sizeof id, d[i].admdvs, d[i].insutype, d[i].month) < 0)
            continue;
        int seen = 0;
        for (int k = 0; k < p->n_sent && !seen; k++)
            seen = !strcmp(p->sched_sent[k], id);
        if (seen)
            continue;
        if (p->n_sent == p->cap_sent) {
            int nc = p->cap_sent ? p->cap_sent * 2 : 64;
            char(*ns)[48] = realloc(p->sched_sent, (size_t)nc * sizeof *ns);
            if (!ns)
                break;
            p->sched_sent = ns;
            p->cap_sent = nc;
        }
        dd_jw w;
        dd_jw_init(&w);
        dd_monthclose_event_json(&d[i], &w);
        int ok = 0;
        while (!w.oom) {
            if (rd_kafka_produce(p->t_input, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, w.buf,
                                 w.len, d[i].admdvs, strlen(d[i].admdvs), NULL) == 0) {
                ok = 1;
                break;
            }
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                plog(p, 1, "month-close scheduler: produce failed: %s",
                     rd_kafka_err2str(rd_kafka_last_error()));
                break;
            }
            rd_kafka_poll(p->producer, 50);
        }
        dd_jw_free(&w);
        if (!ok)
            continue;
        snprintf(p->sched_sent[p->n_sent++], sizeof p->sched_sent[0], "%s", id);
        dd_time_format_iso(d[i].cutoff_ms, t, sizeof t);
        plog(p, 2, "month-close scheduler: emitted %s (cut-off %s)", id, t);
    }
    free(d);
}

/* Decode, fetch, apply, commit to Redis, produce, commit to Kafka. */
static int process_batch(dd_processor *p, int allow_wait, int sync_commit)
{
    if (!p->nb)
        return R_OK;
    p->in_flight = 1;
    p->abandon = 0;
    dd_store_batch_reset(p->sb);
    p->n_parts = 0;
    p->n_outs = 0;
    dd_jw_reset(&p->out);
    int rc = R_OK, restarts = 0;
    int64_t t0 = mono_ms(), t_fetch = 0, t_apply = 0, t_commit = 0;
    int drop_caches = 0;

again:
    check_restart(p);
    if (p->w_stale) {
        rc = with_redis(p, allow_wait, op_w_load, NULL, "offset read");
        if (rc)
            goto out;
        check_restart(p);
        p->w_stale = 0;
    }
    for (int i = 0; i < p->nb; i++) {
        decode_one(p, i);
        if (parts_note(p, p->msgs[i]->partition, p->msgs[i]->offset))
            goto oom;
    }
    p->errstr[0] = '\0';
    if (plan_fetch(p))
        goto oom;
    t_fetch = mono_ms();
    size_t n_fetched = p->n_fetch;
    rc = with_redis(p, allow_wait, op_fetch, NULL, "fetch");
    if (rc)
        goto out;
    t_apply = mono_ms();
    check_restart(p);
    if (p->w_stale) {
        /* the fetch reached a restarted server (the cache is gone): decide
         * again on its offsets */
        fetch_clear(p);
        p->n_parts = 0;
        if (restarts++ < 3)
            goto again;
        snprintf(p->errstr, sizeof p->errstr, "redis keeps restarting");
        plog(p, 0, "%s", p->errstr);
        rc = R_FATAL;
        goto out;
    }
    int ar = apply_all(p);
    if (ar == 0) {
        /* hospital totals not cached yet: one more read (first touch only) */
        ar = hcache_plan(p);
        if (ar > 0) {
            rc = with_redis(p, allow_wait, op_fetch, NULL, "hospital totals read");
            if (rc)
                goto out;
            ar = hcache_take(p);
        }
        if (ar == 0)
            ar = flush_scopes(p);
    }
    if (ar == -1)
        goto oom;
    if (ar == -2) {
        rc = R_FATAL;
        goto out;
    }
    if (p->sa) {
        rc = with_redis(p, allow_wait, op_alerts_prepare, NULL, "alerts read");
        if (rc)
            goto out;
        if (p->errstr[0])
            goto oom;
    }
    if (dd_store_batch_err(p->sb)) {
        snprintf(p->errstr, sizeof p->errstr, "redis batch: %s",
                 dd_store_batch_errstr(p->sb));
        plog(p, 0, "%s", p->errstr);
        rc = R_FATAL;
        goto out;
    }
    dd_store_commit_result cr;
    t_commit = mono_ms();
    if (dd_store_batch_regions(p->sb)) {
        rc = with_redis(p, allow_wait, op_commit, &cr, "commit");
        if (rc)
            goto out;
        INC(batches);
        atomic_store_explicit(&p->st.last_commit_ms, wall_ms(), memory_order_relaxed);
        /* a region batch already in Redis was written by another member (a
         * zombie, or the one before a crash): what this member derived from
         * its caches may not be what Redis holds, so they are dropped at the
         * end of the batch (its entries are still in use until then) */
        drop_caches = cr.duplicates > 0;
    }
    /* the batch's alert markers are in Redis: owed from here on, evaluated
     * below or within alerts.eval_interval_ms (main loop), else by recover() */
    if (p->sa && dd_stream_alerts_committed(p->sa))
        plog(p, 1, "alerts: out of memory after a commit: evaluation left to recovery");
    /* Redis holds the batch: advance W, count, emit, then commit Kafka. */
    int64_t now = wall_ms(), t_out = mono_ms();
    for (int i = 0; i < p->nb; i++) {
        bmsg *b = &p->bm[i];
        rd_kafka_message_t *m = p->msgs[i];
        switch (b->state) {
        case M_BAD:
            INC(bad);
            break;
        case M_REDELIVERED:
            INC(redelivered);
            break;
        case M_DUP:
            INC(duplicates);
            break;
        case M_APPLY: {
            INC(applied);
            rd_kafka_timestamp_type_t tt;
            int64_t ts = rd_kafka_message_timestamp(m, &tt);
            if (tt != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts > 0) {
                int64_t lat = now - ts;
                int k = 0;
                while (k < DD_PROC_LAT_BUCKETS - 1 && lat > LAT_BOUNDS[k])
                    k++;
                INC(latency[k]);
            }
            break;
        }
        default:
            break;
        }
        if ((b->state == M_APPLY || b->state == M_DUP) &&
            m->offset > w_get(p, b->region, m->partition) &&
            w_set(p, b->region, m->partition, m->offset))
            goto oom;
    }
    /* MONTH_CLOSE: after the commit (the events before it are in Redis) */
    rc = close_months(p, allow_wait);
    if (rc)
        goto out;
    for (int i = 0; i < p->n_dirty; i++)
        p->dirty[i]->dirty = 0;
    p->n_dirty = 0;
    uint64_t seq = ++p->batch_seq;
    if (pend_add(p, seq, 0))
        goto oom;
    produce_outputs(p, seq);
    produce_snapshots(p, seq);
    if (p->sa && mono_ms() >= p->sa_next_ms)
        alerts_evaluate(p, seq);
    int64_t t_kafka = mono_ms();
    commit_kafka(p, sync_commit);
    plog(p, 3,
         "batch of %d: decode+plan %lld ms, fetch %lld ms (%zu keys), apply %lld ms, "
         "redis commit %lld ms (%zu fields), outputs %lld ms, kafka commit %lld ms",
         p->nb, (long long)(t_fetch - t0), (long long)(t_apply - t_fetch), n_fetched,
         (long long)(t_commit - t_apply), (long long)(t_out - t_commit),
         dd_store_batch_fields(p->sb), (long long)(t_kafka - t_out),
         (long long)(mono_ms() - t_kafka));
    if (drop_caches || p->n_cases > p->cache_max)
        cache_drop(p);
    atomic_store_explicit(&p->st.cache_cases, p->n_cases, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->st.handled, (uint64_t)p->nb, memory_order_relaxed);
    fetch_clear(p);
    free_msgs(p);
    p->in_flight = 0;
    return R_OK;
oom:
    if (!p->errstr[0])
        snprintf(p->errstr, sizeof p->errstr, "out of memory");
    plog(p, 0, "%s", p->errstr);
    rc = R_FATAL;
out:
    if (rc == R_STOPPED)
        plog(p, 1, "stopped while Redis was unreachable: the last %d messages will be "
                   "redelivered (their offsets were not committed)",
             p->nb);
    /* Nothing of this batch is known to be in Redis: forget derived state
     * (the cache may hold applied-but-uncommitted changes); redelivery and
     * the Redis offsets make the next attempt exact. */
    for (int i = 0; i < p->n_dirty; i++)
        p->dirty[i]->dirty = 0;
    p->n_dirty = 0;
    cache_drop(p);
    p->w_stale = 1;
    fetch_clear(p);
    seek_back(p, rc == R_REDO);
    free_msgs(p);
    p->in_flight = 0;
    return rc;
}

/* ---------------- rebalance ---------------- */

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    dd_processor *p = opaque;
    INC(rebalances);
    p->cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        /* Start where the group committed; a partition the group never
         * committed starts at the beginning (Redis offsets skip what is
         * already counted). auto.offset.reset=error makes any other reset loud. */
        rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_copy(parts);
        rd_kafka_resp_err_t ce = rd_kafka_committed(rk, c, 10000);
        if (ce)
            plog(p, 1, "cannot read committed offsets (%s): starting assigned partitions at "
                       "the beginning",
                 rd_kafka_err2str(ce));
        for (int i = 0; i < parts->cnt; i++) {
            int64_t off = (!ce && !c->elems[i].err) ? c->elems[i].offset : -1;
            parts->elems[i].offset = off >= 0 ? off : RD_KAFKA_OFFSET_BEGINNING;
            plog(p, 2, "assigned %s [%d] from offset %lld%s", parts->elems[i].topic,
                 (int)parts->elems[i].partition, (long long)(off >= 0 ? off : 0),
                 off >= 0 ? "" : " (beginning: nothing committed)");
        }
        rd_kafka_topic_partition_list_destroy(c);
        cache_drop(p);
        p->w_stale = 1;
        if (p->cooperative) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e) {
                plog(p, 0, "incremental assign: %s", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
                p->fatal = 1;
            }
        } else {
            rd_kafka_resp_err_t e = rd_kafka_assign(rk, parts);
            if (e) {
                plog(p, 0, "assign: %s", rd_kafka_err2str(e));
                p->fatal = 1;
            }
        }
        return;
    }
    /* revoke (or lost) */
    int lost = rd_kafka_assignment_lost(rk);
    plog(p, 2, "partitions %s: %d", lost ? "lost" : "revoked", parts->cnt);
    if (p->in_flight) {
        p->abandon = 1; /* the waiting batch is dropped: the new owner redoes it */
    } else if (p->nb) {
        if (lost) {
            p->w_stale = 1;
            free_msgs(p);
        } else {
            int rc = process_batch(p, 0, 1);
            if (rc == R_FATAL)
                p->fatal = 1;
        }
    }
    /* Batches already in Redis: commit their offsets before giving the
     * partitions up (a later commit could move the new owner's back). */
    if (lost)
        pend_drop(p);
    else
        commit_kafka(p, 1);
    /* Messages held back while waiting for Redis: of revoked partitions, drop. */
    int k = 0;
    for (int i = 0; i < p->n_carry; i++) {
        int revoked = 0;
        for (int j = 0; j < parts->cnt; j++)
            revoked |= parts->elems[j].partition == p->carry[i]->partition;
        if (revoked)
            rd_kafka_message_destroy(p->carry[i]);
        else
            p->carry[k++] = p->carry[i];
    }
    p->n_carry = k;
    cache_drop(p);
    p->w_stale = 1;
    if (p->cooperative) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e) {
            plog(p, 1, "incremental unassign: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    (void)rk;
    (void)offsets;
    dd_processor *p = opaque;
    if (!err)
        INC(kafka_commits);
    else if (err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        plog(p, 1, "kafka offset commit: %s (Redis offsets keep the totals exact)",
             rd_kafka_err2str(err));
}

/* ---------------- run ---------------- */

static void log_stats(dd_processor *p)
{
    dd_processor_stats s;
    dd_processor_get_stats(p, &s);
    plog(p, 2,
         "stats consumed=%llu applied=%llu duplicates=%llu redelivered=%llu bad=%llu "
         "batches=%llu redis_retries=%llu offset_resets=%llu cache=%llu p50_ms=%lld "
         "p99_ms=%lld month_close=%llu month_close_repeat=%llu alerts_fired=%llu "
         "alerts_cleared=%llu reloads=%llu",
         (unsigned long long)s.consumed, (unsigned long long)s.applied,
         (unsigned long long)s.duplicates, (unsigned long long)s.redelivered,
         (unsigned long long)s.bad, (unsigned long long)s.batches,
         (unsigned long long)s.redis_retries, (unsigned long long)s.offset_resets,
         (unsigned long long)s.cache_cases, (long long)dd_processor_stats_p50_ms(&s),
         (long long)dd_processor_stats_p99_ms(&s), (unsigned long long)s.month_close,
         (unsigned long long)s.month_close_repeat, (unsigned long long)s.alerts_fired,
         (unsigned long long)s.alerts_cleared, (unsigned long long)s.reloads);
}

static int ensure_cap(dd_processor *p, int need)
{
    if (need <= p->cap)
        return 0;
    int nc = p->cap * 2 > need ? p->cap * 2 : need;
    rd_kafka_message_t **m = realloc(p->msgs, (size_t)nc * sizeof *m);
    if (!m)
        return -1;
    p->msgs = m;
    bmsg *b = realloc(p->bm, (size_t)nc * sizeof *b);
    if (!b)
        return -1;
    p->bm = b;
    dd_event *e = realloc(p->evs, (size_t)nc * sizeof *e);
    if (!e)
        return -1;
    p->evs = e;
    size_t ic = p->idset_cap;
    while (ic < (size_t)nc * 2)
        ic *= 2;
    if (ic != p->idset_cap) {
        int *s = realloc(p->idset, ic * sizeof *s);
        if (!s)
            return -1;
        p->idset = s;
        p->idset_cap = ic;
    }
    p->cap = nc;
    return 0;
}

void dd_processor_set_reload(dd_processor *p, const volatile sig_atomic_t *requests,
                             dd_processor_reload_fn load, dd_processor_release_fn release,
                             void *ctx, const char *source)
{
    snprintf(p->reload_source, sizeof p->reload_source, "%s",
             source && *source ? source : "the data directory");
    p->reload_req = requests;
    p->reload_seen = requests ? *requests : 0;
    p->reload_load = load;
    p->reload_release = release;
    p->reload_ctx = ctx;
}

/* Between batches (p->nb == 0): switch to a freshly loaded dataset (see the
 * header). Everything derived from the old dataset is rebuilt or dropped
 * before the old one is released. */
static void reload(dd_processor *p)
{
    p->reload_seen = *p->reload_req;
    char e[512];
    e[0] = '\0';
    const dd_dataset *nds = p->reload_load(p->reload_ctx, e, sizeof e);
    if (!nds) {
        plog(p, 0, "reload failed: %s, keeping the current tables", e[0] ? e : "?");
        return;
    }
    /* outputs of earlier batches: delivered (their reports touch the alert
     * module) and their Kafka offsets committed */
    commit_kafka(p, 1);
    if (rd_kafka_outq_len(p->producer) > 0) /* e.g. re-produced outbox alerts */
        rd_kafka_flush(p->producer, 30000);
    if (rd_kafka_outq_len(p->producer) > 0) {
        plog(p, 0, "reload failed: outputs still undelivered, keeping the current tables");
        p->reload_release(p->reload_ctx, nds);
        return;
    }
    dd_stream_alerts *nsa = NULL;
    if (p->sa) {
        nsa = dd_stream_alerts_new(nds, e, sizeof e);
        if (!nsa) {
            plog(p, 0, "reload failed: alerts: %s, keeping the current tables", e);
            p->reload_release(p->reload_ctx, nds);
            return;
        }
    }
    int nr = dd_dataset_region_count(nds);
    int64_t **nw = calloc((size_t)(nr ? nr : 1), sizeof *nw);
    int *nwn = calloc((size_t)(nr ? nr : 1), sizeof *nwn);
    if (!nw || !nwn) {
        free(nw);
        free(nwn);
        dd_stream_alerts_destroy(nsa);
        plog(p, 0, "reload failed: out of memory, keeping the current tables");
        p->reload_release(p->reload_ctx, nds);
        return;
    }
    /* the cache's group memos were computed with the old tables */
    cache_drop(p);
    if (p->sa) {
        if (dd_stream_alerts_owed(p->sa))
            alerts_evaluate(p, 0); /* with the tables the batches were scored by */
        /* delivered alerts' outbox deletions: now, else the new module
         * re-produces them at its first recovery (at-least-once anyway) */
        if (dd_stream_alerts_flush(p->sa, p->store))
            plog(p, 1, "alerts: outbox clean-up failed before the reload (%s): delivered "
                       "alerts may be sent again",
                 dd_store_errstr(p->store));
        dd_stream_alerts_destroy(p->sa);
        p->sa = nsa;
        p->sa_retry_ms = 0;
    }
    /* offsets are indexed by region index: re-read for the new region list */
    for (int r = 0; r < p->n_regions; r++)
        free(p->w[r]);
    free(p->w);
    free(p->w_n);
    p->w = nw;
    p->w_n = nwn;
    p->n_regions = nr;
    p->w_stale = 1;
    const dd_dataset *old = p->ds;
    p->ds = nds;
    free(p->evkeys); /* region indexes of the new dataset */
    p->evkeys = NULL;
    p->n_evkeys = 0;
    p->reload_release(p->reload_ctx, old);
    INC(reloads);
    plog(p, 2, "reloaded tables from %s: %d regions, %d hospitals", p->reload_source, nr,
         dd_dataset_hospital_count(nds));
}

int dd_processor_run(dd_processor *p, const volatile sig_atomic_t *stop)
{
    p->stop = stop;
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, p->input_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(p->consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (err) {
        snprintf(p->errstr, sizeof p->errstr, "subscribe %s: %s", p->input_topic,
                 rd_kafka_err2str(err));
        plog(p, 0, "%s", p->errstr);
        return -1;
    }
    plog(p, 2, "consuming %s as group %s (batch %d events / %d ms / %d ms idle)",
         p->input_topic, dd_config_get(p->cfg, "group.id"), p->max_events, p->max_ms,
         p->idle_ms);
    if (dd_store_ping(p->store))
        plog(p, 1, "redis not reachable yet (%s): will retry", dd_store_errstr(p->store));
    p->last_stats_ms = mono_ms();
    int rc = 0;
    while (!*stop && !p->fatal) {
        /* held-back messages first: they precede anything polled now */
        if (p->n_carry) {
            if (ensure_cap(p, p->nb + p->n_carry)) {
                snprintf(p->errstr, sizeof p->errstr, "out of memory");
                rc = -1;
                break;
            }
            for (int i = 0; i < p->n_carry; i++)
                p->msgs[p->nb++] = p->carry[i];
            p->n_carry = 0;
        }
        int64_t start = p->nb ? mono_ms() : 0;
        while (p->nb < p->max_events && !*stop && !p->fatal) {
            int timeout = 100;
            if (p->nb) {
                int64_t left = start + p->max_ms - mono_ms();
                if (left <= 0)
                    break;
                /* a pause in arrivals ends the batch early: waiting longer
                 * only adds latency when the consumer has caught up */
                timeout = p->idle_ms && p->idle_ms < left ? p->idle_ms : (int)left;
            }
            rd_kafka_message_t *m = rd_kafka_consumer_poll(p->consumer, timeout);
            if (!m) {
                if (!p->nb || p->idle_ms)
                    break; /* idle: let the outer loop log stats / see stop */
                continue;
            }
            if (m->err) {
                handle_consumer_error(p, m);
                continue;
            }
            INC(consumed);
            if (ensure_cap(p, p->nb + 1)) {
                rd_kafka_message_destroy(m);
                snprintf(p->errstr, sizeof p->errstr, "out of memory");
                p->fatal = 1;
                break;
            }
            if (!p->nb)
                start = mono_ms();
            p->msgs[p->nb++] = m;
        }
        int idle = !p->nb;
        if (p->nb) {
            int r = process_batch(p, 1, *stop || p->fatal);
            if (r == R_FATAL) {
                rc = -1;
                break;
            }
        }
        if (p->n_pend)
            commit_kafka(p, 0);
        if (p->reload_req && *p->reload_req != p->reload_seen && !*stop && !p->fatal)
            reload(p);
        if (p->sa && dd_stream_alerts_owed(p->sa) && mono_ms() >= p->sa_next_ms)
            alerts_evaluate(p, 0);
        alerts_recover(p);
        /* idle: delivered alerts' outbox entries and evaluated markers now
         * (otherwise they go with the region's next batch) */
        if (idle && p->sa && mono_ms() >= p->sa_retry_ms &&
            dd_stream_alerts_flush(p->sa, p->store)) {
            p->sa_retry_ms = mono_ms() + 1000;
            plog(p, 3, "alerts: outbox clean-up failed (%s): retried", dd_store_errstr(p->store));
        }
        if (p->sched_on && mono_ms() >= p->sched_next_ms) {
            p->sched_next_ms = mono_ms() + p->sched_check_ms;
            sched_tick(p);
        }
        if (p->stats_interval_s && mono_ms() - p->last_stats_ms >= p->stats_interval_s * 1000) {
            p->last_stats_ms = mono_ms();
            log_stats(p);
        }
    }
    if (p->fatal)
        rc = -1;
    plog(p, 2, "stopping: leaving the group");
    free_msgs(p);
    for (int i = 0; i < p->n_carry; i++)
        rd_kafka_message_destroy(p->carry[i]);
    p->n_carry = 0;
    if (p->sa && dd_stream_alerts_owed(p->sa))
        alerts_evaluate(p, 0);
    commit_kafka(p, 1); /* batches in Redis whose outputs were still in flight */
    rd_kafka_consumer_close(p->consumer);
    rd_kafka_flush(p->producer, 10000);
    if (p->sa && dd_stream_alerts_flush(p->sa, p->store))
        plog(p, 1, "alerts: outbox clean-up failed (delivered alerts are re-sent at the next start)");
    log_stats(p);
    return rc;
}

void dd_processor_destroy(dd_processor *p)
{
    if (!p)
        return;
    if (p->consumer) {
        free_msgs(p);
        for (int i = 0; i < p->n_carry; i++)
            rd_kafka_message_destroy(p->carry[i]);
        p->n_carry = 0;
        rd_kafka_destroy(p->consumer);
    }
    if (p->t_results)
        rd_kafka_topic_destroy(p->t_results);
    if (p->t_dlq)
        rd_kafka_topic_destroy(p->t_dlq);
    if (p->t_alerts)
        rd_kafka_topic_destroy(p->t_alerts);
    mc_destroy(p);
    if (p->producer) {
        rd_kafka_flush(p->producer, 5000);
        rd_kafka_destroy(p->producer);
    }
    cache_drop(p);
    free(p->buckets);
    free(p->hbuckets);
    if (p->w)
        for (int r = 0; r < p->n_regions; r++)
            free(p->w[r]);
    free(p->w);
    free(p->w_n);
    fetch_clear(p);
    free(p->fkeys);
    free(p->fko);
    free(p->ffo);
    free(p->fa);
    free(p->evkeys);
    free(p->ffields);
    free(p->fvals);
    free(p->msgs);
    free(p->bm);
    free(p->evs);
    free(p->carry);
    free(p->dirty);
    free(p->idset);
    free(p->parts);
    free(p->outs);
    pend_drop(p);
    free(p->pend);
    free(p->sc);
    free(p->sctab);
    dd_jw_free(&p->out);
    dd_store_batch_destroy(p->sb);
    dd_store_destroy(p->store);
    dd_stream_alerts_destroy(p->sa); /* after the producer: delivery reports use it */
    if (p->avro)
        dd_avro_event_codec_destroy(p->avro);
    if (p->jdoc)
        dd_json_doc_destroy(p->jdoc);
    free(p);
}
