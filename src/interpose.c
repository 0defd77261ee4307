/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * interpose: the symbols libptfreeze.so exports but the lifecycle's
 * (pthread_create, exec, _exit and ptfreeze.h: process.c).  The malloc family goes
 * to jemalloc over the pool with glibc's semantics on bad input; the calls
 * that change page tables are served from the pool where they can be
 * (anonymous private read-write mmap after arming, and everything on served
 * blocks), and otherwise asked of guard before they reach the kernel.
 * Each entry point only dispatches: policy is guard's, parsing config's.
 *
 * Hazards: these run before our constructor (jemalloc's own constructor
 * maps memory through them), inside jemalloc and libunwind, in signal
 * handlers and in fork children.  No stdio, no malloc of our own, no dlsym;
 * errno is preserved where the call succeeds.
 */
#include "autoconf.h"
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PTFREEZE_BUILDING_SHIM
#include "ptfreeze.h"

#include "arena.h"
#include "capture.h"
#include "fmt.h"
#include "guard.h"
#include "kinds.h"
#include "interpose.h"
#include "log.h"
#include "pmap.h"
#include "pool.h"
#include "real.h"
#include "report.h"
#include "shim.h"
#include "sys.h"
#include "tstack.h"
#include "writeback.h"

#define EXPORT __attribute__((visibility("default")))
#define unlikely(x) __builtin_expect(!!(x), 0)
#define PAGE_SIZE_ 4096u
/*
 * Largest anonymous mmap served from the pool before arming, or at any time
 * with MAP_NORESERVE (a reservation that is likely to stay sparse).
 */
#define SERVE_STARTUP_MAX ((size_t)64 << 20)

/* ---- the malloc family ------------------------------------------------ */

static inline bool too_big(size_t n) { return n > (size_t)PTRDIFF_MAX; }

EXPORT void *malloc(size_t n)
{
	/* jemalloc refuses sizes past PTRDIFF_MAX and serves 0 as a minimal block. */
	void *p = arena_alloc(n);
	if (unlikely(p == NULL)) {
		errno = ENOMEM;
	}
	return p;
}

EXPORT void free(void *p)
{
	if (p) {
		arena_free(p);
	}
}

EXPORT void *calloc(size_t n, size_t m)
{
	size_t t;
	if (unlikely(__builtin_mul_overflow(n, m, &t) || too_big(t))) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = arena_alloc_zero(t ? t : 1);
	if (unlikely(p == NULL)) {
		errno = ENOMEM;
	}
	return p;
}

EXPORT void *realloc(void *p, size_t n)
{
	if (p == NULL) {
		return malloc(n);
	}
	if (n == 0) {
		/* glibc: realloc(p, 0) frees p and returns NULL. */
		arena_free(p);
		return NULL;
	}
	if (unlikely(too_big(n))) {
		errno = ENOMEM;
		return NULL;
	}
	void *q = arena_realloc(p, n);
	if (unlikely(q == NULL)) {
		errno = ENOMEM;
	}
	return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
	size_t t;
	if (unlikely(__builtin_mul_overflow(n, m, &t))) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, t);
}

static inline bool pow2(size_t a) { return a && !(a & (a - 1)); }

static void *aligned(size_t align, size_t n)
{
	if (unlikely(too_big(n))) {
		errno = ENOMEM;
		return NULL;
	}
	/* jemalloc's 8-byte size class is only 8-aligned: memalign(16, 2) must not get it. */
	void *p = align <= (n > 8 ? 16 : 8) ? arena_alloc(n ? n : 1) : arena_alloc_aligned(n ? n : 1, align);
	if (unlikely(p == NULL)) {
		errno = ENOMEM;
	}
	return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	if (align % sizeof(void *) != 0 || !pow2(align / sizeof(void *))) {
		return EINVAL;
	}
	int saved = errno;
	void *p = aligned(align, n);
	errno = saved;
	if (p == NULL) {
		return ENOMEM;
	}
	*out = p;
	return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	/* C17 and glibc >= 2.38: a non-power-of-two alignment is an error. */
	if (!pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return aligned(align, n);
}

EXPORT void *memalign(size_t align, size_t n)
{
	/* glibc: round a non-power-of-two alignment up; refuse absurd ones. */
	if (align > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (!pow2(align)) {
		size_t a = 1;
		while (a < align) {
			a <<= 1;
		}
		align = a;
	}
	return aligned(align, n);
}

EXPORT void *valloc(size_t n) { return aligned(PAGE_SIZE_, n); }

EXPORT void *pvalloc(size_t n)
{
	size_t r;
	if (unlikely(__builtin_add_overflow(n, PAGE_SIZE_ - 1, &r))) {
		errno = ENOMEM;
		return NULL;
	}
	r &= ~(size_t)(PAGE_SIZE_ - 1);
	return aligned(PAGE_SIZE_, r ? r : PAGE_SIZE_);
}

EXPORT size_t malloc_usable_size(void *p) { return p ? arena_usable_size(p) : 0; }

/* glibc's own would wake its empty arena; nothing to trim or tune here. */
EXPORT int malloc_trim(size_t pad) { return 0; }
EXPORT int mallopt(int param, int value) { return 1; }

/* ---- memory mappings ---------------------------------------------------- */

/* Anonymous mappings made before our constructor (jemalloc's first chunks). */
#define EARLY_MAX 64
static struct {
	uintptr_t addr;
	size_t len;
} early[EARLY_MAX];
static _Atomic int nearly;

/*
 * An allocator-style request: anonymous, private, read-write, no fixed
 * address.  MAP_NORESERVE (jemalloc adds it where the kernel overcommits)
 * is accepted; whether a large one is served is the caller's decision.
 */
static bool anon_rw_private(void *addr, int prot, int flags, int fd)
{
	const int bad = MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_HUGETLB | MAP_GROWSDOWN | MAP_32BIT;
	return (flags & MAP_ANONYMOUS) && (flags & MAP_TYPE) == MAP_PRIVATE && !(flags & bad) &&
	       prot == (PROT_READ | PROT_WRITE);
}

void interpose_prefault_early(size_t cap)
{
	int n = atomic_load(&nearly);
	size_t done = 0;
	for (int i = 0; i < n && done < cap; i++) {
		if (early[i].len == 0) {
			continue;
		}
		long r = sys_madvise((void *)early[i].addr, early[i].len, MADV_POPULATE_WRITE);
		log_msg(LOG_DEBUG, "prefault early mapping %p+%zu: %ld", (void *)early[i].addr, early[i].len, r);
		if (r == 0) {
			done += early[i].len;
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
static void early_forget(uintptr_t a, size_t len)
{
	uintptr_t e = a + len;
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

static inline void *as_ptr(long r, int *err)
{
	if (r < 0 && r > -4096) {
		*err = (int)-r;
		return MAP_FAILED;
	}
	return (void *)r;
}

static void *ret_map(long r)
{
	int err = 0;
	void *p = as_ptr(r, &err);
	if (p == MAP_FAILED) {
		errno = err;
	}
	return p;
}

static int ret_int(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}

/* Strict mode's answer to a guarded call: recorded as blocked, EPERM. */
static long refuse(struct event *ev)
{
	ev->result = -EPERM;
	ev->blocked = true;
	guard_record(ev);
	return -EPERM;
}

/* A call made by the shim itself, jemalloc or libunwind: never guarded. */
static inline bool internal_call(void *ret) { return shim_busy || capture_is_internal((uintptr_t)ret); }

/* Serves from the pool, growing it as guard allows; NULL if it cannot. */
static void *serve(size_t len, unsigned flags, const char *who)
{
	int err = 0;
	void *p = pmap_map(len, PAGE_SIZE_, flags, &err);
	if (p == NULL && err == -ENOMEM && guard_pool_exhausted(len + PAGE_SIZE_, who)) {
		p = pmap_map(len, PAGE_SIZE_, flags, &err);
	}
	return p;
}

/*
 * Served blocks mapped during start-up stand for the program's start-up
 * layout: carving a piece out of one, remapping or discarding its pages
 * after arming is reported (and refused in strict mode) like the kernel
 * mapping it replaces, even though the pool absorbs it without a syscall.
 * Returning a whole block is what allocators do (CPython frees its
 * arenas so): the pool absorbs it silently, as it does everything mapped
 * after arming.
 */
static enum verdict startup_verdict(enum kind k, void *addr, size_t len, void *ret)
{
	if (internal_call(ret) || !pmap_any(addr, len, PMAP_STARTUP) ||
	    (k == KIND_MUNMAP && pmap_whole(addr, len))) {
		return VERDICT_PASS;
	}
	return guard_verdict(k);
}

static void absorbed(enum verdict v, struct event *ev)
{
	if (v == VERDICT_PASS) {
		return;
	}
	ev->detail = "start-up mapping served from the pool (no syscall)";
	if (v == VERDICT_BLOCK) {
		ev->result = -EPERM;
		ev->blocked = true;
	}
	guard_record(ev);
}

/*
 * A writable shared mapping of a regular file on a disk-backed filesystem:
 * every page the program dirties must be written back, and the kernel may
 * stall a writer while it is.  Recorded whenever it is made (the hazard is
 * the mapping, not the moment) and never refused.
 */
static void note_writeback_hazard(void *addr, size_t len, int prot, int flags, int fd, off_t off, long result)
{
	struct stat st;
	struct statfs fs;
	if (config.mode == MODE_OFF || (flags & MAP_ANONYMOUS) || (flags & MAP_TYPE) == MAP_PRIVATE ||
	    !(prot & PROT_WRITE) || fd < 0 || result < 0) {
		return;
	}
	if (sys_raw(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) != 0 || !S_ISREG(st.st_mode) ||
	    sys_raw(SYS_fstatfs, fd, (long)&fs, 0, 0, 0, 0) != 0) {
		return;
	}
	if (writeback_free_magic((long)fs.f_type)) {
		return; /* memory-backed: nothing to write back */
	}
	char link[64], path[512];
	struct sb sb;
	sb_init(&sb, link, sizeof(link));
	sb_printf(&sb, "/proc/self/fd/%d", fd);
	long n = sys_readlink(sb_cstr(&sb), path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = '\0';
	struct event ev = {.kind = KIND_WRITEBACK_HAZARD,
			   .args = {(uintptr_t)addr, len, (uintptr_t)prot, (uintptr_t)flags, (uintptr_t)fd, (uintptr_t)off},
			   .path = path,
			   .detail = "writable shared file mapping: dirty pages are written back, writers can stall",
			   .bytes = len,
			   .result = result};
	if (!shim_busy && shim_ready()) {
		/* Recorded before arming too: its stack needs the unwinder, which start-up defers. */
		guard_prepare_now();
	}
	guard_record(&ev);
}

/*
 * MAP_FIXED over a block the program got from mmap (a reservation it now
 * fills, like a ring buffer mapped twice): the program's call, made for
 * real and guarded like any mmap; the pages leave the pool until unmapped.
 */
static long overlay_served(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	enum verdict v = guard_verdict(KIND_MMAP);
	struct event ev = {.kind = KIND_MMAP,
			   .args = {(uintptr_t)addr, len, (uintptr_t)prot, (uintptr_t)flags, (uintptr_t)fd, (uintptr_t)off},
			   .bytes = len,
			   .detail = "fixed-address mapping over a block served from the pool"};
	if (v == VERDICT_BLOCK) {
		return refuse(&ev);
	}
	long r = sys_mmap(addr, len, prot, flags, fd, off);
	if (r >= 0) {
		pmap_mark_overlaid(addr, len);
	}
	if (v == VERDICT_RECORD) {
		ev.result = r;
		guard_record(&ev);
	}
	note_writeback_hazard(addr, len, prot, flags, fd, off, r);
	return r;
}

static long guarded_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && pool_overlaps(addr, len)) {
		if (!(flags & MAP_FIXED) || !pmap_owns(addr, len)) {
			/* The allocator's pages, or NOREPLACE over pages that are mapped. */
			if (flags & MAP_FIXED) {
				log_msg(LOG_WARN, "mmap(MAP_FIXED) over pool memory at %p refused: it would corrupt the pool", addr);
			}
			return flags & MAP_FIXED ? -ENOMEM : -EEXIST;
		}
		return overlay_served(addr, len, prot, flags, fd, off);
	}
	/*
	 * Served from start-up on, so a buffer mapped during warm-up can be
	 * unmapped after arming without a syscall; before arming, only sizes an
	 * allocator would ask for (a huge start-up mapping is the program's own
	 * business and may be sparse).
	 */
	bool armed = guard_armed();
	if (len && anon_rw_private(addr, prot, flags, fd) && config.serve_mmap &&
	    (len <= SERVE_STARTUP_MAX || (!(flags & MAP_NORESERVE) && armed))) {
		void *p = serve(len, armed ? 0 : PMAP_STARTUP, "mmap");
		if (p) {
			return (long)p;
		}
		if (config.mode == MODE_STRICT) {
			return -ENOMEM;
		}
	}
	enum verdict v = guard_verdict(KIND_MMAP);
	struct event ev = {.kind = KIND_MMAP,
			   .args = {(uintptr_t)addr, len, (uintptr_t)prot, (uintptr_t)flags, (uintptr_t)fd, (uintptr_t)off},
			   .bytes = len};
	ev.detail = !(flags & MAP_ANONYMOUS)    ? ((flags & MAP_SHARED) ? "shared file mapping" : "private file mapping")
		    : (flags & MAP_SHARED)      ? "shared anonymous mapping"
		    : (prot & PROT_EXEC)        ? "executable mapping"
		    : (flags & MAP_FIXED)       ? "fixed-address mapping"
		    : (prot != (PROT_READ | PROT_WRITE)) ? "mapping not read-write"
						: "anonymous mapping not served from the pool";
	if (v == VERDICT_BLOCK) {
		return refuse(&ev);
	}
	long r = sys_mmap(addr, len, prot, flags, fd, off);
	if (v == VERDICT_RECORD) {
		ev.result = r;
		guard_record(&ev);
	}
	note_writeback_hazard(addr, len, prot, flags, fd, off, r);
	return r;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	int st = atomic_load_explicit(&shim_state, memory_order_acquire);
	if (st == SHIM_READY && !internal_call(__builtin_return_address(0))) {
		return ret_map(guarded_mmap(addr, len, prot, flags, fd, off));
	}
	if (st == SHIM_READY && len && anon_rw_private(addr, prot, flags, fd)) {
		/*
		 * jemalloc's metadata and libunwind's caches: from the pool too,
		 * 2M-aligned when that large, as jemalloc wants its base blocks.
		 * NOWAIT: the caller may hold a jemalloc lock that a fork under way
		 * waits for; then the kernel maps it.
		 */
		int err;
		void *p = pmap_map(len, len >= POOL_ALIGN ? POOL_ALIGN : PAGE_SIZE_, PMAP_NOWAIT, &err);
		if (p) {
			return p;
		}
	}
	long r = sys_mmap(addr, len, prot, flags, fd, off);
	if (st == SHIM_UNINIT && r > 0 && anon_rw_private(addr, prot, flags, fd)) {
		early_note((uintptr_t)r, len);
	}
	return ret_map(r);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

EXPORT int munmap(void *addr, size_t len)
{
	int st = atomic_load_explicit(&shim_state, memory_order_acquire);
	if (st == SHIM_READY && pool_overlaps(addr, len)) {
		if (!pmap_owns(addr, len)) {
			log_msg(LOG_WARN, "munmap(%p, %zu) of pool memory not served by mmap ignored: the pool is never unmapped",
				addr, len);
		}
		struct event ev = {.kind = KIND_MUNMAP, .args = {(uintptr_t)addr, len}, .bytes = len};
		if (pmap_any(addr, len, PMAP_OVERLAID) && !internal_call(__builtin_return_address(0))) {
			/* The program's own mapping goes and pool memory is mapped back: a real change. */
			enum verdict v = guard_verdict(KIND_MUNMAP);
			ev.detail = "unmapping a mapping laid over pool memory (pool pages are mapped back)";
			if (v == VERDICT_BLOCK) {
				return ret_int(refuse(&ev));
			}
			pmap_unmap(addr, len);
			if (v == VERDICT_RECORD) {
				guard_record(&ev);
			}
			return 0;
		}
		enum verdict v = startup_verdict(KIND_MUNMAP, addr, len, __builtin_return_address(0));
		if (v == VERDICT_BLOCK) {
			absorbed(v, &ev);
			return ret_int(-EPERM);
		}
		pmap_unmap(addr, len);
		absorbed(v, &ev);
		return 0;
	}
	if (st != SHIM_READY || internal_call(__builtin_return_address(0))) {
		if (st == SHIM_UNINIT) {
			early_forget((uintptr_t)addr, len);
		}
		return ret_int(sys_munmap(addr, len));
	}
	enum verdict v = guard_verdict(KIND_MUNMAP);
	struct event ev = {.kind = KIND_MUNMAP, .args = {(uintptr_t)addr, len}, .bytes = len};
	if (v == VERDICT_BLOCK) {
		return ret_int(refuse(&ev));
	}
	long r = sys_munmap(addr, len);
	if (v == VERDICT_RECORD) {
		ev.result = r;
		guard_record(&ev);
	}
	return ret_int(r);
}

static long guarded_protect(enum kind k, void *addr, size_t len, int prot, int pkey, void *ret)
{
	int st = atomic_load_explicit(&shim_state, memory_order_acquire);
	bool internal = st != SHIM_READY || internal_call(ret);
	enum verdict v = internal ? VERDICT_PASS : guard_verdict(k);
	struct event ev = {.kind = k, .args = {(uintptr_t)addr, len, (uintptr_t)prot, (uintptr_t)pkey}, .bytes = len};
	if (v == VERDICT_BLOCK) {
		return refuse(&ev);
	}
	bool served = st == SHIM_READY && pool_overlaps(addr, len) && pmap_owns(addr, len);
	long r = k == KIND_PKEY_MPROTECT ? sys_raw(SYS_pkey_mprotect, (long)addr, (long)len, prot, pkey, 0, 0)
					 : sys_mprotect(addr, len, prot);
	if (r == 0 && served) {
		pmap_mark_protected(addr, len);
	}
	if (v == VERDICT_RECORD) {
		ev.detail = served ? "served block" : pool_overlaps(addr, len) ? "pool memory" : NULL;
		ev.result = r;
		guard_record(&ev);
	}
	return r;
}

EXPORT int mprotect(void *addr, size_t len, int prot)
{
	return ret_int(guarded_protect(KIND_MPROTECT, addr, len, prot, -1, __builtin_return_address(0)));
}

EXPORT int pkey_mprotect(void *addr, size_t len, int prot, int pkey)
{
	return ret_int(guarded_protect(KIND_PKEY_MPROTECT, addr, len, prot, pkey, __builtin_return_address(0)));
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;
	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	int st = atomic_load_explicit(&shim_state, memory_order_acquire);
	if (st == SHIM_READY && pool_overlaps(old, old_len ? old_len : 1)) {
		int err = -EINVAL;
		void *p = NULL;
		if (pmap_owns(old, old_len ? old_len : 1)) {
			enum verdict v = startup_verdict(KIND_MREMAP, old, old_len, __builtin_return_address(0));
			struct event ev = {.kind = KIND_MREMAP,
					   .args = {(uintptr_t)old, old_len, new_len, (uintptr_t)flags, (uintptr_t)new_addr},
					   .bytes = new_len};
			if (v == VERDICT_BLOCK) {
				absorbed(v, &ev);
				return ret_map(-EPERM);
			}
			absorbed(v, &ev);
			p = pmap_remap(old, old_len, new_len, flags, &err);
			if (p == NULL && err == -ENOMEM && (flags & MREMAP_MAYMOVE) &&
			    guard_pool_exhausted(new_len + POOL_ALIGN, "mremap")) {
				p = pmap_remap(old, old_len, new_len, flags, &err);
			}
		} else {
			log_msg(LOG_WARN, "mremap(%p) of pool memory not served by mmap refused", old);
		}
		if (p) {
			return p;
		}
		errno = -err;
		return MAP_FAILED;
	}
	if (st != SHIM_READY || internal_call(__builtin_return_address(0))) {
		return ret_map(sys_mremap(old, old_len, new_len, flags, new_addr));
	}
	if (new_addr && pool_overlaps(new_addr, new_len)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	enum verdict v = guard_verdict(KIND_MREMAP);
	struct event ev = {.kind = KIND_MREMAP,
			   .args = {(uintptr_t)old, old_len, new_len, (uintptr_t)flags, (uintptr_t)new_addr},
			   .bytes = new_len > old_len ? new_len : old_len};
	if (v == VERDICT_BLOCK) {
		return ret_map(refuse(&ev));
	}
	long r = sys_mremap(old, old_len, new_len, flags, new_addr);
	if (v == VERDICT_RECORD) {
		ev.result = r;
		guard_record(&ev);
	}
	return ret_map(r);
}

EXPORT int madvise(void *addr, size_t len, int advice)
{
	int st = atomic_load_explicit(&shim_state, memory_order_acquire);
	if (st == SHIM_READY && pool_overlaps(addr, len) && pmap_owns(addr, len)) {
		enum verdict v = kinds_advice_guarded(advice)
					 ? startup_verdict(KIND_MADVISE, addr, len, __builtin_return_address(0))
					 : VERDICT_PASS;
		struct event ev = {.kind = KIND_MADVISE, .args = {(uintptr_t)addr, len, (uintptr_t)advice}, .bytes = len};
		if (v == VERDICT_BLOCK) {
			absorbed(v, &ev);
			return ret_int(-EPERM);
		}
		if (pmap_advise(addr, len, advice)) {
			absorbed(v, &ev);
			return 0;
		}
		/* Pages it made unwritable: the kernel zeroes them (they fault back in). */
	}
	if (st != SHIM_READY || !kinds_advice_guarded(advice) || internal_call(__builtin_return_address(0))) {
		return ret_int(sys_madvise(addr, len, advice));
	}
	enum verdict v = guard_verdict(KIND_MADVISE);
	struct event ev = {.kind = KIND_MADVISE,
			   .args = {(uintptr_t)addr, len, (uintptr_t)advice},
			   .bytes = len,
			   .detail = kinds_advice_name(advice, "unknown advice")};
	if (v == VERDICT_BLOCK) {
		return ret_int(refuse(&ev));
	}
	long r = sys_madvise(addr, len, advice);
	if (v == VERDICT_RECORD) {
		ev.result = r;
		guard_record(&ev);
	}
	return ret_int(r);
}

/* ---- the program break, System V shared memory ------------------------ */

/* Shared shape of the guarded calls whose real work is libc's. */
#define GUARDED(kind_, detail_, bytes_, a0, a1, a2, on_block, call, result_of)                              \
	do {                                                                                               \
		int st_ = atomic_load_explicit(&shim_state, memory_order_acquire);                         \
		enum verdict v_ = st_ == SHIM_READY ? guard_verdict(kind_) : VERDICT_PASS;                 \
		struct event ev_ = {.kind = kind_, .args = {(uintptr_t)(a0), (uintptr_t)(a1), (uintptr_t)(a2)}, \
				    .bytes = (bytes_), .detail = (detail_)};                               \
		if (v_ == VERDICT_BLOCK) {                                                                 \
			ev_.result = -EPERM;                                                               \
			ev_.blocked = true;                                                                \
			guard_record(&ev_);                                                                \
			on_block;                                                                          \
		}                                                                                          \
		shim_busy++; /* the seccomp backstop must not record the call twice */                     \
		call;                                                                                      \
		shim_busy--;                                                                               \
		if (v_ == VERDICT_RECORD) {                                                                \
			ev_.result = (result_of);                                                          \
			guard_record(&ev_);                                                                \
		}                                                                                          \
	} while (0)

static long neg_errno(bool failed) { return failed ? -(long)errno : 0; }

EXPORT int brk(void *addr)
{
	if (real.brk == NULL) {
		return ret_int(-ENOSYS);
	}
	int r;
	GUARDED(KIND_BRK, NULL, 0, addr, 0, 0, errno = EPERM; return -1, r = real.brk(addr),
		neg_errno(r != 0));
	return r;
}

EXPORT void *sbrk(intptr_t inc)
{
	if (real.sbrk == NULL) {
		errno = ENOSYS;
		return (void *)-1;
	}
	if (inc == 0) {
		return real.sbrk(0); /* a query changes nothing */
	}
	void *r;
	GUARDED(KIND_SBRK, NULL, (size_t)(inc < 0 ? -inc : inc), inc, 0, 0, errno = EPERM; return (void *)-1,
		r = real.sbrk(inc), neg_errno(r == (void *)-1));
	return r;
}

EXPORT void *shmat(int id, const void *addr, int flags)
{
	void *r;
	GUARDED(KIND_SHMAT, NULL, 0, id, addr, flags, errno = EPERM; return (void *)-1,
		r = real.shmat(id, addr, flags), r == (void *)-1 ? -(long)errno : (long)r);
	return r;
}

EXPORT int shmdt(const void *addr)
{
	int r;
	GUARDED(KIND_SHMDT, NULL, 0, addr, 0, 0, errno = EPERM; return -1, r = real.shmdt(addr), neg_errno(r != 0));
	return r;
}

/* ---- processes, threads, libraries ------------------------------------- */

EXPORT pid_t fork(void)
{
	int st = atomic_load_explicit(&shim_state, memory_order_acquire);
	enum verdict v = st == SHIM_READY ? guard_verdict(KIND_FORK) : VERDICT_PASS;
	struct event ev = {.kind = KIND_FORK, .detail = "fork write-protects every private page of the parent"};
	if (v == VERDICT_BLOCK) {
		ev.result = -EPERM;
		ev.blocked = true;
		guard_record(&ev);
		errno = EPERM;
		return -1;
	}
	shim_busy++;
	pid_t r = real.fork();
	shim_busy--;
	/* The parent's event: the child starts a report of its own. */
	if (v == VERDICT_RECORD && r != 0) {
		ev.result = r < 0 ? -(long)errno : (long)r;
		guard_record(&ev);
	}
	return r;
}

/* Called by the vfork trampoline before the syscall: 0 to go ahead, or an errno. */
__attribute__((used)) int interpose_vfork_check(void);
int interpose_vfork_check(void)
{
	if (atomic_load(&shim_state) != SHIM_READY) {
		return 0;
	}
	enum verdict v = guard_verdict(KIND_VFORK);
	if (v == VERDICT_PASS) {
		return 0;
	}
	struct event ev = {.kind = KIND_VFORK, .detail = "the child borrows the parent's address space", .blocked = v == VERDICT_BLOCK,
			   .result = v == VERDICT_BLOCK ? -EPERM : 0};
	guard_record(&ev);
	return v == VERDICT_BLOCK ? EPERM : 0;
}

__attribute__((used)) long interpose_vfork_fail(long neg);
long interpose_vfork_fail(long neg)
{
	errno = (int)-neg;
	return -1;
}

/*
 * vfork cannot be wrapped in C: the child would return through our frame
 * and wreck the parent's stack.  Like glibc's, this pops the return
 * address into a register the kernel preserves, makes the call, and pushes
 * it back in both parent and child.  The CFI lets libunwind walk out of
 * interpose_vfork_check to the program's caller: without it a vfork site
 * was recorded with an empty stack.
 */
__asm__(".text\n"
	".globl vfork\n"
	".type vfork,@function\n"
	"vfork:\n"
	"\t.cfi_startproc\n"
	"\tsub $8, %rsp\n"
	"\t.cfi_adjust_cfa_offset 8\n"
	"\tcall interpose_vfork_check\n"
	"\tadd $8, %rsp\n"
	"\t.cfi_adjust_cfa_offset -8\n"
	"\ttest %eax, %eax\n"
	"\tjnz 1f\n"
	"\tpop %rdi\n"
	"\t.cfi_adjust_cfa_offset -8\n"
	"\t.cfi_register %rip, %rdi\n"
	"\tmov $58, %eax\n"
	"\tsyscall\n"
	"\tpush %rdi\n"
	"\t.cfi_adjust_cfa_offset 8\n"
	"\t.cfi_rel_offset %rip, 0\n"
	"\tcmp $-4095, %rax\n"
	"\tjae 2f\n"
	"\tret\n"
	"1:\tneg %eax\n"
	"\tmovslq %eax, %rdi\n"
	"\tjmp interpose_vfork_fail\n"
	"2:\tmov %rax, %rdi\n"
	"\tjmp interpose_vfork_fail\n"
	"\t.cfi_endproc\n"
	".size vfork, .-vfork\n");

/*
 * A stack of the caller's own maps nothing (glibc neither maps, protects
 * nor advises it); the cache hands glibc a prefaulted slot (tstack.c);
 * otherwise glibc maps the stack and its guard page: a guarded call.
 */
int interpose_create_thread(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	if (attr && tstack_attr_has_stack(attr)) {
		return real.pthread_create(t, attr, fn, arg);
	}
	int r;
	const char *why = "the thread's stack and guard page are mapped";
	if (tstack_enabled()) {
		bool grew = false;
		enum tstack_outcome o = tstack_create(t, attr, fn, arg, TSTACK_EMPTY_ASK, &r, &why, &grew);
		if (o == TSTACK_EMPTY) {
			/* The cache is empty: the guard decides between growing, one violation, and refusing. */
			enum verdict v = guard_verdict(KIND_THREAD);
			enum tstack_empty e = v == VERDICT_PASS	  ? TSTACK_EMPTY_GROW
					      : v == VERDICT_RECORD ? TSTACK_EMPTY_GROW_ONE
								    : TSTACK_EMPTY_REFUSE;
			o = tstack_create(t, attr, fn, arg, e, &r, &why, &grew);
		}
		struct event ev = {.kind = KIND_THREAD, .bytes = tstack_slot_bytes(), .refuse_errno = EAGAIN};
		if (grew) {
			ev.detail = "thread stack cache empty: a new stack slot was mapped";
			guard_record(&ev);
		}
		if (o == TSTACK_REFUSED) {
			ev.detail = "thread stack cache empty: strict mode refuses to map a stack (EAGAIN)";
			ev.result = -EAGAIN;
			ev.blocked = true;
			guard_record(&ev);
			return EAGAIN;
		}
		if (o == TSTACK_DONE) {
			return r;
		}
	}
	GUARDED(KIND_THREAD, why, 0, 0, 0, 0, return EPERM, r = real.pthread_create(t, attr, fn, arg), -(long)r);
	return r;
}

/* The joins and detach only tell the stack cache a slot can be reused. */
static void resolve_threads(void)
{
	if (real.pthread_join == NULL) {
		real_resolve(); /* only before our constructor */
	}
}

EXPORT int pthread_join(pthread_t t, void **ret)
{
	resolve_threads();
	int r = real.pthread_join(t, ret);
	if (r == 0) {
		tstack_joined(t);
	}
	return r;
}

EXPORT int pthread_tryjoin_np(pthread_t t, void **ret)
{
	resolve_threads();
	int r = real.pthread_tryjoin_np ? real.pthread_tryjoin_np(t, ret) : ENOSYS;
	if (r == 0) {
		tstack_joined(t);
	}
	return r;
}

EXPORT int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime)
{
	resolve_threads();
	int r = real.pthread_timedjoin_np ? real.pthread_timedjoin_np(t, ret, abstime) : ENOSYS;
	if (r == 0) {
		tstack_joined(t);
	}
	return r;
}

EXPORT int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clock, const struct timespec *abstime)
{
	resolve_threads();
	int r = real.pthread_clockjoin_np ? real.pthread_clockjoin_np(t, ret, clock, abstime) : ENOSYS;
	if (r == 0) {
		tstack_joined(t);
	}
	return r;
}

EXPORT int pthread_detach(pthread_t t)
{
	resolve_threads();
	int r = real.pthread_detach(t);
	if (r == 0) {
		tstack_detached(t);
	}
	return r;
}

EXPORT void *dlopen(const char *file, int flags)
{
	if (real.dlopen == NULL) {
		real_resolve(); /* only before our constructor */
	}
	int st = atomic_load_explicit(&shim_state, memory_order_acquire);
	if (st != SHIM_READY || file == NULL || shim_busy) {
		return real.dlopen(file, flags);
	}
	enum verdict v = guard_verdict(KIND_DLOPEN);
	if (v != VERDICT_PASS) {
		/* Already loaded: only a reference count changes, no mapping. */
		void *h = real.dlopen(file, flags | RTLD_NOLOAD);
		if (h) {
			return h;
		}
	}
	struct event ev = {.kind = KIND_DLOPEN, .args = {(uintptr_t)flags}, .path = file,
			   .detail = "the loader maps the library and its dependencies"};
	if (v == VERDICT_BLOCK) {
		ev.result = -EPERM;
		ev.blocked = true;
		guard_record(&ev);
		/* A failing open sets a dlerror() text that names the reason. */
		return real.dlopen("/ptfreeze: dlopen refused after arming (PTFREEZE_MODE=strict)", RTLD_NOW);
	}
	void *h = real.dlopen(file, flags);
	if (v == VERDICT_RECORD) {
		ev.result = h ? 0 : -ENOENT;
		guard_record(&ev);
	}
	if (h) {
		shim_busy++;
		report_modules();
		shim_busy--;
	}
	return h;
}

EXPORT int dlclose(void *h)
{
	if (real.dlclose == NULL) {
		real_resolve();
	}
	int r;
	GUARDED(KIND_DLCLOSE, "the loader may unmap the library", 0, h, 0, 0, return 0 /* kept loaded */,
		r = real.dlclose(h), r ? -EINVAL : 0);
	return r;
}
