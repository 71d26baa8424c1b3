#!/bin/bash
# Two processors in one consumer group share the partitions; one is killed
# (SIGKILL) mid-stream, the other takes its partitions over and finishes:
# totals equal replay's.
. "$2/tests/stream-lib.sh"
start_broker 4
start_redis
replay_all "$EVENTS"
split -n l/4 -d "$EVENTS" "$T/chunk."
extra=("batch.max_events = 5" "batch.max_ms = 5" "kafka.session.timeout.ms = 3000"
    "kafka.heartbeat.interval.ms = 300")
write_conf a g73 "${extra[@]}"
write_conf b g73 "${extra[@]}"
produce "$T/chunk.00" json
start_proc a
A=$PROC_PID
start_proc b
B=$PROC_PID
for _ in $(seq 600); do
    grep -q assigned "$T/a.log" && grep -q assigned "$T/b.log" && break
    sleep 0.1
done
grep -q assigned "$T/a.log" && grep -q assigned "$T/b.log" || fail "both members never got partitions"
produce "$T/chunk.01" mix
produce "$T/chunk.02" json
sleep 0.3
kill -9 "$A"
wait "$A" 2>/dev/null
produce "$T/chunk.03" mix
wait_equal 120 || fail "after killing one member, live snapshots never equalled replay"
[ "$(grep -c 'assigned drgdip.settlements' "$T/b.log")" -gt 2 ] ||
    fail "the survivor never took over the partitions"
stop_proc "$B"
compare >/dev/null || fail "totals moved after the survivor stopped"
echo "0073-two-processors: OK"
