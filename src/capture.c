/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * capture: libunwind stacks and the preallocated, lock-free site table
 * (see capture.h).  Never allocates after capture_init(); never symbolises.
 */
#include "autoconf.h"
#include "config.h"
#include "capture.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <ucontext.h>

#include "log.h"
#include "pool.h"
#include "procfs.h"
#include "real.h"
#include "sys.h"

#define MAX_SKIP_RANGES 8
#define EXTRA_FRAMES 16

static int (*unw_bt)(void **buffer, int size);

/*
 * libunwind's cursor interface, for stacks from a signal's ucontext.  No
 * header (libunwind is loaded, not linked): the x86-64 ABI of libunwind
 * 1.x, where unw_cursor_t is 127 words, UNW_REG_IP is register 16 and
 * UNW_INIT_SIGNAL_FRAME is 1.  Unlike unw_backtrace(), these use no
 * thread-local storage, whose first use in a thread allocates (glibc's
 * __tls_get_addr calls malloc): in a signal handler that interrupted the
 * allocator holding its lock, that would deadlock.
 */
#if defined(__x86_64__)
#define UNW_NAME(x) "_ULx86_64_" x
#define UNW_CURSOR_WORDS 127
#define UNW_IP_REG 16
#define UNW_SIGNAL_FRAME_FLAG 1
static int (*unw_init_local2_fn)(void *cursor, void *ucontext, int flag);
static int (*unw_step_fn)(void *cursor);
static int (*unw_get_reg_fn)(void *cursor, int reg, uint64_t *value);
#endif
static struct procfs_range skip[MAX_SKIP_RANGES];
static _Atomic int nskip;

static unsigned char *table; /* capacity slots of `stride` bytes */
static size_t capacity, stride, limit;
static _Atomic size_t used;
static _Atomic size_t claims; /* slots ever claimed, counted before the claim: 0 means the table was never written */
static _Atomic uint64_t dropped;
static _Atomic uint32_t next_id;
static int depth_max;

void capture_skip_range(uintptr_t start, uintptr_t end)
{
	int i = atomic_load(&nskip);
	if (i < MAX_SKIP_RANGES) {
		skip[i].start = start;
		skip[i].end = end;
		atomic_store(&nskip, i + 1);
	}
}

bool capture_is_internal(uintptr_t ip)
{
	return procfs_in_ranges(skip, atomic_load(&nskip), ip);
}

int capture_init_table(int max_sites, int depth)
{
	depth_max = depth;
	limit = (size_t)max_sites;
	capacity = 1;
	while (capacity < 2 * limit) {
		capacity <<= 1;
	}
	stride = (sizeof(struct site) + (size_t)depth * sizeof(uintptr_t) + 63) & ~(size_t)63;
	table = pool_carve(capacity * stride, 64);
	if (table == NULL) {
		log_msg(LOG_ERROR, "capture: no room in the pool for %zu violation sites", limit);
		return -ENOMEM;
	}
	return 0;
}

/*
 * libunwind's default cache of unwind rules is global, behind a mutex: a
 * fork while another thread (the page-fault sampler) held it left the
 * child's first stack capture waiting for ever.  A cache per thread would
 * be thread-local storage, which glibc allocates with malloc on first use
 * (see capture_stack).  No cache: no lock, no thread-local storage; the
 * cost is paid once per new site (UNW_CACHE_NONE is 0 in libunwind 1.x).
 */
static void no_rules_cache(void *h)
{
#if defined(__x86_64__)
	int (*set_policy)(void *as, int policy);
	void **local_as = dlsym(h, UNW_NAME("local_addr_space"));
	*(void **)&set_policy = dlsym(h, UNW_NAME("set_caching_policy"));
	if (set_policy && local_as && set_policy(*local_as, 0) != 0) {
		log_msg(LOG_DEBUG, "libunwind: cannot turn the rules cache off: a fork child may wait for its lock");
	}
#else
	(void)h;
#endif
}

int capture_load_unwinder(void)
{
	if (real.dlopen == NULL) {
		real_resolve(); /* only before our constructor */
	}
	void *h = real.dlopen(LIBUNWIND_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h) {
		*(void **)&unw_bt = dlsym(h, "unw_backtrace");
		no_rules_cache(h);
#if defined(__x86_64__)
		*(void **)&unw_init_local2_fn = dlsym(h, UNW_NAME("init_local2"));
		*(void **)&unw_step_fn = dlsym(h, UNW_NAME("step"));
		*(void **)&unw_get_reg_fn = dlsym(h, UNW_NAME("get_reg"));
		if (!unw_init_local2_fn || !unw_step_fn || !unw_get_reg_fn) {
			unw_init_local2_fn = NULL;
		}
#endif
	}
	if (unw_bt == NULL) {
		log_msg(LOG_WARN, "cannot load %s: violations are recorded without stacks", LIBUNWIND_SONAME);
		return -ENOENT;
	}
	/* libunwind maps its caches on first use: do that now, not in a hook. */
	void *prime[8];
	unw_bt(prime, 8);
	return 0;
}

int capture_init(int max_sites, int depth)
{
	int r = capture_init_table(max_sites, depth);
	return r ? r : capture_load_unwinder();
}

bool capture_has_unwinder(void) { return unw_bt != NULL; }
int capture_depth(void) { return depth_max; }

static __thread uintptr_t only_frame __attribute__((tls_model("initial-exec")));

void capture_frame_only(uintptr_t ip) { only_frame = ip; }

static __thread int in_allocator __attribute__((tls_model("initial-exec")));

void capture_inside_allocator(bool on) { in_allocator += on ? 1 : -1; }

/* The gate between the shim's walks and fork (capture.h). */
static _Atomic int walk_gate, walkers;
static __thread int walk_depth __attribute__((tls_model("initial-exec")));

void capture_walk_enter(void)
{
	if (walk_depth > 0) {
		walk_depth++; /* already counted */
		return;
	}
	uint64_t give_up = 0;
	for (unsigned spins = 0;;) {
		atomic_fetch_add(&walkers, 1);
		if (!atomic_load(&walk_gate)) {
			break;
		}
		if (give_up == 0) {
			give_up = sys_now_ns() + 20 * 1000000ull;
		} else if (sys_now_ns() > give_up) {
			break; /* counted: the forker's own wait is bounded too */
		}
		atomic_fetch_sub(&walkers, 1);
		sys_backoff(&spins);
	}
	walk_depth = 1;
}

void capture_walk_leave(void)
{
	if (--walk_depth == 0) {
		atomic_fetch_sub(&walkers, 1);
	}
}

void capture_atfork_prepare(void)
{
	atomic_store(&walk_gate, 1);
	uint64_t give_up = sys_now_ns() + 100 * 1000000ull;
	int mine = walk_depth > 0;
	for (unsigned spins = 0; atomic_load(&walkers) > mine && sys_now_ns() < give_up;) {
		sys_backoff(&spins);
	}
}

void capture_atfork_parent(void) { atomic_store(&walk_gate, 0); }

void capture_atfork_child(void)
{
	atomic_store(&walkers, walk_depth > 0); /* the other threads did not come along */
	atomic_store(&walk_gate, 0);
}

/* Frames to ask the unwinder for: max and the shim's own above them, at most room. */
static int frames_wanted(int max, int room) { return max + EXTRA_FRAMES > room ? room : max + EXTRA_FRAMES; }

static int capture_stack_walk(uintptr_t *ips, int max);

int capture_stack(uintptr_t *ips, int max)
{
	capture_walk_enter();
	int n = capture_stack_walk(ips, max);
	capture_walk_leave();
	return n;
}

static int capture_stack_walk(uintptr_t *ips, int max)
{
	void *raw[128 + EXTRA_FRAMES];
	if (only_frame && max > 0) {
		ips[0] = only_frame;
		return 1;
	}
	if (in_allocator && unw_init_local2_fn) {
		/*
		 * unw_backtrace() keeps a cache in libunwind's thread-local storage,
		 * which glibc allocates with malloc on this thread's first use: from
		 * inside an allocator hook that malloc waits for the lock the hook's
		 * caller holds.  The cursor walk uses none.
		 */
		ucontext_t uc;
		if (getcontext(&uc) != 0) {
			return 0;
		}
		return capture_stack_at(ips, max, (uintptr_t)uc.uc_mcontext.gregs[REG_RIP], &uc);
	}
	if (unw_bt == NULL) {
		return 0;
	}
	int want = frames_wanted(max, (int)(sizeof(raw) / sizeof(raw[0])));
	int n = unw_bt(raw, want);
	int i = 0;
	while (i < n && capture_is_internal((uintptr_t)raw[i])) {
		i++;
	}
	int out = 0;
	for (; i < n && out < max; i++) {
		ips[out++] = (uintptr_t)raw[i];
	}
	return out;
}

int capture_stack_at(uintptr_t *ips, int max, uintptr_t pc, void *ucontext)
{
	uintptr_t raw[128 + EXTRA_FRAMES];
	if (max <= 0) {
		return 0;
	}
	int want = frames_wanted(max, (int)(sizeof(raw) / sizeof(raw[0])));
	int n = 0;
	raw[n++] = pc;
#if defined(__x86_64__)
	uint64_t cursor[UNW_CURSOR_WORDS + 1] __attribute__((aligned(16)));
	uint64_t ip;
	/* The first frame is the interrupted one (pc); from the next on, return addresses. */
	capture_walk_enter();
	if (unw_init_local2_fn && ucontext && unw_init_local2_fn(cursor, ucontext, UNW_SIGNAL_FRAME_FLAG) == 0) {
		while (n < want && unw_step_fn(cursor) > 0 && unw_get_reg_fn(cursor, UNW_IP_REG, &ip) == 0 && ip) {
			raw[n++] = (uintptr_t)ip;
		}
	}
	capture_walk_leave();
#endif
	int out = 0, i = 0;
	if (!capture_is_internal(pc)) {
		ips[out++] = pc + 1;
	}
	for (i = 1; out == 0 && i < n && capture_is_internal(raw[i]); i++) {
	}
	for (; i < n && out < max; i++) {
		ips[out++] = raw[i];
	}
	return out;
}

int capture_ra_offset(uintptr_t ip, int max)
{
#if defined(__x86_64__)
	/*
	 * One step of libunwind over a made-up frame: the registers say the
	 * code is at ip with its stack pointer at `stack` and its frame pointer
	 * at `frame`, both arrays of marks.  The return address the step reads
	 * is one of the marks, and which one says where it lives.
	 */
	enum { WORDS = 64 };
	const uint64_t sp_mark = 0x00007ff5a7000000ull, bp_mark = 0x00007ff5b7000000ull;
	uint64_t stack[WORDS + 16], frame[16];
	for (int i = 0; i < WORDS + 16; i++) {
		stack[i] = sp_mark + (uint64_t)i * 8;
	}
	for (int i = 0; i < 16; i++) {
		frame[i] = bp_mark + (uint64_t)i * 8;
	}
	if (unw_init_local2_fn == NULL || max > WORDS * 8) {
		return -2;
	}
	ucontext_t uc;
	memset(&uc, 0, sizeof(uc));
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t)ip;
	uc.uc_mcontext.gregs[REG_RSP] = (greg_t)(uintptr_t)stack;
	uc.uc_mcontext.gregs[REG_RBP] = (greg_t)(uintptr_t)frame;
	uint64_t cursor[UNW_CURSOR_WORDS + 1] __attribute__((aligned(16)));
	uint64_t ra;
	capture_walk_enter();
	bool stepped = unw_init_local2_fn(cursor, &uc, UNW_SIGNAL_FRAME_FLAG) == 0 && unw_step_fn(cursor) > 0 &&
		       unw_get_reg_fn(cursor, UNW_IP_REG, &ra) == 0;
	capture_walk_leave();
	if (!stepped) {
		return -2;
	}
	if (ra >= sp_mark && ra < sp_mark + (uint64_t)max && (ra - sp_mark) % 8 == 0) {
		return (int)(ra - sp_mark);
	}
	return ra >= bp_mark && ra < bp_mark + 16 * 8 ? -1 : -2;
#else
	(void)ip;
	(void)max;
	return -2;
#endif
}

static uint64_t hash_of(unsigned kind, uint32_t sub, const uintptr_t *ips, int n)
{
	uint64_t h = 1469598103934665603ull ^ kind ^ ((uint64_t)sub << 16);
	for (int i = 0; i < n; i++) {
		h ^= ips[i];
		h *= 1099511628211ull;
		h ^= h >> 29;
	}
	return h | 1;
}

static struct site *slot(size_t i) { return (struct site *)(table + i * stride); }

enum lookup_mode { LOOKUP_FIND, LOOKUP_FIND_COUNTED, LOOKUP_CREATE };

static struct site *lookup(unsigned kind, uint32_t sub, uint32_t tag, const uintptr_t *ips, int n, bool *is_new,
			   enum lookup_mode mode);

struct site *capture_site(unsigned kind, const uintptr_t *ips, int n, bool *is_new)
{
	return lookup(kind, 0, 0, ips, n, is_new, LOOKUP_CREATE);
}

struct site *capture_site_tagged(unsigned kind, uint32_t sub, const uintptr_t *ips, int n, uint32_t tag, bool *is_new)
{
	return lookup(kind, sub, tag, ips, n, is_new, LOOKUP_CREATE);
}

struct site *capture_site_sub(unsigned kind, uint32_t sub, const uintptr_t *ips, int n, bool *is_new)
{
	return lookup(kind, sub, 0, ips, n, is_new, LOOKUP_CREATE);
}

struct site *capture_find(unsigned kind, uint32_t sub, const uintptr_t *ips, int n)
{
	bool is_new;
	return lookup(kind, sub, 0, ips, n, &is_new, LOOKUP_FIND);
}

struct site *capture_find_sub(unsigned kind, uint32_t sub, const uintptr_t *ips, int n)
{
	bool is_new;
	return lookup(kind, sub, 0, ips, n, &is_new, LOOKUP_FIND_COUNTED);
}

static struct site *lookup(unsigned kind, uint32_t sub, uint32_t tag, const uintptr_t *ips, int n, bool *is_new,
			   enum lookup_mode mode)
{
	*is_new = false;
	if (table == NULL) {
		return NULL;
	}
	if (n > depth_max) {
		n = depth_max;
	}
	uint64_t h = hash_of(kind, sub, ips, n);
	for (size_t probe = 0; probe < capacity; probe++) {
		struct site *s = slot((h + probe) & (capacity - 1));
		uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
		if (st == 0) {
			if (mode != LOOKUP_CREATE || atomic_load(&used) >= limit) {
				if (mode != LOOKUP_FIND) {
					atomic_fetch_add(&dropped, 1);
				}
				return NULL;
			}
			uint32_t zero = 0;
			atomic_fetch_add(&claims, 1);
			if (atomic_compare_exchange_strong(&s->state, &zero, 1)) {
				atomic_fetch_add(&used, 1);
				s->hash = h;
				s->kind = (uint16_t)kind;
				s->sub = sub;
				s->depth = (uint16_t)n;
				s->tag = tag;
				memcpy(s->ips, ips, (size_t)n * sizeof(uintptr_t));
				s->id = atomic_fetch_add(&next_id, 1) + 1;
				atomic_store_explicit(&s->state, 2, memory_order_release);
				*is_new = true;
				return s;
			}
			st = atomic_load_explicit(&s->state, memory_order_acquire);
		}
		unsigned spins = 0;
		while (st == 1) {
			sys_backoff(&spins);
			st = atomic_load_explicit(&s->state, memory_order_acquire);
		}
		if (s->hash == h && s->kind == kind && s->sub == sub && s->depth == n &&
		    memcmp(s->ips, ips, (size_t)n * sizeof(uintptr_t)) == 0) {
			return s;
		}
	}
	if (mode != LOOKUP_FIND) {
		atomic_fetch_add(&dropped, 1);
	}
	return NULL;
}

size_t capture_capacity(void) { return capacity; }

const struct site *capture_site_at(size_t i)
{
	if (table == NULL || i >= capacity) {
		return NULL;
	}
	struct site *s = slot(i);
	return atomic_load_explicit(&s->state, memory_order_acquire) == 2 ? s : NULL;
}

uint64_t capture_dropped(void) { return atomic_load(&dropped); }

void capture_reset(void)
{
	/*
	 * A table nobody wrote is all zero, and most of it was never touched:
	 * clearing it would fault in fresh pool pages (a 2M huge page in a
	 * shell's every fork child).
	 */
	if (table && atomic_exchange(&claims, 0) != 0) {
		memset(table, 0, capacity * stride);
	}
	atomic_store(&used, 0);
	atomic_store(&dropped, 0);
	atomic_store(&next_id, 0);
}
