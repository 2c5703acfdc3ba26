// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "lockdep_guard_negative": real reports that the lockdep
 * guard must catch.
 *
 * Each case leaves lockdep off (or the kernel tainted) for the rest of the
 * boot, so run.sh boots once per case for suites named *_negative.  The
 * cases run the guard on a stand-in case and assert its verdict.
 */
#include <kunit/test.h>
#include <linux/debug_locks.h>
#include <linux/spinlock.h>

#include "ktest_guard.h"

static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);

static void take_in_order(spinlock_t *first, spinlock_t *second)
{
	spin_lock(first);
	spin_lock(second);
	spin_unlock(second);
	spin_unlock(first);
}

static void skip_unless_lockdep_usable(struct kunit *test)
{
	const char *why_not;

	if (!ktest_lockdep_usable(&why_not))
		kunit_skip(test, "%s", why_not);
}

/*
 * Run the guard on a stand-in case: ktest_guard_init() at its start,
 * @body, then the cleanup that runs the guard's check.
 *
 * Return: the stand-in's final status.
 */
static enum kunit_status run_guarded(struct kunit *test,
				     void (*body)(struct kunit *inner))
{
	struct kunit inner;

	kunit_init_test(&inner, "guarded_case", NULL);
	KUNIT_EXPECT_EQ(test, ktest_guard_init(&inner), 0);
	body(&inner);
	kunit_cleanup(&inner);
	return inner.status;
}

/* An AB-BA order is reported even though it never deadlocks here. */
static void take_locks_in_both_orders(struct kunit *inner)
{
	int was_silent = debug_locks_silent;

	debug_locks_silent = 1;
	take_in_order(&lock_a, &lock_b);
	take_in_order(&lock_b, &lock_a);
	debug_locks_silent = was_silent;
}

static void guard_fails_a_case_that_turned_lockdep_off(struct kunit *test)
{
	const char *why_not = NULL;

	skip_unless_lockdep_usable(test);

	KUNIT_EXPECT_EQ(test, run_guarded(test, take_locks_in_both_orders),
			KUNIT_FAILURE);
	KUNIT_EXPECT_FALSE_MSG(test, debug_locks,
			       "lockdep missed an AB-BA inversion");
	/* Every later case of this boot would be skipped, not passed. */
	KUNIT_EXPECT_FALSE(test, ktest_lockdep_usable(&why_not));
	KUNIT_EXPECT_STREQ(test, why_not, "lockdep was already off before this case");
}

static void warn_in_expected_region(struct kunit *inner)
{
	ktest_expect_report_begin(inner);
	WARN(1, "ktest: deliberate warning for the guard's own test\n");
	ktest_expect_report_end(inner);
}

/*
 * The guard's console sees a real WARN() as it is printed and files it
 * under the region it was printed in.
 */
static void guard_console_counts_a_real_warning(struct kunit *test)
{
	struct ktest_guard_state before, after;

	skip_unless_lockdep_usable(test);
	ktest_guard_sample(&before);

	KUNIT_EXPECT_EQ(test, run_guarded(test, warn_in_expected_region),
			KUNIT_SUCCESS);

	ktest_guard_sample(&after);
	KUNIT_EXPECT_EQ_MSG(test, after.expected, before.expected + 1,
			    "the guard's console did not see the WARNING");
	KUNIT_EXPECT_EQ(test, after.unexpected, before.unexpected);
	/* The same report outside a region fails the case. */
	after.unexpected++;
	KUNIT_EXPECT_FALSE(test, ktest_guard_clean(&before, &after));
}

static struct kunit_case lockdep_guard_negative_cases[] = {
	KUNIT_CASE(guard_fails_a_case_that_turned_lockdep_off),
	KUNIT_CASE(guard_console_counts_a_real_warning),
	{}
};

static struct kunit_suite lockdep_guard_negative_suite = {
	.name = "lockdep_guard_negative",
	.test_cases = lockdep_guard_negative_cases,
};

kunit_test_suite(lockdep_guard_negative_suite);

MODULE_DESCRIPTION("KUnit negative cases for the workbench's lockdep guard");
MODULE_LICENSE("GPL");
