/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_config: the PTFREEZE_* table and its parsers (src/config.c).  The
 * parsers one by one; then config_load() over fake environments: defaults,
 * one valid value per variable, every kind of bad value falling back to the
 * documented default and being counted, unknown variables ignored; and the
 * man page mirroring the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_ptfreeze.h"

#define MiB ((size_t)1 << 20)
#define GiB ((size_t)1 << 30)

/* --- config_parse_size --- */

START_TEST(test_config_parses_plain_and_suffixed_sizes)
{
	static const struct {
		const char *s;
		size_t want;
	} ok[] = {
		{"0", 0},
		{"4096", 4096},
		{"4K", 4096},
		{"4k", 4096},
		{"4KiB", 4096},
		{"4kib", 4096},
		{"4KB", 4096},
		{"4Ki", 4096},
		{"2M", 2 * MiB},
		{"2MiB", 2 * MiB},
		{"512MB", 512 * MiB},
		{"3G", 3 * GiB},
		{"3GiB", 3 * GiB},
		{"1T", (size_t)1 << 40},
		{"1TiB", (size_t)1 << 40},
		{"16777215T", ((size_t)1 << 40) * 16777215u},
		{"18446744073709551615", SIZE_MAX},
		{"7B", 7},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t v = 12345;
		ck_assert_msg(config_parse_size(ok[i].s, &v) == 0, "'%s' rejected", ok[i].s);
		ck_assert_msg(v == ok[i].want, "'%s' gave %zu, want %zu", ok[i].s, v, ok[i].want);
	}
}
END_TEST

START_TEST(test_config_rejects_bad_suffix)
{
	static const char *const bad[] = {"4Q", "4KK", "4KiBs", "4iB", "4 K", "4K ", "4.5G", "0x10", "4P", "4Mi B"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t v = 12345;
		ck_assert_msg(config_parse_size(bad[i], &v) < 0, "'%s' accepted", bad[i]);
		ck_assert_msg(v == 12345, "'%s' wrote the output on failure", bad[i]);
	}
}
END_TEST

START_TEST(test_config_rejects_garbage_and_empty_sizes)
{
	static const char *const bad[] = {"", "K", "M", "banana", "-1", "-4K", " 4K", "+4K", "\xff", "4\xff"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t v = 12345;
		ck_assert_msg(config_parse_size(bad[i], &v) < 0, "'%s' accepted", bad[i]);
		ck_assert_uint_eq(v, 12345);
	}
}
END_TEST

START_TEST(test_config_rejects_overflowing_sizes)
{
	static const char *const bad[] = {
		"18446744073709551616", /* 2^64 */
		"99999999999999999999999",
		"16777216T", /* 2^64 */
		"17179869184G",
		"17592186044416M",
		"18014398509481984K",
		"18446744073709551615K",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t v = 12345;
		ck_assert_msg(config_parse_size(bad[i], &v) < 0, "'%s' accepted as %zu", bad[i], v);
	}
}
END_TEST

/* --- config_parse_duration --- */

START_TEST(test_config_parses_durations_in_every_unit)
{
	static const struct {
		const char *s;
		uint64_t ns;
	} ok[] = {
		{"7ns", 7},
		{"10us", 10000},
		{"500ms", 500000000},
		{"1s", 1000000000},
		{"2", 2000000000},
		{"3m", 180000000000ull},
		{"1min", 60000000000ull},
		{"0ms", 0},
		{"18446744073709551615ns", UINT64_MAX},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 1;
		ck_assert_msg(config_parse_duration(ok[i].s, &v) == 0, "'%s' rejected", ok[i].s);
		ck_assert_msg(v == ok[i].ns, "'%s' gave %llu ns", ok[i].s, (unsigned long long)v);
	}
}
END_TEST

START_TEST(test_config_rejects_bad_durations)
{
	static const char *const bad[] = {
		"", "ms", "s", "-1s", "1h", "1 s", "1.5s", "1S", "1MS", "5sec", "banana", "\xff",
		"18446744073709551615s", "99999999999999999999ns", "307445734561825861m",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 1;
		ck_assert_msg(config_parse_duration(bad[i], &v) < 0, "'%s' accepted", bad[i]);
		ck_assert_msg(v == 1, "'%s' wrote the output on failure", bad[i]);
	}
}
END_TEST

/* --- config_parse_signal --- */

START_TEST(test_config_parses_signal_names_and_numbers)
{
	const struct {
		const char *s;
		int sig;
	} ok[] = {
		{"USR2", SIGUSR2},        {"SIGUSR2", SIGUSR2},       {"sigusr2", SIGUSR2},     {"usr1", SIGUSR1},
		{"HUP", SIGHUP},          {"SIGWINCH", SIGWINCH},     {"RTMIN+3", SIGRTMIN + 3}, {"SIGRTMIN+3", SIGRTMIN + 3},
		{"rtmin+0", SIGRTMIN},    {"10", 10},                 {"12", 12},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int sig = -1;
		ck_assert_msg(config_parse_signal(ok[i].s, &sig) == 0, "'%s' rejected", ok[i].s);
		ck_assert_msg(sig == ok[i].sig, "'%s' gave %d, want %d", ok[i].s, sig, ok[i].sig);
	}
	char top[32];
	snprintf(top, sizeof(top), "RTMIN+%d", SIGRTMAX - SIGRTMIN);
	int sig = -1;
	ck_assert_int_eq(config_parse_signal(top, &sig), 0);
	ck_assert_int_eq(sig, SIGRTMAX);
}
END_TEST

START_TEST(test_config_rejects_fatal_and_garbage_signals)
{
	char past[32];
	snprintf(past, sizeof(past), "RTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
	const char *const bad[] = {
		"KILL", "SIGKILL", "STOP", "SIGSTOP", "SEGV", "SIGSEGV", "BUS", "ILL", "FPE", "SYS",
		"9", "19", "11", "7", "4", "8", "31", "0", "-1", "65", "", "SIG", "banana", "USR2 ",
		" USR2", "USR3", "RTMIN+", "RTMIN+x", "RTMIN+-1", "\xff", past,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int sig = -1;
		ck_assert_msg(config_parse_signal(bad[i], &sig) < 0, "'%s' accepted as %d", bad[i], sig);
		ck_assert_int_eq(sig, -1);
	}
}
END_TEST

/*
 * BUG (src/config.c config_parse_signal): the RTMIN+N bound is checked
 * after casting N to int, so N = 2^32-1 passes as -1 and gives SIGRTMIN-1
 * (a signal glibc reserves for itself), and N = 2^32 gives SIGRTMIN.
 */
START_TEST(test_config_rejects_rtmin_offset_that_overflows_int)
{
	const char *const bad[] = {"RTMIN+4294967295", "RTMIN+4294967296", "RTMIN+4294967299", "RTMIN+18446744073709551615"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int sig = -1;
		int r = config_parse_signal(bad[i], &sig);
		ck_assert_msg(r < 0, "'%s' accepted as signal %d (SIGRTMIN is %d)", bad[i], sig, SIGRTMIN);
	}
}
END_TEST

START_TEST(test_config_signal_names_round_trip)
{
	ck_assert_str_eq(config_signal_name(SIGUSR2), "USR2");
	ck_assert_str_eq(config_signal_name(SIGUSR1), "USR1");
	ck_assert_ptr_null(config_signal_name(SIGRTMIN + 3));
	static const int sigs[] = {SIGUSR1, SIGUSR2, SIGHUP, SIGWINCH, SIGURG, SIGPWR, SIGTTIN, SIGTTOU};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		const char *name = config_signal_name(sigs[i]);
		int sig = 0;
		ck_assert_ptr_nonnull(name);
		ck_assert_int_eq(config_parse_signal(name, &sig), 0);
		ck_assert_int_eq(sig, sigs[i]);
	}
}
END_TEST

/* --- config_parse_bool --- */

START_TEST(test_config_parses_bool_words_and_rejects_others)
{
	static const char *const yes[] = {"1", "yes", "YES", "on", "On", "true", "TRUE"};
	static const char *const no[] = {"0", "no", "NO", "off", "OFF", "false", "False"};
	static const char *const bad[] = {"", "2", "y", "n", "tru", "yes ", " on", "onn", "01", "-1", "\xff"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		bool b = false;
		ck_assert_msg(config_parse_bool(yes[i], &b) == 0 && b, "'%s'", yes[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		bool b = true;
		ck_assert_msg(config_parse_bool(no[i], &b) == 0 && !b, "'%s'", no[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool b = true;
		ck_assert_msg(config_parse_bool(bad[i], &b) < 0 && b, "'%s' accepted", bad[i]);
	}
}
END_TEST

START_TEST(test_config_enum_names_match_the_accepted_words)
{
	ck_assert_str_eq(config_hugepages_name(HUGEPAGES_AUTO), "auto");
	ck_assert_str_eq(config_hugepages_name(HUGEPAGES_1G), "1g");
	ck_assert_str_eq(config_hugepages_name(HUGEPAGES_2M), "2m");
	ck_assert_str_eq(config_hugepages_name(HUGEPAGES_THP), "thp");
	ck_assert_str_eq(config_hugepages_name(HUGEPAGES_NONE), "none");
	ck_assert_str_eq(config_mode_name(MODE_OFF), "off");
	ck_assert_str_eq(config_mode_name(MODE_REPORT), "report");
	ck_assert_str_eq(config_mode_name(MODE_STRICT), "strict");
	ck_assert_str_eq(config_mode_name(MODE_WOULD_BLOCK), "would-block");
}
END_TEST

/* --- config_load --- */

/* config_load() over a NULL-terminated list of "NAME=value" strings. */
static int load(const char *const *vars)
{
	static char *envp[64];
	size_t n = 0;
	for (; vars && vars[n]; n++) {
		ck_assert_uint_lt(n, 63);
		envp[n] = (char *)vars[n];
	}
	envp[n] = NULL;
	return config_load(envp);
}

static int load1(const char *var)
{
	const char *vars[] = {var, NULL};
	return load(vars);
}

static size_t var_index(const char *name)
{
	for (size_t i = 0; i < config_nvars; i++) {
		if (strcmp(config_vars[i].name, name) == 0) {
			return i;
		}
	}
	ck_abort_msg("%s is not in config_vars", name);
	return 0;
}

/*
 * Whether config equals a snapshot, compared as bytes so that fields added
 * to struct config later are covered too.  Both sides come from the one
 * static object (padding zero, only fields ever written), copied with
 * memcpy.  Returns the offset of the first differing byte, or -1.
 */
static long config_diff(const struct config *snap)
{
	const unsigned char *a = (const unsigned char *)&config, *b = (const unsigned char *)snap;
	for (size_t i = 0; i < sizeof(config); i++) {
		if (a[i] != b[i]) {
			return (long)i;
		}
	}
	return -1;
}

/* The defaults, as config_load() with nothing set leaves them. */
static void defaults(struct config *snap)
{
	ck_assert_int_eq(load(NULL), 0);
	memcpy(snap, &config, sizeof(config));
}

START_TEST(test_config_every_default_parses)
{
	for (size_t i = 0; i < config_nvars; i++) {
		struct config c;
		memset(&c, 0, sizeof(c));
		ck_assert_msg(config_vars[i].parse(config_vars[i].def, &c) == 0, "%s: default '%s' does not parse",
			      config_vars[i].name, config_vars[i].def);
		ck_assert_msg(config_vars[i].form && config_vars[i].form[0], "%s has no form", config_vars[i].name);
		ck_assert_msg(config_vars[i].doc && config_vars[i].doc[0], "%s has no doc", config_vars[i].name);
		ck_assert_msg(strncmp(config_vars[i].name, "PTFREEZE_", 9) == 0, "%s", config_vars[i].name);
		ck_assert_uint_lt(strlen(config_vars[i].def), CONFIG_VALUE_MAX);
		for (size_t j = 0; j < i; j++) {
			ck_assert_str_ne(config_vars[i].name, config_vars[j].name);
		}
	}
}
END_TEST

START_TEST(test_config_defaults_when_nothing_is_set)
{
	const char *vars[] = {"HOME=/root", "PATH=/usr/bin", "POOL=1G", "XPTFREEZE_POOL=1G", NULL};
	ck_assert_int_eq(load(vars), 0);
	ck_assert_uint_eq(config.pool_size, 256 * MiB);
	ck_assert_uint_eq(config.pool_grow, 64 * MiB);
	ck_assert_int_eq(config.hugepages, HUGEPAGES_AUTO);
	ck_assert(!config.mlock);
	ck_assert_int_eq(config.prefault_threads, 0);
	ck_assert_int_eq(config.verbose, 0);
	ck_assert_int_eq(config.mode, MODE_REPORT);
	ck_assert(!config.arm_manual);
	ck_assert_uint_eq(config.arm_delay_ns, 1000000000u);
	ck_assert_int_eq(config.arm_signal, 0);
	ck_assert_int_eq(config.strict_action, STRICT_ERRNO);
	ck_assert_str_eq(config.report, "ptfreeze-%e-%p.jsonl");
	ck_assert(!config.log_stderr); /* the program's stderr is quiet by default */
	ck_assert_int_eq(config.backtrace_depth, 32);
	ck_assert_int_eq(config.max_sites, 1024);
	ck_assert(config.serve_mmap);
	ck_assert(!config.mlockall);
	ck_assert_uint_eq(config.stack_prefault, 256 * 1024);
	for (size_t i = 0; i < config_nvars; i++) {
		ck_assert_str_eq(config_value(i), config_vars[i].def);
	}
	ck_assert_str_eq(config_value(config_nvars), "");
}
END_TEST

struct valid {
	const char *name;
	const char *value;
	void (*check)(void);
};

static void chk_pool(void) { ck_assert_uint_eq(config.pool_size, 16 * MiB); }
static void chk_grow(void) { ck_assert_uint_eq(config.pool_grow, 32 * MiB); }
static void chk_hugepages(void) { ck_assert_int_eq(config.hugepages, HUGEPAGES_THP); }
static void chk_mlock(void) { ck_assert(config.mlock); }
static void chk_threads(void) { ck_assert_int_eq(config.prefault_threads, 4); }
static void chk_verbose(void) { ck_assert_int_eq(config.verbose, 2); }
static void chk_mode(void) { ck_assert_int_eq(config.mode, MODE_STRICT); }
static void chk_arm(void)
{
	ck_assert(config.arm_manual);
	ck_assert_uint_eq(config.arm_delay_ns, 500000000u);
	ck_assert_int_eq(config.arm_signal, SIGUSR2);
}
static void chk_action(void) { ck_assert_int_eq(config.strict_action, STRICT_ABORT); }
static void chk_report(void) { ck_assert_str_eq(config.report, "/tmp/r-%p-%e-%%.jsonl"); }
static void chk_log(void) { ck_assert(config.log_stderr); }
static void chk_depth(void) { ck_assert_int_eq(config.backtrace_depth, 64); }
static void chk_sites(void) { ck_assert_int_eq(config.max_sites, 4096); }
static void chk_serve(void) { ck_assert(!config.serve_mmap); }
static void chk_mlockall(void) { ck_assert(config.mlockall); }
static void chk_faults(void) { ck_assert(!config.faults); }
static void chk_front(void) { ck_assert(!config.front); }
static void chk_spans(void) { ck_assert(!config.spans); }
static void chk_stack(void) { ck_assert_uint_eq(config.stack_prefault, 1 * MiB); }
static void chk_suppress(void) { ck_assert_str_eq(config.suppress, "/etc/ptfreeze.supp"); }
static void chk_numa(void) { ck_assert_int_eq(config.numa_node, 3); }
static void chk_tstacks(void) { ck_assert_int_eq(config.thread_stacks, 0); }
static void chk_programs(void) { ck_assert_str_eq(config.programs, "python3*,*/bin/server"); }
static void chk_skip(void) { ck_assert_str_eq(config.skip, "make,cc*"); }
static void chk_tstack_prefault(void) { ck_assert_uint_eq(config.thread_stack_prefault, 1 * MiB); }

/*
 * One valid, non-default value per variable; a new variable must be added
 * here (and below, with values it must refuse).  check names the field it
 * sets; without one, the test only sees that some field changed.
 */
static const struct valid valid_values[] = {
	{"PTFREEZE_POOL", "16M", chk_pool},
	{"PTFREEZE_POOL_GROW", "32MiB", chk_grow},
	{"PTFREEZE_HUGEPAGES", "THP", chk_hugepages},
	{"PTFREEZE_MLOCK", "1", chk_mlock},
	{"PTFREEZE_PREFAULT_THREADS", "4", chk_threads},
	{"PTFREEZE_VERBOSE", "2", chk_verbose},
	{"PTFREEZE_MODE", "strict", chk_mode},
	{"PTFREEZE_ARM", "manual,delay:500ms,signal:USR2", chk_arm},
	{"PTFREEZE_STRICT_ACTION", "abort", chk_action},
	{"PTFREEZE_REPORT", "/tmp/r-%p-%e-%%.jsonl", chk_report},
	{"PTFREEZE_LOG", "stderr", chk_log},
	{"PTFREEZE_BACKTRACE_DEPTH", "64", chk_depth},
	{"PTFREEZE_MAX_SITES", "4096", chk_sites},
	{"PTFREEZE_SERVE_MMAP", "0", chk_serve},
	{"PTFREEZE_MLOCKALL", "1", chk_mlockall},
	{"PTFREEZE_STACK_PREFAULT", "1M", chk_stack},
	{"PTFREEZE_SECCOMP", "on", NULL},
	{"PTFREEZE_SUPPRESS", "/etc/ptfreeze.supp", chk_suppress},
	{"PTFREEZE_NUMA_NODE", "3", chk_numa},
	{"PTFREEZE_THREAD_STACKS", "0", chk_tstacks},
	{"PTFREEZE_THREAD_STACK_PREFAULT", "1M", chk_tstack_prefault},
	{"PTFREEZE_FAULTS", "off", chk_faults},
	{"PTFREEZE_PROGRAMS", "python3*,*/bin/server", chk_programs},
	{"PTFREEZE_SKIP", "make,cc*", chk_skip},
	{"PTFREEZE_FRONT", "off", chk_front},
	{"PTFREEZE_SPANS", "off", chk_spans},
};
#define NVALID (sizeof(valid_values) / sizeof(valid_values[0]))

static const struct valid *valid_for(const char *name)
{
	for (size_t i = 0; i < NVALID; i++) {
		if (strcmp(valid_values[i].name, name) == 0) {
			return &valid_values[i];
		}
	}
	return NULL;
}

START_TEST(test_config_accepts_a_valid_value_for_each_variable)
{
	struct config def;
	defaults(&def);
	for (size_t i = 0; i < config_nvars; i++) {
		const struct valid *v = valid_for(config_vars[i].name);
		ck_assert_msg(v != NULL, "%s has no test value in check_config.c", config_vars[i].name);
		char var[512];
		snprintf(var, sizeof(var), "%s=%s", v->name, v->value);
		ck_assert_msg(load1(var) == 0, "%s rejected", var);
		ck_assert_msg(config_diff(&def) >= 0, "%s changed nothing in config", var);
		if (v->check) {
			v->check();
		}
		ck_assert_str_eq(config_value(i), v->value);
	}
}
END_TEST

START_TEST(test_config_accepts_every_variable_at_once)
{
	const char *vars[64];
	char buf[64][512];
	size_t n = 0;
	for (size_t i = 0; i < config_nvars && n < 63; i++) {
		const struct valid *v = valid_for(config_vars[i].name);
		ck_assert_msg(v != NULL, "%s has no test value in check_config.c", config_vars[i].name);
		snprintf(buf[n], sizeof(buf[n]), "%s=%s", v->name, v->value);
		vars[n] = buf[n];
		n++;
	}
	vars[n] = NULL;
	ck_assert_int_eq(load(vars), 0);
	for (size_t i = 0; i < config_nvars; i++) {
		const struct valid *v = valid_for(config_vars[i].name);
		if (v->check) {
			v->check();
		}
		ck_assert_str_eq(config_value(i), v->value);
	}
}
END_TEST

START_TEST(test_config_rounds_pool_sizes_up_to_2m)
{
	ck_assert_int_eq(load1("PTFREEZE_POOL=3M"), 0);
	ck_assert_uint_eq(config.pool_size, 4 * MiB);
	ck_assert_int_eq(load1("PTFREEZE_POOL=2M"), 0);
	ck_assert_uint_eq(config.pool_size, 2 * MiB);
	ck_assert_int_eq(load1("PTFREEZE_POOL_GROW=1"), 0);
	ck_assert_uint_eq(config.pool_grow, 2 * MiB);
	ck_assert_int_eq(load1("PTFREEZE_POOL_GROW=0"), 0);
	ck_assert_uint_eq(config.pool_grow, 0);
}
END_TEST

START_TEST(test_config_mode_accepts_every_mode_name)
{
	for (int m = MODE_OFF; m <= MODE_WOULD_BLOCK; m++) {
		char var[64];
		snprintf(var, sizeof(var), "PTFREEZE_MODE=%s", config_mode_name((enum guard_mode)m));
		ck_assert_msg(load1(var) == 0 && (int)config.mode == m, "%s", var);
	}
	ck_assert_int_eq(load1("PTFREEZE_MODE=STRICT"), 0);
	ck_assert_int_eq(config.mode, MODE_STRICT);
}
END_TEST

START_TEST(test_config_verbose_accepts_bool_words)
{
	ck_assert_int_eq(load1("PTFREEZE_VERBOSE=yes"), 0);
	ck_assert_int_eq(config.verbose, 1);
	ck_assert_int_eq(load1("PTFREEZE_VERBOSE=1"), 0);
	ck_assert_int_eq(config.verbose, 1);
	ck_assert_int_eq(load1("PTFREEZE_VERBOSE=off"), 0);
	ck_assert_int_eq(config.verbose, 0);
}
END_TEST

/* Values every variable but PTFREEZE_REPORT (a path: almost anything goes) must refuse. */
static const char *const generic_bad[] = {
	"", "banana", "-1", "99999999999999999999999", "\xff\xfe", "\xc3\x28", " 1", "1 ", "0x10", "1\n",
};

static const struct {
	const char *name;
	const char *bad[8];
} specific_bad[] = {
	{"PTFREEZE_POOL", {"0", "1M", "1048576T", "16777216T", "1P"}},
	{"PTFREEZE_POOL_GROW", {"1048576T", "16777216T"}},
	{"PTFREEZE_HUGEPAGES", {"2g", "4k", "auto,thp", "1"}},
	{"PTFREEZE_MLOCK", {"2", "y"}},
	{"PTFREEZE_PREFAULT_THREADS", {"1025", "4294967297", "18446744073709551617"}},
	{"PTFREEZE_VERBOSE", {"3", "4294967296", "-0"}},
	{"PTFREEZE_MODE", {"enforce", "reports", "would_block", "wouldblock"}},
	{"PTFREEZE_ARM", {"manual,", ",manual", "manual,,signal:USR2", "delay:0", "delay:", "signal:KILL", "delay:5h",
			  "signal:"}},
	{"PTFREEZE_STRICT_ACTION", {"kill", "abort,errno"}},
	{"PTFREEZE_REPORT", {"", "r-%x.jsonl", "r-%", "%d", "a%e%s"}},
	{"PTFREEZE_LOG", {"stdout", "file"}},
	{"PTFREEZE_BACKTRACE_DEPTH", {"0", "129", "4294967297"}},
	{"PTFREEZE_MAX_SITES", {"15", "65537", "4294967312"}},
	{"PTFREEZE_SERVE_MMAP", {"2", "maybe"}},
	{"PTFREEZE_MLOCKALL", {"2", "y"}},
	{"PTFREEZE_STACK_PREFAULT", {"65M", "1G", "16777216T", "64M1"}},
	{"PTFREEZE_SECCOMP", {"2", "maybe", "strict"}},
	{"PTFREEZE_SUPPRESS", {"", " a.supp", "a.supp ", "a\tb", "a\nb"}},
	{"PTFREEZE_NUMA_NODE", {"1024", "-1", "node0", "0,1", "all"}},
	{"PTFREEZE_THREAD_STACKS", {"4097", "-1", "16k", "4294967312"}},
	{"PTFREEZE_THREAD_STACK_PREFAULT", {"65M", "1G", "16777216T", "-1"}},
	{"PTFREEZE_FAULTS", {"2", "sometimes", "on,off"}},
	{"PTFREEZE_PROGRAMS", {"", ",", "a,,b", "a,", ",a", " a", "a ", "a\nb"}},
	{"PTFREEZE_SKIP", {",", "a,,b", "a,", ",a", " a", "a\tb"}},
	{"PTFREEZE_FRONT", {"2", "maybe", "on,off"}},
	{"PTFREEZE_SPANS", {"2", "maybe", "on,off"}},
};

/* Loads NAME=value and checks it was refused, counted, and the default kept. */
static void expect_rejected(size_t i, const char *value, const struct config *def)
{
	static char var[4096];
	snprintf(var, sizeof(var), "%s=%s", config_vars[i].name, value);
	int bad = load1(var);
	ck_assert_msg(bad == 1, "%s='%.40s': config_load returned %d, want 1", config_vars[i].name, value, bad);
	long off = config_diff(def);
	ck_assert_msg(off < 0, "%s='%.40s': config differs from the defaults at byte %ld", config_vars[i].name, value, off);
	ck_assert_msg(strcmp(config_value(i), config_vars[i].def) == 0, "%s='%.40s': config_value is '%s'",
		      config_vars[i].name, value, config_value(i));
}

START_TEST(test_config_rejects_garbage_in_every_variable)
{
	unit_quiet_stderr();
	struct config def;
	defaults(&def);
	for (size_t i = 0; i < config_nvars; i++) {
		/* Paths: "banana" is a file name. */
		/* Paths and globs: "banana" is a file or program name. */
		if (strcmp(config_vars[i].name, "PTFREEZE_REPORT") != 0 && strcmp(config_vars[i].name, "PTFREEZE_SUPPRESS") != 0 &&
		    strcmp(config_vars[i].name, "PTFREEZE_PROGRAMS") != 0 && strcmp(config_vars[i].name, "PTFREEZE_SKIP") != 0) {
			for (size_t k = 0; k < sizeof(generic_bad) / sizeof(generic_bad[0]); k++) {
				expect_rejected(i, generic_bad[k], &def);
			}
		}
		bool listed = false;
		for (size_t s = 0; s < sizeof(specific_bad) / sizeof(specific_bad[0]); s++) {
			if (strcmp(specific_bad[s].name, config_vars[i].name) != 0) {
				continue;
			}
			listed = true;
			for (size_t k = 0; k < 8 && specific_bad[s].bad[k]; k++) {
				expect_rejected(i, specific_bad[s].bad[k], &def);
			}
		}
		ck_assert_msg(listed, "%s has no bad values in check_config.c", config_vars[i].name);
	}
}
END_TEST

START_TEST(test_config_rejects_overlong_values_in_every_variable)
{
	unit_quiet_stderr();
	struct config def;
	defaults(&def);
	for (size_t i = 0; i < config_nvars; i++) {
		/* An otherwise valid value, padded past CONFIG_VALUE_MAX where the form allows. */
		char value[CONFIG_VALUE_MAX + 64];
		const char *name = config_vars[i].name;
		size_t n = CONFIG_VALUE_MAX + 44;
		if (strcmp(name, "PTFREEZE_REPORT") == 0) {
			memset(value, 'r', n);
		} else if (strcmp(name, "PTFREEZE_POOL") == 0 || strcmp(name, "PTFREEZE_POOL_GROW") == 0 ||
			   strcmp(name, "PTFREEZE_STACK_PREFAULT") == 0 || strcmp(name, "PTFREEZE_THREAD_STACK_PREFAULT") == 0) {
			memset(value, '0', n);
			memcpy(value + n - 3, "16M", 3);
		} else if (strcmp(name, "PTFREEZE_PREFAULT_THREADS") == 0 || strcmp(name, "PTFREEZE_BACKTRACE_DEPTH") == 0 ||
			   strcmp(name, "PTFREEZE_MAX_SITES") == 0 || strcmp(name, "PTFREEZE_THREAD_STACKS") == 0) {
			memset(value, '0', n);
			memcpy(value + n - 2, "64", 2);
		} else {
			memset(value, 'x', n);
		}
		value[n] = '\0';
		expect_rejected(i, value, &def);
	}
}
END_TEST

START_TEST(test_config_value_length_limit_is_exact)
{
	unit_quiet_stderr();
	size_t i = var_index("PTFREEZE_REPORT");
	char var[CONFIG_VALUE_MAX + 64], want[CONFIG_VALUE_MAX + 1];
	memset(want, 'p', CONFIG_VALUE_MAX - 1);
	want[CONFIG_VALUE_MAX - 1] = '\0';
	snprintf(var, sizeof(var), "PTFREEZE_REPORT=%s", want);
	ck_assert_int_eq(load1(var), 0);
	ck_assert_str_eq(config.report, want);
	ck_assert_str_eq(config_value(i), want);

	snprintf(var, sizeof(var), "PTFREEZE_REPORT=%sp", want);
	ck_assert_int_eq(load1(var), 1);
	ck_assert_str_eq(config.report, config_vars[i].def);
}
END_TEST

START_TEST(test_config_counts_every_rejected_variable)
{
	unit_quiet_stderr();
	struct config def;
	defaults(&def);
	const char *vars[64];
	char buf[64][64];
	size_t n = 0;
	for (size_t i = 0; i < config_nvars && n < 63; i++, n++) {
		const char *bad = strcmp(config_vars[i].name, "PTFREEZE_REPORT") == 0     ? "%x"
				  : strcmp(config_vars[i].name, "PTFREEZE_SUPPRESS") == 0 ? " banana"
				  : strcmp(config_vars[i].name, "PTFREEZE_PROGRAMS") == 0 ? "a,,b"
				  : strcmp(config_vars[i].name, "PTFREEZE_SKIP") == 0     ? "a,,b"
											  : "banana";
		snprintf(buf[n], sizeof(buf[n]), "%s=%s", config_vars[i].name, bad);
		vars[n] = buf[n];
	}
	vars[n] = NULL;
	ck_assert_int_eq(load(vars), (int)config_nvars);
	ck_assert_int_lt(config_diff(&def), 0);
}
END_TEST

START_TEST(test_config_bad_values_do_not_disturb_good_ones)
{
	unit_quiet_stderr();
	const char *vars[] = {"PTFREEZE_POOL=banana", "PTFREEZE_MODE=strict", "PTFREEZE_MAX_SITES=1",
			      "PTFREEZE_BACKTRACE_DEPTH=64", "PTFREEZE_ARM=manual,", NULL};
	ck_assert_int_eq(load(vars), 3);
	ck_assert_uint_eq(config.pool_size, 256 * MiB);
	ck_assert_int_eq(config.mode, MODE_STRICT);
	ck_assert_int_eq(config.max_sites, 1024);
	ck_assert_int_eq(config.backtrace_depth, 64);
	ck_assert(!config.arm_manual);
	ck_assert_uint_eq(config.arm_delay_ns, 1000000000u);
}
END_TEST

START_TEST(test_config_ignores_unknown_ptfreeze_variables)
{
	unit_quiet_stderr();
	struct config def;
	defaults(&def);
	const char *vars[] = {"PTFREEZE_NOPE=1", "PTFREEZE_=x", "PTFREEZE_POOLS=1G", "PTFREEZE_POO=1G",
			      "ptfreeze_pool=1G", "PTFREEZE_POOL", "PTFREEZE_MODE", "PTFREEZE_\xff=1", NULL};
	ck_assert_int_eq(load(vars), 0);
	ck_assert_int_lt(config_diff(&def), 0);
}
END_TEST

START_TEST(test_config_load_resets_to_defaults_each_time)
{
	ck_assert_int_eq(load1("PTFREEZE_MODE=off"), 0);
	ck_assert_int_eq(config.mode, MODE_OFF);
	ck_assert_int_eq(load(NULL), 0);
	ck_assert_int_eq(config.mode, MODE_REPORT);
	ck_assert_str_eq(config_value(var_index("PTFREEZE_MODE")), "report");
}
END_TEST

/*
 * BUG (src/config.c config_load): when a variable appears twice, a bad
 * second value re-parses the default into `config` but leaves the first
 * value in values[], so config_value() (what the report header shows)
 * disagrees with the setting in force.  Whichever occurrence wins, the two
 * must agree.
 */
START_TEST(test_config_value_matches_setting_when_a_variable_repeats)
{
	unit_quiet_stderr();
	const char *vars[] = {"PTFREEZE_MODE=strict", "PTFREEZE_MODE=banana", NULL};
	ck_assert_int_eq(load(vars), 1);
	const char *shown = config_value(var_index("PTFREEZE_MODE"));
	ck_assert_msg(strcmp(shown, config_mode_name(config.mode)) == 0,
		      "config_value says PTFREEZE_MODE=%s but the mode in force is %s", shown, config_mode_name(config.mode));

	const char *again[] = {"PTFREEZE_MODE=banana", "PTFREEZE_MODE=off", NULL};
	ck_assert_int_eq(load(again), 1);
	shown = config_value(var_index("PTFREEZE_MODE"));
	ck_assert_msg(strcmp(shown, config_mode_name(config.mode)) == 0,
		      "config_value says PTFREEZE_MODE=%s but the mode in force is %s", shown, config_mode_name(config.mode));
}
END_TEST

START_TEST(test_config_arm_combinations)
{
	unit_quiet_stderr();
	static const struct {
		const char *v;
		bool manual;
		uint64_t delay;
		int sig; /* -1: SIGRTMIN+3 */
	} ok[] = {
		{"manual", true, 0, 0},
		{"MANUAL", true, 0, 0},
		{"delay:2s", false, 2000000000u, 0},
		{"signal:USR1", false, 0, SIGUSR1},
		{"signal:SIGRTMIN+3", false, 0, -1},
		{"delay:250ms,manual", true, 250000000u, 0},
		{"manual,delay:500ms,signal:USR2", true, 500000000u, SIGUSR2},
		{"signal:10,delay:1min", false, 60000000000ull, 10},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char var[128];
		snprintf(var, sizeof(var), "PTFREEZE_ARM=%s", ok[i].v);
		ck_assert_msg(load1(var) == 0, "'%s' rejected", ok[i].v);
		ck_assert_msg(config.arm_manual == ok[i].manual, "'%s': manual", ok[i].v);
		ck_assert_msg(config.arm_delay_ns == ok[i].delay, "'%s': delay %llu", ok[i].v,
			      (unsigned long long)config.arm_delay_ns);
		ck_assert_msg(config.arm_signal == (ok[i].sig == -1 ? SIGRTMIN + 3 : ok[i].sig), "'%s': signal %d", ok[i].v,
			      config.arm_signal);
	}
	static const char *const bad[] = {"manual,", "manual,delay:500ms,", ",manual", ",", "manual,,delay:1s",
					  "delay:1s,signal:STOP", "arm", "manual;delay:1s", "Delay:1s"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char var[128];
		snprintf(var, sizeof(var), "PTFREEZE_ARM=%s", bad[i]);
		ck_assert_msg(load1(var) == 1, "'%s' accepted", bad[i]);
		ck_assert(!config.arm_manual);
		ck_assert_uint_eq(config.arm_delay_ns, 1000000000u);
		ck_assert_int_eq(config.arm_signal, 0);
	}
}
END_TEST

START_TEST(test_config_report_template_validation)
{
	unit_quiet_stderr();
	static const struct {
		const char *v, *want;
	} ok[] = {
		{"r-%p.jsonl", "r-%p.jsonl"}, {"%e-%p", "%e-%p"}, {"100%%", "100%%"},
		{"stderr", "stderr"},         {"off", ""},        {"none", ""},
		{"/tmp/\xc3\xa9-%e", "/tmp/\xc3\xa9-%e"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char var[128];
		snprintf(var, sizeof(var), "PTFREEZE_REPORT=%s", ok[i].v);
		ck_assert_msg(load1(var) == 0, "'%s' rejected", ok[i].v);
		ck_assert_str_eq(config.report, ok[i].want);
	}
	static const char *const bad[] = {"r-%x", "%", "a%", "%P", "%s", "%%%", "%d.jsonl"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char var[128];
		snprintf(var, sizeof(var), "PTFREEZE_REPORT=%s", bad[i]);
		ck_assert_msg(load1(var) == 1, "'%s' accepted", bad[i]);
		ck_assert_str_eq(config.report, "ptfreeze-%e-%p.jsonl");
	}
}
END_TEST

/* Runs fn with fd 2 sent to a file; returns what was written (malloc'd). */
static char *stderr_of(int (*fn)(const char *), const char *arg, int *ret)
{
	char dir[4096], path[4200];
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/stderr", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	int saved = dup(2);
	ck_assert_int_ge(saved, 0);
	dup2(fd, 2);
	*ret = fn(arg);
	dup2(saved, 2);
	close(saved);
	close(fd);
	char *out = unit_slurp(path, NULL);
	ck_assert_ptr_nonnull(out);
	return out;
}

START_TEST(test_config_error_message_names_variable_value_and_form)
{
	int r;
	char *out = stderr_of(load1, "PTFREEZE_POOL=banana", &r);
	ck_assert_int_eq(r, 1);
	char want[128];
	snprintf(want, sizeof(want), "ptfreeze[%d]: error: PTFREEZE_POOL: cannot parse 'banana' (expected ", (int)getpid());
	ck_assert_msg(strstr(out, want) != NULL, "message was: %s", out);
	ck_assert_msg(strstr(out, config_vars[var_index("PTFREEZE_POOL")].form) != NULL, "no form in: %s", out);
	ck_assert_msg(strstr(out, "using 256M") != NULL, "no default in: %s", out);
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
}
END_TEST

START_TEST(test_config_error_message_shows_hostile_values_safely)
{
	int r;
	char var[600];
	memset(var, 0, sizeof(var));
	strcpy(var, "PTFREEZE_MODE=a\nb\x1b[31m\xff");
	memset(var + strlen(var), 'z', 400);
	char *out = stderr_of(load1, var, &r);
	ck_assert_int_eq(r, 1);
	/* One line, no raw escape or control bytes, the value cut. */
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	ck_assert_ptr_null(strchr(out, '\x1b'));
	ck_assert_ptr_null(strchr(out, '\xff'));
	ck_assert_msg(strstr(out, "'a?b?[31m?zz") != NULL, "message was: %s", out);
	ck_assert_msg(strstr(out, "...'") != NULL, "long value not cut: %s", out);
	ck_assert_uint_lt(strlen(out), 300);
	free(out);
}
END_TEST

START_TEST(test_config_unknown_variable_gets_one_warning_without_its_value)
{
	int r;
	char *out = stderr_of(load1, "PTFREEZE_POOOL=1G", &r);
	ck_assert_int_eq(r, 0);
	ck_assert_msg(strstr(out, "warning: PTFREEZE_POOOL: unknown variable") != NULL, "message was: %s", out);
	ck_assert_ptr_null(strstr(out, "1G"));
	free(out);
}
END_TEST

START_TEST(test_config_load_reads_proc_environ_when_envp_is_null)
{
	extern char **environ;
	for (char **e = environ; *e; e++) {
		if (strncmp(*e, "PTFREEZE_", 9) == 0) {
			unit_note("%s is set in the test environment: config_load(NULL) not checked against defaults", *e);
			return;
		}
	}
	struct config def;
	defaults(&def);
	ck_assert_int_eq(config_load(NULL), 0);
	ck_assert_int_lt(config_diff(&def), 0);
}
END_TEST

/* --- the man page mirrors the table --- */

START_TEST(test_config_every_variable_is_in_the_man_page)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/docs/ptfreeze.7", SRCDIR);
	if (access(path, F_OK) != 0) {
		unit_note("%s does not exist yet: man page coverage not checked", path);
		return;
	}
	size_t len;
	char *page = unit_slurp(path, &len);
	ck_assert_msg(page != NULL, "cannot read %s", path);
	for (size_t i = 0; i < config_nvars; i++) {
		const char *name = config_vars[i].name;
		size_t n = strlen(name);
		bool found = false;
		/* As a word: PTFREEZE_POOL inside PTFREEZE_POOL_GROW does not count. */
		for (const char *p = strstr(page, name); p && !found; p = strstr(p + 1, name)) {
			char after = p[n], before = p > page ? p[-1] : ' ';
			bool word_after = !((after >= 'A' && after <= 'Z') || (after >= '0' && after <= '9') || after == '_');
			bool word_before = !((before >= 'A' && before <= 'Z') || before == '_');
			found = word_after && word_before;
		}
		ck_assert_msg(found, "%s is in config_vars[] but not in %s", name, path);
	}
	free(page);
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parsers");
	tcase_add_test(tc, test_config_parses_plain_and_suffixed_sizes);
	tcase_add_test(tc, test_config_rejects_bad_suffix);
	tcase_add_test(tc, test_config_rejects_garbage_and_empty_sizes);
	tcase_add_test(tc, test_config_rejects_overflowing_sizes);
	tcase_add_test(tc, test_config_parses_durations_in_every_unit);
	tcase_add_test(tc, test_config_rejects_bad_durations);
	tcase_add_test(tc, test_config_parses_signal_names_and_numbers);
	tcase_add_test(tc, test_config_rejects_fatal_and_garbage_signals);
	tcase_add_test(tc, test_config_rejects_rtmin_offset_that_overflows_int);
	tcase_add_test(tc, test_config_signal_names_round_trip);
	tcase_add_test(tc, test_config_parses_bool_words_and_rejects_others);
	tcase_add_test(tc, test_config_enum_names_match_the_accepted_words);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, test_config_every_default_parses);
	tcase_add_test(tc, test_config_defaults_when_nothing_is_set);
	tcase_add_test(tc, test_config_accepts_a_valid_value_for_each_variable);
	tcase_add_test(tc, test_config_accepts_every_variable_at_once);
	tcase_add_test(tc, test_config_rounds_pool_sizes_up_to_2m);
	tcase_add_test(tc, test_config_mode_accepts_every_mode_name);
	tcase_add_test(tc, test_config_verbose_accepts_bool_words);
	tcase_add_test(tc, test_config_rejects_garbage_in_every_variable);
	tcase_add_test(tc, test_config_rejects_overlong_values_in_every_variable);
	tcase_add_test(tc, test_config_value_length_limit_is_exact);
	tcase_add_test(tc, test_config_counts_every_rejected_variable);
	tcase_add_test(tc, test_config_bad_values_do_not_disturb_good_ones);
	tcase_add_test(tc, test_config_ignores_unknown_ptfreeze_variables);
	tcase_add_test(tc, test_config_load_resets_to_defaults_each_time);
	tcase_add_test(tc, test_config_value_matches_setting_when_a_variable_repeats);
	tcase_add_test(tc, test_config_arm_combinations);
	tcase_add_test(tc, test_config_report_template_validation);
	tcase_add_test(tc, test_config_error_message_names_variable_value_and_form);
	tcase_add_test(tc, test_config_error_message_shows_hostile_values_safely);
	tcase_add_test(tc, test_config_unknown_variable_gets_one_warning_without_its_value);
	tcase_add_test(tc, test_config_load_reads_proc_environ_when_envp_is_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("docs");
	tcase_add_test(tc, test_config_every_variable_is_in_the_man_page);
	suite_add_tcase(s, tc);
	return s;
}
