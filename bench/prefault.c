/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * prefault: the yardsticks for ptfreeze's start-up cost.
 *   prefault memset SIZE BACKING  maps SIZE bytes of fresh anonymous memory
 *       backed by BACKING (4k: MADV_NOHUGEPAGE; thp: 2 MiB-aligned with
 *       MADV_HUGEPAGE; 2m: MAP_HUGETLB, needs reserved huge pages), then
 *       times one memset of it (every page faulted in on first touch) and a
 *       second memset (already faulted: the memory bandwidth), and reports
 *       how much of it the kernel put on huge pages (/proc/self/smaps).
 *   prefault idle  only arms ptfreeze (a no-op without it): the trivial
 *       program the runner starts under the shim to read the pool's
 *       prefault time from the report (only a process that arms writes one).
 * Output (memset): "memset: size N backing B first-touch T ns R GB/s
 * faulted T ns R GB/s huge N".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/mman.h>

#include "ptfreeze.h"
#include "util.h"

#define PROG "prefault"
#define ALIGN_2M ((size_t)2 << 20)

/* Maps len bytes with the given backing; exits with the reason on failure. */
static char *map_backed(size_t len, const char *backing)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	if (strcmp(backing, "2m") == 0) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
		if (p == MAP_FAILED) {
			util_die(PROG, "cannot map %zu bytes of 2 MiB huge pages: %s (reserve them in /proc/sys/vm/nr_hugepages)",
				 len, strerror(errno));
		}
		return p;
	}
	int advice;
	if (strcmp(backing, "thp") == 0) {
		advice = MADV_HUGEPAGE;
	} else if (strcmp(backing, "4k") == 0) {
		advice = MADV_NOHUGEPAGE;
	} else {
		util_die(PROG, "backing '%s': expected 4k, thp or 2m", backing);
	}
	char *raw = mmap(NULL, len + ALIGN_2M, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (raw == MAP_FAILED) {
		util_die(PROG, "cannot map %zu bytes: %s", len, strerror(errno));
	}
	char *p = (char *)(((uintptr_t)raw + ALIGN_2M - 1) & ~(uintptr_t)(ALIGN_2M - 1));
	if (madvise(p, len, advice) != 0) {
		util_die(PROG, "madvise(%s): %s", backing, strerror(errno));
	}
	return p;
}

/* Bytes of the mapping containing p that are on huge pages (THP or hugetlb). */
static size_t huge_bytes(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int inside = 0;
	size_t total = 0;
	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, kb;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		} else if (inside && (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1 ||
				      sscanf(line, "Private_Hugetlb: %lu kB", &kb) == 1)) {
			total += (size_t)kb << 10;
		}
	}
	fclose(f);
	return total;
}

static int run_memset(size_t len, const char *backing)
{
	char *p = map_backed(len, backing);
	uint64_t t0 = util_now_ns();
	memset(p, 1, len);
	uint64_t t1 = util_now_ns();
	memset(p, 2, len);
	uint64_t t2 = util_now_ns();
	__asm__ volatile("" : : "r"(p) : "memory");
	printf("memset: size %zu backing %s first-touch %llu ns %.2f GB/s faulted %llu ns %.2f GB/s huge %zu\n", len,
	       backing, (unsigned long long)(t1 - t0), (double)len / (double)(t1 - t0),
	       (unsigned long long)(t2 - t1), (double)len / (double)(t2 - t1), huge_bytes(p));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "idle") == 0) {
		/* Only a process that arms writes a report: arm, so the runner can read the pool's header. */
		(void)ptfreeze_arm();
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "memset") == 0) {
		return run_memset(util_parse_size(argv[2], "SIZE"), argv[3]);
	}
	fprintf(stderr, "usage: " PROG " memset SIZE 4k|thp|2m\n       " PROG " idle\n");
	return 2;
}
