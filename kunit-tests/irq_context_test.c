// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "irq_context": the context helper reaches every context it
 * offers, as the kernel and lockdep see it, and the lockdep guard runs.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/sched.h>

#include "ktest_context.h"
#include "ktest_guard.h"

struct probe {
	unsigned int calls;
	ktime_t ran_at;
};

static void probe_fn(void *arg)
{
	struct probe *probe = arg;

	probe->calls++;
	probe->ran_at = ktime_get();
}

static void run_probe(struct kunit *test, enum ktest_context context,
		      struct ktest_where *where)
{
	struct probe probe = {};

	KUNIT_ASSERT_EQ(test, ktest_run_in_context(context, probe_fn, &probe,
						   where), 0);
	KUNIT_ASSERT_EQ(test, probe.calls, 1);
	KUNIT_EXPECT_EQ_MSG(test, where->context, context, "ran in %s",
			    ktest_context_name(where->context));
}

static void test_thread_is_task_context(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ktest_current_context(), KTEST_CTX_TASK);
	KUNIT_EXPECT_TRUE(test, in_task());
	KUNIT_EXPECT_FALSE(test, irqs_disabled());
}

static void task_call_runs_in_another_kthread(struct kunit *test)
{
	struct ktest_where where;

	run_probe(test, KTEST_CTX_TASK, &where);
	KUNIT_EXPECT_TRUE(test, where.in_task);
	KUNIT_EXPECT_FALSE(test, where.irqs_disabled);
	KUNIT_EXPECT_PTR_NE(test, where.task, current);
	KUNIT_EXPECT_TRUE(test, where.task_flags & PF_KTHREAD);
	KUNIT_EXPECT_FALSE(test, where.task_flags & PF_WQ_WORKER);
}

static void workqueue_call_runs_in_a_worker(struct kunit *test)
{
	struct ktest_where where;

	run_probe(test, KTEST_CTX_WORKQUEUE, &where);
	KUNIT_EXPECT_TRUE(test, where.in_task);
	KUNIT_EXPECT_FALSE(test, where.irqs_disabled);
	KUNIT_EXPECT_PTR_NE(test, where.task, current);
	KUNIT_EXPECT_TRUE(test, where.task_flags & PF_WQ_WORKER);
}

static void softirq_call_runs_serving_softirq(struct kunit *test)
{
	struct ktest_where where;

	run_probe(test, KTEST_CTX_SOFTIRQ, &where);
	KUNIT_EXPECT_TRUE(test, where.in_serving_softirq);
	KUNIT_EXPECT_FALSE(test, where.in_hardirq);
	KUNIT_EXPECT_FALSE(test, where.in_task);
	/* RT runs softirqs in threads; lockdep tracks no softirq context there. */
	if (IS_ENABLED(CONFIG_TRACE_IRQFLAGS) && !IS_ENABLED(CONFIG_PREEMPT_RT))
		KUNIT_EXPECT_TRUE_MSG(test, where.lockdep_softirq,
				      "lockdep does not see softirq context");
}

static void hardirq_call_runs_in_hardirq_with_irqs_off(struct kunit *test)
{
	struct ktest_where where;

	run_probe(test, KTEST_CTX_HARDIRQ, &where);
	KUNIT_EXPECT_TRUE(test, where.in_hardirq);
	KUNIT_EXPECT_TRUE(test, where.irqs_disabled);
	KUNIT_EXPECT_FALSE(test, where.in_task);
	KUNIT_EXPECT_FALSE(test, where.in_serving_softirq);
	if (IS_ENABLED(CONFIG_TRACE_IRQFLAGS))
		KUNIT_EXPECT_TRUE_MSG(test, where.lockdep_hardirq,
				      "lockdep does not see hardirq context");
}

static void delayed_call_runs_once_no_earlier_than_its_delay(struct kunit *test)
{
	const u64 delay_ns = 20 * NSEC_PER_MSEC;
	struct ktest_call call;
	struct probe probe = {};
	ktime_t started = ktime_get();

	KUNIT_ASSERT_EQ(test, ktest_call_start(&call, KTEST_CTX_HARDIRQ,
					       probe_fn, &probe, delay_ns), 0);
	KUNIT_ASSERT_EQ(test, ktest_call_wait(&call, KTEST_CALL_TIMEOUT_MS), 0);
	KUNIT_EXPECT_EQ(test, probe.calls, 1);
	KUNIT_EXPECT_EQ(test, call.runs, 1);
	KUNIT_EXPECT_GE(test, ktime_to_ns(ktime_sub(probe.ran_at, started)),
			delay_ns);
}

static const enum ktest_context all_contexts[] = {
	KTEST_CTX_TASK, KTEST_CTX_WORKQUEUE, KTEST_CTX_SOFTIRQ, KTEST_CTX_HARDIRQ,
};

static void context_to_desc(const enum ktest_context *context, char *desc)
{
	strscpy(desc, ktest_context_name(*context), KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(context, all_contexts, context_to_desc);

static void wait_timeout_cancels_a_call_that_has_not_run(struct kunit *test)
{
	const enum ktest_context *context = test->param_value;
	struct ktest_call call;
	struct probe probe = {};

	/* The trigger is an hour away: waiting 10 ms must give up. */
	KUNIT_ASSERT_EQ(test, ktest_call_start(&call, *context, probe_fn,
					       &probe, 3600ULL * NSEC_PER_SEC), 0);
	KUNIT_EXPECT_EQ(test, ktest_call_wait(&call, 10), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, probe.calls, 0);
	KUNIT_EXPECT_EQ(test, call.runs, 0);
}

static void slow_probe_fn(void *arg)
{
	struct probe *probe = arg;

	msleep(100);
	probe_fn(probe);
}

static const enum ktest_context sleepable_contexts[] = {
	KTEST_CTX_TASK, KTEST_CTX_WORKQUEUE,
};

KUNIT_ARRAY_PARAM(sleepable_context, sleepable_contexts, context_to_desc);

/* A call that was already running when the wait gave up still counts. */
static void wait_timeout_keeps_a_call_that_finishes_in_teardown(struct kunit *test)
{
	const enum ktest_context *context = test->param_value;
	struct ktest_call call;
	struct probe probe = {};

	KUNIT_ASSERT_EQ(test, ktest_call_start(&call, *context, slow_probe_fn,
					       &probe, 0), 0);
	KUNIT_EXPECT_EQ(test, ktest_call_wait(&call, 10), 0);
	KUNIT_EXPECT_EQ(test, probe.calls, 1);
	KUNIT_EXPECT_EQ(test, call.runs, 1);
}

/* Heap-allocated calls in every context at once, as later suites use them. */
static void calls_in_all_contexts_run_concurrently(struct kunit *test)
{
	bool started[KTEST_CTX_NR];
	struct ktest_call *calls;
	struct probe *probes;
	int i;

	calls = kunit_kcalloc(test, KTEST_CTX_NR, sizeof(*calls), GFP_KERNEL);
	probes = kunit_kcalloc(test, KTEST_CTX_NR, sizeof(*probes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, calls);
	KUNIT_ASSERT_NOT_NULL(test, probes);

	/* No assertion between start and wait: a started call must be waited for. */
	for (i = 0; i < KTEST_CTX_NR; i++)
		started[i] = !ktest_call_start(&calls[i], i, probe_fn, &probes[i], 0);
	for (i = 0; i < KTEST_CTX_NR; i++) {
		KUNIT_EXPECT_TRUE(test, started[i]);
		if (!started[i])
			continue;
		KUNIT_EXPECT_EQ(test, ktest_call_wait(&calls[i],
						      KTEST_CALL_TIMEOUT_MS), 0);
		KUNIT_EXPECT_EQ(test, probes[i].calls, 1);
		KUNIT_EXPECT_EQ_MSG(test, calls[i].where.context, i,
				    "%s call ran in %s", ktest_context_name(i),
				    ktest_context_name(calls[i].where.context));
	}
}

static void unknown_context_is_rejected(struct kunit *test)
{
	struct ktest_call call;
	struct probe probe = {};

	KUNIT_EXPECT_EQ(test, ktest_call_start(&call, KTEST_CTX_NR, probe_fn,
					       &probe, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, probe.calls, 0);
}

/* The guard relies on lockdep tracking the case's own kthread. */
static void lockdep_tracks_locks_of_the_test_thread(struct kunit *test)
{
	static DEFINE_MUTEX(tracked);
	int depth = lockdep_depth(current);

	mutex_lock(&tracked);
	KUNIT_EXPECT_TRUE(test, lockdep_is_held(&tracked));
	KUNIT_EXPECT_EQ(test, lockdep_depth(current), depth + 1);
	mutex_unlock(&tracked);
	KUNIT_EXPECT_FALSE(test, lockdep_is_held(&tracked));
	KUNIT_EXPECT_EQ(test, lockdep_depth(current), depth);
}

static struct kunit_case irq_context_cases[] = {
	KUNIT_CASE(test_thread_is_task_context),
	KUNIT_CASE(task_call_runs_in_another_kthread),
	KUNIT_CASE(workqueue_call_runs_in_a_worker),
	KUNIT_CASE(softirq_call_runs_serving_softirq),
	KUNIT_CASE(hardirq_call_runs_in_hardirq_with_irqs_off),
	KUNIT_CASE(delayed_call_runs_once_no_earlier_than_its_delay),
	KUNIT_CASE_PARAM(wait_timeout_cancels_a_call_that_has_not_run,
			 context_gen_params),
	KUNIT_CASE_PARAM(wait_timeout_keeps_a_call_that_finishes_in_teardown,
			 sleepable_context_gen_params),
	KUNIT_CASE(calls_in_all_contexts_run_concurrently),
	KUNIT_CASE(unknown_context_is_rejected),
	KUNIT_CASE(lockdep_tracks_locks_of_the_test_thread),
	{}
};

static struct kunit_suite irq_context_suite = {
	.name = "irq_context",
	.init = ktest_guard_init,
	.test_cases = irq_context_cases,
};

kunit_test_suite(irq_context_suite);

MODULE_DESCRIPTION("KUnit suite for the workbench's irq context helper");
MODULE_LICENSE("GPL");
