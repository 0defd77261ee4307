/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_pool: reserving, carving and growing the pool (src/pool.c) on 4K
 * pages (any host), the huge-page backing where the host has THP, and
 * carving from several threads at once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check_ptfreeze.h"
#include "real.h"

#define MiB ((size_t)1 << 20)

static void teardown(void) { pool_reset_for_tests(); }

static bool all_zero(const void *p, size_t len)
{
	const uint64_t *w = p;
	for (size_t i = 0; i < len / 8; i++) {
		if (w[i]) {
			return false;
		}
	}
	return true;
}

START_TEST(test_pool_reserve_none_gives_one_4k_region)
{
	ck_assert_int_eq(pool_reserve(8 * MiB, HUGEPAGES_NONE, false, 1), 0);
	ck_assert_int_eq(atomic_load(&pool.nregions), 1);
	ck_assert_uint_eq(pool_size(), 8 * MiB);
	ck_assert_uint_eq(pool_used(), 0);
	const struct pool_region *r = &pool.regions[0];
	ck_assert_uint_eq(r->base % POOL_ALIGN, 0);
	ck_assert_uint_eq(r->end - r->base, 8 * MiB);
	ck_assert_uint_eq(atomic_load(&r->cursor), r->base);
	ck_assert_int_eq(r->backing, BACKING_4K);
	ck_assert(r->at_startup);
	ck_assert_int_eq(pool_main_backing(), BACKING_4K);
	ck_assert_str_eq(kinds_backing_name(BACKING_4K), "4k");
	ck_assert_int_eq(pool.requested, HUGEPAGES_NONE);
}
END_TEST

START_TEST(test_pool_reserve_rounds_size_up_to_2m)
{
	ck_assert_int_eq(pool_reserve(3 * MiB + 1, HUGEPAGES_NONE, false, 1), 0);
	ck_assert_uint_eq(pool_size(), 4 * MiB);
}
END_TEST

START_TEST(test_pool_memory_is_zero_and_writable)
{
	unit_pool_small(8 * MiB);
	char *p = (char *)pool.regions[0].base;
	size_t len = pool_size();
	ck_assert(all_zero(p, len));
	memset(p, 0xa5, len);
	ck_assert_int_eq((unsigned char)p[len - 1], 0xa5);
}
END_TEST

START_TEST(test_pool_prefault_with_several_threads_covers_everything)
{
	real_resolve(); /* the prefault threads are libc's pthread_create */
	ck_assert_int_eq(pool_reserve(16 * MiB, HUGEPAGES_NONE, false, 4), 0);
	ck_assert_int_eq(pool.prefault_threads, 4);
	ck_assert_uint_eq(pool_size(), 16 * MiB);
	ck_assert(all_zero((void *)pool.regions[0].base, pool_size()));
	unsigned char vec[16 * MiB / 4096];
	ck_assert_int_eq(mincore((void *)pool.regions[0].base, pool_size(), vec), 0);
	for (size_t i = 0; i < sizeof(vec); i++) {
		ck_assert_msg(vec[i] & 1, "page %zu of the pool is not resident after prefault", i);
	}
}
END_TEST

START_TEST(test_pool_carve_honours_alignment)
{
	unit_pool_small(8 * MiB);
	static const size_t aligns[] = {1, 8, 16, 64, 4096, 2 * MiB};
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
			void *p = pool_carve(24, aligns[i]);
			size_t want = aligns[i] < 16 ? 16 : aligns[i];
			ck_assert_ptr_nonnull(p);
			ck_assert_msg((uintptr_t)p % want == 0, "carve(24, %zu) = %p", aligns[i], p);
			pool_carve(1, 1); /* knock the cursor off alignment */
		}
	}
}
END_TEST

START_TEST(test_pool_carve_returns_disjoint_ranges_inside_the_region)
{
	unit_pool_small(8 * MiB);
	const struct pool_region *r = &pool.regions[0];
	uintptr_t prev_end = r->base;
	size_t total = 0;
	unsigned seed = 7;
	for (int i = 0; i < 2000; i++) {
		size_t size = 1 + (size_t)(rand_r(&seed) % 3000);
		size_t align = (size_t)1 << (rand_r(&seed) % 13);
		char *p = pool_carve(size, align);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_ge((uintptr_t)p, prev_end);
		ck_assert_uint_le((uintptr_t)p + size, r->end);
		ck_assert(all_zero(p, size & ~(size_t)7));
		memset(p, 0xff, size);
		prev_end = (uintptr_t)p + size;
		total += size;
	}
	ck_assert_uint_ge(pool_used(), total);
	ck_assert_uint_eq(pool_used(), prev_end - r->base);
}
END_TEST

START_TEST(test_pool_carve_never_passes_region_end_and_fails_when_exhausted)
{
	unit_pool_small(4 * MiB);
	const struct pool_region *r = &pool.regions[0];
	size_t n = 0;
	void *p;
	while ((p = pool_carve(40000, 4096)) != NULL) {
		ck_assert_uint_le((uintptr_t)p + 40000, r->end);
		n++;
	}
	ck_assert_uint_gt(n, 0);
	ck_assert_ptr_null(pool_carve(40000, 16));
	/* Whatever is left still serves smaller requests, up to the end exactly. */
	size_t left = r->end - atomic_load(&r->cursor);
	if (left >= 16) {
		ck_assert_ptr_nonnull(pool_carve(left & ~(size_t)15, 16));
	}
	ck_assert_uint_le(pool_used(), pool_size());
	ck_assert_ptr_null(pool_carve(SIZE_MAX, 16));
}
END_TEST

START_TEST(test_pool_carve_of_whole_pool_then_nothing)
{
	unit_pool_small(4 * MiB);
	ck_assert_ptr_null(pool_carve(4 * MiB + 1, 16));
	void *p = pool_carve(4 * MiB, 2 * MiB);
	ck_assert_ptr_eq(p, (void *)pool.regions[0].base);
	ck_assert_ptr_null(pool_carve(1, 1));
	ck_assert_uint_eq(pool_used(), pool_size());
}
END_TEST

START_TEST(test_pool_carve_without_a_pool_is_null)
{
	ck_assert_ptr_null(pool_carve(16, 16));
	ck_assert_uint_eq(pool_size(), 0);
	ck_assert_ptr_null(pool_region_of(&pool));
	ck_assert(!pool_overlaps(&pool, sizeof(pool)));
}
END_TEST

START_TEST(test_pool_carve_at_extends_only_at_the_cursor)
{
	unit_pool_small(4 * MiB);
	const struct pool_region *r = &pool.regions[0];
	char *p = pool_carve(4096, 4096);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_eq(pool_carve_at(p + 4096, 8192), p + 4096);
	ck_assert_uint_eq(atomic_load(&r->cursor), (uintptr_t)p + 3 * 4096);
	/* Not at the cursor: behind it (handed out) or ahead of it. */
	ck_assert_ptr_null(pool_carve_at(p, 4096));
	ck_assert_ptr_null(pool_carve_at(p + 4096, 4096));
	ck_assert_ptr_null(pool_carve_at(p + 4 * 4096, 4096));
	/* Past the region's end, or outside the pool. */
	ck_assert_ptr_null(pool_carve_at(p + 3 * 4096, 4 * MiB));
	char outside;
	ck_assert_ptr_null(pool_carve_at(&outside, 1));
	ck_assert_uint_eq(atomic_load(&r->cursor), (uintptr_t)p + 3 * 4096);
	/* The next carve starts after the extension. */
	char *q = pool_carve(16, 16);
	ck_assert_uint_ge((uintptr_t)q, (uintptr_t)p + 3 * 4096);
	/* Up to the end exactly is fine. */
	uintptr_t cur = atomic_load(&r->cursor);
	ck_assert_ptr_eq(pool_carve_at((void *)cur, r->end - cur), (void *)cur);
	ck_assert_ptr_null(pool_carve(1, 1));
}
END_TEST

START_TEST(test_pool_grow_adds_a_region)
{
	unit_pool_small(4 * MiB);
	size_t before = pool_size();
	ck_assert_int_eq(pool_grow(1, 2 * MiB, false), 0);
	ck_assert_int_eq(atomic_load(&pool.nregions), 2);
	ck_assert_uint_eq(pool_size(), before + 2 * MiB);
	const struct pool_region *r = &pool.regions[1];
	ck_assert(!r->at_startup);
	ck_assert_uint_eq(r->base % POOL_ALIGN, 0);
	ck_assert(all_zero((void *)r->base, r->end - r->base));
	/* min wins over the step, rounded up to 2M. */
	ck_assert_int_eq(pool_grow(5 * MiB, 2 * MiB, true), 0);
	ck_assert_uint_eq(pool.regions[2].end - pool.regions[2].base, 6 * MiB);
	ck_assert(pool.regions[2].at_startup);
}
END_TEST

START_TEST(test_pool_room_largest_is_the_longest_never_carved_tail)
{
	unit_pool_small(4 * MiB);
	ck_assert_uint_eq(pool_room_largest(), 4 * MiB);
	ck_assert_ptr_nonnull(pool_carve(3 * MiB, 16));
	ck_assert_uint_eq(pool_room_largest(), 1 * MiB);
	/* A grown region's whole length counts; the first region's tail is shorter. */
	ck_assert_int_eq(pool_grow(1, 2 * MiB, false), 0);
	ck_assert_uint_eq(pool_room_largest(), 2 * MiB);
	ck_assert_ptr_nonnull(pool_carve(2 * MiB, 16));
	ck_assert_uint_eq(pool_room_largest(), 1 * MiB);
	/* Requests: the largest noted is kept, a smaller one changes nothing. */
	ck_assert_uint_eq(pool_largest_request(), 0);
	pool_note_request(5 * MiB);
	pool_note_request(3 * MiB);
	ck_assert_uint_eq(pool_largest_request(), 5 * MiB);
}
END_TEST

START_TEST(test_pool_grow_with_step_zero_is_enospc)
{
	unit_pool_small(4 * MiB);
	ck_assert_int_eq(pool_grow(4096, 0, true), -ENOSPC);
	ck_assert_int_eq(atomic_load(&pool.nregions), 1);
}
END_TEST

START_TEST(test_pool_carve_moves_on_to_a_grown_region)
{
	unit_pool_small(2 * MiB);
	ck_assert_ptr_nonnull(pool_carve(2 * MiB, 16));
	ck_assert_ptr_null(pool_carve(4096, 16));
	ck_assert_int_eq(pool_grow(4096, 2 * MiB, false), 0);
	char *p = pool_carve(4096, 16);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_eq(pool_region_of(p), &pool.regions[1]);
	memset(p, 1, 4096);
}
END_TEST

START_TEST(test_pool_grow_stops_at_the_region_table_limit)
{
	unit_pool_small(2 * MiB);
	for (int i = 1; i < POOL_MAX_REGIONS; i++) {
		ck_assert_msg(pool_grow(4096, 2 * MiB, false) == 0, "grow %d failed", i);
	}
	ck_assert_int_eq(atomic_load(&pool.nregions), POOL_MAX_REGIONS);
	ck_assert_int_eq(pool_grow(4096, 2 * MiB, false), -ENOSPC);
	ck_assert_uint_eq(pool_size(), POOL_MAX_REGIONS * 2 * MiB);
}
END_TEST

START_TEST(test_pool_overlaps_and_region_of_see_exact_bounds)
{
	unit_pool_small(4 * MiB);
	const struct pool_region *r = &pool.regions[0];
	char *base = (char *)r->base, *end = (char *)r->end;
	ck_assert_ptr_eq(pool_region_of(base), r);
	ck_assert_ptr_eq(pool_region_of(end - 1), r);
	ck_assert_ptr_null(pool_region_of(end));
	ck_assert_ptr_null(pool_region_of(base - 1));
	ck_assert(pool_overlaps(base, 1));
	ck_assert(pool_overlaps(end - 1, 1));
	ck_assert(pool_overlaps(base - 4096, 4097));
	ck_assert(pool_overlaps(base - 4096, 16 * MiB));
	ck_assert(!pool_overlaps(base - 4096, 4096));
	ck_assert(!pool_overlaps(end, 4096));
	int local;
	ck_assert(!pool_overlaps(&local, sizeof(local)));
}
END_TEST

START_TEST(test_pool_used_never_decreases)
{
	unit_pool_small(4 * MiB);
	size_t last = pool_used();
	for (int i = 0; i < 500; i++) {
		pool_carve((size_t)(i % 97) + 1, (size_t)1 << (i % 8));
		size_t now = pool_used();
		ck_assert_uint_ge(now, last);
		last = now;
	}
	pool_grow(1, 2 * MiB, false);
	ck_assert_uint_ge(pool_used(), last);
}
END_TEST

START_TEST(test_pool_measure_runs_and_matches_huge_bytes)
{
	unit_pool_small(4 * MiB);
	size_t huge = pool_measure();
	ck_assert_uint_eq(huge, pool_huge_bytes());
	ck_assert_uint_le(huge, pool_size());
}
END_TEST

START_TEST(test_pool_thp_backing_puts_pool_on_huge_pages)
{
	char buf[128];
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	bool capable = f && fgets(buf, sizeof(buf), f) && strstr(buf, "[never]") == NULL;
	if (f) {
		fclose(f);
	}
	if (!capable) {
		unit_note("transparent huge pages are off or absent on this host: THP backing not checked");
		return;
	}
	ck_assert_int_eq(pool_reserve(8 * MiB, HUGEPAGES_THP, false, 1), 0);
	ck_assert_int_eq(pool.regions[0].backing, BACKING_THP);
	ck_assert_int_eq(pool_main_backing(), BACKING_THP);
	ck_assert_msg(pool_huge_bytes() > 0, "THP-capable host, yet no pool byte is on a huge page (smaps AnonHugePages)");
	ck_assert_uint_le(pool_huge_bytes(), pool_size());
	ck_assert_uint_eq(pool_measure(), pool_huge_bytes());
}
END_TEST

struct carver {
	uintptr_t start[4000];
	size_t size[4000];
	int n;
	unsigned seed;
};

static void *carve_many(void *arg)
{
	struct carver *c = arg;
	for (c->n = 0; c->n < 4000; c->n++) {
		size_t size = 16 + (size_t)(rand_r(&c->seed) % 512);
		void *p = pool_carve(size, 16);
		if (p == NULL) {
			break;
		}
		c->start[c->n] = (uintptr_t)p;
		c->size[c->n] = size;
	}
	return NULL;
}

struct span {
	uintptr_t start, end;
};

static int by_start(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

START_TEST(test_pool_concurrent_carves_are_disjoint)
{
	unit_pool_small(16 * MiB);
	static struct carver c[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		c[i].seed = (unsigned)i + 1;
		ck_assert_int_eq(pthread_create(&t[i], NULL, carve_many, &c[i]), 0);
	}
	size_t total = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(c[i].n, 4000);
		total += (size_t)c[i].n;
	}
	struct span *all = malloc(total * sizeof(*all));
	ck_assert_ptr_nonnull(all);
	size_t k = 0;
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < c[i].n; j++) {
			all[k].start = c[i].start[j];
			all[k].end = c[i].start[j] + c[i].size[j];
			k++;
		}
	}
	qsort(all, total, sizeof(*all), by_start);
	for (size_t i = 0; i < total; i++) {
		ck_assert_ptr_nonnull(pool_region_of((void *)all[i].start));
		ck_assert_uint_le(all[i].end, pool.regions[0].end);
		if (i) {
			ck_assert_msg(all[i - 1].end <= all[i].start, "[%#lx,%#lx) overlaps [%#lx,%#lx)",
				      (unsigned long)all[i - 1].start, (unsigned long)all[i - 1].end,
				      (unsigned long)all[i].start, (unsigned long)all[i].end);
		}
	}
	free(all);
}
END_TEST

Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("reserve");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pool_reserve_none_gives_one_4k_region);
	tcase_add_test(tc, test_pool_reserve_rounds_size_up_to_2m);
	tcase_add_test(tc, test_pool_memory_is_zero_and_writable);
	tcase_add_test(tc, test_pool_prefault_with_several_threads_covers_everything);
	tcase_add_test(tc, test_pool_measure_runs_and_matches_huge_bytes);
	tcase_add_test(tc, test_pool_thp_backing_puts_pool_on_huge_pages);
	suite_add_tcase(s, tc);

	tc = tcase_create("carve");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pool_carve_honours_alignment);
	tcase_add_test(tc, test_pool_carve_returns_disjoint_ranges_inside_the_region);
	tcase_add_test(tc, test_pool_carve_never_passes_region_end_and_fails_when_exhausted);
	tcase_add_test(tc, test_pool_carve_of_whole_pool_then_nothing);
	tcase_add_test(tc, test_pool_carve_without_a_pool_is_null);
	tcase_add_test(tc, test_pool_carve_at_extends_only_at_the_cursor);
	tcase_add_test(tc, test_pool_overlaps_and_region_of_see_exact_bounds);
	tcase_add_test(tc, test_pool_used_never_decreases);
	tcase_add_test(tc, test_pool_concurrent_carves_are_disjoint);
	suite_add_tcase(s, tc);

	tc = tcase_create("grow");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pool_grow_adds_a_region);
	tcase_add_test(tc, test_pool_grow_with_step_zero_is_enospc);
	tcase_add_test(tc, test_pool_room_largest_is_the_longest_never_carved_tail);
	tcase_add_test(tc, test_pool_carve_moves_on_to_a_grown_region);
	tcase_add_test(tc, test_pool_grow_stops_at_the_region_table_limit);
	suite_add_tcase(s, tc);
	return s;
}
