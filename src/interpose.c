/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * interpose: the malloc family and the calls that change page tables, as
 * libptfreeze.so exports them (the calls that drive the lifecycle,
 * pthread_create, fork, vfork, exec, _exit and ptfreeze.h, are process.c's).  The malloc family goes to jemalloc over the pool with
 * glibc's semantics on bad input.  Each memory call has one shape: enter
 * (the arguments as the record holds them), decide (serve.c: served from
 * the pool, absorbed, refused, or left to the kernel), make the call the
 * pool does not make through serve_guarded() (guard's verdict, the call,
 * the record).  Policy is serve's and guard's, parsing config's.
 *
 * Hazards: these run before our constructor (jemalloc's own constructor
 * maps memory through them), inside jemalloc and libunwind, in signal
 * handlers and in fork children.  No stdio, no malloc of our own, no dlsym;
 * errno is preserved where the call succeeds.
 */
#include "autoconf.h"
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PTFREEZE_BUILDING_SHIM
#include "ptfreeze.h"

#include "arena.h"
#include "fmt.h"
#include "guard.h"
#include "interpose.h"
#include "real.h"
#include "report.h"
#include "shim.h"
#include "serve.h"
#include "sys.h"
#include "tstack.h"
#include "writeback.h"

#define EXPORT __attribute__((visibility("default")))
#define unlikely(x) __builtin_expect(!!(x), 0)
#define PAGE_SIZE_ 4096u

/* ---- the malloc family ------------------------------------------------ */

/*
 * Each one a tail call into arena.c (mimalloc's alloc-override shape),
 * with glibc's answer to bad input in front where it has one.  jemalloc's
 * malloc refuses sizes past PTRDIFF_MAX and sets ENOMEM itself, and serves
 * 0 as a minimal block; its *allocx calls do not set errno: nomem() does.
 */
static inline bool too_big(size_t n) { return n > (size_t)PTRDIFF_MAX; }
static inline bool pow2(size_t a) { return a && !(a & (a - 1)); }

static void *nomem(void *p)
{
	if (unlikely(p == NULL)) {
		errno = ENOMEM;
	}
	return p;
}

static void *fail(int err)
{
	errno = err;
	return NULL;
}

/* A fork child that may want its arming thread (shim_lives): off the hot path, so malloc needs no frame. */
static __attribute__((noinline)) void *malloc_lives(size_t n)
{
	shim_lives_slow(false);
	return arena_alloc(n);
}

EXPORT void *malloc(size_t n)
{
	if (unlikely(atomic_load_explicit(&shim_thread_wanted, memory_order_relaxed))) {
		return malloc_lives(n);
	}
	return arena_alloc(n);
}

EXPORT void free(void *p) { arena_free(p); }

EXPORT void *calloc(size_t n, size_t m)
{
	size_t t;
	if (unlikely(__builtin_mul_overflow(n, m, &t) || too_big(t))) {
		return fail(ENOMEM);
	}
	shim_lives(false);
	return nomem(arena_alloc_zero(t ? t : 1));
}

EXPORT void *realloc(void *p, size_t n)
{
	if (p == NULL) {
		return malloc(n);
	}
	if (n == 0) {
		arena_free(p); /* glibc: realloc(p, 0) frees p and returns NULL */
		return NULL;
	}
	shim_lives(false);
	return unlikely(too_big(n)) ? fail(ENOMEM) : nomem(arena_realloc(p, n));
}

EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
	size_t t;
	return unlikely(__builtin_mul_overflow(n, m, &t)) ? fail(ENOMEM) : realloc(p, t);
}

static void *aligned(size_t align, size_t n)
{
	if (unlikely(too_big(n))) {
		return fail(ENOMEM);
	}
	/* jemalloc's 8-byte size class is only 8-aligned: memalign(16, 2) must not get it. */
	return nomem(align <= (n > 8 ? 16 : 8) ? arena_alloc(n ? n : 1) : arena_alloc_aligned(n ? n : 1, align));
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	if (align % sizeof(void *) != 0 || !pow2(align / sizeof(void *))) {
		return EINVAL;
	}
	int saved = errno;
	void *p = aligned(align, n);
	errno = saved;
	if (p == NULL) {
		return ENOMEM;
	}
	*out = p;
	return 0;
}

/* C17 and glibc >= 2.38: a non-power-of-two alignment is an error. */
EXPORT void *aligned_alloc(size_t align, size_t n) { return pow2(align) ? aligned(align, n) : fail(EINVAL); }

/* glibc's memalign: a non-power-of-two alignment rounded up; absurd ones refused. */
static size_t pow2_ceil(size_t a)
{
	size_t r = 1;
	while (r < a) {
		r <<= 1;
	}
	return r;
}

EXPORT void *memalign(size_t align, size_t n)
{
	return align > SIZE_MAX / 2 + 1 ? fail(EINVAL) : aligned(pow2(align) ? align : pow2_ceil(align), n);
}

EXPORT void *valloc(size_t n) { return aligned(PAGE_SIZE_, n); }

EXPORT void *pvalloc(size_t n)
{
	size_t r;
	if (unlikely(__builtin_add_overflow(n, PAGE_SIZE_ - 1, &r))) {
		return fail(ENOMEM);
	}
	r &= ~(size_t)(PAGE_SIZE_ - 1);
	return aligned(PAGE_SIZE_, r ? r : PAGE_SIZE_);
}

EXPORT size_t malloc_usable_size(void *p) { return p ? arena_usable_size(p) : 0; }

/* glibc's own would wake its empty arena; nothing to trim or tune here. */
EXPORT int malloc_trim(size_t pad) { return 0; }
EXPORT int mallopt(int param, int value) { return 1; }

/* ---- memory mappings: enter, decide (serve.c), call, record ------------ */

static void *ret_map(long r)
{
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return MAP_FAILED;
	}
	return (void *)r;
}

#define RET_ADDR __builtin_return_address(0)

/* The shape of every memory call: what the pool does not do, the kernel does, guarded. */
static long vm_call(struct call *c, const void *ret, bool (*decide)(struct call *))
{
	serve_enter(c, ret);
	return decide(c) ? c->result : serve_guarded(c);
}

/* The arguments as a record holds them. */
#define ARGS(...) .args = {__VA_ARGS__}
#define U(x) ((uintptr_t)(x))

/*
 * A writable shared mapping of a regular file on a disk-backed filesystem:
 * every page the program dirties must be written back, and the kernel may
 * stall a writer while it is.  Recorded whenever it is made (the hazard is
 * the mapping, not the moment) and never refused.
 */
static void note_writeback_hazard(void *addr, size_t len, int prot, int flags, int fd, off_t off, long result)
{
	struct stat st;
	struct statfs fs;
	if (config.mode == MODE_OFF || (flags & MAP_ANONYMOUS) || (flags & MAP_TYPE) == MAP_PRIVATE ||
	    !(prot & PROT_WRITE) || fd < 0 || result < 0) {
		return;
	}
	if (sys_raw(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) != 0 || !S_ISREG(st.st_mode) ||
	    sys_raw(SYS_fstatfs, fd, (long)&fs, 0, 0, 0, 0) != 0) {
		return;
	}
	if (writeback_free_magic((long)fs.f_type)) {
		return; /* memory-backed: nothing to write back */
	}
	char link[64], path[512];
	struct sb sb;
	sb_init(&sb, link, sizeof(link));
	sb_printf(&sb, "/proc/self/fd/%d", fd);
	long n = sys_readlink(sb_cstr(&sb), path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = '\0';
	struct event ev = {.kind = KIND_WRITEBACK_HAZARD,
			   .args = {(uintptr_t)addr, len, (uintptr_t)prot, (uintptr_t)flags, (uintptr_t)fd, (uintptr_t)off},
			   .path = path,
			   .detail = "writable shared file mapping: dirty pages are written back, writers can stall",
			   .bytes = len,
			   .result = result};
	if (!shim_busy && shim_ready()) {
		/* Recorded before arming too: its stack needs the unwinder, which start-up defers. */
		guard_prepare_now();
	}
	guard_record(&ev);
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct call c = {.ev = {.kind = KIND_MMAP, ARGS(U(addr), len, U(prot), U(flags), U(fd), U(off)), .bytes = len}};
	long r = vm_call(&c, RET_ADDR, serve_mmap);
	if (c.act && !c.quiet && !c.ev.blocked) {
		note_writeback_hazard(addr, len, prot, flags, fd, off, r);
	}
	return ret_map(r);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

EXPORT int munmap(void *addr, size_t len)
{
	struct call c = {.ev = {.kind = KIND_MUNMAP, ARGS(U(addr), len), .bytes = len}};
	return sys_ret_int(vm_call(&c, RET_ADDR, serve_munmap));
}

EXPORT int mprotect(void *addr, size_t len, int prot)
{
	struct call c = {.ev = {.kind = KIND_MPROTECT, ARGS(U(addr), len, U(prot), U(-1)), .bytes = len}};
	return sys_ret_int(vm_call(&c, RET_ADDR, serve_protect));
}

EXPORT int pkey_mprotect(void *addr, size_t len, int prot, int pkey)
{
	struct call c = {.ev = {.kind = KIND_PKEY_MPROTECT, ARGS(U(addr), len, U(prot), U(pkey)), .bytes = len}};
	return sys_ret_int(vm_call(&c, RET_ADDR, serve_protect));
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;
	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	struct call c = {.ev = {.kind = KIND_MREMAP, ARGS(U(old), old_len, new_len, U(flags), U(new_addr))}};
	return ret_map(vm_call(&c, RET_ADDR, serve_mremap));
}

EXPORT int madvise(void *addr, size_t len, int advice)
{
	struct call c = {.ev = {.kind = KIND_MADVISE, ARGS(U(addr), len, U(advice)), .bytes = len}};
	return sys_ret_int(vm_call(&c, RET_ADDR, serve_madvise));
}

/* ---- the program break, System V shared memory: libc's calls, guarded --- */

/* libc's call made in the guarded step: its failure as -errno. */
static long neg_errno(bool failed) { return failed ? -(long)errno : 0; }

/* A guarded libc call: guarded whoever makes it, once the shim is ready. */
static long libc_call(struct call *c, long (*act)(struct call *))
{
	c->act = act;
	c->busy = true; /* the seccomp backstop must not record the call twice */
	serve_enter(c, NULL);
	return serve_guarded(c);
}

static long act_brk(struct call *c) { return neg_errno(real.brk((void *)c->ev.args[0]) != 0); }

EXPORT int brk(void *addr)
{
	if (real.brk == NULL) {
		return sys_ret_int(-ENOSYS);
	}
	struct call c = {.ev = {.kind = KIND_BRK, ARGS(U(addr))}};
	return sys_ret_int(libc_call(&c, act_brk));
}

static long act_sbrk(struct call *c)
{
	void *r = real.sbrk((intptr_t)c->ev.args[0]);
	c->out = (long)r;
	return neg_errno(r == (void *)-1);
}

EXPORT void *sbrk(intptr_t inc)
{
	if (real.sbrk == NULL) {
		errno = ENOSYS;
		return (void *)-1;
	}
	if (inc == 0) {
		return real.sbrk(0); /* a query changes nothing */
	}
	struct call c = {.ev = {.kind = KIND_SBRK, ARGS(U(inc)), .bytes = (size_t)(inc < 0 ? -inc : inc)}};
	long r = libc_call(&c, act_sbrk);
	return r < 0 ? ret_map(r) : (void *)c.out;
}

static long act_shmat(struct call *c)
{
	void *r = real.shmat((int)c->ev.args[0], (const void *)c->ev.args[1], (int)c->ev.args[2]);
	return r == (void *)-1 ? -(long)errno : (long)r;
}

EXPORT void *shmat(int id, const void *addr, int flags)
{
	struct call c = {.ev = {.kind = KIND_SHMAT, ARGS(U(id), U(addr), U(flags))}};
	return ret_map(libc_call(&c, act_shmat));
}

static long act_shmdt(struct call *c) { return neg_errno(real.shmdt((const void *)c->ev.args[0]) != 0); }

EXPORT int shmdt(const void *addr)
{
	struct call c = {.ev = {.kind = KIND_SHMDT, ARGS(U(addr))}};
	return sys_ret_int(libc_call(&c, act_shmdt));
}

/* ---- threads, libraries ------------------------------------------------ */

struct thread_args {
	pthread_t *t;
	const pthread_attr_t *attr;
	void *(*fn)(void *);
	void *arg;
};

static long act_thread(struct call *c)
{
	struct thread_args *a = c->ctx;
	return -(long)real.pthread_create(a->t, a->attr, a->fn, a->arg);
}

/* The stack cache's answer: the thread made or refused (pthread_create's result), or -1: map a stack as usual. */
static int thread_on_cache(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg, const char **why)
{
	int r;
	bool grew = false;
	enum tstack_outcome o = tstack_create(t, attr, fn, arg, TSTACK_EMPTY_ASK, &r, why, &grew);
	if (o == TSTACK_EMPTY) {
		/* The cache is empty: the guard decides between growing, one violation, and refusing. */
		enum verdict v = guard_verdict(KIND_THREAD);
		enum tstack_empty e = v == VERDICT_PASS	  ? TSTACK_EMPTY_GROW
				      : v == VERDICT_RECORD ? TSTACK_EMPTY_GROW_ONE
							    : TSTACK_EMPTY_REFUSE;
		o = tstack_create(t, attr, fn, arg, e, &r, why, &grew);
	}
	struct event ev = {.kind = KIND_THREAD, .bytes = tstack_slot_bytes(), .refuse_errno = EAGAIN};
	if (grew) {
		ev.detail = "thread stack cache empty: a new stack slot was mapped";
		guard_record(&ev);
	}
	if (o == TSTACK_REFUSED) {
		ev.detail = "thread stack cache empty: strict mode refuses to map a stack (EAGAIN)";
		ev.result = -EAGAIN;
		ev.blocked = true;
		guard_record(&ev);
		return EAGAIN;
	}
	return o == TSTACK_DONE ? r : -1;
}

/*
 * A stack of the caller's own maps nothing (glibc neither maps, protects
 * nor advises it); the cache hands glibc a prefaulted slot (tstack.c);
 * otherwise glibc maps the stack and its guard page: a guarded call.
 */
int interpose_create_thread(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	if (attr && tstack_attr_has_stack(attr)) {
		return real.pthread_create(t, attr, fn, arg);
	}
	const char *why = "the thread's stack and guard page are mapped";
	int r = tstack_enabled() ? thread_on_cache(t, attr, fn, arg, &why) : -1;
	if (r >= 0) {
		return r;
	}
	struct thread_args a = {t, attr, fn, arg};
	struct call c = {.ev = {.kind = KIND_THREAD, .detail = why}, .ctx = &a};
	return (int)-libc_call(&c, act_thread);
}

/* The joins and detach only tell the stack cache a slot can be reused. */
static void resolve_threads(void)
{
	if (real.pthread_join == NULL) {
		real_resolve(); /* only before our constructor */
	}
}

EXPORT int pthread_join(pthread_t t, void **ret)
{
	resolve_threads();
	int r = real.pthread_join(t, ret);
	if (r == 0) {
		tstack_joined(t);
	}
	return r;
}

EXPORT int pthread_tryjoin_np(pthread_t t, void **ret)
{
	resolve_threads();
	int r = real.pthread_tryjoin_np ? real.pthread_tryjoin_np(t, ret) : ENOSYS;
	if (r == 0) {
		tstack_joined(t);
	}
	return r;
}

EXPORT int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime)
{
	resolve_threads();
	int r = real.pthread_timedjoin_np ? real.pthread_timedjoin_np(t, ret, abstime) : ENOSYS;
	if (r == 0) {
		tstack_joined(t);
	}
	return r;
}

EXPORT int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clock, const struct timespec *abstime)
{
	resolve_threads();
	int r = real.pthread_clockjoin_np ? real.pthread_clockjoin_np(t, ret, clock, abstime) : ENOSYS;
	if (r == 0) {
		tstack_joined(t);
	}
	return r;
}

EXPORT int pthread_detach(pthread_t t)
{
	resolve_threads();
	int r = real.pthread_detach(t);
	if (r == 0) {
		tstack_detached(t);
	}
	return r;
}

/* Already loaded: only a reference count changes, no mapping. */
static bool dlopen_loaded(struct call *c)
{
	void *h = real.dlopen(c->ev.path, (int)c->ev.args[0] | RTLD_NOLOAD);
	c->out = (long)h;
	c->quiet = h != NULL;
	return h != NULL;
}

static long act_dlopen(struct call *c)
{
	void *h = real.dlopen(c->ev.path, (int)c->ev.args[0]);
	c->out = (long)h;
	return h ? 0 : -ENOENT;
}

/* A failing open sets a dlerror() text that names the reason. */
static void *dlopen_refused(void) { return real.dlopen("/ptfreeze: dlopen refused after arming (PTFREEZE_MODE=strict)", RTLD_NOW); }

/* The program's library is loaded: the report's module list follows its record. */
static void *dlopen_done(struct call *c)
{
	if (!c->quiet && c->out) {
		shim_busy++;
		report_modules();
		shim_busy--;
	}
	return (void *)c->out;
}

EXPORT void *dlopen(const char *file, int flags)
{
	if (real.dlopen == NULL) {
		real_resolve(); /* only before our constructor */
	}
	struct call c = {.ev = {.kind = KIND_DLOPEN, ARGS(U(flags)), .path = file,
				.detail = "the loader maps the library and its dependencies"},
			 .act = act_dlopen, .unchanged = dlopen_loaded};
	serve_enter(&c, NULL);
	c.quiet |= file == NULL || shim_busy;
	serve_guarded(&c);
	return c.ev.blocked ? dlopen_refused() : dlopen_done(&c);
}

static long act_dlclose(struct call *c)
{
	c->out = real.dlclose((void *)c->ev.args[0]);
	return c->out ? -EINVAL : 0;
}

EXPORT int dlclose(void *h)
{
	if (real.dlclose == NULL) {
		real_resolve();
	}
	struct call c = {.ev = {.kind = KIND_DLCLOSE, ARGS(U(h)), .detail = "the loader may unmap the library"}};
	libc_call(&c, act_dlclose);
	return c.ev.blocked ? 0 /* kept loaded */ : (int)c.out;
}
