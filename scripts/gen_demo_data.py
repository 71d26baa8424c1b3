#!/usr/bin/env python3
"""Generate the shipped Jilin demo data set (data/jilin/, data/icd/).

Deterministic (fixed seeds, no clock, sorted iteration), python3 stdlib only,
re-runnable: the output is rewritten from scratch each time.

    python3 scripts/gen_demo_data.py [--shared /work/shared] [--out <repo>/data]

What is real and what is generated is described in data/jilin/README.md.
Real: region codes/names and schemes, DRG codes/names/weights (Jilin 2022
table), ICD-10 / ICD-9-CM-3 医保版 2.0 codes used in the DIP sample library.
Generated (marked "(示例)"): hospitals, DIP libraries, demo policy values.
"""

import argparse
import os
import random
import re
import shutil
import sys

SEED = 20220701  # fixed: same input files -> byte-identical output

# admdvs, name, scheme, hospital count, DIP regional base (yuan, DIP only)
REGIONS = [
    ("220100", "长春市", "DRG", 70, None),
    ("220200", "吉林市", "DRG", 40, None),
    ("220300", "四平市", "DRG", 25, None),
    ("229900", "吉林省省本级", "DRG", 12, None),
    ("220400", "辽源市", "DIP", 18, 7000),
    ("220500", "通化市", "DIP", 25, 7200),
    ("220600", "白山市", "DIP", 18, 6800),
    ("220700", "松原市", "DIP", 25, 6900),
    ("220800", "白城市", "DIP", 20, 6500),
    ("222400", "延边朝鲜族自治州", "DIP", 30, 7400),
    ("220581", "梅河口市", "DIP", 12, 6600),
    ("229901", "长白山管委会", "DIP", 5, 7100),
]

# Demo policy values per region: baseline_avg_cost (yuan), coef_combine,
# retention_rate. DRG level-3 base rate is the Jilin 2022 published 费率
# 9080.56 (seed); level 2 / level 1 are 80 % / 70 % of it (demo).
POLICY = {
    "220100": ("9000.00", "multiply", "0.05"),
    "220200": ("8500.00", "multiply", "0.05"),
    "220300": ("7800.00", "add", "0.06"),
    "229900": ("11000.00", "multiply", "0.05"),
    "220400": ("7000.00", "add", "0.06"),
    "220500": ("7200.00", "multiply", "0.05"),
    "220600": ("6800.00", "add", "0.05"),
    "220700": ("6900.00", "multiply", "0.07"),
    "220800": ("6500.00", "add", "0.05"),
    "222400": ("7400.00", "multiply", "0.05"),
    "220581": ("6600.00", "add", "0.08"),
    "229901": ("7100.00", "multiply", "0.05"),
}
BASE_RATE_L3_FEN = 908056

# Place names used for generated hospitals (real districts/counties of each
# pooling region; the hospitals themselves are fictitious).
PLACES = {
    "220100": ["南关区", "宽城区", "朝阳区", "二道区", "绿园区", "双阳区", "九台区",
               "农安县", "榆树市", "德惠市", "长春新区", "净月区", "汽开区", "经开区"],
    "220200": ["昌邑区", "龙潭区", "船营区", "丰满区", "永吉县", "蛟河市", "桦甸市",
               "舒兰市", "磐石市"],
    "220300": ["铁西区", "铁东区", "梨树县", "伊通县", "双辽市"],
    "229900": ["吉林省"],
    "220400": ["龙山区", "西安区", "东丰县", "东辽县"],
    "220500": ["东昌区", "二道江区", "通化县", "辉南县", "柳河县", "集安市"],
    "220600": ["浑江区", "江源区", "抚松县", "靖宇县", "长白县", "临江市"],
    "220700": ["宁江区", "前郭县", "长岭县", "乾安县", "扶余市"],
    "220800": ["洮北区", "镇赉县", "通榆县", "洮南市", "大安市"],
    "222400": ["延吉市", "图们市", "敦化市", "珲春市", "龙井市", "和龙市", "汪清县",
               "安图县"],
    "220581": ["梅河口市"],
    "229901": ["池北区", "池西区", "池南区"],
}
L3_TYPES = ["人民医院", "中心医院", "中医院", "妇幼保健院", "肿瘤医院", "中西医结合医院",
            "传染病医院", "精神卫生中心", "骨科医院", "儿童医院"]
L2_TYPES = ["人民医院", "中医院", "妇幼保健院", "康复医院", "眼科医院", "口腔医院",
            "中西医结合医院", "职工医院", "骨伤医院", "第二人民医院"]
L1_TYPES = ["社区卫生服务中心", "乡镇卫生院", "街道医院", "卫生院"]

# ICD-10 chapter -> ICD-9-CM-3 chapter ranges (first two digits), so that
# generated operations at least belong to the right body system.
DX_PROC_RANGES = [
    ("C00", "C14", [(24, 29)]), ("C15", "C26", [(42, 54)]), ("C30", "C39", [(30, 34)]),
    ("C40", "C41", [(76, 84)]), ("C43", "C44", [(86, 86)]), ("C50", "C50", [(85, 85)]),
    ("C51", "C58", [(65, 71)]), ("C60", "C63", [(60, 64)]), ("C64", "C68", [(55, 59)]),
    ("C69", "C69", [(8, 16)]), ("C70", "C72", [(1, 5)]), ("C73", "C75", [(6, 7)]),
    ("C76", "D48", [(40, 54)]), ("D50", "D89", [(40, 41)]), ("E00", "E90", [(6, 7)]),
    ("F00", "F99", [(94, 94)]), ("G00", "G99", [(1, 5)]), ("H00", "H59", [(8, 16)]),
    ("H60", "H95", [(18, 20)]), ("I00", "I99", [(35, 39)]), ("J00", "J99", [(21, 22), (30, 34)]),
    ("K00", "K14", [(23, 27)]), ("K20", "K93", [(42, 54)]), ("L00", "L99", [(86, 86)]),
    ("M00", "M99", [(76, 84)]), ("N00", "N39", [(55, 59)]), ("N40", "N51", [(60, 64)]),
    ("N60", "N64", [(85, 85)]), ("N70", "N99", [(65, 71)]), ("O00", "O99", [(72, 75)]),
    ("P00", "P96", [(38, 39), (96, 96)]), ("Q00", "Q99", [(1, 86)]),
    ("R00", "R99", [(87, 92)]), ("S00", "T98", [(76, 86)]), ("Z00", "Z99", [(99, 99)]),
]

# 基层病种 (BASIC): common conditions paid the same at every hospital level.
# (亚目, procedures or "" for conservative). Codes checked against the lists.
BASIC = [
    ("J18.9", ""), ("J18.0", ""), ("J20.9", ""), ("J06.9", ""), ("J44.1", ""),
    ("J44.9", ""), ("J45.9", ""), ("I10.x", ""), ("I63.9", ""), ("I25.1", ""),
    ("I50.9", ""), ("E11.9", ""), ("E11.2", ""), ("K29.7", ""), ("K29.5", ""),
    ("A09.0", ""), ("A09.9", ""), ("N39.0", ""), ("N20.0", ""), ("K80.2", ""),
    ("K81.1", ""), ("M51.2", ""), ("M17.9", ""), ("L03.1", ""), ("I83.9", ""),
    ("K92.2", ""), ("R51.x", ""), ("O80.0", ""), ("H25.9", "13.4100/13.4100x001"),
    ("K35.8", "47.0100/47.0900"), ("K40.9", "53.0000/53.0001"),
    ("K80.1", "51.2300/51.2200"), ("N40.x", ""), ("I67.8", ""), ("G45.9", ""),
    ("J03.9", ""), ("K59.0", ""), ("B02.9", ""), ("E86.x", ""), ("I48.9", ""),
]

CLASS_MAP = {"手术": "相关手术", "介入治疗": "治疗性操作", "治疗性操作": "治疗性操作",
             "诊断性操作": "诊断性操作"}
COMP_CLASSES = [("保守治疗", 1.0), ("诊断性操作", 1.35), ("治疗性操作", 1.9), ("相关手术", 3.4)]


def read_lines(path):
    with open(path, encoding="utf-8-sig") as f:
        return [l.rstrip("\r\n") for l in f]


def short(name, n):
    """Cut a Chinese name to n characters (keeps group names < 127 bytes)."""
    name = name.replace(",", "，")
    return name if len(name) <= n else name[:n]


def load_icd10(path):
    subs, cats = {}, {}
    for line in read_lines(path):
        code, _, name = line.partition(" ")
        if not re.match(r"^[A-Z]\d\d\.[0-9x]", code):
            continue
        sub, cat = code[:5], code[:3]
        if sub not in subs or code == sub + "00":
            subs[sub] = name
        if cat not in cats:
            cats[cat] = name
    return subs, cats


def load_procs(icd9_path, class_path):
    names = {}
    for line in read_lines(icd9_path):
        code, _, name = line.partition(" ")
        if re.match(r"^\d\d\.\d", code):
            names[code] = name
    classes = {}
    for line in read_lines(class_path):
        code, _, cls = line.partition(" ")
        if code and cls.strip() in CLASS_MAP:
            classes[code] = CLASS_MAP[cls.strip()]
    by_class = {}
    for code in sorted(names):
        cls = classes.get(code)
        if cls:
            by_class.setdefault(cls, {}).setdefault(int(code[:2]), []).append(code)
    return names, by_class


def proc_ranges(cat):
    for lo, hi, ranges in DX_PROC_RANGES:
        if lo <= cat <= hi:
            return ranges
    return [(1, 99)]


def pick_proc(rng, by_class, cls, cat):
    pool = []
    for lo, hi in proc_ranges(cat):
        for ch in range(lo, hi + 1):
            pool.extend(by_class.get(cls, {}).get(ch, []))
    if not pool:
        for ch in sorted(by_class.get(cls, {})):
            pool.extend(by_class[cls][ch])
    return rng.choice(pool)


def fmt_e4(v):
    return "%d.%04d" % (v // 10000, v % 10000)


def fmt_fen(v):
    return "%d.%02d" % (v // 100, v % 100)


def build_base_library(shared):
    """Region-independent groups: (code, name, main_dx, procedures, rel_score_e4, kind)."""
    icd = os.path.join(shared, "data", "icd")
    subs, cats = load_icd10(os.path.join(icd, "icd10-yb-2.0.txt"))
    names, by_class = load_procs(os.path.join(icd, "icd9cm3-yb-2.0.txt"),
                                 os.path.join(icd, "procedure-category.txt"))
    rng = random.Random(SEED)
    for sub, procs in BASIC:
        if sub not in subs:
            sys.exit("BASIC main_dx %s not in ICD-10 list" % sub)
        for term in filter(None, procs.split("+")):
            for alt in term.split("/"):
                if alt not in names:
                    sys.exit("BASIC procedure %s not in ICD-9-CM-3 list" % alt)

    # 类目 outside the external-cause chapters (V-Y are never principal
    # diagnoses); keep ~45 % of them plus every 类目 a BASIC group needs.
    basic_cats = {s[:3] for s, _ in BASIC}
    all_cats = sorted(c for c in cats if c[0] not in "VWXY" and c[0] != "U")
    chosen_cats = [c for c in all_cats if c in basic_cats or rng.random() < 0.30]
    chosen_set = set(chosen_cats)
    basic_subs = {s for s, _ in BASIC}
    chosen_subs = [s for s in sorted(subs)
                   if s[:3] in chosen_set and (s in basic_subs or rng.random() < 0.55)]

    core, comp, basic = [], [], []
    cons_score = {}
    for sub in chosen_subs:
        cat = sub[:3]
        dxname = short(subs[sub], 18)
        base = max(2500, min(40000, int(rng.lognormvariate(-0.1, 0.45) * 10000)))
        if cat[0] in "CD" and cat <= "D48":
            base = base * 3 // 2
        cons_score[sub] = base
        core.append([dxname + "-保守治疗(示例)", sub, "", base])
        seen = {""}
        n_ops = rng.choice([0, 0, 0, 1, 1, 1, 2, 2, 3])
        for _ in range(n_ops):
            r = rng.random()
            if r < 0.55:  # single surgery / therapeutic / diagnostic procedure
                cls = rng.choice(["相关手术", "相关手术", "相关手术", "治疗性操作", "诊断性操作"])
                p = pick_proc(rng, by_class, cls, cat)
                procs, label = p, short(names[p], 16)
                mult = {"相关手术": 3.2, "治疗性操作": 1.8, "诊断性操作": 1.3}[cls]
            elif r < 0.85:  # alternatives
                cls = rng.choice(["相关手术", "相关手术", "治疗性操作"])
                alts = sorted({pick_proc(rng, by_class, cls, cat) for _ in range(rng.randint(2, 3))})
                procs, label = "/".join(alts), short(names[alts[0]], 16)
                mult = 2.8 if cls == "相关手术" else 1.7
            else:  # combined operation: two terms, both needed
                t1 = pick_proc(rng, by_class, "相关手术", cat)
                t2 = pick_proc(rng, by_class, rng.choice(["相关手术", "治疗性操作"]), cat)
                if t1 == t2:
                    continue
                procs, label = t1 + "+" + t2, "联合手术"
                mult = 4.5
            if procs in seen:
                continue
            seen.add(procs)
            score = int(base * mult * rng.uniform(0.75, 1.35))
            core.append([dxname + "-" + label + "(示例)", sub, procs, min(score, 990000)])

    for cat in chosen_cats:
        cat_subs = [cons_score[s] for s in chosen_subs if s[:3] == cat]
        if not cat_subs:
            continue
        avg = sum(cat_subs) // len(cat_subs)
        catname = short(cats[cat], 14)
        for cls, mult in COMP_CLASSES:
            score = max(2000, int(avg * mult * rng.uniform(0.85, 1.2)))
            comp.append(["%s(%s)-%s(示例)" % (cat, catname, cls), cat, cls, score])

    for sub, procs in BASIC:
        # 基层病种 pay a bit less than the conservative core group of the
        # same diagnosis (they are treated at every level at the same price).
        score = int(cons_score[sub] * rng.uniform(0.8, 0.95))
        if procs:
            score = int(cons_score[sub] * rng.uniform(2.2, 3.0))
        basic.append([short(subs[sub], 18) + "-基层病种(示例)", sub, procs, score])

    out = []
    for i, (n, dx, p, s) in enumerate(core, 1):
        out.append(("C%05d" % i, n, dx, p, s, "CORE"))
    for i, (n, dx, p, s) in enumerate(basic, 1):
        out.append(("B%04d" % i, n, dx, p, s, "BASIC"))
    for i, (n, dx, p, s) in enumerate(comp, 1):
        out.append(("Z%05d" % i, n, dx, p, s, "COMPREHENSIVE"))
    return out


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def gen_dip(out, base_lib):
    counts = {}
    for admdvs, _, scheme, _, base_yuan in REGIONS:
        if scheme != "DIP":
            continue
        rng = random.Random("%d-dip-%s" % (SEED, admdvs))
        rows = ["dip_code,name,main_dx,procedures,score,ref_cost,kind"]
        n = {"CORE": 0, "BASIC": 0, "COMPREHENSIVE": 0}
        for code, name, dx, procs, score, kind in base_lib:
            # per-region variation: ~2 % of operative core groups absent,
            # scores within +-6 % of the base library
            if kind == "CORE" and procs and rng.random() < 0.02:
                continue
            s = max(1, score * rng.randint(940, 1060) // 1000)
            ref_fen = (s * base_yuan * 100 + 5000) // 10000  # score x base, fen
            rows.append(",".join([code, name, dx, procs, fmt_e4(s), fmt_fen(ref_fen), kind]))
            n[kind] += 1
        write(os.path.join(out, "jilin", "dip", admdvs + ".csv"), "\n".join(rows) + "\n")
        counts[admdvs] = n
    return counts


def gen_drg(out, shared):
    lines = read_lines(os.path.join(shared, "data", "jilin", "drg-payment-2022.csv"))
    rows = ["drg_code,name,weight"]
    for line in lines[1:]:
        if not line.strip():
            continue
        f = line.split(",")
        rows.append(",".join(f[:3]))
    text = "\n".join(rows) + "\n"
    for admdvs, _, scheme, _, _ in REGIONS:
        if scheme == "DRG":
            write(os.path.join(out, "jilin", "drg", admdvs + ".csv"), text)
    return len(rows) - 1


def gen_hospitals(out):
    rng = random.Random("%d-hospitals" % SEED)
    rows = ["fixmedins_code,name,admdvs,level,coefficients"]
    for admdvs, rname, _, count, _ in REGIONS:
        places = PLACES[admdvs]
        used = set()
        if admdvs == "229900":
            mix = (0.85, 0.15)  # provincial hospitals: mostly level 3
        elif count >= 40:
            mix = (0.18, 0.45)
        else:
            mix = (0.10, 0.45)
        for i in range(1, count + 1):
            r = rng.random()
            level = 3 if (r < mix[0] or i == 1) else (2 if r < mix[0] + mix[1] else 1)
            types = {3: L3_TYPES, 2: L2_TYPES, 1: L1_TYPES}[level]
            prefix = "吉林省" if admdvs == "229900" else rname
            for attempt in range(100):
                place = rng.choice(places)
                t = rng.choice(types)
                if level == 3:
                    name = prefix + t if attempt == 0 else "%s%s%s" % (prefix, place, t)
                else:
                    name = place + t
                if attempt > 5:
                    name = "%s第%d%s" % (place, attempt, t)
                if name not in used:
                    break
            used.add(name)
            ncoef = rng.choice([0, 1, 1, 1, 2, 2, 3])
            coefs = []
            for _ in range(ncoef):
                c = int(rng.gauss(100, 6))
                if rng.random() < 0.03:
                    c = rng.choice([0, 50, 130, 150, 200])
                coefs.append(str(max(0, min(200, c))))
            rows.append("H%s%05d,%s(示例),%s,%d,%s" % (admdvs, i, name, admdvs, level, ";".join(coefs)))
    write(os.path.join(out, "jilin", "hospitals.csv"), "\n".join(rows) + "\n")
    return len(rows) - 1


def gen_policy(out):
    for admdvs, name, scheme, _, base_yuan in REGIONS:
        avg, combine, retention = POLICY[admdvs]
        l = ["# %s %s policy (%s). Demo values except where marked (seed)." % (admdvs, name, scheme),
             "scheme = %s" % scheme, "points_scale = 10000", "coef_combine = %s" % combine]
        if scheme == "DRG":
            l += ["# level3 = Jilin 2022 published rate (seed); level2/level1 = 80 % / 70 % (demo)",
                  "drg.base_rate.level3 = %s" % fmt_fen(BASE_RATE_L3_FEN),
                  "drg.base_rate.level2 = %s" % fmt_fen((BASE_RATE_L3_FEN * 8 + 5) // 10),
                  "drg.base_rate.level1 = %s" % fmt_fen((BASE_RATE_L3_FEN * 7 + 5) // 10)]
        l += ["outlier.high_ratio = 2", "outlier.high_excess_ratio = 1",
              "outlier.low_ratio = %s" % ("0.35" if scheme == "DRG" else "0.5"),
              "baseline_avg_cost = %s" % avg]
        if scheme == "DRG":
            l += ["bedday.REHAB.daily_fund_standard = 300.00", "bedday.REHAB.reimb_ratio = 0.75",
                  "bedday.PSYCH.daily_fund_standard = 260.00", "bedday.PSYCH.reimb_ratio = 0.80"]
        else:
            l += ["bedday.REHAB.daily_fund_standard = 240.00", "bedday.REHAB.reimb_ratio = 0.80",
                  "bedday.PSYCH.daily_fund_standard = 220.00", "bedday.PSYCH.reimb_ratio = 0.85"]
        l += ["ungroupable = ffs", "ineligible = hold", "retention_rate = %s" % retention,
              "late_list_days = 7", "late_list_excluded = true", "special_case.quota = 0.03",
              "sharing.rate = 0.6", "sharing.band = 0.10"]
        if scheme == "DIP":
            l += ["basic_same_pay = true"]
        write(os.path.join(out, "jilin", "policy", admdvs + ".conf"), "\n".join(l) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default="/work/shared", help="shared reference data root")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(here), "data"),
                    help="output data directory (default <repo>/data)")
    a = ap.parse_args()
    out = a.out
    for sub in ("dip", "drg", "policy"):
        d = os.path.join(out, "jilin", sub)
        if os.path.isdir(d):
            shutil.rmtree(d)
    write(os.path.join(out, "jilin", "regions.csv"),
          "admdvs,name,scheme\n" + "".join("%s,%s,%s\n" % r[:3] for r in REGIONS))
    nh = gen_hospitals(out)
    gen_policy(out)
    ndrg = gen_drg(out, a.shared)
    counts = gen_dip(out, build_base_library(a.shared))
    os.makedirs(os.path.join(out, "icd"), exist_ok=True)
    shutil.copyfile(os.path.join(a.shared, "data", "icd", "procedure-category.txt"),
                    os.path.join(out, "icd", "procedure-category.txt"))
    shutil.copyfile(os.path.join(a.shared, "data", "icd", "LICENSE"),
                    os.path.join(out, "icd", "LICENSE"))
    shutil.copyfile(os.path.join(a.shared, "data", "jilin", "LICENSE"),
                    os.path.join(out, "jilin", "LICENSE"))
    print("regions %d, hospitals %d, drg rows %d per DRG region" % (len(REGIONS), nh, ndrg))
    for admdvs in sorted(counts):
        c = counts[admdvs]
        print("dip %s: CORE %d BASIC %d COMPREHENSIVE %d" %
              (admdvs, c["CORE"], c["BASIC"], c["COMPREHENSIVE"]))


if __name__ == "__main__":
    main()
