/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The allocator's hot path in isolation, for bench/instructions.sh: N
 * malloc/free pairs over a ring of 64 live blocks of 16 to 271 bytes (all
 * thread-cache hits once warm).  Prints one pointer so nothing is elided.
 * Arms first (ptfreeze_arm(), a no-op without the shim): under ptfreeze the
 * small sizes then take the path of an armed program, its small-object
 * front end.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ptfreeze.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	void *keep[64] = {0};
	(void)ptfreeze_arm();
	for (long i = 0; i < n; i++) {
		int k = (int)(i & 63);
		free(keep[k]);
		keep[k] = malloc(16 + (size_t)(i & 255));
	}
	printf("%p\n", keep[3]);
	for (int k = 0; k < 64; k++) {
		free(keep[k]);
	}
	return 0;
}
