/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vartable: the PTFREEZE_* table of src/config.c for test scripts, so that
 * they walk the real table instead of a list of their own.
 *   vartable                      NAME<TAB>DEFAULT<TAB>FORM, one variable a line
 *   vartable accepts NAME VALUE   exit 0 if the library takes VALUE for NAME,
 *                                 1 if it rejects it (as config_load decides),
 *                                 2 if NAME is not in the table
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "accepts") == 0) {
		for (size_t i = 0; i < config_nvars; i++) {
			if (strcmp(config_vars[i].name, argv[2]) == 0) {
				struct config scratch;
				memset(&scratch, 0, sizeof(scratch));
				return strlen(argv[3]) < CONFIG_VALUE_MAX && config_vars[i].parse(argv[3], &scratch) == 0 ? 0 : 1;
			}
		}
		return 2;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: vartable [accepts NAME VALUE]\n");
		return 2;
	}
	for (size_t i = 0; i < config_nvars; i++) {
		printf("%s\t%s\t%s\n", config_vars[i].name, config_vars[i].def, config_vars[i].form);
	}
	return 0;
}
