/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * render: the three output formats of `ptfreeze report`, from a merged,
 * symbolised set (reportfile.h):
 *  - text: per process the header facts, then a table of sites most
 *    important first, then each site's arguments and stack;
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

void render_text(FILE *out, const struct rf_set *set);
/* 0, or -1 if the document could not be written. */
int render_json(FILE *out, const struct rf_set *set);
void render_folded(FILE *out, const struct rf_set *set);

/* True for a site group of page faults (observed, not violations). */
bool render_is_fault(const struct rf_group *g);

#endif
