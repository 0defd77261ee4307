/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pool: reserve, back, prefault and hand out the memory pool (see pool.h).
 * Never knows jemalloc; never unmaps a region once it is in the table;
 * never allocates (pool_grow runs inside jemalloc's extent hooks).
 */
#include "autoconf.h"
#include "config.h"
#include "pool.h"

#include <errno.h>
#include <linux/mman.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fmt.h"
#include "kinds.h"
#include "log.h"
#include "numa.h"
#include "real.h"
#include "procfs.h"
#include "sys.h"

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)
#endif

struct pool pool;

static size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

static size_t page_size_of(enum backing b)
{
	return b == BACKING_HUGETLB_1G ? (size_t)1 << 30 : b == BACKING_HUGETLB_2M ? POOL_ALIGN : 4096;
}

/* Free huge pages of one size, less those promised to existing mappings. */
static long hugetlb_available(size_t page_kb)
{
	char path[96], buf[32];
	struct sb sb;
	long free_pages, resv;
	sb_init(&sb, path, sizeof(path));
	sb_printf(&sb, "/sys/kernel/mm/hugepages/hugepages-%zukB/free_hugepages", page_kb);
	if (sys_read_file(sb_cstr(&sb), buf, sizeof(buf)) <= 0) {
		return 0;
	}
	free_pages = atol(buf);
	sb_init(&sb, path, sizeof(path));
	sb_printf(&sb, "/sys/kernel/mm/hugepages/hugepages-%zukB/resv_hugepages", page_kb);
	resv = sys_read_file(sb_cstr(&sb), buf, sizeof(buf)) > 0 ? atol(buf) : 0;
	return free_pages > resv ? free_pages - resv : 0;
}

static bool thp_possible(void)
{
	char buf[128];
	if (sys_read_file("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)) <= 0) {
		return false;
	}
	return strstr(buf, "[never]") == NULL;
}

/* Maps len bytes of the given backing, 2M-aligned for THP; NULL on failure. */
static void *map_backed(size_t len, enum backing b, long *err)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	long r;
	switch (b) {
	case BACKING_HUGETLB_1G:
		r = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0);
		break;
	case BACKING_HUGETLB_2M:
		r = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
		break;
	default: {
		/* Over-map and trim so the region starts on a 2M boundary. */
		r = sys_mmap(NULL, len + POOL_ALIGN, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (r < 0 && r > -4096) {
			break;
		}
		uintptr_t raw = (uintptr_t)r, base = align_up(raw, POOL_ALIGN);
		if (base > raw) {
			sys_munmap((void *)raw, base - raw);
		}
		if (base + len < raw + len + POOL_ALIGN) {
			sys_munmap((void *)(base + len), raw + len + POOL_ALIGN - (base + len));
		}
		r = (long)base;
		if (b == BACKING_THP) {
			/*
			 * Before any page is touched, or the kernel fills it with 4K
			 * pages: also for a deferred region, whose first pages jemalloc
			 * touches at start-up (one 2M page, where 4K pages would keep
			 * that part of the pool off huge pages for good).
			 */
			long m = sys_madvise((void *)base, len, MADV_HUGEPAGE);
			if (m < 0) {
				sys_munmap((void *)base, len);
				r = m;
			}
		}
		break;
	}
	}
	if (r < 0 && r > -4096) {
		*err = -r;
		return NULL;
	}
	return (void *)r;
}

static void defer_prefault(struct pool_region *reg, size_t ps);

static long touch_range(char *p, size_t len, size_t step)
{
	for (size_t off = 0; off < len; off += step) {
		*(volatile char *)(p + off) = 0;
	}
	return 0;
}

static long populate(char *p, size_t len, size_t step)
{
	long r = sys_madvise(p, len, MADV_POPULATE_WRITE);
	if (r == -EINVAL || r == -ENOSYS) {
		pool.populate_fallback = true;
		return touch_range(p, len, step);
	}
	return r;
}

struct prefault_job {
	char *p;
	size_t len;
	size_t step;
	long result;
};

static void *prefault_worker(void *arg)
{
	struct prefault_job *j = arg;
	j->result = populate(j->p, j->len, j->step);
	return NULL;
}

static int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* Populates [p, p+len) with up to `threads` threads; 0 or -errno. */
static long prefault(char *p, size_t len, size_t step, int threads)
{
	enum { MAX_THREADS = 64 };
	struct prefault_job jobs[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	bool started[MAX_THREADS] = {false};
	if (threads > MAX_THREADS) {
		threads = MAX_THREADS;
	}
	size_t unit = step > POOL_ALIGN ? step : POOL_ALIGN;
	size_t units = len / unit ? len / unit : 1;
	if ((size_t)threads > units) {
		threads = (int)units;
	}
	if (threads <= 1 || real.pthread_create == NULL) {
		return populate(p, len, step);
	}
	size_t per = (units / (size_t)threads) * unit;
	for (int i = 0; i < threads; i++) {
		jobs[i].p = p + (size_t)i * per;
		jobs[i].len = i == threads - 1 ? len - (size_t)i * per : per;
		jobs[i].step = step;
		jobs[i].result = 0;
	}
	for (int i = 1; i < threads; i++) {
		started[i] = real.pthread_create(&tids[i], NULL, prefault_worker, &jobs[i]) == 0;
	}
	prefault_worker(&jobs[0]);
	long r = jobs[0].result;
	for (int i = 1; i < threads; i++) {
		if (started[i]) {
			real.pthread_join(tids[i], NULL); /* created with real.pthread_create: no shim stack to release */
		} else {
			prefault_worker(&jobs[i]);
		}
		if (jobs[i].result < 0) {
			r = jobs[i].result;
		}
	}
	return r;
}

static void lock_region(struct pool_region *r)
{
	long m = sys_mlock((void *)r->base, r->end - r->base);
	static atomic_flag warned;
	r->locked = m == 0;
	/* Once: growth after arming would say it again for each region. */
	if (m < 0 && !atomic_flag_test_and_set(&warned)) {
		struct rlimit lim = {0, 0};
		getrlimit(RLIMIT_MEMLOCK, &lim);
		log_msg(LOG_WARN, "PTFREEZE_MLOCK: mlock of %zu bytes refused (%s, RLIMIT_MEMLOCK %lu bytes); the pool is not locked",
			(size_t)(r->end - r->base), m == -EPERM ? "EPERM" : m == -ENOMEM ? "ENOMEM" : "error",
			(unsigned long)lim.rlim_cur);
	}
}

/* Publishes a region; returns it, or NULL (the mapping unmapped) if the table is full. */
/* pool_reserve_lazy() is reserving: its regions' prefault is cut into chunks for later. */
static bool deferring;

static struct pool_region *add_region(uintptr_t base, size_t len, enum backing b, bool at_startup)
{
	int n = atomic_load(&pool.nregions);
	if (n >= POOL_MAX_REGIONS) {
		sys_munmap((void *)base, len);
		return NULL;
	}
	struct pool_region *r = &pool.regions[n];
	r->base = base;
	r->end = base + len;
	atomic_store(&r->cursor, base);
	r->backing = b;
	r->at_startup = at_startup;
	r->locked = false;
	sys_prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, base, len, (unsigned long)"ptfreeze-pool");
	atomic_store(&pool.nregions, n + 1);
	return r;
}

/*
 * Maps, prefaults and publishes up to `len` bytes of backing b; returns the
 * bytes obtained (a multiple of the page size), 0 when b is unavailable.
 */
static size_t reserve_one(size_t len, enum backing b, int threads, bool at_startup)
{
	size_t ps = page_size_of(b);
	long err = 0;
	len = align_up(len, ps);
	if (b == BACKING_HUGETLB_1G || b == BACKING_HUGETLB_2M) {
		long avail = hugetlb_available(ps >> 10);
		if (pool.requested == HUGEPAGES_AUTO) {
			avail /= 2; /* as many again stay free for fork children's copies */
		}
		if ((size_t)avail * ps < len) {
			len = (size_t)avail * ps;
		}
		if (len == 0) {
			return 0;
		}
	}
	if (b == BACKING_THP && !thp_possible()) {
		return 0;
	}
	if (atomic_load(&pool.nregions) >= POOL_MAX_REGIONS) {
		return 0;
	}
	void *p = map_backed(len, b, &err);
	if (p == NULL) {
		log_msg(LOG_DEBUG, "pool: %s mapping of %zu bytes failed (errno %ld)", kinds_backing_name(b), len, err);
		return 0;
	}
	/* The policy must be in place before the first page is allocated. */
	numa_apply(p, len);
	/*
	 * Before arming a region is prefaulted later, as the start-up one is: a
	 * program that mallocs a large buffer and exits before arming (sort
	 * sizes its buffer by the RAM) does not pay for all of it.
	 */
	bool later = deferring || (pool.lazy && !atomic_load(&pool.finishing));
	if (later && !pool.want_mlock && pool.npf < POOL_PF_CHUNKS) {
		struct pool_region *reg = add_region((uintptr_t)p, len, b, at_startup);
		if (reg == NULL) {
			return 0;
		}
		defer_prefault(reg, ps);
		if (atomic_load(&pool.finishing)) {
			pool_prefault_work(NULL, 0); /* arming began meanwhile and may not have seen these chunks */
		}
		return len;
	}
	uint64_t t0 = sys_now_ns();
	long r = prefault(p, len, b == BACKING_4K ? 4096 : ps, threads);
	uint64_t dt = sys_now_ns() - t0;
	if (r < 0) {
		/* hugetlb can fail here if pages vanished since the mapping. */
		log_msg(LOG_DEBUG, "pool: prefault of %s failed (errno %ld)", kinds_backing_name(b), -r);
		sys_munmap(p, len);
		return 0;
	}
	struct pool_region *reg = add_region((uintptr_t)p, len, b, at_startup);
	if (reg == NULL) {
		return 0;
	}
	reg->prefault_ns = dt;
	if (pool.want_mlock) {
		lock_region(reg);
	}
	return len;
}

/* Cuts a region's prefault into chunks of at least 8M (whole pages) for later. */
static void defer_prefault(struct pool_region *reg, size_t ps)
{
	size_t len = reg->end - reg->base, room = (size_t)(POOL_PF_CHUNKS - pool.npf);
	size_t chunk = align_up((size_t)8 << 20, ps);
	size_t even = align_up((len + room - 1) / room, ps);
	if (even > chunk) {
		chunk = even;
	}
	int idx = (int)(reg - pool.regions);
	for (size_t off = 0; off < len && pool.npf < POOL_PF_CHUNKS; off += chunk) {
		struct pool_pf *c = &pool.pf[pool.npf];
		c->p = reg->base + off;
		c->len = len - off < chunk ? len - off : chunk;
		c->step = reg->backing == BACKING_4K ? 4096 : ps;
		c->region = idx;
		atomic_store(&c->state, PF_TODO);
		pool.pf_total += c->len;
		__atomic_store_n(&pool.npf, pool.npf + 1, __ATOMIC_SEQ_CST);
	}
}

void pool_prefault_work(const _Atomic int *stop, uint64_t until_ns)
{
	for (int i = 0; i < __atomic_load_n(&pool.npf, __ATOMIC_ACQUIRE) && !(stop && atomic_load(stop)) &&
			!(until_ns && sys_now_ns() >= until_ns);
	     i++) {
		struct pool_pf *c = &pool.pf[i];
		int expect = PF_TODO;
		if (!atomic_compare_exchange_strong(&c->state, &expect, PF_CLAIMED)) {
			continue;
		}
		uint64_t t0 = sys_now_ns();
		long r = populate((char *)c->p, c->len, c->step);
		uint64_t dt = sys_now_ns() - t0;
		if (r < 0) {
			long none = 0;
			atomic_compare_exchange_strong(&pool.pf_error, &none, r);
		}
		/* Per-region and pool totals: time spent populating, summed over threads. */
		__atomic_fetch_add(&pool.regions[c->region].prefault_ns, dt, __ATOMIC_RELAXED);
		__atomic_fetch_add(&pool.prefault_ns, dt, __ATOMIC_RELAXED);
		atomic_fetch_add(&pool.pf_done, c->len);
		atomic_store(&c->state, PF_DONE);
	}
}

static void *pf_helper(void *arg)
{
	(void)arg;
	pool_prefault_work(NULL, 0);
	return NULL;
}

void pool_prefault_finish(int helpers, int (*spawn)(pthread_t *t, void *(*fn)(void *)))
{
	/* From here a region grown is prefaulted by its grower (reserve_one). */
	atomic_store(&pool.finishing, 1);
	if (__atomic_load_n(&pool.npf, __ATOMIC_SEQ_CST) == 0) {
		return;
	}
	enum { MAX_HELPERS = 63 };
	pthread_t tids[MAX_HELPERS];
	int started = 0;
	if (helpers > MAX_HELPERS) {
		helpers = MAX_HELPERS;
	}
	if (atomic_load(&pool.pf_done) < pool.pf_total && spawn) {
		for (int i = 0; i < helpers; i++) {
			if (spawn(&tids[started], pf_helper) == 0) {
				started++;
			}
		}
	}
	pool_prefault_work(NULL, 0);
	for (int i = 0; i < started; i++) {
		real.pthread_join(tids[i], NULL);
	}
	/* Chunks other threads claimed: wait for them (the background thread blocks every signal). */
	unsigned spins = 0;
	for (int i = 0; i < __atomic_load_n(&pool.npf, __ATOMIC_ACQUIRE); i++) {
		while (atomic_load(&pool.pf[i].state) != PF_DONE) {
			pool_prefault_work(NULL, 0); /* a chunk nobody has claimed is done here */
			sys_backoff(&spins);
		}
	}
	long err = atomic_load(&pool.pf_error);
	if (err < 0) {
		log_msg(LOG_WARN, "pool: prefault failed (errno %ld): part of the pool may fault after arming", -err);
	}
	pool_measure();
}

size_t pool_prefault_done(void) { return atomic_load(&pool.pf_done); }
size_t pool_prefault_total(void) { return pool.pf_total; }

void pool_prefault_atfork_child(void)
{
	for (int i = 0; i < pool.npf; i++) {
		int expect = PF_CLAIMED;
		atomic_compare_exchange_strong(&pool.pf[i].state, &expect, PF_TODO);
	}
}

/* Backings to try for a request, best first. */
static int chain(enum hugepages_mode mode, enum backing out[4])
{
	int n = 0;
	switch (mode) {
	case HUGEPAGES_AUTO:
		/*
		 * A fork child's first write to a private hugetlb page needs a free
		 * huge page, and dies of SIGBUS when there is none; a THP page is
		 * copied 4K at a time.  So the default takes hugetlb pages only
		 * where THP is off (and then half of those free, reserve_one).
		 */
		out[n++] = thp_possible() ? BACKING_THP : BACKING_HUGETLB_2M;
		out[n++] = BACKING_4K;
		return n;
	case HUGEPAGES_1G:
		out[n++] = BACKING_HUGETLB_1G;
		/* fall through */
	case HUGEPAGES_2M:
		out[n++] = BACKING_HUGETLB_2M;
		/* fall through */
	case HUGEPAGES_THP:
		out[n++] = BACKING_THP;
		/* fall through */
	case HUGEPAGES_NONE:
		out[n++] = BACKING_4K;
	}
	return n;
}

static size_t reserve_chain(size_t size, int threads, bool at_startup, bool warn)
{
	enum backing order[4];
	int n = chain(pool.requested, order);
	size_t got = 0, by[4] = {0};
	for (int i = 0; i < n && got < size; i++) {
		by[i] = reserve_one(size - got, order[i], threads, at_startup);
		got += by[i];
	}
	if (warn && by[0] < size && pool.requested != HUGEPAGES_AUTO && pool.requested != HUGEPAGES_NONE) {
		/* One line naming what the rest became, not each step of the fallback. */
		char rest[128];
		struct sb sb;
		sb_init(&sb, rest, sizeof(rest));
		for (int i = 1; i < n; i++) {
			if (by[i]) {
				sb_printf(&sb, "%s%zuM as %s", sb.len ? ", " : "", by[i] >> 20, kinds_backing_name(order[i]));
			}
		}
		char why[96];
		struct sb w;
		sb_init(&w, why, sizeof(why));
		if (order[0] == BACKING_THP) {
			sb_puts(&w, "transparent huge pages are disabled");
		} else {
			sb_printf(&w, "%s free %s pages", by[0] ? "not enough" : "no",
				  order[0] == BACKING_HUGETLB_1G ? "1G" : "2M");
		}
		log_msg(LOG_WARN, "PTFREEZE_HUGEPAGES=%s: %s; got %zuM of %zuM as %s, the rest fell back: %s",
			config_hugepages_name(pool.requested), sb_cstr(&w), by[0] >> 20, size >> 20,
			kinds_backing_name(order[0]), sb.len ? sb_cstr(&sb) : "nothing");
	}
	return got;
}

int pool_reserve(size_t size, enum hugepages_mode mode, bool mlock, int threads)
{
	pool.requested = mode;
	pool.want_mlock = mlock;
	pool.prefault_threads = threads > 0 ? threads : online_cpus();
	uint64_t t0 = sys_now_ns();
	size_t got = reserve_chain(align_up(size, POOL_ALIGN), pool.prefault_threads, true, true);
	if (!pool.lazy) {
		pool.prefault_ns = sys_now_ns() - t0;
		pool_measure();
	}
	if (got < size) {
		log_msg(LOG_ERROR, "PTFREEZE_POOL: could reserve only %zu of %zu bytes", got, size);
		return got ? 0 : -ENOMEM;
	}
	return 0;
}

int pool_reserve_lazy(size_t size, enum hugepages_mode mode, bool mlock, int threads)
{
	pool.lazy = true;
	deferring = true;
	int r = pool_reserve(size, mode, mlock, threads);
	deferring = false;
	return r;
}

void *pool_bump(_Atomic uintptr_t *cursor, uintptr_t end, size_t size, size_t align)
{
	uintptr_t cur = atomic_load(cursor);
	for (;;) {
		uintptr_t start = align_up(cur, align);
		if (start < cur || start > end || end - start < size) {
			return NULL;
		}
		if (atomic_compare_exchange_weak(cursor, &cur, start + size)) {
			return (void *)start;
		}
	}
}

static _Atomic(void (*)(void)) first_carve;

void pool_on_first_carve(void (*fn)(void)) { atomic_store(&first_carve, fn); }

/* A carve succeeded: the pending pool_on_first_carve call, by whichever carver takes it first. */
static void carved(void)
{
	if (__builtin_expect(atomic_load_explicit(&first_carve, memory_order_relaxed) != NULL, 0)) {
		void (*fn)(void) = atomic_exchange(&first_carve, NULL);
		if (fn != NULL) {
			fn();
		}
	}
}

void *pool_carve(size_t size, size_t align)
{
	if (align < 16) {
		align = 16;
	}
	int n = atomic_load(&pool.nregions);
	for (int i = 0; i < n; i++) {
		void *p = pool_bump(&pool.regions[i].cursor, pool.regions[i].end, size, align);
		if (p != NULL) {
			carved();
			return p;
		}
	}
	return NULL;
}

void *pool_carve_at(void *addr, size_t size)
{
	const struct pool_region *c = pool_region_of(addr);
	if (c == NULL) {
		return NULL;
	}
	struct pool_region *r = (struct pool_region *)c;
	uintptr_t want = (uintptr_t)addr;
	if (r->end - want < size) {
		return NULL;
	}
	if (!atomic_compare_exchange_strong(&r->cursor, &want, (uintptr_t)addr + size)) {
		return NULL;
	}
	carved();
	return addr;
}

int pool_grow(size_t min, size_t grow_step, bool at_startup)
{
	if (grow_step == 0) {
		return -ENOSPC;
	}
	size_t len = align_up(min > grow_step ? min : grow_step, POOL_ALIGN);
	sys_spin_lock(&pool.grow_lock); /* the holder maps and prefaults: milliseconds */
	int before = atomic_load(&pool.nregions);
	size_t got = before < POOL_MAX_REGIONS ? reserve_chain(len, 1, at_startup, false) : 0;
	sys_spin_unlock(&pool.grow_lock);
	if (got == 0) {
		return before >= POOL_MAX_REGIONS ? -ENOSPC : -ENOMEM;
	}
	return 0;
}

static _Atomic int measuring; /* pool_measure() under way */

void pool_atfork_child(void)
{
	atomic_flag_clear_explicit(&pool.grow_lock, memory_order_release);
	atomic_store(&measuring, 0); /* a measurer in another thread did not come along */
}

const struct pool_region *pool_region_of(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	int n = atomic_load(&pool.nregions);
	for (int i = 0; i < n; i++) {
		if (a >= pool.regions[i].base && a < pool.regions[i].end) {
			return &pool.regions[i];
		}
	}
	return NULL;
}

bool pool_overlaps(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, e = a + len;
	int n = atomic_load(&pool.nregions);
	for (int i = 0; i < n; i++) {
		if (a < pool.regions[i].end && e > pool.regions[i].base) {
			return true;
		}
	}
	return false;
}

/* Bytes of every region: reserved (to its end) or carved (to its cursor). */
static size_t regions_bytes(bool carved)
{
	size_t s = 0;
	int n = atomic_load(&pool.nregions);
	for (int i = 0; i < n; i++) {
		uintptr_t top = carved ? atomic_load(&pool.regions[i].cursor) : pool.regions[i].end;
		s += top - pool.regions[i].base;
	}
	return s;
}

size_t pool_size(void) { return regions_bytes(false); }

static _Atomic size_t largest_request;

void pool_note_request(size_t size)
{
	size_t cur = atomic_load_explicit(&largest_request, memory_order_relaxed);
	while (size > cur &&
	       !atomic_compare_exchange_weak_explicit(&largest_request, &cur, size, memory_order_relaxed, memory_order_relaxed)) {
	}
}

size_t pool_largest_request(void) { return atomic_load_explicit(&largest_request, memory_order_relaxed); }

size_t pool_room_largest(void)
{
	size_t best = 0;
	int n = atomic_load(&pool.nregions);
	for (int i = 0; i < n; i++) {
		size_t room = pool.regions[i].end - atomic_load(&pool.regions[i].cursor);
		best = room > best ? room : best;
	}
	return best;
}

size_t pool_used(void) { return regions_bytes(true); }

size_t pool_huge_bytes(void)
{
	size_t s = 0;
	int n = atomic_load(&pool.nregions);
	for (int i = 0; i < n; i++) {
		s += pool.regions[i].huge_bytes;
	}
	return s;
}

enum backing pool_main_backing(void)
{
	size_t by[4] = {0};
	int n = atomic_load(&pool.nregions);
	for (int i = 0; i < n; i++) {
		by[pool.regions[i].backing] += pool.regions[i].end - pool.regions[i].base;
	}
	int best = BACKING_4K;
	for (int b = 0; b < 4; b++) {
		if (by[b] > by[best]) {
			best = b;
		}
	}
	return (enum backing)best;
}

struct smaps_scan {
	int region; /* index of the region the current mapping lies in, or -1 */
	size_t acc[POOL_MAX_REGIONS];
};

static size_t kb_field(const char *line, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(line, name, n) != 0) {
		return 0;
	}
	return (size_t)atol(line + n) * 1024;
}

static int smaps_line(char *line, void *arg)
{
	struct smaps_scan *s = arg;
	struct procfs_map m;
	if (procfs_map_parse(line, &m)) {
		const struct pool_region *r = pool_region_of((void *)m.start);
		s->region = r ? (int)(r - pool.regions) : -1;
		return 1;
	}
	if (s->region >= 0) {
		s->acc[s->region] += kb_field(line, "AnonHugePages:") + kb_field(line, "Private_Hugetlb:") +
				     kb_field(line, "Shared_Hugetlb:");
	}
	return 1;
}

static bool in_pool(const void *start) { return pool_region_of(start) != NULL; }

size_t pool_measure(void)
{
	/*
	 * One measurer at a time (its scan is static): two triggers completing
	 * the prefault at once (ptfreeze_arm() and the delay thread) both get
	 * here.  The one that finds a scan under way waits for its result.
	 */
	int expect = 0;
	if (!atomic_compare_exchange_strong(&measuring, &expect, 1)) {
		unsigned spins = 0;
		uint64_t give_up = sys_now_ns() + 1000000000u;
		while (atomic_load(&measuring) && sys_now_ns() < give_up) {
			sys_backoff(&spins);
		}
		return pool_huge_bytes();
	}
	static struct smaps_scan scan;
	memset(&scan, 0, sizeof(scan));
	scan.region = -1;
	if (sys_for_each_line("/proc/self/smaps", smaps_line, &scan) == 0) {
		int n = atomic_load(&pool.nregions);
		for (int i = 0; i < n; i++) {
			pool.regions[i].huge_bytes = scan.acc[i];
		}
	}
	numa_measure(in_pool);
	atomic_store(&measuring, 0);
	return pool_huge_bytes();
}

void pool_reset_for_tests(void)
{
	int n = atomic_load(&pool.nregions);
	for (int i = 0; i < n; i++) {
		sys_munmap((void *)pool.regions[i].base, pool.regions[i].end - pool.regions[i].base);
	}
	memset(&pool, 0, sizeof(pool));
	atomic_store(&largest_request, 0);
}
