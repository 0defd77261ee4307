/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * init: the constructor.  The start-up sequence, in order, in one place:
 * resolve libc's functions, read the configuration, reserve and prefault
 * the pool, prefault what jemalloc mapped before us, hook every jemalloc
 * arena, load the unwinder and preallocate the site table, read the
 * suppression rules, prefault the main stack, map the thread stack cache,
 * open the report, set the arming triggers; then the fork and exit
 * handlers.  A step that
 * fails degrades (plain jemalloc, no stacks, no report) with one line on
 * stderr; the program always runs.
 */
#include "autoconf.h"
#include "config.h"

#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>

#include "arena.h"
#include "capture.h"
#include "faults.h"
#include "guard.h"
#include "interpose.h"
#include "log.h"
#include "phase.h"
#include "pmap.h"
#include "pool.h"
#include "real.h"
#include "report.h"
#include "shim.h"
#include "suppress.h"
#include "smaps.h"
#include "sys.h"
#include "tstack.h"

/* Served-mmap blocks the pool can track at once. */
#define PMAP_BLOCKS 16384
/* Largest amount of pre-constructor anonymous memory worth prefaulting. */
#define EARLY_PREFAULT_CAP ((size_t)64 << 20)

extern char **environ;

struct text_search {
	uintptr_t addr;     /* find the object containing this address, or */
	const char *name;   /* the object whose path contains this */
	uintptr_t lo, hi;   /* its executable segment(s) */
};

static int text_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct text_search *t = arg;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	bool contains = false;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD) {
			continue;
		}
		uintptr_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
		if (t->addr >= s && t->addr < e) {
			contains = true;
		}
		if (ph->p_flags & PF_X) {
			lo = s < lo ? s : lo;
			hi = e > hi ? e : hi;
		}
	}
	bool match = t->name ? (info->dlpi_name && strstr(info->dlpi_name, t->name)) : contains;
	if (match && hi) {
		t->lo = lo;
		t->hi = hi;
		return 1;
	}
	return 0;
}

/* Stacks start at the program: skip frames in the shim and in jemalloc. */
static void mark_internal_code(void)
{
	struct text_search self = {.addr = (uintptr_t)&mark_internal_code};
	if (dl_iterate_phdr(text_cb, &self)) {
		capture_skip_range(self.lo, self.hi);
	}
	struct text_search je = {.name = LIBJEMALLOC_SONAME};
	if (dl_iterate_phdr(text_cb, &je)) {
		capture_skip_range(je.lo, je.hi);
	}
}

static void atfork_prepare(void)
{
	pmap_atfork_prepare();
	tstack_atfork_prepare();
}

static void atfork_parent(void)
{
	tstack_atfork_parent();
	pmap_atfork_parent();
	faults_atfork_parent();
}

static void atfork_child(void)
{
	tstack_atfork_child();
	pmap_atfork_child();
	pool_atfork_child();
	/* The child writes its own report; the parent's sites are the parent's. */
	long parent = sys_getppid();
	capture_reset();
	guard_reset();
	report_reset_modules();
	if (report_open(parent) == 0) {
		report_header(parent);
		report_modules();
	}
	phase_atfork_child();
}

static void at_exit(void)
{
	faults_stop(); /* exit's own faults are not the program's: sampling ends before the summary */
	report_summary("exit");
}

/*
 * Touches `bytes` of the stack below this frame, a page at a time, so the
 * main thread's first deep call after arming does not fault.  Capped well
 * inside RLIMIT_STACK.
 */
__attribute__((noinline)) static void prefault_stack(size_t bytes)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && bytes + (64u << 10) > rl.rlim_cur) {
		bytes = rl.rlim_cur > (128u << 10) ? rl.rlim_cur - (128u << 10) : 0;
	}
	volatile char *p = __builtin_alloca(bytes + 1);
	for (size_t off = 0; off < bytes; off += 4096) {
		p[off] = 0;
	}
	p[bytes] = 0;
}

static size_t retain_limit(void)
{
	size_t l = config.pool_size / 32;
	return l < ((size_t)4 << 20) ? ((size_t)4 << 20) : l;
}

__attribute__((constructor(101))) static void ptfreeze_init(void)
{
	atomic_store(&shim_state, SHIM_INITIALIZING);
	real_resolve();
	config_load(environ);
	log_set_verbosity(config.verbose);

	int failed = pool_reserve(config.pool_size, config.hugepages, config.mlock, config.prefault_threads);
	if (failed == 0) {
		interpose_prefault_early(EARLY_PREFAULT_CAP);
		failed = pmap_init(PMAP_BLOCKS);
	}
	if (failed == 0) {
		failed = arena_install(retain_limit());
	}
	arena_fast_paths();
	mark_internal_code();
	suppress_load();
	if (failed == 0) {
		capture_init(config.max_sites, config.backtrace_depth);
		report_prepare_summary((size_t)config.max_sites);
		smaps_init();
	} else {
		log_msg(LOG_ERROR, "no pool: running on plain jemalloc, violations are not recorded");
	}
	if (config.stack_prefault) {
		prefault_stack(config.stack_prefault);
	}
	tstack_init();
	report_open(0);
	report_header(0);
	report_modules();
	phase_init();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	atexit(at_exit);
	atomic_store(&shim_state, failed == 0 ? SHIM_READY : SHIM_FAILED);

	log_msg(LOG_INFO, "pool %zu bytes as %s, %zu bytes on huge pages, prefaulted in %lu ms by %d threads; report %s",
		pool_size(), pool_backing_name(pool_main_backing()), pool_huge_bytes(),
		(unsigned long)(pool.prefault_ns / 1000000u), pool.prefault_threads,
		report_enabled() ? report_path() : "off");
}
