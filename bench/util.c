/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * util: the benchmarks' shared helpers (see util.h).  Only the setup and
 * report paths use stdio; util_marker is a bare write(2).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

uint64_t util_seed(uint64_t seed, unsigned i)
{
	/* splitmix64 of (seed, i): well-spread streams from small seeds. */
	uint64_t z = seed + 0x9E3779B97F4A7C15ull * (i + 1);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	return z ? z : 1;
}

void util_marker(const char *m)
{
	if (write(-1, m, strlen(m)) < 0) {
		return; /* EBADF is the point */
	}
}

void util_faults(long *minor, long *major)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	*minor = ru.ru_minflt;
	*major = ru.ru_majflt;
}

void *util_mem(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "bench: error: cannot map %zu bytes for the benchmark's tables: %s\n", n,
			strerror(errno));
		exit(2);
	}
	memset(p, 0, n);
	return p;
}

__attribute__((noinline)) void util_touch_stack(size_t n)
{
	char *buf = __builtin_alloca(n);
	memset(buf, 1, n);
	__asm__ volatile("" : : "r"(buf) : "memory");
}

int util_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

void util_die(const char *prog, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: error: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

size_t util_parse_size(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-') {
		util_die("bench", "%s: cannot parse '%s' (expected a size like 4096, 64K, 4M or 1G)", what, s);
	}
	unsigned shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end != '\0' || (shift && v > (~0ull >> shift))) {
		util_die("bench", "%s: cannot parse '%s' (expected a size like 4096, 64K, 4M or 1G)", what, s);
	}
	return (size_t)(v << shift);
}

long util_parse_long(const char *s, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno || v < 0) {
		util_die("bench", "%s: cannot parse '%s' (expected a non-negative integer)", what, s);
	}
	return v;
}
