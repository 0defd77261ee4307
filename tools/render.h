/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * render: the three output formats of `ptfreeze report`, from a merged,
 * symbolised set (reportfile.h):
 *  - text: the totals, a line per kind, the top sites of each kind (every
 *    site with --all), the page-fault classes, per process the header
 *    facts (a line per group of alike processes when there are many), then
 *    each shown site's arguments and stack;
 *  - JSON: one document (processes, sites with symbolised frames) for
 *    tools, written with jansson;
 *  - folded: "kind;outermost;...;innermost COUNT" lines for flamegraph.pl
 *    and speedscope, no spaces inside a frame.
 * Only formats: reads nothing, decides no exit status.
 */
#ifndef PTFREEZE_RENDER_H
#define PTFREEZE_RENDER_H

#include <stdio.h>

#include "reportfile.h"

/* The first screen only: totals, kinds, the top sites of each kind, processes (a table when many). */
void render_text(FILE *out, const struct rf_set *set);
/* With all: every site, and every process's facts. */
void render_text_all(FILE *out, const struct rf_set *set, bool all);
/*
 * A short summary for `ptfreeze run` after the program exits: one line of
 * totals, then a line for each of the first `top` violation sites (kind,
 * count, where).  Symbolise the first `top` groups first for names.
 */
void render_brief(FILE *out, const struct rf_set *set, size_t top);
/* Marks in shown[0..ngroups) the groups the text shows (all: every one); returns how many. */
size_t render_text_shown(const struct rf_set *set, bool all, bool *shown);
/* 0, or -1 if the document could not be written. */
int render_json(FILE *out, const struct rf_set *set);
void render_folded(FILE *out, const struct rf_set *set);

/* True for a site group of page faults (observed, not violations). */
bool render_is_fault(const struct rf_group *g);

#endif
