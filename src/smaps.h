/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * smaps: what changed in the address space since arming.  At arming the
 * shim snapshots /proc/self/smaps into a table carved from the pool at
 * start-up; at exit it reads the file again and writes one `smaps-diff`
 * record (docs/report-format.md): mappings added and removed, mappings
 * whose size, protection, resident memory or huge pages changed, and the
 * totals.  The pool's regions (named `ptfreeze-pool`) are marked.
 *
 * The file is streamed line by line through a fixed buffer with raw
 * syscalls (sys_for_each_line); nothing here allocates or uses stdio, so
 * the snapshot can be taken in a signal handler (arming by signal).
 * Tables hold at most SMAPS_MAX mappings: a longer file is cut and the
 * record says so.
 */
#ifndef PTFREEZE_SMAPS_H
#define PTFREEZE_SMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"

#define SMAPS_MAX 4096
#define SMAPS_NAME_MAX 88
/* Entries listed per list (added, removed, changed) in one record. */
#define SMAPS_LISTED 100

/* One mapping; sizes in kB as the kernel writes them. */
struct smap {
	uint64_t start, end;
	uint32_t rss_kb, anon_huge_kb, hugetlb_kb, locked_kb;
	char perms[5];
	char name[SMAPS_NAME_MAX]; /* path, [heap], [anon:NAME]…; cut to fit */
};

struct smaps_table {
	struct smap *v;
	size_t n, cap;
	bool truncated; /* the file had more mappings than cap */
};

/* Empties t (keeps its storage). */
void smaps_clear(struct smaps_table *t);
/*
 * Feeds one line of an smaps file to t: a mapping's first line starts an
 * entry, "Rss:", "AnonHugePages:", "Shared_Hugetlb:", "Private_Hugetlb:"
 * and "Locked:" fill it, other lines are ignored.  line may be modified.
 */
void smaps_parse_line(struct smaps_table *t, char *line);
/* Reads a whole smaps file into t; 0 or -errno. */
int smaps_read(struct smaps_table *t, const char *path);

/*
 * True for (part of) a region of the pool: named ptfreeze-pool where the
 * kernel shows names of anonymous mappings (CONFIG_ANON_VMA_NAME), else
 * recognised by address.
 */
bool smaps_is_pool(const struct smap *m);

/*
 * Writes the body of a smaps-diff record (the fields after "type", without
 * braces) comparing old (at arming) with cur (now) into sb.  At most
 * `listed` entries per list; the totals always count everything.
 */
void smaps_diff_json(struct sb *sb, const struct smaps_table *old, const struct smaps_table *cur, size_t listed);

/* Carves the two tables and the record buffer from the pool; before arming.  0 or -ENOMEM. */
int smaps_init(void);
/* Takes the snapshot at arming (no-op without smaps_init). */
void smaps_snapshot(void);
/* Forgets the snapshot (arming was noticed late: no baseline). */
void smaps_forget(void);
/* At exit: re-reads, diffs and writes the smaps-diff record.  Once. */
void smaps_report(void);

#endif
