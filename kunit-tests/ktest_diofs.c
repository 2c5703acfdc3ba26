// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal filesystem for driving iomap direct I/O from KUnit, see
 * ktest_diofs.h.  It is what a simple filesystem adopting "i_rwsem held
 * until the I/O completes" looks like: a ->transfer and an ->end_io of a few
 * lines each, and no inode_dio_wait() anywhere, not even in truncate.
 */
#include <linux/file.h>
#include <linux/fs_context.h>
#include <linux/highmem.h>
#include <linux/iomap.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>

#include "ktest_diofs.h"

#define DIOFS_MAGIC	0x6b64696f	/* "kdio" */
#define DIOFS_BLOCK_MASK	(KTEST_DIOFS_BLOCK_SIZE - 1)

static struct vfsmount *diofs_mnt;

static struct ktest_diofs_file *diofs_file(struct inode *inode)
{
	return inode->i_private;
}

/* ------------------------------------------------------------- mapping */

static void diofs_map_block(struct ktest_diofs_file *f, unsigned int block,
			    unsigned int flags, struct iomap *iomap)
{
	enum ktest_diofs_block_state state = f->blocks[block];

	iomap->bdev = ktest_blkdev_bdev(f->dev);
	iomap->offset = (loff_t)block << KTEST_DIOFS_BLOCK_SHIFT;
	iomap->length = KTEST_DIOFS_BLOCK_SIZE;
	iomap->addr = iomap->offset;		/* file block N is disk block N */

	if ((flags & IOMAP_WRITE) && state == KTEST_DIOFS_HOLE) {
		/* Allocate as unwritten; ->end_io converts it. */
		f->blocks[block] = KTEST_DIOFS_UNWRITTEN;
		iomap->flags |= IOMAP_F_NEW;
		state = KTEST_DIOFS_UNWRITTEN;
	}

	switch (state) {
	case KTEST_DIOFS_HOLE:
		iomap->type = IOMAP_HOLE;
		iomap->addr = IOMAP_NULL_ADDR;
		break;
	case KTEST_DIOFS_UNWRITTEN:
		iomap->type = IOMAP_UNWRITTEN;
		break;
	default:
		iomap->type = IOMAP_MAPPED;
		break;
	}
}

/* One block per mapping, so a multi-block request iterates. */
static int diofs_iomap_begin(struct inode *inode, loff_t pos, loff_t length,
			     unsigned int flags, struct iomap *iomap,
			     struct iomap *srcmap)
{
	struct ktest_diofs_file *f = diofs_file(inode);
	unsigned int block = pos >> KTEST_DIOFS_BLOCK_SHIFT;
	int ret = 0;

	if (block >= KTEST_DIOFS_BLOCKS)
		return -EIO;

	spin_lock(&f->lock);
	if (block == f->fail_block) {
		ret = f->fail_error;
	} else if ((flags & IOMAP_WRITE) &&
		   f->blocks[block] != KTEST_DIOFS_WRITTEN &&
		   (flags & (IOMAP_OVERWRITE_ONLY | IOMAP_NOWAIT))) {
		/* Would need zeroing or allocation. */
		ret = -EAGAIN;
	} else {
		diofs_map_block(f, block, flags, iomap);
	}
	spin_unlock(&f->lock);
	return ret;
}

static const struct iomap_ops diofs_iomap_ops = {
	.iomap_begin = diofs_iomap_begin,
};

static void diofs_convert(struct ktest_diofs_file *f, loff_t pos, ssize_t size)
{
	unsigned int block = pos >> KTEST_DIOFS_BLOCK_SHIFT;
	unsigned int end = (pos + size - 1) >> KTEST_DIOFS_BLOCK_SHIFT;
	unsigned long flags;

	spin_lock_irqsave(&f->lock, flags);
	for (; block <= end; block++)
		f->blocks[block] = KTEST_DIOFS_WRITTEN;
	spin_unlock_irqrestore(&f->lock, flags);
}

/* ------------------------------------------------- hold to completion */

static void diofs_transfer_shared(struct kiocb *iocb)
{
	inode_transfer_shared(file_inode(iocb->ki_filp));
}

static void diofs_transfer_exclusive(struct kiocb *iocb)
{
	inode_transfer_exclusive(file_inode(iocb->ki_filp));
}

static void diofs_after_release(struct kiocb *iocb, ssize_t size)
{
	struct ktest_diofs_file *f = diofs_file(file_inode(iocb->ki_filp));

	if (f->after_release)
		f->after_release(f->after_release_arg, iocb, size);
}

static void diofs_sample_end_io(struct ktest_diofs_end_io *e,
				struct inode *inode, ssize_t size, int error)
{
	e->calls++;
	e->size = size;
	e->error = error;
	e->context = ktest_current_context();
	e->task = current;
	e->lockdep_held = lockdep_is_held_type(&inode->i_rwsem, -1);
	ktest_rwsem_state(&inode->i_rwsem, &e->lock);
}

static int diofs_end_io(struct kiocb *iocb, ssize_t size, int error,
			unsigned int flags)
{
	struct ktest_dio_req *req = container_of(iocb, struct ktest_dio_req,
						 iocb);
	struct inode *inode = file_inode(iocb->ki_filp);

	inode_transfer_claim(inode);
	diofs_sample_end_io(&req->end_io, inode, size, error);
	req->end_io_size = size;
	if (!error && size && (flags & IOMAP_DIO_UNWRITTEN))
		diofs_convert(diofs_file(inode), iocb->ki_pos, size);
	return error;
}

static void diofs_release(struct kiocb *iocb)
{
	struct ktest_dio_req *req = container_of(iocb, struct ktest_dio_req,
						 iocb);

	req->releases++;
	inode_transfer_unlock(file_inode(iocb->ki_filp));
	diofs_after_release(iocb, req->end_io_size);
}

/* A sub-block write that may zero: it is over once it lets go. */
static void diofs_zeroing_release(struct kiocb *iocb)
{
	struct ktest_diofs_file *f = diofs_file(file_inode(iocb->ki_filp));

	iomap_dio_zeroing_end(&f->zeroing);
	diofs_release(iocb);
}

static const struct iomap_dio_ops diofs_shared_ops = {
	.transfer = diofs_transfer_shared,
	.end_io = diofs_end_io,
	.release = diofs_release,
};

static const struct iomap_dio_ops diofs_exclusive_ops = {
	.transfer = diofs_transfer_exclusive,
	.end_io = diofs_end_io,
	.release = diofs_release,
};

static const struct iomap_dio_ops diofs_zeroing_ops = {
	.transfer = diofs_transfer_exclusive,
	.end_io = diofs_end_io,
	.release = diofs_zeroing_release,
};

/* ------------------------------------------------------ read and write */

static int diofs_lock_shared(struct kiocb *iocb)
{
	struct inode *inode = file_inode(iocb->ki_filp);

	if (!(iocb->ki_flags & IOCB_NOWAIT)) {
		inode_lock_shared(inode);
		return 0;
	}
	return inode_trylock_shared(inode) ? 0 : -EAGAIN;
}

static ssize_t diofs_dio(struct ktest_dio_req *req,
			 const struct iomap_dio_ops *dops, unsigned int flags)
{
	return iomap_dio_rw(&req->iocb, &req->iter, &diofs_iomap_ops, dops,
			    flags | req->dio_flags, NULL, 0);
}

/**
 * ktest_diofs_read() - the filesystem's direct read path
 * @req: the request
 *
 * Return: what iomap_dio_rw() returned; i_rwsem is released by ->release.
 */
ssize_t ktest_diofs_read(struct ktest_dio_req *req)
{
	int ret = diofs_lock_shared(&req->iocb);

	if (ret)
		return ret;
	return diofs_dio(req, &diofs_shared_ops, 0);
}

static void diofs_count_exclusive(struct ktest_diofs_file *f)
{
	spin_lock(&f->lock);
	f->exclusive_writes++;
	spin_unlock(&f->lock);
}

/* Under the shared lock: does the write overlap zeroing in flight? */
static bool diofs_must_wait_for_zeroing(struct ktest_dio_req *req)
{
	struct ktest_diofs_file *f = diofs_file(file_inode(req->iocb.ki_filp));

	return iomap_dio_zeroing_overlaps(&f->zeroing, req->iocb.ki_pos,
					  req->len);
}

/*
 * A sub-block write that needs zeroing, under the exclusive lock: none is in
 * flight, so it records its blocks for the writes that follow it.
 */
static ssize_t diofs_write_zeroing(struct ktest_dio_req *req)
{
	struct kiocb *iocb = &req->iocb;
	struct ktest_diofs_file *f = diofs_file(file_inode(iocb->ki_filp));

	inode_lock(f->inode);
	diofs_count_exclusive(f);
	iomap_dio_zeroing_begin(&f->zeroing, iocb->ki_pos, req->len,
				KTEST_DIOFS_BLOCK_SIZE);
	return diofs_dio(req, &diofs_zeroing_ops, 0);
}

/**
 * ktest_diofs_write() - the filesystem's direct write path
 * @req: the request
 *
 * Block aligned writes run under the shared lock.  Sub-block writes try
 * the shared lock with IOMAP_DIO_OVERWRITE_ONLY first and, when that needs
 * zeroing or allocation, take i_rwsem exclusively: ->transfer downgrades it,
 * and nothing waits for other I/O in flight, the lock does.  A write that
 * overlaps the blocks of a sub-block write whose zeroing is in flight takes
 * i_rwsem exclusively too, which waits for it.
 *
 * Return: what iomap_dio_rw() returned; i_rwsem is released by ->release.
 */
ssize_t ktest_diofs_write(struct ktest_dio_req *req)
{
	struct kiocb *iocb = &req->iocb;
	struct inode *inode = file_inode(iocb->ki_filp);
	bool aligned = !((iocb->ki_pos | req->len) & DIOFS_BLOCK_MASK);
	ssize_t ret;

	if (iocb->ki_pos + req->len > i_size_read(inode))
		return -EINVAL;
	ret = diofs_lock_shared(iocb);
	if (ret)
		return ret;
	if (diofs_must_wait_for_zeroing(req)) {
		inode_unlock_shared(inode);
		if (iocb->ki_flags & IOCB_NOWAIT)
			return -EAGAIN;
		if (!aligned)
			return diofs_write_zeroing(req);
		inode_lock(inode);
		diofs_count_exclusive(diofs_file(inode));
		return diofs_dio(req, &diofs_exclusive_ops, 0);
	}
	if (aligned)
		return diofs_dio(req, &diofs_shared_ops, 0);

	ret = diofs_dio(req, &diofs_shared_ops, IOMAP_DIO_OVERWRITE_ONLY);
	if (ret != -EAGAIN || (iocb->ki_flags & IOCB_NOWAIT))
		return ret;
	return diofs_write_zeroing(req);
}

/**
 * ktest_diofs_truncate() - shrink (or grow) the file under exclusive i_rwsem
 * @f: the file
 * @size: the new size
 *
 * No inode_dio_wait(): taking i_rwsem exclusively waits for direct I/O in
 * flight, because every direct I/O holds it until it completes.
 */
void ktest_diofs_truncate(struct ktest_diofs_file *f, loff_t size)
{
	unsigned int block;

	inode_lock(f->inode);
	truncate_setsize(f->inode, size);
	spin_lock(&f->lock);
	for (block = DIV_ROUND_UP(size, KTEST_DIOFS_BLOCK_SIZE);
	     block < KTEST_DIOFS_BLOCKS; block++)
		f->blocks[block] = KTEST_DIOFS_HOLE;
	spin_unlock(&f->lock);
	inode_unlock(f->inode);
}

/* ---------------------------------------------------------- requests */

static void diofs_ki_complete(struct kiocb *iocb, long ret)
{
	struct ktest_dio_req *req = container_of(iocb, struct ktest_dio_req,
						 iocb);

	req->result = ret;
	req->completed_in = ktest_current_context();
	/* io_uring style: the real completion is left to the issuer. */
	req->deferred = (iocb->ki_flags & IOCB_DIO_CALLER_COMP) &&
			iocb->dio_complete;
	req->completions++;
	complete(&req->done);
}

static void diofs_free_page(void *page)
{
	__free_page(page);
}

static int req_add_page(struct kunit *test, struct ktest_dio_req *req,
			unsigned int i, size_t len, u8 fill)
{
	struct page *page = alloc_page(GFP_KERNEL);

	if (!page || kunit_add_action_or_reset(test, diofs_free_page, page))
		return -ENOMEM;
	memset(page_address(page), fill, PAGE_SIZE);
	req->pages[i] = page;
	bvec_set_page(&req->bvec[i], page, len, 0);
	return 0;
}

/**
 * ktest_dio_req_alloc() - a direct I/O request on @f
 * @test: the case; the request and its pages live until it ends
 * @f: the file
 * @pos: file offset
 * @len: length, at most four pages
 * @write: write (the pages hold @fill) or read (the pages hold @fill
 *	   before the read, so that untouched bytes show)
 * @async: complete through ki_complete() instead of in the caller
 * @fill: the byte the pages are filled with
 *
 * Return: the request, or NULL if out of memory or @len is too large.
 */
struct ktest_dio_req *ktest_dio_req_alloc(struct kunit *test,
					  struct ktest_diofs_file *f,
					  loff_t pos, size_t len, bool write,
					  bool async, u8 fill)
{
	struct ktest_dio_req *req = kunit_kzalloc(test, sizeof(*req),
						  GFP_KERNEL);
	unsigned int i, nr = DIV_ROUND_UP(len, PAGE_SIZE);

	if (!req || nr > ARRAY_SIZE(req->pages))
		return NULL;
	for (i = 0; i < nr; i++) {
		if (req_add_page(test, req, i,
				 min_t(size_t, len - i * PAGE_SIZE, PAGE_SIZE),
				 fill))
			return NULL;
	}
	iov_iter_bvec(&req->iter, write ? ITER_SOURCE : ITER_DEST, req->bvec,
		      nr, len);
	init_sync_kiocb(&req->iocb, f->file);
	req->iocb.ki_pos = pos;
	req->iocb.ki_flags |= IOCB_DIRECT | (write ? IOCB_WRITE : 0);
	if (async)
		req->iocb.ki_complete = diofs_ki_complete;
	req->len = len;
	req->write = write;
	init_completion(&req->done);
	return req;
}

/**
 * ktest_dio_req_wait() - wait for ki_complete() of an async request
 * @req: the request
 * @timeout_ms: how long to wait
 *
 * Return: 0, or -ETIMEDOUT.
 */
int ktest_dio_req_wait(struct ktest_dio_req *req, unsigned int timeout_ms)
{
	if (!wait_for_completion_timeout(&req->done,
					 msecs_to_jiffies(timeout_ms)))
		return -ETIMEDOUT;
	return 0;
}

/**
 * ktest_dio_req_data_is() - check the request's buffer
 * @req: the request
 * @off: offset in the buffer
 * @len: length to check
 * @byte: the value every byte must have
 *
 * Return: true if every byte of the range is @byte.
 */
bool ktest_dio_req_data_is(struct ktest_dio_req *req, size_t off,
			   size_t len, u8 byte)
{
	size_t i;

	for (i = off; i < off + len; i++) {
		u8 *p = page_address(req->pages[i / PAGE_SIZE]);

		if (p[i % PAGE_SIZE] != byte)
			return false;
	}
	return true;
}

/* ---------------------------------------------------------- the file */

void ktest_diofs_set_blocks(struct ktest_diofs_file *f, unsigned int first,
			    unsigned int nr, enum ktest_diofs_block_state s)
{
	spin_lock(&f->lock);
	while (nr--)
		f->blocks[first++] = s;
	spin_unlock(&f->lock);
}

enum ktest_diofs_block_state ktest_diofs_block(struct ktest_diofs_file *f,
					       unsigned int block)
{
	enum ktest_diofs_block_state s;

	spin_lock(&f->lock);
	s = f->blocks[block];
	spin_unlock(&f->lock);
	return s;
}

/* ->iomap_begin fails with @error at @block (-1: never). */
void ktest_diofs_fail_begin(struct ktest_diofs_file *f, int block, int error)
{
	spin_lock(&f->lock);
	f->fail_block = block;
	f->fail_error = error;
	spin_unlock(&f->lock);
}

static const struct file_operations diofs_fops = {
	.llseek = noop_llseek,
};

static void diofs_file_release(void *data)
{
	struct ktest_diofs_file *f = data;

	__fput_sync(f->file);
}

/**
 * ktest_diofs_create() - a new file of KTEST_DIOFS_SIZE bytes on @dev
 * @test: the case; the file is closed when it ends
 * @dev: the device the file's blocks map to, block for block
 *
 * All blocks start as holes.
 *
 * Return: the file, or NULL.
 */
struct ktest_diofs_file *ktest_diofs_create(struct kunit *test,
					    struct ktest_blkdev *dev)
{
	struct ktest_diofs_file *f = kunit_kzalloc(test, sizeof(*f),
						   GFP_KERNEL);
	struct inode *inode;

	if (!f || !diofs_mnt)
		return NULL;
	spin_lock_init(&f->lock);
	f->dev = dev;
	f->fail_block = -1;

	inode = new_inode(diofs_mnt->mnt_sb);
	if (!inode)
		return NULL;
	inode->i_ino = get_next_ino();
	inode->i_mode = S_IFREG | 0600;
	inode->i_blkbits = KTEST_DIOFS_BLOCK_SHIFT;
	inode->i_private = f;
	i_size_write(inode, KTEST_DIOFS_SIZE);
	f->inode = inode;

	f->file = alloc_file_pseudo(inode, diofs_mnt, "ktest_diofs",
				    O_RDWR | O_DIRECT, &diofs_fops);
	if (IS_ERR(f->file)) {
		iput(inode);
		return NULL;
	}
	if (kunit_add_action_or_reset(test, diofs_file_release, f))
		return NULL;
	return f;
}

static int diofs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, DIOFS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type diofs_type = {
	.name = "ktest_diofs",
	.init_fs_context = diofs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* Mount the filesystem once, for a suite's .suite_init. */
int ktest_diofs_init(void)
{
	int ret = register_filesystem(&diofs_type);

	if (ret)
		return ret;
	diofs_mnt = kern_mount(&diofs_type);
	if (IS_ERR(diofs_mnt)) {
		ret = PTR_ERR(diofs_mnt);
		diofs_mnt = NULL;
		unregister_filesystem(&diofs_type);
	}
	return ret;
}

/* Unmount it at .suite_exit, once every file is gone. */
void ktest_diofs_exit(void)
{
	if (!diofs_mnt)
		return;
	flush_delayed_fput();
	kern_unmount(diofs_mnt);
	diofs_mnt = NULL;
	unregister_filesystem(&diofs_type);
}
