/*
 * dd_store — see dd_store.h for the contract.
 *
 * Implementation notes:
 *  - The batch interns keys (one string per distinct key) and keeps one
 *    entry per distinct (key, field) in an open-addressing table, so summing
 *    a delta is one lookup; commit sorts entries by (region, key, field),
 *    which also makes the sent script arguments deterministic.
 *  - The Lua script below is the only writer of a region's keys. Its ARGV:
 *      ARGV[1]            np = number of (partition, offset) pairs
 *      ARGV[2 .. 2np+1]   partition, offset (decimal strings)
 *      then for each data key KEYS[k], k = 2 .. #KEYS, in order:
 *        ni, ns, ni x (field, delta), ns x (field, value)
 *    KEYS[1] is the region's offsets hash "dd:{R}:off".
 *    It returns 1 (applied) or 0 (duplicate: every offset at or below the
 *    stored one), or an error reply before any write: DDCONFLICT, WRONGTYPE,
 *    DDNOTINT, DDRANGE, DDARG.
 *  - Counters: pass 1 reads each key's incremented fields with one HMGET
 *    and computes every new value (short canonical integers: exact double
 *    arithmetic below 2^53; longer ones: checked exactly by splitting
 *    decimals into hi * 10^9 + lo, then HINCRBY); pass 2 writes them with
 *    one HSET per key. One HMGET + one HSET per key instead of HGET +
 *    HINCRBY per field roughly halved the script time of a 5000-event batch.
 */
#include "dd_store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

/* ------------------------------------------------------------------ */
/* The script                                                          */

static const char dd_store_lua[] =
    "local np = tonumber(ARGV[1])\n"
    "local offk = KEYS[1]\n"
    "local B = 1000000000\n"
    "local function cmpdec(a, b)\n"
    "  if #a ~= #b then if #a < #b then return -1 else return 1 end end\n"
    "  if a == b then return 0 end\n"
    "  if a < b then return -1 else return 1 end\n"
    "end\n"
    "local function inrange(h, l)\n"
    "  while l < 0 do l = l + B; h = h - 1 end\n"
    "  while l >= B do l = l - B; h = h + 1 end\n"
    "  if h > 9223372036 or (h == 9223372036 and l > 854775807) then return false end\n"
    "  if h < -9223372037 or (h == -9223372037 and l < 145224192) then return false end\n"
    "  return true\n"
    "end\n"
    "local function split(s)\n"
    "  if not string.find(s, '^%-?%d+$') then return nil end\n"
    "  local neg = string.sub(s, 1, 1) == '-'\n"
    "  local d = s\n"
    "  if neg then d = string.sub(s, 2) end\n"
    "  if #d > 19 or (#d > 1 and string.sub(d, 1, 1) == '0') or (neg and d == '0') then return nil end\n"
    "  local h, l = 0, 0\n"
    "  if #d > 9 then h = tonumber(string.sub(d, 1, #d - 9)); l = tonumber(string.sub(d, #d - 8))\n"
    "  else l = tonumber(d) end\n"
    "  if neg then h = -h; l = -l end\n"
    "  if not inrange(h, l) then return nil end\n"
    "  return h, l\n"
    "end\n"
    "local function ishash(k)\n"
    "  local t = redis.call('TYPE', k).ok\n"
    "  return t == 'hash' or t == 'none'\n"
    "end\n"
    "if not ishash(offk) then return redis.error_reply('WRONGTYPE ' .. offk .. ' is not a hash') end\n"
    "local newc, oldc = 0, 0\n"
    "for i = 1, np do\n"
    "  local cur = redis.call('HGET', offk, ARGV[2 * i])\n"
    "  if cur and cmpdec(ARGV[2 * i + 1], cur) <= 0 then oldc = oldc + 1 else newc = newc + 1 end\n"
    "end\n"
    "if oldc > 0 and newc > 0 then\n"
    "  return redis.error_reply('DDCONFLICT ' .. offk .. ': ' .. oldc .. ' partition(s) at or below the stored offset, ' .. newc .. ' above')\n"
    "end\n"
    "if oldc > 0 then return 0 end\n"
    "-- Pass 1 (no writes): per key one TYPE and one HMGET of its incremented\n"
    "-- fields; every new value is computed here, so a bad key or value stops\n"
    "-- the script before anything is written (Redis does not roll back).\n"
    "-- Short canonical integers (< 16 digits: the sum stays below 2^53, exact\n"
    "-- in a double) are added in Lua and written with one HSET per key; longer\n"
    "-- ones are range-checked exactly and left to HINCRBY.\n"
    "local function canon(s)\n"
    "  return #s < 16 and (s == '0' or string.find(s, '^%-?[1-9]%d*$') ~= nil)\n"
    "end\n"
    "local plan = {}\n"
    "local a = 2 * np + 2\n"
    "for k = 2, #KEYS do\n"
    "  local key = KEYS[k]\n"
    "  local ni, ns, nd, ex = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), ARGV[a + 3]\n"
    "  a = a + 4\n"
    "  if not ishash(key) then return redis.error_reply('WRONGTYPE ' .. key .. ' is not a hash') end\n"
    "  local fast, slow = {}, {}\n"
    "  local j0 = 0\n"
    "  while j0 < ni do\n"
    "    local m = ni - j0\n"
    "    if m > 500 then m = 500 end\n"
    "    local fl = {}\n"
    "    for j = 1, m do fl[j] = ARGV[a + 2 * (j0 + j - 1)] end\n"
    "    local cur = redis.call('HMGET', key, unpack(fl))\n"
    "    for j = 1, m do\n"
    "      local f, d, c = fl[j], ARGV[a + 2 * (j0 + j - 1) + 1], cur[j]\n"
    "      if not c then c = '0' end\n"
    "      if canon(c) and canon(d) then\n"
    "        fast[#fast + 1] = f\n"
    "        fast[#fast + 1] = string.format('%d', tonumber(c) + tonumber(d))\n"
    "      else\n"
    "        local h2, l2 = split(d)\n"
    "        if not h2 then return redis.error_reply('DDARG bad delta for ' .. key .. ' ' .. f) end\n"
    "        local h1, l1 = split(c)\n"
    "        if not h1 then return redis.error_reply('DDNOTINT ' .. key .. ' ' .. f .. ' is not an int64') end\n"
    "        if not inrange(h1 + h2, l1 + l2) then\n"
    "          return redis.error_reply('DDRANGE ' .. key .. ' ' .. f .. ' would leave int64')\n"
    "        end\n"
    "        slow[#slow + 1] = f\n"
    "        slow[#slow + 1] = d\n"
    "      end\n"
    "    end\n"
    "    j0 = j0 + m\n"
    "  end\n"
    "  plan[k] = {fast, slow, a + 2 * ni, ns, a + 2 * ni + 2 * ns, nd, ex}\n"
    "  a = a + 2 * ni + 2 * ns + nd\n"
    "end\n"
    "-- Pass 2: the writes.\n"
    "for k = 2, #KEYS do\n"
    "  local key, pl = KEYS[k], plan[k]\n"
    "  local fast, slow, sa, ns = pl[1], pl[2], pl[3], pl[4]\n"
    "  local j = 0\n"
    "  while j < #fast do\n"
    "    local m = #fast - j\n"
    "    if m > 1000 then m = 1000 end\n"
    "    redis.call('HSET', key, unpack(fast, j + 1, j + m))\n"
    "    j = j + m\n"
    "  end\n"
    "  for i = 1, #slow, 2 do redis.call('HINCRBY', key, slow[i], slow[i + 1]) end\n"
    "  j = 0\n"
    "  while j < ns do\n"
    "    local m = ns - j\n"
    "    if m > 500 then m = 500 end\n"
    "    redis.call('HSET', key, unpack(ARGV, sa + 2 * j, sa + 2 * (j + m) - 1))\n"
    "    j = j + m\n"
    "  end\n"
    "  local da, nd, ex = pl[5], pl[6], pl[7]\n"
    "  j = 0\n"
    "  while j < nd do\n"
    "    local m = nd - j\n"
    "    if m > 500 then m = 500 end\n"
    "    redis.call('HDEL', key, unpack(ARGV, da + j, da + j + m - 1))\n"
    "    j = j + m\n"
    "  end\n"
    "  if ex ~= '0' then redis.call('EXPIRE', key, ex) end\n"
    "end\n"
    "for i = 1, np do redis.call('HSET', offk, ARGV[2 * i], ARGV[2 * i + 1]) end\n"
    "return 1\n";

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static uint64_t dd_s_hash(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t dd_s_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

#define DD_S_FNV0 1469598103934665603ULL

static char *dd_s_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void dd_s_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* Grow *p (element size sz) to hold at least need elements. */
static int dd_s_grow(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * sz);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

/* Region of a key = text between the first '{' and the next '}'. */
static int dd_s_tag(const char *key, const char **tag, size_t *len)
{
    const char *o = strchr(key, '{');
    if (!o)
        return -1;
    const char *c = strchr(o + 1, '}');
    if (!c || c == o + 1)
        return -1;
    *tag = o + 1;
    *len = (size_t)(c - o - 1);
    return 0;
}

const char *dd_store_errcode_name(int code)
{
    switch (code) {
    case DD_STORE_OK: return "OK";
    case DD_STORE_ERR_ARG: return "ARG";
    case DD_STORE_ERR_OOM: return "OOM";
    case DD_STORE_ERR_IO: return "IO";
    case DD_STORE_ERR_AUTH: return "AUTH";
    case DD_STORE_ERR_PROTOCOL: return "PROTOCOL";
    case DD_STORE_ERR_SERVER: return "SERVER";
    case DD_STORE_ERR_CONFLICT: return "CONFLICT";
    default: return "UNKNOWN";
    }
}

/* ------------------------------------------------------------------ */
/* URL                                                                 */

static void dd_s_fmt(char *errstr, size_t errlen, const char *fmt, ...)
{
    if (!errstr || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errlen, fmt, ap);
    va_end(ap);
}

static int dd_s_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* %XX-decode [p, p+n) into out (cap bytes). 0 or -1. */
static int dd_s_pct_decode(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)p[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int h = dd_s_hexval(p[i + 1]), l = dd_s_hexval(p[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = h * 16 + l;
            if (c == 0)
                return -1;
            i += 2;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

static int dd_s_parse_int(const char *p, size_t n, long lo, long hi, long *out)
{
    if (n == 0 || n > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* userinfo: "user:password", ":password", or "password" (no colon: taken as
 * the password, the common legacy spelling redis://secret@host). */
int dd_store_url_parse(const char *url, dd_store_url *out, char *errstr, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->port = 6379;
    if (!url) {
        dd_s_fmt(errstr, errlen, "no URL");
        return -1;
    }
    if (!strncmp(url, "unix://", 7)) {
        const char *p = url + 7;
        if (*p != '/') {
            dd_s_fmt(errstr, errlen, "unix URL needs an absolute path: unix:///path/to/socket");
            return -1;
        }
        if (strlen(p) >= sizeof out->path) {
            dd_s_fmt(errstr, errlen, "unix socket path too long");
            return -1;
        }
        out->unix_socket = 1;
        strcpy(out->path, p);
        return 0;
    }
    if (!strncmp(url, "rediss://", 9)) {
        dd_s_fmt(errstr, errlen, "rediss:// (TLS) is not supported by this build");
        return -1;
    }
    if (strncmp(url, "redis://", 8)) {
        dd_s_fmt(errstr, errlen, "URL must start with redis:// or unix://: %s", url);
        return -1;
    }
    const char *p = url + 8;
    const char *end = p + strlen(p);
    const char *slash = strchr(p, '/');
    const char *auth_end = NULL;
    const char *hostpart_end = slash ? slash : end;
    /* the LAST '@' before the path ends the userinfo (passwords may hold '@' only %40-encoded,
     * but be lenient) */
    for (const char *q = p; q < hostpart_end; q++)
        if (*q == '@')
            auth_end = q;
    if (auth_end) {
        const char *colon = memchr(p, ':', (size_t)(auth_end - p));
        if (colon) {
            if (dd_s_pct_decode(p, (size_t)(colon - p), out->user, sizeof out->user) ||
                dd_s_pct_decode(colon + 1, (size_t)(auth_end - colon - 1), out->password,
                                sizeof out->password)) {
                dd_s_fmt(errstr, errlen, "bad user or password encoding in URL");
                return -1;
            }
        } else if (dd_s_pct_decode(p, (size_t)(auth_end - p), out->password,
                                   sizeof out->password)) {
            dd_s_fmt(errstr, errlen, "bad password encoding in URL");
            return -1;
        }
        p = auth_end + 1;
    }
    const char *hend;
    const char *portp = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(hostpart_end - p));
        if (!rb) {
            dd_s_fmt(errstr, errlen, "unterminated [IPv6] host in URL");
            return -1;
        }
        if ((size_t)(rb - p - 1) >= sizeof out->host || rb == p + 1) {
            dd_s_fmt(errstr, errlen, "bad host in URL");
            return -1;
        }
        memcpy(out->host, p + 1, (size_t)(rb - p - 1));
        out->host[rb - p - 1] = '\0';
        hend = rb + 1;
        if (hend < hostpart_end) {
            if (*hend != ':') {
                dd_s_fmt(errstr, errlen, "junk after [IPv6] host in URL");
                return -1;
            }
            portp = hend + 1;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(hostpart_end - p));
        hend = colon ? colon : hostpart_end;
        if (hend == p || (size_t)(hend - p) >= sizeof out->host) {
            dd_s_fmt(errstr, errlen, "missing or too long host in URL");
            return -1;
        }
        memcpy(out->host, p, (size_t)(hend - p));
        out->host[hend - p] = '\0';
        if (colon)
            portp = colon + 1;
    }
    if (portp) {
        long v;
        if (dd_s_parse_int(portp, (size_t)(hostpart_end - portp), 1, 65535, &v)) {
            dd_s_fmt(errstr, errlen, "bad port in URL");
            return -1;
        }
        out->port = (int)v;
    }
    if (slash && slash + 1 < end) {
        long v;
        if (dd_s_parse_int(slash + 1, (size_t)(end - slash - 1), 0, 1000000, &v)) {
            dd_s_fmt(errstr, errlen, "bad database number in URL");
            return -1;
        }
        out->db = (int)v;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* store object                                                        */

struct dd_store {
    dd_store_url url;
    int connect_timeout_ms, command_timeout_ms, retries, backoff_ms, backoff_max_ms;
    redisContext *c;
    char sha[41];        /* SHA1 of the script, "" until first SCRIPT LOAD */
    char run_id[64];     /* of the server of the last connection */
    int consec_failures; /* for the backoff */
    int err;
    char errstr[512];
    dd_store_stats st;
};

static int dd_s_seterr(dd_store *s, int code, const char *fmt, ...)
{
    s->err = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errstr, sizeof s->errstr, fmt, ap);
    va_end(ap);
    return -1;
}

static void dd_s_ok(dd_store *s)
{
    s->err = DD_STORE_OK;
    s->errstr[0] = '\0';
}

dd_store *dd_store_new(const dd_store_opts *opts, char *errstr, size_t errlen)
{
    dd_store_opts def = {0};
    if (!opts)
        opts = &def;
    dd_store *s = calloc(1, sizeof *s);
    if (!s) {
        dd_s_fmt(errstr, errlen, "out of memory");
        return NULL;
    }
    if (dd_store_url_parse(opts->url ? opts->url : "redis://127.0.0.1:6379", &s->url, errstr,
                           errlen)) {
        free(s);
        return NULL;
    }
    if (opts->password) {
        if (strlen(opts->password) >= sizeof s->url.password) {
            dd_s_fmt(errstr, errlen, "password too long");
            free(s);
            return NULL;
        }
        strcpy(s->url.password, opts->password);
    }
    s->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 2000;
    s->command_timeout_ms = opts->command_timeout_ms > 0 ? opts->command_timeout_ms : 10000;
    s->retries = opts->retries > 0 ? opts->retries : 0;
    s->backoff_ms = opts->backoff_ms > 0 ? opts->backoff_ms : 100;
    s->backoff_max_ms = opts->backoff_max_ms > 0 ? opts->backoff_max_ms : 5000;
    if (s->backoff_max_ms < s->backoff_ms)
        s->backoff_max_ms = s->backoff_ms;
    return s;
}

static void dd_s_drop(dd_store *s)
{
    if (s->c) {
        redisFree(s->c);
        s->c = NULL;
    }
}

void dd_store_destroy(dd_store *s)
{
    if (!s)
        return;
    dd_s_drop(s);
    /* do not leave the password in freed memory */
    memset(s->url.password, 0, sizeof s->url.password);
    free(s);
}

int dd_store_err(const dd_store *s)
{
    return s->err;
}

const char *dd_store_errstr(const dd_store *s)
{
    return s->errstr;
}

void dd_store_get_stats(const dd_store *s, dd_store_stats *out)
{
    *out = s->st;
}

/* SIGPIPE guard: block SIGPIPE for this thread during I/O, then swallow
 * one raised by our writes (the process disposition is untouched). */
typedef struct {
    sigset_t old;
    int was_pending;
} dd_s_sigguard;

static void dd_s_guard_on(dd_s_sigguard *g)
{
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigemptyset(&pend);
    sigpending(&pend);
    g->was_pending = sigismember(&pend, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void dd_s_guard_off(dd_s_sigguard *g)
{
    if (!g->was_pending) {
        sigset_t set, pend;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigemptyset(&pend);
        if (sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE) == 1) {
            struct timespec zero = {0, 0};
            while (sigtimedwait(&set, NULL, &zero) == -1 && errno == EINTR)
                ;
        }
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

static int dd_s_transient(const redisReply *r)
{
    return r->type == REDIS_REPLY_ERROR && r->str &&
           (!strncmp(r->str, "LOADING", 7) || !strncmp(r->str, "BUSY", 4) ||
            !strncmp(r->str, "TRYAGAIN", 8) || !strncmp(r->str, "READONLY", 8) ||
            !strncmp(r->str, "MASTERDOWN", 10));
}

/* Connect (AUTH, SELECT, run_id). 0; -1 with the error set: IO (retryable)
 * or AUTH (not). */
static int dd_s_connect(dd_store *s)
{
    if (s->c)
        return 0;
    struct timeval ct = {s->connect_timeout_ms / 1000, (s->connect_timeout_ms % 1000) * 1000};
    struct timeval rt = {s->command_timeout_ms / 1000, (s->command_timeout_ms % 1000) * 1000};
    redisContext *c = s->url.unix_socket ? redisConnectUnixWithTimeout(s->url.path, ct)
                                         : redisConnectWithTimeout(s->url.host, s->url.port, ct);
    if (!c) {
        s->st.connect_failures++;
        return dd_s_seterr(s, DD_STORE_ERR_OOM, "cannot allocate a redis context");
    }
    if (c->err) {
        s->st.connect_failures++;
        dd_s_seterr(s, DD_STORE_ERR_IO, "connect %s: %s",
                    s->url.unix_socket ? s->url.path : s->url.host, c->errstr);
        redisFree(c);
        return -1;
    }
    redisSetTimeout(c, rt);
    redisReply *r = NULL;
    if (s->url.password[0] || s->url.user[0]) {
        if (s->url.user[0])
            r = redisCommand(c, "AUTH %s %s", s->url.user, s->url.password);
        else
            r = redisCommand(c, "AUTH %s", s->url.password);
        if (!r) {
            s->st.connect_failures++;
            dd_s_seterr(s, DD_STORE_ERR_IO, "AUTH: %s", c->errstr);
            redisFree(c);
            return -1;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            int transient = dd_s_transient(r);
            s->st.connect_failures++;
            dd_s_seterr(s, transient ? DD_STORE_ERR_IO : DD_STORE_ERR_AUTH, "AUTH refused: %s",
                        r->str);
            freeReplyObject(r);
            redisFree(c);
            return -1;
        }
        freeReplyObject(r);
    }
    if (s->url.db) {
        r = redisCommand(c, "SELECT %d", s->url.db);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            s->st.connect_failures++;
            int io = !r || dd_s_transient(r);
            dd_s_seterr(s, io ? DD_STORE_ERR_IO : DD_STORE_ERR_AUTH, "SELECT %d: %s", s->url.db,
                        r ? r->str : c->errstr);
            if (r)
                freeReplyObject(r);
            redisFree(c);
            return -1;
        }
        freeReplyObject(r);
    }
    /* run_id tells a restarted server (lost scripts, maybe lost writes). */
    r = redisCommand(c, "INFO server");
    if (!r) {
        s->st.connect_failures++;
        dd_s_seterr(s, DD_STORE_ERR_IO, "INFO: %s", c->errstr);
        redisFree(c);
        return -1;
    }
    if (r->type == REDIS_REPLY_ERROR && (!strncmp(r->str, "NOAUTH", 6) || dd_s_transient(r))) {
        int transient = dd_s_transient(r);
        s->st.connect_failures++;
        dd_s_seterr(s, transient ? DD_STORE_ERR_IO : DD_STORE_ERR_AUTH, "%s%s",
                    transient ? "" : "authentication needed: ", r->str);
        freeReplyObject(r);
        redisFree(c);
        return -1;
    }
    /* another error (INFO renamed away): restarts go unnoticed, still works */
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) {
        const char *p = strstr(r->str, "run_id:");
        if (p) {
            p += 7;
            size_t n = strcspn(p, "\r\n");
            if (n >= sizeof s->run_id)
                n = sizeof s->run_id - 1;
            if (s->run_id[0] && (strlen(s->run_id) != n || strncmp(s->run_id, p, n)))
                s->st.server_restarts++;
            memcpy(s->run_id, p, n);
            s->run_id[n] = '\0';
        }
    }
    freeReplyObject(r);
    s->c = c;
    s->st.connects++;
    return 0;
}

/* After an I/O failure: drop the connection, count, and sleep the backoff
 * if another attempt is allowed (*attempt < retries). 1 = retry, 0 = give up. */
static int dd_s_fail_retry(dd_store *s, int *attempt)
{
    if (s->c) {
        dd_s_drop(s);
        s->st.io_failures++;
    }
    if (*attempt >= s->retries)
        return 0;
    (*attempt)++;
    int ms = s->backoff_ms;
    for (int i = 0; i < s->consec_failures && ms < s->backoff_max_ms; i++)
        ms *= 2;
    if (ms > s->backoff_max_ms)
        ms = s->backoff_max_ms;
    s->consec_failures++;
    dd_s_sleep_ms(ms);
    return 1;
}

/* SCRIPT LOAD on the current connection. 0, or -1 (err set; IO = retry). */
static int dd_s_script_load(dd_store *s)
{
    s->st.script_loads++;
    redisReply *r = redisCommand(s->c, "SCRIPT LOAD %s", dd_store_lua);
    if (!r)
        return dd_s_seterr(s, DD_STORE_ERR_IO, "SCRIPT LOAD: %s", s->c->errstr);
    int rc = 0;
    if (r->type == REDIS_REPLY_STRING && r->len == 40) {
        memcpy(s->sha, r->str, 40);
        s->sha[40] = '\0';
    } else if (r->type == REDIS_REPLY_ERROR) {
        rc = dd_s_seterr(s, dd_s_transient(r) ? DD_STORE_ERR_IO : DD_STORE_ERR_SERVER,
                         "SCRIPT LOAD: %s", r->str);
    } else {
        rc = dd_s_seterr(s, DD_STORE_ERR_PROTOCOL, "SCRIPT LOAD: unexpected reply type %d",
                         r->type);
    }
    freeReplyObject(r);
    return rc;
}

/* Run n pipelined read commands with the retry rules; replies[i] set on
 * success (caller frees), all NULL on failure. Error replies other than
 * transient ones are returned as replies (the caller judges them). */
static int dd_s_run(dd_store *s, size_t n, int *argc, const char ***argv, size_t **lens,
                    redisReply **replies)
{
    for (size_t i = 0; i < n; i++)
        replies[i] = NULL;
    if (n == 0) {
        dd_s_ok(s);
        return 0;
    }
    dd_s_sigguard g;
    dd_s_guard_on(&g);
    int attempt = 0, rc = -1;
    for (;;) {
        if (dd_s_connect(s) < 0) {
            if (s->err == DD_STORE_ERR_IO && dd_s_fail_retry(s, &attempt))
                continue;
            break;
        }
        int ioerr = 0, transient = 0;
        for (size_t i = 0; i < n; i++)
            if (redisAppendCommandArgv(s->c, argc[i], argv[i], lens[i]) != REDIS_OK) {
                dd_s_drop(s);
                dd_s_guard_off(&g);
                return dd_s_seterr(s, DD_STORE_ERR_OOM, "cannot build a redis command");
            }
        for (size_t i = 0; i < n; i++) {
            void *rp = NULL;
            if (redisGetReply(s->c, &rp) != REDIS_OK || !rp) {
                dd_s_seterr(s, DD_STORE_ERR_IO, "redis I/O: %s",
                            s->c->errstr[0] ? s->c->errstr : "connection lost");
                ioerr = 1;
                break;
            }
            replies[i] = rp;
            if (dd_s_transient(replies[i]) && !transient) {
                transient = 1;
                dd_s_seterr(s, DD_STORE_ERR_IO, "redis busy: %s", replies[i]->str);
            }
        }
        if (!ioerr && !transient) {
            rc = 0;
            break;
        }
        for (size_t j = 0; j < n; j++)
            if (replies[j]) {
                freeReplyObject(replies[j]);
                replies[j] = NULL;
            }
        if (transient && s->c) {
            /* the server answers: no need to count an I/O failure, but do
             * reconnect and back off */
            dd_s_drop(s);
            s->st.io_failures++;
        }
        if (!dd_s_fail_retry(s, &attempt))
            break;
    }
    if (rc == 0) {
        s->consec_failures = 0;
        dd_s_ok(s);
    }
    dd_s_guard_off(&g);
    return rc;
}

int dd_store_ping(dd_store *s)
{
    const char *argv[] = {"PING"};
    size_t lens[] = {4};
    int argc = 1;
    const char **av = argv;
    size_t *lv = lens;
    redisReply *r;
    if (dd_s_run(s, 1, &argc, &av, &lv, &r) < 0)
        return -1;
    int rc = 0;
    if (r->type == REDIS_REPLY_ERROR)
        rc = dd_s_seterr(s, DD_STORE_ERR_SERVER, "PING: %s", r->str);
    else if (r->type != REDIS_REPLY_STATUS)
        rc = dd_s_seterr(s, DD_STORE_ERR_PROTOCOL, "PING: unexpected reply type %d", r->type);
    freeReplyObject(r);
    return rc;
}

/* ------------------------------------------------------------------ */
/* batch                                                               */

typedef struct {
    char *s;
    size_t len;
    size_t region;
    uint64_t h;
    int64_t expire_s; /* EXPIRE after the writes, 0 = none */
} dd_sb_key;

typedef struct {
    size_t key;   /* index in keys */
    char *field;
    size_t field_len;
    int is_set; /* 0 incr, 1 set, 2 del */
    int64_t delta;
    char *value;
    size_t value_len;
    uint64_t h;
} dd_sb_entry;

typedef struct {
    char *name;
    size_t len;
    dd_store_offset *offs;
    size_t noffs, capoffs;
} dd_sb_region;

struct dd_store_batch {
    dd_sb_key *keys;
    size_t nkeys, capkeys;
    size_t *ktab; /* open addressing: key index + 1, 0 = empty */
    size_t ktabcap;
    dd_sb_entry *e;
    size_t n, cap;
    size_t *etab;
    size_t etabcap;
    dd_sb_region *r;
    size_t nr, capr;
    int err;
    char errstr[256];
};

dd_store_batch *dd_store_batch_new(void)
{
    return calloc(1, sizeof(dd_store_batch));
}

void dd_store_batch_reset(dd_store_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nkeys; i++)
        free(b->keys[i].s);
    for (size_t i = 0; i < b->n; i++) {
        free(b->e[i].field);
        free(b->e[i].value);
    }
    for (size_t i = 0; i < b->nr; i++) {
        free(b->r[i].name);
        free(b->r[i].offs);
    }
    b->nkeys = b->n = b->nr = 0;
    if (b->ktab)
        memset(b->ktab, 0, b->ktabcap * sizeof *b->ktab);
    if (b->etab)
        memset(b->etab, 0, b->etabcap * sizeof *b->etab);
    b->err = DD_STORE_OK;
    b->errstr[0] = '\0';
}

void dd_store_batch_destroy(dd_store_batch *b)
{
    if (!b)
        return;
    dd_store_batch_reset(b);
    free(b->keys);
    free(b->ktab);
    free(b->e);
    free(b->etab);
    free(b->r);
    free(b);
}

static int dd_sb_fail(dd_store_batch *b, int code, const char *fmt, ...)
{
    if (b->err == DD_STORE_OK) {
        b->err = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->errstr, sizeof b->errstr, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Rebuild an index table at twice the size (keeps load <= 1/2). */
static int dd_sb_rehash(size_t **tab, size_t *tabcap, size_t need, const void *items, size_t isz,
                        size_t hoff, size_t nitems)
{
    if (need * 2 <= *tabcap)
        return 0;
    size_t nc = *tabcap ? *tabcap * 2 : 64;
    while (need * 2 > nc)
        nc *= 2;
    size_t *nt = calloc(nc, sizeof *nt);
    if (!nt)
        return -1;
    for (size_t i = 0; i < nitems; i++) {
        uint64_t h;
        memcpy(&h, (const char *)items + i * isz + hoff, sizeof h);
        size_t j = (size_t)h & (nc - 1);
        while (nt[j])
            j = (j + 1) & (nc - 1);
        nt[j] = i + 1;
    }
    free(*tab);
    *tab = nt;
    *tabcap = nc;
    return 0;
}

static long dd_sb_region_find(dd_store_batch *b, const char *name, size_t len, int create)
{
    for (size_t i = 0; i < b->nr; i++)
        if (b->r[i].len == len && !memcmp(b->r[i].name, name, len))
            return (long)i;
    if (!create)
        return -1;
    if (dd_s_grow((void **)&b->r, &b->capr, b->nr + 1, sizeof *b->r))
        return -2;
    dd_sb_region *r = &b->r[b->nr];
    memset(r, 0, sizeof *r);
    r->name = dd_s_strndup(name, len);
    if (!r->name)
        return -2;
    r->len = len;
    return (long)b->nr++;
}

/* Index of the interned key, created if needed; -1 ARG, -2 OOM. */
static long dd_sb_key_find(dd_store_batch *b, const char *key)
{
    size_t len = strlen(key);
    uint64_t h = dd_s_mix(dd_s_hash(key, len, DD_S_FNV0));
    if (b->ktabcap) {
        size_t j = (size_t)h & (b->ktabcap - 1);
        while (b->ktab[j]) {
            dd_sb_key *k = &b->keys[b->ktab[j] - 1];
            if (k->h == h && k->len == len && !memcmp(k->s, key, len))
                return (long)(b->ktab[j] - 1);
            j = (j + 1) & (b->ktabcap - 1);
        }
    }
    const char *tag;
    size_t tlen;
    if (dd_s_tag(key, &tag, &tlen))
        return -1;
    /* the offsets hash belongs to the script alone */
    if (len == tlen + 9 && !strncmp(key, "dd:{", 4) && !strcmp(key + 4 + tlen, "}:off"))
        return -3;
    long r = dd_sb_region_find(b, tag, tlen, 1);
    if (r < 0)
        return -2;
    if (dd_s_grow((void **)&b->keys, &b->capkeys, b->nkeys + 1, sizeof *b->keys) ||
        dd_sb_rehash(&b->ktab, &b->ktabcap, b->nkeys + 1, b->keys, sizeof *b->keys,
                     offsetof(dd_sb_key, h), b->nkeys))
        return -2;
    dd_sb_key *k = &b->keys[b->nkeys];
    k->s = dd_s_strndup(key, len);
    if (!k->s)
        return -2;
    k->len = len;
    k->h = h;
    k->region = (size_t)r;
    k->expire_s = 0;
    size_t j = (size_t)h & (b->ktabcap - 1);
    while (b->ktab[j])
        j = (j + 1) & (b->ktabcap - 1);
    b->ktab[j] = b->nkeys + 1;
    return (long)b->nkeys++;
}

/* Find or create the entry of (key, field). NULL on failure (batch failed). */
static dd_sb_entry *dd_sb_entry_get(dd_store_batch *b, const char *key, const char *field,
                                    int *created)
{
    if (!key || !field)
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "NULL key or field"), NULL;
    long ki = dd_sb_key_find(b, key);
    if (ki == -1)
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "key without a non-empty {tag}: %.100s", key), NULL;
    if (ki == -3)
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "key %.100s is the offsets hash", key), NULL;
    if (ki < 0)
        return dd_sb_fail(b, DD_STORE_ERR_OOM, "out of memory"), NULL;
    size_t flen = strlen(field);
    uint64_t h = dd_s_mix(dd_s_hash(field, flen, DD_S_FNV0 ^ ((uint64_t)ki * 0x9e3779b97f4a7c15ULL)));
    if (b->etabcap) {
        size_t j = (size_t)h & (b->etabcap - 1);
        while (b->etab[j]) {
            dd_sb_entry *e = &b->e[b->etab[j] - 1];
            if (e->h == h && e->key == (size_t)ki && e->field_len == flen &&
                !memcmp(e->field, field, flen)) {
                *created = 0;
                return e;
            }
            j = (j + 1) & (b->etabcap - 1);
        }
    }
    if (dd_s_grow((void **)&b->e, &b->cap, b->n + 1, sizeof *b->e) ||
        dd_sb_rehash(&b->etab, &b->etabcap, b->n + 1, b->e, sizeof *b->e,
                     offsetof(dd_sb_entry, h), b->n))
        return dd_sb_fail(b, DD_STORE_ERR_OOM, "out of memory"), NULL;
    dd_sb_entry *e = &b->e[b->n];
    memset(e, 0, sizeof *e);
    e->field = dd_s_strndup(field, flen);
    if (!e->field)
        return dd_sb_fail(b, DD_STORE_ERR_OOM, "out of memory"), NULL;
    e->field_len = flen;
    e->key = (size_t)ki;
    e->h = h;
    size_t j = (size_t)h & (b->etabcap - 1);
    while (b->etab[j])
        j = (j + 1) & (b->etabcap - 1);
    b->etab[j] = b->n + 1;
    b->n++;
    *created = 1;
    return e;
}

int dd_store_batch_incr(dd_store_batch *b, const char *key, const char *field, int64_t delta)
{
    if (b->err)
        return -1;
    int created;
    dd_sb_entry *e = dd_sb_entry_get(b, key, field, &created);
    if (!e)
        return -1;
    if (created) {
        e->is_set = 0;
        e->delta = delta;
        return 0;
    }
    if (e->is_set)
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "field %.60s of %.100s both set and incremented",
                          field, key);
    int64_t sum;
    if (__builtin_add_overflow(e->delta, delta, &sum))
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "int64 overflow summing %.60s of %.100s", field,
                          key);
    e->delta = sum;
    return 0;
}

static int dd_sb_set(dd_store_batch *b, const char *key, const char *field, const char *value,
                     size_t vlen)
{
    if (b->err)
        return -1;
    if (!value)
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "NULL value");
    char *v = dd_s_strndup(value, vlen);
    if (!v)
        return dd_sb_fail(b, DD_STORE_ERR_OOM, "out of memory");
    int created;
    dd_sb_entry *e = dd_sb_entry_get(b, key, field, &created);
    if (!e) {
        free(v);
        return -1;
    }
    if (!created && e->is_set == 0) {
        free(v);
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "field %.60s of %.100s both incremented and set",
                          field, key);
    }
    e->is_set = 1;
    free(e->value);
    e->value = v;
    e->value_len = vlen;
    return 0;
}

int dd_store_batch_set(dd_store_batch *b, const char *key, const char *field, const char *value)
{
    return dd_sb_set(b, key, field, value, value ? strlen(value) : 0);
}

int dd_store_batch_set_i64(dd_store_batch *b, const char *key, const char *field, int64_t value)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%" PRId64, value);
    return dd_sb_set(b, key, field, buf, (size_t)n);
}

int dd_store_batch_del(dd_store_batch *b, const char *key, const char *field)
{
    if (b->err)
        return -1;
    int created;
    dd_sb_entry *e = dd_sb_entry_get(b, key, field, &created);
    if (!e)
        return -1;
    if (!created && e->is_set == 0)
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "field %.60s of %.100s both incremented and deleted",
                          field, key);
    /* a later delete replaces an earlier set of the same field */
    free(e->value);
    e->value = NULL;
    e->value_len = 0;
    e->is_set = 2;
    return 0;
}

int dd_store_batch_expire(dd_store_batch *b, const char *key, int64_t seconds)
{
    if (b->err)
        return -1;
    if (seconds <= 0)
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "expire of %.100s: seconds must be > 0", key ? key : "");
    long ki = key ? dd_sb_key_find(b, key) : -1;
    if (ki == -1)
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "key without a non-empty {tag}: %.100s", key ? key : "");
    if (ki == -3)
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "key %.100s is the offsets hash", key);
    if (ki < 0)
        return dd_sb_fail(b, DD_STORE_ERR_OOM, "out of memory");
    b->keys[ki].expire_s = seconds; /* the latest wins */
    return 0;
}

int dd_store_batch_offset(dd_store_batch *b, const char *region, int32_t partition, int64_t offset)
{
    if (b->err)
        return -1;
    if (!region || !region[0] || strchr(region, '{') || strchr(region, '}'))
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "bad region name");
    if (partition < 0 || offset < 0)
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "negative partition or offset");
    long ri = dd_sb_region_find(b, region, strlen(region), 1);
    if (ri < 0)
        return dd_sb_fail(b, DD_STORE_ERR_OOM, "out of memory");
    dd_sb_region *r = &b->r[ri];
    for (size_t i = 0; i < r->noffs; i++)
        if (r->offs[i].partition == partition) {
            if (offset > r->offs[i].offset)
                r->offs[i].offset = offset;
            return 0;
        }
    if (dd_s_grow((void **)&r->offs, &r->capoffs, r->noffs + 1, sizeof *r->offs))
        return dd_sb_fail(b, DD_STORE_ERR_OOM, "out of memory");
    r->offs[r->noffs].partition = partition;
    r->offs[r->noffs].offset = offset;
    r->noffs++;
    return 0;
}

size_t dd_store_batch_regions(const dd_store_batch *b)
{
    return b->nr;
}

size_t dd_store_batch_fields(const dd_store_batch *b)
{
    return b->n;
}

int dd_store_batch_err(const dd_store_batch *b)
{
    return b->err;
}

const char *dd_store_batch_errstr(const dd_store_batch *b)
{
    return b->errstr;
}

/* ------------------------------------------------------------------ */
/* commit                                                              */

typedef struct {
    int argc;
    const char **argv;
    size_t *lens;
} dd_sc_cmd;

/* Sort items: qsort has no context argument, so each item carries what
 * the comparison needs. */
typedef struct {
    size_t region;
    size_t key;
    const char *keys;
    int is_set;
    const char *field;
    size_t flen;
    size_t idx; /* entry index */
} dd_sc_item;

static int dd_sc_cmp(const void *pa, const void *pb)
{
    const dd_sc_item *x = pa, *y = pb;
    if (x->region != y->region)
        return x->region < y->region ? -1 : 1;
    if (x->key != y->key) {
        int c = strcmp(x->keys, y->keys);
        if (c)
            return c;
    }
    if (x->is_set != y->is_set)
        return x->is_set - y->is_set;
    size_t m = x->flen < y->flen ? x->flen : y->flen;
    int c = memcmp(x->field, y->field, m);
    if (c)
        return c;
    return x->flen < y->flen ? -1 : x->flen > y->flen;
}

static int dd_sc_off_cmp(const void *pa, const void *pb)
{
    const dd_store_offset *a = pa, *b = pb;
    return a->partition < b->partition ? -1 : a->partition > b->partition;
}

enum { DD_SC_PENDING = 0, DD_SC_APPLIED, DD_SC_DUP, DD_SC_FAILED };

typedef struct {
    dd_sc_cmd *cmds;
    char *offkeys; /* nr x (region len + 10) packed */
    char (*nums)[24];
    dd_sc_item *items;
    int *state;
} dd_sc_work;

static void dd_sc_work_free(dd_sc_work *w, size_t nr)
{
    if (w->cmds)
        for (size_t i = 0; i < nr; i++) {
            free(w->cmds[i].argv);
            free(w->cmds[i].lens);
        }
    free(w->cmds);
    free(w->offkeys);
    free(w->nums);
    free(w->items);
    free(w->state);
}

/* Build one EVALSHA per region (see the script's ARGV at the top). */
static int dd_sc_build(dd_store *s, dd_store_batch *b, dd_sc_work *w, dd_store_commit_result *res)
{
    size_t nr = b->nr, totoffs = 0, offkeys_len = 0;
    for (size_t r = 0; r < nr; r++) {
        totoffs += b->r[r].noffs;
        offkeys_len += b->r[r].len + 10;
    }
    w->cmds = calloc(nr, sizeof *w->cmds);
    w->offkeys = malloc(offkeys_len ? offkeys_len : 1);
    w->nums = malloc((2 * nr + 2 * totoffs + 4 * b->nkeys + b->n + 1) * sizeof *w->nums);
    w->items = malloc((b->n ? b->n : 1) * sizeof *w->items);
    w->state = calloc(nr, sizeof *w->state);
    if (!w->cmds || !w->offkeys || !w->nums || !w->items || !w->state)
        return dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
    for (size_t i = 0; i < b->n; i++) {
        const dd_sb_entry *e = &b->e[i];
        const dd_sb_key *k = &b->keys[e->key];
        w->items[i] = (dd_sc_item){k->region, e->key, k->s, e->is_set, e->field, e->field_len, i};
    }
    qsort(w->items, b->n, sizeof *w->items, dd_sc_cmp);
    size_t it = 0, nn = 0;
    char *ok = w->offkeys;
    for (size_t r = 0; r < nr; r++) {
        dd_sb_region *rg = &b->r[r];
        size_t start = it;
        while (it < b->n && w->items[it].region == r)
            it++;
        /* count keys and fields to send (zero sums dropped) */
        size_t nk = 0, nf = 0, ndel = 0;
        for (size_t i = start; i < it;) {
            size_t j = i, cnt = 0, cd = 0;
            while (j < it && w->items[j].key == w->items[i].key) {
                const dd_sb_entry *e = &b->e[w->items[j].idx];
                if (e->is_set == 2)
                    cd++;
                else if (e->is_set || e->delta != 0)
                    cnt++;
                j++;
            }
            if (cnt || cd || b->keys[w->items[i].key].expire_s > 0) {
                nk++;
                nf += cnt;
                ndel += cd;
            }
            i = j;
        }
        if (rg->noffs == 0)
            return dd_s_seterr(s, DD_STORE_ERR_ARG,
                               "region %s has data but no offset: commit would not be idempotent",
                               rg->name);
        qsort(rg->offs, rg->noffs, sizeof *rg->offs, dd_sc_off_cmp);
        size_t argc = 3 + 1 + nk + 1 + 2 * rg->noffs + 4 * nk + 2 * nf + ndel;
        dd_sc_cmd *c = &w->cmds[r];
        c->argv = malloc(argc * sizeof *c->argv);
        c->lens = malloc(argc * sizeof *c->lens);
        if (!c->argv || !c->lens)
            return dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
        size_t a = 0;
#define DD_SC_ARG(p, l)                                                                           \
    do {                                                                                          \
        c->argv[a] = (p);                                                                         \
        c->lens[a] = (l);                                                                         \
        a++;                                                                                      \
    } while (0)
#define DD_SC_NUM(fmt, v)                                                                         \
    do {                                                                                          \
        int l_ = snprintf(w->nums[nn], sizeof w->nums[nn], fmt, v);                               \
        DD_SC_ARG(w->nums[nn], (size_t)l_);                                                       \
        nn++;                                                                                     \
    } while (0)
        DD_SC_ARG("EVALSHA", 7);
        DD_SC_ARG(s->sha, 40);
        DD_SC_NUM("%zu", nk + 1);
        int kl = snprintf(ok, rg->len + 10, "dd:{%s}:off", rg->name);
        DD_SC_ARG(ok, (size_t)kl);
        ok += kl + 1;
        size_t keys_at = a;
        a += nk; /* keys are filled while walking the fields below */
        DD_SC_NUM("%zu", rg->noffs);
        for (size_t i = 0; i < rg->noffs; i++) {
            DD_SC_NUM("%" PRId32, rg->offs[i].partition);
            DD_SC_NUM("%" PRId64, rg->offs[i].offset);
        }
        for (size_t i = start; i < it;) {
            size_t j = i, ni = 0, ns = 0, nd = 0;
            while (j < it && w->items[j].key == w->items[i].key) {
                const dd_sb_entry *e = &b->e[w->items[j].idx];
                if (e->is_set == 2)
                    nd++;
                else if (e->is_set)
                    ns++;
                else if (e->delta != 0)
                    ni++;
                j++;
            }
            const dd_sb_key *k = &b->keys[w->items[i].key];
            if (ni + ns + nd || k->expire_s > 0) {
                c->argv[keys_at] = k->s;
                c->lens[keys_at] = k->len;
                keys_at++;
                DD_SC_NUM("%zu", ni);
                DD_SC_NUM("%zu", ns);
                DD_SC_NUM("%zu", nd);
                DD_SC_NUM("%" PRId64, k->expire_s);
                /* items sort incr, set, del within a key */
                for (size_t q = i; q < j; q++) {
                    const dd_sb_entry *e = &b->e[w->items[q].idx];
                    if (e->is_set == 2) {
                        DD_SC_ARG(e->field, e->field_len);
                    } else if (e->is_set) {
                        DD_SC_ARG(e->field, e->field_len);
                        DD_SC_ARG(e->value, e->value_len);
                    } else if (e->delta != 0) {
                        DD_SC_ARG(e->field, e->field_len);
                        DD_SC_NUM("%" PRId64, e->delta);
                    }
                }
                res->incr_fields += ni;
                res->set_fields += ns;
            }
            i = j;
        }
#undef DD_SC_ARG
#undef DD_SC_NUM
        if (a != argc || (size_t)(int)argc != argc)
            return dd_s_seterr(s, DD_STORE_ERR_PROTOCOL, "internal: argc mismatch");
        c->argc = (int)argc;
    }
    return 0;
}

int dd_store_commit(dd_store *s, dd_store_batch *b, dd_store_commit_result *res)
{
    dd_store_commit_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if (b->err)
        return dd_s_seterr(s, b->err, "batch failed earlier: %s", b->errstr);
    res->regions = b->nr;
    if (b->nr == 0) {
        dd_s_ok(s);
        s->st.commits++;
        return 0;
    }
    dd_sc_work w = {0};
    if (dd_sc_build(s, b, &w, res) < 0) {
        dd_sc_work_free(&w, b->nr);
        return -1;
    }
    size_t nr = b->nr;
    int first_fail_code = DD_STORE_OK;
    char first_fail[sizeof s->errstr] = "";
    int attempt = 0, noscript_rounds = 0, gave_up = 0;
    dd_s_sigguard g;
    dd_s_guard_on(&g);
    for (;;) {
        size_t pending = 0;
        for (size_t r = 0; r < nr; r++)
            pending += w.state[r] == DD_SC_PENDING;
        if (!pending)
            break;
        if (dd_s_connect(s) < 0 || (!s->sha[0] && dd_s_script_load(s) < 0)) {
            if (s->err == DD_STORE_ERR_IO && dd_s_fail_retry(s, &attempt))
                continue;
            gave_up = 1;
            break;
        }
        int oom = 0;
        for (size_t r = 0; r < nr && !oom; r++)
            if (w.state[r] == DD_SC_PENDING &&
                redisAppendCommandArgv(s->c, w.cmds[r].argc, w.cmds[r].argv, w.cmds[r].lens) !=
                    REDIS_OK)
                oom = 1;
        if (oom) {
            dd_s_drop(s);
            dd_s_seterr(s, DD_STORE_ERR_OOM, "cannot build a redis command");
            gave_up = 1;
            break;
        }
        res->round_trips++;
        int ioerr = 0, transient = 0, noscript = 0;
        for (size_t r = 0; r < nr; r++) {
            if (w.state[r] != DD_SC_PENDING)
                continue;
            void *rp = NULL;
            if (redisGetReply(s->c, &rp) != REDIS_OK || !rp) {
                dd_s_seterr(s, DD_STORE_ERR_IO, "redis I/O during commit: %s",
                            s->c->errstr[0] ? s->c->errstr : "connection lost");
                ioerr = 1;
                break;
            }
            redisReply *rep = rp;
            if (rep->type == REDIS_REPLY_INTEGER && (rep->integer == 1 || rep->integer == 0)) {
                w.state[r] = rep->integer == 1 ? DD_SC_APPLIED : DD_SC_DUP;
                if (rep->integer == 1) {
                    res->applied++;
                    s->st.regions_applied++;
                } else {
                    res->duplicates++;
                    s->st.regions_duplicate++;
                }
            } else if (rep->type == REDIS_REPLY_ERROR && !strncmp(rep->str, "NOSCRIPT", 8)) {
                noscript = 1;
            } else if (dd_s_transient(rep)) {
                if (!transient)
                    dd_s_seterr(s, DD_STORE_ERR_IO, "redis busy: %s", rep->str);
                transient = 1;
            } else {
                int code = rep->type == REDIS_REPLY_ERROR
                               ? (!strncmp(rep->str, "DDCONFLICT", 10) ? DD_STORE_ERR_CONFLICT
                                                                       : DD_STORE_ERR_SERVER)
                               : DD_STORE_ERR_PROTOCOL;
                w.state[r] = DD_SC_FAILED;
                if (first_fail_code == DD_STORE_OK) {
                    first_fail_code = code;
                    if (rep->type == REDIS_REPLY_ERROR)
                        snprintf(first_fail, sizeof first_fail, "region %s: %s", b->r[r].name,
                                 rep->str);
                    else
                        snprintf(first_fail, sizeof first_fail,
                                 "region %s: unexpected script reply type %d", b->r[r].name,
                                 rep->type);
                }
            }
            freeReplyObject(rep);
        }
        if (ioerr || transient) {
            if (transient && !ioerr && s->c) {
                dd_s_drop(s);
                s->st.io_failures++;
            }
            if (dd_s_fail_retry(s, &attempt))
                continue;
            gave_up = 1;
            break;
        }
        if (noscript) {
            s->st.noscript++;
            /* the server lost its scripts (restart, SCRIPT FLUSH): load and
             * re-send; bounded in case something keeps flushing them */
            if (++noscript_rounds > 3) {
                dd_s_seterr(s, DD_STORE_ERR_SERVER, "NOSCRIPT persists after SCRIPT LOAD");
                gave_up = 1;
                break;
            }
            if (dd_s_script_load(s) < 0) {
                if (s->err == DD_STORE_ERR_IO && dd_s_fail_retry(s, &attempt))
                    continue;
                gave_up = 1;
                break;
            }
        }
    }
    dd_s_guard_off(&g);
    dd_sc_work_free(&w, nr);
    if (gave_up)
        return -1; /* s->err set: IO after the retries, OOM, AUTH, ... */
    if (first_fail_code != DD_STORE_OK)
        return dd_s_seterr(s, first_fail_code, "%s", first_fail);
    s->consec_failures = 0;
    s->st.commits++;
    dd_s_ok(s);
    return 0;
}

/* ------------------------------------------------------------------ */
/* reads                                                               */

static int dd_s_field_cmp(const void *pa, const void *pb)
{
    const dd_store_field *a = pa, *b = pb;
    return strcmp(a->field, b->field);
}

void dd_store_hash_free(dd_store_hash *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++) {
        free(h->fields[i].field);
        free(h->fields[i].value);
    }
    free(h->fields);
    h->fields = NULL;
    h->n = 0;
}

/* An HGETALL reply into out (sorted). 0 or -1 (err set, out empty). */
static int dd_s_reply_hash(dd_store *s, const char *key, const redisReply *r, dd_store_hash *out)
{
    out->fields = NULL;
    out->n = 0;
    if (r->type == REDIS_REPLY_ERROR)
        return dd_s_seterr(s, DD_STORE_ERR_SERVER, "HGETALL %.100s: %s", key, r->str);
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
        return dd_s_seterr(s, DD_STORE_ERR_PROTOCOL, "HGETALL %.100s: unexpected reply", key);
    if (!r->elements)
        return 0;
    size_t n = r->elements / 2;
    out->fields = calloc(n, sizeof *out->fields);
    if (!out->fields)
        return dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const redisReply *f = r->element[2 * i], *v = r->element[2 * i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            rc = dd_s_seterr(s, DD_STORE_ERR_PROTOCOL, "HGETALL %.100s: non-string element", key);
            break;
        }
        out->fields[i].field = dd_s_strndup(f->str, f->len);
        out->fields[i].value = dd_s_strndup(v->str, v->len);
        out->fields[i].value_len = v->len;
        out->n = i + 1;
        if (!out->fields[i].field || !out->fields[i].value) {
            rc = dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
            break;
        }
    }
    if (rc == 0)
        qsort(out->fields, out->n, sizeof *out->fields, dd_s_field_cmp);
    else
        dd_store_hash_free(out);
    return rc;
}

int dd_store_hgetall_many(dd_store *s, size_t n, const char *const keys[], dd_store_hash *out)
{
    for (size_t i = 0; i < n; i++) {
        out[i].fields = NULL;
        out[i].n = 0;
    }
    if (n == 0) {
        dd_s_ok(s);
        return 0;
    }
    int *argc = malloc(n * sizeof *argc);
    const char ***argv = malloc(n * sizeof *argv);
    size_t **lens = malloc(n * sizeof *lens);
    const char **av = malloc(2 * n * sizeof *av);
    size_t *lv = malloc(2 * n * sizeof *lv);
    redisReply **rep = malloc(n * sizeof *rep);
    int rc = 0;
    if (!argc || !argv || !lens || !av || !lv || !rep) {
        rc = dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!keys[i]) {
            rc = dd_s_seterr(s, DD_STORE_ERR_ARG, "NULL key at %zu", i);
            goto out;
        }
        av[2 * i] = "HGETALL";
        lv[2 * i] = 7;
        av[2 * i + 1] = keys[i];
        lv[2 * i + 1] = strlen(keys[i]);
        argc[i] = 2;
        argv[i] = av + 2 * i;
        lens[i] = lv + 2 * i;
    }
    if (dd_s_run(s, n, argc, argv, lens, rep) < 0) {
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && dd_s_reply_hash(s, keys[i], rep[i], &out[i]) < 0)
            rc = -1;
        freeReplyObject(rep[i]);
    }
    if (rc < 0)
        for (size_t i = 0; i < n; i++)
            dd_store_hash_free(&out[i]);
out:
    free(argc);
    free(argv);
    free(lens);
    free(av);
    free(lv);
    free(rep);
    return rc;
}

int dd_store_hgetall(dd_store *s, const char *key, dd_store_hash *out)
{
    const char *keys[1] = {key};
    return dd_store_hgetall_many(s, 1, keys, out);
}

const char *dd_store_hash_get(const dd_store_hash *h, const char *field)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(h->fields[mid].field, field);
        if (c == 0)
            return h->fields[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Strict decimal int64 (Redis's own integer form: no '+', no leading zeros,
 * no spaces). 0 or -1. */
static int dd_s_parse_i64(const char *p, size_t n, int64_t *out)
{
    if (n == 0 || n > 20)
        return -1;
    int neg = p[0] == '-';
    size_t i = (size_t)neg;
    if (i == n || (p[i] == '0' && (n - i > 1 || neg)))
        return -1;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (lim - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int dd_store_hash_get_i64(const dd_store_hash *h, const char *field, int64_t *out)
{
    *out = 0;
    const char *v = dd_store_hash_get(h, field);
    if (!v)
        return 0;
    int64_t x;
    if (dd_s_parse_i64(v, strlen(v), &x))
        return -1;
    *out = x;
    return 1;
}

int dd_store_read_offsets(dd_store *s, const char *region, dd_store_offset **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char key[300];
    if (dd_store_key_offsets(key, sizeof key, region) < 0)
        return dd_s_seterr(s, DD_STORE_ERR_ARG, "bad region name");
    dd_store_hash h;
    if (dd_store_hgetall(s, key, &h) < 0)
        return -1;
    if (h.n == 0)
        return 0;
    dd_store_offset *o = malloc(h.n * sizeof *o);
    if (!o) {
        dd_store_hash_free(&h);
        return dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
    }
    for (size_t i = 0; i < h.n; i++) {
        int64_t p, off;
        if (dd_s_parse_i64(h.fields[i].field, strlen(h.fields[i].field), &p) || p < 0 ||
            p > INT32_MAX || dd_s_parse_i64(h.fields[i].value, h.fields[i].value_len, &off) ||
            off < 0) {
            dd_s_seterr(s, DD_STORE_ERR_PROTOCOL, "%s: bad partition/offset %.40s=%.40s", key,
                        h.fields[i].field, h.fields[i].value);
            free(o);
            dd_store_hash_free(&h);
            return -1;
        }
        o[i].partition = (int32_t)p;
        o[i].offset = off;
    }
    qsort(o, h.n, sizeof *o, dd_sc_off_cmp);
    *n = h.n;
    *out = o;
    dd_store_hash_free(&h);
    return 0;
}

void dd_store_fetch_free(size_t n, char **values)
{
    for (size_t i = 0; i < n; i++) {
        free(values[i]);
        values[i] = NULL;
    }
}

int dd_store_fetch(dd_store *s, size_t n, const char *const keys[], const char *const fields[],
                   char **values)
{
    for (size_t i = 0; i < n; i++)
        values[i] = NULL;
    if (n == 0) {
        dd_s_ok(s);
        return 0;
    }
    int *argc = malloc(n * sizeof *argc);
    const char ***argv = malloc(n * sizeof *argv);
    size_t **lens = malloc(n * sizeof *lens);
    const char **av = malloc(3 * n * sizeof *av);
    size_t *lv = malloc(3 * n * sizeof *lv);
    redisReply **rep = malloc(n * sizeof *rep);
    int rc = 0;
    if (!argc || !argv || !lens || !av || !lv || !rep) {
        rc = dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!keys[i] || !fields[i]) {
            rc = dd_s_seterr(s, DD_STORE_ERR_ARG, "NULL key or field at %zu", i);
            goto out;
        }
        av[3 * i] = "HGET";
        lv[3 * i] = 4;
        av[3 * i + 1] = keys[i];
        lv[3 * i + 1] = strlen(keys[i]);
        av[3 * i + 2] = fields[i];
        lv[3 * i + 2] = strlen(fields[i]);
        argc[i] = 3;
        argv[i] = av + 3 * i;
        lens[i] = lv + 3 * i;
    }
    if (dd_s_run(s, n, argc, argv, lens, rep) < 0) {
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        redisReply *r = rep[i];
        if (rc == 0) {
            if (r->type == REDIS_REPLY_STRING) {
                values[i] = dd_s_strndup(r->str, r->len);
                if (!values[i])
                    rc = dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
            } else if (r->type == REDIS_REPLY_ERROR) {
                rc = dd_s_seterr(s, DD_STORE_ERR_SERVER, "HGET %.100s %.60s: %s", keys[i],
                                 fields[i], r->str);
            } else if (r->type != REDIS_REPLY_NIL) {
                rc = dd_s_seterr(s, DD_STORE_ERR_PROTOCOL, "HGET: unexpected reply type %d",
                                 r->type);
            }
        }
        freeReplyObject(r);
    }
    if (rc < 0)
        dd_store_fetch_free(n, values);
out:
    free(argc);
    free(argv);
    free(lens);
    free(av);
    free(lv);
    free(rep);
    return rc;
}

/* ------------------------------------------------------------------ */
/* key layout                                                          */

static int dd_s_region_ok(const char *admdvs)
{
    return admdvs && admdvs[0] && !strchr(admdvs, '{') && !strchr(admdvs, '}');
}

static int dd_s_code_ok(const char *code)
{
    return code && code[0] && !strchr(code, ':') && !strchr(code, '{') && !strchr(code, '}');
}

static int dd_s_keyfmt(char *buf, size_t cap, const char *fmt, ...)
{
    if (!buf || !cap)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap) {
        buf[0] = '\0';
        return -1;
    }
    return n;
}

int dd_store_key_month(char *buf, size_t cap, const char *admdvs, int insutype, const char *month)
{
    if (!dd_s_region_ok(admdvs) || !dd_s_code_ok(month))
        return -1;
    return dd_s_keyfmt(buf, cap, "dd:{%s}:t:%d:%s", admdvs, insutype, month);
}

int dd_store_key_hospital(char *buf, size_t cap, const char *admdvs, int insutype, const char *month,
                          const char *fixmedins)
{
    if (!dd_s_region_ok(admdvs) || !dd_s_code_ok(month) || !dd_s_code_ok(fixmedins))
        return -1;
    return dd_s_keyfmt(buf, cap, "dd:{%s}:h:%d:%s:%s", admdvs, insutype, month, fixmedins);
}

int dd_store_key_hospitals(char *buf, size_t cap, const char *admdvs, int insutype,
                           const char *month)
{
    if (!dd_s_region_ok(admdvs) || !dd_s_code_ok(month))
        return -1;
    return dd_s_keyfmt(buf, cap, "dd:{%s}:hs:%d:%s", admdvs, insutype, month);
}

int dd_store_key_cases(char *buf, size_t cap, const char *admdvs, const char *fixmedins)
{
    if (!dd_s_region_ok(admdvs) || !dd_s_code_ok(fixmedins))
        return -1;
    return dd_s_keyfmt(buf, cap, "dd:{%s}:c:%s", admdvs, fixmedins);
}

int dd_store_key_events(char *buf, size_t cap, const char *admdvs)
{
    if (!dd_s_region_ok(admdvs))
        return -1;
    return dd_s_keyfmt(buf, cap, "dd:{%s}:ev", admdvs);
}

int dd_store_key_budget(char *buf, size_t cap, const char *admdvs, int insutype, int year)
{
    if (!dd_s_region_ok(admdvs))
        return -1;
    return dd_s_keyfmt(buf, cap, "dd:{%s}:b:%d:%04d", admdvs, insutype, year);
}

int dd_store_key_offsets(char *buf, size_t cap, const char *admdvs)
{
    if (!dd_s_region_ok(admdvs))
        return -1;
    return dd_s_keyfmt(buf, cap, "dd:{%s}:off", admdvs);
}

int dd_store_key_region(char *buf, size_t cap, const char *key)
{
    const char *tag;
    size_t len;
    if (!key || dd_s_tag(key, &tag, &len) || len >= cap)
        return -1;
    memcpy(buf, tag, len);
    buf[len] = '\0';
    return (int)len;
}

/* ------------------------------------------------------------------ */
/* generic script call (dd_store_eval)                                 */

static uint32_t dd_s_rol(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

/* SHA1 hex digest of a script: EVALSHA without a SCRIPT LOAD round trip
 * (and without state on the store: any number of scripts). */
static void dd_s_sha1_hex(const char *msg, size_t n, char out[41])
{
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    uint64_t bits = (uint64_t)n * 8;
    size_t total = ((n + 8) / 64 + 1) * 64;
    for (size_t off = 0; off < total; off += 64) {
        unsigned char blk[64];
        for (size_t i = 0; i < 64; i++) {
            size_t k = off + i;
            if (k < n)
                blk[i] = (unsigned char)msg[k];
            else if (k == n)
                blk[i] = 0x80;
            else if (k >= total - 8)
                blk[i] = (unsigned char)(bits >> (8 * (total - 1 - k)));
            else
                blk[i] = 0;
        }
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
                   (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
        for (int i = 16; i < 80; i++)
            w[i] = dd_s_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20)
                f = (b & c) | (~b & d), k = 0x5A827999u;
            else if (i < 40)
                f = b ^ c ^ d, k = 0x6ED9EBA1u;
            else if (i < 60)
                f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDCu;
            else
                f = b ^ c ^ d, k = 0xCA62C1D6u;
            uint32_t t = dd_s_rol(a, 5) + f + e + k + w[i];
            e = d, d = c, c = dd_s_rol(b, 30), b = a, a = t;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
    }
    for (int i = 0; i < 5; i++)
        snprintf(out + 8 * i, 9, "%08x", (unsigned)h[i]);
}

void dd_store_reply_free(dd_store_reply *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
    free(r->len);
    r->v = NULL;
    r->len = NULL;
    r->n = 0;
}

/* One reply element into out slot i. 0 or -1 (err set). */
static int dd_s_reply_elem(dd_store *s, const redisReply *e, dd_store_reply *out, size_t i)
{
    char num[32];
    const char *p = NULL;
    size_t n = 0;
    switch (e->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        p = e->str, n = e->len;
        break;
    case REDIS_REPLY_INTEGER:
        n = (size_t)snprintf(num, sizeof num, "%lld", (long long)e->integer);
        p = num;
        break;
    case REDIS_REPLY_NIL:
        out->v[i] = NULL;
        out->len[i] = 0;
        return 0;
    default:
        return dd_s_seterr(s, DD_STORE_ERR_PROTOCOL, "script: unexpected reply element type %d",
                           e->type);
    }
    out->v[i] = dd_s_strndup(p, n);
    out->len[i] = n;
    return out->v[i] ? 0 : dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
}

int dd_store_eval(dd_store *s, const char *script, int nkeys, const char *const keys[],
                  int nargs, const char *const args[], const size_t arglens[],
                  dd_store_reply *out)
{
    out->n = 0;
    out->v = NULL;
    out->len = NULL;
    if (!script || nkeys < 0 || nargs < 0)
        return dd_s_seterr(s, DD_STORE_ERR_ARG, "script: bad arguments");
    char sha[41], nk[16];
    dd_s_sha1_hex(script, strlen(script), sha);
    snprintf(nk, sizeof nk, "%d", nkeys);
    int argc = 3 + nkeys + nargs;
    const char **av = malloc((size_t)argc * sizeof *av);
    size_t *lv = malloc((size_t)argc * sizeof *lv);
    if (!av || !lv) {
        free(av);
        free(lv);
        return dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
    }
    av[0] = "EVALSHA", lv[0] = 7;
    av[1] = sha, lv[1] = 40;
    av[2] = nk, lv[2] = strlen(nk);
    int rc = 0;
    for (int i = 0; i < nkeys; i++) {
        const char *tag;
        size_t tlen;
        if (!keys[i] || dd_s_tag(keys[i], &tag, &tlen)) {
            rc = dd_s_seterr(s, DD_STORE_ERR_ARG, "script: key %d without a {tag}", i);
            goto done;
        }
        av[3 + i] = keys[i], lv[3 + i] = strlen(keys[i]);
    }
    for (int i = 0; i < nargs; i++) {
        av[3 + nkeys + i] = args[i] ? args[i] : "";
        lv[3 + nkeys + i] = !args[i] ? 0 : arglens ? arglens[i] : strlen(args[i]);
    }
    redisReply *r = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (dd_s_run(s, 1, &argc, &av, &lv, &r) < 0) {
            rc = -1;
            goto done;
        }
        if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOSCRIPT", 8) && attempt == 0) {
            /* EVAL runs and caches the script: the next EVALSHA finds it */
            s->st.noscript++;
            freeReplyObject(r);
            r = NULL;
            av[0] = "EVAL", lv[0] = 4;
            av[1] = script, lv[1] = strlen(script);
            continue;
        }
        break;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        rc = dd_s_seterr(s, DD_STORE_ERR_SERVER, "script: %.400s", r->str);
    } else if (r->type == REDIS_REPLY_ARRAY) {
        size_t n = r->elements;
        out->v = calloc(n ? n : 1, sizeof *out->v);
        out->len = calloc(n ? n : 1, sizeof *out->len);
        if (!out->v || !out->len) {
            rc = dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
        } else {
            out->n = n;
            for (size_t i = 0; i < n && !rc; i++)
                rc = dd_s_reply_elem(s, r->element[i], out, i);
        }
    } else {
        out->v = calloc(1, sizeof *out->v);
        out->len = calloc(1, sizeof *out->len);
        if (!out->v || !out->len) {
            rc = dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
        } else {
            out->n = 1;
            rc = dd_s_reply_elem(s, r, out, 0);
        }
    }
    freeReplyObject(r);
    if (rc)
        dd_store_reply_free(out);
    else
        dd_s_ok(s);
done:
    free(av);
    free(lv);
    return rc;
}
