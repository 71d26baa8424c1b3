#!/bin/bash
# Hospital totals (dd:{R}:h:...) are written as new values computed from the
# processor's cache, not as increments. (1) A second processor (new group,
# empty cache) re-reads them from Redis and continues them exactly: the
# stream re-sent as new cases is added on top, totals equal replay's over
# both copies. (1b) When the hospital's writer claim (dd:{R}:hp) is taken
# away behind the running member's back, its next batch is refused
# (DDOWNER), redone with increments, and totals still equal replay's.
# (2) A hospital total that is not an int64 stops the processor with a clear
# error before anything of its batch is written.
. "$2/tests/stream-lib.sh"
start_broker 4
start_redis
produce "$EVENTS" json
write_conf p1 g91a
start_proc p1
wait_stat p1 consumed 3354 120 || fail "first pass: not all consumed"
stop_proc "$PROC_PID"

# (1) the same events as new cases (new event and settlement ids) in the same
# hospitals and months, read by a new group with an empty cache
sed -e 's/"event_id": *"/&R/' -e 's/"setl_id": *"/&R/' "$EVENTS" >"$T/renamed.jsonl"
grep -q '"event_id": *"R' "$T/renamed.jsonl" || fail "could not rename the event ids"
cat "$EVENTS" "$T/renamed.jsonl" >"$T/both.jsonl"
replay_all "$T/both.jsonl"
produce "$T/renamed.jsonl" avro
write_conf p2 g91b
start_proc p2
wait_stat p2 consumed 6708 120 || fail "second pass: not all consumed"
wait_equal 60 || fail "totals after a restart with an empty cache differ from replay's"

# (1b) behind the running member's back, every hospital is marked as written
# by several partitions ("*"): its next claims fail (DDOWNER), the batch is
# redone with increments, and a third copy still adds up exactly
for k in $(redis-cli -s "$T/redis.sock" --scan --pattern 'dd:{*}:hp'); do
    for f in $(redis-cli -s "$T/redis.sock" hkeys "$k"); do
        redis-cli -s "$T/redis.sock" hset "$k" "$f" '*' >/dev/null
    done
done
sed -e 's/"event_id": *"/&T/' -e 's/"setl_id": *"/&T/' "$EVENTS" >"$T/third.jsonl"
cat "$T/both.jsonl" "$T/third.jsonl" >"$T/three.jsonl"
replay_all "$T/three.jsonl"
produce "$T/third.jsonl" json
wait_equal 60 || fail "totals after claims taken away differ from replay's"
grep -q "DDOWNER .* batch redone" "$T/p2.log" || fail "no batch redone after a lost claim"
stop_proc "$PROC_PID"

# (2) a poisoned hospital total: a third copy touches every hospital again
key=$(redis-cli -s "$T/redis.sock" --scan --pattern 'dd:{*}:h:*' | sort | head -1)
[ -n "$key" ] || fail "no hospital totals in Redis"
field=$(redis-cli -s "$T/redis.sock" hkeys "$key" | head -1)
redis-cli -s "$T/redis.sock" hset "$key" "$field" x1 >/dev/null
sed 's/"event_id": *"/&S/' "$EVENTS" >"$T/fourth.jsonl"
produce "$T/fourth.jsonl" json
write_conf p3 g91c
start_proc p3
for _ in $(seq 600); do kill -0 "$PROC_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PROC_PID" 2>/dev/null && fail "processor kept running with a non-integer hospital total"
wait "$PROC_PID"
st=$?
[ $st = 1 ] || fail "processor exit status $st, want 1"
grep -q "ERROR $key $field is not an int64" "$T/p3.log" ||
    fail "no clear error naming $key $field"
[ "$(redis-cli -s "$T/redis.sock" hget "$key" "$field")" = x1 ] || fail "the poisoned field changed"
echo "0091-hospital-totals: OK"
