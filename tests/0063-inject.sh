#!/bin/bash
# drgdip gen --inject: each injected anomaly makes exactly its SPEC §8 alert
# fire (drgdip replay --alerts, default thresholds) for the targeted hospital
# (or region for budget), in the last month, and no other alert; the clean
# generated data fires no alert at all. Bad --inject values are usage errors.
# Small data: 4 hospitals (3 in DRG region 220100, 1 in DIP region 220400),
# 300 settlements a month (75 per hospital), 4 months.
# args: $1 drgdip binary, $2 repo root, $3 shared dir
set -u
BIN=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$T/data"
{
    head -1 "$2/data/jilin/hospitals.csv"
    grep -E '^(H22010000001|H22010000003|H22010000005|H22040000001),' "$2/data/jilin/hospitals.csv"
} >"$T/data/hospitals.csv"
[ "$(wc -l <"$T/data/hospitals.csv")" -eq 5 ] || fail "test hospitals not in the shipped data"

GEN=(--data "$T/data" --month 2025-06 --months 4 --cases 300 --seed 1 --quiet)

# usage errors
for bad in "foo=H22010000001" "upcoding=H99999999999" "budget=999999" "budget=H22010000001" \
    "upcoding" "split=" "split=H22010000001,,late=H22010000001"; do
    "$BIN" gen "${GEN[@]}" --inject "$bad" >/dev/null 2>"$T/err"
    rc=$?
    [ $rc -eq 2 ] || fail "--inject '$bad' gave exit $rc, want 2"
    grep -q -- '--inject' "$T/err" || fail "--inject '$bad': no clear message: $(cat "$T/err")"
done
"$BIN" gen --data "$T/data" --month 2025-06 --cases 300 --inject split=H22010000001 >/dev/null 2>&1
[ $? -eq 2 ] || fail "--inject with --months 1 must be a usage error"
"$BIN" gen --help | grep -q -- '--inject' || fail "gen --help does not describe --inject"

# run NAME [INJECT]: events and alerts (one JSON line each) of one generation
run() {
    local name=$1
    shift
    "$BIN" gen "${GEN[@]}" "$@" >"$T/$name.jsonl" 2>"$T/$name.gen.err" \
        || fail "$name: gen failed: $(cat "$T/$name.gen.err")"
    "$BIN" replay --events "$T/$name.jsonl" --data "$T/data" --alerts --quiet \
        >"$T/$name.alerts" 2>"$T/$name.err" || fail "$name: replay --alerts failed: $(cat "$T/$name.err")"
    grep -q 'bad 0 ' "$T/$name.err" || fail "$name: bad events: $(cat "$T/$name.err")"
}

# check NAME "TYPE[,TYPE...]" SCOPE PERIOD-PREFIX [OPTIONAL-TYPES]: the alerts
# are exactly the listed types for SCOPE (a hospital, or a region for region
# alerts), each in the period; OPTIONAL types may also fire for the scope.
check() {
    python3 - "$T/$1.alerts" "$2" "$3" "$4" "${5:-}" <<'EOF'
import json, sys
path, want, scope, period, optional = sys.argv[1:6]
want = set(want.split(','))
optional = set(o for o in optional.split(',') if o)
got = {}
for line in open(path, encoding='utf-8'):
    a = json.loads(line)
    s = a.get('fixmedins_code') or a['admdvs']
    got.setdefault((a['type'], s), []).append(a['period'])
    assert a['period'].startswith(period), 'alert outside the injected period: %s' % line
extra = [k for k in got if k[1] != scope or (k[0] not in want and k[0] not in optional)]
missing = [t for t in want if (t, scope) not in got]
assert not extra and not missing, 'want %s for %s; got %s' % (sorted(want), scope, sorted(got))
print('  ', ', '.join('%s %s %s' % (k[0], k[1], v) for k, v in sorted(got.items())))
EOF
}

run clean
n=$(wc -l <"$T/clean.alerts")
[ "$n" -eq 0 ] || fail "clean generated data fires $n alerts: $(head -3 "$T/clean.alerts")"
echo "clean: 0 alerts"

H=H22010000003
declare -A WANT=(
    [upcoding]=CMI_JUMP,CC_MCC_SHARE_JUMP
    [split]=SPLIT_ADMISSION
    [spike]=VOLUME_SPIKE
    [lowstd]=LOW_STANDARD_ADMISSION
    [transfer]=TRANSFER_OUT_RATE
    [special]=SPECIAL_CASE_QUOTA
    [late]=LATE_LIST
    [qc]=QC_FAILURE_RATE
    [ungroupable]=GROUPING_RATE_LOW
)
for t in upcoding split spike lowstd transfer special late qc ungroupable; do
    run "$t" --inject "$t=$H"
    echo "$t=$H:"
    check "$t" "${WANT[$t]}" "$H" 2025-06 || fail "$t"
done
# a DIP hospital: CMI only (DIP has no CC/MCC severities)
run updip --inject upcoding=H22040000001
echo "upcoding=H22040000001:"
check updip CMI_JUMP H22040000001 2025-06 || fail "upcoding (DIP)"
run ugdip --inject ungroupable=H22040000001
echo "ungroupable=H22040000001:"
check ugdip GROUPING_RATE_LOW H22040000001 2025-06 || fail "ungroupable (DIP)"
# region: budget over-spend (no planned point value in 4 months: BUDGET_BURN)
run budget --inject budget=220100
echo "budget=220100:"
check budget BUDGET_BURN 220100 2025 POINT_VALUE_DROP || fail "budget"
# two injections at once, each on its own target
run two --inject late=H22010000001 --inject qc=H22010000005
for h in H22010000001:LATE_LIST H22010000005:QC_FAILURE_RATE; do
    grep -q "\"type\":\"${h#*:}\",.*\"fixmedins_code\":\"${h%%:*}\"" "$T/two.alerts" \
        || fail "two injections: ${h#*:} missing for ${h%%:*}"
done
[ "$(wc -l <"$T/two.alerts")" -eq 2 ] || fail "two injections: $(cat "$T/two.alerts")"
echo "PASS"
