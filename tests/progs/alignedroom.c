/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alignedroom: N blocks of SIZE bytes at ALIGN alignment (posix_memalign),
 * kept, then FILL bytes of 256 KiB blocks, kept, then ptfreeze_arm() (a
 * no-op without the shim), so that the report's summary says how much of
 * the pool the allocations needed (tests/alignedroom.sh).
 *
 * usage: alignedroom N ALIGN SIZE FILL
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptfreeze.h"

#define FILL_BLOCK ((size_t)256 << 10)

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: alignedroom N ALIGN SIZE FILL\n");
		return 2;
	}
	long n = strtol(argv[1], NULL, 0);
	size_t align = strtoul(argv[2], NULL, 0), size = strtoul(argv[3], NULL, 0);
	size_t fill = strtoul(argv[4], NULL, 0);
	for (long i = 0; i < n; i++) {
		void *p;
		int r = posix_memalign(&p, align, size);
		if (r != 0 || ((size_t)p & (align - 1)) != 0) {
			fprintf(stderr, "alignedroom: posix_memalign(%zu, %zu) failed or misaligned\n", align, size);
			return 1;
		}
		memset(p, 1, size);
	}
	for (size_t got = 0; got < fill; got += FILL_BLOCK) {
		void *q = malloc(FILL_BLOCK);
		if (q == NULL) {
			fprintf(stderr, "alignedroom: malloc failed\n");
			return 1;
		}
		memset(q, 2, FILL_BLOCK);
	}
	(void)ptfreeze_arm();
	return 0;
}
