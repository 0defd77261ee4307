#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# With huge pages reserved and the default PTFREEZE_HUGEPAGES=auto, a fork
# child survives when, after the program took its pool, another process
# takes every free huge page (issue 13: "programs that fork, run with
# default settings, exit as they do without the shim").  On a private
# hugetlb pool the child's first write to a shared pool page needs a free
# huge page, and with none the kernel kills it with SIGBUS; so auto puts
# the pool on THP where THP is enabled.  The program: python3 that sleeps
# while the hog takes the pages, then forks a child that allocates and
# writes (pool pages shared with its parent) and exits 7; LOOPS runs
# (default 5), each must print what it prints without the shim.
. "${srcdir:-$(dirname "$0")}/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 is not installed"
grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null &&
	skip "THP is off: auto takes hugetlb pages here (half of those free), and a process that takes the rest can still starve a fork child (ptfreeze(7), CAVEATS)"
reserve_hugepages 16
export PTFREEZE_HUGEPAGES=auto PTFREEZE_POOL=8M PTFREEZE_POOL_GROW=2M
cat > "$TMPD/forker.py" <<'PYEOF'
import os, sys, time
data = [bytearray(4096) for _ in range(2000)]   # pool pages the child will share
while not os.path.exists(sys.argv[1]):          # the hog holds every free huge page
    time.sleep(0.01)
pid = os.fork()
if pid == 0:
    for b in data:
        b[0] = 1                                # copy-on-write of shared pool pages
    more = [bytearray(65536) for _ in range(200)]
    os._exit(7)
_, st = os.waitpid(pid, 0)
print("child", os.waitstatus_to_exitcode(st))
PYEOF
cat > "$TMPD/hog.py" <<'PYEOF'
import mmap, sys, time
maps = []
while True:
    try:
        m = mmap.mmap(-1, 2 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x40000)  # MAP_HUGETLB
        m[0] = 1
        maps.append(m)
    except OSError:
        break
open(sys.argv[1], "w").close()
time.sleep(60)
PYEOF
want=$(rm -f "$TMPD/go"; "$PY" "$TMPD/hog.py" "$TMPD/go" & h=$!; "$PY" "$TMPD/forker.py" "$TMPD/go" 2>&1; echo "status=$?"; kill $h)
[ "$want" = "$(printf 'child 7\nstatus=0')" ] || hard "the forker without the shim: $want"
loops=${LOOPS:-5}
i=0
while [ $i -lt "$loops" ]; do
	i=$((i + 1))
	rm -f "$TMPD/go" "$TMPD"/report-*.jsonl
	PTFREEZE_REPORT="$TMPD/report-%p.jsonl" PTFREEZE_ARM=manual env LD_PRELOAD="$SHIM" "$PY" "$TMPD/forker.py" "$TMPD/go" \
		> "$TMPD/out" 2>&1 &
	fpid=$!
	sleep 0.3 # the program has its pool
	"$PY" "$TMPD/hog.py" "$TMPD/go" &
	hpid=$!
	wait $fpid
	st=$?
	[ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)" = 0 ] || note "run $i: the hog left free huge pages"
	kill $hpid 2>/dev/null
	wait $hpid 2>/dev/null
	got="$(cat "$TMPD/out")
status=$st"
	[ "$got" = "$want" ] || fail "run $i: without the shim '$want', with it '$got' (child -7: SIGBUS)"
done
note "$loops runs with every free huge page taken after the program had its pool: the fork child survived each"
exit 0
