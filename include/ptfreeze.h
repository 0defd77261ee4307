/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ptfreeze.h: control ptfreeze from the program it is preloaded into.
 *
 * The functions below work whether or not libptfreeze.so is preloaded and
 * need no link flag: each looks up the shim's symbol at its first call
 * (dlsym(RTLD_DEFAULT)) and, when the shim is absent, does nothing and
 * returns -ENOSYS (ptfreeze_armed() returns 0), as it does in a passive
 * process (one PTFREEZE_PROGRAMS does not choose).  So one binary runs with
 * and without the preload.
 *
 *   ptfreeze_arm()     start-up is over: from now on every page-table change
 *                      is reported (PTFREEZE_MODE=report) or refused (strict).
 *                      0, -EALREADY if already armed, -ENOSYS without the shim.
 *                      When another trigger (the delay) is arming at that
 *                      moment, it returns once that arming is complete.
 *   ptfreeze_disarm()  back to start-up (e.g. around a planned reconfiguration).
 *                      0, -EALREADY if not armed, -ENOSYS without the shim.
 *   ptfreeze_armed()   1 if armed, 0 if not or without the shim.  Armed means
 *                      arming is complete: what the program does after it
 *                      sees 1 is in the report (0 while a trigger is arming).
 *
 * Thread-safe and async-signal-safe once the first call has resolved the
 * symbol (call ptfreeze_armed() once at start-up to resolve it early).
 */
#ifndef PTFREEZE_H
#define PTFREEZE_H

#ifdef PTFREEZE_BUILDING_SHIM

int ptfreeze_arm(void);
int ptfreeze_disarm(void);
int ptfreeze_armed(void);

#else

#ifndef _GNU_SOURCE
#define PTFREEZE_UNDEF_GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#ifdef PTFREEZE_UNDEF_GNU_SOURCE
#undef _GNU_SOURCE
#undef PTFREEZE_UNDEF_GNU_SOURCE
#endif

typedef int (*ptfreeze_fn_)(void);

static inline ptfreeze_fn_ ptfreeze_lookup_(const char *name, ptfreeze_fn_ *cache)
{
	ptfreeze_fn_ fn = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
	if (!fn) {
		void *sym = dlsym(RTLD_DEFAULT, name);
		fn = sym ? (ptfreeze_fn_)sym : (ptfreeze_fn_)0;
		__atomic_store_n(cache, fn, __ATOMIC_RELEASE);
	}
	return fn;
}

static inline int ptfreeze_arm(void)
{
	static ptfreeze_fn_ fn;
	ptfreeze_fn_ f = ptfreeze_lookup_("ptfreeze_arm", &fn);
	return f ? f() : -ENOSYS;
}

static inline int ptfreeze_disarm(void)
{
	static ptfreeze_fn_ fn;
	ptfreeze_fn_ f = ptfreeze_lookup_("ptfreeze_disarm", &fn);
	return f ? f() : -ENOSYS;
}

static inline int ptfreeze_armed(void)
{
	static ptfreeze_fn_ fn;
	ptfreeze_fn_ f = ptfreeze_lookup_("ptfreeze_armed", &fn);
	return f ? f() : 0;
}

#endif /* PTFREEZE_BUILDING_SHIM */
#endif /* PTFREEZE_H */
