/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-case lockdep guard used by every workbench suite.
 *
 * Call ktest_guard_init() from a suite's .init (or use it as .init).  It
 * skips the case if lockdep is already off, and at the end of the case
 * fails it if lockdep turned itself off or the kernel printed a report
 * (lockdep, DEBUG_RWSEMS, WARN, BUG, KASAN...) while the case ran.
 *
 * Negative cases that provoke a report on purpose bracket it with
 * ktest_expect_report_begin() and ktest_expect_report_end(); the guard and
 * run.sh's console scan ignore reports inside such a region.
 */
#ifndef _KTEST_GUARD_H
#define _KTEST_GUARD_H

#include <kunit/test.h>

struct ktest_guard_state {
	bool debug_locks;		/* lockdep still on */
	unsigned long unexpected;	/* reports outside expected regions */
	unsigned long expected;		/* reports inside expected regions */
};

int ktest_guard_init(struct kunit *test);

void ktest_guard_sample(struct ktest_guard_state *state);
bool ktest_lockdep_usable(const char **why_not);
bool ktest_guard_clean(const struct ktest_guard_state *before,
		       const struct ktest_guard_state *after);

int ktest_expect_report_begin(struct kunit *test);
void ktest_expect_report_end(struct kunit *test);

#endif /* _KTEST_GUARD_H */
