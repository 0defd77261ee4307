/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * phase: the start-up/armed state and its triggers (see phase.h).  Runs in
 * signal handlers: only atomics, raw syscalls and the report writer.
 */
#include "phase.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "autoconf.h"
#include "audit.h"
#include "backstop.h"
#include "config.h"
#include "faults.h"
#include "fmt.h"
#include "log.h"
#include "pool.h"
#include "real.h"
#include "report.h"
#include "shim.h"
#include "smaps.h"
#include "sys.h"

static _Atomic int armed;
static _Atomic uint64_t armed_at;
static _Atomic uint64_t phase_deadline; /* 0: no delay trigger pending */
static long base_minor, base_major, base_tlb = -1;
static char how_buf[48];
static struct sigaction chained;

uint64_t phase_armed_at(void) { return atomic_load(&armed_at); }
const char *phase_how(void) { return how_buf[0] ? how_buf : NULL; }

long phase_tlb_baseline(void) { return base_tlb; }

void phase_fault_baseline(long *minor, long *major)
{
	*minor = base_minor;
	*major = base_major;
}

/*
 * The seccomp filter must not go on while a thread is being born: glibc
 * blocks every signal around clone, and a thread trapped with SIGSYS
 * blocked dies.  pthread_create brackets each birth (phase_birth_begin/
 * end); arming closes the gate, waits for births in flight (bounded: the
 * arming thread may itself be inside pthread_create, signalled), installs,
 * and opens the gate again.
 */
static _Atomic int births, birth_gate;

void phase_birth_begin(void)
{
	for (;;) {
		atomic_fetch_add(&births, 1);
		if (!atomic_load(&birth_gate)) {
			return;
		}
		atomic_fetch_sub(&births, 1);
		while (atomic_load(&birth_gate)) {
			__builtin_ia32_pause();
		}
	}
}

void phase_birth_end(void) { atomic_fetch_sub(&births, 1); }

static void install_backstop_between_births(void)
{
	atomic_store(&birth_gate, 1);
	uint64_t give_up = sys_now_ns() + 100000000u;
	while (atomic_load(&births) > 0 && sys_now_ns() < give_up) {
		__builtin_ia32_pause();
	}
	backstop_install();
	atomic_store(&birth_gate, 0);
}

int phase_arm(const char *how)
{
	int expect = 0;
	if (!atomic_compare_exchange_strong(&armed, &expect, 2)) {
		return -EALREADY;
	}
	log_applying(true); /* what cannot be honoured at arming is said on stderr */
	/* Before the fault baseline: its own mapping snapshot is start-up work. */
	faults_start();
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	base_minor = ru.ru_minflt;
	base_major = ru.ru_majflt;
	size_t n = strlen(how);
	if (n >= sizeof(how_buf)) {
		n = sizeof(how_buf) - 1;
	}
	memcpy(how_buf, how, n);
	how_buf[n] = '\0';
	long locked = 1;
	if (config.mlockall) {
		/* Everything mapped now stays resident: no fault on a cold page later. */
		locked = sys_raw(SYS_mlockall, MCL_CURRENT, 0, 0, 0, 0, 0);
		if (locked < 0) {
			log_msg(LOG_WARN, "PTFREEZE_MLOCKALL: mlockall refused (%s); code and data are not locked",
				locked == -EPERM ? "EPERM" : locked == -ENOMEM ? "ENOMEM: raise RLIMIT_MEMLOCK" : "error");
		}
		getrusage(RUSAGE_SELF, &ru); /* locking faults pages in: not the armed phase's */
		base_minor = ru.ru_minflt;
		base_major = ru.ru_majflt;
	}
	smaps_snapshot();
	base_tlb = audit_tlb_shootdowns();
	if (config.seccomp) {
		install_backstop_between_births();
	}
	atomic_store(&armed_at, sys_now_ns());
	atomic_store(&armed, 1);
	report_arm(how_buf, base_minor, base_major, locked == 1 ? NULL : locked == 0 ? "locked" : "refused");
	faults_enable(false); /* the sampler thread is started at start-up: arming may be in a signal handler */
	log_applying(false);
	log_msg(LOG_INFO, "armed (%s)", how_buf);
	return 0;
}

void phase_settle(void)
{
	int expect = 0;
	uint64_t due = phase_deadline;
	if (!due || sys_now_ns() < due || !atomic_compare_exchange_strong(&armed, &expect, 2)) {
		return;
	}
	/* Due but never noticed (no intercepted call since): armed since the deadline. */
	struct sb sb;
	sb_init(&sb, how_buf, sizeof(how_buf));
	sb_printf(&sb, "delay:%lums", (unsigned long)(config.arm_delay_ns / 1000000u));
	sb_cstr(&sb);
	phase_deadline = 0;
	base_minor = base_major = -1; /* the fault counts at the deadline are unknown */
	atomic_store(&armed_at, due);
	atomic_store(&armed, 1);
	report_arm(how_buf, -1, -1, NULL);
}

static void start_arm_thread(void);

void phase_atfork_child(void)
{
	base_minor = 0;
	base_major = 0;
	faults_atfork_child(atomic_load(&armed) == 1);
	if (atomic_load(&armed) == 1) {
		report_arm(how_buf, 0, 0, NULL);
	} else if (atomic_load(&phase_deadline) || (config.faults && config.mode != MODE_OFF)) {
		start_arm_thread(); /* the parent's did not come along */
	}
}

int phase_disarm(void)
{
	int expect = 1;
	if (!atomic_compare_exchange_strong(&armed, &expect, 0)) {
		return -EALREADY;
	}
	faults_stop();
	report_disarm();
	log_msg(LOG_INFO, "disarmed");
	return 0;
}

bool phase_armed(void)
{
	int a = atomic_load_explicit(&armed, memory_order_acquire);
	if (a == 1) {
		return true;
	}
	if (a == 0 && phase_deadline && sys_now_ns() >= phase_deadline) {
		char how[40];
		struct sb sb;
		sb_init(&sb, how, sizeof(how));
		sb_printf(&sb, "delay:%lums", (unsigned long)(config.arm_delay_ns / 1000000u));
		/* One trigger: a later disarm must not re-arm through the delay. */
		phase_deadline = 0;
		phase_arm(sb_cstr(&sb));
	}
	return atomic_load_explicit(&armed, memory_order_acquire) != 0;
}

uint64_t phase_since_arm_ns(void)
{
	uint64_t at = atomic_load(&armed_at);
	return at ? sys_now_ns() - at : 0;
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	char how[32];
	struct sb sb;
	sb_init(&sb, how, sizeof(how));
	const char *name = config_signal_name(sig);
	if (name) {
		sb_printf(&sb, "signal:%s", name);
	} else {
		sb_printf(&sb, "signal:%d", sig);
	}
	phase_arm(sb_cstr(&sb));
	if (chained.sa_flags & SA_SIGINFO) {
		if (chained.sa_sigaction) {
			chained.sa_sigaction(sig, si, uc);
		}
	} else if (chained.sa_handler != SIG_DFL && chained.sa_handler != SIG_IGN) {
		chained.sa_handler(sig);
	}
	errno = saved;
}

/*
 * The delay trigger's own thread: sleeps until the deadline, arms, then
 * stays as the page-fault sampler (faults_sampler_run; with
 * PTFREEZE_FAULTS=off it exits).  Without a delay trigger but with
 * page-fault sampling it is started only to be the sampler: arming by
 * signal runs in a signal handler, and ptfreeze_arm() is async-signal-safe,
 * so neither can create a thread.
 * A program whose steady state calls nothing the shim intercepts (a server
 * that preallocated everything) is still armed on time.  It runs with every
 * signal but SIGSYS (the backstop's trap) blocked, so none of the
 * program's is delivered to it, and on a
 * stack of pool memory, which glibc neither unmaps nor madvises when the
 * thread exits: its exit after arming changes no page table.
 */
#define ARM_THREAD_STACK ((size_t)256 << 10)

static void *arm_thread(void *arg)
{
	(void)arg;
	shim_busy++; /* everything this thread does is the shim's */
	prctl(PR_SET_NAME, (unsigned long)"ptfreeze-arm", 0, 0, 0);
	uint64_t due;
	while ((due = atomic_load(&phase_deadline)) != 0 && !atomic_load(&armed)) {
		/*
		 * A second at a time: a program whose threads all leave by
		 * pthread_exit before the deadline must not be kept alive by this one.
		 */
		uint64_t now = sys_now_ns(), until = due - now > 1000000000u ? now + 1000000000u : due;
		struct timespec ts = {.tv_sec = (time_t)(until / 1000000000u), .tv_nsec = (long)(until % 1000000000u)};
		int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if ((r == 0 && until == due) || sys_now_ns() >= due) {
			phase_armed();
			break;
		}
		if (faults_program_gone()) {
			shim_busy--;
			return NULL; /* glibc calls exit(0) here, as in the program's last thread */
		}
	}
	if (config.faults && config.mode != MODE_OFF) {
		faults_sampler_run();
	}
	shim_busy--; /* the process may exit in this thread (its last): exit handlers are the program's */
	return NULL;
}

static void start_arm_thread(void)
{
	void *stack = pool_carve(ARM_THREAD_STACK, 4096);
	if (stack == NULL || real.pthread_create == NULL) {
		return; /* the delay is still noticed at intercepted calls */
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, stack, ARM_THREAD_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigset_t all, old;
	sigfillset(&all);
	sigdelset(&all, SIGSYS); /* the backstop's trap (it stays on as the page-fault sampler) */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	int r = real.pthread_create(&t, &attr, arm_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		log_msg(LOG_DEBUG, "PTFREEZE_ARM: no thread for the delay (error %d); it is checked at intercepted calls", r);
	}
}

int phase_init(void)
{
	faults_reserve();
	if (config.arm_delay_ns) {
		phase_deadline = sys_now_ns() + config.arm_delay_ns;
		start_arm_thread();
	}
	if (!config.arm_delay_ns && config.faults && config.mode != MODE_OFF) {
		/*
		 * The page-fault sampler-to-be: arming by signal runs in a signal
		 * handler, and ptfreeze_arm() is async-signal-safe, so neither
		 * can create a thread.
		 */
		start_arm_thread();
	}
	if (config.arm_signal) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_signal;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		if (sigaction(config.arm_signal, &sa, &chained) != 0) {
			log_msg(LOG_ERROR, "PTFREEZE_ARM: cannot install the handler for signal %d", config.arm_signal);
			return -errno;
		}
	}
	return 0;
}
