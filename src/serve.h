/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * serve: what happens to a call that maps, unmaps, protects, remaps or
 * advises memory, in one place for both entry modules (the interposer and
 * the seccomp backstop).  Which anonymous mmaps are served from the pool
 * (pmap) and which go to the kernel; what a call on served blocks or on the
 * pool's own pages does (absorbed, refused, or made for real); how a change
 * to a block served during start-up is judged after arming; and the one
 * guarded step every call the kernel makes goes through: ask guard, refuse
 * (recorded as blocked, EPERM) or make it, record it.
 *
 * The interposer's entry points are enter-decide-call-record: serve_*()
 * either does the call (from the pool, or refuses it: true, the result in
 * c->result) or leaves it to the kernel (false) with c filled in for
 * serve_guarded().  Callable where the interposer is: before the
 * constructor, inside jemalloc and libunwind, in signal handlers and fork
 * children.  No allocation, no locks of its own, no stdio.
 */
#ifndef PTFREEZE_SERVE_H
#define PTFREEZE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "guard.h"
#include "sys.h"

/* One intercepted call, from entry to record. */
struct call {
	struct event ev;        /* kind, arguments, bytes, detail: what a record says */
	int state;              /* shim_state on entry */
	bool quiet;             /* made unguarded and unrecorded: the shim's own, the shim not ready, a fork child */
	bool busy;              /* shim_busy around act (libc's calls, which may make trapped ones) */
	long (*act)(struct call *c); /* makes the call: >= 0 or -errno, what the record says */
	/* Optional: true if the call turns out to change nothing (it made it): neither refused nor recorded. */
	bool (*unchanged)(struct call *c);
	void *ctx;              /* act's own arguments, when not the record's */
	long out;               /* what act leaves for its entry point to return, if not its result */
	long result;            /* serve_*() true: the call's result, >= 0 or -errno */
};

/*
 * On entry (c->ev already holds the kind and arguments): the shim's state,
 * and whether the call is quiet.  ret is the caller's return address (a
 * call from the shim, jemalloc or libunwind is quiet), NULL for calls that
 * are guarded whoever makes them.
 */
void serve_enter(struct call *c, const void *ret);

/*
 * The guarded step: the verdict (pass when quiet); refused (recorded as
 * blocked, -EPERM, c->ev.blocked set) or made by c->act and recorded when
 * the verdict says so (unless act made the call quiet).  Returns the result.
 */
long serve_guarded(struct call *c);

/* Records ev as refused: blocked, -EPERM (strict mode's answer).  Returns -EPERM. */
long serve_refuse(struct event *ev);

/*
 * The served-mapping decisions.  Each takes its call's arguments from
 * c->ev.args (in the system call's order) and returns true when it
 * handled the call (c->result), false when the kernel makes it: then
 * c->act, c->quiet and c->ev are set for serve_guarded().
 */
bool serve_mmap(struct call *c);
bool serve_munmap(struct call *c);
bool serve_protect(struct call *c); /* mprotect and pkey_mprotect */
bool serve_mremap(struct call *c);
bool serve_madvise(struct call *c);

/*
 * A memory call trapped by the seccomp backstop (made past the interposer):
 * -EINVAL if it would unmap, move or discard the pool's pages behind its
 * back, else 0.
 */
long serve_trapped(enum kind k, const long a[6]);

/*
 * Anonymous mappings made before our constructor (jemalloc's first chunks
 * and its base's blocks): noted, forgotten, and prefaulted up to cap bytes
 * but the holes (pages no one will write: arena_rtree_holes); of a mapping
 * longer than slack (0: no limit), only what is used so far (resident, or
 * before a hole's end) and slack bytes after it.
 */
void serve_note_early(long r, size_t len, int prot, int flags);
void serve_forget_early(void *addr, size_t len);
void serve_prefault_early(size_t cap, size_t slack, const struct sys_span *holes, size_t nholes);

#endif
