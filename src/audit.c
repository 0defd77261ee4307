/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit: host facts for the report header and `ptfreeze check` (see
 * audit.h).  Raw reads only; must not allocate.
 */
#include "audit.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "sys.h"

/* The bracketed choice of a sysfs selector ("always [madvise] never"). */
static const char *selected(const char *path, char *buf, size_t cap)
{
	if (sys_read_file(path, buf, cap) <= 0) {
		return NULL;
	}
	char *l = strchr(buf, '['), *r = l ? strchr(l, ']') : NULL;
	if (!l || !r) {
		char *nl = strchr(buf, '\n');
		if (nl) {
			*nl = '\0';
		}
		return buf;
	}
	*r = '\0';
	return l + 1;
}

static long number(const char *path)
{
	char buf[64];
	return sys_read_file(path, buf, sizeof(buf)) > 0 ? atol(buf) : -1;
}

static int count_swaps(char *line, void *arg)
{
	if (strncmp(line, "Filename", 8) != 0 && line[0] != '\0') {
		(*(int *)arg)++;
	}
	return 1;
}

static void put_sel(struct sb *sb, const char *key, const char *path)
{
	char buf[256];
	const char *v = selected(path, buf, sizeof(buf));
	sb_printf(sb, ",\"%s\":", key);
	if (v) {
		sb_json(sb, v, strlen(v));
	} else {
		sb_puts(sb, "null");
	}
}

static int tlb_line(char *line, void *arg)
{
	char *p = line;
	while (*p == ' ') {
		p++;
	}
	if (strncmp(p, "TLB:", 4) != 0) {
		return 1;
	}
	long sum = 0;
	for (p += 4;;) {
		while (*p == ' ') {
			p++;
		}
		if (*p < '0' || *p > '9') {
			break;
		}
		sum += strtol(p, &p, 10);
	}
	*(long *)arg = sum;
	return 0;
}

long audit_tlb_shootdowns(void)
{
	long n = -1;
	sys_for_each_line("/proc/interrupts", tlb_line, &n);
	return n;
}

void audit_snapshot_json(struct sb *sb, size_t pool_size)
{
	int swaps = 0;
	bool swaps_known = sys_for_each_line("/proc/swaps", count_swaps, &swaps) == 0;
	sb_printf(sb, "{\"swap_devices\":%d", swaps_known ? swaps : -1);
	put_sel(sb, "thp_enabled", "/sys/kernel/mm/transparent_hugepage/enabled");
	put_sel(sb, "thp_defrag", "/sys/kernel/mm/transparent_hugepage/defrag");
	sb_printf(sb, ",\"khugepaged_defrag\":%ld", number("/sys/kernel/mm/transparent_hugepage/khugepaged/defrag"));
	sb_printf(sb, ",\"ksm_run\":%ld", number("/sys/kernel/mm/ksm/run"));
	sb_printf(sb, ",\"numa_balancing\":%ld", number("/proc/sys/kernel/numa_balancing"));
	sb_printf(sb, ",\"hugepages_2m\":{\"total\":%ld,\"free\":%ld}",
		  number("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"),
		  number("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"));
	sb_printf(sb, ",\"hugepages_1g\":{\"total\":%ld,\"free\":%ld}",
		  number("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"),
		  number("/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages"));
	sb_printf(sb, ",\"compaction_proactiveness\":%ld", number("/proc/sys/vm/compaction_proactiveness"));
	struct rlimit rl;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		if (rl.rlim_cur == RLIM_INFINITY) {
			sb_puts(sb, ",\"memlock_limit\":\"unlimited\"");
		} else {
			sb_printf(sb, ",\"memlock_limit\":%lu", (unsigned long)rl.rlim_cur);
		}
	}
	sb_printf(sb, ",\"pool_requested\":%zu}", pool_size);
}
