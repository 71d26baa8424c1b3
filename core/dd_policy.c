/*
 * dd_policy — parse policy/<admdvs>.conf (contract in dd_policy.h).
 *
 * Strict by design: a policy decides money, so a typo must stop the load
 * rather than silently fall back to a default. Every key may appear once;
 * cross-key checks (low < high ratio, complete bed-day rules) run after the
 * last line and name the line that completed the conflict.
 */
#include "dd_policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dd_num.h"

#define E6 1000000LL

/* Keys that take a single value; the index is used to detect duplicates. */
enum {
    K_SCHEME,
    K_POINTS_SCALE,
    K_COEF_COMBINE,
    K_BASE1,
    K_BASE2,
    K_BASE3,
    K_HIGH,
    K_EXCESS,
    K_LOW,
    K_BASELINE,
    K_UNGROUPABLE,
    K_INELIGIBLE,
    K_RETENTION,
    K_LATE_DAYS,
    K_LATE_EXCLUDED,
    K_QUOTA,
    K_SHARING_RATE,
    K_SHARING_BAND,
    K_BASIC_SAME_PAY,
    K_PLANNED_PV,
    K_CLOSE_DAY,
    K__COUNT
};

static const char *const key_names[K__COUNT] = {
    "scheme",
    "points_scale",
    "coef_combine",
    "drg.base_rate.level1",
    "drg.base_rate.level2",
    "drg.base_rate.level3",
    "outlier.high_ratio",
    "outlier.high_excess_ratio",
    "outlier.low_ratio",
    "baseline_avg_cost",
    "ungroupable",
    "ineligible",
    "retention_rate",
    "late_list_days",
    "late_list_excluded",
    "special_case.quota",
    "sharing.rate",
    "sharing.band",
    "basic_same_pay",
    "planned_point_value",
    "month_close.day",
};

/* Upper bound for money keys: 100,000,000.00 yuan, the SPEC §11 amount cap. */
#define MAX_MONEY_FEN 10000000000LL

typedef struct {
    int line;
    char *err;
    size_t errlen;
} perr;

static int fail(perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(perr *e, const char *fmt, ...)
{
    if (e->err && e->errlen) {
        int n = snprintf(e->err, e->errlen, "line %d: ", e->line);
        if (n >= 0 && (size_t)n < e->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(e->err + n, e->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

void dd_policy_defaults(dd_policy *p, dd_scheme scheme)
{
    memset(p, 0, sizeof *p);
    p->scheme = scheme;
    p->scheme_set = 0;
    p->points_scale = 10000;
    p->coef_combine = DD_COEF_MULTIPLY;
    p->high_ratio_e6 = 2 * E6;
    p->high_excess_ratio_e6 = 1 * E6;
    p->low_ratio_e6 = scheme == DD_SCHEME_DIP ? 500000 : 350000;
    p->baseline_avg_cost_fen = 0;
    p->n_bedday = 0;
    p->ungroupable = DD_UNGROUPABLE_FFS;
    p->ineligible = DD_INELIGIBLE_HOLD;
    p->retention_rate_e6 = 50000;
    p->late_list_days = 7;
    p->late_list_excluded = 1;
    p->special_case_quota_e6 = 30000;
    p->sharing_rate_e6 = 600000;
    p->sharing_band_e6 = 100000;
    p->basic_same_pay = 1;
    p->planned_point_value_e6 = 0;
    p->n_alert = 0;
    p->month_close_day = 10;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int str_eq(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    return n == m && memcmp(s, lit, n) == 0;
}

static int parse_bool(perr *e, const char *k, const char *v, size_t n, int *out)
{
    if (str_eq(v, n, "true")) {
        *out = 1;
        return 0;
    }
    if (str_eq(v, n, "false")) {
        *out = 0;
        return 0;
    }
    return fail(e, "%s: expected true or false, got '%.*s'", k, (int)n, v);
}

/* Money in yuan with up to 2 decimals, > 0. */
static int parse_money(perr *e, const char *k, const char *v, size_t n, int64_t *out)
{
    int64_t x;
    if (dd_dec_parse(v, n, 2, DD_SCALE_FEN, &x))
        return fail(e, "%s: expected an amount like 9080.56, got '%.*s'", k, (int)n, v);
    if (x <= 0)
        return fail(e, "%s: must be greater than 0", k);
    if (x > MAX_MONEY_FEN)
        return fail(e, "%s: more than 100000000.00", k);
    *out = x;
    return 0;
}

/* Ratio with up to 6 decimals, in [lo, hi] (1/1000000); lo_open excludes lo. */
static int parse_ratio(perr *e, const char *k, const char *v, size_t n, int64_t lo, int lo_open,
                       int64_t hi, int64_t *out)
{
    int64_t x;
    if (dd_dec_parse(v, n, 6, DD_SCALE_RATIO, &x))
        return fail(e, "%s: expected a decimal with at most 6 decimals, got '%.*s'", k, (int)n, v);
    if (lo_open ? x <= lo : x < lo) {
        char b[32];
        dd_dec_format(b, sizeof b, lo, DD_SCALE_RATIO);
        return fail(e, "%s: must be %s %s", k, lo_open ? "greater than" : "at least", b);
    }
    if (x > hi) {
        char b[32];
        dd_dec_format(b, sizeof b, hi, DD_SCALE_RATIO);
        return fail(e, "%s: must be at most %s", k, b);
    }
    *out = x;
    return 0;
}

static int parse_int(perr *e, const char *k, const char *v, size_t n, int64_t lo, int64_t hi,
                     int64_t *out)
{
    int64_t x;
    if (dd_dec_parse(v, n, 0, 0, &x))
        return fail(e, "%s: expected a whole number, got '%.*s'", k, (int)n, v);
    if (x < lo || x > hi)
        return fail(e, "%s: must be between %lld and %lld", k, (long long)lo, (long long)hi);
    *out = x;
    return 0;
}

static int valid_group_name(const char *g, size_t n)
{
    if (n == 0 || n >= sizeof(((dd_bedday_rule *)0)->group))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = g[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Per bed-day group: which of its two keys were seen, and where first. */
typedef struct {
    int has_std, has_ratio, first_line;
} bedday_seen;

static dd_bedday_rule *bedday_get(dd_policy *p, bedday_seen *seen, const char *g, size_t n,
                                  int line)
{
    for (int i = 0; i < p->n_bedday; i++)
        if (strlen(p->bedday[i].group) == n && memcmp(p->bedday[i].group, g, n) == 0)
            return &p->bedday[i];
    if (p->n_bedday >= DD_POLICY_MAX_BEDDAY)
        return NULL;
    dd_bedday_rule *r = &p->bedday[p->n_bedday];
    memset(r, 0, sizeof *r);
    memcpy(r->group, g, n);
    r->group[n] = '\0';
    seen[p->n_bedday].has_std = 0;
    seen[p->n_bedday].has_ratio = 0;
    seen[p->n_bedday].first_line = line;
    p->n_bedday++;
    return r;
}

static int set_key(dd_policy *p, perr *e, int *seen_line, bedday_seen *bseen, const char *k,
                   size_t kn, const char *v, size_t vn)
{
    char key[80];
    if (kn >= sizeof key)
        return fail(e, "unknown key '%.*s'", (int)kn, k);
    memcpy(key, k, kn);
    key[kn] = '\0';

    if (kn > 6 && memcmp(k, "alert.", 6) == 0) {
        if (kn >= sizeof p->alert[0].key)
            return fail(e, "%s: key longer than %zu characters", key, sizeof p->alert[0].key - 1);
        if (vn >= sizeof p->alert[0].value)
            return fail(e, "%s: value longer than %zu characters", key,
                        sizeof p->alert[0].value - 1);
        if (dd_policy_alert(p, key))
            return fail(e, "%s: set twice", key);
        if (p->n_alert >= DD_POLICY_MAX_ALERT_KEYS)
            return fail(e, "%s: more than %d alert keys", key, DD_POLICY_MAX_ALERT_KEYS);
        dd_policy_kv *kv = &p->alert[p->n_alert++];
        memcpy(kv->key, k, kn);
        kv->key[kn] = '\0';
        memcpy(kv->value, v, vn);
        kv->value[vn] = '\0';
        return 0;
    }

    if (kn > 7 && memcmp(k, "bedday.", 7) == 0) {
        const char *g = k + 7;
        const char *dot = memchr(g, '.', kn - 7);
        if (!dot)
            return fail(e, "unknown key '%s'", key);
        size_t gn = (size_t)(dot - g);
        const char *attr = dot + 1;
        size_t an = kn - 7 - gn - 1;
        int is_std = str_eq(attr, an, "daily_fund_standard");
        int is_ratio = str_eq(attr, an, "reimb_ratio");
        if (!is_std && !is_ratio)
            return fail(e, "unknown key '%s'", key);
        if (!valid_group_name(g, gn))
            return fail(e, "%s: bad bed-day group name", key);
        int64_t x;
        if (is_std ? parse_money(e, key, v, vn, &x)
                   : parse_ratio(e, key, v, vn, 0, 1, 1 * E6, &x))
            return -1;
        dd_bedday_rule *r = bedday_get(p, bseen, g, gn, e->line);
        if (!r)
            return fail(e, "%s: more than %d bed-day groups", key, DD_POLICY_MAX_BEDDAY);
        bedday_seen *s = &bseen[r - p->bedday];
        if (is_std) {
            if (s->has_std)
                return fail(e, "%s: set twice", key);
            s->has_std = 1;
            r->daily_fund_standard_fen = x;
        } else {
            if (s->has_ratio)
                return fail(e, "%s: set twice", key);
            s->has_ratio = 1;
            r->reimb_ratio_e6 = x;
        }
        return 0;
    }

    int id = -1;
    for (int i = 0; i < K__COUNT; i++)
        if (str_eq(k, kn, key_names[i])) {
            id = i;
            break;
        }
    if (id < 0)
        return fail(e, "unknown key '%s'", key);
    if (seen_line[id])
        return fail(e, "%s: set twice (first on line %d)", key, seen_line[id]);
    seen_line[id] = e->line;

    int64_t x = 0;
    int b = 0;
    switch (id) {
    case K_SCHEME: {
        dd_scheme s;
        if (str_eq(v, vn, "DRG"))
            s = DD_SCHEME_DRG;
        else if (str_eq(v, vn, "DIP"))
            s = DD_SCHEME_DIP;
        else
            return fail(e, "scheme: expected DRG or DIP, got '%.*s'", (int)vn, v);
        if (s != p->scheme)
            return fail(e, "scheme: %.*s does not match the region's scheme %s", (int)vn, v,
                        p->scheme == DD_SCHEME_DRG ? "DRG" : "DIP");
        p->scheme_set = 1;
        return 0;
    }
    case K_POINTS_SCALE:
        if (parse_int(e, key, v, vn, 1, 1000000, &x))
            return -1;
        p->points_scale = x;
        return 0;
    case K_COEF_COMBINE:
        if (str_eq(v, vn, "multiply"))
            p->coef_combine = DD_COEF_MULTIPLY;
        else if (str_eq(v, vn, "add"))
            p->coef_combine = DD_COEF_ADD;
        else
            return fail(e, "coef_combine: expected multiply or add, got '%.*s'", (int)vn, v);
        return 0;
    case K_BASE1:
    case K_BASE2:
    case K_BASE3:
        if (parse_money(e, key, v, vn, &x))
            return -1;
        p->base_rate_fen[id - K_BASE1 + 1] = x;
        return 0;
    case K_HIGH:
        if (parse_ratio(e, key, v, vn, 0, 1, 1000 * E6, &x))
            return -1;
        p->high_ratio_e6 = x;
        return 0;
    case K_EXCESS:
        if (parse_ratio(e, key, v, vn, 0, 1, 1000 * E6, &x))
            return -1;
        p->high_excess_ratio_e6 = x;
        return 0;
    case K_LOW:
        if (parse_ratio(e, key, v, vn, 0, 1, 1000 * E6, &x))
            return -1;
        p->low_ratio_e6 = x;
        return 0;
    case K_BASELINE:
        if (parse_money(e, key, v, vn, &x))
            return -1;
        p->baseline_avg_cost_fen = x;
        return 0;
    case K_UNGROUPABLE:
        if (str_eq(v, vn, "ffs"))
            p->ungroupable = DD_UNGROUPABLE_FFS;
        else if (str_eq(v, vn, "lowest_weight"))
            p->ungroupable = DD_UNGROUPABLE_LOWEST_WEIGHT;
        else if (str_eq(v, vn, "zero"))
            p->ungroupable = DD_UNGROUPABLE_ZERO;
        else
            return fail(e, "ungroupable: expected ffs, lowest_weight or zero, got '%.*s'",
                        (int)vn, v);
        return 0;
    case K_INELIGIBLE:
        if (str_eq(v, vn, "hold"))
            p->ineligible = DD_INELIGIBLE_HOLD;
        else if (str_eq(v, vn, "lowest_weight"))
            p->ineligible = DD_INELIGIBLE_LOWEST_WEIGHT;
        else
            return fail(e, "ineligible: expected hold or lowest_weight, got '%.*s'", (int)vn, v);
        return 0;
    case K_RETENTION:
        if (dd_dec_parse(v, vn, 6, DD_SCALE_RATIO, &x))
            return fail(e, "retention_rate: expected a decimal like 0.05, got '%.*s'", (int)vn, v);
        if (x < 30000 || x > 100000)
            return fail(e, "retention_rate: must be between 0.03 and 0.10");
        p->retention_rate_e6 = x;
        return 0;
    case K_LATE_DAYS:
        if (parse_int(e, key, v, vn, 0, 3660, &x))
            return -1;
        p->late_list_days = (int)x;
        return 0;
    case K_CLOSE_DAY:
        if (parse_int(e, key, v, vn, 1, 28, &x))
            return -1;
        p->month_close_day = (int)x;
        return 0;
    case K_LATE_EXCLUDED:
        if (parse_bool(e, key, v, vn, &b))
            return -1;
        p->late_list_excluded = b;
        return 0;
    case K_QUOTA:
        if (parse_ratio(e, key, v, vn, 0, 0, 1 * E6, &x))
            return -1;
        p->special_case_quota_e6 = x;
        return 0;
    case K_SHARING_RATE:
        if (parse_ratio(e, key, v, vn, 0, 0, 1 * E6, &x))
            return -1;
        p->sharing_rate_e6 = x;
        return 0;
    case K_SHARING_BAND:
        if (parse_ratio(e, key, v, vn, 0, 0, 1 * E6, &x))
            return -1;
        p->sharing_band_e6 = x;
        return 0;
    case K_BASIC_SAME_PAY:
        if (parse_bool(e, key, v, vn, &b))
            return -1;
        p->basic_same_pay = b;
        return 0;
    case K_PLANNED_PV:
        if (parse_ratio(e, key, v, vn, 0, 1, 1000000 * E6, &x))
            return -1;
        p->planned_point_value_e6 = x;
        return 0;
    default:
        return fail(e, "unknown key '%s'", key);
    }
}

int dd_policy_parse(dd_policy *p, dd_scheme scheme, const char *text, size_t len, char *errstr,
                    size_t errlen)
{
    perr e = {0, errstr, errlen};
    int seen_line[K__COUNT] = {0};
    bedday_seen bseen[DD_POLICY_MAX_BEDDAY];
    memset(bseen, 0, sizeof bseen);
    if (errstr && errlen)
        errstr[0] = '\0';
    dd_policy_defaults(p, scheme);
    if (!text && len)
        return fail(&e, "no text");

    size_t i = 0;
    /* A UTF-8 byte order mark is tolerated (files edited on Windows). */
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
        i = 3;
    while (i < len) {
        e.line++;
        size_t s = i;
        while (i < len && text[i] != '\n')
            i++;
        size_t end = i;
        if (i < len)
            i++; /* skip '\n' */
        while (s < end && is_space(text[s]))
            s++;
        while (end > s && is_space(text[end - 1]))
            end--;
        if (s == end || text[s] == '#')
            continue;
        const char *eq = memchr(text + s, '=', end - s);
        if (!eq)
            return fail(&e, "expected 'key = value'");
        if (memchr(text + s, '\0', end - s))
            return fail(&e, "NUL byte");
        size_t ks = s, ke = (size_t)(eq - text);
        while (ke > ks && is_space(text[ke - 1]))
            ke--;
        size_t vs = (size_t)(eq - text) + 1;
        while (vs < end && is_space(text[vs]))
            vs++;
        if (ke == ks)
            return fail(&e, "missing key before '='");
        if (vs == end)
            return fail(&e, "%.*s: missing value", (int)(ke - ks), text + ks);
        if (set_key(p, &e, seen_line, bseen, text + ks, ke - ks, text + vs, end - vs))
            return -1;
    }

    /* Cross-key checks. */
    if (p->low_ratio_e6 >= p->high_ratio_e6) {
        e.line = seen_line[K_LOW] > seen_line[K_HIGH] ? seen_line[K_LOW] : seen_line[K_HIGH];
        return fail(&e, "outlier.low_ratio must be below outlier.high_ratio");
    }
    for (int b = 0; b < p->n_bedday; b++) {
        if (!bseen[b].has_std || !bseen[b].has_ratio) {
            e.line = bseen[b].first_line;
            return fail(&e, "bedday.%s: needs both daily_fund_standard and reimb_ratio",
                        p->bedday[b].group);
        }
    }
    return 0;
}

const dd_bedday_rule *dd_policy_bedday(const dd_policy *p, const char *group)
{
    if (!p || !group)
        return NULL;
    for (int i = 0; i < p->n_bedday; i++)
        if (strcmp(p->bedday[i].group, group) == 0)
            return &p->bedday[i];
    return NULL;
}

const char *dd_policy_alert(const dd_policy *p, const char *key)
{
    if (!p || !key)
        return NULL;
    for (int i = 0; i < p->n_alert; i++)
        if (strcmp(p->alert[i].key, key) == 0)
            return p->alert[i].value;
    return NULL;
}
