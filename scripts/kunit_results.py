#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the console logs of several UML boots into one KUnit result.

kunit.py parses one boot at a time and overwrites its log and JSON on every
boot of --run_isolated.  We boot the kernel ourselves (one boot per suite,
one per case for *_negative suites), so this script:

  merge   joins the KTAP of every boot into one KTAP document and writes
          kunit.py's JSON for it, using kunit.py's own parser;
  scan    finds kernel reports in the console logs (lockdep, DEBUG_RWSEMS,
          KASAN, WARNING/BUG...) outside the regions a negative test marks
          as expected;
  table   prints the per-suite table and the "N passed, N failed" line;
  summary writes results/uml/summary.json from the userspace plans'
          summary.jsonl files and their console logs.
"""

import argparse
import json
import os
import re
import sys
from collections import OrderedDict


def kunit_tool(linux):
    sys.path.insert(0, os.path.join(linux, 'tools', 'testing', 'kunit'))
    import kunit_json
    import kunit_parser
    return kunit_parser, kunit_json


TOP_RESULT = re.compile(r'^(ok|not ok) \d+(.*)$')
TOP_HEADER = re.compile(r'^(KTAP version \d+|TAP version \d+|1\.\.\d+)$')
SUBTEST = re.compile(r'^\s*# Subtest: (\S+)')
KTAP_LINE = re.compile(r'^\s*(ok |not ok |KTAP version|TAP version|1\.\.\d|# Subtest:)')


def boot_ktap(parser, log):
    """The KTAP lines of one boot, without its top-level header."""
    with open(log, errors='replace') as f:
        lines = list(parser.extract_tap_lines(f))
    return [l for l in lines if not TOP_HEADER.match(l)]


def crashed_block(log, lines):
    """A well-formed suite block for a boot that never finished its suite.

    Its partial output is kept as diagnostics, and one failing case says
    where the whole console log is.
    """
    names = [m.group(1) for m in map(SUBTEST.match, lines) if m]
    name = names[0] if names else re.sub(r'^\d+-', '', os.path.basename(log).rsplit('.log', 1)[0])
    block = ['    KTAP version 1', f'    # Subtest: {name}', '    1..1',
             f'    # boot crashed or timed out before the suite ended: {log}']
    block += ['    # | ' + l for l in lines]
    block += ['    not ok 1 boot_completed', ('not ok', f' {name}')]
    return block


def boot_blocks(parser, log):
    """Split one boot's KTAP into suite blocks ending in a top-level result."""
    blocks, block = [], []
    lines = boot_ktap(parser, log)
    for line in lines:
        m = TOP_RESULT.match(line)
        if m:
            blocks.append(block + [(m.group(1), m.group(2))])
            block = []
        else:
            block.append(line)
    # KTAP after the last result means a suite that never ended; kernel
    # messages there (shutdown, late probes) are not KTAP and don't count.
    unfinished = [l for l in block if KTAP_LINE.match(l)]
    if unfinished or not blocks:
        blocks.append(crashed_block(log, lines))
    return blocks


def merge(args):
    parser, kjson = kunit_tool(args.linux)
    suites = []
    for log in args.logs:
        suites += boot_blocks(parser, log)
    out = ['KTAP version 1', f'1..{len(suites)}']
    for num, block in enumerate(suites, 1):
        for item in block:
            if isinstance(item, tuple):
                out.append(f'{item[0]} {num}{item[1]}')
            else:
                out.append(item)
    with open(args.ktap, 'w') as f:
        f.write('\n'.join(out) + '\n')
    test = parser.parse_run_tests(out)
    meta = kjson.Metadata(arch=args.arch, def_config=args.profile,
                          build_dir=args.build_dir)
    with open(args.json, 'w') as f:
        f.write(kjson.get_json_result(test, meta))
    if test.counts.errors:
        print(f'{args.ktap}: {test.counts.errors} KTAP parse error(s)')
        return 1
    return 0


REPORT = re.compile(
    r'WARNING:|BUG:|kernel BUG at|inconsistent lock state|'
    r'possible circular locking|possible recursive locking|DEBUG_RWSEMS_WARN_ON|'
    r'KASAN|UBSAN:|kmemleak|Kernel panic|Oops|general protection fault|'
    r'lock held when returning|INFO: task .* blocked|'
    r'Page cache invalidation failure')
EXPECT_BEGIN = 'ktest: expected report begin'
EXPECT_END = 'ktest: expected report end'


def unexpected_reports(log):
    """(line number, line) of each report outside an expected region; an
    expected region left open counts as one more, with number 0."""
    expected = False
    with open(log, errors='replace') as f:
        for num, line in enumerate(f, 1):
            if EXPECT_BEGIN in line:
                expected = True
            elif EXPECT_END in line:
                expected = False
            elif not expected and REPORT.search(line):
                yield num, line.rstrip()
    if expected:
        yield 0, 'an expected-report region was never closed'


def scan(args):
    found = 0
    for log in args.logs:
        for num, line in unexpected_reports(log):
            found += 1
            print(f'{log}:{num}: {line}')
    if found:
        print(f'console: {found} kernel report line(s) outside expected regions')
    return 1 if found else 0


def fio_ops(path):
    """I/Os fio completed (verification reads included), from its JSON."""
    if not path or not os.path.exists(path):
        return 0
    try:
        with open(path) as f:
            text = f.read()
        # fio may print notes before the JSON document.
        job = json.loads(text[text.index('{'):])['jobs'][0]
    except (ValueError, KeyError, IndexError):
        return 0
    return job['read']['total_ios'] + job['write']['total_ios']


def plan_summary(plan_dir, boots):
    """One plan's workloads (summary.jsonl) and its console reports."""
    plan = os.path.basename(plan_dir)
    rows = []
    jsonl = os.path.join(plan_dir, 'summary.jsonl')
    if os.path.exists(jsonl):
        with open(jsonl) as f:
            rows = [json.loads(l) for l in f if l.strip()]
    for row in rows:
        # A fio workload's I/Os come from its JSON; a row without one
        # (uml_fs_other's dio_matrix cases) says how many it issued.
        if row.get('fio_json'):
            row['ops'] = fio_ops(os.path.join(plan_dir, 'fio',
                                              row['fio_json']))
        else:
            row['ops'] = row.get('ops') or 0
    logs = sorted(l for l in os.listdir(boots) if l.endswith(f'-{plan}.log'))
    log = os.path.join(boots, logs[-1]) if logs else None
    reports = len(list(unexpected_reports(log))) if log else None
    return {'boot_log': log, 'console_reports': reports, 'workloads': rows}


def summary(args):
    """results/uml/summary.json: every plan's workloads and totals."""
    plans = {}
    for name in sorted(os.listdir(args.plans)):
        path = os.path.join(args.plans, name)
        if os.path.isdir(path):
            plans[name] = plan_summary(path, args.boots)
    rows = [r for p in plans.values() for r in p['workloads']]
    keys = ('ops', 'errors_expected', 'errors_seen', 'miscompares')
    totals = {k: sum(r.get(k, 0) for r in rows) for k in keys}
    totals['workloads'] = len(rows)
    totals['console_reports'] = sum(p['console_reports'] or 0
                                    for p in plans.values())
    with open(args.out, 'w') as f:
        json.dump({'plans': plans, 'totals': totals}, f, indent=1)
    print(f'    userspace workloads: {totals["workloads"]}, ops {totals["ops"]}, '
          f'miscompares {totals["miscompares"]}, errors seen/expected '
          f'{totals["errors_seen"]}/{totals["errors_expected"]}, console '
          f'reports {totals["console_reports"]} ({args.out})')
    return 0


def count_cases(row, cases):
    for case in cases:
        row[case['status']] = row.get(case['status'], 0) + 1


def suite_rows(doc):
    rows = OrderedDict()
    if doc['test_cases']:  # top-level results without a suite
        count_cases(rows.setdefault('(top level)', {}), doc['test_cases'])
    for group in doc['sub_groups']:
        row = rows.setdefault(group['name'], {})
        count_cases(row, group['test_cases'])
        for sub in group['sub_groups']:  # parameterised cases
            count_cases(row, sub['test_cases'])
    return rows


def all_rows(paths):
    """Suite rows of every JSON file; profiles on other architectures than
    UML are named profile:suite so that the same suite on several of them
    stays apart."""
    rows = OrderedDict()
    for path in paths:
        with open(path) as f:
            doc = json.load(f)
        arch = doc.get('arch', 'um')
        where = doc.get('defconfig') or arch
        for name, row in suite_rows(doc).items():
            rows[name if arch == 'um' else f'{where}:{name}'] = row
    return rows


def table(args):
    rows = all_rows(args.json)
    total = {}
    print(f'{"suite":<40} {"pass":>5} {"fail":>5} {"skip":>5}')
    for name, row in rows.items():
        failed = row.get('FAIL', 0) + row.get('ERROR', 0)
        print(f'{name:<40} {row.get("PASS", 0):>5} {failed:>5} '
              f'{row.get("SKIP", 0):>5}')
        for key, val in row.items():
            total[key] = total.get(key, 0) + val
    passed = total.get('PASS', 0)
    failed = total.get('FAIL', 0) + total.get('ERROR', 0)
    skipped = total.get('SKIP', 0)
    if passed + failed + skipped == 0:
        print('no KUnit case ran')
        failed = 1
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    m = sub.add_parser('merge')
    m.add_argument('--linux', required=True)
    m.add_argument('--ktap', required=True)
    m.add_argument('--json', required=True)
    m.add_argument('--profile', default='')
    m.add_argument('--arch', default='um')
    m.add_argument('--build-dir', default='')
    m.add_argument('logs', nargs='+')
    s = sub.add_parser('scan')
    s.add_argument('logs', nargs='+')
    t = sub.add_parser('table')
    t.add_argument('json', nargs='+')
    u = sub.add_parser('summary')
    u.add_argument('--out', required=True)
    u.add_argument('--boots', required=True)
    u.add_argument('plans')
    args = ap.parse_args()
    return {'merge': merge, 'scan': scan, 'table': table,
            'summary': summary}[args.cmd](args)


if __name__ == '__main__':
    sys.exit(main())
