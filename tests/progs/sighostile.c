/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sighostile: a program that takes page faults after arming while doing to
 * its signals what real programs do: git's child resets every disposition
 * before exec, servers block everything in worker threads, debuggers and
 * runtimes install their own SIGTRAP handler.  Under ptfreeze its output
 * and exit status must be exactly what they are without it.
 *
 * usage: sighostile MODE [-a]
 *   -a       arm with ptfreeze_arm() first (a no-op without the shim);
 *            without it, wait until PTFREEZE_ARM=delay:1ms has armed (the delay
 *            ends after the background prefault; 20 ms without the shim)
 *   MODE     reset    every signal to SIG_DFL, then fault
 *            block    every signal blocked, then fault
 *            handler  its own SIGTRAP handler, then fault; then raise(SIGTRAP)
 *                     once: the handler must see exactly that one
 *            fork     reset, fork; parent and child both fault, the child
 *                     also writes into a buffer mapped and written before
 *                     the fork (copy-on-write: under ptfreeze an anonymous
 *                     mapping is served from the pool); the child exits 7,
 *                     the parent reports it
 *            exec     reset, fork, the child execs this program in mode
 *                     "reset"; the parent reports its status
 *            thread   block everything, a thread created now faults
 * Prints one line per process; exit 0 (the forked child 7).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ptfreeze.h"

#define PAGES 64
#define PAGE 4096

static volatile sig_atomic_t traps;

static void on_trap(int sig)
{
	(void)sig;
	traps++;
}

/*
 * Writes into PAGES never-touched pages: PAGES minor faults.  Returns a
 * checksum.  Shared, so that the shim cannot serve it from its prefaulted
 * pool as it does a private anonymous mapping: the faults are certain.
 */
__attribute__((noinline)) static long fault_pages(void)
{
	char *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		return -1;
	}
	long sum = 0;
	for (int i = 0; i < PAGES; i++) {
		((volatile char *)p)[i * PAGE] = (char)i;
		sum += p[i * PAGE];
	}
	munmap(p, PAGES * PAGE);
	return sum;
}

#define SHARED_BYTES (64 * PAGE)
static char *shared;

/* Writes every page of the shared buffer: after fork, copy-on-write faults. */
__attribute__((noinline)) static void write_shared(void)
{
	for (size_t off = 0; off < SHARED_BYTES; off += PAGE) {
		((volatile char *)shared)[off] = 2;
	}
}

static void reset_all(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++) {
		if (s != SIGKILL && s != SIGSTOP) {
			sigaction(s, &sa, NULL);
		}
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void block_all(void)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

static void *thread_main(void *arg)
{
	*(long *)arg = fault_pages();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sighostile reset|block|handler|fork|exec|thread [-a]\n");
		return 2;
	}
	const char *mode = argv[1];
	shared = mmap(NULL, SHARED_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		return 1;
	}
	memset(shared, 1, SHARED_BYTES);
	if (argc > 2 && strcmp(argv[2], "-a") == 0) {
		ptfreeze_arm();
	} else if (dlsym(RTLD_DEFAULT, "ptfreeze_armed") != NULL) {
		/* Under the shim: delay arming completes the background prefault first. */
		struct timespec ts = {0, 2000000};
		for (int i = 0; i < 5000 && !ptfreeze_armed(); i++) {
			nanosleep(&ts, NULL);
		}
		/* Page-fault events are on before armed is set; the settle leaves the prefault's tail behind. */
		struct timespec settle = {0, 20000000};
		nanosleep(&settle, NULL);
	} else {
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
	long sum;
	if (strcmp(mode, "reset") == 0) {
		reset_all();
		sum = fault_pages();
		printf("reset: sum=%ld\n", sum);
	} else if (strcmp(mode, "block") == 0) {
		block_all();
		sum = fault_pages();
		printf("block: sum=%ld\n", sum);
	} else if (strcmp(mode, "handler") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_trap;
		sigaction(SIGTRAP, &sa, NULL);
		sum = fault_pages();
		int before = traps;
		raise(SIGTRAP);
		printf("handler: sum=%ld traps_from_faults=%d traps_after_raise=%d\n", sum, before, (int)traps);
	} else if (strcmp(mode, "fork") == 0) {
		reset_all();
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			write_shared();
			sum = fault_pages();
			printf("fork child: sum=%ld\n", sum);
			fflush(stdout);
			_exit(7);
		}
		sum = fault_pages();
		int st = 0;
		waitpid(pid, &st, 0);
		printf("fork parent: sum=%ld child=%s %d\n", sum, WIFEXITED(st) ? "exit" : "signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	} else if (strcmp(mode, "exec") == 0) {
		reset_all();
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			reset_all();
			execl("/proc/self/exe", argv[0], "reset", (char *)NULL);
			_exit(127);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		printf("exec parent: child=%s %d\n", WIFEXITED(st) ? "exit" : "signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	} else if (strcmp(mode, "thread") == 0) {
		block_all();
		pthread_t t;
		long r = 0;
		if (pthread_create(&t, NULL, thread_main, &r) != 0 || pthread_join(t, NULL) != 0) {
			fprintf(stderr, "sighostile: no thread\n");
			return 1;
		}
		printf("thread: sum=%ld\n", r);
	} else {
		fprintf(stderr, "sighostile: unknown mode '%s'\n", mode);
		return 2;
	}
	return 0;
}
