/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * phdr: the one walker of a loaded object's program headers (from
 * dl_iterate_phdr, or from the ELF header a mapping starts with).
 * Layer 0: libc only; never allocates, async-signal-safe.  (Named phdr,
 * not elf: src/ is on the include path and would hide <elf.h>.)
 */
#ifndef PTFREEZE_PHDR_H
#define PTFREEZE_PHDR_H

#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The span [*lo, *hi) of the PT_LOAD segments of ph[0..n) whose p_flags
 * include every bit of `flags` (0: every segment, PF_X: code), each at
 * bias + p_vaddr, up to bias + p_vaddr + p_memsz (which covers .bss).
 * False (and *lo, *hi untouched) if there is none.
 */
bool phdr_load_span(const ElfW(Phdr) *ph, size_t n, uintptr_t bias, unsigned flags, uintptr_t *lo, uintptr_t *hi);

/* True if addr lies in one of the PT_LOAD segments of ph[0..n) at bias. */
bool phdr_load_contains(const ElfW(Phdr) *ph, size_t n, uintptr_t bias, uintptr_t addr);

/*
 * The end in memory of the ELF object whose header is at `start` (a
 * mapping at file offset 0 of `avail` readable bytes, as the loader mapped
 * it): start - its first segment's page + the end of its last segment.  0 if
 * the bytes are not a 64-bit ELF header with program headers inside them.
 */
uintptr_t phdr_image_end(uintptr_t start, size_t avail);

/* The object's GNU build id note: true, its bytes in *id and *len. */
bool phdr_build_id(const struct dl_phdr_info *info, const unsigned char **id, size_t *len);

#endif
