#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the boots of ./run.sh bench into bench/results.md, its plot and JSON.

A boot's directory is results/bench/<kernel>-<rep>-<set>-<delay ns>/
(set: device, cpu or sweep), holding <fs>-<engine>-<workload>.json (fio)
and <fs>-meta.txt (bench/meta_lat).  For each set, delay, filesystem,
engine, workload and kernel the median over the repetitions is taken of
the IOPS and of fio's median submission (slat) and completion (clat)
latencies; patched/base ratios are checked against the
series' targets.  A missed target stays in the table, marked.
"""

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
from collections import defaultdict

QD = 32
# workload: what it does
WORKLOADS = {
    'aligned_qd1': 'aligned 4 KiB overwrite, QD 1',
    'aligned_qd32': 'aligned 4 KiB overwrite, QD 32',
    'unwritten_qd32': 'aligned 4 KiB into preallocated unwritten, QD 32',
    'sparse_qd32': 'aligned 4 KiB into holes of a sparse file, QD 32',
    'overwrite512_qd1': '512 B overwrite of written blocks, QD 1',
    'overwrite512_qd32': '512 B overwrite of written blocks, QD 32',
    'hole512_qd1': '512 B into holes, QD 1',
    'hole512_qd32': '512 B into holes, QD 32',
    'mixed_qd32': '90% aligned 4 KiB + 10% 512 B, into holes, QD 32',
    'randread_qd1': 'random 4 KiB reads, QD 1',
    'randread_qd32': 'random 4 KiB reads, QD 32',
}
# Device-dominated regime: workload -> (metric, comparison, bound).
DEVICE_TARGETS = {
    'aligned_qd1': ('iops', '>=', 0.97),
    'aligned_qd32': ('iops', '>=', 0.97),
    'unwritten_qd32': ('iops', '>=', 0.97),
    'sparse_qd32': ('iops', '>=', 0.97),
    'overwrite512_qd1': ('iops', '>=', 0.97),
    'overwrite512_qd32': ('iops', '>=', 0.97),
    'hole512_qd1': ('slat_us', '<=', 0.2),
    'mixed_qd32': ('iops', '>=', 1.5),
    'randread_qd1': ('iops', '>=', 0.97),
    'randread_qd32': ('iops', '>=', 0.97),
}
CPU_TARGET = ('iops', '>=', 0.97)
# io_uring issues a write with IOCB_NOWAIT first and hands one that would
# block (base: a sub-block write into a hole) to an io-wq worker, so its
# submission never waited on either kernel: no submission target there.
IO_URING_SLAT = 'report only: io_uring hands a blocking write to io-wq'


def device_target(engine, workload):
    target = DEVICE_TARGETS.get(workload)
    if engine == 'io_uring' and target and target[0] == 'slat_us':
        return IO_URING_SLAT
    return target


META_OPS = ['fchmod', 'utimensat', 'setxattr', 'unlink_link', 'rename',
            'ftruncate', 'buffered_write']
BOOT_DIR = re.compile(r'^(base|patched)-(\d+)-(device|cpu|sweep)-(\d+)$')
MIXED_TARGET = ('iops', '>=', 1.5)
METRICS = ('iops', 'slat_us', 'clat_us')


def percentile_us(lat):
    return lat.get('percentile', {}).get('50.000000', lat.get('mean', 0)) / 1e3


def one_job(path):
    """IOPS and median latencies of the one job of a fio JSON file."""
    with open(path) as f:
        text = f.read()
    job = json.loads(text[text.index('{'):])['jobs'][0]
    if job['error']:
        raise ValueError(f'fio error {job["error"]}')
    rw = job['job options']['rw']
    side = job['read'] if 'read' in rw else job['write']
    if not side['io_bytes']:
        raise ValueError(f'no I/O done ({rw})')
    return {'iops': side['iops'], 'slat_us': percentile_us(side['slat_ns']),
            'clat_us': percentile_us(side['clat_ns'])}


def one_meta(path):
    """op -> {p50_us, p99_us, max_us} of a meta_lat output."""
    ops = {}
    with open(path) as f:
        for line in f:
            words = line.split()
            if words and words[0] == 'op':
                kv = dict(zip(words[2::2], words[3::2]))
                ops[words[1]] = {k: float(kv[k])
                                 for k in ('p50_us', 'p99_us', 'max_us')}
    return ops


def tree():
    return defaultdict(tree)


def collect(runs):
    """fio[set][delay][fs][engine][workload][kernel] and
    meta[set][delay][fs][op][kernel] hold lists, one entry per repetition."""
    fio, meta = tree(), tree()
    for name in sorted(os.listdir(runs)):
        m = BOOT_DIR.match(name)
        if not m or not os.path.isdir(os.path.join(runs, name)):
            continue
        kernel, boot_set, delay = m.group(1), m.group(3), int(m.group(4))
        boot = os.path.join(runs, name)
        for f in sorted(os.listdir(boot)):
            path = os.path.join(boot, f)
            if f.endswith('-meta.txt'):
                fs = f[:-len('-meta.txt')]
                for op, v in one_meta(path).items():
                    meta[boot_set][delay][fs][op].setdefault(kernel, []).append(v)
            elif f.endswith('.json'):
                fs, engine, workload = f[:-5].split('-', 2)
                try:
                    job = one_job(path)
                except (ValueError, KeyError, IndexError) as e:
                    print(f'bench: no fio result in {name}/{f} ({e}), left out')
                    continue
                fio[boot_set][delay][fs][engine][workload].setdefault(
                    kernel, []).append(job)
    return fio, meta


def summarize(runs):
    med = {k: statistics.median(r[k] for r in runs) for k in METRICS}
    med['iops_min'] = min(r['iops'] for r in runs)
    med['iops_max'] = max(r['iops'] for r in runs)
    med['runs'] = len(runs)
    return med


def verdict(target, base, patched):
    if not target or isinstance(target, str):
        return None, 'report only'
    metric, cmp, bound = target
    if not base[metric]:
        return None, 'no base figure'
    ratio = patched[metric] / base[metric]
    met = ratio >= bound if cmp == '>=' else ratio <= bound
    return ratio, 'met' if met else 'MISSED'


def target_text(target):
    if isinstance(target, str):
        return target
    if not target:
        return 'report only'
    metric, cmp, bound = target
    what = 'submission latency' if metric == 'slat_us' else 'IOPS'
    return f'{what} {cmp} {bound}x base'


def rows_of(by_fs, target_of):
    """One row per fs, engine and workload that both kernels ran."""
    rows = []
    for fs in sorted(by_fs):
        for engine in sorted(by_fs[fs]):
            for workload in WORKLOADS:
                k = by_fs[fs][engine].get(workload, {})
                if set(k) != {'base', 'patched'}:
                    continue
                base, patched = summarize(k['base']), summarize(k['patched'])
                target = target_of(engine, workload)
                ratio, met = verdict(target, base, patched)
                rows.append({'fs': fs, 'engine': engine, 'workload': workload,
                             'base': base, 'patched': patched,
                             'iops_ratio': ratio_of(patched['iops'],
                                                    base['iops']),
                             'target': target_text(target),
                             'target_ratio': ratio, 'verdict': met})
    return rows


def ratio_of(patched, base):
    return patched / base if base else float('nan')


def meta_rows(by_fs):
    rows = []
    for fs in sorted(by_fs):
        for op in META_OPS:
            k = by_fs[fs].get(op, {})
            if set(k) != {'base', 'patched'}:
                continue
            row = {'fs': fs, 'op': op}
            for kernel in ('base', 'patched'):
                row[kernel] = {p: statistics.median(r[p] for r in k[kernel])
                               for p in ('p50_us', 'p99_us', 'max_us')}
            rows.append(row)
    return rows


def sweep_points(sweep):
    """fs -> [(delay_ns, base, patched)] of mixed_qd32, libaio, where base
    and patched are summarize()'s medians and min-max."""
    points = defaultdict(list)
    for delay in sorted(sweep):
        for fs in sorted(sweep[delay]):
            k = sweep[delay][fs]['libaio'].get('mixed_qd32', {})
            if set(k) == {'base', 'patched'}:
                points[fs].append((delay, summarize(k['base']),
                                   summarize(k['patched'])))
    return points


def queue_full(rows, delay_ns):
    """Base aligned QD 32 against 0.8 x QD / delay, per fs and engine."""
    bound = 0.8 * QD / (delay_ns / 1e9)
    out = []
    for r in rows:
        if r['workload'] == 'aligned_qd32':
            iops = r['base']['iops']
            out.append({'fs': r['fs'], 'engine': r['engine'], 'iops': iops,
                        'bound': bound,
                        'verdict': 'met' if iops >= bound else 'MISSED'})
    return out


def fmt_verdict(r):
    if r['target_ratio'] is None:
        return r['verdict']
    return f'{r["verdict"]} ({r["target_ratio"]:.2f}x)'


def fio_table(rows):
    out = ['| fs | engine | workload | base IOPS (min-max) | patched IOPS '
           '(min-max) | ratio | slat µs base / patched | clat µs base / '
           'patched | target | |',
           '|---|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        b, p = r['base'], r['patched']
        out.append(
            f'| {r["fs"]} | {r["engine"]} | {r["workload"]} | '
            f'{b["iops"]:.0f} ({b["iops_min"]:.0f}-{b["iops_max"]:.0f}) | '
            f'{p["iops"]:.0f} ({p["iops_min"]:.0f}-{p["iops_max"]:.0f}) | '
            f'{r["iops_ratio"]:.2f} | {b["slat_us"]:.1f} / {p["slat_us"]:.1f} | '
            f'{b["clat_us"]:.0f} / {p["clat_us"]:.0f} | {r["target"]} | '
            f'{fmt_verdict(r)} |')
    return out


def meta_table(rows, delay_ms):
    out = ['| fs | operation | base p50 / p99 ms | patched p50 / p99 ms | '
           'patched - base, p50 ms | in device delays |',
           '|---|---|---|---|---|---|']
    for r in rows:
        b, p = r['base'], r['patched']
        extra = (p['p50_us'] - b['p50_us']) / 1e3
        out.append(
            f'| {r["fs"]} | {r["op"]} | {b["p50_us"] / 1e3:.2f} / '
            f'{b["p99_us"] / 1e3:.2f} | {p["p50_us"] / 1e3:.2f} / '
            f'{p["p99_us"] / 1e3:.2f} | {extra:+.2f} | '
            f'{extra / delay_ms:+.2f} |')
    return out


def iops_spread(m):
    return f'{m["iops"]:.0f} ({m["iops_min"]:.0f}-{m["iops_max"]:.0f})'


def sweep_table(points):
    out = ['| fs | device delay | base IOPS (min-max) | patched IOPS '
           '(min-max) | ratio | QD / delay | target >= 1.5x |',
           '|---|---|---|---|---|---|---|']
    for fs in sorted(points):
        for delay, base, patched in points[fs]:
            ratio = ratio_of(patched['iops'], base['iops'])
            out.append(f'| {fs} | {delay / 1e3:.0f} µs | {iops_spread(base)} | '
                       f'{iops_spread(patched)} | {ratio:.2f} | '
                       f'{QD / (delay / 1e9):.0f} | '
                       f'{"met" if ratio >= 1.5 else "MISSED"} |')
    return out


def sweep_missed(points):
    return [f'mixed 1.5x at {delay / 1e3:.0f} µs: {fs} '
            f'({ratio_of(patched["iops"], base["iops"]):.2f}x)'
            for fs in sorted(points) for delay, base, patched in points[fs]
            if not ratio_of(patched['iops'], base['iops']) >= 1.5]


def missed(rows, label):
    return [f'{label}: {r["fs"]} {r["engine"]} {r["workload"]} '
            f'({r["target_ratio"]:.2f}x)' for r in rows
            if r['verdict'] == 'MISSED']


def cpu_cost_text(report, args):
    """The host CPU per I/O, from base aligned QD 32 in the CPU-bound boot."""
    costs = {r['fs']: 1e6 / r['base']['iops'] for r in report['cpu_rows']
             if r['workload'] == 'aligned_qd32' and r['base']['iops']}
    if not costs:
        return ''
    each = ', '.join(f'{fs} {us:.0f} µs' for fs, us in sorted(costs.items()))
    return (f'At {args.cpu_ns / 1e3:.0f} µs, base aligned QD 32 runs at the '
            f'limit of UML\'s one CPU: {each} of host time per I/O, a cap of '
            f'{1e6 / max(costs.values()):.0f} to {1e6 / min(costs.values()):.0f} '
            'IOPS.')


def markdown(report, args):
    dev_ms = args.device_ns / 1e6
    cpu_us = args.cpu_ns / 1e3
    out = [
        '# fio and metadata latency on XFS and ext4: base vs patched',
        '',
        f'Measured {datetime.date.today()} with `./run.sh bench {args.reps} '
        f'{args.seconds}`: {args.reps} repetitions; in each, every boot of base '
        'is followed at once by the same boot of patched; '
        f'{args.seconds} s per workload after 1 s of ramp-up.  User-Mode '
        'Linux, Linux '
        f'{args.version}, `configs/bench.kunitconfig` (no lockdep, no gcov), '
        f'on a {os.cpu_count()}-core host.  base = the `workbench` tag '
        f'({args.base}, no product patches), patched = the whole series '
        f'({args.patched}).',
        '',
        'Device: memory-backed null_blk, requests completed in hardirq by an '
        'hrtimer a fixed delay after submission (irqmode=2).  fio: O_DIRECT, '
        'one job; the workloads are in bench/workloads ("into holes": a new '
        '256 MiB file whose size is set first, so every write fills a hole '
        'inside EOF; "unwritten": fallocated; overwrite and reads: a 64 MiB '
        'file written first; ext4 made without lazy initialisation).  Figures are medians over the '
        'repetitions, IOPS with their min-max; slat and clat are fio\'s '
        'per-run medians.',
        '',
        f'## Device-dominated: {dev_ms:.0f} ms device delay',
        '',
        f'{cpu_cost_text(report, args)}  A {dev_ms:.0f} ms delay allows '
        f'at most {QD / (dev_ms / 1e3):.0f} IOPS at QD 32 (QD / delay), so '
        'the device, not the CPU, sets the pace at every queue depth.  The '
        'check, base aligned QD 32 against 0.8 x QD / delay, is below.  At '
        'this delay the QD 1 rows are paced by the device (one I/O per '
        f'{dev_ms:.0f} ms): a difference of CPU per I/O shows in the '
        'CPU-bound table, not there.',
        '',
        '| fs | engine | base aligned_qd32 IOPS | 0.8 x QD / delay | |',
        '|---|---|---|---|---|',
    ]
    for q in report['queue_full']:
        out.append(f'| {q["fs"]} | {q["engine"]} | {q["iops"]:.0f} | '
                   f'{q["bound"]:.0f} | {q["verdict"]} |')
    out += ['', *fio_table(report['device_rows']), '',
            f'## Metadata operations under QD 32 reads, {dev_ms:.0f} ms delay',
            '',
            f'bench/meta_lat: {args.meta_samples} samples of each operation '
            '(p99 is the nearest rank) on a file while a second process '
            'keeps 32 random 4 KiB O_DIRECT reads of it in flight (the '
            'buffered write goes to the last MiB, which the reads leave '
            'alone).  Each operation takes the inode\'s i_rwsem '
            'exclusively.  The model: patched, a direct read holds i_rwsem '
            'shared until it completes, and readers that come while a writer '
            'waits queue behind it, so the operation waits for the reads in '
            f'flight: at most one device delay ({dev_ms:.0f} ms).  Base holds '
            'i_rwsem only while a read is submitted; where its column shows a '
            'wait of about one device delay, base drains the direct I/O '
            'itself with inode_dio_wait() (XFS\'s truncate, ext4\'s buffered '
            'write).  '
            'Reported as measured, no target.',
            '', *meta_table(report['meta_rows'], dev_ms), '',
            '## Sweep: mixed 90/10 at QD 32 over the device delay (libaio)',
            '',
            'The mixed workload alone, in boots of its own, at every delay '
            'from CPU-bound to device-bound; plot: mixed_sweep.svg.  The '
            'target (>= 1.5x base) is judged at every delay.',
            '', '![mixed 90/10, QD 32, IOPS over device delay](mixed_sweep.svg)',
            '', *sweep_table(report['sweep']), '',
            f'## CPU cost per I/O: {cpu_us:.0f} µs device delay (libaio)',
            '',
            'Here UML\'s CPU is the limit from QD 2 on, so the QD 32 rows '
            'compare host CPU per I/O, not overlap.  Target: every row '
            '>= 0.97x base IOPS.',
            '', *fio_table(report['cpu_rows']), '', '## Targets', '']
    misses = (missed(report['device_rows'], 'device-dominated') +
              missed(report['cpu_rows'], 'CPU cost'))
    misses += [f'queue full: {q["fs"]} {q["engine"]}'
               for q in report['queue_full'] if q['verdict'] == 'MISSED']
    misses += sweep_missed(report['sweep'])
    out += (['Missed:', ''] + [f'- {m}' for m in misses] if misses else
            ['All targets met.'])
    out += ['',
            'Files: results/bench.json, results/bench/<kernel>-<rep>-<set>-'
            '<delay ns>/ (fio JSON and meta_lat output of every boot).', '']
    return '\n'.join(out)


GNUPLOT = '''set terminal svg size 800,640 dynamic font "sans,12"
set output "{svg}"
set termoption noenhanced
set multiplot layout 2,1 title "mixed 90/10 (4 KiB + 512 B into holes), QD 32, libaio, UML; median of {reps} runs"
set logscale x
set xrange [0.15:25]
set grid
set key outside right
set logscale y
set ylabel "IOPS"
plot "{dat}" index 0 using 1:2 with linespoints lw 2 title "xfs base", \\
     "" index 0 using 1:3 with linespoints lw 2 title "xfs patched", \\
     "" index 1 using 1:2 with linespoints lw 2 title "ext4 base", \\
     "" index 1 using 1:3 with linespoints lw 2 title "ext4 patched"
unset logscale y
set xlabel "null_blk device delay (ms)"
set ylabel "patched / base"
plot "{dat}" index 0 using 1:($3/$2) with linespoints lw 2 title "xfs", \\
     "" index 1 using 1:($3/$2) with linespoints lw 2 title "ext4", \\
     1.5 with lines dt 2 lc "gray" title "target 1.5x"
unset multiplot
'''


def plot(points, svg, dat, reps):
    with open(dat, 'w') as f:
        for fs in ('xfs', 'ext4'):
            f.write(f'# {fs}: delay_ms base_iops patched_iops qd_over_delay\n')
            for delay, base, patched in points.get(fs, []):
                f.write(f'{delay / 1e6:g} {base["iops"]:.1f} '
                        f'{patched["iops"]:.1f} {QD / (delay / 1e9):.1f}\n')
            f.write('\n\n')
    script = GNUPLOT.format(svg=svg, dat=dat, reps=reps)
    subprocess.run(['gnuplot'], input=script, text=True, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for opt in ('--runs', '--json', '--md', '--svg', '--version', '--base',
                '--patched'):
        ap.add_argument(opt, required=True)
    for opt in ('--device-ns', '--cpu-ns', '--seconds', '--reps'):
        ap.add_argument(opt, type=int, required=True)
    ap.add_argument('--meta-samples', type=int, default=100)
    args = ap.parse_args()
    fio, meta = collect(args.runs)
    report = {
        'device_rows': rows_of(fio['device'][args.device_ns], device_target),
        'cpu_rows': rows_of({fs: {'libaio': e['libaio']}
                             for fs, e in fio['cpu'][args.cpu_ns].items()},
                            lambda e, w: CPU_TARGET),
        'meta_rows': meta_rows(meta['device'][args.device_ns]),
        'sweep': sweep_points(fio['sweep']),
    }
    report['queue_full'] = queue_full(report['device_rows'], args.device_ns)
    if not report['device_rows'] or not report['cpu_rows']:
        print('bench: no complete base/patched pairs in', args.runs)
        return 1
    with open(args.json, 'w') as f:
        json.dump({'device_ns': args.device_ns, 'cpu_ns': args.cpu_ns,
                   'seconds': args.seconds, 'reps': args.reps,
                   'version': args.version, 'base': args.base,
                   'patched': args.patched, **report}, f, indent=1)
    plot(report['sweep'], args.svg, os.path.join(args.runs, 'sweep.dat'),
         args.reps)
    with open(args.md, 'w') as f:
        f.write(markdown(report, args))
    for r in report['device_rows'] + report['cpu_rows']:
        if r['verdict'] == 'MISSED':
            print(f'    missed: {r["fs"]} {r["engine"]} {r["workload"]} '
                  f'{fmt_verdict(r)}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
