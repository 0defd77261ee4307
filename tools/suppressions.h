/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * suppressions: the report's side of PTFREEZE_SUPPRESS and
 * PTFREEZE_NUMA_NODE.  Prints what a process suppressed (the summary's
 * "suppressed" rules with their counts) and where its pool's pages are
 * (the pool's "numa" object), and writes a starting suppression file from
 * merged sites (`ptfreeze report --suppressions-out FILE`): one rule per
 * site, its kind and the function of its innermost frame in the program.
 */
#ifndef PTFREEZE_SUPPRESSIONS_H
#define PTFREEZE_SUPPRESSIONS_H

#include <stdio.h>

#include "reportfile.h"

/* "  numa        ..." for a pool object (nothing when it has no numa). */
void suppressions_text_numa(FILE *out, const json_t *pool);
/* "  suppressed  ..." lines for a process (nothing when no rule was loaded). */
void suppressions_text_process(FILE *out, const struct rf_process *p);
/* Calls taken by suppression rules in every process. */
unsigned long long suppressions_total(const struct rf_set *set);
/*
 * Writes a suppression file for every site of set (frames symbolised) to
 * path ("-": standard output).  0, or -1 with one line printed.
 */
int suppressions_write(const char *path, const struct rf_set *set);
/* The rule written for g into buf ("" when no frame gives a name). */
void suppressions_rule_for(const struct rf_group *g, char *buf, size_t cap);

#endif
