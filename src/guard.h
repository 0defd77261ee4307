/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * guard: what happens to a call that would change page tables.  The
 * interposer asks guard_verdict() before the call (pass, record, or block
 * according to PTFREEZE_MODE and the phase) and hands the outcome to
 * guard_record(), which captures the stack, deduplicates the site, writes
 * its record on first sight and logs one line.  guard never unwinds or
 * writes files itself: capture and report do.
 *
 * Callable from any thread, inside jemalloc hooks and in signal handlers:
 * no allocation, no locks, errno preserved.
 */
#ifndef PTFREEZE_GUARD_H
#define PTFREEZE_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kinds.h"
#include "report.h" /* struct event: what a record says */

enum verdict {
	VERDICT_PASS,   /* not armed, or mode off: just do it */
	VERDICT_RECORD, /* do it and record it (would-block mode: as "would-block") */
	VERDICT_BLOCK,  /* refuse it and record it */
};

/*
 * True when armed, arming complete (shim_arm_done): while another thread
 * is arming, calls are start-up's.  A delay trigger that fell due is first
 * handed to the hook phase installs (guard_set_due_hook), which may arm:
 * the fallback when the arming thread is not there, and the prompt arming
 * at a call.
 */
bool guard_armed(void);
void guard_set_due_hook(void (*fn)(void));
/* PTFREEZE_STRICT_ACTION=abort: called before abort() (init sets summary_write: the summary is written first). */
void guard_set_abort_hook(void (*fn)(const char *why));
/*
 * Before recording during start-up a call whose stack is wanted: runs the
 * deferred start-up work now (the unwinder among it) through the hook phase
 * installs (phase_prepare_now).
 */
void guard_prepare_now(void);
void guard_set_prepare_hook(void (*fn)(void));

/* The decision for a guarded call made now (guard_armed: may arm a due delay trigger). */
enum verdict guard_verdict(enum kind k);

/*
 * Records ev (after the call, or instead of it when blocked).  In strict
 * mode with PTFREEZE_STRICT_ACTION=abort a blocked call is written and the
 * process aborts here, so a core dump points at the caller.
 */
void guard_record(struct event *ev);
/*
 * The same with a stack already captured (a signal handler's:
 * capture_stack_at).  1 if ev made a new site, 0 if it was counted at a
 * known one, -1 if it has no site (the table is full, or no_new_site).
 */
int guard_record_stack(struct event *ev, const uintptr_t *ips, int n);

/*
 * The pool has no room for `need` bytes: grows it before arming (silently,
 * noted in the report) and in report mode after arming (as a violation);
 * refuses in strict mode.  True if the pool grew.
 */
bool guard_pool_exhausted(size_t need, const char *who);
/* The same from inside jemalloc's extent hook (arena_set_exhausted_hook): stacks captured there do not allocate. */
bool guard_pool_exhausted_in_allocator(size_t need, const char *who);

/* Violations recorded (events, not sites) since start, in all and by kind. */
uint64_t guard_events(void);
uint64_t guard_events_of(enum kind k);
/* Calls of kind k after arming, violations and suppressed calls together. */
uint64_t guard_calls_of(enum kind k);
/* Forgets the counts (a fork child reports its own events). */
void guard_reset(void);

#endif
