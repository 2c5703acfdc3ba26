// SPDX-License-Identifier: GPL-2.0
/*
 * A RAM-backed blk-mq block device whose completion context a test chooses.
 *
 * ->queue_rq() copies the data between the bio pages and a vmalloc()ed
 * backing store and then ends the request the way the test asked for:
 *
 * %KTEST_BLK_INLINE ends it in ->queue_rq() itself.  That is the context
 * that issues the request, which for submit_bio() is the submitter: the
 * plug __submit_bio() always starts is finished before it returns and
 * blk_finish_plug() issues the request directly, under rcu_read_lock().
 * The same holds when the caller has its own plug (iomap_dio_rw() does)
 * and finishes it, but if the submitter sleeps with requests in its plug,
 * schedule() flushes the plug with from_schedule set and blk-mq issues
 * them from a kblockd work item instead.  Either way nothing ended inline
 * may sleep.
 *
 * The other modes start a hard hrtimer from ->queue_rq(), the way a device
 * raises an interrupt when it is done.  %KTEST_BLK_HARDIRQ ends the request
 * in the callback, %KTEST_BLK_WORKQUEUE passes it on to a work item.
 * %KTEST_BLK_SOFTIRQ passes it on to a BH work item, which calls
 * blk_mq_complete_request().  That alone would not do: with a single
 * software queue mapped to the submitting CPU (always so on UML, which has
 * one CPU) blk-mq calls ->complete() right away in the caller's context,
 * so called from the hrtimer it would complete in hardirq.
 *
 * The device is never add_disk()ed: submit_bio() on disk->part0 works on
 * a gendisk that only blk_mq_alloc_disk() set up, and leaving it out keeps
 * the test free of device numbers, sysfs, uevents and I/O schedulers.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/bvec.h>
#include <linux/hrtimer.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "ktest_blkdev.h"

/*
 * The device's interrupt.  PREEMPT_RT never ends a block request in
 * hardirq (its interrupt handlers run in threads, and blk-mq takes
 * sleeping locks), so there it is a soft hrtimer, as RT makes every
 * hrtimer not marked hard.
 */
#define KTEST_BLK_TIMER_MODE	(IS_ENABLED(CONFIG_PREEMPT_RT) ?	\
				 HRTIMER_MODE_REL_SOFT : HRTIMER_MODE_REL_HARD)

struct ktest_blkdev {
	struct blk_mq_tag_set set;
	struct gendisk *disk;
	void *data;
	sector_t nr_sectors;

	spinlock_t lock;		/* protects all below */
	enum ktest_blk_completion how;
	u64 delay_ns;
	bool holding;
	bool land_at_release;		/* held writes reach data on release */
	struct list_head held;		/* of struct ktest_blkdev_cmd */
	unsigned int nr_held;
	unsigned int fail_next;
	unsigned int inflight;		/* started, completion path not left */
	struct ktest_blkdev_stats stats;
	wait_queue_head_t idle_wq;	/* woken when inflight drops to 0 */
};

/* Per-request driver data, set up once per tag in ->init_request(). */
struct ktest_blkdev_cmd {
	struct ktest_blkdev *dev;
	blk_status_t status;
	enum ktest_blk_completion how;
	struct hrtimer timer;
	struct work_struct work;
	struct work_struct bh_work;
	struct list_head held_node;
	bool unlanded;			/* a held write not yet copied */
};

static const char * const completion_names[KTEST_BLK_NR_COMPLETIONS] = {
	[KTEST_BLK_INLINE] = "inline",
	[KTEST_BLK_SOFTIRQ] = "softirq",
	[KTEST_BLK_HARDIRQ] = "hardirq",
	[KTEST_BLK_WORKQUEUE] = "workqueue",
};

/**
 * ktest_blk_completion_name() - Printable name of a completion mode.
 * @how: the mode.
 *
 * Return: "inline", "softirq", "hardirq", "workqueue" or "invalid".
 */
const char *ktest_blk_completion_name(enum ktest_blk_completion how)
{
	if (how >= KTEST_BLK_NR_COMPLETIONS)
		return "invalid";
	return completion_names[how];
}

static atomic_t ktest_blkdev_ids = ATOMIC_INIT(0);

/*
 * Ends @rq and accounts for it.  The stats are updated first, so that
 * whoever its end_io wakes sees them, and inflight last: @dev may be
 * freed as soon as it drops to zero and the lock is released.
 */
static void ktest_blkdev_end(struct request *rq)
{
	struct ktest_blkdev_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct ktest_blkdev *dev = cmd->dev;
	blk_status_t status = cmd->status;
	unsigned long flags;

	spin_lock_irqsave(&dev->lock, flags);
	dev->stats.ended++;
	if (status)
		dev->stats.errors++;
	dev->stats.last_context = ktest_current_context();
	dev->stats.last_in_hardirq = in_hardirq();
	dev->stats.last_in_softirq = in_serving_softirq();
	dev->stats.last_task = current;
	spin_unlock_irqrestore(&dev->lock, flags);

	blk_mq_end_request(rq, status);

	spin_lock_irqsave(&dev->lock, flags);
	if (!--dev->inflight)
		wake_up_all(&dev->idle_wq);
	spin_unlock_irqrestore(&dev->lock, flags);
}

static void ktest_blkdev_complete(struct request *rq)
{
	ktest_blkdev_end(rq);
}

static void ktest_blkdev_work_fn(struct work_struct *work)
{
	struct ktest_blkdev_cmd *cmd;

	cmd = container_of(work, struct ktest_blkdev_cmd, work);
	ktest_blkdev_end(blk_mq_rq_from_pdu(cmd));
}

static void ktest_blkdev_bh_work_fn(struct work_struct *work)
{
	struct ktest_blkdev_cmd *cmd;

	cmd = container_of(work, struct ktest_blkdev_cmd, bh_work);
	blk_mq_complete_request(blk_mq_rq_from_pdu(cmd));
}

static enum hrtimer_restart ktest_blkdev_timer_fn(struct hrtimer *timer)
{
	struct ktest_blkdev_cmd *cmd;

	cmd = container_of(timer, struct ktest_blkdev_cmd, timer);
	switch (cmd->how) {
	case KTEST_BLK_SOFTIRQ:
		queue_work(system_bh_wq, &cmd->bh_work);
		break;
	case KTEST_BLK_WORKQUEUE:
		queue_work(system_unbound_wq, &cmd->work);
		break;
	default:
		ktest_blkdev_end(blk_mq_rq_from_pdu(cmd));
		break;
	}
	return HRTIMER_NORESTART;
}

/* A synchronous device that takes its time: the caller cannot sleep. */
static void ktest_blkdev_spin(u64 delay_ns)
{
	u64 until = ktime_get_ns() + delay_ns;

	while (ktime_get_ns() < until)
		cpu_relax();
}

/* Ends a started request now or arranges for it to be ended. */
static void ktest_blkdev_finish(struct ktest_blkdev_cmd *cmd,
				enum ktest_blk_completion how, u64 delay_ns)
{
	cmd->how = how;
	if (how == KTEST_BLK_INLINE) {
		ktest_blkdev_spin(delay_ns);
		ktest_blkdev_end(blk_mq_rq_from_pdu(cmd));
		return;
	}
	hrtimer_start(&cmd->timer, ns_to_ktime(delay_ns), KTEST_BLK_TIMER_MODE);
}

static blk_status_t ktest_blkdev_transfer(struct ktest_blkdev *dev,
					  struct request *rq)
{
	bool write = op_is_write(req_op(rq));
	size_t pos = blk_rq_pos(rq) << SECTOR_SHIFT;
	struct req_iterator iter;
	struct bio_vec bv;

	/* bio_check_eod() already refuses this; the copy must never overrun. */
	if (blk_rq_pos(rq) + blk_rq_sectors(rq) > dev->nr_sectors)
		return BLK_STS_IOERR;

	rq_for_each_segment(bv, rq, iter) {
		void *buf = bvec_kmap_local(&bv);

		if (write) {
			memcpy(dev->data + pos, buf, bv.bv_len);
		} else {
			memcpy(buf, dev->data + pos, bv.bv_len);
			flush_dcache_page(bv.bv_page);
		}
		kunmap_local(buf);
		pos += bv.bv_len;
	}
	return BLK_STS_OK;
}

/* A write held with its data back reaches the backing store now. */
static void ktest_blkdev_land(struct ktest_blkdev_cmd *cmd)
{
	if (!cmd->unlanded)
		return;
	cmd->unlanded = false;
	cmd->status = ktest_blkdev_transfer(cmd->dev, blk_mq_rq_from_pdu(cmd));
}

static blk_status_t ktest_blkdev_queue_rq(struct blk_mq_hw_ctx *hctx,
					  const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct ktest_blkdev_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct ktest_blkdev *dev = cmd->dev;
	enum ktest_blk_completion how;
	unsigned long flags;
	bool fail = false;
	u64 delay_ns;

	blk_mq_start_request(rq);

	spin_lock_irqsave(&dev->lock, flags);
	dev->inflight++;
	if (req_op(rq) == REQ_OP_READ)
		dev->stats.reads++;
	else if (req_op(rq) == REQ_OP_WRITE)
		dev->stats.writes++;
	if (dev->fail_next) {
		dev->fail_next--;
		fail = true;
	}
	cmd->unlanded = dev->holding && dev->land_at_release && !fail &&
			req_op(rq) == REQ_OP_WRITE;
	spin_unlock_irqrestore(&dev->lock, flags);

	/* Only reads and writes get here: the queue advertises nothing else. */
	if (fail)
		cmd->status = BLK_STS_IOERR;
	else if (req_op(rq) != REQ_OP_READ && req_op(rq) != REQ_OP_WRITE)
		cmd->status = BLK_STS_NOTSUPP;
	else if (!cmd->unlanded)
		cmd->status = ktest_blkdev_transfer(dev, rq);

	/* Decide under the lock, so that a concurrent release sees us. */
	spin_lock_irqsave(&dev->lock, flags);
	how = dev->how;
	delay_ns = dev->delay_ns;
	if (dev->holding) {
		list_add_tail(&cmd->held_node, &dev->held);
		dev->nr_held++;
		spin_unlock_irqrestore(&dev->lock, flags);
		return BLK_STS_OK;
	}
	spin_unlock_irqrestore(&dev->lock, flags);

	/* Released between the two looks: land it now. */
	ktest_blkdev_land(cmd);
	ktest_blkdev_finish(cmd, how, delay_ns);
	return BLK_STS_OK;
}

/* Held requests may wait for much longer than the default 30 s timeout. */
static enum blk_eh_timer_return ktest_blkdev_timeout(struct request *rq)
{
	return BLK_EH_RESET_TIMER;
}

static int ktest_blkdev_init_request(struct blk_mq_tag_set *set,
				     struct request *rq,
				     unsigned int hctx_idx,
				     unsigned int numa_node)
{
	struct ktest_blkdev_cmd *cmd = blk_mq_rq_to_pdu(rq);

	cmd->dev = set->driver_data;
	INIT_LIST_HEAD(&cmd->held_node);
	hrtimer_init(&cmd->timer, CLOCK_MONOTONIC, KTEST_BLK_TIMER_MODE);
	cmd->timer.function = ktest_blkdev_timer_fn;
	/* Two call sites: BH and ordinary work need separate lockdep classes. */
	INIT_WORK(&cmd->work, ktest_blkdev_work_fn);
	INIT_WORK(&cmd->bh_work, ktest_blkdev_bh_work_fn);
	return 0;
}

/* The last completion may still be on its way out of the timer or work. */
static void ktest_blkdev_exit_request(struct blk_mq_tag_set *set,
				      struct request *rq,
				      unsigned int hctx_idx)
{
	struct ktest_blkdev_cmd *cmd = blk_mq_rq_to_pdu(rq);

	hrtimer_cancel(&cmd->timer);
	cancel_work_sync(&cmd->work);
	cancel_work_sync(&cmd->bh_work);
}

static const struct blk_mq_ops ktest_blkdev_mq_ops = {
	.queue_rq = ktest_blkdev_queue_rq,
	.complete = ktest_blkdev_complete,
	.timeout = ktest_blkdev_timeout,
	.init_request = ktest_blkdev_init_request,
	.exit_request = ktest_blkdev_exit_request,
};

static const struct block_device_operations ktest_blkdev_fops = {
	.owner = THIS_MODULE,
};

static bool ktest_blkdev_idle(struct ktest_blkdev *dev)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&dev->lock, flags);
	idle = !dev->inflight;
	spin_unlock_irqrestore(&dev->lock, flags);
	return idle;
}

static void ktest_blkdev_teardown(void *data)
{
	struct ktest_blkdev *dev = data;
	struct request_queue *q = dev->disk->queue;

	/* A held request would keep the freeze below waiting forever. */
	ktest_blkdev_release(dev);
	/* Also waits for requests blk-mq has not passed to ->queue_rq() yet. */
	blk_mq_freeze_queue(q);
	blk_mq_unfreeze_queue(q);
	/* Each completion path still touches @dev after ending its request. */
	spin_lock_irq(&dev->lock);
	wait_event_lock_irq(dev->idle_wq, !dev->inflight, dev->lock);
	spin_unlock_irq(&dev->lock);

	/* Never added, so put_disk() tears the queue down as well. */
	put_disk(dev->disk);
	blk_mq_free_tag_set(&dev->set);
	vfree(dev->data);
	kfree(dev);
}

/**
 * ktest_blkdev_create() - Create a zero-filled RAM block device.
 * @test: the case; the device is torn down when it ends.
 * @nr_sectors: size in 512-byte sectors, a multiple of the block size.
 * @logical_block_size: a power of two from 512 to PAGE_SIZE.
 *
 * The device completes inline until ktest_blkdev_set_completion() says
 * otherwise.  One bio becomes one request unless it exceeds the queue
 * limits: merging is off, so that tests can count requests.
 *
 * At the end of the case held requests are released and every request
 * is waited for before the device goes away, so end_io handlers of bios
 * still pending then must not use memory the case has already freed.
 *
 * Context: process context, may sleep.
 * Return: the device, or an ERR_PTR() on invalid sizes or failure.
 */
struct ktest_blkdev *ktest_blkdev_create(struct kunit *test,
					 sector_t nr_sectors,
					 unsigned int logical_block_size)
{
	struct queue_limits lim = {
		.logical_block_size = logical_block_size,
		.physical_block_size = logical_block_size,
		.max_hw_sectors = 2048,
		.max_segments = 512,
		.dma_alignment = SECTOR_SIZE - 1,
	};
	struct ktest_blkdev *dev;
	struct gendisk *disk;
	int ret;

	if (blk_validate_block_size(logical_block_size) || !nr_sectors ||
	    nr_sectors > (SIZE_MAX >> SECTOR_SHIFT) ||
	    nr_sectors & ((logical_block_size >> SECTOR_SHIFT) - 1))
		return ERR_PTR(-EINVAL);

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&dev->lock);
	INIT_LIST_HEAD(&dev->held);
	init_waitqueue_head(&dev->idle_wq);
	dev->how = KTEST_BLK_INLINE;
	dev->nr_sectors = nr_sectors;
	dev->data = vzalloc(nr_sectors << SECTOR_SHIFT);
	if (!dev->data) {
		ret = -ENOMEM;
		goto free_dev;
	}

	dev->set.ops = &ktest_blkdev_mq_ops;
	dev->set.nr_hw_queues = 1;
	dev->set.queue_depth = KTEST_BLKDEV_QUEUE_DEPTH;
	dev->set.numa_node = NUMA_NO_NODE;
	dev->set.cmd_size = sizeof(struct ktest_blkdev_cmd);
	dev->set.driver_data = dev;
	ret = blk_mq_alloc_tag_set(&dev->set);
	if (ret)
		goto free_data;

	disk = blk_mq_alloc_disk(&dev->set, &lim, dev);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto free_tag_set;
	}
	blk_queue_flag_set(QUEUE_FLAG_NOMERGES, disk->queue);
	disk->fops = &ktest_blkdev_fops;
	snprintf(disk->disk_name, DISK_NAME_LEN, "ktest_blk%d",
		 atomic_inc_return(&ktest_blkdev_ids));
	set_capacity(disk, nr_sectors);
	dev->disk = disk;

	ret = kunit_add_action_or_reset(test, ktest_blkdev_teardown, dev);
	if (ret)
		return ERR_PTR(ret);
	return dev;

free_tag_set:
	blk_mq_free_tag_set(&dev->set);
free_data:
	vfree(dev->data);
free_dev:
	kfree(dev);
	return ERR_PTR(ret);
}

/**
 * ktest_blkdev_destroy() - Tear a device down now rather than at case end.
 * @test: the case that created @dev.
 * @dev: the device; gone when this returns.
 *
 * Held requests are released first and every request is waited for, so
 * all bios submitted to @dev have been ended when this returns.
 *
 * Context: process context, may sleep.
 */
void ktest_blkdev_destroy(struct kunit *test, struct ktest_blkdev *dev)
{
	kunit_release_action(test, ktest_blkdev_teardown, dev);
}

/**
 * ktest_blkdev_bdev() - The whole-disk block device, for bio_alloc().
 * @dev: the device.
 *
 * Return: the block device; it is not opened and needs no release.
 */
struct block_device *ktest_blkdev_bdev(struct ktest_blkdev *dev)
{
	return dev->disk->part0;
}

/**
 * ktest_blkdev_data() - The backing store, for checking or preparing data.
 * @dev: the device.
 * @sector: a 512-byte sector of the device.
 *
 * Return: a pointer to @sector's bytes, valid as long as @dev, or NULL if
 * @sector is beyond the end of the device.
 */
void *ktest_blkdev_data(struct ktest_blkdev *dev, sector_t sector)
{
	if (sector >= dev->nr_sectors)
		return NULL;
	return dev->data + (sector << SECTOR_SHIFT);
}

/**
 * ktest_blkdev_set_completion() - Choose how requests are ended from now on.
 * @dev: the device.
 * @how: the context that ends them.
 * @delay_ns: how long after ->queue_rq() (or ktest_blkdev_release()) the
 *	      request is ended; %KTEST_BLK_INLINE spins that long in ->queue_rq().
 *
 * Requests already started keep the mode they started with.
 */
void ktest_blkdev_set_completion(struct ktest_blkdev *dev,
				 enum ktest_blk_completion how, u64 delay_ns)
{
	unsigned long flags;

	if (WARN_ON_ONCE(how >= KTEST_BLK_NR_COMPLETIONS))
		return;
	spin_lock_irqsave(&dev->lock, flags);
	dev->how = how;
	dev->delay_ns = delay_ns;
	spin_unlock_irqrestore(&dev->lock, flags);
}

/**
 * ktest_blkdev_hold() - Accept requests from now on but do not end them.
 * @dev: the device.
 *
 * Held requests have their data copied already (but see
 * ktest_blkdev_hold_unlanded()).  At most
 * %KTEST_BLKDEV_QUEUE_DEPTH requests can be held; submitters of more
 * wait for a tag.
 */
void ktest_blkdev_hold(struct ktest_blkdev *dev)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->lock, flags);
	dev->holding = true;
	spin_unlock_irqrestore(&dev->lock, flags);
}

/**
 * ktest_blkdev_release() - Stop holding and end every held request.
 * @dev: the device.
 *
 * The held requests are ended in the current completion mode, in the order
 * they were started; with %KTEST_BLK_INLINE that is in the caller.
 *
 * Return: how many requests were held.
 */
unsigned int ktest_blkdev_release(struct ktest_blkdev *dev)
{
	struct ktest_blkdev_cmd *cmd, *next;
	enum ktest_blk_completion how;
	unsigned long flags;
	unsigned int nr;
	LIST_HEAD(held);
	u64 delay_ns;

	spin_lock_irqsave(&dev->lock, flags);
	dev->holding = false;
	dev->land_at_release = false;
	list_splice_init(&dev->held, &held);
	nr = dev->nr_held;
	dev->nr_held = 0;
	how = dev->how;
	delay_ns = dev->delay_ns;
	spin_unlock_irqrestore(&dev->lock, flags);

	list_for_each_entry_safe(cmd, next, &held, held_node) {
		/* The request may be reused as soon as it is ended. */
		list_del_init(&cmd->held_node);
		ktest_blkdev_land(cmd);
		ktest_blkdev_finish(cmd, how, delay_ns);
	}
	return nr;
}

/**
 * ktest_blkdev_hold_unlanded() - Hold requests, and writes' data with them.
 * @dev: the device.
 *
 * As ktest_blkdev_hold(), but a held write reaches the backing store only
 * when it is released: held writes land in the order the case releases
 * them, as on a device that reorders the writes in its queue.
 */
void ktest_blkdev_hold_unlanded(struct ktest_blkdev *dev)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->lock, flags);
	dev->holding = true;
	dev->land_at_release = true;
	spin_unlock_irqrestore(&dev->lock, flags);
}

/**
 * ktest_blkdev_release_nth() - Land and end one held request, keep holding.
 * @dev: the device.
 * @n: which, counted from 0 in the order the held requests were started.
 *
 * Return: 0, or -ENOENT if fewer than @n + 1 requests are held.
 */
int ktest_blkdev_release_nth(struct ktest_blkdev *dev, unsigned int n)
{
	struct ktest_blkdev_cmd *cmd, *found = NULL;
	enum ktest_blk_completion how;
	unsigned long flags;
	u64 delay_ns;

	spin_lock_irqsave(&dev->lock, flags);
	list_for_each_entry(cmd, &dev->held, held_node) {
		if (!n--) {
			found = cmd;
			break;
		}
	}
	if (found) {
		list_del_init(&found->held_node);
		dev->nr_held--;
	}
	how = dev->how;
	delay_ns = dev->delay_ns;
	spin_unlock_irqrestore(&dev->lock, flags);

	if (!found)
		return -ENOENT;
	ktest_blkdev_land(found);
	ktest_blkdev_finish(found, how, delay_ns);
	return 0;
}

/**
 * ktest_blkdev_held() - How many requests are held right now.
 * @dev: the device.
 *
 * Return: the number of held requests.
 */
unsigned int ktest_blkdev_held(struct ktest_blkdev *dev)
{
	unsigned long flags;
	unsigned int nr;

	spin_lock_irqsave(&dev->lock, flags);
	nr = dev->nr_held;
	spin_unlock_irqrestore(&dev->lock, flags);
	return nr;
}

/**
 * ktest_blkdev_fail_next() - Fail the next requests started.
 * @dev: the device.
 * @nr: how many; replaces any count not used up yet.
 *
 * They end with %BLK_STS_IOERR, in the chosen context, without any data
 * being transferred.
 */
void ktest_blkdev_fail_next(struct ktest_blkdev *dev, unsigned int nr)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->lock, flags);
	dev->fail_next = nr;
	spin_unlock_irqrestore(&dev->lock, flags);
}

/**
 * ktest_blkdev_stats() - What the device has seen so far.
 * @dev: the device.
 * @st: receives a consistent snapshot.
 */
void ktest_blkdev_stats(struct ktest_blkdev *dev,
			struct ktest_blkdev_stats *st)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->lock, flags);
	*st = dev->stats;
	spin_unlock_irqrestore(&dev->lock, flags);
}

/**
 * ktest_blkdev_wait_idle() - Wait until every started request has ended.
 * @dev: the device.
 * @timeout_ms: how long to wait at most.
 *
 * Requests blk-mq has not yet passed to ->queue_rq() are not waited for.
 * Held requests are, so with requests held this only times out.
 *
 * Context: process context, may sleep.
 * Return: 0 once idle, -ETIMEDOUT otherwise.
 */
int ktest_blkdev_wait_idle(struct ktest_blkdev *dev, unsigned int timeout_ms)
{
	if (!wait_event_timeout(dev->idle_wq, ktest_blkdev_idle(dev),
				msecs_to_jiffies(timeout_ms)))
		return -ETIMEDOUT;
	return 0;
}
