/*
 * dd_store — see dd_store.h for the contract.
 *
 * Implementation notes:
 *  - The batch interns keys (one string per distinct key) and keeps one
 *    entry per distinct (key, field) in an open-addressing table, so summing
 *    a delta is one lookup. Commit groups the entries by key (insertion
 *    order, so the sent arguments are deterministic) and sorts the keys by
 *    (region, keys with increments first, name).
 *  - Requests are written as RESP straight into a buffer kept in the store
 *    (no argv arrays, no hiredis formatting) and handed to hiredis with
 *    redisAppendFormattedCommand. Commit writes each region's script to the
 *    socket as soon as it is built, so Redis runs region 1 while region 2 is
 *    being built; on a retry the pending regions' bytes are re-sent as is.
 *  - The Lua script below is the only writer of a region's keys.
 *    KEYS[1] is the region's offsets hash "dd:{R}:off"; KEYS[2 ..] the data
 *    keys, those with increments first. ARGV:
 *      ARGV[1]              np = number of (partition, offset) pairs
 *      ARGV[2 .. np+1]      the partitions, ARGV[np+2 .. 2np+1] their
 *                           offsets (decimal strings; runs, so HMGET/HSET
 *                           take unpack(ARGV, i, j) without a copy)
 *      then for each data key KEYS[k], k = 2 .. #KEYS, in order:
 *        ni, ns, nd, nc, ex, ni fields, their ni deltas, ns x (field,
 *        value), nd fields to HDEL, nc x (field, value) claims; ex =
 *        EXPIRE seconds, "0" none. A claim is a compare-and-set-if-absent:
 *        the field must be absent (then it is written) or hold the value.
 *    Deltas are canonical int64 decimals (formatted here), so the script
 *    does not re-check them. It returns 1 (applied) or 0 (duplicate: every
 *    offset at or below the stored one), or an error reply before any
 *    write: DDCONFLICT, WRONGTYPE, DDNOTINT, DDRANGE, DDARG, DDOWNER (a
 *    claimed field holds another value).
 *  - Checks before writes: keys with increments are read with one HMGET
 *    per key through redis.pcall (it fails on a non-hash: WRONGTYPE naming
 *    the key) and every new value is computed then (absent field: the delta
 *    itself; short canonical integers: exact double arithmetic below 2^53;
 *    longer ones: checked exactly by splitting decimals into hi * 10^9 + lo,
 *    then HINCRBY). The other keys (sets, deletes, EXPIRE only; mostly new
 *    keys) are one contiguous range of KEYS: one EXISTS clears a range
 *    without existing keys, ranges with existing ones are halved down to
 *    TYPE. Then the writes: one HSET per key (chunks) and EXPIRE.
 *    Measured on bench/store_bench.c (12 regions, 17,700 fields): script
 *    time 43-54 -> 34-42 ms per batch (quiet machine), Redis calls from the
 *    script ~9,000 -> ~6,100 (TYPE 2,976 -> 144 + 156 EXISTS).
 *  - dd_store_fetch groups the pairs by key: one HMGET per distinct key.
 */
#include "dd_store.h"
#include "dd_num.h"

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
    "local nk = #KEYS\n"
    "local B = 1000000000\n"
    "local tonum, find, sub, fmt = tonumber, string.find, string.sub, string.format\n"
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
    "  if not find(s, '^%-?%d+$') then return nil end\n"
    "  local neg = sub(s, 1, 1) == '-'\n"
    "  local d = s\n"
    "  if neg then d = sub(s, 2) end\n"
    "  if #d > 19 or (#d > 1 and sub(d, 1, 1) == '0') or (neg and d == '0') then return nil end\n"
    "  local h, l = 0, 0\n"
    "  if #d > 9 then h = tonum(sub(d, 1, #d - 9)); l = tonum(sub(d, #d - 8))\n"
    "  else l = tonum(d) end\n"
    "  if neg then h = -h; l = -l end\n"
    "  if not inrange(h, l) then return nil end\n"
    "  return h, l\n"
    "end\n"
    "-- a read that fails on a key that is not a hash: checked before any write\n"
    "local function hmget(key, i, j)\n"
    "  local r = redis.pcall('HMGET', key, unpack(ARGV, i, j))\n"
    "  if r.err then\n"
    "    if sub(r.err, 1, 9) == 'WRONGTYPE' then r.err = 'WRONGTYPE ' .. key .. ' is not a hash' end\n"
    "    return nil, r\n"
    "  end\n"
    "  return r\n"
    "end\n"
    "local newc, oldc = 0, 0\n"
    "for i0 = 0, np - 1, 500 do\n"
    "  local m = np - i0\n"
    "  if m > 500 then m = 500 end\n"
    "  local cur, e = hmget(offk, 2 + i0, 1 + i0 + m)\n"
    "  if not cur then return e end\n"
    "  for i = 1, m do\n"
    "    local c = cur[i]\n"
    "    if c and cmpdec(ARGV[np + 1 + i0 + i], c) <= 0 then oldc = oldc + 1 else newc = newc + 1 end\n"
    "  end\n"
    "end\n"
    "if oldc > 0 and newc > 0 then\n"
    "  return redis.error_reply('DDCONFLICT ' .. offk .. ': ' .. oldc .. ' partition(s) at or below the stored offset, ' .. newc .. ' above')\n"
    "end\n"
    "if oldc > 0 then return 0 end\n"
    "-- Pass 1 (no writes). Keys with increments come first: one HMGET per key\n"
    "-- (it fails on a non-hash) and every new value is computed here. A\n"
    "-- delta is a canonical int64 (the client formats it); an absent field\n"
    "-- becomes the delta; two canonical integers under 16 characters sum\n"
    "-- exactly in a double (< 2^53); anything longer is range-checked\n"
    "-- exactly and left to HINCRBY.\n"
    "local plan, slowp = {}, {}\n"
    "local a = 2 * np + 2\n"
    "local k = 2\n"
    "while k <= nk do\n"
    "  local ni = tonum(ARGV[a])\n"
    "  if ni == 0 then break end\n"
    "  local key = KEYS[k]\n"
    "  local fa = a + 5\n"
    "  local da = fa + ni\n"
    "  local w, nw, slow = {}, 0, nil\n"
    "  local j0 = 0\n"
    "  while j0 < ni do\n"
    "    local m = ni - j0\n"
    "    if m > 500 then m = 500 end\n"
    "    local cv, err = hmget(key, fa + j0, fa + j0 + m - 1)\n"
    "    if not cv then return err end\n"
    "    for j = 1, m do\n"
    "      local c, d = cv[j], ARGV[da + j0 + j - 1]\n"
    "      if not c then\n"
    "        w[nw + 1] = ARGV[fa + j0 + j - 1]; w[nw + 2] = d; nw = nw + 2\n"
    "      elseif #c < 16 and #d < 16 and (c == '0' or find(c, '^%-?[1-9]%d*$')) then\n"
    "        w[nw + 1] = ARGV[fa + j0 + j - 1]; w[nw + 2] = fmt('%d', c + d); nw = nw + 2\n"
    "      else\n"
    "        local f = ARGV[fa + j0 + j - 1]\n"
    "        local h2, l2 = split(d)\n"
    "        if not h2 then return redis.error_reply('DDARG bad delta for ' .. key .. ' ' .. f) end\n"
    "        local h1, l1 = split(c)\n"
    "        if not h1 then return redis.error_reply('DDNOTINT ' .. key .. ' ' .. f .. ' is not an int64') end\n"
    "        if not inrange(h1 + h2, l1 + l2) then\n"
    "          return redis.error_reply('DDRANGE ' .. key .. ' ' .. f .. ' would leave int64')\n"
    "        end\n"
    "        if not slow then slow = {} end\n"
    "        slow[#slow + 1] = f\n"
    "        slow[#slow + 1] = d\n"
    "      end\n"
    "    end\n"
    "    j0 = j0 + m\n"
    "  end\n"
    "  plan[k] = w\n"
    "  slowp[k] = slow\n"
    "  a = da + ni + 2 * tonum(ARGV[a + 1]) + tonum(ARGV[a + 2]) + 2 * tonum(ARGV[a + 3])\n"
    "  k = k + 1\n"
    "end\n"
    "-- Keys k .. nk only get sets, deletes or an EXPIRE: each must be a hash\n"
    "-- or absent. Most are new (absent): one EXISTS clears a whole range;\n"
    "-- ranges holding existing keys are halved down to TYPE calls.\n"
    "local function check(i, j, n)\n"
    "  if not n then n = redis.call('EXISTS', unpack(KEYS, i, j)) end\n"
    "  if n == 0 then return nil end\n"
    "  if j - i < 4 or n == j - i + 1 then\n"
    "    for q = i, j do\n"
    "      local t = redis.call('TYPE', KEYS[q]).ok\n"
    "      if t ~= 'hash' and t ~= 'none' then return KEYS[q] end\n"
    "    end\n"
    "    return nil\n"
    "  end\n"
    "  local mid = i + math.floor((j - i) / 2)\n"
    "  return check(i, mid) or check(mid + 1, j)\n"
    "end\n"
    "for i = k, nk, 1000 do\n"
    "  local j = i + 999\n"
    "  if j > nk then j = nk end\n"
    "  local bad = check(i, j)\n"
    "  if bad then return redis.error_reply('WRONGTYPE ' .. bad .. ' is not a hash') end\n"
    "end\n"
    "-- Claims: a claimed field must be absent (then it is written) or hold\n"
    "-- the claimed value; anything else refuses the batch before any write.\n"
    "local claimw = {}\n"
    "a = 2 * np + 2\n"
    "for k = 2, nk do\n"
    "  local ni, ns, nd, nc = tonum(ARGV[a]), tonum(ARGV[a + 1]), tonum(ARGV[a + 2]), tonum(ARGV[a + 3])\n"
    "  local ca = a + 5 + 2 * ni + 2 * ns + nd\n"
    "  local w, nw = {}, 0\n"
    "  for c0 = 0, nc - 1, 500 do\n"
    "    local m = nc - c0\n"
    "    if m > 500 then m = 500 end\n"
    "    local fl = {}\n"
    "    for i = 1, m do fl[i] = ARGV[ca + 2 * (c0 + i - 1)] end\n"
    "    local cur = redis.call('HMGET', KEYS[k], unpack(fl))\n"
    "    for i = 1, m do\n"
    "      local want = ARGV[ca + 2 * (c0 + i - 1) + 1]\n"
    "      if not cur[i] then w[nw + 1] = fl[i]; w[nw + 2] = want; nw = nw + 2\n"
    "      elseif cur[i] ~= want then\n"
    "        return redis.error_reply('DDOWNER ' .. KEYS[k] .. ' ' .. fl[i] .. ' is ' .. cur[i] .. ', not ' .. want)\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  if nw > 0 then claimw[k] = w end\n"
    "  a = ca + 2 * nc\n"
    "end\n"
    "-- Pass 2: the writes.\n"
    "a = 2 * np + 2\n"
    "for k = 2, nk do\n"
    "  local key = KEYS[k]\n"
    "  local ni, ns, nd, nc, ex = tonum(ARGV[a]), tonum(ARGV[a + 1]), tonum(ARGV[a + 2]), tonum(ARGV[a + 3]), ARGV[a + 4]\n"
    "  local sa = a + 5 + 2 * ni\n"
    "  if ni > 0 then\n"
    "    local w = plan[k]\n"
    "    local j, n = 0, #w\n"
    "    while j < n do\n"
    "      local m = n - j\n"
    "      if m > 1000 then m = 1000 end\n"
    "      redis.call('HSET', key, unpack(w, j + 1, j + m))\n"
    "      j = j + m\n"
    "    end\n"
    "    local slow = slowp[k]\n"
    "    if slow then\n"
    "      for i = 1, #slow, 2 do redis.call('HINCRBY', key, slow[i], slow[i + 1]) end\n"
    "    end\n"
    "  end\n"
    "  local j = 0\n"
    "  while j < ns do\n"
    "    local m = ns - j\n"
    "    if m > 500 then m = 500 end\n"
    "    redis.call('HSET', key, unpack(ARGV, sa + 2 * j, sa + 2 * (j + m) - 1))\n"
    "    j = j + m\n"
    "  end\n"
    "  local da = sa + 2 * ns\n"
    "  j = 0\n"
    "  while j < nd do\n"
    "    local m = nd - j\n"
    "    if m > 500 then m = 500 end\n"
    "    redis.call('HDEL', key, unpack(ARGV, da + j, da + j + m - 1))\n"
    "    j = j + m\n"
    "  end\n"
    "  local cw = claimw[k]\n"
    "  j = 0\n"
    "  while cw and j < #cw do\n"
    "    local m = #cw - j\n"
    "    if m > 1000 then m = 1000 end\n"
    "    redis.call('HSET', key, unpack(cw, j + 1, j + m))\n"
    "    j = j + m\n"
    "  end\n"
    "  if ex ~= '0' then redis.call('EXPIRE', key, ex) end\n"
    "  a = da + nd + 2 * nc\n"
    "end\n"
    "local o = {}\n"
    "for i = 1, np do\n"
    "  o[#o + 1] = ARGV[1 + i]; o[#o + 1] = ARGV[1 + np + i]\n"
    "  if #o == 1000 or i == np then redis.call('HSET', offk, unpack(o)); o = {} end\n"
    "end\n"
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
    case DD_STORE_ERR_OWNER: return "OWNER";
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

/* A RESP request being written (commands are formatted here, not by
 * hiredis: no argv/len arrays, no sds per argument). */
typedef struct {
    char *p;
    size_t len, cap;
    int oom; /* a grow failed: the content is incomplete */
} dd_s_buf;

/* Per-key counts of a commit (entries of the key: ep[start .. start + n)). */
typedef struct {
    size_t ni, ns, nd, nc; /* non-zero increments, sets, deletes, claims */
    size_t start, n;
} dd_sc_kinfo;

typedef struct {
    size_t region;
    int cls; /* 0: has increments (sent first), 1: sets / deletes / EXPIRE only */
    const char *name;
    size_t key;
} dd_sc_kitem;

/* Work arrays kept between calls (one batch per few ms: no malloc churn). */
typedef struct {
    /* fetch */
    size_t *grp, *idx, *gfirst, *gcnt, *gpos, *cmdoff;
    uint64_t *ghash;
    size_t cap_n, cap_n2, cap_n3, cap_n4, cap_n5, cap_n6;
    size_t cap_cmd;
    size_t *htab;
    size_t cap_htab;
    void **rep; /* redisReply* of a read or of the region scripts */
    size_t cap_rep;
    /* commit */
    dd_sc_kinfo *ki;
    dd_sc_kitem *ko;
    size_t cap_k, cap_ko;
    const void **ep; /* const dd_sb_entry *, grouped by key */
    size_t cap_ep;
    size_t *rstart, *rend;
    int *state;
    size_t cap_r, cap_r2, cap_r3;
} dd_s_work;

struct dd_store {
    dd_store_url url;
    int connect_timeout_ms, command_timeout_ms, retries, backoff_ms, backoff_max_ms;
    redisContext *c;
    char sha[41];        /* SHA1 of the commit script (computed here) */
    int script_loaded;   /* SCRIPT LOAD done once (again on NOSCRIPT) */
    char run_id[64];     /* of the server of the last connection */
    int consec_failures; /* for the backoff */
    int err;
    char errstr[512];
    dd_store_stats st;
    dd_s_buf req;  /* read / eval requests */
    dd_s_buf cbuf; /* the region scripts of a commit */
    dd_s_work w;
};

static void dd_s_sha1_hex(const char *msg, size_t n, char out[41]);

static int dd_s_buf_need(dd_s_buf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return 0;
    size_t nc = b->cap ? b->cap : 4096;
    while (nc - b->len < n)
        nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) {
        b->oom = 1;
        return -1;
    }
    b->p = np;
    b->cap = nc;
    return 0;
}

/* "<t><n>\r\n": an array ('*') or bulk ('$') header. */
static void dd_s_buf_hdr(dd_s_buf *b, char t, size_t n)
{
    if (dd_s_buf_need(b, 24))
        return;
    char *o = b->p + b->len;
    *o++ = t;
    o += dd_dec_format(o, 22, (int64_t)n, 0);
    *o++ = '\r';
    *o++ = '\n';
    b->len = (size_t)(o - b->p);
}

static void dd_s_buf_bulk(dd_s_buf *b, const char *p, size_t n)
{
    if (dd_s_buf_need(b, n + 26))
        return;
    dd_s_buf_hdr(b, '$', n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len++] = '\r';
    b->p[b->len++] = '\n';
}

static void dd_s_buf_i64(dd_s_buf *b, int64_t v)
{
    char tmp[24];
    dd_s_buf_bulk(b, tmp, dd_dec_format(tmp, sizeof tmp, v, 0));
}

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
    dd_s_sha1_hex(dd_store_lua, sizeof dd_store_lua - 1, s->sha);
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
    free(s->req.p);
    free(s->cbuf.p);
    dd_s_work *w = &s->w;
    free(w->grp);
    free(w->idx);
    free(w->gfirst);
    free(w->gcnt);
    free(w->gpos);
    free(w->cmdoff);
    free(w->ghash);
    free(w->htab);
    free(w->rep);
    free(w->ki);
    free(w->ko);
    free(w->ep);
    free(w->rstart);
    free(w->rend);
    free(w->state);
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
    if (r->type == REDIS_REPLY_STRING && r->len == 40 && !memcmp(s->sha, r->str, 40)) {
        s->script_loaded = 1;
    } else if (r->type == REDIS_REPLY_STRING) {
        rc = dd_s_seterr(s, DD_STORE_ERR_PROTOCOL, "SCRIPT LOAD: SHA1 %.60s, expected %s", r->str,
                         s->sha);
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

/* Send the n pipelined commands formatted in req (read commands: safe to
 * re-send) with the retry rules; replies[i] set on success (caller frees),
 * all NULL on failure. Error replies other than transient ones are returned
 * as replies (the caller judges them). */
static int dd_s_run_raw(dd_store *s, const dd_s_buf *req, size_t n, redisReply **replies)
{
    for (size_t i = 0; i < n; i++)
        replies[i] = NULL;
    if (n == 0) {
        dd_s_ok(s);
        return 0;
    }
    if (req->oom)
        return dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
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
        /* the n commands go in one append: hiredis only counts replies */
        if (redisAppendFormattedCommand(s->c, req->p, req->len) != REDIS_OK) {
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

/* dd_s_run_raw of n commands given as argument vectors. */
static int dd_s_run(dd_store *s, size_t n, int *argc, const char ***argv, size_t **lens,
                    redisReply **replies)
{
    s->req.len = 0;
    s->req.oom = 0;
    for (size_t i = 0; i < n; i++) {
        dd_s_buf_hdr(&s->req, '*', (size_t)argc[i]);
        for (int j = 0; j < argc[i]; j++)
            dd_s_buf_bulk(&s->req, argv[i][j], lens[i][j]);
    }
    return dd_s_run_raw(s, &s->req, n, replies);
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
    int is_set; /* 0 incr, 1 set, 2 del, 3 claim */
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

/* kind 1: set, 3: claim */
static int dd_sb_set(dd_store_batch *b, const char *key, const char *field, const char *value,
                     size_t vlen, int kind)
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
    if (!created && (e->is_set == 0 || e->is_set == 3 || kind == 3)) {
        free(v);
        if (kind == 3 && e->is_set == 3 && e->value_len == vlen && !memcmp(e->value, value, vlen))
            return 0; /* the same claim again */
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "field %.60s of %.100s written two ways", field,
                          key);
    }
    e->is_set = kind;
    free(e->value);
    e->value = v;
    e->value_len = vlen;
    return 0;
}

int dd_store_batch_set(dd_store_batch *b, const char *key, const char *field, const char *value)
{
    return dd_sb_set(b, key, field, value, value ? strlen(value) : 0, 1);
}

int dd_store_batch_claim(dd_store_batch *b, const char *key, const char *field, const char *value)
{
    return dd_sb_set(b, key, field, value, value ? strlen(value) : 0, 3);
}

int dd_store_batch_set_i64(dd_store_batch *b, const char *key, const char *field, int64_t value)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%" PRId64, value);
    return dd_sb_set(b, key, field, buf, (size_t)n, 1);
}

int dd_store_batch_del(dd_store_batch *b, const char *key, const char *field)
{
    if (b->err)
        return -1;
    int created;
    dd_sb_entry *e = dd_sb_entry_get(b, key, field, &created);
    if (!e)
        return -1;
    if (!created && (e->is_set == 0 || e->is_set == 3))
        return dd_sb_fail(b, DD_STORE_ERR_ARG, "field %.60s of %.100s written two ways", field,
                          key);
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

static int dd_sc_off_cmp(const void *pa, const void *pb)
{
    const dd_store_offset *a = pa, *b = pb;
    return a->partition < b->partition ? -1 : a->partition > b->partition;
}

/* Keys by (region, keys with increments first, name): the script reads the
 * incremented keys first and checks the others as one range of KEYS. */
static int dd_sc_key_cmp(const void *pa, const void *pb)
{
    const dd_sc_kitem *x = pa, *y = pb;
    if (x->region != y->region)
        return x->region < y->region ? -1 : 1;
    if (x->cls != y->cls)
        return x->cls - y->cls;
    return strcmp(x->name, y->name);
}

enum { DD_SC_PENDING = 0, DD_SC_APPLIED, DD_SC_DUP, DD_SC_FAILED };

/* Group the entries by key (insertion order kept: deterministic) and sort
 * the keys; every array lives in s->w. 0 or -1 (OOM). */
static int dd_sc_plan(dd_store *s, dd_store_batch *b)
{
    dd_s_work *w = &s->w;
    size_t nk = b->nkeys, nr = b->nr;
    if (dd_s_grow((void **)&w->ki, &w->cap_k, nk + 1, sizeof *w->ki) ||
        dd_s_grow((void **)&w->ko, &w->cap_ko, nk + 1, sizeof *w->ko) ||
        dd_s_grow((void **)&w->ep, &w->cap_ep, b->n + 1, sizeof *w->ep) ||
        dd_s_grow((void **)&w->rstart, &w->cap_r, nr + 1, sizeof *w->rstart) ||
        dd_s_grow((void **)&w->rend, &w->cap_r2, nr + 1, sizeof *w->rend) ||
        dd_s_grow((void **)&w->state, &w->cap_r3, nr + 1, sizeof *w->state))
        return -1;
    dd_sc_kitem *ko = w->ko;
    memset(w->state, 0, nr * sizeof *w->state);
    memset(w->ki, 0, nk * sizeof *w->ki);
    for (size_t i = 0; i < b->n; i++) {
        const dd_sb_entry *e = &b->e[i];
        dd_sc_kinfo *k = &w->ki[e->key];
        k->n++;
        if (e->is_set == 2)
            k->nd++;
        else if (e->is_set == 3)
            k->nc++;
        else if (e->is_set)
            k->ns++;
        else if (e->delta != 0)
            k->ni++;
    }
    size_t pos = 0;
    for (size_t k = 0; k < nk; k++) {
        w->ki[k].start = pos;
        pos += w->ki[k].n;
        w->ki[k].n = 0;
    }
    for (size_t i = 0; i < b->n; i++) {
        dd_sc_kinfo *k = &w->ki[b->e[i].key];
        w->ep[k->start + k->n++] = &b->e[i];
    }
    for (size_t k = 0; k < nk; k++)
        ko[k] = (dd_sc_kitem){b->keys[k].region, w->ki[k].ni ? 0 : 1, b->keys[k].s, k};
    qsort(ko, nk, sizeof *ko, dd_sc_key_cmp);
    return 0;
}

/* The (field, value) pairs of the entries of one kind (1 set, 3 claim). */
static void dd_sc_put_pairs(dd_s_buf *o, const void *const *ep, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++) {
        const dd_sb_entry *e = ep[i];
        if (e->is_set == kind) {
            dd_s_buf_bulk(o, e->field, e->field_len);
            dd_s_buf_bulk(o, e->value, e->value_len);
        }
    }
}

/* Append region r's EVALSHA (ARGV layout at the top of this file) to
 * s->cbuf; *kpos walks the sorted keys. */
static void dd_sc_build_region(dd_store *s, dd_store_batch *b, size_t r, size_t *kpos)
{
    dd_s_work *w = &s->w;
    dd_s_buf *o = &s->cbuf;
    dd_sb_region *rg = &b->r[r];
    size_t k0 = *kpos, k1 = k0;
    while (k1 < b->nkeys && w->ko[k1].region == r)
        k1++;
    *kpos = k1;
    size_t nk = 0, nargs = 0;
    for (size_t q = k0; q < k1; q++) {
        const dd_sc_kinfo *ki = &w->ki[w->ko[q].key];
        if (ki->ni + ki->ns + ki->nd + ki->nc || b->keys[w->ko[q].key].expire_s > 0) {
            nk++;
            nargs += 5 + 2 * ki->ni + 2 * ki->ns + ki->nd + 2 * ki->nc;
        }
    }
    qsort(rg->offs, rg->noffs, sizeof *rg->offs, dd_sc_off_cmp);
    dd_s_buf_hdr(o, '*', 3 + 1 + nk + 1 + 2 * rg->noffs + nargs);
    dd_s_buf_bulk(o, "EVALSHA", 7);
    dd_s_buf_bulk(o, s->sha, 40);
    dd_s_buf_i64(o, (int64_t)nk + 1);
    if (dd_s_buf_need(o, rg->len + 40))
        return;
    dd_s_buf_hdr(o, '$', rg->len + 9);
    memcpy(o->p + o->len, "dd:{", 4);
    memcpy(o->p + o->len + 4, rg->name, rg->len);
    memcpy(o->p + o->len + 4 + rg->len, "}:off\r\n", 7);
    o->len += rg->len + 11;
    for (size_t q = k0; q < k1; q++) {
        const dd_sc_kinfo *ki = &w->ki[w->ko[q].key];
        const dd_sb_key *k = &b->keys[w->ko[q].key];
        if (ki->ni + ki->ns + ki->nd + ki->nc || k->expire_s > 0)
            dd_s_buf_bulk(o, k->s, k->len);
    }
    dd_s_buf_i64(o, (int64_t)rg->noffs);
    for (size_t i = 0; i < rg->noffs; i++)
        dd_s_buf_i64(o, rg->offs[i].partition);
    for (size_t i = 0; i < rg->noffs; i++)
        dd_s_buf_i64(o, rg->offs[i].offset);
    for (size_t q = k0; q < k1; q++) {
        const dd_sc_kinfo *ki = &w->ki[w->ko[q].key];
        const dd_sb_key *k = &b->keys[w->ko[q].key];
        if (!(ki->ni + ki->ns + ki->nd + ki->nc) && k->expire_s <= 0)
            continue;
        const void *const *ep = w->ep + ki->start; /* const dd_sb_entry * each */
        dd_s_buf_i64(o, (int64_t)ki->ni);
        dd_s_buf_i64(o, (int64_t)ki->ns);
        dd_s_buf_i64(o, (int64_t)ki->nd);
        dd_s_buf_i64(o, (int64_t)ki->nc);
        dd_s_buf_i64(o, k->expire_s);
        if (ki->ni) {
            for (size_t i = 0; i < ki->n; i++) {
                const dd_sb_entry *e = ep[i];
                if (e->is_set == 0 && e->delta != 0)
                    dd_s_buf_bulk(o, e->field, e->field_len);
            }
            for (size_t i = 0; i < ki->n; i++) {
                const dd_sb_entry *e = ep[i];
                if (e->is_set == 0 && e->delta != 0)
                    dd_s_buf_i64(o, e->delta);
            }
        }
        if (ki->ns)
            dd_sc_put_pairs(o, ep, ki->n, 1);
        if (ki->nd)
            for (size_t i = 0; i < ki->n; i++) {
                const dd_sb_entry *e = ep[i];
                if (e->is_set == 2)
                    dd_s_buf_bulk(o, e->field, e->field_len);
            }
        if (ki->nc)
            dd_sc_put_pairs(o, ep, ki->n, 3);
    }
}

/* Append [p, p+n) to the connection and write it out. 0, -1 OOM, -2 I/O. */
static int dd_sc_send(dd_store *s, const char *p, size_t n)
{
    if (redisAppendFormattedCommand(s->c, p, n) != REDIS_OK)
        return -1;
    int done = 0;
    while (!done)
        if (redisBufferWrite(s->c, &done) != REDIS_OK)
            return -2;
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
    /* refused before anything is sent */
    for (size_t r = 0; r < b->nr; r++)
        if (b->r[r].noffs == 0)
            return dd_s_seterr(s, DD_STORE_ERR_ARG,
                               "region %s has data but no offset: commit would not be idempotent",
                               b->r[r].name);
    if (dd_sc_plan(s, b) < 0)
        return dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
    dd_s_work *w = &s->w;
    for (size_t k = 0; k < b->nkeys; k++) {
        res->incr_fields += w->ki[k].ni;
        res->set_fields += w->ki[k].ns;
    }
    size_t nr = b->nr, built = 0, kpos = 0;
    s->cbuf.len = 0;
    s->cbuf.oom = 0;
    int first_fail_code = DD_STORE_OK;
    char first_fail[sizeof s->errstr] = "";
    int attempt = 0, noscript_rounds = 0, gave_up = 0;
    dd_s_sigguard g;
    dd_s_guard_on(&g);
    for (;;) {
        size_t pending = 0;
        for (size_t r = 0; r < nr; r++)
            pending += w->state[r] == DD_SC_PENDING;
        if (!pending)
            break;
        if (dd_s_connect(s) < 0 || (!s->script_loaded && dd_s_script_load(s) < 0)) {
            if (s->err == DD_STORE_ERR_IO && dd_s_fail_retry(s, &attempt))
                continue;
            gave_up = 1;
            break;
        }
        /* re-send what was built and is pending, then build the rest, each
         * region written out at once: Redis runs region 1 while region 2 is
         * being built */
        int sent = 0, ioerr = 0;
        for (size_t r = 0; r < built && !sent; r++)
            if (w->state[r] == DD_SC_PENDING &&
                redisAppendFormattedCommand(s->c, s->cbuf.p + w->rstart[r],
                                            w->rend[r] - w->rstart[r]) != REDIS_OK)
                sent = -1;
        if (!sent && built) {
            int done = 0;
            while (!done && !sent)
                if (redisBufferWrite(s->c, &done) != REDIS_OK)
                    sent = -2;
        }
        for (; built < nr && sent != -1; built++) {
            w->rstart[built] = s->cbuf.len;
            dd_sc_build_region(s, b, built, &kpos);
            w->rend[built] = s->cbuf.len;
            if (s->cbuf.oom)
                sent = -1;
            else if (!sent)
                sent = dd_sc_send(s, s->cbuf.p + w->rstart[built], w->rend[built] - w->rstart[built]);
        }
        if (sent == -1) {
            dd_s_drop(s);
            dd_s_seterr(s, DD_STORE_ERR_OOM, "cannot build a redis command");
            gave_up = 1;
            break;
        }
        res->round_trips++;
        int transient = 0, noscript = 0;
        if (sent == -2) {
            dd_s_seterr(s, DD_STORE_ERR_IO, "redis I/O during commit: %s",
                        s->c->errstr[0] ? s->c->errstr : "connection lost");
            ioerr = 1;
        }
        for (size_t r = 0; r < nr && !ioerr; r++) {
            if (w->state[r] != DD_SC_PENDING)
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
                w->state[r] = rep->integer == 1 ? DD_SC_APPLIED : DD_SC_DUP;
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
                                  : !strncmp(rep->str, "DDOWNER", 7)  ? DD_STORE_ERR_OWNER
                                                                      : DD_STORE_ERR_SERVER)
                               : DD_STORE_ERR_PROTOCOL;
                w->state[r] = DD_SC_FAILED;
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

/* An HGETALL reply into out (sorted). 0 or -1 (err set, out empty). The
 * strings are taken from the reply (hiredis mallocs each NUL-terminated
 * string; freeReplyObject then frees NULL): no second copy. */
static int dd_s_reply_hash(dd_store *s, const char *key, redisReply *r, dd_store_hash *out)
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
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING || !r->element[i]->str)
            return dd_s_seterr(s, DD_STORE_ERR_PROTOCOL, "HGETALL %.100s: non-string element",
                               key);
    out->fields = malloc(n * sizeof *out->fields);
    if (!out->fields)
        return dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        redisReply *f = r->element[2 * i], *v = r->element[2 * i + 1];
        out->fields[i].field = f->str;
        out->fields[i].value = v->str;
        out->fields[i].value_len = v->len;
        f->str = NULL;
        v->str = NULL;
    }
    out->n = n;
    qsort(out->fields, out->n, sizeof *out->fields, dd_s_field_cmp);
    return 0;
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
    dd_s_work *w = &s->w;
    if (dd_s_grow((void **)&w->rep, &w->cap_rep, n, sizeof *w->rep))
        return dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
    dd_s_buf *o = &s->req;
    o->len = 0;
    o->oom = 0;
    for (size_t i = 0; i < n; i++) {
        if (!keys[i])
            return dd_s_seterr(s, DD_STORE_ERR_ARG, "NULL key at %zu", i);
        dd_s_buf_hdr(o, '*', 2);
        dd_s_buf_bulk(o, "HGETALL", 7);
        dd_s_buf_bulk(o, keys[i], strlen(keys[i]));
    }
    redisReply **rep = (redisReply **)w->rep;
    if (dd_s_run_raw(s, o, n, rep) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && dd_s_reply_hash(s, keys[i], rep[i], &out[i]) < 0)
            rc = -1;
        freeReplyObject(rep[i]);
    }
    if (rc < 0)
        for (size_t i = 0; i < n; i++)
            dd_store_hash_free(&out[i]);
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

/* Replies of n pairs grouped by key: one HMGET per distinct key (chunks of
 * DD_S_HMGET_MAX fields) instead of one HGET per pair. */
#define DD_S_HMGET_MAX 1000

int dd_store_fetch(dd_store *s, size_t n, const char *const keys[], const char *const fields[],
                   char **values)
{
    for (size_t i = 0; i < n; i++)
        values[i] = NULL;
    if (n == 0) {
        dd_s_ok(s);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (!keys[i] || !fields[i])
            return dd_s_seterr(s, DD_STORE_ERR_ARG, "NULL key or field at %zu", i);
    dd_s_work *w = &s->w;
    size_t maxcmd = n + n / DD_S_HMGET_MAX + 1, hcap = 64;
    while (hcap < 2 * n)
        hcap *= 2;
    if (dd_s_grow((void **)&w->grp, &w->cap_n, n, sizeof *w->grp) ||
        dd_s_grow((void **)&w->idx, &w->cap_n2, n, sizeof *w->idx) ||
        dd_s_grow((void **)&w->gfirst, &w->cap_n3, n, sizeof *w->gfirst) ||
        dd_s_grow((void **)&w->gcnt, &w->cap_n4, n, sizeof *w->gcnt) ||
        dd_s_grow((void **)&w->gpos, &w->cap_n5, n, sizeof *w->gpos) ||
        dd_s_grow((void **)&w->ghash, &w->cap_n6, n, sizeof *w->ghash) ||
        dd_s_grow((void **)&w->cmdoff, &w->cap_cmd, maxcmd, sizeof *w->cmdoff) ||
        dd_s_grow((void **)&w->rep, &w->cap_rep, maxcmd, sizeof *w->rep) ||
        dd_s_grow((void **)&w->htab, &w->cap_htab, hcap, sizeof *w->htab))
        return dd_s_seterr(s, DD_STORE_ERR_OOM, "out of memory");
    /* group the pairs by key (open addressing over the distinct keys) */
    memset(w->htab, 0, hcap * sizeof *w->htab);
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t h = dd_s_mix(dd_s_hash(keys[i], strlen(keys[i]), DD_S_FNV0));
        size_t j = (size_t)h & (hcap - 1), g;
        for (;;) {
            if (!w->htab[j]) {
                g = ng++;
                w->htab[j] = g + 1;
                w->gfirst[g] = i;
                w->gcnt[g] = 0;
                w->ghash[g] = h;
                break;
            }
            g = w->htab[j] - 1;
            if (w->ghash[g] == h &&
                (keys[w->gfirst[g]] == keys[i] || !strcmp(keys[w->gfirst[g]], keys[i])))
                break;
            j = (j + 1) & (hcap - 1);
        }
        w->grp[i] = g;
        w->gcnt[g]++;
    }
    /* pair indices by group, in call order within a group */
    size_t pos = 0;
    for (size_t g = 0; g < ng; g++) {
        w->gpos[g] = pos;
        pos += w->gcnt[g];
    }
    for (size_t i = 0; i < n; i++)
        w->idx[w->gpos[w->grp[i]]++] = i;
    dd_s_buf *o = &s->req;
    o->len = 0;
    o->oom = 0;
    size_t ncmd = 0;
    for (size_t g = 0; g < ng; g++) {
        size_t start = w->gpos[g] - w->gcnt[g];
        const char *key = keys[w->gfirst[g]];
        size_t klen = strlen(key);
        for (size_t c0 = 0; c0 < w->gcnt[g]; c0 += DD_S_HMGET_MAX) {
            size_t m = w->gcnt[g] - c0;
            if (m > DD_S_HMGET_MAX)
                m = DD_S_HMGET_MAX;
            dd_s_buf_hdr(o, '*', m + 2);
            dd_s_buf_bulk(o, "HMGET", 5);
            dd_s_buf_bulk(o, key, klen);
            for (size_t q = 0; q < m; q++) {
                const char *f = fields[w->idx[start + c0 + q]];
                dd_s_buf_bulk(o, f, strlen(f));
            }
            w->cmdoff[ncmd++] = start + c0;
        }
    }
    redisReply **rep = (redisReply **)w->rep;
    if (dd_s_run_raw(s, o, ncmd, rep) < 0)
        return -1;
    int rc = 0;
    for (size_t c = 0; c < ncmd; c++) {
        redisReply *r = rep[c];
        size_t off = w->cmdoff[c];
        const char *key = keys[w->idx[off]];
        size_t g = w->grp[w->idx[off]];
        size_t m = w->gpos[g] - off;
        if (m > DD_S_HMGET_MAX)
            m = DD_S_HMGET_MAX;
        if (rc == 0) {
            if (r->type == REDIS_REPLY_ERROR) {
                rc = dd_s_seterr(s, DD_STORE_ERR_SERVER, "HMGET %.100s: %s", key, r->str);
            } else if (r->type != REDIS_REPLY_ARRAY || r->elements != m) {
                rc = dd_s_seterr(s, DD_STORE_ERR_PROTOCOL, "HMGET %.100s: unexpected reply",
                                 key);
            } else {
                for (size_t q = 0; q < m && rc == 0; q++) {
                    redisReply *e = r->element[q];
                    if (e->type == REDIS_REPLY_STRING) {
                        /* take hiredis's own NUL-terminated malloc'ed copy
                         * instead of copying it again */
                        values[w->idx[off + q]] = e->str;
                        e->str = NULL;
                    } else if (e->type != REDIS_REPLY_NIL) {
                        rc = dd_s_seterr(s, DD_STORE_ERR_PROTOCOL,
                                         "HMGET %.100s: unexpected element type %d", key,
                                         e->type);
                    }
                }
            }
        }
        freeReplyObject(r);
    }
    if (rc < 0)
        dd_store_fetch_free(n, values);
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

int dd_store_key_hospital_owners(char *buf, size_t cap, const char *admdvs)
{
    if (!dd_s_region_ok(admdvs))
        return -1;
    return dd_s_keyfmt(buf, cap, "dd:{%s}:hp", admdvs);
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
