/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmap: anonymous private mmap served from the pool.  A served block is a
 * page range of pool memory the program got from mmap() instead of the
 * kernel.  The program's blocks up to 16 MiB are blocks of spans (spans.h),
 * zeroed when served, and munmap() gives them back there, where malloc
 * reuses them too; the others come from a free table of pmap's own
 * (zeroed at munmap) or pool room.  No system call and no page fault on
 * either path.  Partial munmap splits a
 * block; mremap grows by copying (or in place when the pages after it are
 * free) and shrinks in place; madvise(MADV_DONTNEED) zeroes.  Blocks whose
 * protection the program changed are restored to read-write before reuse;
 * blocks the program mapped a file over (MAP_FIXED) get pool memory mapped
 * back when it unmaps them.
 *
 * Tables are preallocated from the pool by pmap_init(); one spinlock, which
 * pmap_atfork_*() hold across fork so a child never inherits it held.
 * Never allocates.
 */
#ifndef PTFREEZE_PMAP_H
#define PTFREEZE_PMAP_H

#include <stdbool.h>
#include <stddef.h>

/* Carves the tables (max_blocks served blocks, as many free ranges); 0 or -errno. */
int pmap_init(size_t max_blocks);

/*
 * A zeroed, read-write block of len bytes (rounded up to pages) aligned to
 * align (a power of two, at least a page).  NULL with *err = -ENOMEM when
 * the pool has no room (the caller decides whether to grow), -ENOSPC when
 * the block table is full, -EBUSY (PMAP_NOWAIT) while a fork is under way.
 */
void *pmap_map(size_t len, size_t align, unsigned flags, int *err);

/*
 * Serves [p, p+len) (page-aligned, already zero and read-write: pool memory
 * the caller took from elsewhere) as pmap_map would have; false if the block
 * table is full or (PMAP_NOWAIT) a fork is under way.
 */
bool pmap_adopt(void *p, size_t len, unsigned flags);

/* pmap_map flags. */
#define PMAP_STARTUP 2u /* served before arming: changing it later is reported */
/* Block flag: the program laid a mapping of its own over these pages (MAP_FIXED). */
#define PMAP_OVERLAID 4u
/*
 * Fail with -EBUSY instead of waiting while a fork holds the lock.  For
 * callers that may hold jemalloc's locks: jemalloc's own fork handler runs
 * after ours and waits for them, so waiting here would deadlock the fork.
 */
#define PMAP_NOWAIT 8u /* a call flag, never stored in a block */

/* True if [p, p+len) covers every served block it touches completely. */
bool pmap_whole(const void *p, size_t len);

/* True if any served page of [p, p+len) was mapped with `flag`. */
bool pmap_any(const void *p, size_t len, unsigned flag);

/* True if every page of [p, p+len) belongs to served blocks. */
bool pmap_owns(const void *p, size_t len);

/*
 * Returns the served pages of [p, p+len) to the pool; pages that are not
 * served are left alone.  Returns the bytes released.
 */
size_t pmap_unmap(void *p, size_t len);

/*
 * mremap of a block wholly served: flags as mremap(2) (MREMAP_MAYMOVE;
 * MREMAP_FIXED and MREMAP_DONTUNMAP give -EINVAL).  A block whose
 * protection the program changed is not moved (-EFAULT: it may not be
 * readable).  Returns the new address or NULL with *err set.
 */
void *pmap_remap(void *old, size_t old_len, size_t new_len, int flags, int *err);

/*
 * madvise on served pages: DONTNEED/REMOVE zero them, the rest is a no-op.
 * False (nothing done) when pages to zero have had their protection
 * changed: the caller asks the kernel, which can zero unwritable pages.
 */
bool pmap_advise(void *p, size_t len, int advice);

/* Notes that the program changed the protection of served pages. */
void pmap_mark_protected(void *p, size_t len);

/*
 * Notes that the program mapped something of its own (MAP_FIXED) over
 * served pages.  Such pages are never handed out again until the program
 * unmaps them; then pool memory is mapped back over them, read-write and
 * prefaulted (a real system call: the caller records it), before they
 * return to the free table.  madvise and mremap on them go to the kernel.
 */
void pmap_mark_overlaid(void *p, size_t len);

/* Bytes currently served, and served blocks. */
size_t pmap_served_bytes(void);
/* Bytes in the free table (unmapped, kept for mappings: pages protected or mapped over, large or early ones). */
size_t pmap_free_bytes(void);

void pmap_atfork_prepare(void);
void pmap_atfork_parent(void);
void pmap_atfork_child(void);

#endif
