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
#include <linux/futex.h>

#include "autoconf.h"
#include "audit.h"
#include "backstop.h"
#include "config.h"
#include "drift.h"
#include "faults.h"
#include "fmt.h"
#include "guard.h"
#include "log.h"
#include "front.h"
#include "pool.h"
#include "real.h"
#include "report.h"
#include "shim.h"
#include "smaps.h"
#include "sys.h"
#include "tstack.h"

static long base_minor, base_major, base_tlb = -1;
static char how_buf[48];
static struct sigaction chained;

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

/* A prefault helper's birth, bracketed: another trigger may be installing the backstop. */
static int spawn_helper(pthread_t *t, void *(*fn)(void *))
{
	if (real.pthread_create == NULL) {
		return -1;
	}
	phase_birth_begin();
	int r = real.pthread_create(t, NULL, fn, NULL);
	phase_birth_end();
	return r;
}

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

/* ---- deferred start-up work --------------------------------------------- */

/*
 * Start-up work that only an armed process needs runs in the background,
 * after a grace period, on the arming thread (`ptfreeze-arm`, every signal
 * blocked), and whatever is left runs synchronously when the process arms:
 * a process that exits before then has paid for a mapping, not for a
 * prefault.  Two stages: `slow` (loads the unwinder, maps the thread-stack
 * cache; may create threads and dlopen: never in a signal handler or a
 * hook) and the prefault (the pool's chunks, then `populate`: raw
 * madvise, async-signal-safe, shared between threads).
 */
static void start_arm_thread(void);
static struct phase_prep prep;
static _Atomic int slow_state;      /* 0 to do, 1 running, 2 done */
static _Atomic int hurry;           /* futex word: arming wants the work now */
static _Atomic int prep_thread_up;  /* a thread that will run `slow` exists */
static uint64_t grace_until;
static size_t pf_before_arm;        /* prefault bytes done when arming began */
static uint64_t pf_wait_ns;         /* how long arming waited for the rest */

#define GRACE_NS 500000000ull      /* before the background work starts, without a delay trigger (else half the delay) */
#define SLOW_WAIT_NS 5000000000ull /* how long a signal handler waits for the arming thread */

static void futex_wake_all(_Atomic int *w) { sys_raw(SYS_futex, (long)w, FUTEX_WAKE_PRIVATE, 0x7fffffff, 0, 0, 0); }

/* Runs the slow stage, or waits while another thread runs it.  Not in a signal handler. */
static void run_slow(void)
{
	int expect = 0;
	if (atomic_compare_exchange_strong(&slow_state, &expect, 1)) {
		shim_busy++;
		if (prep.slow) {
			prep.slow();
		}
		shim_busy--;
		atomic_store(&slow_state, 2);
		futex_wake_all(&slow_state);
		return;
	}
	while (atomic_load(&slow_state) == 1) {
		sys_raw(SYS_futex, (long)&slow_state, FUTEX_WAIT_PRIVATE, 1, 0, 0, 0);
	}
}

void phase_prepare_now(void)
{
	if (atomic_load(&slow_state) != 2) {
		run_slow();
	}
}

void phase_atfork_prepare(void)
{
	/*
	 * Not in the middle of the slow stage's dlopen: a child forked then
	 * inherits the loader's lists half changed, and its own first dlopen
	 * (its arming thread's, its exec wrapper's) fails ld.so's consistency
	 * assertion (git's alias child, pagefault-git.sh).  Bounded: a stage
	 * stuck for 2 s is not waited for.
	 */
	uint64_t give_up = sys_now_ns() + 2000000000ull;
	while (atomic_load(&slow_state) == 1 && sys_now_ns() < give_up) {
		struct timespec ts = {0, 1000000};
		sys_raw(SYS_futex, (long)&slow_state, FUTEX_WAIT_PRIVATE, 1, (long)&ts, 0, 0);
	}
}

bool phase_prepared(void) { return atomic_load(&slow_state) == 2 && pool_prefault_done() == pool_prefault_total(); }

void phase_prefault_stats(size_t *before, size_t *total, uint64_t *wait_ns)
{
	*before = pf_before_arm;
	*total = pool_prefault_total();
	*wait_ns = pf_wait_ns;
}

/* The arm record: the trigger, the fault counts, what the prefault and the page-fault sampler did. */
static void write_arm(const char *how, long minor, long major, const char *mlockall)
{
	struct report_arm_info info = {.page_faults = faults_json};
	phase_prefault_stats(&info.prefault_before_arm, &info.prefault_bytes, &info.prefault_wait_ns);
	report_arm(how, minor, major, mlockall, &info);
}

/*
 * Completes the start-up work before arming.  safe: the caller may create
 * threads and dlopen (ptfreeze_arm, the arming thread); otherwise (a
 * signal handler) the slow stage is left to the arming thread, woken
 * early, and waited for.
 */
/*
 * The populate step (main stack, early mappings, the sampler's storage:
 * madvise calls) runs once, inside complete_prepare only, where signals
 * are blocked: two triggers completing the start-up work together must not
 * have one of them still populating after the other has armed (strace
 * would see the shim's madvise after arming).  The second waits.
 */
static _Atomic int populated; /* 0 not yet, 1 under way, 2 done */

static void populate_once(void)
{
	int expect = 0;
	if (prep.populate == NULL) {
		return;
	}
	if (atomic_compare_exchange_strong(&populated, &expect, 1)) {
		prep.populate();
		atomic_store(&populated, 2);
		return;
	}
	unsigned spins = 0;
	uint64_t give_up = sys_now_ns() + 5000000000ull;
	while (atomic_load(&populated) != 2 && sys_now_ns() < give_up) {
		sys_backoff(&spins);
	}
}

/*
 * Room at arming (pool.h, docs/design.md): when no region has the largest
 * request of start-up left never carved, the pool grows now, during
 * start-up, and the prefault below covers the new region, rather than in
 * the armed phase, when fragmentation leaves no freed extent big enough
 * for that request again (tests/regrow.sh: a 64M pool grown to 128M
 * before arming, with 1.5 MiB left, grew for a 16 MiB buffer after it in
 * some runs).  Once, and not from a signal handler: the growth takes the
 * pool's grow lock, which the interrupted thread may hold.
 */
static void arm_room(void)
{
	static _Atomic int done;
	/* At most a quarter of the pool, the slack growth before arming keeps too (guard_pool_exhausted). */
	size_t need = pool_largest_request(), cap = pool_size() / 4;
	need = need > cap ? cap : need;
	if (config.pool_grow == 0 || need == 0 || pool_room_largest() >= need || atomic_exchange(&done, 1)) {
		return;
	}
	log_msg(LOG_INFO, "arming: no region has %zu bytes never handed out left (the largest request of start-up)", need);
	(void)guard_pool_exhausted(need, "arming");
}

static void complete_prepare(bool safe, size_t *before, uint64_t *wait_ns)
{
	uint64_t t0 = sys_now_ns();
	*before = pool_prefault_done();
	/*
	 * No signal handler may run on this thread while it holds a claimed
	 * chunk: the arming signal's handler would wait for that chunk forever.
	 * Helper threads inherit the mask.  But not SIGSYS: another trigger
	 * may arm meanwhile and install the backstop, and a trapped call here
	 * (glibc's mmap of a helper's stack) with SIGSYS blocked kills the
	 * process (sqlite under strace.sh died of it, status 159).  The
	 * backstop's handler waits for no chunk.
	 */
	uint64_t all = ~(1ull << (SIGSYS - 1)), old = 0;
	sys_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0);
	atomic_store(&hurry, 1);
	futex_wake_all(&hurry);
	if (safe) {
		run_slow();
	} else if (atomic_load(&slow_state) != 2 && atomic_load(&prep_thread_up)) {
		uint64_t give_up = t0 + SLOW_WAIT_NS;
		while (atomic_load(&slow_state) != 2 && sys_now_ns() < give_up) {
			pool_prefault_work(NULL, 0); /* meanwhile: the part a handler can do */
			struct timespec ts = {0, 1000000};
			sys_raw(SYS_futex, (long)&slow_state, FUTEX_WAIT_PRIVATE, atomic_load(&slow_state), (long)&ts, 0, 0);
		}
	}
	if (atomic_load(&slow_state) != 2) {
		log_msg(LOG_WARN, "armed by a signal before start-up work was done (no unwinder or thread stacks yet)");
	}
	if (safe) {
		arm_room();
		if (prep.relist) {
			prep.relist();
		}
	}
	pool_prefault_finish(safe && pool.prefault_threads > 1 ? pool.prefault_threads - 1 : 0, spawn_helper);
	front_enable(); /* the pool is resident now: small blocks may come from it (front.h) */
	populate_once();
	sys_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	*wait_ns = sys_now_ns() - t0;
}

/*
 * Another trigger is arming (armed == 2) or has armed.  A caller that may
 * block (ptfreeze_arm, the arming thread) returns only once the process is
 * armed: the program goes on to its hot path trusting that.  A signal
 * handler must not wait: it may have interrupted the very thread that arms.
 */
static _Atomic int arm_complete; /* the arm record is written: arming is over */
/*
 * A trigger has begun arming: it is completing the start-up work (the
 * prefault), before the process counts as arming.  A process that exits
 * meanwhile chose to arm, so it still leaves a report (summary_write):
 * before, one whose prefault outlasted it left none (a 690 MB pool under
 * load outlasted a test program).
 */
static _Atomic int arming_begun;

bool phase_arming_unfinished(void)
{
	return atomic_load(&arming_begun) && !atomic_load(&arm_complete) && atomic_load(&shim_arm_state) != 1;
}

void phase_wait_arming(void)
{
	uint64_t give_up = sys_now_ns() + 1000000000u;
	while ((atomic_load(&shim_arm_state) != 0 || atomic_load(&arming_begun)) && !atomic_load(&arm_complete) &&
	       sys_now_ns() < give_up) {
		struct timespec ts = {0, 200000};
		sys_raw(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
	}
}

static int already_armed(bool safe)
{
	uint64_t give_up = sys_now_ns() + 10000000000ull;
	while (safe && atomic_load(&shim_arm_state) != 0 && !atomic_load(&arm_complete) && sys_now_ns() < give_up) {
		struct timespec ts = {0, 200000};
		sys_raw(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
	}
	return -EALREADY;
}

static int arm(const char *how, bool safe)
{
	/*
	 * The prefault is completed before the process counts as arming, so
	 * calls made meanwhile are start-up calls; concurrent triggers may
	 * both complete it (it is shared work), one arms.
	 */
	if (atomic_load(&shim_arm_state) != 0) {
		return already_armed(safe);
	}
	size_t before;
	uint64_t waited;
	atomic_store(&arming_begun, 1);
	complete_prepare(safe, &before, &waited);
	int expect = 0;
	if (!atomic_compare_exchange_strong(&shim_arm_state, &expect, 2)) {
		return already_armed(safe);
	}
	log_applying(true); /* what cannot be honoured at arming is said on stderr */
	pf_before_arm = before;
	pf_wait_ns = waited;
	/* Before the fault baseline: its own mapping snapshot is start-up work, and so is the host's. */
	drift_at_arm(config.pool_size);
	faults_start();
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	base_minor = ru.ru_minflt;
	base_major = ru.ru_majflt;
	fmt_copy(how_buf, sizeof(how_buf), how);
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
	atomic_store(&shim_arm_at, sys_now_ns());
	/*
	 * The arm record first (its own first touches are arming's, not
	 * sampled), then the events, then the flag: a fault the program takes
	 * once ptfreeze_armed() is 1 is in a ring, and its record follows the
	 * arm record.
	 */
	write_arm(how_buf, base_minor, base_major, locked == 1 ? NULL : locked == 0 ? "locked" : "refused");
	faults_begin();
	atomic_store(&shim_arm_state, 1);
	faults_enable(false); /* the sampler thread is started at start-up: arming may be in a signal handler */
	atomic_store(&arm_complete, 1);
	log_applying(false);
	log_msg(LOG_INFO, "armed (%s); prefault %zu of %zu bytes done before, %lu us waited", how_buf, pf_before_arm,
		pool_prefault_total(), (unsigned long)(pf_wait_ns / 1000u));
	return 0;
}

int phase_arm(const char *how)
{
	int wanted = 1;
	if (atomic_compare_exchange_strong(&shim_thread_wanted, &wanted, 0)) {
		start_arm_thread(); /* a lazy fork child armed by ptfreeze_arm(): the sampler's thread */
	}
	return arm(how, true);
}

void phase_settle(void)
{
	int expect = 0;
	uint64_t due = shim_arm_deadline;
	if (!due || sys_now_ns() < due || !atomic_compare_exchange_strong(&shim_arm_state, &expect, 2)) {
		return;
	}
	/* Due but never noticed (no intercepted call since): armed since the deadline. */
	struct sb sb;
	sb_init(&sb, how_buf, sizeof(how_buf));
	sb_printf(&sb, "delay:%lums", (unsigned long)(config.arm_delay_ns / 1000000u));
	sb_cstr(&sb);
	shim_arm_deadline = 0;
	base_minor = base_major = -1; /* the fault counts at the deadline are unknown */
	atomic_store(&shim_arm_at, due);
	atomic_store(&shim_arm_state, 1);
	write_arm(how_buf, -1, -1, NULL);
	atomic_store(&arm_complete, 1);
}

static uint64_t forked_at; /* a fork child's birth, for LIVES_NS */
static long forked_pid;     /* and its pid */

void phase_atfork_child(void)
{
	base_minor = 0;
	base_major = 0;
	/* Work the parent's arming thread was doing did not come along. */
	atomic_store(&prep_thread_up, 0);
	int populating = 1;
	atomic_compare_exchange_strong(&populated, &populating, 0);
	int running = 1;
	atomic_compare_exchange_strong(&slow_state, &running, 0);
	pool_prefault_atfork_child(); /* the grace period is the parent's: it ends at the same time */
	atomic_store(&arming_begun, 0); /* a trigger at work in the parent is not here */
	/* Forked while another thread was arming: that thread is not here to finish; the child is armed. */
	int mid = 2;
	bool was_mid = atomic_compare_exchange_strong(&shim_arm_state, &mid, 1);
	atomic_store(&arm_complete, atomic_load(&shim_arm_state) == 1);
	faults_atfork_child(atomic_load(&shim_arm_state) == 1, was_mid);
	if (atomic_load(&shim_arm_state) == 1) {
		write_arm(how_buf, 0, 0, NULL);
	} else if (atomic_load(&shim_arm_deadline) || (config.faults && config.mode != MODE_OFF) ||
		   (config.arm_signal && !phase_prepared())) {
		/*
		 * The parent's thread did not come along, and this child may exec
		 * or exit at once (a shell's subshell): its own starts once it
		 * lives on (on_lives), not here.
		 */
		forked_at = sys_now_ns();
		forked_pid = sys_getpid();
		atomic_store(&shim_thread_wanted, 1);
	}
}

/*
 * A fork child that needs an arming thread starts it when it shows it
 * lives on: a blocking call (sleep, poll, select, epoll_wait, pause,
 * sigsuspend: it will still be here at the deadline), or a malloc or a
 * wait at least LIVES_NS after the fork.  A child that execs or exits
 * first never has a second thread: creating one, and having exec or exit
 * kill it, cost a shell's subshell more than the rest of the shim.  Never
 * inside the shim's own code (shim_busy) nor in a vfork child (another
 * pid, our memory).  A sleep-like call in a signal handler, made before
 * any other trigger, would start it from the handler: pthread_create is
 * not async-signal-safe there; a child's first blocking call is in
 * practice its own.
 */
#define LIVES_NS 2000000ull

static void on_lives(bool blocking)
{
	if (!blocking && sys_now_ns() - forked_at < LIVES_NS) {
		return;
	}
	if (sys_getpid() != forked_pid) {
		return; /* a vfork child, which shares our memory: never a thread there */
	}
	int wanted = 1;
	if (!atomic_compare_exchange_strong(&shim_thread_wanted, &wanted, 0)) {
		return;
	}
	int saved = errno;
	if (!shim_armed()) {
		start_arm_thread();
	}
	errno = saved;
}

int phase_disarm(void)
{
	int expect = 1;
	if (!atomic_compare_exchange_strong(&shim_arm_state, &expect, 0)) {
		return -EALREADY;
	}
	atomic_store(&arm_complete, 0);
	atomic_store(&arming_begun, 0);
	faults_stop();
	report_disarm();
	log_msg(LOG_INFO, "disarmed");
	return 0;
}

/*
 * Arms for PTFREEZE_ARM_DELAY that fell due ("delay:<ms>ms"); one trigger:
 * a later disarm must not re-arm through the delay.
 */
static void arm_by_delay(bool safe)
{
	char how[40];
	struct sb sb;
	sb_init(&sb, how, sizeof(how));
	sb_printf(&sb, "delay:%lums", (unsigned long)(config.arm_delay_ns / 1000000u));
	shim_arm_deadline = 0;
	arm(sb_cstr(&sb), safe);
}

/*
 * The guard's hook for a delay that fell due (guard_set_due_hook): arms
 * here only once the slow stage is done (the caller may be inside a hook
 * holding locks it needs), or if no arming thread will run it.
 */
static void on_due(void)
{
	if (shim_armed() || !shim_arm_due()) {
		return;
	}
	if (atomic_load(&slow_state) != 2 && atomic_load(&prep_thread_up)) {
		return;
	}
	arm_by_delay(false);
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
	arm(sb_cstr(&sb), false);
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
 * stack the shim gives it (tstack_spawn_shim), which glibc neither unmaps
 * nor madvises when the thread exits: its exit after arming changes no
 * page table.
 */
#define ARM_THREAD_STACK ((size_t)256 << 10)

static void *arm_thread(void *arg)
{
	(void)arg;
	shim_busy++; /* everything this thread does is the shim's */
	prctl(PR_SET_NAME, (unsigned long)"ptfreeze-arm", 0, 0, 0);
	/* The grace period: a short-lived process never gets past it. */
	for (;;) {
		uint64_t now = sys_now_ns();
		if (atomic_load(&hurry) || now >= grace_until || atomic_load(&shim_arm_state)) {
			break;
		}
		uint64_t left = grace_until - now;
		left = left > 1000000000u ? 1000000000u : left; /* see the pthread_exit note below */
		struct timespec ts = {.tv_sec = (time_t)(left / 1000000000u), .tv_nsec = (long)(left % 1000000000u)};
		sys_raw(SYS_futex, (long)&hurry, FUTEX_WAIT_PRIVATE, 0, (long)&ts, 0, 0);
		if (faults_program_gone()) {
			shim_busy--;
			return NULL;
		}
	}
	front_enable(); /* past the grace period: the pool is about to be prefaulted anyway */
	run_slow();
	/* Up to the deadline: arming does the rest, with helpers, on time. */
	pool_prefault_work(&shim_arm_state, atomic_load(&shim_arm_deadline));
	uint64_t due;
	while ((due = atomic_load(&shim_arm_deadline)) != 0 && !atomic_load(&shim_arm_state)) {
		/*
		 * A second at a time: a program whose threads all leave by
		 * pthread_exit before the deadline must not be kept alive by this one.
		 */
		uint64_t now = sys_now_ns(), until = due > now && due - now > 1000000000u ? now + 1000000000u : due;
		struct timespec ts = {.tv_sec = (time_t)(until / 1000000000u), .tv_nsec = (long)(until % 1000000000u)};
		int r = (int)-sys_raw(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, (long)&ts, 0, 0, 0);
		if ((r == 0 && until == due) || sys_now_ns() >= due) {
			if (atomic_load(&shim_arm_deadline) && atomic_load(&shim_arm_state) == 0) {
				arm_by_delay(true);
			}
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
	int r = tstack_spawn_shim(ARM_THREAD_STACK, arm_thread, NULL);
	if (r == -ENOMEM || r == -ENOSYS) {
		return; /* the delay is still noticed at intercepted calls */
	}
	atomic_store(&prep_thread_up, r == 0);
	if (r != 0) {
		log_msg(LOG_DEBUG, "PTFREEZE_ARM: no thread for the delay (error %d); it is checked at intercepted calls", r);
	}
}

int phase_init(const struct phase_prep *p)
{
	faults_reserve();
	prep = *p;
	guard_set_due_hook(on_due);
	guard_set_prepare_hook(phase_prepare_now);
	shim_set_lives_hook(on_lives);
	uint64_t now = sys_now_ns(), grace = config.arm_delay_ns ? config.arm_delay_ns / 2 : GRACE_NS;
	grace_until = now + grace;
	if (config.arm_delay_ns) {
		shim_arm_deadline = now + config.arm_delay_ns;
	}
	/* Always: the start-up work left for later, then the delay, then the page-fault sampler. */
	start_arm_thread();
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
