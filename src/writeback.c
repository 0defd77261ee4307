/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * writeback: memory-backed filesystems, by name and by magic (see
 * writeback.h).  devtmpfs has no magic of its own: it is a tmpfs (or a
 * ramfs without shmem), so both lists say the same thing.
 */
#include "writeback.h"

#include <linux/magic.h>
#include <stddef.h>
#include <string.h>

bool writeback_free_fstype(const char *fstype)
{
	static const char *const memory_fs[] = {"tmpfs", "hugetlbfs", "devtmpfs", "ramfs"};
	for (size_t i = 0; i < sizeof(memory_fs) / sizeof(memory_fs[0]); i++) {
		if (strcmp(fstype, memory_fs[i]) == 0) {
			return true;
		}
	}
	return false;
}

bool writeback_free_magic(long f_type)
{
	return f_type == TMPFS_MAGIC || f_type == HUGETLBFS_MAGIC || f_type == RAMFS_MAGIC;
}
