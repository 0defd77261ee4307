#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# `ptfreeze report` names the likely kernel cause of page-fault and fork
# sites where the report shows the mechanism (tools/cause.c):
#  - a program (the interpreter, /usr/bin/python3) that forks after arming,
#    parent and child then writing a buffer from the pool: the fork site and
#    the pool-cow fault sites say "copy-on-write after fork", in the text
#    and in --json;
#  - as root, with KSM turned on for the run (and put back on any exit): the
#    report's host snapshot says so, and faults on anonymous memory name KSM;
#    with KSM off (as this host was), no fault site names KSM.
. "$(dirname "$0")/lib.sh"
HOSTPY=/usr/bin/python3 # the interpreter itself, not a version-manager shim
[ -x "$HOSTPY" ] || skip "/usr/bin/python3 is not installed"
cat > "$TMPD/forker.py" <<'PYEOF'
import os, time
buf = bytearray(8 << 20)          # from the pool, written before arming
for i in range(0, len(buf), 4096):
    buf[i] = 1
time.sleep(0.8)                   # armed meanwhile (delay:200ms)
pid = os.fork()
for i in range(0, len(buf), 4096):
    buf[i] = 2                    # copy-on-write in both
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print("done")
PYEOF
run_forker() { # DIR
	mkdir -p "$1"
	st=0
	PTFREEZE_ARM=delay:200ms PTFREEZE_REPORT="$1/r-%p.jsonl" LD_PRELOAD="$SHIM" "$HOSTPY" "$TMPD/forker.py" \
		> "$TMPD/out" 2> "$TMPD/err" || st=$?
	[ $st -eq 0 ] && grep -q '^done$' "$TMPD/out" || fail "the forking program: status $st: $(cat "$TMPD/err")"
}
run_forker "$TMPD/fork"
pf report --json "$TMPD/fork"
[ "$st" -le 1 ] || fail "report --json: status $st: $(cat "$TMPD/err")"
cp "$TMPD/out" "$TMPD/fork.json"
"$HOSTPY" - "$TMPD/fork.json" <<'PYEOF' || fail "the fork's sites do not name copy-on-write"
import json, sys
d = json.load(open(sys.argv[1]))
forks = [s for s in d["sites"] if s["kind"] == "fork"]
assert forks and all("copy-on-write" in (s.get("cause") or "") for s in forks), forks
cow = [s for s in d["sites"] if s["kind"] == "page-fault" and s["args"].get("class") == "pool-cow"]
assert cow, "no pool-cow fault site: %s" % sorted({s["args"].get("class") for s in d["sites"] if s["kind"] == "page-fault"})
assert all("copy-on-write after fork" in s["cause"] for s in cow), cow[0]
other = [s for s in d["sites"] if s["kind"] == "page-fault" and s["args"].get("class") in ("code", "file")]
assert all(s.get("cause") is None for s in other), "a cause named for a file fault: %s" % other[:1]
print("# %d fork site(s), %d pool-cow fault site(s) name copy-on-write" % (len(forks), len(cow)))
PYEOF
pf report --all "$TMPD/fork"
grep -q '^  cause  *copy-on-write after fork' "$TMPD/out" || fail "the text does not name the cause: $(head -n 30 "$TMPD/out")"

ksm=/sys/kernel/mm/ksm/run
if [ "$(id -u)" != 0 ] || ! [ -w "$ksm" ]; then
	note "KSM cannot be turned on here (not root, or no $ksm): not tried"
	exit 0
fi
host_settings_lock
was=$(cat "$ksm")
[ "$was" = 0 ] || { note "KSM is already on ($was): not tried"; exit 0; }
grep -q '"ksm"' "$TMPD/fork.json" || true
"$HOSTPY" - "$TMPD/fork.json" <<'PYEOF' || fail "KSM is off, yet a site names it"
import json, sys
assert not [s for s in json.load(open(sys.argv[1]))["sites"] if "KSM" in (s.get("cause") or "")]
PYEOF
trap 'echo "$was" > "$ksm"; rm -rf "$TMPD"' EXIT
echo 1 > "$ksm"
run_forker "$TMPD/ksm"
echo "$was" > "$ksm"
pf report --json "$TMPD/ksm"
cp "$TMPD/out" "$TMPD/ksm.json"
"$HOSTPY" - "$TMPD/ksm.json" <<'PYEOF' || fail "with KSM on, no anonymous fault names KSM"
import json, sys
d = json.load(open(sys.argv[1]))
anon = [s for s in d["sites"] if s["kind"] == "page-fault" and s["args"].get("class") in ("pool", "anonymous", "brk-heap", "bss", "thread-stack", "main-stack")]
named = [s for s in anon if "KSM" in (s.get("cause") or "")]
assert anon, "no fault on anonymous memory in the run: the KSM case cannot be judged"
assert len(named) == len(anon), "anonymous faults without the KSM cause: %s" % [s for s in anon if s not in named][:1]
print("# KSM on: %d of %d anonymous fault site(s) name KSM" % (len(named), len(anon)))
PYEOF
[ "$(cat "$ksm")" = "$was" ] || fail "KSM was not put back to $was"
exit 0
