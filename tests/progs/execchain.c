/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * exec and _exit under the shim:
 *   execchain exec N    execs itself (execl) N times, then exits normally
 *   execchain children  forks a child that leaves with _exit, and a vfork
 *                       child that execs /bin/true; then exits normally
 * Each image arms first (ptfreeze_arm, found with dlsym: the program runs
 * without the shim too) unless EXECCHAIN_ARM=0: an image that neither arms
 * nor records leaves no report.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void arm(void)
{
	const char *a = getenv("EXECCHAIN_ARM");
	int (*fn)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "ptfreeze_arm");
	if (fn && !(a && strcmp(a, "0") == 0)) {
		fn();
	}
}

int main(int argc, char **argv)
{
	arm();
	if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
		int n = atoi(argv[2]);
		free(malloc(100));
		if (n > 0) {
			char next[16];
			snprintf(next, sizeof(next), "%d", n - 1);
			fflush(stdout);
			execl("/proc/self/exe", argv[0], "exec", next, (char *)NULL);
			perror("execl");
			return 1;
		}
		printf("exec chain done\n");
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "children") == 0) {
		fflush(stdout);
		pid_t c = fork();
		if (c == 0) {
			free(malloc(100));
			_exit(7);
		}
		int st;
		waitpid(c, &st, 0);
		pid_t v = vfork();
		if (v == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		int vst;
		waitpid(v, &vst, 0);
		printf("children %d %d\n", WEXITSTATUS(st), WEXITSTATUS(vst));
		return 0;
	}
	fprintf(stderr, "usage: execchain exec N | children\n");
	return 2;
}
