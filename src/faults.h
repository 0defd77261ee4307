/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * faults: page faults after arming, each recorded as a `page-fault` site
 * with the faulting code's stack and the class of the faulted address
 * (PTFREEZE_FAULTS=on).  At arming, one software perf event
 * (PERF_COUNT_SW_PAGE_FAULTS, user mode only, sample period 1) is opened
 * per existing thread, inherited by threads created later (inherit_thread:
 * never by fork children), removed at exec; each fault sends its thread a
 * synchronous SIGTRAP (sigtrap=1, si_code TRAP_PERF) whose si_addr is the
 * faulted address.  The handler classifies the address against a snapshot
 * of /proc/self/maps taken at arming (and re-read, rate-limited, when an
 * address is in no mapping of it) and the pool's region table, then hands
 * the fault to guard_record_stack() with the stack from the interrupted
 * instruction.  A site already seen costs the signal, an unwind and an
 * atomic add.
 *
 * Not seen: faults taken in kernel mode (a system call copying into an
 * untouched buffer, the kernel writing a signal frame), faults while the
 * thread has SIGTRAP blocked (delivered late: counted, not attributed),
 * faults in the shim's own recording (counted), a second fault before the
 * first one's signal is delivered.  getrusage's count in the summary is the
 * total either way.
 *
 * Everything here runs at arming (maybe in a signal handler or an
 * interposed call) or in the SIGTRAP handler: raw system calls, storage
 * carved from the pool, no allocation, no locks (a seqlock guards the
 * mapping snapshot; a reader that loses the race classifies "unknown").
 */
#ifndef PTFREEZE_FAULTS_H
#define PTFREEZE_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "fmt.h"

enum fault_class {
	FAULT_UNKNOWN,      /* in no mapping known (mapped after arming, or unmapped) */
	FAULT_POOL,         /* ptfreeze's pool (the allocator, served mmap) */
	FAULT_THREAD_STACK, /* a thread's stack (the faulting thread's, or a mapping under a guard page) */
	FAULT_MAIN_STACK,   /* [stack], including where it grows */
	FAULT_BRK_HEAP,     /* [heap]: another allocator's brk heap */
	FAULT_BSS,          /* anonymous memory right after an object's writable data: its .bss */
	FAULT_CODE,         /* an executable file mapping */
	FAULT_FILE,         /* any other file mapping (data, shared memory, mapped files) */
	FAULT_ANON,         /* other anonymous memory */
	FAULT_VDSO,         /* [vdso], [vvar], [vsyscall] and other kernel-named mappings */
	FAULT_CLASS_COUNT
};

/* "pool", "thread-stack", ...: the class names of the report. */
const char *faults_class_name(enum fault_class c);

/*
 * At arming (PTFREEZE_FAULTS=on): snapshots the mappings, installs the
 * SIGTRAP handler (the program's own keeps every SIGTRAP that is not ours)
 * and opens the events, disabled.  Refusal (perf_event_paranoid, a kernel
 * without sigtrap) prints one line once; getrusage counts remain.  0 or
 * -errno.
 */
int faults_start(void);
/* Enables the events opened by faults_start(): after the armed flag is set. */
void faults_enable(void);
/* Closes every event (disarming, exit, before the summary). */
void faults_stop(void);
/*
 * In a fork child: the parent's events are the parent's (and were not
 * inherited, inherit_thread): closes the copies of their descriptors and,
 * if armed, opens an event for this, the child's only thread.
 */
void faults_atfork_child(bool armed);

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
