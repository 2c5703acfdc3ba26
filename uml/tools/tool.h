/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every uml/tools program shares: the reason the current case failed,
 * for its "case NAME fail WHY" line, and monotonic time; a minimal
 * io_uring for the tools that include <linux/io_uring.h> first.  Header
 * only, as run.sh builds each tool from its own .c file.
 */
#ifndef UML_TOOLS_TOOL_H
#define UML_TOOLS_TOOL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char why[512];

/* Records why the case failed; returns -1 for "return fail(...)". */
static inline int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return -1;
}

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline double now_ms(void)
{
	return now_ns() / 1e6;
}

/* Sleeps @ms milliseconds, signals or not. */
static inline void sleep_ms(double ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ms / 1e3),
		.tv_nsec = (long)((ms - (time_t)(ms / 1e3) * 1e3) * 1e6),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Moves this process into the cgroup v2 directory @cgroup; 0 on success. */
static inline int join_cgroup(const char *cgroup)
{
	char path[512], pid[32];
	int fd, n, ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, pid, n) == n;
	return close(fd) || !ok ? -1 : 0;
}

/* The case's result line, from its return value and why. */
static inline void print_case(const char *name, int ret)
{
	if (ret)
		printf("case %s fail %s\n", name, why);
	else
		printf("case %s ok\n", name);
	fflush(stdout);
}

/*
 * Waits for the process @pid that runs case @name; after @limit_ms it is
 * killed and the case fails.  Returns 0 if it passed.
 */
static inline int wait_case(pid_t pid, const char *name, double limit_ms)
{
	double deadline = now_ms() + limit_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (now_ms() > deadline) {
			printf("case %s fail no result after %.0f ms\n", name,
			       limit_ms);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		sleep_ms(10);
	}
	if (WIFSIGNALED(status)) {
		printf("case %s fail killed by signal %d\n", name,
		       WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status) ? -1 : 0;
}

/* The case running in this process, for its "# NAME: ..." figures. */
static const char *case_name;

/*
 * Runs case @name, @fn, in a process of its own, killed after @limit_ms;
 * 0 if it passed.  The child starts with case_name set and why empty.
 */
static inline int run_case_forked(const char *name, int (*fn)(void),
				  double limit_ms)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int ret;

		case_name = name;
		why[0] = 0;
		ret = fn();
		print_case(name, ret);
		_exit(ret ? 1 : 0);
	}
	if (pid < 0) {
		printf("case %s fail fork: %s\n", name, strerror(errno));
		return -1;
	}
	return wait_case(pid, name, limit_ms);
}

static inline double ns_to_ms(int64_t ns)
{
	return ns / 1e6;
}

/* @len bytes of @byte, aligned for O_DIRECT (4096), or NULL. */
static inline void *block_buf(size_t len, int byte)
{
	void *p;

	if (posix_memalign(&p, 4096, len))
		return NULL;
	memset(p, byte, len);
	return p;
}

/* A cgroup that blk-throttle limits, and the device whose state is read. */
struct throttle {
	const char *cgroup;	/* its directory, from the environment */
	const char *env;	/* the variable naming it, for messages */
	unsigned int major, minor;
};

static inline void throttle_init(struct throttle *t, const char *env,
				 unsigned int major, unsigned int minor)
{
	t->env = env;
	t->cgroup = getenv(env);
	t->major = major;
	t->minor = minor;
}

/* The value of @key in the device's line of the cgroup's @file, or -1. */
static inline long long throttle_value(const struct throttle *t,
				       const char *file, const char *key)
{
	char path[512], s[4096], dev[32], *line, *next, *k;
	size_t kl = strlen(key);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t->cgroup, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, s, sizeof(s) - 1);
	close(fd);
	if (n < 0)
		return -1;
	s[n] = 0;
	snprintf(dev, sizeof(dev), "%u:%u ", t->major, t->minor);
	for (line = s; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (strncmp(line, dev, strlen(dev)))
			continue;
		k = strstr(line, key);
		if (!k || k[kl] < '0' || k[kl] > '9')
			return -1;
		return strtoll(k + kl, NULL, 10);
	}
	return -1;
}

/* Write bios charged to the cgroup for the device so far. */
static inline long long throttle_wios(const struct throttle *t)
{
	long long n = throttle_value(t, "io.stat", "wios=");

	return n < 0 ? 0 : n;
}

/* The cgroup's write IOPS limit for the device; it must be 1 to @max. */
static inline int throttle_limit(const struct throttle *t, long long *wiops,
				 long long max)
{
	if (!t->cgroup)
		return fail("%s is not set: no throttled cgroup", t->env);
	*wiops = throttle_value(t, "io.max", "wiops=");
	if (*wiops < 1 || *wiops > max)
		return fail("%s/io.max has no wiops limit of 1 to %lld for %u:%u",
			    t->cgroup, max, t->major, t->minor);
	return 0;
}

/*
 * Forks a child that runs @child(@arg, @ready) and writes a byte to the
 * pipe @ready once it is set (a throttled writer: once it has submitted);
 * the child must not return.  Its pid once the byte came, or -1 if none
 * came within @limit_ms (the child is then killed and reaped, so that it
 * outlives no case).
 */
static inline pid_t fork_ready(void (*child)(const void *arg, int ready),
			       const void *arg, int limit_ms)
{
	struct pollfd pfd;
	int fds[2], ok;
	pid_t pid;
	char c;

	if (pipe(fds))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child(arg, fds[1]);
		_exit(1);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	ok = pid > 0 && poll(&pfd, 1, limit_ms) == 1 &&
	     read(fds[0], &c, 1) == 1;
	close(fds[0]);
	if (ok)
		return pid;
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

#ifdef IORING_OFF_SQ_RING
#include <sys/mman.h>
#include <sys/syscall.h>

/*
 * A minimal io_uring, raw system calls: one ring with its submission and
 * completion rings mapped.  ring_setup() makes one, ring_prep() queues a
 * request, ring_submit_wait() hands queued requests to the kernel,
 * ring_cqe() and ring_wait_cqe() take completions, ring_exit() ends it.
 */
struct ring {
	int fd;
	unsigned int flags;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array, *sq_flags;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq, *cq;
	size_t sq_len, cq_len, sqes_len;
};

static inline void *ring_map(const struct ring *r, size_t len, off_t what)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, what);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Sets up @r with @entries entries and the IORING_SETUP_* @flags (an SQ
 * thread idles 2 s before it sleeps); 0 on success.
 */
static inline int ring_setup(struct ring *r, unsigned int entries,
			     unsigned int flags)
{
	struct io_uring_params p = { .flags = flags, .sq_thread_idle = 2000 };
	char *sq, *cq;

	memset(r, 0, sizeof(*r));
	r->flags = flags;
	r->fd = syscall(__NR_io_uring_setup, entries, &p);
	if (r->fd < 0)
		return fail("io_uring_setup(%u, %#x): %s", entries, flags,
			    strerror(errno));
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	sq = ring_map(r, r->sq_len, IORING_OFF_SQ_RING);
	cq = ring_map(r, r->cq_len, IORING_OFF_CQ_RING);
	r->sq = sq;
	r->cq = cq;
	r->sqes = ring_map(r, r->sqes_len, IORING_OFF_SQES);
	if (!sq || !cq || !r->sqes)
		return fail("io_uring mmap: %s", strerror(errno));
	r->sq_head = (unsigned int *)(sq + p.sq_off.head);
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->sq_flags = (unsigned int *)(sq + p.sq_off.flags);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

static inline void ring_exit(struct ring *r)
{
	if (r->sqes)
		munmap(r->sqes, r->sqes_len);
	if (r->cq)
		munmap(r->cq, r->cq_len);
	if (r->sq)
		munmap(r->sq, r->sq_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

/* Queues a request @opcode of @len bytes at @off of @fd, not submitted. */
static inline void ring_prep(struct ring *r, int opcode, int fd, void *buf,
			     size_t len, off_t off, uint64_t user_data)
{
	unsigned int tail = *r->sq_tail, i = tail & *r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[i];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	sqe->off = off;
	sqe->user_data = user_data;
	r->sq_array[i] = i;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

/*
 * Hands @n queued requests to the kernel; with @wait, also waits until
 * @wait completions are posted.  0 when all @n were submitted.
 */
static inline int ring_submit_wait(struct ring *r, unsigned int n,
				   unsigned int wait)
{
	if (syscall(__NR_io_uring_enter, r->fd, n, wait,
		    wait ? IORING_ENTER_GETEVENTS : 0, NULL, 0) != (long)n)
		return fail("io_uring_enter(%u, %u): %s", n, wait,
			    strerror(errno));
	return 0;
}

/* A completion is waiting in the completion ring. */
static inline int ring_has_cqe(const struct ring *r)
{
	return *r->cq_head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
}

/* Takes the oldest posted completion into *@cqe: 1, or 0 if none is. */
static inline int ring_cqe(struct ring *r, struct io_uring_cqe *cqe)
{
	unsigned int head = *r->cq_head;

	if (!ring_has_cqe(r))
		return 0;
	*cqe = r->cqes[head & *r->cq_mask];
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return 1;
}

/* Waits for a completion and takes it into *@cqe; 0 on success. */
static inline int ring_wait_cqe(struct ring *r, struct io_uring_cqe *cqe)
{
	while (!ring_cqe(r, cqe))
		if (syscall(__NR_io_uring_enter, r->fd, 0, 1,
			    IORING_ENTER_GETEVENTS, NULL, 0) < 0 &&
		    errno != EINTR)
			return fail("io_uring_enter(getevents): %s",
				    strerror(errno));
	return 0;
}
#endif /* IORING_OFF_SQ_RING */

#endif /* UML_TOOLS_TOOL_H */
