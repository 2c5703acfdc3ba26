#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the fio JSON of ./run.sh bench into bench/results.md and bench.json.

Runs are directories results/bench/<kernel>-<n>/ holding <fs>-<workload>.json.
For each filesystem, workload and kernel the median over the runs is taken
of the write IOPS and of the median submission and completion latencies;
the patched/base ratios are checked against the series' targets.
"""

import argparse
import datetime
import json
import os
import re
import statistics
from collections import defaultdict

# workload: (metric, comparison, bound, what the target says)
TARGETS = {
    'aligned_qd1': ('iops', '>=', 0.97, 'aligned, QD 1: >= 0.97x IOPS'),
    'aligned_qd32': ('iops', '>=', 0.97, 'aligned, QD 32: >= 0.97x IOPS'),
    'overwrite512_qd1': ('iops', '>=', 0.97, 'overwrite, QD 1: >= 0.97x IOPS'),
    'overwrite512_qd32': ('iops', '>=', 0.97, 'overwrite, QD 32: >= 0.97x IOPS'),
    'hole512_qd1': ('slat_us', '<=', 0.2,
                    'sub-block into a hole, QD 1: submission <= 0.2x'),
    'mixed_qd32': ('iops', '>=', 1.5,
                   '90% aligned + 10% sub-block into holes, QD 32: >= 1.5x IOPS'),
    'hole512_qd32': (None, None, None,
                     'back-to-back sub-block into holes, QD 32: report only'),
}
ORDER = list(TARGETS)
RUN_DIR = re.compile(r'^(base|patched)-(\d+)$')


def percentile_us(lat, pct='50.000000'):
    values = lat.get('percentile', {})
    return values.get(pct, lat.get('mean', 0)) / 1000.0


def one_job(path):
    with open(path) as f:
        text = f.read()
    job = json.loads(text[text.index('{'):])['jobs'][0]
    w = job['write']
    return {'iops': w['iops'], 'slat_us': percentile_us(w['slat_ns']),
            'clat_us': percentile_us(w['clat_ns']), 'error': job['error']}


def collect(runs):
    """samples[fs][workload][kernel] = list of per-run metric dicts."""
    samples = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for name in sorted(os.listdir(runs)):
        m = RUN_DIR.match(name)
        if not m:
            continue
        for f in sorted(os.listdir(os.path.join(runs, name))):
            if not f.endswith('.json'):
                continue
            fs, workload = f[:-5].split('-', 1)
            try:
                job = one_job(os.path.join(runs, name, f))
            except (ValueError, KeyError, IndexError):
                print(f'bench: no fio result in {name}/{f}, left out')
                continue
            samples[fs][workload][m.group(1)].append(job)
    return samples


def medians(runs):
    return {k: statistics.median(r[k] for r in runs)
            for k in ('iops', 'slat_us', 'clat_us')}


def verdict(workload, base, patched):
    metric, cmp, bound, _ = TARGETS.get(workload, (None,) * 4)
    if not metric or not base[metric]:
        return None, 'report only'
    ratio = patched[metric] / base[metric]
    met = ratio >= bound if cmp == '>=' else ratio <= bound
    return ratio, 'met' if met else 'MISSED'


def build(samples):
    rows = []
    for fs in sorted(samples):
        for workload in sorted(samples[fs], key=ORDER.index):
            by_kernel = samples[fs][workload]
            if set(by_kernel) != {'base', 'patched'}:
                continue
            base, patched = medians(by_kernel['base']), medians(by_kernel['patched'])
            ratio, met = verdict(workload, base, patched)
            spread = {k: [min(x['iops'] for x in by_kernel[k]),
                          max(x['iops'] for x in by_kernel[k])]
                      for k in ('base', 'patched')}
            rows.append({'fs': fs, 'workload': workload, 'base': base,
                         'patched': patched, 'runs': len(by_kernel['base']),
                         'iops_spread': spread,
                         'iops_ratio': patched['iops'] / base['iops'],
                         'slat_ratio': (patched['slat_us'] / base['slat_us']
                                        if base['slat_us'] else None),
                         'target': TARGETS[workload][3],
                         'target_ratio': ratio, 'target_met': met})
    return rows


def markdown(rows, args):
    out = [
        '# fio on XFS and ext4: base vs patched',
        '',
        f'Measured {datetime.date.today()} with `./run.sh bench {rows[0]["runs"]} '
        f'{args.seconds}` ({rows[0]["runs"]} alternating runs per kernel, '
        f'{args.seconds} s per workload after 1 s '
        f'of ramp-up): User-Mode Linux, Linux {args.version}, '
        '`configs/bench.kunitconfig` (no lockdep, no gcov), on a '
        f'{os.cpu_count()}-core host.  base = the `workbench` tag '
        f'({args.base}, no product patches), patched = the whole series '
        f'({args.patched}).',
        '',
        'Device: memory-backed null_blk, requests completed in hardirq by an '
        f'hrtimer {args.delay_ns // 1000} µs after submission (irqmode=2).  '
        'fio: libaio, O_DIRECT, random writes, one job; the workloads are '
        'in uml/bench/fio_bench (blockalign=4k turns off fio\'s random map, '
        'so a few sub-block writes land in blocks already written).  '
        'Medians over the runs; IOPS of the writes, submission (slat) and '
        'completion (clat) latency as fio\'s per-run median.',
        '',
        '| fs | workload | base IOPS | patched IOPS | ratio | IOPS min-max '
        '(base; patched) | base slat µs | patched slat µs | base clat µs | '
        'patched clat µs | target | |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ]
    for r in rows:
        b, p = r['base'], r['patched']
        out.append(
            f'| {r["fs"]} | {r["workload"]} | {b["iops"]:.0f} | {p["iops"]:.0f} | '
            f'{r["iops_ratio"]:.2f} | {spread(r, "base")}; {spread(r, "patched")} | '
            f'{b["slat_us"]:.1f} | {p["slat_us"]:.1f} | '
            f'{b["clat_us"]:.1f} | {p["clat_us"]:.1f} | {r["target"]} | '
            + (f'{r["target_met"]} ({r["target_ratio"]:.2f}x)'
               if r['target_ratio'] is not None else r['target_met']) + ' |')
    out += ['', '## What dominates', ''] + dominance(rows, args)
    missed = [f'{r["fs"]} {r["workload"]}' for r in rows
              if r['target_met'] == 'MISSED']
    out += ['', '## Targets', '',
            ('Missed: ' + ', '.join(missed) + '.') if missed else
            'All targets met.', '',
            'Files: results/bench.json, results/bench/<kernel>-<run>/'
            '<fs>-<workload>.json (fio output of every run).', '']
    return '\n'.join(out)


def spread(row, kernel):
    lo, hi = row['iops_spread'][kernel]
    return f'{lo:.0f}-{hi:.0f}'


def dominance(rows, args):
    """Say, from the numbers, whether the device or UML's CPU limits."""
    lines = []
    delay_us = args.delay_ns / 1000
    for r in rows:
        if r['workload'] != 'aligned_qd1':
            continue
        qd32 = next((x for x in rows if x['fs'] == r['fs'] and
                     x['workload'] == 'aligned_qd32'), None)
        clat = r['base']['clat_us']
        lines.append(
            f'- {r["fs"]}: at QD 1 the device\'s {delay_us:.0f} µs are '
            f'{100 * delay_us / clat:.0f}% of the median completion latency '
            f'({clat:.0f} µs): the device dominates.' +
            (f'  At QD 32, base IOPS are {qd32["base"]["iops"] / r["base"]["iops"]:.2f}x '
             'those at QD 1: UML runs all I/O on one host CPU, which is the '
             'limit there, so the QD 32 rows compare CPU cost per I/O rather '
             'than how much I/O overlaps.' if qd32 else ''))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', required=True)
    ap.add_argument('--json', required=True)
    ap.add_argument('--md', required=True)
    ap.add_argument('--delay-ns', type=int, required=True)
    ap.add_argument('--seconds', type=int, required=True)
    ap.add_argument('--version', required=True)
    ap.add_argument('--base', required=True)
    ap.add_argument('--patched', required=True)
    args = ap.parse_args()
    rows = build(collect(args.runs))
    if not rows:
        print('bench: no complete base/patched pairs in', args.runs)
        return 1
    with open(args.json, 'w') as f:
        json.dump({'delay_ns': args.delay_ns, 'seconds': args.seconds,
                   'version': args.version, 'base': args.base,
                   'patched': args.patched, 'rows': rows}, f, indent=1)
    with open(args.md, 'w') as f:
        f.write(markdown(rows, args))
    for r in rows:
        print(f'    {r["fs"]:<5} {r["workload"]:<18} IOPS x{r["iops_ratio"]:.2f}  '
              f'{r["target_met"]}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
