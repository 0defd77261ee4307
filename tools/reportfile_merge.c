/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reportfile_merge: the sites of many report files (a program and its
 * fork children, or many runs) merged into groups, most important first
 * (see reportfile.h).
 */
#include "reportfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kinds.h"

struct member {
	uint64_t hash; /* of key: the sort compares it first, strings only on a tie */
	char *key;
	struct rf_site *site;
	struct rf_process *process;
};

/* v in base 10 or 16 (lowercase, as printf's %llu and %llx) at out; returns the length. */
static size_t put_num(char *out, uint64_t v, unsigned base)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	for (size_t i = 0; i < n; i++) {
		out[i] = tmp[n - 1 - i];
	}
	return n;
}

/* A site's identity across processes: its kind and its code, module-relative (ASLR-proof). */
static char *site_key(const struct rf_process *p, const struct rf_site *s)
{
	/* The kind is input of any length: room for it, then per frame as needed (";" len "+" hex, path). */
	size_t len = strlen(s->kind), cap = len + 1 + s->depth * 64;
	char *k = cli_malloc(cap);
	memcpy(k, s->kind, len);
	for (size_t i = 0; i < s->depth; i++) {
		const struct rf_module *m = reportfile_module_of(p, s->stack[i]);
		size_t plen = m ? strlen(m->path) : 0, need = len + 48 + plen + 1;
		if (need > cap) {
			cap = 2 * need;
			k = cli_realloc(k, cap);
		}
		k[len++] = ';';
		if (m) {
			len += put_num(k + len, plen, 10);
			k[len++] = '+';
			len += put_num(k + len, s->stack[i] - m->base, 16);
			memcpy(k + len, m->path, plen);
			len += plen;
		} else {
			k[len++] = '?';
			len += put_num(k + len, s->stack[i], 16);
		}
	}
	k[len] = '\0';
	/* A page fault's address class and mapping are part of its site (the shim keys it so too). */
	const char *cls = s->cls, *path = s->path;
	if (cls) {
		char *u = cli_asprintf("%s|%s|%s", k, cls, path ? path : "");
		free(k);
		k = u;
	}
	/* Sites with no stack are distinct per process: nothing says they are the same code. */
	if (s->depth == 0) {
		char *u = cli_asprintf("%s;pid%ld;id%u", k, p->pid, s->id);
		free(k);
		k = u;
	}
	return k;
}

static int by_key(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	if (x->hash != y->hash) {
		return x->hash < y->hash ? -1 : 1;
	}
	return strcmp(x->key, y->key);
}

static int by_importance(const void *a, const void *b)
{
	const struct rf_group *x = a, *y = b;
	/* Page faults after the calls: they are many, and no mode refuses them. */
	if (x->fault != y->fault) {
		return x->fault ? 1 : -1;
	}
	/* Then the larger first, key by key. */
	const uint64_t kx[] = {x->blocked, x->would_block, x->count, x->bytes};
	const uint64_t ky[] = {y->blocked, y->would_block, y->count, y->bytes};
	for (size_t i = 0; i < sizeof(kx) / sizeof(kx[0]); i++) {
		if (kx[i] != ky[i]) {
			return kx[i] > ky[i] ? -1 : 1;
		}
	}
	int k = x->kind == y->kind ? 0 : strcmp(x->kind, y->kind);
	if (k) {
		return k;
	}
	if (x->process->pid != y->process->pid) {
		return x->process->pid < y->process->pid ? -1 : 1;
	}
	return x->site->id < y->site->id ? -1 : x->site->id > y->site->id;
}

/*
 * A fork child's report repeats the fork that created it (result 0, the
 * child's side of the call).  When the parent's report is merged too, the
 * parent already counts that call: counting the child's copy would double
 * it.
 */
static bool fork_echo(const struct member *run, size_t n, const struct member *x)
{
	const char *kind = x->site->kind;
	if (!x->process->fork_child || (strcmp(kind, kinds_name(KIND_FORK)) != 0 && strcmp(kind, kinds_name(KIND_VFORK)) != 0) ||
	    x->site->result != 0) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (run[i].process->pid == x->process->ppid) {
			return true;
		}
	}
	return false;
}

static void add_process(struct rf_group *g, struct rf_process *p)
{
	for (size_t i = 0; i < g->nprocs; i++) {
		if (g->procs[i] == p) {
			return;
		}
	}
	g->procs = cli_realloc(g->procs, (g->nprocs + 1) * sizeof(*g->procs));
	g->procs[g->nprocs++] = p;
}

static void start_group(struct rf_group *g, struct rf_site *s, struct rf_process *p)
{
	memset(g, 0, sizeof(*g));
	g->kind = s->kind;
	g->fault = strcmp(s->kind, kinds_name(KIND_PAGE_FAULT)) == 0;
	g->site = s;
	g->process = p;
	g->first_ns = UINT64_MAX;
	g->depth = s->depth;
	g->frames = cli_calloc(s->depth, sizeof(*g->frames));
	for (size_t i = 0; i < s->depth; i++) {
		struct rf_frame *f = &g->frames[i];
		f->ip = s->stack[i];
		f->module = reportfile_module_of(p, f->ip);
		f->offset = f->module ? f->ip - f->module->base : f->ip;
	}
}

/* a + b, at most INT64_MAX: what the JSON output can write as an integer its readers take. */
static uint64_t sat_add(uint64_t a, uint64_t b) { return a > (uint64_t)INT64_MAX - b ? (uint64_t)INT64_MAX : a + b; }

void reportfile_merge(struct rf_set *set)
{
	size_t n = 0;
	for (size_t i = 0; i < set->nprocs; i++) {
		n += set->procs[i]->nsites;
	}
	struct member *m = cli_calloc(n, sizeof(*m));
	size_t k = 0;
	for (size_t i = 0; i < set->nprocs; i++) {
		struct rf_process *p = set->procs[i];
		for (size_t j = 0; j < p->nsites; j++) {
			m[k].site = &p->sites[j];
			m[k].process = p;
			m[k].key = site_key(p, &p->sites[j]);
			m[k].hash = cli_hash(m[k].key);
			k++;
		}
	}
	qsort(m, n, sizeof(*m), by_key);
	set->groups = cli_calloc(n, sizeof(*set->groups));
	set->ngroups = 0;
	for (size_t a = 0, b; a < n; a = b) {
		for (b = a + 1; b < n && m[b].hash == m[a].hash && strcmp(m[b].key, m[a].key) == 0; b++) {
		}
		struct rf_group *g = &set->groups[set->ngroups++];
		start_group(g, m[a].site, m[a].process);
		for (size_t i = a; i < b; i++) {
			struct rf_site *s = m[i].site;
			add_process(g, m[i].process);
			/* The group speaks for its earliest member: lowest pid, then lowest id. */
			if (m[i].process->pid < g->process->pid || (m[i].process == g->process && s->id < g->site->id)) {
				g->site = s;
				g->process = m[i].process;
			}
			if (fork_echo(m + a, b - a, &m[i])) {
				continue;
			}
			g->count = sat_add(g->count, s->count);
			g->blocked = sat_add(g->blocked, s->blocked);
			g->would_block = sat_add(g->would_block, s->would_block);
			g->bytes = sat_add(g->bytes, s->bytes);
			g->first_ns = s->first_ns < g->first_ns ? s->first_ns : g->first_ns;
			g->last_ns = s->last_ns > g->last_ns ? s->last_ns : g->last_ns;
			g->estimated |= !s->counted && !s->after_summary;
			g->after_summary |= s->after_summary;
		}
	}
	for (size_t i = 0; i < n; i++) {
		free(m[i].key);
	}
	free(m);
	qsort(set->groups, set->ngroups, sizeof(*set->groups), by_importance);
}
