/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * threadchurn: thread creation after start-up.  Warms up (creates and joins
 * as many threads at once as the churn will), optionally arms ptfreeze,
 * then creates N threads, at most C at a time, each of which uses 32K of
 * its stack; joined, or detached (-d).  Prints the faults taken in the
 * churn phase (getrusage) and brackets it with marker writes to fd -1
 * ("CHURN-BEGIN"/"CHURN-END") so strace can cut its log to it.  Afterwards
 * it checks where the threads' stacks were: inside a `ptfreeze-stacks`
 * mapping of /proc/self/maps (the cache), or inside its own buffers (-s).
 *
 * usage: threadchurn [-n threads] [-c concurrent] [-d] [-s] [-b] [-w] [-f] [-a]
 *   -d  detached threads (the creator waits for a semaphore they post last)
 *   -s  the caller's own stacks (pthread_attr_setstack on buffers mapped first)
 *   -b  a stack size attribute of 64M (larger than the cache's slots)
 *   -w  warm up with a single thread, not C at once
 *   -f  after the warm-up start 4 threads that stay blocked, arm, fork: the
 *       child churns (their stacks are free there: they have no thread), the
 *       parent releases and joins them, then churns; one output line each
 *   -a  call ptfreeze_arm() before the churn phase (no-op without the shim)
 * Output: "threadchurn: minor=N major=M threads=K eagain=E stack=WHERE
 * at=0xA,0xB" on stdout: WHERE is cache, own, unnamed, unknown or mixed, A
 * and B the top of a warm-up thread's and of the first churn thread's
 * stack; exit 0 (1 on a failure other than EAGAIN).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptfreeze.h"

#define MAXC 64
#define OWN_STACK ((size_t)1 << 20)

static int detached, own, big;
static sem_t room, held;
static char *own_stacks;
static uintptr_t seen_stack[2]; /* a warm-up thread's and the first churn thread's stack address */

struct arg {
	int record; /* index into seen_stack, or -1 */
};

static void *work(void *p)
{
	struct arg *a = p;
	volatile char buf[32 * 1024];
	for (size_t i = 0; i < sizeof(buf); i += 4096) {
		buf[i] = (char)i;
	}
	if (a && a->record >= 0) {
		pthread_attr_t at;
		void *lo;
		size_t n;
		if (pthread_getattr_np(pthread_self(), &at) == 0) {
			if (pthread_attr_getstack(&at, &lo, &n) == 0) {
				seen_stack[a->record] = (uintptr_t)lo + n - 1;
			}
			pthread_attr_destroy(&at);
		}
	}
	if (detached) {
		sem_post(&room);
	}
	return NULL;
}

static void *hold(void *p)
{
	sem_wait(&held);
	return p;
}

static void marker(const char *s) { (void)!write(-1, s, strlen(s)); }

/* Never rewritten while a thread may read them (detached threads outlive their batch). */
static struct arg recorders[2] = {{0}, {1}}, plain = {-1};
static long eagain;

/* Creates one thread (slot k of the concurrent set); 0, or -1 after EAGAIN. */
static int start(pthread_t *t, int k, int record)
{
	pthread_attr_t at;
	pthread_attr_init(&at);
	if (detached) {
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	}
	if (own) {
		pthread_attr_setstack(&at, own_stacks + (size_t)k * OWN_STACK, OWN_STACK);
	}
	if (big) {
		pthread_attr_setstacksize(&at, (size_t)64 << 20);
	}
	int r = pthread_create(t, &at, work, record >= 0 ? &recorders[record] : &plain);
	pthread_attr_destroy(&at);
	if (r == EAGAIN) {
		eagain++;
		return -1;
	}
	if (r != 0) {
		fprintf(stderr, "threadchurn: pthread_create: %s\n", strerror(r));
		exit(1);
	}
	return 0;
}

/* Runs n threads, at most c at once; the first records its stack in seen_stack[record]. */
static long run(long n, int c, int record)
{
	pthread_t t[MAXC];
	long done = 0;
	while (done < n) {
		int m = n - done < c ? (int)(n - done) : c;
		int ok[MAXC];
		for (int k = 0; k < m; k++) {
			if (detached) {
				sem_wait(&room);
			}
			ok[k] = start(&t[k], k, done == 0 && k == 0 ? record : -1) == 0;
			if (!ok[k] && detached) {
				sem_post(&room);
			}
		}
		for (int k = 0; k < m && !detached; k++) {
			if (ok[k] && pthread_join(t[k], NULL) != 0) {
				fprintf(stderr, "threadchurn: pthread_join failed\n");
				exit(1);
			}
		}
		done += m;
	}
	if (detached) {
		for (int k = 0; k < c; k++) {
			sem_wait(&room);
		}
		for (int k = 0; k < c; k++) {
			sem_post(&room);
		}
	}
	return done;
}

/*
 * Where address a lies: "cache" (a mapping /proc/self/maps names
 * ptfreeze-stacks), "own", "unnamed" (anything else: kernels without
 * CONFIG_ANON_VMA_NAME show no names, so the test also checks the address
 * against the ranges the shim named under strace).
 */
static const char *where(uintptr_t a)
{
	if (a == 0) {
		return "unknown";
	}
	if (own && a >= (uintptr_t)own_stacks && a < (uintptr_t)own_stacks + MAXC * OWN_STACK) {
		return "own";
	}
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	const char *w = "unnamed";
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi && strstr(line, "ptfreeze-stacks")) {
			w = "cache";
		}
	}
	if (f) {
		fclose(f);
	}
	return w;
}

int main(int argc, char **argv)
{
	long n = 1000;
	int c = 1, arm = 0, single_warmup = 0, forks = 0, opt;
	while ((opt = getopt(argc, argv, "n:c:dsbwfa")) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 'c': c = atoi(optarg); break;
		case 'd': detached = 1; break;
		case 's': own = 1; break;
		case 'b': big = 1; break;
		case 'w': single_warmup = 1; break;
		case 'f': forks = 1; break;
		case 'a': arm = 1; break;
		default:
			fprintf(stderr, "usage: threadchurn [-n threads] [-c concurrent] [-d] [-s] [-b] [-w] [-f] [-a]\n");
			return 2;
		}
	}
	if (c < 1 || c > MAXC || n < 1) {
		fprintf(stderr, "threadchurn: -c must be 1..%d and -n positive\n", MAXC);
		return 2;
	}
	sem_init(&room, 0, (unsigned)c);
	if (own) {
		own_stacks = mmap(NULL, MAXC * OWN_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (own_stacks == MAP_FAILED) {
			perror("threadchurn: mmap");
			return 1;
		}
		memset(own_stacks, 0, MAXC * OWN_STACK);
	}
	run(single_warmup ? 1 : c, single_warmup ? 1 : c, 0);
	/* Resolves the arming function now: the lookup maps nothing later. */
	ptfreeze_armed();
	pthread_t holders[4];
	if (forks) {
		sem_init(&held, 0, 0);
		for (int k = 0; k < 4; k++) {
			if (pthread_create(&holders[k], NULL, hold, NULL) != 0) {
				fprintf(stderr, "threadchurn: pthread_create failed\n");
				return 1;
			}
		}
	}
	if (arm) {
		ptfreeze_arm();
	}
	pid_t child = -1;
	if (forks) {
		fflush(stdout);
		child = fork();
		if (child < 0) {
			perror("threadchurn: fork");
			return 1;
		}
		if (child > 0) {
			for (int k = 0; k < 4; k++) {
				sem_post(&held);
			}
			for (int k = 0; k < 4; k++) {
				pthread_join(holders[k], NULL);
			}
		}
	}
	struct rusage a, b;
	getrusage(RUSAGE_SELF, &a);
	marker("CHURN-BEGIN");
	long done = run(n, c, 1);
	marker("CHURN-END");
	getrusage(RUSAGE_SELF, &b);
	const char *w0 = where(seen_stack[0]), *w1 = where(seen_stack[1]);
	printf("threadchurn: minor=%ld major=%ld threads=%ld eagain=%ld stack=%s at=0x%lx,0x%lx\n", b.ru_minflt - a.ru_minflt,
	       b.ru_majflt - a.ru_majflt, done - eagain, eagain, strcmp(w0, w1) == 0 ? w1 : "mixed",
	       (unsigned long)seen_stack[0], (unsigned long)seen_stack[1]);
	if (child > 0) {
		int st;
		fflush(stdout);
		if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "threadchurn: the fork child failed\n");
			return 1;
		}
	}
	return 0;
}
