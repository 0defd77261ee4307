/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rawcall: page-table changes an interposer cannot see.  Arms, then from
 * named functions: munmap by a direct syscall(2), a thread (glibc maps its
 * stack internally), a fork.  Prints "NAME ok|fail ERRNO" per call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptfreeze.h"

static char *map;

static void say(const char *name, int ok, int err)
{
	printf("%s %s %s\n", name, ok ? "ok" : "fail", ok ? "-" : strerrorname_np(err));
	fflush(stdout);
}

__attribute__((noinline)) static void raw_munmap(void)
{
	long r = syscall(SYS_munmap, map + 4096, 4096);
	say("raw_munmap", r == 0, errno);
}

static void *fn(void *a) { return a; }

__attribute__((noinline)) static void new_thread(void)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, fn, NULL);
	if (r == 0) {
		pthread_join(t, NULL);
	}
	say("thread", r == 0, r);
}

__attribute__((noinline)) static void do_fork(void)
{
	pid_t p = fork();
	if (p == 0) {
		_exit(7);
	}
	int st = 0, err = errno;
	if (p > 0) {
		waitpid(p, &st, 0);
	}
	say("fork", p > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7, err);
}

int main(void)
{
	map = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || ptfreeze_arm() != 0) {
		fprintf(stderr, "rawcall: no map or not under the shim\n");
		return 99;
	}
	raw_munmap();
	new_thread();
	do_fork();
	return 0;
}
