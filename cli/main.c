/*
 * drgdip — DRG/DIP streaming processor. One binary, subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "dd_cmd.h"

#define DD_VERSION "0.1.0"

static const dd_cmd dd_commands[] = {
    /* one line per subcommand, in the order `--help` lists them */
    {"bench", "benchmarks: grouping and replay throughput", dd_cmd_bench},
    {"replay", "replay a JSONL event file and print a region-month snapshot", dd_cmd_replay},
    {"explain", "group and score one case, showing the path (for coders and auditors)", dd_cmd_explain},
    {"dev-broker", "run an in-memory Kafka cluster (librdkafka mock) for dev and demos", dd_cmd_dev_broker},
    {"gen", "generate realistic synthetic events (JSONL) for the data set", dd_cmd_gen},
    {"group", "group a case CSV with CHS-DRG 1.1 (appends status,mdc,adrg,drg,reason)", dd_cmd_group},
    {"produce", "send a JSONL event file to Kafka (JSON, Avro or mixed), keyed by hospital", dd_cmd_produce},
    {"run", "the streaming processor: Kafka in, exact totals in Redis (--config FILE)", dd_cmd_run},
    {"snapshot", "print the LIVE pre-settlement snapshot of a region month from Redis", dd_cmd_snapshot},
    {"demo", "run the whole pipeline locally on generated events; show the snapshot and alerts", dd_cmd_demo},
    {"settle", "quarterly netting / yearly risk-sharing settlement per hospital from events", dd_cmd_settle},
    {"alerts", "follow the alerts topic live: one readable line per alert (--follow)", dd_cmd_alerts},
    {NULL, NULL, NULL}
};

static void dd_main_usage(FILE *out)
{
    fprintf(out,
            "drgdip %s — DRG/DIP grouping, points and fund totals for China's\n"
            "medical-insurance payment reform.\n\n"
            "usage: drgdip <command> [options]    (drgdip <command> --help for details)\n\n"
            "commands:\n",
            DD_VERSION);
    for (const dd_cmd *c = dd_commands; c->name; c++)
        fprintf(out, "  %-12s %s\n", c->name, c->summary);
    fprintf(out, "  %-12s %s\n", "version", "print the version");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        dd_main_usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        dd_main_usage(stdout);
        return 0;
    }
    if (!strcmp(name, "version") || !strcmp(name, "--version")) {
        printf("drgdip %s\n", DD_VERSION);
        return 0;
    }
    for (const dd_cmd *c = dd_commands; c->name; c++)
        if (!strcmp(c->name, name))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "drgdip: unknown command '%s' (see drgdip --help)\n", name);
    return 2;
}
