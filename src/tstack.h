/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tstack: the cache of thread stacks.  Each slot is a PROT_NONE guard
 * region below a stack of glibc's default size, carved from 4K-page
 * mappings named `ptfreeze-stacks` that are mapped, guarded and prefaulted
 * (the top PTFREEZE_THREAD_STACK_PREFAULT bytes, plus what the thread's
 * TCB and static TLS take) before arming.  pthread_create hands a slot to
 * glibc with pthread_attr_setstack(): glibc then maps, protects and
 * advises nothing, so creating, running and joining a thread changes no
 * page tables.  A slot is free again once the kernel is done with its
 * thread: after a successful join, or, for a detached thread, once the
 * kernel has cleared the thread's CLONE_CHILD_CLEARTID word.
 *
 * Not the pool: hugetlb pages cannot take a 4K guard page, and mprotect
 * on a THP range splits the huge page; a stack is touched sparsely from
 * its top, so 4K pages prefaulted to a depth are the right backing.
 *
 * Everything here but tstack_init() may run in an interposed call from
 * any thread: no malloc of our own, no stdio, no locks fork can leave held
 * (the free list is lock-free; growth takes a spin flag the atfork
 * handlers hold across fork), errno preserved.
 */
#ifndef PTFREEZE_TSTACK_H
#define PTFREEZE_TSTACK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"

/* Upper bound on slots (preallocated bookkeeping, no allocation). */
#define TSTACK_MAX_SLOTS 4096

enum tstack_outcome {
	TSTACK_DONE,      /* the thread was created (or refused) on the cache: *result says */
	TSTACK_OWN_STACK, /* the caller supplied a stack: glibc maps nothing, just call it */
	TSTACK_GLIBC,     /* not for the cache: glibc maps the stack (a guarded call) */
	TSTACK_EMPTY,     /* the cache is empty: ask again saying what to do (tstack_empty) */
	TSTACK_REFUSED,   /* the cache is empty and TSTACK_EMPTY_REFUSE: nothing created (EAGAIN) */
};

/* What tstack_create does when the cache is empty: the caller's decision (guard's verdict). */
enum tstack_empty {
	TSTACK_EMPTY_ASK,      /* return TSTACK_EMPTY */
	TSTACK_EMPTY_GROW,     /* start-up: map more slots (geometric growth) */
	TSTACK_EMPTY_GROW_ONE, /* armed, report mode: wait for a detached thread, else map one slot (*grew) */
	TSTACK_EMPTY_REFUSE,   /* armed, strict: wait for a detached thread, else TSTACK_REFUSED */
};

/*
 * Start-up's deferred `slow` stage only (phase.c: the arming thread,
 * ptfreeze_arm() or the first pthread_create; never a signal handler or a
 * hook; it creates a probe thread and maps with raw syscalls):
 * reads glibc's default stack and guard sizes, maps and prefaults
 * config.thread_stacks slots, and finds where glibc keeps the kernel's
 * thread id word (see tstack.c).  A failure leaves the cache off with one
 * line on stderr.  0 or -errno.
 */
int tstack_init(void);

/* True when threads are created on the cache. */
bool tstack_enabled(void);

/* True if attr carries a stack of the caller's own (pthread_attr_setstack/setstackaddr). */
bool tstack_attr_has_stack(const pthread_attr_t *attr);

/*
 * pthread_create through the cache.  TSTACK_DONE: *result is
 * pthread_create's return.  TSTACK_GLIBC: *why says why (for the guard's
 * record).  When the cache is empty, when_empty says what to do (the
 * caller asks the guard: tstack decides no verdict and records nothing);
 * *grew is set when a slot was mapped after arming (a violation for the
 * caller to record), whatever the outcome.
 */
enum tstack_outcome tstack_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg,
				  enum tstack_empty when_empty, int *result, const char **why, bool *grew);
/* Bytes one slot maps (stack and guard): the size of a recorded growth. */
size_t tstack_slot_bytes(void);
/*
 * Starts one of the shim's own threads, fn(arg): detached, on a stack of
 * `size` bytes glibc never unmaps: its own mapping before arming (4K
 * pages, made resident at arming, see tstack_populate_shim_stacks), pool
 * memory once armed, with every
 * signal blocked but SIGSYS (the backstop's trap, which a thread with it
 * blocked would die of), so none of the program's is delivered to it.
 * 0, -ENOSYS (no pthread_create yet), -ENOMEM (no pool stack) or
 * pthread_create's error.
 */
int tstack_spawn_shim(size_t size, void *(*fn)(void *), void *arg);
/* Makes those stacks resident (arming's populate step); a stack made later is populated when made. */
void tstack_populate_shim_stacks(void);

/* After a successful pthread_join (and the _np variants) of t. */
void tstack_joined(pthread_t t);
/* After a successful pthread_detach of t. */
void tstack_detached(pthread_t t);

/* Fork: hold the growth flag across fork; the child frees the slots of threads it does not have. */
void tstack_atfork_prepare(void);
void tstack_atfork_parent(void);
void tstack_atfork_child(void);

/* The report's "thread_stacks" object: the header's (at_exit false) or the summary's. */
void tstack_json(struct sb *sb, bool at_exit);

/* For tests: slot count, the slot containing p (-1), and the tid word offset (-1 unknown). */
int tstack_slots(void);
int tstack_slot_of(const void *p);
long tstack_tid_offset(void);

#endif
