/* dd_config — see dd_config.h. */
#include "dd_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_time.h"

typedef enum { K_STR, K_INT, K_LEVEL, K_HEXKEY, K_FORMAT, K_ONOFF, K_TIME } ktype;

typedef struct {
    const char *key;
    const char *def;
    ktype type;
    int64_t min, max;
} known_key;

/* Every non-kafka key with its default (deploy/drgdip.conf.example mirrors this). */
static const known_key KNOWN[] = {
    {"redis.url", "redis://127.0.0.1:6379", K_STR, 0, 0},
    {"redis.password", "", K_STR, 0, 0},
    {"pseudonym.key", "", K_HEXKEY, 0, 0},
    {"input.topic", "drgdip.settlements", K_STR, 0, 0},
    {"group.id", "drgdip", K_STR, 0, 0},
    {"output.case_results", "drgdip.case-results", K_STR, 0, 0},
    {"output.dlq", "drgdip.dlq", K_STR, 0, 0},
    {"output.alerts", "drgdip.alerts", K_STR, 0, 0},
    {"alerts.enabled", "true", K_STR, 0, 0},
    {"alerts.eval_interval_ms", "500", K_INT, 0, 600000},
    {"output.format", "json", K_FORMAT, 0, 0},
    {"data.dir", "", K_STR, 0, 0},
    {"processor.threads", "1", K_INT, 1, 64},
    {"batch.max_events", "5000", K_INT, 1, 1000000},
    {"batch.max_ms", "20", K_INT, 1, 60000},
    {"batch.idle_ms", "2", K_INT, 0, 60000},
    {"redis.retry_max_ms", "5000", K_INT, 10, 600000},
    {"stats.interval_s", "10", K_INT, 0, 86400},
    {"cache.max_cases", "200000", K_INT, 1000, 100000000},
    {"log.level", "info", K_LEVEL, 0, 0},
    {"output.snapshots", "drgdip.snapshots", K_STR, 0, 0},
    {"month_close.scheduler", "off", K_ONOFF, 0, 0},
    {"month_close.check_s", "60", K_INT, 1, 86400},
    {"month_close.now", "", K_TIME, 0, 0},
};
#define N_KNOWN ((int)(sizeof KNOWN / sizeof KNOWN[0]))

/* The development pseudonym key used when none is configured. */
static const char DEV_KEY[] = "64727364697020646576206b65792121";

typedef struct {
    char *key;
    char *value;
} kv;

struct dd_config {
    char *vals[N_KNOWN];
    kv *kafka;
    int n_kafka, cap_kafka;
};

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static int find_known(const char *key)
{
    for (int i = 0; i < N_KNOWN; i++)
        if (!strcmp(KNOWN[i].key, key))
            return i;
    return -1;
}

dd_config *dd_config_new(void)
{
    dd_config *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (int i = 0; i < N_KNOWN; i++) {
        c->vals[i] = xstrdup(KNOWN[i].def);
        if (!c->vals[i]) {
            dd_config_destroy(c);
            return NULL;
        }
    }
    return c;
}

void dd_config_destroy(dd_config *c)
{
    if (!c)
        return;
    for (int i = 0; i < N_KNOWN; i++)
        free(c->vals[i]);
    for (int i = 0; i < c->n_kafka; i++) {
        free(c->kafka[i].key);
        free(c->kafka[i].value);
    }
    free(c->kafka);
    free(c);
}

static int parse_i64(const char *s, int64_t *out)
{
    if (!*s)
        return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static int level_of(const char *s)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

int dd_config_set(dd_config *c, const char *key, const char *value, char *errstr, size_t errlen)
{
    if (!strncmp(key, "kafka.", 6)) {
        const char *prop = key + 6;
        if (!*prop) {
            snprintf(errstr, errlen, "empty kafka property name");
            return -1;
        }
        for (int i = 0; i < c->n_kafka; i++) {
            if (!strcmp(c->kafka[i].key, prop)) {
                char *v = xstrdup(value);
                if (!v)
                    goto oom;
                free(c->kafka[i].value);
                c->kafka[i].value = v;
                return 0;
            }
        }
        if (c->n_kafka == c->cap_kafka) {
            int nc = c->cap_kafka ? c->cap_kafka * 2 : 16;
            kv *n = realloc(c->kafka, (size_t)nc * sizeof *n);
            if (!n)
                goto oom;
            c->kafka = n;
            c->cap_kafka = nc;
        }
        char *k = xstrdup(prop), *v = xstrdup(value);
        if (!k || !v) {
            free(k);
            free(v);
            goto oom;
        }
        c->kafka[c->n_kafka].key = k;
        c->kafka[c->n_kafka].value = v;
        c->n_kafka++;
        return 0;
    }
    int i = find_known(key);
    if (i < 0) {
        snprintf(errstr, errlen, "unknown key '%s'", key);
        return -1;
    }
    switch (KNOWN[i].type) {
    case K_INT: {
        int64_t v;
        if (parse_i64(value, &v) || v < KNOWN[i].min || v > KNOWN[i].max) {
            snprintf(errstr, errlen, "%s: must be an integer %lld..%lld", key,
                     (long long)KNOWN[i].min, (long long)KNOWN[i].max);
            return -1;
        }
        break;
    }
    case K_LEVEL:
        if (level_of(value) < 0) {
            snprintf(errstr, errlen, "%s: must be error, warn, info or debug", key);
            return -1;
        }
        break;
    case K_HEXKEY:
        if (*value) {
            int ok = strlen(value) == 32;
            for (const char *p = value; ok && *p; p++)
                ok = hexval((unsigned char)*p) >= 0;
            if (!ok) {
                snprintf(errstr, errlen, "%s: must be 32 hexadecimal digits", key);
                return -1;
            }
        }
        break;
    case K_FORMAT:
        if (strcmp(value, "json") != 0 && strcmp(value, "avro") != 0) {
            snprintf(errstr, errlen, "%s: must be json or avro", key);
            return -1;
        }
        break;
    case K_ONOFF:
        if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
            snprintf(errstr, errlen, "%s: must be on or off", key);
            return -1;
        }
        break;
    case K_TIME: {
        int64_t ms;
        if (*value && dd_time_parse_iso_ms(value, strlen(value), &ms)) {
            snprintf(errstr, errlen, "%s: must be ISO-8601 with a UTC offset", key);
            return -1;
        }
        break;
    }
    case K_STR:
        break;
    }
    char *v = xstrdup(value);
    if (!v)
        goto oom;
    free(c->vals[i]);
    c->vals[i] = v;
    return 0;
oom:
    snprintf(errstr, errlen, "out of memory");
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

int dd_config_load_file(dd_config *c, const char *path, char *errstr, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errstr, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            snprintf(errstr, errlen, "%s line %d: line too long", path, lineno);
            rc = -1;
            break;
        }
        char *s = trim(line);
        if (lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
            s += 3;
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(errstr, errlen, "%s line %d: expected 'key = value'", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        if (!*key) {
            snprintf(errstr, errlen, "%s line %d: empty key", path, lineno);
            rc = -1;
            break;
        }
        char e[256];
        if (dd_config_set(c, key, val, e, sizeof e)) {
            snprintf(errstr, errlen, "%s line %d: %s", path, lineno, e);
            rc = -1;
            break;
        }
    }
    if (!rc && ferror(f)) {
        snprintf(errstr, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

/* "DRGDIP_" names that belong to scripts and tests, not to the config. */
static const char *const ENV_IGNORED[] = {"DRGDIP_BIN", "DRGDIP_DATA", "DRGDIP_CONFIG",
                                          "DRGDIP_BROKERS", NULL};

int dd_config_apply_env(dd_config *c, char **envp, char *errstr, size_t errlen)
{
    if (!envp)
        return 0;
    for (char **e = envp; *e; e++) {
        if (strncmp(*e, "DRGDIP_", 7) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        size_t nlen = (size_t)(eq - *e);
        char name[256];
        if (nlen >= sizeof name)
            continue;
        memcpy(name, *e, nlen);
        name[nlen] = '\0';
        int ignored = 0;
        for (int i = 0; ENV_IGNORED[i]; i++)
            ignored |= !strcmp(name, ENV_IGNORED[i]);
        if (ignored)
            continue;
        const char *rest = name + 7;
        char key[256];
        if (!strncmp(rest, "KAFKA_", 6)) {
            /* librdkafka properties use '.' only: lower-case, '_' -> '.' */
            size_t k = 0;
            memcpy(key, "kafka.", 6);
            k = 6;
            for (const char *p = rest + 6; *p && k + 1 < sizeof key; p++)
                key[k++] = *p == '_' ? '.' : (char)tolower((unsigned char)*p);
            key[k] = '\0';
        } else {
            int found = -1;
            for (int i = 0; i < N_KNOWN && found < 0; i++) {
                char up[64];
                size_t k = 0;
                for (const char *p = KNOWN[i].key; *p && k + 1 < sizeof up; p++)
                    up[k++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
                up[k] = '\0';
                if (!strcmp(up, rest))
                    found = i;
            }
            if (found < 0) {
                snprintf(errstr, errlen, "environment: unknown variable %s", name);
                return -1;
            }
            snprintf(key, sizeof key, "%s", KNOWN[found].key);
        }
        char err[256];
        if (dd_config_set(c, key, eq + 1, err, sizeof err)) {
            snprintf(errstr, errlen, "environment %s: %s", name, err);
            return -1;
        }
    }
    return 0;
}

const char *dd_config_get(const dd_config *c, const char *key)
{
    if (!strncmp(key, "kafka.", 6)) {
        for (int i = 0; i < c->n_kafka; i++)
            if (!strcmp(c->kafka[i].key, key + 6))
                return c->kafka[i].value;
        return NULL;
    }
    int i = find_known(key);
    return i < 0 ? NULL : c->vals[i];
}

int64_t dd_config_get_int(const dd_config *c, const char *key)
{
    const char *v = dd_config_get(c, key);
    int64_t out = 0;
    if (!v || parse_i64(v, &out))
        return 0;
    return out;
}

int dd_config_kafka_count(const dd_config *c)
{
    return c->n_kafka;
}

void dd_config_kafka_at(const dd_config *c, int i, const char **prop, const char **value)
{
    *prop = c->kafka[i].key;
    *value = c->kafka[i].value;
}

int dd_config_pseudonym_key(const dd_config *c, uint8_t key[16])
{
    const char *hex = dd_config_get(c, "pseudonym.key");
    int dev = !hex || !*hex;
    if (dev)
        hex = DEV_KEY;
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)(hexval((unsigned char)hex[2 * i]) * 16 +
                           hexval((unsigned char)hex[2 * i + 1]));
    return dev;
}

int dd_config_log_level(const dd_config *c)
{
    int l = level_of(dd_config_get(c, "log.level"));
    return l < 0 ? 2 : l;
}
