/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spans: the blocks of 16 KiB - 16 MiB that the block cache does not hold
 * (src/spans.c), from outside (tests/spans.sh).
 *
 * usage: spans stress THREADS OPS
 *   Each thread keeps 64 blocks of random sizes (16 KiB - 4 MiB, a few
 *   smaller: 0.6 MiB on average), each filled with a pattern of its own,
 *   and replaces random ones OPS times: a third of the new blocks go to the
 *   next thread, which checks and frees them (cross-thread frees; at most
 *   RING wait); a sixth are grown or shrunk
 *   with realloc, which must keep the bytes; malloc_usable_size must hold
 *   the size.  Between two rounds (ptfreeze_arm() after the first) the main
 *   thread forks a child that checks, frees and replaces the blocks it
 *   inherited.  Prints "faults: minor=N" for the armed round (getrusage)
 *   and "pid: N" (whose report is the one to read),
 *   which writes "CHURN-BEGIN" and "CHURN-END" to fd -1 for strace.
 * usage: spans giveback LARGE SMALL [mmap]
 *   Allocates LARGE bytes of 1 MiB blocks, frees them, arms, then
 *   allocates SMALL bytes of 8 KiB blocks (jemalloc's own sizes) and keeps
 *   them: in a pool sized for one of the two, the second must find the
 *   memory the first freed.  With mmap, the second is SMALL bytes of
 *   anonymous mappings of 1 MiB (served from the pool), each checked to
 *   read zero before it is written.
 * usage: spans mapfirst LARGE
 *   Maps LARGE bytes of anonymous mappings of 64 KiB - 4 MiB, writes them,
 *   unmaps them all, arms, then allocates LARGE bytes of 1 MiB blocks and keeps
 *   them: the blocks must find the pages the mappings had (spans serves
 *   both), not a pool grown past them.
 * usage: spans mapparts ROUNDS
 *   Keeps 8 anonymous mappings of 256 KiB - 4 MiB, each filled with a
 *   pattern of its own, and each round takes one apart: a page-aligned
 *   middle unmapped and mapped again (it must read zero), in every other
 *   round the head made read-only and writable again, the tail unmapped;
 *   every byte still mapped is checked after each step, then the rest is
 *   unmapped and a new mapping takes the slot.
 * usage: spans mapsignal MS
 *   For MS milliseconds the main thread allocates, writes and frees blocks
 *   of 20 KiB - 1 MiB (spans' blocks) while a timer's SIGALRM handler, every
 *   100 us, maps 64-256 KiB, writes it, and unmaps it in two parts: the
 *   handler may interrupt the main thread inside spans, and a mapping must
 *   then do without spans rather than wait for it forever.  Prints
 *   "handled: N" (the handler's runs).
 * Exit 0, or 1 with a line on stderr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ptfreeze.h"

#define SLOTS 64
#define RING 64

struct blk {
	unsigned char *p;
	size_t n;
	unsigned char tag;
};

struct ring {
	pthread_mutex_t mu;
	struct blk q[RING];
	size_t head, tail;
};

static int nthreads;
static long ops;
static struct ring *rings;
static struct blk set[16][SLOTS];

static void die(const char *what)
{
	fprintf(stderr, "spans: %s\n", what);
	exit(1);
}

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t pick(uint64_t *s)
{
	unsigned r = (unsigned)(rng(s) % 16);
	if (r == 0) {
		return 1 + rng(s) % (16 << 10); /* jemalloc's or the front's */
	}
	if (r < 12) {
		return (16 << 10) + rng(s) % (112 << 10);
	}
	return (128 << 10) + rng(s) % ((4 << 20) - (128 << 10));
}

/* The pattern of a block: its tag (plus the index) at every 512th byte but the last, and the tag at the last. */
static void fill(struct blk *b)
{
	for (size_t i = 0; i + 1 < b->n; i += 512) {
		b->p[i] = (unsigned char)(b->tag + i / 512);
	}
	b->p[b->n - 1] = b->tag;
}

/* The pattern below upto; and the last byte if upto is the whole block. */
static void check(const struct blk *b, size_t upto, const char *where)
{
	for (size_t i = 0; i < upto && i + 1 < b->n; i += 512) {
		if (b->p[i] != (unsigned char)(b->tag + i / 512)) {
			fprintf(stderr, "spans: %s: block %p of %zu bytes lost byte %zu\n", where, (void *)b->p, b->n, i);
			exit(1);
		}
	}
	if (upto == b->n && b->p[b->n - 1] != b->tag) {
		fprintf(stderr, "spans: %s: block %p of %zu bytes lost its last byte\n", where, (void *)b->p, b->n);
		exit(1);
	}
}

static void new_block(struct blk *b, uint64_t *s)
{
	b->n = pick(s);
	b->tag = (unsigned char)rng(s);
	if ((b->p = malloc(b->n)) == NULL) {
		die("malloc failed");
	}
	if (malloc_usable_size(b->p) < b->n) {
		die("malloc_usable_size below the size asked");
	}
	fill(b);
}

static void resize(struct blk *b, uint64_t *s)
{
	size_t n = pick(s), keep = n < b->n ? n : b->n;
	unsigned char *q = realloc(b->p, n);
	if (q == NULL) {
		die("realloc failed");
	}
	b->p = q;
	check(b, keep - 1, "realloc"); /* the pattern below the smaller size (not the old last byte) */
	b->n = n;
	fill(b);
}

static void drain(struct ring *r);

static void push(struct ring *r, struct blk b)
{
	for (;;) {
		pthread_mutex_lock(&r->mu);
		if (r->tail - r->head < RING) {
			r->q[r->tail++ % RING] = b;
			pthread_mutex_unlock(&r->mu);
			return;
		}
		pthread_mutex_unlock(&r->mu);
		drain(r); /* full: its owner is behind (or done), so the pusher frees them (cross-thread too) */
	}
}

static void drain(struct ring *r)
{
	pthread_mutex_lock(&r->mu);
	while (r->head != r->tail) {
		struct blk b = r->q[r->head++ % RING];
		check(&b, b.n, "cross-thread free");
		free(b.p);
	}
	pthread_mutex_unlock(&r->mu);
}

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(t + 1);
	struct blk *mine = set[t];
	for (long i = 0; i < ops; i++) {
		struct blk *b = &mine[rng(&s) % SLOTS];
		check(b, b->n, "own free");
		unsigned r = (unsigned)(rng(&s) % 6);
		if (r == 0) {
			resize(b, &s);
			continue;
		}
		free(b->p);
		new_block(b, &s);
		if (r < 3 && nthreads > 1) {
			struct blk out;
			new_block(&out, &s);
			push(&rings[(t + 1) % nthreads], out);
		}
		if (i % 16 == 0) {
			drain(&rings[t]);
		}
	}
	drain(&rings[t]);
	return NULL;
}

static void round_of(void)
{
	pthread_t th[16];
	for (int t = 0; t < nthreads; t++) {
		if (pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) != 0) {
			die("pthread_create failed");
		}
	}
	for (int t = 0; t < nthreads; t++) {
		pthread_join(th[t], NULL);
	}
	for (int t = 0; t < nthreads; t++) {
		drain(&rings[t]); /* a neighbour's last pushes */
	}
}

static void child(void)
{
	uint64_t s = 42;
	for (int t = 0; t < nthreads; t++) {
		for (int i = 0; i < SLOTS; i++) {
			check(&set[t][i], set[t][i].n, "fork child");
			free(set[t][i].p);
			new_block(&set[t][i], &s);
		}
	}
	_exit(0);
}

static int stress(int argc, char **argv)
{
	nthreads = argc > 2 ? atoi(argv[2]) : 2;
	ops = argc > 3 ? atol(argv[3]) : 20000;
	if (nthreads < 1 || nthreads > 16 || ops < 1) {
		die("usage: spans stress THREADS(1-16) OPS");
	}
	rings = calloc((size_t)nthreads, sizeof(*rings));
	if (rings == NULL) {
		die("calloc failed");
	}
	uint64_t s = 7;
	for (int t = 0; t < nthreads; t++) {
		pthread_mutex_init(&rings[t].mu, NULL);
		for (int i = 0; i < SLOTS; i++) {
			new_block(&set[t][i], &s);
		}
	}
	round_of();
	(void)ptfreeze_arm();
	struct rusage a, b;
	getrusage(RUSAGE_SELF, &a);
	(void)!write(-1, "CHURN-BEGIN", 11); /* markers for strace (tests/lib.sh, armed_quiet) */
	round_of();
	(void)!write(-1, "CHURN-END", 9);
	getrusage(RUSAGE_SELF, &b);
	(void)ptfreeze_disarm();
	pid_t pid = fork();
	if (pid < 0) {
		die("fork failed");
	}
	if (pid == 0) {
		child();
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		die("the fork child failed");
	}
	round_of();
	printf("faults: minor=%ld\npid: %ld\n", b.ru_minflt - a.ru_minflt, (long)getpid());
	return 0;
}

static int giveback(int argc, char **argv)
{
	if (argc != 4 && !(argc == 5 && strcmp(argv[4], "mmap") == 0)) {
		die("usage: spans giveback LARGE SMALL [mmap]");
	}
	bool maps = argc == 5;
	size_t large = strtoul(argv[2], NULL, 0), small = strtoul(argv[3], NULL, 0);
	size_t nl = large >> 20;
	void **l = calloc(nl, sizeof(*l));
	if (l == NULL) {
		die("calloc failed");
	}
	for (size_t i = 0; i < nl; i++) {
		if ((l[i] = malloc((size_t)1 << 20)) == NULL) {
			die("malloc of 1 MiB failed");
		}
		memset(l[i], 1, (size_t)1 << 20);
	}
	for (size_t i = 0; i < nl; i++) {
		free(l[i]);
	}
	(void)ptfreeze_arm();
	for (size_t got = 0; maps && got < small; got += (size_t)1 << 20) {
		char *p = mmap(NULL, (size_t)1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			die("mmap of 1 MiB failed");
		}
		for (size_t i = 0; i < ((size_t)1 << 20); i += 512) {
			if (p[i] != 0) {
				die("an anonymous mapping did not read zero");
			}
		}
		memset(p, 2, (size_t)1 << 20);
	}
	for (size_t got = 0; !maps && got < small; got += 8192) {
		char *p = malloc(8192);
		if (p == NULL) {
			die("malloc of 8 KiB failed");
		}
		memset(p, 2, 8192);
	}
	return 0;
}

static int mapfirst(int argc, char **argv)
{
	if (argc != 3) {
		die("usage: spans mapfirst LARGE");
	}
	size_t large = strtoul(argv[2], NULL, 0);
	uint64_t s = 0x9e3779b97f4a7c15u;
	struct blk *maps = calloc(large / (64 << 10) + 1, sizeof(*maps));
	size_t nmaps = 0;
	if (maps == NULL) {
		die("calloc failed");
	}
	for (size_t got = 0; got < large; got += maps[nmaps++].n) {
		size_t n = ((size_t)16 + rng(&s) % (1024 - 16 + 1)) << 12; /* 64 KiB - 4 MiB */
		n = n < large - got ? n : large - got;
		maps[nmaps].p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps[nmaps].p == MAP_FAILED) {
			die("mmap failed");
		}
		memset(maps[nmaps].p, 3, n);
		maps[nmaps].n = n;
	}
	for (size_t i = 0; i < nmaps; i++) {
		munmap(maps[i].p, maps[i].n);
	}
	(void)ptfreeze_arm();
	for (size_t got = 0; got < large; got += (size_t)1 << 20) {
		char *p = malloc((size_t)1 << 20);
		if (p == NULL) {
			die("malloc of 1 MiB failed");
		}
		memset(p, 4, (size_t)1 << 20);
	}
	return 0;
}

#define PG ((size_t)4096)

struct part {
	unsigned char *p;
	size_t n;
	unsigned tag;
};

static unsigned char pat(const struct part *m, size_t i) { return (unsigned char)(m->tag * 131u + i / PG * 7u + i); }

static void fill_part(const struct part *m, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		m->p[i] = pat(m, i);
	}
}

static void check_part(const struct part *m, size_t from, size_t to, const char *when)
{
	for (size_t i = from; i < to; i++) {
		if (m->p[i] != pat(m, i)) {
			fprintf(stderr, "spans: mapparts: byte %zu of a %zu-byte mapping changed %s\n", i, m->n, when);
			exit(1);
		}
	}
}

static void map_part(struct part *m, uint64_t *s, unsigned tag)
{
	m->n = ((size_t)64 + rng(s) % (1024 - 64 + 1)) * PG; /* 256 KiB - 4 MiB */
	m->p = mmap(NULL, m->n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->p == MAP_FAILED) {
		die("mmap failed");
	}
	for (size_t i = 0; i < m->n; i += 64) {
		if (m->p[i] != 0) {
			die("mapparts: a new mapping did not read zero");
		}
	}
	m->tag = tag;
	fill_part(m, 0, m->n);
}

static int mapparts(int argc, char **argv)
{
	if (argc != 3) {
		die("usage: spans mapparts ROUNDS");
	}
	long rounds = strtol(argv[2], NULL, 0);
	uint64_t s = 0x2545f4914f6cdd1du;
	struct part m[8];
	for (unsigned k = 0; k < 8; k++) {
		map_part(&m[k], &s, k);
	}
	(void)ptfreeze_arm();
	for (long r = 0; r < rounds; r++) {
		struct part *x = &m[rng(&s) % 8];
		size_t pages = x->n / PG;
		size_t a = 1 + rng(&s) % (pages / 3), b = pages - 1 - rng(&s) % (pages / 3); /* head [0,a), tail [b,pages) */
		size_t c = a + (b - a) / 3, d = b - (b - a) / 3; /* middle [c,d) */
		munmap(x->p + c * PG, (d - c) * PG);
		check_part(x, 0, c * PG, "after its middle was unmapped");
		check_part(x, d * PG, x->n, "after its middle was unmapped");
		struct part hole = {0};
		map_part(&hole, &s, (unsigned)r + 100); /* may take the middle's pages: must read zero */
		if (r % 2) {
			mprotect(x->p, a * PG, PROT_READ);
			check_part(x, 0, c * PG, "after its head was made read-only");
			mprotect(x->p, a * PG, PROT_READ | PROT_WRITE);
			fill_part(x, 0, a * PG);
		}
		munmap(x->p + b * PG, x->n - b * PG);
		check_part(x, 0, c * PG, "after its tail was unmapped");
		check_part(x, d * PG, b * PG, "after its tail was unmapped");
		check_part(&hole, 0, hole.n, "while another was taken apart");
		munmap(hole.p, hole.n);
		munmap(x->p, c * PG);
		munmap(x->p + d * PG, (b - d) * PG);
		for (unsigned k = 0; k < 8; k++) {
			if (&m[k] != x) {
				check_part(&m[k], 0, m[k].n, "while another was taken apart");
			}
		}
		map_part(x, &s, (unsigned)r + 8);
	}
	return 0;
}

static volatile sig_atomic_t handled, handler_failed;

static void on_alarm(int sig)
{
	(void)sig;
	static uint64_t hs = 0x853c49e6748fea9bu;
	size_t n = ((size_t)16 + rng(&hs) % 49) * PG; /* 64 - 256 KiB */
	unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		handler_failed = 1;
		return;
	}
	for (size_t i = 0; i < n; i += PG) {
		if (p[i] != 0) {
			handler_failed = 2;
		}
		p[i] = 1;
	}
	munmap(p, n / 2 & ~(PG - 1));
	munmap(p + (n / 2 & ~(PG - 1)), n - (n / 2 & ~(PG - 1)));
	handled++;
}

static int mapsignal(int argc, char **argv)
{
	if (argc != 3) {
		die("usage: spans mapsignal MS");
	}
	long ms = strtol(argv[2], NULL, 0);
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0) {
		die("sigaction failed");
	}
	struct itimerval it = {{0, 100}, {0, 100}};
	if (setitimer(ITIMER_REAL, &it, NULL) != 0) {
		die("setitimer failed");
	}
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t s = 0x94d049bb133111ebu;
	void *keep[32] = {0};
	do {
		for (int k = 0; k < 1000; k++) {
			unsigned j = (unsigned)(rng(&s) % 32);
			free(keep[j]);
			size_t n = 20480 + rng(&s) % ((1u << 20) - 20480);
			unsigned char *p = malloc(n);
			if (p == NULL) {
				die("malloc failed");
			}
			p[0] = p[n - 1] = 1;
			keep[j] = p;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	if (handler_failed) {
		fprintf(stderr, "spans: mapsignal: %s\n", handler_failed == 1 ? "mmap failed in the handler" : "a mapping did not read zero");
		return 1;
	}
	printf("handled: %ld\n", (long)handled);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "mapsignal") == 0) {
		return mapsignal(argc, argv);
	}
	if (argc >= 2 && strcmp(argv[1], "mapfirst") == 0) {
		return mapfirst(argc, argv);
	}
	if (argc >= 2 && strcmp(argv[1], "mapparts") == 0) {
		return mapparts(argc, argv);
	}
	if (argc >= 2 && strcmp(argv[1], "stress") == 0) {
		return stress(argc, argv);
	}
	if (argc >= 2 && strcmp(argv[1], "giveback") == 0) {
		return giveback(argc, argv);
	}
	die("usage: spans stress THREADS OPS | spans giveback LARGE SMALL [mmap] | spans mapfirst LARGE | spans mapparts ROUNDS | spans mapsignal MS");
	return 1;
}
