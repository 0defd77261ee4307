/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * procfs: /proc maps lines and /proc directory listings (see procfs.h).
 * Runs inside hooks and signal handlers: raw system calls only.
 */
#include "procfs.h"

#include "fmt.h"
#include "sys.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

static const char *skip_word(const char *s)
{
	while (*s && *s != ' ' && *s != '\t') {
		s++;
	}
	return s;
}

const char *procfs_path(char *buf, size_t cap, long pid, const char *file)
{
	return pid > 0 ? fmt_string(buf, cap, "/proc/%ld/%s", pid, file) : fmt_string(buf, cap, "/proc/self/%s", file);
}

bool procfs_map_parse(const char *line, struct procfs_map *m)
{
	const char *p;
	m->start = (uintptr_t)fmt_parse_hex(line, &p);
	if (p == line || *p != '-') {
		return false;
	}
	const char *q = p + 1;
	m->end = (uintptr_t)fmt_parse_hex(q, &p);
	if (p == q || *p != ' ' || m->end < m->start) {
		return false;
	}
	p++;
	size_t i = 0;
	for (; i < 4 && p[i] && p[i] != ' '; i++) {
		m->perms[i] = p[i];
	}
	if (i < 4) {
		return false;
	}
	m->perms[4] = '\0';
	p = fmt_skip_space(p + 4);
	m->offset = fmt_parse_hex(p, &p);
	p = skip_word(fmt_skip_space(p)); /* device */
	p = skip_word(fmt_skip_space(p)); /* inode */
	m->path = fmt_skip_space(p);
	return true;
}

struct maps_walk {
	int (*fn)(const struct procfs_map *m, void *arg);
	void *arg;
};

static int maps_line(char *line, void *arg)
{
	struct maps_walk *w = arg;
	struct procfs_map m;
	if (!procfs_map_parse(line, &m)) {
		return 1;
	}
	return w->fn(&m, w->arg);
}

int procfs_maps(const char *path, int (*fn)(const struct procfs_map *m, void *arg), void *arg)
{
	struct maps_walk w = {fn, arg};
	return sys_for_each_line(path, maps_line, &w);
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int procfs_for_each_id(const char *dir, int (*fn)(long id, void *arg), void *arg)
{
	long fd = sys_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0) {
		return (int)fd;
	}
	char buf[4096] __attribute__((aligned(8)));
	int r = 0;
	while (r == 0) {
		long n = sys_raw(SYS_getdents64, fd, (long)buf, sizeof(buf), 0, 0, 0);
		if (n <= 0) {
			break;
		}
		for (long off = 0; off < n && r == 0;) {
			const struct linux_dirent64 *d = (const struct linux_dirent64 *)(buf + off);
			off += d->d_reclen;
			long id = 0;
			for (const char *c = d->d_name; *c >= '0' && *c <= '9'; c++) {
				id = id * 10 + (*c - '0');
			}
			if (id > 0) {
				r = fn(id, arg);
			}
		}
	}
	sys_close((int)fd);
	return r;
}

static int comm_is(long pid, void *arg)
{
	char path[64], comm[32];
	long n = sys_read_file(procfs_path(path, sizeof(path), pid, "comm"), comm, sizeof(comm));
	if (n <= 0) {
		return 0; /* gone meanwhile */
	}
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, (const char *)arg) == 0;
}

int procfs_running(const char *comm)
{
	int r = procfs_for_each_id("/proc", comm_is, (void *)comm);
	return r < 0 ? -1 : r;
}
