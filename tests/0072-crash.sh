#!/bin/bash
# Crash safety: the stream is produced in chunks while the processor is
# killed with SIGKILL 6 times at random points mid-stream (tiny batches, so
# kills land between Redis and Kafka commits, mid-batch, ...); a final
# processor finishes: totals equal replay's.
. "$2/tests/stream-lib.sh"
start_broker 4
start_redis
replay_all "$EVENTS"
split -n l/6 -d "$EVENTS" "$T/chunk."
RANDOM=72
kills=0
for c in "$T"/chunk.0*; do
    produce "$c" mix
    name=k$kills
    write_conf "$name" g72 "batch.max_events = 5" "batch.max_ms = 5" "kafka.session.timeout.ms = 3000" "kafka.heartbeat.interval.ms = 300"
    start_proc "$name"
    for _ in $(seq 600); do grep -q "assigned" "$T/$name.log" && break; sleep 0.1; done
    grep -q "assigned" "$T/$name.log" || fail "$name: never assigned"
    sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
    kill -9 "$PROC_PID"
    wait "$PROC_PID" 2>/dev/null
    kills=$((kills + 1))
done
[ $kills -ge 5 ] || fail "only $kills kills"
write_conf final g72 "kafka.session.timeout.ms = 3000" "kafka.heartbeat.interval.ms = 300"
start_proc final
wait_equal 150 || fail "after $kills kills, live snapshots never equalled replay"
sleep 2
compare >"$T/compare.out" || { cat "$T/compare.out"; fail "totals moved after they matched"; }
stop_proc "$PROC_PID"
echo "0072-crash: OK ($kills kills)"
