#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-test of scripts/kcidb.py on a small synthetic results tree.

Builds a results directory with a UML profile (KUnit cases, a
parameterised case, a suite that failed before its cases, a deeply
nested case, negative boots with expected and unexpected kernel reports,
a listed case that never ran, a userspace plan, passes, failures and a
skip) and an x86_64 profile whose build left no kernel and whose boot
crashed; writes the KCIDB document, requires it to validate against
kcidb.schema.json, and requires broken documents (bad status, missing
build_id, dangling link, v4's build "valid", bad id, a failure without
excerpt, no build, a build without tests) to be rejected, so that
"kcidb.py check" cannot pass silently.  Build verdicts (stale images,
make errors) and run ids are checked on their own small trees.

  python3 scripts/kcidb_selftest.py     exit 0: passed, 1: failed,
                                        2: python3-jsonschema missing
"""

import argparse
import copy
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kcidb  # noqa: E402
import kunit_results  # noqa: E402

SCHEMA = os.path.join(HERE, 'kcidb.schema.json')

ALPHA_LOG = """\
Linux version 6.12.0 (gcc (Debian 12.2.0-14) 12.2.0)
[    1.000000] KTAP version 1
[    1.000000] 1..1
[    1.000100]     KTAP version 1
[    1.000200]     # Subtest: alpha
[    1.000300]     1..4
[    1.500000]     ok 1 passes
[    1.600000]     # fails: EXPECTATION FAILED at lib/alpha.c:42
[    1.600000]     Expected 1 == 2
[    2.000000]     not ok 2 fails
[    2.100000]         KTAP version 1
[    2.100000]         # Subtest: param
[    2.250000]         ok 1 x
[    2.300000]         ok 2 y z # SKIP not here
[    2.400000]     ok 3 param
[    2.500000] WARNING: CPU: 0 PID: 1 at lib/alpha.c:7 boom
[    2.900000]     not ok 4 warns
[    2.900000] # alpha: pass:2 fail:2 skip:0 total:4
[    3.000000] ok 1 alpha
reboot: System halted
"""

PLAN_LOG = """\
KTAP version 1
1..1
    KTAP version 1
    # Subtest: uml_plan
    1..2
    ok 1 case1
    # case2: data miscompare at block 3
    not ok 2 case2
not ok 1 uml_plan
"""

CRASH_LOG = """\
KTAP version 1
1..1
    KTAP version 1
    # Subtest: alpha
    1..4
Kernel panic - not syncing: synthetic
"""

# A suite whose init failed: kunit.py has no case of it, only the suite,
# which its JSON puts among the top-level test_cases.
BETA_LOG = """\
KTAP version 1
1..1
    KTAP version 1
    # Subtest: beta
    # beta: suite init failed: -12
    1..2
not ok 1 beta
"""

# A negative test's report inside its expected region: not a finding.
EXPECTED_LOG = """\
KTAP version 1
1..1
    KTAP version 1
    # Subtest: alpha_negative
    1..1
ktest: expected report begin
WARNING: possible circular locking dependency detected
ktest: expected report end
    ok 1 expected
ok 1 alpha_negative
"""

# A negative test that opened an expected region and never closed it.
UNCLOSED_LOG = """\
KTAP version 1
1..1
    KTAP version 1
    # Subtest: alpha_negative
    1..1
ktest: expected report begin
    ok 1 leaks
ok 1 alpha_negative
"""

FULL_LIST = """\
Linux version 6.12.0 (gcc (Debian 12.2.0-14) 12.2.0)
Core dump limits :
alpha.passes
alpha.fails
alpha.param
alpha.warns
[    0.500000] alpha.never_ran
alpha_negative.expected
alpha_negative.leaks
reboot: System halted
"""

SMP_LIST = """\
[    0.100000] alpha.one\r
[    0.100000] alpha.two\r
"""


def kunit_json(arch, profile, build_dir, groups, top=()):
    """A kunit.py JSON document (the fields kcidb.py reads); TOP are
    (name, status) of suites without case results."""
    return {'name': 'KUnit Test Group', 'arch': arch, 'defconfig': profile,
            'build_environment': build_dir, 'sub_groups': groups,
            'test_cases': [{'name': n, 'status': s} for n, s in top]}


def group(name, cases, subs=()):
    """One group of kunit.py's JSON; SUBS are (name, cases[, subs])."""
    return {'name': name,
            'test_cases': [{'name': n, 'status': s} for n, s in cases],
            'sub_groups': [group(*sub) for sub in subs]}


def write(path, text, when=None):
    """Write TEXT (a str, or JSON for anything else) to PATH, with mtime
    WHEN if given."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text if isinstance(text, str) else json.dumps(text))
    if when is not None:
        os.utime(path, (when, when))


# When the synthetic run happened (2024-01-01T00:00:00Z).
T0 = 1704067200.0
MAKE_END = "make[1]: Leaving directory '/b'\nmake: Leaving directory '/l'\n"


def make_tree(top):
    """The synthetic workbench: linux/ (git), build/, results/."""
    linux = os.path.join(top, 'linux')
    write(os.path.join(linux, 'README'), 'tree\n')
    env = dict(os.environ, GIT_AUTHOR_NAME='t', GIT_AUTHOR_EMAIL='t@t',
               GIT_COMMITTER_NAME='t', GIT_COMMITTER_EMAIL='t@t')
    for cmd in (['init', '-q', '-b', 'work'], ['add', 'README'],
                ['commit', '-q', '-m', 'base'], ['tag', 'series']):
        subprocess.run(['git', '-C', linux] + cmd, check=True, env=env,
                       capture_output=True)
    full = os.path.join(top, 'build', 'full')
    write(os.path.join(full, 'config.log'), '', T0)
    write(os.path.join(full, '.config'),
          'CONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14) 12.2.0"\n'
          'CONFIG_PROVE_LOCKING=y\n', T0)
    write(os.path.join(full, 'linux'), 'kernel', T0 + 60)
    write(os.path.join(full, 'build.log'), '  LINK linux\n' + MAKE_END,
          T0 + 60)
    smp = os.path.join(top, 'build', 'smp')
    write(os.path.join(smp, '.config'), 'CONFIG_SMP=y\n')
    write(os.path.join(smp, 'build.log'),
          '  CC lib/a.o\nlib/a.c:1:2: error: expected ; before }\n')

    res = os.path.join(top, 'results')
    boots = os.path.join(res, 'boots')
    write(os.path.join(res, 'kunit.json'), kunit_json('um', 'full', full, [
        group('alpha', [('passes', 'PASS'), ('fails', 'FAIL'),
                        ('warns', 'FAIL')],
              [('param', [('x', 'PASS'), ('y z', 'SKIP')])]),
        group('gamma', [], [('outer', [], [('inner', [('leaf', 'FAIL')])])]),
        group('alpha_negative', [('expected', 'PASS'), ('leaks', 'PASS')]),
        group('uml_plan', [('case1', 'PASS'), ('case2', 'FAIL')])],
        top=[('beta', 'FAIL')]), T0 + 200)
    write(os.path.join(boots, 'list.log'), FULL_LIST, T0 + 100)
    write(os.path.join(boots, '001-alpha.log'), ALPHA_LOG, T0 + 110)
    write(os.path.join(boots, '002-beta.log'), BETA_LOG, T0 + 120)
    write(os.path.join(boots, '003-alpha_negative.expected.log'),
          EXPECTED_LOG, T0 + 130)
    write(os.path.join(boots, '004-alpha_negative.leaks.log'),
          UNCLOSED_LOG, T0 + 140)
    write(os.path.join(boots, '005-uml_plan.log'), PLAN_LOG, T0 + 190)
    write(os.path.join(res, 'uml', 'summary.json'),
          {'plans': {'uml_plan': {'workloads': []}}, 'totals': {}})
    write(os.path.join(res, 'smp', 'kunit.json'),
          kunit_json('x86_64', 'smp', smp,
                     [group('alpha', [('boot_completed', 'FAIL')])]),
          T0 + 320)
    write(os.path.join(res, 'smp', 'boots', 'list.log'), SMP_LIST, T0 + 300)
    write(os.path.join(res, 'smp', 'boots', '001-alpha.log'), CRASH_LOG,
          T0 + 310)
    version = os.path.join(top, 'linux-source.version')
    write(version, '6.12.117-1~deb12u1\n')
    return res, linux, version


class KcidbTest(unittest.TestCase):
    """kcidb.py write and check on the synthetic tree."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.results, cls.linux, cls.version = make_tree(cls.tmp.name)
        cls.out = os.path.join(cls.tmp.name, 'kcidb.json')
        with redirect_stdout(io.StringIO()):
            rc = kcidb.main(['write', '--results', cls.results,
                             '--linux', cls.linux, '--version-file',
                             cls.version, '--out', cls.out,
                             '--run-id', 'selftest'])
        assert rc == 0
        with open(cls.out) as f:
            cls.doc = json.load(f)
        with open(SCHEMA) as f:
            cls.schema = json.load(f)
        cls.tests = {t['id'].split(':', 3)[2] + ':' + t['path']: t
                     for t in cls.doc['tests']}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check_file(self, doc):
        """Exit code and output of "kcidb.py check" on DOC."""
        path = os.path.join(self.tmp.name, 'doc.json')
        write(path, doc)
        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(out):
            rc = kcidb.main(['check', '--schema', SCHEMA, path])
        return rc, out.getvalue()

    def assert_rejected(self, doc, words):
        """DOC fails validation, with an error naming WORDS."""
        errors = kcidb.validate(doc, self.schema)
        self.assertTrue(errors, 'a broken document validated')
        self.assertTrue(any(words in e for e in errors), errors)
        self.assertEqual(self.check_file(doc)[0], 1)

    def test_document_validates(self):
        self.assertEqual(kcidb.validate(self.doc, self.schema), [])
        rc, out = self.check_file(self.doc)
        self.assertEqual(rc, 0, out)

    def test_checkout(self):
        (checkout,) = self.doc['checkouts']
        head = subprocess.run(['git', '-C', self.linux, 'rev-parse', 'HEAD'],
                              capture_output=True, text=True).stdout.strip()
        self.assertEqual(checkout['git_commit_hash'], head)
        self.assertEqual(checkout['git_commit_name'], 'series')
        self.assertTrue(checkout['valid'])
        self.assertEqual(checkout['id'], 'ktestbench:selftest')
        self.assertIn('6.12.117-1~deb12u1', checkout['comment'])

    def test_builds_of_profiles_that_ran(self):
        builds = {b['config_name']: b for b in self.doc['builds']}
        self.assertEqual(sorted(builds), ['full', 'smp'])   # no rt
        self.assertEqual(builds['full']['status'], 'PASS')
        self.assertEqual(builds['full']['architecture'], 'um')
        self.assertTrue(builds['full']['compiler'].startswith('gcc'))
        self.assertEqual(builds['smp']['status'], 'FAIL')
        self.assertEqual(builds['smp']['architecture'], 'x86_64')
        self.assertIn('error: expected', builds['smp']['log_excerpt'])
        self.assertNotIn('valid', builds['full'])

    def test_kunit_cases(self):
        t = self.tests
        self.assertEqual(t['full:kunit.alpha.passes']['status'], 'PASS')
        self.assertEqual(t['full:kunit.alpha.passes']['duration'], 0.5)
        self.assertEqual(t['full:kunit.alpha.warns']['duration'], 0.5)
        fails = t['full:kunit.alpha.fails']
        self.assertEqual(fails['status'], 'FAIL')
        self.assertIn('EXPECTATION FAILED', fails['log_excerpt'])
        self.assertIn('Expected 1 == 2', fails['log_excerpt'])
        self.assertNotIn('ok 1 passes', fails['log_excerpt'])
        self.assertIn('WARNING:', t['full:kunit.alpha.warns']['log_excerpt'])
        self.assertEqual(t['full:kunit.alpha.param.x']['status'], 'PASS')
        skip = t['full:kunit.alpha.param.y_z']
        self.assertEqual((skip['status'], skip['comment']),
                         ('SKIP', 'not here'))
        self.assertNotIn('log_excerpt', t['full:kunit.alpha.passes'])

    def test_plan_cases(self):
        case2 = self.tests['full:uml.uml_plan.case2']
        self.assertEqual(case2['status'], 'FAIL')
        self.assertIn('data miscompare', case2['log_excerpt'])
        self.assertEqual(case2['misc']['boot_log'],
                         'results/boots/005-uml_plan.log')

    def test_test_count(self):
        # full: 11 cases, 1 MISS, 6 consoles; smp: 1 case, 2 MISS, 2
        # consoles.
        self.assertEqual(len(self.doc['tests']), 23)

    def test_console_report_fails_its_boot(self):
        alpha = self.tests['full:kunit.alpha.console_clean']
        self.assertEqual(alpha['status'], 'FAIL')
        self.assertIn('001-alpha.log:16: [    2.500000] WARNING: CPU: 0',
                      alpha['log_excerpt'])
        self.assertEqual(alpha['misc']['reports'], 1)
        crashed = self.tests['smp:kunit.alpha.console_clean']
        self.assertIn('Kernel panic', crashed['log_excerpt'])

    def test_expected_report_is_clean(self):
        t = self.tests
        for path in ('kunit.alpha_negative.expected.console_clean',
                     'uml.uml_plan.console_clean', 'kunit.console_clean',
                     'kunit.beta.console_clean'):
            self.assertEqual(t[f'full:{path}']['status'], 'PASS', path)
            self.assertNotIn('log_excerpt', t[f'full:{path}'])
        leaks = t['full:kunit.alpha_negative.leaks.console_clean']
        self.assertEqual(leaks['status'], 'FAIL')
        self.assertIn('never closed', leaks['log_excerpt'])

    def test_console_verdicts_are_the_scan(self):
        # One console test per log "kunit_results.py scan" reads
        # (boots/*.log), failing exactly where the scan fails the run.
        consoles = [t for t in self.doc['tests']
                    if t['path'].endswith('.console_clean')]
        logs = [os.path.join(self.tmp.name, t['misc']['boot_log'])
                for t in consoles]
        scanned = [os.path.join(d, 'boots', n)
                   for d in (self.results, os.path.join(self.results, 'smp'))
                   for n in os.listdir(os.path.join(d, 'boots'))]
        self.assertEqual(sorted(logs), sorted(scanned))
        for test, log in zip(consoles, logs):
            with redirect_stdout(io.StringIO()):
                rc = kunit_results.scan(argparse.Namespace(logs=[log]))
            self.assertEqual(test['status'], 'FAIL' if rc else 'PASS', log)

    def test_suite_without_cases_is_kept(self):
        beta = self.tests['full:kunit.beta']
        self.assertEqual(beta['status'], 'FAIL')
        self.assertIn('suite init failed', beta['log_excerpt'])
        self.assertEqual(beta['misc']['boot_log'],
                         'results/boots/002-beta.log')

    def test_nested_case_is_kept(self):
        leaf = self.tests['full:kunit.gamma.outer.inner.leaf']
        self.assertEqual(leaf['status'], 'FAIL')
        self.assertIn('no console log', leaf['log_excerpt'])

    def test_listed_case_without_result_is_miss(self):
        t = self.tests
        never = t['full:kunit.alpha.never_ran']
        self.assertEqual(never['status'], 'MISS')
        self.assertIn('list.log', never['comment'])
        for case in ('one', 'two'):   # the boot crashed before them
            self.assertEqual(t[f'smp:kunit.alpha.{case}']['status'], 'MISS')
        paths = [x['path'] for x in self.doc['tests']]
        for case in ('passes', 'fails', 'warns'):   # listed, and they ran
            self.assertEqual(paths.count(f'kunit.alpha.{case}'), 1)
        self.assertNotIn('kunit.alpha.param', paths)

    def test_profile_dir_limits_the_report(self):
        doc = kcidb.build_document(self.results, self.linux, '6.12.1',
                                   run='x', only=[self.results])
        self.assertEqual([b['config_name'] for b in doc['builds']],
                         ['full'])
        self.assertEqual(kcidb.validate(doc, self.schema), [])

    def test_crashed_boot_gets_the_console_tail(self):
        crashed = self.tests['smp:kunit.alpha.boot_completed']
        self.assertIn('Kernel panic', crashed['log_excerpt'])

    def test_profile_dir_without_kunit_json_fails(self):
        empty = os.path.join(self.tmp.name, 'results', 'rt')
        os.makedirs(os.path.join(empty, 'boots'), exist_ok=True)
        out = os.path.join(self.tmp.name, 'stale.json')
        write(out, '{}')
        err = io.StringIO()
        with redirect_stdout(io.StringIO()), redirect_stderr(err):
            rc = kcidb.main(['write', '--results', self.results,
                             '--linux', self.linux, '--version-file',
                             self.version, '--out', out,
                             '--profile-dir', self.results,
                             '--profile-dir', empty])
        shutil.rmtree(empty)
        self.assertEqual(rc, 1)
        self.assertIn(f'--profile-dir {empty} has no kunit.json',
                      err.getvalue())
        self.assertFalse(os.path.exists(out), 'a stale report was kept')

    def test_excerpt_is_bounded(self):
        lines = [f'line {n} ' + 'x' * 100 for n in range(500)]
        text = kcidb.clip(lines)
        self.assertLessEqual(len(text), kcidb.EXCERPT_MAX)
        self.assertIn('line 0 ', text)
        self.assertIn('line 499 ', text)

    def test_bad_status_is_rejected(self):
        doc = copy.deepcopy(self.doc)
        doc['tests'][0]['status'] = 'BROKEN'
        self.assert_rejected(doc, 'is not one of')

    def test_missing_build_id_is_rejected(self):
        doc = copy.deepcopy(self.doc)
        del doc['tests'][0]['build_id']
        self.assert_rejected(doc, "'build_id' is a required property")

    def test_dangling_build_id_is_rejected(self):
        doc = copy.deepcopy(self.doc)
        doc['tests'][0]['build_id'] = 'ktestbench:nothing'
        self.assert_rejected(doc, 'names no object in builds')

    def test_v4_build_valid_is_rejected(self):
        doc = copy.deepcopy(self.doc)
        doc['builds'][0]['valid'] = True
        self.assert_rejected(doc, 'Additional properties')

    def test_bad_id_and_duplicates_are_rejected(self):
        doc = copy.deepcopy(self.doc)
        doc['tests'][1]['id'] = 'KTest:x'
        self.assert_rejected(doc, 'does not match')
        doc = copy.deepcopy(self.doc)
        doc['tests'][1]['id'] = doc['tests'][0]['id']
        self.assert_rejected(doc, 'duplicate id')

    def test_failure_without_excerpt_is_rejected(self):
        doc = copy.deepcopy(self.doc)
        for test in doc['tests']:
            if test['status'] == 'FAIL':
                del test['log_excerpt']
                break
        self.assert_rejected(doc, "'log_excerpt' is a required property")

    def test_no_build_is_rejected(self):
        doc = copy.deepcopy(self.doc)
        doc['builds'], doc['tests'] = [], []
        self.assert_rejected(doc, 'builds: [] is too short')
        self.assert_rejected(doc, 'tests: [] is too short')

    def test_build_without_tests_is_rejected(self):
        doc = copy.deepcopy(self.doc)
        smp = [b['id'] for b in doc['builds'] if b['config_name'] == 'smp']
        doc['tests'] = [t for t in doc['tests'] if t['build_id'] != smp[0]]
        self.assert_rejected(doc, f'build {smp[0]!r} has no test')

    def test_wrong_version_is_rejected(self):
        doc = copy.deepcopy(self.doc)
        doc['version'] = {'major': 4, 'minor': 0}
        self.assert_rejected(doc, 'version')

    def test_missing_jsonschema_exits_2(self):
        code = ('import sys; sys.modules["jsonschema"] = None; '
                f'sys.path.insert(0, {HERE!r}); import kcidb; '
                f'sys.exit(kcidb.main(["check", "--schema", {SCHEMA!r}, '
                f'{self.out!r}]))')
        run = subprocess.run([sys.executable, '-c', code],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 2)
        self.assertIn('missing package: python3-jsonschema', run.stderr)


class BuildVerdictTest(unittest.TestCase):
    """The status of one build directory's KCIDB build."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.kernel = os.path.join(self.dir, 'linux')

    def tearDown(self):
        self.tmp.cleanup()

    def build(self, log, image_at, config_at=T0):
        """A UML build dir: config.log at CONFIG_AT, the image at IMAGE_AT
        (None: no image) and build.log LOG; its (status, log_excerpt)."""
        write(os.path.join(self.dir, 'config.log'), '', config_at)
        if image_at is not None:
            write(self.kernel, 'kernel', image_at)
        write(os.path.join(self.dir, 'build.log'), log, T0 + 100)
        ctx = {'origin': 'ktestbench', 'run': 'r', 'profiles': None,
               'checkout_id': 'ktestbench:r'}
        build = kcidb.make_build(ctx, 'full', {
            'arch': 'um', 'build_environment': self.dir})
        return build['status'], build.get('log_excerpt', '')

    def test_fresh_image_passes(self):
        self.assertEqual(self.build('  LINK linux\n' + MAKE_END, T0 + 90),
                         ('PASS', ''))

    def test_stale_image_of_an_unfinished_build_fails(self):
        # make killed mid-build: no error line, the old image remains.
        status, why = self.build('  CC fs/a.o\n  CC fs/b.o\n', T0 - 3600)
        self.assertEqual(status, 'FAIL')
        self.assertIn('older than', why)
        self.assertIn('  CC fs/b.o', why)

    def test_failed_incremental_build_fails(self):
        status, why = self.build(
            '  CC fs/a.o\nmake[3]: *** [scripts/Makefile.build:229: '
            'fs/a.o] Interrupt\n' + MAKE_END, T0 - 3600)
        self.assertEqual(status, 'FAIL')
        self.assertIn('Interrupt', why)
        status, why = self.build('fs/a.c:1: error: x\n' + MAKE_END, T0 + 90)
        self.assertEqual((status, why), ('FAIL', 'fs/a.c:1: error: x\n'))

    def test_make_with_nothing_to_do_passes(self):
        # Nothing to rebuild: make finished but did not relink the image.
        status, why = self.build('  CALL scripts/checksyscalls.sh\n'
                                 'make[2]: [x] Error 1 (ignored)\n'
                                 + MAKE_END, T0 - 3600)
        self.assertEqual((status, why), ('PASS', ''))

    def test_no_image_fails(self):
        status, why = self.build(MAKE_END, None)
        self.assertEqual(status, 'FAIL')
        self.assertIn('no kernel at', why)


class RunIdTest(unittest.TestCase):
    """Default run ids: unique per run, stable per results."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.results, self.linux, _ = make_tree(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def run_of(self, only=None):
        """The checkout id of the document of the tree as it is now."""
        doc = kcidb.build_document(self.results, self.linux, '6.12.1',
                                   only=only)
        return doc['checkouts'][0]['id']

    def test_same_results_same_id(self):
        first = self.run_of()
        self.assertEqual(first, self.run_of())
        self.assertRegex(first, r'^ktestbench:\d{8}T\d{6}\.\d{6}Z$')
        self.assertNotIn(':1970', first)

    def test_rerun_of_one_profile_gets_a_new_id(self):
        # ./run.sh smp after a full run: the UML results stay, smp's are
        # new, and a report of both must not reuse the earlier ids.
        before = self.run_of()
        for name in os.listdir(os.path.join(self.results, 'smp', 'boots')):
            path = os.path.join(self.results, 'smp', 'boots', name)
            os.utime(path, (T0 + 4000.25, T0 + 4000.25))
        after = self.run_of()
        self.assertNotEqual(before, after)
        self.assertTrue(after.endswith('T010640.250000Z'), after)

    def test_no_stamp_is_the_time_of_writing(self):
        # Not epoch 0, which every such report would share.
        year = kcidb.run_id([('x', self.tmp.name, {})])[:4]
        self.assertGreaterEqual(int(year), 2024)


def main():
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        print('missing package: python3-jsonschema', file=sys.stderr)
        return 2
    load = unittest.defaultTestLoader.loadTestsFromTestCase
    suite = unittest.TestSuite([load(KcidbTest), load(BuildVerdictTest),
                                load(RunIdTest)])
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
