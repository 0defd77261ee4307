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

#include "capture.h"
#include "guard.h"

#define REPORT_VERSION 1

/*
 * Expands config.report (%p pid, %e executable name, %% a percent; the
 * expansion cannot add a path component) and opens it.  An unwritable path
 * prints one line and leaves the report off: the program carries on.
 * parent_pid is nonzero in a fork child.  0 or -errno.
 */
int report_open(long parent_pid);
bool report_enabled(void);
const char *report_path(void);

/* Expands a template for pid and exe into buf; 0, -EINVAL (unknown %) or -ENAMETOOLONG. */
int report_expand(const char *tmpl, long pid, const char *exe, char *buf, size_t cap);

void report_header(long parent_pid);
/* Writes a module record for every loaded object not yet written. */
void report_modules(void);
/* mlockall: NULL when PTFREEZE_MLOCKALL is off, else "locked" or "refused". */
void report_arm(const char *how, long minor, long major, const char *mlockall);
void report_disarm(void);
/* The first-sight record of a site, with the call that created it. */
void report_site(const struct site *s, const struct event *ev, long tid, unsigned long long t_ns);
void report_pool_grow(size_t bytes, int result, bool armed, const char *who);
/* The exit summary; written once. */
void report_summary(const char *why);
/*
 * The summary from _exit: written unless this is a vfork child (it shares
 * the parent's memory, report and summary flag).  Async-signal-safe.
 */
void report_summary_at_exit(void);
/* Prepares the summary buffer (from the pool) before arming. */
int report_prepare_summary(size_t max_sites);
/* Forgets which modules were written (fork child). */
void report_reset_modules(void);

#endif
