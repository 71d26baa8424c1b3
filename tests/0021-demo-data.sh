#!/bin/bash
# The shipped Jilin demo data set (data/jilin/, data/icd/): regions and
# schemes, hospitals, a policy per region, DRG tables equal to the published
# Jilin 2022 table, DIP libraries built from real ICD codes, and the generator
# reproduces the shipped files byte for byte.
# Args: $1 drgdip binary (unused), $2 repo root, $3 shared dir.
set -euo pipefail
ROOT=${2:?repo root}
SHARED=${3:?shared dir}
DATA=$ROOT/data

python3 - "$DATA" "$SHARED" <<'EOF'
import os, re, sys
data, shared = sys.argv[1], sys.argv[2]
J = os.path.join(data, "jilin")
fails = []
def check(cond, msg):
    if not cond:
        fails.append(msg)

def rows(path, header):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    check(not text.startswith("\ufeff"), path + ": BOM")
    check("\r" not in text, path + ": CR")
    lines = text.split("\n")
    check(lines[-1] == "", path + ": no final newline")
    check(lines[0] == header, path + ": header %r" % lines[0])
    out = [l.split(",") for l in lines[1:] if l]
    n = header.count(",") + 1
    for i, r in enumerate(out, 2):
        check(len(r) == n, "%s line %d: %d fields" % (path, i, len(r)))
    return out

expected = {
    "220100": "DRG", "220200": "DRG", "220300": "DRG", "229900": "DRG",
    "220400": "DIP", "220500": "DIP", "220600": "DIP", "220700": "DIP",
    "220800": "DIP", "222400": "DIP", "220581": "DIP", "229901": "DIP",
}
regions = rows(os.path.join(J, "regions.csv"), "admdvs,name,scheme")
got = {r[0]: r[2] for r in regions}
check(len(regions) == 12, "regions: %d rows" % len(regions))
check(got == expected, "regions/schemes: %r" % got)
check(all(r[1] for r in regions), "regions: empty name")

hosp = rows(os.path.join(J, "hospitals.csv"), "fixmedins_code,name,admdvs,level,coefficients")
check(250 <= len(hosp) <= 350, "hospitals: %d" % len(hosp))
check(len({h[0] for h in hosp}) == len(hosp), "hospitals: duplicate code")
per_region = {}
levels = {}
for h in hosp:
    code, name, adm, level, coefs = h
    check(adm in expected, "hospital %s: admdvs %s not a region" % (code, adm))
    check(re.fullmatch(r"H%s\d{5}" % adm, code) is not None, "hospital code %s" % code)
    check(level in ("1", "2", "3"), "hospital %s level %s" % (code, level))
    check(name.endswith("(示例)"), "hospital %s not marked generated" % code)
    cs = coefs.split(";") if coefs else []
    check(len(cs) <= 3, "hospital %s: %d coefficients" % (code, len(cs)))
    for c in cs:
        check(re.fullmatch(r"\d+", c) is not None and 0 <= int(c) <= 200,
              "hospital %s coefficient %r" % (code, c))
    per_region[adm] = per_region.get(adm, 0) + 1
    levels[level] = levels.get(level, 0) + 1
check(set(per_region) == set(expected), "regions without hospitals: %r" %
      (set(expected) - set(per_region)))
check(per_region.get("220100", 0) == max(per_region.values()), "Changchun not the largest")
check(all(levels.get(l, 0) >= 30 for l in "123"), "level mix %r" % levels)

drg_src = os.path.join(shared, "data", "jilin", "drg-payment-2022.csv")
with open(drg_src, encoding="utf-8-sig") as f:
    table = [l.rstrip("\r\n").split(",")[:3] for l in f][1:]
table = [r for r in table if r != [""]]
check(len(table) == 625, "2022 table rows %d" % len(table))

for adm, scheme in expected.items():
    conf = os.path.join(J, "policy", adm + ".conf")
    check(os.path.isfile(conf), "no policy for " + adm)
    if os.path.isfile(conf):
        kv = {}
        for l in open(conf, encoding="utf-8"):
            l = l.strip()
            if l and not l.startswith("#"):
                k, _, v = l.partition("=")
                kv[k.strip()] = v.strip()
        check(kv.get("scheme") == scheme, adm + ": policy scheme")
        check(kv.get("outlier.low_ratio") == ("0.35" if scheme == "DRG" else "0.5"),
              adm + ": outlier.low_ratio")
        check(kv.get("points_scale") == "10000", adm + ": points_scale")
        check("baseline_avg_cost" in kv and "bedday.REHAB.daily_fund_standard" in kv,
              adm + ": baseline/bedday")
        if scheme == "DRG":
            check(kv.get("drg.base_rate.level3") == "9080.56", adm + ": level3 rate")
            check(all("drg.base_rate.level%d" % i in kv for i in (1, 2)), adm + ": rates")
        else:
            check(kv.get("basic_same_pay") == "true", adm + ": basic_same_pay")
    drg = os.path.join(J, "drg", adm + ".csv")
    dip = os.path.join(J, "dip", adm + ".csv")
    if scheme == "DRG":
        check(not os.path.exists(dip), adm + ": DRG region with a DIP library")
        check(os.path.isfile(drg), adm + ": no drg csv")
        if os.path.isfile(drg):
            check(rows(drg, "drg_code,name,weight") == table, adm + ": drg csv != 2022 table")
    else:
        check(not os.path.exists(drg), adm + ": DIP region with a DRG table")
        check(os.path.isfile(dip), adm + ": no dip csv")
check(sorted(os.listdir(os.path.join(J, "policy"))) == sorted(a + ".conf" for a in expected),
      "extra policy files")

# DIP libraries: real ICD-10 main_dx prefixes and real classed procedure codes
icd10 = [l.split(" ")[0] for l in open(os.path.join(shared, "data/icd/icd10-yb-2.0.txt"),
                                        encoding="utf-8")]
subs = {c[:5] for c in icd10}
cats = {c[:3] for c in icd10}
classed = {l.split(" ")[0] for l in open(os.path.join(data, "icd/procedure-category.txt"),
                                         encoding="utf-8") if len(l.split()) == 2}
comp_classes = {"保守治疗", "诊断性操作", "治疗性操作", "相关手术"}
for adm, scheme in sorted(expected.items()):
    if scheme != "DIP":
        continue
    lib = rows(os.path.join(J, "dip", adm + ".csv"),
               "dip_code,name,main_dx,procedures,score,ref_cost,kind")
    kinds = {}
    for r in lib:
        code, name, mdx, procs, score, ref, kind = r
        kinds[kind] = kinds.get(kind, 0) + 1
        check(name.endswith("(示例)"), adm + " " + code + ": not marked")
        check(re.fullmatch(r"\d+\.\d{4}", score) is not None, adm + " " + code + ": score")
        check(re.fullmatch(r"\d+\.\d{2}", ref) is not None, adm + " " + code + ": ref_cost")
        if kind == "COMPREHENSIVE":
            check(mdx in cats and len(mdx) == 3, adm + " " + code + ": 类目 " + mdx)
            check(procs in comp_classes, adm + " " + code + ": class " + procs)
        else:
            check(mdx in subs and len(mdx) == 5, adm + " " + code + ": 亚目 " + mdx)
            for term in filter(None, procs.split("+")):
                for alt in term.split("/"):
                    check(alt in classed, adm + " " + code + ": procedure " + alt)
    check(kinds.get("CORE", 0) >= 2000, adm + ": CORE %d" % kinds.get("CORE", 0))
    check(kinds.get("BASIC", 0) >= 20, adm + ": BASIC %d" % kinds.get("BASIC", 0))
    check(kinds.get("COMPREHENSIVE", 0) >= 400, adm + ": COMPREHENSIVE")
    check(set(kinds) == {"CORE", "BASIC", "COMPREHENSIVE"}, adm + ": kinds %r" % kinds)

with open(os.path.join(shared, "data/icd/procedure-category.txt"), "rb") as a, \
     open(os.path.join(data, "icd/procedure-category.txt"), "rb") as b:
    check(a.read() == b.read(), "data/icd/procedure-category.txt differs from the reference")
for p in ("jilin/LICENSE", "icd/LICENSE", "jilin/README.md"):
    check(os.path.isfile(os.path.join(data, p)), "missing data/" + p)

if fails:
    print("\n".join(fails[:50]))
    print("%d failures" % len(fails))
    sys.exit(1)
print("demo data OK: %d regions, %d hospitals %r" % (len(regions), len(hosp), levels))
EOF

# The generator reproduces the shipped files exactly.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 "$ROOT/scripts/gen_demo_data.py" --shared "$SHARED" --out "$TMP" >/dev/null
for f in $(cd "$TMP" && find . -type f | sort); do
    cmp -s "$TMP/$f" "$DATA/$f" || { echo "generator output differs from shipped data/$f"; exit 1; }
done
echo "generator reproduces the shipped data"
