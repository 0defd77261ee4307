/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * colour: blocks above 16 KiB start on different cache lines of their first
 * page (docs/design.md, "Colour"), and nothing else about them changes.
 * Prints one "name=value" line per check; tests/colour.sh judges them.
 *
 *   offsets=N     distinct offsets in their page of 64 blocks of 20 KiB -
 *                 4 MiB that do not fill their size class
 *   lines=1       every block starts on a 64-byte line
 *   apart=1       the 64 blocks, each filled to its last byte with a byte of
 *                 its own, still all hold their byte: no two overlap
 *   usable=1      malloc_usable_size is at least the size asked, and the
 *                 block reaches no further than its first page's start plus
 *                 its size class (plus a page from 64 KiB up)
 *   same=1        a block freed and asked for again with the same size comes
 *                 back at the same address (a block keeps its colour)
 *   whole=N       of 16 blocks held at once whose size is a whole class of
 *                 64 KiB or more (64 KiB, 1 MiB, ...), how many do not start
 *                 on a page: nearly all (spans give them a page more; a
 *                 colour of 0 is one in 64)
 *   small=N       of 16 blocks held at once whose size is a whole class of
 *                 20-56 KiB, how many start on a page: all (no room)
 *   realloc=1     realloc of a block, smaller and larger, keeps its bytes
 *   cross=1       blocks freed by another thread come back and are whole
 *
 * usage: colour
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 64

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* jemalloc's size class of n above 16 KiB: four a doubling. */
static size_t class_of(size_t n)
{
	int lg = 63 - __builtin_clzll((unsigned long long)(n - 1));
	size_t q = (size_t)1 << (lg - 2);
	return (n + q - 1) / q * q;
}

static void *die(const char *what)
{
	fprintf(stderr, "colour: %s\n", what);
	exit(1);
}

static bool holds(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != v) {
			return false;
		}
	}
	return true;
}

static void *freer(void *arg)
{
	void **ps = arg;
	for (int i = 0; i < N; i++) {
		free(ps[i]);
	}
	return NULL;
}

int main(void)
{
	void *p[N];
	size_t n[N];
	int lines = 1, usable = 1, apart = 1;
	unsigned char seen[64] = {0};
	int offsets = 0;
	for (int i = 0; i < N; i++) {
		do {
			n[i] = 20 * 1024 + next() % (4 * 1024 * 1024 - 20 * 1024);
		} while (class_of(n[i]) - n[i] < 4096);
		if ((p[i] = malloc(n[i])) == NULL) {
			die("malloc failed");
		}
		uintptr_t a = (uintptr_t)p[i];
		lines &= a % 64 == 0;
		size_t u = malloc_usable_size(p[i]);
		usable &= u >= n[i] && (a & 4095) + u <= class_of(n[i]) + (class_of(n[i]) >= 65536 ? 4096 : 0);
		if (!seen[(a & 4095) / 64]++) {
			offsets++;
		}
		memset(p[i], i + 1, n[i]);
	}
	for (int i = 0; i < N; i++) {
		apart &= holds(p[i], n[i], (unsigned char)(i + 1));
	}
	printf("offsets=%d\nlines=%d\napart=%d\nusable=%d\n", offsets, lines, apart, usable);

	int same = 1;
	for (int i = 0; i < N; i += 8) {
		void *q = p[i];
		free(q);
		p[i] = malloc(n[i]);
		same &= p[i] == q;
	}
	printf("same=%d\n", same);

	int whole = 0, small = 0;
	void *w[16], *sm[16];
	for (int i = 0; i < 16; i++) {
		size_t wn = class_of(64 * 1024 + next() % (4 * 1024 * 1024 - 64 * 1024));
		size_t sn = class_of(16 * 1024 + 1 + next() % (40 * 1024));
		if ((w[i] = malloc(wn)) == NULL || (sm[i] = malloc(sn)) == NULL) {
			die("malloc failed");
		}
		whole += (uintptr_t)w[i] % 4096 != 0;
		small += (uintptr_t)sm[i] % 4096 == 0;
		memset(w[i], 0x5a, wn);
		memset(sm[i], 0x5a, sn);
	}
	for (int i = 0; i < 16; i++) {
		free(w[i]);
		free(sm[i]);
	}
	printf("whole=%d\nsmall=%d\n", whole, small);

	int re = 1;
	for (int i = 1; i < N; i += 8) {
		size_t small = n[i] / 3, big = n[i] * 2 + 12345;
		unsigned char *q = realloc(p[i], small);
		re &= q != NULL && holds(q, small, (unsigned char)(i + 1));
		q = realloc(q, big);
		re &= q != NULL && holds(q, small, (unsigned char)(i + 1));
		if (q != NULL) {
			memset(q, i + 1, big);
			n[i] = big;
		}
		p[i] = q;
	}
	for (int i = 0; i < N; i++) {
		re &= p[i] == NULL || holds(p[i], n[i], (unsigned char)(i + 1));
	}
	printf("realloc=%d\n", re);

	pthread_t t;
	if (pthread_create(&t, NULL, freer, p) != 0 || pthread_join(t, NULL) != 0) {
		die("thread failed");
	}
	int cross = 1;
	for (int i = 0; i < N; i++) {
		if ((p[i] = malloc(n[i])) == NULL) {
			die("malloc failed");
		}
		memset(p[i], i + 1, n[i]);
	}
	for (int i = 0; i < N; i++) {
		cross &= holds(p[i], n[i], (unsigned char)(i + 1));
		free(p[i]);
	}
	printf("cross=%d\n", cross);
	return 0;
}
