/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal filesystem for driving iomap direct I/O from KUnit.
 *
 * One regular file per ktest_diofs_create(), of a fixed size, whose blocks
 * map 1:1 onto a ktest_blkdev.  Each block is a hole, unwritten or written,
 * so that sub-block writes need zeroing exactly where a real filesystem's
 * would.  Its read and write paths hold i_rwsem until the I/O completes the
 * way XFS does, with the VFS transfer helpers and no inode_dio_wait():
 * reads and aligned writes shared, sub-block writes shared with
 * IOMAP_DIO_OVERWRITE_ONLY first and exclusive (downgraded at transfer)
 * when that is refused, and any write that overlaps a sub-block write whose
 * zeroing is in flight exclusive.
 */
#ifndef _KTEST_DIOFS_H
#define _KTEST_DIOFS_H

#include <kunit/test.h>
#include <linux/bvec.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/iomap.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/uio.h>

#include "ktest_blkdev.h"
#include "ktest_context.h"
#include "ktest_rwsem.h"

#define KTEST_DIOFS_BLOCK_SHIFT	12
#define KTEST_DIOFS_BLOCK_SIZE	BIT(KTEST_DIOFS_BLOCK_SHIFT)
#define KTEST_DIOFS_BLOCKS	32
#define KTEST_DIOFS_SIZE	(KTEST_DIOFS_BLOCKS * KTEST_DIOFS_BLOCK_SIZE)

enum ktest_diofs_block_state {
	KTEST_DIOFS_HOLE,
	KTEST_DIOFS_UNWRITTEN,
	KTEST_DIOFS_WRITTEN,
};

struct ktest_diofs_file {
	struct inode *inode;
	struct file *file;
	struct ktest_blkdev *dev;
	spinlock_t lock;			/* protects the fields below */
	u8 blocks[KTEST_DIOFS_BLOCKS];		/* enum ktest_diofs_block_state */
	int fail_block;				/* ->iomap_begin fails here, */
	int fail_error;				/* with this error (-1: never) */
	unsigned int exclusive_writes;		/* writes that took i_rwsem excl */
	struct iomap_dio_zeroing zeroing;	/* set under exclusive i_rwsem */
	/*
	 * Called by the completion right after it released i_rwsem, in its
	 * context, with the size ->end_io saw: what another task that gets
	 * the lock at that moment could do.
	 */
	void (*after_release)(void *arg, struct kiocb *iocb, ssize_t size);
	void *after_release_arg;
};

/* What ->end_io saw of one request, sampled after it claimed i_rwsem. */
struct ktest_diofs_end_io {
	unsigned int calls;
	ssize_t size;
	int error;
	enum ktest_context context;
	struct task_struct *task;
	bool lockdep_held;		/* lockdep: this context holds i_rwsem */
	struct ktest_rwsem_state lock;	/* count and owner words */
};

/* One direct I/O request of one or more pages, sync or async. */
struct ktest_dio_req {
	struct kiocb iocb;
	struct iov_iter iter;
	struct bio_vec bvec[4];
	struct page *pages[4];
	size_t len;
	bool write;
	unsigned int dio_flags;		/* more iomap_dio_rw() flags */
	/* ki_complete(), for async requests */
	unsigned int completions;
	long result;
	enum ktest_context completed_in;
	bool deferred;			/* IOCB_DIO_CALLER_COMP: ->dio_complete */
	struct completion done;
	/* ->end_io and ->release */
	struct ktest_diofs_end_io end_io;
	ssize_t end_io_size;
	unsigned int releases;
};

struct ktest_diofs_file *ktest_diofs_create(struct kunit *test,
					    struct ktest_blkdev *dev);
void ktest_diofs_set_blocks(struct ktest_diofs_file *f, unsigned int first,
			    unsigned int nr, enum ktest_diofs_block_state s);
enum ktest_diofs_block_state ktest_diofs_block(struct ktest_diofs_file *f,
					       unsigned int block);
void ktest_diofs_fail_begin(struct ktest_diofs_file *f, int block, int error);

struct ktest_dio_req *ktest_dio_req_alloc(struct kunit *test,
					  struct ktest_diofs_file *f,
					  loff_t pos, size_t len, bool write,
					  bool async, u8 fill);
ssize_t ktest_diofs_read(struct ktest_dio_req *req);
ssize_t ktest_diofs_write(struct ktest_dio_req *req);
int ktest_dio_req_wait(struct ktest_dio_req *req, unsigned int timeout_ms);
bool ktest_dio_req_data_is(struct ktest_dio_req *req, size_t off,
			   size_t len, u8 byte);

void ktest_diofs_truncate(struct ktest_diofs_file *f, loff_t size);

int ktest_diofs_init(void);
void ktest_diofs_exit(void);

#endif /* _KTEST_DIOFS_H */
