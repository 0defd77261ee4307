/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A library whose exit handler makes page-table calls after ptfreeze's
 * own exit handler: its constructor runs before the preloaded shim's, so
 * the handler it registers with atexit(3) runs after the shim's (handlers
 * run last-registered first), after the report's summary is written.  So
 * do C++ libraries' static destructors.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <sys/mman.h>

static void *keep;

__attribute__((noinline)) void latedtor_goodbye(void)
{
	if (keep != MAP_FAILED) {
		mprotect(keep, 4096, PROT_READ);
		munmap(keep, 8192);
	}
}

int latedtor_hello(void) { return keep != MAP_FAILED; }

__attribute__((constructor)) static void latedtor_init(void)
{
	keep = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	atexit(latedtor_goodbye);
}
