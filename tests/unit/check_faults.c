/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_faults: the address classifier of src/faults.c against this test
 * process's real mappings (pool, .bss, code, the main stack and where it
 * grows, a thread's stack, the brk heap, anonymous and file mappings, the
 * vdso, nothing), and the snapshot's being a snapshot.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check_ptfreeze.h"
#include "faults.h"

#define MiB ((size_t)1 << 20)

/* Big enough that its middle is past the file-backed part of the data segment. */
static char cold_bss[4 * MiB];

static void setup(void) { unit_pool_small(4 * MiB); }
static void teardown(void) { pool_reset_for_tests(); }

static enum fault_class classify(const void *p, const char **path)
{
	return faults_classify((uintptr_t)p, (uintptr_t)__builtin_frame_address(0), path);
}

static void snapshot(void) { ck_assert_int_eq(faults_snapshot(), 0); }

static bool same_file(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	return a && b && realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

__attribute__((noinline)) static int some_code(int x) { return x * 3 + 1; }

START_TEST(test_faults_class_names_are_the_reports)
{
	ck_assert_str_eq(faults_class_name(FAULT_POOL), "pool");
	ck_assert_str_eq(faults_class_name(FAULT_BSS), "bss");
	ck_assert_str_eq(faults_class_name(FAULT_THREAD_STACK), "thread-stack");
	ck_assert_str_eq(faults_class_name(FAULT_MAIN_STACK), "main-stack");
	ck_assert_str_eq(faults_class_name(FAULT_BRK_HEAP), "brk-heap");
	ck_assert_str_eq(faults_class_name(FAULT_POOL_COW), "pool-cow");
	ck_assert_str_eq(faults_class_name(FAULT_CLASS_COUNT), "unknown");
}
END_TEST

START_TEST(test_faults_pool_memory_is_pool)
{
	snapshot();
	void *p = pool_carve(4096, 4096);
	ck_assert_ptr_nonnull(p);
	const char *path;
	ck_assert_int_eq(classify(p, &path), FAULT_POOL);
	ck_assert_ptr_null(path);
}
END_TEST

START_TEST(test_faults_static_array_is_bss_of_the_binary)
{
	snapshot();
	const char *path;
	ck_assert_int_eq(classify(cold_bss + 2 * MiB, &path), FAULT_BSS);
	ck_assert_msg(same_file(path, "/proc/self/exe"), "bss of %s", path ? path : "(null)");
}
END_TEST

START_TEST(test_faults_function_is_code_of_the_binary)
{
	snapshot();
	const char *path;
	ck_assert_int_eq(classify((const void *)(uintptr_t)some_code, &path), FAULT_CODE);
	ck_assert(same_file(path, "/proc/self/exe"));
	ck_assert_int_eq(some_code(1), 4);
}
END_TEST

START_TEST(test_faults_main_stack_and_below_it)
{
	volatile char here = 0;
	snapshot();
	const char *path;
	ck_assert_int_eq(classify((const void *)&here, &path), FAULT_MAIN_STACK);
	/* Below what the stack mapping covers now: where it grows on this fault. */
	FILE *f = fopen("/proc/self/maps", "r");
	ck_assert_ptr_nonnull(f);
	char line[512];
	uintptr_t lo = 0, hi = 0, prev_end = 0, below = 0;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t s, e;
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && strstr(line, "[stack]")) {
			lo = s, hi = e, below = prev_end;
		} else if (sscanf(line, "%lx-%lx", &s, &e) == 2 && !lo) {
			prev_end = e;
		}
	}
	fclose(f);
	ck_assert(lo && hi);
	if (lo - below > 2 * 4096) {
		ck_assert_int_eq(faults_classify(lo - 4096, 0, &path), FAULT_MAIN_STACK);
	}
}
END_TEST

static void *thread_classify(void *arg)
{
	volatile char here = 0;
	if (faults_snapshot() != 0) {
		return NULL;
	}
	const char *path;
	*(enum fault_class *)arg = faults_classify((uintptr_t)&here, (uintptr_t)__builtin_frame_address(0), &path);
	return NULL;
}

START_TEST(test_faults_thread_stack_is_thread_stack)
{
	enum fault_class c = FAULT_CLASS_COUNT;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, thread_classify, &c), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(c, FAULT_THREAD_STACK);
}
END_TEST

START_TEST(test_faults_brk_heap_is_another_allocators)
{
	char *p = sbrk(8192);
	ck_assert_ptr_ne(p, (void *)-1);
	snapshot();
	const char *path;
	ck_assert_int_eq(classify(p + 100, &path), FAULT_BRK_HEAP);
}
END_TEST

START_TEST(test_faults_anonymous_and_file_mappings)
{
	char dir[256], file[300];
	unit_tmpdir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/mapped", dir);
	int fd = open(file, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 8192), 0);
	char *f = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	char *a = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(f != MAP_FAILED && a != MAP_FAILED);
	snapshot();
	const char *path;
	ck_assert_int_eq(classify(f + 4096, &path), FAULT_FILE);
	ck_assert(same_file(path, file));
	ck_assert_int_eq(classify(a + 4096, &path), FAULT_ANON);
	ck_assert_ptr_null(path);
	close(fd);
}
END_TEST

START_TEST(test_faults_vdso_is_a_kernel_mapping)
{
	uintptr_t vdso = getauxval(AT_SYSINFO_EHDR);
	if (vdso == 0) {
		unit_note("no vDSO here: not checked");
		return;
	}
	snapshot();
	const char *path;
	ck_assert_int_eq(faults_classify(vdso, 0, &path), FAULT_VDSO);
}
END_TEST

START_TEST(test_faults_snapshot_is_a_snapshot)
{
	snapshot();
	char *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(a != MAP_FAILED);
	const char *path;
	/* Mapped after the snapshot: unknown until it is re-read. */
	ck_assert_int_eq(classify(a, &path), FAULT_UNKNOWN);
	snapshot();
	ck_assert_int_ne(classify(a, &path), FAULT_UNKNOWN);
	munmap(a, 4096);
	snapshot();
	ck_assert_int_eq(faults_classify(4096, 0, &path), FAULT_UNKNOWN);
}
END_TEST

Suite *faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("classify");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_faults_class_names_are_the_reports);
	tcase_add_test(tc, test_faults_pool_memory_is_pool);
	tcase_add_test(tc, test_faults_static_array_is_bss_of_the_binary);
	tcase_add_test(tc, test_faults_function_is_code_of_the_binary);
	tcase_add_test(tc, test_faults_main_stack_and_below_it);
	tcase_add_test(tc, test_faults_thread_stack_is_thread_stack);
	tcase_add_test(tc, test_faults_brk_heap_is_another_allocators);
	tcase_add_test(tc, test_faults_anonymous_and_file_mappings);
	tcase_add_test(tc, test_faults_vdso_is_a_kernel_mapping);
	tcase_add_test(tc, test_faults_snapshot_is_a_snapshot);
	suite_add_tcase(s, tc);
	return s;
}
