/*
 * dd_cmd — the drgdip subcommands. Each takes the arguments after its name
 * (argv[0] is the subcommand name) and returns the process exit code:
 * 0 success, 1 the work failed (bad data, unreachable service), 2 usage error.
 * Every command prints its usage for --help / -h.
 */
#ifndef DD_CMD_H
#define DD_CMD_H

typedef struct {
    const char *name;
    const char *summary; /* one line for `drgdip --help` */
    int (*run)(int argc, char **argv);
} dd_cmd;

/* Declarations of every subcommand; the table is in main.c. */
int dd_cmd_group(int argc, char **argv);
int dd_cmd_explain(int argc, char **argv);
int dd_cmd_replay(int argc, char **argv);
int dd_cmd_settle(int argc, char **argv);
int dd_cmd_bench(int argc, char **argv);
int dd_cmd_gen(int argc, char **argv);
int dd_cmd_produce(int argc, char **argv);
int dd_cmd_demo(int argc, char **argv);
int dd_cmd_dev_broker(int argc, char **argv);
int dd_cmd_run(int argc, char **argv);
int dd_cmd_snapshot(int argc, char **argv);
int dd_cmd_alerts(int argc, char **argv);

#endif
