/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hazards: the writable shared mappings of one process and whether each
 * can stall on writeback (see hazards.h).  Moved out of src/audit.c: only
 * the command walks another process's mappings.
 */
#include "hazards.h"

#include <stdbool.h>
#include <string.h>

#include "fmt.h"
#include "procfs.h"
#include "sys.h"
#include "writeback.h"

#define MOUNT_MAX 512

struct mount_lookup {
	const char *path;
	size_t path_len;
	size_t best;
	bool found;
	char mount[MOUNT_MAX];
	char fstype[32];
};

/* Copies a mountinfo field, undoing its octal escapes (\040 for a space). */
static size_t unescape_field(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	while (*s && *s != ' ' && n + 1 < cap) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			out[n++] = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	return n;
}

static int mount_line(char *line, void *arg)
{
	struct mount_lookup *m = arg;
	/* id parent major:minor root mount-point options [optional...] - fstype source super-options */
	const char *p = line;
	for (int field = 0; field < 4 && *p; field++) {
		p += strcspn(p, " ");
		p = fmt_skip_space(p);
	}
	char mp[MOUNT_MAX];
	size_t len = unescape_field(p, mp, sizeof(mp));
	if (len == 0) {
		return 1;
	}
	bool prefix = len == 1 ? mp[0] == '/'
			       : len <= m->path_len && memcmp(m->path, mp, len) == 0 &&
					 (m->path[len] == '/' || m->path[len] == '\0');
	/* >=: a later mount on the same point hides the earlier one. */
	if (!prefix || (m->found && len < m->best)) {
		return 1;
	}
	const char *sep = strstr(p, " - ");
	if (sep == NULL) {
		return 1;
	}
	m->found = true;
	m->best = len;
	memcpy(m->mount, mp, len + 1);
	unescape_field(sep + 3, m->fstype, sizeof(m->fstype));
	return 1;
}

struct maps_walk {
	const char *mountinfo;
	int (*fn)(const struct hazards_mapping *m, void *arg);
	void *arg;
};

static bool starts_with(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static int maps_line(const struct procfs_map *pm, void *arg)
{
	struct maps_walk *w = arg;
	struct hazards_mapping m;
	if (pm->perms[1] != 'w' || pm->perms[3] != 's') {
		return 1;
	}
	m.start = pm->start;
	m.end = pm->end;
	memcpy(m.perms, pm->perms, sizeof(m.perms));
	m.offset = pm->offset;
	m.path = pm->path;
	m.mount = "";
	m.fstype = "";
	m.hazard = false;
	/* Outlives the block below: m.mount and m.fstype point into it until fn returns. */
	struct mount_lookup look;
	/* Shared anonymous memory lives on the kernel's internal shmem mount. */
	bool anonymous = m.path[0] != '/' || starts_with(m.path, "/dev/zero ") || starts_with(m.path, "/SYSV") ||
			 starts_with(m.path, "/memfd:");
	if (!anonymous) {
		static const char deleted[] = " (deleted)";
		size_t len = strlen(m.path);
		if (len > sizeof(deleted) - 1 && strcmp(m.path + len - (sizeof(deleted) - 1), deleted) == 0) {
			len -= sizeof(deleted) - 1;
		}
		char path[1024];
		if (len >= sizeof(path)) {
			len = sizeof(path) - 1;
		}
		memcpy(path, m.path, len);
		path[len] = '\0';
		look.path = path;
		look.path_len = len;
		look.best = 0;
		look.found = false;
		look.mount[0] = look.fstype[0] = '\0';
		sys_for_each_line(w->mountinfo, mount_line, &look);
		m.mount = look.mount;
		m.fstype = look.fstype;
		/* Unknown filesystem: assume the worst, it is a file. */
		m.hazard = !writeback_free_fstype(look.fstype);
	}
	return w->fn(&m, w->arg);
}

int hazards_mappings(long pid, int (*fn)(const struct hazards_mapping *m, void *arg), void *arg)
{
	char maps[64], mountinfo[64];
	procfs_path(maps, sizeof(maps), pid, "maps");
	procfs_path(mountinfo, sizeof(mountinfo), pid, "mountinfo");
	struct maps_walk w = {mountinfo, fn, arg};
	return procfs_maps(maps, maps_line, &w);
}
