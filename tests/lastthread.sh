#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A program whose last thread leaves by pthread_exit ends, with exit(0)
# and its atexit handlers, under the shim with default settings as without
# it: the shim's own thread (the page-fault sampler, the delay trigger)
# must not keep the process alive.  Both before arming (a delay that has
# not come) and after, in the process and in a fork child whose leader
# leaves (the shape of CPython's test_threading join-in-forked-from-thread,
# which hung).  A watchdog (timeout) stands in for "it never ends".
. "${srcdir:-$(dirname "$0")}/lib.sh"
prog=$PROGS/lastthread
command -v timeout >/dev/null || skip "timeout (coreutils) is not installed"
for how in main fork; do
	want=$(timeout 30 "$prog" $how 2>&1; echo "status $?")
	for arm in delay:600s delay:1ms manual; do
		got=$(PTFREEZE_ARM=$arm timeout 30 env LD_PRELOAD="$SHIM" "$prog" $how 50 2>&1; echo "status $?")
		[ "$got" = "$want" ] || fail "lastthread $how, PTFREEZE_ARM=$arm: got '$got', without the shim '$want'"
		note "lastthread $how, PTFREEZE_ARM=$arm: $(echo "$got" | tr '\n' ' ')"
	done
done
