#!/bin/bash
# `drgdip gen` output for the shipped Jilin data set (12 regions, DRG and
# DIP, corrections, re-uploads, reversals, duplicate ids) ->
# dev broker (8 partitions, JSON and Avro mixed) -> drgdip run: the live
# snapshot equals `drgdip replay` for every region, insurance type and month.
. "$2/tests/stream-lib.sh"
DATA=
"$BIN" gen --month 2025-03 --cases 1500 --seed 79 --quiet >"$T/gen.jsonl" 2>"$T/gen.log" ||
    fail "drgdip gen failed"
n=$(wc -l <"$T/gen.jsonl")
[ "$n" -gt 5500 ] || fail "gen wrote only $n events"
start_broker 8
start_redis
replay_all "$T/gen.jsonl"
[ "$(wc -l <"$T/replay.all")" -ge 20 ] || fail "replay has only $(wc -l <"$T/replay.all") scopes"
produce "$T/gen.jsonl" mix
write_conf p1 g79 "batch.max_events = 500"
start_proc p1
wait_stat p1 consumed "$n" 120 || fail "not all consumed ($(last_stat p1 consumed) of $n)"
wait_equal 120 || fail "live snapshots never equalled replay"
[ "$(last_stat p1 bad)" = 0 ] || fail "bad events: $(last_stat p1 bad)"
stop_proc "$PROC_PID"
echo "0079-stream-gen: OK ($n events, $(wc -l <"$T/replay.all") scopes)"
