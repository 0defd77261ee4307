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

#define HUGE_2M (2u << 20)

void cmd_check_usage(FILE *out)
{
	fputs("usage: ptfreeze check [--pid PID] [--pool SIZE] [--json]\n"
	      "\n"
	      "Audits this host's virtual-memory settings against the tuning guide\n"
	      "ptfreeze follows: swap, swappiness, THP (enabled, defrag, khugepaged),\n"
	      "KSM, automatic NUMA balancing, hugetlb pages for the pool, RLIMIT_MEMLOCK\n"
	      "and memory compaction.  Each line: PASS, WARN or FAIL, the item, what\n"
	      "the host has, and the command that fixes it.\n"
	      "\n"
	      "options:\n"
	      "  -p, --pid PID     also list PID's writable shared mappings: those of files\n"
	      "                    on disk stall writers during writeback (tmpfs, hugetlbfs,\n"
	      "                    /dev/shm and anonymous shared memory do not); memlock is\n"
	      "                    then PID's limit\n"
	      "      --pool SIZE   the pool to check huge pages and memlock against\n"
	      "                    (default: the library's, 256M)\n"
	      "  -j, --json        one JSON document instead of the table\n"
	      "  -h, --help        this help\n"
	      "\n"
	      "exit status: 0 all PASS, 1 any WARN or FAIL, 2 cannot read /proc.\n",
	      out);
}

struct mapping_list {
	struct hazards_mapping *v;
	char **paths, **mounts, **fstypes;
	size_t n;
};

/* hazards_mappings' strings live only for the call: keep copies. */
static int keep_mapping(const struct hazards_mapping *m, void *arg)
{
	struct mapping_list *l = arg;
	l->v = cli_realloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->paths = cli_realloc(l->paths, (l->n + 1) * sizeof(*l->paths));
	l->mounts = cli_realloc(l->mounts, (l->n + 1) * sizeof(*l->mounts));
	l->fstypes = cli_realloc(l->fstypes, (l->n + 1) * sizeof(*l->fstypes));
	l->v[l->n] = *m;
	l->v[l->n].path = l->paths[l->n] = cli_strdup(m->path);
	l->v[l->n].mount = l->mounts[l->n] = cli_strdup(m->mount);
	l->v[l->n].fstype = l->fstypes[l->n] = cli_strdup(m->fstype);
	l->n++;
	return 1;
}

static void free_mappings(struct mapping_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->paths[i]);
		free(l->mounts[i]);
		free(l->fstypes[i]);
	}
	free(l->v);
	free(l->paths);
	free(l->mounts);
	free(l->fstypes);
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

static void print_table(const struct audit_item *items, int n, const struct mapping_list *maps, long pid,
			const char *comm, size_t pool)
{
	char sz[32];
	int width = 12;
	for (int i = 0; i < n; i++) {
		int w = (int)strlen(items[i].name);
		width = w > width ? w : width;
	}
	printf("ptfreeze check: this host, for a %s pool\n", cli_size(pool, sz, sizeof(sz)));
	for (int i = 0; i < n; i++) {
		printf("%-4s  %-*s  %s", audit_status_name(items[i].status), width, items[i].name, items[i].observed);
		if (items[i].fix[0]) {
			printf("  fix: %s", items[i].fix);
		}
		putchar('\n');
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
		printf("%-4s  %-*s  %s", m->hazard ? "WARN" : "PASS", width, m->hazard ? "writeback-hazard" : "shared-mapping",
		       where_text(m, buf, sizeof(buf)));
		if (m->hazard) {
			printf("  fix: %s", HAZARD_FIX);
		}
		putchar('\n');
	}
	if (maps->n == 0) {
		printf("%-4s  %-*s  none: no writable shared mappings\n", "PASS", width, "writeback-hazard");
	}
}

static json_t *json_str_or_null(const char *s) { return s && s[0] ? json_string(s) : json_null(); }

static int print_json(const struct audit_item *items, int n, const struct mapping_list *maps, long pid,
		      const char *comm, size_t pool, int counts[3])
{
	json_t *doc = json_object(), *checks = json_array();
	json_object_set_new(doc, "pool", json_integer((json_int_t)pool));
	for (int i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "status", json_string(audit_status_name(items[i].status)));
		json_object_set_new(o, "name", json_string(items[i].name));
		json_object_set_new(o, "observed", json_string(items[i].observed));
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
	int r = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	putchar('\n');
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
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long pid = 0;
	bool json = false;
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
			json = true;
			break;
		case 'h':
			cmd_check_usage(stdout);
			return CLI_OK;
		default:
			return cli_bad_option("check", argv[optind - 1]);
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

	struct audit_facts facts;
	int r = audit_read(&facts, pid, pool);
	if (r < 0) {
		cli_error("cannot read /proc: %s (is it mounted?)", strerror(-r));
		return CLI_INVALID;
	}
	struct audit_item items[AUDIT_MAX_ITEMS];
	int n = audit_judge(&facts, items, AUDIT_MAX_ITEMS);

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
	if (json) {
		if (print_json(items, n, &maps, pid, comm, pool, counts) != 0) {
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
	if (status == CLI_OK && (counts[AUDIT_WARN] || counts[AUDIT_FAIL])) {
		status = CLI_FOUND;
	}
	return status;
}
