/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * forkstorm: fork from a multi-threaded program while other threads
 * allocate.  THREADS threads churn malloc/realloc/free and pool-served
 * anonymous mmap/munmap without pause; main forks FORKS children, one after
 * another, each of which allocates (malloc, calloc, realloc, aligned_alloc,
 * anonymous mmap), checks every byte, and exits through exit(3) so its
 * report gets a summary.  A child that has not exited within 20 s is a
 * hang: main kills it and says so.
 * With --arm, main arms the shim (ptfreeze_arm) after the threads start, so
 * every fork is a violation and every child is born armed.
 * Prints "children N ok", then "done"; status 1 if a child failed, hung or
 * died by a signal, or a thread saw a wrong byte.
 * usage: forkstorm FORKS [THREADS] [--arm]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ptfreeze.h"

static _Atomic int stop;
static _Atomic int thread_failed;

static void *churn(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	void *keep[64] = {0};
	size_t keep_len[64] = {0};
	while (!atomic_load(&stop)) {
		int i = (int)(rand_r(&seed) % 64);
		if (keep[i]) {
			unsigned char *p = keep[i];
			if (p[0] != (unsigned char)i || p[keep_len[i] - 1] != (unsigned char)i) {
				atomic_store(&thread_failed, 1);
			}
			if (i & 1) {
				munmap(p, keep_len[i]);
			} else {
				free(p);
			}
			keep[i] = NULL;
			continue;
		}
		size_t n = (i & 1) ? (size_t)(1 + rand_r(&seed) % 32) * 4096 : 16 + (size_t)(rand_r(&seed) % 65536);
		unsigned char *p = (i & 1) ? mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
					   : malloc(n);
		if (p == NULL || p == MAP_FAILED) {
			atomic_store(&thread_failed, 1);
			continue;
		}
		if (!(i & 1) && (rand_r(&seed) & 1)) {
			unsigned char *q = realloc(p, n * 2);
			if (q == NULL) {
				free(p);
				atomic_store(&thread_failed, 1);
				continue;
			}
			p = q;
		}
		p[0] = p[n - 1] = (unsigned char)i;
		keep[i] = p;
		keep_len[i] = n;
	}
	for (int i = 0; i < 64; i++) {
		if (keep[i] && (i & 1)) {
			munmap(keep[i], keep_len[i]);
		} else {
			free(keep[i]);
		}
	}
	return NULL;
}

/* The child's work: every allocator it may use, each byte checked. */
static int child(int k)
{
	size_t sizes[] = {24, 4000, 70000, 1 << 20};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		unsigned char *a = malloc(n), *b = calloc(n, 1), *c = aligned_alloc(4096, n);
		unsigned char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (!a || !b || !c || m == MAP_FAILED || ((uintptr_t)c & 4095)) {
			return 2;
		}
		for (size_t i = 0; i < n; i++) {
			if (b[i] || m[i]) {
				return 3;
			}
		}
		memset(a, k, n);
		memset(c, k + 1, n);
		memset(m, k + 2, n);
		a = realloc(a, 3 * n);
		if (a == NULL) {
			return 2;
		}
		for (size_t i = 0; i < n; i++) {
			if (a[i] != (unsigned char)k || c[i] != (unsigned char)(k + 1) || m[i] != (unsigned char)(k + 2)) {
				return 4;
			}
		}
		free(a);
		free(b);
		free(c);
		munmap(m, n);
	}
	return 0;
}

static int wait_child(pid_t pid)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (WIFSIGNALED(st)) {
				fprintf(stderr, "forkstorm: child %ld killed by signal %d\n", (long)pid, WTERMSIG(st));
				return -1;
			}
			if (WEXITSTATUS(st) != 0) {
				fprintf(stderr, "forkstorm: child %ld failed with status %d\n", (long)pid, WEXITSTATUS(st));
				return -1;
			}
			return 0;
		}
		if (r < 0 && errno != EINTR) {
			perror("forkstorm: waitpid");
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 20) {
			fprintf(stderr, "forkstorm: child %ld hung (no exit in 20 s): killed\n", (long)pid);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return -1;
		}
		usleep(200);
	}
}

int main(int argc, char **argv)
{
	int forks = 50, nthreads = 4, arm = 0, pos = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--arm") == 0) {
			arm = 1;
		} else if (pos++ == 0) {
			forks = atoi(argv[i]);
		} else {
			nthreads = atoi(argv[i]);
		}
	}
	if (nthreads < 1 || nthreads > 64 || forks < 1) {
		fprintf(stderr, "usage: forkstorm FORKS [THREADS] [--arm]\n");
		return 2;
	}
	pthread_t tids[64];
	for (int t = 0; t < nthreads; t++) {
		if (pthread_create(&tids[t], NULL, churn, (void *)(uintptr_t)(t + 1)) != 0) {
			fprintf(stderr, "forkstorm: pthread_create failed\n");
			return 1;
		}
	}
	if (arm && ptfreeze_arm() != 0) {
		fprintf(stderr, "forkstorm: not armed (no shim?)\n");
		return 99;
	}
	int ok = 0;
	for (int k = 0; k < forks; k++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			perror("forkstorm: fork");
			break;
		}
		if (pid == 0) {
			exit(child(k));
		}
		if (wait_child(pid) == 0) {
			ok++;
		}
	}
	atomic_store(&stop, 1);
	for (int t = 0; t < nthreads; t++) {
		pthread_join(tids[t], NULL);
	}
	printf("children %d ok\n", ok);
	if (atomic_load(&thread_failed)) {
		fprintf(stderr, "forkstorm: an allocating thread saw NULL or a wrong byte\n");
		return 1;
	}
	printf("done\n");
	return ok == forks ? 0 : 1;
}
