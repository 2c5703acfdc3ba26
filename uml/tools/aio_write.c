// SPDX-License-Identifier: GPL-2.0
/*
 * aio_write FILE - write 4 KiB to FILE with io_submit(IOCB_CMD_PWRITE),
 * wait for it with io_getevents(), read it back.  Exits 0 when the event
 * reports 4096 bytes and the data reads back equal.
 *
 * Raw system calls, so that it needs nothing beyond libc.
 */
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LEN 4096

static int fail(const char *what)
{
	perror(what);
	return 1;
}

int main(int argc, char **argv)
{
	static char out[LEN], in[LEN];
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	aio_context_t ctx = 0;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	memset(out, 0x5a, LEN);
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return fail("open");
	if (syscall(SYS_io_setup, 1, &ctx))
		return fail("io_setup");

	memset(&cb, 0, sizeof(cb));
	cb.aio_lio_opcode = IOCB_CMD_PWRITE;
	cb.aio_fildes = fd;
	cb.aio_buf = (uintptr_t)out;
	cb.aio_nbytes = LEN;
	if (syscall(SYS_io_submit, ctx, 1, cbs) != 1)
		return fail("io_submit");
	if (syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) != 1)
		return fail("io_getevents");
	if (ev.res != LEN) {
		fprintf(stderr, "aio write returned %lld\n", (long long)ev.res);
		return 1;
	}
	if (pread(fd, in, LEN, 0) != LEN)
		return fail("pread");
	if (memcmp(in, out, LEN)) {
		fprintf(stderr, "data read back differs\n");
		return 1;
	}
	syscall(SYS_io_destroy, ctx);
	return 0;
}
