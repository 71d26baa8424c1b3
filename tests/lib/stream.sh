# owned by helper F; H: do not edit
# Sourced by the failure tests (tests/0072-crash.sh, 0073-two-processors.sh, 0074-redis-down.sh), not a test itself.
# Args of the sourcing test: $1 drgdip binary, $2 repo root, $3 shared dir.
#
# Builds on tests/stream-lib.sh (H's: private dev broker + redis-server with
# appendonly/appendfsync always on a unix socket in one temp dir, run configs,
# produce, replay --all, snapshot-vs-replay compare, stats from the logs) and
# adds what the failure tests need: generated events (enough of them for real
# mid-stream failures), chunked production, log polling, a watchdog bounding
# the whole test, a clean-stop check, and an exact progress probe (the
# applied event ids in Redis). Uses from stream-lib.sh: fail, cleanup,
# start_broker, start_redis, stop_redis, write_conf, start_proc, produce,
# replay_all, compare, last_stat, wait_stat (renaming them breaks 0072-0074).
. "$2/tests/stream-lib.sh"

# The shipped data set: `drgdip gen` writes events for it.
DATA=$ROOT/data/jilin
WATCHDOG_PID=

# Kill the watchdog before H's cleanup (whose `wait` would otherwise wait for it).
f_cleanup() {
    [ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null
    WATCHDOG_PID=
    cleanup
}
trap f_cleanup EXIT
trap 'fail "watchdog: test took longer than its bound"' USR1

watchdog() { # seconds: the whole test fails (with logs) after that long
    (
        sleep "$1" &
        trap 'kill $! 2>/dev/null; exit 0' TERM
        wait $!
        kill -USR1 $$ 2>/dev/null
    ) &
    WATCHDOG_PID=$!
}

gen_events() { # cases out [seed]: one month (2025-03) of synthetic events
    "$BIN" gen --month 2025-03 --cases "$1" --seed "${3:-7}" --quiet >"$2" 2>"$T/gen.err" ||
        fail "gen failed: $(cat "$T/gen.err")"
    [ -s "$2" ] || fail "gen wrote nothing"
}

split_events() { # file n: $T/chunk.00 .. chunk.NN (whole lines)
    rm -f "$T"/chunk.*
    split -n "l/$2" -d "$1" "$T/chunk." || fail "split failed"
}

wait_log() { # name pattern timeout_s [from_line]: until the log has a matching line
    local deadline=$((SECONDS + $3)) from=${4:-1}
    while [ $SECONDS -lt $deadline ]; do
        tail -n "+$from" "$T/$1.log" 2>/dev/null | grep -q -- "$2" && return 0
        sleep 0.1
    done
    return 1
}

log_lines() { # name: number of lines in its log now
    wc -l <"$T/$1.log" 2>/dev/null || echo 0
}

assigned_parts() { # name [from_line]: partitions assigned in the log (sorted, unique)
    tail -n "+${2:-1}" "$T/$1.log" | sed -n 's/.*assigned [^ ]* \[\([0-9]*\)\].*/\1/p' | sort -nu
}

alive() { kill -0 "$1" 2>/dev/null; }

term_proc() { # pid name: SIGTERM, must exit 0 within 20 s and leave the group
    kill -TERM "$1" 2>/dev/null
    local rc
    for _ in $(seq 200); do alive "$1" || break; sleep 0.1; done
    alive "$1" && { kill -9 "$1"; fail "$2 did not stop on SIGTERM"; }
    wait "$1"
    rc=$?
    [ $rc = 0 ] || fail "$2 exited with $rc on SIGTERM (want 0)"
    grep -q "leaving the group" "$T/$2.log" || fail "$2: no clean stop in its log"
}

redis_start_again() { # same dir and socket: the AOF is loaded back
    start_redis
}

redis_kill9() { # the hardest stop: only fsynced (acknowledged) writes survive
    kill -9 "$REDIS_PID" 2>/dev/null
    wait "$REDIS_PID" 2>/dev/null
    REDIS_PID=
}

# Exact progress probe: every applied event's id is a field of dd:{R}:ev
# (docs/redis-layout.md), so the sum of their HLEN is the number of events
# whose effects Redis holds; at the end it must equal replay's "applied".
redis_applied() { # -> count, or -1 when Redis is unreachable
    local v
    v=$(redis-cli -s "$T/redis.sock" EVAL \
        "local s=0 for _,k in ipairs(redis.call('KEYS','dd:*:ev')) do s=s+redis.call('HLEN',k) end return s" \
        0 2>/dev/null)
    case $v in '' | *[!0-9]*) echo -1 ;; *) echo "$v" ;; esac
}

replay_applied() { # "applied N" of the last replay_all's summary
    local v
    v=$(grep -o 'applied [0-9]*' "$T/replay.err" | head -1 | cut -d' ' -f2)
    [ -n "$v" ] || fail "no 'applied N' in replay's summary: $(cat "$T/replay.err")"
    echo "$v"
}

wait_applied() { # n timeout_s: until Redis holds >= n applied events
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        [ "$(redis_applied)" -ge "$1" ] && return 0
        sleep 0.2
    done
    return 1
}

show_stats() { # name: the last stats line (for the test output)
    grep "stats " "$T/$1.log" | tail -1
}
