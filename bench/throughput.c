/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * throughput: allocator workloads timed as a whole.
 *   prodcon    one thread allocates small objects (16-512 B) and passes
 *              them through a lock-free ring to another thread that frees
 *              them: every free is a remote free.
 *   lifetimes  each of T threads (default: one per CPU) allocates small
 *              objects (16-512 B, most under 128 B) with random lifetimes
 *              (half die within 64 steps, a third within 8192, the rest
 *              within 262144): a timing wheel frees them when they expire.
 *   realloc    four buffers grow in turn by realloc, 25% at a time, from
 *              64 B to the cap (default 16 MiB), writing each new page; then
 *              they are freed and it starts again.
 *   channels   what the allocator's placement costs a program that
 *              allocates nothing while it runs: N buffers of floats (default
 *              32, of 1 MiB each: a power of two, as audio channels and
 *              queues are), allocated and filled at start-up, mixed frame by
 *              frame into one more (out[i] = sum of in[k][i]), -r times.  Where
 *              every buffer starts at the same offset in its page, the N
 *              reads of a frame fall in the same cache sets and evict each
 *              other; an ops is a frame.
 * Each workload runs once untimed (a quarter of the work: the allocator
 * reaches its steady state), then ptfreeze_arm() (a no-op without the
 * shim), then once timed between strace markers.  No thread is created
 * after arming.
 *
 * usage: throughput prodcon   [-o objects] [-s seed]
 *        throughput lifetimes [-o ops-per-thread] [-t threads] [-s seed]
 *        throughput realloc   [-r rounds] [-c cap] [-s seed]
 *        throughput channels  [-r rounds] [-c buffer-size] [-n buffers]
 * Output: "WORKLOAD: N ops in S s: R ops/s" then "faults: minor M major J".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ptfreeze.h"
#include "util.h"

#define PROG "throughput"
#define STACK_WARM ((size_t)256 << 10)

static long opt_ops = -1, opt_threads = 0, opt_rounds = 8, opt_seed = 1, opt_buffers = 32;
static size_t opt_cap = 0; /* -c: realloc's cap (16 MiB), channels' buffer size (1 MiB) */

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (p == NULL) {
		fprintf(stderr, PROG ": error: malloc of %zu bytes failed\n", n);
		exit(1);
	}
	return p;
}

/* Mostly small: half up to 64 B, a third up to 128 B, the rest up to 512 B. */
static size_t small_size(uint64_t *s)
{
	unsigned r = (unsigned)(util_rng(s) % 6);
	uint64_t x = util_rng(s);
	return r < 3 ? 16 + x % 49 : r < 5 ? 64 + x % 65 : 128 + x % 385;
}

/*
 * A phase runner: `parties` threads run fn(arg, pass) for pass 0 (warm-up)
 * and pass 1 (timed); the main thread arms between them and times pass 1.
 * Threads exit only after the end marker: glibc's thread exit calls
 * madvise, which is not the allocator's doing.
 */
struct phased {
	pthread_barrier_t b;
	void (*fn)(void *arg, int pass);
	void *arg;
};

struct phased_thread {
	struct phased *ph;
	void *arg;
};

static void *phased_main(void *p)
{
	struct phased_thread *t = p;
	util_touch_stack(STACK_WARM);
	for (int pass = 0; pass < 2; pass++) {
		pthread_barrier_wait(&t->ph->b);
		t->ph->fn(t->arg, pass);
		pthread_barrier_wait(&t->ph->b);
	}
	pthread_barrier_wait(&t->ph->b); /* released after the end marker */
	return NULL;
}

/* Runs fn in n threads (args[i] each) as above; returns the timed pass in ns. */
static uint64_t run_phased(unsigned n, void (*fn)(void *, int), void **args, long *minor, long *major)
{
	struct phased ph = {.fn = fn};
	struct phased_thread *ts = util_mem(n * sizeof(*ts));
	pthread_t *tids = util_mem(n * sizeof(*tids));
	pthread_barrier_init(&ph.b, NULL, n + 1);
	for (unsigned i = 0; i < n; i++) {
		ts[i].ph = &ph;
		ts[i].arg = args[i];
		if (pthread_create(&tids[i], NULL, phased_main, &ts[i]) != 0) {
			util_die(PROG, "cannot create thread %u", i);
		}
	}
	util_touch_stack(STACK_WARM);
	pthread_barrier_wait(&ph.b); /* warm-up */
	pthread_barrier_wait(&ph.b);
	ptfreeze_arm();
	long minor0, major0, minor1, major1;
	util_faults(&minor0, &major0);
	util_marker("MEASURE-BEGIN");
	uint64_t t0 = util_now_ns();
	pthread_barrier_wait(&ph.b); /* timed */
	pthread_barrier_wait(&ph.b);
	uint64_t t1 = util_now_ns();
	util_marker("MEASURE-END");
	util_faults(&minor1, &major1);
	*minor = minor1 - minor0;
	*major = major1 - major0;
	pthread_barrier_wait(&ph.b);
	for (unsigned i = 0; i < n; i++) {
		pthread_join(tids[i], NULL);
	}
	return t1 - t0;
}

/* ---- prodcon ----------------------------------------------------------- */

#define RING 4096 /* power of two */
/* Busy-wait this many times, then yield: on a busy 2-core host the peer may be off-CPU. */
#define SPINS 256

static void backoff(unsigned *spins)
{
	if (++*spins < SPINS) {
		__builtin_ia32_pause();
	} else {
		*spins = 0;
		sched_yield();
	}
}

struct ring {
	_Alignas(64) _Atomic size_t head; /* written by the producer */
	_Alignas(64) _Atomic size_t tail; /* written by the consumer */
	_Alignas(64) void *slot[RING];
};

struct prodcon {
	struct ring *ring;
	long objects;
	uint64_t seed;
	int producer;
};

static void prodcon_fn(void *arg, int pass)
{
	struct prodcon *pc = arg;
	struct ring *r = pc->ring;
	long n = pass == 0 ? pc->objects / 4 : pc->objects;
	if (pc->producer) {
		uint64_t s = util_seed(pc->seed, (unsigned)pass);
		size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
		for (long i = 0; i < n; i++) {
			size_t sz = small_size(&s);
			char *p = xmalloc(sz);
			p[0] = (char)i;
			p[sz - 1] = (char)sz;
			for (unsigned spins = 0; head - atomic_load_explicit(&r->tail, memory_order_acquire) >= RING;) {
				backoff(&spins);
			}
			r->slot[head % RING] = p;
			atomic_store_explicit(&r->head, ++head, memory_order_release);
		}
	} else {
		size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
		unsigned sum = 0;
		for (long i = 0; i < n; i++) {
			for (unsigned spins = 0; atomic_load_explicit(&r->head, memory_order_acquire) == tail;) {
				backoff(&spins);
			}
			char *p = r->slot[tail % RING];
			sum += (unsigned char)p[0];
			free(p);
			atomic_store_explicit(&r->tail, ++tail, memory_order_release);
		}
		__asm__ volatile("" : : "r"(sum));
	}
}

static int run_prodcon(void)
{
	long objects = opt_ops < 0 ? 2000000 : opt_ops;
	struct ring *ring = util_mem(sizeof(*ring));
	struct prodcon pc[2] = {{ring, objects, (uint64_t)opt_seed, 1}, {ring, objects, (uint64_t)opt_seed, 0}};
	void *args[2] = {&pc[0], &pc[1]};
	long minor, major;
	uint64_t ns = run_phased(2, prodcon_fn, args, &minor, &major);
	printf("prodcon: %ld ops in %.3f s: %.0f ops/s\n", objects, (double)ns / 1e9, (double)objects * 1e9 / (double)ns);
	printf("faults: minor %ld major %ld\n", minor, major);
	return 0;
}

/* ---- lifetimes --------------------------------------------------------- */

#define WHEEL ((size_t)1 << 18)

struct lifetimes {
	void **wheel; /* WHEEL list heads; an object's first word links the next */
	long ops;
	uint64_t seed;
	size_t now;
};

static size_t lifetime(uint64_t *s)
{
	unsigned r = (unsigned)(util_rng(s) % 6);
	uint64_t x = util_rng(s);
	return r < 3 ? 1 + x % 64 : r < 5 ? 1 + x % 8192 : 1 + x % (WHEEL - 1);
}

static void lifetimes_fn(void *arg, int pass)
{
	struct lifetimes *lt = arg;
	uint64_t s = util_seed(lt->seed, (unsigned)pass);
	long n = pass == 0 ? lt->ops / 4 : lt->ops;
	void **wheel = lt->wheel;
	size_t now = lt->now;
	for (long i = 0; i < n; i++, now++) {
		void **due = &wheel[now % WHEEL];
		for (void *p = *due; p;) {
			void *next = *(void **)p;
			free(p);
			p = next;
		}
		*due = NULL;
		size_t sz = small_size(&s);
		void **o = xmalloc(sz < sizeof(void *) ? sizeof(void *) : sz);
		size_t at = (now + lifetime(&s)) % WHEEL;
		*o = wheel[at];
		wheel[at] = o;
	}
	lt->now = now; /* the timed pass continues with the warm-up's live objects */
}

static int run_lifetimes(void)
{
	long ops = opt_ops < 0 ? 4000000 : opt_ops;
	unsigned n = opt_threads > 0 ? (unsigned)opt_threads : (unsigned)util_cpus();
	struct lifetimes *lt = util_mem(n * sizeof(*lt));
	void **args = util_mem(n * sizeof(*args));
	for (unsigned i = 0; i < n; i++) {
		lt[i].wheel = util_mem(WHEEL * sizeof(void *));
		lt[i].ops = ops;
		lt[i].seed = util_seed((uint64_t)opt_seed, 100 + i);
		args[i] = &lt[i];
	}
	long minor, major;
	uint64_t ns = run_phased(n, lifetimes_fn, args, &minor, &major);
	long total = ops * (long)n;
	printf("lifetimes: %ld ops in %.3f s: %.0f ops/s (%u threads)\n", total, (double)ns / 1e9,
	       (double)total * 1e9 / (double)ns, n);
	printf("faults: minor %ld major %ld\n", minor, major);
	return 0;
}

/* ---- realloc ----------------------------------------------------------- */

#define GROWERS 4

struct growth {
	long rounds;
	size_t cap;
	long reallocs;
};

static void realloc_fn(void *arg, int pass)
{
	struct growth *g = arg;
	long rounds = pass == 0 ? (g->rounds + 3) / 4 : g->rounds;
	long count = 0;
	for (long r = 0; r < rounds; r++) {
		char *buf[GROWERS];
		size_t len[GROWERS];
		for (int i = 0; i < GROWERS; i++) {
			len[i] = 64;
			buf[i] = xmalloc(len[i]);
			memset(buf[i], i, len[i]);
		}
		for (int active = GROWERS; active > 0;) {
			active = 0;
			for (int i = 0; i < GROWERS; i++) {
				if (len[i] >= g->cap) {
					continue;
				}
				size_t n = len[i] + len[i] / 4;
				n = n > g->cap ? g->cap : n;
				char *p = realloc(buf[i], n);
				if (p == NULL) {
					fprintf(stderr, PROG ": error: realloc to %zu bytes failed\n", n);
					exit(1);
				}
				util_touch(p + len[i], n - len[i]);
				buf[i] = p;
				len[i] = n;
				count++;
				active++;
			}
		}
		for (int i = 0; i < GROWERS; i++) {
			free(buf[i]);
		}
	}
	g->reallocs = count;
}

static int run_realloc(void)
{
	struct growth g = {.rounds = opt_rounds, .cap = opt_cap ? opt_cap : (size_t)16 << 20};
	void *args[1] = {&g};
	long minor, major;
	uint64_t ns = run_phased(1, realloc_fn, args, &minor, &major);
	printf("realloc: %ld ops in %.3f s: %.0f ops/s (%ld rounds to %zu bytes)\n", g.reallocs, (double)ns / 1e9,
	       (double)g.reallocs * 1e9 / (double)ns, g.rounds, g.cap);
	printf("faults: minor %ld major %ld\n", minor, major);
	return 0;
}

/* ---- channels ---------------------------------------------------------- */

struct channels {
	float **in;
	float *out;
	size_t frames;
	long rounds;
	double sum; /* so the mixing is not optimised away */
};

static void channels_fn(void *arg, int pass)
{
	struct channels *c = arg;
	long rounds = pass == 0 ? (c->rounds + 3) / 4 : c->rounds;
	for (long r = 0; r < rounds; r++) {
		for (size_t i = 0; i < c->frames; i++) {
			float s = 0;
			for (long k = 0; k < opt_buffers; k++) {
				s += c->in[k][i];
			}
			c->out[i] = s;
		}
		c->sum += c->out[(size_t)r % c->frames];
	}
}

static int run_channels(void)
{
	size_t size = opt_cap ? opt_cap : (size_t)1 << 20;
	struct channels c = {.frames = size / sizeof(float), .rounds = opt_rounds};
	c.in = util_mem((size_t)opt_buffers * sizeof(*c.in));
	unsigned char seen[64] = {0};
	unsigned offsets = 0;
	for (long k = 0; k < opt_buffers; k++) {
		c.in[k] = xmalloc(size);
		for (size_t i = 0; i < c.frames; i++) {
			c.in[k][i] = (float)((k + 1) * (long)(i % 7));
		}
		offsets += !seen[((uintptr_t)c.in[k] & 4095) / 64]++;
	}
	c.out = xmalloc(size);
	memset(c.out, 0, size);
	void *args[1] = {&c};
	long minor, major;
	uint64_t ns = run_phased(1, channels_fn, args, &minor, &major);
	long total = c.rounds * (long)c.frames;
	printf("channels: %ld ops in %.3f s: %.0f ops/s (%ld buffers of %zu bytes at %u cache-line offsets in their page; "
	       "sum %g)\n",
	       total, (double)ns / 1e9, (double)total * 1e9 / (double)ns, opt_buffers, size, offsets, c.sum);
	printf("faults: minor %ld major %ld\n", minor, major);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: " PROG " prodcon   [-o objects] [-s seed]\n"
			"       " PROG " lifetimes [-o ops-per-thread] [-t threads] [-s seed]\n"
			"       " PROG " realloc   [-r rounds] [-c cap] [-s seed]\n"
			"       " PROG " channels  [-r rounds] [-c buffer-size] [-n buffers]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
	}
	const char *what = argv[1];
	int c;
	optind = 2;
	while ((c = getopt(argc, argv, "o:t:r:c:s:n:")) != -1) {
		switch (c) {
		case 'o': opt_ops = util_parse_long(optarg, "-o"); break;
		case 't': opt_threads = util_parse_long(optarg, "-t"); break;
		case 'r': opt_rounds = util_parse_long(optarg, "-r"); break;
		case 'c': opt_cap = util_parse_size(optarg, "-c"); break;
		case 's': opt_seed = util_parse_long(optarg, "-s"); break;
		case 'n': opt_buffers = util_parse_long(optarg, "-n"); break;
		default: usage();
		}
	}
	if (optind != argc || opt_threads > 256 || (opt_cap && opt_cap < 64) || opt_buffers < 1 || opt_buffers > 4096) {
		usage();
	}
	(void)ptfreeze_armed(); /* resolve the symbol before any measured phase */
	if (strcmp(what, "prodcon") == 0) {
		return run_prodcon();
	}
	if (strcmp(what, "lifetimes") == 0) {
		return run_lifetimes();
	}
	if (strcmp(what, "realloc") == 0) {
		return run_realloc();
	}
	if (strcmp(what, "channels") == 0) {
		return run_channels();
	}
	usage();
}
