/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * touchstatic: page faults after arming, at a function we can name.  A
 * 64 MiB static array lives in .bss, never touched at start-up; after
 * ptfreeze_arm() the noinline function touch_cold_page() writes one byte
 * into each of N pages of it (first touch: one minor fault each), first
 * from the main thread, then (with -t) from a thread created after
 * arming, on other pages.  Prints what it did, the minor faults the
 * process took meanwhile (getrusage) and how long the main thread's
 * touching took (for a person: no test judges it), then exits 0.
 *
 * usage: touchstatic [-n pages] [-t]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ptfreeze.h"

#define COLD_BYTES ((size_t)64 << 20)
#define PAGE 4096

static char cold[COLD_BYTES];
static int npages = 8;

/* Writes one byte into page `page` of the array: its first touch. */
__attribute__((noinline)) void touch_cold_page(size_t page)
{
	((volatile char *)cold)[page * PAGE + 123] = 1;
}

static void *thread_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < npages; i++) {
		touch_cold_page((COLD_BYTES / 2) / PAGE + (size_t)i * 7);
	}
	return NULL;
}

static long minor_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

int main(int argc, char **argv)
{
	int with_thread = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-t") == 0) {
			with_thread = 1;
		} else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			npages = atoi(argv[++i]);
			if (npages < 1 || npages > 5000) {
				fprintf(stderr, "touchstatic: -n takes 1 to 5000 pages\n");
				return 2;
			}
		} else {
			fprintf(stderr, "usage: touchstatic [-n pages] [-t]\n");
			return 2;
		}
	}
	pthread_t t;
	printf("cold array at %p, %zu bytes\n", (void *)cold, COLD_BYTES);
	fflush(stdout);
	int armed = ptfreeze_arm();
	long before = minor_faults();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < npages; i++) {
		touch_cold_page(1000 + (size_t)i * 3);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long after = minor_faults();
	if (with_thread) {
		if (pthread_create(&t, NULL, thread_main, NULL) != 0 || pthread_join(t, NULL) != 0) {
			fprintf(stderr, "touchstatic: no thread\n");
			return 1;
		}
	}
	printf("armed=%d touched=%d minor_faults_while_touching=%ld thread=%d touch_ns=%ld\n", armed, npages, after - before,
	       with_thread, (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
