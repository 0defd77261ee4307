/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * churn: the allocator's steady-state workload.  Warms up a working set of
 * mixed sizes (16 B - 4 MiB: many small, some medium, a few above glibc's
 * mmap threshold), optionally arms ptfreeze, then replaces random blocks
 * and touches every page of the new ones.  Prints the faults taken in the
 * churn phase (getrusage) and brackets the phase with marker writes to fd -1
 * ("CHURN-BEGIN"/"CHURN-END") so strace can cut its log to it.
 *
 * usage: churn [-n blocks] [-o ops] [-m] [-t threads] [-a]
 *   -t  churn in N threads (default 0: in the main thread, which warmed up)
 *   -m  also churn anonymous mmap/munmap buffers (allocator-style requests)
 *   -a  call ptfreeze_arm() before the churn phase and ptfreeze_disarm() after
 *       it, so the armed phase is the churn (no-op without the shim)
 * Output: "churn: minor=N major=M ops=K" on stdout; exit 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ptfreeze.h"

struct slot {
	void *p;
	size_t n;
	int mapped;
};

static int nblocks = 2000, with_mmap, nthreads;
static long ops = 20000;

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t pick_size(uint64_t *s)
{
	unsigned r = (unsigned)(rng(s) % 1000);
	if (r < 800) {
		return 16 + rng(s) % 1008;          /* small */
	}
	if (r < 980) {
		return 1024 + rng(s) % (127 * 1024); /* medium */
	}
	return 128 * 1024 + rng(s) % (4 * 1024 * 1024 - 128 * 1024); /* large */
}

static void touch(char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 4096) {
		p[i] = (char)i;
	}
	p[n - 1] = 1;
}

static void fill(struct slot *sl, uint64_t *s)
{
	sl->n = pick_size(s);
	sl->mapped = with_mmap && rng(s) % 8 == 0;
	if (sl->mapped) {
		sl->n = (sl->n + 4095) & ~(size_t)4095;
		sl->p = mmap(NULL, sl->n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (sl->p == MAP_FAILED) {
			perror("churn: mmap");
			exit(1);
		}
	} else {
		sl->p = malloc(sl->n);
		if (!sl->p) {
			perror("churn: malloc");
			exit(1);
		}
	}
	touch(sl->p, sl->n);
}

static void drop(struct slot *sl)
{
	if (sl->mapped) {
		munmap(sl->p, sl->n);
	} else {
		free(sl->p);
	}
}

static void churn(struct slot *set, int n, long count, uint64_t *s)
{
	for (long i = 0; i < count; i++) {
		struct slot *sl = &set[rng(s) % (uint64_t)n];
		drop(sl);
		fill(sl, s);
	}
}

/* A write to fd -1 (EBADF) that strace shows: it brackets the churn phase. */
static void marker(const char *m)
{
	if (write(-1, m, strlen(m)) < 0) {
		return;
	}
}

struct worker {
	pthread_t t;
	struct slot *set;
	int n;
	uint64_t seed;
	pthread_barrier_t *go;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(w->go);
	churn(w->set, w->n, ops / nthreads, &w->seed);
	pthread_barrier_wait(w->go);
	/* Exit (glibc then madvises the stack away) only after the end marker. */
	pthread_barrier_wait(w->go);
	return NULL;
}

int main(int argc, char **argv)
{
	int c, arm = 0;
	while ((c = getopt(argc, argv, "n:o:mt:a")) != -1) {
		switch (c) {
		case 'n': nblocks = atoi(optarg); break;
		case 'o': ops = atol(optarg); break;
		case 'm': with_mmap = 1; break;
		case 't': nthreads = atoi(optarg); break;
		case 'a': arm = 1; break;
		default:
			fprintf(stderr, "usage: churn [-n blocks] [-o ops] [-m] [-t threads] [-a]\n");
			return 2;
		}
	}
	if (nthreads < 0 || nthreads > 64 || nblocks < nthreads) {
		fprintf(stderr, "churn: bad -t or -n\n");
		return 2;
	}
	struct slot *set = calloc((size_t)nblocks, sizeof(*set));
	if (nthreads == 0) {
		uint64_t seed = 0x9e3779b97f4a7c15ull;
		for (int k = 0; k < nblocks; k++) {
			fill(&set[k], &seed);
		}
		churn(set, nblocks, ops, &seed);
		if (arm) {
			ptfreeze_arm();
		}
		struct rusage a, b;
		getrusage(RUSAGE_SELF, &a);
		marker("CHURN-BEGIN");
		churn(set, nblocks, ops, &seed);
		marker("CHURN-END");
	if (arm) {
		ptfreeze_disarm();
	}
		if (arm) {
			ptfreeze_disarm();
		}
		getrusage(RUSAGE_SELF, &b);
		printf("churn: minor=%ld major=%ld ops=%ld\n", b.ru_minflt - a.ru_minflt, b.ru_majflt - a.ru_majflt, ops);
		for (int k = 0; k < nblocks; k++) {
			drop(&set[k]);
		}
		free(set);
		return 0;
	}
	struct worker w[64];
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, (unsigned)nthreads + 1);
	int per = nblocks / nthreads;
	for (int i = 0; i < nthreads; i++) {
		w[i].set = set + i * per;
		w[i].n = per;
		w[i].seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
		w[i].go = &go;
		for (int k = 0; k < per; k++) {
			fill(&w[i].set[k], &w[i].seed);
		}
		/* Warm-up churn: let the allocator reach its steady state. */
		churn(w[i].set, per, ops / nthreads, &w[i].seed);
		pthread_create(&w[i].t, NULL, work, &w[i]);
	}
	if (arm) {
		ptfreeze_arm();
	}
	struct rusage a, b;
	getrusage(RUSAGE_SELF, &a);
	marker("CHURN-BEGIN");
	pthread_barrier_wait(&go); /* start */
	pthread_barrier_wait(&go); /* all done */
	marker("CHURN-END");
	if (arm) {
		ptfreeze_disarm();
	}
	getrusage(RUSAGE_SELF, &b);
	pthread_barrier_wait(&go); /* release the workers */
	printf("churn: minor=%ld major=%ld ops=%ld\n", b.ru_minflt - a.ru_minflt, b.ru_majflt - a.ru_majflt, ops);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(w[i].t, NULL);
	}
	for (int i = 0; i < nthreads * per; i++) {
		drop(&set[i]);
	}
	free(set);
	return 0;
}
