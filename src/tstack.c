/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tstack: the cache of thread stacks (see tstack.h).  Owns the
 * `ptfreeze-stacks` mappings, the slot table, its lock-free free list and
 * the discovery of glibc's thread id word.  Never calls libc's mmap family
 * (raw syscalls only), never allocates after tstack_init(), never takes a
 * lock fork can leave held.
 *
 * Hazards: glibc keeps a thread's struct pthread, static TLS and DTV
 * pointer inside a stack the caller supplies, and touches that struct
 * until pthread_join returns (it sets the tid word to -1 and frees the
 * TLS there), so a joinable thread's slot is free only after the real join
 * succeeds.  A detached thread frees its own TLS before it exits; the
 * kernel then clears the tid word (CLONE_CHILD_CLEARTID), after which
 * nobody touches the slot.
 */
#include "autoconf.h"
#include "config.h"
#include "tstack.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>

#include "log.h"
#include "pool.h"
#include "real.h"
#include "shim.h"
#include "sys.h"

#define PAGE ((size_t)4096)
#define MAX_CHUNKS 256
/* How long discovery waits for the probe thread's exit (it takes microseconds). */
#define PROBE_WAIT_NS 500000000ull
/*
 * After arming, an empty cache waits this long for an exiting detached
 * thread's stack before mapping a new one (a violation): a thread that
 * has returned is microseconds from giving its stack back.
 */
#define DETACHED_WAIT_NS 2000000ull

enum slot_state {
	SLOT_FREE,
	SLOT_RESERVED, /* taken by pthread_create, thread not yet known */
	SLOT_JOINABLE, /* its thread runs or waits to be joined */
	SLOT_DETACHED, /* free once the kernel clears the thread's tid word */
	SLOT_DONE,     /* joined before its creator recorded it: the creator frees it */
};

struct slot {
	uintptr_t top;              /* stack top (the stack grows down from here) */
	_Atomic uintptr_t thread;   /* its thread's pthread_t, 0 while none is recorded */
	_Atomic uint32_t next;      /* free list: index + 1 of the next free slot, 0 at the end */
	_Atomic int state;
};

struct chunk {
	uintptr_t base, end;
	uint32_t first, n;
};

static struct slot slots[TSTACK_MAX_SLOTS];
static struct chunk chunks[MAX_CHUNKS];
static _Atomic int nchunks;
static _Atomic int nslots;
/* Free list head: (ABA tag << 32) | (index + 1); 0 in the low half: empty. */
static _Atomic uint64_t free_head;
static atomic_flag grow_lock = ATOMIC_FLAG_INIT;

static bool enabled;
static size_t stack_size; /* bytes of stack per slot: glibc's default */
static size_t guard_size; /* PROT_NONE bytes below each stack */
static size_t span;       /* guard_size + stack_size */
static size_t depth;      /* bytes prefaulted from each stack's top */
static long tid_off = -1; /* offset of the kernel's tid word in struct pthread */
static int init_slots;
static uint64_t prefault_ns;

static _Atomic uint64_t n_threads, n_grown_armed, n_refused, n_to_glibc;

bool tstack_enabled(void) { return enabled; }
int tstack_slots(void) { return atomic_load(&nslots); }
long tstack_tid_offset(void) { return tid_off; }

/* ---- the free list (Treiber stack with an ABA tag) --------------------- */

static void push(uint32_t i)
{
	uint64_t h = atomic_load_explicit(&free_head, memory_order_acquire), nh;
	do {
		atomic_store_explicit(&slots[i].next, (uint32_t)h, memory_order_relaxed);
		nh = (((h >> 32) + 1) << 32) | (i + 1);
	} while (!atomic_compare_exchange_weak_explicit(&free_head, &h, nh, memory_order_release, memory_order_acquire));
}

static int pop(void)
{
	uint64_t h = atomic_load_explicit(&free_head, memory_order_acquire), nh;
	uint32_t top;
	do {
		top = (uint32_t)h;
		if (top == 0) {
			return -1;
		}
		uint32_t next = atomic_load_explicit(&slots[top - 1].next, memory_order_relaxed);
		nh = (((h >> 32) + 1) << 32) | next;
	} while (!atomic_compare_exchange_weak_explicit(&free_head, &h, nh, memory_order_acquire, memory_order_acquire));
	return (int)top - 1;
}

static void release(uint32_t i)
{
	atomic_store_explicit(&slots[i].thread, 0, memory_order_relaxed);
	atomic_store_explicit(&slots[i].state, SLOT_FREE, memory_order_release);
	push(i);
}

/* ---- mapping ------------------------------------------------------------ */

static size_t round_page(size_t n) { return (n + PAGE - 1) & ~(PAGE - 1); }

/* Prefaults the top `depth` bytes of slots [first, first+n). */
static void prefault(uint32_t first, uint32_t n)
{
	uint64_t t0 = sys_now_ns();
	for (uint32_t i = first; i < first + n; i++) {
		char *lo = (char *)(slots[i].top - depth);
		if (sys_madvise(lo, depth, MADV_POPULATE_WRITE) != 0) {
			for (size_t off = 0; off < depth; off += PAGE) {
				*(volatile char *)(lo + off) = 0;
			}
		}
		if (config.mlock) {
			sys_mlock(lo, depth);
		}
	}
	prefault_ns += sys_now_ns() - t0;
}

/*
 * Maps n slots as one chunk: named, never huge (a THP split by the guard
 * and 2M faulted per stack top would waste both), a guard below each
 * stack, prefaulted when the depth is known; then frees them into the
 * cache.  Caller holds grow_lock (or is the constructor).  0 or -errno.
 */
static int map_chunk(uint32_t n)
{
	int nc = atomic_load(&nchunks), ns = atomic_load(&nslots);
	if (nc >= MAX_CHUNKS || n == 0 || (size_t)ns + n > TSTACK_MAX_SLOTS) {
		return -ENOSPC;
	}
	size_t len = (size_t)n * span;
	long r = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (r < 0 && r > -4096) {
		return (int)r;
	}
	uintptr_t base = (uintptr_t)r;
	/* Named and flagged before the guards split it: the pieces inherit both. */
	sys_prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, base, len, (unsigned long)"ptfreeze-stacks");
	sys_madvise((void *)base, len, MADV_NOHUGEPAGE);
	for (uint32_t k = 0; k < n; k++) {
		struct slot *s = &slots[ns + k];
		s->top = base + (size_t)k * span + span;
		atomic_store(&s->thread, 0);
		atomic_store(&s->state, SLOT_FREE);
		long g = sys_mprotect((void *)(base + (size_t)k * span), guard_size, PROT_NONE);
		if (g != 0) {
			log_msg(LOG_WARN, "thread stack guard at %p not set (%ld)", (void *)(base + (size_t)k * span), g);
		}
	}
	if (depth) {
		prefault((uint32_t)ns, n);
	}
	chunks[nc] = (struct chunk){.base = base, .end = base + len, .first = (uint32_t)ns, .n = n};
	atomic_store_explicit(&nchunks, nc + 1, memory_order_release);
	atomic_store_explicit(&nslots, ns + (int)n, memory_order_release);
	for (uint32_t k = n; k-- > 0;) {
		push((uint32_t)ns + k);
	}
	return 0;
}

static int grow(uint32_t n)
{
	while (atomic_flag_test_and_set_explicit(&grow_lock, memory_order_acquire)) {
		__builtin_ia32_pause();
	}
	uint32_t room = TSTACK_MAX_SLOTS - (uint32_t)atomic_load(&nslots);
	int r = map_chunk(n < room ? n : room);
	atomic_flag_clear_explicit(&grow_lock, memory_order_release);
	return r;
}

int tstack_slot_of(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	int nc = atomic_load_explicit(&nchunks, memory_order_acquire);
	for (int c = 0; c < nc; c++) {
		if (a >= chunks[c].base && a < chunks[c].end) {
			return (int)(chunks[c].first + (a - chunks[c].base) / span);
		}
	}
	return -1;
}

/* ---- reclaiming detached threads' stacks -------------------------------- */

static _Atomic int32_t *tid_word(uintptr_t thread) { return (_Atomic int32_t *)(thread + (uintptr_t)tid_off); }

/*
 * Frees every detached slot whose thread the kernel is done with.  Returns
 * the number still pending; *waitable gets one of their tid words.
 */
static int sweep(_Atomic int32_t **waitable)
{
	int pending = 0, n = atomic_load_explicit(&nslots, memory_order_acquire);
	if (tid_off < 0) {
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (atomic_load_explicit(&slots[i].state, memory_order_acquire) != SLOT_DETACHED) {
			continue;
		}
		uintptr_t th = atomic_load_explicit(&slots[i].thread, memory_order_acquire);
		if (th == 0) {
			pending++; /* its creator has not recorded the thread yet */
			continue;
		}
		if (atomic_load_explicit(tid_word(th), memory_order_acquire) != 0) {
			pending++;
			if (waitable) {
				*waitable = tid_word(th);
			}
			continue;
		}
		int expect = SLOT_DETACHED;
		if (atomic_compare_exchange_strong(&slots[i].state, &expect, SLOT_RESERVED)) {
			release((uint32_t)i);
		}
	}
	return pending;
}

/* Waits (bounded) for an exiting detached thread to give its stack back. */
static int wait_detached(void)
{
	uint64_t deadline = sys_now_ns() + DETACHED_WAIT_NS;
	for (;;) {
		_Atomic int32_t *w = NULL;
		int pending = sweep(&w);
		int i = pop();
		if (i >= 0 || pending == 0 || sys_now_ns() > deadline) {
			return i;
		}
		int32_t v = w ? atomic_load(w) : 0;
		if (v != 0) {
			/* The kernel wakes this word (a shared futex) when it clears it. */
			struct timespec ts = {0, 100000};
			sys_raw(SYS_futex, (long)w, FUTEX_WAIT, v, (long)&ts, 0, 0);
		} else {
			sys_raw(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
		}
	}
}

/* ---- taking a slot --------------------------------------------------------- */

#define TAKE_REFUSED (-2)
#define TAKE_EMPTY (-3)

/*
 * A free slot, reserved; -1 when the cache cannot serve (glibc maps the
 * stack: *why says why), TAKE_EMPTY (empty, and the caller has not said
 * what to do) or TAKE_REFUSED (empty, and the caller refuses a mapping).
 */
static int take(enum tstack_empty when_empty, const char **why, bool *grew)
{
	int i = pop();
	if (i < 0) {
		sweep(NULL);
		i = pop();
	}
	if (i < 0) {
		if (when_empty == TSTACK_EMPTY_ASK) {
			return TAKE_EMPTY;
		}
		if (when_empty != TSTACK_EMPTY_GROW) {
			i = wait_detached();
		}
		if (i < 0) {
			if (when_empty == TSTACK_EMPTY_REFUSE) {
				atomic_fetch_add(&n_refused, 1);
				return TAKE_REFUSED;
			}
			/* Start-up grows geometrically; after arming one slot at a time, each a violation. */
			int have = atomic_load(&nslots);
			uint32_t n = when_empty == TSTACK_EMPTY_GROW ? (uint32_t)(have / 2 > 4 ? have / 2 : 4) : 1;
			int r = grow(n);
			if (r != 0) {
				*why = "thread stack cache empty and cannot grow: glibc maps the stack and its guard page";
				return -1;
			}
			if (when_empty == TSTACK_EMPTY_GROW_ONE) {
				atomic_fetch_add(&n_grown_armed, 1);
				*grew = true;
			}
			i = pop();
			if (i < 0) {
				*why = "thread stack cache empty: glibc maps the stack and its guard page";
				return -1;
			}
		}
	}
	atomic_store_explicit(&slots[i].thread, 0, memory_order_relaxed);
	atomic_store_explicit(&slots[i].state, SLOT_RESERVED, memory_order_release);
	return i;
}

/* ---- pthread_create, join, detach ---------------------------------------- */

bool tstack_attr_has_stack(const pthread_attr_t *attr)
{
	void *lo = NULL;
	size_t size = 0;
	/* Without a stack of its own glibc reports address 0 - size: the top is 0. */
	return pthread_attr_getstack(attr, &lo, &size) == 0 && (uintptr_t)lo + size != 0;
}

size_t tstack_slot_bytes(void) { return span; }

enum tstack_outcome tstack_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg,
				  enum tstack_empty when_empty, int *result, const char **why, bool *grew)
{
	pthread_attr_t a;
	bool defaults = attr == NULL;
	if (!enabled) {
		return TSTACK_GLIBC;
	}
	if (defaults) {
		/* A deep copy of the defaults (pthread_setattr_default_np's affinity too). */
		if (pthread_getattr_default_np(&a) != 0) {
			return TSTACK_GLIBC;
		}
	} else {
		/* A shallow copy: shares the caller's extension (affinity, sigmask); never destroyed. */
		memcpy(&a, attr, sizeof(a));
	}
	size_t want = 0, guard = 0;
	pthread_attr_getstacksize(&a, &want);
	pthread_attr_getguardsize(&a, &guard);
	enum tstack_outcome out = TSTACK_GLIBC;
	if (want > stack_size || guard > guard_size) {
		*why = want > stack_size ? "stack size larger than the thread stack cache's slots: glibc maps it"
					 : "guard larger than the thread stack cache's: glibc maps the stack";
		atomic_fetch_add(&n_to_glibc, 1);
		goto out;
	}
	int i = take(when_empty, why, grew);
	if (i == TAKE_EMPTY || i == TAKE_REFUSED) {
		out = i == TAKE_EMPTY ? TSTACK_EMPTY : TSTACK_REFUSED;
		goto out;
	}
	if (i < 0) {
		atomic_fetch_add(&n_to_glibc, 1);
		goto out;
	}
	struct slot *s = &slots[i];
	uintptr_t lo = (s->top - (want ? want : stack_size)) & ~(PAGE - 1);
	int detach = PTHREAD_CREATE_JOINABLE;
	pthread_attr_getdetachstate(&a, &detach);
	int r = pthread_attr_setstack(&a, (void *)lo, s->top - lo);
	if (r == 0) {
		r = real.pthread_create(t, &a, fn, arg);
	}
	if (r != 0) {
		release((uint32_t)i);
		if (r == EINVAL) {
			/* Too small for glibc with our placement: let glibc decide on its own. */
			atomic_fetch_add(&n_to_glibc, 1);
			goto out;
		}
		*result = r;
		out = TSTACK_DONE;
		goto out;
	}
	atomic_store_explicit(&s->thread, (uintptr_t)*t, memory_order_release);
	int expect = SLOT_RESERVED;
	if (!atomic_compare_exchange_strong(&s->state, &expect,
					    detach == PTHREAD_CREATE_DETACHED ? SLOT_DETACHED : SLOT_JOINABLE) &&
	    expect == SLOT_DONE) {
		release((uint32_t)i); /* joined before we got here */
	}
	atomic_fetch_add_explicit(&n_threads, 1, memory_order_relaxed);
	*result = 0;
	out = TSTACK_DONE;
out:
	if (defaults) {
		pthread_attr_destroy(&a);
	}
	return out;
}

/*
 * The shim's own threads' stacks: a mapping each, 4K pages, never
 * unmapped (glibc neither unmaps nor advises a stack it was given), made
 * resident by tstack_populate_shim_stacks() at arming or at once when made
 * after it.  Not the pool before arming: the first touch of a pool page
 * faults in a 2M huge page, and a process that exits before arming (a
 * wrapper's helper) paid ~0.2 ms zeroing one for its arming thread's stack
 * top.  A thread started armed (a fork child's sampler) is carved from the
 * pool as before: resident, and no system call after arming.
 */
#define SHIM_STACKS 8
static _Atomic(void *) shim_stack[SHIM_STACKS];
static size_t shim_stack_len[SHIM_STACKS];
static _Atomic int n_shim_stacks, shim_stacks_resident;

static void *map_shim_stack(size_t size)
{
	long p = sys_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096) {
		return NULL;
	}
	sys_madvise((void *)p, size, MADV_NOHUGEPAGE);
	sys_prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, size, (unsigned long)"ptfreeze-stacks");
	int i = atomic_fetch_add(&n_shim_stacks, 1);
	if (i < SHIM_STACKS) {
		shim_stack_len[i] = size;
		atomic_store(&shim_stack[i], (void *)p);
	}
	if (i >= SHIM_STACKS || atomic_load(&shim_stacks_resident)) {
		sys_madvise((void *)p, size, MADV_POPULATE_WRITE);
	}
	return (void *)p;
}

void tstack_populate_shim_stacks(void)
{
	atomic_store(&shim_stacks_resident, 1);
	int n = atomic_load(&n_shim_stacks);
	for (int i = 0; i < n && i < SHIM_STACKS; i++) {
		void *p = atomic_load(&shim_stack[i]);
		if (p) {
			sys_madvise(p, shim_stack_len[i], MADV_POPULATE_WRITE);
		}
	}
}

int tstack_spawn_shim(size_t size, void *(*fn)(void *), void *arg)
{
	if (real.pthread_create == NULL) {
		return -ENOSYS;
	}
	/* Armed (a fork child's sampler): the pool, resident, no system call.  No pool: no thread of ours. */
	void *stack = shim_armed() ? pool_carve(size, 4096) : pool_size() ? map_shim_stack(size) : NULL;
	if (stack == NULL) {
		return -ENOMEM;
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, stack, size);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigset_t all, old;
	sigfillset(&all);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	int r = real.pthread_create(&t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return r;
}

/*
 * Moves t's slot on after a join (joinable -> reserved, then released;
 * reserved -> done) or a detach (joinable or reserved -> detached); a
 * thread not on a pool stack, or a slot in any other state, is left alone.
 */
static void slot_after(pthread_t t, bool detach)
{
	int i = enabled ? tstack_slot_of((const void *)t) : -1;
	if (i < 0) {
		return;
	}
	for (;;) {
		int st = atomic_load(&slots[i].state), next = -1;
		if (st == SLOT_JOINABLE) {
			next = detach ? SLOT_DETACHED : SLOT_RESERVED;
		} else if (st == SLOT_RESERVED) {
			next = detach ? SLOT_DETACHED : SLOT_DONE;
		}
		if (next < 0) {
			return;
		}
		if (atomic_compare_exchange_strong(&slots[i].state, &st, next)) {
			if (next == SLOT_RESERVED) {
				release((uint32_t)i);
			}
			return;
		}
	}
}

void tstack_joined(pthread_t t)
{
	slot_after(t, false);
}

void tstack_detached(pthread_t t)
{
	slot_after(t, true);
}

/* ---- fork ------------------------------------------------------------------ */

void tstack_atfork_prepare(void)
{
	while (atomic_flag_test_and_set_explicit(&grow_lock, memory_order_acquire)) {
		__builtin_ia32_pause();
	}
}

void tstack_atfork_parent(void) { atomic_flag_clear_explicit(&grow_lock, memory_order_release); }

void tstack_atfork_child(void)
{
	atomic_flag_clear_explicit(&grow_lock, memory_order_release);
	/* The parent's threads' stacks are not the child's to make resident. */
	for (int i = 0; i < SHIM_STACKS; i++) {
		atomic_store(&shim_stack[i], NULL);
	}
	atomic_store(&n_shim_stacks, 0);
	if (!enabled) {
		return;
	}
	/* The child reports its own counts, as guard does. */
	atomic_store(&n_threads, 0);
	atomic_store(&n_grown_armed, 0);
	atomic_store(&n_refused, 0);
	atomic_store(&n_to_glibc, 0);
	/* Only the forking thread lives on in the child: every other slot is free. */
	int mine = tstack_slot_of((const void *)pthread_self());
	int n = atomic_load(&nslots);
	atomic_store(&free_head, 0);
	for (int i = n; i-- > 0;) {
		if (i != mine) {
			release((uint32_t)i);
		}
	}
}

/* ---- start-up ---------------------------------------------------------------- */

/* What the probe thread saw: candidate tid word offsets, and how deep its entry frame sits. */
static struct {
	uintptr_t top;
	long cand[8];
	int n;
	uintptr_t sp;
	_Atomic int done;
} probe;

static void *probe_fn(void *arg)
{
	uintptr_t self = (uintptr_t)pthread_self();
	int32_t tid = (int32_t)sys_gettid();
	for (uintptr_t o = 0; self + o + sizeof(int32_t) <= probe.top && probe.n < 8; o += sizeof(int32_t)) {
		if (*(volatile int32_t *)(self + o) == tid) {
			probe.cand[probe.n++] = (long)o;
		}
	}
	probe.sp = (uintptr_t)__builtin_frame_address(0);
	atomic_store_explicit(&probe.done, 1, memory_order_release);
	return arg;
}

/*
 * Runs one thread on a slot.  Its struct pthread (its pthread_self())
 * holds its kernel thread id in the word the kernel clears at exit; the
 * thread notes every word equal to gettid(), and the one that becomes 0
 * after it returns (before it is joined: the join writes -1 there) is the
 * tid word.  Also measures how much of the stack glibc uses before the
 * start routine runs (TCB and static TLS).  Returns that depth, or 0.
 */
static size_t discover(void)
{
	int i = pop();
	if (i < 0) {
		return 0;
	}
	struct slot *s = &slots[i];
	probe.top = s->top;
	pthread_attr_t a;
	pthread_t t;
	if (pthread_attr_init(&a) != 0) {
		release((uint32_t)i);
		return 0;
	}
	pthread_attr_setstack(&a, (void *)(s->top - stack_size), stack_size);
	int r = real.pthread_create(&t, &a, probe_fn, NULL);
	pthread_attr_destroy(&a);
	if (r != 0) {
		release((uint32_t)i);
		log_msg(LOG_WARN, "thread stacks: probe thread not created (%d)", r);
		return 0;
	}
	uint64_t deadline = sys_now_ns() + PROBE_WAIT_NS;
	while (tid_off < 0 && sys_now_ns() < deadline) {
		if (atomic_load_explicit(&probe.done, memory_order_acquire)) {
			if (probe.n == 0) {
				break;
			}
			for (int k = 0; k < probe.n; k++) {
				if (atomic_load((_Atomic int32_t *)((uintptr_t)t + (uintptr_t)probe.cand[k])) == 0) {
					tid_off = probe.cand[k];
					break;
				}
			}
		}
		struct timespec ts = {0, 20000};
		sys_raw(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0); /* not our interposer (process.c) */
	}
	real.pthread_join(t, NULL);
	release((uint32_t)i);
	if (tid_off < 0) {
		log_msg(LOG_WARN, "thread stacks: glibc's thread id word not found (%d candidates): "
				  "stacks of detached threads are not reused", probe.n);
	}
	return probe.sp && probe.sp < s->top ? s->top - probe.sp : 0;
}

int tstack_init(void)
{
	if (config.thread_stacks == 0) {
		return 0;
	}
	if (real.pthread_create == NULL || real.pthread_join == NULL) {
		return -ENOSYS;
	}
	pthread_attr_t d;
	size_t s = 0, g = 0;
	if (pthread_getattr_default_np(&d) != 0) {
		return -ENOSYS;
	}
	pthread_attr_getstacksize(&d, &s);
	pthread_attr_getguardsize(&d, &g);
	pthread_attr_destroy(&d);
	stack_size = round_page(s ? s : (size_t)8 << 20);
	guard_size = round_page(g > PAGE ? g : PAGE);
	span = guard_size + stack_size;

	uint32_t n = (uint32_t)config.thread_stacks;
	int r;
	while ((r = map_chunk(n)) == -ENOMEM && n > 1) {
		n /= 2;
	}
	if (r != 0) {
		log_msg(LOG_ERROR, "PTFREEZE_THREAD_STACKS: cannot map %d stacks of %zu bytes (error %d): threads get glibc's stacks",
			config.thread_stacks, stack_size, -r);
		return r;
	}
	if (n < (uint32_t)config.thread_stacks) {
		log_msg(LOG_WARN, "PTFREEZE_THREAD_STACKS: only %u of %d stacks of %zu bytes could be mapped", n,
			config.thread_stacks, stack_size);
	}
	init_slots = (int)n;
	size_t entry = round_page(discover());
	size_t want = entry + round_page(config.thread_stack_prefault);
	depth = want < stack_size ? want : stack_size;
	prefault(0, n);
	enabled = true;
	log_msg(LOG_INFO, "thread stacks: %u slots of %zu bytes (guard %zu), top %zu bytes prefaulted in %lu us; tid word at %ld",
		n, stack_size, guard_size, depth, (unsigned long)(prefault_ns / 1000u), tid_off);
	return 0;
}

void tstack_json(struct sb *sb, bool at_exit)
{
	sb_printf(sb, "{\"enabled\":%s,\"slots\":%d,\"slot_size\":%zu,\"guard\":%zu,\"prefault\":%zu,\"backing\":\"4k\",\"tid_offset\":%ld",
		  enabled ? "true" : "false", at_exit ? atomic_load(&nslots) : init_slots, stack_size, guard_size, depth,
		  tid_off);
	if (at_exit) {
		int in_use = 0, n = atomic_load(&nslots);
		for (int i = 0; i < n; i++) {
			in_use += atomic_load(&slots[i].state) != SLOT_FREE;
		}
		sb_printf(sb, ",\"threads\":%lu,\"in_use\":%d,\"grown_armed\":%lu,\"refused\":%lu,\"to_glibc\":%lu",
			  (unsigned long)atomic_load(&n_threads), in_use, (unsigned long)atomic_load(&n_grown_armed),
			  (unsigned long)atomic_load(&n_refused), (unsigned long)atomic_load(&n_to_glibc));
	} else {
		sb_printf(sb, ",\"prefault_ns\":%lu", (unsigned long)prefault_ns);
	}
	sb_putc(sb, '}');
}
