#!/bin/bash
# drgdip settle over the golden replay stream (SPEC §7 quarterly netting and
# yearly risk sharing, §11 budgets and the "no budget" rule):
#  - usage errors, --help, exactly one of --events / --redis (the --redis
#    figures are tested by 0081-settle-redis.sh);
#  - 220100/310 2025Q1 on the unmodified stream: B_q = 3 x (yearly / 12),
#    figures derived by hand;
#  - with the yearly budgets of 220100 removed (only the March budget of 390
#    left), 220100/390 2025Q1 has one active month: every hospital's
#    settlement, fund settlement, retention and monthly payables equal the
#    golden March snapshot's; 2025Q2 has no budget: settlements 0, claw-back
#    of everything paid;
#  - 220100/310 2025 with a March budget of 3600000.00: each risk-sharing
#    case, figures derived by hand;
#  - 220400/310 2025: B = 12 x round(yearly / 12) (not the yearly amount).
# args: $1 drgdip binary, $2 repo root, $3 shared dir
set -u
BIN=$1
G=$3/golden/replay
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# ---------------------------------------------------------------- usage
"$BIN" settle --help >"$T/help" || fail "settle --help"
grep -q '^usage: drgdip settle' "$T/help" || fail "--help has no usage line"
grep -q -- '--redis URL *redis://host:port or unix:///path' "$T/help" || fail "--help must document --redis"
"$BIN" --help 2>&1 | grep -q '^ *settle' || fail "settle not listed in drgdip --help"
E=(--events "$G/stream.jsonl" --data "$G/data" --quiet)
expect_rc() { # rc, description, args...
    local want=$1 what=$2
    shift 2
    "$BIN" settle "$@" >/dev/null 2>&1
    local rc=$?
    [ "$rc" = "$want" ] || fail "$what: exit $rc, want $want"
}
expect_rc 2 "no period" --region 220100 --insutype 310 "${E[@]}"
expect_rc 2 "both periods" --region 220100 --insutype 310 --quarter 2025Q1 --year 2025 "${E[@]}"
expect_rc 2 "quarter 5" --region 220100 --insutype 310 --quarter 2025Q5 "${E[@]}"
expect_rc 2 "quarter lower case" --region 220100 --insutype 310 --quarter 2025q1 "${E[@]}"
expect_rc 2 "year 25" --region 220100 --insutype 310 --year 25 "${E[@]}"
expect_rc 2 "insutype 320" --region 220100 --insutype 320 --year 2025 "${E[@]}"
expect_rc 2 "region 5 digits" --region 22010 --insutype 310 --year 2025 "${E[@]}"
expect_rc 2 "no events" --region 220100 --insutype 310 --year 2025 --data "$G/data"
expect_rc 2 "unknown option" --region 220100 --insutype 310 --year 2025 --bogus "${E[@]}"
expect_rc 2 "--events and --redis" --region 220100 --insutype 310 --year 2025 --redis redis://127.0.0.1:6379 "${E[@]}"
expect_rc 2 "--config without --redis" --region 220100 --insutype 310 --year 2025 --config "$T/nope.conf" "${E[@]}"
expect_rc 1 "--redis unreachable" --region 220100 --insutype 310 --year 2025 --data "$G/data" --redis "unix://$T/nope.sock"
expect_rc 1 "unknown region" --region 999999 --insutype 310 --year 2025 "${E[@]}"
expect_rc 1 "missing events file" --region 220100 --insutype 310 --year 2025 \
    --events "$T/nope.jsonl" --data "$G/data"

# run ARGS... -> $T/out.json (JSON), checks exit 0
run() {
    "$BIN" settle "$@" --data "$G/data" --quiet --json >"$T/out.json" 2>"$T/err" \
        || fail "settle $*: $(cat "$T/err")"
    grep -q '^settle: read [0-9]*, applied' "$T/err" || fail "no summary on stderr"
}
py() { # py FILE 'python statements' (d = output, h = by code, g = golden arg 3)
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
h = {x["fixmedins_code"]: x for x in d["hospitals"]}
g = json.load(open(sys.argv[2])) if len(sys.argv) > 2 and sys.argv[2] else None
gh = {x["fixmedins_code"]: x for x in g["hospitals"]} if g else {}
def eq(a, b, what):
    if a != b:
        print("FAIL: %s: got %r, want %r" % (what, a, b)); sys.exit(1)
'"$2" "$1" "${3:-}" || fail "checks failed (see above)"
}

# ------------------------------------- 220100/310 2025Q1, unmodified stream
# yearly 52573842.07 / 12 = 4381153.5058 -> 4381153.51 a month; B_q = 13143460.53;
# P_q = March P 4285721.1407 (no Jan/Feb cases); point value 3.066803.
# H22010100001: S = round(13143460.53 x 723659.9170 / 4285721.1407) = 2219322.08;
# fund 2219322.08 - 119486.43 = 2099835.65; retention 5 % of it = 104991.78
# (104991.7825); monthly payables 507289.10 are March's (533988.53 - 26699.43);
# payable 2099835.65 - 104991.78 - 507289.10 = 1487554.77.
run --region 220100 --insutype 310 --quarter 2025Q1 --events "$G/stream.jsonl"
py "$T/out.json" '
eq([d[k] for k in ("admdvs", "insutype", "period", "from", "to")],
   ["220100", "310", "2025Q1", "2025-01", "2025-03"], "header")
eq(d["budget"], "13143460.53", "B_q")
eq(d["points"], "4285721.1407", "P_q")
eq(d["point_value"], "3.066803", "point value")
x = h["H22010100001"]
eq([x[k] for k in ("points", "medfee", "fund_amount", "psn_part", "settlement",
                   "fund_settlement", "retention", "monthly_payables", "payable", "profit_loss")],
   ["723659.9170", "653474.96", "533988.53", "119486.43", "2219322.08",
    "2099835.65", "104991.78", "507289.10", "1487554.77", "1565847.12"], "H22010100001")
eq("sharing_case" in x or "shared_settlement" in x, False, "no risk sharing in a quarter")
eq(len(h), 7, "hospitals")
eq(sorted(h), [x["fixmedins_code"] for x in d["hospitals"]], "sorted by code")
eq(d["totals"]["settlement"], "13143460.52", "sum of S (rounded shares)")
'

# ------------------ without the yearly budgets of 220100 (+ a March budget for 310)
grep -v -e '"BUD-0003275"' -e '"BUD-0003276"' "$G/stream.jsonl" >"$T/ev.jsonl"
echo '{"event_id":"BUD-T1","type":"BUDGET","event_time":"2024-12-13T00:00:00+08:00","admdvs":"220100","fixmedins_code":"H22010100001","insutype":"310","year":2025,"month":3,"amount":"3600000.00"}' >>"$T/ev.jsonl"

# 220100/390 2025Q1: only March has a budget (2882966.50) and cases, so the
# quarter's figures are the golden March snapshot's; the quarter withholds 5 %
# of its fund settlement and deducts what March paid.
run --region 220100 --insutype 390 --quarter 2025Q1 --events "$T/ev.jsonl"
py "$T/out.json" '
for k in ("budget", "points", "point_value"):
    eq(d[k], g[k], k)
eq(sorted(h), sorted(gh), "hospitals")
for c, m in gh.items():
    x = h[c]
    for k in ("points", "medfee", "fund_amount", "psn_part", "settlement", "fund_settlement",
              "profit_loss"):
        eq(x[k], m[k], c + " " + k)
    eq(x["monthly_payables"], m["payable"], c + " monthly payables")
    fen = lambda s: int(s.replace(".", ""))
    fs = fen(m["fund_settlement"])
    ret = (fs * 5 + 50) // 100 if fs > 0 else 0  # 5 %, half away from zero
    eq(fen(x["retention"]), ret, c + " retention")
    eq(fen(x["payable"]), fs - ret - fen(m["payable"]), c + " payable")
eq([h["H22010100001"][k] for k in ("retention", "payable")], ["10443.70", "21999.86"],
   "H1 (208874.00 - 10443.70 - 176430.44)")
' "$G/stream.220100-390-2025-03.json"

# 220100/390 2025Q2: no budget at all -> settlement and fund settlement 0
# (SPEC §11, literal), nothing withheld; H22010100004 (April: F 580.68, psn
# 409.05, medfee 989.73, paid 580.68 - 29.03 = 551.65) gives back 551.65.
run --region 220100 --insutype 390 --quarter 2025Q2 --events "$T/ev.jsonl"
py "$T/out.json" '
eq([d["budget"], d["points"], d["point_value"]], ["0.00", "1362.4294", "0.000000"], "region")
x = h["H22010100004"]
eq([x[k] for k in ("settlement", "fund_settlement", "retention", "monthly_payables",
                   "payable", "profit_loss")],
   ["0.00", "0.00", "0.00", "551.65", "-551.65", "-989.73"], "no-budget quarter")
eq(len(h), 1, "hospitals")
'

# 220100/310 2025: B = 3600000.00 (March only), P = 4285721.1407 + 32984.7265
# (April) = 4318705.8672; risk sharing rate 0.6, band 0.10:
#  H1 S = round(3600000.00 x 723659.9170 / P) = 603230.64, M 653474.96:
#     overrun 50244.32 <= 60323.06 -> 603230.64 + round(30146.592) = 633377.23;
#     fund 633377.23 - 119486.43 = 513890.80; retention 5 % = 25694.54;
#     payable 513890.80 - 25694.54 - 507289.10 = -19092.84
#  H2 S 402685.78, M 462983.41: overrun 60297.63 > 40268.58 -> S; fund
#     402685.78 - 102733.80 = 299951.98; retention 14997.60 (14997.599);
#     payable 299951.98 - 14997.60 - 342237.13 = -57282.75
#  H4 (March + April) P_h 534342.2227, S 445418.62, M 442786.53: saving
#     2632.09 within -> 442786.53 + round(1579.254) = 444365.78; fund
#     341042.01; retention 17052.10 (17052.1005); paid 322489.62;
#     payable 341042.01 - 17052.10 - 322489.62 = 1500.29
#  H5 S 544645.81, M 454680.24: saving beyond -> M; fund 350661.14,
#     retention 17533.06 (17533.057); payable 350661.14 - 17533.06 - 333128.08 = 0.00
run --region 220100 --insutype 310 --year 2025 --events "$T/ev.jsonl"
py "$T/out.json" '
eq([d["period"], d["from"], d["to"], d["budget"], d["points"], d["point_value"]],
   ["2025", "2025-01", "2025-12", "3600000.00", "4318705.8672", "0.833583"], "region")
eq([d["sharing_rate"], d["sharing_band"]], ["0.600000", "0.100000"], "policy")
K = ("settlement", "sharing_case", "shared_settlement", "fund_settlement", "retention",
     "monthly_payables", "payable", "profit_loss")
def row(c): return [h[c][k] for k in K]
eq(row("H22010100001"), ["603230.64", "OVERRUN_SHARED", "633377.23", "513890.80", "25694.54",
                         "507289.10", "-19092.84", "-20097.73"], "H1")
eq(row("H22010100002"), ["402685.78", "OVERRUN_BEYOND", "402685.78", "299951.98", "14997.60",
                         "342237.13", "-57282.75", "-60297.63"], "H2")
eq(row("H22010100004"), ["445418.62", "SAVING_SHARED", "444365.78", "341042.01", "17052.10",
                         "322489.62", "1500.29", "1579.25"], "H4")
eq(row("H22010100005"), ["544645.81", "SAVING_BEYOND", "454680.24", "350661.14", "17533.06",
                         "333128.08", "0.00", "0.00"], "H5")
eq(h["H22010100004"]["points"], "534342.2227", "H4 points over the year")
'

# 220400/310 2025: yearly 37933461.07 -> 3161121.76 a month -> B = 37933461.12
run --region 220400 --insutype 310 --year 2025 --events "$G/stream.jsonl"
py "$T/out.json" '
eq(d["budget"], "37933461.12", "B_y = 12 x round(yearly / 12)")
eq(d["points"], "3898516.8574", "P_y = Feb + Mar + Apr")
'

# the table form: header, every hospital, a TOTAL row
"$BIN" settle --region 220100 --insutype 310 --year 2025 --events "$T/ev.jsonl" \
    --data "$G/data" --quiet >"$T/table" 2>/dev/null || fail "table form"
grep -q '^Yearly settlement, region 220100, insutype 310, 2025 (2025-01 .. 2025-12)$' "$T/table" \
    || fail "table title"
grep -q '^budget 3600000.00  points 4318705.8672  point value 0.833583$' "$T/table" \
    || fail "table region line"
grep -Eq '^H22010100001 +723659.9170 .* OVERRUN_SHARED +633377.23 .* -19092.84 +-20097.73$' \
    "$T/table" || fail "table H1 row"
[ "$(grep -c '^H2201010000' "$T/table")" = 7 ] || fail "table rows"
grep -q '^TOTAL ' "$T/table" || fail "table total"
echo "ok: settle quarter/year figures"
