#!/bin/bash
# drgdip gen: deterministic for a seed; every line decodes and validates
# (replay: bad 0); the snapshots show eligible cases in every category, both
# insurance types, all 12 regions; duplicates, BUDGET and every case event
# type are present; --months K spans K months.
# args: $1 drgdip binary, $2 repo root, $3 shared dir
set -u
BIN=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$BIN" gen --help >/dev/null || fail "gen --help"
# the shipped casemix is what scripts/gen_casemix.py writes (re-runnable, deterministic)
if [ -d "$3/data/chs-drg-1.1" ]; then
    python3 "$2/scripts/gen_casemix.py" "$3/data" "$T/casemix.csv" 2>/dev/null || fail "gen_casemix.py"
    cmp -s "$T/casemix.csv" "$2/data/jilin/casemix-drg.csv" || fail "casemix-drg.csv is not the script's output"
fi
"$BIN" gen --cases 10 >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing --month must be a usage error (2)"
"$BIN" gen --month 2025-13 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --month must be 2"

"$BIN" gen --month 2025-03 --cases 3000 --seed 7 >"$T/a.jsonl" 2>"$T/a.err" || fail "gen failed: $(cat "$T/a.err")"
"$BIN" gen --month 2025-03 --cases 3000 --seed 7 --quiet >"$T/b.jsonl" || fail "gen (2nd) failed"
cmp -s "$T/a.jsonl" "$T/b.jsonl" || fail "same seed gave different output"
"$BIN" gen --month 2025-03 --cases 3000 --seed 8 --quiet >"$T/c.jsonl" || fail "gen seed 8 failed"
cmp -s "$T/a.jsonl" "$T/c.jsonl" && fail "different seeds gave identical output"
[ -s "$T/a.err" ] || fail "no event-mix summary on stderr"

"$BIN" replay --events "$T/a.jsonl" --all --quiet >"$T/snap.jsonl" 2>"$T/replay.err" \
    || fail "replay failed: $(cat "$T/replay.err")"
summary=$(grep -E 'read [0-9]+' "$T/replay.err" | tail -1)
echo "replay: $summary"
bad=$(echo "$summary" | sed -nE 's/.*bad ([0-9]+).*/\1/p')
dups=$(echo "$summary" | sed -nE 's/.*duplicates ([0-9]+).*/\1/p')
[ "$bad" = "0" ] || fail "replay found bad events: $summary"
[ -n "$dups" ] && [ "$dups" -gt 0 ] || fail "no duplicate event ids: $summary"

python3 - "$T/a.jsonl" "$T/snap.jsonl" <<'EOF' || fail "content checks"
import json, sys, collections
types = collections.Counter()
times = []
for line in open(sys.argv[1], encoding='utf-8'):
    e = json.loads(line)
    types[e['type']] += 1
    times.append(e['event_time'])
need = ['SETTLEMENT', 'SETTLEMENT_LIST', 'QC_RESULT', 'RECONCILED', 'SETTLEMENT_REVERSAL',
        'SPECIAL_CASE', 'BUDGET']
missing = [t for t in need if types[t] == 0]
assert not missing, 'event types missing: %s' % missing
assert types['SETTLEMENT'] >= 3000, types
cats = collections.Counter(); pend = collections.Counter(); ins = set(); regions = set()
eligible = 0; pv_ok = 0
for line in open(sys.argv[2], encoding='utf-8'):
    s = json.loads(line)
    regions.add(s['admdvs'])
    for h in s['hospitals']:
        eligible += h['eligible_cases']
        if h['eligible_cases']:
            ins.add(s['insutype'])
        cats.update(h['cases_by_category'])
        pend.update(h['pending_cases'])
    if 0.3 < float(s['point_value']) < 3.0:
        pv_ok += 1
print('eligible', eligible, dict(cats), dict(pend), sorted(ins), len(regions), 'regions')
for c in ['NORMAL', 'HIGH', 'LOW', 'BED_DAY', 'FFS', 'UNGROUPABLE', 'SPECIAL']:
    assert cats[c] > 0, 'category %s never appears' % c
for p in ['NO_LIST', 'QC_FAILED', 'NOT_RECONCILED', 'LATE_LIST']:
    assert pend[p] > 0, 'pending reason %s never appears' % p
assert ins == {'310', '390'}, ins
assert len(regions) == 12, regions
assert eligible > 2000, eligible
assert cats['NORMAL'] > 0.7 * eligible, cats
assert pv_ok >= 20, 'implausible point values'
EOF

# --months: three months, settlements in each
"$BIN" gen --month 2025-02 --months 3 --cases 200 --seed 3 --quiet >"$T/m.jsonl" || fail "gen --months"
python3 - "$T/m.jsonl" <<'EOF' || fail "--months checks"
import json, sys, collections
ids = collections.defaultdict(set)
prev = ''
for line in open(sys.argv[1], encoding='utf-8'):
    e = json.loads(line)
    assert e['event_time'] >= prev, 'not sorted by event_time'
    prev = e['event_time']
    if e['type'] == 'SETTLEMENT':
        ids[e['setl_time'][:7]].add(e['setl_id'])
m = {k: len(v) for k, v in ids.items()}
print(m)
assert m == {'2024-12': 200, '2025-01': 200, '2025-02': 200}, m
EOF
echo "PASS"
