/* dd_case_codec — see dd_case_codec.h. */
#include "dd_case_codec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_FIELDS 43

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *nb = realloc(b->buf, nc);
        if (!nb) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = nc;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

/* "|" and the decimal digits: the codec writes ~30 integers per record, so
 * no printf. */
static void sb_uint(sbuf *b, uint64_t v)
{
    char t[24];
    size_t i = sizeof t;
    do {
        t[--i] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    t[--i] = '|';
    sb_put(b, t + i, sizeof t - i);
}

static void sb_int(sbuf *b, int64_t v)
{
    if (v >= 0) {
        sb_uint(b, (uint64_t)v);
        return;
    }
    char t[24];
    size_t i = sizeof t;
    uint64_t m = (uint64_t)0 - (uint64_t)v; /* INT64_MIN too */
    do {
        t[--i] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    t[--i] = '-';
    t[--i] = '|';
    sb_put(b, t + i, sizeof t - i);
}

static int needs_escape(unsigned char ch)
{
    return ch == '%' || ch == '|' || ch == ',' || ch < 0x20 || ch == 0x7f;
}

static void sb_esc(sbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (; *p; p++) {
        if (!needs_escape(*p))
            continue;
        if (p > run)
            sb_put(b, (const char *)run, (size_t)(p - run));
        char t[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        sb_put(b, t, 3);
        run = p + 1;
    }
    if (p > run)
        sb_put(b, (const char *)run, (size_t)(p - run));
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, "|", 1);
    sb_esc(b, s);
}

static void sb_version(sbuf *b, const dd_version *v)
{
    sb_int(b, v->present);
    sb_int(b, v->event_time_ms);
    sb_uint(b, v->seq);
}

long dd_case_encode(const dd_case *c, char **out)
{
    sbuf b = {0};
    sb_put(&b, "v1", 2);
    sb_uint(&b, c->flags);
    sb_uint(&b, c->reconciled_seq);
    sb_uint(&b, c->reversed_seq);
    sb_version(&b, &c->setl.v);
    sb_int(&b, c->setl.insutype);
    sb_int(&b, c->setl.begndate);
    sb_int(&b, c->setl.enddate);
    sb_int(&b, c->setl.setl_time_ms);
    sb_int(&b, c->setl.medfee_fen);
    sb_int(&b, c->setl.fund_fen);
    sb_int(&b, c->setl.psn_part_fen);
    sb_int(&b, c->setl.acct_pay_fen);
    sb_int(&b, (int64_t)c->setl.pay_method);
    sb_str(&b, c->setl.bed_day_group);
    sb_str(&b, c->setl.psn);
    sb_str(&b, c->setl.insuplc_admdvs);
    sb_version(&b, &c->list.v);
    sb_int(&b, c->list.gend);
    sb_int(&b, c->list.age);
    sb_int(&b, c->list.age_days);
    sb_int(&b, c->list.nwb_bir_wt);
    sb_int(&b, c->list.ipt_days);
    sb_int(&b, c->list.dscg_way);
    sb_str(&b, c->list.main_dx);
    sb_int(&b, c->list.n_other_dx);
    sb_int(&b, c->list.n_procedures);
    sb_put(&b, "|", 1);
    {
        const char *p = c->list.codes;
        int n = c->list.n_other_dx + c->list.n_procedures;
        for (int i = 0; i < n && p; i++) {
            if (i)
                sb_put(&b, ",", 1);
            sb_esc(&b, p);
            p += strlen(p) + 1;
        }
    }
    sb_version(&b, &c->qc.v);
    sb_int(&b, c->qc.passed);
    sb_int(&b, c->qc.n_errors);
    sb_version(&b, &c->special.v);
    sb_int(&b, (int64_t)c->special.status);
    sb_int(&b, c->special.has_points);
    sb_int(&b, c->special.points_e4);
    sb_int(&b, c->special.pay_as_ffs);
    if (b.oom) {
        free(b.buf);
        *out = NULL;
        return -1;
    }
    *out = b.buf;
    return (long)b.len;
}

/* ---- decode ---- */

typedef struct {
    const char *s;
    size_t len;
} span;

static int get_i64(span f, int64_t lo, int64_t hi, int64_t *out)
{
    if (f.len == 0 || f.len > 20)
        return -1;
    size_t i = 0;
    int neg = 0;
    if (f.s[0] == '-') {
        neg = 1;
        i = 1;
        if (f.len == 1)
            return -1;
    }
    uint64_t v = 0;
    for (; i < f.len; i++) {
        unsigned d = (unsigned char)f.s[i] - '0';
        if (d > 9)
            return -1;
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return -1;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return -1;
        *out = (int64_t)v;
    }
    return (*out < lo || *out > hi) ? -1 : 0;
}

static int get_u64(span f, uint64_t *out)
{
    if (f.len == 0 || f.len > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < f.len; i++) {
        unsigned d = (unsigned char)f.s[i] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int unhex(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* Unescape f into dst (cap incl. NUL); -1 when malformed or too long. */
static int get_str(span f, char *dst, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < f.len; i++) {
        unsigned char ch = (unsigned char)f.s[i];
        if (ch == '%') {
            if (i + 2 >= f.len)
                return -1;
            int h = unhex((unsigned char)f.s[i + 1]), l = unhex((unsigned char)f.s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0))
                return -1;
            ch = (unsigned char)(h * 16 + l);
            i += 2;
        }
        if (k + 1 >= cap)
            return -1;
        dst[k++] = (char)ch;
    }
    dst[k] = '\0';
    return 0;
}

static int get_version(const span *f, int *i, dd_version *v)
{
    int64_t present, t;
    uint64_t seq;
    if (get_i64(f[*i], 0, 1, &present) || get_i64(f[*i + 1], INT64_MIN, INT64_MAX, &t) ||
        get_u64(f[*i + 2], &seq))
        return -1;
    v->present = (int)present;
    v->event_time_ms = t;
    v->seq = seq;
    *i += 3;
    return 0;
}

#define GI(dst, lo, hi)                                                                            \
    do {                                                                                           \
        int64_t t_;                                                                                \
        if (get_i64(f[i++], (lo), (hi), &t_))                                                      \
            goto bad;                                                                              \
        (dst) = t_;                                                                                \
    } while (0)

int dd_case_decode(dd_case *c, const char *admdvs, const char *fixmedins_code,
                   const char *setl_id, const char *s, size_t len)
{
    dd_case_init(c, admdvs, fixmedins_code, setl_id);
    if (len < 3 || memcmp(s, "v1|", 3) != 0)
        return -1;
    span f[N_FIELDS];
    int nf = 0;
    size_t start = 3;
    for (size_t p = 3; p <= len; p++) {
        if (p == len || s[p] == '|') {
            if (nf == N_FIELDS)
                return -1;
            f[nf].s = s + start;
            f[nf].len = p - start;
            nf++;
            start = p + 1;
        }
    }
    if (nf != N_FIELDS)
        return -1;
    int i = 0;
    uint64_t u;
    int64_t t;
    if (get_u64(f[i++], &u) || u > 3)
        goto bad;
    c->flags = (unsigned)u;
    if (get_u64(f[i++], &c->reconciled_seq) || get_u64(f[i++], &c->reversed_seq))
        goto bad;
    if (get_version(f, &i, &c->setl.v))
        goto bad;
    GI(c->setl.insutype, 0, 999);
    GI(c->setl.begndate, INT32_MIN, INT32_MAX);
    GI(c->setl.enddate, INT32_MIN, INT32_MAX);
    GI(c->setl.setl_time_ms, INT64_MIN, INT64_MAX);
    GI(c->setl.medfee_fen, INT64_MIN, INT64_MAX);
    GI(c->setl.fund_fen, INT64_MIN, INT64_MAX);
    GI(c->setl.psn_part_fen, INT64_MIN, INT64_MAX);
    GI(c->setl.acct_pay_fen, INT64_MIN, INT64_MAX);
    GI(t, 0, 2);
    c->setl.pay_method = (dd_pay_method)t;
    if (get_str(f[i++], c->setl.bed_day_group, sizeof c->setl.bed_day_group) ||
        get_str(f[i++], c->setl.psn, sizeof c->setl.psn) ||
        get_str(f[i++], c->setl.insuplc_admdvs, sizeof c->setl.insuplc_admdvs))
        goto bad;
    if (get_version(f, &i, &c->list.v))
        goto bad;
    GI(c->list.gend, -1, INT32_MAX);
    GI(c->list.age, -1, INT32_MAX);
    GI(c->list.age_days, -1, INT32_MAX);
    GI(c->list.nwb_bir_wt, -1, INT32_MAX);
    GI(c->list.ipt_days, -1, INT32_MAX);
    GI(c->list.dscg_way, -1, INT32_MAX);
    if (get_str(f[i++], c->list.main_dx, sizeof c->list.main_dx))
        goto bad;
    int64_t ndx, npr;
    GI(ndx, 0, DD_EVENT_MAX_DX);
    GI(npr, 0, DD_EVENT_MAX_PROC);
    {
        span codes = f[i++];
        int n = (int)(ndx + npr);
        if (n == 0) {
            if (codes.len)
                goto bad;
        } else {
            /* worst case every byte is a code char plus one NUL per code */
            size_t cap = codes.len + (size_t)n + 1;
            c->list.codes = malloc(cap);
            if (!c->list.codes)
                goto bad;
            c->list.codes_cap = (uint32_t)cap;
            size_t k = 0, st = 0;
            int got = 0;
            for (size_t p = 0; p <= codes.len; p++) {
                if (p == codes.len || codes.s[p] == ',') {
                    span one = {codes.s + st, p - st};
                    char tmp[DD_DX_MAX + 1];
                    if (got == n || get_str(one, tmp, sizeof tmp))
                        goto bad;
                    size_t l = strlen(tmp) + 1;
                    memcpy(c->list.codes + k, tmp, l);
                    k += l;
                    got++;
                    st = p + 1;
                }
            }
            if (got != n)
                goto bad;
            c->list.codes_len = (uint32_t)k;
        }
        c->list.n_other_dx = (uint16_t)ndx;
        c->list.n_procedures = (uint16_t)npr;
        c->list.gen = c->list.v.present ? 1 : 0;
    }
    if (get_version(f, &i, &c->qc.v))
        goto bad;
    GI(c->qc.passed, 0, 1);
    GI(c->qc.n_errors, 0, INT32_MAX);
    if (get_version(f, &i, &c->special.v))
        goto bad;
    GI(t, 0, 3);
    c->special.status = (dd_special_status)t;
    GI(c->special.has_points, 0, 1);
    GI(c->special.points_e4, INT64_MIN, INT64_MAX);
    GI(c->special.pay_as_ffs, 0, 1);
    return 0;
bad:
    dd_case_free(c);
    dd_case_init(c, admdvs, fixmedins_code, setl_id);
    return -1;
}
