#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The program's stderr is the program's (issue 13, item 3):
#  - by default a program making page-table changes after arming gets
#    nothing on its stderr; the findings are in the report;
#  - PTFREEZE_LOG=stderr opts into one line per new site;
#  - a start-up setting the shim cannot honour still gets its one line;
#  - a stderr pipe that nobody drains does not block the program: with
#    PTFREEZE_LOG=stderr and the pipe full, the program still finishes.
. "$(dirname "$0")/lib.sh"
need_probe
export PTFREEZE_ARM=signal:USR2 PTFREEZE_FAULTS=off

# --- default: nothing of ours on stderr, the report has the sites ---
d=$TMPD/def; mkdir -p "$d"
PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$probe" "$lib" > "$TMPD/def.out" 2> "$TMPD/def.err" || fail "probe failed (default)"
grep 'ptfreeze\[' "$TMPD/def.err" && fail "default settings: ptfreeze lines on the program's stderr"
# The probe itself writes nothing on stderr (it arms itself with SIGUSR2, so it cannot run without the shim).
[ -s "$TMPD/def.err" ] && { cat "$TMPD/def.err"; fail "default settings: the program's stderr is not empty"; }
grep -h '"type":"site"' "$d"/r-*.jsonl | grep -q '"kind":"munmap"' || fail "default settings: no munmap site in the report"

# --- opt in: a line per new site ---
d=$TMPD/on; mkdir -p "$d"
PTFREEZE_LOG=stderr PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$probe" "$lib" > /dev/null 2> "$TMPD/on.err" || fail "probe failed (PTFREEZE_LOG=stderr)"
grep -q '^ptfreeze\[[0-9]*\]: warning: recorded munmap after arming' "$TMPD/on.err" ||
	{ cat "$TMPD/on.err"; fail "PTFREEZE_LOG=stderr: no line for the munmap site"; }

# --- a setting that cannot be honoured at start-up: still one line ---
PTFREEZE_POOL=banana shim true 2> "$TMPD/bad.err" || fail "true failed with a bad PTFREEZE_POOL"
[ "$(grep -c . "$TMPD/bad.err")" -eq 1 ] && grep -q "error: PTFREEZE_POOL: cannot parse 'banana'" "$TMPD/bad.err" ||
	{ cat "$TMPD/bad.err"; fail "a bad setting is not one clear line"; }

# --- a full stderr pipe nobody reads does not block the program ---
# The writer fills the pipe first (non-blocking writes until EAGAIN), then
# runs the probe with PTFREEZE_LOG=stderr; if a shim line blocked, the probe
# would hang and timeout would kill it (status 124).  Nobody reads the pipe
# until the probe has exited.
d=$TMPD/full; mkdir -p "$d"
PY=${PY:-/usr/bin/python3}
st=0
PTFREEZE_LOG=stderr PTFREEZE_REPORT="$d/r-%p.jsonl" "$PY" - "$SHIM" "$probe" "$lib" <<'PYEOF' || st=$?
import fcntl, os, subprocess, sys
r, w = os.pipe()
fl = fcntl.fcntl(w, fcntl.F_GETFL)
fcntl.fcntl(w, fcntl.F_SETFL, fl | os.O_NONBLOCK)
try:
    while True:
        os.write(w, b"x" * 4096)
except BlockingIOError:
    pass
fcntl.fcntl(w, fcntl.F_SETFL, fl)
env = dict(os.environ, LD_PRELOAD=sys.argv[1])
try:
    p = subprocess.run(sys.argv[2:], env=env, stdout=subprocess.DEVNULL, stderr=w, timeout=60)
except subprocess.TimeoutExpired:
    sys.exit(124)
sys.exit(p.returncode)
PYEOF
[ $st -eq 124 ] && fail "the program blocked on a full stderr pipe"
[ $st -eq 0 ] || fail "probe failed with a full stderr pipe (status $st)"
grep -h '"type":"site"' "$d"/r-*.jsonl | grep -q '"kind":"munmap"' || fail "full pipe: the report lost the munmap site"
exit 0
