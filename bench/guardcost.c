/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * guardcost: what report mode costs per intercepted call.  Times, one by
 * one, mprotect(page, 4096, PROT_READ) on a read-only page the program
 * mapped itself (so the call reaches the kernel and changes nothing):
 *   pass-through  before arming: the interposed call with the guard idle;
 *   known-site    after ptfreeze_arm(), always from the same call site,
 *                 which the guard has already recorded;
 *   new-site      after arming, each call from a stack never seen before:
 *                 256 distinct functions, each called at recursion depths
 *                 0, 1, 2, ... (so 256 x depths distinct stacks).
 * Without the shim all three are the bare system call: the baseline.
 *
 * usage: guardcost [-k known-calls] [-n new-sites]
 *   -k  calls timed at the known site and before arming (default 20000)
 *   -n  new sites (default 1000; the runner raises PTFREEZE_MAX_SITES)
 * Output: a table (pass-through, known-site, new-site; times in ns).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hist.h"
#include "ptfreeze.h"
#include "util.h"

#define PROG "guardcost"
#define MAX_DEPTH 63

typedef int (*site_fn)(void *page, int depth);

/* One distinct call site: a function whose stack differs from every other's. */
#define SITE(id)                                                                                  \
	__attribute__((noinline)) static int site_##id(void *page, int depth)                   \
	{                                                                                         \
		int r = depth ? site_##id(page, depth - 1) : mprotect(page, 4096, PROT_READ);     \
		__asm__ volatile("" : : : "memory"); /* not a tail call: one frame per level */    \
		return r;                                                                         \
	}
#define SITE16(p)                                                                                 \
	SITE(p##0) SITE(p##1) SITE(p##2) SITE(p##3) SITE(p##4) SITE(p##5) SITE(p##6) SITE(p##7)   \
	SITE(p##8) SITE(p##9) SITE(p##a) SITE(p##b) SITE(p##c) SITE(p##d) SITE(p##e) SITE(p##f)
#define NAME16(p)                                                                                 \
	site_##p##0, site_##p##1, site_##p##2, site_##p##3, site_##p##4, site_##p##5, site_##p##6, \
	site_##p##7, site_##p##8, site_##p##9, site_##p##a, site_##p##b, site_##p##c, site_##p##d, \
	site_##p##e, site_##p##f,

SITE16(x0) SITE16(x1) SITE16(x2) SITE16(x3) SITE16(x4) SITE16(x5) SITE16(x6) SITE16(x7)
SITE16(x8) SITE16(x9) SITE16(xa) SITE16(xb) SITE16(xc) SITE16(xd) SITE16(xe) SITE16(xf)

static const site_fn sites[] = {
	NAME16(x0) NAME16(x1) NAME16(x2) NAME16(x3) NAME16(x4) NAME16(x5) NAME16(x6) NAME16(x7)
	NAME16(x8) NAME16(x9) NAME16(xa) NAME16(xb) NAME16(xc) NAME16(xd) NAME16(xe) NAME16(xf)
};
#define NSITES (sizeof(sites) / sizeof(sites[0]))

/* The known site: a call site of its own, never used for new sites. */
__attribute__((noinline)) static int known_site(void *page)
{
	int r = mprotect(page, 4096, PROT_READ);
	__asm__ volatile("" : : : "memory");
	return r;
}

static void check(int r, const char *what)
{
	if (r != 0) {
		util_die(PROG, "mprotect (%s) failed: %s", what, strerror(errno));
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: " PROG " [-k known-calls] [-n new-sites]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long known = 20000, fresh = 1000;
	int c;
	while ((c = getopt(argc, argv, "k:n:")) != -1) {
		switch (c) {
		case 'k': known = util_parse_long(optarg, "-k"); break;
		case 'n': fresh = util_parse_long(optarg, "-n"); break;
		default: usage();
		}
	}
	if (optind != argc || known < 1 || fresh < 1 || (size_t)fresh > NSITES * (MAX_DEPTH + 1)) {
		usage();
	}
	(void)ptfreeze_armed();
	/* Read-only, so the shim leaves it to the kernel (it serves only read-write maps). */
	void *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		util_die(PROG, "mmap: %s", strerror(errno));
	}
	struct hist *h = util_mem(3 * sizeof(struct hist));
	util_touch_stack((size_t)256 << 10);

	for (long i = 0; i < known; i++) {
		uint64_t t0 = util_now_ns();
		int r = known_site(page);
		uint64_t t1 = util_now_ns();
		check(r, "pass-through");
		hist_add(&h[0], t1 - t0);
	}

	int armed = ptfreeze_arm();
	/* Call -1 is the site's first sight (recorded, not timed): same call site as the rest. */
	for (long i = -1; i < known; i++) {
		uint64_t t0 = util_now_ns();
		int r = known_site(page);
		uint64_t t1 = util_now_ns();
		check(r, "known site");
		if (i >= 0) {
			hist_add(&h[1], t1 - t0);
		}
	}

	for (long i = 0; i < fresh; i++) {
		site_fn fn = sites[(size_t)i % NSITES];
		int depth = (int)((size_t)i / NSITES);
		uint64_t t0 = util_now_ns();
		int r = fn(page, depth);
		uint64_t t1 = util_now_ns();
		check(r, "new site");
		hist_add(&h[2], t1 - t0);
	}

	printf("guardcost: known calls %ld, new sites %ld, ptfreeze %s\n", known, fresh,
	       armed == 0 ? "armed" : armed == -ENOSYS ? "absent" : "arm failed");
	hist_print_header(stdout);
	hist_print_row(stdout, "pass-through", &h[0]);
	hist_print_row(stdout, "known-site", &h[1]);
	hist_print_row(stdout, "new-site", &h[2]);
	return 0;
}
