/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_pmap: anonymous mmap served from the pool (src/pmap.c): mapping,
 * full and partial unmapping, reuse of freed pages (zeroed), mremap in
 * place and by moving, madvise, and blocks whose protection the program
 * changed.  Each test gets a fresh 16 MiB 4K-page pool (Check forks per
 * test; pmap has no reset of its own).  The "spans" case gets 64 MiB and
 * the span allocator (src/spans.c), where the mappings then come from:
 * whole and partial unmaps give the pages back to it, a protected block
 * becomes pmap's own, and a busy lock makes pmap do without it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "check_ptfreeze.h"
#include "pmap.h"
#include "spans.h"

#define PG ((size_t)4096)
#define MiB ((size_t)1 << 20)

static void setup(void)
{
	unit_pool_small(16 * MiB);
	ck_assert_int_eq(pmap_init(64), 0);
}

static void teardown(void) { pool_reset_for_tests(); }

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < len; i++) {
		if (c[i]) {
			return false;
		}
	}
	return true;
}

static bool all_byte(const void *p, size_t len, unsigned char b)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < len; i++) {
		if (c[i] != b) {
			return false;
		}
	}
	return true;
}

static char *map(size_t len, size_t align)
{
	int err = 0;
	char *p = pmap_map(len, align, 0, &err);
	ck_assert_msg(p != NULL, "pmap_map(%zu, %zu) failed: %d", len, align, err);
	return p;
}

START_TEST(test_pmap_map_returns_zeroed_page_aligned_memory)
{
	char *p = map(1, 0);
	ck_assert_uint_eq((uintptr_t)p % PG, 0);
	ck_assert(all_zero(p, PG));
	memset(p, 0x5a, PG); /* the whole rounded-up page is the caller's */
	ck_assert(pool_overlaps(p, PG));
	ck_assert_uint_eq(pmap_served_bytes(), PG);

	char *q = map(3 * PG + 1, PG);
	ck_assert_uint_eq((uintptr_t)q % PG, 0);
	ck_assert(all_zero(q, 4 * PG));
	ck_assert_uint_eq(pmap_served_bytes(), 5 * PG);
	ck_assert(q >= p + PG || q + 4 * PG <= p);
}
END_TEST

START_TEST(test_pmap_map_large_blocks_are_2m_aligned)
{
	map(PG, PG); /* knock the pool cursor off 2M */
	char *p = map(2 * MiB, 2 * MiB);
	ck_assert_uint_eq((uintptr_t)p % (2 * MiB), 0);
	ck_assert(all_zero(p, 2 * MiB));
	char *q = map(3 * MiB, 2 * MiB);
	ck_assert_uint_eq((uintptr_t)q % (2 * MiB), 0);
	ck_assert(pmap_owns(q, 3 * MiB));
}
END_TEST

START_TEST(test_pmap_map_rejects_zero_length)
{
	int err = 0;
	ck_assert_ptr_null(pmap_map(0, PG, 0, &err));
	ck_assert_int_eq(err, -EINVAL);
	err = 0;
	ck_assert_ptr_null(pmap_map(SIZE_MAX, PG, 0, &err));
	ck_assert_int_eq(err, -EINVAL);
}
END_TEST

START_TEST(test_pmap_map_reports_enomem_when_pool_is_full)
{
	int err = 0;
	ck_assert_ptr_null(pmap_map(32 * MiB, PG, 0, &err));
	ck_assert_int_eq(err, -ENOMEM);
	ck_assert_uint_eq(pmap_served_bytes(), 0);
}
END_TEST

START_TEST(test_pmap_map_reports_enospc_when_block_table_is_full)
{
	for (int i = 0; i < 64; i++) {
		map(PG, PG);
	}
	int err = 0;
	ck_assert_ptr_null(pmap_map(PG, PG, 0, &err));
	ck_assert_int_eq(err, -ENOSPC);
}
END_TEST

START_TEST(test_pmap_owns_only_served_pages)
{
	char *p = map(4 * PG, PG);
	ck_assert(pmap_owns(p, 4 * PG));
	ck_assert(pmap_owns(p + PG, 10));
	ck_assert(pmap_owns(p + 4 * PG - 1, 1));
	ck_assert(!pmap_owns(p, 4 * PG + 1));
	ck_assert(!pmap_owns(p - PG, PG));
	/* Pool memory that was never served is not owned. */
	char *carved = pool_carve(PG, PG);
	ck_assert(!pmap_owns(carved, PG));
	int local;
	ck_assert(!pmap_owns(&local, sizeof(local)));
}
END_TEST

START_TEST(test_pmap_owns_spans_adjacent_blocks)
{
	char *a = map(PG, PG), *b = map(PG, PG);
	ck_assert_ptr_eq(b, a + PG);
	ck_assert(pmap_owns(a, 2 * PG));
	ck_assert(pmap_owns(a + PG - 1, 2));
	ck_assert(!pmap_owns(a, 3 * PG));
	ck_assert(pmap_whole(a, 2 * PG));
}
END_TEST

START_TEST(test_pmap_unmap_whole_block)
{
	char *p = map(4 * PG, PG);
	ck_assert_uint_eq(pmap_unmap(p, 4 * PG), 4 * PG);
	ck_assert(!pmap_owns(p, PG));
	ck_assert(!pmap_owns(p + 3 * PG, PG));
	ck_assert_uint_eq(pmap_served_bytes(), 0);
	/* Twice is harmless: nothing is served there any more. */
	ck_assert_uint_eq(pmap_unmap(p, 4 * PG), 0);
}
END_TEST

START_TEST(test_pmap_unmap_head_keeps_the_rest)
{
	char *p = map(4 * PG, PG);
	memset(p, 0x11, 4 * PG);
	ck_assert_uint_eq(pmap_unmap(p, PG), PG);
	ck_assert(!pmap_owns(p, PG));
	ck_assert(pmap_owns(p + PG, 3 * PG));
	ck_assert(all_byte(p + PG, 3 * PG, 0x11));
	ck_assert_uint_eq(pmap_served_bytes(), 3 * PG);
}
END_TEST

START_TEST(test_pmap_unmap_tail_keeps_the_rest)
{
	char *p = map(4 * PG, PG);
	memset(p, 0x22, 4 * PG);
	ck_assert_uint_eq(pmap_unmap(p + 3 * PG, PG), PG);
	ck_assert(pmap_owns(p, 3 * PG));
	ck_assert(!pmap_owns(p + 3 * PG, PG));
	ck_assert(all_byte(p, 3 * PG, 0x22));
}
END_TEST

START_TEST(test_pmap_unmap_middle_splits_the_block)
{
	char *p = map(5 * PG, PG);
	memset(p, 0x33, 5 * PG);
	ck_assert_uint_eq(pmap_unmap(p + PG, 2 * PG), 2 * PG);
	ck_assert(pmap_owns(p, PG));
	ck_assert(!pmap_owns(p + PG, PG));
	ck_assert(!pmap_owns(p + 2 * PG, PG));
	ck_assert(pmap_owns(p + 3 * PG, 2 * PG));
	ck_assert(all_byte(p, PG, 0x33));
	ck_assert(all_byte(p + 3 * PG, 2 * PG, 0x33));
	ck_assert_uint_eq(pmap_served_bytes(), 3 * PG);
	/* Both halves are blocks of their own now. */
	ck_assert(pmap_whole(p, PG));
	ck_assert(pmap_whole(p + 3 * PG, 2 * PG));
	ck_assert_uint_eq(pmap_unmap(p, 5 * PG), 3 * PG);
	ck_assert_uint_eq(pmap_served_bytes(), 0);
}
END_TEST

START_TEST(test_pmap_unmap_skips_pool_pages_that_are_not_served)
{
	char *a = map(PG, PG);
	char *carved = pool_carve(PG, PG); /* pool memory never served */
	char *b = map(PG, PG);
	ck_assert_ptr_eq(carved, a + PG);
	ck_assert_ptr_eq(b, carved + PG);
	memset(carved, 0x44, PG);
	ck_assert_uint_eq(pmap_unmap(a, 3 * PG), 2 * PG);
	ck_assert(all_byte(carved, PG, 0x44));
	ck_assert(!pmap_owns(a, PG));
	ck_assert(!pmap_owns(b, PG));
}
END_TEST

START_TEST(test_pmap_unmap_rounds_length_up_to_pages)
{
	char *p = map(2 * PG, PG);
	ck_assert_uint_eq(pmap_unmap(p, PG + 1), 2 * PG);
	ck_assert_uint_eq(pmap_served_bytes(), 0);
}
END_TEST

START_TEST(test_pmap_freed_memory_is_reused_and_zero_again)
{
	char *p = map(8 * PG, PG);
	memset(p, 0xee, 8 * PG);
	ck_assert_uint_eq(pmap_unmap(p, 8 * PG), 8 * PG);
	size_t used = pool_used();
	char *q = map(8 * PG, PG);
	ck_assert_ptr_eq(q, p);
	ck_assert_uint_eq(pool_used(), used);
	ck_assert(all_zero(q, 8 * PG));
}
END_TEST

START_TEST(test_pmap_partially_freed_memory_is_reused_and_zero)
{
	char *p = map(6 * PG, PG);
	memset(p, 0x77, 6 * PG);
	pmap_unmap(p + 2 * PG, 2 * PG);
	size_t used = pool_used();
	char *q = map(2 * PG, PG);
	ck_assert_ptr_eq(q, p + 2 * PG);
	ck_assert_uint_eq(pool_used(), used);
	ck_assert(all_zero(q, 2 * PG));
	ck_assert(all_byte(p, 2 * PG, 0x77));
	ck_assert(all_byte(p + 4 * PG, 2 * PG, 0x77));
}
END_TEST

START_TEST(test_pmap_freed_neighbours_merge)
{
	char *a = map(PG, PG), *b = map(PG, PG), *c = map(PG, PG);
	ck_assert_ptr_eq(b, a + PG);
	ck_assert_ptr_eq(c, b + PG);
	pmap_unmap(a, PG);
	pmap_unmap(c, PG);
	pmap_unmap(b, PG);
	size_t used = pool_used();
	char *q = map(3 * PG, PG);
	ck_assert_ptr_eq(q, a);
	ck_assert_uint_eq(pool_used(), used);
	ck_assert(all_zero(q, 3 * PG));
}
END_TEST

START_TEST(test_pmap_remap_shrinks_in_place)
{
	char *p = map(4 * PG, PG);
	memset(p, 0x12, 4 * PG);
	int err = 0;
	ck_assert_ptr_eq(pmap_remap(p, 4 * PG, 2 * PG, 0, &err), p);
	ck_assert(pmap_owns(p, 2 * PG));
	ck_assert(!pmap_owns(p + 2 * PG, PG));
	ck_assert(all_byte(p, 2 * PG, 0x12));
	ck_assert_uint_eq(pmap_served_bytes(), 2 * PG);
	ck_assert_ptr_eq(pmap_remap(p, 2 * PG, 2 * PG, 0, &err), p);
}
END_TEST

START_TEST(test_pmap_remap_grows_in_place_into_free_pages)
{
	char *a = map(2 * PG, PG), *b = map(2 * PG, PG);
	ck_assert_ptr_eq(b, a + 2 * PG);
	memset(a, 0x21, 2 * PG);
	memset(b, 0x99, 2 * PG);
	pmap_unmap(b, 2 * PG);
	int err = 0;
	ck_assert_ptr_eq(pmap_remap(a, 2 * PG, 3 * PG, 0, &err), a);
	ck_assert(pmap_owns(a, 3 * PG));
	ck_assert(all_byte(a, 2 * PG, 0x21));
	ck_assert(all_zero(a + 2 * PG, PG));
	ck_assert_uint_eq(pmap_served_bytes(), 3 * PG);
	/* The page left over is still free for others. */
	ck_assert_ptr_eq(map(PG, PG), a + 3 * PG);
}
END_TEST

START_TEST(test_pmap_remap_grows_by_moving_and_keeps_contents)
{
	char *a = map(2 * PG, PG);
	map(PG, PG); /* blocks growth in place */
	for (size_t i = 0; i < 2 * PG; i++) {
		a[i] = (char)(i * 13);
	}
	int err = 0;
	char *n = pmap_remap(a, 2 * PG, 8 * PG, MREMAP_MAYMOVE, &err);
	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_ne(n, a);
	for (size_t i = 0; i < 2 * PG; i++) {
		ck_assert_int_eq(n[i], (char)(i * 13));
	}
	ck_assert(all_zero(n + 2 * PG, 6 * PG));
	ck_assert(pmap_owns(n, 8 * PG));
	ck_assert(!pmap_owns(a, PG));
	ck_assert_uint_eq(pmap_served_bytes(), 9 * PG);
}
END_TEST

START_TEST(test_pmap_remap_without_maymove_is_enomem_when_it_cannot_grow)
{
	char *a = map(2 * PG, PG);
	map(PG, PG);
	memset(a, 0x5c, 2 * PG);
	int err = 0;
	ck_assert_ptr_null(pmap_remap(a, 2 * PG, 4 * PG, 0, &err));
	ck_assert_int_eq(err, -ENOMEM);
	ck_assert(pmap_owns(a, 2 * PG));
	ck_assert(all_byte(a, 2 * PG, 0x5c));
}
END_TEST

START_TEST(test_pmap_remap_rejects_fixed_and_dontunmap)
{
	char *a = map(2 * PG, PG);
	int err = 0;
	ck_assert_ptr_null(pmap_remap(a, 2 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, &err));
	ck_assert_int_eq(err, -EINVAL);
#ifdef MREMAP_DONTUNMAP
	err = 0;
	ck_assert_ptr_null(pmap_remap(a, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, &err));
	ck_assert_int_eq(err, -EINVAL);
#endif
	err = 0;
	ck_assert_ptr_null(pmap_remap(a + 1, PG, 2 * PG, MREMAP_MAYMOVE, &err));
	ck_assert_int_eq(err, -EINVAL);
	err = 0;
	ck_assert_ptr_null(pmap_remap(a, 2 * PG, 0, MREMAP_MAYMOVE, &err));
	ck_assert_int_eq(err, -EINVAL);
	ck_assert(pmap_owns(a, 2 * PG));
}
END_TEST

START_TEST(test_pmap_advise_dontneed_zeroes)
{
	char *p = map(3 * PG, PG);
	memset(p, 0x66, 3 * PG);
	pmap_advise(p + PG, PG, MADV_DONTNEED);
	ck_assert(all_byte(p, PG, 0x66));
	ck_assert(all_zero(p + PG, PG));
	ck_assert(all_byte(p + 2 * PG, PG, 0x66));
	pmap_advise(p, 3 * PG, MADV_WILLNEED);
	pmap_advise(p, 3 * PG, MADV_FREE);
	ck_assert(all_byte(p, PG, 0x66));
	pmap_advise(p, 3 * PG, MADV_REMOVE);
	ck_assert(all_zero(p, 3 * PG));
	ck_assert(pmap_owns(p, 3 * PG));
}
END_TEST

START_TEST(test_pmap_protected_block_is_writable_again_after_reuse)
{
	char *p = map(2 * PG, PG);
	memset(p, 0x42, 2 * PG);
	ck_assert_int_eq(mprotect(p, 2 * PG, PROT_READ), 0); /* libc's, as the program would */
	pmap_mark_protected(p, 2 * PG);
	ck_assert_uint_eq(pmap_unmap(p, 2 * PG), 2 * PG);
	char *q = map(2 * PG, PG);
	ck_assert_ptr_eq(q, p);
	memset(q, 0x17, 2 * PG); /* faults if the protection was not restored */
	ck_assert(all_byte(q, 2 * PG, 0x17));
}
END_TEST

START_TEST(test_pmap_partly_protected_block_is_writable_again_after_reuse)
{
	char *p = map(3 * PG, PG);
	ck_assert_int_eq(mprotect(p + PG, PG, PROT_NONE), 0);
	pmap_mark_protected(p + PG, PG);
	ck_assert(pmap_owns(p, 3 * PG));
	ck_assert_uint_eq(pmap_unmap(p, 3 * PG), 3 * PG);
	char *q = map(3 * PG, PG);
	ck_assert_ptr_eq(q, p);
	ck_assert(all_zero(q, 3 * PG));
	memset(q, 0x18, 3 * PG);
}
END_TEST

/*
 * For a block the program made read-only, pmap_advise declines
 * (MADV_DONTNEED must give zero pages, and pmap cannot write them), and
 * the kernel's madvise, which the interposer then makes, zeroes them.
 */
START_TEST(test_pmap_advise_dontneed_zeroes_a_read_only_block)
{
	char *p = map(2 * PG, PG);
	memset(p, 0x3c, 2 * PG);
	ck_assert_int_eq(mprotect(p, 2 * PG, PROT_READ), 0);
	pmap_mark_protected(p, 2 * PG);
	ck_assert(!pmap_advise(p, 2 * PG, MADV_DONTNEED));
	ck_assert_int_eq(madvise(p, 2 * PG, MADV_DONTNEED), 0);
	ck_assert_msg(all_zero(p, 2 * PG), "MADV_DONTNEED on a read-only served block left its contents (byte 0 is %#x)",
		      (unsigned char)p[0]);
}
END_TEST

START_TEST(test_pmap_whole_and_any_see_block_bounds_and_flags)
{
	int err = 0;
	char *a = pmap_map(2 * PG, PG, PMAP_STARTUP, &err);
	char *b = map(2 * PG, PG);
	ck_assert_ptr_nonnull(a);
	ck_assert(pmap_any(a, 2 * PG, PMAP_STARTUP));
	ck_assert(!pmap_any(b, 2 * PG, PMAP_STARTUP));
	ck_assert(pmap_any(a, 4 * PG, PMAP_STARTUP));
	ck_assert(pmap_whole(a, 2 * PG));
	ck_assert(!pmap_whole(a, PG));
	ck_assert(!pmap_whole(a + PG, 2 * PG));
	ck_assert(pmap_whole(a, 4 * PG));
}
END_TEST

/* Spans' chunks for the tests: new pool room, or at least `least` of it. */
static void *chunk(size_t *size, size_t least)
{
	void *p = pool_carve(*size, (size_t)64 << 10);
	if (p == NULL && (p = pool_carve(least, (size_t)64 << 10)) != NULL) {
		*size = least;
	}
	return p;
}

static void setup_spans(void)
{
	unit_pool_small(64 * MiB);
	ck_assert_int_eq(pmap_init(64), 0);
	ck_assert_uint_eq(spans_install(pool_size(), chunk), 16 * MiB);
}

START_TEST(test_pmap_mapping_is_a_block_of_spans_and_goes_back)
{
	char *p = map(300 * PG, 0);
	ck_assert(spans_owns(p));
	ck_assert_uint_eq(spans_used(), 300 * PG);
	ck_assert(all_zero(p, 300 * PG));
	memset(p, 7, 300 * PG);
	ck_assert_uint_eq(pmap_unmap(p, 300 * PG), 300 * PG);
	ck_assert_uint_eq(spans_used(), 0);
	ck_assert_uint_eq(pmap_free_bytes(), 0);
	/* the allocator's next block of that size takes the same pages */
	ck_assert_ptr_eq(spans_alloc(300 * PG), p);
	ck_assert(spans_free(p));
	char *q = map(300 * PG, 0);
	ck_assert_ptr_eq(q, p);
	ck_assert(all_zero(q, 300 * PG));
}
END_TEST

START_TEST(test_pmap_partial_unmap_cuts_the_block_of_spans)
{
	char *p = map(30 * PG, 0);
	memset(p, 5, 30 * PG);
	ck_assert_uint_eq(pmap_unmap(p + 10 * PG, 10 * PG), 10 * PG);
	ck_assert_uint_eq(spans_used(), 20 * PG);
	ck_assert_uint_eq(spans_size(p), 10 * PG);
	ck_assert_uint_eq(spans_size(p + 20 * PG), 10 * PG);
	ck_assert(all_byte(p, 10 * PG, 5) && all_byte(p + 20 * PG, 10 * PG, 5));
	/* the middle is free in spans: a block of its size fits there */
	char *m = spans_alloc(10 * PG);
	ck_assert_ptr_eq(m, p + 10 * PG);
	ck_assert(spans_free(m));
	ck_assert_uint_eq(pmap_unmap(p + 25 * PG, 5 * PG), 5 * PG);
	ck_assert_uint_eq(spans_size(p + 20 * PG), 5 * PG);
	ck_assert_uint_eq(pmap_unmap(p, 30 * PG), 15 * PG);
	ck_assert_uint_eq(spans_used(), 0);
	ck_assert_uint_eq(pmap_served_bytes(), 0);
}
END_TEST

START_TEST(test_pmap_protected_block_of_spans_becomes_pmaps_own)
{
	char *p = map(16 * PG, 0);
	pmap_mark_protected(p + 4 * PG, 4 * PG);
	ck_assert_uint_eq(pmap_unmap(p, 16 * PG), 16 * PG);
	/* its pages wait for the next mapping; spans still counts them as a block */
	ck_assert_uint_eq(pmap_free_bytes(), 16 * PG);
	ck_assert_uint_eq(spans_used(), 16 * PG);
	char *q = map(8 * PG, 0);
	ck_assert_ptr_eq(q, p);
	ck_assert(all_zero(q, 8 * PG));
	ck_assert_uint_eq(pmap_free_bytes(), 8 * PG);
}
END_TEST

START_TEST(test_pmap_does_without_spans_while_its_lock_is_held)
{
	char *p = map(8 * PG, 0);
	ck_assert(spans_owns(p));
	spans_atfork_prepare(); /* spans' lock held, as by a thread a signal handler interrupted */
	char *q = map(8 * PG, 0);
	ck_assert(!spans_owns(q));
	ck_assert_uint_eq(pmap_unmap(p + 2 * PG, 2 * PG), 2 * PG);
	spans_atfork_parent();
	/* the block could not be cut: pmap's own now, its part in the free table */
	ck_assert_uint_eq(spans_used(), 8 * PG);
	ck_assert_uint_eq(pmap_free_bytes(), 2 * PG);
	ck_assert_uint_eq(pmap_unmap(p, 8 * PG), 6 * PG);
	ck_assert_uint_eq(pmap_free_bytes(), 8 * PG);
	ck_assert_uint_eq(spans_used(), 8 * PG);
}
END_TEST

Suite *pmap_suite(void)
{
	Suite *s = suite_create("pmap");
	TCase *tc = tcase_create("map");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pmap_map_returns_zeroed_page_aligned_memory);
	tcase_add_test(tc, test_pmap_map_large_blocks_are_2m_aligned);
	tcase_add_test(tc, test_pmap_map_rejects_zero_length);
	tcase_add_test(tc, test_pmap_map_reports_enomem_when_pool_is_full);
	tcase_add_test(tc, test_pmap_map_reports_enospc_when_block_table_is_full);
	tcase_add_test(tc, test_pmap_owns_only_served_pages);
	tcase_add_test(tc, test_pmap_owns_spans_adjacent_blocks);
	tcase_add_test(tc, test_pmap_whole_and_any_see_block_bounds_and_flags);
	suite_add_tcase(s, tc);

	tc = tcase_create("unmap");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pmap_unmap_whole_block);
	tcase_add_test(tc, test_pmap_unmap_head_keeps_the_rest);
	tcase_add_test(tc, test_pmap_unmap_tail_keeps_the_rest);
	tcase_add_test(tc, test_pmap_unmap_middle_splits_the_block);
	tcase_add_test(tc, test_pmap_unmap_skips_pool_pages_that_are_not_served);
	tcase_add_test(tc, test_pmap_unmap_rounds_length_up_to_pages);
	tcase_add_test(tc, test_pmap_freed_memory_is_reused_and_zero_again);
	tcase_add_test(tc, test_pmap_partially_freed_memory_is_reused_and_zero);
	tcase_add_test(tc, test_pmap_freed_neighbours_merge);
	suite_add_tcase(s, tc);

	tc = tcase_create("spans");
	tcase_add_checked_fixture(tc, setup_spans, teardown);
	tcase_add_test(tc, test_pmap_mapping_is_a_block_of_spans_and_goes_back);
	tcase_add_test(tc, test_pmap_partial_unmap_cuts_the_block_of_spans);
	tcase_add_test(tc, test_pmap_protected_block_of_spans_becomes_pmaps_own);
	tcase_add_test(tc, test_pmap_does_without_spans_while_its_lock_is_held);
	suite_add_tcase(s, tc);

	tc = tcase_create("remap");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pmap_remap_shrinks_in_place);
	tcase_add_test(tc, test_pmap_remap_grows_in_place_into_free_pages);
	tcase_add_test(tc, test_pmap_remap_grows_by_moving_and_keeps_contents);
	tcase_add_test(tc, test_pmap_remap_without_maymove_is_enomem_when_it_cannot_grow);
	tcase_add_test(tc, test_pmap_remap_rejects_fixed_and_dontunmap);
	suite_add_tcase(s, tc);

	tc = tcase_create("advise-protect");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pmap_advise_dontneed_zeroes);
	tcase_add_test(tc, test_pmap_protected_block_is_writable_again_after_reuse);
	tcase_add_test(tc, test_pmap_partly_protected_block_is_writable_again_after_reuse);
	tcase_add_test(tc, test_pmap_advise_dontneed_zeroes_a_read_only_block);
	suite_add_tcase(s, tc);
	return s;
}
