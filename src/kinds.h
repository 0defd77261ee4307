/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kinds: the names and attributes of what the shim records (kinds of
 * calls), of mmap/mprotect/mremap flag bits, madvise advice and pool
 * backings, all read from the one table src/kinds.inc.  A leaf: pure
 * lookups over constant tables, no state, callable anywhere (hooks and
 * signal handlers too).  The ptfreeze command reads the same table.
 */
#ifndef PTFREEZE_KINDS_H
#define PTFREEZE_KINDS_H

#include <stdbool.h>
#include <stddef.h>

enum kind {
#define PTFREEZE_KIND(id, ...) KIND_##id,
#include "kinds.inc"
#undef PTFREEZE_KIND
	KIND_COUNT
};

/* Pool backings, best first. */
enum backing {
#define PTFREEZE_BACKING(id, ...) BACKING_##id,
#include "kinds.inc"
#undef PTFREEZE_BACKING
	BACKING_COUNT
};

/* How a kind's "flags" argument is named. */
enum kinds_flagset { KINDS_FLAGS_NONE, KINDS_FLAGS_MAP, KINDS_FLAGS_MREMAP };

#define KINDS_MAX_ARGS 6

/* The report's name of k ("mmap", "page-fault", ...); "unknown" out of range. */
const char *kinds_name(enum kind k);
/* The kind named by the n bytes at s, or -1. */
int kinds_by_name(const char *s, size_t n);
/* The names of k's args[0..5], NULL after the last. */
const char *const *kinds_args(enum kind k);
/* Strict mode can refuse k (would-block mode marks it "would-block"). */
bool kinds_refusable(enum kind k);
/* The errno strict mode gives k when the event does not say (EPERM, ENOMEM). */
int kinds_refuse_errno(enum kind k);
/* A call of kind k can cause TLB shootdowns. */
bool kinds_shoots_down(enum kind k);
/* k's result is an address. */
bool kinds_result_is_address(enum kind k);
enum kinds_flagset kinds_flagset(enum kind k);
/* The system call the seccomp backstop traps as k, or -1. */
long kinds_syscall(enum kind k);
/* The kind the backstop traps system call nr as, or -1. */
int kinds_of_syscall(long nr);

struct kinds_bit {
	unsigned long bit;
	const char *name;
};
/* PROT_*, MAP_*, MREMAP_* names without their prefix, in display order. */
const struct kinds_bit *kinds_flag_names(enum kinds_flagset set, size_t *n);
const struct kinds_bit *kinds_prot_names(size_t *n);

/* madvise: "MADV_DONTNEED", ...; `unknown` for advice not in the table. */
const char *kinds_advice_name(long advice, const char *unknown);
/* Advice that changes mappings or page tables (any advice not known is). */
bool kinds_advice_guarded(int advice);

/* "hugetlb-2m", ... */
const char *kinds_backing_name(enum backing b);
/* The PTFREEZE_HUGEPAGES value that asks for backing b ("2m", ..., "none"). */
const char *kinds_backing_asked(enum backing b);

#endif
