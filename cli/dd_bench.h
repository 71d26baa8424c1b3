/*
 * dd_bench — the parts of `drgdip bench` (figures, never pass/fail). Each
 * takes the arguments after the part name (argv[0] = part name), supports
 * --help and --json, and returns 0 / 1 failure / 2 usage.
 */
#ifndef DD_BENCH_H
#define DD_BENCH_H

/* CHS-DRG grouping throughput on one core over the golden cases (bench_group.c). */
int dd_bench_group(int argc, char **argv);
/* Core replay throughput (bench_replay.c). */
int dd_bench_replay(int argc, char **argv);
/* Streaming: raw consume rate, processor end-to-end events/s, produce->Redis
 * latency at a fixed rate, on the dev broker + a private redis-server
 * (bench_stream.c). `drgdip bench` without a part runs it. */
int dd_bench_stream(int argc, char **argv);

#endif
