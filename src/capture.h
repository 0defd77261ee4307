/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * capture: stacks and the violation-site table.  A site is a (kind, stack)
 * pair; its storage is carved from the pool before arming, so recording a
 * violation never allocates.  Stacks are raw instruction pointers from
 * libunwind (loaded RTLD_LOCAL: its _Unwind_* symbols must never replace
 * libgcc_s's for the program's C++ exceptions); symbolising happens later,
 * out of process, in the ptfreeze command.
 *
 * capture_stack() and capture_site() are safe in any thread and in signal
 * handlers, take no lock and do not allocate; a site already seen costs a
 * backtrace, a hash and an atomic add.
 */
#ifndef PTFREEZE_CAPTURE_H
#define PTFREEZE_CAPTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct site {
	_Atomic uint32_t state; /* 0 empty, 1 being filled, 2 ready */
	uint32_t id;            /* 1-based, in order of first sight */
	uint64_t hash;
	uint16_t kind;
	uint16_t depth;
	uint32_t tag;           /* guard's verdict, set before the site is published (suppression rule, 0 none) */
	uint32_t sub;           /* refines the kind (a page fault's address class), 0 otherwise */
	_Atomic uint64_t count;
	_Atomic uint64_t blocked;
	_Atomic uint64_t bytes;
	_Atomic uint64_t last_ns;
	uint64_t first_ns;
	uintptr_t ips[];
};

/*
 * Loads libunwind, primes it (its first use maps memory), finds the shim's
 * own text so stacks start at the caller, and carves the site table.
 * Not for hooks.  0 or -errno; without libunwind stacks are empty.
 */
int capture_init(int max_sites, int depth);
/* The two halves of capture_init: the site table (cheap: a pool carve) and the unwinder (dlopen). */
int capture_init_table(int max_sites, int depth);
int capture_load_unwinder(void);

/* Fills ips with the caller's stack, shim frames skipped; returns the depth. */
int capture_stack(uintptr_t *ips, int max);

/*
 * Fork and the loader's lock.  libunwind finds unwind tables through
 * dl_iterate_phdr, which holds glibc's dl_load_write_lock, and glibc's fork
 * resets only dl_load_lock in the child: a child forked while one of the
 * shim's threads (the fault sampler, a capture) was inside it waited for
 * ever at its first unwind or report header (tests/fault/fork-threads.sh,
 * forkstorm 40 4: 1 of 4 hung children examined; the others, jemalloc's
 * radix-tree lock, arena.c).  Every walk of the shim's goes
 * between capture_walk_enter and capture_walk_leave (nested walks, as in a
 * signal handler on a thread already inside, go straight in);
 * capture_atfork_prepare closes the gate and waits, up to 100 ms, until no
 * walk is under way; a walk that finds it closed waits up to 20 ms and then
 * goes ahead (so a thread holding a lock the forker wants is never stuck).
 * Async-signal-safe.
 */
void capture_walk_enter(void);
void capture_walk_leave(void);
void capture_atfork_prepare(void);
void capture_atfork_parent(void);
void capture_atfork_child(void);

/*
 * Around code that runs inside the allocator (an extent hook, with its
 * locks held): this thread's captures then use no thread-local storage of
 * libunwind's, whose first use in a thread allocates.  Nests.
 */
void capture_inside_allocator(bool on);

/*
 * While set (nonzero), this thread's captures are the one frame `ip`
 * instead of an unwind: for a trap where unwinding is unsafe (glibc's
 * exiting thread has torn down the unwinder's thread-local state).  Set
 * and cleared by the same handler.
 */
void capture_frame_only(uintptr_t ip);

/*
 * In a signal handler: the stack of the code the signal interrupted, from
 * its ucontext (pc is the ucontext's instruction pointer).  ips[0] is
 * pc + 1 so that, like every other frame (a return address), it is looked
 * up at address - 1 and lands on the interrupted instruction itself even
 * when that is a function's first.  When pc is in the shim or jemalloc
 * their frames are skipped as usual.  Uses no thread-local storage and
 * never allocates, so it is safe when the signal interrupted the allocator
 * holding a lock.  Without libunwind's cursor interface the stack is pc
 * alone.
 */
int capture_stack_at(uintptr_t *ips, int max, uintptr_t pc, void *ucontext);

/*
 * Where the code at ip keeps its return address, per its unwind
 * information: the byte offset from the stack pointer (0 <= offset < max),
 * -1 if it is found through the frame pointer (the function has set up
 * its frame: a frame-pointer walk finds it), -2 if unknown (no unwind
 * information, or farther than max).  For the page-fault sampler, whose
 * stacks are frame-pointer walks that miss a frameless function's caller.
 * Uses libunwind on a made-up frame: not for signal handlers or hooks.
 */
int capture_ra_offset(uintptr_t ip, int max);

/*
 * The site for (kind, ips[0..n)), created on first sight (*is_new set).
 * NULL when the table is full (counted in capture_dropped()).
 */
struct site *capture_site(unsigned kind, const uintptr_t *ips, int n, bool *is_new);
/* The same, giving a new site `tag` before any other thread can see it. */
struct site *capture_site_tagged(unsigned kind, uint32_t sub, const uintptr_t *ips, int n, uint32_t tag, bool *is_new);
/* The same with a refinement of the kind: (kind, sub, stack) is the key. */
struct site *capture_site_sub(unsigned kind, uint32_t sub, const uintptr_t *ips, int n, bool *is_new);
/* The site for (kind, sub, ips[0..n)) if it exists; never creates one. */
struct site *capture_find(unsigned kind, uint32_t sub, const uintptr_t *ips, int n);
/* The same, a miss counted as dropped (an event that had to find its site). */
struct site *capture_find_sub(unsigned kind, uint32_t sub, const uintptr_t *ips, int n);

/* Iteration for the summary: site i of capture_capacity(), or NULL. */
size_t capture_capacity(void);
const struct site *capture_site_at(size_t i);
uint64_t capture_dropped(void);
int capture_depth(void);
bool capture_has_unwinder(void);
/* Forgets every site (a fork child starts its own report). */
void capture_reset(void);

/* Marks [start, end) as code whose frames a stack starts after (jemalloc). */
void capture_skip_range(uintptr_t start, uintptr_t end);
/* True if ip is in the shim, or a range passed to capture_skip_range(). */
bool capture_is_internal(uintptr_t ip);

#endif
