/* SPDX-License-Identifier: BSD-2-Clause */
/* drift: host settings at arming against those at exit (see drift.h). */
#include "drift.h"

#include <stdbool.h>
#include <string.h>

#include "hostspec.h"

struct snapshot {
	bool taken;
	int n;
	struct hostspec_item items[HOSTSPEC_ALL_ITEMS];
};

static struct snapshot at_arm, at_exit;

static void take(struct snapshot *s, size_t pool_size)
{
	/* No scan of every process's name at arming: that is ptfreeze check's job. */
	struct hostspec_target t = {.pid = 0, .pool_size = pool_size, .no_process_scan = true};
	int n = hostspec_judge_all(&t, s->items, HOSTSPEC_ALL_ITEMS);
	s->n = n > 0 ? n : 0;
	s->taken = true;
}

void drift_at_arm(size_t pool_size)
{
	memset(&at_exit, 0, sizeof(at_exit)); /* its pages now, not at exit */
	take(&at_arm, pool_size);
}

static const struct hostspec_item *find(const struct snapshot *s, const char *name)
{
	for (int i = 0; i < s->n; i++) {
		if (strcmp(s->items[i].name, name) == 0) {
			return &s->items[i];
		}
	}
	return NULL;
}

static void put_reading(struct sb *sb, const struct hostspec_item *it)
{
	sb_printf(sb, "{\"status\":\"%s\",\"observed\":", it ? audit_status_name(it->status) : "absent");
	if (it) {
		sb_json(sb, it->observed, strlen(it->observed));
	} else {
		sb_puts(sb, "null");
	}
	sb_putc(sb, '}');
}

void drift_json(struct sb *sb, size_t pool_size)
{
	sb_puts(sb, "\"host_drift\":");
	if (!at_arm.taken) {
		sb_puts(sb, "null");
		return;
	}
	take(&at_exit, pool_size);
	sb_putc(sb, '[');
	bool first = true;
	for (int pass = 0; pass < 2; pass++) {
		/* Items of the arming snapshot, then those only the exit has. */
		const struct snapshot *s = pass ? &at_exit : &at_arm;
		for (int i = 0; i < s->n; i++) {
			const struct hostspec_item *it = &s->items[i];
			const struct hostspec_item *a = find(&at_arm, it->name), *e = find(&at_exit, it->name);
			if ((pass && a) || (a && e && a->status == e->status && strcmp(a->observed, e->observed) == 0)) {
				continue;
			}
			sb_puts(sb, first ? "{\"item\":" : ",{\"item\":");
			first = false;
			sb_json(sb, it->name, strlen(it->name));
			sb_printf(sb, ",\"area\":\"%s\",\"at_arm\":", it->area);
			put_reading(sb, a);
			sb_puts(sb, ",\"at_exit\":");
			put_reading(sb, e);
			sb_putc(sb, '}');
		}
	}
	sb_putc(sb, ']');
}
