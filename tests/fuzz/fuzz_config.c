/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_config: the fuzz target for the PTFREEZE_* parser (src/config.c)
 * and the report path template (report_expand in src/report.c).
 *
 * The input is lines.  Every line becomes one environment entry for
 * config_load() as it is (so "PTFREEZE_ARM=delay:5s" sets that variable,
 * and garbage names, repeats and lines without '=' are tried too); every
 * line's value (after the first '=', or the whole line) also goes through
 * the size, duration, signal and boolean parsers and through every
 * variable's own parser in the table (PTFREEZE_ARM's, PTFREEZE_REPORT's...),
 * and pairs of lines are expanded as a template and an executable path.  Besides the sanitizers, the target aborts when a
 * property of the contract breaks:
 *  - after config_load(), or after any table parser accepts a value, every
 *    setting is in its documented range; the value recorded for each
 *    variable (config_value) is one its parser accepts;
 *  - a size, duration, signal or boolean the parser accepts reads back as
 *    the same number when printed plainly, and a signal is never one the
 *    guard must not take (SIGKILL, SIGSEGV...);
 *  - %e never adds a path component: the expansion has exactly as many
 *    slashes as the template's own text, and %e alone is never empty, "."
 *    or "..", nor starts with a dot.
 * Built with clang -fsanitize=fuzzer (make fuzz) and, with replay.c, as a
 * plain program that make check runs over the corpus and the regressions.
 */
#include "autoconf.h"
#include "config.h"
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 64

static void check(int ok, const char *what, const char *value)
{
	if (!ok) {
		fprintf(stderr, "fuzz_config: property broken: %s (value '%s')\n", what, value);
		abort();
	}
}

/* Exactly sized copies, so that ASan sees a read past the terminator. */
static char *copy(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s == NULL) {
		abort();
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void check_parsers(const char *v)
{
	char back[64];
	size_t sz;
	if (config_parse_size(v, &sz) == 0) {
		size_t again;
		snprintf(back, sizeof(back), "%zu", sz);
		check(config_parse_size(back, &again) == 0 && again == sz, "size does not read back", v);
	}
	uint64_t ns;
	if (config_parse_duration(v, &ns) == 0) {
		uint64_t again;
		snprintf(back, sizeof(back), "%" PRIu64 "ns", ns);
		check(config_parse_duration(back, &again) == 0 && again == ns, "duration does not read back", v);
	}
	int sig;
	if (config_parse_signal(v, &sig) == 0) {
		check(sig >= 1 && sig <= SIGRTMAX, "signal out of range", v);
		check(sig != SIGKILL && sig != SIGSTOP && sig != SIGSEGV && sig != SIGBUS && sig != SIGILL &&
			      sig != SIGFPE && sig != SIGSYS,
		      "a signal the guard must not take", v);
		const char *name = config_signal_name(sig);
		int again;
		if (name) {
			check(config_parse_signal(name, &again) == 0 && again == sig, "signal name does not read back", v);
		}
		snprintf(back, sizeof(back), "%d", sig);
		check(config_parse_signal(back, &again) == 0 && again == sig, "signal number does not read back", v);
	}
	bool b;
	if (config_parse_bool(v, &b) == 0) {
		bool again;
		check(config_parse_bool(b ? "1" : "0", &again) == 0 && again == b, "bool does not read back", v);
	}
}

/* Slashes a template writes itself (not through %p, %e or %%). */
static size_t template_slashes(const char *t)
{
	size_t n = 0;
	for (; *t; t++) {
		if (*t == '%' && t[1]) {
			t++;
		} else if (*t == '/') {
			n++;
		}
	}
	return n;
}

static void check_expand(const char *tmpl, const char *exe)
{
	char out[CONFIG_PATH_MAX];
	if (report_expand("%e", 42, exe, out, sizeof(out)) == 0) {
		check(strchr(out, '/') == NULL, "%e expanded to a slash", exe);
		check(out[0] != '\0' && out[0] != '.', "%e expanded to an empty or dot name", exe);
	}
	int r = report_expand(tmpl, 42, exe, out, sizeof(out));
	check(r == 0 || r == -EINVAL || r == -ENAMETOOLONG, "report_expand returned an unknown error", tmpl);
	if (r == 0) {
		check(strlen(out) < sizeof(out), "expansion not terminated", tmpl);
		size_t slashes = 0;
		for (const char *p = out; *p; p++) {
			slashes += *p == '/';
		}
		check(slashes == template_slashes(tmpl), "the expansion added a path component", tmpl);
	}
}

/* Every setting of c is in its documented range. */
static void check_settings(const struct config *c)
{
	check(c->pool_size >= (2u << 20) && c->pool_size % (2u << 20) == 0, "pool size", "");
	check(c->pool_grow % (2u << 20) == 0, "pool grow", "");
	check(c->hugepages <= HUGEPAGES_NONE, "hugepages", "");
	check(c->prefault_threads >= 0 && c->prefault_threads <= 1024, "prefault threads", "");
	check(c->verbose >= 0 && c->verbose <= 2, "verbose", "");
	check(c->mode <= MODE_WOULD_BLOCK, "mode", "");
	check(c->strict_action == STRICT_ERRNO || c->strict_action == STRICT_ABORT, "strict action", "");
	check(c->backtrace_depth >= 1 && c->backtrace_depth <= 128, "backtrace depth", "");
	check(c->max_sites >= 16 && c->max_sites <= 65536, "max sites", "");
	check(c->stack_prefault <= ((size_t)64 << 20), "stack prefault", "");
	check(memchr(c->report, '\0', sizeof(c->report)) != NULL, "report not terminated", "");
	if (c->arm_signal) {
		int again;
		char back[16];
		snprintf(back, sizeof(back), "%d", c->arm_signal);
		check(config_parse_signal(back, &again) == 0, "arming signal", back);
	}
	char out[CONFIG_PATH_MAX];
	check(c->report[0] == '\0' || strcmp(c->report, "stderr") == 0 ||
		      report_expand(c->report, 1, "x", out, sizeof(out)) != -EINVAL,
	      "an accepted report template does not expand", c->report);
}

/* After config_load: the settings, and the value recorded for each variable. */
static void check_loaded(void)
{
	check_settings(&config);
	struct config scratch;
	for (size_t i = 0; i < config_nvars; i++) {
		const char *v = config_value(i);
		check(strlen(v) < CONFIG_VALUE_MAX, "recorded value too long", config_vars[i].name);
		memset(&scratch, 0, sizeof(scratch));
		check(config_vars[i].parse(v, &scratch) == 0, "the recorded value does not parse", v);
	}
}

/* v through every variable's own parser (PTFREEZE_ARM's, PTFREEZE_REPORT's...). */
static void check_table_parsers(const char *v)
{
	if (strlen(v) >= CONFIG_VALUE_MAX) {
		return; /* config_load never passes such a value to a parser */
	}
	for (size_t i = 0; i < config_nvars; i++) {
		struct config c = config;
		if (config_vars[i].parse(v, &c) == 0) {
			check_settings(&c);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *lines[MAX_LINES + 1];
	size_t n = 0, ptf = 0;
	for (size_t i = 0; i <= size && n < MAX_LINES;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t end = nl ? (size_t)(nl - data) : size;
		lines[n++] = copy(data + i, end - i);
		i = end + 1;
	}
	lines[n] = NULL;
	for (size_t i = 0; i < n; i++) {
		ptf += strncmp(lines[i], "PTFREEZE_", 9) == 0 && strchr(lines[i], '=') != NULL;
	}

	int bad = config_load(lines);
	check(bad >= 0 && (size_t)bad <= ptf, "more values rejected than given", "");
	check_loaded();

	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(lines[i], '=');
		check_parsers(eq ? eq + 1 : lines[i]);
		check_table_parsers(eq ? eq + 1 : lines[i]);
		check_expand(eq ? eq + 1 : lines[i], lines[(i + 1) % n]);
	}
	for (size_t i = 0; i < n; i++) {
		free(lines[i]);
	}
	return 0;
}
