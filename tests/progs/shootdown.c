/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shootdown: makes TLB shootdowns on purpose.  A thread spins on another
 * CPU (so this address space is live there) while the main thread, after
 * arming, write-protects and unprotects a touched page N times: every
 * downgrade must flush the other CPU's TLB.  Prints "mprotects N cpus C".
 * usage: shootdown [N]   (default 2000)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ptfreeze.h"

static atomic_int stop;
static volatile char *page;

static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void *spin(void *arg)
{
	pin(1);
	unsigned long n = 0;
	while (!atomic_load(&stop)) {
		n += page[0]; /* keeps the page in this CPU's TLB */
	}
	return (void *)n;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		return 99;
	}
	page[0] = 1;
	pthread_t t;
	if (cpus > 1 && pthread_create(&t, NULL, spin, NULL) != 0) {
		return 99;
	}
	pin(0);
	usleep(10000);
	if (ptfreeze_arm() != 0) {
		fprintf(stderr, "shootdown: not under the shim\n");
		return 99;
	}
	for (int i = 0; i < n; i++) {
		mprotect((void *)page, 4096, PROT_READ);
		mprotect((void *)page, 4096, PROT_READ | PROT_WRITE);
		page[0] = (char)i;
	}
	ptfreeze_disarm(); /* the join below is not the measure */
	atomic_store(&stop, 1);
	if (cpus > 1) {
		pthread_join(t, NULL);
	}
	printf("mprotects %d cpus %ld\n", 2 * n, cpus);
	return 0;
}
