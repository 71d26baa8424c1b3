/*
 * drgdip alerts --follow — a live, readable view of the drgdip.alerts topic
 * for on-call staff: one line per alert (time, severity, type, region,
 * hospital or insurance type, period, value vs threshold, explanation),
 * coloured by severity on a terminal.
 *
 * A plain librdkafka consumer with no consumer group: it assigns every
 * partition of the topic itself and starts at the end (or the beginning with
 * --from-beginning), and never commits, so watching alerts never moves the
 * offsets of anybody else. SIGINT / SIGTERM stop it (exit 0).
 *
 * Records are the JSON of core/dd_alert.h (dd_alert_to_json): alert_id,
 * occurrence, type, severity, admdvs, fixmedins_code | insutype, period,
 * metric, value, threshold, explanation {zh, en}; the flat spellings
 * explanation_zh / explanation_en (and message_zh / message_en) are read too.
 * A record that is not such JSON is reported on stderr with its partition and
 * offset and skipped: one bad record never stops the view.
 */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dd_cmd.h"
#include "dd_json.h"
#include "dd_num.h"
#include "dd_time.h"

#define DD_ALERTS_TOPIC "drgdip.alerts"
#define DD_ALERTS_MAX_REGIONS 32

/* Set by the signal handler only (a handler can reach nothing else). */
static volatile sig_atomic_t dd_alerts_stop;

static void dd_alerts_on_signal(int sig)
{
    (void)sig;
    dd_alerts_stop = 1;
}

static void dd_alerts_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip alerts --follow [--brokers HOST:PORT[,...]] [--region ADMDVS]...\n"
            "                     [--from-beginning] [--topic T] [--lang zh|en]\n"
            "                     [--color auto|always|never] [--json] [--max N]\n"
            "                     [--wait S]\n\n"
            "Follows the alerts topic (SPEC section 8) and prints one line per alert:\n"
            "  TIME  SEVERITY  TYPE  REGION  HOSPITAL|insutype  PERIOD  metric VALUE >|<|= THRESHOLD\n"
            "        [#occurrence]  explanation\n"
            "TIME is the Kafka timestamp of the record in Asia/Shanghai time. Colours by\n"
            "severity (CRITICAL red, WARN yellow) when stdout is a terminal and NO_COLOR is\n"
            "not set. No consumer group, no offset commit: it never disturbs other readers.\n"
            "Ctrl-C (SIGINT) or SIGTERM stops it.\n\n"
            "  --follow          required: keep reading new alerts as they arrive\n"
            "  --brokers B       bootstrap servers (default $DRGDIP_BROKERS, else\n"
            "                    localhost:9092)\n"
            "  --region ADMDVS   only this pooling region's alerts (repeatable)\n"
            "  --from-beginning  start at the oldest record kept, not at the end\n"
            "  --topic T         default " DD_ALERTS_TOPIC "\n"
            "  --lang zh|en      explanation language (default: zh when $LANG starts\n"
            "                    with zh, else en)\n"
            "  --color WHEN      auto (default), always or never\n"
            "  --json            print the records themselves (one JSON line each, after\n"
            "                    the region filter) instead of the readable lines\n"
            "  --max N           exit after N alerts (for scripts and tests)\n"
            "  --wait S          exit after S seconds even if --max is not reached (a note\n"
            "                    on stderr says how many were shown)\n\n"
            "Unreadable records get one stderr line 'partition P offset O: reason' and\n"
            "are skipped. Exit: 0 stopped by a signal, --max or --wait, 1 Kafka error,\n"
            "2 usage error.\n");
}

typedef struct {
    const char *regions[DD_ALERTS_MAX_REGIONS];
    int n_regions;
    int color;
    int json;
    int zh;
    long max;
    long shown;
    long wait_s; /* 0: no limit */
    dd_json_doc *doc;
} dd_alerts_view;

/* String member or "" (numbers give their text too: insutype 310). */
static const char *dd_alerts_str(const dd_json_value *o, const char *key)
{
    const dd_json_value *v = dd_json_get(o, key);
    if (v && (v->type == DD_JSON_STRING || v->type == DD_JSON_NUMBER))
        return v->str;
    return "";
}

static int dd_alerts_region_ok(const dd_alerts_view *vw, const char *admdvs)
{
    if (!vw->n_regions)
        return 1;
    for (int i = 0; i < vw->n_regions; i++)
        if (!strcmp(vw->regions[i], admdvs))
            return 1;
    return 0;
}

/* ">", "<" or "=" between two decimal strings, exactly; "vs" when either is
 * not a plain decimal (at most 6 decimals). */
static const char *dd_alerts_relation(const char *a, const char *b)
{
    int64_t x, y;
    if (!*a || !*b || dd_dec_parse_signed(a, strlen(a), 6, 6, &x) ||
        dd_dec_parse_signed(b, strlen(b), 6, 6, &y))
        return "vs";
    return x > y ? ">" : x < y ? "<" : "=";
}

/* Copy s replacing control characters (a record must not drive the
 * terminal: no escape sequences from the wire), then pad with spaces to
 * `width` bytes (0: no padding). */
static void dd_alerts_put_clean(const char *s, FILE *out)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        fputc(c < 0x20 || c == 0x7f ? ' ' : c, out);
    }
}

static void dd_alerts_put_col(const char *s, int width, FILE *out)
{
    dd_alerts_put_clean(s, out);
    for (int n = (int)strlen(s); n < width; n++)
        fputc(' ', out);
}

static void dd_alerts_print(dd_alerts_view *vw, const rd_kafka_message_t *m,
                            const dd_json_value *o)
{
    const char *sev = dd_alerts_str(o, "severity");
    const char *col = "", *off = "";
    if (vw->color) {
        off = "\033[0m";
        if (!strcmp(sev, "CRITICAL"))
            col = "\033[1;31m";
        else if (!strcmp(sev, "WARN") || !strcmp(sev, "WARNING"))
            col = "\033[33m";
        else
            col = "\033[36m";
    }
    char when[40] = "-";
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    if (ts >= 0 && tt != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
        char iso[40];
        dd_time_format_iso(ts - ts % 1000, iso, sizeof iso);
        /* "2025-03-04T10:22:31+08:00" -> "2025-03-04 10:22:31" */
        if (strlen(iso) >= 19) {
            memcpy(when, iso, 19);
            when[10] = ' ';
            when[19] = '\0';
        }
    }
    const char *hosp = dd_alerts_str(o, "fixmedins_code");
    const char *ins = dd_alerts_str(o, "insutype");
    char scope[48];
    if (*hosp)
        snprintf(scope, sizeof scope, "%s", hosp);
    else if (*ins)
        snprintf(scope, sizeof scope, "insutype %s", ins);
    else
        snprintf(scope, sizeof scope, "-");
    const char *value = dd_alerts_str(o, "value"), *thr = dd_alerts_str(o, "threshold");
    const dd_json_value *ex = dd_json_get(o, "explanation");
    const char *lang = vw->zh ? "zh" : "en";
    const char *text = ex ? dd_alerts_str(ex, lang) : "";
    char flat[32];
    if (!*text) {
        snprintf(flat, sizeof flat, "explanation_%s", lang);
        text = dd_alerts_str(o, flat);
    }
    if (!*text) {
        snprintf(flat, sizeof flat, "message_%s", lang);
        text = dd_alerts_str(o, flat);
    }
    if (!*text && ex) /* the other language rather than nothing */
        text = dd_alerts_str(ex, vw->zh ? "en" : "zh");
    const char *metric = dd_alerts_str(o, "metric");
    const dd_json_value *occ = dd_json_get(o, "occurrence");
    int64_t n_occ = 0;
    if (occ)
        dd_json_int(occ, &n_occ);

    FILE *out = stdout;
    fprintf(out, "%s  %s", when, col);
    fprintf(out, "%-8s", *sev ? sev : "?");
    fprintf(out, "%s  ", off);
    /* fixed columns: the longest type (LOW_STANDARD_ADMISSION), a hospital
     * code or "insutype 310", a day */
    dd_alerts_put_col(dd_alerts_str(o, "type"), 22, out);
    fputs("  ", out);
    dd_alerts_put_col(dd_alerts_str(o, "admdvs"), 6, out);
    fputs("  ", out);
    dd_alerts_put_col(scope, 12, out);
    fputs("  ", out);
    dd_alerts_put_col(dd_alerts_str(o, "period"), 10, out);
    fputs("  ", out);
    if (*metric) {
        dd_alerts_put_clean(metric, out);
        fputc(' ', out);
    }
    dd_alerts_put_clean(*value ? value : "?", out);
    fprintf(out, " %s ", dd_alerts_relation(value, thr));
    dd_alerts_put_clean(*thr ? thr : "?", out);
    if (n_occ > 1)
        fprintf(out, "  #%lld", (long long)n_occ);
    if (*text) {
        fputs("  ", out);
        dd_alerts_put_clean(text, out);
    }
    fputc('\n', out);
    fflush(out);
}

/* One record: print it, or say on stderr why not. */
static void dd_alerts_handle(dd_alerts_view *vw, const rd_kafka_message_t *m)
{
    const char *p = m->payload;
    size_t n = m->len;
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    const dd_json_value *o = p && n ? dd_json_parse(vw->doc, p, n) : NULL;
    const char *why = NULL;
    if (!p || !n)
        why = "empty record";
    else if (!o)
        why = dd_json_error(vw->doc);
    else if (o->type != DD_JSON_OBJECT)
        why = "not a JSON object";
    else if (!*dd_alerts_str(o, "type") || !*dd_alerts_str(o, "admdvs"))
        why = "no type or admdvs: not an alert record";
    if (why) {
        fprintf(stderr, "drgdip alerts: partition %d offset %lld: %s (skipped)\n",
                (int)m->partition, (long long)m->offset, why);
        return;
    }
    if (!dd_alerts_region_ok(vw, dd_alerts_str(o, "admdvs")))
        return;
    if (vw->json) {
        fwrite(p, 1, n, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    } else {
        dd_alerts_print(vw, m, o);
    }
    vw->shown++;
}

/* Partition count of the topic, 0 while it does not exist, -1 on error. */
static int dd_alerts_partitions(rd_kafka_t *rk, const char *topic, char *err, size_t errlen)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    if (!t) {
        snprintf(err, errlen, "topic handle: %s", rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, 2000);
    rd_kafka_topic_destroy(t);
    if (e) {
        snprintf(err, errlen, "metadata: %s", rd_kafka_err2str(e));
        return -1;
    }
    int n = 0;
    if (md->topic_cnt == 1 && !md->topics[0].err)
        n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return n;
}

static int dd_alerts_follow(dd_alerts_view *vw, const char *brokers, const char *topic,
                            int from_beginning)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* A viewer, not a member of any group: nothing is committed or stored. */
    const char *kv[][2] = {
        {"bootstrap.servers", brokers},
        {"group.id", "drgdip-alerts-viewer"}, /* required by the API; never joined */
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "false"},
        {"client.id", "drgdip-alerts"},
        {"log_level", "3"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], err, sizeof err) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "drgdip alerts: %s\n", err);
            rd_kafka_conf_destroy(conf);
            return 1;
        }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "drgdip alerts: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    int rc = 0, n_parts = 0, waited = 0;
    /* The topic may not exist yet (a fresh cluster): wait for it. */
    while (!dd_alerts_stop) {
        n_parts = dd_alerts_partitions(rk, topic, err, sizeof err);
        if (n_parts > 0)
            break;
        if (waited++ % 10 == 0)
            fprintf(stderr, "drgdip alerts: waiting for topic %s on %s%s%s\n", topic, brokers,
                    n_parts < 0 ? ": " : "", n_parts < 0 ? err : "");
        for (int i = 0; i < 10 && !dd_alerts_stop; i++) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (n_parts > 0) {
        rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new(n_parts);
        for (int i = 0; i < n_parts; i++)
            rd_kafka_topic_partition_list_add(pl, topic, i)->offset =
                from_beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
        rd_kafka_resp_err_t e = rd_kafka_assign(rk, pl);
        rd_kafka_topic_partition_list_destroy(pl);
        if (e) {
            fprintf(stderr, "drgdip alerts: assign: %s\n", rd_kafka_err2str(e));
            rc = 1;
        } else {
            fprintf(stderr, "drgdip alerts: following %s (%d partitions) on %s from the %s\n",
                    topic, n_parts, brokers, from_beginning ? "beginning" : "end");
        }
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!rc && n_parts > 0 && !dd_alerts_stop && (vw->max <= 0 || vw->shown < vw->max)) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (vw->wait_s > 0 && t.tv_sec - t0.tv_sec >= vw->wait_s) {
            fprintf(stderr, "drgdip alerts: --wait %ld s reached (%ld alerts shown)\n",
                    vw->wait_s, vw->shown);
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "drgdip alerts: %s\n", rd_kafka_message_errstr(m));
        } else {
            dd_alerts_handle(vw, m);
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(rk, NULL);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

int dd_cmd_alerts(int argc, char **argv)
{
    dd_alerts_view vw;
    memset(&vw, 0, sizeof vw);
    const char *brokers = getenv("DRGDIP_BROKERS");
    const char *topic = DD_ALERTS_TOPIC, *color = "auto", *lang = NULL;
    int follow = 0, from_beginning = 0;
    if (!brokers || !*brokers)
        brokers = "localhost:9092";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            dd_alerts_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--follow") || !strcmp(a, "-f")) {
            follow = 1;
        } else if (!strcmp(a, "--from-beginning")) {
            from_beginning = 1;
        } else if (!strcmp(a, "--json")) {
            vw.json = 1;
        } else if (!v && (!strcmp(a, "--brokers") || !strcmp(a, "--region") ||
                          !strcmp(a, "--topic") || !strcmp(a, "--color") ||
                          !strcmp(a, "--lang") || !strcmp(a, "--max") ||
                          !strcmp(a, "--wait"))) {
            fprintf(stderr, "drgdip alerts: %s needs a value\n", a);
            return 2;
        } else if (!strcmp(a, "--brokers")) {
            brokers = v;
            i++;
        } else if (!strcmp(a, "--topic")) {
            topic = v;
            i++;
        } else if (!strcmp(a, "--region")) {
            if (strlen(v) != 6 || strspn(v, "0123456789") != 6) {
                fprintf(stderr, "drgdip alerts: --region wants 6 digits, got '%s'\n", v);
                return 2;
            }
            if (vw.n_regions == DD_ALERTS_MAX_REGIONS) {
                fprintf(stderr, "drgdip alerts: at most %d --region\n", DD_ALERTS_MAX_REGIONS);
                return 2;
            }
            vw.regions[vw.n_regions++] = v;
            i++;
        } else if (!strcmp(a, "--color") || !strcmp(a, "--colour")) {
            color = v;
            i++;
        } else if (!strcmp(a, "--lang")) {
            lang = v;
            i++;
        } else if (!strcmp(a, "--max") || !strcmp(a, "--wait")) {
            char *end;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (errno || end == v || *end || n < 1) {
                fprintf(stderr, "drgdip alerts: %s wants a positive integer\n", a);
                return 2;
            }
            *(!strcmp(a, "--max") ? &vw.max : &vw.wait_s) = n;
            i++;
        } else {
            fprintf(stderr, "drgdip alerts: unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!follow) {
        fprintf(stderr, "drgdip alerts: --follow is required (the only mode so far; see "
                        "`drgdip replay --alerts` for alerts of a file)\n");
        return 2;
    }
    if (!*brokers || !*topic) {
        fprintf(stderr, "drgdip alerts: empty --brokers or --topic\n");
        return 2;
    }
    if (!strcmp(color, "always"))
        vw.color = 1;
    else if (!strcmp(color, "never"))
        vw.color = 0;
    else if (!strcmp(color, "auto")) {
        const char *nc = getenv("NO_COLOR");
        vw.color = isatty(STDOUT_FILENO) && !(nc && *nc);
    } else {
        fprintf(stderr, "drgdip alerts: --color wants auto, always or never\n");
        return 2;
    }
    if (lang) {
        if (strcmp(lang, "zh") && strcmp(lang, "en")) {
            fprintf(stderr, "drgdip alerts: --lang wants zh or en\n");
            return 2;
        }
        vw.zh = !strcmp(lang, "zh");
    } else {
        const char *l = getenv("LC_ALL");
        if (!l || !*l)
            l = getenv("LANG");
        vw.zh = l && !strncmp(l, "zh", 2);
    }
    vw.doc = dd_json_doc_new();
    if (!vw.doc) {
        fprintf(stderr, "drgdip alerts: out of memory\n");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = dd_alerts_on_signal;
    sigemptyset(&sa.sa_mask);
    struct sigaction old_int, old_term; /* restored: `drgdip demo` calls this in-process */
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = dd_alerts_follow(&vw, brokers, topic, from_beginning);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (dd_alerts_stop)
        fprintf(stderr, "drgdip alerts: stopped (%ld alerts shown)\n", vw.shown);
    dd_json_doc_destroy(vw.doc);
    return rc;
}
