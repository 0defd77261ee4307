/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The allocator's hot path in isolation, for bench/instructions.sh: N
 * malloc/free pairs over a ring of 64 live blocks of 16 to 271 bytes (all
 * thread-cache hits once warm).  Prints one pointer so nothing is elided.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	void *keep[64] = {0};
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
