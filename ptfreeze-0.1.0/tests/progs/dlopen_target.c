/* SPDX-License-Identifier: BSD-2-Clause */
/* dlopen_target: a library nothing loads at start-up, for probe's dlopen. */
int ptfreeze_test_target(void);
int ptfreeze_test_target(void) { return 42; }
