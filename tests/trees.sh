#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Process trees (issue 12), judged from outside: the files in the report
# directory, what ptfreeze run and the programs print on stderr, peak RSS
# and faults from wait4(2), the address space from /proc, system calls
# from strace.
#  - a pyenv-style wrapper chain (a bash script that runs dozens of helpers,
#    then execs the interpreter) leaves exactly one report, the
#    interpreter's, named after it, and nothing from the library on stderr;
#  - a short-lived process that never arms leaves no file, keeps its peak
#    RSS far below the pool and never prefaults (no MADV_POPULATE_WRITE);
#  - a passive process (PTFREEZE_PROGRAMS does not match) maps no pool and
#    starts no thread; PTFREEZE_SKIP drops the library for the subtree;
#  - a supervisor script that starts a server in the background and waits:
#    with --only, reports only from the server; without, the script's forks
#    after arming are reported too and ptfreeze run suggests --only.
. "${srcdir:-$(dirname "$0")}/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 is not installed"
[ -x /bin/bash ] || skip "bash is not installed"
PTFREEZE=$top_builddir/tools/ptfreeze
need_command
unset PTFREEZE_REPORT
export PTFREEZE_LIBRARY="$SHIM"

# ---- a pyenv-style wrapper chain, defaults but a longer delay (a loaded host must not arm the wrapper) ----
mkdir -p "$TMPD/bin" "$TMPD/chain"
cat > "$TMPD/bin/python3" <<SH
#!/bin/bash
# Like pyenv's shim: find the version, the prefix, the command, with helpers.
set -e
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	v=\$(basename /opt/versions/3.11.\$i)
	d=\$(dirname "/opt/versions/\$v/bin")
	e=\$(env | head -n 1)
done
exec $PY "\$@"
SH
chmod +x "$TMPD/bin/python3"
cd "$TMPD/chain" || hard "cd"
"$PTFREEZE" run --arm delay:3s -- "$TMPD/bin/python3" -c 'import time; time.sleep(3.6); print("interpreter done")' \
	> "$TMPD/chain.out" 2> "$TMPD/chain.err" || { cat "$TMPD/chain.err"; fail "the wrapper chain failed"; }
grep -q "interpreter done" "$TMPD/chain.out" || fail "the interpreter did not run: $(cat "$TMPD/chain.out")"
files=$(ls)
n=$(ls | wc -l)
[ "$n" -eq 1 ] || fail "the wrapper chain left $n report files, want 1: $files"
case $files in
ptfreeze-python3*-[0-9]*.jsonl) ;;
*) fail "the report is '$files', not named after the interpreter" ;;
esac
grep -q '"type":"arm"' "$files" || fail "the interpreter's report has no arm record"
grep -q 'ptfreeze\[' "$TMPD/chain.err" && fail "the library printed on stderr: $(cat "$TMPD/chain.err")"
grep -v '^ptfreeze: ' "$TMPD/chain.err" | grep -q . && fail "unexpected stderr: $(cat "$TMPD/chain.err")"
grep -q "^ptfreeze: report written: $TMPD/chain/$files (pid [0-9]*, python3[.0-9]*, armed by delay:3000ms)" "$TMPD/chain.err" ||
	fail "ptfreeze run said: $(cat "$TMPD/chain.err")"
note "wrapper chain (60 helpers, then exec): one report, $files"
cd "$TMPD" || hard "cd"

# ---- short-lived, never armed: no file, no prefault, peak RSS far below the pool ----
mkdir -p "$TMPD/short" && cd "$TMPD/short" || hard "cd"
"$PTFREEZE" run --pool 1G -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done; ls / > /dev/null' \
	> /dev/null 2> "$TMPD/short.err" || fail "a short shell loop failed"
[ -z "$(ls)" ] || fail "short-lived processes left reports: $(ls)"
[ "$(cat "$TMPD/short.err")" = "ptfreeze: no process armed or recorded anything: no report written (template '$TMPD/short/ptfreeze-%e-%p.jsonl')" ] ||
	fail "stderr of a short run: $(cat "$TMPD/short.err")"
cd "$TMPD" || hard "cd"
set -- $(PTFREEZE_POOL=1G SPAWN_PRELOAD="$SHIM" "$PROGS/spawnrss" 1 /bin/true)
rss_kb=$2 minflt=$3
note "/bin/true with a 1G pool, unarmed: peak RSS ${rss_kb} KiB, $minflt minor faults"
[ "$rss_kb" -lt $((64 * 1024)) ] || fail "/bin/true under the shim peaked at $rss_kb KiB with a 1G pool: prefaulted at start-up?"
if command -v strace > /dev/null 2>&1; then
	PTFREEZE_POOL=1G strace -f -o "$TMPD/true.strace" -E LD_PRELOAD="$SHIM" /bin/true || fail "strace /bin/true"
	grep -q MADV_POPULATE_WRITE "$TMPD/true.strace" && fail "a process that exits at once prefaulted: $(grep -c MADV_POPULATE_WRITE "$TMPD/true.strace") MADV_POPULATE_WRITE"
fi

# ---- a pool grown before arming is prefaulted at arming, not at the growth ----
# A program that mallocs far more than the pool and exits before arming pays
# for what it touches (sort sizes its buffer by the RAM); one that lives on
# has all of it resident at arming, and no page fault on it afterwards.
set -- $(PTFREEZE_POOL=16M PTFREEZE_POOL_GROW=16M SPAWN_PRELOAD="$SHIM" "$PROGS/spawnrss" 1 "$PY" -c "
import ctypes
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
p = libc.malloc(512 << 20)
ctypes.memset(p, 1, 1 << 20)
")
rss_kb=$2
note "malloc(512M) under a 16M pool, 1M touched, exit before arming: peak RSS $rss_kb KiB"
[ "$rss_kb" -lt $((128 * 1024)) ] || fail "a pool grown before arming was prefaulted at once: peak RSS $rss_kb KiB"
# Armed by ptfreeze_arm(), which returns once the prefault is complete (a
# delay would let a loaded host's prefault outlast the program).
PTFREEZE_POOL=16M PTFREEZE_POOL_GROW=16M PTFREEZE_ARM=manual PTFREEZE_REPORT="$TMPD/grown.jsonl" shim "$PY" -c "
import ctypes
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
p = libc.malloc(512 << 20)
ctypes.memset(p, 1, 1 << 20)
assert libc.ptfreeze_arm() == 0
ctypes.memset(p, 2, 512 << 20)
print(open('/proc/self/status').read())
" > "$TMPD/grown.status" || fail "the grown program failed"
json_get "$TMPD/grown.jsonl" arm 'r["prefault"]["bytes"]' > "$TMPD/pfb" || fail "no arm record: the grown program did not arm"
[ "$(cat "$TMPD/pfb")" -ge $((512 << 20)) ] || fail "arming prefaulted $(cat "$TMPD/pfb") bytes, not the grown pool"
minflt=$(json_get "$TMPD/grown.jsonl" summary 'r["faults_armed"]["minor"]')
note "grown before arming: prefault at arming $(cat "$TMPD/pfb") bytes; $minflt faults after arming (writing all 512M)"
[ "$minflt" -lt 1000 ] || fail "$minflt page faults after arming on a pool grown before it: not resident at arming"

# ---- passive: no pool, no thread; skip drops the library for the subtree ----
vm_size_kb() { awk '/^VmSize:/ { print $2 }' "$1"; }
PTFREEZE_POOL=1G shim "$PY" -c 'import sys; sys.stdout.write(open("/proc/self/status").read())' > "$TMPD/chosen.status" ||
	fail "python3 under the shim"
PTFREEZE_POOL=1G PTFREEZE_PROGRAMS='no-such-program' shim "$PY" -c '
import sys
sys.stdout.write(open("/proc/self/status").read())
open(sys.argv[1], "w").write(open("/proc/self/maps").read())' "$TMPD/passive.maps" > "$TMPD/passive.status" ||
	fail "python3 passive under the shim"
chosen=$(vm_size_kb "$TMPD/chosen.status") passive=$(vm_size_kb "$TMPD/passive.status")
note "VmSize with a 1G pool: chosen $chosen KiB, passive $passive KiB"
[ "$chosen" -gt $((1024 * 1024)) ] || fail "a chosen process has no 1G pool mapped (VmSize $chosen KiB)"
[ "$passive" -lt $((1024 * 1024)) ] || fail "a passive process mapped a pool (VmSize $passive KiB)"
grep -q ptfreeze-pool "$TMPD/passive.maps" && fail "a passive process has a ptfreeze-pool mapping"
grep -q ptfreeze-stacks "$TMPD/passive.maps" && fail "a passive process has a ptfreeze-stacks mapping"
hwm=$(awk '/^VmHWM:/ { print $2 }' "$TMPD/passive.status")
[ "$hwm" -lt $((64 * 1024)) ] || fail "a passive python3 peaked at $hwm KiB"
grep -q libptfreeze "$TMPD/passive.maps" || fail "the passive process does not have the library loaded at all (test broken?)"
if command -v strace > /dev/null 2>&1; then
	PTFREEZE_PROGRAMS='no-such-program' strace -f -o "$TMPD/passive.strace" -E LD_PRELOAD="$SHIM" /bin/true || fail "strace passive"
	grep -qE '^[0-9]+ +clone' "$TMPD/passive.strace" && fail "a passive process started a thread"
	grep -q MADV_POPULATE_WRITE "$TMPD/passive.strace" && fail "a passive process prefaulted"
fi
# A passive program calling ptfreeze_arm() gets what it gets without the shim: -ENOSYS, no report.
mkdir -p "$TMPD/passive-api"
out=$(PTFREEZE_REPORT="$TMPD/passive-api/r-%p.jsonl" PTFREEZE_PROGRAMS='no-such-program' shim "$PY" -c '
import ctypes
lib = ctypes.CDLL(None)
print(lib.ptfreeze_arm(), lib.ptfreeze_armed())') || fail "ptfreeze_arm in a passive process"
[ "$out" = "-38 0" ] || fail "a passive process: ptfreeze_arm(), ptfreeze_armed() gave '$out', want -38 (-ENOSYS) and 0"
[ -z "$(ls "$TMPD/passive-api")" ] || fail "a passive process wrote a report: $(ls "$TMPD/passive-api")"

# PTFREEZE_SKIP: the shell is passive and its children run without the library.
n=$(PTFREEZE_SKIP=sh shim /bin/sh -c 'grep -c libptfreeze /proc/self/maps || true')
[ "$n" -eq 0 ] || fail "a child of a skipped shell still loads the library ($n mappings)"
n=$(PTFREEZE_PROGRAMS='no-such-program' shim /bin/sh -c 'grep -c libptfreeze /proc/self/maps || true')
[ "$n" -gt 0 ] || fail "a child of a passive (not skipped) shell lost the library: it must be judged at its exec"
PTFREEZE_PROGRAMS='a,,b' shim /bin/true 2> "$TMPD/bad.err" || fail "/bin/true with a bad PTFREEZE_PROGRAMS"
[ "$(wc -l < "$TMPD/bad.err")" -eq 1 ] && grep -q "PTFREEZE_PROGRAMS: cannot parse 'a,,b'" "$TMPD/bad.err" ||
	fail "a bad PTFREEZE_PROGRAMS: '$(cat "$TMPD/bad.err")', want one line"

# ---- a supervisor script and its server ----
cp /bin/sleep "$TMPD/bin/srvd" || hard "cp"
cat > "$TMPD/bin/supervise" <<SH
#!/bin/sh
"$TMPD/bin/srvd" 3 &
pid=\$!
while kill -0 \$pid 2> /dev/null; do sleep 0.1; done
wait \$pid
SH
chmod +x "$TMPD/bin/supervise"
mkdir -p "$TMPD/only" && cd "$TMPD/only" || hard "cd"
"$PTFREEZE" run --arm delay:300ms --only srvd -- "$TMPD/bin/supervise" > /dev/null 2> "$TMPD/only.err" ||
	fail "the supervisor failed with --only"
files=$(ls)
case $files in
ptfreeze-srvd-[0-9]*.jsonl) ;;
*) fail "with --only srvd the reports are '$files', want the server's only" ;;
esac
grep -q '"process":{"decision":"chosen","why":"PTFREEZE_PROGRAMS matches '"'"'srvd'"'"'"}' "$files" ||
	fail "the header does not say why the server was chosen: $(grep -o '"process":{[^}]*}' "$files")"
grep -q -- "--only NAME" "$TMPD/only.err" && fail "--only suggested with one armed process: $(cat "$TMPD/only.err")"
mkdir -p "$TMPD/all" && cd "$TMPD/all" || hard "cd"
"$PTFREEZE" run --arm delay:300ms -- "$TMPD/bin/supervise" > /dev/null 2> "$TMPD/all.err" ||
	fail "the supervisor failed"
ls ptfreeze-srvd-*.jsonl > /dev/null 2>&1 || fail "no report from the server without --only: $(ls)"
script=$(grep -L '"exe":"[^"]*srvd"' *.jsonl | head -n 1)
[ -n "$script" ] || fail "the armed script wrote no report: $(ls)"
forks=$(grep '"type":"site"' $script | grep -cE '"kind":"v?fork"' || true)
[ "$forks" -ge 1 ] || fail "the script's forks after arming are not reported in $script"
grep -q "^ptfreeze: [0-9]* programs armed (.*); to freeze one program only, run again with --only NAME" "$TMPD/all.err" ||
	fail "no --only suggestion: $(cat "$TMPD/all.err")"
note "supervisor: --only srvd gives $files; without it $(ls | wc -l) reports (the script forked after arming: $forks fork sites in $script)"
exit 0
