#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Room at arming (docs/design.md): nine 12 MiB blocks, kept, grow a 64M pool
# to 128M before arming and leave it less than 12 MiB never handed out; the
# same request made once more after arming takes no fault (getrusage), makes
# no page-table call (strace) and grows no pool (the report), because arming
# grew the pool first (a pool-grow record "who":"arming", not armed).  Without
# it that request grew the pool after arming: 32 faults.
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_strace
PTFREEZE_POOL=64M PTFREEZE_POOL_GROW=64M PTFREEZE_ARM=manual PTFREEZE_LOG=off strace -f -o "$TMPD/strace.txt" \
	env LD_PRELOAD="$SHIM" "$PROGS/roomarm" 9 12582912 > "$TMPD/out" || fail "roomarm failed under the shim"
note "$(cat "$TMPD/out")"
rep=$(ls "$TMPD"/report-*.jsonl | head -1)
[ -n "$rep" ] || fail "no report"
grep '"type":"pool-grow"' "$rep" | grep '"armed":false' | grep -q '"who":"arming"' ||
	fail "arming did not grow the pool: $(grep '"type":"pool-grow"' "$rep")"
[ "$(cat "$TMPD/out")" = "faults 0" ] || fail "the request after arming took page faults: $(cat "$TMPD/out")"
armed_quiet "$TMPD/strace.txt" "$rep" "the largest request of start-up, again after arming"
# Growth off: arming leaves the pool alone.
PTFREEZE_POOL=64M PTFREEZE_POOL_GROW=0 PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_REPORT="$TMPD/off.jsonl" \
	shim "$PROGS/roomarm" 3 12582912 > /dev/null || fail "roomarm failed with growth off"
! grep -q '"who":"arming"' "$TMPD/off.jsonl" || fail "arming grew the pool with PTFREEZE_POOL_GROW=0"
exit 0
