#!/bin/bash
# drgdip dev-broker: starts, prints its bootstrap (stdout and --bootstrap-file),
# has the five drgdip topics, carries keyed messages both ways with kcat, and
# stops cleanly on SIGTERM. Every wait is bounded.
# args: $1 drgdip binary, $2 repo root, $3 shared dir
set -u
BIN=$1
command -v kcat >/dev/null || { echo "SKIP: kcat not installed"; exit 0; }
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$T/err" ] && sed 's/^/  broker: /' "$T/err"; exit 1; }

"$BIN" dev-broker --help | grep -q 'usage: drgdip dev-broker' || fail "--help"
"$BIN" dev-broker --partitions 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--partitions 0 must be a usage error (2)"
"$BIN" dev-broker --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option must exit 2"

"$BIN" dev-broker --partitions 3 --bootstrap-file "$T/bs" >"$T/out" 2>"$T/err" &
PID=$!
for _ in $(seq 100); do [ -s "$T/bs" ] && break; sleep 0.1; done
[ -s "$T/bs" ] || fail "no bootstrap file after 10 s"
BS=$(cat "$T/bs")
[[ "$BS" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "bootstrap '$BS' is not 127.0.0.1:PORT"
for _ in $(seq 50); do [ -s "$T/out" ] && break; sleep 0.1; done
[ "$(head -1 "$T/out")" = "$BS" ] || fail "stdout '$(cat "$T/out")' differs from the file '$BS'"

K="-X socket.timeout.ms=5000 -m 10"
timeout 20 kcat -L -b "$BS" $K >"$T/meta" || fail "kcat -L"
for t in drgdip.settlements drgdip.case-results drgdip.alerts drgdip.snapshots drgdip.dlq; do
    grep -q "topic \"$t\" with 3 partitions" "$T/meta" || fail "topic $t with 3 partitions missing: $(cat "$T/meta")"
done

printf 'H22010100001|e1\nH22010100002|e2\nH22010100001|e3\nH22010100003|e4\nH22010100001|e5\n' \
    | timeout 20 kcat -P -b "$BS" -t drgdip.settlements -K '|' -X message.timeout.ms=10000 \
    || fail "produce"
timeout 20 kcat -C -b "$BS" -t drgdip.settlements -o beginning -e -q -f '%k %s\n' $K \
    | sort >"$T/got" || fail "consume"
printf 'H22010100001 e1\nH22010100001 e3\nH22010100001 e5\nH22010100002 e2\nH22010100003 e4\n' >"$T/want"
diff "$T/want" "$T/got" || fail "consumed messages differ"
# One hospital's events stay in order on one partition (SPEC section 2).
timeout 20 kcat -C -b "$BS" -t drgdip.settlements -o beginning -e -q -f '%k %s\n' $K \
    | grep '^H22010100001' | tr '\n' ' ' | grep -q 'e1 .*e3 .*e5' || fail "per-key order"
# Output topics work too.
echo 'x' | timeout 20 kcat -P -b "$BS" -t drgdip.dlq || fail "produce dlq"
[ "$(timeout 20 kcat -C -b "$BS" -t drgdip.dlq -o beginning -e -q $K)" = x ] || fail "consume dlq"

kill -TERM "$PID"
for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID" 2>/dev/null && fail "still running 10 s after SIGTERM"
wait "$PID"; rc=$?; PID=
[ $rc -eq 0 ] || fail "exit code $rc after SIGTERM"
[ -e "$T/bs" ] && fail "bootstrap file left behind"
grep -q 'SIGTERM received' "$T/err" || fail "no stop message"
echo "PASS 0041-dev-broker ($BS)"
