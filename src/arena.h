/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * arena: jemalloc over the pool.  The only file that includes
 * <jemalloc/jemalloc.h>.  arena_install() gives every automatic jemalloc
 * arena extent hooks whose alloc carves from the pool and whose dalloc,
 * decommit and purges refuse, so jemalloc never returns memory to the
 * kernel; decay is disabled and the oversize ("huge") arena is off through
 * malloc_conf.  The arena_* allocation functions are the malloc family's
 * back end: glibc semantics are the interposer's job, not theirs.  Blocks
 * above 16 KiB freed through arena_free wait in a cache shared by all
 * threads (arena.c, "The block cache") for arena_alloc of their class.
 *
 * Inside the hooks: no allocation, no stdio, no locks that jemalloc or fork
 * may hold.
 */
#ifndef PTFREEZE_ARENA_H
#define PTFREEZE_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "front.h"
#include "sys.h"

/* Installs the hooks on every automatic arena; 0 or -errno. */
int arena_install(void);
/*
 * After arena_install: the block cache's misses up to 16 MiB come from
 * spans (spans.h) instead of jemalloc's arena (PTFREEZE_SPANS).
 */
void arena_install_spans(void);
/* True once arena_install() succeeded. */
bool arena_installed(void);
/* Automatic arenas jemalloc has (opt.narenas). */
unsigned arena_count(void);
/* Reclaims so far: purges of every arena into spare (arena.c, reclaim): the summary's spare.reclaims. */
unsigned long arena_reclaims(void);
/*
 * The pool has no room for an extent: the hook (set by init before
 * arena_install; guard_pool_exhausted_in_allocator) decides whether to grow
 * it, true if it did and the carve is worth retrying.  Unset: the extent
 * allocation fails.  Called inside jemalloc's extent hook, under its lock.
 */
void arena_set_exhausted_hook(bool (*fn)(size_t need, const char *who));

/*
 * Initialises jemalloc now, if nothing has called malloc yet: at the start
 * of our constructor, where jemalloc's own constructor (which runs after
 * ours now that it is linked in) used to, so that what it maps first is
 * still noted as mapped before us and prefaulted.
 */
void arena_init_early(void);
/*
 * At arming: the first small extents' own 1 MiB (outside the pool,
 * arena_init_early) and jemalloc's radix tree entries for the pool's
 * addresses made resident.
 */
void arena_populate(void);
/*
 * What of jemalloc's radix tree the populate at arming leaves out (its
 * root in the shim's .bss, its leaves in mappings noted early): pages no
 * entry for the pool's or the early area's addresses is on.  Fills at most
 * max; returns how many (0 where the tree's layout is not recognised).
 * Async-signal-safe.
 */
size_t arena_rtree_holes(struct sys_span *holes, size_t max);

/*
 * The malloc family's hot path, inline in the interposer: sizes up to
 * arena_small_max (16 KiB, jemalloc's thread-cache sizes; SIZE_MAX before
 * arena_install) are jemalloc's own malloc, a pointer with a bit of
 * arena_free_mask set (not page-aligned; every pointer before
 * arena_install; once spans are on, not on a 64-byte line, as spans'
 * blocks start a whole number of lines into their page: their colour,
 * docs/design.md) jemalloc's own free; the rest go through the block cache
 * (arena_alloc_cached, arena_free_cached: NULL too).  So malloc and free
 * add a compare and a tail call to jemalloc's fast paths, nothing more
 * (docs/performance.md, section 6).  jemalloc's names are renamed in the
 * archive (src/local.mk); the two variables are hidden, so their loads
 * are direct.
 */
#define ARENA_HIDDEN __attribute__((visibility("hidden")))
extern size_t arena_small_max ARENA_HIDDEN;
extern uintptr_t arena_free_mask ARENA_HIDDEN;
/*
 * Not marked hidden: jemalloc.h declares them again (arena.c), with default
 * visibility, and clang refuses the mismatch; the version script keeps them
 * local, so the linker still makes the calls direct.
 */
void *ptfreeze_je_malloc(size_t size);
void ptfreeze_je_free(void *p);
void *arena_alloc_cached(size_t size);
void arena_free_cached(void *p);

/*
 * Any size (0: a minimal block); NULL on failure (errno untouched).  Sizes
 * below front_lim (16 KiB and less once the front is on) are the front's
 * (front.h): a pop from this thread's free list, else its slow path, which
 * falls back to jemalloc when the front has nothing.
 */
static inline void *arena_alloc(size_t size)
{
	if (__builtin_expect(size < front_lim, 1)) {
		void *p = front_pop(size);
		return __builtin_expect(p != NULL, 1) ? p : front_alloc_or_je(size);
	}
	return __builtin_expect(size <= arena_small_max, 1) ? ptfreeze_je_malloc(size) : arena_alloc_cached(size);
}
void *arena_alloc_zero(size_t size);
/* size > 0; NULL on failure (errno untouched). */
/* align a power of two. */
void *arena_alloc_aligned(size_t size, size_t align);
/* p != NULL, size > 0; NULL on failure with p untouched. */
void *arena_realloc(void *p, size_t size);
/* Any p (NULL: nothing).  A front block is recognised by its address (front_len is 0 while off). */
static inline void arena_free(void *p)
{
	if (__builtin_expect(front_owns(p), 1)) {
		front_free(p);
	} else if (__builtin_expect(((uintptr_t)p & arena_free_mask) != 0, 1)) {
		ptfreeze_je_free(p);
	} else {
		arena_free_cached(p);
	}
}
size_t arena_usable_size(const void *p);

/* Pre-fork / post-fork hooks are jemalloc's own (pthread_atfork). */
/*
 * In a fork child: the block cache counts again what waits, from the
 * shared stacks and the calling thread's magazines only (the other
 * threads' are gone with them; their blocks stay allocated).
 */
void arena_atfork_child(void);

#endif
