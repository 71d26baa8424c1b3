/* dd_casecsv — see dd_casecsv.h. */
#include "dd_casecsv.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

struct dd_casecsv {
    char *raw;        /* copy of the file, lines NUL-terminated in place */
    char *work;       /* second copy, split into fields in place */
    char **hdr;       /* header column names (into work) */
    int n_cols;
    dd_casecsv_row *rows;
    char ***fields;   /* per row: n_cols pointers (into work), or NULL when bad width */
    const char **codes; /* pool for other_dx / procedures pointers */
    int n_rows;
};

static int dd_casecsv_col(const dd_casecsv *c, const char *name)
{
    for (int i = 0; i < c->n_cols; i++)
        if (!strcmp(c->hdr[i], name))
            return i;
    return -1;
}

/* Splits s on sep in place into out (at most cap parts); returns the count
 * of parts present (possibly more than cap). */
static int dd_casecsv_split(char *s, char sep, char **out, int cap)
{
    int n = 0;
    for (;;) {
        char *e = strchr(s, sep);
        if (n < cap)
            out[n] = s;
        n++;
        if (!e)
            break;
        *e = '\0';
        s = e + 1;
    }
    return n;
}

static int dd_casecsv_count_char(const char *s, char ch)
{
    int n = 0;
    for (; *s; s++)
        n += *s == ch;
    return n;
}

/* "" -> missing; digits -> value; else -2 (bad). */
static int dd_casecsv_int(const char *s, int missing)
{
    if (!*s)
        return missing;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > 100000000)
            return -2;
        v = v * 10 + (*p - '0');
    }
    return (int)v;
}

dd_casecsv *dd_casecsv_load(const char *buf, size_t len, char *errstr, size_t errlen)
{
    dd_casecsv *c = calloc(1, sizeof *c);
    if (!c)
        goto oom;
    c->raw = malloc(len + 1);
    c->work = malloc(len + 1);
    if (!c->raw || !c->work)
        goto oom;
    memcpy(c->raw, buf, len);
    c->raw[len] = '\0';
    /* Count lines to size the arrays once. */
    int n_lines = 1;
    for (size_t i = 0; i < len; i++)
        n_lines += buf[i] == '\n';
    char **lines = malloc((size_t)n_lines * sizeof *lines);
    int *line_no = malloc((size_t)n_lines * sizeof *line_no);
    if (!lines || !line_no) {
        free(lines);
        free(line_no);
        goto oom;
    }
    int n = 0;
    char *p = c->raw;
    for (int ln = 1; p && *p; ln++) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r')
            p[--l] = '\0';
        if (l) {
            lines[n] = p;
            line_no[n] = ln;
            n++;
        }
        p = nl ? nl + 1 : NULL;
    }
    if (n == 0) {
        free(lines);
        free(line_no);
        snprintf(errstr, errlen, "empty file: no header row");
        dd_casecsv_destroy(c);
        return NULL;
    }
    memcpy(c->work, c->raw, len + 1);
    /* Pointers into work mirror the raw line offsets. */
    c->n_cols = dd_casecsv_count_char(lines[0], ',') + 1;
    c->hdr = malloc((size_t)c->n_cols * sizeof *c->hdr);
    c->n_rows = n - 1;
    c->rows = calloc((size_t)(c->n_rows ? c->n_rows : 1), sizeof *c->rows);
    c->fields = calloc((size_t)(c->n_rows ? c->n_rows : 1), sizeof *c->fields);
    size_t n_codes = 0;
    for (int i = 1; i < n; i++)
        n_codes += (size_t)dd_casecsv_count_char(lines[i], '|') + 2;
    c->codes = malloc((n_codes ? n_codes : 1) * sizeof *c->codes);
    if (!c->hdr || !c->rows || !c->fields || !c->codes) {
        free(lines);
        free(line_no);
        goto oom;
    }
    dd_casecsv_split(c->work + (lines[0] - c->raw), ',', c->hdr, c->n_cols);
    int col_gend = dd_casecsv_col(c, "gend"), col_age = dd_casecsv_col(c, "age"),
        col_days = dd_casecsv_col(c, "age_days"), col_wt = dd_casecsv_col(c, "nwb_bir_wt"),
        col_ipt = dd_casecsv_col(c, "ipt_days"), col_dscg = dd_casecsv_col(c, "dscg_way"),
        col_dx = dd_casecsv_col(c, "main_dx"), col_odx = dd_casecsv_col(c, "other_dx"),
        col_proc = dd_casecsv_col(c, "procedures");
    size_t pool = 0;
    for (int r = 0; r < c->n_rows; r++) {
        dd_casecsv_row *row = &c->rows[r];
        char *raw = lines[r + 1];
        row->raw = raw;
        row->line = line_no[r + 1];
        row->in.gend = 0;
        row->in.age = row->in.age_days = row->in.nwb_bir_wt = -1;
        row->in.ipt_days = row->in.dscg_way = -1;
        row->in.main_dx = "";
        row->in.other_dx = c->codes + pool;
        row->in.procedures = c->codes + pool;
        if (dd_casecsv_count_char(raw, ',') + 1 != c->n_cols) {
            row->bad = "wrong number of columns";
            continue;
        }
        char **f = malloc((size_t)c->n_cols * sizeof *f);
        if (!f) {
            free(lines);
            free(line_no);
            goto oom;
        }
        c->fields[r] = f;
        dd_casecsv_split(c->work + (raw - c->raw), ',', f, c->n_cols);
        struct {
            int col;
            int *dst;
            int missing;
        } nums[] = {{col_gend, &row->in.gend, 0},      {col_age, &row->in.age, -1},
                    {col_days, &row->in.age_days, -1}, {col_wt, &row->in.nwb_bir_wt, -1},
                    {col_ipt, &row->in.ipt_days, -1},  {col_dscg, &row->in.dscg_way, -1}};
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
            if (nums[k].col < 0)
                continue;
            int v = dd_casecsv_int(f[nums[k].col], nums[k].missing);
            if (v == -2) {
                row->bad = "not a non-negative integer";
                row->bad_col = c->hdr[nums[k].col];
                break;
            }
            *nums[k].dst = v;
        }
        /* gend is a single digit; other digits are graded INVALID, not bad. */
        if (!row->bad && col_gend >= 0 && strlen(f[col_gend]) > 1) {
            row->bad = "not a single digit";
            row->bad_col = "gend";
        }
        if (col_dx >= 0)
            row->in.main_dx = f[col_dx];
        if (col_odx >= 0 && *f[col_odx]) {
            row->in.other_dx = c->codes + pool;
            int k = dd_casecsv_split(f[col_odx], '|', (char **)(c->codes + pool), 1 << 30);
            row->in.n_other_dx = k;
            pool += (size_t)k;
        }
        if (col_proc >= 0 && *f[col_proc]) {
            row->in.procedures = c->codes + pool;
            int k = dd_casecsv_split(f[col_proc], '|', (char **)(c->codes + pool), 1 << 30);
            row->in.n_procedures = k;
            pool += (size_t)k;
        }
    }
    free(lines);
    free(line_no);
    return c;
oom:
    snprintf(errstr, errlen, "out of memory");
    dd_casecsv_destroy(c);
    return NULL;
}

void dd_casecsv_destroy(dd_casecsv *c)
{
    if (!c)
        return;
    if (c->fields)
        for (int r = 0; r < c->n_rows; r++)
            free(c->fields[r]);
    free(c->fields);
    free(c->rows);
    free(c->hdr);
    free(c->codes);
    free(c->raw);
    free(c->work);
    free(c);
}

const char *dd_casecsv_header(const dd_casecsv *c)
{
    return c->raw + 0 + (c->hdr[0] - c->work);
}

int dd_casecsv_count(const dd_casecsv *c)
{
    return c->n_rows;
}

const dd_casecsv_row *dd_casecsv_row_at(const dd_casecsv *c, int i)
{
    return &c->rows[i];
}

const char *dd_casecsv_field(const dd_casecsv *c, int i, const char *col)
{
    int k = dd_casecsv_col(c, col);
    if (k < 0 || i < 0 || i >= c->n_rows || !c->fields[i])
        return "";
    return c->fields[i][k];
}
