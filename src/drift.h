/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * drift: the host settings a process was armed under, and what changed by
 * the time it exits (a sysctl reset by an upgrade, KSM or NUMA balancing
 * turned on by another tool, huge pages taken by another program).  Both
 * snapshots are the judged items of audit.c and hostspec.c, read from /proc
 * and /sys with raw syscalls into static storage: no allocation.  Taken at
 * arming (start-up work) and in the exit summary (after sampling stops).
 */
#ifndef PTFREEZE_DRIFT_H
#define PTFREEZE_DRIFT_H

#include <stddef.h>

#include "fmt.h"

/* Bytes drift_json() writes at most. */
#define DRIFT_JSON_MAX 32768

/* The snapshot at arming; also touches the exit snapshot's storage. */
void drift_at_arm(size_t pool_size);

/*
 * `"host_drift":` and either null (never armed) or an array of the items
 * whose status or reading changed since arming: item, area, and at_arm and
 * at_exit each with status and observed.
 */
void drift_json(struct sb *sb, size_t pool_size);

#endif
