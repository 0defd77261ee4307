/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config: the PTFREEZE_* table and its parsers (see config.h).  Must not
 * allocate or use stdio or getenv: it runs in the constructor, and may run
 * before libc is fully initialised.  Hazard: sscanf/strtod may allocate, so
 * numbers are parsed by hand.
 */
#include "autoconf.h"
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/sysinfo.h>

#include "kinds.h"
#include "log.h"
#include "sys.h"

struct config config;

static char values[32][CONFIG_VALUE_MAX];

static bool streq(const char *a, const char *b) { return strcmp(a, b) == 0; }

static bool strcaseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = (char)(*a | 0x20), y = (char)(*b | 0x20);
		if (x != y) {
			return false;
		}
	}
	return *a == *b;
}

/* Parses a decimal integer prefix; returns chars used, 0 on none/overflow. */
static size_t parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			return 0;
		}
		v = v * 10 + d;
	}
	*out = v;
	return i;
}

/*
 * A decimal number and a unit: unit(suffix) is the unit's multiplier (0:
 * not a unit).  The product into *out if at most max; -EINVAL or -ERANGE.
 */
static int parse_scaled(const char *s, uint64_t (*unit)(const char *u), uint64_t max, uint64_t *out)
{
	uint64_t v;
	size_t n = parse_u64(s, &v);
	if (n == 0) {
		return -EINVAL;
	}
	uint64_t mul = unit(s + n);
	if (mul == 0) {
		return -EINVAL;
	}
	if (v > max / mul) {
		return -ERANGE;
	}
	*out = v * mul;
	return 0;
}

/* k, m, g, t (KiB ...), each with an optional i, then an optional b; none: bytes. */
static uint64_t size_unit(const char *u)
{
	unsigned shift = 0;
	switch (*u | 0x20) {
	case 'k': shift = 10; u++; break;
	case 'm': shift = 20; u++; break;
	case 'g': shift = 30; u++; break;
	case 't': shift = 40; u++; break;
	default: break;
	}
	if (shift && (*u == 'i' || *u == 'I')) {
		u++;
	}
	if (*u == 'b' || *u == 'B') {
		u++;
	}
	return *u == '\0' ? (uint64_t)1 << shift : 0;
}

int config_parse_size(const char *s, size_t *out)
{
	uint64_t v;
	int r = parse_scaled(s, size_unit, SIZE_MAX, &v);
	if (r == 0) {
		*out = (size_t)v;
	}
	return r;
}

/* In nanoseconds: s (or none), ms, us, ns, m or min. */
static uint64_t duration_unit(const char *u)
{
	if (*u == '\0' || streq(u, "s")) {
		return 1000000000u;
	} else if (streq(u, "ms")) {
		return 1000000u;
	} else if (streq(u, "us")) {
		return 1000u;
	} else if (streq(u, "ns")) {
		return 1u;
	} else if (streq(u, "m") || streq(u, "min")) {
		return 60000000000u;
	}
	return 0;
}

int config_parse_duration(const char *s, uint64_t *ns) { return parse_scaled(s, duration_unit, UINT64_MAX, ns); }

static const struct {
	const char *name;
	int sig;
} signames[] = {
	{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP}, {"WINCH", SIGWINCH},
	{"URG", SIGURG},   {"PWR", SIGPWR},   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
};

const char *config_signal_name(int sig)
{
	for (size_t i = 0; i < sizeof(signames) / sizeof(signames[0]); i++) {
		if (signames[i].sig == sig) {
			return signames[i].name;
		}
	}
	return NULL;
}

int config_parse_signal(const char *s, int *sig)
{
	if ((s[0] | 0x20) == 's' && (s[1] | 0x20) == 'i' && (s[2] | 0x20) == 'g') {
		s += 3;
	}
	for (size_t i = 0; i < sizeof(signames) / sizeof(signames[0]); i++) {
		if (strcaseeq(s, signames[i].name)) {
			*sig = signames[i].sig;
			return 0;
		}
	}
	uint64_t v;
	if (strncmp(s, "RTMIN+", 6) == 0 || strncmp(s, "rtmin+", 6) == 0) {
		size_t n = parse_u64(s + 6, &v);
		if (n == 0 || s[6 + n] != '\0' || v > (uint64_t)(SIGRTMAX - SIGRTMIN)) {
			return -EINVAL;
		}
		*sig = SIGRTMIN + (int)v;
		return 0;
	}
	size_t n = parse_u64(s, &v);
	if (n == 0 || s[n] != '\0' || v < 1 || v > (uint64_t)SIGRTMAX || v == SIGKILL || v == SIGSTOP ||
	    v == SIGSEGV || v == SIGBUS || v == SIGILL || v == SIGFPE || v == SIGSYS) {
		return -EINVAL;
	}
	*sig = (int)v;
	return 0;
}

int config_parse_bool(const char *s, bool *out)
{
	if (streq(s, "1") || strcaseeq(s, "yes") || strcaseeq(s, "on") || strcaseeq(s, "true")) {
		*out = true;
	} else if (streq(s, "0") || strcaseeq(s, "no") || strcaseeq(s, "off") || strcaseeq(s, "false")) {
		*out = false;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	uint64_t v;
	size_t n = parse_u64(s, &v);
	if (n == 0 || s[n] != '\0' || v < (uint64_t)lo || v > (uint64_t)hi) {
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

static size_t mem_total(void)
{
	struct sysinfo si;
	if (sysinfo(&si) != 0) {
		return SIZE_MAX;
	}
	return (size_t)si.totalram * si.mem_unit;
}

static int p_pool(const char *s, struct config *c)
{
	size_t v;
	if (config_parse_size(s, &v) != 0 || v < (2u << 20) || v > mem_total()) {
		return -EINVAL;
	}
	c->pool_size = (v + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
	return 0;
}

static int p_grow(const char *s, struct config *c)
{
	size_t v;
	if (config_parse_size(s, &v) != 0 || v > mem_total()) {
		return -EINVAL;
	}
	c->pool_grow = (v + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
	return 0;
}

/* PTFREEZE_HUGEPAGES: auto, or the value that asks for a backing (kinds.inc), in the backings' order. */
_Static_assert(HUGEPAGES_1G == BACKING_HUGETLB_1G + 1 && HUGEPAGES_NONE == BACKING_4K + 1 &&
		       BACKING_COUNT == BACKING_4K + 1,
	       "enum hugepages_mode follows enum backing");
static const char *const mode_names[] = {"off", "report", "strict", "would-block"};

const char *config_hugepages_name(enum hugepages_mode m)
{
	return m == HUGEPAGES_AUTO ? "auto" : kinds_backing_asked((enum backing)(m - 1));
}
const char *config_mode_name(enum guard_mode m) { return mode_names[m]; }

static int p_hugepages(const char *s, struct config *c)
{
	for (int i = 0; i <= HUGEPAGES_NONE; i++) {
		if (strcaseeq(s, config_hugepages_name((enum hugepages_mode)i))) {
			c->hugepages = (enum hugepages_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int p_mlock(const char *s, struct config *c) { return config_parse_bool(s, &c->mlock); }

static int p_threads(const char *s, struct config *c) { return parse_int(s, 0, 1024, &c->prefault_threads); }

static int p_verbose(const char *s, struct config *c)
{
	bool b;
	if (config_parse_bool(s, &b) == 0 && !streq(s, "1")) {
		c->verbose = b;
		return 0;
	}
	return parse_int(s, 0, 2, &c->verbose);
}

static int p_mode(const char *s, struct config *c)
{
	for (int i = 0; i < 4; i++) {
		if (strcaseeq(s, mode_names[i])) {
			c->mode = (enum guard_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int p_arm(const char *s, struct config *c)
{
	bool manual = false;
	uint64_t delay = 0;
	int sig = 0;
	char item[64];
	if (*s == '\0') {
		return -EINVAL;
	}
	while (*s) {
		size_t n = strcspn(s, ",");
		if (n == 0 || n >= sizeof(item)) {
			return -EINVAL;
		}
		memcpy(item, s, n);
		item[n] = '\0';
		s += n;
		if (*s == ',') {
			s++;
			if (*s == '\0') {
				return -EINVAL;
			}
		}
		if (strcaseeq(item, "manual")) {
			manual = true;
		} else if (strncmp(item, "delay:", 6) == 0) {
			if (config_parse_duration(item + 6, &delay) != 0 || delay == 0) {
				return -EINVAL;
			}
		} else if (strncmp(item, "signal:", 7) == 0) {
			if (config_parse_signal(item + 7, &sig) != 0) {
				return -EINVAL;
			}
		} else {
			return -EINVAL;
		}
	}
	c->arm_manual = manual;
	c->arm_delay_ns = delay;
	c->arm_signal = sig;
	return 0;
}

/* Which of two words s is, case aside: false for no, true for yes, else -EINVAL. */
static int one_of(const char *s, const char *no, const char *yes, bool *out)
{
	if (!strcaseeq(s, no) && !strcaseeq(s, yes)) {
		return -EINVAL;
	}
	*out = strcaseeq(s, yes);
	return 0;
}

static int p_action(const char *s, struct config *c)
{
	bool abort_;
	int r = one_of(s, "errno", "abort", &abort_);
	if (r == 0) {
		c->strict_action = abort_ ? STRICT_ABORT : STRICT_ERRNO;
	}
	return r;
}

/*
 * A file name option: "off" or "none" clears dst; else s (1 to cap - 1
 * bytes), if valid accepts it, goes into dst.
 */
static int p_path(const char *s, char *dst, size_t cap, bool (*valid)(const char *s, size_t n))
{
	size_t n = strlen(s);
	if (n == 0 || n >= cap) {
		return -EINVAL;
	}
	if (strcaseeq(s, "off") || strcaseeq(s, "none")) {
		dst[0] = '\0';
		return 0;
	}
	if (!valid(s, n)) {
		return -EINVAL;
	}
	memcpy(dst, s, n + 1);
	return 0;
}

/* Only %p, %e and %% are known; a stray % is an error, not a guess. */
static bool report_name_ok(const char *s, size_t n)
{
	(void)n;
	for (const char *p = s; *p; p++) {
		if (*p == '%') {
			p++;
			if (*p != 'p' && *p != 'e' && *p != '%') {
				return false;
			}
		}
	}
	return true;
}

static int p_report(const char *s, struct config *c)
{
	return p_path(s, c->report, sizeof(c->report), report_name_ok);
}

static int p_log(const char *s, struct config *c) { return one_of(s, "off", "stderr", &c->log_stderr); }

static int p_depth(const char *s, struct config *c) { return parse_int(s, 1, 128, &c->backtrace_depth); }
static int p_sites(const char *s, struct config *c) { return parse_int(s, 16, 65536, &c->max_sites); }
static int p_serve(const char *s, struct config *c) { return config_parse_bool(s, &c->serve_mmap); }
static int p_mlockall(const char *s, struct config *c) { return config_parse_bool(s, &c->mlockall); }
static int p_seccomp(const char *s, struct config *c) { return config_parse_bool(s, &c->seccomp); }

static int p_faults(const char *s, struct config *c) { return config_parse_bool(s, &c->faults); }
static int p_front(const char *s, struct config *c) { return config_parse_bool(s, &c->front); }
static int p_spans(const char *s, struct config *c) { return config_parse_bool(s, &c->spans); }

/* A stack prefault size: up to 64 MiB. */
static int parse_stack_size(const char *s, size_t *out)
{
	size_t v;
	if (config_parse_size(s, &v) != 0 || v > ((size_t)64 << 20)) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int p_stack(const char *s, struct config *c) { return parse_stack_size(s, &c->stack_prefault); }

/* A path, but not one a typo made: no control characters, no edge spaces. */
static bool suppress_name_ok(const char *s, size_t n)
{
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			return false;
		}
	}
	return s[0] != ' ' && s[n - 1] != ' ';
}

static int p_suppress(const char *s, struct config *c)
{
	return p_path(s, c->suppress, sizeof(c->suppress), suppress_name_ok);
}

static int p_numa(const char *s, struct config *c)
{
	if (strcaseeq(s, "any")) {
		c->numa_node = -1;
		return 0;
	}
	return parse_int(s, 0, 1023, &c->numa_node);
}

static int p_tstacks(const char *s, struct config *c) { return parse_int(s, 0, 4096, &c->thread_stacks); }

static int p_tstack_prefault(const char *s, struct config *c)
{
	return parse_stack_size(s, &c->thread_stack_prefault);
}

int config_parse_globs(const char *s, bool allow_empty)
{
	if (*s == '\0') {
		return allow_empty ? 0 : -EINVAL;
	}
	size_t item = 0;
	for (const char *p = s;; p++) {
		if (*p == ',' || *p == '\0') {
			if (item == 0) {
				return -EINVAL;
			}
			if (*p == '\0') {
				return 0;
			}
			item = 0;
			continue;
		}
		if ((unsigned char)*p < 0x20 || *p == 0x7f || (item == 0 && *p == ' ') || (*p == ' ' && (p[1] == ',' || p[1] == '\0'))) {
			return -EINVAL;
		}
		item++;
	}
}

/* A list of program globs (config_parse_globs checks it) into dst. */
static int set_globs(const char *s, char *dst, size_t cap)
{
	if (config_parse_globs(s, false) != 0 || strlen(s) >= cap) {
		return -EINVAL;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int p_programs(const char *s, struct config *c) { return set_globs(s, c->programs, sizeof(c->programs)); }

static int p_skip(const char *s, struct config *c)
{
	/* "none" (the default) skips nothing: a program named so is "*\/none". */
	if (strcmp(s, "none") == 0 || *s == '\0') {
		c->skip[0] = '\0';
		return 0;
	}
	return set_globs(s, c->skip, sizeof(c->skip));
}

const struct config_var config_vars[] = {
#define PTFREEZE_OPTION(type, field, name, def, parser, form, help) {name, def, form, help, parser},
#include "options.inc"
};
const size_t config_nvars = sizeof(config_vars) / sizeof(config_vars[0]);

_Static_assert(sizeof(config_vars) / sizeof(config_vars[0]) <= sizeof(values) / sizeof(values[0]),
	       "values[] too small");

const char *config_value(size_t i) { return i < config_nvars ? values[i] : ""; }

/* Copies a value for a message: at most 60 bytes, non-printables as '?'. */
static void shown(const char *v, char *out, size_t cap)
{
	size_t i = 0;
	for (; v[i] && i + 4 < cap && i < 60; i++) {
		unsigned char ch = (unsigned char)v[i];
		out[i] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	if (v[i]) {
		out[i++] = '.';
		out[i++] = '.';
		out[i++] = '.';
	}
	out[i] = '\0';
}

static char environ_buf[65536];

/* Fills vec with pointers into environ_buf from /proc/self/environ. */
static char **read_proc_environ(char **vec, size_t cap)
{
	long n = sys_read_file("/proc/self/environ", environ_buf, sizeof(environ_buf));
	size_t k = 0;
	if (n > 0) {
		for (long i = 0; i < n && k + 1 < cap;) {
			vec[k++] = environ_buf + i;
			i += (long)strlen(environ_buf + i) + 1;
		}
	}
	vec[k] = NULL;
	return vec;
}

int config_load(char **envp)
{
	static char *procvec[1024];
	int bad = 0;
	for (size_t i = 0; i < config_nvars; i++) {
		config_vars[i].parse(config_vars[i].def, &config);
		strncpy(values[i], config_vars[i].def, CONFIG_VALUE_MAX - 1);
	}
	if (getauxval(AT_SECURE)) {
		/*
		 * Set-user-ID and the like (the shim linked in, or preloaded from a
		 * system directory): the environment and the current directory are
		 * the caller's.  No variable is read, and no report is written, so
		 * a privileged process never creates a file where its caller says.
		 */
		for (size_t i = 0; i < config_nvars; i++) {
			if (config_vars[i].parse == p_report) {
				p_report("off", &config);
				strncpy(values[i], "off", CONFIG_VALUE_MAX - 1);
			}
		}
		log_msg(LOG_DEBUG, "secure execution: PTFREEZE_* variables ignored, no report");
		return 0;
	}
	if (envp == NULL) {
		envp = read_proc_environ(procvec, sizeof(procvec) / sizeof(procvec[0]));
	}
	for (char **e = envp; *e; e++) {
		if (strncmp(*e, "PTFREEZE_", 9) != 0) {
			continue;
		}
		const char *eq = strchr(*e, '=');
		if (!eq) {
			continue;
		}
		size_t nlen = (size_t)(eq - *e);
		const char *val = eq + 1;
		size_t i;
		for (i = 0; i < config_nvars; i++) {
			if (strlen(config_vars[i].name) == nlen && strncmp(config_vars[i].name, *e, nlen) == 0) {
				break;
			}
		}
		char show[72];
		if (i == config_nvars && ((nlen == 16 && strncmp(*e, "PTFREEZE_LIBRARY", 16) == 0) ||
					  (nlen == 21 && strncmp(*e, "PTFREEZE_REPORT_PARSE", 21) == 0))) {
			continue; /* the ptfreeze command's, not the library's */
		}
		if (i == config_nvars) {
			char name[72];
			shown(*e, name, sizeof(name));
			char *q = strchr(name, '=');
			if (q) {
				*q = '\0';
			}
			log_msg(LOG_WARN, "%s: unknown variable (ignored; see ptfreeze(7))", name);
			continue;
		}
		if (strlen(val) >= CONFIG_VALUE_MAX || config_vars[i].parse(val, &config) != 0) {
			shown(val, show, sizeof(show));
			log_msg(LOG_ERROR, "%s: cannot parse '%s' (expected %s); using %s", config_vars[i].name, show,
				config_vars[i].form, config_vars[i].def);
			config_vars[i].parse(config_vars[i].def, &config);
			strncpy(values[i], config_vars[i].def, CONFIG_VALUE_MAX - 1);
			bad++;
			continue;
		}
		strncpy(values[i], val, CONFIG_VALUE_MAX - 1);
		if (config_vars[i].parse == p_faults) {
			config.faults_set = true; /* the user asked: a refusal is said on stderr */
		}
	}
	return bad;
}
