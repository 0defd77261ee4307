/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spans: ptfreeze's own allocator for the block cache's misses (blocks
 * above 16 KiB up to 16 MiB), behind the block cache and in place of
 * jemalloc's arena, and for the program's anonymous mappings up to 16 MiB
 * (pmap.c), so that both reuse one free space (docs/design.md, "Spans").  It takes pool memory in
 * chunks of 64 KiB units (a sixty-fourth of the pool, or the block) and cuts
 * them into spans of whole 4 KiB pages: a block is a span, a free span
 * joins its free neighbours at once, across chunk ends too, and waits in
 * one of the bins (a quarter of a doubling each) for the next block that
 * fits, newest first.  What it takes it keeps until the pool is full:
 * then the alloc hook, or a served mapping, has it give its free 64 KiB
 * units back to spare (spans_release) before anything else.
 *
 * One lock, held for a few hundred instructions and never across a call
 * out; a fork takes it first (spans_atfork_prepare).  No system call and
 * no allocation: the chunks and the maps that describe them are pool
 * memory, resident.
 */
#ifndef PTFREEZE_SPANS_H
#define PTFREEZE_SPANS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Turns spans on for a pool of pool_bytes (off below 32 MiB).  get(&size,
 * least) returns *size bytes of the pool (multiples of 64 KiB) aligned to
 * 64 KiB, or, setting *size, at least `least`, or NULL; it must not make
 * the pool grow.  Call once, before any other thread allocates.  Returns
 * the largest block served (0: off).
 */
size_t spans_install(size_t pool_bytes, void *(*get)(size_t *size, size_t least));
/* size bytes (up to what spans_install returned), 4 KiB-aligned; NULL when off, when larger, or when no span fits and get has no chunk. */
void *spans_alloc(size_t size);
/* Whether p is a block of spans (any pointer; false while off). */
bool spans_owns(const void *p);
/* Gives p back if it is a block of spans; false (nothing done) if it is not. */
bool spans_free(void *p);
/*
 * For served mappings (pmap.c), which must never wait for a lock a thread
 * holds while a signal handler of its own maps or unmaps: both wait for
 * the lock a bounded while (SP_WAIT rounds of sys_backoff) and then give
 * up, and the caller does without spans for that mapping.
 *
 * spans_map: as spans_alloc; NULL also when the lock stays busy.
 * spans_cut: block p (a block's first page) becomes up to three blocks, cut
 * at `at` and at `at + len` bytes (multiples of 4 KiB, inside it), all in
 * use but the middle one when `give` (then freed, as spans_free).  1 done,
 * 0 p is not a block of spans or the cut is not inside it (nothing done),
 * -1 the lock stayed busy (nothing done).
 */
void *spans_map(size_t size);
int spans_cut(void *p, size_t at, size_t len, bool give);
/* The size of block p: what spans_alloc was asked, rounded up to 4 KiB; 0 if p is not a block of spans. */
size_t spans_size(const void *p);
/*
 * Gives every whole 64 KiB unit of free spans back to spare; the bytes
 * given (0 also when the lock is busy: it is only tried, so that jemalloc's
 * alloc hook may call it).
 */
size_t spans_release(void);
/* Bytes taken from the pool, and in blocks now. */
size_t spans_chunks(void);
size_t spans_used(void);
/* Fork: the lock is taken before, and released after in both processes. */
void spans_atfork_prepare(void);
void spans_atfork_parent(void);
void spans_atfork_child(void);

#endif
