/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_serve: the served-mapping decisions and the guarded step
 * (src/serve.c): which mmaps the pool serves, what the pool's own pages
 * refuse, what the backstop may not do to them, and serve_guarded()'s
 * pass / refuse / record paths.  Each test gets a fresh 16 MiB 4K-page pool
 * and the shim marked ready (the unit runner is not a preloaded shim).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "check_ptfreeze.h"
#include "guard.h"
#include "phase.h"
#include "pmap.h"
#include "serve.h"
#include "shim.h"

#define PG ((size_t)4096)
#define MiB ((size_t)1 << 20)

static void setup(void)
{
	ck_assert_int_eq(config_load((char *[]){NULL}), 0);
	config.faults = false;
	config.log_stderr = false;
	config.report[0] = '\0';
	unit_pool_small(16 * MiB);
	ck_assert_int_eq(pmap_init(64), 0);
	atomic_store(&shim_state, SHIM_READY);
}

static void teardown(void)
{
	atomic_store(&shim_state, SHIM_UNINIT);
	pool_reset_for_tests();
}

/* A call as an entry point enters it: not the shim's own (no return address checked). */
static struct call program_call(enum kind k, uintptr_t a0, uintptr_t a1, uintptr_t a2, uintptr_t a3)
{
	struct call c = {.ev = {.kind = k, .args = {a0, a1, a2, a3, (uintptr_t)-1, 0}, .bytes = a1}};
	serve_enter(&c, NULL);
	return c;
}

/* A page of the pool that no mmap was served from. */
static void *pool_page(void)
{
	void *p = pool_carve(PG, PG);
	ck_assert_ptr_nonnull(p);
	return p;
}

static int acts;
static long act_count(struct call *c)
{
	(void)c;
	acts++;
	return 7;
}

/* A guarded libc-style call whose act counts its calls and returns 7. */
static struct call counted_call(void)
{
	struct call c = program_call(KIND_BRK, 0, 0, 0, 0);
	c.act = act_count;
	acts = 0;
	return c;
}

START_TEST(test_serve_anonymous_mmap_is_served_and_unmapped_by_the_pool)
{
	struct call c = program_call(KIND_MMAP, 0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	ck_assert(!c.quiet);
	ck_assert(serve_mmap(&c));
	void *p = (void *)c.result;
	ck_assert(pool_overlaps(p, 3 * PG));
	ck_assert(pmap_owns(p, 3 * PG));
	struct call u = program_call(KIND_MUNMAP, (uintptr_t)p, 3 * PG, 0, 0);
	ck_assert(serve_munmap(&u));
	ck_assert_int_eq(u.result, 0);
	ck_assert(!pmap_owns(p, PG));
}
END_TEST

START_TEST(test_serve_leaves_file_and_exec_mappings_to_the_kernel)
{
	struct call c = program_call(KIND_MMAP, 0, PG, PROT_READ, MAP_PRIVATE);
	ck_assert(!serve_mmap(&c));
	ck_assert_ptr_nonnull(c.act);
	ck_assert_str_eq(c.ev.detail, "private file mapping");
	c = program_call(KIND_MMAP, 0, PG, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS);
	ck_assert(!serve_mmap(&c));
	ck_assert_str_eq(c.ev.detail, "executable mapping");
}
END_TEST

START_TEST(test_serve_refuses_fixed_mappings_over_the_pool)
{
	unit_quiet_stderr();
	void *base = pool_page();
	struct call c = program_call(KIND_MMAP, (uintptr_t)base, PG, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	ck_assert(serve_mmap(&c));
	ck_assert_int_eq(c.result, -ENOMEM);
	c = program_call(KIND_MMAP, (uintptr_t)base, PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
	ck_assert(serve_mmap(&c));
	ck_assert_int_eq(c.result, -EEXIST);
}
END_TEST

START_TEST(test_serve_refuses_mremap_of_pool_pages_not_served)
{
	unit_quiet_stderr();
	struct call c = program_call(KIND_MREMAP, (uintptr_t)pool_page(), PG, 2 * PG, MREMAP_MAYMOVE);
	ck_assert(serve_mremap(&c));
	ck_assert_int_eq(c.result, -EINVAL);
}
END_TEST

START_TEST(test_serve_harmless_advice_is_quiet)
{
	char buf[64];
	struct call c = program_call(KIND_MADVISE, (uintptr_t)buf, sizeof(buf), MADV_WILLNEED, 0);
	ck_assert(!serve_madvise(&c));
	ck_assert(c.quiet);
	c = program_call(KIND_MADVISE, (uintptr_t)buf, sizeof(buf), MADV_DONTNEED, 0);
	ck_assert(!serve_madvise(&c));
	ck_assert(!c.quiet);
}
END_TEST

START_TEST(test_serve_backstop_may_not_touch_the_pool)
{
	long on_pool[6] = {(long)pool_page(), (long)PG, 0, 0, 0, 0};
	long elsewhere[6] = {4096, (long)PG, 0, 0, 0, 0};
	ck_assert_int_eq(serve_trapped(KIND_MUNMAP, on_pool), -EINVAL);
	ck_assert_int_eq(serve_trapped(KIND_MREMAP, on_pool), -EINVAL);
	ck_assert_int_eq(serve_trapped(KIND_MADVISE, on_pool), -EINVAL);
	ck_assert_int_eq(serve_trapped(KIND_MPROTECT, on_pool), 0);
	ck_assert_int_eq(serve_trapped(KIND_MUNMAP, elsewhere), 0);
}
END_TEST

START_TEST(test_serve_guarded_makes_the_call_unrecorded_before_arming)
{
	config.mode = MODE_STRICT;
	struct call c = counted_call();
	ck_assert_int_eq(serve_guarded(&c), 7);
	ck_assert_int_eq(acts, 1);
	ck_assert(!c.ev.blocked);
	ck_assert_uint_eq(guard_events(), 0);
}
END_TEST

START_TEST(test_serve_guarded_refuses_once_in_strict_mode)
{
	ck_assert_int_eq(phase_arm("manual"), 0);
	config.mode = MODE_STRICT;
	struct call c = counted_call();
	ck_assert_int_eq(serve_guarded(&c), -EPERM);
	ck_assert_int_eq(acts, 0);
	ck_assert(c.ev.blocked);
	ck_assert_int_eq(c.ev.result, -EPERM);
	ck_assert_uint_eq(guard_events_of(KIND_BRK), 1);
}
END_TEST

START_TEST(test_serve_guarded_records_the_result_in_report_mode)
{
	ck_assert_int_eq(phase_arm("manual"), 0);
	config.mode = MODE_REPORT;
	struct call c = counted_call();
	ck_assert_int_eq(serve_guarded(&c), 7);
	ck_assert_int_eq(acts, 1);
	ck_assert(!c.ev.blocked);
	ck_assert_int_eq(c.ev.result, 7);
	ck_assert_uint_eq(guard_events_of(KIND_BRK), 1);
	/* The shim's own call (quiet) is made and never recorded. */
	c = counted_call();
	c.quiet = true;
	ck_assert_int_eq(serve_guarded(&c), 7);
	ck_assert_uint_eq(guard_events_of(KIND_BRK), 1);
}
END_TEST

Suite *serve_suite(void)
{
	Suite *s = suite_create("serve");
	TCase *tc = tcase_create("decisions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_serve_anonymous_mmap_is_served_and_unmapped_by_the_pool);
	tcase_add_test(tc, test_serve_leaves_file_and_exec_mappings_to_the_kernel);
	tcase_add_test(tc, test_serve_refuses_fixed_mappings_over_the_pool);
	tcase_add_test(tc, test_serve_refuses_mremap_of_pool_pages_not_served);
	tcase_add_test(tc, test_serve_harmless_advice_is_quiet);
	tcase_add_test(tc, test_serve_backstop_may_not_touch_the_pool);
	suite_add_tcase(s, tc);

	tc = tcase_create("guarded");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_serve_guarded_makes_the_call_unrecorded_before_arming);
	tcase_add_test(tc, test_serve_guarded_refuses_once_in_strict_mode);
	tcase_add_test(tc, test_serve_guarded_records_the_result_in_report_mode);
	suite_add_tcase(s, tc);
	return s;
}
