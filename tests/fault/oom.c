/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * oom: a program with its own out-of-memory path.  Arms itself (when the
 * shim is there), then takes TOTAL megabytes in CHUNK-megabyte pieces with
 * malloc or with anonymous mmap, fills each with a pattern and checks every
 * byte.  Run it with a pool smaller than TOTAL.
 *   all taken:  "oom: N MB by WAY, checksum HEX" on stdout, status 0
 *   refused:    "oom: out of memory after N MB (WAY: ERRNO-NAME)" on stdout,
 *               what it had is checked and given back, status 3 (malloc) or
 *               4 (mmap) -- the program's own error path, as a real program
 *               reports its own failure
 *   a byte wrong: status 1
 * usage: oom malloc|mmap TOTAL_MB CHUNK_MB
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ptfreeze.h"

static uint64_t fill(unsigned char *p, size_t len, unsigned seed)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < len; i++) {
		p[i] = (unsigned char)(i * 131 + seed * 7 + (i >> 12));
		sum += p[i];
	}
	return sum;
}

static int check(const unsigned char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != (unsigned char)(i * 131 + seed * 7 + (i >> 12))) {
			fprintf(stderr, "oom: chunk %u byte %zu is %u\n", seed, i, p[i]);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[1], "malloc") != 0 && strcmp(argv[1], "mmap") != 0)) {
		fprintf(stderr, "usage: oom malloc|mmap TOTAL_MB CHUNK_MB\n");
		return 2;
	}
	bool by_mmap = strcmp(argv[1], "mmap") == 0;
	size_t chunk = (size_t)atol(argv[3]) << 20;
	unsigned n = (unsigned)(atol(argv[2]) / atol(argv[3]));
	unsigned char **blocks = calloc(n, sizeof(*blocks));
	if (blocks == NULL || chunk == 0) {
		return 2;
	}
	ptfreeze_arm(); /* without the shim: nothing, and the program is the reference */
	uint64_t sum = 0;
	unsigned got = 0;
	int err = 0;
	for (; got < n; got++) {
		errno = 0;
		void *p = by_mmap ? mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : malloc(chunk);
		if (p == NULL || p == MAP_FAILED) {
			err = errno;
			break;
		}
		blocks[got] = p;
		sum += fill(p, chunk, got);
	}
	int bad = 0;
	for (unsigned i = 0; i < got; i++) {
		bad |= check(blocks[i], chunk, i);
		if (by_mmap) {
			munmap(blocks[i], chunk);
		} else {
			free(blocks[i]);
		}
	}
	free(blocks);
	if (bad) {
		return 1;
	}
	if (got < n) {
		printf("oom: out of memory after %zu MB (%s: %s)\n", (size_t)got * (chunk >> 20), argv[1],
		       strerrorname_np(err) ? strerrorname_np(err) : "?");
		return by_mmap ? 4 : 3;
	}
	printf("oom: %zu MB by %s, checksum %llx\n", (size_t)n * (chunk >> 20), argv[1], (unsigned long long)sum);
	return 0;
}
