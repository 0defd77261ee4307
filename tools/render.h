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
 * Only formats: reads nothing, decides no exit status.  One file per
 * format (render_text.c, render_json.c, render_folded.c), what they share
 * in render.c, the arguments decoded for people in render_args.c.
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
void render_text_brief(FILE *out, const struct rf_set *set, size_t top);
/* Marks in shown[0..ngroups) the groups the text shows (all: every one); returns how many. */
size_t render_text_shown(const struct rf_set *set, bool all, bool *shown);
/* 0, or -1 if the document could not be written. */
int render_json(FILE *out, const struct rf_set *set);
void render_folded(FILE *out, const struct rf_set *set);

/* True for a site group of page faults (observed, not violations). */
bool render_is_fault(const struct rf_group *g);

/* ---- shared by the render_*.c files (render.c) ---- */

/* The last component of a path. */
const char *render_base_name(const char *path);
/* How a frame is named where a function name is unknown: module+0xoff. */
void render_frame_name(const struct rf_frame *f, char *buf, size_t cap);
/* "function (file.c:12)" for the innermost frame; "-" without a stack. */
void render_where(const struct rf_group *g, char *buf, size_t cap);
/* The pool object: the summary's, else the header's. */
const json_t *render_pool_of(const struct rf_process *p);
/* Nanoseconds from the shim's start to the first arming, or -1. */
long long render_armed_after_ns(const struct rf_process *p);
/* Events of this process: its own sites' counts. */
unsigned long long render_process_events(const struct rf_process *p);
/* Whether the process was armed at some point. */
bool render_was_armed(const struct rf_process *p);
/* The sampling state: the summary's, else the arm record's; NULL for reports from before it existed. */
const json_t *render_sampling_of(const struct rf_process *p);
/* A page-fault group's address class ("unknown" if none) and mapping (NULL if none). */
const char *render_fault_class(const struct rf_group *g);
const char *render_fault_path(const struct rf_group *g);
/* Page-fault sites summed by address class and mapping, most faults first. */
struct render_fault_row {
	const char *cls, *path;
	uint64_t faults;
	size_t sites;
};
struct render_fault_row *render_fault_rows(const struct rf_set *set, size_t *n);

/* A record's arguments, decoded for people (render_args.c). */
void render_args_put(FILE *out, const char *kind, const json_t *args);

#endif
