// SPDX-License-Identifier: GPL-2.0
/*
 * stall_check - how long an exclusive i_rwsem holder waits when direct I/O
 * holds i_rwsem until it completes.  Prints one line per case, after the
 * figures it measured:
 *
 *	# NAME key=value ...
 *	case NAME ok
 *	case NAME fail WHY
 *
 * stall_check poll FS DIR DEV - FS (xfs or ext4) mounted at DIR on the
 * null_blk disk DEV (a name of /sys/block), which has poll queues.  One
 * task submits an O_DIRECT read through io_uring and, before reaping it,
 * calls something that takes the file's i_rwsem exclusively (fchmod, a
 * buffered write, unlink of a second link).  With IORING_SETUP_IOPOLL the
 * read only completes when the ring is polled, and the only task that
 * would poll is the one now waiting for the lock: the hold must not
 * depend on the submitter making progress.  The operation must finish in
 * under a second and the read must return its data.  If the block layer's
 * timeout does not end the wait first, a watchdog process polls the ring
 * after 8 s and the case fails saying so.  The same with
 * SINGLE_ISSUER|DEFER_TASKRUN (completions posted only when the submitter
 * asks) and SQPOLL (the SQ thread issues, and with IOPOLL polls): those
 * wait until the device has the I/O, then allow 1 s plus device time.
 * Every line of figures gives the device's in-flight reads:writes before
 * the operation (/sys/block/DEV/inflight).
 *
 * stall_check throttle FS DIR CGROUP - a child in cgroup CGROUP, whose
 * io.max holds its writes to the device back, has a 64 KiB aio O_DIRECT
 * overwrite in flight; meanwhile unthrottled processes unlink the file,
 * rename another file over it, and create a file in the same directory
 * while the unlink is blocked.  Measurements: each must finish within
 * 10 s and leave data and names consistent; the write must still have
 * been in flight when the operation started.
 *
 * stall_check --list poll|throttle names the cases.  Raw aio and io_uring
 * system calls, libc only.  Every case runs in a process of its own, and
 * a case that gives no result within its bound is reported as failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define BLK		4096
#define FILE_LEN	(16 * BLK)	/* each test file, written by O_DIRECT */
#define IO_LEN		(4 * BLK)	/* one bio: polled I/O must be one bio */
#define BUF_OFF		(8 * BLK)	/* where the buffered write goes */
#define OP_LIMIT_MS	1000.0		/* the exclusive op, polled cases */
#define DEV_MS		100.0		/* device time allowed on top */
#define RESCUE_MS	8000		/* watchdog polls the ring after this */
#define REAP_MS		8000.0
#define ISSUE_TRIES	3		/* submissions to see one in flight */
#define THR_LEN		(16 * BLK)	/* the throttled write: 64 KiB */
#define THR_LIMIT_MS	10000.0
#define CASE_LIMIT_MS	25000.0
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *dir, *dev, *cgroup;

static char *path_of(const char *name)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

/* Byte @i of the data written with @seed: differs per 512-byte sector. */
static unsigned char pattern(size_t i, int seed)
{
	return (unsigned char)(seed + i / 512);
}

static void *buf(size_t len, int seed)
{
	unsigned char *p;
	size_t i;

	if (posix_memalign((void **)&p, BLK, len))
		return NULL;
	for (i = 0; i < len; i++)
		p[i] = seed < 0 ? 0 : pattern(i, seed);
	return p;
}

static int check_pattern(const unsigned char *p, size_t len, int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern(i, seed))
			return fail("byte %zu is %#x, want %#x", i, p[i],
				    pattern(i, seed));
	return 0;
}

/* A new file of FILE_LEN bytes written with O_DIRECT and synced. */
static int make_file(const char *name, int seed)
{
	void *p = buf(FILE_LEN, seed);
	int fd = open(path_of(name), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT,
		      0600);

	if (fd < 0 || !p || pwrite(fd, p, FILE_LEN, 0) != FILE_LEN ||
	    fsync(fd)) {
		fail("writing %s: %s", name, strerror(errno));
		free(p);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	free(p);
	return fd;
}

/* The first @len bytes of @name (read through the page cache) use @seed. */
static int file_has(const char *name, size_t off, size_t len, int seed)
{
	unsigned char *p = malloc(len);
	int fd = open(path_of(name), O_RDONLY), ret;

	if (fd < 0 || !p || pread(fd, p, len, off) != (ssize_t)len) {
		ret = fail("reading %s: %s", name, strerror(errno));
	} else {
		ret = check_pattern(p, len, seed);
		if (ret)
			fail("%s: %s", name, why);
	}
	free(p);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Requests in flight on the device, from /sys/block/DEV/inflight. */
static void dev_inflight(int *reads, int *writes)
{
	char path[256];
	FILE *f;

	*reads = *writes = -1;
	snprintf(path, sizeof(path), "/sys/block/%s/inflight", dev);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "%d %d", reads, writes) != 2)
		*reads = *writes = -1;
	fclose(f);
}

/*
 * Wait up to a second until the device has the I/O: io_uring first issues
 * with IOCB_NOWAIT and hands a refused request (an XFS write whose
 * timestamps need updating, say) to io-wq, which issues it later.  The
 * time waited in *ms; 0 once seen in flight.
 */
static int wait_issued(int write, int *reads, int *writes, double *ms)
{
	double t0 = now_ms();

	for (;;) {
		dev_inflight(reads, writes);
		*ms = now_ms() - t0;
		if ((write ? *writes : *reads) > 0)
			return 0;
		if (*ms > 1000)
			return fail("the %s never was in flight (inflight %d:%d)",
				    write ? "write" : "read", *reads, *writes);
		sleep_ms(0.2);
	}
}

/* tool.h's minimal io_uring: one ring of a few entries, the case's flags. */
static struct ring ring = { .fd = -1 };

/*
 * Queue one read or write and hand it to the kernel without waiting for
 * anything: io_uring_enter(to_submit=1, min_complete=0, no GETEVENTS), or
 * with SQPOLL, wake the SQ thread if it sleeps and wait until it has
 * consumed the entry (it issues the I/O before it moves the head).
 */
static int ring_submit(int op, int fd, void *p, size_t len, off_t off)
{
	unsigned int tail = *ring.sq_tail;
	double end;

	ring_prep(&ring, op, fd, p, len, off, len);
	if (!(ring.flags & IORING_SETUP_SQPOLL))
		return ring_submit_wait(&ring, 1, 0);

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(ring.sq_flags, __ATOMIC_RELAXED) &
	    IORING_SQ_NEED_WAKEUP)
		syscall(__NR_io_uring_enter, ring.fd, 0, 0,
			IORING_ENTER_SQ_WAKEUP, NULL, 0);
	end = now_ms() + 2000;
	while (__atomic_load_n(ring.sq_head, __ATOMIC_ACQUIRE) != tail + 1) {
		if (now_ms() > end)
			return fail("SQ thread did not take the entry in 2 s");
		sleep_ms(0.1);
	}
	return 0;
}

/* Wait up to @ms for the completion; its result in *res. */
static int ring_reap(long *res, double ms)
{
	double end = now_ms() + ms;
	struct io_uring_cqe cqe;

	for (;;) {
		if (ring_cqe(&ring, &cqe)) {
			*res = cqe.res;
			return 0;
		}
		if (now_ms() > end)
			return fail("no completion after %.0f ms", ms);
		if (syscall(__NR_io_uring_enter, ring.fd, 0, 0,
			    IORING_ENTER_GETEVENTS, NULL, 0) < 0 &&
		    errno != EINTR && errno != EAGAIN)
			return fail("io_uring_enter(getevents): %s",
				    strerror(errno));
		sleep_ms(1);
	}
}

/*
 * The watchdog for an IOPOLL ring: a child that shares the ring and, if
 * the case has not stopped it within RESCUE_MS, polls the ring itself, so
 * that a request nobody else polls completes and whatever waits for it
 * (the hung task detector panics the boot after 20 s) goes on.  Exits 3
 * when it had to poll.
 */
static pid_t watchdog_start(int *stop)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		double end;

		close(fds[1]);
		if (poll(&pfd, 1, RESCUE_MS) != 0)
			_exit(0);
		end = now_ms() + 5000;
		do {
			syscall(__NR_io_uring_enter, ring.fd, 0, 0,
				IORING_ENTER_GETEVENTS, NULL, 0);
		} while (poll(&pfd, 1, 10) == 0 && now_ms() < end);
		_exit(3);
	}
	close(fds[0]);
	*stop = fds[1];
	return pid;
}

/* 1 if the watchdog had to poll the ring, 0 if not. */
static int watchdog_stop(pid_t pid, int stop)
{
	int status;

	if (pid < 0)
		return 0;
	close(stop);
	if (waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 3;
}

/*
 * Make the next try's I/O tell from the last one's: a write gets a new
 * pattern (the file holds the reaped one's), a read buffer is cleared.
 */
static void fresh_io(int write, unsigned char *io, int *seed)
{
	size_t i;

	if (!write) {
		memset(io, 0, IO_LEN);
		return;
	}
	++*seed;
	for (i = 0; i < IO_LEN; i++)
		io[i] = pattern(i, *seed);
}

/*
 * Submit the read (or write) and see it in flight on the device.  A host
 * that deschedules UML for longer than the device delay lets the I/O
 * complete unseen, and the case would time an operation with nothing in
 * flight; then reap it and submit it again, with fresh data, up to
 * ISSUE_TRIES times.  *seed is the pattern the write carries.
 */
static int submit_seen_in_flight(int write, int fd, void *io, int *seed,
				 int *ir, int *iw, double *issue_ms,
				 int *tries)
{
	long res;

	for (*tries = 1;; ++*tries) {
		if (ring_submit(write ? IORING_OP_WRITE : IORING_OP_READ, fd,
				io, IO_LEN, 0))
			return -1;
		if (!wait_issued(write, ir, iw, issue_ms))
			return 0;
		if (!ring_has_cqe(&ring))
			return -1;
		if (*tries == ISSUE_TRIES)
			return fail("the %s completed unseen %d times",
				    write ? "write" : "read", ISSUE_TRIES);
		if (ring_reap(&res, 0))
			return -1;
		if (res != IO_LEN)
			return fail("the unseen %s returned %ld",
				    write ? "write" : "read", res);
		fresh_io(write, io, seed);
	}
}

/* The operations that take i_rwsem exclusively, on @fd's file. */
static int bfd = -1;

static int op_fchmod(int fd)
{
	static mode_t mode = 0644;

	mode ^= 0044;
	return fchmod(fd, mode);
}

static int op_buffered_write(int fd)
{
	void *p = buf(BLK, 0x70);
	int ret;

	(void)fd;
	ret = pwrite(bfd, p, BLK, BUF_OFF) == BLK ? 0 : -1;
	free(p);
	return ret;
}

static int op_unlink_link(int fd)
{
	(void)fd;
	return unlink(path_of("uring.link"));
}

enum what { FCHMOD, BUFFERED_WRITE, UNLINK_LINK };

static const struct {
	const char *name;
	int (*fn)(int fd);
} ops[] = {
	[FCHMOD] = { "fchmod", op_fchmod },
	[BUFFERED_WRITE] = { "buffered_write", op_buffered_write },
	[UNLINK_LINK] = { "unlink_link", op_unlink_link },
};

/*
 * One task: set up a ring with @flags, submit an O_DIRECT read (or write)
 * of IO_LEN bytes at 0 and do not reap it; time the operation @what on
 * the same file; then reap and check the result and the data.
 */
static int ring_case(unsigned int flags, int write, enum what what,
		     double limit_ms)
{
	int seed = write ? 0x30 : 0x10, fd, stop = -1, rescued, reaped, ret;
	int ir, iw, tries = 1;
	void *io = buf(IO_LEN, write ? 0x30 : -1);
	pid_t wd = -1;
	double t0, t1, issue_ms = 0;
	long res = 0;

	fd = make_file("uring", 0x10);
	if (fd < 0 || !io)
		return -1;
	if (what == BUFFERED_WRITE) {
		bfd = open(path_of("uring"), O_RDWR);
		if (bfd < 0)
			return fail("open: %s", strerror(errno));
	}
	if (what == UNLINK_LINK) {
		unlink(path_of("uring.link"));
		if (link(path_of("uring"), path_of("uring.link")))
			return fail("link: %s", strerror(errno));
	}
	if (ring_setup(&ring, 4, flags))
		return -1;
	/*
	 * A polled request stays in flight until polled, but with SQPOLL the
	 * SQ thread polls at once (null_blk completes a poll queue's requests
	 * on the first poll): that case only shows the operation is not held
	 * up, inflight_before says whether the read was still in flight.
	 */
	if (flags & IORING_SETUP_IOPOLL) {
		if (ring_submit(write ? IORING_OP_WRITE : IORING_OP_READ, fd,
				io, IO_LEN, 0))
			return -1;
		dev_inflight(&ir, &iw);
	} else if (submit_seen_in_flight(write, fd, io, &seed, &ir, &iw,
					 &issue_ms, &tries)) {
		return -1;
	}
	if (!(flags & IORING_SETUP_IOPOLL) && ring_has_cqe(&ring))
		return fail("the %s completed before the %s started",
			    write ? "write" : "read", ops[what].name);
	if (flags == IORING_SETUP_IOPOLL)
		wd = watchdog_start(&stop);
	t0 = now_ms();
	ret = ops[what].fn(fd);
	t1 = now_ms();
	if (ret)
		ret = errno;
	rescued = watchdog_stop(wd, stop);
	reaped = ring_reap(&res, REAP_MS);
	printf("# %s %s_ms=%.1f io_res=%ld inflight_before=%d:%d",
	       case_name, ops[what].name, t1 - t0, res, ir, iw);
	printf(" issue_wait_ms=%.1f issue_tries=%d rescued=%d\n", issue_ms,
	       tries, rescued);
	ring_exit(&ring);
	if (reaped)
		return -1;
	if (ret)
		return fail("%s: %s", ops[what].name, strerror(ret));
	if (rescued)
		return fail("%s waited %.0f ms: %s (io_res %ld)",
			    ops[what].name, t1 - t0,
			    "it only went on when a watchdog polled the ring",
			    res);
	if (t1 - t0 >= limit_ms)
		return fail("%s took %.0f ms (limit %.0f ms), the %s then returned %ld",
			    ops[what].name, t1 - t0, limit_ms,
			    write ? "write" : "read", res);
	if (res != IO_LEN)
		return fail("%s returned %ld, want %d",
			    write ? "write" : "read", res, IO_LEN);
	if (write ? file_has("uring", 0, IO_LEN, seed) :
		    check_pattern(io, IO_LEN, seed))
		return -1;
	if (what == BUFFERED_WRITE &&
	    (file_has("uring", BUF_OFF, BLK, 0x70) ||
	     file_has("uring", BUF_OFF + BLK, BLK, 0x10 + (BUF_OFF + BLK) /
						   512)))
		return -1;
	if (what == UNLINK_LINK && access(path_of("uring.link"), F_OK) == 0)
		return fail("uring.link still exists");
	return 0;
}

static int iopoll_read_fchmod(void)
{
	return ring_case(IORING_SETUP_IOPOLL, 0, FCHMOD, OP_LIMIT_MS);
}

static int iopoll_read_buffered_write(void)
{
	return ring_case(IORING_SETUP_IOPOLL, 0, BUFFERED_WRITE, OP_LIMIT_MS);
}

static int iopoll_read_unlink_link(void)
{
	return ring_case(IORING_SETUP_IOPOLL, 0, UNLINK_LINK, OP_LIMIT_MS);
}

#define DEFER	(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)

static int defer_taskrun_read_fchmod(void)
{
	return ring_case(DEFER, 0, FCHMOD, OP_LIMIT_MS + DEV_MS);
}

static int defer_taskrun_write_fchmod(void)
{
	return ring_case(DEFER, 1, FCHMOD, OP_LIMIT_MS + DEV_MS);
}

static int sqpoll_iopoll_read_fchmod(void)
{
	return ring_case(IORING_SETUP_SQPOLL | IORING_SETUP_IOPOLL, 0, FCHMOD,
			 OP_LIMIT_MS + DEV_MS);
}

static int sqpoll_write_fchmod(void)
{
	return ring_case(IORING_SETUP_SQPOLL, 1, FCHMOD, OP_LIMIT_MS + DEV_MS);
}

/*
 * The throttled writer and what the processes of a throttle case saw, in
 * memory shared across fork().  Times are CLOCK_MONOTONIC milliseconds.
 */
static struct shared {
	double submit;		/* io_submit() returned */
	double pending;		/* last time the write was seen in flight */
	double done;		/* its completion was reaped */
	long res;
	int data_ok;
	double start[2], end[2];
	int err[2];
} *sh;

/* The file the throttled writer overwrites, and the data's pattern. */
struct writer_arg {
	const char *name;
	int seed;
};

/* Child: join the throttled cgroup, overwrite the file by aio, watch it. */
static void writer(const void *arg, int ready)
{
	const struct writer_arg *a = arg;
	struct timespec zero = { 0 };
	aio_context_t ctx = 0;
	struct iocb cb = { 0 }, *cbp = &cb;
	struct io_event ev;
	char path[512];
	void *p = buf(THR_LEN, a->seed), *q = buf(THR_LEN, -1);
	int fd, cg;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	cg = open(path, O_WRONLY);
	if (cg < 0 || write(cg, "0", 1) != 1)
		_exit(10);
	close(cg);
	fd = open(path_of(a->name), O_RDWR | O_DIRECT);
	if (fd < 0 || !p || !q || syscall(SYS_io_setup, 1, &ctx))
		_exit(11);
	cb.aio_lio_opcode = IOCB_CMD_PWRITE;
	cb.aio_fildes = fd;
	cb.aio_buf = (uintptr_t)p;
	cb.aio_nbytes = THR_LEN;
	if (syscall(SYS_io_submit, ctx, 1, &cbp) != 1)
		_exit(12);
	sh->submit = now_ms();
	if (write(ready, "s", 1) != 1)
		_exit(13);
	for (;;) {
		double t = now_ms();
		long n = syscall(SYS_io_getevents, ctx, 0, 1, &ev, &zero);

		if (n == 1)
			break;
		if (n < 0 || t > sh->submit + 2 * THR_LIMIT_MS)
			_exit(14);
		sh->pending = t;
		sleep_ms(5);
	}
	sh->done = now_ms();
	sh->res = ev.res;
	sh->data_ok = pread(fd, q, THR_LEN, 0) == THR_LEN &&
		      !memcmp(p, q, THR_LEN);
	_exit(0);
}

static pid_t start_writer(const char *name, int seed)
{
	struct writer_arg a = { name, seed };
	pid_t pid;

	memset(sh, 0, sizeof(*sh));
	pid = fork_ready(writer, &a, 5000);
	return pid < 0 ? fail("the throttled writer did not submit") : pid;
}

/* Wait for @pid until @deadline; its exit status, or -1 with a reason. */
static int wait_until(pid_t pid, double deadline, const char *who)
{
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0)
			return fail("waitpid(%s): %s", who, strerror(errno));
		if (now_ms() > deadline)
			return fail("%s still running after the %.0f ms bound",
				    who, THR_LIMIT_MS);
		sleep_ms(5);
	}
	if (!WIFEXITED(status))
		return fail("%s died", who);
	return WEXITSTATUS(status);
}

/* After the writer ended: its write landed whole, and it was throttled. */
static int writer_ok(pid_t pid, double op_start, double deadline)
{
	int status = wait_until(pid, deadline, "the throttled writer");

	if (status < 0)
		return -1;
	if (status)
		return fail("the throttled writer failed (exit %d)", status);
	if (sh->res != THR_LEN)
		return fail("throttled write returned %ld", sh->res);
	if (!sh->data_ok)
		return fail("the throttled write did not land");
	if (sh->pending <= op_start)
		return fail("throttle did not engage: %s (done %.0f ms after submit)",
			    "the write was not in flight when the operation started",
			    sh->done - sh->submit);
	return 0;
}

static int run_op(int which, int (*fn)(void))
{
	sh->start[which] = now_ms();
	sh->err[which] = fn() ? errno : 0;
	sh->end[which] = now_ms();
	return sh->err[which];
}

static int do_unlink(void)
{
	return unlink(path_of("slow"));
}

static int do_rename(void)
{
	return rename(path_of("other"), path_of("slow"));
}

static int do_create(void)
{
	int fd = open(path_of("new"), O_WRONLY | O_CREAT | O_EXCL, 0600);

	return fd < 0 ? -1 : close(fd);
}

static int throttled_unlink(void)
{
	double t0, t1, idle;
	pid_t w;
	int fd;

	fd = make_file("idle", 0x21);
	if (fd < 0)
		return -1;
	close(fd);
	t0 = now_ms();
	if (unlink(path_of("idle")))
		return fail("unlink idle: %s", strerror(errno));
	idle = now_ms() - t0;
	fd = make_file("slow", 0x11);
	if (fd < 0)
		return -1;
	close(fd);
	w = start_writer("slow", 0x31);
	if (w < 0)
		return -1;
	sleep_ms(50);
	run_op(0, do_unlink);
	t0 = sh->start[0];
	t1 = sh->end[0];
	if (writer_ok(w, t0, t0 + THR_LIMIT_MS + 5000)) {
		printf("# %s unlink_ms=%.1f\n", case_name, t1 - t0);
		return -1;
	}
	printf("# %s unlink_ms=%.1f idle_unlink_ms=%.1f aio_ms=%.1f %s=%.1f\n",
	       case_name, t1 - t0, idle, sh->done - sh->submit,
	       "aio_done_after_unlink_start_ms", sh->done - t0);
	if (sh->err[0])
		return fail("unlink: %s", strerror(sh->err[0]));
	if (t1 - t0 >= THR_LIMIT_MS)
		return fail("unlink took %.0f ms", t1 - t0);
	if (access(path_of("slow"), F_OK) == 0 || errno != ENOENT)
		return fail("slow still exists after unlink");
	return 0;
}

static int throttled_rename_over(void)
{
	double t0, t1;
	pid_t w;
	int fd;

	fd = make_file("slow", 0x12);
	if (fd < 0)
		return -1;
	close(fd);
	fd = make_file("other", 0x42);
	if (fd < 0)
		return -1;
	close(fd);
	w = start_writer("slow", 0x32);
	if (w < 0)
		return -1;
	sleep_ms(50);
	run_op(0, do_rename);
	t0 = sh->start[0];
	t1 = sh->end[0];
	if (writer_ok(w, t0, t0 + THR_LIMIT_MS + 5000)) {
		printf("# %s rename_ms=%.1f\n", case_name, t1 - t0);
		return -1;
	}
	printf("# %s rename_ms=%.1f aio_ms=%.1f aio_done_after_rename_start_ms=%.1f\n",
	       case_name, t1 - t0, sh->done - sh->submit, sh->done - t0);
	if (sh->err[0])
		return fail("rename: %s", strerror(sh->err[0]));
	if (t1 - t0 >= THR_LIMIT_MS)
		return fail("rename took %.0f ms", t1 - t0);
	if (access(path_of("other"), F_OK) == 0)
		return fail("other still exists after the rename");
	if (file_has("slow", 0, FILE_LEN, 0x42))
		return -1;
	return unlink(path_of("slow")) ? fail("unlink: %s", strerror(errno))
				       : 0;
}

static pid_t fork_op(int which, int (*fn)(void))
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(run_op(which, fn) ? 1 : 0);
	return pid;
}

/*
 * Unlink the file while its write is held back, from one process; once
 * that unlink is blocked, create a new file in the same directory from
 * another.  The unlink holds the directory's i_rwsem while it waits for
 * the file's, so the create waits too.
 */
static int throttled_create_during_unlink(void)
{
	double deadline, wait_end;
	int blocked, fd, s1, s2;
	pid_t w, p1, p2;

	unlink(path_of("new"));
	fd = make_file("slow", 0x13);
	if (fd < 0)
		return -1;
	close(fd);
	w = start_writer("slow", 0x33);
	if (w < 0)
		return -1;
	sleep_ms(50);
	p1 = fork_op(0, do_unlink);
	if (p1 < 0)
		return fail("fork: %s", strerror(errno));
	wait_end = now_ms() + 2000;
	while (!sh->start[0] && now_ms() < wait_end)
		sleep_ms(1);
	sleep_ms(200);
	blocked = !sh->end[0];
	p2 = fork_op(1, do_create);
	if (p2 < 0)
		return fail("fork: %s", strerror(errno));
	deadline = now_ms() + THR_LIMIT_MS + 5000;
	s1 = wait_until(p1, deadline, "the unlink");
	s2 = wait_until(p2, deadline, "the create");
	if (writer_ok(w, sh->start[0], deadline))
		s1 = -1;
	printf("# %s unlink_ms=%.1f create_ms=%.1f unlink_blocked_at_create_start=%d aio_ms=%.1f\n",
	       case_name, sh->end[0] - sh->start[0],
	       sh->end[1] - sh->start[1], blocked, sh->done - sh->submit);
	if (s1 < 0 || s2 < 0)
		return -1;
	if (sh->err[0] || sh->err[1])
		return fail("unlink: %s, create: %s", strerror(sh->err[0]),
			    strerror(sh->err[1]));
	if (!blocked)
		return fail("the unlink was over before the create started");
	if (sh->end[0] - sh->start[0] >= THR_LIMIT_MS ||
	    sh->end[1] - sh->start[1] >= THR_LIMIT_MS)
		return fail("unlink or create over the %.0f ms bound",
			    THR_LIMIT_MS);
	if (access(path_of("slow"), F_OK) == 0)
		return fail("slow still exists after unlink");
	if (access(path_of("new"), F_OK))
		return fail("new does not exist after the create");
	return unlink(path_of("new")) ? fail("unlink new: %s", strerror(errno))
				      : 0;
}

enum { POLL, THROTTLE };

static const struct {
	const char *name;
	int (*fn)(void);
	int group;
} cases[] = {
	{ "iopoll_read_fchmod", iopoll_read_fchmod, POLL },
	{ "iopoll_read_buffered_write", iopoll_read_buffered_write, POLL },
	{ "iopoll_read_unlink_link", iopoll_read_unlink_link, POLL },
	{ "defer_taskrun_read_fchmod", defer_taskrun_read_fchmod, POLL },
	{ "defer_taskrun_write_fchmod", defer_taskrun_write_fchmod, POLL },
	{ "sqpoll_iopoll_read_fchmod", sqpoll_iopoll_read_fchmod, POLL },
	{ "sqpoll_write_fchmod", sqpoll_write_fchmod, POLL },
	{ "throttled_unlink", throttled_unlink, THROTTLE },
	{ "throttled_rename_over", throttled_rename_over, THROTTLE },
	{ "throttled_create_during_unlink", throttled_create_during_unlink,
	  THROTTLE },
};

static int group_of(const char *name)
{
	if (!strcmp(name, "poll"))
		return POLL;
	if (!strcmp(name, "throttle"))
		return THROTTLE;
	return -1;
}

int main(int argc, char **argv)
{
	int list = argc == 3 && !strcmp(argv[1], "--list");
	int group = argc >= 3 ? group_of(argv[1 + list]) : -1;
	int failures = 0;
	size_t i;

	if (group < 0 || (!list && argc != 5)) {
		fprintf(stderr,
			"usage: %s poll xfs|ext4 DIR DEV | throttle xfs|ext4 DIR CGROUP | --list poll|throttle\n",
			argv[0]);
		return 2;
	}
	for (i = 0; list && i < ARRAY_SIZE(cases); i++)
		if (cases[i].group == group)
			printf("%s\n", cases[i].name);
	if (list)
		return 0;
	dir = argv[3];
	if (group == POLL)
		dev = argv[4];
	else
		cgroup = argv[4];
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (cases[i].group == group &&
		    run_case_forked(cases[i].name, cases[i].fn, CASE_LIMIT_MS))
			failures++;
	return failures ? 1 : 0;
}
