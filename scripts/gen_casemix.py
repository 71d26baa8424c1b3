#!/usr/bin/env python3
"""Build data/jilin/casemix-drg.csv: clinical case templates that group under CHS-DRG 1.1.

`drgdip gen` draws the clinical content of synthetic DRG cases from these templates
(diagnoses and procedures), groups each case with the real grouper and prices it with
the region's weight table. Templates are built from the published rule tables in
/work/shared/data/chs-drg-1.1/ (see its README):

  * 4_ADRG_DETAIL.txt, the ADRGs with a simple rule only:
      包含以下主要手术或操作：  -> surgical / procedure template: main procedure from the
                                 list, principal diagnosis from the ADRG's MDC list;
      包含以下主要诊断：        -> medical template: principal diagnosis from the list
                                 (one that belongs to that MDC only), no procedure;
    compound rules (同时包含 ..., 手术表, MDCZ body regions) are skipped;
  * MDC/MDCx.txt, each MDC's principal-diagnosis list;
  * clean/mcc.txt, clean/cc.txt, clean/cce.txt: secondary diagnoses giving MCC / CC
    severity, never from the principal's own exclusion table;
  * clean/or-procedures.txt: MDCA templates use OR procedures only.

Up to three templates per ADRG (different codes; without secondary diagnosis, with a CC,
with an MCC). MDCY (HIV) and MDCZ (multiple trauma) are left out; MDCP gets newborn
templates (age 0, 1-28 days, birth weight 2500-3900 g) for its medical ADRGs.
Secondary diagnoses avoid trauma (S/T), pregnancy (O), perinatal (P) and HIV codes so
that they never move a case to another MDC.

Deterministic: a fixed seed and sorted inputs, so re-running gives the same file.
Columns: adrg,gend,age_min,age_max,age_days,nwb_bir_wt,main_dx,other_dx,procedures
(gend empty = either sex; other_dx / procedures `|`-joined; age_days and nwb_bir_wt are
filled for newborn templates only).

usage: scripts/gen_casemix.py [SHARED_DATA_DIR] [OUTPUT_CSV]
defaults: /work/shared/data  data/jilin/casemix-drg.csv (relative to the repo root)
"""
import os
import random
import re
import sys

SEED = 20250301
PER_ADRG = 3

ADRG_RE = re.compile(r'^([A-Z]{2}[0-9]) (.*)$')
MDC_RE = re.compile(r'^MDC([A-Z]) ')
CODE_RE = re.compile(r'^([A-Z][0-9][0-9A-Z]\.[0-9A-Za-z+*.x]*|[0-9][0-9]\.[0-9A-Za-z.x]*) ')


def read_lines(path):
    with open(path, encoding='utf-8-sig') as f:
        return [line.rstrip('\r\n') for line in f]


def code_of(line):
    m = CODE_RE.match(line + ' ')
    return m.group(1) if m else None


def load_mdc_lists(base):
    """dx code -> set of MDC letters, and MDC letter -> sorted list of dx."""
    dx_mdcs, mdc_dx = {}, {}
    for fn in sorted(os.listdir(os.path.join(base, 'MDC'))):
        m = re.match(r'^MDC([A-Z])\.txt$', fn)
        if not m:
            continue
        letter = m.group(1)
        codes = []
        for line in read_lines(os.path.join(base, 'MDC', fn)):
            c = code_of(line)
            if c:
                codes.append(c)
                dx_mdcs.setdefault(c, set()).add(letter)
        mdc_dx[letter] = sorted(set(codes))
    return dx_mdcs, mdc_dx


def load_adrgs(base):
    """[(adrg, mdc_letter, [(section_header, [codes])])] in file order."""
    adrgs = []
    mdc = None
    cur = None
    for line in read_lines(os.path.join(base, '4_ADRG_DETAIL.txt')):
        m = MDC_RE.match(line)
        if m:
            mdc = m.group(1)
            cur = None  # an MDC header or its 主诊表 ends the current ADRG
            continue
        m = ADRG_RE.match(line)
        if m and not code_of(line):
            cur = (m.group(1), mdc, [])
            adrgs.append(cur)
            continue
        if cur is None:
            continue
        c = code_of(line)
        if c:
            if not cur[2]:
                cur[2].append(('?', []))
            cur[2][-1][1].append(c)
        else:
            cur[2].append((line.strip(), []))
    return adrgs


def load_table_ids(path):
    out = {}
    for line in read_lines(path):
        parts = line.split()
        if len(parts) >= 2:
            out.setdefault(parts[0], set()).add(parts[1])
    return out


def plain_secondary_ok(code, dx_mdcs):
    if '+' in code or '*' in code:
        return False
    if code[0] in 'STOPV':
        return False
    if 'Y' in dx_mdcs.get(code, ()) or 'Z' in dx_mdcs.get(code, ()):
        return False
    if code[:3] in ('B20', 'B21', 'B22', 'B23', 'B24', 'Z21'):
        return False
    return True


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    base = sys.argv[1] if len(sys.argv) > 1 else '/work/shared/data'
    out_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, '..', 'data', 'jilin',
                                                                   'casemix-drg.csv')
    drg = os.path.join(base, 'chs-drg-1.1')
    rng = random.Random(SEED)

    dx_mdcs, mdc_dx = load_mdc_lists(drg)
    adrgs = load_adrgs(drg)
    mcc = load_table_ids(os.path.join(drg, 'clean', 'mcc.txt'))
    cc = load_table_ids(os.path.join(drg, 'clean', 'cc.txt'))
    cce = load_table_ids(os.path.join(drg, 'clean', 'cce.txt'))
    or_procs = set()
    for line in read_lines(os.path.join(drg, 'clean', 'or-procedures.txt')):
        if line.split():
            or_procs.add(line.split()[0])

    mcc_codes = sorted(c for c in mcc if plain_secondary_ok(c, dx_mdcs))
    cc_codes = sorted(c for c in cc if c not in mcc and plain_secondary_ok(c, dx_mdcs))

    # procedures that would send a case to MDCA: never a main procedure elsewhere
    mdca_procs = set()
    for code, mdc, sections in adrgs:
        if mdc == 'A':
            for _, codes in sections:
                mdca_procs.update(codes)

    def only_in(letter, code):
        s = dx_mdcs.get(code, set()) - {'P'} if letter != 'P' else dx_mdcs.get(code, set())
        return s == {letter}

    def secondary(principal, pool):
        excl = cce.get(principal, set())
        table = mcc if pool is mcc_codes else cc
        for _ in range(50):
            c = rng.choice(pool)
            if c != principal and not (table[c] & excl):
                return c
        return None

    rows = []
    stats = {'surgical': 0, 'medical': 0, 'skipped_compound': 0, 'skipped_mdc': 0}
    for adrg, mdc, sections in adrgs:
        if mdc in ('Y', 'Z') or mdc is None:
            stats['skipped_mdc'] += 1
            continue
        if len(sections) != 1:
            stats['skipped_compound'] += 1
            continue
        head, codes = sections[0]
        codes = sorted(set(codes))
        if head.startswith('包含以下主要手术或操作'):
            kind = 'P'
            if mdc == 'A':
                codes = [c for c in codes if c in or_procs]
            else:
                codes = [c for c in codes if c not in mdca_procs]
        elif head.startswith('包含以下主要诊断'):
            kind = 'D'
            codes = [c for c in codes if only_in(mdc, c)]
        else:
            stats['skipped_compound'] += 1
            continue
        if not codes:
            stats['skipped_compound'] += 1
            continue
        if kind == 'P' and mdc == 'P':
            stats['skipped_mdc'] += 1  # newborn surgery: left out
            continue
        if kind == 'P':
            if mdc == 'A':
                # transplant / ECMO cases: a circulatory principal diagnosis
                dx_pool = [c for c in mdc_dx.get('F', []) if only_in('F', c)]
            else:
                dx_pool = [c for c in mdc_dx.get(mdc, []) if only_in(mdc, c)]
            if not dx_pool:
                stats['skipped_compound'] += 1
                continue
        picks = rng.sample(codes, min(PER_ADRG, len(codes)))
        for i in range(PER_ADRG):
            main = picks[i % len(picks)]
            if kind == 'P':
                proc = main
                main_dx = rng.choice(dx_pool)
                procs = [proc]
                # sometimes a second, non-MDCA procedure of the same list
                if len(codes) > 1 and rng.random() < 0.3:
                    extra = rng.choice(codes)
                    if extra != proc:
                        procs.append(extra)
                stats['surgical'] += 1
            else:
                main_dx = main
                procs = []
                stats['medical'] += 1
            other = []
            if i == 1 and cc_codes:
                s = secondary(main_dx, cc_codes)
                if s:
                    other.append(s)
            elif i == 2 and mcc_codes:
                s = secondary(main_dx, mcc_codes)
                if s:
                    other.append(s)
            gend, amin, amax, adays, wt = '', 18, 85, '', ''
            if mdc == 'M':
                gend = '1'
            elif mdc == 'N':
                gend = '2'
            elif mdc == 'O':
                gend, amin, amax = '2', 20, 42
            elif mdc == 'P':
                amin, amax = 0, 0
                adays = str(rng.randint(1, 28))
                wt = str(rng.randint(25, 39) * 100)
            rows.append((adrg, gend, str(amin), str(amax), adays, wt, main_dx, '|'.join(other),
                         '|'.join(procs)))

    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, 'w', encoding='utf-8', newline='\n') as f:
        f.write('adrg,gend,age_min,age_max,age_days,nwb_bir_wt,main_dx,other_dx,procedures\n')
        for r in rows:
            f.write(','.join(r) + '\n')
    n_adrg = len({r[0] for r in rows})
    print('gen_casemix: %d templates for %d ADRGs (%d surgical/procedure, %d medical); '
          'skipped %d compound-rule ADRGs, %d MDCY/MDCZ/newborn-surgery ADRGs -> %s' %
          (len(rows), n_adrg, stats['surgical'], stats['medical'], stats['skipped_compound'],
           stats['skipped_mdc'], os.path.relpath(out_path)), file=sys.stderr)


if __name__ == '__main__':
    main()
