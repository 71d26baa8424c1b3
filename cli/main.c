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
