#!/bin/bash
# Redis stopped for several seconds mid-stream (appendonly, appendfsync
# always) and restarted on the same files: the processor pauses, keeps its
# group membership, retries, resumes; totals equal replay's.
. "$2/tests/stream-lib.sh"
start_broker 4
start_redis
replay_all "$EVENTS"
split -n l/3 -d "$EVENTS" "$T/chunk."
write_conf p g74 "batch.max_events = 20" "batch.max_ms = 5"
produce "$T/chunk.00" json
start_proc p
P=$PROC_PID
wait_stat p applied 1 60 || fail "nothing applied before the outage"
produce "$T/chunk.01" mix &
PR=$!
sleep 0.2
stop_redis
wait "$PR" || fail "produce chunk.01 failed"
produce "$T/chunk.02" json
sleep 4
kill -0 "$P" 2>/dev/null || fail "the processor died while Redis was down"
start_redis
wait_equal 120 || fail "after the Redis outage, live snapshots never equalled replay"
grep -q "pausing consumption" "$T/p.log" || fail "no pause logged during the outage"
grep -q "resuming" "$T/p.log" || fail "no resume logged"
wait_stat p redis_retries 1 5 || fail "no Redis retry counted"
grep -q "partitions revoked" "$T/p.log" && fail "the member lost its partitions during the outage"
stop_proc "$P"
echo "0074-redis-down: OK (redis_retries=$(last_stat p redis_retries))"
