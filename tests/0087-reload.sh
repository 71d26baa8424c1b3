#!/bin/bash
# SIGHUP reload of `drgdip run` (SPEC §9: a changed table or policy applies
# to events processed after the reload; history is not re-scored).
# data.dir = an override directory, empty at start (= the shipped data).
# 1. Month A (2025-03) is applied with the shipped tables.
# 2. The DRG weight table of 220100 is replaced (every weight doubled),
#    SIGHUP: the log says "reloaded tables from DIR", same pid, reloads=1.
# 3. Month B (2025-04, no BUDGET events) is applied: the live snapshots of
#    the A scopes equal a replay with the OLD tables, those of the B scopes a
#    replay with the NEW tables (and the new tables really change B); every
#    case result of 220100 carries the weight of the table in force when it
#    was scored (A: shipped weight, B: doubled).
# 4. A broken policy file + SIGHUP: "reload failed: ..." logged, the process
#    keeps running with the current tables and applies month C (2025-05).
# 5. A hospital removed from hospitals.csv + SIGHUP: its events of month D
#    (2025-06) go to the DLQ (UNKNOWN_HOSPITAL), the rest equal replay.
# Same pid and one "consuming" line throughout: no restart.
. "$2/tests/lib/stream.sh"
watchdog 300
mkdir -p "$T/data" "$T/new/drg"
R=220100
"$BIN" gen --month 2025-03 --cases 300 --seed 1 --quiet >"$T/a.jsonl" 2>"$T/gen.err" || fail "gen A"
"$BIN" gen --month 2025-04 --cases 300 --seed 2 --quiet 2>>"$T/gen.err" |
    grep -v '"type":"BUDGET"' >"$T/b.jsonl" || fail "gen B"
"$BIN" gen --month 2025-05 --cases 100 --seed 3 --quiet 2>>"$T/gen.err" |
    grep -v '"type":"BUDGET"' >"$T/c.jsonl" || fail "gen C"
cat "$T/a.jsonl" "$T/b.jsonl" >"$T/ab.jsonl"
cat "$T/ab.jsonl" "$T/c.jsonl" >"$T/abc.jsonl"
# the new 220100 table: every weight doubled (exact decimal arithmetic)
python3 "$ROOT/tests/lib/double_weights.py" "$ROOT/data/jilin/drg/$R.csv" "$T/new/drg/$R.csv" ||
    fail "new table"

replay() { # events data out
    "$BIN" replay --events "$1" --data "$2" --all --quiet >"$3" 2>"$3.err" || fail "replay $1: $(cat "$3.err")"
}
replay "$T/ab.jsonl" "$T/data" "$T/old.all"
replay "$T/ab.jsonl" "$T/new" "$T/new.all"
replay "$T/abc.jsonl" "$T/new" "$T/newc.all"
grep '"month":"2025-03"' "$T/old.all" >"$T/expect.ab"
grep '"month":"2025-04"' "$T/new.all" >>"$T/expect.ab"
grep "\"admdvs\":\"$R\".*\"month\":\"2025-04\"" "$T/old.all" >"$T/b.old.$R"
grep "\"admdvs\":\"$R\".*\"month\":\"2025-04\"" "$T/new.all" >"$T/b.new.$R"
[ -s "$T/b.new.$R" ] || fail "no $R scope in month B"
cmp -s "$T/b.old.$R" "$T/b.new.$R" && fail "the new table does not change month B of $R"
grep -q '"month":"2025-03"' "$T/expect.ab" || fail "no month A scope"

start_broker 2
start_redis
DATA=$T/data
write_conf p g87 "batch.max_events = 200"
start_proc p
PID=$PROC_PID
produce "$T/a.jsonl"
n_ab=$(grep -o 'applied [0-9]*' "$T/old.all.err" | head -1 | cut -d' ' -f2)
"$BIN" replay --events "$T/a.jsonl" --data "$T/data" --all --quiet >/dev/null 2>"$T/a.err" || fail "replay A"
n_a=$(grep -o 'applied [0-9]*' "$T/a.err" | head -1 | cut -d' ' -f2)
wait_applied "$n_a" 90 || fail "A: $(redis_applied) applied, want $n_a"

# ---- reload with the new table ----
mkdir -p "$T/data/drg"
cp "$T/new/drg/$R.csv" "$T/data/drg/$R.csv"
from=$(log_lines p)
kill -HUP "$PID"
wait_log p "reloaded tables from $T/data: 12 regions, [0-9]* hospitals" 30 "$from" ||
    fail "no reload line after SIGHUP"
alive "$PID" || fail "processor died on SIGHUP"
produce "$T/b.jsonl"
wait_applied "$n_ab" 90 || fail "B: $(redis_applied) applied, want $n_ab"
sleep 1
cp "$T/expect.ab" "$T/replay.all"
compare >"$T/compare.out" 2>&1 || { cat "$T/compare.out"; fail "A old / B new totals differ"; }
echo "  A with the old table, B with the new: $(tail -1 "$T/compare.out")"
wait_stat p reloads 1 10 || fail "stats: reloads=$(last_stat p reloads), want 1"

# every case result of R: the weight of the table in force when scored
kcat -b "$BS" -C -t drgdip.case-results -o beginning -e -q -f '%s\n' >"$T/results" 2>/dev/null
python3 - "$T/results" "$T/a.jsonl" "$T/b.jsonl" "$ROOT/data/jilin/drg/$R.csv" "$R" <<'EOF' || fail "case results"
import json, sys
from decimal import Decimal
res, fa, fb, tbl, R = sys.argv[1:6]
setl = lambda f: {json.loads(l).get('setl_id') for l in open(f, encoding='utf-8')}
A, B = setl(fa), setl(fb)
w = {}
for l in open(tbl, encoding='utf-8').read().splitlines()[1:]:
    code, rest = l.split(',', 1)
    w[code] = Decimal(rest.rsplit(',', 1)[1])
na = nb = 0
for l in open(res, encoding='utf-8'):
    if not l.strip():
        continue
    r = json.loads(l)
    if r['admdvs'] != R or not r['group_code'] or r['weight'] is None or r['group_code'] not in w:
        continue
    got = Decimal(r['weight'])
    if r['setl_id'] in A:
        want, na = w[r['group_code']], na + 1
    elif r['setl_id'] in B:
        want, nb = 2 * w[r['group_code']], nb + 1
    else:
        sys.exit('unknown case %s' % r['setl_id'])
    if got != want:
        sys.exit('%s %s: weight %s, want %s' % (r['setl_id'], r['group_code'], got, want))
assert na > 10 and nb > 10, (na, nb)
print('  case results of %s: %d before the reload with the old weights, %d after with the new' % (R, na, nb))
EOF

# ---- a broken policy: the reload fails, the processor keeps going ----
mkdir -p "$T/data/policy"
echo "this is not a policy line" >"$T/data/policy/$R.conf"
from=$(log_lines p)
kill -HUP "$PID"
wait_log p "ERROR reload failed: .*policy/$R.conf.*keeping the current tables" 30 "$from" ||
    fail "no 'reload failed' line for the broken policy"
alive "$PID" || fail "processor died on a failed reload"
rm -f "$T/data/policy/$R.conf"
produce "$T/c.jsonl"
n_abc=$(grep -o 'applied [0-9]*' "$T/newc.all.err" | head -1 | cut -d' ' -f2)
wait_applied "$n_abc" 90 || fail "C after the failed reload: $(redis_applied) applied, want $n_abc"
sleep 1
grep '"month":"2025-05"' "$T/newc.all" >"$T/replay.all"
[ -s "$T/replay.all" ] || fail "no month C scope"
compare >"$T/compare.out" 2>&1 || { cat "$T/compare.out"; fail "C totals differ (tables kept?)"; }
echo "  after the failed reload: $(tail -1 "$T/compare.out")"
alive "$PID" || fail "processor died"
sleep 1.5
[ "$(last_stat p reloads)" = 1 ] || fail "stats: reloads=$(last_stat p reloads), want 1"

# ---- a hospital removed by the new data: its later events are bad (DLQ) ----
H=H22010000001
"$BIN" gen --month 2025-06 --cases 100 --seed 4 --quiet 2>>"$T/gen.err" |
    grep -v '"type":"BUDGET"' >"$T/d.jsonl" || fail "gen D"
n_h=$(grep -c "\"fixmedins_code\":\"$H\"" "$T/d.jsonl")
[ "$n_h" -gt 0 ] || fail "no event of $H in D"
grep -v "^$H," "$ROOT/data/jilin/hospitals.csv" >"$T/data/hospitals.csv"
"$BIN" replay --events "$T/d.jsonl" --data "$T/data" --all --quiet >/dev/null 2>"$T/d.err" ||
    fail "replay D"
# the expected D scopes: with the budgets (of A) that Redis holds
{ grep '"type":"BUDGET"' "$T/a.jsonl"; cat "$T/d.jsonl"; } >"$T/ad.jsonl"
"$BIN" replay --events "$T/ad.jsonl" --data "$T/data" --all --quiet 2>"$T/ad.err" |
    grep '"month":"2025-06"' >"$T/d.all" || fail "replay D with budgets"
bad0=$(last_stat p bad)
from=$(log_lines p)
kill -HUP "$PID"
wait_log p "reloaded tables from $T/data: 12 regions, 299 hospitals" 30 "$from" ||
    fail "no reload line for the hospital list"
# before producing D: Redis holds exactly A, B and C now
n_abcd=$(($(redis_applied) + $(grep -o 'applied [0-9]*' "$T/d.err" | head -1 | cut -d' ' -f2)))
produce "$T/d.jsonl"
wait_applied "$n_abcd" 90 || fail "D: $(redis_applied) applied, want $n_abcd"
wait_stat p bad $((bad0 + n_h)) 20 || fail "D: bad $(last_stat p bad), want $bad0 + $n_h (events of $H)"
sleep 1.5
[ "$(last_stat p bad)" = $((bad0 + n_h)) ] || fail "D: bad $(last_stat p bad), want $bad0 + $n_h"
[ "$(dlq_count UNKNOWN_HOSPITAL)" = "$n_h" ] || fail "DLQ: $(dlq_count UNKNOWN_HOSPITAL) UNKNOWN_HOSPITAL, want $n_h"
cp "$T/d.all" "$T/replay.all"
compare >"$T/compare.out" 2>&1 || { cat "$T/compare.out"; fail "D totals differ from replay"; }
echo "  $H removed: its $n_h events in the DLQ, the rest equal replay: $(tail -1 "$T/compare.out")"
[ "$(grep -c 'consuming ' "$T/p.log")" = 1 ] || fail "the processor restarted"
[ "$(last_stat p reloads)" = 2 ] || fail "stats: reloads=$(last_stat p reloads), want 2"
term_proc "$PID" p
echo "0087-reload: OK"
