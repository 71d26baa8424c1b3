/*
 * dd_gen — synthetic event generator (contract in dd_gen.h).
 *
 * Two passes: first every case of every month is drawn into a compact record
 * (gcase) and its events into small records (gev: time, type, variant); then
 * the events are sorted by time and rendered one at a time into a reusable
 * dd_event for the sink. So memory stays ~200 bytes per case, not a
 * dd_event (7 kB) per event.
 */
#include "dd_gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_time.h"

#define MAX_TDX 4
#define MAX_TPROC 4

/* ---- PRNG: xoshiro256** seeded by splitmix64 (portable, deterministic) ---- */

typedef struct {
    uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static void rng_seed(rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static double rng_u(rng_t *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

/* uniform integer in [lo, hi] */
static int64_t rng_range(rng_t *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static int64_t round_pos(double x) { return (int64_t)(x + 0.5); }

/* ---- casemix templates ---- */

typedef struct {
    char adrg[8];
    char main_dx[DD_DX_MAX + 1];
    char other[MAX_TDX][DD_DX_MAX + 1];
    int n_other;
    char procs[MAX_TPROC][DD_DX_MAX + 1];
    int n_procs;
    int gend; /* 0 = either */
    int age_min, age_max, age_days, nwb;
    /* grouped once at load */
    int grouped;
    char drg[8];
    uint32_t sel_weight;
} tmpl_t;

typedef struct {
    char procs[MAX_TPROC][DD_DX_MAX + 1];
    int n;
    char code[16];
} dip_hint;

typedef struct {
    dip_hint *hints;
    int n_hints;
    int *core, n_core;    /* library indices */
    int *basic, n_basic;
    int *comp, n_comp;    /* COMPREHENSIVE with a working diagnosis */
    char (*comp_dx)[DD_DX_MAX + 1];
} region_gen;

struct dd_gen {
    const dd_dataset *ds;
    tmpl_t *tmpl;
    int n_tmpl;
    uint64_t *tmpl_cum; /* cumulative selection weights */
    region_gen *rg;
    int n_regions;
    dd_event ev; /* reused for rendering */
};

/* ---- compact case and event records ---- */

enum { V_LIST_FIRST = 0, V_LIST_REUPLOAD = 1 };
enum { V_QC_PASS = 0, V_QC_FAIL = 1 };

typedef struct {
    int32_t hosp;
    int32_t tmpl;      /* DRG template, -1 */
    int32_t dip_entry; /* library index, -1 */
    int32_t dip_comp;  /* index into comp_dx, -1 */
    int32_t month;
    int32_t seq;       /* within the month */
    int32_t begndate, enddate;
    int64_t setl_ms;
    int64_t medfee, fund, psn, acct;
    int64_t special_points_e4;
    uint64_t psn_id;
    int16_t age, age_days, nwb, ipt;
    int8_t gend, dscg, insutype_is_390, pay_method, bedday_idx;
    int8_t invalid_list, dip_nodx, special_ffs;
    int16_t extra_dx_tmpl; /* template whose other_dx the re-upload adds, -1 */
    char insuplc[7];
} gcase;

typedef struct {
    int64_t t_ms;
    uint32_t seq;     /* generation order: the tie-break */
    uint32_t id_seq;  /* event id number (a duplicate shares it) */
    uint32_t ref;     /* case index, or budget index */
    uint8_t type;
    uint8_t variant;
} gev;

typedef struct {
    int region;
    int insutype;
    int year, month; /* month 0 = yearly */
    int64_t amount;
    int64_t t_ms;
} gbudget;

typedef struct {
    gcase *cases;
    size_t n_cases, cap_cases;
    gev *evs;
    size_t n_evs, cap_evs;
    gbudget *budgets;
    size_t n_budgets;
    uint32_t seq, id_seq;
    int oom;
} gbuf;

static const char *qc_errors[] = {"主要诊断编码不规范", "出院方式缺失", "手术操作日期不在住院期间",
                                  "其他诊断漏填并发症", "新生儿出生体重缺失"};

/* ------------------------------------------------------------------ */

static void seterr(char *errstr, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *errstr, size_t errlen, const char *fmt, ...)
{
    if (!errstr || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errlen, fmt, ap);
    va_end(ap);
}

dd_gen *dd_gen_new(const dd_dataset *ds, char *errstr, size_t errlen)
{
    dd_gen *g = calloc(1, sizeof *g);
    if (!g) {
        seterr(errstr, errlen, "out of memory");
        return NULL;
    }
    g->ds = ds;
    g->n_regions = dd_dataset_region_count(ds);
    g->rg = calloc((size_t)g->n_regions + 1, sizeof *g->rg);
    if (!g->rg) {
        free(g);
        seterr(errstr, errlen, "out of memory");
        return NULL;
    }
    return g;
}

void dd_gen_destroy(dd_gen *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_regions; i++) {
        free(g->rg[i].hints);
        free(g->rg[i].core);
        free(g->rg[i].basic);
        free(g->rg[i].comp);
        free(g->rg[i].comp_dx);
    }
    free(g->rg);
    free(g->tmpl);
    free(g->tmpl_cum);
    free(g);
}

/* Split one CSV line (no quoting) into at most `max` fields (in place). */
static int split_fields(char *line, char **f, int max, char sep)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n < max)
            f[n] = p;
        n++;
        char *q = strchr(p, sep);
        if (!q)
            break;
        *q = '\0';
        p = q + 1;
    }
    return n;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static int col_index(char **f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i], name))
            return i;
    return -1;
}

static int parse_int_or(const char *s, int dflt)
{
    if (!s || !*s)
        return dflt;
    char *end;
    long v = strtol(s, &end, 10);
    return *end ? dflt : (int)v;
}

/* Copy `|`-joined codes into a fixed array; returns the count kept. */
static int split_codes(const char *s, char (*dst)[DD_DX_MAX + 1], int max)
{
    int n = 0;
    while (s && *s && n < max) {
        const char *e = strchr(s, '|');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len > 0 && len <= DD_DX_MAX) {
            memcpy(dst[n], s, len);
            dst[n][len] = '\0';
            n++;
        }
        if (!e)
            break;
        s = e + 1;
    }
    return n;
}

static void tmpl_group(const dd_drg_tables *t, tmpl_t *tp)
{
    const char *od[MAX_TDX], *pr[MAX_TPROC];
    for (int i = 0; i < tp->n_other; i++)
        od[i] = tp->other[i];
    for (int i = 0; i < tp->n_procs; i++)
        pr[i] = tp->procs[i];
    dd_drg_input in = {.gend = tp->gend ? tp->gend : 1,
                       .age = tp->age_min,
                       .age_days = tp->age_days,
                       .nwb_bir_wt = tp->nwb,
                       .ipt_days = 5,
                       .dscg_way = 1,
                       .main_dx = tp->main_dx,
                       .other_dx = od,
                       .n_other_dx = tp->n_other,
                       .procedures = pr,
                       .n_procedures = tp->n_procs};
    dd_drg_result res;
    dd_drg_group(t, &in, &res);
    tp->grouped = res.status == DD_GROUP_SUCCESS;
    snprintf(tp->drg, sizeof tp->drg, "%s", tp->grouped ? res.drg : "");
}

int dd_gen_load_casemix(dd_gen *g, const char *csv, size_t len, char *errstr, size_t errlen)
{
    char *buf = malloc(len + 1);
    if (!buf) {
        seterr(errstr, errlen, "out of memory");
        return -1;
    }
    memcpy(buf, csv, len);
    buf[len] = '\0';
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    free(g->tmpl);
    free(g->tmpl_cum);
    g->tmpl = calloc(lines, sizeof *g->tmpl);
    g->tmpl_cum = calloc(lines, sizeof *g->tmpl_cum);
    g->n_tmpl = 0;
    if (!g->tmpl || !g->tmpl_cum) {
        free(buf);
        seterr(errstr, errlen, "out of memory");
        return -1;
    }
    const dd_drg_tables *tables = dd_dataset_drg_tables(g->ds);
    int c_adrg = -1, c_gend = -1, c_amin = -1, c_amax = -1, c_days = -1, c_wt = -1, c_dx = -1,
        c_other = -1, c_proc = -1, ncols = 0;
    int lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        chomp(line);
        if (lineno == 1 && !strncmp(line, "\xEF\xBB\xBF", 3))
            line += 3;
        if (!*line)
            continue;
        char *f[16];
        int n = split_fields(line, f, 16, ',');
        if (n > 16)
            n = 16;
        if (ncols == 0) {
            ncols = n;
            c_adrg = col_index(f, n, "adrg");
            c_gend = col_index(f, n, "gend");
            c_amin = col_index(f, n, "age_min");
            c_amax = col_index(f, n, "age_max");
            c_days = col_index(f, n, "age_days");
            c_wt = col_index(f, n, "nwb_bir_wt");
            c_dx = col_index(f, n, "main_dx");
            c_other = col_index(f, n, "other_dx");
            c_proc = col_index(f, n, "procedures");
            if (c_dx < 0 || c_other < 0 || c_proc < 0) {
                free(buf);
                seterr(errstr, errlen,
                       "casemix line %d: header needs main_dx, other_dx, procedures", lineno);
                return -1;
            }
            continue;
        }
        if (n != ncols) {
            free(buf);
            seterr(errstr, errlen, "casemix line %d: wrong number of columns", lineno);
            return -1;
        }
        tmpl_t *tp = &g->tmpl[g->n_tmpl];
        memset(tp, 0, sizeof *tp);
        if (!*f[c_dx] || strlen(f[c_dx]) > DD_DX_MAX) {
            free(buf);
            seterr(errstr, errlen, "casemix line %d: bad main_dx", lineno);
            return -1;
        }
        snprintf(tp->adrg, sizeof tp->adrg, "%s", c_adrg >= 0 ? f[c_adrg] : "");
        snprintf(tp->main_dx, sizeof tp->main_dx, "%s", f[c_dx]);
        tp->n_other = split_codes(f[c_other], tp->other, MAX_TDX);
        tp->n_procs = split_codes(f[c_proc], tp->procs, MAX_TPROC);
        tp->gend = c_gend >= 0 ? parse_int_or(f[c_gend], 0) : 0;
        tp->age_min = c_amin >= 0 ? parse_int_or(f[c_amin], 18) : 18;
        tp->age_max = c_amax >= 0 ? parse_int_or(f[c_amax], 85) : 85;
        if (tp->age_max < tp->age_min)
            tp->age_max = tp->age_min;
        tp->age_days = c_days >= 0 ? parse_int_or(f[c_days], -1) : -1;
        tp->nwb = c_wt >= 0 ? parse_int_or(f[c_wt], -1) : -1;
        if (tables)
            tmpl_group(tables, tp);
        /* selection weight: transplants / ECMO are rare, newborns fewer,
         * medical cases the commonest */
        uint32_t w = tp->n_procs ? 10 : 15;
        if (tp->adrg[0] == 'A')
            w = 1;
        else if (tp->adrg[0] == 'P')
            w = 4;
        tp->sel_weight = w;
        g->tmpl_cum[g->n_tmpl] = (g->n_tmpl ? g->tmpl_cum[g->n_tmpl - 1] : 0) + w;
        g->n_tmpl++;
    }
    free(buf);
    if (g->n_tmpl == 0) {
        seterr(errstr, errlen, "casemix: no templates");
        return -1;
    }
    return 0;
}

int dd_gen_load_dip_procedures(dd_gen *g, const char *admdvs, const char *csv, size_t len,
                               char *errstr, size_t errlen)
{
    const dd_region *r = dd_dataset_region(g->ds, admdvs);
    if (!r) {
        seterr(errstr, errlen, "dip library %s: unknown region", admdvs);
        return -1;
    }
    region_gen *rg = &g->rg[r->index];
    char *buf = malloc(len + 1);
    if (!buf) {
        seterr(errstr, errlen, "out of memory");
        return -1;
    }
    memcpy(buf, csv, len);
    buf[len] = '\0';
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    free(rg->hints);
    rg->hints = calloc(lines, sizeof *rg->hints);
    rg->n_hints = 0;
    if (!rg->hints) {
        free(buf);
        seterr(errstr, errlen, "out of memory");
        return -1;
    }
    int c_code = -1, c_proc = -1, ncols = 0, lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        chomp(line);
        if (lineno == 1 && !strncmp(line, "\xEF\xBB\xBF", 3))
            line += 3;
        if (!*line)
            continue;
        char *f[16];
        int n = split_fields(line, f, 16, ',');
        if (n > 16)
            n = 16;
        if (!ncols) {
            ncols = n;
            c_code = col_index(f, n, "dip_code");
            c_proc = col_index(f, n, "procedures");
            if (c_code < 0 || c_proc < 0) {
                free(buf);
                seterr(errstr, errlen, "dip library %s: header lacks dip_code/procedures", admdvs);
                return -1;
            }
            continue;
        }
        if (n <= c_code || n <= c_proc)
            continue;
        dip_hint *h = &rg->hints[rg->n_hints++];
        snprintf(h->code, sizeof h->code, "%s", f[c_code]);
        /* first alternative of each '+' term; class words (non-ASCII) skipped */
        char *p = f[c_proc];
        while (*p && h->n < MAX_TPROC) {
            char *plus = strchr(p, '+');
            if (plus)
                *plus = '\0';
            char *slash = strchr(p, '/');
            size_t l = slash ? (size_t)(slash - p) : strlen(p);
            if (l > 0 && l <= DD_DX_MAX && (unsigned char)p[0] < 0x80) {
                memcpy(h->procs[h->n], p, l);
                h->procs[h->n][l] = '\0';
                h->n++;
            }
            if (!plus)
                break;
            p = plus + 1;
        }
    }
    free(buf);
    return 0;
}

/* main_dx for a DIP prefix: "K80.1" -> "K80.100", "K80" -> "K80.900". */
static void dip_dx_from_prefix(const char *prefix, char *out, size_t cap)
{
    const char *dot = strchr(prefix, '.');
    if (!dot) {
        snprintf(out, cap, "%s.900", prefix);
        return;
    }
    size_t dec = strlen(dot + 1);
    snprintf(out, cap, "%s%s", prefix, dec >= 3 ? "" : dec == 2 ? "0" : dec == 1 ? "00" : "000");
}

/* Per-region DIP selection lists (once per run). */
static int prepare_dip(dd_gen *g, const dd_region *r)
{
    region_gen *rg = &g->rg[r->index];
    if (rg->core || rg->basic || rg->comp)
        return 0;
    int n = dd_dip_library_count(r->dip);
    rg->core = calloc((size_t)n + 1, sizeof *rg->core);
    rg->basic = calloc((size_t)n + 1, sizeof *rg->basic);
    rg->comp = calloc((size_t)n + 1, sizeof *rg->comp);
    rg->comp_dx = calloc((size_t)n + 1, sizeof *rg->comp_dx);
    if (!rg->core || !rg->basic || !rg->comp || !rg->comp_dx)
        return -1;
    for (int i = 0; i < n; i++) {
        const dd_dip_entry *e = dd_dip_library_get(r->dip, i);
        if (e->kind == DD_DIP_CORE) {
            rg->core[rg->n_core++] = i;
        } else if (e->kind == DD_DIP_BASIC) {
            rg->basic[rg->n_basic++] = i;
        } else if (e->comp_class == DD_DIP_CLASS_CONSERVATIVE) {
            /* a diagnosis of this 类目 that no CORE/BASIC group claims */
            for (int d = 0; d <= 9; d++) {
                char dx[DD_DX_MAX + 1];
                snprintf(dx, sizeof dx, "%.8s.%d00", e->main_dx, d);
                dd_dip_input in = {.main_dx = dx, .procedures = NULL, .n_procedures = 0,
                                   .medfee_fen = e->ref_cost_fen};
                dd_dip_result res;
                dd_dip_group(r->dip, &in, &res);
                if (res.group == e) {
                    snprintf(rg->comp_dx[rg->n_comp], DD_DX_MAX + 1, "%s", dx);
                    rg->comp[rg->n_comp++] = i;
                    break;
                }
            }
        }
    }
    return 0;
}

static const dip_hint *hint_for(const region_gen *rg, int idx, const dd_dip_entry *e)
{
    if (idx < rg->n_hints && !strcmp(rg->hints[idx].code, e->code))
        return &rg->hints[idx];
    for (int i = 0; i < rg->n_hints; i++)
        if (!strcmp(rg->hints[i].code, e->code))
            return &rg->hints[i];
    return NULL;
}

/* ---- buffers ---- */

static gcase *new_case(gbuf *b)
{
    if (b->n_cases == b->cap_cases) {
        size_t nc = b->cap_cases ? b->cap_cases * 2 : 1024;
        gcase *p = realloc(b->cases, nc * sizeof *p);
        if (!p) {
            b->oom = 1;
            return NULL;
        }
        b->cases = p;
        b->cap_cases = nc;
    }
    gcase *c = &b->cases[b->n_cases++];
    memset(c, 0, sizeof *c);
    return c;
}

static gev *add_ev(gbuf *b, int64_t t, dd_event_type type, uint32_t ref, int variant)
{
    if (b->n_evs == b->cap_evs) {
        size_t nc = b->cap_evs ? b->cap_evs * 2 : 4096;
        gev *p = realloc(b->evs, nc * sizeof *p);
        if (!p) {
            b->oom = 1;
            return NULL;
        }
        b->evs = p;
        b->cap_evs = nc;
    }
    gev *e = &b->evs[b->n_evs++];
    e->t_ms = t;
    e->seq = b->seq++;
    e->id_seq = b->id_seq++;
    e->ref = ref;
    e->type = (uint8_t)type;
    e->variant = (uint8_t)variant;
    return e;
}

static int cmp_gev(const void *a, const void *b)
{
    const gev *x = a, *y = b;
    if (x->t_ms != y->t_ms)
        return x->t_ms < y->t_ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

#define HOUR_MS INT64_C(3600000)
#define DAY_MS INT64_C(86400000)

static int days_in_month(int y, int m)
{
    int32_t a = dd_days_from_civil(y, m, 1);
    int32_t b = m == 12 ? dd_days_from_civil(y + 1, 1, 1) : dd_days_from_civil(y, m + 1, 1);
    return (int)(b - a);
}

/* Local (UTC+8) midnight of a date as epoch ms. */
static int64_t local_midnight_ms(int32_t days)
{
    return (int64_t)days * DAY_MS - (int64_t)DD_TIME_SHANGHAI_OFFSET_S * 1000;
}

typedef struct {
    uint64_t *hosp_cum;
    int n_hosp;
    int64_t (*medfee_sum)[2]; /* per region x insutype, scheme-paid cases */
} gen_ctx;

static int pick_hospital(rng_t *r, const gen_ctx *gc)
{
    uint64_t total = gc->hosp_cum[gc->n_hosp - 1];
    uint64_t x = rng_next(r) % total;
    int lo = 0, hi = gc->n_hosp - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (gc->hosp_cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int pick_template(rng_t *r, const dd_gen *g)
{
    uint64_t total = g->tmpl_cum[g->n_tmpl - 1];
    uint64_t x = rng_next(r) % total;
    int lo = 0, hi = g->n_tmpl - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (g->tmpl_cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int dscg_way(rng_t *r)
{
    double u = rng_u(r);
    if (u < 0.895)
        return 1;
    if (u < 0.93)
        return 2;
    if (u < 0.94)
        return 3;
    if (u < 0.97)
        return 4;
    if (u < 0.985)
        return 5;
    return 9;
}

/* Draw one case of month `month` and its events. */
static int gen_case(dd_gen *g, gbuf *b, rng_t *r, const gen_ctx *gc, int32_t month, int seq,
                    dd_gen_stats *st)
{
    const dd_dataset *ds = g->ds;
    uint32_t ci = (uint32_t)b->n_cases;
    gcase *c = new_case(b);
    if (!c)
        return -1;
    c->month = month;
    c->seq = seq;
    c->tmpl = c->dip_entry = c->dip_comp = -1;
    c->extra_dx_tmpl = -1;
    c->age_days = c->nwb = -1;

    /* person: ~5 % readmissions of an earlier person at the same hospital */
    if (b->n_cases > 50 && rng_u(r) < 0.05) {
        const gcase *prev = &b->cases[rng_range(r, 0, (int64_t)b->n_cases - 2)];
        c->hosp = prev->hosp;
        c->psn_id = prev->psn_id;
        c->insutype_is_390 = prev->insutype_is_390;
        st->readmissions++;
    } else {
        c->hosp = pick_hospital(r, gc);
        c->psn_id = rng_next(r) % UINT64_C(1000000000000);
        c->insutype_is_390 = rng_u(r) < 0.45;
    }
    const dd_hospital *h = dd_dataset_hospital_at(ds, c->hosp);
    const dd_region *reg = dd_dataset_region_at(ds, h->region);
    const dd_policy *pol = &reg->policy;
    snprintf(c->insuplc, sizeof c->insuplc, "%s", reg->admdvs);
    if (rng_u(r) < 0.05) { /* 异地就医: insured elsewhere, scored here */
        const dd_region *o = dd_dataset_region_at(
            ds, (int)rng_range(r, 0, dd_dataset_region_count(ds) - 1));
        snprintf(c->insuplc, sizeof c->insuplc, "%s", o->admdvs);
    }
    st->settlements++;
    if (c->insutype_is_390)
        st->insutype390++;
    else
        st->insutype310++;

    /* time: uniform over the month, 06:00-23:00 local */
    int y = dd_time_month_year(month), m = dd_time_month_num(month);
    int32_t day = dd_days_from_civil(y, m, 1) + (int32_t)rng_range(r, 0, days_in_month(y, m) - 1);
    c->setl_ms = local_midnight_ms(day) + rng_range(r, 6 * 3600, 23 * 3600 - 1) * 1000;
    c->enddate = day;

    /* clinical content and reference cost */
    int64_t ref = pol->baseline_avg_cost_fen > 0 ? pol->baseline_avg_cost_fen : 800000;
    int64_t w_e4 = 0;
    int scheme_ok = 0;
    if (reg->scheme == DD_SCHEME_DRG && g->n_tmpl > 0) {
        st->drg_cases++;
        c->tmpl = pick_template(r, g);
        const tmpl_t *tp = &g->tmpl[c->tmpl];
        c->gend = (int8_t)(tp->gend ? tp->gend : (rng_u(r) < 0.5 ? 1 : 2));
        c->age = (int16_t)rng_range(r, tp->age_min, tp->age_max);
        c->age_days = (int16_t)tp->age_days;
        c->nwb = (int16_t)tp->nwb;
        if (tp->grouped && reg->drg_weights &&
            dd_weight_lookup(reg->drg_weights, tp->drg, &w_e4) == 0 && w_e4 > 0) {
            ref = (int64_t)(((dd_i128)w_e4 * pol->base_rate_fen[h->level] + 5000) / 10000);
            scheme_ok = 1;
        }
        if (rng_u(r) < 0.01) { /* sex code 9: the grouper answers INVALID */
            c->invalid_list = 1;
            c->gend = 9;
            st->ungroupable_lists++;
        }
    } else if (reg->scheme == DD_SCHEME_DIP && reg->dip) {
        st->dip_cases++;
        region_gen *rg = &g->rg[reg->index];
        if (prepare_dip(g, reg))
            return -1;
        c->gend = (int8_t)(rng_u(r) < 0.5 ? 1 : 2);
        c->age = (int16_t)rng_range(r, 18, 88);
        double u = rng_u(r);
        const dd_dip_entry *e = NULL;
        if (u < 0.07 && rg->n_comp) {
            c->dip_comp = (int32_t)rng_range(r, 0, rg->n_comp - 1);
            e = dd_dip_library_get(reg->dip, rg->comp[c->dip_comp]);
            st->dip_comprehensive++;
        } else if (u < 0.19 && rg->n_basic) {
            c->dip_entry = rg->basic[rng_range(r, 0, rg->n_basic - 1)];
            st->dip_basic++;
        } else if (rg->n_core) {
            c->dip_entry = rg->core[rng_range(r, 0, rg->n_core - 1)];
            st->dip_core++;
        }
        if (c->dip_entry >= 0) {
            /* group as the processor will (the case cost is not known yet:
             * use the group's own ref_cost for the nearest-cost tie break) */
            const dd_dip_entry *pick = dd_dip_library_get(reg->dip, c->dip_entry);
            char dx[DD_DX_MAX + 1];
            dip_dx_from_prefix(pick->main_dx, dx, sizeof dx);
            const dip_hint *hn = hint_for(rg, c->dip_entry, pick);
            const char *pr[MAX_TPROC];
            int np = hn ? hn->n : 0;
            for (int i = 0; i < np; i++)
                pr[i] = hn->procs[i];
            dd_dip_input in = {.main_dx = dx, .procedures = pr, .n_procedures = np,
                               .medfee_fen = pick->ref_cost_fen};
            dd_dip_result res;
            dd_dip_group(reg->dip, &in, &res);
            e = res.group;
        }
        if (e) {
            ref = e->ref_cost_fen;
            w_e4 = e->score_e4;
            scheme_ok = 1;
        }
        if (rng_u(r) < 0.01) { /* a diagnosis no DIP group covers */
            c->dip_nodx = 1;
            st->ungroupable_lists++;
        }
    }

    /* pay method */
    double u = rng_u(r);
    if (u < 0.03 && pol->n_bedday > 0) {
        c->pay_method = DD_PAY_BED_DAY;
        c->bedday_idx = (int8_t)rng_range(r, 0, pol->n_bedday - 1);
        st->bed_day++;
    } else if (u < 0.05) {
        c->pay_method = DD_PAY_FFS;
        st->ffs++;
    }

    /* cost */
    double f;
    double v = rng_u(r);
    if (c->pay_method == DD_PAY_BED_DAY) {
        const dd_bedday_rule *br = &pol->bedday[c->bedday_idx];
        c->ipt = (int16_t)rng_range(r, 20, 90);
        int64_t daily = br->reimb_ratio_e6 > 0
                            ? (int64_t)((dd_i128)br->daily_fund_standard_fen * 1000000 /
                                        br->reimb_ratio_e6)
                            : br->daily_fund_standard_fen;
        c->medfee = round_pos((double)(daily * c->ipt) * (0.85 + 0.4 * rng_u(r)));
    } else {
        if (v < 0.03) {
            f = 2.1 + 1.9 * rng_u(r);
            if (c->pay_method == DD_PAY_SCHEME && scheme_ok)
                st->high_outliers++;
        } else if (v < 0.08) {
            f = 0.08 + 0.25 * rng_u(r);
            if (c->pay_method == DD_PAY_SCHEME && scheme_ok)
                st->low_outliers++;
        } else {
            f = 0.5 + 0.33 * (rng_u(r) + rng_u(r) + rng_u(r));
        }
        c->medfee = round_pos((double)ref * f);
        int los = 2 + (int)(10.0 * f * (rng_u(r) + rng_u(r)) / 2.0 * (1.0 + (double)w_e4 / 20000.0));
        c->ipt = (int16_t)(los > 120 ? 120 : los);
        if (c->ipt < 1)
            c->ipt = 1;
    }
    if (c->medfee < 5000)
        c->medfee = 5000 + rng_range(r, 0, 5000);
    if (c->medfee > INT64_C(9000000000))
        c->medfee = INT64_C(9000000000);
    c->begndate = c->enddate - c->ipt;
    double fr = c->insutype_is_390 ? 0.55 + 0.17 * rng_u(r) : 0.72 + 0.16 * rng_u(r);
    c->fund = round_pos((double)c->medfee * fr);
    c->psn = c->medfee - c->fund;
    c->acct = c->insutype_is_390 ? 0 : round_pos((double)c->psn * 0.4 * rng_u(r));
    c->dscg = (int8_t)dscg_way(r);
    if (c->pay_method == DD_PAY_SCHEME && !c->invalid_list && !c->dip_nodx)
        gc->medfee_sum[h->region][c->insutype_is_390] += c->medfee;

    /* ---- events ---- */
    int64_t ts = c->setl_ms;
    if (!add_ev(b, ts, DD_EV_SETTLEMENT, ci, 0))
        return -1;
    int reversed = rng_u(r) < 0.015;
    if (reversed) {
        st->reversals++;
        if (!add_ev(b, ts + rng_range(r, HOUR_MS, 10 * DAY_MS), DD_EV_SETTLEMENT_REVERSAL, ci, 0))
            return -1;
    }
    if (rng_u(r) < 0.95) {
        if (!add_ev(b, ts + rng_range(r, 6 * HOUR_MS, 3 * DAY_MS), DD_EV_RECONCILED, ci, 0))
            return -1;
    } else {
        st->unreconciled++;
    }
    if (rng_u(r) < 0.04) {
        st->no_list++;
    } else {
        int64_t tl;
        double lu = rng_u(r);
        if (lu < 0.08) {
            tl = ts - rng_range(r, HOUR_MS, 20 * HOUR_MS);
            st->early_lists++;
        } else if (lu < 0.12) {
            tl = ts + rng_range(r, 7 * DAY_MS + HOUR_MS, 20 * DAY_MS);
            st->late_lists++;
        } else {
            tl = ts + rng_range(r, HOUR_MS, 5 * DAY_MS);
        }
        if (!add_ev(b, tl, DD_EV_SETTLEMENT_LIST, ci, V_LIST_FIRST))
            return -1;
        int64_t tq = tl + rng_range(r, 10 * 60000, DAY_MS);
        double qu = rng_u(r);
        if (qu < 0.06) {
            st->qc_failed++;
            if (!add_ev(b, tq, DD_EV_QC_RESULT, ci, V_QC_FAIL))
                return -1;
            if (rng_u(r) < 0.5) { /* corrected: re-upload, QC passes */
                st->qc_corrected++;
                st->reuploads++;
                int64_t t2 = tq + rng_range(r, HOUR_MS, 2 * DAY_MS);
                c->extra_dx_tmpl = g->n_tmpl ? (int16_t)rng_range(r, 0, g->n_tmpl - 1) : -1;
                if (!add_ev(b, t2, DD_EV_SETTLEMENT_LIST, ci, V_LIST_REUPLOAD) ||
                    !add_ev(b, t2 + rng_range(r, 10 * 60000, DAY_MS), DD_EV_QC_RESULT, ci,
                            V_QC_PASS))
                    return -1;
            }
        } else {
            if (qu < 0.10) { /* re-uploaded before QC ran */
                st->reuploads++;
                c->extra_dx_tmpl = g->n_tmpl ? (int16_t)rng_range(r, 0, g->n_tmpl - 1) : -1;
                int64_t t2 = tl + rng_range(r, 10 * 60000, 2 * DAY_MS);
                if (!add_ev(b, t2, DD_EV_SETTLEMENT_LIST, ci, V_LIST_REUPLOAD))
                    return -1;
                tq = t2 + rng_range(r, 10 * 60000, DAY_MS);
            }
            if (!add_ev(b, tq, DD_EV_QC_RESULT, ci, V_QC_PASS))
                return -1;
        }
    }
    /* special cases: mostly the high outliers */
    int high = c->pay_method == DD_PAY_SCHEME && scheme_ok && c->medfee > 2 * ref;
    if (rng_u(r) < (high ? 0.35 : 0.008)) {
        st->special_applied++;
        int64_t ta = ts + rng_range(r, 3 * DAY_MS, 15 * DAY_MS);
        if (!add_ev(b, ta, DD_EV_SPECIAL_CASE, ci, DD_SPECIAL_APPLIED))
            return -1;
        double su = rng_u(r);
        int64_t td = ta + rng_range(r, 2 * DAY_MS, 10 * DAY_MS);
        if (su < 0.55) {
            st->special_approved++;
            c->special_ffs = rng_u(r) < 0.5 || w_e4 == 0;
            if (!c->special_ffs) /* replacement points: W x k x 10000 */
                c->special_points_e4 = (int64_t)(((dd_i128)w_e4 * c->medfee * 10000 + ref / 2) /
                                                 (ref > 0 ? ref : 1));
            if (!add_ev(b, td, DD_EV_SPECIAL_CASE, ci, DD_SPECIAL_APPROVED))
                return -1;
        } else if (su < 0.80) {
            st->special_rejected++;
            if (!add_ev(b, td, DD_EV_SPECIAL_CASE, ci, DD_SPECIAL_REJECTED))
                return -1;
        }
    }
    return 0;
}

static void set_str(char *dst, size_t cap, const char *s) { snprintf(dst, cap, "%s", s); }

static void render(dd_gen *g, const gbuf *b, const gev *e, uint64_t seed, dd_event *ev)
{
    const dd_dataset *ds = g->ds;
    dd_event_clear(ev);
    ev->type = (dd_event_type)e->type;
    ev->has = DD_F_EVENT_ID | DD_F_EVENT_TIME | DD_F_ADMDVS | DD_F_FIXMEDINS;
    ev->event_time_ms = e->t_ms;
    static const char *pfx[DD_EV__COUNT] = {"X", "SET", "REV", "LST", "QC", "REC", "SPC", "BUD", "MCL"};
    if (e->type == DD_EV_BUDGET) {
        const gbudget *bu = &b->budgets[e->ref];
        const dd_region *reg = dd_dataset_region_at(ds, bu->region);
        snprintf(ev->event_id, sizeof ev->event_id, "BUD-%04d%02d-%llu-%07u", bu->year,
                 bu->month, (unsigned long long)seed, e->id_seq);
        set_str(ev->admdvs, sizeof ev->admdvs, reg->admdvs);
        const dd_hospital *h0 = dd_dataset_hospital_at(ds, reg->hospitals[0]);
        set_str(ev->fixmedins_code, sizeof ev->fixmedins_code, h0->code);
        ev->insutype = bu->insutype;
        ev->year = bu->year;
        ev->amount_fen = bu->amount;
        ev->has |= DD_F_INSUTYPE | DD_F_YEAR | DD_F_AMOUNT;
        if (bu->month) {
            ev->month = bu->month;
            ev->has |= DD_F_MONTH;
        }
        return;
    }
    const gcase *c = &b->cases[e->ref];
    const dd_hospital *h = dd_dataset_hospital_at(ds, c->hosp);
    const dd_region *reg = dd_dataset_region_at(ds, h->region);
    int y = dd_time_month_year(c->month), m = dd_time_month_num(c->month);
    snprintf(ev->event_id, sizeof ev->event_id, "%s-%04d%02d-%llu-%07u", pfx[e->type], y, m,
             (unsigned long long)seed, e->id_seq);
    set_str(ev->admdvs, sizeof ev->admdvs, reg->admdvs);
    set_str(ev->fixmedins_code, sizeof ev->fixmedins_code, h->code);
    snprintf(ev->setl_id, sizeof ev->setl_id, "S%s%04d%02d%06d-%llu", reg->admdvs, y, m, c->seq,
             (unsigned long long)seed);
    ev->has |= DD_F_SETL_ID;
    switch ((dd_event_type)e->type) {
    case DD_EV_SETTLEMENT:
        snprintf(ev->mdtrt_id, sizeof ev->mdtrt_id, "MD%s%04d%02d%06d-%llu", reg->admdvs, y, m,
                 c->seq, (unsigned long long)seed);
        snprintf(ev->psn_no, sizeof ev->psn_no, "P%012llu", (unsigned long long)c->psn_id);
        ev->insutype = c->insutype_is_390 ? 390 : 310;
        set_str(ev->insuplc_admdvs, sizeof ev->insuplc_admdvs, c->insuplc);
        ev->begndate = c->begndate;
        ev->enddate = c->enddate;
        ev->setl_time_ms = c->setl_ms;
        ev->medfee_fen = c->medfee;
        ev->fund_fen = c->fund;
        ev->psn_part_fen = c->psn;
        ev->acct_pay_fen = c->acct;
        ev->has |= DD_F_MDTRT_ID | DD_F_PSN_NO | DD_F_INSUTYPE | DD_F_INSUPLC | DD_F_BEGNDATE |
                   DD_F_ENDDATE | DD_F_SETL_TIME | DD_F_MEDFEE | DD_F_FUND | DD_F_PSN_PART |
                   DD_F_ACCT_PAY;
        if (c->pay_method != DD_PAY_SCHEME) {
            ev->pay_method = (dd_pay_method)c->pay_method;
            ev->has |= DD_F_PAY_METHOD;
            if (c->pay_method == DD_PAY_BED_DAY) {
                set_str(ev->bed_day_group, sizeof ev->bed_day_group,
                        reg->policy.bedday[c->bedday_idx].group);
                ev->has |= DD_F_BED_DAY_GROUP;
            }
        }
        break;
    case DD_EV_SETTLEMENT_LIST: {
        ev->gend = c->gend;
        ev->age = c->age;
        ev->ipt_days = c->ipt;
        ev->dscg_way = c->dscg;
        ev->has |= DD_F_GEND | DD_F_AGE | DD_F_IPT_DAYS | DD_F_DSCG_WAY | DD_F_MAIN_DX |
                   DD_F_OTHER_DX | DD_F_PROCEDURES;
        if (c->age_days >= 0) {
            ev->age_days = c->age_days;
            ev->has |= DD_F_AGE_DAYS;
        }
        if (c->nwb >= 0) {
            ev->nwb_bir_wt = c->nwb;
            ev->has |= DD_F_NWB_BIR_WT;
        }
        if (c->tmpl >= 0) {
            const tmpl_t *tp = &g->tmpl[c->tmpl];
            set_str(ev->main_dx, sizeof ev->main_dx, tp->main_dx);
            for (int i = 0; i < tp->n_other; i++)
                set_str(ev->other_dx[ev->n_other_dx++], DD_DX_MAX + 1, tp->other[i]);
            for (int i = 0; i < tp->n_procs; i++)
                set_str(ev->procedures[ev->n_procedures++], DD_DX_MAX + 1, tp->procs[i]);
        } else if (c->dip_comp >= 0) {
            set_str(ev->main_dx, sizeof ev->main_dx, g->rg[reg->index].comp_dx[c->dip_comp]);
        } else if (c->dip_entry >= 0) {
            const region_gen *rg = &g->rg[reg->index];
            const dd_dip_entry *pick = dd_dip_library_get(reg->dip, c->dip_entry);
            dip_dx_from_prefix(pick->main_dx, ev->main_dx, sizeof ev->main_dx);
            const dip_hint *hn = hint_for(rg, c->dip_entry, pick);
            for (int i = 0; hn && i < hn->n; i++)
                set_str(ev->procedures[ev->n_procedures++], DD_DX_MAX + 1, hn->procs[i]);
        } else {
            set_str(ev->main_dx, sizeof ev->main_dx, "R69.x00");
        }
        if (c->dip_nodx)
            set_str(ev->main_dx, sizeof ev->main_dx, "U99.900");
        if (e->variant == V_LIST_REUPLOAD && c->extra_dx_tmpl >= 0) {
            const tmpl_t *x = &g->tmpl[c->extra_dx_tmpl];
            const char *add = x->n_other ? x->other[0] : x->main_dx;
            if (ev->n_other_dx < DD_EVENT_MAX_DX && strcmp(add, ev->main_dx))
                set_str(ev->other_dx[ev->n_other_dx++], DD_DX_MAX + 1, add);
        }
        break;
    }
    case DD_EV_QC_RESULT: {
        ev->passed = e->variant == V_QC_PASS;
        ev->has |= DD_F_PASSED | DD_F_ERRORS;
        if (!ev->passed) {
            const char *msg = qc_errors[e->id_seq % (sizeof qc_errors / sizeof qc_errors[0])];
            dd_event_error err;
            dd_event_add_error(ev, msg, strlen(msg), &err);
        }
        break;
    }
    case DD_EV_SPECIAL_CASE:
        ev->status = (dd_special_status)e->variant;
        ev->has |= DD_F_STATUS;
        if (ev->status == DD_SPECIAL_APPROVED) {
            if (c->special_ffs) {
                ev->pay_as_ffs = 1;
                ev->has |= DD_F_PAY_AS_FFS;
            } else {
                ev->points_e4 = c->special_points_e4;
                ev->has |= DD_F_POINTS;
            }
        }
        break;
    default:
        break;
    }
}

int dd_gen_run(dd_gen *g, const dd_gen_options *opt, dd_gen_sink sink, void *ctx,
               dd_gen_stats *stats, char *errstr, size_t errlen)
{
    dd_gen_stats st_local;
    dd_gen_stats *st = stats ? stats : &st_local;
    memset(st, 0, sizeof *st);
    const dd_dataset *ds = g->ds;
    if (opt->cases < 1 || opt->months < 1 || opt->months > 120) {
        seterr(errstr, errlen, "gen: cases must be >= 1 and months 1..120");
        return -1;
    }
    int nh = dd_dataset_hospital_count(ds), nr = dd_dataset_region_count(ds);
    if (nh < 1 || nr < 1) {
        seterr(errstr, errlen, "gen: the data set has no hospitals");
        return -1;
    }
    int need_drg = 0;
    for (int i = 0; i < nr; i++)
        need_drg |= dd_dataset_region_at(ds, i)->scheme == DD_SCHEME_DRG;
    if (need_drg && g->n_tmpl == 0) {
        seterr(errstr, errlen, "gen: DRG regions need the casemix templates");
        return -1;
    }
    st->templates = g->n_tmpl;
    for (int i = 0; i < g->n_tmpl; i++)
        st->templates_grouped += g->tmpl[i].grouped;

    gen_ctx gc = {0};
    gc.n_hosp = nh;
    gc.hosp_cum = calloc((size_t)nh, sizeof *gc.hosp_cum);
    gc.medfee_sum = calloc((size_t)nr, sizeof *gc.medfee_sum);
    gbuf b = {0};
    int rc = -1;
    if (!gc.hosp_cum || !gc.medfee_sum)
        goto oom;
    for (int i = 0; i < nh; i++) {
        int lv = dd_dataset_hospital_at(ds, i)->level;
        uint64_t w = lv >= 3 ? 8 : lv == 2 ? 3 : 1; /* bigger hospitals, more cases */
        gc.hosp_cum[i] = (i ? gc.hosp_cum[i - 1] : 0) + w;
    }

    rng_t r;
    rng_seed(&r, opt->seed);
    int32_t first = opt->month - (opt->months - 1);
    for (int32_t mo = first; mo <= opt->month; mo++)
        for (int i = 0; i < opt->cases; i++)
            if (gen_case(g, &b, &r, &gc, mo, i + 1, st))
                goto oom;

    /* budgets: per region x insutype and year, 12 x the average month's cost
     * (x 0.96..1.04), 20 days before the first month; one monthly budget */
    int y0 = dd_time_month_year(first), y1 = dd_time_month_year(opt->month);
    size_t nb_max = (size_t)nr * 2 * (size_t)(y1 - y0 + 1) + 1;
    b.budgets = calloc(nb_max, sizeof *b.budgets);
    if (!b.budgets)
        goto oom;
    int64_t t_budget = local_midnight_ms(dd_days_from_civil(y0, dd_time_month_num(first), 1)) -
                       20 * DAY_MS;
    int big_region = -1;
    int64_t big = 0;
    for (int ri = 0; ri < nr; ri++)
        for (int it = 0; it < 2; it++) {
            int64_t sum = gc.medfee_sum[ri][it];
            if (sum <= 0)
                continue;
            if (it == 0 && sum > big) {
                big = sum;
                big_region = ri;
            }
            for (int yy = y0; yy <= y1; yy++) {
                gbudget *bu = &b.budgets[b.n_budgets];
                bu->region = ri;
                bu->insutype = it ? 390 : 310;
                bu->year = yy;
                bu->amount = round_pos((double)sum * 12.0 / opt->months * (0.96 + 0.08 * rng_u(&r)));
                bu->t_ms = t_budget;
                if (!add_ev(&b, t_budget, DD_EV_BUDGET, (uint32_t)b.n_budgets, 0))
                    goto oom;
                b.n_budgets++;
                st->budgets++;
            }
        }
    if (big_region >= 0 && b.n_budgets < nb_max) {
        /* a monthly budget for the last month of the busiest region (310): it
         * overrides year / 12 */
        gbudget *bu = &b.budgets[b.n_budgets];
        bu->region = big_region;
        bu->insutype = 310;
        bu->year = y1;
        bu->month = dd_time_month_num(opt->month);
        bu->amount = round_pos((double)big / opt->months * 1.05);
        bu->t_ms = local_midnight_ms(dd_days_from_civil(y1, bu->month, 1)) - 5 * DAY_MS;
        if (!add_ev(&b, bu->t_ms, DD_EV_BUDGET, (uint32_t)b.n_budgets, 0))
            goto oom;
        b.n_budgets++;
        st->budgets++;
    }

    /* duplicates: ~0.5 % of events re-sent unchanged (same event_id) later */
    size_t n0 = b.n_evs;
    for (size_t i = 0; i < n0; i++) {
        if (rng_u(&r) < 0.005) {
            gev copy = b.evs[i];
            gev *d = add_ev(&b, copy.t_ms + rng_range(&r, 1000, 6 * HOUR_MS),
                            (dd_event_type)copy.type, copy.ref, copy.variant);
            if (!d)
                goto oom;
            d->id_seq = copy.id_seq;
            b.id_seq--; /* the copy consumed no new id */
            st->duplicates++;
        }
    }
    qsort(b.evs, b.n_evs, sizeof *b.evs, cmp_gev);

    rc = 0;
    for (size_t i = 0; i < b.n_evs; i++) {
        render(g, &b, &b.evs[i], opt->seed, &g->ev);
        st->events++;
        st->by_type[b.evs[i].type]++;
        if (sink(ctx, &g->ev)) {
            rc = 1;
            break;
        }
    }
    goto done;
oom:
    seterr(errstr, errlen, "gen: out of memory");
    rc = -1;
done:
    free(gc.hosp_cum);
    free(gc.medfee_sum);
    free(b.cases);
    free(b.evs);
    free(b.budgets);
    return rc;
}

void dd_gen_stats_format(const dd_gen_stats *s, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "%ld events: SETTLEMENT %ld, SETTLEMENT_LIST %ld, QC_RESULT %ld, RECONCILED %ld, "
             "SETTLEMENT_REVERSAL %ld, SPECIAL_CASE %ld, BUDGET %ld\n"
             "cases %ld (DRG %ld, DIP %ld: CORE %ld, BASIC %ld, COMPREHENSIVE %ld; insutype 310 %ld, 390 %ld): bed-day %ld, FFS %ld, "
             "high outliers %ld, low outliers %ld, no list %ld, late lists %ld, lists before "
             "settlement %ld, re-uploads %ld, QC failed %ld (corrected %ld), unreconciled %ld, "
             "reversals %ld, special applied %ld / approved %ld / rejected %ld, ungroupable "
             "lists %ld, readmissions %ld, duplicate events %ld\n"
             "casemix templates %d (%d grouped)",
             s->events, s->by_type[DD_EV_SETTLEMENT], s->by_type[DD_EV_SETTLEMENT_LIST],
             s->by_type[DD_EV_QC_RESULT], s->by_type[DD_EV_RECONCILED],
             s->by_type[DD_EV_SETTLEMENT_REVERSAL], s->by_type[DD_EV_SPECIAL_CASE],
             s->by_type[DD_EV_BUDGET], s->settlements, s->drg_cases, s->dip_cases, s->dip_core,
             s->dip_basic, s->dip_comprehensive,
             s->insutype310, s->insutype390, s->bed_day, s->ffs, s->high_outliers,
             s->low_outliers, s->no_list, s->late_lists, s->early_lists, s->reuploads,
             s->qc_failed, s->qc_corrected, s->unreconciled, s->reversals, s->special_applied,
             s->special_approved, s->special_rejected, s->ungroupable_lists, s->readmissions,
             s->duplicates, s->templates, s->templates_grouped);
}
