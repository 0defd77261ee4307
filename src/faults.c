/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * faults: page faults after arming, sampled by perf events into ring
 * buffers and recorded as sites by the shim's sampler thread (see
 * faults.h).  The faulting thread runs no code of ours: the kernel writes a
 * sample and the thread goes on.  Arming, the sampler and the drain at
 * exit use raw system calls, pool storage and atomics; never stdio.
 */
#include "autoconf.h"
#include "config.h"
#include "faults.h"

#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "capture.h"
#include "faultmap.h"
#include "fmt.h"
#include "guard.h"
#include "log.h"
#include "pool.h"
#include "procfs.h"
#include "real.h"
#include "shim.h"
#include "sys.h"
#include "tstack.h"

/* Events: one per (thread at arming, online CPU); threads made later inherit them. */
#define MAX_EVENTS 4096
#define MAX_CPUS 256
/* Ring data pages per CPU (a power of two): 256 KiB, halved while mmap refuses. */
#define RING_PAGES 64
#define PAGE 4096
/* The sampler's stack, from the pool: prefaulted, never unmapped. */
#define SAMPLER_STACK ((size_t)256 << 10)
/*
 * Bytes of the user stack each sample copies from the stack pointer up: a
 * frameless function's return address is found there (a frame-pointer
 * walk misses it).  Small: a copy of kilobytes costs several times a fault.
 */
#define STACK_COPY 128
/* Faulting instructions whose return-address slot is known (capture_ra_offset), per process. */
#define RA_CACHE 4096
#define MAX_FRAMES 128
/* An address in no mapping re-reads /proc/self/maps at most this often. */
#define REFRESH_NS 10000000ull

enum sampling { SAMPLING_OFF, SAMPLING_ON, SAMPLING_REFUSED, SAMPLING_UNAVAILABLE };
static enum sampling sampling;
static int open_errno;
static const char *open_stage = "perf_event_open"; /* where sampling could not start */
static int paranoid = -100; /* unknown */
static int threads_opened;
static atomic_flag said_refused;
static _Atomic int nfds;
static _Atomic int live;
static _Atomic uint64_t recorded, in_shim, unsited, lost, samples, counted;
static _Atomic int fault_sites;
static bool kernel_mode; /* the events count faults in system calls too (exclude_kernel=0) */
static bool cow;          /* this process forked or is a fork child: pool pages are copy-on-write */

static const char *const class_names[FAULT_CLASS_COUNT] = {
	[FAULT_UNKNOWN] = "unknown",       [FAULT_POOL] = "pool",     [FAULT_THREAD_STACK] = "thread-stack",
	[FAULT_MAIN_STACK] = "main-stack", [FAULT_BRK_HEAP] = "brk-heap", [FAULT_BSS] = "bss",
	[FAULT_CODE] = "code",             [FAULT_FILE] = "file",     [FAULT_ANON] = "anonymous",
	[FAULT_VDSO] = "kernel-mapping", [FAULT_POOL_COW] = "pool-cow",
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
	[FAULT_POOL_COW] = "a page of ptfreeze's pool written after fork (copy-on-write: parent and child shared it)",
};

const char *faults_class_name(enum fault_class c) { return c < FAULT_CLASS_COUNT ? class_names[c] : "unknown"; }


/*
 * The sampler's own storage (its tables, the mapping snapshot): one
 * mapping made at start-up (faults_reserve) and populated before arming (faults_populate), so that none of
 * it comes from the pool, whose size is the program's working set.  The
 * pool only where that mapping could not be made.
 */
static unsigned char *own_mem, *own_base;
static size_t own_left, own_len;

static void *own_carve(size_t size)
{
	size = (size + 63) & ~(size_t)63;
	if (own_mem && own_left >= size) {
		void *p = own_mem;
		own_mem += size;
		own_left -= size;
		return p;
	}
	return pool_carve(size, 64);
}

static size_t store_size(void);

void faults_reserve(void)
{
	if (!config.faults || config.mode == MODE_OFF || own_mem != NULL) {
		return;
	}
	size_t len = ((store_size() + 63) & ~(size_t)63) + faultmap_storage_bytes();
	len = (len + PAGE - 1) & ~(size_t)(PAGE - 1);
	/* Populated before arming (faults_populate), not here: a process that never arms pays nothing for it. */
	long m = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m < 0 && m >= -4095) {
		return; /* the pool, then */
	}
	sys_prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)m, len, (unsigned long)"ptfreeze-faults");
	own_mem = (unsigned char *)m;
	own_left = len;
	own_base = own_mem;
	own_len = len;
}

void faults_populate(void)
{
	if (own_base != NULL) {
		sys_madvise(own_base, own_len, MADV_POPULATE_WRITE);
	}
}

/* The shim's code, jemalloc's, or libunwind's. */
static bool shim_code(uintptr_t a) { return capture_is_internal(a) || faultmap_in_libunwind(a); }

int faults_snapshot(void) { return faultmap_read(own_carve); }

enum fault_class faults_classify(uintptr_t addr, uintptr_t sp, const char **path)
{
	*path = NULL;
	if (pool_region_of((const void *)addr)) {
		return cow ? FAULT_POOL_COW : FAULT_POOL;
	}
	return faultmap_classify(addr, sp, path);
}

/* ---- the events and their rings ---- */

/*
 * One ring per online CPU: the first event opened on a CPU owns it, every
 * other event on that CPU writes into it (PERF_EVENT_IOC_SET_OUTPUT), and
 * inherited events (threads made after arming) write into their parent's.
 * The kernel refuses to mmap an inherited per-thread event (cpu -1), which
 * is why the events are per CPU.
 */
struct ring {
	int fd;                          /* the owning event */
	struct perf_event_mmap_page *meta;
	unsigned char *data;
	size_t size;                     /* data bytes, a power of two */
};

/*
 * The sampler's tables, carved from the pool at the first arming: pool
 * memory is prefaulted, where the shim's own .bss would fault while armed.
 */
struct store {
	int fds[MAX_EVENTS];
	uint64_t ids[MAX_EVENTS]; /* each event's id: a descriptor the program closed and reused is not ours */
	struct ring rings[MAX_CPUS];
	int cpus[MAX_CPUS];
	struct {
		uintptr_t ip;
		int off;
	} ra_cache[RA_CACHE];
};
static struct store *st;
static size_t store_size(void) { return sizeof(struct store); }
static int ncpus;
static _Atomic int nrings;
static size_t ring_pages = RING_PAGES;
static int stale_rings; /* mapped by an earlier arming, its events closed (faults_stop) */
static atomic_flag draining;          /* held while a thread reads the rings */
static _Atomic long sampler_tid;      /* the sampler thread (its own faults are the shim's) */
static _Atomic int sampler_running;

/* The online CPUs from /sys/devices/system/cpu/online ("0-3,8"). */
static int read_cpus(void)
{
	char buf[512];
	long n = sys_read_file("/sys/devices/system/cpu/online", buf, sizeof(buf) - 1);
	ncpus = 0;
	if (n <= 0) {
		st->cpus[ncpus++] = 0;
		return ncpus;
	}
	buf[n] = '\0';
	for (const char *p = buf; *p >= '0' && *p <= '9';) {
		unsigned long lo, hi;
		p = fmt_cpu_range(p, &lo, &hi);
		for (unsigned long c = lo; c <= hi && ncpus < MAX_CPUS; c++) {
			st->cpus[ncpus++] = (int)c;
		}
		if (*p == ',') {
			p++;
		}
	}
	if (ncpus == 0) {
		st->cpus[ncpus++] = 0;
	}
	return ncpus;
}

static long open_event(long tid, int cpu)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_PAGE_FAULTS;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_ADDR | PERF_SAMPLE_CALLCHAIN |
			PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
	a.sample_regs_user = 1ull << 7; /* PERF_REG_X86_SP: the faulting thread's stack, for the class */
	a.sample_stack_user = STACK_COPY; /* where a frameless function keeps its caller */
	a.exclude_callchain_kernel = 1;
	int depth = capture_depth() + 8;
	a.sample_max_stack = (uint16_t)(depth > 127 ? 127 : depth < 8 ? 8 : depth);
	a.disabled = 1;
	a.exclude_kernel = !kernel_mode;
	a.exclude_hv = 1;
	a.inherit = 1;
	a.inherit_thread = 1; /* threads created later, never fork children (they open their own) */
	a.remove_on_exec = 1;
	a.watermark = 1;      /* wake the sampler when a quarter of the ring is used */
	a.wakeup_watermark = (uint32_t)(ring_pages * PAGE / 4);
	return sys_high_fd(sys_raw(SYS_perf_event_open, (long)&a, tid, cpu, -1, PERF_FLAG_FD_CLOEXEC, 0));
}

/* Maps the ring of the first event on cpu index i.  0 or -errno. */
static int map_ring(int i, int fd)
{
	size_t len = (ring_pages + 1) * PAGE;
	long m = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m >= 0 || m < -4095) {
		st->rings[i].fd = fd;
		st->rings[i].meta = (struct perf_event_mmap_page *)m;
		st->rings[i].data = (unsigned char *)m + PAGE;
		st->rings[i].size = ring_pages * PAGE;
		/*
		 * perf maps its pages at the first touch (MAP_POPULATE does not
		 * reach them): touch each now, at arming, so that reading the
		 * ring never faults while armed.
		 */
		for (size_t off = PAGE; off < len; off += PAGE) {
			(void)*(volatile const char *)((uintptr_t)m + off);
		}
		/* The control page is written too (data_tail): a read would map it read-only. */
		__atomic_store_n(&st->rings[i].meta->data_tail, 0, __ATOMIC_RELEASE);
		return 0;
	}
	/* perf_event_mlock_kb (per user) or RLIMIT_MEMLOCK: a smaller ring loses more, but works. */
	if ((m != -EPERM && m != -ENOMEM) || ring_pages <= 2) {
		return (int)m;
	}
	ring_pages /= 2;
	return -EAGAIN; /* the watermark was set for the larger ring: the events are opened again */
}

static void unmap_rings(void)
{
	int n = atomic_exchange(&nrings, 0);
	n = n > stale_rings ? n : stale_rings;
	stale_rings = 0;
	for (int i = 0; i < n; i++) {
		if (st->rings[i].meta) {
			sys_munmap(st->rings[i].meta, st->rings[i].size + PAGE);
		}
		st->rings[i].meta = NULL;
	}
}

/*
 * The sampler sleeps on this word (a futex: no descriptor a program could
 * close or reuse) while nothing is armed; arming bumps it and wakes it.
 */
static _Atomic uint32_t arm_gen;

static void wake_sampler(void)
{
	atomic_fetch_add(&arm_gen, 1);
	sys_raw(SYS_futex, (long)&arm_gen, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
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
	wake_sampler(); /* nothing to sample: its thread leaves */
	/*
	 * The report says it (the arm record and summary: sampling, errno,
	 * stage).  The program's stderr only where the user asked for
	 * PTFREEZE_FAULTS and it cannot be honoured.
	 */
	enum log_level level = config.faults_set ? LOG_WARN : LOG_DEBUG;
	bool missing = err == -ENOENT || err == -EINVAL || err == -EOPNOTSUPP || err == -ENOSYS;
	if (!atomic_flag_test_and_set(&said_refused)) {
		const char *en = strerrorname_np(open_errno);
		if (sampling == SAMPLING_REFUSED) {
			log_msg(level, "PTFREEZE_FAULTS: perf_event_open refused (%s, perf_event_paranoid=%d): page faults "
					  "after arming are counted, not attributed to code",
				en ? en : "?", paranoid);
		} else if (missing) {
			log_msg(level, "PTFREEZE_FAULTS: no perf page-fault events here (%s): page faults after arming are "
					  "counted, not attributed to code",
				en ? en : "?");
		} else {
			log_msg(level, "PTFREEZE_FAULTS: perf_event_open failed (%s): page faults after arming are "
					  "counted, not attributed to code",
				en ? en : "?");
		}
	}
}

/* Opens the events of thread tid, one per CPU, each writing into its CPU's ring.  0 or -errno. */
static int open_thread(long tid)
{
	for (int c = 0; c < ncpus; c++) {
		int k = atomic_load(&nfds);
		if (k >= MAX_EVENTS) {
			return -EMFILE;
		}
		long fd = open_event(tid, st->cpus[c]);
		if (fd == -EACCES && kernel_mode) {
			/* perf_event_paranoid allows user-mode events only: faults in system calls go unsampled. */
			kernel_mode = false;
			fd = open_event(tid, st->cpus[c]);
		}
		if (fd < 0) {
			open_stage = "perf_event_open";
			return (int)fd;
		}
		st->fds[k] = (int)fd;
		st->ids[k] = 0;
		sys_raw(SYS_ioctl, fd, PERF_EVENT_IOC_ID, (long)&st->ids[k], 0, 0, 0);
		atomic_store(&nfds, k + 1);
		if (c >= atomic_load(&nrings)) {
			int r = map_ring(c, (int)fd);
			if (r != 0) {
				open_stage = "mmap";
				return r;
			}
			atomic_store(&nrings, c + 1);
		} else {
			long r = sys_raw(SYS_ioctl, fd, PERF_EVENT_IOC_SET_OUTPUT, st->rings[c].fd, 0, 0, 0);
			if (r < 0) {
				open_stage = "set_output";
				return (int)r;
			}
		}
	}
	threads_opened++;
	return 0;
}

/* open_all's step: 0 to go on, 1 to stop fine, -errno to stop with an error. */
static int open_one(long tid, void *arg)
{
	(void)arg;
	int r = open_thread(tid);
	if (r == -ESRCH) {
		return 0; /* exited meanwhile */
	}
	if (r == -EMFILE && threads_opened > 0) {
		log_msg(LOG_WARN, "PTFREEZE_FAULTS: more than %d events (threads at arming times CPUs): page "
				  "faults of the other threads are not sampled", MAX_EVENTS);
		return 1;
	}
	return r;
}

/* Opens events on every thread of the process (/proc/self/task). */
static int open_all(void)
{
	int r = procfs_for_each_id("/proc/self/task", open_one, NULL);
	return r > 0 ? 0 : r;
}

/* Descriptor i is still our event (the program may have closed it and opened another file). */
static bool ours(int i)
{
	uint64_t id = 0;
	return sys_raw(SYS_ioctl, st->fds[i], PERF_EVENT_IOC_ID, (long)&id, 0, 0, 0) == 0 && id == st->ids[i];
}

/* Every fault the events counted, sampled or not (inherited events included). */
static uint64_t read_counts(void)
{
	uint64_t sum = 0;
	int n = atomic_load(&nfds);
	for (int i = 0; i < n; i++) {
		uint64_t v;
		if (ours(i) && sys_read(st->fds[i], &v, sizeof(v)) == (long)sizeof(v)) {
			sum += v;
		}
	}
	return sum;
}

static void close_all(void)
{
	int n = atomic_exchange(&nfds, 0);
	for (int i = 0; i < n; i++) {
		if (ours(i)) {
			sys_close(st->fds[i]);
		}
	}
}

/* ---- the samples ---- */

static uint32_t path_hash(const char *p)
{
	uint32_t h = 2166136261u;
	for (; p && *p; p++) {
		h = (h ^ (unsigned char)*p) * 16777619u;
	}
	return h;
}

/*
 * Where the code at ip keeps its return address (capture_ra_offset),
 * asked of libunwind once per instruction: the sampler and the drain at
 * exit, one at a time under `draining`, are the only users.
 */

static int ra_offset(uintptr_t ip)
{
	size_t h = (size_t)((ip * 0x9e3779b97f4a7c15ull) >> 52) & (RA_CACHE - 1);
	for (size_t i = 0; i < 8; i++) {
		size_t k = (h + i) & (RA_CACHE - 1);
		if (st->ra_cache[k].ip == ip) {
			return st->ra_cache[k].off;
		}
		if (st->ra_cache[k].ip == 0) {
			st->ra_cache[k].off = capture_ra_offset(ip, STACK_COPY);
			st->ra_cache[k].ip = ip;
			return st->ra_cache[k].off;
		}
	}
	return capture_ra_offset(ip, STACK_COPY); /* a crowded neighbourhood: ask again */
}

/*
 * A page fault of the program, from its sample: classify, key by the
 * callchain (the frameless innermost function's caller put back from the
 * stack copy), count.
 */
static void record_sample(uintptr_t ip, uintptr_t addr, const uint64_t *chain, uint64_t nchain, uintptr_t sp,
			  const unsigned char *stack, uint64_t stack_len)
{
	const char *path;
	enum fault_class c = faults_classify(addr, sp, &path);
	if (c == FAULT_UNKNOWN && sys_now_ns() - faultmap_read_ns() >= REFRESH_NS && faults_snapshot() == 0) {
		c = faults_classify(addr, sp, &path);
	}
	/*
	 * The callchain's user part: its first entry is the interrupted user
	 * instruction (the faulting one, or after the system call for a fault
	 * taken in the kernel), the rest return addresses.  Entries from
	 * PERF_CONTEXT_MAX up are context markers.
	 */
	uintptr_t ips[MAX_FRAMES];
	int depth = capture_depth() < MAX_FRAMES ? capture_depth() : MAX_FRAMES;
	int n = 0;
	bool first = true, in_kernel = ip >= (uintptr_t)0xffff800000000000ull;
	/*
	 * The shim's own faults, taken in a program thread: libunwind
	 * unwinding for a record (its first touch of its code and tables), or
	 * the shim's or jemalloc's code with none of the program's above it
	 * (a fork child's set-up, the summary at exit).  Counted apart
	 * (in_shim), never the program's sites.
	 */
	bool own = false, user_frames = false;
	for (uint64_t i = 0; i < nchain; i++) {
		uintptr_t a = (uintptr_t)chain[i];
		if (a >= (uintptr_t)PERF_CONTEXT_MAX) {
			continue;
		}
		user_frames = true;
		if (faultmap_in_libunwind(a)) {
			own = true; /* libunwind above the program's frames: the shim was unwinding */
			break;
		}
		if (!shim_code(a)) {
			break; /* the program's frame first */
		}
		own = true; /* so far only the shim's: the program's frame, if any, decides */
	}
	if (own) {
		/* Own only if no program frame follows the shim's, or libunwind is in there. */
		bool prog = false, unwinding = false;
		for (uint64_t i = 0; i < nchain && !unwinding; i++) {
			uintptr_t a = (uintptr_t)chain[i];
			if (a < (uintptr_t)PERF_CONTEXT_MAX) {
				unwinding |= !prog && faultmap_in_libunwind(a);
				prog |= !shim_code(a);
			}
		}
		own = unwinding || !prog;
	}
	if (own && user_frames) {
		atomic_fetch_add_explicit(&in_shim, 1, memory_order_relaxed);
		return;
	}
	for (uint64_t i = 0; i < nchain && n < depth; i++) {
		uintptr_t a = (uintptr_t)chain[i];
		if (a >= (uintptr_t)PERF_CONTEXT_MAX) {
			continue;
		}
		if (first) {
			first = false;
			/* Looked up at address - 1 like every frame: +1 lands on the faulting instruction. */
			if (!capture_is_internal(a)) {
				ips[n++] = in_kernel ? a : a + 1;
			}
			/*
			 * A function that has not set up a frame pointer (most
			 * distribution code, every leaf at -O2): the walk's next
			 * entry is its caller's caller.  Its return address is in
			 * the stack copy, where its unwind information says.
			 */
			int off = ra_offset(a);
			uint64_t ra;
			if (off >= 0 && (uint64_t)off + 8 <= stack_len) {
				memcpy(&ra, stack + off, 8);
				uintptr_t next = 0;
				for (uint64_t k = i + 1; k < nchain; k++) {
					if (chain[k] < (uint64_t)PERF_CONTEXT_MAX) {
						next = (uintptr_t)chain[k];
						break;
					}
				}
				if (ra >= 0x10000 && ra != next && n < depth && !(n == 0 && capture_is_internal(ra))) {
					ips[n++] = (uintptr_t)ra;
				}
			}
			continue;
		}
		if (n == 0 && capture_is_internal(a)) {
			continue; /* the shim's and jemalloc's frames: the stack starts at their caller */
		}
		ips[n++] = a;
	}
	if (first && ip && !in_kernel) {
		ips[n++] = ip + 1; /* no callchain: the faulting instruction alone */
	}
	if (n == 0) {
		/* No user frame to name (a fault in the kernel with no user registers): counted, not a site. */
		atomic_fetch_add_explicit(&unsited, 1, memory_order_relaxed);
		return;
	}
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

/* One record of a ring: a sample, or a count of samples the full ring dropped. */
static void take_record(const struct perf_event_header *h)
{
	const uint64_t *p = (const uint64_t *)(h + 1), *end = (const uint64_t *)((const char *)h + h->size);
	if (h->type == PERF_RECORD_LOST) {
		if (p + 2 <= end) {
			atomic_fetch_add_explicit(&lost, p[1], memory_order_relaxed);
		}
		return;
	}
	if (h->type != PERF_RECORD_SAMPLE || p + 5 > end) {
		return;
	}
	atomic_fetch_add_explicit(&samples, 1, memory_order_relaxed);
	uintptr_t ip = (uintptr_t)p[0];
	uint32_t tid = (uint32_t)(p[1] >> 32);
	uintptr_t addr = (uintptr_t)p[2];
	uint64_t nchain = p[3];
	const uint64_t *chain = p + 4;
	if (chain + nchain > end) {
		return;
	}
	const uint64_t *regs = chain + nchain, *ustack;
	uintptr_t sp = 0;
	if (regs + 1 <= end && regs[0] != PERF_SAMPLE_REGS_ABI_NONE) {
		sp = regs + 2 <= end ? (uintptr_t)regs[1] : 0;
		ustack = regs + 2;
	} else {
		ustack = regs + 1;
	}
	/* The stack copy: its size, the bytes, and how many of them are real (dyn_size). */
	const unsigned char *stack = NULL;
	uint64_t stack_len = 0;
	if (ustack + 1 <= end && ustack[0] && ustack + 1 + ustack[0] / 8 + 1 <= end) {
		stack = (const unsigned char *)(ustack + 1);
		stack_len = ustack[1 + ustack[0] / 8];
		stack_len = stack_len < ustack[0] ? stack_len : ustack[0];
	}
	if ((long)tid == atomic_load_explicit(&sampler_tid, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&in_shim, 1, memory_order_relaxed); /* the sampler's own */
		return;
	}
	record_sample(ip, addr, chain, nchain, sp, stack, stack_len);
}

/* Reads everything the kernel wrote into ring r since the last drain.  Under `draining`. */
static void drain_ring(struct ring *r)
{
	uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->meta->data_tail;
	uint64_t mask = r->size - 1;
	uint64_t copy[(sizeof(struct perf_event_header) + 8 * (8 + 128 + 4) + STACK_COPY + 7) / 8 + 8];
	while (tail < head) {
		const struct perf_event_header *h = (const void *)(r->data + (tail & mask));
		struct perf_event_header hh;
		if ((tail & mask) + sizeof(hh) > r->size) {
			/* The header itself wraps: perf keeps records 8-aligned, so this cannot happen, but be safe. */
			break;
		}
		hh = *h;
		if (hh.size < sizeof(hh) || tail + hh.size > head) {
			break;
		}
		if ((tail & mask) + hh.size > r->size) {
			/* Wraps around the end of the ring: one contiguous copy. */
			if (hh.size <= sizeof(copy)) {
				size_t first = r->size - (tail & mask);
				memcpy(copy, r->data + (tail & mask), first);
				memcpy((char *)copy + first, r->data, hh.size - first);
				take_record((const struct perf_event_header *)copy);
			}
		} else {
			take_record(h);
		}
		tail += hh.size;
	}
	__atomic_store_n(&r->meta->data_tail, head, __ATOMIC_RELEASE);
}

static void drain_all(void)
{
	int n = atomic_load(&nrings);
	for (int i = 0; i < n; i++) {
		if (st->rings[i].meta) {
			drain_ring(&st->rings[i]);
		}
	}
}

static void lock_drain(void) { sys_spin_lock(&draining); }

static void unlock_drain(void) { sys_spin_unlock(&draining); }

/* ---- the program's last thread ---- */

/*
 * True when every thread of the program has exited and only the shim's
 * (the caller) is left: the leader is a zombie (it left by pthread_exit)
 * and the thread group counts it and the caller only.  glibc counts the
 * shim's thread as one of the process's, so the program's last thread
 * leaving by pthread_exit (or returning, with the leader gone) does not
 * end the process as it would without the shim: the caller must leave,
 * and glibc then calls exit(0) in it, as it would have in that last thread.
 * Rate-limited: at most once a second while the leader runs, every 20 ms
 * once it has left.
 */
static _Atomic uint64_t gone_checked;
static _Atomic int leader_gone;

bool faults_program_gone(void)
{
	uint64_t now = sys_now_ns(), last = atomic_load(&gone_checked);
	uint64_t every = atomic_load(&leader_gone) ? 20000000ull : 1000000000ull;
	if (now - last < every) {
		return false;
	}
	atomic_store(&gone_checked, now);
	char buf[512];
	long n = sys_read_file("/proc/self/stat", buf, sizeof(buf) - 1);
	if (n <= 0) {
		return false;
	}
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ' || (p[2] != 'Z' && p[2] != 'X')) {
		return false; /* the leader runs: a program thread is alive */
	}
	atomic_store(&leader_gone, 1);
	n = sys_read_file("/proc/self/status", buf, sizeof(buf) - 1);
	if (n <= 0) {
		return false;
	}
	buf[n] = '\0';
	p = strstr(buf, "\nThreads:");
	if (p == NULL) {
		return false;
	}
	long threads = 0;
	for (p += 9; *p == ' ' || *p == '\t'; p++) {
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		threads = threads * 10 + (*p - '0');
	}
	return threads > 0 && threads <= 2; /* the zombie leader and the caller */
}

/* ---- the sampler thread ---- */

void faults_sampler_run(void)
{
	if (!config.faults || config.mode == MODE_OFF) {
		return;
	}
	int expect = 0;
	if (!atomic_compare_exchange_strong(&sampler_running, &expect, 1)) {
		return;
	}
	shim_busy++; /* everything this thread does is the shim's */
	/*
	 * Every signal blocked but SIGSYS: the backstop refuses to install
	 * while a thread blocks it, and a trapped call made with it blocked
	 * (libunwind mapping memory under the filter) would kill the process.
	 */
	uint64_t sys_bit = 1ull << (SIGSYS - 1);
	sys_raw(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&sys_bit, 0, sizeof(sys_bit), 0, 0);
	atomic_store(&sampler_tid, sys_gettid());
	sys_prctl(PR_SET_NAME, (unsigned long)"ptfreeze-faults", 0, 0, 0);
	struct pollfd pf[MAX_CPUS];
	for (;;) {
		if (sampling == SAMPLING_REFUSED || sampling == SAMPLING_UNAVAILABLE) {
			break; /* nothing to sample in this process */
		}
		uint32_t gen = atomic_load(&arm_gen);
		int nr = atomic_load(&nrings);
		if (faults_program_gone()) {
			break; /* the program's threads have all left: so does this one, and the process exits */
		}
		if (!atomic_load(&live) || nr == 0) {
			/* Timed: to look for the program's last thread (faults_program_gone). */
			struct timespec second = {atomic_load(&leader_gone) ? 0 : 1, atomic_load(&leader_gone) ? 20000000 : 0};
			sys_raw(SYS_futex, (long)&arm_gen, FUTEX_WAIT_PRIVATE, gen, (long)&second, 0, 0);
			continue;
		}
		for (int i = 0; i < nr; i++) {
			pf[i] = (struct pollfd){.fd = st->rings[i].fd, .events = POLLIN};
		}
		/*
		 * Woken when a ring is a quarter full; at least once a second
		 * anyway (a disarm, a descriptor the program closed under us:
		 * POLLNVAL, then a timed sleep).
		 */
		long r = sys_raw(SYS_poll, (long)pf, nr, atomic_load(&leader_gone) ? 20 : 1000, 0, 0, 0);
		bool nval = false;
		for (int i = 0; i < nr && r > 0; i++) {
			nval |= (pf[i].revents & POLLNVAL) != 0;
		}
		if (nval) {
			struct timespec ts = {0, 50000000};
			sys_raw(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
		}
		if (!atomic_flag_test_and_set_explicit(&draining, memory_order_acquire)) {
			if (atomic_load(&live)) {
				drain_all();
			}
			unlock_drain();
		}
	}
	atomic_store(&sampler_tid, 0);
	atomic_store(&sampler_running, 0);
	shim_busy--;
}

static void *sampler_main(void *arg)
{
	(void)arg;
	faults_sampler_run();
	return NULL;
}

/*
 * Starts the sampler thread unless one runs: all signals but SIGSYS
 * blocked (none of the program's is delivered to it), detached, on a
 * stack glibc never unmaps (tstack_spawn_shim).
 */
static void spawn_sampler(void)
{
	if (atomic_load(&sampler_running) || real.pthread_create == NULL) {
		return;
	}
	shim_busy++;
	int r = tstack_spawn_shim(SAMPLER_STACK, sampler_main, NULL);
	shim_busy--;
	if (r == -ENOMEM) {
		return;
	}
	if (r != 0) {
		log_msg(LOG_DEBUG, "PTFREEZE_FAULTS: no sampler thread (error %d): samples are read at exit", r);
	}
}

/* ---- life cycle ---- */

/* Sampling could not start: everything opened goes, and the report says why. */
static void give_up(int r)
{
	close_all();
	unmap_rings();
	say_refused(r);
}

static int open_events(bool all_threads)
{
	read_cpus();
	kernel_mode = true;
	for (int tries = 0;; tries++) {
		threads_opened = 0;
		int r = all_threads ? open_all() : open_thread(sys_gettid());
		if (r == -EAGAIN && tries < 8) {
			close_all();
			unmap_rings();
			continue; /* a smaller ring */
		}
		return r;
	}
}

int faults_start(void)
{
	if (!config.faults || config.mode == MODE_OFF) {
		sampling = SAMPLING_OFF;
		return 0;
	}
	if (st == NULL && (st = own_carve(sizeof(*st))) == NULL) {
		sampling = SAMPLING_UNAVAILABLE;
		open_errno = ENOMEM;
		return -ENOMEM;
	}
	int r = faults_snapshot();
	if (r != 0 && r != -EBUSY) {
		log_msg(LOG_WARN, "PTFREEZE_FAULTS: cannot read /proc/self/maps (%s): faults are recorded without a class",
			strerrorname_np(-r));
	}
	unmap_rings(); /* an earlier arming's */
	r = open_events(true);
	for (int again = 0; r != 0 && r != -EACCES && r != -EPERM && r != -ENOENT && r != -ENOSYS && again < 2; again++) {
		/* A thread that came or went while its events were opened: once more, from scratch. */
		close_all();
		unmap_rings();
		r = open_events(true);
	}
	if (r != 0) {
		give_up(r);
		return r;
	}
	sampling = SAMPLING_ON;
	return 0;
}

static bool counting; /* faults_begin() enabled the events of this arming */

void faults_begin(void)
{
	if (sampling != SAMPLING_ON || counting) {
		return;
	}
	int n = atomic_load(&nfds);
	for (int i = 0; i < n; i++) {
		sys_raw(SYS_ioctl, st->fds[i], PERF_EVENT_IOC_ENABLE, 0, 0, 0, 0);
	}
	counting = true;
}

void faults_enable(bool may_spawn)
{
	if (sampling != SAMPLING_ON) {
		return;
	}
	faults_begin();
	counting = false; /* the next arming opens new events */
	atomic_store_explicit(&live, 1, memory_order_release);
	wake_sampler();
	if (may_spawn) {
		spawn_sampler();
	}
}

void faults_stop(void)
{
	if (atomic_load(&nfds) == 0 && atomic_load(&nrings) == 0) {
		return;
	}
	int n = atomic_load(&nfds);
	for (int i = 0; i < n; i++) {
		if (ours(i)) {
			sys_raw(SYS_ioctl, st->fds[i], PERF_EVENT_IOC_DISABLE, 0, 0, 0, 0);
		}
	}
	shim_busy++;
	lock_drain();
	/* What is in the rings now is every sample there will be: read it here. */
	drain_all();
	atomic_fetch_add(&counted, read_counts());
	/*
	 * A full ring's LOST record is written only when the kernel next has a
	 * sample to put in it after a drain made room; disabled, the events
	 * will have none.  So what the counters counted and no record accounts
	 * for is lost too (faultheavy -F: 6,829 of 7,999 once the populate step
	 * left the program's exit path no fault to trigger the record).
	 */
	uint64_t seen = atomic_load(&samples) + atomic_load(&lost), all = atomic_load(&counted);
	if (all > seen) {
		atomic_fetch_add(&lost, all - seen);
	}
	atomic_store_explicit(&live, 0, memory_order_release);
	close_all();
	/*
	 * The rings stay mapped (the events behind them are disabled): an
	 * unmap here would show in the summary's what-changed-since-arming.
	 * A later arming unmaps them; exec and exit drop them.
	 */
	stale_rings = atomic_exchange(&nrings, 0);
	unlock_drain();
	shim_busy--;
	wake_sampler();
}

void faults_atfork_parent(void) { cow = true; }

void faults_atfork_child(bool armed, bool mid)
{
	/*
	 * The parent's rings were not copied (perf maps them VM_DONTCOPY), its
	 * sampler thread did not come along and its descriptors are copies:
	 * closing them leaves the parent's events alone.  The eventfd would
	 * wake the parent's sampler: the child makes its own.
	 */
	close_all();
	for (int i = 0; st && i < MAX_CPUS; i++) {
		st->rings[i].meta = NULL;
	}
	atomic_store(&nrings, 0);
	stale_rings = 0;
	atomic_flag_clear(&draining);
	atomic_store(&sampler_running, 0);
	atomic_store(&sampler_tid, 0);
	cow = true;
	counting = false; /* the parent's events, not the child's */
	atomic_store(&live, 0);
	/* The child reports its own counts. */
	static _Atomic uint64_t *const counts[] = {&recorded, &in_shim, &unsited, &lost, &samples, &counted};
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		atomic_store(counts[i], 0);
	}
	atomic_store(&fault_sites, 0);
	threads_opened = 0;
	/*
	 * Forked while another thread was arming, before it opened the events
	 * (a pre-forking server armed by a delay): the child is armed, and
	 * opens its own as arming would have (3-4 of 27 children armed with
	 * sampling off, forking every 0.5 ms while 500 threads made arming long).
	 */
	bool open_now = armed && mid && sampling == SAMPLING_OFF && config.faults && config.mode != MODE_OFF;
	if (!open_now && (!armed || sampling != SAMPLING_ON || st == NULL)) {
		return;
	}
	/*
	 * Smaller rings: a fork child has one thread, and its rings are
	 * mapped and touched on every fork (a server forking per connection).
	 */
	ring_pages = RING_PAGES / 4;
	if (open_now) {
		if (faults_start() == 0) {
			faults_enable(true);
		}
		return;
	}
	int r = open_events(false);
	if (r != 0) {
		give_up(r);
		return;
	}
	faults_enable(true);
}

void faults_json(struct sb *sb)
{
	static const char *const names[] = {
		[SAMPLING_OFF] = "off", [SAMPLING_ON] = "on", [SAMPLING_REFUSED] = "refused",
		[SAMPLING_UNAVAILABLE] = "unavailable"};
	sb_printf(sb, "{\"sampling\":\"%s\"", names[sampling]);
	if (sampling == SAMPLING_REFUSED || sampling == SAMPLING_UNAVAILABLE) {
		const char *en = open_errno ? strerrorname_np(open_errno) : NULL;
		sb_printf(sb, ",\"errno\":\"%s\",\"stage\":\"%s\",\"perf_event_paranoid\":", en ? en : "?", open_stage);
		if (paranoid > -100) {
			sb_puti(sb, paranoid);
		} else {
			sb_puts(sb, "null");
		}
	}
	if (sampling == SAMPLING_ON) {
		sb_printf(sb, ",\"method\":\"ring\",\"stacks\":\"frame-pointers\",\"kernel_mode\":%s,\"cpus\":%d,"
			      "\"ring_bytes\":%zu,\"sampler_thread\":%s",
			  kernel_mode ? "true" : "false", ncpus, ring_pages * PAGE,
			  atomic_load(&sampler_running) ? "true" : "false");
		/* The rings' addresses: mappings of the shim's own (a fork child maps them while armed). */
		sb_puts(sb, ",\"rings\":[");
		int k = 0;
		for (int i = 0; st && i < MAX_CPUS; i++) {
			if (st->rings[i].meta && k < 128) {
				sb_printf(sb, "%s\"%p\"", k++ ? "," : "", (void *)st->rings[i].meta);
			} else if (st->rings[i].meta) {
				k++;
			}
		}
		sb_putc(sb, ']');
		if (k > 128) {
			sb_puts(sb, ",\"rings_cut\":true");
		}
	}
	bool maps_cut;
	size_t nmaps = faultmap_count(&maps_cut);
	sb_printf(sb, ",\"threads\":%d,\"counted\":%lu,\"samples\":%lu,\"recorded\":%lu,\"unsited\":%lu,\"in_shim\":%lu,"
		      "\"lost\":%lu,\"maps\":%zu%s}",
		  threads_opened, (unsigned long)atomic_load(&counted), (unsigned long)atomic_load(&samples),
		  (unsigned long)atomic_load(&recorded), (unsigned long)atomic_load(&unsited),
		  (unsigned long)atomic_load(&in_shim), (unsigned long)atomic_load(&lost), nmaps,
		  maps_cut ? ",\"maps_cut\":true" : "");
}
