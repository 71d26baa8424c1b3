/*
 * dd_produce — keyed Kafka producer for events (contract in dd_produce.h).
 */
#include "dd_produce.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_avro_event.h"
#include "dd_json.h"

struct dd_producer {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    dd_produce_format fmt;
    dd_avro_event_codec *codec;
    dd_json_doc *doc;
    dd_event *ev; /* decode scratch (large: heap) */
    dd_avro_buf abuf;
    dd_jw jw;
    uint64_t n; /* messages so far (MIX alternates on it) */
    int key_setl; /* key by setl_id (tests of mis-keyed streams) */
    dd_producer_stats st;
    char err[512];
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    dd_producer *p = opaque;
    if (m->err) {
        p->st.failed++;
        if (!p->st.first_error[0])
            snprintf(p->st.first_error, sizeof p->st.first_error, "%s",
                     rd_kafka_err2str(m->err));
    } else {
        p->st.delivered++;
    }
}

static int set_prop(rd_kafka_conf_t *conf, const char *k, const char *v, char *errstr,
                    size_t errlen)
{
    char e[256];
    if (rd_kafka_conf_set(conf, k, v, e, sizeof e) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errlen, "kafka property %s=%s: %s", k, v, e);
        return -1;
    }
    return 0;
}

dd_producer *dd_producer_new(const char *brokers, const char *topic, dd_produce_format fmt,
                             const char *const *extra, char *errstr, size_t errlen)
{
    dd_producer *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    p->fmt = fmt;
    dd_jw_init(&p->jw);
    p->doc = dd_json_doc_new();
    p->ev = malloc(sizeof *p->ev);
    if (!p->doc || !p->ev) {
        snprintf(errstr, errlen, "out of memory");
        goto fail;
    }
    if (fmt != DD_PRODUCE_JSON) {
        char e[512];
        p->codec = dd_avro_event_codec_new(NULL, e, sizeof e);
        if (!p->codec) {
            snprintf(errstr, errlen, "avro codec: %s", e);
            goto fail;
        }
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* throughput: fill big batches, keep a deep local queue */
    static const char *const defaults[][2] = {
        {"client.id", "drgdip-produce"},
        {"linger.ms", "20"},
        {"batch.num.messages", "10000"},
        {"batch.size", "1000000"},
        {"queue.buffering.max.messages", "1000000"},
        {"queue.buffering.max.kbytes", "1048576"},
        {"message.timeout.ms", "60000"},
        {"enable.idempotence", "true"}, /* keeps per-partition order under retries */
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (set_prop(conf, defaults[i][0], defaults[i][1], errstr, errlen)) {
            rd_kafka_conf_destroy(conf);
            goto fail;
        }
    if (set_prop(conf, "bootstrap.servers", brokers, errstr, errlen)) {
        rd_kafka_conf_destroy(conf);
        goto fail;
    }
    for (int i = 0; extra && extra[i]; i++) {
        char k[256];
        const char *eq = strchr(extra[i], '=');
        if (!eq || eq == extra[i] || (size_t)(eq - extra[i]) >= sizeof k) {
            snprintf(errstr, errlen, "kafka property '%s': expected key=value", extra[i]);
            rd_kafka_conf_destroy(conf);
            goto fail;
        }
        memcpy(k, extra[i], (size_t)(eq - extra[i]));
        k[eq - extra[i]] = '\0';
        if (set_prop(conf, k, eq + 1, errstr, errlen)) {
            rd_kafka_conf_destroy(conf);
            goto fail;
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, p);
    char e[512];
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(errstr, errlen, "kafka producer: %s", e);
        goto fail;
    }
    p->rkt = rd_kafka_topic_new(p->rk, topic, NULL);
    if (!p->rkt) {
        snprintf(errstr, errlen, "kafka topic %s: %s", topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
        goto fail;
    }
    return p;
fail:
    dd_producer_destroy(p);
    return NULL;
}

static int produce_bytes(dd_producer *p, const void *data, size_t len, const char *key,
                         size_t klen)
{
    for (;;) {
        if (rd_kafka_produce(p->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)data,
                             len, key, klen, NULL) == 0)
            break;
        rd_kafka_resp_err_t err = rd_kafka_last_error();
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(p->rk, 50); /* wait for room */
            continue;
        }
        snprintf(p->err, sizeof p->err, "produce: %s", rd_kafka_err2str(err));
        return -1;
    }
    p->st.sent++;
    p->st.bytes += len;
    if (!key)
        p->st.no_key++;
    if ((p->st.sent & 1023) == 0)
        rd_kafka_poll(p->rk, 0);
    return 0;
}

static int use_avro(dd_producer *p)
{
    return p->fmt == DD_PRODUCE_AVRO || (p->fmt == DD_PRODUCE_MIX && (p->n & 1));
}

void dd_producer_key_by_setl_id(dd_producer *p, int on)
{
    p->key_setl = on != 0;
}

int dd_producer_send_line(dd_producer *p, const char *line, size_t len)
{
    dd_event_error err;
    int decoded = dd_event_from_json(p->ev, p->doc, line, len, &err) == 0;
    const char *key = NULL;
    size_t klen = 0;
    if (p->key_setl && (p->ev->has & DD_F_SETL_ID)) {
        key = p->ev->setl_id;
        klen = strlen(key);
    } else if (p->ev->has & DD_F_FIXMEDINS) { /* also from a partly decoded bad line */
        key = p->ev->fixmedins_code;
        klen = strlen(key);
    }
    int avro = use_avro(p);
    p->n++;
    if (avro) {
        if (decoded && dd_avro_event_encode(p->codec, p->ev, &p->abuf, &err) == 0) {
            p->st.avro++;
            return produce_bytes(p, p->abuf.data, p->abuf.len, key, klen);
        }
        p->st.raw++; /* as it is: the processor will dead-letter it */
    }
    p->st.json++;
    return produce_bytes(p, line, len, key, klen);
}

int dd_producer_send_event(dd_producer *p, const dd_event *ev)
{
    const char *key = (ev->has & DD_F_FIXMEDINS) ? ev->fixmedins_code : NULL;
    size_t klen = key ? strlen(key) : 0;
    int avro = use_avro(p);
    p->n++;
    if (avro) {
        dd_event_error err;
        if (dd_avro_event_encode(p->codec, ev, &p->abuf, &err)) {
            snprintf(p->err, sizeof p->err, "avro encode %s: %s", ev->event_id, err.detail);
            return -1;
        }
        p->st.avro++;
        return produce_bytes(p, p->abuf.data, p->abuf.len, key, klen);
    }
    dd_jw_reset(&p->jw);
    dd_event_to_json(ev, &p->jw);
    if (p->jw.oom) {
        snprintf(p->err, sizeof p->err, "out of memory");
        return -1;
    }
    p->st.json++;
    return produce_bytes(p, p->jw.buf, p->jw.len, key, klen);
}

void dd_producer_poll(dd_producer *p, int timeout_ms)
{
    rd_kafka_poll(p->rk, timeout_ms);
}

int dd_producer_flush(dd_producer *p, int timeout_ms)
{
    rd_kafka_flush(p->rk, timeout_ms);
    rd_kafka_poll(p->rk, 0);
    if (p->st.delivered + p->st.failed < p->st.sent && !p->err[0])
        snprintf(p->err, sizeof p->err, "%llu messages without a delivery report after %d ms",
                 (unsigned long long)(p->st.sent - p->st.delivered - p->st.failed), timeout_ms);
    return p->st.delivered == p->st.sent && p->st.failed == 0 ? 0 : -1;
}

void dd_producer_get_stats(const dd_producer *p, dd_producer_stats *out)
{
    *out = p->st;
}

const char *dd_producer_errstr(const dd_producer *p)
{
    return p->err[0] ? p->err : p->st.first_error;
}

void dd_producer_destroy(dd_producer *p)
{
    if (!p)
        return;
    if (p->rkt)
        rd_kafka_topic_destroy(p->rkt);
    if (p->rk)
        rd_kafka_destroy(p->rk);
    if (p->codec)
        dd_avro_event_codec_destroy(p->codec);
    if (p->doc)
        dd_json_doc_destroy(p->doc);
    free(p->ev);
    dd_avro_buf_free(&p->abuf);
    dd_jw_free(&p->jw);
    free(p);
}
