/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * exhaust: arms with ptfreeze_arm(), then asks for more memory than the
 * pool has (run with a small PTFREEZE_POOL).  Prints "malloc ok" after
 * touching every page, or "malloc null ENOMEM".
 * usage: exhaust MEGABYTES
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptfreeze.h"

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 64;
	if (ptfreeze_arm() != 0) {
		fprintf(stderr, "exhaust: not armed (no shim?)\n");
		return 99;
	}
	errno = 0;
	char *p = malloc(mb << 20);
	if (p == NULL) {
		printf("malloc null %s\n", errno == ENOMEM ? "ENOMEM" : "other");
		return 0;
	}
	memset(p, 1, mb << 20);
	printf("malloc ok\n");
	free(p);
	return 0;
}
