/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * process: the exported calls that drive the shim's lifecycle, defined in
 * process.c under their libc and ptfreeze.h names (pthread_create, fork,
 * vfork, the exec family, _exit and _Exit, ptfreeze_arm, ptfreeze_disarm,
 * ptfreeze_armed); nothing else calls them by these names.  Lifecycle
 * layer: they call phase and summary, hand what maps memory to interpose
 * (interpose_create_thread) and make fork and vfork through serve's
 * guarded step.  They never decide a verdict themselves.
 */
#ifndef PTFREEZE_PROCESS_H
#define PTFREEZE_PROCESS_H

#endif
