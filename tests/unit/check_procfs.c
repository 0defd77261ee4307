/* SPDX-License-Identifier: BSD-2-Clause */
/* check_procfs: the /proc maps reader and directory lister (src/procfs.c). */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "check_ptfreeze.h"
#include "procfs.h"
#include "sys.h"

START_TEST(test_procfs_parses_a_file_mapping)
{
	struct procfs_map m;
	ck_assert(procfs_map_parse("7f0a1b2c3000-7f0a1b2c5000 r-xp 0001a000 08:01 1234567    /usr/lib/x86_64-linux-gnu/libc.so.6", &m));
	ck_assert_uint_eq(m.start, 0x7f0a1b2c3000u);
	ck_assert_uint_eq(m.end, 0x7f0a1b2c5000u);
	ck_assert_str_eq(m.perms, "r-xp");
	ck_assert_uint_eq(m.offset, 0x1a000u);
	ck_assert_str_eq(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
}
END_TEST

START_TEST(test_procfs_parses_anonymous_and_named_mappings)
{
	struct procfs_map m;
	ck_assert(procfs_map_parse("55d0c0000000-55d0c0021000 rw-p 00000000 00:00 0 ", &m));
	ck_assert_str_eq(m.path, "");
	ck_assert(procfs_map_parse("7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]", &m));
	ck_assert_str_eq(m.path, "[stack]");
	ck_assert(procfs_map_parse("7f0000000000-7f0000200000 rw-s 00000000 00:01 42 /dev/zero (deleted)", &m));
	ck_assert_str_eq(m.perms, "rw-s");
	ck_assert_str_eq(m.path, "/dev/zero (deleted)");
}
END_TEST

START_TEST(test_procfs_rejects_what_is_not_a_mapping)
{
	struct procfs_map m;
	ck_assert(!procfs_map_parse("Rss:                   4 kB", &m));
	ck_assert(!procfs_map_parse("AnonHugePages:         0 kB", &m));
	ck_assert(!procfs_map_parse("VmFlags: rd ex mr mw me", &m));
	ck_assert(!procfs_map_parse("2000-1000 r-xp 00000000 00:00 0", &m)); /* end below start */
	ck_assert(!procfs_map_parse("1000-2000 r-", &m));                    /* cut */
	ck_assert(!procfs_map_parse("", &m));
}
END_TEST

struct find_self {
	uintptr_t addr;
	bool found, exec;
	size_t n;
};

static int find_self_cb(const struct procfs_map *m, void *arg)
{
	struct find_self *f = arg;
	f->n++;
	if (f->addr >= m->start && f->addr < m->end) {
		f->found = true;
		f->exec = m->perms[2] == 'x';
	}
	return 1;
}

START_TEST(test_procfs_maps_finds_its_own_code)
{
	struct find_self f = {(uintptr_t)&find_self_cb, false, false, 0};
	ck_assert_int_eq(procfs_maps("/proc/self/maps", find_self_cb, &f), 0);
	ck_assert(f.n > 3);
	ck_assert(f.found);
	ck_assert(f.exec);
	ck_assert_int_lt(procfs_maps("/proc/self/no-such-file", find_self_cb, &f), 0);
}
END_TEST

static int stop_at_first(const struct procfs_map *m, void *arg)
{
	(void)m;
	++*(int *)arg;
	return 0;
}

START_TEST(test_procfs_maps_stops_when_asked)
{
	int calls = 0;
	ck_assert_int_eq(procfs_maps("/proc/self/maps", stop_at_first, &calls), 0);
	ck_assert_int_eq(calls, 1);
}
END_TEST

struct ids {
	long want;
	bool seen;
	int count;
};

static int id_cb(long id, void *arg)
{
	struct ids *s = arg;
	s->count++;
	if (id == s->want) {
		s->seen = true;
	}
	return 0;
}

static int stop_with_seven(long id, void *arg)
{
	(void)id;
	(void)arg;
	return 7;
}

START_TEST(test_procfs_lists_tasks_and_pids)
{
	struct ids t = {sys_gettid(), false, 0};
	ck_assert_int_eq(procfs_for_each_id("/proc/self/task", id_cb, &t), 0);
	ck_assert(t.seen);
	ck_assert_int_ge(t.count, 1);
	struct ids p = {getpid(), false, 0};
	ck_assert_int_eq(procfs_for_each_id("/proc", id_cb, &p), 0);
	ck_assert(p.seen);
	ck_assert_int_gt(p.count, 1); /* names that are not numbers (self, meminfo) are left out */
	ck_assert_int_eq(procfs_for_each_id("/proc", stop_with_seven, NULL), 7);
	ck_assert_int_lt(procfs_for_each_id("/proc/no-such-dir", id_cb, &p), 0);
}
END_TEST

START_TEST(test_procfs_path_names_self_or_a_pid)
{
	char buf[64];
	ck_assert_str_eq(procfs_path(buf, sizeof(buf), 0, "maps"), "/proc/self/maps");
	ck_assert_str_eq(procfs_path(buf, sizeof(buf), 1234, "mountinfo"), "/proc/1234/mountinfo");
	char small[8];
	ck_assert_str_eq(procfs_path(small, sizeof(small), 1234, "maps"), "/proc/1");
}
END_TEST

Suite *procfs_suite(void)
{
	Suite *s = suite_create("procfs");
	TCase *tc = tcase_create("maps");
	tcase_add_test(tc, test_procfs_parses_a_file_mapping);
	tcase_add_test(tc, test_procfs_parses_anonymous_and_named_mappings);
	tcase_add_test(tc, test_procfs_rejects_what_is_not_a_mapping);
	tcase_add_test(tc, test_procfs_maps_finds_its_own_code);
	tcase_add_test(tc, test_procfs_maps_stops_when_asked);
	suite_add_tcase(s, tc);
	tc = tcase_create("dirs");
	tcase_add_test(tc, test_procfs_lists_tasks_and_pids);
	tcase_add_test(tc, test_procfs_path_names_self_or_a_pid);
	suite_add_tcase(s, tc);
	return s;
}
