/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_smaps: the smaps parser and differ (src/smaps.c): fields read from
 * the kernel's format (hugetlb counted from both Shared_ and Private_),
 * names with spaces kept, a table that fills up marked truncated, the real
 * /proc/self/smaps read sorted; the diff lists added, removed, changed and
 * replaced mappings, skips unchanged ones, keeps full counts when the lists
 * are capped, and is valid JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_ptfreeze.h"
#include "smaps.h"

static const char sample[] =
	"00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/some program\n"
	"Size:                328 kB\n"
	"Rss:                 300 kB\n"
	"AnonHugePages:         0 kB\n"
	"Shared_Hugetlb:        0 kB\n"
	"Private_Hugetlb:       0 kB\n"
	"Locked:                0 kB\n"
	"VmFlags: rd ex mr mw me dw\n"
	"7f0000000000-7f0000400000 rw-p 00000000 00:00 0 \n"
	"Size:               4096 kB\n"
	"Rss:                4096 kB\n"
	"AnonHugePages:      2048 kB\n"
	"Locked:                8 kB\n"
	"THPeligible:    1\n"
	"7f0000600000-7f0000a00000 rw-s 00000000 00:0f 12    /anon_hugepage (deleted)\n"
	"Rss:                   0 kB\n"
	"Shared_Hugetlb:     2048 kB\n"
	"Private_Hugetlb:    2048 kB\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
	"Rss:                  12 kB\n";

static void parse_text(struct smaps_table *t, const char *text)
{
	char *copy = strdup(text), *save = NULL;
	ck_assert_ptr_nonnull(copy);
	smaps_clear(t);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		smaps_parse_line(t, l);
	}
	free(copy);
}

static struct smap storage_a[16], storage_b[16];

START_TEST(test_smaps_parses_the_kernel_format)
{
	struct smaps_table t = {.v = storage_a, .cap = 16};
	parse_text(&t, sample);
	ck_assert_uint_eq(t.n, 4);
	ck_assert(!t.truncated);
	ck_assert_uint_eq(t.v[0].start, 0x400000);
	ck_assert_uint_eq(t.v[0].end, 0x452000);
	ck_assert_str_eq(t.v[0].perms, "r-xp");
	ck_assert_str_eq(t.v[0].name, "/usr/bin/some program");
	ck_assert_uint_eq(t.v[0].rss_kb, 300);
	ck_assert_str_eq(t.v[1].name, "");
	ck_assert_uint_eq(t.v[1].anon_huge_kb, 2048);
	ck_assert_uint_eq(t.v[1].locked_kb, 8);
	ck_assert_str_eq(t.v[2].name, "/anon_hugepage (deleted)");
	ck_assert_uint_eq(t.v[2].hugetlb_kb, 4096);
	ck_assert_str_eq(t.v[2].perms, "rw-s");
	ck_assert_str_eq(t.v[3].name, "[stack]");
	ck_assert_uint_eq(t.v[3].rss_kb, 12);
}
END_TEST

START_TEST(test_smaps_marks_a_full_table_truncated)
{
	struct smaps_table t = {.v = storage_a, .cap = 2};
	parse_text(&t, sample);
	ck_assert_uint_eq(t.n, 2);
	ck_assert(t.truncated);
	/* The fields of mappings that did not fit do not land on the last one kept. */
	ck_assert_uint_eq(t.v[1].rss_kb, 4096);
	ck_assert_uint_eq(t.v[1].hugetlb_kb, 0);
}
END_TEST

START_TEST(test_smaps_cuts_a_long_name)
{
	struct smaps_table t = {.v = storage_a, .cap = 16};
	char line[400];
	memset(line, 0, sizeof(line));
	strcpy(line, "1000-2000 r--p 00000000 00:00 0 /");
	memset(line + strlen(line), 'n', 300);
	smaps_parse_line(&t, line);
	ck_assert_uint_eq(t.n, 1);
	ck_assert_uint_eq(strlen(t.v[0].name), SMAPS_NAME_MAX - 1);
}
END_TEST

START_TEST(test_smaps_reads_proc_self_sorted)
{
	static struct smap big[SMAPS_MAX];
	struct smaps_table t = {.v = big, .cap = SMAPS_MAX};
	ck_assert_int_eq(smaps_read(&t, "/proc/self/smaps"), 0);
	ck_assert_uint_gt(t.n, 5);
	bool stack = false;
	uint64_t rss = 0;
	for (size_t i = 0; i < t.n; i++) {
		ck_assert_uint_lt(t.v[i].start, t.v[i].end);
		if (i) {
			ck_assert_uint_le(t.v[i - 1].end, t.v[i].start);
		}
		stack |= strcmp(t.v[i].name, "[stack]") == 0;
		rss += t.v[i].rss_kb;
	}
	ck_assert(stack);
	ck_assert_uint_gt(rss, 0);
	ck_assert_int_lt(smaps_read(&t, "/proc/self/no-such-file"), 0);
}
END_TEST

static struct smap M(uint64_t s, uint64_t e, const char *perms, const char *name, uint32_t rss)
{
	struct smap m;
	memset(&m, 0, sizeof(m));
	m.start = s;
	m.end = e;
	strcpy(m.perms, perms);
	strcpy(m.name, name);
	m.rss_kb = rss;
	return m;
}

static char out[65536];

static const char *diff(const struct smaps_table *a, const struct smaps_table *b, size_t listed)
{
	struct sb sb;
	sb_init(&sb, out, sizeof(out) - 2);
	sb_putc(&sb, '{');
	smaps_diff_json(&sb, a, b, listed);
	sb_putc(&sb, '}');
	ck_assert(!sb.overflow);
	sb_cstr(&sb);
	ck_assert_msg(unit_json_valid(out, strlen(out)), "not JSON: %s", out);
	return out;
}

/* The JSON text of list `key` (up to its closing bracket). */
static char *list_of(const char *doc, const char *key)
{
	char k[64];
	snprintf(k, sizeof(k), "\"%s\":[", key);
	const char *p = strstr(doc, k);
	ck_assert_msg(p != NULL, "no %s in %s", key, doc);
	p += strlen(k);
	/* Names can hold brackets ("[heap]"): the list ends at "]," or "]}". */
	const char *e = strstr(p, "],\""), *e2 = strstr(p, "]}");
	if (!e || (e2 && e2 < e)) {
		e = e2;
	}
	ck_assert_ptr_nonnull(e);
	return strndup(p, (size_t)(e - p));
}

START_TEST(test_smaps_diff_lists_added_removed_changed)
{
	struct smaps_table a = {.v = storage_a, .cap = 16}, b = {.v = storage_b, .cap = 16};
	a.v[a.n++] = M(0x1000, 0x3000, "r-xp", "/bin/prog", 8);
	a.v[a.n++] = M(0x10000, 0x20000, "rw-p", "", 4);        /* grows */
	a.v[a.n++] = M(0x30000, 0x31000, "rw-s", "/dev/zero (deleted)", 4); /* removed */
	a.v[a.n++] = M(0x40000, 0x50000, "rw-p", "[heap]", 64); /* replaced in place */
	a.v[a.n++] = M(0x60000, 0x70000, "rw-p", "", 64);       /* loses huge pages */
	a.v[4].anon_huge_kb = 64;
	b.v[b.n++] = M(0x1000, 0x3000, "r-xp", "/bin/prog", 8); /* unchanged */
	b.v[b.n++] = M(0x10000, 0x30000, "rw-p", "", 40);
	b.v[b.n++] = M(0x40000, 0x50000, "rw-p", "/data/file", 16);
	b.v[b.n++] = M(0x60000, 0x70000, "r--p", "", 64);
	b.v[b.n++] = M(0x80000, 0x90000, "r--p", "/new/lib.so", 16); /* added */
	const char *doc = diff(&a, &b, 100);
	ck_assert_ptr_nonnull(strstr(doc, "\"added_count\":2,\"removed_count\":2,\"changed_count\":2"));
	char *added = list_of(doc, "added"), *removed = list_of(doc, "removed"), *changed = list_of(doc, "changed");
	ck_assert_ptr_nonnull(strstr(added, "\"name\":\"/new/lib.so\""));
	ck_assert_ptr_nonnull(strstr(added, "\"name\":\"/data/file\""));
	ck_assert_ptr_nonnull(strstr(removed, "\"name\":\"/dev/zero (deleted)\",\"pool\":false,\"rss\":4096"));
	ck_assert_ptr_nonnull(strstr(removed, "\"name\":\"[heap]\""));
	ck_assert_ptr_nonnull(strstr(changed, "\"start\":\"0x10000\",\"end\":\"0x30000\",\"size\":131072,\"old_size\":65536"));
	ck_assert_ptr_nonnull(strstr(changed, "\"rss_delta\":36864"));
	ck_assert_ptr_nonnull(strstr(changed, "\"perms\":\"r--p\",\"old_perms\":\"rw-p\""));
	ck_assert_ptr_nonnull(strstr(changed, "\"anon_huge_delta\":-65536"));
	ck_assert_ptr_null(strstr(doc, "/bin/prog"));
	/* RSS: 8+4+4+64+64 = 144 kB then 8+40+16+64+16 = 144 kB. */
	ck_assert_ptr_nonnull(strstr(doc, "\"rss\":{\"at_arm\":147456,\"at_exit\":147456,\"delta\":0}"));
	ck_assert_ptr_nonnull(strstr(doc, "\"anon_huge\":{\"at_arm\":65536,\"at_exit\":0,\"delta\":-65536}"));
	ck_assert_ptr_nonnull(strstr(doc, "\"truncated\":false"));
	free(added);
	free(removed);
	free(changed);
}
END_TEST

START_TEST(test_smaps_diff_caps_lists_not_counts)
{
	struct smaps_table a = {.v = storage_a, .cap = 16}, b = {.v = storage_b, .cap = 16};
	for (int i = 0; i < 10; i++) {
		b.v[b.n++] = M(0x1000u * (uint64_t)(i + 1), 0x1000u * (uint64_t)(i + 1) + 0x800, "rw-p", "x", 1);
	}
	b.truncated = true;
	const char *doc = diff(&a, &b, 3);
	ck_assert_ptr_nonnull(strstr(doc, "\"added_count\":10"));
	ck_assert_ptr_nonnull(strstr(doc, "\"truncated\":true"));
	char *added = list_of(doc, "added");
	int n = 0;
	for (const char *p = added; (p = strstr(p, "\"start\"")); p++) {
		n++;
	}
	ck_assert_int_eq(n, 3);
	free(added);
}
END_TEST

START_TEST(test_smaps_diff_of_identical_tables_is_empty)
{
	struct smaps_table a = {.v = storage_a, .cap = 16};
	parse_text(&a, sample);
	const char *doc = diff(&a, &a, 100);
	ck_assert_ptr_nonnull(strstr(doc, "\"added_count\":0,\"removed_count\":0,\"changed_count\":0"));
	ck_assert_ptr_nonnull(strstr(doc, "\"added\":[],\"removed\":[],\"changed\":[]"));
	ck_assert_ptr_nonnull(strstr(doc, "\"hugetlb\":{\"at_arm\":4194304,\"at_exit\":4194304,\"delta\":0}"));
}
END_TEST

Suite *smaps_suite(void)
{
	Suite *s = suite_create("smaps");
	TCase *tc = tcase_create("smaps");
	tcase_add_test(tc, test_smaps_parses_the_kernel_format);
	tcase_add_test(tc, test_smaps_marks_a_full_table_truncated);
	tcase_add_test(tc, test_smaps_cuts_a_long_name);
	tcase_add_test(tc, test_smaps_reads_proc_self_sorted);
	tcase_add_test(tc, test_smaps_diff_lists_added_removed_changed);
	tcase_add_test(tc, test_smaps_diff_caps_lists_not_counts);
	tcase_add_test(tc, test_smaps_diff_of_identical_tables_is_empty);
	suite_add_tcase(s, tc);
	return s;
}
