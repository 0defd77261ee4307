/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * target: finds the program `ptfreeze run` is asked to run, the way
 * execvp(3) would, and vets it before anything runs: the dynamic loader
 * ignores LD_PRELOAD for set-user-ID and set-group-ID programs and never
 * runs for statically linked ones, and a program of another ELF class or
 * machine cannot load the library.  Running those anyway would produce an
 * empty report and a false all-clear, so `run` refuses them instead.
 */
#ifndef PTFREEZE_TARGET_H
#define PTFREEZE_TARGET_H

#include <stddef.h>

/*
 * Resolves cmd as execvp does: a name with a '/' is used as it is, others
 * are searched in $PATH (default "/bin:/usr/bin").  Writes the path into
 * out.  0, -ENOENT (not found), -EACCES (found, not executable) or
 * -ENAMETOOLONG.
 */
int target_resolve(const char *cmd, char *out, size_t cap);

/*
 * Checks that the program at path (and the interpreter of a #! script,
 * recursively) can be preloaded.  Prints one error line naming cmd and
 * the reason and returns -1 if not; 0 if it can.
 */
int target_check(const char *cmd, const char *path);

#endif
