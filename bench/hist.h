/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hist: a log-linear latency histogram for the benchmarks.  Values are
 * nanoseconds; each power of two is cut into HIST_SUB equal buckets, so a
 * percentile is within 1/HIST_SUB (3%) of the true value, and the maximum is
 * exact.  Fixed size, no allocation: hist_add() is the only thing the
 * measured loops call besides the operation they time.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS (HIST_SUB * (64 - HIST_SUB_BITS + 1))

struct hist {
	uint64_t count;
	uint64_t sum;
	uint64_t max;
	uint64_t bucket[HIST_BUCKETS];
};

static inline unsigned hist_index(uint64_t v)
{
	if (v < HIST_SUB) {
		return (unsigned)v;
	}
	unsigned e = 63u - (unsigned)__builtin_clzll(v); /* e >= HIST_SUB_BITS */
	unsigned shift = e - HIST_SUB_BITS;
	return HIST_SUB * (shift + 1) + (unsigned)((v >> shift) - HIST_SUB);
}

/* Records one value; allocation-free, constant time. */
static inline void hist_add(struct hist *h, uint64_t v)
{
	h->count++;
	h->sum += v;
	if (v > h->max) {
		h->max = v;
	}
	h->bucket[hist_index(v)]++;
}

/* Adds every sample of `from` to `into`. */
void hist_merge(struct hist *into, const struct hist *from);
/*
 * The value at quantile q (0 < q <= 1): the middle of the bucket holding
 * the sample of that rank, never more than the exact maximum.  0 if empty.
 */
uint64_t hist_quantile(const struct hist *h, double q);
/* Mean in ns (0 if empty). */
double hist_mean(const struct hist *h);

/* The column header matching hist_print_row(). */
void hist_print_header(FILE *f);
/* One table row: name, count, mean, p50, p99, p99.9, p99.99, max (ns). */
void hist_print_row(FILE *f, const char *name, const struct hist *h);

#endif
