/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * procfs: the one reader of /proc/PID/maps lines (maps, and the header
 * lines of smaps) and the one directory lister of /proc (pids) and
 * /proc/PID/task (tids).  Layer 0: raw system calls (sys) and fmt only;
 * never allocates, no stdio, async-signal-safe.
 */
#ifndef PTFREEZE_PROCFS_H
#define PTFREEZE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "/proc/PID/file" into buf (pid <= 0: "/proc/self/file"); returns buf. */
const char *procfs_path(char *buf, size_t cap, long pid, const char *file);

/* One mapping: "start-end perms offset dev inode   path". */
struct procfs_map {
	uintptr_t start, end;
	uint64_t offset;
	char perms[5];    /* "rw-p", NUL-terminated */
	const char *path; /* the rest of the line after the inode ("" for none); points into the line */
};

/* A range of addresses [start, end), as a maps line has them. */
struct procfs_range {
	uintptr_t start, end;
};

/* Whether a lies in one of the first n ranges of r. */
static inline bool procfs_in_ranges(const struct procfs_range *r, int n, uintptr_t a)
{
	for (int i = 0; i < n; i++) {
		if (a >= r[i].start && a < r[i].end) {
			return true;
		}
	}
	return false;
}

/*
 * Parses one maps line into *m; false if the line is not one (smaps'
 * field lines, a cut line, end < start).
 */
bool procfs_map_parse(const char *line, struct procfs_map *m);

/*
 * Calls fn for each mapping of a maps file (e.g. "/proc/self/maps"),
 * skipping lines that do not parse; fn returns 0 to stop.  0 or -errno.
 */
int procfs_maps(const char *path, int (*fn)(const struct procfs_map *m, void *arg), void *arg);

/*
 * Calls fn for each numeric entry of a /proc directory ("/proc": pids,
 * "/proc/self/task": tids), in the kernel's order.  fn returns 0 to go on,
 * anything else to stop.  Returns what stopped it, 0 at the end, or -errno
 * if the directory cannot be opened.
 */
int procfs_for_each_id(const char *dir, int (*fn)(long id, void *arg), void *arg);

/*
 * 1 if a process or kernel thread whose comm is `comm` exists, 0 if not,
 * -1 if /proc cannot be listed.  Stops at the first match, in pid order.
 */
int procfs_running(const char *comm);

#endif
