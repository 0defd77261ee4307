/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_main: the runner for every unit suite, and the helpers they share.
 * Exit status follows automake: 0 all passed, 1 a test failed, 99 the
 * runner itself could not run.  CK_RUN_SUITE / CK_RUN_CASE select a suite
 * or test case as usual with Check.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_ptfreeze.h"
#include "shim.h"

/*
 * The shim's state (src/shim.c) stays SHIM_UNINIT in the unit tests: they
 * are not a preloaded shim, and nothing is busy.
 */
void unit_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("note: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void unit_quiet_stderr(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
}

/* One directory per run, made before the tests fork and removed after they
 * all ran: a failing test never reaches its teardown, so cleanup is here. */
static char run_dir[4096];

void unit_tmpdir(char *out, size_t cap)
{
	ck_assert_msg(run_dir[0] != '\0', "no run directory");
	int n = snprintf(out, cap, "%s/t-XXXXXX", run_dir);
	ck_assert_msg(n > 0 && (size_t)n < cap, "temporary directory name too long");
	ck_assert_msg(mkdtemp(out) != NULL, "mkdtemp(%s): %s", out, strerror(errno));
}

static bool make_run_dir(void)
{
	const char *base = getenv("TMPDIR");
	if (base == NULL || base[0] == '\0') {
		base = "/tmp";
	}
	int n = snprintf(run_dir, sizeof(run_dir), "%s/ptfreeze-unit-XXXXXX", base);
	return n > 0 && (size_t)n < sizeof(run_dir) && mkdtemp(run_dir) != NULL;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP) {
		rmdir(path);
	} else {
		unlink(path);
	}
	return 0;
}

void unit_rmtree(const char *dir)
{
	if (dir && dir[0]) {
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
}

char *unit_slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (buf == NULL) {
			close(fd);
			return NULL;
		}
		if (n + 1 == cap) {
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (len) {
		*len = n;
	}
	return buf;
}

void unit_pool_small(size_t size)
{
	int r = pool_reserve(size, HUGEPAGES_NONE, false, 1);
	ck_assert_msg(r == 0, "pool_reserve(%zu, none) = %d", size, r);
	ck_assert_uint_ge(pool_size(), size);
}

/* --- a strict JSON validator, for records the report writes --- */

struct json {
	const unsigned char *p, *end;
	int depth;
};

static void ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
		j->p++;
	}
}

static bool lit(struct json *j, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0) {
		return false;
	}
	j->p += n;
	return true;
}

/* One UTF-8 sequence, strictly (RFC 3629): no overlongs, no surrogates, <= U+10FFFF. */
static bool utf8(struct json *j)
{
	const unsigned char *s = j->p;
	size_t avail = (size_t)(j->end - s);
	unsigned char c = s[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;
	if (c < 0x80) {
		j->p++;
		return true;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0) {
			lo = 0xa0;
		} else if (c == 0xed) {
			hi = 0x9f;
		}
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0) {
			lo = 0x90;
		} else if (c == 0xf4) {
			hi = 0x8f;
		}
	} else {
		return false;
	}
	if (avail < len || s[1] < lo || s[1] > hi) {
		return false;
	}
	for (size_t i = 2; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return false;
		}
	}
	j->p += len;
	return true;
}

static bool hex4(struct json *j)
{
	for (int i = 0; i < 4; i++) {
		if (j->p >= j->end) {
			return false;
		}
		unsigned char c = *j->p++;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}

static bool string(struct json *j)
{
	if (j->p >= j->end || *j->p != '"') {
		return false;
	}
	j->p++;
	while (j->p < j->end) {
		unsigned char c = *j->p;
		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20) {
			return false;
		}
		if (c == '\\') {
			j->p++;
			if (j->p >= j->end) {
				return false;
			}
			c = *j->p++;
			if (c == 'u') {
				if (!hex4(j)) {
					return false;
				}
			} else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
				return false;
			}
			continue;
		}
		if (!utf8(j)) {
			return false;
		}
	}
	return false;
}

static bool digits(struct json *j)
{
	const unsigned char *s = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		j->p++;
	}
	return j->p > s;
}

static bool number(struct json *j)
{
	if (j->p < j->end && *j->p == '-') {
		j->p++;
	}
	if (j->p < j->end && *j->p == '0') {
		j->p++;
	} else if (!digits(j)) {
		return false;
	}
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!digits(j)) {
			return false;
		}
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-')) {
			j->p++;
		}
		if (!digits(j)) {
			return false;
		}
	}
	return true;
}

static bool value(struct json *j);

static bool container(struct json *j, char close, bool object)
{
	if (++j->depth > 64) {
		return false;
	}
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return true;
	}
	for (;;) {
		ws(j);
		if (object) {
			if (!string(j)) {
				return false;
			}
			ws(j);
			if (j->p >= j->end || *j->p != ':') {
				return false;
			}
			j->p++;
		}
		if (!value(j)) {
			return false;
		}
		ws(j);
		if (j->p >= j->end) {
			return false;
		}
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == close) {
			j->p++;
			j->depth--;
			return true;
		}
		return false;
	}
}

static bool value(struct json *j)
{
	ws(j);
	if (j->p >= j->end) {
		return false;
	}
	switch (*j->p) {
	case '{': return container(j, '}', true);
	case '[': return container(j, ']', false);
	case '"': return string(j);
	case 't': return lit(j, "true");
	case 'f': return lit(j, "false");
	case 'n': return lit(j, "null");
	default: return number(j);
	}
}

bool unit_json_valid(const char *s, size_t n)
{
	struct json j = {(const unsigned char *)s, (const unsigned char *)s + n, 0};
	if (!value(&j)) {
		return false;
	}
	ws(&j);
	return j.p == j.end;
}

/* The validator is what the report tests stand on: check it first. */
START_TEST(test_json_validator_accepts_valid_and_rejects_invalid_json)
{
	static const char *const good[] = {
		"{}", "[]", "0", "-1.5e3", "\"\"", "{\"a\":[1,2,{\"b\":null}],\"c\":true}", "\"\\u00ff\\n\\\"\"",
		"\"\xe2\x82\xac\"", "\"\xf0\x9f\x98\x80\"", " {\"x\" : false} ",
	};
	static const char *const bad[] = {
		"", "{", "{\"a\"}", "[1,]", "{\"a\":1,}", "01", "\"\\x\"", "\"a\nb\"", "\"\xff\"", "\"\xed\xa0\x80\"",
		"\"\xe0\x80\xaf\"", "\"\xf4\x90\x80\x80\"", "{}{}", "nul", "\"\\u12\"",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(unit_json_valid(good[i], strlen(good[i])), "rejected good JSON #%zu", i);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!unit_json_valid(bad[i], strlen(bad[i])), "accepted bad JSON #%zu", i);
	}
}
END_TEST

static Suite *helpers_suite(void)
{
	Suite *s = suite_create("helpers");
	TCase *tc = tcase_create("json");
	tcase_add_test(tc, test_json_validator_accepts_valid_and_rejects_invalid_json);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (!make_run_dir()) {
		fprintf(stderr, "check_ptfreeze: cannot create a temporary directory: %s\n", strerror(errno));
		return 99;
	}
	SRunner *sr = srunner_create(helpers_suite());
	if (sr == NULL) {
		fputs("check_ptfreeze: cannot create the test runner\n", stderr);
		unit_rmtree(run_dir);
		return 99;
	}
	srunner_add_suite(sr, fmt_suite());
	srunner_add_suite(sr, kinds_suite());
	srunner_add_suite(sr, sys_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, pool_suite());
	srunner_add_suite(sr, spare_suite());
	srunner_add_suite(sr, pmap_suite());
	srunner_add_suite(sr, capture_suite());
	srunner_add_suite(sr, guard_suite());
	srunner_add_suite(sr, report_suite());
	srunner_add_suite(sr, suppress_suite());
	srunner_add_suite(sr, tstack_suite());
	srunner_add_suite(sr, smaps_suite());
	srunner_add_suite(sr, faults_suite());
	srunner_add_suite(sr, procfs_suite());
	srunner_add_suite(sr, phdr_suite());
	srunner_add_suite(sr, writeback_suite());
	srunner_add_suite(sr, hostspec_suite());
	srunner_add_suite(sr, serve_suite());
	/* The suites rely on a fresh process per test (see check_ptfreeze.h). */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unit_rmtree(run_dir);
	return failed == 0 ? 0 : 1;
}
