/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * faultheavy: many page faults after arming, at known sites.  After
 * arming it writes one byte into each of N never-touched pages of a 64 MiB
 * static array (.bss: not the pool, which ptfreeze prefaults, and not
 * mmap, which it serves from the pool) from touch_a() and touch_b() in
 * turn (N/2 first-touch faults at each), and prints the process's minor
 * faults over the touching (getrusage) and in all since arming.
 *
 * usage: faultheavy [-n pages] [-F]
 *   -F  pin every thread of the process to one CPU and make the main
 *       thread SCHED_FIFO before arming: the page-fault sampler thread
 *       (SCHED_OTHER on the same CPU) cannot run until the burst is over,
 *       so its ring fills and samples are lost (needs CAP_SYS_NICE: exits
 *       77 without it)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "ptfreeze.h"

#define PAGE 4096
#define REGION_BYTES ((size_t)64 << 20)

static char region[REGION_BYTES];

__attribute__((noinline)) void touch_a(volatile char *p) { *p = 1; }
__attribute__((noinline)) void touch_b(volatile char *p) { *p = 2; }

static long minor_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

int main(int argc, char **argv)
{
	long pages = 2000;
	int fifo = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			pages = atol(argv[++i]);
		} else if (strcmp(argv[i], "-F") == 0) {
			fifo = 1;
		} else {
			fprintf(stderr, "usage: faultheavy [-n pages] [-F]\n");
			return 2;
		}
	}
	if (pages < 2 || (size_t)pages > REGION_BYTES / PAGE) {
		fprintf(stderr, "faultheavy: -n takes 2 to %zu pages\n", REGION_BYTES / PAGE);
		return 2;
	}
	/* One fault per 4 KiB page: no transparent huge pages in the array. */
	madvise((void *)(((uintptr_t)region + PAGE - 1) & ~(uintptr_t)(PAGE - 1)), REGION_BYTES - PAGE, MADV_NOHUGEPAGE);
	if (fifo) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
		DIR *d = opendir("/proc/self/task");
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL) {
			if (e->d_name[0] != '.') {
				sched_setaffinity(atoi(e->d_name), sizeof(one), &one);
			}
		}
		if (d) {
			closedir(d);
		}
		struct sched_param sp = {.sched_priority = 1};
		if (sched_setaffinity(0, sizeof(one), &one) != 0 || sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
			fprintf(stderr, "faultheavy: cannot pin and run SCHED_FIFO (%s)\n", strerror(errno));
			return 77;
		}
	}
	(void)ptfreeze_armed();
	long at_arm = minor_faults();
	ptfreeze_arm();
	long before = minor_faults();
	for (long i = 0; i < pages; i++) {
		(i % 2 ? touch_b : touch_a)(region + i * PAGE);
	}
	long after = minor_faults();
	if (fifo) {
		/* Back to normal: the sampler may run now. */
		struct sched_param sp = {.sched_priority = 0};
		sched_setscheduler(0, SCHED_OTHER, &sp);
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
	}
	printf("faultheavy: pages=%ld minor_touching=%ld minor_since_arm=%ld\n", pages, after - before,
	       minor_faults() - at_arm);
	return 0;
}
