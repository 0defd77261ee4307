/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * suppressions: suppression rules and NUMA placement in `ptfreeze report`
 * (see suppressions.h).  Ordinary userland code: stdio and malloc are fine.
 */
#include "suppressions.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *base_name(const char *path)
{
	const char *b = path ? strrchr(path, '/') : NULL;
	return b ? b + 1 : path ? path : "?";
}

void suppressions_text_numa(FILE *out, const json_t *pool)
{
	const json_t *numa = json_object_get(pool, "numa");
	if (!json_is_object(numa)) {
		return;
	}
	const json_t *node = json_object_get(numa, "node");
	char a[32];
	fputs("  numa        ", out);
	if (json_is_integer(node)) {
		fprintf(out, "node %lld asked (%s, %s)", (long long)json_integer_value(node),
			reportfile_get_str(numa, "policy") ? reportfile_get_str(numa, "policy") : "?",
			json_is_true(json_object_get(numa, "bound")) ? "bound" : "NOT bound: see the error at start-up");
	} else {
		fputs("no node asked", out);
	}
	const json_t *by = json_object_get(numa, "bytes_by_node");
	if (json_is_object(by)) {
		const char *k;
		json_t *v;
		int n = 0;
		fputs("; pages on ", out);
		json_object_foreach((json_t *)by, k, v)
		{
			fprintf(out, "%snode %s %s", n++ ? ", " : "", k, cli_size((uint64_t)json_integer_value(v), a, sizeof(a)));
		}
		if (n == 0) {
			fputs("no node (nothing resident)", out);
		}
	}
	fputc('\n', out);
}

void suppressions_text_process(FILE *out, const struct rf_process *p)
{
	const json_t *sup = p->summary ? json_object_get(p->summary, "suppressed") : NULL;
	if (!json_is_array(sup) || json_array_size(sup) == 0) {
		return;
	}
	unsigned long long calls = 0, sites = 0;
	size_t i;
	json_t *r;
	json_array_foreach((json_t *)sup, i, r)
	{
		calls += (unsigned long long)reportfile_get_int(r, "count", 0);
		sites += (unsigned long long)reportfile_get_int(r, "sites", 0);
	}
	const char *file = reportfile_get_str(json_object_get(p->header, "config"), "PTFREEZE_SUPPRESS");
	fprintf(out, "  suppressed  %llu call%s at %llu site%s by %zu rule%s of %s (not violations)\n", calls,
		calls == 1 ? "" : "s", sites, sites == 1 ? "" : "s", json_array_size(sup), json_array_size(sup) == 1 ? "" : "s",
		file ? file : "?");
	json_array_foreach((json_t *)sup, i, r)
	{
		const char *text = reportfile_get_str(r, "rule");
		fprintf(out, "              %6lld call%s %4lld site%s  line %lld: %s\n", reportfile_get_int(r, "count", 0),
			reportfile_get_int(r, "count", 0) == 1 ? " " : "s", reportfile_get_int(r, "sites", 0),
			reportfile_get_int(r, "sites", 0) == 1 ? " " : "s", reportfile_get_int(r, "line", 0), text ? text : "?");
	}
}

unsigned long long suppressions_total(const struct rf_set *set)
{
	unsigned long long n = 0;
	for (size_t k = 0; k < set->nprocs; k++) {
		const json_t *sup = set->procs[k]->summary ? json_object_get(set->procs[k]->summary, "suppressed") : NULL;
		size_t i;
		json_t *r;
		json_array_foreach((json_t *)sup, i, r) { n += (unsigned long long)reportfile_get_int(r, "count", 0); }
	}
	return n;
}

/* A function name as a glob: GCC's clone suffix dropped (the shim matches f for f.constprop.0). */
static void fun_glob(const char *f, char *buf, size_t cap)
{
	size_t n = strcspn(f, ".");
	if (n == 0) {
		n = strlen(f);
	}
	snprintf(buf, cap, "%.*s", (int)n, f);
}

static bool safe_word(const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '#' || (unsigned char)*s < 0x20) {
			return false;
		}
	}
	return true;
}

void suppressions_rule_for(const struct rf_group *g, char *buf, size_t cap)
{
	const char *exe = g->process ? g->process->exe : NULL;
	const struct rf_frame *pick = NULL;
	/* The innermost frame in the program itself, else the innermost with a name. */
	for (size_t i = 0; i < g->depth && !pick; i++) {
		const struct rf_frame *f = &g->frames[i];
		if (f->function && f->module && exe && strcmp(f->module->path, exe) == 0) {
			pick = f;
		}
	}
	for (size_t i = 0; i < g->depth && !pick; i++) {
		if (g->frames[i].function) {
			pick = &g->frames[i];
		}
	}
	char fun[512];
	/* The shim matches the symbol table's (mangled) name: the rule carries that one. */
	const char *name = pick && pick->symbol ? pick->symbol : pick ? pick->function : NULL;
	if (pick == NULL || (fun_glob(name, fun, sizeof(fun)), !safe_word(fun))) {
		buf[0] = '\0';
		return;
	}
	bool in_exe = pick->module && exe && strcmp(pick->module->path, exe) == 0;
	if (pick->module && !in_exe && safe_word(base_name(pick->module->path))) {
		snprintf(buf, cap, "%s fun:%s mod:%s", g->kind, fun, base_name(pick->module->path));
	} else {
		snprintf(buf, cap, "%s fun:%s", g->kind, fun);
	}
}

/* The rules already written: a string set, open addressing (a run can have thousands of sites). */
struct rule_set {
	char **v;
	size_t n, cap;
};

/* True if rule was new (and is now in the set). */
static bool rule_add(struct rule_set *rs, const char *rule)
{
	if (2 * (rs->n + 1) > rs->cap) {
		struct rule_set grown = {cli_calloc(rs->cap ? 2 * rs->cap : 256, sizeof(char *)), 0,
					 rs->cap ? 2 * rs->cap : 256};
		for (size_t i = 0; i < rs->cap; i++) {
			if (rs->v[i]) {
				size_t h = (size_t)cli_hash(rs->v[i]) & (grown.cap - 1);
				while (grown.v[h]) {
					h = (h + 1) & (grown.cap - 1);
				}
				grown.v[h] = rs->v[i];
				grown.n++;
			}
		}
		free(rs->v);
		*rs = grown;
	}
	size_t h = (size_t)cli_hash(rule) & (rs->cap - 1);
	while (rs->v[h]) {
		if (strcmp(rs->v[h], rule) == 0) {
			return false;
		}
		h = (h + 1) & (rs->cap - 1);
	}
	rs->v[h] = cli_strdup(rule);
	rs->n++;
	return true;
}

static void rule_set_free(struct rule_set *rs)
{
	for (size_t i = 0; i < rs->cap; i++) {
		free(rs->v[i]);
	}
	free(rs->v);
}

int suppressions_write(const char *path, const struct rf_set *set)
{
	bool to_stdout = strcmp(path, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	if (f == NULL) {
		cli_error("--suppressions-out: cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	fputs("# ptfreeze suppression file (PTFREEZE_SUPPRESS=FILE; format: ptfreeze(7), SUPPRESSIONS)\n"
	      "# Written by 'ptfreeze report --suppressions-out': a rule per site, each rule once (a\n"
	      "# site whose rule is already written is only counted at the end). Function names are\n"
	      "# the symbol table's, mangled for C++ and Rust, as the shim matches them; the comments\n"
	      "# show them demangled. Keep the rules for violations you accept, delete the others,\n"
	      "# and widen patterns with * where useful.\n",
	      f);
	size_t written = 0, shared = 0;
	struct rule_set seen = {0};
	for (size_t i = 0; i < set->ngroups; i++) {
		const struct rf_group *g = &set->groups[i];
		char rule[1200];
		suppressions_rule_for(g, rule, sizeof(rule));
		if (rule[0] && !rule_add(&seen, rule)) {
			shared++; /* the same rule is already written: it takes this site too */
			continue;
		}
		const struct rf_frame *top = g->depth ? &g->frames[0] : NULL;
		fprintf(f, "\n# site %zu: %s, %" PRIu64 " call%s in %s", i + 1, g->kind, g->count, g->count == 1 ? "" : "s",
			base_name(g->process ? g->process->exe : NULL));
		if (top && top->function) {
			fprintf(f, ", at %s", top->function);
			if (top->file) {
				fprintf(f, " (%s:%d)", base_name(top->file), top->line);
			}
		}
		fputc('\n', f);
		if (rule[0]) {
			fprintf(f, "%s\n", rule);
			written++;
		} else {
			fputs("# (no symbol in its stack: write a mod: rule by hand)\n", f);
		}
	}
	rule_set_free(&seen);
	if (shared) {
		fprintf(f, "\n# %zu more site%s share%s a rule above\n", shared, shared == 1 ? "" : "s", shared == 1 ? "s" : "");
	}
	if (!to_stdout) {
		if (fclose(f) != 0) {
			cli_error("--suppressions-out: cannot write '%s': %s", path, strerror(errno));
			return -1;
		}
		cli_note("%zu suppression rule%s written to %s%s", written, written == 1 ? "" : "s", path,
			 shared ? " (sites sharing a rule: one rule)" : "");
	} else if (fflush(f) != 0) {
		return -1;
	}
	return 0;
}
