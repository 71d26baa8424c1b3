/*
 * 0042-devbroker-lib: the in-process dev broker (consumers/dd_devbroker.h)
 * that tests, demo and bench reuse: topics and partition counts in metadata,
 * a keyed produce/consume round trip with librdkafka, argument errors, and two
 * clusters side by side. Every wait is bounded.
 */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

#include "dd_devbroker.h"

static rd_kafka_t *client(rd_kafka_type_t type, const char *bs)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof err), 0);
    rd_kafka_conf_set(conf, "socket.timeout.ms", "5000", err, sizeof err);
    if (type == RD_KAFKA_CONSUMER) {
        rd_kafka_conf_set(conf, "group.id", "t0042", err, sizeof err);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    } else {
        rd_kafka_conf_set(conf, "message.timeout.ms", "10000", err, sizeof err);
    }
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
    cr_assert_not_null(rk, "%s", err);
    return rk;
}

Test(devbroker, topics_and_roundtrip, .timeout = 60)
{
    char err[256];
    dd_devbroker *b = dd_devbroker_new(3, 1, err, sizeof err);
    cr_assert_not_null(b, "%s", err);
    const char *bs = dd_devbroker_bootstraps(b);
    cr_assert(!strncmp(bs, "127.0.0.1:", 10), "%s", bs);
    cr_assert_eq(dd_devbroker_partitions(b), 3);

    rd_kafka_t *p = client(RD_KAFKA_PRODUCER, bs);
    const struct rd_kafka_metadata *md;
    cr_assert_eq(rd_kafka_metadata(p, 1, NULL, &md, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    int found = 0;
    for (int i = 0; i < md->topic_cnt; i++)
        for (const char *const *t = dd_devbroker_topics; *t; t++)
            if (!strcmp(md->topics[i].topic, *t)) {
                found++;
                cr_expect_eq(md->topics[i].partition_cnt, 3, "%s", *t);
            }
    cr_assert_eq(found, 5);
    rd_kafka_metadata_destroy(md);

    const char *keys[] = {"H22010100001", "H22010100002", "H22010100001"};
    const char *vals[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("drgdip.settlements"),
                                       RD_KAFKA_V_KEY(keys[i], strlen(keys[i])),
                                       RD_KAFKA_V_VALUE((void *)vals[i], 1),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
    cr_assert_eq(rd_kafka_flush(p, 10000), 0);
    rd_kafka_destroy(p);

    rd_kafka_t *c = client(RD_KAFKA_CONSUMER, bs);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(3);
    for (int i = 0; i < 3; i++)
        rd_kafka_topic_partition_list_add(tp, "drgdip.settlements", i)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    cr_assert_eq(rd_kafka_assign(c, tp), 0);
    rd_kafka_topic_partition_list_destroy(tp);
    char got[3][32];
    int n = 0;
    for (int tries = 0; n < 3 && tries < 100; tries++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m)
            continue;
        if (!m->err) {
            cr_assert_lt(n, 3);
            snprintf(got[n++], sizeof got[0], "%.*s=%.*s", (int)m->key_len, (char *)m->key,
                     (int)m->len, (char *)m->payload);
        }
        rd_kafka_message_destroy(m);
    }
    cr_assert_eq(n, 3);
    /* Same key, same partition, in order: a before c. */
    int ia = -1, ic = -1, ib = -1;
    for (int i = 0; i < 3; i++) {
        if (!strcmp(got[i], "H22010100001=a"))
            ia = i;
        if (!strcmp(got[i], "H22010100001=c"))
            ic = i;
        if (!strcmp(got[i], "H22010100002=b"))
            ib = i;
    }
    cr_assert(ia >= 0 && ic > ia && ib >= 0);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    dd_devbroker_destroy(b);
}

Test(devbroker, bad_arguments_and_two_clusters, .timeout = 30)
{
    char err[256];
    cr_assert_null(dd_devbroker_new(-1, 1, err, sizeof err));
    cr_assert_null(dd_devbroker_new(DD_DEVBROKER_MAX_PARTITIONS + 1, 1, err, sizeof err));
    cr_assert_null(dd_devbroker_new(1, 9, err, sizeof err));
    cr_assert(strstr(err, "brokers"), "%s", err);
    dd_devbroker *a = dd_devbroker_new(0, 0, err, sizeof err);
    dd_devbroker *b = dd_devbroker_new(1, 3, err, sizeof err);
    cr_assert(a && b, "%s", err);
    cr_assert_eq(dd_devbroker_partitions(a), DD_DEVBROKER_DEFAULT_PARTITIONS);
    cr_assert_str_neq(dd_devbroker_bootstraps(a), dd_devbroker_bootstraps(b));
    /* three brokers: three addresses */
    const char *s = dd_devbroker_bootstraps(b);
    int commas = 0;
    for (; *s; s++)
        commas += *s == ',';
    cr_assert_eq(commas, 2, "%s", dd_devbroker_bootstraps(b));
    dd_devbroker_destroy(a);
    dd_devbroker_destroy(b);
    dd_devbroker_destroy(NULL);
}
