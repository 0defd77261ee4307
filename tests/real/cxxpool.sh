#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A C++ program of ours that knows nothing of ptfreeze (tests/real/cxxpool.cc):
# a thread pool, std::vector/std::string/std::map churn, aligned new and
# exceptions thrown across threads.  Its checksum, with and without the
# shim, must be the same; it is armed by SIGUSR2 (the program leaves it at
# its default action, so the shim's handler is the only one) once its first
# batch is done.
. "$(dirname "$0")/lib.sh"
PROG=$top_builddir/tests/real/cxxpool
[ -x "$PROG" ] || hard "no $PROG (make check-real builds it)"

plain cxx-plain "$PROG" 4 400 0
expect_ok cxx-plain "cxxpool"
# The program sleeps 1.5 s after its first batch: the signal lands then.
start cxx-shim signal:USR2 "$PROG" 4 400 1500
sleep 0.7
kill -USR2 $pid 2>/dev/null || note "cxxpool ended before it could be armed"
finish cxx-shim
ok=0
same cxx-plain cxx-shim "cxxpool" || ok=1
shim_errors cxx-shim || ok=1
judge cxx-shim || ok=1
[ $ok = 0 ] || exit 1
PTFREEZE_SECCOMP=on under cxx-seccomp delay:300ms "$PROG" 4 400 500
seccomp_note cxx-seccomp cxx-plain "cxxpool"
exit 0
