/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * faultcost: what the page-fault sampler costs the program.  Maps an
 * anonymous region before arming (untouched), arms (ptfreeze_arm(), a
 * no-op without the shim), then writes one byte into each of N pages of it
 * (N first-touch minor faults) from S call sites in turn, and prints the
 * time the touching took and the minor faults the process took meanwhile
 * (getrusage).  Run it with PTFREEZE_FAULTS=off and with the default side
 * by side (bench/faultcost.sh): the difference is the sampler's cost.
 *
 * usage: faultcost [-n pages] [-s sites]
 * prints: faultcost: pages=N sites=S ns=T minor=M ns_per_fault=F
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "ptfreeze.h"
#include "util.h"

#define PAGE 4096

/* Distinct call sites: each touches its own pages, in its own frame. */
#define TOUCHER(i)                                                                                 \
	__attribute__((noinline)) static void touch##i(volatile char *p) { p[0] = (char)(i + 1); }
TOUCHER(0)
TOUCHER(1)
TOUCHER(2)
TOUCHER(3)
TOUCHER(4)
TOUCHER(5)
TOUCHER(6)
TOUCHER(7)
static void (*const touchers[8])(volatile char *) = {touch0, touch1, touch2, touch3, touch4, touch5, touch6, touch7};

static long minor_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

int main(int argc, char **argv)
{
	long pages = 20000, sites = 4;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			pages = atol(argv[++i]);
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			sites = atol(argv[++i]);
		} else {
			fprintf(stderr, "usage: faultcost [-n pages] [-s sites]\n");
			return 2;
		}
	}
	if (pages < 1 || sites < 1 || sites > 8) {
		fprintf(stderr, "faultcost: -n takes 1 or more pages, -s 1 to 8 sites\n");
		return 2;
	}
	/* No huge pages: one fault per 4 KiB page. */
	char *region = mmap(NULL, (size_t)pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED) {
		perror("faultcost: mmap");
		return 1;
	}
	madvise(region, (size_t)pages * PAGE, MADV_NOHUGEPAGE);
	(void)ptfreeze_armed();
	ptfreeze_arm();
	long before = minor_faults();
	uint64_t t0 = util_now_ns();
	for (long i = 0; i < pages; i++) {
		touchers[i % sites](region + i * PAGE);
	}
	uint64_t t1 = util_now_ns();
	long minor = minor_faults() - before;
	printf("faultcost: pages=%ld sites=%ld ns=%llu minor=%ld ns_per_fault=%.0f\n", pages, sites,
	       (unsigned long long)(t1 - t0), minor, (double)(t1 - t0) / (double)(minor > 0 ? minor : 1));
	return 0;
}
