/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conform: the malloc family's contract as glibc keeps it, checked in a
 * process running under the shim (it refuses to run without it, so a
 * broken preload cannot pass by testing glibc instead).  Each check prints
 * "ok" or "not ok" with what it checked; exit 0 only if all pass.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, what)                                                                              \
	do {                                                                                           \
		if (cond) {                                                                            \
			printf("ok - %s\n", what);                                                     \
		} else {                                                                               \
			printf("not ok - %s (errno %d)\n", what, errno);                               \
			failures++;                                                            \
		}                                                                                      \
	} while (0)

/* Calls through volatile pointers so the compiler cannot fold them away. */
static void *(*volatile p_malloc)(size_t) = malloc;
static void *(*volatile p_calloc)(size_t, size_t) = calloc;
static void *(*volatile p_realloc)(void *, size_t) = realloc;
static void *(*volatile p_reallocarray)(void *, size_t, size_t) = reallocarray;
static void *(*volatile p_aligned_alloc)(size_t, size_t) = aligned_alloc;
static void *(*volatile p_memalign)(size_t, size_t) = memalign;

static int aligned_to(void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

int main(void)
{
	if (dlsym(RTLD_DEFAULT, "ptfreeze_armed") == NULL) {
		fprintf(stderr, "conform: not running under libptfreeze.so\n");
		return 99;
	}
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	errno = 0;
	p = p_malloc(0);
	CHECK(p != NULL, "malloc(0) returns a unique pointer");
	void *q = p_malloc(0);
	CHECK(q != NULL && q != p, "two malloc(0) differ");
	free(p);
	free(q);
	free(NULL);
	CHECK(1, "free(NULL) is a no-op");

	errno = 0;
	CHECK(p_malloc(SIZE_MAX) == NULL && errno == ENOMEM, "malloc(SIZE_MAX) fails with ENOMEM");
	errno = 0;
	CHECK(p_malloc((size_t)PTRDIFF_MAX + 1) == NULL && errno == ENOMEM, "malloc(PTRDIFF_MAX+1) fails with ENOMEM");

	errno = 0;
	CHECK(p_calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM, "calloc overflow fails with ENOMEM");
	errno = 0;
	CHECK(p_calloc((size_t)1 << 33, (size_t)1 << 33) == NULL && errno == ENOMEM, "calloc 2^33*2^33 fails with ENOMEM");
	unsigned char *z = p_calloc(1000, 1000);
	int zero = z != NULL;
	for (size_t i = 0; z && i < 1000000; i++) {
		zero &= z[i] == 0;
	}
	CHECK(zero, "calloc(1000, 1000) is zeroed");
	memset(z, 0xa5, 1000000);
	free(z);
	z = p_calloc(1000, 1000); /* likely the same memory: must be zero again */
	zero = z != NULL;
	for (size_t i = 0; z && i < 1000000; i++) {
		zero &= z[i] == 0;
	}
	CHECK(zero, "calloc after free of dirty memory is zeroed");
	free(z);
	CHECK((p = p_calloc(0, 5)) != NULL, "calloc(0, 5) returns a pointer");
	free(p);

	errno = 0;
	CHECK(p_reallocarray(NULL, SIZE_MAX / 2, 3) == NULL && errno == ENOMEM, "reallocarray overflow fails with ENOMEM");
	p = p_reallocarray(NULL, 10, 10);
	CHECK(p != NULL && malloc_usable_size(p) >= 100, "reallocarray(NULL, 10, 10) allocates 100 bytes");
	free(p);

	char *s = p_realloc(NULL, 10);
	CHECK(s != NULL, "realloc(NULL, n) allocates");
	memcpy(s, "0123456789", 10);
	s = p_realloc(s, 100000);
	CHECK(s && memcmp(s, "0123456789", 10) == 0, "realloc growth keeps contents");
	s = p_realloc(s, 5);
	CHECK(s && memcmp(s, "01234", 5) == 0, "realloc shrink keeps contents");
	errno = 0;
	void *t = p_realloc(s, SIZE_MAX);
	CHECK(t == NULL && errno == ENOMEM && memcmp(s, "01234", 5) == 0, "failed realloc keeps the block");
	CHECK(p_realloc(s, 0) == NULL, "realloc(p, 0) frees and returns NULL");

	for (size_t a = sizeof(void *); a <= (size_t)1 << 21; a <<= 1) {
		void *m = NULL;
		int r = posix_memalign(&m, a, 100);
		char what[64];
		snprintf(what, sizeof(what), "posix_memalign(%zu)", a);
		CHECK(r == 0 && m && aligned_to(m, a), what);
		free(m);
	}
	void *m = (void *)0x1;
	errno = 1234;
	CHECK(posix_memalign(&m, 24, 100) == EINVAL && m == (void *)0x1, "posix_memalign(24) is EINVAL");
	CHECK(posix_memalign(&m, 4, 100) == EINVAL, "posix_memalign(4) is EINVAL (not a pointer multiple)");
	CHECK(posix_memalign(&m, 0, 100) == EINVAL, "posix_memalign(0) is EINVAL");
	CHECK(errno == 1234, "posix_memalign leaves errno alone");
	CHECK(posix_memalign(&m, 64, SIZE_MAX) == ENOMEM, "posix_memalign(64, SIZE_MAX) is ENOMEM");

	errno = 0;
	CHECK(p_aligned_alloc(24, 48) == NULL && errno == EINVAL, "aligned_alloc(24) is EINVAL");
	p = p_aligned_alloc(4096, 100);
	CHECK(p && aligned_to(p, 4096), "aligned_alloc(4096, 100)");
	free(p);
	p = p_memalign(24, 100);
	CHECK(p && aligned_to(p, 32), "memalign(24) rounds to 32");
	free(p);
	p = p_memalign(1 << 16, 10);
	CHECK(p && aligned_to(p, 1 << 16), "memalign(64K)");
	free(p);
	errno = 0;
	CHECK(p_memalign(SIZE_MAX, 10) == NULL && errno == EINVAL, "memalign(SIZE_MAX) is EINVAL");
	p = valloc(10);
	CHECK(p && aligned_to(p, (size_t)page), "valloc is page aligned");
	free(p);
	p = pvalloc(10);
	CHECK(p && aligned_to(p, (size_t)page) && malloc_usable_size(p) >= (size_t)page, "pvalloc rounds to a page");
	free(p);
	p = pvalloc(0);
	CHECK(p && malloc_usable_size(p) >= (size_t)page, "pvalloc(0) gives a page");
	free(p);
	errno = 0;
	CHECK(pvalloc(SIZE_MAX) == NULL && errno == ENOMEM, "pvalloc(SIZE_MAX) is ENOMEM");

	CHECK(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) is 0");
	p = malloc(100);
	CHECK(malloc_usable_size(p) >= 100, "malloc_usable_size >= requested");
	free(p);

	/* Large blocks, many blocks, and a strdup through libc's internal malloc. */
	char *big = malloc(64 << 20);
	CHECK(big != NULL, "malloc(64 MiB)");
	memset(big, 1, 64 << 20);
	free(big);
	char *dup = strdup("ptfreeze");
	CHECK(dup && strcmp(dup, "ptfreeze") == 0, "strdup uses the shim's malloc");
	CHECK(malloc_usable_size(dup) >= 9, "libc's allocation is the shim's (usable size known)");
	free(dup);
	CHECK(malloc_trim(0) == 0, "malloc_trim is a no-op");

	printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
