/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * render_text: the text output of `ptfreeze report` and `ptfreeze run`'s
 * brief (see render.h).  The layout is for a person at a terminal: what
 * each process was (pool, arming, faults, host), then the sites, most
 * important first, then where each came from.
 */
#include "render.h"
#include "render_smaps.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "cli.h"
#include "kinds.h"
#include "suppressions.h"

/*
 * What the host refused the pool: huge pages asked for but not had, mlock
 * refused.  Nothing when it got what it asked for.
 */
static void render_pool_faults(FILE *out, const json_t *pool)
{
	const char *req = reportfile_get_str(pool, "requested"), *got = reportfile_get_str(pool, "backing");
	for (int b = 0; req && got && b < BACKING_COUNT; b++) {
		const char *want = kinds_backing_name((enum backing)b);
		if (strcmp(req, kinds_backing_asked((enum backing)b)) == 0 && strcmp(got, want) != 0) {
			fprintf(out, "              PTFREEZE_HUGEPAGES=%s asked for %s; the host gave %s\n", req, want, got);
		}
	}
	const char *ml = reportfile_get_str(pool, "mlock");
	if (ml && (strcmp(ml, "refused") == 0 || strcmp(ml, "partly") == 0)) {
		fprintf(out, "              PTFREEZE_MLOCK=1: mlock %s (RLIMIT_MEMLOCK or CAP_IPC_LOCK): the pool can be swapped out\n",
			strcmp(ml, "refused") == 0 ? "refused" : "refused for part of the pool");
	}
}

/*
 * The events line: what the sites shown hold, then what is not shown.
 * Every figure is a sum over the same sites, so the line cannot contradict
 * itself; events past PTFREEZE_MAX_SITES have no site and are added apart.
 */
static void text_events(FILE *out, const struct rf_process *p)
{
	unsigned long long all = 0, faults = 0, late = 0;
	size_t fault_sites = 0, late_sites = 0;
	for (size_t i = 0; i < p->nsites; i++) {
		all += p->sites[i].count;
		if (strcmp(p->sites[i].kind, kinds_name(KIND_PAGE_FAULT)) == 0) {
			faults += p->sites[i].count;
			fault_sites++;
		}
		if (p->sites[i].after_summary) {
			late += p->sites[i].count;
			late_sites++;
		}
	}
	fprintf(out, "  events      %llu at %zu site%s", all, p->nsites, p->nsites == 1 ? "" : "s");
	if (fault_sites) {
		fprintf(out, ": %llu call%s at %zu site%s, %llu page fault%s (not violations) at %zu site%s", all - faults,
			all - faults == 1 ? "" : "s", p->nsites - fault_sites, p->nsites - fault_sites == 1 ? "" : "s", faults,
			faults == 1 ? "" : "s", fault_sites, fault_sites == 1 ? "" : "s");
	}
	long long beyond = reportfile_get_int(p->summary, "dropped_sites", 0);
	if (beyond > 0) {
		fprintf(out, "; %lld more at new sites beyond PTFREEZE_MAX_SITES (no site, not shown)", beyond);
	}
	if (late_sites) {
		fprintf(out, "; %zu site%s first seen after the exit summary (a destructor or atexit handler), counted once",
			late_sites, late_sites == 1 ? "" : "s");
	}
	if (reportfile_get_int(p->summary, "dropped_records", 0) > 0) {
		fprintf(out, "; %lld records the report file could not hold were dropped",
			reportfile_get_int(p->summary, "dropped_records", 0));
	}
	fputc('\n', out);
}

/* The host settings that changed between arming and exit (the summary's host_drift). */
static void text_drift(FILE *out, const struct rf_process *p)
{
	const json_t *d = json_object_get(p->summary, "host_drift");
	if (!json_is_array(d)) {
		return;
	}
	size_t n = json_array_size(d), i;
	if (n == 0) {
		fputs("  host        its settings did not change between arming and exit\n", out);
		return;
	}
	fprintf(out, "  host        %zu setting%s changed while armed:\n", n, n == 1 ? "" : "s");
	const json_t *c;
	json_array_foreach(d, i, c)
	{
		const json_t *a = json_object_get(c, "at_arm"), *e = json_object_get(c, "at_exit");
		const char *ao = reportfile_get_str(a, "observed"), *eo = reportfile_get_str(e, "observed");
		fprintf(out, "              %s (%s): %s %s -> %s %s\n", reportfile_get_str(c, "item"),
			reportfile_get_str(c, "area"), reportfile_get_str(a, "status"), ao ? ao : "-",
			reportfile_get_str(e, "status"), eo ? eo : "-");
	}
}

/* How many processes saw their host's settings change while armed. */
static size_t drifted(const struct rf_set *set)
{
	size_t n = 0;
	for (size_t i = 0; i < set->nprocs; i++) {
		const json_t *d = set->procs[i]->summary ? json_object_get(set->procs[i]->summary, "host_drift") : NULL;
		n += json_is_array(d) && json_array_size(d) > 0;
	}
	return n;
}

static void text_sampling(FILE *out, const struct rf_process *p)
{
	const json_t *pf = render_sampling_of(p);
	const char *st = pf ? reportfile_get_str(pf, "sampling") : NULL;
	if (st == NULL) {
		return;
	}
	if (strcmp(st, "on") == 0) {
		fprintf(out, "  sampling    page faults sampled with stacks on %lld thread%s at arming (and threads made later): "
			     "%lld recorded",
			reportfile_get_int(pf, "threads", 0), reportfile_get_int(pf, "threads", 0) == 1 ? "" : "s",
			reportfile_get_int(pf, "recorded", 0));
		if (reportfile_get_int(pf, "in_shim", 0) > 0) {
			fprintf(out, ", %lld in ptfreeze's own %s", reportfile_get_int(pf, "in_shim", 0),
				reportfile_get_str(pf, "method") ? "sampler thread" : "recording");
		}
		if (reportfile_get_int(pf, "unsited", 0) > 0) {
			fprintf(out, ", %lld at new sites beyond their share (half of PTFREEZE_MAX_SITES)",
				reportfile_get_int(pf, "unsited", 0));
		}
		if (reportfile_get_int(pf, "late", 0) > 0) {
			fprintf(out, ", %lld with SIGTRAP blocked (not attributed)", reportfile_get_int(pf, "late", 0));
		}
		if (reportfile_get_int(pf, "lost", 0) > 0) {
			fprintf(out, ", %lld lost (a full ring buffer: counted, not attributed)", reportfile_get_int(pf, "lost", 0));
		}
		if (reportfile_get_int(pf, "counted", 0) > 0) {
			fprintf(out, "; %lld counted in all", reportfile_get_int(pf, "counted", 0));
		}
		fputc('\n', out);
	} else if (strcmp(st, "off") == 0 && !render_was_armed(p)) {
		fputs("  sampling    page faults not sampled: the process was never armed\n", out);
	} else if (strcmp(st, "off") == 0) {
		fputs("  sampling    page faults not sampled (PTFREEZE_FAULTS=off or mode off): counts only\n", out);
	} else {
		const char *en = reportfile_get_str(pf, "errno");
		long long par = reportfile_get_int(pf, "perf_event_paranoid", -100);
		fprintf(out, "  sampling    page faults not sampled: perf_event_open %s (%s", strcmp(st, "refused") == 0 ? "refused" : "unavailable",
			en ? en : "?");
		if (par > -100) {
			fprintf(out, ", perf_event_paranoid=%lld", par);
		}
		fputs("): counts only\n", out);
	}
}

/* ---- text ---- */

static void host_brief(FILE *out, const json_t *host)
{
	if (!json_is_object(host)) {
		fputs("  host        not recorded\n", out);
		return;
	}
	char mem[32];
	long long swaps = reportfile_get_int(host, "swap_devices", -1);
	const char *thp = reportfile_get_str(host, "thp_enabled"), *defrag = reportfile_get_str(host, "thp_defrag");
	json_t *khp = json_object_get(host, "khugepaged_running");
	json_t *hp2 = json_object_get(host, "hugepages_2m"), *hp1 = json_object_get(host, "hugepages_1g");
	json_t *ml = json_object_get(host, "memlock_limit");
	fprintf(out, "  host        swap %s, THP %s (defrag %s)%s, KSM %s, NUMA balancing %s\n",
		swaps < 0 ? "?" : swaps == 0 ? "off" : "on", thp ? thp : "?", defrag ? defrag : "?",
		json_is_true(khp) ? ", khugepaged running" : json_is_false(khp) ? ", no khugepaged" : "",
		reportfile_get_int(host, "ksm_run", -1) == 1 ? "on" : reportfile_get_int(host, "ksm_run", -1) < 0 ? "n/a" : "off",
		reportfile_get_int(host, "numa_balancing", -1) > 0 ? "on" : reportfile_get_int(host, "numa_balancing", -1) < 0 ? "n/a" : "off");
	fprintf(out, "              hugetlb 2M %lld free of %lld, 1G %lld free of %lld; compaction proactiveness %lld; memlock ",
		reportfile_get_int(hp2, "free", -1), reportfile_get_int(hp2, "total", -1), reportfile_get_int(hp1, "free", -1), reportfile_get_int(hp1, "total", -1),
		reportfile_get_int(host, "compaction_proactiveness", -1));
	if (json_is_integer(ml)) {
		fputs(cli_size((uint64_t)json_integer_value(ml), mem, sizeof(mem)), out);
	} else {
		fputs(json_is_string(ml) ? json_string_value(ml) : "?", out);
	}
	fputc('\n', out);
	json_t *checks = json_object_get(host, "checks");
	if (json_is_array(checks)) {
		size_t i, bad = 0;
		json_t *c;
		json_array_foreach(checks, i, c)
		{
			const char *st = reportfile_get_str(c, "status");
			if (st && strcmp(st, "PASS") != 0) {
				fprintf(out, "%s%s %s", bad++ ? ", " : "              host checks not passed: ", st,
					reportfile_get_str(c, "name") ? reportfile_get_str(c, "name") : "?");
			}
		}
		if (bad) {
			fputs(" (see 'ptfreeze check')\n", out);
		}
	}
}

static void text_process(FILE *out, const struct rf_process *p)
{
	char a[32], b[32], c[32];
	fprintf(out, "process %ld %s  (%s)\n", p->pid, render_base_name(p->exe), p->file);
	json_t *argv = json_object_get(p->header, "argv");
	if (json_is_array(argv) && json_array_size(argv) > 0) {
		size_t i;
		json_t *v;
		fputs("  command    ", out);
		json_array_foreach(argv, i, v) { fprintf(out, " %s", json_string_value(v) ? json_string_value(v) : "?"); }
		fputc('\n', out);
	}
	if (p->fork_child) {
		fprintf(out, "  parent      %ld (this is a fork child)\n", p->ppid);
	}
	const char *mode = reportfile_get_str(p->header, "mode");
	json_t *cfg = json_object_get(p->header, "config");
	const char *action = reportfile_get_str(cfg, "PTFREEZE_STRICT_ACTION");
	fprintf(out, "  mode        %s", mode ? mode : "?");
	if (mode && strcmp(mode, "strict") == 0 && action) {
		fprintf(out, " (refused calls: %s)", action);
	} else if (mode && strcmp(mode, "would-block") == 0) {
		fputs(" (a dry run of strict: calls go ahead, those strict would refuse are marked)", out);
	}
	fputc('\n', out);

	const json_t *pool = render_pool_of(p);
	const char *backing = reportfile_get_str(pool, "backing");
	fprintf(out, "  pool        %s %s, %s on huge pages, prefaulted in %s by %lld thread%s (%s)%s\n",
		cli_size((uint64_t)reportfile_get_int(pool, "size", 0), a, sizeof(a)), backing ? backing : "?",
		cli_size((uint64_t)reportfile_get_int(pool, "bytes_huge", 0), b, sizeof(b)),
		cli_duration((uint64_t)reportfile_get_int(pool, "prefault_ns", 0), c, sizeof(c)), reportfile_get_int(pool, "prefault_threads", 0),
		reportfile_get_int(pool, "prefault_threads", 0) == 1 ? "" : "s",
		reportfile_get_str(pool, "populate") ? reportfile_get_str(pool, "populate") : "?",
		json_is_true(json_object_get(pool, "locked")) ? ", locked" : "");
	suppressions_text_numa(out, pool);
	render_pool_faults(out, pool);
	if (p->summary) {
		fprintf(out, "  high-water  %s of the pool handed out; %s served to anonymous mmap at exit\n",
			cli_size((uint64_t)reportfile_get_int(p->summary, "pool_used", 0), a, sizeof(a)),
			cli_size((uint64_t)reportfile_get_int(p->summary, "served_mmap_bytes", 0), b, sizeof(b)));
	} else if (p->arm) {
		fprintf(out, "  high-water  %s of the pool handed out at arming (no summary)\n",
			cli_size((uint64_t)reportfile_get_int(p->arm, "pool_used", 0), a, sizeof(a)));
	}

	const json_t *ts = json_object_get(p->summary ? p->summary : p->header, "thread_stacks");
	if (json_is_object(ts) && !json_is_true(json_object_get(ts, "enabled"))) {
		fputs("  threads     stack cache off: threads get glibc's stacks\n", out);
	} else if (json_is_object(ts)) {
		fprintf(out, "  threads     %lld cached stacks of %s, top %s prefaulted",
			reportfile_get_int(ts, "slots", 0), cli_size((uint64_t)reportfile_get_int(ts, "slot_size", 0), a, sizeof(a)),
			cli_size((uint64_t)reportfile_get_int(ts, "prefault", 0), b, sizeof(b)));
		if (p->summary) {
			long long n = reportfile_get_int(ts, "threads", 0);
			fprintf(out, "; %lld thread%s ran on them, %lld mapped after arming, %lld refused, %lld on glibc's stacks",
				n, n == 1 ? "" : "s", reportfile_get_int(ts, "grown_armed", 0),
				reportfile_get_int(ts, "refused", 0), reportfile_get_int(ts, "to_glibc", 0));
		}
		fputc('\n', out);
	}

	if (p->arm) {
		const char *how = reportfile_get_str(p->arm, "how");
		long long after = render_armed_after_ns(p);
		fprintf(out, "  armed       %s", how ? how : "?");
		if (after >= 0) {
			fprintf(out, ", %s after start", cli_duration((uint64_t)after, a, sizeof(a)));
		}
		if (p->narms > 1) {
			fprintf(out, " (armed %zu times)", p->narms);
		}
		if (reportfile_get_str(p->arm, "mlockall")) {
			fprintf(out, "; mlockall %s", reportfile_get_str(p->arm, "mlockall"));
		}
		if (p->summary && reportfile_get_int(p->summary, "armed_ns", 0) > 0) {
			fprintf(out, "; %s armed at exit",
				json_is_true(json_object_get(p->summary, "armed"))
					? cli_duration((uint64_t)reportfile_get_int(p->summary, "armed_ns", 0), b, sizeof(b))
					: "not");
		}
		fputc('\n', out);
		const json_t *pf = json_object_get(p->arm, "prefault");
		if (json_is_object(pf) && reportfile_get_int(pf, "bytes", 0) > 0) {
			char d[32];
			fprintf(out, "  prefault    %s of %s done in the background before arming; arming waited %s for the rest\n",
				cli_size((uint64_t)reportfile_get_int(pf, "before_arm", 0), a, sizeof(a)),
				cli_size((uint64_t)reportfile_get_int(pf, "bytes", 0), b, sizeof(b)),
				cli_duration((uint64_t)reportfile_get_int(pf, "wait_ns", 0), d, sizeof(d)));
		}
	} else if (p->fork_child && render_was_armed(p)) {
		const char *how = reportfile_get_str(p->summary, "how");
		fprintf(out, "  armed       %s%sinherited from the parent at fork\n", how ? how : "", how ? ", " : "");
	} else if (p->fork_child && p->summary) {
		fputs("  armed       never: the parent was not armed when it forked, and this process did not arm\n", out);
	} else if (p->fork_child) {
		fputs("  armed       unknown (no summary, no arm record of its own): armed only if the parent was when it forked\n",
		      out);
	} else if (p->summary && reportfile_get_str(p->summary, "arming") &&
		   strcmp(reportfile_get_str(p->summary, "arming"), "unfinished") == 0) {
		fputs("  armed       never: the process exited while arming was completing the start-up work (the pool's "
		      "prefault); a larger pool takes longer (PTFREEZE_POOL)\n",
		      out);
	} else {
		fputs("  armed       never: only start-up records (the guard records nothing before arming)\n", out);
	}
	if (p->summary) {
		json_t *fa = json_object_get(p->summary, "faults_armed"), *ft = json_object_get(p->summary, "faults_total");
		if (json_is_object(fa) && (reportfile_get_int(fa, "minor", 0) < 0 || reportfile_get_int(fa, "major", 0) < 0)) {
			/* A fork child's counters restart at fork, its baseline is the parent's. */
			fputs("  faults      unknown while armed (a fork child's counters restart at fork)", out);
		} else if (json_is_object(fa)) {
			fprintf(out, "  faults      %lld minor, %lld major while armed", reportfile_get_int(fa, "minor", 0),
				reportfile_get_int(fa, "major", 0));
		} else {
			fputs("  faults      not armed", out);
		}
		fprintf(out, " (%lld minor, %lld major in the whole run)\n", reportfile_get_int(ft, "minor", 0), reportfile_get_int(ft, "major", 0));
		json_t *tlb = json_object_get(p->summary, "tlb_shootdowns");
		if (json_is_object(tlb)) {
			long long during = reportfile_get_int(tlb, "during_armed", -1);
			if (during >= 0) {
				fprintf(out, "  shootdowns  %lld TLB shootdowns on the whole host while armed", during);
			} else {
				fputs("  shootdowns  TLB shootdowns while armed unknown", out);
			}
			fprintf(out, "; this process made %lld calls that can cause them\n",
				reportfile_get_int(tlb, "own_calls_that_can_shoot_down", 0));
		}
		text_drift(out, p);
		const char *bs = reportfile_get_str(p->summary, "backstop");
		if (bs && strcmp(bs, "off") != 0) {
			fprintf(out, "  backstop    seccomp filter %s\n",
				strcmp(bs, "installed") == 0 ? "installed at arming: direct system calls are in the report"
							     : "asked for but not installed: direct system calls are not seen");
		}
		render_smaps_text(out, p->smaps_diff, 20);
		text_sampling(out, p);
		text_events(out, p);
		suppressions_text_process(out, p);
	} else {
		fprintf(out, "  summary     no summary (process did not exit normally): each of its %zu site%s counts once\n",
			p->nsites, p->nsites == 1 ? "" : "s");
	}
	if (p->truncated_line) {
		fprintf(out, "  note        line %zu was cut off by the kill and skipped\n", p->truncated_line);
	}
	host_brief(out, json_object_get(p->header, "host"));
	fputc('\n', out);
}

static void text_site(FILE *out, size_t rank, const struct rf_group *g)
{
	char a[32], b[32], c[32];
	fprintf(out, "site %zu: %s, %" PRIu64 "%s %s%s (%" PRIu64 " blocked", rank, g->kind, g->count,
		g->estimated ? "*" : "", render_is_fault(g) ? "fault" : "call", g->count == 1 ? "" : "s", g->blocked);
	if (g->would_block) {
		fprintf(out, ", %" PRIu64 " would block", g->would_block);
	}
	fprintf(out, "), %s, first +%s, last +%s\n", cli_size(g->bytes, a, sizeof(a)), cli_duration(g->first_ns, b, sizeof(b)),
		cli_duration(g->last_ns, c, sizeof(c)));
	fprintf(out, "  process     %ld %s", g->process->pid, render_base_name(g->process->exe));
	if (g->nprocs > 1) {
		fprintf(out, " and %zu more:", g->nprocs - 1);
		for (size_t i = 0, shown = 0; i < g->nprocs && shown < 8; i++) {
			if (g->procs[i] != g->process) {
				fprintf(out, " %ld", g->procs[i]->pid);
				shown++;
			}
		}
		if (g->nprocs > 9) {
			fputs(" ...", out);
		}
	}
	fputc('\n', out);
	const json_t *rec = reportfile_site_record(g->site);
	const char *action = reportfile_get_str(rec, "action"), *detail = reportfile_get_str(rec, "detail");
	if (action) {
		fprintf(out, "  action      %s\n", action);
	}
	fprintf(out, "  detail      %s\n", detail ? detail : "-");
	const char *cause = cause_of(g);
	if (cause) {
		fprintf(out, "  cause       %s\n", cause);
	}
	fputs("  args        ", out);
	render_args_put(out, g->kind, json_object_get(rec, "args"));
	fputc('\n', out);
	json_t *res = render_is_fault(g) ? NULL : json_object_get(rec, "result");
	if (json_is_integer(res)) {
		long long r = json_integer_value(res), e = reportfile_get_int(rec, "errno", 0);
		bool addr = r > 4096 && kinds_result_is_address((enum kind)kinds_by_name(g->kind, strlen(g->kind)));
		if (addr) {
			fprintf(out, "  result      0x%llx\n", (unsigned long long)r);
		} else if (e) {
			const char *en = strerrorname_np((int)e);
			fprintf(out, "  result      %lld (%s)\n", r, en ? en : "?");
		} else {
			fprintf(out, "  result      %lld\n", r);
		}
	}
	if (g->depth == 0) {
		fputs("  stack       none recorded\n", out);
	}
	for (size_t i = 0; i < g->depth; i++) {
		const struct rf_frame *f = &g->frames[i];
		char name[256];
		render_frame_name(f, name, sizeof(name));
		fprintf(out, "%s#%-2zu %s", i ? "              " : "  stack       ", i, name);
		if (f->file) {
			fprintf(out, " at %s:%d", f->file, f->line);
		}
		if (f->function && f->module) {
			fprintf(out, "  [%s+0x%" PRIx64 "]", render_base_name(f->module->path), f->offset);
		}
		fputc('\n', out);
	}
	fputc('\n', out);
}

/* Sites of each kind shown on the first screen (the rest: --all). */
#define TOP_PER_KIND 5
/* Up to this many processes, each gets its full facts; more are one line per like group. */
#define FULL_PROCESSES 4

/* Per kind: sites, events, blocked; in order of first appearance in the (sorted) groups. */
struct kind_row {
	const char *kind;
	size_t sites, shown;
	uint64_t count, blocked;
};

static struct kind_row *kind_rows(const struct rf_set *set, size_t *n)
{
	struct kind_row *rows = NULL;
	size_t nr = 0;
	for (size_t i = 0; i < set->ngroups; i++) {
		const struct rf_group *g = &set->groups[i];
		size_t k = 0;
		while (k < nr && strcmp(rows[k].kind, g->kind) != 0) {
			k++;
		}
		if (k == nr) {
			rows = cli_realloc(rows, (nr + 1) * sizeof(*rows));
			rows[nr++] = (struct kind_row){.kind = g->kind};
		}
		rows[k].sites++;
		rows[k].count += g->count;
		rows[k].blocked += g->blocked;
	}
	*n = nr;
	return rows;
}

/*
 * Processes alike for a reader: same program, both fork children or not,
 * both armed or not, both with a summary or not.  A server's 119 forked
 * workers are one line.
 */
struct proc_row {
	const struct rf_process *first;
	size_t n, nosummary;
	long pid_min, pid_max;
	unsigned long long events, ev_min, ev_max;
	size_t sites_min, sites_max;
};

static bool alike(const struct rf_process *a, const struct rf_process *b)
{
	return strcmp(render_base_name(a->exe), render_base_name(b->exe)) == 0 && a->fork_child == b->fork_child &&
	       render_was_armed(a) == render_was_armed(b) && (a->summary == NULL) == (b->summary == NULL);
}

static void text_process_table(FILE *out, const struct rf_set *set)
{
	struct proc_row *rows = NULL;
	size_t nr = 0;
	for (size_t i = 0; i < set->nprocs; i++) {
		const struct rf_process *p = set->procs[i];
		size_t k = 0;
		while (k < nr && !alike(rows[k].first, p)) {
			k++;
		}
		if (k == nr) {
			rows = cli_realloc(rows, (nr + 1) * sizeof(*rows));
			rows[nr++] = (struct proc_row){.first = p, .pid_min = p->pid, .pid_max = p->pid, .ev_min = ULLONG_MAX,
						       .sites_min = SIZE_MAX};
		}
		struct proc_row *r = &rows[k];
		unsigned long long ev = render_process_events(p);
		r->n++;
		r->nosummary += p->summary == NULL;
		r->pid_min = p->pid < r->pid_min ? p->pid : r->pid_min;
		r->pid_max = p->pid > r->pid_max ? p->pid : r->pid_max;
		r->events += ev;
		r->ev_min = ev < r->ev_min ? ev : r->ev_min;
		r->ev_max = ev > r->ev_max ? ev : r->ev_max;
		r->sites_min = p->nsites < r->sites_min ? p->nsites : r->sites_min;
		r->sites_max = p->nsites > r->sites_max ? p->nsites : r->sites_max;
	}
	fprintf(out, "%zu processes, alike ones on one line (ptfreeze report --all for each one's facts):\n", set->nprocs);
	fprintf(out, "  %5s  %-16s %-13s %-9s %-15s %9s  %-13s %s\n", "N", "PROGRAM", "PIDS", "ARMED", "ROLE", "EVENTS",
		"PER PROCESS", "SITES");
	for (size_t k = 0; k < nr; k++) {
		const struct proc_row *r = &rows[k];
		char pids[32], per[48], sites[32];
		if (r->n == 1) {
			snprintf(pids, sizeof(pids), "%ld", r->pid_min);
			snprintf(per, sizeof(per), "-");
		} else {
			snprintf(pids, sizeof(pids), "%ld-%ld", r->pid_min, r->pid_max);
			snprintf(per, sizeof(per), "%llu-%llu", r->ev_min, r->ev_max);
		}
		if (r->sites_min == r->sites_max) {
			snprintf(sites, sizeof(sites), "%zu", r->sites_min);
		} else {
			snprintf(sites, sizeof(sites), "%zu-%zu", r->sites_min, r->sites_max);
		}
		fprintf(out, "  %5zu  %-16.16s %-13s %-9s %-15s %9llu  %-13s %s%s\n", r->n, render_base_name(r->first->exe), pids,
			render_was_armed(r->first) ? "armed" : "never", r->first->fork_child ? "fork children" : "started",
			r->events, per, sites, r->nosummary ? "  (no summary: killed?)" : "");
	}
	fputc('\n', out);
	free(rows);
}

static void text_site_row(FILE *out, size_t rank, const struct rf_group *g)
{
	char cnt[32], blk[32], sz[32], f[32], l[32], proc[64], w[512], t[32];
	snprintf(cnt, sizeof(cnt), "%" PRIu64 "%s", g->count, g->estimated ? "*" : g->after_summary ? "+" : "");
	if (g->blocked == 0 && g->would_block > 0) {
		snprintf(blk, sizeof(blk), "(%" PRIu64 ")", g->would_block);
	} else {
		snprintf(blk, sizeof(blk), "%" PRIu64, g->blocked);
	}
	cli_size(g->bytes, sz, sizeof(sz));
	snprintf(f, sizeof(f), "+%s", cli_duration(g->first_ns, t, sizeof(t)));
	snprintf(l, sizeof(l), "+%s", cli_duration(g->last_ns, t, sizeof(t)));
	if (g->nprocs > 1) {
		snprintf(proc, sizeof(proc), "%ld %.12s +%zu", g->process->pid, render_base_name(g->process->exe), g->nprocs - 1);
	} else {
		snprintf(proc, sizeof(proc), "%ld %.15s", g->process->pid, render_base_name(g->process->exe));
	}
	render_where(g, w, sizeof(w));
	if (render_is_fault(g)) {
		size_t wl = strlen(w);
		snprintf(w + wl, sizeof(w) - wl, " [%s]", render_fault_class(g));
	}
	fprintf(out, "%4zu  %-16s %7s %7s %7s %9s %9s  %-22s %s\n", rank, g->kind, cnt, blk, sz, f, l, proc, w);
}

void render_text(FILE *out, const struct rf_set *set) { render_text_all(out, set, false); }

void render_text_brief(FILE *out, const struct rf_set *set, size_t top)
{
	uint64_t calls = 0, blocked = 0, faults = 0;
	size_t vsites = 0, fsites = 0;
	for (size_t i = 0; i < set->ngroups; i++) {
		const struct rf_group *g = &set->groups[i];
		if (render_is_fault(g)) {
			faults += g->count;
			fsites++;
		} else {
			calls += g->count;
			blocked += g->blocked;
			vsites++;
		}
	}
	fprintf(out, "ptfreeze: %zu process%s: %zu violation site%s (%" PRIu64 " call%s, %" PRIu64 " blocked), %" PRIu64
		     " page fault%s after arming at %zu site%s\n",
		set->nprocs, set->nprocs == 1 ? "" : "es", vsites, vsites == 1 ? "" : "s", calls, calls == 1 ? "" : "s",
		blocked, faults, faults == 1 ? "" : "s", fsites, fsites == 1 ? "" : "s");
	/* Groups are sorted violations first: the top ones are the first groups. */
	for (size_t i = 0; i < set->ngroups && i < top && !render_is_fault(&set->groups[i]); i++) {
		char w[512];
		render_where(&set->groups[i], w, sizeof(w));
		fprintf(out, "ptfreeze:   %s x%" PRIu64 "%s at %s\n", set->groups[i].kind, set->groups[i].count,
			set->groups[i].blocked ? " (blocked)" : "", w);
	}
}

size_t render_text_shown(const struct rf_set *set, bool all, bool *shown)
{
	size_t nkinds, nshown = 0;
	struct kind_row *kinds = kind_rows(set, &nkinds);
	for (size_t i = 0; i < set->ngroups; i++) {
		for (size_t k = 0; k < nkinds; k++) {
			if (strcmp(kinds[k].kind, set->groups[i].kind) == 0 && (all || kinds[k].shown < TOP_PER_KIND)) {
				kinds[k].shown++;
				shown[i] = true;
				nshown++;
			}
		}
	}
	free(kinds);
	return nshown;
}

/*
 * The first screen: the totals, a line per kind, the top sites of each
 * kind; then the page-fault classes, the processes (each one's facts, or a
 * table when there are many) and the shown sites' stacks.  --all: every
 * site and every process's facts.
 */
void render_text_all(FILE *out, const struct rf_set *set, bool all)
{
	uint64_t events = 0, blocked = 0, faults = 0;
	size_t vsites = 0, fsites = 0;
	bool estimated = false, would = false, late = false;
	for (size_t i = 0; i < set->ngroups; i++) {
		if (render_is_fault(&set->groups[i])) {
			faults += set->groups[i].count;
			fsites++;
		} else {
			events += set->groups[i].count;
			vsites++;
		}
		blocked += set->groups[i].blocked;
	}
	fprintf(out, "ptfreeze report: %zu process%s, %zu violation site%s, %" PRIu64 " event%s (%" PRIu64 " blocked)",
		set->nprocs, set->nprocs == 1 ? "" : "es", vsites, vsites == 1 ? "" : "s", events,
		events == 1 ? "" : "s", blocked);
	if (fsites) {
		fprintf(out, "; %" PRIu64 " page fault%s after arming at %zu site%s", faults, faults == 1 ? "" : "s", fsites,
			fsites == 1 ? "" : "s");
	}
	fputs("\n", out);
	if (suppressions_total(set) > 0) {
		fprintf(out, "%llu call%s taken by suppression rules (counted, not violations)\n", suppressions_total(set),
			suppressions_total(set) == 1 ? "" : "s");
	}
	size_t moved = drifted(set);
	if (moved) {
		fprintf(out, "the host's settings changed while %zu process%s %s armed (see each process's \"host\" line)\n",
			moved, moved == 1 ? "" : "es", moved == 1 ? "was" : "were");
	}
	fputc('\n', out);

	/* Which sites the first screen shows: the top of each kind (groups are sorted). */
	size_t nkinds;
	struct kind_row *kinds = kind_rows(set, &nkinds);
	bool *shown = cli_calloc(set->ngroups ? set->ngroups : 1, sizeof(*shown));
	size_t nshown = render_text_shown(set, all, shown);
	for (size_t i = 0; i < set->ngroups; i++) {
		if (shown[i]) {
			estimated |= set->groups[i].estimated;
			late |= set->groups[i].after_summary;
			would |= set->groups[i].would_block > 0;
		}
	}
	if (nkinds > 0) {
		fprintf(out, "%-18s %7s %9s %7s\n", "KIND", "SITES", "EVENTS", "BLOCKED");
		for (size_t k = 0; k < nkinds; k++) {
			fprintf(out, "%-18s %7zu %9" PRIu64 " %7" PRIu64 "%s\n", kinds[k].kind, kinds[k].sites, kinds[k].count,
				kinds[k].blocked, strcmp(kinds[k].kind, kinds_name(KIND_PAGE_FAULT)) == 0 ? "  (not violations)" : "");
		}
		fputc('\n', out);
	}

	if (vsites == 0) {
		fputs("No violations: nothing changed page tables after arming.\n", out);
		if (fsites > 0) {
			fputs("Page faults after arming (not violations: they are counted, never refused):\n", out);
		}
	} else if (nshown < set->ngroups) {
		fprintf(out, "Top sites of each kind (%zu of %zu; ptfreeze report --all for every site):\n", nshown,
			set->ngroups);
	}
	if (set->ngroups > 0) {
		fprintf(out, "%4s  %-16s %7s %7s %7s %9s %9s  %-22s %s\n", "SITE", "KIND", "COUNT", "BLOCKED", "BYTES", "FIRST",
			"LAST", "PROCESS", "WHERE");
		for (size_t i = 0; i < set->ngroups; i++) {
			if (shown[i]) {
				text_site_row(out, i + 1, &set->groups[i]);
			}
		}
	}
	if (estimated) {
		fputs("* no summary (process did not exit normally): counted once per site\n", out);
	}
	if (late) {
		fputs("+ first seen after the exit summary (a destructor or atexit handler ran later): counted once per site\n",
		      out);
	}
	if (would) {
		fputs("(N) would-block mode: N calls went ahead that strict mode would have refused\n", out);
	}
	size_t nrows;
	struct render_fault_row *rows = render_fault_rows(set, &nrows);
	if (nrows) {
		fputs("\npage faults after arming by address class:\n", out);
		fprintf(out, "  %-16s %7s %6s  %s\n", "CLASS", "FAULTS", "SITES", "MAPPING");
		for (size_t i = 0; i < nrows && (all || i < 10); i++) {
			fprintf(out, "  %-16s %7" PRIu64 " %6zu  %s\n", rows[i].cls, rows[i].faults, rows[i].sites,
				rows[i].path ? rows[i].path : "-");
		}
		if (!all && nrows > 10) {
			fprintf(out, "  (%zu more rows: --all)\n", nrows - 10);
		}
	}
	free(rows);
	fputc('\n', out);

	if (all || set->nprocs <= FULL_PROCESSES) {
		for (size_t i = 0; i < set->nprocs; i++) {
			text_process(out, set->procs[i]);
		}
	} else {
		text_process_table(out, set);
	}
	for (size_t i = 0; i < set->ngroups; i++) {
		if (shown[i]) {
			text_site(out, i + 1, &set->groups[i]);
		}
	}
	if (nshown < set->ngroups) {
		fprintf(out, "%zu more site%s not shown: ptfreeze report --all\n", set->ngroups - nshown,
			set->ngroups - nshown == 1 ? "" : "s");
	}
	free(shown);
	free(kinds);
}
