/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * early_lib: a library whose constructor allocates (and resolves a symbol
 * with dlsym, which may calloc) before the shim's constructor can have run
 * in a program linked against it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

char *early_buffer;
void *early_sym;

__attribute__((constructor)) static void early_init(void)
{
	early_buffer = malloc(100);
	strcpy(early_buffer, "allocated before main");
	void *tmp = calloc(10, 10);
	free(tmp);
	early_sym = dlsym(RTLD_DEFAULT, "no_such_symbol_anywhere");
	early_buffer = realloc(early_buffer, 4000);
}
