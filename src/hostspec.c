/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hostspec: the latency host spec beyond the virtual-memory items (see
 * hostspec.h).  The expectations follow tuned's latency-performance,
 * network-latency, cpu-partitioning and realtime profiles, which are what
 * people who run latency-critical programs treat as the host spec.
 */
#include "hostspec.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fmt.h"
#include "procfs.h"
#include "sys.h"

#define MAX_CPUS 1024
#define HUGE_2M_KB 2048

struct cpus {
	uint64_t w[MAX_CPUS / 64];
};

static bool cpus_has(const struct cpus *c, unsigned i) { return i < MAX_CPUS && (c->w[i / 64] >> (i % 64)) & 1; }

static unsigned cpus_count(const struct cpus *c)
{
	unsigned n = 0;
	for (size_t i = 0; i < MAX_CPUS / 64; i++) {
		n += (unsigned)__builtin_popcountll(c->w[i]);
	}
	return n;
}

/* a within b */
static bool cpus_subset(const struct cpus *a, const struct cpus *b)
{
	for (size_t i = 0; i < MAX_CPUS / 64; i++) {
		if (a->w[i] & ~b->w[i]) {
			return false;
		}
	}
	return true;
}

static bool cpus_meet(const struct cpus *a, const struct cpus *b)
{
	for (size_t i = 0; i < MAX_CPUS / 64; i++) {
		if (a->w[i] & b->w[i]) {
			return true;
		}
	}
	return false;
}

/* A kernel CPU list ("0-3,8,10-11"); anything else ends it.  Returns false if none was read. */
static bool cpus_parse(const char *s, struct cpus *c)
{
	memset(c, 0, sizeof(*c));
	bool any = false;
	while (*s >= '0' && *s <= '9') {
		unsigned long lo, hi;
		s = fmt_cpu_range(s, &lo, &hi);
		for (unsigned long i = lo; i <= hi && i < MAX_CPUS; i++) {
			c->w[i / 64] |= 1ull << (i % 64);
			any = true;
		}
		if (*s != ',') {
			break;
		}
		s++;
	}
	return any;
}

static const char *cpus_list(const struct cpus *c, char *buf, size_t cap)
{
	struct sb sb;
	sb_init(&sb, buf, cap);
	bool first = true;
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (!cpus_has(c, i)) {
			continue;
		}
		unsigned j = i;
		while (j + 1 < MAX_CPUS && cpus_has(c, j + 1)) {
			j++;
		}
		sb_printf(&sb, j > i ? "%s%u-%u" : "%s%u", first ? "" : ",", i, j);
		first = false;
		i = j;
	}
	if (first) {
		sb_puts(&sb, "none");
	}
	return sb_cstr(&sb);
}

static bool read_cpus(const char *path, struct cpus *c)
{
	char buf[512];
	return sys_read_file(path, buf, sizeof(buf)) > 0 && cpus_parse(buf, c);
}

static bool read_num(const char *path, long *v)
{
	char buf[64];
	if (sys_read_file(path, buf, sizeof(buf)) <= 0) {
		return false;
	}
	const char *s = buf;
	bool neg = *s == '-';
	s += neg;
	if (*s < '0' || *s > '9') {
		return false;
	}
	long n = 0;
	while (*s >= '0' && *s <= '9') {
		n = n * 10 + (*s++ - '0');
	}
	*v = neg ? -n : n;
	return true;
}

/* The value of "key:" in a /proc/PID/status-like file, into out. */
static bool status_field(long pid, const char *key, char *out, size_t cap)
{
	char path[64], buf[4096];
	if (sys_read_file(procfs_path(path, sizeof(path), pid, "status"), buf, sizeof(buf)) <= 0) {
		return false;
	}
	size_t klen = strlen(key);
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, klen) == 0 && l[klen] == ':') {
			const char *v = fmt_skip_space(l + klen + 1);
			size_t n = strcspn(v, "\n");
			n = n < cap - 1 ? n : cap - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

/* The value of a kernel command-line parameter ("" for a bare one), or NULL. */
static const char *cmdline_param(const char *cmdline, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	for (const char *p = cmdline; *p;) {
		while (*p == ' ' || *p == '\n') {
			p++;
		}
		size_t len = strcspn(p, " \n");
		if (len >= n && strncmp(p, name, n) == 0 && (len == n || p[n] == '=')) {
			size_t v = len > n ? len - n - 1 : 0;
			v = v < cap - 1 ? v : cap - 1;
			memcpy(out, p + n + (len > n), v);
			out[v] = '\0';
			return out;
		}
		p += len;
	}
	return NULL;
}

/* ---- item construction -------------------------------------------------- */

struct judge {
	struct hostspec_item *out;
	int n, max;
};

static struct hostspec_item *item(struct judge *j, const char *area, const char *name, enum audit_status st)
{
	static struct hostspec_item spare;
	struct hostspec_item *it = j->n < j->max ? &j->out[j->n++] : &spare;
	memset(it, 0, sizeof(*it));
	it->area = area;
	it->status = st;
	struct sb sb;
	sb_init(&sb, it->name, sizeof(it->name));
	sb_puts(&sb, name);
	sb_cstr(&sb);
	return it;
}

#define SET(field, ...) fmt_string((field), sizeof(field), __VA_ARGS__)

/* The fix as data and as a command a person can run. */
static void fix(struct hostspec_item *it, enum hostspec_fix kind, const char *key, const char *value)
{
	it->fix_kind = kind;
	SET(it->fix_key, "%s", key);
	SET(it->fix_value, "%s", value);
	switch (kind) {
	case HOSTSPEC_FIX_SYSCTL:
		SET(it->fix, "sysctl -w %s=%s", key, value);
		break;
	case HOSTSPEC_FIX_SYSFS:
		SET(it->fix, "echo %s > %s", value, key);
		break;
	case HOSTSPEC_FIX_CMDLINE:
		SET(it->fix, "kernel command line: %s%s%s", key, value[0] ? "=" : "", value);
		break;
	case HOSTSPEC_FIX_NONE:
		break;
	}
}

/* A sysctl item: "key" (dotted) read from /proc/sys; bad(v) decides WARN. */
static struct hostspec_item *sysctl_item(struct judge *j, const char *area, const char *name, const char *key,
					 long *v)
{
	char path[128];
	struct sb sb;
	sb_init(&sb, path, sizeof(path));
	sb_puts(&sb, "/proc/sys/");
	for (const char *k = key; *k; k++) {
		sb_putc(&sb, *k == '.' ? '/' : *k);
	}
	if (!read_num(sb_cstr(&sb), v)) {
		struct hostspec_item *it = item(j, area, name, AUDIT_PASS);
		SET(it->observed, "%s: absent (this kernel has no such setting)", key);
		return NULL;
	}
	return item(j, area, name, AUDIT_PASS);
}

/* ---- memory ------------------------------------------------------------- */

static int count_line(char *line, void *arg)
{
	(void)line;
	++*(long *)arg;
	return 1;
}

static void rule_items(struct judge *j, const char *area);

static void memory_items(struct judge *j, const struct hostspec_target *t)
{
	long v;
	struct hostspec_item *it;
	rule_items(j, "memory");
	if ((it = sysctl_item(j, "memory", "max-map-count", "vm.max_map_count", &v))) {
		long used = -1;
		if (t->pid > 0) {
			char path[64];
			used = 0;
			sys_for_each_line(procfs_path(path, sizeof(path), t->pid, "maps"), count_line, &used);
		}
		SET(it->expected, "at most 3/4 used by the process");
		SET(it->why, "past the limit mmap and mprotect fail with ENOMEM; served blocks and guard pages count");
		if (used >= 0) {
			SET(it->observed, "%ld, the process has %ld mappings", v, used);
			if (used * 4 > v * 3) {
				char want[32];
				fmt_string(want, sizeof(want), "%ld", v * 2);
				it->status = AUDIT_WARN;
				fix(it, HOSTSPEC_FIX_SYSCTL, "vm.max_map_count", want);
			}
		} else {
			SET(it->observed, "%ld (give --pid to count a process's mappings)", v);
		}
	}
	long bytes = 0;
	struct {
		const char *name, *key, *bytes_key, *why;
		long want;
	} dirty[] = {
		{"dirty-ratio", "vm.dirty_ratio", "/proc/sys/vm/dirty_bytes",
		 "past this share of dirty memory writers are throttled in balance_dirty_pages: the stall lands on the writer", 10},
		{"dirty-background-ratio", "vm.dirty_background_ratio", "/proc/sys/vm/dirty_background_bytes",
		 "background writeback starts later and then has more to write at once", 5},
	};
	for (size_t i = 0; i < sizeof(dirty) / sizeof(dirty[0]); i++) {
		if (!(it = sysctl_item(j, "memory", dirty[i].name, dirty[i].key, &v))) {
			continue;
		}
		SET(it->expected, "at most %ld%%", dirty[i].want);
		SET(it->why, "%s", dirty[i].why);
		if (read_num(dirty[i].bytes_key, &bytes) && bytes > 0) {
			SET(it->observed, "set in bytes: %ld", bytes);
			continue;
		}
		SET(it->observed, "%ld%%", v);
		if (v > dirty[i].want) {
			char want[16];
			fmt_string(want, sizeof(want), "%ld", dirty[i].want == 5 ? 3L : dirty[i].want);
			it->status = AUDIT_WARN;
			fix(it, HOSTSPEC_FIX_SYSCTL, dirty[i].key, want);
		}
	}
	/* Huge pages free per NUMA node: the pool is placed on one node. */
	it = item(j, "memory", "hugepages-per-node", AUDIT_PASS);
	SET(it->expected, "a node with free 2M pages for the whole pool");
	SET(it->why, "the pool lives on one node: a node short of pages leaves it on 4K pages or remote memory");
	long need = (long)((t->pool_size + (HUGE_2M_KB << 10) - 1) / (HUGE_2M_KB << 10));
	struct sb sb;
	sb_init(&sb, it->observed, sizeof(it->observed));
	int nodes = 0;
	long best = -1, best_node = 0;
	for (int n = 0; n < 64; n++) {
		char path[128];
		fmt_string(path, sizeof(path), "/sys/devices/system/node/node%d/hugepages/hugepages-%dkB/free_hugepages", n,
		    HUGE_2M_KB);
		long f;
		if (!read_num(path, &f)) {
			continue;
		}
		sb_printf(&sb, "%snode%d %ld free", nodes ? ", " : "", n, f);
		if (f > best) {
			best = f;
			best_node = n;
		}
		nodes++;
	}
	if (nodes <= 1) {
		sb_init(&sb, it->observed, sizeof(it->observed));
		sb_puts(&sb, nodes ? "one NUMA node (the item on 2M huge pages judges it)" : "no NUMA information");
	} else if (best < need) {
		char path[128], want[32];
		fmt_string(path, sizeof(path), "/sys/devices/system/node/node%ld/hugepages/hugepages-%dkB/nr_hugepages", best_node,
		    HUGE_2M_KB);
		fmt_string(want, sizeof(want), "%ld", need);
		sb_printf(&sb, "; the pool needs %ld on one node", need);
		it->status = AUDIT_WARN;
		fix(it, HOSTSPEC_FIX_SYSFS, path, want);
	}
	sb_cstr(&sb);
}

/* ---- CPU isolation and interrupts ---------------------------------------- */

/* The CPUs judged: the process's allowed CPUs, or (no process) the isolated ones. */
struct cpu_facts {
	struct cpus online, isolated, nohz, nocbs, target;
	bool have_target, have_nohz, have_nocbs;
	char cmdline[4096];
};

/* The CPUs to isolate when a fix is proposed: the target, or all but CPU 0. */
static void proposal(const struct cpu_facts *c, char *buf, size_t cap)
{
	struct cpus p = c->online;
	if (c->have_target && cpus_count(&c->target) < cpus_count(&c->online)) {
		p = c->target;
	} else {
		p.w[0] &= ~1ull;
	}
	cpus_list(&p, buf, cap);
}

static void cpu_set_item(struct judge *j, const struct cpu_facts *c, const char *name, const struct cpus *set,
			 bool have, const char *param, const char *prefix, const char *why)
{
	char list[256], want[256], tl[256];
	struct hostspec_item *it = item(j, "cpu", name, AUDIT_PASS);
	SET(it->why, "%s", why);
	cpus_list(set, list, sizeof(list));
	unsigned online = cpus_count(&c->online);
	if (online <= 1) {
		SET(it->observed, "one CPU: nothing to keep the kernel off");
		return;
	}
	const struct cpus *judged = c->have_target ? &c->target : &c->isolated;
	cpus_list(judged, tl, sizeof(tl));
	SET(it->expected, c->have_target ? "covers the process's CPUs (%s)" : "covers the isolated CPUs (%s)", tl);
	SET(it->observed, "%s", have ? list : "none");
	bool ok = have && cpus_subset(judged, set) && cpus_count(judged) > 0;
	if (!c->have_target && cpus_count(&c->isolated) == 0) {
		SET(it->expected, "some CPUs for the program, apart from the kernel's housekeeping");
		ok = have && cpus_count(set) > 0;
	}
	if (!ok) {
		proposal(c, want, sizeof(want));
		char value[300];
		fmt_string(value, sizeof(value), "%s%s", prefix, want);
		it->status = AUDIT_WARN;
		fix(it, HOSTSPEC_FIX_CMDLINE, param, value);
	}
}

static int irq_dir(long irq, void *arg);

struct irq_scan {
	const struct cpus *judged;
	int total, hit;
};

static void irq_items(struct judge *j, const struct cpu_facts *c, bool no_scan)
{
	struct hostspec_item *it = item(j, "cpu", "irq-affinity", AUDIT_PASS);
	SET(it->why, "an interrupt taken on the program's CPU runs its handler and softirq there, ahead of the program");
	SET(it->expected, "no interrupt allowed on the program's (or the isolated) CPUs");
	const struct cpus *judged = c->have_target ? &c->target : &c->isolated;
	if (cpus_count(judged) == 0 || cpus_count(&c->online) <= 1) {
		SET(it->observed, "no isolated CPUs (and no --pid) to keep interrupts off");
	} else {
		struct irq_scan scan = {judged, 0, 0};
		procfs_for_each_id("/proc/irq", irq_dir, &scan);
		char tl[256], hk[256];
		cpus_list(judged, tl, sizeof(tl));
		SET(it->expected, "no interrupt allowed on CPUs %s", tl);
		SET(it->observed, "%d of %d interrupts may run on CPUs %s", scan.hit, scan.total, tl);
		if (scan.hit) {
			struct cpus house = c->online;
			for (size_t i = 0; i < MAX_CPUS / 64; i++) {
				house.w[i] &= ~judged->w[i];
			}
			cpus_list(&house, hk, sizeof(hk));
			it->status = AUDIT_WARN;
			SET(it->fix, "for f in /proc/irq/*/smp_affinity_list; do echo %s > $f; done", hk);
		}
	}
	it = item(j, "cpu", "irqbalance", AUDIT_PASS);
	SET(it->why, "irqbalance moves interrupts every 10 s; since 1.8 it keeps off isolated and nohz_full CPUs");
	SET(it->expected, "stopped, or 1.8 or later with CPUs isolated");
	SET(it->observed, "%s", no_scan ? "not looked for (ptfreeze check does)"
				: procfs_running("irqbalance") > 0 ? "running" : "not running");
}

static int irq_dir(long irq, void *arg)
{
	struct irq_scan *scan = arg;
	char path[64];
	struct cpus aff;
	fmt_string(path, sizeof(path), "/proc/irq/%ld/smp_affinity_list", irq);
	if (read_cpus(path, &aff)) {
		scan->total++;
		scan->hit += cpus_meet(&aff, scan->judged);
	}
	return 0;
}

static void cpu_items(struct judge *j, const struct hostspec_target *t)
{
	static struct cpu_facts c;
	memset(&c, 0, sizeof(c));
	read_cpus("/sys/devices/system/cpu/online", &c.online);
	read_cpus("/sys/devices/system/cpu/isolated", &c.isolated);
	c.have_nohz = read_cpus("/sys/devices/system/cpu/nohz_full", &c.nohz);
	if (sys_read_file("/proc/cmdline", c.cmdline, sizeof(c.cmdline)) < 0) {
		c.cmdline[0] = '\0';
	}
	char val[512];
	c.have_nocbs = cmdline_param(c.cmdline, "rcu_nocbs", val, sizeof(val)) && cpus_parse(val, &c.nocbs);
	if (!c.have_nocbs && c.have_nohz) {
		c.nocbs = c.nohz; /* nohz_full CPUs are offloaded too */
		c.have_nocbs = true;
	}
	if (t->pid > 0 && status_field(t->pid, "Cpus_allowed_list", val, sizeof(val)) && cpus_parse(val, &c.target)) {
		c.have_target = true;
	}
	cpu_set_item(j, &c, "isolcpus", &c.isolated, cpus_count(&c.isolated) > 0, "isolcpus", "managed_irq,domain,",
		     "the scheduler, kernel threads and unbound work share every CPU that is not isolated");
	cpu_set_item(j, &c, "nohz-full", &c.nohz, c.have_nohz, "nohz_full", "",
		     "without nohz_full the scheduler tick interrupts a busy CPU every 1 to 4 ms");
	cpu_set_item(j, &c, "rcu-nocbs", &c.nocbs, c.have_nocbs, "rcu_nocbs", "",
		     "RCU callbacks run in softirq on the CPU that queued them unless offloaded to kthreads");
	irq_items(j, &c, t->no_process_scan);
}

/* ---- power ------------------------------------------------------------- */

static bool on_hypervisor(void)
{
	char buf[64];
	if (sys_read_file("/sys/hypervisor/type", buf, sizeof(buf)) > 0) {
		return true;
	}
	return sys_read_file("/sys/class/dmi/id/sys_vendor", buf, sizeof(buf)) > 0 &&
	       (strstr(buf, "QEMU") || strstr(buf, "KVM") || strstr(buf, "VMware") || strstr(buf, "Xen") ||
		strstr(buf, "Microsoft") || strstr(buf, "Amazon") || strstr(buf, "Google"));
}

static void power_items(struct judge *j)
{
	struct hostspec_item *it = item(j, "power", "cpu-governor", AUDIT_PASS);
	SET(it->expected, "performance");
	SET(it->why, "a clock scaled down takes tens of microseconds to ramp up when work arrives");
	char gov[64];
	if (sys_read_file("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", gov, sizeof(gov)) <= 0) {
		SET(it->observed, "no cpufreq%s: the clock is not scaled by this kernel",
		    on_hypervisor() ? " (a virtual machine)" : "");
	} else {
		gov[strcspn(gov, "\n")] = '\0';
		SET(it->observed, "%s (cpu0)", gov);
		if (strcmp(gov, "performance") != 0) {
			it->status = AUDIT_WARN;
			fix(it, HOSTSPEC_FIX_SYSFS, "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor", "performance");
		}
	}
	it = item(j, "power", "c-states", AUDIT_PASS);
	SET(it->expected, "no enabled idle state with an exit latency above 10 us");
	SET(it->why, "waking a CPU from a deep C-state takes up to hundreds of microseconds");
	char drv[64];
	if (sys_read_file("/sys/devices/system/cpu/cpuidle/current_driver", drv, sizeof(drv)) <= 0 ||
	    strncmp(drv, "none", 4) == 0) {
		SET(it->observed, "no cpuidle driver%s", on_hypervisor() ? " (a virtual machine)" : "");
		return;
	}
	drv[strcspn(drv, "\n")] = '\0';
	long worst = 0;
	char worst_name[32] = "";
	for (int s = 0; s < 16; s++) {
		char path[96], name[32];
		long lat, dis = 0;
		fmt_string(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cpuidle/state%d/latency", s);
		if (!read_num(path, &lat)) {
			break;
		}
		fmt_string(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cpuidle/state%d/disable", s);
		read_num(path, &dis);
		fmt_string(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cpuidle/state%d/name", s);
		if (sys_read_file(path, name, sizeof(name)) <= 0) {
			name[0] = '\0';
		}
		name[strcspn(name, "\n")] = '\0';
		if (!dis && lat > worst) {
			worst = lat;
			SET(worst_name, "%s", name);
		}
	}
	SET(it->observed, "%s: deepest enabled state %s, exit latency %ld us", drv, worst_name[0] ? worst_name : "-",
	    worst);
	if (worst > 10) {
		it->status = AUDIT_WARN;
		fix(it, HOSTSPEC_FIX_CMDLINE, "processor.max_cstate", "1");
	}
}

/* ---- settings judged by their value alone ------------------------------- */

/*
 * One row per sysctl that is judged by its value alone: a WARN unless the
 * value is `want` (SAME), at least `want` (AT_LEAST), or anything but
 * `want` (NOT); the fix writes `fix`.
 */
enum rule_test { SAME, AT_LEAST, NOT };

static const struct sysctl_rule {
	const char *area, *name, *key, *unit, *expected, *why, *fix;
	enum rule_test test;
	long want;
} sysctl_rules[] = {
	{"memory", "zone-reclaim-mode", "vm.zone_reclaim_mode", "", "0",
	 "a nonzero mode reclaims the local node before using another: allocations stall in reclaim", "0", SAME, 0},
	{"memory", "watermark-boost", "vm.watermark_boost_factor", "", "0",
	 "after a fragmenting allocation kswapd reclaims and compacts extra memory in a burst", "0", SAME, 0},
	{"memory", "overcommit", "vm.overcommit_memory", "", "0 (heuristic) or 2 (never)",
	 "with 1 every reservation succeeds: running out of memory later is an OOM kill, not a failed start", "0", NOT, 1},
	{"timers", "stat-interval", "vm.stat_interval", " s", "10 s or more",
	 "per-CPU vmstat work folds counters every interval and wakes every CPU, nohz_full ones too", "10", AT_LEAST, 10},
	{"timers", "nmi-watchdog", "kernel.nmi_watchdog", "", "0",
	 "the hard-lockup detector's perf NMI interrupts every CPU periodically", "0", SAME, 0},
	{"timers", "soft-watchdog", "kernel.soft_watchdog", "", "0",
	 "the soft-lockup detector wakes a timer and a thread on every CPU every few seconds", "0", SAME, 0},
	{"timers", "timer-migration", "kernel.timer_migration", "", "0",
	 "with migration on, timers queued by idle CPUs run on busy ones: the program's CPU gets others' timers", "0", SAME,
	 0},
};

static void rule_items(struct judge *j, const char *area)
{
	for (size_t i = 0; i < sizeof(sysctl_rules) / sizeof(sysctl_rules[0]); i++) {
		const struct sysctl_rule *r = &sysctl_rules[i];
		long v;
		struct hostspec_item *it;
		if (strcmp(r->area, area) != 0 || !(it = sysctl_item(j, r->area, r->name, r->key, &v))) {
			continue;
		}
		SET(it->observed, "%ld%s", v, r->unit);
		SET(it->expected, "%s", r->expected);
		SET(it->why, "%s", r->why);
		bool ok = r->test == SAME ? v == r->want : r->test == AT_LEAST ? v >= r->want : v != r->want;
		if (!ok) {
			it->status = AUDIT_WARN;
			fix(it, HOSTSPEC_FIX_SYSCTL, r->key, r->fix);
		}
	}
}

/* ---- RT throttling, limits, fault sources ------------------------------- */

/* Whether a thread of pid runs SCHED_FIFO or SCHED_RR (field 41 of its stat). */
static int rt_threads(long pid)
{
	char path[64], buf[1024];
	fmt_string(path, sizeof(path), "/proc/%ld/stat", pid);
	if (sys_read_file(path, buf, sizeof(buf)) <= 0) {
		return -1;
	}
	const char *p = strrchr(buf, ')');
	for (int field = 2; p && field < 41; field++) {
		p = strchr(p + 1, ' ');
	}
	return p && (p[1] == '1' || p[1] == '2') && p[2] == ' ';
}

static bool cap_held(long pid, int cap)
{
	char val[64];
	if (!status_field(pid, "CapEff", val, sizeof(val))) {
		return false;
	}
	return (fmt_parse_hex(val, NULL) >> cap) & 1;
}

static void other_items(struct judge *j, const struct hostspec_target *t)
{
	long v;
	struct hostspec_item *it;
	if ((it = sysctl_item(j, "rt", "rt-throttling", "kernel.sched_rt_runtime_us", &v))) {
		SET(it->expected, "-1 for a program with SCHED_FIFO or SCHED_RR threads");
		SET(it->why, "RT threads are stopped for the rest of each second once they have run this long");
		int rt = t->pid > 0 ? rt_threads(t->pid) : -1;
		SET(it->observed, v < 0 ? "%ld (off)%s" : "%ld of each 1000000 us%s", v,
		    rt > 0 ? "; the process runs RT" : rt == 0 ? "; the process does not run RT" : " (give --pid to judge a process)");
		if (v >= 0 && rt > 0) {
			it->status = AUDIT_WARN;
			fix(it, HOSTSPEC_FIX_SYSCTL, "kernel.sched_rt_runtime_us", "-1");
		}
	}
	it = item(j, "limits", "cap-ipc-lock", AUDIT_PASS);
	bool cap = cap_held(t->pid, 14); /* CAP_IPC_LOCK */
	SET(it->observed, "%s", cap ? "held: mlock is not limited by RLIMIT_MEMLOCK" : "not held (the memlock item judges the limit)");
	SET(it->expected, "held, or a memlock limit as large as the pool");
	SET(it->why, "PTFREEZE_MLOCK locks the pool; without the capability RLIMIT_MEMLOCK caps it");
	if ((it = sysctl_item(j, "faults", "perf-event-paranoid", "kernel.perf_event_paranoid", &v))) {
		bool admin = cap_held(t->pid, 21) || cap_held(t->pid, 38); /* CAP_SYS_ADMIN, CAP_PERFMON */
		SET(it->observed, "%ld%s", v, admin ? " (the process may use perf regardless)" : "");
		SET(it->expected, "2 or less for an unprivileged program");
		SET(it->why, "the page-fault sampler opens perf events on its own process: above 2 they are refused and faults are only counted");
		if (v > 2 && !admin) {
			it->status = AUDIT_WARN;
			fix(it, HOSTSPEC_FIX_SYSCTL, "kernel.perf_event_paranoid", "2");
		}
	}
}

int hostspec_judge(const struct hostspec_target *t, struct hostspec_item *out, int max)
{
	struct judge j = {out, 0, max};
	memory_items(&j, t);
	cpu_items(&j, t);
	power_items(&j);
	rule_items(&j, "timers");
	other_items(&j, t);
	return j.n;
}

/* What latency work expects of audit.c's items, and why (the mechanism, in a line). */
static const struct {
	const char *name, *area, *expected, *why;
} audit_spec[] = {
	{"swap", "memory", "off", "a swapped-out page comes back through a major fault: disk latency on the hot path"},
	{"swappiness", "memory", "1 or less with swap on", "the kernel reclaims anonymous memory sooner than page cache"},
	{"thp-enabled", "memory", "never (the pool asks for huge pages itself)",
	 "khugepaged collapses and splits huge pages of other regions, rewriting page tables (shootdowns)"},
	{"thp-defrag", "memory", "madvise, defer or never", "always makes page faults stall in direct compaction"},
	{"khugepaged", "memory", "not running, or defrag 0", "it scans and collapses huge pages, compacting memory to do so"},
	{"ksm", "memory", "0 (off)", "merging pages locks page tables, and a write to a merged page faults to unmerge it"},
	{"numa-balancing", "memory", "0", "hinting faults: pages are unmapped to see which node uses them, then migrated"},
	{"hugepages-2M", "memory", "free 2M pages for the whole pool (twice that with THP off)",
	 "the pool's hugetlb backing (PTFREEZE_HUGEPAGES=2m; auto where THP is off, leaving as many free for fork children)"},
	{"hugepages-1G", "memory", "free 1G pages when PTFREEZE_HUGEPAGES=1g", "as for 2M pages, for a 1G pool"},
	{"memlock", "limits", "at least the pool, or CAP_IPC_LOCK", "PTFREEZE_MLOCK cannot lock a pool larger than RLIMIT_MEMLOCK"},
	{"compaction-proactiveness", "memory", "0", "kcompactd migrates pages in the background: page-table changes under the program"},
	{"extfrag-threshold", "memory", "500 (the default) or more", "a lower threshold makes the kernel compact rather than reclaim"},
};


/* "echo VALUE > PATH": VALUE and PATH, or false. */
static bool echo_fix(const char *fix, char *value, size_t vcap, char *path, size_t pcap)
{
	if (strncmp(fix, "echo ", 5) != 0) {
		return false;
	}
	const char *v = fix + 5, *gt = strstr(v, " > ");
	if (gt == NULL || (size_t)(gt - v) >= vcap || strlen(gt + 3) >= pcap || strchr(gt + 3, ' ')) {
		return false;
	}
	memcpy(value, v, (size_t)(gt - v));
	value[gt - v] = '\0';
	strcpy(path, gt + 3);
	return true;
}

void hostspec_from_audit(const struct audit_item *a, struct hostspec_item *h)
{
	memset(h, 0, sizeof(*h));
	h->status = a->status;
	h->area = "memory";
	for (size_t i = 0; i < sizeof(audit_spec) / sizeof(audit_spec[0]); i++) {
		if (strcmp(audit_spec[i].name, a->name) == 0) {
			h->area = audit_spec[i].area;
			SET(h->expected, "%s", audit_spec[i].expected);
			SET(h->why, "%s", audit_spec[i].why);
		}
	}
	SET(h->name, "%s", a->name);
	SET(h->observed, "%s", a->observed);
	SET(h->fix, "%s", a->fix);
	char value[AUDIT_TEXT_MAX], path[AUDIT_TEXT_MAX];
	if (!echo_fix(a->fix, value, sizeof(value), path, sizeof(path))) {
		return;
	}
	if (strncmp(path, "/proc/sys/", 10) == 0) {
		h->fix_kind = HOSTSPEC_FIX_SYSCTL;
		for (char *c = path + 10; *c; c++) {
			*c = *c == '/' ? '.' : *c;
		}
		SET(h->fix_key, "%s", path + 10);
	} else if (strncmp(path, "/sys/", 5) == 0) {
		h->fix_kind = HOSTSPEC_FIX_SYSFS;
		SET(h->fix_key, "%s", path);
	} else {
		return;
	}
	SET(h->fix_value, "%s", value);
}

int hostspec_judge_all(const struct hostspec_target *t, struct hostspec_item *out, int max)
{
	struct audit_facts f;
	int r = audit_read(&f, t->pid, t->pool_size);
	if (r < 0) {
		return r;
	}
	struct audit_item vm[AUDIT_MAX_ITEMS];
	int n = audit_judge(&f, vm, max < AUDIT_MAX_ITEMS ? max : AUDIT_MAX_ITEMS);
	for (int i = 0; i < n; i++) {
		hostspec_from_audit(&vm[i], &out[i]);
	}
	return n + hostspec_judge(t, out + n, max - n);
}
