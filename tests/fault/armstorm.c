/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * armstorm: 8 threads allocate and make guarded calls in a loop while the
 * test arms the shim from outside with a signal (PTFREEZE_ARM=signal:USR2).
 * Each thread T has its own three call sites: mmap (a shared mapping of
 * T+1 pages, which the kernel makes), mprotect and munmap of it; between
 * them it churns malloc/calloc/realloc/free and pool-served anonymous
 * mmap/munmap, which are never violations.
 *
 * Each thread counts, per site, the calls it made after it had seen
 * ptfreeze_armed() return 1 ("sure": the shim was armed before the call)
 * and those that ptfreeze_armed() saw start before arming and end after it
 * ("maybe": at most one per site).  The shim must have counted between
 * sure and sure + maybe.  Once every thread has made ITERS sure rounds, all
 * stop and main prints one line per site:
 *   site THREAD KIND LEN SURE MAYBE
 * then "total SURE MAYBE" and "done".  Before that it prints "ready PID"
 * when every thread has made 200 rounds unarmed: the test's cue to signal.
 * usage: armstorm [ITERS]   (status 1 on a failed call or a bad byte)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ptfreeze.h"

#define NTHREADS 8
#define PAGE 4096
#define WARMUP 200

enum { OP_MMAP, OP_MPROTECT, OP_MUNMAP, NOPS };
static const char *const op_name[NOPS] = {"mmap", "mprotect", "munmap"};

/* One function per (thread, operation): distinct call sites, never merged or inlined. */
#define OPS(t)                                                                                           \
	__attribute__((noinline, noipa)) static void *mm##t(size_t len)                                  \
	{                                                                                                \
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);    \
		__asm__ volatile("" : "+r"(p)::"memory");                                               \
		return p;                                                                                \
	}                                                                                                \
	__attribute__((noinline, noipa)) static int mp##t(void *p, size_t len)                           \
	{                                                                                                \
		int r = mprotect(p, len, PROT_READ);                                                     \
		__asm__ volatile("" : "+r"(r)::"memory");                                               \
		return r;                                                                                \
	}                                                                                                \
	__attribute__((noinline, noipa)) static int mu##t(void *p, size_t len)                           \
	{                                                                                                \
		int r = munmap(p, len);                                                                  \
		__asm__ volatile("" : "+r"(r)::"memory");                                               \
		return r;                                                                                \
	}
OPS(0) OPS(1) OPS(2) OPS(3) OPS(4) OPS(5) OPS(6) OPS(7)

static void *(*const do_mmap[NTHREADS])(size_t) = {mm0, mm1, mm2, mm3, mm4, mm5, mm6, mm7};
static int (*const do_mprotect[NTHREADS])(void *, size_t) = {mp0, mp1, mp2, mp3, mp4, mp5, mp6, mp7};
static int (*const do_munmap[NTHREADS])(void *, size_t) = {mu0, mu1, mu2, mu3, mu4, mu5, mu6, mu7};

struct worker {
	pthread_t tid;
	int t;
	long sure[NOPS], maybe[NOPS];
	long rounds, armed_rounds;
	int failed;
};

static struct worker workers[NTHREADS];
static long iters = 400;
static _Atomic int stop;

static void fail(struct worker *w, const char *what)
{
	fprintf(stderr, "armstorm: thread %d: %s: %s\n", w->t, what, strerror(errno));
	w->failed = 1;
	atomic_store(&stop, 1);
}

/* Counts one guarded call: a and b are ptfreeze_armed() just before and just after it. */
static void tally(struct worker *w, int op, int a, int b)
{
	if (a) {
		w->sure[op]++;
	} else if (b) {
		w->maybe[op]++;
	}
}

/* Allocator churn between guarded calls: none of it may become a violation. */
static int churn(unsigned *seed)
{
	size_t n = 16 + rand_r(seed) % 8192;
	unsigned char *a = malloc(n), *b = calloc(1, n / 2 + 1);
	if (a == NULL || b == NULL) {
		return -1;
	}
	memset(a, 0x5a, n);
	unsigned char *c = realloc(a, n * 2);
	if (c == NULL) {
		return -1;
	}
	int bad = c[n - 1] != 0x5a || b[n / 2] != 0;
	free(c);
	free(b);
	size_t m = (size_t)(1 + rand_r(seed) % 16) * PAGE;
	unsigned char *p = mmap(NULL, m, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		return -1;
	}
	bad |= p[m - 1] != 0;
	p[0] = p[m - 1] = 1;
	munmap(p, m);
	return bad ? -1 : 0;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	unsigned seed = (unsigned)w->t * 7919u + 1;
	size_t len = (size_t)(w->t + 1) * PAGE;
	while (!atomic_load(&stop)) {
		int armed_at_start = ptfreeze_armed();
		int a = armed_at_start;
		char *p = do_mmap[w->t](len);
		int b = ptfreeze_armed();
		if (p == MAP_FAILED) {
			fail(w, "mmap");
			break;
		}
		tally(w, OP_MMAP, a, b);
		p[0] = 1;
		a = ptfreeze_armed();
		int r = do_mprotect[w->t](p, len);
		b = ptfreeze_armed();
		if (r != 0) {
			fail(w, "mprotect");
			break;
		}
		tally(w, OP_MPROTECT, a, b);
		a = ptfreeze_armed();
		r = do_munmap[w->t](p, len);
		b = ptfreeze_armed();
		if (r != 0) {
			fail(w, "munmap");
			break;
		}
		tally(w, OP_MUNMAP, a, b);
		if (churn(&seed) != 0) {
			fail(w, "allocator churn (NULL or a wrong byte)");
			break;
		}
		w->rounds++;
		if (armed_at_start && ++w->armed_rounds >= iters) {
			break;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		iters = atol(argv[1]);
	}
	ptfreeze_armed(); /* resolve it now, not in the threads */
	for (int t = 0; t < NTHREADS; t++) {
		workers[t].t = t;
		if (pthread_create(&workers[t].tid, NULL, run, &workers[t]) != 0) {
			fprintf(stderr, "armstorm: pthread_create failed\n");
			return 1;
		}
	}
	for (int t = 0; t < NTHREADS && !atomic_load(&stop); t++) {
		while (__atomic_load_n(&workers[t].rounds, __ATOMIC_RELAXED) < WARMUP && !atomic_load(&stop)) {
			usleep(1000);
		}
	}
	printf("ready %ld\n", (long)getpid());
	fflush(stdout);
	int failed = 0;
	long sure = 0, maybe = 0;
	for (int t = 0; t < NTHREADS; t++) {
		pthread_join(workers[t].tid, NULL);
		failed |= workers[t].failed;
	}
	if (failed) {
		return 1;
	}
	for (int t = 0; t < NTHREADS; t++) {
		for (int op = 0; op < NOPS; op++) {
			printf("site %d %s %zu %ld %ld\n", t, op_name[op], (size_t)(t + 1) * PAGE, workers[t].sure[op],
			       workers[t].maybe[op]);
			sure += workers[t].sure[op];
			maybe += workers[t].maybe[op];
		}
	}
	printf("total %ld %ld\ndone\n", sure, maybe);
	return 0;
}
