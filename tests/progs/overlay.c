/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A "magic" ring buffer: an anonymous read-write reservation (which the
 * shim serves from its pool) with a shared memory file mapped twice over
 * it with MAP_FIXED, so writes past the end wrap.  Done once at start-up
 * and once after arming (ptfreeze_arm, found with dlsym so the program
 * runs without the shim too); after each, the reservation is unmapped and
 * a new anonymous mapping of the same size must be zero and writable.
 * Prints what it read, or the errno of the call that failed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SZ ((size_t)1 << 16)

static int ring(const char *when)
{
	int fd = memfd_create("ring", 0);
	if (fd < 0 || ftruncate(fd, SZ) != 0) {
		return printf("%s: memfd %d\n", when, errno), 1;
	}
	char *base = mmap(NULL, 2 * SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		return printf("%s: reserve errno %d\n", when, errno), 1;
	}
	for (int half = 0; half < 2; half++) {
		if (mmap(base + half * SZ, SZ, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED, fd, 0) == MAP_FAILED) {
			printf("%s: fixed errno %d\n", when, errno);
			munmap(base, 2 * SZ);
			close(fd);
			return 1;
		}
	}
	memcpy(base + SZ - 3, "wrapped", 8);
	printf("%s: %.4s\n", when, base);
	if (munmap(base, 2 * SZ) != 0) {
		return printf("%s: munmap errno %d\n", when, errno), 1;
	}
	close(fd);
	char *again = mmap(NULL, 2 * SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (again == MAP_FAILED) {
		return printf("%s: remap errno %d\n", when, errno), 1;
	}
	size_t nonzero = 0;
	for (size_t i = 0; i < 2 * SZ; i++) {
		nonzero += again[i] != 0;
	}
	memset(again, 1, 2 * SZ);
	printf("%s: reuse %zu nonzero\n", when, nonzero);
	munmap(again, 2 * SZ);
	return 0;
}

int main(void)
{
	int bad = ring("start-up");
	int (*arm)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "ptfreeze_arm");
	if (arm) {
		arm();
	}
	bad |= ring("armed");
	return bad;
}
