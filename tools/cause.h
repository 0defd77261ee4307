/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cause: the likely kernel cause of a page-fault or fork site, where the
 * report shows the mechanism: the fault's address class and the host
 * snapshot the process wrote at start-up (NUMA balancing, KSM, khugepaged,
 * the pool's backing).  NULL when nothing in the report points at one.
 */
#ifndef PTFREEZE_CAUSE_H
#define PTFREEZE_CAUSE_H

#include "reportfile.h"

const char *cause_of(const struct rf_group *g);

#endif
