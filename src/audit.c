/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit: host facts, the rules that judge them, and the writeback-hazard
 * rule for mappings (see audit.h).  The rules follow the tuning guide:
 * swap off, THP never (or at least no background collapsing), KSM off,
 * NUMA balancing off, no proactive compaction, and hugetlb pages reserved
 * for the pool.  Raw reads through sys.h only: no stdio, no malloc, no
 * getenv; the shim runs this in its constructor.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

#include "procfs.h"
#include "sys.h"

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define HP2M_DIR "/sys/kernel/mm/hugepages/hugepages-2048kB"
#define HP1G_DIR "/sys/kernel/mm/hugepages/hugepages-1048576kB"
#define MB (1024ull * 1024)
#define GB (1024ull * MB)
#define CAP_IPC_LOCK_BIT 14

/* ---- small parsers (no strtol: keep this file free of locale machinery) ---- */

/* Decimal number with optional sign; -1 if there is none. */
static long long parse_ll(const char *s, const char **end)
{
	s = fmt_skip_space(s);
	bool neg = *s == '-';
	if (neg) {
		s++;
	}
	if (*s < '0' || *s > '9') {
		if (end) {
			*end = s;
		}
		return -1;
	}
	long long v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
	}
	if (end) {
		*end = s;
	}
	return neg ? -v : v;
}

static long number(const char *path)
{
	char buf[64];
	return sys_read_file(path, buf, sizeof(buf)) > 0 ? (long)parse_ll(buf, NULL) : -1;
}

/* The bracketed choice of a sysfs selector ("always [madvise] never"). */
static void selected(const char *path, char *out, size_t cap)
{
	char buf[256];
	out[0] = '\0';
	if (sys_read_file(path, buf, sizeof(buf)) <= 0) {
		return;
	}
	char *l = strchr(buf, '['), *r = l ? strchr(l, ']') : NULL;
	const char *v = buf;
	if (l && r) {
		*r = '\0';
		v = l + 1;
	} else {
		buf[strcspn(buf, "\n")] = '\0';
	}
	fmt_copy(out, cap, v);
}

/* ---- readers ---- */

struct swaps {
	int n;
	long long kb;
};

static int swap_line(char *line, void *arg)
{
	struct swaps *s = arg;
	if (line[0] == '\0' || strncmp(line, "Filename", 8) == 0) {
		return 1;
	}
	/* Filename Type Size Used Priority: the size is the third field. */
	const char *p = line;
	for (int field = 0; field < 2; field++) {
		p += strcspn(p, " \t");
		p = fmt_skip_space(p);
	}
	long long kb = parse_ll(p, NULL);
	s->n++;
	s->kb += kb > 0 ? kb : 0;
	return 1;
}

static int meminfo_line(char *line, void *arg)
{
	if (strncmp(line, "Hugepagesize:", 13) == 0) {
		*(long *)arg = (long)parse_ll(line + 13, NULL);
		return 0;
	}
	return 1;
}

static int limits_line(char *line, void *arg)
{
	struct audit_facts *f = arg;
	if (strncmp(line, "Max locked memory", 17) != 0) {
		return 1;
	}
	const char *p = fmt_skip_space(line + 17);
	if (strncmp(p, "unlimited", 9) == 0) {
		f->memlock_known = f->memlock_unlimited = true;
	} else {
		long long v = parse_ll(p, NULL);
		f->memlock_known = v >= 0;
		f->memlock_bytes = v >= 0 ? (unsigned long long)v : 0;
	}
	return 0;
}

static int status_line(char *line, void *arg)
{
	if (strncmp(line, "CapEff:", 7) == 0) {
		unsigned long long caps = fmt_parse_hex(fmt_skip_space(line + 7), NULL);
		*(bool *)arg = (caps >> CAP_IPC_LOCK_BIT) & 1;
		return 0;
	}
	return 1;
}

int audit_read(struct audit_facts *f, long pid, size_t pool_size)
{
	memset(f, 0, sizeof(*f));
	f->pool_size = pool_size;
	struct swaps sw = {0, 0};
	int r = sys_for_each_line("/proc/swaps", swap_line, &sw);
	if (r < 0) {
		/* No /proc/swaps: /proc is missing, or the kernel has no swap at all. */
		long fd = sys_open("/proc/self/stat", O_RDONLY | O_CLOEXEC, 0);
		if (fd < 0) {
			return (int)fd;
		}
		sys_close((int)fd);
	}
	f->swap_devices = sw.n;
	f->swap_kb = sw.kb;
	f->swappiness = number("/proc/sys/vm/swappiness");
	selected(THP_DIR "/enabled", f->thp_enabled, sizeof(f->thp_enabled));
	selected(THP_DIR "/defrag", f->thp_defrag, sizeof(f->thp_defrag));
	f->khugepaged_defrag = number(THP_DIR "/khugepaged/defrag");
	f->khugepaged_running = procfs_running("khugepaged"); /* a kernel thread: low pid, found early */
	f->ksm_run = number("/sys/kernel/mm/ksm/run");
	f->numa_balancing = number("/proc/sys/kernel/numa_balancing");
	f->hp2m_total = number(HP2M_DIR "/nr_hugepages");
	f->hp2m_free = number(HP2M_DIR "/free_hugepages");
	f->hp1g_total = number(HP1G_DIR "/nr_hugepages");
	f->hp1g_free = number(HP1G_DIR "/free_hugepages");
	f->default_hugepage_kb = -1;
	sys_for_each_line("/proc/meminfo", meminfo_line, &f->default_hugepage_kb);
	f->compaction_proactiveness = number("/proc/sys/vm/compaction_proactiveness");
	f->extfrag_threshold = number("/proc/sys/vm/extfrag_threshold");
	char path[64];
	procfs_path(path, sizeof(path), pid, "limits");
	sys_for_each_line(path, limits_line, f);
	procfs_path(path, sizeof(path), pid, "status");
	sys_for_each_line(path, status_line, &f->ipc_lock_cap);
	return 0;
}

static int tlb_line(char *line, void *arg)
{
	const char *p = fmt_skip_space(line);
	if (strncmp(p, "TLB:", 4) != 0) {
		return 1;
	}
	long sum = 0;
	for (p += 4;;) {
		long long n = parse_ll(p, &p);
		if (n < 0) {
			break;
		}
		sum += (long)n;
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

/* ---- rules ---- */

const char *audit_status_name(enum audit_status s)
{
	static const char *const names[] = {"PASS", "WARN", "FAIL"};
	return names[s];
}

struct judge {
	struct audit_item *out;
	int max, n;
};

static void vput(char *dst, const char *fmt, va_list ap)
{
	struct sb sb;
	sb_init(&sb, dst, AUDIT_TEXT_MAX);
	sb_vprintf(&sb, fmt, ap);
	sb_cstr(&sb);
}

/* Adds an item; observed is a format.  Returns the item (NULL when full). */
__attribute__((format(printf, 4, 5))) static struct audit_item *add(struct judge *j, enum audit_status st,
								     const char *name, const char *fmt, ...)
{
	if (j->n >= j->max) {
		return NULL;
	}
	struct audit_item *it = &j->out[j->n++];
	it->status = st;
	fmt_copy(it->name, sizeof(it->name), name);
	va_list ap;
	va_start(ap, fmt);
	vput(it->observed, fmt, ap);
	va_end(ap);
	it->fix[0] = '\0';
	return it;
}

__attribute__((format(printf, 2, 3))) static void fix(struct audit_item *it, const char *fmt, ...)
{
	if (it == NULL) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vput(it->fix, fmt, ap);
	va_end(ap);
}

/* "256M", "1G", "8K", "123B": the largest unit that divides v exactly. */
static const char *size_str(unsigned long long v, char *buf, size_t cap)
{
	struct sb sb;
	sb_init(&sb, buf, cap);
	if (v && v % GB == 0) {
		sb_printf(&sb, "%lluG", v / GB);
	} else if (v && v % MB == 0) {
		sb_printf(&sb, "%lluM", v / MB);
	} else if (v && v % 1024 == 0) {
		sb_printf(&sb, "%lluK", v / 1024);
	} else {
		sb_printf(&sb, "%lluB", v);
	}
	return sb_cstr(&sb);
}

static void judge_swap(struct judge *j, const struct audit_facts *f)
{
	char s[32];
	if (f->swap_devices == 0) {
		add(j, AUDIT_PASS, "swap", "off");
	} else {
		fix(add(j, AUDIT_FAIL, "swap", "%d device%s, %s: anonymous pages can be swapped out (major faults)",
			f->swap_devices, f->swap_devices == 1 ? "" : "s", size_str((unsigned long long)f->swap_kb * 1024, s, sizeof(s))),
		    "swapoff -a");
	}
	if (f->swappiness < 0) {
		add(j, AUDIT_PASS, "swappiness", "not available");
	} else if (f->swap_devices == 0 || f->swappiness <= 10) {
		add(j, AUDIT_PASS, "swappiness", "%ld%s", f->swappiness, f->swap_devices == 0 ? " (no swap)" : "");
	} else {
		fix(add(j, AUDIT_WARN, "swappiness", "%ld: the kernel prefers swapping anonymous memory", f->swappiness),
		    "echo 1 > /proc/sys/vm/swappiness");
	}
}

static void judge_thp(struct judge *j, const struct audit_facts *f)
{
	const char *en = f->thp_enabled;
	if (en[0] == '\0') {
		add(j, AUDIT_PASS, "thp-enabled", "not available (no transparent huge pages)");
	} else if (strcmp(en, "never") == 0) {
		add(j, AUDIT_PASS, "thp-enabled", "never");
	} else {
		bool always = strcmp(en, "always") == 0;
		fix(add(j, always ? AUDIT_FAIL : AUDIT_WARN, "thp-enabled", "%s: %s", en,
			always ? "khugepaged collapses every process's memory (shootdowns)"
			       : "khugepaged collapses MADV_HUGEPAGE regions (shootdowns)"),
		    "echo never > " THP_DIR "/enabled");
	}

	const char *df = f->thp_defrag;
	bool thp_on = en[0] != '\0' && strcmp(en, "never") != 0;
	if (df[0] == '\0') {
		add(j, AUDIT_PASS, "thp-defrag", "not available");
	} else if (!thp_on) {
		add(j, AUDIT_PASS, "thp-defrag", "%s (THP is off)", df);
	} else if (strcmp(df, "always") == 0) {
		fix(add(j, AUDIT_FAIL, "thp-defrag", "always: page faults stall in direct compaction"),
		    "echo madvise > " THP_DIR "/defrag");
	} else if (strncmp(df, "defer", 5) == 0) {
		fix(add(j, AUDIT_WARN, "thp-defrag", "%s: wakes kcompactd to compact in the background", df),
		    "echo madvise > " THP_DIR "/defrag");
	} else {
		add(j, AUDIT_PASS, "thp-defrag", "%s", df);
	}

	if (f->khugepaged_running < 0) {
		add(j, AUDIT_WARN, "khugepaged", "unknown (cannot list /proc)");
	} else if (!f->khugepaged_running) {
		add(j, AUDIT_PASS, "khugepaged", "not running");
	} else if (f->khugepaged_defrag == 1) {
		fix(add(j, AUDIT_WARN, "khugepaged", "running, defrag 1: it compacts memory to collapse huge pages"),
		    "echo 0 > " THP_DIR "/khugepaged/defrag");
	} else {
		fix(add(j, AUDIT_WARN, "khugepaged", "running: it rewrites page tables when it collapses huge pages"),
		    "echo never > " THP_DIR "/enabled");
	}
}

static void judge_ksm_numa(struct judge *j, const struct audit_facts *f)
{
	if (f->ksm_run < 0) {
		add(j, AUDIT_PASS, "ksm", "not built into this kernel");
	} else if (f->ksm_run == 1) {
		fix(add(j, AUDIT_FAIL, "ksm", "1 (running): merging pages locks page tables and write-faults on unmerge"),
		    "echo 2 > /sys/kernel/mm/ksm/run");
	} else {
		add(j, AUDIT_PASS, "ksm", "%ld (off)", f->ksm_run);
	}
	if (f->numa_balancing < 0) {
		add(j, AUDIT_PASS, "numa-balancing", "not available (no NUMA balancing in this kernel)");
	} else if (f->numa_balancing > 0) {
		fix(add(j, AUDIT_FAIL, "numa-balancing", "%ld: page migration faults and shootdowns", f->numa_balancing),
		    "echo 0 > /proc/sys/kernel/numa_balancing");
	} else {
		add(j, AUDIT_PASS, "numa-balancing", "0");
	}
}

static void judge_hugepages(struct judge *j, const struct audit_facts *f)
{
	char pool[32];
	size_str(f->pool_size, pool, sizeof(pool));
	/*
	 * With THP off, PTFREEZE_HUGEPAGES=auto takes at most half of the free
	 * pages (as many stay free for fork children's copies: pool.c).
	 */
	bool thp_on = f->thp_enabled[0] != '\0' && strcmp(f->thp_enabled, "never") != 0;
	long need = (long)((f->pool_size + 2 * MB - 1) / (2 * MB)) * (thp_on ? 1 : 2);
	if (f->hp2m_total < 0) {
		add(j, AUDIT_WARN, "hugepages-2M", "not available: the %s pool falls back to THP or 4K pages", pool);
	} else if (f->hp2m_free >= need) {
		add(j, AUDIT_PASS, "hugepages-2M", "%ld reserved, %ld free (the %s pool needs %ld)", f->hp2m_total,
		    f->hp2m_free, pool, need);
	} else {
		/* Without hugetlb pages the pool is THP (if THP is on) or 4K pages. */
		long want = f->hp2m_total + (need - (f->hp2m_free > 0 ? f->hp2m_free : 0));
		struct audit_item *it = add(j, thp_on ? AUDIT_WARN : AUDIT_FAIL, "hugepages-2M",
					    "%ld reserved, %ld free (the %s pool needs %ld): the pool falls back to %s",
					    f->hp2m_total, f->hp2m_free, pool, need, thp_on ? "THP" : "4K pages");
		if (f->default_hugepage_kb == 2048) {
			fix(it, "echo %ld > /proc/sys/vm/nr_hugepages", want);
		} else {
			fix(it, "echo %ld > " HP2M_DIR "/nr_hugepages", want);
		}
	}
	if (f->hp1g_total < 0) {
		add(j, AUDIT_PASS, "hugepages-1G", "not available (used only with PTFREEZE_HUGEPAGES=1g)");
	} else {
		add(j, AUDIT_PASS, "hugepages-1G", "%ld reserved, %ld free (used only with PTFREEZE_HUGEPAGES=1g)",
		    f->hp1g_total, f->hp1g_free);
	}
}

static void judge_memlock(struct judge *j, const struct audit_facts *f)
{
	char lim[32], pool[32];
	size_str(f->pool_size, pool, sizeof(pool));
	if (!f->memlock_known) {
		add(j, AUDIT_WARN, "memlock", "unknown (cannot read the limits)");
	} else if (f->memlock_unlimited) {
		add(j, AUDIT_PASS, "memlock", "unlimited");
	} else if (f->memlock_bytes >= f->pool_size) {
		add(j, AUDIT_PASS, "memlock", "%s (covers the %s pool)", size_str(f->memlock_bytes, lim, sizeof(lim)), pool);
	} else if (f->ipc_lock_cap) {
		add(j, AUDIT_PASS, "memlock", "%s (does not apply: CAP_IPC_LOCK)", size_str(f->memlock_bytes, lim, sizeof(lim)));
	} else {
		fix(add(j, AUDIT_WARN, "memlock", "%s, less than the %s pool: PTFREEZE_MLOCK=1 cannot lock it",
			size_str(f->memlock_bytes, lim, sizeof(lim)), pool),
		    "ulimit -l unlimited");
	}
}

/*
 * One vm knob read as a number (below 0: not available): a warning with
 * its fix when bad, else a pass that shows the value.
 */
static void judge_knob(struct judge *j, const char *name, long value, bool bad, const char *why, const char *cmd)
{
	if (value < 0) {
		add(j, AUDIT_PASS, name, "not available");
	} else if (bad) {
		fix(add(j, AUDIT_WARN, name, "%ld: %s", value, why), "%s", cmd);
	} else {
		add(j, AUDIT_PASS, name, "%ld", value);
	}
}

static void judge_compaction(struct judge *j, const struct audit_facts *f)
{
	judge_knob(j, "compaction-proactiveness", f->compaction_proactiveness, f->compaction_proactiveness > 0,
		   "kcompactd migrates pages in the background", "echo 0 > /proc/sys/vm/compaction_proactiveness");
	judge_knob(j, "extfrag-threshold", f->extfrag_threshold, f->extfrag_threshold < 500,
		   "the kernel compacts before it reclaims", "echo 500 > /proc/sys/vm/extfrag_threshold");
}

int audit_judge(const struct audit_facts *f, struct audit_item *out, int max)
{
	struct judge j = {out, max, 0};
	judge_swap(&j, f);
	judge_thp(&j, f);
	judge_ksm_numa(&j, f);
	judge_hugepages(&j, f);
	judge_memlock(&j, f);
	judge_compaction(&j, f);
	return j.n;
}


/* ---- the report header's snapshot ---- */

static void put_str_or_null(struct sb *sb, const char *v)
{
	if (v[0]) {
		sb_json(sb, v, strlen(v));
	} else {
		sb_puts(sb, "null");
	}
}

void audit_snapshot_json(struct sb *sb, size_t pool_size)
{
	static struct audit_facts f;
	static struct audit_item items[AUDIT_MAX_ITEMS];
	if (audit_read(&f, 0, pool_size) < 0) {
		sb_printf(sb, "{\"swap_devices\":-1,\"pool_requested\":%zu}", pool_size);
		return;
	}
	sb_printf(sb, "{\"swap_devices\":%d", f.swap_devices);
	sb_printf(sb, ",\"swappiness\":%ld", f.swappiness);
	sb_puts(sb, ",\"thp_enabled\":");
	put_str_or_null(sb, f.thp_enabled);
	sb_puts(sb, ",\"thp_defrag\":");
	put_str_or_null(sb, f.thp_defrag);
	sb_printf(sb, ",\"khugepaged_defrag\":%ld", f.khugepaged_defrag);
	sb_puts(sb, ",\"khugepaged_running\":");
	sb_puts(sb, f.khugepaged_running < 0 ? "null" : f.khugepaged_running ? "true" : "false");
	sb_printf(sb, ",\"ksm_run\":%ld", f.ksm_run);
	sb_printf(sb, ",\"numa_balancing\":%ld", f.numa_balancing);
	sb_printf(sb, ",\"hugepages_2m\":{\"total\":%ld,\"free\":%ld}", f.hp2m_total, f.hp2m_free);
	sb_printf(sb, ",\"hugepages_1g\":{\"total\":%ld,\"free\":%ld}", f.hp1g_total, f.hp1g_free);
	sb_printf(sb, ",\"compaction_proactiveness\":%ld", f.compaction_proactiveness);
	sb_printf(sb, ",\"extfrag_threshold\":%ld", f.extfrag_threshold);
	if (!f.memlock_known) {
		sb_puts(sb, ",\"memlock_limit\":null");
	} else if (f.memlock_unlimited) {
		sb_puts(sb, ",\"memlock_limit\":\"unlimited\"");
	} else {
		sb_printf(sb, ",\"memlock_limit\":%llu", f.memlock_bytes);
	}
	sb_printf(sb, ",\"pool_requested\":%zu,\"checks\":[", pool_size);
	int n = audit_judge(&f, items, AUDIT_MAX_ITEMS);
	for (int i = 0; i < n; i++) {
		sb_printf(sb, "%s{\"name\":\"%s\",\"status\":\"%s\",\"observed\":", i ? "," : "", items[i].name,
			  audit_status_name(items[i].status));
		sb_json(sb, items[i].observed, strlen(items[i].observed));
		sb_puts(sb, ",\"fix\":");
		put_str_or_null(sb, items[i].fix);
		sb_putc(sb, '}');
	}
	sb_puts(sb, "]}");
}
