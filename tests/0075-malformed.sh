#!/bin/bash
# 1,000 malformed messages mixed into the golden stream (garbage bytes, an
# unknown Avro fingerprint, wrong JSON types, three-decimal amounts, an
# unknown hospital): all in the DLQ with their reason (counted with kcat),
# the stream continues, totals equal replay over the good events.
. "$2/tests/stream-lib.sh"
python3 - "$EVENTS" "$T/mixed.jsonl" <<'PY'
import json, random, sys
src, dst = sys.argv[1:3]
rnd = random.Random(75)
good = open(src, 'rb').read().splitlines()
templ = json.loads(good[5])                    # a SETTLEMENT
assert templ['type'] == 'SETTLEMENT'
def rbytes(n):
    return bytes(rnd.choice([b for b in range(1, 256) if b not in (10, 13)]) for _ in range(n))
bad = []
for i in range(200):                           # garbage
    b = rbytes(rnd.randint(1, 80))
    while b[:1] in (b'{', b'\xc3'):
        b = rbytes(rnd.randint(1, 80))
    bad.append(b)
for i in range(200):                           # unknown writer fingerprint
    bad.append(b'\xc3\x01' + rbytes(8) + rbytes(rnd.randint(0, 40)))
def ev(i, **kw):
    e = dict(templ); e['event_id'] = 'BAD-%s-%04d' % (kw.pop('_k'), i)
    e['setl_id'] = 'SBAD%06d' % i
    e.update(kw)
    return json.dumps(e).encode()
for i in range(200):                           # wrong JSON types
    k = rnd.choice(['medfee_sumamt', 'insutype', 'setl_time', 'fund_pay_sumamt'])
    bad.append(ev(i, _k='T', **{k: True if k != 'setl_time' else 20250301}))
for i in range(200):                           # three decimals
    bad.append(ev(i, _k='A', medfee_sumamt='%d.%03d' % (rnd.randint(1, 99999), rnd.randint(1, 999))))
for i in range(200):                           # unknown hospital
    bad.append(ev(i, _k='H', fixmedins_code='H99999900%03d' % (i % 1000)))
out = list(good)
for b in bad:
    out.insert(rnd.randint(0, len(out)), b)
open(dst, 'wb').write(b'\n'.join(out) + b'\n')
PY
[ "$(wc -l <"$T/mixed.jsonl")" = 4354 ] || fail "mixed file has $(wc -l <"$T/mixed.jsonl") lines"
start_broker 4
start_redis
replay_all "$EVENTS"
produce "$T/mixed.jsonl" json
write_conf p1 g75
start_proc p1
wait_stat p1 consumed 4354 120 || fail "not all consumed"
wait_equal 60 || fail "live snapshots never equalled replay over the good events"
[ "$(last_stat p1 bad)" = 1011 ] || fail "bad $(last_stat p1 bad), want 1011"
[ "$(last_stat p1 applied)" = 3279 ] || fail "applied $(last_stat p1 applied), want 3279"
stop_proc "$PROC_PID"
kcat -b "$BS" -C -t drgdip.dlq -o beginning -e -q >"$T/dlq.out" 2>/dev/null
total=$(grep -c '"reason"' "$T/dlq.out")
[ "$total" = 1011 ] || fail "DLQ holds $total records, want 1011"
for r in UNDECODABLE:200 UNKNOWN_SCHEMA:200; do
    n=$(grep -c "\"reason\":\"${r%%:*}\"" "$T/dlq.out")
    [ "$n" -ge "${r##*:}" ] || fail "DLQ: $n ${r%%:*}, want >= ${r##*:}"
done
# each injected JSON event is there, with the reason of its kind
n=$(grep '"event_id":"BAD-A-' "$T/dlq.out" | grep -c '"reason":"BAD_AMOUNT"')
[ "$n" = 200 ] || fail "three-decimal amounts: $n BAD_AMOUNT, want 200"
n=$(grep '"event_id":"BAD-H-' "$T/dlq.out" | grep -c '"reason":"UNKNOWN_HOSPITAL"')
[ "$n" = 200 ] || fail "unknown hospitals: $n UNKNOWN_HOSPITAL, want 200"
n=$(grep '"event_id":"BAD-T-' "$T/dlq.out" | grep -Ec '"reason":"(BAD_FIELD|BAD_TIME|BAD_AMOUNT)"')
[ "$n" = 200 ] || fail "wrong types: $n BAD_FIELD/BAD_TIME/BAD_AMOUNT, want 200"
grep -q '"source_topic":"drgdip.settlements","partition":[0-9]*,"offset":[0-9]*' "$T/dlq.out" ||
    fail "DLQ records lack the source topic/partition/offset"
echo "0075-malformed: OK ($total in the DLQ)"
