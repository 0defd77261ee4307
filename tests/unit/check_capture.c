/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_capture: the violation-site table and stack capture
 * (src/capture.c): one site per (kind, stack), the table filling up,
 * concurrent first sightings, and libunwind stacks where it loads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "autoconf.h"
#include "capture.h"
#include "check_ptfreeze.h"
#include "guard.h"

#define MiB ((size_t)1 << 20)

static void setup(void) { unit_pool_small(8 * MiB); }
static void teardown(void) { pool_reset_for_tests(); }

/* capture_init; a missing libunwind only costs stacks, not the table. */
static void init(int max_sites, int depth)
{
	int r = capture_init(max_sites, depth);
	ck_assert_msg(r == 0 || r == -ENOENT, "capture_init = %d", r);
	ck_assert_uint_ge(capture_capacity(), (size_t)max_sites);
	ck_assert_int_eq(capture_depth(), depth);
}

static void key(uintptr_t *ips, int n, unsigned k)
{
	for (int i = 0; i < n; i++) {
		ips[i] = 0x400000u + (uintptr_t)k * 0x1000u + (uintptr_t)i * 8u;
	}
}

START_TEST(test_capture_init_needs_a_pool)
{
	pool_reset_for_tests();
	ck_assert_int_eq(capture_init(16, 8), -ENOMEM);
	uintptr_t ips[2] = {1, 2};
	bool is_new = true;
	ck_assert_ptr_null(capture_site(KIND_MMAP, ips, 2, &is_new));
	ck_assert(!is_new);
}
END_TEST

START_TEST(test_capture_site_same_kind_and_stack_is_one_site)
{
	init(16, 8);
	uintptr_t ips[4];
	key(ips, 4, 1);
	bool is_new = false;
	struct site *a = capture_site(KIND_MMAP, ips, 4, &is_new);
	ck_assert_ptr_nonnull(a);
	ck_assert(is_new);
	ck_assert_uint_eq(a->id, 1);
	ck_assert_uint_eq(a->kind, KIND_MMAP);
	ck_assert_uint_eq(a->depth, 4);
	ck_assert_mem_eq(a->ips, ips, sizeof(ips));
	ck_assert_uint_eq(atomic_load(&a->count), 0);

	uintptr_t copy[4];
	memcpy(copy, ips, sizeof(ips));
	struct site *b = capture_site(KIND_MMAP, copy, 4, &is_new);
	ck_assert_ptr_eq(b, a);
	ck_assert(!is_new);
	ck_assert_uint_eq(capture_dropped(), 0);
}
END_TEST

START_TEST(test_capture_site_differs_by_kind_and_by_stack)
{
	init(16, 8);
	uintptr_t ips[4], other[4];
	key(ips, 4, 1);
	key(other, 4, 1);
	other[3]++;
	bool is_new = false;
	struct site *a = capture_site(KIND_MMAP, ips, 4, &is_new);
	struct site *b = capture_site(KIND_MUNMAP, ips, 4, &is_new);
	ck_assert(is_new);
	struct site *c = capture_site(KIND_MMAP, other, 4, &is_new);
	ck_assert(is_new);
	struct site *d = capture_site(KIND_MMAP, ips, 3, &is_new); /* a prefix is another stack */
	ck_assert(is_new);
	struct site *e = capture_site(KIND_MMAP, ips, 0, &is_new); /* no stack at all */
	ck_assert(is_new);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_ne(a, b);
	ck_assert_ptr_ne(a, c);
	ck_assert_ptr_ne(a, d);
	ck_assert_ptr_ne(a, e);
	ck_assert_ptr_ne(b, c);
	ck_assert_uint_eq(b->kind, KIND_MUNMAP);
	ck_assert_uint_eq(e->depth, 0);
	ck_assert_ptr_eq(capture_site(KIND_MMAP, ips, 0, &is_new), e);
	ck_assert(!is_new);
}
END_TEST

START_TEST(test_capture_site_keeps_only_configured_depth)
{
	init(16, 4);
	uintptr_t a[10], b[10];
	key(a, 10, 5);
	key(b, 10, 5);
	b[7] = 0xdead; /* differs only beyond the depth kept */
	bool is_new = false;
	struct site *s = capture_site(KIND_MADVISE, a, 10, &is_new);
	ck_assert(is_new);
	ck_assert_uint_eq(s->depth, 4);
	ck_assert_ptr_eq(capture_site(KIND_MADVISE, b, 10, &is_new), s);
	ck_assert(!is_new);
}
END_TEST

START_TEST(test_capture_site_table_full_returns_null_and_counts_drops)
{
	init(16, 4);
	uintptr_t ips[4];
	bool is_new = false;
	struct site *first = NULL;
	for (unsigned k = 0; k < 16; k++) {
		key(ips, 4, k);
		struct site *s = capture_site(KIND_MMAP, ips, 4, &is_new);
		ck_assert_msg(s != NULL && is_new, "site %u", k);
		ck_assert_uint_eq(s->id, k + 1);
		if (k == 0) {
			first = s;
		}
	}
	key(ips, 4, 100);
	ck_assert_ptr_null(capture_site(KIND_MMAP, ips, 4, &is_new));
	ck_assert(!is_new);
	ck_assert_uint_eq(capture_dropped(), 1);
	ck_assert_ptr_null(capture_site(KIND_BRK, ips, 4, &is_new));
	ck_assert_uint_eq(capture_dropped(), 2);
	/* Sites already known are still found. */
	key(ips, 4, 0);
	ck_assert_ptr_eq(capture_site(KIND_MMAP, ips, 4, &is_new), first);
	ck_assert(!is_new);
	ck_assert_uint_eq(capture_dropped(), 2);
}
END_TEST

START_TEST(test_capture_site_at_iterates_every_site_once)
{
	init(32, 4);
	uintptr_t ips[4];
	bool is_new;
	for (unsigned k = 0; k < 20; k++) {
		key(ips, 4, k);
		capture_site(k % 2 ? KIND_MMAP : KIND_MPROTECT, ips, 4, &is_new);
	}
	bool seen[21] = {false};
	size_t n = 0;
	for (size_t i = 0; i < capture_capacity(); i++) {
		const struct site *s = capture_site_at(i);
		if (s) {
			ck_assert_uint_ge(s->id, 1);
			ck_assert_uint_le(s->id, 20);
			ck_assert(!seen[s->id]);
			seen[s->id] = true;
			n++;
		}
	}
	ck_assert_uint_eq(n, 20);
	ck_assert_ptr_null(capture_site_at(capture_capacity()));
}
END_TEST

START_TEST(test_capture_reset_forgets_every_site)
{
	init(16, 4);
	uintptr_t ips[4];
	bool is_new;
	for (unsigned k = 0; k < 17; k++) {
		key(ips, 4, k);
		capture_site(KIND_MMAP, ips, 4, &is_new);
	}
	ck_assert_uint_eq(capture_dropped(), 1);
	capture_reset();
	ck_assert_uint_eq(capture_dropped(), 0);
	for (size_t i = 0; i < capture_capacity(); i++) {
		ck_assert_ptr_null(capture_site_at(i));
	}
	key(ips, 4, 3);
	struct site *s = capture_site(KIND_MMAP, ips, 4, &is_new);
	ck_assert(is_new);
	ck_assert_uint_eq(s->id, 1);
	ck_assert_uint_eq(atomic_load(&s->count), 0);
}
END_TEST

#define NKEYS 300
#define NTHREADS 4

struct inserter {
	struct site *got[NKEYS];
	int fresh;
	unsigned seed;
	pthread_barrier_t *start;
};

static void *insert_all(void *arg)
{
	struct inserter *in = arg;
	unsigned order[NKEYS];
	for (unsigned i = 0; i < NKEYS; i++) {
		order[i] = i;
	}
	for (unsigned i = NKEYS - 1; i > 0; i--) { /* each thread its own order */
		unsigned j = (unsigned)rand_r(&in->seed) % (i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	pthread_barrier_wait(in->start);
	for (unsigned i = 0; i < NKEYS; i++) {
		uintptr_t ips[6];
		bool is_new = false;
		key(ips, 6, order[i]);
		in->got[order[i]] = capture_site(KIND_MMAP + order[i] % 3, ips, 6, &is_new);
		if (is_new) {
			in->fresh++;
		}
	}
	return NULL;
}

START_TEST(test_capture_concurrent_inserts_make_one_site_per_key)
{
	init(1024, 8);
	static struct inserter in[NTHREADS];
	pthread_t t[NTHREADS];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		in[i].seed = (unsigned)i * 7919u + 1;
		in[i].start = &start;
		ck_assert_int_eq(pthread_create(&t[i], NULL, insert_all, &in[i]), 0);
	}
	int fresh = 0;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		fresh += in[i].fresh;
	}
	pthread_barrier_destroy(&start);
	ck_assert_int_eq(fresh, NKEYS);
	static bool id_seen[NKEYS + 1];
	for (unsigned k = 0; k < NKEYS; k++) {
		struct site *s = in[0].got[k];
		ck_assert_ptr_nonnull(s);
		for (int i = 1; i < NTHREADS; i++) {
			ck_assert_msg(in[i].got[k] == s, "key %u: thread %d got another site", k, i);
		}
		ck_assert_uint_ge(s->id, 1);
		ck_assert_uint_le(s->id, NKEYS);
		ck_assert_msg(!id_seen[s->id], "id %u given twice", s->id);
		id_seen[s->id] = true;
		uintptr_t ips[6];
		key(ips, 6, k);
		ck_assert_mem_eq(s->ips, ips, sizeof(ips));
		ck_assert_uint_eq(s->kind, KIND_MMAP + k % 3);
	}
	size_t n = 0;
	for (size_t i = 0; i < capture_capacity(); i++) {
		n += capture_site_at(i) != NULL;
	}
	ck_assert_uint_eq(n, NKEYS);
	ck_assert_uint_eq(capture_dropped(), 0);
}
END_TEST

/* Not inlined, so that its caller's return address is a frame to look for. */
static __attribute__((noinline)) int stack_here(uintptr_t *ips, int max, uintptr_t *ret)
{
	*ret = (uintptr_t)__builtin_return_address(0);
	int n = capture_stack(ips, max);
	__asm__ volatile("" ::: "memory"); /* no tail call */
	return n;
}

START_TEST(test_capture_stack_returns_frames_when_libunwind_loads)
{
	init(16, 32);
	if (!capture_has_unwinder()) {
		unit_note("%s could not be loaded: stack capture not checked", LIBUNWIND_SONAME);
		return;
	}
	uintptr_t ips[32], ret = 0;
	int n = stack_here(ips, 32, &ret);
	ck_assert_int_gt(n, 0);
	ck_assert_int_le(n, 32);
	bool found = false;
	for (int i = 0; i < n; i++) {
		ck_assert_uint_ne(ips[i], 0);
		found |= ips[i] == ret;
	}
	ck_assert_msg(found, "the caller's return address %#lx is not in the %d frames", (unsigned long)ret, n);
	ck_assert_int_le(stack_here(ips, 2, &ret), 2);
}
END_TEST

START_TEST(test_capture_stack_skips_leading_internal_frames)
{
	init(16, 32);
	if (!capture_has_unwinder()) {
		unit_note("%s could not be loaded: frame skipping not checked", LIBUNWIND_SONAME);
		return;
	}
	uintptr_t first[32], second[32], ret;
	int n1 = stack_here(first, 32, &ret);
	ck_assert_int_ge(n1, 2);
	/* first[0] is in capture_stack itself: call that code internal. */
	capture_skip_range(first[0], first[0] + 1);
	int n2 = stack_here(second, 32, &ret);
	ck_assert_int_eq(n2, n1 - 1);
	ck_assert_uint_eq(second[0], first[1]);
}
END_TEST

START_TEST(test_capture_is_internal_follows_skip_ranges)
{
	ck_assert(!capture_is_internal(0x1000));
	capture_skip_range(0x1000, 0x2000);
	capture_skip_range(0x5000, 0x6000);
	ck_assert(capture_is_internal(0x1000));
	ck_assert(capture_is_internal(0x1fff));
	ck_assert(!capture_is_internal(0x2000));
	ck_assert(!capture_is_internal(0xfff));
	ck_assert(capture_is_internal(0x5800));
	ck_assert(!capture_is_internal(0x4000));
}
END_TEST

#if defined(__x86_64__)
/*
 * Three functions whose unwind information says where their return
 * address is at a labelled instruction: a leaf before any push (at sp), one
 * that pushed a register (sp + 8), one that has set up its frame pointer
 * (through rbp, which a frame-pointer walk already follows).
 */
__asm__(".text\n"
	".globl ra_leaf\n.hidden ra_leaf\n.type ra_leaf,@function\n"
	"ra_leaf:\n.cfi_startproc\n\tnop\n\tret\n.cfi_endproc\n.size ra_leaf,.-ra_leaf\n"
	".globl ra_pushed\n.hidden ra_pushed\n.globl ra_pushed_body\n.hidden ra_pushed_body\n"
	".type ra_pushed,@function\n"
	"ra_pushed:\n.cfi_startproc\n\tpush %rbx\n.cfi_adjust_cfa_offset 8\n.cfi_rel_offset rbx,0\n"
	"ra_pushed_body:\n\tnop\n\tpop %rbx\n.cfi_adjust_cfa_offset -8\n\tret\n.cfi_endproc\n"
	".size ra_pushed,.-ra_pushed\n"
	".globl ra_framed\n.hidden ra_framed\n.globl ra_framed_body\n.hidden ra_framed_body\n"
	".type ra_framed,@function\n"
	"ra_framed:\n.cfi_startproc\n\tpush %rbp\n.cfi_def_cfa_offset 16\n.cfi_offset rbp,-16\n"
	"\tmov %rsp,%rbp\n.cfi_def_cfa_register rbp\n"
	"ra_framed_body:\n\tnop\n\tpop %rbp\n.cfi_def_cfa rsp,8\n\tret\n.cfi_endproc\n"
	".size ra_framed,.-ra_framed\n");
extern const char ra_leaf[], ra_pushed_body[], ra_framed_body[];

START_TEST(test_capture_ra_offset_follows_the_unwind_information)
{
	init(16, 8);
	if (!capture_has_unwinder()) {
		ck_assert_int_eq(capture_ra_offset((uintptr_t)ra_leaf, 128), -2);
		return;
	}
	ck_assert_int_eq(capture_ra_offset((uintptr_t)ra_leaf, 128), 0);
	ck_assert_int_eq(capture_ra_offset((uintptr_t)ra_pushed_body, 128), 8);
	ck_assert_int_eq(capture_ra_offset((uintptr_t)ra_framed_body, 128), -1);
	/* Farther than the copy: unknown. */
	ck_assert_int_eq(capture_ra_offset((uintptr_t)ra_pushed_body, 8), -2);
}
END_TEST
#endif

Suite *capture_suite(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("sites");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_capture_init_needs_a_pool);
	tcase_add_test(tc, test_capture_site_same_kind_and_stack_is_one_site);
	tcase_add_test(tc, test_capture_site_differs_by_kind_and_by_stack);
	tcase_add_test(tc, test_capture_site_keeps_only_configured_depth);
	tcase_add_test(tc, test_capture_site_table_full_returns_null_and_counts_drops);
	tcase_add_test(tc, test_capture_site_at_iterates_every_site_once);
	tcase_add_test(tc, test_capture_reset_forgets_every_site);
	tcase_add_test(tc, test_capture_concurrent_inserts_make_one_site_per_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("stacks");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_capture_stack_returns_frames_when_libunwind_loads);
	tcase_add_test(tc, test_capture_stack_skips_leading_internal_frames);
	tcase_add_test(tc, test_capture_is_internal_follows_skip_ranges);
#if defined(__x86_64__)
	tcase_add_test(tc, test_capture_ra_offset_follows_the_unwind_information);
#endif
	suite_add_tcase(s, tc);
	return s;
}
