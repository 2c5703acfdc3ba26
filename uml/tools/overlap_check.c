// SPDX-License-Identifier: GPL-2.0
/*
 * overlap_check FS DIR DEV - a sub-block direct write that zeroes part of
 * its block (into a hole, into an unwritten extent, or past EOF) is still
 * in flight when an aligned direct write of the whole block runs, on a
 * real filesystem (xfs or ext4) mounted at DIR on the block device DEV.
 * overlap_check --list FS names the cases that apply to FS.  Prints one
 * line per case, after "# NAME: ..." diagnostics:
 *
 *	case NAME ok
 *	case NAME fail WHY
 *
 * The sub-block write is issued with io_submit() by a child that has joined
 * the cgroup named by $OVERLAP_CGROUP, whose io.max limits writes to DEV to
 * a few per second, so blk-throttle holds its bios (zeroing and data) back
 * for a second or so.  Once io_submit() has returned, the parent, not
 * throttled, writes the whole block with a synchronous O_DIRECT pwrite().
 * Whatever the kernel lets overlap, the block must then read back as one
 * of the two serial orders:
 *
 *	sub-block write, then aligned write: all aligned data;
 *	aligned write, then sub-block write: aligned data with the sub-block
 *	data at its offset, nothing else changed.
 *
 * Anything else (the sub-block write's zero padding landing over the
 * aligned data) is corruption.  A throttled case also fails when the
 * sub-block write completed too soon for the throttle to have held it, and
 * reports how long the aligned write took: a kernel that orders the two
 * makes it wait for the sub-block write.  The control case runs the same
 * overlap without the throttle.  Raw aio system calls, libc only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define BLK		4096
#define SUB		512
#define FILE_SIZE	(1024 * 1024)
#define OLD_BYTE	0x11
#define ALIGNED_BYTE	0x5a
#define SUB_BYTE	0xc3
/* Bound on every wait for the child, and on its wait for its write. */
#define WAIT_MS		10000
/* Idle time before a throttled case: blk-throttle starts a fresh slice. */
#define SETTLE_MS	300
#define MAX_WIOPS	10
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *dir, *cur;
static struct throttle thr;
static int failures;

static int open_in_dir(const char *name, int flags)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return open(path, flags | O_DIRECT, 0600);
}

static int open_file(const char *name)
{
	return open_in_dir(name, O_RDWR | O_CREAT | O_TRUNC);
}

static int open_append(const char *name)
{
	return open_in_dir(name, O_WRONLY | O_APPEND);
}

struct layout {
	const char *file;
	int (*setup)(int fd);
	off_t block;		/* the block both writes cover */
	off_t sub;		/* the sub-block write's offset in it */
	off_t size;		/* i_size after both writes, in either order */
};

static int make_hole(int fd)
{
	return ftruncate(fd, FILE_SIZE);
}

static int make_unwritten(int fd)
{
	return fallocate(fd, 0, 0, FILE_SIZE);
}

/*
 * Two written blocks, then EOF moved back into the second: a sub-block
 * write at EOF extends the file and iomap zeroes the rest of the block.
 * The fsync() writes back truncate's zeroing of the EOF page, which the
 * sub-block write would otherwise write back itself, throttled.
 */
static int make_eof_block(int fd)
{
	void *p = block_buf(2 * BLK, OLD_BYTE);
	int ret = -1;

	if (p && pwrite(fd, p, 2 * BLK, 0) == 2 * BLK &&
	    !ftruncate(fd, BLK + 1024) && !fsync(fd))
		ret = 0;
	free(p);
	return ret;
}

static const struct layout hole = {
	"hole", make_hole, 16 * BLK, 1024, FILE_SIZE,
};

static const struct layout unwritten = {
	"unwritten", make_unwritten, 16 * BLK, 1024, FILE_SIZE,
};

static const struct layout eof_block = {
	"eof", make_eof_block, BLK, 1024, 2 * BLK,
};

/* What the child tells the parent, once submitted and once completed. */
struct report {
	int stage;		/* 1: io_submit() returned, 2: event reaped */
	int failed;
	int64_t t_submit;	/* before io_submit() */
	int64_t t_queued;	/* after io_submit() */
	int64_t t_done;		/* after io_getevents() */
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

/*
 * The child: an aio write of @len bytes of SUB_BYTE at @off (ignored if @fd
 * is O_APPEND), throttled if @throttle.
 */
static void child_writer(int fd, off_t off, size_t len, int throttle,
			 int wfd)
{
	struct timespec ts = { WAIT_MS / 1000, (WAIT_MS % 1000) * 1000000 };
	struct report r = { .stage = 1 };
	aio_context_t ctx = 0;
	struct iocb cb, *cbp = &cb;
	struct io_event ev;
	void *p = block_buf(len, SUB_BYTE);
	long n;

	if (!p)
		child_fail(wfd, &r, "out of memory");
	if (throttle && join_cgroup(thr.cgroup))
		child_fail(wfd, &r, "joining %s: %s", thr.cgroup, strerror(errno));
	if (syscall(SYS_io_setup, 1, &ctx))
		child_fail(wfd, &r, "io_setup: %s", strerror(errno));
	memset(&cb, 0, sizeof(cb));
	cb.aio_lio_opcode = IOCB_CMD_PWRITE;
	cb.aio_fildes = fd;
	cb.aio_buf = (uintptr_t)p;
	cb.aio_nbytes = len;
	cb.aio_offset = off;
	r.t_submit = now_ns();
	if (syscall(SYS_io_submit, ctx, 1, &cbp) != 1)
		child_fail(wfd, &r, "io_submit: %s", strerror(errno));
	r.t_queued = now_ns();
	child_send(wfd, &r);
	r.stage = 2;
	n = syscall(SYS_io_getevents, ctx, 1, 1, &ev, &ts);
	r.t_done = now_ns();
	if (n < 0)
		child_fail(wfd, &r, "io_getevents: %s", strerror(errno));
	if (n != 1)
		child_fail(wfd, &r, "write not done after %d ms", WAIT_MS);
	r.res = ev.res;
	child_send(wfd, &r);
	_exit(0);
}

static int recv_report(int rfd, struct report *r, int stage)
{
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };

	if (poll(&pfd, 1, WAIT_MS) != 1)
		return fail("no word from the sub-block writer in %d ms",
			    WAIT_MS);
	if (read(rfd, r, sizeof(*r)) != sizeof(*r))
		return fail("the sub-block writer died");
	if (r->failed)
		return fail("sub-block writer: %s", r->why);
	if (r->stage != stage)
		return fail("sub-block writer: stage %d, want %d", r->stage,
			    stage);
	return 0;
}

static const char *byte_name(int b, char *s, size_t len)
{
	switch (b) {
	case 0:
		return "zeros";
	case ALIGNED_BYTE:
		return "aligned data";
	case SUB_BYTE:
		return "sub-block data";
	case OLD_BYTE:
		return "old data";
	}
	snprintf(s, len, "bytes %#x", b);
	return s;
}

/* Describe every run of equal bytes of @p in why[]: "0-1023 zeros, ...". */
static void describe(const unsigned char *p, const struct layout *l)
{
	size_t i, start, len;
	char s[16];

	len = snprintf(why, sizeof(why), "corrupted block at %lld: ",
		       (long long)l->block);
	for (i = 1, start = 0; i <= BLK && len < sizeof(why); i++) {
		if (i < BLK && p[i] == p[start])
			continue;
		len += snprintf(why + len, sizeof(why) - len, "%s%zu-%zu %s",
				start ? ", " : "", start, i - 1,
				byte_name(p[start], s, sizeof(s)));
		start = i;
	}
	if (len < sizeof(why))
		snprintf(why + len, sizeof(why) - len,
			 "; want all aligned data, or aligned data with sub-block data at %lld-%lld",
			 (long long)l->sub, (long long)(l->sub + SUB - 1));
}

/* The block holds one of the two serial orders' results. */
static int check_block(int fd, const struct layout *l, const char **order)
{
	unsigned char *p = block_buf(BLK, 0xee);
	unsigned char *first = block_buf(BLK, ALIGNED_BYTE);
	unsigned char *second = block_buf(BLK, ALIGNED_BYTE);
	ssize_t n;
	int ret = 0;

	if (!p || !first || !second)
		return fail("out of memory");
	memset(second + l->sub, SUB_BYTE, SUB);
	n = pread(fd, p, BLK, l->block);
	if (n != BLK) {
		ret = fail("read-back of the block: %zd, %s", n,
			   strerror(errno));
	} else if (!memcmp(p, first, BLK)) {
		*order = "sub-block write then aligned write";
	} else if (!memcmp(p, second, BLK)) {
		*order = "aligned write then sub-block write";
	} else {
		describe(p, l);
		ret = -1;
	}
	free(p);
	free(first);
	free(second);
	return ret;
}

/*
 * Submit the sub-block write in a child (throttled if @throttle), write
 * the whole block once io_submit() has returned, check both results, the
 * throttle and the data.
 */
static int overlap(const struct layout *l, int throttle)
{
	long long wiops = 0, wios = 0, min_hold = 0;
	struct report sub = { 0 }, done = { 0 };
	int fd, pfd[2], status, ret, err = 0;
	void *a = block_buf(BLK, ALIGNED_BYTE);
	const char *order = NULL;
	int64_t t0 = 0, t1 = 0;
	ssize_t n = 0;
	struct stat st;
	pid_t pid;

	if (!a)
		return fail("out of memory");
	if (throttle) {
		if (throttle_limit(&thr, &wiops, MAX_WIOPS))
			return -1;
		min_hold = 500 / wiops;
		wios = throttle_wios(&thr);
		usleep(SETTLE_MS * 1000);
	}
	fd = open_file(l->file);
	if (fd < 0 || l->setup(fd) || pipe(pfd))
		return fail("setup: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(pfd[0]);
		child_writer(fd, l->block + l->sub, SUB, throttle, pfd[1]);
	}
	close(pfd[1]);
	ret = recv_report(pfd[0], &sub, 1);
	if (!ret) {
		t0 = now_ns();
		n = pwrite(fd, a, BLK, l->block);
		err = errno;
		t1 = now_ns();
		ret = recv_report(pfd[0], &done, 2);
	}
	if (ret)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(pfd[0]);
	free(a);
	if (ret) {
		close(fd);
		return -1;
	}
	printf("# %s: aligned write took %.1f ms; ", cur, ns_to_ms(t1 - t0));
	printf("sub-block io_submit() %.1f ms, ",
	       ns_to_ms(sub.t_queued - sub.t_submit));
	printf("its event reaped %.1f ms after submission, %s the aligned write returned",
	       ns_to_ms(done.t_done - sub.t_submit),
	       done.t_done < t1 ? "before" : "after");
	if (throttle) {
		wios = throttle_wios(&thr) - wios;
		printf("; %lld bios in the throttled cgroup", wios);
	}
	printf("\n");
	if (n != BLK)
		ret = fail("aligned write: %zd, %s", n, strerror(err));
	else if (done.res != SUB)
		ret = fail("sub-block write: res %lld, want %d", done.res,
			   SUB);
	else
		ret = check_block(fd, l, &order);
	if (!ret && (fstat(fd, &st) || st.st_size != l->size))
		ret = fail("size %lld, want %lld", (long long)st.st_size,
			   (long long)l->size);
	close(fd);
	if (ret)
		return -1;
	printf("# %s: the block reads back as %s\n", cur, order);
	if (throttle && !wios)
		return fail("throttle not engaged: no write charged to %s",
			    thr.cgroup);
	if (throttle && done.t_done - sub.t_submit < min_hold * 1000000)
		return fail("throttle not engaged: %s %.1f ms, want >= %lld ms (io.max wiops=%lld)",
			    "the sub-block write completed after",
			    ns_to_ms(done.t_done - sub.t_submit), min_hold, wiops);
	return 0;
}

static int hole_vs_aligned(void)
{
	return overlap(&hole, 1);
}

static int unwritten_vs_aligned(void)
{
	return overlap(&unwritten, 1);
}

static int eof_tail_vs_aligned(void)
{
	return overlap(&eof_block, 1);
}

static int control_unthrottled(void)
{
	return overlap(&hole, 0);
}

/*
 * An O_APPEND write of a whole block from a file offset of 0, into a file
 * whose EOF is not block aligned: generic_write_checks() moves it to EOF,
 * so it is a sub-block write after all, and iomap zeroes the rest of the
 * new block past its end.  Throttled, it must still be ordered against an
 * aligned write of both blocks (which starts below EOF, so may run shared):
 * in either serial order both blocks end up all aligned data (the append
 * lands after it if it comes second).  XFS only: ext4 runs extending writes
 * synchronously, so there io_submit() itself waits and the case could not
 * fail.
 */
static int append_vs_aligned(void)
{
	unsigned char *a = block_buf(2 * BLK, ALIGNED_BYTE);
	unsigned char *back = block_buf(2 * BLK, 0xee);
	struct report sub = { 0 }, done = { 0 };
	int fd, afd, pfd[2], status, ret;
	long long wiops = 1;
	int64_t t0, t1;
	ssize_t n = 0;
	pid_t pid;

	if (!a || !back || throttle_limit(&thr, &wiops, MAX_WIOPS))
		return fail("setup: %s", a && back ? why : "out of memory");
	usleep(SETTLE_MS * 1000);
	fd = open_file("append");
	if (fd < 0 || pwrite(fd, a, SUB, 0) != SUB || fsync(fd) || pipe(pfd))
		return fail("setup: %s", strerror(errno));
	afd = open_append("append");
	if (afd < 0)
		return fail("O_APPEND open: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(pfd[0]);
		child_writer(afd, 0, BLK, 1, pfd[1]);
	}
	close(afd);
	close(pfd[1]);
	ret = recv_report(pfd[0], &sub, 1);
	if (!ret) {
		t0 = now_ns();
		n = pwrite(fd, a, 2 * BLK, 0);
		t1 = now_ns();
		ret = recv_report(pfd[0], &done, 2);
	}
	if (ret)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(pfd[0]);
	if (!ret) {
		printf("# %s: aligned write took %.1f ms; append reaped %.1f ms after submission\n",
		       cur, ns_to_ms(t1 - t0), ns_to_ms(done.t_done - sub.t_submit));
		if (n != 2 * BLK || done.res != BLK)
			ret = fail("aligned write %zd, append %lld", n, done.res);
		else if (pread(fd, back, 2 * BLK, 0) != 2 * BLK)
			ret = fail("read-back: %s", strerror(errno));
		else if (memcmp(back, a, 2 * BLK))
			ret = fail("blocks 0-1 match no serial order: bytes 512, 4608 are %#x %#x",
				   back[512], back[BLK + SUB]);
		else if (done.t_done - sub.t_submit < 500 / wiops * 1000000)
			ret = fail("throttle not engaged: the append completed after %.1f ms",
				   ns_to_ms(done.t_done - sub.t_submit));
	}
	close(fd);
	free(a);
	free(back);
	return ret;
}

enum { ANY, XFS, EXT4 };

static const struct {
	const char *name;
	int (*fn)(void);
	int fs;
} cases[] = {
	{ "control_overlap_unthrottled", control_unthrottled, ANY },
	{ "subblock_into_hole_vs_aligned_write", hole_vs_aligned, ANY },
	{ "subblock_into_unwritten_vs_aligned_write", unwritten_vs_aligned,
	  ANY },
	{ "subblock_eof_tail_zeroing_vs_aligned_write", eof_tail_vs_aligned,
	  XFS },
	{ "append_moved_to_unaligned_eof_vs_aligned_write", append_vs_aligned,
	  XFS },
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
	int fs = argc == 4 || list ? fs_of(argv[1 + list]) : -1;
	struct stat st;
	size_t i;

	if (fs < 0) {
		fprintf(stderr, "usage: %s xfs|ext4 DIR DEV | --list xfs|ext4\n",
			argv[0]);
		return 2;
	}
	for (i = 0; list && i < ARRAY_SIZE(cases); i++)
		if (cases[i].fs == ANY || cases[i].fs == fs)
			printf("%s\n", cases[i].name);
	if (list)
		return 0;
	dir = argv[2];
	if (stat(argv[3], &st) || !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "%s: not a block device\n", argv[3]);
		return 2;
	}
	throttle_init(&thr, "OVERLAP_CGROUP", major(st.st_rdev), minor(st.st_rdev));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].fs != ANY && cases[i].fs != fs)
			continue;
		cur = cases[i].name;
		why[0] = 0;
		if (cases[i].fn()) {
			printf("case %s fail %s\n", cur, why);
			failures++;
		} else {
			printf("case %s ok\n", cur);
		}
		fflush(stdout);
	}
	return failures ? 1 : 0;
}
