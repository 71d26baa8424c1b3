/*
 * drgdip produce — send a JSONL event file to Kafka, keyed by
 * fixmedins_code, as JSON (the lines' exact bytes), Avro single-object or
 * both alternately (dd_produce.c does the sending).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dd_cmd.h"
#include "dd_file.h"
#include "dd_produce.h"

#define MAX_EXTRA 64

static void produce_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip produce --events FILE.jsonl --brokers HOST:PORT[,...]\n"
            "                      [--format json|avro|mix] [--mix] [--topic T]\n"
            "                      [--key fixmedins_code|setl_id] [-X key=value]...\n"
            "                      [--timeout SECONDS] [--quiet]\n\n"
            "Sends each line of FILE ('-' = stdin; empty lines skipped) as one Kafka\n"
            "message keyed by its fixmedins_code, so a hospital's events keep their order.\n\n"
            "  --format json   the exact bytes of each line (default)\n"
            "  --format avro   each line decoded and re-encoded as Avro single-object\n"
            "                  (schema event-v2); a line that does not decode is sent as\n"
            "                  its raw bytes (the processor dead-letters it) and counted\n"
            "  --format mix    (or --mix) alternate JSON and Avro per message\n"
            "  --topic T       default drgdip.settlements\n"
            "  --key setl_id   key by setl_id instead (violates SPEC §2: a hospital is\n"
            "                  spread over partitions; for testing the processor)\n"
            "  -X key=value    extra librdkafka producer property (repeatable; SASL, TLS)\n"
            "  --timeout S     wait at most S seconds for delivery reports (default 60)\n"
            "  --quiet         no summary\n\n"
            "A progress bar is drawn when stderr is a terminal. Exit: 0 when every message\n"
            "was delivered, 1 on a delivery failure or timeout, 2 usage error.\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(size_t done, size_t total, double t0)
{
    double dt = now_s() - t0;
    int width = 30;
    int fill = total ? (int)((double)done * width / (double)total) : width;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '-';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %3d%% %zu/%zu events %.0f/s ", bar,
            total ? (int)(100.0 * (double)done / (double)total) : 100, done, total,
            dt > 0 ? (double)done / dt : 0.0);
    fflush(stderr);
}

int dd_cmd_produce(int argc, char **argv)
{
    const char *events = NULL, *brokers = NULL, *topic = "drgdip.settlements";
    const char *extra[MAX_EXTRA + 1];
    int n_extra = 0, quiet = 0;
    long timeout_s = 60;
    dd_produce_format fmt = DD_PRODUCE_JSON;
    int key_setl = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            produce_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if (!strcmp(a, "--mix")) {
            fmt = DD_PRODUCE_MIX;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "drgdip produce: %s needs a value (or unknown option)\n", a);
            produce_usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--events")) {
            events = v;
        } else if (!strcmp(a, "--brokers")) {
            brokers = v;
        } else if (!strcmp(a, "--topic")) {
            topic = v;
        } else if (!strcmp(a, "--format")) {
            if (!strcmp(v, "json"))
                fmt = DD_PRODUCE_JSON;
            else if (!strcmp(v, "avro"))
                fmt = DD_PRODUCE_AVRO;
            else if (!strcmp(v, "mix"))
                fmt = DD_PRODUCE_MIX;
            else {
                fprintf(stderr, "drgdip produce: --format must be json, avro or mix\n");
                return 2;
            }
        } else if (!strcmp(a, "--key")) {
            if (!strcmp(v, "fixmedins_code"))
                key_setl = 0;
            else if (!strcmp(v, "setl_id"))
                key_setl = 1;
            else {
                fprintf(stderr, "drgdip produce: --key must be fixmedins_code or setl_id\n");
                return 2;
            }
        } else if (!strcmp(a, "-X")) {
            if (n_extra == MAX_EXTRA) {
                fprintf(stderr, "drgdip produce: too many -X\n");
                return 2;
            }
            extra[n_extra++] = v;
        } else if (!strcmp(a, "--timeout")) {
            char *end;
            timeout_s = strtol(v, &end, 10);
            if (*end || timeout_s < 1 || timeout_s > 86400) {
                fprintf(stderr, "drgdip produce: --timeout must be 1..86400 seconds\n");
                return 2;
            }
        } else {
            fprintf(stderr, "drgdip produce: unknown option %s\n", a);
            produce_usage(stderr);
            return 2;
        }
    }
    extra[n_extra] = NULL;
    if (!events || !brokers) {
        fprintf(stderr, "drgdip produce: --events and --brokers are required\n");
        produce_usage(stderr);
        return 2;
    }
    char err[1024];
    size_t len;
    char *buf = dd_file_read(events, &len, err, sizeof err);
    if (!buf) {
        fprintf(stderr, "drgdip produce: %s\n", err);
        return 1;
    }
    size_t total = 0;
    for (size_t i = 0; i < len; i++)
        total += buf[i] == '\n';
    if (len && buf[len - 1] != '\n')
        total++;
    dd_producer *p = dd_producer_new(brokers, topic, fmt, extra, err, sizeof err);
    if (!p) {
        fprintf(stderr, "drgdip produce: %s\n", err);
        free(buf);
        return 1;
    }
    dd_producer_key_by_setl_id(p, key_setl);
    int tty = isatty(STDERR_FILENO);
    double t0 = now_s(), last = t0;
    size_t done = 0;
    int ret = 0;
    for (size_t off = 0; off < len;) {
        char *nl = memchr(buf + off, '\n', len - off);
        size_t l = nl ? (size_t)(nl - (buf + off)) : len - off;
        size_t ll = l;
        if (ll && buf[off + ll - 1] == '\r')
            ll--;
        if (ll) {
            if (dd_producer_send_line(p, buf + off, ll)) {
                fprintf(stderr, "\ndrgdip produce: %s\n", dd_producer_errstr(p));
                ret = 1;
                break;
            }
        }
        done++;
        off += l + 1;
        if (tty && (done & 1023) == 0) {
            double t = now_s();
            if (t - last >= 0.2) {
                progress(done, total, t0);
                last = t;
            }
        }
    }
    if (tty)
        progress(done, total, t0);
    int fl = dd_producer_flush(p, (int)(timeout_s * 1000));
    double dt = now_s() - t0;
    if (tty)
        fputc('\n', stderr);
    dd_producer_stats st;
    dd_producer_get_stats(p, &st);
    if (fl) {
        fprintf(stderr, "drgdip produce: delivery failed: %s\n", dd_producer_errstr(p));
        ret = 1;
    }
    if (!quiet)
        fprintf(stderr,
                "drgdip produce: %llu messages sent to %s (json %llu, avro %llu, raw %llu "
                "undecodable, %llu without key), %llu delivered, %llu failed, %.2f s, "
                "%.0f events/s\n",
                (unsigned long long)st.sent, topic, (unsigned long long)st.json,
                (unsigned long long)st.avro, (unsigned long long)st.raw,
                (unsigned long long)st.no_key, (unsigned long long)st.delivered,
                (unsigned long long)st.failed, dt, dt > 0 ? (double)st.sent / dt : 0.0);
    dd_producer_destroy(p);
    free(buf);
    return ret;
}
