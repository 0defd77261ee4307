/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spawnrss: runs a command N times and prints, per run, its wall time in
 * milliseconds, its peak RSS in KiB (ru_maxrss) and its minor faults, as
 * wait4(2) reports them for the child.  The child is forked from this small
 * process, so its peak RSS is its own, not a big parent's copied at fork.
 * SPAWN_PRELOAD, when set, becomes the child's LD_PRELOAD (and LD_PRELOAD
 * is dropped otherwise), so this process itself runs without it.  The
 * child's standard output goes to /dev/null: this program's is the table.
 * usage: spawnrss N COMMAND [ARGS]...
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: spawnrss N COMMAND [ARGS]...\n");
		return 2;
	}
	int n = atoi(argv[1]);
	const char *pre = getenv("SPAWN_PRELOAD");
	for (int i = 0; i < n; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		pid_t p = fork();
		if (p < 0) {
			perror("fork");
			return 99;
		}
		if (p == 0) {
			if (pre && *pre) {
				setenv("LD_PRELOAD", pre, 1);
			} else {
				unsetenv("LD_PRELOAD");
			}
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0) {
				dup2(null, 1);
				close(null);
			}
			execvp(argv[2], argv + 2);
			perror(argv[2]);
			_exit(127);
		}
		int st;
		struct rusage ru;
		if (wait4(p, &st, 0, &ru) < 0) {
			perror("wait4");
			return 99;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		printf("%.3f %ld %ld %d\n", ms, ru.ru_maxrss, ru.ru_minflt, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	return 0;
}
