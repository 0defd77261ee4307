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

#include "guard.h"
#include "log.h"
#include "phase.h"
#include "pool.h"
#include "shim.h"
#include "sys.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

static _Atomic int installed;

bool backstop_installed(void) { return atomic_load(&installed) != 0; }

static const struct {
	long nr;
	enum kind kind;
} trapped[] = {
	{SYS_mmap, KIND_MMAP},     {SYS_munmap, KIND_MUNMAP},   {SYS_mprotect, KIND_MPROTECT},
	{SYS_pkey_mprotect, KIND_PKEY_MPROTECT}, {SYS_mremap, KIND_MREMAP}, {SYS_madvise, KIND_MADVISE},
	{SYS_brk, KIND_BRK},       {SYS_shmat, KIND_SHMAT},     {SYS_shmdt, KIND_SHMDT},
	{SYS_clone, KIND_FORK},
};
#define NTRAPPED (sizeof(trapped) / sizeof(trapped[0]))

static int kind_of(long nr)
{
	for (size_t i = 0; i < NTRAPPED; i++) {
		if (trapped[i].nr == nr) {
			return (int)trapped[i].kind;
		}
	}
	return -1;
}

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

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	int saved = errno;
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	long nr = si->si_syscall;
	long a[6] = {g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9]};
	if (si->si_code == SYS_SECCOMP && nr == SYS_rt_sigprocmask) {
		g[REG_RAX] = own_mask(uc, (int)a[0], (const uint64_t *)a[1], (uint64_t *)a[2], (size_t)a[3]);
		errno = saved;
		return;
	}
	int k = kind_of(nr);
	long r;
	if (si->si_code != SYS_SECCOMP || k < 0) {
		errno = saved;
		return;
	}
	bool quiet = shim_busy || (k == KIND_MADVISE && !guard_advice_is_guarded((int)a[2]));
	enum verdict v = quiet ? VERDICT_PASS : guard_verdict((enum kind)k);
	struct event ev = {.kind = (enum kind)k,
			   .args = {(uintptr_t)a[0], (uintptr_t)a[1], (uintptr_t)a[2], (uintptr_t)a[3], (uintptr_t)a[4],
				    (uintptr_t)a[5]},
			   .detail = "a direct system call, caught by the seccomp backstop",
			   .bytes = k == KIND_MMAP || k == KIND_MUNMAP || k == KIND_MPROTECT || k == KIND_MADVISE
					    ? (size_t)a[1]
					    : 0};
	bool on_pool = (k == KIND_MUNMAP || k == KIND_MREMAP || k == KIND_MADVISE) && pool_overlaps((void *)a[0], (size_t)a[1]);
	if (v == VERDICT_BLOCK || (on_pool && !shim_busy)) {
		/* The pool is never unmapped, moved or discarded behind its back. */
		r = v == VERDICT_BLOCK ? -EPERM : -EINVAL;
		ev.blocked = v == VERDICT_BLOCK;
		ev.result = r;
		if (v != VERDICT_PASS) {
			guard_record(&ev);
		}
	} else {
		r = sys_raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (r == 0 && nr == SYS_clone) {
			/* The fork child: it returns from here with its own copy of the frame. */
			g[REG_RAX] = 0;
			errno = saved;
			return;
		}
		if (v == VERDICT_RECORD) {
			ev.result = r;
			guard_record(&ev);
		}
	}
	g[REG_RAX] = r;
	errno = saved;
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))

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
	struct sock_filter f[64];
	int n = 0;
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	int to_allow_1 = n;
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	/* rt_sigprocmask: never let a thread block SIGSYS (see own_mask). */
	int sigmask_jump = n;
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigprocmask, 0, 0);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	/* clone: threads and vfork (CLONE_VM) share page tables, fork copies them. */
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
	f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_VM, 0, (unsigned char)(NTRAPPED)); /* to the ip check */
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	/* The other trapped calls: each jumps to the ip check. */
	int first = n;
	for (size_t i = 0; i < NTRAPPED; i++) {
		if (trapped[i].nr == SYS_clone) {
			continue;
		}
		f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)trapped[i].nr, 0, 0);
	}
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	int check = n;
	for (int i = first; i < check - 1; i++) {
		f[i].jt = (unsigned char)(check - i - 1);
	}
	f[sigmask_jump].jt = (unsigned char)(check - sigmask_jump - 1);
	/* The jset above lands here: recompute its false offset exactly. */
	f[first - 2].jf = (unsigned char)(check - (first - 2) - 1);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer));
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ip, 0, 3);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ip >> 32), 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	(void)to_allow_1;
	struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};

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
