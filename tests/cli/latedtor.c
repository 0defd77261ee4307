/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * latedtor: arms with ptfreeze_arm(), makes one mprotect, prints "done" and
 * exits; its library (latedtor_lib.c) then makes two more calls from an
 * exit handler that runs after the shim has written the summary.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <sys/mman.h>

#include "ptfreeze.h"

int latedtor_hello(void);

int main(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		return 3;
	}
	ptfreeze_arm();
	mprotect(p, 4096, PROT_READ);
	puts(latedtor_hello() ? "done" : "no mapping");
	return 0;
}
