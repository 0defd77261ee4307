/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reclaim: fills most of a small pool with 3 KiB blocks (jemalloc's slabs,
 * which it does not coalesce when they fall empty), arms, frees them all,
 * then asks for one block larger than what the pool has left to carve, and
 * writes every page of it.  Only memory the frees gave back can serve it:
 * under the shim that takes a reclaim (every arena's free extents to the
 * spare map, where neighbours coalesce), not a pool growth.  With -c the
 * frees go first through blocks of 64-512 KiB that the block cache keeps,
 * so the large request also needs the cache given back.  Prints the page
 * faults the large block took (getrusage).
 *   reclaim [-c] FILL_MIB BIG_MIB
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ptfreeze.h"

#define SMALL 3072

static long faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

int main(int argc, char **argv)
{
	int cache = argc > 1 && strcmp(argv[1], "-c") == 0;
	if (argc != 3 + cache) {
		fprintf(stderr, "usage: reclaim [-c] FILL_MIB BIG_MIB\n");
		return 2;
	}
	size_t fill = strtoull(argv[1 + cache], NULL, 10) << 20, big = strtoull(argv[2 + cache], NULL, 10) << 20;
	size_t n = fill / SMALL;
	void **p = calloc(n, sizeof(*p));
	void *c[64] = {0};
	if (p == NULL) {
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if ((p[i] = malloc(SMALL)) == NULL) {
			return 1;
		}
		memset(p[i], 1, SMALL);
	}
	for (int i = 0; cache && i < 64; i++) {
		size_t len = (size_t)64 << (10 + i % 4); /* 64, 128, 256, 512 KiB */
		if ((c[i] = malloc(len)) == NULL) {
			return 1;
		}
		memset(c[i], 1, len);
	}
	char *warm = malloc(1 << 20); /* libc's memset for large lengths, before arming */
	memset(warm, 0, 1 << 20);
	free(warm);
	long f0 = faults(); /* getrusage's code too */
	printf("filled %zu MiB\n", fill >> 20);
	ptfreeze_arm();
	for (size_t i = 0; i < n; i++) {
		free(p[i]);
	}
	for (int i = 0; i < 64; i++) {
		free(c[i]);
	}
	f0 = faults();
	char *b = malloc(big);
	if (b == NULL) {
		fprintf(stderr, "reclaim: malloc(%zu) failed\n", big);
		return 1;
	}
	for (size_t off = 0; off < big; off += 4096) {
		b[off] = 1;
	}
	long f1 = faults();
	free(b);
	printf("big %zu MiB: faults %ld\n", big >> 20, f1 - f0);
	return 0;
}
