/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmap: the served-mmap allocator over the pool (see pmap.h).  Never
 * allocates, never calls the kernel except to restore protection or pool
 * memory the program itself changed or replaced; never hands out a page
 * that is still served.
 */
#include "pmap.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "pool.h"
#include "shim.h"
#include "spans.h"
#include "sys.h"

#define PAGE ((uintptr_t)4096)
#define BLOCK_PROTECTED 1u
/*
 * A block of spans (spans.h): the program's mappings share spans' free
 * space with the allocator's blocks above 16 KiB, and go back there.  Each
 * served range so flagged is exactly one block of spans: a split here
 * cuts it there too (spans_cut), under this lock, so that a part can be
 * freed on its own.  The fork handlers take this lock before spans'; spans'
 * is waited for only a bounded while (spans.h), so this one is never held
 * long for it.
 */
#define BLOCK_SPANS 16u
/* Pages whose contents are not plain pool memory: zeroing or copying them is the kernel's job. */
#define BLOCK_FOREIGN (BLOCK_PROTECTED | PMAP_OVERLAID)

struct range {
	uintptr_t start;
	uintptr_t end;
	uintptr_t flags;
};

struct table {
	struct range *v;
	size_t n;
	size_t cap;
};

static struct table served, freed;
static atomic_flag lock = ATOMIC_FLAG_INIT;
static size_t served_bytes;
static size_t free_bytes; /* in the free table: the summary reads it without the lock, as served_bytes */

/* Held across fork and by preempted threads: back off, do not just spin. */
static void lock_take(void) { sys_spin_lock(&lock); }

static void lock_drop(void) { sys_spin_unlock(&lock); }

/* Set by the fork handler before it takes the lock. */
static _Atomic bool forking;

/* lock_take(), or false (lock not taken) once a fork is waiting for it. */
static bool lock_take_unless_forking(void)
{
	unsigned spins = 0;
	while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {
		if (atomic_load(&forking)) {
			return false;
		}
		sys_backoff(&spins);
	}
	return true;
}

/* Takes the lock as flags ask: with PMAP_NOWAIT, false (not taken) while a fork is under way. */
static bool lock_take_for(unsigned flags)
{
	if (flags & PMAP_NOWAIT) {
		return lock_take_unless_forking();
	}
	lock_take();
	return true;
}

void pmap_atfork_prepare(void)
{
	atomic_store(&forking, true);
	lock_take();
}

void pmap_atfork_parent(void)
{
	lock_drop();
	atomic_store(&forking, false);
}

void pmap_atfork_child(void)
{
	lock_drop();
	atomic_store(&forking, false);
}

int pmap_init(size_t max_blocks)
{
	size_t bytes = max_blocks * sizeof(struct range);
	served.v = pool_carve(bytes, 64);
	freed.v = pool_carve(bytes, 64);
	if (!served.v || !freed.v) {
		return -ENOMEM;
	}
	served.cap = freed.cap = max_blocks;
	return 0;
}

/* First index whose end is > addr. */
static size_t find(const struct table *t, uintptr_t addr)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->v[mid].end <= addr) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

static bool insert_at(struct table *t, size_t i, struct range r)
{
	if (t->n == t->cap) {
		return false;
	}
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(struct range));
	t->v[i] = r;
	t->n++;
	return true;
}

static void remove_at(struct table *t, size_t i)
{
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(struct range));
	t->n--;
}

/* Adds a zeroed range to the free table, merging neighbours. */
static void free_add(uintptr_t start, uintptr_t end)
{
	size_t i = find(&freed, start);
	if (i > 0 && freed.v[i - 1].end == start) {
		free_bytes += end - start;
		freed.v[i - 1].end = end;
		if (i < freed.n && freed.v[i].start == end) {
			freed.v[i - 1].end = freed.v[i].end;
			remove_at(&freed, i);
		}
		return;
	}
	if (i < freed.n && freed.v[i].start == end) {
		free_bytes += end - start;
		freed.v[i].start = start;
		return;
	}
	/* A full table leaks the range: it stays in the pool, unused. */
	if (insert_at(&freed, i, (struct range){start, end, 0})) {
		free_bytes += end - start;
	}
}

/* Takes len bytes aligned to align from the free table; 0 if none fits. */
static uintptr_t free_take(size_t len, size_t align)
{
	for (size_t i = 0; i < freed.n; i++) {
		struct range *r = &freed.v[i];
		uintptr_t s = (r->start + align - 1) & ~(uintptr_t)(align - 1);
		if (s >= r->end || r->end - s < len) {
			continue;
		}
		uintptr_t e = s + len, old_start = r->start, old_end = r->end;
		if (s == old_start && e == old_end) {
			remove_at(&freed, i);
		} else if (s == old_start) {
			r->start = e;
		} else if (e == old_end) {
			r->end = s;
		} else {
			r->end = s;
			if (!insert_at(&freed, i + 1, (struct range){e, old_end, 0})) {
				r->end = old_end; /* cannot split: try elsewhere */
				continue;
			}
		}
		free_bytes -= len;
		return s;
	}
	return 0;
}

/*
 * len bytes from spans, zeroed and served; NULL if spans has none without
 * the pool growing, or its lock stays busy.  Spans' lock is taken outside
 * this one here.
 */
static void *from_spans(size_t len, unsigned flags)
{
	void *q = spans_map(len);
	if (q == NULL) {
		return NULL;
	}
	memset(q, 0, len); /* what unmapping did before it went to the free table */
	lock_take();
	bool ok = served.n < served.cap;
	if (ok) {
		uintptr_t s = (uintptr_t)q;
		insert_at(&served, find(&served, s), (struct range){s, s + len, flags | BLOCK_SPANS});
		served_bytes += len;
	}
	lock_drop();
	if (!ok) {
		(void)spans_cut(q, 0, len, true); /* bounded: left in use if the lock stays busy */
		return NULL;
	}
	return q;
}

void *pmap_map(size_t len, size_t align, unsigned flags, int *err)
{
	if (len == 0 || len > SIZE_MAX - PAGE) {
		*err = -EINVAL;
		return NULL;
	}
	len = (len + PAGE - 1) & ~(PAGE - 1);
	if (align < PAGE) {
		align = PAGE;
	}
	bool nowait = flags & PMAP_NOWAIT;
	if (!lock_take_for(flags)) {
		*err = -EBUSY;
		return NULL;
	}
	flags &= ~PMAP_NOWAIT;
	if (served.n == served.cap) {
		lock_drop();
		*err = -ENOSPC;
		return NULL;
	}
	uintptr_t p = free_take(len, align);
	bool armed = shim_armed();
	if (p == 0 && armed) {
		/*
		 * Armed: pool room never handed out comes before spans.  A mapping
		 * made now is likely the program's churn (a buffer, a stack with a
		 * guard page); protected in part among the allocator's blocks, its
		 * huge page's split faulted a thread touching a block there
		 * (bench/latency -c: in 1-3 runs of 16; none with room first).
		 */
		p = (uintptr_t)pool_carve(len, align);
	}
	if (p == 0 && !nowait && align == PAGE) {
		/*
		 * The program's own mappings (not the shim's, which may come while
		 * a thread holds a jemalloc lock that a forker waits for, holding
		 * spans'), after the free table (pages protected before, mostly).
		 */
		lock_drop();
		void *q = from_spans(len, flags);
		if (q != NULL) {
			return q;
		}
		lock_take();
		if (served.n == served.cap) {
			lock_drop();
			*err = -ENOSPC;
			return NULL;
		}
		p = free_take(len, align);
	}
	if (p == 0 && !armed) {
		p = (uintptr_t)pool_carve(len, align); /* armed, it was tried first */
	}
	if (p == 0) {
		lock_drop();
		*err = -ENOMEM;
		return NULL;
	}
	insert_at(&served, find(&served, p), (struct range){p, p + len, flags});
	served_bytes += len;
	lock_drop();
	return (void *)p;
}

bool pmap_adopt(void *p, size_t len, unsigned flags)
{
	if (!lock_take_for(flags)) {
		return false;
	}
	flags &= ~PMAP_NOWAIT;
	bool ok = served.n < served.cap;
	if (ok) {
		uintptr_t s = (uintptr_t)p;
		insert_at(&served, find(&served, s), (struct range){s, s + len, flags});
		served_bytes += len;
	}
	lock_drop();
	return ok;
}

bool pmap_owns(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(PAGE - 1), e = (uintptr_t)p + len;
	bool ok = true;
	lock_take();
	size_t i = find(&served, a);
	while (a < e) {
		if (i >= served.n || served.v[i].start > a) {
			ok = false;
			break;
		}
		a = served.v[i].end;
		i++;
	}
	lock_drop();
	return ok;
}

/*
 * Makes served pages usable (read-write pool memory) before they are given
 * back; false if they cannot be (they then stay out of the pool).  Sets
 * *zero when they are zero already (fresh memory mapped over them).
 */
static bool restore(uintptr_t s, uintptr_t e, uintptr_t flags, bool *zero)
{
	*zero = false;
	if (flags & PMAP_OVERLAID) {
		/* The program's mapping goes; fresh anonymous memory is zero already. */
		long r = sys_mmap((void *)s, e - s, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (r < 0) {
			return false;
		}
		sys_madvise((void *)s, e - s, MADV_POPULATE_WRITE);
		sys_prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, s, e - s, (unsigned long)"ptfreeze-pool");
		*zero = true;
		return true;
	}
	if (flags & BLOCK_PROTECTED) {
		sys_mprotect((void *)s, e - s, PROT_READ | PROT_WRITE);
	}
	return true;
}

/*
 * Cuts served block *v, one block of spans, at [s, t) (freed when give), so
 * that each flagged range stays one block of spans.  When spans' lock stays
 * busy (a signal handler unmapping in a thread that holds it), the block is
 * pmap's own from then on: it stays a block in spans' books, and its pages
 * go to the free table when unmapped.
 */
static void spans_part(struct range *v, uintptr_t s, uintptr_t t, bool give)
{
	if ((v->flags & BLOCK_SPANS) && spans_cut((void *)v->start, s - v->start, t - s, give) != 1) {
		v->flags &= ~(uintptr_t)BLOCK_SPANS;
	}
}

size_t pmap_unmap(void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(PAGE - 1);
	uintptr_t e = ((uintptr_t)p + len + PAGE - 1) & ~(PAGE - 1);
	size_t released = 0;
	lock_take();
	size_t i = find(&served, a);
	while (i < served.n && served.v[i].start < e) {
		uintptr_t s = served.v[i].start > a ? served.v[i].start : a;
		uintptr_t t = served.v[i].end < e ? served.v[i].end : e;
		if (s > served.v[i].start && t < served.v[i].end && served.n == served.cap) {
			i++; /* no room to split: keep it served, lose nothing */
			continue;
		}
		bool zero;
		bool reusable = restore(s, t, served.v[i].flags, &zero);
		spans_part(&served.v[i], s, t, reusable);
		struct range b = served.v[i];
		released += t - s;
		if (s == b.start && t == b.end) {
			remove_at(&served, i);
		} else if (s == b.start) {
			served.v[i].start = t;
			i++;
		} else if (t == b.end) {
			served.v[i].end = s;
			i++;
		} else {
			served.v[i].end = s;
			insert_at(&served, i + 1, (struct range){t, b.end, b.flags}); /* room checked above */
			i += 2;
		}
		if (reusable && !(b.flags & BLOCK_SPANS)) {
			if (!zero) {
				memset((void *)s, 0, t - s); /* spans' blocks are zeroed when served again */
			}
			free_add(s, t);
		}
	}
	served_bytes -= released;
	lock_drop();
	return released;
}

void *pmap_remap(void *old, size_t old_len, size_t new_len, int flags, int *err)
{
	uintptr_t o = (uintptr_t)old;
	if ((o & (PAGE - 1)) || new_len == 0 || (flags & ~MREMAP_MAYMOVE)) {
		*err = -EINVAL;
		return NULL;
	}
	old_len = (old_len + PAGE - 1) & ~(PAGE - 1);
	new_len = (new_len + PAGE - 1) & ~(PAGE - 1);
	if (new_len <= old_len) {
		if (new_len < old_len) {
			pmap_unmap((void *)(o + new_len), old_len - new_len);
		}
		return old;
	}
	/* Grow in place when the pages after the block are free pool pages. */
	lock_take();
	size_t i = find(&served, o);
	size_t j = find(&freed, o + old_len);
	if (i < served.n && served.v[i].start <= o && served.v[i].end == o + old_len &&
	    !(served.v[i].flags & BLOCK_SPANS) && j < freed.n &&
	    freed.v[j].start == o + old_len && freed.v[j].end - freed.v[j].start >= new_len - old_len) {
		uintptr_t grow = new_len - old_len;
		if (freed.v[j].end - freed.v[j].start == grow) {
			remove_at(&freed, j);
		} else {
			freed.v[j].start += grow;
		}
		served.v[i].end += grow;
		served_bytes += grow;
		free_bytes -= grow;
		lock_drop();
		return old;
	}
	uintptr_t flags_old = i < served.n ? served.v[i].flags : 0;
	lock_drop();
	if (!(flags & MREMAP_MAYMOVE)) {
		*err = -ENOMEM;
		return NULL;
	}
	if (flags_old & BLOCK_FOREIGN) {
		*err = -EFAULT; /* the caller decides: copying may not be readable, or not ours to copy */
		return NULL;
	}
	void *n = pmap_map(new_len, PAGE, (unsigned)(flags_old & PMAP_STARTUP), err);
	if (n == NULL) {
		return NULL;
	}
	memcpy(n, old, old_len);
	pmap_unmap(old, old_len);
	return n;
}

bool pmap_advise(void *p, size_t len, int advice)
{
	if (advice != MADV_DONTNEED && advice != MADV_REMOVE) {
		return true;
	}
	uintptr_t a = (uintptr_t)p & ~(PAGE - 1), e = ((uintptr_t)p + len + PAGE - 1) & ~(PAGE - 1);
	lock_take();
	for (size_t i = find(&served, a); i < served.n && served.v[i].start < e; i++) {
		if (served.v[i].flags & BLOCK_FOREIGN) {
			lock_drop();
			return false;
		}
	}
	for (size_t i = find(&served, a); i < served.n && served.v[i].start < e; i++) {
		uintptr_t s = served.v[i].start > a ? served.v[i].start : a;
		uintptr_t t = served.v[i].end < e ? served.v[i].end : e;
		memset((void *)s, 0, t - s);
	}
	lock_drop();
	return true;
}

/* Splits served blocks (none of spans: mark() made them pmap's) so that none straddles addr (a page boundary). */
static void split_at(uintptr_t addr)
{
	size_t i = find(&served, addr);
	if (i < served.n && served.v[i].start < addr && served.v[i].end > addr && served.n < served.cap) {
		struct range tail = {addr, served.v[i].end, served.v[i].flags};
		insert_at(&served, i + 1, tail);
		served.v[i].end = addr;
	}
}

static void mark(void *p, size_t len, uintptr_t flag)
{
	uintptr_t a = (uintptr_t)p & ~(PAGE - 1), e = ((uintptr_t)p + len + PAGE - 1) & ~(PAGE - 1);
	lock_take();
	/*
	 * A block of spans protected or mapped over, in part or whole, is
	 * pmap's own from now on (it stays a block in spans' books): its huge
	 * page is split, and its pages go to the free table when unmapped, where
	 * the next mapping (protected again, as a stack's guard page is) takes
	 * them first, instead of landing among the allocator's blocks and
	 * splitting another huge page each time (bench/latency -c: 51-58% of
	 * the pool on huge pages at exit, 99% so).
	 */
	for (size_t i = find(&served, a); i < served.n && served.v[i].start < e; i++) {
		served.v[i].flags &= ~(uintptr_t)BLOCK_SPANS;
	}
	/* Only the pages concerned: the rest stay movable. */
	split_at(a);
	split_at(e);
	for (size_t i = find(&served, a); i < served.n && served.v[i].start < e; i++) {
		served.v[i].flags |= flag;
	}
	lock_drop();
}

void pmap_mark_protected(void *p, size_t len) { mark(p, len, BLOCK_PROTECTED); }
void pmap_mark_overlaid(void *p, size_t len) { mark(p, len, PMAP_OVERLAID); }

bool pmap_whole(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(PAGE - 1), e = ((uintptr_t)p + len + PAGE - 1) & ~(PAGE - 1);
	bool whole = true;
	lock_take();
	for (size_t i = find(&served, a); i < served.n && served.v[i].start < e && whole; i++) {
		whole = served.v[i].start >= a && served.v[i].end <= e;
	}
	lock_drop();
	return whole;
}

bool pmap_any(const void *p, size_t len, unsigned flag)
{
	uintptr_t a = (uintptr_t)p & ~(PAGE - 1), e = (uintptr_t)p + len;
	bool any = false;
	lock_take();
	for (size_t i = find(&served, a); i < served.n && served.v[i].start < e && !any; i++) {
		any = (served.v[i].flags & flag) != 0;
	}
	lock_drop();
	return any;
}

size_t pmap_served_bytes(void) { return served_bytes; }

/* No lock: the summary may be written by _exit in a signal handler that interrupted this thread inside pmap. */
size_t pmap_free_bytes(void) { return free_bytes; }
