/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * prom: the Prometheus text exposition format (version 0.0.4) of what
 * `ptfreeze check --json` and `ptfreeze report --json` say, for
 * node_exporter's textfile collector.  It reads those JSON documents, not
 * the commands' internals, so the three outputs cannot disagree.
 *
 * A metric family's samples must stand together under one HELP and one
 * TYPE line: samples are gathered per family, then written family by
 * family.  Counts a process has made (events, faults, dropped records) are
 * counters (`_total`); sizes and states are gauges; sizes are in bytes.
 */
#include "prom.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kinds.h"

struct family {
	const char *name, *type, *help;
	char *buf;
	size_t len;
	FILE *f;
};

static void family_open(struct family *fam, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fam[i].buf = NULL;
		fam[i].len = 0;
		fam[i].f = open_memstream(&fam[i].buf, &fam[i].len);
		if (fam[i].f == NULL) {
			cli_error("out of memory");
			exit(CLI_INVALID);
		}
	}
}

/* Writes every family that has samples; 0, or -1 when out cannot be written. */
static int family_flush(FILE *out, struct family *fam, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fclose(fam[i].f);
		if (fam[i].len) {
			fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", fam[i].name, fam[i].help, fam[i].name, fam[i].type);
			fwrite(fam[i].buf, 1, fam[i].len, out);
		}
		free(fam[i].buf);
	}
	return ferror(out) ? -1 : 0;
}

/* A label value: backslash, double quote and newline escaped. */
static void put_value(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"') {
			fputc('\\', f);
			fputc(*s, f);
		} else if (*s == '\n') {
			fputs("\\n", f);
		} else {
			fputc(*s, f);
		}
	}
	fputc('"', f);
}

/*
 * One sample: labels are NULL-terminated name/value pairs.  Values are
 * written as integers when they are whole (all of ours are).
 */
static void sample(struct family *fam, double v, const char *const *labels)
{
	fputs(fam->name, fam->f);
	if (labels && labels[0]) {
		fputc('{', fam->f);
		for (size_t i = 0; labels[i]; i += 2) {
			fprintf(fam->f, "%s%s=", i ? "," : "", labels[i]);
			put_value(fam->f, labels[i + 1]);
		}
		fputc('}', fam->f);
	}
	if (v == (double)(long long)v) {
		fprintf(fam->f, " %lld\n", (long long)v);
	} else {
		fprintf(fam->f, " %.17g\n", v);
	}
}

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : 0;
}

/* ---- ptfreeze check ----------------------------------------------------- */

enum { C_STATUS, C_ITEMS, C_POOL, C_MAPPING, C_N };

int prom_check(FILE *out, const json_t *doc)
{
	struct family fam[C_N] = {
		[C_STATUS] = {"ptfreeze_host_check_status", "gauge",
			      "Host audit item: 0 PASS, 1 WARN, 2 FAIL (ptfreeze check)."},
		[C_ITEMS] = {"ptfreeze_host_checks", "gauge", "Host audit items by status."},
		[C_POOL] = {"ptfreeze_host_check_pool_bytes", "gauge", "Pool size the audit judged huge pages and memlock against."},
		[C_MAPPING] = {"ptfreeze_process_writeback_hazard", "gauge",
			       "Writable shared file mapping of the audited process: 1 if writeback can stall its writers."},
	};
	family_open(fam, C_N);
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(doc, "checks"), i, c)
	{
		const char *st = json_string_value(json_object_get(c, "status"));
		double code = st && strcmp(st, "FAIL") == 0 ? 2 : st && strcmp(st, "WARN") == 0 ? 1 : 0;
		const char *labels[] = {"area", json_string_value(json_object_get(c, "area")), "item",
					json_string_value(json_object_get(c, "name")), NULL};
		sample(&fam[C_STATUS], code, labels);
	}
	static const char *const statuses[] = {"pass", "warn", "fail"};
	for (i = 0; i < 3; i++) {
		const char *labels[] = {"status", statuses[i], NULL};
		sample(&fam[C_ITEMS], num(doc, statuses[i]), labels);
	}
	sample(&fam[C_POOL], num(doc, "pool"), NULL);
	const json_t *proc = json_object_get(doc, "process");
	if (json_is_object(proc)) {
		char pid[32];
		snprintf(pid, sizeof(pid), "%lld", (long long)num(proc, "pid"));
		json_array_foreach(json_object_get(proc, "mappings"), i, c)
		{
			const char *labels[] = {"pid", pid, "path", json_string_value(json_object_get(c, "path")),
						"start", json_string_value(json_object_get(c, "start")), NULL};
			sample(&fam[C_MAPPING], json_is_true(json_object_get(c, "hazard")) ? 1 : 0, labels);
		}
	}
	return family_flush(out, fam, C_N);
}

/* ---- ptfreeze report ---------------------------------------------------- */

enum {
	R_PROCESSES,
	R_ARMED,
	R_COMPLETE,
	R_POOL,
	R_POOL_HUGE,
	R_POOL_HIGH,
	R_EVENTS,
	R_FAULTS_ARMED,
	R_BLOCKED,
	R_DROPPED_SITES,
	R_DROPPED_RECORDS,
	R_SUPPRESSED,
	R_SHOOTDOWNS,
	R_N
};

/* The labels that name a process: its pid and the image it ran. */
struct who {
	char pid[32];
	const char *exe;
};

static void process_metrics(struct family *fam, const json_t *p, const struct who *w)
{
	const json_t *pool = json_object_get(p, "pool");
	const char *backing = json_string_value(json_object_get(pool, "backing"));
	const char *id[] = {"pid", w->pid, "exe", w->exe, NULL};
	sample(&fam[R_ARMED], json_is_object(json_object_get(p, "armed")) ? 1 : 0, id);
	sample(&fam[R_COMPLETE], json_is_true(json_object_get(p, "complete")) ? 1 : 0, id);
	if (json_is_object(pool)) {
		const char *pl[] = {"pid", w->pid, "exe", w->exe, "backing", backing ? backing : "", NULL};
		sample(&fam[R_POOL], num(pool, "size"), pl);
		sample(&fam[R_POOL_HUGE], num(pool, "bytes_huge"), id);
		sample(&fam[R_POOL_HIGH], num(pool, "high_water"), id);
	}
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)json_object_get(p, "events_by_kind"), key, v)
	{
		const char *kl[] = {"pid", w->pid, "exe", w->exe, "kind", key, NULL};
		sample(&fam[R_EVENTS], json_is_number(v) ? json_number_value(v) : 0, kl);
	}
	const json_t *fa = json_object_get(p, "faults_armed");
	if (json_is_object(fa)) {
		static const char *const types[] = {"minor", "major"};
		for (size_t t = 0; t < 2; t++) {
			const char *tl[] = {"pid", w->pid, "exe", w->exe, "type", types[t], NULL};
			sample(&fam[R_FAULTS_ARMED], num(fa, types[t]), tl);
		}
	}
	sample(&fam[R_DROPPED_SITES], num(p, "dropped_sites"), id);
	sample(&fam[R_DROPPED_RECORDS], num(p, "dropped_records"), id);
	double suppressed = 0;
	size_t i;
	json_array_foreach(json_object_get(p, "suppressed"), i, v) { suppressed += num(v, "count"); }
	sample(&fam[R_SUPPRESSED], suppressed, id);
	const json_t *tlb = json_object_get(p, "tlb_shootdowns");
	if (json_is_object(tlb) && json_is_number(json_object_get(tlb, "during_armed"))) {
		const char *tl[] = {"pid", w->pid, "exe", w->exe, "scope",
				    json_string_value(json_object_get(tlb, "scope")) ? json_string_value(json_object_get(tlb, "scope")) : "",
				    NULL};
		sample(&fam[R_SHOOTDOWNS], num(tlb, "during_armed"), tl);
	}
}

/*
 * Refused calls by kind, over every process: sites alike across processes
 * are merged, so a site's count is not one process's.
 */
static void blocked_by_kind(struct family *fam, const json_t *sites)
{
	json_t *by = json_object();
	size_t i;
	const json_t *s;
	json_array_foreach(sites, i, s)
	{
		const char *kind = json_string_value(json_object_get(s, "kind"));
		if (kind && strcmp(kind, kinds_name(KIND_PAGE_FAULT)) != 0) {
			json_object_set_new(by, kind, json_real(num(by, kind) + num(s, "blocked")));
		}
	}
	const char *key;
	json_t *v;
	json_object_foreach(by, key, v)
	{
		const char *labels[] = {"kind", key, NULL};
		sample(fam, json_number_value(v), labels);
	}
	json_decref(by);
}

int prom_report(FILE *out, const json_t *doc)
{
	struct family fam[R_N] = {
		[R_PROCESSES] = {"ptfreeze_report_processes", "gauge", "Processes with a report, by state."},
		[R_ARMED] = {"ptfreeze_armed", "gauge", "1 if the process was armed."},
		[R_COMPLETE] = {"ptfreeze_report_complete", "gauge",
				"1 if the process wrote its exit summary (0: still running, or killed)."},
		[R_POOL] = {"ptfreeze_pool_bytes", "gauge", "Size of the process's pool, by backing."},
		[R_POOL_HUGE] = {"ptfreeze_pool_huge_bytes", "gauge", "Bytes of the pool on huge pages."},
		[R_POOL_HIGH] = {"ptfreeze_pool_used_bytes", "gauge", "Bytes of the pool handed out (high-water mark)."},
		[R_EVENTS] = {"ptfreeze_events_total", "counter",
			      "Page-table events after arming, by kind (page-fault: sampled page faults)."},
		[R_FAULTS_ARMED] = {"ptfreeze_page_faults_armed_total", "counter",
				    "Page faults the process took while armed (getrusage), by type."},
		[R_BLOCKED] = {"ptfreeze_blocked_total", "counter", "Calls refused in strict mode, over all processes, by kind."},
		[R_DROPPED_SITES] = {"ptfreeze_dropped_sites_total", "counter",
				     "Events whose site did not fit in the site table (counted, not listed)."},
		[R_DROPPED_RECORDS] = {"ptfreeze_dropped_records_total", "counter",
				       "Report records that could not be written."},
		[R_SUPPRESSED] = {"ptfreeze_suppressed_total", "counter", "Events matched by a suppression rule."},
		[R_SHOOTDOWNS] = {"ptfreeze_tlb_shootdowns_armed_total", "counter",
				  "TLB shootdowns while the process was armed (scope: system-wide or own)."},
	};
	family_open(fam, R_N);
	size_t i;
	const json_t *p;
	double armed = 0, complete = 0, n = 0;
	const json_t *sites = json_object_get(doc, "sites");
	json_array_foreach(json_object_get(doc, "processes"), i, p)
	{
		struct who w;
		long long pid = (long long)num(p, "pid");
		snprintf(w.pid, sizeof(w.pid), "%lld", pid);
		const char *exe = json_string_value(json_object_get(p, "exe"));
		const char *slash = exe ? strrchr(exe, '/') : NULL;
		w.exe = slash ? slash + 1 : exe ? exe : "";
		process_metrics(fam, p, &w);
		n++;
		armed += json_is_object(json_object_get(p, "armed"));
		complete += json_is_true(json_object_get(p, "complete"));
	}
	blocked_by_kind(&fam[R_BLOCKED], sites);
	static const char *const states[] = {"all", "armed", "complete"};
	const double counts[] = {n, armed, complete};
	for (i = 0; i < 3; i++) {
		const char *labels[] = {"state", states[i], NULL};
		sample(&fam[R_PROCESSES], counts[i], labels);
	}
	return family_flush(out, fam, R_N);
}
