/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reportfile: reading and validating one report file (see reportfile.h;
 * the file names: reportfile_collect.c; many files merged:
 * reportfile_merge.c).  Each error names the file and line in one line; a file
 * with an error is left out whole, since a report that is corrupt in the
 * middle cannot be trusted anywhere.
 */
#include "reportfile_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define FORMAT_NAME "ptfreeze-report"
#define FORMAT_VERSION 1

long long reportfile_get_int(const json_t *obj, const char *key, long long def)
{
	json_t *v = json_object_get(obj, key);
	return json_is_integer(v) ? json_integer_value(v) : def;
}

const char *reportfile_get_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* A "0x..." address field; false if absent or malformed. */
static bool get_hex(const json_t *obj, const char *key, uint64_t *out)
{
	const char *s = reportfile_get_str(obj, key);
	char *end;
	if (s == NULL || strncmp(s, "0x", 2) != 0 || s[2] == '\0') {
		return false;
	}
	errno = 0;
	*out = strtoull(s + 2, &end, 16);
	return *end == '\0' && errno == 0;
}

/* ---- reading one file ---- */

void reportfile_free_process(struct rf_process *p)
{
	if (p == NULL) {
		return;
	}
	for (size_t i = 0; i < p->nmodules; i++) {
		free(p->modules[i].path);
		free(p->modules[i].build_id);
	}
	for (size_t i = 0; i < p->nsites; i++) {
		json_decref(p->sites[i].record);
		free(p->sites[i].stack);
		free(p->sites[i].cls);
		free(p->sites[i].path);
	}
	free(p->text);
	for (size_t i = 0; i < p->nkinds; i++) {
		free(p->kinds[i]);
	}
	free(p->kinds);
	free(p->modules);
	free(p->sites);
	json_decref(p->header);
	json_decref(p->summary);
	json_decref(p->arm);
	json_decref(p->smaps_diff);
	free(p->file);
	free(p);
}

struct reader {
	const char *path;
	size_t line;
	struct rf_process *p;
	size_t sites_cap;
	/* Site ids to 1 + index in p->sites (0: empty), open addressing: a report can hold 100k sites. */
	size_t *ids;
	size_t ids_cap;
	const struct rf_span *entries; /* the summary line's sites array, when the scanner took it */
};

__attribute__((format(printf, 2, 3))) static bool bad(struct reader *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_error("%s:%zu: %s", r->path, r->line, msg);
	return false;
}

static bool take_header(struct reader *r, json_t *rec)
{
	const char *type = reportfile_get_str(rec, "type"), *format = reportfile_get_str(rec, "format");
	if (type == NULL || strcmp(type, "header") != 0 || format == NULL || strcmp(format, FORMAT_NAME) != 0) {
		return bad(r, "not a ptfreeze report (the first record is not a \"%s\" header)", FORMAT_NAME);
	}
	long long version = reportfile_get_int(rec, "version", -1);
	if (version < 1) {
		return bad(r, "not a ptfreeze report (the header has no valid version)");
	}
	if (version > FORMAT_VERSION) {
		return bad(r, "report format version %lld is newer than this ptfreeze reads (%d): update ptfreeze",
			   version, FORMAT_VERSION);
	}
	r->p->header = json_incref(rec);
	r->p->pid = (long)reportfile_get_int(rec, "pid", 0);
	r->p->ppid = (long)reportfile_get_int(rec, "ppid", 0);
	r->p->fork_child = json_is_true(json_object_get(rec, "fork_child"));
	r->p->exe = reportfile_get_str(rec, "exe");
	if (r->p->exe == NULL) {
		r->p->exe = "?";
	}
	return true;
}

static bool take_module(struct reader *r, json_t *rec)
{
	struct rf_module m = {0};
	const char *path = reportfile_get_str(rec, "path"), *id = reportfile_get_str(rec, "build_id");
	if (path == NULL || !get_hex(rec, "base", &m.base) || !get_hex(rec, "start", &m.start) ||
	    !get_hex(rec, "end", &m.end)) {
		return bad(r, "a module record without a path, base, start or end");
	}
	m.path = cli_strdup(path);
	m.build_id = id ? cli_strdup(id) : NULL;
	struct rf_process *p = r->p;
	p->modules = cli_realloc(p->modules, (p->nmodules + 1) * sizeof(*p->modules));
	p->modules[p->nmodules++] = m;
	return true;
}

static size_t *id_slot(struct reader *r, unsigned id)
{
	size_t mask = r->ids_cap - 1, h = ((size_t)id * 0x9E3779B97F4A7C15ull >> 17) & mask;
	while (r->ids[h] != 0 && r->p->sites[r->ids[h] - 1].id != id) {
		h = (h + 1) & mask;
	}
	return &r->ids[h];
}

static struct rf_site *site_by_id(struct reader *r, unsigned id)
{
	if (r->ids == NULL) {
		return NULL;
	}
	size_t *slot = id_slot(r, id);
	return *slot ? &r->p->sites[*slot - 1] : NULL;
}

/* A new site with the given id (not yet present). */
static struct rf_site *new_site(struct reader *r, unsigned id)
{
	struct rf_process *p = r->p;
	if (p->nsites == r->sites_cap) {
		r->sites_cap = r->sites_cap ? 2 * r->sites_cap : 64;
		p->sites = cli_realloc(p->sites, r->sites_cap * sizeof(*p->sites));
	}
	if (2 * (p->nsites + 1) > r->ids_cap) {
		free(r->ids);
		r->ids_cap = r->ids_cap ? 2 * r->ids_cap : 256;
		r->ids = cli_calloc(r->ids_cap, sizeof(*r->ids));
		for (size_t i = 0; i < p->nsites; i++) {
			*id_slot(r, p->sites[i].id) = i + 1;
		}
	}
	struct rf_site *s = &p->sites[p->nsites++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	*id_slot(r, id) = p->nsites;
	return s;
}

/* A stack entry: "0x" and hex digits, as strtoull reads them. */
static bool hex_entry(const char *a, uint64_t *out)
{
	char *end;
	return a != NULL && strncmp(a, "0x", 2) == 0 && (*out = strtoull(a + 2, &end, 16), *end == '\0');
}

bool reportfile_hex_span(const struct rf_span *str, struct rf_fields *f, size_t i)
{
	char buf[128];
	if (i >= f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		f->stack = cli_realloc(f->stack, f->cap * sizeof(*f->stack));
	}
	if (str == NULL || str->n >= sizeof(buf)) {
		return false;
	}
	/* The common case, "0x" and 1 to 16 hex digits, without a copy; the rest as strtoull reads it. */
	if (str->n > 2 && str->n <= 18 && str->s[0] == '0' && str->s[1] == 'x') {
		uint64_t v = 0;
		size_t j = 2;
		for (; j < str->n; j++) {
			char c = str->s[j];
			unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
				   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
			if (d == 16) {
				break;
			}
			v = v << 4 | d;
		}
		if (j == str->n) {
			f->stack[i] = v;
			return true;
		}
	}
	memcpy(buf, str->s, str->n);
	buf[str->n] = '\0';
	return hex_entry(buf, &f->stack[i]);
}

/*
 * A site record's stack strings as addresses, the "stack" member then
 * dropped (the strings would be most of the memory of a 100k-site
 * report).  Returns the number of frames, or -1 - i if entry i is not a hex
 * address (or -1 when there is no array); *out is malloc'd.  Runs in the
 * parsing threads.
 */
static long parse_stack(json_t *rec, uint64_t **out)
{
	json_t *stack = json_object_get(rec, "stack");
	*out = NULL;
	if (!json_is_array(stack)) {
		return -1;
	}
	size_t depth = json_array_size(stack);
	uint64_t *st = cli_calloc(depth ? depth : 1, sizeof(*st));
	for (size_t i = 0; i < depth; i++) {
		if (!hex_entry(json_string_value(json_array_get(stack, i)), &st[i])) {
			free(st);
			return -1 - (long)i;
		}
	}
	json_object_del(rec, "stack");
	*out = st;
	return (long)depth;
}

static struct rf_span span_of(const char *str) { return (struct rf_span){str, str ? strlen(str) : 0}; }

static char *dup_span(struct rf_span sp)
{
	if (sp.s == NULL) {
		return NULL;
	}
	char *d = cli_malloc(sp.n + 1);
	memcpy(d, sp.s, sp.n);
	d[sp.n] = '\0';
	return d;
}

static bool span_is(struct rf_span sp, const char *str)
{
	return sp.s && sp.n == strlen(str) && memcmp(sp.s, str, sp.n) == 0;
}

/* A parsed site record's fields, as the scanner reads them from a line. */
static void fields_of(const json_t *rec, struct rf_fields *f)
{
	const json_t *args = json_object_get(rec, "args");
	memset(f, 0, sizeof(*f));
	f->kind = span_of(reportfile_get_str(rec, "kind"));
	f->action = span_of(reportfile_get_str(rec, "action"));
	f->cls = span_of(reportfile_get_str(args, "class"));
	f->path = span_of(reportfile_get_str(args, "path"));
	f->id = reportfile_get_int(rec, "id", -1);
	f->result = reportfile_get_int(rec, "result", -1);
	f->bytes = reportfile_get_int(rec, "bytes", 0);
	f->t_ns = reportfile_get_int(rec, "t_ns", 0);
	f->count = reportfile_get_int(rec, "count", 1);
	f->blocked = reportfile_get_int(rec, "blocked", 0);
	f->first_ns = reportfile_get_int(rec, "first_ns", 0);
	f->last_ns = reportfile_get_int(rec, "last_ns", 0);
}

/* The process's copy of a kind's name: kinds are few, sites many. */
static const char *kind_name(struct rf_process *p, struct rf_span kind)
{
	for (size_t i = p->nkinds; i-- > 0;) {
		if (span_is(kind, p->kinds[i])) {
			return p->kinds[i];
		}
	}
	if ((p->nkinds & (p->nkinds - 1)) == 0) {
		p->kinds = cli_realloc(p->kinds, (p->nkinds ? 2 * p->nkinds : 1) * sizeof(*p->kinds));
	}
	p->kinds[p->nkinds] = dup_span(kind);
	return p->kinds[p->nkinds++];
}

/* A site record's fields into a new site: rec is its parsed record, or NULL (then l is its line). */
static bool take_site(struct reader *r, const struct rf_fields *f, json_t *rec, const struct rf_span *l, long depth,
		      uint64_t *stack)
{
	long long id = f->id;
	if (id < 1 || f->kind.s == NULL || f->kind.n == 0 || depth == -1) {
		free(stack);
		return bad(r, "a site record without an id, a kind or a stack");
	}
	if (depth < 0) {
		return bad(r, "site %lld: stack entry %ld is not a hex address", id, -1 - depth);
	}
	if (site_by_id(r, (unsigned)id)) {
		free(stack);
		return bad(r, "a second site record with id %lld", id);
	}
	if (f->bytes < 0 || f->t_ns < 0) {
		free(stack);
		return bad(r, "site %lld: a negative bytes or t_ns", id);
	}
	struct rf_site *s = new_site(r, (unsigned)id);
	s->id = (unsigned)id;
	s->record = rec ? json_incref(rec) : NULL;
	s->line = l ? l->s : NULL;
	s->line_len = l ? l->n : 0;
	s->kind = kind_name(r->p, f->kind);
	s->cls = dup_span(f->cls);
	s->path = dup_span(f->path);
	s->result = f->result;
	s->depth = (size_t)depth;
	s->stack = stack;
	/*
	 * Until a summary says otherwise: the one event this record describes.
	 * A record after the summary (a destructor or atexit handler that ran
	 * after the shim's exit handler) is a site the summary never saw: the
	 * summary stays valid, and this site counts once.
	 */
	s->after_summary = r->p->summary != NULL;
	s->count = 1;
	s->blocked = span_is(f->action, "blocked");
	s->would_block = span_is(f->action, "would-block");
	s->bytes = (uint64_t)f->bytes;
	s->first_ns = s->last_ns = (uint64_t)f->t_ns;
	return true;
}

json_t *reportfile_site_record(const struct rf_site *s)
{
	struct rf_site *w = (struct rf_site *)s; /* a cache: parsed once, on first use */
	if (w->record == NULL) {
		json_error_t err;
		w->record = w->line ? json_loadb(w->line, w->line_len, 0, &err) : NULL;
		if (w->record == NULL) {
			w->record = json_object(); /* the scanner took only what jansson takes: not reached */
		}
		json_object_del(w->record, "stack");
	}
	return w->record;
}

/* A summary's entry i: e is its parsed entry, or NULL (then text is its text). */
static bool take_entry(struct reader *r, size_t i, const struct rf_fields *f, json_t *e, struct rf_span text)
{
	if (f->id < 1 || f->kind.s == NULL || f->kind.n == 0) {
		return bad(r, "summary: site %zu has no id or kind", i);
	}
	if (f->count < 0 || f->blocked < 0 || f->bytes < 0 || f->first_ns < 0 || f->last_ns < 0) {
		return bad(r, "summary: site %zu has a negative count, blocked, bytes or time", i);
	}
	if (f->blocked > f->count) {
		/* Would-block sites count the calls not blocked as count - blocked. */
		return bad(r, "summary: site %zu blocked more calls than it counted", i);
	}
	struct rf_site *s = site_by_id(r, (unsigned)f->id);
	if (s == NULL) {
		/* Counted but its record never reached the file: keep the numbers. */
		s = new_site(r, (unsigned)f->id);
		s->kind = kind_name(r->p, f->kind);
		s->record = e ? json_incref(e) : NULL;
		s->line = e ? NULL : text.s;
		s->line_len = e ? 0 : text.n;
		s->result = f->result;
		s->cls = dup_span(f->cls);
		s->path = dup_span(f->path);
	}
	s->count = (uint64_t)f->count;
	s->blocked = (uint64_t)f->blocked;
	/* The mode is fixed for a process: a would-block site's calls all were. */
	s->would_block = s->would_block ? s->count - s->blocked : 0;
	s->bytes = (uint64_t)f->bytes;
	s->first_ns = (uint64_t)f->first_ns;
	s->last_ns = (uint64_t)f->last_ns;
	s->counted = true;
	return true;
}

static bool take_scanned_entry(void *ctx, size_t i, const struct rf_fields *f, struct rf_span text)
{
	return take_entry(ctx, i, f, NULL, text);
}

/* entries: the sites array's span when the scanner took the line (rec's is then empty), else NULL. */
static bool take_summary(struct reader *r, json_t *rec, const struct rf_span *entries)
{
	json_t *sites = json_object_get(rec, "sites");
	if (!json_is_array(sites)) {
		return bad(r, "a summary record without a sites array");
	}
	json_decref(r->p->summary);
	r->p->summary = json_incref(rec);
	if (entries && !reportfile_scan_entries(*entries, take_scanned_entry, r)) {
		return false;
	}
	size_t i;
	json_t *e;
	json_array_foreach(sites, i, e)
	{
		struct rf_fields f;
		fields_of(e, &f);
		if (!take_entry(r, i, &f, e, (struct rf_span){0})) {
			return false;
		}
	}
	/* Taken into the sites (a summary-only site keeps its own entry): no second copy in memory. */
	json_object_del(rec, "sites");
	return true;
}

static bool take_record(struct reader *r, json_t *rec, long depth, uint64_t *stack)
{
	const char *type = reportfile_get_str(rec, "type");
	if (r->p->header == NULL || type == NULL || strcmp(type, "site") != 0) {
		free(stack); /* only a site record's is taken */
	}
	if (r->p->header == NULL) {
		return take_header(r, rec);
	}
	if (type == NULL) {
		return bad(r, "a record without a type");
	}
	if (strcmp(type, "header") == 0) {
		return bad(r, "a second header record (two processes wrote to one file?)");
	}
	if (strcmp(type, "module") == 0) {
		return take_module(r, rec);
	}
	if (strcmp(type, "site") == 0) {
		struct rf_fields f;
		fields_of(rec, &f);
		return take_site(r, &f, rec, NULL, depth, stack);
	}
	if (strcmp(type, "summary") == 0) {
		return take_summary(r, rec, r->entries);
	}
	if (strcmp(type, "arm") == 0) {
		if (r->p->arm == NULL) {
			r->p->arm = json_incref(rec);
		}
		r->p->narms++;
	}
	if (strcmp(type, "smaps-diff") == 0 && json_is_object(json_object_get(rec, "totals"))) {
		json_decref(r->p->smaps_diff);
		r->p->smaps_diff = json_incref(rec);
	}
	return true; /* disarm, pool-grow and types from later versions */
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
			return false;
		}
	}
	return true;
}

static int by_start(const void *a, const void *b)
{
	const struct rf_module *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Lines are read a batch at a time and parsed by a few threads (jansson
 * keeps no shared state between documents), then taken in order by one:
 * JSON parsing is most of the reader's time on a big report.
 */
#define BATCH 4096
#define MAX_PARSERS 4

struct line {
	char *text;
	size_t len, number;
	bool fast;         /* a site record the scanner read: f holds its fields, rec is NULL */
	struct rf_span sites; /* a summary the scanner read: its sites array (rec's is []) */
	struct rf_fields f;
	json_t *rec;       /* NULL: not JSON (err says why) */
	json_error_t err;
	long depth;        /* a site record's stack, parsed (parse_stack) */
	uint64_t *stack;
};

struct batch {
	struct line *lines;
	size_t n;
	bool scan; /* site records read by the scanner (reportfile_scan.c) where it can */
	size_t stride, first; /* this parser takes lines first, first + stride, ... */
};

#define SITE_PREFIX "{\"type\":\"site\","

/* A site line by the scanner: true if it took it (its stack parsed as parse_stack() would). */
static bool scan_line(struct line *l)
{
	l->fast = l->len > strlen(SITE_PREFIX) && memcmp(l->text, SITE_PREFIX, strlen(SITE_PREFIX)) == 0 &&
		  reportfile_scan_site(l->text, l->len, &l->f);
	if (!l->fast) {
		free(l->f.stack);
		l->f.stack = NULL;
		return false;
	}
	l->rec = NULL;
	l->stack = NULL;
	if (l->f.stack_state == -1) {
		l->depth = (long)l->f.depth;
		l->stack = l->f.depth ? l->f.stack : cli_realloc(l->f.stack, sizeof(*l->stack));
	} else {
		l->depth = l->f.stack_state == -2 ? -1 : -1 - l->f.stack_state;
		free(l->f.stack);
	}
	l->f.stack = NULL;
	return true;
}

#define SUMMARY_PREFIX "{\"type\":\"summary\","

static bool entry_scans(void *ctx, size_t i, const struct rf_fields *f, struct rf_span text)
{
	(void)ctx, (void)i, (void)f, (void)text;
	return true;
}

/*
 * A summary line whose sites array the scanner takes: the rest of it
 * parsed by jansson (the array as []), the array kept as text for
 * take_summary().  False: parse it whole.
 */
static bool scan_summary_line(struct line *l)
{
	struct rf_span sites;
	if (l->len <= strlen(SUMMARY_PREFIX) || memcmp(l->text, SUMMARY_PREFIX, strlen(SUMMARY_PREFIX)) != 0 ||
	    !reportfile_scan_summary(l->text, l->len, &sites) || !reportfile_scan_entries(sites, entry_scans, NULL)) {
		return false;
	}
	size_t before = (size_t)(sites.s - l->text), after = l->len - before - sites.n;
	char *copy = cli_malloc(before + 2 + after);
	memcpy(copy, l->text, before);
	memcpy(copy + before, "[]", 2);
	memcpy(copy + before + 2, sites.s + sites.n, after);
	l->rec = json_loadb(copy, before + 2 + after, 0, &l->err);
	free(copy);
	if (!json_is_object(l->rec)) {
		json_decref(l->rec);
		l->rec = NULL;
		return false;
	}
	l->sites = sites;
	return true;
}

static void *parse_lines(void *arg)
{
	const struct batch *b = arg;
	for (size_t i = b->first; i < b->n; i += b->stride) {
		struct line *l = &b->lines[i];
		if (b->scan && scan_line(l)) {
			continue;
		}
		l->depth = -1;
		if (b->scan && scan_summary_line(l)) {
			continue;
		}
		l->rec = json_loadb(l->text, l->len, 0, &l->err);
		const char *type = reportfile_get_str(l->rec, "type");
		if (json_is_object(l->rec) && type && strcmp(type, "site") == 0) {
			l->depth = parse_stack(l->rec, &l->stack);
		}
	}
	return NULL;
}

static size_t parsers(void)
{
	static size_t n;
	if (n == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus < 1 ? 1 : cpus > MAX_PARSERS ? MAX_PARSERS : (size_t)cpus;
	}
	return n;
}

static void parse_batch(struct line *lines, size_t n, bool scan)
{
	size_t k = n < 256 ? 1 : parsers();
	struct batch b[MAX_PARSERS];
	pthread_t t[MAX_PARSERS];
	bool started[MAX_PARSERS] = {false};
	for (size_t i = 0; i < k; i++) {
		b[i] = (struct batch){lines, n, scan, k, i};
		started[i] = i > 0 && pthread_create(&t[i], NULL, parse_lines, &b[i]) == 0;
	}
	parse_lines(&b[0]);
	for (size_t i = 1; i < k; i++) {
		if (started[i]) {
			pthread_join(t[i], NULL);
		} else {
			parse_lines(&b[i]);
		}
	}
}

/*
 * The file's bytes, read whole (a peek reads its first line only): lines
 * are parsed in place, with no copy or allocation per line.
 */
struct text {
	char *buf;
	size_t len, pos;
};

static bool slurp(FILE *f, bool first_line, struct text *t)
{
	size_t cap = 1 << 16;
	t->buf = cli_malloc(cap);
	t->len = t->pos = 0;
	for (;;) {
		if (t->len == cap) {
			cap *= 2;
			t->buf = cli_realloc(t->buf, cap);
		}
		size_t n = fread(t->buf + t->len, 1, cap - t->len, f);
		if (n == 0) {
			return !ferror(f);
		}
		t->len += n;
		if (first_line && memchr(t->buf, '\n', t->len)) {
			return true;
		}
	}
}

/* Up to max non-blank lines of t, numbered from *lineno. */
static size_t next_lines(struct text *t, struct line *lines, size_t max, size_t *lineno)
{
	size_t n = 0;
	while (n < max && t->pos < t->len) {
		char *start = t->buf + t->pos, *nl = memchr(start, '\n', t->len - t->pos);
		size_t len = nl ? (size_t)(nl - start) + 1 : t->len - t->pos;
		t->pos += len;
		++*lineno;
		if (!blank(start, len)) {
			lines[n++] = (struct line){.text = start, .len = len, .number = *lineno};
		}
	}
	return n;
}

/* One parsed line into the process; false ends the file (an error, or a truncated last record). */
static bool take_line(struct reader *r, struct line *l, bool quiet, bool *ok)
{
	struct rf_process *p = r->p;
	r->line = l->number;
	if (l->fast && p->header == NULL) {
		/* A site record first: the header's checks say why it is not a report. */
		l->rec = json_loadb(l->text, l->len, 0, &l->err);
		l->fast = false;
	}
	if (l->fast && !quiet) {
		*ok = take_site(r, &l->f, NULL, &(struct rf_span){l->text, l->len}, l->depth, l->stack);
		l->stack = NULL;
		return *ok;
	}
	json_t *rec = l->rec;
	if (rec == NULL || !json_is_object(rec)) {
		bool complete = l->len > 0 && l->text[l->len - 1] == '\n';
		if (!complete) {
			/* Only a kill in the middle of a write leaves this: skip it (a cut header: read_file says so). */
			if (!quiet && p->header != NULL) {
				cli_warn("%s:%zu: truncated last record skipped (the process was killed while writing it)",
					 r->path, r->line);
			}
			p->truncated_line = r->line;
			return false;
		}
		if (!quiet) {
			bad(r, "not a JSON object (corrupt report%s%s)", rec ? "" : ": ", rec ? "" : l->err.text);
		}
		*ok = false;
		return false;
	}
	if (quiet) {
		/* peek: only the header matters, and no message either way */
		const char *type = reportfile_get_str(rec, "type"), *format = reportfile_get_str(rec, "format");
		*ok = type && strcmp(type, "header") == 0 && format && strcmp(format, FORMAT_NAME) == 0;
		if (*ok) {
			p->header = json_incref(rec);
			p->pid = (long)reportfile_get_int(rec, "pid", 0);
			p->ppid = (long)reportfile_get_int(rec, "ppid", 0);
		}
		return false;
	}
	r->entries = l->sites.s ? &l->sites : NULL;
	*ok = take_record(r, rec, l->depth, l->stack);
	r->entries = NULL;
	l->stack = NULL;
	return *ok;
}

/*
 * Reads path; with header_only, stops after the first record.  stillborn
 * not NULL: a file with no complete first record is a warning, and
 * *stillborn is set (reportfile_read_found).
 */
static struct rf_process *read_file(const char *path, bool header_only, bool quiet, bool *stillborn)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		if (!quiet) {
			cli_error("%s: cannot open: %s", path, strerror(errno));
		}
		return NULL;
	}
	struct rf_process *p = cli_calloc(1, sizeof(*p));
	p->file = cli_strdup(path);
	struct reader r = {path, 0, p, 0, NULL, 0, NULL};
	struct line *lines = cli_calloc(BATCH, sizeof(*lines));
	struct text t;
	bool read_error = !slurp(f, header_only, &t);
	size_t lineno = 0, n;
	bool ok = true, more = true;
	/* PTFREEZE_REPORT_PARSE=jansson: every record parsed whole (tests compare the outputs). */
	const char *how = getenv("PTFREEZE_REPORT_PARSE");
	bool scan = !header_only && !(how && strcmp(how, "jansson") == 0);
	while (more && (n = next_lines(&t, lines, header_only ? 1 : BATCH, &lineno)) > 0) {
		parse_batch(lines, n, scan);
		for (size_t i = 0; i < n; i++) {
			more = more && take_line(&r, &lines[i], quiet, &ok) && !header_only;
			json_decref(lines[i].rec);
			free(lines[i].stack);
		}
	}
	free(lines);
	p->text = t.buf; /* the sites' lines, parsed whole when shown */
	free(r.ids);
	fclose(f);
	if (ok && read_error) {
		if (!quiet) {
			cli_error("%s: read error", path);
		}
		ok = false;
	}
	if (ok && p->header == NULL) {
		const char *what = r.line == 0 ? "empty" : "no complete header record";
		if (stillborn != NULL) {
			/* Not damage: a process killed as it created its report (it writes the header first, in one call). */
			cli_warn("%s: %s: the process was killed as its report was created; skipped", path, what);
			*stillborn = true;
		} else if (!quiet) {
			cli_error(r.line == 0 ? "%s: %s file, not a ptfreeze report"
					      : "%s: %s (the process was killed as it started?)",
				  path, what);
		}
		ok = false;
	}
	if (!ok) {
		reportfile_free_process(p);
		return NULL;
	}
	if (p->nmodules > 1) {
		qsort(p->modules, p->nmodules, sizeof(*p->modules), by_start);
	}
	return p;
}

struct rf_process *reportfile_read(const char *path) { return read_file(path, false, false, NULL); }

struct rf_process *reportfile_read_found(const char *path, bool *stillborn)
{
	*stillborn = false;
	return read_file(path, false, false, stillborn);
}

int reportfile_peek(const char *path, long *pid, long *ppid)
{
	struct rf_process *p = read_file(path, true, true, NULL);
	if (p == NULL) {
		return -1;
	}
	*pid = p->pid;
	*ppid = p->ppid;
	reportfile_free_process(p);
	return 0;
}

const struct rf_module *reportfile_module_of(const struct rf_process *p, uint64_t ip)
{
	/* Modules are sorted by start (read_file): the last one starting at or below ip, if it holds ip. */
	size_t lo = 0, hi = p->nmodules;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->modules[mid].start <= ip) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (lo > 0 && ip < p->modules[lo - 1].end) {
		return &p->modules[lo - 1];
	}
	/* Overlapping ranges (a report is input): the plain search decides. */
	for (size_t i = 0; i < p->nmodules; i++) {
		if (ip >= p->modules[i].start && ip < p->modules[i].end) {
			return &p->modules[i];
		}
	}
	return NULL;
}

void reportfile_free_set(struct rf_set *set)
{
	for (size_t i = 0; i < set->ngroups; i++) {
		free(set->groups[i].procs);
		free(set->groups[i].frames);
	}
	free(set->groups);
	for (size_t i = 0; i < set->nprocs; i++) {
		reportfile_free_process(set->procs[i]);
	}
	free(set->procs);
	memset(set, 0, sizeof(*set));
}
