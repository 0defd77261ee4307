/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * real: libc's definitions of the interposed functions that keep libc
 * state (see real.h).  Only real_resolve() may call dlsym.
 */
#include "real.h"

#include <dlfcn.h>
#include <time.h>

struct real real;

#define RESOLVE(name)                                                                                  \
	do {                                                                                           \
		if (!real.name) {                                                                      \
			*(void **)&real.name = dlsym(RTLD_NEXT, #name);                                \
		}                                                                                      \
	} while (0)

void real_resolve(void)
{
	RESOLVE(pthread_create);
	RESOLVE(pthread_join);
	RESOLVE(pthread_tryjoin_np);
	RESOLVE(pthread_timedjoin_np);
	RESOLVE(pthread_clockjoin_np);
	RESOLVE(pthread_detach);
	RESOLVE(fork);
	RESOLVE(dlopen);
	RESOLVE(dlclose);
	RESOLVE(sbrk);
	RESOLVE(brk);
	RESOLVE(shmat);
	RESOLVE(shmdt);
	RESOLVE(execve);
	RESOLVE(execv);
	RESOLVE(execvp);
	RESOLVE(execvpe);
	RESOLVE(nanosleep);
	RESOLVE(clock_nanosleep);
	RESOLVE(sleep);
	RESOLVE(usleep);
	RESOLVE(pause);
	RESOLVE(poll);
	RESOLVE(select);
	RESOLVE(epoll_wait);
	RESOLVE(sigsuspend);
	RESOLVE(waitpid);
	RESOLVE(wait);
	RESOLVE(wait4);
	RESOLVE(fexecve);
	RESOLVE(execveat);
}
