/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * latency: per-operation latency of an allocator under a replacing
 * workload.  Each thread builds a working set of mixed sizes (16 B - 4 MiB:
 * 80% small up to 1 KiB, 18% medium up to 128 KiB, 2% large above glibc's
 * 128 KiB mmap threshold), churns it untimed to reach a steady state, then
 * (after ptfreeze_arm(), a no-op without the shim) replaces random blocks:
 * each free and each malloc-plus-touch (one byte per 4 KiB page) is timed
 * with CLOCK_MONOTONIC into a per-thread histogram.  The measured phase is
 * bracketed by strace markers ("MEASURE-BEGIN"/"MEASURE-END") and its page
 * faults counted with getrusage.  Nothing in the measured loop allocates
 * except the operation timed.
 *
 * Cross-thread frees (-x): the threads form a ring.  A replacement still
 * frees the chosen slot's block and mallocs (and touches) a new one, each
 * timed, but the new block goes to the next thread through a lock-free
 * single-producer queue and the slot is refilled, untimed, with a block the
 * previous thread allocated; so every free after the warm-up is of a block
 * another thread allocated.  Each queue starts with a slack of blocks (half
 * of the thread's share of -n, at most RING_SLACK) so a thread rarely waits
 * for its neighbour: every thread works all the time, and the "handoff:"
 * line counts the waits there were.
 *
 * usage: latency [-n blocks] [-o ops] [-w warmup-ops] [-t threads] [-m] [-c] [-C rate] [-x] [-s seed] [-v] [-e]
 *   -n  blocks in the working set, shared out between threads (default 2000)
 *   -o  measured replacements in all threads (default 100000)
 *   -w  untimed replacements before arming (default: half of -o)
 *   -t  worker threads (default 1; 0: one per online CPU)
 *   -m  one block in 8 is an anonymous mmap/munmap buffer instead of malloc/free
 *   -c  a background thread maps 1 MiB, touches it, mprotects half of it and
 *       unmaps it, over and over, during the measured phase
 *   -C  the churn thread's pace in iterations per second (default 1000, so
 *       every allocator's workers face the same churn; 0: as fast as it can)
 *   -x  cross-thread frees: blocks are freed by the next thread of a ring
 *       (needs 2 threads or more)
 *   -s  seed (default 1): the same seed gives the same sequence of sizes
 *   -v  also split malloc+touch and free by size class (<= 1 KiB, <= 16 KiB, <= 128 KiB, larger)
 *   -e  also count the frees of 1.5 us or more in each thread's first millisecond of the measured
 *       phase and after it ("slow-frees:"): what arming leaves cold shows in the first
 * Output: a table (one row per operation type, times in ns), then
 * "throughput:", "faults:", "worker-faults:", "memory:" (the process's peak
 * RSS, VmHWM, which leaves out hugetlb pages, and its hugetlb pages at the
 * end of the measured phase, HugetlbPages: both from /proc/self/status,
 * and the size of its hugetlb mappings, touched or only reserved, from
 * /proc/self/smaps),
 * with -c a "churn:" and with -x a "handoff:" line.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "hist.h"
#include "ptfreeze.h"
#include "util.h"

#define PROG "latency"
#define STACK_WARM ((size_t)256 << 10)
#define CHURN_LEN ((size_t)1 << 20)
/*
 * The -x queue between neighbours: capacity, and the most blocks it starts
 * with (its slack: while one thread touches a 4 MiB block, its neighbour
 * does hundreds of small replacements and must not run dry).
 */
#define RING_CAP 1024u
#define RING_SLACK 256u

enum op {
	OP_MALLOC, OP_FREE, OP_MMAP, OP_MUNMAP,
	/* malloc+touch and free by size class: printed with -v */
	OP_MALLOC_S, OP_MALLOC_SM, OP_MALLOC_M, OP_MALLOC_L, OP_FREE_S, OP_FREE_SM, OP_FREE_M, OP_FREE_L,
	OP_COUNT
};
static const char *const op_names[OP_COUNT] = {"malloc+touch", "free", "mmap+touch", "munmap",
					       "malloc:<=1K", "malloc:<=16K", "malloc:<=128K", "malloc:>128K",
					       "free:<=1K", "free:<=16K", "free:<=128K", "free:>128K"};
#define OP_SHOWN OP_MALLOC_S

/* 0-3 for a block of n bytes: <= 1 KiB, <= 16 KiB (jemalloc's thread-cache sizes), <= 128 KiB, larger. */
static int size_class(size_t n) { return n <= 1024 ? 0 : n <= 16 * 1024 ? 1 : n <= 128 * 1024 ? 2 : 3; }

struct slot {
	void *p;
	size_t n;
	int mapped;
};

/* A single-producer, single-consumer queue of blocks (-x): no lock, no allocation. */
struct ring {
	_Alignas(64) atomic_size_t head; /* next to pop (the consumer's) */
	_Alignas(64) atomic_size_t tail; /* next to push (the producer's) */
	_Alignas(64) struct slot q[RING_CAP];
};

struct worker {
	pthread_t tid;
	unsigned id;
	struct slot *set;
	size_t nblocks;
	long warm_ops, ops;
	uint64_t seed;
	struct hist *h; /* OP_COUNT histograms */
	long minor, major; /* this thread's faults in the measured phase */
	struct ring *out, *in; /* -x: to the next thread, from the previous one */
	size_t slack; /* -x: blocks put in `out` before the warm-up */
	long waits; /* -x: measured replacements that waited for a neighbour */
	long slow_early, slow_late; /* -e: frees of SLOW_NS or more in the first EARLY_NS, and after */
};

static int with_mmap, cross, slow_split;
#define SLOW_NS 1500u
#define EARLY_NS 1000000u
/*
 * warmed: every block built; start/done: the measured phase; stopped: the
 * churn thread has stopped; release: the end marker is written, so threads
 * may exit (glibc's thread exit calls madvise, which must not count).
 */
static pthread_barrier_t warmed, start, done, stopped, release;
static atomic_int churn_stop;
static long churn_rate = 1000;
static long churn_iterations;

static size_t pick_size(uint64_t *s)
{
	unsigned r = (unsigned)(util_rng(s) % 100);
	if (r < 80) {
		return 16 + util_rng(s) % (1024 - 16 + 1);
	}
	if (r < 98) {
		return 1024 + util_rng(s) % (127 * 1024);
	}
	return 128 * 1024 + util_rng(s) % (4 * 1024 * 1024 - 128 * 1024 + 1);
}

/* Chooses the next block's size and kind (never timed). */
static void choose(struct slot *sl, uint64_t *s)
{
	sl->n = pick_size(s);
	sl->mapped = with_mmap && util_rng(s) % 8 == 0;
	if (sl->mapped) {
		sl->n = (sl->n + 4095) & ~(size_t)4095;
	}
}

/* Allocates and touches the block sl describes; exits on failure. */
static void fill(struct slot *sl)
{
	if (sl->mapped) {
		sl->p = mmap(NULL, sl->n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (sl->p == MAP_FAILED) {
			fprintf(stderr, PROG ": error: mmap of %zu bytes: %s\n", sl->n, strerror(errno));
			exit(1);
		}
	} else {
		sl->p = malloc(sl->n);
		if (sl->p == NULL) {
			fprintf(stderr, PROG ": error: malloc of %zu bytes failed\n", sl->n);
			exit(1);
		}
	}
	util_touch(sl->p, sl->n);
}

static void drop(struct slot *sl)
{
	if (sl->mapped) {
		munmap(sl->p, sl->n);
	} else {
		free(sl->p);
	}
}

static void thread_faults(long *minor, long *major)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	*minor = ru.ru_minflt;
	*major = ru.ru_majflt;
}

/* Spins (yielding now and then) until `cond` holds; returns whether it had to wait. */
#define WAIT_UNTIL(cond)                                                                                           \
	({                                                                                                         \
		int waited_ = 0;                                                                                   \
		for (unsigned spin_ = 0; !(cond); spin_++) {                                                       \
			waited_ = 1;                                                                               \
			if (spin_ % 64 == 63) {                                                                    \
				sched_yield();                                                                     \
			}                                                                                          \
		}                                                                                                  \
		waited_;                                                                                           \
	})

static int ring_push(struct ring *r, const struct slot *sl)
{
	size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	int waited = WAIT_UNTIL(t - atomic_load_explicit(&r->head, memory_order_acquire) < RING_CAP);
	r->q[t % RING_CAP] = *sl;
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return waited;
}

static int ring_pop(struct ring *r, struct slot *sl)
{
	size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	int waited = WAIT_UNTIL(atomic_load_explicit(&r->tail, memory_order_acquire) != h);
	*sl = r->q[h % RING_CAP];
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return waited;
}

/*
 * -x: the block just allocated goes to the next thread and the slot takes
 * one the previous thread allocated (untimed); returns whether it waited.
 */
static int hand_over(struct worker *w, struct slot *sl, const struct slot *fresh)
{
	int waited = ring_push(w->out, fresh);
	return ring_pop(w->in, sl) | waited;
}

static void replace_untimed(struct worker *w, uint64_t *s)
{
	struct slot *sl = &w->set[util_rng(s) % w->nblocks];
	drop(sl);
	if (cross) {
		struct slot fresh;
		choose(&fresh, s);
		fill(&fresh);
		hand_over(w, sl, &fresh);
		return;
	}
	choose(sl, s);
	fill(sl);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t s = w->seed;
	util_touch_stack(STACK_WARM);
	for (size_t i = 0; i < w->nblocks; i++) {
		choose(&w->set[i], &s);
		fill(&w->set[i]);
	}
	for (size_t i = 0; cross && i < w->slack; i++) {
		struct slot fresh;
		choose(&fresh, &s);
		fill(&fresh);
		ring_push(w->out, &fresh);
	}
	for (long i = 0; i < w->warm_ops; i++) {
		replace_untimed(w, &s);
	}
	long minor0, major0, minor1, major1;
	pthread_barrier_wait(&warmed);
	pthread_barrier_wait(&start);
	thread_faults(&minor0, &major0);
	uint64_t began = util_now_ns();
	for (long i = 0; i < w->ops; i++) {
		struct slot *sl = &w->set[util_rng(&s) % w->nblocks];
		uint64_t t0 = util_now_ns();
		drop(sl);
		uint64_t t1 = util_now_ns();
		hist_add(&w->h[sl->mapped ? OP_MUNMAP : OP_FREE], t1 - t0);
		if (!sl->mapped) {
			hist_add(&w->h[OP_FREE_S + size_class(sl->n)], t1 - t0);
			if (slow_split && t1 - t0 >= SLOW_NS) {
				*(t0 - began < EARLY_NS ? &w->slow_early : &w->slow_late) += 1;
			}
		}
		struct slot fresh, *nw = cross ? &fresh : sl;
		choose(nw, &s);
		uint64_t t2 = util_now_ns();
		fill(nw);
		uint64_t t3 = util_now_ns();
		hist_add(&w->h[nw->mapped ? OP_MMAP : OP_MALLOC], t3 - t2);
		if (!nw->mapped) {
			hist_add(&w->h[OP_MALLOC_S + size_class(nw->n)], t3 - t2);
		}
		if (cross) {
			w->waits += hand_over(w, sl, nw);
		}
	}
	thread_faults(&minor1, &major1);
	w->minor = minor1 - minor0;
	w->major = major1 - major0;
	pthread_barrier_wait(&done);
	pthread_barrier_wait(&release);
	return NULL;
}

/* The background thread: page-table changes on its own memory only. */
static void *churn(void *unused)
{
	long n = 0;
	util_touch_stack(STACK_WARM);
	pthread_barrier_wait(&warmed);
	pthread_barrier_wait(&start);
	uint64_t begin = util_now_ns();
	while (!atomic_load_explicit(&churn_stop, memory_order_relaxed)) {
		if (churn_rate) {
			/* Keep pace: sleep until this iteration is due. */
			uint64_t due = begin + (uint64_t)n * 1000000000u / (uint64_t)churn_rate;
			struct timespec ts = {(time_t)(due / 1000000000u), (long)(due % 1000000000u)};
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
		char *p = mmap(NULL, CHURN_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			fprintf(stderr, PROG ": error: churn mmap: %s\n", strerror(errno));
			exit(1);
		}
		util_touch(p, CHURN_LEN);
		if (mprotect(p, CHURN_LEN / 2, PROT_READ) != 0) {
			fprintf(stderr, PROG ": error: churn mprotect: %s\n", strerror(errno));
			exit(1);
		}
		munmap(p, CHURN_LEN);
		n++;
	}
	churn_iterations = n;
	pthread_barrier_wait(&stopped);
	pthread_barrier_wait(&release);
	return NULL;
}

/* A "KEY: N kB" line of /proc/self/status (-1 if absent); read(2), no stdio, no malloc. */
static long status_kb(const char *key)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		return -1;
	}
	buf[n] = '\0';
	size_t klen = strlen(key);
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, klen) == 0) {
			return strtol(line + klen, NULL, 10);
		}
	}
	return -1;
}

/*
 * kB of the process's hugetlb mappings (VMAs whose KernelPageSize is not
 * 4 kB, from /proc/self/smaps), touched or not: what it holds of the
 * host's huge page pool, reservations included (-1 if unreadable).
 */
static long hugetlb_mapped_kb(void)
{
	static char buf[1 << 16];
	int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	long total = 0, size = 0;
	size_t have = 0;
	ssize_t n;
	while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		have += (size_t)n;
		buf[have] = '\0';
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (strncmp(line, "Size:", 5) == 0) {
				size = strtol(line + 5, NULL, 10);
			} else if (strncmp(line, "KernelPageSize:", 15) == 0 && strtol(line + 15, NULL, 10) != 4) {
				total += size;
			}
			line = nl + 1;
		}
		have = strlen(line);
		memmove(buf, line, have);
	}
	close(fd);
	return n < 0 ? -1 : total;
}

static void usage(void)
{
	fprintf(stderr, "usage: " PROG " [-n blocks] [-o ops] [-w warmup-ops] [-t threads] [-m] [-c] [-C rate] [-x] [-s seed] [-v] [-e]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long nblocks = 2000, ops = 100000, warm = -1, nthreads = 1, seed = 1;
	int with_churn = 0, by_class = 0, c;
	while ((c = getopt(argc, argv, "n:o:w:t:mcC:xs:ve")) != -1) {
		switch (c) {
		case 'n': nblocks = util_parse_long(optarg, "-n"); break;
		case 'o': ops = util_parse_long(optarg, "-o"); break;
		case 'w': warm = util_parse_long(optarg, "-w"); break;
		case 't': nthreads = util_parse_long(optarg, "-t"); break;
		case 'm': with_mmap = 1; break;
		case 'c': with_churn = 1; break;
		case 'C': churn_rate = util_parse_long(optarg, "-C"); break;
		case 'x': cross = 1; break;
		case 's': seed = util_parse_long(optarg, "-s"); break;
		case 'v': by_class = 1; break;
		case 'e': slow_split = 1; break;
		default: usage();
		}
	}
	if (optind != argc) {
		usage();
	}
	if (nthreads == 0) {
		nthreads = util_cpus();
	}
	if (nthreads > 256 || nblocks < nthreads || ops < nthreads) {
		util_die(PROG, "-t %ld: need 1 to 256 threads and at least one block and one op per thread", nthreads);
	}
	if (cross && (nthreads < 2 || nblocks < 2 * nthreads)) {
		util_die(PROG, "-x: cross-thread frees need at least 2 threads (-t) and 2 blocks per thread");
	}
	if (warm < 0) {
		warm = ops / 2;
	}
	(void)ptfreeze_armed(); /* resolve the symbol now, not in the measured phase */

	unsigned nt = (unsigned)nthreads;
	struct worker *ws = util_mem(nt * sizeof(*ws));
	struct slot *set = util_mem((size_t)nblocks * sizeof(*set));
	struct ring *rings = cross ? util_mem(nt * sizeof(*rings)) : NULL;
	unsigned parties = nt + 1 + (with_churn ? 1u : 0u);
	pthread_barrier_init(&warmed, NULL, parties);
	pthread_barrier_init(&start, NULL, parties);
	pthread_barrier_init(&done, NULL, nt + 1);
	pthread_barrier_init(&stopped, NULL, 2);
	pthread_barrier_init(&release, NULL, parties);
	size_t given = 0;
	for (unsigned i = 0; i < nt; i++) {
		struct worker *w = &ws[i];
		w->id = i;
		w->nblocks = (size_t)nblocks / nt + (i < (size_t)nblocks % nt ? 1 : 0);
		w->set = set + given;
		given += w->nblocks;
		w->ops = ops / (long)nt + (i < (unsigned)(ops % (long)nt) ? 1 : 0);
		w->warm_ops = warm / (long)nt;
		w->seed = util_seed((uint64_t)seed, i);
		if (cross) {
			/* Thread i feeds ring i; thread i+1 (mod nt) eats it. */
			w->out = &rings[i];
			w->in = &rings[(i + nt - 1) % nt];
			/* The queued blocks are part of the working set: -n counts them. */
			w->slack = w->nblocks / 2 < RING_SLACK ? w->nblocks / 2 : RING_SLACK;
			w->nblocks -= w->slack;
		}
		w->h = util_mem(OP_COUNT * sizeof(struct hist));
		if (pthread_create(&w->tid, NULL, work, w) != 0) {
			util_die(PROG, "cannot create worker thread %u", i);
		}
	}
	pthread_t churn_tid;
	if (with_churn && pthread_create(&churn_tid, NULL, churn, NULL) != 0) {
		util_die(PROG, "cannot create the churn thread");
	}
	util_touch_stack(STACK_WARM);
	pthread_barrier_wait(&warmed);

	int armed = ptfreeze_arm();
	long minor0, major0, minor1, major1;
	util_faults(&minor0, &major0);
	util_marker("MEASURE-BEGIN");
	uint64_t t0 = util_now_ns();
	pthread_barrier_wait(&start);
	pthread_barrier_wait(&done);
	uint64_t t1 = util_now_ns();
	if (with_churn) {
		atomic_store(&churn_stop, 1);
		pthread_barrier_wait(&stopped);
	}
	util_marker("MEASURE-END");
	util_faults(&minor1, &major1);
	long hwm_kb = status_kb("VmHWM:"), hugetlb_kb = status_kb("HugetlbPages:"), mapped_kb = hugetlb_mapped_kb();
	pthread_barrier_wait(&release);

	for (unsigned i = 0; i < nt; i++) {
		pthread_join(ws[i].tid, NULL);
	}
	if (with_churn) {
		pthread_join(churn_tid, NULL);
	}
	struct hist *all = util_mem(OP_COUNT * sizeof(struct hist));
	long wminor = 0, wmajor = 0;
	for (unsigned i = 0; i < nt; i++) {
		for (int k = 0; k < OP_COUNT; k++) {
			hist_merge(&all[k], &ws[i].h[k]);
		}
		wminor += ws[i].minor;
		wmajor += ws[i].major;
	}
	double secs = (double)(t1 - t0) / 1e9;
	printf("latency: threads %u, blocks %ld, ops %ld, warmup %ld, seed %ld, mmap %s, churn %s, ptfreeze %s\n", nt,
	       nblocks, ops, warm, seed, with_mmap ? "on" : "off", with_churn ? "on" : "off",
	       armed == 0 ? "armed" : armed == -ENOSYS ? "absent" : "arm failed");
	hist_print_header(stdout);
	for (int k = 0; k < (by_class ? OP_COUNT : OP_SHOWN); k++) {
		if (all[k].count) {
			hist_print_row(stdout, op_names[k], &all[k]);
		}
	}
	printf("\nthroughput: %ld replacements in %.3f s: %.0f ops/s\n", ops, secs, (double)ops / secs);
	printf("faults: minor %ld major %ld\n", minor1 - minor0, major1 - major0);
	printf("worker-faults: minor %ld major %ld\n", wminor, wmajor);
	printf("memory: peak-rss %ld kB hugetlb %ld kB hugetlb-mapped %ld kB\n", hwm_kb, hugetlb_kb, mapped_kb);
	if (cross) {
		long waits = 0;
		for (unsigned i = 0; i < nt; i++) {
			waits += ws[i].waits;
		}
		printf("handoff: %ld of %ld replacements waited for a neighbour\n", waits, ops);
	}
	if (slow_split) {
		long early = 0, late = 0;
		for (unsigned i = 0; i < nt; i++) {
			early += ws[i].slow_early;
			late += ws[i].slow_late;
		}
		printf("slow-frees: %ld in the threads' first millisecond, %ld after (%u ns or more)\n", early, late,
		       SLOW_NS);
	}
	if (with_churn) {
		printf("churn: %ld iterations, %.0f/s (pace %ld/s)\n", churn_iterations, (double)churn_iterations / secs,
		       churn_rate);
	}
	return 0;
}
