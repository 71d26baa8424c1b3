#!/bin/bash
# drgdip settle --redis: the golden stream through `drgdip run` into Redis,
# then settling from the live totals prints exactly what settling by replay
# of the same events (--events) prints, for 220100/310, 220100/390 and
# 220400/310 2025Q1 and 220100/310 2025 (risk sharing).
. "$2/tests/stream-lib.sh"
start_broker 4
start_redis
replay_all "$EVENTS"
produce "$EVENTS" json
write_conf p1 g81
start_proc p1
P=$PROC_PID
wait_equal 45 || fail "live snapshots never equalled replay"
stop_proc "$P"
settle() { # out-name args...
    local out=$1
    shift
    "$BIN" settle "$@" --json >"$T/$out" 2>"$T/$out.err" || fail "settle $*: $(cat "$T/$out.err")"
}
for scope in "220100 310 --quarter 2025Q1" "220100 390 --quarter 2025Q1" \
    "220400 310 --quarter 2025Q1" "220100 310 --year 2025"; do
    set -- $scope
    settle ev.json --region "$1" --insutype "$2" "$3" "$4" --events "$EVENTS" --data "$DATA" --quiet
    settle live.json --region "$1" --insutype "$2" "$3" "$4" --redis "$(REDIS_URL)" --config "$T/p1.conf"
    grep -q '"hospitals":\[{' "$T/ev.json" || fail "$scope: no hospital settled by replay"
    cmp -s "$T/ev.json" "$T/live.json" || {
        diff "$T/ev.json" "$T/live.json" | head -5
        fail "$scope: settle --redis differs from settle --events"
    }
done
# no events file is read with --redis: the table output works too
"$BIN" settle --region 220100 --insutype 310 --quarter 2025Q1 --redis "$(REDIS_URL)" \
    --data "$DATA" >"$T/table" 2>"$T/table.err" || fail "table: $(cat "$T/table.err")"
grep -q '^Quarterly settlement, region 220100, insutype 310, 2025Q1' "$T/table" || fail "no table header"
echo "0081-settle-redis: OK"
