/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spans: see spans.h and docs/design.md, "Spans".
 *
 * Each pool region spans has used has a map of its own, carved from the
 * pool the first time: a bit per 64 KiB unit (set: the unit is spans'), and
 * an entry per 4 KiB page, meaningful at the first and the last page of
 * each span (its length and state), so that a free finds its block's
 * length at the block's first page and its neighbours' at the pages on
 * either side, across the ends of the chunks it took, as long as they
 * are spans' too.  A free span's first entry also links it into a bin.
 */
#include "spans.h"

#include <stdatomic.h>
#include <stdint.h>

#include "pool.h"
#include "spare.h"
#include "sys.h"

#define SP_LG_PAGE 12
#define SP_PAGE ((uintptr_t)1 << SP_LG_PAGE)
#define SP_LG_UNIT 16
#define SP_UNIT ((uintptr_t)1 << SP_LG_UNIT)
#define SP_POOL_MIN ((size_t)32 << 20)
#define SP_BINS 64
#define SP_SCAN 8 /* spans of a fit's own bin looked at before a larger bin's is split */
#define SP_WAIT (128 + 16) /* rounds of sys_backoff a served mapping waits for the lock (spans_map, spans_cut) */

enum { SP_FREE = 1, SP_USED = 2 };

struct sp_pg {
	uint32_t len;	 /* pages of the span */
	uint16_t state;	 /* SP_FREE or SP_USED (first and last page) */
	uint16_t region; /* the pool region (first page) */
	struct sp_pg *prev, *next; /* a free span's bin (first page only) */
};

struct sp_map {
	uintptr_t base, npages;
	uint16_t region;
	struct sp_pg *pg;
	/*
	 * A used span's length in pages at its first page, 0 for a free span
	 * (and for one too long for 16 bits: pg has it): what free() looks up
	 * (spans_size).  Two bytes a page instead of pg's 24, so that the
	 * entry is far more often in a cache the program's own writes left.
	 */
	uint16_t *plen;
	_Atomic uint64_t units[]; /* a bit per 64 KiB unit */
};

static struct {
	_Alignas(64) atomic_flag lock;
	uint64_t nonempty; /* bins that hold a span */
	struct sp_pg *bin[SP_BINS];
	size_t chunks, used; /* bytes taken from the pool, and in blocks */
} heap;

static _Atomic(struct sp_map *) maps[POOL_MAX_REGIONS];
static size_t max_size, chunk_size;
static void *(*chunk_get)(size_t *size, size_t least);

/* Bin of a free span of n pages (n >= 1): 1-3 pages exact, then four a doubling; the last from 256 MiB on. */
static unsigned bin_of(uint32_t n)
{
	if (n < 4) {
		return n - 1;
	}
	unsigned lg = 31u - (unsigned)__builtin_clz(n);
	unsigned b = (lg - 1) * 4 + ((n >> (lg - 2)) & 3);
	return b < SP_BINS ? b : SP_BINS - 1;
}

/* The map of p's region and p's page in it, or NULL when p is in no region spans has used. */
static struct sp_map *map_of(uintptr_t p, uintptr_t *page)
{
	const struct pool_region *r = pool_region_of((const void *)p);
	if (r == NULL) {
		return NULL;
	}
	struct sp_map *m = atomic_load_explicit(&maps[r - pool.regions], memory_order_acquire);
	if (m != NULL) {
		*page = (p - m->base) >> SP_LG_PAGE;
	}
	return m;
}

static bool unit_is_ours(const struct sp_map *m, uintptr_t page)
{
	uintptr_t u = page >> (SP_LG_UNIT - SP_LG_PAGE);
	return (atomic_load_explicit(&m->units[u / 64], memory_order_acquire) >> (u % 64)) & 1;
}

static struct sp_map *map_of_entry(const struct sp_pg *e) { return atomic_load_explicit(&maps[e->region], memory_order_relaxed); }

/* Marks pages [i, i + len) of m as one span in state st (its first and last entries). */
static void span_mark(struct sp_map *m, uintptr_t i, uint32_t len, uint16_t st)
{
	m->pg[i].len = m->pg[i + len - 1].len = len;
	m->pg[i].state = m->pg[i + len - 1].state = st;
	m->plen[i] = st == SP_USED && len <= UINT16_MAX ? (uint16_t)len : 0;
}

static void bin_push(struct sp_map *m, uintptr_t i, uint32_t len)
{
	span_mark(m, i, len, SP_FREE);
	unsigned b = bin_of(len);
	struct sp_pg *e = &m->pg[i];
	e->region = m->region;
	e->prev = NULL;
	e->next = heap.bin[b];
	if (e->next != NULL) {
		e->next->prev = e;
	}
	heap.bin[b] = e;
	heap.nonempty |= (uint64_t)1 << b;
}

static void bin_unlink(struct sp_pg *e)
{
	unsigned b = bin_of(e->len);
	if (e->prev != NULL) {
		e->prev->next = e->next;
	} else {
		heap.bin[b] = e->next;
	}
	if (e->next != NULL) {
		e->next->prev = e->prev;
	}
	if (heap.bin[b] == NULL) {
		heap.nonempty &= ~((uint64_t)1 << b);
	}
}

/* Clears the bits of m's units [u, v). */
static void units_clear(struct sp_map *m, uintptr_t u, uintptr_t v)
{
	for (; u < v; u++) {
		atomic_fetch_and_explicit(&m->units[u / 64], ~((uint64_t)1 << (u % 64)), memory_order_release);
	}
}

/*
 * Makes pages [i, i + len) of m free, joined with free neighbours (pages
 * of units that are spans').  With the lock.
 */
static void span_free(struct sp_map *m, uintptr_t i, uint32_t len)
{
	uintptr_t j = i + len;
	if (j < m->npages && unit_is_ours(m, j) && m->pg[j].state == SP_FREE) {
		len += m->pg[j].len;
		bin_unlink(&m->pg[j]);
	}
	if (i > 0 && unit_is_ours(m, i - 1) && m->pg[i - 1].state == SP_FREE) {
		uintptr_t k = i - m->pg[i - 1].len;
		len += m->pg[k].len;
		bin_unlink(&m->pg[k]);
		i = k;
	}
	bin_push(m, i, len);
}

/*
 * Gives the whole 64 KiB units of free span e back to spare, and keeps what
 * is left on either side; the bytes given.  With the lock.
 */
static size_t span_release(struct sp_pg *e)
{
	const uintptr_t per = SP_UNIT >> SP_LG_PAGE;
	struct sp_map *m = map_of_entry(e);
	uintptr_t i = (uintptr_t)(e - m->pg), len = e->len;
	uintptr_t u = (i + per - 1) / per, v = (i + len) / per;
	if (v <= u) {
		return 0;
	}
	bin_unlink(e);
	units_clear(m, u, v);
	(void)spare_put((void *)(m->base + u * SP_UNIT), (v - u) * SP_UNIT); /* false: the bits' area is full */
	heap.chunks -= (v - u) * SP_UNIT;
	if (u * per > i) {
		bin_push(m, i, (uint32_t)(u * per - i));
	}
	if (i + len > v * per) {
		bin_push(m, v * per, (uint32_t)(i + len - v * per));
	}
	return (v - u) * SP_UNIT;
}

size_t spans_release(void)
{
	if (max_size == 0 || atomic_flag_test_and_set_explicit(&heap.lock, memory_order_acquire)) {
		return 0; /* busy: the holder may be the forker, waiting for the caller's jemalloc lock */
	}
	size_t got = 0;
	for (int b = (int)bin_of(SP_UNIT >> SP_LG_PAGE); b < SP_BINS; b++) {
		for (struct sp_pg *e = heap.bin[b], *next; e != NULL; e = next) {
			next = e->next;
			got += span_release(e);
		}
	}
	sys_spin_unlock(&heap.lock);
	return got;
}

/* A block of n pages from the free spans, or NULL.  With the lock. */
static void *heap_alloc(uint32_t n)
{
	unsigned b = bin_of(n);
	struct sp_pg *e = heap.bin[b];
	for (int k = 0; e != NULL && e->len < n; k++) {
		e = k < SP_SCAN ? e->next : NULL;
	}
	if (e == NULL) {
		uint64_t m = heap.nonempty & ~(((uint64_t)2 << b) - 1);
		if (m == 0) {
			return NULL;
		}
		e = heap.bin[__builtin_ctzll(m)];
	}
	bin_unlink(e);
	struct sp_map *m = map_of_entry(e);
	uintptr_t i = (uintptr_t)(e - m->pg);
	uint32_t len = e->len;
	if (len > n) {
		bin_push(m, i + n, len - n);
	}
	span_mark(m, i, n, SP_USED);
	heap.used += (size_t)n << SP_LG_PAGE;
	return (void *)(m->base + (i << SP_LG_PAGE));
}

/* Region r's map, made the first time (with the lock); NULL if the pool has no room for it. */
static struct sp_map *map_for(const struct pool_region *r)
{
	int k = (int)(r - pool.regions);
	struct sp_map *m = atomic_load_explicit(&maps[k], memory_order_relaxed);
	if (m != NULL || (r->base & (SP_UNIT - 1)) != 0) {
		return m; /* units are 64 KiB of the address space */
	}
	uintptr_t npages = (r->end - r->base) >> SP_LG_PAGE;
	size_t words = ((npages >> (SP_LG_UNIT - SP_LG_PAGE)) + 64) / 64;
	size_t off = (sizeof(*m) + words * sizeof(uint64_t) + 63) & ~(size_t)63;
	size_t off2 = (off + npages * sizeof(struct sp_pg) + 63) & ~(size_t)63;
	size_t len = (off2 + npages * sizeof(uint16_t) + SP_PAGE - 1) & ~(SP_PAGE - 1);
	m = pool_carve(len, SP_PAGE); /* never handed out before: zero */
	if (m == NULL) {
		return NULL;
	}
	m->base = r->base;
	m->npages = npages;
	m->pg = (struct sp_pg *)((char *)m + off);
	m->plen = (uint16_t *)((char *)m + off2);
	m->region = (uint16_t)k;
	atomic_store_explicit(&maps[k], m, memory_order_release);
	return m;
}

/* Adds a chunk of at least n pages from the pool to the free spans; false if the pool has none.  With the lock. */
static bool heap_grow(uint32_t n)
{
	size_t need = (((size_t)n << SP_LG_PAGE) + SP_UNIT - 1) & ~(SP_UNIT - 1);
	size_t size = need > chunk_size ? need : chunk_size;
	uintptr_t c = (uintptr_t)chunk_get(&size, need);
	const struct pool_region *r = c ? pool_region_of((void *)c) : NULL;
	struct sp_map *m = r ? map_for(r) : NULL;
	if (m == NULL) {
		if (c != 0) {
			(void)spare_put((void *)c, size); /* no room for the region's map */
		}
		return false;
	}
	uintptr_t i = (c - m->base) >> SP_LG_PAGE;
	for (uintptr_t u = i >> (SP_LG_UNIT - SP_LG_PAGE); u < (i + (size >> SP_LG_PAGE)) >> (SP_LG_UNIT - SP_LG_PAGE); u++) {
		atomic_fetch_or_explicit(&m->units[u / 64], (uint64_t)1 << (u % 64), memory_order_release);
	}
	heap.chunks += size;
	span_free(m, i, (uint32_t)(size >> SP_LG_PAGE));
	return true;
}

/* A block of size bytes (1 to max_size), with the lock, which it drops. */
static void *alloc_locked(size_t size)
{
	uint32_t n = (uint32_t)((size + SP_PAGE - 1) >> SP_LG_PAGE);
	void *p = heap_alloc(n);
	if (p == NULL && heap_grow(n)) {
		p = heap_alloc(n);
	}
	sys_spin_unlock(&heap.lock);
	return p;
}

void *spans_alloc(size_t size)
{
	if (size == 0 || size > max_size) {
		return NULL; /* off, or larger than any block */
	}
	sys_spin_lock(&heap.lock);
	return alloc_locked(size);
}

/* p's map and page when p is a block of spans (or a page of one), else NULL. */
static struct sp_map *map_of_ours(const void *p, uintptr_t *page)
{
	struct sp_map *m = max_size ? map_of((uintptr_t)p, page) : NULL;
	return m != NULL && unit_is_ours(m, *page) ? m : NULL;
}

bool spans_owns(const void *p)
{
	uintptr_t page = 0;
	return map_of_ours(p, &page) != NULL;
}

bool spans_free(void *p)
{
	uintptr_t i = 0;
	struct sp_map *m = map_of_ours(p, &i);
	if (m == NULL) {
		return false;
	}
	sys_spin_lock(&heap.lock);
	if (m->pg[i].state == SP_USED) {
		heap.used -= (size_t)m->pg[i].len << SP_LG_PAGE;
		span_free(m, i, m->pg[i].len);
	}
	sys_spin_unlock(&heap.lock);
	return true;
}

/*
 * The lock, or false after a bounded wait: the holder may be the very
 * thread a signal handler interrupted, when the handler maps or unmaps.
 */
static bool lock_bounded(void)
{
	unsigned spins = 0;
	while (atomic_flag_test_and_set_explicit(&heap.lock, memory_order_acquire)) {
		if (spins >= SP_WAIT) {
			return false;
		}
		sys_backoff(&spins);
	}
	return true;
}

void *spans_map(size_t size) { return size == 0 || size > max_size || !lock_bounded() ? NULL : alloc_locked(size); }

int spans_cut(void *p, size_t at, size_t len, bool give)
{
	uintptr_t i = 0;
	struct sp_map *m = map_of_ours(p, &i);
	if (m == NULL || ((at | len) & (SP_PAGE - 1)) != 0) {
		return 0;
	}
	uintptr_t a = at >> SP_LG_PAGE, b = (at + len) >> SP_LG_PAGE;
	if (!lock_bounded()) {
		return -1;
	}
	uint32_t n = m->pg[i].len;
	int r = m->pg[i].state == SP_USED && b <= n && (a > 0 || b > 0) ? 1 : 0;
	if (r) {
		if (a > 0 && a < n) {
			span_mark(m, i, (uint32_t)a, SP_USED);
			span_mark(m, i + a, n - (uint32_t)a, SP_USED);
		}
		if (b > a && b < n) {
			span_mark(m, i + a, (uint32_t)(b - a), SP_USED);
			span_mark(m, i + b, n - (uint32_t)b, SP_USED);
		}
		if (give && b > a) {
			heap.used -= (size_t)(b - a) << SP_LG_PAGE;
			span_free(m, i + a, (uint32_t)(b - a));
		}
	}
	sys_spin_unlock(&heap.lock);
	return r;
}

size_t spans_size(const void *p)
{
	uintptr_t i = 0;
	struct sp_map *m = map_of_ours(p, &i);
	if (m == NULL) {
		return 0;
	}
	uint16_t n = m->plen[i];
	return (size_t)(n ? n : m->pg[i].len) << SP_LG_PAGE;
}

size_t spans_install(size_t pool_bytes, void *(*get)(size_t *size, size_t least))
{
	if (pool_bytes < SP_POOL_MIN || get == NULL) {
		return 0;
	}
	chunk_get = get;
	chunk_size = (pool_bytes / 64) & ~(SP_UNIT - 1);
	chunk_size = chunk_size > SP_UNIT ? chunk_size : SP_UNIT;
	max_size = (size_t)16 << 20; /* last: map_of_ours reads it first */
	return max_size;
}

size_t spans_chunks(void) { return heap.chunks; }
size_t spans_used(void) { return heap.used; }

void spans_atfork_prepare(void) { sys_spin_lock(&heap.lock); }
void spans_atfork_parent(void) { sys_spin_unlock(&heap.lock); }
void spans_atfork_child(void) { sys_spin_unlock(&heap.lock); }

