/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * front: the small-object allocator in front of jemalloc (see front.h and
 * docs/design.md, "The small-object front end").  Its slow paths: a
 * thread's first small malloc (a heap: adopted from an exited thread, or
 * new), a class whose free list ran dry (the other threads' frees, else
 * the never-used rest of the class's page, else a new page), thread exit
 * and fork.  No lock anywhere: the area's page cursor and the heap list
 * are atomics, heap ownership is a compare-and-swap on its state.
 */
#include "front.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "log.h"
#include "pool.h"
#include "shim.h"
#include "spare.h"

/* jemalloc's renamed malloc (arena.h; the fallback when the front has nothing). */
void *ptfreeze_je_malloc(size_t size);

enum { FRONT_OWNED = 1, FRONT_ABANDONED = 2 };

#define FRONT_AREA_MIN ((size_t)1 << 20)
#define FRONT_ALIGN ((size_t)2 << 20)
/* Pages of the area for heaps (56 of 2,304 bytes); more heaps come from the pool. */
#define FRONT_HEAP_PAGES 2
#define FRONT_AREA_MAX ((size_t)64 << 20)
#define FRONT_PAGES_2M (FRONT_ALIGN >> FRONT_LG_PAGE)
/* Bytes of a fresh page a refill links into the free list at once (at least one block). */
#define FRONT_EXTEND 4096
/* Other heaps' blocks a thread's free collects per class before it hands them over: at most 32, and 32 KiB. */
#define FRONT_BATCH 32
#define FRONT_BATCH_BYTES 32768
/*
 * Classes above this size take pages only while half of the area is left:
 * the rest is kept for the small classes, which most programs use most.
 */
#define FRONT_KEEP_SMALL 1024

size_t front_lim;
uintptr_t front_base, front_len;
struct front_page *front_pages;
uint8_t front_class[FRONT_MAX / 16 + 1];
__thread struct front_heap *front_tls;

static __thread bool front_exited; /* past this thread's key destructor: no heap any more */
static uint32_t class_size[FRONT_CLASSES];
static uint8_t batch_max[FRONT_CLASSES]; /* FRONT_BATCH, fewer for large classes (FRONT_BATCH_BYTES) */
static size_t npages, first_page; /* the area's pages, and the first class page (after the table and heaps) */
/*
 * The next page to hand out (low 32 bits) and the end of the pages that may
 * be (high 32: npages, less what front_release gave back), in one word so
 * that a claim and a release never both have a page.
 */
static _Atomic uint64_t claim;
static size_t given_back; /* pages front_release gave to spare */
static atomic_flag releasing;
static char *heap_zone;		/* FRONT_HEAP_PAGES pages of heaps */
static _Atomic size_t heap_next; /* bytes of it handed out */
static _Atomic size_t nheaps;
static _Atomic(struct front_heap *) heaps;
static pthread_key_t front_key;

/*
 * 16-byte steps to 128, then four classes a doubling (jemalloc's and
 * mimalloc's spacing) up to FRONT_MAX: 36 classes, at most 25% lost to
 * rounding above 128 (a 64 KiB page holds four 16 KiB blocks, or six of 10 KiB).
 */
static void classes_init(void)
{
	unsigned c = 0;
	for (uint32_t s = 16; s <= 128; s += 16) {
		class_size[c++] = s;
	}
	for (uint32_t lg = 7; (1u << lg) < FRONT_MAX; lg++) {
		for (uint32_t k = 1; k <= 4; k++) {
			class_size[c++] = (1u << lg) + (k << (lg - 2));
		}
	}
	for (unsigned k = 0; k < FRONT_CLASSES; k++) {
		uint32_t b = FRONT_BATCH_BYTES / class_size[k];
		batch_max[k] = (uint8_t)(b > FRONT_BATCH ? FRONT_BATCH : b < 2 ? 2 : b);
	}
	for (unsigned i = 0, k = 0; i <= FRONT_MAX / 16; i++) {
		while (class_size[k] < i * 16) {
			k++;
		}
		front_class[i] = (uint8_t)k;
	}
}

size_t front_area_for(size_t pool_bytes)
{
	size_t a = pool_bytes / 16;
	if (a < FRONT_AREA_MIN) {
		return 0;
	}
	a = a > FRONT_AREA_MAX ? FRONT_AREA_MAX : a;
	return a < FRONT_ALIGN ? FRONT_ALIGN : a & ~(FRONT_ALIGN - 1);
}

static void thread_exit(void *v);
static void out_flush(struct front_heap *h, unsigned c);

/*
 * The area holds everything the front writes: its table, then
 * FRONT_HEAP_PAGES pages of heaps, then the class pages; it is aligned to
 * and a multiple of 2 MiB.  So no huge page of it is shared with memory
 * the pool hands to anyone else: a program's mprotect or munmap of a
 * served mapping next to it would split that huge page, and a heap
 * carved there after arming faulted (bench/latency -c, heaps from
 * pool_carve: 1 fault in the worker in 3 runs of 3; the kernel's reclaim
 * of zero-filled pages of split huge pages, as far as we can tell).
 */
/* The table's meta pages, then the heaps', then the class pages. */
static void lay_out(char *base, size_t n, size_t meta)
{
	front_pages = (struct front_page *)base;
	heap_zone = base + (meta << FRONT_LG_PAGE);
	first_page = meta + FRONT_HEAP_PAGES;
	atomic_store_explicit(&claim, (uint64_t)n << 32 | first_page, memory_order_relaxed);
	npages = n;
	front_base = (uintptr_t)base;
	front_len = n << FRONT_LG_PAGE;
}

int front_install(size_t area)
{
	if (area == 0) {
		return 0;
	}
	classes_init();
	size_t n = area >> FRONT_LG_PAGE;
	size_t meta = (n * sizeof(struct front_page) + FRONT_PAGE - 1) >> FRONT_LG_PAGE;
	char *base = pool_carve(area, FRONT_ALIGN);
	if (base == NULL) {
		return -ENOMEM;
	}
	/* glibc keeps its first 32 keys' values in the thread: setting one never allocates (inside malloc). */
	if (pthread_key_create(&front_key, thread_exit) != 0 || front_key >= 32) {
		return -EAGAIN;
	}
	lay_out(base, n, meta);
	return 0;
}

void front_enable(void)
{
	if (npages) {
		front_lim = FRONT_MAX + 1;
	}
}

size_t front_heaps(void) { return atomic_load_explicit(&nheaps, memory_order_relaxed); }

size_t front_pages_total(void) { return npages ? npages - first_page : 0; }

size_t front_pages_used(void)
{
	return npages ? (uint32_t)atomic_load_explicit(&claim, memory_order_relaxed) - first_page : 0;
}

size_t front_pages_given_back(void) { return given_back; }

/* Halfway from the first class page to end: classes above FRONT_KEEP_SMALL take pages only below it. */
static size_t half_of(size_t end) { return first_page + (end - first_page) / 2; }

/*
 * The area's unused 2 MiB pages beyond as many again as its heaps use, to
 * spare (docs/design.md, "Giving the rest back").  The new end is set in
 * the claim word, so no heap takes a page past it; front_len shrinks
 * before spare_put publishes the pages (under spare's flag), so a thread
 * that gets one from spare never takes it for a front block.  Whole 2 MiB
 * pages only: no huge page is shared with what spare hands out.  One
 * releaser at a time (the flag is only tried).
 */
size_t front_release(void)
{
	if (npages == 0 || atomic_flag_test_and_set_explicit(&releasing, memory_order_acquire)) {
		return 0;
	}
	/* Before arming, half of the area at least: the pool grows then rather than starve the front. */
	size_t least = shim_armed() ? 0 : half_of(npages);
	uint64_t w = atomic_load_explicit(&claim, memory_order_relaxed);
	size_t keep, end;
	do {
		size_t next = (uint32_t)w;
		end = (size_t)(w >> 32);
		keep = 2 * next - first_page;
		keep = keep < least ? least : keep;
		keep = (keep + FRONT_PAGES_2M - 1) & ~(size_t)(FRONT_PAGES_2M - 1);
		if (keep >= end) {
			atomic_flag_clear_explicit(&releasing, memory_order_release);
			return 0;
		}
	} while (!atomic_compare_exchange_weak_explicit(&claim, &w, (uint64_t)keep << 32 | (uint32_t)w,
							 memory_order_relaxed, memory_order_relaxed));
	front_len = keep << FRONT_LG_PAGE;
	atomic_thread_fence(memory_order_release);
	size_t bytes = (end - keep) << FRONT_LG_PAGE;
	bool put = spare_put((void *)(front_base + (keep << FRONT_LG_PAGE)), bytes);
	given_back += put ? end - keep : 0; /* false: spare's bits are full, the pages stay unused */
	atomic_flag_clear_explicit(&releasing, memory_order_release);
	return put ? bytes : 0;
}

/* An abandoned heap this thread may have, or NULL. */
static struct front_heap *adopt(void)
{
	for (struct front_heap *h = atomic_load_explicit(&heaps, memory_order_acquire); h; h = h->next) {
		int s = FRONT_ABANDONED;
		if (atomic_load_explicit(&h->state, memory_order_relaxed) == s &&
		    atomic_compare_exchange_strong_explicit(&h->state, &s, FRONT_OWNED, memory_order_acquire,
							    memory_order_relaxed)) {
			return h;
		}
	}
	return NULL;
}

static struct front_heap *heap_new(void)
{
	size_t sz = (sizeof(struct front_heap) + 63) & ~(size_t)63;
	size_t off = atomic_fetch_add_explicit(&heap_next, sz, memory_order_relaxed);
	struct front_heap *h = off + sz <= (FRONT_HEAP_PAGES << FRONT_LG_PAGE) ? (struct front_heap *)(heap_zone + off)
									   : pool_carve(sizeof(*h), 64); /* zero, prefaulted */
	if (h == NULL) {
		return NULL;
	}
	atomic_store_explicit(&h->state, FRONT_OWNED, memory_order_relaxed);
	atomic_fetch_add_explicit(&nheaps, 1, memory_order_relaxed);
	struct front_heap *head = atomic_load_explicit(&heaps, memory_order_relaxed);
	do {
		h->next = head;
	} while (!atomic_compare_exchange_weak_explicit(&heaps, &head, h, memory_order_release, memory_order_relaxed));
	return h;
}

/* This thread's first small malloc: a heap, registered so that its exit abandons it. */
static struct front_heap *heap_get(void)
{
	if (front_exited || front_lim == 0) {
		return NULL;
	}
	struct front_heap *h = adopt();
	if (h == NULL && (h = heap_new()) == NULL) {
		return NULL;
	}
	front_tls = h; /* first: a malloc inside pthread_setspecific finds it */
	pthread_setspecific(front_key, h);
	return h;
}

/* The key's destructor: the heap, its free lists and pages go to the next thread that has none. */
static void thread_exit(void *v)
{
	struct front_heap *h = v;
	for (unsigned c = 0; c < FRONT_CLASSES; c++) {
		out_flush(h, c);
	}
	front_tls = NULL;
	front_exited = true; /* later mallocs of this thread (other destructors) go to jemalloc */
	atomic_store_explicit(&h->state, FRONT_ABANDONED, memory_order_release);
}

/*
 * A new page of class c for h, or false when the area is used up: classes
 * above FRONT_KEEP_SMALL take pages only while half of what may be handed
 * out is left.
 */
static bool page_new(struct front_heap *h, unsigned c)
{
	uint64_t w = atomic_load_explicit(&claim, memory_order_relaxed);
	size_t i;
	do {
		i = (uint32_t)w;
		size_t end = (size_t)(w >> 32);
		if (i >= (class_size[c] > FRONT_KEEP_SMALL ? half_of(end) : end)) {
			return false;
		}
	} while (!atomic_compare_exchange_weak_explicit(&claim, &w, w + 1, memory_order_relaxed, memory_order_relaxed));
	uint32_t sz = class_size[c];
	front_pages[i] = (struct front_page){.heap = h, .cls = c, .size = sz};
	h->bump[c] = (char *)(front_base + (i << FRONT_LG_PAGE));
	h->end[c] = h->bump[c] + FRONT_PAGE / sz * sz;
	return true;
}

/*
 * One block from the rest of the class's page (a new page if it has none),
 * and up to FRONT_EXTEND bytes more linked into the (empty) free list, so
 * the page is touched a little at a time, not all at once.
 */
static void *extend(struct front_heap *h, unsigned c)
{
	size_t sz = class_size[c];
	if (h->bump[c] == h->end[c] && !page_new(h, c)) {
		return NULL;
	}
	char *b = h->bump[c];
	size_t n = (size_t)(h->end[c] - b) / sz, want = FRONT_EXTEND / sz ? FRONT_EXTEND / sz : 1;
	n = n < want ? n : want;
	for (size_t k = 1; k + 1 < n; k++) {
		*(void **)(b + k * sz) = b + (k + 1) * sz;
	}
	if (n > 1) {
		*(void **)(b + (n - 1) * sz) = NULL;
	}
	h->free[c] = n > 1 ? b + sz : NULL;
	h->bump[c] = b + n * sz;
	return b;
}

/* Empties h's batch of class c (its blocks are handed on or dropped by the caller). */
static void batch_clear(struct front_heap *h, unsigned c)
{
	h->out_n[c] = 0;
	h->out_head[c] = h->out_tail[c] = NULL;
}

/*
 * A list of free blocks of class c for h, or NULL: first the other heaps'
 * blocks this thread freed last (its batch: any heap may hand out any
 * block of the class), then the frees other threads sent it.
 */
static void **refill(struct front_heap *h, unsigned c)
{
	void **b = h->out_head[c];
	if (b != NULL) {
		batch_clear(h, c);
	} else if (atomic_load_explicit(&h->remote[c], memory_order_relaxed) != NULL) {
		b = atomic_exchange_explicit(&h->remote[c], NULL, memory_order_acquire);
	}
	return b;
}

void *front_alloc_slow(size_t size)
{
	struct front_heap *h = front_tls;
	if (h == NULL && (h = heap_get()) == NULL) {
		return NULL;
	}
	unsigned c = front_class[(size + 15) >> 4];
	void **b = h->free[c];
	if (b == NULL) {
		b = refill(h, c);
	}
	if (b != NULL) {
		h->free[c] = *b;
		return b;
	}
	return extend(h, c);
}

void *front_alloc_or_je(size_t size)
{
	void *p = front_alloc_slow(size);
	return p ? p : ptfreeze_je_malloc(size);
}

/* Pushes the chain head..tail onto heap o's remote list of class c (one CAS, whatever its length). */
static void remote_push(struct front_heap *o, unsigned c, void *head, void *tail)
{
	_Atomic(void *) *r = &o->remote[c];
	void *old = atomic_load_explicit(r, memory_order_relaxed);
	do {
		*(void **)tail = old;
	} while (!atomic_compare_exchange_weak_explicit(r, &old, head, memory_order_release, memory_order_relaxed));
}

/* Hands this heap's batch of class c to its owner. */
static void out_flush(struct front_heap *h, unsigned c)
{
	if (h->out_n[c]) {
		remote_push(h->out_owner[c], c, h->out_head[c], h->out_tail[c]);
		batch_clear(h, c);
	}
}

/* Adds p (owner o, class c) to h's batch of the class; a full batch, or one for another owner, goes first. */
static void batch_add(struct front_heap *h, struct front_heap *o, unsigned c, void *p)
{
	if (h->out_n[c] && h->out_owner[c] != o) {
		out_flush(h, c);
	}
	*(void **)p = h->out_head[c];
	if (h->out_n[c] == 0) {
		h->out_tail[c] = p;
		h->out_owner[c] = o;
	}
	h->out_head[c] = p;
	if (++h->out_n[c] >= batch_max[c]) {
		out_flush(h, c);
	}
}

/*
 * A free of another heap's block: batched, per class, up to FRONT_BATCH
 * blocks for one owner, then pushed with one CAS.  One CAS a free on the
 * owner's line, which the owner's exchange writes too, made a two-thread
 * ring of frees (bench/latency -t 2 -x) take 100 ns a free at the median.
 * A thread without a heap (before its first small malloc, after its exit)
 * pushes at once.  What waits in a batch is bounded by FRONT_BATCH blocks a
 * class, and goes to its owner when the batch fills, when a free of the
 * class is for another owner, and at the thread's exit.
 */
void front_free_remote(void *p)
{
	const struct front_page *pg = &front_pages[((uintptr_t)p - front_base) >> FRONT_LG_PAGE];
	struct front_heap *h = front_tls, *o = pg->heap;
	unsigned c = pg->cls;
	if (h == NULL) {
		remote_push(o, c, p, p);
		return;
	}
	batch_add(h, o, c, p);
}

/*
 * A heap whose thread the fork left behind: abandoned, for the child's next
 * thread.  Its thread may have been anywhere in a slow path, so what spans
 * more than one store is dropped: the rest of its current pages and its
 * batches (leaked in the child, never handed out twice).  Its free lists
 * change by one store at a time and stay.
 */
static void heap_forsake(struct front_heap *h)
{
	for (unsigned c = 0; c < FRONT_CLASSES; c++) {
		h->bump[c] = h->end[c] = NULL;
		batch_clear(h, c);
	}
	atomic_store_explicit(&h->state, FRONT_ABANDONED, memory_order_relaxed);
}

void front_atfork_child(void)
{
	atomic_flag_clear_explicit(&releasing, memory_order_relaxed); /* a release cut short leaks its pages */
	for (struct front_heap *h = atomic_load_explicit(&heaps, memory_order_acquire); h; h = h->next) {
		if (h != front_tls) {
			heap_forsake(h);
		}
	}
}
