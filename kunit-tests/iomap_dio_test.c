// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "iomap_dio": the contract between iomap direct I/O and a
 * filesystem that holds i_rwsem until the I/O completes.
 *
 * A minimal filesystem (ktest_diofs) maps its file 1:1 onto a RAM block
 * device (ktest_blkdev) whose completion context each case chooses, and
 * calls iomap_dio_rw() with a ->transfer and an ->end_io that pass i_rwsem
 * to the I/O and release it.  Every case checks, on the path it drives,
 * that i_rwsem is held shared while the I/O is in flight and by nobody in
 * the submitter's lockdep view, that ->end_io runs exactly once in the
 * context expected and holds the lock there, that ki_complete() runs once
 * with the right result, that the lock is free afterwards and that the
 * data arrived.  The lockdep guard fails any case that made the kernel
 * print a report.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/iomap.h>
#include <linux/lockdep.h>
#include <linux/pagemap.h>
#include <linux/rwsem.h>
#include <linux/string.h>
#include <linux/writeback.h>

#include "ktest_blkdev.h"
#include "ktest_context.h"
#include "ktest_diofs.h"
#include "ktest_guard.h"
#include "ktest_rwsem.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define WAIT_MS		5000
/* Long enough for a blocked thread to have run into the lock. */
#define SETTLE_MS	50
#define BLOCK		KTEST_DIOFS_BLOCK_SIZE
#define SECTORS_PER_BLOCK	(BLOCK >> SECTOR_SHIFT)

struct dio_fixture {
	struct ktest_blkdev *dev;
	struct ktest_diofs_file *f;
	struct rw_semaphore *lock;
};

static int iomap_dio_init(struct kunit *test)
{
	struct dio_fixture *fx;
	int ret = ktest_guard_init(test);

	if (ret)
		return ret;
	fx = kunit_kzalloc(test, sizeof(*fx), GFP_KERNEL);
	if (!fx)
		return -ENOMEM;
	fx->dev = ktest_blkdev_create(test, KTEST_DIOFS_SIZE >> SECTOR_SHIFT,
				      SECTOR_SIZE);
	if (IS_ERR(fx->dev))
		return PTR_ERR(fx->dev);
	fx->f = ktest_diofs_create(test, fx->dev);
	if (!fx->f)
		return -ENOMEM;
	fx->lock = &fx->f->inode->i_rwsem;
	test->priv = fx;
	return 0;
}

static int iomap_dio_suite_init(struct kunit_suite *suite)
{
	return ktest_diofs_init();
}

static void iomap_dio_suite_exit(struct kunit_suite *suite)
{
	ktest_diofs_exit();
}

/* ------------------------------------------------------------ helpers */

static u8 *disk_block(struct dio_fixture *fx, unsigned int block)
{
	return ktest_blkdev_data(fx->dev, (sector_t)block * SECTORS_PER_BLOCK);
}

/* Blocks that already hold @byte on disk, mapped as written. */
static void prefill(struct dio_fixture *fx, unsigned int block,
		    unsigned int nr, u8 byte)
{
	memset(disk_block(fx, block), byte, nr * BLOCK);
	ktest_diofs_set_blocks(fx->f, block, nr, KTEST_DIOFS_WRITTEN);
}

static bool disk_is(struct dio_fixture *fx, unsigned int block, size_t off,
		    size_t len, u8 byte)
{
	return !memchr_inv(disk_block(fx, block) + off, byte, len);
}

static struct ktest_rwsem_state lock_state(struct dio_fixture *fx)
{
	struct ktest_rwsem_state s;

	ktest_rwsem_state(fx->lock, &s);
	return s;
}

/*
 * In flight: i_rwsem held shared by @readers I/Os, owned by no task and not
 * spinnable, and not held by the submitter as far as lockdep knows.
 */
static void expect_transferred(struct kunit *test, struct dio_fixture *fx,
			       long readers)
{
	struct ktest_rwsem_state s = lock_state(fx);

	KUNIT_EXPECT_EQ(test, s.readers, readers);
	KUNIT_EXPECT_FALSE(test, s.writer_locked);
	KUNIT_EXPECT_PTR_EQ(test, s.owner, NULL);
	if (ktest_rwsem_has_owner_word()) {
		KUNIT_EXPECT_TRUE(test, s.reader_owned);
		KUNIT_EXPECT_TRUE(test, s.nonspinnable);
	}
	if (IS_ENABLED(CONFIG_LOCKDEP))
		KUNIT_EXPECT_FALSE(test, lockdep_is_held(fx->lock));
}

static void expect_lock_free(struct kunit *test, struct dio_fixture *fx)
{
	struct ktest_rwsem_state s = lock_state(fx);

	KUNIT_EXPECT_EQ(test, s.readers, 0);
	KUNIT_EXPECT_FALSE(test, s.writer_locked);
	KUNIT_EXPECT_FALSE(test, s.waiters);
	if (IS_ENABLED(CONFIG_LOCKDEP))
		KUNIT_EXPECT_FALSE(test, lockdep_is_held(fx->lock));
}

/*
 * ->end_io ran once, in @context, holding i_rwsem shared as lockdep saw,
 * and ->release once.
 */
static void expect_end_io_once(struct kunit *test, struct ktest_dio_req *req,
			       ssize_t size, int error,
			       enum ktest_context context)
{
	struct ktest_diofs_end_io *e = &req->end_io;

	KUNIT_EXPECT_EQ(test, e->calls, 1);
	KUNIT_EXPECT_EQ(test, req->releases, 1);
	KUNIT_EXPECT_EQ(test, e->size, size);
	KUNIT_EXPECT_EQ(test, e->error, error);
	KUNIT_EXPECT_STREQ(test, ktest_context_name(e->context),
			   ktest_context_name(context));
	KUNIT_EXPECT_GE(test, e->lock.readers, 1);
	KUNIT_EXPECT_FALSE(test, e->lock.writer_locked);
	if (IS_ENABLED(CONFIG_LOCKDEP))
		KUNIT_EXPECT_TRUE(test, e->lockdep_held);
}

/* ki_complete() ran once with @result. */
static void expect_completed(struct kunit *test, struct ktest_dio_req *req,
			     long result)
{
	KUNIT_ASSERT_EQ(test, ktest_dio_req_wait(req, WAIT_MS), 0);
	KUNIT_EXPECT_EQ(test, req->completions, 1);
	KUNIT_EXPECT_EQ(test, req->result, result);
}

static struct ktest_dio_req *new_req(struct kunit *test, loff_t pos,
				     size_t len, bool write, bool async,
				     u8 fill)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req;

	req = ktest_dio_req_alloc(test, fx->f, pos, len, write, async, fill);
	KUNIT_ASSERT_NOT_NULL(test, req);
	return req;
}

static ssize_t submit(struct ktest_dio_req *req)
{
	return req->write ? ktest_diofs_write(req) : ktest_diofs_read(req);
}

static const enum ktest_blk_completion all_modes[] = {
	KTEST_BLK_INLINE, KTEST_BLK_SOFTIRQ, KTEST_BLK_HARDIRQ,
	KTEST_BLK_WORKQUEUE,
};

static void mode_to_desc(const enum ktest_blk_completion *how, char *desc)
{
	strscpy(desc, ktest_blk_completion_name(*how), KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mode, all_modes, mode_to_desc);

/* -------------------------------------------------------------- cases */

/*
 * An async read keeps i_rwsem shared until its bios end, and ->end_io and
 * ->release take it over and drop it from bio end_io context: task,
 * softirq, hardirq or workqueue.
 */
static void async_read_holds_lock_until_completion(struct kunit *test)
{
	const enum ktest_blk_completion *how = test->param_value;
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 0, 2 * BLOCK, false, true,
					    0xee);

	prefill(fx, 0, 2, 0x5a);
	ktest_blkdev_set_completion(fx->dev, *how, 0);
	ktest_blkdev_hold(fx->dev);

	KUNIT_ASSERT_EQ(test, submit(req), -EIOCBQUEUED);
	expect_transferred(test, fx, 1);
	KUNIT_EXPECT_EQ(test, req->end_io.calls, 0);
	KUNIT_EXPECT_EQ(test, req->completions, 0);

	KUNIT_EXPECT_GE(test, ktest_blkdev_release(fx->dev), 1);
	expect_completed(test, req, 2 * BLOCK);
	expect_end_io_once(test, req, 2 * BLOCK, 0, ktest_blk_context_of(*how));
	expect_lock_free(test, fx);
	KUNIT_EXPECT_TRUE(test, ktest_dio_req_data_is(req, 0, 2 * BLOCK, 0x5a));
}

/*
 * An async write keeps i_rwsem shared until its completion work is done,
 * which iomap runs on s_dio_done_wq whatever context the device ends in.
 */
static void async_write_holds_lock_until_completion(struct kunit *test)
{
	const enum ktest_blk_completion *how = test->param_value;
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 2 * BLOCK, 2 * BLOCK, true,
					    true, 0xa5);

	prefill(fx, 2, 2, 0);
	ktest_blkdev_set_completion(fx->dev, *how, 0);
	ktest_blkdev_hold(fx->dev);

	KUNIT_ASSERT_EQ(test, submit(req), -EIOCBQUEUED);
	expect_transferred(test, fx, 1);
	KUNIT_EXPECT_EQ(test, req->end_io.calls, 0);

	KUNIT_EXPECT_GE(test, ktest_blkdev_release(fx->dev), 1);
	expect_completed(test, req, 2 * BLOCK);
	expect_end_io_once(test, req, 2 * BLOCK, 0, KTEST_CTX_WORKQUEUE);
	expect_lock_free(test, fx);
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 2, 0, 2 * BLOCK, 0xa5));
}

/* Synchronous I/O: ->end_io runs in the submitter, which then holds nothing. */
static void sync_write_and_read_release_in_submitter(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *w = new_req(test, BLOCK, BLOCK, true, false, 0x3c);
	struct ktest_dio_req *r = new_req(test, BLOCK, BLOCK, false, false, 0);

	prefill(fx, 1, 1, 0);
	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_HARDIRQ, 0);

	KUNIT_EXPECT_EQ(test, submit(w), BLOCK);
	expect_end_io_once(test, w, BLOCK, 0, KTEST_CTX_TASK);
	KUNIT_EXPECT_PTR_EQ(test, w->end_io.task, current);
	expect_lock_free(test, fx);

	KUNIT_EXPECT_EQ(test, submit(r), BLOCK);
	expect_end_io_once(test, r, BLOCK, 0, KTEST_CTX_TASK);
	KUNIT_EXPECT_PTR_EQ(test, r->end_io.task, current);
	expect_lock_free(test, fx);
	KUNIT_EXPECT_TRUE(test, ktest_dio_req_data_is(r, 0, BLOCK, 0x3c));
	KUNIT_EXPECT_EQ(test, w->completions + r->completions, 0);
}

/* A sub-block read: 512 bytes from the middle of a block, async. */
static void async_subblock_read_returns_its_bytes(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 8 * BLOCK + 1024, 512, false,
					    true, 0xee);

	prefill(fx, 8, 1, 0);
	memset(disk_block(fx, 8) + 1024, 0x4b, 512);
	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_HARDIRQ, 0);
	ktest_blkdev_hold(fx->dev);

	KUNIT_ASSERT_EQ(test, submit(req), -EIOCBQUEUED);
	expect_transferred(test, fx, 1);
	ktest_blkdev_release(fx->dev);
	expect_completed(test, req, 512);
	expect_end_io_once(test, req, 512, 0, ktest_blk_irq_context());
	expect_lock_free(test, fx);
	KUNIT_EXPECT_TRUE(test, ktest_dio_req_data_is(req, 0, 512, 0x4b));
}

/*
 * A synchronous sub-block write into a hole: exclusive, downgraded at
 * transfer, completed in the submitter, the rest of the block zeroed.
 */
static void sync_subblock_write_into_hole_ends_in_submitter(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 9 * BLOCK + 512, 512, true,
					    false, 0x5c);

	memset(disk_block(fx, 9), 0xff, BLOCK);	/* stale data in the hole */
	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_SOFTIRQ, 0);

	KUNIT_EXPECT_EQ(test, submit(req), 512);
	KUNIT_EXPECT_EQ(test, fx->f->exclusive_writes, 1);
	KUNIT_EXPECT_EQ(test, req->end_io.calls, 2);	/* refused shared try */
	KUNIT_EXPECT_PTR_EQ(test, req->end_io.task, current);
	expect_lock_free(test, fx);
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 9, 0, 512, 0));
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 9, 512, 512, 0x5c));
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 9, 1024, BLOCK - 1024, 0));
}

/*
 * An async request whose bios all end during submission is completed by the
 * submitter itself: iomap_dio_rw() returns the result, not -EIOCBQUEUED,
 * ki_complete() is not called, and the lock is released exactly once.
 */
static void async_done_in_submission_completes_in_submitter(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 0, BLOCK, false, true, 0);

	prefill(fx, 0, 1, 0x77);
	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_INLINE, 0);

	KUNIT_EXPECT_EQ(test, submit(req), BLOCK);
	expect_end_io_once(test, req, BLOCK, 0, KTEST_CTX_TASK);
	KUNIT_EXPECT_PTR_EQ(test, req->end_io.task, current);
	KUNIT_EXPECT_EQ(test, req->completions, 0);
	expect_lock_free(test, fx);
	KUNIT_EXPECT_TRUE(test, ktest_dio_req_data_is(req, 0, BLOCK, 0x77));
}

/* A device error reaches ki_complete() as -EIO and the lock is released. */
static void device_error_reports_eio_and_releases_lock(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *w = new_req(test, 0, BLOCK, true, true, 0x11);
	struct ktest_dio_req *r = new_req(test, 0, BLOCK, false, true, 0xee);

	prefill(fx, 0, 1, 0x99);
	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_HARDIRQ, 0);

	ktest_blkdev_fail_next(fx->dev, 1);
	ktest_blkdev_hold(fx->dev);
	KUNIT_ASSERT_EQ(test, submit(w), -EIOCBQUEUED);
	expect_transferred(test, fx, 1);
	ktest_blkdev_release(fx->dev);
	expect_completed(test, w, -EIO);
	/*
	 * ->end_io is told what was issued, and the error.  Error completions
	 * always run in task context, on s_dio_done_wq.
	 */
	expect_end_io_once(test, w, BLOCK, -EIO, KTEST_CTX_WORKQUEUE);
	expect_lock_free(test, fx);
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 0, 0, BLOCK, 0x99));

	ktest_blkdev_fail_next(fx->dev, 1);
	ktest_blkdev_hold(fx->dev);
	KUNIT_ASSERT_EQ(test, submit(r), -EIOCBQUEUED);
	ktest_blkdev_release(fx->dev);
	expect_completed(test, r, -EIO);
	expect_end_io_once(test, r, BLOCK, -EIO, KTEST_CTX_WORKQUEUE);
	expect_lock_free(test, fx);
}

/*
 * ->iomap_begin fails before any bio is built: the error is returned at
 * once and ->release still releases the lock, once, in the submitter.
 */
static void mapping_error_before_any_bio_releases_lock_once(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 0, BLOCK, true, true, 0x11);
	struct ktest_blkdev_stats st;

	prefill(fx, 0, 1, 0);
	ktest_diofs_fail_begin(fx->f, 0, -ENOSPC);

	KUNIT_EXPECT_EQ(test, submit(req), -ENOSPC);
	expect_end_io_once(test, req, 0, -ENOSPC, KTEST_CTX_TASK);
	KUNIT_EXPECT_EQ(test, req->completions, 0);
	expect_lock_free(test, fx);
	ktest_blkdev_stats(fx->dev, &st);
	KUNIT_EXPECT_EQ(test, st.writes, 0);
}

/* IOCB_NOWAIT against an exclusive holder: -EAGAIN, nothing taken. */
static void nowait_against_exclusive_holder_returns_eagain(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 0, BLOCK, false, true, 0);

	prefill(fx, 0, 1, 0);
	req->iocb.ki_flags |= IOCB_NOWAIT;

	inode_lock(fx->f->inode);
	KUNIT_EXPECT_EQ(test, submit(req), -EAGAIN);
	inode_unlock(fx->f->inode);

	KUNIT_EXPECT_EQ(test, req->end_io.calls, 0);
	KUNIT_EXPECT_EQ(test, req->completions, 0);
	expect_lock_free(test, fx);
}

/*
 * IOCB_NOWAIT refused by the mapping (allocation would block) after the
 * lock was taken: -EAGAIN, and ->release released the lock once.
 */
static void nowait_refused_by_mapping_releases_lock_once(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 0, BLOCK, true, true, 0x11);

	req->iocb.ki_flags |= IOCB_NOWAIT;	/* block 0 is a hole */

	KUNIT_EXPECT_EQ(test, submit(req), -EAGAIN);
	expect_end_io_once(test, req, 0, -EAGAIN, KTEST_CTX_TASK);
	KUNIT_EXPECT_EQ(test, req->completions, 0);
	expect_lock_free(test, fx);
}

/* Nothing to transfer (a read at EOF): 0, and the lock released once. */
static void read_at_eof_releases_lock_once(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, KTEST_DIOFS_SIZE, BLOCK,
					    false, true, 0);

	KUNIT_EXPECT_EQ(test, submit(req), 0);
	expect_end_io_once(test, req, 0, 0, KTEST_CTX_TASK);
	KUNIT_EXPECT_EQ(test, req->completions, 0);
	expect_lock_free(test, fx);
}

/* An empty request: 0, and the lock released once, before any allocation. */
static void empty_request_releases_lock_once(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 0, 0, true, true, 0);

	KUNIT_EXPECT_EQ(test, submit(req), 0);
	expect_end_io_once(test, req, 0, 0, KTEST_CTX_TASK);
	KUNIT_EXPECT_EQ(test, req->completions, 0);
	expect_lock_free(test, fx);
}

/*
 * IOMAP_DIO_PARTIAL: the mapping of the second block fails with -EFAULT
 * after the first was issued; the first block's worth is returned and the
 * lock is released once, for the whole call.
 */
static void partial_transfer_releases_lock_once(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 0, 2 * BLOCK, false, true,
					    0xee);

	prefill(fx, 0, 2, 0x42);
	ktest_diofs_fail_begin(fx->f, 1, -EFAULT);
	req->dio_flags = IOMAP_DIO_PARTIAL;

	KUNIT_EXPECT_EQ(test, submit(req), BLOCK);
	expect_end_io_once(test, req, BLOCK, 0, KTEST_CTX_TASK);
	KUNIT_EXPECT_EQ(test, req->completions, 0);
	expect_lock_free(test, fx);
	KUNIT_EXPECT_TRUE(test, ktest_dio_req_data_is(req, 0, BLOCK, 0x42));
	KUNIT_EXPECT_TRUE(test, ktest_dio_req_data_is(req, BLOCK, BLOCK, 0xee));
}

/* Runs in a kthread: truncate, noting what it saw once it had the lock. */
struct truncate_probe {
	struct ktest_diofs_file *f;
	struct ktest_dio_req *req;
	unsigned int end_io_calls_seen;
};

static void truncate_fn(void *arg)
{
	struct truncate_probe *p = arg;

	ktest_diofs_truncate(p->f, KTEST_DIOFS_SIZE / 2);
	p->end_io_calls_seen = p->req->end_io.calls;
	ktest_diofs_truncate(p->f, KTEST_DIOFS_SIZE);
}

/*
 * Truncate takes i_rwsem exclusively and so waits for the write in flight,
 * with no inode_dio_wait() anywhere in the filesystem.
 */
static void exclusive_locker_waits_for_io_in_flight(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 3 * BLOCK, BLOCK, true, true,
					    0x21);
	struct truncate_probe probe = { .f = fx->f, .req = req };
	struct ktest_call call;

	prefill(fx, 3, 1, 0);
	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_SOFTIRQ, 0);
	ktest_blkdev_hold(fx->dev);
	KUNIT_ASSERT_EQ(test, submit(req), -EIOCBQUEUED);

	KUNIT_ASSERT_EQ(test, ktest_call_start(&call, KTEST_CTX_TASK,
					       truncate_fn, &probe, 0), 0);
	msleep(SETTLE_MS);
	KUNIT_EXPECT_EQ(test, call.runs, 0);
	KUNIT_EXPECT_FALSE(test, completion_done(&call.done));
	KUNIT_EXPECT_TRUE(test, lock_state(fx).waiters);

	ktest_blkdev_release(fx->dev);
	expect_completed(test, req, BLOCK);
	KUNIT_ASSERT_EQ(test, ktest_call_wait(&call, WAIT_MS), 0);
	KUNIT_EXPECT_EQ(test, probe.end_io_calls_seen, 1);
	expect_end_io_once(test, req, BLOCK, 0, KTEST_CTX_WORKQUEUE);
	expect_lock_free(test, fx);
}

/*
 * A sub-block write into a hole needs zeroing: its shared attempt is refused
 * (->release drops that hold, ->end_io saw -EAGAIN) and it is submitted under the
 * exclusive lock.  It returns -EIOCBQUEUED before its completion with the
 * lock downgraded, and an aligned write can be submitted while it is in
 * flight.
 */
static void subblock_write_returns_before_completion(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *sub = new_req(test, 4 * BLOCK + 1024, 512, true,
					    true, 0x61);
	struct ktest_dio_req *aligned = new_req(test, 5 * BLOCK, BLOCK, true,
						true, 0x62);

	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_HARDIRQ, 0);
	ktest_blkdev_hold(fx->dev);

	KUNIT_ASSERT_EQ(test, submit(sub), -EIOCBQUEUED);
	KUNIT_EXPECT_EQ(test, fx->f->exclusive_writes, 1);
	expect_transferred(test, fx, 1);
	KUNIT_EXPECT_EQ(test, sub->end_io.calls, 1);
	KUNIT_EXPECT_EQ(test, sub->end_io.error, -EAGAIN);

	KUNIT_ASSERT_EQ(test, submit(aligned), -EIOCBQUEUED);
	expect_transferred(test, fx, 2);
	KUNIT_EXPECT_EQ(test, fx->f->exclusive_writes, 1);

	KUNIT_EXPECT_GE(test, ktest_blkdev_release(fx->dev), 2);
	expect_completed(test, sub, 512);
	expect_completed(test, aligned, BLOCK);
	KUNIT_EXPECT_EQ(test, sub->end_io.calls, 2);
	KUNIT_EXPECT_EQ(test, sub->end_io.size, 512);
	KUNIT_EXPECT_EQ(test, sub->end_io.error, 0);
	expect_end_io_once(test, aligned, BLOCK, 0, KTEST_CTX_WORKQUEUE);
	expect_lock_free(test, fx);

	KUNIT_EXPECT_TRUE(test, disk_is(fx, 4, 0, 1024, 0));
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 4, 1024, 512, 0x61));
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 4, 1536, BLOCK - 1536, 0));
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 5, 0, BLOCK, 0x62));
	KUNIT_EXPECT_EQ(test, ktest_diofs_block(fx->f, 4), KTEST_DIOFS_WRITTEN);
}

struct write_probe {
	struct ktest_dio_req *req;
	ssize_t ret;
};

static void write_fn(void *arg)
{
	struct write_probe *p = arg;

	p->ret = ktest_diofs_write(p->req);
}

/*
 * Two sub-block writes into the same hole: the second overlaps the first's
 * blocks while its zeroing is in flight, so it goes straight for the
 * exclusive lock and waits until the first has completed and converted the
 * block, and neither zeroes the other's data.
 */
static void subblock_writes_to_one_block_keep_both(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *a = new_req(test, 6 * BLOCK, 512, true, true, 1);
	struct ktest_dio_req *b = new_req(test, 6 * BLOCK + 2048, 512, true,
					  true, 2);
	struct write_probe probe = { .req = b };
	struct ktest_call call;

	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_HARDIRQ, 0);
	ktest_blkdev_hold(fx->dev);
	KUNIT_ASSERT_EQ(test, submit(a), -EIOCBQUEUED);

	KUNIT_ASSERT_EQ(test, ktest_call_start(&call, KTEST_CTX_TASK,
					       write_fn, &probe, 0), 0);
	msleep(SETTLE_MS);
	KUNIT_EXPECT_FALSE(test, completion_done(&call.done));
	KUNIT_EXPECT_TRUE(test, lock_state(fx).waiters);
	/* b did not even try the shared lock's fast path. */
	KUNIT_EXPECT_EQ(test, b->end_io.calls, 0);

	/* b's own I/O must still be in flight when its submission returns. */
	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_HARDIRQ,
				    100 * NSEC_PER_MSEC);
	ktest_blkdev_release(fx->dev);
	expect_completed(test, a, 512);
	KUNIT_ASSERT_EQ(test, ktest_call_wait(&call, WAIT_MS), 0);
	KUNIT_EXPECT_EQ(test, probe.ret, -EIOCBQUEUED);
	expect_completed(test, b, 512);
	expect_end_io_once(test, b, 512, 0, KTEST_CTX_WORKQUEUE);
	KUNIT_EXPECT_EQ(test, fx->f->exclusive_writes, 2);
	expect_lock_free(test, fx);

	KUNIT_EXPECT_TRUE(test, disk_is(fx, 6, 0, 512, 1));
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 6, 512, 1536, 0));
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 6, 2048, 512, 2));
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 6, 2560, BLOCK - 2560, 0));
}

/* Past the sub-block write's requests: reached the device, or blocked. */
static bool aligned_write_issued_or_waiting(struct dio_fixture *fx,
					    unsigned int sub_requests)
{
	return ktest_blkdev_held(fx->dev) > sub_requests ||
	       lock_state(fx).waiters;
}

static bool wait_for_aligned_write(struct dio_fixture *fx,
				   unsigned int sub_requests)
{
	unsigned int ms;

	for (ms = 0; ms < WAIT_MS; ms++) {
		if (aligned_write_issued_or_waiting(fx, sub_requests))
			return true;
		usleep_range(1000, 2000);
	}
	return aligned_write_issued_or_waiting(fx, sub_requests);
}

/*
 * The 2019 corruption (XFS 2032a8a27b5c, ext4 57a0da28ced8): a sub-block
 * write into a hole zeroes the rest of its block with bios of its own.  An
 * aligned write of that block issued once the sub-block write has returned
 * must not land before that zeroing, or the zeroes replace its data.  The
 * device lands writes in the order the case picks, the worst one: the
 * aligned write's first, if it gets to the device while the zeroing is
 * held.  The block must read back as one of the two serial orders.
 */
static void aligned_write_never_lands_under_subblock_zeroing(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *sub = new_req(test, 8 * BLOCK + 1024, 512, true,
					    true, 0x71);
	struct ktest_dio_req *aligned = new_req(test, 8 * BLOCK, BLOCK, true,
						true, 0x72);
	struct write_probe probe = { .req = aligned };
	unsigned int sub_requests;
	struct ktest_call call;
	bool sub_first, aligned_first;

	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_HARDIRQ, 0);
	ktest_blkdev_hold_unlanded(fx->dev);
	KUNIT_ASSERT_EQ(test, submit(sub), -EIOCBQUEUED);
	sub_requests = ktest_blkdev_held(fx->dev);
	KUNIT_ASSERT_GE(test, sub_requests, 1);

	KUNIT_ASSERT_EQ(test, ktest_call_start(&call, KTEST_CTX_TASK,
					       write_fn, &probe, 0), 0);
	/* The aligned write either reaches the device or waits for i_rwsem. */
	KUNIT_ASSERT_TRUE(test, wait_for_aligned_write(fx, sub_requests));
	if (ktest_blkdev_held(fx->dev) > sub_requests)
		KUNIT_EXPECT_EQ(test,
				ktest_blkdev_release_nth(fx->dev, sub_requests),
				0);
	/* An aligned write that waited must still be async once submitted. */
	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_HARDIRQ,
				    20 * NSEC_PER_MSEC);
	ktest_blkdev_release(fx->dev);

	expect_completed(test, sub, 512);
	KUNIT_ASSERT_EQ(test, ktest_call_wait(&call, WAIT_MS), 0);
	KUNIT_EXPECT_EQ(test, probe.ret, -EIOCBQUEUED);
	expect_completed(test, aligned, BLOCK);
	expect_lock_free(test, fx);

	sub_first = disk_is(fx, 8, 0, BLOCK, 0x72);
	aligned_first = disk_is(fx, 8, 0, 1024, 0x72) &&
			disk_is(fx, 8, 1024, 512, 0x71) &&
			disk_is(fx, 8, 1536, BLOCK - 1536, 0x72);
	KUNIT_EXPECT_TRUE_MSG(test, sub_first || aligned_first,
			      "block 8 matches no serial order: bytes 0, 1024, 2048 are %#x %#x %#x",
			      disk_block(fx, 8)[0], disk_block(fx, 8)[1024],
			      disk_block(fx, 8)[2048]);
}

/*
 * A sub-block write over a written block that ends exactly at an unaligned
 * EOF zeroes the rest of the block, past EOF: IOMAP_DIO_OVERWRITE_ONLY must
 * refuse it, so that it is submitted exclusive and recorded like any other
 * zeroing write.
 */
static void subblock_write_ending_at_eof_is_not_an_overwrite(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 9 * BLOCK + 1024, 512, true,
					    true, 0x4e);

	prefill(fx, 9, 1, 0xaa);
	ktest_diofs_truncate(fx->f, 9 * BLOCK + 1536);
	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_HARDIRQ, 0);
	ktest_blkdev_hold(fx->dev);

	KUNIT_ASSERT_EQ(test, submit(req), -EIOCBQUEUED);
	KUNIT_EXPECT_EQ(test, fx->f->exclusive_writes, 1);
	KUNIT_EXPECT_TRUE(test, iomap_dio_zeroing_overlaps(&fx->f->zeroing,
							   9 * BLOCK, BLOCK));
	ktest_blkdev_release(fx->dev);
	expect_completed(test, req, 512);
	expect_lock_free(test, fx);
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 9, 0, 1024, 0xaa));
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 9, 1024, 512, 0x4e));
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 9, 1536, BLOCK - 1536, 0));
}

struct buffered_probe {
	struct ktest_diofs_file *f;
	unsigned int dirtied;		/* pages dirtied under i_rwsem */
	unsigned int lock_busy;		/* i_rwsem was not free */
};

/*
 * What a buffered write that gets i_rwsem the moment the direct write's
 * completion lets go of it does: dirty the page cache over the range.
 */
static void buffered_write_after_release(void *arg, struct kiocb *iocb,
					 ssize_t size)
{
	struct buffered_probe *p = arg;
	struct ktest_diofs_file *f = p->f;
	struct address_space *mapping = f->inode->i_mapping;
	struct folio *folio;

	if (!size)
		return;
	if (!inode_trylock(f->inode)) {
		p->lock_busy++;
		return;
	}
	folio = filemap_grab_folio(mapping, iocb->ki_pos >> PAGE_SHIFT);
	if (!IS_ERR(folio)) {
		folio_mark_uptodate(folio);
		filemap_dirty_folio(mapping, folio);
		folio_unlock(folio);
		folio_put(folio);
		p->dirtied++;
	}
	inode_unlock(f->inode);
}

/*
 * The direct write's page cache invalidation runs before i_rwsem is let
 * go: a buffered writer that dirties the range as soon as it gets the lock
 * must not make the invalidation fail ("Page cache invalidation failure",
 * with -EIO recorded for the next fsync()).  ext4 used to order buffered
 * writes after the whole completion with inode_dio_wait().
 */
static void write_invalidates_before_release(struct kunit *test, bool async)
{
	struct dio_fixture *fx = test->priv;
	struct address_space *mapping = fx->f->inode->i_mapping;
	struct ktest_dio_req *req = new_req(test, 9 * BLOCK, BLOCK, true,
					    async, 0x5e);
	errseq_t since = errseq_sample(&mapping->wb_err);
	struct buffered_probe probe = { .f = fx->f };
	ssize_t ret;

	prefill(fx, 9, 1, 0);
	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_HARDIRQ, 0);
	fx->f->after_release_arg = &probe;
	fx->f->after_release = buffered_write_after_release;

	if (async)
		ktest_blkdev_hold(fx->dev);
	ret = submit(req);
	if (async) {
		KUNIT_EXPECT_EQ(test, ret, -EIOCBQUEUED);
		ktest_blkdev_release(fx->dev);
		expect_completed(test, req, BLOCK);
	} else {
		KUNIT_EXPECT_EQ(test, ret, BLOCK);
	}
	fx->f->after_release = NULL;

	KUNIT_EXPECT_EQ(test, probe.lock_busy, 0);
	KUNIT_EXPECT_EQ(test, probe.dirtied, 1);
	KUNIT_EXPECT_EQ(test, errseq_check(&mapping->wb_err, since), 0);
	expect_lock_free(test, fx);

	inode_lock(fx->f->inode);
	truncate_inode_pages(mapping, 0);
	inode_unlock(fx->f->inode);
}

static void async_write_invalidates_before_release(struct kunit *test)
{
	write_invalidates_before_release(test, true);
}

static void sync_write_invalidates_before_release(struct kunit *test)
{
	write_invalidates_before_release(test, false);
}

/*
 * io_uring's IOCB_DIO_CALLER_COMP (set by nothing in 6.12, gone in 6.19)
 * leaves the completion to the issuer's task_work, so i_rwsem would be
 * released only when the issuer runs it: an issuer that waits for i_rwsem
 * first never does.  iomap refuses it for I/O that holds a lock to
 * completion: the write completes and releases in the workqueue, and
 * ki_complete() is not deferred.
 */
static void caller_completion_is_refused_for_held_io(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 7 * BLOCK, BLOCK, true, true,
					    0x3d);

	prefill(fx, 7, 1, 0);
	req->iocb.ki_flags |= IOCB_DIO_CALLER_COMP;
	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_HARDIRQ, 0);
	ktest_blkdev_hold(fx->dev);

	KUNIT_ASSERT_EQ(test, submit(req), -EIOCBQUEUED);
	KUNIT_EXPECT_FALSE(test, req->iocb.ki_flags & IOCB_DIO_CALLER_COMP);
	ktest_blkdev_release(fx->dev);
	expect_completed(test, req, BLOCK);
	KUNIT_EXPECT_FALSE(test, req->deferred);
	KUNIT_EXPECT_STREQ(test, ktest_context_name(req->completed_in),
			   ktest_context_name(KTEST_CTX_WORKQUEUE));
	expect_end_io_once(test, req, BLOCK, 0, KTEST_CTX_WORKQUEUE);
	KUNIT_EXPECT_PTR_NE(test, req->end_io.task, current);
	expect_lock_free(test, fx);
	KUNIT_EXPECT_TRUE(test, disk_is(fx, 7, 0, BLOCK, 0x3d));
}

/*
 * A polled read (IOCB_HIPRI: an io_uring IOPOLL ring) ends only when its
 * issuer polls, and an issuer that waits for i_rwsem before it polls never
 * does.  iomap does not poll I/O that holds a lock to completion: no bio is
 * left in ->private to poll, and the read ends from the device's interrupt.
 * ktest_blkdev has no poll queues, so the block layer would not poll the
 * bio anyway; uml_stall shows the stall itself on null_blk poll queues.
 */
static void polled_read_is_not_polled_when_held(struct kunit *test)
{
	struct dio_fixture *fx = test->priv;
	struct ktest_dio_req *req = new_req(test, 10 * BLOCK, BLOCK, false,
					    true, 0);

	prefill(fx, 10, 1, 0x44);
	req->iocb.ki_flags |= IOCB_HIPRI;
	ktest_blkdev_set_completion(fx->dev, KTEST_BLK_HARDIRQ, 0);
	ktest_blkdev_hold(fx->dev);

	KUNIT_ASSERT_EQ(test, submit(req), -EIOCBQUEUED);
	KUNIT_EXPECT_FALSE(test, req->iocb.ki_flags & IOCB_HIPRI);
	KUNIT_EXPECT_PTR_EQ(test, req->iocb.private, NULL);
	expect_transferred(test, fx, 1);
	ktest_blkdev_release(fx->dev);
	expect_completed(test, req, BLOCK);
	expect_end_io_once(test, req, BLOCK, 0, ktest_blk_irq_context());
	expect_lock_free(test, fx);
	KUNIT_EXPECT_TRUE(test, ktest_dio_req_data_is(req, 0, BLOCK, 0x44));
}

static struct kunit_case iomap_dio_cases[] = {
	KUNIT_CASE_PARAM(async_read_holds_lock_until_completion,
			 mode_gen_params),
	KUNIT_CASE_PARAM(async_write_holds_lock_until_completion,
			 mode_gen_params),
	KUNIT_CASE(sync_write_and_read_release_in_submitter),
	KUNIT_CASE(async_subblock_read_returns_its_bytes),
	KUNIT_CASE(sync_subblock_write_into_hole_ends_in_submitter),
	KUNIT_CASE(async_done_in_submission_completes_in_submitter),
	KUNIT_CASE(device_error_reports_eio_and_releases_lock),
	KUNIT_CASE(mapping_error_before_any_bio_releases_lock_once),
	KUNIT_CASE(nowait_against_exclusive_holder_returns_eagain),
	KUNIT_CASE(nowait_refused_by_mapping_releases_lock_once),
	KUNIT_CASE(read_at_eof_releases_lock_once),
	KUNIT_CASE(empty_request_releases_lock_once),
	KUNIT_CASE(partial_transfer_releases_lock_once),
	KUNIT_CASE(exclusive_locker_waits_for_io_in_flight),
	KUNIT_CASE(subblock_write_returns_before_completion),
	KUNIT_CASE(subblock_writes_to_one_block_keep_both),
	KUNIT_CASE(aligned_write_never_lands_under_subblock_zeroing),
	KUNIT_CASE(subblock_write_ending_at_eof_is_not_an_overwrite),
	KUNIT_CASE(async_write_invalidates_before_release),
	KUNIT_CASE(sync_write_invalidates_before_release),
	KUNIT_CASE(caller_completion_is_refused_for_held_io),
	KUNIT_CASE(polled_read_is_not_polled_when_held),
	{}
};

static struct kunit_suite iomap_dio_suite = {
	.name = "iomap_dio",
	.init = iomap_dio_init,
	.suite_init = iomap_dio_suite_init,
	.suite_exit = iomap_dio_suite_exit,
	.test_cases = iomap_dio_cases,
};

kunit_test_suite(iomap_dio_suite);

MODULE_DESCRIPTION("KUnit suite for iomap direct I/O holding i_rwsem to completion");
MODULE_LICENSE("GPL");
