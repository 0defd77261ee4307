/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pool: the memory every allocation and every served mmap comes from.
 * Reserved at start-up in regions backed by hugetlb (1G, 2M), THP or 4K
 * pages, prefaulted (MADV_POPULATE_WRITE, one thread per CPU), optionally
 * locked, and never returned to the kernel.  Memory is handed out by a
 * lock-free bump pointer per region: what pool_carve() returns has never
 * been handed out before, so it is zero.  pool knows nothing of jemalloc.
 */
#ifndef PTFREEZE_POOL_H
#define PTFREEZE_POOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "kinds.h"


#define POOL_MAX_REGIONS 64
#define POOL_ALIGN ((size_t)2 << 20)
/* Chunks the deferred prefault is cut into (each a multiple of the page size). */
#define POOL_PF_CHUNKS 512
enum { PF_TODO, PF_CLAIMED, PF_DONE };

struct pool_region {
	uintptr_t base;
	uintptr_t end;
	_Atomic uintptr_t cursor;
	enum backing backing;
	bool locked;
	bool at_startup;   /* reserved before arming */
	uint64_t prefault_ns;
	size_t huge_bytes; /* measured from /proc/self/smaps */
};

struct pool {
	struct pool_region regions[POOL_MAX_REGIONS];
	_Atomic int nregions;
	atomic_flag grow_lock;
	enum hugepages_mode requested;
	bool want_mlock;
	int prefault_threads;
	uint64_t prefault_ns; /* start-up reservation, all threads */
	bool populate_fallback; /* MADV_POPULATE_WRITE missing: touched by hand */
	/*
	 * Deferred prefault (pool_reserve_lazy): of the start-up regions, and of
	 * regions grown before arming.  npf is published with release order,
	 * after its chunk; finishing is set once arming completes the prefault,
	 * and a region grown from then on is prefaulted at once.
	 */
	bool lazy;
	int npf;                       /* chunks in pf[] */
	_Atomic int finishing;
	struct pool_pf {
		uintptr_t p;
		size_t len, step;
		int region;
		_Atomic int state;      /* PF_TODO, PF_CLAIMED, PF_DONE */
	} pf[POOL_PF_CHUNKS];
	size_t pf_total;               /* bytes the chunks cover */
	_Atomic size_t pf_done;        /* bytes populated so far */
	_Atomic long pf_error;         /* first populate error (-errno), 0 if none */
};

extern struct pool pool;

/*
 * Reserves, backs and prefaults `size` bytes at start-up with `threads`
 * prefault threads (0: one per online CPU), then measures the huge-page
 * backing.  Falls back along hugetlb 1G → 2M → THP → 4K with one line per
 * step the user asked for and did not get.  Not for hooks: it creates
 * threads.  Returns 0 or -errno.
 */
int pool_reserve(size_t size, enum hugepages_mode mode, bool mlock, int threads);

/*
 * As pool_reserve, but the start-up regions are only mapped (and bound to
 * their NUMA node): their prefault is cut into chunks that
 * pool_prefault_work() and pool_prefault_finish() populate later, from a
 * background thread and from the arming step.  With mlock the prefault is
 * not deferred (mlock populates anyway).  Memory handed out before its
 * chunk is populated faults on first touch, as any anonymous memory does.
 */
int pool_reserve_lazy(size_t size, enum hugepages_mode mode, bool mlock, int threads);

/*
 * Populates chunks nobody has claimed yet, one at a time, until none is
 * left, *stop becomes nonzero (stop may be NULL) or the monotonic clock
 * passes until_ns (0: no limit).  Raw syscalls, no allocation, no lock:
 * async-signal-safe, and several threads may run it at once.
 */
void pool_prefault_work(const _Atomic int *stop, uint64_t until_ns);

/*
 * Completes the deferred prefault: populates what is left (with up to
 * `helpers` extra threads when the caller may create threads, 0 in a
 * signal handler or a hook) and waits for chunks other threads are
 * populating.  On return every start-up region is resident.  Measures the
 * huge-page backing again.  Async-signal-safe when helpers is 0.
 */
/*
 * spawn starts each helper (pthread_create's shape, NULL for none): the
 * caller brackets the birth so that no seccomp filter goes on meanwhile.
 */
void pool_prefault_finish(int helpers, int (*spawn)(pthread_t *t, void *(*fn)(void *)));

/* Bytes of the deferred prefault populated so far, and in all. */
size_t pool_prefault_done(void);
size_t pool_prefault_total(void);

/* Fork child: chunks claimed by threads that did not come along are to do again. */
void pool_prefault_atfork_child(void);

/*
 * Hands out `size` bytes aligned to `align` (a power of two), never handed
 * out before.  Lock-free, allocation-free: safe inside jemalloc hooks and
 * signal handlers.  NULL when no region has room.
 */
void *pool_carve(size_t size, size_t align);
/*
 * The bump pointer itself: size bytes aligned to align (a power of two)
 * from *cursor up to end, with one compare-and-swap; NULL when they do not
 * fit.  Lock-free, for any area carved the pool's way.
 */
void *pool_bump(_Atomic uintptr_t *cursor, uintptr_t end, size_t size, size_t align);
/* Extends the region whose cursor is exactly at addr; NULL if not possible. */
void *pool_carve_at(void *addr, size_t size);
/*
 * fn runs once, in the first pool_carve or pool_carve_at that succeeds from
 * now on, in the carver's context (a jemalloc hook, a signal handler): so
 * it must be async-signal-safe and lock-free.  init: the program has begun
 * to take pool memory, so the small-object front end may too (front.h).
 */
void pool_on_first_carve(void (*fn)(void));

/*
 * Adds a prefaulted region of at least `min` bytes (single-threaded, raw
 * syscalls, no allocation: callable inside hooks).  0 or -errno (-ENOSPC
 * when growth is disabled or the region table is full).
 */
int pool_grow(size_t min, size_t grow_step, bool at_startup);

/*
 * In a fork child: the thread that may have been growing the pool at the
 * fork does not exist here, so its grow flag is released (or the child's
 * first growth spins forever).  A region is published with one atomic
 * store after it is mapped and prefaulted, so one half made at the fork is
 * just not in the child's table.  Async-signal-safe.
 */
void pool_atfork_child(void);

/* True if [p, p+len) overlaps the pool. */
bool pool_overlaps(const void *p, size_t len);
/* The region containing p, or NULL. */
const struct pool_region *pool_region_of(const void *p);

size_t pool_size(void);       /* bytes reserved */
size_t pool_used(void);       /* bytes handed out (high-water: never decreases) */
/*
 * Room at arming (docs/design.md, "Room at arming"): the allocator and the
 * served mappings note each request for new contiguous pool memory (one
 * relaxed load unless it is the largest yet); arming makes sure one region
 * still has the largest of start-up never carved (pool_room_largest), so
 * the steady state can repeat that request once even where fragmentation
 * leaves no freed extent big enough.
 */
void pool_note_request(size_t size);
size_t pool_largest_request(void); /* the largest noted, 0 if none */
size_t pool_room_largest(void);    /* the longest never-carved tail of a region */
size_t pool_huge_bytes(void); /* bytes on huge pages at the last measure */
/* Re-reads /proc/self/smaps for every region; returns pool_huge_bytes(). */
size_t pool_measure(void);
/* The backing most of the pool has (its name: kinds_backing_name). */
enum backing pool_main_backing(void);

/* Releases everything (unit tests only; the shim never unmaps the pool). */
void pool_reset_for_tests(void);

#endif
