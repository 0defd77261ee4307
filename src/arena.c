/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * arena: jemalloc arenas whose extent hooks live on the pool (see
 * arena.h).  jemalloc's convention holds in this file only: hooks return
 * false on success and true on error (the reverse of the kernel's).
 * Never calls mmap; never allocates inside a hook.
 */
#include "arena.h"

#include "autoconf.h"

#include <errno.h>
/* jemalloc is linked in with its public names renamed (src/local.mk). */
#define mallctl ptfreeze_je_mallctl
#define mallocx ptfreeze_je_mallocx
#define rallocx ptfreeze_je_rallocx
#define sallocx ptfreeze_je_sallocx
#define dallocx ptfreeze_je_dallocx
#define malloc ptfreeze_je_malloc
#define calloc ptfreeze_je_calloc
#define free ptfreeze_je_free
#include <jemalloc/jemalloc.h>
#include <stdatomic.h>
#include <string.h>

#include "fmt.h"
#include "log.h"
#include "pool.h"

/*
 * Read by jemalloc at its own initialisation, before our constructor: this
 * definition overrides the archive's weak default at link time (the name is
 * not renamed, src/jemalloc.redefine).  Decay off (the
 * hooks refuse purges anyway), no oversize arena (it would get default
 * hooks), no background threads, retain so extents are reused in place.
 * One arena: memory one thread frees is reusable by every thread, so the
 * pool is sized by the working set, not by threads x working set; thread
 * caches still keep most calls lock-free, and cache blocks up to 128 KiB
 * (tcache_max) so medium sizes skip the arena too (bench/latency -v: malloc
 * p50 632 -> 268 ns at 16-128 KiB).  MALLOC_CONF=narenas:N overrides.
 */
const char *malloc_conf = "narenas:1,tcache_max:131072,dirty_decay_ms:-1,muzzy_decay_ms:-1,oversize_threshold:0,"
			  "background_thread:false,retain:true,metadata_thp:disabled";

static bool installed;
static unsigned narenas;
static bool (*exhausted_hook)(size_t need, const char *who);

void arena_set_exhausted_hook(bool (*fn)(size_t need, const char *who)) { exhausted_hook = fn; }

static void *hook_alloc(extent_hooks_t *h, void *new_addr, size_t size, size_t alignment, bool *zero,
			bool *commit, unsigned arena_ind)
{
	void *p;
	if (new_addr != NULL) {
		/* In-place growth: only where the pool's bump pointer stands. */
		p = pool_carve_at(new_addr, size);
	} else {
		p = pool_carve(size, alignment);
		while (p == NULL && exhausted_hook && exhausted_hook(size + alignment, "jemalloc")) {
			p = pool_carve(size, alignment);
		}
	}
	if (p == NULL) {
		return NULL;
	}
	/* Pool memory handed out for the first time is zero and committed. */
	*zero = true;
	*commit = true;
	return p;
}

static bool hook_dalloc(extent_hooks_t *h, void *addr, size_t size, bool committed, unsigned arena_ind)
{
	return true; /* refused: jemalloc retains the extent for reuse */
}

static void hook_destroy(extent_hooks_t *h, void *addr, size_t size, bool committed, unsigned arena_ind)
{
	/* Only for arenas being destroyed; the memory stays in the pool. */
}

static bool hook_commit(extent_hooks_t *h, void *addr, size_t size, size_t offset, size_t length,
			unsigned arena_ind)
{
	return false; /* pool memory is always committed */
}

/* Decommit and both purges: refused (no MADV_DONTNEED/MADV_FREE, no fault on reuse). */
static bool hook_refuse(extent_hooks_t *h, void *addr, size_t size, size_t offset, size_t length, unsigned arena_ind)
{
	return true;
}

static bool hook_split(extent_hooks_t *h, void *addr, size_t size, size_t size_a, size_t size_b, bool committed,
		       unsigned arena_ind)
{
	return false;
}

static bool hook_merge(extent_hooks_t *h, void *addr_a, size_t size_a, void *addr_b, size_t size_b,
		       bool committed, unsigned arena_ind)
{
	/* Adjacent pool memory may merge; nothing is ever unmapped. */
	return false;
}

static extent_hooks_t hooks = {
	.alloc = hook_alloc,
	.dalloc = hook_dalloc,
	.destroy = hook_destroy,
	.commit = hook_commit,
	/* The three ways jemalloc would give memory back: all refused. */
	.decommit = hook_refuse, .purge_lazy = hook_refuse, .purge_forced = hook_refuse,
	.split = hook_split,
	.merge = hook_merge,
};

static int ctl_name(char *buf, size_t cap, unsigned i, const char *leaf)
{
	struct sb sb;
	sb_init(&sb, buf, cap);
	sb_printf(&sb, "arena.%u.%s", i, leaf);
	sb_cstr(&sb);
	return sb.overflow ? -ENAMETOOLONG : 0;
}

int arena_install(size_t retain_grow_limit)
{
	size_t sz = sizeof(narenas);
	int r = mallctl("opt.narenas", &narenas, &sz, NULL, 0);
	if (r != 0) {
		log_msg(LOG_ERROR, "jemalloc: cannot read opt.narenas (%s)", strerror(r));
		return -r;
	}
	ssize_t decay = 0;
	sz = sizeof(decay);
	if (mallctl("opt.dirty_decay_ms", &decay, &sz, NULL, 0) == 0 && decay != -1) {
		log_msg(LOG_WARN, "jemalloc: dirty_decay_ms is %zd, not -1 (MALLOC_CONF overrides ptfreeze?)", decay);
	}
	size_t oversize = 0;
	sz = sizeof(oversize);
	if (mallctl("opt.oversize_threshold", &oversize, &sz, NULL, 0) == 0 && oversize != 0) {
		log_msg(LOG_WARN, "jemalloc: oversize_threshold is %zu: large allocations use an arena without pool hooks",
			oversize);
	}
	extent_hooks_t *hp = &hooks;
	for (unsigned i = 0; i < narenas; i++) {
		char name[64];
		ctl_name(name, sizeof(name), i, "extent_hooks");
		/* For an arena not yet created this creates it with our hooks. */
		r = mallctl(name, NULL, NULL, &hp, sizeof(hp));
		if (r != 0) {
			log_msg(LOG_ERROR, "jemalloc: cannot set %s (%s)", name, strerror(r));
			return -r;
		}
		if (retain_grow_limit) {
			ctl_name(name, sizeof(name), i, "retain_grow_limit");
			mallctl(name, NULL, NULL, &retain_grow_limit, sizeof(retain_grow_limit));
		}
	}
	installed = true;
	return 0;
}

void arena_init_early(void)
{
	const char *v;
	size_t len = sizeof(v);
	(void)mallctl("version", &v, &len, NULL, 0); /* malloc_init(), as jemalloc's constructor does */
}

bool arena_installed(void) { return installed; }
unsigned arena_count(void) { return narenas; }

/*
 * jemalloc's own malloc, calloc and free have its fast paths (a thread-cache
 * hit in a few dozen instructions); mallocx and dallocx take the general
 * path (callgrind: 231 instructions for a malloc/free pair against 84).
 * Linked in under their renamed names, they are direct calls.
 */
void *arena_alloc(size_t size) { return malloc(size); }
void *arena_alloc_zero(size_t size) { return calloc(1, size); }
void arena_free(void *p) { free(p); }
void *arena_alloc_aligned(size_t size, size_t align) { return mallocx(size, MALLOCX_ALIGN(align)); }
void *arena_realloc(void *p, size_t size) { return rallocx(p, size, 0); }
size_t arena_usable_size(const void *p) { return sallocx(p, 0); }
