/*
 * dd_store against a REAL private redis-server (dd_redis_server): summed
 * batches, idempotent re-commit, skipped lower offsets, conflicts, several
 * regions, int64 guards, Redis down / restarted / killed, NOSCRIPT, reads.
 */
#include <criterion/criterion.h>

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <inttypes.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_redis_server.h"
#include "dd_store.h"

static dd_redis_server *start_server(dd_redis_persist persist, const char *password)
{
    char err[512] = "";
    dd_redis_server_opts o = {0};
    o.persist = persist;
    o.password = password;
    dd_redis_server *srv = dd_redis_server_new(&o, err, sizeof err);
    cr_assert(srv, "redis-server did not start: %s", err);
    return srv;
}

static dd_store *open_store(dd_redis_server *srv, int retries)
{
    char err[256] = "";
    dd_store_opts o = {0};
    o.url = dd_redis_server_url(srv);
    o.retries = retries;
    o.backoff_ms = 10;
    o.backoff_max_ms = 40;
    o.connect_timeout_ms = 500;
    o.command_timeout_ms = 2000;
    dd_store *s = dd_store_new(&o, err, sizeof err);
    cr_assert(s, "dd_store_new: %s", err);
    return s;
}

static int64_t get_i64(dd_store *s, const char *key, const char *field)
{
    dd_store_hash h;
    cr_assert_eq(dd_store_hgetall(s, key, &h), 0, "hgetall %s: %s", key, dd_store_errstr(s));
    int64_t v = 0;
    int rc = dd_store_hash_get_i64(&h, field, &v);
    cr_assert_neq(rc, -1, "%s %s not an integer", key, field);
    dd_store_hash_free(&h);
    return v;
}

static int64_t stored_offset(dd_store *s, const char *region, int32_t partition)
{
    dd_store_offset *o = NULL;
    size_t n = 0;
    cr_assert_eq(dd_store_read_offsets(s, region, &o, &n), 0, "%s", dd_store_errstr(s));
    int64_t v = -1;
    for (size_t i = 0; i < n; i++)
        if (o[i].partition == partition)
            v = o[i].offset;
    free(o);
    return v;
}

/* A raw hiredis command on the test server (setup / fault injection). */
static void raw(dd_redis_server *srv, const char *cmd)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectUnixWithTimeout(dd_redis_server_socket(srv), tv);
    cr_assert(c && !c->err);
    redisReply *r = redisCommand(c, cmd);
    cr_assert(r && r->type != REDIS_REPLY_ERROR, "%s failed", cmd);
    freeReplyObject(r);
    redisFree(c);
}

#define K1 "dd:{220100}:t:310:2025-03"
#define K2 "dd:{220100}:h:310:2025-03:H22010000001"
#define K3 "dd:{110100}:t:390:2025-04"

Test(store_url, parse)
{
    dd_store_url u;
    char err[128];
    cr_assert_eq(dd_store_url_parse("redis://10.1.2.3:6380/2", &u, err, sizeof err), 0);
    cr_assert_str_eq(u.host, "10.1.2.3");
    cr_assert_eq(u.port, 6380);
    cr_assert_eq(u.db, 2);
    cr_assert_eq(u.unix_socket, 0);
    cr_assert_eq(dd_store_url_parse("redis://:p%40ss@redis.local", &u, err, sizeof err), 0);
    cr_assert_str_eq(u.password, "p@ss");
    cr_assert_str_eq(u.user, "");
    cr_assert_str_eq(u.host, "redis.local");
    cr_assert_eq(u.port, 6379);
    cr_assert_eq(dd_store_url_parse("redis://alice:s3cret@[::1]:7000", &u, err, sizeof err), 0);
    cr_assert_str_eq(u.user, "alice");
    cr_assert_str_eq(u.password, "s3cret");
    cr_assert_str_eq(u.host, "::1");
    cr_assert_eq(u.port, 7000);
    cr_assert_eq(dd_store_url_parse("unix:///run/redis/redis.sock", &u, err, sizeof err), 0);
    cr_assert_eq(u.unix_socket, 1);
    cr_assert_str_eq(u.path, "/run/redis/redis.sock");
    cr_assert_eq(dd_store_url_parse("http://x", &u, err, sizeof err), -1);
    cr_assert_eq(dd_store_url_parse("redis://h:0", &u, err, sizeof err), -1);
    cr_assert_eq(dd_store_url_parse("redis://h:99999", &u, err, sizeof err), -1);
    cr_assert_eq(dd_store_url_parse("redis://h:12x", &u, err, sizeof err), -1);
    cr_assert_eq(dd_store_url_parse("unix://relative", &u, err, sizeof err), -1);
    cr_assert_eq(dd_store_url_parse("redis://:%zz@h", &u, err, sizeof err), -1);
}

Test(store_keys, layout)
{
    char b[128];
    cr_assert_eq(dd_store_key_month(b, sizeof b, "220100", 310, "2025-03"), 25);
    cr_assert_str_eq(b, "dd:{220100}:t:310:2025-03");
    cr_assert_gt(dd_store_key_hospital(b, sizeof b, "220100", 310, "2025-03", "H1"), 0);
    cr_assert_str_eq(b, "dd:{220100}:h:310:2025-03:H1");
    cr_assert_gt(dd_store_key_hospitals(b, sizeof b, "220100", 390, "2025-03"), 0);
    cr_assert_str_eq(b, "dd:{220100}:hs:390:2025-03");
    cr_assert_gt(dd_store_key_cases(b, sizeof b, "220100", "H1"), 0);
    cr_assert_str_eq(b, "dd:{220100}:c:H1");
    cr_assert_gt(dd_store_key_events(b, sizeof b, "220100"), 0);
    cr_assert_str_eq(b, "dd:{220100}:ev");
    cr_assert_gt(dd_store_key_budget(b, sizeof b, "220100", 310, 2025), 0);
    cr_assert_str_eq(b, "dd:{220100}:b:310:2025");
    cr_assert_eq(dd_store_key_offsets(b, sizeof b, "220100"), 15);
    cr_assert_str_eq(b, "dd:{220100}:off");
    cr_assert_eq(dd_store_key_region(b, sizeof b, K2), 6);
    cr_assert_str_eq(b, "220100");
    cr_assert_eq(dd_store_key_month(b, sizeof b, "", 310, "2025-03"), -1);
    cr_assert_eq(dd_store_key_month(b, sizeof b, "22{0", 310, "2025-03"), -1);
    cr_assert_eq(dd_store_key_cases(b, sizeof b, "220100", "H:1"), -1);
    cr_assert_eq(dd_store_key_month(b, 10, "220100", 310, "2025-03"), -1);
    cr_assert_eq(dd_store_key_region(b, sizeof b, "dd:{}:x"), -1);
    cr_assert_eq(dd_store_key_region(b, sizeof b, "nokey"), -1);
}

Test(store_batch, argument_errors)
{
    dd_store_batch *b = dd_store_batch_new();
    cr_assert_eq(dd_store_batch_incr(b, "no-tag", "f", 1), -1);
    cr_assert_eq(dd_store_batch_err(b), DD_STORE_ERR_ARG);
    cr_assert_eq(dd_store_batch_incr(b, K1, "f", 1), -1, "a failed batch refuses more");
    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_incr(b, K1, "f", 1), 0);
    cr_assert_eq(dd_store_batch_set(b, K1, "f", "x"), -1, "set after incr of one field");
    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_incr(b, K1, "f", INT64_MAX), 0);
    cr_assert_eq(dd_store_batch_incr(b, K1, "f", 1), -1, "int64 overflow of the sum");
    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_incr(b, "dd:{220100}:off", "0", 1), -1, "offsets hash is reserved");
    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_offset(b, "220100", -1, 5), -1);
    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_offset(b, "{x}", 0, 5), -1);
    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_err(b), DD_STORE_OK);
    cr_assert_eq(dd_store_batch_regions(b), 0);
    dd_store_batch_destroy(b);
}

Test(store, commit_sums_and_is_idempotent)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    dd_store *s = open_store(srv, 0);
    cr_assert_eq(dd_store_ping(s), 0, "%s", dd_store_errstr(s));
    dd_store_batch *b = dd_store_batch_new();
    for (int i = 1; i <= 100; i++) {
        cr_assert_eq(dd_store_batch_incr(b, K1, "settled", 1), 0);
        cr_assert_eq(dd_store_batch_incr(b, K1, "medfee", 1234567 + i), 0);
        cr_assert_eq(dd_store_batch_incr(b, K2, "points", -i), 0);
        cr_assert_eq(dd_store_batch_offset(b, "220100", i % 3, 1000 + i), 0);
    }
    cr_assert_eq(dd_store_batch_incr(b, K1, "zero", 5), 0);
    cr_assert_eq(dd_store_batch_incr(b, K1, "zero", -5), 0);
    cr_assert_eq(dd_store_batch_set(b, "dd:{220100}:c:H1", "S1", "v1|old"), 0);
    cr_assert_eq(dd_store_batch_set(b, "dd:{220100}:c:H1", "S1", "v1|new"), 0);
    cr_assert_eq(dd_store_batch_set_i64(b, "dd:{220100}:c:H1", "S2", -42), 0);
    cr_assert_eq(dd_store_batch_regions(b), 1);
    cr_assert_eq(dd_store_batch_fields(b), 6);

    dd_store_commit_result res;
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.regions, 1);
    cr_assert_eq(res.applied, 1);
    cr_assert_eq(res.duplicates, 0);
    cr_assert_eq(res.incr_fields, 3, "zero sum dropped");
    cr_assert_eq(res.set_fields, 2);
    cr_assert_eq(res.round_trips, 1);
    cr_assert_eq(get_i64(s, K1, "settled"), 100);
    cr_assert_eq(get_i64(s, K1, "medfee"), 100 * 1234567 + 5050);
    cr_assert_eq(get_i64(s, K2, "points"), -5050);
    dd_store_hash h;
    cr_assert_eq(dd_store_hgetall(s, K1, &h), 0);
    cr_assert_eq(h.n, 2, "no 'zero' field");
    cr_assert_null(dd_store_hash_get(&h, "zero"));
    dd_store_hash_free(&h);
    cr_assert_eq(stored_offset(s, "220100", 0), 1099);
    cr_assert_eq(stored_offset(s, "220100", 1), 1100);
    cr_assert_eq(stored_offset(s, "220100", 2), 1098);

    /* same batch again (a retry after a lost reply): nothing changes */
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.applied, 0);
    cr_assert_eq(res.duplicates, 1);
    cr_assert_eq(get_i64(s, K1, "settled"), 100);
    cr_assert_eq(get_i64(s, K2, "points"), -5050);

    /* the fetch API */
    const char *keys[] = {"dd:{220100}:c:H1", "dd:{220100}:c:H1", "dd:{220100}:c:H1", K1,
                          "dd:{999999}:nothing"};
    const char *fields[] = {"S1", "S2", "S3", "settled", "x"};
    char *vals[5];
    cr_assert_eq(dd_store_fetch(s, 5, keys, fields, vals), 0, "%s", dd_store_errstr(s));
    cr_assert_str_eq(vals[0], "v1|new");
    cr_assert_str_eq(vals[1], "-42");
    cr_assert_null(vals[2]);
    cr_assert_str_eq(vals[3], "100");
    cr_assert_null(vals[4]);
    dd_store_fetch_free(5, vals);
    cr_assert_eq(dd_store_fetch(s, 0, NULL, NULL, NULL), 0);

    dd_store_stats st;
    dd_store_get_stats(s, &st);
    cr_assert_eq(st.commits, 2);
    cr_assert_eq(st.regions_applied, 1);
    cr_assert_eq(st.regions_duplicate, 1);
    cr_assert_eq(st.connects, 1);
    cr_assert_eq(st.script_loads, 1);

    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

Test(store, lower_offset_skipped_and_conflict_refused)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    dd_store *s = open_store(srv, 0);
    dd_store_batch *b = dd_store_batch_new();
    dd_store_batch_incr(b, K1, "n", 10);
    dd_store_batch_offset(b, "220100", 0, 50);
    dd_store_batch_offset(b, "220100", 1, 7);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));

    /* lower offset: skipped as a whole */
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "n", 1000);
    dd_store_batch_set(b, K1, "s", "x");
    dd_store_batch_offset(b, "220100", 0, 49);
    dd_store_commit_result res;
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.duplicates, 1);
    cr_assert_eq(get_i64(s, K1, "n"), 10);
    cr_assert_eq(stored_offset(s, "220100", 0), 50);

    /* partition 0 old, partition 1 new: refused, nothing written */
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "n", 1000);
    dd_store_batch_offset(b, "220100", 0, 50);
    dd_store_batch_offset(b, "220100", 1, 8);
    cr_assert_eq(dd_store_commit(s, b, &res), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_CONFLICT, "%s", dd_store_errstr(s));
    cr_assert_eq(get_i64(s, K1, "n"), 10);
    cr_assert_eq(stored_offset(s, "220100", 1), 7);

    /* a new partition and a higher offset: applied */
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "n", 5);
    dd_store_batch_offset(b, "220100", 0, 51);
    dd_store_batch_offset(b, "220100", 3, 0);
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.applied, 1);
    cr_assert_eq(get_i64(s, K1, "n"), 15);
    cr_assert_eq(stored_offset(s, "220100", 3), 0);
    /* offsets compare as numbers, not strings ("100" > "99") */
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "n", 1);
    dd_store_batch_offset(b, "220100", 0, 100);
    cr_assert_eq(dd_store_commit(s, b, &res), 0);
    cr_assert_eq(res.applied, 1);
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "n", 1);
    dd_store_batch_offset(b, "220100", 0, 99);
    cr_assert_eq(dd_store_commit(s, b, &res), 0);
    cr_assert_eq(res.duplicates, 1);
    cr_assert_eq(get_i64(s, K1, "n"), 16);

    /* data without an offset is refused before anything is sent */
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "n", 1);
    cr_assert_eq(dd_store_commit(s, b, NULL), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_ARG);
    cr_assert_eq(get_i64(s, K1, "n"), 16);

    /* offsets come back sorted by partition as numbers (10 after 2) */
    dd_store_batch_reset(b);
    dd_store_batch_offset(b, "220100", 10, 5);
    dd_store_batch_offset(b, "220100", 2, 5);
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.applied, 1, "offsets alone advance");
    dd_store_offset *o;
    size_t no;
    cr_assert_eq(dd_store_read_offsets(s, "220100", &o, &no), 0);
    cr_assert_eq(no, 5);
    int32_t want_p[] = {0, 1, 2, 3, 10};
    int64_t want_o[] = {100, 7, 5, 0, 5};
    for (size_t i = 0; i < no; i++) {
        cr_assert_eq(o[i].partition, want_p[i]);
        cr_assert_eq(o[i].offset, want_o[i]);
    }
    free(o);
    cr_assert_eq(dd_store_read_offsets(s, "999999", &o, &no), 0);
    cr_assert_eq(no, 0);
    cr_assert_null(o);

    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

Test(store, many_sets_and_fetches)
{
    /* more fields than one HSET chunk (500) and than Lua's unpack limit */
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    dd_store *s = open_store(srv, 0);
    dd_store_batch *b = dd_store_batch_new();
    enum { N = 9001 };
    char f[32], v[32];
    for (int i = 0; i < N; i++) {
        snprintf(f, sizeof f, "S%05d", i);
        snprintf(v, sizeof v, "v1|%d", i * 7);
        cr_assert_eq(dd_store_batch_set(b, "dd:{220100}:c:H1", f, v), 0);
        cr_assert_eq(dd_store_batch_incr(b, "dd:{220100}:x", f, i + 1), 0);
    }
    dd_store_batch_offset(b, "220100", 0, 1);
    dd_store_commit_result res;
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.set_fields, N);
    cr_assert_eq(res.incr_fields, N);
    static const char *keys[N], *fields[N];
    static char fbuf[N][16];
    static char *vals[N];
    for (int i = 0; i < N; i++) {
        snprintf(fbuf[i], sizeof fbuf[i], "S%05d", N - 1 - i);
        keys[i] = "dd:{220100}:c:H1";
        fields[i] = fbuf[i];
    }
    cr_assert_eq(dd_store_fetch(s, N, keys, fields, vals), 0, "%s", dd_store_errstr(s));
    for (int i = 0; i < N; i++) {
        snprintf(v, sizeof v, "v1|%d", (N - 1 - i) * 7);
        cr_assert_str_eq(vals[i], v);
    }
    dd_store_fetch_free(N, vals);
    cr_assert_null(vals[0]);
    dd_store_hash h;
    cr_assert_eq(dd_store_hgetall(s, "dd:{220100}:x", &h), 0);
    cr_assert_eq(h.n, N);
    int64_t sum = 0, x;
    for (size_t i = 0; i < h.n; i++) {
        cr_assert_eq(dd_store_hash_get_i64(&h, h.fields[i].field, &x), 1);
        sum += x;
    }
    cr_assert_eq(sum, (int64_t)N * (N + 1) / 2);
    dd_store_hash_free(&h);
    const char *hk[] = {"dd:{220100}:x", "dd:{220100}:none", "dd:{220100}:c:H1"};
    dd_store_hash hs[3];
    cr_assert_eq(dd_store_hgetall_many(s, 3, hk, hs), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(hs[0].n, N);
    cr_assert_eq(hs[1].n, 0);
    cr_assert_eq(hs[2].n, N);
    cr_assert_str_eq(dd_store_hash_get(&hs[2], "S09000"), "v1|63000");
    cr_assert_eq(dd_store_hash_get_i64(&hs[0], "S00009", &x), 1);
    cr_assert_eq(x, 10);
    cr_assert_eq(dd_store_hash_get_i64(&hs[2], "S00009", &x), -1, "not an integer");
    for (int i = 0; i < 3; i++)
        dd_store_hash_free(&hs[i]);
    /* fetch on a key of another type is a server error, values stay NULL */
    const char *k2[] = {"dd:{220100}:c:H1", "dd:{220100}:str"};
    const char *f2[] = {"S00001", "f"};
    raw(srv, "SET dd:{220100}:str x");
    cr_assert_eq(dd_store_fetch(s, 2, k2, f2, vals), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_SERVER);
    cr_assert_null(vals[0]);
    cr_assert_null(vals[1]);
    const char *hk2[] = {"dd:{220100}:x", "dd:{220100}:str"};
    cr_assert_eq(dd_store_hgetall_many(s, 2, hk2, hs), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_SERVER);
    cr_assert_eq(hs[0].n, 0);
    cr_assert_null(hs[0].fields);
    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

Test(store, two_regions_one_commit)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    dd_store *s = open_store(srv, 0);
    dd_store_batch *b = dd_store_batch_new();
    dd_store_batch_incr(b, K1, "n", 3);
    dd_store_batch_incr(b, K3, "n", 4);
    dd_store_batch_offset(b, "220100", 0, 10);
    dd_store_batch_offset(b, "110100", 0, 11);
    cr_assert_eq(dd_store_batch_regions(b), 2);
    dd_store_commit_result res;
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.applied, 2);
    cr_assert_eq(res.round_trips, 1);
    cr_assert_eq(get_i64(s, K1, "n"), 3);
    cr_assert_eq(get_i64(s, K3, "n"), 4);
    cr_assert_eq(stored_offset(s, "220100", 0), 10);
    cr_assert_eq(stored_offset(s, "110100", 0), 11);

    /* one region already applied, the other new: each judged on its own */
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "n", 100);
    dd_store_batch_incr(b, K3, "n", 100);
    dd_store_batch_offset(b, "220100", 0, 10);
    dd_store_batch_offset(b, "110100", 0, 12);
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.applied, 1);
    cr_assert_eq(res.duplicates, 1);
    cr_assert_eq(get_i64(s, K1, "n"), 3);
    cr_assert_eq(get_i64(s, K3, "n"), 104);

    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

Test(store, int64_guards_write_nothing)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    dd_store *s = open_store(srv, 0);
    dd_store_batch *b = dd_store_batch_new();
    dd_store_batch_incr(b, K1, "big", INT64_MAX - 5);
    dd_store_batch_incr(b, K1, "small", INT64_MIN + 5);
    dd_store_batch_set(b, K2, "text", "abc");
    dd_store_batch_offset(b, "220100", 0, 1);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(get_i64(s, K1, "big"), INT64_MAX - 5);
    cr_assert_eq(get_i64(s, K1, "small"), INT64_MIN + 5);

    /* exactly to the limits: fine */
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "big", 5);
    dd_store_batch_incr(b, K1, "small", -5);
    dd_store_batch_offset(b, "220100", 0, 2);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(get_i64(s, K1, "big"), INT64_MAX);
    cr_assert_eq(get_i64(s, K1, "small"), INT64_MIN);

    /* one past: the whole region batch is refused before any write */
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "aaa", 7); /* sorted before "big": would be written first */
    dd_store_batch_incr(b, K1, "big", 1);
    dd_store_batch_offset(b, "220100", 0, 3);
    cr_assert_eq(dd_store_commit(s, b, NULL), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_SERVER);
    cr_assert(strstr(dd_store_errstr(s), "DDRANGE"), "%s", dd_store_errstr(s));
    cr_assert_eq(get_i64(s, K1, "aaa"), 0);
    cr_assert_eq(get_i64(s, K1, "big"), INT64_MAX);
    cr_assert_eq(stored_offset(s, "220100", 0), 2);

    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "small", -1);
    dd_store_batch_offset(b, "220100", 0, 3);
    cr_assert_eq(dd_store_commit(s, b, NULL), -1);
    cr_assert(strstr(dd_store_errstr(s), "DDRANGE"), "%s", dd_store_errstr(s));

    /* incrementing a non-integer field */
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "aaa", 1);
    dd_store_batch_incr(b, K2, "text", 1);
    dd_store_batch_offset(b, "220100", 0, 3);
    cr_assert_eq(dd_store_commit(s, b, NULL), -1);
    cr_assert(strstr(dd_store_errstr(s), "DDNOTINT"), "%s", dd_store_errstr(s));
    cr_assert_eq(get_i64(s, K1, "aaa"), 0);

    /* a key of another type */
    raw(srv, "SET dd:{220100}:str x");
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "aaa", 1);
    dd_store_batch_incr(b, "dd:{220100}:str", "f", 1);
    dd_store_batch_offset(b, "220100", 0, 3);
    cr_assert_eq(dd_store_commit(s, b, NULL), -1);
    cr_assert(strstr(dd_store_errstr(s), "WRONGTYPE"), "%s", dd_store_errstr(s));
    cr_assert_eq(get_i64(s, K1, "aaa"), 0);
    cr_assert_eq(stored_offset(s, "220100", 0), 2);

    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

Test(store, noscript_after_script_flush)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    dd_store *s = open_store(srv, 0);
    dd_store_batch *b = dd_store_batch_new();
    dd_store_batch_incr(b, K1, "n", 1);
    dd_store_batch_offset(b, "220100", 0, 1);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));
    raw(srv, "SCRIPT FLUSH");
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "n", 1);
    dd_store_batch_incr(b, K3, "n", 1);
    dd_store_batch_offset(b, "220100", 0, 2);
    dd_store_batch_offset(b, "110100", 0, 2);
    dd_store_commit_result res;
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.applied, 2);
    cr_assert_eq(res.round_trips, 2);
    dd_store_stats st;
    dd_store_get_stats(s, &st);
    cr_assert_eq(st.noscript, 1);
    cr_assert_eq(st.script_loads, 2);
    cr_assert_eq(get_i64(s, K1, "n"), 2);
    cr_assert_eq(get_i64(s, K3, "n"), 1);
    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

Test(store, redis_down_then_restarted, .timeout = 30)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_ALWAYS, NULL);
    dd_store *s = open_store(srv, 2);
    dd_store_batch *b = dd_store_batch_new();
    dd_store_batch_incr(b, K1, "n", 7);
    dd_store_batch_set(b, "dd:{220100}:c:H1", "S1", "v1|a");
    dd_store_batch_offset(b, "220100", 0, 100);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));

    char err[512];
    cr_assert_eq(dd_redis_server_stop(srv, err, sizeof err), 0, "%s", err);

    /* the next batch while Redis is down: a clean IO error after retries */
    dd_store_batch *b2 = dd_store_batch_new();
    dd_store_batch_incr(b2, K1, "n", 5);
    dd_store_batch_incr(b2, K3, "n", 9);
    dd_store_batch_offset(b2, "220100", 0, 101);
    dd_store_batch_offset(b2, "110100", 1, 3);
    dd_store_commit_result res;
    cr_assert_eq(dd_store_commit(s, b2, &res), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_IO, "%s", dd_store_errstr(s));
    cr_assert_eq(res.applied, 0);
    cr_assert_eq(dd_store_ping(s), -1);
    dd_store_stats st;
    dd_store_get_stats(s, &st);
    cr_assert_geq(st.connect_failures, 3);

    cr_assert_eq(dd_redis_server_start(srv, err, sizeof err), 0, "%s", err);
    /* same batch again: applied once; NOSCRIPT (scripts are not persisted) handled */
    cr_assert_eq(dd_store_commit(s, b2, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.applied, 2);
    cr_assert_eq(dd_store_commit(s, b2, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.duplicates, 2);
    /* the batch before the stop was persisted and is not applied twice */
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.duplicates, 1);
    cr_assert_eq(get_i64(s, K1, "n"), 12);
    cr_assert_eq(get_i64(s, K3, "n"), 9);
    cr_assert_eq(stored_offset(s, "220100", 0), 101);
    cr_assert_eq(stored_offset(s, "110100", 1), 3);
    dd_store_get_stats(s, &st);
    cr_assert_geq(st.noscript, 1);
    cr_assert_eq(st.server_restarts, 1);
    cr_assert_eq(st.connects, 2);

    /* a crash (SIGKILL) with appendfsync always keeps acknowledged commits */
    dd_redis_server_kill(srv);
    cr_assert_eq(dd_redis_server_start(srv, err, sizeof err), 0, "%s", err);
    cr_assert_eq(get_i64(s, K1, "n"), 12);
    cr_assert_eq(dd_store_commit(s, b2, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.duplicates, 2);
    dd_store_get_stats(s, &st);
    cr_assert_eq(st.server_restarts, 2);

    dd_store_batch_destroy(b);
    dd_store_batch_destroy(b2);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

Test(store, restart_during_retries_succeeds)
{
    /* a clean restart between two commits: the store notices the dead
     * connection and reconnects (at the latest on the next call). */
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_EVERYSEC, NULL);
    dd_store *s = open_store(srv, 0);
    dd_store_batch *b = dd_store_batch_new();
    dd_store_batch_incr(b, K1, "n", 1);
    dd_store_batch_offset(b, "220100", 0, 1);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));
    char err[512];
    cr_assert_eq(dd_redis_server_stop(srv, err, sizeof err), 0, "%s", err);
    cr_assert_eq(dd_redis_server_start(srv, err, sizeof err), 0, "%s", err);
    /* the old connection is dead; with retries = 0 the first call may fail
     * (IO) — a second call reconnects */
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "n", 1);
    dd_store_batch_offset(b, "220100", 0, 2);
    int rc = dd_store_commit(s, b, NULL);
    if (rc < 0) {
        cr_assert_eq(dd_store_err(s), DD_STORE_ERR_IO, "%s", dd_store_errstr(s));
        rc = dd_store_commit(s, b, NULL);
    }
    cr_assert_eq(rc, 0, "%s", dd_store_errstr(s));
    cr_assert_eq(get_i64(s, K1, "n"), 2);
    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

Test(store, password)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, "pa:ss@word");
    char err[256], url[700];
    dd_store_opts o = {0};
    o.url = dd_redis_server_url(srv);
    dd_store *s = dd_store_new(&o, err, sizeof err);
    cr_assert(s);
    cr_assert_eq(dd_store_ping(s), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_AUTH, "%s", dd_store_errstr(s));
    dd_store_destroy(s);
    o.password = "pa:ss@word";
    s = dd_store_new(&o, err, sizeof err);
    cr_assert_eq(dd_store_ping(s), 0, "%s", dd_store_errstr(s));
    dd_store_destroy(s);
    o.password = "wrong";
    s = dd_store_new(&o, err, sizeof err);
    cr_assert_eq(dd_store_ping(s), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_AUTH, "%s", dd_store_errstr(s));
    dd_store_destroy(s);
    (void)url;
    dd_redis_server_destroy(srv);
}

Test(store, hung_server_times_out_and_lost_reply_is_not_doubled, .timeout = 30)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    char err[256];
    dd_store_opts o = {0};
    o.url = dd_redis_server_url(srv);
    o.command_timeout_ms = 300;
    dd_store *s = dd_store_new(&o, err, sizeof err);
    cr_assert(s, "%s", err);
    dd_store_batch *b = dd_store_batch_new();
    dd_store_batch_incr(b, K1, "n", 1);
    dd_store_batch_offset(b, "220100", 0, 1);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));

    /* the server hangs: the commit is sent, its reply never comes */
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "n", 10);
    dd_store_batch_incr(b, K3, "n", 10);
    dd_store_batch_offset(b, "220100", 0, 2);
    dd_store_batch_offset(b, "110100", 0, 2);
    cr_assert_eq(kill(dd_redis_server_pid(srv), SIGSTOP), 0);
    dd_store_commit_result res;
    cr_assert_eq(dd_store_commit(s, b, &res), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_IO, "%s", dd_store_errstr(s));
    cr_assert_eq(kill(dd_redis_server_pid(srv), SIGCONT), 0);

    /* the server may now run the first attempt too: still counted once */
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.applied + res.duplicates, 2);
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.duplicates, 2);
    cr_assert_eq(get_i64(s, K1, "n"), 11);
    cr_assert_eq(get_i64(s, K3, "n"), 10);
    dd_store_stats st;
    dd_store_get_stats(s, &st);
    cr_assert_eq(st.io_failures, 1);
    cr_assert_eq(st.server_restarts, 0);
    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

typedef struct {
    dd_store *s;
    dd_store_batch *b;
    int rc;
    dd_store_commit_result res;
} commit_job;

static void *commit_thread(void *arg)
{
    commit_job *j = arg;
    j->rc = dd_store_commit(j->s, j->b, &j->res);
    return NULL;
}

Test(store, retries_within_one_call, .timeout = 30)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    char err[256];
    dd_store_opts o = {0};
    o.url = dd_redis_server_url(srv);
    o.command_timeout_ms = 200;
    o.connect_timeout_ms = 200;
    o.retries = 20;
    o.backoff_ms = 20;
    o.backoff_max_ms = 100;
    dd_store *s = dd_store_new(&o, err, sizeof err);
    cr_assert(s, "%s", err);
    cr_assert_eq(dd_store_ping(s), 0, "%s", dd_store_errstr(s));
    dd_store_batch *b = dd_store_batch_new();
    dd_store_batch_incr(b, K1, "n", 3);
    dd_store_batch_offset(b, "220100", 0, 1);
    cr_assert_eq(kill(dd_redis_server_pid(srv), SIGSTOP), 0);
    commit_job j = {s, b, -2, {0}};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, commit_thread, &j), 0);
    struct timespec ts = {0, 700 * 1000000L};
    nanosleep(&ts, NULL);
    kill(dd_redis_server_pid(srv), SIGCONT);
    pthread_join(t, NULL);
    cr_assert_eq(j.rc, 0, "%s", dd_store_errstr(s));
    cr_assert_eq(j.res.applied + j.res.duplicates, 1);
    cr_assert_geq(j.res.round_trips, 1);
    dd_store_stats st;
    dd_store_get_stats(s, &st);
    cr_assert_geq(st.io_failures + st.connect_failures, 1);
    cr_assert_eq(get_i64(s, K1, "n"), 3);
    cr_assert_eq(stored_offset(s, "220100", 0), 1);
    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

/* dd_store_batch_del / dd_store_batch_expire: HDEL and EXPIRE in the same
 * atomic region script as the increments and sets; argument rules. */
Test(store, del_and_expire)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    dd_store *s = open_store(srv, 0);
    dd_store_batch *b = dd_store_batch_new();
    const char *P = "dd:{220100}:p:H1:abcd";
    cr_assert_eq(dd_store_batch_set(b, P, "S1", "a"), 0);
    cr_assert_eq(dd_store_batch_set(b, P, "S2", "b"), 0);
    cr_assert_eq(dd_store_batch_set(b, P, "S3", "c"), 0);
    cr_assert_eq(dd_store_batch_incr(b, K1, "settled", 2), 0);
    cr_assert_eq(dd_store_batch_offset(b, "220100", 0, 10), 0);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));

    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_del(b, P, "S1"), 0);
    cr_assert_eq(dd_store_batch_set(b, P, "S2", "b2"), 0);
    cr_assert_eq(dd_store_batch_del(b, P, "S2"), 0); /* the later delete wins */
    cr_assert_eq(dd_store_batch_del(b, P, "S3"), 0);
    cr_assert_eq(dd_store_batch_set(b, P, "S3", "c2"), 0); /* the later set wins */
    cr_assert_eq(dd_store_batch_set(b, P, "S4", "d"), 0);
    cr_assert_eq(dd_store_batch_expire(b, P, 100), 0);
    cr_assert_eq(dd_store_batch_expire(b, P, 500), 0);
    cr_assert_eq(dd_store_batch_del(b, "dd:{220100}:q", "nothing"), 0); /* absent: no-op */
    cr_assert_eq(dd_store_batch_incr(b, K1, "settled", 1), 0);
    cr_assert_eq(dd_store_batch_offset(b, "220100", 0, 11), 0);
    dd_store_commit_result res;
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.applied, 1);
    dd_store_hash h;
    cr_assert_eq(dd_store_hgetall(s, P, &h), 0);
    cr_assert_eq(h.n, 2);
    cr_assert_str_eq(dd_store_hash_get(&h, "S3"), "c2");
    cr_assert_str_eq(dd_store_hash_get(&h, "S4"), "d");
    dd_store_hash_free(&h);
    cr_assert_eq(get_i64(s, K1, "settled"), 3);
    dd_store_reply r;
    const char *keys[] = {P};
    cr_assert_eq(dd_store_eval(s, "return redis.call('TTL', KEYS[1])", 1, keys, 0, NULL, NULL, &r),
                 0, "%s", dd_store_errstr(s));
    cr_assert_eq(r.n, 1);
    long ttl = atol(r.v[0]);
    cr_assert(ttl > 490 && ttl <= 500, "ttl %ld", ttl);
    dd_store_reply_free(&r);
    /* re-sent (lost reply): a duplicate, nothing deleted or written again */
    cr_assert_eq(dd_store_commit(s, b, &res), 0);
    cr_assert_eq(res.duplicates, 1);
    cr_assert_eq(get_i64(s, K1, "settled"), 3);

    /* deleting every field removes the key (Redis drops empty hashes) */
    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_del(b, P, "S3"), 0);
    cr_assert_eq(dd_store_batch_del(b, P, "S4"), 0);
    cr_assert_eq(dd_store_batch_offset(b, "220100", 0, 12), 0);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(dd_store_hgetall(s, P, &h), 0);
    cr_assert_eq(h.n, 0);
    dd_store_hash_free(&h);

    /* argument errors mark the batch failed */
    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_incr(b, K1, "x", 1), 0);
    cr_assert_eq(dd_store_batch_del(b, K1, "x"), -1);
    cr_assert_eq(dd_store_batch_err(b), DD_STORE_ERR_ARG);
    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_del(b, K1, "y"), 0);
    cr_assert_eq(dd_store_batch_incr(b, K1, "y", 1), -1);
    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_expire(b, P, 0), -1);
    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_expire(b, "no-tag", 10), -1);
    dd_store_batch_reset(b);
    cr_assert_eq(dd_store_batch_del(b, "dd:{220100}:off", "0"), -1);

    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

/* dd_store_fetch groups the pairs by key (one HMGET per key, chunked):
 * order, duplicates, absent keys and fields, more fields than one chunk. */
Test(store, fetch_grouped_by_key)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    dd_store *s = open_store(srv, 0);
    dd_store_batch *b = dd_store_batch_new();
    enum { NF = 2500, N = 3 * NF + 7 };
    char f[32], v[32];
    for (int i = 0; i < NF; i++) {
        snprintf(f, sizeof f, "F%d", i);
        snprintf(v, sizeof v, "a%d", i);
        cr_assert_eq(dd_store_batch_set(b, "dd:{220100}:c:A", f, v), 0);
        if (i % 3 == 0) {
            snprintf(v, sizeof v, "b%d", i);
            cr_assert_eq(dd_store_batch_set(b, "dd:{220100}:c:B", f, v), 0);
        }
    }
    dd_store_batch_offset(b, "220100", 0, 1);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));
    static const char *keys[N], *fields[N];
    static char fb[N][32], want[N][32];
    static char *vals[N];
    /* interleaved keys, fields in reverse order, every pair of A twice */
    for (int i = 0; i < N; i++) {
        int j = N - 1 - i;
        int kind = i % 5;
        int fi = j % (NF + 40); /* some past the last field: absent */
        snprintf(fb[i], sizeof fb[i], "F%d", fi);
        fields[i] = fb[i];
        want[i][0] = '\0';
        if (kind <= 1) {
            keys[i] = "dd:{220100}:c:A";
            if (fi < NF)
                snprintf(want[i], sizeof want[i], "a%d", fi);
        } else if (kind == 2) {
            keys[i] = "dd:{220100}:c:B";
            if (fi < NF && fi % 3 == 0)
                snprintf(want[i], sizeof want[i], "b%d", fi);
        } else if (kind == 3) {
            keys[i] = "dd:{220100}:c:none";
        } else {
            keys[i] = "dd:{110100}:c:A"; /* another region, absent */
        }
    }
    /* the same pair twice in a row and far apart */
    keys[1] = keys[0], fields[1] = fields[0], memcpy(want[1], want[0], sizeof want[0]);
    keys[N - 1] = keys[0], fields[N - 1] = fields[0], memcpy(want[N - 1], want[0], sizeof want[0]);
    cr_assert_eq(dd_store_fetch(s, N, keys, fields, vals), 0, "%s", dd_store_errstr(s));
    int present = 0;
    for (int i = 0; i < N; i++) {
        if (want[i][0]) {
            cr_assert(vals[i], "pair %d %s %s: NULL", i, keys[i], fields[i]);
            cr_assert_str_eq(vals[i], want[i], "pair %d", i);
            present++;
        } else {
            cr_assert_null(vals[i], "pair %d %s %s: %s", i, keys[i], fields[i], vals[i]);
        }
    }
    cr_assert_gt(present, NF, "most A pairs present");
    cr_assert(vals[1] != vals[0], "duplicates get their own copies");
    dd_store_fetch_free(N, vals);
    for (int i = 0; i < N; i++)
        cr_assert_null(vals[i]);

    /* a non-hash key among many pairs: SERVER naming the key, all NULL */
    raw(srv, "RPUSH dd:{220100}:list x");
    keys[NF] = "dd:{220100}:list";
    cr_assert_eq(dd_store_fetch(s, N, keys, fields, vals), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_SERVER);
    cr_assert(strstr(dd_store_errstr(s), "dd:{220100}:list"), "%s", dd_store_errstr(s));
    for (int i = 0; i < N; i++)
        cr_assert_null(vals[i]);
    /* NULL arguments */
    const char *nk[] = {"dd:{220100}:c:A", NULL};
    const char *nf[] = {"F1", "F2"};
    char *nv[2];
    cr_assert_eq(dd_store_fetch(s, 2, nk, nf, nv), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_ARG);
    cr_assert_null(nv[0]);
    /* the store still works after the error */
    cr_assert_eq(dd_store_fetch(s, 1, nk, nf, nv), 0, "%s", dd_store_errstr(s));
    cr_assert_str_eq(nv[0], "a1");
    dd_store_fetch_free(1, nv);
    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

/* What a region batch touched, for the all-or-nothing checks below. */
static void assert_untouched(dd_store *s, dd_redis_server *srv, int64_t off)
{
    cr_assert_eq(get_i64(s, K1, "n"), 5);
    cr_assert_eq(get_i64(s, K1, "new"), 0);
    dd_store_hash h;
    cr_assert_eq(dd_store_hgetall(s, "dd:{220100}:c:H1", &h), 0);
    cr_assert_eq(h.n, 1);
    cr_assert_str_eq(dd_store_hash_get(&h, "S1"), "old");
    dd_store_hash_free(&h);
    cr_assert_eq(dd_store_hgetall(s, "dd:{220100}:p:0150", &h), 0);
    cr_assert_eq(h.n, 0, "no person key written");
    dd_store_hash_free(&h);
    cr_assert_eq(stored_offset(s, "220100", 0), off);
    (void)srv;
}

/* Every check comes before the first write, whatever kind of key fails:
 * incremented, set-only, delete-only, expire-only, the offsets hash. */
Test(store, wrong_type_anywhere_writes_nothing)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    dd_store *s = open_store(srv, 0);
    dd_store_batch *b = dd_store_batch_new();
    char key[64];
    dd_store_batch_incr(b, K1, "n", 5);
    dd_store_batch_set(b, "dd:{220100}:c:H1", "S1", "old");
    /* existing hashes spread among the set-only keys (the script's range check) */
    for (int i = 0; i < 300; i += 7) {
        snprintf(key, sizeof key, "dd:{220100}:p:%04d", i);
        dd_store_batch_set(b, key, "S", "x");
    }
    dd_store_batch_offset(b, "220100", 0, 10);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));
    raw(srv, "SET dd:{220100}:str x");
    raw(srv, "RPUSH dd:{220100}:p:0151 x");
    raw(srv, "SADD dd:{220100}:zz x");

    const char *bad[] = {"incr", "set", "set-late", "del", "expire", "offsets"};
    for (size_t t = 0; t < sizeof bad / sizeof bad[0]; t++) {
        dd_store_batch_reset(b);
        dd_store_batch_incr(b, K1, "n", 100);
        dd_store_batch_incr(b, K1, "new", 1);
        dd_store_batch_set(b, "dd:{220100}:c:H1", "S1", "new");
        dd_store_batch_set(b, "dd:{220100}:c:H1", "S2", "new");
        for (int i = 0; i < 300; i++) {
            if (i == 151)
                continue;
            snprintf(key, sizeof key, "dd:{220100}:p:%04d", i);
            dd_store_batch_set(b, key, "S", "y");
            dd_store_batch_expire(b, key, 1000);
        }
        if (!strcmp(bad[t], "incr"))
            dd_store_batch_incr(b, "dd:{220100}:str", "f", 1);
        else if (!strcmp(bad[t], "set"))
            dd_store_batch_set(b, "dd:{220100}:p:0151", "S", "y");
        else if (!strcmp(bad[t], "set-late"))
            dd_store_batch_set(b, "dd:{220100}:zz", "S", "y"); /* sorts after every other key */
        else if (!strcmp(bad[t], "del"))
            dd_store_batch_del(b, "dd:{220100}:str", "f");
        else if (!strcmp(bad[t], "expire"))
            dd_store_batch_expire(b, "dd:{220100}:zz", 10);
        dd_store_batch_offset(b, "220100", 0, 11);
        if (!strcmp(bad[t], "offsets")) {
            raw(srv, "RENAME dd:{220100}:off dd:{220100}:offsave");
            raw(srv, "SET dd:{220100}:off x");
        }
        /* a second region in the same commit is judged on its own */
        dd_store_batch_incr(b, K3, "n", 1);
        dd_store_batch_offset(b, "110100", 0, (int64_t)t + 1);
        dd_store_commit_result res;
        cr_assert_eq(dd_store_commit(s, b, &res), -1, "%s", bad[t]);
        cr_assert_eq(dd_store_err(s), DD_STORE_ERR_SERVER, "%s: %s", bad[t], dd_store_errstr(s));
        cr_assert(strstr(dd_store_errstr(s), "WRONGTYPE"), "%s: %s", bad[t], dd_store_errstr(s));
        cr_assert_eq(res.applied, 1, "%s: the other region", bad[t]);
        if (!strcmp(bad[t], "offsets")) {
            cr_assert(strstr(dd_store_errstr(s), "dd:{220100}:off"), "%s", dd_store_errstr(s));
            raw(srv, "DEL dd:{220100}:off");
            raw(srv, "RENAME dd:{220100}:offsave dd:{220100}:off");
        }
        assert_untouched(s, srv, 10);
        cr_assert_eq(get_i64(s, K3, "n"), (int64_t)t + 1);
        dd_store_hash h;
        cr_assert_eq(dd_store_hgetall(s, "dd:{220100}:p:0007", &h), 0);
        cr_assert_str_eq(dd_store_hash_get(&h, "S"), "x", "%s", bad[t]);
        dd_store_hash_free(&h);
        dd_store_reply r;
        const char *tk[] = {"dd:{220100}:p:0007"};
        cr_assert_eq(dd_store_eval(s, "return redis.call('TTL', KEYS[1])", 1, tk, 0, NULL, NULL,
                                   &r), 0);
        cr_assert_str_eq(r.v[0], "-1", "%s: no EXPIRE applied", bad[t]);
        dd_store_reply_free(&r);
    }

    /* DDNOTINT / DDRANGE with set-only keys around: nothing written either */
    raw(srv, "HSET dd:{220100}:t:310:2025-03 txt abc big 9223372036854775800");
    for (int t = 0; t < 2; t++) {
        dd_store_batch_reset(b);
        dd_store_batch_incr(b, K1, "new", 1);
        dd_store_batch_set(b, "dd:{220100}:c:H1", "S1", "new");
        dd_store_batch_set(b, "dd:{220100}:p:0150", "S", "y");
        dd_store_batch_expire(b, "dd:{220100}:p:0150", 100);
        dd_store_batch_incr(b, K1, t ? "big" : "txt", 8);
        dd_store_batch_offset(b, "220100", 0, 11);
        cr_assert_eq(dd_store_commit(s, b, NULL), -1);
        cr_assert(strstr(dd_store_errstr(s), t ? "DDRANGE" : "DDNOTINT"), "%s",
                  dd_store_errstr(s));
        assert_untouched(s, srv, 10);
    }
    /* and the same batch without the bad field goes through */
    dd_store_batch_reset(b);
    dd_store_batch_incr(b, K1, "new", 1);
    dd_store_batch_incr(b, K1, "big", 7);
    dd_store_batch_set(b, "dd:{220100}:p:0150", "S", "y");
    dd_store_batch_offset(b, "220100", 0, 11);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(get_i64(s, K1, "new"), 1);
    cr_assert_eq(get_i64(s, K1, "big"), INT64_MAX);
    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

/* The script's sums equal HINCRBY's at every length boundary of the fast
 * path (canonical integers under 16 characters summed in a double). */
Test(store, sums_exact_at_length_boundaries)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    dd_store *s = open_store(srv, 0);
    dd_store_batch *b = dd_store_batch_new();
    static const int64_t base[] = {0, 1, -1, 9, 99999999999999, 999999999999999,
                                   -99999999999999, 1000000000000000, -999999999999999,
                                   4503599627370495, 9007199254740993, INT64_MAX - 3,
                                   INT64_MIN + 3, 123456789012345};
    static const int64_t delta[] = {1, -1, 2, 999999999999999, -999999999999999,
                                    1000000000000000, 3, -3, 9007199254740993, INT64_MIN + 10};
    enum { NB = sizeof base / sizeof base[0], ND = sizeof delta / sizeof delta[0] };
    char f[32];
    for (int i = 0; i < NB; i++)
        for (int j = 0; j < ND; j++) {
            snprintf(f, sizeof f, "f%d_%d", i, j);
            cr_assert_eq(dd_store_batch_incr(b, K1, f, base[i]), 0);
        }
    /* a field absent before: the delta itself */
    dd_store_batch_incr(b, K2, "min", INT64_MIN);
    dd_store_batch_incr(b, K2, "max", INT64_MAX);
    dd_store_batch_offset(b, "220100", 0, 1);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(get_i64(s, K2, "min"), INT64_MIN);
    cr_assert_eq(get_i64(s, K2, "max"), INT64_MAX);
    dd_store_batch_reset(b);
    int64_t want[NB][ND];
    int ok[NB][ND];
    for (int i = 0; i < NB; i++)
        for (int j = 0; j < ND; j++) {
            ok[i][j] = !__builtin_add_overflow(base[i], delta[j], &want[i][j]);
            if (ok[i][j]) {
                snprintf(f, sizeof f, "f%d_%d", i, j);
                dd_store_batch_incr(b, K1, f, delta[j]);
            }
        }
    dd_store_batch_offset(b, "220100", 0, 2);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));
    dd_store_hash h;
    cr_assert_eq(dd_store_hgetall(s, K1, &h), 0);
    for (int i = 0; i < NB; i++)
        for (int j = 0; j < ND; j++) {
            snprintf(f, sizeof f, "f%d_%d", i, j);
            int64_t x;
            int found = dd_store_hash_get_i64(&h, f, &x);
            int64_t w = ok[i][j] ? want[i][j] : base[i];
            if (w == 0) {
                /* 0 + 0 is never sent; a field that sums to 0 holds "0" */
                cr_assert(found == 0 || (found == 1 && x == 0), "%s", f);
            } else {
                cr_assert_eq(found, 1, "%s", f);
                cr_assert_eq(x, w, "%s: %" PRId64 " + %" PRId64 " gave %" PRId64, f, base[i],
                             delta[j], x);
            }
        }
    dd_store_hash_free(&h);
    /* non-canonical stored integers are refused, not reinterpreted */
    raw(srv, "HSET dd:{220100}:t:310:2025-03 z1 -0 z2 007 z3 1e3 z4 nan z5 +5 z6 0x10");
    for (int i = 1; i <= 6; i++) {
        dd_store_batch_reset(b);
        snprintf(f, sizeof f, "z%d", i);
        dd_store_batch_incr(b, K1, f, 1);
        dd_store_batch_offset(b, "220100", 0, 3);
        cr_assert_eq(dd_store_commit(s, b, NULL), -1, "%s", f);
        cr_assert(strstr(dd_store_errstr(s), "DDNOTINT"), "%s: %s", f, dd_store_errstr(s));
    }
    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

/* A region batch with more partitions than one HMGET / HSET chunk. */
Test(store, many_partitions)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    dd_store *s = open_store(srv, 0);
    dd_store_batch *b = dd_store_batch_new();
    for (int p = 0; p < 1200; p++)
        dd_store_batch_offset(b, "220100", p, 1000 + p);
    dd_store_batch_incr(b, K1, "n", 1);
    dd_store_commit_result res;
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.applied, 1);
    cr_assert_eq(stored_offset(s, "220100", 0), 1000);
    cr_assert_eq(stored_offset(s, "220100", 1199), 2199);
    cr_assert_eq(dd_store_commit(s, b, &res), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(res.duplicates, 1);
    dd_store_batch_offset(b, "220100", 1199, 5000); /* one newer, 1199 older: conflict */
    cr_assert_eq(dd_store_commit(s, b, &res), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_CONFLICT, "%s", dd_store_errstr(s));
    cr_assert_eq(get_i64(s, K1, "n"), 1);
    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}

/* A claim is written when absent, accepted when equal, and otherwise refuses
 * the whole region batch (DDOWNER) before any write; other regions of the
 * same commit are judged on their own. */
Test(store, claims)
{
    dd_redis_server *srv = start_server(DD_REDIS_PERSIST_NONE, NULL);
    dd_store *s = open_store(srv, 0);
    dd_store_batch *b = dd_store_batch_new();
    const char *own = "dd:{220100}:hp";
    dd_store_batch_claim(b, own, "H1", "3");
    dd_store_batch_claim(b, own, "H1", "3"); /* the same claim twice is one */
    dd_store_batch_set(b, K1, "v", "10");
    dd_store_batch_offset(b, "220100", 3, 100);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));
    dd_store_hash h;
    cr_assert_eq(dd_store_hgetall(s, own, &h), 0);
    cr_assert_eq(h.n, 1);
    cr_assert_str_eq(h.fields[0].field, "H1");
    cr_assert_str_eq(h.fields[0].value, "3");
    dd_store_hash_free(&h);

    /* equal: accepted, not rewritten */
    dd_store_batch_reset(b);
    dd_store_batch_claim(b, own, "H1", "3");
    dd_store_batch_claim(b, own, "H2", "3");
    dd_store_batch_set(b, K1, "v", "11");
    dd_store_batch_offset(b, "220100", 3, 101);
    cr_assert_eq(dd_store_commit(s, b, NULL), 0, "%s", dd_store_errstr(s));
    cr_assert_eq(get_i64(s, K1, "v"), 11);
    cr_assert_eq(get_i64(s, own, "H2"), 3);

    /* another value: nothing of the region written, offsets untouched; the
     * other region of the commit is applied */
    dd_store_batch_reset(b);
    dd_store_batch_claim(b, own, "H2", "3");
    dd_store_batch_claim(b, own, "H1", "5");
    dd_store_batch_set(b, K1, "v", "99");
    dd_store_batch_incr(b, K3, "n", 7);
    dd_store_batch_offset(b, "220100", 5, 7);
    dd_store_batch_offset(b, "110100", 0, 1);
    cr_assert_eq(dd_store_commit(s, b, NULL), -1);
    cr_assert_eq(dd_store_err(s), DD_STORE_ERR_OWNER, "%s", dd_store_errstr(s));
    cr_assert(strstr(dd_store_errstr(s), "DDOWNER dd:{220100}:hp H1 is 3, not 5"), "%s",
              dd_store_errstr(s));
    cr_assert_eq(get_i64(s, K1, "v"), 11);
    cr_assert_eq(stored_offset(s, "220100", 5), -1);
    cr_assert_eq(get_i64(s, K3, "n"), 7);

    /* a claim and another write of one field in one batch: refused */
    dd_store_batch_reset(b);
    dd_store_batch_set(b, own, "H3", "1");
    cr_assert_eq(dd_store_batch_claim(b, own, "H3", "1"), -1);
    cr_assert(dd_store_batch_err(b));

    dd_store_batch_destroy(b);
    dd_store_destroy(s);
    dd_redis_server_destroy(srv);
}
