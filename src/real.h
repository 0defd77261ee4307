/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * real: the next definitions (libc's) of the functions the shim interposes
 * but cannot replace with a raw system call, because libc keeps state
 * around them (fork's atfork handlers, pthread_create, dlopen, sbrk's
 * cached break).  Resolved once with dlsym(RTLD_NEXT) by real_resolve(),
 * before any hook needs them; hooks never call dlsym.
 */
#ifndef PTFREEZE_REAL_H
#define PTFREEZE_REAL_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>
#include <stdint.h>
#include <sys/types.h>

struct real {
	int (*pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	int (*pthread_join)(pthread_t, void **);
	int (*pthread_tryjoin_np)(pthread_t, void **);
	int (*pthread_timedjoin_np)(pthread_t, void **, const struct timespec *);
	int (*pthread_clockjoin_np)(pthread_t, void **, clockid_t, const struct timespec *);
	int (*pthread_detach)(pthread_t);
	pid_t (*fork)(void);
	void *(*dlopen)(const char *, int);
	int (*dlclose)(void *);
	void *(*sbrk)(intptr_t);
	int (*brk)(void *);
	void *(*shmat)(int, const void *, int);
	int (*shmdt)(const void *);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execv)(const char *, char *const[]);
	int (*execvp)(const char *, char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
	int (*execveat)(int, const char *, char *const[], char *const[], int);
	/* The blocking calls (process.c): a fork child making one lives on. */
	int (*nanosleep)(const struct timespec *, struct timespec *);
	int (*clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
	unsigned (*sleep)(unsigned);
	int (*usleep)(useconds_t);
	int (*pause)(void);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*epoll_wait)(int, struct epoll_event *, int, int);
	int (*sigsuspend)(const sigset_t *);
	pid_t (*waitpid)(pid_t, int *, int);
	pid_t (*wait)(int *);
	pid_t (*wait4)(pid_t, int *, int, struct rusage *);
};

extern struct real real;

/* Resolves every pointer still NULL.  Not for hooks: it calls dlsym. */
void real_resolve(void);

#endif
