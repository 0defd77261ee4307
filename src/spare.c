/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spare: pool memory jemalloc's arenas gave back (see spare.h).
 */
#include "spare.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pool.h"
#include "sys.h"

#define SP_LG_PAGE 12
#define SP_PAGE ((size_t)1 << SP_LG_PAGE)

struct sp_region {
	uintptr_t base;
	size_t npages;
	size_t nfree; /* pages spare */
	size_t lo;    /* no spare page below this one */
	uint64_t *bits; /* NULL: not covered yet (cover) */
};

/* One per pool region, same index. */
static struct sp_region sp[POOL_MAX_REGIONS];
static atomic_flag sp_lock;
static atomic_size_t sp_bytes;
/* The bits' own mapping (outside the pool), handed to regions in turn. */
static uint64_t *area;
static size_t area_words, area_used;

int spare_init(void)
{
	if (atomic_load(&pool.nregions) == 0) {
		return -ENOMEM;
	}
	/*
	 * Room for bits over twice this machine's memory (at least 8 times the
	 * pool): virtual only, written a page at a time as regions are covered.
	 */
	long pages = sysconf(_SC_PHYS_PAGES);
	size_t cover = pages > 0 ? (size_t)pages * 2 * SP_PAGE : 0;
	cover = cover > 8 * pool_size() ? cover : 8 * pool_size();
	size_t len = ((cover / SP_PAGE + 63) / 64 * sizeof(uint64_t) + SP_PAGE - 1) & ~(SP_PAGE - 1);
	long r = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r < 0 && r > -4096) {
		return (int)r;
	}
	area = (uint64_t *)r;
	area_words = len / sizeof(uint64_t);
	return 0;
}

/*
 * Region i's bits, giving it its share of the area the first time (with
 * the lock held); NULL if the area is full (the region stays uncovered).
 */
static struct sp_region *cover(int i)
{
	struct sp_region *r = &sp[i];
	if (r->bits == NULL && area != NULL) {
		size_t npages = (pool.regions[i].end - pool.regions[i].base) / SP_PAGE, words = (npages + 63) / 64;
		if (area_words - area_used < words) {
			return NULL;
		}
		r->base = pool.regions[i].base;
		r->npages = npages;
		r->lo = npages;
		r->bits = area + area_used;
		area_used += words;
	}
	return r->bits ? r : NULL;
}

void spare_populate(void)
{
	/*
	 * Only tried: arming may run in a signal handler that interrupted this
	 * thread inside a hook holding the flag.  Then the regions not covered
	 * yet get their bits at their first extent, a fault after arming.
	 */
	int n = atomic_load(&pool.nregions);
	if (!atomic_flag_test_and_set_explicit(&sp_lock, memory_order_acquire)) {
		for (int i = 0; i < n; i++) {
			cover(i);
		}
		sys_spin_unlock(&sp_lock);
	}
	size_t used = area_used * sizeof(uint64_t);
	if (used) {
		sys_madvise(area, (used + SP_PAGE - 1) & ~(SP_PAGE - 1), MADV_POPULATE_WRITE);
	}
}

/* The first page at or after i (below n) whose bit is `set`, or n. */
static size_t next_bit(const uint64_t *b, size_t i, size_t n, bool set)
{
	while (i < n) {
		uint64_t w = (set ? b[i / 64] : ~b[i / 64]) >> (i % 64);
		if (w) {
			i += (size_t)__builtin_ctzll(w);
			return i < n ? i : n;
		}
		i = (i | 63) + 1;
	}
	return n;
}

/* Sets (spare) or clears (taken) the bits of pages [s, s+n). */
static void mark(uint64_t *b, size_t s, size_t n, bool set)
{
	while (n) {
		size_t k = 64 - s % 64 < n ? 64 - s % 64 : n;
		uint64_t m = (k == 64 ? ~(uint64_t)0 : (((uint64_t)1 << k) - 1)) << (s % 64);
		b[s / 64] = set ? b[s / 64] | m : b[s / 64] & ~m;
		s += k;
		n -= k;
	}
}

/* The covered region holding a (the lock is held); NULL if none. */
static struct sp_region *region_of(uintptr_t a, bool covering)
{
	const struct pool_region *pr = pool_region_of((const void *)a);
	if (pr == NULL) {
		return NULL;
	}
	int i = (int)(pr - pool.regions);
	return covering ? cover(i) : (sp[i].bits ? &sp[i] : NULL);
}

/* Takes pages [s, s+n) of r; the lock is held. */
static void *claim(struct sp_region *r, size_t s, size_t n)
{
	mark(r->bits, s, n, false);
	r->nfree -= n;
	atomic_fetch_sub_explicit(&sp_bytes, n * SP_PAGE, memory_order_relaxed);
	return (void *)(r->base + s * SP_PAGE);
}

bool spare_put(void *p, size_t size)
{
	uintptr_t a = (uintptr_t)p;
	size_t n = size >> SP_LG_PAGE;
	if ((a | size) & (SP_PAGE - 1) || n == 0) {
		return false;
	}
	sys_spin_lock(&sp_lock);
	struct sp_region *r = region_of(a, true);
	bool ok = r != NULL && (a - r->base) / SP_PAGE + n <= r->npages;
	if (ok) {
		size_t s = (a - r->base) / SP_PAGE;
		mark(r->bits, s, n, true);
		r->nfree += n;
		r->lo = s < r->lo ? s : r->lo;
		atomic_fetch_add_explicit(&sp_bytes, size, memory_order_relaxed);
	}
	sys_spin_unlock(&sp_lock);
	return ok;
}

/*
 * The best fit for n pages whose address is aligned to align: the shortest
 * spare run that holds them (the lowest of equals; an exact fit ends the
 * search), as jemalloc's own extent heaps choose.  First fit from the lowest
 * address split the long runs for small extents: with four arenas, a 4 MiB
 * request found no run among 370 holding 170 MB, and the pool grew.  Its
 * first page, with the run's length in *len; npages if none.
 */
static size_t find_run(struct sp_region *r, size_t n, size_t align, size_t *len)
{
	size_t j = next_bit(r->bits, r->lo, r->npages, true), best = r->npages;
	r->lo = j;
	*len = SIZE_MAX;
	while (j < r->npages) {
		size_t e = next_bit(r->bits, j, r->npages, false);
		uintptr_t a = (r->base + j * SP_PAGE + align - 1) & ~(uintptr_t)(align - 1);
		size_t s = (a - r->base) / SP_PAGE;
		if (s + n <= e && e - j < *len) {
			best = s;
			*len = e - j;
			if (e - j == n) {
				break;
			}
		}
		j = next_bit(r->bits, e, r->npages, true);
	}
	return best;
}

void *spare_take(size_t size, size_t align)
{
	size_t n = (size + SP_PAGE - 1) >> SP_LG_PAGE;
	if (align < SP_PAGE) {
		align = SP_PAGE;
	}
	if (n == 0 || atomic_load_explicit(&sp_bytes, memory_order_relaxed) < n * SP_PAGE) {
		return NULL;
	}
	void *p = NULL;
	struct sp_region *best = NULL;
	size_t at = 0, shortest = SIZE_MAX;
	sys_spin_lock(&sp_lock);
	int nr = atomic_load(&pool.nregions);
	for (int i = 0; i < nr && shortest != n; i++) {
		struct sp_region *r = &sp[i];
		size_t len, s = r->bits && r->nfree >= n ? find_run(r, n, align, &len) : r->npages;
		if (s < r->npages && len < shortest) {
			best = r;
			at = s;
			shortest = len;
		}
	}
	if (best) {
		p = claim(best, at, n);
	}
	sys_spin_unlock(&sp_lock);
	return p;
}

void *spare_take_at(void *addr, size_t size)
{
	uintptr_t a = (uintptr_t)addr;
	size_t n = size >> SP_LG_PAGE;
	if ((a | size) & (SP_PAGE - 1) || n == 0 || atomic_load_explicit(&sp_bytes, memory_order_relaxed) < size) {
		return NULL;
	}
	void *p = NULL;
	sys_spin_lock(&sp_lock);
	struct sp_region *r = region_of(a, false);
	size_t s = r ? (a - r->base) / SP_PAGE : 0;
	if (r && s + n <= r->npages && next_bit(r->bits, s, s + n, false) == s + n) {
		p = claim(r, s, n);
	}
	sys_spin_unlock(&sp_lock);
	return p;
}

/* The first page of the spare run that ends just below page c (which is spare), or c if page c - 1 is not spare. */
static size_t run_start(const uint64_t *b, size_t c)
{
	while (c > 0) {
		size_t i = c - 1;
		uint64_t w = ~b[i / 64] << (63 - i % 64); /* page i at the top bit, pages below it after */
		if (w == 0) {
			c = i - i % 64; /* pages i % 64 .. 0 of the word all spare */
			continue;
		}
		return c - (size_t)__builtin_clzll(w);
	}
	return 0;
}

void *spare_take_tail(size_t size, size_t align)
{
	if (align < SP_PAGE) {
		align = SP_PAGE;
	}
	if (atomic_load_explicit(&sp_bytes, memory_order_relaxed) == 0) {
		return NULL;
	}
	void *p = NULL;
	int nr = atomic_load(&pool.nregions);
	sys_spin_lock(&sp_lock);
	for (int i = 0; i < nr && p == NULL; i++) {
		struct sp_region *r = &sp[i];
		if (r->bits == NULL) {
			continue;
		}
		uintptr_t cur = atomic_load(&pool.regions[i].cursor);
		size_t c = (cur - r->base) / SP_PAGE;
		if (cur & (SP_PAGE - 1) || c == 0 || c > r->npages || !(r->bits[(c - 1) / 64] >> ((c - 1) % 64) & 1)) {
			continue;
		}
		uintptr_t a = (r->base + run_start(r->bits, c) * SP_PAGE + align - 1) & ~(uintptr_t)(align - 1);
		if (a >= cur || cur - a >= size || pool_carve_at((void *)cur, size - (cur - a)) == NULL) {
			continue;
		}
		p = claim(r, (a - r->base) / SP_PAGE, (cur - a) / SP_PAGE);
	}
	sys_spin_unlock(&sp_lock);
	return p;
}

size_t spare_bytes(void) { return atomic_load_explicit(&sp_bytes, memory_order_relaxed); }

void spare_atfork_child(void) { sys_spin_unlock(&sp_lock); }

