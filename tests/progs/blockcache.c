/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * blockcache: what ptfreeze's block cache (src/arena.c) promises, seen from
 * a program.  Prints one "name=value" line per check; tests/blockcache.sh
 * judges them.
 *
 *   lifo=1      two freed blocks of one size class come back newest first
 *               (jemalloc's arena alone hands out the lowest address first)
 *   shared=1    a block one thread frees is the next malloc of that class
 *               in another thread (nothing is stranded in a thread)
 *   own=1       a block this thread freed is its next malloc of that class
 *               even though another thread freed one of the class after it
 *               (each thread keeps its last frees: the magazines)
 *   exit=1      and the other thread's block, still in its magazine when it
 *               exits, is the next malloc after that (an exiting thread
 *               gives its magazines back to the shared stacks)
 *   consumer=16 16 blocks another thread allocated, freed by a thread that
 *               then stays alive without allocating, are all the next 16
 *               mallocs of their class (a thread that only frees holds
 *               none of them back)
 *   run=N       after freeing `many` blocks of 1 MiB + 1 (class 1.25 MiB),
 *               how many of the next mallocs are those blocks newest first:
 *               the cache's bound in bytes caps it (N x 1.25 MiB <= pool / 16)
 *   med=N       then, with those blocks waiting again (the large classes'
 *               bound reached), 24 blocks of 64 KiB + 1 freed and allocated
 *               again: how many come back newest first (24: the classes up to
 *               128 KiB have a bound of their own, pool / 32)
 *   held=N      of 32 blocks of 1 MiB + 1 that 16 threads free (2 each,
 *               blocks they did not allocate) before idling, how many do
 *               not come back to the next 32 mallocs of the class: what
 *               waits in threads' pending lists, at most pool/16 in all
 *   minor=N     faults in the armed phase of a 2-thread churn of 16 KiB -
 *               4 MiB blocks where every block is freed by the other thread,
 *               bracketed by marker writes to fd -1 ("CHURN-BEGIN" and
 *               "CHURN-END") for strace
 *
 * usage: blockcache [many] [ops]   (defaults 24 and 20000)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ptfreeze.h"

#define CLASS_REQ (((size_t)1 << 20) + 1)
#define MED_REQ (((size_t)64 << 10) + 1)
#define MED_N 24
#define OWN_REQ (((size_t)96 << 10) + 1)
#define CONS_REQ (((size_t)48 << 10) + 1)
#define CONS_N 16
#define RING 64

static void *must(size_t n)
{
	void *p = malloc(n);
	if (p == NULL) {
		fprintf(stderr, "blockcache: malloc(%zu) failed\n", n);
		exit(1);
	}
	memset(p, 1, n < 8192 ? n : 8192);
	return p;
}

static void *freer(void *arg)
{
	free(arg);
	return NULL;
}

static sem_t ready, go;

/* Allocates a block, lets main free one of the class, frees its own after that and exits. */
static void *later(void *arg)
{
	void **b = arg;
	*b = must(OWN_REQ);
	sem_post(&ready);
	sem_wait(&go);
	free(*b);
	return NULL;
}

/* own= and exit= (see the top). */
static void own_and_exit(void)
{
	void *a = must(OWN_REQ), *b = NULL;
	pthread_t t;
	sem_init(&ready, 0, 0);
	sem_init(&go, 0, 0);
	pthread_create(&t, NULL, later, &b);
	sem_wait(&ready);
	free(a);
	sem_post(&go);
	pthread_join(t, NULL);
	void *c = must(OWN_REQ), *d = must(OWN_REQ);
	printf("own=%d\nexit=%d\n", c == a, d == b);
	free(c);
	free(d);
}

/* A single-producer, single-consumer ring per direction. */
struct ring {
	_Atomic size_t head, tail;
	void *q[RING];
};
static struct ring rings[2];
static long nops;

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t pick(uint64_t *s)
{
	return rng(s) % 8 ? 16385 + rng(s) % (112 << 10) : (128 << 10) + rng(s) % (4 << 20);
}

/* Thread `id` allocates into rings[id] and frees what rings[1 - id] holds. */
static void *churn(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct ring *out = &rings[id], *in = &rings[1 - id];
	uint64_t seed = 88172645463325252ull + (uint64_t)id;
	for (long i = 0; i < nops; i++) {
		size_t t = atomic_load(&out->tail);
		if (t - atomic_load(&out->head) < RING) {
			size_t n = pick(&seed);
			char *p = must(n);
			for (size_t o = 0; o < n; o += 4096) {
				p[o] = 2;
			}
			out->q[t % RING] = p;
			atomic_store(&out->tail, t + 1);
		}
		size_t h = atomic_load(&in->head);
		if (h != atomic_load(&in->tail)) {
			free(in->q[h % RING]);
			atomic_store(&in->head, h + 1);
		}
	}
	return NULL;
}

/* A thread's share: frees n blocks it did not allocate, then waits (alive, allocating nothing) for go. */
struct share {
	void **v;
	int n;
};
static void *frees_then_waits(void *arg)
{
	const struct share *sh = arg;
	for (int i = 0; i < sh->n; i++) {
		free(sh->v[i]);
	}
	sem_post(&ready);
	sem_wait(&go);
	return NULL;
}

/*
 * Allocates threads x per blocks of req, has each of `threads` threads free
 * `per` of them and stay alive, then allocates as many again: how many of
 * those are the freed blocks (consumer= and held=, see the top).
 */
#define FREERS_MAX 16
static int freed_by_threads(int threads, int per, size_t req)
{
	enum { MAX = 32 };
	void *v[MAX], *w[MAX];
	pthread_t t[FREERS_MAX];
	struct share sh[FREERS_MAX];
	int n = threads * per, back = 0;
	for (int i = 0; i < n; i++) {
		v[i] = must(req);
	}
	for (int k = 0; k < threads; k++) {
		sh[k] = (struct share){&v[k * per], per};
		pthread_create(&t[k], NULL, frees_then_waits, &sh[k]);
		sem_wait(&ready);
	}
	for (int i = 0; i < n; i++) {
		w[i] = must(req);
		for (int j = 0; j < n; j++) {
			back += w[i] == v[j];
		}
	}
	for (int k = 0; k < threads; k++) {
		sem_post(&go);
	}
	for (int k = 0; k < threads; k++) {
		pthread_join(t[k], NULL);
	}
	for (int i = 0; i < n; i++) {
		free(w[i]);
	}
	return back;
}

/*
 * Allocates n blocks of req into v, frees them, and allocates n again into
 * v: how many of those are the freed blocks, newest first.
 */
static int come_back(void **v, int n, size_t req)
{
	for (int i = 0; i < n; i++) {
		v[i] = must(req);
	}
	for (int i = 0; i < n; i++) {
		free(v[i]);
	}
	int run = 0;
	for (int i = n - 1; i >= 0; i--) {
		void *p = must(req);
		run += run == n - 1 - i && p == v[i];
		v[i] = p;
	}
	return run;
}

int main(int argc, char **argv)
{
	int many = argc > 1 ? atoi(argv[1]) : 24;
	nops = argc > 2 ? atol(argv[2]) : 20000;
	if (many < 2 || many > 4096 || nops < 1) {
		fprintf(stderr, "usage: blockcache [many] [ops]\n");
		return 2;
	}

	void *a = must(CLASS_REQ), *b = must(CLASS_REQ);
	free(a);
	free(b);
	void *c = must(CLASS_REQ), *d = must(CLASS_REQ);
	printf("lifo=%d\n", c == b && d == a);
	free(c);
	free(d);

	void *x = must(2 << 20), *y;
	pthread_t t;
	pthread_create(&t, NULL, freer, x);
	pthread_join(t, NULL);
	y = must(2 << 20);
	printf("shared=%d\n", y == x);
	free(y);
	own_and_exit();
	printf("consumer=%d\n", freed_by_threads(1, CONS_N, CONS_REQ));

	void **v = calloc((size_t)many, sizeof(*v));
	if (v == NULL) {
		return 1;
	}
	printf("run=%d\n", come_back(v, many, CLASS_REQ));
	for (int i = 0; i < many; i++) {
		free(v[i]);
	}
	free(v);
	void *m[MED_N];
	printf("med=%d\n", come_back(m, MED_N, MED_REQ));
	for (int i = 0; i < MED_N; i++) {
		free(m[i]);
	}
	printf("held=%d\n", 2 * FREERS_MAX - freed_by_threads(FREERS_MAX, 2, CLASS_REQ));

	/* Warm up untimed, then the armed phase. */
	long keep = nops;
	nops = keep / 4;
	pthread_t w[2];
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			nops = keep;
			ptfreeze_arm();
			(void)!write(-1, "CHURN-BEGIN", 11);
		}
		struct rusage r0, r1;
		getrusage(RUSAGE_SELF, &r0);
		for (int i = 0; i < 2; i++) {
			pthread_create(&w[i], NULL, churn, (void *)(intptr_t)i);
		}
		for (int i = 0; i < 2; i++) {
			pthread_join(w[i], NULL);
		}
		getrusage(RUSAGE_SELF, &r1);
		if (pass == 1) {
			(void)!write(-1, "CHURN-END", 9);
			printf("minor=%ld\n", r1.ru_minflt - r0.ru_minflt);
		}
	}
	for (int i = 0; i < 2; i++) {
		while (atomic_load(&rings[i].head) != atomic_load(&rings[i].tail)) {
			size_t h = atomic_load(&rings[i].head);
			free(rings[i].q[h % RING]);
			atomic_store(&rings[i].head, h + 1);
		}
	}
	return 0;
}
