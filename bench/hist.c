/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hist: quantiles and printing for the log-linear histogram (see hist.h).
 * Runs after the measured phase, so it may use stdio.
 */
#include "hist.h"

void hist_merge(struct hist *into, const struct hist *from)
{
	into->count += from->count;
	into->sum += from->sum;
	if (from->max > into->max) {
		into->max = from->max;
	}
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		into->bucket[i] += from->bucket[i];
	}
}

/* Lowest value and width of bucket i. */
static void bucket_range(unsigned i, uint64_t *lo, uint64_t *width)
{
	if (i < HIST_SUB) {
		*lo = i;
		*width = 1;
		return;
	}
	unsigned shift = i / HIST_SUB - 1;
	*lo = (uint64_t)(HIST_SUB + i % HIST_SUB) << shift;
	*width = (uint64_t)1 << shift;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	if (h->count == 0) {
		return 0;
	}
	/* The rank of the sample at quantile q, 1-based, rounded up. */
	double r = q * (double)h->count;
	uint64_t rank = (uint64_t)r;
	if ((double)rank < r || rank == 0) {
		rank++;
	}
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t lo, width;
			bucket_range(i, &lo, &width);
			uint64_t mid = lo + width / 2;
			return mid > h->max ? h->max : mid;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h) { return h->count ? (double)h->sum / (double)h->count : 0.0; }

void hist_print_header(FILE *f)
{
	fprintf(f, "%-14s %10s %10s %10s %10s %10s %10s %10s\n", "op", "count", "mean_ns", "p50_ns", "p99_ns",
		"p99.9_ns", "p99.99_ns", "max_ns");
}

void hist_print_row(FILE *f, const char *name, const struct hist *h)
{
	fprintf(f, "%-14s %10llu %10.0f %10llu %10llu %10llu %10llu %10llu\n", name, (unsigned long long)h->count,
		hist_mean(h), (unsigned long long)hist_quantile(h, 0.50), (unsigned long long)hist_quantile(h, 0.99),
		(unsigned long long)hist_quantile(h, 0.999), (unsigned long long)hist_quantile(h, 0.9999),
		(unsigned long long)h->max);
}
