#!/usr/bin/env python3
"""Compare `drgdip snapshot` (LIVE, from Redis) with `drgdip replay --all` for
every (region, insutype, month) of the replay: the JSON must be identical
except `kind`. Exit 0 when all equal. Used by tests/007x-*.sh."""
import json
import subprocess
import sys

binary, replay_all, redis_url, data = sys.argv[1:5]
bad = 0
n = 0
for line in open(replay_all):
    line = line.strip()
    if not line:
        continue
    n += 1
    r = json.loads(line)
    cmd = [binary, 'snapshot', '--region', r['admdvs'], '--insutype', r['insutype'],
           '--month', r['month'], '--redis', redis_url]
    if data:
        cmd += ['--data', data]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        print('snapshot failed:', out.stderr.strip())
        bad += 1
        continue
    s = json.loads(out.stdout)
    if s.pop('kind') != 'LIVE':
        print('kind is not LIVE')
        bad += 1
    r.pop('kind')
    if r != s:
        bad += 1
        print('DIFF %s %s %s' % (r['admdvs'], r['insutype'], r['month']))
        print('  replay:', json.dumps(r, ensure_ascii=False)[:600])
        print('  live:  ', json.dumps(s, ensure_ascii=False)[:600])
print('%d scopes, %d different' % (n, bad))
sys.exit(1 if bad or n == 0 else 0)
