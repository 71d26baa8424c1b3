#!/bin/bash
# SPEC §8 alerts emitted by `drgdip run` (consumers/dd_stream_alerts):
# 4 generated months (~4,000 settlements, 10 hospitals) with every anomaly of
# `drgdip gen --inject` on its own hospital plus a region budget cut.
# Run 1 (one partition, one event per batch, alerts.eval_interval_ms = 0:
# the stream evaluates after each event exactly as replay does): the ACTIVE alerts (Redis dd:{R}:al) are the
# ones `drgdip replay --alerts --active` reports, and the alert record of
# each (read back from the drgdip.alerts topic) has replay's type, severity,
# value, threshold and occurrence; every injected anomaly's alert is there.
# Run 2 (fresh Redis, normal batches, kill -9 mid-stream, restart): the same
# active id set, no (alert_id, occurrence) of the Redis states missing from
# the topic, duplicates byte-identical, outboxes and owed evaluations empty.
. "$2/tests/lib/stream.sh"
watchdog 420
mkdir -p "$T/data"
{
    head -1 "$ROOT/data/jilin/hospitals.csv"
    grep -E '^(H2201000000[1-9]|H22040000001),' "$ROOT/data/jilin/hospitals.csv"
} >"$T/data/hospitals.csv"
[ "$(wc -l <"$T/data/hospitals.csv")" -eq 11 ] || fail "test hospitals not in the shipped data"
DATA=$T/data
INJ=upcoding=H22010000001,split=H22010000002,spike=H22010000003,lowstd=H22010000004
INJ=$INJ,transfer=H22010000005,special=H22010000006,late=H22010000007,qc=H22010000009
INJ=$INJ,ungroupable=H22040000001,budget=220100
"$BIN" gen --data "$DATA" --month 2025-04 --months 4 --cases 1000 --seed 83 --quiet \
    --inject "$INJ" >"$T/ev.jsonl" 2>"$T/gen.err" || fail "gen: $(cat "$T/gen.err")"
n=$(wc -l <"$T/ev.jsonl")
"$BIN" replay --events "$T/ev.jsonl" --data "$DATA" --alerts --quiet >"$T/replay.alerts" \
    2>"$T/replay.err" || fail "replay --alerts: $(cat "$T/replay.err")"
"$BIN" replay --events "$T/ev.jsonl" --data "$DATA" --alerts --active --quiet >"$T/replay.active" \
    2>>"$T/replay.err" || fail "replay --alerts --active"
[ "$(wc -l <"$T/replay.active")" -ge 11 ] || fail "replay: too few active alerts: $(cat "$T/replay.active")"

start_broker 1
start_redis
produce "$T/ev.jsonl"

# stream_state TOPIC -> $T/TOPIC.topic (kcat) and $T/TOPIC.al (Redis alert states)
stream_state() {
    kcat -b "$BS" -C -t "$1" -o beginning -e -q -f '%s\n' >"$T/$1.topic" 2>/dev/null
    : >"$T/$1.al"
    for k in $(redis-cli -s "$T/redis.sock" --scan --pattern 'dd:*:al'); do
        redis-cli -s "$T/redis.sock" --raw HGETALL "$k" | paste - - >>"$T/$1.al"
    done
}

# check TOPIC strict|ids
check() {
    python3 - "$T" "$1" "$2" <<'EOF' || fail "$1: alerts differ from replay"
import json, sys, subprocess
T, topic, mode = sys.argv[1:4]
rep_emit = {}
for l in open(T + '/replay.alerts', encoding='utf-8'):
    a = json.loads(l)
    rep_emit[(a['alert_id'], a['occurrence'])] = a
rep_active = {}
for l in open(T + '/replay.active', encoding='utf-8'):
    a = json.loads(l)
    rep_active[a['alert_id']] = rep_emit[(a['alert_id'], a['occurrence'])]
recs = {}
for l in open(T + '/' + topic + '.topic', encoding='utf-8'):
    l = l.rstrip('\n')
    if not l:
        continue
    a = json.loads(l)
    k = (a['alert_id'], a['occurrence'])
    assert k not in recs or recs[k] == l, 'duplicate %s not byte-identical' % (k,)
    recs[k] = l
states = {}
for l in open(T + '/' + topic + '.al', encoding='utf-8'):
    aid, v = l.rstrip('\n').split('\t')
    act, occ = v.split(':')
    states[aid] = (act == '1', int(occ))
# every occurrence the states count was produced
for aid, (act, occ) in states.items():
    for o in range(1, occ + 1):
        assert (aid, o) in recs, 'missing from the topic: %s #%d' % (aid, o)
assert len(recs) == sum(o for _, o in states.values()), 'topic has alerts the states do not count'
active = {aid: json.loads(recs[(aid, occ)]) for aid, (act, occ) in states.items() if act}
if set(active) != set(rep_active):
    print('stream only:', sorted(set(active) - set(rep_active)))
    print('replay only:', sorted(set(rep_active) - set(active)))
    sys.exit(1)
bad = 0
for aid, a in sorted(active.items()):
    r = rep_active[aid]
    keys = ['type', 'severity', 'value', 'threshold', 'occurrence', 'explanation'] if mode == 'strict' else ['type']
    for k in keys:
        if a[k] != r[k]:
            print('%s: %s stream %r replay %r' % (aid, k, a[k], r[k]))
            bad += 1
    if mode == 'strict':
        assert json.dumps(a, sort_keys=True) == json.dumps(r, sort_keys=True), aid
if bad:
    sys.exit(1)
want = {'CMI_JUMP': 'H22010000001', 'CC_MCC_SHARE_JUMP': 'H22010000001',
        'SPLIT_ADMISSION': 'H22010000002', 'VOLUME_SPIKE': 'H22010000003',
        'LOW_STANDARD_ADMISSION': 'H22010000004', 'TRANSFER_OUT_RATE': 'H22010000005',
        'SPECIAL_CASE_QUOTA': 'H22010000006', 'LATE_LIST': 'H22010000007',
        'QC_FAILURE_RATE': 'H22010000009', 'GROUPING_RATE_LOW': 'H22040000001',
        'BUDGET_BURN': '220100'}
for t, scope in want.items():
    assert any(a['type'] == t and (a.get('fixmedins_code') or a['admdvs']) == scope
               for a in active.values()), 'injected %s at %s: no active alert' % (t, scope)
print('  %s: %d active alerts equal replay (%s), %d records' % (topic, len(active), mode, len(recs)))
EOF
}

# ---- run 1: one event per batch ----
write_conf r1 g83a "batch.max_events = 1" "alerts.eval_interval_ms = 0" "output.alerts = al.one"
start_proc r1
wait_stat r1 consumed "$n" 200 || fail "run 1: not all consumed ($(last_stat r1 consumed) of $n)"
sleep 2
stop_proc "$PROC_PID"
grep -q "alerts_fired=[1-9]" "$T/r1.log" || fail "run 1: no alerts_fired in the stats line"
stream_state al.one
check al.one strict
for k in $(redis-cli -s "$T/redis.sock" --scan --pattern 'dd:*:a[oe]'); do
    fail "run 1: $k left behind: $(redis-cli -s "$T/redis.sock" HKEYS "$k" | head -3)"
done

# ---- run 2: fresh Redis, default batches, kill -9 mid-stream ----
redis-cli -s "$T/redis.sock" FLUSHALL >/dev/null
# the anomalies are in the last month: kill when some alerts have fired
write_conf r2 g83b "batch.max_events = 50" "output.alerts = al.two"
start_proc r2
wait_applied $((n * 76 / 100)) 60 || fail "run 2: Redis never reached $((n * 76 / 100)) applied events"
kill -9 "$PROC_PID"
wait "$PROC_PID" 2>/dev/null
at=$(redis_applied)
fired=$(redis-cli -s "$T/redis.sock" EVAL \
    "local s=0 for _,k in ipairs(redis.call('KEYS','dd:*:al')) do s=s+redis.call('HLEN',k) end return s" 0)
echo "  run 2: killed at $at applied events, $fired alert ids fired before"
write_conf r2b g83b "batch.max_events = 50" "output.alerts = al.two"
start_proc r2b
wait_stat r2b consumed 1 60 || true
want=$(grep -o 'applied [0-9]*' "$T/replay.err" | head -1 | cut -d' ' -f2)
wait_applied "$want" 120 || fail "run 2: $(redis_applied) applied, want $want"
sleep 3
stop_proc "$PROC_PID"
stream_state al.two
check al.two ids
for k in $(redis-cli -s "$T/redis.sock" --scan --pattern 'dd:*:a[oe]'); do
    fail "run 2: $k left behind"
done
# ---- run 3: recovery at start (no new events) ----
# an outbox entry left by a crash between the transition and the delivery,
# and an evaluation owed by a batch committed just before a crash (here
# LATE_LIST of H22010000007 made inactive by hand: the owed evaluation fires
# it again as occurrence 2)
R=220100
LL=LATE_LIST:$R:H22010000007:2025-04
rc() { redis-cli -s "$T/redis.sock" "$@"; }
rc HSET "dd:{$R}:ao" "TEST:$R:x:2025#1" '{"alert_id":"TEST:220100:x:2025","occurrence":1}' >/dev/null
rc HSET "dd:{$R}:al" "$LL" "0:1" >/dev/null
rc HSET "dd:{$R}:ae" "crashed.1" "M H22010000007 $((2025 * 12 + 3))
" >/dev/null
write_conf r3 g83b "output.alerts = al.three"
start_proc r3
for _ in $(seq 100); do
    [ "$(kcat -b "$BS" -C -t al.three -o beginning -e -q 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.2
done
sleep 1
stop_proc "$PROC_PID"
kcat -b "$BS" -C -t al.three -o beginning -e -q -f '%k %s\n' >"$T/al.three" 2>/dev/null
grep -q "^220100 {\"alert_id\":\"TEST:220100:x:2025\",\"occurrence\":1}$" "$T/al.three" ||
    fail "run 3: the outbox entry was not re-produced: $(cat "$T/al.three")"
grep -q "^220100 {\"alert_id\":\"$LL\",\"occurrence\":2,\"type\":\"LATE_LIST\"" "$T/al.three" ||
    fail "run 3: the owed evaluation did not fire $LL again: $(cat "$T/al.three")"
[ "$(sort -u "$T/al.three" | wc -l)" = 2 ] || fail "run 3: unexpected records: $(cat "$T/al.three")"
[ "$(rc HGET "dd:{$R}:al" "$LL")" = 1:2 ] || fail "run 3: $LL state $(rc HGET "dd:{$R}:al" "$LL")"
for k in $(redis-cli -s "$T/redis.sock" --scan --pattern 'dd:*:a[oe]'); do
    fail "run 3: $k left behind: $(rc HKEYS "$k" | head -3)"
done
echo "  run 3: outbox entry re-produced, owed evaluation done"
echo "0083-stream-alerts: OK ($n events)"
