#!/bin/bash
# drgdip demo (small): the whole pipeline runs, every event is applied, the
# snapshot tables are printed with figures, and everything is cleaned up.
# args: $1 drgdip binary, $2 repo root, $3 shared dir
set -u
BIN=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; cat "$T/err" 2>/dev/null | tail -20; exit 1; }
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }

"$BIN" demo --help >/dev/null || fail "demo --help"
"$BIN" demo --cases 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--cases 0 must be a usage error"

env -u REDIS_URL timeout 180 "$BIN" demo --cases 600 --seed 5 >"$T/out" 2>"$T/err" || fail "demo exit $?"
grep -q '^Live pre-settlement snapshot 2025-03' "$T/out" || fail "no snapshot header"
[ "$(grep -c '^22[0-9]\{4\} .*insutype' "$T/out")" -ge 3 ] || fail "fewer than 3 region tables"
grep -q 'point value [0-9]*\.[0-9]\{6\} yuan/point' "$T/out" || fail "no point value"
grep -q 'Where to look next' "$T/out" || fail "no 'where to look next'"
grep -Eq 'processor: ([0-9]+) consumed' "$T/err" || fail "no processor summary"
grep -q '0 bad (DLQ)' "$T/err" || fail "generated events went to the DLQ"
grep -q 'temp files removed' "$T/err" || fail "no clean-up message"
# the figures equal a replay of the same generated events
"$BIN" gen --month 2025-03 --cases 600 --seed 5 --quiet >"$T/ev.jsonl" || fail "gen"
"$BIN" replay --events "$T/ev.jsonl" --region 220100 --insutype 310 --month 2025-03 \
    >"$T/snap.json" 2>/dev/null || fail "replay"
pts=$(sed -nE 's/.*"points":"([0-9.]+)","point_value".*/\1/p' "$T/snap.json" | head -1)
grep -A1 '^220100 .*insutype 310' "$T/out" | grep -q "eligible points $pts " \
    || fail "demo points for 220100/310 differ from replay ($pts)"
echo "PASS"
