/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * regrow: buffers grown by realloc a step at a time, for tests/regrow.sh.
 * Four buffers take turns growing by a quarter from 64 B to CAP bytes,
 * then each is shrunk to 60% (kept in place: more than half used) and to a
 * tenth (given back), then freed; every realloc's result is checked byte
 * by byte against the pattern written so far.  ROUNDS rounds untimed, then
 * ptfreeze_arm() (a no-op without the shim) and ROUNDS more between marker
 * writes to fd -1 ("CHURN-BEGIN", "CHURN-END") for strace.
 *
 * usage: regrow CAP ROUNDS
 * Output (key=value lines): steps=N growths to above 16 KiB in the armed
 * rounds, moves=M of them that returned another address, minor=F faults
 * in the armed rounds (getrusage); exit 1 with a message if a byte was lost.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ptfreeze.h"

#define GROWERS 4
#define LARGE ((size_t)16 << 10)

static unsigned char pattern(int id, size_t i) { return (unsigned char)(i * 31 + (size_t)id * 7 + (i >> 12)); }

static void fill(unsigned char *p, int id, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		p[i] = pattern(id, i);
	}
}

static void check(const unsigned char *p, int id, size_t len, const char *what)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != pattern(id, i)) {
			fprintf(stderr, "regrow: byte %zu of %zu lost by %s\n", i, len, what);
			exit(1);
		}
	}
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (q == NULL) {
		fprintf(stderr, "regrow: realloc to %zu bytes failed\n", n);
		exit(1);
	}
	return q;
}

/* One round; counts the growths above LARGE and the moves among them. */
static void round_(size_t cap, long *steps, long *moves)
{
	unsigned char *buf[GROWERS];
	size_t len[GROWERS];
	for (int i = 0; i < GROWERS; i++) {
		len[i] = 64;
		buf[i] = xrealloc(NULL, len[i]);
		fill(buf[i], i, 0, len[i]);
	}
	for (int active = GROWERS; active > 0;) {
		active = 0;
		for (int i = 0; i < GROWERS; i++) {
			if (len[i] >= cap) {
				continue;
			}
			size_t n = len[i] + len[i] / 4;
			n = n > cap ? cap : n;
			unsigned char *p = xrealloc(buf[i], n);
			check(p, i, len[i], "realloc growth");
			if (n > LARGE) {
				++*steps;
				*moves += p != buf[i];
			}
			fill(p, i, len[i], n);
			buf[i] = p;
			len[i] = n;
			active++;
		}
	}
	for (int i = 0; i < GROWERS; i++) {
		size_t n = len[i] / 10 * 6;
		buf[i] = xrealloc(buf[i], n);
		check(buf[i], i, n, "realloc shrink to 60%");
		n = len[i] / 10;
		buf[i] = xrealloc(buf[i], n);
		check(buf[i], i, n, "realloc shrink to 10%");
		free(buf[i]);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: regrow CAP ROUNDS\n");
		return 2;
	}
	size_t cap = strtoull(argv[1], NULL, 0);
	long rounds = atol(argv[2]), steps = 0, moves = 0;
	if (cap < 64 || rounds < 1) {
		fprintf(stderr, "regrow: bad arguments\n");
		return 2;
	}
	for (long r = 0; r < rounds; r++) {
		round_(cap, &steps, &moves);
	}
	steps = moves = 0;
	ptfreeze_arm();
	(void)!write(-1, "CHURN-BEGIN", 11);
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	for (long r = 0; r < rounds; r++) {
		round_(cap, &steps, &moves);
	}
	getrusage(RUSAGE_SELF, &r1);
	(void)!write(-1, "CHURN-END", 9);
	printf("steps=%ld\nmoves=%ld\nminor=%ld\n", steps, moves, r1.ru_minflt - r0.ru_minflt);
	return 0;
}
