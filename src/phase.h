/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * phase: start-up → armed.  Triggers: ptfreeze_arm() (manual), a delay
 * after start-up, a signal; any one arms.  The delay is kept by a thread of
 * the shim that sleeps until the deadline, arms and exits; it is also
 * checked at every guarded call or pool growth.  A fork child born before
 * the deadline starts a thread of its own.  The state itself lives in shim.h
 * (shim_armed: a pure query); a delay noticed at a guarded call arms through
 * the hook phase_init installs in guard (guard_set_due_hook).  Arming records the
 * time and the process's fault counts so the summary can say what the armed
 * phase cost.  Async-signal-safe.
 */
#ifndef PTFREEZE_PHASE_H
#define PTFREEZE_PHASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bracket a thread's creation (pthread_create): arming waits for births in
 * flight before it installs the seccomp backstop, and a birth waits while
 * it does.  Two atomics when nothing is arming.
 */
void phase_birth_begin(void);
void phase_birth_end(void);

/* Start-up work deferred until arming (see phase.c). */
struct phase_prep {
	void (*slow)(void);     /* may dlopen and create threads: never in a handler */
	void (*populate)(void); /* raw syscalls only: async-signal-safe, idempotent */
	void (*relist)(void);   /* before populate, at arming outside a handler: what populate covers, anew */
};

/*
 * Reads the triggers from config, installs the signal handler and starts
 * the arming thread, which runs the deferred work after a grace period
 * (at most 250 ms, half the arming delay when that is shorter) and then
 * keeps the delay.  Arming completes whatever is left first.
 */
int phase_init(const struct phase_prep *prep);

/* Runs the slow stage now if it has not run (an interposed pthread_create: threads want the stack cache). */
void phase_prepare_now(void);
/* True when all deferred work is done. */
bool phase_prepared(void);
/* At the last arming: prefault bytes done before it began, bytes in all, ns arming waited. */
void phase_prefault_stats(size_t *before, size_t *total, uint64_t *wait_ns);

/* Arms now (how: "manual", "signal:USR2", "delay:1s"); -EALREADY if armed. */
int phase_arm(const char *how);
/* Back to start-up; -EALREADY if not armed. */
int phase_disarm(void);

/* Minor and major faults at the last arming. */
void phase_fault_baseline(long *minor, long *major);
/*
 * At exit: if the delay trigger fell due but no intercepted call noticed
 * it, records the process as armed since the deadline (fault baseline
 * unknown: -1).
 */
void phase_settle(void);

/* Before fork: waits (2 s at most) while another thread runs the slow stage (a dlopen). */
void phase_atfork_prepare(void);

/*
 * In a fork child: its fault counts start from zero, so the armed-phase
 * baseline does too; and the child's report gets its own arm record.
 */
void phase_atfork_child(void);

/* System-wide TLB shootdown count at the last arming, -1 if unknown. */
long phase_tlb_baseline(void);
/* "signal:USR2" etc.: what armed the process last, or NULL. */
const char *phase_how(void);

/* Waits (up to 1 s, not in a signal handler) while another thread is arming: exit's summary follows the arm record. */
void phase_wait_arming(void);
/* A trigger began arming and it is not done (the prefault is under way): the exit summary says so. */
bool phase_arming_unfinished(void);

#endif
