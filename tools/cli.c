/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli: messages, allocation, formatting and option validation shared by
 * the subcommands (see cli.h).  Must not know any one subcommand.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

void cli_msg(const char *level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fflush(stdout);
	fputs("ptfreeze: ", stderr);
	if (level) {
		fprintf(stderr, "%s: ", level);
	}
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

bool cli_parse_choice(const char *cmd, const char *opt, const char *arg, const char *const *names, int *out)
{
	char list[256] = "";
	for (int i = 0; names[i]; i++) {
		if (strcmp(arg, names[i]) == 0) {
			*out = i;
			return true;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", names[i]);
	}
	cli_error("%s: %s: '%s' is not one of %s", cmd, opt, arg, list);
	return false;
}

int cli_bad_option(const char *cmd, const char *arg)
{
	cli_error("%s: unknown option or missing value: '%s' (see 'ptfreeze %s --help')", cmd, arg, cmd);
	return CLI_INVALID;
}

int cli_option_end(const char *cmd, int c, char **argv, void (*usage)(FILE *out))
{
	if (c == 'h') {
		usage(stdout);
		return CLI_OK;
	}
	return cli_bad_option(cmd, argv[optind - 1]);
}

static void *checked(void *p)
{
	if (p == NULL) {
		cli_error("out of memory");
		exit(CLI_INVALID);
	}
	return p;
}

void *cli_malloc(size_t n) { return checked(malloc(n ? n : 1)); }
void *cli_calloc(size_t n, size_t size) { return checked(calloc(n ? n : 1, size ? size : 1)); }
void *cli_realloc(void *p, size_t n) { return checked(realloc(p, n ? n : 1)); }
char *cli_strdup(const char *s) { return checked(strdup(s)); }

char *cli_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return checked(n < 0 ? NULL : s);
}

const char *cli_size(uint64_t v, char *buf, size_t cap)
{
	static const char units[] = "KMGT";
	if (v < 1024) {
		snprintf(buf, cap, "%lluB", (unsigned long long)v);
		return buf;
	}
	double d = (double)v;
	int u = -1;
	while (d >= 1024 && u < 3) {
		d /= 1024;
		u++;
	}
	/* Exact multiples read best without a fraction: 256M, not 256.0M. */
	if (d == (double)(uint64_t)d || d >= 100) {
		snprintf(buf, cap, "%.0f%c", d, units[u]);
	} else {
		snprintf(buf, cap, "%.1f%c", d, units[u]);
	}
	return buf;
}

const char *cli_duration(uint64_t ns, char *buf, size_t cap)
{
	if (ns < 1000) {
		snprintf(buf, cap, "%lluns", (unsigned long long)ns);
	} else if (ns < 1000000) {
		snprintf(buf, cap, "%.1fus", (double)ns / 1e3);
	} else if (ns < 1000000000) {
		snprintf(buf, cap, "%.1fms", (double)ns / 1e6);
	} else {
		snprintf(buf, cap, "%.2fs", (double)ns / 1e9);
	}
	return buf;
}

const void *cli_find_named(const void *table, size_t n, size_t stride, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const void *entry = (const char *)table + i * stride;
		/* A pointer to a struct, converted, points to its first member. */
		if (strcmp(*(const char *const *)entry, name) == 0) {
			return entry;
		}
	}
	return NULL;
}

static const struct config_var *find_var(const char *var)
{
	return cli_find_named(config_vars, config_nvars, sizeof(config_vars[0]), var);
}

bool cli_check_value(const char *option, const char *var, const char *value)
{
	const struct config_var *v = find_var(var);
	struct config scratch;
	memset(&scratch, 0, sizeof(scratch));
	if (v == NULL) {
		return true;
	}
	if (value[0] == '\0' || strlen(value) >= CONFIG_VALUE_MAX || v->parse(value, &scratch) != 0) {
		cli_error("%s: cannot parse '%s' (expected %s)", option, value, v->form);
		return false;
	}
	return true;
}

const char *cli_default(const char *var)
{
	const struct config_var *v = find_var(var);
	return v ? v->def : NULL;
}

uint64_t cli_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	}
	return h;
}
