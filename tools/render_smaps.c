/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * render_smaps: a smaps-diff record as text (see render_smaps.h).
 */
#include "render_smaps.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "reportfile.h"

/* "+1.5M", "-2M", "0": a signed size. */
static const char *delta(long long v, char *buf, size_t cap)
{
	if (v == 0 || cap < 2) {
		snprintf(buf, cap, "0");
		return buf;
	}
	buf[0] = v < 0 ? '-' : '+';
	cli_size((uint64_t)(v < 0 ? -v : v), buf + 1, cap - 1);
	return buf;
}

static long long pair_delta(const json_t *totals, const char *key)
{
	return reportfile_get_int(json_object_get(totals, key), "delta", 0);
}

static void mapping(FILE *out, char mark, const json_t *m)
{
	char sz[32], r[32];
	const char *name = reportfile_get_str(m, "name");
	fprintf(out, "    %c %s-%s %7s %-4s %s%s", mark, reportfile_get_str(m, "start") ? reportfile_get_str(m, "start") : "?",
		reportfile_get_str(m, "end") ? reportfile_get_str(m, "end") : "?",
		cli_size((uint64_t)reportfile_get_int(m, "size", 0), sz, sizeof(sz)),
		reportfile_get_str(m, "perms") ? reportfile_get_str(m, "perms") : "?", name && *name ? name : "[anon]",
		json_is_true(json_object_get(m, "pool")) ? " (pool)" : "");
	if (mark == '~') {
		long long old = reportfile_get_int(m, "old_size", 0), now = reportfile_get_int(m, "size", 0);
		const char *op = reportfile_get_str(m, "old_perms"), *np = reportfile_get_str(m, "perms");
		fprintf(out, ": RSS %s", delta(reportfile_get_int(m, "rss_delta", 0), r, sizeof(r)));
		if (old != now) {
			fprintf(out, ", size %s", delta(now - old, r, sizeof(r)));
		}
		if (op && np && strcmp(op, np) != 0) {
			fprintf(out, ", perms were %s", op);
		}
		long long ah = reportfile_get_int(m, "anon_huge_delta", 0), ht = reportfile_get_int(m, "hugetlb_delta", 0);
		if (ah) {
			fprintf(out, ", %s huge pages (THP %s)", ah < 0 ? "lost" : "gained", delta(ah, r, sizeof(r)));
		}
		if (ht) {
			fprintf(out, ", %s huge pages (hugetlb %s)", ht < 0 ? "lost" : "gained", delta(ht, r, sizeof(r)));
		}
		if (reportfile_get_int(m, "locked_delta", 0)) {
			fprintf(out, ", locked %s", delta(reportfile_get_int(m, "locked_delta", 0), r, sizeof(r)));
		}
	} else {
		fprintf(out, ", RSS %s", cli_size((uint64_t)reportfile_get_int(m, "rss", 0), r, sizeof(r)));
		if (reportfile_get_int(m, "anon_huge", 0) + reportfile_get_int(m, "hugetlb", 0) > 0) {
			fprintf(out, ", %s on huge pages",
				cli_size((uint64_t)(reportfile_get_int(m, "anon_huge", 0) + reportfile_get_int(m, "hugetlb", 0)), r,
					 sizeof(r)));
		}
	}
	fputc('\n', out);
}

static void list(FILE *out, char mark, const json_t *arr, long long count, size_t listed)
{
	size_t n = json_array_size(arr), shown = listed && listed < n ? listed : n;
	for (size_t i = 0; i < shown; i++) {
		mapping(out, mark, json_array_get(arr, i));
	}
	if ((long long)shown < count) {
		fprintf(out, "    %c … %lld more not listed\n", mark, count - (long long)shown);
	}
}

void render_smaps_text(FILE *out, const json_t *diff, size_t listed)
{
	char a[32], b[32], c[32], d[32];
	if (!json_is_object(diff)) {
		return;
	}
	const json_t *t = json_object_get(diff, "totals"), *pool = json_object_get(diff, "pool");
	long long added = reportfile_get_int(diff, "added_count", 0), removed = reportfile_get_int(diff, "removed_count", 0),
		  changed = reportfile_get_int(diff, "changed_count", 0);
	fprintf(out, "  since arm   RSS %s, huge pages %s THP %s hugetlb, mapped %s: %lld mapping%s added, %lld removed, %lld changed%s\n",
		delta(pair_delta(t, "rss"), a, sizeof(a)), delta(pair_delta(t, "anon_huge"), b, sizeof(b)),
		delta(pair_delta(t, "hugetlb"), c, sizeof(c)), delta(pair_delta(t, "size"), d, sizeof(d)), added,
		added == 1 ? "" : "s", removed, changed,
		json_is_true(json_object_get(diff, "truncated")) ? " (smaps cut: too many mappings)" : "");
	if (json_is_object(pool)) {
		fprintf(out, "              pool: %lld region%s (%s), RSS %s, huge pages %s THP %s hugetlb\n",
			reportfile_get_int(pool, "regions_at_exit", 0), reportfile_get_int(pool, "regions_at_exit", 0) == 1 ? "" : "s",
			json_is_true(json_object_get(pool, "named")) ? "named ptfreeze-pool in /proc/PID/maps"
								     : "recognised by address: this kernel does not name anonymous mappings",
			delta(pair_delta(pool, "rss"), a, sizeof(a)), delta(pair_delta(pool, "anon_huge"), b, sizeof(b)),
			delta(pair_delta(pool, "hugetlb"), c, sizeof(c)));
	}
	list(out, '+', json_object_get(diff, "added"), added, listed);
	list(out, '-', json_object_get(diff, "removed"), removed, listed);
	list(out, '~', json_object_get(diff, "changed"), changed, listed);
}
