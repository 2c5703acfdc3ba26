// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "ktest_blkdev": the RAM block device helper stores and
 * returns data in every completion mode, ends requests in the context the
 * mode names, and holds, fails and delays requests as asked.
 */
#include <kunit/test.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "ktest_blkdev.h"
#include "ktest_guard.h"

#define TEST_NR_SECTORS		512	/* 256 KiB */
#define TEST_SECTOR		64	/* where the cases do their I/O */
#define TEST_TIMEOUT_MS		10000

static const enum ktest_blk_completion all_modes[] = {
	KTEST_BLK_INLINE, KTEST_BLK_SOFTIRQ, KTEST_BLK_HARDIRQ,
	KTEST_BLK_WORKQUEUE,
};

static void mode_to_desc(const enum ktest_blk_completion *how, char *desc)
{
	strscpy(desc, ktest_blk_completion_name(*how), KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mode, all_modes, mode_to_desc);

static void free_page_action(void *page)
{
	__free_page(page);
}

static struct page *alloc_test_page(struct kunit *test, int fill)
{
	struct page *page = alloc_page(GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, page);
	ret = kunit_add_action_or_reset(test, free_page_action, page);
	KUNIT_ASSERT_EQ(test, ret, 0);
	memset(page_address(page), fill, PAGE_SIZE);
	return page;
}

static struct ktest_blkdev *create_dev(struct kunit *test,
				       enum ktest_blk_completion how,
				       u64 delay_ns)
{
	struct ktest_blkdev *dev;

	dev = ktest_blkdev_create(test, TEST_NR_SECTORS, SECTOR_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	ktest_blkdev_set_completion(dev, how, delay_ns);
	return dev;
}

static int rw_page_wait(struct ktest_blkdev *dev, blk_opf_t opf,
			sector_t sector, struct page *page)
{
	struct bio *bio;
	int ret;

	bio = bio_alloc(ktest_blkdev_bdev(dev), 1, opf, GFP_KERNEL);
	bio->bi_iter.bi_sector = sector;
	__bio_add_page(bio, page, PAGE_SIZE, 0);
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

static bool bytes_are(const void *buf, int c, size_t len)
{
	return !memchr_inv(buf, c, len);
}

static void write_then_read_back_a_page(struct kunit *test)
{
	const enum ktest_blk_completion *how = test->param_value;
	struct page *out = alloc_test_page(test, 0);
	struct page *in = alloc_test_page(test, 0);
	struct ktest_blkdev_stats st;
	struct ktest_blkdev *dev;
	sector_t after;
	int i;

	for (i = 0; i < PAGE_SIZE; i++)
		((u8 *)page_address(out))[i] = i * 7 + 1;
	dev = create_dev(test, *how, 0);

	KUNIT_ASSERT_EQ(test, rw_page_wait(dev, REQ_OP_WRITE, TEST_SECTOR, out), 0);
	KUNIT_EXPECT_MEMEQ(test, ktest_blkdev_data(dev, TEST_SECTOR),
			   page_address(out), PAGE_SIZE);
	/* Nothing beyond the page was written. */
	KUNIT_EXPECT_TRUE(test, bytes_are(ktest_blkdev_data(dev, 0), 0,
					  TEST_SECTOR << SECTOR_SHIFT));
	after = TEST_SECTOR + (PAGE_SIZE >> SECTOR_SHIFT);
	KUNIT_EXPECT_TRUE(test, bytes_are(ktest_blkdev_data(dev, after), 0,
					  SECTOR_SIZE));

	KUNIT_ASSERT_EQ(test, rw_page_wait(dev, REQ_OP_READ, TEST_SECTOR, in), 0);
	KUNIT_EXPECT_MEMEQ(test, page_address(in), page_address(out), PAGE_SIZE);

	ktest_blkdev_stats(dev, &st);
	KUNIT_EXPECT_EQ(test, st.writes, 1);
	KUNIT_EXPECT_EQ(test, st.reads, 1);
	KUNIT_EXPECT_EQ(test, st.ended, 2);
	KUNIT_EXPECT_EQ(test, st.errors, 0);
	KUNIT_EXPECT_EQ(test, ktest_blkdev_wait_idle(dev, TEST_TIMEOUT_MS), 0);
}

static void each_mode_completes_in_the_context_it_names(struct kunit *test)
{
	const enum ktest_blk_completion *how = test->param_value;
	struct page *page = alloc_test_page(test, 0x3c);
	struct ktest_blkdev_stats st;
	struct ktest_blkdev *dev;

	dev = create_dev(test, *how, 0);
	KUNIT_ASSERT_EQ(test, rw_page_wait(dev, REQ_OP_WRITE, TEST_SECTOR, page), 0);
	ktest_blkdev_stats(dev, &st);
	KUNIT_ASSERT_EQ(test, st.ended, 1);

	switch (*how) {
	case KTEST_BLK_INLINE:
		/* submit_bio()'s own plug issues it from the submitter. */
		KUNIT_EXPECT_EQ(test, st.last_context, KTEST_CTX_TASK);
		KUNIT_EXPECT_PTR_EQ(test, st.last_task, current);
		break;
	case KTEST_BLK_SOFTIRQ:
		KUNIT_EXPECT_EQ(test, st.last_context, KTEST_CTX_SOFTIRQ);
		KUNIT_EXPECT_TRUE(test, st.last_in_softirq);
		break;
	case KTEST_BLK_HARDIRQ:
		KUNIT_EXPECT_EQ(test, st.last_context, ktest_blk_irq_context());
		KUNIT_EXPECT_EQ(test, st.last_in_hardirq,
				!IS_ENABLED(CONFIG_PREEMPT_RT));
		break;
	case KTEST_BLK_WORKQUEUE:
		KUNIT_EXPECT_EQ(test, st.last_context, KTEST_CTX_WORKQUEUE);
		KUNIT_EXPECT_PTR_NE(test, st.last_task, current);
		break;
	default:
		KUNIT_FAIL(test, "unknown mode %d", *how);
	}
	if (*how != KTEST_BLK_HARDIRQ)
		KUNIT_EXPECT_FALSE(test, st.last_in_hardirq);
	if (ktest_blk_context_of(*how) != KTEST_CTX_SOFTIRQ)
		KUNIT_EXPECT_FALSE(test, st.last_in_softirq);
	kunit_info(test, "%s mode ended the request in %s context\n",
		   ktest_blk_completion_name(*how),
		   ktest_context_name(st.last_context));
}

struct async_bio {
	struct completion done;
	blk_status_t status;
};

static void async_bio_end_io(struct bio *bio)
{
	struct async_bio *ab = bio->bi_private;

	ab->status = bio->bi_status;
	bio_put(bio);
	complete(&ab->done);
}

/*
 * Allocate @ab and @page before the device: kunit releases in reverse
 * order, so if the case stops early the device's teardown still ends the
 * bio into live memory.
 */
static void submit_async_write(struct ktest_blkdev *dev, struct async_bio *ab,
			       struct page *page)
{
	struct bio *bio;

	init_completion(&ab->done);
	bio = bio_alloc(ktest_blkdev_bdev(dev), 1, REQ_OP_WRITE, GFP_KERNEL);
	bio->bi_iter.bi_sector = TEST_SECTOR;
	bio->bi_end_io = async_bio_end_io;
	bio->bi_private = ab;
	__bio_add_page(bio, page, PAGE_SIZE, 0);
	submit_bio(bio);
}

static void held_bio_stays_pending_until_release(struct kunit *test)
{
	const enum ktest_blk_completion *how = test->param_value;
	struct async_bio *ab = kunit_kzalloc(test, sizeof(*ab), GFP_KERNEL);
	struct page *page = alloc_test_page(test, 0x5a);
	struct ktest_blkdev_stats st;
	struct ktest_blkdev *dev;
	unsigned long left;

	KUNIT_ASSERT_NOT_NULL(test, ab);
	dev = create_dev(test, *how, 0);

	ktest_blkdev_hold(dev);
	submit_async_write(dev, ab, page);
	msleep(20);
	KUNIT_EXPECT_FALSE(test, completion_done(&ab->done));
	KUNIT_EXPECT_EQ(test, ktest_blkdev_held(dev), 1);
	KUNIT_EXPECT_EQ(test, ktest_blkdev_wait_idle(dev, 20), -ETIMEDOUT);
	ktest_blkdev_stats(dev, &st);
	KUNIT_EXPECT_EQ(test, st.writes, 1);
	KUNIT_EXPECT_EQ(test, st.ended, 0);
	/* Held requests have their data already. */
	KUNIT_EXPECT_TRUE(test, bytes_are(ktest_blkdev_data(dev, TEST_SECTOR),
					  0x5a, PAGE_SIZE));

	KUNIT_EXPECT_EQ(test, ktest_blkdev_release(dev), 1);
	left = wait_for_completion_timeout(&ab->done,
					   msecs_to_jiffies(TEST_TIMEOUT_MS));
	KUNIT_ASSERT_GT(test, left, 0);
	KUNIT_EXPECT_EQ(test, blk_status_to_errno(ab->status), 0);
	KUNIT_EXPECT_EQ(test, ktest_blkdev_held(dev), 0);
	KUNIT_EXPECT_EQ(test, ktest_blkdev_wait_idle(dev, TEST_TIMEOUT_MS), 0);
	ktest_blkdev_stats(dev, &st);
	KUNIT_EXPECT_EQ(test, st.ended, 1);
	if (*how == KTEST_BLK_INLINE)
		KUNIT_EXPECT_PTR_EQ(test, st.last_task, current);

	/* Holding stopped with the release. */
	KUNIT_EXPECT_EQ(test, rw_page_wait(dev, REQ_OP_READ, TEST_SECTOR, page), 0);
	KUNIT_EXPECT_EQ(test, ktest_blkdev_release(dev), 0);
}

static void wait_async(struct kunit *test, struct async_bio *ab)
{
	unsigned long left;

	left = wait_for_completion_timeout(&ab->done,
					   msecs_to_jiffies(TEST_TIMEOUT_MS));
	KUNIT_ASSERT_GT(test, left, 0);
	KUNIT_EXPECT_EQ(test, blk_status_to_errno(ab->status), 0);
}

/*
 * Held unlanded, two writes to one sector reach the backing store in the
 * order the case releases them, not the order they were issued in.
 */
static void held_writes_land_in_the_order_released(struct kunit *test)
{
	const enum ktest_blk_completion *how = test->param_value;
	struct async_bio *first = kunit_kzalloc(test, sizeof(*first), GFP_KERNEL);
	struct async_bio *second = kunit_kzalloc(test, sizeof(*second),
						 GFP_KERNEL);
	struct page *a = alloc_test_page(test, 0xa1);
	struct page *b = alloc_test_page(test, 0xb2);
	u8 *data;
	struct ktest_blkdev *dev;

	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_ASSERT_NOT_NULL(test, second);
	dev = create_dev(test, *how, 0);
	data = ktest_blkdev_data(dev, TEST_SECTOR);

	ktest_blkdev_hold_unlanded(dev);
	submit_async_write(dev, first, a);
	submit_async_write(dev, second, b);
	KUNIT_ASSERT_EQ(test, ktest_blkdev_held(dev), 2);
	KUNIT_EXPECT_TRUE(test, bytes_are(data, 0, PAGE_SIZE));

	KUNIT_ASSERT_EQ(test, ktest_blkdev_release_nth(dev, 1), 0);
	wait_async(test, second);
	KUNIT_EXPECT_FALSE(test, completion_done(&first->done));
	KUNIT_EXPECT_TRUE(test, bytes_are(data, 0xb2, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, ktest_blkdev_held(dev), 1);
	KUNIT_EXPECT_EQ(test, ktest_blkdev_release_nth(dev, 1), -ENOENT);

	KUNIT_ASSERT_EQ(test, ktest_blkdev_release_nth(dev, 0), 0);
	wait_async(test, first);
	KUNIT_EXPECT_TRUE(test, bytes_are(data, 0xa1, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, ktest_blkdev_held(dev), 0);
	KUNIT_EXPECT_EQ(test, ktest_blkdev_wait_idle(dev, TEST_TIMEOUT_MS), 0);
}

/* Destroying the device ends a request still held, none is lost. */
static void destroy_ends_a_request_still_held(struct kunit *test)
{
	struct async_bio *ab = kunit_kzalloc(test, sizeof(*ab), GFP_KERNEL);
	struct page *page = alloc_test_page(test, 0x11);
	struct ktest_blkdev *dev;

	KUNIT_ASSERT_NOT_NULL(test, ab);
	dev = create_dev(test, KTEST_BLK_WORKQUEUE, 0);
	ktest_blkdev_hold(dev);
	submit_async_write(dev, ab, page);
	KUNIT_EXPECT_EQ(test, ktest_blkdev_wait_idle(dev, 10), -ETIMEDOUT);
	KUNIT_EXPECT_FALSE(test, completion_done(&ab->done));

	ktest_blkdev_destroy(test, dev);
	KUNIT_EXPECT_TRUE(test, completion_done(&ab->done));
	KUNIT_EXPECT_EQ(test, blk_status_to_errno(ab->status), 0);
}

/*
 * iomap_dio_rw() submits under a plug of its own: the request waits in the
 * plug and blk_finish_plug() issues it, still from the submitter.
 */
static void inline_request_under_a_plug_ends_at_finish_plug(struct kunit *test)
{
	struct async_bio *ab = kunit_kzalloc(test, sizeof(*ab), GFP_KERNEL);
	struct page *page = alloc_test_page(test, 0x22);
	struct ktest_blkdev_stats st;
	struct ktest_blkdev *dev;
	struct blk_plug plug;

	KUNIT_ASSERT_NOT_NULL(test, ab);
	dev = create_dev(test, KTEST_BLK_INLINE, 0);

	blk_start_plug(&plug);
	submit_async_write(dev, ab, page);
	ktest_blkdev_stats(dev, &st);
	KUNIT_EXPECT_EQ(test, st.writes, 0);
	KUNIT_EXPECT_FALSE(test, completion_done(&ab->done));
	blk_finish_plug(&plug);

	KUNIT_EXPECT_TRUE(test, completion_done(&ab->done));
	ktest_blkdev_stats(dev, &st);
	KUNIT_EXPECT_EQ(test, st.writes, 1);
	KUNIT_EXPECT_EQ(test, st.last_context, KTEST_CTX_TASK);
	KUNIT_EXPECT_PTR_EQ(test, st.last_task, current);
}

/*
 * But if the submitter sleeps with the request in its plug, schedule()
 * flushes the plug and blk-mq issues the request from kblockd.
 */
static void inline_request_plugged_across_a_sleep_ends_in_kblockd(struct kunit *test)
{
	struct async_bio *ab = kunit_kzalloc(test, sizeof(*ab), GFP_KERNEL);
	struct page *page = alloc_test_page(test, 0x33);
	struct ktest_blkdev_stats st;
	struct ktest_blkdev *dev;
	struct blk_plug plug;
	unsigned long left;

	KUNIT_ASSERT_NOT_NULL(test, ab);
	dev = create_dev(test, KTEST_BLK_INLINE, 0);

	blk_start_plug(&plug);
	submit_async_write(dev, ab, page);
	left = wait_for_completion_timeout(&ab->done,
					   msecs_to_jiffies(TEST_TIMEOUT_MS));
	blk_finish_plug(&plug);

	KUNIT_ASSERT_GT(test, left, 0);
	ktest_blkdev_stats(dev, &st);
	KUNIT_EXPECT_EQ(test, st.last_context, KTEST_CTX_WORKQUEUE);
	KUNIT_EXPECT_PTR_NE(test, st.last_task, current);
}

static void failed_request_gives_eio_and_transfers_nothing(struct kunit *test)
{
	const enum ktest_blk_completion *how = test->param_value;
	struct page *page = alloc_test_page(test, 0x5a);
	struct ktest_blkdev_stats st;
	struct ktest_blkdev *dev;

	dev = create_dev(test, *how, 0);
	memset(ktest_blkdev_data(dev, TEST_SECTOR), 0xa5, PAGE_SIZE);

	ktest_blkdev_fail_next(dev, 2);
	KUNIT_EXPECT_EQ(test, rw_page_wait(dev, REQ_OP_WRITE, TEST_SECTOR, page),
			-EIO);
	KUNIT_EXPECT_TRUE(test, bytes_are(ktest_blkdev_data(dev, TEST_SECTOR),
					  0xa5, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, rw_page_wait(dev, REQ_OP_READ, TEST_SECTOR, page),
			-EIO);
	KUNIT_EXPECT_TRUE(test, bytes_are(page_address(page), 0x5a, PAGE_SIZE));

	/* Only the two requests asked for fail. */
	KUNIT_EXPECT_EQ(test, rw_page_wait(dev, REQ_OP_READ, TEST_SECTOR, page), 0);
	KUNIT_EXPECT_TRUE(test, bytes_are(page_address(page), 0xa5, PAGE_SIZE));

	ktest_blkdev_stats(dev, &st);
	KUNIT_EXPECT_EQ(test, st.writes, 1);
	KUNIT_EXPECT_EQ(test, st.reads, 2);
	KUNIT_EXPECT_EQ(test, st.errors, 2);
	KUNIT_EXPECT_EQ(test, st.ended, 3);
}

static void delayed_completion_arrives_no_earlier_than_the_delay(struct kunit *test)
{
	const enum ktest_blk_completion *how = test->param_value;
	const u64 delay_ns = 20 * NSEC_PER_MSEC;
	struct page *page = alloc_test_page(test, 0x77);
	struct ktest_blkdev *dev;
	ktime_t started;
	s64 took_ns;

	dev = create_dev(test, *how, delay_ns);
	started = ktime_get();
	KUNIT_ASSERT_EQ(test, rw_page_wait(dev, REQ_OP_WRITE, TEST_SECTOR, page), 0);
	took_ns = ktime_to_ns(ktime_sub(ktime_get(), started));
	KUNIT_EXPECT_GE(test, took_ns, delay_ns);
}

static void invalid_geometry_is_rejected(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, PTR_ERR(ktest_blkdev_create(test, 0, 512)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ktest_blkdev_create(test, 8, 1000)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ktest_blkdev_create(test, 9, 4096)),
			-EINVAL);
}

static struct kunit_case ktest_blkdev_cases[] = {
	KUNIT_CASE_PARAM(write_then_read_back_a_page, mode_gen_params),
	KUNIT_CASE_PARAM(each_mode_completes_in_the_context_it_names,
			 mode_gen_params),
	KUNIT_CASE_PARAM(held_bio_stays_pending_until_release,
			 mode_gen_params),
	KUNIT_CASE_PARAM(held_writes_land_in_the_order_released,
			 mode_gen_params),
	KUNIT_CASE(destroy_ends_a_request_still_held),
	KUNIT_CASE(inline_request_under_a_plug_ends_at_finish_plug),
	KUNIT_CASE(inline_request_plugged_across_a_sleep_ends_in_kblockd),
	KUNIT_CASE_PARAM(failed_request_gives_eio_and_transfers_nothing,
			 mode_gen_params),
	KUNIT_CASE_PARAM(delayed_completion_arrives_no_earlier_than_the_delay,
			 mode_gen_params),
	KUNIT_CASE(invalid_geometry_is_rejected),
	{}
};

static struct kunit_suite ktest_blkdev_suite = {
	.name = "ktest_blkdev",
	.init = ktest_guard_init,
	.test_cases = ktest_blkdev_cases,
};

kunit_test_suite(ktest_blkdev_suite);

MODULE_DESCRIPTION("KUnit suite for the workbench's RAM block device helper");
MODULE_LICENSE("GPL");
