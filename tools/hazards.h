/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hazards: `ptfreeze check --pid`'s walk of a process's writable shared
 * mappings, each judged by the writeback rule (src/writeback.h) from the
 * filesystem its file lives on.  Raw reads (procfs, sys); no allocation.
 */
#ifndef PTFREEZE_TOOLS_HAZARDS_H
#define PTFREEZE_TOOLS_HAZARDS_H

#include <stdbool.h>
#include <stdint.h>

/* One writable shared mapping of a process, as hazards_mappings() sees it. */
struct hazards_mapping {
	uintptr_t start, end;
	char perms[5];
	unsigned long long offset;
	const char *path;   /* as /proc/PID/maps shows it ("" for none) */
	const char *mount;  /* mount point holding path ("" when not a file) */
	const char *fstype; /* its filesystem type ("" when not a file) */
	bool hazard;        /* a disk-backed file: writers can stall on writeback */
};

/*
 * Calls fn for every writable shared mapping (perms .w.s) of pid (0: the
 * calling process), deciding the filesystem from the longest mount-point
 * prefix of the path in /proc/PID/mountinfo.  Anonymous shared memory
 * (/dev/zero, SysV shm, memfd) is never a hazard.  fn returns 0 to stop.
 * Returns 0 or -errno (-ENOENT: no such process).  The strings passed to fn
 * live only for the call.
 */
int hazards_mappings(long pid, int (*fn)(const struct hazards_mapping *m, void *arg), void *arg);

#endif
