#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ptfreeze check --pid: a helper holds writable MAP_SHARED mappings of a
# file in /var/tmp (disk) and one in /dev/shm (tmpfs); check lists the first
# as a writeback hazard (WARN, exit status 1) and the second as passing.
# Also: a process that does not exist is status 2, one line.
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip "python3 is not installed"
[ -d /dev/shm ] && [ -w /dev/shm ] || skip "no writable /dev/shm"
[ -w /var/tmp ] || skip "/var/tmp is not writable"
case "$(stat -f -c %T /var/tmp)" in tmpfs | ramfs) skip "/var/tmp is memory-backed here" ;; esac
disk=$(mktemp /var/tmp/ptfreeze-cli.XXXXXX)
mem=$(mktemp /dev/shm/ptfreeze-cli.XXXXXX)
trap 'kill $holder 2> /dev/null; rm -rf "$TMPD" "$disk" "$mem"' EXIT
cat > "$TMPD/hold.py" <<'PY'
import mmap, sys, time
held = []
for path in sys.argv[1:]:
    f = open(path, "r+b")
    f.truncate(8192)
    m = mmap.mmap(f.fileno(), 8192, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    m[0:5] = b"dirty"
    held.append((f, m))
print("ready", flush=True)
time.sleep(120)
PY
"$PY" "$TMPD/hold.py" "$disk" "$mem" > "$TMPD/hold.out" &
holder=$!
i=0
while ! grep -q ready "$TMPD/hold.out" 2> /dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "the helper never mapped its files"
	sleep 0.05
done

pf check --pid "$holder"
expect_status 1 "check --pid with a writeback hazard"
cat "$TMPD/out"
grep -q "^WARN  writeback-hazard .*$disk" "$TMPD/out" || fail "$disk is not reported as a writeback hazard"
grep -E '^(WARN|FAIL) ' "$TMPD/out" | grep -q "$mem" && fail "$mem (tmpfs) is reported as a hazard"
grep -q "^PASS .*$mem" "$TMPD/out" || fail "$mem is not listed as a passing shared mapping"

pf check --pid "$holder" --json
"$PY" - "$TMPD/out" "$disk" "$mem" <<'PY' || fail "check --pid --json"
import json, sys
d = json.load(open(sys.argv[1]))
maps = {m["path"]: m for m in d["process"]["mappings"]}
assert maps[sys.argv[2]]["hazard"] is True, maps
assert maps[sys.argv[3]]["hazard"] is False and maps[sys.argv[3]]["fstype"] == "tmpfs", maps
PY

kill "$holder"
wait "$holder" 2> /dev/null
pf check --pid "$holder"
expect_status 2 "check --pid of a process that has exited"
one_error_line "check --pid of a process that has exited" "no such process"
pf check --pid banana
expect_status 2 "check --pid banana"
one_error_line "check --pid banana"
note "the /var/tmp mapping is a hazard, the /dev/shm one is not"
exit 0
