// SPDX-License-Identifier: GPL-2.0
/*
 * dio_matrix - verified direct I/O for uml/plans/uml_fs_other, on the
 * iomap users the series leaves unconverted (ext2, btrfs, f2fs, gfs2,
 * zonefs, erofs).  Every 512-byte sector it writes holds its sector
 * number, a generation and a fill derived from both, and a shadow of the
 * file records the generation each sector must hold (0: zeroes), so that
 * every read is checked sector by sector and each wrong sector counted.
 *
 *	dio_matrix rw ENGINE PATTERN FILE	writes, then verified reads
 *	dio_matrix race ENGINE OP FILE		OP while writes are in flight
 *	dio_matrix zreset ENGINE FILE		zonefs: reset racing appends
 *	dio_matrix zfinish ENGINE FILE		zonefs: finish racing appends
 *	dio_matrix mkfiles DIR			source files of the erofs image
 *	dio_matrix ro ENGINE BS DIR		O_DIRECT reads of those files
 *	dio_matrix mkzonefs DEVICE		a zonefs superblock (no mkzonefs)
 *
 * ENGINE is psync, libaio or io_uring (race, zreset and zfinish: libaio or
 * io_uring).  PATTERN is aligned (4 KiB writes into a sparse file, then
 * over them), subblock (the same with 512 bytes), extend and
 * extend_subblock (writes past EOF), inplace (4 KiB writes over a file
 * that cannot be truncated: a zonefs conventional zone), append (a zonefs
 * sequential zone) or reject (sub-block writes and reads of a file that
 * takes only whole 4 KiB blocks, a zonefs conventional zone: each must
 * fail with EINVAL and change nothing).  OP is truncate, punch, zero,
 * collapse, insert or prealloc.  Lines starting with '#' are figures; the
 * last line is "result ok ios N miscompares M" or "result fail ios N
 * miscompares M WHY", N the I/Os issued.  Raw aio and io_uring system
 * calls, libc only.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define SECT		512
#define BLK		4096
#define QD		16
#define CHUNK		(64 * 1024)
#define MAX_FILE	(64LL << 20)
#define MAX_SECTORS	(MAX_FILE / SECT)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum engine { PSYNC, LIBAIO, IO_URING };

static const char * const engine_names[] = { "psync", "libaio", "io_uring" };

/* One request of a batch; res is what the system call or event said. */
struct req {
	int write;
	void *buf;
	size_t len;
	off_t off;
	long long res;
};

static enum engine engine;
static int fd = -1;
static aio_context_t ctx;
static long long ios, miscompares;
static uint64_t rng = 0x2545f4914f6cdd1dULL;

/*
 * The shadow of the file: each sector's generation, the sector its data
 * was written for (collapse and insert range move data), and the size.
 */
static uint32_t *shadow, *origin;
static off_t file_size;
static uint64_t seed;
static uint32_t next_gen = 1;

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t random_below(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static uint64_t hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

/* The content of sector @sector at generation @gen (0: zeroes), seed @sd. */
static void stamp_with(uint64_t *w, uint64_t sector, uint32_t gen,
		       uint64_t sd)
{
	size_t i;

	if (!gen) {
		memset(w, 0, SECT);
		return;
	}
	w[0] = sector;
	w[1] = (uint64_t)gen << 32 | (uint32_t)sd;
	for (i = 2; i < SECT / 8; i++)
		w[i] = mix64(sd ^ mix64(sector * 0x10001 + gen) ^ i);
}

static void stamp(uint64_t *w, uint64_t sector, uint32_t gen)
{
	stamp_with(w, sector, gen, seed);
}

/* The shadow of a write of [off, off + len) at generation @gen. */
static void shadow_write(off_t off, size_t len, uint32_t gen)
{
	uint64_t s;

	for (s = off / SECT; s < (off + len) / SECT; s++) {
		shadow[s] = gen;
		origin[s] = s;
	}
	if (off + (off_t)len > file_size)
		file_size = off + len;
}

/* Fills @buf for a write of [off, off + len) at a new generation, its own. */
static uint32_t fill_write(void *buf, off_t off, size_t len)
{
	uint32_t gen = next_gen++;
	size_t i;

	for (i = 0; i < len / SECT; i++)
		stamp((uint64_t *)((char *)buf + i * SECT), off / SECT + i, gen);
	shadow_write(off, len, gen);
	return gen;
}

/* What a read of @len bytes at @off must return. */
static long long read_want(off_t off, size_t len)
{
	if (off >= file_size)
		return 0;
	return file_size - off < (off_t)len ? file_size - off : (off_t)len;
}

/*
 * Checks @n bytes read at @off against the shadow: counts the sectors that
 * differ, and describes the first of the run in why.
 */
static int check_data(const void *buf, off_t off, long long n)
{
	uint64_t want[SECT / 8];
	long long i;
	int bad = 0;

	for (i = 0; i < n / SECT; i++) {
		const uint64_t *got = (const uint64_t *)((const char *)buf +
							 i * SECT);
		uint64_t s = off / SECT + i;

		stamp(want, origin[s], shadow[s]);
		if (!memcmp(got, want, SECT))
			continue;
		bad++;
		if (miscompares++)
			continue;
		if (got[0] == want[0] && got[1] == want[1])
			fail("sector %llu: gen %u, its data corrupt",
			     (unsigned long long)s, shadow[s]);
		else if ((uint32_t)got[1] == (uint32_t)seed &&
			 got[0] < MAX_SECTORS)
			fail("sector %llu: want gen %u, read sector %llu gen %llu",
			     (unsigned long long)s, shadow[s],
			     (unsigned long long)got[0],
			     (unsigned long long)(got[1] >> 32));
		else
			fail("sector %llu: want gen %u, read %s",
			     (unsigned long long)s, shadow[s],
			     got[0] || got[1] || got[2] ? "other data" : "zeroes");
	}
	return bad ? -1 : 0;
}

/* ---------------------------------------------------------- engines */

/* io_uring: tool.h's minimal ring; user_data is the request's index. */
static struct ring ring = { .fd = -1 };

/* Queues @n requests and submits them; with @wait, waits for @wait. */
static int ring_submit_reqs(struct req *r, int n, int wait)
{
	int i;

	for (i = 0; i < n; i++)
		ring_prep(&ring, r[i].write ? IORING_OP_WRITE : IORING_OP_READ,
			  fd, r[i].buf, r[i].len, r[i].off, i);
	return ring_submit_wait(&ring, n, wait);
}

/*
 * Takes completions until @done of @n requests are complete; without
 * @min only those there are now (the task work that posts them run
 * first), without waiting.
 */
static int ring_reap(struct req *r, int n, int *done, int min)
{
	struct io_uring_cqe cqe;

	if (!min && syscall(__NR_io_uring_enter, ring.fd, 0, 0,
			    IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return fail("io_uring_enter(getevents): %s", strerror(errno));
	while (*done < n) {
		if (min) {
			if (ring_wait_cqe(&ring, &cqe))
				return -1;
		} else if (!ring_cqe(&ring, &cqe)) {
			break;
		}
		if (cqe.user_data >= (uint64_t)n)
			return fail("io_uring: stray completion");
		r[cqe.user_data].res = cqe.res;
		++*done;
	}
	return 0;
}

static void prep(struct iocb *cb, const struct req *r, int i)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_lio_opcode = r->write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
	cb->aio_fildes = fd;
	cb->aio_buf = (uintptr_t)r->buf;
	cb->aio_nbytes = r->len;
	cb->aio_offset = r->off;
	cb->aio_data = i;
}

static int aio_submit(struct req *r, int n)
{
	struct iocb cbs[QD], *ptrs[QD];
	int i;

	for (i = 0; i < n; i++) {
		prep(&cbs[i], &r[i], i);
		ptrs[i] = &cbs[i];
	}
	if (syscall(SYS_io_submit, ctx, n, ptrs) != n)
		return fail("io_submit: %s", strerror(errno));
	return 0;
}

/* Reaps events until @done of @n requests are complete; 0 on success. */
static int aio_reap(struct req *r, int n, int *done, int min)
{
	struct io_event ev[QD];
	struct timespec zero = { 0 };

	while (*done < n) {
		int got, i;

		got = syscall(SYS_io_getevents, ctx, min ? 1 : 0, n - *done,
			      ev, min ? NULL : &zero);
		if (got < 0)
			return fail("io_getevents: %s", strerror(errno));
		for (i = 0; i < got; i++)
			r[ev[i].data].res = ev[i].res;
		*done += got;
		if (!min)
			break;
	}
	return 0;
}

/* Submits @n requests with the asynchronous engine (and waits for @wait). */
static int submit_reqs(struct req *r, int n, int wait)
{
	return engine == IO_URING ? ring_submit_reqs(r, n, wait) :
				    aio_submit(r, n);
}

/* Takes completions: all @n with @min, else those there are now. */
static int reap_reqs(struct req *r, int n, int *done, int min)
{
	return engine == IO_URING ? ring_reap(r, n, done, min) :
				    aio_reap(r, n, done, min);
}

/* Issues @n requests with the engine and waits for all of them. */
static int run_reqs(struct req *r, int n)
{
	int i, done = 0;

	ios += n;
	switch (engine) {
	case PSYNC:
		for (i = 0; i < n; i++) {
			r[i].res = r[i].write ?
				pwrite(fd, r[i].buf, r[i].len, r[i].off) :
				pread(fd, r[i].buf, r[i].len, r[i].off);
			if (r[i].res < 0)
				r[i].res = -errno;
		}
		return 0;
	case LIBAIO:
	case IO_URING:
		return submit_reqs(r, n, n) || reap_reqs(r, n, &done, 1);
	}
	return fail("no engine");
}

/* Each request of a finished batch transferred what it had to. */
static int check_results(struct req *r, int n, const long long *want)
{
	int i;

	for (i = 0; i < n; i++) {
		if (r[i].res == want[i])
			continue;
		if (r[i].res < 0)
			return fail("%s %zu at %lld: %s",
				    r[i].write ? "write" : "read", r[i].len,
				    (long long)r[i].off, strerror(-r[i].res));
		return fail("%s %zu at %lld: %lld bytes, want %lld",
			    r[i].write ? "write" : "read", r[i].len,
			    (long long)r[i].off, r[i].res, want[i]);
	}
	return 0;
}

static void *bufs[QD];

static int alloc_bufs(void)
{
	int i;

	for (i = 0; i < QD; i++) {
		bufs[i] = block_buf(CHUNK, 0);
		if (!bufs[i])
			return fail("out of memory");
	}
	shadow = calloc(MAX_SECTORS, sizeof(*shadow));
	origin = calloc(MAX_SECTORS, sizeof(*origin));
	return shadow && origin ? 0 : fail("out of memory");
}

static int engine_setup(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(engine_names); i++)
		if (!strcmp(name, engine_names[i]))
			break;
	if (i == ARRAY_SIZE(engine_names))
		return fail("unknown engine %s", name);
	engine = i;
	if (engine == IO_URING && ring.fd < 0)
		return ring_setup(&ring, 2 * QD, 0);
	return 0;
}

/* ---------------------------------------------------------- checks */

/* The file's size is the shadow's. */
static int check_size(void)
{
	struct stat st;

	if (fstat(fd, &st))
		return fail("fstat: %s", strerror(errno));
	if (st.st_size != file_size)
		return fail("size %lld, want %lld", (long long)st.st_size,
			    (long long)file_size);
	return 0;
}

/*
 * Reads @n requests of @len bytes at @offs and checks them all: -1 if one
 * failed, 1 if data differed (counted in miscompares), else 0.
 */
static int read_batch(const off_t *offs, int n, size_t len)
{
	struct req r[QD];
	long long want[QD];
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		memset(bufs[i], 0xa5, len);
		r[i] = (struct req){ 0, bufs[i], len, offs[i], 0 };
		want[i] = read_want(offs[i], len);
	}
	if (run_reqs(r, n) || check_results(r, n, want))
		return -1;
	for (i = 0; i < n; i++)
		bad |= check_data(bufs[i], offs[i], want[i]);
	return bad ? 1 : 0;
}

/*
 * The whole file in 64 KiB reads, the last one past EOF; a miscompare
 * does not stop it, so that every wrong sector is counted.
 */
static int verify_all(void)
{
	off_t offs[QD], off = 0;
	int qd = engine == PSYNC ? 1 : QD, n = 0, ret, bad = 0;

	if (check_size())
		return -1;
	for (;;) {
		offs[n++] = off;
		if (n == qd || off >= file_size) {
			ret = read_batch(offs, n, CHUNK);
			if (ret < 0)
				return -1;
			bad |= ret;
			n = 0;
		}
		if (off >= file_size)
			break;
		off += CHUNK;
	}
	return bad ? -1 : 0;
}

/* @count random reads of @bs bytes, @bs-aligned, below EOF. */
static int verify_random(size_t bs, int count)
{
	off_t offs[QD];
	int qd = engine == PSYNC ? 1 : QD, n = 0, i, ret, bad = 0;
	uint64_t slots = (file_size + bs - 1) / bs;

	if (!slots)
		return 0;
	for (i = 0; i < count; i++) {
		offs[n++] = random_below(slots) * bs;
		if (n == qd || i == count - 1) {
			ret = read_batch(offs, n, bs);
			if (ret < 0)
				return -1;
			bad |= ret;
			n = 0;
		}
	}
	return bad ? -1 : 0;
}

/* Writes @n requests of @len bytes at @offs, each at a new generation. */
static int write_batch(const off_t *offs, int n, size_t len)
{
	struct req r[QD];
	long long want[QD];
	int i;

	for (i = 0; i < n; i++) {
		fill_write(bufs[i], offs[i], len);
		r[i] = (struct req){ 1, bufs[i], len, offs[i], 0 };
		want[i] = len;
	}
	return run_reqs(r, n) || check_results(r, n, want);
}

/*
 * @count writes of @bs bytes at random @bs-aligned offsets below @size,
 * in batches of the engine's depth with no offset twice in a batch.
 */
static int random_writes(size_t bs, off_t size, int count)
{
	off_t offs[QD];
	int qd = engine == PSYNC ? 1 : QD, n = 0, i, j;

	for (i = 0; i < count; i++) {
		off_t off;

		do {
			off = random_below(size / bs) * bs;
			for (j = 0; j < n && offs[j] != off; j++)
				;
		} while (j < n);
		offs[n++] = off;
		if (n == qd || i == count - 1) {
			if (write_batch(offs, n, bs))
				return -1;
			n = 0;
		}
	}
	return 0;
}

/* @count writes of @bs bytes, each at the end of the one before. */
static int extending_writes(size_t bs, int count)
{
	off_t offs[QD];
	int qd = engine == PSYNC ? 1 : QD, n = 0, i;

	for (i = 0; i < count; i++) {
		offs[n] = file_size + (off_t)n * bs;
		n++;
		if (n == qd || i == count - 1) {
			if (write_batch(offs, n, bs))
				return -1;
			n = 0;
		}
	}
	return 0;
}

/* The file is empty (a zonefs sequential file) or is made empty. */
static int start_empty(void)
{
	struct stat st;

	if (fstat(fd, &st))
		return fail("fstat: %s", strerror(errno));
	if (st.st_size && ftruncate(fd, 0))
		return fail("truncate to 0: %s", strerror(errno));
	file_size = 0;
	return 0;
}

static int sparse(off_t size)
{
	if (ftruncate(fd, 0) || ftruncate(fd, size))
		return fail("truncate: %s", strerror(errno));
	file_size = size;
	return 0;
}

/*
 * reject: sub-block direct I/O to a file of a filesystem that takes only
 * whole blocks, on a device whose logical blocks are 4 KiB too: a zonefs
 * conventional zone file (zonefs_file_dio_write() and
 * zonefs_file_read_iter() refuse a position or length that is not a
 * multiple of the block size with EINVAL).  Every such write and read
 * must fail with EINVAL, and the file read back whole (4 KiB O_DIRECT
 * reads) must be as before, byte for byte.
 */
static int reject_subblock(void)
{
	static const struct {
		off_t off;
		size_t len;
	} bad[] = {
		{ SECT, SECT },			/* both sub-block */
		{ 0, SECT },			/* a block's start, too short */
		{ BLK, BLK + SECT },		/* a block's start, too long */
		{ 2 * BLK + SECT, BLK },	/* a block's length, misplaced */
	};
	const int per = ARRAY_SIZE(bad), n = QD / per * per;
	unsigned char *before;
	struct req r[QD];
	struct stat st;
	off_t off, size;
	int i, w, bad_sectors = 0;

	if (fstat(fd, &st) || st.st_size < QD * CHUNK ||
	    st.st_size > MAX_FILE || st.st_size % CHUNK)
		return fail("size %lld: not a fixed-size file",
			    (long long)st.st_size);
	size = st.st_size;
	before = malloc(size);
	if (!before)
		return fail("out of memory");
	for (off = 0; off < size; off += CHUNK) {
		ios++;
		if (pread(fd, bufs[0], CHUNK, off) != CHUNK)
			return fail("read at %lld: %s", (long long)off,
				    strerror(errno));
		memcpy(before + off, bufs[0], CHUNK);
	}
	for (w = 1; w >= 0; w--) {
		for (i = 0; i < n; i++) {
			memset(bufs[i], w ? 0x5a : 0xa5, CHUNK);
			r[i] = (struct req){ w, bufs[i], bad[i % per].len,
					     (i / per) * CHUNK +
					     bad[i % per].off, 0 };
		}
		if (run_reqs(r, n))
			return -1;
		for (i = 0; i < n; i++) {
			if (r[i].res == -EINVAL)
				continue;
			if (r[i].res < 0)
				return fail("%s %zu at %lld: %s, want EINVAL",
					    w ? "write" : "read", r[i].len,
					    (long long)r[i].off,
					    strerror(-r[i].res));
			return fail("%s %zu at %lld: %lld bytes, want EINVAL",
				    w ? "write" : "read", r[i].len,
				    (long long)r[i].off, r[i].res);
		}
	}
	for (off = 0; off < size; off += CHUNK) {
		ios++;
		if (pread(fd, bufs[0], CHUNK, off) != CHUNK)
			return fail("read at %lld: %s", (long long)off,
				    strerror(errno));
		for (i = 0; i < CHUNK / SECT; i++) {
			if (!memcmp((char *)bufs[0] + i * SECT,
				    before + off + i * SECT, SECT))
				continue;
			if (!bad_sectors++)
				fail("sector %lld changed by a refused write",
				     (long long)(off / SECT + i));
		}
	}
	free(before);
	miscompares += bad_sectors;
	if (bad_sectors)
		return -1;
	if (fstat(fd, &st))
		return fail("fstat: %s", strerror(errno));
	return st.st_size == size ? 0 : fail("size %lld after, want %lld",
					     (long long)st.st_size,
					     (long long)size);
}

static int run_pattern(const char *name)
{
	struct stat st;

	if (!strcmp(name, "aligned"))
		return sparse(4 << 20) || random_writes(BLK, 4 << 20, 512) ||
		       verify_all() || random_writes(BLK, 4 << 20, 256) ||
		       verify_all() || verify_random(BLK, 256);
	if (!strcmp(name, "subblock"))
		return sparse(1 << 20) || random_writes(SECT, 1 << 20, 1024) ||
		       verify_all() || random_writes(SECT, 1 << 20, 512) ||
		       verify_all() || verify_random(SECT, 512);
	if (!strcmp(name, "extend"))
		return start_empty() || extending_writes(BLK, 256) ||
		       verify_all() || verify_random(BLK, 128);
	if (!strcmp(name, "extend_subblock"))
		return start_empty() || extending_writes(SECT, 512) ||
		       verify_all() || verify_random(SECT, 256);
	if (!strcmp(name, "append"))
		return start_empty() || extending_writes(BLK, 512) ||
		       verify_all() || verify_random(BLK, 256);
	if (!strcmp(name, "inplace")) {
		/* Never written since the device was made: zeroes. */
		if (fstat(fd, &st) || st.st_size < 64 * BLK ||
		    st.st_size > MAX_FILE)
			return fail("size %lld: not a fixed-size file",
				    (long long)st.st_size);
		file_size = st.st_size;
		return verify_all() ||
		       random_writes(BLK, st.st_size, 512) || verify_all() ||
		       random_writes(BLK, st.st_size, 256) || verify_all() ||
		       verify_random(BLK, 256);
	}
	if (!strcmp(name, "reject"))
		return reject_subblock();
	return fail("unknown pattern %s", name);
}

/* ----------------------------------------- operations racing writes */

#define RACE_FILE	(1024 * 1024)
#define RACE_IO		(RACE_FILE / QD)
#define CANARY_LEN	RACE_FILE
#define SETTLE_MS	2000.0
#define MAX_EXTENTS	64

/* Moves the shadow's sectors from @from on by @by sectors (<0: left). */
static void shadow_shift(uint64_t from, long long by)
{
	uint64_t end = file_size / SECT, s;

	if (by < 0) {
		for (s = from; s < end; s++) {
			shadow[s + by] = shadow[s];
			origin[s + by] = origin[s];
		}
		for (s = end + by; s < end; s++)
			shadow[s] = 0;
	} else {
		for (s = end; s-- > from;) {
			shadow[s + by] = shadow[s];
			origin[s + by] = origin[s];
		}
		for (s = from; s < from + by; s++)
			shadow[s] = 0;
	}
	file_size += by * SECT;
}

static void shadow_zero(off_t from, off_t to)
{
	off_t s;

	for (s = from / SECT; s < to / SECT; s++)
		shadow[s] = 0;
}

static int is_zoned(const char *op)
{
	return !strcmp(op, "zreset") || !strcmp(op, "zfinish");
}

/* zfinish: the size of the file of a finished zone. */
static off_t zone_capacity;

/* Runs @op on the file; 0, or -1 with errno set. */
static int race_op(const char *op)
{
	const off_t q = RACE_FILE / 4;
	struct stat st;

	if (!strcmp(op, "truncate"))
		return ftruncate(fd, q) || ftruncate(fd, RACE_FILE) ? -1 : 0;
	if (!strcmp(op, "punch"))
		return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 0, 2 * q);
	if (!strcmp(op, "zero"))
		return fallocate(fd, FALLOC_FL_ZERO_RANGE, 2 * q, q);
	if (!strcmp(op, "collapse"))
		return fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, q, q);
	if (!strcmp(op, "insert"))
		return fallocate(fd, FALLOC_FL_INSERT_RANGE, q, q);
	if (!strcmp(op, "prealloc"))
		return fallocate(fd, 0, 0, 2 * RACE_FILE);
	if (!strcmp(op, "zreset"))
		return ftruncate(fd, 0);
	if (!strcmp(op, "zfinish")) {
		/*
		 * zonefs gives each file's inode its zone's whole capacity as
		 * i_blocks (512-byte units, set by zonefs_get_file_inode()
		 * and never changed), however much is written; so st_blocks
		 * tells the size that a truncate finishing the zone asks for.
		 */
		if (fstat(fd, &st))
			return -1;
		zone_capacity = st.st_blocks * 512;
		return ftruncate(fd, zone_capacity);
	}
	errno = EINVAL;
	return -1;
}

/* What @op does to the shadow. */
static void shadow_op(const char *op)
{
	const off_t q = RACE_FILE / 4;

	if (!strcmp(op, "truncate")) {
		shadow_zero(q, RACE_FILE);
		file_size = RACE_FILE;
	} else if (!strcmp(op, "punch")) {
		shadow_zero(0, 2 * q);
	} else if (!strcmp(op, "zero")) {
		shadow_zero(2 * q, 3 * q);
	} else if (!strcmp(op, "collapse")) {
		shadow_shift(2 * q / SECT, -q / SECT);
	} else if (!strcmp(op, "insert")) {
		shadow_shift(q / SECT, q / SECT);
	} else if (!strcmp(op, "prealloc")) {
		if (file_size < 2 * RACE_FILE)
			file_size = 2 * RACE_FILE;
	} else if (!strcmp(op, "zreset")) {
		shadow_zero(0, file_size);
		file_size = 0;
	} else if (!strcmp(op, "zfinish")) {
		file_size = zone_capacity;
	}
}

/*
 * The bytes of the race file that @op unmaps, whose blocks it may free:
 * their length (0: none) and in *@start their offset.
 */
static off_t freed_range(const char *op, off_t *start)
{
	const off_t q = RACE_FILE / 4;

	*start = 0;
	if (!strcmp(op, "truncate")) {
		*start = q;
		return RACE_FILE - q;
	}
	if (!strcmp(op, "punch"))
		return 2 * q;
	if (!strcmp(op, "zero")) {
		*start = 2 * q;
		return q;
	}
	if (!strcmp(op, "collapse")) {
		*start = q;
		return q;
	}
	return 0;
}

/* The shadow before the racing writes, from which each order is replayed. */
static uint32_t *pre_shadow, *pre_origin;
static off_t pre_size;

static void shadow_save(void)
{
	memcpy(pre_shadow, shadow, MAX_SECTORS * sizeof(*shadow));
	memcpy(pre_origin, origin, MAX_SECTORS * sizeof(*origin));
	pre_size = file_size;
}

/*
 * The shadow of one serial order: the racing writes @r (of generations
 * @gens) not marked in @after, then @op, then those marked that wrote
 * (a zonefs append issued after the reset or finish is refused).
 */
static void shadow_order(const char *op, const struct req *r,
			 const uint32_t *gens, const int *after, int n)
{
	int i;

	memcpy(shadow, pre_shadow, MAX_SECTORS * sizeof(*shadow));
	memcpy(origin, pre_origin, MAX_SECTORS * sizeof(*origin));
	file_size = pre_size;
	for (i = 0; i < n; i++)
		if (!after[i])
			shadow_write(r[i].off, r[i].len, gens[i]);
	shadow_op(op);
	for (i = 0; i < n; i++)
		if (after[i] && r[i].res == (long long)r[i].len)
			shadow_write(r[i].off, r[i].len, gens[i]);
}

/*
 * io_uring may issue a write only after @op started (from io-wq), which
 * is a serial order too: then the write's range holds its own data where
 * write-then-@op would leave something else.  Marks those writes in
 * @after (their number in *@n_after) and leaves the shadow as the order
 * they make.  Ranges that read alike in both orders count as before.
 */
static int order_from_data(const char *op, const struct req *r,
			   const uint32_t *gens, int *after, int *n_after)
{
	uint64_t want[SECT / 8];
	int i;

	*n_after = 0;
	shadow_order(op, r, gens, after, QD);
	for (i = 0; i < QD; i++) {
		uint64_t s0 = r[i].off / SECT, k;
		int own = 1, same = 1;
		ssize_t n = pread(fd, bufs[0], r[i].len, r[i].off);

		ios++;
		if (n < 0)
			return fail("read %zu at %lld: %s", r[i].len,
				    (long long)r[i].off, strerror(errno));
		if (n != (ssize_t)r[i].len)
			continue;
		for (k = 0; k < r[i].len / SECT && own; k++) {
			stamp(want, s0 + k, gens[i]);
			own = !memcmp((char *)bufs[0] + k * SECT, want, SECT);
			same = same && shadow[s0 + k] == gens[i] &&
			       origin[s0 + k] == s0 + k &&
			       (off_t)((s0 + k + 1) * SECT) <= file_size;
		}
		after[i] = own && !same;
		*n_after += after[i];
	}
	shadow_order(op, r, gens, after, QD);
	return 0;
}

/* A byte range of the disk (FIEMAP: fe_physical, fe_length). */
struct extent {
	uint64_t physical, len;
};

/*
 * The disk ranges of the bytes [start, start + len) of @f (FIEMAP, synced
 * first), clipped to them: their number, or -errno.
 */
static int extents_of(int f, off_t start, off_t len, struct extent *ext)
{
	size_t sz = sizeof(struct fiemap) +
		    MAX_EXTENTS * sizeof(struct fiemap_extent);
	struct fiemap *fm = calloc(1, sz);
	unsigned int i;
	int nr = 0;

	if (!fm)
		return -ENOMEM;
	fm->fm_start = start;
	fm->fm_length = len;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = MAX_EXTENTS;
	if (ioctl(f, FS_IOC_FIEMAP, fm)) {
		nr = -errno;
		free(fm);
		return nr;
	}
	for (i = 0; i < fm->fm_mapped_extents; i++) {
		const struct fiemap_extent *fe = &fm->fm_extents[i];
		uint64_t lo = fe->fe_logical, hi = lo + fe->fe_length;

		if (lo < (uint64_t)start)
			lo = start;
		if (hi > (uint64_t)(start + len))
			hi = start + len;
		if (hi <= lo)
			continue;
		ext[nr].physical = fe->fe_physical + (lo - fe->fe_logical);
		ext[nr++].len = hi - lo;
	}
	free(fm);
	return nr;
}

/* Bytes of the disk that both @a and @b cover. */
static uint64_t overlap(const struct extent *a, int na,
			const struct extent *b, int nb)
{
	uint64_t sum = 0;
	int i, j;

	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++) {
			uint64_t lo = a[i].physical, hi = lo + a[i].len;

			if (lo < b[j].physical)
				lo = b[j].physical;
			if (hi > b[j].physical + b[j].len)
				hi = b[j].physical + b[j].len;
			if (hi > lo)
				sum += hi - lo;
		}
	return sum;
}

/*
 * The canary: a file of its own seed, written (O_DIRECT, then fsync) as
 * soon as the operation has freed blocks of the race file and before the
 * racing writes are reaped, so that it may be given those blocks.  Had
 * the operation not waited for a write to them, that write would land
 * in the canary later: the race file cannot show it (the range reads as
 * zeroes, as if the write came first), the canary, read back once every
 * write is reaped, does.  A syncfs() first lets filesystems that reuse
 * freed blocks only after a commit (btrfs transaction, f2fs checkpoint,
 * gfs2 log flush) give them out; FIEMAP tells how much was reused.
 */
static char canary_path[600];
static void *canary_buf;
static uint64_t canary_seed;
static int canary_fd = -1;

static void canary_fill(off_t off)
{
	int k;

	for (k = 0; k < CHUNK / SECT; k++)
		stamp_with((uint64_t *)((char *)canary_buf + k * SECT),
			   off / SECT + k, 1, canary_seed);
}

static int canary_write(const char *path)
{
	off_t off;

	snprintf(canary_path, sizeof(canary_path), "%s.canary", path);
	canary_seed = mix64(seed ^ hash_name("canary"));
	if ((uint32_t)canary_seed == (uint32_t)seed)
		canary_seed ^= 1;
	canary_buf = block_buf(CHUNK, 0);
	if (!canary_buf)
		return fail("out of memory");
	if (syncfs(fd))
		return fail("syncfs: %s", strerror(errno));
	canary_fd = open(canary_path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT,
			 0600);
	if (canary_fd < 0)
		return fail("%s: %s", canary_path, strerror(errno));
	for (off = 0; off < CANARY_LEN; off += CHUNK) {
		canary_fill(off);
		ios++;
		if (pwrite(canary_fd, canary_buf, CHUNK, off) != CHUNK)
			return fail("canary write at %lld: %s", (long long)off,
				    strerror(errno));
	}
	return fsync(canary_fd) ? fail("canary fsync: %s", strerror(errno))
				: 0;
}

/* How much of what @op freed (@freed, @nfreed or -errno) the canary took. */
static void canary_figures(const char *op, const struct extent *freed,
			   int nfreed)
{
	struct extent mine[MAX_EXTENTS];
	int n = nfreed < 0 ? nfreed : extents_of(canary_fd, 0, CANARY_LEN,
						 mine);
	uint64_t total = 0;
	int i;

	if (n < 0) {
		printf("# canary: no FIEMAP (%s), reuse unknown\n",
		       strerror(-n));
		return;
	}
	for (i = 0; i < nfreed; i++)
		total += freed[i].len;
	printf("# canary: %llu of the %llu KiB %s freed are in it\n",
	       (unsigned long long)overlap(mine, n, freed, nfreed) >> 10,
	       (unsigned long long)total >> 10, op);
}

/* The canary reads back as written; then it is removed. */
static int canary_check(const char *op)
{
	uint64_t want[SECT / 8];
	int k, bad = 0;
	off_t off;

	for (off = 0; off < CANARY_LEN; off += CHUNK) {
		memset(canary_buf, 0xa5, CHUNK);
		ios++;
		if (pread(canary_fd, canary_buf, CHUNK, off) != CHUNK)
			return fail("canary read at %lld: %s", (long long)off,
				    strerror(errno));
		for (k = 0; k < CHUNK / SECT; k++) {
			const uint64_t *got = (const uint64_t *)
				((const char *)canary_buf + k * SECT);
			uint64_t s = off / SECT + k;

			stamp_with(want, s, 1, canary_seed);
			if (!memcmp(got, want, SECT))
				continue;
			bad++;
			if (miscompares++)
				continue;
			if ((uint32_t)got[1] == (uint32_t)seed &&
			    got[0] < MAX_SECTORS)
				fail("canary sector %llu: race sector %llu gen %llu came after %s",
				     (unsigned long long)s,
				     (unsigned long long)got[0],
				     (unsigned long long)(got[1] >> 32), op);
			else
				fail("canary sector %llu: read %s",
				     (unsigned long long)s,
				     got[0] || got[1] || got[2] ? "other data" :
								  "zeroes");
		}
	}
	close(canary_fd);
	canary_fd = -1;
	if (unlink(canary_path) && !bad)
		return fail("unlink %s: %s", canary_path, strerror(errno));
	return bad ? -1 : 0;
}

/*
 * The plan's cgroup DIO_MATRIX_CGROUP throttles the racing writes' bios, so
 * that they are still in flight when the operation starts; the process
 * joins it only to submit them, so that the operation and the canary are
 * not held back.
 */
static int throttled(int join)
{
	const char *cgroup = getenv("DIO_MATRIX_CGROUP");
	char parent[256], *slash;

	if (!cgroup)
		return fail("DIO_MATRIX_CGROUP is not set: no cgroup holds writes back");
	snprintf(parent, sizeof(parent), "%s", cgroup);
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	if (join_cgroup(join ? cgroup : parent))
		return fail("joining %s: %s", join ? cgroup : parent,
			    strerror(errno));
	return 0;
}

/* 1 if every thread of this process but this one sleeps interruptibly. */
static int threads_idle(void)
{
	DIR *d = opendir("/proc/self/task");
	char path[64], st[512], *p;
	struct dirent *e;
	int idle = 1, f;
	ssize_t n;

	if (!d)
		return 1;
	while (idle && (e = readdir(d))) {
		pid_t tid = atoi(e->d_name);

		if (tid <= 0 || tid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
		f = open(path, O_RDONLY);
		if (f < 0)
			continue;
		n = read(f, st, sizeof(st) - 1);
		close(f);
		if (n <= 0)
			continue;
		st[n] = 0;
		p = strrchr(st, ')');
		idle = !p || p[1] != ' ' || p[2] == 'S';
	}
	closedir(d);
	return idle;
}

/*
 * io_uring issues a request that would block, and every request to a file
 * without FMODE_NOWAIT (ext2, gfs2, zonefs do not set it), from an io-wq
 * worker: a thread of this process, which must issue it while the
 * process is still in the throttled cgroup.  Waits until every other
 * thread sleeps interruptibly (an idle worker; one issuing runs or sleeps
 * uninterruptibly) in two looks 1 ms apart, for at most @limit_ms: the
 * time waited, or -1.  A heuristic: a write issued after the operation
 * is a serial order all the same, which the check accepts (run_race()).
 */
static double iowq_settle(double limit_ms)
{
	double t0 = now_ms(), t;
	int quiet = 0;

	for (;;) {
		t = now_ms() - t0;
		quiet = threads_idle() ? quiet + 1 : 0;
		if (quiet == 2)
			return t;
		if (t > limit_ms)
			return -1;
		sleep_ms(1);
	}
}

/*
 * QD writes are submitted with @eng (libaio or io_uring) and @op runs
 * before they are reaped.  For the zonefs operations the writes append to
 * the file; otherwise they overwrite a 1 MiB file written before (with
 * gfs2, a direct write past EOF or into a hole is done as buffered I/O
 * inside the submission, never in flight: these are all direct).
 *
 * What the test relies on: that the filesystem orders each write, a
 * request of its own, wholly before or after @op, and waits for a write
 * issued before @op to complete before @op frees or moves its blocks.
 * Not that every operation drains direct I/O: ext2, f2fs and gfs2
 * truncate, f2fs fallocate and zonefs reset and finish wait for all of it
 * (inode_dio_wait()), gfs2 fallocate through the exclusive inode glock
 * (inode_go_held() calls inode_dio_wait()), btrfs truncate too, but btrfs
 * punch, zero range and prealloc wait only for the ordered extents in
 * their range (btrfs_wait_ordered_range()), which a direct write creates
 * when it maps its range: a write outside the range may still be in
 * flight afterwards, and commutes with the operation.
 *
 * libaio issues every write inside io_submit(), before @op starts, so the
 * file must read back as write-then-@op.  io_uring may issue a write only
 * after @op started (from io-wq, iowq_settle()); each write may then be
 * on either side of @op, and the file must read back as one such serial
 * order (a zonefs append issued after the reset or finish is refused with
 * EINVAL).  A write that landed in freed blocks after @op would read as
 * zeroes here, like write-then-@op: the canary is there for that.
 */
static int run_race(const char *eng, const char *op, const char *path)
{
	int zoned = is_zoned(op), done = 0, n_after = 0, nfreed = 0, i;
	int in_flight;
	off_t base = zoned ? 64 * BLK : 0, fstart, flen;
	size_t len = zoned ? BLK * 4 : RACE_IO;
	struct extent freed[MAX_EXTENTS];
	int after[QD] = { 0 };
	uint32_t gens[QD];
	struct req r[QD];
	double t, settle = 0;
	enum engine race_engine;

	if (engine_setup(eng))
		return -1;
	if (engine == PSYNC)
		return fail("psync has no writes in flight: libaio or io_uring");
	race_engine = engine;
	pre_shadow = calloc(MAX_SECTORS, sizeof(*pre_shadow));
	pre_origin = calloc(MAX_SECTORS, sizeof(*pre_origin));
	if (!pre_shadow || !pre_origin)
		return fail("out of memory");
	engine = PSYNC;
	if (start_empty() || (zoned ? extending_writes(BLK, 64) :
				      extending_writes(RACE_IO, QD)))
		return -1;
	flen = freed_range(op, &fstart);
	if (flen)
		nfreed = extents_of(fd, fstart, flen, freed);
	shadow_save();
	engine = race_engine;
	for (i = 0; i < QD; i++) {
		off_t off = base + i * len;

		gens[i] = fill_write(bufs[i], off, len);
		r[i] = (struct req){ 1, bufs[i], len, off, -1 };
	}
	ios += QD;
	if (throttled(1) || submit_reqs(r, QD, 0))
		return -1;
	if (engine == IO_URING)
		settle = iowq_settle(SETTLE_MS);
	if (throttled(0) || reap_reqs(r, QD, &done, 0))
		return -1;
	t = now_ms();
	if (race_op(op))
		return fail("%s: %s", op, strerror(errno));
	t = now_ms() - t;
	printf("# %d of %d writes in flight when %s started; it took %.1f ms\n",
	       QD - done, QD, op, t);
	if (engine == IO_URING && settle < 0)
		return fail("io-wq busy %.0f ms after submitting: writes maybe issued after %s",
			    SETTLE_MS, op);
	if (engine == IO_URING)
		printf("# io-wq idle %.1f ms after the submission\n", settle);
	in_flight = QD - done;
	if (!in_flight)
		return fail("no write was in flight when %s started: no race",
			    op);
	if (flen && canary_write(path))
		return -1;
	if (reap_reqs(r, QD, &done, 1))
		return -1;
	for (i = 0; i < QD; i++) {
		long long want = len;

		if (r[i].res == want)
			continue;
		if (zoned && engine == IO_URING && r[i].res == -EINVAL) {
			after[i] = 1;
			n_after++;
			continue;
		}
		return check_results(&r[i], 1, &want);
	}
	if (engine == IO_URING && !zoned) {
		if (order_from_data(op, r, gens, after, &n_after))
			return -1;
	} else {
		shadow_order(op, r, gens, after, QD);
	}
	if (engine == IO_URING)
		printf("# %d of %d writes came after %s\n", n_after, QD, op);
	/* Writes all ordered after the op never made it wait: no race. */
	if (in_flight - n_after <= 0)
		return fail("every write in flight came after %s: no race", op);
	if (flen)
		canary_figures(op, freed, nfreed);
	if (verify_all() || verify_random(BLK, 64))
		return -1;
	if (flen && canary_check(op))
		return -1;
	if (strcmp(op, "zreset"))
		return 0;
	/* The reset zone takes appends from its start again. */
	return extending_writes(BLK, 16) || verify_all();
}

/* ------------------------------------------------------- erofs files */

static const struct ro_file {
	const char *name;
	off_t size;
	off_t zero_from, zero_to;	/* a hole in the source file */
} ro_files[] = {
	{ "big", 2 << 20, 0, 0 },
	{ "tail", (256 << 10) + 1536, 0, 0 },
	{ "small", 1536, 0, 0 },
	{ "holey", 1 << 20, 256 << 10, 768 << 10 },
};

/* The shadow of @f: every sector at generation 1 but for its hole. */
static void ro_shadow(const struct ro_file *f)
{
	off_t s;

	seed = hash_name(f->name);
	file_size = f->size;
	for (s = 0; s < f->size / SECT; s++) {
		shadow[s] = s * SECT >= f->zero_from && s * SECT < f->zero_to ?
			    0 : 1;
		origin[s] = s;
	}
}

static int mkfiles(const char *dir)
{
	char path[512];
	size_t i;
	off_t s;

	for (i = 0; i < ARRAY_SIZE(ro_files); i++) {
		const struct ro_file *f = &ro_files[i];

		snprintf(path, sizeof(path), "%s/%s", dir, f->name);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return fail("%s: %s", path, strerror(errno));
		ro_shadow(f);
		for (s = 0; s < f->size / SECT; s++) {
			if (!shadow[s])
				continue;
			stamp(bufs[0], s, 1);
			if (pwrite(fd, bufs[0], SECT, s * SECT) != SECT)
				return fail("%s: %s", path, strerror(errno));
		}
		if (ftruncate(fd, f->size) || close(fd))
			return fail("%s: %s", path, strerror(errno));
	}
	return 0;
}

/*
 * O_DIRECT reads of the erofs files, whole in 64 KiB and at random in @bs.
 * erofs takes direct reads aligned to its device's logical block size
 * (erofs_file_read_iter()), not to its own 4 KiB blocks: @bs 512 needs a
 * device with 512-byte logical blocks (the plan's null_blk disks).
 */
static int ro_read(const char *dir, size_t bs)
{
	char path[512];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ro_files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ro_files[i].name);
		fd = open(path, O_RDONLY | O_DIRECT);
		if (fd < 0)
			return fail("%s: %s", path, strerror(errno));
		ro_shadow(&ro_files[i]);
		if (verify_all() || verify_random(bs, 128)) {
			char w[sizeof(why)];

			snprintf(w, sizeof(w), "%s", why);
			return fail("%s: %s", ro_files[i].name, w);
		}
		close(fd);
	}
	return 0;
}

/* ------------------------------------------------ zonefs superblock */

#define ZONEFS_MAGIC	0x5a4f4653

static uint32_t crc32_le(uint32_t crc, const unsigned char *p, size_t len)
{
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
	}
	return crc;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/*
 * struct zonefs_super (fs/zonefs/zonefs.h), 4096 bytes at sector 0:
 * magic, crc32 (seed ~0, no final inversion, computed with the crc field
 * 0), a 64-byte label, a 16-byte uuid, features, uid, gid, perm, and a
 * reserved area that must be zero.  No features: one file per zone, owned
 * by root, mode 0640.
 */
static int mkzonefs(const char *dev)
{
	unsigned char *sb = block_buf(BLK, 0);
	uint64_t u0 = mix64(now_ns()), u1 = mix64(u0 ^ getpid());

	if (!sb)
		return fail("out of memory");
	put_le32(sb, ZONEFS_MAGIC);
	memcpy(sb + 8, "uml_fs_other", 12);
	memcpy(sb + 72, &u0, 8);
	memcpy(sb + 80, &u1, 8);
	put_le32(sb + 4, crc32_le(~0U, sb, BLK));
	fd = open(dev, O_WRONLY | O_DIRECT);
	if (fd < 0)
		return fail("%s: %s", dev, strerror(errno));
	if (pwrite(fd, sb, BLK, 0) != BLK || fsync(fd))
		return fail("writing the superblock: %s", strerror(errno));
	ios++;
	return close(fd) ? fail("close: %s", strerror(errno)) : 0;
}

/* ------------------------------------------------------------- main */

static int print_usage(void)
{
	fprintf(stderr,
		"usage: dio_matrix rw ENGINE PATTERN FILE | race ENGINE OP FILE |\n"
		"       zreset ENGINE FILE | zfinish ENGINE FILE | mkfiles DIR |\n"
		"       ro ENGINE BS DIR | mkzonefs DEVICE\n");
	return 2;
}

static int open_rw(const char *path)
{
	fd = open(path, O_RDWR | O_CREAT | O_DIRECT, 0600);
	return fd < 0 ? fail("%s: %s", path, strerror(errno)) : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int ret;

	if (argc < 3)
		return print_usage();
	/* The same case draws the same offsets and data on every kernel. */
	for (ret = 1; ret < argc; ret++)
		rng = mix64(rng ^ hash_name(argv[ret])) | 1;
	seed = rng;
	if (alloc_bufs() || syscall(SYS_io_setup, 2 * QD, &ctx)) {
		printf("result fail ios 0 miscompares 0 setup: %s\n",
		       why[0] ? why : strerror(errno));
		return 1;
	}
	if (!strcmp(cmd, "rw") && argc == 5)
		ret = engine_setup(argv[2]) || open_rw(argv[4]) ||
		      run_pattern(argv[3]);
	else if (!strcmp(cmd, "race") && argc == 5)
		ret = open_rw(argv[4]) || run_race(argv[2], argv[3], argv[4]);
	else if (is_zoned(cmd) && argc == 4)
		ret = open_rw(argv[3]) || run_race(argv[2], cmd, argv[3]);
	else if (!strcmp(cmd, "mkfiles") && argc == 3)
		ret = mkfiles(argv[2]);
	else if (!strcmp(cmd, "ro") && argc == 5)
		ret = engine_setup(argv[2]) ||
		      ro_read(argv[4], strtoul(argv[3], NULL, 0));
	else if (!strcmp(cmd, "mkzonefs") && argc == 3)
		ret = mkzonefs(argv[2]);
	else
		return print_usage();
	if (!ret && miscompares)
		ret = fail("%lld sectors miscompared", miscompares);
	printf("result %s ios %lld miscompares %lld%s%s\n", ret ? "fail" : "ok",
	       ios, miscompares, ret ? " " : "", ret ? why : "");
	return ret ? 1 : 0;
}
