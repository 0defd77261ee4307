/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report: the versioned JSON Lines report (format: docs/report-format.md).
 * One write(2) per record from a fixed buffer, O_APPEND, so a record is
 * either whole in the file or absent, and every record written before a
 * kill -9 survives.  The file is created 0600 with O_NOFOLLOW|O_CLOEXEC;
 * a fork child writes its own.  Before each record the descriptor is
 * checked to still be our file (programs that close every descriptor would
 * otherwise make us write into theirs).  Never stdio, never allocates after
 * report_open(); the record writers are async-signal-safe.
 */
#ifndef PTFREEZE_REPORT_H
#define PTFREEZE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "fmt.h"
#include "kinds.h"

/* One guarded call or page fault, as the guard hands it to the record writers. */
struct event {
	enum kind kind;
	uintptr_t args[6];
	const char *path;   /* dlopen's file, a mapped file: or NULL */
	const char *detail; /* e.g. "MADV_DONTNEED", "file mapping" */
	const char *cls;    /* page faults: the address class ("pool", "bss", ...) */
	uint32_t sub;       /* page faults: class and mapping, part of the site's key */
	bool no_new_site;   /* count at a known site only (a kind over its share of the table) */
	size_t bytes;       /* memory the call concerns */
	long result;        /* >= 0, or -errno */
	int refuse_errno;   /* what strict mode returns when it is not EPERM (0: EPERM) */
	bool blocked;
};

#define REPORT_VERSION 1

/*
 * Expands config.report (%p pid, %e the current executable's name, %% a
 * percent; the expansion cannot add a path component).  The file is not
 * created here but by the first record written (report_arm, a violation):
 * then the header and the module list go first.  A process that never
 * arms and records nothing leaves no file.  An unwritable path prints one
 * line (at that first record) and leaves the report off: the program
 * carries on.  parent_pid is nonzero in a fork child.  0 or -errno.
 */
int report_open(long parent_pid);
/*
 * report_open() and the file created at once, without header or modules
 * (report_header() and report_modules() then write them): for unit tests
 * and tools that drive the writer directly.  0 or -errno.
 */
int report_open_now(long parent_pid);
/* A fork child's report_open(), deferred to the first record or report_path(): most exec or exit first. */
void report_fork_child(long parent_pid);
bool report_enabled(void);
/* True once the file exists (the first record created it). */
bool report_written(void);
/* Creates the file now if it is still pending (header and modules first); true if it exists. */
bool report_create(void);
/* Why this process is a chosen program, for the header's "process" object. */
void report_set_choice(const char *why);
const char *report_path(void);

/* Expands a template for pid and exe into buf; 0, -EINVAL (unknown %) or -ENAMETOOLONG. */
int report_expand(const char *tmpl, long pid, const char *exe, char *buf, size_t cap);

/* Remembers the parent for the header written with the first record (writes it now after report_open_now). */
void report_header(long parent_pid);
/* Writes a module record for every loaded object not yet written. */
void report_modules(void);
/* What an arm record says besides its trigger (phase gathers it). */
struct report_arm_info {
	size_t prefault_bytes, prefault_before_arm;
	uint64_t prefault_wait_ns;
	void (*page_faults)(struct sb *sb); /* writes the "page_faults" object */
};
/* mlockall: NULL when PTFREEZE_MLOCKALL is off, else "locked" or "refused". */
void report_arm(const char *how, long minor, long major, const char *mlockall, const struct report_arm_info *info);
void report_disarm(void);
/* The first-sight record of a site, with the call that created it. */
void report_site(const struct site *s, const struct event *ev, long tid, unsigned long long t_ns);
void report_pool_grow(size_t bytes, int result, bool armed, const char *who);
/* Writes a record another module built (sb sized one byte short, for the newline). */
void report_record(struct sb *sb);
/*
 * The exit summary (summary.c builds it): begin says whether this process
 * writes it now (the file is open and ours, not yet written) and points sb
 * at the summary buffer; end writes the record even after a refused write,
 * and says on stderr how many records were lost.
 */
bool report_summary_begin(struct sb *sb);
void report_summary_end(struct sb *sb);
/* Records dropped since the file refused a write. */
uint64_t report_dropped_records(void);
/* Pieces of records: a JSON string, a {"minor","major"} object, the pool object (header and summary). */
void report_put_str(struct sb *sb, const char *s);
void report_put_faults(struct sb *sb, long minor, long major);
void report_put_pool(struct sb *sb);
/* After an exec that failed: the summary already written may be written again. */
void report_summary_again(void);
/* Prepares the summary buffer (from the pool) before arming. */
int report_prepare_summary(size_t max_sites);
/* Forgets which modules were written (fork child). */
void report_reset_modules(void);

#endif
