#!/bin/bash
# processor.threads = 2: two consumer-group members in one `drgdip run`.
# 1. Both members get partitions (log tags run[1] and run[2]); the live
#    totals equal replay for every scope; the summed per-member counters
#    match replay (applied, duplicates).
# 2. SIGHUP with a changed DRG table for 220100 (weights doubled): each member
#    reloads between its batches (one shared load), month B is scored with the
#    new table by whichever member owns its partitions: B scopes equal a replay
#    with the new table, A scopes keep the old one.
# 3. SIGTERM: exit 0, both members leave the group (sanitizer builds: no leak
#    or double free of the shared data sets).
# 4. With kafka.group.instance.id set, threads > 1 is a config error (exit 2).
. "$2/tests/lib/stream.sh"
watchdog 240
R=220100
mkdir -p "$T/data" "$T/new/drg"
"$BIN" gen --month 2025-03 --cases 1500 --seed 11 --quiet >"$T/a.jsonl" 2>"$T/gen.err" || fail "gen A"
"$BIN" gen --month 2025-04 --cases 600 --seed 12 --quiet 2>>"$T/gen.err" |
    grep -v '"type":"BUDGET"' >"$T/b.jsonl" || fail "gen B"
cat "$T/a.jsonl" "$T/b.jsonl" >"$T/ab.jsonl"
python3 "$ROOT/tests/lib/double_weights.py" "$ROOT/data/jilin/drg/$R.csv" "$T/new/drg/$R.csv" ||
    fail "new table"
rp() { "$BIN" replay --events "$1" --data "$2" --all --quiet >"$3" 2>"$3.err" || fail "replay $1"; }
rp "$T/a.jsonl" "$T/data" "$T/a.all"
rp "$T/ab.jsonl" "$T/data" "$T/old.all"
rp "$T/ab.jsonl" "$T/new" "$T/new.all"
n_a=$(grep -o 'applied [0-9]*' "$T/a.all.err" | head -1 | cut -d' ' -f2)
n_ab=$(grep -o 'applied [0-9]*' "$T/old.all.err" | head -1 | cut -d' ' -f2)
d_a=$(grep -o 'duplicates [0-9]*' "$T/a.all.err" | head -1 | cut -d' ' -f2)
[ -n "$n_a" ] && [ -n "$d_a" ] || fail "replay summary: $(cat "$T/a.all.err")"
grep "\"admdvs\":\"$R\".*\"month\":\"2025-04\"" "$T/old.all" >"$T/b.old"
grep "\"admdvs\":\"$R\".*\"month\":\"2025-04\"" "$T/new.all" >"$T/b.new"
cmp -s "$T/b.old" "$T/b.new" && fail "the new table does not change month B of $R"

start_broker 4
start_redis
DATA=$T/data
write_conf p g89 "processor.threads = 2" "batch.max_events = 300"
start_proc p
PID=$PROC_PID
produce "$T/a.jsonl" mix
wait_applied "$n_a" 120 || fail "A: $(redis_applied) applied, want $n_a"
cp "$T/a.all" "$T/replay.all"
wait_equal 30 || fail "A: live totals differ from replay"
for m in 1 2; do
    grep -q "drgdip run\[$m\]: INFO assigned " "$T/p.log" || fail "member $m never got a partition"
done
grep -q "^drgdip run: INFO" "$T/p.log" && fail "a member logs without its tag"
# summed member counters (each member's last stats line) equal replay's
sum_stat() {
    local s=0 m v
    for m in 1 2; do
        v=$(grep -o "drgdip run\[$m\]: INFO stats .*" "$T/p.log" | tail -1 | grep -o " $1=[0-9]*" | cut -d= -f2)
        s=$((s + ${v:-0}))
    done
    echo $s
}
deadline=$((SECONDS + 20))
while [ "$(sum_stat applied)" != "$n_a" ] && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
[ "$(sum_stat applied)" = "$n_a" ] || fail "members applied $(sum_stat applied) in all, want $n_a"
[ "$(sum_stat duplicates)" = "$d_a" ] || fail "members dropped $(sum_stat duplicates) duplicates, want $d_a"
echo "  A: 2 members, applied $n_a (replay $n_a), duplicates $d_a, totals equal replay"

# ---- reload: every member switches to the new table ----
mkdir -p "$T/data/drg"
cp "$T/new/drg/$R.csv" "$T/data/drg/$R.csv"
from=$(log_lines p)
kill -HUP "$PID"
for m in 1 2; do
    wait_log p "drgdip run\[$m\]: INFO reloaded tables from $T/data" 30 "$from" ||
        fail "member $m did not reload"
done
produce "$T/b.jsonl" mix
wait_applied "$n_ab" 120 || fail "B: $(redis_applied) applied, want $n_ab"
{ grep '"month":"2025-03"' "$T/old.all"; grep '"month":"2025-04"' "$T/new.all"; } >"$T/replay.all"
wait_equal 30 || fail "A old / B new totals differ"
echo "  after SIGHUP: month B with the new table on both members, A kept: $(tail -1 "$T/compare.out")"
alive "$PID" || fail "processor died"
term_proc "$PID" p
[ "$(grep -c 'leaving the group' "$T/p.log")" = 2 ] || fail "not every member left the group"

# ---- static membership needs one member ----
write_conf s g89s "processor.threads = 2" "kafka.group.instance.id = x"
"$BIN" run --config "$T/s.conf" >"$T/s.log" 2>&1
rc=$?
[ $rc = 2 ] || fail "threads 2 + group.instance.id: exit $rc, want 2"
grep -q "group.instance.id" "$T/s.log" || fail "no reason given: $(cat "$T/s.log")"
echo "0089-run-threads: OK"
