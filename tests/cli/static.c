/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * static: a statically linked program, which LD_PRELOAD cannot reach; the
 * tests check that `ptfreeze run` refuses it instead of running it.
 */
int main(void) { return 0; }
