/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * roomarm: the largest request of start-up, made again after arming.
 * Allocates and touches COUNT blocks of SIZE bytes and keeps them (the
 * pool grows before arming and is left with less than SIZE never handed
 * out), arms with ptfreeze_arm(), then allocates and touches one more block
 * of SIZE between strace markers ("CHURN-BEGIN", "CHURN-END": tests/lib.sh
 * cuts them) and prints the page faults that took (getrusage): "faults N".
 * usage: roomarm COUNT SIZE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ptfreeze.h"

static long faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

int main(int argc, char **argv)
{
	long count = argc == 3 ? atol(argv[1]) : 0;
	size_t size = argc == 3 ? strtoull(argv[2], NULL, 0) : 0;
	if (count < 1 || count > 64 || size < 4096) {
		fprintf(stderr, "usage: roomarm COUNT SIZE\n");
		return 2;
	}
	for (long i = 0; i < count; i++) {
		char *p = malloc(size);
		if (p == NULL) {
			fprintf(stderr, "roomarm: malloc of %zu bytes failed\n", size);
			return 1;
		}
		memset(p, 1, size); /* kept: the pool stays full */
	}
	ptfreeze_arm();
	(void)!write(-1, "CHURN-BEGIN", 11);
	long f0 = faults();
	char *q = malloc(size);
	if (q == NULL) {
		fprintf(stderr, "roomarm: malloc after arming failed\n");
		return 1;
	}
	for (size_t i = 0; i < size; i += 4096) {
		q[i] = 2;
	}
	long f1 = faults();
	(void)!write(-1, "CHURN-END", 9);
	printf("faults %ld\n", f1 - f0);
	return 0;
}
