/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run a function in a chosen execution context and report where it ran.
 *
 * Every call is triggered by a hard hrtimer, the way a device interrupt
 * ends an I/O, and then runs either in that hardirq, in a BH work item
 * (softirq), in a work item on an ordinary workqueue, or in a kthread of
 * its own.  Calls can be synchronous (ktest_run_in_context()) or started
 * now and waited for later, so a test can check state in between.
 */
#ifndef _KTEST_CONTEXT_H
#define _KTEST_CONTEXT_H

#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

enum ktest_context {
	KTEST_CTX_TASK,		/* a kthread of its own */
	KTEST_CTX_WORKQUEUE,	/* a work item on system_unbound_wq */
	KTEST_CTX_SOFTIRQ,	/* a BH work item on system_bh_wq */
	KTEST_CTX_HARDIRQ,	/* the hard hrtimer callback itself */
	KTEST_CTX_NR,
};

/* What the called function saw, sampled just before it ran. */
struct ktest_where {
	enum ktest_context context;	/* classified by ktest_current_context() */
	bool in_task;
	bool in_serving_softirq;
	bool in_hardirq;
	bool irqs_disabled;
	bool lockdep_hardirq;		/* lockdep's own view of the context */
	bool lockdep_softirq;
	struct task_struct *task;	/* current (the interrupted task in irq); */
					/* compare only, it may be gone by now */
	unsigned int task_flags;	/* current->flags (PF_KTHREAD, ...) */
};

struct ktest_call {
	enum ktest_context context;
	void (*fn)(void *arg);
	void *arg;
	unsigned int runs;		/* times fn ran: must end up 1 */
	struct ktest_where where;
	/* private */
	bool on_stack;
	struct completion done;
	struct hrtimer timer;
	struct work_struct work;
	struct task_struct *thread;
};

/* Allow a stuck call this long before giving up on it. */
#define KTEST_CALL_TIMEOUT_MS	10000

const char *ktest_context_name(enum ktest_context context);
enum ktest_context ktest_current_context(void);

int ktest_call_start(struct ktest_call *call, enum ktest_context context,
		     void (*fn)(void *arg), void *arg, u64 delay_ns);
int ktest_call_wait(struct ktest_call *call, unsigned int timeout_ms);
int ktest_run_in_context(enum ktest_context context, void (*fn)(void *arg),
			 void *arg, struct ktest_where *where);

#endif /* _KTEST_CONTEXT_H */
