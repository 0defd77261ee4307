/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * armwindow: what a program does the moment ptfreeze_armed() returns 1 is
 * in the report.  Many idle threads make arming long (page-fault events are
 * opened for every thread), and the main thread spins on ptfreeze_armed()
 * and at once maps and writes PAGES shared anonymous pages (the shim cannot
 * serve a shared mapping from its pool: the mmap is a recorded call and the
 * writes are certain faults).  Prints "MAP END": the mapping's range.
 * With -f, the main thread instead forks every 0.5 ms until it sees
 * ptfreeze_armed() return 1, and twice more: each child maps and writes
 * the same pages and exits; some children are born while arming is under
 * way.  Prints "forks N".
 *
 * usage: armwindow [THREADS] [-f]   (default 500; status 1 on a failed call)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
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

static pthread_barrier_t done;

static void *idle(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&done);
	return NULL;
}

__attribute__((noinline)) static char *map_and_write(void)
{
	char *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		return NULL;
	}
	for (int i = 0; i < PAGES; i++) {
		((volatile char *)p)[i * PAGE] = (char)i;
	}
	return p;
}

/* Forks until armed and twice more; every child faults and exits 0.  The forks made, or -1. */
static int fork_while_arming(void)
{
	int forks = 0;
	for (int after = 0; after < 2;) {
		after += ptfreeze_armed();
		pid_t pid = fork();
		if (pid < 0) {
			return -1;
		}
		if (pid == 0) {
			_exit(map_and_write() ? 0 : 1);
		}
		int st = 0;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			return -1;
		}
		forks++;
		struct timespec ts = {0, 500000};
		nanosleep(&ts, NULL);
	}
	return forks;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 500;
	bool forking = argc > 2 && strcmp(argv[2], "-f") == 0;
	if (n < 0 || n > 4000) {
		fprintf(stderr, "armwindow: THREADS is 0 to 4000\n");
		return 2;
	}
	pthread_barrier_init(&done, NULL, (unsigned)n + 1);
	pthread_t *t = calloc((size_t)n + 1, sizeof(*t));
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < n; i++) {
		if (t == NULL || pthread_create(&t[i], &attr, idle, NULL) != 0) {
			fprintf(stderr, "armwindow: no thread %d\n", i);
			return 1;
		}
	}
	(void)ptfreeze_armed(); /* resolves the symbol */
	if (forking) {
		int forks = fork_while_arming();
		if (forks < 0) {
			fprintf(stderr, "armwindow: a fork or a child failed\n");
			return 1;
		}
		printf("forks %d\n", forks);
		pthread_barrier_wait(&done);
		for (int i = 0; i < n; i++) {
			pthread_join(t[i], NULL);
		}
		return 0;
	}
	while (!ptfreeze_armed()) {
		sched_yield();
	}
	char *p = map_and_write();
	if (p == NULL) {
		return 1;
	}
	printf("%p %p\n", (void *)p, (void *)(p + PAGES * PAGE));
	pthread_barrier_wait(&done);
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
	}
	return 0;
}
