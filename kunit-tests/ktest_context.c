// SPDX-License-Identifier: GPL-2.0
/*
 * Run a function in task, workqueue, softirq or hardirq context.
 *
 * A hard hrtimer is the trigger for every context, as a device interrupt
 * is for an I/O completion; its callback either runs the function or
 * passes it on to a BH work item, an ordinary work item or a kthread.
 * UML has one CPU and HZ=100, so CONFIG_HIGH_RES_TIMERS keeps the trigger
 * in the microsecond range.
 */
#include <linux/bottom_half.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>

#include "ktest_context.h"

static const char * const context_names[KTEST_CTX_NR] = {
	[KTEST_CTX_TASK] = "task",
	[KTEST_CTX_WORKQUEUE] = "workqueue",
	[KTEST_CTX_SOFTIRQ] = "softirq",
	[KTEST_CTX_HARDIRQ] = "hardirq",
};

/**
 * ktest_context_name() - Printable name of a context.
 * @context: the context.
 *
 * Return: "task", "workqueue", "softirq", "hardirq" or "invalid".
 */
const char *ktest_context_name(enum ktest_context context)
{
	if (context >= KTEST_CTX_NR)
		return "invalid";
	return context_names[context];
}

/**
 * ktest_current_context() - Classify the context the caller runs in.
 *
 * Return: the context, judged from the preempt count and, for task
 * context, from whether current is executing a work item.
 */
enum ktest_context ktest_current_context(void)
{
	if (in_hardirq())
		return KTEST_CTX_HARDIRQ;
	if (in_serving_softirq())
		return KTEST_CTX_SOFTIRQ;
	if (current_work())
		return KTEST_CTX_WORKQUEUE;
	return KTEST_CTX_TASK;
}

static void sample_where(struct ktest_where *where)
{
	where->context = ktest_current_context();
	where->in_task = in_task();
	where->in_serving_softirq = in_serving_softirq();
	where->in_hardirq = in_hardirq();
	where->irqs_disabled = irqs_disabled();
	where->lockdep_hardirq = lockdep_hardirq_context();
	where->lockdep_softirq = lockdep_softirq_context(current);
	where->task = current;
	where->task_flags = current->flags;
}

static void run_call(struct ktest_call *call)
{
	sample_where(&call->where);
	call->fn(call->arg);
	call->runs++;
	complete(&call->done);
}

static void call_work_fn(struct work_struct *work)
{
	run_call(container_of(work, struct ktest_call, work));
}

static int call_thread_fn(void *data)
{
	run_call(data);
	return 0;
}

static enum hrtimer_restart call_timer_fn(struct hrtimer *timer)
{
	struct ktest_call *call = container_of(timer, struct ktest_call, timer);

	switch (call->context) {
	case KTEST_CTX_HARDIRQ:
		run_call(call);
		break;
	case KTEST_CTX_SOFTIRQ:
		queue_work(system_bh_wq, &call->work);
		break;
	case KTEST_CTX_WORKQUEUE:
		queue_work(system_unbound_wq, &call->work);
		break;
	default:
		wake_up_process(call->thread);
		break;
	}
	return HRTIMER_NORESTART;
}

/*
 * BH work runs in softirq and ordinary work in process context, so their
 * completion maps need lockdep classes of their own: one shared class would
 * be reported as inconsistent {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W} usage.
 */
static struct lock_class_key bh_work_key;
static struct lock_class_key wq_work_key;

static void init_call_work(struct ktest_call *call)
{
	struct lock_class_key *key = call->context == KTEST_CTX_SOFTIRQ ?
				     &bh_work_key : &wq_work_key;

	__INIT_WORK_KEY(&call->work, call_work_fn, call->on_stack, key);
}

static void init_call_objects(struct ktest_call *call)
{
	/* Debug objects want to know which of our objects live on a stack. */
	call->on_stack = object_is_on_stack(call);
	if (call->on_stack)
		hrtimer_init_on_stack(&call->timer, CLOCK_MONOTONIC,
				      HRTIMER_MODE_REL_HARD);
	else
		hrtimer_init(&call->timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_HARD);
	call->timer.function = call_timer_fn;
	init_call_work(call);
}

static void destroy_call_objects(struct ktest_call *call)
{
	if (call->on_stack) {
		destroy_hrtimer_on_stack(&call->timer);
		destroy_work_on_stack(&call->work);
	}
}

/**
 * ktest_call_start() - Arrange for @fn to run in @context.
 * @call: caller-owned state, valid until ktest_call_wait() returns.
 * @context: where @fn must run.
 * @fn: the function; in irq contexts it must not sleep.
 * @arg: passed to @fn.
 * @delay_ns: how long after now the triggering hrtimer fires.
 *
 * Every successful start must be followed by ktest_call_wait().
 *
 * Return: 0, -EINVAL for an unknown context, or the error of creating the
 * kthread for %KTEST_CTX_TASK.
 */
int ktest_call_start(struct ktest_call *call, enum ktest_context context,
		     void (*fn)(void *arg), void *arg, u64 delay_ns)
{
	if (context >= KTEST_CTX_NR)
		return -EINVAL;

	memset(call, 0, sizeof(*call));
	call->context = context;
	call->fn = fn;
	call->arg = arg;
	init_completion(&call->done);

	if (context == KTEST_CTX_TASK) {
		call->thread = kthread_create(call_thread_fn, call, "ktest_call");
		if (IS_ERR(call->thread))
			return PTR_ERR(call->thread);
		/* Keep the task_struct valid until ktest_call_wait() stops it. */
		get_task_struct(call->thread);
	}
	init_call_objects(call);
	hrtimer_start(&call->timer, ns_to_ktime(delay_ns), HRTIMER_MODE_REL_HARD);
	return 0;
}

/**
 * ktest_call_wait() - Wait for a started call and release its resources.
 * @call: a call started by ktest_call_start().
 * @timeout_ms: how long to wait for @fn to have run.
 *
 * On timeout the call is cancelled: afterwards @fn is not running and
 * will not run, so @call may be freed either way.
 *
 * Return: 0 once @fn has run, -ETIMEDOUT if it did not run in time.
 */
int ktest_call_wait(struct ktest_call *call, unsigned int timeout_ms)
{
	wait_for_completion_timeout(&call->done, msecs_to_jiffies(timeout_ms));
	hrtimer_cancel(&call->timer);
	cancel_work_sync(&call->work);
	/* Exits at once if the thread was never woken up. */
	if (call->thread)
		kthread_stop_put(call->thread);
	destroy_call_objects(call);
	/* @fn may have finished during the teardown above: that counts. */
	return call->runs ? 0 : -ETIMEDOUT;
}

/**
 * ktest_run_in_context() - Run @fn in @context and wait for it.
 * @context: where @fn must run.
 * @fn: the function; in irq contexts it must not sleep.
 * @arg: passed to @fn.
 * @where: if not NULL, receives what @fn's context looked like.
 *
 * Return: 0, or the error of ktest_call_start() or ktest_call_wait().
 */
int ktest_run_in_context(enum ktest_context context, void (*fn)(void *arg),
			 void *arg, struct ktest_where *where)
{
	struct ktest_call call;
	int ret;

	ret = ktest_call_start(&call, context, fn, arg, 0);
	if (ret)
		return ret;
	ret = ktest_call_wait(&call, KTEST_CALL_TIMEOUT_MS);
	if (where)
		*where = call.where;
	return ret;
}
