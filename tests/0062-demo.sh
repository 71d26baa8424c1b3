#!/bin/bash
# drgdip demo (small): the whole pipeline runs, every event is applied, the
# snapshot tables are printed with figures equal to a replay of the same
# events, the alerts the processor emitted to drgdip.alerts name the injected
# hospitals and are the ones a replay leaves active, --no-inject shows none,
# and everything is cleaned up.
# args: $1 drgdip binary, $2 repo root, $3 shared dir
set -u
BIN=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; cat "$T/err" 2>/dev/null | tail -20; exit 1; }
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }

"$BIN" demo --help >/dev/null || fail "demo --help"
"$BIN" demo --cases 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--cases 0 must be a usage error"

# small data where each hospital has enough cases for the alert rules (min 30 a
# month): 3 hospitals in DRG region 220100, 1 in DIP region 220400, 150 each
mkdir -p "$T/data"
{
    head -1 "$2/data/jilin/hospitals.csv"
    grep -E '^(H22010000001|H22010000003|H22010000005|H22040000001),' "$2/data/jilin/hospitals.csv"
} >"$T/data/hospitals.csv"
[ "$(wc -l <"$T/data/hospitals.csv")" -eq 5 ] || fail "test hospitals not in the shipped data"

env -u REDIS_URL timeout 180 "$BIN" demo --data "$T/data" --cases 600 --seed 5 >"$T/out" 2>"$T/err" \
    || fail "demo exit $?"
grep -q '^Live pre-settlement snapshot 2025-03' "$T/out" || fail "no snapshot header"
[ "$(grep -c '^22[0-9]\{4\} .*insutype' "$T/out")" -ge 3 ] || fail "fewer than 3 region tables"
grep -q 'point value [0-9]*\.[0-9]\{6\} yuan/point' "$T/out" || fail "no point value"
grep -q 'Where to look next' "$T/out" || fail "no 'where to look next'"
grep -Eq 'processor: ([0-9]+) consumed' "$T/err" || fail "no processor summary"
grep -q '0 bad (DLQ)' "$T/err" || fail "generated events went to the DLQ"
grep -q 'temp files removed' "$T/err" || fail "no clean-up message"
# the alerts the stream emitted, as the on-call view prints them
grep -q '^Alerts emitted by the processor to drgdip.alerts' "$T/out" || fail "no alerts section"
A='^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +(WARN|CRITICAL) +'
grep -q 'injected: upcoding at H22010000001 .*late lists at H22040000001' "$T/out" \
    || fail "unexpected injection targets: $(grep injected: "$T/out")"
grep -Eq "${A}CMI_JUMP +220100 +H22010000001 +2025-03 +cmi [0-9.]+ > [0-9.]+ " "$T/out" \
    || fail "no CMI_JUMP alert for the upcoding hospital"
grep -Eq "${A}LATE_LIST +220400 +H22040000001 +2025-03 " "$T/out" \
    || fail "no LATE_LIST alert for the late-list hospital"
grep -q 'possible upcoding' "$T/out" || fail "no English explanation"
# the figures and the alerts equal a replay of the same generated events
"$BIN" gen --data "$T/data" --month 2025-03 --months 2 --cases 600 --seed 5 --quiet \
    --inject upcoding=H22010000001,late=H22040000001 >"$T/ev.jsonl" || fail "gen"
grep -q -- '--months 2 --cases 600 --seed 5 --inject upcoding=H22010000001,late=H22040000001' \
    "$T/out" || fail "'where to look next' does not name the gen command"
"$BIN" replay --events "$T/ev.jsonl" --data "$T/data" --region 220100 --insutype 310 \
    --month 2025-03 >"$T/snap.json" 2>/dev/null || fail "replay"
pts=$(sed -nE 's/.*"points":"([0-9.]+)","point_value".*/\1/p' "$T/snap.json" | head -1)
[ -n "$pts" ] || fail "no points in the replay snapshot"
grep -A1 '^220100 .*insutype 310' "$T/out" | grep -q "eligible points $pts " \
    || fail "demo points for 220100/310 differ from replay ($pts)"
# every alert a replay leaves active was emitted by the stream, and nothing else
"$BIN" replay --events "$T/ev.jsonl" --data "$T/data" --alerts --active --quiet \
    >"$T/alerts.jsonl" 2>/dev/null || fail "replay --alerts --active"
sed -nE 's/.*"alert_id":"([A-Z_]+):([0-9]+):([^:"]+):([^"]+)".*/\1 \2 \3 \4/p' "$T/alerts.jsonl" \
    | sort >"$T/want"
grep -E "$A" "$T/out" | awk '{print $4, $5, $6, $7}' | sort >"$T/got"
[ "$(wc -l <"$T/want")" -ge 2 ] || fail "replay leaves fewer than 2 alerts active"
cmp -s "$T/want" "$T/got" || fail "stream alerts differ from replay's active ones: $(diff "$T/want" "$T/got" | head -5)"

# --no-inject: clean data, no alert
env -u REDIS_URL timeout 180 "$BIN" demo --data "$T/data" --cases 600 --seed 5 --no-inject \
    >"$T/out2" 2>"$T/err" || fail "demo --no-inject exit $?"
grep -q '^Alerts emitted by the processor' "$T/out2" || fail "--no-inject: no alerts section"
grep -q '^  (no alert)' "$T/out2" || fail "--no-inject: alerts shown"
! grep -Eq "$A" "$T/out2" || fail "--no-inject: alert lines shown"
grep -q 'injected: none' "$T/out2" || fail "--no-inject: injection reported"
echo "PASS"
