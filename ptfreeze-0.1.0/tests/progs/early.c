/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * early: links early_lib, whose constructor allocates before main; frees
 * that memory through the shim and prints what it held.
 */
#include <stdio.h>
#include <stdlib.h>

extern char *early_buffer;

int main(void)
{
	printf("%s\n", early_buffer);
	free(early_buffer);
	return 0;
}
