/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * backstop: the seccomp filter that catches what interposition cannot see
 * (PTFREEZE_SECCOMP=on).  Installed at arming on every thread (TSYNC), it
 * traps mmap, munmap, mprotect, pkey_mprotect, mremap, madvise, brk, shmat,
 * shmdt and clone without CLONE_VM unless the call comes from the shim's
 * own syscall instruction (sys_raw_site()); clone3 gets ENOSYS so libc falls
 * back to clone, whose flags the filter can read.  The SIGSYS handler
 * records the call with its stack and, in report mode, makes it from the
 * trusted site and returns its result; in strict mode it returns EPERM.
 *
 * Irreversible: the filter outlives disarming and is inherited by children
 * across fork and exec, and installing it sets no_new_privs (a set-user-ID
 * program exec'd later runs without its privileges).  Hence opt-in.
 */
#ifndef PTFREEZE_BACKSTOP_H
#define PTFREEZE_BACKSTOP_H

#include <stdbool.h>

/* Installs the filter once; 0, or -errno with one line on stderr. */
int backstop_install(void);
bool backstop_installed(void);

#endif
