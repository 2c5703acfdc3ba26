// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "transfer_negative": real bugs around a transferred rwsem that
 * lockdep or DEBUG_RWSEMS must still report.  Each case provokes one
 * report inside an expected-report region and asserts that it happened:
 * debug_locks went off and the guard's console saw it.  Lockdep stays off
 * for the rest of the boot, so run.sh boots once per case.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/debug_locks.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched/task.h>

#include "ktest_context.h"
#include "ktest_guard.h"

static void skip_unless_lockdep_usable(struct kunit *test)
{
	const char *why_not;

	if (!ktest_lockdep_usable(&why_not))
		kunit_skip(test, "%s", why_not);
}

static void skip_without_debug_rwsems(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_DEBUG_RWSEMS))
		kunit_skip(test, "needs CONFIG_DEBUG_RWSEMS (not on PREEMPT_RT)");
}

/* Bracket a provoked report and assert that it was seen. */
struct provoked {
	struct ktest_guard_state before;
};

static void provoke_begin(struct kunit *test, struct provoked *p)
{
	skip_unless_lockdep_usable(test);
	ktest_guard_sample(&p->before);
	KUNIT_ASSERT_EQ(test, ktest_expect_report_begin(test), 0);
}

static void provoke_end(struct kunit *test, struct provoked *p)
{
	struct ktest_guard_state after;

	ktest_expect_report_end(test);
	ktest_guard_sample(&after);
	KUNIT_EXPECT_FALSE_MSG(test, after.debug_locks,
			       "the bug was not reported: debug_locks still on");
	KUNIT_EXPECT_GT_MSG(test, after.expected, p->before.expected,
			    "no report reached the console");
	KUNIT_EXPECT_EQ(test, after.unexpected, p->before.unexpected);
}

/* A fresh rwsem for the case; its memory goes with the case. */
static struct rw_semaphore *new_rwsem(struct kunit *test)
{
	struct rw_semaphore *sem;

	sem = kunit_kzalloc(test, sizeof(*sem), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sem);
	init_rwsem(sem);
	return sem;
}

/* Run @fn(@arg) in a kthread of its own and wait until it has exited. */
static void run_in_thread(struct kunit *test, int (*fn)(void *), void *arg)
{
	struct task_struct *thread;

	thread = kthread_run(fn, arg, "ktest-negative");
	KUNIT_ASSERT_FALSE(test, IS_ERR(thread));
	get_task_struct(thread);
	/* TASK_DEAD is set last in do_exit(), after its lock checks. */
	while (!(READ_ONCE(thread->__state) & TASK_DEAD))
		schedule_timeout_uninterruptible(1);
	put_task_struct(thread);
}

struct inversion {
	struct rw_semaphore sem;
	struct mutex inner;		/* taken by the completion */
};

/* The completion takes the inner lock while it holds the rwsem. */
static void completion_takes_inner(void *arg)
{
	struct inversion *inv = arg;

	rwsem_transfer_claim(&inv->sem);
	mutex_lock(&inv->inner);
	mutex_unlock(&inv->inner);
	rwsem_transfer_release(&inv->sem);
}

/*
 * A task that holds the inner lock and then waits for the rwsem deadlocks
 * against a completion that needs the inner lock before releasing it.
 * Lockdep sees the completion's order only because the claim in task
 * context is checked; it must report the inversion without a deadlock.
 */
static void inversion_through_task_completion_is_reported(struct kunit *test)
{
	struct inversion *inv;
	struct provoked p;

	skip_unless_lockdep_usable(test);
	inv = kunit_kzalloc(test, sizeof(*inv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, inv);
	init_rwsem(&inv->sem);
	mutex_init(&inv->inner);

	down_read(&inv->sem);
	rwsem_transfer_read(&inv->sem);
	KUNIT_ASSERT_EQ(test, ktest_run_in_context(KTEST_CTX_WORKQUEUE,
						   completion_takes_inner, inv,
						   NULL), 0);
	KUNIT_ASSERT_TRUE(test, debug_locks);

	provoke_begin(test, &p);
	mutex_lock(&inv->inner);
	down_write(&inv->sem);
	up_write(&inv->sem);
	mutex_unlock(&inv->inner);
	provoke_end(test, &p);
}

static int up_read_fn(void *arg)
{
	up_read(arg);
	return 0;
}

/*
 * Controls: lockdep reports these on a kernel without the series too.  They
 * prove the guard sees the reports the transfer must not hide.
 */

/* A plain up_read() by a task that did not take the lock, no transfer. */
static void control_plain_up_read_by_another_task_is_reported(struct kunit *test)
{
	struct rw_semaphore *sem;
	struct provoked p;

	skip_unless_lockdep_usable(test);
	sem = new_rwsem(test);

	down_read(sem);
	provoke_begin(test, &p);
	run_in_thread(test, up_read_fn, sem);
	provoke_end(test, &p);
}

static int leak_read_hold_fn(void *arg)
{
	down_read(arg);
	return 0;
}

/* A kthread that exits with a read hold it never transferred. */
static void control_read_hold_leaked_at_kthread_exit_is_reported(struct kunit *test)
{
	struct rw_semaphore *sem;
	struct provoked p;

	skip_unless_lockdep_usable(test);
	sem = new_rwsem(test);

	provoke_begin(test, &p);
	run_in_thread(test, leak_read_hold_fn, sem);
	provoke_end(test, &p);
	up_read_non_owner(sem);
}

static void rfc2020_reacquire(void *arg)
{
	struct rw_semaphore *sem = arg;

	rwsem_acquire_read(&sem->dep_map, 0, 0, _THIS_IP_);
	rwsem_release(&sem->dep_map, _THIS_IP_);
	up_read_non_owner(sem);
}

/*
 * The 2020 RFC's completion: re-acquire the lock map in hardirq with
 * down_read()'s own, blocking annotation.  Lockdep reports it (an invalid
 * wait context, or the class turned irq-safe and then taken for writing
 * with interrupts on), where lockdep_transfer's
 * irq_release_leaves_normal_use_silent proves the claim silent.
 */
static void control_rfc2020_reacquire_in_hardirq_is_reported(struct kunit *test)
{
	static struct lock_class_key key;
	struct rw_semaphore *sem;
	struct provoked p;

	skip_unless_lockdep_usable(test);
	sem = new_rwsem(test);
	lockdep_set_class(sem, &key);

	down_read(sem);
	rwsem_release(&sem->dep_map, _THIS_IP_);
	provoke_begin(test, &p);
	KUNIT_EXPECT_EQ(test, ktest_run_in_context(KTEST_CTX_HARDIRQ,
						   rfc2020_reacquire, sem,
						   NULL), 0);
	down_write(sem);
	up_write(sem);
	provoke_end(test, &p);
}

static int up_write_unseen_by_lockdep_fn(void *arg)
{
	lockdep_off();
	up_write(arg);
	lockdep_on();
	return 0;
}

/*
 * DEBUG_RWSEMS alone: a transfer leaves RWSEM_NONSPINNABLE behind, which
 * __up_write() accepts as an anonymous owner.  A writer that takes the
 * lock afterwards must replace it, so an up_write() from another task is
 * still caught.  Lockdep is kept out of that up_write().
 */
static void non_owner_up_write_after_transfer_is_caught(struct kunit *test)
{
	struct rw_semaphore *sem;
	struct provoked p;

	skip_unless_lockdep_usable(test);
	skip_without_debug_rwsems(test);
	sem = new_rwsem(test);

	down_read(sem);
	rwsem_transfer_read(sem);
	rwsem_transfer_claim(sem);
	rwsem_transfer_release(sem);

	down_write(sem);
	provoke_begin(test, &p);
	run_in_thread(test, up_write_unseen_by_lockdep_fn, sem);
	provoke_end(test, &p);
}

/* DEBUG_RWSEMS alone: a write hold transferred as if it were a read hold. */
static void write_hold_transferred_as_read_is_caught(struct kunit *test)
{
	struct rw_semaphore *sem;
	struct provoked p;

	skip_unless_lockdep_usable(test);
	skip_without_debug_rwsems(test);
	sem = new_rwsem(test);

	down_write(sem);
	provoke_begin(test, &p);
	rwsem_transfer_read(sem);
	provoke_end(test, &p);
	/* Lockdep already let go; give the lock back without it. */
	lockdep_off();
	up_write(sem);
	lockdep_on();
}

/*
 * DEBUG_RWSEMS alone: a transfer of a read hold that is already gone.  The
 * owner word still says "reader owned" after an up_read(), so only the
 * count word can tell.  lockdep still counts the hold (it went through
 * up_read_non_owner()), so it has nothing to say.
 */
static void transfer_of_a_released_hold_is_caught(struct kunit *test)
{
	struct rw_semaphore *sem;
	struct provoked p;

	skip_unless_lockdep_usable(test);
	skip_without_debug_rwsems(test);
	sem = new_rwsem(test);

	down_read(sem);
	up_read_non_owner(sem);
	provoke_begin(test, &p);
	rwsem_transfer_read(sem);
	provoke_end(test, &p);
}

static int release_unclaimed_fn(void *arg)
{
	rwsem_transfer_release(arg);
	return 0;
}

/* A completion that releases a transferred hold without claiming it. */
static void release_without_claim_is_reported(struct kunit *test)
{
	struct rw_semaphore *sem;
	struct provoked p;

	skip_unless_lockdep_usable(test);
	sem = new_rwsem(test);

	down_read(sem);
	rwsem_transfer_read(sem);
	provoke_begin(test, &p);
	run_in_thread(test, release_unclaimed_fn, sem);
	provoke_end(test, &p);
}

static void claim_only(void *arg)
{
	rwsem_transfer_claim(arg);
}

/*
 * Claimed by one context, released by another: lockdep holds are per
 * context, so the worker returns holding the lock and the thread drops a
 * lock it does not hold.
 */
static void claim_and_release_in_different_contexts_is_reported(struct kunit *test)
{
	struct rw_semaphore *sem;
	struct provoked p;

	skip_unless_lockdep_usable(test);
	sem = new_rwsem(test);

	down_read(sem);
	rwsem_transfer_read(sem);
	provoke_begin(test, &p);
	KUNIT_EXPECT_EQ(test, ktest_run_in_context(KTEST_CTX_WORKQUEUE,
						   claim_only, sem, NULL), 0);
	run_in_thread(test, release_unclaimed_fn, sem);
	provoke_end(test, &p);
}

static struct kunit_case transfer_negative_cases[] = {
	KUNIT_CASE(inversion_through_task_completion_is_reported),
	KUNIT_CASE(control_plain_up_read_by_another_task_is_reported),
	KUNIT_CASE(control_read_hold_leaked_at_kthread_exit_is_reported),
	KUNIT_CASE(control_rfc2020_reacquire_in_hardirq_is_reported),
	KUNIT_CASE(non_owner_up_write_after_transfer_is_caught),
	KUNIT_CASE(write_hold_transferred_as_read_is_caught),
	KUNIT_CASE(transfer_of_a_released_hold_is_caught),
	KUNIT_CASE(release_without_claim_is_reported),
	KUNIT_CASE(claim_and_release_in_different_contexts_is_reported),
	{}
};

static struct kunit_suite transfer_negative_suite = {
	.name = "transfer_negative",
	.test_cases = transfer_negative_cases,
};

kunit_test_suite(transfer_negative_suite);

MODULE_DESCRIPTION("KUnit negative cases for the rwsem transfer");
MODULE_LICENSE("GPL");
