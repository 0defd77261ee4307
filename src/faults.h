/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * faults: page faults after arming, each recorded as a `page-fault` site
 * with the faulting code's stack and the class of the faulted address
 * (PTFREEZE_FAULTS=on).  No signal, no code of ours on the faulting path:
 * at arming, one software perf event (PERF_COUNT_SW_PAGE_FAULTS, sample
 * period 1, user and kernel mode where perf_event_paranoid allows) is
 * opened per (existing thread, online CPU), inherited by threads created
 * later (inherit_thread: never by fork children), removed at exec.  Each
 * fault makes the kernel write a sample (instruction pointer, thread,
 * faulted address, the user stack pointer and a frame-pointer callchain)
 * into the ring buffer of its CPU; the faulting thread goes on.  The
 * shim's sampler thread sleeps on the rings (poll, woken at a quarter
 * full) and turns samples into sites: the address is classified against a
 * snapshot of /proc/self/maps taken at arming (re-read, rate-limited, when
 * an address is in no mapping of it) and the pool's region table, the site
 * is keyed by (class, callchain) and a known site costs a hash and an
 * atomic add.  Disarming, exit and exec drain what is left before the
 * summary; a full ring drops samples, counted as `lost`.
 *
 * The sampler's own faults are counted, not sites.  getrusage's count in
 * the summary is the total either way; the events' own count (`counted`)
 * is every fault they saw, sampled or lost.
 */
#ifndef PTFREEZE_FAULTS_H
#define PTFREEZE_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "faultmap.h"
#include "fmt.h"

/* "pool", "thread-stack", ...: the class names of the report. */
const char *faults_class_name(enum fault_class c);

/*
 * At start-up (PTFREEZE_FAULTS=on): maps (faults_populate() fills it before arming) the sampler's own
 * storage (its tables and the mapping snapshot, about 0.8 MiB, named
 * [anon:ptfreeze-faults]), so that it takes nothing from the pool.
 */
void faults_reserve(void);
/* Faults in what faults_reserve() mapped: before arming (raw syscalls, idempotent, async-signal-safe). */
void faults_populate(void);

/*
 * At arming (PTFREEZE_FAULTS=on): snapshots the mappings and opens the
 * events and their rings, disabled.  Refusal (perf_event_paranoid, no
 * perf events) prints one line once; getrusage counts remain.  Runs in
 * the arming context (maybe a signal handler): raw system calls only.
 * 0 or -errno.
 */
int faults_start(void);
/*
 * Enables the events opened by faults_start(), just before the armed flag
 * is set: a fault the program takes once it sees itself armed is in a
 * ring.  Nothing is drained (no record is written) before faults_enable().
 * Raw system calls only.
 */
void faults_begin(void);
/*
 * Enables the events (if faults_begin() has not), after the armed flag is
 * set, and wakes the sampler.  may_spawn: the caller is an ordinary
 * context (a fork child's fork handler; never arming, which may run in a
 * signal handler or an interposed call) where a sampler thread can be
 * created if none runs.
 */
void faults_enable(bool may_spawn);
/*
 * The sampler: returns only where sampling was refused.  Run by phase's
 * start-up thread (the delay trigger's, which arms first, or one started
 * only for this), or by a fork child's own; it waits for arming, drains
 * the rings while armed, and idles while disarmed.  Only one runs per
 * process (a second call returns at once).
 */
void faults_sampler_run(void);
/*
 * Disables the events, drains the rings in the calling thread (the
 * sampler's own drain waits), adds up the events' counts and closes
 * everything (disarming, exit, exec, before the summary).  Idempotent.
 */
void faults_stop(void);
/* In the parent after fork: its pool pages are now shared copy-on-write with the child. */
void faults_atfork_parent(void);
/*
 * In a fork child: forgets the parent's events, rings and sampler (its
 * descriptors are copies, its rings were not copied) and, if armed, opens
 * events for this, the child's only thread, with rings and a sampler
 * thread of its own.  Pool faults are named copy-on-write from here on.
 * mid: forked while another thread was arming (the child is armed): the
 * events may not have been opened yet, and are opened here if so.
 */
void faults_atfork_child(bool armed, bool mid);

/*
 * Every thread of the program has left (the leader by pthread_exit) and
 * only the caller, the shim's thread, keeps the process alive: it must
 * return, and glibc's exit(0) follows.  Rate-limited (the first call of a
 * second reads /proc); raw system calls only.
 */
bool faults_program_gone(void);

/* {"sampling":"on"|"off"|"refused"|"unavailable",...} for the arm and summary records. */
void faults_json(struct sb *sb);

/*
 * Reads /proc/self/maps into the snapshot (storage carved from the pool on
 * first use).  0 or -errno.  Exposed for unit tests.
 */
int faults_snapshot(void);
/*
 * The class of addr as seen from a thread whose stack pointer is sp (0:
 * unknown), and the mapping's file (NULL if none) for code, file and bss.
 * Uses the snapshot; never re-reads it.
 */
enum fault_class faults_classify(uintptr_t addr, uintptr_t sp, const char **path);

#endif
