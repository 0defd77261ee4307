/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * writeback: the one rule for which filesystems a writable shared file
 * mapping can stall on writeback (disk-backed) and which are memory-backed
 * (tmpfs, hugetlbfs, devtmpfs, ramfs: nothing to write back).  Given by
 * name (the fstype of /proc/PID/mountinfo: `ptfreeze check --pid`) and by
 * statfs magic (the shim's mmap interposer), the two lists side by side,
 * here and nowhere else.  Layer 0: libc only, async-signal-safe.
 */
#ifndef PTFREEZE_WRITEBACK_H
#define PTFREEZE_WRITEBACK_H

#include <stdbool.h>

/* True if this filesystem type (by name) is memory-backed: no writeback. */
bool writeback_free_fstype(const char *fstype);

/* True if this statfs f_type is a memory-backed filesystem: no writeback. */
bool writeback_free_magic(long f_type);

#endif
