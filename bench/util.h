/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * util: what every benchmark program shares.  The clock, a deterministic
 * random generator, the strace markers that bracket a measured phase, the
 * fault counters, memory for the benchmark's own bookkeeping (touched in
 * full before the measured phase, so the benchmark never faults on its own
 * account), and option parsing.  Nothing here allocates in a measured loop.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns (vDSO: no system call with the tsc clocksource). */
static inline uint64_t util_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: deterministic for a given seed (never 0). */
static inline uint64_t util_rng(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* A seed for stream i of a run seeded with `seed` (never 0). */
uint64_t util_seed(uint64_t seed, unsigned i);

/*
 * Writes `m` to fd -1: the call fails with EBADF and does nothing, but
 * strace shows it, so "MEASURE-BEGIN"/"MEASURE-END" cut its log to the
 * measured phase.
 */
void util_marker(const char *m);

/* Minor and major faults of the whole process so far (getrusage). */
void util_faults(long *minor, long *major);

/*
 * n bytes of zeroed memory for the benchmark's own tables, every page
 * written now.  Exits with a message on failure.  Never freed.
 */
void *util_mem(size_t n);

/* Writes n bytes of the calling thread's stack so later deep calls do not fault. */
void util_touch_stack(size_t n);

/* Writes one byte in every 4 KiB page of [p, p+n) and the last byte. */
static inline void util_touch(void *p, size_t n)
{
	char *c = p;
	for (size_t i = 0; i < n; i += 4096) {
		c[i] = (char)i;
	}
	c[n - 1] = 1;
}

/* Online CPUs (at least 1). */
int util_cpus(void);

/* Parses "123", "64K", "4M", "1G" (binary units); exits with a message naming `what`. */
size_t util_parse_size(const char *s, const char *what);
/* Parses a non-negative integer; exits with a message naming `what`. */
long util_parse_long(const char *s, const char *what);

/* Prints "PROG: error: ..." to stderr and exits with status 2. */
void util_die(const char *prog, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

#endif
