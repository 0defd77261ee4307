/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * faults: page faults after arming, sampled with perf events and recorded
 * as sites (see faults.h).  Runs at arming and in the SIGTRAP handler:
 * raw system calls, pool storage, atomics; never allocates, never takes a
 * lock, never uses stdio.
 */
#include "autoconf.h"
#include "config.h"
#include "faults.h"

#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "capture.h"
#include "guard.h"
#include "log.h"
#include "pool.h"
#include "shim.h"
#include "sys.h"

#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif
#ifndef TRAP_PERF_FLAG_ASYNC
#define TRAP_PERF_FLAG_ASYNC 1u
#endif

/* si_perf_data of our events: "ptfreeze".  Any other SIGTRAP is the program's. */
#define SIG_MAGIC 0x657a65657266747ull
#define MAX_THREADS 1024
#define MAX_MAPS 8192
#define PATHS_BYTES ((size_t)256 << 10)
#define NO_PATH UINT32_MAX
#define MAX_FRAMES 128
/* An address in no mapping re-reads /proc/self/maps at most this often. */
#define REFRESH_NS 10000000ull

struct fmap {
	uintptr_t start, end;
	uintptr_t offset;  /* in the file */
	uintptr_t obj_end; /* a loaded ELF object's mappings: where its image (with .bss) ends */
	uint32_t path;     /* offset into paths, or NO_PATH */
	bool readable, writable, exec, none;
};

static struct fmap *maps;
static char *paths;
static size_t nmaps, paths_used;
static bool maps_cut;
static _Atomic unsigned seq; /* odd while the snapshot is being rewritten */
static _Atomic uint64_t last_refresh;
static uintptr_t stack_limit;

enum sampling { SAMPLING_OFF, SAMPLING_ON, SAMPLING_REFUSED, SAMPLING_UNAVAILABLE };
static enum sampling sampling;
static int open_errno;
static int paranoid = -100; /* unknown */
static int threads_opened;
static long stack_idx = -1;  /* [stack] in the snapshot */
static atomic_flag said_refused;
static int fds[MAX_THREADS];
static _Atomic int nfds;
static _Atomic int live;
static _Atomic uint64_t recorded, in_shim, late, unsited;
static _Atomic int fault_sites;
static struct sigaction chained;
static bool handler_installed;

static const char *const class_names[FAULT_CLASS_COUNT] = {
	[FAULT_UNKNOWN] = "unknown",       [FAULT_POOL] = "pool",     [FAULT_THREAD_STACK] = "thread-stack",
	[FAULT_MAIN_STACK] = "main-stack", [FAULT_BRK_HEAP] = "brk-heap", [FAULT_BSS] = "bss",
	[FAULT_CODE] = "code",             [FAULT_FILE] = "file",     [FAULT_ANON] = "anonymous",
	[FAULT_VDSO] = "kernel-mapping",
};

static const char *const class_details[FAULT_CLASS_COUNT] = {
	[FAULT_UNKNOWN] = "an address in no mapping known at arming (mapped since, or not mapped at all)",
	[FAULT_POOL] = "a page of ptfreeze's pool (prefaulted at start-up: something discarded or split it)",
	[FAULT_THREAD_STACK] = "a thread's stack page touched for the first time",
	[FAULT_MAIN_STACK] = "the main thread's stack, deeper than was touched before arming (PTFREEZE_STACK_PREFAULT)",
	[FAULT_BRK_HEAP] = "the brk heap, which belongs to an allocator other than ptfreeze's",
	[FAULT_BSS] = "an object's zero-initialised data (.bss) touched for the first time",
	[FAULT_CODE] = "code not paged in yet (an executable file mapping)",
	[FAULT_FILE] = "a file mapping (first touch, copy-on-write, or the page cache)",
	[FAULT_ANON] = "anonymous memory the pool does not back (first touch or copy-on-write)",
	[FAULT_VDSO] = "a kernel-provided mapping (vdso, vvar)",
};

const char *faults_class_name(enum fault_class c) { return c < FAULT_CLASS_COUNT ? class_names[c] : "unknown"; }

/* ---- the mapping snapshot ---- */

static const char *hex_field(const char *s, uintptr_t *out)
{
	uintptr_t v = 0;
	for (;; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9') {
			d = (unsigned)(*s - '0');
		} else if (*s >= 'a' && *s <= 'f') {
			d = (unsigned)(*s - 'a' + 10);
		} else {
			break;
		}
		v = v * 16 + d;
	}
	*out = v;
	return s;
}

static const char *skip_field(const char *s)
{
	while (*s && *s != ' ') {
		s++;
	}
	while (*s == ' ') {
		s++;
	}
	return s;
}

/* One line of /proc/self/maps: "start-end perms offset dev inode   path". */
static int take_line(char *line, void *arg)
{
	(void)arg;
	if (nmaps >= MAX_MAPS) {
		maps_cut = true;
		return 0;
	}
	struct fmap m;
	const char *p = hex_field(line, &m.start);
	if (*p != '-') {
		return 1;
	}
	p = hex_field(p + 1, &m.end);
	if (*p != ' ' || p[1] == '\0' || m.end <= m.start) {
		return 1;
	}
	const char *perms = p + 1;
	m.readable = perms[0] == 'r';
	m.writable = perms[1] == 'w';
	m.exec = perms[2] == 'x';
	m.none = perms[0] == '-' && perms[1] == '-' && perms[2] == '-';
	p = skip_field(perms);  /* perms */
	hex_field(p, &m.offset);
	m.obj_end = 0;
	p = skip_field(p);      /* offset */
	p = skip_field(p);      /* dev */
	p = skip_field(p);      /* inode, then the path if any */
	m.path = NO_PATH;
	if (*p) {
		size_t len = strlen(p);
		const char *prev = nmaps && maps[nmaps - 1].path != NO_PATH ? paths + maps[nmaps - 1].path : NULL;
		if (prev && strcmp(prev, p) == 0) {
			m.path = maps[nmaps - 1].path;
		} else if (paths_used + len + 1 <= PATHS_BYTES) {
			memcpy(paths + paths_used, p, len + 1);
			m.path = (uint32_t)paths_used;
			paths_used += len + 1;
		}
	}
	if (m.path != NO_PATH && strcmp(paths + m.path, "[stack]") == 0) {
		stack_idx = (long)nmaps;
	}
	maps[nmaps++] = m;
	return 1;
}

/*
 * The end of an ELF object's image in memory (its last PT_LOAD's memsz,
 * which covers .bss), read from its headers at `start`, or 0.  Only for a
 * mapping at file offset 0 of a file that also has an executable mapping:
 * a loaded object, whose header page the loader has read.
 */
static uintptr_t elf_end(const struct fmap *m)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m->start;
	if (m->end - m->start < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > m->end - m->start) {
		return 0;
	}
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(m->start + eh->e_phoff);
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD) {
			continue;
		}
		lo = ph[i].p_vaddr < lo ? ph[i].p_vaddr : lo;
		hi = ph[i].p_vaddr + ph[i].p_memsz > hi ? ph[i].p_vaddr + ph[i].p_memsz : hi;
	}
	if (hi == 0) {
		return 0;
	}
	return m->start - (lo & ~(uintptr_t)4095) + hi;
}

/* Marks every mapping of each loaded ELF object with where its image ends. */
static void find_objects(void)
{
	for (size_t i = 0; i < nmaps; i++) {
		struct fmap *m = &maps[i];
		if (m->offset != 0 || !m->readable || m->path == NO_PATH || paths[m->path] == '[') {
			continue;
		}
		size_t k = i + 1;
		bool code = m->exec;
		while (k < nmaps && maps[k].path == m->path) {
			code |= maps[k].exec;
			k++;
		}
		uintptr_t end = code ? elf_end(m) : 0;
		for (size_t j = i; end && j < k; j++) {
			maps[j].obj_end = end;
		}
	}
}

int faults_snapshot(void)
{
	if (maps == NULL) {
		maps = pool_carve(MAX_MAPS * sizeof(*maps), 64);
		paths = pool_carve(PATHS_BYTES, 64);
		if (maps == NULL || paths == NULL) {
			maps = NULL;
			return -ENOMEM;
		}
	}
	unsigned s = atomic_load(&seq);
	if ((s & 1) || !atomic_compare_exchange_strong(&seq, &s, s + 1)) {
		return -EBUSY; /* another thread is re-reading it */
	}
	nmaps = 0;
	stack_idx = -1;
	paths_used = 0;
	maps_cut = false;
	int r = sys_for_each_line("/proc/self/maps", take_line, NULL);
	find_objects();
	struct rlimit rl;
	if (sys_raw(SYS_prlimit64, 0, RLIMIT_STACK, 0, (long)&rl, 0, 0) == 0) {
		stack_limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > ((rlim_t)1 << 32) ? (uintptr_t)1 << 32 : rl.rlim_cur;
	}
	atomic_store(&last_refresh, sys_now_ns());
	atomic_store(&seq, s + 2);
	return r;
}

static const char *path_of(const struct fmap *m) { return m->path == NO_PATH ? NULL : paths + m->path; }

static bool named(const struct fmap *m, const char *name)
{
	const char *p = path_of(m);
	return p && strcmp(p, name) == 0;
}

/* A file, not "[heap]" and the like; "[anon:name]" is anonymous memory with a name. */
static bool is_file(const struct fmap *m)
{
	const char *p = path_of(m);
	return p && p[0] != '[';
}

static bool is_anon(const struct fmap *m)
{
	const char *p = path_of(m);
	return p == NULL || strncmp(p, "[anon:", 6) == 0 || strncmp(p, "[anon_shmem:", 12) == 0;
}

/* Index of the last mapping starting at or below addr, or -1. */
static long find(uintptr_t addr)
{
	long lo = 0, hi = (long)nmaps - 1, at = -1;
	while (lo <= hi) {
		long mid = (lo + hi) / 2;
		if (maps[mid].start <= addr) {
			at = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return at;
}

static enum fault_class classify_in_snapshot(uintptr_t addr, uintptr_t sp, const char **path)
{
	long i = find(addr);
	if (i >= 0 && addr < maps[i].end) {
		const struct fmap *m = &maps[i];
		if (named(m, "[stack]")) {
			return FAULT_MAIN_STACK;
		}
		if (named(m, "[heap]")) {
			return FAULT_BRK_HEAP;
		}
		if (is_file(m)) {
			*path = path_of(m);
			return m->exec ? FAULT_CODE : FAULT_FILE;
		}
		if (!is_anon(m)) {
			return FAULT_VDSO;
		}
		if (sp >= m->start && sp < m->end) {
			return FAULT_THREAD_STACK;
		}
		const struct fmap *prev = i > 0 && maps[i - 1].end == m->start ? &maps[i - 1] : NULL;
		if (prev && prev->none) {
			return FAULT_THREAD_STACK; /* under a guard page, as glibc lays out thread stacks */
		}
		if (prev && is_file(prev) && prev->writable && addr < prev->obj_end) {
			/* The anonymous tail of a loaded object's image, per its program headers. */
			*path = path_of(prev);
			return FAULT_BSS;
		}
		return FAULT_ANON;
	}
	/* Just below [stack]: the main stack growing (the kernel extends it on this fault). */
	if (stack_idx >= 0 && i == stack_idx - 1 && maps[stack_idx].end - addr <= stack_limit) {
		return FAULT_MAIN_STACK;
	}
	return FAULT_UNKNOWN;
}

enum fault_class faults_classify(uintptr_t addr, uintptr_t sp, const char **path)
{
	*path = NULL;
	if (pool_region_of((const void *)addr)) {
		return FAULT_POOL;
	}
	unsigned s = atomic_load_explicit(&seq, memory_order_acquire);
	if ((s & 1) || maps == NULL) {
		return FAULT_UNKNOWN;
	}
	enum fault_class c = classify_in_snapshot(addr, sp, path);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&seq, memory_order_relaxed) != s) {
		*path = NULL;
		return FAULT_UNKNOWN; /* rewritten under us: the path may be another's */
	}
	return c;
}

/* ---- the events ---- */

static long open_event(long tid, bool disabled)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_PAGE_FAULTS;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_ADDR; /* si_addr: the faulted address */
	a.disabled = disabled;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.inherit = 1;
	a.inherit_thread = 1; /* threads created later, never fork children */
	a.remove_on_exec = 1;
	a.sigtrap = 1;
	a.sig_data = SIG_MAGIC;
	long fd = sys_raw(SYS_perf_event_open, (long)&a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC, 0);
	if (fd >= 0) {
		/* Clear of the low descriptors programs dup2 over. */
		long high = sys_raw(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 200, 0, 0, 0);
		if (high >= 0) {
			sys_close((int)fd);
			fd = high;
		}
	}
	return fd;
}

static void chain(int sig, siginfo_t *si, void *uc)
{
	if (chained.sa_flags & SA_SIGINFO) {
		if (chained.sa_sigaction) {
			chained.sa_sigaction(sig, si, uc);
		}
	} else if (chained.sa_handler == SIG_DFL) {
		/* What would have happened without us: the default action (a core dump). */
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGTRAP, &dfl, NULL);
		sys_raw(SYS_tgkill, sys_getpid(), sys_gettid(), SIGTRAP, 0, 0, 0);
	} else if (chained.sa_handler != SIG_IGN) {
		chained.sa_handler(sig);
	}
}

/* The kernel's siginfo for TRAP_PERF: si_addr, then data, type, flags. */
struct perf_siginfo {
	int signo, err, code, pad;
	void *addr;
	unsigned long data;
	uint32_t type, flags;
};

static uint32_t path_hash(const char *p)
{
	uint32_t h = 2166136261u;
	for (; p && *p; p++) {
		h = (h ^ (unsigned char)*p) * 16777619u;
	}
	return h;
}

/*
 * The handler's own first instructions, before it can mark the thread busy,
 * may touch a new stack page; that fault's signal arrives nested (NODEFER)
 * with its pc here.  The linker names the section's bounds.
 */
#define TRAP_TEXT __attribute__((section("ptfreeze_trap_text"), noinline))
extern const char __start_ptfreeze_trap_text[] __attribute__((visibility("hidden")));
extern const char __stop_ptfreeze_trap_text[] __attribute__((visibility("hidden")));

/* A page fault of the program: classify, unwind, record.  Inside shim_busy. */
static void record_fault(uintptr_t addr, const ucontext_t *uc)
{
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP], sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	const char *path;
	enum fault_class c = faults_classify(addr, sp, &path);
	if (c == FAULT_UNKNOWN && sys_now_ns() - atomic_load(&last_refresh) >= REFRESH_NS && faults_snapshot() == 0) {
		c = faults_classify(addr, sp, &path);
	}
	uintptr_t ips[MAX_FRAMES];
	int depth = capture_depth() < MAX_FRAMES ? capture_depth() : MAX_FRAMES;
	int n = capture_stack_at(ips, depth, pc, (void *)uc);
	struct event ev = {.kind = KIND_PAGE_FAULT,
			   .args = {addr},
			   .cls = faults_class_name(c),
			   .path = path,
			   .detail = class_details[c],
			   .sub = (uint32_t)c | (path ? path_hash(path) << 8 : 0)};
	/* At most half the site table: page faults must not crowd out the calls.  A place is reserved first. */
	ev.no_new_site = atomic_fetch_add_explicit(&fault_sites, 1, memory_order_relaxed) >= config.max_sites / 2;
	int r = guard_record_stack(&ev, ips, n);
	if (r != 1) {
		atomic_fetch_sub_explicit(&fault_sites, 1, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(r >= 0 ? &recorded : &unsited, 1, memory_order_relaxed);
}

TRAP_TEXT static void on_sigtrap(int sig, siginfo_t *si, void *ucv)
{
	/* First: whatever this thread touches from here on is the shim's doing. */
	int busy = shim_busy++;
	int saved = errno;
	const struct perf_siginfo *ps = (const struct perf_siginfo *)si;
	const ucontext_t *uc = ucv;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	if (si->si_code != TRAP_PERF || ps->data != SIG_MAGIC) {
		shim_busy--; /* the program's handler runs as the program */
		chain(sig, si, ucv);
		errno = saved;
		return;
	}
	if (!atomic_load_explicit(&live, memory_order_acquire)) {
		/* Sent before the events were closed. */
	} else if (busy || (pc >= (uintptr_t)__start_ptfreeze_trap_text && pc < (uintptr_t)__stop_ptfreeze_trap_text)) {
		/* The shim's own recording (or this handler) touched a new page: not a site of the program. */
		atomic_fetch_add_explicit(&in_shim, 1, memory_order_relaxed);
	} else if (ps->flags & TRAP_PERF_FLAG_ASYNC) {
		/* SIGTRAP was blocked when the fault happened: this context is not the fault's. */
		atomic_fetch_add_explicit(&late, 1, memory_order_relaxed);
	} else {
		record_fault((uintptr_t)ps->addr, uc);
	}
	shim_busy--;
	errno = saved;
}

static int install_handler(void)
{
	if (handler_installed) {
		return 0;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigtrap;
	/*
	 * NODEFER: a fault inside the handler (the unwinder's stack, a new
	 * page of the report buffer) must be seen while shim_busy says whose
	 * it is, not after the handler returns, in the program's context.
	 */
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTRAP, &sa, &chained) != 0) {
		return -errno;
	}
	handler_installed = true;
	return 0;
}

static void say_refused(long err)
{
	open_errno = (int)-err;
	if (err == -EACCES || err == -EPERM) {
		char buf[16];
		sampling = SAMPLING_REFUSED;
		if (sys_read_file("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)) > 0) {
			paranoid = buf[0] == '-' ? -(buf[1] - '0') : buf[0] - '0';
		}
	} else {
		sampling = SAMPLING_UNAVAILABLE;
	}
	bool missing = err == -ENOENT || err == -EINVAL || err == -EOPNOTSUPP || err == -ENOSYS;
	if (!atomic_flag_test_and_set(&said_refused)) {
		const char *en = strerrorname_np(open_errno);
		if (sampling == SAMPLING_REFUSED) {
			log_msg(LOG_WARN, "PTFREEZE_FAULTS: perf_event_open refused (%s, perf_event_paranoid=%d): page faults "
					  "after arming are counted, not attributed to code",
				en ? en : "?", paranoid);
		} else if (missing) {
			log_msg(LOG_WARN, "PTFREEZE_FAULTS: no perf page-fault events with sigtrap here (%s; Linux 5.13 or "
					  "later has them): page faults after arming are counted, not attributed to code",
				en ? en : "?");
		} else {
			log_msg(LOG_WARN, "PTFREEZE_FAULTS: perf_event_open failed (%s): page faults after arming are "
					  "counted, not attributed to code",
				en ? en : "?");
		}
	}
}

/* Opens an event on every thread of the process (/proc/self/task). */
static int open_all(void)
{
	long dir = sys_open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dir < 0) {
		return (int)dir;
	}
	char buf[4096] __attribute__((aligned(8)));
	int r = 0;
	bool full = false;
	for (;;) {
		long n = sys_raw(SYS_getdents64, dir, (long)buf, sizeof(buf), 0, 0, 0);
		if (n <= 0) {
			break;
		}
		for (long off = 0; off < n;) {
			const struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (const void *)(buf + off);
			off += d->reclen;
			long tid = 0;
			for (const char *c = d->name; *c >= '0' && *c <= '9'; c++) {
				tid = tid * 10 + (*c - '0');
			}
			if (tid <= 0) {
				continue;
			}
			int k = atomic_load(&nfds);
			if (k >= MAX_THREADS) {
				full = true;
				continue;
			}
			long fd = open_event(tid, true);
			if (fd == -ESRCH) {
				continue; /* exited meanwhile */
			}
			if (fd < 0) {
				r = (int)fd;
				goto out;
			}
			fds[k] = (int)fd;
			atomic_store(&nfds, k + 1);
			threads_opened++;
		}
	}
out:
	sys_close((int)dir);
	if (full) {
		log_msg(LOG_WARN, "PTFREEZE_FAULTS: more than %d threads at arming: page faults of the rest are not sampled",
			MAX_THREADS);
	}
	return r;
}

static void close_all(void)
{
	int n = atomic_exchange(&nfds, 0);
	for (int i = 0; i < n; i++) {
		sys_close(fds[i]);
	}
}

int faults_start(void)
{
	if (!config.faults || config.mode == MODE_OFF) {
		sampling = SAMPLING_OFF;
		return 0;
	}
	int r = faults_snapshot();
	if (r != 0 && r != -EBUSY) {
		log_msg(LOG_WARN, "PTFREEZE_FAULTS: cannot read /proc/self/maps (%s): faults are recorded without a class",
			strerrorname_np(-r));
	}
	r = install_handler();
	if (r != 0) {
		log_msg(LOG_WARN, "PTFREEZE_FAULTS: cannot install the SIGTRAP handler: page faults are not sampled");
		sampling = SAMPLING_UNAVAILABLE;
		open_errno = -r;
		return r;
	}
	threads_opened = 0;
	r = open_all();
	if (r != 0) {
		close_all();
		say_refused(r);
		return r;
	}
	sampling = SAMPLING_ON;
	return 0;
}

void faults_enable(void)
{
	if (sampling != SAMPLING_ON) {
		return;
	}
	atomic_store_explicit(&live, 1, memory_order_release);
	int n = atomic_load(&nfds);
	for (int i = 0; i < n; i++) {
		sys_raw(SYS_ioctl, fds[i], PERF_EVENT_IOC_ENABLE, 0, 0, 0, 0);
	}
}

void faults_stop(void)
{
	close_all();
	atomic_store_explicit(&live, 0, memory_order_release);
}

void faults_atfork_child(bool armed)
{
	/* Copies of the parent's descriptors: closing them here leaves the parent's events alone. */
	close_all();
	atomic_store(&live, 0);
	atomic_store(&recorded, 0);
	atomic_store(&in_shim, 0);
	atomic_store(&late, 0);
	atomic_store(&unsited, 0);
	atomic_store(&fault_sites, 0);
	if (!armed || sampling != SAMPLING_ON) {
		return;
	}
	long fd = open_event(sys_gettid(), false);
	if (fd < 0) {
		say_refused(fd);
		return;
	}
	fds[0] = (int)fd;
	atomic_store(&nfds, 1);
	threads_opened = 1;
	atomic_store(&live, 1);
}

void faults_json(struct sb *sb)
{
	static const char *const names[] = {
		[SAMPLING_OFF] = "off", [SAMPLING_ON] = "on", [SAMPLING_REFUSED] = "refused",
		[SAMPLING_UNAVAILABLE] = "unavailable"};
	sb_printf(sb, "{\"sampling\":\"%s\"", names[sampling]);
	if (sampling == SAMPLING_REFUSED || sampling == SAMPLING_UNAVAILABLE) {
		const char *en = open_errno ? strerrorname_np(open_errno) : NULL;
		sb_printf(sb, ",\"errno\":\"%s\",\"perf_event_paranoid\":", en ? en : "?");
		if (paranoid > -100) {
			sb_puti(sb, paranoid);
		} else {
			sb_puts(sb, "null");
		}
	}
	sb_printf(sb, ",\"threads\":%d,\"recorded\":%lu,\"unsited\":%lu,\"in_shim\":%lu,\"late\":%lu,\"maps\":%zu%s}",
		  threads_opened, (unsigned long)atomic_load(&recorded), (unsigned long)atomic_load(&unsited),
		  (unsigned long)atomic_load(&in_shim), (unsigned long)atomic_load(&late), nmaps,
		  maps_cut ? ",\"maps_cut\":true" : "");
}
