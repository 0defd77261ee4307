/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * guard: policy for page-table changes (see guard.h).  Never unwinds or
 * writes files itself; never allocates; preserves errno.
 */
#include "guard.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "capture.h"
#include "autoconf.h"
#include "config.h"
#include "kinds.h"
#include "log.h"
#include "pool.h"
#include "report.h"
#include "shim.h"
#include "suppress.h"
#include "sys.h"

#define MAX_FRAMES 128
/* At most this many first-sight lines on stderr; the report has them all. */
#define LOG_SITES_MAX 50

static _Atomic uint64_t events;
static _Atomic uint64_t events_by_kind[KIND_COUNT];
static _Atomic unsigned logged_sites;
static _Atomic uint64_t suppressed_by_kind[KIND_COUNT];

uint64_t guard_events(void) { return atomic_load(&events); }
void guard_reset(void)
{
	atomic_store(&events, 0);
	for (int k = 0; k < KIND_COUNT; k++) {
		atomic_store(&events_by_kind[k], 0);
	}
	atomic_store(&logged_sites, 0);
	for (int k = 0; k < KIND_COUNT; k++) {
		atomic_store(&suppressed_by_kind[k], 0);
	}
	suppress_reset();
}

uint64_t guard_events_of(enum kind k) { return k < KIND_COUNT ? atomic_load(&events_by_kind[k]) : 0; }

uint64_t guard_calls_of(enum kind k)
{
	return k < KIND_COUNT ? atomic_load(&events_by_kind[k]) + atomic_load(&suppressed_by_kind[k]) : 0;
}

/*
 * The site of (k, ips) and its suppression rule (*rule, 0 for none).  A
 * known site answers from its tag; a new one is matched against the rules
 * once, and tagged before any other thread can see it.  create false: a
 * site that no rule takes is not created (guard_record will, and write its
 * record).  Matching may read symbol tables from disk: first sight only.
 */
static struct site *site_for(enum kind k, uint32_t sub, const uintptr_t *ips, int n, bool create, bool *is_new,
			     unsigned *rule)
{
	*is_new = false;
	*rule = 0;
	if (!suppress_active()) {
		return create ? capture_site_sub(k, sub, ips, n, is_new) : capture_find_sub(k, sub, ips, n);
	}
	struct site *s = capture_find(k, sub, ips, n);
	if (s) {
		*rule = s->tag;
		return s;
	}
	*rule = suppress_match((int)k, ips, n);
	if (*rule == 0 && !create) {
		return NULL;
	}
	return capture_site_tagged(k, sub, ips, n, *rule, is_new);
}

/* One more call on a site at t (since arming): its first time if new, count, bytes, blocked, last time. */
static void site_add(struct site *s, bool is_new, uint64_t t, size_t bytes, bool blocked)
{
	if (is_new) {
		s->first_ns = t;
	}
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->bytes, bytes, memory_order_relaxed);
	if (blocked) {
		atomic_fetch_add_explicit(&s->blocked, 1, memory_order_relaxed);
	}
	atomic_store_explicit(&s->last_ns, t, memory_order_relaxed);
}

/* Counts a call of a suppressed site: on the site and on its rule, never as a violation. */
static void count_suppressed(enum kind k, struct site *s, bool is_new, unsigned rule, size_t bytes)
{
	uint64_t t = shim_since_arm_ns();
	atomic_fetch_add_explicit(&suppressed_by_kind[k < KIND_COUNT ? k : 0], 1, memory_order_relaxed);
	if (s) {
		site_add(s, is_new, t, bytes, false);
	}
	suppress_count(rule, is_new || s == NULL);
}

/*
 * Enters the shim (shim_busy++: the caller leaves it) and takes the
 * program's stack here, at most PTFREEZE_BACKTRACE_DEPTH and MAX_FRAMES frames.
 */
static int enter_with_stack(uintptr_t ips[MAX_FRAMES])
{
	shim_busy++;
	return capture_stack(ips, capture_depth() < MAX_FRAMES ? capture_depth() : MAX_FRAMES);
}

/* Strict mode: true (and counted) if a suppression rule takes this call's site. */
static bool suppressed_now(enum kind k)
{
	int saved = errno;
	uintptr_t ips[MAX_FRAMES];
	int n = enter_with_stack(ips);
	bool is_new;
	unsigned rule;
	struct site *s = site_for(k, 0, ips, n, false, &is_new, &rule);
	if (rule) {
		count_suppressed(k, s, is_new, rule, 0);
	}
	shim_busy--;
	errno = saved;
	return rule != 0;
}

static void (*due_hook)(void);
static void (*abort_hook)(const char *why);

void guard_set_due_hook(void (*fn)(void)) { due_hook = fn; }
void guard_set_abort_hook(void (*fn)(const char *why)) { abort_hook = fn; }

static void (*prepare_hook)(void);

void guard_set_prepare_hook(void (*fn)(void)) { prepare_hook = fn; }

void guard_prepare_now(void)
{
	if (prepare_hook) {
		prepare_hook();
	}
}

bool guard_armed(void)
{
	if (!shim_armed() && due_hook && shim_arm_due()) {
		due_hook();
	}
	return shim_arm_done();
}

enum verdict guard_verdict(enum kind k)
{
	if (config.mode == MODE_OFF || !guard_armed()) {
		return VERDICT_PASS;
	}
	if (config.mode != MODE_STRICT) {
		return VERDICT_RECORD;
	}
	/* A known, accepted violation goes ahead: the rule counts it. */
	return suppress_active() && suppressed_now(k) ? VERDICT_PASS : VERDICT_BLOCK;
}

static int record(struct event *ev, const uintptr_t *ips, int n);

void guard_record(struct event *ev)
{
	int saved = errno;
	uintptr_t ips[MAX_FRAMES];
	int n = enter_with_stack(ips);
	record(ev, ips, n);
	shim_busy--;
	if (ev->blocked && config.strict_action == STRICT_ABORT) {
		if (abort_hook) {
			abort_hook("abort");
		}
		log_msg(LOG_ERROR, "PTFREEZE_STRICT_ACTION=abort: aborting on %s", kinds_name(ev->kind));
		abort();
	}
	errno = saved;
}

int guard_record_stack(struct event *ev, const uintptr_t *ips, int n)
{
	int saved = errno;
	shim_busy++;
	int r = record(ev, ips, n);
	shim_busy--;
	errno = saved;
	return r;
}

/* Counts ev at its site, and writes and logs the site on first sight.  Inside shim_busy. */
static int record(struct event *ev, const uintptr_t *ips, int n)
{
	bool is_new = false;
	unsigned rule;
	struct site *s = site_for(ev->kind, ev->sub, ips, n, !ev->no_new_site, &is_new, &rule);
	if (rule) {
		/* Counted, not logged: no record, no line, not a violation. */
		count_suppressed(ev->kind, s, is_new, rule, ev->bytes);
		return s == NULL ? -1 : is_new ? 1 : 0;
	}
	uint64_t t = shim_since_arm_ns();
	atomic_fetch_add_explicit(&events, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&events_by_kind[ev->kind < KIND_COUNT ? ev->kind : 0], 1, memory_order_relaxed);
	if (s) {
		site_add(s, is_new, t, ev->bytes, ev->blocked);
	}
	if (is_new && ev->kind == KIND_PAGE_FAULT) {
		/* Faults can be many: their lines are for -v, and leave the cap to the calls. */
		report_site(s, ev, sys_gettid(), t);
		if (config.log_stderr) {
			log_msg(LOG_INFO, "recorded page-fault after arming at %p: %s (site %u)", n ? (void *)(ips[0] - 1) : NULL,
				ev->cls ? ev->cls : "?", s->id);
		}
	} else if (is_new) {
		report_site(s, ev, sys_gettid(), t);
		if (config.log_stderr && atomic_fetch_add(&logged_sites, 1) < LOG_SITES_MAX) {
			log_msg(LOG_WARN, "%s %s %s at %p%s%s (site %u%s%s)",
				ev->blocked ? "blocked"
				: config.mode == MODE_WOULD_BLOCK && kinds_refusable(ev->kind) ? "would block"
												       : "recorded",
				kinds_name(ev->kind), shim_armed_at() ? "after arming" : "during start-up",
				n ? (void *)ips[0] : NULL, ev->detail ? ": " : "",
				ev->detail ? ev->detail : "", s->id, report_enabled() ? ", report " : "",
				report_enabled() ? report_path() : "");
		}
	}
	return s == NULL ? -1 : is_new ? 1 : 0;
}

bool guard_pool_exhausted_in_allocator(size_t need, const char *who)
{
	/* A stack captured here must not allocate: the arena's lock is held. */
	capture_inside_allocator(true);
	bool grown = guard_pool_exhausted(need, who);
	capture_inside_allocator(false);
	return grown;
}

bool guard_pool_exhausted(size_t need, const char *who)
{
	bool armed = config.mode != MODE_OFF && guard_armed();
	/* Strict mode refuses, unless a suppression rule takes the site (counted here). */
	bool taken = armed && config.mode == MODE_STRICT && suppress_active() && suppressed_now(KIND_POOL_EXHAUSTED);
	if (armed && config.mode == MODE_STRICT && !taken) {
		struct event ev = {.kind = KIND_POOL_EXHAUSTED, .args = {need}, .detail = who, .bytes = need,
				   .result = -ENOMEM, .blocked = true};
		guard_record(&ev);
		return false;
	}
	/*
	 * During start-up grow geometrically (a quarter of the pool at least):
	 * the working set is still being built, and the slack absorbs the
	 * fragmentation of the steady state so it needs no growth after arming.
	 */
	size_t step = config.pool_grow;
	if (!armed && step && step < pool_size() / 4) {
		step = pool_size() / 4;
	}
	int r = pool_grow(need, step, !armed);
	report_pool_grow(need, r, armed, who);
	/* Not for the shim's own allocations: its stack capture may allocate, and this thread may be in a hook. */
	if (armed && !taken && !shim_busy) {
		struct event ev = {.kind = KIND_POOL_EXHAUSTED, .args = {need}, .detail = who, .bytes = need, .result = r};
		guard_record(&ev);
	} else if (r == 0) {
		log_msg(LOG_INFO, "pool grew by at least %zu bytes for %s (now %zu)", need, who, pool_size());
	}
	if (r != 0) {
		log_msg(LOG_WARN, "pool exhausted and cannot grow (PTFREEZE_POOL_GROW=%zu): %zu bytes for %s refused",
			config.pool_grow, need, who);
	}
	return r == 0;
}
