/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * interpose: the exported entry points (see interpose.c), and the one
 * helper process.c's pthread_create calls.
 */
#ifndef PTFREEZE_INTERPOSE_H
#define PTFREEZE_INTERPOSE_H

#include <pthread.h>
#include <stddef.h>

/*
 * pthread_create's work (process.c brackets it for arming): on a caller's
 * stack, on the stack cache, or as a guarded call when glibc maps the stack.
 */
int interpose_create_thread(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);

#endif
