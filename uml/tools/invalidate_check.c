// SPDX-License-Identifier: GPL-2.0
/*
 * invalidate_check FS DIR - O_DIRECT writes of a 64 KiB range of a file
 * race buffered writes of the same range, on a real filesystem (xfs or
 * ext4) mounted at DIR.  invalidate_check --list FS names the cases.
 * Prints one line per case, after "# NAME: ..." diagnostics:
 *
 *	case NAME ok
 *	case NAME fail WHY
 *
 * For $INVAL_SECS seconds (default 4) the parent writes the range with
 * O_DIRECT on one descriptor, either as aio (io_submit() of AIO_NR
 * disjoint writes in flight at once) or with a synchronous pwrite(),
 * while a child does buffered pwrite()s of parts of the range
 * (page-aligned and not) on a descriptor of its own, with an fsync()
 * after every FSYNC_EVERY of them.  In the aio cases the parent wakes the
 * child as soon as io_submit() has returned, so that its write waits for
 * i_rwsem while the direct writes are in flight; in the synchronous cases
 * the child sleeps a little between writes.  Every process runs
 * SCHED_FIFO, the buffered writer above the parent, so that a wakeup of
 * the writer (by the parent, or by the release of i_rwsem) preempts the
 * task that caused it as soon as the kernel lets it.
 *
 * While a direct write still holds i_rwsem when it invalidates the page
 * cache of its range at completion, no buffered write can dirty a page
 * there first.  If the hold were dropped before that invalidation, a
 * buffered writer woken by the release could dirty a page of the range
 * in between: the invalidation then fails, the kernel prints "Page cache
 * invalidation failure on direct I/O" and records -EIO for the file, so
 * that a later fsync() fails although no I/O did.  A case fails on any
 * fsync() error, on any such kernel message printed while it ran (read
 * from /dev/kmsg; the kernel prints at most ten of them per boot, so the
 * fsync() errors are the figure that counts), and on inconsistent data.
 *
 * Each write fills its range with 8-byte words that name the write (a
 * tick of a clock shared by all processes, taken just before it was
 * issued) and the word's offset; another tick is taken once it has
 * completed.  At the end the range, read back both through the page
 * cache and with O_DIRECT after a final fsync(), must hold in every word
 * the tag of a write that covered that word and that had not completed
 * before the last write covering the word was issued, and both reads
 * must agree.
 *
 * Without preemption (UML) a completion that releases too early still
 * runs on to the invalidation unless it sleeps in between, so the woken
 * writer cannot get there first.  The "page_locked_by_reader" cases make
 * it sleep: a third process, above the writer, drops the range's first
 * page from the page cache and reads it back in with POSIX_FADV_WILLNEED
 * (readahead, which does not wait for the read and holds no i_rwsem while
 * it is in flight), in the aio cases each time the direct writes have
 * been submitted (the write of that page last), otherwise every
 * READER_US.  It joins the cgroup $INVAL_CGROUP if it is set, whose
 * io.max holds its reads back, so that the page stays locked for a while
 * and an invalidation of the range waits for it.  The buffered writes
 * never touch that first page.  Raw aio system calls, libc only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define PG		4096
#define RANGE		(16 * PG)	/* the range every write falls into */
#define WORDS		(RANGE / 8)
#define AIO_NR		4		/* direct aio writes in flight */
#define AIO_LEN		(RANGE / AIO_NR)
#define FSYNC_EVERY	4
#define MAX_TICKS	524288
#define TICK_SLACK	64
#define DEFAULT_SECS	4
#define MAX_SECS	600
#define WAIT_MS		10000		/* bound on each wait for a child */
#define READER_US	500
/* SCHED_FIFO priorities: each wakeup preempts the process that caused it */
#define PRIO_DIRECT	1
#define PRIO_BUFFERED	2
#define PRIO_READER	3
#define WORD_MAGIC	0x5eed0000u
#define KMSG_NEEDLE	"Page cache invalidation failure"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum { DIRECT = 1, BUFFERED = 2 };

/* One write, indexed by the tick taken just before it was issued. */
struct wrec {
	uint32_t off;
	uint32_t len;
	int64_t res;		/* bytes written, or -errno */
	uint64_t done;		/* tick taken after it completed, 0 before */
	int kind;
};

struct shared {
	uint64_t clock;
	int stop;
	int in_flight;		/* direct writes issued and not yet done */
	/* the buffered writer */
	long long bwrites, bwrite_errs, fsyncs, fsync_errs;
	long long bwrites_during_dio;	/* started with direct writes in flight */
	int first_fsync_err;
	/* the reader */
	long long readaheads;
	char why[256];		/* a child's reason for failing */
	struct wrec rec[MAX_TICKS];
};

struct params {
	int aio;
	int reader;
};

/* The buffered writes: parts of the range, none in its first page. */
static const struct {
	uint32_t off, len;
} shapes[] = {
	{ PG + 512, 2048 },
	{ 2 * PG, 2 * PG },
	{ PG + 3000, 12 * PG },
	{ 5 * PG + 1000, 6000 },
	{ 15 * PG, PG },
};

static const char *dir, *cgroup, *cur;
static struct shared *sh;
static int secs = DEFAULT_SECS;
static int failures;

static uint64_t tick(void)
{
	return __atomic_fetch_add(&sh->clock, 1, __ATOMIC_SEQ_CST);
}

static int out_of_ticks(void)
{
	return __atomic_load_n(&sh->clock, __ATOMIC_SEQ_CST) >=
	       MAX_TICKS - TICK_SLACK;
}

static int stopped(void)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST);
}

static uint64_t tag(uint64_t id, uint32_t word)
{
	return id << 32 | (WORD_MAGIC | word);
}

/* Take a tick for a write of [off, off + len) and fill @p with its tags. */
static uint64_t start_write(uint64_t *p, uint32_t off, uint32_t len, int kind)
{
	uint64_t id = tick();
	uint32_t i;

	for (i = 0; i < len / 8; i++)
		p[i] = tag(id, off / 8 + i);
	sh->rec[id].off = off;
	sh->rec[id].len = len;
	sh->rec[id].kind = kind;
	return id;
}

static void end_write(uint64_t id, int64_t res)
{
	sh->rec[id].res = res;
	__atomic_store_n(&sh->rec[id].done, tick(), __ATOMIC_SEQ_CST);
}

static void *buf(size_t len)
{
	void *p;

	if (posix_memalign(&p, PG, len))
		return NULL;
	memset(p, 0, len);
	return p;
}

static int set_fifo(int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	return sched_setscheduler(0, SCHED_FIFO, &sp);
}

static void set_other(void)
{
	struct sched_param sp = { .sched_priority = 0 };

	sched_setscheduler(0, SCHED_OTHER, &sp);
}

static void child_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sh->why, sizeof(sh->why), fmt, ap);
	va_end(ap);
	_exit(1);
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/*
 * The buffered writer, SCHED_FIFO: woken by a byte on @kick (aio cases)
 * or after a short sleep, it writes the next shape; fsync() after every
 * FSYNC_EVERY writes and once more at the end.
 */
static void buffered_writer(const char *path, int kick)
{
	uint64_t *p = buf(RANGE);
	unsigned int i;
	uint64_t id;
	ssize_t n;
	char c[64];
	int fd;

	if (!p)
		child_fail("buffered writer: out of memory");
	if (set_fifo(PRIO_BUFFERED))
		child_fail("buffered writer: SCHED_FIFO: %s", strerror(errno));
	fd = open(path, O_RDWR);
	if (fd < 0)
		child_fail("buffered writer: open: %s", strerror(errno));
	for (i = 0; !stopped(); i++) {
		if (kick >= 0) {
			if (read(kick, c, sizeof(c)) <= 0)
				break;
		} else {
			sleep_us(20 + 40 * (i % 5));
		}
		if (stopped() || out_of_ticks())
			break;
		id = start_write(p, shapes[i % ARRAY_SIZE(shapes)].off,
				 shapes[i % ARRAY_SIZE(shapes)].len, BUFFERED);
		if (__atomic_load_n(&sh->in_flight, __ATOMIC_SEQ_CST))
			sh->bwrites_during_dio++;
		n = pwrite(fd, p, sh->rec[id].len, sh->rec[id].off);
		end_write(id, n < 0 ? -errno : n);
		sh->bwrites++;
		if (n != sh->rec[id].len)
			sh->bwrite_errs++;
		if ((i + 1) % FSYNC_EVERY)
			continue;
		sh->fsyncs++;
		if (fsync(fd)) {
			if (!sh->fsync_errs++)
				sh->first_fsync_err = errno;
		}
	}
	sh->fsyncs++;
	if (fsync(fd) && !sh->fsync_errs++)
		sh->first_fsync_err = errno;
	_exit(0);
}

/* Reads charged to $INVAL_CGROUP so far, all devices; -1 without it. */
static long long cg_rios(void)
{
	char path[512], s[4096], *k;
	long long n = 0;
	ssize_t len;
	int fd;

	if (!cgroup)
		return -1;
	snprintf(path, sizeof(path), "%s/io.stat", cgroup);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	len = read(fd, s, sizeof(s) - 1);
	close(fd);
	if (len < 0)
		return -1;
	s[len] = 0;
	for (k = strstr(s, "rios="); k; k = strstr(k + 5, "rios="))
		n += strtoll(k + 5, NULL, 10);
	return n;
}

/*
 * The reader, SCHED_FIFO above the buffered writer: drop the range's first
 * page from the page cache and read it back in with POSIX_FADV_WILLNEED
 * (readahead of that page alone, which does not wait for the read, and
 * which on XFS holds the iolock shared only while it submits), each time
 * a byte arrives on @kick (aio cases: the direct writes were just
 * submitted), or every READER_US.  The page is locked while its read is
 * in flight, and dropping it fails (harmlessly) while it is locked.  No
 * mapping: UML's flush_tlb_mm() walks the VMAs of an mm without its lock,
 * which RCU's lockdep checks report when an invalidation unmaps a page.
 */
static void page_reader(const char *path, int kick)
{
	char c[64];
	int fd;

	if (cgroup && join_cgroup(cgroup))
		child_fail("reader: joining %s: %s", cgroup, strerror(errno));
	if (set_fifo(PRIO_READER))
		child_fail("reader: SCHED_FIFO: %s", strerror(errno));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		child_fail("reader: open: %s", strerror(errno));
	while (!stopped()) {
		if (kick >= 0 && read(kick, c, sizeof(c)) <= 0)
			break;
		posix_fadvise(fd, 0, PG, POSIX_FADV_DONTNEED);
		if (posix_fadvise(fd, 0, PG, POSIX_FADV_WILLNEED))
			child_fail("reader: POSIX_FADV_WILLNEED failed");
		sh->readaheads++;
		if (kick < 0)
			sleep_us(READER_US);
	}
	_exit(0);
}

/* Open /dev/kmsg positioned after the last record; -1 if unavailable. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Count the invalidation failure messages logged since kmsg_open(). */
static int kmsg_count(int fd, char *line, size_t len)
{
	char rec[2048];
	ssize_t n;
	int count = 0, next = 0;
	char *msg;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: skip on */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		if (next) {
			snprintf(line, len, "%.160s", msg);
			next = 0;
		}
		if (strstr(msg, KMSG_NEEDLE) && !count++)
			next = 1;
	}
	return count;
}

static int direct_write(int fd, uint64_t *p, uint32_t off, uint32_t len)
{
	uint64_t id = start_write(p, off, len, DIRECT);
	ssize_t n;

	__atomic_store_n(&sh->in_flight, 1, __ATOMIC_SEQ_CST);
	n = pwrite(fd, p, len, off);
	end_write(id, n < 0 ? -errno : n);
	__atomic_store_n(&sh->in_flight, 0, __ATOMIC_SEQ_CST);
	if (n != len)
		return fail("direct write of %u at %u: %zd, %s", len, off, n,
			    n < 0 ? strerror(errno) : "short");
	return 0;
}

/* Wake a child waiting on @kick; it runs at once, being SCHED_FIFO. */
static int wake(int kick, const char *who)
{
	if (kick < 0 || write(kick, "k", 1) > 0 || errno == EAGAIN)
		return 0;
	return fail("waking the %s: %s", who, strerror(errno));
}

/*
 * AIO_NR direct writes in flight at once, until the time is up.  Once they
 * are submitted, the reader (if @rkick >= 0) starts its read, then the
 * buffered writer its write.  The write of the range's first page is
 * submitted last: submitting the others may sleep (writing back what the
 * buffered writer dirtied), and it must not complete before the reader
 * has started.
 */
static int aio_rounds(int fd, uint64_t **p, int rkick, int kick, int64_t end,
		      long long *rounds)
{
	struct timespec ts = { WAIT_MS / 1000, 0 };
	struct iocb cb[AIO_NR], *cbp[AIO_NR];
	struct io_event ev[AIO_NR];
	aio_context_t ctx = 0;
	uint64_t id;
	long n, got, nev;
	int i, ret = 0;

	if (syscall(SYS_io_setup, AIO_NR, &ctx))
		return fail("io_setup: %s", strerror(errno));
	while (!ret && now_ns() < end && !out_of_ticks()) {
		memset(cb, 0, sizeof(cb));
		for (i = 0; i < AIO_NR; i++) {
			id = start_write(p[i], i * AIO_LEN, AIO_LEN, DIRECT);
			cb[i].aio_data = id;
			cb[i].aio_lio_opcode = IOCB_CMD_PWRITE;
			cb[i].aio_fildes = fd;
			cb[i].aio_buf = (uintptr_t)p[i];
			cb[i].aio_nbytes = AIO_LEN;
			cb[i].aio_offset = i * AIO_LEN;
			/* the write of the reader's page goes last */
			cbp[AIO_NR - 1 - i] = &cb[i];
		}
		__atomic_store_n(&sh->in_flight, 1, __ATOMIC_SEQ_CST);
		n = syscall(SYS_io_submit, ctx, AIO_NR, cbp);
		if (n != AIO_NR) {
			ret = fail("io_submit: %ld, %s", n,
				   n < 0 ? strerror(errno) : "short");
			if (n < 0)
				break;
		}
		if (wake(rkick, "reader") || wake(kick, "buffered writer"))
			ret = -1;
		for (got = 0; got < n; got += nev) {
			nev = syscall(SYS_io_getevents, ctx, 1, n - got, ev,
				      &ts);
			if (nev <= 0) {
				ret = fail("io_getevents: %ld, %s", nev,
					   nev < 0 ? strerror(errno) : "timeout");
				break;
			}
			for (i = 0; i < nev; i++) {
				end_write(ev[i].data, ev[i].res);
				if (ev[i].res != AIO_LEN && !ret)
					ret = fail("aio write: res %lld",
						   (long long)ev[i].res);
			}
		}
		__atomic_store_n(&sh->in_flight, 0, __ATOMIC_SEQ_CST);
		(*rounds)++;
	}
	syscall(SYS_io_destroy, ctx);
	return ret;
}

/* Wait for @pid, at most WAIT_MS; 0 when it exited with status 0. */
static int reap(pid_t pid, const char *who)
{
	int64_t end = now_ns() + (int64_t)WAIT_MS * 1000000;
	int status;
	pid_t r;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && now_ns() < end)
		sleep_us(10000);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return fail("the %s did not stop within %d ms", who, WAIT_MS);
	}
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return fail("the %s failed: %s", who,
			    sh->why[0] ? sh->why : "killed");
	return 0;
}

static const char *kind_name(int kind)
{
	return kind == DIRECT ? "direct" : "buffered";
}

/*
 * Every word of @p (the range as read back) must carry the tag of a write
 * that covered it and had not completed when the last write covering it
 * was issued.  @last[w] is that last write's tick for word w.
 */
static int check_words(const uint64_t *p, const uint64_t *last,
		       const char *how, long long *nbuf)
{
	uint64_t id, clock = sh->clock;
	const struct wrec *r;
	uint32_t w;

	*nbuf = 0;
	for (w = 0; w < WORDS; w++) {
		id = p[w] >> 32;
		r = &sh->rec[id < clock ? id : 0];
		if ((uint32_t)p[w] != (WORD_MAGIC | w) || id >= clock ||
		    !r->len)
			return fail("%s read-back: word at %u is %#llx, not the tag of any write",
				    how, w * 8, (unsigned long long)p[w]);
		if (w * 8 < r->off || w * 8 >= r->off + r->len)
			return fail("%s read-back: word at %u is from %s %s %llu of %u at %u",
				    how, w * 8, kind_name(r->kind),
				    "write, which did not cover it:",
				    (unsigned long long)id, r->len, r->off);
		if (r->done < last[w])
			return fail("%s read-back: at %u: %s write %llu (done %llu) %s %s %llu",
				    how, w * 8, kind_name(r->kind),
				    (unsigned long long)id,
				    (unsigned long long)r->done,
				    "before the issue of covering",
				    kind_name(sh->rec[last[w]].kind),
				    (unsigned long long)last[w]);
		*nbuf += r->kind == BUFFERED;
	}
	return 0;
}

/* Read the range back through the page cache and with O_DIRECT; check. */
static int check_data(const char *path)
{
	uint64_t *cached = buf(RANGE), *direct = buf(RANGE);
	uint64_t *last = calloc(WORDS, sizeof(*last));
	uint64_t id, left = WORDS;
	long long nbuf = 0;
	int fd = -1, dfd = -1, ret = -1;
	uint32_t w;

	if (!cached || !direct || !last) {
		fail("out of memory");
		goto out;
	}
	for (id = sh->clock; id-- > 1 && left;) {
		for (w = sh->rec[id].off / 8;
		     sh->rec[id].len && w < (sh->rec[id].off + sh->rec[id].len) / 8;
		     w++) {
			if (!last[w]) {
				last[w] = id;
				left--;
			}
		}
	}
	fd = open(path, O_RDONLY);
	dfd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0 || dfd < 0) {
		fail("open for read-back: %s", strerror(errno));
		goto out;
	}
	if (pread(fd, cached, RANGE, 0) != RANGE ||
	    pread(dfd, direct, RANGE, 0) != RANGE) {
		fail("read-back: %s", strerror(errno));
		goto out;
	}
	if (check_words(cached, last, "page cache", &nbuf) ||
	    check_words(direct, last, "O_DIRECT", &nbuf))
		goto out;
	for (w = 0; w < WORDS && cached[w] == direct[w]; w++)
		;
	if (w < WORDS) {
		fail("word at %u reads %#llx through the page cache but %#llx with O_DIRECT",
		     w * 8, (unsigned long long)cached[w],
		     (unsigned long long)direct[w]);
		goto out;
	}
	printf("# %s: data consistent (%s, %s); %lld of %d words %s\n",
	       cur, "every word from a write not superseded",
	       "page cache and disk agree", nbuf, WORDS,
	       "last written by buffered writes");
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(cached);
	free(direct);
	free(last);
	return ret;
}

static int race(const struct params *pm)
{
	uint64_t *p[AIO_NR] = { NULL };
	long long rounds = 0, dwrites = 0;
	int fd, kfd, kick[2] = { -1, -1 }, rkick[2] = { -1, -1 };
	pid_t writer = -1, reader = -1;
	int i, ret = 0, msgs = -1, ferr = 0;
	long long rios;
	char path[512], first[256] = "";
	int64_t start, end;
	uint64_t id;

	memset(sh, 0, sizeof(*sh));
	sh->clock = 1;
	snprintf(path, sizeof(path), "%s/%s", dir, cur);
	for (i = 0; i < AIO_NR; i++) {
		p[i] = buf(RANGE);
		if (!p[i])
			return fail("out of memory");
	}
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (fd < 0)
		return fail("open %s: %s", path, strerror(errno));
	/* The initial content: one direct write of the range, on disk. */
	if (direct_write(fd, p[0], 0, RANGE) || fsync(fd)) {
		close(fd);
		return why[0] ? -1 : fail("fsync: %s", strerror(errno));
	}
	if (pipe2(kick, O_NONBLOCK) || fcntl(kick[0], F_SETFL, 0) ||
	    pipe2(rkick, O_NONBLOCK) || fcntl(rkick[0], F_SETFL, 0)) {
		close(fd);
		return fail("pipe: %s", strerror(errno));
	}
	kfd = kmsg_open();
	rios = cg_rios();
	fflush(stdout);
	writer = fork();
	if (writer == 0) {
		close(kick[1]);
		close(rkick[1]);
		buffered_writer(path, pm->aio ? kick[0] : -1);
	}
	if (writer > 0 && pm->reader) {
		reader = fork();
		if (reader == 0) {
			close(kick[1]);
			close(rkick[1]);
			page_reader(path, pm->aio ? rkick[0] : -1);
		}
	}
	close(kick[0]);
	close(rkick[0]);
	if (writer < 0 || (pm->reader && reader < 0))
		ret = fail("fork: %s", strerror(errno));
	if (!ret && set_fifo(PRIO_DIRECT))
		ret = fail("SCHED_FIFO: %s", strerror(errno));
	start = now_ns();
	end = start + (int64_t)secs * 1000000000;
	if (!ret && pm->aio) {
		ret = aio_rounds(fd, p, pm->reader ? rkick[1] : -1, kick[1],
				 end, &rounds);
		dwrites = rounds * AIO_NR;
	}
	while (!ret && !pm->aio && now_ns() < end && !out_of_ticks()) {
		ret = direct_write(fd, p[0], 0, RANGE);
		dwrites++;
		rounds++;
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	set_other();
	close(kick[1]);
	close(rkick[1]);
	if (writer > 0 && reap(writer, "buffered writer") && !ret)
		ret = -1;
	if (reader > 0 && reap(reader, "reader") && !ret)
		ret = -1;
	if (fsync(fd))
		ferr = errno;
	close(fd);
	if (kfd >= 0) {
		msgs = kmsg_count(kfd, first, sizeof(first));
		close(kfd);
	}
	for (i = 0; i < AIO_NR; i++)
		free(p[i]);
	printf("# %s: %.1f s: %lld direct writes (%s) in %lld rounds, ",
	       cur, (now_ns() - start) / 1e9, dwrites,
	       pm->aio ? "aio, 4 x 16 KiB in flight" : "sync pwrite, 64 KiB",
	       rounds);
	printf("%lld buffered writes (%lld failed), %lld fsyncs",
	       sh->bwrites, sh->bwrite_errs, sh->fsyncs);
	printf(", %lld buffered writes started while direct writes were in flight",
	       sh->bwrites_during_dio);
	if (pm->reader)
		printf(", %lld readaheads of the first page, %lld reads charged to %s",
		       sh->readaheads, rios < 0 ? -1 : cg_rios() - rios,
		       cgroup ? cgroup : "no cgroup");
	printf("\n# %s: fsync errors: %lld (%s), final fsync of the direct fd: %s; ",
	       cur, sh->fsync_errs,
	       sh->fsync_errs ? strerror(sh->first_fsync_err) : "none",
	       ferr ? strerror(ferr) : "ok");
	printf("invalidation failure messages: %d%s%s\n", msgs,
	       first[0] ? ", " : "", first);
	if (ret)
		return -1;
	if (out_of_ticks())
		printf("# %s: stopped early: %d write records used\n", cur,
		       MAX_TICKS);
	if (msgs < 0)
		return fail("cannot read /dev/kmsg: %s", strerror(errno));
	if (check_data(path))
		return -1;
	if (sh->fsync_errs || ferr)
		return fail("%lld fsync errors (%s), final fsync: %s; %d %s",
			    sh->fsync_errs,
			    sh->fsync_errs ? strerror(sh->first_fsync_err) : "-",
			    ferr ? strerror(ferr) : "ok", msgs,
			    "invalidation failure messages");
	if (msgs)
		return fail("%d \"%s\" messages", msgs, KMSG_NEEDLE);
	if (sh->bwrite_errs)
		return fail("%lld buffered writes failed", sh->bwrite_errs);
	for (id = 1; id < sh->clock; id++)
		if (sh->rec[id].len && !sh->rec[id].done)
			return fail("write %llu never completed",
				    (unsigned long long)id);
	return 0;
}

static const struct params aio_fifo = { 1, 0 };
static const struct params sync_fifo = { 0, 0 };
static const struct params aio_locked = { 1, 1 };
static const struct params sync_locked = { 0, 1 };

static const struct {
	const char *name;
	const struct params *pm;
} cases[] = {
	{ "aio_dio_vs_buffered_fifo_writer", &aio_fifo },
	{ "sync_dio_vs_buffered_fifo_writer", &sync_fifo },
	{ "aio_dio_vs_buffered_writer_page_locked_by_reader", &aio_locked },
	{ "sync_dio_vs_buffered_writer_page_locked_by_reader", &sync_locked },
};

int main(int argc, char **argv)
{
	int list = argc == 3 && !strcmp(argv[1], "--list");
	const char *fs = argc == 3 ? argv[1 + list] : NULL;
	const char *s = getenv("INVAL_SECS");
	size_t i;

	if (!fs || (strcmp(fs, "xfs") && strcmp(fs, "ext4"))) {
		fprintf(stderr, "usage: %s xfs|ext4 DIR | --list xfs|ext4\n",
			argv[0]);
		return 2;
	}
	for (i = 0; list && i < ARRAY_SIZE(cases); i++)
		printf("%s\n", cases[i].name);
	if (list)
		return 0;
	dir = argv[2];
	if (s && (atoi(s) < 1 || atoi(s) > MAX_SECS)) {
		fprintf(stderr, "INVAL_SECS=%s: want 1 to %d\n", s, MAX_SECS);
		return 2;
	}
	secs = s ? atoi(s) : DEFAULT_SECS;
	cgroup = getenv("INVAL_CGROUP");
	if (cgroup && !cgroup[0])
		cgroup = NULL;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		cur = cases[i].name;
		why[0] = 0;
		if (race(cases[i].pm)) {
			printf("case %s fail %s\n", cur, why);
			failures++;
		} else {
			printf("case %s ok\n", cur);
		}
		fflush(stdout);
	}
	return failures ? 1 : 0;
}
