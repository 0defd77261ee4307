/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spare: pool memory that jemalloc's arenas gave back, resident and
 * reusable by any of them.  jemalloc hands an extent to its dalloc hook
 * only when it purges (decay is off), and arena.c has it purge every
 * arena into spare when the pool is full after arming, before the pool may
 * grow: jemalloc does not coalesce the small free extents it keeps, spare
 * does.  The alloc hook takes from here before carving new pool memory,
 * and puts here the rest of the chunks it carves.
 *
 * One bit per 4 KiB page of the pool (set: spare), kept in a mapping of
 * its own outside the pool (so a process that never arms touches no pool
 * page for it); adjacent spare pages form one run, so freed extents
 * coalesce without lists.  A region gets its bits the first time one of its
 * pages is given back, regions grown later too; spare_populate makes them
 * resident at arming.  The best fit is taken, as jemalloc's own extent
 * heaps do.  A spin flag guards the bits: hooks and the allocator's paths
 * only, never a signal handler; a fork child releases it (a claim cut short
 * there leaks its pages, which is safe).  No allocation, no system call
 * after spare_init: safe inside jemalloc's hooks.
 */
#ifndef PTFREEZE_SPARE_H
#define PTFREEZE_SPARE_H

#include <stdbool.h>
#include <stddef.h>

/* Maps the bits' area (virtual: bits for twice this machine's memory); 0 or -errno (-ENOMEM: no pool). */
int spare_init(void);

/*
 * At arming: every region has its bits, and they are resident
 * (MADV_POPULATE_WRITE).  Async-signal-safe: the flag is only tried.
 */
void spare_populate(void);

/* Takes back [p, p+size) (page-aligned, in one pool region); false if not, or the bits' area is full. */
bool spare_put(void *p, size_t size);

/* size bytes aligned to align from the shortest spare run that holds them, taken; NULL if none. Not zeroed. */
void *spare_take(size_t size, size_t align);

/*
 * A spare run that ends where a region's bump pointer stands, taken and
 * extended by carving the rest of size there: size bytes aligned to align
 * that are partly reused, partly new (so not zero); NULL if no region has
 * such a run or room after it.
 */
void *spare_take_tail(size_t size, size_t align);

/* [addr, addr+size) if all of it is spare, taken; NULL if not. */
void *spare_take_at(void *addr, size_t size);

/* Bytes spare now (a relaxed read: for bounds and the summary). */
size_t spare_bytes(void);

/* In a fork child: releases the flag a thread that did not come along may hold. */
void spare_atfork_child(void);

#endif
