/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shimdata: arms, then allocates, grows and frees blocks of every size
 * class the shim handles itself (the small-object front end, jemalloc's
 * thread caches, the block cache up to 16 MiB), each class for the first
 * time after arming, and prints the page faults that took (getrusage).
 * The shim's own data and .bss are resident before arming: no page-fault
 * record of the shim's.  libc's memset and memcpy are warmed before arming
 * (their code is the program's to make resident).  With -s it also writes
 * a static array of its own after arming: a .bss fault the sampler must
 * record (so the test's measure can fail).
 * Then it searches with lfind and a comparator that toggles a shared page's
 * protection: a violation recorded with its stack, the first after arming,
 * walked through libc's lfind (whose code ran before arming, whose unwind
 * table entry nobody had read; without the populate step's unwind tables
 * that took a fault in about two runs in five), and prints the faults
 * ("walk").
 */
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "ptfreeze.h"

#define NSIZES 40

static char own_bss[1 << 20];

static char *shared_page;
static int toggles;

static int by_value(const void *x, const void *y) { return *(const int *)x - *(const int *)y; }

static int by_value_toggling(const void *x, const void *y)
{
	if (toggles < 4) {
		toggles++;
		mprotect(shared_page, 4096, toggles & 1 ? PROT_READ : PROT_READ | PROT_WRITE);
	}
	return by_value(x, y);
}

static long faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

int main(int argc, char **argv)
{
	static void *p[NSIZES];
	size_t warm = (size_t)12 << 20;
	char *a = malloc(warm), *b = malloc(warm);
	if (a == NULL || b == NULL) {
		return 1;
	}
	for (size_t n = 16; n <= warm; n *= 2) {
		memset(a, 1, n);
		memcpy(b, a, n);
	}
	/* Not an allocator-style mapping (shared): the shim does not serve it. */
	shared_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	static int v[64];
	size_t nv = 64;
	int key = 63;
	for (int i = 0; i < 64; i++) {
		v[i] = i;
	}
	if (shared_page == MAP_FAILED) {
		return 1;
	}
	(void)lfind(&key, v, &nv, sizeof(v[0]), by_value); /* its code, not yet its unwind tables */
	ptfreeze_arm();
	long f0 = faults();
	for (int i = 0; i < NSIZES; i++) {
		size_t n = (size_t)16 << (i / 2 > 19 ? 19 : i / 2); /* 16 B - 8 MiB, each size twice */
		n += (i & 1) * (n / 4);
		p[i] = malloc(n);
		if (p[i] == NULL) {
			return 1;
		}
		void *q = realloc(p[i], n + n / 2);
		if (q == NULL) {
			return 1;
		}
		p[i] = q;
	}
	for (int i = 0; i < NSIZES; i++) {
		free(p[i]);
	}
	for (int i = 0; i < NSIZES; i++) {
		p[i] = calloc(1, (size_t)24 << (i / 2 > 18 ? 18 : i / 2));
	}
	for (int i = NSIZES - 1; i >= 0; i--) {
		free(p[i]);
	}
	long f1 = faults();
	if (argc > 1 && strcmp(argv[1], "-s") == 0) {
		memset(own_bss, 1, sizeof(own_bss));
	}
	long w0 = faults();
	(void)lfind(&key, v, &nv, sizeof(v[0]), by_value_toggling);
	long w1 = faults();
	printf("shimdata: faults %ld walk %ld\n", f1 - f0, w1 - w0);
	free(a);
	free(b);
	return 0;
}
