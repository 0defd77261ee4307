/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_sys: the raw-syscall layer (src/sys.c): whole-file reads, the
 * line reader used on /proc files, write-all, and errno left untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check_ptfreeze.h"
#include "sys.h"

static char dir[4096];

static void setup(void) { unit_tmpdir(dir, sizeof(dir)); }
static void teardown(void) { unit_rmtree(dir); }

/* Writes len bytes to dir/name and returns the path (static buffer). */
static const char *put_file(const char *name, const char *data, size_t len)
{
	static char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

START_TEST(test_sys_read_file_reads_whole_small_file)
{
	const char *p = put_file("a", "hello\nworld\n", 12);
	char buf[64];
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(sys_read_file(p, buf, sizeof(buf)), 12);
	ck_assert_str_eq(buf, "hello\nworld\n");
}
END_TEST

START_TEST(test_sys_read_file_cuts_at_cap_and_terminates)
{
	const char *p = put_file("a", "0123456789", 10);
	char buf[8];
	ck_assert_int_eq(sys_read_file(p, buf, 5), 4);
	ck_assert_str_eq(buf, "0123");
	ck_assert_int_eq(sys_read_file(p, buf, 1), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(sys_read_file(p, buf, 0), -EINVAL);
}
END_TEST

START_TEST(test_sys_read_file_reads_proc_files)
{
	char buf[4096];
	long n = sys_read_file("/proc/self/stat", buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(atol(buf), getpid());
}
END_TEST

START_TEST(test_sys_read_file_missing_returns_enoent_and_keeps_errno)
{
	char buf[16], path[4200];
	snprintf(path, sizeof(path), "%s/missing", dir);
	errno = 1234;
	ck_assert_int_eq(sys_read_file(path, buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(errno, 1234);
}
END_TEST

struct lines {
	char text[16][16384];
	size_t len[16];
	int n;
	int stop_after; /* 0: never */
};

static int collect(char *line, void *arg)
{
	struct lines *l = arg;
	if (l->n < 16) {
		size_t n = strlen(line);
		l->len[l->n] = n;
		memcpy(l->text[l->n], line, n < sizeof(l->text[0]) ? n + 1 : sizeof(l->text[0]));
	}
	l->n++;
	return !(l->stop_after && l->n >= l->stop_after);
}

START_TEST(test_sys_for_each_line_delivers_every_line)
{
	const char *p = put_file("lines", "one\ntwo\n\nfour\n", 14);
	static struct lines l;
	ck_assert_int_eq(sys_for_each_line(p, collect, &l), 0);
	ck_assert_int_eq(l.n, 4);
	ck_assert_str_eq(l.text[0], "one");
	ck_assert_str_eq(l.text[1], "two");
	ck_assert_str_eq(l.text[2], "");
	ck_assert_str_eq(l.text[3], "four");
}
END_TEST

START_TEST(test_sys_for_each_line_delivers_last_line_without_newline)
{
	const char *p = put_file("lines", "first\nlast", 10);
	static struct lines l;
	ck_assert_int_eq(sys_for_each_line(p, collect, &l), 0);
	ck_assert_int_eq(l.n, 2);
	ck_assert_str_eq(l.text[1], "last");
}
END_TEST

START_TEST(test_sys_for_each_line_empty_file_calls_nothing)
{
	const char *p = put_file("empty", "", 0);
	static struct lines l;
	ck_assert_int_eq(sys_for_each_line(p, collect, &l), 0);
	ck_assert_int_eq(l.n, 0);
}
END_TEST

START_TEST(test_sys_for_each_line_stops_when_callback_says_so)
{
	const char *p = put_file("lines", "a\nb\nc\nd\n", 8);
	static struct lines l;
	l.stop_after = 2;
	ck_assert_int_eq(sys_for_each_line(p, collect, &l), 0);
	ck_assert_int_eq(l.n, 2);
	ck_assert_str_eq(l.text[1], "b");
}
END_TEST

struct sequence {
	int n;
	bool ok;
};

/* Expects "line-0", "line-1", ... in order. */
static int in_sequence(char *line, void *arg)
{
	struct sequence *st = arg;
	char want[32];
	snprintf(want, sizeof(want), "line-%d", st->n);
	if (strcmp(line, want) != 0) {
		st->ok = false;
	}
	st->n++;
	return 1;
}

START_TEST(test_sys_for_each_line_handles_many_lines_across_reads)
{
	/* Several 8K buffers of short lines: none lost or split at a seam. */
	size_t cap = 100000, n = 0;
	char *data = malloc(cap);
	ck_assert_ptr_nonnull(data);
	int count;
	for (count = 0; n + 16 < cap && count < 9000; count++) {
		n += (size_t)snprintf(data + n, cap - n, "line-%d\n", count);
	}
	const char *p = put_file("many", data, n);
	free(data);

	struct sequence st = {0, true};
	ck_assert_int_eq(sys_for_each_line(p, in_sequence, &st), 0);
	ck_assert_msg(st.ok, "a line came out split or out of order");
	ck_assert_int_eq(st.n, count);
}
END_TEST

/*
 * BUG (src/sys.c sys_for_each_line): a line longer than the 8K buffer is
 * delivered cut, as documented, but the rest of it is then delivered as one
 * or more further "lines" (the code's own comment says "drop the rest of
 * it").  A line of exactly 8191 bytes also yields a spurious empty line.
 * In /proc/self/smaps the tail of a long path can start with hex digits and
 * a dash and be taken for a mapping header by pool_measure().
 */
START_TEST(test_sys_for_each_line_cuts_long_line_and_drops_its_rest)
{
	size_t long_len = 20000;
	char *data = malloc(long_len + 64);
	ck_assert_ptr_nonnull(data);
	memset(data, 'a', long_len);
	memcpy(data + long_len, "\nnext\n", 6);
	const char *p = put_file("long", data, long_len + 6);
	free(data);

	static struct lines l;
	ck_assert_int_eq(sys_for_each_line(p, collect, &l), 0);
	ck_assert_int_ge(l.n, 2);
	ck_assert_uint_gt(l.len[0], 0);
	ck_assert_uint_lt(l.len[0], long_len);
	ck_assert_msg(l.n == 2, "the long line came out as %d lines (cut part, then its rest as lines of their own)",
		      l.n - 1);
	ck_assert_str_eq(l.text[1], "next");
}
END_TEST

START_TEST(test_sys_for_each_line_line_filling_buffer_exactly_is_one_line)
{
	size_t len = 8191;
	char *data = malloc(len + 8);
	ck_assert_ptr_nonnull(data);
	memset(data, 'b', len);
	memcpy(data + len, "\nz\n", 3);
	const char *p = put_file("exact", data, len + 3);
	free(data);

	static struct lines l;
	ck_assert_int_eq(sys_for_each_line(p, collect, &l), 0);
	ck_assert_msg(l.n == 2, "expected 2 lines, got %d (a spurious empty line after the full one?)", l.n);
	ck_assert_uint_eq(l.len[0], len);
	ck_assert_str_eq(l.text[1], "z");
}
END_TEST

START_TEST(test_sys_for_each_line_missing_file_is_an_error)
{
	static struct lines l;
	char path[4200];
	snprintf(path, sizeof(path), "%s/missing", dir);
	ck_assert_int_eq(sys_for_each_line(path, collect, &l), -ENOENT);
	ck_assert_int_eq(l.n, 0);
}
END_TEST

struct drain {
	int fd;
	size_t got;
	unsigned char sum;
};

static void *drain(void *arg)
{
	struct drain *d = arg;
	unsigned char buf[65536];
	ssize_t n;
	while ((n = read(d->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			d->sum = (unsigned char)(d->sum * 31 + buf[i]);
		}
		d->got += (size_t)n;
	}
	return NULL;
}

START_TEST(test_sys_write_all_writes_everything_through_a_pipe)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	size_t len = (size_t)4 << 20;
	unsigned char *data = malloc(len), want = 0;
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < len; i++) {
		data[i] = (unsigned char)(i * 7 + (i >> 12));
		want = (unsigned char)(want * 31 + data[i]);
	}
	struct drain d = {fds[0], 0, 0};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, drain, &d), 0);
	ck_assert_int_eq(sys_write_all(fds[1], data, len), 0);
	close(fds[1]);
	pthread_join(t, NULL);
	close(fds[0]);
	free(data);
	ck_assert_uint_eq(d.got, len);
	ck_assert_uint_eq(d.sum, want);
}
END_TEST

START_TEST(test_sys_write_all_reports_errors_as_negative_errno)
{
	errno = 77;
	ck_assert_int_eq(sys_write_all(-1, "x", 1), -EBADF);
	ck_assert_int_eq(errno, 77);
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(sys_write_all(fds[1], "x", 1), -EPIPE);
	close(fds[1]);
	ck_assert_int_eq(sys_write_all(1, "", 0), 0);
}
END_TEST

START_TEST(test_sys_raw_wrappers_return_kernel_results)
{
	ck_assert_int_eq(sys_getpid(), getpid());
	ck_assert_int_eq(sys_gettid(), gettid());
	ck_assert_int_eq(sys_getppid(), getppid());
	errno = 55;
	ck_assert_int_eq(sys_mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), -EINVAL);
	ck_assert_int_eq(sys_close(-1), -EBADF);
	ck_assert_int_eq(errno, 55);
	long p = sys_mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_int_gt(p, 0);
	*(volatile char *)p = 1;
	ck_assert_int_eq(sys_munmap((void *)p, 4096), 0);
#if defined(__x86_64__)
	ck_assert_uint_ne(sys_raw_site(), 0);
#endif
	ck_assert_uint_gt(sys_now_ns(), 0);
	ck_assert_uint_gt(sys_wall_ns(), (uint64_t)1500000000 * 1000000000u);
}
END_TEST

/* Which of n pages at p are resident: a string of '1' and '0'. */
static void resident(const char *p, size_t n, char *out)
{
	unsigned char vec[64];
	ck_assert_uint_le(n, sizeof(vec));
	ck_assert_int_eq(mincore((void *)p, n * 4096, vec), 0);
	for (size_t i = 0; i < n; i++) {
		out[i] = (vec[i] & 1) ? '1' : '0';
	}
	out[n] = 0;
}

START_TEST(test_sys_madvise_except_populates_around_the_holes)
{
	char *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	uintptr_t b = (uintptr_t)p;
	/* Overlapping, out of order, one past the end, one empty, one before the start. */
	const struct sys_span holes[] = {
		{b + 6 * 4096, b + 8 * 4096}, {b + 2 * 4096, b + 4 * 4096}, {b + 3 * 4096, b + 5 * 4096},
		{b + 14 * 4096, b + 20 * 4096}, {b + 10 * 4096, b + 10 * 4096}, {b - 4096, b + 4096},
	};
	long r = sys_madvise_except(b, b + 16 * 4096, MADV_POPULATE_WRITE, holes, sizeof(holes) / sizeof(holes[0]));
	if (r == -EINVAL) {
		munmap(p, 16 * 4096);
		return; /* a kernel before 5.14: no MADV_POPULATE_WRITE */
	}
	ck_assert_int_eq(r, 0);
	char got[17];
	resident(p, 16, got);
	ck_assert_str_eq(got, "0100010011111100");
	/* No holes: all of it; a hole over everything: none of another mapping. */
	char *q = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const struct sys_span all = {(uintptr_t)q - 4096, (uintptr_t)q + 8 * 4096};
	ck_assert_int_eq(sys_madvise_except((uintptr_t)q, (uintptr_t)q + 4 * 4096, MADV_POPULATE_WRITE, &all, 1), 0);
	resident(q, 4, got);
	ck_assert_str_eq(got, "0000");
	ck_assert_int_eq(sys_madvise_except((uintptr_t)q, (uintptr_t)q + 4 * 4096, MADV_POPULATE_WRITE, NULL, 0), 0);
	resident(q, 4, got);
	ck_assert_str_eq(got, "1111");
	munmap(p, 16 * 4096);
	munmap(q, 4 * 4096);
}
END_TEST

Suite *sys_suite(void)
{
	Suite *s = suite_create("sys");
	TCase *tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sys_read_file_reads_whole_small_file);
	tcase_add_test(tc, test_sys_read_file_cuts_at_cap_and_terminates);
	tcase_add_test(tc, test_sys_read_file_reads_proc_files);
	tcase_add_test(tc, test_sys_read_file_missing_returns_enoent_and_keeps_errno);
	tcase_add_test(tc, test_sys_for_each_line_delivers_every_line);
	tcase_add_test(tc, test_sys_for_each_line_delivers_last_line_without_newline);
	tcase_add_test(tc, test_sys_for_each_line_empty_file_calls_nothing);
	tcase_add_test(tc, test_sys_for_each_line_stops_when_callback_says_so);
	tcase_add_test(tc, test_sys_for_each_line_handles_many_lines_across_reads);
	tcase_add_test(tc, test_sys_for_each_line_cuts_long_line_and_drops_its_rest);
	tcase_add_test(tc, test_sys_for_each_line_line_filling_buffer_exactly_is_one_line);
	tcase_add_test(tc, test_sys_for_each_line_missing_file_is_an_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("calls");
	tcase_add_test(tc, test_sys_write_all_writes_everything_through_a_pipe);
	tcase_add_test(tc, test_sys_write_all_reports_errors_as_negative_errno);
	tcase_add_test(tc, test_sys_raw_wrappers_return_kernel_results);
	tcase_add_test(tc, test_sys_madvise_except_populates_around_the_holes);
	suite_add_tcase(s, tc);
	return s;
}
