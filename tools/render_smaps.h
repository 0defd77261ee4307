/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * render_smaps: the text form of a smaps-diff record (what changed in the
 * address space between arming and exit) for `ptfreeze report`.  The JSON
 * form is the record itself; the folded form has no place for it (it has
 * no stack).  Only formats.
 */
#ifndef PTFREEZE_RENDER_SMAPS_H
#define PTFREEZE_RENDER_SMAPS_H

#include <jansson.h>
#include <stdio.h>

/* Lines for one process; at most `listed` mappings per list (0: all the record has). */
void render_smaps_text(FILE *out, const json_t *diff, size_t listed);

#endif
