/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * init: the constructor.  The start-up sequence, in order, in one place:
 * resolve libc's functions, read the configuration, decide whether this
 * process is a chosen program (else it stays passive: nothing below runs),
 * map the pool, hook every jemalloc arena, preallocate the site table,
 * read the suppression rules, reach the main stack, name the report, set
 * the arming triggers; then the fork and exit handlers.  What only an
 * armed process needs is deferred (phase.c runs it in the background and
 * completes it at arming): the pool's prefault, what jemalloc mapped
 * before us, the main stack's prefault (`populate`), the unwinder and the
 * thread stack cache (`slow`).  A step that
 * fails degrades (plain jemalloc, no stacks, no report) with one line on
 * stderr; the program always runs.
 */
#include "autoconf.h"
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "capture.h"
#include "faults.h"
#include "front.h"
#include "guard.h"
#include "kinds.h"
#include "log.h"
#include "phase.h"
#include "phdr.h"
#include "pmap.h"
#include "pool.h"
#include "real.h"
#include "report.h"
#include "serve.h"
#include "shim.h"
#include "summary.h"
#include "suppress.h"
#include "smaps.h"
#include "spare.h"
#include "spans.h"
#include "sys.h"
#include "tstack.h"

/* Served-mmap blocks the pool can track at once. */
#define PMAP_BLOCKS 16384
/* Largest amount of pre-constructor anonymous memory worth prefaulting. */
#define EARLY_PREFAULT_CAP ((size_t)64 << 20)
/* Room made resident at arming after what jemalloc's base blocks use (serve.h): 1 MiB, or a 256th of the pool. */
#define EARLY_SLACK(pool) ((pool) / 256 > ((size_t)1 << 20) ? (pool) / 256 : ((size_t)1 << 20))

extern char **environ;

struct text_search {
	uintptr_t addr;     /* find the object containing this address, or */
	const char *name;   /* the object whose path contains this */
	uintptr_t lo, hi;   /* its executable segment(s) */
};

static int text_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct text_search *t = arg;
	uintptr_t lo = 0, hi = 0;
	bool contains = phdr_load_contains(info->dlpi_phdr, info->dlpi_phnum, info->dlpi_addr, t->addr);
	phdr_load_span(info->dlpi_phdr, info->dlpi_phnum, info->dlpi_addr, PF_X, &lo, &hi);
	bool match = t->name ? (info->dlpi_name && strstr(info->dlpi_name, t->name)) : contains;
	if (match && hi) {
		t->lo = lo;
		t->hi = hi;
		return 1;
	}
	return 0;
}

/* Stacks start at the program: skip frames in the shim (jemalloc is linked into it). */
static void mark_internal_code(void)
{
	struct text_search self = {.addr = (uintptr_t)&mark_internal_code};
	if (dl_iterate_phdr(text_cb, &self)) {
		capture_skip_range(self.lo, self.hi);
	}
}

static void atfork_prepare(void)
{
	phase_atfork_prepare(); /* first: before any lock the slow stage could need */
	capture_atfork_prepare(); /* no walk of ours holds the loader's lock across the fork */
	pmap_atfork_prepare();
	tstack_atfork_prepare();
	spans_atfork_prepare(); /* last: no span is half made or joined at the fork */
}

static void atfork_parent(void)
{
	spans_atfork_parent();
	tstack_atfork_parent();
	pmap_atfork_parent();
	capture_atfork_parent();
	faults_atfork_parent();
}

static void atfork_child(void)
{
	spans_atfork_child();
	capture_atfork_child();
	tstack_atfork_child();
	pmap_atfork_child();
	pool_atfork_child();
	arena_atfork_child();
	front_atfork_child();
	/* The child writes its own report (when it arms or records); the parent's sites are the parent's. */
	long parent = sys_getppid();
	capture_reset();
	guard_reset();
	report_reset_modules();
	report_fork_child(parent); /* the path, its checks and the header come with the first record */
	phase_atfork_child();
}

static void at_exit(void)
{
	phase_wait_arming(); /* a delay falling due as the program exits: its arm record first */
	faults_stop(); /* exit's own faults are not the program's: sampling ends before the summary */
	summary_write("exit");
}

/* The main thread's stack range to prefault (below the constructor's frame). */
static uintptr_t stack_lo, stack_hi;

/*
 * Reaches `bytes` below this frame with one touch, so the stack mapping
 * covers them (the kernel grows it to the touched address) without
 * faulting every page; the range is populated later, by any thread, with
 * one madvise.  Capped well inside RLIMIT_STACK.
 */
__attribute__((noinline)) static void reach_stack(size_t bytes)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && bytes + (64u << 10) > rl.rlim_cur) {
		bytes = rl.rlim_cur > (128u << 10) ? rl.rlim_cur - (128u << 10) : 0;
	}
	volatile char *p = __builtin_alloca(bytes + 1);
	p[0] = 0;
	p[bytes] = 0;
	stack_lo = (uintptr_t)p & ~(uintptr_t)4095;
	stack_hi = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;
}

/* ---- deferred start-up work (phase.c runs it: in the background, or at arming) ---- */

static void list_walk_ranges(void);

static void prep_slow(void)
{
	capture_load_unwinder();
	tstack_init();
	list_walk_ranges();
}

/*
 * The shim's own writable data (.data, .bss: 3 MiB, jemalloc's and the
 * block cache's tables among them), found at start-up and made resident
 * with the rest of the populate step: a table first written after arming
 * (the block cache's bins at the program's first realloc above 16 KiB)
 * faulted in the shim itself.  RELRO, read-only by then, is left out.
 * And the shim's own code (1.5 MiB, mapped from the file): a path first
 * run after arming took a fault in the shim's text (the reclaim's purge,
 * tests/reclaim.sh).  Found here because the populate step may run in a
 * signal handler, where dl_iterate_phdr (the loader's lock) may not be
 * called.
 */
static uintptr_t own_data_lo, own_data_hi, own_text_lo, own_text_hi;

#define PAGE_DOWN(a) ((a) & ~(uintptr_t)4095)
#define PAGE_UP(a) (((a) + 4095) & ~(uintptr_t)4095)

/* An object's writable data past RELRO (read-only once relocated), whole pages: true if it has any. */
static bool data_span(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi)
{
	if (!phdr_load_span(info->dlpi_phdr, info->dlpi_phnum, info->dlpi_addr, PF_W, lo, hi)) {
		return false;
	}
	*lo = PAGE_DOWN(*lo);
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t relro = PAGE_UP(info->dlpi_addr + ph->p_vaddr + ph->p_memsz);
		*lo = ph->p_type == PT_GNU_RELRO && relro > *lo ? relro : *lo;
	}
	*hi = PAGE_UP(*hi);
	return *hi > *lo;
}

static bool text_span(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi)
{
	if (!phdr_load_span(info->dlpi_phdr, info->dlpi_phnum, info->dlpi_addr, PF_X, lo, hi)) {
		return false;
	}
	*lo = PAGE_DOWN(*lo);
	*hi = PAGE_UP(*hi);
	return true;
}

static int own_data_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	if (!phdr_load_contains(info->dlpi_phdr, info->dlpi_phnum, info->dlpi_addr, (uintptr_t)arg)) {
		return 0;
	}
	(void)data_span(info, &own_data_lo, &own_data_hi);
	(void)text_span(info, &own_text_lo, &own_text_hi);
	return 1;
}

/*
 * What the shim reads and runs outside itself when it records: every
 * loaded object's unwind tables (from its .eh_frame_hdr to the end of that
 * segment, where .eh_frame follows), the code of libunwind (and its data),
 * liblzma, libc and the loader.  A walk after arming through a frame of an
 * object whose tables nobody had read took a fault in the shim's name
 * (bench/latency -c: the churn thread's first recorded mprotect, libunwind
 * reading libc's .eh_frame; one minor fault in the measured phase), and so
 * did the site lookup's first memcmp (libc's code; tests/shimdata.sh, one
 * run in 25).  Listed where dl_iterate_phdr may be called (the slow stage,
 * and arming outside a signal handler: objects loaded since), made
 * resident by the populate step.  A range is [lo, hi) with the advice.
 */
#define WALK_RANGES 256
static struct walk_range {
	uintptr_t lo, hi;
	int advice;
} walk_ranges[WALK_RANGES];
static _Atomic unsigned nwalk_ranges;
static _Atomic int listing;

static void walk_range_add(unsigned *n, uintptr_t lo, uintptr_t hi, int advice)
{
	if (*n < WALK_RANGES && hi > lo) {
		walk_ranges[(*n)++] = (struct walk_range){lo, hi, advice};
	}
}

static int walk_ranges_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	unsigned *n = arg;
	const ElfW(Phdr) *ph = info->dlpi_phdr;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		if (ph[i].p_type != PT_GNU_EH_FRAME) {
			continue;
		}
		uintptr_t eh = info->dlpi_addr + ph[i].p_vaddr;
		for (size_t j = 0; j < info->dlpi_phnum; j++) {
			uintptr_t lo = info->dlpi_addr + ph[j].p_vaddr, hi = lo + ph[j].p_memsz;
			if (ph[j].p_type == PT_LOAD && eh >= lo && eh < hi) {
				walk_range_add(n, PAGE_DOWN(eh), PAGE_UP(hi), MADV_POPULATE_READ);
			}
		}
	}
	/* The objects whose code the shim runs when it records: their code (and libunwind's data). */
	static const char *const used[] = {"/libunwind", "/liblzma", "/libc.so", "/ld-linux"};
	const char *name = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
	for (size_t k = 0; name && k < sizeof(used) / sizeof(used[0]); k++) {
		uintptr_t lo, hi;
		if (strncmp(name, used[k], strlen(used[k])) != 0) {
			continue;
		}
		if (text_span(info, &lo, &hi)) {
			walk_range_add(n, lo, hi, MADV_POPULATE_READ);
		}
		if (k == 0 && data_span(info, &lo, &hi)) {
			walk_range_add(n, lo, hi, MADV_POPULATE_WRITE);
		}
	}
	return 0;
}

/* (Re)lists the ranges: only where dl_iterate_phdr may be called. */
static void list_walk_ranges(void)
{
	int idle = 0;
	if (!atomic_compare_exchange_strong(&listing, &idle, 1)) {
		return; /* another trigger is at it */
	}
	atomic_store_explicit(&nwalk_ranges, 0, memory_order_release);
	unsigned n = 0;
	capture_walk_enter(); /* the loader's lock: not held across a fork (capture.h) */
	dl_iterate_phdr(walk_ranges_cb, &n);
	capture_walk_leave();
	atomic_store_explicit(&nwalk_ranges, n, memory_order_release);
	atomic_store(&listing, 0);
}

static void prep_populate(void)
{
	/* jemalloc's radix tree but the entries of the pool's addresses: 3.5 MiB at a 256M pool (arena.h). */
	struct sys_span holes[32];
	size_t nholes = arena_rtree_holes(holes, sizeof(holes) / sizeof(holes[0]));
	log_msg(LOG_DEBUG, "populate: %zu holes in jemalloc's radix tree", nholes);
	if (own_data_hi > own_data_lo) {
		sys_madvise_except(own_data_lo, own_data_hi, MADV_POPULATE_WRITE, holes, nholes);
	}
	if (own_text_hi > own_text_lo &&
	    sys_madvise((void *)own_text_lo, own_text_hi - own_text_lo, MADV_POPULATE_READ) == -EINVAL) {
		for (uintptr_t a = own_text_lo; a < own_text_hi; a += 4096) {
			(void)*(volatile const char *)a; /* a kernel without MADV_POPULATE_READ: a read maps the page */
		}
	}
	for (unsigned i = 0, n = atomic_load_explicit(&nwalk_ranges, memory_order_acquire); i < n; i++) {
		const struct walk_range *r = &walk_ranges[i];
		(void)sys_madvise((void *)r->lo, r->hi - r->lo, r->advice); /* no MADV_POPULATE_*: left to first use */
	}
	serve_prefault_early(EARLY_PREFAULT_CAP, EARLY_SLACK(pool_size()), holes, nholes);
	spare_populate();
	arena_populate();
	faults_populate();
	tstack_populate_shim_stacks(); /* the arming thread's and the sampler's */
	if (stack_hi > stack_lo) {
		sys_madvise((void *)stack_lo, stack_hi - stack_lo, MADV_POPULATE_WRITE);
	}
}

/* ---- which programs: PTFREEZE_PROGRAMS and PTFREEZE_SKIP ---- */

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The first glob of the comma-separated list matching one of names[], copied to hit; false if none. */
static bool globs_match(const char *list, const char *const names[], int n, char *hit, size_t cap)
{
	char glob[CONFIG_VALUE_MAX];
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, ",");
		if (k < sizeof(glob)) {
			memcpy(glob, p, k);
			glob[k] = '\0';
			for (int i = 0; i < n; i++) {
				if (names[i][0] && fnmatch(glob, names[i], 0) == 0) {
					size_t l = k < cap - 1 ? k : cap - 1;
					memcpy(hit, glob, l);
					hit[l] = '\0';
					return true;
				}
			}
		}
		p += k;
		p += *p == ',';
	}
	return false;
}

/*
 * Drops this library from LD_PRELOAD in place (the string lives in the
 * initial environment), so the children of a skipped program load nothing
 * of ours: valgrind's --trace-children-skip, without a variable to inherit.
 */
static void drop_preload(void)
{
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0) {
			continue;
		}
		char *out = *e + 11, *in = out;
		while (*in) {
			size_t sep = strspn(in, ": ");
			in += sep;
			size_t k = strcspn(in, ": ");
			if (k == 0) {
				break;
			}
			char tok[1024];
			size_t l = k < sizeof(tok) - 1 ? k : sizeof(tok) - 1;
			memcpy(tok, in, l);
			tok[l] = '\0';
			bool ours = strncmp(base_of(tok), "libptfreeze.so", 14) == 0;
			if (!ours) {
				if (out != *e + 11) {
					*out++ = ':';
				}
				memmove(out, in, k);
				out += k;
			}
			in += k;
		}
		*out = '\0';
	}
}

static char choice_why[CONFIG_VALUE_MAX + 64];

/* True if this process is a chosen program; choice_why says why (for the header). */
static bool choose(char **argv)
{
	static char exe[1024];
	long n = sys_readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	const char *a0 = argv && argv[0] ? argv[0] : "";
	const char *names[] = {exe, base_of(exe), a0, base_of(a0)};
	char hit[CONFIG_VALUE_MAX];
	struct sb sb;
	sb_init(&sb, choice_why, sizeof(choice_why));
	if (config.skip[0] && globs_match(config.skip, names, 4, hit, sizeof(hit))) {
		drop_preload();
		return false;
	}
	if (strcmp(config.programs, "*") == 0) {
		sb_puts(&sb, "every program (PTFREEZE_PROGRAMS=*)");
	} else if (globs_match(config.programs, names, 4, hit, sizeof(hit))) {
		sb_printf(&sb, "PTFREEZE_PROGRAMS matches '%s'", hit);
	} else {
		return false;
	}
	sb_cstr(&sb);
	return true;
}

/* The small-object front end (PTFREEZE_FRONT): its area from the pool; without it, jemalloc serves every size. */
static void install_front(void)
{
	int r = front_install(front_area_for(pool_size()));
	if (r != 0) {
		log_msg(LOG_WARN, "PTFREEZE_FRONT: cannot set up the small-object area (%s): small blocks come from jemalloc",
			strerror(-r));
		return;
	}
	log_msg(LOG_DEBUG, "front: %zu pages of 64 KiB at 0x%lx-0x%lx", front_pages_total(), (unsigned long)front_base,
		(unsigned long)(front_base + front_len));
	if (pool_prefault_done() == pool_prefault_total()) {
		front_enable(); /* nothing deferred (else the program's first carve, the grace period's end or arming) */
	}
}

/* glibc passes argc, argv and envp to constructors. */
__attribute__((constructor(101))) static void ptfreeze_init(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)envp;
	arena_init_early();
	atomic_store(&shim_state, SHIM_INITIALIZING);
	real_resolve();
	config_load(environ);
	log_set_verbosity(config.verbose);
	log_set_stderr(config.log_stderr);
	guard_set_abort_hook(summary_write); /* strict mode's abort writes the summary first */
	if (!choose(argv)) {
		/* Passive: jemalloc's defaults, nothing mapped, guarded, reported or printed. */
		atomic_store(&shim_state, SHIM_PASSIVE);
		return;
	}

	/* The pool is mapped now and prefaulted later: in the background, and at the latest when arming. */
	int failed = pool_reserve_lazy(config.pool_size, config.hugepages, config.mlock, config.prefault_threads);
	if (failed == 0) {
		failed = pmap_init(PMAP_BLOCKS);
	}
	if (failed == 0) {
		arena_set_exhausted_hook(guard_pool_exhausted_in_allocator);
		failed = arena_install();
	}
	if (failed == 0 && config.spans) {
		arena_install_spans();
	}
	if (failed == 0 && config.front) {
		install_front();
	}
	mark_internal_code();
	dl_iterate_phdr(own_data_cb, (void *)(uintptr_t)&own_data_cb);
	suppress_load();
	if (failed == 0) {
		capture_init_table(config.max_sites, config.backtrace_depth);
		report_prepare_summary((size_t)config.max_sites);
		smaps_init();
	} else {
		log_msg(LOG_ERROR, "no pool: running on plain jemalloc, violations are not recorded");
	}
	if (config.stack_prefault) {
		reach_stack(config.stack_prefault);
	}
	report_set_choice(choice_why);
	report_open(0);
	report_header(0);
	static const struct phase_prep prep = {.slow = prep_slow, .populate = prep_populate, .relist = list_walk_ranges};
	phase_init(&prep);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	atexit(at_exit);
	if (failed == 0 && config.front) {
		/*
		 * The program's first take of pool memory (jemalloc past its first
		 * MiB, spans, a served mapping) turns the front on, if the end of
		 * the grace period or arming has not: its small blocks then live in
		 * the front from the start, instead of moving there from jemalloc
		 * in the first milliseconds after arming (docs/design.md).
		 */
		pool_on_first_carve(front_enable);
	}
	atomic_store(&shim_state, failed == 0 ? SHIM_READY : SHIM_FAILED);

	log_msg(LOG_INFO, "pool %zu bytes as %s, prefault deferred (%zu bytes in the background, the rest at arming); report %s",
		pool_size(), kinds_backing_name(pool_main_backing()), pool_prefault_total(),
		report_enabled() ? report_path() : "off");
}
