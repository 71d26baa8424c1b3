#!/bin/bash
# Golden stream -> dev broker (JSON and Avro mixed) -> drgdip run -> Redis:
# `drgdip snapshot` equals `drgdip replay` for every region, insurance type
# and month; bad events are in the DLQ; SIGTERM stops the processor cleanly.
. "$2/tests/stream-lib.sh"
start_broker 4
start_redis
replay_all "$EVENTS"
produce "$EVENTS" mix
write_conf p1 g70
start_proc p1
P=$PROC_PID
wait_equal 120 || fail "live snapshots never equalled replay"
wait_stat p1 consumed 3354 60 || fail "not all messages consumed"
stop_proc "$P"
grep -q "leaving the group" "$T/p1.log" || fail "no clean stop"
[ "$(last_stat p1 applied)" = 3279 ] || fail "applied $(last_stat p1 applied), want 3279"
[ "$(last_stat p1 duplicates)" = 64 ] || fail "duplicates $(last_stat p1 duplicates), want 64"
[ "$(last_stat p1 bad)" = 11 ] || fail "bad $(last_stat p1 bad), want 11"
n=$(dlq_count '"reason"')
[ "$n" = 11 ] || fail "DLQ holds $n records, want 11"
# psn_no never stored in clear
redis-cli -s "$T/redis.sock" --scan --pattern 'dd:*:c:*' | head -50 | while read -r k; do
    redis-cli -s "$T/redis.sock" hgetall "$k"
done | grep -q 'P0[0-9]\{10\}' && fail "a clear psn_no is stored in Redis"
compare >/dev/null || fail "totals changed after stop"
echo "0070-stream: OK"
