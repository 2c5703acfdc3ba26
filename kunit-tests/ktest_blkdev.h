/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A RAM-backed blk-mq block device whose completion context each test
 * chooses.
 *
 * Bios submitted to ktest_blkdev_bdev() reach ->queue_rq(), which copies
 * the data at once and then ends the request inline, in the block softirq
 * path, in a hard hrtimer callback or in a work item.  A test can also
 * hold requests back and release them later, all at once or one by one in
 * an order it picks (with the data of held writes landing only then, if it
 * asks), fail the next few requests,
 * and read what the device saw.  The device lives until the end of the
 * case that created it.
 */
#ifndef _KTEST_BLKDEV_H
#define _KTEST_BLKDEV_H

#include <kunit/test.h>
#include <linux/blk_types.h>
#include <linux/types.h>

#include "ktest_context.h"

struct ktest_blkdev;

enum ktest_blk_completion {
	/* blk_mq_end_request() from ->queue_rq() itself, see ktest_blkdev.c */
	KTEST_BLK_INLINE,
	/* blk_mq_complete_request() from BH work, ->complete() in softirq */
	KTEST_BLK_SOFTIRQ,
	/*
	 * blk_mq_end_request() from the device's "interrupt": a hard hrtimer
	 * (hardirq), or on PREEMPT_RT, where interrupts are threaded and no
	 * block request ends in hardirq, a soft one (softirq), see
	 * ktest_blk_irq_context()
	 */
	KTEST_BLK_HARDIRQ,
	/* blk_mq_end_request() from a work item on system_unbound_wq */
	KTEST_BLK_WORKQUEUE,
	KTEST_BLK_NR_COMPLETIONS,
};

/* Where %KTEST_BLK_HARDIRQ ends requests on this kernel. */
static inline enum ktest_context ktest_blk_irq_context(void)
{
	return IS_ENABLED(CONFIG_PREEMPT_RT) ? KTEST_CTX_SOFTIRQ :
					       KTEST_CTX_HARDIRQ;
}

/* The context each mode ends requests in on this kernel. */
static inline enum ktest_context
ktest_blk_context_of(enum ktest_blk_completion how)
{
	switch (how) {
	case KTEST_BLK_INLINE:
		return KTEST_CTX_TASK;
	case KTEST_BLK_SOFTIRQ:
		return KTEST_CTX_SOFTIRQ;
	case KTEST_BLK_HARDIRQ:
		return ktest_blk_irq_context();
	default:
		return KTEST_CTX_WORKQUEUE;
	}
}

struct ktest_blkdev_stats {
	unsigned int reads;		/* read requests started */
	unsigned int writes;		/* write requests started */
	unsigned int errors;		/* requests ended with an error */
	unsigned int ended;		/* requests ended, errors included */
	/* Sampled just before the last request was ended: */
	enum ktest_context last_context;
	bool last_in_hardirq;
	bool last_in_softirq;		/* in_serving_softirq() */
	struct task_struct *last_task;	/* compare only, may be gone */
};

/* Requests per device that can be in flight (or held) at once. */
#define KTEST_BLKDEV_QUEUE_DEPTH	128

struct ktest_blkdev *ktest_blkdev_create(struct kunit *test,
					 sector_t nr_sectors,
					 unsigned int logical_block_size);
void ktest_blkdev_destroy(struct kunit *test, struct ktest_blkdev *dev);
struct block_device *ktest_blkdev_bdev(struct ktest_blkdev *dev);
void *ktest_blkdev_data(struct ktest_blkdev *dev, sector_t sector);

const char *ktest_blk_completion_name(enum ktest_blk_completion how);
void ktest_blkdev_set_completion(struct ktest_blkdev *dev,
				 enum ktest_blk_completion how, u64 delay_ns);

void ktest_blkdev_hold(struct ktest_blkdev *dev);
void ktest_blkdev_hold_unlanded(struct ktest_blkdev *dev);
unsigned int ktest_blkdev_release(struct ktest_blkdev *dev);
int ktest_blkdev_release_nth(struct ktest_blkdev *dev, unsigned int n);
unsigned int ktest_blkdev_held(struct ktest_blkdev *dev);
void ktest_blkdev_fail_next(struct ktest_blkdev *dev, unsigned int nr);

void ktest_blkdev_stats(struct ktest_blkdev *dev,
			struct ktest_blkdev_stats *st);
int ktest_blkdev_wait_idle(struct ktest_blkdev *dev, unsigned int timeout_ms);

#endif /* _KTEST_BLKDEV_H */
