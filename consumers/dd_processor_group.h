/*
 * dd_processor_group — N members of ONE Kafka consumer group in one process
 * (`processor.threads`), each a dd_processor on a thread of its own.
 *
 * This is the consumer-group scale-out of a multi-process deployment inside
 * one process, nothing more: the group shares the input partitions among the
 * members (a hospital's partition has one member at a time), every member has
 * its own consumer, producer and Redis connection, and the exactly-once
 * machinery is the one that already makes two `drgdip run` processes in one
 * group exact (Redis offsets per (region, partition), atomic region scripts,
 * alert transitions decided in Redis). What it buys on one host: while one
 * member waits for Redis, another decodes and scores.
 *
 * Datasets. The members start on `ds`. With reload (a SIGHUP counter and an
 * open function), a request makes each member switch between its batches;
 * members that see the same request value share one fresh load. close_fn is
 * called exactly once for every dataset the group handed out (`ds` included)
 * when no member uses it any more — at the latest in stop(). Without reload
 * (open_fn NULL) close_fn may be NULL and the caller keeps `ds`.
 *
 * start: all members created, then all threads started; NULL with errstr (no
 * thread left running). done: 1 when some member's run returned (*rc its
 * result: 0 stopped, -1 fatal), else 0. request_stop: every member finishes
 * its batch and leaves the group (no wait). stop: request_stop + join +
 * destroy; 0 when every member ended cleanly, -1 otherwise; stop(NULL) = 0.
 * stats: the members' counters summed (cache_cases, last_commit_ms: the
 * maximum). errstr: the first fatal member's message, "" if none.
 */
#ifndef DD_PROCESSOR_GROUP_H
#define DD_PROCESSOR_GROUP_H

#include <signal.h>
#include <stddef.h>

#include "dd_processor.h"

typedef struct dd_processor_group dd_processor_group;

typedef const dd_dataset *(*dd_processor_group_open_fn)(void *ctx, char *errstr, size_t errlen);
typedef void (*dd_processor_group_close_fn)(void *ctx, const dd_dataset *ds);

typedef struct {
    int members;                               /* >= 1 */
    const volatile sig_atomic_t *reload_requests; /* NULL: no reloads */
    dd_processor_group_open_fn open_fn;
    dd_processor_group_close_fn close_fn;
    void *ctx;
    const char *source; /* names the reloaded data in the log */
} dd_processor_group_opts;

dd_processor_group *dd_processor_group_start(const dd_config *cfg, const dd_dataset *ds,
                                             const dd_processor_group_opts *opts, char *errstr,
                                             size_t errlen);
int dd_processor_group_members(const dd_processor_group *g);
dd_processor *dd_processor_group_member(dd_processor_group *g, int i);
void dd_processor_group_stats(dd_processor_group *g, dd_processor_stats *sum);
int dd_processor_group_done(dd_processor_group *g, int *rc);
const char *dd_processor_group_errstr(dd_processor_group *g);
void dd_processor_group_request_stop(dd_processor_group *g);
int dd_processor_group_stop(dd_processor_group *g);

#endif
