/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit: host checks from the virtual-memory tuning guide (swap, THP,
 * khugepaged, KSM, NUMA balancing, hugetlb pages, RLIMIT_MEMLOCK,
 * compaction), shared by the shim (a snapshot in the report header) and
 * the ptfreeze command (`ptfreeze check`).  Reads /proc and /sys with raw
 * syscalls; never allocates.
 */
#ifndef PTFREEZE_AUDIT_H
#define PTFREEZE_AUDIT_H

#include <stddef.h>

#include "fmt.h"

/*
 * TLB shootdown interrupts the kernel has counted on all CPUs since boot
 * (the "TLB:" line of /proc/interrupts), or -1 if unreadable.  System-wide:
 * other processes' shootdowns count too.  Async-signal-safe.
 */
long audit_tlb_shootdowns(void);

/* Writes the host facts as one JSON object. */
void audit_snapshot_json(struct sb *sb, size_t pool_size);

#endif
