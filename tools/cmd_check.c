/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_check: `ptfreeze check [--pid PID] [--pool SIZE] [--json]`, the host
 * audit.  The facts and the rules are src/audit.c's (the same code writes
 * the snapshot in every report header); this file only parses options,
 * prints the items as a table or one JSON document, and adds the
 * writeback-hazard lines for one process's mappings.  Exit status: 0 when
 * every item passes, 1 for any WARN or FAIL, 2 when /proc (or the
 * process) cannot be read.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "config.h"
#include "hazards.h"
#include "hostspec.h"
#include "kinds.h"
#include "prom.h"

#define HUGE_2M (2u << 20)

void cmd_check_usage(FILE *out)
{
	fputs("usage: ptfreeze check [--pid PID] [--pool SIZE] [--json | --format FORMAT]\n"
	      "                      [--emit sysctl|cmdline|tuned]\n"
	      "\n"
	      "Audits this host against a latency host spec, by area: memory (swap,\n"
	      "THP, khugepaged, KSM, NUMA balancing, huge pages, compaction, reclaim,\n"
	      "overcommit, map count, writeback), CPU isolation and interrupts, power\n"
	      "(governor, C-states), timers and kernel threads, RT throttling, limits\n"
	      "and what the page-fault sampler needs.  Each line: PASS, WARN or FAIL,\n"
	      "the item, what the host has, and the command that fixes it; --json adds\n"
	      "what latency work expects and why.\n"
	      "\n"
	      "options:\n"
	      "  -p, --pid PID     also list PID's writable shared mappings: those of files\n"
	      "                    on disk stall writers during writeback (tmpfs, hugetlbfs,\n"
	      "                    /dev/shm and anonymous shared memory do not); memlock is\n"
	      "                    then PID's limit\n"
	      "      --pool SIZE   the pool to check huge pages and memlock against\n"
	      "                    (default: the library's, 256M)\n"
	      "  -j, --json        one JSON document instead of the table\n"
	      "      --format F    text (the table), json (as --json), or prometheus: the\n"
	      "                    Prometheus text format, for node_exporter's textfile\n"
	      "                    collector (one gauge per item: 0 PASS, 1 WARN, 2 FAIL)\n"
	      "      --emit KIND   print a file that fixes every WARN and FAIL it can, and\n"
	      "                    change nothing: sysctl (for /etc/sysctl.d), cmdline (kernel\n"
	      "                    command-line additions) or tuned (a profile that includes\n"
	      "                    latency-performance)\n"
	      "  -h, --help        this help\n"
	      "\n"
	      "exit status: 0 all PASS, 1 any WARN or FAIL, 2 cannot read /proc;\n"
	      "with --emit, 0 once the file is written.\n",
	      out);
}

struct mapping_list {
	struct hazards_mapping *v;
	char **copies; /* owned: path, mount and fstype of each mapping in turn */
	size_t n;
};

/* hazards_mappings' strings live only for the call: keep copies. */
static int keep_mapping(const struct hazards_mapping *m, void *arg)
{
	struct mapping_list *l = arg;
	l->v = cli_realloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->copies = cli_realloc(l->copies, 3 * (l->n + 1) * sizeof(*l->copies));
	char **c = &l->copies[3 * l->n];
	l->v[l->n] = *m;
	l->v[l->n].path = c[0] = cli_strdup(m->path);
	l->v[l->n].mount = c[1] = cli_strdup(m->mount);
	l->v[l->n].fstype = c[2] = cli_strdup(m->fstype);
	l->n++;
	return 1;
}

static void free_mappings(struct mapping_list *l)
{
	for (size_t i = 0; i < 3 * l->n; i++) {
		free(l->copies[i]);
	}
	free(l->copies);
	free(l->v);
}

static const char *where_text(const struct hazards_mapping *m, char *buf, size_t cap)
{
	char sz[32];
	cli_size((uint64_t)(m->end - m->start), sz, sizeof(sz));
	if (m->fstype[0] == '\0') {
		snprintf(buf, cap, "%s (anonymous shared memory, %s at 0x%lx): no writeback", m->path[0] ? m->path : "-", sz,
			 (unsigned long)m->start);
	} else {
		snprintf(buf, cap, "%s (%s on %s, %s at 0x%lx): %s", m->path, m->fstype, m->mount, sz, (unsigned long)m->start,
			 m->hazard ? "dirty pages are written back, writers stall" : "memory-backed, no writeback");
	}
	return buf;
}

#define HAZARD_FIX "keep the file on tmpfs (/dev/shm) or hugetlbfs, or map it MAP_PRIVATE or read-only"

/* The areas, in the order the table shows them, with a line each. */
static const struct {
	const char *area, *title;
} areas[] = {
	{"memory", "memory: paging, huge pages, reclaim, writeback"},
	{"cpu", "CPU isolation and interrupts"},
	{"power", "power: frequency and idle states"},
	{"timers", "timers and kernel threads"},
	{"rt", "real-time scheduling"},
	{"limits", "limits"},
	{"faults", "what the page-fault sampler needs"},
};

static void print_table(const struct hostspec_item *items, int n, const struct mapping_list *maps, long pid,
			const char *comm, size_t pool)
{
	char sz[32];
	int width = 12;
	for (int i = 0; i < n; i++) {
		int w = (int)strlen(items[i].name);
		width = w > width ? w : width;
	}
	printf("ptfreeze check: this host, for a %s pool\n", cli_size(pool, sz, sizeof(sz)));
	for (size_t a = 0; a < sizeof(areas) / sizeof(areas[0]); a++) {
		printf("\n%s\n", areas[a].title);
		for (int i = 0; i < n; i++) {
			if (strcmp(items[i].area, areas[a].area) != 0) {
				continue;
			}
			printf("%-4s  %-*s  %s", audit_status_name(items[i].status), width, items[i].name, items[i].observed);
			if (items[i].fix[0]) {
				printf("  fix: %s", items[i].fix);
			}
			putchar('\n');
		}
	}
	if (pid <= 0) {
		return;
	}
	printf("\npid %ld (%s): writable shared mappings\n", pid, comm);
	size_t hazards = 0;
	for (size_t i = 0; i < maps->n; i++) {
		char buf[1024];
		const struct hazards_mapping *m = &maps->v[i];
		hazards += m->hazard;
		printf("%-4s  %-*s  %s", m->hazard ? "WARN" : "PASS", width, m->hazard ? kinds_name(KIND_WRITEBACK_HAZARD) : "shared-mapping",
		       where_text(m, buf, sizeof(buf)));
		if (m->hazard) {
			printf("  fix: %s", HAZARD_FIX);
		}
		putchar('\n');
	}
	if (maps->n == 0) {
		printf("%-4s  %-*s  none: no writable shared mappings\n", "PASS", width, kinds_name(KIND_WRITEBACK_HAZARD));
	}
}

static json_t *json_str_or_null(const char *s) { return s && s[0] ? json_string(s) : json_null(); }

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_PROMETHEUS };

enum emit { EMIT_NONE, EMIT_SYSCTL, EMIT_CMDLINE, EMIT_TUNED };

#define KIND_BIT(k) (1u << (k))

/* The fixes a file cannot express (kinds not in the mask), as comments. */
static void emit_others(const struct hostspec_item *items, int n, unsigned expressed, const char *what)
{
	bool any = false;
	for (int i = 0; i < n; i++) {
		if (items[i].status != AUDIT_PASS && !(expressed & KIND_BIT(items[i].fix_kind)) && items[i].fix[0]) {
			printf("%s# %s: %s\n", any ? "" : what, items[i].name, items[i].fix);
			any = true;
		}
	}
}

/* The items to fix with one kind of fix, as "key = value" lines in format. */
static int emit_kind(const struct hostspec_item *items, int n, enum hostspec_fix kind, const char *format)
{
	int count = 0;
	for (int i = 0; i < n; i++) {
		if (items[i].status != AUDIT_PASS && items[i].fix_kind == kind) {
			printf("# %s (%s): %s\n", items[i].name, audit_status_name(items[i].status), items[i].observed);
			printf(format, items[i].fix_key, items[i].fix_value);
			count++;
		}
	}
	return count;
}

static void emit_cmdline(const struct hostspec_item *items, int n, const char *prefix)
{
	fputs(prefix, stdout);
	bool first = true;
	for (int i = 0; i < n; i++) {
		if (items[i].status != AUDIT_PASS && items[i].fix_kind == HOSTSPEC_FIX_CMDLINE) {
			printf("%s%s%s%s", first ? "" : " ", items[i].fix_key, items[i].fix_value[0] ? "=" : "",
			       items[i].fix_value);
			/* One idle-state limit is not enough: intel_idle ignores processor.max_cstate. */
			if (strcmp(items[i].fix_key, "processor.max_cstate") == 0) {
				printf(" intel_idle.max_cstate=%s", items[i].fix_value);
			}
			first = false;
		}
	}
	putchar('\n');
}

/*
 * --emit: a file that fixes every WARN and FAIL it can, on standard output.
 * Nothing is changed on this host.
 */
static void emit(enum emit what, const struct hostspec_item *items, int n)
{
	switch (what) {
	case EMIT_SYSCTL:
		puts("# /etc/sysctl.d/90-ptfreeze.conf, written by ptfreeze check --emit sysctl.\n"
		     "# Apply: sysctl -p /etc/sysctl.d/90-ptfreeze.conf");
		emit_kind(items, n, HOSTSPEC_FIX_SYSCTL, "%s = %s\n");
		emit_others(items, n, KIND_BIT(HOSTSPEC_FIX_SYSCTL), "# Not sysctls (see --emit tuned and --emit cmdline):\n");
		break;
	case EMIT_CMDLINE:
		puts("# Kernel command-line additions, written by ptfreeze check --emit cmdline:\n"
		     "# add them to GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub, reboot.");
		emit_cmdline(items, n, "");
		break;
	case EMIT_TUNED:
		puts("# /etc/tuned/ptfreeze/tuned.conf, written by ptfreeze check --emit tuned.\n"
		     "# Apply: tuned-adm profile ptfreeze\n"
		     "[main]\n"
		     "summary=latency-performance with what ptfreeze check found on this host\n"
		     "include=latency-performance\n\n[sysctl]");
		emit_kind(items, n, HOSTSPEC_FIX_SYSCTL, "%s=%s\n");
		puts("\n[sysfs]");
		emit_kind(items, n, HOSTSPEC_FIX_SYSFS, "%s=%s\n");
		puts("\n[bootloader]");
		emit_cmdline(items, n, "cmdline_ptfreeze=");
		emit_others(items, n, KIND_BIT(HOSTSPEC_FIX_SYSCTL) | KIND_BIT(HOSTSPEC_FIX_SYSFS) | KIND_BIT(HOSTSPEC_FIX_CMDLINE),
			    "\n# Not expressed above (run them by hand):\n");
		break;
	case EMIT_NONE:
		break;
	}
}

static int print_json(const struct hostspec_item *items, int n, const struct mapping_list *maps, long pid,
		      const char *comm, size_t pool, int counts[3], enum format format)
{
	json_t *doc = json_object(), *checks = json_array();
	json_object_set_new(doc, "pool", json_integer((json_int_t)pool));
	for (int i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "status", json_string(audit_status_name(items[i].status)));
		json_object_set_new(o, "name", json_string(items[i].name));
		json_object_set_new(o, "area", json_string(items[i].area));
		json_object_set_new(o, "observed", json_string(items[i].observed));
		json_object_set_new(o, "expected", json_str_or_null(items[i].expected));
		json_object_set_new(o, "why", json_str_or_null(items[i].why));
		json_object_set_new(o, "fix", json_str_or_null(items[i].fix));
		json_array_append_new(checks, o);
	}
	json_object_set_new(doc, "checks", checks);
	if (pid > 0) {
		json_t *p = json_object(), *list = json_array();
		json_object_set_new(p, "pid", json_integer(pid));
		json_object_set_new(p, "comm", json_string(comm));
		for (size_t i = 0; i < maps->n; i++) {
			const struct hazards_mapping *m = &maps->v[i];
			char hex[32];
			json_t *o = json_object();
			json_object_set_new(o, "status", json_string(m->hazard ? "WARN" : "PASS"));
			json_object_set_new(o, "hazard", json_boolean(m->hazard));
			json_object_set_new(o, "path", json_string(m->path));
			json_object_set_new(o, "mount", json_str_or_null(m->mount));
			json_object_set_new(o, "fstype", json_str_or_null(m->fstype));
			snprintf(hex, sizeof(hex), "0x%lx", (unsigned long)m->start);
			json_object_set_new(o, "start", json_string(hex));
			json_object_set_new(o, "size", json_integer((json_int_t)(m->end - m->start)));
			json_object_set_new(o, "perms", json_string(m->perms));
			json_object_set_new(o, "fix", m->hazard ? json_string(HAZARD_FIX) : json_null());
			json_array_append_new(list, o);
		}
		json_object_set_new(p, "mappings", list);
		json_object_set_new(doc, "process", p);
	} else {
		json_object_set_new(doc, "process", json_null());
	}
	json_object_set_new(doc, "pass", json_integer(counts[AUDIT_PASS]));
	json_object_set_new(doc, "warn", json_integer(counts[AUDIT_WARN]));
	json_object_set_new(doc, "fail", json_integer(counts[AUDIT_FAIL]));
	int r;
	if (format == FORMAT_PROMETHEUS) {
		r = prom_check(stdout, doc);
	} else {
		r = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		putchar('\n');
	}
	json_decref(doc);
	return r;
}

static bool parse_pid(const char *s, long *pid)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v <= 0) {
		cli_error("--pid: '%s' is not a process id", s);
		return false;
	}
	*pid = v;
	return true;
}

int cmd_check(int argc, char **argv)
{
	static const struct option options[] = {
		{"pid", required_argument, NULL, 'p'},
		{"pool", required_argument, NULL, 'P'},
		{"json", no_argument, NULL, 'j'},
		{"format", required_argument, NULL, 'F'},
		{"emit", required_argument, NULL, 'E'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long pid = 0;
	enum format format = FORMAT_TEXT;
	enum emit what = EMIT_NONE;
	const char *pool_arg = cli_default("PTFREEZE_POOL");
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "p:jh", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_pid(optarg, &pid)) {
				return CLI_INVALID;
			}
			break;
		case 'P':
			if (!cli_check_value("--pool", "PTFREEZE_POOL", optarg)) {
				return CLI_INVALID;
			}
			pool_arg = optarg;
			break;
		case 'j':
			format = FORMAT_JSON;
			break;
		case 'F':
			static const char *const formats[] = {"text", "json", "prometheus", NULL};
			if (!cli_parse_choice("check", "--format", optarg, formats, (int *)&format)) {
				return CLI_INVALID;
			}
			break;
		case 'E': {
			static const char *const kinds[] = {"none", "sysctl", "cmdline", "tuned", NULL};
			if (!cli_parse_choice("check", "--emit", optarg, kinds, (int *)&what)) {
				return CLI_INVALID;
			}
			break;
		}
		default: /* --help, or a bad option */
			return cli_option_end("check", c, argv, cmd_check_usage);
		}
	}
	if (optind < argc) {
		cli_error("check: unexpected argument '%s' (see 'ptfreeze check --help')", argv[optind]);
		return CLI_INVALID;
	}
	size_t pool = 0;
	config_parse_size(pool_arg, &pool);
	/* As the shim does: the pool is whole 2M pages. */
	pool = (pool + HUGE_2M - 1) & ~(size_t)(HUGE_2M - 1);

	static struct hostspec_item items[HOSTSPEC_ALL_ITEMS];
	struct hostspec_target target = {.pid = pid, .pool_size = pool};
	int n = hostspec_judge_all(&target, items, HOSTSPEC_ALL_ITEMS);
	if (n < 0) {
		cli_error("cannot read /proc: %s (is it mounted?)", strerror(-n));
		return CLI_INVALID;
	}
	int r;

	struct mapping_list maps = {0};
	char comm[64] = "?";
	if (pid > 0) {
		r = hazards_mappings(pid, keep_mapping, &maps);
		if (r < 0) {
			if (r == -ENOENT) {
				cli_error("--pid %ld: no such process", pid);
			} else {
				cli_error("--pid %ld: cannot read /proc/%ld/maps: %s", pid, pid, strerror(-r));
			}
			free_mappings(&maps);
			return CLI_INVALID;
		}
		char path[64];
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		FILE *f = fopen(path, "re");
		if (f && fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = '\0';
		}
		if (f) {
			fclose(f);
		}
	}

	int counts[3] = {0, 0, 0};
	for (int i = 0; i < n; i++) {
		counts[items[i].status]++;
	}
	for (size_t i = 0; i < maps.n; i++) {
		counts[maps.v[i].hazard ? AUDIT_WARN : AUDIT_PASS]++;
	}
	int status = CLI_OK;
	if (what != EMIT_NONE) {
		emit(what, items, n); /* a file: written is success, whatever it fixes */
	} else if (format != FORMAT_TEXT) {
		if (print_json(items, n, &maps, pid, comm, pool, counts, format) != 0) {
			status = CLI_INVALID;
		}
	} else {
		print_table(items, n, &maps, pid, comm, pool);
		printf("\n%d PASS, %d WARN, %d FAIL\n", counts[AUDIT_PASS], counts[AUDIT_WARN], counts[AUDIT_FAIL]);
	}
	free_mappings(&maps);
	if (fflush(stdout) != 0) {
		cli_error("cannot write the output");
		return CLI_INVALID;
	}
	if (what == EMIT_NONE && status == CLI_OK && (counts[AUDIT_WARN] || counts[AUDIT_FAIL])) {
		status = CLI_FOUND;
	}
	return status;
}
