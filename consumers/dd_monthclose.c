/* dd_monthclose — see dd_monthclose.h. */
#include "dd_monthclose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_avro_out.h"
#include "dd_live.h"
#include "dd_num.h"
#include "dd_time.h"

/* KEYS[1] snapshot hash, KEYS[2] closed-months hash.
 * ARGV[1] month "YYYY-MM", [2] id, [3] json, [4] avro, [5] baseline of the
 * month, [6] n = number of fields of KEYS[2] as read by the caller, then n
 * (field, value) pairs as read, then (field, new baseline) pairs.
 * Returns {0, json, avro, id} (already closed: stored copy), {1} (stored
 * now) or {2} (KEYS[2] changed since it was read: nothing written). */
static const char CLOSE_LUA[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then\n"
    "  local v = redis.call('HMGET', KEYS[1], 'json', 'avro', 'id')\n"
    "  return {0, v[1], v[2], v[3]}\n"
    "end\n"
    "local n = tonumber(ARGV[6])\n"
    "if redis.call('HLEN', KEYS[2]) ~= n then return {2} end\n"
    "for i = 0, n - 1 do\n"
    "  if redis.call('HGET', KEYS[2], ARGV[7 + 2 * i]) ~= ARGV[8 + 2 * i] then return {2} end\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'id', ARGV[2], 'json', ARGV[3], 'avro', ARGV[4])\n"
    "redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])\n"
    "for i = 7 + 2 * n, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end\n"
    "return {1}\n";

static int region_ok(const char *admdvs)
{
    return admdvs && *admdvs && !strpbrk(admdvs, "{}:");
}

static int fmt_ok(int n, size_t cap)
{
    return (n < 0 || (size_t)n >= cap) ? -1 : n;
}

int dd_monthclose_id(char *buf, size_t cap, const char *admdvs, int insutype, int32_t month)
{
    if (!region_ok(admdvs))
        return -1;
    char ym[16];
    dd_time_format_month(month, ym, sizeof ym);
    return fmt_ok(snprintf(buf, cap, "MONTH_CLOSE:%s:%d:%s", admdvs, insutype, ym), cap);
}

int dd_monthclose_key_snapshot(char *buf, size_t cap, const char *admdvs, int insutype,
                               int32_t month)
{
    if (!region_ok(admdvs))
        return -1;
    char ym[16];
    dd_time_format_month(month, ym, sizeof ym);
    return fmt_ok(snprintf(buf, cap, "dd:{%s}:snap:%d:%s", admdvs, insutype, ym), cap);
}

int dd_monthclose_key_closed(char *buf, size_t cap, const char *admdvs, int insutype)
{
    if (!region_ok(admdvs))
        return -1;
    return fmt_ok(snprintf(buf, cap, "dd:{%s}:mc:%d", admdvs, insutype), cap);
}

int dd_monthclose_key_months(char *buf, size_t cap, const char *admdvs)
{
    if (!region_ok(admdvs))
        return -1;
    return fmt_ok(snprintf(buf, cap, "dd:{%s}:months", admdvs), cap);
}

int dd_monthclose_months_field(char *buf, size_t cap, int insutype, int32_t month)
{
    char ym[16];
    dd_time_format_month(month, ym, sizeof ym);
    return fmt_ok(snprintf(buf, cap, "%d:%s", insutype, ym), cap);
}

void dd_monthclose_result_free(dd_monthclose_result *r)
{
    if (!r)
        return;
    free(r->json);
    free(r->avro);
    memset(r, 0, sizeof *r);
}

/* "<cases> <points>" -> 0 or -1. */
static int parse_baseline(const char *s, int64_t *cases, int64_t *points)
{
    if (!s || dd_i64_scan(&s, cases) || *s++ != ' ' || dd_i64_scan(&s, points) || *s)
        return -1;
    return 0;
}

static int copy_bytes(char **dst, size_t *dlen, const char *src, size_t n)
{
    *dst = malloc(n + 1);
    if (!*dst)
        return -1;
    if (n)
        memcpy(*dst, src, n);
    (*dst)[n] = '\0';
    *dlen = n;
    return 0;
}

/* Fill out from a stored {json, avro, id}. 0 or -1 (out of memory). */
static int fill_stored(dd_monthclose_result *out, const char *json, size_t jlen, const char *avro,
                       size_t alen, const char *id)
{
    out->created = 0;
    snprintf(out->id, sizeof out->id, "%s", id ? id : "");
    if (copy_bytes(&out->json, &out->json_len, json ? json : "", json ? jlen : 0))
        return -1;
    if (avro && alen) {
        char *a;
        if (copy_bytes(&a, &out->avro_len, avro, alen))
            return -1;
        out->avro = (unsigned char *)a;
    }
    return 0;
}

typedef struct {
    char **v; /* argv strings (owned) */
    size_t *len;
    int n, cap;
} argvec;

static int av_push(argvec *a, const char *s, size_t n)
{
    if (a->n == a->cap) {
        int nc = a->cap ? a->cap * 2 : 32;
        char **v = realloc(a->v, (size_t)nc * sizeof *v);
        if (!v)
            return -1;
        a->v = v;
        size_t *l = realloc(a->len, (size_t)nc * sizeof *l);
        if (!l)
            return -1;
        a->len = l;
        a->cap = nc;
    }
    if (copy_bytes(&a->v[a->n], &a->len[a->n], s, n))
        return -1;
    a->n++;
    return 0;
}

static int av_pushs(argvec *a, const char *s)
{
    return av_push(a, s, strlen(s));
}

static void av_free(argvec *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    free(a->len);
    memset(a, 0, sizeof *a);
}

/* (b): the closed months of (R, ins) into *closed (sorted; free it), and
 * for the n_early of them before ym (the first ones) their current region
 * totals into *cur (eligible, points pairs; malloc'ed, free it) and the
 * summed net changes against their baselines. 0 or -1 (errstr). */
static int read_late(dd_store *st, const char *admdvs, int insutype, const char *ym,
                     const char *kmc, dd_store_hash *closed, size_t *n_early_out, int64_t **cur_out,
                     int64_t *late_c, int64_t *late_p, char *errstr, size_t errlen)
{
    int rc = -1;
    size_t n_early = 0;
    char **tkeys = NULL, **vals = NULL;
    const char **fk = NULL, **ff = NULL;
    int64_t *cur = NULL;
    *late_c = *late_p = 0;
    *n_early_out = 0;
    *cur_out = NULL;
    if (dd_store_hgetall(st, kmc, closed)) {
        snprintf(errstr, errlen, "redis: %s", dd_store_errstr(st));
        return -1;
    }
    for (size_t i = 0; i < closed->n; i++)
        if (strcmp(closed->fields[i].field, ym) < 0)
            n_early++;
    tkeys = calloc(n_early + 1, sizeof *tkeys);
    fk = calloc(2 * n_early + 1, sizeof *fk);
    ff = calloc(2 * n_early + 1, sizeof *ff);
    vals = calloc(2 * n_early + 1, sizeof *vals);
    cur = calloc(2 * n_early + 1, sizeof *cur);
    if (!tkeys || !fk || !ff || !vals || !cur) {
        snprintf(errstr, errlen, "out of memory");
        goto done;
    }
    /* closed->fields is sorted: the earlier months come first */
    for (size_t i = 0; i < n_early; i++) {
        tkeys[i] = malloc(128);
        if (!tkeys[i] ||
            dd_store_key_month(tkeys[i], 128, admdvs, insutype, closed->fields[i].field) < 0) {
            snprintf(errstr, errlen, "%s: bad month field", kmc);
            goto done;
        }
        fk[2 * i] = fk[2 * i + 1] = tkeys[i];
        ff[2 * i] = dd_counter_name(DD_CTR_ELIGIBLE);
        ff[2 * i + 1] = dd_counter_name(DD_CTR_POINTS);
    }
    if (dd_store_fetch(st, 2 * n_early, fk, ff, vals)) {
        snprintf(errstr, errlen, "redis: %s", dd_store_errstr(st));
        goto done;
    }
    for (size_t i = 0; i < n_early; i++) {
        int64_t bc, bp;
        if (parse_baseline(closed->fields[i].value, &bc, &bp)) {
            snprintf(errstr, errlen, "%s %s: malformed baseline", kmc, closed->fields[i].field);
            goto done;
        }
        for (size_t k = 0; k < 2; k++) {
            const char *v = vals[2 * i + k];
            if (v && (dd_i64_scan(&v, &cur[2 * i + k]) || *v)) {
                snprintf(errstr, errlen, "%s: not an integer", tkeys[i]);
                goto done;
            }
        }
        int64_t dc, dp;
        if (__builtin_sub_overflow(cur[2 * i], bc, &dc) ||
            __builtin_sub_overflow(cur[2 * i + 1], bp, &dp) ||
            __builtin_add_overflow(*late_c, dc, late_c) ||
            __builtin_add_overflow(*late_p, dp, late_p)) {
            snprintf(errstr, errlen, "late adjustments overflow");
            goto done;
        }
    }
    rc = 0;
    *n_early_out = n_early;
    *cur_out = cur;
    cur = NULL;
done:
    if (vals)
        dd_store_fetch_free(2 * n_early, vals);
    if (tkeys)
        for (size_t i = 0; i < n_early; i++)
            free(tkeys[i]);
    free(tkeys);
    free(fk);
    free(ff);
    free(vals);
    free(cur);
    return rc;
}

int dd_monthclose_pending_late(dd_store *st, const char *admdvs, int insutype, int32_t month,
                               int64_t *cases, int64_t *points_e4, char *errstr, size_t errlen)
{
    char ym[16], kmc[128];
    *cases = *points_e4 = 0;
    dd_time_format_month(month, ym, sizeof ym);
    if (dd_monthclose_key_closed(kmc, sizeof kmc, admdvs, insutype) < 0) {
        snprintf(errstr, errlen, "bad region '%s'", admdvs);
        return -1;
    }
    dd_store_hash closed = {0};
    size_t n_early;
    int64_t *cur = NULL;
    int rc = read_late(st, admdvs, insutype, ym, kmc, &closed, &n_early, &cur, cases, points_e4,
                       errstr, errlen);
    free(cur);
    dd_store_hash_free(&closed);
    return rc;
}

/* One attempt of (a)..(d). 0 done, 1 retry (the closed-months hash moved),
 * -1 error. */
static int close_once(dd_store *st, const dd_dataset *ds, dd_avro_codec *codec,
                      const char *admdvs, int insutype, int32_t month, dd_monthclose_result *out,
                      char *errstr, size_t errlen)
{
    char ym[16], ksnap[128], kmc[128], id[64];
    dd_time_format_month(month, ym, sizeof ym);
    if (dd_monthclose_key_snapshot(ksnap, sizeof ksnap, admdvs, insutype, month) < 0 ||
        dd_monthclose_key_closed(kmc, sizeof kmc, admdvs, insutype) < 0 ||
        dd_monthclose_id(id, sizeof id, admdvs, insutype, month) < 0) {
        snprintf(errstr, errlen, "bad region '%s'", admdvs);
        return -1;
    }
    int rc = -1;
    dd_snapshot snap;
    dd_store_hash closed = {0};
    int64_t *cur = NULL;
    size_t n_early = 0;
    dd_jw w;
    dd_jw_init(&w);
    dd_avro_buf ab = {0};
    argvec av = {0};
    dd_store_reply rep = {0};

    /* a */
    if (dd_live_snapshot(st, ds, admdvs, insutype, month, &snap, errstr, errlen))
        return -1;
    snap.kind = DD_SNAP_MONTH_CLOSE;
    /* b */
    int64_t late_c = 0, late_p = 0;
    if (read_late(st, admdvs, insutype, ym, kmc, &closed, &n_early, &cur, &late_c, &late_p,
                  errstr, errlen))
        goto done;
    snap.late_cases = late_c;
    snap.late_points_e4 = late_p;
    /* c */
    dd_snapshot_to_json(&snap, &w);
    if (w.oom) {
        snprintf(errstr, errlen, "out of memory");
        goto done;
    }
    if (codec) {
        dd_avro_error ae;
        if (dd_avro_snapshot_encode(codec, &snap, &ab, &ae)) {
            snprintf(errstr, errlen, "avro snapshot: %s", ae.msg);
            goto done;
        }
    }
    int64_t base_c = 0;
    for (int i = 0; i < snap.n_hospitals; i++)
        base_c += snap.hospitals[i].eligible_cases;
    /* d */
    char num[64];
    snprintf(num, sizeof num, "%lld %lld", (long long)base_c, (long long)snap.points_e4);
    int bad = av_pushs(&av, ym) || av_pushs(&av, id) || av_push(&av, w.buf, w.len) ||
              av_push(&av, (const char *)ab.data, ab.data ? ab.len : 0) || av_pushs(&av, num);
    char cnt[32];
    snprintf(cnt, sizeof cnt, "%zu", closed.n);
    bad = bad || av_pushs(&av, cnt);
    for (size_t i = 0; i < closed.n && !bad; i++)
        bad = av_pushs(&av, closed.fields[i].field) || av_pushs(&av, closed.fields[i].value);
    for (size_t i = 0; i < n_early && !bad; i++) {
        snprintf(num, sizeof num, "%lld %lld", (long long)cur[2 * i],
                 (long long)cur[2 * i + 1]);
        bad = av_pushs(&av, closed.fields[i].field) || av_pushs(&av, num);
    }
    if (bad) {
        snprintf(errstr, errlen, "out of memory");
        goto done;
    }
    const char *keys[2] = {ksnap, kmc};
    if (dd_store_eval(st, CLOSE_LUA, 2, keys, av.n, (const char *const *)av.v, av.len, &rep)) {
        snprintf(errstr, errlen, "redis: %s", dd_store_errstr(st));
        goto done;
    }
    if (rep.n < 1 || !rep.v[0]) {
        snprintf(errstr, errlen, "month close script: unexpected reply");
        goto done;
    }
    if (!strcmp(rep.v[0], "2")) {
        rc = 1;
        goto done;
    }
    if (!strcmp(rep.v[0], "0") && rep.n == 4) {
        if (fill_stored(out, rep.v[1], rep.len[1], rep.v[2], rep.len[2], rep.v[3])) {
            snprintf(errstr, errlen, "out of memory");
            goto done;
        }
        rc = 0;
        goto done;
    }
    if (strcmp(rep.v[0], "1")) {
        snprintf(errstr, errlen, "month close script: unexpected reply '%.20s'", rep.v[0]);
        goto done;
    }
    out->created = 1;
    snprintf(out->id, sizeof out->id, "%s", id);
    if (copy_bytes(&out->json, &out->json_len, w.buf, w.len)) {
        snprintf(errstr, errlen, "out of memory");
        goto done;
    }
    if (ab.data && ab.len) {
        char *a;
        if (copy_bytes(&a, &out->avro_len, (const char *)ab.data, ab.len)) {
            snprintf(errstr, errlen, "out of memory");
            goto done;
        }
        out->avro = (unsigned char *)a;
    }
    out->n_hospitals = snap.n_hospitals;
    out->late_cases = late_c;
    out->late_points_e4 = late_p;
    rc = 0;
done:
    if (rc != 0)
        dd_monthclose_result_free(out);
    dd_store_reply_free(&rep);
    av_free(&av);
    dd_avro_buf_free(&ab);
    dd_jw_free(&w);
    free(cur);
    dd_store_hash_free(&closed);
    dd_snapshot_free(&snap);
    return rc;
}

int dd_monthclose_close(dd_store *st, const dd_dataset *ds, dd_avro_codec *snap_codec,
                        const char *admdvs, int insutype, int32_t month,
                        dd_monthclose_result *out, char *errstr, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (int attempt = 0; attempt < 10; attempt++) {
        int r = close_once(st, ds, snap_codec, admdvs, insutype, month, out, errstr, errlen);
        if (r <= 0)
            return r;
    }
    snprintf(errstr, errlen, "month close %s %d: closed months keep changing", admdvs, insutype);
    return -1;
}

int dd_monthclose_read(dd_store *st, const char *admdvs, int insutype, int32_t month,
                       dd_monthclose_result *out, char *errstr, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char key[128];
    if (dd_monthclose_key_snapshot(key, sizeof key, admdvs, insutype, month) < 0) {
        snprintf(errstr, errlen, "bad region '%s'", admdvs);
        return -1;
    }
    dd_store_hash h;
    if (dd_store_hgetall(st, key, &h)) {
        snprintf(errstr, errlen, "redis: %s", dd_store_errstr(st));
        return -1;
    }
    if (!h.n)
        return 0;
    const char *json = NULL, *avro = NULL;
    size_t jlen = 0, alen = 0;
    for (size_t i = 0; i < h.n; i++) {
        if (!strcmp(h.fields[i].field, "json"))
            json = h.fields[i].value, jlen = h.fields[i].value_len;
        else if (!strcmp(h.fields[i].field, "avro"))
            avro = h.fields[i].value, alen = h.fields[i].value_len;
    }
    int rc = 1;
    if (!json) {
        snprintf(errstr, errlen, "%s: no json field", key);
        rc = -1;
    } else if (fill_stored(out, json, jlen, avro, alen, dd_store_hash_get(&h, "id"))) {
        snprintf(errstr, errlen, "out of memory");
        rc = -1;
    }
    if (rc < 0)
        dd_monthclose_result_free(out);
    dd_store_hash_free(&h);
    return rc;
}

/* ---------------- scheduler ---------------- */

int dd_monthclose_find_due(dd_store *st, const dd_dataset *ds, int64_t now_ms,
                           dd_monthclose_due **out, size_t *n, char *errstr, size_t errlen)
{
    *out = NULL;
    *n = 0;
    int nr = dd_dataset_region_count(ds);
    if (nr <= 0)
        return 0;
    size_t nk = (size_t)nr * 3;
    char (*keys)[128] = calloc(nk, sizeof *keys);
    const char **kp = calloc(nk, sizeof *kp);
    dd_store_hash *h = calloc(nk, sizeof *h);
    dd_monthclose_due *due = NULL;
    size_t nd = 0, capd = 0;
    int rc = -1;
    if (!keys || !kp || !h) {
        snprintf(errstr, errlen, "out of memory");
        goto done;
    }
    for (int r = 0; r < nr; r++) {
        const dd_region *reg = dd_dataset_region_at(ds, r);
        if (dd_monthclose_key_months(keys[3 * r], 128, reg->admdvs) < 0 ||
            dd_monthclose_key_closed(keys[3 * r + 1], 128, reg->admdvs, 310) < 0 ||
            dd_monthclose_key_closed(keys[3 * r + 2], 128, reg->admdvs, 390) < 0) {
            snprintf(errstr, errlen, "bad region '%s'", reg->admdvs);
            goto done;
        }
        for (int k = 0; k < 3; k++)
            kp[3 * r + k] = keys[3 * r + k];
    }
    if (dd_store_hgetall_many(st, nk, kp, h)) {
        snprintf(errstr, errlen, "redis: %s", dd_store_errstr(st));
        goto done;
    }
    for (int r = 0; r < nr; r++) {
        const dd_region *reg = dd_dataset_region_at(ds, r);
        const dd_store_hash *months = &h[3 * r];
        for (size_t i = 0; i < months->n; i++) {
            const char *f = months->fields[i].field;
            int ins;
            int32_t m;
            if (strlen(f) != 11 || f[3] != ':' || (strncmp(f, "310", 3) && strncmp(f, "390", 3)) ||
                dd_time_parse_month(f + 4, 7, &m))
                continue; /* not ours: ignore rather than stop the scheduler */
            ins = f[1] == '1' ? 310 : 390;
            if (dd_store_hash_get(&h[3 * r + (ins == 310 ? 1 : 2)], f + 4))
                continue; /* closed */
            int64_t cut = dd_time_close_cutoff_ms(m, reg->policy.month_close_day);
            if (cut > now_ms)
                continue;
            if (nd == capd) {
                size_t nc = capd ? capd * 2 : 16;
                dd_monthclose_due *x = realloc(due, nc * sizeof *x);
                if (!x) {
                    snprintf(errstr, errlen, "out of memory");
                    goto done;
                }
                due = x;
                capd = nc;
            }
            dd_monthclose_due *d = &due[nd++];
            memset(d, 0, sizeof *d);
            snprintf(d->admdvs, sizeof d->admdvs, "%s", reg->admdvs);
            d->insutype = ins;
            d->month = m;
            d->cutoff_ms = cut;
        }
    }
    rc = 0;
    *out = due;
    *n = nd;
    due = NULL;
done:
    if (h)
        for (size_t i = 0; i < nk; i++)
            dd_store_hash_free(&h[i]);
    free(h);
    free(kp);
    free(keys);
    free(due);
    return rc;
}

void dd_monthclose_event_json(const dd_monthclose_due *d, dd_jw *w)
{
    char id[64], t[40], ins[8], ym[16];
    dd_monthclose_id(id, sizeof id, d->admdvs, d->insutype, d->month);
    dd_time_format_iso(d->cutoff_ms, t, sizeof t);
    snprintf(ins, sizeof ins, "%d", d->insutype);
    dd_time_format_month(d->month, ym, sizeof ym);
    dd_jw_object_begin(w);
    dd_jw_key(w, "event_id");
    dd_jw_string(w, id);
    dd_jw_key(w, "type");
    dd_jw_string(w, "MONTH_CLOSE");
    dd_jw_key(w, "event_time");
    dd_jw_string(w, t);
    dd_jw_key(w, "admdvs");
    dd_jw_string(w, d->admdvs);
    dd_jw_key(w, "insutype");
    dd_jw_string(w, ins);
    dd_jw_key(w, "month");
    dd_jw_string(w, ym);
    dd_jw_object_end(w);
}
