/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * process: the exported calls that drive the shim's lifecycle (see
 * process.h): thread creation (arming waits for births in flight), fork
 * and vfork (guarded like any page-table change, through serve_guarded),
 * exec and _exit (the report's summary before the image goes) and the
 * public API (ptfreeze.h).  Never a verdict or a mapping of its own: what a
 * call maps is interpose's, what it is judged guard's.
 */
#include "autoconf.h"
#include "process.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>

#define PTFREEZE_BUILDING_SHIM
#include "ptfreeze.h"

#include "guard.h"
#include "interpose.h"
#include "phase.h"
#include "real.h"
#include "report.h"
#include "serve.h"
#include "shim.h"
#include "summary.h"
#include "sys.h"
#include "tstack.h"

#define EXPORT __attribute__((visibility("default")))

/* ---- threads: arming waits for births in flight ----------------------- */

EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	if (real.pthread_create == NULL) {
		return EAGAIN;
	}
	if (shim_ready() && !shim_busy && !(attr && tstack_attr_has_stack(attr))) {
		phase_prepare_now(); /* a program that makes threads wants the stack cache now, not after the grace */
	}
	phase_birth_begin();
	int r = interpose_create_thread(t, attr, fn, arg);
	phase_birth_end();
	return r;
}


/* ---- fork, vfork ------------------------------------------------------- */

static long act_fork(struct call *c)
{
	pid_t r = real.fork();
	/* The parent's event: the child starts a report of its own. */
	c->quiet = r == 0;
	return r < 0 ? -(long)errno : (long)r;
}

EXPORT pid_t fork(void)
{
	struct call c = {.ev = {.kind = KIND_FORK, .detail = "fork write-protects every private page of the parent"},
			 .act = act_fork, .busy = true};
	serve_enter(&c, NULL);
	return (pid_t)sys_ret_int(serve_guarded(&c));
}

/* The vfork call itself is the trampoline's, after the check. */
static long act_none(struct call *c) { return 0; }

/* Called by the vfork trampoline before the syscall: 0 to go ahead, or an errno. */
__attribute__((used)) int interpose_vfork_check(void);
int interpose_vfork_check(void)
{
	struct call c = {.ev = {.kind = KIND_VFORK, .detail = "the child borrows the parent's address space"}, .act = act_none};
	serve_enter(&c, NULL);
	return serve_guarded(&c) < 0 ? EPERM : 0;
}

__attribute__((used)) long interpose_vfork_fail(long neg);
long interpose_vfork_fail(long neg)
{
	errno = (int)-neg;
	return -1;
}

/*
 * vfork cannot be wrapped in C: the child would return through our frame
 * and wreck the parent's stack.  Like glibc's, this pops the return
 * address into a register the kernel preserves, makes the call, and pushes
 * it back in both parent and child.  The CFI lets libunwind walk out of
 * interpose_vfork_check to the program's caller: without it a vfork site
 * was recorded with an empty stack.
 */
__asm__(".text\n"
	".globl vfork\n"
	".type vfork,@function\n"
	"vfork:\n"
	"\t.cfi_startproc\n"
	"\tsub $8, %rsp\n"
	"\t.cfi_adjust_cfa_offset 8\n"
	"\tcall interpose_vfork_check\n"
	"\tadd $8, %rsp\n"
	"\t.cfi_adjust_cfa_offset -8\n"
	"\ttest %eax, %eax\n"
	"\tjnz 1f\n"
	"\tpop %rdi\n"
	"\t.cfi_adjust_cfa_offset -8\n"
	"\t.cfi_register %rip, %rdi\n"
	"\tmov $58, %eax\n"
	"\tsyscall\n"
	"\tpush %rdi\n"
	"\t.cfi_adjust_cfa_offset 8\n"
	"\t.cfi_rel_offset %rip, 0\n"
	"\tcmp $-4095, %rax\n"
	"\tjae 2f\n"
	"\tret\n"
	"1:\tneg %eax\n"
	"\tmovslq %eax, %rdi\n"
	"\tjmp interpose_vfork_fail\n"
	"2:\tmov %rax, %rdi\n"
	"\tjmp interpose_vfork_fail\n"
	"\t.cfi_endproc\n"
	".size vfork, .-vfork\n");

/* ---- exec and _exit: the report's summary before the image goes ------- */

/*
 * exec replaces the image without running atexit handlers, and _exit skips
 * them: both write the summary first, so a report never ends without one
 * because the program exec'd or a fork child left with _exit.  A failed exec
 * lets the summary be written again at exit.  glibc's exec* variants call
 * its internal execve, not ours, so each is wrapped.
 */
static void summary_now(const char *why)
{
	if (atomic_load_explicit(&shim_state, memory_order_acquire) >= SHIM_READY) {
		/* A vfork child shares this thread's TLS with its parent: leave it as found. */
		shim_busy++;
		phase_wait_arming(); /* an arming under way in another thread writes its record first */
		summary_write(why);
		shim_busy--;
	}
}

static void before_exec(void)
{
	int saved = errno;
	summary_now("exec");
	errno = saved;
}

static int after_exec(int r)
{
	int saved = errno;
	report_summary_again();
	errno = saved;
	return r;
}

#define EXEC_VIA(fn, ...)                                                                              \
	do {                                                                                           \
		if (real.fn == NULL) {                                                                 \
			errno = ENOSYS;                                                                \
			return -1;                                                                     \
		}                                                                                      \
		before_exec();                                                                         \
		return after_exec(real.fn(__VA_ARGS__));                                               \
	} while (0)

EXPORT int execve(const char *p, char *const a[], char *const e[]) { EXEC_VIA(execve, p, a, e); }
EXPORT int execv(const char *p, char *const a[]) { EXEC_VIA(execv, p, a); }
EXPORT int execvp(const char *p, char *const a[]) { EXEC_VIA(execvp, p, a); }
EXPORT int execvpe(const char *p, char *const a[], char *const e[]) { EXEC_VIA(execvpe, p, a, e); }
EXPORT int fexecve(int fd, char *const a[], char *const e[]) { EXEC_VIA(fexecve, fd, a, e); }
EXPORT int execveat(int dirfd, const char *p, char *const a[], char *const e[], int flags)
{
	EXEC_VIA(execveat, dirfd, p, a, e, flags);
}

/* execl's arguments as an argv array on the stack (no allocation: exec may follow vfork). */
#define LIST_TO_ARGV(first, ap, argv, envp_out)                                                        \
	size_t n_ = 1;                                                                                 \
	va_start(ap, first);                                                                           \
	while (va_arg(ap, char *) != NULL) {                                                           \
		n_++;                                                                                  \
	}                                                                                              \
	va_end(ap);                                                                                    \
	char *argv[n_ + 1];                                                                            \
	argv[0] = (char *)(first);                                                                     \
	va_start(ap, first);                                                                           \
	for (size_t i_ = 1; i_ <= n_; i_++) {                                                          \
		argv[i_] = va_arg(ap, char *);                                                         \
	}                                                                                              \
	envp_out;                                                                                      \
	va_end(ap)

EXPORT int execl(const char *p, const char *arg, ...)
{
	va_list ap;
	LIST_TO_ARGV(arg, ap, argv, (void)0);
	return execv(p, argv);
}

EXPORT int execlp(const char *p, const char *arg, ...)
{
	va_list ap;
	LIST_TO_ARGV(arg, ap, argv, (void)0);
	return execvp(p, argv);
}

EXPORT int execle(const char *p, const char *arg, ...)
{
	va_list ap;
	char **envp;
	LIST_TO_ARGV(arg, ap, argv, envp = va_arg(ap, char **));
	return execve(p, argv, envp);
}

EXPORT __attribute__((noreturn)) void _exit(int status)
{
	summary_now("exit");
	for (;;) {
		sys_raw(SYS_exit_group, status, 0, 0, 0, 0, 0);
	}
}

EXPORT __attribute__((noreturn)) void _Exit(int status) { _exit(status); }

/* ---- blocking calls: a fork child making one lives on --------------------- */

/*
 * Each passes straight on to libc's (the raw system call before the
 * constructor resolved it), after telling phase, through shim_lives, that
 * the calling process is still here: a fork child's arming thread starts
 * then (phase.c, on_lives), not at the fork.  Waits count only after a
 * grace (a shell waits for the pipeline it just forked).
 */
#define BLOCKING(blocks, name, raw, ...)                                                              \
	do {                                                                                           \
		shim_lives(blocks);                                                                    \
		return real.name ? real.name(__VA_ARGS__) : sys_ret_int(raw);                          \
	} while (0)

EXPORT int nanosleep(const struct timespec *t, struct timespec *rem)
{
	BLOCKING(true, nanosleep, sys_raw(SYS_nanosleep, (long)t, (long)rem, 0, 0, 0, 0), t, rem);
}
EXPORT int clock_nanosleep(clockid_t c, int fl, const struct timespec *t, struct timespec *rem)
{
	shim_lives(true);
	return real.clock_nanosleep ? real.clock_nanosleep(c, fl, t, rem)
				    : (int)-sys_raw(SYS_clock_nanosleep, c, fl, (long)t, (long)rem, 0, 0);
}
EXPORT unsigned sleep(unsigned s)
{
	shim_lives(true);
	struct timespec t = {(time_t)s, 0};
	return real.sleep ? real.sleep(s) : (sys_raw(SYS_nanosleep, (long)&t, (long)&t, 0, 0, 0, 0) ? (unsigned)t.tv_sec : 0);
}
EXPORT int usleep(useconds_t us)
{
	struct timespec t = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000};
	BLOCKING(true, usleep, sys_raw(SYS_nanosleep, (long)&t, 0, 0, 0, 0, 0), us);
}
EXPORT int pause(void) { BLOCKING(true, pause, sys_raw(SYS_pause, 0, 0, 0, 0, 0, 0)); }
EXPORT int poll(struct pollfd *f, nfds_t n, int ms) { BLOCKING(ms != 0, poll, sys_raw(SYS_poll, (long)f, (long)n, ms, 0, 0, 0), f, n, ms); }
EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t)
{
	bool blocks = !t || t->tv_sec || t->tv_usec;
	BLOCKING(blocks, select, sys_raw(SYS_select, n, (long)r, (long)w, (long)e, (long)t, 0), n, r, w, e, t);
}
EXPORT int epoll_wait(int fd, struct epoll_event *ev, int n, int ms)
{
	BLOCKING(ms != 0, epoll_wait, sys_raw(SYS_epoll_wait, fd, (long)ev, n, ms, 0, 0), fd, ev, n, ms);
}
EXPORT int sigsuspend(const sigset_t *m) { BLOCKING(true, sigsuspend, sys_raw(SYS_rt_sigsuspend, (long)m, 8, 0, 0, 0, 0), m); }
EXPORT pid_t waitpid(pid_t p, int *st, int o) { BLOCKING(false, waitpid, sys_raw(SYS_wait4, p, (long)st, o, 0, 0, 0), p, st, o); }
EXPORT pid_t wait(int *st) { BLOCKING(false, wait, sys_raw(SYS_wait4, -1, (long)st, 0, 0, 0, 0), st); }
EXPORT pid_t wait4(pid_t p, int *st, int o, struct rusage *ru)
{
	BLOCKING(false, wait4, sys_raw(SYS_wait4, p, (long)st, o, (long)ru, 0, 0), p, st, o, ru);
}

/* ---- the public API (ptfreeze.h) ---------------------------------------- */

/* A passive process (not a chosen program) behaves as if the shim were absent. */
static bool passive(void) { return atomic_load_explicit(&shim_state, memory_order_acquire) == SHIM_PASSIVE; }

EXPORT int ptfreeze_arm(void) { return passive() ? -ENOSYS : phase_arm("manual"); }
EXPORT int ptfreeze_disarm(void) { return passive() ? -ENOSYS : phase_disarm(); }
EXPORT int ptfreeze_armed(void) { return passive() ? 0 : guard_armed(); }
