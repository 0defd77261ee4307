/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * coldcall: arms, then calls a function on a code page of a linked library
 * that nothing has touched, and a deep recursion on the main stack; prints
 * the page faults each took (getrusage).  With PTFREEZE_MLOCKALL=1 and
 * PTFREEZE_STACK_PREFAULT both must be 0.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "ptfreeze.h"

int bigcode_87(int x);

static long faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

__attribute__((noinline)) static int deep(int n)
{
	volatile char frame[1024];
	memset((char *)frame, n, sizeof(frame));
	return n ? deep(n - 1) + frame[7] : 0;
}

int main(void)
{
	ptfreeze_arm();
	long f0 = faults();
	int r = bigcode_87(3);
	long f1 = faults();
	int d = deep(100); /* ~100 KiB of stack */
	long f2 = faults();
	printf("code %ld stack %ld (%d %d)\n", f1 - f0, f2 - f1, r, d);
	return 0;
}
