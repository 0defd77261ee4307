/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * phdr: program headers of loaded objects (see phdr.h).
 */
#include "phdr.h"

#include <elf.h>
#include <string.h>

bool phdr_load_span(const ElfW(Phdr) *ph, size_t n, uintptr_t bias, unsigned flags, uintptr_t *lo, uintptr_t *hi)
{
	uintptr_t l = UINTPTR_MAX, h = 0;
	for (size_t i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD || (ph[i].p_flags & flags) != flags) {
			continue;
		}
		uintptr_t s = bias + ph[i].p_vaddr, e = s + ph[i].p_memsz;
		l = s < l ? s : l;
		h = e > h ? e : h;
	}
	if (h == 0) {
		return false;
	}
	*lo = l;
	*hi = h;
	return true;
}

bool phdr_load_contains(const ElfW(Phdr) *ph, size_t n, uintptr_t bias, uintptr_t addr)
{
	for (size_t i = 0; i < n; i++) {
		uintptr_t s = bias + ph[i].p_vaddr;
		if (ph[i].p_type == PT_LOAD && addr >= s && addr < s + ph[i].p_memsz) {
			return true;
		}
	}
	return false;
}

uintptr_t phdr_image_end(uintptr_t start, size_t avail)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)start;
	if (avail < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > avail) {
		return 0;
	}
	uintptr_t lo, hi;
	if (!phdr_load_span((const Elf64_Phdr *)(start + eh->e_phoff), eh->e_phnum, 0, 0, &lo, &hi)) {
		return 0;
	}
	return start - (lo & ~(uintptr_t)4095) + hi;
}

bool phdr_build_id(const struct dl_phdr_info *info, const unsigned char **id, size_t *len)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE) {
			continue;
		}
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			const char *name = p + sizeof(*nh);
			const unsigned char *desc = (const unsigned char *)name + ((nh->n_namesz + 3) & ~3u);
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
				*id = desc;
				*len = nh->n_descsz;
				return true;
			}
			p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return false;
}
