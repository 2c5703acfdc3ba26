// SPDX-License-Identifier: GPL-2.0
/*
 * swap_check ext4|xfs DIR - the operations that swap file contents, and
 * from which the series removed inode_dio_wait() because their exclusive
 * i_rwsem (iolock) now waits for direct I/O in flight: EXT4_IOC_SWAP_BOOT
 * on ext4 (swap_inode_boot_loader()), XFS_IOC_EXCHANGE_RANGE on XFS
 * (xfs_exchange_range_prep()).  DIR is the filesystem's mount point.
 * swap_check --list ext4|xfs names the cases.  Prints one line per case,
 * after its "# NAME key=value ..." figures:
 *
 *	case NAME ok
 *	case NAME fail WHY
 *
 * Each *_in_flight and *_during_write case has a child join the cgroup
 * $SWAP_CGROUP, whose io.max (a wbps limit for the disk) holds its bios
 * back in blk-throttle for seconds, submit one 64 KiB O_DIRECT aio write
 * of a known pattern (io_submit) and poll for its completion; meanwhile
 * the parent issues the operation.  Each *_in_flight case must show that:
 *
 * - the write was in flight when the operation started: none of its bios
 *   had left blk-throttle (the cgroup's io.stat wios had not moved) and
 *   the child still saw no completion after the operation started;
 * - the operation returned only after the write completed: its end is
 *   not before the last time the child saw the write pending;
 * - the data reads back (O_DIRECT and buffered) byte for byte as the
 *   serial order write-then-swap: the written pattern ends up in the
 *   file the swap moved the target's blocks to, the other file has the
 *   other side's old contents.  Writes into unwritten extents and holes
 *   are converted by ->end_io on the target inode; a swap that ran first
 *   would leave them unwritten (zeros) where the data went.
 *
 * For an overwrite, swap-then-write leaves the same data as
 * write-then-swap, so there the timing alone tells them apart.  The
 * control_*_unrelated_* cases prove that it can: the same operation on
 * a pair of files the write does not touch, with the same write in
 * flight to a third file, must show the write in flight as above and
 * return more than SLACK_MS before the write was last seen pending: the
 * relation on which the *_in_flight timing check fails.
 *
 * ext4: the boot loader inode (5) cannot be opened, so the write goes to
 * the file swapped with it; each case first swaps a file of pattern C
 * into the boot loader, and afterwards swaps a new empty file with it to
 * read what the boot loader holds.  XFS: the write goes to file2 (the
 * ioctl's file) or file1.  The control_*_nothing_in_flight cases run the
 * same operation with nothing in flight.  The XFS filesystem needs the
 * exchange-range feature (superblock incompat bit 0x40), which the plan
 * sets with xfs_db; exchange_range_feature checks that the kernel sees it.
 *
 * Raw aio system calls, libc only.  Every case runs in a process of its
 * own; one that gives no result within CASE_LIMIT_MS fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/types.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

#define BLK		4096
#define FILE_LEN	(32 * BLK)	/* every file of a case */
#define W_OFF		(8 * BLK)	/* the in-flight write: blocks 8-23 */
#define W_LEN		(16 * BLK)
#define MAX_WBPS	65536		/* so that W_LEN waits >= 1 s */
#define MIN_HOLD_MS	500.0		/* less proves nothing */
/*
 * The lock is released just before the aio event is posted, so an
 * operation may return a moment before the child sees the completion;
 * one that did not wait returns about a second or more before.
 */
#define SLACK_MS	20.0
#define POLL_MS		1		/* the child's io_getevents timeout */
#define WRITER_LIMIT_MS	15000.0
#define CASE_LIMIT_MS	25000.0
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Not in Debian 12's linux-libc-dev (6.1): include/uapi/linux/ext4.h. */
#define EXT4_IOC_SWAP_BOOT	_IO('f', 17)

/* fs/xfs/libxfs/xfs_fs.h of 6.12; xfsprogs 6.1's headers predate it. */
struct xfs_exchange_range {
	__s32 file1_fd;
	__u32 pad;
	__u64 file1_offset;
	__u64 file2_offset;
	__u64 length;
	__u64 flags;
};

#define XFS_IOC_EXCHANGE_RANGE	_IOW('X', 129, struct xfs_exchange_range)

/* 256 bytes: the size is part of the ioctl number, ENOTTY if wrong. */
struct xfs_fsop_geom {
	__u32 blocksize, rtextsize, agblocks, agcount;
	__u32 logblocks, sectsize, inodesize, imaxpct;
	__u64 datablocks, rtblocks, rtextents, logstart;
	unsigned char uuid[16];
	__u32 sunit, swidth;
	__s32 version;
	__u32 flags;
	__u32 logsectsize, rtsectsize, dirblocksize, logsunit;
	__u32 sick, checked;
	__u64 reserved[17];
};

#define XFS_IOC_FSGEOMETRY	_IOR('X', 126, struct xfs_fsop_geom)
#define XFS_FSOP_GEOM_FLAGS_EXCHANGE_RANGE	0x1000000	/* bit 24 */

/* Patterns: the target's old data, the in-flight write, the other side. */
#define NONE	(-1)		/* zeros: a hole or unwritten extent */
#define SEED_A	0x10
#define SEED_B	0x30
#define SEED_C	0x50
#define SEED_D	0x70		/* a file the controls' write does not touch */

enum kind { WRITTEN, UNWRITTEN, HOLE, EMPTY };

/* What a file must read back as: @base, with @overlay over the write. */
struct content {
	int base;
	int overlay;
};

static const char *dir;
static struct throttle thr;

static const char *path_of(const char *name)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

/* Byte @i of pattern @seed: differs per seed and per 512-byte sector. */
static unsigned char pattern(size_t i, int seed)
{
	return seed == NONE ? 0 : (unsigned char)(seed + i / 512);
}

static unsigned char want_byte(const struct content *c, size_t i)
{
	if (c->overlay != NONE && i >= W_OFF && i < W_OFF + W_LEN)
		return pattern(i, c->overlay);
	return pattern(i, c->base);
}

static void *pattern_buf(size_t len, size_t off, int seed)
{
	unsigned char *p = block_buf(len, 0);
	size_t i;

	for (i = 0; p && i < len; i++)
		p[i] = pattern(off + i, seed);
	return p;
}

/* The base pattern a new file of @kind reads back as. */
static int base_of(enum kind kind, int seed)
{
	return kind == WRITTEN ? seed : NONE;
}

/*
 * A new file @name: FILE_LEN bytes of @seed written with O_DIRECT (no
 * page cache to hide what is on disk), preallocated, sparse, or empty;
 * synced, so that only the case's write is in flight later.
 */
static int make_file(const char *name, enum kind kind, int seed)
{
	void *p = pattern_buf(FILE_LEN, 0, seed);
	int fd = open(path_of(name), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT,
		      0600);
	int ret = fd < 0 || !p;

	if (!ret && kind == WRITTEN)
		ret = pwrite(fd, p, FILE_LEN, 0) != FILE_LEN;
	if (!ret && kind == UNWRITTEN)
		ret = fallocate(fd, 0, 0, FILE_LEN);
	if (!ret && kind == HOLE)
		ret = ftruncate(fd, FILE_LEN);
	if (!ret)
		ret = fsync(fd);
	if (ret)
		fail("making %s: %s", name, strerror(errno));
	free(p);
	if (fd >= 0)
		close(fd);
	return ret ? -1 : 0;
}

static int compare(const char *name, const char *how, const unsigned char *p,
		   const struct content *c)
{
	size_t i;

	for (i = 0; i < FILE_LEN; i++)
		if (p[i] != want_byte(c, i))
			return fail("%s byte %zu (%s read) is %#x, want %#x",
				    name, i, how, p[i], want_byte(c, i));
	return 0;
}

/* Reads @name whole with @flags into @p; 0 when it has FILE_LEN bytes. */
static int read_all(const char *name, int flags, void *p)
{
	int fd = open(path_of(name), O_RDONLY | flags);
	struct stat st;
	ssize_t n = -1;

	if (fd < 0)
		return fail("open %s: %s", name, strerror(errno));
	if (fstat(fd, &st)) {
		close(fd);
		return fail("fstat %s: %s", name, strerror(errno));
	}
	if (st.st_size != FILE_LEN) {
		close(fd);
		return fail("%s has size %lld, want %d", name,
			    (long long)st.st_size, FILE_LEN);
	}
	n = pread(fd, p, FILE_LEN, 0);
	close(fd);
	if (n != FILE_LEN)
		return fail("reading %s: %zd, %s", name, n, strerror(errno));
	return 0;
}

/*
 * @name must read back as @c byte for byte, through O_DIRECT (the block
 * mapping on disk) and through the page cache (nothing stale left there).
 */
static int check_file(const char *name, int base, int overlay)
{
	struct content c = { base, overlay };
	void *p = block_buf(FILE_LEN, 0xee);
	int ret;

	if (!p)
		return fail("out of memory");
	ret = read_all(name, O_DIRECT, p) ||
	      compare(name, "O_DIRECT", p, &c) ||
	      read_all(name, 0, p) || compare(name, "buffered", p, &c);
	free(p);
	return ret ? -1 : 0;
}

/*
 * What the child saw, in memory shared across fork(): CLOCK_MONOTONIC
 * milliseconds of io_submit() returning, of the last poll that found no
 * completion, and of the completion reaped.
 */
static struct shared {
	double submit, pending, done;
	long long res;
	int stage;
} *sh;

/*
 * Child: join the throttled cgroup, submit one aio write of SEED_B over
 * blocks W_OFF.. of @name, say so on @ready, poll until it completes.
 * Polling with a short timeout, not blocking, so that "pending" is a
 * time at which the write was known not to have completed.
 */
static void writer(const void *name, int ready)
{
	struct timespec ts = { .tv_nsec = POLL_MS * 1000000L };
	void *p = pattern_buf(W_LEN, W_OFF, SEED_B);
	struct iocb cb = { 0 }, *cbp = &cb;
	aio_context_t ctx = 0;
	struct io_event ev;
	int fd;

	sh->stage = 1;
	if (join_cgroup(thr.cgroup))
		_exit(1);
	fd = open(path_of(name), O_RDWR | O_DIRECT);
	sh->stage = 2;
	if (fd < 0 || !p || syscall(SYS_io_setup, 1, &ctx))
		_exit(1);
	cb.aio_lio_opcode = IOCB_CMD_PWRITE;
	cb.aio_fildes = fd;
	cb.aio_buf = (uintptr_t)p;
	cb.aio_nbytes = W_LEN;
	cb.aio_offset = W_OFF;
	sh->stage = 3;
	if (syscall(SYS_io_submit, ctx, 1, &cbp) != 1)
		_exit(1);
	sh->submit = now_ms();
	sh->stage = 4;
	if (write(ready, "s", 1) != 1)
		_exit(1);
	for (;;) {
		double t = now_ms();
		long n = syscall(SYS_io_getevents, ctx, 1, 1, &ev, &ts);

		if (n == 1)
			break;
		if ((n < 0 && errno != EINTR) ||
		    t > sh->submit + WRITER_LIMIT_MS)
			_exit(1);
		sh->pending = t;
	}
	sh->done = now_ms();
	sh->res = ev.res;
	sh->stage = 5;
	_exit(0);
}

/* Forks the writer for @name; its pid once it has submitted, or -1. */
static pid_t start_writer(const char *name)
{
	pid_t pid;

	memset(sh, 0, sizeof(*sh));
	pid = fork_ready(writer, name, 5000);
	return pid < 0 ? fail("the throttled writer did not submit (stage %d)",
			      sh->stage) : pid;
}

/* The writer ended well: exit 0, the whole write done. */
static int writer_done(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return fail("the throttled writer failed at stage %d",
			    sh->stage);
	if (sh->res != W_LEN)
		return fail("the aio write returned %lld, want %d", sh->res,
			    W_LEN);
	return 0;
}

/* The cgroup limits the disk's write bandwidth, so the write waits. */
static int throttle_ready(void)
{
	long long wbps;

	if (!thr.cgroup)
		return fail("SWAP_CGROUP is not set: no throttled cgroup");
	wbps = throttle_value(&thr, "io.max", "wbps=");
	if (wbps < 1 || wbps > MAX_WBPS)
		return fail("%s/io.max has no wbps limit of 1 to %d for %u:%u",
			    thr.cgroup, MAX_WBPS, thr.major, thr.minor);
	return 0;
}

/* Times of the operation under test and the throttle's counts. */
struct timing {
	double t0, t1;
	long long w0, w1, w2;
};

static void print_timing(const struct timing *t)
{
	printf("# %s op_ms=%.1f aio_ms=%.1f %s=%.1f %s=%.1f %s=%.1f %s=%lld %s=%lld %s=%lld\n",
	       case_name, t->t1 - t->t0, sh->done - sh->submit,
	       "write_pending_after_op_start_ms", sh->pending - t->t0,
	       "write_pending_after_op_end_ms", sh->pending - t->t1,
	       "op_end_minus_aio_done_ms", t->t1 - sh->done,
	       "wios_before", t->w0, "wios_at_op_start", t->w1,
	       "wios_after", t->w2);
}

/* The figures show the write in flight, and held, when the op started. */
static int check_in_flight(const struct timing *t)
{
	double hold = sh->done - sh->submit;

	if (t->w1 != t->w0)
		return fail("%lld bio(s) of the write left blk-throttle %s",
			    t->w1 - t->w0, "before the operation started");
	if (t->w2 <= t->w1)
		return fail("no bio of the write was charged to the cgroup");
	if (hold < MIN_HOLD_MS)
		return fail("the throttle held the write only %.0f ms (< %.0f): %s",
			    hold, MIN_HOLD_MS, "the case proves nothing");
	if (sh->pending < t->t0)
		return fail("the write was last seen in flight %.1f ms %s",
			    t->t0 - sh->pending, "before the operation started");
	return 0;
}

/* An operation that waited for the write: it did not return before it. */
static int check_waited(const struct timing *t)
{
	if (check_in_flight(t))
		return -1;
	if (t->t1 + SLACK_MS < sh->pending)
		return fail("the operation returned %.1f ms %s",
			    sh->pending - t->t1, "before the write completed");
	return 0;
}

/*
 * The controls' operation, which has nothing to wait for: the relation
 * check_waited() fails on must hold, or that check could never fail.
 */
static int check_not_waited(const struct timing *t)
{
	if (check_in_flight(t))
		return -1;
	if (!(t->t1 + SLACK_MS < sh->pending))
		return fail("the operation returned only %.1f ms (<= %.0f) %s",
			    sh->pending - t->t1, SLACK_MS,
			    "before the write was last seen in flight");
	return 0;
}

/*
 * Runs @op while the throttled write to @target is in flight; 0 when the
 * operation succeeded and @check passes its figures.
 */
static int during_write(const char *target, int (*op)(void),
			int (*check)(const struct timing *t))
{
	struct timing t = { 0 };
	int err, ret;
	pid_t pid;

	if (throttle_ready())
		return -1;
	t.w0 = throttle_wios(&thr);
	pid = start_writer(target);
	if (pid < 0)
		return -1;
	t.w1 = throttle_wios(&thr);
	t.t0 = now_ms();
	err = op() ? errno : 0;
	t.t1 = now_ms();
	ret = writer_done(pid);
	t.w2 = throttle_wios(&thr);
	print_timing(&t);
	if (err)
		return fail("the operation failed: %s", strerror(err));
	return ret ? -1 : check(&t);
}

/* Control: @op with nothing in flight. */
static int idle(int (*op)(void))
{
	double t0 = now_ms();
	int err = op() ? errno : 0;

	printf("# %s op_ms=%.1f nothing_in_flight=1\n", case_name,
	       now_ms() - t0);
	return err ? fail("the operation failed: %s", strerror(err)) : 0;
}

/* ext4: EXT4_IOC_SWAP_BOOT swaps @name's blocks with the boot loader's. */
static int swap_boot(const char *name)
{
	int fd = open(path_of(name), O_RDWR), ret, err;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, EXT4_IOC_SWAP_BOOT);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

static int swap_target(void)
{
	return swap_boot("target");
}

static int swap_other(void)
{
	return swap_boot("other");
}

/* The boot loader inode gets FILE_LEN bytes of SEED_C. */
static int load_boot_loader(void)
{
	if (make_file("load", WRITTEN, SEED_C))
		return -1;
	if (swap_boot("load"))
		return fail("loading the boot loader: %s", strerror(errno));
	return unlink(path_of("load")) ? fail("unlink: %s", strerror(errno))
				       : 0;
}

/*
 * After write-then-swap the file @swapped holds the boot loader's old
 * SEED_C and the boot loader @swapped's @base with @overlay (SEED_B over
 * the write, NONE where the write went elsewhere), which a swap with a
 * new empty file brings out to be read.
 */
static int ext4_check(const char *swapped, int base, int overlay)
{
	if (check_file(swapped, SEED_C, NONE) || make_file("out", EMPTY, 0))
		return -1;
	if (swap_boot("out"))
		return fail("swapping out the boot loader: %s",
			    strerror(errno));
	if (check_file("out", base, overlay))
		return -1;
	return unlink(path_of(swapped)) || unlink(path_of("out")) ?
	       fail("unlink: %s", strerror(errno)) : 0;
}

static int ext4_case(enum kind kind, int in_flight)
{
	if (load_boot_loader() || make_file("target", kind, SEED_A))
		return -1;
	if (in_flight ? during_write("target", swap_target, check_waited) :
			idle(swap_target))
		return -1;
	return ext4_check("target", base_of(kind, SEED_A),
			  in_flight ? SEED_B : NONE);
}

static int swap_boot_overwrite_in_flight(void)
{
	return ext4_case(WRITTEN, 1);
}

static int swap_boot_unwritten_in_flight(void)
{
	return ext4_case(UNWRITTEN, 1);
}

static int swap_boot_hole_in_flight(void)
{
	return ext4_case(HOLE, 1);
}

static int control_swap_boot_nothing_in_flight(void)
{
	return ext4_case(WRITTEN, 0);
}

/*
 * The write overwrites "target" while the boot loader is swapped with
 * "other": only the boot loader's and other's i_rwsem are taken, so the
 * swap must not wait, and "target" keeps the write.
 */
static int control_swap_boot_unrelated_file_during_write(void)
{
	if (load_boot_loader() || make_file("target", WRITTEN, SEED_A) ||
	    make_file("other", WRITTEN, SEED_D))
		return -1;
	if (during_write("target", swap_other, check_not_waited) ||
	    check_file("target", SEED_A, SEED_B))
		return -1;
	if (unlink(path_of("target")))
		return fail("unlink: %s", strerror(errno));
	return ext4_check("other", SEED_D, NONE);
}

/* XFS: exchange all of file1 "one" with file2 "two" (the ioctl's fd). */
static int exchange(void)
{
	struct xfs_exchange_range args = { .length = FILE_LEN };
	int fd1 = open(path_of("one"), O_RDWR);
	int fd2 = open(path_of("two"), O_RDWR);
	int ret = -1, err;

	if (fd1 >= 0 && fd2 >= 0) {
		args.file1_fd = fd1;
		ret = ioctl(fd2, XFS_IOC_EXCHANGE_RANGE, &args);
	}
	err = errno;
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	errno = err;
	return ret;
}

/*
 * file1 of @k1 with SEED_C, file2 of @k2 with SEED_A; the write goes to
 * @target ("one", "two", another file for @check check_not_waited, or
 * NULL for nothing in flight).  After write-then-exchange each file has
 * the other's old contents, with SEED_B over the write where the
 * target's blocks went.
 */
static int xfs_case(enum kind k1, enum kind k2, const char *target,
		    int (*check)(const struct timing *t))
{
	int to_one = target && !strcmp(target, "one");
	int to_two = target && !strcmp(target, "two");

	if (make_file("one", k1, SEED_C) || make_file("two", k2, SEED_A))
		return -1;
	if (target ? during_write(target, exchange, check) : idle(exchange))
		return -1;
	if (check_file("one", base_of(k2, SEED_A), to_two ? SEED_B : NONE) ||
	    check_file("two", base_of(k1, SEED_C), to_one ? SEED_B : NONE))
		return -1;
	return unlink(path_of("one")) || unlink(path_of("two")) ?
	       fail("unlink: %s", strerror(errno)) : 0;
}

static int exchange_range_feature(void)
{
	struct xfs_fsop_geom geo = { 0 };
	int fd = open(dir, O_RDONLY | O_DIRECTORY), ret;

	if (fd < 0)
		return fail("open %s: %s", dir, strerror(errno));
	ret = ioctl(fd, XFS_IOC_FSGEOMETRY, &geo);
	close(fd);
	if (ret)
		return fail("XFS_IOC_FSGEOMETRY: %s", strerror(errno));
	printf("# %s geometry_flags=%#x\n", case_name, geo.flags);
	if (!(geo.flags & XFS_FSOP_GEOM_FLAGS_EXCHANGE_RANGE))
		return fail("the filesystem has no exchange-range feature");
	return 0;
}

static int exchange_overwrite_in_flight_on_file2(void)
{
	return xfs_case(WRITTEN, WRITTEN, "two", check_waited);
}

static int exchange_unwritten_in_flight_on_file1(void)
{
	return xfs_case(UNWRITTEN, WRITTEN, "one", check_waited);
}

static int exchange_hole_in_flight_on_file2(void)
{
	return xfs_case(WRITTEN, HOLE, "two", check_waited);
}

static int control_exchange_nothing_in_flight(void)
{
	return xfs_case(WRITTEN, WRITTEN, NULL, NULL);
}

/*
 * The write overwrites "three" while "one" and "two" are exchanged: it
 * holds neither's iolock, so the exchange must not wait, and "three"
 * keeps the write.
 */
static int control_exchange_unrelated_pair_during_write(void)
{
	if (make_file("three", WRITTEN, SEED_D) ||
	    xfs_case(WRITTEN, WRITTEN, "three", check_not_waited) ||
	    check_file("three", SEED_D, SEED_B))
		return -1;
	return unlink(path_of("three")) ? fail("unlink: %s", strerror(errno))
					: 0;
}

enum { EXT4, XFS };

static const struct {
	const char *name;
	int (*fn)(void);
	int fs;
} cases[] = {
	{ "swap_boot_overwrite_in_flight", swap_boot_overwrite_in_flight,
	  EXT4 },
	{ "swap_boot_unwritten_in_flight", swap_boot_unwritten_in_flight,
	  EXT4 },
	{ "swap_boot_hole_in_flight", swap_boot_hole_in_flight, EXT4 },
	{ "control_swap_boot_nothing_in_flight",
	  control_swap_boot_nothing_in_flight, EXT4 },
	{ "control_swap_boot_unrelated_file_during_write",
	  control_swap_boot_unrelated_file_during_write, EXT4 },
	{ "exchange_range_feature", exchange_range_feature, XFS },
	{ "exchange_overwrite_in_flight_on_file2",
	  exchange_overwrite_in_flight_on_file2, XFS },
	{ "exchange_unwritten_in_flight_on_file1",
	  exchange_unwritten_in_flight_on_file1, XFS },
	{ "exchange_hole_in_flight_on_file2",
	  exchange_hole_in_flight_on_file2, XFS },
	{ "control_exchange_nothing_in_flight",
	  control_exchange_nothing_in_flight, XFS },
	{ "control_exchange_unrelated_pair_during_write",
	  control_exchange_unrelated_pair_during_write, XFS },
};

static int fs_of(const char *name)
{
	if (!strcmp(name, "ext4"))
		return EXT4;
	if (!strcmp(name, "xfs"))
		return XFS;
	return -1;
}

/* The throttle is read for the disk under DIR. */
static int setup(const char *mnt)
{
	struct stat st;

	dir = mnt;
	if (stat(dir, &st)) {
		perror(dir);
		return -1;
	}
	throttle_init(&thr, "SWAP_CGROUP", major(st.st_dev), minor(st.st_dev));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int list = argc == 3 && !strcmp(argv[1], "--list");
	int fs = argc == 3 ? fs_of(argv[1 + list]) : -1;
	int failures = 0;
	size_t i;

	if (fs < 0) {
		fprintf(stderr, "usage: %s ext4|xfs DIR | --list ext4|xfs\n",
			argv[0]);
		return 2;
	}
	for (i = 0; list && i < ARRAY_SIZE(cases); i++)
		if (cases[i].fs == fs)
			printf("%s\n", cases[i].name);
	if (list)
		return 0;
	if (setup(argv[2]))
		return 1;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (cases[i].fs == fs &&
		    run_case_forked(cases[i].name, cases[i].fn, CASE_LIMIT_MS))
			failures++;
	return failures ? 1 : 0;
}
