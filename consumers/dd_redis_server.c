/*
 * dd_redis_server — see dd_redis_server.h.
 *
 * Settings go in a 0600 config file inside the private directory (a
 * password on the command line would show in ps).
 */
#include "dd_redis_server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <hiredis/hiredis.h>

#define DD_RS_DEFAULT_BIN "/usr/bin/redis-server"
#define DD_RS_STOP_WAIT_MS 10000
#define DD_RS_KILL_WAIT_MS 5000

struct dd_redis_server {
    dd_redis_persist persist;
    char *server_path;
    char *password;
    int tcp_port;
    int start_timeout_ms;
    int keep_with_parent;
    char dir[512];
    char sock[600];
    char url[640];
    char conf[600];
    char log[600];
    char errlog[600]; /* the child's stderr: errors before redis opens its log */
    pid_t pid;        /* -1 when not running */
};

static void dd_rs_err(char *errstr, size_t errlen, const char *fmt, ...)
{
    if (!errstr || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errlen, fmt, ap);
    va_end(ap);
}

static void dd_rs_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static int64_t dd_rs_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append the last bytes of a file (the server log) to errstr, so a failed
 * start says why. */
static void dd_rs_append_tail(char *errstr, size_t errlen, const char *path)
{
    if (!errstr || !errlen)
        return;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    char buf[400];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)(sizeof buf - 1) ? size - (off_t)(sizeof buf - 1) : 0;
    ssize_t n = pread(fd, buf, sizeof buf - 1, from);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    size_t used = strlen(errstr);
    if (used + 1 < errlen)
        snprintf(errstr + used, errlen - used, " [%s: ...%s]", path, buf);
}

/* Write `value` as a double-quoted redis.conf string. */
static int dd_rs_conf_quoted(FILE *f, const char *value)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return -1;
        if (*p == '"' || *p == '\\')
            fputc('\\', f);
        fputc(*p, f);
    }
    fputc('"', f);
    fputc('\n', f);
    return 0;
}

static int dd_rs_write_conf(dd_redis_server *s, char *errstr, size_t errlen)
{
    int fd = open(s->conf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        dd_rs_err(errstr, errlen, "cannot write %s: %s", s->conf, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int bad = 0;
    fprintf(f, "port %d\n", s->tcp_port);
    fprintf(f, "bind 127.0.0.1\n");
    fprintf(f, "daemonize no\n");
    fputs("unixsocket ", f);
    bad |= dd_rs_conf_quoted(f, s->sock);
    fprintf(f, "unixsocketperm 700\n");
    fputs("dir ", f);
    bad |= dd_rs_conf_quoted(f, s->dir);
    fputs("logfile ", f);
    bad |= dd_rs_conf_quoted(f, s->log);
    fprintf(f, "save \"\"\n");
    fprintf(f, "appendonly %s\n", s->persist == DD_REDIS_PERSIST_NONE ? "no" : "yes");
    fprintf(f, "appendfsync %s\n", s->persist == DD_REDIS_PERSIST_ALWAYS ? "always" : "everysec");
    if (s->password) {
        fputs("requirepass ", f);
        bad |= dd_rs_conf_quoted(f, s->password);
    }
    if (fclose(f) != 0 || bad) {
        dd_rs_err(errstr, errlen, "cannot write %s%s", s->conf,
                  bad ? ": control character in a path or the password" : "");
        return -1;
    }
    return 0;
}

/* Reap the child if it exited; returns 1 when it is gone. */
static int dd_rs_reap(dd_redis_server *s, int *status)
{
    if (s->pid < 0)
        return 1;
    pid_t r = waitpid(s->pid, status, WNOHANG);
    if (r == s->pid || (r < 0 && errno == ECHILD)) {
        s->pid = -1;
        return 1;
    }
    return 0;
}

/* One readiness probe: 1 = answers PING, 0 = not yet. */
static int dd_rs_ping(const dd_redis_server *s)
{
    struct timeval tv = {0, 200000};
    redisContext *c = redisConnectUnixWithTimeout(s->sock, tv);
    int ok = 0;
    if (c && !c->err) {
        redisSetTimeout(c, tv);
        redisReply *r = NULL;
        if (s->password) {
            r = redisCommand(c, "AUTH %s", s->password);
            if (r)
                freeReplyObject(r);
        }
        r = redisCommand(c, "PING");
        /* -LOADING while the AOF is read: not ready yet. */
        if (r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG"))
            ok = 1;
        if (r)
            freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return ok;
}

int dd_redis_server_start(dd_redis_server *s, char *errstr, size_t errlen)
{
    int status = 0;
    if (s->pid > 0 && !dd_rs_reap(s, &status)) {
        if (dd_rs_ping(s))
            return 0;
        dd_rs_err(errstr, errlen, "redis-server pid %d runs but does not answer PING", (int)s->pid);
        return -1;
    }
    if (dd_rs_write_conf(s, errstr, errlen) < 0)
        return -1;
    unlink(s->sock); /* a stale socket of a killed server must not answer our probe */

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        dd_rs_err(errstr, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
#ifdef __linux__
        if (!s->keep_with_parent) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(126);
        }
#else
        (void)parent;
#endif
        int in = open("/dev/null", O_RDONLY);
        int out = open(s->errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in >= 0)
            dup2(in, 0);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        char *const argv[] = {(char *)"redis-server", s->conf, NULL};
        if (s->server_path)
            execv(s->server_path, argv);
        else if (access(DD_RS_DEFAULT_BIN, X_OK) == 0)
            execv(DD_RS_DEFAULT_BIN, argv);
        else
            execvp("redis-server", argv);
        static const char msg[] = "exec redis-server failed\n";
        if (write(2, msg, sizeof msg - 1) < 0)
            _exit(127);
        _exit(127);
    }
    s->pid = pid;

    int64_t deadline = dd_rs_now_ms() + s->start_timeout_ms;
    for (;;) {
        if (dd_rs_reap(s, &status)) {
            dd_rs_err(errstr, errlen, "redis-server exited at start (status %d)",
                      WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
            dd_rs_append_tail(errstr, errlen, s->errlog);
            dd_rs_append_tail(errstr, errlen, s->log);
            return -1;
        }
        if (dd_rs_ping(s))
            return 0;
        if (dd_rs_now_ms() > deadline)
            break;
        dd_rs_sleep_ms(10);
    }
    dd_rs_err(errstr, errlen, "redis-server did not answer PING within %d ms",
              s->start_timeout_ms);
    dd_rs_append_tail(errstr, errlen, s->log);
    dd_redis_server_kill(s);
    return -1;
}

/* Wait up to ms for the child to exit; 1 when reaped. */
static int dd_rs_wait(dd_redis_server *s, int ms, int *status)
{
    int64_t deadline = dd_rs_now_ms() + ms;
    while (!dd_rs_reap(s, status)) {
        if (dd_rs_now_ms() > deadline)
            return 0;
        dd_rs_sleep_ms(5);
    }
    return 1;
}

int dd_redis_server_stop(dd_redis_server *s, char *errstr, size_t errlen)
{
    int status = 0;
    if (s->pid < 0 || dd_rs_reap(s, &status))
        return 0;
    kill(s->pid, SIGTERM); /* redis: graceful shutdown, AOF flushed and fsynced */
    if (dd_rs_wait(s, DD_RS_STOP_WAIT_MS, &status)) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            return 0;
        dd_rs_err(errstr, errlen, "redis-server exited with status %d on SIGTERM",
                  WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
        return -1;
    }
    dd_redis_server_kill(s);
    dd_rs_err(errstr, errlen, "redis-server ignored SIGTERM for %d ms; killed",
              DD_RS_STOP_WAIT_MS);
    return -1;
}

void dd_redis_server_kill(dd_redis_server *s)
{
    int status;
    if (s->pid < 0 || dd_rs_reap(s, &status))
        return;
    kill(s->pid, SIGKILL);
    if (!dd_rs_wait(s, DD_RS_KILL_WAIT_MS, &status))
        s->pid = -1; /* unkillable (should not happen): forget it rather than hang */
}

int dd_redis_server_running(const dd_redis_server *s)
{
    return s->pid > 0;
}

pid_t dd_redis_server_pid(const dd_redis_server *s)
{
    return s->pid;
}

const char *dd_redis_server_url(const dd_redis_server *s)
{
    return s->url;
}

const char *dd_redis_server_socket(const dd_redis_server *s)
{
    return s->sock;
}

const char *dd_redis_server_dir(const dd_redis_server *s)
{
    return s->dir;
}

/* rm -r of our own directory (AOF files live in a subdirectory). */
static void dd_rs_rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char child[1024];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
                dd_rs_rmtree(child);
            else
                unlink(child);
        }
        closedir(d);
    }
    rmdir(path);
}

static char *dd_rs_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void dd_redis_server_destroy(dd_redis_server *s)
{
    if (!s)
        return;
    dd_redis_server_stop(s, NULL, 0);
    if (s->dir[0])
        dd_rs_rmtree(s->dir);
    free(s->server_path);
    free(s->password);
    free(s);
}

dd_redis_server *dd_redis_server_new(const dd_redis_server_opts *opts, char *errstr,
                                     size_t errlen)
{
    dd_redis_server_opts def = {0};
    if (!opts)
        opts = &def;
    if (opts->tcp_port < 0 || opts->tcp_port > 65535) {
        dd_rs_err(errstr, errlen, "bad tcp_port %d", opts->tcp_port);
        return NULL;
    }
    dd_redis_server *s = calloc(1, sizeof *s);
    if (!s) {
        dd_rs_err(errstr, errlen, "out of memory");
        return NULL;
    }
    s->pid = -1;
    s->persist = opts->persist;
    s->tcp_port = opts->tcp_port;
    s->start_timeout_ms = opts->start_timeout_ms > 0 ? opts->start_timeout_ms : 5000;
    s->keep_with_parent = opts->keep_with_parent;
    s->server_path = dd_rs_strdup(opts->server_path);
    s->password = dd_rs_strdup(opts->password);
    if ((opts->server_path && !s->server_path) || (opts->password && !s->password)) {
        dd_rs_err(errstr, errlen, "out of memory");
        dd_redis_server_destroy(s);
        return NULL;
    }
    const char *parent = opts->tmp_parent ? opts->tmp_parent : "/tmp";
    /* sun_path holds 108 bytes: keep the socket path well under it */
    int n = snprintf(s->dir, sizeof s->dir, "%s/drgdip-redis-XXXXXX", parent);
    if (n < 0 || (size_t)n >= sizeof s->dir || strlen(s->dir) + strlen("/redis.sock") >= 100) {
        dd_rs_err(errstr, errlen, "temp parent path too long for a unix socket: %s", parent);
        s->dir[0] = '\0';
        dd_redis_server_destroy(s);
        return NULL;
    }
    if (!mkdtemp(s->dir)) {
        dd_rs_err(errstr, errlen, "mkdtemp %s: %s", s->dir, strerror(errno));
        s->dir[0] = '\0';
        dd_redis_server_destroy(s);
        return NULL;
    }
    snprintf(s->sock, sizeof s->sock, "%s/redis.sock", s->dir);
    snprintf(s->url, sizeof s->url, "unix://%s", s->sock);
    snprintf(s->conf, sizeof s->conf, "%s/redis.conf", s->dir);
    snprintf(s->log, sizeof s->log, "%s/redis.log", s->dir);
    snprintf(s->errlog, sizeof s->errlog, "%s/redis.stderr", s->dir);
    if (dd_redis_server_start(s, errstr, errlen) < 0) {
        dd_redis_server_destroy(s);
        return NULL;
    }
    return s;
}
