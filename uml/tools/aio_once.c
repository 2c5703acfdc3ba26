// SPDX-License-Identifier: GPL-2.0
/*
 * aio_once r|w FILE OFFSET LENGTH - one direct aio read or write, waited
 * for with io_getevents().  Prints "res N" (bytes, or -errno) and exits 0
 * only if the whole length was transferred.  A write writes 0xa5 bytes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct iocb cb = { 0 }, *cbs[1] = { &cb };
	aio_context_t ctx = 0;
	struct io_event ev;
	size_t len;
	void *buf;
	int fd;

	if (argc != 5 || (argv[1][0] != 'r' && argv[1][0] != 'w')) {
		fprintf(stderr, "usage: %s r|w FILE OFFSET LENGTH\n", argv[0]);
		return 2;
	}
	len = strtoul(argv[4], NULL, 0);
	fd = open(argv[2], O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign(&buf, 4096, len) ||
	    syscall(SYS_io_setup, 1, &ctx)) {
		perror("setup");
		return 1;
	}
	memset(buf, 0xa5, len);
	cb.aio_lio_opcode = argv[1][0] == 'r' ? IOCB_CMD_PREAD : IOCB_CMD_PWRITE;
	cb.aio_fildes = fd;
	cb.aio_buf = (uintptr_t)buf;
	cb.aio_nbytes = len;
	cb.aio_offset = strtoull(argv[3], NULL, 0);
	if (syscall(SYS_io_submit, ctx, 1, cbs) != 1) {
		perror("io_submit");
		return 1;
	}
	if (syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) != 1) {
		perror("io_getevents");
		return 1;
	}
	printf("res %lld\n", (long long)ev.res);
	return ev.res == (int64_t)len ? 0 : 1;
}
