/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log: one-line messages to fd 2 with write(2), in the form
 *   ptfreeze[PID]: error: PTFREEZE_POOL: cannot parse 'banana' (...)
 * Errors and warnings are capped (LOG_MAX_LINES) so a misbehaving program
 * cannot flood stderr; info and debug lines appear only at the verbosity
 * PTFREEZE_VERBOSE asks for.  Async-signal-safe, never allocates.
 */
#ifndef PTFREEZE_LOG_H
#define PTFREEZE_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

#define LOG_MAX_LINES 100

/* Sets the verbosity (0: errors and warnings, 1: info, 2: debug). */
void log_set_verbosity(int verbose);
int log_verbosity(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
