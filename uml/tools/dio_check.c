// SPDX-License-Identifier: GPL-2.0
/*
 * dio_check FS DIR - direct I/O on a real filesystem (xfs or ext4) mounted
 * at DIR, with the data checked after every step.  dio_check --list FS
 * names the cases that apply to FS.  Prints one line per case:
 *
 *	case NAME ok
 *	case NAME fail WHY
 *
 * Cases cover the paths that hold i_rwsem until the I/O completes: sync
 * and aio reads and writes, aligned and sub-block, into holes, over written
 * blocks and past EOF, IOCB_NOWAIT, and fallocate/truncate issued while
 * an aio write is in flight (they must wait for it: the result is as if
 * the write had completed first).  Raw aio system calls, libc only.
 *
 * Not here: XFS range exchange needs an on-disk feature that Debian 12's
 * mkfs.xfs (xfsprogs 6.1) cannot set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

#define BLK	4096
#define SUB	512
#define MAX_IO	16
#define BIG	(16 * BLK)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *dir;
static aio_context_t ctx;
static int failures;

static int open_file(const char *name, int trunc)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return open(path, O_RDWR | O_CREAT | O_DIRECT | (trunc ? O_TRUNC : 0),
		    0600);
}

static void prep(struct iocb *cb, int op, int fd, void *p, size_t len,
		 off_t off)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_lio_opcode = op;
	cb->aio_fildes = fd;
	cb->aio_buf = (uintptr_t)p;
	cb->aio_nbytes = len;
	cb->aio_offset = off;
}

static int submit(struct iocb *cbs, int nr)
{
	struct iocb *ptrs[MAX_IO];
	int i;

	for (i = 0; i < nr; i++)
		ptrs[i] = &cbs[i];
	if (syscall(SYS_io_submit, ctx, nr, ptrs) != nr)
		return fail("io_submit: %s", strerror(errno));
	return 0;
}

/* Wait for @nr events; each must report the full length of its iocb. */
static int reap(int nr)
{
	struct io_event ev[MAX_IO];
	int got = 0, i;

	while (got < nr) {
		int n = syscall(SYS_io_getevents, ctx, 1, nr - got, ev, NULL);

		if (n < 0)
			return fail("io_getevents: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			struct iocb *cb = (struct iocb *)(uintptr_t)ev[i].obj;

			if (ev[i].res != (int64_t)cb->aio_nbytes)
				return fail("aio at %lld: res %lld, want %llu",
					    (long long)cb->aio_offset,
					    (long long)ev[i].res,
					    (unsigned long long)cb->aio_nbytes);
		}
		got += n;
	}
	return 0;
}

static int aio_rw(int op, int fd, void *p, size_t len, off_t off)
{
	struct iocb cb;

	prep(&cb, op, fd, p, len, off);
	if (submit(&cb, 1))
		return -1;
	return reap(1);
}

/*
 * io_uring (tool.h's ring) first tries every request with IOCB_NOWAIT.
 * (It stopped setting IOCB_DIO_CALLER_COMP in 6.6, and iomap refuses it
 * for I/O that holds i_rwsem anyway.)
 */
static struct ring ring = { .fd = -1 };

static void ring_queue(int op, int fd, void *p, size_t len, off_t off)
{
	ring_prep(&ring, op, fd, p, len, off, len);
}

/* Submit @nr queued requests, wait for all; each must transfer its length. */
static int ring_run(unsigned int nr)
{
	struct io_uring_cqe cqe;
	unsigned int done;

	if (ring_submit_wait(&ring, nr, nr))
		return -1;
	for (done = 0; done < nr; done++) {
		if (ring_wait_cqe(&ring, &cqe))
			return -1;
		if (cqe.res != (int)cqe.user_data)
			return fail("io_uring: res %d, want %llu", cqe.res,
				    (unsigned long long)cqe.user_data);
	}
	return 0;
}

/* The bytes [off, off + len) of the file are all @byte. */
static int expect_bytes(int fd, off_t off, size_t len, int byte)
{
	off_t start = off & ~(off_t)(BLK - 1);
	size_t span = ((off + len + BLK - 1) & ~(off_t)(BLK - 1)) - start;
	unsigned char *p = block_buf(span, 0xee);
	size_t i;
	ssize_t n;

	if (!p)
		return fail("out of memory");
	n = pread(fd, p, span, start);
	if (n < (ssize_t)(off - start + len)) {
		free(p);
		return fail("pread at %lld: %zd", (long long)start, n);
	}
	for (i = off - start; i < off - start + len; i++) {
		if (p[i] != byte) {
			fail("byte %lld is %#x, want %#x",
			     (long long)(start + i), p[i], byte);
			free(p);
			return -1;
		}
	}
	free(p);
	return 0;
}

static int sync_aligned_write_read(void)
{
	int fd = open_file("sync", 1);
	void *p = block_buf(BIG, 0x11);

	if (fd < 0 || !p)
		return fail("setup: %s", strerror(errno));
	if (pwrite(fd, p, BIG, 0) != BIG)
		return fail("pwrite: %s", strerror(errno));
	return expect_bytes(fd, 0, BIG, 0x11);
}

/* Eight aligned aio writes over written blocks, then eight aio reads. */
static int aio_aligned_overwrite_and_read(void)
{
	struct iocb cbs[8];
	void *w[8], *r[8];
	int fd = open_file("sync", 0), i;

	if (fd < 0)
		return fail("open: %s", strerror(errno));
	for (i = 0; i < 8; i++) {
		w[i] = block_buf(BLK, 0x20 + i);
		r[i] = block_buf(BLK, 0);
		if (!w[i] || !r[i])
			return fail("out of memory");
		prep(&cbs[i], IOCB_CMD_PWRITE, fd, w[i], BLK, i * BLK);
	}
	if (submit(cbs, 8) || reap(8))
		return -1;
	for (i = 0; i < 8; i++)
		prep(&cbs[i], IOCB_CMD_PREAD, fd, r[i], BLK, i * BLK);
	if (submit(cbs, 8) || reap(8))
		return -1;
	for (i = 0; i < 8; i++)
		if (memcmp(r[i], w[i], BLK))
			return fail("aio read of block %d differs", i);
	return 0;
}

/*
 * Sub-block aio writes into holes of a sparse file, two of them into the
 * same block, all submitted at once: each lands, and the rest of every
 * block they touch reads as zeroes.
 */
static int aio_subblock_into_holes(void)
{
	static const off_t offs[] = {
		3 * BLK, 3 * BLK + 2048, 10 * BLK + 512, 20 * BLK + 3584,
	};
	struct iocb cbs[4];
	int fd = open_file("holes", 1), i;

	if (fd < 0 || ftruncate(fd, 64 * BLK))
		return fail("setup: %s", strerror(errno));
	for (i = 0; i < 4; i++) {
		void *p = block_buf(SUB, 0x40 + i);

		if (!p)
			return fail("out of memory");
		prep(&cbs[i], IOCB_CMD_PWRITE, fd, p, SUB, offs[i]);
	}
	if (submit(cbs, 4) || reap(4))
		return -1;
	for (i = 0; i < 4; i++)
		if (expect_bytes(fd, offs[i], SUB, 0x40 + i))
			return -1;
	if (expect_bytes(fd, 3 * BLK + SUB, 2048 - SUB, 0) ||
	    expect_bytes(fd, 3 * BLK + 2048 + SUB, BLK - 2048 - SUB, 0) ||
	    expect_bytes(fd, 10 * BLK, 512, 0) ||
	    expect_bytes(fd, 20 * BLK, 3584, 0))
		return -1;
	return 0;
}

/* Sub-block aio overwrites of written blocks (the shared-lock path). */
static int aio_subblock_overwrite(void)
{
	struct iocb cbs[4];
	int fd = open_file("sync", 0), i;

	if (fd < 0)
		return fail("open: %s", strerror(errno));
	for (i = 0; i < 4; i++) {
		void *p = block_buf(SUB, 0x50 + i);

		if (!p)
			return fail("out of memory");
		prep(&cbs[i], IOCB_CMD_PWRITE, fd, p, SUB, i * BLK + 1024);
	}
	if (submit(cbs, 4) || reap(4))
		return -1;
	for (i = 0; i < 4; i++)
		if (expect_bytes(fd, i * BLK + 1024, SUB, 0x50 + i) ||
		    expect_bytes(fd, i * BLK, 1024, 0x20 + i))
			return -1;
	return 0;
}

/*
 * io_uring: eight aligned overwrites (completed by the issuing task) and
 * eight reads, then sub-block writes into two holes of one block.
 */
static int io_uring_overwrite_read_and_subblock(void)
{
	int fd = open_file("uring", 1), i;
	void *w[8], *r[8];

	if (fd < 0 || ftruncate(fd, 16 * BLK) || ring_setup(&ring, MAX_IO, 0))
		return fail("setup: %s", strerror(errno));
	for (i = 0; i < 8; i++) {
		w[i] = block_buf(BLK, 0x80 + i);
		r[i] = block_buf(BLK, 0);
		if (!w[i] || !r[i] || pwrite(fd, r[i], BLK, i * BLK) != BLK)
			return fail("setup: %s", strerror(errno));
		ring_queue(IORING_OP_WRITE, fd, w[i], BLK, i * BLK);
	}
	if (ring_run(8))
		return -1;
	for (i = 0; i < 8; i++)
		ring_queue(IORING_OP_READ, fd, r[i], BLK, i * BLK);
	if (ring_run(8))
		return -1;
	for (i = 0; i < 8; i++)
		if (memcmp(r[i], w[i], BLK))
			return fail("io_uring read of block %d differs", i);
	ring_queue(IORING_OP_WRITE, fd, w[0], SUB, 12 * BLK);
	ring_queue(IORING_OP_WRITE, fd, w[1], SUB, 12 * BLK + 2048);
	if (ring_run(2))
		return -1;
	return expect_bytes(fd, 12 * BLK, SUB, 0x80) ||
	       expect_bytes(fd, 12 * BLK + SUB, 2048 - SUB, 0) ||
	       expect_bytes(fd, 12 * BLK + 2048, SUB, 0x81) ||
	       expect_bytes(fd, 12 * BLK + 2048 + SUB, BLK - 2048 - SUB, 0);
}

/* Sub-block aio writes that extend the file, with a gap between them. */
static int aio_subblock_extending(void)
{
	int fd = open_file("extend", 1);
	void *a = block_buf(SUB, 0x61), *b = block_buf(SUB, 0x62);
	struct stat st;

	if (fd < 0 || !a || !b)
		return fail("setup: %s", strerror(errno));
	if (aio_rw(IOCB_CMD_PWRITE, fd, a, SUB, 0) ||
	    aio_rw(IOCB_CMD_PWRITE, fd, b, SUB, BLK + SUB))
		return -1;
	if (fstat(fd, &st) || st.st_size != BLK + 2 * SUB)
		return fail("size %lld, want %d", (long long)st.st_size,
			    BLK + 2 * SUB);
	if (expect_bytes(fd, 0, SUB, 0x61) ||
	    expect_bytes(fd, SUB, BLK, 0) ||
	    expect_bytes(fd, BLK + SUB, SUB, 0x62))
		return -1;
	return 0;
}

/*
 * IOCB_NOWAIT: a sub-block write into a hole needs the exclusive lock and
 * block allocation, so it is refused.  An aligned overwrite may go through
 * or be refused (a timestamp update would block, say).  Either way nothing
 * stays held: the same sub-block write then goes through without NOWAIT.
 */
static int nowait_refusal_leaves_nothing_held(void)
{
	int fd = open_file("holes", 0);
	void *p = block_buf(BLK, 0x70);
	struct iovec iov = { .iov_base = p, .iov_len = SUB };
	ssize_t n;

	if (fd < 0 || !p)
		return fail("setup: %s", strerror(errno));
	if (pwritev2(fd, &iov, 1, 40 * BLK + SUB, RWF_NOWAIT) != -1 ||
	    errno != EAGAIN)
		return fail("RWF_NOWAIT sub-block write into a hole: %s",
			    strerror(errno));
	iov.iov_len = BLK;
	n = pwritev2(fd, &iov, 1, 3 * BLK, RWF_NOWAIT);
	if (n != BLK && !(n == -1 && errno == EAGAIN))
		return fail("RWF_NOWAIT overwrite: %s", strerror(errno));
	iov.iov_len = SUB;
	if (pwritev2(fd, &iov, 1, 40 * BLK + SUB, 0) != SUB)
		return fail("sub-block write after the refusal: %s",
			    strerror(errno));
	return expect_bytes(fd, 40 * BLK + SUB, SUB, 0x70) ||
	       expect_bytes(fd, 40 * BLK, SUB, 0);
}

/*
 * A setuid file is not "no security": a write by a task without CAP_FSETID
 * must strip S_ISUID, which needs i_rwsem exclusively, so the shared paths
 * upgrade (XFS, in its write checks) or start exclusive (ext4), and the
 * hand-off must follow.  The writes run in a child that dropped root.
 */
static int write_as_nobody(int fd)
{
	void *a = block_buf(BLK, 0x90), *b = block_buf(SUB, 0x91);

	if (!a || !b || setgid(65534) || setuid(65534))
		return 1;
	ctx = 0;
	if (syscall(SYS_io_setup, MAX_IO, &ctx))
		return 1;
	if (aio_rw(IOCB_CMD_PWRITE, fd, b, SUB, BLK + SUB) ||
	    fchmod(fd, 04755) ||
	    aio_rw(IOCB_CMD_PWRITE, fd, a, BLK, 2 * BLK))
		return 1;
	return 0;
}

static int aio_writes_to_setuid_file(void)
{
	int fd = open_file("setuid", 1), status;
	void *old = block_buf(4 * BLK, 0x01);
	struct stat st;
	pid_t pid;

	if (fd < 0 || !old || pwrite(fd, old, 4 * BLK, 0) != 4 * BLK ||
	    fchown(fd, 65534, 65534) || fchmod(fd, 04755))
		return fail("setup: %s", strerror(errno));
	pid = fork();
	if (pid == 0)
		_exit(write_as_nobody(fd));
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		return fail("the writes as nobody failed");
	if (fstat(fd, &st) || (st.st_mode & S_ISUID))
		return fail("S_ISUID kept: mode %o", st.st_mode);
	return expect_bytes(fd, BLK, SUB, 0x01) ||
	       expect_bytes(fd, BLK + SUB, SUB, 0x91) ||
	       expect_bytes(fd, BLK + 2 * SUB, BLK - 2 * SUB, 0x01) ||
	       expect_bytes(fd, 2 * BLK, BLK, 0x90);
}

/*
 * An aio write is in flight when @op runs; @op takes i_rwsem exclusively,
 * so it must see the write completed, and @check must find the result of
 * the write followed by @op.
 */
static int after_inflight_write(const char *name, int (*op)(int fd),
				int (*check)(int fd))
{
	int fd = open_file(name, 1);
	void *old = block_buf(BIG, 0x01), *new = block_buf(BIG, 0x02);
	struct iocb cb;

	if (fd < 0 || !old || !new)
		return fail("setup: %s", strerror(errno));
	if (pwrite(fd, old, BIG, 0) != BIG)
		return fail("pwrite: %s", strerror(errno));
	prep(&cb, IOCB_CMD_PWRITE, fd, new, BIG, 0);
	if (submit(&cb, 1))
		return -1;
	if (op(fd))
		return fail("operation: %s", strerror(errno));
	if (reap(1))
		return -1;
	return check(fd);
}

static int punch(int fd)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			 BIG / 2);
}

static int zero(int fd)
{
	return fallocate(fd, FALLOC_FL_ZERO_RANGE, BIG / 2, BIG / 2);
}

static int collapse(int fd)
{
	return fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4 * BLK);
}

static int insert(int fd)
{
	return fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, 4 * BLK);
}

static int shrink(int fd)
{
	return ftruncate(fd, BLK) || ftruncate(fd, BIG);
}

static int first_half_zero(int fd)
{
	return expect_bytes(fd, 0, BIG / 2, 0) ||
	       expect_bytes(fd, BIG / 2, BIG / 2, 0x02);
}

static int second_half_zero(int fd)
{
	return expect_bytes(fd, 0, BIG / 2, 0x02) ||
	       expect_bytes(fd, BIG / 2, BIG / 2, 0);
}

static int collapsed(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || st.st_size != BIG - 4 * BLK)
		return fail("size %lld after collapse", (long long)st.st_size);
	return expect_bytes(fd, 0, BIG - 4 * BLK, 0x02);
}

static int inserted(int fd)
{
	return expect_bytes(fd, 0, 4 * BLK, 0) ||
	       expect_bytes(fd, 4 * BLK, BIG, 0x02);
}

static int shrunk(int fd)
{
	return expect_bytes(fd, 0, BLK, 0x02) ||
	       expect_bytes(fd, BLK, BIG - BLK, 0);
}

/* A buffered write through another descriptor: lands after the aio write. */
static int write_buffered(int fd)
{
	char path[512];
	char p[BLK];
	int bfd;

	snprintf(path, sizeof(path), "%s/buffered", dir);
	bfd = open(path, O_RDWR);
	memset(p, 0x03, BLK);
	if (bfd < 0 || pwrite(bfd, p, BLK, 0) != BLK || fsync(bfd))
		return -1;
	return close(bfd) || fd < 0;
}

static int buffered_on_top(int fd)
{
	return expect_bytes(fd, 0, BLK, 0x03) ||
	       expect_bytes(fd, BLK, BIG - BLK, 0x02);
}

static int set_flags(int fd, int add)
{
	int flags;

	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		return -1;
	flags = add > 0 ? flags | add : flags & ~-add;
	return ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

/* Make the file immutable (ext4 drains direct I/O first), then undo it. */
static int immutable(int fd)
{
	return set_flags(fd, FS_IMMUTABLE_FL) || set_flags(fd, -FS_IMMUTABLE_FL);
}

/* Switch the file to data journaling and back (ext4 only). */
static int journal_data(int fd)
{
	return set_flags(fd, FS_JOURNAL_DATA_FL) ||
	       set_flags(fd, -FS_JOURNAL_DATA_FL);
}

static int all_new(int fd)
{
	return expect_bytes(fd, 0, BIG, 0x02);
}

/* XFS: share the file's blocks with a clone, then unshare them. */
static int unshare(int fd)
{
	int clone = open_file("clone", 1);

	if (clone < 0 || ioctl(clone, FICLONE, fd))
		return -1;
	return fallocate(fd, FALLOC_FL_UNSHARE_RANGE, 0, BIG) || close(clone);
}

#define EXT4_IOC_MOVE_EXT	_IOWR('f', 15, struct move_extent)
struct move_extent {
	uint32_t reserved;
	uint32_t donor_fd;
	uint64_t orig_start;
	uint64_t donor_start;
	uint64_t len;
	uint64_t moved_len;
};

/* ext4: move the file's blocks to a preallocated donor (what e4defrag does). */
static int move_extents(int fd)
{
	struct move_extent me = { .len = BIG / BLK };
	int donor = open_file("donor", 1);

	if (donor < 0 || fallocate(donor, 0, 0, BIG))
		return -1;
	me.donor_fd = donor;
	return ioctl(fd, EXT4_IOC_MOVE_EXT, &me) || close(donor);
}

static int punch_waits(void)
{
	return after_inflight_write("punch", punch, first_half_zero);
}

static int zero_range_waits(void)
{
	return after_inflight_write("zero", zero, second_half_zero);
}

static int collapse_range_waits(void)
{
	return after_inflight_write("collapse", collapse, collapsed);
}

static int insert_range_waits(void)
{
	return after_inflight_write("insert", insert, inserted);
}

static int truncate_waits(void)
{
	return after_inflight_write("truncate", shrink, shrunk);
}

static int buffered_write_waits(void)
{
	return after_inflight_write("buffered", write_buffered, buffered_on_top);
}

static int immutable_waits(void)
{
	return after_inflight_write("immutable", immutable, all_new);
}

static int journal_data_waits(void)
{
	return after_inflight_write("journal", journal_data, all_new);
}

static int unshare_waits(void)
{
	return after_inflight_write("unshare", unshare, all_new);
}

static int move_extents_waits(void)
{
	return after_inflight_write("move", move_extents, all_new);
}

enum { ANY, XFS, EXT4 };

static const struct {
	const char *name;
	int (*fn)(void);
	int fs;
} cases[] = {
	{ "sync_aligned_write_read", sync_aligned_write_read, ANY },
	{ "aio_aligned_overwrite_and_read", aio_aligned_overwrite_and_read,
	  ANY },
	{ "aio_subblock_into_holes", aio_subblock_into_holes, ANY },
	{ "aio_subblock_overwrite", aio_subblock_overwrite, ANY },
	{ "aio_subblock_extending", aio_subblock_extending, ANY },
	{ "aio_writes_to_setuid_file", aio_writes_to_setuid_file, ANY },
	{ "io_uring_overwrite_read_and_subblock",
	  io_uring_overwrite_read_and_subblock, ANY },
	{ "nowait_refusal_leaves_nothing_held",
	  nowait_refusal_leaves_nothing_held, ANY },
	{ "punch_hole_waits_for_inflight_aio", punch_waits, ANY },
	{ "zero_range_waits_for_inflight_aio", zero_range_waits, ANY },
	{ "collapse_range_waits_for_inflight_aio", collapse_range_waits, ANY },
	{ "insert_range_waits_for_inflight_aio", insert_range_waits, ANY },
	{ "truncate_waits_for_inflight_aio", truncate_waits, ANY },
	{ "buffered_write_waits_for_inflight_aio", buffered_write_waits, ANY },
	{ "immutable_flag_waits_for_inflight_aio", immutable_waits, ANY },
	{ "journal_data_flag_waits_for_inflight_aio", journal_data_waits,
	  EXT4 },
	{ "move_extents_waits_for_inflight_aio", move_extents_waits, EXT4 },
	{ "unshare_range_waits_for_inflight_aio", unshare_waits, XFS },
};

static int fs_of(const char *name)
{
	if (!strcmp(name, "xfs"))
		return XFS;
	if (!strcmp(name, "ext4"))
		return EXT4;
	return -1;
}

int main(int argc, char **argv)
{
	int list = argc == 3 && !strcmp(argv[1], "--list");
	int fs = argc == 3 ? fs_of(argv[1 + list]) : -1;
	size_t i;

	if (fs < 0) {
		fprintf(stderr, "usage: %s xfs|ext4 DIR | --list xfs|ext4\n",
			argv[0]);
		return 2;
	}
	for (i = 0; list && i < ARRAY_SIZE(cases); i++)
		if (cases[i].fs == ANY || cases[i].fs == fs)
			printf("%s\n", cases[i].name);
	if (list)
		return 0;
	dir = argv[2];
	if (syscall(SYS_io_setup, MAX_IO, &ctx)) {
		perror("io_setup");
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].fs != ANY && cases[i].fs != fs)
			continue;
		why[0] = 0;
		if (cases[i].fn()) {
			printf("case %s fail %s\n", cases[i].name, why);
			failures++;
		} else {
			printf("case %s ok\n", cases[i].name);
		}
		fflush(stdout);
	}
	return failures ? 1 : 0;
}
