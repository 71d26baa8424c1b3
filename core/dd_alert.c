/*
 * dd_alert — see dd_alert.h. Open-addressing maps keyed by 64-bit integers
 * (exact keys for the numeric scopes, hashes plus a full compare for
 * strings); aggregates in growing arrays.
 */
#include "dd_alert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_hash.h"
#include "dd_num.h"
#include "dd_time.h"

/* ---------------- names ---------------- */

static const char *const type_names[DD_ALERT__COUNT] = {
    "POINT_VALUE_DROP",  "BUDGET_BURN",        "VOLUME_SPIKE",     "CMI_JUMP",
    "CC_MCC_SHARE_JUMP", "SPLIT_ADMISSION",    "LOW_STANDARD_ADMISSION",
    "HIGH_OUTLIER_RATE", "TRANSFER_OUT_RATE",  "SPECIAL_CASE_QUOTA",
    "GROUPING_RATE_LOW", "QC_FAILURE_RATE",    "LATE_LIST"};

const char *dd_alert_type_name(dd_alert_type t)
{
    return (unsigned)t < DD_ALERT__COUNT ? type_names[t] : "?";
}

int dd_alert_type_parse(const char *s)
{
    for (int i = 0; i < DD_ALERT__COUNT; i++)
        if (!strcmp(s, type_names[i]))
            return i;
    return -1;
}

const char *dd_alert_severity_name(dd_alert_severity s)
{
    return s == DD_ALERT_CRITICAL ? "CRITICAL" : "WARN";
}

/* ---------------- configuration ---------------- */

typedef dd_alert_rule rule_cfg;

enum { ATTR_ENABLED, ATTR_THRESHOLD, ATTR_CRITICAL, ATTR_MIN_CASES, ATTR_MIN_COUNT, ATTR_WINDOW_DAYS,
       ATTR_DAYS, ATTR_MONTHS, ATTR_MIN_DAYS, ATTR_TTL_DAYS };

static int attr_allowed(int type, int attr)
{
    switch (attr) {
    case ATTR_ENABLED:
    case ATTR_THRESHOLD:
    case ATTR_CRITICAL:
    case ATTR_MIN_CASES:
        return 1;
    case ATTR_MIN_COUNT:
    case ATTR_WINDOW_DAYS:
        return type == DD_ALERT_VOLUME_SPIKE;
    case ATTR_DAYS:
    case ATTR_TTL_DAYS:
        return type == DD_ALERT_SPLIT_ADMISSION;
    case ATTR_MIN_DAYS:
        return type == DD_ALERT_BUDGET_BURN;
    case ATTR_MONTHS:
        return type == DD_ALERT_CMI_JUMP || type == DD_ALERT_CC_MCC_SHARE_JUMP ||
               type == DD_ALERT_TRANSFER_OUT_RATE;
    }
    return 0;
}

static void cfg_defaults(rule_cfg cfg[DD_ALERT__COUNT], const dd_policy *p)
{
    static const int64_t thr[DD_ALERT__COUNT] = {
        900000, 1100000, 2000000, 1150000, 100000, 1000000, 200000,
        50000,  2000000, 0,       900000,  100000, 50000};
    static const int64_t crit[DD_ALERT__COUNT] = {
        800000, 1250000, 3000000, 1300000, 200000, 5000000, 300000,
        100000, 3000000, 0,       800000,  200000, 100000};
    for (int i = 0; i < DD_ALERT__COUNT; i++) {
        cfg[i].enabled = 1;
        cfg[i].threshold_e6 = thr[i];
        cfg[i].critical_e6 = crit[i];
        cfg[i].min_cases = 30;
        cfg[i].min_count = 20;
        cfg[i].window = i == DD_ALERT_VOLUME_SPIKE      ? 28
                        : i == DD_ALERT_SPLIT_ADMISSION ? 15
                        : i == DD_ALERT_BUDGET_BURN     ? 30 /* min_days */
                                                        : 3;
    }
    cfg[DD_ALERT_SPECIAL_CASE_QUOTA].threshold_e6 = p ? p->special_case_quota_e6 : 30000;
    cfg[DD_ALERT_SPECIAL_CASE_QUOTA].critical_e6 = -1; /* 2 x threshold unless set */
}

static int parse_int(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t x;
    if (dd_dec_parse(v, strlen(v), 0, 0, &x) || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int cfg_load(dd_alert_rules *rs, const dd_policy *p, const char *admdvs,
                    char *errstr, size_t errlen)
{
    rule_cfg *cfg = rs->rule;
    cfg_defaults(cfg, p);
    rs->planned_point_value_e6 = p ? p->planned_point_value_e6 : 0;
    rs->split_ttl_days = 90;
    /* pass 0: alert.min_cases (applies to every rule); pass 1: per rule */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; p && i < p->n_alert; i++) {
            const char *k = p->alert[i].key + 6, *v = p->alert[i].value;
            int64_t x;
            if (!strcmp(k, "min_cases")) {
                if (pass == 0) {
                    if (parse_int(v, 0, 1000000000, &x))
                        goto bad;
                    for (int t = 0; t < DD_ALERT__COUNT; t++)
                        cfg[t].min_cases = x;
                }
                continue;
            }
            if (pass == 0)
                continue;
            const char *dot = strchr(k, '.');
            char name[48];
            if (!dot || (size_t)(dot - k) >= sizeof name)
                goto unknown;
            memcpy(name, k, (size_t)(dot - k));
            name[dot - k] = '\0';
            int t = dd_alert_type_parse(name);
            const char *an = dot + 1;
            int attr = !strcmp(an, "enabled")       ? ATTR_ENABLED
                       : !strcmp(an, "threshold")   ? ATTR_THRESHOLD
                       : !strcmp(an, "critical")    ? ATTR_CRITICAL
                       : !strcmp(an, "min_cases")   ? ATTR_MIN_CASES
                       : !strcmp(an, "min_count")   ? ATTR_MIN_COUNT
                       : !strcmp(an, "window_days") ? ATTR_WINDOW_DAYS
                       : !strcmp(an, "days")        ? ATTR_DAYS
                       : !strcmp(an, "months")      ? ATTR_MONTHS
                       : !strcmp(an, "min_days")    ? ATTR_MIN_DAYS
                       : !strcmp(an, "ttl_days")    ? ATTR_TTL_DAYS
                                                    : -1;
            if (t < 0 || attr < 0 || !attr_allowed(t, attr))
                goto unknown;
            rule_cfg *r = &cfg[t];
            switch (attr) {
            case ATTR_ENABLED:
                if (!strcmp(v, "true"))
                    r->enabled = 1;
                else if (!strcmp(v, "false"))
                    r->enabled = 0;
                else
                    goto bad;
                break;
            case ATTR_THRESHOLD:
            case ATTR_CRITICAL:
                if (dd_dec_parse(v, strlen(v), 6, 6, &x) || x > INT64_C(1000000000000))
                    goto bad;
                if (attr == ATTR_THRESHOLD)
                    r->threshold_e6 = x;
                else
                    r->critical_e6 = x;
                break;
            case ATTR_MIN_CASES:
                if (parse_int(v, 0, 1000000000, &r->min_cases))
                    goto bad;
                break;
            case ATTR_MIN_COUNT:
                if (parse_int(v, 0, 1000000000, &r->min_count))
                    goto bad;
                break;
            case ATTR_WINDOW_DAYS:
            case ATTR_DAYS:
            case ATTR_MIN_DAYS:
                if (parse_int(v, attr == ATTR_WINDOW_DAYS ? 1 : 0, 366, &x))
                    goto bad;
                r->window = (int)x;
                break;
            case ATTR_MONTHS:
                if (parse_int(v, 1, DD_ALERT_MAX_MONTHS, &x))
                    goto bad;
                r->window = (int)x;
                break;
            case ATTR_TTL_DAYS:
                if (parse_int(v, 1, 3660, &x))
                    goto bad;
                rs->split_ttl_days = (int)x;
                break;
            }
            continue;
        unknown:
            snprintf(errstr, errlen, "policy %s: unknown alert key '%s'", admdvs, p->alert[i].key);
            return -1;
        bad:
            snprintf(errstr, errlen, "policy %s: %s: bad value '%s'", admdvs, p->alert[i].key, v);
            return -1;
        }
    }
    if (cfg[DD_ALERT_SPECIAL_CASE_QUOTA].critical_e6 < 0)
        cfg[DD_ALERT_SPECIAL_CASE_QUOTA].critical_e6 = 2 * cfg[DD_ALERT_SPECIAL_CASE_QUOTA].threshold_e6;
    return 0;
}

int dd_alert_rules_load(dd_alert_rules *out, const dd_policy *p, const char *admdvs,
                        char *errstr, size_t errlen)
{
    memset(out, 0, sizeof *out);
    return cfg_load(out, p, admdvs, errstr, errlen);
}

int dd_alert_rules_month_span(const dd_alert_rules *rs)
{
    int span = rs->rule[DD_ALERT_CMI_JUMP].window;
    if (rs->rule[DD_ALERT_CC_MCC_SHARE_JUMP].window > span)
        span = rs->rule[DD_ALERT_CC_MCC_SHARE_JUMP].window;
    if (rs->rule[DD_ALERT_TRANSFER_OUT_RATE].window > span)
        span = rs->rule[DD_ALERT_TRANSFER_OUT_RATE].window;
    return span;
}

/* ---------------- maps ---------------- */

typedef struct {
    uint64_t key;
    uint32_t idx1; /* index + 1; 0 = empty */
} mslot;

typedef struct {
    mslot *s;
    uint32_t mask, n;
} u64map;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static int map_init(u64map *m)
{
    m->mask = 255;
    m->n = 0;
    m->s = calloc(256, sizeof *m->s);
    return m->s ? 0 : -1;
}

/* eq(ctx, idx, k) compares a stored entity with the looked-up key (string
 * maps); NULL when the 64-bit key is exact. */
typedef int (*eq_fn)(const void *ctx, uint32_t idx, const void *k);

static int64_t map_find(const u64map *m, uint64_t key, eq_fn eq, const void *ctx, const void *k)
{
    for (uint32_t i = (uint32_t)mix64(key) & m->mask;; i = (i + 1) & m->mask) {
        const mslot *s = &m->s[i];
        if (!s->idx1)
            return -1;
        if (s->key == key && (!eq || eq(ctx, s->idx1 - 1, k)))
            return s->idx1 - 1;
    }
}

static int map_put(u64map *m, uint64_t key, uint32_t idx)
{
    if ((m->n + 1) * 2 > m->mask + 1) {
        uint32_t nsz = (m->mask + 1) * 2;
        mslot *ns = calloc(nsz, sizeof *ns);
        if (!ns)
            return -1;
        for (uint32_t i = 0; i <= m->mask; i++) {
            if (!m->s[i].idx1)
                continue;
            uint32_t j = (uint32_t)mix64(m->s[i].key) & (nsz - 1);
            while (ns[j].idx1)
                j = (j + 1) & (nsz - 1);
            ns[j] = m->s[i];
        }
        free(m->s);
        m->s = ns;
        m->mask = nsz - 1;
    }
    uint32_t i = (uint32_t)mix64(key) & m->mask;
    while (m->s[i].idx1)
        i = (i + 1) & m->mask;
    m->s[i].key = key;
    m->s[i].idx1 = idx + 1;
    m->n++;
    return 0;
}

static int grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint32_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *p = realloc(*arr, (size_t)nc * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

/* ---------------- state ---------------- */

typedef struct {
    int hosp;
    int32_t month;
    int64_t split;
    int64_t ctr[DD_CTR__COUNT];
} hmonth;

typedef struct {
    int hosp;
    int32_t day;
    int64_t n;
} hday;

typedef struct {
    int region, ins; /* ins: 0 = 310, 1 = 390 */
    int32_t month;
    int64_t ctr[DD_CTR__COUNT];
} rmonth;

typedef struct {
    int region, ins, year;
    int32_t cnt[366]; /* counted cases by local setl day of year (0-based) */
} ryear;

typedef struct {
    int hosp;
    char setl_id[DD_ID_MAX + 1];
    int in;          /* counted: settled, not reversed */
    int32_t day;     /* local date of setl_time */
    int32_t month;
    int ins;
    int32_t beg, end;
    char psn[17];
    int person;      /* index in persons, -1 */
    int readmit;     /* counted as a split admission in hmonth(hosp, month) */
} acase;

typedef struct {
    int hosp;
    char psn[17];
    uint32_t *cases; /* acase indices */
    uint32_t n, cap;
} aperson;

typedef struct {
    char id[96];
    int active, occ;
} astate;

typedef struct {
    int32_t min_day; /* earliest day with a counted case (when !dirty) */
    int dirty;
} hinfo;

struct dd_alerts {
    const dd_dataset *ds;
    dd_alert_budget_fn budget;
    void *budget_ctx;
    dd_alert_emit_fn emit;
    void *emit_ctx;
    dd_alert_rules *rules; /* per region */
    int *hosp_rank, *region_rank;     /* position in code order */
    hinfo *hi;

    hmonth *hm;
    uint32_t n_hm, cap_hm;
    u64map hm_map;
    hday *hd;
    uint32_t n_hd, cap_hd;
    u64map hd_map;
    rmonth *rm;
    uint32_t n_rm, cap_rm;
    u64map rm_map;
    ryear *ry;
    uint32_t n_ry, cap_ry;
    u64map ry_map;
    acase *cs;
    uint32_t n_cs, cap_cs;
    u64map cs_map;
    aperson *ps;
    uint32_t n_ps, cap_ps;
    u64map ps_map;
    astate *st;
    uint32_t n_st, cap_st;
    u64map st_map;
    int n_active;

    int oom;
};

static uint64_t k_hm(int hosp, int32_t month)
{
    return ((uint64_t)(uint32_t)hosp << 32) | (uint32_t)month;
}
static uint64_t k_rm(int region, int ins, int32_t month)
{
    return ((uint64_t)(uint32_t)region << 33) | ((uint64_t)(unsigned)ins << 32) | (uint32_t)month;
}

static hmonth *hm_get(dd_alerts *a, int hosp, int32_t month, int create)
{
    int64_t i = map_find(&a->hm_map, k_hm(hosp, month), NULL, NULL, NULL);
    if (i >= 0)
        return &a->hm[i];
    if (!create || grow((void **)&a->hm, &a->cap_hm, a->n_hm + 1, sizeof *a->hm) ||
        map_put(&a->hm_map, k_hm(hosp, month), a->n_hm)) {
        if (create)
            a->oom = 1;
        return NULL;
    }
    hmonth *h = &a->hm[a->n_hm++];
    memset(h, 0, sizeof *h);
    h->hosp = hosp;
    h->month = month;
    return h;
}

static hday *hd_get(dd_alerts *a, int hosp, int32_t day, int create)
{
    int64_t i = map_find(&a->hd_map, k_hm(hosp, day), NULL, NULL, NULL);
    if (i >= 0)
        return &a->hd[i];
    if (!create || grow((void **)&a->hd, &a->cap_hd, a->n_hd + 1, sizeof *a->hd) ||
        map_put(&a->hd_map, k_hm(hosp, day), a->n_hd)) {
        if (create)
            a->oom = 1;
        return NULL;
    }
    hday *h = &a->hd[a->n_hd++];
    h->hosp = hosp;
    h->day = day;
    h->n = 0;
    return h;
}

static rmonth *rm_get(dd_alerts *a, int region, int ins, int32_t month, int create)
{
    int64_t i = map_find(&a->rm_map, k_rm(region, ins, month), NULL, NULL, NULL);
    if (i >= 0)
        return &a->rm[i];
    if (!create || grow((void **)&a->rm, &a->cap_rm, a->n_rm + 1, sizeof *a->rm) ||
        map_put(&a->rm_map, k_rm(region, ins, month), a->n_rm)) {
        if (create)
            a->oom = 1;
        return NULL;
    }
    rmonth *r = &a->rm[a->n_rm++];
    memset(r, 0, sizeof *r);
    r->region = region;
    r->ins = ins;
    r->month = month;
    return r;
}

static ryear *ry_get(dd_alerts *a, int region, int ins, int year, int create)
{
    int64_t i = map_find(&a->ry_map, k_rm(region, ins, year), NULL, NULL, NULL);
    if (i >= 0)
        return &a->ry[i];
    if (!create || grow((void **)&a->ry, &a->cap_ry, a->n_ry + 1, sizeof *a->ry) ||
        map_put(&a->ry_map, k_rm(region, ins, year), a->n_ry)) {
        if (create)
            a->oom = 1;
        return NULL;
    }
    ryear *r = &a->ry[a->n_ry++];
    memset(r, 0, sizeof *r);
    r->region = region;
    r->ins = ins;
    r->year = year;
    return r;
}

typedef struct {
    int hosp;
    const char *s;
} strkey;

static int cs_eq(const void *ctx, uint32_t idx, const void *k)
{
    const dd_alerts *a = ctx;
    const strkey *sk = k;
    return a->cs[idx].hosp == sk->hosp && !strcmp(a->cs[idx].setl_id, sk->s);
}
static int ps_eq(const void *ctx, uint32_t idx, const void *k)
{
    const dd_alerts *a = ctx;
    const strkey *sk = k;
    return a->ps[idx].hosp == sk->hosp && !strcmp(a->ps[idx].psn, sk->s);
}
static int st_eq(const void *ctx, uint32_t idx, const void *k)
{
    const dd_alerts *a = ctx;
    return !strcmp(a->st[idx].id, (const char *)k);
}

static uint64_t k_str(int hosp, const char *s)
{
    return dd_hash_mix(dd_hash_bytes(s, strlen(s)), (uint64_t)(uint32_t)hosp);
}

static int64_t cs_get(dd_alerts *a, int hosp, const char *setl_id)
{
    strkey sk = {hosp, setl_id};
    uint64_t key = k_str(hosp, setl_id);
    int64_t i = map_find(&a->cs_map, key, cs_eq, a, &sk);
    if (i >= 0)
        return i;
    if (grow((void **)&a->cs, &a->cap_cs, a->n_cs + 1, sizeof *a->cs) ||
        map_put(&a->cs_map, key, a->n_cs)) {
        a->oom = 1;
        return -1;
    }
    acase *c = &a->cs[a->n_cs];
    memset(c, 0, sizeof *c);
    c->hosp = hosp;
    snprintf(c->setl_id, sizeof c->setl_id, "%s", setl_id);
    c->person = -1;
    return a->n_cs++;
}

static int64_t ps_get(dd_alerts *a, int hosp, const char *psn)
{
    strkey sk = {hosp, psn};
    uint64_t key = k_str(hosp, psn);
    int64_t i = map_find(&a->ps_map, key, ps_eq, a, &sk);
    if (i >= 0)
        return i;
    if (grow((void **)&a->ps, &a->cap_ps, a->n_ps + 1, sizeof *a->ps) ||
        map_put(&a->ps_map, key, a->n_ps)) {
        a->oom = 1;
        return -1;
    }
    aperson *p = &a->ps[a->n_ps];
    memset(p, 0, sizeof *p);
    p->hosp = hosp;
    snprintf(p->psn, sizeof p->psn, "%s", psn);
    return a->n_ps++;
}

/* ---------------- lifecycle ---------------- */

dd_alerts *dd_alerts_new(const dd_dataset *ds, dd_alert_budget_fn budget, void *budget_ctx,
                         dd_alert_emit_fn emit, void *emit_ctx, char *errstr, size_t errlen)
{
    dd_alerts *a = calloc(1, sizeof *a);
    int nr = dd_dataset_region_count(ds), nh = dd_dataset_hospital_count(ds);
    if (!a)
        goto oom;
    a->ds = ds;
    a->budget = budget;
    a->budget_ctx = budget_ctx;
    a->emit = emit;
    a->emit_ctx = emit_ctx;
    a->rules = calloc((size_t)(nr ? nr : 1), sizeof *a->rules);
    a->region_rank = calloc((size_t)(nr ? nr : 1), sizeof(int));
    a->hosp_rank = calloc((size_t)(nh ? nh : 1), sizeof(int));
    a->hi = calloc((size_t)(nh ? nh : 1), sizeof *a->hi);
    if (!a->rules || !a->region_rank || !a->hosp_rank || !a->hi || map_init(&a->hm_map) ||
        map_init(&a->hd_map) || map_init(&a->rm_map) || map_init(&a->ry_map) ||
        map_init(&a->cs_map) || map_init(&a->ps_map) || map_init(&a->st_map))
        goto oom;
    for (int r = 0; r < nr; r++) {
        const dd_region *rg = dd_dataset_region_at(ds, r);
        if (dd_alert_rules_load(&a->rules[r], rg->has_policy ? &rg->policy : NULL, rg->admdvs, errstr, errlen)) {
            dd_alerts_destroy(a);
            return NULL;
        }
        int rank = 0;
        for (int q = 0; q < nr; q++)
            rank += strcmp(dd_dataset_region_at(ds, q)->admdvs, rg->admdvs) < 0;
        a->region_rank[r] = rank;
    }
    /* hospital ranks (code order) for the canonical sweep order */
    {
        int *idx = malloc((size_t)(nh ? nh : 1) * sizeof(int));
        if (!idx)
            goto oom;
        for (int i = 0; i < nh; i++)
            idx[i] = i;
        /* shell sort: qsort would need a global comparator context */
        for (int gap = nh / 2; gap > 0; gap /= 2)
            for (int i = gap; i < nh; i++)
                for (int j = i; j >= gap && strcmp(dd_dataset_hospital_at(ds, idx[j - gap])->code,
                                                   dd_dataset_hospital_at(ds, idx[j])->code) > 0;
                     j -= gap) {
                    int t = idx[j];
                    idx[j] = idx[j - gap];
                    idx[j - gap] = t;
                }
        for (int i = 0; i < nh; i++) {
            a->hosp_rank[idx[i]] = i;
            a->hi[i].min_day = INT32_MAX;
        }
        free(idx);
    }
    return a;
oom:
    snprintf(errstr, errlen, "out of memory");
    dd_alerts_destroy(a);
    return NULL;
}

void dd_alerts_destroy(dd_alerts *a)
{
    if (!a)
        return;
    free(a->rules);
    free(a->region_rank);
    free(a->hosp_rank);
    free(a->hi);
    free(a->hm);
    free(a->hm_map.s);
    free(a->hd);
    free(a->hd_map.s);
    free(a->rm);
    free(a->rm_map.s);
    free(a->ry);
    free(a->ry_map.s);
    free(a->cs);
    free(a->cs_map.s);
    for (uint32_t i = 0; i < a->n_ps; i++)
        free(a->ps[i].cases);
    free(a->ps);
    free(a->ps_map.s);
    free(a->st);
    free(a->st_map.s);
    free(a);
}

/* ---------------- alert state ---------------- */

/* Returns the occurrence number to emit (> 0), 0 for nothing, -1 oom. */
static int decide(dd_alerts *a, const char *id, int fire)
{
    uint64_t key = dd_hash_bytes(id, strlen(id));
    int64_t i = map_find(&a->st_map, key, st_eq, a, id);
    if (!fire) {
        if (i >= 0 && a->st[i].active) {
            a->st[i].active = 0;
            a->n_active--;
        }
        return 0;
    }
    if (i < 0) {
        if (grow((void **)&a->st, &a->cap_st, a->n_st + 1, sizeof *a->st) ||
            map_put(&a->st_map, key, a->n_st)) {
            a->oom = 1;
            return -1;
        }
        i = a->n_st++;
        memset(&a->st[i], 0, sizeof a->st[i]);
        snprintf(a->st[i].id, sizeof a->st[i].id, "%s", id);
    }
    if (a->st[i].active)
        return 0;
    a->st[i].active = 1;
    a->n_active++;
    return ++a->st[i].occ;
}

int dd_alerts_state_count(const dd_alerts *a)
{
    return (int)a->n_st;
}

const char *dd_alerts_state_at(const dd_alerts *a, int i, int *active, int *occurrences)
{
    if (i < 0 || (uint32_t)i >= a->n_st)
        return NULL;
    if (active)
        *active = a->st[i].active;
    if (occurrences)
        *occurrences = a->st[i].occ;
    return a->st[i].id;
}

int dd_alerts_active_count(const dd_alerts *a)
{
    return a->n_active;
}

/* ---------------- formatting ---------------- */

static void fmt_rat(char *buf, size_t cap, dd_rat r, int dec)
{
    int64_t v;
    if (!dd_rat_ok(r) || dd_rat_round(r, dec, &v)) {
        snprintf(buf, cap, "NaN");
        return;
    }
    dd_dec_format(buf, cap, v, dec);
}

static void fmt_pct(char *buf, size_t cap, dd_rat r)
{
    fmt_rat(buf, cap, dd_rat_mul(r, dd_rat_int(100)), 2);
}

static dd_rat rat_e6(int64_t v)
{
    return dd_rat_scaled(v, 6);
}

static dd_rat ratio(int64_t num, int64_t den)
{
    return dd_rat_make((dd_i128)num, (dd_i128)den);
}

/* strlcpy: at most cap - 1 bytes and a NUL (cap >= 1); bytes copied */
static size_t cpy_trunc(char *dst, size_t cap, const char *src)
{
    size_t l = strlen(src);
    if (l > cap - 1)
        l = cap - 1;
    memcpy(dst, src, l);
    dst[l] = '\0';
    return l;
}

static void draft_begin(dd_alert *al, dd_alert_type t, const char *admdvs, const char *hosp,
                        int insutype, const char *period)
{
    /* the stream drafts thousands of these per batch: copies, not printf
     * (same bytes, same truncation as snprintf) */
    memset(al, 0, sizeof *al);
    al->type = t;
    cpy_trunc(al->admdvs, sizeof al->admdvs, admdvs);
    if (hosp)
        cpy_trunc(al->fixmedins_code, sizeof al->fixmedins_code, hosp);
    al->insutype = insutype;
    /* periods are "YYYY-MM", "YYYY-MM-DD" or "YYYY": always fit */
    cpy_trunc(al->period, sizeof al->period, period);
    char scope[40];
    if (hosp)
        cpy_trunc(scope, sizeof scope, hosp);
    else
        snprintf(scope, sizeof scope, "%d", insutype);
    const char *parts[7] = {type_names[t], ":", admdvs, ":", scope, ":", period};
    size_t at = 0;
    for (int i = 0; i < 7; i++)
        at += cpy_trunc(al->alert_id + at, sizeof al->alert_id - at, parts[i]);
}

/* Decide and, when firing anew, emit (severity set by the rule). */
static int finish(dd_alerts *a, dd_alert *al, int fire)
{
    int occ = decide(a, al->alert_id, fire);
    if (occ < 0)
        return -1;
    if (occ == 0)
        return 0;
    al->occurrence = occ;
    if (a->emit)
        a->emit(a->emit_ctx, al);
    return 0;
}

/* ---------------- rules (pure functions of aggregates) ---------------- */

static int above(dd_rat v, dd_rat t, int inclusive)
{
    int c = dd_rat_cmp(v, t);
    return inclusive ? c >= 0 : c > 0;
}

static dd_alert_verdict verdict(int evaluable, int fire, int crit, dd_alert *al)
{
    if (!evaluable)
        return DD_ALERT_NOT_EVALUABLE;
    if (!fire)
        return DD_ALERT_DOES_NOT_HOLD;
    al->severity = crit ? DD_ALERT_CRITICAL : DD_ALERT_WARN;
    return DD_ALERT_HOLDS;
}

dd_alert_verdict dd_alert_eval_volume(const dd_alert_rules *rs, const char *admdvs,
                                      const char *hosp, int32_t day, int64_t n,
                                      int64_t window_sum, int32_t min_day, dd_alert *out)
{
    const rule_cfg *r = &rs->rule[DD_ALERT_VOLUME_SPIKE];
    int W = r->window;
    int evaluable = r->enabled && n >= r->min_count && min_day <= day - W;
    int64_t sum = evaluable ? window_sum : 0;
    dd_rat mean = ratio(sum, W);
    dd_rat t = dd_rat_mul(rat_e6(r->threshold_e6), mean), c = dd_rat_mul(rat_e6(r->critical_e6), mean);
    dd_rat v = dd_rat_int(n);
    int fire = evaluable && above(v, t, 0);
    char period[16];
    dd_time_format_date(day, period, sizeof period);
    dd_alert *al = out;
    draft_begin(al, DD_ALERT_VOLUME_SPIKE, admdvs, hosp, 0, period);
    if (fire) {
        char ms[40], ts[40], fs[40];
        al->metric = "daily_cases";
        snprintf(al->value, sizeof al->value, "%lld", (long long)n);
        fmt_rat(al->threshold, sizeof al->threshold, t, 2);
        fmt_rat(ms, sizeof ms, mean, 2);
        fmt_rat(ts, sizeof ts, t, 2);
        fmt_rat(fs, sizeof fs, rat_e6(r->threshold_e6), 2);
        snprintf(al->explanation_zh, sizeof al->explanation_zh,
                 "医院%s %s 结算病例 %lld 例，超过前%d天日均 %s 例的 %s 倍（%s 例）且不少于 %lld 例：住院量异常激增",
                 al->fixmedins_code, period, (long long)n, W, ms, fs, ts, (long long)r->min_count);
        snprintf(al->explanation_en, sizeof al->explanation_en,
                 "hospital %s settled %lld cases on %s, more than %s x its trailing %d-day daily mean "
                 "of %s (%s) and at least %lld: volume spike",
                 al->fixmedins_code, (long long)n, period, fs, W, ms, ts, (long long)r->min_count);
    }
    return verdict(evaluable, fire, above(v, c, 0), al);
}

/* Simple share rule: num/den compared with threshold (above or below). */
typedef struct {
    dd_alert_type type;
    dd_counter num, den, den2; /* den2 added to den when != -1 */
    int below;
    const char *metric;
    const char *zh_what, *en_what, *zh_den, *en_den, *zh_hint, *en_hint;
} share_rule;

static const share_rule share_rules[] = {
    {DD_ALERT_LOW_STANDARD_ADMISSION, DD_CTR_ALL_LOW, DD_CTR_GROUPED, (dd_counter)-1, 0,
     "low_outlier_share", "低倍率病例占比", "low-outlier share", "入组病例", "grouped cases",
     "疑似低标准入院", "possible low-standard admissions"},
    {DD_ALERT_HIGH_OUTLIER_RATE, DD_CTR_ALL_HIGH, DD_CTR_GROUPED, (dd_counter)-1, 0,
     "high_outlier_share", "高倍率病例占比", "high-outlier share", "入组病例", "grouped cases",
     "高倍率病例偏多", "many high-cost outliers"},
    {DD_ALERT_SPECIAL_CASE_QUOTA, DD_CTR_SPECIAL_APPLIED, DD_CTR_SETTLED, (dd_counter)-1, 0,
     "special_case_share", "特例单议申请占比", "special-case share", "结算病例", "settled cases",
     "超出特例单议比例", "special-case quota exceeded"},
    {DD_ALERT_GROUPING_RATE_LOW, DD_CTR_GROUPED, DD_CTR_GROUPED, DD_CTR_UNGROUPABLE, 1,
     "grouping_rate", "入组率", "grouping rate", "应入组病例", "cases to group",
     "入组率偏低", "low grouping rate"},
    {DD_ALERT_QC_FAILURE_RATE, DD_CTR_QC_FAILED, DD_CTR_LISTS, (dd_counter)-1, 0,
     "qc_failure_share", "结算清单质控不通过占比", "QC failure share", "份清单", "lists",
     "清单质量问题", "settlement-list quality problem"},
    {DD_ALERT_LATE_LIST, DD_CTR_LATE_LISTS, DD_CTR_LISTS, (dd_counter)-1, 0, "late_list_share",
     "结算清单逾期上传占比", "late-list share", "份清单", "lists", "清单上传不及时",
     "lists uploaded late"},
};

static dd_alert_verdict eval_share(const dd_alert_rules *rs, const share_rule *sr,
                                   const dd_alert_hmonth *h, dd_alert *al)
{
    const rule_cfg *r = &rs->rule[sr->type];
    int64_t num = h->ctr[sr->num], den = h->ctr[sr->den] + ((int)sr->den2 >= 0 ? h->ctr[sr->den2] : 0);
    int evaluable = r->enabled && den > 0 && den >= r->min_cases;
    dd_rat v = evaluable ? ratio(num, den) : dd_rat_int(0);
    dd_rat t = rat_e6(r->threshold_e6), c = rat_e6(r->critical_e6);
    int fire = evaluable && (sr->below ? dd_rat_cmp(v, t) < 0 : above(v, t, 0));
    int crit = sr->below ? dd_rat_cmp(v, c) < 0 : above(v, c, 0);
    if (fire) {
        char vp[40], tp[40];
        al->metric = sr->metric;
        fmt_rat(al->value, sizeof al->value, v, 6);
        fmt_rat(al->threshold, sizeof al->threshold, t, 6);
        fmt_pct(vp, sizeof vp, v);
        fmt_pct(tp, sizeof tp, t);
        snprintf(al->explanation_zh, sizeof al->explanation_zh,
                 "医院%s %s %s %s%%（%lld/%lld %s），%s阈值 %s%%：%s", al->fixmedins_code, al->period,
                 sr->zh_what, vp, (long long)num, (long long)den, sr->zh_den,
                 sr->below ? "低于" : "超过", tp, sr->zh_hint);
        snprintf(al->explanation_en, sizeof al->explanation_en,
                 "hospital %s %s: %s %s%% (%lld of %lld %s) %s the %s%% threshold: %s",
                 al->fixmedins_code, al->period, sr->en_what, vp, (long long)num, (long long)den,
                 sr->en_den, sr->below ? "below" : "above", tp, sr->en_hint);
    }
    return verdict(evaluable, fire, crit, al);
}

/* CMI_JUMP, CC_MCC_SHARE_JUMP, TRANSFER_OUT_RATE: month vs trailing months. */
static dd_alert_verdict eval_trailing(const dd_alert_rules *rs, dd_alert_type type,
                                      const dd_alert_hmonth *h, dd_alert *al)
{
    const rule_cfg *r = &rs->rule[type];
    int64_t tr[DD_CTR__COUNT];
    memset(tr, 0, sizeof tr);
    for (int k = 1; k <= r->window && k <= DD_ALERT_MAX_MONTHS; k++) {
        const int64_t *pv = h->prev[k - 1];
        if (!pv)
            continue;
        for (int i = 0; i < DD_CTR__COUNT; i++)
            tr[i] += pv[i];
    }
    int64_t num, den, tnum, tden;
    if (type == DD_ALERT_CMI_JUMP) {
        num = h->ctr[DD_CTR_WEIGHT_SUM], den = h->ctr[DD_CTR_GROUPED];
        tnum = tr[DD_CTR_WEIGHT_SUM], tden = tr[DD_CTR_GROUPED];
    } else if (type == DD_ALERT_CC_MCC_SHARE_JUMP) {
        num = h->ctr[DD_CTR_MCC_CASES] + h->ctr[DD_CTR_CC_CASES], den = h->ctr[DD_CTR_GROUPED];
        tnum = tr[DD_CTR_MCC_CASES] + tr[DD_CTR_CC_CASES], tden = tr[DD_CTR_GROUPED];
    } else {
        num = h->ctr[DD_CTR_TRANSFER_OUT], den = h->ctr[DD_CTR_LISTS];
        tnum = tr[DD_CTR_TRANSFER_OUT], tden = tr[DD_CTR_LISTS];
    }
    int evaluable = r->enabled && den > 0 && tden > 0 && den >= r->min_cases && tden >= r->min_cases;
    dd_rat v = dd_rat_int(0), base = dd_rat_int(0), t = dd_rat_int(0), c = dd_rat_int(0);
    if (evaluable) {
        v = ratio(num, den);
        base = ratio(tnum, tden);
        if (type == DD_ALERT_CMI_JUMP) { /* weights are 1/10000 */
            v = dd_rat_div(v, dd_rat_int(10000));
            base = dd_rat_div(base, dd_rat_int(10000));
        }
        if (type == DD_ALERT_CC_MCC_SHARE_JUMP) {
            t = dd_rat_add(base, rat_e6(r->threshold_e6));
            c = dd_rat_add(base, rat_e6(r->critical_e6));
        } else {
            t = dd_rat_mul(base, rat_e6(r->threshold_e6));
            c = dd_rat_mul(base, rat_e6(r->critical_e6));
        }
    }
    int incl = type == DD_ALERT_CC_MCC_SHARE_JUMP;
    int fire = evaluable && above(v, t, incl);
    const char *period = al->period;
    if (fire) {
        char vs[40], bs[40], ts[40], fs[40];
        fmt_rat(al->value, sizeof al->value, v, 6);
        fmt_rat(al->threshold, sizeof al->threshold, t, 6);
        fmt_rat(fs, sizeof fs, rat_e6(r->threshold_e6), 2);
        if (type == DD_ALERT_CMI_JUMP) {
            al->metric = "cmi";
            fmt_rat(vs, sizeof vs, v, 4);
            fmt_rat(bs, sizeof bs, base, 4);
            fmt_rat(ts, sizeof ts, t, 4);
            snprintf(al->explanation_zh, sizeof al->explanation_zh,
                     "医院%s %s CMI %s（%lld 例入组病例），超过前%d个月 CMI %s 的 %s 倍（%s）：疑似高靠分组",
                     al->fixmedins_code, period, vs, (long long)den, r->window, bs, fs, ts);
            snprintf(al->explanation_en, sizeof al->explanation_en,
                     "hospital %s %s: CMI %s (%lld grouped cases) above %s x the trailing %d-month "
                     "CMI %s (%s): possible upcoding",
                     al->fixmedins_code, period, vs, (long long)den, fs, r->window, bs, ts);
        } else if (type == DD_ALERT_CC_MCC_SHARE_JUMP) {
            char ds[40];
            al->metric = "cc_mcc_share";
            fmt_pct(vs, sizeof vs, v);
            fmt_pct(bs, sizeof bs, base);
            fmt_pct(ds, sizeof ds, rat_e6(r->threshold_e6));
            snprintf(al->explanation_zh, sizeof al->explanation_zh,
                     "医院%s %s 伴CC/MCC病例占比 %s%%（%lld/%lld），比前%d个月 %s%% 上升不少于 %s 个百分点：疑似高套并发症",
                     al->fixmedins_code, period, vs, (long long)num, (long long)den, r->window, bs, ds);
            snprintf(al->explanation_en, sizeof al->explanation_en,
                     "hospital %s %s: CC/MCC share %s%% (%lld of %lld grouped) is at least %s points "
                     "above the trailing %d-month %s%%: possible severity upcoding",
                     al->fixmedins_code, period, vs, (long long)num, (long long)den, ds, r->window, bs);
        } else {
            al->metric = "transfer_out_share";
            fmt_pct(vs, sizeof vs, v);
            fmt_pct(bs, sizeof bs, base);
            fmt_pct(ts, sizeof ts, t);
            snprintf(al->explanation_zh, sizeof al->explanation_zh,
                     "医院%s %s 转院出院占比 %s%%（%lld/%lld），超过前%d个月 %s%% 的 %s 倍（%s%%）：疑似推诿病人",
                     al->fixmedins_code, period, vs, (long long)num, (long long)den, r->window, bs, fs, ts);
            snprintf(al->explanation_en, sizeof al->explanation_en,
                     "hospital %s %s: transfer-out share %s%% (%lld of %lld lists) above %s x the "
                     "trailing %d-month %s%% (%s%%): possible patient shifting",
                     al->fixmedins_code, period, vs, (long long)num, (long long)den, fs, r->window, bs, ts);
        }
    }
    return verdict(evaluable, fire, above(v, c, incl), al);
}

static dd_alert_verdict eval_split(const dd_alert_rules *rs, const dd_alert_hmonth *h, dd_alert *al)
{
    const rule_cfg *r = &rs->rule[DD_ALERT_SPLIT_ADMISSION];
    dd_rat v = dd_rat_int(h->split), t = rat_e6(r->threshold_e6), c = rat_e6(r->critical_e6);
    int evaluable = r->enabled && h->split > 0;
    int fire = evaluable && above(v, t, 1);
    if (fire) {
        al->metric = "readmissions";
        snprintf(al->value, sizeof al->value, "%lld", (long long)h->split);
        fmt_rat(al->threshold, sizeof al->threshold, t, 0);
        snprintf(al->explanation_zh, sizeof al->explanation_zh,
                 "医院%s %s 有 %lld 例同一参保人出院后 %d 天内再次入住本院（阈值 %s 例）：疑似分解住院",
                 al->fixmedins_code, al->period, (long long)h->split, r->window, al->threshold);
        snprintf(al->explanation_en, sizeof al->explanation_en,
                 "hospital %s %s: %lld readmissions of the same person within %d days of discharge "
                 "(threshold %s): possible split admissions",
                 al->fixmedins_code, al->period, (long long)h->split, r->window, al->threshold);
    }
    return verdict(evaluable, fire, above(v, c, 1), al);
}

dd_alert_verdict dd_alert_eval_hospital_month(const dd_alert_rules *rs, dd_alert_type type,
                                              const char *admdvs, const char *hosp, int32_t month,
                                              const dd_alert_hmonth *in, dd_alert *out)
{
    char period[16];
    dd_time_format_month(month, period, sizeof period);
    draft_begin(out, type, admdvs, hosp, 0, period);
    if (type == DD_ALERT_CMI_JUMP || type == DD_ALERT_CC_MCC_SHARE_JUMP ||
        type == DD_ALERT_TRANSFER_OUT_RATE)
        return eval_trailing(rs, type, in, out);
    if (type == DD_ALERT_SPLIT_ADMISSION)
        return eval_split(rs, in, out);
    for (size_t i = 0; i < sizeof share_rules / sizeof share_rules[0]; i++)
        if (share_rules[i].type == type)
            return eval_share(rs, &share_rules[i], in, out);
    return DD_ALERT_NOT_EVALUABLE; /* not a hospital-month rule */
}

dd_alert_verdict dd_alert_eval_point_value(const dd_alert_rules *rs, const char *admdvs,
                                           int insutype, int32_t month, int has_data,
                                           int64_t points, int64_t eligible, int64_t budget,
                                           int64_t points_last_year, dd_alert *out)
{
    const rule_cfg *r = &rs->rule[DD_ALERT_POINT_VALUE_DROP];
    int64_t P = points, E = eligible, B = budget;
    int evaluable = r->enabled && has_data && P > 0 && B > 0 && E >= r->min_cases;
    dd_rat planned = dd_rat_int(0), live = dd_rat_int(0), t = planned, c = planned;
    int from_policy = 0;
    if (evaluable) {
        if (rs->planned_point_value_e6 > 0) {
            planned = rat_e6(rs->planned_point_value_e6);
            from_policy = 1;
        } else {
            if (points_last_year > 0)
                planned = dd_rat_div(dd_rat_scaled(B, 2), dd_rat_scaled(points_last_year, 4));
            else
                evaluable = 0;
        }
    }
    if (evaluable) {
        live = dd_rat_div(dd_rat_scaled(B, 2), dd_rat_scaled(P, 4));
        t = dd_rat_mul(planned, rat_e6(r->threshold_e6));
        c = dd_rat_mul(planned, rat_e6(r->critical_e6));
    }
    int fire = evaluable && dd_rat_cmp(live, t) < 0;
    char period[16];
    dd_time_format_month(month, period, sizeof period);
    dd_alert *al = out;
    draft_begin(al, DD_ALERT_POINT_VALUE_DROP, admdvs, NULL, insutype, period);
    if (fire) {
        char ps[40], bs[40], pts[40], fs[40];
        al->metric = "live_point_value";
        fmt_rat(al->value, sizeof al->value, live, 6);
        fmt_rat(al->threshold, sizeof al->threshold, t, 6);
        fmt_rat(ps, sizeof ps, planned, 6);
        dd_dec_format(bs, sizeof bs, B, 2);
        dd_dec_format(pts, sizeof pts, P, 4);
        fmt_pct(fs, sizeof fs, rat_e6(r->threshold_e6));
        snprintf(al->explanation_zh, sizeof al->explanation_zh,
                 "统筹区%s 险种%d %s 实时点值 %s 元（预算 %s 元 / %s 点），低于%s点值 %s 元的 %s%%（%s）：基金超支风险",
                 admdvs, insutype, period, al->value, bs, pts, from_policy ? "计划" : "上年同期",
                 ps, fs, al->threshold);
        snprintf(al->explanation_en, sizeof al->explanation_en,
                 "region %s insutype %d %s: live point value %s yuan (budget %s / %s points) below "
                 "%s%% of the %s point value %s (%s): fund overrun risk",
                 admdvs, insutype, period, al->value, bs, pts, fs,
                 from_policy ? "planned" : "last year's", ps, al->threshold);
    }
    return verdict(evaluable, fire, dd_rat_cmp(live, c) < 0, al);
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

dd_alert_verdict dd_alert_eval_budget_burn(const dd_alert_rules *rs, const char *admdvs,
                                           int insutype, int year, int as_of_doy,
                                           int64_t fund_settled, int64_t year_budget,
                                           dd_alert *out)
{
    const rule_cfg *r = &rs->rule[DD_ALERT_BUDGET_BURN];
    int doy = as_of_doy;
    /* min_days: one day's payments against 1/365 of the budget is noise */
    int evaluable = r->enabled && doy > 0 && doy >= r->window && year_budget > 0;
    int64_t fund = evaluable ? fund_settled : 0, yb = evaluable ? year_budget : 0;
    int diy = is_leap(year) ? 366 : 365;
    dd_rat pro = dd_rat_div(dd_rat_mul(dd_rat_scaled(yb, 2), dd_rat_int(doy)), dd_rat_int(diy));
    dd_rat v = dd_rat_scaled(fund, 2);
    dd_rat t = dd_rat_mul(pro, rat_e6(r->threshold_e6)), c = dd_rat_mul(pro, rat_e6(r->critical_e6));
    int fire = evaluable && above(v, t, 0);
    char period[16];
    snprintf(period, sizeof period, "%04d", year % 10000);
    dd_alert *al = out;
    draft_begin(al, DD_ALERT_BUDGET_BURN, admdvs, NULL, insutype, period);
    if (fire) {
        char ybs[40], pros[40], fs[40], asof[16];
        al->metric = "ytd_fund_pay";
        fmt_rat(al->value, sizeof al->value, v, 2);
        fmt_rat(al->threshold, sizeof al->threshold, t, 2);
        dd_dec_format(ybs, sizeof ybs, yb, 2);
        fmt_rat(pros, sizeof pros, pro, 2);
        fmt_pct(fs, sizeof fs, rat_e6(r->threshold_e6));
        dd_time_format_date(dd_days_from_civil(year, 1, 1) + doy - 1, asof, sizeof asof);
        snprintf(al->explanation_zh, sizeof al->explanation_zh,
                 "统筹区%s 险种%d %d年截至%s 基金支付 %s 元，超过年度预算 %s 元按时间进度（%d/%d 天）%s 元的 %s%%（%s 元）：预算执行过快",
                 admdvs, insutype, year, asof, al->value, ybs, doy, diy, pros, fs, al->threshold);
        snprintf(al->explanation_en, sizeof al->explanation_en,
                 "region %s insutype %d: fund payments of %d through %s are %s yuan, above %s%% of "
                 "the year budget %s prorated to %d/%d days = %s (threshold %s): budget burning "
                 "too fast",
                 admdvs, insutype, year, asof, al->value, fs, ybs, doy, diy, pros, al->threshold);
    }
    return verdict(evaluable, fire, above(v, c, 0), al);
}

int dd_alert_year_days(int year)
{
    return is_leap(year) ? 366 : 365;
}

/* ---------------- the in-memory evaluator's rule calls ---------------- */

static const char *hcode(const dd_alerts *a, int hosp)
{
    return dd_dataset_hospital_at(a->ds, hosp)->code;
}

static const dd_region *hregion(const dd_alerts *a, int hosp)
{
    return dd_dataset_region_at(a->ds, dd_dataset_hospital_at(a->ds, hosp)->region);
}

static int32_t hosp_min_day(dd_alerts *a, int hosp)
{
    hinfo *h = &a->hi[hosp];
    if (h->dirty) {
        h->min_day = INT32_MAX;
        for (uint32_t i = 0; i < a->n_hd; i++)
            if (a->hd[i].hosp == hosp && a->hd[i].n > 0 && a->hd[i].day < h->min_day)
                h->min_day = a->hd[i].day;
        h->dirty = 0;
    }
    return h->min_day;
}

static int eval_volume(dd_alerts *a, int hosp, int32_t day)
{
    const dd_region *rg = hregion(a, hosp);
    const dd_alert_rules *rs = &a->rules[rg->index];
    hday *d = hd_get(a, hosp, day, 0);
    int64_t sum = 0;
    int W = rs->rule[DD_ALERT_VOLUME_SPIKE].window;
    for (int k = 1; d && k <= W; k++) {
        hday *p = hd_get(a, hosp, day - k, 0);
        sum += p ? p->n : 0;
    }
    dd_alert al;
    dd_alert_verdict v = dd_alert_eval_volume(rs, rg->admdvs, hcode(a, hosp), day, d ? d->n : 0,
                                              sum, d ? hosp_min_day(a, hosp) : INT32_MAX, &al);
    return finish(a, &al, v == DD_ALERT_HOLDS);
}

static int eval_hmonth(dd_alerts *a, int hosp, int32_t month)
{
    hmonth *h = hm_get(a, hosp, month, 0);
    if (!h)
        return 0;
    const dd_region *rg = hregion(a, hosp);
    const dd_alert_rules *rs = &a->rules[rg->index];
    dd_alert_hmonth in;
    memcpy(in.ctr, h->ctr, sizeof in.ctr);
    in.split = h->split;
    int span = dd_alert_rules_month_span(rs);
    for (int k = 1; k <= DD_ALERT_MAX_MONTHS; k++) {
        hmonth *q = k <= span ? hm_get(a, hosp, month - k, 0) : NULL;
        in.prev[k - 1] = q ? q->ctr : NULL;
    }
    int rc = 0;
    for (int t = DD_ALERT_CMI_JUMP; t < DD_ALERT__COUNT && !rc; t++) {
        dd_alert al;
        dd_alert_verdict v =
            dd_alert_eval_hospital_month(rs, (dd_alert_type)t, rg->admdvs, hcode(a, hosp), month, &in, &al);
        rc = finish(a, &al, v == DD_ALERT_HOLDS);
    }
    return rc;
}

static const int ins_code[2] = {310, 390};

static int eval_pvd(dd_alerts *a, int region, int ins, int32_t month)
{
    const dd_region *rg = dd_dataset_region_at(a->ds, region);
    const dd_alert_rules *rs = &a->rules[region];
    const rule_cfg *r = &rs->rule[DD_ALERT_POINT_VALUE_DROP];
    rmonth *m = rm_get(a, region, ins, month, 0);
    int64_t P = m ? m->ctr[DD_CTR_POINTS] : 0, E = m ? m->ctr[DD_CTR_ELIGIBLE] : 0;
    int64_t B = a->budget && m ? a->budget(a->budget_ctx, rg->admdvs, ins_code[ins], month) : 0;
    int64_t P_ly = 0;
    if (r->enabled && m && P > 0 && B > 0 && E >= r->min_cases && rs->planned_point_value_e6 <= 0) {
        rmonth *ly = rm_get(a, region, ins, month - 12, 0);
        P_ly = ly ? ly->ctr[DD_CTR_POINTS] : 0;
    }
    dd_alert al;
    dd_alert_verdict v = dd_alert_eval_point_value(rs, rg->admdvs, ins_code[ins], month, m != NULL,
                                                   P, E, B, P_ly, &al);
    return finish(a, &al, v == DD_ALERT_HOLDS);
}

static int eval_burn(dd_alerts *a, int region, int ins, int year)
{
    const dd_region *rg = dd_dataset_region_at(a->ds, region);
    const dd_alert_rules *rs = &a->rules[region];
    const rule_cfg *r = &rs->rule[DD_ALERT_BUDGET_BURN];
    ryear *y = ry_get(a, region, ins, year, 0);
    int doy = 0;
    for (int d = 365; y && d >= 0; d--)
        if (y->cnt[d] > 0) {
            doy = d + 1;
            break;
        }
    int64_t fund = 0, yb = 0;
    int need = r->enabled && doy > 0 && doy >= r->window && a->budget;
    for (int mo = 1; need && mo <= 12; mo++) {
        int32_t m = dd_time_month_make(year, mo);
        rmonth *rm = rm_get(a, region, ins, m, 0);
        fund += rm ? rm->ctr[DD_CTR_FUND_SETTLED] : 0;
        yb += a->budget(a->budget_ctx, rg->admdvs, ins_code[ins], m);
    }
    dd_alert al;
    dd_alert_verdict v =
        dd_alert_eval_budget_burn(rs, rg->admdvs, ins_code[ins], year, doy, fund, yb, &al);
    return finish(a, &al, v == DD_ALERT_HOLDS);
}

/* ---------------- tasks ---------------- */

enum { T_VOLUME = 0, T_HMONTH = 1, T_PVD = 2, T_BURN = 3 };

typedef struct {
    int kind;
    int rank;  /* hospital or region rank (code order) */
    int who;   /* hospital or region index */
    int ins;
    int32_t t; /* day, month or year */
} task;

typedef struct {
    task *v;
    uint32_t n, cap;
} tasks;

static int cmp_task(const void *x, const void *y)
{
    const task *p = x, *q = y;
    if (p->kind != q->kind)
        return p->kind < q->kind ? -1 : 1;
    if (p->rank != q->rank)
        return p->rank < q->rank ? -1 : 1;
    if (p->ins != q->ins)
        return p->ins < q->ins ? -1 : 1;
    return p->t < q->t ? -1 : p->t > q->t;
}

static int add_task(dd_alerts *a, tasks *ts, int kind, int who, int ins, int32_t t)
{
    if (grow((void **)&ts->v, &ts->cap, ts->n + 1, sizeof *ts->v)) {
        a->oom = 1;
        return -1;
    }
    int rank = kind <= T_HMONTH ? a->hosp_rank[who] : a->region_rank[who];
    ts->v[ts->n++] = (task){kind, rank, who, ins, t};
    return 0;
}

static int run_tasks(dd_alerts *a, tasks *ts)
{
    if (ts->n > 1)
        qsort(ts->v, ts->n, sizeof *ts->v, cmp_task);
    int rc = 0;
    for (uint32_t i = 0; i < ts->n && !rc; i++) {
        const task *k = &ts->v[i];
        if (i && !cmp_task(k, &ts->v[i - 1]))
            continue;
        switch (k->kind) {
        case T_VOLUME:
            rc = eval_volume(a, k->who, k->t);
            break;
        case T_HMONTH:
            rc = eval_hmonth(a, k->who, k->t);
            break;
        case T_PVD:
            rc = eval_pvd(a, k->who, k->ins, k->t);
            break;
        default:
            rc = eval_burn(a, k->who, k->ins, k->t);
        }
    }
    free(ts->v);
    ts->v = NULL;
    ts->n = ts->cap = 0;
    return rc || a->oom ? -1 : 0;
}

/* ---------------- feeding ---------------- */

static int ins_index(int insutype)
{
    return insutype == 390 ? 1 : 0;
}

static void hd_add(dd_alerts *a, int hosp, int32_t day, int delta)
{
    hday *d = hd_get(a, hosp, day, 1);
    if (!d)
        return;
    d->n += delta;
    hinfo *h = &a->hi[hosp];
    if (delta > 0 && !h->dirty && day < h->min_day)
        h->min_day = day;
    if (delta < 0 && d->n == 0 && day == h->min_day)
        h->dirty = 1;
}

static void ry_add(dd_alerts *a, int region, int ins, int32_t day, int delta)
{
    int y, m, d;
    dd_civil_from_days(day, &y, &m, &d);
    ryear *r = ry_get(a, region, ins, y, 1);
    if (r)
        r->cnt[day - dd_days_from_civil(y, 1, 1)] += delta;
}

/* Readmission flags of one person's stays; changed months get tasks. */
static void person_recompute(dd_alerts *a, int person, tasks *ts)
{
    aperson *p = &a->ps[person];
    int gap = a->rules[hregion(a, p->hosp)->index].rule[DD_ALERT_SPLIT_ADMISSION].window;
    for (uint32_t i = 0; i < p->n; i++) {
        acase *s = &a->cs[p->cases[i]];
        int flag = 0;
        for (uint32_t j = 0; j < p->n && !flag; j++) {
            const acase *t = &a->cs[p->cases[j]];
            if (j == i || t->end > s->beg || s->beg - t->end > gap)
                continue;
            flag = t->beg < s->beg || (t->beg == s->beg && strcmp(t->setl_id, s->setl_id) < 0);
        }
        if (flag != s->readmit) {
            hmonth *h = hm_get(a, s->hosp, s->month, 1);
            if (h)
                h->split += flag - s->readmit;
            s->readmit = flag;
            add_task(a, ts, T_HMONTH, s->hosp, 0, s->month);
        }
    }
}

static void person_remove(dd_alerts *a, uint32_t ci, tasks *ts)
{
    acase *c = &a->cs[ci];
    if (c->person < 0)
        return;
    aperson *p = &a->ps[c->person];
    for (uint32_t i = 0; i < p->n; i++)
        if (p->cases[i] == ci) {
            p->cases[i] = p->cases[--p->n];
            break;
        }
    if (c->readmit) {
        hmonth *h = hm_get(a, c->hosp, c->month, 1);
        if (h)
            h->split--;
        c->readmit = 0;
        add_task(a, ts, T_HMONTH, c->hosp, 0, c->month);
    }
    int person = c->person;
    c->person = -1;
    person_recompute(a, person, ts);
}

static void move_counters(dd_alerts *a, int hosp, int region, const dd_contrib *cb, int sign)
{
    if (!cb->in_scope)
        return;
    int64_t ctr[DD_CTR__COUNT];
    dd_contrib_counters(cb, ctr);
    hmonth *h = hm_get(a, hosp, cb->scope.month, 1);
    rmonth *r = rm_get(a, region, ins_index(cb->scope.insutype), cb->scope.month, 1);
    if (!h || !r)
        return;
    for (int i = 0; i < DD_CTR__COUNT; i++) {
        h->ctr[i] += sign * ctr[i];
        r->ctr[i] += sign * ctr[i];
    }
}

static void month_tasks(dd_alerts *a, tasks *ts, int hosp, int32_t month)
{
    int span = dd_alert_rules_month_span(&a->rules[hregion(a, hosp)->index]);
    for (int k = 0; k <= span; k++)
        if (k == 0 || hm_get(a, hosp, month + k, 0))
            add_task(a, ts, T_HMONTH, hosp, 0, month + k);
}

static void day_tasks(dd_alerts *a, tasks *ts, int hosp, int32_t day)
{
    int W = a->rules[hregion(a, hosp)->index].rule[DD_ALERT_VOLUME_SPIKE].window;
    for (int k = 0; k <= W; k++)
        if (hd_get(a, hosp, day + k, 0))
            add_task(a, ts, T_VOLUME, hosp, 0, day + k);
}

static void region_tasks(dd_alerts *a, tasks *ts, int region, const dd_contrib *cb)
{
    if (!cb->in_scope)
        return;
    int ins = ins_index(cb->scope.insutype);
    add_task(a, ts, T_PVD, region, ins, cb->scope.month);
    if (rm_get(a, region, ins, cb->scope.month + 12, 0))
        add_task(a, ts, T_PVD, region, ins, cb->scope.month + 12);
    add_task(a, ts, T_BURN, region, ins, dd_time_month_year(cb->scope.month));
}

int dd_alerts_case_change(dd_alerts *a, const dd_case *c, const dd_contrib *old_c,
                          const dd_contrib *new_c)
{
    if (a->oom)
        return -1;
    const dd_hospital *hp = dd_dataset_hospital(a->ds, c->fixmedins_code);
    if (!hp)
        return 0;
    int hosp = hp->index, region = hp->region;
    tasks ts = {0};

    move_counters(a, hosp, region, old_c, -1);
    move_counters(a, hosp, region, new_c, +1);

    int64_t ci = cs_get(a, hosp, c->setl_id);
    if (ci < 0)
        return -1;
    acase *cs = &a->cs[ci];
    if (cs->in) {
        hd_add(a, hosp, cs->day, -1);
        ry_add(a, region, cs->ins, cs->day, -1);
        day_tasks(a, &ts, hosp, cs->day);
        person_remove(a, (uint32_t)ci, &ts);
        cs = &a->cs[ci];
    }
    cs->in = new_c->in_scope && !new_c->reversed;
    if (cs->in) {
        cs->day = dd_time_local_date(c->setl.setl_time_ms);
        cs->month = new_c->scope.month;
        cs->ins = ins_index(new_c->scope.insutype);
        cs->beg = c->setl.begndate;
        cs->end = c->setl.enddate;
        snprintf(cs->psn, sizeof cs->psn, "%s", c->setl.psn);
        hd_add(a, hosp, cs->day, +1);
        ry_add(a, region, cs->ins, cs->day, +1);
        day_tasks(a, &ts, hosp, cs->day);
        if (cs->psn[0]) {
            char psn[17];
            memcpy(psn, cs->psn, sizeof psn);
            int64_t pi = ps_get(a, hosp, psn);
            if (pi >= 0) {
                aperson *p = &a->ps[pi];
                if (grow((void **)&p->cases, &p->cap, p->n + 1, sizeof *p->cases))
                    a->oom = 1;
                else {
                    p->cases[p->n++] = (uint32_t)ci;
                    a->cs[ci].person = (int)pi;
                    person_recompute(a, (int)pi, &ts);
                }
            }
        }
    }
    if (old_c->in_scope)
        month_tasks(a, &ts, hosp, old_c->scope.month);
    if (new_c->in_scope)
        month_tasks(a, &ts, hosp, new_c->scope.month);
    region_tasks(a, &ts, region, old_c);
    region_tasks(a, &ts, region, new_c);
    if (a->oom) {
        free(ts.v);
        return -1;
    }
    return run_tasks(a, &ts);
}

int dd_alerts_budget_changed(dd_alerts *a, const char *admdvs, int insutype, int year)
{
    if (a->oom)
        return -1;
    const dd_region *rg = dd_dataset_region(a->ds, admdvs);
    if (!rg)
        return 0;
    int ins = ins_index(insutype);
    tasks ts = {0};
    for (uint32_t i = 0; i < a->n_rm; i++) {
        const rmonth *m = &a->rm[i];
        int y = dd_time_month_year(m->month);
        if (m->region == rg->index && m->ins == ins && (y == year || y == year + 1))
            add_task(a, &ts, T_PVD, rg->index, ins, m->month);
    }
    add_task(a, &ts, T_BURN, rg->index, ins, year);
    return run_tasks(a, &ts);
}

int dd_alerts_sweep(dd_alerts *a)
{
    if (a->oom)
        return -1;
    tasks ts = {0};
    for (uint32_t i = 0; i < a->n_hd; i++)
        add_task(a, &ts, T_VOLUME, a->hd[i].hosp, 0, a->hd[i].day);
    for (uint32_t i = 0; i < a->n_hm; i++)
        add_task(a, &ts, T_HMONTH, a->hm[i].hosp, 0, a->hm[i].month);
    for (uint32_t i = 0; i < a->n_rm; i++)
        add_task(a, &ts, T_PVD, a->rm[i].region, a->rm[i].ins, a->rm[i].month);
    for (uint32_t i = 0; i < a->n_ry; i++)
        add_task(a, &ts, T_BURN, a->ry[i].region, a->ry[i].ins, a->ry[i].year);
    if (a->oom) {
        free(ts.v);
        return -1;
    }
    return run_tasks(a, &ts);
}

/* ---------------- JSON ---------------- */

void dd_alert_to_json(const dd_alert *al, dd_jw *w)
{
    dd_jw_object_begin(w);
    dd_jw_key(w, "alert_id");
    dd_jw_string(w, al->alert_id);
    dd_jw_key(w, "occurrence");
    dd_jw_int(w, al->occurrence);
    dd_jw_key(w, "type");
    dd_jw_string(w, dd_alert_type_name(al->type));
    dd_jw_key(w, "severity");
    dd_jw_string(w, dd_alert_severity_name(al->severity));
    dd_jw_key(w, "admdvs");
    dd_jw_string(w, al->admdvs);
    if (al->fixmedins_code[0]) {
        dd_jw_key(w, "fixmedins_code");
        dd_jw_string(w, al->fixmedins_code);
    }
    if (al->insutype) {
        dd_jw_key(w, "insutype");
        char b[16];
        snprintf(b, sizeof b, "%d", al->insutype);
        dd_jw_string(w, b);
    }
    dd_jw_key(w, "period");
    dd_jw_string(w, al->period);
    dd_jw_key(w, "metric");
    dd_jw_string(w, al->metric ? al->metric : "");
    dd_jw_key(w, "value");
    dd_jw_string(w, al->value);
    dd_jw_key(w, "threshold");
    dd_jw_string(w, al->threshold);
    dd_jw_key(w, "explanation");
    dd_jw_object_begin(w);
    dd_jw_key(w, "zh");
    dd_jw_string(w, al->explanation_zh);
    dd_jw_key(w, "en");
    dd_jw_string(w, al->explanation_en);
    dd_jw_object_end(w);
    dd_jw_object_end(w);
}
