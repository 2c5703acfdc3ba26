// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "lockdep_transfer": what lockdep sees of a transferred read
 * hold.  The submitter holds nothing afterwards; a completion in task
 * context holds the lock until it releases it, with its locks ordered
 * after it; a completion in irq context leaves the class free of irq
 * usage, so ordinary use with interrupts enabled stays silent.
 *
 * The suite's lockdep guard fails a case on any report, so every case
 * here is also a check that nothing was reported.
 */
#include <kunit/test.h>
#include <linux/debug_locks.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/percpu-rwsem.h>
#include <linux/rwsem.h>
#include <linux/sched.h>

#include "ktest_context.h"
#include "ktest_guard.h"

/* What a completion saw of the lock while it ran. */
struct lockdep_probe {
	struct rw_semaphore *sem;
	struct mutex *inner;		/* taken while claimed, if set */
	bool held_before_claim;
	bool held_after_claim;
	bool held_after_release;
	int depth_change;		/* lockdep depth, claimed minus before */
};

static void claim_probe_release(void *arg)
{
	struct lockdep_probe *probe = arg;
	int depth = lockdep_depth(current);

	probe->held_before_claim = lockdep_is_held(probe->sem);
	rwsem_transfer_claim(probe->sem);
	probe->held_after_claim = lockdep_is_held(probe->sem);
	probe->depth_change = lockdep_depth(current) - depth;
	if (probe->inner) {
		mutex_lock(probe->inner);
		mutex_unlock(probe->inner);
	}
	rwsem_transfer_release(probe->sem);
	probe->held_after_release = lockdep_is_held(probe->sem);
}

/* Read-lock @sem, transfer it, and complete it in @context with @probe. */
static void transfer_and_complete(struct kunit *test, struct rw_semaphore *sem,
				  struct lockdep_probe *probe,
				  enum ktest_context context)
{
	probe->sem = sem;
	down_read(sem);
	rwsem_transfer_read(sem);
	KUNIT_ASSERT_EQ(test, ktest_run_in_context(context, claim_probe_release,
						   probe, NULL), 0);
}

static const enum ktest_context all_contexts[] = {
	KTEST_CTX_TASK, KTEST_CTX_WORKQUEUE, KTEST_CTX_SOFTIRQ, KTEST_CTX_HARDIRQ,
};

static const enum ktest_context task_contexts[] = {
	KTEST_CTX_TASK, KTEST_CTX_WORKQUEUE,
};

static const enum ktest_context irq_contexts[] = {
	KTEST_CTX_SOFTIRQ, KTEST_CTX_HARDIRQ,
};

static void context_to_desc(const enum ktest_context *context, char *desc)
{
	strscpy(desc, ktest_context_name(*context), KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(context, all_contexts, context_to_desc);
KUNIT_ARRAY_PARAM(task_context, task_contexts, context_to_desc);
KUNIT_ARRAY_PARAM(irq_context, irq_contexts, context_to_desc);

static void skip_without_lockdep(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_PROVE_LOCKING))
		kunit_skip(test, "needs CONFIG_PROVE_LOCKING");
}

/* After the transfer the submitter holds nothing, in lockdep's eyes. */
static void submitter_holds_nothing_after_transfer(struct kunit *test)
{
	struct lockdep_probe probe = {};
	struct rw_semaphore sem;
	int depth = lockdep_depth(current);

	skip_without_lockdep(test);
	init_rwsem(&sem);
	probe.sem = &sem;

	down_read(&sem);
	KUNIT_EXPECT_TRUE(test, lockdep_is_held_type(&sem, 1));
	KUNIT_EXPECT_EQ(test, lockdep_depth(current), depth + 1);

	rwsem_transfer_read(&sem);
	KUNIT_EXPECT_FALSE(test, lockdep_is_held(&sem));
	KUNIT_EXPECT_EQ(test, lockdep_depth(current), depth);

	KUNIT_ASSERT_EQ(test, ktest_run_in_context(KTEST_CTX_HARDIRQ,
						   claim_probe_release, &probe,
						   NULL), 0);
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

/* The same for a write hold downgraded and transferred. */
static void writer_holds_nothing_after_transfer(struct kunit *test)
{
	struct lockdep_probe probe = {};
	struct rw_semaphore sem;
	int depth = lockdep_depth(current);

	skip_without_lockdep(test);
	init_rwsem(&sem);
	probe.sem = &sem;

	down_write(&sem);
	KUNIT_EXPECT_TRUE(test, lockdep_is_held_type(&sem, 0));
	rwsem_transfer_write(&sem);
	KUNIT_EXPECT_FALSE(test, lockdep_is_held(&sem));
	KUNIT_EXPECT_EQ(test, lockdep_depth(current), depth);

	KUNIT_ASSERT_EQ(test, ktest_run_in_context(KTEST_CTX_WORKQUEUE,
						   claim_probe_release, &probe,
						   NULL), 0);
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

/*
 * In every context the claim is visible to lockdep until the release,
 * so lockdep_assert_held() works in a completion, and nothing is left
 * on the completing context's held-lock stack afterwards.
 */
static void completion_holds_the_lock_until_release(struct kunit *test)
{
	enum ktest_context context = *(const enum ktest_context *)test->param_value;
	struct lockdep_probe probe = {};
	struct rw_semaphore sem;

	skip_without_lockdep(test);
	init_rwsem(&sem);

	transfer_and_complete(test, &sem, &probe, context);
	KUNIT_EXPECT_FALSE(test, probe.held_before_claim);
	KUNIT_EXPECT_TRUE(test, probe.held_after_claim);
	KUNIT_EXPECT_EQ(test, probe.depth_change, 1);
	KUNIT_EXPECT_FALSE(test, probe.held_after_release);
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

/*
 * A release in softirq or hardirq must not mark the class irq-used:
 * had it done so, taking the lock with interrupts enabled afterwards
 * would be reported as an inconsistent lock state, and the guard would
 * fail this case.  transfer_negative proves that a plain re-acquisition
 * in hardirq, as the 2020 RFC did it, is reported by the same steps.
 */
static void irq_release_leaves_normal_use_silent(struct kunit *test)
{
	enum ktest_context context = *(const enum ktest_context *)test->param_value;
	static struct lock_class_key key;
	struct lockdep_probe probe = {};
	struct rw_semaphore sem;

	skip_without_lockdep(test);
	/* A class of its own: no earlier case may have made it irq-safe. */
	init_rwsem(&sem);
	lockdep_set_class(&sem, &key);

	transfer_and_complete(test, &sem, &probe, context);
	KUNIT_EXPECT_TRUE(test, probe.held_after_claim);

	KUNIT_ASSERT_FALSE(test, irqs_disabled());
	down_write(&sem);
	up_write(&sem);
	down_read(&sem);
	up_read(&sem);
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

/*
 * A task-context completion that takes a mutex while it holds the lock,
 * then the submitter side taking them in the same order: consistent, so
 * silent.  transfer_negative proves the opposite order is reported.
 */
static void task_completion_locks_in_order_are_silent(struct kunit *test)
{
	enum ktest_context context = *(const enum ktest_context *)test->param_value;
	static struct lock_class_key key;
	struct lockdep_probe probe = {};
	struct rw_semaphore sem;
	struct mutex inner;	/* taken by the completion, then by us */

	skip_without_lockdep(test);
	init_rwsem(&sem);
	lockdep_set_class(&sem, &key);
	mutex_init(&inner);
	probe.inner = &inner;
	transfer_and_complete(test, &sem, &probe, context);

	down_write(&sem);
	mutex_lock(&inner);
	mutex_unlock(&inner);
	up_write(&sem);
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

/*
 * The kiocb_start_write()/kiocb_end_write() pattern on a percpu rwsem,
 * ended in irq context: freezing (percpu_down_write with interrupts
 * enabled) afterwards stays silent.
 */
static struct percpu_rw_semaphore frozen;

static void end_write_in_irq(void *arg)
{
	struct percpu_rw_semaphore *sem = arg;

	percpu_rwsem_acquire(sem, true, _THIS_IP_);
	percpu_up_read(sem);
}

static void percpu_transfer_ended_in_irq_is_silent(struct kunit *test)
{
	enum ktest_context context = *(const enum ktest_context *)test->param_value;

	skip_without_lockdep(test);
	KUNIT_ASSERT_EQ(test, percpu_init_rwsem(&frozen), 0);

	percpu_down_read(&frozen);
	percpu_rwsem_release(&frozen, _THIS_IP_);
	KUNIT_EXPECT_FALSE(test, percpu_rwsem_is_held(&frozen));
	KUNIT_ASSERT_EQ(test, ktest_run_in_context(context, end_write_in_irq,
						   &frozen, NULL), 0);

	percpu_down_write(&frozen);
	percpu_up_write(&frozen);
	percpu_free_rwsem(&frozen);
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

static struct kunit_case lockdep_transfer_cases[] = {
	KUNIT_CASE(submitter_holds_nothing_after_transfer),
	KUNIT_CASE(writer_holds_nothing_after_transfer),
	KUNIT_CASE_PARAM(completion_holds_the_lock_until_release,
			 context_gen_params),
	KUNIT_CASE_PARAM(irq_release_leaves_normal_use_silent,
			 irq_context_gen_params),
	KUNIT_CASE_PARAM(task_completion_locks_in_order_are_silent,
			 task_context_gen_params),
	KUNIT_CASE_PARAM(percpu_transfer_ended_in_irq_is_silent,
			 irq_context_gen_params),
	{}
};

static struct kunit_suite lockdep_transfer_suite = {
	.name = "lockdep_transfer",
	.init = ktest_guard_init,
	.test_cases = lockdep_transfer_cases,
};

kunit_test_suite(lockdep_transfer_suite);

MODULE_DESCRIPTION("KUnit suite for the lockdep transfer annotations");
MODULE_LICENSE("GPL");
