/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * arena: jemalloc arenas whose extent hooks live on the pool (see
 * arena.h).  jemalloc's convention holds in this file only: hooks return
 * false on success and true on error (the reverse of the kernel's).
 * Never calls mmap; never allocates inside a hook.
 */
#include "arena.h"

#include "autoconf.h"

#include <errno.h>
#include <pthread.h>
/* jemalloc is linked in with its public names renamed (src/local.mk). */
#define mallctl ptfreeze_je_mallctl
#define mallctlnametomib ptfreeze_je_mallctlnametomib
#define mallctlbymib ptfreeze_je_mallctlbymib
#define mallocx ptfreeze_je_mallocx
#define rallocx ptfreeze_je_rallocx
#define sallocx ptfreeze_je_sallocx
#define xallocx ptfreeze_je_xallocx
#define nallocx ptfreeze_je_nallocx
#define dallocx ptfreeze_je_dallocx
#define malloc ptfreeze_je_malloc
#define calloc ptfreeze_je_calloc
#define free ptfreeze_je_free
#include <stdint.h>
#include <jemalloc/jemalloc.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fmt.h"
#include "log.h"
#include "pool.h"
#include "shim.h"
#include "spare.h"
#include "spans.h"
#include "sys.h"

/*
 * Read by jemalloc at its own initialisation, before our constructor: this
 * definition overrides the archive's weak default at link time (the name is
 * not renamed, src/jemalloc.redefine).  Decay off (ptfreeze purges the
 * arenas itself, into spare, when the pool runs low: see reclaim), no
 * oversize arena (it would get default hooks), no background threads.
 * One arena: memory one thread frees is reusable by every thread without a
 * reclaim, so the pool is sized by the working set, not by threads x
 * working set.  Spare would let several arenas share freed memory, but
 * with four the arenas' extents interleave and fragment the pool (a 4 MiB
 * request found no run among 370 spare runs holding 170 MB, and the pool
 * grew after arming in 6 of 7 runs of bench/latency -t 4 at 384M), and they
 * were not faster.  No retain: the alloc hook is asked for exactly what an
 * extent needs (with retain, jemalloc asks for growing chunks and keeps the
 * rest in the arena, where spare cannot reach it).  Thread caches keep the
 * small sizes (up to tcache_max, 16 KiB) lock-free; larger blocks go
 * through the block cache below, shared by all threads.  Thread cache GC
 * every 4 MiB allocated, not every 64 KiB: each GC step may flush a bin into
 * the arena under its lock, which is free()'s tail (bench/latency free p99
 * 0.44 -> 0.29 us).  At least 40 slots a small bin, not 20: a bin of a
 * class with few regions a slab (256 B - 14 KiB) filled up or ran dry every
 * few dozen of the class's frees under random replacement, and each time
 * flushed half of it into the arena or refilled it under the bin's lock
 * (bench/latency free p99.9 of sizes up to 1 KiB 284-340 ns -> 166-206, the
 * peer 206-226); a thread's caches hold at most 3.7 MiB (2.1 before), and GC
 * still empties idle bins.  MALLOC_CONF=narenas:N overrides.
 */
const char *malloc_conf = "narenas:1,tcache_max:16384,tcache_gc_incr_bytes:4194304,tcache_nslots_small_min:40,"
			  "dirty_decay_ms:-1,muzzy_decay_ms:-1,oversize_threshold:0,"
			  "background_thread:false,retain:false,metadata_thp:disabled";

/*
 * jemalloc 5.3's radix tree (its extent map) creates a node or leaf under a
 * lock of its own, rtree->init_lock, which its fork handlers leave out:
 * every other mutex of jemalloc is taken before a fork and made anew in the
 * child.  A child forked while another thread was creating a leaf (the
 * pool's first extent in a new gigabyte, or a new region) waited for ever
 * at its own first one (tests/fault/fork-threads.sh, forkstorm 40 4: 12
 * hung children in 1,200 runs, 3 of the 4 examined here).  Taking it in the prepare handler would
 * invert jemalloc's lock order (it ranks after the arenas' locks and before
 * the bases'), so the child only makes it anew, as jemalloc does with its
 * own: what it guards, a leaf pointer, is published with one atomic store,
 * so the child sees either the leaf or nothing, never half of one.  The
 * lock is found in jemalloc's internal emap (Debian's jemalloc_pic.a keeps
 * the symbols): at offset 8 of je_arena_emap_global (after the rtree's base
 * pointer), checked against the version and the mutex's kind, else left alone.
 */
extern char je_arena_emap_global[] __attribute__((weak));
void je_malloc_mutex_postfork_child(void *tsdn, void *mutex) __attribute__((weak));
static void *rtree_init_lock;
static void find_rtree_root(const char *version);
/* jemalloc's radix tree (below): pool regions whose entries are resident since arming. */
static _Atomic int rt_covered;
static void rt_populate_from(int first);
static _Atomic(uintptr_t) *rt_root; /* its root; NULL: the layout is not recognised, everything is populated */

/* A region added after arming: its radix tree entries, before jemalloc registers an extent there. */
static inline void rt_cover_new_regions(void)
{
	int covered = atomic_load_explicit(&rt_covered, memory_order_relaxed);
	if (rt_root != NULL && covered < atomic_load_explicit(&pool.nregions, memory_order_relaxed) && shim_armed()) {
		rt_populate_from(covered);
	}
}

static void find_rtree_init_lock(void)
{
	const char *v = NULL;
	size_t sz = sizeof(v);
	if (je_arena_emap_global == NULL || je_malloc_mutex_postfork_child == NULL ||
	    mallctl("version", &v, &sz, NULL, 0) != 0 || v == NULL || strncmp(v, "5.3.", 4) != 0) {
		log_msg(LOG_DEBUG, "jemalloc %s: its radix tree's lock is not made anew in a fork child", v ? v : "?");
		return;
	}
	/*
	 * malloc_mutex_t: 64 bytes of profiling data, then the pthread mutex:
	 * a plain or adaptive one (glibc adds its elision bits, 0x300, to the
	 * kind), unlocked (the constructor runs alone).
	 */
	char *lock = je_arena_emap_global + sizeof(void *);
	pthread_mutex_t *m = (pthread_mutex_t *)(void *)(lock + 64);
	int kind = m->__data.__kind & ~0x300;
	if ((kind != PTHREAD_MUTEX_NORMAL && kind != PTHREAD_MUTEX_ADAPTIVE_NP) || m->__data.__lock != 0 ||
	    m->__data.__owner != 0 || m->__data.__nusers != 0) {
		log_msg(LOG_DEBUG, "jemalloc %s: no mutex where its radix tree's lock should be", v);
		return;
	}
	rtree_init_lock = lock;
	find_rtree_root(v);
}


static bool installed;
static uintptr_t early_end;
static _Atomic uintptr_t early_cur;
static void *early_carve(size_t size, size_t align);
/* The block cache (below, "The block cache"). */
#define LC_LG_MIN 14 /* classes above 16 KiB (tcache_max) */
#define LC_LG_MAX 24 /* up to 16 MiB */
#define LC_CLASSES ((LC_LG_MAX - LC_LG_MIN) * 4)
#define LC_BUDGET_DIV 16 /* the bound: a sixteenth of the pool */
#define LC_MED_LG 17	   /* classes up to 128 KiB: their own bound, besides */
#define LC_MED_DIV 32	   /* a thirty-second of the pool */
#define LC_SLOTS 32
#define LC_PAGE 4096
#define SP_CHUNK_ALIGN ((size_t)64 << 10) /* spans' chunks (spans.h) */
#define EARLY_AREA ((size_t)1 << 20) /* the first small extents' (arena_init_early) */
#define EARLY_MAX ((size_t)64 << 10)  /* the largest extent taken from it */
static size_t lc_budget; /* its bound in bytes for classes above 128 KiB; 0: off (before arena_install) */
static size_t lc_budget_med; /* and for classes up to 128 KiB */
static size_t lc_floor; /* pool room the cache leaves alone (lc_limit) */
static size_t lc_pend_max; /* bytes the threads' pending frees may hold: a sixteenth of the pool, at least 4 MiB */
static unsigned narenas;
static bool (*exhausted_hook)(size_t need, const char *who);
/*
 * Set while arena_alloc_cached asks jemalloc with blocks waiting in the
 * block cache, to the size of the block it asks for: a pool that is full
 * even after a reclaim fails that block's extent (the size, or a page more
 * for jemalloc's cache-oblivious pad) instead of growing, and the
 * caller gives the blocks back and asks again.  Only that extent: jemalloc
 * may allocate for itself inside the same call (a thread's first call
 * makes its thread cache), and it does not survive a failure there
 * (tests/fault/fork-threads.sh: a NULL dereference in its malloc).
 */
static __thread size_t lc_may_fail __attribute__((tls_model("initial-exec")));
static size_t sp_max; /* the largest block spans serve (0: off) */

void arena_set_exhausted_hook(bool (*fn)(size_t need, const char *who)) { exhausted_hook = fn; }

/*
 * Reclaim: every arena's free extents go to spare (a purge, which jemalloc
 * does through the dalloc hook: no system call), where neighbours coalesce
 * and any arena can take them.  An arena keeps the extents it frees (decay
 * is off) and reuses them without the hooks, but it does not coalesce the
 * small ones until it purges them, so a request the pool has no room left
 * for may fit in what the arenas hold.  Done in the alloc hook once the
 * pool is full, after arming, before the pool may grow; jemalloc asks the
 * hook with no lock of its own held (retain is off).  Not with several
 * arenas (MALLOC_CONF=narenas:N): an arena other than the first makes its
 * metadata through the hook under its base lock, and the purge takes
 * jemalloc's control lock, which a fork takes before the base locks.
 */
static _Atomic int reclaiming;
static _Atomic unsigned long reclaims;
static size_t purge_mib[3];
static size_t purge_miblen;

static void reclaim(void)
{
	if (purge_miblen == 0 || narenas != 1) {
		return;
	}
	int idle = 0;
	if (!atomic_compare_exchange_strong(&reclaiming, &idle, 1)) {
		/* Another thread is at it: wait for its result. */
		for (unsigned spins = 0; atomic_load(&reclaiming);) {
			sys_backoff(&spins);
		}
		return;
	}
	mallctlbymib(purge_mib, purge_miblen, NULL, NULL, NULL, 0); /* arena.0.purge: the one arena */
	atomic_fetch_add_explicit(&reclaims, 1, memory_order_relaxed);
	atomic_store(&reclaiming, 0);
}

unsigned long arena_reclaims(void) { return atomic_load_explicit(&reclaims, memory_order_relaxed); }

/*
 * New pool memory for an extent: a chunk of at least carve_min (a
 * sixty-fourth of the pool, 2 MiB or more), the rest of it spare, so that
 * the extents the arenas make next sit together and the program's served
 * mappings (which carve too) do not interleave with them.  Carving each
 * extent alone did: tests/churn.sh -m used 280 MiB of its 256M pool and
 * grew it after arming (259-263 MiB now; 249 with jemalloc's own growth by
 * chunks, retain).  Exactly size when the pool has no room for a chunk.
 */
static size_t carve_min;

/*
 * size bytes aligned to alignment from the pool.  Above a page the bump
 * pointer would skip up to alignment bytes to align, for good: those pages
 * go to spare instead, where the next extents find them (posix_memalign of
 * 1 MiB at 8 MiB alignment, 24 times, in a 64M pool: it grew to 128M).
 */
static void *carve_aligned(size_t size, size_t alignment)
{
	if (alignment <= LC_PAGE) {
		return pool_carve(size, alignment);
	}
	size_t span = size + alignment - LC_PAGE;
	char *p = pool_carve(span, LC_PAGE);
	if (p == NULL) {
		return pool_carve(size, alignment);
	}
	char *a = (char *)(((uintptr_t)p + alignment - 1) & ~(uintptr_t)(alignment - 1));
	/* false only if the bits' area is full: then unused */
	if (a > p) {
		(void)spare_put(p, (size_t)(a - p));
	}
	if (a + size < p + span) {
		(void)spare_put(a + size, (size_t)(p + span - (a + size)));
	}
	return a;
}

static void *carve_chunk(size_t size, size_t alignment)
{
	if (size < carve_min) {
		char *p = carve_aligned(carve_min, alignment);
		if (p != NULL) {
			(void)spare_put(p + size, carve_min - size); /* false only if the bits' area is full: then unused */
			return p;
		}
	}
	return carve_aligned(size, alignment);
}

static void *hook_alloc(extent_hooks_t *h, void *new_addr, size_t size, size_t alignment, bool *zero,
			bool *commit, unsigned arena_ind)
{
	void *p;
	bool fresh = false;
	if (new_addr == NULL) {
		pool_note_request(size); /* room at arming (pool.h) */
	}
	rt_cover_new_regions();
	if (new_addr != NULL) {
		/* In-place growth: where spare or the pool's bump pointer has the pages after the block. */
		if ((p = spare_take_at(new_addr, size)) == NULL) {
			fresh = (p = pool_carve_at(new_addr, size)) != NULL;
		}
	} else if (size <= EARLY_MAX && (p = early_carve(size, alignment)) != NULL) {
		fresh = true; /* never handed out before: zero */
	} else if ((p = spare_take(size, alignment)) == NULL) {
		if ((p = spare_take_tail(size, alignment)) == NULL) {
			p = carve_chunk(size, alignment);
			fresh = p != NULL;
		}
		if (p == NULL && spans_release() != 0) {
			/* The pool is full: the free units spans holds first, before a reclaim or growth. */
			p = spare_take(size, alignment);
		}
		if (p == NULL && shim_armed()) {
			/*
			 * The pool is full: what the arenas hold goes to spare before the
			 * pool may grow.  Not before arming, where the pool grows by a
			 * quarter at least, the slack the steady state's fragmentation
			 * needs (reclaiming then left tests/regrow.sh's 64M pool at 128M,
			 * and it grew after arming).
			 */
			reclaim();
			if ((p = spare_take(size, alignment)) == NULL) {
				p = spare_take_tail(size, alignment);
			}
		}
		if (p == NULL && lc_may_fail && size >= lc_may_fail && size - lc_may_fail <= LC_PAGE) {
			return NULL;
		}
		if (p == NULL && front_release() != 0) {
			/* Still full: what the front's heaps have not needed (whole 2 MiB pages), before growth. */
			p = spare_take(size, alignment);
		}
		while (p == NULL && exhausted_hook && exhausted_hook(size + alignment, "jemalloc")) {
			fresh = (p = pool_carve(size, alignment)) != NULL;
		}
	}
	if (p == NULL) {
		return NULL;
	}
	/* Pool memory handed out for the first time is zero; spare memory is zeroed only if asked. */
	if (!fresh && *zero) {
		memset(p, 0, size);
	}
	*zero = fresh || *zero;
	*commit = true;
	return p;
}

/* Called only from a purge (decay is off): the extent goes to spare, or stays with jemalloc outside it. */
static bool hook_dalloc(extent_hooks_t *h, void *addr, size_t size, bool committed, unsigned arena_ind)
{
	return !spare_put(addr, size);
}

static void hook_destroy(extent_hooks_t *h, void *addr, size_t size, bool committed, unsigned arena_ind)
{
	/* Only for arenas being destroyed; the memory stays in the pool. */
}

static bool hook_commit(extent_hooks_t *h, void *addr, size_t size, size_t offset, size_t length,
			unsigned arena_ind)
{
	return false; /* pool memory is always committed */
}

/* Decommit and both purges: refused (no MADV_DONTNEED/MADV_FREE, no fault on reuse). */
static bool hook_refuse(extent_hooks_t *h, void *addr, size_t size, size_t offset, size_t length, unsigned arena_ind)
{
	return true;
}

static bool hook_split(extent_hooks_t *h, void *addr, size_t size, size_t size_a, size_t size_b, bool committed,
		       unsigned arena_ind)
{
	return false;
}

static bool hook_merge(extent_hooks_t *h, void *addr_a, size_t size_a, void *addr_b, size_t size_b,
		       bool committed, unsigned arena_ind)
{
	/* Adjacent pool memory may merge; nothing is ever unmapped. */
	return false;
}

static extent_hooks_t hooks = {
	.alloc = hook_alloc,
	.dalloc = hook_dalloc,
	.destroy = hook_destroy,
	.commit = hook_commit,
	/* The three ways jemalloc would give memory back: all refused. */
	.decommit = hook_refuse, .purge_lazy = hook_refuse, .purge_forced = hook_refuse,
	.split = hook_split,
	.merge = hook_merge,
};

static void lc_mag_init(void);

static int ctl_name(char *buf, size_t cap, unsigned i, const char *leaf)
{
	struct sb sb;
	sb_init(&sb, buf, cap);
	sb_printf(&sb, "arena.%u.%s", i, leaf);
	sb_cstr(&sb);
	return sb.overflow ? -ENAMETOOLONG : 0;
}

int arena_install(void)
{
	size_t sz = sizeof(narenas);
	int r = mallctl("opt.narenas", &narenas, &sz, NULL, 0);
	if (r != 0) {
		log_msg(LOG_ERROR, "jemalloc: cannot read opt.narenas (%s)", strerror(r));
		return -r;
	}
	ssize_t decay = 0;
	sz = sizeof(decay);
	if (mallctl("opt.dirty_decay_ms", &decay, &sz, NULL, 0) == 0 && decay != -1) {
		log_msg(LOG_WARN, "jemalloc: dirty_decay_ms is %zd, not -1 (MALLOC_CONF overrides ptfreeze?)", decay);
	}
	size_t oversize = 0;
	sz = sizeof(oversize);
	if (mallctl("opt.oversize_threshold", &oversize, &sz, NULL, 0) == 0 && oversize != 0) {
		log_msg(LOG_WARN, "jemalloc: oversize_threshold is %zu: large allocations use an arena without pool hooks",
			oversize);
	}
	r = spare_init();
	if (r != 0) {
		log_msg(LOG_WARN, "jemalloc: no room for the spare map (%s): freed extents stay in their arena",
			strerror(-r));
	}
	purge_miblen = 3;
	if (r != 0 || mallctlnametomib("arena.0.purge", purge_mib, &purge_miblen) != 0) {
		purge_miblen = 0;
	}
	carve_min = pool_size() / 64 > ((size_t)2 << 20) ? pool_size() / 64 : ((size_t)2 << 20);
	extent_hooks_t *hp = &hooks;
	for (unsigned i = 0; i < narenas; i++) {
		char name[64];
		ctl_name(name, sizeof(name), i, "extent_hooks");
		/* For an arena not yet created this creates it with our hooks. */
		r = mallctl(name, NULL, NULL, &hp, sizeof(hp));
		if (r != 0) {
			log_msg(LOG_ERROR, "jemalloc: cannot set %s (%s)", name, strerror(r));
			return -r;
		}
	}
	lc_pend_max = pool_size() / 16 > ((size_t)4 << 20) ? pool_size() / 16 : ((size_t)4 << 20);
	lc_floor = pool_size() / 32;
	lc_budget_med = pool_size() / LC_MED_DIV;
	lc_budget = pool_size() / LC_BUDGET_DIV;
	lc_mag_init();
	if (lc_budget) {
		arena_free_mask = LC_PAGE - 1; /* the inline paths (arena.h) now leave the cache's sizes to it */
		arena_small_max = (size_t)1 << LC_LG_MIN;
	}
	find_rtree_init_lock();
	installed = true;
	return 0;
}

/*
 * jemalloc's radix tree, where the populate at arming need not go.  Its
 * 5.3 keys the tree by page over two levels of 18 bits (48-bit addresses,
 * 4K pages): the root, 2^18 leaf pointers in its .bss right after the
 * tree's base pointer and init_lock (2 MiB), and a leaf per GiB of
 * addresses that hold extents, 2^18 entries of 8 bytes (2 MiB, from its
 * base allocator: a mapping noted early, populated at arming).  Only the
 * entries of addresses where extents can be (the pool's regions and the
 * early area) are ever written, and the root's only when a leaf is made:
 * making the rest resident cost 3.5 MiB of footprint at a 256M pool.
 * arena_rtree_holes() says what the rest is; arena_populate() makes the
 * entries of a region added after arming resident (rt_covered).
 */
#define RT_BITS 18
#define RT_N ((uintptr_t)1 << RT_BITS)
#define RT_MASK (RT_N - 1)
#define RT_LEAF_SHIFT 12 /* a leaf entry per 4K page */
#define RT_ROOT_SHIFT 30 /* a leaf per GiB */
#define RT_PAGE ((uintptr_t)4096)

/* Whether the page at a is mapped (mincore fails with ENOMEM where nothing is). */
static bool rt_mapped(uintptr_t a)
{
	unsigned char v;
	return sys_raw(SYS_mincore, (long)(a & ~(RT_PAGE - 1)), (long)RT_PAGE, (long)&v, 0, 0, 0) == 0;
}

/*
 * Recognised (after the lock, whose place and kind find_rtree_init_lock
 * checked) when a block allocated now has, where the layout says, a root
 * entry pointing to a mapped 2 MiB leaf with a written entry for the
 * block's page, and the root has no leaf for this thread's stack.
 */
static void find_rtree_root(const char *version)
{
	size_t lock_size = (64 + sizeof(pthread_mutex_t) + 1 + 7) & ~(size_t)7; /* prof data, mutex, locked flag */
	_Atomic(uintptr_t) *root = (_Atomic(uintptr_t) *)(void *)(je_arena_emap_global + sizeof(void *) + lock_size);
	void *p = mallocx(64, 0);
	if (p == NULL) {
		return;
	}
	uintptr_t a = (uintptr_t)p, leaf = atomic_load(&root[(a >> RT_ROOT_SHIFT) & RT_MASK]);
	uintptr_t stack = (uintptr_t)&a;
	bool ok = leaf != 0 && leaf % sizeof(uintptr_t) == 0 && rt_mapped(leaf) &&
		  rt_mapped(leaf + RT_N * sizeof(uintptr_t) - 1) &&
		  ((const uintptr_t *)leaf)[(a >> RT_LEAF_SHIFT) & RT_MASK] != 0 &&
		  ((stack ^ a) >> RT_ROOT_SHIFT == 0 || atomic_load(&root[(stack >> RT_ROOT_SHIFT) & RT_MASK]) == 0);
	dallocx(p, 0);
	if (!ok) {
		log_msg(LOG_DEBUG, "jemalloc %s: its radix tree is not where expected: populated whole", version);
		return;
	}
	rt_root = root;
}

/* Where extents can be: the early area, then the pool's regions from the first'th on. */
static size_t rt_sources(struct sys_span *src, size_t max, int first)
{
	size_t n = 0;
	if (early_end && first == 0 && n < max) {
		src[n++] = (struct sys_span){early_end - EARLY_AREA, early_end};
	}
	int nr = atomic_load(&pool.nregions);
	for (int i = first; i < nr && n < max; i++) {
		src[n++] = (struct sys_span){pool.regions[i].base, pool.regions[i].end};
	}
	return n;
}

/* The entries of [lo, hi) in the table at t (8 bytes per 1 << shift of addresses), pages rounded out. */
static struct sys_span rt_entries(uintptr_t t, uintptr_t lo, uintptr_t hi, unsigned shift)
{
	uintptr_t a = t + ((lo >> shift) & RT_MASK) * sizeof(uintptr_t);
	uintptr_t b = t + (((hi - 1) >> shift) & RT_MASK) * sizeof(uintptr_t) + sizeof(uintptr_t);
	return (struct sys_span){a & ~(RT_PAGE - 1), (b + RT_PAGE - 1) & ~(RT_PAGE - 1)};
}

/* The entries of src's addresses in GiB g's leaf, pages rounded out; false if src has none there. */
static bool rt_leaf_entries(uintptr_t leaf, struct sys_span src, uintptr_t g, struct sys_span *out)
{
	uintptr_t lo = src.lo > g << RT_ROOT_SHIFT ? src.lo : g << RT_ROOT_SHIFT;
	uintptr_t hi = src.hi < (g + 1) << RT_ROOT_SHIFT ? src.hi : (g + 1) << RT_ROOT_SHIFT;
	if (lo >= hi) {
		return false;
	}
	*out = rt_entries(leaf, lo, hi, RT_LEAF_SHIFT);
	return true;
}

/* Appends to holes what of table [t, t + 2 MiB) (pages inward) no span of need covers. */
static size_t rt_complement(uintptr_t t, struct sys_span *need, size_t nneed, struct sys_span *holes, size_t n,
			    size_t max)
{
	for (size_t i = 1; i < nneed; i++) { /* by start; a few spans */
		for (size_t j = i; j > 0 && need[j].lo < need[j - 1].lo; j--) {
			struct sys_span x = need[j];
			need[j] = need[j - 1];
			need[j - 1] = x;
		}
	}
	uintptr_t cur = (t + RT_PAGE - 1) & ~(RT_PAGE - 1), end = (t + RT_N * sizeof(uintptr_t)) & ~(RT_PAGE - 1);
	for (size_t i = 0; i <= nneed && cur < end; i++) {
		uintptr_t stop = i < nneed ? need[i].lo : end;
		if (stop > end) {
			stop = end;
		}
		if (stop > cur && n < max) {
			holes[n++] = (struct sys_span){cur, stop};
		}
		if (i < nneed && need[i].hi > cur) {
			cur = need[i].hi;
		}
	}
	return n;
}

size_t arena_rtree_holes(struct sys_span *holes, size_t max)
{
	_Atomic(uintptr_t) *root = rt_root;
	if (root == NULL) {
		return 0;
	}
	struct sys_span src[POOL_MAX_REGIONS + 1], need[POOL_MAX_REGIONS + 1];
	size_t ns = rt_sources(src, POOL_MAX_REGIONS + 1, 0), n = 0;
	for (size_t i = 0; i < ns; i++) {
		need[i] = rt_entries((uintptr_t)root, src[i].lo, src[i].hi, RT_ROOT_SHIFT);
	}
	n = rt_complement((uintptr_t)root, need, ns, holes, n, max);
	/* Each leaf once: its GiB's first appearance among the sources. */
	for (size_t i = 0; i < ns; i++) {
		for (uintptr_t g = src[i].lo >> RT_ROOT_SHIFT; g <= (src[i].hi - 1) >> RT_ROOT_SHIFT; g++) {
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++) {
				seen = g >= src[j].lo >> RT_ROOT_SHIFT && g <= (src[j].hi - 1) >> RT_ROOT_SHIFT;
			}
			uintptr_t leaf = atomic_load(&root[g & RT_MASK]);
			if (seen || leaf == 0) {
				continue;
			}
			size_t nn = 0;
			for (size_t j = 0; j < ns; j++) {
				nn += rt_leaf_entries(leaf, src[j], g, &need[nn]);
			}
			n = rt_complement(leaf, need, nn, holes, n, max);
		}
	}
	return n;
}

void arena_init_early(void)
{
	const char *v;
	size_t len = sizeof(v);
	(void)mallctl("version", &v, &len, NULL, 0); /* malloc_init(), as jemalloc's constructor does */
	/*
	 * The first small extents come from 1 MiB mapped here, outside the
	 * pool, so that a process that allocates little and never arms (a
	 * wrapper, a helper) touches no pool page: the pool's first write would
	 * fault in a whole 2 MiB huge page (tests/trees-lazy.sh).  Made resident
	 * at arming (arena_populate).  jemalloc's first chunk did this while it
	 * grew by chunks (retain).
	 */
	long r = sys_mmap(NULL, EARLY_AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r > 0 || r < -4095) {
		early_end = (uintptr_t)r + EARLY_AREA;
		atomic_store(&early_cur, (uintptr_t)r);
	}
}

void arena_populate(void)
{
	if (early_end) {
		sys_madvise((void *)(early_end - EARLY_AREA), EARLY_AREA, MADV_POPULATE_WRITE);
	}
	rt_populate_from(0);
}

/*
 * The radix tree's entries (root and leaves) of the pool regions from the
 * first'th on, made resident: at arming (the early mappings' populate
 * leaves the rest of the leaves out, arena_rtree_holes) and for a region
 * added after it, before jemalloc registers its first extent there.  A
 * GiB with no leaf yet gets one from jemalloc's base when first used.
 */
static void rt_populate_from(int first)
{
	_Atomic(uintptr_t) *root = rt_root;
	if (root == NULL) {
		return;
	}
	struct sys_span src[POOL_MAX_REGIONS + 1];
	size_t ns = rt_sources(src, POOL_MAX_REGIONS + 1, first);
	for (size_t i = 0; i < ns; i++) {
		struct sys_span r = rt_entries((uintptr_t)root, src[i].lo, src[i].hi, RT_ROOT_SHIFT);
		sys_madvise((void *)r.lo, r.hi - r.lo, MADV_POPULATE_WRITE);
		for (uintptr_t g = src[i].lo >> RT_ROOT_SHIFT; g <= (src[i].hi - 1) >> RT_ROOT_SHIFT; g++) {
			uintptr_t leaf = atomic_load(&root[g & RT_MASK]);
			if (leaf == 0) {
				continue;
			}
			struct sys_span e;
			if (rt_leaf_entries(leaf, src[i], g, &e)) {
				sys_madvise((void *)e.lo, e.hi - e.lo, MADV_POPULATE_WRITE);
			}
		}
	}
	int nr = atomic_load(&pool.nregions), was = atomic_load(&rt_covered);
	while (was < nr && !atomic_compare_exchange_weak(&rt_covered, &was, nr)) {
	}
}

/* size bytes aligned to align from the early area (never given back to it); NULL when it has no room. */
static void *early_carve(size_t size, size_t align)
{
	return early_end ? pool_bump(&early_cur, early_end, size, align) : NULL;
}

bool arena_installed(void) { return installed; }
unsigned arena_count(void) { return narenas; }

/*
 * The block cache: blocks above tcache_max (16 KiB) up to 16 MiB that
 * free() gives back wait here, one LIFO stack of LC_SLOTS per jemalloc size
 * class, shared by every thread and bounded in bytes (lc_budget_med, a
 * thirty-second of the pool at arena_install, for the classes up to 128
 * KiB; lc_budget, a sixteenth, above), and malloc() of the same class takes the
 * newest; a miss first trims groups above 3/4 of their bound (lc_trim).  Without it jemalloc puts them back in its arena, whose extent
 * heaps hand out the oldest, lowest extent next: memory nobody wrote for a
 * long time, so the caller's first writes miss the CPU caches (bench/latency
 * -v: malloc+touch of 128 KiB - 4 MiB p50 9.6 us, 3.0 us from here).
 * jemalloc's thread caches could keep them too (tcache_max up to 8 MiB), but
 * per thread and bounded in entries, not bytes: with 2 threads the pool
 * grew by twice the working set.  Here nothing is stranded in a thread and
 * at most the two bounds wait, and never more than half of the pool's room
 * beyond a floor (lc_limit): past that free() hands blocks to jemalloc and
 * the next miss gives back all that waits (lc_drain).  And a miss that finds
 * the pool full gives everything back and asks again before the pool may
 * grow (lc_may_fail), so the cache never makes the pool grow.  A block in
 * the cache is still allocated as far as jemalloc knows.
 *
 * Locks: one flag per class, only ever tried (busy: the caller goes to
 * jemalloc), so no thread waits and a fork child that inherits a busy flag
 * just bypasses that class.  free() recognises candidates by address: the
 * sizes the cache serves are allocated page-aligned (MALLOCX_ALIGN(4096),
 * so jemalloc adds no cache-oblivious offset), and only page-aligned
 * pointers pay a size lookup (sallocx); others go straight to jemalloc.
 */
struct lc_bin {
	atomic_flag busy;
	_Atomic unsigned n;
	void *p[LC_SLOTS];
};

static _Alignas(64) struct lc_bin lc[LC_CLASSES];

/* Takes bin b if it holds a block and nobody else has it (never waits). */
static bool lc_bin_take(struct lc_bin *b)
{
	return atomic_load_explicit(&b->n, memory_order_relaxed) != 0 &&
	       !atomic_flag_test_and_set_explicit(&b->busy, memory_order_acquire);
}
/*
 * What malloc() and free() write with atomics, on lines of their own, so
 * that free()'s reads of the settings (lc_budget, lc_mag_on, ...) do not
 * miss in the cache each time another thread charged or trimmed; and what
 * every malloc() reads and a drain or a refusal writes (rarely), on a line
 * apart from the counters: with the epoch beside them, each charge by one
 * thread cost the other thread's next malloc a miss on that line.
 */
static struct {
	_Alignas(64) atomic_size_t bytes; /* all that waits */
	atomic_size_t bytes_med;	  /* of it, in classes up to 128 KiB */
	_Alignas(64) _Atomic unsigned epoch; /* drains so far (the magazines, below) */
	_Atomic unsigned trim[2];	  /* lc_trim's cursors */
	_Atomic unsigned char full[2];	  /* a group's bound refused a block since its last trim */
} lc_w;
#define LC_MED_CLASSES ((LC_MED_LG - LC_LG_MIN) * 4)

/* jemalloc's size class of n (4 a doubling above 16 KiB): its index, or -1 outside the cache's range. */
static int lc_index(size_t n, size_t *class_size)
{
	if (n <= ((size_t)1 << LC_LG_MIN) || n > ((size_t)1 << LC_LG_MAX)) {
		return -1;
	}
	int lg = 63 - __builtin_clzll((unsigned long long)(n - 1));
	size_t k = (n - ((size_t)1 << lg) + ((size_t)1 << (lg - 2)) - 1) >> (lg - 2);
	*class_size = ((size_t)1 << lg) + (k << (lg - 2));
	return (lg - LC_LG_MIN) * 4 + (int)k - 1;
}

/* Counts u bytes of class i as no longer waiting. */
static void lc_uncharge(int i, size_t u)
{
	atomic_fetch_sub_explicit(&lc_w.bytes, u, memory_order_relaxed);
	if (i < LC_MED_CLASSES) {
		atomic_fetch_sub_explicit(&lc_w.bytes_med, u, memory_order_relaxed);
	}
}

/*
 * What the cache may hold now: both bounds, and never more than half of the
 * pool's room (uncarved, plus spare) beyond lc_floor, a thirty-second of the
 * pool.  Near the end of the pool the blocks are worth more to jemalloc's
 * other sizes and to served mappings than here.  The floor used to be an
 * eighth of the pool: a pool sized to the working set left the cache
 * nothing, and with threads every block above 16 KiB went to jemalloc's one
 * arena (bench/latency -t 4 at a 320M pool: 3.1M ops/s, 5.5M now, the
 * peer 6.0M in the same loop; no growth in either).  A large
 * miss that finds the pool full drains the cache and asks again before the
 * pool may grow (lc_may_fail).
 */
static size_t lc_room(void) { return pool_size() - pool_used() + spare_bytes(); }

static size_t lc_limit(void)
{
	size_t room = lc_room();
	size_t half = room > lc_floor ? (room - lc_floor) / 2 : 0;
	return half < lc_budget + lc_budget_med ? half : lc_budget + lc_budget_med;
}

/*
 * Counts u more bytes waiting in class i if its group's bound (lc_budget_med
 * up to 128 KiB, lc_budget above: so the few large blocks do not crowd the
 * many medium ones out) and lc_limit allow; false (nothing counted) if not.
 */
static bool lc_charge(int i, size_t u)
{
	atomic_size_t *g = i < LC_MED_CLASSES ? &lc_w.bytes_med : NULL;
	size_t gb = g ? lc_budget_med : lc_budget;
	size_t other = g ? 0 : atomic_load_explicit(&lc_w.bytes_med, memory_order_relaxed);
	size_t total = atomic_fetch_add_explicit(&lc_w.bytes, u, memory_order_relaxed) + u;
	size_t mine = g ? atomic_fetch_add_explicit(g, u, memory_order_relaxed) + u : total - other;
	if (mine <= gb && total <= lc_limit()) {
		return true;
	}
	if (mine > gb && !atomic_load_explicit(&lc_w.full[g == NULL], memory_order_relaxed)) {
		atomic_store_explicit(&lc_w.full[g == NULL], 1, memory_order_relaxed);
	}
	lc_uncharge(i, u);
	return false;
}

/*
 * Spans' blocks of classes from 64 KiB (below spans' largest) are a page
 * longer than their class, so that a size that fills its class still gets a
 * colour (lc_colour): at most a sixteenth more.  Below 64 KiB the padding
 * would cost up to a fifth, and sizes there get a colour only from the room
 * their class leaves.
 */
#define LC_PAD_MIN ((size_t)64 << 10)
static size_t sp_len(size_t cs) { return cs >= LC_PAD_MIN && cs < sp_max ? cs + LC_PAGE : cs; }
/* The class of a block of spans of len bytes (no other block is a page past a class of 64 KiB or more). */
static size_t sp_class(size_t len)
{
	size_t cs = 0, c = len - LC_PAGE;
	return c >= LC_PAD_MIN && lc_index(c, &cs) >= 0 && cs == c && c < sp_max ? c : len;
}

/*
 * A block the cache handles, spans' or jemalloc's (arena_install_spans), p
 * maybe coloured, whose spans_size is s (0: jemalloc's): its usable size,
 * and the bytes the cache counts for it (its size class).
 */
static size_t blk_usable(const void *p, size_t s) { return s ? s - ((uintptr_t)p & (LC_PAGE - 1)) : sallocx(p, 0); }
static size_t blk_class(const void *p, size_t s) { return s ? sp_class(s) : sallocx(p, 0); }
static size_t blk_size(const void *p) { return blk_usable(p, spans_size(p)); }
static void blk_free(void *p)
{
	if (!spans_free(p)) {
		free(p);
	}
}

/* Gives every waiting block back (to spans or jemalloc; classes busy elsewhere are skipped). */
static void lc_drain(void)
{
	atomic_fetch_add_explicit(&lc_w.epoch, 1, memory_order_relaxed);
	for (int i = 0; i < LC_CLASSES; i++) {
		struct lc_bin *b = &lc[i];
		void *p[LC_SLOTS];
		if (!lc_bin_take(b)) {
			continue;
		}
		unsigned c = atomic_load_explicit(&b->n, memory_order_relaxed);
		memcpy(p, b->p, c * sizeof(p[0]));
		atomic_store_explicit(&b->n, 0, memory_order_relaxed);
		atomic_flag_clear_explicit(&b->busy, memory_order_release);
		for (unsigned j = 0; j < c; j++) {
			lc_uncharge(i, blk_class(p[j], spans_size(p[j])));
			blk_free(p[j]);
		}
	}
}

/* The newest waiting block of class i, or NULL; its bytes stay charged (the caller's credit). */
static void *lc_pop(int i)
{
	if (atomic_load_explicit(&lc[i].n, memory_order_relaxed) == 0 ||
	    atomic_flag_test_and_set_explicit(&lc[i].busy, memory_order_acquire)) {
		return NULL;
	}
	struct lc_bin *b = &lc[i];
	void *p = NULL;
	unsigned c = atomic_load_explicit(&b->n, memory_order_relaxed);
	if (c > 0) {
		p = b->p[c - 1];
		atomic_store_explicit(&b->n, c - 1, memory_order_relaxed);
	}
	atomic_flag_clear_explicit(&b->busy, memory_order_release);
	return p;
}

/*
 * The magazines: each thread keeps up to LC_MAG freed blocks per class in
 * initial-exec TLS, newest last, and free() and malloc() of a class whose
 * magazine has room or a block use plain loads and stores only.  The
 * shared stack's flag is a locked read-modify-write on a line that the
 * program's own large writes have usually evicted, and it drains the store
 * buffer those writes filled: that was free()'s p99 (1,200-1,400 cycles,
 * rdtsc).  Every block in a magazine is charged to the bound: a thread holds
 * credit, bytes charged and not yet used, per group; a malloc that misses
 * charges its class's size (when the credit is short), a malloc from a
 * magazine or the shared stack turns the block's bytes into credit, and a
 * free into the magazine spends it, so the atomics and the flags are paid by
 * malloc, not free.  Credit above a quarter of the group's bound is given
 * back.  A magazine above LC_MAG_SOFT gives its oldest to the shared stack on
 * the thread's next malloc (`over`); a free that cannot use it (no credit,
 * full) moves the magazine's blocks to the shared stack before its own, so
 * the order stays newest first.  A drain (lc_drain) bumps lc_w.epoch and each
 * thread empties its magazine and credit on its next malloc; a thread's exit
 * empties them (the key's destructor); a fork child recounts what is charged
 * from its own magazine (arena_atfork_child): other threads' blocks stay in
 * use as far as jemalloc knows.
 */
#define LC_MAG 16
#define LC_MAG_SOFT 8
#define LC_PEND 8
#define LC_PEND_THREADS 4 /* threads that may hold pending frees at once */
static _Atomic unsigned lc_pend_taken; /* of them, the places taken: one bit a place */
/* Each place's pending bytes beyond its own share (lc_pend), on a line of its own. */
static struct {
	_Alignas(64) atomic_size_t over;
} lc_pend_over[LC_PEND_THREADS];
struct lc_mag {
	unsigned n;
	void *p[LC_MAG];
};
struct lc_tls {
	uint64_t over;	  /* classes whose magazine holds more than LC_MAG_SOFT */
	size_t credit[2]; /* charged, unused: [0] classes up to 128 KiB, [1] above */
	unsigned epoch;
	bool registered;
	bool je_ready;	   /* jemalloc served this thread before (lc_may_fail) */
	int pend_slot;	   /* 0: not asked yet, k > 0: holds place k - 1 of LC_PEND_THREADS, -1: refused */
	unsigned npend;	   /* frees waiting for the next malloc (lc_pend) */
	unsigned fflush;   /* the list filled up in free() since the last malloc above 16 KiB: off till then */
	size_t pend_bytes;
	size_t pend_over;  /* of them, beyond the place's own share (published in lc_pend_over) */
	void *pend[LC_PEND];
	size_t pend_u[LC_PEND];
	struct lc_mag m[LC_CLASSES];
};
static __thread struct lc_tls lc_t __attribute__((tls_model("initial-exec")));
static pthread_key_t lc_key;
static bool lc_mag_on; /* the key exists and its value needs no allocation */

static size_t lc_class_size(int i)
{
	int lg = LC_LG_MIN + i / 4;
	return ((size_t)1 << lg) + ((size_t)(i % 4 + 1) << (lg - 2));
}

/* Gives k blocks of class i back to jemalloc. */
static void lc_release(int i, void **ev, unsigned k)
{
	for (unsigned j = 0; j < k; j++) {
		lc_uncharge(i, lc_class_size(i));
		blk_free(ev[j]);
	}
}

/*
 * With class i's flag held: moves its magazine's blocks beyond keep, oldest
 * first, onto the shared stack; a full stack pushes its oldest out into ev
 * (how many: the result).
 */
static unsigned lc_spill_locked(int i, unsigned keep, void **ev)
{
	struct lc_mag *m = &lc_t.m[i];
	struct lc_bin *b = &lc[i];
	unsigned c = atomic_load_explicit(&b->n, memory_order_relaxed), k = 0;
	unsigned move = m->n > keep ? m->n - keep : 0;
	for (unsigned j = 0; j < move; j++) {
		if (c == LC_SLOTS) {
			ev[k++] = b->p[0];
			memmove(&b->p[0], &b->p[1], (c - 1) * sizeof(b->p[0]));
			c--;
		}
		b->p[c++] = m->p[j];
	}
	memmove(&m->p[0], &m->p[move], (m->n - move) * sizeof(m->p[0]));
	m->n -= move;
	atomic_store_explicit(&b->n, c, memory_order_relaxed);
	return k;
}

/* Moves class i's magazine down to keep blocks; with force, a busy flag sends them to jemalloc. */
static void lc_spill(int i, unsigned keep, bool force)
{
	void *ev[LC_MAG];
	unsigned k = 0;
	if (!atomic_flag_test_and_set_explicit(&lc[i].busy, memory_order_acquire)) {
		k = lc_spill_locked(i, keep, ev);
		atomic_flag_clear_explicit(&lc[i].busy, memory_order_release);
	} else if (force) {
		struct lc_mag *m = &lc_t.m[i];
		for (; m->n > keep; m->n--) {
			ev[k++] = m->p[m->n - 1];
		}
	}
	lc_release(i, ev, k);
}

/* Empties this thread's magazines and gives its credit back. */
static void lc_mag_flush(void)
{
	for (int i = 0; i < LC_CLASSES; i++) {
		if (lc_t.m[i].n) {
			lc_spill(i, 0, true);
		}
	}
	lc_t.over = 0;
	lc_uncharge(0, lc_t.credit[0]);
	lc_uncharge(LC_MED_CLASSES, lc_t.credit[1]);
	lc_t.credit[0] = lc_t.credit[1] = 0;
}

/* Everything the cache holds goes back: the shared stacks, then this thread's magazines. */
static void lc_give_back(void)
{
	lc_drain();
	lc_mag_flush();
}

/* So that the thread's exit empties its magazines and pending frees (lc_thread_exit). */
static void lc_register(void)
{
	if (!lc_t.registered && lc_mag_on) {
		lc_t.registered = true;
		pthread_setspecific(lc_key, &lc_t);
	}
}

static void lc_push_or_free(int i, void *p, size_t u);

/* Gives this thread's pending frees, oldest first, to the shared stacks (or jemalloc). */
static void lc_pend_flush(void)
{
	unsigned n = lc_t.npend;
	lc_t.npend = 0;
	lc_t.pend_bytes = 0;
	for (unsigned j = 0; j < n; j++) {
		size_t cs;
		lc_push_or_free(lc_index(lc_t.pend_u[j], &cs), lc_t.pend[j], lc_t.pend_u[j]);
	}
	if (lc_t.pend_over) {
		lc_t.pend_over = 0;
		atomic_store_explicit(&lc_pend_over[lc_t.pend_slot - 1].over, 0, memory_order_relaxed);
	}
}

static void lc_thread_exit(void *unused)
{
	lc_t.registered = false;
	lc_pend_flush();
	if (lc_t.pend_slot > 0) {
		atomic_fetch_and_explicit(&lc_pend_taken, ~(1u << (lc_t.pend_slot - 1)), memory_order_relaxed);
	}
	lc_t.pend_slot = 0;
	lc_mag_flush();
}

/*
 * The key whose destructor empties an exiting thread's magazines.  glibc
 * keeps the values of its first 32 keys in the thread itself, so setting
 * one never allocates (inside malloc); with a later key there are no
 * magazines.
 */
static void lc_mag_init(void)
{
	lc_mag_on = pthread_key_create(&lc_key, lc_thread_exit) == 0 && lc_key < 32;
}

void arena_atfork_child(void)
{
	if (rtree_init_lock != NULL) {
		je_malloc_mutex_postfork_child(NULL, rtree_init_lock);
	}
	spare_atfork_child();
	atomic_store(&reclaiming, 0); /* a reclaimer in another thread did not come along */
	size_t all = lc_t.credit[0] + lc_t.credit[1], med = lc_t.credit[0];
	for (int i = 0; i < LC_CLASSES; i++) {
		size_t b = (atomic_load_explicit(&lc[i].n, memory_order_relaxed) + lc_t.m[i].n) * lc_class_size(i);
		all += b;
		med += i < LC_MED_CLASSES ? b : 0;
	}
	atomic_store_explicit(&lc_w.bytes, all, memory_order_relaxed);
	atomic_store_explicit(&lc_w.bytes_med, med, memory_order_relaxed);
	/* The one thread left keeps its place, if it had one; the others' are free. */
	int k = lc_t.pend_slot - 1;
	atomic_store_explicit(&lc_pend_taken, k >= 0 ? 1u << k : 0, memory_order_relaxed);
	for (int j = 0; j < LC_PEND_THREADS; j++) {
		atomic_store_explicit(&lc_pend_over[j].over, j == k ? lc_t.pend_over : 0, memory_order_relaxed);
	}
}

/* On malloc: a drain since the last call empties the magazines; ones above LC_MAG_SOFT spill their oldest. */
static void lc_mag_tidy(void)
{
	unsigned e = atomic_load_explicit(&lc_w.epoch, memory_order_relaxed);
	lc_pend_flush();
	if (e != lc_t.epoch) {
		lc_t.epoch = e;
		lc_mag_flush();
	}
	for (uint64_t o = lc_t.over; o; o &= o - 1) {
		lc_spill(__builtin_ctzll(o), LC_MAG_SOFT, false);
	}
	lc_t.over = 0;
}

/* Adds u bytes (class i, charged) to this thread's credit; credit above a quarter of the group's bound goes back. */
static void lc_credit(int i, size_t u)
{
	int g = i >= LC_MED_CLASSES;
	size_t cap = (g ? lc_budget : lc_budget_med) / 4;
	lc_t.credit[g] += u;
	if (lc_t.credit[g] > cap) {
		lc_uncharge(i, lc_t.credit[g] - cap);
		lc_t.credit[g] = cap;
	}
	lc_register();
}

/* free() into the magazine of class i: plain loads and stores; false if it has no room or no credit. */
static bool lc_mag_put(int i, void *p, size_t u)
{
	struct lc_mag *m = &lc_t.m[i];
	size_t *cr = &lc_t.credit[i >= LC_MED_CLASSES];
	if (*cr < u || m->n == LC_MAG) {
		return false;
	}
	*cr -= u;
	m->p[m->n++] = p;
	if (m->n > LC_MAG_SOFT) {
		lc_t.over |= (uint64_t)1 << i;
	}
	return true;
}

/*
 * Keeps p (class i, usable size u) on the shared stack, after this thread's
 * magazine of the class; false if it must go to jemalloc.  A full stack, or
 * a full budget with this class not empty, gives up its oldest block for the
 * new one (returned in *evict for jemalloc).
 */
static bool lc_push(int i, void *p, size_t u, void **evict)
{
	if (atomic_flag_test_and_set_explicit(&lc[i].busy, memory_order_acquire)) {
		return false;
	}
	struct lc_bin *b = &lc[i];
	void *ev[LC_MAG];
	unsigned k = lc_spill_locked(i, 0, ev);
	unsigned c = atomic_load_explicit(&b->n, memory_order_relaxed);
	bool room = c < LC_SLOTS && lc_charge(i, u);
	bool kept = room || c > 0;
	if (!room && c > 0) {
		*evict = b->p[0];
		memmove(&b->p[0], &b->p[1], (c - 1) * sizeof(b->p[0]));
		c--;
	}
	if (kept) {
		b->p[c] = p;
		atomic_store_explicit(&b->n, c + 1, memory_order_relaxed);
	}
	atomic_flag_clear_explicit(&b->busy, memory_order_release);
	lc_release(i, ev, k);
	return kept;
}

/* The shared stack's path of free(): lc_push, and what it refuses or evicts to jemalloc. */
static void lc_push_or_free(int i, void *p, size_t u)
{
	void *evict = NULL;
	if (lc_push(i, p, u, &evict)) {
		p = evict;
	}
	if (p) {
		blk_free(p);
	}
}

/*
 * Pending frees are not charged to the cache's bound, so that free() takes
 * no atomic: instead at most LC_PEND_THREADS threads hold them, sharing
 * lc_pend_max (a sixteenth of the pool or more), and a thread asks for its
 * place once (one compare-and-swap on lc_pend_taken; given back at its
 * exit).  So however many threads free and then idle, what waits stays
 * within lc_pend_max, a sixteenth of the pool or more.
 */
static bool lc_pend_slot(void)
{
	if (lc_t.pend_slot == 0) {
		unsigned m = atomic_load_explicit(&lc_pend_taken, memory_order_relaxed);
		lc_t.pend_slot = -1;
		while (m != (1u << LC_PEND_THREADS) - 1) {
			int k = __builtin_ctz(~m);
			if (atomic_compare_exchange_weak_explicit(&lc_pend_taken, &m, m | 1u << k, memory_order_relaxed,
								  memory_order_relaxed)) {
				lc_t.pend_slot = k + 1;
				lc_register(); /* its exit gives the place back */
				break;
			}
		}
	}
	return lc_t.pend_slot > 0;
}

/*
 * A free() that the magazine cannot take (no credit, or full) waits in the
 * thread's pending list for its next malloc above 16 KiB (lc_mag_tidy),
 * which does the shared stack's or jemalloc's work: at most LC_PEND blocks
 * and lc_pend_max bytes, and always before that malloc asks jemalloc for
 * memory, so jemalloc gets them back before it could need the pool.  A
 * free that finds the list full starts to empty it (fflush, till that
 * malloc): each free hands on the two oldest blocks and takes the last
 * place, so no free pays for more than two (handing on all eight at once,
 * each a spans lock and join, was free()'s p99.99: bench/latency one
 * thread 3.7 -> 3.2 us, 16-128 KiB 26 -> 5.7 us), the order stays newest
 * first, and a thread that only frees (a consumer) holds back nothing
 * after its first 2 x LC_PEND frees.  A free short of bytes hands on only
 * the oldest blocks it must (lc_pend_fits).
 */
/*
 * Whether this thread's pending list can take u bytes more.  Each place has
 * an eighth of lc_pend_max of its own (eight blocks up to 128 KiB), and the
 * places taken share the rest: what a place holds beyond its own share it
 * publishes in lc_pend_over, with a plain store to a line of its own, and a
 * free that needs more reads the other places' and takes it only if the
 * sum stays within lc_pend_max less the own shares of the places taken
 * (one thread alone may use all of lc_pend_max, four share half of it).
 * No atomic read-modify-write in free(): with two threads, a shared counter
 * in its place (same bytes) gave frees above 128 KiB a p99 of 0.5-1.7 us
 * against 0.2-0.4 (bench/latency -t 0).  Two places that take at the same
 * instant may both pass, each by its one block.
 */
static bool lc_pend_fits(size_t u)
{
	size_t own = lc_pend_max / 2 / LC_PEND_THREADS;
	size_t over = lc_t.pend_bytes + u > own ? lc_t.pend_bytes + u - own : 0;
	if (over <= lc_t.pend_over) {
		return true; /* already published (what it publishes only falls at lc_pend_flush) */
	}
	int k = lc_t.pend_slot - 1;
	size_t others = 0;
	for (int j = 0; j < LC_PEND_THREADS; j++) {
		others += j == k ? 0 : atomic_load_explicit(&lc_pend_over[j].over, memory_order_relaxed);
	}
	unsigned places = (unsigned)__builtin_popcount(atomic_load_explicit(&lc_pend_taken, memory_order_relaxed));
	if (others + over > lc_pend_max - places * own) {
		return false;
	}
	lc_t.pend_over = over;
	atomic_store_explicit(&lc_pend_over[k].over, over, memory_order_relaxed);
	return true;
}

/* Hands the oldest pending block on to the shared stack (or spans, or jemalloc). */
static void lc_pend_shift(void)
{
	void *q = lc_t.pend[0];
	size_t qu = lc_t.pend_u[0], cs;
	lc_t.npend--;
	memmove(&lc_t.pend[0], &lc_t.pend[1], lc_t.npend * sizeof(lc_t.pend[0]));
	memmove(&lc_t.pend_u[0], &lc_t.pend_u[1], lc_t.npend * sizeof(lc_t.pend_u[0]));
	lc_t.pend_bytes -= qu;
	lc_push_or_free(lc_index(qu, &cs), q, qu);
}

static bool lc_pend(void *p, size_t u)
{
	if (!lc_mag_on || !lc_pend_slot()) {
		return false;
	}
	if (lc_t.npend == LC_PEND) {
		lc_t.fflush = 1; /* till the next malloc the list only empties: a thread that only frees holds nothing back */
	}
	if (lc_t.fflush) {
		/* Two out, oldest first, and p in: one block fewer a free, so never the whole list in one free(). */
		if (lc_t.npend <= 1) {
			if (lc_t.npend) {
				lc_pend_shift();
			}
			return false;
		}
		lc_pend_shift();
		lc_pend_shift();
	}
	/* Short of bytes: the oldest pending blocks go on first (so the order stays newest first). */
	while (!lc_pend_fits(u)) {
		if (lc_t.npend == 0) {
			return false;
		}
		lc_pend_shift();
	}
	lc_t.pend[lc_t.npend] = p;
	lc_t.pend_u[lc_t.npend++] = u;
	lc_t.pend_bytes += u;
	lc_register();
	return true;
}

/*
 * Gives the oldest waiting block of a class of group med (classes up to 128
 * KiB, or above) back to jemalloc while the group holds more than 3/4 of its
 * bound, at most twice, if the group's bound refused a free since the last
 * trim (lc_w.full).  Called on a miss, which goes to jemalloc's arena
 * anyway: so free() finds room and rarely pays jemalloc's arena itself.
 * Only under that pressure: trimming on every miss while above 3/4 gave back
 * blocks the next misses would have reused and put 2-4 deallocations in
 * jemalloc's arena in front of each miss (bench/latency -v, one thread, 320M
 * pool: malloc alone of blocks above 128 KiB p50 490 ns, 330 ns without;
 * malloc+touch p99 6,208 ns -> 6,080, with 2 threads 7,104 -> 6,848; free
 * p99 unchanged; at 128M the frees of up to 128 KiB got faster, p99 142-146
 * ns -> 121-130).
 */
static void lc_trim(bool med)
{
	_Atomic unsigned char *full = &lc_w.full[!med];
	if (!atomic_load_explicit(full, memory_order_relaxed) ||
	    !atomic_exchange_explicit(full, 0, memory_order_relaxed)) {
		return;
	}
	unsigned lo = med ? 0 : LC_MED_CLASSES, cnt = med ? LC_MED_CLASSES : LC_CLASSES - LC_MED_CLASSES;
	size_t soft = (med ? lc_budget_med : lc_budget) / 4 * 3;
	for (int k = 0, scanned = 0; k < 2 && scanned < (int)cnt; scanned++) {
		size_t total = atomic_load_explicit(&lc_w.bytes, memory_order_relaxed);
		size_t m = atomic_load_explicit(&lc_w.bytes_med, memory_order_relaxed);
		if ((med ? m : total - m) <= soft) {
			return;
		}
		unsigned i = lo + atomic_fetch_add_explicit(&lc_w.trim[med], 1, memory_order_relaxed) % cnt;
		struct lc_bin *b = &lc[i];
		if (!lc_bin_take(b)) {
			continue;
		}
		unsigned c = atomic_load_explicit(&b->n, memory_order_relaxed);
		void *p = c ? b->p[0] : NULL;
		if (c) {
			memmove(&b->p[0], &b->p[1], (c - 1) * sizeof(b->p[0]));
			atomic_store_explicit(&b->n, c - 1, memory_order_relaxed);
		}
		atomic_flag_clear_explicit(&b->busy, memory_order_release);
		if (p) {
			lc_uncharge((int)i, blk_class(p, spans_size(p)));
			blk_free(p);
			k++;
		}
	}
}

/*
 * jemalloc's own malloc, calloc and free have its fast paths (a thread-cache
 * hit in a few dozen instructions); mallocx and dallocx take the general
 * path (callgrind: 231 instructions for a malloc/free pair against 84).
 * Linked in under their renamed names, they are direct calls.
 */
/* A new block of class i (cs bytes) is charged, so that its free stays in this thread's magazine. */
static void lc_charge_new(int i, size_t cs)
{
	if (i >= 0 && lc_t.credit[i >= LC_MED_CLASSES] < cs && lc_charge(i, cs)) {
		lc_credit(i, cs);
	}
}

/*
 * Spans' block p (page-aligned) with its colour: a whole number of 64-byte
 * lines into its first page, up to slack bytes (what the block has beyond
 * the size asked: sp_len), from a hash of the block's address, so the same block
 * gets the same colour each time it is reused (docs/design.md, "Colour").
 * The blocks' first bytes, and every byte a page apart from them, then fall
 * in different sets of the CPU's caches instead of all in the 1/64 of the
 * sets that page-aligned addresses share.
 */
static void *lc_colour(void *p, size_t slack)
{
	size_t c = (size_t)((((uintptr_t)p >> 12) * 0x9e3779b97f4a7c15ull) >> 58) << 6;
	return (char *)p + (c <= slack ? c : slack & ~(size_t)63);
}

/* Sizes above arena_small_max (arena.h's inline arena_alloc sends them here). */
void *arena_alloc_cached(size_t size)
{
	size_t cs = 0;
	int i = lc_index(size, &cs);
	lc_t.fflush = 0;
	if (lc_t.over || lc_t.npend || lc_t.epoch != atomic_load_explicit(&lc_w.epoch, memory_order_relaxed)) {
		lc_mag_tidy();
	}
	void *p = NULL;
	if (i >= 0 && lc_t.m[i].n) {
		p = lc_t.m[i].p[--lc_t.m[i].n];
	} else if (i >= 0) {
		p = lc_pop(i);
	}
	if (p) {
		lc_credit(i, cs);
		return sp_max && spans_owns(p) ? lc_colour(p, sp_len(cs) - size) : p;
	}
	if (atomic_load_explicit(&lc_w.bytes, memory_order_relaxed) > lc_limit()) {
		lc_drain();
	} else {
		lc_trim(true);
		lc_trim(false);
	}
	bool span = i >= 0 && cs <= sp_max;
	if (span && (p = spans_alloc(sp_len(cs))) != NULL) {
		goto got;
	}
	if (span && atomic_load_explicit(&lc_w.bytes, memory_order_relaxed) != 0) {
		/*
		 * Spans has no room for it, nor the pool a chunk: what the cache
		 * holds goes back to spans first, where it joins its free
		 * neighbours, before jemalloc's hook gives spans' free units to
		 * spare (they no longer join blocks freed into spans after that).
		 */
		lc_give_back();
		if ((p = spans_alloc(sp_len(cs))) != NULL) {
			goto got;
		}
	}
	/* Not in a thread's first call: jemalloc makes the thread's cache then. */
	size_t want = lc_t.je_ready && atomic_load_explicit(&lc_w.bytes, memory_order_relaxed) != 0
			      ? nallocx(size, MALLOCX_ALIGN(LC_PAGE))
			      : 0;
	lc_may_fail = want;
	p = mallocx(size, MALLOCX_ALIGN(LC_PAGE));
	lc_may_fail = 0;
	if (p == NULL && want) {
		lc_give_back();
		p = span ? spans_alloc(sp_len(cs)) : NULL;
		if (p == NULL) {
			p = mallocx(size, MALLOCX_ALIGN(LC_PAGE));
		}
	}
	lc_t.je_ready = p != NULL;
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	lc_charge_new(i, cs);
	return p;
got:
	lc_charge_new(i, cs);
	return lc_colour(p, sp_len(cs) - size);
}

size_t arena_small_max = SIZE_MAX;
uintptr_t arena_free_mask = UINTPTR_MAX;

/* A front block was used before (its first word at least): zeroed here, up to 16 KiB. */
void *arena_alloc_zero(size_t size)
{
	void *p = size < front_lim ? front_alloc(size) : NULL;
	return p ? memset(p, 0, size) : calloc(1, size);
}

/*
 * Page-aligned pointers, NULL, and once spans are on pointers on a 64-byte
 * line (arena.h's inline arena_free sends them here): a coloured block of
 * spans, or jemalloc's.
 */
void arena_free_cached(void *p)
{
	if (p == NULL) {
		return; /* free(NULL) is common: no lookup for it */
	}
	size_t s = spans_size(p); /* one lookup in spans' map, for both questions below */
	if (((uintptr_t)p & (LC_PAGE - 1)) != 0) {
		if (s == 0) {
			ptfreeze_je_free(p);
			return;
		}
		p = (void *)((uintptr_t)p & ~(uintptr_t)(LC_PAGE - 1)); /* a block of spans: not in the first page */
	}
	size_t u = blk_class(p, s), cs = 0;
	int i = lc_index(u, &cs);
	if (i < 0 || cs != u) {
		blk_free(p);
		return;
	}
	/* Not into the magazine while older frees still wait (fflush): it would hand p out before them. */
	if ((!lc_t.fflush && lc_mag_put(i, p, u)) || lc_pend(p, u)) {
		return;
	}
	lc_push_or_free(i, p, u);
}

void *arena_alloc_aligned(size_t size, size_t align) { return mallocx(size, MALLOCX_ALIGN(align)); }

/*
 * realloc to a size above 16 KiB (docs/design.md, "realloc").  A block that
 * still holds the size stays where it is unless it would be less than half
 * used.  A growth first asks jemalloc to extend the block in place
 * (xallocx: the extent after it is free), and failing that moves it to a
 * block from the block cache's malloc with room for twice the new size
 * (realloc_headroom) and gives the old one to the cache's free.  So a
 * buffer grown a step at a time is copied about once per doubling, not at
 * every step (bench/throughput realloc, 25% a step: memcpy 131 -> 50
 * million instructions), and both blocks are the cache's recent,
 * page-aligned ones, not cold extents rallocx would take from jemalloc's
 * arena and give back to it.
 */
static size_t realloc_headroom(size_t size)
{
	/* Only while the pool has eight times the new size left to carve: headroom never makes it grow. */
	return lc_room() / 8 > size ? size : 0;
}

static __attribute__((noinline)) void *realloc_large(void *p, size_t size)
{
	size_t s = spans_size(p), u = blk_usable(p, s);
	bool span = s != 0;
	if (size <= u && size >= u / 2) {
		return p;
	}
	if (size <= u && !span) {
		return rallocx(p, size, 0);
	}
	size_t extra = size > u ? realloc_headroom(size) : 0;
	if (!span && u > ((size_t)1 << LC_LG_MIN) && xallocx(p, size, extra, 0) >= size) {
		return p;
	}
	int saved = errno;
	void *q = extra ? arena_alloc(size + extra) : NULL;
	errno = saved;
	if (q == NULL && (q = arena_alloc(size)) == NULL) {
		return NULL;
	}
	memcpy(q, p, u < size ? u : size);
	arena_free(p);
	return q;
}

/* A front block: kept while the size fits its class and fills more than half of it, else moved. */
static __attribute__((noinline)) void *realloc_front(void *p, size_t size)
{
	size_t u = front_usable(p);
	if (size <= u && (size > u / 2 || u == 16)) {
		return p;
	}
	void *q = arena_alloc(size);
	if (q != NULL) {
		memcpy(q, p, size < u ? size : u);
		front_free(p);
	}
	return q;
}

void *arena_realloc(void *p, size_t size)
{
	if (front_owns(p)) {
		return realloc_front(p, size);
	}
	if ((size <= ((size_t)1 << LC_LG_MIN) || lc_budget == 0) && !spans_owns(p)) {
		return rallocx(p, size, 0);
	}
	return realloc_large(p, size);
}
size_t arena_usable_size(const void *p) { return front_owns(p) ? front_usable(p) : blk_size(p); }

/*
 * Spans' chunks: pool memory as the alloc hook finds it (spare first), but
 * never by growing the pool.  A spare run of `least` (the block spans
 * needs) comes before new room: once spans_release has given its free
 * units back, spare's runs are mostly shorter than a chunk, and while spans
 * asked for whole chunks only they were left to jemalloc's small extents;
 * the room went instead and a full pool grew after arming again and again
 * (bench/latency -m at 232M, 1.5 million replacements: five growths after
 * arming; two with this and the drain in arena_alloc_cached).
 */
static void *sp_chunk_get(size_t *size, size_t least)
{
	pool_note_request(*size);
	void *p = spare_take(*size, SP_CHUNK_ALIGN);
	if (p == NULL && least < *size && (p = spare_take(least, SP_CHUNK_ALIGN)) != NULL) {
		*size = least;
	}
	if (p == NULL && (p = spare_take_tail(*size, SP_CHUNK_ALIGN)) == NULL) {
		p = carve_aligned(*size, SP_CHUNK_ALIGN);
	}
	if (p == NULL && least < *size && (p = carve_aligned(least, SP_CHUNK_ALIGN)) != NULL) {
		*size = least; /* the room left is less than a chunk */
	}
	return p;
}

void arena_install_spans(void)
{
	sp_max = lc_budget ? spans_install(pool_size(), sp_chunk_get) : 0; /* 16 MiB: the cache's largest class */
	if (sp_max) {
		arena_free_mask = 63; /* before any block of spans is handed out: the colours (lc_colour) */
	}
}
