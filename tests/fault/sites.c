/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sites: arms itself with ptfreeze_arm(), then makes COUNT violations, each
 * from its own call site (512 distinct functions), and after each one that
 * returned writes "site I LEN" to stdout with one write(2).  The site's
 * mprotect covers LEN = (I + 1) pages, so a test can match every line to a
 * site record by its args.len.  Nothing is printed before the call returns,
 * so a line on stdout means the shim has already seen the call.
 * usage: sites COUNT [--pause-after N]... [--sleep-us U]
 *   --pause-after N  after site N, print "paused N" and read a line from stdin
 *                    (the test changes the world meanwhile); may repeat
 *   --sleep-us U     sleep U microseconds between sites (for kill -9 mid-run)
 * Exit status 0, or 1 if an mprotect failed, 2 on bad usage, 3 if the mapping failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ptfreeze.h"

#define PAGE 4096
#define NSITES 512

/*
 * One function per site.  noipa keeps GCC from merging them or inlining
 * them; using the result after the call keeps the call out of tail
 * position, so the return address inside fNNN is on the stack.
 */
#define F(n)                                                                                                 \
	__attribute__((noinline, noipa)) static int f##n(void *p, size_t len)                               \
	{                                                                                                    \
		int r = mprotect(p, len, PROT_READ | PROT_WRITE);                                            \
		__asm__ volatile("" : "+r"(r)::"memory");                                                   \
		return r;                                                                                    \
	}
#define F8(a) F(a##0) F(a##1) F(a##2) F(a##3) F(a##4) F(a##5) F(a##6) F(a##7)
#define F64(a) F8(a##0) F8(a##1) F8(a##2) F8(a##3) F8(a##4) F8(a##5) F8(a##6) F8(a##7)
F64(0) F64(1) F64(2) F64(3) F64(4) F64(5) F64(6) F64(7)
#undef F
#define F(n) f##n,
static int (*const site_fn[NSITES])(void *, size_t) = {F64(0) F64(1) F64(2) F64(3) F64(4) F64(5) F64(6) F64(7)};

static void say(const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t w = write(1, s, n);
		if (w <= 0) {
			if (w < 0 && errno == EINTR) {
				continue;
			}
			exit(4);
		}
		s += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	int count = -1, npause = 0;
	int pause_after[16];
	long sleep_us = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pause-after") == 0 && i + 1 < argc && npause < 16) {
			pause_after[npause++] = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--sleep-us") == 0 && i + 1 < argc) {
			sleep_us = atol(argv[++i]);
		} else if (count < 0 && argv[i][0] >= '0' && argv[i][0] <= '9') {
			count = atoi(argv[i]);
		} else {
			fprintf(stderr, "usage: sites COUNT [--pause-after N]... [--sleep-us U]\n");
			return 2;
		}
	}
	if (count < 0 || count > NSITES) {
		fprintf(stderr, "sites: COUNT must be 0 to %d\n", NSITES);
		return 2;
	}
	/* Shared: the kernel's mapping, never the pool's, so every mprotect is a real one. */
	char *map = mmap(NULL, (size_t)(NSITES + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		perror("sites: mmap");
		return 3;
	}
	ptfreeze_arm(); /* without the shim: nothing, and the output is the reference */
	char line[64];
	for (int i = 0; i < count; i++) {
		size_t len = (size_t)(i + 1) * PAGE;
		if (site_fn[i](map, len) != 0) {
			fprintf(stderr, "sites: mprotect %d failed: %s\n", i, strerror(errno));
			return 1;
		}
		snprintf(line, sizeof(line), "site %d %zu\n", i, len);
		say(line);
		for (int k = 0; k < npause; k++) {
			if (pause_after[k] == i) {
				snprintf(line, sizeof(line), "paused %d\n", i);
				say(line);
				char buf[16];
				if (read(0, buf, sizeof(buf)) < 0) {
					perror("sites: read");
				}
			}
		}
		if (sleep_us) {
			struct timespec ts = {sleep_us / 1000000, (sleep_us % 1000000) * 1000};
			nanosleep(&ts, NULL);
		}
	}
	say("done\n");
	return 0;
}
