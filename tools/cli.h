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

/* "ptfreeze: LEVEL: <message>\n" on stderr ("ptfreeze: <message>\n" for a NULL level). */
void cli_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "ptfreeze: error: <message>\n" on stderr. */
#define cli_error(...) cli_msg("error", __VA_ARGS__)
/* "ptfreeze: warning: <message>\n" on stderr. */
#define cli_warn(...) cli_msg("warning", __VA_ARGS__)
/* "ptfreeze: <message>\n" on stderr. */
#define cli_note(...) cli_msg(NULL, __VA_ARGS__)
/* The usage error every subcommand prints for a bad option; returns CLI_INVALID. */
int cli_bad_option(const char *cmd, const char *arg);
/*
 * The end of every subcommand's option loop, for getopt_long's c that the
 * subcommand does not take itself: 'h' (--help) prints usage on stdout and
 * returns CLI_OK; anything else is cli_bad_option's usage error.
 */
int cli_option_end(const char *cmd, int c, char **argv, void (*usage)(FILE *out));
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

/*
 * The entry named name in a table of n entries, stride bytes apart, each a
 * struct whose first member is its const char *name; NULL if none.
 */
const void *cli_find_named(const void *table, size_t n, size_t stride, const char *name);

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
