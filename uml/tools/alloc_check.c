// SPDX-License-Identifier: GPL-2.0
/*
 * alloc_check FS DIR DEV - aligned 4 KiB O_DIRECT aio writes into holes
 * inside EOF of sparse files (writes that allocate), on a real filesystem
 * (xfs or ext4) mounted at DIR on the block device DEV.  alloc_check
 * --list FS names the cases.  Prints one line per case, after "# NAME:
 * ..." figures:
 *
 *	case NAME ok
 *	case NAME fail WHY
 *
 * parallel_hole_writes_do_not_wait: a child that has joined the cgroup
 * $ALLOC_CGROUP, whose io.max holds its write bios back for about
 * 1 / wiops s, submits one write into a hole; then the parent, not
 * throttled, writes another hole far away and waits for it.  Once that
 * completed, the child looks with a zero-timeout io_getevents(): the
 * throttled write must still be in flight, i.e. the unthrottled write did
 * not wait for it.  XFS allocates under the shared iolock; ext4 takes
 * i_rwsem exclusively for any write that allocates, which, while direct
 * I/O holds i_rwsem until it completes, waits for all I/O in flight.  The
 * case also fails, as proving nothing, when the throttled write completed
 * in less than MIN_HOLD_MS.
 *
 * nowait_hole_write_gets_eagain: a pwritev2() with RWF_NOWAIT of one block
 * into a hole of a new sparse file, nothing else in flight, must fail with
 * EAGAIN and write nothing: size and st_blocks unchanged, the block reads
 * back (O_DIRECT) as zeros.  Allocating may block, so XFS refuses it in
 * ->iomap_begin and ext4 wants i_rwsem exclusively for it.  Then the same
 * write without RWF_NOWAIT must succeed and read back, the size unchanged.
 *
 * concurrent_hole_writes_verified: CONC_NR writes into distinct holes in
 * one io_submit(), then CONC_NR more in a second one before any is
 * reaped, half of them onto blocks of the first batch with other data.
 * Every block written must then read back (O_DIRECT) as exactly one of
 * the writes that targeted it, every other block as zeros.  The time of
 * the first batch is a figure, not a bound.
 *
 * buffered_reader_never_sees_stale_data: a file of STALE_LEN bytes of
 * "STALEDATA" is written and synced, all other free space but FREE_SLACK
 * is taken by a fallocate()d file (unwritten: it costs the memory-backed
 * null_blk disk no memory), and the stale file is unlinked and synced, so
 * that its blocks are nearly all the free space and still hold the
 * pattern (nothing discards them; the case checks the device).  Then for
 * $ALLOC_SECS s (default 3) the parent keeps RACE_QD writes into holes of
 * a new sparse file in flight while a child sweeps the same range with
 * buffered pread()s, dropping each chunk from the page cache after
 * reading it.  Every block it reads must be zeros or a complete written
 * block (a header naming the block and the write, the rest derived from
 * both); the stale pattern is the failure this case is for.  The file
 * must read back as written at the end, and at least one write must have
 * landed on a freed stale block (FIEMAP of both files), or the case
 * proves nothing.
 *
 * Raw aio system calls, libc only.  Every case runs in a process of its
 * own; one that gives no result within CASE_LIMIT_MS fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define BLK		4096
#define CHUNK		(1024 * 1024)	/* O_DIRECT fills and read-backs */
#define WAIT_MS		10000		/* bound on every single wait */
#define CASE_LIMIT_MS	60000.0
/* Idle time before the throttled write: blk-throttle starts a new slice. */
#define SETTLE_MS	300
#define MIN_HOLD_MS	300
#define MAX_WIOPS	10
#define MAGIC		0x6b63636f6c6c610aULL	/* stamps written blocks */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* parallel_hole_writes_do_not_wait: blocks of a 64 MiB sparse file. */
#define PAR_SIZE	(64 << 20)
#define PAR_THROTTLED	100
#define PAR_FREE	12000

/* nowait_hole_write_gets_eagain: a block of a 16 MiB sparse file. */
#define NOWAIT_SIZE	(16 << 20)
#define NOWAIT_BLOCK	1000

/* concurrent_hole_writes_verified: batch 1 writes CONC_FIRST + k * STRIDE. */
#define CONC_SIZE	(16 << 20)
#define CONC_NR		32
#define CONC_FIRST	64
#define CONC_STRIDE	97
#define CONC_SHIFT	40	/* odd writes of batch 2 go this far on */

/* buffered_reader_never_sees_stale_data */
#define STALE_STR	"STALEDATA"
#define STALE_LEN	(64 << 20)
#define FREE_SLACK	(4 << 20)
#define RACE_SIZE	(32 << 20)
#define RACE_BLOCKS	(RACE_SIZE / BLK)
#define RACE_QD		16
#define READ_CHUNK	(256 << 10)
#define MAX_EXTENTS	(RACE_BLOCKS + 16)

static const char *dir, *dev_path;
static struct throttle thr;

static int open_file(const char *name, int flags)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return open(path, flags, 0600);
}

/* A new sparse file of @size bytes, open O_RDWR | O_DIRECT, or -1. */
static int sparse_file(const char *name, off_t size)
{
	int fd = open_file(name, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT);

	if (fd < 0)
		return fail("creating %s: %s", name, strerror(errno));
	if (ftruncate(fd, size) || fsync(fd)) {
		fail("ftruncate and fsync of %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct stamp {
	uint64_t magic;
	uint64_t block;
	uint64_t seq;
};

/* Fill @p with write @seq of @block: a header, the rest derived from it. */
static void stamp_block(unsigned char *p, uint64_t block, uint64_t seq)
{
	struct stamp s = { MAGIC, block, seq };
	size_t i;

	memcpy(p, &s, sizeof(s));
	for (i = sizeof(s); i < BLK; i++)
		p[i] = (unsigned char)(block * 131 + seq * 7 + i);
}

/* 1 if @p is exactly what stamp_block(@block, @seq) wrote. */
static int is_stamped(const unsigned char *p, uint64_t block, uint64_t seq)
{
	struct stamp s;
	size_t i;

	memcpy(&s, p, sizeof(s));
	if (s.magic != MAGIC || s.block != block || s.seq != seq)
		return 0;
	for (i = sizeof(s); i < BLK; i++)
		if (p[i] != (unsigned char)(block * 131 + seq * 7 + i))
			return 0;
	return 1;
}

static int is_zero(const unsigned char *p, size_t len)
{
	return !p[0] && !memcmp(p, p + 1, len - 1);
}

static int has_stale(const unsigned char *p, size_t len)
{
	return !!memmem(p, len, STALE_STR, strlen(STALE_STR));
}

/* What block @p holds, for a failure: "zeros", "stale data", "seq 12". */
static const char *what(const unsigned char *p, char *s, size_t len)
{
	struct stamp st;

	memcpy(&st, p, sizeof(st));
	if (is_zero(p, BLK))
		return "zeros";
	if (has_stale(p, BLK))
		return "the STALE pattern";
	if (st.magic == MAGIC)
		snprintf(s, len, "header block %llu seq %llu%s",
			 (unsigned long long)st.block,
			 (unsigned long long)st.seq,
			 is_stamped(p, st.block, st.seq) ? "" : ", damaged");
	else
		snprintf(s, len, "bytes %02x %02x %02x %02x ...", p[0], p[1],
			 p[2], p[3]);
	return s;
}

static void prep(struct iocb *cb, int fd, void *p, uint64_t block,
		 uint64_t data)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_lio_opcode = IOCB_CMD_PWRITE;
	cb->aio_fildes = fd;
	cb->aio_buf = (uintptr_t)p;
	cb->aio_nbytes = BLK;
	cb->aio_offset = block * BLK;
	cb->aio_data = data;
}

static int submit(aio_context_t ctx, struct iocb **cbp, long nr)
{
	long n = syscall(SYS_io_submit, ctx, nr, cbp);

	if (n != nr)
		return fail("io_submit() of %ld writes: %ld, %s", nr, n,
			    n < 0 ? strerror(errno) : "short");
	return 0;
}

/* Reap @min to @max events within WAIT_MS; their number, or -1. */
static long reap(aio_context_t ctx, long min, long max, struct io_event *ev)
{
	struct timespec ts = { WAIT_MS / 1000, 0 };
	long n = syscall(SYS_io_getevents, ctx, min, max, ev, &ts);

	if (n < 0)
		return fail("io_getevents: %s", strerror(errno));
	if (n < min)
		return fail("%ld writes not done after %d ms", min - n,
			    WAIT_MS);
	return n;
}

/* Read block @block with O_DIRECT; it must be write @seq of it. */
static int check_written(int fd, uint64_t block, uint64_t seq)
{
	unsigned char *p = block_buf(BLK, 0xee);
	char s[96];
	int ret = 0;

	if (!p)
		return fail("out of memory");
	if (pread(fd, p, BLK, block * BLK) != BLK)
		ret = fail("read-back of block %llu: %s",
			   (unsigned long long)block, strerror(errno));
	else if (!is_stamped(p, block, seq))
		ret = fail("block %llu reads back as %s, want its write",
			   (unsigned long long)block, what(p, s, sizeof(s)));
	free(p);
	return ret;
}

/* What the throttled child tells the parent: submitted, then done. */
struct report {
	int stage;		/* 1: io_submit() returned, 2: all done */
	int failed;
	int pending;		/* in flight when the parent's write was done */
	int64_t t_submit;	/* before io_submit() */
	int64_t t_queued;	/* after io_submit() */
	int64_t t_done;		/* completion seen */
	long long res;
	char why[256];
};

static void child_send(int wfd, struct report *r)
{
	if (write(wfd, r, sizeof(*r)) != sizeof(*r))
		_exit(3);
}

static void child_fail(int wfd, struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	r->failed = 1;
	child_send(wfd, r);
	_exit(1);
}

static void reaped(struct report *r, struct io_event *ev)
{
	r->t_done = now_ns();
	r->res = ev->res;
}

/*
 * The throttled writer: one write of PAR_THROTTLED, signalled on an
 * eventfd.  Waits for both its completion and the parent's word (on @rfd)
 * that the unthrottled write is done; at that word, looks whether its own
 * write has completed with a zero-timeout io_getevents().
 */
static void throttled_writer(int fd, int rfd, int wfd)
{
	struct report r = { .stage = 1 };
	struct timespec zero = { 0, 0 };
	struct iocb cb, *cbp = &cb;
	int efd, asked = 0, done = 0;
	aio_context_t ctx = 0;
	struct io_event ev;
	void *p = block_buf(BLK, 0);
	long n;
	char c;

	if (!p)
		child_fail(wfd, &r, "out of memory");
	stamp_block(p, PAR_THROTTLED, 1);
	if (join_cgroup(thr.cgroup))
		child_fail(wfd, &r, "joining %s: %s", thr.cgroup, strerror(errno));
	efd = eventfd(0, EFD_NONBLOCK);
	if (efd < 0 || syscall(SYS_io_setup, 1, &ctx))
		child_fail(wfd, &r, "eventfd, io_setup: %s", strerror(errno));
	prep(&cb, fd, p, PAR_THROTTLED, 0);
	cb.aio_flags = IOCB_FLAG_RESFD;
	cb.aio_resfd = efd;
	r.t_submit = now_ns();
	if (syscall(SYS_io_submit, ctx, 1, &cbp) != 1)
		child_fail(wfd, &r, "io_submit: %s", strerror(errno));
	r.t_queued = now_ns();
	child_send(wfd, &r);
	r.stage = 2;
	while (!done || !asked) {
		struct pollfd pfd[2] = {
			{ .fd = done ? -1 : efd, .events = POLLIN },
			{ .fd = asked ? -1 : rfd, .events = POLLIN },
		};

		if (poll(pfd, 2, WAIT_MS) <= 0)
			child_fail(wfd, &r, "%s in %d ms",
				   done ? "no word from the parent" :
				   "throttled write not done", WAIT_MS);
		if (pfd[1].revents) {
			if (read(rfd, &c, 1) != 1)
				child_fail(wfd, &r, "the parent died");
			asked = 1;
			n = syscall(SYS_io_getevents, ctx, 0, 1, &ev, &zero);
			if (n < 0)
				child_fail(wfd, &r, "io_getevents: %s",
					   strerror(errno));
			r.pending = !done && !n;
			if (n)
				reaped(&r, &ev);
			done |= n;
		}
		if (!done && pfd[0].revents) {
			n = syscall(SYS_io_getevents, ctx, 1, 1, &ev, &zero);
			if (n != 1)
				child_fail(wfd, &r, "eventfd but no event: %ld",
					   n);
			reaped(&r, &ev);
			done = 1;
		}
	}
	child_send(wfd, &r);
	_exit(0);
}

static int recv_report(int rfd, struct report *r, int stage)
{
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };

	if (poll(&pfd, 1, 2 * WAIT_MS) != 1)
		return fail("no word from the throttled writer in %d ms",
			    2 * WAIT_MS);
	if (read(rfd, r, sizeof(*r)) != sizeof(*r))
		return fail("the throttled writer died");
	if (r->failed)
		return fail("throttled writer: %s", r->why);
	if (r->stage != stage)
		return fail("throttled writer: stage %d, want %d", r->stage,
			    stage);
	return 0;
}

static int parallel_hole_writes_do_not_wait(void)
{
	struct report sub = { 0 }, done = { 0 };
	int fd, up[2], down[2], status, ret;
	int64_t t0 = 0, t1 = 0, t2 = 0;
	long long wiops = 0, wios, hold;
	struct iocb cb, *cbp = &cb;
	aio_context_t ctx = 0;
	struct io_event ev;
	void *p = block_buf(BLK, 0);
	pid_t pid;

	if (!p)
		return fail("out of memory");
	if (throttle_limit(&thr, &wiops, MAX_WIOPS))
		return -1;
	stamp_block(p, PAR_FREE, 2);
	fd = sparse_file("parallel", PAR_SIZE);
	if (fd < 0)
		return -1;
	if (pipe(up) || pipe(down))
		return fail("pipe: %s", strerror(errno));
	wios = throttle_wios(&thr);
	sleep_ms(SETTLE_MS);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		throttled_writer(fd, down[0], up[1]);
	}
	close(up[1]);
	close(down[0]);
	ret = recv_report(up[0], &sub, 1);
	if (!ret && syscall(SYS_io_setup, 1, &ctx))
		ret = fail("io_setup: %s", strerror(errno));
	if (!ret) {
		prep(&cb, fd, p, PAR_FREE, 0);
		t0 = now_ns();
		ret = submit(ctx, &cbp, 1);
		t1 = now_ns();
		if (!ret && reap(ctx, 1, 1, &ev) < 0)
			ret = -1;
		t2 = now_ns();
		if (!ret && write(down[1], "?", 1) != 1)
			ret = fail("telling the throttled writer: %s",
				   strerror(errno));
		if (!ret)
			ret = recv_report(up[0], &done, 2);
	}
	if (ret)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(up[0]);
	close(down[1]);
	if (ret)
		goto out;
	wios = throttle_wios(&thr) - wios;
	hold = (done.t_done - sub.t_submit) / 1000000;
	printf("# %s: throttled write (wiops=%lld, %lld bios charged): ",
	       case_name, wiops, wios);
	printf("io_submit() %.1f ms, completed after %.1f ms\n",
	       ns_to_ms(sub.t_queued - sub.t_submit),
	       ns_to_ms(done.t_done - sub.t_submit));
	printf("# %s: unthrottled write into another hole: ", case_name);
	printf("io_submit() %.1f ms, completed after %.1f ms, %s\n",
	       ns_to_ms(t1 - t0), ns_to_ms(t2 - t0), done.pending ?
	       "the throttled write still in flight" :
	       "after the throttled write");
	if (ev.res != BLK || done.res != BLK)
		ret = fail("write results %lld (unthrottled), %lld (throttled), want %d",
			   (long long)ev.res, done.res, BLK);
	else if (check_written(fd, PAR_THROTTLED, 1) ||
		 check_written(fd, PAR_FREE, 2))
		ret = -1;
	else if (!wios || hold < MIN_HOLD_MS)
		ret = fail("%s (%lld bios charged, completed after %lld ms, want >= %d ms): %s",
			   "throttle did not hold the first write", wios,
			   hold, MIN_HOLD_MS, "the case proves nothing");
	else if (!done.pending)
		ret = fail("%s: io_submit() took %.1f ms, %s %.1f ms (throttled one: %lld ms)",
			   "the unthrottled write waited for the throttled one",
			   ns_to_ms(t1 - t0), "completed after", ns_to_ms(t2 - t0),
			   hold);
out:
	close(fd);
	free(p);
	return ret;
}

/* Which of batch 1's writes won each block both batches wrote. */
static int verify_concurrent(int fd, const uint64_t *blocks, int nr,
			     int *won2)
{
	unsigned char *p = block_buf(CHUNK, 0xee), *b;
	uint64_t block;
	int i, ret = 0, n, hit;
	char s[96];
	off_t off;

	if (!p)
		return fail("out of memory");
	for (off = 0; off < CONC_SIZE && !ret; off += CHUNK) {
		if (pread(fd, p, CHUNK, off) != CHUNK) {
			ret = fail("read-back at %lld: %s", (long long)off,
				   strerror(errno));
			break;
		}
		for (b = p; b < p + CHUNK && !ret; b += BLK) {
			block = (off + (b - p)) / BLK;
			for (i = 0, n = 0, hit = -1; i < nr; i++) {
				if (blocks[i] != block)
					continue;
				n++;
				if (is_stamped(b, block, i + 1))
					hit = i;
			}
			if (!n && !is_zero(b, BLK))
				ret = fail("untouched block %llu reads back as %s, want zeros",
					   (unsigned long long)block,
					   what(b, s, sizeof(s)));
			else if (n && hit < 0)
				ret = fail("block %llu reads back as %s, want one of its %d writes",
					   (unsigned long long)block,
					   what(b, s, sizeof(s)), n);
			else if (n > 1 && hit >= nr / 2)
				(*won2)++;
		}
	}
	free(p);
	return ret;
}

static int concurrent_hole_writes_verified(void)
{
	struct iocb cbs[2 * CONC_NR], *cbp[2 * CONC_NR];
	struct io_event ev[2 * CONC_NR];
	uint64_t blocks[2 * CONC_NR];
	int64_t t0, t1, t2, t_first = 0;
	int fd, i, k, left = CONC_NR, got = 0, won2 = 0, ret = 0;
	aio_context_t ctx = 0;
	unsigned char *p;
	long n;

	p = block_buf(2 * CONC_NR * BLK, 0);
	if (!p)
		return fail("out of memory");
	fd = sparse_file("concurrent", CONC_SIZE);
	if (fd < 0)
		return -1;
	for (i = 0; i < 2 * CONC_NR; i++) {
		k = i % CONC_NR;
		blocks[i] = CONC_FIRST + k * CONC_STRIDE;
		if (i >= CONC_NR && k % 2)
			blocks[i] += CONC_SHIFT;
		stamp_block(p + i * BLK, blocks[i], i + 1);
		prep(&cbs[i], fd, p + i * BLK, blocks[i], i);
		cbp[i] = &cbs[i];
	}
	if (syscall(SYS_io_setup, 2 * CONC_NR, &ctx)) {
		ret = fail("io_setup: %s", strerror(errno));
		goto out;
	}
	t0 = now_ns();
	if (submit(ctx, cbp, CONC_NR))
		goto err;
	t1 = now_ns();
	if (submit(ctx, cbp + CONC_NR, CONC_NR))
		goto err;
	t2 = now_ns();
	while (got < 2 * CONC_NR) {
		n = reap(ctx, 1, 2 * CONC_NR - got, ev);
		if (n < 0)
			goto err;
		for (i = 0; i < n; i++) {
			if (ev[i].res != BLK) {
				ret = fail("write %llu: res %lld, want %d",
					   (unsigned long long)ev[i].data,
					   (long long)ev[i].res, BLK);
				goto out;
			}
			if (ev[i].data < CONC_NR && !--left)
				t_first = now_ns();
		}
		got += n;
	}
	printf("# %s: batch 1 (%d writes into holes, one io_submit()): ",
	       case_name, CONC_NR);
	printf("io_submit() %.1f ms, all reaped %.1f ms after it began\n",
	       ns_to_ms(t1 - t0), ns_to_ms(t_first - t0));
	printf("# %s: batch 2 (%d writes, %d onto batch 1's blocks): ",
	       case_name, CONC_NR, CONC_NR / 2);
	printf("io_submit() %.1f ms; both batches done after %.1f ms\n",
	       ns_to_ms(t2 - t1), ns_to_ms(now_ns() - t0));
	ret = verify_concurrent(fd, blocks, 2 * CONC_NR, &won2);
	if (!ret)
		printf("# %s: %d blocks written twice: %d read as batch 1's, %d as batch 2's\n",
		       case_name, CONC_NR / 2, CONC_NR / 2 - won2, won2);
	goto out;
err:
	ret = -1;
out:
	close(fd);
	free(p);
	return ret;
}

struct extent {
	uint64_t logical, physical, len;	/* bytes */
	uint32_t flags;
};

/* The extents of @fd (FIEMAP, synced), up to @max; their number or -1. */
static int extents_of(int fd, struct extent *ext, int max)
{
	size_t sz = sizeof(struct fiemap) + 256 * sizeof(struct fiemap_extent);
	struct fiemap *fm = malloc(sz);
	uint64_t start = 0;
	int nr = 0, last = 0;
	unsigned int i;

	if (!fm)
		return fail("out of memory");
	while (!last) {
		memset(fm, 0, sz);
		fm->fm_start = start;
		fm->fm_length = ~0ULL - start;
		fm->fm_flags = FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = 256;
		if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
			free(fm);
			return fail("FIEMAP: %s", strerror(errno));
		}
		if (!fm->fm_mapped_extents)
			break;
		for (i = 0; i < fm->fm_mapped_extents; i++) {
			struct fiemap_extent *fe = &fm->fm_extents[i];

			if (nr == max) {
				free(fm);
				return fail("more than %d extents", max);
			}
			ext[nr].logical = fe->fe_logical;
			ext[nr].physical = fe->fe_physical;
			ext[nr].len = fe->fe_length;
			ext[nr++].flags = fe->fe_flags;
			start = fe->fe_logical + fe->fe_length;
			last = fe->fe_flags & FIEMAP_EXTENT_LAST;
		}
	}
	free(fm);
	return nr;
}

/* Bytes of the filler file: all free space but FREE_SLACK. */
static long long filler_len;

/* Take the free space but FREE_SLACK with unwritten extents; 0 if done. */
static int fill_free_space(void)
{
	struct statvfs sv;
	long long len;
	int fd, i;

	if (statvfs(dir, &sv))
		return fail("statvfs: %s", strerror(errno));
	len = (long long)sv.f_bfree * sv.f_frsize - FREE_SLACK;
	len -= len % CHUNK;
	if (len <= 0)
		return 0;
	fd = open_file("filler", O_WRONLY | O_CREAT | O_TRUNC);
	if (fd < 0)
		return fail("creating filler: %s", strerror(errno));
	/* Metadata takes some of it: retry a little smaller on ENOSPC. */
	for (i = 0; i < 16 && len > 0; i++, len -= FREE_SLACK) {
		if (!fallocate(fd, 0, 0, len))
			break;
		if (errno != ENOSPC) {
			close(fd);
			return fail("fallocate of filler: %s", strerror(errno));
		}
	}
	close(fd);
	if (i == 16 || len <= 0)
		return fail("fallocate of filler: ENOSPC down to %lld bytes",
			    len);
	filler_len = len;
	return 0;
}

/*
 * A file of @len bytes of STALE_STR, written and synced, the rest of the
 * free space filled, then the stale file unlinked and synced again; its
 * former extents in @ext.  Their number, or -1.
 */
static int free_stale_blocks(off_t len, struct extent *ext, int max)
{
	unsigned char *p = block_buf(CHUNK, 0);
	size_t sl = strlen(STALE_STR), i;
	int fd, dfd, nr = -1;
	char path[512];
	off_t off;

	if (!p)
		return fail("out of memory");
	for (i = 0; i < CHUNK; i++)
		p[i] = STALE_STR[i % sl];
	snprintf(path, sizeof(path), "%s/stale", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (fd < 0) {
		fail("creating %s: %s", path, strerror(errno));
		goto out;
	}
	for (off = 0; off < len; off += CHUNK)
		if (pwrite(fd, p, CHUNK, off) != CHUNK) {
			fail("stale fill at %lld: %s", (long long)off,
			     strerror(errno));
			close(fd);
			goto out;
		}
	if (fsync(fd)) {
		fail("fsync of the stale file: %s", strerror(errno));
		close(fd);
		goto out;
	}
	nr = extents_of(fd, ext, max);
	close(fd);
	if (nr < 0)
		goto out;
	if (fill_free_space()) {
		nr = -1;
		goto out;
	}
	if (unlink(path)) {
		nr = fail("unlink %s: %s", path, strerror(errno));
		goto out;
	}
	sync();
	/* The freed blocks must still hold the pattern on the device. */
	dfd = open(dev_path, O_RDONLY | O_DIRECT);
	if (dfd < 0 || pread(dfd, p, BLK, ext[0].physical) != BLK)
		nr = fail("reading %s: %s", dev_path, strerror(errno));
	else if (!has_stale(p, BLK))
		nr = fail("freed block at %llu of %s does not hold the stale pattern",
			  (unsigned long long)ext[0].physical, dev_path);
	if (dfd >= 0)
		close(dfd);
out:
	free(p);
	return nr;
}

/* Shared with the reader. */
struct race {
	int stop;
	long sweeps, blocks, zeros, data, stale, bad;
	char first_bad[200];
};

static struct race *race;

static void note_bad(const char *fmt, ...)
{
	va_list ap;

	if (race->first_bad[0])
		return;
	va_start(ap, fmt);
	vsnprintf(race->first_bad, sizeof(race->first_bad), fmt, ap);
	va_end(ap);
}

/* Sweep the file with buffered reads until told to stop. */
static void buffered_reader(const char *name)
{
	unsigned char *p = block_buf(READ_CHUNK, 0), *b;
	uint64_t block;
	struct stamp s;
	char d[96];
	ssize_t n;
	off_t off;
	int fd;

	fd = open_file(name, O_RDONLY);
	if (!p || fd < 0) {
		note_bad("reader: open %s: %s", name, strerror(errno));
		race->bad++;
		_exit(1);
	}
	while (!__atomic_load_n(&race->stop, __ATOMIC_ACQUIRE)) {
		for (off = 0; off < RACE_SIZE; off += READ_CHUNK) {
			n = pread(fd, p, READ_CHUNK, off);
			if (n != READ_CHUNK) {
				note_bad("buffered pread at %lld: %zd, %s",
					 (long long)off, n, strerror(errno));
				race->bad++;
				continue;
			}
			for (b = p; b < p + READ_CHUNK; b += BLK) {
				block = (off + (b - p)) / BLK;
				memcpy(&s, b, sizeof(s));
				race->blocks++;
				if (is_zero(b, BLK)) {
					race->zeros++;
				} else if (is_stamped(b, block, s.seq)) {
					race->data++;
				} else {
					if (has_stale(b, BLK))
						race->stale++;
					else
						race->bad++;
					note_bad("block %llu (sweep %ld) read as %s",
						 (unsigned long long)block,
						 race->sweeps,
						 what(b, d, sizeof(d)));
				}
			}
			posix_fadvise(fd, off, READ_CHUNK,
				      POSIX_FADV_DONTNEED);
		}
		race->sweeps++;
	}
	_exit(0);
}

/* Prepare write @seq of block @b in slot @slot. */
static void race_write(int fd, unsigned char *bufs, struct iocb *cbs,
		       int slot, uint64_t b, uint64_t seq)
{
	stamp_block(bufs + slot * BLK, b, seq);
	prep(&cbs[slot], fd, bufs + slot * BLK, b, slot);
}

/* The written blocks of @ext that lie on the former stale extents. */
static long on_stale(const struct extent *ext, int nr,
		     const struct extent *old, int nold,
		     const uint64_t *seq_of)
{
	uint64_t off, phys, blk;
	long hits = 0;
	int i, j;

	for (i = 0; i < nr; i++) {
		if (ext[i].flags & FIEMAP_EXTENT_UNWRITTEN)
			continue;
		for (off = 0; off < ext[i].len; off += BLK) {
			blk = (ext[i].logical + off) / BLK;
			phys = ext[i].physical + off;
			if (blk >= RACE_BLOCKS || !seq_of[blk])
				continue;
			for (j = 0; j < nold; j++)
				if (phys >= old[j].physical &&
				    phys < old[j].physical + old[j].len)
					break;
			hits += j < nold;
		}
	}
	return hits;
}

/* Read the race file back (O_DIRECT): written blocks as written. */
static int verify_race(int fd, const uint64_t *seq_of)
{
	unsigned char *p = block_buf(CHUNK, 0xee), *b;
	uint64_t block;
	int ret = 0;
	char s[96];
	off_t off;

	if (!p)
		return fail("out of memory");
	for (off = 0; off < RACE_SIZE && !ret; off += CHUNK) {
		if (pread(fd, p, CHUNK, off) != CHUNK) {
			ret = fail("read-back at %lld: %s", (long long)off,
				   strerror(errno));
			break;
		}
		for (b = p; b < p + CHUNK && !ret; b += BLK) {
			block = (off + (b - p)) / BLK;
			if (seq_of[block] && is_stamped(b, block, seq_of[block]))
				continue;
			if (!seq_of[block] && is_zero(b, BLK))
				continue;
			ret = fail("at the end block %llu reads back as %s, want %s",
				   (unsigned long long)block,
				   what(b, s, sizeof(s)),
				   seq_of[block] ? "its write" : "zeros");
		}
	}
	free(p);
	return ret;
}

static double race_secs(void)
{
	const char *s = getenv("ALLOC_SECS");
	double v = s ? atof(s) : 3;

	return v < 0.5 ? 0.5 : v > 600 ? 600 : v;
}

static int buffered_reader_never_sees_stale_data(void)
{
	struct extent *old = calloc(MAX_EXTENTS, sizeof(*old));
	struct extent *ext = calloc(MAX_EXTENTS, sizeof(*ext));
	uint64_t *seq_of = calloc(RACE_BLOCKS, sizeof(*seq_of));
	unsigned char *bufs = block_buf(RACE_QD * BLK, 0);
	struct iocb cbs[RACE_QD], *cbp[RACE_QD];
	int fd = -1, nold, nr, i, slot, status, ret = -1;
	int free_slots[RACE_QD], nfree = RACE_QD, inflight = 0;
	struct io_event ev[RACE_QD];
	int64_t t0, deadline;
	uint64_t k = 0, seq = 0;
	aio_context_t ctx = 0;
	double secs = race_secs();
	long hits = 0, n;
	struct statvfs sv;
	char path[512];
	off_t stale_len;
	pid_t pid = -1;

	race = mmap(NULL, sizeof(*race), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (race == MAP_FAILED || !old || !ext || !seq_of || !bufs)
		return fail("out of memory");
	memset(race, 0, sizeof(*race));
	/* Written data costs UML memory: STALE_LEN at most. */
	if (statvfs(dir, &sv))
		return fail("statvfs: %s", strerror(errno));
	stale_len = (off_t)sv.f_bfree * sv.f_frsize / 4 * 3;
	if (stale_len > STALE_LEN)
		stale_len = STALE_LEN;
	stale_len -= stale_len % CHUNK;
	if (stale_len < CHUNK)
		return fail("only %llu bytes free",
			    (unsigned long long)sv.f_bavail * sv.f_frsize);
	nold = free_stale_blocks(stale_len, old, MAX_EXTENTS);
	if (nold < 0)
		return -1;
	fd = sparse_file("race", RACE_SIZE);
	if (fd < 0)
		return -1;
	if (syscall(SYS_io_setup, RACE_QD, &ctx)) {
		fail("io_setup: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < RACE_QD; i++)
		free_slots[i] = i;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		buffered_reader("race");
	t0 = now_ns();
	deadline = t0 + (int64_t)(secs * 1e9);
	/* Every fourth block ascending, then the next ones, ... */
	for (;;) {
		nr = 0;
		while (nfree && k < RACE_BLOCKS && now_ns() < deadline) {
			uint64_t b = k % (RACE_BLOCKS / 4) * 4 +
				     k / (RACE_BLOCKS / 4);

			slot = free_slots[--nfree];
			seq_of[b] = ++seq;
			race_write(fd, bufs, cbs, slot, b, seq);
			cbp[nr++] = &cbs[slot];
			k++;
		}
		if (nr && submit(ctx, cbp, nr))
			goto out;
		inflight += nr;
		if (!inflight)
			break;
		n = reap(ctx, 1, inflight, ev);
		if (n < 0)
			goto out;
		for (i = 0; i < n; i++) {
			if (ev[i].res != BLK) {
				fail("write of block %llu: res %lld",
				     (unsigned long long)
				     cbs[ev[i].data].aio_offset / BLK,
				     (long long)ev[i].res);
				goto out;
			}
			free_slots[nfree++] = ev[i].data;
		}
		inflight -= n;
	}
	while (now_ns() < deadline)
		sleep_ms(10);
	__atomic_store_n(&race->stop, 1, __ATOMIC_RELEASE);
	waitpid(pid, &status, 0);
	pid = -1;
	nr = extents_of(fd, ext, MAX_EXTENTS);
	if (nr < 0)
		goto out;
	hits = on_stale(ext, nr, old, nold, seq_of);
	printf("# %s: %lld MiB of stale data freed (%d extents), %lld MiB filler; ",
	       case_name, (long long)stale_len >> 20, nold, filler_len >> 20);
	printf("%llu writes into holes of a %d MiB file in %.1f s (QD %d), ",
	       (unsigned long long)seq, RACE_SIZE >> 20, secs, RACE_QD);
	printf("%ld of them on freed stale blocks\n", hits);
	printf("# %s: buffered reader: %ld sweeps, %ld blocks read: ",
	       case_name, race->sweeps, race->blocks);
	printf("%ld zeros, %ld written, %ld stale, %ld other\n", race->zeros,
	       race->data, race->stale, race->bad);
	if (race->stale || race->bad)
		fail("%ld stale and %ld other bad blocks read, first: %s",
		     race->stale, race->bad, race->first_bad);
	else if (!race->sweeps)
		fail("the reader did not finish one sweep");
	else if (verify_race(fd, seq_of))
		;
	else if (!hits)
		fail("no write landed on a freed stale block: the case proves nothing");
	else
		ret = 0;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/filler", dir);
	unlink(path);
	free(old);
	free(ext);
	free(seq_of);
	free(bufs);
	return ret;
}

/* What a write's result and errno say, for the figures. */
static const char *result(ssize_t n, int err)
{
	return n < 0 ? strerror(err) : n == BLK ? "written" : "short";
}

/* pwritev2() of block NOWAIT_BLOCK from @p; its result, errno in @err. */
static ssize_t write_nowait_block(int fd, void *p, int flags, int *err,
				  double *ms)
{
	struct iovec iov = { .iov_base = p, .iov_len = BLK };
	int64_t t0 = now_ns();
	ssize_t n;

	errno = 0;
	n = pwritev2(fd, &iov, 1, (off_t)NOWAIT_BLOCK * BLK, flags);
	*err = errno;
	*ms = ns_to_ms(now_ns() - t0);
	return n;
}

static int nowait_hole_write_gets_eagain(void)
{
	unsigned char *p = block_buf(BLK, 0), *q = block_buf(BLK, 0xee);
	struct stat st0, st1;
	int fd, err, ret = -1;
	double ms;
	char s[96];
	ssize_t n;

	if (!p || !q)
		return fail("out of memory");
	stamp_block(p, NOWAIT_BLOCK, 1);
	fd = sparse_file("nowait", NOWAIT_SIZE);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st0)) {
		fail("fstat: %s", strerror(errno));
		goto out;
	}
	n = write_nowait_block(fd, p, RWF_NOWAIT, &err, &ms);
	if (fstat(fd, &st1)) {
		fail("fstat: %s", strerror(errno));
		goto out;
	}
	if (pread(fd, q, BLK, (off_t)NOWAIT_BLOCK * BLK) != BLK) {
		fail("read-back of block %d: %s", NOWAIT_BLOCK, strerror(errno));
		goto out;
	}
	printf("# %s: RWF_NOWAIT write into a hole: %zd (%s) in %.2f ms; ",
	       case_name, n, result(n, err), ms);
	printf("size %lld -> %lld, %lld -> %lld blocks, block reads %s\n",
	       (long long)st0.st_size, (long long)st1.st_size,
	       (long long)st0.st_blocks, (long long)st1.st_blocks,
	       what(q, s, sizeof(s)));
	if (n >= 0 || err != EAGAIN) {
		fail("RWF_NOWAIT write into a hole: %zd (%s), want EAGAIN", n,
		     result(n, err));
		goto out;
	}
	if (st1.st_size != st0.st_size || st1.st_blocks != st0.st_blocks) {
		fail("after EAGAIN size %lld -> %lld, blocks %lld -> %lld: want both unchanged",
		     (long long)st0.st_size, (long long)st1.st_size,
		     (long long)st0.st_blocks, (long long)st1.st_blocks);
		goto out;
	}
	if (!is_zero(q, BLK)) {
		fail("after EAGAIN block %d reads back as %s, want zeros",
		     NOWAIT_BLOCK, what(q, s, sizeof(s)));
		goto out;
	}
	/* The control: the same write, allowed to wait, is fine. */
	n = write_nowait_block(fd, p, 0, &err, &ms);
	printf("# %s: the same write without RWF_NOWAIT: %zd (%s) in %.2f ms\n",
	       case_name, n, result(n, err), ms);
	if (n != BLK) {
		fail("the write without RWF_NOWAIT: %zd (%s), want %d", n,
		     result(n, err), BLK);
		goto out;
	}
	if (fstat(fd, &st1)) {
		fail("fstat: %s", strerror(errno));
		goto out;
	}
	if (st1.st_size != st0.st_size)
		fail("the write without RWF_NOWAIT changed the size %lld -> %lld",
		     (long long)st0.st_size, (long long)st1.st_size);
	else
		ret = check_written(fd, NOWAIT_BLOCK, 1);
out:
	close(fd);
	free(p);
	free(q);
	return ret;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "parallel_hole_writes_do_not_wait",
	  parallel_hole_writes_do_not_wait },
	{ "nowait_hole_write_gets_eagain", nowait_hole_write_gets_eagain },
	{ "concurrent_hole_writes_verified", concurrent_hole_writes_verified },
	{ "buffered_reader_never_sees_stale_data",
	  buffered_reader_never_sees_stale_data },
};

int main(int argc, char **argv)
{
	int list = argc == 3 && !strcmp(argv[1], "--list");
	const char *fs = argc == 4 || list ? argv[1 + list] : "";
	int failures = 0;
	struct stat st;
	size_t i;

	if (strcmp(fs, "xfs") && strcmp(fs, "ext4")) {
		fprintf(stderr, "usage: %s xfs|ext4 DIR DEV | --list xfs|ext4\n",
			argv[0]);
		return 2;
	}
	for (i = 0; list && i < ARRAY_SIZE(cases); i++)
		printf("%s\n", cases[i].name);
	if (list)
		return 0;
	dir = argv[2];
	dev_path = argv[3];
	if (stat(dev_path, &st) || !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "%s: not a block device\n", dev_path);
		return 2;
	}
	throttle_init(&thr, "ALLOC_CGROUP", major(st.st_rdev), minor(st.st_rdev));
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		failures += !!run_case_forked(cases[i].name, cases[i].fn,
					      CASE_LIMIT_MS);
	return failures ? 1 : 0;
}
