/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an rw_semaphore's words say, on both implementations: the count
 * and owner words of kernel/locking/rwsem.c, or the reader count and
 * rtmutex of rwbase_rt on PREEMPT_RT.  Fields that one implementation
 * does not have read false or NULL there; ktest_rwsem_has_owner_word()
 * says which.
 *
 * And the rwsem optimistic-spinning lock events, so that a case can
 * count whether a writer spun (CONFIG_LOCK_EVENT_COUNTS only).
 */
#ifndef _KTEST_RWSEM_H
#define _KTEST_RWSEM_H

#include <linux/rwsem.h>
#include <linux/types.h>

struct ktest_rwsem_state {
	long count;			/* !RT: the raw count word */
	long readers;			/* read holds */
	bool writer_locked;		/* held for writing */
	bool waiters;			/* a task waits for the lock */
	struct task_struct *owner;	/* !RT: owner word; RT: rtmutex owner */
	bool reader_owned;		/* !RT: RWSEM_READER_OWNED */
	bool nonspinnable;		/* !RT: RWSEM_NONSPINNABLE */
};

void ktest_rwsem_state(struct rw_semaphore *sem, struct ktest_rwsem_state *s);

/* Does this kernel's rwsem have an owner word with spin hints? */
static inline bool ktest_rwsem_has_owner_word(void)
{
	return !IS_ENABLED(CONFIG_PREEMPT_RT);
}

/* Sums over all CPUs of the rwsem_opt_* lock events. */
struct ktest_rwsem_spins {
	unsigned long opt_lock;		/* write locks taken by spinning */
	unsigned long opt_fail;		/* spins refused or given up */
	unsigned long opt_nospin;	/* spins on readers that timed out */
};

bool ktest_rwsem_spins_sample(struct ktest_rwsem_spins *spins);
void ktest_rwsem_spins_since(struct ktest_rwsem_spins *delta,
			     const struct ktest_rwsem_spins *before);

#endif /* _KTEST_RWSEM_H */
