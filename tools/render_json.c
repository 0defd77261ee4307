/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * render_json: `ptfreeze report --json`, one document (see render.h):
 * each process and each site made with jansson and written as one line,
 * as it is made.
 */
#include "render.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "cli.h"
#include "fmt.h"

static json_t *copy_or_null(const json_t *v) { return v ? json_deep_copy(v) : json_null(); }

static json_t *json_process(const struct rf_process *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", json_string(p->file));
	json_object_set_new(o, "pid", json_integer(p->pid));
	json_object_set_new(o, "ppid", json_integer(p->ppid));
	json_object_set_new(o, "fork_child", json_boolean(p->fork_child));
	json_object_set_new(o, "exe", json_string(p->exe));
	json_object_set_new(o, "argv", copy_or_null(json_object_get(p->header, "argv")));
	json_object_set_new(o, "mode", copy_or_null(json_object_get(p->header, "mode")));
	json_object_set_new(o, "process", copy_or_null(json_object_get(p->header, "process")));
	json_object_set_new(o, "complete", json_boolean(p->summary != NULL));
	json_object_set_new(o, "note", p->summary ? json_null() : json_string("no summary (process did not exit normally)"));
	json_object_set_new(o, "truncated_line", p->truncated_line ? json_integer((json_int_t)p->truncated_line) : json_null());

	const json_t *pool = render_pool_of(p);
	json_t *po = json_object();
	static const char *const pool_keys[] = {"size", "backing", "requested", "bytes_huge", "prefault_ns",
						"prefault_threads", "populate", "locked", "numa", "mlock"};
	for (size_t i = 0; i < sizeof(pool_keys) / sizeof(pool_keys[0]); i++) {
		json_object_set_new(po, pool_keys[i], copy_or_null(json_object_get(pool, pool_keys[i])));
	}
	json_object_set_new(po, "high_water", p->summary ? copy_or_null(json_object_get(p->summary, "pool_used")) : json_null());
	json_object_set_new(o, "pool", po);
	/* The summary's (counts at exit) when there is one, else the header's. */
	json_object_set_new(o, "thread_stacks",
			    copy_or_null(json_object_get(p->summary ? p->summary : p->header, "thread_stacks")));

	if (p->arm) {
		long long after = render_armed_after_ns(p);
		json_t *a = json_object();
		json_object_set_new(a, "how", copy_or_null(json_object_get(p->arm, "how")));
		json_object_set_new(a, "unix_ns", copy_or_null(json_object_get(p->arm, "unix_ns")));
		json_object_set_new(a, "after_start_ns", after >= 0 ? json_integer(after) : json_null());
		json_object_set_new(a, "times", json_integer((json_int_t)p->narms));
		json_object_set_new(a, "armed_ns", p->summary ? copy_or_null(json_object_get(p->summary, "armed_ns")) : json_null());
		json_object_set_new(a, "faults_before", copy_or_null(json_object_get(p->arm, "faults_before")));
		json_object_set_new(a, "mlockall", copy_or_null(json_object_get(p->arm, "mlockall")));
		json_object_set_new(a, "prefault", copy_or_null(json_object_get(p->arm, "prefault")));
		json_object_set_new(o, "armed", a);
	} else if (p->fork_child && p->summary && json_is_true(json_object_get(p->summary, "armed"))) {
		json_t *a = json_object();
		json_object_set_new(a, "how", copy_or_null(json_object_get(p->summary, "how")));
		json_object_set_new(a, "inherited", json_true());
		json_object_set_new(a, "armed_ns", copy_or_null(json_object_get(p->summary, "armed_ns")));
		json_object_set_new(o, "armed", a);
	} else {
		json_object_set_new(o, "armed", json_null());
	}
	json_t *fa = p->summary ? json_object_get(p->summary, "faults_armed") : NULL;
	bool fa_valid = json_is_object(fa) && reportfile_get_int(fa, "minor", 0) >= 0 && reportfile_get_int(fa, "major", 0) >= 0;
	json_object_set_new(o, "faults_armed", fa_valid ? json_deep_copy(fa) : json_null());
	json_object_set_new(o, "events", json_integer((json_int_t)render_process_events(p)));
	static const char *const summary_keys[] = {"faults_total",      "tlb_shootdowns", "events_by_kind", "backstop",
						   "dropped_sites",     "dropped_records", "served_mmap_bytes", "why",
						   "suppressed",        "host_drift"};
	for (size_t i = 0; i < sizeof(summary_keys) / sizeof(summary_keys[0]); i++) {
		json_object_set_new(o, summary_keys[i],
				    p->summary ? copy_or_null(json_object_get(p->summary, summary_keys[i])) : json_null());
	}
	json_object_set_new(o, "smaps_diff", copy_or_null(p->smaps_diff));
	json_object_set_new(o, "sites", json_integer((json_int_t)p->nsites));
	json_object_set_new(o, "page_faults", copy_or_null(render_sampling_of(p)));
	json_object_set_new(o, "host", copy_or_null(json_object_get(p->header, "host")));
	return o;
}

/* A JSON string, or null; made with the shim's writer (fmt.h), jansson's for a long one. */
static void put_string(struct sb *sb, const char *s)
{
	if (s == NULL) {
		sb_puts(sb, "null");
		return;
	}
	sb_json(sb, s, strlen(s));
}

/* A member of a record as it is (jansson writes it), or null. */
static void put_json(struct sb *sb, const json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY) : NULL;
	sb_puts(sb, s ? s : "null");
	free(s);
}

static void put_frame(struct sb *sb, const struct rf_frame *f)
{
	sb_printf(sb, "{\"ip\":\"0x%llx\",\"module\":", (unsigned long long)f->ip);
	put_string(sb, f->module ? f->module->path : NULL);
	if (f->module) {
		sb_printf(sb, ",\"offset\":\"0x%llx\"", (unsigned long long)f->offset);
	} else {
		sb_puts(sb, ",\"offset\":null");
	}
	sb_puts(sb, ",\"function\":");
	put_string(sb, f->function);
	sb_puts(sb, ",\"file\":");
	put_string(sb, f->file);
	sb_puts(sb, ",\"line\":");
	sb_printf(sb, f->line ? "%d}" : "null}", f->line);
}

/*
 * A site as one line, written by hand (a site is some fifty values: as
 * jansson objects they were most of --json's time).  Returns the length,
 * or 0 when it did not fit in the buffer (the caller gives a bigger one).
 */
static size_t site_text(char *buf, size_t cap, size_t rank, const struct rf_group *g)
{
	struct sb sb;
	sb_init(&sb, buf, cap);
	sb_printf(&sb, "{\"rank\":%zu,\"kind\":", rank);
	put_string(&sb, g->kind);
	sb_printf(&sb, ",\"count\":%llu,\"blocked\":%llu,\"would_block\":%llu,\"bytes\":%llu,\"first_ns\":%llu,\"last_ns\":%llu",
		  (unsigned long long)g->count, (unsigned long long)g->blocked, (unsigned long long)g->would_block,
		  (unsigned long long)g->bytes, (unsigned long long)g->first_ns, (unsigned long long)g->last_ns);
	sb_printf(&sb, ",\"estimated\":%s,\"after_summary\":%s,\"processes\":[", g->estimated ? "true" : "false",
		  g->after_summary ? "true" : "false");
	for (size_t i = 0; i < g->nprocs; i++) {
		sb_printf(&sb, "%s{\"pid\":%ld,\"exe\":", i ? "," : "", g->procs[i]->pid);
		put_string(&sb, g->procs[i]->exe);
		sb_puts(&sb, ",\"file\":");
		put_string(&sb, g->procs[i]->file);
		sb_putc(&sb, '}');
	}
	sb_printf(&sb, "],\"site_id\":%u,\"cause\":", g->site->id);
	put_string(&sb, cause_of(g));
	static const char *const rec_keys[] = {"action", "detail", "args", "result", "errno", "tid"};
	for (size_t i = 0; i < sizeof(rec_keys) / sizeof(rec_keys[0]); i++) {
		sb_printf(&sb, ",\"%s\":", rec_keys[i]);
		put_json(&sb, json_object_get(reportfile_site_record(g->site), rec_keys[i]));
	}
	sb_puts(&sb, ",\"frames\":[");
	for (size_t i = 0; i < g->depth; i++) {
		if (i) {
			sb_putc(&sb, ',');
		}
		put_frame(&sb, &g->frames[i]);
	}
	sb_puts(&sb, "]}");
	return sb.overflow ? 0 : sb.len;
}

static void put_site(FILE *out, size_t rank, const struct rf_group *g)
{
	static char small[16384];
	size_t n = site_text(small, sizeof(small), rank, g);
	if (n) {
		fwrite(small, 1, n, out);
		return;
	}
	for (size_t cap = 2 * sizeof(small);; cap *= 2) {
		char *big = cli_malloc(cap);
		n = site_text(big, cap, rank, g);
		if (n) {
			fwrite(big, 1, n, out);
		}
		free(big);
		if (n) {
			return;
		}
	}
}

/*
 * One member of the document, an element per line when it is an array:
 * written as it is made and freed at once, so a 100k-site report is never
 * one tree of millions of objects in memory.
 */
static int put_value(FILE *out, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	json_decref(v);
	if (s == NULL) {
		return -1;
	}
	fputs(s, out);
	free(s);
	return 0;
}

static int put_member(FILE *out, const char *key, json_t *v, bool last)
{
	fprintf(out, "  \"%s\": ", key);
	int r = put_value(out, v);
	fputs(last ? "\n" : ",\n", out);
	return r;
}

static json_t *json_classes(const struct rf_set *set)
{
	size_t nrows;
	struct render_fault_row *rows = render_fault_rows(set, &nrows);
	json_t *classes = json_array();
	for (size_t i = 0; i < nrows; i++) {
		json_t *c = json_object();
		json_object_set_new(c, "class", json_string(rows[i].cls));
		json_object_set_new(c, "path", rows[i].path ? json_string(rows[i].path) : json_null());
		json_object_set_new(c, "faults", json_integer((json_int_t)rows[i].faults));
		json_object_set_new(c, "sites", json_integer((json_int_t)rows[i].sites));
		json_array_append_new(classes, c);
	}
	free(rows);
	return classes;
}

/* KEY: [ one element per line ] */
static int put_array(FILE *out, const char *key, size_t n, json_t *(*elem)(const struct rf_set *, size_t),
		     const struct rf_set *set)
{
	int r = 0;
	fprintf(out, "  \"%s\": [%s", key, n ? "\n" : "");
	for (size_t i = 0; i < n; i++) {
		fputs("    ", out);
		r |= put_value(out, elem(set, i));
		fputs(i + 1 < n ? ",\n" : "\n  ", out);
	}
	fputs("],\n", out);
	return r;
}

static json_t *process_at(const struct rf_set *set, size_t i) { return json_process(set->procs[i]); }

int render_json(FILE *out, const struct rf_set *set)
{
	uint64_t events = 0, blocked = 0;
	for (size_t i = 0; i < set->ngroups; i++) {
		events += set->groups[i].count;
		blocked += set->groups[i].blocked;
	}
	fputs("{\n", out);
	int r = put_member(out, "format", json_string("ptfreeze-report-summary"), false);
	r |= put_member(out, "version", json_integer(1), false);
	r |= put_member(out, "events", json_integer((json_int_t)events), false);
	r |= put_member(out, "blocked", json_integer((json_int_t)blocked), false);
	r |= put_array(out, "processes", set->nprocs, process_at, set);
	fprintf(out, "  \"sites\": [%s", set->ngroups ? "\n" : "");
	for (size_t i = 0; i < set->ngroups; i++) {
		fputs("    ", out);
		put_site(out, i + 1, &set->groups[i]);
		fputs(i + 1 < set->ngroups ? ",\n" : "\n  ", out);
	}
	fputs("],\n", out);
	r |= put_member(out, "page_faults", json_classes(set), true);
	fputs("}\n", out);
	return r;
}
