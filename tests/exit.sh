#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A process that ends with _exit still writes its report's summary, with
# its exit status unchanged; a vfork child's _exit (an exec that failed)
# writes none in its parent's report, whose own summary comes at its exit.
. "${srcdir:-$(dirname "$0")}/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 is not installed"
export PTFREEZE_LOG=off PTFREEZE_POOL=16M PTFREEZE_ARM=manual

st=0
PTFREEZE_REPORT="$TMPD/a-%p.jsonl" shim "$PY" -c 'import ctypes, os; ctypes.CDLL(None).ptfreeze_arm(); os._exit(7)' || st=$?
[ $st = 7 ] || fail "exit status $st after _exit(7) under the shim"
[ "$(grep -c '"type":"summary"' "$TMPD"/a-*.jsonl)" = 1 ] || fail "no summary after _exit"

# subprocess execs in a vfork child; an exec that fails ends it with _exit(255).
# Then the parent makes a site (a shared mapping): the summary must come
# after it, as the last line.
PTFREEZE_ARM=delay:1ms PTFREEZE_REPORT="$TMPD/b-%p.jsonl" shim "$PY" -c '
import mmap, subprocess, time
time.sleep(0.5)  # armed by then: the delay, then the prefault arming completes
try:
    subprocess.run(["/nonexistent/program"])
except FileNotFoundError:
    print("not found")
mmap.mmap(-1, 4096, mmap.MAP_SHARED).close()
' >"$TMPD/out" || fail "python3 failed under the shim"
grep -qx "not found" "$TMPD/out" || fail "the failed exec was not reported to the program"
[ "$(ls "$TMPD"/b-*.jsonl | wc -l)" = 1 ] || fail "expected one report: $(ls "$TMPD")"
[ "$(grep -c '"type":"summary"' "$TMPD"/b-*.jsonl)" = 1 ] ||
	fail "the parent's report has $(grep -c '"type":"summary"' "$TMPD"/b-*.jsonl) summaries, expected 1"
tail -n 1 "$TMPD"/b-*.jsonl | grep -q '"type":"summary".*"kind":"mmap"' ||
	fail "the summary is not the last record or misses the parent's last site (written by the vfork child?)"
exit 0
