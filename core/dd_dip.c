/*
 * dd_dip — DIP library parser and grouper (contract in dd_dip.h).
 *
 * Layout: groups live in one array (pointers handed out stay valid for the
 * library's life); each group's procedure terms and their alternatives are
 * slices of flat arrays over one string pool. Two sorted indexes serve the
 * prefix lookups: CORE/BASIC by (main_dx, dip_code) and COMPREHENSIVE by
 * (main_dx, class, dip_code); index keys are main_dx packed into two
 * big-endian words, so the searches compare integers, not strings. Grouping
 * walks the principal diagnosis's prefixes from the longest down (only the
 * lengths some main_dx has), binary-searching each, so it costs
 * O(len(main_dx) × log n) plus the candidates it inspects, and allocates
 * nothing. The explanation text (path) is formatted only on request
 * (dd_dip_group, or dd_dip_group_ex with DD_DIP_WANT_PATH).
 */
#include "dd_dip.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIP_CODE_MAX 15     /* dd_dip_entry.code / main_dx capacity - 1 */
#define DIP_PROC_CODE_MAX 31
#define DIP_SCORE_MAX 10000000000LL          /* 1,000,000.0000 */
#define DIP_REF_COST_MAX 10000000000LL       /* 100,000,000.00 yuan (SPEC §11 amounts) */

/* ------------------------------------------------------------------ names */

static const char *const class_names[4] = {"保守治疗", "诊断性操作", "治疗性操作", "相关手术"};

const char *dd_dip_class_name(dd_dip_class c)
{
    if (c >= DD_DIP_CLASS_CONSERVATIVE && c <= DD_DIP_CLASS_SURGERY)
        return class_names[c];
    return "";
}

const char *dd_dip_kind_name(dd_dip_kind k)
{
    switch (k) {
    case DD_DIP_CORE:
        return "CORE";
    case DD_DIP_BASIC:
        return "BASIC";
    case DD_DIP_COMPREHENSIVE:
        return "COMPREHENSIVE";
    }
    return "";
}

/* ---------------------------------------------------------------- helpers */

static void seterr(char *errstr, size_t errlen, const char *fmt, ...)
{
    if (!errstr || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errlen, fmt, ap);
    va_end(ap);
}

/* Line reader over a buffer: strips an optional UTF-8 BOM (first line) and a
 * trailing CR; the last line may lack its newline. */
typedef struct {
    const char *p, *end;
    int line;
} line_reader;

static void lr_init(line_reader *lr, const char *buf, size_t len)
{
    lr->p = buf ? buf : "";
    lr->end = lr->p + (buf ? len : 0);
    lr->line = 0;
    if (lr->end - lr->p >= 3 && (unsigned char)lr->p[0] == 0xEF &&
        (unsigned char)lr->p[1] == 0xBB && (unsigned char)lr->p[2] == 0xBF)
        lr->p += 3;
}

static int lr_next(line_reader *lr, const char **s, size_t *n)
{
    if (lr->p >= lr->end)
        return 0;
    const char *nl = memchr(lr->p, '\n', (size_t)(lr->end - lr->p));
    const char *e = nl ? nl : lr->end;
    *s = lr->p;
    *n = (size_t)(e - lr->p);
    if (*n && (*s)[*n - 1] == '\r')
        (*n)--;
    lr->p = nl ? nl + 1 : lr->end;
    lr->line++;
    return 1;
}

static int has_space_or_ctl(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return 1;
    return 0;
}

/* Unsigned decimal "12", "12.3456" with at most max_dec decimals, scaled by
 * 10^scale (max_dec <= scale); -1 on any other form or when above `max`. */
static int parse_dec(const char *s, size_t n, int max_dec, int scale, int64_t max,
                     int64_t *out)
{
    int64_t v = 0;
    int dec = 0, point = 0;
    if (!n || s[0] < '0' || s[0] > '9')
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (point)
                return -1;
            point = 1;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (point && ++dec > max_dec)
            return -1;
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (point && !dec)
        return -1;
    for (; dec < scale; dec++) {
        if (v > INT64_MAX / 10)
            return -1;
        v *= 10;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

/* ------------------------------------------------------- procedure classes */

typedef struct {
    char code[DIP_PROC_CODE_MAX + 1];
    dd_dip_class cls;
} class_entry;

struct dd_dip_classes {
    class_entry *v;
    int n;
    int skipped; /* lines without a code (the shipped file has some) */
};

static int class_entry_cmp(const void *a, const void *b)
{
    return strcmp(((const class_entry *)a)->code, ((const class_entry *)b)->code);
}

/* Class word of the procedure-category file -> DIP class (SPEC §4). */
static int class_from_category(const char *s, size_t n, dd_dip_class *out)
{
    static const struct {
        const char *word;
        dd_dip_class cls;
    } map[] = {
        {"手术", DD_DIP_CLASS_SURGERY},
        {"相关手术", DD_DIP_CLASS_SURGERY},
        {"介入治疗", DD_DIP_CLASS_THERAPEUTIC},
        {"治疗性操作", DD_DIP_CLASS_THERAPEUTIC},
        {"诊断性操作", DD_DIP_CLASS_DIAGNOSTIC},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i].word) == n && !memcmp(map[i].word, s, n)) {
            *out = map[i].cls;
            return 0;
        }
    return -1;
}

dd_dip_classes *dd_dip_classes_new(const char *buf, size_t len, char *errstr, size_t errlen)
{
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += buf[i] == '\n';
    dd_dip_classes *c = calloc(1, sizeof *c);
    if (!c || !(c->v = malloc(cap * sizeof *c->v))) {
        free(c);
        seterr(errstr, errlen, "out of memory");
        return NULL;
    }
    line_reader lr;
    lr_init(&lr, buf, len);
    const char *s;
    size_t n;
    while (lr_next(&lr, &s, &n)) {
        size_t i = 0;
        if (!n || s[0] == '#')
            continue;
        if (s[0] == ' ' || s[0] == '\t') {
            /* a class with no code: nothing to attach it to */
            c->skipped++;
            continue;
        }
        while (i < n && s[i] != ' ' && s[i] != '\t')
            i++;
        size_t code_len = i;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        size_t w0 = i;
        while (i < n && s[i] != ' ' && s[i] != '\t')
            i++;
        size_t w1 = i;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i < n) {
            seterr(errstr, errlen, "line %d: expected `code class`", lr.line);
            goto fail;
        }
        if (code_len > DIP_PROC_CODE_MAX) {
            seterr(errstr, errlen, "line %d: procedure code longer than %d characters", lr.line,
                   DIP_PROC_CODE_MAX);
            goto fail;
        }
        dd_dip_class cls = DD_DIP_CLASS_NONE;
        if (w1 > w0 && class_from_category(s + w0, w1 - w0, &cls)) {
            seterr(errstr, errlen, "line %d: unknown procedure class '%.*s'", lr.line,
                   (int)(w1 - w0), s + w0);
            goto fail;
        }
        class_entry *e = &c->v[c->n++];
        memcpy(e->code, s, code_len);
        e->code[code_len] = '\0';
        e->cls = cls;
    }
    qsort(c->v, (size_t)c->n, sizeof *c->v, class_entry_cmp);
    /* identical repeats are harmless; a code with two classes is not */
    int w = 0;
    for (int i = 0; i < c->n; i++) {
        if (w && !strcmp(c->v[w - 1].code, c->v[i].code)) {
            if (c->v[w - 1].cls != c->v[i].cls) {
                seterr(errstr, errlen, "procedure %s has two different classes", c->v[i].code);
                goto fail;
            }
            continue;
        }
        c->v[w++] = c->v[i];
    }
    c->n = w;
    return c;
fail:
    dd_dip_classes_destroy(c);
    return NULL;
}

void dd_dip_classes_destroy(dd_dip_classes *c)
{
    if (!c)
        return;
    free(c->v);
    free(c);
}

dd_dip_class dd_dip_classes_lookup(const dd_dip_classes *c, const char *code)
{
    if (!c || !code)
        return DD_DIP_CLASS_NONE;
    int lo = 0, hi = c->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int r = strcmp(c->v[mid].code, code);
        if (!r)
            return c->v[mid].cls;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return DD_DIP_CLASS_NONE;
}

int dd_dip_classes_count(const dd_dip_classes *c)
{
    return c ? c->n : 0;
}

int dd_dip_classes_skipped(const dd_dip_classes *c)
{
    return c ? c->skipped : 0;
}

/* ---------------------------------------------------------------- library */

typedef struct {
    uint32_t off; /* into the pool */
    uint32_t len;
} alt_ref;

typedef struct {
    uint32_t alt0;
    uint32_t n_alts;
} term_ref;

typedef struct {
    uint32_t term0;
    uint32_t n_terms;
    uint32_t mdx_len;
    int line; /* in the CSV, for error messages */
} group_aux;

/* The index key: main_dx zero-padded to 16 bytes as two big-endian words,
 * so that comparing (k0, k1, length) orders like memcmp-then-length and the
 * binary search needs no memcmp call. main_dx is at most 15 characters. */
typedef struct {
    uint64_t k0, k1;
} mdx_key;

typedef struct {
    mdx_key k;
    const dd_dip_entry *g;
    uint32_t gi;
    uint32_t mdx_len;
} index_entry;

struct dd_dip_library {
    dd_dip_entry *groups;
    group_aux *aux;
    int n;
    term_ref *terms;
    uint32_t n_terms;
    alt_ref *alts;
    uint32_t n_alts;
    char *pool;
    size_t pool_len;
    index_entry *cb; /* CORE + BASIC, by main_dx then code */
    int n_cb;
    index_entry *comp; /* COMPREHENSIVE, by main_dx, class, code */
    int n_comp;
    size_t max_mdx_cb, max_mdx_comp;
    /* bit L set when some entry's main_dx has L characters (L < 64): the
     * grouper skips prefix lengths no entry can match */
    uint64_t lens_cb, lens_comp;
    int64_t lowest_score;
    int n_kind[3];
    const dd_dip_classes *classes;
};

/* Length bit for the lens_* masks; lengths >= 64 (never: main_dx is at most
 * 15 characters) map to bit 63, which the grouper treats as "may match". */
static uint64_t len_bit(size_t len)
{
    return (uint64_t)1 << (len < 63 ? len : 63);
}

static uint64_t load_be64(const unsigned char *p)
{
    /* written out so that compilers turn it into one load + bswap */
    return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
           (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
           (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

/* Key of s[0..n) (n <= 16; longer is cut, which the callers never need). */
static mdx_key mdx_key_of(const char *s, size_t n)
{
    unsigned char b[16] = {0};
    memcpy(b, s, n < 16 ? n : 16);
    mdx_key k = {load_be64(b), load_be64(b + 8)};
    return k;
}

static int index_cmp(const void *a, const void *b)
{
    const index_entry *x = a, *y = b;
    /* main_dx: the key order is strcmp's (no NUL inside a main_dx) */
    if (x->k.k0 != y->k.k0)
        return x->k.k0 < y->k.k0 ? -1 : 1;
    if (x->k.k1 != y->k.k1)
        return x->k.k1 < y->k.k1 ? -1 : 1;
    if (x->mdx_len != y->mdx_len)
        return x->mdx_len < y->mdx_len ? -1 : 1;
    if (x->g->comp_class != y->g->comp_class)
        return x->g->comp_class < y->g->comp_class ? -1 : 1;
    return strcmp(x->g->code, y->g->code);
}

enum { COL_CODE, COL_NAME, COL_MDX, COL_PROC, COL_SCORE, COL_REF, COL_KIND, N_COLS };
static const char *const col_names[N_COLS] = {"dip_code", "name", "main_dx", "procedures",
                                              "score", "ref_cost", "kind"};

#define MAX_FIELDS 32

/* Split on ','; returns the field count, or -1 beyond MAX_FIELDS. */
static int split_fields(const char *s, size_t n, const char **f, size_t *fl)
{
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ',') {
            if (k == MAX_FIELDS)
                return -1;
            f[k] = s + start;
            fl[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    return k;
}

static int field_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && !memcmp(s, word, n);
}

/* Copy a display name, cut at a UTF-8 character boundary when too long. */
static void copy_name(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap) {
        n = cap - 1;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Parse `a/b+c` into terms and alternatives appended to the library. */
static int parse_procedures(dd_dip_library *lib, group_aux *ax, const char *s, size_t n,
                            int line, char *errstr, size_t errlen)
{
    ax->term0 = lib->n_terms;
    ax->n_terms = 0;
    if (!n)
        return 0;
    if (has_space_or_ctl(s, n)) {
        seterr(errstr, errlen, "line %d: procedures contain a space", line);
        return -1;
    }
    size_t i = 0;
    while (i <= n) {
        term_ref *t = &lib->terms[lib->n_terms++];
        t->alt0 = lib->n_alts;
        t->n_alts = 0;
        ax->n_terms++;
        for (;;) {
            size_t j = i;
            while (j < n && s[j] != '/' && s[j] != '+')
                j++;
            if (j == i) {
                seterr(errstr, errlen, "line %d: empty procedure alternative in '%.*s'", line,
                       (int)n, s);
                return -1;
            }
            if (j - i > DIP_PROC_CODE_MAX) {
                seterr(errstr, errlen, "line %d: procedure '%.*s' too long", line, (int)(j - i),
                       s + i);
                return -1;
            }
            alt_ref *a = &lib->alts[lib->n_alts++];
            a->off = (uint32_t)lib->pool_len;
            a->len = (uint32_t)(j - i);
            memcpy(lib->pool + lib->pool_len, s + i, j - i);
            lib->pool_len += j - i;
            lib->pool[lib->pool_len++] = '\0';
            t->n_alts++;
            i = j + 1;
            if (j == n)
                return 0;
            if (s[j] == '+')
                break;
        }
    }
    return 0;
}

static int parse_row(dd_dip_library *lib, const int *col, const char **f, const size_t *fl,
                     int line, char *errstr, size_t errlen)
{
    dd_dip_entry *g = &lib->groups[lib->n];
    group_aux *ax = &lib->aux[lib->n];
    memset(g, 0, sizeof *g);
    const char *s;
    size_t n;

    s = f[col[COL_CODE]], n = fl[col[COL_CODE]];
    if (!n || n > DIP_CODE_MAX || has_space_or_ctl(s, n)) {
        seterr(errstr, errlen, "line %d: dip_code must be 1..%d characters without spaces",
               line, DIP_CODE_MAX);
        return -1;
    }
    memcpy(g->code, s, n);

    s = f[col[COL_NAME]], n = fl[col[COL_NAME]];
    copy_name(g->name, sizeof g->name, s, n);

    s = f[col[COL_MDX]], n = fl[col[COL_MDX]];
    if (!n || n > DIP_CODE_MAX || has_space_or_ctl(s, n)) {
        seterr(errstr, errlen, "line %d: main_dx must be 1..%d characters without spaces", line,
               DIP_CODE_MAX);
        return -1;
    }
    memcpy(g->main_dx, s, n);
    ax->mdx_len = (uint32_t)n;

    s = f[col[COL_KIND]], n = fl[col[COL_KIND]];
    if (field_is(s, n, "CORE"))
        g->kind = DD_DIP_CORE;
    else if (field_is(s, n, "BASIC"))
        g->kind = DD_DIP_BASIC;
    else if (field_is(s, n, "COMPREHENSIVE"))
        g->kind = DD_DIP_COMPREHENSIVE;
    else {
        seterr(errstr, errlen, "line %d: unknown kind '%.*s' (CORE, BASIC or COMPREHENSIVE)",
               line, (int)n, s);
        return -1;
    }

    s = f[col[COL_SCORE]], n = fl[col[COL_SCORE]];
    if (parse_dec(s, n, 4, 4, DIP_SCORE_MAX, &g->score_e4) || g->score_e4 <= 0) {
        seterr(errstr, errlen,
               "line %d: bad score '%.*s' (a positive decimal, at most 4 decimals)", line,
               (int)n, s);
        return -1;
    }
    s = f[col[COL_REF]], n = fl[col[COL_REF]];
    if (parse_dec(s, n, 2, 2, DIP_REF_COST_MAX, &g->ref_cost_fen) || g->ref_cost_fen <= 0) {
        seterr(errstr, errlen,
               "line %d: bad ref_cost '%.*s' (positive yuan, at most 2 decimals)", line, (int)n,
               s);
        return -1;
    }

    s = f[col[COL_PROC]], n = fl[col[COL_PROC]];
    g->comp_class = DD_DIP_CLASS_NONE;
    if (g->kind == DD_DIP_COMPREHENSIVE) {
        ax->term0 = lib->n_terms;
        ax->n_terms = 0;
        for (int c = DD_DIP_CLASS_CONSERVATIVE; c <= DD_DIP_CLASS_SURGERY; c++)
            if (field_is(s, n, class_names[c]))
                g->comp_class = (dd_dip_class)c;
        if (g->comp_class == DD_DIP_CLASS_NONE) {
            seterr(errstr, errlen,
                   "line %d: a COMPREHENSIVE group's procedures must be 保守治疗, 诊断性操作, "
                   "治疗性操作 or 相关手术, not '%.*s'",
                   line, (int)n, s);
            return -1;
        }
    } else if (parse_procedures(lib, ax, s, n, line, errstr, errlen)) {
        return -1;
    }
    return 0;
}

void dd_dip_library_destroy(dd_dip_library *lib)
{
    if (!lib)
        return;
    free(lib->groups);
    free(lib->aux);
    free(lib->terms);
    free(lib->alts);
    free(lib->pool);
    free(lib->cb);
    free(lib->comp);
    free(lib);
}

typedef struct {
    const char *code;
    int line;
} code_line;

static int code_line_cmp(const void *a, const void *b)
{
    const code_line *x = a, *y = b;
    int r = strcmp(x->code, y->code);
    return r ? r : (x->line > y->line) - (x->line < y->line);
}

dd_dip_library *dd_dip_library_new(const char *csv, size_t len, const dd_dip_classes *classes,
                                   char *errstr, size_t errlen)
{
    /* upper bounds for the flat arrays, from one scan of the text */
    size_t lines = 1, pluses = 0, slashes = 0;
    for (size_t i = 0; i < len; i++) {
        lines += csv[i] == '\n';
        pluses += csv[i] == '+';
        slashes += csv[i] == '/';
    }
    if (len > 0xFFFFFFF0u) {
        seterr(errstr, errlen, "library too large");
        return NULL;
    }
    dd_dip_library *lib = calloc(1, sizeof *lib);
    if (!lib) {
        seterr(errstr, errlen, "out of memory");
        return NULL;
    }
    lib->classes = classes;
    lib->groups = calloc(lines, sizeof *lib->groups);
    lib->aux = calloc(lines, sizeof *lib->aux);
    lib->terms = calloc(lines + pluses, sizeof *lib->terms);
    lib->alts = calloc(lines + pluses + slashes, sizeof *lib->alts);
    lib->pool = malloc(len + lines + 1);
    code_line *codes = calloc(lines, sizeof *codes);
    if (!lib->groups || !lib->aux || !lib->terms || !lib->alts || !lib->pool || !codes) {
        seterr(errstr, errlen, "out of memory");
        goto fail;
    }

    line_reader lr;
    lr_init(&lr, csv, len);
    const char *s, *f[MAX_FIELDS];
    size_t n, fl[MAX_FIELDS];
    int col[N_COLS], n_header = 0;
    if (!lr_next(&lr, &s, &n)) {
        seterr(errstr, errlen, "line 1: empty file (need the header %s,%s,%s,%s,%s,%s,%s)",
               col_names[0], col_names[1], col_names[2], col_names[3], col_names[4],
               col_names[5], col_names[6]);
        goto fail;
    }
    n_header = split_fields(s, n, f, fl);
    for (int c = 0; c < N_COLS; c++) {
        col[c] = -1;
        for (int k = 0; k < n_header; k++)
            if (field_is(f[k], fl[k], col_names[c])) {
                if (col[c] >= 0) {
                    seterr(errstr, errlen, "line 1: column %s appears twice", col_names[c]);
                    goto fail;
                }
                col[c] = k;
            }
        if (col[c] < 0) {
            seterr(errstr, errlen,
                   "line 1: header must name dip_code,name,main_dx,procedures,score,ref_cost,"
                   "kind (no column %s)",
                   col_names[c]);
            goto fail;
        }
    }
    while (lr_next(&lr, &s, &n)) {
        if (!n)
            continue;
        int k = split_fields(s, n, f, fl);
        if (k != n_header) {
            seterr(errstr, errlen, "line %d: %d fields, the header has %d", lr.line,
                   k < 0 ? MAX_FIELDS + 1 : k, n_header);
            goto fail;
        }
        if (parse_row(lib, col, f, fl, lr.line, errstr, errlen))
            goto fail;
        lib->aux[lib->n].line = lr.line;
        codes[lib->n].code = lib->groups[lib->n].code;
        codes[lib->n].line = lr.line;
        lib->n++;
    }

    /* duplicate dip_code check */
    qsort(codes, (size_t)lib->n, sizeof *codes, code_line_cmp);
    for (int i = 1; i < lib->n; i++)
        if (!strcmp(codes[i - 1].code, codes[i].code)) {
            seterr(errstr, errlen, "line %d: dip_code %s already on line %d", codes[i].line,
                   codes[i].code, codes[i - 1].line);
            goto fail;
        }

    /* indexes and summary figures */
    lib->cb = calloc((size_t)lib->n + 1, sizeof *lib->cb);
    lib->comp = calloc((size_t)lib->n + 1, sizeof *lib->comp);
    if (!lib->cb || !lib->comp) {
        seterr(errstr, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < lib->n; i++) {
        const dd_dip_entry *g = &lib->groups[i];
        index_entry e = {mdx_key_of(g->main_dx, lib->aux[i].mdx_len), g, (uint32_t)i,
                         lib->aux[i].mdx_len};
        if (g->kind == DD_DIP_COMPREHENSIVE) {
            lib->comp[lib->n_comp++] = e;
            if (e.mdx_len > lib->max_mdx_comp)
                lib->max_mdx_comp = e.mdx_len;
            lib->lens_comp |= len_bit(e.mdx_len);
        } else {
            lib->cb[lib->n_cb++] = e;
            if (e.mdx_len > lib->max_mdx_cb)
                lib->max_mdx_cb = e.mdx_len;
            lib->lens_cb |= len_bit(e.mdx_len);
        }
        lib->n_kind[g->kind]++;
        if (!i || g->score_e4 < lib->lowest_score)
            lib->lowest_score = g->score_e4;
    }
    qsort(lib->cb, (size_t)lib->n_cb, sizeof *lib->cb, index_cmp);
    qsort(lib->comp, (size_t)lib->n_comp, sizeof *lib->comp, index_cmp);
    free(codes);
    return lib;
fail:
    free(codes);
    dd_dip_library_destroy(lib);
    return NULL;
}

int dd_dip_library_count(const dd_dip_library *lib)
{
    return lib ? lib->n : 0;
}

int dd_dip_library_count_kind(const dd_dip_library *lib, dd_dip_kind kind)
{
    if (!lib || kind < DD_DIP_CORE || kind > DD_DIP_COMPREHENSIVE)
        return 0;
    return lib->n_kind[kind];
}

int64_t dd_dip_library_lowest_score(const dd_dip_library *lib)
{
    return lib && lib->n ? lib->lowest_score : 0;
}

const dd_dip_entry *dd_dip_library_get(const dd_dip_library *lib, int i)
{
    if (!lib || i < 0 || i >= lib->n)
        return NULL;
    return &lib->groups[i];
}

const dd_dip_entry *dd_dip_library_find(const dd_dip_library *lib, const char *code)
{
    if (!lib || !code)
        return NULL;
    for (int i = 0; i < lib->n; i++)
        if (!strcmp(lib->groups[i].code, code))
            return &lib->groups[i];
    return NULL;
}

/* ---------------------------------------------------------------- grouping */

/* Index entry v below key (q, kl)? Same order as memcmp over the shorter
 * length, then the shorter first. */
static int entry_below(const index_entry *v, mdx_key q, size_t kl)
{
    if (v->k.k0 != q.k0)
        return v->k.k0 < q.k0;
    if (v->k.k1 != q.k1)
        return v->k.k1 < q.k1;
    return v->mdx_len < kl;
}

/* [*lo, *hi) of the index entries whose main_dx equals key[0..kl), kl <= 16. */
static void index_range(const index_entry *v, int n, const char *key, size_t kl, int *lo,
                        int *hi)
{
    mdx_key q = mdx_key_of(key, kl);
    int a = 0, b = n;
    while (a < b) {
        int m = a + (b - a) / 2;
        if (entry_below(&v[m], q, kl))
            a = m + 1;
        else
            b = m;
    }
    int e = a;
    while (e < n && v[e].mdx_len == kl && v[e].k.k0 == q.k0 && v[e].k.k1 == q.k1)
        e++;
    *lo = a;
    *hi = e;
}

static int term_present(const dd_dip_library *lib, const term_ref *t,
                        const char *const *procs, int np)
{
    for (uint32_t a = 0; a < t->n_alts; a++) {
        const alt_ref *ar = &lib->alts[t->alt0 + a];
        const char *alt = lib->pool + ar->off;
        for (int p = 0; p < np; p++)
            if (procs[p] && !strncmp(procs[p], alt, ar->len))
                return 1;
    }
    return 0;
}

static int all_terms_present(const dd_dip_library *lib, const group_aux *ax,
                             const char *const *procs, int np)
{
    for (uint32_t t = 0; t < ax->n_terms; t++)
        if (!term_present(lib, &lib->terms[ax->term0 + t], procs, np))
            return 0;
    return 1;
}

static int64_t abs_diff(int64_t a, int64_t b)
{
    return a > b ? a - b : b - a;
}

dd_dip_class dd_dip_case_class(const dd_dip_classes *classes, const char *const *procs,
                               int n_procedures)
{
    dd_dip_class best = DD_DIP_CLASS_CONSERVATIVE; /* no classed procedure = 保守治疗 */
    for (int i = 0; i < n_procedures; i++) {
        dd_dip_class c = procs && procs[i] ? dd_dip_classes_lookup(classes, procs[i])
                                           : DD_DIP_CLASS_NONE;
        if (c > best)
            best = c;
    }
    return best;
}

void dd_dip_group(const dd_dip_library *lib, const dd_dip_input *in, dd_dip_result *out)
{
    dd_dip_group_ex(lib, in, out, DD_DIP_WANT_PATH);
}

void dd_dip_group_ex(const dd_dip_library *lib, const dd_dip_input *in, dd_dip_result *out,
                     unsigned flags)
{
    const int want_path = (flags & DD_DIP_WANT_PATH) != 0;
    if (want_path)
        memset(out, 0, sizeof *out);
    else
        out->path[0] = '\0';
    out->group = NULL;
    out->reason = "NO_DIP_GROUP";
    const char *const *procs = in ? in->procedures : NULL;
    int np = in && procs && in->n_procedures > 0 ? in->n_procedures : 0;
    out->case_class = dd_dip_case_class(lib ? lib->classes : NULL, procs, np);
    const char *mdx = in ? in->main_dx : NULL;
    if (!mdx || !*mdx) {
        out->reason = "NO_MAIN_DX";
        if (want_path)
            snprintf(out->path, sizeof out->path, "no principal diagnosis");
        return;
    }
    if (!lib) {
        if (want_path)
            snprintf(out->path, sizeof out->path, "no library");
        return;
    }
    size_t mlen = strlen(mdx);

    /* CORE / BASIC: longest main_dx with a candidate whose terms are all present */
    size_t L = mlen < lib->max_mdx_cb ? mlen : lib->max_mdx_cb;
    for (; L > 0; L--) {
        if (!(lib->lens_cb & len_bit(L)))
            continue;
        int lo, hi;
        index_range(lib->cb, lib->n_cb, mdx, L, &lo, &hi);
        const dd_dip_entry *best = NULL;
        uint32_t best_terms = 0;
        int64_t best_diff = 0;
        int n_cand = 0;
        for (int i = lo; i < hi; i++) {
            const group_aux *ax = &lib->aux[lib->cb[i].gi];
            if (!all_terms_present(lib, ax, procs, np))
                continue;
            const dd_dip_entry *g = lib->cb[i].g;
            int64_t diff = abs_diff(g->ref_cost_fen, in->medfee_fen);
            n_cand++;
            /* entries run in dip_code order within one main_dx, so the
             * first of equals is the smallest code */
            if (!best || ax->n_terms > best_terms ||
                (ax->n_terms == best_terms && diff < best_diff)) {
                best = g;
                best_terms = ax->n_terms;
                best_diff = diff;
            }
        }
        if (best) {
            out->group = best;
            out->reason = "OK";
            if (want_path)
                snprintf(out->path, sizeof out->path,
                         "%s %s: main_dx %s, %u procedure term%s, %d candidate%s", best->code,
                         dd_dip_kind_name(best->kind), best->main_dx, (unsigned)best_terms,
                         best_terms == 1 ? "" : "s", n_cand, n_cand == 1 ? "" : "s");
            return;
        }
    }

    /* COMPREHENSIVE: longest main_dx whose class is exactly the case's */
    L = mlen < lib->max_mdx_comp ? mlen : lib->max_mdx_comp;
    for (; L > 0; L--) {
        if (!(lib->lens_comp & len_bit(L)))
            continue;
        int lo, hi;
        index_range(lib->comp, lib->n_comp, mdx, L, &lo, &hi);
        for (int i = lo; i < hi; i++) {
            const dd_dip_entry *g = lib->comp[i].g;
            if (g->comp_class != out->case_class)
                continue;
            out->group = g;
            out->reason = "OK";
            if (want_path)
                snprintf(out->path, sizeof out->path,
                         "%s COMPREHENSIVE: no core group, main_dx %s, class %s", g->code,
                         g->main_dx, dd_dip_class_name(out->case_class));
            return;
        }
    }
    if (want_path)
        snprintf(out->path, sizeof out->path,
                 "no core group and no comprehensive group for %s with class %s", mdx,
                 dd_dip_class_name(out->case_class));
}
