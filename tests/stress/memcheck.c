/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * memcheck: memory integrity under the allocator.  THREADS threads keep
 * SLOTS live blocks each and, OPS times, take one of them through malloc,
 * calloc, posix_memalign / aligned_alloc / memalign (alignments 16 B to
 * 64 KiB), realloc growth and shrink, anonymous mmap, mremap growth and
 * shrink, munmap and free.  Every block is filled with a pattern that is a
 * function of its own seed and the byte's offset, and every byte is checked
 * before the block is resized, handed on or given back: the prefix kept by
 * realloc/mremap, the zeroes of calloc and of fresh mappings, the whole
 * block when freed.  A fifth of the blocks are handed to another thread
 * through a queue and checked and freed there.
 *
 * Run in two halves; with --arm, main calls ptfreeze_arm() between them, so
 * blocks made before arming are resized and freed after it.  With
 * --strict-ok, a call refused with EPERM (strict mode refuses remapping
 * what was mapped before arming) is counted, and the block must be intact
 * and still usable.  Main writes the markers MEMCHECK-ARMED after the
 * second half starts and MEMCHECK-END when it is over to descriptor -1,
 * so strace shows which system calls the second half made.
 *
 * First, every alignment from 8 B to 64 KiB with sizes 1 to 80 bytes.
 * Prints one line of figures and "memcheck: ok"; status 1 with the first
 * wrong byte (thread, kind, offset, expected, found), 2 on bad usage, 3 on
 * an allocation failure.
 * usage: memcheck [--threads N] [--ops N] [--slots N] [--seed N] [--arm] [--strict-ok]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ptfreeze.h"

#define PAGE 4096
#define MAX_THREADS 16
#define QUEUE_CAP 4096

enum how { HOW_MALLOC, HOW_CALLOC, HOW_POSIX_MEMALIGN, HOW_ALIGNED_ALLOC, HOW_MEMALIGN, HOW_MMAP, NHOW };
static const char *const how_name[NHOW] = {"malloc", "calloc", "posix_memalign", "aligned_alloc", "memalign", "mmap"};

struct block {
	unsigned char *p;
	size_t len;
	uint64_t seed;
	enum how how;
};

struct stats {
	uint64_t blocks[NHOW];
	uint64_t bytes_verified, bytes_written;
	uint64_t realloc_grow, realloc_shrink, mremap_grow, mremap_shrink, handed, received, refused;
};

static int nthreads = 4, slots = 96;
static long ops = 4000;
static uint64_t base_seed = 1;
static bool strict_ok;
static _Atomic bool failed;

/* The cross-thread queue: blocks one thread made and another frees. */
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static struct block queue[QUEUE_CAP];
static size_t qhead, qlen;

static pthread_barrier_t halfway, armed_barrier, finished, released;

/* ---- the pattern ---- */

static inline uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline unsigned char pattern_byte(uint64_t seed, size_t i)
{
	return (unsigned char)(mix(seed ^ (i >> 3)) >> ((i & 7) * 8));
}

/* Writes the block's pattern over [from, to). */
static void fill(struct stats *st, const struct block *b, size_t from, size_t to)
{
	size_t i = from;
	for (; i < to && (i & 7); i++) {
		b->p[i] = pattern_byte(b->seed, i);
	}
	for (; i + 8 <= to; i += 8) {
		uint64_t w = mix(b->seed ^ (i >> 3));
		memcpy(b->p + i, &w, 8);
	}
	for (; i < to; i++) {
		b->p[i] = pattern_byte(b->seed, i);
	}
	st->bytes_written += to - from;
}

static void report_bad(int t, const struct block *b, size_t i, unsigned expect, const char *what)
{
	if (!atomic_exchange(&failed, true)) {
		fprintf(stderr, "memcheck: thread %d: %s block %p of %zu bytes (%s): byte %zu is 0x%02x, want 0x%02x\n", t,
			what, (void *)b->p, b->len, how_name[b->how], i, b->p[i], expect);
	}
}

/* Checks the pattern over [0, len); false (and a message) on the first wrong byte. */
static bool verify(struct stats *st, int t, const struct block *b, size_t len, const char *what)
{
	size_t i = 0;
	for (; i < len && (i & 7); i++) {
		if (b->p[i] != pattern_byte(b->seed, i)) {
			report_bad(t, b, i, pattern_byte(b->seed, i), what);
			return false;
		}
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t w = mix(b->seed ^ (i >> 3)), got;
		memcpy(&got, b->p + i, 8);
		if (got != w) {
			for (size_t k = i; k < i + 8; k++) {
				if (b->p[k] != pattern_byte(b->seed, k)) {
					report_bad(t, b, k, pattern_byte(b->seed, k), what);
					return false;
				}
			}
		}
	}
	for (; i < len; i++) {
		if (b->p[i] != pattern_byte(b->seed, i)) {
			report_bad(t, b, i, pattern_byte(b->seed, i), what);
			return false;
		}
	}
	st->bytes_verified += len;
	return true;
}

static bool verify_zero(struct stats *st, int t, const struct block *b, size_t from, size_t to, const char *what)
{
	for (size_t i = from; i < to; i++) {
		if (b->p[i] != 0) {
			report_bad(t, b, i, 0, what);
			return false;
		}
	}
	st->bytes_verified += to - from;
	return true;
}

/* ---- one thread ---- */

struct worker {
	pthread_t tid;
	int t;
	unsigned rng;
	struct block *slot;
	struct stats st;
};

static unsigned rnd(struct worker *w) { return (unsigned)rand_r(&w->rng); }

static size_t pick_size(struct worker *w)
{
	unsigned r = rnd(w) % 1000;
	if (r < 600) {
		return 1 + rnd(w) % 1024;
	}
	if (r < 900) {
		return 1024 + rnd(w) % (63 * 1024);
	}
	if (r < 995) {
		return 64 * 1024 + rnd(w) % (960 * 1024);
	}
	return (1u << 20) + rnd(w) % (3u << 20);
}

static void die_alloc(struct worker *w, const char *what, size_t len)
{
	if (!atomic_exchange(&failed, true)) {
		fprintf(stderr, "memcheck: thread %d: %s of %zu bytes failed: %s\n", w->t, what, len, strerror(errno));
	}
	exit(3);
}

static void make_block(struct worker *w, struct block *b)
{
	b->how = (enum how)(rnd(w) % NHOW);
	b->len = pick_size(w);
	b->seed = mix(base_seed ^ ((uint64_t)w->t << 48) ^ ((uint64_t)rnd(w) << 16) ^ rnd(w));
	size_t align = (size_t)16 << (rnd(w) % 13); /* 16 B .. 64 KiB */
	void *p = NULL;
	errno = 0;
	switch (b->how) {
	case HOW_MALLOC:
		p = malloc(b->len);
		break;
	case HOW_CALLOC: {
		size_t n = 1 + rnd(w) % 8;
		b->len = (b->len + n - 1) / n * n;
		p = calloc(n, b->len / n);
		break;
	}
	case HOW_POSIX_MEMALIGN: {
		int r = posix_memalign(&p, align, b->len);
		if (r != 0) {
			errno = r;
			p = NULL;
		}
		break;
	}
	case HOW_ALIGNED_ALLOC:
		b->len = (b->len + align - 1) / align * align;
		p = aligned_alloc(align, b->len);
		break;
	case HOW_MEMALIGN:
		p = memalign(align, b->len);
		break;
	case HOW_MMAP:
		b->len = (b->len + PAGE - 1) / PAGE * PAGE;
		p = mmap(NULL, b->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			p = NULL;
		}
		break;
	default:
		break;
	}
	if (p == NULL) {
		die_alloc(w, how_name[b->how], b->len);
	}
	b->p = p;
	if (b->how >= HOW_POSIX_MEMALIGN && b->how <= HOW_MEMALIGN && ((uintptr_t)p & (align - 1))) {
		atomic_store(&failed, true);
		fprintf(stderr, "memcheck: thread %d: %s(%zu, %zu) returned %p, misaligned\n", w->t, how_name[b->how], align,
			b->len, p);
		return;
	}
	if (b->how != HOW_MMAP && malloc_usable_size(p) < b->len) {
		atomic_store(&failed, true);
		fprintf(stderr, "memcheck: thread %d: malloc_usable_size(%p) = %zu < %zu\n", w->t, p, malloc_usable_size(p),
			b->len);
		return;
	}
	if (b->how == HOW_CALLOC || b->how == HOW_MMAP) {
		verify_zero(&w->st, w->t, b, 0, b->len, b->how == HOW_MMAP ? "a fresh mapping is not zero:" : "calloc:");
	}
	w->st.blocks[b->how]++;
	fill(&w->st, b, 0, b->len);
}

static void drop_block(struct worker *w, struct block *b)
{
	verify(&w->st, w->t, b, b->len, "freed");
	if (b->how == HOW_MMAP) {
		if (munmap(b->p, b->len) != 0) {
			if (!(strict_ok && errno == EPERM)) {
				die_alloc(w, "munmap", b->len);
			}
			w->st.refused++; /* refused: the mapping stays, still intact */
			verify(&w->st, w->t, b, b->len, "after a refused munmap");
		}
	} else {
		free(b->p);
	}
	b->p = NULL;
}

static void resize_block(struct worker *w, struct block *b)
{
	bool grow = rnd(w) & 1;
	size_t len = grow ? b->len + 1 + rnd(w) % (b->len < 65536 ? 2 * b->len + 64 : 262144)
			  : (b->len > 1 ? 1 + rnd(w) % (b->len - 1) : 1);
	if (b->how == HOW_MMAP) {
		len = (len + PAGE - 1) / PAGE * PAGE;
		if (len == b->len) {
			return;
		}
		grow = len > b->len;
		void *p = mremap(b->p, b->len, len, MREMAP_MAYMOVE);
		if (p == MAP_FAILED) {
			if (!(strict_ok && errno == EPERM)) {
				die_alloc(w, "mremap", len);
			}
			w->st.refused++;
			verify(&w->st, w->t, b, b->len, "after a refused mremap");
			return;
		}
		b->p = p;
		if (grow) {
			verify(&w->st, w->t, b, b->len, "kept by mremap");
			verify_zero(&w->st, w->t, &(struct block){p, len, b->seed, b->how}, b->len, len,
				    "new pages from mremap are not zero:");
			size_t old = b->len;
			b->len = len;
			fill(&w->st, b, old, len);
			w->st.mremap_grow++;
		} else {
			b->len = len;
			verify(&w->st, w->t, b, len, "kept by mremap shrink");
			w->st.mremap_shrink++;
		}
		return;
	}
	size_t old = b->len;
	void *p = realloc(b->p, len);
	if (p == NULL) {
		die_alloc(w, "realloc", len);
	}
	b->p = p;
	b->how = b->how == HOW_CALLOC ? HOW_MALLOC : b->how;
	b->len = len;
	verify(&w->st, w->t, b, old < len ? old : len, grow ? "kept by realloc growth" : "kept by realloc shrink");
	if (len > old) {
		fill(&w->st, b, old, len);
		w->st.realloc_grow++;
	} else {
		w->st.realloc_shrink++;
	}
}

static bool hand_off(struct block *b)
{
	pthread_mutex_lock(&qlock);
	bool ok = qlen < QUEUE_CAP;
	if (ok) {
		queue[(qhead + qlen++) % QUEUE_CAP] = *b;
	}
	pthread_mutex_unlock(&qlock);
	return ok;
}

static bool take(struct block *b)
{
	pthread_mutex_lock(&qlock);
	bool ok = qlen > 0;
	if (ok) {
		*b = queue[qhead];
		qhead = (qhead + 1) % QUEUE_CAP;
		qlen--;
	}
	pthread_mutex_unlock(&qlock);
	return ok;
}

static void run_half(struct worker *w, long n)
{
	for (long k = 0; k < n && !atomic_load(&failed); k++) {
		struct block *b = &w->slot[rnd(w) % (unsigned)slots];
		if (b->p == NULL) {
			make_block(w, b);
			continue;
		}
		unsigned r = rnd(w) % 10;
		if (r < 4) {
			drop_block(w, b);
		} else if (r < 8) {
			resize_block(w, b);
		} else if (hand_off(b)) {
			w->st.handed++;
			b->p = NULL;
		}
		struct block got;
		if ((rnd(w) & 3) == 0 && take(&got)) {
			w->st.received++;
			drop_block(w, &got);
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	run_half(w, ops / 2);
	pthread_barrier_wait(&halfway);      /* main arms here (with --arm) */
	pthread_barrier_wait(&armed_barrier);
	run_half(w, ops - ops / 2);
	for (int i = 0; i < slots; i++) {
		if (w->slot[i].p) {
			drop_block(w, &w->slot[i]);
		}
	}
	/* Exit after the end marker: glibc trims an exiting thread's stack with madvise. */
	pthread_barrier_wait(&finished);
	pthread_barrier_wait(&released);
	return NULL;
}

/*
 * Every alignment with the smallest sizes, where an allocator's tiny size
 * classes are aligned less than asked: deterministic, unlike the threads.
 */
static int alignment_sweep(void)
{
	int bad = 0;
	for (size_t align = 8; align <= 65536; align <<= 1) {
		for (size_t n = 1; n <= 80; n++) {
			void *p[3] = {NULL, NULL, NULL};
			if (posix_memalign(&p[0], align, n) != 0) {
				p[0] = NULL;
			}
			p[1] = aligned_alloc(align, n);
			p[2] = memalign(align, n);
			for (int k = 0; k < 3; k++) {
				if (p[k] == NULL || ((uintptr_t)p[k] & (align - 1))) {
					if (bad++ < 5) {
						fprintf(stderr, "memcheck: %s(%zu, %zu) returned %p\n",
							k == 0 ? "posix_memalign" : k == 1 ? "aligned_alloc" : "memalign", align, n, p[k]);
					}
				}
				free(p[k]);
			}
		}
	}
	return bad;
}

/* A line in strace's log, nothing else: descriptor -1 fails with EBADF. */
static void marker(const char *m)
{
	if (write(-1, m, strlen(m)) < 0) {
		return;
	}
}

static long arg_num(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "memcheck: %s needs a number\n", argv[*i]);
		exit(2);
	}
	return atol(argv[++*i]);
}

int main(int argc, char **argv)
{
	bool arm = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--threads") == 0) {
			nthreads = (int)arg_num(argc, argv, &i);
		} else if (strcmp(argv[i], "--ops") == 0) {
			ops = arg_num(argc, argv, &i);
		} else if (strcmp(argv[i], "--slots") == 0) {
			slots = (int)arg_num(argc, argv, &i);
		} else if (strcmp(argv[i], "--seed") == 0) {
			base_seed = (uint64_t)arg_num(argc, argv, &i);
		} else if (strcmp(argv[i], "--arm") == 0) {
			arm = true;
		} else if (strcmp(argv[i], "--strict-ok") == 0) {
			strict_ok = true;
		} else {
			fprintf(stderr, "usage: memcheck [--threads N] [--ops N] [--slots N] [--seed N] [--arm] [--strict-ok]\n");
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS || slots < 1 || ops < 2) {
		fprintf(stderr, "memcheck: threads 1 to %d, slots and ops positive\n", MAX_THREADS);
		return 2;
	}
	if (alignment_sweep() != 0) {
		return 1;
	}
	ptfreeze_armed(); /* resolve it before the threads start */
	static struct worker w[MAX_THREADS];
	pthread_barrier_init(&halfway, NULL, (unsigned)nthreads + 1);
	pthread_barrier_init(&armed_barrier, NULL, (unsigned)nthreads + 1);
	pthread_barrier_init(&finished, NULL, (unsigned)nthreads + 1);
	pthread_barrier_init(&released, NULL, (unsigned)nthreads + 1);
	for (int t = 0; t < nthreads; t++) {
		w[t].t = t;
		w[t].rng = (unsigned)(base_seed * 1000003u + (uint64_t)t);
		w[t].slot = calloc((size_t)slots, sizeof(struct block));
		if (w[t].slot == NULL || pthread_create(&w[t].tid, NULL, worker_main, &w[t]) != 0) {
			fprintf(stderr, "memcheck: cannot start thread %d\n", t);
			return 3;
		}
	}
	pthread_barrier_wait(&halfway);
	int armed = arm ? ptfreeze_arm() : -1;
	if (arm && armed != 0) {
		fprintf(stderr, "memcheck: --arm: ptfreeze_arm() returned %d (no shim?)\n", armed);
	}
	marker("MEMCHECK-ARMED");
	pthread_barrier_wait(&armed_barrier);
	struct stats sum = {0};
	pthread_barrier_wait(&finished);
	marker("MEMCHECK-END");
	pthread_barrier_wait(&released);
	for (int t = 0; t < nthreads; t++) {
		pthread_join(w[t].tid, NULL);
	}
	/* What is left in the queue is checked and freed by main: one more thread. */
	struct worker last = {.t = nthreads};
	struct block b;
	while (take(&b)) {
		last.st.received++;
		drop_block(&last, &b);
	}
	for (int t = 0; t <= nthreads; t++) {
		const struct stats *s = t < nthreads ? &w[t].st : &last.st;
		for (int h = 0; h < NHOW; h++) {
			sum.blocks[h] += s->blocks[h];
		}
		sum.bytes_verified += s->bytes_verified;
		sum.bytes_written += s->bytes_written;
		sum.realloc_grow += s->realloc_grow;
		sum.realloc_shrink += s->realloc_shrink;
		sum.mremap_grow += s->mremap_grow;
		sum.mremap_shrink += s->mremap_shrink;
		sum.handed += s->handed;
		sum.received += s->received;
		sum.refused += s->refused;
	}
	uint64_t blocks = 0;
	for (int h = 0; h < NHOW; h++) {
		blocks += sum.blocks[h];
	}
	printf("memcheck: threads %d, blocks %llu (malloc %llu, calloc %llu, posix_memalign %llu, aligned_alloc %llu, "
	       "memalign %llu, mmap %llu), bytes verified %llu, bytes written %llu, realloc grow %llu shrink %llu, "
	       "mremap grow %llu shrink %llu, freed by another thread %llu, refused %llu, armed %s",
	       nthreads, (unsigned long long)blocks, (unsigned long long)sum.blocks[0], (unsigned long long)sum.blocks[1],
	       (unsigned long long)sum.blocks[2], (unsigned long long)sum.blocks[3], (unsigned long long)sum.blocks[4],
	       (unsigned long long)sum.blocks[5], (unsigned long long)sum.bytes_verified,
	       (unsigned long long)sum.bytes_written, (unsigned long long)sum.realloc_grow,
	       (unsigned long long)sum.realloc_shrink, (unsigned long long)sum.mremap_grow,
	       (unsigned long long)sum.mremap_shrink, (unsigned long long)sum.received, (unsigned long long)sum.refused,
	       armed == 0 ? "yes" : "no");
	printf("\n");
	if (atomic_load(&failed)) {
		return 1;
	}
	if (sum.handed != sum.received) {
		fprintf(stderr, "memcheck: %llu blocks handed on, %llu received\n", (unsigned long long)sum.handed,
			(unsigned long long)sum.received);
		return 1;
	}
	printf("memcheck: ok\n");
	return 0;
}
