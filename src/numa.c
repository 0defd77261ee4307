/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * numa: the pool's memory policy and its placement report (see numa.h).
 * Never allocates, never uses stdio; raw syscalls only.
 */
#include "autoconf.h"
#include "config.h"
#include "numa.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>

#include "fmt.h"
#include "log.h"
#include "sys.h"

#define MPOL_PREFERRED_ 1
#define MAX_NODE_BITS 1024

enum { UNCHECKED, BOUND, UNBOUND };
static _Atomic int state = UNCHECKED;
static size_t bytes_by_node[NUMA_MAX_NODES + 1]; /* the last: nodes beyond */
static bool measured;

static bool node_exists(int node)
{
	char path[64];
	struct sb sb;
	sb_init(&sb, path, sizeof(path));
	sb_printf(&sb, "/sys/devices/system/node/node%d", node);
	long fd = sys_open(sb_cstr(&sb), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd >= 0) {
		sys_close((int)fd);
	}
	return fd >= 0;
}

static long mbind_node(void *addr, size_t len, int node)
{
	unsigned long mask[MAX_NODE_BITS / (8 * sizeof(unsigned long))] = {0};
	mask[node / (8 * sizeof(unsigned long))] = 1ul << (node % (8 * sizeof(unsigned long)));
	/* maxnode counts one more than the bits the kernel reads. */
	return sys_raw(SYS_mbind, (long)addr, (long)len, MPOL_PREFERRED_, (long)mask, MAX_NODE_BITS + 1, 0);
}

void numa_apply(void *addr, size_t len)
{
	int node = config.numa_node;
	if (node < 0) {
		return;
	}
	int st = atomic_load(&state);
	if (st == UNCHECKED) {
		if (!node_exists(node)) {
			char online[64];
			long n = sys_read_file("/sys/devices/system/node/online", online, sizeof(online));
			while (n > 0 && (online[n - 1] == '\n' || online[n - 1] == ' ')) {
				online[--n] = '\0';
			}
			log_msg(LOG_ERROR, "PTFREEZE_NUMA_NODE: node %d does not exist on this machine (nodes: %s); the pool is not bound",
				node, n > 0 ? online : "none");
			atomic_store(&state, UNBOUND);
			return;
		}
		st = BOUND;
		atomic_store(&state, BOUND);
	}
	if (st != BOUND) {
		return;
	}
	long r = mbind_node(addr, len, node);
	if (r < 0) {
		log_msg(LOG_ERROR, "PTFREEZE_NUMA_NODE: mbind to node %d refused (%s); the pool is not bound", node,
			r == -EPERM ? "EPERM" : r == -ENOSYS ? "ENOSYS: no NUMA support" : r == -EINVAL ? "EINVAL" : "error");
		atomic_store(&state, UNBOUND);
	}
}

bool numa_bound(void) { return atomic_load(&state) == BOUND; }

static size_t parse_dec(const char *s, const char **end)
{
	size_t v = 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (size_t)(*s++ - '0');
	}
	*end = s;
	return v;
}

bool numa_parse_line(const char *line, uintptr_t *start, void (*add)(int node, size_t bytes, void *arg), void *arg)
{
	const char *p;
	uintptr_t a = (uintptr_t)fmt_parse_hex(line, &p);
	if (p == line || *p != ' ') {
		return false;
	}
	*start = a;
	/* The page size comes last: find it first. */
	size_t page = 4096;
	const char *k = strstr(p, " kernelpagesize_kB=");
	if (k) {
		const char *e;
		page = parse_dec(k + 19, &e) * 1024;
	}
	for (const char *f = strstr(p, " N"); f; f = strstr(f + 1, " N")) {
		const char *e;
		if (f[2] < '0' || f[2] > '9') {
			continue;
		}
		size_t node = parse_dec(f + 2, &e);
		if (*e != '=') {
			continue;
		}
		size_t pages = parse_dec(e + 1, &e);
		add(node > NUMA_MAX_NODES ? NUMA_MAX_NODES : (int)node, pages * page, arg);
	}
	return true;
}

struct scan {
	size_t acc[NUMA_MAX_NODES + 1];
	bool (*counts)(const void *start);
};

static void add_bytes(int node, size_t bytes, void *arg)
{
	struct scan *s = arg;
	s->acc[node] += bytes;
}

static int numa_line(char *line, void *arg)
{
	uintptr_t start;
	struct scan tmp = {{0}, NULL};
	struct scan *s = arg;
	/* Count into tmp first: only lines of the pool's regions count. */
	if (numa_parse_line(line, &start, add_bytes, &tmp) && s->counts((void *)start)) {
		for (int i = 0; i <= NUMA_MAX_NODES; i++) {
			s->acc[i] += tmp.acc[i];
		}
	}
	return 1;
}

void numa_measure(bool (*counts)(const void *start))
{
	static struct scan scan;
	memset(&scan, 0, sizeof(scan));
	scan.counts = counts;
	if (sys_for_each_line("/proc/self/numa_maps", numa_line, &scan) == 0) {
		memcpy(bytes_by_node, scan.acc, sizeof(bytes_by_node));
		measured = true;
	}
}

size_t numa_bytes_on(int n) { return n >= 0 && n <= NUMA_MAX_NODES ? bytes_by_node[n] : 0; }

void numa_json(struct sb *sb)
{
	sb_puts(sb, "{\"node\":");
	if (config.numa_node >= 0) {
		sb_printf(sb, "%d,\"policy\":\"preferred\",\"bound\":%s", config.numa_node, numa_bound() ? "true" : "false");
	} else {
		sb_puts(sb, "null,\"policy\":\"default\",\"bound\":false");
	}
	sb_puts(sb, ",\"bytes_by_node\":");
	if (!measured) {
		sb_puts(sb, "null}");
		return;
	}
	sb_putc(sb, '{');
	for (int i = 0, k = 0; i <= NUMA_MAX_NODES; i++) {
		if (bytes_by_node[i] == 0) {
			continue;
		}
		if (i == NUMA_MAX_NODES) {
			sb_printf(sb, "%s\"%d+\":%zu", k++ ? "," : "", NUMA_MAX_NODES, bytes_by_node[i]);
		} else {
			sb_printf(sb, "%s\"%d\":%zu", k++ ? "," : "", i, bytes_by_node[i]);
		}
	}
	sb_puts(sb, "}}");
}
