#!/bin/bash
# alerts.eval_interval_ms (consumers/dd_processor.c, dd_stream_alerts
# committed/evaluate): the batches committed between two evaluations are
# evaluated together; their markers (dd:{R}:ae) keep the owed evaluations
# in Redis meanwhile.
# Run 1 (interval 10 min, far beyond the run): after every event is applied
# no alert has been evaluated yet and markers are owed in Redis; SIGTERM
# evaluates them: the active alerts equal replay's, the records are on the
# topic, nothing is left owed.
# Run 2 (fresh Redis, interval 1.5 s): every alert comes while the stream is
# idle, without a stop, and the active alerts equal replay's.
. "$2/tests/lib/stream.sh"
watchdog 240
mkdir -p "$T/data"
{
    head -1 "$ROOT/data/jilin/hospitals.csv"
    grep -E '^(H2201000000[1-5]),' "$ROOT/data/jilin/hospitals.csv"
} >"$T/data/hospitals.csv"
DATA=$T/data
"$BIN" gen --data "$DATA" --month 2025-04 --months 2 --cases 500 --seed 90 --quiet \
    --inject split=H22010000002,spike=H22010000003,lowstd=H22010000004 >"$T/ev.jsonl" \
    2>"$T/gen.err" || fail "gen: $(cat "$T/gen.err")"
n=$(wc -l <"$T/ev.jsonl")
"$BIN" replay --events "$T/ev.jsonl" --data "$DATA" --alerts --active --quiet >"$T/replay.active" \
    2>"$T/replay.err" || fail "replay --alerts --active: $(cat "$T/replay.err")"
want=$(grep -o 'applied [0-9]*' "$T/replay.err" | head -1 | cut -d' ' -f2)
[ "$(wc -l <"$T/replay.active")" -ge 3 ] || fail "replay: too few active alerts"

start_broker 2
start_redis
produce "$T/ev.jsonl"
rc() { redis-cli -s "$T/redis.sock" "$@"; }

# same_active TOPIC: Redis alert states and topic records against replay
same_active() {
    kcat -b "$BS" -C -t "$1" -o beginning -e -q -f '%s\n' >"$T/$1.topic" 2>/dev/null
    : >"$T/$1.al"
    for k in $(rc --scan --pattern 'dd:*:al'); do
        rc --raw HGETALL "$k" | paste - - >>"$T/$1.al"
    done
    python3 - "$T" "$1" <<'EOF' || fail "$1: alerts differ from replay"
import json, sys
T, topic = sys.argv[1:3]
want = {json.loads(l)['alert_id'] for l in open(T + '/replay.active') if l.strip()}
act = set()
for l in open(T + '/' + topic + '.al'):
    aid, v = l.rstrip('\n').split('\t')
    if v.startswith('1:'):
        act.add(aid)
recs = {json.loads(l)['alert_id'] for l in open(T + '/' + topic + '.topic') if l.strip()}
assert act == want, 'active %s, replay %s' % (sorted(act), sorted(want))
assert want <= recs, 'not on the topic: %s' % sorted(want - recs)
print('  %s: %d active alerts equal replay, %d alert ids on the topic' % (topic, len(act), len(recs)))
EOF
}

# ---- run 1: nothing evaluated before the stop ----
write_conf r1 g90a "batch.max_events = 100" "alerts.eval_interval_ms = 600000" \
    "output.alerts = al.one"
start_proc r1
wait_applied "$want" 120 || fail "run 1: $(redis_applied) applied, want $want"
sleep 2
owed=0
for k in $(rc --scan --pattern 'dd:*:ae'); do owed=$((owed + $(rc HLEN "$k"))); done
[ "$owed" -gt 0 ] || fail "run 1: no owed evaluation (dd:*:ae) before the stop"
[ -z "$(rc --scan --pattern 'dd:*:al')" ] || fail "run 1: alerts evaluated before the interval"
echo "  run 1: $owed markers owed after every event applied, no alert state yet"
stop_proc "$PROC_PID"
same_active al.one
for k in $(rc --scan --pattern 'dd:*:a[oe]'); do
    fail "run 1: $k left behind after the stop: $(rc HKEYS "$k" | head -3)"
done

# ---- run 2: evaluated while idle ----
rc FLUSHALL >/dev/null
write_conf r2 g90b "batch.max_events = 100" "alerts.eval_interval_ms = 1500" \
    "output.alerts = al.two"
start_proc r2
wait_applied "$want" 120 || fail "run 2: $(redis_applied) applied, want $want"
ok=
for _ in $(seq 50); do
    if [ -z "$(rc --scan --pattern 'dd:*:ae')" ] && [ -n "$(rc --scan --pattern 'dd:*:al')" ]; then
        ok=1
        break
    fi
    sleep 0.2
done
[ -n "$ok" ] || fail "run 2: owed evaluations not done within 10 s of idling"
sleep 1
same_active al.two
stop_proc "$PROC_PID"
echo "0090-alert-interval: OK ($n events)"
