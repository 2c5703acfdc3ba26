// SPDX-License-Identifier: GPL-2.0
/*
 * Per-case lockdep guard: fail a case that turned lockdep off or made the
 * kernel print a report.
 *
 * Lockdep reports are pr_warn() text, not WARN(): they neither taint the
 * kernel nor reach KUnit.  Most of them switch lockdep off (debug_locks),
 * which the guard checks directly; for everything else (DEBUG_RWSEMS and
 * other WARNs, "BUG: sleeping function called...", KASAN) a console of
 * our own counts report headers as the kernel prints them.
 */
/* pr_debug() below must really print: it closes KUnit's open record. */
#define DEBUG

#include <linux/atomic.h>
#include <linux/console.h>
#include <linux/debug_locks.h>
#include <linux/init.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "ktest_guard.h"

#define EXPECT_BEGIN	"ktest: expected report begin"
#define EXPECT_END	"ktest: expected report end"

static const char * const report_headers[] = {
	"WARNING:", "BUG:", "kernel BUG at", "UBSAN:", "Oops", "Kernel panic",
	"INFO: task",
	/* dio_warn_stale_pagecache(): a later fsync() fails with -EIO */
	"Page cache invalidation failure",
};

static atomic_long_t reports_unexpected = ATOMIC_LONG_INIT(0);
static atomic_long_t reports_expected = ATOMIC_LONG_INIT(0);
/* Only touched by the console write below, which console_lock serializes. */
static bool in_expected_region;

static bool text_has(const char *text, unsigned int len, const char *what)
{
	return strnstr(text, what, len);
}

static bool text_is_report(const char *text, unsigned int len)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(report_headers); i++)
		if (text_has(text, len, report_headers[i]))
			return true;
	return false;
}

static void report_console_write(struct console *con, const char *text,
				 unsigned int len)
{
	if (text_has(text, len, EXPECT_BEGIN))
		in_expected_region = true;
	else if (text_has(text, len, EXPECT_END))
		in_expected_region = false;
	else if (text_is_report(text, len))
		atomic_long_inc(in_expected_region ? &reports_expected :
						     &reports_unexpected);
}

/* Enabled up front so that it is registered next to the console= one. */
static struct console report_console = {
	.name = "ktest",
	.write = report_console_write,
	.flags = CON_ENABLED,
	.index = 0,
};

static int __init report_console_init(void)
{
	register_console(&report_console);
	return 0;
}
late_initcall(report_console_init);

static void expect_report_end(void *unused)
{
	pr_info(EXPECT_END "\n");
}

/**
 * ktest_expect_report_begin() - Start a region where reports are expected.
 * @test: the case; the region ends with it at the latest.
 *
 * Reports printed until ktest_expect_report_end() count as expected: the
 * guard and run.sh's console scan ignore them.  The case itself must
 * assert that the report it provoked did happen.
 *
 * Return: 0, or an error if the region could not be tied to @test.
 */
int ktest_expect_report_begin(struct kunit *test)
{
	pr_info(EXPECT_BEGIN "\n");
	return kunit_add_action_or_reset(test, expect_report_end, NULL);
}

/**
 * ktest_expect_report_end() - End the region ktest_expect_report_begin()
 * started.
 * @test: the case.
 */
void ktest_expect_report_end(struct kunit *test)
{
	kunit_release_action(test, expect_report_end, NULL);
}

/* Messages below this level never reach any console, ours included. */
static bool console_sees_info(void)
{
	return console_loglevel > LOGLEVEL_INFO;
}

/**
 * ktest_guard_sample() - Record lockdep's state and the report counts.
 * @state: receives the sample.
 */
void ktest_guard_sample(struct ktest_guard_state *state)
{
	/*
	 * KUnit prints its "ok" lines without a newline, and printk keeps
	 * such a record open for a continuation, unprinted, until the next
	 * message.  Close it with a message no console shows, then let
	 * everything so far reach the counting console.
	 */
	pr_debug("ktest: guard sample\n");
	pr_flush(1000, true);
	state->debug_locks = debug_locks;
	state->unexpected = atomic_long_read(&reports_unexpected);
	state->expected = atomic_long_read(&reports_expected);
}

/**
 * ktest_lockdep_usable() - Whether lockdep can still judge a case.
 * @why_not: if not usable, receives the reason.
 *
 * Return: true if lockdep is built in and has not turned itself off, and
 * the guard's console receives informational messages.
 */
bool ktest_lockdep_usable(const char **why_not)
{
	if (!IS_ENABLED(CONFIG_PROVE_LOCKING)) {
		*why_not = "lockdep (CONFIG_PROVE_LOCKING) is not built in";
		return false;
	}
	if (!debug_locks) {
		*why_not = "lockdep was already off before this case";
		return false;
	}
	if (!console_sees_info()) {
		*why_not = "console_loglevel hides the guard's markers (boot without quiet)";
		return false;
	}
	return true;
}

/**
 * ktest_guard_clean() - Whether nothing went wrong between two samples.
 * @before: sample taken at the start of a case.
 * @after: sample taken at its end.
 *
 * Return: true if lockdep is still on and no unexpected report appeared.
 */
bool ktest_guard_clean(const struct ktest_guard_state *before,
		       const struct ktest_guard_state *after)
{
	return after->debug_locks && after->unexpected == before->unexpected;
}

struct ktest_guard {
	struct kunit *test;
	struct ktest_guard_state before;
};

static void guard_check(void *data)
{
	struct ktest_guard *guard = data;
	struct ktest_guard_state after;

	ktest_guard_sample(&after);
	if (ktest_guard_clean(&guard->before, &after))
		return;
	KUNIT_EXPECT_TRUE_MSG(guard->test, after.debug_locks,
			      "lockdep turned itself off during this case");
	KUNIT_EXPECT_EQ_MSG(guard->test, after.unexpected,
			    guard->before.unexpected,
			    "the kernel printed reports during this case");
}

/**
 * ktest_guard_init() - Guard the current case; usable as a suite's .init.
 * @test: the case.
 *
 * Skips the case if lockdep cannot judge it.  Otherwise registers a check
 * that runs when the case is cleaned up and fails the case if lockdep
 * turned off or a report was printed in between.
 *
 * Return: 0, or an error from registering the check.
 */
int ktest_guard_init(struct kunit *test)
{
	struct ktest_guard *guard;
	const char *why_not;

	if (!ktest_lockdep_usable(&why_not))
		kunit_skip(test, "%s", why_not);

	guard = kunit_kzalloc(test, sizeof(*guard), GFP_KERNEL);
	if (!guard)
		return -ENOMEM;
	guard->test = test;
	ktest_guard_sample(&guard->before);
	return kunit_add_action_or_reset(test, guard_check, guard);
}
