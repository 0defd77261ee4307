/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_suppress: suppression rules (src/suppress.c): the glob matcher,
 * the line parser, loading a file with bad lines, naming the function of
 * an address from the symbol table on disk, matching stacks by function
 * and module, and the guard treating a suppressed site as counted, not
 * recorded, and letting it through in strict mode.  Also the numa_maps
 * line parser (src/numa.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "check_ptfreeze.h"
#include "guard.h"
#include "numa.h"
#include "phase.h"
#include "suppress.h"

#define MiB ((size_t)1 << 20)

START_TEST(test_suppress_glob_matches_star_and_question)
{
	ck_assert(suppress_glob("foo", "foo"));
	ck_assert(!suppress_glob("foo", "foobar"));
	ck_assert(!suppress_glob("foo", "fo"));
	ck_assert(suppress_glob("foo*", "foobar"));
	ck_assert(suppress_glob("foo*", "foo"));
	ck_assert(suppress_glob("*bar", "foobar"));
	ck_assert(suppress_glob("*", ""));
	ck_assert(suppress_glob("f?o", "fxo"));
	ck_assert(!suppress_glob("f?o", "fo"));
	ck_assert(suppress_glob("*o*a*", "foobar"));
	ck_assert(!suppress_glob("*o*z*", "foobar"));
	ck_assert(suppress_glob("lib*.so.*", "libc.so.6"));
	ck_assert(suppress_glob("a*b*c", "aXbYbZc"));
	ck_assert(!suppress_glob("a*b*c", "aXbYbZ"));
	ck_assert(!suppress_glob("", "x"));
	ck_assert(suppress_glob("", ""));
}
END_TEST

START_TEST(test_suppress_parses_kind_and_patterns)
{
	struct suppress_rule r;
	char err[160];
	ck_assert_int_eq(suppress_parse_line("  munmap\tfun:rotate_* mod:libc.so.*  # why", &r, err, sizeof(err)), 1);
	ck_assert_int_eq(r.kind, KIND_MUNMAP);
	ck_assert_int_eq(r.npatterns, 2);
	ck_assert_int_eq(r.patterns[0].type, SUPPRESS_FUN);
	ck_assert_str_eq(r.globs + r.patterns[0].off, "rotate_*");
	ck_assert_int_eq(r.patterns[1].type, SUPPRESS_MOD);
	ck_assert(!r.patterns[1].path);
	ck_assert_str_eq(r.globs + r.patterns[1].off, "libc.so.*");
	ck_assert_str_eq(r.text, "munmap fun:rotate_* mod:libc.so.*");

	ck_assert_int_eq(suppress_parse_line("* mod:/usr/lib/*/libfoo.so", &r, err, sizeof(err)), 1);
	ck_assert_int_eq(r.kind, -1);
	ck_assert(r.patterns[0].path);
	ck_assert_int_eq(suppress_parse_line("pthread_create", &r, err, sizeof(err)), 1);
	ck_assert_int_eq(r.kind, KIND_THREAD);
	ck_assert_int_eq(r.npatterns, 0);
	ck_assert_int_eq(suppress_parse_line("writeback-hazard fun:x", &r, err, sizeof(err)), 1);
	ck_assert_int_eq(r.kind, KIND_WRITEBACK_HAZARD);
}
END_TEST

START_TEST(test_suppress_every_kind_name_parses)
{
	struct suppress_rule r;
	char err[160], line[64];
	for (int k = 0; k < KIND_COUNT; k++) {
		snprintf(line, sizeof(line), "%s fun:f", kinds_name((enum kind)k));
		ck_assert_int_eq(suppress_parse_line(line, &r, err, sizeof(err)), 1);
		ck_assert_int_eq(r.kind, k);
	}
}
END_TEST

START_TEST(test_suppress_blank_and_comment_lines_are_not_rules)
{
	struct suppress_rule r;
	char err[160];
	ck_assert_int_eq(suppress_parse_line("", &r, err, sizeof(err)), 0);
	ck_assert_int_eq(suppress_parse_line("   \t \r", &r, err, sizeof(err)), 0);
	ck_assert_int_eq(suppress_parse_line("# munmap fun:x", &r, err, sizeof(err)), 0);
	ck_assert_int_eq(suppress_parse_line("   # indented", &r, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_suppress_rejects_malformed_lines_with_a_reason)
{
	struct suppress_rule r;
	char err[160];
	ck_assert_int_eq(suppress_parse_line("munmpa fun:x", &r, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "unknown kind 'munmpa'") != NULL, "%s", err);
	ck_assert_int_eq(suppress_parse_line("munmap sym:x", &r, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "'sym:x'") != NULL, "%s", err);
	ck_assert_int_eq(suppress_parse_line("munmap fun:", &r, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(suppress_parse_line("munmap mod:", &r, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(suppress_parse_line("munmap fun:a fun:b fun:c fun:d fun:e fun:f fun:g fun:h fun:i", &r, err,
					     sizeof(err)),
			 -EINVAL);
	ck_assert_msg(strstr(err, "more than 8") != NULL, "%s", err);
	char longline[400];
	memset(longline, 'a', sizeof(longline) - 1);
	memcpy(longline, "munmap fun:", 11);
	longline[sizeof(longline) - 1] = '\0';
	ck_assert_int_eq(suppress_parse_line(longline, &r, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "longer") != NULL, "%s", err);
	/* Eight patterns of the longest total length still fit. */
	ck_assert_int_eq(suppress_parse_line("munmap fun:a fun:b fun:c fun:d fun:e fun:f fun:g fun:h", &r, err, sizeof(err)), 1);
	ck_assert_int_eq(r.npatterns, 8);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_suppress_load_keeps_good_lines_and_their_numbers)
{
	char dir[4096], path[4200];
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/s.supp", dir);
	write_file(path, "# header\nmunmap fun:a\nbogus fun:b\n\nmprotect mod:x fun:y\nmadvise what:z\nfork"); /* no final newline */
	unit_quiet_stderr();
	ck_assert_int_eq(suppress_load_file(path), 3);
	ck_assert_int_eq(suppress_nrules(), 3);
	ck_assert_str_eq(suppress_rule_at(0)->text, "munmap fun:a");
	ck_assert_uint_eq(suppress_rule_at(0)->line, 2);
	ck_assert_str_eq(suppress_rule_at(1)->text, "mprotect mod:x fun:y");
	ck_assert_uint_eq(suppress_rule_at(1)->line, 5);
	ck_assert_str_eq(suppress_rule_at(2)->text, "fork");
	ck_assert_uint_eq(suppress_rule_at(2)->line, 7);
	ck_assert(suppress_active());
	unit_rmtree(dir);
}
END_TEST

START_TEST(test_suppress_loads_any_number_of_rules_and_matches_past_the_first_chunk)
{
	char dir[4096], path[4200];
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/many.supp", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 1; i < 700; i++) {
		fprintf(f, "munmap fun:no_such_function_%d\n", i);
	}
	fputs("fork\n# the end\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(suppress_load_file(path), 700);
	ck_assert_int_eq(suppress_nrules(), 700);
	ck_assert_str_eq(suppress_rule_at(699)->text, "fork");
	ck_assert_uint_eq(suppress_rule_at(699)->line, 700);
	/* Rule 700 (1-based) takes every fork site: in the third chunk of 256. */
	uintptr_t ip = (uintptr_t)&suppress_load_file;
	ck_assert_uint_eq(suppress_match(KIND_FORK, &ip, 1), 700);
	suppress_count(700, true);
	suppress_count(700, false);
	char buf[65536];
	struct sb sb;
	sb_init(&sb, buf, sizeof(buf));
	suppress_json(&sb);
	ck_assert(!sb.overflow);
	ck_assert_ptr_nonnull(strstr(sb_cstr(&sb), "{\"rule\":\"fork\",\"line\":700,\"sites\":1,\"count\":2}"));
	ck_assert_uint_ge(suppress_json_size(), sb.len);
	unit_rmtree(dir);
}
END_TEST

START_TEST(test_suppress_unreadable_file_loads_nothing)
{
	unit_quiet_stderr();
	ck_assert_int_eq(suppress_load_file("/nonexistent/ptfreeze.supp"), 0);
	ck_assert(!suppress_active());
	ck_assert_int_eq(suppress_load_file("/"), 0);
	ck_assert(!suppress_active());
}
END_TEST

/* Functions with known names in this binary's symbol table (static: .symtab only). */
static __attribute__((noinline)) int suppress_probe_alpha(int x) { return x * 3 + 1; }
__attribute__((noinline)) int suppress_probe_beta(int x);
__attribute__((noinline)) int suppress_probe_beta(int x) { return suppress_probe_alpha(x) + 2; }

START_TEST(test_suppress_names_the_function_of_an_address)
{
	char name[128];
	ck_assert(suppress_function_of((uintptr_t)&suppress_probe_alpha + 1, name, sizeof(name)));
	ck_assert_str_eq(name, "suppress_probe_alpha");
	ck_assert(suppress_function_of((uintptr_t)&suppress_probe_beta, name, sizeof(name)));
	ck_assert_str_eq(name, "suppress_probe_beta");
	/* In libc (a shared object: its .dynsym at least). */
	ck_assert(suppress_function_of((uintptr_t)&getpid + 1, name, sizeof(name)));
	ck_assert_msg(strstr(name, "getpid") != NULL, "getpid resolved to %s", name);
	/* Nowhere. */
	ck_assert(!suppress_function_of(16, name, sizeof(name)));
}
END_TEST

static unsigned match_file(const char *text, int kind, const uintptr_t *ips, int n)
{
	char dir[4096], path[4200];
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/m.supp", dir);
	write_file(path, text);
	ck_assert_int_ge(suppress_load_file(path), 1);
	unit_rmtree(dir);
	return suppress_match(kind, ips, n);
}

START_TEST(test_suppress_matches_stacks_by_function_and_module)
{
	/* Return addresses: just inside each function. */
	uintptr_t ips[3] = {(uintptr_t)&suppress_probe_alpha + 2, (uintptr_t)&suppress_probe_beta + 2, (uintptr_t)&getpid + 2};
	ck_assert_uint_eq(match_file("munmap fun:suppress_probe_alpha\n", KIND_MUNMAP, ips, 3), 1);
	ck_assert_uint_eq(match_file("munmap fun:suppress_probe_alpha\n", KIND_MPROTECT, ips, 3), 0);
	ck_assert_uint_eq(match_file("* fun:suppress_probe_b*\n", KIND_MPROTECT, ips, 3), 1);
	/* Every pattern must match some frame, not necessarily the same one. */
	ck_assert_uint_eq(match_file("* fun:suppress_probe_beta mod:libc.so*\n", KIND_MMAP, ips, 3), 1);
	ck_assert_uint_eq(match_file("* fun:suppress_probe_beta fun:nothing_here\n", KIND_MMAP, ips, 3), 0);
	ck_assert_uint_eq(match_file("* mod:check_ptfreeze\n", KIND_MMAP, ips, 1), 1);
	ck_assert_uint_eq(match_file("* mod:libc.so*\n", KIND_MMAP, ips, 2), 0);
	ck_assert_uint_eq(match_file("* mod:/*/check_ptfreeze\n", KIND_MMAP, ips, 1), 1);
	ck_assert_uint_eq(match_file("* mod:/check_ptfreeze\n", KIND_MMAP, ips, 1), 0);
	/* The first rule that matches is the one counted. */
	ck_assert_uint_eq(match_file("munmap fun:x\nmmap fun:*alpha\n* fun:*\n", KIND_MMAP, ips, 3), 2);
	/* No pattern: every site of the kind. */
	ck_assert_uint_eq(match_file("fork\n", KIND_FORK, ips, 0), 1);
	ck_assert_uint_eq(match_file("fork\n", KIND_VFORK, ips, 0), 0);
}
END_TEST

START_TEST(test_suppress_counts_per_rule_in_the_summary_json)
{
	uintptr_t ips[1] = {(uintptr_t)&suppress_probe_alpha + 2};
	ck_assert_uint_eq(match_file("munmap fun:q\nmmap fun:suppress_probe_alpha # why\n", KIND_MMAP, ips, 1), 2);
	suppress_count(2, true);
	suppress_count(2, false);
	suppress_count(2, false);
	char buf[2048];
	struct sb sb;
	sb_init(&sb, buf, suppress_json_size() < sizeof(buf) ? suppress_json_size() : sizeof(buf));
	suppress_json(&sb);
	ck_assert(!sb.overflow);
	sb_cstr(&sb);
	ck_assert_str_eq(buf, "[{\"rule\":\"munmap fun:q\",\"line\":1,\"sites\":0,\"count\":0},"
			      "{\"rule\":\"mmap fun:suppress_probe_alpha\",\"line\":2,\"sites\":1,\"count\":3}]");
	ck_assert(unit_json_valid(buf, strlen(buf)));
	suppress_reset();
	sb_init(&sb, buf, sizeof(buf));
	suppress_json(&sb);
	sb_cstr(&sb);
	ck_assert(strstr(buf, "\"count\":3") == NULL);
}
END_TEST

/* ---- the guard with rules ---- */

static void guard_setup(void)
{
	ck_assert_int_eq(config_load((char *[]){NULL}), 0);
	config.log_stderr = false;
	config.report[0] = '\0';
}

static void guard_teardown(void) { pool_reset_for_tests(); }

/* Named frames in the stack: not inlined, and no tail call (the asm keeps a frame). */
static __attribute__((noinline)) void suppress_record_here(struct event *ev)
{
	guard_record(ev);
	__asm__ volatile("" ::: "memory");
}
static __attribute__((noinline)) enum verdict suppress_verdict_here(enum kind k)
{
	enum verdict v = guard_verdict(k);
	__asm__ volatile("" ::: "memory");
	return v;
}

static bool have_stacks(void)
{
	unit_pool_small(8 * MiB);
	if (capture_init(64, 32) != 0) {
		unit_note("no libunwind: suppression by stack not checked");
		return false;
	}
	return true;
}

START_TEST(test_suppress_guard_counts_a_suppressed_site_without_an_event)
{
	if (!have_stacks()) {
		return;
	}
	match_file("mprotect fun:suppress_record_here\n", KIND_MPROTECT, NULL, 0);
	config.mode = MODE_REPORT;
	config.faults = false; /* page faults have their own suite */
	ck_assert_int_eq(phase_arm("manual"), 0);
	for (int i = 0; i < 2; i++) {
		struct event ev = {.kind = KIND_MPROTECT, .bytes = 4096};
		errno = 777;
		suppress_record_here(&ev);
		ck_assert_int_eq(errno, 777);
	}
	struct event other = {.kind = KIND_MUNMAP, .bytes = 4096};
	suppress_record_here(&other);
	ck_assert_uint_eq(guard_events(), 1);
	ck_assert_uint_eq(guard_events_of(KIND_MPROTECT), 0);
	size_t tagged = 0, plain = 0;
	for (size_t i = 0; i < capture_capacity(); i++) {
		const struct site *s = capture_site_at(i);
		if (s && s->tag) {
			tagged++;
			ck_assert_uint_eq(s->kind, KIND_MPROTECT);
			ck_assert_uint_eq(atomic_load(&s->count), 2);
			ck_assert_uint_eq(s->tag, 1);
		} else if (s) {
			plain++;
		}
	}
	ck_assert_uint_eq(tagged, 1);
	ck_assert_uint_eq(plain, 1);
	char buf[512];
	struct sb sb;
	sb_init(&sb, buf, sizeof(buf));
	suppress_json(&sb);
	sb_cstr(&sb);
	ck_assert_msg(strstr(buf, "\"sites\":1,\"count\":2") != NULL, "%s", buf);
}
END_TEST

START_TEST(test_suppress_guard_strict_mode_lets_a_suppressed_call_through)
{
	if (!have_stacks()) {
		return;
	}
	match_file("munmap fun:suppress_verdict_here\n", KIND_MUNMAP, NULL, 0);
	config.mode = MODE_STRICT;
	config.faults = false; /* page faults have their own suite */
	ck_assert_int_eq(phase_arm("manual"), 0);
	for (int i = 0; i < 2; i++) { /* one call site, so one stack */
		errno = 555;
		ck_assert_int_eq(suppress_verdict_here(KIND_MUNMAP), VERDICT_PASS);
		ck_assert_int_eq(errno, 555);
	}
	ck_assert_int_eq(suppress_verdict_here(KIND_MPROTECT), VERDICT_BLOCK);
	ck_assert_uint_eq(guard_events(), 0);
	char buf[512];
	struct sb sb;
	sb_init(&sb, buf, sizeof(buf));
	suppress_json(&sb);
	sb_cstr(&sb);
	ck_assert_msg(strstr(buf, "\"sites\":1,\"count\":2") != NULL, "%s", buf);
}
END_TEST

/* ---- numa_maps ---- */

static void add_node(int node, size_t bytes, void *arg) { ((size_t *)arg)[node] += bytes; }

START_TEST(test_numa_parses_pages_per_node_in_the_line_page_size)
{
	size_t acc[NUMA_MAX_NODES + 1] = {0};
	uintptr_t start = 0;
	ck_assert(numa_parse_line("7f300e800000 prefer:0 anon=403 dirty=403 N0=400 N1=3 kernelpagesize_kB=4", &start,
				  add_node, acc));
	ck_assert_uint_eq(start, 0x7f300e800000u);
	ck_assert_uint_eq(acc[0], 400 * 4096);
	ck_assert_uint_eq(acc[1], 3 * 4096);
	memset(acc, 0, sizeof(acc));
	ck_assert(numa_parse_line("600000000000 bind:1 huge anon=2 dirty=2 N1=2 N70=1 kernelpagesize_kB=2048", &start,
				  add_node, acc));
	ck_assert_uint_eq(acc[1], 2 * 2 * MiB);
	ck_assert_uint_eq(acc[NUMA_MAX_NODES], 2 * MiB);
	memset(acc, 0, sizeof(acc));
	/* A file named N0=9 is not a node count. */
	ck_assert(numa_parse_line("55d0 default file=/tmp/x\\040N0=9 mapped=1 N0=1 kernelpagesize_kB=4", &start, add_node, acc));
	ck_assert_uint_eq(acc[0], 4096);
	ck_assert(!numa_parse_line("not a line", &start, add_node, acc));
}
END_TEST

Suite *suppress_suite(void)
{
	Suite *s = suite_create("suppress");
	TCase *tc = tcase_create("rules");
	tcase_add_test(tc, test_suppress_glob_matches_star_and_question);
	tcase_add_test(tc, test_suppress_parses_kind_and_patterns);
	tcase_add_test(tc, test_suppress_every_kind_name_parses);
	tcase_add_test(tc, test_suppress_blank_and_comment_lines_are_not_rules);
	tcase_add_test(tc, test_suppress_rejects_malformed_lines_with_a_reason);
	tcase_add_test(tc, test_suppress_load_keeps_good_lines_and_their_numbers);
	tcase_add_test(tc, test_suppress_unreadable_file_loads_nothing);
	tcase_add_test(tc, test_suppress_loads_any_number_of_rules_and_matches_past_the_first_chunk);
	tcase_add_test(tc, test_suppress_names_the_function_of_an_address);
	tcase_add_test(tc, test_suppress_matches_stacks_by_function_and_module);
	tcase_add_test(tc, test_suppress_counts_per_rule_in_the_summary_json);
	suite_add_tcase(s, tc);

	tc = tcase_create("guard");
	tcase_add_checked_fixture(tc, guard_setup, guard_teardown);
	tcase_add_test(tc, test_suppress_guard_counts_a_suppressed_site_without_an_event);
	tcase_add_test(tc, test_suppress_guard_strict_mode_lets_a_suppressed_call_through);
	suite_add_tcase(s, tc);

	tc = tcase_create("numa");
	tcase_add_test(tc, test_numa_parses_pages_per_node_in_the_line_page_size);
	suite_add_tcase(s, tc);
	return s;
}
