#!/bin/bash
# failure test: see the description below
# Crash safety at verified mid-stream points: ~4,000 generated events (JSON
# and Avro mixed) are produced by a background producer WHILE the processor
# runs; six times a processor is started, allowed to apply >= 150 more events
# (measured exactly in Redis: the ids in dd:{R}:ev), then after a random
# 0-190 ms (fixed seed) killed with SIGKILL — mid-batch, between the Redis and
# the Kafka commit, mid-rebalance... Each kill must land before the stream is
# complete. A last processor finishes: Redis holds exactly replay's applied
# events and every (region, insutype, month) snapshot equals replay's.
. "$2/tests/lib/stream.sh"
watchdog 170
RANDOM=53
start_broker 4
start_redis
gen_events 1000 "$T/events.jsonl" 53
EVENTS=$T/events.jsonl
replay_all "$EVENTS"
want=$(replay_applied)
# 24 chunks over ~36 s: a processor restart costs a rebalance of a few
# seconds (the killed member's session must expire) and a caught-up processor
# applies a whole chunk in a few ms, so the stream must outlast six restarts.
split_events "$EVENTS" 24
fast=("batch.max_events = 20" "batch.max_ms = 10" "kafka.session.timeout.ms = 3000"
    "kafka.heartbeat.interval.ms = 300")

# The producer keeps sending (a chunk every ~1.5 s) while processors die.
(for c in "$T"/chunk.[0-9]*; do produce "$c" mix; sleep 1.5; done) >"$T/producer.out" 2>&1 &
PRODUCER=$!

kills=0
at=0
for k in 1 2 3 4 5 6; do
    write_conf "k$k" g53 "${fast[@]}"
    start_proc "k$k"
    wait_applied $((at + 150)) 40 || fail "k$k: Redis never reached $((at + 150)) applied events"
    sleep "0.$((RANDOM % 2))$((RANDOM % 10))"
    kill -9 "$PROC_PID"
    wait "$PROC_PID" 2>/dev/null
    at=$(redis_applied)
    [ "$at" -lt "$want" ] || fail "kill $k came after the end of the stream ($at of $want applied)"
    kills=$((kills + 1))
    echo "kill $k at $at of $want applied events"
done
wait "$PRODUCER" || fail "producer failed: $(cat "$T/producer.out")"
write_conf final g53 "${fast[@]}"
start_proc final
F=$PROC_PID
wait_applied "$want" 60 || fail "after $kills kills Redis holds $(redis_applied) applied events, want $want"
[ "$(redis_applied)" = "$want" ] || fail "Redis holds $(redis_applied) applied events, want exactly $want"
term_proc "$F" final
compare >"$T/compare.out" || { cat "$T/compare.out"; fail "after $kills kills, live snapshots never equalled replay"; }
show_stats final
echo "0072-crash: OK ($kills kills mid-stream, $want events applied exactly once)"
