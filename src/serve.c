/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * serve: the served-mapping decisions and the guarded step (see serve.h).
 */
#include "autoconf.h"
#include "config.h"
#include "serve.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "capture.h"
#include "front.h"
#include "kinds.h"
#include "log.h"
#include "pmap.h"
#include "pool.h"
#include "shim.h"
#include "spans.h"
#include "spare.h"
#include "sys.h"

#define PAGE_SIZE_ 4096u
/*
 * Largest anonymous mmap served from the pool before arming, or at any time
 * with MAP_NORESERVE (a reservation that is likely to stay sparse).
 */
#define SERVE_STARTUP_MAX ((size_t)64 << 20)

/* The call's arguments, in the system call's order. */
#define ARG(c, i, type) ((type)(c)->ev.args[i])

/* A call made by the shim itself, jemalloc or libunwind: never guarded. */
static inline bool internal_call(const void *ret) { return shim_busy || capture_is_internal((uintptr_t)ret); }

void serve_enter(struct call *c, const void *ret)
{
	c->state = atomic_load_explicit(&shim_state, memory_order_acquire);
	c->quiet = c->state != SHIM_READY || (ret && internal_call(ret));
}

long serve_refuse(struct event *ev)
{
	ev->result = -EPERM;
	ev->blocked = true;
	guard_record(ev);
	return -EPERM;
}

long serve_guarded(struct call *c)
{
	enum verdict v = c->quiet ? VERDICT_PASS : guard_verdict(c->ev.kind);
	if (v != VERDICT_PASS && c->unchanged && c->unchanged(c)) {
		return 0;
	}
	if (v == VERDICT_BLOCK) {
		return serve_refuse(&c->ev);
	}
	shim_busy += c->busy; /* the seccomp backstop must not record libc's call twice */
	long r = c->act(c);
	shim_busy -= c->busy;
	if (v == VERDICT_RECORD && !c->quiet) {
		c->ev.result = r;
		guard_record(&c->ev);
	}
	return r;
}

static bool done(struct call *c, long result)
{
	c->result = result;
	return true;
}

static bool to_kernel(struct call *c, long (*act)(struct call *), const char *detail)
{
	c->act = act;
	c->ev.detail = detail;
	return false;
}

/* ---- mappings made before our constructor ------------------------------- */

#define EARLY_MAX 64
static struct {
	uintptr_t addr;
	size_t len;
} early[EARLY_MAX];
static _Atomic int nearly;

/*
 * Where the use of [lo, hi) ends: past its last resident page, and past
 * every hole in it (a hole is part of a large sparse block, a radix tree
 * leaf, that jemalloc's base allocator has handed out).  lo if nothing.
 */
static uintptr_t used_end(uintptr_t lo, uintptr_t hi, const struct sys_span *holes, size_t nholes)
{
	uintptr_t end = lo;
	for (size_t i = 0; i < nholes; i++) {
		if (holes[i].lo >= lo && holes[i].lo < hi && holes[i].hi > end) {
			end = holes[i].hi < hi ? holes[i].hi : hi;
		}
	}
	unsigned char vec[512];
	for (uintptr_t a = lo; a < hi; a += sizeof(vec) * PAGE_SIZE_) {
		size_t len = hi - a < sizeof(vec) * PAGE_SIZE_ ? hi - a : sizeof(vec) * PAGE_SIZE_;
		if (sys_raw(SYS_mincore, (long)a, (long)len, (long)vec, 0, 0, 0) != 0) {
			return hi; /* unknown: all of it */
		}
		for (size_t k = 0; k < len / PAGE_SIZE_; k++) {
			if ((vec[k] & 1) && a + (k + 1) * PAGE_SIZE_ > end) {
				end = a + (k + 1) * PAGE_SIZE_;
			}
		}
	}
	return end;
}

void serve_prefault_early(size_t cap, size_t slack, const struct sys_span *holes, size_t nholes)
{
	int n = atomic_load(&nearly);
	size_t done_bytes = 0;
	for (int i = 0; i < n && done_bytes < cap; i++) {
		if (early[i].len == 0) {
			continue;
		}
		/*
		 * jemalloc's base hands its blocks out from the start: what it
		 * used by arming (resident) and slack bytes after that, for the
		 * metadata of extents made after arming.  Whole blocks (3.8 MiB at
		 * arming, besides the radix tree) were made resident, and none of
		 * bench/latency's cases touched a page of them after arming.
		 */
		uintptr_t lo = early[i].addr, hi = lo + early[i].len;
		if (slack && early[i].len > slack) {
			uintptr_t end = used_end(lo, hi, holes, nholes);
			hi = end < hi - slack ? end + slack : hi;
		}
		long r = sys_madvise_except(lo, hi, MADV_POPULATE_WRITE, holes, nholes);
		log_msg(LOG_DEBUG, "prefault early mapping %p+%zu: %zu bytes: %ld", (void *)early[i].addr, early[i].len,
			(size_t)(hi - lo), r);
		if (r == 0) {
			done_bytes += early[i].len;
		}
	}
}

static void early_note(uintptr_t a, size_t len)
{
	int i = atomic_fetch_add(&nearly, 1);
	if (i < EARLY_MAX) {
		early[i].addr = a;
		early[i].len = len;
	} else {
		atomic_store(&nearly, EARLY_MAX);
	}
}

/* Subtracts an unmapped range from the early table (jemalloc trims its maps). */
void serve_forget_early(void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr, e = a + len;
	int n = atomic_load(&nearly);
	for (int i = 0; i < n && i < EARLY_MAX; i++) {
		uintptr_t s = early[i].addr, t = s + early[i].len;
		if (early[i].len == 0 || e <= s || a >= t) {
			continue;
		}
		if (a <= s && e >= t) {
			early[i].len = 0;
		} else if (a <= s) {
			early[i].addr = e;
			early[i].len = t - e;
		} else if (e >= t) {
			early[i].len = a - s;
		} else {
			early[i].len = a - s;
			early_note(e, t - e);
		}
	}
}

/* ---- mmap ----------------------------------------------------------------- */

/*
 * An allocator-style request: anonymous, private, read-write, no fixed
 * address.  MAP_NORESERVE (jemalloc adds it where the kernel overcommits)
 * is accepted; whether a large one is served is the caller's decision.
 */
static bool anon_rw_private(int prot, int flags)
{
	const int bad = MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_HUGETLB | MAP_GROWSDOWN | MAP_32BIT;
	return (flags & MAP_ANONYMOUS) && (flags & MAP_TYPE) == MAP_PRIVATE && !(flags & bad) &&
	       prot == (PROT_READ | PROT_WRITE);
}

void serve_note_early(long r, size_t len, int prot, int flags)
{
	if (r > 0 && anon_rw_private(prot, flags)) {
		early_note((uintptr_t)r, len);
	}
}

/*
 * The pool has no room never handed out left: pages the allocator gave back
 * (spare, after spans gives it its free 64 KiB units), zeroed here, before
 * the pool may grow.  Without it a program mapping and allocating in turn
 * grew its pool after arming while spans held 89 MiB free (bench/latency
 * -m, 1 run of 5 at 256M).  The zeroing is what the kernel would do at
 * first touch, done at once, and only where the pool would grow otherwise.
 */
static void *from_spare(size_t len, unsigned flags)
{
	len = (len + PAGE_SIZE_ - 1) & ~(size_t)(PAGE_SIZE_ - 1);
	void *p = spare_take(len, PAGE_SIZE_);
	if (p == NULL && spans_release() != 0) {
		p = spare_take(len, PAGE_SIZE_);
	}
	if (p == NULL && front_release() != 0) {
		p = spare_take(len, PAGE_SIZE_);
	}
	if (p == NULL) {
		return NULL;
	}
	memset(p, 0, len);
	if (!pmap_adopt(p, len, flags)) {
		(void)spare_put(p, len);
		return NULL;
	}
	return p;
}

/* Serves from the pool, growing it as guard allows; NULL if it cannot. */
static void *from_pool(size_t len, unsigned flags, const char *who)
{
	int err = 0;
	pool_note_request(len + PAGE_SIZE_); /* room at arming (pool.h) */
	void *p = pmap_map(len, PAGE_SIZE_, flags, &err);
	if (p == NULL && err == -ENOMEM) {
		p = from_spare(len, flags);
	}
	if (p == NULL && err == -ENOMEM && guard_pool_exhausted(len + PAGE_SIZE_, who)) {
		p = pmap_map(len, PAGE_SIZE_, flags, &err);
	}
	return p;
}

static long act_mmap(struct call *c)
{
	long r = sys_mmap(ARG(c, 0, void *), ARG(c, 1, size_t), ARG(c, 2, int), ARG(c, 3, int), ARG(c, 4, int),
			  ARG(c, 5, off_t));
	/*
	 * Before our constructor, during it, and the shim's own after it until
	 * arming: populated at arming, as the pool is.  jemalloc's metadata is
	 * such a mapping (6 MiB, mapped while our constructor installs the
	 * hooks): its radix tree's leaf for the pool's addresses is written a
	 * page at a time as extents with new boundaries appear, and took faults
	 * after arming in bench/latency -t 4 (4 runs of 40).
	 */
	if (c->state == SHIM_UNINIT || c->state == SHIM_INITIALIZING || (c->quiet && !shim_armed())) {
		serve_note_early(r, ARG(c, 1, size_t), ARG(c, 2, int), ARG(c, 3, int));
	}
	return r;
}

/*
 * MAP_FIXED over a block the program got from mmap (a reservation it now
 * fills, like a ring buffer mapped twice): the program's call, made for
 * real and guarded like any mmap; the pages leave the pool until unmapped.
 */
static long act_mmap_overlay(struct call *c)
{
	long r = act_mmap(c);
	if (r >= 0) {
		pmap_mark_overlaid(ARG(c, 0, void *), ARG(c, 1, size_t));
	}
	return r;
}

static const char *unserved_why(int prot, int flags)
{
	return !(flags & MAP_ANONYMOUS)             ? ((flags & MAP_SHARED) ? "shared file mapping" : "private file mapping")
	       : (flags & MAP_SHARED)               ? "shared anonymous mapping"
	       : (prot & PROT_EXEC)                 ? "executable mapping"
	       : (flags & MAP_FIXED)                ? "fixed-address mapping"
	       : (prot != (PROT_READ | PROT_WRITE)) ? "mapping not read-write"
						    : "anonymous mapping not served from the pool";
}

/* The program's mmap, guarded. */
static bool program_mmap(struct call *c, void *addr, size_t len, int prot, int flags)
{
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && pool_overlaps(addr, len)) {
		if (!(flags & MAP_FIXED) || !pmap_owns(addr, len)) {
			/* The allocator's pages, or NOREPLACE over pages that are mapped. */
			if (flags & MAP_FIXED) {
				log_msg(LOG_WARN, "mmap(MAP_FIXED) over pool memory at %p refused: it would corrupt the pool", addr);
			}
			return done(c, flags & MAP_FIXED ? -ENOMEM : -EEXIST);
		}
		return to_kernel(c, act_mmap_overlay, "fixed-address mapping over a block served from the pool");
	}
	/*
	 * Served from start-up on, so a buffer mapped during warm-up can be
	 * unmapped after arming without a syscall; before arming, only sizes an
	 * allocator would ask for (a huge start-up mapping is the program's own
	 * business and may be sparse).
	 */
	bool armed = guard_armed();
	if (len && anon_rw_private(prot, flags) && config.serve_mmap &&
	    (len <= SERVE_STARTUP_MAX || (!(flags & MAP_NORESERVE) && armed))) {
		void *p = from_pool(len, armed ? 0 : PMAP_STARTUP, "mmap");
		if (p) {
			return done(c, (long)p);
		}
		if (config.mode == MODE_STRICT) {
			return done(c, -ENOMEM);
		}
	}
	return to_kernel(c, act_mmap, unserved_why(prot, flags));
}

bool serve_mmap(struct call *c)
{
	void *addr = ARG(c, 0, void *);
	size_t len = ARG(c, 1, size_t);
	int prot = ARG(c, 2, int), flags = ARG(c, 3, int);
	if (!c->quiet) {
		return program_mmap(c, addr, len, prot, flags);
	}
	if (c->state == SHIM_READY && len && anon_rw_private(prot, flags)) {
		/*
		 * jemalloc's metadata and libunwind's caches: from the pool too,
		 * 2M-aligned when that large, as jemalloc wants its base blocks.
		 * NOWAIT: the caller may hold a jemalloc lock that a fork under way
		 * waits for; then the kernel maps it.
		 */
		int err;
		void *p = pmap_map(len, len >= POOL_ALIGN ? POOL_ALIGN : PAGE_SIZE_, PMAP_NOWAIT, &err);
		if (p) {
			return done(c, (long)p);
		}
	}
	return to_kernel(c, act_mmap, NULL);
}

/* ---- served blocks after arming ---------------------------------------- */

/*
 * Served blocks mapped during start-up stand for the program's start-up
 * layout: carving a piece out of one, remapping or discarding its pages
 * after arming is reported (and refused in strict mode) like the kernel
 * mapping it replaces, even though the pool absorbs it without a syscall.
 * Returning a whole block is what allocators do (CPython frees its
 * arenas so): the pool absorbs it silently, as it does everything mapped
 * after arming.
 */
static enum verdict startup_verdict(struct call *c, void *addr, size_t len)
{
	if (c->quiet || !pmap_any(addr, len, PMAP_STARTUP) || (c->ev.kind == KIND_MUNMAP && pmap_whole(addr, len))) {
		return VERDICT_PASS;
	}
	return guard_verdict(c->ev.kind);
}

/* The record of a change the pool absorbed (none when the verdict passes). */
static void absorbed(enum verdict v, struct event *ev)
{
	if (v == VERDICT_PASS) {
		return;
	}
	ev->detail = "start-up mapping served from the pool (no syscall)";
	if (v == VERDICT_BLOCK) {
		serve_refuse(ev);
	} else {
		guard_record(ev);
	}
}

/* ---- munmap --------------------------------------------------------------- */

static long act_munmap(struct call *c)
{
	if (c->state == SHIM_UNINIT) {
		serve_forget_early(ARG(c, 0, void *), ARG(c, 1, size_t));
	}
	return sys_munmap(ARG(c, 0, void *), ARG(c, 1, size_t));
}

static long act_unmap_overlaid(struct call *c)
{
	pmap_unmap(ARG(c, 0, void *), ARG(c, 1, size_t));
	return 0;
}

bool serve_munmap(struct call *c)
{
	void *addr = ARG(c, 0, void *);
	size_t len = ARG(c, 1, size_t);
	if (c->state != SHIM_READY || !pool_overlaps(addr, len)) {
		return to_kernel(c, act_munmap, NULL);
	}
	if (!pmap_owns(addr, len)) {
		log_msg(LOG_WARN, "munmap(%p, %zu) of pool memory not served by mmap ignored: the pool is never unmapped",
			addr, len);
	}
	if (pmap_any(addr, len, PMAP_OVERLAID) && !c->quiet) {
		/* The program's own mapping goes and pool memory is mapped back: a real change. */
		return to_kernel(c, act_unmap_overlaid, "unmapping a mapping laid over pool memory (pool pages are mapped back)");
	}
	enum verdict v = startup_verdict(c, addr, len);
	if (v != VERDICT_BLOCK) {
		pmap_unmap(addr, len);
	}
	absorbed(v, &c->ev);
	return done(c, v == VERDICT_BLOCK ? -EPERM : 0);
}

/* ---- mprotect, pkey_mprotect ------------------------------------------ */

static long act_protect(struct call *c)
{
	void *addr = ARG(c, 0, void *);
	size_t len = ARG(c, 1, size_t);
	bool served = c->state == SHIM_READY && pool_overlaps(addr, len) && pmap_owns(addr, len);
	long r = c->ev.kind == KIND_PKEY_MPROTECT
			 ? sys_raw(SYS_pkey_mprotect, (long)addr, (long)len, ARG(c, 2, int), ARG(c, 3, int), 0, 0)
			 : sys_mprotect(addr, len, ARG(c, 2, int));
	if (r == 0 && served) {
		pmap_mark_protected(addr, len);
	}
	c->ev.detail = served ? "served block" : pool_overlaps(addr, len) ? "pool memory" : NULL;
	return r;
}

bool serve_protect(struct call *c) { return to_kernel(c, act_protect, NULL); }

/* ---- mremap --------------------------------------------------------------- */

static long act_mremap(struct call *c)
{
	return sys_mremap(ARG(c, 0, void *), ARG(c, 1, size_t), ARG(c, 2, size_t), ARG(c, 3, int), ARG(c, 4, void *));
}

static bool remap_served(struct call *c, void *old, size_t old_len, size_t new_len, int flags)
{
	int err = -EINVAL;
	enum verdict v = startup_verdict(c, old, old_len);
	c->ev.bytes = new_len;
	absorbed(v, &c->ev);
	if (v == VERDICT_BLOCK) {
		return done(c, -EPERM);
	}
	void *p = pmap_remap(old, old_len, new_len, flags, &err);
	if (p == NULL && err == -ENOMEM && (flags & MREMAP_MAYMOVE) && guard_pool_exhausted(new_len + POOL_ALIGN, "mremap")) {
		p = pmap_remap(old, old_len, new_len, flags, &err);
	}
	return done(c, p ? (long)p : err);
}

bool serve_mremap(struct call *c)
{
	void *old = ARG(c, 0, void *), *new_addr = ARG(c, 4, void *);
	size_t old_len = ARG(c, 1, size_t), new_len = ARG(c, 2, size_t);
	if (c->state == SHIM_READY && pool_overlaps(old, old_len ? old_len : 1)) {
		if (pmap_owns(old, old_len ? old_len : 1)) {
			return remap_served(c, old, old_len, new_len, ARG(c, 3, int));
		}
		log_msg(LOG_WARN, "mremap(%p) of pool memory not served by mmap refused", old);
		return done(c, -EINVAL);
	}
	if (!c->quiet && new_addr && pool_overlaps(new_addr, new_len)) {
		return done(c, -EINVAL);
	}
	c->ev.bytes = new_len > old_len ? new_len : old_len;
	return to_kernel(c, act_mremap, NULL);
}

/* ---- madvise ---------------------------------------------------------------- */

static long act_madvise(struct call *c)
{
	return sys_madvise(ARG(c, 0, void *), ARG(c, 1, size_t), ARG(c, 2, int));
}

bool serve_madvise(struct call *c)
{
	void *addr = ARG(c, 0, void *);
	size_t len = ARG(c, 1, size_t);
	int advice = ARG(c, 2, int);
	bool guarded = kinds_advice_guarded(advice);
	if (c->state == SHIM_READY && pool_overlaps(addr, len) && pmap_owns(addr, len)) {
		enum verdict v = guarded ? startup_verdict(c, addr, len) : VERDICT_PASS;
		if (v == VERDICT_BLOCK) {
			absorbed(v, &c->ev);
			return done(c, -EPERM);
		}
		if (pmap_advise(addr, len, advice)) {
			absorbed(v, &c->ev);
			return done(c, 0);
		}
		/* Pages it made unwritable: the kernel zeroes them (they fault back in). */
	}
	c->quiet |= !guarded;
	return to_kernel(c, act_madvise, kinds_advice_name(advice, "unknown advice"));
}

/* ---- the backstop's share ------------------------------------------------- */

long serve_trapped(enum kind k, const long a[6])
{
	bool on_pool = (k == KIND_MUNMAP || k == KIND_MREMAP || k == KIND_MADVISE) && pool_overlaps((void *)a[0], (size_t)a[1]);
	/* The pool is never unmapped, moved or discarded behind its back. */
	return on_pool ? -EINVAL : 0;
}
