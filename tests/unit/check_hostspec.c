/* SPDX-License-Identifier: BSD-2-Clause */
/* check_hostspec: the host spec's items and audit.c's in its shape (src/hostspec.c), and drift (src/drift.c). */
#include <string.h>

#include "check_ptfreeze.h"
#include "drift.h"
#include "fmt.h"
#include "hostspec.h"

static const struct hostspec_item *find(const struct hostspec_item *v, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(v[i].name, name) == 0) {
			return &v[i];
		}
	}
	return NULL;
}

START_TEST(test_hostspec_every_area_and_reason)
{
	static struct hostspec_item items[HOSTSPEC_MAX_ITEMS];
	struct hostspec_target t = {.pid = 0, .pool_size = 256u << 20, .no_process_scan = true};
	int n = hostspec_judge(&t, items, HOSTSPEC_MAX_ITEMS);
	ck_assert_int_gt(n, 15);
	ck_assert_int_le(n, HOSTSPEC_MAX_ITEMS);
	static const char *const areas[] = {"memory", "cpu", "power", "timers", "rt", "limits", "faults"};
	for (size_t a = 0; a < sizeof(areas) / sizeof(areas[0]); a++) {
		bool seen = false;
		for (int i = 0; i < n; i++) {
			seen |= strcmp(items[i].area, areas[a]) == 0;
		}
		ck_assert_msg(seen, "no item in area %s", areas[a]);
	}
	for (int i = 0; i < n; i++) {
		ck_assert_msg(items[i].observed[0], "%s: nothing observed", items[i].name);
		ck_assert_msg(items[i].why[0] && items[i].expected[0], "%s: no why or expected", items[i].name);
		/* A WARN or FAIL says how to fix it; a fix given as data is also a command. */
		if (items[i].status != AUDIT_PASS) {
			ck_assert_msg(items[i].fix[0], "%s: %s without a fix", items[i].name, audit_status_name(items[i].status));
		}
		if (items[i].fix_kind != HOSTSPEC_FIX_NONE) {
			ck_assert_msg(items[i].fix_key[0] && items[i].fix[0], "%s: fix without a key", items[i].name);
		}
	}
	/* No process given: what needs one says so, and the process scan is skipped. */
	ck_assert_ptr_nonnull(strstr(find(items, n, "max-map-count")->observed, "--pid"));
	ck_assert_ptr_nonnull(strstr(find(items, n, "irqbalance")->observed, "not looked for"));
	/* A room too small is filled, never overrun. */
	struct hostspec_item few[3];
	ck_assert_int_eq(hostspec_judge(&t, few, 3), 3);
}
END_TEST

START_TEST(test_hostspec_audit_fixes_become_data)
{
	struct audit_item a = {.status = AUDIT_WARN, .name = "compaction-proactiveness", .observed = "20",
			       .fix = "echo 0 > /proc/sys/vm/compaction_proactiveness"};
	struct hostspec_item h;
	hostspec_from_audit(&a, &h);
	ck_assert_int_eq(h.fix_kind, HOSTSPEC_FIX_SYSCTL);
	ck_assert_str_eq(h.fix_key, "vm.compaction_proactiveness");
	ck_assert_str_eq(h.fix_value, "0");
	ck_assert_str_eq(h.area, "memory");
	ck_assert(h.why[0] && h.expected[0]);

	struct audit_item b = {.status = AUDIT_WARN, .name = "thp-enabled", .observed = "always",
			       .fix = "echo never > /sys/kernel/mm/transparent_hugepage/enabled"};
	hostspec_from_audit(&b, &h);
	ck_assert_int_eq(h.fix_kind, HOSTSPEC_FIX_SYSFS);
	ck_assert_str_eq(h.fix_key, "/sys/kernel/mm/transparent_hugepage/enabled");
	ck_assert_str_eq(h.fix_value, "never");

	struct audit_item c = {.status = AUDIT_FAIL, .name = "swap", .observed = "1 device", .fix = "swapoff -a"};
	hostspec_from_audit(&c, &h);
	ck_assert_int_eq(h.fix_kind, HOSTSPEC_FIX_NONE);
	ck_assert_str_eq(h.fix, "swapoff -a");

	struct audit_item d = {.status = AUDIT_PASS, .name = "memlock", .observed = "unlimited"};
	hostspec_from_audit(&d, &h);
	ck_assert_str_eq(h.area, "limits");
}
END_TEST

START_TEST(test_drift_null_until_armed_then_a_list)
{
	static char buf[DRIFT_JSON_MAX + 64];
	struct sb sb;
	sb_init(&sb, buf, sizeof(buf));
	drift_json(&sb, 16u << 20);
	ck_assert_str_eq(sb_cstr(&sb), "\"host_drift\":null");
	drift_at_arm(16u << 20);
	sb_init(&sb, buf, sizeof(buf));
	drift_json(&sb, 16u << 20);
	const char *s = sb_cstr(&sb);
	ck_assert(!sb.overflow);
	ck_assert_int_eq(strncmp(s, "\"host_drift\":[", 14), 0);
	ck_assert_int_eq(s[strlen(s) - 1], ']');
}
END_TEST

Suite *hostspec_suite(void)
{
	Suite *s = suite_create("hostspec");
	TCase *tc = tcase_create("spec");
	tcase_add_test(tc, test_hostspec_every_area_and_reason);
	tcase_add_test(tc, test_hostspec_audit_fixes_become_data);
	tcase_add_test(tc, test_drift_null_until_armed_then_a_list);
	suite_add_tcase(s, tc);
	return s;
}
