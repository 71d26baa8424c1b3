/*
 * store_bench — dd_store_commit / dd_store_fetch cost on a batch shaped like
 * the processor's 5000-event batch (issue 3), against a private redis-server.
 *
 * Per region (12 by default), per batch: 1 `ev` key (800 new set fields),
 * 6 `c:<hospital>` keys (220 set fields, ~200-byte records), 12 `h` keys
 * (320 incr fields), 2 `t` (85 incr), 6 `hd` (85 incr), 2 `yd` (34 incr),
 * 2 `hs` + `months` (sets), 1 `ae` (set), 220 `p:<hospital>:<psn>` keys with
 * one set field + EXPIRE; 8 partitions of offsets. Then a fetch of 6200
 * pairs (the processor's: every event id of the next batch, mostly absent,
 * plus uncached cases).
 *
 * Prints per batch: the CPU ms of filling the batch (dd_store_batch_*),
 * commit wall ms and client CPU ms, fetch wall / CPU ms,
 * and Redis's INFO commandstats (usec per batch) of the run. Timing only
 * (double is fine here). Not a test: exit 0 unless something fails.
 *
 * usage: store_bench [batches [regions]]
 */
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dd_redis_server.h"
#include "dd_store.h"

static double now_ms(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void stats(const char *what, double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    printf("%-18s min %7.2f  median %7.2f  mean %7.2f  max %7.2f ms\n", what, v[0], v[n / 2],
           sum / n, v[n - 1]);
}

static const char *counters[] = {"settled", "lists", "grouped", "eligible", "points",
                                 "points_normal", "cases_normal", "all_points", "medfee",
                                 "fund_amount", "psn_part", "acct_pay", "fund_settled",
                                 "cmi_weight", "cmi_cases", "weight_sum", "mcc_cases",
                                 "cc_cases", "qc_failed", "pending_no_list", "all_normal",
                                 "medfee_settled", "psn_settled", "acct_settled",
                                 "pending_points", "reversed", "late_lists"};
#define NCOUNTERS (sizeof counters / sizeof counters[0])

static void build(dd_store_batch *b, int it, int nregions, uint64_t *rng)
{
    char key[160], field[96], val[256];
    for (int r = 0; r < nregions; r++) {
        char R[16];
        snprintf(R, sizeof R, "%d", 220100 + r * 100);
        snprintf(key, sizeof key, "dd:{%s}:ev", R);
        for (int j = 0; j < 800; j++) {
            snprintf(field, sizeof field, "ev-%08d-%02d-%04d-%016" PRIx64, it, r, j, rng_next(rng));
            dd_store_batch_set(b, key, field, "1");
        }
        for (int j = 0; j < 220; j++) {
            snprintf(key, sizeof key, "dd:{%s}:c:H%s%04d", R, R, j % 6);
            snprintf(field, sizeof field, "S%d-%d-%d", r, j, (int)(rng_next(rng) % 5000));
            int n = snprintf(val, sizeof val, "v1|%d|", it);
            while (n < 200)
                val[n++] = (char)('a' + rng_next(rng) % 26);
            val[n] = '\0';
            dd_store_batch_set(b, key, field, val);
        }
        for (int j = 0; j < 320; j++) {
            snprintf(key, sizeof key, "dd:{%s}:h:%d:2025-03:H%s%04d", R, j % 2 ? 310 : 390, R,
                     j % 6);
            dd_store_batch_incr(b, key, counters[j % NCOUNTERS],
                                (int64_t)(rng_next(rng) % 2000000) - 300000);
        }
        for (int j = 0; j < 85; j++) {
            snprintf(key, sizeof key, "dd:{%s}:t:%d:2025-03", R, j % 2 ? 310 : 390);
            dd_store_batch_incr(b, key, counters[j % NCOUNTERS],
                                (int64_t)(rng_next(rng) % 50000000));
        }
        for (int j = 0; j < 85; j++) {
            snprintf(key, sizeof key, "dd:{%s}:hd:H%s%04d", R, R, j % 6);
            snprintf(field, sizeof field, "2025-03-%02d", 1 + j % 28);
            dd_store_batch_incr(b, key, field, 1);
        }
        for (int j = 0; j < 34; j++) {
            snprintf(key, sizeof key, "dd:{%s}:yd:%d:2025", R, j % 2 ? 310 : 390);
            snprintf(field, sizeof field, "2025-%02d-%02d", 1 + j % 12, 1 + j % 28);
            dd_store_batch_incr(b, key, field, 2);
        }
        for (int j = 0; j < 6; j++) {
            snprintf(key, sizeof key, "dd:{%s}:hs:%d:2025-03", R, j % 2 ? 310 : 390);
            snprintf(field, sizeof field, "H%s%04d", R, j);
            dd_store_batch_set(b, key, field, "1");
        }
        snprintf(key, sizeof key, "dd:{%s}:months", R);
        dd_store_batch_set(b, key, "310:2025-03", "1");
        dd_store_batch_set(b, key, "390:2025-03", "1");
        snprintf(key, sizeof key, "dd:{%s}:ae", R);
        snprintf(field, sizeof field, "bench.%d", it);
        dd_store_batch_set(b, key, field, "V H1 20000 M H1 660");
        for (int j = 0; j < 220; j++) {
            snprintf(key, sizeof key, "dd:{%s}:p:H%s%04d:%016" PRIx64, R, R, j % 6, rng_next(rng));
            snprintf(field, sizeof field, "S%d-%d", r, j);
            dd_store_batch_set(b, key, field, "20250301,20250310,2025-03,0");
            dd_store_batch_expire(b, key, 90 * 86400);
        }
        for (int p = 0; p < 8; p++)
            dd_store_batch_offset(b, R, p + r % 4, (int64_t)it * 1000 + p);
    }
}

static void info_stats(const char *sock, int batches)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectUnixWithTimeout(sock, tv);
    if (!c || c->err)
        return;
    redisReply *r = redisCommand(c, "INFO commandstats");
    if (r && r->type == REDIS_REPLY_STRING) {
        printf("redis commandstats (usec per batch, calls per batch):\n");
        char *save = NULL;
        for (char *l = strtok_r(r->str, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
            char name[64];
            long long calls, usec;
            if (sscanf(l, "cmdstat_%63[^:]:calls=%lld,usec=%lld", name, &calls, &usec) == 3 &&
                usec > 1000)
                printf("  %-12s %9.0f usec %9.1f calls\n", name, (double)usec / batches,
                       (double)calls / batches);
        }
    }
    if (r)
        freeReplyObject(r);
    redisFree(c);
}

int main(int argc, char **argv)
{
    int batches = argc > 1 ? atoi(argv[1]) : 20;
    int nregions = argc > 2 ? atoi(argv[2]) : 12;
    if (batches < 1 || nregions < 1) {
        fprintf(stderr, "usage: store_bench [batches [regions]]\n");
        return 2;
    }
    char err[512] = "";
    dd_redis_server_opts so = {0};
    so.persist = DD_REDIS_PERSIST_NONE;
    dd_redis_server *srv = dd_redis_server_new(&so, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "redis: %s\n", err);
        return 1;
    }
    dd_store_opts o = {0};
    o.url = dd_redis_server_url(srv);
    dd_store *s = dd_store_new(&o, err, sizeof err);
    dd_store_batch *b = dd_store_batch_new();
    uint64_t rng = 88172645463325252ULL;
    double *cw = calloc((size_t)batches, sizeof *cw), *cc = calloc((size_t)batches, sizeof *cc);
    double *fw = calloc((size_t)batches, sizeof *fw), *fc = calloc((size_t)batches, sizeof *fc);
    double *bc = calloc((size_t)batches, sizeof *bc);
    enum { NF = 6200 };
    static char kbuf[NF][96], fbuf[NF][96];
    static const char *fk[NF], *ff[NF];
    static char *vals[NF];
    int rc = 0;
    /* warm-up batch (script load, key creation) not counted */
    build(b, 0, nregions, &rng);
    if (dd_store_commit(s, b, NULL)) {
        fprintf(stderr, "commit: %s\n", dd_store_errstr(s));
        return 1;
    }
    struct timeval tv = {5, 0};
    redisContext *rc0 = redisConnectUnixWithTimeout(dd_redis_server_socket(srv), tv);
    freeReplyObject(redisCommand(rc0, "CONFIG RESETSTAT"));
    redisFree(rc0);
    size_t fields = 0;
    for (int it = 1; it <= batches; it++) {
        dd_store_batch_reset(b);
        double b0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
        build(b, it, nregions, &rng);
        bc[it - 1] = now_ms(CLOCK_THREAD_CPUTIME_ID) - b0;
        fields = dd_store_batch_fields(b);
        double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
        if (dd_store_commit(s, b, NULL)) {
            fprintf(stderr, "commit: %s\n", dd_store_errstr(s));
            rc = 1;
            break;
        }
        cw[it - 1] = now_ms(CLOCK_MONOTONIC) - w0;
        cc[it - 1] = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
        /* fetch: 5000 event ids (1 in 10 present) + 1200 cases (half present) */
        for (int i = 0; i < NF; i++) {
            int r = i % nregions;
            if (i < 5000) {
                snprintf(kbuf[i], sizeof kbuf[i], "dd:{%d}:ev", 220100 + r * 100);
                snprintf(fbuf[i], sizeof fbuf[i], "ev-%08d-%02d-%04d-x", i % 10 ? it + 1 : it, r,
                         i % 800);
            } else {
                snprintf(kbuf[i], sizeof kbuf[i], "dd:{%d}:c:H%d%04d", 220100 + r * 100,
                         220100 + r * 100, i % 6);
                snprintf(fbuf[i], sizeof fbuf[i], "S%d-%d-%d", r, i % 220, i % 2 ? i : 7);
            }
            fk[i] = kbuf[i];
            ff[i] = fbuf[i];
        }
        w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
        if (dd_store_fetch(s, NF, fk, ff, vals)) {
            fprintf(stderr, "fetch: %s\n", dd_store_errstr(s));
            rc = 1;
            break;
        }
        fw[it - 1] = now_ms(CLOCK_MONOTONIC) - w0;
        fc[it - 1] = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
        dd_store_fetch_free(NF, vals);
    }
    if (!rc) {
        printf("%d batches x %d regions, %zu fields per batch, fetch %d pairs\n", batches,
               nregions, fields, NF);
        stats("batch build cpu", bc, batches);
        stats("commit wall", cw, batches);
        stats("commit client cpu", cc, batches);
        stats("fetch wall", fw, batches);
        stats("fetch client cpu", fc, batches);
        info_stats(dd_redis_server_socket(srv), batches);
    }
    free(cw);
    free(cc);
    free(fw);
    free(fc);
    free(bc);
    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
    return rc;
}
