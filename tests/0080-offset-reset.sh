#!/bin/bash
# A committed group position that the broker no longer holds (retention
# dropped it) is a LOUD error, never a silent skip: auto.offset.reset=error,
# an ERROR log line, stats offset_resets, an OFFSET_RESET note in the DLQ,
# and the processor stops with exit status 1.
. "$2/tests/stream-lib.sh"
start_broker 1 # one partition; the dev broker keeps at most 5 MiB per partition
start_redis
head -20 "$EVENTS" >"$T/first.jsonl"
produce "$T/first.jsonl" json
write_conf p1 g80
start_proc p1
wait_stat p1 consumed 20 60 || fail "first events not consumed"
stop_proc "$PROC_PID"
# ~7 MiB of filler (bad events) pushes the committed offset out of the log
python3 -c '
import sys
pad = "x" * 300
for i in range(24000):
    sys.stdout.write("{\"event_id\":\"FILL-%06d\",\"pad\":\"%s\"}\n" % (i, pad))
' >"$T/filler.jsonl"
produce "$T/filler.jsonl" json
start_proc p1
P=$PROC_PID
for _ in $(seq 600); do kill -0 "$P" 2>/dev/null || break; sleep 0.1; done
kill -0 "$P" 2>/dev/null && fail "the processor kept running after an offset reset"
wait "$P"
st=$?
[ $st = 1 ] || fail "exit status $st, want 1"
grep -q "ERROR OFFSET RESET" "$T/p1.log" || fail "no loud log line"
grep -q "offset_resets=1" "$T/p1.log" || fail "offset_resets not counted"
n=$(dlq_count '"reason":"OFFSET_RESET"')
[ "$n" -ge 1 ] || fail "no OFFSET_RESET note in the DLQ"
echo "0080-offset-reset: OK"
