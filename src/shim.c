/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shim: the state every file of the shim shares (see shim.h).  A leaf:
 * it calls nothing but sys, and never changes the arming state itself.
 */
#include "shim.h"

#include "sys.h"

_Atomic int shim_state;
__thread int shim_busy __attribute__((tls_model("initial-exec")));

_Atomic int shim_arm_state;
_Atomic uint64_t shim_arm_at;
_Atomic uint64_t shim_arm_deadline;

uint64_t shim_since_arm_ns(void)
{
	uint64_t at = atomic_load(&shim_arm_at);
	return at ? sys_now_ns() - at : 0;
}

bool shim_arm_due(void)
{
	uint64_t due = atomic_load(&shim_arm_deadline);
	return due && sys_now_ns() >= due;
}

_Atomic int shim_thread_wanted;
static void (*lives_hook)(bool);

void shim_set_lives_hook(void (*fn)(bool blocking)) { lives_hook = fn; }

void shim_lives_slow(bool blocking)
{
	if (lives_hook && !shim_busy) {
		lives_hook(blocking);
	}
}
