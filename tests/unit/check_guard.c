/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_guard: the policy for page-table changes (src/guard.c): which
 * madvise advice is guarded, kind names, the verdict by mode and phase,
 * recording into sites, and pool exhaustion before and after arming.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "capture.h"
#include "check_ptfreeze.h"
#include "guard.h"
#include "phase.h"
#include "shim.h"
#include "sys.h"

#define MiB ((size_t)1 << 20)

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

static void setup(void)
{
	ck_assert_int_eq(config_load((char *[]){NULL}), 0);
	/* Arming here must not sample page faults (their own suite: check_faults): they would add events. */
	config.faults = false;
	config.log_stderr = false;
	config.report[0] = '\0';
}

static void teardown(void) { pool_reset_for_tests(); }

static int due_calls;
static void count_due(void) { due_calls++; }

/* "Armed?" is a pure query; a delay that fell due goes to phase's hook, which alone may arm. */
START_TEST(test_guard_due_delay_goes_to_the_hook_and_asking_never_arms)
{
	atomic_store(&shim_arm_deadline, sys_now_ns() - 1);
	ck_assert(shim_arm_due());
	ck_assert(!shim_armed());
	ck_assert(!guard_armed()); /* no hook installed: nothing arms */
	ck_assert(!shim_armed());
	guard_set_due_hook(count_due);
	ck_assert(!guard_armed()); /* the hook did not arm */
	ck_assert_int_eq(due_calls, 1);
	ck_assert_int_eq(guard_verdict(KIND_MMAP), VERDICT_PASS);
	ck_assert_int_eq(due_calls, 2);
	atomic_store(&shim_arm_deadline, 0);
	ck_assert(!guard_armed());
	ck_assert_int_eq(due_calls, 2); /* nothing due: the hook is not called */
	ck_assert_int_eq(phase_arm("manual"), 0);
	atomic_store(&shim_arm_deadline, sys_now_ns() - 1);
	ck_assert(guard_armed());
	ck_assert_int_eq(due_calls, 2); /* armed: nothing to notice */
}
END_TEST

START_TEST(test_guard_harmless_advice_is_not_guarded)
{
	static const int harmless[] = {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTDUMP, MADV_DODUMP};
	for (size_t i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++) {
		ck_assert_msg(!guard_advice_is_guarded(harmless[i]), "advice %d guarded", harmless[i]);
	}
}
END_TEST

START_TEST(test_guard_page_table_advice_is_guarded)
{
	static const int guarded[] = {MADV_DONTNEED,    MADV_FREE,       MADV_REMOVE,    MADV_HUGEPAGE,
				      MADV_NOHUGEPAGE,  MADV_DONTFORK,   MADV_DOFORK,    MADV_MERGEABLE,
				      MADV_UNMERGEABLE, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD,
				      MADV_PAGEOUT,     MADV_POPULATE_WRITE, MADV_COLLAPSE, MADV_HWPOISON,
				      12345};
	for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++) {
		ck_assert_msg(guard_advice_is_guarded(guarded[i]), "advice %d not guarded", guarded[i]);
	}
}
END_TEST

START_TEST(test_guard_guarded_advice_has_a_name)
{
	static const int named[] = {MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
				    MADV_DONTFORK, MADV_MERGEABLE, MADV_COLD, MADV_PAGEOUT, MADV_COLLAPSE};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		const char *n = guard_advice_name(named[i]);
		ck_assert_ptr_nonnull(n);
		ck_assert_msg(strncmp(n, "MADV_", 5) == 0, "advice %d is '%s'", named[i], n);
	}
	ck_assert_str_eq(guard_advice_name(MADV_DONTNEED), "MADV_DONTNEED");
	ck_assert_str_eq(guard_advice_name(12345), "unknown advice");
}
END_TEST

START_TEST(test_guard_every_kind_has_a_distinct_name)
{
	for (int k = 0; k < KIND_COUNT; k++) {
		const char *n = guard_kind_name((enum kind)k);
		ck_assert_msg(n != NULL && n[0] != '\0', "kind %d has no name", k);
		ck_assert_msg(strcmp(n, "unknown") != 0, "kind %d is unnamed", k);
		for (int j = 0; j < k; j++) {
			ck_assert_msg(strcmp(n, guard_kind_name((enum kind)j)) != 0, "kinds %d and %d are both '%s'", j, k, n);
		}
		/* Names go into JSON unescaped: keep them plain. */
		for (const char *c = n; *c; c++) {
			ck_assert_msg((*c >= 'a' && *c <= 'z') || *c == '-' || *c == '_', "kind %d: '%s'", k, n);
		}
	}
	ck_assert_str_eq(guard_kind_name(KIND_COUNT), "unknown");
	ck_assert_str_eq(guard_kind_name(KIND_MMAP), "mmap");
}
END_TEST

START_TEST(test_guard_verdict_passes_before_arming)
{
	config.mode = MODE_STRICT;
	ck_assert_int_eq(guard_verdict(KIND_MMAP), VERDICT_PASS);
	config.mode = MODE_REPORT;
	ck_assert_int_eq(guard_verdict(KIND_MUNMAP), VERDICT_PASS);
}
END_TEST

START_TEST(test_guard_verdict_follows_mode_after_arming)
{
	ck_assert_int_eq(phase_arm("manual"), 0);
	config.mode = MODE_OFF;
	ck_assert_int_eq(guard_verdict(KIND_MMAP), VERDICT_PASS);
	config.mode = MODE_REPORT;
	ck_assert_int_eq(guard_verdict(KIND_MMAP), VERDICT_RECORD);
	config.mode = MODE_STRICT;
	ck_assert_int_eq(guard_verdict(KIND_MPROTECT), VERDICT_BLOCK);
	config.mode = MODE_WOULD_BLOCK; /* the call goes ahead; the record says strict would refuse it */
	ck_assert_int_eq(guard_verdict(KIND_MPROTECT), VERDICT_RECORD);
	ck_assert_int_eq(phase_disarm(), 0);
	ck_assert_int_eq(guard_verdict(KIND_MPROTECT), VERDICT_PASS);
}
END_TEST

static __attribute__((noinline)) void record_once(struct event *ev) { guard_record(ev); }

START_TEST(test_guard_record_counts_events_into_one_site)
{
	unit_pool_small(8 * MiB);
	int r = capture_init(64, 16);
	ck_assert(r == 0 || r == -ENOENT);
	uint64_t before = guard_events();
	for (int i = 0; i < 3; i++) { /* one call site, so one stack */
		struct event ev = {.kind = KIND_MPROTECT, .args = {0x1000, 4096, PROT_READ}, .bytes = 4096,
				   .blocked = i == 2};
		errno = 4321;
		record_once(&ev);
		ck_assert_int_eq(errno, 4321);
	}
	ck_assert_uint_eq(guard_events(), before + 3);
	ck_assert_uint_eq(guard_events_of(KIND_MPROTECT), 3);
	ck_assert_uint_eq(guard_events_of(KIND_MMAP), 0);
	ck_assert_uint_eq(guard_events_of(KIND_COUNT), 0);
	const struct site *only = NULL;
	size_t n = 0;
	for (size_t i = 0; i < capture_capacity(); i++) {
		const struct site *s = capture_site_at(i);
		if (s) {
			only = s;
			n++;
		}
	}
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(only->kind, KIND_MPROTECT);
	ck_assert_uint_eq(atomic_load(&only->count), 3);
	ck_assert_uint_eq(atomic_load(&only->blocked), 1);
	ck_assert_uint_eq(atomic_load(&only->bytes), 3 * 4096);
}
END_TEST

START_TEST(test_guard_pool_exhausted_grows_before_arming)
{
	unit_pool_small(2 * MiB);
	config.pool_grow = 2 * MiB;
	size_t before = pool_size();
	ck_assert(guard_pool_exhausted(3 * MiB, "test"));
	ck_assert_uint_ge(pool_size(), before + 3 * MiB);
	ck_assert_uint_eq(guard_events(), 0);
}
END_TEST

START_TEST(test_guard_pool_exhausted_with_growth_off_refuses)
{
	unit_pool_small(2 * MiB);
	config.pool_grow = 0;
	size_t before = pool_size();
	ck_assert(!guard_pool_exhausted(4096, "test"));
	ck_assert_uint_eq(pool_size(), before);
}
END_TEST

START_TEST(test_guard_pool_exhausted_in_strict_mode_after_arming_refuses_and_records)
{
	unit_pool_small(2 * MiB);
	int r = capture_init(16, 8);
	ck_assert(r == 0 || r == -ENOENT);
	config.pool_grow = 2 * MiB;
	config.mode = MODE_STRICT;
	config.strict_action = STRICT_ERRNO;
	ck_assert_int_eq(phase_arm("manual"), 0);
	size_t before = pool_size();
	ck_assert(!guard_pool_exhausted(4096, "test"));
	ck_assert_uint_eq(pool_size(), before);
	ck_assert_uint_eq(guard_events(), 1);
}
END_TEST

START_TEST(test_guard_pool_exhausted_in_report_mode_after_arming_grows_and_records)
{
	unit_pool_small(2 * MiB);
	int r = capture_init(16, 8);
	ck_assert(r == 0 || r == -ENOENT);
	config.pool_grow = 2 * MiB;
	config.mode = MODE_REPORT;
	ck_assert_int_eq(phase_arm("manual"), 0);
	size_t before = pool_size();
	ck_assert(guard_pool_exhausted(4096, "test"));
	ck_assert_uint_gt(pool_size(), before);
	ck_assert(!pool.regions[atomic_load(&pool.nregions) - 1].at_startup);
	ck_assert_uint_eq(guard_events(), 1);
}
END_TEST

Suite *guard_suite(void)
{
	Suite *s = suite_create("guard");
	TCase *tc = tcase_create("classify");
	tcase_add_test(tc, test_guard_harmless_advice_is_not_guarded);
	tcase_add_test(tc, test_guard_page_table_advice_is_guarded);
	tcase_add_test(tc, test_guard_guarded_advice_has_a_name);
	tcase_add_test(tc, test_guard_every_kind_has_a_distinct_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("verdict");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_guard_verdict_passes_before_arming);
	tcase_add_test(tc, test_guard_due_delay_goes_to_the_hook_and_asking_never_arms);
	tcase_add_test(tc, test_guard_verdict_follows_mode_after_arming);
	tcase_add_test(tc, test_guard_record_counts_events_into_one_site);
	tcase_add_test(tc, test_guard_pool_exhausted_grows_before_arming);
	tcase_add_test(tc, test_guard_pool_exhausted_with_growth_off_refuses);
	tcase_add_test(tc, test_guard_pool_exhausted_in_strict_mode_after_arming_refuses_and_records);
	tcase_add_test(tc, test_guard_pool_exhausted_in_report_mode_after_arming_grows_and_records);
	suite_add_tcase(s, tc);
	return s;
}
