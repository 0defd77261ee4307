/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * numa: where the pool's pages live.  With PTFREEZE_NUMA_NODE=N every pool
 * region is given the policy MPOL_PREFERRED for node N (raw mbind) before
 * it is prefaulted, so its pages are allocated there while the node has
 * free memory, and on another node rather than failing when it has not.
 * Whatever the policy, numa_measure() reads /proc/self/numa_maps and counts
 * the pool's bytes per node, for the report.
 *
 * A node that does not exist, or an mbind the kernel refuses, is one line
 * on stderr and the pool stays unbound: the program runs.  Raw syscalls
 * into stack buffers only: no allocation, no stdio, callable wherever the
 * pool grows (inside jemalloc's hooks).
 */
#ifndef PTFREEZE_NUMA_H
#define PTFREEZE_NUMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"

#define NUMA_MAX_NODES 64

/* Applies config.numa_node's policy to [addr, addr+len); first call checks the node. */
void numa_apply(void *addr, size_t len);
/*
 * Counts the pool's resident bytes per node from /proc/self/numa_maps: the
 * mappings whose start `counts` says are the pool's (pool passes its own).
 */
void numa_measure(bool (*counts)(const void *start));
/* The "numa" object of the pool in the report (from the last measure). */
void numa_json(struct sb *sb);
/* Bytes of the pool on node n at the last measure (n >= NUMA_MAX_NODES: all such nodes). */
size_t numa_bytes_on(int n);
/* True if the pool is bound (the node exists and mbind was accepted). */
bool numa_bound(void);

/*
 * Parses one numa_maps line: its start address and the N<node>=<pages>
 * and kernelpagesize_kB fields; calls add(node, bytes) for each node.
 * false if the line has no address.  Exposed for unit tests.
 */
bool numa_parse_line(const char *line, uintptr_t *start, void (*add)(int node, size_t bytes, void *arg), void *arg);

#endif
