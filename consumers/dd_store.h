/*
 * dd_store — exactly-once totals in Redis: a connection, a batch of hash
 * increments / field sets / consumed offsets, and an atomic commit.
 *
 * Model. Every key belongs to one REGION, named by its Redis-Cluster hash
 * tag: the text between the key's first '{' and the next '}' (keys of the
 * layout in docs/redis-layout.md look like "dd:{220100}:t:310:2025-03"), so
 * all keys of a region share one hash slot and one Lua script can update
 * them atomically. A region's consumed Kafka offsets live in the hash
 * "dd:{<region>}:off" (field: partition, value: offset of the LAST event of
 * that partition whose effects are in Redis).
 *
 * Batch. dd_store_batch_incr() sums deltas per (key, field) (an int64
 * overflow of the sum is an error); dd_store_batch_set() keeps the latest
 * value per (key, field); a field is either incremented or set within a
 * batch, not both. dd_store_batch_offset() records (region, partition,
 * offset), keeping the greatest offset per (region, partition). Every region
 * with data must carry at least one offset: the offset is what makes the
 * commit idempotent. A failed batch call leaves the batch unchanged but
 * marks it failed: commit refuses it until dd_store_batch_reset().
 *
 * Commit. dd_store_commit() sends ONE script per region (EVALSHA, SCRIPT
 * LOAD on NOSCRIPT), pipelined across regions. Per region the script
 * atomically:
 *   1. compares each batch offset with the stored one: all greater -> go on;
 *      all at or below -> the region batch was applied before: return, touch
 *      nothing ("duplicate"); some of each -> error DD_STORE_ERR_CONFLICT,
 *      touch nothing;
 *   2. checks, before any write (Redis does not roll back a script that
 *      fails half-way), that every key is a hash (or absent), every
 *      incremented field holds an integer and no sum leaves int64;
 *   3. applies HINCRBY / HSET and stores the new offsets.
 * Integers cross Lua as strings (Lua numbers are doubles; HINCRBY parses
 * int64 itself; offsets compare as decimal strings).
 *
 * Why a region batch never mixes applied and new events of one
 * (region, partition) — the caller's side of the contract:
 *   - offsets are monotone within a partition and the processor applies a
 *     partition's events in order, one writer per partition;
 *   - on (re)start the processor reads dd_store_read_offsets() for each
 *     region, W(region, partition), and skips the Redis effects of every
 *     event with offset <= W(region, partition) (it still feeds them to its
 *     in-memory state when it rebuilds by replay);
 *   - a region batch records, for each partition that contributed events to
 *     that region, the greatest such offset (> W by the rule above), and
 *     contains the effects of exactly those events; W then advances to it.
 * So at commit time either the script already ran for this very batch (a
 * retry after a lost reply: stored == batch offsets, "duplicate") or no event
 * of it is in Redis (stored < every event offset of the batch). A mixed
 * answer can only come from a second writer (a zombie after a rebalance) or
 * a caller bug, and is refused rather than half-applied.
 *
 * Retries. An I/O failure (connect, write, read, timeout), LOADING, BUSY,
 * TRYAGAIN, READONLY or MASTERDOWN (a failover) drops the connection and,
 * up to opts.retries times, reconnects after a pause (backoff_ms doubling
 * per consecutive failure, capped at backoff_max_ms) and re-sends the
 * regions whose outcome is unknown: re-sending is safe by step 1. Reads
 * (fetch, hgetall, read_offsets, ping) retry the same way. Without retries left the call fails with
 * DD_STORE_ERR_IO; calling dd_store_commit() again with the same batch is
 * always safe. Regions confirmed in the failed call are reported in the
 * result; whatever Redis state, the batch is either fully in Redis per
 * region or not at all.
 *
 * Durability is Redis's: run it with appendonly yes + appendfsync always
 * (group commit: one fsync per event-loop turn) so an acknowledged commit
 * survives a crash; with everysec a machine crash can lose the last second,
 * offsets and totals together (the script's writes are one MULTI/EXEC in the
 * AOF), and stats.server_restarts tells the processor to re-read offsets.
 *
 * Redis Cluster: the key layout is cluster-ready (one slot per region), but
 * this client talks to ONE node (no MOVED/ASK handling); use a single
 * primary (optionally with replicas / Sentinel-managed DNS).
 *
 * SIGPIPE raised by a write to a dead server is blocked and discarded for
 * the calling thread during store I/O (the process disposition is untouched).
 * A dd_store is used by one thread at a time. Errors: -1 and a code +
 * message on the object (dd_store_err / dd_store_errstr), hiredis style.
 */
#ifndef DD_STORE_H
#define DD_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    DD_STORE_OK = 0,
    DD_STORE_ERR_ARG,      /* bad argument: URL, key without {tag}, region without offset, sum overflow */
    DD_STORE_ERR_OOM,      /* out of memory (client side) */
    DD_STORE_ERR_IO,       /* cannot connect, connection lost, timeout: retrying is safe */
    DD_STORE_ERR_AUTH,     /* AUTH or SELECT refused */
    DD_STORE_ERR_PROTOCOL, /* unexpected reply shape */
    DD_STORE_ERR_SERVER,   /* an error reply (WRONGTYPE, DDRANGE, DDNOTINT, OOM, ...): region not applied */
    DD_STORE_ERR_CONFLICT, /* offsets partly at/below, partly above the stored ones: not applied */
    DD_STORE_ERR_OWNER     /* a claimed field holds another value (DDOWNER): region not applied */
} dd_store_errcode;

const char *dd_store_errcode_name(int code); /* "OK", "ARG", "IO", ... */

/* ---------------- connection ---------------- */

typedef struct {
    int unix_socket;      /* 1: `path`; 0: `host`:`port` */
    char host[256];
    int port;
    char path[256];
    char user[128];       /* ACL user ("" = default user) */
    char password[256];   /* "" = none */
    int db;               /* SELECT db (redis:// path "/N"); 0 for unix */
} dd_store_url;

/* Parse "redis://host[:port][/db]", "redis://[user]:password@host:port",
 * "redis://[::1]:6379", "unix:///path/to/socket". Default port 6379. User and
 * password are %XX-decoded. 0, or -1 with errstr. */
int dd_store_url_parse(const char *url, dd_store_url *out, char *errstr, size_t errlen);

typedef struct {
    const char *url;        /* NULL: redis://127.0.0.1:6379 */
    const char *password;   /* overrides the URL's password when non-NULL */
    int connect_timeout_ms; /* 0: 2000 */
    int command_timeout_ms; /* per read/write; 0: 10000 */
    int retries;            /* extra attempts after an I/O failure per call; 0: none */
    int backoff_ms;         /* first pause before a reconnect; 0: 100 */
    int backoff_max_ms;     /* cap of the doubling pause; 0: 5000 */
} dd_store_opts;

typedef struct dd_store dd_store;

/* Parse the options; the connection is made lazily by the first call (use
 * dd_store_ping() to fail fast). NULL (errstr) on a bad URL or no memory. */
dd_store *dd_store_new(const dd_store_opts *opts, char *errstr, size_t errlen);
void dd_store_destroy(dd_store *s);

int dd_store_err(const dd_store *s);             /* last error code, DD_STORE_OK after success */
const char *dd_store_errstr(const dd_store *s);  /* "" after success */

/* Connect if needed and PING. 0 or -1. */
int dd_store_ping(dd_store *s);

typedef struct {
    uint64_t connects;          /* successful connections (first + reconnects) */
    uint64_t connect_failures;
    uint64_t io_failures;       /* connections dropped after an I/O error or transient reply */
    uint64_t script_loads;      /* SCRIPT LOAD sent (first use or after NOSCRIPT) */
    uint64_t noscript;          /* NOSCRIPT replies */
    uint64_t server_restarts;   /* server run_id changed between two connections */
    uint64_t commits;           /* successful dd_store_commit calls */
    uint64_t regions_applied;
    uint64_t regions_duplicate;
} dd_store_stats;

void dd_store_get_stats(const dd_store *s, dd_store_stats *out);

/* ---------------- batch ---------------- */

typedef struct dd_store_batch dd_store_batch;

dd_store_batch *dd_store_batch_new(void);
void dd_store_batch_destroy(dd_store_batch *b);
void dd_store_batch_reset(dd_store_batch *b); /* empty it, keep its memory */

/* key must hold a non-empty {tag}; field any bytes without NUL. */
int dd_store_batch_incr(dd_store_batch *b, const char *key, const char *field, int64_t delta);
int dd_store_batch_set(dd_store_batch *b, const char *key, const char *field, const char *value);
/* Claim: at commit the field must be absent (it is then set to value) or
 * already hold value; otherwise the region's script writes nothing and the
 * commit fails with DD_STORE_ERR_OWNER ("DDOWNER <key> <field> is <current>,
 * not <value>"). Claiming a field another way written in the batch is an
 * error; the same claim twice is one. */
int dd_store_batch_claim(dd_store_batch *b, const char *key, const char *field,
                         const char *value);
int dd_store_batch_set_i64(dd_store_batch *b, const char *key, const char *field, int64_t value);
/* HDEL of a field (after the increments and sets of its key); a later set of
 * the same field in the batch replaces the delete and vice versa; a field
 * that is incremented cannot be deleted. */
int dd_store_batch_del(dd_store_batch *b, const char *key, const char *field);
/* EXPIRE key seconds (> 0) after the key's writes; the latest call wins. */
int dd_store_batch_expire(dd_store_batch *b, const char *key, int64_t seconds);
/* region = the hash tag without braces ("220100"); partition >= 0, offset >= 0. */
int dd_store_batch_offset(dd_store_batch *b, const char *region, int32_t partition, int64_t offset);

size_t dd_store_batch_regions(const dd_store_batch *b);
size_t dd_store_batch_fields(const dd_store_batch *b); /* distinct (key, field) entries */
int dd_store_batch_err(const dd_store_batch *b);       /* first failure, DD_STORE_OK if none */
const char *dd_store_batch_errstr(const dd_store_batch *b);

/* ---------------- commit ---------------- */

typedef struct {
    size_t regions;      /* region batches in the batch */
    size_t applied;      /* applied by this call */
    size_t duplicates;   /* already in Redis (offsets <= stored): left untouched */
    size_t incr_fields;  /* HINCRBY sent (summed, zero sums dropped) */
    size_t set_fields;   /* HSET fields sent */
    size_t round_trips;  /* EVALSHA pipelines sent (1 unless NOSCRIPT or a retry; the
                            SCRIPT LOAD of a fresh store is not counted) */
} dd_store_commit_result;

/* Apply the batch (see the top of this file). 0 when every region batch is
 * now in Redis (applied now or before), -1 otherwise (dd_store_err). res may
 * be NULL; on failure it still counts what was confirmed. The batch is not
 * modified (commit it again to retry, or reset it). */
int dd_store_commit(dd_store *s, dd_store_batch *b, dd_store_commit_result *res);

/* ---------------- reads ---------------- */

typedef struct {
    int32_t partition;
    int64_t offset;
} dd_store_offset;

/* Stored offsets of a region, sorted by partition. *out is malloc'ed (free
 * it; NULL when n == 0). A field that is not a valid partition/offset is a
 * DD_STORE_ERR_PROTOCOL error. */
int dd_store_read_offsets(dd_store *s, const char *region, dd_store_offset **out, size_t *n);

typedef struct {
    char *field;
    char *value;      /* NUL-terminated; value_len bytes */
    size_t value_len;
} dd_store_field;

typedef struct {
    dd_store_field *fields; /* sorted by field (bytewise) */
    size_t n;
} dd_store_hash;

/* n (key, field) pairs read in one round trip, one HMGET per distinct key
 * (duplicates and any order are fine; same retry
 * rules as commit: a read is always safe to re-send). On success values[i]
 * is a malloc'ed NUL-terminated copy of the value (free each), or NULL when
 * the key or field is absent. On failure (-1) every values[i] is NULL.
 * n == 0 is a no-op success. A key that is not a hash -> DD_STORE_ERR_SERVER. */
int dd_store_fetch(dd_store *s, size_t n, const char *const keys[], const char *const fields[],
                   char **values);
/* Free the n values of a dd_store_fetch and set them to NULL. */
void dd_store_fetch_free(size_t n, char **values);

/* HGETALL; an absent key gives n == 0. Free with dd_store_hash_free. */
int dd_store_hgetall(dd_store *s, const char *key, dd_store_hash *out);
void dd_store_hash_free(dd_store_hash *h);
/* n HGETALLs in one pipelined round trip (e.g. every hospital key of a
 * month); out[0..n) as dd_store_hgetall, each freed with dd_store_hash_free.
 * On failure every out[i] is empty. */
int dd_store_hgetall_many(dd_store *s, size_t n, const char *const keys[], dd_store_hash *out);
const char *dd_store_hash_get(const dd_store_hash *h, const char *field); /* NULL if absent */
/* 1 found (*out set), 0 absent (*out = 0), -1 not a decimal int64. */
int dd_store_hash_get_i64(const dd_store_hash *h, const char *field, int64_t *out);

/* ---------------- key layout (docs/redis-layout.md) ----------------
 * Each writes the key into buf and returns its length, or -1 when it does
 * not fit, or admdvs is empty / holds '{' or '}', or a code is empty / holds
 * ':' (fixmedins). month is "YYYY-MM". Keys:
 *   dd:{R}:t:<insutype>:<YYYY-MM>              region month totals
 *   dd:{R}:h:<insutype>:<YYYY-MM>:<fixmedins>  hospital month totals
 *   dd:{R}:hs:<insutype>:<YYYY-MM>             hospitals present (field = code)
 *   dd:{R}:c:<fixmedins>                       case records (field = setl_id)
 *   dd:{R}:ev                                  event ids seen
 *   dd:{R}:b:<insutype>:<YYYY>                 budgets
 *   dd:{R}:off                                 consumed offsets (partition -> offset) */
int dd_store_key_month(char *buf, size_t cap, const char *admdvs, int insutype, const char *month);
int dd_store_key_hospital(char *buf, size_t cap, const char *admdvs, int insutype, const char *month,
                          const char *fixmedins);
int dd_store_key_hospitals(char *buf, size_t cap, const char *admdvs, int insutype,
                           const char *month);
/* dd:{R}:hp: hospital code -> the input partition whose member writes the
 * hospital's h keys as values, or "*" (written by increments). */
int dd_store_key_hospital_owners(char *buf, size_t cap, const char *admdvs);
int dd_store_key_cases(char *buf, size_t cap, const char *admdvs, const char *fixmedins);
int dd_store_key_events(char *buf, size_t cap, const char *admdvs);
int dd_store_key_budget(char *buf, size_t cap, const char *admdvs, int insutype, int year);
int dd_store_key_offsets(char *buf, size_t cap, const char *admdvs);

/* The region (hash tag) of a key: copies the text between the first '{' and
 * the next '}' into buf. Length, or -1 (no tag, empty tag, does not fit). */
int dd_store_key_region(char *buf, size_t cap, const char *key);

/* ---------------- generic script ----------------
 * dd_store_eval runs one Lua script atomically: EVALSHA with the script's
 * SHA1 (computed here), EVAL on NOSCRIPT (which caches it for the next
 * call). Same retry rules as the reads: an I/O failure or a transient reply
 * reconnects and re-sends, so a script must be safe to run twice (check
 * before write). Every key must hold a {tag}; all keys of one call should
 * share it (one cluster slot). args[i] has arglens[i] bytes (arglens NULL:
 * NUL-terminated strings; binary values need lengths). The reply (an array,
 * or one value as a 1-element array) lands in out: strings and status
 * replies as bytes, integers as decimal strings, nil as v[i] == NULL; a
 * nested array is a PROTOCOL error. An error reply is DD_STORE_ERR_SERVER
 * with its text. 0 or -1; free out with dd_store_reply_free (also after
 * -1: it is then empty). */
typedef struct {
    size_t n;
    char **v;     /* NUL-terminated copies (binary safe with len) or NULL */
    size_t *len;
} dd_store_reply;

int dd_store_eval(dd_store *s, const char *script, int nkeys, const char *const keys[],
                  int nargs, const char *const args[], const size_t arglens[],
                  dd_store_reply *out);
void dd_store_reply_free(dd_store_reply *r);

#endif
