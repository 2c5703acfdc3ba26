// SPDX-License-Identifier: GPL-2.0
/*
 * Reading an rw_semaphore's state for the workbench suites, see
 * ktest_rwsem.h.
 */
#include <linux/atomic.h>
#include <linux/percpu.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>

#include "ktest_rwsem.h"

#ifndef CONFIG_PREEMPT_RT
/* The decoder of the count and owner words, private to kernel/locking. */
#include "rwsem_kunit.h"
#endif

#ifdef CONFIG_LOCK_EVENT_COUNTS
/* The counters are private to kernel/locking; only tests read them here. */
#include "lock_events.h"
#endif

#ifdef CONFIG_PREEMPT_RT
/*
 * rwbase_rt: readers is READER_BIAS plus the read holds while no writer
 * is around.  A writer takes the rtmutex, removes the bias and waits for
 * the remaining count of readers to drop to zero, then sets WRITER_BIAS.
 */
void ktest_rwsem_state(struct rw_semaphore *sem, struct ktest_rwsem_state *s)
{
	struct rt_mutex_base *rtm = &sem->rwbase.rtmutex;
	unsigned int readers = atomic_read(&sem->rwbase.readers);
	unsigned long owner = (unsigned long)READ_ONCE(rtm->owner);

	memset(s, 0, sizeof(*s));
	s->count = readers;
	s->owner = (struct task_struct *)(owner & ~1UL);
	if (readers & READER_BIAS)
		s->readers = readers - READER_BIAS;
	else if (readers == WRITER_BIAS)
		s->writer_locked = true;
	else
		s->readers = readers;	/* a writer waits for these */
	/* A writer that removed the bias waits for the readers left. */
	s->waiters = !RB_EMPTY_ROOT(&rtm->waiters.rb_root) ||
		     (!(readers & READER_BIAS) && readers != WRITER_BIAS);
}
#else
void ktest_rwsem_state(struct rw_semaphore *sem, struct ktest_rwsem_state *s)
{
	struct rwsem_kunit_state raw;

	rwsem_kunit_state(sem, &raw);
	s->count = raw.count;
	s->readers = raw.readers;
	s->writer_locked = raw.writer_locked;
	s->waiters = raw.waiters;
	s->owner = raw.owner;
	s->reader_owned = raw.reader_owned;
	s->nonspinnable = raw.nonspinnable;
}
#endif

#ifdef CONFIG_LOCK_EVENT_COUNTS
static unsigned long lock_event_sum(int event)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(lockevents[event], cpu);
	return sum;
}

bool ktest_rwsem_spins_sample(struct ktest_rwsem_spins *spins)
{
	spins->opt_lock = lock_event_sum(LOCKEVENT_rwsem_opt_lock);
	spins->opt_fail = lock_event_sum(LOCKEVENT_rwsem_opt_fail);
	spins->opt_nospin = lock_event_sum(LOCKEVENT_rwsem_opt_nospin);
	return true;
}
#else
bool ktest_rwsem_spins_sample(struct ktest_rwsem_spins *spins)
{
	memset(spins, 0, sizeof(*spins));
	return false;
}
#endif

/* @delta becomes what happened since @before was sampled. */
void ktest_rwsem_spins_since(struct ktest_rwsem_spins *delta,
			     const struct ktest_rwsem_spins *before)
{
	ktest_rwsem_spins_sample(delta);
	delta->opt_lock -= before->opt_lock;
	delta->opt_fail -= before->opt_fail;
	delta->opt_nospin -= before->opt_nospin;
}
