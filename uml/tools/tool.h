/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every uml/tools program shares: the reason the current case failed,
 * for its "case NAME fail WHY" line, and monotonic time.  Header only, as
 * run.sh builds each tool from its own .c file.
 */
#ifndef UML_TOOLS_TOOL_H
#define UML_TOOLS_TOOL_H

#include <errno.h>
#include <fcntl.h>
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

#endif /* UML_TOOLS_TOOL_H */
