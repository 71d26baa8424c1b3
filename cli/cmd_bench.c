/*
 * drgdip bench — benchmarks (figures, never pass/fail): grouping throughput,
 * core replay throughput. Each part lives in its own bench_*.c.
 */
#include <stdio.h>
#include <string.h>

#include "dd_bench.h"
#include "dd_cmd.h"

static void dd_bench_usage(FILE *out)
{
    fprintf(out,
            "usage: drgdip bench <part> [options]\n\n"
            "parts:\n"
            "  group    CHS-DRG grouping throughput on one core over the golden cases\n"
            "  replay   core replay throughput (decode, validate, apply, group, score)\n"
            "  stream   (the default) Kafka -> processor -> Redis: raw consume rate,\n"
            "           end-to-end events/s, produce->Redis latency\n\n"
            "Each part takes --json (one JSON object on stdout) and --help.\n");
}

int dd_cmd_bench(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        dd_bench_usage(stdout);
        return 0;
    }
    /* no part (or only options): the stream benchmark */
    if (argc < 2 || argv[1][0] == '-')
        return dd_bench_stream(argc, argv);
    if (!strcmp(argv[1], "stream"))
        return dd_bench_stream(argc - 1, argv + 1);
    if (!strcmp(argv[1], "group"))
        return dd_bench_group(argc - 1, argv + 1);
    if (!strcmp(argv[1], "replay"))
        return dd_bench_replay(argc - 1, argv + 1);
    fprintf(stderr, "drgdip bench: unknown part '%s'\n", argv[1]);
    dd_bench_usage(stderr);
    return 2;
}
