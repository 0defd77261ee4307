/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * front: ptfreeze's own allocator for small blocks (1 to FRONT_MAX bytes),
 * in front of jemalloc (docs/design.md, "The small-object front end").  A
 * contiguous area carved from the pool at front_install, cut into pages of
 * FRONT_PAGE bytes; a page serves one size class for one thread heap.  A
 * heap keeps per class a free list its thread pops and pushes with plain
 * loads and stores, and a list other threads push their frees onto (CAS)
 * that the owner takes whole when its own runs dry.  A block is recognised
 * by one range check on its address and its page's owner and class are in
 * a side table indexed by (p - base) / FRONT_PAGE, so free() needs no size
 * lookup.  When the area is full, the callers fall back to jemalloc.
 *
 * arena.h inlines the fast paths (arena_alloc, arena_free); the variables
 * they read are hidden, and front_lim is 0 until front_enable (front_len
 * until front_install), so before it (and with PTFREEZE_FRONT=off) every
 * call goes to jemalloc.  No syscall, no lock: heaps and the table are in the
 * area too (prefaulted), and what a heap holds is never given back, only
 * handed to the next thread when its thread exits.
 */
#ifndef PTFREEZE_FRONT_H
#define PTFREEZE_FRONT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRONT_MAX 16384
#define FRONT_LG_PAGE 16
#define FRONT_PAGE ((size_t)1 << FRONT_LG_PAGE)
#define FRONT_CLASSES 36

#define FRONT_HIDDEN __attribute__((visibility("hidden")))

/* One thread's heap (front.c); the fast paths touch `free` only. */
struct front_heap {
	void *free[FRONT_CLASSES];		     /* owner only: blocks linked through their first word */
	char *bump[FRONT_CLASSES], *end[FRONT_CLASSES]; /* owner only: the never-used rest of the class's page */
	/* owner only: frees of other heaps' blocks, batched per class for one owner (front_free_remote) */
	void *out_head[FRONT_CLASSES], *out_tail[FRONT_CLASSES];
	struct front_heap *out_owner[FRONT_CLASSES];
	unsigned out_n[FRONT_CLASSES];
	_Alignas(64) _Atomic(void *) remote[FRONT_CLASSES]; /* other threads' frees */
	_Alignas(64) _Atomic int state;		     /* FRONT_OWNED or FRONT_ABANDONED */
	struct front_heap *next;		     /* every heap, newest first (never removed) */
};

/* A page of the area: its owning heap and class (set before its first block is handed out). */
struct front_page {
	struct front_heap *heap;
	uint32_t cls;
	uint32_t size;
};

/* Sizes below front_lim use the front (FRONT_MAX + 1 when on, 0 when off). */
extern size_t front_lim FRONT_HIDDEN;
extern uintptr_t front_base FRONT_HIDDEN, front_len FRONT_HIDDEN;
extern struct front_page *front_pages FRONT_HIDDEN;
/* (size + 15) / 16 -> class. */
extern uint8_t front_class[FRONT_MAX / 16 + 1] FRONT_HIDDEN;
/* This thread's heap; NULL before its first small malloc and after its exit. */
extern __thread struct front_heap *front_tls FRONT_HIDDEN __attribute__((tls_model("initial-exec")));

/*
 * Carves the area (area bytes, a multiple of 2 MiB; 0: off; its table and
 * heaps are in it) from the pool; 0 or -errno (the front stays off).  Call
 * once, before any thread but the caller allocates.
 */
int front_install(size_t area);
/*
 * Turns an installed front on: small mallocs use it from now on.  Called
 * once the program takes pool memory itself or the pool is about to be
 * resident (at install if nothing is deferred, at the first carve from the
 * pool after the constructor, at the end of the grace period, at the latest
 * at arming), so that a short-lived process that allocates little touches
 * no pool page for it.  A plain store: safe in a signal handler.
 */
void front_enable(void);
/* The area's size for a pool of pool_bytes: a sixteenth in 2 MiB steps, 2-64 MiB (0 below a 32 MiB pool). */
size_t front_area_for(size_t pool_bytes);
/* A block of class size >= size (size < front_lim) or NULL: no heap, or the area is full. */
void *front_alloc_slow(size_t size);
/* front_alloc_slow, and jemalloc's malloc when it has nothing. */
void *front_alloc_or_je(size_t size);
/* A free of another thread's block (or after this thread's exit). */
void front_free_remote(void *p);
/* The class size of a front block. */
static inline size_t front_usable(const void *p)
{
	return front_pages[((uintptr_t)p - front_base) >> FRONT_LG_PAGE].size;
}
static inline bool front_owns(const void *p) { return (uintptr_t)p - front_base < front_len; }
/* In a fork child: the calling thread keeps its heap, every other heap is abandoned. */
void front_atfork_child(void);
/* Pages handed to heaps so far, and the area's pages (0 while off): the summary's front_pages. */
size_t front_pages_used(void);
size_t front_pages_total(void);
/*
 * The pool is full and would grow: gives the area's unused 2 MiB pages
 * beyond twice what the heaps have taken (before arming, beyond half the
 * area) to spare, and the area ends there.  Bytes given back (0: none, or
 * another thread is releasing).  No lock but spare's flag, no syscall:
 * called from jemalloc's alloc hook and the served mappings' spare path.
 */
size_t front_release(void);
/* Pages front_release gave back (0 if it has not run): the summary's front_pages.given_back. */
size_t front_pages_given_back(void);
/* Heaps made so far (a thread that adopts an exited thread's heap makes none). */
size_t front_heaps(void);

/* A block for size (< front_lim) from this thread's free list, or NULL: no heap yet, or the list is empty. */
static inline void *front_pop(size_t size)
{
	struct front_heap *h = front_tls;
	if (__builtin_expect(h != NULL, 1)) {
		unsigned c = front_class[(size + 15) >> 4];
		void **b = h->free[c];
		if (__builtin_expect(b != NULL, 1)) {
			h->free[c] = *b;
			return b;
		}
	}
	return NULL;
}

/* A block for size (< front_lim), or NULL when the front has none (the caller goes to jemalloc). */
static inline void *front_alloc(size_t size)
{
	void *p = front_pop(size);
	return __builtin_expect(p != NULL, 1) ? p : front_alloc_slow(size);
}

/* p a front block (front_owns). */
static inline void front_free(void *p)
{
	struct front_page *pg = &front_pages[((uintptr_t)p - front_base) >> FRONT_LG_PAGE];
	struct front_heap *h = front_tls;
	if (__builtin_expect(pg->heap == h, 1)) {
		*(void **)p = h->free[pg->cls];
		h->free[pg->cls] = p;
		return;
	}
	front_free_remote(p);
}

#endif
