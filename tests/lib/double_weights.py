#!/usr/bin/env python3
"""A DRG weight table with every weight doubled (exact decimal arithmetic).

Used by the reload tests (0087, 0089): usage: double_weights.py SRC.csv DST.csv
"""
import sys
from decimal import Decimal

src, dst = sys.argv[1:3]
lines = open(src, encoding='utf-8').read().splitlines()
out = [lines[0]]
for line in lines[1:]:
    code, rest = line.split(',', 1)
    name, w = rest.rsplit(',', 1)
    out.append('%s,%s,%s' % (code, name, Decimal(w) * 2))
open(dst, 'w', encoding='utf-8').write('\n'.join(out) + '\n')
