/* consumers/dd_config: defaults, file parsing with line numbers, unknown
 * keys, kafka.* pass-through, environment overrides, pseudonym key. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dd_config.h"

static char *write_tmp(const char *text)
{
    static char path[64];
    strcpy(path, "/tmp/dd-config-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(config, defaults)
{
    dd_config *c = dd_config_new();
    cr_assert_str_eq(dd_config_get(c, "input.topic"), "drgdip.settlements");
    cr_assert_str_eq(dd_config_get(c, "group.id"), "drgdip");
    cr_assert_str_eq(dd_config_get(c, "output.dlq"), "drgdip.dlq");
    cr_assert_str_eq(dd_config_get(c, "output.case_results"), "drgdip.case-results");
    cr_assert_str_eq(dd_config_get(c, "redis.url"), "redis://127.0.0.1:6379");
    cr_assert_eq(dd_config_get_int(c, "batch.max_events"), 5000);
    cr_assert_eq(dd_config_get_int(c, "batch.max_ms"), 20);
    cr_assert_eq(dd_config_log_level(c), 2);
    cr_assert_null(dd_config_get(c, "kafka.bootstrap.servers"));
    cr_assert_null(dd_config_get(c, "no.such.key"));
    uint8_t k[16];
    cr_assert_eq(dd_config_pseudonym_key(c, k), 1); /* the development key */
    dd_config_destroy(c);
}

Test(config, minimal_file_and_kafka_passthrough)
{
    char err[256];
    dd_config *c = dd_config_new();
    const char *p = write_tmp("# minimal\n"
                              "kafka.bootstrap.servers = b1:9092,b2:9092\n"
                              "\n"
                              "  redis.url=unix:///run/redis.sock  \n"
                              "kafka.security.protocol = SASL_SSL\n"
                              "kafka.sasl.mechanisms = SCRAM-SHA-512\n"
                              "pseudonym.key = 00112233445566778899AABBCCDDEEFF\n"
                              "batch.max_events = 100\n");
    cr_assert_eq(dd_config_load_file(c, p, err, sizeof err), 0, "%s", err);
    unlink(p);
    cr_assert_str_eq(dd_config_get(c, "redis.url"), "unix:///run/redis.sock");
    cr_assert_eq(dd_config_get_int(c, "batch.max_events"), 100);
    cr_assert_eq(dd_config_kafka_count(c), 3);
    const char *k, *v;
    dd_config_kafka_at(c, 0, &k, &v);
    cr_assert_str_eq(k, "bootstrap.servers");
    cr_assert_str_eq(v, "b1:9092,b2:9092");
    dd_config_kafka_at(c, 2, &k, &v);
    cr_assert_str_eq(k, "sasl.mechanisms");
    cr_assert_str_eq(v, "SCRAM-SHA-512");
    uint8_t key[16];
    cr_assert_eq(dd_config_pseudonym_key(c, key), 0);
    cr_assert_eq(key[0], 0x00);
    cr_assert_eq(key[1], 0x11);
    cr_assert_eq(key[15], 0xFF);
    dd_config_destroy(c);
}

Test(config, errors_name_the_line)
{
    char err[256];
    dd_config *c = dd_config_new();
    const char *p = write_tmp("redis.url = redis://x\n# ok\nredis.ulr = typo\n");
    cr_assert_eq(dd_config_load_file(c, p, err, sizeof err), -1);
    cr_assert(strstr(err, "line 3") && strstr(err, "redis.ulr"), "%s", err);
    unlink(p);
    p = write_tmp("batch.max_events = 12x\n");
    cr_assert_eq(dd_config_load_file(c, p, err, sizeof err), -1);
    cr_assert(strstr(err, "line 1") && strstr(err, "batch.max_events"), "%s", err);
    unlink(p);
    p = write_tmp("no equals sign\n");
    cr_assert_eq(dd_config_load_file(c, p, err, sizeof err), -1);
    cr_assert(strstr(err, "line 1"), "%s", err);
    unlink(p);
    cr_assert_eq(dd_config_set(c, "pseudonym.key", "abc", err, sizeof err), -1);
    cr_assert_eq(dd_config_set(c, "log.level", "loud", err, sizeof err), -1);
    cr_assert_eq(dd_config_set(c, "batch.max_ms", "0", err, sizeof err), -1);
    cr_assert_eq(dd_config_load_file(c, "/nonexistent/dd.conf", err, sizeof err), -1);
    dd_config_destroy(c);
}

Test(config, environment_overrides)
{
    char err[256];
    dd_config *c = dd_config_new();
    cr_assert_eq(dd_config_set(c, "redis.url", "redis://file:1", err, sizeof err), 0);
    char *env[] = {"PATH=/bin",
                   "DRGDIP_REDIS_URL=redis://env:2",
                   "DRGDIP_BATCH_MAX_EVENTS=77",
                   "DRGDIP_KAFKA_SASL_PASSWORD=s3cret",
                   "DRGDIP_KAFKA_BOOTSTRAP_SERVERS=k:1",
                   "DRGDIP_BIN=/usr/bin/drgdip",
                   NULL};
    cr_assert_eq(dd_config_apply_env(c, env, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(dd_config_get(c, "redis.url"), "redis://env:2");
    cr_assert_eq(dd_config_get_int(c, "batch.max_events"), 77);
    cr_assert_str_eq(dd_config_get(c, "kafka.sasl.password"), "s3cret");
    cr_assert_str_eq(dd_config_get(c, "kafka.bootstrap.servers"), "k:1");
    char *bad[] = {"DRGDIP_REDIS_ULR=x", NULL};
    cr_assert_eq(dd_config_apply_env(c, bad, err, sizeof err), -1);
    cr_assert(strstr(err, "DRGDIP_REDIS_ULR"), "%s", err);
    dd_config_destroy(c);
}
