/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * prom: `--format prometheus` of `ptfreeze check` and `ptfreeze report`,
 * the Prometheus text exposition format for node_exporter's textfile
 * collector, made from the commands' own JSON documents.  0, or -1 when out
 * cannot be written.
 */
#ifndef PTFREEZE_PROM_H
#define PTFREEZE_PROM_H

#include <jansson.h>
#include <stdio.h>

int prom_check(FILE *out, const json_t *doc);
int prom_report(FILE *out, const json_t *doc);

#endif
