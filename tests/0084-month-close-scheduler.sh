#!/bin/bash
# The month-close scheduler (month_close.scheduler = on, check_s = 1): with
# month_close.now one second before the cut-off of 2025-03
# (2025-04-09T23:59:59+08:00) nothing is closed and no MONTH_CLOSE is
# produced; at the cut-off (2025-04-10T00:00:00+08:00) every (region,
# insutype) with March data gets exactly one MONTH_CLOSE event on the input
# topic from each of two processors (same deterministic id) and is closed
# once; the snapshot equals replay except kind; a third check round emits
# nothing more.
. "$2/tests/lib/stream.sh"
watchdog 120
start_broker 4
start_redis
gen_events 600 "$T/events.jsonl" 84
replay_all "$T/events.jsonl"
want=$(replay_applied)
nscopes=$(grep -c '"month":"2025-03"' "$T/replay.all")
[ "$nscopes" -ge 10 ] || fail "only $nscopes scopes with data"
produce "$T/events.jsonl" json
R() { redis-cli -s "$T/redis.sock" "$@"; }
snap_keys() { R --scan --pattern 'dd:{*}:snap:*:2025-03' | wc -l; }
closes_on_topic() {
    kcat -C -b "$BS" -t drgdip.settlements -o beginning -e -q 2>/dev/null | grep -c '"type":"MONTH_CLOSE"'
}
sched=("month_close.scheduler = on" "month_close.check_s = 1" "batch.max_ms = 10")

write_conf early g84 "${sched[@]}" "month_close.now = 2025-04-09T23:59:59+08:00"
start_proc early
wait_applied "$want" 60 || fail "Redis holds $(redis_applied) applied events, want $want"
# a few scheduler rounds after all data is in
sleep 3.5
[ "$(snap_keys)" = 0 ] || fail "$(snap_keys) months closed before the cut-off"
[ "$(closes_on_topic)" = 0 ] || fail "MONTH_CLOSE produced before the cut-off"
grep -q "month-close scheduler on" "$T/early.log" || fail "scheduler not on"
term_proc "$PROC_PID" early

# two processors at the cut-off: each emits once per scope (same event ids)
# (snapshots as Avro: each record is the stored Avro form)
write_conf on1 g84 "${sched[@]}" "month_close.now = 2025-04-10T00:00:00+08:00" "output.format = avro"
write_conf on2 g84 "${sched[@]}" "month_close.now = 2025-04-10T00:00:00+08:00" "output.format = avro"
start_proc on1
P1=$PROC_PID
start_proc on2
P2=$PROC_PID
deadline=$((SECONDS + 60))
while [ "$(snap_keys)" -lt "$nscopes" ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
[ "$(snap_keys)" = "$nscopes" ] || fail "$(snap_keys) of $nscopes months closed after the cut-off"
sleep 3 # more scheduler rounds: nothing new may be emitted
n1=$(grep -c "month-close scheduler: emitted" "$T/on1.log")
n2=$(grep -c "month-close scheduler: emitted" "$T/on2.log")
[ $((n1 + n2)) -ge "$nscopes" ] || fail "scheduler emitted $n1 + $n2 events for $nscopes scopes"
[ "$n1" -le "$nscopes" ] && [ "$n2" -le "$nscopes" ] || fail "a scheduler emitted twice ($n1, $n2)"
c=$(closes_on_topic)
[ "$c" = $((n1 + n2)) ] || fail "$c MONTH_CLOSE events on the topic, the logs say $((n1 + n2))"
kcat -C -b "$BS" -t drgdip.settlements -o beginning -e -q 2>/dev/null | grep '"type":"MONTH_CLOSE"' |
    sed 's/.*"event_id":"\([^"]*\)".*/\1/' | sort | uniq -c | awk '$1 > 2 {print; bad=1} END {exit bad}' ||
    fail "an event id was emitted more than once per processor"
term_proc "$P1" on1
term_proc "$P2" on2
: >"$T/closed"
grep '"month":"2025-03"' "$T/replay.all" | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l); print(r["admdvs"], r["insutype"])' >"$T/scopes"
while read -r r i; do
    "$BIN" snapshot --closed --region "$r" --insutype "$i" --month 2025-03 --redis "unix://$T/redis.sock" \
        --data "$DATA" >>"$T/closed" 2>>"$T/snapshot.err" || fail "not closed: $r $i"
done <"$T/scopes"
# every snapshot record is the stored Avro single-object form (same length)
kcat -C -b "$BS" -t drgdip.snapshots -o beginning -e -q -f '%h %S\n' >"$T/snaps.out" 2>/dev/null
[ "$(wc -l <"$T/snaps.out")" -ge "$nscopes" ] || fail "only $(wc -l <"$T/snaps.out") snapshot records"
while read -r h size; do
    id=${h#snapshot_id=}
    IFS=: read -r _ r i m <<<"$id"
    [ "$(R HSTRLEN "dd:{$r}:snap:$i:$m" avro)" = "$size" ] || fail "record of $id: $size bytes, not the stored Avro form"
    [ "$(R --raw HGET "dd:{$r}:snap:$i:$m" avro | head -c 2 | od -An -tx1 | tr -d ' \n')" = c301 ] ||
        fail "stored Avro form of $id is not single-object"
done <"$T/snaps.out"
python3 - "$T/closed" "$T/replay.all" <<'EOF' || fail "scheduled snapshots differ from replay"
import json, sys
rep = {}
for l in open(sys.argv[2]):
    r = json.loads(l); r.pop('kind'); rep[(r['admdvs'], r['insutype'], r['month'])] = r
bad = 0
for l in open(sys.argv[1]):
    s = json.loads(l)
    assert s.pop('kind') == 'MONTH_CLOSE'
    if rep[(s['admdvs'], s['insutype'], s['month'])] != s:
        print('DIFF', s['admdvs'], s['insutype']); bad += 1
sys.exit(1 if bad else 0)
EOF
echo "0084-month-close-scheduler: OK ($nscopes scopes closed at the cut-off, none before; $n1 + $n2 events emitted)"
