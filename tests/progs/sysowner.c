/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sysowner: a program that fights the seccomp backstop after arming.  It
 * ignores SIGSYS, installs its own SIGSYS handler, blocks SIGSYS, runs a
 * handler whose mask blocks every signal, and starts programs (system,
 * posix_spawn, vfork+exec): each raw munmap it then makes comes from its
 * own named function.  Prints "NAME ok|fail DETAIL" per step.
 * usage: sysowner [--blocker]
 *   --blocker  first start a thread that blocks every signal and keeps
 *              them blocked through arming (the backstop must then refuse
 *              to install rather than let the thread die), and only make
 *              one raw munmap
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptfreeze.h"

#define NOINLINE __attribute__((noinline))
extern char **environ;
static char *map;
static volatile sig_atomic_t own_calls;

static void say(const char *name, int ok, const char *detail)
{
	printf("%s %s %s\n", name, ok ? "ok" : "fail", detail);
	fflush(stdout);
}

static long raw_munmap(int page) { return syscall(SYS_munmap, map + page * 4096, 4096); }

NOINLINE static void unmap_while_ignored(void)
{
	signal(SIGSYS, SIG_IGN);
	long r = raw_munmap(1);
	say("ignored", r == 0, r == 0 ? "-" : strerror(errno));
}

static void own_handler(int sig) { own_calls += sig == SIGSYS; }

NOINLINE static void unmap_with_own_handler(void)
{
	struct sigaction sa = {.sa_handler = own_handler}, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSYS, &sa, NULL);
	long r = raw_munmap(2);
	sigaction(SIGSYS, NULL, &old);
	raise(SIGSYS); /* not a trap: the program's handler gets it */
	say("own-handler", r == 0 && own_calls == 1 && old.sa_handler == own_handler, own_calls == 1 ? "chained" : "not chained");
}

NOINLINE static void unmap_while_blocked(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	long r = raw_munmap(3);
	sigprocmask(SIG_BLOCK, &s, NULL);
	long r2 = raw_munmap(4);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	say("blocked", r == 0 && r2 == 0, "-");
}

static volatile long in_handler = -1;

NOINLINE static void unmap_in_handler(int sig)
{
	(void)sig;
	in_handler = raw_munmap(5);
}

NOINLINE static void handler_masking_all(void)
{
	struct sigaction sa = {.sa_handler = unmap_in_handler};
	sigfillset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	say("masked-handler", in_handler == 0, "-");
}

NOINLINE static void start_programs(void)
{
	int st = system("exit 3");
	say("system", WIFEXITED(st) && WEXITSTATUS(st) == 3, "-");
	pid_t p;
	char *argv[] = {"true", NULL};
	int e = posix_spawn(&p, "/bin/true", NULL, NULL, argv, environ);
	st = -1;
	if (e == 0) {
		waitpid(p, &st, 0);
	}
	say("posix_spawn", e == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, e ? strerror(e) : "-");
	p = vfork();
	if (p == 0) {
		execl("/bin/sh", "sh", "-c", "exit 4", (char *)NULL);
		_exit(127);
	}
	st = -1;
	if (p > 0) {
		waitpid(p, &st, 0);
	}
	say("vfork-exec", p > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 4, p < 0 ? strerror(errno) : "-");
}

static void *blocker(void *arg)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!*(volatile int *)arg) {
		usleep(1000);
	}
	long r = raw_munmap(6); /* with SIGSYS blocked: fatal under a filter */
	say("blocker", r == 0, "-");
	return NULL;
}

int main(int argc, char **argv)
{
	static int go;
	pthread_t bt;
	int with_blocker = argc > 1 && strcmp(argv[1], "--blocker") == 0;
	map = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || (with_blocker && pthread_create(&bt, NULL, blocker, &go) != 0)) {
		return 99;
	}
	usleep(with_blocker ? 20000 : 0);
	if (ptfreeze_arm() != 0) {
		fprintf(stderr, "sysowner: not under the shim\n");
		return 99;
	}
	if (with_blocker) {
		go = 1;
		pthread_join(bt, NULL);
		return 0;
	}
	unmap_while_ignored();
	unmap_with_own_handler();
	unmap_while_blocked();
	handler_masking_all();
	start_programs();
	return 0;
}
