# Shared by the streaming integration tests (tests/007x-*.sh), sourced, not a test.
# Args of the sourcing test: $1 drgdip binary, $2 repo root, $3 shared dir.
# Starts a private dev broker (librdkafka mock cluster) and a private
# redis-server on a unix socket, all under one temp dir, and kills only the
# processes it started (by pid) on exit.
set -u
BIN=$1
ROOT=$2
SHARED=$3
EVENTS=$SHARED/golden/replay/stream.jsonl
DATA=$SHARED/golden/replay/data # "" = the shipped data
T=$(mktemp -d /tmp/dd-stream-XXXXXX)
BROKER_PID=
REDIS_PID=
PROC_PIDS=()

cleanup() {
    for p in "${PROC_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    [ -n "$BROKER_PID" ] && kill -TERM "$BROKER_PID" 2>/dev/null
    [ -n "$REDIS_PID" ] && kill -9 "$REDIS_PID" 2>/dev/null
    wait 2>/dev/null
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f (tail)"; tail -15 "$f"; }; done
    exit 1
}

start_broker() { # [partitions]
    "$BIN" dev-broker --partitions "${1:-4}" --bootstrap-file "$T/bs" >"$T/broker.out" 2>"$T/broker.log" &
    BROKER_PID=$!
    for _ in $(seq 100); do [ -s "$T/bs" ] && break; sleep 0.1; done
    [ -s "$T/bs" ] || fail "dev broker did not start"
    BS=$(cat "$T/bs")
}

start_redis() { # appendonly always: an acknowledged commit survives a restart
    redis-server --port 0 --unixsocket "$T/redis.sock" --unixsocketperm 700 --dir "$T" \
        --save '' --appendonly yes --appendfsync always >"$T/redis.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 100); do
        [ "$(redis-cli -s "$T/redis.sock" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.1
    done
    fail "redis did not start"
}

stop_redis() {
    kill -TERM "$REDIS_PID" 2>/dev/null
    wait "$REDIS_PID" 2>/dev/null
    REDIS_PID=
}

REDIS_URL() { echo "unix://$T/redis.sock"; }

write_conf() { # name group [extra lines...]
    local name=$1 group=$2
    shift 2
    {
        echo "kafka.bootstrap.servers = $BS"
        echo "redis.url = unix://$T/redis.sock"
        [ -n "$DATA" ] && echo "data.dir = $DATA"
        echo "group.id = $group"
        echo "pseudonym.key = 00112233445566778899aabbccddeeff"
        echo "kafka.session.timeout.ms = 6000"
        echo "kafka.heartbeat.interval.ms = 500"
        echo "stats.interval_s = 1"
        echo "redis.retry_max_ms = 500"
        for l in "$@"; do echo "$l"; done
    } >"$T/$name.conf"
}

start_proc() { # name -> sets PROC_PID
    "$BIN" run --config "$T/$1.conf" >>"$T/$1.log" 2>&1 &
    PROC_PID=$!
    PROC_PIDS+=("$PROC_PID")
}

stop_proc() { # pid: SIGTERM, wait (bounded)
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$1" 2>/dev/null && { kill -9 "$1"; fail "processor $1 did not stop on SIGTERM"; }
    wait "$1" 2>/dev/null
    local st=$?
    [ $st = 0 ] || fail "processor $1 exited with status $st after SIGTERM (sanitizer report?)"
    return 0
}

produce() { # file [format]
    "$BIN" produce --events "$1" --brokers "$BS" --format "${2:-json}" --quiet ||
        fail "produce $1 failed"
}

replay_all() { # events-file -> $T/replay.all
    "$BIN" replay --events "$1" ${DATA:+--data "$DATA"} --all --quiet >"$T/replay.all" 2>"$T/replay.err" ||
        fail "replay failed"
    [ -s "$T/replay.all" ] || fail "replay printed nothing"
}

compare() { # 0 when every replay scope equals the live snapshot
    python3 "$ROOT/tests/stream_compare.py" "$BIN" "$T/replay.all" "unix://$T/redis.sock" "$DATA"
}

wait_equal() { # timeout_s: wait until the live snapshots equal replay's
    local deadline=$((SECONDS + $1))
    while [ $SECONDS -lt $deadline ]; do
        compare >"$T/compare.out" 2>&1 && return 0
        sleep 1
    done
    cat "$T/compare.out"
    return 1
}

last_stat() { # log field -> value in the last stats line (0 if none)
    local v
    v=$(grep -o "stats .*" "$T/$1.log" | tail -1 | grep -o " $2=[0-9]*" | cut -d= -f2)
    echo "${v:-0}"
}

wait_stat() { # log field value timeout: until last stats field >= value
    local deadline=$((SECONDS + $4))
    while [ $SECONDS -lt $deadline ]; do
        [ "$(last_stat "$1" "$2")" -ge "$3" ] && return 0
        sleep 0.5
    done
    return 1
}

# Kafka offsets are committed after Redis: sum of stored Redis offsets is a
# cheap progress probe. Counts DLQ records with kcat.
dlq_count() { # [pattern]
    kcat -b "$BS" -C -t drgdip.dlq -o beginning -e -q 2>/dev/null | grep -c "${1:-.}"
}
