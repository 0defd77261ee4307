/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * backstop: seccomp filter and SIGSYS handler (see backstop.h).  The
 * handler runs on any thread at any syscall: only raw syscalls, guard and
 * the pool's predicates; never allocates.
 */
#include "autoconf.h"
#include "config.h"
#include "backstop.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "capture.h"
#include "fmt.h"
#include "guard.h"
#include "kinds.h"
#include "log.h"
#include "procfs.h"
#include "serve.h"
#include "shim.h"
#include "sys.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

static _Atomic int installed;

bool backstop_installed(void) { return atomic_load(&installed) != 0; }

/*
 * rt_sigprocmask, emulated on the mask the handler's return restores, with
 * SIGSYS kept unblocked: a trapped call made while SIGSYS is blocked would
 * kill the process (glibc blocks every signal on a thread's way out).
 */
static long own_mask(ucontext_t *uc, int how, const uint64_t *set, uint64_t *oldset, size_t size)
{
	uint64_t *cur = (uint64_t *)&uc->uc_sigmask; /* the kernel's 64-bit mask comes first */
	if (size != sizeof(uint64_t)) {
		return -EINVAL;
	}
	uint64_t old = *cur, next = old;
	if (set) {
		switch (how) {
		case SIG_BLOCK: next = old | *set; break;
		case SIG_UNBLOCK: next = old & ~*set; break;
		case SIG_SETMASK: next = *set; break;
		default: return -EINVAL;
		}
	}
	if (oldset) {
		*oldset = old;
	}
	*cur = next & ~(1ull << (SIGSYS - 1));
	return 0;
}

/* The kernel's struct sigaction (rt_sigaction's argument). */
struct ksigaction {
	uintptr_t handler;
	unsigned long flags;
	uintptr_t restorer;
	uint64_t mask;
};

#define SIGSYS_BIT (1ull << (SIGSYS - 1))

/* What the program believes SIGSYS's action is (it never reaches the kernel). */
static struct ksigaction program_sys;
/* The process whose memory holds program_sys: a CLONE_VM child (vfork) is not it. */
static _Atomic long owner_pid;

/*
 * rt_sigaction, emulated so that SIGSYS stays ours: the program's SIGSYS
 * action is kept aside (and chained to for signals that are not our traps),
 * and SIGSYS is taken out of every other handler's mask (a trapped call in
 * a handler running with SIGSYS blocked would kill the process).  libc's
 * own calls (signal, sigset, posix_spawn's child, system) come here too.
 */
static long own_action(int sig, const struct ksigaction *act, struct ksigaction *old, size_t size)
{
	if (size != sizeof(uint64_t)) {
		return -EINVAL;
	}
	if (sig != SIGSYS) {
		struct ksigaction k;
		if (act) {
			k = *act;
			k.mask &= ~SIGSYS_BIT;
		}
		return sys_raw(SYS_rt_sigaction, sig, act ? (long)&k : 0, (long)old, (long)size, 0, 0);
	}
	struct ksigaction prev = program_sys;
	/* A vfork child shares our memory but not our handlers: its change must not become the parent's. */
	if (act && sys_getpid() == atomic_load(&owner_pid)) {
		program_sys = *act;
	}
	if (old) {
		*old = prev;
	}
	return 0;
}

/* A SIGSYS that is not our trap: what the program asked SIGSYS to do. */
static void chain(int sig, siginfo_t *si, void *ctx)
{
	struct ksigaction k = program_sys;
	if (k.handler == (uintptr_t)SIG_IGN) {
		return;
	}
	if (k.handler == (uintptr_t)SIG_DFL) {
		/* The default action: die with a core, as without the shim. */
		struct ksigaction dfl = {.handler = (uintptr_t)SIG_DFL};
		uint64_t unblock = SIGSYS_BIT;
		sys_raw(SYS_rt_sigaction, SIGSYS, (long)&dfl, 0, sizeof(uint64_t), 0, 0);
		sys_raw(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&unblock, 0, sizeof(uint64_t), 0, 0);
		sys_raw(SYS_tgkill, sys_getpid(), sys_gettid(), SIGSYS, 0, 0, 0);
		return;
	}
	if (k.flags & SA_RESETHAND) {
		program_sys.handler = (uintptr_t)SIG_DFL;
	}
	if (k.flags & SA_SIGINFO) {
		((void (*)(int, siginfo_t *, void *))k.handler)(sig, si, ctx);
	} else {
		((void (*)(int))k.handler)(sig);
	}
}

struct trapped_call {
	long nr;
	const long *a;
};

/* The trapped call, made from the trusted site (pages of the pool excepted: serve.c). */
static long act_trapped(struct call *c)
{
	const struct trapped_call *t = c->ctx;
	long r = shim_busy ? 0 : serve_trapped(c->ev.kind, t->a);
	if (r == 0) {
		r = sys_raw(t->nr, t->a[0], t->a[1], t->a[2], t->a[3], t->a[4], t->a[5]);
	}
	/* A fork child has nothing to record: its report is its own. */
	c->quiet |= r == 0 && t->nr == SYS_clone;
	return r;
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	int saved = errno;
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	long nr = si->si_syscall;
	long a[6] = {g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9]};
	/* Our filter never traps the trusted site: a trap there is the program's own filter's. */
	bool ours = si->si_code == SYS_SECCOMP && (uintptr_t)si->si_call_addr != sys_raw_site();
	if (ours && nr == SYS_rt_sigprocmask) {
		g[REG_RAX] = own_mask(uc, (int)a[0], (const uint64_t *)a[1], (uint64_t *)a[2], (size_t)a[3]);
		errno = saved;
		return;
	}
	if (ours && nr == SYS_rt_sigaction) {
		g[REG_RAX] = own_action((int)a[0], (const struct ksigaction *)a[1], (struct ksigaction *)a[2], (size_t)a[3]);
		errno = saved;
		return;
	}
	int k = kinds_of_syscall(nr);
	if (!ours || k < 0) {
		chain(sig, si, ctx);
		errno = saved;
		return;
	}
	/*
	 * glibc's exiting thread discards its own stack below the stack pointer
	 * (MADV_DONTNEED) after the thread's keys are destroyed, libunwind's
	 * cache among them: unwinding now corrupts the next thread that reuses
	 * the descriptor.  The site is the calling instruction alone.
	 */
	uintptr_t sp = (uintptr_t)g[REG_RSP], end = (uintptr_t)a[0] + (uintptr_t)a[1];
	bool own_stack = k == KIND_MADVISE && (uintptr_t)a[0] < sp && end <= sp && sp - end <= ((uintptr_t)64 << 10);
	if (own_stack) {
		capture_frame_only((uintptr_t)g[REG_RIP]);
	}
	struct trapped_call t = {nr, a};
	struct call c = {.ev = {.kind = (enum kind)k,
				.args = {(uintptr_t)a[0], (uintptr_t)a[1], (uintptr_t)a[2], (uintptr_t)a[3], (uintptr_t)a[4],
					 (uintptr_t)a[5]},
				.detail = own_stack ? "an exiting thread discards its stack (glibc), caught by the seccomp backstop"
						    : "a direct system call, caught by the seccomp backstop",
				.bytes = k == KIND_MMAP || k == KIND_MUNMAP || k == KIND_MPROTECT || k == KIND_MADVISE
						 ? (size_t)a[1]
						 : 0},
			 .quiet = shim_busy || (k == KIND_MADVISE && !kinds_advice_guarded((int)a[2])),
			 .act = act_trapped,
			 .ctx = &t};
	if (k == KIND_MMAP) {
		c.ev.args[4] = (uintptr_t)(long)(int)a[4]; /* the fd is an int: -1, not 4294967295 */
	}
	long r = serve_guarded(&c);
	if (r == 0 && nr == SYS_clone) {
		/* The fork child: it returns from here with its own copy of the frame and memory. */
		atomic_store(&owner_pid, sys_getpid());
		g[REG_RAX] = 0;
		errno = saved;
		return;
	}
	capture_frame_only(0);
	g[REG_RAX] = r;
	errno = saved;
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))

/* Executable mappings at arming (merged when close): the only code whose calls are trapped. */
#define MAX_RANGES 192
#define MERGE_GAP ((uint64_t)1 << 20)
static struct {
	uint64_t lo, hi; /* [lo, hi) */
} ranges[MAX_RANGES];
static int nranges;
static bool ranges_cut;

static int range_cb(const struct procfs_map *m, void *arg)
{
	(void)arg;
	uint64_t s = m->start, e = m->end;
	/* "r-xp": executable; the vsyscall page sits at the same address in every process. */
	if (m->perms[2] != 'x' || s >= 0xffffffffff600000ull) {
		return 1;
	}
	if (nranges > 0 && s - ranges[nranges - 1].hi < MERGE_GAP) {
		ranges[nranges - 1].hi = e;
	} else if (nranges < MAX_RANGES) {
		ranges[nranges].lo = s;
		ranges[nranges++].hi = e;
	} else {
		ranges[nranges - 1].hi = e; /* too many: the last one stretches */
		ranges_cut = true;
	}
	return 1;
}

/* True if thread tid has SIGSYS blocked (its status file's SigBlk). */
static bool blocks_sigsys(long tid)
{
	char path[64], buf[4096];
	if (sys_read_file(fmt_string(path, sizeof(path), "/proc/self/task/%ld/status", tid), buf, sizeof(buf)) <= 0) {
		return false; /* gone */
	}
	const char *p = strstr(buf, "SigBlk:");
	if (!p) {
		return false;
	}
	p += 7;
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	return (fmt_parse_hex(p, NULL) & SIGSYS_BIT) != 0;
}

static int tid_blocking_sigsys(long tid, void *arg)
{
	if (!blocks_sigsys(tid)) {
		return 0;
	}
	*(long *)arg = tid;
	return 1;
}

/* The first thread with SIGSYS blocked (its tid), or 0. */
static long thread_blocking_sigsys(void)
{
	long found = 0;
	procfs_for_each_id("/proc/self/task", tid_blocking_sigsys, &found);
	return found;
}

/* Takes SIGSYS out of the mask of every handler installed before arming. */
static void strip_handler_masks(void)
{
	for (int sig = 1; sig <= 64; sig++) {
		struct ksigaction k;
		if (sig == SIGKILL || sig == SIGSTOP || sig == SIGSYS ||
		    sys_raw(SYS_rt_sigaction, sig, 0, (long)&k, sizeof(uint64_t), 0, 0) != 0 ||
		    k.handler == (uintptr_t)SIG_DFL || k.handler == (uintptr_t)SIG_IGN || !(k.mask & SIGSYS_BIT)) {
			continue;
		}
		k.mask &= ~SIGSYS_BIT;
		sys_raw(SYS_rt_sigaction, sig, (long)&k, 0, sizeof(uint64_t), 0, 0);
	}
}

int backstop_install(void)
{
	int expect = 0;
	if (!atomic_compare_exchange_strong(&installed, &expect, 1)) {
		return 0;
	}
	uintptr_t ip = sys_raw_site();
	if (ip == 0) {
		log_msg(LOG_WARN, "PTFREEZE_SECCOMP: not supported on this architecture");
		return -ENOSYS;
	}
	nranges = 0;
	if (procfs_maps("/proc/self/maps", range_cb, NULL) != 0 || nranges == 0) {
		nranges = 0;
		log_msg(LOG_WARN, "PTFREEZE_SECCOMP: /proc/self/maps unreadable: every caller is trapped, so a program "
				  "this process executes will die of SIGSYS");
	}
	static struct sock_filter f[64 + 6 * MAX_RANGES];
	int n = 0;
	int to_check[32], nto = 0;
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	/* rt_sigprocmask, rt_sigaction: SIGSYS stays ours (own_mask, own_action). */
	to_check[nto++] = n;
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigprocmask, 0, 0);
	to_check[nto++] = n;
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigaction, 0, 0);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	/* clone: threads and vfork (CLONE_VM) share page tables, fork copies them. */
	int clone_jump = n;
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 0);
	for (int k = 0; k < KIND_COUNT; k++) {
		long nr = kinds_syscall((enum kind)k);
		if (nr >= 0 && nr != SYS_clone) {
			to_check[nto++] = n;
			f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 0);
		}
	}
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[clone_jump].jt = (unsigned char)(n - clone_jump - 1);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
	f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_VM, 0, 1); /* CLONE_VM: allow; else the check */
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	int check = n;
	for (int i = 0; i < nto; i++) {
		f[to_check[i]].jt = (unsigned char)(check - to_check[i] - 1);
	}
	/* The caller: the shim's own syscall instruction is allowed, code mapped at arming is trapped. */
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer));
	f[n++] = STMT(BPF_ST, 0);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4);
	f[n++] = STMT(BPF_ST, 1);
	f[n++] = STMT(BPF_LD | BPF_MEM, 0);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ip, 0, 3);
	f[n++] = STMT(BPF_LD | BPF_MEM, 1);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ip >> 32), 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	for (int i = 0; i < nranges; i++) {
		/* Split at 4 GiB boundaries: each piece compares the high word once. */
		for (uint64_t lo = ranges[i].lo; lo < ranges[i].hi;) {
			uint64_t top = (lo | 0xffffffffull) + 1, hi = ranges[i].hi < top ? ranges[i].hi : top;
			if (n + 6 + 1 > (int)(sizeof(f) / sizeof(f[0]))) {
				break;
			}
			f[n++] = STMT(BPF_LD | BPF_MEM, 1);
			f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(lo >> 32), 0, 4);
			f[n++] = STMT(BPF_LD | BPF_MEM, 0);
			f[n++] = JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)lo, 0, 2);
			f[n++] = JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)(hi - 1), 1, 0);
			f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
			lo = hi;
		}
	}
	f[n++] = STMT(BPF_RET | BPF_K, nranges ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP);
	struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};

	/*
	 * A thread with SIGSYS blocked dies at its first trapped call (the
	 * kernel forces the default action).  A thread being born, or in
	 * glibc's exit path, blocks every signal for microseconds: wait that
	 * out; a thread that keeps SIGSYS blocked means no backstop.
	 */
	uint64_t unblock = SIGSYS_BIT;
	sys_raw(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&unblock, 0, sizeof(uint64_t), 0, 0);
	long blocker = 0;
	for (int i = 0; i < 200 && (blocker = thread_blocking_sigsys()) != 0; i++) {
		struct timespec ts = {0, 1000000};
		sys_raw(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
	}
	if (blocker) {
		log_msg(LOG_ERROR, "PTFREEZE_SECCOMP: thread %ld blocks SIGSYS, and a trapped call there would kill the "
				   "process; the backstop is not installed", blocker);
		atomic_store(&installed, 0);
		return -EBUSY;
	}
	strip_handler_masks();
	/* The program's SIGSYS action until now: chained to from here on. */
	sys_raw(SYS_rt_sigaction, SIGSYS, 0, (long)&program_sys, sizeof(uint64_t), 0, 0);
	atomic_store(&owner_pid, sys_getpid());
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	/* Nothing blocked: a trap inside the handler would otherwise kill. */
	sigemptyset(&sa.sa_mask);
	sa.sa_flags |= SA_NODEFER;
	if (sigaction(SIGSYS, &sa, NULL) != 0) {
		log_msg(LOG_ERROR, "PTFREEZE_SECCOMP: cannot install the SIGSYS handler");
		return -errno;
	}
	/*
	 * Arming can happen inside a window where the program has blocked every
	 * signal (CPython blocks them all around vfork): a trap with SIGSYS
	 * blocked kills the process, and the program's own restoring
	 * rt_sigprocmask would be the first.  Later masks are emulated.
	 */
	uint64_t sys_bit = 1ull << (SIGSYS - 1);
	sys_raw(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&sys_bit, 0, sizeof(sys_bit), 0, 0);
	long r = sys_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (r == 0) {
		r = sys_raw(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, (long)&prog, 0, 0, 0);
	}
	if (r != 0) {
		log_msg(LOG_ERROR, "PTFREEZE_SECCOMP: cannot install the filter (errno %ld%s); direct syscalls are not seen",
			r < 0 ? -r : r, r > 0 ? ": a thread refused TSYNC" : "");
		return r < 0 ? (int)r : -EBUSY;
	}
	log_msg(LOG_INFO, "seccomp backstop installed");
	return 0;
}
