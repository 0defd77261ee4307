/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kinds: the lookups over src/kinds.inc (see kinds.h).  Constant tables
 * only: no state, no allocation, errno untouched.
 */
#include "kinds.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define KINDS_UNPAREN(...) __VA_ARGS__

static const struct {
	const char *name;
	bool refusable, shootdown, result_addr;
	long syscall;
	int refuse_errno;
	enum kinds_flagset flagset;
	const char *args[KINDS_MAX_ARGS + 1];
} kinds[KIND_COUNT] = {
#define PTFREEZE_KIND(id, nm, refuse, shoot, nr, addr, err, flags, argv) \
	[KIND_##id] = {.name = nm,                                        \
		       .refusable = refuse,                               \
		       .shootdown = shoot,                                \
		       .result_addr = addr,                               \
		       .syscall = nr,                                     \
		       .refuse_errno = err,                               \
		       .flagset = flags,                                  \
		       .args = {KINDS_UNPAREN argv}},
#include "kinds.inc"
#undef PTFREEZE_KIND
};

const char *kinds_name(enum kind k) { return (unsigned)k < KIND_COUNT ? kinds[k].name : "unknown"; }

int kinds_by_name(const char *s, size_t n)
{
	for (int k = 0; k < KIND_COUNT; k++) {
		if (strlen(kinds[k].name) == n && strncmp(kinds[k].name, s, n) == 0) {
			return k;
		}
	}
	return -1;
}

const char *const *kinds_args(enum kind k)
{
	static const char *const none[1] = {NULL};
	return (unsigned)k < KIND_COUNT ? kinds[k].args : none;
}

bool kinds_refusable(enum kind k) { return (unsigned)k < KIND_COUNT && kinds[k].refusable; }
int kinds_refuse_errno(enum kind k) { return (unsigned)k < KIND_COUNT ? kinds[k].refuse_errno : EPERM; }
bool kinds_shoots_down(enum kind k) { return (unsigned)k < KIND_COUNT && kinds[k].shootdown; }
bool kinds_result_is_address(enum kind k) { return (unsigned)k < KIND_COUNT && kinds[k].result_addr; }
enum kinds_flagset kinds_flagset(enum kind k) { return (unsigned)k < KIND_COUNT ? kinds[k].flagset : KINDS_FLAGS_NONE; }
long kinds_syscall(enum kind k) { return (unsigned)k < KIND_COUNT ? kinds[k].syscall : -1; }

int kinds_of_syscall(long nr)
{
	for (int k = 0; nr >= 0 && k < KIND_COUNT; k++) {
		if (kinds[k].syscall == nr) {
			return k;
		}
	}
	return -1;
}

static const struct kinds_bit prot_names[] = {
#define PTFREEZE_PROT(b, nm) {b, nm},
#include "kinds.inc"
#undef PTFREEZE_PROT
};
static const struct kinds_bit map_names[] = {
#define PTFREEZE_MAP(b, nm) {b, nm},
#include "kinds.inc"
#undef PTFREEZE_MAP
};
static const struct kinds_bit mremap_names[] = {
#define PTFREEZE_MREMAP(b, nm) {b, nm},
#include "kinds.inc"
#undef PTFREEZE_MREMAP
};

const struct kinds_bit *kinds_prot_names(size_t *n)
{
	*n = sizeof(prot_names) / sizeof(prot_names[0]);
	return prot_names;
}

const struct kinds_bit *kinds_flag_names(enum kinds_flagset set, size_t *n)
{
	switch (set) {
	case KINDS_FLAGS_MAP: *n = sizeof(map_names) / sizeof(map_names[0]); return map_names;
	case KINDS_FLAGS_MREMAP: *n = sizeof(mremap_names) / sizeof(mremap_names[0]); return mremap_names;
	default: *n = 0; return NULL;
	}
}

const char *kinds_advice_name(long advice, const char *unknown)
{
	switch (advice) {
#define PTFREEZE_ADVICE(v, nm, guarded) \
	case v: return nm;
#include "kinds.inc"
#undef PTFREEZE_ADVICE
	default: return unknown;
	}
}

bool kinds_advice_guarded(int advice)
{
	switch (advice) {
#define PTFREEZE_ADVICE(v, nm, guarded) \
	case v: return guarded;
#include "kinds.inc"
#undef PTFREEZE_ADVICE
	default: return true;
	}
}

static const struct {
	const char *name, *asked;
} backings[BACKING_COUNT] = {
#define PTFREEZE_BACKING(id, nm, ask) [BACKING_##id] = {nm, ask},
#include "kinds.inc"
#undef PTFREEZE_BACKING
};

const char *kinds_backing_name(enum backing b) { return (unsigned)b < BACKING_COUNT ? backings[b].name : "?"; }
const char *kinds_backing_asked(enum backing b) { return (unsigned)b < BACKING_COUNT ? backings[b].asked : "?"; }
