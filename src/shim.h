/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shim: state shared by the shim's files: the start-up phase of the shim
 * itself, the per-thread reentrancy guard, and whether the process is
 * armed.  Defined in shim.c (a leaf: it calls nothing but sys); the hot
 * paths read it inline.  Only phase writes the arming state; everyone else
 * only asks, and asking never arms.
 */
#ifndef PTFREEZE_SHIM_H
#define PTFREEZE_SHIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum shim_state {
	SHIM_UNINIT,       /* before our constructor: pass everything through */
	SHIM_INITIALIZING, /* constructor running */
	SHIM_READY,        /* pool and hooks in place */
	SHIM_FAILED,       /* no pool: plain jemalloc, guard still works */
	SHIM_PASSIVE,      /* not a chosen program: plain jemalloc, nothing guarded or reported */
};

extern _Atomic int shim_state;

/*
 * Nonzero while this thread runs shim code that may call back into an
 * interposed function (libunwind, the report writer): such calls are the
 * shim's own and are never guarded.  Initial-exec TLS: no allocation, no
 * lock on first access.
 */
extern __thread int shim_busy __attribute__((tls_model("initial-exec")));

/*
 * Arming state, written by phase only: 0 start-up, 2 arming, 1 armed; the
 * monotonic time arming happened (0: never); the delay trigger's deadline
 * (0: none pending).
 */
extern _Atomic int shim_arm_state;
extern _Atomic uint64_t shim_arm_at;
extern _Atomic uint64_t shim_arm_deadline;

/* True when armed or arming.  A pure query: a due delay is phase's to act on. */
static inline bool shim_armed(void) { return atomic_load_explicit(&shim_arm_state, memory_order_acquire) != 0; }
/*
 * True once arming is complete: the arm record written, page-fault events
 * on.  What the program sees (ptfreeze_armed) and what the guard records
 * from: one instant, so a call or a fault made after ptfreeze_armed()
 * returned 1 is in the report, and one made before it is start-up's.
 */
static inline bool shim_arm_done(void) { return atomic_load_explicit(&shim_arm_state, memory_order_acquire) == 1; }
/* Monotonic time arming happened, 0 if never. */
static inline uint64_t shim_armed_at(void) { return atomic_load(&shim_arm_at); }
/* ns since arming (0 when not armed). */
uint64_t shim_since_arm_ns(void);
/* True when the delay trigger is pending and its deadline has passed. */
bool shim_arm_due(void);

/*
 * A fork child's arming thread is started lazily (docs/design.md, "Arming"):
 * nonzero while it is wanted and not started.  The malloc family and the
 * blocking calls say the child lives on (shim_lives); phase, through the
 * hook it installs, decides whether that starts the thread.  One relaxed
 * load on the hot path.
 */
extern _Atomic int shim_thread_wanted __attribute__((visibility("hidden"))); /* hidden: one direct load */
void shim_set_lives_hook(void (*fn)(bool blocking));
void shim_lives_slow(bool blocking);
static inline void shim_lives(bool blocking)
{
	if (__builtin_expect(atomic_load_explicit(&shim_thread_wanted, memory_order_relaxed), 0)) {
		shim_lives_slow(blocking);
	}
}

static inline bool shim_ready(void) { return atomic_load_explicit(&shim_state, memory_order_acquire) == SHIM_READY; }

#endif
