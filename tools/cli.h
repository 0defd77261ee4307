/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli: what every ptfreeze subcommand shares: the exit statuses, one-line
 * messages on stderr ("ptfreeze: error: ..."), allocation that never
 * returns NULL, human-readable sizes and durations, and validation of
 * option values by the shim's own parsers (src/config.c), so the command
 * and the library accept exactly the same values.  Ordinary userland code:
 * stdio and malloc are fine here, this never runs inside the shim.
 */
#ifndef PTFREEZE_CLI_H
#define PTFREEZE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses shared by every subcommand (see ptfreeze(1), EXIT STATUS). */
enum {
	CLI_OK = 0,      /* nothing found */
	CLI_FOUND = 1,   /* violations (report) or WARN/FAIL items (check) */
	CLI_INVALID = 2, /* bad usage, unreadable or invalid input, cannot run */
};

/* The subcommands: each takes its own argv (argv[0] is the subcommand name). */
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
void cmd_run_usage(FILE *out);
void cmd_report_usage(FILE *out);
void cmd_check_usage(FILE *out);

/* "ptfreeze: error: <message>\n" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "ptfreeze: warning: <message>\n" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "ptfreeze: <message>\n" on stderr. */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The usage error every subcommand prints for a bad option; returns CLI_INVALID. */
int cli_bad_option(const char *cmd, const char *arg);
/*
 * --format's value: the index of arg in names (NULL-terminated) in *out,
 * true; or one line naming the choices, false.
 */
bool cli_parse_choice(const char *cmd, const char *opt, const char *arg, const char *const *names, int *out);

/* Allocation that exits with CLI_INVALID and one line when memory runs out. */
void *cli_malloc(size_t n);
void *cli_calloc(size_t n, size_t size);
void *cli_realloc(void *p, size_t n);
char *cli_strdup(const char *s);
/* FNV-1a of a string (hash tables of the command). */
uint64_t cli_hash(const char *s);
/* A formatted string on the heap. */
char *cli_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "64K", "8.3M", "256M", "1.5G", "12B" into buf. */
const char *cli_size(uint64_t bytes, char *buf, size_t cap);
/* "850ns", "11.6us", "305.8ms", "2.50s" into buf. */
const char *cli_duration(uint64_t ns, char *buf, size_t cap);

/*
 * Checks value with the shim's parser for the PTFREEZE_* variable var.
 * On error prints "ptfreeze: error: OPTION: cannot parse 'VALUE' (expected
 * FORM)" and returns false.
 */
bool cli_check_value(const char *option, const char *var, const char *value);
/* The library's default for var ("256M" for PTFREEZE_POOL), or NULL. */
const char *cli_default(const char *var);

#endif
