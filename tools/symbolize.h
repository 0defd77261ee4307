/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * symbolize: offline symbolisation of report stacks with libdw (elfutils).
 * Each module file is opened once (one Dwfl per path, reported at bias 0,
 * so a frame is looked up at its module-relative address) and its symbol
 * table, DWARF line table and separate debug info (found by build-id or
 * .gnu_debuglink, as dwfl_standard_find_debuginfo does) are used for every
 * process of the run.  A file whose build-id differs from the one the
 * report recorded was rebuilt since the run: its frames are left
 * unsymbolised rather than named wrongly.  Never runs in the shim.
 */
#ifndef PTFREEZE_SYMBOLIZE_H
#define PTFREEZE_SYMBOLIZE_H

#include <stddef.h>

#include "reportfile.h"

struct symbolizer;

struct symbolizer *symbolize_new(void);
/* Frees every Dwfl; strings handed out in frames die with it. */
void symbolize_free(struct symbolizer *s);

/*
 * Fills function, file and line of frames[0..n) where the module's file
 * has symbols or debug info.  Prints at most one warning per module file
 * that cannot be used (missing, or rebuilt since the run).
 */
void symbolize_frames(struct symbolizer *s, struct rf_frame *frames, size_t n);

#endif
