#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ptfreeze run's --only suggestion: made only when two or more programs
# armed (a fork child is its parent's program, not another one), naming
# them all, the one that recorded most first.  A supervisor shell script
# that starts /usr/bin/python3 in the background: both arm, python does
# the work, so python is named first and the shell after it; with --only
# given for python, python and its fork children arm: no suggestion.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no $PY"
R="$TMPD/reports"
mkdir -p "$R/sup" "$R/only"
# After the arming delay: python allocates (its arenas are mmap'd) and forks three children that do too.
cat > "$TMPD/work.py" << 'PYEOF'
import os, time
time.sleep(0.5)
def work():
    keep = [bytearray(1 << 20) for _ in range(16)]
    keep += [[i] * 50 for i in range(20000)]
    return len(keep)
work()
kids = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        work()
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
print("done")
PYEOF
printf '#!/bin/bash\n%s %s &\nwait\n' "$PY" "$TMPD/work.py" > "$TMPD/supervise"
chmod +x "$TMPD/supervise"
prog=$(basename "$(readlink -f "$PY")")

PTFREEZE_ARM=delay:200ms pf run --report "$R/sup/r-%p.jsonl" -- "$TMPD/supervise"
expect_status 0 "a supervisor script starting python"
grep -q '^done' "$TMPD/out" || fail "python did not finish: $(cat "$TMPD/out" "$TMPD/err")"
grep -q "^ptfreeze: report written: .*bash, armed by" "$TMPD/err" || skip "the shell did not arm (a slow host?): $(cat "$TMPD/err")"
grep -q "^ptfreeze: 2 programs armed ($prog, bash); to freeze one program only, run again with --only NAME (e.g. --only '$prog')\$" \
	"$TMPD/err" || fail "no --only suggestion naming $prog first: $(cat "$TMPD/err")"

PTFREEZE_ARM=delay:200ms pf run --only "$prog" --report "$R/only/r-%p.jsonl" -- "$TMPD/supervise"
expect_status 0 "the supervisor script with --only $prog"
n=$(grep -c "^ptfreeze: report written: .*fork child, $prog, armed by" "$TMPD/err")
[ "$n" -eq 3 ] || fail "$n fork children of $prog armed, want 3: $(cat "$TMPD/err")"
grep -q "armed (\|processes armed\|--only NAME" "$TMPD/err" && fail "--only suggested with one program armed: $(cat "$TMPD/err")"
exit 0
