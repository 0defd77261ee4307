/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ptfreeze-demo: a toy order-matching loop with the habits that cause
 * latency spikes.  Start-up builds an order book; then it arms ptfreeze
 * (ptfreeze_arm(): a no-op without the shim) and runs its hot loop, which
 * allocates and frees orders (absorbed by the pool: no fault, no syscall),
 * maps scratch buffers and gives back a start-up buffer (both served by the
 * pool), and - the bugs the report should name - rotates a log through a
 * writable shared file mapping and starts a helper thread after start-up.
 * Prints latency percentiles of the hot loop and the page faults it took.
 * usage: ptfreeze-demo [orders]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ptfreeze.h"

struct order {
	uint64_t id;
	double price;
	uint32_t qty;
	char note[40];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

__attribute__((noinline)) static void rotate_log(const char *dir, int n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/ptfreeze-demo-%d.log", dir, n);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 1 << 16) != 0) {
		perror("ptfreeze-demo: log");
		exit(1);
	}
	/* A writable shared file mapping: every dirty page is a writeback stall. */
	char *log = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (log != MAP_FAILED) {
		memcpy(log, "rotated\n", 8);
		munmap(log, 1 << 16);
	}
	close(fd);
	unlink(path);
}

static void *stats_thread(void *arg) { return arg; }

__attribute__((noinline)) static void start_stats_thread(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, stats_thread, NULL) == 0) {
		pthread_join(t, NULL);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	if (n < 1000) {
		n = 1000;
	}
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	enum { BOOK = 4096 };
	struct order **book = calloc(BOOK, sizeof(*book));
	uint64_t *lat = malloc((size_t)n * sizeof(*lat));
	char *startup_buf = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!book || !lat || startup_buf == MAP_FAILED) {
		perror("ptfreeze-demo");
		return 1;
	}
	memset(startup_buf, 1, 1 << 20);
	for (int i = 0; i < BOOK; i++) {
		book[i] = malloc(sizeof(struct order));
		book[i]->id = (uint64_t)i;
	}

	int armed = ptfreeze_arm(); /* start-up is over */
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	uint64_t seed = 42;
	for (long i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		int k = (int)((seed >> 33) % BOOK);
		free(book[k]);
		book[k] = malloc(sizeof(struct order) + (seed >> 60) * 64);
		book[k]->id = (uint64_t)i;
		book[k]->price = 100.0 + (double)(seed % 1000) / 100.0;
		snprintf(book[k]->note, sizeof(book[k]->note), "order %ld", i);
		if (i % 5000 == 0) {
			/* Scratch buffer for a batch report: anonymous, served from the pool. */
			char *scratch = mmap(NULL, 256 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (scratch != MAP_FAILED) {
				memset(scratch, 0, 256 << 10);
				munmap(scratch, 256 << 10);
			}
		}
		lat[i] = now_ns() - t0;
		if (i == n / 2) {
			rotate_log(dir, 1);
			munmap(startup_buf, 1 << 20); /* a shootdown without ptfreeze; absorbed by its pool */
			start_stats_thread();
		}
	}
	getrusage(RUSAGE_SELF, &r1);
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	printf("ptfreeze-demo: %ld orders, %s\n", n,
	       armed == 0 ? "armed under ptfreeze" : "running without ptfreeze (LD_PRELOAD it to compare)");
	printf("  latency ns: p50 %llu  p99 %llu  p99.9 %llu  p99.99 %llu  max %llu\n",
	       (unsigned long long)lat[n / 2], (unsigned long long)lat[n * 99 / 100],
	       (unsigned long long)lat[n * 999 / 1000], (unsigned long long)lat[n * 9999 / 10000],
	       (unsigned long long)lat[n - 1]);
	printf("  page faults in the hot loop: minor %ld, major %ld\n", r1.ru_minflt - r0.ru_minflt,
	       r1.ru_majflt - r0.ru_majflt);
	for (int i = 0; i < BOOK; i++) {
		free(book[i]);
	}
	free(book);
	free(lat);
	return 0;
}
