/*
 * dd_refdata — see dd_refdata.h.
 */
#include "dd_refdata.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_hash.h"
#include "dd_points.h"

#define MAX_FIELDS 16

struct dd_weight_table {
    struct wslot {
        char code[16];
        int64_t w_e4;
        int used;
    } *slots;
    uint32_t mask;
    int n;
    int64_t lowest_e4;
};

typedef struct {
    dd_region r;
    int *hosp_idx; /* owned copy of r.hospitals */
    dd_weight_table *weights;
    dd_dip_library *dip;
    char *name;
} region_rec;

typedef struct {
    dd_hospital h;
    char *name;
} hosp_rec;

struct dd_dataset {
    const dd_drg_tables *drg;
    const dd_dip_classes *classes;
    region_rec *regions;
    int n_regions;
    hosp_rec *hosps;
    int n_hosps;
    int32_t *hmap; /* open addressing: hospital index + 1, 0 = empty */
    uint32_t hmask;
    int regions_loaded, hospitals_loaded, finished;
};

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

/* ---- tiny CSV reader: one header row, no quoting ---- */

typedef struct {
    const char *buf;
    size_t len, pos;
    int line;
} csv_reader;

static void csv_init(csv_reader *c, const char *buf, size_t len)
{
    c->buf = buf;
    c->len = len;
    c->pos = 0;
    c->line = 0;
    if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB &&
        (unsigned char)buf[2] == 0xBF)
        c->pos = 3;
}

/* Next non-empty line split on ','; returns the field count, 0 at the end.
 * The fields point into the buffer (not NUL-terminated). */
static int csv_next(csv_reader *c, const char **f, size_t *fl)
{
    while (c->pos < c->len) {
        size_t s = c->pos, e = s;
        while (e < c->len && c->buf[e] != '\n')
            e++;
        c->pos = e < c->len ? e + 1 : e;
        c->line++;
        size_t end = e;
        if (end > s && c->buf[end - 1] == '\r')
            end--;
        if (end == s)
            continue;
        int n = 0;
        size_t p = s;
        for (;;) {
            size_t q = p;
            while (q < end && c->buf[q] != ',')
                q++;
            if (n < MAX_FIELDS) {
                f[n] = c->buf + p;
                fl[n] = q - p;
            }
            n++;
            if (q >= end)
                break;
            p = q + 1;
        }
        return n > MAX_FIELDS ? MAX_FIELDS : n;
    }
    return 0;
}

static int col_index(const char **f, const size_t *fl, int n, const char *name)
{
    size_t l = strlen(name);
    for (int i = 0; i < n; i++)
        if (fl[i] == l && !memcmp(f[i], name, l))
            return i;
    return -1;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int all_digits(const char *s, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int code_chars_ok(const char *s, size_t n)
{
    if (!n || n > DD_CODE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* ---- dataset ---- */

dd_dataset *dd_dataset_new(const dd_drg_tables *drg, const dd_dip_classes *classes)
{
    dd_dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return NULL;
    ds->drg = drg;
    ds->classes = classes;
    return ds;
}

void dd_dataset_set_tables(dd_dataset *ds, const dd_drg_tables *drg, const dd_dip_classes *classes)
{
    ds->drg = drg;
    ds->classes = classes;
}

static void weights_free(dd_weight_table *t)
{
    if (t) {
        free(t->slots);
        free(t);
    }
}

void dd_dataset_destroy(dd_dataset *ds)
{
    if (!ds)
        return;
    for (int i = 0; i < ds->n_regions; i++) {
        region_rec *r = &ds->regions[i];
        free(r->hosp_idx);
        weights_free(r->weights);
        dd_dip_library_destroy(r->dip);
        free(r->name);
    }
    free(ds->regions);
    for (int i = 0; i < ds->n_hosps; i++)
        free(ds->hosps[i].name);
    free(ds->hosps);
    free(ds->hmap);
    free(ds);
}

static region_rec *find_region_n(const dd_dataset *ds, const char *admdvs, size_t len)
{
    if (len != 6)
        return NULL;
    for (int i = 0; i < ds->n_regions; i++)
        if (!memcmp(ds->regions[i].r.admdvs, admdvs, 6))
            return &ds->regions[i];
    return NULL;
}

int dd_dataset_load_regions(dd_dataset *ds, const char *csv, size_t len, char *errstr,
                            size_t errlen)
{
    csv_reader c;
    const char *f[MAX_FIELDS];
    size_t fl[MAX_FIELDS];
    if (ds->regions_loaded) {
        seterr(errstr, errlen, "regions.csv: already loaded");
        return -1;
    }
    csv_init(&c, csv, len);
    int n = csv_next(&c, f, fl);
    int ca = col_index(f, fl, n, "admdvs"), cn = col_index(f, fl, n, "name"),
        cs = col_index(f, fl, n, "scheme");
    if (ca < 0 || cn < 0 || cs < 0) {
        seterr(errstr, errlen, "regions.csv line 1: header must name admdvs,name,scheme");
        return -1;
    }
    int cap = 0;
    while ((n = csv_next(&c, f, fl)) > 0) {
        if (n <= ca || n <= cn || n <= cs) {
            seterr(errstr, errlen, "regions.csv line %d: too few columns", c.line);
            return -1;
        }
        if (fl[ca] != 6 || !all_digits(f[ca], 6)) {
            seterr(errstr, errlen, "regions.csv line %d: admdvs must be 6 digits", c.line);
            return -1;
        }
        if (find_region_n(ds, f[ca], 6)) {
            seterr(errstr, errlen, "regions.csv line %d: duplicate admdvs %.6s", c.line, f[ca]);
            return -1;
        }
        dd_scheme sch;
        if (fl[cs] == 3 && !memcmp(f[cs], "DRG", 3))
            sch = DD_SCHEME_DRG;
        else if (fl[cs] == 3 && !memcmp(f[cs], "DIP", 3))
            sch = DD_SCHEME_DIP;
        else {
            seterr(errstr, errlen, "regions.csv line %d: scheme must be DRG or DIP", c.line);
            return -1;
        }
        if (ds->n_regions == cap) {
            cap = cap ? cap * 2 : 16;
            region_rec *nr = realloc(ds->regions, (size_t)cap * sizeof *nr);
            if (!nr) {
                seterr(errstr, errlen, "out of memory");
                return -1;
            }
            ds->regions = nr;
        }
        region_rec *r = &ds->regions[ds->n_regions];
        memset(r, 0, sizeof *r);
        memcpy(r->r.admdvs, f[ca], 6);
        r->r.admdvs[6] = '\0';
        r->r.scheme = sch;
        r->name = dupn(f[cn], fl[cn]);
        if (!r->name) {
            seterr(errstr, errlen, "out of memory");
            return -1;
        }
        r->r.name = r->name;
        r->r.index = ds->n_regions;
        dd_policy_defaults(&r->r.policy, sch);
        ds->n_regions++;
    }
    if (!ds->n_regions) {
        seterr(errstr, errlen, "regions.csv: no regions");
        return -1;
    }
    ds->regions_loaded = 1;
    return 0;
}

static int hmap_insert(dd_dataset *ds, int idx)
{
    const char *code = ds->hosps[idx].h.code;
    uint32_t i = (uint32_t)dd_hash_bytes(code, strlen(code)) & ds->hmask;
    while (ds->hmap[i]) {
        if (!strcmp(ds->hosps[ds->hmap[i] - 1].h.code, code))
            return -1;
        i = (i + 1) & ds->hmask;
    }
    ds->hmap[i] = idx + 1;
    return 0;
}

int dd_dataset_load_hospitals(dd_dataset *ds, const char *csv, size_t len, char *errstr,
                              size_t errlen)
{
    csv_reader c;
    const char *f[MAX_FIELDS];
    size_t fl[MAX_FIELDS];
    if (!ds->regions_loaded || ds->hospitals_loaded) {
        seterr(errstr, errlen, "hospitals.csv: load regions first, and once");
        return -1;
    }
    csv_init(&c, csv, len);
    int n = csv_next(&c, f, fl);
    int cc = col_index(f, fl, n, "fixmedins_code"), cn = col_index(f, fl, n, "name"),
        ca = col_index(f, fl, n, "admdvs"), cl = col_index(f, fl, n, "level"),
        ck = col_index(f, fl, n, "coefficients");
    if (cc < 0 || cn < 0 || ca < 0 || cl < 0 || ck < 0) {
        seterr(errstr, errlen,
               "hospitals.csv line 1: header must name fixmedins_code,name,admdvs,level,"
               "coefficients");
        return -1;
    }
    int cap = 0;
    while ((n = csv_next(&c, f, fl)) > 0) {
        if (n <= cc || n <= cn || n <= ca || n <= cl || n < ck) {
            seterr(errstr, errlen, "hospitals.csv line %d: too few columns", c.line);
            return -1;
        }
        if (!code_chars_ok(f[cc], fl[cc])) {
            seterr(errstr, errlen,
                   "hospitals.csv line %d: fixmedins_code must be 1..%d chars of [A-Za-z0-9_-]",
                   c.line, DD_CODE_MAX);
            return -1;
        }
        region_rec *r = find_region_n(ds, f[ca], fl[ca]);
        if (!r) {
            seterr(errstr, errlen, "hospitals.csv line %d: admdvs %.*s is not in regions.csv",
                   c.line, (int)(fl[ca] > 16 ? 16 : fl[ca]), f[ca]);
            return -1;
        }
        if (fl[cl] != 1 || f[cl][0] < '1' || f[cl][0] > '3') {
            seterr(errstr, errlen, "hospitals.csv line %d: level must be 1, 2 or 3", c.line);
            return -1;
        }
        if (ds->n_hosps == cap) {
            cap = cap ? cap * 2 : 64;
            hosp_rec *nh = realloc(ds->hosps, (size_t)cap * sizeof *nh);
            if (!nh) {
                seterr(errstr, errlen, "out of memory");
                return -1;
            }
            ds->hosps = nh;
        }
        hosp_rec *h = &ds->hosps[ds->n_hosps];
        memset(h, 0, sizeof *h);
        memcpy(h->h.code, f[cc], fl[cc]);
        h->h.region = r->r.index;
        h->h.level = f[cl][0] - '0';
        h->h.index = ds->n_hosps;
        /* coefficients: percents separated by ';' (may be empty) */
        const char *k = n > ck ? f[ck] : "";
        size_t kl = n > ck ? fl[ck] : 0, p = 0;
        while (kl && p <= kl) {
            size_t q = p;
            while (q < kl && k[q] != ';')
                q++;
            int64_t v;
            if (h->h.n_coef >= DD_MAX_COEF) {
                seterr(errstr, errlen, "hospitals.csv line %d: more than %d coefficients", c.line,
                       DD_MAX_COEF);
                return -1;
            }
            if (dd_dec_parse(k + p, q - p, 4, 4, &v) || v > 2000000) {
                seterr(errstr, errlen,
                       "hospitals.csv line %d: coefficient '%.*s' must be a percent 0..200 with "
                       "at most 4 decimals",
                       c.line, (int)(q - p > 20 ? 20 : q - p), k + p);
                return -1;
            }
            h->h.coef_pct_e4[h->h.n_coef++] = v; /* percent x 10^4: 105 -> 1050000 */
            p = q + 1;
        }
        h->name = dupn(f[cn], fl[cn]);
        if (!h->name) {
            seterr(errstr, errlen, "out of memory");
            return -1;
        }
        h->h.name = h->name;
        ds->n_hosps++;
    }
    uint32_t sz = 16;
    while (sz < (uint32_t)ds->n_hosps * 2 + 16)
        sz *= 2;
    ds->hmap = calloc(sz, sizeof *ds->hmap);
    if (!ds->hmap) {
        seterr(errstr, errlen, "out of memory");
        return -1;
    }
    ds->hmask = sz - 1;
    for (int i = 0; i < ds->n_hosps; i++)
        if (hmap_insert(ds, i)) {
            seterr(errstr, errlen, "hospitals.csv: duplicate fixmedins_code %s",
                   ds->hosps[i].h.code);
            return -1;
        }
    ds->hospitals_loaded = 1;
    return 0;
}

int dd_dataset_load_policy(dd_dataset *ds, const char *admdvs, const char *text, size_t len,
                           char *errstr, size_t errlen)
{
    region_rec *r = find_region_n(ds, admdvs, strlen(admdvs));
    if (!r) {
        seterr(errstr, errlen, "policy/%s.conf: region not in regions.csv", admdvs);
        return -1;
    }
    char e[200];
    dd_policy p;
    if (dd_policy_parse(&p, r->r.scheme, text, len, e, sizeof e)) {
        seterr(errstr, errlen, "policy/%s.conf %s", admdvs, e);
        return -1;
    }
    r->r.policy = p;
    r->r.has_policy = 1;
    return 0;
}

static int weights_put(dd_weight_table *t, const char *code, size_t n, int64_t w)
{
    uint32_t i = (uint32_t)dd_hash_bytes(code, n) & t->mask;
    while (t->slots[i].used) {
        if (!strcmp(t->slots[i].code, code))
            return -1;
        i = (i + 1) & t->mask;
    }
    memcpy(t->slots[i].code, code, n);
    t->slots[i].code[n] = '\0';
    t->slots[i].w_e4 = w;
    t->slots[i].used = 1;
    t->n++;
    return 0;
}

int dd_weight_lookup(const dd_weight_table *t, const char *code, int64_t *w_e4)
{
    if (!t)
        return -1;
    size_t n = strlen(code);
    if (n >= 16)
        return -1;
    uint32_t i = (uint32_t)dd_hash_bytes(code, n) & t->mask;
    while (t->slots[i].used) {
        if (!strcmp(t->slots[i].code, code)) {
            *w_e4 = t->slots[i].w_e4;
            return 0;
        }
        i = (i + 1) & t->mask;
    }
    return -1;
}

int dd_weight_count(const dd_weight_table *t)
{
    return t ? t->n : 0;
}

int dd_dataset_load_drg_weights(dd_dataset *ds, const char *admdvs, const char *csv, size_t len,
                                char *errstr, size_t errlen)
{
    region_rec *r = find_region_n(ds, admdvs, strlen(admdvs));
    if (!r) {
        seterr(errstr, errlen, "drg/%s.csv: region not in regions.csv", admdvs);
        return -1;
    }
    csv_reader c;
    const char *f[MAX_FIELDS];
    size_t fl[MAX_FIELDS];
    csv_init(&c, csv, len);
    int n = csv_next(&c, f, fl);
    int cc = col_index(f, fl, n, "drg_code"), cw = col_index(f, fl, n, "weight");
    if (cc < 0 || cw < 0 || col_index(f, fl, n, "name") < 0) {
        seterr(errstr, errlen, "drg/%s.csv line 1: header must name drg_code,name,weight", admdvs);
        return -1;
    }
    /* count lines to size the table once */
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += csv[i] == '\n';
    dd_weight_table *t = calloc(1, sizeof *t);
    uint32_t sz = 16;
    while (sz < lines * 2)
        sz *= 2;
    if (t)
        t->slots = calloc(sz, sizeof *t->slots);
    if (!t || !t->slots) {
        weights_free(t);
        seterr(errstr, errlen, "out of memory");
        return -1;
    }
    t->mask = sz - 1;
    t->lowest_e4 = 0;
    while ((n = csv_next(&c, f, fl)) > 0) {
        int64_t w;
        if (n <= cc || n <= cw) {
            seterr(errstr, errlen, "drg/%s.csv line %d: too few columns", admdvs, c.line);
            goto fail;
        }
        if (!fl[cc] || fl[cc] >= 16) {
            seterr(errstr, errlen, "drg/%s.csv line %d: bad drg_code", admdvs, c.line);
            goto fail;
        }
        if (dd_dec_parse(f[cw], fl[cw], 4, 4, &w) || w <= 0) {
            seterr(errstr, errlen, "drg/%s.csv line %d: weight must be > 0 with at most 4 decimals",
                   admdvs, c.line);
            goto fail;
        }
        if (weights_put(t, f[cc], fl[cc], w)) {
            seterr(errstr, errlen, "drg/%s.csv line %d: duplicate drg_code %.*s", admdvs, c.line,
                   (int)fl[cc], f[cc]);
            goto fail;
        }
        if (!t->lowest_e4 || w < t->lowest_e4)
            t->lowest_e4 = w;
    }
    if (!t->n) {
        seterr(errstr, errlen, "drg/%s.csv: no weights", admdvs);
        goto fail;
    }
    weights_free(r->weights);
    r->weights = t;
    r->r.drg_weights = t;
    return 0;
fail:
    weights_free(t);
    return -1;
}

int dd_dataset_load_dip_library(dd_dataset *ds, const char *admdvs, const char *csv, size_t len,
                                char *errstr, size_t errlen)
{
    region_rec *r = find_region_n(ds, admdvs, strlen(admdvs));
    if (!r) {
        seterr(errstr, errlen, "dip/%s.csv: region not in regions.csv", admdvs);
        return -1;
    }
    if (!ds->classes) {
        seterr(errstr, errlen, "dip/%s.csv: the procedure classes are not loaded", admdvs);
        return -1;
    }
    char e[200];
    dd_dip_library *lib = dd_dip_library_new(csv, len, ds->classes, e, sizeof e);
    if (!lib) {
        seterr(errstr, errlen, "dip/%s.csv %s", admdvs, e);
        return -1;
    }
    dd_dip_library_destroy(r->dip);
    r->dip = lib;
    r->r.dip = lib;
    return 0;
}

/* Insertion sort of hospital indices by code (qsort has no context in C11;
 * a region has at most a few hundred hospitals). */
static void sort_idx(int *v, int n, const dd_dataset *ds)
{
    for (int i = 1; i < n; i++) {
        int x = v[i], j = i - 1;
        while (j >= 0 && strcmp(ds->hosps[v[j]].h.code, ds->hosps[x].h.code) > 0) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

int dd_dataset_finish(dd_dataset *ds, char *errstr, size_t errlen)
{
    if (!ds->regions_loaded) {
        seterr(errstr, errlen, "regions.csv not loaded");
        return -1;
    }
    if (!ds->hospitals_loaded) {
        seterr(errstr, errlen, "hospitals.csv not loaded");
        return -1;
    }
    for (int i = 0; i < ds->n_regions; i++) {
        region_rec *r = &ds->regions[i];
        if (!r->r.has_policy) {
            seterr(errstr, errlen, "region %s: no policy/%s.conf", r->r.admdvs, r->r.admdvs);
            return -1;
        }
        if (r->r.scheme == DD_SCHEME_DRG) {
            if (!r->weights) {
                seterr(errstr, errlen, "region %s (DRG): no drg/%s.csv", r->r.admdvs, r->r.admdvs);
                return -1;
            }
            if (!ds->drg) {
                seterr(errstr, errlen, "region %s (DRG): the CHS-DRG tables are not loaded",
                       r->r.admdvs);
                return -1;
            }
            r->r.lowest_weight_e4 = r->weights->lowest_e4;
        } else {
            if (!r->dip) {
                seterr(errstr, errlen, "region %s (DIP): no dip/%s.csv", r->r.admdvs, r->r.admdvs);
                return -1;
            }
            r->r.lowest_weight_e4 = dd_dip_library_lowest_score(r->dip);
        }
        free(r->hosp_idx);
        r->hosp_idx = NULL;
        r->r.n_hospitals = 0;
    }
    /* per-region hospital lists, sorted by code; coefficients by policy */
    int *counts = calloc((size_t)ds->n_regions, sizeof *counts);
    if (!counts) {
        seterr(errstr, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < ds->n_hosps; i++)
        counts[ds->hosps[i].h.region]++;
    for (int i = 0; i < ds->n_regions; i++) {
        ds->regions[i].hosp_idx = malloc(sizeof(int) * (size_t)(counts[i] ? counts[i] : 1));
        if (!ds->regions[i].hosp_idx) {
            free(counts);
            seterr(errstr, errlen, "out of memory");
            return -1;
        }
    }
    for (int i = 0; i < ds->n_hosps; i++) {
        hosp_rec *h = &ds->hosps[i];
        region_rec *r = &ds->regions[h->h.region];
        r->hosp_idx[r->r.n_hospitals++] = i;
        h->h.coef = dd_points_coefficient(h->h.coef_pct_e4, h->h.n_coef, r->r.policy.coef_combine);
        if (!dd_rat_ok(h->h.coef) || dd_rat_cmp(h->h.coef, dd_rat_int(0)) < 0) {
            free(counts);
            seterr(errstr, errlen, "hospital %s: the combined coefficient is negative or invalid",
                   h->h.code);
            return -1;
        }
    }
    for (int i = 0; i < ds->n_regions; i++) {
        region_rec *r = &ds->regions[i];
        sort_idx(r->hosp_idx, r->r.n_hospitals, ds);
        r->r.hospitals = r->hosp_idx;
    }
    free(counts);
    ds->finished = 1;
    return 0;
}

int dd_dataset_region_count(const dd_dataset *ds)
{
    return ds->n_regions;
}

const dd_region *dd_dataset_region_at(const dd_dataset *ds, int i)
{
    return i >= 0 && i < ds->n_regions ? &ds->regions[i].r : NULL;
}

const dd_region *dd_dataset_region(const dd_dataset *ds, const char *admdvs)
{
    region_rec *r = find_region_n(ds, admdvs, strlen(admdvs));
    return r ? &r->r : NULL;
}

int dd_dataset_hospital_count(const dd_dataset *ds)
{
    return ds->n_hosps;
}

const dd_hospital *dd_dataset_hospital_at(const dd_dataset *ds, int i)
{
    return i >= 0 && i < ds->n_hosps ? &ds->hosps[i].h : NULL;
}

const dd_hospital *dd_dataset_hospital_n(const dd_dataset *ds, const char *code, size_t len)
{
    if (!ds->hmap || !len || len > DD_CODE_MAX)
        return NULL;
    uint32_t i = (uint32_t)dd_hash_bytes(code, len) & ds->hmask;
    while (ds->hmap[i]) {
        const dd_hospital *h = &ds->hosps[ds->hmap[i] - 1].h;
        if (!memcmp(h->code, code, len) && h->code[len] == '\0')
            return h;
        i = (i + 1) & ds->hmask;
    }
    return NULL;
}

const dd_hospital *dd_dataset_hospital(const dd_dataset *ds, const char *code)
{
    return dd_dataset_hospital_n(ds, code, strlen(code));
}

const dd_drg_tables *dd_dataset_drg_tables(const dd_dataset *ds)
{
    return ds->drg;
}

const dd_dip_classes *dd_dataset_dip_classes(const dd_dataset *ds)
{
    return ds->classes;
}
