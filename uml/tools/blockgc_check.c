// SPDX-License-Identifier: GPL-2.0
/*
 * blockgc_check - how long a buffered writer takes to get ENOSPC on XFS
 * while aio direct reads keep the iolock of another file held shared
 * without a gap.  Prints one line per case, after the figures it measured:
 *
 *	# NAME key=value ...
 *	case NAME ok
 *	case NAME fail WHY
 *
 * blockgc_check DIR - XFS mounted at DIR.  Each case makes file A by
 * buffered appends and an fsync, keeping a writable descriptor open so
 * that no close trims the speculative preallocation XFS left past EOF,
 * and requires such post-EOF blocks (st_blocks * 512 over the size in
 * blocks).  A process then fills the filesystem with buffered writes to a
 * new file B until write() fails.  A write that hits ENOSPC makes XFS run
 * the synchronous post-EOF trim (xfs_blockgc_free_space() with
 * XFS_ICWALK_FLAG_SYNC) before it retries; the trim needs each tagged
 * inode's iolock exclusively, and where it only trylocks, it retries the
 * whole walk a tick later for as long as that fails.  The writer must get
 * ENOSPC, and A's post-EOF blocks must be gone (the trim ran).
 *
 *	fill_baseline	nothing else runs: the time of the fill, fill_s
 *	fill_with_aio	another process keeps QD 32 O_DIRECT aio reads of A
 *			in flight, resubmitting each completion at once; the
 *			writer must get ENOSPC within 3 x fill_s + 5 s and
 *			never later than 60 s.  At 60 s a watchdog stops the
 *			reader, so the case fails with the time it measured
 *			instead of hanging.
 *
 * The reader first times a few serial reads (read_lat_ms).  On UML's one
 * CPU, reads submitted together complete together, and while the reader
 * resubmits such a batch none is in flight: so it never submits two reads
 * less than read_lat_ms / QD apart (the first QD go out spread over the
 * latency, and so does a batch that completed together), and consecutive
 * reads are STRIDE blocks apart so that the block layer cannot merge them.
 *
 * Figures: fill_s (first write to the failing one), the slowest single
 * write() (the one that trimmed) and the one that failed, MiB written,
 * A's post-EOF KiB before and after; the reader's latency, the reads
 * completed while the writer ran, their rate and the mean number in
 * flight that gives (rate x latency), the reader's io_getevents() calls
 * in that time, how many left no read in flight (drained: a moment the
 * trylock could succeed, unless the reader was stopped) and the most one
 * returned, and the same counts within write() calls running over
 * SLOW_MS.  blockgc_check --list names the cases.  Raw aio system calls,
 * libc only.  Every case runs in a process of its own, and a case that
 * gives no result within its bound is reported as failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define BLK		4096
#define A_LEN		(4 << 20)	/* file A, by buffered appends */
#define A_CHUNK		(64 << 10)	/* one append */
#define QD		32		/* aio reads of A in flight */
#define IO_LEN		BLK		/* one read */
#define STRIDE		37		/* blocks between consecutive reads */
#define FILL_CHUNK	(1024 * 1024)	/* one write() of the fill */
#define MAGIC		0x626c6f636b67630aULL	/* stamps A's blocks */
#define READY_MS	5000.0		/* the reader's first completions */
#define WATCHDOG_MS	60000.0		/* then the reader is stopped */
#define GRACE_MS	20000.0		/* for ENOSPC after that */
#define POLL_MS		100.0		/* the case waits for the writer */
#define PROBES		8		/* serial reads timing the device */
#define SLOW_MS		50.0		/* a write() this long is trimming */
#define BOUND_X		3.0		/* the bound: 3 x baseline + 5 s */
#define BOUND_PLUS_S	5.0
#define CASE_LIMIT_MS	110000.0
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *dir;

/*
 * What the processes of a case saw, in memory shared across fork(); the
 * baseline's fill time survives into the next case.  Times are
 * CLOCK_MONOTONIC milliseconds.
 */
static struct shared {
	int reader_stop;	/* set by the case: drain and exit */
	long reads;		/* completed reads of A */
	long bad_reads;		/* short, failed, or wrong data */
	long first_bad_res;
	int reader_err;		/* the system call that failed, if any */
	double lat_ms;		/* median of PROBES serial reads */
	long harvests;		/* io_getevents() calls while filling */
	long drained;		/* of which left no read in flight */
	long max_batch;		/* most reads one of them returned */
	long slow_harvests;	/* those in a write() running SLOW_MS */
	long slow_drained;
	double write_start;	/* the filler's current write() began */
	int fill_done;
	int fill_err;		/* errno of the write() that ended the fill */
	int short_writes;
	long long written;
	double fill_start, fill_end;
	double slowest_ms, slowest_at_mib, failing_ms;
	double baseline_s;	/* 0 until fill_baseline passed */
} *sh;

static char *path_of(const char *name)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

/* The stamp at the start of A's block @blk. */
static __u64 stamp(off_t blk)
{
	return MAGIC ^ (__u64)blk;
}

/* Blocks past A's size rounded up to a block, in KiB. */
static double post_eof_kib(const struct stat *st)
{
	long long in_size = (st->st_size + BLK - 1) / BLK * BLK;

	return ((long long)st->st_blocks * 512 - in_size) / 1024.0;
}

static double free_mib(void)
{
	struct statvfs sv;

	if (statvfs(dir, &sv))
		return -1;
	return (double)sv.f_bavail * sv.f_frsize / (1 << 20);
}

/*
 * Remove what a case left and wait until the space is free again: XFS
 * frees an unlinked file's blocks in the background (inode inactivation).
 */
static void clean_dir(void)
{
	double t0 = now_ms(), last = -1, cur;
	int fd;

	unlink(path_of("A"));
	unlink(path_of("B"));
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	for (;;) {
		if (fd >= 0)
			syncfs(fd);
		cur = free_mib();
		if (cur == last || now_ms() - t0 > 3000)
			break;
		last = cur;
		sleep_ms(100);
	}
	if (fd >= 0)
		close(fd);
}

/*
 * File A: buffered appends of A_CHUNK up to A_LEN, each block stamped,
 * then fsync.  The descriptor stays open: the first close of a writable
 * descriptor would trim the post-EOF blocks this case is about.
 */
static int make_a(struct stat *st)
{
	unsigned char *p = malloc(A_CHUNK);
	off_t off;
	int fd, i;

	fd = open(path_of("A"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || !p) {
		free(p);
		return fail("creating A: %s", strerror(errno));
	}
	for (off = 0; off < A_LEN; off += A_CHUNK) {
		memset(p, 0xa5, A_CHUNK);
		for (i = 0; i < A_CHUNK / BLK; i++) {
			__u64 s = stamp(off / BLK + i);

			memcpy(p + i * BLK, &s, sizeof(s));
		}
		if (write(fd, p, A_CHUNK) != A_CHUNK) {
			fail("appending to A: %s", strerror(errno));
			goto err;
		}
	}
	if (fsync(fd) || fstat(fd, st)) {
		fail("fsync A: %s", strerror(errno));
		goto err;
	}
	free(p);
	return fd;
err:
	free(p);
	close(fd);
	return -1;
}

static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "none";
}

static void prep_read(struct iocb *cb, int fd, void *p, off_t off)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_lio_opcode = IOCB_CMD_PREAD;
	cb->aio_fildes = fd;
	cb->aio_buf = (uintptr_t)p;
	cb->aio_nbytes = IO_LEN;
	cb->aio_offset = off;
	cb->aio_data = (uintptr_t)p;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median time of PROBES serial reads of A through @ctx, in ms. */
static double probe_latency(aio_context_t ctx, int fd, void *p)
{
	double t[PROBES];
	struct iocb cb, *cbp = &cb;
	struct io_event ev;
	int i;

	for (i = 0; i < PROBES; i++) {
		double t0 = now_ms();

		prep_read(&cb, fd, p, (off_t)i * IO_LEN);
		if (syscall(SYS_io_submit, ctx, 1, &cbp) != 1 ||
		    syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) != 1)
			return -1;
		t[i] = now_ms() - t0;
	}
	qsort(t, PROBES, sizeof(t[0]), cmp_double);
	return t[PROBES / 2];
}

/*
 * Where read @k goes: A's blocks in a stride of STRIDE blocks (prime to
 * their number), so that no two reads in flight are adjacent and the
 * block layer cannot merge them into one request that completes them at
 * once.
 */
static off_t read_off(long k)
{
	return (off_t)(k * STRIDE % (A_LEN / BLK)) * BLK;
}

/* Wait up to @ms for completions of @ctx; how many, or -1. */
static long harvest(aio_context_t ctx, struct io_event *ev, double ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ms / 1e3),
		.tv_nsec = (long)((ms - (time_t)(ms / 1e3) * 1e3) * 1e6),
	};
	long n;

	do {
		n = syscall(SYS_io_getevents, ctx, 1, QD, ev, &ts);
	} while (n < 0 && errno == EINTR);
	return n;
}

/* Check one completed read of A; 1 if it is good. */
static int read_ok(const struct io_event *ev)
{
	const struct iocb *cb = (const struct iocb *)(uintptr_t)ev->obj;
	__u64 s;

	memcpy(&s, (void *)(uintptr_t)cb->aio_buf, sizeof(s));
	if (ev->res == IO_LEN && s == stamp(cb->aio_offset / BLK))
		return 1;
	if (!sh->bad_reads)
		sh->first_bad_res = ev->res;
	sh->bad_reads++;
	return 0;
}

/*
 * Child: QD reads of A in flight until told to stop, then drain.  Each
 * completion is checked and its iocb resubmitted (at the next offset) at
 * once, but never less than lat_ms / QD after the previous submission:
 * on one CPU, reads submitted together complete together, and while the
 * reader resubmits a batch that held every read in flight none is in
 * flight.  So the first QD go out spread over the device's latency, and
 * a batch that completed together is spread again; the reader waits for
 * completions meanwhile.  A harvest after which no read was in flight
 * counts as drained.  Exit status: 0, or the step that failed.
 */
static void reader(int fd)
{
	struct iocb cbs[QD], *ready[QD];
	struct io_event ev[QD];
	aio_context_t ctx = 0;
	int inflight = 0, nready = 0, first = 0, stop = 0, i;
	double gap, next_at = 0;
	unsigned char *bufs;
	long k = 0;

	if (posix_memalign((void **)&bufs, BLK, QD * IO_LEN) ||
	    syscall(SYS_io_setup, QD, &ctx)) {
		sh->reader_err = errno;
		_exit(10);
	}
	sh->lat_ms = probe_latency(ctx, fd, bufs);
	if (sh->lat_ms < 0) {
		sh->reader_err = errno;
		_exit(11);
	}
	gap = sh->lat_ms / QD;
	for (i = 0; i < QD; i++) {
		prep_read(&cbs[i], fd, bufs + i * IO_LEN, 0);
		ready[nready++] = &cbs[i];
	}
	for (;;) {
		double t = now_ms();
		long n;

		stop = __atomic_load_n(&sh->reader_stop, __ATOMIC_ACQUIRE);
		if (nready && !stop && t >= next_at) {
			struct iocb *cb = ready[first];

			cb->aio_offset = read_off(k++);
			if (syscall(SYS_io_submit, ctx, 1, &cb) != 1) {
				sh->reader_err = errno;
				_exit(12);
			}
			first = (first + 1) % QD;
			nready--;
			inflight++;
			next_at = t + gap;
			continue;
		}
		if (!inflight && (stop || !nready))
			break;
		if (!inflight) {
			sleep_ms(next_at - t);
			continue;
		}
		n = harvest(ctx, ev, nready && !stop ? next_at - t : 1000);
		if (n < 0) {
			sh->reader_err = errno;
			_exit(13);
		}
		inflight -= n;
		sh->reads += n;
		if (n && !stop && sh->fill_start &&
		    !__atomic_load_n(&sh->fill_done, __ATOMIC_ACQUIRE)) {
			sh->harvests++;
			sh->drained += !inflight;
			if (n > sh->max_batch)
				sh->max_batch = n;
			if (now_ms() - sh->write_start > SLOW_MS) {
				sh->slow_harvests++;
				sh->slow_drained += !inflight;
			}
		}
		for (i = 0; i < n; i++) {
			read_ok(&ev[i]);
			ready[(first + nready++) % QD] =
				(struct iocb *)(uintptr_t)ev[i].obj;
		}
	}
	syscall(SYS_io_destroy, ctx);
	_exit(0);
}

/* Child: buffered writes to B (@fd) until one fails; the figures in sh. */
static void filler(int fd)
{
	char *p = malloc(FILL_CHUNK);

	if (!p) {
		sh->fill_err = ENOMEM;
		sh->fill_start = now_ms();
		sh->fill_end = sh->fill_start;
		__atomic_store_n(&sh->fill_done, 1, __ATOMIC_RELEASE);
		_exit(10);
	}
	memset(p, 0x5a, FILL_CHUNK);
	sh->fill_start = now_ms();
	for (;;) {
		double t0 = now_ms(), t1;
		ssize_t n;

		sh->write_start = t0;
		n = write(fd, p, FILL_CHUNK);

		t1 = now_ms();
		if (t1 - t0 > sh->slowest_ms) {
			sh->slowest_ms = t1 - t0;
			sh->slowest_at_mib = (double)sh->written / (1 << 20);
		}
		if (n <= 0) {
			sh->fill_err = n ? errno : EIO;
			sh->failing_ms = t1 - t0;
			break;
		}
		if (n < FILL_CHUNK)
			sh->short_writes++;
		sh->written += n;
	}
	sh->fill_end = now_ms();
	__atomic_store_n(&sh->fill_done, 1, __ATOMIC_RELEASE);
	_exit(0);
}

static pid_t fork_child(void (*fn)(int), int fd)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		fn(fd);
	if (pid > 0)
		close(fd);
	return pid;
}

/* Stop the reader and reap it within 5 s; its exit status, or -1. */
static int reader_end(pid_t pid)
{
	double end = now_ms() + 5000;
	int status;

	__atomic_store_n(&sh->reader_stop, 1, __ATOMIC_RELEASE);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 || now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		sleep_ms(5);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int fill_case(int with_aio)
{
	double t0, wd_at = 0, fill_s, bound_s = 0, rate, free_start;
	long reads_before = 0, reads_fill;
	int afd, bfd, rfd, rstatus = 0, watchdog = 0, trimmed, status;
	struct stat before, after;
	pid_t rpid = -1, fpid;

	memset(sh, 0, offsetof(struct shared, baseline_s));
	clean_dir();
	afd = make_a(&before);
	if (afd < 0)
		return -1;
	if (post_eof_kib(&before) <= 0) {
		close(afd);
		return fail("A (%lld bytes, %lld blocks) has no post-EOF blocks",
			    (long long)before.st_size,
			    (long long)before.st_blocks);
	}
	free_start = free_mib();
	printf("# %s a_size_kib=%lld a_post_eof_kib=%.0f free_mib=%.1f\n",
	       case_name, (long long)before.st_size / 1024,
	       post_eof_kib(&before), free_start);
	if (with_aio) {
		rfd = open(path_of("A"), O_RDONLY | O_DIRECT);
		if (rfd < 0)
			return fail("open A O_DIRECT: %s", strerror(errno));
		rpid = fork_child(reader, rfd);
		if (rpid < 0)
			return fail("fork: %s", strerror(errno));
		t0 = now_ms();
		while (sh->reads < 4 * QD && !sh->reader_err &&
		       now_ms() - t0 < READY_MS)
			sleep_ms(5);
		if (sh->reads < 4 * QD) {
			reader_end(rpid);
			return fail("the reader completed %ld reads in %.0f ms (%s)",
				    sh->reads, READY_MS,
				    strerror(sh->reader_err));
		}
		reads_before = sh->reads;
	}
	bfd = open(path_of("B"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (bfd < 0)
		return fail("creating B: %s", strerror(errno));
	fpid = fork_child(filler, bfd);
	if (fpid < 0)
		return fail("fork: %s", strerror(errno));
	t0 = now_ms();
	while (!__atomic_load_n(&sh->fill_done, __ATOMIC_ACQUIRE)) {
		double t = now_ms();

		if (with_aio && !watchdog && t - t0 > WATCHDOG_MS) {
			/* The reader's exit lets the trim take the iolock. */
			watchdog = 1;
			wd_at = t - t0;
			__atomic_store_n(&sh->reader_stop, 1, __ATOMIC_RELEASE);
		}
		if (t - t0 > WATCHDOG_MS + GRACE_MS) {
			if (with_aio)
				reader_end(rpid);
			return fail("no ENOSPC after %.1f s (%.1f MiB written, %s %.1f s)",
				    (t - t0) / 1e3,
				    (double)sh->written / (1 << 20),
				    "reader stopped at", wd_at / 1e3);
		}
		sleep_ms(POLL_MS);
	}
	fill_s = (sh->fill_end - sh->fill_start) / 1e3;
	reads_fill = sh->reads - reads_before;
	if (with_aio)
		rstatus = reader_end(rpid);
	waitpid(fpid, &status, 0);
	if (fstat(afd, &after))
		return fail("fstat A: %s", strerror(errno));
	trimmed = after.st_blocks < before.st_blocks && post_eof_kib(&after) <= 0;
	printf("# %s fill_s=%.2f written_mib=%.1f short_writes=%d",
	       case_name, fill_s, (double)sh->written / (1 << 20),
	       sh->short_writes);
	printf(" slowest_write_s=%.2f at_mib=%.0f failing_write_s=%.2f errno=%s",
	       sh->slowest_ms / 1e3, sh->slowest_at_mib, sh->failing_ms / 1e3,
	       errno_name(sh->fill_err));
	printf(" a_post_eof_kib_after=%.0f trimmed=%d\n", post_eof_kib(&after),
	       trimmed);
	if (with_aio) {
		rate = fill_s > 0 ? reads_fill / fill_s : 0;
		printf("# %s qd=%d read_lat_ms=%.2f reads_during_fill=%ld reads_per_s=%.0f",
		       case_name, QD, sh->lat_ms, reads_fill, rate);
		/* Little's law: the mean number of reads in flight. */
		printf(" mean_in_flight=%.1f", rate * sh->lat_ms / 1e3);
		printf(" bad_reads=%ld harvests=%ld drained=%ld max_batch=%ld",
		       sh->bad_reads, sh->harvests, sh->drained, sh->max_batch);
		printf(" in_slow_writes: harvests=%ld drained=%ld watchdog=%d\n",
		       sh->slow_harvests, sh->slow_drained, watchdog);
		if (sh->baseline_s > 0) {
			bound_s = BOUND_X * sh->baseline_s + BOUND_PLUS_S;
			if (bound_s > WATCHDOG_MS / 1e3)
				bound_s = WATCHDOG_MS / 1e3;
			printf("# %s fill_s=%.2f fill_with_aio_s=%.2f ratio=%.2f bound_s=%.1f\n",
			       case_name, sh->baseline_s, fill_s,
			       fill_s / sh->baseline_s, bound_s);
		} else {
			printf("# %s fill_with_aio_s=%.2f (no baseline)\n",
			       case_name, fill_s);
		}
	}
	close(afd);
	clean_dir();
	if (sh->fill_err != ENOSPC)
		return fail("the fill ended with %s, not ENOSPC",
			    strerror(sh->fill_err));
	if (with_aio && watchdog)
		return fail("no ENOSPC within %.0f s: %s, ENOSPC came at %.1f s",
			    WATCHDOG_MS / 1e3, "the watchdog stopped the reader then",
			    fill_s);
	if (with_aio && (rstatus || sh->bad_reads))
		return fail("reader: exit %d (%s), %ld bad reads (first res %ld)",
			    rstatus, strerror(sh->reader_err), sh->bad_reads,
			    sh->first_bad_res);
	if (!trimmed)
		return fail("A's post-EOF blocks were not trimmed (%.0f KiB left, %.0f KiB before)",
			    post_eof_kib(&after), post_eof_kib(&before));
	if (!with_aio) {
		sh->baseline_s = fill_s;
		return 0;
	}
	if (!sh->baseline_s)
		return fail("no baseline; ENOSPC after %.1f s", fill_s);
	if (fill_s > bound_s)
		return fail("ENOSPC after %.1f s, %.1fx the baseline %.1f s (bound %.1f s)",
			    fill_s, fill_s / sh->baseline_s, sh->baseline_s,
			    bound_s);
	return 0;
}

static int fill_baseline(void)
{
	return fill_case(0);
}

static int fill_with_aio(void)
{
	return fill_case(1);
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "fill_baseline", fill_baseline },
	{ "fill_with_aio", fill_with_aio },
};

int main(int argc, char **argv)
{
	int failures = 0;
	size_t i;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < ARRAY_SIZE(cases); i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR | --list\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (run_case_forked(cases[i].name, cases[i].fn, CASE_LIMIT_MS))
			failures++;
	return failures ? 1 : 0;
}
