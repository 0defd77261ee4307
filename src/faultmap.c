/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * faultmap: the snapshot of /proc/self/maps that page faults are
 * classified against (see faultmap.h).  Moved out of faults.c, which keeps
 * the perf events and the sampler.
 */
#include "faultmap.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "phdr.h"
#include "procfs.h"
#include "sys.h"

#define MAX_MAPS 8192
#define PATHS_BYTES ((size_t)256 << 10)
#define NO_PATH UINT32_MAX

struct fmap {
	uintptr_t start, end;
	uintptr_t offset;  /* in the file */
	uintptr_t obj_end; /* a loaded ELF object's mappings: where its image (with .bss) ends */
	uint32_t path;     /* offset into paths, or NO_PATH */
	bool readable, writable, exec, none;
};

static struct fmap *maps;
static char *paths;
static size_t nmaps, paths_used;
static bool maps_cut;
static _Atomic unsigned seq; /* odd while the snapshot is being rewritten */
static _Atomic uint64_t last_refresh;
static uintptr_t stack_limit;
static long stack_idx = -1; /* [stack] in the snapshot */

static void find_libunwind(void);

/* One line of /proc/self/maps: "start-end perms offset dev inode   path". */
static int take_line(const struct procfs_map *pm, void *arg)
{
	(void)arg;
	if (nmaps >= MAX_MAPS) {
		maps_cut = true;
		return 0;
	}
	if (pm->end <= pm->start) {
		return 1;
	}
	struct fmap m;
	m.start = pm->start;
	m.end = pm->end;
	m.readable = pm->perms[0] == 'r';
	m.writable = pm->perms[1] == 'w';
	m.exec = pm->perms[2] == 'x';
	m.none = pm->perms[0] == '-' && pm->perms[1] == '-' && pm->perms[2] == '-';
	m.offset = pm->offset;
	m.obj_end = 0;
	const char *p = pm->path;
	m.path = NO_PATH;
	if (*p) {
		size_t len = strlen(p);
		const char *prev = nmaps && maps[nmaps - 1].path != NO_PATH ? paths + maps[nmaps - 1].path : NULL;
		if (prev && strcmp(prev, p) == 0) {
			m.path = maps[nmaps - 1].path;
		} else if (paths_used + len + 1 <= PATHS_BYTES) {
			memcpy(paths + paths_used, p, len + 1);
			m.path = (uint32_t)paths_used;
			paths_used += len + 1;
		}
	}
	if (m.path != NO_PATH && strcmp(paths + m.path, "[stack]") == 0) {
		stack_idx = (long)nmaps;
	}
	maps[nmaps++] = m;
	return 1;
}

/* Marks every mapping of each loaded ELF object with where its image ends. */
static void find_objects(void)
{
	for (size_t i = 0; i < nmaps; i++) {
		struct fmap *m = &maps[i];
		if (m->offset != 0 || !m->readable || m->path == NO_PATH || paths[m->path] == '[') {
			continue;
		}
		size_t k = i + 1;
		bool code = m->exec;
		while (k < nmaps && maps[k].path == m->path) {
			code |= maps[k].exec;
			k++;
		}
		uintptr_t end = code ? phdr_image_end(m->start, m->end - m->start) : 0;
		for (size_t j = i; end && j < k; j++) {
			maps[j].obj_end = end;
		}
	}
}

int faultmap_read(void *(*carve)(size_t size))
{
	if (maps == NULL) {
		maps = carve(MAX_MAPS * sizeof(*maps));
		paths = carve(PATHS_BYTES);
		if (maps == NULL || paths == NULL) {
			maps = NULL;
			return -ENOMEM;
		}
	}
	unsigned s = atomic_load(&seq);
	if ((s & 1) || !atomic_compare_exchange_strong(&seq, &s, s + 1)) {
		return -EBUSY; /* another thread is re-reading it */
	}
	nmaps = 0;
	stack_idx = -1;
	paths_used = 0;
	maps_cut = false;
	int r = procfs_maps("/proc/self/maps", take_line, NULL);
	find_objects();
	find_libunwind();
	struct rlimit rl;
	if (sys_raw(SYS_prlimit64, 0, RLIMIT_STACK, 0, (long)&rl, 0, 0) == 0) {
		stack_limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > ((rlim_t)1 << 32) ? (uintptr_t)1 << 32 : rl.rlim_cur;
	}
	atomic_store(&last_refresh, sys_now_ns());
	atomic_store(&seq, s + 2);
	return r;
}

static const char *path_of(const struct fmap *m) { return m->path == NO_PATH ? NULL : paths + m->path; }

/*
 * libunwind's code (the shim loads it; the program's faults never start
 * there unless the shim is unwinding), from the snapshot.
 */
#define MAX_UNW 4
static struct procfs_range unw[MAX_UNW];
static _Atomic int nunw;

static void find_libunwind(void)
{
	int k = 0;
	for (size_t i = 0; i < nmaps && k < MAX_UNW; i++) {
		const char *p = path_of(&maps[i]), *b = p ? strrchr(p, '/') : NULL;
		if (maps[i].exec && b && strncmp(b + 1, "libunwind", 9) == 0) {
			unw[k].start = maps[i].start;
			unw[k].end = maps[i].end;
			k++;
		}
	}
	atomic_store(&nunw, k);
}

bool faultmap_in_libunwind(uintptr_t a)
{
	return procfs_in_ranges(unw, atomic_load(&nunw), a);
}

static bool named(const struct fmap *m, const char *name)
{
	const char *p = path_of(m);
	return p && strcmp(p, name) == 0;
}

/* A file, not "[heap]" and the like; "[anon:name]" is anonymous memory with a name. */
static bool is_file(const struct fmap *m)
{
	const char *p = path_of(m);
	return p && p[0] != '[';
}

static bool is_anon(const struct fmap *m)
{
	const char *p = path_of(m);
	return p == NULL || strncmp(p, "[anon:", 6) == 0 || strncmp(p, "[anon_shmem:", 12) == 0;
}

/* Index of the last mapping starting at or below addr, or -1. */
static long find(uintptr_t addr)
{
	long lo = 0, hi = (long)nmaps - 1, at = -1;
	while (lo <= hi) {
		long mid = (lo + hi) / 2;
		if (maps[mid].start <= addr) {
			at = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return at;
}

static enum fault_class classify(uintptr_t addr, uintptr_t sp, const char **path)
{
	long i = find(addr);
	if (i >= 0 && addr < maps[i].end) {
		const struct fmap *m = &maps[i];
		if (named(m, "[stack]")) {
			return FAULT_MAIN_STACK;
		}
		if (named(m, "[heap]")) {
			return FAULT_BRK_HEAP;
		}
		if (is_file(m)) {
			*path = path_of(m);
			return m->exec ? FAULT_CODE : FAULT_FILE;
		}
		if (!is_anon(m)) {
			return FAULT_VDSO;
		}
		if (sp >= m->start && sp < m->end) {
			return FAULT_THREAD_STACK;
		}
		const struct fmap *prev = i > 0 && maps[i - 1].end == m->start ? &maps[i - 1] : NULL;
		if (prev && prev->none) {
			return FAULT_THREAD_STACK; /* under a guard page, as glibc lays out thread stacks */
		}
		if (prev && is_file(prev) && prev->writable && addr < prev->obj_end) {
			/* The anonymous tail of a loaded object's image, per its program headers. */
			*path = path_of(prev);
			return FAULT_BSS;
		}
		return FAULT_ANON;
	}
	/* Just below [stack]: the main stack growing (the kernel extends it on this fault). */
	if (stack_idx >= 0 && i == stack_idx - 1 && maps[stack_idx].end - addr <= stack_limit) {
		return FAULT_MAIN_STACK;
	}
	return FAULT_UNKNOWN;
}

enum fault_class faultmap_classify(uintptr_t addr, uintptr_t sp, const char **path)
{
	unsigned s = atomic_load_explicit(&seq, memory_order_acquire);
	if ((s & 1) || maps == NULL) {
		return FAULT_UNKNOWN;
	}
	enum fault_class c = classify(addr, sp, path);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&seq, memory_order_relaxed) != s) {
		*path = NULL;
		return FAULT_UNKNOWN; /* rewritten under us: the path may be another's */
	}
	return c;
}

uint64_t faultmap_read_ns(void) { return atomic_load(&last_refresh); }

size_t faultmap_count(bool *cut)
{
	*cut = maps_cut;
	return nmaps;
}

size_t faultmap_storage_bytes(void) { return ((MAX_MAPS * sizeof(*maps) + 63) & ~(size_t)63) + PATHS_BYTES; }
