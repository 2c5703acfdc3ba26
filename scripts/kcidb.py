#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the results of a test run as a KCIDB v5 report, and check one.

  write   results/ (every profile that ran) -> one KCIDB document: one
          checkout (linux/ at HEAD, the product series), one build per
          profile, one test per KUnit case (or parameter) and per case of
          a userspace plan, MISS for a case the kernel listed
          (boots/list.log) that has no result, and one console_clean test
          per boot: kunit_results.py scan's verdict on that console;
  check   validate a document with our schema (python3-jsonschema), then
          what a schema cannot say: unique ids, links that resolve, ids
          that start with their object's origin, a test for every build.

Facts of KCIDB's I/O schema (kernelci/kcidb-io, kcidb_io/schema/v05_00.py
to v05_03.py) this relies on, none of its code:
  - top level: "version" {"major", "minor"} is required, "checkouts",
    "builds", "tests" are lists; no other keys, and no value may be null;
  - v5.0 replaced a build's boolean "valid" with "status" (v5._inherit()
    maps valid true/false to PASS/FAIL; kernelci-pipeline PR #1150 calls
    build "valid" deprecated); a checkout keeps "valid";
  - status is one of FAIL, ERROR, MISS, PASS, DONE, SKIP;
  - origin matches ^[a-z0-9_]+$ and every id ^[a-z0-9_]+:.*$, unique among
    the origin's objects of that type;
  - required: checkout id, origin; build checkout_id, id, origin; test
    build_id, id, origin;
  - a test "path" is dot-separated [a-zA-Z0-9_-]+ components (v5.0);
  - log_excerpt is at most 16384 characters; duration is in seconds;
    architecture matches ^[a-z0-9_]*$; git_commit_hash is a full sha1;
  - a reader checks "minor" against the newest it knows (maximum), so we
    write minor 0: every field used here exists since v5.0, and any 5.x
    reader takes it.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys

# kunit_results.py's scan fails the run on a kernel report outside an
# expected region; its patterns are imported, not copied, so that the
# report and the run's verdict cannot drift apart.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kunit_results  # noqa: E402

SCHEMA_MAJOR = 5
SCHEMA_MINOR = 0
ORIGIN = 'ktestbench'
# Our bound for a log excerpt (KCIDB allows 16384 characters).
EXCERPT_MAX = 4096
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# How each architecture's boot is made (scripts/kunit.sh) and where its
# kernel lands in the build directory.
BOOTED_ON = {'um': 'User-Mode Linux, one CPU',
             'x86_64': 'QEMU x86_64 (TCG)'}
KERNEL_IMAGE = {'um': 'linux', 'x86_64': 'arch/x86/boot/bzImage'}
# .config symbols worth carrying in a build's misc.
CONFIG_KEYS = ('CONFIG_PREEMPT_RT', 'CONFIG_SMP', 'CONFIG_PROVE_LOCKING',
               'CONFIG_DEBUG_RWSEMS', 'CONFIG_GCOV_KERNEL', 'CONFIG_KASAN',
               'CONFIG_LOCK_EVENT_COUNTS')

TIMESTAMP = re.compile(r'^\[\s*(\d+\.\d+)\]\s?')
RESULT = re.compile(r'^( *)(ok|not ok) \d+ (?:- )?(.*?)'
                    r'(?:\s+#\s*(\S+)\s*(.*))?\s*$')
HEADER = re.compile(r'^( *)(KTAP version \d+|TAP version \d+|1\.\.\d+|'
                    r'# Subtest: (\S+))\s*$')
DIAG = re.compile(r'^ *#')
REPORT = kunit_results.REPORT
# The lines scripts/build.sh shows for a failed build, and make's own
# "make[N]: *** ..." (an error, an interrupt, a deleted target).
BUILD_ERROR = re.compile(r'error:|Error \d|undefined reference|'
                         r'multiple definition|^make(\[\d+\])?: \*\*\* ')
# What make prints, as its last line, when it ran to the end.
MAKE_DONE = re.compile(r'^make: Leaving directory ')
# The suite.case lines of a kunit.action=list boot, as list_tests() in
# scripts/kunit.sh reads them.
LISTED = re.compile(r'^(?:\[[ 0-9.]*\] )?([a-z0-9_]+)\.([a-z0-9_]+)$')
# The test that carries a boot's console verdict.
CONSOLE_TEST = 'console_clean'
PATH_BAD = re.compile(r'[^A-Za-z0-9_-]+')


# ---------------------------------------------------------------- helpers

def iso_time(seconds):
    """An RFC 3339 date-time (UTC) for a POSIX time."""
    return datetime.datetime.fromtimestamp(
        seconds, datetime.timezone.utc).isoformat(timespec='seconds')


def mtime(path):
    """The modification time of PATH, or None if it does not exist."""
    try:
        return os.path.getmtime(path)
    except OSError:
        return None


def read_json(path):
    """The JSON document at PATH, or None if there is no such file."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def path_part(name):
    """One component of a KCIDB test path: [A-Za-z0-9_-]+."""
    return PATH_BAD.sub('_', name).strip('_') or '_'


def clip(lines, limit=EXCERPT_MAX):
    """A bounded excerpt: all LINES if they fit, else the KTAP and report
    lines among them, else the head and tail of those."""
    text = '\n'.join(lines) + '\n'
    if len(text) <= limit:
        return text
    keep = [line for line in lines
            if DIAG.match(line) or RESULT.match(line) or REPORT.search(line)]
    if keep:
        text = '\n'.join(keep) + '\n'
        if len(text) <= limit:
            return text
    cut = f'\n[... {len(text) - limit + 64} characters cut ...]\n'
    head = (limit - len(cut)) // 4
    return text[:head] + cut + text[-(limit - len(cut) - head):]


def git(linux, *args):
    """Output of a git command in LINUX, stripped; None if it fails."""
    try:
        out = subprocess.run(['git', '-C', linux] + list(args),
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


# ---------------------------------------------------------------- boot logs

def console_lines(log):
    """(text, timestamp or None) of each console line of one boot."""
    with open(log, errors='replace') as f:
        for raw in f:
            line = raw.rstrip('\r\n').replace('\r', '')
            m = TIMESTAMP.match(line)
            if m:
                yield line[m.end():], float(m.group(1))
            else:
                yield line, None


def parse_boot(log):
    """The results of one boot's KTAP, by (suite, case[, param]).

    Each result carries its status word, the SKIP reason, the console
    lines since the previous result (or header) at its level, and its
    duration when the console has printk timestamps.
    """
    lines = list(console_lines(log))
    results = {}
    names = {}      # indentation -> name of the subtest at that level
    marks = {}      # indentation -> (line index, timestamp) of the last event
    for idx, (text, stamp) in enumerate(lines):
        m = HEADER.match(text)
        if m:
            depth = len(m.group(1))
            if m.group(3):
                names[depth] = m.group(3)
            marks.setdefault(depth, (idx, stamp))
            if m.group(3) or m.group(2).startswith('KTAP'):
                marks[depth] = (idx, stamp)
            continue
        m = RESULT.match(text)
        if not m or not m.group(1):
            continue
        depth = len(m.group(1))
        start, since = marks.get(depth, (0, None))
        key = tuple(names.get(d, '') for d in range(4, depth + 1, 4))
        key += (m.group(3),)
        directive = (m.group(4) or '').upper()
        results[key] = {
            'ok': m.group(2) == 'ok',
            'skip_reason': m.group(5) if directive == 'SKIP' else None,
            'window': [t for t, _ in lines[start + 1:idx + 1]],
            'duration': (round(stamp - since, 3)
                         if stamp is not None and since is not None
                         else None),
        }
        marks[depth] = (idx, stamp)
        for deeper in [d for d in marks if d > depth]:
            del marks[deeper]
    return results


def tail_of(log, count=40):
    """The last COUNT console lines of a boot (one that never finished)."""
    return [t for t, _ in list(console_lines(log))[-count:]]


class Boots:
    """The boot logs of one profile (results/<profile>/boots/NNN-NAME.log),
    parsed on first use."""

    LOG_NAME = re.compile(r'^\d+-(.+)\.log$')

    def __init__(self, directory, plans=()):
        """Index DIRECTORY's logs.  A boot's wall time is the mtime of its
        log less that of the boot before (boots run back to back), except
        for the first plan boot: run.sh builds uml/tools before it."""
        self.logs = {}
        self.order = []
        self.parsed = {}
        self.list_log = os.path.join(directory, 'list.log')
        names = sorted(os.listdir(directory)) if os.path.isdir(directory) \
            else []
        previous = mtime(self.list_log)
        was_plan = False
        for name in names:
            m = self.LOG_NAME.match(name)
            if not m:
                # Any other log still has a console for the scan to read.
                if name.endswith('.log') and name != 'list.log':
                    self.order.append((name[:-4], os.path.join(directory,
                                                               name), None))
                continue
            path = os.path.join(directory, name)
            end = mtime(path)
            is_plan = m.group(1) in plans
            seconds = (round(end - previous, 1)
                       if end is not None and previous is not None
                       and end >= previous and is_plan <= was_plan
                       else None)
            self.logs.setdefault(m.group(1), []).append((path, seconds))
            self.order.append((m.group(1), path, seconds))
            previous, was_plan = end, is_plan

    def every_boot(self):
        """(name, log, boot seconds) of every boot in order, the listing
        boot first with name None: the logs kunit_results.py scan reads."""
        if os.path.exists(self.list_log):
            yield None, self.list_log, None
        for name, path, seconds in self.order:
            yield name, path, seconds

    def log_for(self, suite, case):
        """(log path, boot seconds) of the boot that ran SUITE.CASE: its
        own boot (*_negative suites) or its suite's; None if neither.
        CASE None: a suite's own result."""
        for name in ([f'{suite}.{case}'] if case else []) + [suite]:
            if name in self.logs:
                return self.logs[name][0]
        return None

    def result(self, log, key):
        """The parsed result KEY of LOG, or None."""
        if log not in self.parsed:
            self.parsed[log] = parse_boot(log)
        return self.parsed[log].get(key)

    def cases_in(self, log):
        """How many case-level results LOG has."""
        self.result(log, ())
        return len(self.parsed[log])


# ---------------------------------------------------------------- profiles

def profile_dirs(results, only=None):
    """(profile, directory, kunit.json) of every profile that ran: the
    results directory itself (UML) and each subdirectory with a
    kunit.json (smp, rt); or only the directories ONLY, when given, each
    of which must have one.  Raises ValueError naming what is missing."""
    found = []
    candidates = only or [results] + [os.path.join(results, d)
                                      for d in sorted(os.listdir(results))]
    for directory in candidates:
        doc = read_json(os.path.join(directory, 'kunit.json'))
        if doc is None:
            if only:
                # Asked for, so its boots ran: a report without it would
                # pass a run whose results were lost.
                raise ValueError(f'--profile-dir {directory} has no '
                                 'kunit.json')
            continue
        profile = doc.get('defconfig') or os.path.basename(directory)
        found.append((profile, directory, doc))
    if not found:
        raise ValueError(f'no profile with a kunit.json in {results}')
    return found


def profile_fragments(profile, profiles_file):
    """The configs/ fragments and @arch of PROFILE in configs/profiles."""
    if not profiles_file or not os.path.exists(profiles_file):
        return None
    with open(profiles_file) as f:
        for line in f:
            if line.startswith(f'{profile}:'):
                return [w for w in line.split(':', 1)[1].split()
                        if not w.startswith('@')]
    return None


def kernel_config(build_dir):
    """The .config of BUILD_DIR as a dictionary (empty if none)."""
    config = {}
    path = os.path.join(build_dir or '', '.config')
    if build_dir and os.path.exists(path):
        with open(path, errors='replace') as f:
            for line in f:
                m = re.match(r'^(CONFIG_\w+)=(.*)$', line.strip())
                if m:
                    config[m.group(1)] = m.group(2).strip('"')
    return config


def build_log_lines(build_dir):
    """The lines of BUILD_DIR's build.log (the last make run), or None."""
    path = os.path.join(build_dir or '', 'build.log')
    if not build_dir or not os.path.exists(path):
        return None
    with open(path, errors='replace') as f:
        return [line.rstrip() for line in f]


def build_errors(lines):
    """The error lines among a build.log's LINES; make's "Error 1
    (ignored)" is a recipe allowed to fail, not an error."""
    errors = [line for line in lines or []
              if BUILD_ERROR.search(line) and not line.endswith('(ignored)')]
    return errors[:40]


def build_verdict(build_dir, kernel):
    """(passed, reasons) of the last build in BUILD_DIR.

    An image alone does not say that the last build succeeded: a failed
    incremental build leaves the previous image in place.  So the build
    passes only if the image exists, build.log has no error line, and the
    image is not older than config.log (written just before make runs),
    unless build.log shows make running to its end: a make with nothing
    to do does not relink, and its image stays older than config.log.
    """
    lines = build_log_lines(build_dir)
    errors = build_errors(lines)
    if not build_dir or not os.path.isfile(kernel):
        return False, errors or [f'no kernel at {kernel}']
    if errors:
        return False, errors
    started = mtime(os.path.join(build_dir, 'config.log'))
    finished = bool(lines) and bool(MAKE_DONE.match(
        next((line for line in reversed(lines) if line.strip()), '')))
    if started is not None and mtime(kernel) < started and not finished:
        return False, [f'{kernel} is older than this build\'s config.log '
                       'and build.log does not show make finishing: the '
                       'image is from an earlier build'] + (lines or [])[-20:]
    return True, []


def make_build(ctx, profile, doc):
    """The KCIDB build of one profile: its kernel decides its status."""
    arch = doc.get('arch') or 'um'
    build_dir = doc.get('build_environment') or ''
    config = kernel_config(build_dir)
    kernel = os.path.join(build_dir, KERNEL_IMAGE.get(arch, 'vmlinux'))
    built, reasons = build_verdict(build_dir, kernel)
    rt = config.get('CONFIG_PREEMPT_RT') == 'y'
    fragments = profile_fragments(profile, ctx['profiles'])
    build = {
        'id': f'{ctx["origin"]}:{ctx["run"]}:{profile}',
        'origin': ctx['origin'],
        'checkout_id': ctx['checkout_id'],
        'architecture': arch,
        'config_name': profile,
        'comment': f'{arch}{" PREEMPT_RT" if rt else ""}, profile {profile}'
                   + (f' ({" ".join(fragments)})' if fragments else ''),
        'status': 'PASS' if built else 'FAIL',
    }
    if config.get('CONFIG_CC_VERSION_TEXT'):
        build['compiler'] = config['CONFIG_CC_VERSION_TEXT']
    started = mtime(os.path.join(build_dir, 'config.log'))
    ended = mtime(os.path.join(build_dir, 'build.log'))
    if started is not None:
        build['start_time'] = iso_time(started)
        if ended is not None and ended >= started:
            build['duration'] = round(ended - started, 1)
    if not built:
        build['log_excerpt'] = clip(reasons)
    build['misc'] = {'build_dir': build_dir, 'kernel': kernel,
                     'config': {k: config[k] for k in CONFIG_KEYS
                                if k in config}}
    return build


# ---------------------------------------------------------------- tests

def kunit_leaves(doc):
    """(suite, case key, status) of every leaf of kunit.py's JSON.

    kunit.py puts a test with results below it in sub_groups and one
    without in test_cases, at every level: a suite with no case result
    (its init failed, its boot crashed early) is a top-level test case
    (key ()), a parameter of a case has key (case, param), and so on.
    """
    for case in doc.get('test_cases', []):
        yield case['name'], (), case['status']
    for group in doc.get('sub_groups', []):
        for key, status in group_leaves(group):
            yield group['name'], key, status


def group_leaves(group, prefix=()):
    """(key, status) of every leaf below GROUP, keys starting PREFIX."""
    for case in group.get('test_cases', []):
        yield prefix + (case['name'],), case['status']
    for sub in group.get('sub_groups', []):
        yield from group_leaves(sub, prefix + (sub['name'],))


def listed_cases(directory):
    """(suite, case) of every case the profile's listing boot printed
    (boots/list.log), in its order; none if there was no listing."""
    path = os.path.join(directory, 'boots', 'list.log')
    if not os.path.exists(path):
        return []
    found = []
    with open(path, errors='replace') as f:
        for raw in f:
            m = LISTED.match(raw.rstrip('\r\n').replace('\r', ''))
            if m and m.groups() not in found:
                found.append(m.groups())
    return found


def missing_cases(directory, leaves):
    """(suite, (case,)) of each listed case with no result among LEAVES:
    a boot that crashed, timed out or was never made."""
    ran = {(suite, key[0]) for suite, key, _ in leaves if key}
    return [(suite, (case,)) for suite, case in listed_cases(directory)
            if (suite, case) not in ran]


def plan_names(directory):
    """The userspace plans that ran in a profile (results/uml/)."""
    summary = read_json(os.path.join(directory, 'uml', 'summary.json'))
    names = set(summary['plans']) if summary else set()
    uml = os.path.join(directory, 'uml')
    if os.path.isdir(uml):
        names |= {d for d in os.listdir(uml)
                  if os.path.isdir(os.path.join(uml, d))}
    return names, summary


def relative(ctx, path):
    """PATH relative to the results directory's parent."""
    return os.path.relpath(path, os.path.dirname(ctx['results']))


def make_test(ctx, build, boots, suite, key, status, plan):
    """One KCIDB test for one KUnit case/parameter or plan case."""
    path = '.'.join(['uml' if plan else 'kunit', path_part(suite)] +
                    [path_part(k) for k in key])
    test = {
        'id': f'{build["id"]}:{path}',
        'origin': ctx['origin'],
        'build_id': build['id'],
        'path': path,
        'status': status,
        'environment': {'comment': BOOTED_ON.get(build['architecture'],
                                                 build['architecture'])},
    }
    misc = {}
    found = boots.log_for(suite, key[0] if key else None)
    result = None
    if found:
        log, seconds = found
        result = boots.result(log, (suite,) + key)
        misc['boot_log'] = relative(ctx, log)
        if seconds is not None:
            misc['boot_seconds'] = seconds
        if result and result['duration'] is not None:
            test['duration'] = result['duration']
        elif seconds is not None and boots.cases_in(log) == 1:
            test['duration'] = seconds   # its own boot, start to halt
    if result and result['skip_reason']:
        test['comment'] = result['skip_reason']
    if status in ('FAIL', 'ERROR'):
        if result:
            test['log_excerpt'] = clip(result['window'])
        elif found:
            test['log_excerpt'] = clip(tail_of(found[0]))
        else:
            test['log_excerpt'] = f'{path}: {status} (no console log)\n'
    if misc:
        test['misc'] = misc
    return test


def make_missing(ctx, build, boots, suite, key):
    """A MISS test for a case the kernel listed but nothing reported."""
    test = make_test(ctx, build, boots, suite, key, 'MISS', False)
    test['comment'] = ('listed by the kernel (boots/list.log), '
                       'no result in kunit.json')
    return test


def console_test(ctx, build, name, log, seconds, plan):
    """The console verdict of one boot, as kunit_results.py scan gives it:
    FAIL with the offending lines if the console has a kernel report
    outside a region a negative test marks as expected.  NAME is the
    boot's (suite, suite.case or plan), None for the listing boot."""
    parts = [path_part(p) for p in name.split('.')] if name else []
    path = '.'.join(['uml' if plan else 'kunit'] + parts + [CONSOLE_TEST])
    reports = list(kunit_results.unexpected_reports(log))
    base = os.path.basename(log)
    where = f'the console of {base}'
    if not name:
        where += ' (the listing boot)'
    test = {
        'id': f'{build["id"]}:{path}',
        'origin': ctx['origin'],
        'build_id': build['id'],
        'path': path,
        'status': 'FAIL' if reports else 'PASS',
        'comment': ('no kernel report outside expected regions'
                    if not reports else
                    f'{len(reports)} kernel report line(s) outside '
                    'expected regions') + f' on {where}',
        'environment': {'comment': BOOTED_ON.get(build['architecture'],
                                                 build['architecture'])},
        'misc': {'boot_log': relative(ctx, log)},
    }
    if reports:
        test['log_excerpt'] = clip([f'{base}:{num}: {line}'
                                    for num, line in reports])
        test['misc']['reports'] = len(reports)
    if seconds is not None:
        test['duration'] = seconds
    return test


def unique(tests):
    """Make test ids unique (two boots may report the same path, e.g.
    two crashed boots of one suite) with a #N suffix."""
    seen = {}
    for test in tests:
        n = seen.get(test['id'], 0) + 1
        seen[test['id']] = n
        if n > 1:
            test['id'] += f'#{n}'
    return tests


def profile_tests(ctx, build, directory, doc):
    """Every test of one profile."""
    plans, _ = plan_names(directory)
    boots = Boots(os.path.join(directory, 'boots'), plans)
    leaves = list(kunit_leaves(doc))
    tests = [make_test(ctx, build, boots, suite, key, status, suite in plans)
             for suite, key, status in leaves]
    tests += [make_missing(ctx, build, boots, suite, key)
              for suite, key in missing_cases(directory, leaves)]
    tests += [console_test(ctx, build, name, log, seconds, name in plans)
              for name, log, seconds in boots.every_boot()]
    return unique(tests)


# ---------------------------------------------------------------- checkout

def make_checkout(ctx, linux, version):
    """The one checkout: linux/ at HEAD, which ./run.sh prepare makes the
    product series (tag "series") on the Debian source."""
    checkout = {'id': ctx['checkout_id'], 'origin': ctx['origin']}
    package = 'linux-source-' + '.'.join(version.split('.')[:2]) \
        if version else 'linux-source'
    checkout['tree_name'] = package
    head = git(linux, 'rev-parse', '--verify', '-q', 'HEAD^{commit}')
    series = git(linux, 'rev-parse', '--verify', '-q', 'series^{commit}')
    misc = {'debian_linux_source': version or None}
    if head:
        checkout['git_commit_hash'] = head
        name = git(linux, 'describe', '--tags', '--always', 'HEAD')
        if name:
            checkout['git_commit_name'] = name
        branch = git(linux, 'rev-parse', '--abbrev-ref', 'HEAD')
        if branch and branch != 'HEAD':
            checkout['git_repository_branch'] = branch
        when = git(linux, 'log', '-1', '--format=%cI', 'HEAD')
        if when:
            checkout['start_time'] = when
        misc['dirty'] = bool(git(linux, 'status', '--porcelain',
                                 '--untracked-files=no'))
    for tag in ('debian-base', 'workbench', 'series'):
        rev = git(linux, 'rev-parse', '--verify', '-q', f'{tag}^{{commit}}')
        if rev:
            misc[f'{tag.replace("-", "_")}_commit'] = rev
    checkout['valid'] = bool(head and series and git(
        linux, 'merge-base', '--is-ancestor', series, head) is not None)
    checkout['comment'] = (f'Debian {package} {version or "(unknown)"}, '
                           'workbench patches and the product series')
    checkout['misc'] = {k: v for k, v in misc.items() if v is not None}
    return checkout


# ---------------------------------------------------------------- commands

def run_id(profiles):
    """A stamp for this run: the newest mtime, to the microsecond, of the
    reported profiles' boot logs and kunit.json.

    Every run rewrites them (scripts/kunit.sh removes a profile's results
    before booting), so two runs do not share ids, not even when a later
    run reports an older profile with a new one; and writing the document
    again from the same files gives the same ids.  Copying results/
    without keeping mtimes (cp without -p) makes new ids.  Only with no
    such file at all (not a real run) is it the time of writing."""
    times = []
    for _, directory, _ in profiles:
        boots = os.path.join(directory, 'boots')
        names = os.listdir(boots) if os.path.isdir(boots) else []
        times += [mtime(os.path.join(boots, n)) for n in names
                  if n.endswith('.log')]
        times.append(mtime(os.path.join(directory, 'kunit.json')))
    times = [t for t in times if t is not None]
    stamp = max(times) if times else datetime.datetime.now(
        datetime.timezone.utc).timestamp()
    return datetime.datetime.fromtimestamp(
        stamp, datetime.timezone.utc).strftime('%Y%m%dT%H%M%S.%fZ')


def build_document(results, linux, version, origin=ORIGIN, run=None,
                   profiles_file=None, only=None):
    """The KCIDB document for a results directory (or for the profile
    directories ONLY in it)."""
    results = os.path.abspath(results)
    profiles = profile_dirs(results, only)
    ctx = {'origin': origin, 'results': results,
           'run': run or run_id(profiles), 'profiles': profiles_file}
    ctx['checkout_id'] = f'{origin}:{ctx["run"]}'
    doc = {'version': {'major': SCHEMA_MAJOR, 'minor': SCHEMA_MINOR},
           'checkouts': [make_checkout(ctx, linux, version)],
           'builds': [], 'tests': []}
    for profile, directory, kunit in profiles:
        build = make_build(ctx, profile, kunit)
        doc['builds'].append(build)
        doc['tests'] += profile_tests(ctx, build, directory, kunit)
    return doc


def cmd_write(args):
    """kcidb.py write: results/ -> the KCIDB document."""
    version = ''
    if os.path.exists(args.version_file):
        with open(args.version_file) as f:
            version = f.readline().strip()
    if not os.path.isdir(args.results):
        print(f'kcidb: no results directory {args.results}', file=sys.stderr)
        return 1
    try:
        doc = build_document(args.results, args.linux, version, args.origin,
                             args.run_id, args.profiles, args.profile_dir)
    except ValueError as e:
        # An older document at OUT would pass for this run's report.
        if os.path.exists(args.out):
            os.remove(args.out)
        print(f'kcidb: {e}; no report written', file=sys.stderr)
        return 1
    with open(args.out, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    counts = {}
    for test in doc['tests']:
        counts[test['status']] = counts.get(test['status'], 0) + 1
    print(f'    KCIDB v{SCHEMA_MAJOR}.{SCHEMA_MINOR}: '
          f'{len(doc["builds"])} build(s), {len(doc["tests"])} tests '
          f'({", ".join(f"{v} {k}" for k, v in sorted(counts.items()))}) '
          f'-> {args.out}')
    return 0


def link_errors(doc):
    """What a JSON schema cannot check: unique ids, links that resolve,
    and ids that begin with their object's origin."""
    errors = []
    ids = {}
    for kind in ('checkouts', 'builds', 'tests'):
        seen = ids.setdefault(kind, set())
        for n, obj in enumerate(doc.get(kind, [])):
            if not isinstance(obj, dict) or 'id' not in obj:
                continue
            if obj['id'] in seen:
                errors.append(f'{kind}[{n}]: duplicate id {obj["id"]!r}')
            seen.add(obj['id'])
            if 'origin' in obj and \
                    not str(obj['id']).startswith(f'{obj["origin"]}:'):
                errors.append(f'{kind}[{n}]: id {obj["id"]!r} does not '
                              f'start with its origin {obj["origin"]!r}')
    for kind, link, parent in (('builds', 'checkout_id', 'checkouts'),
                               ('tests', 'build_id', 'builds')):
        for n, obj in enumerate(doc.get(kind, [])):
            if isinstance(obj, dict) and link in obj and \
                    obj[link] not in ids.get(parent, set()):
                errors.append(f'{kind}[{n}]: {link} {obj[link]!r} names no '
                              f'object in {parent}')
    return errors


def coverage_errors(doc):
    """Builds without a test: every profile we report booted its kernel,
    so a build with none lost its results (the schema cannot say this)."""
    tested = {t.get('build_id') for t in doc.get('tests', [])
              if isinstance(t, dict)}
    return [f'builds[{n}]: build {b["id"]!r} has no test'
            for n, b in enumerate(doc.get('builds', []))
            if isinstance(b, dict) and 'id' in b and b['id'] not in tested]


def validate(doc, schema):
    """Every problem of DOC (schema errors first), as strings; jsonschema
    must be importable."""
    import jsonschema
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.FormatChecker())
    errors = []
    for err in sorted(validator.iter_errors(doc),
                      key=lambda e: list(map(str, e.absolute_path))):
        where = '/'.join(map(str, err.absolute_path)) or '(top)'
        errors.append(f'{where}: {err.message[:300]}')
    return errors + link_errors(doc) + coverage_errors(doc)


def cmd_check(args):
    """kcidb.py check: validate a document; 0 valid, 1 not, 2 no
    jsonschema module."""
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        print('missing package: python3-jsonschema', file=sys.stderr)
        return 2
    with open(args.schema) as f:
        schema = json.load(f)
    try:
        with open(args.file) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f'{args.file}: {e}')
        return 1
    errors = validate(doc, schema)
    for line in errors[:30]:
        print(f'{args.file}: {line}')
    if errors:
        print(f'{args.file}: {len(errors)} problem(s), not a valid KCIDB '
              f'v{SCHEMA_MAJOR} document')
        return 1
    print(f'    {args.file}: valid KCIDB v{SCHEMA_MAJOR} '
          f'({len(doc.get("checkouts", []))} checkout, '
          f'{len(doc.get("builds", []))} builds, '
          f'{len(doc.get("tests", []))} tests)')
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    w = sub.add_parser('write', help='write the KCIDB document of a run')
    w.add_argument('--results', required=True)
    w.add_argument('--linux', required=True)
    w.add_argument('--version-file', required=True)
    w.add_argument('--out', required=True)
    w.add_argument('--origin', default=ORIGIN)
    w.add_argument('--run-id', default=None,
                   help='unique part of the ids (default: the newest '
                        'boot log or kunit.json of the reported profiles, '
                        'to the microsecond)')
    w.add_argument('--profiles',
                   default=os.path.join(ROOT, 'configs', 'profiles'),
                   help='configs/profiles, for the fragments of a profile')
    w.add_argument('--profile-dir', action='append', default=None,
                   help='report only this profile directory (repeatable; '
                        'default: every one under --results)')
    c = sub.add_parser('check', help='validate a KCIDB document')
    c.add_argument('--schema', required=True)
    c.add_argument('file')
    args = ap.parse_args(argv)
    return {'write': cmd_write, 'check': cmd_check}[args.cmd](args)


if __name__ == '__main__':
    sys.exit(main())
