/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * smaps: the address space at arming against the address space at exit
 * (see smaps.h).  Runs at arming (possibly in a signal handler) and in the
 * exit handler: raw syscalls and preallocated tables only.
 */
#include "autoconf.h"
#include "config.h"
#include "smaps.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "shim.h"
#include "pool.h"
#include "procfs.h"
#include "report.h"
#include "sys.h"

#define POOL_NAME "[anon:ptfreeze-pool]"
#define RECORD_CAP ((size_t)256 << 10)

void smaps_clear(struct smaps_table *t)
{
	t->n = 0;
	t->truncated = false;
}

/* "start-end perms offset dev inode   name": a new entry, or false. */
static bool parse_header(struct smaps_table *t, const char *line)
{
	struct procfs_map pm;
	if (!procfs_map_parse(line, &pm)) {
		return false;
	}
	if (t->n == t->cap) {
		t->truncated = true;
		return true;
	}
	struct smap *m = &t->v[t->n++];
	memset(m, 0, sizeof(*m));
	m->start = pm.start;
	m->end = pm.end;
	memcpy(m->perms, pm.perms, 4);
	fmt_copy(m->name, sizeof(m->name), pm.path);
	return true;
}

/* "Name:   1234 kB" → 1234 when line starts with key; else false. */
static bool field(const char *line, const char *key, uint32_t *kb)
{
	size_t k = strlen(key);
	if (strncmp(line, key, k) != 0) {
		return false;
	}
	const char *p = line + k;
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	uint64_t v = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*kb = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	return true;
}

void smaps_parse_line(struct smaps_table *t, char *line)
{
	if (parse_header(t, line)) {
		return;
	}
	if (t->n == 0 || t->truncated) {
		return; /* fields of a mapping that did not fit */
	}
	struct smap *m = &t->v[t->n - 1];
	uint32_t kb;
	if (field(line, "Rss:", &m->rss_kb) || field(line, "AnonHugePages:", &m->anon_huge_kb) ||
	    field(line, "Locked:", &m->locked_kb)) {
		return;
	}
	if (field(line, "Shared_Hugetlb:", &kb) || field(line, "Private_Hugetlb:", &kb)) {
		m->hugetlb_kb += kb;
	}
}

static int parse_cb(char *line, void *arg)
{
	struct smaps_table *t = arg;
	smaps_parse_line(t, line);
	return !t->truncated; /* the rest of the file would only be read and dropped */
}

int smaps_read(struct smaps_table *t, const char *path)
{
	smaps_clear(t);
	return sys_for_each_line(path, parse_cb, t);
}

bool smaps_is_pool(const struct smap *m)
{
	/* By name where the kernel shows it (CONFIG_ANON_VMA_NAME), else by address. */
	return strcmp(m->name, POOL_NAME) == 0 || pool_overlaps((const void *)m->start, m->end - m->start);
}

static bool any_named(const struct smaps_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].name, POOL_NAME) == 0) {
			return true;
		}
	}
	return false;
}

static uint64_t kb(uint32_t v) { return (uint64_t)v << 10; }

static void put_addr(struct sb *sb, const char *key, uint64_t v)
{
	sb_printf(sb, ",\"%s\":\"0x", key);
	sb_puthex(sb, v);
	sb_putc(sb, '"');
}

/* An entry's opening: its start and end. */
static void put_range(struct sb *sb, const struct smap *m, bool first)
{
	sb_puts(sb, first ? "{" : ",{");
	sb_puts(sb, "\"start\":\"0x");
	sb_puthex(sb, m->start);
	sb_putc(sb, '"');
	put_addr(sb, "end", m->end);
}

static void put_entry(struct sb *sb, const struct smap *m, bool first)
{
	put_range(sb, m, first);
	sb_printf(sb, ",\"size\":%lu,\"perms\":", (unsigned long)(m->end - m->start));
	sb_json(sb, m->perms, strlen(m->perms));
	sb_puts(sb, ",\"name\":");
	sb_json(sb, m->name, strlen(m->name));
	sb_printf(sb, ",\"pool\":%s,\"rss\":%lu,\"anon_huge\":%lu,\"hugetlb\":%lu,\"locked\":%lu}",
		  smaps_is_pool(m) ? "true" : "false", (unsigned long)kb(m->rss_kb), (unsigned long)kb(m->anon_huge_kb),
		  (unsigned long)kb(m->hugetlb_kb), (unsigned long)kb(m->locked_kb));
}

static long long d(uint32_t now, uint32_t then) { return ((long long)now - (long long)then) * 1024; }

static void put_changed(struct sb *sb, const struct smap *o, const struct smap *m, bool first)
{
	put_range(sb, m, first);
	sb_printf(sb, ",\"size\":%lu,\"old_size\":%lu,\"perms\":", (unsigned long)(m->end - m->start),
		  (unsigned long)(o->end - o->start));
	sb_json(sb, m->perms, strlen(m->perms));
	sb_puts(sb, ",\"old_perms\":");
	sb_json(sb, o->perms, strlen(o->perms));
	sb_puts(sb, ",\"name\":");
	sb_json(sb, m->name, strlen(m->name));
	sb_printf(sb, ",\"pool\":%s,\"rss\":%lu,\"rss_delta\":%lld,\"anon_huge\":%lu,\"anon_huge_delta\":%lld,"
		      "\"hugetlb\":%lu,\"hugetlb_delta\":%lld,\"locked_delta\":%lld}",
		  smaps_is_pool(m) ? "true" : "false", (unsigned long)kb(m->rss_kb), d(m->rss_kb, o->rss_kb),
		  (unsigned long)kb(m->anon_huge_kb), d(m->anon_huge_kb, o->anon_huge_kb), (unsigned long)kb(m->hugetlb_kb),
		  d(m->hugetlb_kb, o->hugetlb_kb), d(m->locked_kb, o->locked_kb));
}

static bool differs(const struct smap *o, const struct smap *m)
{
	return o->end != m->end || strcmp(o->perms, m->perms) != 0 || o->rss_kb != m->rss_kb ||
	       o->anon_huge_kb != m->anon_huge_kb || o->hugetlb_kb != m->hugetlb_kb || o->locked_kb != m->locked_kb;
}

enum what { ADDED, REMOVED, CHANGED };

/*
 * Walks both tables (each sorted by address, as the kernel writes them) in
 * step.  A mapping at the same start with the same name is the same
 * mapping (changed if anything differs); otherwise the old one was removed
 * and the new one added.  Calls out for each entry of kind `want`.
 */
static size_t walk(const struct smaps_table *old, const struct smaps_table *cur, enum what want, struct sb *sb,
		   size_t listed)
{
	size_t i = 0, j = 0, count = 0;
	while (i < old->n || j < cur->n) {
		const struct smap *o = i < old->n ? &old->v[i] : NULL, *m = j < cur->n ? &cur->v[j] : NULL;
		enum what w;
		const struct smap *a = NULL, *b = NULL;
		if (o && m && o->start == m->start && strcmp(o->name, m->name) == 0) {
			i++, j++;
			if (!differs(o, m)) {
				continue;
			}
			w = CHANGED, a = o, b = m;
		} else if (o && m && o->start == m->start) {
			/* Replaced in place: both lists, the removal first. */
			if (want == REMOVED || want == ADDED) {
				const struct smap *x = want == REMOVED ? o : m;
				if (sb && count < listed) {
					put_entry(sb, x, count == 0);
				}
				count++;
			}
			i++, j++;
			continue;
		} else if (o && (!m || o->start < m->start)) {
			w = REMOVED, b = o, i++;
		} else {
			w = ADDED, b = m, j++;
		}
		if (w != want) {
			continue;
		}
		if (sb && count < listed) {
			if (w == CHANGED) {
				put_changed(sb, a, b, count == 0);
			} else {
				put_entry(sb, b, count == 0);
			}
		}
		count++;
	}
	return count;
}

struct totals {
	uint64_t size, rss, anon_huge, hugetlb, locked;
};

static struct totals sum(const struct smaps_table *t, bool pool_only, size_t *n)
{
	struct totals s = {0};
	size_t k = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct smap *m = &t->v[i];
		if (pool_only && !smaps_is_pool(m)) {
			continue;
		}
		k++;
		s.size += m->end - m->start;
		s.rss += kb(m->rss_kb);
		s.anon_huge += kb(m->anon_huge_kb);
		s.hugetlb += kb(m->hugetlb_kb);
		s.locked += kb(m->locked_kb);
	}
	if (n) {
		*n = k;
	}
	return s;
}

static void put_pair(struct sb *sb, const char *key, uint64_t then, uint64_t now, bool first)
{
	sb_printf(sb, "%s\"%s\":{\"at_arm\":%lu,\"at_exit\":%lu,\"delta\":%lld}", first ? "" : ",", key,
		  (unsigned long)then, (unsigned long)now, (long long)now - (long long)then);
}

/* Each total at arming and at exit; locked memory where asked. */
static void put_totals(struct sb *sb, const struct totals *a, const struct totals *b, bool locked)
{
	put_pair(sb, "size", a->size, b->size, true);
	put_pair(sb, "rss", a->rss, b->rss, false);
	put_pair(sb, "anon_huge", a->anon_huge, b->anon_huge, false);
	put_pair(sb, "hugetlb", a->hugetlb, b->hugetlb, false);
	if (locked) {
		put_pair(sb, "locked", a->locked, b->locked, false);
	}
}

void smaps_diff_json(struct sb *sb, const struct smaps_table *old, const struct smaps_table *cur, size_t listed)
{
	size_t npool_old, npool;
	struct totals a = sum(old, false, NULL), b = sum(cur, false, NULL);
	struct totals pa = sum(old, true, &npool_old), pb = sum(cur, true, &npool);
	sb_printf(sb, "\"mappings_at_arm\":%zu,\"mappings_at_exit\":%zu,\"truncated\":%s,\"totals\":{", old->n, cur->n,
		  old->truncated || cur->truncated ? "true" : "false");
	put_totals(sb, &a, &b, true);
	sb_printf(sb, "},\"pool\":{\"named\":%s,\"regions_at_arm\":%zu,\"regions_at_exit\":%zu,",
		  any_named(cur) ? "true" : "false", npool_old, npool);
	put_totals(sb, &pa, &pb, false);
	sb_printf(sb, "},\"added_count\":%zu,\"removed_count\":%zu,\"changed_count\":%zu,\"listed_max\":%zu",
		  walk(old, cur, ADDED, NULL, 0), walk(old, cur, REMOVED, NULL, 0), walk(old, cur, CHANGED, NULL, 0), listed);
	sb_puts(sb, ",\"added\":[");
	walk(old, cur, ADDED, sb, listed);
	sb_puts(sb, "],\"removed\":[");
	walk(old, cur, REMOVED, sb, listed);
	sb_puts(sb, "],\"changed\":[");
	walk(old, cur, CHANGED, sb, listed);
	sb_putc(sb, ']');
}

/* ---- at run time ---- */

static struct smaps_table at_arm, at_exit;
static char *record;
static _Atomic int have_baseline;
static atomic_flag reported;

int smaps_init(void)
{
	size_t bytes = 2 * SMAPS_MAX * sizeof(struct smap) + RECORD_CAP;
	char *p = pool_carve(bytes, 64);
	if (!p) {
		return -ENOMEM;
	}
	at_arm.v = (struct smap *)p;
	at_arm.cap = SMAPS_MAX;
	at_exit.v = at_arm.v + SMAPS_MAX;
	at_exit.cap = SMAPS_MAX;
	record = (char *)(at_exit.v + SMAPS_MAX);
	return 0;
}

void smaps_snapshot(void)
{
	if (!record) {
		return;
	}
	atomic_store(&have_baseline, smaps_read(&at_arm, "/proc/self/smaps") == 0);
}

void smaps_forget(void) { atomic_store(&have_baseline, 0); }

void smaps_report(void)
{
	if (!record || !atomic_load(&have_baseline) || atomic_flag_test_and_set(&reported)) {
		return;
	}
	if (smaps_read(&at_exit, "/proc/self/smaps") != 0) {
		return;
	}
	struct sb sb;
	sb_init(&sb, record, RECORD_CAP - 1);
	sb_printf(&sb, "{\"type\":\"smaps-diff\",\"t_ns\":%lu,", (unsigned long)shim_since_arm_ns());
	smaps_diff_json(&sb, &at_arm, &at_exit, SMAPS_LISTED);
	sb_putc(&sb, '}');
	report_record(&sb);
}
