/*
 * dd_redis_server — a private redis-server child process for tests, the demo
 * and benchmarks.
 *
 * Contract: dd_redis_server_new() makes a fresh directory (mkdtemp) holding
 * the server's unix socket, log and append-only files, starts Debian's
 * redis-server in it (no TCP listener unless asked, no RDB snapshots) and
 * returns once the server answers PING (bounded by start_timeout_ms; an AOF
 * still LOADING is not ready). stop() shuts it down cleanly (SIGTERM makes
 * redis fsync the AOF, then waitpid, SIGKILL after a bound), kill() crashes
 * it (SIGKILL, for "Redis died mid-stream" tests), start() restarts it on the
 * SAME directory, so with persistence on, everything acknowledged is still
 * there (with DD_REDIS_PERSIST_ALWAYS even after kill()). destroy() stops the
 * server and removes the directory.
 *
 * By default the child gets PR_SET_PDEATHSIG (Linux): if the thread that
 * started it dies, the server dies too, so a crashed test leaks no process.
 * Start it from a thread that lives as long as the server.
 *
 * Not thread-safe: one owner thread per object. Errors go to the caller's
 * errstr buffer.
 */
#ifndef DD_REDIS_SERVER_H
#define DD_REDIS_SERVER_H

#include <stddef.h>
#include <sys/types.h>

typedef enum {
    DD_REDIS_PERSIST_NONE = 0,     /* memory only: a restart starts empty */
    DD_REDIS_PERSIST_EVERYSEC = 1, /* appendonly yes, appendfsync everysec */
    DD_REDIS_PERSIST_ALWAYS = 2    /* appendonly yes, appendfsync always */
} dd_redis_persist;

typedef struct {
    dd_redis_persist persist;
    const char *server_path; /* NULL: /usr/bin/redis-server, else "redis-server" in PATH */
    const char *tmp_parent;  /* parent of the mkdtemp directory; NULL: /tmp */
    const char *password;    /* requirepass; NULL: none */
    int tcp_port;            /* 0: unix socket only; else also 127.0.0.1:tcp_port */
    int start_timeout_ms;    /* wait for PING; 0: 5000 */
    int keep_with_parent;    /* 1: do NOT set PDEATHSIG (server may outlive us) */
} dd_redis_server_opts;

typedef struct dd_redis_server dd_redis_server;

/* Create the directory and start the server. opts may be NULL (defaults).
 * NULL on failure, with the reason (and the server log's tail) in errstr. */
dd_redis_server *dd_redis_server_new(const dd_redis_server_opts *opts, char *errstr,
                                     size_t errlen);

/* (Re)start on the same directory; 0 when running and answering PING
 * (already running is fine), -1 with errstr. */
int dd_redis_server_start(dd_redis_server *s, char *errstr, size_t errlen);

/* Clean shutdown (SIGTERM, wait up to 10 s, then SIGKILL). 0 when it exited
 * cleanly or was not running, -1 when it had to be killed or failed. */
int dd_redis_server_stop(dd_redis_server *s, char *errstr, size_t errlen);

/* Crash: SIGKILL and reap. No AOF flush beyond what redis already did. */
void dd_redis_server_kill(dd_redis_server *s);

int dd_redis_server_running(const dd_redis_server *s);
pid_t dd_redis_server_pid(const dd_redis_server *s); /* -1 when not running */

/* "unix:///tmp/drgdip-redis-XXXXXX/redis.sock" — for dd_store_opts.url */
const char *dd_redis_server_url(const dd_redis_server *s);
const char *dd_redis_server_socket(const dd_redis_server *s);
const char *dd_redis_server_dir(const dd_redis_server *s);

/* Stop (clean, bounded) and remove the directory. NULL is fine. */
void dd_redis_server_destroy(dd_redis_server *s);

#endif
