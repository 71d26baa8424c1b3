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
    int8_t linked;   /* person already used for a readmission pair */
    int8_t reversed;
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
    if (!tp->gend && tp->grouped) {
        /* either sex is drawn: keep that only when it groups the same */
        dd_drg_result r2;
        in.gend = 2;
        dd_drg_group(t, &in, &r2);
        if (r2.status != DD_GROUP_SUCCESS || strcmp(r2.drg, res.drg))
            tp->gend = 1;
    }
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

/* ---- stratified allocation ----
 * Alert rules (core/dd_alert.h) compare rates per hospital and month with
 * thresholds and with the trailing months. Independent random draws per case
 * would cross those thresholds by chance at realistic volumes (a hospital
 * with 50 cases a month and a 3 % high-outlier rate has a 19 % chance of
 * > 5 %). So the generator is stratified: hospitals take turns in a fixed
 * weighted cycle (every month gives each hospital the same number of
 * cases), the k-th case of a hospital in a month takes its irregularity
 * from a fixed 100-slot pattern (slot_role) and its clinical content from
 * the hospital's own palette of PAL_N groups, ordered light/heavy
 * alternately so that any month's CMI and CC/MCC share stay at the
 * palette's. Amounts, dates, persons, insurance types stay random. */

#define PAL_N 8

enum {
    R_NONE = 0,
    R_NOLIST,       /* 4 %: no list */
    R_LATE,         /* 2 %: list later than 7 days */
    R_QCFAIL,       /* 2 %: QC fails, never corrected */
    R_QCFIX,        /* 2 %: QC fails, corrected by a re-upload */
    R_HIGH,         /* high outlier (R_HIGH_SPECIAL early in a month) */
    R_HIGH_SPECIAL, /* 1 %: high outlier with a special-case application */
    R_LOW,          /* 5 %: low outlier */
    R_TRANSFER,     /* 4 %: dscg_way 2 */
    R_UNGROUP,      /* 1 %: ungroupable list */
    R_REVERSAL,     /* 1 %: reversed */
    R_BEDDAY,       /* 3 %: bed-day payment */
    R_FFS,          /* 2 %: fee for service */
    R_REUPLOAD      /* 2 %: list re-uploaded before QC */
};

static int slot_role(int k)
{
    switch (k % 100) {
    case 3: case 28: case 53: case 78: return R_NOLIST;
    case 37: case 87: return R_LATE;
    case 13: case 63: return R_QCFAIL;
    case 41: case 91: return R_QCFIX;
    case 75: return R_HIGH_SPECIAL;
    case 10: case 30: case 50: case 70: case 90: return R_LOW;
    case 6: case 31: case 56: case 81: return R_TRANSFER;
    case 47: return R_UNGROUP;
    case 97: return R_REVERSAL;
    case 19: case 44: case 69: return R_BEDDAY;
    case 58: case 94: return R_FFS;
    case 22: case 72: return R_REUPLOAD;
    default: return R_NONE;
    }
}

typedef struct {
    int n_hosp;
    int64_t (*medfee_sum)[2]; /* per region x insutype */
    int *rr;                  /* the weighted hospital cycle */
    int rr_len;
    int *k_month;             /* per hospital: cases so far in the month */
    int *n_month;             /* per hospital: its cases in a month (the cycle) */
    int *g_month;             /* per hospital: plain grouped cases so far (palette index) */
    int32_t *pal;             /* n_hosp x PAL_N: template, or DIP pick (see dip_pick) */
    int64_t *pal_w;           /* their weights (1/10000) */
    int *pal_n;               /* entries, -1 = not built yet */
    int64_t *pal_mean;
    uint32_t *inj;            /* per hospital: 1 << dd_gen_inject_type, last month */
    int32_t last_month;
    uint64_t seed;
} gen_ctx;

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

/* DIP pick code: >= 0 a library index (CORE/BASIC), < 0 -(comprehensive + 1). */
static const dd_dip_entry *dip_group_at(dd_gen *g, const dd_region *reg, int32_t code,
                                        int64_t medfee_fen);

static const dd_dip_entry *dip_pick_group(dd_gen *g, const dd_region *reg, int32_t code)
{
    return dip_group_at(g, reg, code, -1);
}

/* The group the processor will find for a pick at a case cost (-1: the
 * pick's own ref_cost). */
static const dd_dip_entry *dip_group_at(dd_gen *g, const dd_region *reg, int32_t code,
                                        int64_t medfee_fen)
{
    region_gen *rg = &g->rg[reg->index];
    if (code < 0)
        return dd_dip_library_get(reg->dip, rg->comp[-code - 1]);
    /* group as the processor will (the case cost is not known yet: use the
     * group's own ref_cost for the nearest-cost tie break) */
    const dd_dip_entry *pick = dd_dip_library_get(reg->dip, code);
    char dx[DD_DX_MAX + 1];
    dip_dx_from_prefix(pick->main_dx, dx, sizeof dx);
    const dip_hint *hn = hint_for(rg, code, pick);
    const char *pr[MAX_TPROC];
    int np = hn ? hn->n : 0;
    for (int i = 0; i < np; i++)
        pr[i] = hn->procs[i];
    dd_dip_input in = {.main_dx = dx, .procedures = pr, .n_procedures = np,
                       .medfee_fen = medfee_fen >= 0 ? medfee_fen : pick->ref_cost_fen};
    dd_dip_result res;
    dd_dip_group(reg->dip, &in, &res);
    return res.group;
}

/* One random clinical pick for a hospital of `reg` with its weight; -1 when
 * none fits. DRG: a grouped template (no MDCA: transplants would swamp a
 * small hospital's CMI) with a weight <= max_w_e4 (0: any); DIP: a score
 * <= max_w_e4 and a group that does not depend on the case cost. */
static int32_t draw_pick(dd_gen *g, const dd_region *reg, rng_t *r, int64_t max_w_e4,
                         int64_t *w_out)
{
    if (reg->scheme == DD_SCHEME_DRG) {
        if (!g->n_tmpl || !reg->drg_weights)
            return INT32_MIN;
        int t = pick_template(r, g);
        const tmpl_t *tp = &g->tmpl[t];
        int64_t w = 0;
        if (!tp->grouped || tp->adrg[0] == 'A' ||
            dd_weight_lookup(reg->drg_weights, tp->drg, &w) != 0 || w <= 0 ||
            (max_w_e4 > 0 && w > max_w_e4))
            return INT32_MIN;
        *w_out = w;
        return t;
    }
    if (!reg->dip)
        return INT32_MIN;
    region_gen *rg = &g->rg[reg->index];
    double u = rng_u(r);
    int32_t code;
    if (u < 0.07 && rg->n_comp)
        code = -(int32_t)rng_range(r, 0, rg->n_comp - 1) - 1;
    else if (u < 0.19 && rg->n_basic)
        code = rg->basic[rng_range(r, 0, rg->n_basic - 1)];
    else if (rg->n_core)
        code = rg->core[rng_range(r, 0, rg->n_core - 1)];
    else
        return INT32_MIN;
    const dd_dip_entry *e = dip_pick_group(g, reg, code);
    if (!e || e->score_e4 <= 0 || (max_w_e4 > 0 && e->score_e4 > max_w_e4))
        return INT32_MIN;
    /* palettes: only groups found whatever the cost (the nearest-ref_cost
     * tie break would move the CMI with random costs) */
    if (max_w_e4 > 0 && code >= 0 &&
        (dip_group_at(g, reg, code, e->ref_cost_fen / 20) != e ||
         dip_group_at(g, reg, code, e->ref_cost_fen * 5) != e))
        return INT32_MIN;
    *w_out = e->score_e4;
    return code;
}

/* The hospital's palette: PAL_N picks from its own PRNG stream (so it does
 * not depend on the order cases are drawn), sorted by weight and then laid
 * out lightest, heaviest, 2nd lightest, 2nd heaviest, ... */
static int build_palette(dd_gen *g, gen_ctx *gc, int h)
{
    const dd_hospital *hp = dd_dataset_hospital_at(g->ds, h);
    const dd_region *reg = dd_dataset_region_at(g->ds, hp->region);
    if (reg->scheme == DD_SCHEME_DIP && reg->dip && prepare_dip(g, reg))
        return -1;
    uint64_t s = gc->seed ^ (UINT64_C(0xD1B54A32D192ED03) * (uint64_t)(h + 1));
    rng_t pr;
    rng_seed(&pr, s);
    int32_t pick[PAL_N];
    int64_t w[PAL_N];
    int n = 0;
    for (int tries = 0; n < PAL_N && tries < PAL_N * 200; tries++) {
        int64_t wt = 0;
        int32_t p = draw_pick(g, reg, &pr, 25000, &wt);
        if (p == INT32_MIN)
            continue;
        pick[n] = p;
        w[n] = wt;
        n++;
    }
    /* order: each next entry keeps the running mean weight and the running
     * CC/MCC share closest to the palette's, so any run of consecutive cases
     * has about the palette's CMI and severity mix */
    int64_t sum = 0;
    int cc[PAL_N], n_cc = 0;
    for (int i = 0; i < n; i++) {
        sum += w[i];
        cc[i] = 0;
        if (reg->scheme == DD_SCHEME_DRG) {
            const char *d = g->tmpl[pick[i]].drg;
            cc[i] = strlen(d) >= 4 && (d[3] == '1' || d[3] == '3');
        }
        n_cc += cc[i];
    }
    int32_t *dst = &gc->pal[(size_t)h * PAL_N];
    int64_t *dw = &gc->pal_w[(size_t)h * PAL_N];
    int used[PAL_N] = {0};
    int64_t run = 0;
    int run_cc = 0;
    double mean = n ? (double)sum / n : 1.0, share = n ? (double)n_cc / n : 0.0;
    for (int i = 0; i < n; i++) {
        int best = -1;
        double best_d = 0;
        for (int j = 0; j < n; j++) {
            if (used[j])
                continue;
            double dm = ((double)(run + w[j]) / (i + 1) - mean) / (mean > 0 ? mean : 1.0);
            double ds = (double)(run_cc + cc[j]) / (i + 1) - share;
            double d = (dm < 0 ? -dm : dm) + 3.0 * (ds < 0 ? -ds : ds);
            if (best < 0 || d < best_d) {
                best = j;
                best_d = d;
            }
        }
        used[best] = 1;
        run += w[best];
        run_cc += cc[best];
        dst[i] = pick[best];
        dw[i] = w[best];
    }
    gc->pal_n[h] = n;
    gc->pal_mean[h] = n ? sum / n : 0;
    return 0;
}

/* upcoding: a pick of weight >= 1.4 x the palette mean, DRG with an MCC
 * (suffix 1); the heaviest of the tries when none qualifies. */
static int32_t heavy_pick(dd_gen *g, gen_ctx *gc, const dd_region *reg, int h, rng_t *r)
{
    int64_t want = gc->pal_mean[h] * 14 / 10;
    int32_t best = INT32_MIN;
    int64_t best_w = -1;
    for (int tries = 0; tries < 3000; tries++) {
        int64_t wt = 0;
        int32_t p = draw_pick(g, reg, r, 0, &wt);
        if (p == INT32_MIN)
            continue;
        if (reg->scheme == DD_SCHEME_DRG) {
            const tmpl_t *tp = &g->tmpl[p];
            if (tp->adrg[0] == 'P' || strlen(tp->drg) < 4 || tp->drg[3] != '1')
                continue;
        }
        if (wt >= want && wt <= 10 * want)
            return p;
        if (wt > best_w && wt <= 10 * want) {
            best_w = wt;
            best = p;
        }
    }
    return best;
}

static int dscg_way(rng_t *r)
{
    /* transfers (2) come from slot_role only, so their share is steady */
    double u = rng_u(r);
    if (u < 0.93)
        return 1;
    if (u < 0.94)
        return 3;
    if (u < 0.97)
        return 4;
    if (u < 0.985)
        return 5;
    return 9;
}

#define INJ(t) (inj & (UINT32_C(1) << (t)))

/* Draw the k-th case of hospital `hosp` in month `month` and its events;
 * force_day >= 0 puts it on that date (volume spike). */
static int gen_case(dd_gen *g, gbuf *b, rng_t *r, gen_ctx *gc, int32_t month, int seq, int hosp,
                    int k, int32_t force_day, dd_gen_stats *st)
{
    const dd_dataset *ds = g->ds;
    uint32_t ci = (uint32_t)b->n_cases;
    gcase *c = new_case(b);
    if (!c)
        return -1;
    if (gc->pal_n[hosp] < 0 && build_palette(g, gc, hosp))
        return -1;
    int role = slot_role(k + (hosp * 37) % 100); /* hospitals out of phase */
    /* special-case quota 3 %: never one of a month's first 30 cases (below
     * 30 settled cases the rate cannot fire anyway) */
    if (role == R_HIGH_SPECIAL && k < 40 && gc->n_month[hosp] >= 30)
        role = R_HIGH;
    uint32_t inj = month == gc->last_month ? gc->inj[hosp] : 0;
    if (inj)
        st->injected_cases++;
    c->month = month;
    c->seq = seq;
    c->hosp = hosp;
    c->tmpl = c->dip_entry = c->dip_comp = -1;
    c->extra_dx_tmpl = -1;
    c->age_days = c->nwb = -1;

    /* person: ~5 % readmissions of an earlier, unlinked person of the same
     * hospital (kept only if more than 15 days apart: SPLIT_ADMISSION) */
    int64_t partner = -1;
    if (b->n_cases > 50 && rng_u(r) < 0.05) {
        size_t i = (size_t)rng_range(r, 0, (int64_t)b->n_cases - 2) + 1;
        for (int steps = 0; i-- > 0 && steps < 20000; steps++) {
            const gcase *p = &b->cases[i];
            if (p->hosp == hosp && !p->linked && !p->reversed) {
                partner = (int64_t)i;
                break;
            }
        }
    }
    if (partner >= 0) {
        c->psn_id = b->cases[partner].psn_id;
        c->insutype_is_390 = b->cases[partner].insutype_is_390;
    } else {
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

    /* time: the hospital's cases spread evenly over the month in slot order
     * (06:00-23:00 local), so month-to-date rates (alerts are evaluated as
     * events arrive) follow the pattern too */
    int y = dd_time_month_year(month), m = dd_time_month_num(month);
    int nm = gc->n_month[hosp] > 0 ? gc->n_month[hosp] : 1;
    int dim = days_in_month(y, m);
    int32_t day = force_day >= 0
                      ? force_day
                      : dd_days_from_civil(y, m, 1) + (int32_t)((int64_t)(k % nm) * dim / nm);
    c->setl_ms = local_midnight_ms(day) + rng_range(r, 6 * 3600, 23 * 3600 - 1) * 1000;
    c->enddate = day;

    /* clinical content (the palette, or a heavy pick when upcoding) and
     * reference cost */
    int pn = gc->pal_n[hosp];
    int ungroup = role == R_UNGROUP || (INJ(DD_GEN_INJ_UNGROUPABLE) && (k / PAL_N) % 3 == 0);
    /* the palette advances with the cases that will be grouped on time, so
     * the month-to-date grouped cases follow the palette order exactly; the
     * others (no list, late list, bed-day, FFS, ungroupable) take k's entry */
    int plain = !ungroup && role != R_NOLIST && role != R_LATE && role != R_BEDDAY &&
                role != R_FFS && !(INJ(DD_GEN_INJ_LATE) && k % 4 == 1);
    int pi = plain ? gc->g_month[hosp]++ : k;
    int32_t pick = pn > 0 ? gc->pal[(size_t)hosp * PAL_N + pi % pn] : INT32_MIN;
    if (INJ(DD_GEN_INJ_UPCODING) && k % 2 == 0 && pn > 0) {
        int32_t hp = heavy_pick(g, gc, reg, hosp, r);
        if (hp != INT32_MIN)
            pick = hp;
    }
    int64_t ref = pol->baseline_avg_cost_fen > 0 ? pol->baseline_avg_cost_fen : 800000;
    int64_t w_e4 = 0;
    int scheme_ok = 0;
    if (reg->scheme == DD_SCHEME_DRG && g->n_tmpl > 0) {
        st->drg_cases++;
        c->tmpl = pick != INT32_MIN ? pick : pick_template(r, g);
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
        if (ungroup) { /* sex code 9: the grouper answers INVALID */
            c->invalid_list = 1;
            c->gend = 9;
            st->ungroupable_lists++;
        }
    } else if (reg->scheme == DD_SCHEME_DIP && reg->dip) {
        st->dip_cases++;
        c->gend = (int8_t)(rng_u(r) < 0.5 ? 1 : 2);
        c->age = (int16_t)rng_range(r, 18, 88);
        const dd_dip_entry *e = NULL;
        if (pick != INT32_MIN) {
            if (pick < 0) {
                c->dip_comp = -pick - 1;
                st->dip_comprehensive++;
            } else {
                c->dip_entry = pick;
                if (dd_dip_library_get(reg->dip, pick)->kind == DD_DIP_BASIC)
                    st->dip_basic++;
                else
                    st->dip_core++;
            }
            e = dip_pick_group(g, reg, pick);
        }
        if (e) {
            ref = e->ref_cost_fen;
            w_e4 = e->score_e4;
            scheme_ok = 1;
        }
        if (ungroup) { /* a diagnosis no DIP group covers */
            c->dip_nodx = 1;
            st->ungroupable_lists++;
        }
    }
    if (c->insutype_is_390)
        st->insutype390++;
    else
        st->insutype310++;

    /* pay method */
    if (role == R_BEDDAY && pol->n_bedday > 0) {
        c->pay_method = DD_PAY_BED_DAY;
        c->bedday_idx = (int8_t)rng_range(r, 0, pol->n_bedday - 1);
        st->bed_day++;
    } else if (role == R_FFS) {
        c->pay_method = DD_PAY_FFS;
        st->ffs++;
    }

    /* cost */
    int low_inj = INJ(DD_GEN_INJ_LOWSTD) && k % 2 == 0;
    if (c->pay_method == DD_PAY_BED_DAY) {
        const dd_bedday_rule *br = &pol->bedday[c->bedday_idx];
        c->ipt = (int16_t)rng_range(r, 20, 90);
        int64_t daily = br->reimb_ratio_e6 > 0
                            ? (int64_t)((dd_i128)br->daily_fund_standard_fen * 1000000 /
                                        br->reimb_ratio_e6)
                            : br->daily_fund_standard_fen;
        c->medfee = round_pos((double)(daily * c->ipt) * (0.85 + 0.4 * rng_u(r)));
    } else {
        double f;
        int scheme_case = c->pay_method == DD_PAY_SCHEME && scheme_ok && !ungroup;
        if (role == R_HIGH || role == R_HIGH_SPECIAL) {
            f = 2.1 + 1.9 * rng_u(r);
            if (scheme_case)
                st->high_outliers++;
        } else if (role == R_LOW || low_inj) {
            f = 0.08 + 0.25 * rng_u(r);
            if (scheme_case)
                st->low_outliers++;
        } else {
            f = 0.5 + 0.33 * (rng_u(r) + rng_u(r) + rng_u(r));
        }
        c->medfee = round_pos((double)ref * f);
        int los = 2 + (int)(10.0 * f * (rng_u(r) + rng_u(r)) / 2.0 * (1.0 + (double)w_e4 / 20000.0));
        if (low_inj) /* 低标准入院: short stays */
            los = 1 + (int)rng_range(r, 0, 2);
        c->ipt = (int16_t)(los > 120 ? 120 : los);
        if (c->ipt < 1)
            c->ipt = 1;
    }
    if (c->medfee < 5000)
        c->medfee = 5000 + rng_range(r, 0, 5000);
    if (c->medfee > INT64_C(9000000000))
        c->medfee = INT64_C(9000000000);
    c->begndate = c->enddate - c->ipt;

    /* the person, now that the dates are known */
    if (partner >= 0) {
        gcase *p = &b->cases[partner];
        if (c->begndate - p->enddate > 15 || p->begndate - c->enddate > 15) {
            p->linked = c->linked = 1;
            st->readmissions++;
        } else { /* too close: someone else */
            c->psn_id = rng_next(r) % UINT64_C(1000000000000);
        }
    }
    if (INJ(DD_GEN_INJ_SPLIT) && k % 5 == 2) {
        /* 分解住院: the same person discharged 1..15 days before admission */
        for (size_t i = ci; i-- > 0;) {
            gcase *p = &b->cases[i];
            if (p->hosp == hosp && !p->reversed && p->enddate < c->begndate &&
                c->begndate - p->enddate <= 15) {
                c->psn_id = p->psn_id;
                c->insutype_is_390 = p->insutype_is_390;
                p->linked = c->linked = 1;
                st->readmissions++;
                break;
            }
            if (b->cases[i].month < month - 1)
                break;
        }
    }

    double fr = c->insutype_is_390 ? 0.55 + 0.17 * rng_u(r) : 0.72 + 0.16 * rng_u(r);
    c->fund = round_pos((double)c->medfee * fr);
    c->psn = c->medfee - c->fund;
    c->acct = c->insutype_is_390 ? 0 : round_pos((double)c->psn * 0.4 * rng_u(r));
    c->dscg = (int8_t)((role == R_TRANSFER || (INJ(DD_GEN_INJ_TRANSFER) && k % 5 == 0))
                           ? 2
                           : dscg_way(r));
    /* budgets follow the whole cost (bed-day and FFS cases are paid from
     * the same fund), so fund payments stay under the budget's pace */
    gc->medfee_sum[h->region][c->insutype_is_390] += c->medfee;

    /* ---- events ---- */
    int64_t ts = c->setl_ms;
    if (!add_ev(b, ts, DD_EV_SETTLEMENT, ci, 0))
        return -1;
    if (role == R_REVERSAL) {
        c->reversed = 1;
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
    /* re-uploads carry the same coding (a re-sent, corrected list): a
     * changed severity would move the month's CC/MCC share */
    int16_t extra = -1;
    if (role == R_NOLIST) {
        st->no_list++;
    } else {
        int64_t tl;
        if (role == R_LATE || (INJ(DD_GEN_INJ_LATE) && k % 4 == 1)) {
            tl = ts + rng_range(r, 7 * DAY_MS + HOUR_MS, 20 * DAY_MS);
            st->late_lists++;
        } else if (rng_u(r) < 0.08) {
            tl = ts - rng_range(r, HOUR_MS, 20 * HOUR_MS);
            st->early_lists++;
        } else if (role == R_QCFIX || role == R_REUPLOAD) {
            tl = ts + rng_range(r, HOUR_MS, 2 * DAY_MS); /* re-upload still on time */
        } else { /* within a day: lists come in settlement order, so the
                  * month-to-date mix is the slot pattern's */
            tl = ts + rng_range(r, HOUR_MS, DAY_MS);
        }
        if (!add_ev(b, tl, DD_EV_SETTLEMENT_LIST, ci, V_LIST_FIRST))
            return -1;
        int64_t tq = tl + rng_range(r, 10 * 60000, 12 * HOUR_MS);
        if (role == R_QCFAIL || role == R_QCFIX || (INJ(DD_GEN_INJ_QC) && k % 4 == 2)) {
            st->qc_failed++;
            if (!add_ev(b, tq, DD_EV_QC_RESULT, ci, V_QC_FAIL))
                return -1;
            if (role == R_QCFIX) { /* corrected: re-upload, QC passes */
                st->qc_corrected++;
                st->reuploads++;
                int64_t t2 = tq + rng_range(r, HOUR_MS, DAY_MS);
                c->extra_dx_tmpl = extra;
                if (!add_ev(b, t2, DD_EV_SETTLEMENT_LIST, ci, V_LIST_REUPLOAD) ||
                    !add_ev(b, t2 + rng_range(r, 10 * 60000, DAY_MS), DD_EV_QC_RESULT, ci,
                            V_QC_PASS))
                    return -1;
            }
        } else {
            if (role == R_REUPLOAD) { /* re-uploaded before QC ran */
                st->reuploads++;
                c->extra_dx_tmpl = extra;
                int64_t t2 = tl + rng_range(r, 10 * 60000, DAY_MS);
                if (!add_ev(b, t2, DD_EV_SETTLEMENT_LIST, ci, V_LIST_REUPLOAD))
                    return -1;
                tq = t2 + rng_range(r, 10 * 60000, DAY_MS);
            }
            if (!add_ev(b, tq, DD_EV_QC_RESULT, ci, V_QC_PASS))
                return -1;
        }
    }
    /* special cases: half the high outliers apply; injected ones stay
     * APPLIED (no decision, so no category changes) */
    int high = c->pay_method == DD_PAY_SCHEME && scheme_ok && c->medfee > 2 * ref;
    if (role == R_HIGH_SPECIAL && high) {
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
    } else if (INJ(DD_GEN_INJ_SPECIAL) && k % 8 == 4) {
        st->special_applied++;
        if (!add_ev(b, ts + rng_range(r, DAY_MS, 5 * DAY_MS), DD_EV_SPECIAL_CASE, ci,
                    DD_SPECIAL_APPLIED))
            return -1;
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

static const char *inj_names[DD_GEN_INJ__COUNT] = {
    "upcoding", "split", "spike", "lowstd", "transfer", "special", "late", "qc", "ungroupable",
    "budget"};

const char *dd_gen_inject_name(dd_gen_inject_type t)
{
    return (unsigned)t < DD_GEN_INJ__COUNT ? inj_names[t] : "?";
}

int dd_gen_parse_inject(const dd_dataset *ds, const char *spec, dd_gen_inject *out, int *n,
                        char *errstr, size_t errlen)
{
    const char *p = spec;
    if (!p || !*p) {
        seterr(errstr, errlen, "--inject: empty list (TYPE=FIXMEDINS_CODE[,...])");
        return -1;
    }
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[128];
        if (len == 0 || len >= sizeof item) {
            seterr(errstr, errlen, "--inject: bad item '%.*s' (TYPE=FIXMEDINS_CODE)",
                   (int)(len > 60 ? 60 : len), p);
            return -1;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        char *eq = strchr(item, '=');
        if (!eq || eq == item || !eq[1]) {
            seterr(errstr, errlen, "--inject: '%s' is not TYPE=FIXMEDINS_CODE (budget=ADMDVS)",
                   item);
            return -1;
        }
        *eq = '\0';
        const char *target = eq + 1;
        int t = -1;
        for (int i = 0; i < DD_GEN_INJ__COUNT; i++)
            if (!strcmp(item, inj_names[i]))
                t = i;
        if (t < 0) {
            seterr(errstr, errlen,
                   "--inject: unknown type '%s' (upcoding, split, spike, lowstd, transfer, "
                   "special, late, qc, ungroupable, budget)",
                   item);
            return -1;
        }
        int idx;
        if (t == DD_GEN_INJ_BUDGET) {
            const dd_region *r = dd_dataset_region(ds, target);
            if (!r) {
                seterr(errstr, errlen, "--inject: budget=%s: unknown region (admdvs)", target);
                return -1;
            }
            idx = r->index;
        } else {
            const dd_hospital *h = dd_dataset_hospital(ds, target);
            if (!h) {
                seterr(errstr, errlen, "--inject: %s=%s: unknown hospital (fixmedins_code)",
                       item, target);
                return -1;
            }
            idx = h->index;
        }
        if (*n >= DD_GEN_MAX_INJECT) {
            seterr(errstr, errlen, "--inject: more than %d items", DD_GEN_MAX_INJECT);
            return -1;
        }
        out[*n].type = (dd_gen_inject_type)t;
        out[*n].target = idx;
        (*n)++;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* The weighted hospital cycle (smooth weighted round robin, level 3 : 2 : 1
 * = 8 : 3 : 1): each hospital's turns are spread evenly over the cycle. */
static int build_cycle(const dd_dataset *ds, gen_ctx *gc)
{
    int nh = gc->n_hosp;
    int64_t *cur = calloc((size_t)nh, sizeof *cur);
    int *w = calloc((size_t)nh, sizeof *w);
    int total = 0;
    if (!cur || !w) {
        free(cur);
        free(w);
        return -1;
    }
    for (int i = 0; i < nh; i++) {
        int lv = dd_dataset_hospital_at(ds, i)->level;
        w[i] = lv >= 3 ? 8 : lv == 2 ? 3 : 1;
        total += w[i];
    }
    gc->rr = calloc((size_t)total, sizeof *gc->rr);
    if (!gc->rr) {
        free(cur);
        free(w);
        return -1;
    }
    for (int s = 0; s < total; s++) {
        int best = 0;
        for (int i = 0; i < nh; i++) {
            cur[i] += w[i];
            if (cur[i] > cur[best])
                best = i;
        }
        cur[best] -= total;
        gc->rr[s] = best;
    }
    gc->rr_len = total;
    free(cur);
    free(w);
    return 0;
}

int dd_gen_run(dd_gen *g, const dd_gen_options *opt, dd_gen_sink sink, void *ctx,
               dd_gen_stats *stats, char *errstr, size_t errlen)
{
    dd_gen_stats st_local;
    dd_gen_stats *st = stats ? stats : &st_local;
    memset(st, 0, sizeof *st);
    st->inject_min_month_cases = -1;
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
    for (int i = 0; i < opt->n_inject; i++) {
        const dd_gen_inject *in = &opt->inject[i];
        int lim = in->type == DD_GEN_INJ_BUDGET ? nr : nh;
        if ((unsigned)in->type >= DD_GEN_INJ__COUNT || in->target < 0 || in->target >= lim) {
            seterr(errstr, errlen, "gen: bad injection #%d", i + 1);
            return -1;
        }
    }
    st->templates = g->n_tmpl;
    for (int i = 0; i < g->n_tmpl; i++)
        st->templates_grouped += g->tmpl[i].grouped;

    gen_ctx gc = {0};
    gc.n_hosp = nh;
    gc.seed = opt->seed;
    gc.last_month = opt->month;
    gc.medfee_sum = calloc((size_t)nr, sizeof *gc.medfee_sum);
    gc.k_month = calloc((size_t)nh, sizeof *gc.k_month);
    gc.n_month = calloc((size_t)nh, sizeof *gc.n_month);
    gc.g_month = calloc((size_t)nh, sizeof *gc.g_month);
    gc.pal = calloc((size_t)nh * PAL_N, sizeof *gc.pal);
    gc.pal_w = calloc((size_t)nh * PAL_N, sizeof *gc.pal_w);
    gc.pal_n = malloc((size_t)nh * sizeof *gc.pal_n);
    gc.pal_mean = calloc((size_t)nh, sizeof *gc.pal_mean);
    gc.inj = calloc((size_t)nh, sizeof *gc.inj);
    uint8_t *budget_cut = calloc((size_t)nr, 1);
    gbuf b = {0};
    int rc = -1;
    if (!gc.medfee_sum || !gc.k_month || !gc.n_month || !gc.g_month || !gc.pal || !gc.pal_w || !gc.pal_n || !gc.pal_mean ||
        !gc.inj || !budget_cut || build_cycle(ds, &gc))
        goto oom;
    for (int i = 0; i < nh; i++)
        gc.pal_n[i] = -1;
    for (int i = 0; i < opt->cases; i++)
        gc.n_month[gc.rr[i % gc.rr_len]]++;
    for (int i = 0; i < opt->n_inject; i++) {
        const dd_gen_inject *in = &opt->inject[i];
        if (in->type == DD_GEN_INJ_BUDGET)
            budget_cut[in->target] = 1;
        else
            gc.inj[in->target] |= UINT32_C(1) << in->type;
    }

    rng_t r;
    rng_seed(&r, opt->seed);
    int32_t first = opt->month - (opt->months - 1);
    for (int32_t mo = first; mo <= opt->month; mo++) {
        memset(gc.k_month, 0, (size_t)nh * sizeof *gc.k_month);
        memset(gc.g_month, 0, (size_t)nh * sizeof *gc.g_month);
        int seq = 0;
        for (int i = 0; i < opt->cases; i++) {
            int h = gc.rr[i % gc.rr_len];
            if (gen_case(g, &b, &r, &gc, mo, ++seq, h, gc.k_month[h]++, -1, st))
                goto oom;
        }
        if (mo != opt->month)
            continue;
        /* volume spike: one mid-month day gets 3 x the hospital's daily
         * mean more cases (at least 20 that day) */
        int y = dd_time_month_year(mo), m = dd_time_month_num(mo);
        int dim = days_in_month(y, m);
        for (int h = 0; h < nh; h++) {
            if (!(gc.inj[h] & (UINT32_C(1) << DD_GEN_INJ_SPIKE)))
                continue;
            int n = gc.k_month[h];
            int extra = 3 * ((n + dim - 1) / dim) + 2;
            if (extra < 22)
                extra = 22;
            int32_t day = dd_days_from_civil(y, m, 1) + dim / 2;
            for (int j = 0; j < extra; j++)
                if (gen_case(g, &b, &r, &gc, mo, ++seq, h, gc.k_month[h]++, day, st))
                    goto oom;
        }
        for (int h = 0; h < nh; h++)
            if (gc.inj[h] && (st->inject_min_month_cases < 0 ||
                              gc.k_month[h] < st->inject_min_month_cases))
                st->inject_min_month_cases = gc.k_month[h];
    }

    /* budgets: per region x insutype and year, 12 x the average month's cost
     * (x 0.98..1.06), 20 days before the first month; one monthly budget */
    int y0 = dd_time_month_year(first), y1 = dd_time_month_year(opt->month);
    size_t nb_max = (size_t)nr * 2 * (size_t)(y1 - y0 + 2) + 1;
    b.budgets = calloc(nb_max, sizeof *b.budgets);
    if (!b.budgets)
        goto oom;
    int64_t t_budget = local_midnight_ms(dd_days_from_civil(y0, dd_time_month_num(first), 1)) -
                       20 * DAY_MS;
    int64_t t_last = local_midnight_ms(dd_days_from_civil(y1, dd_time_month_num(opt->month), 1));
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
                bu->amount = round_pos((double)sum * 12.0 / opt->months * (0.98 + 0.08 * rng_u(&r)));
                bu->t_ms = t_budget;
                if (!add_ev(&b, t_budget, DD_EV_BUDGET, (uint32_t)b.n_budgets, 0))
                    goto oom;
                b.n_budgets++;
                st->budgets++;
                if (budget_cut[ri] && yy == y1) {
                    /* injected over-spend: the year budget is revised down to a
                     * quarter at the start of the last month, spending goes on */
                    gbudget *cut = &b.budgets[b.n_budgets];
                    *cut = *bu;
                    cut->amount = bu->amount / 4;
                    cut->t_ms = t_last;
                    if (!add_ev(&b, t_last, DD_EV_BUDGET, (uint32_t)b.n_budgets, 0))
                        goto oom;
                    b.n_budgets++;
                    st->budgets++;
                }
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
        if (budget_cut[big_region])
            bu->amount /= 4;
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
    free(gc.medfee_sum);
    free(gc.rr);
    free(gc.k_month);
    free(gc.n_month);
    free(gc.g_month);
    free(gc.pal);
    free(gc.pal_w);
    free(gc.pal_n);
    free(gc.pal_mean);
    free(gc.inj);
    free(budget_cut);
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
