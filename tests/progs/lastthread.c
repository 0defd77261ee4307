/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The program's last thread leaves by pthread_exit: glibc then ends the
 * process with exit(0), which runs the atexit handlers (this one prints
 * "atexit ran").
 *   lastthread main    main calls pthread_exit; a thread it made prints
 *                      and returns last.
 *   lastthread fork    a thread forks (as CPython's test_threading does);
 *                      in the child that thread is the leader, and it
 *                      leaves by pthread_exit; the parent waits for the
 *                      child and says how it ended.
 * Armed or not, the process must end as it does without the shim.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void said(void)
{
	printf("atexit ran\n");
	fflush(stdout);
}

static void *late(void *arg)
{
	(void)arg;
	usleep(200000);
	printf("thread done\n");
	return NULL;
}

static void *forker(void *arg)
{
	(void)arg;
	pid_t pid = fork();
	if (pid == 0) {
		atexit(said);
		/* The child: its only thread (the leader) leaves. */
		usleep(100000);
		printf("child leaves\n");
		fflush(stdout);
		pthread_exit(NULL);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return NULL;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "main";
	usleep(argc > 2 ? (useconds_t)atoi(argv[2]) * 1000 : 0); /* after arming (PTFREEZE_ARM=delay:...) */
	pthread_t t;
	if (strcmp(how, "fork") == 0) {
		pthread_create(&t, NULL, forker, NULL);
		pthread_join(t, NULL);
		return 0;
	}
	atexit(said);
	pthread_create(&t, NULL, late, NULL);
	pthread_exit(NULL);
}
