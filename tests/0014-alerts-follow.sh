#!/bin/bash
# drgdip alerts --follow: against a dev-broker, two alert records (the JSON of
# core/dd_alert.h, one hospital alert and one region alert) and one garbage
# record produced with kcat are shown as two readable lines (severity, type,
# region, scope, period, value vs threshold, explanation), the garbage one is
# reported on stderr and skipped, --region filters, --json passes records
# through, no colour when stdout is not a terminal (colour with --color
# always), SIGINT stops it with exit 0. Every wait is bounded.
# args: $1 drgdip binary, $2 repo root, $3 shared dir
set -u
BIN=$1
command -v kcat >/dev/null || { echo "SKIP: kcat not installed"; exit 0; }
T=$(mktemp -d)
PID=
FPID=
cleanup() {
    [ -n "$FPID" ] && kill -KILL "$FPID" 2>/dev/null
    [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in broker.err out err; do [ -s "$T/$f" ] && sed "s/^/  $f: /" "$T/$f"; done
    exit 1
}

"$BIN" alerts --help | grep -q 'usage: drgdip alerts --follow' || fail "--help"
"$BIN" alerts >/dev/null 2>&1; [ $? -eq 2 ] || fail "no --follow must be a usage error (2)"
"$BIN" alerts --follow --region 2201 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --region must exit 2"
"$BIN" alerts --follow --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option must exit 2"

"$BIN" dev-broker --partitions 2 --bootstrap-file "$T/bs" >/dev/null 2>"$T/broker.err" &
PID=$!
for _ in $(seq 100); do [ -s "$T/bs" ] && break; sleep 0.1; done
[ -s "$T/bs" ] || fail "no bootstrap file after 10 s"
BS=$(cat "$T/bs")

A1='{"alert_id":"CMI_JUMP:220100:H22010100001:2025-03","occurrence":1,"type":"CMI_JUMP","severity":"CRITICAL","admdvs":"220100","fixmedins_code":"H22010100001","period":"2025-03","metric":"cmi","value":"1.420000","threshold":"1.150000","explanation":{"zh":"医院H22010100001 2025-03 CMI 1.42 高于近3月 1.15 倍","en":"hospital H22010100001 2025-03: CMI 1.42 above 1.15 x the trailing 3 months"}}'
A2='{"alert_id":"POINT_VALUE_DROP:220400:310:2025-03","occurrence":2,"type":"POINT_VALUE_DROP","severity":"WARN","admdvs":"220400","insutype":"310","period":"2025-03","metric":"point_value_ratio","value":"0.850000","threshold":"0.900000","explanation":{"zh":"辽源市 职工 2025-03 点值下降","en":"220400 employees 2025-03: live point value 85% of planned"}}'
# key|value; the bad record goes between the two alerts on the same key
printf '%s\n' "220100|$A1" "220400|not json {" "220400|$A2" \
    | timeout 20 kcat -P -b "$BS" -t drgdip.alerts -K '|' -X message.timeout.ms=10000 \
    || fail "produce"

# 1. both alerts, from the beginning; --max stops after two
timeout 30 "$BIN" alerts --follow --from-beginning --brokers "$BS" --lang en --max 2 \
    >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] || fail "exit code $rc (124 = timed out)"
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "want 2 lines, got: $(cat "$T/out")"
L1=$(grep CMI_JUMP "$T/out") || fail "no CMI_JUMP line"
L2=$(grep POINT_VALUE_DROP "$T/out") || fail "no POINT_VALUE_DROP line"
for w in CRITICAL CMI_JUMP 220100 H22010100001 2025-03 "cmi 1.420000 > 1.150000" \
    "hospital H22010100001 2025-03: CMI 1.42 above"; do
    [[ "$L1" == *"$w"* ]] || fail "line 1 lacks '$w': $L1"
done
for w in WARN POINT_VALUE_DROP 220400 "insutype 310" "point_value_ratio 0.850000 < 0.900000" \
    "#2" "live point value 85% of planned"; do
    [[ "$L2" == *"$w"* ]] || fail "line 2 lacks '$w': $L2"
done
[[ "$L1" =~ ^20[0-9][0-9]-[01][0-9]-[0-3][0-9]\ [0-2][0-9]:[0-5][0-9]:[0-5][0-9]\  ]] \
    || fail "line 1 does not start with a time: $L1"
grep -q $'\033' "$T/out" && fail "colour codes although stdout is not a terminal"
grep -q 'offset .*skipped' "$T/err" || fail "the garbage record was not reported on stderr"

# 2. region filter, Chinese explanation, forced colour
timeout 30 "$BIN" alerts --follow --from-beginning --brokers "$BS" --region 220400 \
    --lang zh --color always --max 1 >"$T/out" 2>"$T/err" || fail "--region run failed"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "--region 220400: want 1 line, got: $(cat "$T/out")"
grep -q POINT_VALUE_DROP "$T/out" || fail "--region 220400 shows the wrong alert"
grep -q CMI_JUMP "$T/out" && fail "--region 220400 shows a 220100 alert"
grep -q '点值下降' "$T/out" || fail "--lang zh: no Chinese explanation"
grep -q $'\033\\[33m' "$T/out" || fail "--color always: WARN not yellow"

# 2b. --wait: a --max that is never reached ends after the wait, exit 0
timeout 30 "$BIN" alerts --follow --from-beginning --brokers "$BS" --region 220400 \
    --max 5 --wait 2 >"$T/out" 2>"$T/err" || fail "--wait run failed"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "--wait: want the 1 alert of 220400, got: $(cat "$T/out")"
grep -q -- '--wait 2 s reached (1 alerts shown)' "$T/err" || fail "--wait: no note on stderr"

# 3. --json passes records through; SIGINT stops a follow that waits at the end
"$BIN" alerts --follow --from-beginning --brokers "$BS" --region 220100 --json \
    >"$T/out" 2>"$T/err" &
FPID=$!
for _ in $(seq 150); do [ -s "$T/out" ] && break; sleep 0.1; done
[ "$(cat "$T/out")" = "$A1" ] || fail "--json: want the 220100 record, got: $(cat "$T/out")"
kill -INT "$FPID"
for _ in $(seq 100); do kill -0 "$FPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$FPID" 2>/dev/null && fail "still running 10 s after SIGINT"
wait "$FPID"; rc=$?; FPID=
[ $rc -eq 0 ] || fail "exit code $rc after SIGINT"
grep -q 'stopped (1 alerts shown)' "$T/err" || fail "no stop message"

# 4. starting at the end: only what arrives afterwards is shown
timeout 30 "$BIN" alerts --follow --brokers "$BS" --lang en --max 1 >"$T/out" 2>"$T/err" &
FPID=$!
for _ in $(seq 100); do grep -q following "$T/err" && break; sleep 0.1; done
grep -q 'following drgdip.alerts' "$T/err" || fail "follower did not start"
A3=${A1//2025-03/2025-04}
# The end offset is looked up asynchronously after the assignment: re-send the
# new alert until the follower has seen one (--max 1), at most 10 times.
for _ in $(seq 10); do
    printf '%s\n' "220100|$A3" | timeout 20 kcat -P -b "$BS" -t drgdip.alerts -K '|' \
        -X message.timeout.ms=10000 || fail "produce 3"
    for _ in $(seq 20); do kill -0 "$FPID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$FPID" 2>/dev/null || break
done
wait "$FPID"; rc=$?; FPID=
[ $rc -eq 0 ] || fail "follow from the end: exit $rc"
[ "$(wc -l <"$T/out")" -eq 1 ] && grep -q '2025-04' "$T/out" \
    || fail "from the end: want only the new 2025-04 alert, got: $(cat "$T/out")"

kill -TERM "$PID"
wait "$PID" 2>/dev/null
PID=
echo "PASS 0014-alerts-follow ($BS)"
