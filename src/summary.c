/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the exit summary record (see summary.h).  It gathers what every
 * module counted; the report file only writes it (report_summary_begin/end).
 */
#include "summary.h"

#include <sys/resource.h>

#include "arena.h"
#include "audit.h"
#include "backstop.h"
#include "capture.h"
#include "config.h"
#include "drift.h"
#include "faults.h"
#include "front.h"
#include "fmt.h"
#include "guard.h"
#include "kinds.h"
#include "phase.h"
#include "pmap.h"
#include "pool.h"
#include "report.h"
#include "shim.h"
#include "smaps.h"
#include "spare.h"
#include "spans.h"
#include "suppress.h"
#include "sys.h"
#include "tstack.h"

void summary_write(const char *why)
{
	struct sb sb;
	/* Exiting while a trigger completes the start-up work: the process chose to arm, so it leaves a report. */
	bool unfinished = phase_arming_unfinished();
	if (unfinished) {
		(void)report_create();
	}
	if (!report_summary_begin(&sb)) {
		return;
	}
	faults_stop(); /* the samples still in the rings, before the counts are written */
	phase_settle();
	smaps_report(); /* before the summary: a reader that stops at the summary still has it */
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	long bmin = 0, bmaj = 0;
	phase_fault_baseline(&bmin, &bmaj);
	bool armed = shim_armed_at() != 0;
	pool_measure();
	sb_printf(&sb, "{\"type\":\"summary\",\"why\":\"%s\",\"unix_ns\":%lu,\"armed\":%s,\"armed_ns\":%lu,\"how\":", why,
		  (unsigned long)sys_wall_ns(), armed ? "true" : "false", (unsigned long)shim_since_arm_ns());
	if (phase_how()) {
		report_put_str(&sb, phase_how());
	} else {
		sb_puts(&sb, "null");
	}
	if (unfinished && !armed) {
		sb_puts(&sb, ",\"arming\":\"unfinished\"");
	}
	sb_puts(&sb, ",\"faults_armed\":");
	if (armed && bmin >= 0) {
		report_put_faults(&sb, ru.ru_minflt - bmin, ru.ru_majflt - bmaj);
	} else {
		sb_puts(&sb, "null");
	}
	sb_puts(&sb, ",\"faults_total\":");
	report_put_faults(&sb, ru.ru_minflt, ru.ru_majflt);
	sb_puts(&sb, ",\"sites\":[");
	size_t k = 0;
	for (size_t i = 0; i < capture_capacity(); i++) {
		const struct site *s = capture_site_at(i);
		if (!s || s->tag) { /* suppressed: counted under "suppressed" */
			continue;
		}
		sb_printf(&sb, "%s{\"id\":%u,\"kind\":\"%s\",\"count\":%lu,\"blocked\":%lu,\"bytes\":%lu,\"first_ns\":%lu,\"last_ns\":%lu}",
			  k++ ? "," : "", s->id, kinds_name((enum kind)s->kind), (unsigned long)atomic_load(&s->count),
			  (unsigned long)atomic_load(&s->blocked), (unsigned long)atomic_load(&s->bytes),
			  (unsigned long)s->first_ns, (unsigned long)atomic_load(&s->last_ns));
	}
	sb_printf(&sb, "],\"events\":%lu,\"events_by_kind\":{", (unsigned long)guard_events());
	for (int kd = 0, n = 0; kd < KIND_COUNT; kd++) {
		uint64_t c = guard_events_of((enum kind)kd);
		if (c) {
			sb_printf(&sb, "%s\"%s\":%lu", n++ ? "," : "", kinds_name((enum kind)kd), (unsigned long)c);
		}
	}
	long tlb_now = audit_tlb_shootdowns(), tlb_arm = phase_tlb_baseline();
	/* Calls of this process that can cause shootdowns (suppressed ones too), beside the system-wide count. */
	uint64_t own = 0;
	for (int kd = 0; kd < KIND_COUNT; kd++) {
		own += kinds_shoots_down((enum kind)kd) ? guard_calls_of((enum kind)kd) : 0;
	}
	sb_printf(&sb, "},\"tlb_shootdowns\":{\"scope\":\"system\",\"at_arm\":%ld,\"at_exit\":%ld,\"during_armed\":%ld,"
		       "\"own_calls_that_can_shoot_down\":%lu}",
		  tlb_arm, tlb_now, armed && tlb_arm >= 0 && tlb_now >= 0 ? tlb_now - tlb_arm : -1L, (unsigned long)own);
	sb_puts(&sb, ",\"suppressed\":");
	suppress_json(&sb);
	sb_printf(&sb, ",\"backstop\":\"%s\"", !config.seccomp ? "off" : backstop_installed() ? "installed" : "not-installed");
	sb_puts(&sb, ",\"page_faults\":");
	faults_json(&sb);
	sb_printf(&sb, ",\"dropped_sites\":%lu,\"pool\":", (unsigned long)capture_dropped());
	report_put_pool(&sb);
	sb_printf(&sb, ",\"pool_used\":%zu,\"served_mmap_bytes\":%zu,\"served_free_bytes\":%zu,\"dropped_records\":%lu,\"thread_stacks\":",
		  pool_used(), pmap_served_bytes(), pmap_free_bytes(), (unsigned long)report_dropped_records());
	tstack_json(&sb, true);
	sb_printf(&sb, ",\"front_pages\":{\"used\":%zu,\"total\":%zu,\"given_back\":%zu,\"heaps\":%zu},",
		  front_pages_used(), front_pages_total(), front_pages_given_back(), front_heaps());
	sb_printf(&sb, "\"spans\":{\"chunks\":%zu,\"used\":%zu},", spans_chunks(), spans_used());
	sb_printf(&sb, "\"spare\":{\"bytes\":%zu,\"reclaims\":%lu},", spare_bytes(), arena_reclaims());
	drift_json(&sb, config.pool_size);
	sb_putc(&sb, '}');
	report_summary_end(&sb);
}
