/* dd_stream_alerts — see dd_stream_alerts.h. */
#include "dd_stream_alerts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dd_live.h"
#include "dd_num.h"
#include "dd_time.h"

/* ---------------- the transition script ----------------
 * KEYS[1] dd:{R}:al, KEYS[2] dd:{R}:ao, KEYS[3] dd:{R}:ae.
 * ARGV[1] n evaluations, ARGV[2] n outbox deletions, ARGV[3] n marker
 * deletions, then per evaluation: alert_id, "1" holds | "0", the JSON up to
 * the occurrence number, the JSON after it (both "" unless holds); then the
 * outbox fields and the marker fields to delete.
 * Reply: {cleared, HLEN al, k1, occ1, k2, occ2, ...} for the evaluations
 * that fire (HLEN: whether the next reads of al take it whole or by id). */
static const char SA_LUA[] =
    "local n, nd, nm = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local out = {0, 0}\n"
    "local i = 4\n"
    "for k = 1, n do\n"
    "  local id, v = ARGV[i], ARGV[i + 1]\n"
    "  local cur = redis.call('HGET', KEYS[1], id)\n"
    "  local active, occ = false, 0\n"
    "  if cur then active = string.sub(cur, 1, 1) == '1'; occ = tonumber(string.sub(cur, 3)) end\n"
    "  if v == '1' then\n"
    "    if not active then\n"
    "      occ = occ + 1\n"
    "      redis.call('HSET', KEYS[1], id, '1:' .. occ)\n"
    "      redis.call('HSET', KEYS[2], id .. '#' .. occ, ARGV[i + 2] .. occ .. ARGV[i + 3])\n"
    "      out[#out + 1] = tostring(k)\n"
    "      out[#out + 1] = tostring(occ)\n"
    "    end\n"
    "  elseif active then\n"
    "    redis.call('HSET', KEYS[1], id, '0:' .. occ)\n"
    "    out[1] = out[1] + 1\n"
    "  end\n"
    "  i = i + 4\n"
    "end\n"
    "for k = 1, nd do redis.call('HDEL', KEYS[2], ARGV[i]); i = i + 1 end\n"
    "for k = 1, nm do redis.call('HDEL', KEYS[3], ARGV[i]); i = i + 1 end\n"
    "out[1] = tostring(out[1])\n"
    "out[2] = tostring(redis.call('HLEN', KEYS[1]))\n"
    "return out\n";

/* ---------------- types ---------------- */

typedef struct {
    int in; /* settled, not reversed */
    int32_t day, month, beg, end;
    int ins;
    char psn[17];
} stay;

/* A case changed in this batch: its stay at the batch start and now. */
typedef struct {
    int region, hosp;
    char setl_id[DD_ID_MAX + 1];
    stay s0, s1;
} bcase;

enum { SC_DAY = 'V', SC_MONTH = 'M', SC_PVD = 'P', SC_BURN = 'B', SC_BUDGET = 'G' };

typedef struct {
    int region;
    int kind;
    int hosp; /* hospital index, -1 for region scopes */
    int ins;
    int32_t t; /* day, month or year */
} scope;

/* string -> index map (open addressing) */
typedef struct {
    uint32_t *tab; /* index + 1 */
    size_t cap;
} smap;

typedef struct {
    char *json; /* prefix .. occ .. suffix */
    size_t len;
    int region;
    void *token;
} outmsg;

typedef struct {
    int region;
    char *field;
} odel;

/* An evaluated batch's marker, deleted with a later batch of its region
 * (no script call just for it); incl: in the batch being committed. */
typedef struct {
    int region;
    char *field;
    int incl;
} smark;

typedef struct {
    int region;
    char *field;
    size_t len;
} dtoken;

/* cached hospital x insutype x month counters (key: hc_key) */
typedef struct {
    uint64_t key;
    int64_t c[DD_CTR__COUNT];
    int has; /* the Redis key exists */
} hc_e;

/* cached day counts of a hospital, sorted by day */
typedef struct {
    int32_t *d;
    int64_t *n;
    size_t k, cap;
} dc_e;

typedef struct {
    int hosp;
    int32_t day;
    int64_t d;
} pday;

/* cached year day counts dd:{R}:yd:<ins>:<YYYY> (region keys: every
 * processor of the region writes them), valid while their write count
 * field "w" is what this processor last read plus its own writes */
typedef struct {
    int region, ins, year;
    int64_t w, fund;
    dc_e days;
    int check; /* w to be compared in this evaluation */
} ydc_e;

/* this batch's writes of a yd key: a day delta, or fund_settled (fund) */
typedef struct {
    int region, ins, year, fund;
    int32_t day;
    int64_t d;
} ydp;

struct dd_stream_alerts {
    const dd_dataset *ds;
    dd_alert_rules *rules;
    int n_regions;
    char instance[40];
    uint64_t seq;

    /* batch */
    stay pending; /* case_before */
    int have_pending;
    bcase *bc;
    size_t n_bc, cap_bc;
    smap bc_map;
    scope *sc;
    size_t n_sc, cap_sc;
    smap sc_map;
    char **markers; /* per region: the marker field written in this batch, or NULL */
    /* committed, not yet evaluated (evaluate() may run every few batches):
     * sc[0 .. sc_from) are the committed batches' scopes (sc_from > 0: an
     * evaluation is owed), sc[sc_from ..] those noted since; the markers of
     * the committed batches per region */
    size_t sc_from;
    char ***omk;
    size_t *n_omk, *cap_omk;

    /* outputs */
    outmsg *out;
    size_t n_out, cap_out;
    odel *dels;
    size_t n_dels, cap_dels;
    smark *stale;
    size_t n_stale, cap_stale;

    int recover_due;
    uint64_t restarts_seen;
    dd_stream_alerts_stats st;

    /* hospital cache (see "hospital cache" below) */
    hc_e *hc;
    size_t n_hc, cap_hc;
    smap hc_map;
    dc_e **dc; /* per hospital index, NULL = not cached */
    int n_hosp;
    /* this batch's own deltas of the hospital keys, applied after the commit */
    hc_e *ph;
    size_t n_ph, cap_ph;
    smap ph_map;
    pday *pd;
    size_t n_pd, cap_pd;
    /* split counts dd:{R}:sa:<H> (hospital keys too): month -> count per
     * hospital index (NULL = not cached), and this batch's deltas */
    dc_e **sac;
    pday *psa;
    size_t n_psa, cap_psa;
    /* per region: fields of dd:{R}:al when last seen (-1 unknown) and the
     * alert ids evaluated last time: picks HGETALL or HMGET of the ids */
    long *al_len, *al_ids;
    ydc_e *ydc;
    size_t n_ydc, cap_ydc;
    ydp *pyd;
    size_t n_pyd, cap_pyd;
    /* prepare(): one person's stays, reused */
    void *pst;
    size_t cap_pst;
};

/* ---------------- small helpers ---------------- */

static uint64_t hstr(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 31);
}

static int grow(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *q = realloc(*p, nc * sz);
    if (!q)
        return -1;
    *p = q;
    *cap = nc;
    return 0;
}

static char *sdup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Find the entry whose key(i) equals k; insert `add` (index) when absent
 * and add >= 0. Returns the index, or -1 absent, -2 out of memory. */
typedef const char *(*key_at_fn)(const void *ctx, size_t i, size_t *len);

static long smap_find(smap *m, const void *ctx, key_at_fn key_at, const char *k, size_t kl,
                      long add, size_t count)
{
    if (add >= 0 && (count + 1) * 2 > m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 256;
        while ((count + 1) * 2 > nc)
            nc *= 2;
        uint32_t *t = calloc(nc, sizeof *t);
        if (!t)
            return -2;
        for (size_t i = 0; i < count; i++) {
            size_t l;
            const char *s = key_at(ctx, i, &l);
            size_t b = hstr(s, l) & (nc - 1);
            while (t[b])
                b = (b + 1) & (nc - 1);
            t[b] = (uint32_t)i + 1;
        }
        free(m->tab);
        m->tab = t;
        m->cap = nc;
    }
    if (!m->cap)
        return -1;
    size_t b = hstr(k, kl) & (m->cap - 1);
    while (m->tab[b]) {
        size_t l;
        const char *s = key_at(ctx, m->tab[b] - 1, &l);
        if (l == kl && !memcmp(s, k, kl))
            return m->tab[b] - 1;
        b = (b + 1) & (m->cap - 1);
    }
    if (add < 0)
        return -1;
    m->tab[b] = (uint32_t)add + 1;
    return add;
}

static void smap_clear(smap *m)
{
    if (m->tab)
        memset(m->tab, 0, m->cap * sizeof *m->tab);
}

/* ---------------- lifecycle ---------------- */

dd_stream_alerts *dd_stream_alerts_new(const dd_dataset *ds, char *errstr, size_t errlen)
{
    dd_stream_alerts *s = calloc(1, sizeof *s);
    if (!s)
        goto oom;
    s->ds = ds;
    s->n_regions = dd_dataset_region_count(ds);
    s->rules = calloc((size_t)(s->n_regions ? s->n_regions : 1), sizeof *s->rules);
    s->markers = calloc((size_t)(s->n_regions ? s->n_regions : 1), sizeof *s->markers);
    s->omk = calloc((size_t)(s->n_regions ? s->n_regions : 1), sizeof *s->omk);
    s->n_omk = calloc((size_t)(s->n_regions ? s->n_regions : 1), sizeof *s->n_omk);
    s->cap_omk = calloc((size_t)(s->n_regions ? s->n_regions : 1), sizeof *s->cap_omk);
    if (!s->rules || !s->markers || !s->omk || !s->n_omk || !s->cap_omk)
        goto oom;
    for (int r = 0; r < s->n_regions; r++) {
        const dd_region *rg = dd_dataset_region_at(ds, r);
        if (dd_alert_rules_load(&s->rules[r], rg->has_policy ? &rg->policy : NULL, rg->admdvs,
                                errstr, errlen)) {
            dd_stream_alerts_destroy(s);
            return NULL;
        }
    }
    /* marker fields must not collide between processors: address-free,
     * random enough for one Redis (pid + clock) */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(s->instance, sizeof s->instance, "%lx%09ld.%d", (long)ts.tv_sec, ts.tv_nsec,
             (int)getpid());
    s->recover_due = 1; /* at start: owed evaluations and outboxes */
    s->n_hosp = dd_dataset_hospital_count(ds);
    s->dc = calloc((size_t)(s->n_hosp ? s->n_hosp : 1), sizeof *s->dc);
    s->sac = calloc((size_t)(s->n_hosp ? s->n_hosp : 1), sizeof *s->sac);
    s->al_len = calloc((size_t)(s->n_regions ? s->n_regions : 1), sizeof *s->al_len);
    s->al_ids = calloc((size_t)(s->n_regions ? s->n_regions : 1), sizeof *s->al_ids);
    if (!s->dc || !s->sac || !s->al_len || !s->al_ids)
        goto oom;
    for (int r = 0; r < s->n_regions; r++)
        s->al_len[r] = -1;
    return s;
oom:
    snprintf(errstr, errlen, "out of memory");
    dd_stream_alerts_destroy(s);
    return NULL;
}

static void out_clear(dd_stream_alerts *s)
{
    for (size_t i = 0; i < s->n_out; i++) {
        free(s->out[i].json);
        free(s->out[i].token); /* not handed out */
    }
    s->n_out = 0;
}

/* Forget what is owed (evaluated, or left to recover() from Redis). */
static void owed_clear(dd_stream_alerts *s)
{
    for (int r = 0; s->omk && s->n_omk && r < s->n_regions; r++) {
        for (size_t i = 0; i < s->n_omk[r]; i++)
            free(s->omk[r][i]);
        s->n_omk[r] = 0;
    }
    s->n_sc = 0;
    s->sc_from = 0;
    smap_clear(&s->sc_map);
}

void dd_stream_alerts_destroy(dd_stream_alerts *s)
{
    if (!s)
        return;
    out_clear(s);
    free(s->out);
    for (size_t i = 0; i < s->n_dels; i++)
        free(s->dels[i].field);
    free(s->dels);
    for (size_t i = 0; i < s->n_stale; i++)
        free(s->stale[i].field);
    free(s->stale);
    owed_clear(s);
    dd_stream_alerts_batch_reset(s);
    dd_stream_alerts_forget(s);
    if (s->omk)
        for (int r = 0; r < s->n_regions; r++)
            free(s->omk[r]);
    free(s->omk);
    free(s->n_omk);
    free(s->cap_omk);
    free(s->dc);
    free(s->hc);
    free(s->hc_map.tab);
    free(s->ph);
    free(s->ph_map.tab);
    free(s->pd);
    free(s->sac);
    free(s->psa);
    free(s->al_len);
    free(s->al_ids);
    free(s->pst);
    free(s->ydc);
    free(s->pyd);
    free(s->markers);
    free(s->rules);
    free(s->bc);
    free(s->bc_map.tab);
    free(s->sc);
    free(s->sc_map.tab);
    free(s);
}

void dd_stream_alerts_get_stats(const dd_stream_alerts *s, dd_stream_alerts_stats *out)
{
    *out = s->st;
}

static const char *sc_key(const void *ctx, size_t i, size_t *len);

void dd_stream_alerts_batch_reset(dd_stream_alerts *s)
{
    for (size_t i = 0; i < s->n_stale; i++)
        s->stale[i].incl = 0; /* a new attempt */
    s->n_ph = 0;
    smap_clear(&s->ph_map);
    s->n_pd = 0;
    s->n_psa = 0;
    s->n_pyd = 0;
    s->n_bc = 0;
    smap_clear(&s->bc_map);
    if (!s->sc_from) { /* owed scopes stay for the next evaluation */
        s->n_sc = 0;
        s->sc_from = 0;
        smap_clear(&s->sc_map);
    } else if (s->n_sc > s->sc_from) {
        /* scopes of an attempt that was not committed (a batch redone or
         * dropped): only the committed batches' owed scopes stay, else the
         * next prepare would mark regions the new batch has no offset for */
        s->n_sc = s->sc_from;
        smap_clear(&s->sc_map);
        for (size_t i = 0; i < s->n_sc; i++) /* the table is large enough: no allocation */
            smap_find(&s->sc_map, s, sc_key, (const char *)&s->sc[i], sizeof s->sc[i], (long)i, i);
    }
    s->have_pending = 0;
    for (int r = 0; r < s->n_regions; r++) {
        free(s->markers[r]);
        s->markers[r] = NULL;
    }
}

/* ---------------- keys ---------------- */

static const char *radm(const dd_stream_alerts *s, int region)
{
    return dd_dataset_region_at(s->ds, region)->admdvs;
}

static const char *hcode(const dd_stream_alerts *s, int hosp)
{
    return dd_dataset_hospital_at(s->ds, hosp)->code;
}

static int hregion(const dd_stream_alerts *s, int hosp)
{
    return dd_dataset_hospital_at(s->ds, hosp)->region;
}

/* Keys and fields are built with memcpy and digit writes, not printf: a
 * batch builds tens of thousands of them. Every key fits in KEY_MAX
 * (admdvs 6, codes <= DD_CODE_MAX, psn 16 hex); a smaller buffer or an odd
 * value takes the snprintf path. */
#define KEY_MAX 200
_Static_assert(DD_CODE_MAX + 17 + 40 < KEY_MAX, "hospital keys fit in KEY_MAX");

static char *put_dig(char *b, unsigned v, int w)
{
    for (int i = w - 1; i >= 0; i--, v /= 10)
        b[i] = (char)('0' + v % 10);
    return b + w;
}

static char *put_str(char *b, const char *x)
{
    size_t l = strlen(x);
    memcpy(b, x, l);
    return b + l;
}

/* non-negative int as decimal */
static char *put_uint(char *b, unsigned v)
{
    return b + dd_dec_format(b, 12, v, 0);
}

/* "YYYY-MM-DD" / "YYYY-MM" into b (>= 16 bytes) */
static void fmt_day(int32_t day, char *b)
{
    int y, m, d;
    dd_civil_from_days(day, &y, &m, &d);
    if (y < 0 || y > 9999) {
        snprintf(b, 16, "%04d-%02d-%02d", y, m, d);
        return;
    }
    put_dig(b, (unsigned)y, 4);
    b[4] = '-';
    put_dig(b + 5, (unsigned)m, 2);
    b[7] = '-';
    put_dig(b + 8, (unsigned)d, 2);
    b[10] = '\0';
}

static void fmt_month(int32_t month, char *b)
{
    int y = dd_time_month_year(month), m = dd_time_month_num(month);
    if (y < 0 || y > 9999 || m < 0 || m > 99) {
        snprintf(b, 16, "%04d-%02d", y, m);
        return;
    }
    put_dig(b, (unsigned)y, 4);
    b[4] = '-';
    put_dig(b + 5, (unsigned)m, 2);
    b[7] = '\0';
}

/* "dd:{R}:" of a region, then `what` */
static char *k_pre(char *b, const dd_stream_alerts *s, int region, const char *what)
{
    b = put_str(b, "dd:{");
    b = put_str(b, radm(s, region));
    b = put_str(b, "}:");
    return put_str(b, what);
}

static int k_ok(size_t n, int ins, int year)
{
    return n >= KEY_MAX && ins >= 0 && ins < 100000 && year >= 0 && year <= 9999;
}

static void k_hd(char *b, size_t n, const dd_stream_alerts *s, int hosp)
{
    if (!k_ok(n, 0, 0)) {
        snprintf(b, n, "dd:{%s}:hd:%s", radm(s, hregion(s, hosp)), hcode(s, hosp));
        return;
    }
    b = k_pre(b, s, hregion(s, hosp), "hd:");
    *put_str(b, hcode(s, hosp)) = '\0';
}
static void k_sa(char *b, size_t n, const dd_stream_alerts *s, int hosp)
{
    if (!k_ok(n, 0, 0)) {
        snprintf(b, n, "dd:{%s}:sa:%s", radm(s, hregion(s, hosp)), hcode(s, hosp));
        return;
    }
    b = k_pre(b, s, hregion(s, hosp), "sa:");
    *put_str(b, hcode(s, hosp)) = '\0';
}
static void k_p(char *b, size_t n, const dd_stream_alerts *s, int hosp, const char *psn)
{
    if (!k_ok(n, 0, 0) || strlen(psn) > 16) {
        snprintf(b, n, "dd:{%s}:p:%s:%s", radm(s, hregion(s, hosp)), hcode(s, hosp), psn);
        return;
    }
    b = k_pre(b, s, hregion(s, hosp), "p:");
    b = put_str(b, hcode(s, hosp));
    *b++ = ':';
    *put_str(b, psn) = '\0';
}
static void k_yd(char *b, size_t n, const dd_stream_alerts *s, int region, int ins, int year)
{
    if (!k_ok(n, ins, year)) {
        snprintf(b, n, "dd:{%s}:yd:%d:%04d", radm(s, region), ins, year);
        return;
    }
    b = k_pre(b, s, region, "yd:");
    b = put_uint(b, (unsigned)ins);
    *b++ = ':';
    *put_dig(b, (unsigned)year, 4) = '\0';
}
static void k_hm(char *b, size_t n, const dd_stream_alerts *s, int hosp, int ins, int32_t month)
{
    char ym[16];
    fmt_month(month, ym);
    if (!k_ok(n, ins, 0) || strlen(ym) != 7) {
        snprintf(b, n, "dd:{%s}:h:%d:%s:%s", radm(s, hregion(s, hosp)), ins, ym, hcode(s, hosp));
        return;
    }
    b = k_pre(b, s, hregion(s, hosp), "h:");
    b = put_uint(b, (unsigned)ins);
    *b++ = ':';
    memcpy(b, ym, 7);
    b += 7;
    *b++ = ':';
    *put_str(b, hcode(s, hosp)) = '\0';
}
static void k_t(char *b, size_t n, const dd_stream_alerts *s, int region, int ins, int32_t month)
{
    char ym[16];
    fmt_month(month, ym);
    if (!k_ok(n, ins, 0) || strlen(ym) != 7) {
        snprintf(b, n, "dd:{%s}:t:%d:%s", radm(s, region), ins, ym);
        return;
    }
    b = k_pre(b, s, region, "t:");
    b = put_uint(b, (unsigned)ins);
    *b++ = ':';
    memcpy(b, ym, 8);
}
static void k_b(char *b, size_t n, const dd_stream_alerts *s, int region, int ins, int year)
{
    if (!k_ok(n, ins, year)) {
        snprintf(b, n, "dd:{%s}:b:%d:%04d", radm(s, region), ins, year);
        return;
    }
    b = k_pre(b, s, region, "b:");
    b = put_uint(b, (unsigned)ins);
    *b++ = ':';
    *put_dig(b, (unsigned)year, 4) = '\0';
}
static void k_al(char *b, size_t n, const dd_stream_alerts *s, int region, const char *what)
{
    snprintf(b, n, "dd:{%s}:%s", radm(s, region), what);
}

/* ---------------- hospital cache ----------------
 * The hospital keys (dd:{R}:h:<ins>:<M>:<H>, dd:{R}:hd:<H>) are written only
 * by the processor that owns the hospital's input partition (the key of
 * every case event is the hospital): this one, between two forget() calls
 * (dd_processor calls it whenever it drops its case cache: partitions
 * assigned or revoked, Redis restarted, a batch not committed). So they
 * are read from Redis once and then kept equal to it by applying, after
 * each commit, the very deltas the batch wrote. The region keys (t, b, yd,
 * al) are shared by several processors and always read. */

static uint64_t hc_key(int hosp, int ins, int32_t month)
{
    return ((uint64_t)(uint32_t)hosp << 40) | ((uint64_t)(ins == 390) << 32) | (uint32_t)month;
}

static const char *hc_keyat(const void *ctx, size_t i, size_t *len)
{
    const hc_e *v = ctx;
    *len = sizeof v[i].key;
    return (const char *)&v[i].key;
}

/* Entry of key in (arr, map); created zeroed when create. NULL: absent or
 * out of memory (*oom set). */
static hc_e *hc_get(hc_e **arr, size_t *n, size_t *cap, smap *map, uint64_t key, int create,
                    int *oom)
{
    long i = smap_find(map, *arr, hc_keyat, (const char *)&key, sizeof key, -1, *n);
    if (i >= 0)
        return &(*arr)[i];
    if (!create)
        return NULL;
    if (grow((void **)arr, cap, *n + 1, sizeof **arr)) {
        *oom = 1;
        return NULL;
    }
    hc_e *e = &(*arr)[*n];
    memset(e, 0, sizeof *e);
    e->key = key;
    if (smap_find(map, *arr, hc_keyat, (const char *)&key, sizeof key, (long)*n, *n) < 0) {
        *oom = 1;
        return NULL;
    }
    (*n)++;
    return e;
}

void dd_stream_alerts_forget(dd_stream_alerts *s)
{
    s->n_hc = 0;
    smap_clear(&s->hc_map);
    for (int h = 0; s->dc && h < s->n_hosp; h++) {
        if (s->dc[h]) {
            free(s->dc[h]->d);
            free(s->dc[h]->n);
            free(s->dc[h]);
            s->dc[h] = NULL;
        }
        if (s->sac[h]) {
            free(s->sac[h]->d);
            free(s->sac[h]->n);
            free(s->sac[h]);
            s->sac[h] = NULL;
        }
    }
    for (size_t i = 0; i < s->n_ydc; i++) {
        free(s->ydc[i].days.d);
        free(s->ydc[i].days.n);
    }
    s->n_ydc = 0;
}

static ydc_e *ydc_find(dd_stream_alerts *s, int region, int ins, int year)
{
    for (size_t i = 0; i < s->n_ydc; i++)
        if (s->ydc[i].region == region && s->ydc[i].ins == ins && s->ydc[i].year == year)
            return &s->ydc[i];
    return NULL;
}

static void ydc_drop(dd_stream_alerts *s, ydc_e *e)
{
    free(e->days.d);
    free(e->days.n);
    *e = s->ydc[--s->n_ydc];
}

static size_t dc_lower(const dc_e *x, int32_t day)
{
    size_t lo = 0, hi = x->k;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (x->d[m] < day)
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

static int dc_has(const dc_e *x, int32_t day)
{
    size_t i = dc_lower(x, day);
    return i < x->k && x->d[i] == day;
}

static int64_t dc_get(const dc_e *x, int32_t day)
{
    size_t i = dc_lower(x, day);
    return i < x->k && x->d[i] == day ? x->n[i] : 0;
}

static int64_t dc_sum(const dc_e *x, int32_t from, int32_t to) /* [from, to) */
{
    int64_t t = 0;
    for (size_t i = dc_lower(x, from); i < x->k && x->d[i] < to; i++)
        t += x->n[i];
    return t;
}

static int32_t dc_min_day(const dc_e *x)
{
    for (size_t i = 0; i < x->k; i++)
        if (x->n[i] > 0)
            return x->d[i];
    return INT32_MAX;
}

/* n[day] += d, the field created when absent. */
static int dc_add(dc_e *x, int32_t day, int64_t d)
{
    size_t i = dc_lower(x, day);
    if (i < x->k && x->d[i] == day) {
        x->n[i] += d;
        return 0;
    }
    if (x->k == x->cap) {
        size_t nc = x->cap ? x->cap * 2 : 64;
        int32_t *nd = realloc(x->d, nc * sizeof *nd);
        if (!nd)
            return -1;
        x->d = nd;
        int64_t *nn = realloc(x->n, nc * sizeof *nn);
        if (!nn)
            return -1;
        x->n = nn;
        x->cap = nc;
    }
    memmove(x->d + i + 1, x->d + i, (x->k - i) * sizeof *x->d);
    memmove(x->n + i + 1, x->n + i, (x->k - i) * sizeof *x->n);
    x->d[i] = day;
    x->n[i] = d;
    x->k++;
    return 0;
}

static int pday_cmp(const void *a, const void *b)
{
    const pday *x = a, *y = b;
    if (x->hosp != y->hosp)
        return x->hosp < y->hosp ? -1 : 1;
    return x->day < y->day ? -1 : x->day > y->day;
}

/* The committed batch's deltas into the cached entries (absent entries are
 * read from Redis, which already holds them). */
static int cache_apply_batch(dd_stream_alerts *s)
{
    int oom = 0;
    for (size_t i = 0; i < s->n_ph; i++) {
        const hc_e *p = &s->ph[i];
        hc_e *e = hc_get(&s->hc, &s->n_hc, &s->cap_hc, &s->hc_map, p->key, 0, &oom);
        if (!e)
            continue;
        for (int c = 0; c < DD_CTR__COUNT; c++) {
            e->c[c] += p->c[c];
            if (p->c[c])
                e->has = 1; /* a non-zero sum is written (zero sums are dropped) */
        }
    }
    if (s->n_pd > 1)
        qsort(s->pd, s->n_pd, sizeof *s->pd, pday_cmp);
    for (size_t i = 0; i < s->n_pd;) {
        size_t j = i;
        int64_t sum = 0;
        while (j < s->n_pd && s->pd[j].hosp == s->pd[i].hosp && s->pd[j].day == s->pd[i].day)
            sum += s->pd[j++].d;
        dc_e *x = s->dc[s->pd[i].hosp];
        if (x && sum && dc_add(x, s->pd[i].day, sum))
            return -1;
        i = j;
    }
    if (s->n_psa > 1)
        qsort(s->psa, s->n_psa, sizeof *s->psa, pday_cmp);
    for (size_t i = 0; i < s->n_psa;) {
        size_t j = i;
        int64_t sum = 0;
        while (j < s->n_psa && s->psa[j].hosp == s->psa[i].hosp && s->psa[j].day == s->psa[i].day)
            sum += s->psa[j++].d;
        dc_e *x = s->sac[s->psa[i].hosp];
        if (x && sum && dc_add(x, s->psa[i].day, sum)) /* zero sums are not written */
            return -1;
        i = j;
    }
    for (size_t i = 0; i < s->n_pyd; i++) {
        const ydp *q = &s->pyd[i];
        ydc_e *e = ydc_find(s, q->region, q->ins, q->year);
        if (!e)
            continue;
        e->w++; /* one "w" increment per write */
        if (q->fund)
            e->fund += q->d;
        else if (dc_add(&e->days, q->day, q->d))
            return -1;
    }
    s->n_ph = 0;
    smap_clear(&s->ph_map);
    s->n_pd = 0;
    s->n_psa = 0;
    s->n_pyd = 0;
    /* bound: a processor owning very many hospitals re-reads instead */
    if (s->n_hc > 400000)
        dd_stream_alerts_forget(s);
    return 0;
}

/* A write of a year day-count key: field f += d and its write count "w"
 * += 1 (same batch script: exactly-once with the day counts), recorded
 * for the cached copy. */
static int yd_incr(dd_stream_alerts *s, dd_store_batch *sb, int region, int ins, int year,
                   const char *f, int32_t day, int64_t d, int fund)
{
    char key[KEY_MAX];
    k_yd(key, sizeof key, s, region, ins, year);
    if (dd_store_batch_incr(sb, key, f, d) || dd_store_batch_incr(sb, key, "w", 1))
        return -1;
    if (grow((void **)&s->pyd, &s->cap_pyd, s->n_pyd + 1, sizeof *s->pyd))
        return -1;
    s->pyd[s->n_pyd++] = (ydp){region, ins, year, fund, day, d};
    return 0;
}

/* Record counter deltas d of (hosp, ins, month) (as dd_processor's
 * add_change sums them): the cached hospital months, and BUDGET_BURN's
 * year-to-date fund, kept as one more field of the year's day counts (one
 * read, not 12). An all-zero d changes nothing (zero sums are dropped). */
static int cache_note_delta(dd_stream_alerts *s, dd_store_batch *sb, int hosp, int ins,
                            int32_t month, const int64_t d[DD_CTR__COUNT])
{
    int nz = 0;
    for (int c = 0; c < DD_CTR__COUNT && !nz; c++)
        nz = d[c] != 0;
    if (!nz)
        return 0;
    int oom = 0;
    hc_e *p = hc_get(&s->ph, &s->n_ph, &s->cap_ph, &s->ph_map, hc_key(hosp, ins, month), 1, &oom);
    if (!p)
        return -1;
    for (int c = 0; c < DD_CTR__COUNT; c++)
        p->c[c] += d[c];
    if (!d[DD_CTR_FUND_SETTLED])
        return 0;
    return yd_incr(s, sb, hregion(s, hosp), ins, dd_time_month_year(month), "fund_settled", 0,
                   d[DD_CTR_FUND_SETTLED], 1);
}

/* A case change's counter deltas (old out, new in): one net delta when both
 * are in the same (insutype, month). *changed = some counter moved. */
static int cache_note_change(dd_stream_alerts *s, dd_store_batch *sb, int hosp,
                             const dd_contrib *o, const dd_contrib *n, int *changed)
{
    int64_t d[DD_CTR__COUNT];
    *changed = 0;
    if (o->in_scope && n->in_scope && o->scope.insutype == n->scope.insutype &&
        o->scope.month == n->scope.month) {
        memset(d, 0, sizeof d);
        dd_contrib_counters_add(n, 1, d);
        dd_contrib_counters_add(o, -1, d);
        for (int c = 0; c < DD_CTR__COUNT && !*changed; c++)
            *changed = d[c] != 0;
        return cache_note_delta(s, sb, hosp, n->scope.insutype, n->scope.month, d);
    }
    const dd_contrib *cb[2] = {o, n};
    for (int i = 0; i < 2; i++) {
        if (!cb[i]->in_scope)
            continue;
        *changed = 1; /* a scope left or joined */
        memset(d, 0, sizeof d);
        dd_contrib_counters_add(cb[i], i ? 1 : -1, d);
        if (cache_note_delta(s, sb, hosp, cb[i]->scope.insutype, cb[i]->scope.month, d))
            return -1;
    }
    return 0;
}

static int cache_note_day(dd_stream_alerts *s, int hosp, int32_t day, int d)
{
    if (grow((void **)&s->pd, &s->cap_pd, s->n_pd + 1, sizeof *s->pd))
        return -1;
    s->pd[s->n_pd++] = (pday){hosp, day, d};
    return 0;
}

/* A split-count delta of (hosp, month): into the batch and, after the
 * commit, into the cached dd:{R}:sa:<H>. */
static int sa_incr(dd_stream_alerts *s, dd_store_batch *sb, int hosp, int32_t month, int d)
{
    char key[KEY_MAX], ym[16];
    k_sa(key, sizeof key, s, hosp);
    fmt_month(month, ym);
    if (dd_store_batch_incr(sb, key, ym, d))
        return -1;
    if (grow((void **)&s->psa, &s->cap_psa, s->n_psa + 1, sizeof *s->psa))
        return -1;
    s->psa[s->n_psa++] = (pday){hosp, month, d};
    return 0;
}

/* ---------------- batch: case changes ---------------- */

static void stay_of(const dd_case *c, const dd_contrib *cb, stay *o)
{
    memset(o, 0, sizeof *o);
    o->in = cb->in_scope && !cb->reversed;
    if (!o->in)
        return;
    o->day = dd_time_local_date(c->setl.setl_time_ms);
    o->month = cb->scope.month;
    o->ins = cb->scope.insutype;
    o->beg = c->setl.begndate;
    o->end = c->setl.enddate;
    snprintf(o->psn, sizeof o->psn, "%s", c->setl.psn);
}

void dd_stream_alerts_case_before(dd_stream_alerts *s, const dd_case *c, const dd_contrib *cb)
{
    stay_of(c, cb, &s->pending);
    s->have_pending = 1;
}

static const char *bc_key(const void *ctx, size_t i, size_t *len)
{
    const dd_stream_alerts *s = ctx;
    /* hospital index as 4 bytes + setl_id: unique per case */
    static _Thread_local char buf[4 + DD_ID_MAX + 1];
    const bcase *b = &s->bc[i];
    memcpy(buf, &b->hosp, 4);
    size_t l = strlen(b->setl_id);
    memcpy(buf + 4, b->setl_id, l);
    *len = 4 + l;
    return buf;
}

static const char *sc_key(const void *ctx, size_t i, size_t *len)
{
    const dd_stream_alerts *s = ctx;
    *len = sizeof(scope);
    return (const char *)&s->sc[i];
}

static int note(dd_stream_alerts *s, int region, int kind, int hosp, int ins, int32_t t)
{
    scope k;
    memset(&k, 0, sizeof k); /* padding: the struct bytes are the map key */
    k.region = region;
    k.kind = kind;
    k.hosp = hosp;
    k.ins = ins;
    k.t = t;
    if (grow((void **)&s->sc, &s->cap_sc, s->n_sc + 1, sizeof *s->sc))
        return -1;
    s->sc[s->n_sc] = k;
    long r = smap_find(&s->sc_map, s, sc_key, (const char *)&k, sizeof k, (long)s->n_sc, s->n_sc);
    if (r == -2)
        return -1;
    if ((size_t)r == s->n_sc)
        s->n_sc++;
    return 0;
}

static int day_incr(dd_stream_alerts *s, dd_store_batch *sb, int hosp, const stay *st, int d)
{
    char key[KEY_MAX], f[16];
    int y, m, dd;
    dd_civil_from_days(st->day, &y, &m, &dd);
    fmt_day(st->day, f);
    k_hd(key, sizeof key, s, hosp);
    if (dd_store_batch_incr(sb, key, f, d) || cache_note_day(s, hosp, st->day, d))
        return -1;
    return yd_incr(s, sb, hregion(s, hosp), st->ins, y, f, st->day, d, 0);
}

int dd_stream_alerts_case_change(dd_stream_alerts *s, dd_store_batch *sb, const dd_case *c,
                                 const dd_contrib *old_c, const dd_contrib *new_c)
{
    const dd_hospital *hp = dd_dataset_hospital(s->ds, c->fixmedins_code);
    if (!hp)
        return 0;
    int hosp = hp->index, region = hp->region;
    stay before, after;
    if (s->have_pending)
        before = s->pending;
    else
        memset(&before, 0, sizeof before);
    s->have_pending = 0;
    stay_of(c, new_c, &after);
    /* the batch's record of this case */
    if (grow((void **)&s->bc, &s->cap_bc, s->n_bc + 1, sizeof *s->bc))
        return -1;
    bcase *nb = &s->bc[s->n_bc];
    memset(nb, 0, sizeof *nb);
    nb->hosp = hosp;
    nb->region = region;
    snprintf(nb->setl_id, sizeof nb->setl_id, "%s", c->setl_id);
    size_t kl;
    char kbuf[4 + DD_ID_MAX + 1];
    const char *k = bc_key(s, s->n_bc, &kl);
    memcpy(kbuf, k, kl);
    long bi = smap_find(&s->bc_map, s, bc_key, kbuf, kl, (long)s->n_bc, s->n_bc);
    if (bi == -2)
        return -1;
    if ((size_t)bi == s->n_bc) {
        s->n_bc++;
        nb->s0 = before;
    }
    s->bc[bi].s1 = after;

    /* day counts (VOLUME_SPIKE, BUDGET_BURN as-of) */
    int same_day = before.in && after.in && before.day == after.day && before.ins == after.ins;
    if (!same_day) {
        if (before.in && (day_incr(s, sb, hosp, &before, -1) ||
                          note(s, region, SC_DAY, hosp, 0, before.day)))
            return -1;
        if (after.in && (day_incr(s, sb, hosp, &after, +1) ||
                         note(s, region, SC_DAY, hosp, 0, after.day)))
            return -1;
    }
    int changed;
    if (cache_note_change(s, sb, hosp, old_c, new_c, &changed))
        return -1;
    /* hospital months and region scopes, as dd_alert.c. Every rule is a
     * function of the aggregates (dd_alert.h): when no counter and no day
     * count moved, none of their inputs did, and their verdicts stand. */
    if (!changed && (same_day || (!before.in && !after.in)))
        return 0;
    const dd_contrib *cb[2] = {old_c, new_c};
    for (int i = 0; i < 2; i++) {
        if (!cb[i]->in_scope)
            continue;
        if (i && old_c->in_scope && old_c->scope.month == new_c->scope.month &&
            old_c->scope.insutype == new_c->scope.insutype)
            break; /* noted already */
        int32_t m = cb[i]->scope.month;
        if (note(s, region, SC_MONTH, hosp, 0, m) ||
            note(s, region, SC_PVD, -1, cb[i]->scope.insutype, m) ||
            note(s, region, SC_BURN, -1, cb[i]->scope.insutype, dd_time_month_year(m)))
            return -1;
    }
    return 0;
}

int dd_stream_alerts_budget(dd_stream_alerts *s, const char *admdvs, int insutype, int year)
{
    const dd_region *rg = dd_dataset_region(s->ds, admdvs);
    if (!rg)
        return 0;
    return note(s, rg->index, SC_BUDGET, -1, insutype, year);
}

/* ---------------- prepare: split admissions + markers ---------------- */

typedef struct {
    char setl_id[DD_ID_MAX + 1];
    int32_t beg, end, month;
    int flag0, flag; /* stored, recomputed */
    int stored;      /* present in Redis */
    int keep;        /* present after the batch */
    int dirty;       /* value to write */
} pstay;

static int parse_stay(const char *v, pstay *o)
{
    int y1, m1, d1, y2, m2, d2, y3, m3, f;
    if (sscanf(v, "%d-%d-%d,%d-%d-%d,%d-%d,%d", &y1, &m1, &d1, &y2, &m2, &d2, &y3, &m3, &f) != 9)
        return -1;
    o->beg = dd_days_from_civil(y1, m1, d1);
    o->end = dd_days_from_civil(y2, m2, d2);
    o->month = dd_time_month_make(y3, m3);
    o->flag0 = f ? 1 : 0;
    return 0;
}

static void fmt_stay(char *b, size_t n, const pstay *p)
{
    char a[16], e[16], m[16];
    fmt_day(p->beg, a);
    fmt_day(p->end, e);
    fmt_month(p->month, m);
    if (n < 64) {
        snprintf(b, n, "%s,%s,%s,%d", a, e, m, p->flag);
        return;
    }
    b = put_str(b, a);
    *b++ = ',';
    b = put_str(b, e);
    *b++ = ',';
    b = put_str(b, m);
    *b++ = ',';
    *b++ = p->flag ? '1' : '0';
    *b = '\0';
}

/* The persons touched: (hosp, psn) of s0 and s1 of every changed case. */
typedef struct {
    int hosp;
    char psn[17];
} person;

typedef struct {
    int hosp;
    char psn[17];
    size_t bc;
} pref;

static int pref_cmp_person(const void *a, const void *b)
{
    const pref *x = a, *y = b;
    if (x->hosp != y->hosp)
        return x->hosp < y->hosp ? -1 : 1;
    return strcmp(x->psn, y->psn);
}

static int pref_cmp(const void *a, const void *b)
{
    int c = pref_cmp_person(a, b);
    if (c)
        return c;
    const pref *x = a, *y = b;
    return x->bc < y->bc ? -1 : x->bc > y->bc;
}

static void scope_line(char *b, size_t n, const dd_stream_alerts *s, const scope *k)
{
    if (k->hosp >= 0)
        snprintf(b, n, "%c %s %" PRId32 "\n", k->kind, hcode(s, k->hosp), k->t);
    else
        snprintf(b, n, "%c %d %" PRId32 "\n", k->kind, k->ins, k->t);
}

int dd_stream_alerts_prepare(dd_stream_alerts *s, dd_store *st, dd_store_batch *sb)
{
    person *ps = NULL;
    size_t np = 0, capp = 0;
    char **keys = NULL, *kblock = NULL;
    dd_store_hash *hs = NULL;
    int rc = -2;
    /* (person, batch case) pairs sorted by person: the persons touched and,
     * per person, the batch cases that leave or join it */
    pref *pr = malloc((2 * s->n_bc + 1) * sizeof *pr);
    size_t npr = 0, *first = NULL;
    if (!pr)
        goto done;
    for (size_t i = 0; i < s->n_bc; i++) {
        const bcase *b = &s->bc[i];
        const stay *ss[2] = {&b->s0, &b->s1};
        /* most changes (lists, QC, reconciliation) leave the stay as it was */
        if (b->s0.in == b->s1.in && (!b->s0.in || (b->s0.beg == b->s1.beg && b->s0.end == b->s1.end &&
                                                   b->s0.month == b->s1.month &&
                                                   !strcmp(b->s0.psn, b->s1.psn))))
            continue;
        for (int j = 0; j < 2; j++) {
            if (!ss[j]->in || !ss[j]->psn[0] || (j == 1 && b->s0.in && !strcmp(b->s0.psn, b->s1.psn)))
                continue;
            pr[npr].hosp = b->hosp;
            memcpy(pr[npr].psn, ss[j]->psn, sizeof pr[npr].psn);
            pr[npr].bc = i;
            npr++;
        }
    }
    qsort(pr, npr, sizeof *pr, pref_cmp);
    first = malloc((npr + 1) * sizeof *first); /* group starts, per person */
    if (!first)
        goto done;
    for (size_t i = 0; i < npr; i++) {
        if (i && !pref_cmp_person(&pr[i - 1], &pr[i]))
            continue;
        if (grow((void **)&ps, &capp, np + 1, sizeof *ps))
            goto done;
        ps[np].hosp = pr[i].hosp;
        memcpy(ps[np].psn, pr[i].psn, sizeof ps[np].psn);
        first[np] = i;
        np++;
    }
    first[np] = npr;
    keys = calloc(np ? np : 1, sizeof *keys);
    hs = calloc(np ? np : 1, sizeof *hs);
    if (!keys || !hs)
        goto done;
    kblock = malloc((np ? np : 1) * KEY_MAX); /* one block, not one malloc per person */
    if (!kblock)
        goto done;
    for (size_t i = 0; i < np; i++) {
        keys[i] = kblock + i * KEY_MAX;
        k_p(keys[i], KEY_MAX, s, ps[i].hosp, ps[i].psn);
    }
    if (np && dd_store_hgetall_many(st, np, (const char *const *)keys, hs)) {
        rc = -1;
        goto done;
    }
    /* per person: stays after the batch, flags as dd_alert.c person_recompute */
    for (size_t i = 0; i < np; i++) {
        int hosp = ps[i].hosp, region = hregion(s, hosp);
        const dd_alert_rules *rs = &s->rules[region];
        int gap = rs->rule[DD_ALERT_SPLIT_ADMISSION].window;
        size_t cap = hs[i].n + (first[i + 1] - first[i]) + 1, n = 0;
        if (grow(&s->pst, &s->cap_pst, cap, sizeof(pstay)))
            goto done;
        pstay *v = s->pst;
        memset(v, 0, cap * sizeof *v);
        for (size_t f = 0; f < hs[i].n; f++) {
            pstay *p = &v[n];
            if (parse_stay(hs[i].fields[f].value, p))
                continue; /* unreadable: dropped (rewritten below if still a stay) */
            snprintf(p->setl_id, sizeof p->setl_id, "%s", hs[i].fields[f].field);
            p->stored = p->keep = 1;
            p->flag = p->flag0;
            n++;
        }
        /* the batch's cases of this person: leave it, or (re)join */
        for (size_t g = first[i]; g < first[i + 1]; g++) {
            const bcase *b = &s->bc[pr[g].bc];
            size_t q = 0;
            while (q < n && strcmp(v[q].setl_id, b->setl_id))
                q++;
            int joins = b->s1.in && !strcmp(b->s1.psn, ps[i].psn);
            if (q == n && !joins)
                continue;
            if (q == n) {
                memset(&v[n], 0, sizeof v[n]);
                snprintf(v[n].setl_id, sizeof v[n].setl_id, "%s", b->setl_id);
                n++;
            }
            pstay *p = &v[q];
            if (p->stored && p->flag0) {
                /* retract where it was counted; re-added below from 0 */
                if (sa_incr(s, sb, hosp, p->month, -1) ||
                    note(s, region, SC_MONTH, hosp, 0, p->month)) {
                    goto done;
                }
            }
            p->flag0 = 0;
            p->keep = joins;
            p->dirty = 1;
            if (joins) {
                p->beg = b->s1.beg;
                p->end = b->s1.end;
                p->month = b->s1.month;
            }
        }
        char key[KEY_MAX];
        k_p(key, sizeof key, s, hosp, ps[i].psn);
        int wrote = 0;
        for (size_t a = 0; a < n; a++) {
            pstay *p = &v[a];
            if (!p->keep)
                continue;
            int flag = 0;
            for (size_t b = 0; b < n && !flag; b++) {
                const pstay *t = &v[b];
                if (b == a || !t->keep || t->end > p->beg || p->beg - t->end > gap)
                    continue;
                flag = t->beg < p->beg || (t->beg == p->beg && strcmp(t->setl_id, p->setl_id) < 0);
            }
            p->flag = flag;
        }
        for (size_t a = 0; a < n && rc == -2; a++) {
            pstay *p = &v[a];
            if (!p->keep) {
                if (p->stored && dd_store_batch_del(sb, key, p->setl_id))
                    rc = -3;
                continue;
            }
            if (p->flag != p->flag0) {
                if (sa_incr(s, sb, hosp, p->month, p->flag - p->flag0) ||
                    note(s, region, SC_MONTH, hosp, 0, p->month))
                    rc = -3;
                p->dirty = 1;
            }
            if (p->dirty) {
                char val[64];
                fmt_stay(val, sizeof val, p);
                if (dd_store_batch_set(sb, key, p->setl_id, val))
                    rc = -3;
                wrote = 1;
            }
        }
        if (rc == -2 && wrote &&
            dd_store_batch_expire(sb, key, (int64_t)rs->split_ttl_days * 86400))
            rc = -3;
        if (rc != -2) {
            rc = -2;
            goto done;
        }
    }
    /* markers: the evaluations this batch owes, committed with it */
    for (int r = 0; r < s->n_regions; r++) {
        size_t len = 0;
        /* the scopes noted since the last commit: earlier ones are in the
         * markers of earlier batches */
        for (size_t i = s->sc_from; i < s->n_sc; i++)
            if (s->sc[i].region == r)
                len += 64;
        if (!len)
            continue;
        char *txt = malloc(len + 1), field[80], key[64];
        if (!txt)
            goto done;
        size_t at = 0;
        for (size_t i = s->sc_from; i < s->n_sc; i++)
            if (s->sc[i].region == r) {
                scope_line(txt + at, len + 1 - at, s, &s->sc[i]);
                at += strlen(txt + at);
            }
        snprintf(field, sizeof field, "%s.%" PRIu64, s->instance, ++s->seq);
        k_al(key, sizeof key, s, r, "ae");
        int bad = dd_store_batch_set(sb, key, field, txt);
        free(txt);
        if (bad)
            goto done;
        /* earlier batches' markers of the region, already evaluated */
        for (size_t i = 0; i < s->n_stale; i++)
            if (s->stale[i].region == r) {
                if (dd_store_batch_del(sb, key, s->stale[i].field))
                    goto done;
                s->stale[i].incl = 1;
            }
        free(s->markers[r]);
        s->markers[r] = sdup(field, strlen(field));
        if (!s->markers[r])
            goto done;
    }
    rc = 0;
done:
    free(pr);
    free(first);
    free(kblock);
    for (size_t i = 0; hs && i < np; i++)
        dd_store_hash_free(&hs[i]);
    free(keys);
    free(hs);
    free(ps);
    return rc;
}

/* ---------------- evaluation ---------------- */

/* The hashes read for one evaluation round (one pipelined HGETALL), with
 * their parsed counters built once per key. */
typedef struct {
    char **keys;
    size_t n, cap;
    smap map;
    dd_store_hash *h;
    int64_t **ctr; /* parsed counters per key, lazily */
} reads;

static const char *rd_key(const void *ctx, size_t i, size_t *len)
{
    const reads *r = ctx;
    *len = strlen(r->keys[i]);
    return r->keys[i];
}

static int rd_need(reads *r, const char *key)
{
    size_t kl = strlen(key);
    long i = smap_find(&r->map, r, rd_key, key, kl, -1, r->n);
    if (i >= 0)
        return 0;
    if (grow((void **)&r->keys, &r->cap, r->n + 1, sizeof *r->keys))
        return -1;
    r->keys[r->n] = sdup(key, kl);
    if (!r->keys[r->n])
        return -1;
    if (smap_find(&r->map, r, rd_key, key, kl, (long)r->n, r->n) < 0)
        return -1;
    r->n++;
    return 0;
}

/* Every key in one pipelined HGETALL. 0 or -1. */
static int rd_fetch(reads *r, dd_store *st)
{
    size_t n = r->n ? r->n : 1;
    r->h = calloc(n, sizeof *r->h);
    r->ctr = calloc(n, sizeof *r->ctr);
    if (!r->h || !r->ctr)
        return -1;
    return r->n ? dd_store_hgetall_many(st, r->n, (const char *const *)r->keys, r->h) : 0;
}

static long rd_index(reads *r, const char *key)
{
    return smap_find(&r->map, r, rd_key, key, strlen(key), -1, r->n);
}

static int rd_has(reads *r, const char *key)
{
    long i = rd_index(r, key);
    return i >= 0 && r->h[i].n > 0;
}

static const dd_store_hash *rd_get(reads *r, const char *key)
{
    long i = rd_index(r, key);
    return i >= 0 ? &r->h[i] : NULL;
}

static void rd_free(reads *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->keys[i]);
        if (r->h)
            dd_store_hash_free(&r->h[i]);
        if (r->ctr)
            free(r->ctr[i]);
    }
    free(r->keys);
    free(r->h);
    free(r->ctr);
    free(r->map.tab);
    memset(r, 0, sizeof *r);
}


/* "YYYY-MM" exactly (the sa fields) -> month index; 0 or -1 */
static int parse_ym(const char *f, int32_t *out)
{
    if (strlen(f) != 7 || f[4] != '-')
        return -1;
    int y = 0, m = 0;
    for (int i = 0; i < 7; i++) {
        if (i == 4)
            continue;
        if (f[i] < '0' || f[i] > '9')
            return -1;
        if (i < 4)
            y = y * 10 + (f[i] - '0');
        else
            m = m * 10 + (f[i] - '0');
    }
    if (m < 1 || m > 12)
        return -1;
    *out = dd_time_month_make(y, m);
    return 0;
}

static int64_t parse_i64(const char *v)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    return *end ? 0 : (int64_t)x;
}

typedef struct {
    const char *name;
    int idx;
} cname;

static int cname_cmp(const void *a, const void *b)
{
    return strcmp(((const cname *)a)->name, ((const cname *)b)->name);
}

/* counter name -> index (sorted table, built once) */
static int counter_index(const char *name)
{
    static cname tab[DD_CTR__COUNT];
    static int built;
    if (!built) { /* idempotent: racing threads write the same values */
        for (int i = 0; i < DD_CTR__COUNT; i++)
            tab[i] = (cname){dd_counter_name((dd_counter)i), i};
        qsort(tab, DD_CTR__COUNT, sizeof tab[0], cname_cmp);
        built = 1;
    }
    cname k = {name, 0};
    const cname *f = bsearch(&k, tab, DD_CTR__COUNT, sizeof tab[0], cname_cmp);
    return f ? f->idx : -1;
}

/* The counters of a read key (zeros when absent); NULL out of memory. */
static const int64_t *rd_ctr(reads *r, const char *key)
{
    static const int64_t zero[DD_CTR__COUNT];
    long i = rd_index(r, key);
    if (i < 0 || !r->h[i].n)
        return zero;
    if (!r->ctr[i]) {
        int64_t *c = calloc(DD_CTR__COUNT, sizeof *c);
        if (!c)
            return NULL;
        for (size_t f = 0; f < r->h[i].n; f++) {
            int k = counter_index(r->h[i].fields[f].field);
            if (k >= 0)
                c[k] = parse_i64(r->h[i].fields[f].value);
        }
        r->ctr[i] = c;
    }
    return r->ctr[i];
}

/* Month budget from the budget hash (dd_live_budget's rule). */
static int64_t budget_of(const dd_store_hash *h, int32_t month)
{
    int want = dd_time_month_num(month), have_m = 0, have_y = 0;
    int64_t m_amt = 0, m_t = 0, m_o = 0, y_amt = 0, y_t = 0, y_o = 0;
    int32_t m_p = 0, y_p = 0;
    for (size_t i = 0; h && i < h->n; i++) {
        int mn;
        int64_t t, o, amt;
        int32_t part;
        char *end;
        if (dd_live_budget_field_parse(h->fields[i].field, &mn, &t, &part, &o))
            continue;
        amt = strtoll(h->fields[i].value, &end, 10);
        if (*end)
            continue;
#define LATER(t1, p1, o1, t0, p0, o0)                                                             \
    ((t1) != (t0) ? (t1) > (t0) : (p1) != (p0) ? (p1) > (p0) : (o1) > (o0))
        if (mn == want && (!have_m || LATER(t, part, o, m_t, m_p, m_o))) {
            have_m = 1;
            m_amt = amt, m_t = t, m_p = part, m_o = o;
        } else if (mn == 0 && (!have_y || LATER(t, part, o, y_t, y_p, y_o))) {
            have_y = 1;
            y_amt = amt, y_t = t, y_p = part, y_o = o;
        }
#undef LATER
    }
    if (have_m)
        return m_amt;
    if (have_y) /* ÷ 12, half away from zero */
        return y_amt >= 0 ? (y_amt + 6) / 12 : -((-y_amt + 6) / 12);
    return 0;
}

/* One evaluated alert of a region, for the transition script. */
typedef struct {
    dd_alert al;
    int holds;
    char *pre, *post; /* JSON around the occurrence */
} ev;

/* An evaluation whose alert state is read after the rules (HMGET of the
 * ids): the id, the verdict and, when it holds, the alert. */
typedef struct {
    char id[sizeof(((dd_alert *)0)->alert_id)];
    int holds;
    dd_alert *al;
} pev;

typedef struct {
    ev *v;
    size_t n, cap;
    const dd_store_hash *al; /* the region's alert states as read (filter) */
    int deferred;            /* al not read: evaluations go to pv, resolved by HMGET */
    pev *pv;
    size_t npv, cappv;
} evs;

static int ev_push(evs *e, const dd_alert *al, int holds);

/* Keep an evaluation only when it may change the state as read: holds and
 * not active (fire), or does not hold and active (clear). The script
 * decides again atomically for what is sent. */
static int ev_add(evs *e, const dd_alert *al, dd_alert_verdict vd)
{
    int holds = vd == DD_ALERT_HOLDS;
    if (e->deferred) {
        if (grow((void **)&e->pv, &e->cappv, e->npv + 1, sizeof *e->pv))
            return -1;
        pev *p = &e->pv[e->npv];
        memcpy(p->id, al->alert_id, sizeof p->id);
        p->holds = holds;
        p->al = NULL;
        if (holds) {
            p->al = malloc(sizeof *p->al);
            if (!p->al)
                return -1;
            *p->al = *al;
        }
        e->npv++;
        return 0;
    }
    const char *cur = e->al ? dd_store_hash_get(e->al, al->alert_id) : NULL;
    int active = cur && cur[0] == '1';
    if (holds == active)
        return 0;
    return ev_push(e, al, holds);
}

static int ev_push(evs *e, const dd_alert *al, int holds)
{
    if (grow((void **)&e->v, &e->cap, e->n + 1, sizeof *e->v))
        return -1;
    ev *x = &e->v[e->n];
    memset(x, 0, sizeof *x);
    x->al = *al;
    x->holds = holds;
    if (x->holds) {
        dd_jw w;
        dd_jw_init(&w);
        x->al.occurrence = 0;
        dd_alert_to_json(&x->al, &w);
        const char *mark = "\"occurrence\":0,";
        char *at = w.oom ? NULL : strstr(w.buf, mark);
        if (!at) {
            dd_jw_free(&w);
            return -1;
        }
        size_t pl = (size_t)(at - w.buf) + strlen("\"occurrence\":");
        x->pre = sdup(w.buf, pl);
        x->post = sdup(w.buf + pl + 1, w.len - pl - 1);
        dd_jw_free(&w);
        if (!x->pre || !x->post) {
            free(x->pre);
            free(x->post);
            return -1;
        }
    }
    e->n++;
    return 0;
}

static void evs_free(evs *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].pre);
        free(e->v[i].post);
    }
    free(e->v);
    for (size_t i = 0; i < e->npv; i++)
        free(e->pv[i].al);
    free(e->pv);
    memset(e, 0, sizeof *e);
}

/* The deferred evaluations of every region: ONE pipelined read of their
 * ids' states (HMGET per region), then the same filter as ev_add. */
static int evs_resolve(dd_stream_alerts *s, dd_store *st, evs *per)
{
    size_t n = 0;
    for (int r = 0; r < s->n_regions; r++)
        n += per[r].npv;
    if (!n)
        return 0;
    const char **keys = malloc(n * sizeof *keys), **fields = malloc(n * sizeof *fields);
    char **vals = calloc(n, sizeof *vals);
    char (*alk)[64] = calloc((size_t)s->n_regions, sizeof *alk);
    int rc = -1;
    if (!keys || !fields || !vals || !alk)
        goto done;
    size_t k = 0;
    for (int r = 0; r < s->n_regions; r++) {
        if (!per[r].npv)
            continue;
        k_al(alk[r], sizeof alk[r], s, r, "al");
        for (size_t i = 0; i < per[r].npv; i++, k++) {
            keys[k] = alk[r];
            fields[k] = per[r].pv[i].id;
        }
    }
    if (dd_store_fetch(st, n, keys, fields, vals))
        goto done;
    rc = 0;
    k = 0;
    for (int r = 0; r < s->n_regions && !rc; r++) {
        for (size_t i = 0; i < per[r].npv; i++, k++) {
            const pev *p = &per[r].pv[i];
            int active = vals[k] && vals[k][0] == '1';
            if (p->holds == active || rc)
                continue;
            if (p->holds) {
                rc = ev_push(&per[r], p->al, 1);
            } else {
                dd_alert *a = calloc(1, sizeof *a);
                if (!a) {
                    rc = -1;
                    continue;
                }
                memcpy(a->alert_id, p->id, sizeof a->alert_id);
                rc = ev_push(&per[r], a, 0);
                free(a);
            }
        }
    }
done:
    if (vals)
        dd_store_fetch_free(n, vals);
    free(vals);
    free(keys);
    free(fields);
    free(alk);
    return rc;
}

/* Parse one marker text into scopes (appended to s->sc via note()). */
static int parse_marker(dd_stream_alerts *s, int region, const char *txt)
{
    const char *p = txt;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        char line[96], who[64];
        int32_t t;
        if (l < sizeof line) {
            memcpy(line, p, l);
            line[l] = '\0';
            char kind;
            if (sscanf(line, "%c %63s %" SCNd32, &kind, who, &t) == 3) {
                if (kind == SC_DAY || kind == SC_MONTH) {
                    const dd_hospital *hp = dd_dataset_hospital(s->ds, who);
                    if (hp && hp->region == region && note(s, region, kind, hp->index, 0, t))
                        return -1;
                } else if (kind == SC_PVD || kind == SC_BURN || kind == SC_BUDGET) {
                    int ins = atoi(who);
                    if ((ins == 310 || ins == 390) && note(s, region, kind, -1, ins, t))
                        return -1;
                }
            }
        }
        p += l;
        if (*p == '\n')
            p++;
    }
    return 0;
}

/* Evaluation items (deduplicated): V (hosp, day), M (hosp, month),
 * P (region, ins, month), B (region, ins, year). */
typedef struct {
    scope *v;
    size_t n, cap;
    smap map;
} items;

static const char *it_key(const void *ctx, size_t i, size_t *len)
{
    const items *it = ctx;
    *len = sizeof(scope);
    return (const char *)&it->v[i];
}

static int it_add(items *it, int region, int kind, int hosp, int ins, int32_t t)
{
    scope k;
    memset(&k, 0, sizeof k);
    k.region = region, k.kind = kind, k.hosp = hosp, k.ins = ins, k.t = t;
    if (grow((void **)&it->v, &it->cap, it->n + 1, sizeof *it->v))
        return -1;
    it->v[it->n] = k;
    long r = smap_find(&it->map, it, it_key, (const char *)&k, sizeof k, (long)it->n, it->n);
    if (r == -2)
        return -1;
    if ((size_t)r == it->n)
        it->n++;
    return 0;
}

/* A yd key with fewer days than this is read whole with the other keys
 * (no round trip of its own to check its "w"): the check pays off only
 * once the key has grown. */
#ifdef DD_SA_AL_BY_ID /* test builds: the cached path always */
#define YD_CACHE_MIN 0
#else
#define YD_CACHE_MIN 64
#endif
static const size_t yd_cache_min = YD_CACHE_MIN;

/* The alert states of region r are read by id after the rules (HMGET)
 * rather than whole (HGETALL, with the other keys) when the hash, as last
 * seen, is larger than both AL_WHOLE_MAX and the ids evaluated last time.
 * Either way the same fields are looked at: only the cost differs. */
#define AL_WHOLE_MAX 256
static int al_deferred(const dd_stream_alerts *s, int r)
{
#ifdef DD_SA_AL_BY_ID /* test builds: always the by-id path once al was seen */
    return s->al_len[r] >= 0;
#endif
    return s->al_len[r] > AL_WHOLE_MAX && s->al_len[r] > s->al_ids[r];
}

/* Pass 0: the keys the scopes need. */
static int scopes_need(dd_stream_alerts *s, reads *rd)
{
    char key[KEY_MAX];
    int *reg = calloc((size_t)(s->n_regions ? s->n_regions : 1), sizeof *reg);
    if (!reg)
        return -1;
#define NEED(...)                                                                                 \
    do {                                                                                          \
        __VA_ARGS__;                                                                              \
        if (rd_need(rd, key))                                                                     \
            goto oom;                                                                             \
    } while (0)
#define NEEDC(...)                                                                                \
    do {                                                                                          \
        __VA_ARGS__;                                                                              \
        if (rd_need(rd, key))                                                                     \
            goto oom;                                                                             \
    } while (0)
    for (size_t i = 0; i < s->n_sc; i++) {
        const scope *k = &s->sc[i];
        int r = k->region;
        if (!reg[r]) {
            reg[r] = 1;
            if (!al_deferred(s, r))
                NEED(k_al(key, sizeof key, s, r, "al"));
        }
        if (k->kind == SC_DAY) {
            if (!s->dc[k->hosp])
                NEED(k_hd(key, sizeof key, s, k->hosp));
        } else if (k->kind == SC_MONTH) {
            int span = dd_alert_rules_month_span(&s->rules[r]), oom = 0;
            for (int m = k->t - span; m <= k->t + span; m++)
                for (int ins = 310; ins <= 390; ins += 80)
                    if (!hc_get(&s->hc, &s->n_hc, &s->cap_hc, &s->hc_map, hc_key(k->hosp, ins, m),
                                0, &oom))
                        NEED(k_hm(key, sizeof key, s, k->hosp, ins, m));
            if (!s->sac[k->hosp])
                NEED(k_sa(key, sizeof key, s, k->hosp));
        } else {
            int y = k->kind == SC_PVD ? dd_time_month_year(k->t) : k->t;
            /* PVD months (m, m+12 / the year and the next) with m-12; BURN */
            int y0 = k->kind == SC_PVD ? y : y - 1, y1 = y + 1;
            if (k->kind == SC_PVD) {
                NEEDC(k_t(key, sizeof key, s, r, k->ins, k->t - 12));
                NEEDC(k_t(key, sizeof key, s, r, k->ins, k->t));
                NEEDC(k_t(key, sizeof key, s, r, k->ins, k->t + 12));
                NEED(k_b(key, sizeof key, s, r, k->ins, y));
                NEED(k_b(key, sizeof key, s, r, k->ins, y + 1));
            } else {
                /* BURN: the budgets and yd (days, fund_settled); a BUDGET
                 * event also re-evaluates PVD of the year and the next */
                for (int yy = y0; k->kind == SC_BUDGET && yy <= y1; yy++)
                    for (int mo = 1; mo <= 12; mo++)
                        NEEDC(k_t(key, sizeof key, s, r, k->ins, dd_time_month_make(yy, mo)));
                for (int yy = y0; yy <= y1; yy++)
                    if (k->kind == SC_BUDGET || yy == y)
                        NEED(k_b(key, sizeof key, s, r, k->ins, yy));
                ydc_e *ye = ydc_find(s, r, k->ins, y);
                if (ye && !ye->check && ye->days.k < yd_cache_min)
                    ydc_drop(s, ye), ye = NULL; /* small: read whole with the rest */
                if (ye)
                    ye->check = 1; /* its "w" is compared instead (yd_sync) */
                else
                    NEED(k_yd(key, sizeof key, s, r, k->ins, y));
            }
        }
    }
#undef NEED
#undef NEEDC
    free(reg);
    return 0;
oom:
    free(reg);
    return -1;
}

/* A yd hash as read -> a cache entry (days, fund_settled, w). */
static int ydc_fill(dd_stream_alerts *s, int region, int ins, int year, const dd_store_hash *h)
{
    if (grow((void **)&s->ydc, &s->cap_ydc, s->n_ydc + 1, sizeof *s->ydc))
        return -1;
    ydc_e *e = &s->ydc[s->n_ydc++];
    memset(e, 0, sizeof *e);
    e->region = region, e->ins = ins, e->year = year;
    for (size_t f = 0; h && f < h->n; f++) {
        const dd_store_field *fl = &h->fields[f];
        int32_t d;
        if (!strcmp(fl->field, "w"))
            e->w = parse_i64(fl->value);
        else if (!strcmp(fl->field, "fund_settled"))
            e->fund = parse_i64(fl->value);
        else if (!dd_time_parse_date(fl->field, strlen(fl->field), &d) &&
                 dc_add(&e->days, d, parse_i64(fl->value)))
            return -1;
    }
    return 0;
}

/* The year day counts the BURN scopes need, current: cached entries whose
 * "w" (ONE pipelined HGET each) is still the one expected are kept, the
 * others are read again whole (ONE pipelined HGETALL), the uncached ones
 * were read with the other keys. Every write of a yd key adds 1 to its w
 * in the same batch script, so an unchanged w means unchanged fields. */
typedef struct {
    int region, ins, year;
} ydk;

static int yd_sync(dd_stream_alerts *s, dd_store *st, reads *rd)
{
    size_t nc = 0, nm = 0, cap_m = 0;
    for (size_t i = 0; i < s->n_ydc; i++)
        nc += s->ydc[i].check != 0;
    int rc = -1;
    char *kb = NULL, **vals = NULL, **mk = NULL;
    const char **ck = NULL, **fl = NULL;
    ydk *m = NULL;
    dd_store_hash *mh = NULL;
    if (nc) {
        kb = malloc(nc * KEY_MAX);
        ck = malloc(nc * sizeof *ck);
        fl = malloc(nc * sizeof *fl);
        vals = calloc(nc, sizeof *vals);
        if (!kb || !ck || !fl || !vals)
            goto done;
        size_t k = 0;
        for (size_t i = 0; i < s->n_ydc; i++) {
            if (!s->ydc[i].check)
                continue;
            k_yd(kb + k * KEY_MAX, KEY_MAX, s, s->ydc[i].region, s->ydc[i].ins, s->ydc[i].year);
            ck[k] = kb + k * KEY_MAX;
            fl[k++] = "w";
        }
        if (dd_store_fetch(st, nc, ck, fl, vals))
            goto done;
        k = 0;
        for (size_t i = 0; i < s->n_ydc; i++) {
            if (!s->ydc[i].check)
                continue;
            int64_t w = vals[k] ? parse_i64(vals[k]) : 0;
            k++;
            s->ydc[i].check = w == s->ydc[i].w ? 0 : 2; /* 2: another writer: read again */
        }
        for (size_t i = 0; i < s->n_ydc;) {
            if (s->ydc[i].check == 2)
                ydc_drop(s, &s->ydc[i]); /* the last entry moves to i */
            else
                i++;
        }
    }
    for (size_t i = 0; i < s->n_sc; i++) {
        const scope *k = &s->sc[i];
        if (k->kind != SC_BURN && k->kind != SC_BUDGET)
            continue;
        if (ydc_find(s, k->region, k->ins, k->t))
            continue;
        char key[KEY_MAX];
        k_yd(key, sizeof key, s, k->region, k->ins, k->t);
        long ri = rd_index(rd, key);
        if (ri >= 0) {
            if (ydc_fill(s, k->region, k->ins, k->t, &rd->h[ri]))
                goto done;
            continue;
        }
        size_t q = 0;
        while (q < nm && !(m[q].region == k->region && m[q].ins == k->ins && m[q].year == k->t))
            q++;
        if (q < nm)
            continue;
        if (grow((void **)&m, &cap_m, nm + 1, sizeof *m))
            goto done;
        m[nm++] = (ydk){k->region, k->ins, k->t};
    }
    if (nm) {
        free(kb);
        kb = malloc(nm * KEY_MAX);
        mk = malloc(nm * sizeof *mk);
        mh = calloc(nm, sizeof *mh);
        if (!kb || !mk || !mh)
            goto done;
        for (size_t i = 0; i < nm; i++) {
            mk[i] = kb + i * KEY_MAX;
            k_yd(mk[i], KEY_MAX, s, m[i].region, m[i].ins, m[i].year);
        }
        if (dd_store_hgetall_many(st, nm, (const char *const *)mk, mh))
            goto done;
        for (size_t i = 0; i < nm; i++)
            if (ydc_fill(s, m[i].region, m[i].ins, m[i].year, &mh[i]))
                goto done;
    }
    rc = 0;
done:
    if (vals)
        dd_store_fetch_free(nc, vals);
    free(vals);
    free(ck);
    free(fl);
    free(kb);
    free(mk);
    for (size_t i = 0; mh && i < nm; i++)
        dd_store_hash_free(&mh[i]);
    free(mh);
    free(m);
    if (rc) /* a failed read: nothing half-known is kept */
        for (size_t i = 0; i < s->n_ydc; i++)
            s->ydc[i].check = 0;
    return rc;
}

/* After the read: cache what was read of the hospital keys. */
static int scopes_fill(dd_stream_alerts *s, reads *rd)
{
    char key[KEY_MAX];
    for (size_t i = 0; i < s->n_sc; i++) {
        const scope *k = &s->sc[i];
        if (k->kind == SC_DAY && !s->dc[k->hosp]) {
            k_hd(key, sizeof key, s, k->hosp);
            long ri = rd_index(rd, key);
            dc_e *x = calloc(1, sizeof *x);
            if (!x)
                return -1;
            s->dc[k->hosp] = x;
            for (size_t f = 0; ri >= 0 && f < rd->h[ri].n; f++) {
                int32_t d;
                const dd_store_field *fl = &rd->h[ri].fields[f];
                if (!dd_time_parse_date(fl->field, strlen(fl->field), &d) &&
                    dc_add(x, d, parse_i64(fl->value)))
                    return -1;
            }
        } else if (k->kind == SC_MONTH) {
            if (!s->sac[k->hosp]) {
                k_sa(key, sizeof key, s, k->hosp);
                long ri = rd_index(rd, key);
                dc_e *x = calloc(1, sizeof *x);
                if (!x)
                    return -1;
                s->sac[k->hosp] = x;
                for (size_t f = 0; ri >= 0 && f < rd->h[ri].n; f++) {
                    int32_t m;
                    const dd_store_field *fl = &rd->h[ri].fields[f];
                    if (!parse_ym(fl->field, &m) && dc_add(x, m, parse_i64(fl->value)))
                        return -1;
                }
            }
            int span = dd_alert_rules_month_span(&s->rules[k->region]), oom = 0;
            for (int m = k->t - span; m <= k->t + span; m++)
                for (int ins = 310; ins <= 390; ins += 80) {
                    uint64_t hk = hc_key(k->hosp, ins, m);
                    if (hc_get(&s->hc, &s->n_hc, &s->cap_hc, &s->hc_map, hk, 0, &oom))
                        continue;
                    hc_e *e = hc_get(&s->hc, &s->n_hc, &s->cap_hc, &s->hc_map, hk, 1, &oom);
                    if (!e)
                        return -1;
                    k_hm(key, sizeof key, s, k->hosp, ins, m);
                    const int64_t *c = rd_ctr(rd, key);
                    if (!c)
                        return -1;
                    memcpy(e->c, c, sizeof e->c);
                    e->has = rd_has(rd, key);
                }
        }
    }
    return 0;
}

static const hc_e *hmonth_of(dd_stream_alerts *s, int hosp, int ins, int32_t m)
{
    static const hc_e none;
    int oom = 0;
    const hc_e *e = hc_get(&s->hc, &s->n_hc, &s->cap_hc, &s->hc_map, hc_key(hosp, ins, m), 0, &oom);
    return e ? e : &none;
}

/* Pass 1: the items to evaluate (days / months / region months with data). */
static int scopes_expand(dd_stream_alerts *s, reads *rd, items *it)
{
    char key[KEY_MAX];
    for (size_t i = 0; i < s->n_sc; i++) {
        const scope *k = &s->sc[i];
        int r = k->region;
        const dd_alert_rules *rs = &s->rules[r];
        if (k->kind == SC_DAY) {
            const dc_e *x = s->dc[k->hosp];
            int W = rs->rule[DD_ALERT_VOLUME_SPIKE].window;
            for (int off = 0; x && off <= W; off++)
                if (dc_has(x, k->t + off) && it_add(it, r, SC_DAY, k->hosp, 0, k->t + off))
                    return -1;
        } else if (k->kind == SC_MONTH) {
            int span = dd_alert_rules_month_span(rs);
            const dc_e *sa = s->sac[k->hosp];
            for (int off = 0; off <= span; off++) {
                int32_t m = k->t + off;
                int a = hmonth_of(s, k->hosp, 310, m)->has;
                int b = hmonth_of(s, k->hosp, 390, m)->has;
                if ((a || b || (sa && dc_has(sa, m))) &&
                    it_add(it, r, SC_MONTH, k->hosp, 0, m))
                    return -1;
            }
        } else if (k->kind == SC_PVD || k->kind == SC_BUDGET) {
            int32_t ms[24];
            int nm = 0;
            if (k->kind == SC_PVD) {
                ms[nm++] = k->t;
                ms[nm++] = k->t + 12;
            } else {
                for (int mo = 1; mo <= 12; mo++) {
                    ms[nm++] = dd_time_month_make(k->t, mo);
                    ms[nm++] = dd_time_month_make(k->t + 1, mo);
                }
            }
            for (int q = 0; q < nm; q++) {
                k_t(key, sizeof key, s, r, k->ins, ms[q]);
                if (rd_has(rd, key) && it_add(it, r, SC_PVD, -1, k->ins, ms[q]))
                    return -1;
            }
            if (k->kind == SC_BUDGET && it_add(it, r, SC_BURN, -1, k->ins, k->t))
                return -1;
        } else if (it_add(it, r, SC_BURN, -1, k->ins, k->t)) {
            return -1;
        }
    }
    return 0;
}

/* Pass 2: evaluate the items with the core rules. */
static int items_eval(dd_stream_alerts *s, reads *rd, items *it, evs *per_region)
{
    char key[KEY_MAX];
    for (size_t i = 0; i < it->n; i++) {
        const scope *k = &it->v[i];
        int r = k->region;
        const dd_alert_rules *rs = &s->rules[r];
        const char *adm = radm(s, r);
        evs *e = &per_region[r];
        dd_alert al;
        if (k->kind == SC_DAY) {
            const dc_e *x = s->dc[k->hosp];
            if (!x)
                continue;
            int W = rs->rule[DD_ALERT_VOLUME_SPIKE].window;
            dd_alert_verdict vd =
                dd_alert_eval_volume(rs, adm, hcode(s, k->hosp), k->t, dc_sum(x, k->t, k->t + 1),
                                     dc_sum(x, k->t - W, k->t), dc_min_day(x), &al);
            if (ev_add(e, &al, vd))
                return -1;
        } else if (k->kind == SC_MONTH) {
            int span = dd_alert_rules_month_span(rs);
            int64_t(*c)[DD_CTR__COUNT] = calloc((size_t)span + 1, sizeof *c);
            if (!c)
                return -1;
            int rc = 0;
            for (int j = 0; j <= span && !rc; j++) { /* c[j] = month t - j */
                for (int ins = 310; ins <= 390 && !rc; ins += 80) {
                    const int64_t *v = hmonth_of(s, k->hosp, ins, k->t - j)->c;
                    for (int q = 0; q < DD_CTR__COUNT; q++)
                        c[j][q] += v[q];
                }
            }
            dd_alert_hmonth in;
            if (!rc) {
                memcpy(in.ctr, c[0], sizeof in.ctr);
                in.split = s->sac[k->hosp] ? dc_get(s->sac[k->hosp], k->t) : 0;
                for (int q = 1; q <= DD_ALERT_MAX_MONTHS; q++)
                    in.prev[q - 1] = q <= span ? c[q] : NULL;
            }
            for (int t = DD_ALERT_CMI_JUMP; t < DD_ALERT__COUNT && !rc; t++) {
                dd_alert_verdict vd = dd_alert_eval_hospital_month(
                    rs, (dd_alert_type)t, adm, hcode(s, k->hosp), k->t, &in, &al);
                rc = ev_add(e, &al, vd);
            }
            free(c);
            if (rc)
                return -1;
        } else if (k->kind == SC_PVD) {
            k_t(key, sizeof key, s, r, k->ins, k->t);
            const int64_t *t = rd_ctr(rd, key);
            k_t(key, sizeof key, s, r, k->ins, k->t - 12);
            const int64_t *ly = rd_ctr(rd, key);
            k_b(key, sizeof key, s, r, k->ins, dd_time_month_year(k->t));
            const dd_store_hash *bh = rd_get(rd, key);
            if (!t || !ly)
                return -1;
            dd_alert_verdict vd = dd_alert_eval_point_value(
                rs, adm, k->ins, k->t, 1, t[DD_CTR_POINTS], t[DD_CTR_ELIGIBLE],
                budget_of(bh, k->t), ly[DD_CTR_POINTS], &al);
            if (ev_add(e, &al, vd))
                return -1;
        } else { /* SC_BURN */
            int y = k->t;
            const ydc_e *ye = ydc_find(s, r, k->ins, y); /* yd_sync: current */
            int32_t max_day = -1; /* the latest day with a counted case */
            for (size_t q = ye ? ye->days.k : 0; q-- > 0;)
                if (ye->days.n[q] > 0) {
                    if (ye->days.d[q] > max_day)
                        max_day = ye->days.d[q];
                    break;
                }
            int doy = max_day >= 0 ? max_day - dd_days_from_civil(y, 1, 1) + 1 : 0;
            k_b(key, sizeof key, s, r, k->ins, y);
            const dd_store_hash *bh = rd_get(rd, key);
            int64_t fund = ye ? ye->fund : 0, yb = 0;
            for (int mo = 1; mo <= 12; mo++)
                yb += budget_of(bh, dd_time_month_make(y, mo));
            dd_alert_verdict vd =
                dd_alert_eval_budget_burn(rs, adm, k->ins, y, doy, fund, yb, &al);
            if (ev_add(e, &al, vd))
                return -1;
        }
    }
    return 0;
}

static int del_add(dd_stream_alerts *s, int region, const char *field)
{
    if (grow((void **)&s->dels, &s->cap_dels, s->n_dels + 1, sizeof *s->dels))
        return -1;
    s->dels[s->n_dels].region = region;
    s->dels[s->n_dels].field = sdup(field, strlen(field));
    if (!s->dels[s->n_dels].field)
        return -1;
    s->n_dels++;
    return 0;
}

static int out_add(dd_stream_alerts *s, int region, const char *field, const char *json,
                   size_t len)
{
    if (grow((void **)&s->out, &s->cap_out, s->n_out + 1, sizeof *s->out))
        return -1;
    outmsg *o = &s->out[s->n_out];
    o->json = sdup(json, len);
    o->len = len;
    o->region = region;
    size_t fl = strlen(field);
    dtoken *t = malloc(sizeof *t + fl + 1);
    if (!o->json || !t) {
        free(o->json);
        free(t);
        return -1;
    }
    t->region = region;
    t->field = (char *)(t + 1);
    memcpy(t->field, field, fl + 1);
    t->len = fl;
    o->token = t;
    s->n_out++;
    return 0;
}

/* The transition script of one region: evaluations e (may be empty),
 * pending outbox deletions, the markers to delete (mk, nmk). With nothing
 * to decide or delete the markers wait for a later call, unless `now`. */
static int transition(dd_stream_alerts *s, dd_store *st, int r, evs *e, char **mk, size_t nmk,
                      int now)
{
    size_t nd = 0;
    for (size_t i = 0; i < s->n_dels; i++)
        nd += s->dels[i].region == r;
    if (!e->n && !nd && !now) {
        /* nothing to decide: the markers go with a later batch */
        for (size_t i = 0; i < nmk; i++) {
            if (grow((void **)&s->stale, &s->cap_stale, s->n_stale + 1, sizeof *s->stale))
                return -1;
            char *f = sdup(mk[i], strlen(mk[i]));
            if (!f)
                return -1;
            s->stale[s->n_stale++] = (smark){r, f, 0};
        }
        return 0;
    }
    size_t na = 3 + 4 * e->n + nd + nmk;
    const char **args = malloc(na * sizeof *args);
    char nums[3][24];
    if (!args)
        return -1;
    snprintf(nums[0], sizeof nums[0], "%zu", e->n);
    snprintf(nums[1], sizeof nums[1], "%zu", nd);
    snprintf(nums[2], sizeof nums[2], "%zu", nmk);
    size_t a = 0;
    args[a++] = nums[0];
    args[a++] = nums[1];
    args[a++] = nums[2];
    for (size_t i = 0; i < e->n; i++) {
        args[a++] = e->v[i].al.alert_id;
        args[a++] = e->v[i].holds ? "1" : "0";
        args[a++] = e->v[i].holds ? e->v[i].pre : "";
        args[a++] = e->v[i].holds ? e->v[i].post : "";
    }
    for (size_t i = 0; i < s->n_dels; i++)
        if (s->dels[i].region == r)
            args[a++] = s->dels[i].field;
    for (size_t i = 0; i < nmk; i++)
        args[a++] = mk[i];
    char k1[64], k2[64], k3[64];
    k_al(k1, sizeof k1, s, r, "al");
    k_al(k2, sizeof k2, s, r, "ao");
    k_al(k3, sizeof k3, s, r, "ae");
    const char *keys[3] = {k1, k2, k3};
    dd_store_reply rep;
    int rc = dd_store_eval(st, SA_LUA, 3, keys, (int)na, args, NULL, &rep);
    free(args);
    if (rc)
        return -1;
    /* deletions sent: forget them */
    size_t w = 0;
    for (size_t i = 0; i < s->n_dels; i++) {
        if (s->dels[i].region == r)
            free(s->dels[i].field);
        else
            s->dels[w++] = s->dels[i];
    }
    s->n_dels = w;
    s->st.evaluated += e->n;
    if (rep.n >= 1 && rep.v[0])
        s->st.cleared += (uint64_t)strtoull(rep.v[0], NULL, 10);
    if (rep.n >= 2 && rep.v[1])
        s->al_len[r] = (long)strtol(rep.v[1], NULL, 10);
    for (size_t i = 2; i + 1 < rep.n; i += 2) {
        if (!rep.v[i] || !rep.v[i + 1])
            continue;
        size_t k = (size_t)strtoull(rep.v[i], NULL, 10);
        if (k < 1 || k > e->n)
            continue;
        ev *x = &e->v[k - 1];
        const char *occ = rep.v[i + 1];
        size_t l1 = strlen(x->pre), l2 = strlen(occ), l3 = strlen(x->post);
        char *json = malloc(l1 + l2 + l3 + 1), field[160];
        if (!json) {
            rc = -1;
            break;
        }
        memcpy(json, x->pre, l1);
        memcpy(json + l1, occ, l2);
        memcpy(json + l1 + l2, x->post, l3 + 1);
        snprintf(field, sizeof field, "%s#%s", x->al.alert_id, occ);
        if (out_add(s, r, field, json, l1 + l2 + l3))
            rc = -1;
        free(json);
        s->st.fired++;
    }
    dd_store_reply_free(&rep);
    return rc;
}

/* Read, evaluate and transition the scopes in s->sc; markers per region. */
static int evaluate_scopes(dd_stream_alerts *s, dd_store *st, char ***mk, size_t *nmk)
{
    reads rd;
    items it;
    memset(&rd, 0, sizeof rd);
    memset(&it, 0, sizeof it);
    evs *per = calloc((size_t)(s->n_regions ? s->n_regions : 1), sizeof *per);
    int rc = -1;
    if (!per)
        return -1;
    if (cache_apply_batch(s)) {
        dd_stream_alerts_forget(s);
        goto done;
    }
    if (scopes_need(s, &rd))
        goto done;
    if (rd_fetch(&rd, st) || scopes_fill(s, &rd) || yd_sync(s, st, &rd))
        goto done;
    for (int r = 0; r < s->n_regions; r++) {
        char key[64];
        k_al(key, sizeof key, s, r, "al");
        per[r].al = rd_get(&rd, key);
        per[r].deferred = !per[r].al;
        if (per[r].al)
            s->al_len[r] = (long)per[r].al->n;
    }
    if (scopes_expand(s, &rd, &it) || items_eval(s, &rd, &it, per))
        goto done;
    for (size_t i = 0; i < it.n; i++) /* evaluated ids per region (mostly 10 per M item) */
        s->al_ids[it.v[i].region] = 0;
    for (size_t i = 0; i < it.n; i++)
        s->al_ids[it.v[i].region] += it.v[i].kind == SC_MONTH ? DD_ALERT__COUNT - DD_ALERT_CMI_JUMP : 1;
    if (evs_resolve(s, st, per))
        goto done;
    rc = 0;
    for (int r = 0; r < s->n_regions && !rc; r++)
        rc = transition(s, st, r, &per[r], mk ? mk[r] : NULL, nmk ? nmk[r] : 0, 0);
done:
    if (rc) /* a cache may be half filled: read everything again next time */
        dd_stream_alerts_forget(s);
    for (int r = 0; r < s->n_regions; r++)
        evs_free(&per[r]);
    free(per);
    free(it.v);
    free(it.map.tab);
    rd_free(&rd);
    return rc;
}

int dd_stream_alerts_committed(dd_stream_alerts *s)
{
    size_t w = 0;
    for (size_t i = 0; i < s->n_stale; i++) {
        if (s->stale[i].incl)
            free(s->stale[i].field); /* deleted by the committed batch */
        else
            s->stale[w++] = s->stale[i];
    }
    s->n_stale = w;
    int rc = 0;
    if (cache_apply_batch(s)) {
        dd_stream_alerts_forget(s);
        rc = -1;
    }
    for (int r = 0; r < s->n_regions; r++) {
        if (!s->markers[r])
            continue;
        if (grow((void **)&s->omk[r], &s->cap_omk[r], s->n_omk[r] + 1, sizeof *s->omk[r])) {
            /* the marker is in Redis: recover() evaluates it */
            s->recover_due = 1;
            rc = -1;
            continue;
        }
        s->omk[r][s->n_omk[r]++] = s->markers[r];
        s->markers[r] = NULL;
    }
    s->sc_from = s->n_sc; /* a marker exists only for noted scopes */
    return rc;
}

int dd_stream_alerts_owed(const dd_stream_alerts *s)
{
    return s->sc_from > 0;
}

int dd_stream_alerts_evaluate(dd_stream_alerts *s, dd_store *st)
{
    out_clear(s);
    dd_store_stats before, after;
    dd_store_get_stats(st, &before);
    int rc = evaluate_scopes(s, st, s->omk, s->n_omk);
    dd_store_get_stats(st, &after);
    /* a script re-sent after a lost reply fires nothing the second time:
     * what the first run fired is in the outbox, re-produce it */
    if (after.io_failures != before.io_failures)
        s->recover_due = 1;
    owed_clear(s);
    if (rc) {
        s->st.eval_failures++;
        s->recover_due = 1; /* the markers are in Redis: redo them later */
    }
    return rc;
}

int dd_stream_alerts_recover_due(dd_stream_alerts *s, dd_store *st)
{
    dd_store_stats ss;
    dd_store_get_stats(st, &ss);
    if (ss.server_restarts != s->restarts_seen) {
        s->restarts_seen = ss.server_restarts;
        s->recover_due = 1;
    }
    return s->recover_due;
}

int dd_stream_alerts_recover(dd_stream_alerts *s, dd_store *st)
{
    out_clear(s);
    /* owed evaluations may be of hospitals another processor owns now: no
     * cached hospital keys in or out */
    dd_stream_alerts_forget(s);
    int nr = s->n_regions;
    char **keys = calloc((size_t)(nr ? nr : 1), sizeof *keys);
    dd_store_hash *h = calloc((size_t)(nr ? nr : 1), sizeof *h);
    char ***mk = calloc((size_t)(nr ? nr : 1), sizeof *mk);
    size_t *nmk = calloc((size_t)(nr ? nr : 1), sizeof *nmk);
    int rc = -1;
    if (!keys || !h || !mk || !nmk)
        goto done;
    for (int r = 0; r < nr; r++) {
        keys[r] = malloc(64);
        if (!keys[r])
            goto done;
        k_al(keys[r], 64, s, r, "ae");
    }
    /* 1. owed evaluations (markers of batches whose evaluation did not run,
     * those this module still owes included) */
    owed_clear(s);
    if (nr && dd_store_hgetall_many(st, (size_t)nr, (const char *const *)keys, h))
        goto done;
    dd_stream_alerts_batch_reset(s);
    for (int r = 0; r < nr; r++) {
        const dd_store_hash *ae = &h[r];
        if (!ae->n)
            continue;
        mk[r] = calloc(ae->n, sizeof *mk[r]);
        if (!mk[r])
            goto done;
        for (size_t i = 0; i < ae->n; i++) {
            mk[r][nmk[r]++] = ae->fields[i].field;
            if (parse_marker(s, r, ae->fields[i].value))
                goto done;
        }
    }
    if (evaluate_scopes(s, st, mk, nmk))
        goto done;
    /* 2. every outbox entry (those just fired included) */
    out_clear(s);
    for (int r = 0; r < nr; r++) {
        dd_store_hash_free(&h[r]);
        k_al(keys[r], 64, s, r, "ao");
    }
    if (nr && dd_store_hgetall_many(st, (size_t)nr, (const char *const *)keys, h))
        goto done;
    for (int r = 0; r < nr; r++) {
        for (size_t i = 0; i < h[r].n; i++)
            if (out_add(s, r, h[r].fields[i].field, h[r].fields[i].value, h[r].fields[i].value_len))
                goto done;
        s->st.recovered += h[r].n;
    }
    rc = 0;
done:
    dd_stream_alerts_batch_reset(s);
    dd_stream_alerts_forget(s);
    for (int r = 0; r < nr; r++) {
        if (keys)
            free(keys[r]);
        if (h)
            dd_store_hash_free(&h[r]);
        if (mk)
            free(mk[r]);
    }
    free(keys);
    free(h);
    free(mk);
    free(nmk);
    if (rc) {
        out_clear(s);
        s->recover_due = 1;
    } else {
        s->recover_due = 0;
    }
    return rc;
}

size_t dd_stream_alerts_out_count(const dd_stream_alerts *s)
{
    return s->n_out;
}

const char *dd_stream_alerts_out_at(dd_stream_alerts *s, size_t i, size_t *len, const char **key,
                                    void **token)
{
    if (i >= s->n_out)
        return NULL;
    outmsg *o = &s->out[i];
    *len = o->len;
    *key = radm(s, o->region);
    *token = o->token;
    o->token = NULL; /* handed out: freed by delivered() */
    return o->json;
}

void dd_stream_alerts_delivered(dd_stream_alerts *s, void *token, int ok)
{
    dtoken *t = token;
    if (!t)
        return;
    if (ok)
        del_add(s, t->region, t->field); /* out of memory: stays in the outbox (a duplicate later) */
    free(t);
}

int dd_stream_alerts_flush(dd_stream_alerts *s, dd_store *st)
{
    int rc = 0;
    for (int r = 0; r < s->n_regions && !rc; r++) {
        size_t nd = 0, nm = 0;
        for (size_t i = 0; i < s->n_dels; i++)
            nd += s->dels[i].region == r;
        for (size_t i = 0; i < s->n_stale; i++)
            nm += s->stale[i].region == r;
        if (!nd && !nm)
            continue;
        /* a script call with deletions only (a dummy "delete" forces it) */
        char **mk = calloc(nm ? nm : 1, sizeof *mk);
        if (!mk)
            return -1;
        size_t k = 0;
        for (size_t i = 0; i < s->n_stale; i++)
            if (s->stale[i].region == r)
                mk[k++] = s->stale[i].field;
        evs none = {0};
        rc = transition(s, st, r, &none, mk, nm, 1);
        free(mk);
        if (!rc) {
            size_t w = 0;
            for (size_t i = 0; i < s->n_stale; i++) {
                if (s->stale[i].region == r)
                    free(s->stale[i].field);
                else
                    s->stale[w++] = s->stale[i];
            }
            s->n_stale = w;
        }
    }
    return rc;
}
