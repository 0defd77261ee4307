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
	return strcmp(fstype, "tmpfs") == 0 || strcmp(fstype, "hugetlbfs") == 0 || strcmp(fstype, "devtmpfs") == 0 ||
	       strcmp(fstype, "ramfs") == 0;
}

bool writeback_free_magic(long f_type)
{
	return f_type == TMPFS_MAGIC || f_type == HUGETLBFS_MAGIC || f_type == RAMFS_MAGIC;
}
