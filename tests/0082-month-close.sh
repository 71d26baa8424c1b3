#!/bin/bash
# Month close under kill -9 (issue 4): a generated month 2025-03 is
# streamed; then MONTH_CLOSE events for every (region, insutype) with data
# are produced TWICE each (the deterministic id and another id), in three
# chunks, and the processor is killed with SIGKILL after each chunk (during
# or right after the closes) and restarted. Checks: (1) exactly one snapshot
# key per (R, ins, 2025-03) in Redis; (2) on drgdip.snapshots every record
# of one snapshot id is byte-identical, every id is there and at least one
# id appears more than once; (3) each stored snapshot equals `drgdip replay`
# of the same events except `kind`; (4) corrections for March (a reversal of
# an eligible case in one scope, a new eligible case in another), then
# 2025-04 (no data) is closed for both scopes: its late_adjustments equal
# the net change of March's eligible cases / points between two replays,
# its hospital list is empty, and March's stored snapshots are unchanged
# byte for byte.
. "$2/tests/lib/stream.sh"
watchdog 170
RANDOM=82
start_broker 4
start_redis
gen_events 3000 "$T/events.jsonl" 82
replay_all "$T/events.jsonl"
cp "$T/replay.all" "$T/replay.before"
want=$(replay_applied)
produce "$T/events.jsonl" mix
fast=("batch.max_events = 200" "batch.max_ms = 10" "kafka.session.timeout.ms = 3000"
    "kafka.heartbeat.interval.ms = 300")
write_conf p0 g82 "${fast[@]}"
start_proc p0
wait_applied "$want" 60 || fail "Redis holds $(redis_applied) applied events, want $want"

R() { redis-cli -s "$T/redis.sock" "$@"; }
snap_keys() { R --scan --pattern "dd:{*}:snap:*:$1" | sort; }

# scopes of March with data: "R ins" lines
python3 - "$T/replay.all" >"$T/scopes" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r['month'] == '2025-03':
        print(r['admdvs'], r['insutype'])
EOF
nscopes=$(wc -l <"$T/scopes")
[ "$nscopes" -ge 10 ] || fail "only $nscopes scopes with data"

close_lines() { # month [alt-suffix]: one "admdvs|json" line per scope of $T/scopes
    while read -r r i; do
        id="MONTH_CLOSE:$r:$i:$1"
        [ -n "${2:-}" ] && id="close-$r-$i-$1-$2"
        echo "$r|{\"event_id\":\"$id\",\"type\":\"MONTH_CLOSE\",\"event_time\":\"2025-04-10T00:00:00+08:00\",\"admdvs\":\"$r\",\"insutype\":\"$i\",\"month\":\"$1\"}"
    done
}
kprod() { kcat -P -b "$BS" -t drgdip.settlements -K '|' -l "$1" 2>>"$T/kcat.err" || fail "kcat produce failed"; }
close_lines 2025-03 <"$T/scopes" >"$T/c1"
close_lines 2025-03 alt <"$T/scopes" >"$T/c2"
# three chunks mixing both ids
cat "$T/c1" "$T/c2" | awk 'NR % 3 == 1' >"$T/chunk.a"
cat "$T/c1" "$T/c2" | awk 'NR % 3 == 2' >"$T/chunk.b"
cat "$T/c1" "$T/c2" | awk 'NR % 3 == 0' >"$T/chunk.c"

kills=0
k=0
for c in a b c; do
    kprod "$T/chunk.$c"
    before=$(snap_keys 2025-03 | wc -l)
    # kill during the closes: as soon as one more snapshot is stored (or a few ms later)
    for _ in $(seq 100); do [ "$(snap_keys 2025-03 | wc -l)" -gt "$before" ] && break; sleep 0.05; done
    sleep "0.0$((RANDOM % 10))"
    kill -9 "$PROC_PID"
    wait "$PROC_PID" 2>/dev/null
    kills=$((kills + 1))
    echo "kill $kills after chunk $c: $(snap_keys 2025-03 | wc -l) of $nscopes closed"
    k=$((k + 1))
    write_conf "p$k" g82 "${fast[@]}"
    start_proc "p$k"
done
deadline=$((SECONDS + 60))
while [ "$(snap_keys 2025-03 | wc -l)" -lt "$nscopes" ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
# one more kill after every close is stored (outputs maybe in flight), then a clean run
sleep 0.$((RANDOM % 5))
kill -9 "$PROC_PID"
wait "$PROC_PID" 2>/dev/null
kills=$((kills + 1))
write_conf final g82 "${fast[@]}"
start_proc final
F=$PROC_PID
wait_log final "assigned" 30 || fail "final processor never got partitions"

# (1) exactly one snapshot key per scope
snap_keys 2025-03 >"$T/keys"
[ "$(wc -l <"$T/keys")" = "$nscopes" ] || fail "$(wc -l <"$T/keys") snapshot keys for $nscopes scopes"
while read -r r i; do
    grep -qx "dd:{$r}:snap:$i:2025-03" "$T/keys" || fail "no snapshot key for $r $i"
done <"$T/scopes"

# the Avro form is stored with it (single-object marker C3 01)
while read -r r i; do
    [ "$(R --raw HGET "dd:{$r}:snap:$i:2025-03" avro | head -c 2 | od -An -tx1 | tr -d ' \n')" = c301 ] ||
        fail "no Avro single-object form stored for $r $i"
done <"$T/scopes"

# (3) stored snapshot == replay (except kind)
for_scopes_closed() { # month -> $T/closed.<month> (one JSON line per scope)
    : >"$T/closed.$1"
    while read -r r i; do
        "$BIN" snapshot --closed --region "$r" --insutype "$i" --month "$1" --redis "unix://$T/redis.sock" \
            --data "$DATA" >>"$T/closed.$1" 2>>"$T/snapshot.err" || fail "snapshot --closed $r $i $1: $(tail -1 "$T/snapshot.err")"
    done <"$T/scopes"
}
for_scopes_closed 2025-03
python3 - "$T/closed.2025-03" "$T/replay.before" <<'EOF' || fail "stored MONTH_CLOSE snapshots differ from replay"
import json, sys
rep = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    rep[(r['admdvs'], r['insutype'], r['month'])] = r
bad = 0
for l in open(sys.argv[1]):
    s = json.loads(l)
    if s.pop('kind') != 'MONTH_CLOSE':
        print('kind is not MONTH_CLOSE'); bad += 1
    r = dict(rep[(s['admdvs'], s['insutype'], s['month'])])
    r.pop('kind')
    if r != s:
        bad += 1
        print('DIFF', s['admdvs'], s['insutype'], json.dumps(s)[:300], json.dumps(r)[:300])
sys.exit(1 if bad else 0)
EOF
"$BIN" snapshot --closed --region 220100 --insutype 310 --month 2024-01 --redis "unix://$T/redis.sock" \
    --data "$DATA" >/dev/null 2>"$T/notclosed.err" && fail "snapshot --closed of a month never closed succeeded"
grep -q "not closed" "$T/notclosed.err" || fail "no 'not closed' message: $(cat "$T/notclosed.err")"

# (4) corrections for March: a reversal of an eligible case in scope A, a
# new eligible case (a copy of one with new ids) in scope B
python3 - "$T/events.jsonl" "$T/replay.before" "$T/corr.jsonl" "$T/ab" <<'EOF' || fail "cannot pick corrections"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for e in evs:
    if 'setl_id' in e:
        by.setdefault(e['setl_id'], []).append(e)
def simple_eligible(es):
    t = [e['type'] for e in es]
    if sorted(set(t)) != ['QC_RESULT', 'RECONCILED', 'SETTLEMENT', 'SETTLEMENT_LIST']:
        return False
    if t.count('SETTLEMENT') != 1 or t.count('SETTLEMENT_LIST') != 1 or t.count('QC_RESULT') != 1:
        return False
    return all(e.get('passed', True) is True for e in es if e['type'] == 'QC_RESULT')
cands = [(sid, es) for sid, es in by.items() if simple_eligible(es)]
cands.sort(key=lambda x: x[0])
a_sid, a_es = cands[0]
s_a = [e for e in a_es if e['type'] == 'SETTLEMENT'][0]
scope_a = (s_a['admdvs'], str(s_a['insutype']))
b = None
for sid, es in cands[1:]:
    s = [e for e in es if e['type'] == 'SETTLEMENT'][0]
    if (s['admdvs'], str(s['insutype'])) != scope_a:
        b = (sid, es, (s['admdvs'], str(s['insutype'])))
        break
b_sid, b_es, scope_b = b
out = open(sys.argv[3], 'w')
out.write(json.dumps({'event_id': 'late-rev-1', 'type': 'SETTLEMENT_REVERSAL',
                      'event_time': '2025-04-15T10:00:00+08:00', 'admdvs': s_a['admdvs'],
                      'fixmedins_code': s_a['fixmedins_code'], 'setl_id': a_sid}) + '\n')
for e in b_es:
    c = dict(e)
    c['event_id'] = 'late-new-' + e['event_id']
    c['setl_id'] = b_sid + 'L'
    if 'mdtrt_id' in c:
        c['mdtrt_id'] = c['mdtrt_id'] + 'L'
    out.write(json.dumps(c, ensure_ascii=False) + '\n')
out.close()
open(sys.argv[4], 'w').write('%s %s\n%s %s\n' % (scope_a + scope_b))
EOF
cat "$T/events.jsonl" "$T/corr.jsonl" >"$T/events2.jsonl"
replay_all "$T/events2.jsonl"
cp "$T/replay.all" "$T/replay.after"
want2=$(replay_applied)
[ "$want2" = $((want + $(wc -l <"$T/corr.jsonl"))) ] || fail "corrections: replay applied $want2, want $want + $(wc -l <"$T/corr.jsonl")"
cp "$T/closed.2025-03" "$T/closed.march.before"
produce "$T/corr.jsonl" json
wait_applied "$((want2 + 2 * nscopes))" 60 || fail "corrections not applied: $(redis_applied) of $((want2 + 2 * nscopes))"
# the LIVE snapshot of April shows the not yet reported corrections of March
live_late() { # month -> one late_adjustments JSON per line of $T/ab
    while read -r r i; do
        "$BIN" snapshot --region "$r" --insutype "$i" --month "$1" --redis "unix://$T/redis.sock" \
            --data "$DATA" 2>>"$T/snapshot.err" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["late_adjustments"]))' ||
            fail "live snapshot $r $i $1"
    done <"$T/ab"
}
live_late 2025-04 >"$T/live.late.2025-04"
# close April (no data) for scopes A and B, twice each
cp "$T/scopes" "$T/scopes.all"
cp "$T/ab" "$T/scopes"
# March is closed again first (new ids): it must re-emit the stored
# snapshot, not one with the corrections
close_lines 2025-03 again <"$T/ab" >"$T/c3again"
from=$(log_lines final)
kprod "$T/c3again"
deadline=$((SECONDS + 30))
while [ "$(tail -n "+$from" "$T/final.log" | grep -c "month already closed: .* 2025-03")" -lt 2 ] &&
    [ $SECONDS -lt $deadline ]; do sleep 0.2; done
[ "$(tail -n "+$from" "$T/final.log" | grep -c "month already closed: .* 2025-03")" = 2 ] ||
    fail "March closed again: no re-emission logged"
{ close_lines 2025-04 <"$T/ab"; close_lines 2025-04 alt <"$T/ab"; } >"$T/c4"
kprod "$T/c4"
deadline=$((SECONDS + 30))
while [ "$(snap_keys 2025-04 | wc -l)" -lt 2 ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
[ "$(snap_keys 2025-04 | wc -l)" = 2 ] || fail "April snapshots: $(snap_keys 2025-04 | wc -l), want 2"
for_scopes_closed 2025-04
python3 - "$T/replay.before" "$T/replay.after" "$T/closed.2025-04" <<'EOF' || fail "April late adjustments wrong"
import json, sys
from decimal import Decimal
def load(f):
    d = {}
    for l in open(f):
        r = json.loads(l)
        if r['month'] == '2025-03':
            d[(r['admdvs'], r['insutype'])] = (sum(h['eligible_cases'] for h in r['hospitals']),
                                               Decimal(r['points']))
    return d
b, a = load(sys.argv[1]), load(sys.argv[2])
bad = 0
for l in open(sys.argv[3]):
    s = json.loads(l)
    k = (s['admdvs'], s['insutype'])
    want_c = a[k][0] - b[k][0]
    want_p = a[k][1] - b[k][1]
    got = s['late_adjustments']
    print('April %s %s: late %s cases %s points (want %d, %s)' % (k[0], k[1], got['cases'], got['points'], want_c, want_p))
    if got['cases'] != want_c or Decimal(got['points']) != want_p or s['hospitals'] != [] or s['kind'] != 'MONTH_CLOSE':
        bad += 1
    if want_c == 0 and want_p == 0:
        print('corrections changed nothing in', k); bad += 1
sys.exit(1 if bad else 0)
EOF
python3 -c 'import json,sys; print("\n".join(json.dumps(json.loads(l)["late_adjustments"]) for l in open(sys.argv[1])))' \
    "$T/closed.2025-04" >"$T/closed.late.2025-04"
cmp -s "$T/live.late.2025-04" "$T/closed.late.2025-04" ||
    fail "LIVE late adjustments before the close $(cat "$T/live.late.2025-04") != closed $(cat "$T/closed.late.2025-04")"
live_late 2025-05 >"$T/live.late.2025-05"
[ "$(sort -u "$T/live.late.2025-05")" = '{"cases": 0, "points": "0.0000"}' ] ||
    fail "after the April close, LIVE May still shows late adjustments: $(cat "$T/live.late.2025-05")"
while read -r r i; do R --raw HGET "dd:{$r}:snap:$i:2025-03" json; done <"$T/scopes.all" >"$T/closed.2025-03"
cmp -s "$T/closed.2025-03" "$T/closed.march.before" || fail "a closed March snapshot was rewritten"

# (2) the topic: per snapshot id identical records; every id; some id twice
term_proc "$F" final
kcat -C -b "$BS" -t drgdip.snapshots -o beginning -e -q -f '%h\t%s\n' >"$T/snaps.out" 2>>"$T/kcat.err" ||
    fail "kcat consume failed"
python3 - "$T/snaps.out" "$T/scopes.all" "$T/ab" "$T/closed.2025-03" "$T/closed.2025-04" <<'EOF' || fail "snapshot topic check failed"
import sys
recs = {}
for l in open(sys.argv[1], encoding='utf-8'):
    l = l.rstrip('\n')
    if not l:
        continue
    h, body = l.split('\t', 1)
    assert h.startswith('snapshot_id='), h
    recs.setdefault(h[len('snapshot_id='):], []).append(body)
want = ['MONTH_CLOSE:%s:%s:2025-03' % tuple(l.split()) for l in open(sys.argv[2])]
want += ['MONTH_CLOSE:%s:%s:2025-04' % tuple(l.split()) for l in open(sys.argv[3])]
stored = set(l.rstrip('\n') for f in sys.argv[4:6] for l in open(f, encoding='utf-8'))
bad = 0
for i in want:
    if i not in recs:
        print('missing on the topic:', i); bad += 1
for i, bodies in recs.items():
    if i not in want:
        print('unexpected id', i); bad += 1
    if len(set(bodies)) != 1:
        print('records of', i, 'differ'); bad += 1
    elif bodies[0] not in stored:
        print('record of', i, 'differs from the stored snapshot'); bad += 1
dups = sum(1 for b in recs.values() if len(b) > 1)
print('%d ids, %d records, %d ids repeated' % (len(recs), sum(len(b) for b in recs.values()), dups))
if dups == 0:
    print('no id appears twice'); bad += 1
sys.exit(1 if bad else 0)
EOF
grep -q "month closed: " "$T/p0.log" "$T"/p[0-9].log "$T/final.log" || fail "no 'month closed' log line"
show_stats final
echo "0082-month-close: OK ($nscopes scopes closed once under $kills kills; April late adjustments exact)"
