#!/bin/bash
# Redelivery: a new consumer group on the same Redis re-reads the whole topic
# (as if the Kafka offsets were lost) -> every event is skipped by the Redis
# offsets, totals unchanged; then the whole stream is re-sent (same event
# ids, new offsets) -> every event is a duplicate, totals unchanged.
. "$2/tests/stream-lib.sh"
start_broker 4
start_redis
replay_all "$EVENTS"
produce "$EVENTS" json
write_conf p1 g71a
start_proc p1
wait_equal 120 || fail "first pass never equalled replay"
wait_stat p1 consumed 3354 60 || fail "first pass: not all consumed"
stop_proc "$PROC_PID"

write_conf p2 g71b
start_proc p2
wait_stat p2 consumed 3354 120 || fail "new group: not all consumed"
wait_stat p2 redelivered 3343 10 || fail "new group: redelivered $(last_stat p2 redelivered), want 3343"
[ "$(last_stat p2 applied)" = 0 ] || fail "new group applied $(last_stat p2 applied) events again"
compare >"$T/compare.out" || { cat "$T/compare.out"; fail "totals changed after redelivery"; }

produce "$EVENTS" mix
wait_stat p2 consumed 6708 120 || fail "re-sent stream: not all consumed"
wait_stat p2 duplicates 3343 10 || fail "re-sent: duplicates $(last_stat p2 duplicates), want 3343"
[ "$(last_stat p2 applied)" = 0 ] || fail "re-sent events applied: $(last_stat p2 applied)"
compare >"$T/compare.out" || { cat "$T/compare.out"; fail "totals changed after re-sent events"; }
stop_proc "$PROC_PID"
echo "0071-redelivery: OK"
