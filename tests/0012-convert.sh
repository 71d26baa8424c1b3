#!/bin/bash
# scripts/convert_chs_drg.py is re-runnable and deterministic: converting the
# shared tables into a temp dir gives a file byte-identical to the shipped
# data/chs-drg-1.1/chs-drg-1.1.tbl, and the converter's validation report
# states the expected counts.
# Args: $1 drgdip binary (unused), $2 repo root, $3 shared dir.
set -euo pipefail
ROOT=${2:?repo root}
SHARED=${3:?shared dir}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

python3 "$ROOT/scripts/convert_chs_drg.py" "$SHARED/data" "$TMP/a" > "$TMP/report1"
python3 "$ROOT/scripts/convert_chs_drg.py" "$SHARED/data" "$TMP/b" > "$TMP/report2"
cmp "$TMP/a/chs-drg-1.1/chs-drg-1.1.tbl" "$TMP/b/chs-drg-1.1/chs-drg-1.1.tbl"
cmp "$TMP/a/chs-drg-1.1/chs-drg-1.1.tbl" "$ROOT/data/chs-drg-1.1/chs-drg-1.1.tbl" || {
    echo "FAIL: data/chs-drg-1.1/chs-drg-1.1.tbl differs from a fresh conversion" >&2
    exit 1
}
cmp "$TMP/a/chs-drg-1.1/LICENSE" "$SHARED/data/chs-drg-1.1/LICENSE"
cmp "$TMP/a/icd/LICENSE" "$SHARED/data/icd/LICENSE"
for want in "MDCs 26," "ADRGs 376 (S 166, O 24, M 186)" "DRGs 628" "MDCZ regions 9" \
            "diagnosis codes in no ICD-10 list: 1 ['K30.x00x002']" \
            "procedure codes in no ICD-9-CM-3 list: 0"; do
    grep -qF "$want" "$TMP/report1" || { echo "FAIL: report lacks '$want'" >&2; cat "$TMP/report1" >&2; exit 1; }
done
# A broken input is reported, not silently converted.
mkdir -p "$TMP/bad"
cp -r "$SHARED/data/." "$TMP/bad/"
chmod -R u+w "$TMP/bad"
printf 'XX1 bogus\nnonsense line\n' >> "$TMP/bad/chs-drg-1.1/4_ADRG_DETAIL.txt"
if python3 "$ROOT/scripts/convert_chs_drg.py" "$TMP/bad" "$TMP/c" > "$TMP/report3" 2>&1; then
    echo "FAIL: converter accepted a broken detail file" >&2
    exit 1
fi
echo "ok: conversion deterministic and identical to the shipped table"
