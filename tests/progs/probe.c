/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * probe: makes every kind of page-table change from its own named function
 * after arming itself with SIGUSR2 (run it with PTFREEZE_ARM=signal:USR2),
 * so a test can check that each lands in the report at the right function,
 * or is refused in strict mode.  Prints one line per call:
 *   NAME ok|fail ERRNO-NAME
 * then "still-mapped yes|no" for the page whose munmap was attempted.
 * usage: probe LIBRARY_TO_DLOPEN [--shared] [--pause] [--raw]
 *   --shared  the start-up mapping is MAP_SHARED (default: MAP_PRIVATE, which
 *             the shim serves from its pool)
 *   --pause   sleep at the end, for kill -9
 *   --raw     also what only the seccomp backstop sees: a munmap by a direct
 *             syscall(2) of a shared mapping made at start-up (raw-munmap),
 *             and a thread with a 24M stack, larger than any cached stack,
 *             so glibc must map it (big-thread)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static char *startup_map;
static const size_t MAP_LEN = 16 * 4096;

static void say(const char *name, int ok, int err)
{
	printf("%s %s %s\n", name, ok ? "ok" : "fail", ok ? "-" : strerrorname_np(err) ? strerrorname_np(err) : "?");
	fflush(stdout);
}

static void marker(const char *m)
{
	if (write(-1, m, strlen(m)) < 0) {
		return;
	}
}

NOINLINE static void do_mprotect(void)
{
	int r = mprotect(startup_map, 4096, PROT_READ);
	say("mprotect", r == 0, errno);
}

NOINLINE static void do_munmap_part(void)
{
	int r = munmap(startup_map + 4096, 4096);
	say("munmap", r == 0, errno);
}

NOINLINE static void do_madvise(void)
{
	int r = madvise(startup_map + 2 * 4096, 4096, MADV_DONTNEED);
	say("madvise", r == 0, errno);
}

NOINLINE static void do_mremap(void)
{
	void *p = mremap(startup_map + 8 * 4096, 4096, 2 * 4096, MREMAP_MAYMOVE);
	say("mremap", p != MAP_FAILED, errno);
}

NOINLINE static void do_sbrk(void)
{
	void *p = sbrk(65536);
	say("sbrk", p != (void *)-1, errno);
}

NOINLINE static void do_anon_mmap(void)
{
	marker("ANON-BEGIN");
	char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ok = p != MAP_FAILED;
	int err = errno;
	if (ok) {
		for (size_t i = 0; i < (1 << 20); i += 4096) {
			ok &= p[i] == 0;
			p[i] = 1;
		}
		ok &= munmap(p, 1 << 20) == 0;
	}
	marker("ANON-END");
	say("anon-mmap", ok, err);
}

static void *thread_fn(void *arg) { return arg; }

static char *raw_map;

NOINLINE static void do_raw_munmap(void)
{
	long r = syscall(SYS_munmap, raw_map + 4096, 4096);
	say("raw-munmap", r == 0, errno);
}

NOINLINE static void do_big_thread(void)
{
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, (size_t)24 << 20);
	marker("BIG-THREAD-BEGIN");
	int r = pthread_create(&t, &a, thread_fn, NULL);
	marker("BIG-THREAD-END");
	if (r == 0) {
		pthread_join(t, NULL);
	}
	pthread_attr_destroy(&a);
	say("big-thread", r == 0, r);
}

NOINLINE static void do_pthread_create(void)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, thread_fn, NULL);
	if (r == 0) {
		pthread_join(t, NULL);
	}
	say("pthread_create", r == 0, r);
}

NOINLINE static void do_fork(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		_exit(0);
	}
	int err = errno;
	if (pid > 0) {
		waitpid(pid, NULL, 0);
	}
	say("fork", pid > 0, err);
}

NOINLINE static void do_dlopen(const char *lib)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	say("dlopen", h != NULL, EPERM);
	if (!h) {
		printf("dlerror %s\n", dlerror());
	}
}

int main(int argc, char **argv)
{
	int shared = 0, pause_at_end = 0, raw = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: probe LIBRARY [--shared] [--pause]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		shared |= strcmp(argv[i], "--shared") == 0;
		pause_at_end |= strcmp(argv[i], "--pause") == 0;
		raw |= strcmp(argv[i], "--raw") == 0;
	}
	startup_map = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS,
			   -1, 0);
	if (startup_map == MAP_FAILED) {
		perror("probe: mmap");
		return 1;
	}
	memset(startup_map, 7, MAP_LEN);
	raw_map = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (raw_map == MAP_FAILED) {
		perror("probe: mmap");
		return 1;
	}
	raise(SIGUSR2); /* start-up is over */

	do_mprotect();
	do_munmap_part();
	do_madvise();
	do_mremap();
	do_sbrk();
	do_anon_mmap();
	do_pthread_create();
	do_fork();
	do_dlopen(argv[1]);
	if (raw) {
		do_raw_munmap();
		do_big_thread();
	}

	/* Is the page whose munmap was attempted still there? */
	int still = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long want = (unsigned long)(startup_map + 4096);
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && want >= s && want < e) {
			still = 1;
		}
	}
	if (f) {
		fclose(f);
	}
	printf("still-mapped %s\n", still ? "yes" : "no");
	fflush(stdout);
	if (pause_at_end) {
		printf("paused\n");
		fflush(stdout);
		pause();
	}
	return 0;
}
