/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * interpose: the exported entry points (see interpose.c).  The constructor
 * uses the one helper below.
 */
#ifndef PTFREEZE_INTERPOSE_H
#define PTFREEZE_INTERPOSE_H

#include <stddef.h>

/* Prefaults anonymous mappings made before the constructor, up to cap bytes. */
void interpose_prefault_early(size_t cap);

#endif
