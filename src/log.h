/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log: one-line messages to fd 2 with write(2), in the form
 *   ptfreeze[PID]: error: PTFREEZE_POOL: cannot parse 'banana' (...)
 * Quiet by default, because the program's stderr is the program's: during
 * start-up (until the constructor returns, and while arming applies its
 * settings) errors and warnings are printed, so a setting the shim cannot
 * honour is said once; afterwards only errors are, and warnings (per-event lines among them) only with
 * PTFREEZE_LOG=stderr.  Errors and warnings are capped (LOG_MAX_LINES) so a
 * misbehaving program cannot flood stderr; info and debug lines appear only
 * at the verbosity PTFREEZE_VERBOSE asks for.  A line is never allowed to
 * block: on a full pipe it is dropped and counted.  Async-signal-safe,
 * never allocates.
 */
#ifndef PTFREEZE_LOG_H
#define PTFREEZE_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

#define LOG_MAX_LINES 100

/* Sets the verbosity (0: errors and warnings, 1: info, 2: debug). */
void log_set_verbosity(int verbose);
int log_verbosity(void);
/* PTFREEZE_LOG=stderr: warnings after start-up too (set by init from config). */
void log_set_stderr(bool on);
/* True while the constructor runs or arming applies settings: lines are printed unasked. */
bool log_startup(void);
/* Brackets the arming sequence (nests; async-signal-safe). */
void log_applying(bool on);
/* Lines not written because fd 2 would have blocked. */
unsigned long log_dropped(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
