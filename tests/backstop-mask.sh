#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The seccomp backstop armed while the program has every signal blocked
# (CPython does that around vfork): the program's next trapped call, the
# rt_sigprocmask that restores its mask, must reach the SIGSYS handler
# instead of killing the process.
. "${srcdir:-$(dirname "$0")}/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 is not installed"
export PTFREEZE_LOG=off PTFREEZE_POOL=16M PTFREEZE_SECCOMP=on PTFREEZE_ARM=manual
st=0
out=$(shim "$PY" -c '
import ctypes, signal
arm = ctypes.CDLL(None).ptfreeze_arm
old = signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals))
arm()                                 # everything blocked
signal.pthread_sigmask(signal.SIG_SETMASK, old)
print("alive", signal.SIGSYS in signal.pthread_sigmask(signal.SIG_BLOCK, []))
') || st=$?
[ $st = 0 ] || fail "killed (status $st) after arming the backstop with SIGSYS blocked"
[ "$out" = "alive False" ] || fail "unexpected output: $out"
grep -q '"type":"arm"' "$TMPD"/report-*.jsonl || fail "the program was never armed"
exit 0
