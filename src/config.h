/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config: every PTFREEZE_* variable, parsed once at start-up from one
 * table (config_vars, made from src/options.inc, which docs/ptfreeze.7
 * mirrors: tests/options-doc.sh), into `config`.
 * A malformed value prints one line naming the variable, the value and the
 * accepted form, and the documented default is used instead.  After
 * config_load() the struct is read-only.  Parsing never allocates: it can
 * run before libc's allocator is usable.
 */
#ifndef PTFREEZE_CONFIG_H
#define PTFREEZE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hugepages_mode { HUGEPAGES_AUTO, HUGEPAGES_1G, HUGEPAGES_2M, HUGEPAGES_THP, HUGEPAGES_NONE };
enum guard_mode { MODE_OFF, MODE_REPORT, MODE_STRICT, MODE_WOULD_BLOCK };
enum strict_action { STRICT_ERRNO, STRICT_ABORT };

#define CONFIG_PATH_MAX 1024
#define CONFIG_VALUE_MAX 256

/* The variables' values: one member per PTFREEZE_OPTION/PTFREEZE_FIELD of options.inc. */
struct config {
#define PTFREEZE_OPTION(type, field, ...) type field;
#define PTFREEZE_FIELD(type, field) type field;
#include "options.inc"
};

struct config_var {
	const char *name;
	const char *def;    /* default, as a user would write it */
	const char *form;   /* the accepted form, for error messages and docs */
	const char *doc;    /* one line for --help and the man page */
	int (*parse)(const char *value, struct config *c);
};

extern struct config config;
extern const struct config_var config_vars[];
extern const size_t config_nvars;

/*
 * Parses the environment (envp, or /proc/self/environ when envp is NULL)
 * into `config`.  A set-user-ID or otherwise secure-execution process
 * ignores every variable and has its report off (the default path is in
 * its caller's directory).  Returns the number of values rejected.
 */
int config_load(char **envp);
/* The value in force for variable i (the user's, or the default). */
const char *config_value(size_t i);

/* Parsers, exposed for unit tests and the ptfreeze command. */
int config_parse_size(const char *s, size_t *out);
/* 0 if s is a comma-separated list of globs (no empty item, no control character), else -EINVAL. */
int config_parse_globs(const char *s, bool allow_empty);
int config_parse_duration(const char *s, uint64_t *ns);
int config_parse_signal(const char *s, int *sig);
int config_parse_bool(const char *s, bool *out);
const char *config_hugepages_name(enum hugepages_mode m);
const char *config_mode_name(enum guard_mode m);
/* "USR2" for SIGUSR2, or NULL when the signal has no short name here. */
const char *config_signal_name(int sig);
#endif
