/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shim: state shared by the shim's files: the start-up phase of the shim
 * itself and the per-thread reentrancy guard.  Header-only so that hot
 * paths read them inline.
 */
#ifndef PTFREEZE_SHIM_H
#define PTFREEZE_SHIM_H

#include <stdatomic.h>
#include <stdbool.h>

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

static inline bool shim_ready(void) { return atomic_load_explicit(&shim_state, memory_order_acquire) == SHIM_READY; }

#endif
