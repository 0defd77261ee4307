/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_spare: the map of pool pages jemalloc gave back (src/spare.c):
 * runs coalesce, the best fit is taken, alignment and exact addresses are
 * honoured, a run at a region's bump pointer extends into it, and what
 * the map does not cover is refused.
 */
#include <errno.h>
#include <stdint.h>

#include "check_ptfreeze.h"
#include "spare.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

/* A pool of 8 MiB on 4K pages and the map over it. */
static void setup_map(void)
{
	unit_pool_small(8 * MiB);
	ck_assert_int_eq(spare_init(), 0);
}

static char *carve(size_t n)
{
	char *p = pool_carve(n, 4096);
	ck_assert_ptr_nonnull(p);
	return p;
}

START_TEST(test_spare_init_without_a_pool_is_enomem)
{
	ck_assert_int_eq(spare_init(), -ENOMEM);
	ck_assert_ptr_null(spare_take(4096, 4096));
}
END_TEST

START_TEST(test_spare_put_then_take_gives_the_same_pages_once)
{
	setup_map();
	carve(64 * KiB);
	char *b = carve(64 * KiB);
	carve(64 * KiB);
	ck_assert_ptr_null(spare_take(4096, 4096));
	ck_assert(spare_put(b, 64 * KiB));
	ck_assert_uint_eq(spare_bytes(), 64 * KiB);
	ck_assert_ptr_eq(spare_take(64 * KiB, 4096), b);
	ck_assert_uint_eq(spare_bytes(), 0);
	ck_assert_ptr_null(spare_take(4096, 4096));
}
END_TEST

START_TEST(test_spare_neighbours_coalesce)
{
	setup_map();
	char *a = carve(64 * KiB), *b = carve(64 * KiB);
	carve(4096);
	ck_assert(spare_put(b, 64 * KiB));
	ck_assert(spare_put(a, 64 * KiB));
	ck_assert_ptr_null(spare_take(132 * KiB, 4096));
	ck_assert_ptr_eq(spare_take(128 * KiB, 4096), a);
}
END_TEST

START_TEST(test_spare_takes_the_shortest_run_that_fits)
{
	setup_map();
	char *a = carve(64 * KiB);
	carve(4096);
	char *b = carve(256 * KiB);
	carve(4096);
	char *c = carve(128 * KiB);
	carve(4096);
	ck_assert(spare_put(a, 64 * KiB));
	ck_assert(spare_put(b, 256 * KiB));
	ck_assert(spare_put(c, 128 * KiB));
	ck_assert_ptr_eq(spare_take(100 * KiB, 4096), c); /* not b, the lower and longer run */
	ck_assert_ptr_eq(spare_take(64 * KiB, 4096), a);
	ck_assert_ptr_eq(spare_take(200 * KiB, 4096), b);
	ck_assert_uint_eq(spare_bytes(), 84 * KiB); /* c's tail and b's */
	ck_assert_ptr_eq(spare_take(28 * KiB, 4096), c + 100 * KiB);
	ck_assert_ptr_eq(spare_take(56 * KiB, 4096), b + 200 * KiB);
}
END_TEST

START_TEST(test_spare_honours_alignment)
{
	setup_map();
	carve(4096);
	char *a = carve(256 * KiB); /* starts 4 KiB past a 64 KiB boundary */
	ck_assert(spare_put(a, 256 * KiB));
	char *p = spare_take(64 * KiB, 64 * KiB);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq((uintptr_t)p % (64 * KiB), 0);
	ck_assert(p >= a && p + 64 * KiB <= a + 256 * KiB);
	ck_assert_uint_eq(spare_bytes(), 192 * KiB);
	ck_assert_ptr_null(spare_take(256 * KiB, 4096));
}
END_TEST

START_TEST(test_spare_take_at_needs_every_page_spare)
{
	setup_map();
	char *b = carve(64 * KiB);
	carve(4096);
	ck_assert(spare_put(b, 64 * KiB));
	ck_assert_ptr_eq(spare_take_at(b + 16 * KiB, 16 * KiB), b + 16 * KiB);
	ck_assert_ptr_null(spare_take_at(b, 64 * KiB));
	ck_assert_ptr_eq(spare_take_at(b, 16 * KiB), b);
	ck_assert_ptr_null(spare_take_at(b + 64 * KiB, 4096)); /* taken, never given back */
	ck_assert_uint_eq(spare_bytes(), 32 * KiB);
}
END_TEST

START_TEST(test_spare_tail_run_extends_at_the_bump_pointer)
{
	setup_map();
	carve(4096);
	char *a = carve(64 * KiB); /* the last carve: the cursor stands at its end */
	ck_assert(spare_put(a, 64 * KiB));
	size_t used = pool_used();
	ck_assert_ptr_null(spare_take(256 * KiB, 4096));
	ck_assert_ptr_eq(spare_take_tail(256 * KiB, 4096), a);
	ck_assert_uint_eq(pool_used(), used + 192 * KiB);
	ck_assert_uint_eq(spare_bytes(), 0);
	/* No run at the cursor now: nothing to extend. */
	char *b = carve(64 * KiB);
	carve(4096);
	ck_assert(spare_put(b, 64 * KiB));
	ck_assert_ptr_null(spare_take_tail(128 * KiB, 4096));
	ck_assert_uint_eq(spare_bytes(), 64 * KiB);
}
END_TEST

START_TEST(test_spare_refuses_what_is_not_pool_and_covers_grown_regions)
{
	setup_map();
	static char outside[64 * 1024] __attribute__((aligned(4096)));
	ck_assert(!spare_put(outside, sizeof(outside)));
	char *a = carve(64 * KiB);
	ck_assert(!spare_put(a + 1, 4096)); /* not page-aligned */
	ck_assert_int_eq(pool_grow(4 * MiB, 4 * MiB, false), 0);
	char *g = NULL;
	while (g == NULL || pool_region_of(g) == &pool.regions[0]) {
		g = pool_carve(1 * MiB, 4096); /* until a carve lands in the grown region */
		ck_assert_ptr_nonnull(g);
	}
	ck_assert(spare_put(g, 1 * MiB)); /* a region grown after spare_init gets its bits */
	ck_assert_uint_eq(spare_bytes(), 1 * MiB);
	ck_assert_ptr_eq(spare_take(1 * MiB, 4096), g);
	spare_populate();
	ck_assert(spare_put(a, 64 * KiB));
	ck_assert_ptr_eq(spare_take(64 * KiB, 4096), a);
}
END_TEST

Suite *spare_suite(void)
{
	Suite *s = suite_create("spare");
	TCase *tc = tcase_create("map");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_spare_init_without_a_pool_is_enomem);
	tcase_add_test(tc, test_spare_put_then_take_gives_the_same_pages_once);
	tcase_add_test(tc, test_spare_neighbours_coalesce);
	tcase_add_test(tc, test_spare_takes_the_shortest_run_that_fits);
	tcase_add_test(tc, test_spare_honours_alignment);
	tcase_add_test(tc, test_spare_take_at_needs_every_page_spare);
	tcase_add_test(tc, test_spare_tail_run_extends_at_the_bump_pointer);
	tcase_add_test(tc, test_spare_refuses_what_is_not_pool_and_covers_grown_regions);
	suite_add_tcase(s, tc);
	return s;
}
