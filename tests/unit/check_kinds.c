/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_kinds: the tables of src/kinds.inc read through src/kinds.c: which
 * madvise advice is guarded, kind, advice, flag and backing names, and the
 * kinds' attributes (refusable, shootdowns, the backstop's system calls).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "check_ptfreeze.h"
#include "kinds.h"
#include "sys.h" /* MADV_POPULATE_WRITE where libc lacks it */

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

START_TEST(test_kinds_harmless_advice_is_not_guarded)
{
	static const int harmless[] = {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTDUMP, MADV_DODUMP};
	for (size_t i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++) {
		ck_assert_msg(!kinds_advice_guarded(harmless[i]), "advice %d guarded", harmless[i]);
	}
}
END_TEST

START_TEST(test_kinds_page_table_advice_is_guarded)
{
	static const int guarded[] = {MADV_DONTNEED,    MADV_FREE,       MADV_REMOVE,    MADV_HUGEPAGE,
				      MADV_NOHUGEPAGE,  MADV_DONTFORK,   MADV_DOFORK,    MADV_MERGEABLE,
				      MADV_UNMERGEABLE, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD,
				      MADV_PAGEOUT,     MADV_POPULATE_WRITE, MADV_COLLAPSE, MADV_HWPOISON,
				      12345};
	for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++) {
		ck_assert_msg(kinds_advice_guarded(guarded[i]), "advice %d not guarded", guarded[i]);
	}
}
END_TEST

START_TEST(test_kinds_guarded_advice_has_a_name)
{
	static const int named[] = {MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
				    MADV_DONTFORK, MADV_MERGEABLE, MADV_COLD, MADV_PAGEOUT, MADV_COLLAPSE};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		const char *n = kinds_advice_name(named[i], NULL);
		ck_assert_ptr_nonnull(n);
		ck_assert_msg(strncmp(n, "MADV_", 5) == 0, "advice %d is '%s'", named[i], n);
	}
	ck_assert_str_eq(kinds_advice_name(MADV_DONTNEED, NULL), "MADV_DONTNEED");
	ck_assert_str_eq(kinds_advice_name(12345, "unknown advice"), "unknown advice");
}
END_TEST

START_TEST(test_kinds_every_kind_has_a_distinct_name)
{
	for (int k = 0; k < KIND_COUNT; k++) {
		const char *n = kinds_name((enum kind)k);
		ck_assert_msg(n != NULL && n[0] != '\0', "kind %d has no name", k);
		ck_assert_msg(strcmp(n, "unknown") != 0, "kind %d is unnamed", k);
		for (int j = 0; j < k; j++) {
			ck_assert_msg(strcmp(n, kinds_name((enum kind)j)) != 0, "kinds %d and %d are both '%s'", j, k, n);
		}
		/* Names go into JSON unescaped: keep them plain. */
		for (const char *c = n; *c; c++) {
			ck_assert_msg((*c >= 'a' && *c <= 'z') || *c == '-' || *c == '_', "kind %d: '%s'", k, n);
		}
	}
	ck_assert_str_eq(kinds_name(KIND_COUNT), "unknown");
	ck_assert_str_eq(kinds_name(KIND_MMAP), "mmap");
}
END_TEST

START_TEST(test_kinds_by_name_inverts_kinds_name)
{
	for (int k = 0; k < KIND_COUNT; k++) {
		const char *n = kinds_name((enum kind)k);
		ck_assert_int_eq(kinds_by_name(n, strlen(n)), k);
	}
	ck_assert_int_eq(kinds_by_name("mmapx", 4), KIND_MMAP);
	ck_assert_int_eq(kinds_by_name("mma", 3), -1);
	ck_assert_int_eq(kinds_by_name("*", 1), -1);
}
END_TEST

START_TEST(test_kinds_attributes)
{
	/* Only what is recorded but never refused is not refusable. */
	for (int k = 0; k < KIND_COUNT; k++) {
		ck_assert_int_eq(kinds_refusable((enum kind)k), k != KIND_WRITEBACK_HAZARD && k != KIND_PAGE_FAULT);
	}
	ck_assert_int_eq(kinds_refuse_errno(KIND_MUNMAP), EPERM);
	ck_assert_int_eq(kinds_refuse_errno(KIND_POOL_EXHAUSTED), ENOMEM);
	ck_assert(kinds_shoots_down(KIND_MUNMAP) && kinds_shoots_down(KIND_FORK) && kinds_shoots_down(KIND_DLCLOSE));
	ck_assert(!kinds_shoots_down(KIND_MMAP) && !kinds_shoots_down(KIND_PAGE_FAULT) && !kinds_shoots_down(KIND_COUNT));
	ck_assert_int_eq(kinds_of_syscall(SYS_munmap), KIND_MUNMAP);
	ck_assert_int_eq(kinds_of_syscall(SYS_clone), KIND_FORK);
	ck_assert_int_eq(kinds_of_syscall(SYS_read), -1);
	ck_assert_int_eq(kinds_of_syscall(-1), -1);
	ck_assert_int_eq(kinds_syscall(KIND_SBRK), -1);
	ck_assert_str_eq(kinds_args(KIND_MREMAP)[0], "old_addr");
	ck_assert_ptr_null(kinds_args(KIND_FORK)[0]);
	ck_assert_ptr_null(kinds_args(KIND_COUNT)[0]);
	ck_assert(kinds_result_is_address(KIND_SHMAT) && !kinds_result_is_address(KIND_MUNMAP));
	ck_assert_int_eq(kinds_flagset(KIND_WRITEBACK_HAZARD), KINDS_FLAGS_MAP);
	ck_assert_int_eq(kinds_flagset(KIND_MREMAP), KINDS_FLAGS_MREMAP);
}
END_TEST

START_TEST(test_kinds_flag_and_backing_names)
{
	size_t n;
	const struct kinds_bit *b = kinds_prot_names(&n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(b[1].name, "WRITE");
	b = kinds_flag_names(KINDS_FLAGS_MAP, &n);
	ck_assert_uint_ge(n, 9);
	ck_assert_uint_eq(b[3].bit, MAP_ANONYMOUS);
	ck_assert_ptr_null(kinds_flag_names(KINDS_FLAGS_NONE, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(kinds_advice_name(MADV_NORMAL, NULL), "MADV_NORMAL");
	ck_assert_ptr_null(kinds_advice_name(12345, NULL));
	ck_assert_str_eq(kinds_backing_name(BACKING_HUGETLB_2M), "hugetlb-2m");
	ck_assert_str_eq(kinds_backing_asked(BACKING_4K), "none");
}
END_TEST

Suite *kinds_suite(void)
{
	Suite *s = suite_create("kinds");
	TCase *tc = tcase_create("tables");
	tcase_add_test(tc, test_kinds_harmless_advice_is_not_guarded);
	tcase_add_test(tc, test_kinds_page_table_advice_is_guarded);
	tcase_add_test(tc, test_kinds_guarded_advice_has_a_name);
	tcase_add_test(tc, test_kinds_every_kind_has_a_distinct_name);
	tcase_add_test(tc, test_kinds_by_name_inverts_kinds_name);
	tcase_add_test(tc, test_kinds_attributes);
	tcase_add_test(tc, test_kinds_flag_and_backing_names);
	suite_add_tcase(s, tc);
	return s;
}
