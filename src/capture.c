/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * capture: libunwind stacks and the preallocated, lock-free site table
 * (see capture.h).  Never allocates after capture_init(); never symbolises.
 */
#include "autoconf.h"
#include "config.h"
#include "capture.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include "log.h"
#include "pool.h"
#include "real.h"
#include "sys.h"

#define MAX_SKIP_RANGES 8
#define EXTRA_FRAMES 16

static int (*unw_bt)(void **buffer, int size);
static struct {
	uintptr_t start, end;
} skip[MAX_SKIP_RANGES];
static _Atomic int nskip;

static unsigned char *table; /* capacity slots of `stride` bytes */
static size_t capacity, stride, limit;
static _Atomic size_t used;
static _Atomic uint64_t dropped;
static _Atomic uint32_t next_id;
static int depth_max;

void capture_skip_range(uintptr_t start, uintptr_t end)
{
	int i = atomic_load(&nskip);
	if (i < MAX_SKIP_RANGES) {
		skip[i].start = start;
		skip[i].end = end;
		atomic_store(&nskip, i + 1);
	}
}

bool capture_is_internal(uintptr_t ip)
{
	int n = atomic_load(&nskip);
	for (int i = 0; i < n; i++) {
		if (ip >= skip[i].start && ip < skip[i].end) {
			return true;
		}
	}
	return false;
}

int capture_init(int max_sites, int depth)
{
	depth_max = depth;
	limit = (size_t)max_sites;
	capacity = 1;
	while (capacity < 2 * limit) {
		capacity <<= 1;
	}
	stride = (sizeof(struct site) + (size_t)depth * sizeof(uintptr_t) + 63) & ~(size_t)63;
	table = pool_carve(capacity * stride, 64);
	if (table == NULL) {
		log_msg(LOG_ERROR, "capture: no room in the pool for %zu violation sites", limit);
		return -ENOMEM;
	}
	void *(*open_fn)(const char *, int) = real.dlopen ? real.dlopen : dlopen;
	void *h = open_fn(LIBUNWIND_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h) {
		*(void **)&unw_bt = dlsym(h, "unw_backtrace");
	}
	if (unw_bt == NULL) {
		log_msg(LOG_WARN, "cannot load %s: violations are recorded without stacks", LIBUNWIND_SONAME);
		return -ENOENT;
	}
	/* libunwind maps its caches on first use: do that now, not in a hook. */
	void *prime[8];
	unw_bt(prime, 8);
	return 0;
}

bool capture_has_unwinder(void) { return unw_bt != NULL; }
int capture_depth(void) { return depth_max; }

int capture_stack(uintptr_t *ips, int max)
{
	void *raw[128 + EXTRA_FRAMES];
	if (unw_bt == NULL) {
		return 0;
	}
	int want = max + EXTRA_FRAMES;
	if (want > (int)(sizeof(raw) / sizeof(raw[0]))) {
		want = (int)(sizeof(raw) / sizeof(raw[0]));
	}
	int n = unw_bt(raw, want);
	int i = 0;
	while (i < n && capture_is_internal((uintptr_t)raw[i])) {
		i++;
	}
	int out = 0;
	for (; i < n && out < max; i++) {
		ips[out++] = (uintptr_t)raw[i];
	}
	return out;
}

static uint64_t hash_of(unsigned kind, const uintptr_t *ips, int n)
{
	uint64_t h = 1469598103934665603ull ^ kind;
	for (int i = 0; i < n; i++) {
		h ^= ips[i];
		h *= 1099511628211ull;
		h ^= h >> 29;
	}
	return h | 1;
}

static struct site *slot(size_t i) { return (struct site *)(table + i * stride); }

struct site *capture_site(unsigned kind, const uintptr_t *ips, int n, bool *is_new)
{
	*is_new = false;
	if (table == NULL) {
		return NULL;
	}
	if (n > depth_max) {
		n = depth_max;
	}
	uint64_t h = hash_of(kind, ips, n);
	for (size_t probe = 0; probe < capacity; probe++) {
		struct site *s = slot((h + probe) & (capacity - 1));
		uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
		if (st == 0) {
			if (atomic_load(&used) >= limit) {
				atomic_fetch_add(&dropped, 1);
				return NULL;
			}
			uint32_t zero = 0;
			if (atomic_compare_exchange_strong(&s->state, &zero, 1)) {
				atomic_fetch_add(&used, 1);
				s->hash = h;
				s->kind = (uint16_t)kind;
				s->depth = (uint16_t)n;
				memcpy(s->ips, ips, (size_t)n * sizeof(uintptr_t));
				s->id = atomic_fetch_add(&next_id, 1) + 1;
				atomic_store_explicit(&s->state, 2, memory_order_release);
				*is_new = true;
				return s;
			}
			st = atomic_load_explicit(&s->state, memory_order_acquire);
		}
		unsigned spins = 0;
		while (st == 1) {
			sys_backoff(&spins);
			st = atomic_load_explicit(&s->state, memory_order_acquire);
		}
		if (s->hash == h && s->kind == kind && s->depth == n &&
		    memcmp(s->ips, ips, (size_t)n * sizeof(uintptr_t)) == 0) {
			return s;
		}
	}
	atomic_fetch_add(&dropped, 1);
	return NULL;
}

size_t capture_capacity(void) { return capacity; }

const struct site *capture_site_at(size_t i)
{
	if (table == NULL || i >= capacity) {
		return NULL;
	}
	struct site *s = slot(i);
	return atomic_load_explicit(&s->state, memory_order_acquire) == 2 ? s : NULL;
}

uint64_t capture_dropped(void) { return atomic_load(&dropped); }

void capture_reset(void)
{
	if (table) {
		memset(table, 0, capacity * stride);
	}
	atomic_store(&used, 0);
	atomic_store(&dropped, 0);
	atomic_store(&next_id, 0);
}
