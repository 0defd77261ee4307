/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the exit summary record (docs/report-format.md): what the armed
 * phase cost, every site's counts, the suppressions, the pool, the page-fault
 * sampler, the thread stacks.  Lifecycle layer: it asks every module for
 * its counts, settles a delay that fell due unnoticed (phase), stops the
 * sampler and writes the smaps difference first, then hands the record to
 * the report file.  Written once per process (report_summary_again() after
 * a failed exec); nothing when the report file is not open.
 */
#ifndef PTFREEZE_SUMMARY_H
#define PTFREEZE_SUMMARY_H

/* why: "exit", "exec", "abort". */
void summary_write(const char *why);

#endif
