/* dd_drg — the CHS-DRG 1.1 grouper; see dd_drg.h for the contract and
 * data/chs-drg-1.1/chs-drg-1.1.tbl (its header) for the table format. */
#include "dd_drg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DD_DRG_MAX_MDC 32
#define DD_DRG_MAX_REGION 16
/* Codes of one case looked up once and cached; beyond this many the
 * grouper looks them up again where needed (still no allocation). */
#define DD_DRG_CACHE 64

enum {
    COND_DX, COND_ANYDX, COND_PROC, COND_HASPROC, COND_ORPROC, COND_NOPROC, COND_BW,
    COND_DAYS, COND_MDCDX
};

typedef struct {
    uint8_t kind;
    uint32_t list; /* global list id (after resolution) */
    int lo, hi;    /* COND_BW, COND_DAYS */
} dd_drg_cond;

typedef struct {
    uint32_t first, n; /* into conds */
} dd_drg_rule;

typedef struct {
    char code[4];
    char kind; /* 'S' surgical, 'O' non-OR procedure, 'M' medical */
    int mdc;
    const char *name;
    uint32_t first_rule, n_rules;
    uint32_t list_base, n_lists; /* global ids list_base .. +n_lists-1 */
    unsigned suffixes;           /* bit 1,3,5,9 set when DRG exists */
} dd_drg_adrg;

typedef struct {
    char code[8];
    const char *name;
    uint32_t first_adrg, n_adrg; /* ADRGs are stored grouped by MDC */
} dd_drg_mdc;

typedef struct {
    const char *code;
    const char *name;
    uint32_t hash;
    uint32_t mdc_mask;
    uint16_t region_mask;
    uint8_t flags;      /* CF_* */
    uint8_t sev;        /* 1 MCC, 3 CC, 0 none */
    uint16_t sev_table; /* exclusion table of this MCC/CC */
    uint16_t cce_table; /* table that lists this code as a principal dx */
    uint32_t lists_off, lists_n;
} dd_drg_code;

enum { CF_DX = 1, CF_PROC = 2, CF_OR = 4 };

typedef struct {
    char code[8];
    const char *name;
} dd_drg_named;

struct dd_drg_tables {
    char *text; /* owned copy of the file; codes and names point into it */
    dd_drg_code *codes;
    uint32_t n_codes, cap_codes;
    uint32_t *slots; /* open addressing: code index + 1, 0 = empty */
    uint32_t n_slots;
    uint32_t *code_lists; /* CSR: sorted list ids per code */
    dd_drg_mdc mdc[DD_DRG_MAX_MDC];
    int n_mdc;
    int mdc_a, mdc_p, mdc_z, mdc_m, mdc_n; /* indexes, -1 if absent */
    dd_drg_adrg *adrgs;
    uint32_t n_adrg, cap_adrg;
    dd_drg_rule *rules;
    uint32_t n_rules, cap_rules;
    dd_drg_cond *conds;
    uint32_t n_conds, cap_conds;
    uint32_t n_lists;
    dd_drg_named *drgs;
    uint32_t n_drg, cap_drg;
    int n_region;
    dd_drg_table_stats stats;
};

/* ---------------------------------------------------------------- hashing */

static uint32_t dd_drg_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static int32_t dd_drg_find(const dd_drg_tables *t, const char *s)
{
    if (!s || !*s || !t->n_slots)
        return -1;
    uint32_t h = dd_drg_hash(s), mask = t->n_slots - 1;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t v = t->slots[i];
        if (!v)
            return -1;
        const dd_drg_code *c = &t->codes[v - 1];
        if (c->hash == h && !strcmp(c->code, s))
            return (int32_t)(v - 1);
    }
}

static int dd_drg_rehash(dd_drg_tables *t, uint32_t n_slots)
{
    uint32_t *s = calloc(n_slots, sizeof *s);
    if (!s)
        return -1;
    for (uint32_t k = 0; k < t->n_codes; k++) {
        uint32_t i = t->codes[k].hash & (n_slots - 1);
        while (s[i])
            i = (i + 1) & (n_slots - 1);
        s[i] = k + 1;
    }
    free(t->slots);
    t->slots = s;
    t->n_slots = n_slots;
    return 0;
}

/* Index of code s (NUL-terminated, inside t->text), interning it. */
static int32_t dd_drg_intern(dd_drg_tables *t, const char *s)
{
    int32_t f = dd_drg_find(t, s);
    if (f >= 0)
        return f;
    if ((t->n_codes + 1) * 2 > t->n_slots &&
        dd_drg_rehash(t, t->n_slots ? t->n_slots * 2 : 1u << 16))
        return -1;
    if (t->n_codes == t->cap_codes) {
        uint32_t nc = t->cap_codes ? t->cap_codes * 2 : 1u << 15;
        dd_drg_code *c = realloc(t->codes, nc * sizeof *c);
        if (!c)
            return -1;
        t->codes = c;
        t->cap_codes = nc;
    }
    dd_drg_code *c = &t->codes[t->n_codes];
    memset(c, 0, sizeof *c);
    c->code = s;
    c->name = "";
    c->hash = dd_drg_hash(s);
    uint32_t mask = t->n_slots - 1, i = c->hash & mask;
    while (t->slots[i])
        i = (i + 1) & mask;
    t->slots[i] = t->n_codes + 1;
    return (int32_t)t->n_codes++;
}

/* ---------------------------------------------------------------- parsing */

#define DD_GROW(arr, n, cap, init)                                             \
    do {                                                                       \
        if ((n) == (cap)) {                                                    \
            uint32_t nc_ = (cap) ? (cap) * 2 : (init);                         \
            void *p_ = realloc((arr), nc_ * sizeof *(arr));                    \
            if (!p_)                                                           \
                goto oom;                                                      \
            (arr) = p_;                                                        \
            (cap) = nc_;                                                       \
        }                                                                      \
    } while (0)

typedef struct {
    uint32_t code, list;
} dd_drg_pair;

static int dd_drg_pair_cmp(const void *a, const void *b)
{
    const dd_drg_pair *x = a, *y = b;
    if (x->code != y->code)
        return x->code < y->code ? -1 : 1;
    return (x->list > y->list) - (x->list < y->list);
}

enum {
    SEC_NONE, SEC_MDC, SEC_MDC_DX, SEC_REGION, SEC_ADRG, SEC_DRG, SEC_MCC, SEC_CC,
    SEC_CCE, SEC_OR, SEC_DX, SEC_PROC
};

/* Splits off the first space-separated token of *p (NUL-terminating it);
 * returns it, or NULL when none is left. */
static char *dd_drg_tok(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return NULL;
    char *e = s;
    while (*e && *e != ' ' && *e != '\t')
        e++;
    if (*e)
        *e++ = '\0';
    *p = e;
    return s;
}

static char *dd_drg_rest(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static int dd_drg_mdc_index(const dd_drg_tables *t, const char *code)
{
    for (int i = 0; i < t->n_mdc; i++)
        if (!strcmp(t->mdc[i].code, code))
            return i;
    return -1;
}

static int dd_drg_parse_int(const char *s, int *out)
{
    char *e;
    if (!s || !*s)
        return -1;
    long v = strtol(s, &e, 10);
    if (*e || v < 0 || v > 1000000)
        return -1;
    *out = (int)v;
    return 0;
}

/* Checks the ADRG just finished: its rules name existing lists. */
static int dd_drg_close_adrg(dd_drg_tables *t, char *errstr, size_t errlen, int line)
{
    if (!t->n_adrg)
        return 0;
    dd_drg_adrg *a = &t->adrgs[t->n_adrg - 1];
    if (!a->n_rules) {
        snprintf(errstr, errlen, "line %d: ADRG %s has no rule", line, a->code);
        return -1;
    }
    for (uint32_t r = a->first_rule; r < a->first_rule + a->n_rules; r++)
        for (uint32_t c = t->rules[r].first; c < t->rules[r].first + t->rules[r].n; c++) {
            dd_drg_cond *cd = &t->conds[c];
            if (cd->kind == COND_DX || cd->kind == COND_ANYDX || cd->kind == COND_PROC ||
                cd->kind == COND_HASPROC) {
                if (cd->list < 1 || cd->list > a->n_lists) {
                    snprintf(errstr, errlen, "line %d: ADRG %s: rule names list %u it lacks",
                             line, a->code, cd->list);
                    return -1;
                }
                cd->list = a->list_base + cd->list - 1;
            }
        }
    return 0;
}

dd_drg_tables *dd_drg_tables_new(const char *buf, size_t len, char *errstr, size_t errlen)
{
    dd_drg_pair *pairs = NULL;
    uint32_t n_pairs = 0, cap_pairs = 0;
    dd_drg_tables *t = calloc(1, sizeof *t);
    if (!t)
        goto oom;
    t->text = malloc(len + 1);
    if (!t->text)
        goto oom;
    memcpy(t->text, buf, len);
    t->text[len] = '\0';
    t->mdc_a = t->mdc_p = t->mdc_z = t->mdc_m = t->mdc_n = -1;

    int sec = SEC_NONE, line_no = 0, region = -1;
    int cur_mdc = -1;
    uint32_t cur_list = 0; /* global list id + 1 being filled, 0 = none */
    int saw_drg = 0;
    char *p = t->text, *end = t->text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line = p;
        if (nl) {
            *nl = '\0';
            p = nl + 1;
        } else {
            p = end;
        }
        line_no++;
        size_t ll = strlen(line);
        if (ll != (size_t)((nl ? nl : end) - line)) {
            /* a NUL would silently cut the line short */
            snprintf(errstr, errlen, "line %d: NUL byte", line_no);
            goto fail;
        }
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        if (!ll || line[0] == '#')
            continue;
        if (line[0] == '[') {
            if (sec == SEC_ADRG && dd_drg_close_adrg(t, errstr, errlen, line_no))
                goto fail;
            if (line[ll - 1] != ']') {
                snprintf(errstr, errlen, "line %d: unterminated section header", line_no);
                goto fail;
            }
            line[ll - 1] = '\0';
            char *q = line + 1;
            char *name = dd_drg_tok(&q);
            cur_list = 0;
            if (!name) {
                snprintf(errstr, errlen, "line %d: empty section header", line_no);
                goto fail;
            }
            if (!strcmp(name, "mdc")) {
                sec = SEC_MDC;
            } else if (!strcmp(name, "mdc_dx")) {
                char *m = dd_drg_tok(&q);
                cur_mdc = m ? dd_drg_mdc_index(t, m) : -1;
                if (cur_mdc < 0) {
                    snprintf(errstr, errlen, "line %d: mdc_dx names an unknown MDC", line_no);
                    goto fail;
                }
                sec = SEC_MDC_DX;
            } else if (!strcmp(name, "mdcz_region")) {
                if (dd_drg_parse_int(dd_drg_tok(&q), &region) || region < 1 ||
                    region > DD_DRG_MAX_REGION) {
                    snprintf(errstr, errlen, "line %d: bad region number", line_no);
                    goto fail;
                }
                if (region > t->n_region)
                    t->n_region = region;
                sec = SEC_REGION;
            } else if (!strcmp(name, "adrg")) {
                char *code = dd_drg_tok(&q), *m = dd_drg_tok(&q), *kind = dd_drg_tok(&q);
                int mi = m ? dd_drg_mdc_index(t, m) : -1;
                if (!code || strlen(code) != 3 || mi < 0 || !kind || strlen(kind) != 1 ||
                    !strchr("SOM", kind[0])) {
                    snprintf(errstr, errlen, "line %d: expected [adrg CODE MDCx S|O|M NAME]",
                             line_no);
                    goto fail;
                }
                if (t->n_adrg && t->adrgs[t->n_adrg - 1].mdc != mi &&
                    t->mdc[mi].n_adrg) {
                    snprintf(errstr, errlen, "line %d: ADRGs of %s are not contiguous",
                             line_no, m);
                    goto fail;
                }
                DD_GROW(t->adrgs, t->n_adrg, t->cap_adrg, 512);
                dd_drg_adrg *a = &t->adrgs[t->n_adrg];
                memset(a, 0, sizeof *a);
                memcpy(a->code, code, 4);
                a->kind = kind[0];
                a->mdc = mi;
                a->name = dd_drg_rest(q);
                a->first_rule = t->n_rules;
                a->list_base = t->n_lists;
                if (!t->mdc[mi].n_adrg)
                    t->mdc[mi].first_adrg = t->n_adrg;
                t->mdc[mi].n_adrg++;
                t->n_adrg++;
                sec = SEC_ADRG;
            } else if (!strcmp(name, "drg")) {
                sec = SEC_DRG;
                saw_drg = 1;
            } else if (!strcmp(name, "mcc")) {
                sec = SEC_MCC;
            } else if (!strcmp(name, "cc")) {
                sec = SEC_CC;
            } else if (!strcmp(name, "cce")) {
                sec = SEC_CCE;
            } else if (!strcmp(name, "or")) {
                sec = SEC_OR;
            } else if (!strcmp(name, "dx")) {
                sec = SEC_DX;
            } else if (!strcmp(name, "proc")) {
                sec = SEC_PROC;
            } else {
                snprintf(errstr, errlen, "line %d: unknown section [%s]", line_no, name);
                goto fail;
            }
            continue;
        }
        char *q = line;
        char *tok = dd_drg_tok(&q);
        if (!tok) /* only blanks */
            continue;
        switch (sec) {
        case SEC_NONE:
            snprintf(errstr, errlen, "line %d: entry before any section", line_no);
            goto fail;
        case SEC_MDC: {
            if (t->n_mdc == DD_DRG_MAX_MDC || strlen(tok) != 4 || strncmp(tok, "MDC", 3)) {
                snprintf(errstr, errlen, "line %d: bad MDC entry", line_no);
                goto fail;
            }
            dd_drg_mdc *m = &t->mdc[t->n_mdc];
            memcpy(m->code, tok, 5);
            m->name = dd_drg_rest(q);
            switch (tok[3]) {
            case 'A': t->mdc_a = t->n_mdc; break;
            case 'P': t->mdc_p = t->n_mdc; break;
            case 'Z': t->mdc_z = t->n_mdc; break;
            case 'M': t->mdc_m = t->n_mdc; break;
            case 'N': t->mdc_n = t->n_mdc; break;
            default: break;
            }
            t->n_mdc++;
            break;
        }
        case SEC_MDC_DX:
        case SEC_REGION: {
            int32_t c = dd_drg_intern(t, tok);
            if (c < 0)
                goto oom;
            if (sec == SEC_MDC_DX)
                t->codes[c].mdc_mask |= 1u << cur_mdc;
            else
                t->codes[c].region_mask |= (uint16_t)(1u << (region - 1));
            break;
        }
        case SEC_ADRG: {
            dd_drg_adrg *a = &t->adrgs[t->n_adrg - 1];
            if (!strcmp(tok, "rule")) {
                DD_GROW(t->rules, t->n_rules, t->cap_rules, 512);
                dd_drg_rule *r = &t->rules[t->n_rules++];
                r->first = t->n_conds;
                r->n = 0;
                a->n_rules++;
                char *c;
                while ((c = dd_drg_tok(&q))) {
                    DD_GROW(t->conds, t->n_conds, t->cap_conds, 1024);
                    dd_drg_cond *cd = &t->conds[t->n_conds];
                    memset(cd, 0, sizeof *cd);
                    int n = 0, ok = 1;
                    if (!strncmp(c, "dx=", 3)) {
                        cd->kind = COND_DX;
                        ok = !dd_drg_parse_int(c + 3, &n);
                    } else if (!strncmp(c, "anydx=", 6)) {
                        cd->kind = COND_ANYDX;
                        ok = !dd_drg_parse_int(c + 6, &n);
                    } else if (!strncmp(c, "proc=", 5)) {
                        cd->kind = COND_PROC;
                        ok = !dd_drg_parse_int(c + 5, &n);
                    } else if (!strncmp(c, "hasproc=", 8)) {
                        cd->kind = COND_HASPROC;
                        ok = !dd_drg_parse_int(c + 8, &n);
                    } else if (!strcmp(c, "orproc")) {
                        cd->kind = COND_ORPROC;
                    } else if (!strcmp(c, "noproc")) {
                        cd->kind = COND_NOPROC;
                    } else if (!strcmp(c, "mdcdx")) {
                        cd->kind = COND_MDCDX;
                    } else if (!strncmp(c, "bw=", 3) || !strncmp(c, "days=", 5)) {
                        cd->kind = c[0] == 'b' ? COND_BW : COND_DAYS;
                        char *lo = strchr(c, '=') + 1, *dash = strchr(lo, '-');
                        if (dash)
                            *dash = '\0';
                        ok = dash && !dd_drg_parse_int(lo, &cd->lo) &&
                             !dd_drg_parse_int(dash + 1, &cd->hi) && cd->lo <= cd->hi;
                        if (dash)
                            *dash = '-';
                    } else {
                        ok = 0;
                    }
                    if (!ok) {
                        snprintf(errstr, errlen, "line %d: bad rule condition '%s'", line_no, c);
                        goto fail;
                    }
                    cd->list = (uint32_t)n;
                    t->n_conds++;
                    t->rules[t->n_rules - 1].n++;
                }
                if (!t->rules[t->n_rules - 1].n) {
                    snprintf(errstr, errlen, "line %d: empty rule", line_no);
                    goto fail;
                }
            } else if (!strcmp(tok, "list")) {
                int n;
                if (dd_drg_parse_int(dd_drg_tok(&q), &n) || n != (int)a->n_lists + 1) {
                    snprintf(errstr, errlen, "line %d: lists must be numbered 1, 2, ...",
                             line_no);
                    goto fail;
                }
                a->n_lists++;
                cur_list = ++t->n_lists;
            } else {
                if (!cur_list) {
                    snprintf(errstr, errlen, "line %d: code outside a list", line_no);
                    goto fail;
                }
                int32_t c = dd_drg_intern(t, tok);
                if (c < 0)
                    goto oom;
                DD_GROW(pairs, n_pairs, cap_pairs, 1u << 16);
                pairs[n_pairs].code = (uint32_t)c;
                pairs[n_pairs].list = cur_list - 1;
                n_pairs++;
            }
            break;
        }
        case SEC_DRG: {
            size_t tl = strlen(tok);
            char sfx = tok[tl - 1];
            uint32_t k;
            for (k = 0; tl == 4 && k < t->n_adrg; k++)
                if (!strncmp(t->adrgs[k].code, tok, 3))
                    break;
            if (tl != 4 || k == t->n_adrg || !strchr("1359", sfx)) {
                snprintf(errstr, errlen, "line %d: DRG '%s' of no known ADRG", line_no, tok);
                goto fail;
            }
            t->adrgs[k].suffixes |= 1u << (sfx - '0');
            DD_GROW(t->drgs, t->n_drg, t->cap_drg, 1024);
            memcpy(t->drgs[t->n_drg].code, tok, 5);
            t->drgs[t->n_drg].name = dd_drg_rest(q);
            t->n_drg++;
            break;
        }
        case SEC_MCC:
        case SEC_CC:
        case SEC_CCE: {
            int tab;
            if (dd_drg_parse_int(dd_drg_tok(&q), &tab) || tab < 1 || tab > 65535) {
                snprintf(errstr, errlen, "line %d: expected 'CODE TABLE'", line_no);
                goto fail;
            }
            int32_t c = dd_drg_intern(t, tok);
            if (c < 0)
                goto oom;
            if (sec == SEC_CCE) {
                t->codes[c].cce_table = (uint16_t)tab;
                t->stats.n_cce++;
            } else {
                t->codes[c].sev = sec == SEC_MCC ? 1 : 3;
                t->codes[c].sev_table = (uint16_t)tab;
                if (sec == SEC_MCC)
                    t->stats.n_mcc++;
                else
                    t->stats.n_cc++;
            }
            break;
        }
        case SEC_OR:
        case SEC_DX:
        case SEC_PROC: {
            int32_t c = dd_drg_intern(t, tok);
            if (c < 0)
                goto oom;
            if (sec == SEC_OR) {
                t->codes[c].flags |= CF_OR;
                t->stats.n_or_proc++;
            } else {
                t->codes[c].flags |= sec == SEC_DX ? CF_DX : CF_PROC;
                t->codes[c].name = dd_drg_rest(q);
                if (sec == SEC_DX)
                    t->stats.n_dx++;
                else
                    t->stats.n_proc++;
            }
            break;
        }
        }
    }
    if (sec == SEC_ADRG && dd_drg_close_adrg(t, errstr, errlen, line_no))
        goto fail;
    if (t->n_mdc == 0 || t->n_adrg == 0 || !saw_drg) {
        snprintf(errstr, errlen, "line %d: missing [mdc], [adrg] or [drg] sections", line_no);
        goto fail;
    }
    for (uint32_t k = 0; k < t->n_adrg; k++)
        if (!t->adrgs[k].suffixes) {
            snprintf(errstr, errlen, "ADRG %s has no DRG in [drg]", t->adrgs[k].code);
            goto fail;
        }

    /* Inverted index: for each code the sorted ids of the lists holding it. */
    qsort(pairs, n_pairs, sizeof *pairs, dd_drg_pair_cmp);
    t->code_lists = malloc((n_pairs ? n_pairs : 1) * sizeof *t->code_lists);
    if (!t->code_lists)
        goto oom;
    for (uint32_t i = 0; i < n_pairs; i++) {
        dd_drg_code *c = &t->codes[pairs[i].code];
        if (!c->lists_n)
            c->lists_off = i;
        c->lists_n++;
        t->code_lists[i] = pairs[i].list;
    }
    free(pairs);
    t->stats.n_mdc = t->n_mdc;
    t->stats.n_adrg = (int)t->n_adrg;
    t->stats.n_drg = (int)t->n_drg;
    return t;
oom:
    snprintf(errstr, errlen, "out of memory");
fail:
    free(pairs);
    dd_drg_tables_destroy(t);
    return NULL;
}

void dd_drg_tables_destroy(dd_drg_tables *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->codes);
    free(t->slots);
    free(t->code_lists);
    free(t->adrgs);
    free(t->rules);
    free(t->conds);
    free(t->drgs);
    free(t);
}

void dd_drg_tables_stats(const dd_drg_tables *t, dd_drg_table_stats *out)
{
    *out = t->stats;
}

const char *dd_drg_name(const dd_drg_tables *t, const char *code)
{
    if (!code)
        return NULL;
    size_t n = strlen(code);
    if (n == 4 && !strncmp(code, "MDC", 3)) {
        int i = dd_drg_mdc_index(t, code);
        return i < 0 ? NULL : t->mdc[i].name;
    }
    if (n == 3) {
        for (uint32_t k = 0; k < t->n_adrg; k++)
            if (!strcmp(t->adrgs[k].code, code))
                return t->adrgs[k].name;
    } else if (n == 4) {
        for (uint32_t k = 0; k < t->n_drg; k++)
            if (!strcmp(t->drgs[k].code, code))
                return t->drgs[k].name;
    }
    return NULL;
}

const char *dd_group_status_name(dd_group_status s)
{
    switch (s) {
    case DD_GROUP_SUCCESS: return "SUCCESS";
    case DD_GROUP_FAIL: return "FAIL";
    case DD_GROUP_INVALID: return "INVALID";
    }
    return "?";
}

size_t dd_drg_warnings_format(unsigned warnings, char *buf, size_t cap)
{
    static const char *const names[] = {"UNKNOWN_SECONDARY", "UNKNOWN_PROCEDURE",
                                        "SEX_INCONSISTENT", "UNRELATED_OR_PROCEDURE"};
    size_t n = 0;
    if (cap)
        buf[0] = '\0';
    for (int i = 0; i < 4; i++) {
        if (!(warnings & (1u << i)))
            continue;
        int w = snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, "%s%s",
                         n ? "," : "", names[i]);
        n += (size_t)w;
    }
    return n;
}

/* ---------------------------------------------------------------- grouping */

/* One case's codes, looked up once. */
typedef struct {
    const dd_drg_tables *t;
    const dd_drg_input *in;
    int32_t dx;                    /* principal */
    int32_t other[DD_DRG_CACHE];   /* secondaries (-1 unknown) */
    int32_t proc[DD_DRG_CACHE];    /* procedures (-1 unknown) */
    int n_other, n_proc;           /* cached counts */
    char *path;
    size_t path_len;
} dd_drg_ctx;

static int32_t dd_drg_other(const dd_drg_ctx *x, int i)
{
    return i < DD_DRG_CACHE ? x->other[i] : dd_drg_find(x->t, x->in->other_dx[i]);
}

static int32_t dd_drg_proc(const dd_drg_ctx *x, int i)
{
    return i < DD_DRG_CACHE ? x->proc[i] : dd_drg_find(x->t, x->in->procedures[i]);
}

static int dd_drg_in_list(const dd_drg_tables *t, int32_t code, uint32_t list)
{
    if (code < 0)
        return 0;
    const dd_drg_code *c = &t->codes[code];
    const uint32_t *l = t->code_lists + c->lists_off;
    uint32_t lo = 0, hi = c->lists_n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (l[mid] < list)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->lists_n && l[lo] == list;
}

static void dd_drg_trace(dd_drg_ctx *x, const char *a, const char *b)
{
    const char *parts[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        const char *s = parts[k];
        if (!s)
            continue;
        size_t n = strlen(s);
        if (x->path_len + n + 1 > sizeof ((dd_drg_result *)0)->path)
            n = sizeof ((dd_drg_result *)0)->path - 1 - x->path_len;
        memcpy(x->path + x->path_len, s, n);
        x->path_len += n;
        x->path[x->path_len] = '\0';
    }
}

static int dd_drg_cond_holds(const dd_drg_ctx *x, const dd_drg_adrg *a, const dd_drg_cond *c)
{
    const dd_drg_tables *t = x->t;
    const dd_drg_input *in = x->in;
    int32_t main_proc = x->n_proc ? x->proc[0] : -1;
    switch (c->kind) {
    case COND_DX:
        return dd_drg_in_list(t, x->dx, c->list);
    case COND_ANYDX:
        if (dd_drg_in_list(t, x->dx, c->list))
            return 1;
        for (int i = 0; i < in->n_other_dx; i++)
            if (dd_drg_in_list(t, dd_drg_other(x, i), c->list))
                return 1;
        return 0;
    case COND_PROC:
        return dd_drg_in_list(t, main_proc, c->list);
    case COND_HASPROC:
        for (int i = 0; i < in->n_procedures; i++)
            if (dd_drg_in_list(t, dd_drg_proc(x, i), c->list))
                return 1;
        return 0;
    case COND_ORPROC:
        return main_proc >= 0 && (t->codes[main_proc].flags & CF_OR);
    case COND_NOPROC:
        for (int i = 0; i < in->n_procedures; i++) {
            int32_t pc = dd_drg_proc(x, i);
            if (pc >= 0 && (t->codes[pc].flags & CF_OR))
                return 0;
        }
        return 1;
    case COND_BW:
        return in->nwb_bir_wt >= c->lo && in->nwb_bir_wt <= c->hi;
    case COND_DAYS:
        return in->age_days >= c->lo && in->age_days <= c->hi;
    case COND_MDCDX:
        return x->dx >= 0 && (t->codes[x->dx].mdc_mask >> a->mdc & 1);
    }
    return 0;
}

static int dd_drg_adrg_matches(const dd_drg_ctx *x, const dd_drg_adrg *a)
{
    const dd_drg_tables *t = x->t;
    for (uint32_t r = a->first_rule; r < a->first_rule + a->n_rules; r++) {
        const dd_drg_rule *rule = &t->rules[r];
        uint32_t c;
        for (c = rule->first; c < rule->first + rule->n; c++)
            if (!dd_drg_cond_holds(x, a, &t->conds[c]))
                break;
        if (c == rule->first + rule->n)
            return 1;
    }
    return 0;
}

/* Tries an MDC's ADRGs: surgical, then non-OR procedure, then medical. */
static const dd_drg_adrg *dd_drg_try_mdc(const dd_drg_ctx *x, int mdc)
{
    const dd_drg_tables *t = x->t;
    const dd_drg_mdc *m = &t->mdc[mdc];
    static const char kinds[3] = {'S', 'O', 'M'};
    for (int k = 0; k < 3; k++)
        for (uint32_t i = m->first_adrg; i < m->first_adrg + m->n_adrg; i++) {
            const dd_drg_adrg *a = &t->adrgs[i];
            if (a->kind == kinds[k] && dd_drg_adrg_matches(x, a))
                return a;
        }
    return NULL;
}

static void dd_drg_none(dd_drg_result *out, dd_group_status s, const char *reason)
{
    out->status = s;
    out->mdc[0] = '\0';
    memcpy(out->adrg, "00", 3);
    memcpy(out->drg, "0000", 5);
    out->severity = 0;
    out->reason = reason;
}

void dd_drg_group(const dd_drg_tables *t, const dd_drg_input *in, dd_drg_result *out)
{
    dd_drg_ctx x;
    x.t = t;
    x.in = in;
    x.path = out->path;
    x.path_len = 0;
    out->path[0] = '\0';
    out->warnings = 0;

    if (in->gend != 1 && in->gend != 2) {
        dd_drg_none(out, DD_GROUP_INVALID, "INVALID_SEX");
        return;
    }
    if (in->age < 0) {
        dd_drg_none(out, DD_GROUP_INVALID, "INVALID_AGE");
        return;
    }
    if (in->age == 0 && in->age_days < 0) {
        dd_drg_none(out, DD_GROUP_INVALID, "INVALID_AGE_DAYS");
        return;
    }
    int newborn = in->age == 0 && in->age_days <= 28;
    if (newborn && in->nwb_bir_wt < 0) {
        dd_drg_none(out, DD_GROUP_INVALID, "INVALID_BIRTH_WEIGHT");
        return;
    }

    x.dx = dd_drg_find(t, in->main_dx);
    x.n_other = in->n_other_dx < DD_DRG_CACHE ? in->n_other_dx : DD_DRG_CACHE;
    for (int i = 0; i < in->n_other_dx; i++) {
        int32_t c = dd_drg_find(t, in->other_dx[i]);
        if (i < DD_DRG_CACHE)
            x.other[i] = c;
        if (c < 0)
            out->warnings |= DD_DRG_WARN_UNKNOWN_SECONDARY;
    }
    x.n_proc = in->n_procedures < DD_DRG_CACHE ? in->n_procedures : DD_DRG_CACHE;
    for (int i = 0; i < in->n_procedures; i++) {
        int32_t c = dd_drg_find(t, in->procedures[i]);
        if (i < DD_DRG_CACHE)
            x.proc[i] = c;
        if (c < 0)
            out->warnings |= DD_DRG_WARN_UNKNOWN_PROCEDURE;
    }
    int32_t main_proc = x.n_proc ? x.proc[0] : -1;
    int main_is_or = main_proc >= 0 && (t->codes[main_proc].flags & CF_OR);
    uint32_t dx_mask = x.dx >= 0 ? t->codes[x.dx].mdc_mask : 0;

    if (t->mdc_m >= 0 && (dx_mask >> t->mdc_m & 1) && in->gend == 2)
        out->warnings |= DD_DRG_WARN_SEX_INCONSISTENT;
    if (t->mdc_n >= 0 && (dx_mask >> t->mdc_n & 1) && in->gend == 1)
        out->warnings |= DD_DRG_WARN_SEX_INCONSISTENT;

    const dd_drg_adrg *hit = NULL;
    int any_mdc = 0, sex_skipped = 0;
    for (int m = 0; m < t->n_mdc && !hit; m++) {
        if (m == t->mdc_a) {
            if (!main_is_or)
                continue;
        } else {
            if (!(dx_mask >> m & 1))
                continue;
            if (m == t->mdc_p && in->age != 0)
                continue;
            if ((m == t->mdc_m && in->gend != 1) || (m == t->mdc_n && in->gend != 2)) {
                sex_skipped = 1;
                continue;
            }
            if (m == t->mdc_z) {
                uint16_t regions = t->codes[x.dx].region_mask;
                if (!regions)
                    continue;
                for (int i = 0; i < in->n_other_dx; i++) {
                    int32_t c = dd_drg_other(&x, i);
                    if (c >= 0)
                        regions |= t->codes[c].region_mask;
                }
                if (__builtin_popcount(regions) < 2)
                    continue;
            }
            any_mdc = 1;
        }
        hit = dd_drg_try_mdc(&x, m);
        dd_drg_trace(&x, t->mdc[m].code, hit ? ":" : ":no;");
    }
    if (!hit) {
        const char *reason = x.dx < 0 ? "UNKNOWN_MAIN_DX"
                             : any_mdc ? "NO_ADRG_MATCHED"
                             : sex_skipped ? "MDC_SEX_MISMATCH"
                                           : "NO_MDC_FOR_MAIN_DX";
        dd_drg_none(out, DD_GROUP_FAIL, reason);
        return;
    }
    if (hit->kind != 'S' && main_is_or)
        out->warnings |= DD_DRG_WARN_UNRELATED_OR_PROCEDURE;
    dd_drg_trace(&x, hit->code, NULL);

    /* Severity: the worst secondary MCC/CC not excluded by the principal. */
    int sev = 5;
    int32_t sev_code = -1;
    uint16_t pt = x.dx >= 0 ? t->codes[x.dx].cce_table : 0;
    for (int i = 0; i < in->n_other_dx && sev > 1; i++) {
        int32_t c = dd_drg_other(&x, i);
        if (c < 0 || !t->codes[c].sev)
            continue;
        if (pt && t->codes[c].sev_table == pt)
            continue;
        if (t->codes[c].sev < sev) {
            sev = t->codes[c].sev;
            sev_code = c;
        }
    }
    unsigned have = hit->suffixes;
    int sfx;
    if (have == 1u << 9)
        sfx = 9;
    else if (sev == 1 && (have & 1u << 1))
        sfx = 1;
    else if (sev <= 3 && (have & 1u << 3))
        sfx = 3;
    else if (have & 1u << 5)
        sfx = 5;
    else
        sfx = (have & 1u << 3) ? 3 : (have & 1u << 1) ? 1 : 9;
    if (sfx != 9 && sev_code >= 0)
        dd_drg_trace(&x, sev == 1 ? ";MCC " : ";CC ", t->codes[sev_code].code);

    out->status = DD_GROUP_SUCCESS;
    memcpy(out->mdc, t->mdc[hit->mdc].code, 5);
    memcpy(out->adrg, hit->code, 4);
    memcpy(out->drg, hit->code, 3);
    out->drg[3] = (char)('0' + sfx);
    out->drg[4] = '\0';
    out->severity = sfx;
    out->reason = "OK";
}
