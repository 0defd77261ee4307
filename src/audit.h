/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit: the host checks of the virtual-memory tuning guide (swap,
 * swappiness, THP and its defrag modes, khugepaged, KSM, automatic NUMA
 * balancing, hugetlb pages against the pool, RLIMIT_MEMLOCK, compaction),
 * plus the system-wide TLB shootdown count.  (Which filesystems write back:
 * writeback.h; one process's shared mappings: tools/hazards.h.)  Shared by the shim (a snapshot in the
 * report header, shootdowns in the summary) and the ptfreeze command
 * (`ptfreeze check`), so the rules live here and nowhere else.
 *
 * Reading is split from judging: audit_read() gathers raw facts,
 * audit_judge() turns them into PASS/WARN/FAIL items, each with the
 * observed value and the exact shell command that fixes it.  Everything
 * here reads /proc and /sys with raw syscalls (sys.h), never allocates and
 * never uses stdio: it runs in the shim's constructor and in fork children.
 * Only audit_tlb_shootdowns() is meant for signal handlers; nothing here is
 * for the interposed hot path.
 */
#ifndef PTFREEZE_AUDIT_H
#define PTFREEZE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"

enum audit_status { AUDIT_PASS, AUDIT_WARN, AUDIT_FAIL };

#define AUDIT_NAME_MAX 32
#define AUDIT_TEXT_MAX 160
/* audit_judge() never writes more items than this. */
#define AUDIT_MAX_ITEMS 16

struct audit_item {
	enum audit_status status;
	char name[AUDIT_NAME_MAX];     /* stable identifier: "swap", "thp-enabled", ... */
	char observed[AUDIT_TEXT_MAX]; /* what the host has, for a human */
	char fix[AUDIT_TEXT_MAX];      /* the command that fixes it; "" when nothing to do */
};

/* Raw host facts; -1 (numbers) or "" (strings) when unreadable or absent. */
struct audit_facts {
	int swap_devices;
	long long swap_kb;
	long swappiness;
	char thp_enabled[16];
	char thp_defrag[16];
	long khugepaged_defrag;
	int khugepaged_running; /* 1, 0, or -1 if /proc could not be scanned */
	long ksm_run;
	long numa_balancing;
	long hp2m_total, hp2m_free;
	long hp1g_total, hp1g_free;
	long default_hugepage_kb; /* Hugepagesize in /proc/meminfo */
	long compaction_proactiveness;
	long extfrag_threshold;
	bool memlock_known;
	bool memlock_unlimited;
	unsigned long long memlock_bytes;
	bool ipc_lock_cap; /* CAP_IPC_LOCK: RLIMIT_MEMLOCK does not apply */
	size_t pool_size;
};

/*
 * Reads the host facts; memlock and capabilities are those of pid (0: the
 * calling process).  0, or -errno when /proc itself cannot be read (then
 * nothing in *f is meaningful).  Must not be called from a hook.
 */
int audit_read(struct audit_facts *f, long pid, size_t pool_size);

/* Judges the facts into at most max items; returns how many were written. */
int audit_judge(const struct audit_facts *f, struct audit_item *out, int max);

/*
 * TLB shootdown interrupts the kernel has counted on all CPUs since boot
 * (the "TLB:" line of /proc/interrupts), or -1 if unreadable.  System-wide:
 * other processes' shootdowns count too.  Async-signal-safe (the shim calls
 * it when a signal arms it, and at exit).
 */
long audit_tlb_shootdowns(void);

/* "PASS", "WARN", "FAIL". */
const char *audit_status_name(enum audit_status s);

/*
 * Writes the host facts as one JSON object (the report header's "host":
 * docs/report-format.md), including the judged items as "checks".
 * Allocation-free; uses a static item table, so callers must not run it
 * from two threads at once (the shim calls it at start-up and in a fork
 * child, each single-threaded at that point).
 */
void audit_snapshot_json(struct sb *sb, size_t pool_size);


#endif
