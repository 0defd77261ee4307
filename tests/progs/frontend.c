/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * frontend: the malloc family's small sizes (1 B - 20 KiB) as a program
 * sees them, for ptfreeze's small-object front end (src/front.c).  Prints
 * one "name=value" line per check; tests/frontend.sh judges them.
 *
 * Producer/consumer pairs (every block is freed by the other thread) and
 * waves of short-lived threads (each wave's threads allocate, keep some
 * blocks for the next wave to free, and exit, so the next wave's threads
 * take over their heaps) run once unarmed, then the program arms
 * (ptfreeze_arm) and, armed, runs them again, then the calloc, realloc,
 * usable-size and alignment checks.  With `fork`, it arms first and the
 * process forks while the pairs run (faults are not counted: the fork
 * leaves copy-on-write pages behind it); the child callocs, reallocs, mallocs
 * and frees, starts a thread, and exits 0 if every block held its contents
 * (and prints fork_child, prodcon_bad and waves_bad only).
 *
 *   fork_child=0   the child's exit status
 *   prodcon_bad=N  blocks that arrived with another content than written
 *   waves_bad=N    the same in the thread waves
 *   calloc_dirty=N calloc'd blocks (of sizes just freed dirty) with a nonzero byte
 *   realloc_bad=N  reallocs across classes that lost the block's contents
 *   usable_bad=N   malloc_usable_size(malloc(n)) < n
 *   align_bad=N    posix_memalign/aligned_alloc/memalign results not aligned
 *   minor=N        minor faults in the armed phase (getrusage)
 *
 * usage: frontend [ops [fork]]   (ops default 200000 per thread)
 *        frontend fill N SIZE M     (armed: N blocks of SIZE bytes, then M of 64, all kept)
 *        frontend giveback MIB          (armed: MIB MiB of 1 MiB blocks, twice, and the pairs;
 *                                        prints each block's address, giveback_bad and prodcon_bad)
 *        frontend early KIB         (unarmed: KIB KiB of 64 KiB blocks, then 200 of 100 bytes, their
 *                                    addresses printed; then armed, all freed: early_bad and minor)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptfreeze.h"

#define QLEN 1024
#define MAXSZ 20480
#define PAIRS 2
#define WAVES 12
#define WAVE_THREADS 4
#define KEEP 64

static long ops = 200000;
static _Atomic long bad;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A block of n bytes: n and a byte pattern from it, so the reader can check all of it. */
static void *make(size_t n)
{
	unsigned char *p = malloc(n);
	if (p == NULL) {
		fprintf(stderr, "frontend: malloc(%zu) failed\n", n);
		exit(1);
	}
	memset(p, (int)(n * 7 + 1), n);
	if (n >= sizeof(uint32_t)) {
		memcpy(p, &(uint32_t){(uint32_t)n}, sizeof(uint32_t));
	}
	return p;
}

/* Checks and frees a block make(n) wrote; 1 if it was changed. */
static int check_free(void *v, size_t n)
{
	unsigned char *p = v;
	int b = 0;
	uint32_t got;
	if (n >= sizeof(got)) {
		memcpy(&got, p, sizeof(got));
		b |= got != (uint32_t)n;
	}
	for (size_t i = n >= sizeof(got) ? sizeof(got) : 0; i < n; i++) {
		b |= p[i] != (unsigned char)(n * 7 + 1);
	}
	free(p);
	return b;
}

/* A single-producer single-consumer ring of blocks. */
struct ring {
	_Atomic size_t head, tail;
	void *p[QLEN];
	size_t n[QLEN];
};

static struct ring rings[PAIRS];

static void *producer(void *arg)
{
	struct ring *r = arg;
	uint64_t s = (uintptr_t)arg | 1;
	void *own[256] = {0};
	size_t own_n[256] = {0};
	long b = 0;
	for (long i = 0; i < ops; i++) {
		size_t n = 1 + rnd(&s) % MAXSZ;
		size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
		while (t - atomic_load_explicit(&r->head, memory_order_acquire) == QLEN) {
			sched_yield();
		}
		r->p[t % QLEN] = make(n);
		r->n[t % QLEN] = n;
		atomic_store_explicit(&r->tail, t + 1, memory_order_release);
		/* and blocks of its own, with random lifetimes */
		unsigned k = rnd(&s) % 256;
		if (own[k]) {
			b += check_free(own[k], own_n[k]);
		}
		own_n[k] = 1 + rnd(&s) % MAXSZ;
		own[k] = make(own_n[k]);
	}
	for (unsigned k = 0; k < 256; k++) {
		b += own[k] ? check_free(own[k], own_n[k]) : 0;
	}
	atomic_fetch_add(&bad, b);
	return NULL;
}

static void *consumer(void *arg)
{
	struct ring *r = arg;
	long b = 0;
	for (long i = 0; i < ops; i++) {
		size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
		while (atomic_load_explicit(&r->tail, memory_order_acquire) == h) {
			sched_yield();
		}
		b += check_free(r->p[h % QLEN], r->n[h % QLEN]);
		atomic_store_explicit(&r->head, h + 1, memory_order_release);
	}
	atomic_fetch_add(&bad, b);
	return NULL;
}

static pthread_t pt[2 * PAIRS];

static void pairs_start(void)
{
	for (int i = 0; i < PAIRS; i++) {
		atomic_store(&rings[i].head, 0);
		atomic_store(&rings[i].tail, 0);
		pthread_create(&pt[2 * i], NULL, producer, &rings[i]);
		pthread_create(&pt[2 * i + 1], NULL, consumer, &rings[i]);
	}
}

static long pairs_join(void)
{
	for (int i = 0; i < 2 * PAIRS; i++) {
		pthread_join(pt[i], NULL);
	}
	return atomic_exchange(&bad, 0);
}

/* Blocks a wave's threads leave for the next wave to check and free (remote frees to exited heaps). */
static void *kept[WAVE_THREADS][KEEP];
static size_t kept_n[WAVE_THREADS][KEEP];

static void *wave_thread(void *arg)
{
	int w = (int)(intptr_t)arg;
	uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(w + 1);
	long b = 0;
	for (int k = 0; k < KEEP; k++) {
		b += kept[w][k] ? check_free(kept[w][k], kept_n[w][k]) : 0;
	}
	void *live[64] = {0};
	size_t live_n[64] = {0};
	for (long i = 0; i < ops / 16; i++) {
		unsigned k = rnd(&s) % 64;
		b += live[k] ? check_free(live[k], live_n[k]) : 0;
		live_n[k] = 1 + rnd(&s) % MAXSZ;
		live[k] = make(live_n[k]);
	}
	for (int k = 0; k < 64; k++) {
		b += live[k] ? check_free(live[k], live_n[k]) : 0;
	}
	for (int k = 0; k < KEEP; k++) {
		kept_n[w][k] = 1 + rnd(&s) % MAXSZ;
		kept[w][k] = make(kept_n[w][k]);
	}
	atomic_fetch_add(&bad, b);
	return NULL;
}

/* Waves of short-lived threads: each wave's are new threads that adopt the last wave's heaps. */
static long waves(void)
{
	for (int v = 0; v < WAVES; v++) {
		pthread_t t[WAVE_THREADS];
		/* the next wave frees what this one keeps, from another thread: w shifted by one */
		for (int w = 0; w < WAVE_THREADS; w++) {
			pthread_create(&t[w], NULL, wave_thread, (void *)(intptr_t)((w + v) % WAVE_THREADS));
		}
		for (int w = 0; w < WAVE_THREADS; w++) {
			pthread_join(t[w], NULL);
		}
	}
	long b = atomic_exchange(&bad, 0);
	for (int w = 0; w < WAVE_THREADS; w++) {
		for (int k = 0; k < KEEP; k++) {
			b += check_free(kept[w][k], kept_n[w][k]);
			kept[w][k] = NULL;
		}
	}
	return b;
}

/* calloc of sizes whose blocks were just freed dirty: every byte must be zero. */
static long calloc_dirty(void)
{
	long dirty = 0;
	for (size_t n = 1; n <= MAXSZ; n += (n < 256 ? 1 : 7)) {
		for (int r = 0; r < 3; r++) {
			void *p[4];
			for (int i = 0; i < 4; i++) {
				p[i] = malloc(n);
				memset(p[i], 0xa5, n);
			}
			for (int i = 0; i < 4; i++) {
				free(p[i]);
			}
			unsigned char *q = r == 2 ? calloc(n, 1) : calloc(1, n);
			int d = 0;
			for (size_t i = 0; i < n; i++) {
				d |= q[i];
			}
			dirty += d != 0;
			free(q);
		}
	}
	return dirty;
}

/* realloc across the small classes and beyond, up and down: the contents up to the smaller size stay. */
static long realloc_bad(void)
{
	static const size_t steps[] = {1, 24, 100, 130, 300, 700, 1000, 1024, 1025, 5000, 16384, 16385, 12000, 40000, 2000, 900, 200, 40, 16, 3};
	long b = 0;
	for (int rep = 0; rep < 50; rep++) {
		size_t have = steps[0];
		unsigned char *p = malloc(have);
		p[0] = 0x3c;
		for (size_t i = 1; i < sizeof(steps) / sizeof(steps[0]); i++) {
			size_t n = steps[i];
			p = realloc(p, n);
			if (p == NULL) {
				return -1;
			}
			size_t keep = have < n ? have : n;
			for (size_t j = 0; j < keep; j++) {
				b += p[j] != (unsigned char)(0x3c + j);
			}
			for (size_t j = 0; j < n; j++) {
				p[j] = (unsigned char)(0x3c + j);
			}
			have = n;
		}
		free(p);
	}
	return b;
}

static long usable_bad(void)
{
	long b = 0;
	for (size_t n = 0; n <= MAXSZ; n++) {
		void *p = malloc(n);
		b += malloc_usable_size(p) < n;
		memset(p, 0x11, malloc_usable_size(p)); /* all of it is the caller's */
		free(p);
	}
	return b;
}

static long align_bad(void)
{
	long b = 0;
	for (size_t a = 8; a <= 4096; a *= 2) {
		for (size_t n = 1; n <= 1100; n += 37) {
			void *p = NULL, *q = aligned_alloc(a, n), *r = memalign(a, n);
			if (posix_memalign(&p, a, n) != 0 || q == NULL || r == NULL) {
				return -1;
			}
			b += ((uintptr_t)p | (uintptr_t)q | (uintptr_t)r) % a != 0;
			memset(p, 1, n);
			memset(q, 1, n);
			memset(r, 1, n);
			free(p);
			free(q);
			free(r);
		}
	}
	return b;
}

/* The fork child: the calling thread's heap stays, the others' are abandoned (another thread may adopt one). */
static int child(void)
{
	long b = calloc_dirty() + realloc_bad() + usable_bad();
	pthread_t t;
	pthread_create(&t, NULL, wave_thread, (void *)(intptr_t)0);
	pthread_join(t, NULL);
	b += atomic_exchange(&bad, 0);
	for (int i = 0; i < 100000; i++) {
		b += check_free(make(1 + (size_t)i % MAXSZ), 1 + (size_t)i % MAXSZ);
	}
	return b == 0 ? 0 : 1;
}

static long minor_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		ops = atol(argv[1]);
	}
	if (argc > 4 && strcmp(argv[1], "fill") == 0) {
		/* Armed, n blocks of one size, kept, then m blocks of 64 bytes: the area's share of each (frontend.sh). */
		long n = atol(argv[2]), m = atol(argv[4]);
		size_t sz = (size_t)atol(argv[3]);
		ptfreeze_arm();
		for (long i = 0; i < n; i++) {
			(void)make(sz);
		}
		for (long i = 0; i < m; i++) {
			(void)make(64);
		}
		printf("filled=%ld\n", n + m);
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "early") == 0) {
		/*
		 * Before arming, first kib KiB of 64 KiB blocks (the program takes
		 * pool memory: the front turns on), then small blocks, whose
		 * addresses say whether the front served them (frontend.sh).
		 * Then armed, everything is freed and allocated again.
		 */
		enum { BIG = 64 << 10, NSMALL = 200 };
		long nbig = atol(argv[2]) / 64, bad = 0;
		void **big = calloc((size_t)nbig + 1, sizeof(*big)), *small[NSMALL];
		for (long i = 0; big != NULL && i < nbig; i++) {
			big[i] = make(BIG);
		}
		for (int i = 0; i < NSMALL; i++) {
			small[i] = make(100);
			printf("small=%p\n", small[i]);
		}
		ptfreeze_arm();
		long f0 = minor_faults();
		for (int i = 0; i < NSMALL; i++) {
			bad += check_free(small[i], 100);
			small[i] = make(100);
		}
		for (long i = 0; big != NULL && i < nbig; i++) {
			bad += check_free(big[i], BIG);
		}
		for (int i = 0; i < NSMALL; i++) {
			bad += check_free(small[i], 100);
		}
		long f1 = minor_faults();
		printf("early_bad=%ld\nminor=%ld\n", big == NULL ? -1 : bad, f1 - f0);
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "giveback") == 0) {
		/*
		 * More 1 MiB blocks than the pool holds, after arming: before it
		 * grows, the front gives its unused pages back, and blocks are cut
		 * from them.  Each block keeps its pattern, all are freed (not to
		 * the front) and allocated again, and the front still serves the
		 * pairs' small blocks (frontend.sh).
		 */
		enum { MIB = 1 << 20 };
		long n = atol(argv[2]), gb = 0;
		long pb = 0;
		ptfreeze_arm();
		for (size_t i = 0; i < 1000; i++) {
			pb += check_free(make(16 + i % 200), 16 + i % 200); /* this thread's heap: a few pages */
		}
		unsigned char **big = calloc((size_t)n, sizeof(*big));
		for (int round = 0; big != NULL && round < 2; round++) {
			for (long i = 0; i < n; i++) {
				big[i] = make(MIB - 64 * (size_t)round);
				if (round == 0) {
					printf("big=%p\n", (void *)big[i]);
				}
			}
			for (long i = 0; i < n; i++) {
				size_t sz = MIB - 64 * (size_t)round;
				gb += big[i][sz - 1] != (unsigned char)(sz * 7 + 1) || big[i][MIB / 2] != big[i][sz - 1];
				free(big[i]);
			}
		}
		ops = 20000;
		pairs_start();
		pb += pairs_join();
		printf("giveback_bad=%ld\nprodcon_bad=%ld\n", big == NULL ? -1 : gb, pb);
		return 0;
	}
	if (argc > 2 && strcmp(argv[2], "fork") == 0) {
		/* Armed first, so that the front is on (the fork is then a violation, and faults are not judged here). */
		ptfreeze_arm();
		pairs_start();
		usleep(20000);
		pid_t pid = fork();
		if (pid == 0) {
			_exit(child());
		}
		int st = 0;
		waitpid(pid, &st, 0);
		long pb = pairs_join();
		printf("fork_child=%d\nprodcon_bad=%ld\nwaves_bad=%ld\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
		       pb, waves());
		return 0;
	}
	/*
	 * Unarmed first, so that what the program touches is touched (the block
	 * cache's bins in the shim's .bss too: realloc_bad's 40000 bytes).
	 */
	long pb = 0, wb = 0;
	pairs_start();
	pb += pairs_join();
	wb += waves();
	long cd = calloc_dirty(), rb = realloc_bad(), ub = usable_bad(), ab = align_bad();
	ptfreeze_arm();
	long m0 = minor_faults();
	pairs_start();
	pb += pairs_join();
	wb += waves();
	cd += calloc_dirty();
	rb += realloc_bad();
	ub += usable_bad();
	ab += align_bad();
	long m1 = minor_faults();
	printf("prodcon_bad=%ld\nwaves_bad=%ld\ncalloc_dirty=%ld\nrealloc_bad=%ld\nusable_bad=%ld\nalign_bad=%ld\nminor=%ld\n",
	       pb, wb, cd, rb, ub, ab, m1 - m0);
	return 0;
}
