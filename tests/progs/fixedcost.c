/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fixedcost: a program that allocates next to nothing, arms with
 * ptfreeze_arm() (a no-op without the shim) and prints its memory from
 * /proc/self/status: VmRSS plus HugetlbPages, in KiB, the footprint
 * bench/pair.py counts.  What it prints under the shim less what it prints
 * without it and less the pool is the shim's fixed cost.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ptfreeze.h"

int main(void)
{
	char *p = malloc(1000);
	if (p == NULL) {
		return 1;
	}
	memset(p, 1, 1000);
	(void)ptfreeze_arm();
	struct timespec ts = {0, 50000000}; /* the sampler and arming threads settle */
	nanosleep(&ts, NULL);
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL) {
		return 1;
	}
	char line[256];
	long rss = -1, huge = 0, v;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %ld", &v) == 1) {
			rss = v;
		} else if (sscanf(line, "HugetlbPages: %ld", &v) == 1) {
			huge = v;
		}
	}
	fclose(f);
	free(p);
	if (rss < 0) {
		return 1;
	}
	printf("%ld\n", rss + huge);
	return 0;
}
