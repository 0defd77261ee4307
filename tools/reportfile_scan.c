/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reportfile_scan: a site record's few fields read straight from its line,
 * without building a jansson object (see reportfile_int.h).  Building one
 * per site was about half the reader's time on a 100k-site report; the
 * merge and the first screen need a site's kind, id, stack, action,
 * counters and page-fault class, and the rest of it (args, detail, errno)
 * only for the sites shown, parsed then (reportfile_site_record()).
 *
 * The scanner accepts a strict subset of JSON that jansson also accepts,
 * with the same meaning: strings of printable ASCII with no escapes,
 * integers that fit a long long, true, false, null, objects and arrays
 * nested at most 32 deep.  Anything else (an escape, a real, a byte over
 * 0x7e, a syntax error, a type other than "site") and the caller parses
 * the line with jansson as before, so a malformed line gets jansson's
 * message and its line number.  A key given twice takes its last value, as
 * jansson's json_object_get() does.
 */
#include "reportfile_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum vtype { V_BAD, V_STRING, V_INT, V_OTHER, V_OBJECT, V_ARRAY };

struct scan {
	const char *p, *end;
	int depth;
};

#define MAX_DEPTH 32

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) {
		s->p++;
	}
}

static bool eat(struct scan *s, char c)
{
	ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* A string with no escape: its bytes between the quotes. */
static bool string(struct scan *s, struct rf_span *out)
{
	if (s->p >= s->end || *s->p != '"') {
		return false;
	}
	const char *b = ++s->p;
	while (s->p < s->end && *s->p != '"') {
		unsigned char c = (unsigned char)*s->p;
		if (c < 0x20 || c > 0x7e || c == '\\') {
			return false;
		}
		s->p++;
	}
	if (s->p >= s->end) {
		return false;
	}
	out->s = b;
	out->n = (size_t)(s->p - b);
	s->p++;
	return true;
}

static bool integer(struct scan *s, long long *out)
{
	const char *b = s->p;
	bool neg = s->p < s->end && *s->p == '-';
	s->p += neg;
	const char *d = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		s->p++;
	}
	size_t n = (size_t)(s->p - d);
	/* A real (fraction or exponent), a leading zero or a number past long long: jansson's business. */
	if (n == 0 || n > 19 || (d[0] == '0' && n > 1) ||
	    (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))) {
		return false;
	}
	unsigned long long v = 0;
	for (const char *q = d; q < s->p; q++) {
		v = v * 10 + (unsigned)(*q - '0');
	}
	if (v > (unsigned long long)LLONG_MAX + neg) {
		return false;
	}
	*out = neg ? (long long)(0 - v) : (long long)v;
	return s->p > b;
}

static bool literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) {
		return false;
	}
	s->p += n;
	return true;
}

static enum vtype value(struct scan *s, struct rf_span *str, long long *num);

/* Members of an object after its '{'; on_member (may be NULL) sees each key and value. */
typedef bool (*member_fn)(struct scan *s, struct rf_span key, void *ctx);

static bool members(struct scan *s, member_fn on_member, void *ctx)
{
	if (eat(s, '}')) {
		return true;
	}
	do {
		struct rf_span key;
		ws(s);
		if (!string(s, &key) || !eat(s, ':')) {
			return false;
		}
		ws(s);
		if (s->p >= s->end || (on_member ? !on_member(s, key, ctx) : value(s, &key, NULL) == V_BAD)) {
			return false;
		}
	} while (eat(s, ','));
	return eat(s, '}');
}

static bool elements(struct scan *s)
{
	if (eat(s, ']')) {
		return true;
	}
	do {
		struct rf_span str;
		ws(s);
		if (value(s, &str, NULL) == V_BAD) {
			return false;
		}
	} while (eat(s, ','));
	return eat(s, ']');
}

/* One value at s->p (whitespace skipped): its type; a string's span, an integer's value. */
static enum vtype value(struct scan *s, struct rf_span *str, long long *num)
{
	long long dummy;
	if (s->p >= s->end) {
		return V_BAD;
	}
	switch (*s->p) {
	case '"':
		return string(s, str) ? V_STRING : V_BAD;
	case '{':
	case '[': {
		bool obj = *s->p++ == '{';
		if (++s->depth > MAX_DEPTH) {
			return V_BAD;
		}
		bool ok = obj ? members(s, NULL, NULL) : elements(s);
		s->depth--;
		return !ok ? V_BAD : obj ? V_OBJECT : V_ARRAY;
	}
	case 't':
		return literal(s, "true") ? V_OTHER : V_BAD;
	case 'f':
		return literal(s, "false") ? V_OTHER : V_BAD;
	case 'n':
		return literal(s, "null") ? V_OTHER : V_BAD;
	default:
		return integer(s, num ? num : &dummy) ? V_INT : V_BAD;
	}
}

static bool key_is(struct rf_span key, const char *name)
{
	return key.n == strlen(name) && memcmp(key.s, name, key.n) == 0;
}

/* args: its class and path (a page fault's), strings or absent. */
static bool args_member(struct scan *s, struct rf_span key, void *ctx)
{
	struct rf_fields *f = ctx;
	struct rf_span str = {0};
	enum vtype t = value(s, &str, NULL);
	if (key_is(key, "class")) {
		f->cls = t == V_STRING ? str : (struct rf_span){0};
	} else if (key_is(key, "path")) {
		f->path = t == V_STRING ? str : (struct rf_span){0};
	}
	return t != V_BAD;
}

/* The stack: its entries as addresses, as parse_stack() reads them; -1 - i for a bad entry i. */
static bool stack_value(struct scan *s, struct rf_fields *f)
{
	f->depth = 0;
	f->stack_state = -1;
	if (*s->p != '[') {
		struct rf_span str;
		f->stack_state = -2; /* no array */
		return value(s, &str, NULL) != V_BAD;
	}
	s->p++;
	if (eat(s, ']')) {
		return true;
	}
	do {
		struct rf_span str = {0};
		ws(s);
		enum vtype t = value(s, &str, NULL);
		if (t == V_BAD) {
			return false;
		}
		if (t == V_STRING && str.n > 100) {
			return false; /* strtoull on a long string: jansson's path decides */
		}
		if (f->stack_state == -1 && !reportfile_hex_span(t == V_STRING ? &str : NULL, f, f->depth)) {
			f->stack_state = (long)f->depth;
		}
		f->depth++;
	} while (eat(s, ','));
	return eat(s, ']');
}

static bool top_member(struct scan *s, struct rf_span key, void *ctx)
{
	struct rf_fields *f = ctx;
	if (key_is(key, "stack")) {
		return stack_value(s, f);
	}
	if (key_is(key, "args")) {
		f->cls = f->path = (struct rf_span){0};
		if (*s->p == '{') {
			s->p++;
			s->depth++;
			bool ok = s->depth <= MAX_DEPTH && members(s, args_member, f);
			s->depth--;
			return ok;
		}
	}
	struct rf_span str = {0};
	long long num = 0;
	enum vtype t = value(s, &str, &num);
	struct {
		const char *name;
		struct rf_span *str;
		long long *num, def;
	} const known[] = {
		{"type", &f->type, NULL, 0},	    {"kind", &f->kind, NULL, 0},     {"action", &f->action, NULL, 0},
		{"id", NULL, &f->id, -1},	    {"bytes", NULL, &f->bytes, 0},   {"t_ns", NULL, &f->t_ns, 0},
		{"result", NULL, &f->result, -1},  {"count", NULL, &f->count, 1},   {"blocked", NULL, &f->blocked, 0},
		{"first_ns", NULL, &f->first_ns, 0}, {"last_ns", NULL, &f->last_ns, 0},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (key_is(key, known[i].name)) {
			if (known[i].str) {
				*known[i].str = t == V_STRING ? str : (struct rf_span){0};
			} else {
				*known[i].num = t == V_INT ? num : known[i].def;
			}
		}
	}
	return t != V_BAD;
}

static void defaults(struct rf_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->id = f->result = -1;
	f->count = 1;
	f->stack_state = -2;
}

bool reportfile_scan_site(const char *line, size_t len, struct rf_fields *f)
{
	struct scan s = {line, line + len, 0};
	defaults(f);
	if (!eat(&s, '{') || !members(&s, top_member, f)) {
		return false;
	}
	ws(&s);
	return s.p == s.end && key_is(f->type, "site");
}

struct summary_scan {
	struct rf_span type, sites;
	int nsites;
};

static bool summary_member(struct scan *s, struct rf_span key, void *ctx)
{
	struct summary_scan *m = ctx;
	const char *b = s->p;
	struct rf_span str = {0};
	enum vtype t = value(s, &str, NULL);
	if (key_is(key, "type")) {
		m->type = t == V_STRING ? str : (struct rf_span){0};
	} else if (key_is(key, "sites")) {
		m->sites = (struct rf_span){b, (size_t)(s->p - b)};
		m->nsites += t == V_ARRAY ? 1 : 2; /* a second one, or not an array: jansson's path */
	}
	return t != V_BAD;
}

bool reportfile_scan_summary(const char *line, size_t len, struct rf_span *sites)
{
	struct scan s = {line, line + len, 0};
	struct summary_scan m = {0};
	if (!eat(&s, '{') || !members(&s, summary_member, &m)) {
		return false;
	}
	ws(&s);
	*sites = m.sites;
	return s.p == s.end && key_is(m.type, "summary") && m.nsites == 1;
}

bool reportfile_scan_entries(struct rf_span array, bool (*fn)(void *ctx, size_t i, const struct rf_fields *f, struct rf_span text),
			     void *ctx)
{
	struct scan s = {array.s + 1, array.s + array.n - 1, 1}; /* inside the brackets: checked by the summary's scan */
	struct rf_fields f;
	bool ok = true;
	ws(&s);
	for (size_t i = 0; ok && s.p < s.end; i++) {
		const char *b = s.p;
		defaults(&f);
		struct rf_span str;
		bool scanned = *s.p == '{' ? (s.p++, members(&s, top_member, &f)) : value(&s, &str, NULL) != V_BAD;
		free(f.stack);
		f.stack = NULL;
		ok = scanned && fn(ctx, i, &f, (struct rf_span){b, (size_t)(s.p - b)});
		eat(&s, ',');
		ws(&s);
	}
	return ok;
}
