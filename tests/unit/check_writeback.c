/* SPDX-License-Identifier: BSD-2-Clause */
/* check_writeback: the one writeback rule, by name and by statfs magic (src/writeback.c). */
#include <linux/magic.h>
#include <sys/vfs.h>

#include "check_ptfreeze.h"
#include "writeback.h"

START_TEST(test_writeback_names_memory_filesystems)
{
	ck_assert(writeback_free_fstype("tmpfs"));
	ck_assert(writeback_free_fstype("hugetlbfs"));
	ck_assert(writeback_free_fstype("devtmpfs"));
	ck_assert(writeback_free_fstype("ramfs"));
	ck_assert(!writeback_free_fstype("ext4"));
	ck_assert(!writeback_free_fstype("xfs"));
	ck_assert(!writeback_free_fstype("overlay"));
	ck_assert(!writeback_free_fstype(""));
	ck_assert(!writeback_free_fstype("tmpfs2"));
}
END_TEST

START_TEST(test_writeback_magics_agree_with_names)
{
	ck_assert(writeback_free_magic(TMPFS_MAGIC));
	ck_assert(writeback_free_magic(HUGETLBFS_MAGIC));
	ck_assert(writeback_free_magic(RAMFS_MAGIC));
	ck_assert(!writeback_free_magic(EXT4_SUPER_MAGIC));
	ck_assert(!writeback_free_magic(XFS_SUPER_MAGIC));
	ck_assert(!writeback_free_magic(OVERLAYFS_SUPER_MAGIC));
	/* /dev/shm is a tmpfs wherever it exists: both views say so. */
	struct statfs fs;
	if (statfs("/dev/shm", &fs) == 0) {
		ck_assert(writeback_free_magic((long)fs.f_type));
	} else {
		unit_note("no /dev/shm: the magic of a live tmpfs is not compared");
	}
}
END_TEST

Suite *writeback_suite(void)
{
	Suite *s = suite_create("writeback");
	TCase *tc = tcase_create("rule");
	tcase_add_test(tc, test_writeback_names_memory_filesystems);
	tcase_add_test(tc, test_writeback_magics_agree_with_names);
	suite_add_tcase(s, tc);
	return s;
}
