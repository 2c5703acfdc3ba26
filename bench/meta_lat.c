// SPDX-License-Identifier: GPL-2.0
/*
 * meta_lat FILE SAMPLES - the latency of operations that take FILE's
 * i_rwsem exclusively while a child keeps 32 random 4 KiB O_DIRECT reads
 * of FILE in flight (io_submit; FILE must hold at least 2 MiB of data).
 *
 * With the product series a direct read holds i_rwsem shared until it
 * completes, so each operation below waits for the reads in flight: about
 * one device delay more than without it.  Operations, SAMPLES times each,
 * a few ms apart so that they land at any point of a read's life:
 *
 *   fchmod, utimensat, fsetxattr, unlink of a second link, rename (there
 *   and back), ftruncate to the same size, and a 4 KiB buffered write
 *   into the last MiB, which the reads leave alone (so that no read
 *   flushes or invalidates it).
 *
 * Output: "op NAME n N p50_us X p99_us Y max_us Z" per operation, then
 * "reads N" (the reads that completed meanwhile).  Exit 0 if every
 * operation succeeded and the reads kept going.
 */
#define _GNU_SOURCE
#include <linux/aio_abi.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "../uml/tools/tool.h"

#define QD 32
#define READ_LEN 4096
#define QUIET_TAIL (1024 * 1024)	/* the end of FILE that no read touches */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *path;
static char link_path[4096], moved_path[4096];
static int fd, buffered_fd;
static off_t file_size;

/* The parent closed the pipe whose read end is @stop_fd. */
static int told_to_stop(int stop_fd)
{
	struct pollfd pfd = { .fd = stop_fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

static void submit_read(aio_context_t ctx, struct iocb *cb, int rfd,
			void *buf, long blocks)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_lio_opcode = IOCB_CMD_PREAD;
	cb->aio_fildes = rfd;
	cb->aio_buf = (uintptr_t)buf;
	cb->aio_nbytes = READ_LEN;
	cb->aio_offset = (random() % blocks) * READ_LEN;
	cb->aio_data = (uintptr_t)cb;
	if (syscall(SYS_io_submit, ctx, 1, &cb) != 1)
		_exit(3);
}

/*
 * The reader child: keeps QD reads in flight until told to stop, then
 * writes how many completed to @count_fd.
 */
static void read_until_stopped(int ready_fd, int stop_fd, int count_fd)
{
	static struct iocb cbs[QD];
	struct timespec tick = { .tv_nsec = 50000000 };
	struct io_event ev[QD];
	long blocks = (file_size - QUIET_TAIL) / READ_LEN;
	aio_context_t ctx = 0;
	long long done = 0;
	char *bufs;
	int rfd, i, n;

	rfd = open(path, O_RDONLY | O_DIRECT);
	bufs = block_buf((size_t)QD * READ_LEN, 0);
	if (rfd < 0 || !bufs || syscall(SYS_io_setup, QD, &ctx))
		_exit(2);
	for (i = 0; i < QD; i++)
		submit_read(ctx, &cbs[i], rfd, bufs + i * READ_LEN, blocks);
	if (write(ready_fd, "r", 1) != 1)
		_exit(2);
	while (!told_to_stop(stop_fd)) {
		n = syscall(SYS_io_getevents, ctx, 1, QD, ev, &tick);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			_exit(4);
		for (i = 0; i < n; i++) {
			struct iocb *cb = (struct iocb *)(uintptr_t)ev[i].data;

			if (ev[i].res != READ_LEN)
				_exit(5);
			done++;
			submit_read(ctx, cb, rfd, (void *)(uintptr_t)cb->aio_buf,
				    blocks);
		}
	}
	if (write(count_fd, &done, sizeof(done)) != sizeof(done))
		_exit(2);
	_exit(0);
}

/* The operations; each returns 0 or -1 with errno set. */
static int op_fchmod(int i)
{
	return fchmod(fd, i & 1 ? 0644 : 0600);
}

static int op_utimensat(int i)
{
	(void)i;
	return utimensat(AT_FDCWD, path, NULL, 0);
}

static int op_setxattr(int i)
{
	return fsetxattr(fd, "user.meta_lat", &i, sizeof(i), 0);
}

static int op_unlink_link(int i)
{
	(void)i;
	return unlink(link_path);
}

static int op_rename(int i)
{
	return i & 1 ? rename(moved_path, path) : rename(path, moved_path);
}

static int op_ftruncate(int i)
{
	(void)i;
	return ftruncate(fd, file_size);
}

static int op_buffered_write(int i)
{
	char buf[READ_LEN];

	memset(buf, i, sizeof(buf));
	return pwrite(buffered_fd, buf, sizeof(buf), file_size - READ_LEN) ==
	       sizeof(buf) ? 0 : -1;
}

/* Untimed set-up before a sample: unlink needs a link to remove. */
static int prepare_unlink(int i)
{
	(void)i;
	return link(path, link_path);
}

static const struct op {
	const char *name;
	int (*run)(int i);
	int (*prepare)(int i);
} ops[] = {
	{ "fchmod", op_fchmod, NULL },
	{ "utimensat", op_utimensat, NULL },
	{ "setxattr", op_setxattr, NULL },
	{ "unlink_link", op_unlink_link, prepare_unlink },
	{ "rename", op_rename, NULL },
	{ "ftruncate", op_ftruncate, NULL },
	{ "buffered_write", op_buffered_write, NULL },
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile @pct of the sorted @v[@n]: ceil(pct n). */
static double percentile(const double *v, int n, int pct)
{
	int rank = (pct * n + 99) / 100;

	return v[rank < 1 ? 0 : rank - 1];
}

static int time_op(const struct op *op, int samples, double *us)
{
	int i;

	for (i = 0; i < samples; i++) {
		double t0;

		if (op->prepare && op->prepare(i))
			return fail("%s set-up: %s", op->name, strerror(errno));
		t0 = now_ms();
		if (op->run(i))
			return fail("%s: %s", op->name, strerror(errno));
		us[i] = (now_ms() - t0) * 1e3;
		sleep_ms(2 + random() % 5);
	}
	qsort(us, samples, sizeof(*us), cmp_double);
	printf("op %s n %d p50_us %.0f p99_us %.0f max_us %.0f\n", op->name,
	       samples, percentile(us, samples, 50), percentile(us, samples, 99),
	       us[samples - 1]);
	fflush(stdout);
	return 0;
}

static int open_file(void)
{
	struct stat st;

	fd = open(path, O_RDWR);
	buffered_fd = open(path, O_WRONLY);
	if (fd < 0 || buffered_fd < 0 || fstat(fd, &st))
		return fail("open %s: %s", path, strerror(errno));
	file_size = st.st_size;
	if (file_size < 2 * QUIET_TAIL)
		return fail("%s holds %lld bytes, want 2 MiB or more", path,
			    (long long)file_size);
	snprintf(link_path, sizeof(link_path), "%s.link", path);
	snprintf(moved_path, sizeof(moved_path), "%s.moved", path);
	return 0;
}

/* The reader child and the pipes to it. */
static struct {
	pid_t pid;
	int stop_fd, count_fd;
} reader = { -1, -1, -1 };

/* Starts the reader; 0 once its reads are in flight. */
static int start_reader(void)
{
	int ready[2], stop[2], count[2];
	char c;

	if (pipe(ready) || pipe(stop) || pipe(count))
		return fail("pipe: %s", strerror(errno));
	reader.pid = fork();
	if (reader.pid < 0)
		return fail("fork: %s", strerror(errno));
	if (reader.pid == 0) {
		close(stop[1]);
		read_until_stopped(ready[1], stop[0], count[1]);
	}
	close(ready[1]);
	close(stop[0]);
	close(count[1]);
	reader.stop_fd = stop[1];
	reader.count_fd = count[0];
	if (read(ready[0], &c, 1) != 1)
		return fail("the reader did not start");
	close(ready[0]);
	return 0;
}

static int stop_reader(void)
{
	long long done = 0;
	int status = 0;

	close(reader.stop_fd);
	if (waitpid(reader.pid, &status, 0) != reader.pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		return fail("the reader failed (status %#x)", status);
	if (read(reader.count_fd, &done, sizeof(done)) != sizeof(done) ||
	    !done)
		return fail("the reader completed no read");
	printf("reads %lld\n", done);
	return 0;
}

int main(int argc, char **argv)
{
	int samples = argc == 3 ? atoi(argv[2]) : 0;
	size_t i;
	double *us;
	int ret = 0;

	/* rename goes there and back: an even count leaves FILE in place */
	if (argc != 3 || samples < 2 || samples % 2) {
		fprintf(stderr, "usage: %s FILE SAMPLES (even)\n", argv[0]);
		return 2;
	}
	path = argv[1];
	us = calloc(samples, sizeof(*us));
	if (!us || open_file() || start_reader()) {
		fprintf(stderr, "meta_lat: %s\n", why);
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(ops) && !ret; i++)
		ret = time_op(&ops[i], samples, us);
	if (stop_reader())
		ret = -1;
	if (ret)
		fprintf(stderr, "meta_lat: %s\n", why);
	return ret ? 1 : 0;
}
