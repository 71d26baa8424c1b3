/*
 * replay_alerts — `drgdip replay --alerts`: replays a JSONL event file
 * through the ledger with the dd_alert evaluator attached (case observer,
 * budget events, a final sweep) and prints every alert the stream would
 * emit as one JSON line each on stdout, instead of the snapshot.
 */
#ifndef DD_REPLAY_ALERTS_H
#define DD_REPLAY_ALERTS_H

/* Same argv as dd_cmd_replay (argv[0] "replay"), with --alerts among them.
 * Exit code 0 replayed, 1 data/input error, 2 usage. */
int dd_replay_alerts(int argc, char **argv);

#endif
