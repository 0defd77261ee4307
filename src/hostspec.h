/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hostspec: the rest of a latency host's spec, beyond audit.c's virtual
 * memory items: memory reclaim and writeback, CPU isolation and interrupts,
 * power, timers and kernel threads, RT throttling, limits and what the
 * page-fault sampler needs.  Each item says what was read, what latency
 * work expects, why (the mechanism, in a line) and the fix as data (a
 * sysctl, a sysfs write or a kernel command-line parameter), so that
 * `ptfreeze check --emit` can write it as a file.
 *
 * Facts are read from /proc and /sys with raw syscalls into fixed buffers:
 * no allocation, no stdio, so the shim may run it too.  Items that do not
 * apply to this host (no cpufreq, no cpuidle, one NUMA node) say so and pass.
 */
#ifndef PTFREEZE_HOSTSPEC_H
#define PTFREEZE_HOSTSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "audit.h"

enum hostspec_fix { HOSTSPEC_FIX_NONE, HOSTSPEC_FIX_SYSCTL, HOSTSPEC_FIX_SYSFS, HOSTSPEC_FIX_CMDLINE };

#define HOSTSPEC_MAX_ITEMS 32

struct hostspec_item {
	enum audit_status status;
	const char *area;          /* "memory", "cpu", "power", "timers", "rt", "limits", "faults" */
	char name[AUDIT_NAME_MAX]; /* stable identifier */
	char observed[AUDIT_TEXT_MAX];
	char expected[AUDIT_TEXT_MAX];
	char why[AUDIT_TEXT_MAX];
	enum hostspec_fix fix_kind;
	char fix_key[AUDIT_TEXT_MAX];  /* sysctl name, sysfs path or command-line parameter */
	char fix_value[AUDIT_TEXT_MAX]; /* its value ("" for a bare parameter) */
	char fix[AUDIT_TEXT_MAX];       /* the same as a command a person can run */
};

/* What the items are judged against: a process (pid > 0) or this host as a whole. */
struct hostspec_target {
	long pid;             /* 0: none (CPU items judge the host) */
	size_t pool_size;     /* the pool, for memlock and huge pages per node */
	bool no_process_scan; /* skip what reads every process's name (irqbalance): in the shim */
};

/* Judges the host into at most max items; returns how many were written. */
int hostspec_judge(const struct hostspec_target *t, struct hostspec_item *out, int max);

/* Room for the whole spec: audit.c's items and the rest. */
#define HOSTSPEC_ALL_ITEMS (AUDIT_MAX_ITEMS + HOSTSPEC_MAX_ITEMS)

/*
 * The whole host spec: audit.c's items (for t->pid's limits), then the
 * rest.  How many were written, or -errno when /proc cannot be read.
 */
int hostspec_judge_all(const struct hostspec_target *t, struct hostspec_item *out, int max);

/*
 * audit.c's virtual-memory item in this shape: its area, and its fix as
 * data where it is a write to /proc/sys (a sysctl) or to /sys.
 */
void hostspec_from_audit(const struct audit_item *a, struct hostspec_item *h);

#endif
