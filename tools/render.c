/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * render: what the output formats of `ptfreeze report` share (see
 * render.h): names of frames and places, the facts of a process read from
 * its records, page-fault rows.  The formats themselves: render_text.c,
 * render_json.c, render_folded.c; arguments decoded for people:
 * render_args.c.
 */
#include "render.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kinds.h"

const char *render_base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

/* How a frame is named where a function name is unknown: module+0xoff. */
void render_frame_name(const struct rf_frame *f, char *buf, size_t cap)
{
	if (f->function) {
		snprintf(buf, cap, "%s", f->function);
	} else if (f->module) {
		snprintf(buf, cap, "%s+0x%" PRIx64, render_base_name(f->module->path), f->offset);
	} else {
		snprintf(buf, cap, "0x%" PRIx64, f->ip);
	}
}

/* "function (file.c:12)" for the innermost frame; "-" without a stack. */
void render_where(const struct rf_group *g, char *buf, size_t cap)
{
	if (g->depth == 0) {
		snprintf(buf, cap, "-");
		return;
	}
	const struct rf_frame *f = &g->frames[0];
	char name[256];
	render_frame_name(f, name, sizeof(name));
	if (f->file) {
		snprintf(buf, cap, "%s (%s:%d)", name, render_base_name(f->file), f->line);
	} else {
		snprintf(buf, cap, "%s", name);
	}
}

const json_t *render_pool_of(const struct rf_process *p)
{
	json_t *pool = p->summary ? json_object_get(p->summary, "pool") : NULL;
	return json_is_object(pool) ? pool : json_object_get(p->header, "pool");
}

/* Nanoseconds from the shim's start to the first arming, or -1. */
long long render_armed_after_ns(const struct rf_process *p)
{
	long long start = reportfile_get_int(p->header, "start_unix_ns", -1), at = p->arm ? reportfile_get_int(p->arm, "unix_ns", -1) : -1;
	return start >= 0 && at >= start ? at - start : -1;
}

/*
 * Events of this process: its own sites' counts (the summary's "events"
 * also counts what a fork child inherited from its parent).
 */
unsigned long long render_process_events(const struct rf_process *p)
{
	unsigned long long n = 0;
	for (size_t i = 0; i < p->nsites; i++) {
		n += p->sites[i].count;
	}
	return n;
}

/* ---- page faults ---- */

bool render_is_fault(const struct rf_group *g) { return strcmp(g->kind, kinds_name(KIND_PAGE_FAULT)) == 0; }

const char *render_fault_class(const struct rf_group *g)
{
	const char *c = g->site->cls;
	return c ? c : "unknown";
}

const char *render_fault_path(const struct rf_group *g)
{
	return g->site->path;
}


static int by_faults(const void *a, const void *b)
{
	const struct render_fault_row *x = a, *y = b;
	if (x->faults != y->faults) {
		return x->faults > y->faults ? -1 : 1;
	}
	int c = strcmp(x->cls, y->cls);
	return c ? c : strcmp(x->path ? x->path : "", y->path ? y->path : "");
}

struct render_fault_row *render_fault_rows(const struct rf_set *set, size_t *n)
{
	struct render_fault_row *rows = cli_calloc(set->ngroups + 1, sizeof(*rows));
	*n = 0;
	for (size_t i = 0; i < set->ngroups; i++) {
		const struct rf_group *g = &set->groups[i];
		if (!render_is_fault(g)) {
			continue;
		}
		const char *cls = render_fault_class(g), *path = render_fault_path(g);
		size_t k = 0;
		while (k < *n && !(strcmp(rows[k].cls, cls) == 0 &&
				   strcmp(rows[k].path ? rows[k].path : "", path ? path : "") == 0)) {
			k++;
		}
		if (k == *n) {
			rows[(*n)++] = (struct render_fault_row){cls, path, 0, 0};
		}
		rows[k].faults += g->count;
		rows[k].sites++;
	}
	qsort(rows, *n, sizeof(*rows), by_faults);
	return rows;
}

/* Whether the process was armed at some point: its own arm record, or a summary saying so (a fork child's). */
bool render_was_armed(const struct rf_process *p)
{
	return p->arm != NULL ||
	       (p->summary && (json_is_true(json_object_get(p->summary, "armed")) ||
			       reportfile_get_int(p->summary, "armed_ns", 0) > 0));
}

/* The sampling state: the summary's, else the arm record's; NULL for reports from before it existed. */
const json_t *render_sampling_of(const struct rf_process *p)
{
	json_t *pf = p->summary ? json_object_get(p->summary, "page_faults") : NULL;
	if (!json_is_object(pf) && p->arm) {
		pf = json_object_get(p->arm, "page_faults");
	}
	return json_is_object(pf) ? pf : NULL;
}
