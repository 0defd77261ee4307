/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reportfile_int: what reportfile.c and reportfile_scan.c share (the
 * reader's internals, not for the renderers).
 */
#ifndef PTFREEZE_REPORTFILE_INT_H
#define PTFREEZE_REPORTFILE_INT_H

#include "reportfile.h"

/* Bytes of a line: a JSON string's contents (no escapes in it). */
struct rf_span {
	const char *s;
	size_t n;
};

/* A site record's fields as the reader takes them (absent: empty span, or the default noted). */
struct rf_fields {
	struct rf_span type, kind, action, cls, path; /* cls, path: args.class, args.path */
	long long id, result;                         /* -1 when absent or not an integer */
	long long bytes, t_ns;                        /* 0 when absent or not an integer */
	long long count, blocked, first_ns, last_ns;  /* a summary's entry: 1, 0, 0, 0 when absent */
	long stack_state;                             /* -2: no stack array; -1: every entry an address; else the first bad entry */
	uint64_t *stack;                              /* malloc'd, depth entries (cap allocated) */
	size_t depth, cap;
};

/*
 * Reads a site record's fields from its line without jansson; false when
 * the line is not one the scanner takes (then parse it with jansson).
 * f->stack is malloc'd either way (free it).
 */
bool reportfile_scan_site(const char *line, size_t len, struct rf_fields *f);

/*
 * A summary record's line: the span of its "sites" array (brackets
 * included); false when the scanner does not take the line.
 */
bool reportfile_scan_summary(const char *line, size_t len, struct rf_span *sites);

/*
 * Each entry of a sites array the scanner took, in order: fn gets its
 * index, its fields (an entry that is not an object: the defaults) and its
 * text; false from fn, or an entry the scanner does not take, stops: false.
 */
bool reportfile_scan_entries(struct rf_span array, bool (*fn)(void *ctx, size_t i, const struct rf_fields *f, struct rf_span text),
			     void *ctx);

/* Stack entry i (a string's span, or NULL if not a string) as an address into f; false if it is not one. */
bool reportfile_hex_span(const struct rf_span *str, struct rf_fields *f, size_t i);

#endif
