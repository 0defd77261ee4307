/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * secure: linked against libptfreeze.so instead of preloaded, so that a
 * set-user-ID copy still loads the shim (the loader drops LD_PRELOAD for
 * it, but not a library the program needs).  Maps a shared page, arms,
 * unmaps the page (strict mode refuses that), and prints
 *   secure=AT_SECURE armed=0|1 munmap=ok|refused
 * tests/security.sh runs it as an unprivileged user, set-user-ID root and
 * not, and judges by this line and by the files that appear.
 */
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "ptfreeze.h"

int main(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 99;
	}
	int armed = ptfreeze_arm() == 0;
	int r = munmap(p, 4096);
	printf("secure=%lu armed=%d munmap=%s\n", getauxval(AT_SECURE), armed, r == 0 ? "ok" : "refused");
	return 0;
}
