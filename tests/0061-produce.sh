#!/bin/bash
# drgdip produce against the dev broker: every line arrives (json bytes
# unchanged, avro re-encoded, mix alternating), keyed by fixmedins_code with
# each hospital in one partition; undecodable lines go raw and are counted;
# an unreachable broker is a non-zero exit.
# args: $1 drgdip binary, $2 repo root, $3 shared dir
set -u
BIN=$1
T=$(mktemp -d)
BPID=
cleanup() { [ -n "$BPID" ] && kill "$BPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v kcat >/dev/null || { echo "SKIP: kcat not installed"; exit 0; }

"$BIN" produce --help >/dev/null || fail "produce --help"
"$BIN" produce --events x >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing --brokers must be 2"

"$BIN" dev-broker --partitions 4 --bootstrap-file "$T/bs" >"$T/broker.out" 2>"$T/broker.err" &
BPID=$!
for _ in $(seq 200); do [ -s "$T/bs" ] && break; sleep 0.1; done
[ -s "$T/bs" ] || fail "dev broker did not start: $(cat "$T/broker.err")"
BS=$(head -1 "$T/bs")

"$BIN" gen --month 2025-03 --cases 300 --seed 11 --quiet >"$T/ev.jsonl" || fail "gen"
N=$(wc -l <"$T/ev.jsonl")

consume() { # topic format -> stdout
    timeout 30 kcat -C -b "$BS" -t "$1" -e -q -f "$2" 2>/dev/null
}

timeout 60 "$BIN" produce --events "$T/ev.jsonl" --brokers "$BS" --topic t.json \
    2>"$T/p1.err" || fail "produce json: $(cat "$T/p1.err")"
grep -q "$N delivered, 0 failed" "$T/p1.err" || fail "json summary: $(cat "$T/p1.err")"
consume t.json '%s\n' | sort >"$T/got.json"
sort "$T/ev.jsonl" | cmp -s - "$T/got.json" || fail "json payloads differ from the input lines"
# keyed: a hospital's messages all in one partition, and the key is its code
consume t.json '%p %k\n' | sort -u >"$T/keys"
[ "$(wc -l <"$T/keys")" = "$(awk '{print $2}' "$T/keys" | sort -u | wc -l)" ] \
    || fail "a key spans several partitions"
[ "$(awk '$2 !~ /^H[0-9]+$/' "$T/keys" | wc -l)" = 0 ] || fail "message without a hospital key"

timeout 60 "$BIN" produce --events "$T/ev.jsonl" --brokers "$BS" --topic t.avro --format avro \
    2>"$T/p2.err" || fail "produce avro: $(cat "$T/p2.err")"
grep -q "avro $N, raw 0" "$T/p2.err" || fail "avro summary: $(cat "$T/p2.err")"
[ "$(consume t.avro '%k\n' | wc -l)" = "$N" ] || fail "avro message count"
jbytes=$(consume t.json '%S\n' | awk '{s+=$1} END {print s}')
abytes=$(consume t.avro '%S\n' | awk '{s+=$1} END {print s}')
[ "$abytes" -lt "$jbytes" ] || fail "avro ($abytes B) not smaller than json ($jbytes B)"
# Avro single-object marker C3 01 on the first message of partition 0
first=$(timeout 30 kcat -C -b "$BS" -t t.avro -p 0 -o beginning -c 1 -e -q -f '%s' 2>/dev/null | head -c 2 | od -An -tx1 | tr -d ' \n')
[ "$first" = "c301" ] || fail "avro message does not start with c3 01 ($first)"

timeout 60 "$BIN" produce --events "$T/ev.jsonl" --brokers "$BS" --topic t.mix --mix \
    2>"$T/p3.err" || fail "produce mix: $(cat "$T/p3.err")"
half=$((N / 2))
grep -Eq "json $((N - half)), avro $half|json $half, avro $((N - half))" "$T/p3.err" \
    || fail "mix summary: $(cat "$T/p3.err")"
[ "$(consume t.mix '%k\n' | wc -l)" = "$N" ] || fail "mix message count"

printf '%s\n' '{"event_id":"b1","type":"SETTLEMENT","fixmedins_code":"H22010000001","medfee_sumamt":1.234}' \
    'garbage line' >"$T/bad.jsonl"
timeout 60 "$BIN" produce --events "$T/bad.jsonl" --brokers "$BS" --topic t.bad --format avro \
    2>"$T/p4.err" || fail "produce bad lines: $(cat "$T/p4.err")"
grep -q "raw 2 undecodable, 1 without key), 2 delivered" "$T/p4.err" || fail "bad summary: $(cat "$T/p4.err")"
consume t.bad '%s\n' | grep -q '^garbage line$' || fail "raw bytes not sent as they are"

# --key setl_id: keyed by the settlement (events without one keep the hospital)
grep -m1 '"setl_id"' "$T/ev.jsonl" >"$T/one.jsonl"
setl=$(grep -o '"setl_id": *"[^"]*"' "$T/one.jsonl" | sed 's/.*"\([^"]*\)"$/\1/')
timeout 60 "$BIN" produce --events "$T/one.jsonl" --brokers "$BS" --topic t.key --key setl_id \
    --quiet || fail "produce --key setl_id"
[ "$(consume t.key '%k\n' | head -1)" = "$setl" ] || fail "--key setl_id: key is not $setl"
"$BIN" produce --events "$T/one.jsonl" --brokers "$BS" --key psn_no >/dev/null 2>&1
[ $? -eq 2 ] || fail "--key psn_no must be a usage error (exit 2)"

timeout 30 "$BIN" produce --events "$T/bad.jsonl" --brokers 127.0.0.1:1 --timeout 2 \
    >/dev/null 2>&1
[ $? -eq 1 ] || fail "unreachable broker must exit 1"
echo "PASS ($N events per format)"
