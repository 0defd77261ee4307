/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * probe: a program for the ptfreeze command's tests.  It maps memory at
 * start-up, arms the shim with raise(SIGUSR2) (run it with
 * --arm signal:USR2), then changes page tables from named functions, so
 * `ptfreeze report` can be checked to resolve each site to its function
 * and to probe.c:LINE.  do_mprotect calls mprotect three times from one
 * call site (one site, count 3).
 *   usage: probe [--fork] [--pause]
 *   --fork   also fork a child that calls do_child_munmap and exits normally
 *   --pause  print "paused PID" and wait for a signal (for kill -9 tests)
 * Prints "done" at the end.  Built with -g -O0 so every frame has a line.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define PAGE 4096
#define MAP_PAGES 32

static char *mem;

NOINLINE static void do_mprotect(void)
{
	for (int i = 0; i < 3; i++) {
		if (mprotect(mem, PAGE, i % 2 ? PROT_READ | PROT_WRITE : PROT_READ) != 0) {
			perror("probe: mprotect");
		}
	}
}

NOINLINE static void do_munmap_part(void)
{
	if (munmap(mem + 1 * PAGE, PAGE) != 0) {
		perror("probe: munmap");
	}
}

NOINLINE static void do_madvise(void)
{
	if (madvise(mem + 2 * PAGE, 4 * PAGE, MADV_DONTNEED) != 0) {
		perror("probe: madvise");
	}
}

NOINLINE static void do_mremap(void)
{
	if (mremap(mem + 8 * PAGE, PAGE, 2 * PAGE, MREMAP_MAYMOVE) == MAP_FAILED) {
		perror("probe: mremap");
	}
}

NOINLINE static void do_child_munmap(void)
{
	if (munmap(mem + 16 * PAGE, 2 * PAGE) != 0) {
		perror("probe: child munmap");
	}
}

NOINLINE static void do_fork(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		do_child_munmap();
		exit(0); /* exit, not _exit: the child writes its summary */
	}
	if (pid < 0) {
		perror("probe: fork");
		return;
	}
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	int fork_too = 0, pause_at_end = 0;
	for (int i = 1; i < argc; i++) {
		fork_too |= strcmp(argv[i], "--fork") == 0;
		pause_at_end |= strcmp(argv[i], "--pause") == 0;
	}
	/* Shared: the kernel maps it (the shim serves only private anonymous memory). */
	mem = mmap(NULL, MAP_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("probe: mmap");
		return 1;
	}
	memset(mem, 1, MAP_PAGES * PAGE);
	raise(SIGUSR2); /* start-up is over: the shim arms */

	do_mprotect();
	do_munmap_part();
	do_madvise();
	do_mremap();
	if (fork_too) {
		do_fork();
	}
	if (pause_at_end) {
		printf("paused %ld\n", (long)getpid());
		fflush(stdout);
		for (;;) {
			pause();
		}
	}
	printf("done\n");
	return 0;
}
