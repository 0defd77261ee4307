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

static json_t *json_frame(const struct rf_frame *f)
{
	char buf[32];
	json_t *o = json_object();
	snprintf(buf, sizeof(buf), "0x%" PRIx64, f->ip);
	json_object_set_new(o, "ip", json_string(buf));
	json_object_set_new(o, "module", f->module ? json_string(f->module->path) : json_null());
	snprintf(buf, sizeof(buf), "0x%" PRIx64, f->offset);
	json_object_set_new(o, "offset", f->module ? json_string(buf) : json_null());
	json_object_set_new(o, "function", f->function ? json_string(f->function) : json_null());
	json_object_set_new(o, "file", f->file ? json_string(f->file) : json_null());
	json_object_set_new(o, "line", f->line ? json_integer(f->line) : json_null());
	return o;
}

static json_t *json_site(size_t rank, const struct rf_group *g)
{
	json_t *o = json_object();
	const json_t *rec = g->site->record;
	json_object_set_new(o, "rank", json_integer((json_int_t)rank));
	json_object_set_new(o, "kind", json_string(g->kind));
	json_object_set_new(o, "count", json_integer((json_int_t)g->count));
	json_object_set_new(o, "blocked", json_integer((json_int_t)g->blocked));
	json_object_set_new(o, "would_block", json_integer((json_int_t)g->would_block));
	json_object_set_new(o, "bytes", json_integer((json_int_t)g->bytes));
	json_object_set_new(o, "first_ns", json_integer((json_int_t)g->first_ns));
	json_object_set_new(o, "last_ns", json_integer((json_int_t)g->last_ns));
	json_object_set_new(o, "estimated", json_boolean(g->estimated));
	json_object_set_new(o, "after_summary", json_boolean(g->after_summary));
	json_t *procs = json_array();
	for (size_t i = 0; i < g->nprocs; i++) {
		json_t *p = json_object();
		json_object_set_new(p, "pid", json_integer(g->procs[i]->pid));
		json_object_set_new(p, "exe", json_string(g->procs[i]->exe));
		json_object_set_new(p, "file", json_string(g->procs[i]->file));
		json_array_append_new(procs, p);
	}
	json_object_set_new(o, "processes", procs);
	json_object_set_new(o, "site_id", json_integer(g->site->id));
	const char *cause = cause_of(g);
	json_object_set_new(o, "cause", cause ? json_string(cause) : json_null());
	static const char *const rec_keys[] = {"action", "detail", "args", "result", "errno", "tid"};
	for (size_t i = 0; i < sizeof(rec_keys) / sizeof(rec_keys[0]); i++) {
		json_object_set_new(o, rec_keys[i], copy_or_null(json_object_get(rec, rec_keys[i])));
	}
	json_t *frames = json_array();
	for (size_t i = 0; i < g->depth; i++) {
		json_array_append_new(frames, json_frame(&g->frames[i]));
	}
	json_object_set_new(o, "frames", frames);
	return o;
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
static json_t *site_at(const struct rf_set *set, size_t i) { return json_site(i + 1, &set->groups[i]); }

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
	r |= put_array(out, "sites", set->ngroups, site_at, set);
	r |= put_member(out, "page_faults", json_classes(set), true);
	fputs("}\n", out);
	return r;
}
