#!/bin/bash
# failure test: see the description below
# (Written as 0073-two-processors for the lead's failure-test brief; H's own
# 0073 took that name, so this stronger variant lives here.)
# Two processors in ONE consumer group share 6 partitions; one of them is
# killed with SIGKILL mid-stream (while it is consuming its share and a chunk
# is being produced), the other takes its partitions over after the session
# timeout, then a third member joins and takes some back: partitions move
# between members three times while events keep arriving, so a member must
# drop its case cache on revoke/assign (b caches every partition first).
# ~4,800 generated events (gen --cases 1200), JSON and Avro mixed. Totals
# (`drgdip snapshot`) equal `drgdip replay`'s for every region, insurance type
# and month, before and after SIGTERM stops (exit 0) of the survivors.
. "$2/tests/lib/stream.sh"
watchdog 170
RANDOM=51
start_broker 6
start_redis
gen_events 1200 "$T/events.jsonl" 51
EVENTS=$T/events.jsonl
total=$(wc -l <"$EVENTS")
replay_all "$EVENTS"
want=$(replay_applied)
split_events "$EVENTS" 8
fast=("batch.max_events = 20" "batch.max_ms = 10" "kafka.session.timeout.ms = 3000"
    "kafka.heartbeat.interval.ms = 300")
write_conf b g51 "${fast[@]}"
write_conf a g51 "${fast[@]}"
write_conf c g51 "${fast[@]}"

# b alone first: it owns (and caches cases of) every partition.
start_proc b
B=$PROC_PID
wait_log b "assigned" 30 || fail "b: never assigned"
produce "$T/chunk.00" mix
wait_stat b consumed 1 30 || fail "b consumed nothing"

# a joins: the group rebalances, b gives partitions away.
start_proc a
A=$PROC_PID
wait_log a "assigned" 40 || fail "a: never assigned (no rebalance)"
produce "$T/chunk.01" mix
produce "$T/chunk.02" mix
wait_stat a consumed 1 30 || fail "a consumed nothing of its share"
a_parts=$(assigned_parts a | tr '\n' ' ')
[ -n "$a_parts" ] || fail "a owns no partition"

# kill a while it is consuming: a chunk is being produced right now.
produce "$T/chunk.03" mix &
PRODUCER=$!
before=$(last_stat a consumed)
sleep "0.$((RANDOM % 5))$((RANDOM % 10))"
from=$(($(log_lines b) + 1))
kill -9 "$A"
wait "$A" 2>/dev/null
wait "$PRODUCER" || fail "produce chunk.03 failed"
alive "$B" || fail "b died when a was killed"
echo "[${SECONDS}s] a killed (had consumed >= $before, owned partitions $a_parts)"

produce "$T/chunk.04" mix
# b takes a's partitions over once the coordinator expires a's session.
for p in $a_parts; do
    deadline=$((SECONDS + 40))
    while ! assigned_parts b "$from" | grep -qx "$p"; do
        [ $SECONDS -lt $deadline ] || fail "b never took over partition $p of the killed a"
        sleep 0.2
    done
done
produce "$T/chunk.05" mix
echo "[${SECONDS}s] b took over $a_parts"

# a third member joins mid-stream: b gives partitions away again.
start_proc c
C=$PROC_PID
wait_log c "assigned" 40 || fail "c: never assigned"
produce "$T/chunk.06" mix
produce "$T/chunk.07" mix
echo "[${SECONDS}s] c joined, all events produced"

wait_applied "$want" 60 || fail "Redis holds $(redis_applied) applied events, want $want"
[ "$(redis_applied)" = "$want" ] || fail "Redis holds $(redis_applied) applied events, want exactly $want"
echo "[${SECONDS}s] Redis holds all $want applied events"
alive "$B" || fail "b died"
alive "$C" || fail "c died"
sleep 1.2 # a stats line after the last batch
[ "$(last_stat c consumed)" -gt 0 ] || fail "c consumed nothing (no sharing after the rebalance)"
term_proc "$B" b
term_proc "$C" c
compare >"$T/compare.out" || { cat "$T/compare.out"; fail "after the kill, live snapshots never equalled replay"; }
show_stats b
show_stats c
echo "0073-two-processors: OK ($total events, a killed mid-stream after consuming >= $before)"
