/* dd_live — see dd_live.h. */
#include "dd_live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_num.h"
#include "dd_time.h"

int dd_live_budget_field(char *buf, size_t cap, int month_num, int64_t event_time_ms,
                         int32_t partition, int64_t offset)
{
    int n = snprintf(buf, cap, "%02d|%lld|%d|%lld", month_num, (long long)event_time_ms,
                     (int)partition, (long long)offset);
    return (n < 0 || (size_t)n >= cap) ? -1 : n;
}

/* dd_i64_scan, then exactly `end` (consumed unless it is the NUL). */
static int parse_i64(const char **p, int64_t *out, char end)
{
    const char *s = *p;
    if (dd_i64_scan(&s, out) || *s != end)
        return -1;
    *p = end ? s + 1 : s;
    return 0;
}

int dd_live_budget_field_parse(const char *s, int *month_num, int64_t *event_time_ms,
                               int32_t *partition, int64_t *offset)
{
    int64_t m, part;
    if (parse_i64(&s, &m, '|') || parse_i64(&s, event_time_ms, '|') ||
        parse_i64(&s, &part, '|') || parse_i64(&s, offset, '\0') || part < 0 ||
        part > INT32_MAX || m < 0 || m > 12)
        return -1;
    *month_num = (int)m;
    *partition = (int32_t)part;
    return 0;
}

/* (t, p, o) > (bt, bp, bo) */
static int later(int64_t t, int32_t p, int64_t o, int64_t bt, int32_t bp, int64_t bo)
{
    if (t != bt)
        return t > bt;
    if (p != bp)
        return p > bp;
    return o > bo;
}

int dd_live_budget(dd_store *st, const char *admdvs, int insutype, int32_t month,
                   int64_t *budget_fen, char *errstr, size_t errlen)
{
    char key[128];
    *budget_fen = 0;
    if (dd_store_key_budget(key, sizeof key, admdvs, insutype, dd_time_month_year(month)) < 0) {
        snprintf(errstr, errlen, "bad region '%s'", admdvs);
        return -1;
    }
    dd_store_hash h;
    if (dd_store_hgetall(st, key, &h)) {
        snprintf(errstr, errlen, "redis: %s", dd_store_errstr(st));
        return -1;
    }
    int want = dd_time_month_num(month), rc = 0;
    int have_m = 0, have_y = 0;
    int64_t m_amt = 0, m_t = 0, m_o = 0, y_amt = 0, y_t = 0, y_o = 0;
    int32_t m_p = 0, y_p = 0;
    for (size_t i = 0; i < h.n; i++) {
        int mn;
        int64_t t, o, amt;
        int32_t part;
        const char *v = h.fields[i].value;
        if (dd_live_budget_field_parse(h.fields[i].field, &mn, &t, &part, &o) ||
            parse_i64(&v, &amt, '\0')) {
            snprintf(errstr, errlen, "%s: malformed budget field", key);
            rc = -1;
            break;
        }
        if (mn == want && (!have_m || later(t, part, o, m_t, m_p, m_o))) {
            have_m = 1;
            m_amt = amt, m_t = t, m_p = part, m_o = o;
        } else if (mn == 0 && (!have_y || later(t, part, o, y_t, y_p, y_o))) {
            have_y = 1;
            y_amt = amt, y_t = t, y_p = part, y_o = o;
        }
    }
    if (!rc)
        *budget_fen = have_m ? m_amt : have_y ? dd_div_round(y_amt, 12) : 0;
    dd_store_hash_free(&h);
    return rc;
}

int dd_live_snapshot(dd_store *st, const dd_dataset *ds, const char *admdvs, int insutype,
                     int32_t month, dd_snapshot *out, char *errstr, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const dd_region *r = dd_dataset_region(ds, admdvs);
    if (!r) {
        snprintf(errstr, errlen, "unknown region '%s'", admdvs);
        return -1;
    }
    char ym[8], key[256];
    dd_time_format_month(month, ym, sizeof ym);
    if (dd_store_key_hospitals(key, sizeof key, admdvs, insutype, ym) < 0) {
        snprintf(errstr, errlen, "bad key for region '%s'", admdvs);
        return -1;
    }
    int64_t budget;
    if (dd_live_budget(st, admdvs, insutype, month, &budget, errstr, errlen))
        return -1;
    dd_store_hash hs;
    if (dd_store_hgetall(st, key, &hs)) {
        snprintf(errstr, errlen, "redis: %s", dd_store_errstr(st));
        return -1;
    }
    int rc = -1;
    size_t nh = hs.n, npairs = nh * DD_CTR__COUNT;
    char **keys = calloc(nh ? nh : 1, sizeof *keys);
    const char **pk = calloc(npairs ? npairs : 1, sizeof *pk);
    const char **pf = calloc(npairs ? npairs : 1, sizeof *pf);
    char **vals = calloc(npairs ? npairs : 1, sizeof *vals);
    int64_t *ctr = calloc(npairs ? npairs : 1, sizeof *ctr);
    dd_snapshot_row *rows = calloc(nh ? nh : 1, sizeof *rows);
    if (!keys || !pk || !pf || !vals || !ctr || !rows) {
        snprintf(errstr, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nh; i++) {
        keys[i] = malloc(256);
        if (!keys[i] || dd_store_key_hospital(keys[i], 256, admdvs, insutype, ym,
                                              hs.fields[i].field) < 0) {
            snprintf(errstr, errlen, "bad hospital code in %s", key);
            goto done;
        }
        for (int c = 0; c < DD_CTR__COUNT; c++) {
            pk[i * DD_CTR__COUNT + (size_t)c] = keys[i];
            pf[i * DD_CTR__COUNT + (size_t)c] = dd_counter_name((dd_counter)c);
        }
    }
    if (dd_store_fetch(st, npairs, pk, pf, vals)) {
        snprintf(errstr, errlen, "redis: %s", dd_store_errstr(st));
        goto done;
    }
    for (size_t i = 0; i < npairs; i++) {
        ctr[i] = 0;
        if (vals[i]) {
            const char *p = vals[i];
            if (parse_i64(&p, &ctr[i], '\0')) {
                snprintf(errstr, errlen, "%s %s: not an integer", pk[i], pf[i]);
                goto done;
            }
        }
    }
    int n = 0;
    for (size_t i = 0; i < nh; i++) {
        if (!dd_dataset_hospital(ds, hs.fields[i].field))
            continue; /* a hospital no longer in the dataset: not in this snapshot */
        rows[n].fixmedins_code = hs.fields[i].field;
        rows[n].counters = ctr + i * DD_CTR__COUNT;
        n++;
    }
    if (dd_snapshot_build(out, admdvs, insutype, month, DD_SNAP_LIVE, budget,
                          r->policy.retention_rate_e6, rows, n)) {
        snprintf(errstr, errlen, "out of memory");
        goto done;
    }
    rc = 0;
done:
    if (vals)
        dd_store_fetch_free(npairs, vals);
    if (keys)
        for (size_t i = 0; i < nh; i++)
            free(keys[i]);
    free(keys);
    free(pk);
    free(pf);
    free(vals);
    free(ctr);
    free(rows);
    dd_store_hash_free(&hs);
    return rc;
}

dd_store *dd_live_connect(const dd_config *cfg, const char *url, char *errstr, size_t errlen)
{
    dd_store_opts so = {0};
    so.url = url ? url : cfg ? dd_config_get(cfg, "redis.url") : NULL;
    const char *pw = cfg ? dd_config_get(cfg, "redis.password") : NULL;
    so.password = pw && *pw ? pw : NULL;
    so.retries = 2;
    return dd_store_new(&so, errstr, errlen);
}
