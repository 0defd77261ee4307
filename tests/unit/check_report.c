/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_report: the JSON Lines report (src/report.c): path templates,
 * opening the file safely (0600, no symlinks, no hanging), and records
 * that are whole, valid JSON lines.  Each test works in its own temporary
 * directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "check_ptfreeze.h"
#include "guard.h"
#include "faults.h"
#include "phase.h"
#include "report.h"
#include "summary.h"

#define MiB ((size_t)1 << 20)

static char dir[4096];
static char file[4200];

static void setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/report.jsonl", dir);
	ck_assert_int_eq(config_load((char *[]){NULL}), 0);
	/* Arming here must not sample page faults (their own suite: check_faults): they would add events. */
	config.faults = false;
	config.log_stderr = false;
}

static void teardown(void)
{
	unit_rmtree(dir);
	pool_reset_for_tests();
}

/* Points config.report at path and opens it. */
/* An arm record as phase writes one. */
static void arm_record(const char *how, long minor, long major, const char *mlockall)
{
	struct report_arm_info info = {.page_faults = faults_json};
	phase_prefault_stats(&info.prefault_before_arm, &info.prefault_bytes, &info.prefault_wait_ns);
	report_arm(how, minor, major, mlockall, &info);
}

static int open_at(const char *path)
{
	ck_assert_uint_lt(strlen(path), sizeof(config.report));
	strcpy(config.report, path);
	return report_open_now(0);
}

/* Checks the report is whole JSON lines; returns how many, fills types. */
static int check_lines(const char *path, char types[][32], int max)
{
	size_t len;
	char *text = unit_slurp(path, &len);
	ck_assert_msg(text != NULL, "cannot read %s", path);
	ck_assert_msg(len == 0 || text[len - 1] == '\n', "the report does not end with a newline");
	int n = 0;
	for (char *line = text; line < text + len; n++) {
		char *nl = memchr(line, '\n', (size_t)(text + len - line));
		ck_assert_ptr_nonnull(nl);
		size_t l = (size_t)(nl - line);
		ck_assert_msg(l > 0 && line[0] == '{' && line[l - 1] == '}', "line %d is not one object: %.*s", n + 1,
			      (int)(l < 200 ? l : 200), line);
		ck_assert_msg(unit_json_valid(line, l), "line %d is not valid JSON: %.*s", n + 1, (int)(l < 300 ? l : 300),
			      line);
		if (types && n < max) {
			const char *t = strstr(line, "\"type\":\"");
			ck_assert_msg(t == line + 1, "line %d does not start with its type", n + 1);
			t += 8;
			size_t k = strcspn(t, "\"");
			ck_assert_uint_lt(k, 32);
			memcpy(types[n], t, k);
			types[n][k] = '\0';
		}
		line = nl + 1;
	}
	free(text);
	return n;
}

/* --- report_expand --- */

START_TEST(test_report_expand_pid_exe_and_percent)
{
	char buf[256];
	ck_assert_int_eq(report_expand("r-%p.jsonl", 1234, "/usr/bin/app", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "r-1234.jsonl");
	ck_assert_int_eq(report_expand("/tmp/%e-%p-%%.jsonl", 7, "/usr/bin/my-app_2+x", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/tmp/my-app_2+x-7-%.jsonl");
	ck_assert_int_eq(report_expand("%e", 1, "plain", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "plain");
	ck_assert_int_eq(report_expand("no-conversions", 1, "x", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "no-conversions");
}
END_TEST

START_TEST(test_report_expand_hostile_exe_adds_no_path_component)
{
	static const char *const exes[] = {"../../x y", "..", ".", "/usr/bin/.hidden", "/", "", "a/b/../..",
					   "x\ny", "evil/../../etc/passwd", "\xff\xfe", "/bin/..",
					   "name with spaces and $(cmd) `x`"};
	for (size_t i = 0; i < sizeof(exes) / sizeof(exes[0]); i++) {
		char buf[256];
		ck_assert_int_eq(report_expand("%e", 1, exes[i], buf, sizeof(buf)), 0);
		ck_assert_msg(buf[0] != '\0', "exe '%s' expanded to nothing", exes[i]);
		ck_assert_msg(strchr(buf, '/') == NULL, "exe '%s' expanded to '%s'", exes[i], buf);
		ck_assert_msg(buf[0] != '.', "exe '%s' expanded to '%s'", exes[i], buf);
		for (const char *c = buf; *c; c++) {
			ck_assert_msg((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
					      strchr("._-+", *c),
				      "exe '%s' expanded to '%s'", exes[i], buf);
		}
		/* Inside a directory template too. */
		ck_assert_int_eq(report_expand("/tmp/d/%e.jsonl", 1, exes[i], buf, sizeof(buf)), 0);
		ck_assert_msg(strncmp(buf, "/tmp/d/", 7) == 0 && strchr(buf + 7, '/') == NULL && buf[7] != '.',
			      "exe '%s' expanded to '%s'", exes[i], buf);
	}
	char buf[64];
	ck_assert_int_eq(report_expand("%e", 1, "../../x y", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "x_y");
}
END_TEST

START_TEST(test_report_expand_too_long_is_enametoolong)
{
	char buf[16];
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(report_expand("0123456789abcdef", 1, "x", buf, sizeof(buf)), -ENAMETOOLONG);
	ck_assert_int_eq(report_expand("r-%p", LONG_MAX, "x", buf, sizeof(buf)), -ENAMETOOLONG);
	ck_assert_int_eq(report_expand("%e", 1, "a-very-long-executable-name", buf, sizeof(buf)), -ENAMETOOLONG);
	ck_assert_int_eq(report_expand("0123456789abcde", 1, "x", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0123456789abcde");
	char big[CONFIG_PATH_MAX];
	char tmpl[CONFIG_PATH_MAX];
	memset(tmpl, 0, sizeof(tmpl));
	for (size_t i = 0; i + 2 < 400; i += 2) {
		memcpy(tmpl + i, "%e", 2);
	}
	ck_assert_int_eq(report_expand(tmpl, 1, "abcdefgh", big, sizeof(big)), -ENAMETOOLONG);
}
END_TEST

/* --- report_open --- */

START_TEST(test_report_open_creates_file_with_mode_0600)
{
	umask(0);
	char tmpl[4200], want[4300];
	snprintf(tmpl, sizeof(tmpl), "%s/r-%%p.jsonl", dir);
	snprintf(want, sizeof(want), "%s/r-%d.jsonl", dir, (int)getpid());
	ck_assert_int_eq(open_at(tmpl), 0);
	ck_assert(report_enabled());
	ck_assert_str_eq(report_path(), want);
	struct stat st;
	ck_assert_int_eq(lstat(want, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_size, 0);
}
END_TEST

START_TEST(test_report_open_truncates_an_old_report)
{
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("old contents\n", f);
	fclose(f);
	ck_assert_int_eq(open_at(file), 0);
	arm_record("manual", 0, 0, NULL);
	char types[4][32];
	ck_assert_int_eq(check_lines(file, types, 4), 1);
	ck_assert_str_eq(types[0], "arm");
}
END_TEST

START_TEST(test_report_open_descriptor_is_cloexec_append_and_not_stdio)
{
	ck_assert_int_eq(open_at(file), 0);
	int found = -1;
	for (int fd = 0; fd < 4096 && found < 0; fd++) {
		char link[64], target[4300];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (strcmp(target, file) == 0) {
				found = fd;
			}
		}
	}
	ck_assert_int_ge(found, 3);
	ck_assert_int_ne(fcntl(found, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_ne(fcntl(found, F_GETFL) & O_APPEND, 0);
}
END_TEST

START_TEST(test_report_open_refuses_a_symlink)
{
	char target[4300];
	snprintf(target, sizeof(target), "%s/target", dir);
	ck_assert_int_eq(symlink(target, file), 0);
	int r = open_at(file);
	ck_assert_int_eq(r, -ELOOP);
	ck_assert(!report_enabled());
	ck_assert_int_ne(access(target, F_OK), 0); /* nothing created through the link */
	arm_record("manual", 0, 0, NULL); /* and writing is a harmless no-op */
	ck_assert_int_ne(access(target, F_OK), 0);

	/* A link to an existing file is refused too, and the file left alone. */
	FILE *f = fopen(target, "w");
	ck_assert_ptr_nonnull(f);
	fputs("keep\n", f);
	fclose(f);
	ck_assert_int_eq(open_at(file), -ELOOP);
	char *text = unit_slurp(target, NULL);
	ck_assert_str_eq(text, "keep\n");
	free(text);
}
END_TEST

START_TEST(test_report_open_unwritable_directory_leaves_report_off)
{
	char path[4300];
	snprintf(path, sizeof(path), "%s/no/such/dir/r.jsonl", dir);
	ck_assert_int_eq(open_at(path), -ENOENT);
	ck_assert(!report_enabled());
	arm_record("manual", 0, 0, NULL);
}
END_TEST

static volatile sig_atomic_t alarmed;
static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/*
 * BUG (src/report.c open_file): the report is opened O_WRONLY without
 * O_NONBLOCK, so a FIFO at the report path (e.g. planted in a shared
 * working directory under the predictable default name
 * ptfreeze-%e-%p.jsonl) blocks the program in its constructor until
 * something reads the FIFO.  Contract: an unusable path prints one line,
 * leaves the report off and the program carries on.  Only regular files
 * should be accepted (open O_NONBLOCK, then fstat S_ISREG).
 */
START_TEST(test_report_open_does_not_hang_on_a_fifo)
{
	ck_assert_int_eq(mkfifo(file, 0600), 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked open returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	alarm(2);
	int r = open_at(file);
	alarm(0);
	ck_assert_msg(!alarmed, "report_open blocked on a FIFO at the report path (returned %d after SIGALRM)", r);
	ck_assert_msg(r < 0 && !report_enabled(), "report_open accepted a FIFO (returned %d)", r);
}
END_TEST

START_TEST(test_report_off_disables_and_stderr_uses_fd_2)
{
	config.report[0] = '\0';
	ck_assert_int_eq(report_open_now(0), 0);
	ck_assert(!report_enabled());
	strcpy(config.report, "stderr");
	ck_assert_int_eq(report_open_now(0), 0);
	ck_assert(report_enabled());
	ck_assert_str_eq(report_path(), "stderr");
}
END_TEST

/* --- records --- */

START_TEST(test_report_arm_record_is_one_json_line)
{
	ck_assert_int_eq(open_at(file), 0);
	arm_record("manual", 12, 3, NULL);
	char *text = unit_slurp(file, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strncmp(text, "{\"type\":\"arm\"", 13) == 0, "record: %s", text);
	size_t n = strlen(text);
	ck_assert_msg(n >= 2 && strcmp(text + n - 2, "}\n") == 0, "record: %s", text);
	ck_assert_ptr_eq(strchr(text, '\n'), text + n - 1);
	ck_assert(unit_json_valid(text, n));
	ck_assert_ptr_nonnull(strstr(text, "\"how\":\"manual\""));
	ck_assert_ptr_nonnull(strstr(text, "\"faults_before\":{\"minor\":12,\"major\":3}"));
	ck_assert_ptr_nonnull(strstr(text, "\"mlockall\":null"));
	free(text);
	arm_record("manual", 0, 0, "locked");
	char types[4][32];
	ck_assert_int_eq(check_lines(file, types, 4), 2);
}
END_TEST

START_TEST(test_report_arm_escapes_a_hostile_how)
{
	ck_assert_int_eq(open_at(file), 0);
	arm_record("sig\"nal\n\\x\x01\xff", 0, 0, NULL);
	report_disarm();
	char types[4][32];
	ck_assert_int_eq(check_lines(file, types, 4), 2);
	ck_assert_str_eq(types[0], "arm");
	ck_assert_str_eq(types[1], "disarm");
}
END_TEST

/*
 * BUG (src/report.c emit): record buffers are set up with cap
 * sizeof(buf) - 1 and emit() appends the newline with sb_putc() without
 * checking that it fitted.  A record exactly one byte short of the cap
 * (sizeof(buf) - 2 bytes) does not overflow, but its '\n' does, and the
 * record is written without it: the next record lands on the same line and
 * both lines are lost to a JSON Lines reader.  Records here vary the length
 * of "how" over every size so that one of them hits the boundary.
 */
START_TEST(test_report_every_record_ends_its_line_even_at_buffer_limit)
{
	unit_quiet_stderr(); /* the records that do not fit are logged */
	ck_assert_int_eq(open_at(file), 0);
	static char how[600];
	/* Every length up to past the buffer: one of them is the boundary. */
	for (size_t n = 1; n < sizeof(how); n++) {
		memset(how, 'h', n);
		how[n] = '\0';
		arm_record(how, 1, 2, NULL);
	}
	report_disarm();
	size_t len;
	char *text = unit_slurp(file, &len);
	ck_assert_ptr_nonnull(text);
	int lines = 0;
	for (char *p = text; (p = strchr(p, '\n')) != NULL; p++) {
		lines++;
	}
	ck_assert_msg(strstr(text, "}{") == NULL, "two records share a line: a record was written without its newline");
	free(text);
	ck_assert_int_eq(check_lines(file, NULL, 0), lines);
}
END_TEST

START_TEST(test_report_reopens_when_its_descriptor_was_replaced)
{
	ck_assert_int_eq(open_at(file), 0);
	arm_record("first", 0, 0, NULL);
	int ours = -1;
	for (int fd = 3; fd < 4096 && ours < 0; fd++) {
		char link[64], target[4300];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = '\0', strcmp(target, file) == 0)) {
			ours = fd;
		}
	}
	ck_assert_int_ge(ours, 0);
	/* The program closes every descriptor and reuses ours for its own file. */
	char theirs[4300];
	snprintf(theirs, sizeof(theirs), "%s/theirs", dir);
	int fd = open(theirs, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, ours), ours);
	close(fd);
	arm_record("second", 0, 0, NULL);
	struct stat st;
	ck_assert_int_eq(stat(theirs, &st), 0);
	ck_assert_msg(st.st_size == 0, "the report wrote %ld bytes into the program's file", (long)st.st_size);
	char types[4][32];
	ck_assert_int_eq(check_lines(file, types, 4), 2);
	ck_assert(report_enabled());
}
END_TEST

START_TEST(test_report_header_modules_and_summary_are_valid_json)
{
	unit_pool_small(8 * MiB);
	int r = capture_init(32, 8);
	ck_assert(r == 0 || r == -ENOENT);
	ck_assert_int_eq(report_prepare_summary(32), 0);
	ck_assert_int_eq(open_at(file), 0);
	report_header(0);
	report_modules();
	report_modules(); /* nothing new the second time */
	arm_record("manual", 1, 0, NULL);

	uintptr_t ips[3] = {0x401000, 0x402000, 0x403000};
	bool is_new = false;
	struct site *s = capture_site(KIND_MMAP, ips, 3, &is_new);
	ck_assert_ptr_nonnull(s);
	struct event ev = {.kind = KIND_MMAP,
			   .args = {0, 8192, 3, 0x22, (uintptr_t)-1, 0},
			   .path = "/tmp/we\"ird\npath\xff",
			   .detail = "file mapping",
			   .bytes = 8192,
			   .result = -EPERM,
			   .blocked = true};
	report_site(s, &ev, 42, 1000);
	struct event none = {.kind = KIND_FORK, .bytes = 0, .result = 1234};
	s = capture_site(KIND_FORK, ips, 1, &is_new);
	report_site(s, &none, 42, 2000);
	report_pool_grow(4096, 0, true, "jemalloc");
	report_disarm();
	summary_write("exit");
	summary_write("exit"); /* written once */

	char types[256][32];
	int n = check_lines(file, types, 256);
	ck_assert_int_ge(n, 7);
	ck_assert_str_eq(types[0], "header");
	int modules = 0, sites = 0, summaries = 0;
	for (int i = 1; i < n && i < 256; i++) {
		modules += strcmp(types[i], "module") == 0;
		sites += strcmp(types[i], "site") == 0;
		summaries += strcmp(types[i], "summary") == 0;
	}
	ck_assert_int_ge(modules, 1);
	ck_assert_int_eq(sites, 2);
	ck_assert_int_eq(summaries, 1);
	ck_assert_str_eq(types[n - 1], "summary");

	char *text = unit_slurp(file, NULL);
	char want[64];
	snprintf(want, sizeof(want), "\"version\":%d", REPORT_VERSION);
	ck_assert_ptr_nonnull(strstr(text, want));
	ck_assert_ptr_nonnull(strstr(text, "\"path\":\"/tmp/we\\\"ird\\npath\\u00ff\""));
	ck_assert_ptr_nonnull(strstr(text, "\"action\":\"blocked\""));
	ck_assert_ptr_nonnull(strstr(text, "\"errno\":1"));
	ck_assert_ptr_nonnull(strstr(text, "\"stack\":[\"0x401000\",\"0x402000\",\"0x403000\"]"));
	free(text);
}
END_TEST

/* The kernel kills a writer past RLIMIT_FSIZE with SIGXFSZ: the report must stop short. */
START_TEST(test_report_stops_short_of_rlimit_fsize_and_keeps_whole_lines)
{
	struct rlimit low = {1000, RLIM_INFINITY}, none = {RLIM_INFINITY, RLIM_INFINITY};
	ck_assert_uint_lt(strlen(file), sizeof(config.report));
	strcpy(config.report, file);
	/*
	 * No ck_assert while the limit is low: Check's own result file obeys it
	 * too, and so does stderr when make check sends it to a log file.
	 */
	int saved_err = dup(2), devnull = open("/dev/null", O_WRONLY);
	ck_assert_int_ge(saved_err, 0);
	ck_assert_int_ge(devnull, 0);
	dup2(devnull, 2);
	int lim = setrlimit(RLIMIT_FSIZE, &low);
	int opened = report_open_now(0); /* reads the limit */
	for (int i = 0; i < 40; i++) {
		arm_record("manual", i, 0, NULL);
	}
	setrlimit(RLIMIT_FSIZE, &none);
	dup2(saved_err, 2);
	close(saved_err);
	close(devnull);
	ck_assert_int_eq(lim, 0);
	ck_assert_int_eq(opened, 0);
	struct stat st;
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_le(st.st_size, 1000);
	ck_assert_int_gt(st.st_size, 0);
	int n = check_lines(file, NULL, 0);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, 40);
	/* Once refused, later records are dropped even if they would fit. */
	ck_assert_int_eq(truncate(file, 0), 0);
	arm_record("manual", 0, 0, NULL);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("expand");
	tcase_add_test(tc, test_report_expand_pid_exe_and_percent);
	tcase_add_test(tc, test_report_expand_hostile_exe_adds_no_path_component);
	tcase_add_test(tc, test_report_expand_too_long_is_enametoolong);
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_report_open_creates_file_with_mode_0600);
	tcase_add_test(tc, test_report_open_truncates_an_old_report);
	tcase_add_test(tc, test_report_open_descriptor_is_cloexec_append_and_not_stdio);
	tcase_add_test(tc, test_report_open_refuses_a_symlink);
	tcase_add_test(tc, test_report_open_unwritable_directory_leaves_report_off);
	tcase_add_test(tc, test_report_open_does_not_hang_on_a_fifo);
	tcase_add_test(tc, test_report_off_disables_and_stderr_uses_fd_2);
	suite_add_tcase(s, tc);

	tc = tcase_create("records");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_report_arm_record_is_one_json_line);
	tcase_add_test(tc, test_report_arm_escapes_a_hostile_how);
	tcase_add_test(tc, test_report_every_record_ends_its_line_even_at_buffer_limit);
	tcase_add_test(tc, test_report_reopens_when_its_descriptor_was_replaced);
	tcase_add_test(tc, test_report_header_modules_and_summary_are_valid_json);
	tcase_add_test(tc, test_report_stops_short_of_rlimit_fsize_and_keeps_whole_lines);
	suite_add_tcase(s, tc);
	return s;
}
