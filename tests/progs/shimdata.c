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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "ptfreeze.h"

#define NSIZES 40

static char own_bss[1 << 20];

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
	printf("shimdata: faults %ld\n", f1 - f0);
	free(a);
	free(b);
	return 0;
}
