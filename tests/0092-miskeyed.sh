#!/bin/bash
# A producer that breaks SPEC §2 (keyed by setl_id: each case stays in one
# partition, but a hospital is spread over all of them) with two members in
# the group: each hospital's h totals have several writers. The claim in
# dd:{R}:hp turns such a hospital to increments (logged), and a member that
# meets another member's claim redoes its batch: totals equal replay's.
. "$2/tests/stream-lib.sh"
start_broker 4
start_redis
replay_all "$EVENTS"
fast=("batch.max_events = 50" "batch.max_ms = 10")
write_conf p1 g92 "${fast[@]}"
write_conf p2 g92 "${fast[@]}"
start_proc p1
P1=$PROC_PID
for _ in $(seq 300); do grep -q "assigned" "$T/p1.log" && break; sleep 0.1; done
start_proc p2
P2=$PROC_PID
for _ in $(seq 300); do grep -q "assigned" "$T/p2.log" && break; sleep 0.1; done
grep -q "assigned" "$T/p2.log" || fail "the second member was never assigned partitions"
sleep 1
"$BIN" produce --events "$EVENTS" --brokers "$BS" --format mix --key setl_id --quiet ||
    fail "produce --key setl_id failed"
wait_equal 120 || fail "totals of a mis-keyed stream differ from replay's"
cat "$T/p1.log" "$T/p2.log" | grep -q "events from more than one partition" ||
    fail "no warning about hospitals spread over partitions"
n=$(redis-cli -s "$T/redis.sock" --scan --pattern 'dd:{*}:hp' | while read -r k; do
    redis-cli -s "$T/redis.sock" hvals "$k"; done | grep -c '^\*$')
[ "$n" -gt 0 ] || fail "no hospital marked shared in dd:{R}:hp"
stop_proc "$P1"
stop_proc "$P2"
echo "0092-miskeyed: OK ($n hospitals shared)"
