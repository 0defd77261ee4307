/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * render_folded: `ptfreeze report --folded`, stacks for flamegraph.pl and
 * speedscope (see render.h).
 */
#include "render.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Frame names must not contain the separators of the folded format. */
static void sanitize(char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == ';' || *s == '\t' || *s == '\n') {
			*s = '_';
		}
	}
}

struct folded {
	char *stack;
	uint64_t count;
};

static int by_stack(const void *a, const void *b)
{
	return strcmp(((const struct folded *)a)->stack, ((const struct folded *)b)->stack);
}

void render_folded(FILE *out, const struct rf_set *set)
{
	struct folded *lines = cli_calloc(set->ngroups, sizeof(*lines));
	for (size_t i = 0; i < set->ngroups; i++) {
		const struct rf_group *g = &set->groups[i];
		char *s;
		size_t len, cap;
		if (render_is_fault(g)) {
			/* The address class (and the mapping's file) under the kind: one tower per class. */
			const char *path = render_fault_path(g);
			cap = strlen(g->kind) + strlen(render_fault_class(g)) + (path ? strlen(render_base_name(path)) : 0) + 8;
			s = cli_malloc(cap);
			len = (size_t)snprintf(s, cap, "%s[%s%s%s]", g->kind, render_fault_class(g), path ? ":" : "",
					       path ? render_base_name(path) : "");
		} else {
			s = cli_strdup(g->kind);
			len = strlen(s);
			cap = len + 1;
		}
		sanitize(s);
		/* Root first: the outermost frame leads. */
		for (size_t k = g->depth; k-- > 0;) {
			char name[512];
			render_frame_name(&g->frames[k], name, sizeof(name));
			sanitize(name);
			size_t n = strlen(name);
			if (len + n + 2 > cap) {
				cap = 2 * (len + n + 2);
				s = cli_realloc(s, cap);
			}
			s[len++] = ';';
			memcpy(s + len, name, n + 1);
			len += n;
		}
		lines[i].stack = s;
		lines[i].count = g->count;
	}
	/* Different sites can fold to the same names (two calls in one function): sum them. */
	qsort(lines, set->ngroups, sizeof(*lines), by_stack);
	for (size_t i = 0; i < set->ngroups; i++) {
		uint64_t n = lines[i].count;
		while (i + 1 < set->ngroups && strcmp(lines[i].stack, lines[i + 1].stack) == 0) {
			n += lines[++i].count;
		}
		fprintf(out, "%s %" PRIu64 "\n", lines[i].stack, n);
	}
	for (size_t i = 0; i < set->ngroups; i++) {
		free(lines[i].stack);
	}
	free(lines);
}
